#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What a tenant router gives its containers besides forwarding (vrouter/ip_route_node.c,
# vswitch/dhcp_ra_node.c), on one vnetd host, with real Linux clients on veth ports:
#
#   - traceroute: busybox traceroute / traceroute6 from a1 to a container in a2 show the
#     gateway (ICMP time exceeded from 10.1.0.1 / fd01::1) as hop 1 and the destination as hop 2;
#     vnetd counts the expired probes as ttl_exceeded. ICMP errors are rate-limited per source:
#     40 probes with TTL 1 at once get 10..12 errors back (the burst of 10, and what refills
#     meanwhile at 10 a second), the rest counted as icmp_ratelimited.
#   - ECMP: rA routes 10.60.0.0/24 and fd60::/64 over two appliances (Linux namespaces with
#     forwarding on, ports without port security), each with its own server behind it holding
#     the same anycast address (10.60.0.1, fd60::1) that answers UDP with its name. 20 UDP flows
#     per family (20 source ports) spread over both appliances (both servers answer, both
#     appliance ports count packets). Then a rules document without appliance 1: every flow is
#     answered again, all through appliance 2, and the flows that were on appliance 2 stayed.
#   - DHCPv4: a container with no address runs busybox udhcpc with a script of ours that applies
#     what the answer says; it configures the port's address from the rules (10.1.0.30/24), a
#     default route via the gateway, the network's MTU (1400) and the subnet's DNS servers, then
#     pings its gateway and a container in another network.
#   - SLAAC: a container with IPv6 autoconf on and no address brings its link up and solicits a
#     router; vnetd's advertisement (from the router's link-local address fe80::EUI-64(router MAC)
#     and MAC; prefix fd03::/64 with L and A, MTU 1380, DNS server fd03::53, router lifetime 1800)
#     gives it fd03::EUI-64(its MAC) (listed in its port's ips) and a default route via the
#     router's link-local address; it pings a container in another network over IPv6.
#
#   rA (02:00:00:00:0a:fe): a1 10.1.0.0/24 fd01::/64 (MTU 1400, DNS 10.1.0.53 192.0.2.53 /
#   fd01::53): c1 (.11, ::11), dh (DHCP, 10.1.0.30); a2 10.2.0.0/24 fd02::/64: c2 (.21, ::21),
#   p1 (.51, ::51), p2 (.52, ::52), the appliances; a3 10.3.0.0/24 fd03::/64 (MTU 1380, DNS
#   fd03::53): sl (SLAAC, fd03::ff:fe0a:333).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init rsv
SYS_VNETD_MB=256 # the FIBs: two copies per family, about 46 MiB each (docs/routing.md)
ensure_hugepages 320
command -v busybox >/dev/null || fail "route_services needs busybox (busybox-static, scripts/setup.sh)"
APPLETS=$(busybox --list)
for applet in traceroute traceroute6 udhcpc; do
	grep -qx "$applet" <<<"$APPLETS" || fail "busybox has no $applet"
done

MAC_R=02:00:00:00:0a:fe
ROUTER_LL=fe80::ff:fe00:afe # EUI-64 of MAC_R (the universal/local bit flipped)
SL_MAC=02:00:00:0a:03:33
SL_IP6=fd03::ff:fe0a:333 # fd03::/64 + EUI-64 of SL_MAC
SL_LL=fe80::ff:fe0a:333
# The ports: id network MAC ips(comma-separated) [nosec]. dh has only the address DHCP gives it,
# sl only its SLAAC address.
PORTS=(
	"c1 a1 02:00:00:0a:01:11 10.1.0.11,fd01::11"
	"dh a1 02:00:00:0a:01:30 10.1.0.30"
	"c2 a2 02:00:00:0a:02:21 10.2.0.21,fd02::21"
	"p1 a2 02:00:00:0a:02:51 10.2.0.51,fd02::51 nosec"
	"p2 a2 02:00:00:0a:02:52 10.2.0.52,fd02::52 nosec"
	"sl a3 $SL_MAC $SL_IP6"
)
declare -A NS=()
for p in "${PORTS[@]}"; do
	read -r id _ <<<"$p"
	NS[$id]=$(sys_name "$id")
