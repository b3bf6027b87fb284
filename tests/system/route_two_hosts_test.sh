#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Distributed routing (issue 9) between two vnetd "hosts" joined by VXLAN over a fabric namespace
# (as vxlan_two_hosts). Tenant A's router rA joins three networks, a1 (10.1.0.0/24, fd01::/64),
# a2 (10.2.0.0/24, fd02::/64) and a3 (10.3.0.0/24, fd03::/64); its containers are veth ports that
# vnetd makes (`veth:HOST,netns=NS`), spread over both hosts, with default routes via their
# gateways (IPv6 through vnetd's ND responder, addresses without DAD). Both hosts carry every
# network (each host's rules list its own containers as ports and the other host's as remote
# ports with their IPs, and the other VTEP as flood VTEP), so each host routes what its own
# containers send. Tenant B has the same prefixes and addresses on the same hosts (router rB,
# networks b1 and b2).
#
#   host 1: a11 (a1, 10.1.0.11, fd01::11)  a21 (a2, 10.2.0.21, fd02::21)
#           bh1 (b1, 10.1.0.11, fd01::11: a11's addresses)
#   host 2: a12 (a1, 10.1.0.12, fd01::12)  a32 (a3, 10.3.0.32, fd03::32)
#           ap  (a2, 10.2.0.50, fd02::50, no port security): a Linux router (forwarding on) with
#               the server srv behind it (10.50.0.1, fd50::1) on a veth of its own
#           bh2 (b2, 10.2.0.21, fd02::21: a21's addresses)
#   rA's static routes: 10.50.0.0/16 via 10.2.0.50, fd50::/48 via fd02::50 (the appliance);
#   10.66.0.0/16 and fd66::/48 blackhole. rB has none.
#
# Checks: routed pings both ways in both families, on one host and across hosts, with the TTL /
# hop limit of the echo reply one less than the sender's 64 (switched pings keep 64); the
# gateways answer ping (TTL 64) and the containers learned them by ARP / ND with the router MAC;
# 1 MiB TCP transfers across hosts routed in IPv4 and IPv6 (SHA-256 compared); the appliance
# behind its static routes (srv answers with TTL 62: one hop in the appliance, one in vnetd);
# blackhole routes drop exactly what was sent as route_blackhole; tenant B routes between its own
# containers (the same addresses as A's) and never reaches A's: A's ports' counters stay still,
# A-only destinations are no_route in B. No other drop reason than those expected.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init rt2h
SYS_VNETD_MB=256 # the routers' FIBs (32 MiB each family) beside the switching tables
ensure_hugepages 320 # two vnetd of 256 MiB: 256 pages, and room for what EAL takes beyond

U1=$(sys_name u1) U1P=$(sys_name u1p) U2=$(sys_name u2) U2P=$(sys_name u2p)
declare -A VTEP=([1]=192.0.2.11 [2]=192.0.2.12) UMAC=([1]=02:00:c0:00:02:0b [2]=02:00:c0:00:02:0c)
declare -A UNDERLAY=([1]=$U1 [2]=$U2)
MAC_RA=02:00:00:00:0a:fe MAC_RB=02:00:00:00:0b:fe

# The containers: id host network MAC IPv4 IPv6 [nosec]. Network "a2" is tenant A's second one.
CONTAINERS=(
	"a11 1 a1 02:00:00:0a:01:11 10.1.0.11 fd01::11"
	"a21 1 a2 02:00:00:0a:02:21 10.2.0.21 fd02::21"
	"a12 2 a1 02:00:00:0a:01:12 10.1.0.12 fd01::12"
	"a32 2 a3 02:00:00:0a:03:32 10.3.0.32 fd03::32"
	"ap 2 a2 02:00:00:0a:02:50 10.2.0.50 fd02::50 nosec"
	"bh1 1 b1 02:00:00:0b:01:11 10.1.0.11 fd01::11"
	"bh2 2 b2 02:00:00:0b:02:21 10.2.0.21 fd02::21"
)
declare -A NS=() HOST=() NET=() IP4=() IP6=()
for c in "${CONTAINERS[@]}"; do
	read -r id host net _ ip4 ip6 _ <<<"$c"
	NS[$id]=$(sys_name "$id") HOST[$id]=$host NET[$id]=$net IP4[$id]=$ip4 IP6[$id]=$ip6
