# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario conntrack-1k: stateful security groups with conntrack, both directions, the counterpart
# of Open vSwitch's s4b_ct_1k (ct(table=1), ct(commit) of +new from the inside only, +est both
# ways).
#
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

CT_FLOWS=${CT_FLOWS:-1k}
SCEN_DESC="conntrack, $CT_FLOWS flows both ways through stateful security groups"
SCEN_PCAPS="ct_${CT_FLOWS}_64.pcap ct_${CT_FLOWS}_64_rev.pcap"
SCEN_OUT_PORTS="out0 out1"
SCEN_IN_PORTS="in0 in1"
SCEN_OVS="s4b_ct_${CT_FLOWS}"
SCEN_MBUFS=16383

# scenario_rules PCAP_DIR: print the rules document on standard output.
scenario_rules() {
	local pcap_dir=$1 n i sep=""
	n=$([[ $CT_FLOWS == 1k ]] && echo 1000 || echo 100000)
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mac_learning": false}],\n'
	printf ' "security_groups": [\n'
	printf '  {"id": "inside", "tenant": "bench", "rules": [{"id": "any-in", "direction": "ingress"}]},\n'
	printf '  {"id": "outside", "tenant": "bench", "rules": [{"id": "any-out", "direction": "egress"}]}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "in0", "network": "bench", "mac": "02:00:00:00:ff:01", "port_security": false,\n'
	printf '   "device": "net_pcap0,rx_pcap=%s/ct_%s_64.pcap,infinite_rx=1"},\n' "$pcap_dir" "$CT_FLOWS"
	printf '  {"id": "in1", "network": "bench", "mac": "02:00:00:00:ff:02", "port_security": false,\n'
	printf '   "device": "net_pcap1,rx_pcap=%s/ct_%s_64_rev.pcap,infinite_rx=1"},\n' "$pcap_dir" "$CT_FLOWS"
	printf '  {"id": "out0", "network": "bench", "mac": "02:00:00:00:ff:03", "security_groups": ["inside"],\n'
	printf '   "device": "net_null0,no-rx=1"},\n'
	printf '  {"id": "out1", "network": "bench", "mac": "02:00:00:00:ff:04", "security_groups": ["outside"],\n'
	printf '   "device": "net_null1,no-rx=1"}],\n'
	printf ' "static_macs": ['
	for ((i = 0; i < n; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "port": "out0"}' \
			"$sep" $(((i >> 8) & 255)) $((i & 255))
		printf ',\n  {"network": "bench", "mac": "02:00:00:aa:%02x:%02x", "port": "out1"}' \
			$(((i >> 8) & 255)) $((i & 255))
		sep=","
	done
	printf ']}\n'
}