done
S1=$(sys_name s1) S2=$(sys_name s2) # the servers behind p1 and p2

# rules REVISION [PORT...]: the rules document, without the ports named.
rules() {
	TAG=$SYS_TAG "$PY" - "$@" <<'PY' "${PORTS[@]/#/port:}"
import json, os, sys
rev, args = int(sys.argv[1]), sys.argv[2:]
without = {a for a in args if not a.startswith("port:")}
ports = [a[5:].split() for a in args if a.startswith("port:")]
tag = os.environ["TAG"]
doc = {"revision": rev,
       "networks": [
           {"id": "a1", "tenant": "A", "vni": 6001, "mtu": 1400, "router": "rA",
            "subnets": [{"cidr": "10.1.0.0/24", "gateway": "10.1.0.1",
                         "dns_servers": ["10.1.0.53", "192.0.2.53"]},
                        {"cidr": "fd01::/64", "gateway": "fd01::1", "dns_servers": ["fd01::53"]}]},
           {"id": "a2", "tenant": "A", "vni": 6002, "router": "rA",
            "subnets": [{"cidr": "10.2.0.0/24", "gateway": "10.2.0.1"},
                        {"cidr": "fd02::/64", "gateway": "fd02::1"}]},
           {"id": "a3", "tenant": "A", "vni": 6003, "mtu": 1380, "router": "rA",
            "subnets": [{"cidr": "10.3.0.0/24", "gateway": "10.3.0.1"},
                        {"cidr": "fd03::/64", "gateway": "fd03::1", "dns_servers": ["fd03::53"],
                         "ipv6_ra_mode": "slaac"}]}],
       "routers": [{"id": "rA", "tenant": "A", "mac": "02:00:00:00:0a:fe", "routes": [
           {"prefix": "10.60.0.0/24", "nexthops": ["10.2.0.51", "10.2.0.52"]},
           {"prefix": "fd60::/64", "nexthops": ["fd02::51", "fd02::52"]}]}],
       "ports": []}
for p in ports:
    id, network, mac, ips = p[:4]
    if id in without:
        continue
    name = f"{tag}-{id}"
    port = {"id": id, "network": network, "kind": "container",
            "device": f"veth:{name},netns={name}", "mac": mac, "ips": ips.split(",")}
    if "nosec" in p[4:]:
        port["port_security"] = False
    doc["ports"].append(port)
print(json.dumps(doc))
PY
}

# vnetd creates each port's veth pair into its namespace: the namespaces first.
for id in "${!NS[@]}"; do
	netns_add "${NS[$id]}"
	SYS_IFACES+=("${NS[$id]}") # vnetd's end of the pair, in the root namespace, the same name
done
netns_add "$S1"
netns_add "$S2"
vnetd_config h "$(rules 1)" >"$SYS_TMP/h.json"
vnetd_start h "$SYS_TMP/h.json"
SOCK=$(vnetd_sock h)
for id in "${!NS[@]}"; do
	wait_for "eth0 in ${NS[$id]}" 10 ip -n "${NS[$id]}" link show eth0 || fail "vnetd made no eth0 for $id"
done

