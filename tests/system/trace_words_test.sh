#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets described in words (`vnetctl trace --port P WORDS...`, docs/vnetctl.md, "Packets in
# words"): vnetd builds the frame from the words and its rules (the port's MAC and address, the
# destination port's MAC, the router's MAC off-subnet) and traces it. Golden checks, record by
# record, of each typical case: same-network TCP allowed by a group; routed to another network;
# refused by a group (the rule's absence named); ARP for the gateway answered by vnetd; ICMPv6
# echo; an HTTP request and a TLS ClientHello (their fields as parse sees them); a spoofed
# source; a frame in VXLAN at the underlay, decapsulated to its port. Bad words get clear errors.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init trw
ensure_hugepages
vnetd_config_underlay_doc() {
	cat <<EOF2
{"revision": 3,
 "networks": [{"id": "web", "tenant": "blue", "vni": 5001, "mtu": 1450, "router": "r1",
               "subnets": [{"cidr": "10.1.0.0/24", "gateway": "10.1.0.1"}, {"cidr": "fd00:1::/64", "gateway": "fd00:1::1"}]},
              {"id": "db", "tenant": "blue", "vni": 5002, "mtu": 1450, "router": "r1",
               "subnets": [{"cidr": "10.2.0.0/24", "gateway": "10.2.0.1"}]}],
 "routers": [{"id": "r1", "tenant": "blue", "mac": "02:00:00:00:ff:01"}],
 "security_groups": [
   {"id": "sg-web", "tenant": "blue", "rules": [{"id": "http", "direction": "ingress", "protocol": "tcp", "ports": "80"},
                                               {"id": "out", "direction": "egress"}]},
   {"id": "sg-db", "tenant": "blue", "rules": [{"id": "pg", "direction": "ingress", "protocol": "tcp", "ports": "5432"},
                                              {"id": "out", "direction": "egress"}]}],
 "ports": [
   {"id": "web1", "network": "web", "device": "net_null1,no-rx=1", "mac": "02:00:00:00:01:0b", "ips": ["10.1.0.11", "fd00:1::b"], "security_groups": ["sg-web"]},
   {"id": "web2", "network": "web", "device": "net_null2,no-rx=1", "mac": "02:00:00:00:01:0c", "ips": ["10.1.0.12", "fd00:1::c"], "security_groups": ["sg-web"]},
   {"id": "db1", "network": "db", "device": "net_null3,no-rx=1", "mac": "02:00:00:00:02:07", "ips": ["10.2.0.7"], "security_groups": ["sg-db"]}],
 "remote_ports": [{"network": "web", "mac": "02:00:00:00:03:0d", "ips": ["10.1.0.13"], "vtep": "192.0.2.99"}]}
EOF2
}
U=$(sys_name u) UP=$(sys_name up)
iface_add "$U" veth peer name "$UP"
ip link set "$U" up
ip link set "$UP" up
vnetd_config_underlay v "$(vnetd_config_underlay_doc)" \
	"{\"device\": \"net_af_packet0,iface=$U\", \"address\": \"192.0.2.11/24\", \"mac\": \"02:00:c0:00:02:0b\", \"static_neighbors\": [{\"ip\": \"192.0.2.99\", \"mac\": \"02:00:c0:00:02:63\"}]}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# trace PORT WORDS...: the JSON answer in $SYS_TMP/t.json (fails the test if vnetd refuses)
trace() {
	local port=$1
	shift
	"$VNETCTL" -s "$SOCK" trace --port "$port" --json "$@" >"$SYS_TMP/t.json" ||
		fail "trace --port $port $*: $(cat "$SYS_TMP/t.json")"
}
# check NAME PYTHON: assertions on r (the answer), recs (its records), nodes (their node names)
check() {
	"$PY" - "$SYS_TMP/t.json" "$2" <<'PY' || fail "$1: $(cat "$SYS_TMP/t.json")"
import json, sys
r = json.load(open(sys.argv[1]))
recs = r["records"]
nodes = [x["node"] for x in recs]
def rec(node):
    return next(x for x in recs if x["node"] == node)
exec(sys.argv[2])
PY
	pass "$1"
}