done
SRV=$(sys_name srv)

fabric_init
fabric_plug "$U1" "$U1P"
fabric_plug "$U2" "$U2P"
# vnetd creates each container's veth pair into its namespace: the namespaces first.
for id in "${!NS[@]}"; do
	netns_add "${NS[$id]}"
	SYS_IFACES+=("${NS[$id]}") # vnetd's end of the pair, in the root namespace, the same name
done
netns_add "$SRV"

# rules HOST: host HOST's rules document (networks and routers are the same on both hosts).
rules() {
	TAG=$SYS_TAG VTEP1=${VTEP[1]} VTEP2=${VTEP[2]} "$PY" - "$1" "${CONTAINERS[@]}" <<'PY'
import json, os, sys
host, containers = int(sys.argv[1]), [c.split() for c in sys.argv[2:]]
tag = os.environ["TAG"]
vtep = {1: os.environ["VTEP1"], 2: os.environ["VTEP2"]}
peer = vtep[3 - host]
def net(id, tenant, vni, router, n):
    return {"id": id, "tenant": tenant, "vni": vni, "mtu": 1450, "router": router,
            "subnets": [{"cidr": f"10.{n}.0.0/24", "gateway": f"10.{n}.0.1"},
                        {"cidr": f"fd0{n}::/64", "gateway": f"fd0{n}::1"}],
            "flood_vteps": [peer]}
doc = {"revision": 1,
       "networks": [net("a1", "A", 6001, "rA", 1), net("a2", "A", 6002, "rA", 2),
                    net("a3", "A", 6003, "rA", 3),
                    net("b1", "B", 7001, "rB", 1), net("b2", "B", 7002, "rB", 2)],
       "routers": [{"id": "rA", "tenant": "A", "mac": "02:00:00:00:0a:fe", "routes": [
                        {"prefix": "10.50.0.0/16", "nexthop": "10.2.0.50"},
                        {"prefix": "fd50::/48", "nexthop": "fd02::50"},
                        {"prefix": "10.66.0.0/16", "blackhole": True},
                        {"prefix": "fd66::/48", "blackhole": True}]},
                   {"id": "rB", "tenant": "B", "mac": "02:00:00:00:0b:fe"}],
       "ports": [], "remote_ports": []}
for c in containers:
    id, h, network, mac, ip4, ip6 = c[:6]
    if int(h) == host:
        name = f"{tag}-{id}"
        port = {"id": id, "network": network, "kind": "container",
                "device": f"veth:{name},netns={name}", "mac": mac, "ips": [ip4, ip6]}
        if "nosec" in c[6:]:
            port["port_security"] = False
        doc["ports"].append(port)
    else:
        doc["remote_ports"].append({"network": network, "mac": mac, "ips": [ip4, ip6],
                                    "vtep": vtep[int(h)]})
print(json.dumps(doc))
PY
}
for h in 1 2; do
	vnetd_config_underlay h$h "$(rules $h)" \
		"{\"device\": \"net_af_packet0,iface=${UNDERLAY[$h]}\", \"address\": \"${VTEP[$h]}/24\",
		  \"mac\": \"${UMAC[$h]}\"}" >"$SYS_TMP/h$h.json"
done
vnetd_start h1 "$SYS_TMP/h1.json"
vnetd_start h2 "$SYS_TMP/h2.json"
S1=$(vnetd_sock h1) S2=$(vnetd_sock h2)
declare -A SOCK=([1]=$S1 [2]=$S2)

