# shellcheck shell=bash
# Scenario vxlan-decap: VXLAN from a known remote VTEP is checked, decapsulated and switched to
# the local VM. The counterpart of Open vSwitch's s3_decap.
#
# Traffic: ../shared/bench/pcaps/vxlan_1k_64.pcap: 110-byte frames from VTEP 172.31.0.2
# (02:00:00:00:aa:02) to 172.31.0.1 (02:00:00:00:aa:01), UDP 4789, VNI 100, inner 64-byte frames
# of 1,000 flows to MACs 02:00:00:bb:HH:LL. The underlay replays it (net_pcap, infinite_rx=1);
# the source VTEP is known through the network's flood list; the 1,000 inner destination MACs
# are static MACs of port "vm" (net_null). Output: port "vm".

SCEN_DESC="VXLAN decapsulation, 64-byte inner frames, 1,000 flows from one known VTEP"
SCEN_PCAPS="vxlan_1k_64.pcap"
SCEN_OUT_PORTS="vm"
SCEN_IN_PORTS="underlay"
SCEN_OVS="s3_decap"
SCEN_MBUFS=16383

scenario_underlay() {
	local pcap_dir=$1
	printf '{"device": "net_pcap0,rx_pcap=%s/vxlan_1k_64.pcap,infinite_rx=1",' "$pcap_dir"
	printf ' "address": "172.31.0.1/24", "mac": "02:00:00:00:aa:01"}\n'
}

scenario_rules() {
	local i sep=""
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mtu": 1450,\n'
	printf '   "flood_vteps": ["172.31.0.2"]}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "vm", "network": "bench", "mac": "02:00:00:00:ff:02", "port_security": false,\n'
	printf '   "device": "net_null0,no-rx=1"}],\n'
	printf ' "static_macs": ['
	for ((i = 0; i < 1000; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "port": "vm"}' \
			"$sep" $((i >> 8)) $((i & 255))
		sep=","
	done
	printf ']}\n'
}
