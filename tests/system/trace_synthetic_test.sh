#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Synthetic trace (`vnetctl trace`): frames from pcap-samples/ injected at a port in dry-run mode.
# A spoofed source is traced to a spoof_ip drop at port_security; a valid echo request from A to
# tx at port b through port_rx, parse, port_security, l2_lookup and port_tx; a frame from an
# unknown MAC on a port without port security is forwarded but not learned. And the dry run
# commits nothing: no frame at B (capture), no MAC learned, drop and port counters unchanged.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init trc
ensure_hugepages

SAMPLES=$SYS_SRC/pcap-samples
MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
MAC_C=02:00:00:00:01:0c
MAC_L=02:00:00:00:01:77 # a source MAC that nobody has used yet
A=$(sys_name a) B=$(sys_name b) C=$(sys_name c)

# Addresses of pcap-samples/README.md: A is 02:00:00:00:01:0a 10.0.0.10, B 02:00:00:00:01:0b
# 10.0.0.11. C (no port security) shows that a dry run does not learn.
vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_tap0,iface=$A\", \"mac\": \"$MAC_A\",
     \"ips\": [\"10.0.0.10\", \"fd00::a\"]},
    {\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_tap1,iface=$B\", \"mac\": \"$MAC_B\",
     \"ips\": [\"10.0.0.11\", \"fd00::b\"]},
    {\"id\": \"c\", \"network\": \"blue\", \"device\": \"net_tap2,iface=$C\", \"mac\": \"$MAC_C\",
     \"ips\": [\"10.0.0.12\"], \"port_security\": false}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# Quiet containers: IPv6 off, static neighbours (no ARP, no reachability probes).
netns_container "$A" "$A" $MAC_A 10.0.0.10/24
netns_container "$B" "$B" $MAC_B 10.0.0.11/24
netns_container "$C" "$C" $MAC_C 10.0.0.12/24
in_ns "$A" ip neigh replace 10.0.0.11 lladdr $MAC_B dev "$A" nud permanent
in_ns "$B" ip neigh replace 10.0.0.10 lladdr $MAC_A dev "$B" nud permanent
in_ns "$B" ip neigh replace 10.0.0.12 lladdr $MAC_C dev "$B" nud permanent
in_ns "$C" ip neigh replace 10.0.0.11 lladdr $MAC_B dev "$C" nud permanent
# Real traffic through every port: once answered, vnetd has read everything the TAPs sent
# before (from the root namespace), so the counters below are a stable baseline.
wait_for "ping a -> b" 5 ping_ok "$A" 10.0.0.11 || fail "ping a -> b"
ping_ok "$C" 10.0.0.11 || fail "ping c -> b"

# state: what a dry run must not change. MAC ages tick, so only (network, mac, port, type).
state() {
	"$VNETCTL" -s "$SOCK" drops --json
	"$VNETCTL" -s "$SOCK" show macs --json | "$PY" -c '
import json, sys
for e in sorted((e["network"], e["mac"].lower(), e["port"], e["type"]) for e in json.load(sys.stdin)):
    print(*e)'
	"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
for p in json.load(sys.stdin):
    print("port", p["name"], p["rx_pkts"], p["tx_pkts"], p["drops"])'
}
state >"$SYS_TMP/state.before"
capture_start "$B" "$B" "$SYS_TMP/b.pcap"
CAP_B=$SYS_LAST_PID

# traced FILE PORT INDEX: trace packet INDEX of pcap-samples/FILE at PORT, text and JSON.
traced() {
	"$VNETCTL" -s "$SOCK" trace --port "$2" --pcap "$SAMPLES/$1" --index "$3" >"$SYS_TMP/trace.txt" ||
		fail "vnetctl trace --port $2 --pcap $1 --index $3 failed"
	"$VNETCTL" -s "$SOCK" trace --port "$2" --pcap "$SAMPLES/$1" --index "$3" --json >"$SYS_TMP/trace.json" ||
		fail "vnetctl trace --port $2 --pcap $1 --index $3 --json failed"
	cat "$SYS_TMP/trace.txt"
}
# nodes_are NODE...: the JSON trace went through exactly these nodes, in this order.
nodes_are() {
	"$PY" -c '
import json, sys
got = [r["node"] for r in json.load(open(sys.argv[1]))["records"]]
sys.exit(0 if got == sys.argv[2:] else "nodes %s, want %s" % (got, sys.argv[2:]))
' "$SYS_TMP/trace.json" "$@"
}

# 1. spoofed_source.pcap at a: ICMP from 10.0.0.99 with A's MAC -> port_security drops it.
traced spoofed_source.pcap a 0
grep -q '^trace [0-9]*: 47-byte frame in at a (synthetic: nothing learned or sent)$' "$SYS_TMP/trace.txt" ||
	fail "trace header"
REV_NOW=$("$VNETCTL" -s "$(vnetd_sock v)" status --json | json_get "d['revision']")
grep -q "^rules revision $REV_NOW (generation [0-9]*)$" "$SYS_TMP/trace.txt" || fail "the trace does not name the rules revision $REV_NOW"
grep -Eq '^ +1 +port_rx +-> parse( |$)' "$SYS_TMP/trace.txt" || fail "trace: no port_rx -> parse record"
grep -Eq '^ +2 +parse +-> port_security( |$)' "$SYS_TMP/trace.txt" || fail "trace: no parse -> port_security record"
grep -Eq '^ +3 +port_security +-> pkt_drop( |$)' "$SYS_TMP/trace.txt" || fail "trace: no port_security -> pkt_drop record"
grep -q "^verdict: drop (spoof_ip: source IP is not one of the port's IPs" "$SYS_TMP/trace.txt" ||
	fail "trace: verdict is not a spoof_ip drop"
nodes_are port_rx parse port_security pkt_drop || fail "spoofed_source trace nodes"
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))
assert t["verdict"]["action"] == "drop" and t["verdict"]["reason"] == "spoof_ip", t["verdict"]
ps = [r for r in t["records"] if r["node"] == "port_security"][0]
assert ps["verdict"] == "drop" and ps["drop_reason"] == "spoof_ip" and ps["in_port"] == "a", ps
' "$SYS_TMP/trace.json" || fail "spoofed_source trace JSON"
pass "spoofed_source.pcap at a: port_rx, parse, port_security -> drop (spoof_ip)"

