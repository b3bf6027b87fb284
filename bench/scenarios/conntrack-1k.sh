# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario conntrack-1k: stateful security groups with conntrack, both directions, the counterpart
# of Open vSwitch's s4b_ct_1k (ct(table=1), ct(commit) of +new from the inside only, +est both
# ways).
#
# CT_FLOWS=1k (this file) or 100k (conntrack-100k.sh). (1,000,000 flows do not fit this way:
# net_pcap's infinite_rx keeps every frame of its file in an mbuf, 2,000,000 mbufs of 2 KB; see
# bench/fw_graph_bench.c's "est" for conntrack-1m.)
# Traffic: ../shared/bench/pcaps/ct_1k_64.pcap (1,000 flows, UDP and TCP ACKs alternating, from
# 02:00:00:aa:HH:LL / 10.1.HH.LL to 02:00:00:bb:HH:LL / 10.2.HH.LL) replayed by port "in0", and
# ct_1k_64_rev.pcap (the replies of the same flows) by "in1" (net_pcap, infinite_rx=1, port
# security off: their sources are the pcap's). "out0" (net_null) has the 1,000 destination MACs of
# the originals and security group "inside" (ingress from anywhere): sg_ingress makes each
# connection there (TCP ACKs are picked up mid-stream) and tracks it. "out1" has the MACs of the
# replies and group "outside" (egress only, no ingress rule): a reply passes sg_ingress as part
# of a known connection (its originator's side, out1's egress rules), and a reply of no known
# connection is refused, as Open vSwitch's +new from the outside is. Every packet of the window
# is a conntrack lookup and a state update.
#
# Sourced by bench/run.sh, which reads the SCEN_* variables and calls scenario_rules.

CT_FLOWS=${CT_FLOWS_ARG:-1k} # the wrappers set CT_FLOWS_ARG for the next line only
unset CT_FLOWS_ARG
SCEN_DESC="conntrack, $CT_FLOWS flows both ways through stateful security groups"
SCEN_OUT_PORTS="out0 out1"
SCEN_IN_PORTS="in0 in1"
case $CT_FLOWS in
1k) CT_N=1000 ;;
100k) CT_N=100000 ;;
*) echo "conntrack: CT_FLOWS $CT_FLOWS: 1k or 100k" >&2; return 1 ;;
esac
SCEN_PCAPS="ct_${CT_FLOWS}_64.pcap ct_${CT_FLOWS}_64_rev.pcap"
SCEN_OVS="s4b_ct_${CT_FLOWS}"
# net_pcap's infinite_rx holds each file's frames in mbufs.
SCEN_MBUFS=$((2 * CT_N + 16383))
# Every connection is made in the one worker's table; the tenant may have them all.
SCEN_CONFIG=$(printf '{"conntrack": {"entries": 262144, "tenant_max": %d}}' $((CT_N * 2)))
SCEN_READY_S=60

# scenario_rules PCAP_DIR: print the rules document on standard output. The originals' network
# (in0 -> out0) and the replies' (in1 -> out1) are two networks of one tenant (one conntrack
# zone): each holds up to 65,536 static MACs (the traffic's MACs repeat past 65,536 flows).
scenario_rules() {
	local pcap_dir=$1 n i fwd rev
	n=$((CT_N < 65536 ? CT_N : 65536))
	fwd=$pcap_dir/ct_${CT_FLOWS}_64.pcap rev=$pcap_dir/ct_${CT_FLOWS}_64_rev.pcap
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mac_learning": false},\n'
	printf '   {"id": "bench-rev", "tenant": "bench", "vni": 101, "mac_learning": false}],\n'
	printf ' "security_groups": [\n'
	printf '  {"id": "inside", "tenant": "bench", "rules": [{"id": "any-in", "direction": "ingress"}]},\n'
	printf '  {"id": "outside", "tenant": "bench", "rules": [{"id": "any-out", "direction": "egress"}]}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "in0", "network": "bench", "mac": "02:00:00:00:ff:01", "port_security": false,\n'
	printf '   "device": "net_pcap0,rx_pcap=%s,infinite_rx=1"},\n' "$fwd"
	printf '  {"id": "in1", "network": "bench-rev", "mac": "02:00:00:00:ff:02", "port_security": false,\n'
	printf '   "device": "net_pcap1,rx_pcap=%s,infinite_rx=1"},\n' "$rev"
	printf '  {"id": "out0", "network": "bench", "mac": "02:00:00:00:ff:03", "security_groups": ["inside"],\n'
	printf '   "device": "net_null0,no-rx=1"},\n'
	printf '  {"id": "out1", "network": "bench-rev", "mac": "02:00:00:00:ff:04", "security_groups": ["outside"],\n'
	printf '   "device": "net_null1,no-rx=1"}],\n'
	printf ' "static_macs": ['
	for ((i = 0; i < n; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "port": "out0"}' \
			"$([[ $i == 0 ]] || echo ,)" $(((i >> 8) & 255)) $((i & 255))
		printf ',\n  {"network": "bench-rev", "mac": "02:00:00:aa:%02x:%02x", "port": "out1"}' \
			$(((i >> 8) & 255)) $((i & 255))
	done
	printf ']}\n'
}
