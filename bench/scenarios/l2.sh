# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario l2: pure L2 switching within one network, the counterpart of Open vSwitch's s1_normal
# (actions=NORMAL with the 1,000 destination MACs pre-learnt on the output port).
#
# Traffic: ../shared/bench/pcaps/vm_1k_64.pcap, 1,000 UDP flows of 64-byte frames (60 B in the
# pcap), flow i = 0..999 from MAC 02:00:00:aa:HH:LL to MAC 02:00:00:bb:HH:LL (HHLL = i), see
# gen_traffic.py's vm_flow(). Port "in" replays it (net_pcap, infinite_rx=1); its port security is
# off, so nothing but the L2 path runs: parse, MAC lookup (and learning of the source MAC on "in",
# as OVS NORMAL does), unicast to "out" (net_null), whose 1,000 destination MACs are static.
#
# Sourced by bench/run.sh, which reads the SCEN_* variables and calls scenario_rules.

SCEN_DESC="L2 switching, 1,000 MAC pairs, destination MACs static on the output port"
SCEN_PCAPS="vm_1k_64.pcap"     # input traffic, in ../shared/bench/pcaps (PCAP_DIR overrides)
SCEN_OUT_PORTS="out"           # ports whose tx_pkts make the rate (summed)
SCEN_IN_PORTS="in"             # ports whose rx_pkts are reported beside it
SCEN_OVS="s1_normal"           # the Open vSwitch scenario of ../shared/bench/ovs_bench.sh
SCEN_MBUFS=16383               # vnetd "mbufs": the pcap's 1,000 frames + rings + bursts

# scenario_rules PCAP_DIR: print the rules document on standard output.
scenario_rules() {
	local pcap_dir=$1 i sep=""
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mac_limit": 4096}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "in", "network": "bench", "mac": "02:00:00:00:ff:01", "port_security": false,\n'
	printf '   "device": "net_pcap0,rx_pcap=%s/vm_1k_64.pcap,infinite_rx=1"},\n' "$pcap_dir"
	printf '  {"id": "out", "network": "bench", "mac": "02:00:00:00:ff:02", "port_security": false,\n'
	printf '   "device": "net_null0,no-rx=1"}],\n'
	printf ' "static_macs": ['
	for ((i = 0; i < 1000; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "port": "out"}' \
			"$sep" $((i >> 8)) $((i & 255))
		sep=","
	done
	printf ']}\n'
}