# 2. icmp_echo.pcap #0 at a: A -> B echo request -> tx to b; #1 (the reply) at b -> tx to a.
traced icmp_echo.pcap a 0
grep -q '^verdict: tx to b$' "$SYS_TMP/trace.txt" || fail "icmp_echo #0 at a: verdict is not tx to b"
nodes_are port_rx parse port_security sg_egress l2_lookup sg_ingress port_tx || fail "icmp_echo #0 trace nodes"
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))
assert t["verdict"] == {"action": "tx", "ports": ["b"]}, t["verdict"]
r = {x["node"]: x for x in t["records"]}
assert r["port_security"]["fields"] == "port_security=on source=own", r["port_security"]
assert r["l2_lookup"]["next"] == "sg_ingress", r["l2_lookup"]
assert r["sg_ingress"]["next"] == "port_tx", r["sg_ingress"]  # b is not filtered: it passes
assert r["port_tx"]["verdict"] == "tx" and r["port_tx"]["out_port"] == "b", r["port_tx"]
assert all(x["in_port"] == "a" for x in t["records"]), t["records"]
' "$SYS_TMP/trace.json" || fail "icmp_echo #0 trace JSON"
pass "icmp_echo.pcap #0 at a: port_rx, parse, port_security, sg_egress, l2_lookup, sg_ingress, port_tx -> tx to b"
traced icmp_echo.pcap b 1 >/dev/null
grep -q '^verdict: tx to a$' "$SYS_TMP/trace.txt" || fail "icmp_echo #1 at b: verdict is not tx to a"
pass "icmp_echo.pcap #1 at b: tx to a"

# 3. A new source MAC at c (no port security) to B: forwarded in the trace, learned nowhere.
trace_tx_to "$SOCK" c "Ether(src='$MAC_L', dst='$MAC_B')/IP(src='10.0.0.77', dst='10.0.0.11')/ICMP()" b ||
	fail "trace of a new MAC at c is not tx to b"
pass "new source MAC at c (port security off): tx to b"

