#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Security groups across hosts (docs/firewall.md): two vnetd joined by VXLAN (the fabric of
# tests/lib/overlay.sh). Host 1 has containers a1 (group "clients") and c1 (group "others"); host 2
# has s2, whose group "web" lets in TCP 8080 and ICMP only from members of "clients" (a
# remote_group). Each host lists the other's containers as remote ports with their groups. Checks:
# a1 reaches s2 (ping, a TCP transfer) across hosts; c1 does not (sg_denied on host 2, where s2
# is); c1 joins "clients" (the ports' groups change on both hosts, no rule does) and then reaches
# s2; and s2's egress to c1 is not filtered on host 1 (its ports' egress rules allow it).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init fw2h
ensure_hugepages

A1=$(sys_name a1) C1=$(sys_name c1) S2=$(sys_name s2)
U1=$(sys_name u1) U1P=$(sys_name u1p) U2=$(sys_name u2) U2P=$(sys_name u2p)
MAC_A1=02:00:00:00:01:0a MAC_C1=02:00:00:00:01:0c MAC_S2=02:00:00:00:02:14
VTEP1=192.0.2.11 VTEP2=192.0.2.12

fabric_init
fabric_plug "$U1" "$U1P"
fabric_plug "$U2" "$U2P"

port() { # ID TAP_INDEX IFACE MAC IP GROUP
	printf '{"id": "%s", "network": "n", "kind": "container", "device": "net_tap%s,iface=%s",
	  "mac": "%s", "ips": ["%s"], "security_groups": ["%s"]}' "$@"
}
remote() { # MAC IP VTEP GROUP
	printf '{"network": "n", "mac": "%s", "ips": ["%s"], "vtep": "%s", "security_groups": ["%s"]}' "$@"
}
doc() { # REVISION PEER_VTEP PORTS REMOTES
	printf '{"revision": %s,
	  "networks": [{"id": "n", "tenant": "t", "vni": 5001, "mtu": 1450, "flood_vteps": ["%s"]}],
	  "security_groups": [
	    {"id": "web", "tenant": "t", "rules": [
	      {"id": "http", "direction": "ingress", "protocol": "tcp", "ports": "8080", "remote_group": "clients"},
	      {"id": "ping", "direction": "ingress", "protocol": "icmp", "remote_group": "clients"},
	      {"id": "out", "direction": "egress"}]},
	    {"id": "clients", "tenant": "t", "rules": [{"direction": "egress"}]},
	    {"id": "others", "tenant": "t", "rules": [{"direction": "egress"}]}],
	  "ports": [%s], "remote_ports": [%s]}' "$@"
}
h1_doc() { # REVISION C1_GROUP
	doc "$1" $VTEP2 "$(port a1 0 "$A1" $MAC_A1 10.0.0.11 clients), $(port c1 1 "$C1" $MAC_C1 10.0.0.13 "$2")" \
		"$(remote $MAC_S2 10.0.0.12 $VTEP2 web)"
}
h2_doc() { # REVISION C1_GROUP
	doc "$1" $VTEP1 "$(port s2 0 "$S2" $MAC_S2 10.0.0.12 web)" \
		"$(remote $MAC_A1 10.0.0.11 $VTEP1 clients), $(remote $MAC_C1 10.0.0.13 $VTEP1 "$2")"
}
vnetd_config_underlay h1 "$(h1_doc 1 others)" \
	"{\"device\": \"net_af_packet0,iface=$U1\", \"address\": \"$VTEP1/24\", \"mac\": \"02:00:c0:00:02:0b\"}" \
	>"$SYS_TMP/h1.json"
vnetd_config_underlay h2 "$(h2_doc 1 others)" \
	"{\"device\": \"net_af_packet0,iface=$U2\", \"address\": \"$VTEP2/24\", \"mac\": \"02:00:c0:00:02:0c\"}" \
	>"$SYS_TMP/h2.json"
vnetd_start h1 "$SYS_TMP/h1.json"
vnetd_start h2 "$SYS_TMP/h2.json"
H1=$(vnetd_sock h1) H2=$(vnetd_sock h2)
for c in "$A1 $MAC_A1 10.0.0.11" "$C1 $MAC_C1 10.0.0.13" "$S2 $MAC_S2 10.0.0.12"; do
	read -r ns mac addr <<<"$c"
	netns_container "$ns" "$ns" "$mac" "$addr/24"
	container_mtu "$ns" "$ns" 1450
done

# The first pings wait for the peer VTEP's ARP answer (neigh_unresolved until then).
wait_for "a1 pings s2 across hosts" 10 ping_ok "$A1" 10.0.0.12 || fail "a1 (clients) cannot ping s2"
tcp_transfer "$S2" 10.0.0.12 "$A1" 1048576
pass "a1 (group clients, host 1) reaches s2 (host 2) by ICMP and TCP 8080: remote_group across hosts"

before=$(drop_count "$H2" sg_denied)
ping_fails "$C1" 10.0.0.12 || fail "c1 (others) pings s2"
(($(drop_count "$H2" sg_denied) > before)) || fail "c1's pings were not sg_denied on host 2 (counted on the underlay port they came in by)"
pass "c1 (group others) does not reach s2: sg_denied on host 2"

# c1 joins "clients": on host 1 its port's groups, on host 2 its remote port's; no rule changes.
h1_doc 2 clients >"$SYS_TMP/h1-2.json"
h2_doc 2 clients >"$SYS_TMP/h2-2.json"
"$VNETCTL" -s "$H2" apply "$SYS_TMP/h2-2.json" >/dev/null || fail "host 2: c1 into clients"
"$VNETCTL" -s "$H1" apply "$SYS_TMP/h1-2.json" >/dev/null || fail "host 1: c1 into clients"
wait_for "c1 pings s2 once it is a client" 5 ping_ok "$C1" 10.0.0.12 || fail "c1 (now clients) cannot ping s2"
tcp_transfer "$S2" 10.0.0.12 "$C1" 65536
pass "c1 joined clients (remote port's groups on host 2): it reaches s2, with the same rules"
sys_done
