#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live migration (issue 12, item 6; docs/agent.md, "Live migration"): a controller and two hosts
# (tests/lib/agents.sh). The migrating workload stands for a VM: a namespace whose NIC is a veth
# made by "the hypervisor" (the test), its host end named as Neutron names a port's tap, which
# the agent of whichever host the port is bound to has vnetd adopt. A server container S on hv1
# streams TCP to the workload M; M's security group ("client") admits nothing in, so S's segments
# reach M only as a connection M's host knows. The port's binding:host_id is changed through the
# API, back and forth, five times (MOVES), while M pings S every millisecond: each time the host M leaves
# exports its connections to the controller and the host it goes to imports them before the port
# goes live there. Checked: the TCP connection survives every move (it is known on the new host,
# not picked up, and bytes keep coming), each handoff is counted by both agents; printed: the
# gap in the 1 ms ping stream and in the TCP stream at each move and their medians.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"
sys_init amig
ensure_hugepages
# shellcheck source=SCRIPTDIR/../lib/agents.sh
source "$(dirname "$0")/../lib/agents.sh"
ag_controller_start
ag_hosts_start

NET=$(api POST /v2.0/networks '{"network": {"name": "n"}}' | json_get "d['network']['id']") || fail "network"
api POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}" >/dev/null || fail "subnet"
# Groups: "client" admits nothing in (a new group's egress rules only); "server" admits TCP 5001
# and pings.
SG_C=$(api POST /v2.0/security-groups '{"security_group": {"name": "client"}}' | json_get "d['security_group']['id']") || fail "group client"
SG_S=$(api POST /v2.0/security-groups '{"security_group": {"name": "server"}}' | json_get "d['security_group']['id']") || fail "group server"
api POST /v2.0/security-group-rules "{\"security_group_rule\": {\"security_group_id\": \"$SG_S\", \"direction\": \"ingress\",
	\"ethertype\": \"IPv4\", \"protocol\": \"tcp\", \"port_range_min\": 5001, \"port_range_max\": 5001}}" >/dev/null || fail "rule tcp"
api POST /v2.0/security-group-rules "{\"security_group_rule\": {\"security_group_id\": \"$SG_S\", \"direction\": \"ingress\",
	\"ethertype\": \"IPv4\", \"protocol\": \"icmp\"}}" >/dev/null || fail "rule icmp"

S=$(sys_name s) M=$(sys_name m)
PS=$(ag_port s hv1 "\"security_groups\": [\"$SG_S\"]")
ag_container "$S" "$PS" hv1
PM=$(ag_port m hv1 "\"security_groups\": [\"$SG_C\"]")
IPS=$(cat "$SYS_TMP/s.ip") IPM=$(cat "$SYS_TMP/m.ip")
MACM=$(json_get "d['port']['mac_address']" <"$SYS_TMP/m.json")
# The hypervisor's side: the workload's NIC, its host end named tap + the port id's first 11.
TAP=tap${PM:0:11}
netns_add "$M"
iface_add "$TAP" veth peer name eth0 netns "$M"
sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
ip link set "$TAP" up
in_ns "$M" sh -e -c "
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip link set dev eth0 address $MACM
	ip addr add $IPM/24 dev eth0
	ethtool -K eth0 tx off tso off gso off >/dev/null
	ip link set dev eth0 up" || fail "cannot set up the workload's namespace"
# The agent takes the port once its tap exists (it looks every 200 ms).
wait_for "M pings S on hv1" 20 ping_ok "$M" "$IPS" || {
	"$VNETCTL" -s "$(vnetd_sock h1)" show ports; tail -5 "$SYS_TMP/agent-hv1.log"; fail "M cannot ping S"
}
pass "the workload M (port $PM, tap $TAP adopted) and the server S on hv1 ping"

# S streams to M: 1 KiB every millisecond; M notes every gap over 5 ms between two receptions.
spawn "$SYS_TMP/server.log" ip netns exec "$S" "$PY" -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    c.sendall(b"x" * 1024)
    time.sleep(0.001)'
wait_for "S listens" 10 sh -c "ip netns exec $S ss -Hltn | grep -q :5001" || fail "the server: $(cat "$SYS_TMP/server.log")"
spawn "$SYS_TMP/client.log" ip netns exec "$M" "$PY" -u -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5001))
n, last, out = 0, time.time(), open(sys.argv[2], "w", buffering=1)
while True:
    b = s.recv(65536)
    if not b:
        out.write("closed %d\n" % n); break
    now = time.time(); n += len(b)
    if now - last > 0.005:
        out.write("gap %.6f %.1f\n" % (now, (now - last) * 1000))
    last = now
    if n >> 20 != (n - len(b)) >> 20:
        out.write("bytes %d\n" % n)' "$IPS" "$SYS_TMP/client.gaps"