# 4. Frames larger than one mbuf are traced (a chain of segments), up to 16384 bytes: 3,000 and
# 16,384 bytes from A are dropped for the network's MTU, with their length in the records; one
# byte more is refused with the limit named.
for size in 3000 16384; do
	hex=$("$PY" -c "
from scapy.all import IP, UDP, Ether, Raw
f = Ether(src='$MAC_A', dst='$MAC_B')/IP(src='10.0.0.10', dst='10.0.0.11')/UDP()
print(bytes(f / Raw(b'x' * ($size - len(f)))).hex())")
	"$VNETCTL" -s "$SOCK" trace --port a --hex "$hex" --json >"$SYS_TMP/big.json" ||
		fail "trace of a $size-byte frame failed: $(cat "$SYS_TMP/big.json")"
	"$PY" - "$SYS_TMP/big.json" "$size" <<'PY' || fail "trace of a $size-byte frame"
import json, sys
t, size = json.load(open(sys.argv[1])), int(sys.argv[2])
assert t["verdict"]["action"] == "drop" and t["verdict"]["reason"] == "mtu_exceeded", t["verdict"]
assert t["records"][0]["len"] == size, t["records"][0]
assert all(r["generation"] >= 1 for r in t["records"])
PY
done
hex=$("$PY" -c "print('00' * 16385)")
if "$VNETCTL" -s "$SOCK" trace --port a --hex "$hex" >"$SYS_TMP/big.out" 2>&1; then
	fail "a 16385-byte frame was traced"
fi
grep -q 16384 "$SYS_TMP/big.out" || fail "the refusal does not name the limit: $(cat "$SYS_TMP/big.out")"
pass "3,000- and 16,384-byte frames traced (mtu_exceeded), 16,385 refused"

# Nothing of the dry runs reached B: a marker sent for real afterwards is alone in B's capture.
send_frames "$A" "$A" 1 "Ether(src='$MAC_A', dst='$MAC_B', type=0x88b5)/Raw(b'trace-marker')"
wait_for "marker at b" 5 counter_at_least 1 pcap_count "$SYS_TMP/b.pcap" ether proto 0x88b5 ||
	fail "marker did not reach b"
capture_stop "$CAP_B"
n=$(pcap_count "$SYS_TMP/b.pcap")
if ((n != 1)); then
	tcpdump -n -e -r "$SYS_TMP/b.pcap" >&2 2>/dev/null
	fail "b received $((n - 1)) frames besides the marker: the dry run transmitted"
fi
pass "no traced frame reached b"

# Nothing learned, no drop counted, no port counter moved (but for the marker: a rx, b tx).
state >"$SYS_TMP/state.after"
"$PY" - "$SYS_TMP/state.before" "$SYS_TMP/state.after" <<'EOF' || fail "the dry runs changed vnetd's state"
import difflib, sys
before = open(sys.argv[1]).read().splitlines()
after = open(sys.argv[2]).read().splitlines()
def marker(line):  # "port NAME RX TX DROPS": the marker was received at a and sent at b
    f = line.split()
    if f[:2] == ["port", "a"]:
        f[2] = str(int(f[2]) + 1)
    if f[:2] == ["port", "b"]:
        f[3] = str(int(f[3]) + 1)
    return " ".join(f)
want = [marker(l) if l.startswith("port ") else l for l in before]
if want != after:
    sys.exit("".join(difflib.unified_diff([l + "\n" for l in want], [l + "\n" for l in after],
                                          "expected", "after the traces")))
EOF
pass "dry runs committed nothing: drops, MAC table and port counters unchanged"

# Control: the same frame sent for real from c is learned (so the check above could fail).
send_frames "$C" "$C" 1 "Ether(src='$MAC_L', dst='$MAC_B')/IP(src='10.0.0.77', dst='10.0.0.11')/ICMP()"
wait_for "$MAC_L learned on c" 5 sh -c "'$VNETCTL' -s '$SOCK' show macs | grep -Eiq '$MAC_L +c +learned'" ||
	fail "the real frame from $MAC_L was not learned: $("$VNETCTL" -s "$SOCK" show macs)"
pass "control: the same frame sent for real is learned"

sys_done
