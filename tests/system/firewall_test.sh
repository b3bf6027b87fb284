#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Security groups and conntrack between real containers (veth vNICs, one vnetd): a web server in
# group "web" (ingress TCP 8080, UDP 5353 and ICMP; egress anything) and clients in group
# "client" (egress anything, no ingress rule). TCP to the allowed port crosses (checksum compared),
# to another port it does not (counted as sg_denied); pings go one way only, their replies pass;
# UDP replies pass; removing the TCP rule cuts an established connection at its next packet;
# tenant red, at its conntrack limit (tenant_max 300), has its new connections dropped
# (ct_tenant_limit) while tenant blue's 200 new ones all succeed.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init fwl
ensure_hugepages

port() { # id network mac ip groups
	printf '{"id": "%s", "network": "%s", "kind": "container", "device": "veth:%s,netns=%s",
	  "mac": "%s", "ips": ["%s"], "security_groups": %s}' "$1" "$2" "$(sys_name h$1)" "$(sys_name $1)" "$3" "$4" "$5"
}
web_rules() { # with the TCP 8080 rule or not
	printf '[%s{"id": "dns", "direction": "ingress", "protocol": "udp", "ports": "5353"},
	  {"id": "ping", "direction": "ingress", "protocol": "icmp"},
	  {"id": "out", "direction": "egress"}]' "$([[ $1 == with ]] && echo '{"id": "http", "direction": "ingress", "protocol": "tcp", "ports": "8080"},')"
}
doc() { # revision, web rules (with/without)
	cat <<EOF
{"revision": $1,
 "networks": [{"id": "blue", "tenant": "blue", "vni": 5001}, {"id": "red", "tenant": "red", "vni": 5002}],
 "security_groups": [
   {"id": "web", "tenant": "blue", "rules": $(web_rules "$2")},
   {"id": "client", "tenant": "blue", "rules": [{"direction": "egress"}]},
   {"id": "rweb", "tenant": "red", "rules": [{"direction": "ingress", "protocol": "udp"}, {"direction": "egress"}]},
   {"id": "rclient", "tenant": "red", "rules": [{"direction": "egress"}]}],
 "ports": [$(port c1 blue 02:00:00:00:01:01 10.0.0.11 '["web"]'),
   $(port c2 blue 02:00:00:00:01:02 10.0.0.12 '["client"]'),
   $(port r1 red 02:00:00:00:02:01 10.0.0.11 '["rweb"]'),
   $(port r2 red 02:00:00:00:02:02 10.0.0.12 '["rclient"]')]}
EOF
}
for c in c1 c2 r1 r2; do
	netns_add "$(sys_name $c)"
	SYS_IFACES+=("$(sys_name h$c)")
done
vnetd_config v "$(doc 1 with)" >"$SYS_TMP/vnetd.json"
"$PY" - "$SYS_TMP/vnetd.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["conntrack"] = {"tenant_max": 300}
json.dump(c, open(sys.argv[1], "w"))
PY
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
for c in c1 c2 r1 r2; do
	ip=10.0.0.1${c:1}
	in_ns "$(sys_name $c)" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip addr add $ip/24 dev eth0
		ip link set dev eth0 up"
done
C1=$(sys_name c1) C2=$(sys_name c2) R1=$(sys_name r1) R2=$(sys_name r2)
drops() { drop_count "$SOCK" "$1"; }

wait_for "c2 pings c1" 10 ping_ok "$C2" 10.0.0.11 || fail "c2 cannot ping c1 (ingress ICMP allowed on c1)"
ping_fails "$C1" 10.0.0.12 || fail "c1 pings c2, which has no ingress rule"
[[ $(drops sg_denied) -ge 1 ]] || fail "c1's pings to c2 were not counted as sg_denied"
pass "ICMP: c2 -> c1 allowed with its replies; c1 -> c2 denied (sg_denied)"

tcp_transfer "$C1" 10.0.0.11 "$C2" 1048576
pass "TCP to c1:8080 (rule http) crosses, 1 MiB checksum matches"

before=$(drops sg_denied)
in_ns "$C2" "$PY" - <<'PY' && fail "c2 connected to c1:9090 (no rule)"
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("10.0.0.11", 9090))
except OSError:
    sys.exit(1)
PY
[[ $(drops sg_denied) -gt $before ]] || fail "the SYNs to c1:9090 were not counted as sg_denied"
pass "TCP to c1:9090 (no rule) does not connect; counted as sg_denied"