# Each container: eth0 (vnetd made it, with the port's MAC and the network's MTU 1450), its
# addresses (IPv6 without DAD, the link-local too), default routes via its network's gateways.
# Neighbour entries stay reachable for 5 minutes or more: no container sends a probe of its own
# accord during the test (tenant A's ports must stay still while B is checked).
# With a default route, name lookups (http.server resolves its own address) would go to the
# host's name servers through vnetd, which has no route there: unreachable in the containers.
NAMESERVERS=$(awk '$1 == "nameserver" && $2 !~ /^(127\.|::1$)/ {print $2}' /etc/resolv.conf 2>/dev/null || true)
for id in "${!NS[@]}"; do
	ns=${NS[$id]} n=${NET[$id]:1}
	wait_for "eth0 in $ns" 10 ip -n "$ns" link show eth0 || fail "vnetd made no eth0 in $ns"
	in_ns "$ns" sh -e -c "
		sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.eth0.accept_dad=0 \
			net.ipv6.conf.eth0.router_solicitations=0 net.ipv6.conf.eth0.accept_ra=0 \
			net.ipv4.neigh.eth0.base_reachable_time_ms=600000 \
			net.ipv6.neigh.eth0.base_reachable_time_ms=600000
		ip addr add ${IP4[$id]}/24 dev eth0
		ip -6 addr add ${IP6[$id]}/64 dev eth0 nodad
		ip link set dev eth0 up
		ip route add default via 10.$n.0.1
		ip -6 route add default via fd0$n::1" || fail "cannot configure $id's eth0 in $ns"
	for a in $NAMESERVERS; do
		in_ns "$ns" ip route add unreachable "$a" || fail "cannot add unreachable $a in $ns"
	done
done
# The appliance: forwarding on, eth1 to the server behind it, which has a default route back.
in_ns "${NS[ap]}" ip link add eth1 type veth peer name eth0 netns "$SRV" || fail "veth ap <-> srv"
for spec in "${NS[ap]} eth1 10.50.0.254/24 fd50::fe/64" "$SRV eth0 10.50.0.1/24 fd50::1/64"; do
	read -r ns ifc a4 a6 <<<"$spec"
	in_ns "$ns" sh -e -c "
		sysctl -qw net.ipv6.conf.$ifc.accept_dad=0 net.ipv6.conf.$ifc.accept_ra=0
		ip addr add $a4 dev $ifc
		ip -6 addr add $a6 dev $ifc nodad
		ip link set dev $ifc up" || fail "cannot configure $ifc in $ns"
done
in_ns "$SRV" ip route add default via 10.50.0.254
in_ns "$SRV" ip -6 route add default via fd50::fe
in_ns "${NS[ap]}" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
pass "two hosts, tenants A (3 networks) and B (2, the same prefixes), $((${#NS[@]})) containers on veth ports"

# ttl_is SRC DST WANT: one ping from container SRC to DST answered with TTL (hop limit) WANT.
ttl_is() {
	local got
	got=$(ping_ttl "${NS[$1]}" "$2") || fail "ping $1 -> $2 not answered"
	[[ $got == "$3" ]] || fail "ping $1 -> $2: echo reply with TTL $got, want $3"
}

# The first frames across hosts wait for the underlay's ARP (dropped as neigh_unresolved).
wait_for "first routed ping a11 -> a32 across hosts" 10 ping_ok "${NS[a11]}" 10.3.0.32 ||
	fail "routed ping a11 (host 1, a1) -> a32 (host 2, a3)"
wait_for "first routed ping a11 -> fd03::32 across hosts" 10 ping_ok "${NS[a11]}" fd03::32 ||
	fail "routed ping a11 -> fd03::32 (IPv6, host 1 -> host 2)"

# Gateways: ping answered by the router itself (TTL 64: not routed), every gateway of the
# router from any of its networks; the containers resolved their gateway to the router MAC.
for id in a11 a21 a12 a32; do
	n=${NET[$id]:1}
	ttl_is $id "10.$n.0.1" 64
	ttl_is $id "fd0$n::1" 64
