#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Port security: container a sends from a spoofed IPv4 source, a spoofed source MAC and with
# spoofed ARP (claiming b's IP, or another MAC); each is dropped and counted with its reason
# (spoof_ip, spoof_mac, spoof_arp) for port a, victim b receives none of it, and a's normal
# traffic still works afterwards. Port c has "port_security": false: it may send from any MAC,
# which vnetd learns (`show macs` type learned) and then forwards to.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init spf
ensure_hugepages

MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
MAC_C=02:00:00:00:01:0c
MAC_X=02:00:00:00:01:99 # a MAC nobody owns
MAC_L=02:00:00:00:01:77 # a MAC c sends from without owning it
A=$(sys_name a) B=$(sys_name b) C=$(sys_name c)

vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_tap0,iface=$A\", \"mac\": \"$MAC_A\",
     \"ips\": [\"10.0.0.10\"]},
    {\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_tap1,iface=$B\", \"mac\": \"$MAC_B\",
     \"ips\": [\"10.0.0.11\"]},
    {\"id\": \"c\", \"network\": \"blue\", \"device\": \"net_tap2,iface=$C\", \"mac\": \"$MAC_C\",
     \"ips\": [\"10.0.0.12\"], \"port_security\": false}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# Netns names are the interface names; IPv6 off (no ND/MLD noise in b's capture).
netns_container "$A" "$A" $MAC_A 10.0.0.10/24
netns_container "$B" "$B" $MAC_B 10.0.0.11/24
netns_container "$C" "$C" $MAC_C 10.0.0.12/24
"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
ps = {p["name"]: p["port_security"] for p in json.load(sys.stdin)}
assert ps == {"a": True, "b": True, "c": False}, ps
' || fail "port_security in show ports: $("$VNETCTL" -s "$SOCK" show ports --json)"

wait_for "first ping a -> b" 5 ping_ok "$A" 10.0.0.11 || fail "ping a -> b before spoofing"
pass "a pings b"

capture_start "$B" "$B" "$SYS_TMP/b.pcap"
CAP_B=$SYS_LAST_PID

# expect_drops REASON N: port a's REASON counter reaches base+N (and not more), base in $base.
expect_drops() {
	local reason=$1 n=$2 got
	wait_for "$reason on port a +$n" 5 counter_at_least $((base + n)) drop_count "$SOCK" "$reason" a ||
		fail "$reason for port a: +$(($(drop_count "$SOCK" "$reason" a) - base)), want +$n"
	got=$(drop_count "$SOCK" "$reason" a)
	((got == base + n)) || fail "$reason for port a: +$((got - base)), want exactly +$n"
}

# 1. Spoofed IPv4 source: a adds 10.0.0.99 and pings from it (b's MAC is known statically, so
# the kernel sends the ICMP itself rather than an ARP from 10.0.0.99).
base=$(drop_count "$SOCK" spoof_ip a)
in_ns "$A" ip addr add 10.0.0.99/24 dev "$A"
in_ns "$A" ip neigh replace 10.0.0.11 lladdr $MAC_B dev "$A" nud permanent
if in_ns "$A" ping -n -q -c 3 -i 0.2 -W 1 -I 10.0.0.99 10.0.0.11 >/dev/null 2>&1; then
	fail "ping from spoofed 10.0.0.99 was answered"
fi
in_ns "$A" ip addr del 10.0.0.99/24 dev "$A"
expect_drops spoof_ip 3
pass "spoofed IPv4 source: 3 pings dropped as spoof_ip on port a"

# 2. Spoofed source MAC (with a's own IP).
base=$(drop_count "$SOCK" spoof_mac a)
send_frames "$A" "$A" 3 "Ether(src='$MAC_X', dst='$MAC_B')/IP(src='10.0.0.10', dst='10.0.0.11')/ICMP()"
expect_drops spoof_mac 3
pass "spoofed source MAC: 3 frames dropped as spoof_mac on port a"

# 3. Spoofed ARP: a gratuitous reply claiming b's IP, and a request from a's MAC on the wire
# naming another MAC as its sender.
base=$(drop_count "$SOCK" spoof_arp a)
send_frames "$A" "$A" 3 "Ether(src='$MAC_A', dst='ff:ff:ff:ff:ff:ff')/ARP(op=2, hwsrc='$MAC_A',
	psrc='10.0.0.11', hwdst='ff:ff:ff:ff:ff:ff', pdst='10.0.0.11')"
send_frames "$A" "$A" 2 "Ether(src='$MAC_A', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='$MAC_X',
	psrc='10.0.0.10', pdst='10.0.0.11')"
expect_drops spoof_arp 5
pass "spoofed ARP (b's IP, another MAC): 5 frames dropped as spoof_arp on port a"

# Normal traffic still works: a pings b from its own address (this also marks the end of the
# spoofing in b's capture: frames are forwarded in order).
in_ns "$A" ip neigh del 10.0.0.11 dev "$A"
ping_ok "$A" 10.0.0.11 3 || fail "a cannot ping b after the spoof attempts"
pass "a pings b normally after the spoof attempts"

wait_for "a's last echo request in b's capture" 5 \
	counter_at_least 3 pcap_count "$SYS_TMP/b.pcap" icmp and src host 10.0.0.10 || fail "capture at b"