CLIENT_PID=$SYS_LAST_PID
wait_for "M receives S's stream" 10 grep -q "^bytes" "$SYS_TMP/client.gaps" || fail "no stream: $(cat "$SYS_TMP/client.log")"
tcp_bytes() { awk '$1 == "bytes" {n = $2} END {print n + 0}' "$SYS_TMP/client.gaps"; }
in_count() { ag_status "$1" | json_get "d['handoffs']['in']"; }
took() { (($(in_count "$1") > $2)); }           # host, count before: it took one more port
more_bytes() { (($(tcp_bytes) > $1)); }          # M received more than N bytes in all
replies() { (($(grep -c icmp_seq "$1") >= $2)); } # ping output, N: N replies at least

# MOVES moves (default 5; bench/agent_e2e.sh asks for more), back and forth; each during a 1 ms
# ping stream from M to S.
MOVES=${MOVES:-5}
declare -a PING_GAPS TCP_GAPS
from=hv1
for i in $(seq 1 "$MOVES"); do
	to=$([[ $from == hv1 ]] && echo hv2 || echo hv1)
	vfrom=h${from#hv} vto=h${to#hv}
	before=$(in_count "$to") bytes0=$(tcp_bytes)
	ip netns exec "$M" ping -n -i 0.001 -c 2500 -W 1 "$IPS" >"$SYS_TMP/ping.$i" 2>&1 &
	PPID_=$!
	wait_for "the ping stream runs" 10 replies "$SYS_TMP/ping.$i" 300 || fail "no ping stream"
	T0=$("$PY" -c 'import time; print("%.6f" % time.time())')
	api PUT "/v2.0/ports/$PM" "{\"port\": {\"binding:host_id\": \"$to\"}}" >/dev/null || fail "move $i"
	wait_for "$to took the port with its connections" 10 took "$to" "$before" ||
		fail "move $i: $to did not take the port: $(tail -3 "$SYS_TMP/agent-$to.log")"
	wait "$PPID_" || true
	gap=$("$PY" - "$SYS_TMP/ping.$i" <<'PYEOF'
import re, sys
seqs = sorted({int(m.group(1)) for m in re.finditer(r"icmp_seq=(\d+)", open(sys.argv[1]).read())})
print(max([b - a - 1 for a, b in zip(seqs, seqs[1:])] + [0]))
PYEOF
)
	PING_GAPS+=("$gap")
	wait_for "S's stream goes on after move $i" 10 more_bytes $((bytes0 + 2 * 1048576)) ||
		fail "move $i: the TCP stream stopped ($(tail -3 "$SYS_TMP/client.gaps"); $(tail -3 "$SYS_TMP/agent-$to.log"))"
	tgap=$(awk -v t0="$T0" '$1 == "gap" && $2 >= t0 {if ($3 > m) m = $3} END {printf "%.0f", m + 0}' "$SYS_TMP/client.gaps")
	TCP_GAPS+=("$tgap")
	"$VNETCTL" -s "$(vnetd_sock "$vto")" show conntrack --port "$PM" --json >"$SYS_TMP/ct.$i" || fail "show conntrack on $to"
	"$PY" - "$SYS_TMP/ct.$i" "$IPS" <<'PYEOF' || fail "move $i: the connection on $to: $(cat "$SYS_TMP/ct.$i")"
import json, sys
d = json.load(open(sys.argv[1]))
cs = [c for c in d["connections"] if c["protocol"] == "tcp" and c["destination"].endswith(":5001")]
assert cs, "no tcp connection to port 5001"
assert not cs[0]["picked_up"], "picked up, not imported: %s" % cs[0]
PYEOF
	log "move $i ($from -> $to): ping gap ${gap} ms (1 ms stream), TCP gap ${tgap} ms"
	from=$to
done
kill -0 "$CLIENT_PID" 2>/dev/null && ! grep -q closed "$SYS_TMP/client.gaps" || fail "the TCP connection closed"
out=$(ag_status hv1 | json_get "d['handoffs']")
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
pass "$MOVES live migrations with a TCP stream: the connection survived each, imported on the new host (not picked up); ping gaps ${PING_GAPS[*]} ms (median $(median "${PING_GAPS[@]}")), TCP gaps ${TCP_GAPS[*]} ms (median $(median "${TCP_GAPS[@]}")); hv1's handoffs: $out"
sys_done