# The firewall log streams the denied connections as they happen.
spawn "$SYS_TMP/fwlog.out" "$VNETCTL" -s "$SOCK" firewall log --port c1 --count 2 --json
LOGPID=$SYS_LAST_PID
deny_once() {
	in_ns "$C2" "$PY" -c '
import socket
s = socket.socket()
s.settimeout(0.3)
try:
    s.connect(("10.0.0.11", 9090))
except OSError:
    pass' || true
	[ "$(grep -c destination_port "$SYS_TMP/fwlog.out")" -ge 2 ]
}
wait_for "two denied connections in the firewall log" 15 deny_once ||
	fail "firewall log: $(cat "$SYS_TMP/fwlog.out")"
wait_for "firewall log ends after --count 2" 5 sh -c "! kill -0 $LOGPID 2>/dev/null" || fail "firewall log did not end"
"$PY" - "$SYS_TMP/fwlog.out" <<'PY' || fail "firewall log lines: $(cat "$SYS_TMP/fwlog.out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) == 2, lines
for l in lines:
    assert l["port"] == "c1" and l["tenant"] == "blue" and l["direction"] == "ingress", l
    assert l["protocol"] == "tcp" and l["destination"] == "10.0.0.11" and l["destination_port"] == 9090, l
    assert l["source"] == "10.0.0.12" and l["why"] == "no rule allows it", l
PY
pass "firewall log: the denied connections to c1:9090, as they happened, then it ended after 2"

# UDP: c1 answers on 5353; its answers are replies (c2 has no ingress rule).
udp_echo() { # NS: a UDP echo server on 10.0.0.11:5353 in NS, until the test ends
	spawn "$SYS_TMP/udp_echo_$1.log" in_ns "$1" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.11", 5353))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)'
	wait_for "udp echo in $1" 10 sh -c "[ \"\$(ip netns exec $1 ss -Hlun | grep -c 5353)\" -ge 1 ]" ||
		fail "no UDP echo in $1"
}
udp_echo "$C1"
udp_ok() { # ns, dst, n flows: prints how many of n flows (one source port each) got their answer
	in_ns "$1" "$PY" - "$2" "$3" <<'PY'
import socket, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.setblocking(False)
    s.sendto(b"q%d" % i, (dst, 5353))
    socks.append(s)
    if i % 32 == 31:  # paced: the veth ring (256 frames) is not what refuses
        time.sleep(0.005)
got, deadline = set(), time.time() + 3
while len(got) < n and time.time() < deadline:
    for i, s in enumerate(socks):
        try:
            s.recv(64)
            got.add(i)
        except BlockingIOError:
            pass
    time.sleep(0.01)
print(len(got))
PY
}
[[ $(udp_ok "$C2" 10.0.0.11 5) == 5 ]] || fail "UDP c2 -> c1:5353 answers did not all come back"
pass "UDP: queries to c1:5353 allowed, their answers come back to c2 (no ingress rule on c2)"

# An established connection, then the rule that allowed it goes: it stops at its next packet.
spawn "$SYS_TMP/tcp_echo.log" in_ns "$C1" "$PY" -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.11", 8080))
s.listen(1)
c, _ = s.accept()
while True:
    d = c.recv(64)
    if not d:
        break
    c.sendall(d)'
wait_for "tcp echo on c1" 10 sh -c "ip netns exec $C1 ss -Hltn | grep -q 10.0.0.11:8080" || fail "no TCP echo"
spawn "$SYS_TMP/tcp_client.log" in_ns "$C2" "$PY" -u -c '
import socket, sys, time
s = socket.create_connection(("10.0.0.11", 8080), timeout=5)
s.settimeout(0.5)
i = 0
while True:
    s.sendall(b"x")
    try:
        print("echo" if s.recv(64) == b"x" else "bad", i)
    except socket.timeout:
        print("timeout", i)
    i += 1
    time.sleep(0.1)'
wait_for "the client's echoes" 10 sh -c "grep -q '^echo' '$SYS_TMP/tcp_client.log'" || fail "no echo on the TCP connection"
"$VNETCTL" -s "$SOCK" show conntrack --port c1 --json | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
c = [x for x in r["connections"] if x["destination"] == "10.0.0.11:8080" and x["state"] == "established"]
assert c, r
assert all(x["tenant"] == "blue" and x["responder_rule"] == "http" and x["originator_rule"] == "client#0"
           for x in c), c
' || fail "show conntrack does not show the connection with its rules: $("$VNETCTL" -s "$SOCK" show conntrack --port c1)"
pass "show conntrack: the connection, established, allowed by client#0 (egress of c2) and http (ingress of c1)"
# Export c1's connections; import them into another vnetd (the host c1 would move to).
"$VNETCTL" -s "$SOCK" conntrack export --port c1 >"$SYS_TMP/export.json" 2>"$SYS_TMP/export.err" || fail "conntrack export: $(cat "$SYS_TMP/export.err")"
"$PY" - "$SYS_TMP/export.json" <<'PY' || fail "the export lacks the connection: $(cat "$SYS_TMP/export.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["port"] == "c1" and d["tenant"] == "blue", d
assert any(c["destination"] == "10.0.0.11" and c["destination_port"] == 8080 and c["state"] == "established"
           and c["protocol"] == 6 for c in d["connections"]), d