# Statically addressed containers: c1 (a1), c2 (a2), the appliances p1 and p2 (a2): addresses
# without DAD, default routes via their gateways, no router advertisements taken, neighbours
# reachable for the whole test. Name servers of the host get an unreachable route (no lookup
# goes out through vnetd, which has no route there).
NAMESERVERS=$(awk '$1 == "nameserver" && $2 !~ /^(127\.|::1$)/ {print $2}' /etc/resolv.conf 2>/dev/null || true)
static_container() { # ID IPV4 IPV6 NET
	local ns=${NS[$1]} a
	in_ns "$ns" sh -e -c "
		sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.router_solicitations=0 \
			net.ipv6.conf.eth0.accept_ra=0 \
			net.ipv4.neigh.eth0.base_reachable_time_ms=600000 \
			net.ipv6.neigh.eth0.base_reachable_time_ms=600000
		ip addr add $2/24 dev eth0
		ip -6 addr add $3/64 dev eth0 nodad
		ip link set dev eth0 up
		ip route add default via 10.$4.0.1
		ip -6 route add default via fd0$4::1" || fail "cannot configure $1's eth0 in $ns"
	for a in $NAMESERVERS; do
		in_ns "$ns" ip route replace unreachable "$a" || fail "cannot add unreachable $a in $ns"
	done
}
static_container c1 10.1.0.11 fd01::11 1
static_container c2 10.2.0.21 fd02::21 2
static_container p1 10.2.0.51 fd02::51 2
static_container p2 10.2.0.52 fd02::52 2
# Appliance pN: forwarding on, eth1 to its server sN (10.60.0.1, fd60::1 in both), which routes
# back through it.
for n in 1 2; do
	ap=${NS[p$n]} srv=$(sys_name s$n)
	in_ns "$ap" ip link add eth1 type veth peer name eth0 netns "$srv" || fail "veth p$n <-> s$n"
	for spec in "$ap eth1 10.60.0.254/24 fd60::fe/64" "$srv eth0 10.60.0.1/24 fd60::1/64"; do
		read -r ns ifc a4 a6 <<<"$spec"
		in_ns "$ns" sh -e -c "
			sysctl -qw net.ipv6.conf.$ifc.accept_dad=0 net.ipv6.conf.$ifc.accept_ra=0
			ip addr add $a4 dev $ifc
			ip -6 addr add $a6 dev $ifc nodad
			ip link set dev $ifc up" || fail "cannot configure $ifc in $ns"
	done
	in_ns "$srv" ip route add default via 10.60.0.254
	in_ns "$srv" ip -6 route add default via fd60::fe
	in_ns "$ap" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
wait_for "c1 pings c2 (routed)" 10 ping_ok "${NS[c1]}" 10.2.0.21 || fail "routed ping c1 -> c2"
wait_for "c1 pings fd02::21 (routed)" 10 ping_ok "${NS[c1]}" fd02::21 || fail "routed ping c1 -> fd02::21"
pass "one host, router rA over a1, a2, a3; c1 (a1) pings c2 (a2) in both families"

# --- traceroute ---------------------------------------------------------------------------------
# hops OUTPUT: each hop's line of traceroute's OUTPUT as "N ADDR..." (the addresses that answered,
# as traceroute prints them: once, again when another answers the next probe; "*" unanswered).
hops() {
	awk '$1 ~ /^[0-9]+$/ { line = $1; for (i = 2; i <= NF; i++) if ($i == "*" || $i ~ /^[0-9a-f.:]+$/ && $(i + 1) != "ms") line = line " " $i; print line }' <<<"$1"
}
te0=$(drop_count "$SOCK" ttl_exceeded c1)
for spec in "traceroute 10.2.0.21 10.1.0.1" "traceroute6 fd02::21 fd01::1"; do
	read -r cmd dst gw <<<"$spec"
	out=$(in_ns "${NS[c1]}" timeout 30 busybox "$cmd" -n -q 3 -w 2 -m 5 "$dst" 2>&1) ||
		fail "$cmd $dst from c1: $out"
	got=$(hops "$out")
	want=$(printf '1 %s\n2 %s' "$gw" "$dst")
	[[ $got == "$want" ]] || fail "$cmd $dst from c1: hops
$got
want
$want
(output:
$out)"
done
wait_for "6 expired probes from c1 counted as ttl_exceeded" 5 \
	counter_at_least $((te0 + 6)) drop_count "$SOCK" ttl_exceeded c1 ||
	fail "ttl_exceeded from c1: $("$VNETCTL" -s "$SOCK" drops)"
n=$(drop_count "$SOCK" ttl_exceeded c1)
((n == te0 + 6)) || fail "ttl_exceeded from c1: +$((n - te0)), want +6 (3 probes with TTL 1 per family)"
pass "traceroute and traceroute6 c1 -> c2: hop 1 the gateway (10.1.0.1, fd01::1), hop 2 c2; 6 ttl_exceeded"

