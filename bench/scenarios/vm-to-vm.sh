# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario vm-to-vm: VM a -> VM b through two vhost-user vNICs (dataplane/port_vhost.c), the
# counterpart of Open vSwitch's dpdkvhostuserclient ports (bench/ovs_vhost.sh, "vm_to_vm").
#
# The "VMs" are one dpdk-testpmd with two virtio_user ports (vhost-user servers, as QEMU with
# server=on) on core 0, started by scenario_start (bench/vm_pair.sh): VM a sends the frames of
# ../shared/bench/pcaps/vm_1k_64.pcap (1,000 UDP flows, 64-byte frames, flow i from MAC
# 02:00:00:aa:HH:LL to 02:00:00:bb:HH:LL), VM b receives and frees what vnetd gives it. vnetd is
# the vhost-user client of both sockets; its one worker (core 1) dequeues from VM a's TX ring,
# parses, learns the source MAC, finds the destination (the 1,000 MACs are static on vm-b) and
# enqueues into VM b's RX ring. Port security is off, as in l2 (Open vSwitch's NORMAL does no
# such check). Rate = vm-b's tx_pkts (the packets VM b's ring took) over the window.
#
# Sourced by bench/run.sh, which exports SCEN_DIR (this measurement's directory) before calling
# scenario_rules and scenario_start, calls scenario_start before vnetd starts, scenario_report at
# the start and the end of the window, scenario_stop after vnetd stopped (and on every exit
# path), and does not count the PIDs in SCEN_PIDS as "other dataplanes".

SCEN_DESC="VM to VM over vhost-user: testpmd virtio_user VM a -> vnetd -> VM b, 1,000 flows, 64 B"
SCEN_PCAPS="vm_1k_64.pcap"     # VM a's traffic, in ../shared/bench/pcaps (PCAP_DIR overrides)
SCEN_OUT_PORTS="vm-b"          # ports whose tx_pkts make the rate (summed)
SCEN_IN_PORTS="vm-a"           # ports whose rx_pkts are reported beside it
SCEN_OVS="vm_to_vm"            # the Open vSwitch scenario ...
SCEN_OVS_BENCH="ovs_vhost.sh"  # ... of this script in bench/ (instead of ../shared/bench/ovs_bench.sh)
SCEN_MBUFS=16383               # vnetd "mbufs": vhost dequeue allocates from vnetd's pool

# shellcheck source=SCRIPTDIR/../vm_pair.sh
source "$(dirname "${BASH_SOURCE[0]}")/../vm_pair.sh"

# scenario_rules PCAP_DIR: print the rules document on standard output.
scenario_rules() {
	local i sep=""
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100, "mac_limit": 4096}],\n'
	printf ' "ports": [\n'
	printf '  {"id": "vm-a", "network": "bench", "kind": "vm", "mac": "%s", "port_security": false,\n' "$VM_A_MAC"
	printf '   "device": "vhost:%s/vm-a.sock"},\n' "$SCEN_DIR"
	printf '  {"id": "vm-b", "network": "bench", "kind": "vm", "mac": "%s", "port_security": false,\n' "$VM_B_MAC"
	printf '   "device": "vhost:%s/vm-b.sock"}],\n' "$SCEN_DIR"
	printf ' "static_macs": ['
	for ((i = 0; i < 1000; i++)); do
		printf '%s\n  {"network": "bench", "mac": "02:00:00:bb:%02x:%02x", "port": "vm-b"}' \
			"$sep" $((i >> 8)) $((i & 255))
		sep=","
	done
	printf ']}\n'
}

# scenario_start DIR: the two VMs (testpmd), before vnetd; scenario_stop: after it;
# scenario_report DIR start|end: at the start of the window, a CPU snapshot of testpmd; at its
# end, what the VMs saw in its last second and testpmd's share of core 0.
scenario_start() {
	vm_pair_start "$1" "$PCAP_DIR" "vnetb_vms_$$" || return 1
	SCEN_PIDS=$VM_PAIR_PID
}
scenario_stop() {
	vm_pair_stop
	SCEN_PIDS=""
}
scenario_report() {
	if [ "$2" = start ]; then vm_pair_mark; else vm_pair_summary; fi
}
