# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario l3: IPv4 routing by a tenant router, the counterpart of Open vSwitch's s5_route (100
# rules ip,dl_dst=<router MAC>,nw_dst=10.2.p.0/24 -> dec_ttl, mod_dl_src:<router MAC>,
# mod_dl_dst:<next hop p's MAC>, output).
#
# Traffic: ../shared/bench/pcaps/route_1k_64.pcap, 1,000 UDP flows of 64-byte frames (60 B in the
# pcap), flow i = 0..999 from MAC 02:00:00:aa:HH:LL, IP 10.1.HH.LL to the router MAC
# 02:00:00:00:00:fe, IP 10.2.p.h (p = i % 100, h = 1 + (i / 100) % 10: 1,000 destinations over
# 100 /24s), see gen_traffic.py's route_dst().
#
# Rules: tenant router "r" (MAC 02:00:00:00:00:fe) joins network "lan" (10.1.0.0/16, gateway
# 10.1.255.254), where port "in" replays the pcap (net_pcap, infinite_rx=1, port security off:
# the 1,000 source MACs and IPs are not the port's), and network "wan" (10.255.0.0/16, gateway
# 10.255.255.254). 100 static routes 10.2.p.0/24 via 10.255.0.(p+1): 100 distinct next hops, as
# Open vSwitch has 100 next-hop MACs. A port has at most 16 IPv4 addresses, so the next hops are
# the addresses of 7 output ports out0..out6 (net_null, no-rx), in blocks of 16 consecutive
# prefixes (out0: p = 0..15, ..., out6: p = 96..99); the rate is their summed tx_pkts. Neither
# network learns MACs (mac_learning false): s5_route learns nothing either, and the only
# destination MACs are the router's and the output ports' (known from the rules).
#
# Per packet vnet does: parse, port security (off: passes), MAC lookup (router MAC -> l3_input),
# LPM in the VRF's FIB, next hop -> its MAC from the rules (no ARP), TTL decrement with the
# incremental checksum, MAC rewrite, MAC lookup in "wan", out of one of the 7 ports. What differs
# from s5_route: Open vSwitch sends everything out of one port with 100 destination MACs; vnet out
# of 7 ports (a burst of 32 consecutive packets spans 2 or 3 of them) with 7 destination MACs.
#
# Sourced by bench/run.sh, which reads the SCEN_* variables and calls scenario_rules.

SCEN_DESC="IPv4 routing, 1,000 destinations over 100 /24 static routes, 100 next hops on 7 ports"
SCEN_PCAPS="route_1k_64.pcap"
SCEN_OUT_PORTS="out0 out1 out2 out3 out4 out5 out6"
SCEN_IN_PORTS="in"
SCEN_OVS="s5_route"
SCEN_MBUFS=16383

# scenario_rules PCAP_DIR: print the rules document on standard output.
scenario_rules() {
	local pcap_dir=$1 p k sep
	printf '{"revision": 1,\n'
	printf ' "routers": [{"id": "r", "tenant": "bench", "mac": "02:00:00:00:00:fe", "routes": ['
	sep=""
	for ((p = 0; p < 100; p++)); do
		printf '%s\n   {"prefix": "10.2.%d.0/24", "nexthop": "10.255.0.%d"}' "$sep" $p $((p + 1))
		sep=","
	done
	printf ']}],\n'
	printf ' "networks": [\n'
	printf '  {"id": "lan", "tenant": "bench", "vni": 100, "router": "r", "mac_learning": false,\n'
	printf '   "subnets": [{"cidr": "10.1.0.0/16", "gateway": "10.1.255.254"}]},\n'
	printf '  {"id": "wan", "tenant": "bench", "vni": 200, "router": "r", "mac_learning": false,\n'
	printf '   "subnets": [{"cidr": "10.255.0.0/16", "gateway": "10.255.255.254"}]}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "in", "network": "lan", "mac": "02:00:00:00:ff:01", "port_security": false,\n'
	printf '   "device": "net_pcap0,rx_pcap=%s/route_1k_64.pcap,infinite_rx=1"}' "$pcap_dir"
	for ((k = 0; k < 7; k++)); do
		printf ',\n  {"id": "out%d", "network": "wan", "mac": "02:00:00:cc:01:%02x",' $k $k
		printf ' "device": "net_null%d,no-rx=1",\n   "ips": [' $k
		sep=""
		for ((p = 16 * k; p < 16 * k + 16 && p < 100; p++)); do
			printf '%s"10.255.0.%d"' "$sep" $((p + 1))
			sep=", "
		done
		printf ']}'
	done
	printf ']}\n'
}
