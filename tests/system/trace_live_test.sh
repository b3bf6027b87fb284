#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live trace (`vnetctl trace live`, issue 13 item 3): real traffic through vnetd while a live
# trace with a tcpdump filter is armed at port a. Pings to C (not matching the filter) are not
# traced; of the pings to B, the first three are: each has its start (frame, length) and a record
# per node from port_rx to port_tx at b, in order, with times; the pcapng written holds the three
# packets (read back with tshark) with their port and verdict as comments. A bad filter is a
# clear error; the traced pings are answered (a live trace changes nothing). `vnetctl capture`
# at b: what vnetd sent b and what b sent, read back with tshark. A VM port with no VM connected:
# the synthetic trace's verdict (link_down) is what the real packet gets.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init trl
ensure_hugepages
MAC_A=02:00:00:00:01:0a MAC_B=02:00:00:00:01:0b MAC_C=02:00:00:00:01:0c MAC_VM=02:00:00:00:01:20
A=$(sys_name a) B=$(sys_name b) C=$(sys_name c)
vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_tap0,iface=$A\", \"mac\": \"$MAC_A\", \"ips\": [\"10.0.0.10\"]},
    {\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_tap1,iface=$B\", \"mac\": \"$MAC_B\", \"ips\": [\"10.0.0.11\"]},
    {\"id\": \"c\", \"network\": \"blue\", \"device\": \"net_tap2,iface=$C\", \"mac\": \"$MAC_C\", \"ips\": [\"10.0.0.12\"]},
    {\"id\": \"vm\", \"network\": \"blue\", \"kind\": \"vm\", \"device\": \"vhost:$SYS_TMP/vm.sock,server\", \"mac\": \"$MAC_VM\", \"ips\": [\"10.0.0.20\"]}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
netns_container "$A" "$A" $MAC_A 10.0.0.10/24
netns_container "$B" "$B" $MAC_B 10.0.0.11/24
netns_container "$C" "$C" $MAC_C 10.0.0.12/24
for n in "$A:10.0.0.11:$MAC_B" "$A:10.0.0.12:$MAC_C" "$A:10.0.0.20:$MAC_VM" "$B:10.0.0.10:$MAC_A" "$C:10.0.0.10:$MAC_A"; do
	IFS=: read -r ns ip mac <<<"$n"
	in_ns "$ns" ip neigh replace "$ip" lladdr "$mac" dev "$ns" nud permanent
done
wait_for "ping a -> b" 10 ping_ok "$A" 10.0.0.11 || fail "ping a -> b"

out=$("$VNETCTL" -s "$SOCK" trace live --port a --filter 'icmpp' 2>&1) && fail "a bad filter was taken: $out"
[[ $out == *'filter "icmpp": '* ]] || fail "bad filter: $out"
pass "a bad filter: $out"

"$VNETCTL" -s "$SOCK" trace live --port a --filter 'icmp and dst host 10.0.0.11' --count 3 --timeout 30 \
	--write "$SYS_TMP/live.pcapng" --json >"$SYS_TMP/live.json" 2>"$SYS_TMP/live.err" &
LPID=$!
wait_for "the live trace is armed" 10 grep -q '"armed": *true' "$SYS_TMP/live.json" ||
	fail "not armed: $(cat "$SYS_TMP/live.json" "$SYS_TMP/live.err")"
in_ns "$A" ping -c 3 -i 0.2 -W 1 10.0.0.12 >/dev/null || fail "pings a -> c (not matching the filter)"
in_ns "$A" ping -c 5 -i 0.2 -W 1 10.0.0.11 >"$SYS_TMP/ping.out" || fail "pings a -> b during the live trace: $(cat "$SYS_TMP/ping.out")"
wait_for "the live trace ends" 20 sh -c "! kill -0 $LPID 2>/dev/null" || fail "the live trace did not end: $(tail -3 "$SYS_TMP/live.json")"
wait "$LPID" || fail "vnetctl trace live failed: $(cat "$SYS_TMP/live.err")"
"$PY" - "$SYS_TMP/live.json" <<'PY' || fail "the live trace's events: $(cat "$SYS_TMP/live.json")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
frames = {e["packet"]: e for e in evs if "frame" in e}
recs = [e for e in evs if "node" in e]
assert sorted(frames) == [1, 2, 3], frames.keys()
for k in (1, 2, 3):
    f = frames[k]
    assert f["in_port"] == "a" and f["len"] >= 98, f
    b = bytes.fromhex(f["frame"])
    assert b[30:34] == bytes([10, 0, 0, 11]) and b[23] == 1, b.hex()   # IPv4 to 10.0.0.11, ICMP
    mine = [r for r in recs if r["packet"] == k]
    nodes = [r["node"] for r in mine]
    assert nodes[0] == "port_rx" and nodes[1] == "parse" and nodes[-1] == "port_tx", nodes
    assert "l2_lookup" in nodes, nodes
    assert mine[-1]["verdict"] == "tx" and mine[-1]["out_port"] == "b", mine[-1]
    ts = [r["t_us"] for r in mine]
    assert ts == sorted(ts) and ts[0] > 0, ts
assert not [r for r in recs if r["packet"] not in (1, 2, 3)], "records of other packets"
print("%d records for 3 packets, nodes %s" % (len(recs), [r["node"] for r in recs if r["packet"] == 1]))
PY
pass "live trace with a filter: pings to c not traced; the first 3 pings to b traced node by node (port_rx .. port_tx at b), in time order"
grep -q " 0% packet loss" "$SYS_TMP/ping.out" || fail "pings lost during the live trace: $(cat "$SYS_TMP/ping.out")"
command -v tshark >/dev/null || fail "tshark is not installed (scripts/setup.sh installs it)"
tshark -r "$SYS_TMP/live.pcapng" -T fields -e ip.dst -e icmp.type -e frame.comment >"$SYS_TMP/tshark.out" 2>"$SYS_TMP/tshark.err" ||
	fail "tshark cannot read the pcapng: $(cat "$SYS_TMP/tshark.err")"
[[ $(wc -l <"$SYS_TMP/tshark.out") == 3 ]] || fail "tshark: $(cat "$SYS_TMP/tshark.out")"
while IFS=$'\t' read -r dst type comment; do
	[[ $dst == 10.0.0.11 && $type == 8 && $comment == *"in at a, tx to b"* ]] || fail "tshark line: $dst $type $comment"
done <"$SYS_TMP/tshark.out"
pass "--write: tshark reads the 3 echo requests to 10.0.0.11 from the pcapng, each commented \"$(head -1 "$SYS_TMP/tshark.out" | cut -f3)\""

# Capture (issue 13, item 6): b's traffic both ways, from vnetd, no mirror port.
"$VNETCTL" -s "$SOCK" capture --port b --filter icmp --count 4 --timeout 30 --write "$SYS_TMP/cap.pcapng" >"$SYS_TMP/cap.out" 2>&1 &
CPID=$!
wait_for "the capture is armed" 10 grep -q '^armed' "$SYS_TMP/cap.out" || fail "capture: $(cat "$SYS_TMP/cap.out")"
in_ns "$A" ping -c 2 -i 0.2 -W 1 10.0.0.11 >/dev/null || fail "pings a -> b during the capture"
wait "$CPID" || fail "vnetctl capture: $(cat "$SYS_TMP/cap.out")"
tshark -r "$SYS_TMP/cap.pcapng" -T fields -e ip.src -e ip.dst -e icmp.type -e frame.comment >"$SYS_TMP/cap.txt" 2>&1 ||
	fail "tshark: $(cat "$SYS_TMP/cap.txt")"
[[ $(grep -c $'^10.0.0.10\t10.0.0.11\t8\tout at b$' "$SYS_TMP/cap.txt") == 2 &&
	$(grep -c $'^10.0.0.11\t10.0.0.10\t0\tin at b$' "$SYS_TMP/cap.txt") == 2 ]] ||
	fail "the capture at b: $(cat "$SYS_TMP/cap.txt")"
sed 's/^/  /' "$SYS_TMP/cap.out"
pass "vnetctl capture --port b: the 2 echo requests vnetd sent b (out) and b's 2 replies (in), read back with tshark"

# A vNIC whose link is down (a VM port no VM has connected to): the synthetic trace says what
# happens to the real packet (before: tx).
out=$("$VNETCTL" -s "$SOCK" trace --port a --json from 10.0.0.10 to 10.0.0.20 icmp echo) || fail "trace: $out"
[[ $(json_get "d['verdict'].get('reason')" <<<"$out") == link_down ]] || fail "the trace to vm (link down): $out"
base=$(drop_count "$SOCK" link_down a)
in_ns "$A" ping -c 1 -W 1 10.0.0.20 >/dev/null 2>&1 && fail "a ping reached the VM port with no VM"
more_link_down() { (($(drop_count "$SOCK" link_down a) > base)); }
wait_for "the real packet is dropped as link_down" 5 more_link_down || fail "the real ping was not dropped as link_down: $("$VNETCTL" -s "$SOCK" drops)"
pass "a VM port with no VM connected: the synthetic trace's verdict is drop link_down, as the real ping's"

# The human form, once (docs/vnetctl.md shows its output).
"$VNETCTL" -s "$SOCK" trace live --port a --filter 'icmp and dst host 10.0.0.11' --count 1 --timeout 30 >"$SYS_TMP/human.out" 2>&1 &
LPID=$!
wait_for "armed" 10 grep -q '^armed' "$SYS_TMP/human.out" || fail "not armed: $(cat "$SYS_TMP/human.out")"
ping_ok "$A" 10.0.0.11 1 || fail "ping a -> b"
wait "$LPID" || fail "trace live: $(cat "$SYS_TMP/human.out")"
grep -q "^1 packets traced" "$SYS_TMP/human.out" && grep -q "port_tx *-> tx" "$SYS_TMP/human.out" || fail "human output: $(cat "$SYS_TMP/human.out")"
sed 's/^/  /' "$SYS_TMP/human.out"
pass "the human form prints each record as it comes"
# trace diff (issue 13, item 4): the packets the live trace caught, re-run on the tables now.
"$VNETCTL" -s "$SOCK" trace diff "$SYS_TMP/live.json" >"$SYS_TMP/diff1.txt" || fail "trace diff: $(cat "$SYS_TMP/diff1.txt")"
grep -q "^3 packets: 3 as the tables say now, 0 not" "$SYS_TMP/diff1.txt" || fail "trace diff before a change: $(cat "$SYS_TMP/diff1.txt")"
# b's MAC entry goes (its port is removed): the real packets went to b, the tables now flood.
"$PY" - "$SYS_TMP/vnetd.json" >"$SYS_TMP/rules2.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["rules"]
r["revision"] = 2
r["ports"] = [p for p in r["ports"] if p["id"] != "b"]
print(json.dumps(r))
PY
"$VNETCTL" -s "$SOCK" apply "$SYS_TMP/rules2.json" >/dev/null || fail "apply without b"
"$VNETCTL" -s "$SOCK" trace diff "$SYS_TMP/live.json" >"$SYS_TMP/diff2.txt" || fail "trace diff: $(cat "$SYS_TMP/diff2.txt")"
grep -q "^3 packets: 0 as the tables say now, 3 not" "$SYS_TMP/diff2.txt" &&
	grep -q "^packet 1: first disagreement at l2_lookup (record 5): the real packet went to sg_ingress (destination MAC static), the tables now send it to .*the rules changed in between" "$SYS_TMP/diff2.txt" ||
	fail "trace diff after b's MAC entry went: $(cat "$SYS_TMP/diff2.txt")"
sed 's/^/  /' "$SYS_TMP/diff2.txt"
pass "trace diff: the 3 caught packets agree with the tables, then, b's MAC entry gone, each disagrees first at l2_lookup, the rules change named"
sys_done