# ICMP errors rate-limited per source: c2 (whose own bucket nothing has touched yet) sends 40 UDP
# datagrams with TTL 1 to c1 at once; 10 time-exceeded come back (the burst), perhaps one or two
# more refilled meanwhile (10 a second), and every one not sent is counted as icmp_ratelimited.
te0=$(drop_count "$SOCK" ttl_exceeded c2)
rl0=$(drop_count "$SOCK" icmp_ratelimited c2)
capture_start "${NS[c2]}" eth0 "$SYS_TMP/c2-te.pcap" icmp and 'icmp[0] == 11'
cap=$SYS_LAST_PID
in_ns "${NS[c2]}" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
for i in range(40):
    s.sendto(b"x", ("10.1.0.11", 33434 + i))
' || fail "c2 could not send its TTL-1 datagrams"
wait_for "40 ttl_exceeded from c2" 5 counter_at_least $((te0 + 40)) drop_count "$SOCK" ttl_exceeded c2 ||
	fail "ttl_exceeded from c2: $("$VNETCTL" -s "$SOCK" drops)"
n=$(($(drop_count "$SOCK" ttl_exceeded c2) - te0))
rl=$(($(drop_count "$SOCK" icmp_ratelimited c2) - rl0))
wait_for "$((40 - rl)) time exceeded captured in c2" 5 \
	counter_at_least $((40 - rl)) pcap_count "$SYS_TMP/c2-te.pcap" || true
capture_stop "$cap"
got=$(pcap_count "$SYS_TMP/c2-te.pcap")
((n == 40)) || fail "ttl_exceeded from c2: +$n, want +40"
((got >= 10 && got <= 12)) || fail "c2 got $got ICMP time exceeded for 40 expired datagrams, want 10..12"
((rl == 40 - got)) || fail "icmp_ratelimited from c2: +$rl, want $((40 - got)) (40 - the $got sent)"
pass "ICMP errors rate-limited per source: 40 expired datagrams from c2, $got errors back, $rl icmp_ratelimited"

# --- ECMP over two appliances --------------------------------------------------------------------
for n in 1 2; do
	spawn "$SYS_TMP/s$n.log" ip netns exec "$(sys_name s$n)" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 7000))
while True:
    d, a = s.recvfrom(100)
    s.sendto(sys.argv[1].encode(), a)
' "s$n"
	wait_for "server s$n listening" 10 sh -c "ip netns exec $(sys_name s$n) ss -Hlun | grep -q ':7000 '" ||
		fail "server s$n did not start: $(cat "$SYS_TMP/s$n.log")"
done
# flows DST: from c1, one UDP datagram to DST:7000 from each source port 40000..40019 (sent
# again up to 5 times while unanswered); prints "PORT SERVER" per flow, "-" when unanswered.
flows() {
	in_ns "${NS[c1]}" "$PY" -c '
import socket, sys
dst = sys.argv[1]
for sport in range(40000, 40020):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", sport))
    s.settimeout(0.5)
    who = "-"
    for attempt in range(6):
        s.sendto(b"who", (dst, 7000))
        try:
            who = s.recv(100).decode()
            break
        except socket.timeout:
            pass
    s.close()
    print(sport, who)
' "$1"
}
# ap_counters: "p1_tx p1_rx p2_tx p2_rx" (tx: what vnetd sent to the appliance).
ap_counters() {
	"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)}
print(*[p[a][f] if a in p else 0 for a in ("p1", "p2") for f in ("tx_pkts", "rx_pkts")])'
}
declare -A BEFORE=()
for dst in 10.60.0.1 fd60::1; do
	read -r t1 r1 t2 r2 <<<"$(ap_counters)"
	out=$(flows $dst) || fail "UDP flows to $dst"
	read -r T1 R1 T2 R2 <<<"$(ap_counters)"
	BEFORE[$dst]=$out
	n1=$(grep -c ' s1$' <<<"$out" || true) n2=$(grep -c ' s2$' <<<"$out" || true)
	((n1 + n2 == 20)) || fail "UDP flows c1 -> $dst: $((20 - n1 - n2)) of 20 unanswered:
$out"
	((n1 > 0 && n2 > 0)) || fail "ECMP to $dst: s1 answered $n1 flows, s2 $n2: not spread