PY
vnetd_config w '{"revision": 1, "networks": [{"id": "blue", "tenant": "blue", "vni": 5001}],
  "security_groups": [{"id": "web", "tenant": "blue", "rules": [{"direction": "egress"}]}],
  "ports": [{"id": "c1", "network": "blue", "device": "net_null7,no-rx=1", "mac": "02:00:00:00:01:01",
    "ips": ["10.0.0.11"], "security_groups": ["web"]}]}' >"$SYS_TMP/vnetd-w.json"
vnetd_start w "$SYS_TMP/vnetd-w.json"
out=$("$VNETCTL" -s "$(vnetd_sock w)" conntrack import "$SYS_TMP/export.json") || fail "conntrack import: $out"
[[ $out == "imported "[1-9]* ]] || fail "nothing imported: $out"
"$VNETCTL" -s "$(vnetd_sock w)" show conntrack --port c1 --json | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
assert any(x["destination"] == "10.0.0.11:8080" and x["state"] == "established" and not x["picked_up"]
           and x["tenant"] == "blue" for x in r["connections"]), r
' || fail "the imported connection is not there: $("$VNETCTL" -s "$(vnetd_sock w)" show conntrack)"
out=$("$VNETCTL" -s "$(vnetd_sock w)" conntrack import "$SYS_TMP/export.json") || fail "second import: $out"
[[ $out == "imported 0, already known "[1-9]* ]] || fail "the second import: $out"
"$PY" - "$SYS_TMP/export.json" >"$SYS_TMP/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["connections"][0]["destination"] = d["connections"][0]["source"] = "10.9.9.9"
print(json.dumps(d))
PY
out=$("$VNETCTL" -s "$(vnetd_sock w)" conntrack import "$SYS_TMP/bad.json" 2>&1) && fail "a connection of other addresses was imported"
[[ $out == *"connections[0]: neither end is an address of the port"* ]] || fail "bad import refused with: $out"
vnetd_stop w
pass "conntrack export of c1, import into another vnetd: established, not picked up; known again; a stranger's refused"
hits() { # group rule: the rule's hits
	"$VNETCTL" -s "$SOCK" show security-groups --group "$1" --json |
		"$PY" -c 'import json, sys; print([r["hits"] for r in json.load(sys.stdin)[0]["rules"] if r["id"] == sys.argv[1]][0])' "$2"
}
ping_hits=$(hits web ping)
((ping_hits >= 1 && $(hits web http) >= 2)) || fail "rule hits: ping $ping_hits, http $(hits web http)"
doc 2 without >"$SYS_TMP/rev2.json"
"$VNETCTL" -s "$SOCK" apply "$SYS_TMP/rev2.json" >/dev/null || fail "applying revision 2"
n_at=$(wc -l <"$SYS_TMP/tcp_client.log")
wait_for "the connection cut" 10 sh -c "tail -n +$((n_at + 1)) '$SYS_TMP/tcp_client.log' | grep -q '^timeout'" ||
	fail "the connection still passes after its rule went: $(tail -3 "$SYS_TMP/tcp_client.log")"
(($(hits web ping) >= ping_hits)) || fail "rule ping's count was reset by the change: $(hits web ping) < $ping_hits"
pass "removing rule http cut the established connection at its next packet; the other rules kept their counts"

# Tenant red at its limit (300): its new connections are dropped; blue's (under its own limit)
# are not.
udp_echo "$R1"
# One flow first: r2's kernel resolves r1's address (it would drop what waits beyond its queue).
[[ $(udp_ok "$R2" 10.0.0.11 1) == 1 ]] || fail "UDP r2 -> r1 does not answer"
red=$(udp_ok "$R2" 10.0.0.11 400)
((red == 299)) || fail "tenant red made 1 + $red of 1 + 400 connections, its limit is 300"
[[ $(drops ct_tenant_limit) -ge 101 ]] || fail "red's refused connections were not counted as ct_tenant_limit: $("$VNETCTL" -s "$SOCK" drops)"
blue=$(udp_ok "$C2" 10.0.0.11 200)
((blue == 200)) || fail "tenant blue got $blue of 200 new connections while red was at its limit"
pass "tenant red at its limit: 1 + $red of 1 + 400 new connections ($(drops ct_tenant_limit) ct_tenant_limit); tenant blue: 200 of 200"
sys_done