# Same network, allowed by sg-web's http rule: the destination MAC came from the rules (a static
# entry: web1's).
trace web2 from 10.1.0.12 to 10.1.0.11 tcp dport 80 syn
check "same network: web2 -> web1 tcp 80 syn: egress rule out, web1's MAC, ingress rule http, tx to web1" '
assert nodes == ["port_rx", "parse", "port_security", "sg_egress", "l2_lookup", "sg_ingress", "port_tx"], nodes
assert rec("parse")["data"]["l4"] == "tcp" and rec("parse")["data"]["l3_len"] == 40, rec("parse")
assert "source=own" in rec("port_security")["fields"], rec("port_security")
assert "allowed rule=out" in rec("sg_egress")["fields"], rec("sg_egress")
assert "static" in rec("l2_lookup")["fields"], rec("l2_lookup")
assert "allowed rule=http" in rec("sg_ingress")["fields"], rec("sg_ingress")
assert r["verdict"] == {"action": "tx", "ports": ["web1"]}, r["verdict"]
assert r["frame_len"] == 60, r["frame_len"]'
# The source defaults to the port's address; off-subnet goes to the router's MAC.
trace web1 to 10.2.0.7 tcp dport 5432 syn
check "routed: web1 -> db1 (10.2.0.7, another network): sent to r1's MAC, routed, allowed by db1's rule pg" '
assert "router" in rec("l2_lookup")["fields"] and rec("l2_lookup")["next"] == "ip_route", rec("l2_lookup")
assert "allowed rule=pg" in rec("sg_ingress")["fields"], rec("sg_ingress")
assert r["verdict"] == {"action": "tx", "ports": ["db1"]}, r["verdict"]'
trace web1 to 10.2.0.7 tcp dport 22 syn
check "refused: web1 -> db1 tcp 22: routed, then denied at db1's ingress (sg_denied)" '
assert "denied" in rec("sg_ingress")["fields"] and rec("sg_ingress")["next"] == "pkt_drop", rec("sg_ingress")
assert r["verdict"]["action"] == "drop" and r["verdict"]["reason"] == "sg_denied", r["verdict"]'
trace web1 arp who-has 10.1.0.1
check "arp who-has the gateway (broadcast): vnetd answers for the router" '
assert rec("parse")["data"]["l3"] == "arp", rec("parse")
assert "ARP reply for 10.1.0.1" in rec("arp_nd_responder")["fields"], rec("arp_nd_responder")
assert r["verdict"] == {"action": "tx", "ports": ["web1"]}, r["verdict"]'
trace web1 to fd00:1::c icmp6 echo
check "icmp6 echo web1 -> web2: IPv6 from the port's address, web2's group has no ICMP rule: sg_denied" '
assert rec("parse")["data"]["l3"] == "ip6" and rec("parse")["data"]["l4"] == "icmp6", rec("parse")
assert "allowed rule=out" in rec("sg_egress")["fields"] and "static" in rec("l2_lookup")["fields"], recs
assert r["verdict"]["reason"] == "sg_denied", r["verdict"]'
trace web2 to 10.1.0.11 http host shop.example path /api
check "http host shop.example path /api: a TCP 80 segment with the request (68 bytes of payload), to web1" '
assert rec("parse")["data"]["l3_len"] == 40 + len("GET /api HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: vnetctl-trace\r\n\r\n"), rec("parse")
assert "allowed rule=http" in rec("sg_ingress")["fields"], rec("sg_ingress")
assert r["verdict"] == {"action": "tx", "ports": ["web1"]}, r["verdict"]'
trace web2 to 10.1.0.13 tls sni a.example
check "tls sni to a port on another host: its MAC from remote_ports, out in VXLAN to VTEP 192.0.2.99" '
assert "VTEP 192.0.2.99" in rec("l2_lookup")["fields"], rec("l2_lookup")
assert "vxlan_encap" in nodes, nodes
assert r["verdict"] == {"action": "tx", "ports": ["underlay"]}, r["verdict"]'
trace web1 from 10.1.0.99 to 10.1.0.12 icmp echo
check "spoofed source 10.1.0.99 at web1: dropped at port_security as spoof_ip" '
assert nodes == ["port_rx", "parse", "port_security", "pkt_drop"], nodes
assert r["verdict"]["reason"] == "spoof_ip", r["verdict"]'
trace underlay vxlan vni 5001 from-vtep 192.0.2.99 from 10.1.0.13 to 10.1.0.11 tcp dport 80 syn
check "vxlan at the underlay (outer to our VTEP and MAC, inner MACs from the rules): decapsulated, tx to web1" '
assert nodes[:4] == ["port_rx", "underlay_input", "vxlan_decap", "tunnel_input"], nodes
assert "vni=5001 outer_src=192.0.2.99 outer_dst=192.0.2.11" in rec("vxlan_decap")["fields"], rec("vxlan_decap")
assert "allowed rule=http" in rec("sg_ingress")["fields"], rec("sg_ingress")
assert r["verdict"] == {"action": "tx", "ports": ["web1"]}, r["verdict"]'

trace web2 to 10.1.0.11 tcp sport 8080 dport 40000 syn ack
check "a SYN-ACK to no connection: dropped as ct_invalid at sg_egress, as the real one is (it said tx)" '
assert "invalid" in rec("sg_egress")["fields"] and rec("sg_egress")["next"] == "pkt_drop", rec("sg_egress")
assert r["verdict"]["reason"] == "ct_invalid", r["verdict"]'

# Bad words: clear errors, nothing traced.
bad() { # expected-error WORDS...
	local want=$1 out
	shift
	if out=$("$VNETCTL" -s "$SOCK" trace --port web1 "$@" 2>&1); then
		fail "trace $* was accepted: $out"
	fi
	[[ $out == *"$want"* ]] || fail "trace $*: want \"$want\" in: $out"
}
bad 'unknown word "frm"' frm 10.1.0.1
bad 'to "10.1.0.300": not an IPv4 or IPv6 address' to 10.1.0.300
bad 'say where the packet goes' tcp syn
bad 'no port of network web has address 10.1.0.77: say to-mac' to 10.1.0.77
bad 'dport "70000": 0..65535' to 10.1.0.12 tcp dport 70000
bad 'vxlan: frames in VXLAN come in at the underlay' vxlan vni 5001 from-vtep 192.0.2.99 to 10.1.0.12
bad '"echo" goes with icmp or icmp6' to 10.1.0.12 tcp echo
pass "bad words: clear errors (unknown word, bad address, no destination, unknown address, range, vxlan at a vNIC, echo on tcp)"
sys_done