done
ttl_is a11 10.3.0.1 64
ttl_is a32 fd01::1 64
for id in a11 a32; do
	n=${NET[$id]:1}
	in_ns "${NS[$id]}" ip neigh show "10.$n.0.1" dev eth0 | grep -q "lladdr $MAC_RA" ||
		fail "$id: ARP for 10.$n.0.1: $(in_ns "${NS[$id]}" ip neigh show "10.$n.0.1")"
	in_ns "${NS[$id]}" ip -6 neigh show "fd0$n::1" dev eth0 | grep -q "lladdr $MAC_RA router" ||
		fail "$id: ND for fd0$n::1 (router flag): $(in_ns "${NS[$id]}" ip -6 neigh show "fd0$n::1")"
done
pass "gateways answer ping (TTL 64) in both families; ARP and ND (router flag) give rA's MAC"

# Routed pings both ways, one host (a11 <-> a21 on host 1) and across hosts, both families: the
# echo reply was routed once, by the replier's host: TTL 63. The same network across hosts
# (a11 <-> a12) is switched: 64.
for pair in "a11 a21" "a21 a11" "a11 a32" "a32 a11" "a21 a12" "a12 a21" "a21 a32" "a32 a21" \
	"a12 a32" "a32 a12" "a11 ap" "a32 ap"; do
	read -r src dst <<<"$pair"
	ttl_is "$src" "${IP4[$dst]}" 63
	ttl_is "$src" "${IP6[$dst]}" 63
done
pass "routed pings, IPv4 and IPv6, on host 1 and across hosts both ways: echo replies with TTL 63"
for pair in "a11 a12" "a12 a11"; do
	read -r src dst <<<"$pair"
	ttl_is "$src" "${IP4[$dst]}" 64
	ttl_is "$src" "${IP6[$dst]}" 64
done
pass "switched pings in a1 across hosts keep TTL 64"

# TCP, routed across hosts: a11 (host 1, a1) fetches 1 MiB from a32 (host 2, a3) over IPv4,
# a32 from a11 over IPv6.
tcp_transfer "${NS[a32]}" 10.3.0.32 "${NS[a11]}" 1048576
pass "1 MiB by TCP a32 -> a11 (IPv4, host 2 -> host 1, routed a3 -> a1), checksum matches"
tcp_transfer "${NS[a11]}" fd01::11 "${NS[a32]}" 1048576
pass "1 MiB by TCP a11 -> a32 (IPv6, host 1 -> host 2, routed a1 -> a3), checksum matches"

# The appliance: rA sends 10.50.0.0/16 and fd50::/48 to ap (a port without port security),
# which forwards to srv; srv's reply comes back through ap (from an address that is not ap's)
# and rA. TTL 62: ap's hop, then rA's. From host 1 (a11, routed there, then VXLAN to ap) and
# from host 2 (a12, ap's host).
for id in a11 a12 a32; do
	ttl_is $id 10.50.0.1 62
	ttl_is $id fd50::1 62
done
[[ $("$VNETCTL" -s "$S1" show routes --router rA --lookup 10.50.0.1) == *10.2.0.50* ]] ||
	fail "show routes --lookup 10.50.0.1 on host 1: $("$VNETCTL" -s "$S1" show routes --router rA --lookup 10.50.0.1)"
pass "appliance behind static routes (10.50.0.0/16, fd50::/48): srv answers, TTL 62, from both hosts"

# Blackhole routes: exactly what a11 sent is dropped as route_blackhole on host 1, from a11.
bh0=$(drop_count "$S1" route_blackhole a11)
in_ns "${NS[a11]}" ping -n -q -c 3 -i 0.2 -W 1 10.66.7.7 >/dev/null 2>&1 && fail "10.66.7.7 (blackhole) answered"
in_ns "${NS[a11]}" ping -n -q -c 3 -i 0.2 -W 1 fd66::7 >/dev/null 2>&1 && fail "fd66::7 (blackhole) answered"
wait_for "6 drops as route_blackhole from a11" 5 counter_at_least $((bh0 + 6)) drop_count "$S1" route_blackhole a11 ||
	fail "blackholed pings not counted: $("$VNETCTL" -s "$S1" drops)"
