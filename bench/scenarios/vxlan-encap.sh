# shellcheck shell=bash
# Scenario vxlan-encap: a local VM's frames to MACs behind a remote VTEP leave encapsulated. The
# counterpart of Open vSwitch's s2_encap_64.
#
# Traffic: ../shared/bench/pcaps/vm_1k_64.pcap (1,000 UDP flows of 64-byte frames from MACs
# 02:00:00:aa:HH:LL to 02:00:00:bb:HH:LL). Port "vm" replays it (net_pcap, infinite_rx=1, port
# security off so that the 1,000 source MACs need no configuration); the 1,000 destination MACs
# are remote ports behind VTEP 172.31.0.2, VNI 100. The underlay is net_null: its next hop is a
# static neighbour (no ARP). Output: the underlay port, 114-byte frames.

SCEN_DESC="VXLAN encapsulation, 64-byte inner frames, 1,000 flows to remote MACs behind one VTEP"
SCEN_PCAPS="vm_1k_64.pcap"
SCEN_OUT_PORTS="underlay"
SCEN_IN_PORTS="vm"
SCEN_OVS="s2_encap_64"
SCEN_MBUFS=16383

scenario_underlay() {
	printf '{"device": "net_null0,no-rx=1", "address": "172.31.0.1/24",'
	printf ' "mac": "02:00:00:00:aa:01",'
	printf ' "static_neighbors": [{"ip": "172.31.0.2", "mac": "02:00:00:00:aa:02"}]}\n'
}

scenario_rules() {
	local pcap_dir=$1 i sep=""
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mtu": 1450,\n'
	printf '   "mac_learning": false}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "vm", "network": "bench", "mac": "02:00:00:00:ff:01", "port_security": false,\n'
	printf '   "device": "net_pcap0,rx_pcap=%s/vm_1k_64.pcap,infinite_rx=1"}],\n' "$pcap_dir"
	printf ' "remote_ports": ['
	for ((i = 0; i < 1000; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "vtep": "172.31.0.2"}' \
			"$sep" $((i >> 8)) $((i & 255))
		sep=","
	done
	printf ']}\n'
}