$out"
	# Each answered flow crossed its appliance at least once each way (more when sent again).
	((T1 - t1 >= n1 && R1 - r1 >= n1 && T2 - t2 >= n2 && R2 - r2 >= n2)) ||
		fail "ECMP to $dst: s1 answered $n1 flows, s2 $n2, but appliance ports counted" \
			"p1 tx +$((T1 - t1)) rx +$((R1 - r1)), p2 tx +$((T2 - t2)) rx +$((R2 - r2))"
	log "ECMP to $dst: $n1 flows via p1, $n2 via p2 (p1 tx +$((T1 - t1)) rx +$((R1 - r1)), p2 tx +$((T2 - t2)) rx +$((R2 - r2)))"
done
for spec in "10.60.0.1 10.2.0.51 10.2.0.52" "fd60::1 fd02::51 fd02::52"; do
	read -r dst a b <<<"$spec"
	got=$("$VNETCTL" -s "$SOCK" show routes --router rA --lookup "$dst" --json | json_get 'd.get("nexthops")')
	[[ $got == "['$a', '$b']" ]] ||
		fail "show routes --lookup $dst: $("$VNETCTL" -s "$SOCK" show routes --router rA --lookup "$dst" --json)"
done
pass "ECMP 10.60.0.0/24 and fd60::/64 over p1 and p2: 20 UDP flows per family spread over both appliances"

# Appliance 1 leaves the rules (a whole document without its port): its flows go to p2, p2's stay.
rules 2 p1 >"$SYS_TMP/rules-2.json"
out=$("$VNETCTL" -s "$SOCK" apply "$SYS_TMP/rules-2.json" 2>&1) || fail "applying the rules without p1: $out"
wait_for "p1 gone from show ports" 5 sh -c "! '$VNETCTL' -s '$SOCK' show ports --json | grep -q '\"p1\"'" ||
	fail "p1 still in show ports"
for dst in 10.60.0.1 fd60::1; do
	read -r _ _ t2 r2 <<<"$(ap_counters)"
	out=$(flows $dst) || fail "UDP flows to $dst without p1"
	read -r _ _ T2 R2 <<<"$(ap_counters)"
	n2=$(grep -c ' s2$' <<<"$out" || true)
	((n2 == 20)) || fail "without p1, UDP flows c1 -> $dst: $n2 of 20 answered by s2:
$out"
	((T2 - t2 >= 20 && R2 - r2 >= 20)) ||
		fail "without p1, 20 flows to $dst but p2 counted tx +$((T2 - t2)) rx +$((R2 - r2))"
done
pass "p1 removed from the rules: all 20 flows per family answered, through p2"

# p1 back in the rules (vnetd makes its veth pair again: its eth0 is configured anew): every flow
# goes where it went before p1 left, the choice a function of the flow alone.
rules 3 >"$SYS_TMP/rules-3.json"
out=$("$VNETCTL" -s "$SOCK" apply "$SYS_TMP/rules-3.json" 2>&1) || fail "applying the rules with p1 again: $out"
wait_for "eth0 in ${NS[p1]} again" 10 ip -n "${NS[p1]}" link show eth0 || fail "vnetd made no eth0 for p1 again"
static_container p1 10.2.0.51 fd02::51 2
for dst in 10.60.0.1 fd60::1; do
	out=$(flows $dst) || fail "UDP flows to $dst with p1 back"
	[[ $out == "${BEFORE[$dst]}" ]] || fail "p1 back: flows to $dst (port, server)
$out
not as before p1 left:
${BEFORE[$dst]}"
done
pass "p1 back in the rules: each of the 20 flows per family takes the appliance it took at first"

# --- DHCPv4 --------------------------------------------------------------------------------------
# udhcpc's script: applies what the server gave (address, default route, MTU), writes the DNS
# servers into a resolv.conf of ours and the whole answer's variables into a file.
cat >"$SYS_TMP/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set dev "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	: >"$DHCP_OUT.resolv"
	for d in $dns; do echo "nameserver $d" >>"$DHCP_OUT.resolv"; done
	env | sort >"$DHCP_OUT.env"
	;;