capture_stop "$CAP_B"
bad="not (ether src $MAC_A and (ip src 10.0.0.10 or (arp and src host 10.0.0.10 and arp[8:4] = 0x02000000 and arp[12:2] = 0x010a)))"
n=$(pcap_count "$SYS_TMP/b.pcap" "$bad")
if ((n != 0)); then
	tcpdump -n -e -r "$SYS_TMP/b.pcap" "$bad" >&2 2>/dev/null
	fail "victim b received $n spoofed frames"
fi
pass "victim b received none of the spoofed frames ($(pcap_count "$SYS_TMP/b.pcap") genuine ones)"

"$VNETCTL" -s "$SOCK" drops | grep -Eq '^spoof_ip +[0-9]+ +source IP is not' ||
	fail "vnetctl drops does not list spoof_ip: $("$VNETCTL" -s "$SOCK" drops)"
"$VNETCTL" -s "$SOCK" drops --port a | grep -Eq '^spoof_ip +[0-9]+ ' ||
	fail "vnetctl drops --port a does not list spoof_ip: $("$VNETCTL" -s "$SOCK" drops --port a)"
[[ $("$VNETCTL" -s "$SOCK" drops --port b) == "no drops"* ]] || fail "port b's drops: $("$VNETCTL" -s "$SOCK" drops --port b)"
# The drop ring (issue 13, item 5): the spoofed packets themselves, with their reason and port.
"$VNETCTL" -s "$SOCK" drops --port a --write "$SYS_TMP/drops.pcapng" >"$SYS_TMP/drops.out" ||
	fail "vnetctl drops --write: $(cat "$SYS_TMP/drops.out")"
tshark -r "$SYS_TMP/drops.pcapng" -T fields -e ip.src -e icmp.type -e frame.comment >"$SYS_TMP/drops.txt" 2>&1 ||
	fail "tshark cannot read the drops: $(cat "$SYS_TMP/drops.txt")"
grep -qP '^10\.0\.0\.99\t8\tvnet drop: spoof_ip \(source IP is not.*\); in at a; tenant blue' "$SYS_TMP/drops.txt" ||
	fail "the spoofed echo request is not among the recent drops: $(cat "$SYS_TMP/drops.txt")"
grep -q "spoof_mac" "$SYS_TMP/drops.txt" && grep -q "spoof_arp" "$SYS_TMP/drops.txt" ||
	fail "spoof_mac and spoof_arp frames are not among the recent drops: $(cat "$SYS_TMP/drops.txt")"
# --watch: the deltas as they happen.
"$VNETCTL" -s "$SOCK" drops --watch --port a >"$SYS_TMP/watch.out" 2>&1 &
WPID=$!
wait_for "drops --watch starts" 10 grep -q "watching the drop counters of port a" "$SYS_TMP/watch.out" ||
	fail "drops --watch: $(cat "$SYS_TMP/watch.out")"
in_ns "$A" ip addr add 10.0.0.99/24 dev "$A"
in_ns "$A" ping -n -q -c 2 -i 0.2 -W 1 -I 10.0.0.99 10.0.0.11 >/dev/null 2>&1 || true
in_ns "$A" ip addr del 10.0.0.99/24 dev "$A"
wait_for "drops --watch shows the new spoof_ip drops" 10 grep -Eq "spoof_ip +a +\+2 " "$SYS_TMP/watch.out" ||
	fail "drops --watch: $(cat "$SYS_TMP/watch.out")"
kill "$WPID"
wait "$WPID" || true
pass "vnetctl drops --watch --port a: $(grep -m1 'spoof_ip' "$SYS_TMP/watch.out")"
pass "vnetctl drops --port a / --write: the spoofed packets themselves (read back with tshark), each with its reason, port and tenant: $(grep -m1 spoof_ip "$SYS_TMP/drops.txt" | cut -f3)"

# 4. No port security on c: it sends from a MAC and an IP it does not own; vnetd forwards the
# frames, drops nothing of c's, learns the MAC, and then sends frames for that MAC to c alone.
c_drops=$(port_counter "$SOCK" c drops)
send_frames "$C" "$C" 2 "Ether(src='$MAC_L', dst='$MAC_B')/IP(src='10.0.0.77', dst='10.0.0.11')/ICMP()"
learned() {
	"$VNETCTL" -s "$SOCK" show macs --json | "$PY" -c '
import json, sys
sys.exit(0 if any(e["mac"].lower() == sys.argv[1] and e["port"] == "c" and e["type"] == "learned"
                  for e in json.load(sys.stdin)) else 1)' $MAC_L
}
wait_for "$MAC_L learned on port c" 5 learned || fail "$MAC_L not learned: $("$VNETCTL" -s "$SOCK" show macs)"
"$VNETCTL" -s "$SOCK" show macs | grep -Eiq "^blue +$MAC_L +c +learned" ||
	fail "show macs (table) does not show $MAC_L as learned on c"
(($(port_counter "$SOCK" c drops) == c_drops)) || fail "frames from port c (no port security) were dropped"
pass "port c without port security sends from $MAC_L: forwarded, learned (show macs: learned)"

trace_tx_to "$SOCK" b "Ether(src='$MAC_B', dst='$MAC_L')/IP(src='10.0.0.11', dst='10.0.0.77')/ICMP()" c ||
	fail "a frame for the learned $MAC_L is not sent to c"
pass "frames for the learned MAC go to port c only"

sys_done