n=$(drop_count "$S1" route_blackhole a11)
((n == bh0 + 6)) || fail "route_blackhole from a11: +$((n - bh0)), want +6"
pass "blackhole routes (10.66.0.0/16, fd66::/48): 6 pings dropped, 6 counted as route_blackhole"

# Tenant B: the same prefixes and addresses. bh1 (host 1, a11's addresses) reaches bh2 (host 2,
# a21's addresses) routed in B, and back; A's containers see nothing meanwhile (A's a21, local to
# host 1, has the very address bh1 pings). A-only destinations (a3's 10.3.0.32, the appliance's
# routes) have no route in B.
a_counters() { # the rx_pkts and tx_pkts of every port of tenant A on both hosts, one line
	local id
	for id in a11 a21 a12 a32 ap; do
		printf '%s=%s/%s ' $id "$(port_counter "${SOCK[${HOST[$id]}]}" $id rx_pkts)" \
			"$(port_counter "${SOCK[${HOST[$id]}]}" $id tx_pkts)"
	done
}
b0=$(port_counter "$S2" bh2 tx_pkts)
nr0=$(drop_count "$S1" no_route bh1)
a0=$(a_counters)
ttl_is bh1 10.1.0.1 64
ttl_is bh1 fd01::1 64
in_ns "${NS[bh1]}" ip neigh show 10.1.0.1 dev eth0 | grep -q "lladdr $MAC_RB" ||
	fail "bh1: ARP for 10.1.0.1 did not give rB's MAC: $(in_ns "${NS[bh1]}" ip neigh show 10.1.0.1)"
for pair in "bh1 bh2" "bh2 bh1"; do
	read -r src dst <<<"$pair"
	ttl_is "$src" "${IP4[$dst]}" 63
	ttl_is "$src" "${IP6[$dst]}" 63
done
ping_ok "${NS[bh1]}" 10.2.0.21 5 || fail "ping bh1 -> 10.2.0.21 (5 more)"
for addr in 10.3.0.32 fd03::32 10.50.0.1 fd50::1; do
	in_ns "${NS[bh1]}" ping -n -q -c 1 -W 1 $addr >/dev/null 2>&1 && fail "B's bh1 reached A-only $addr"
done
wait_for "4 drops as no_route from bh1" 5 counter_at_least $((nr0 + 4)) drop_count "$S1" no_route bh1 ||
	fail "bh1's pings to A-only addresses not counted as no_route: $("$VNETCTL" -s "$S1" drops)"
a1=$(a_counters)
[[ $a1 == "$a0" ]] || fail "tenant A's ports moved while B's containers talked: before $a0, after $a1"
(($(port_counter "$S2" bh2 tx_pkts) >= b0 + 9)) || fail "bh2 did not receive bh1's pings"
pass "tenant B routes between its own containers (A's addresses); A's ports still; A-only addresses no_route in B"

# Nothing dropped on either host for a reason this test did not cause: the underlay's ARP at the
# start (neigh_unresolved), a11's blackholed pings, bh1's pings without a route, and multicast
# (MLD) flooded by the other host into a network without a local port (l2_flood_no_ports), and
# the fabric bridge's own IGMP reports (underlay_not_ours).
for h in 1 2; do
	"$VNETCTL" -s "${SOCK[$h]}" drops --json | "$PY" -c '
import json, sys
expected = {"neigh_unresolved": None, "route_blackhole": {"a11"}, "no_route": {"bh1"},
            "l2_flood_no_ports": {"underlay"}, "underlay_not_ours": {"underlay"}}
bad = {r["reason"]: r["ports"] for r in json.load(sys.stdin)["reasons"]
       if r["count"] and (r["reason"] not in expected or
                          not set(r["ports"]) <= (expected[r["reason"]] or set(r["ports"])))}
sys.exit("unexpected drops: %s" % bad if bad else 0)
' || fail "host $h: $("$VNETCTL" -s "${SOCK[$h]}" drops)"
done
pass "no drop on either host but the underlay's first ARP, the blackhole, B's no_route, fabric noise"

sys_done