esac
EOF
chmod +x "$SYS_TMP/udhcpc.sh"
DH=${NS[dh]}
in_ns "$DH" sh -e -c "
	sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip link set dev eth0 mtu 1500" || fail "cannot prepare dh's eth0"
[[ -z $(in_ns "$DH" ip -4 addr show dev eth0) ]] || fail "dh has an address before DHCP"
out=$(in_ns "$DH" env DHCP_OUT="$SYS_TMP/dhcp" timeout 30 busybox udhcpc -i eth0 -n -q -f \
	-t 5 -T 1 -O mtu -O dns -O router -s "$SYS_TMP/udhcpc.sh" 2>&1) || fail "udhcpc in dh: $out"
got=$(in_ns "$DH" ip -4 -o addr show dev eth0 | awk '{print $4}')
[[ $got == 10.1.0.30/24 ]] || fail "dh's address after DHCP: '$got', want 10.1.0.30/24 (udhcpc: $out)"
got=$(in_ns "$DH" ip -4 route show default)
[[ $got == "default via 10.1.0.1 dev eth0"* ]] || fail "dh's default route after DHCP: '$got'"
got=$(in_ns "$DH" cat /sys/class/net/eth0/mtu)
[[ $got == 1400 ]] || fail "dh's MTU after DHCP: $got, want 1400 (the network's)"
got=$(cat "$SYS_TMP/dhcp.resolv")
[[ $got == $'nameserver 10.1.0.53\nnameserver 192.0.2.53' ]] || fail "dh's DNS servers from DHCP: $got"
for kv in serverid=10.1.0.1 router=10.1.0.1 subnet=255.255.255.0 mtu=1400 lease=86400; do
	grep -qx "$kv" "$SYS_TMP/dhcp.env" || fail "DHCP answer: no $kv in $(grep -E '^(ip|serverid|router|subnet|mask|mtu|lease|dns)=' "$SYS_TMP/dhcp.env" | tr '\n' ' ')"
done
wait_for "dh pings its gateway" 5 ping_ok "$DH" 10.1.0.1 || fail "dh cannot ping 10.1.0.1"
ping_ok "$DH" 10.2.0.21 2 || fail "dh cannot ping c2 (10.2.0.21, routed) after DHCP"
pass "DHCP: udhcpc in dh got 10.1.0.30/24, default via 10.1.0.1, MTU 1400, DNS 10.1.0.53 192.0.2.53, lease 86400; pings its gateway and c2"

# --- SLAAC ---------------------------------------------------------------------------------------
SL=${NS[sl]}
# The link comes up with IPv6 off, so that tcpdump (which needs the link up) listens before the
# kernel solicits: IPv6 turned on, it makes its link-local address (no DAD) and solicits at once.
in_ns "$SL" sh -e -c "
	ip link set dev eth0 mtu 1500
	ip link set dev eth0 addrgenmode eui64
	sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.eth0.forwarding=0 \
		net.ipv6.conf.eth0.accept_ra=2 net.ipv6.conf.eth0.autoconf=1 \
		net.ipv6.conf.eth0.use_tempaddr=0 net.ipv6.conf.eth0.accept_dad=0 \
		net.ipv6.conf.eth0.router_solicitations=3 net.ipv6.conf.eth0.router_solicitation_interval=1 \
		net.ipv6.conf.eth0.router_solicitation_delay=0
	ip link set dev eth0 up" || fail "cannot prepare sl's eth0"
capture_start "$SL" eth0 "$SYS_TMP/sl-ra.pcap" icmp6 and 'ip6[40] == 134'
cap=$SYS_LAST_PID
in_ns "$SL" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 || fail "sl: IPv6 on"
sl_has_addr() { in_ns "$SL" ip -6 -o addr show dev eth0 scope global | grep -q " $SL_IP6/64 "; }
wait_for "sl's SLAAC address $SL_IP6" 10 sl_has_addr ||
	fail "sl got no $SL_IP6: $(in_ns "$SL" ip -6 addr show dev eth0); RAs captured: $(pcap_count "$SYS_TMP/sl-ra.pcap")"
got=$(in_ns "$SL" ip -6 route show default)
[[ $got == "default via $ROUTER_LL dev eth0 proto ra"* ]] || fail "sl's default route: '$got', want via $ROUTER_LL"
got=$(in_ns "$SL" cat /proc/sys/net/ipv6/conf/eth0/mtu)
[[ $got == 1380 ]] || fail "sl's IPv6 MTU: $got, want 1380 (the RA's)"
wait_for "sl pings c2 (fd02::21)" 10 ping_ok "$SL" fd02::21 || fail "sl cannot ping fd02::21"
ping_ok "$SL" fd02::21 3 || fail "sl -> fd02::21: 3 more pings"
ping_ok "$SL" fd03::1 || fail "sl cannot ping its gateway fd03::1"
# tcpdump writes what the kernel handed it in blocks (at the latest every second): wait for it.
wait_for "the router advertisement in sl's capture" 5 counter_at_least 1 pcap_count "$SYS_TMP/sl-ra.pcap" ||
	fail "no router advertisement captured in sl: $(cat "$SYS_TMP/sl-ra.pcap.log")"
capture_stop "$cap"
"$PY" - "$SYS_TMP/sl-ra.pcap" "$MAC_R" "$ROUTER_LL" "$SL_MAC" "$SL_LL" <<'PY' || fail "router advertisement in sl: $(tcpdump -r "$SYS_TMP/sl-ra.pcap" -n -e -v 2>&1; cat "$SYS_TMP/sl-ra.pcap.log")"
import sys
from scapy.all import (ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                       ICMPv6NDOptSrcLLAddr, ICMPv6ND_RA, IPv6, Ether, rdpcap)
pkts = [p for p in rdpcap(sys.argv[1]) if ICMPv6ND_RA in p]
if not pkts:
    sys.exit("no router advertisement captured")
p = pkts[0]
ra = p[ICMPv6ND_RA]
pi = p[ICMPv6NDOptPrefixInfo]
want = {"Ethernet source": (p[Ether].src, sys.argv[2]), "IPv6 source": (p[IPv6].src, sys.argv[3]),
        "Ethernet destination": (p[Ether].dst, sys.argv[4]),
        "IPv6 destination (the soliciting address)": (p[IPv6].dst, sys.argv[5]),
        "hop limit": (p[IPv6].hlim, 255), "router lifetime": (ra.routerlifetime, 1800),
        "M and O": ((ra.M, ra.O), (0, 0)), "source link-layer option": (p[ICMPv6NDOptSrcLLAddr].lladdr, sys.argv[2]),
        "MTU option": (p[ICMPv6NDOptMTU].mtu, 1380),
        "prefix": ((pi.prefix, pi.prefixlen, pi.L, pi.A), ("fd03::", 64, 1, 1)),
        "DNS servers": (list(p[ICMPv6NDOptRDNSS].dns), ["fd03::53"])}
bad = {k: v for k, v in want.items() if v[0] != v[1]}
if bad:
    p.show()
    sys.exit("router advertisement (got, want): %s" % bad)
print("%d router advertisement(s) captured" % len(pkts))
PY
pass "SLAAC: sl got $SL_IP6/64 and a default route via $ROUTER_LL (MTU 1380, DNS fd03::53 in the RA); pings c2 over IPv6"

# Nothing dropped but what the test caused: c1's traceroute probes and c2's expired datagrams
# (ttl_exceeded), the errors over c2's limit (icmp_ratelimited), and sl's MLD reports in a3,
# where it is the only port (l2_flood_no_ports).
"$VNETCTL" -s "$SOCK" drops --json | "$PY" -c '
import json, sys
expected = {"ttl_exceeded": {"c1", "c2"}, "icmp_ratelimited": {"c2"}, "l2_flood_no_ports": {"sl"}}
bad = {r["reason"]: r["ports"] for r in json.load(sys.stdin)["reasons"]
       if r["count"] and not set(r["ports"]) <= expected.get(r["reason"], set())}
sys.exit("unexpected drops: %s" % bad if bad else 0)
' || fail "drops: $("$VNETCTL" -s "$SOCK" drops)"
pass "no drop but the expired probes, the rate-limited ICMP errors and sl's lone multicast"

sys_done
