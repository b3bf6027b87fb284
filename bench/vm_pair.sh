# shellcheck shell=bash
# Two "VMs" for the vm-to-vm benchmark, both in ONE dpdk-testpmd process on CPU 0 (sourced by
# bench/scenarios/vm-to-vm.sh for vnet and by bench/ovs_vhost.sh for Open vSwitch, so that both
# switches see exactly the same traffic source and sink).
#
# testpmd owns four ports, io forwarding, one forwarding lcore, paired topology:
#   port 0  net_pcap0  vm_1k_64.pcap, infinite_rx=1 (1,000 flows, 60-byte frames + FCS = 64 B,
#                      flow i from 02:00:00:aa:HH:LL to 02:00:00:bb:HH:LL, as the l2 scenario)
#   port 1  net_virtio_user0, server=1 on DIR/vm-a.sock   ("VM a": sends the pcap's frames)
#   port 2  net_virtio_user1, server=1 on DIR/vm-b.sock   ("VM b": receives them)
#   port 3  net_null0, no-rx=1                            (where VM b's frames are freed)
# Streams: pcap -> vm-a (VM a transmits), vm-b -> null (VM b receives and frees); the two reverse
# streams (vm-a -> pcap, null -> vm-b) carry nothing. The switch (vnetd or ovs-vswitchd-dpdk) is
# the vhost-user client of both sockets and forwards vm-a -> vm-b; its worker / PMD is on core 1.
#
# Why not --forward-mode=flowgen: testpmd 22.11's flowgen writes the fixed MACs
# 00:01:02:03:04:00 -> 00:01:02:03:04:01 on every port (it ignores --eth-peer), so with two
# virtio ports a learning switch sees the same source MAC on both and one direction is a hairpin.
# txonly+rxonly cannot share one process (one forwarding mode per testpmd), and two testpmd
# processes time-sliced on one CPU cannot measure throughput (/tmp/vhost-proto/README.md).
#
# Environment: TESTPMD (default dpdk-testpmd), VM_NICE (niceness of testpmd, default 0, as vnetd
# and ovs-vswitchd: testpmd is part of what is measured, and at nice 10 any other process on core
# 0 takes it over and the switch starves), VM_HUGE (1: hugepage memory, --in-memory, nothing left
# in /dev/hugepages; 0: --no-huge), VM_BURST (testpmd --burst, default 32).

VM_A_MAC=02:00:00:00:ff:01
VM_B_MAC=02:00:00:00:ff:02
VM_PAIR_PID=""
VM_PAIR_DIR=""
VM_PAIR_PREFIX=""

# vm_pair_start DIR PCAP_DIR PREFIX: start testpmd in the background (its log: DIR/vms.log); it
# waits for the switch to connect to DIR/vm-a.sock, then DIR/vm-b.sock. Sets VM_PAIR_PID.
vm_pair_start() {
	local dir=$1 pcaps=$2 prefix=$3 mem
	if [ "${VM_HUGE:-1}" = 1 ]; then
		mem=(--in-memory --single-file-segments -m 192)
	else
		mem=(--no-huge -m 256)
	fi
	[ -r "$pcaps/vm_1k_64.pcap" ] || { echo "vm_pair: $pcaps/vm_1k_64.pcap: missing" >&2; return 1; }
	command -v "${TESTPMD:-dpdk-testpmd}" > /dev/null || { echo "vm_pair: dpdk-testpmd missing (package dpdk)" >&2; return 1; }
	rm -f "$dir/vm-a.sock" "$dir/vm-b.sock"
	VM_PAIR_DIR=$dir VM_PAIR_PREFIX=$prefix
	nice -n "${VM_NICE:-0}" "${TESTPMD:-dpdk-testpmd}" --no-pci "${mem[@]}" --lcores '0@0,1@0' \
		--file-prefix "$prefix" --log-level 'pmd.net.virtio.*:notice' \
		--vdev "net_pcap0,rx_pcap=$pcaps/vm_1k_64.pcap,infinite_rx=1" \
		--vdev "net_virtio_user0,path=$dir/vm-a.sock,server=1,queues=1,mac=$VM_A_MAC" \
		--vdev "net_virtio_user1,path=$dir/vm-b.sock,server=1,queues=1,mac=$VM_B_MAC" \
		--vdev "net_null0,no-rx=1" -- \
		--forward-mode=io --port-topology=paired --nb-cores=1 --total-num-mbufs=16384 \
		--burst="${VM_BURST:-32}" --stats-period=1 < /dev/null > "$dir/vms.log" 2>&1 &
	VM_PAIR_PID=$!
}

# vm_pair_stop: stop testpmd (SIGINT, SIGKILL after 5 s), remove its sockets and any runtime files.
vm_pair_stop() {
	[ -n "$VM_PAIR_PID" ] || return 0
	if kill -0 "$VM_PAIR_PID" 2>/dev/null; then
		kill -INT "$VM_PAIR_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$VM_PAIR_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$VM_PAIR_PID" 2>/dev/null && kill -KILL "$VM_PAIR_PID" 2>/dev/null
	fi
	wait "$VM_PAIR_PID" 2>/dev/null
	[ -n "$VM_PAIR_DIR" ] && rm -f "$VM_PAIR_DIR/vm-a.sock" "$VM_PAIR_DIR/vm-b.sock"
	[ -n "$VM_PAIR_PREFIX" ] && rm -rf "/var/run/dpdk/$VM_PAIR_PREFIX" /dev/hugepages/"${VM_PAIR_PREFIX}"map_* 2>/dev/null
	VM_PAIR_PID=""
}

# vm_pair_cpu: "<uptime s> <CPU ticks>" of testpmd's forwarding thread (rte-worker-*).
vm_pair_cpu() {
	local t ticks=0
	for t in /proc/"$VM_PAIR_PID"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in rte-worker-*) ;; *) continue ;; esac
		ticks=$((ticks + $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')))
	done
	echo "$(cut -d' ' -f1 /proc/uptime) $ticks"
}

# vm_pair_mark: at the start of the window (for vm_pair_summary's CPU share).
vm_pair_mark() {
	vm_pair_cpu > "$VM_PAIR_DIR/vms.cpu0"
}

# vm_pair_summary: at the end of the window, one line: what the VMs sent and received in
# testpmd's last statistics (the last second), and how much of core 0 testpmd's forwarding thread
# had since vm_pair_mark (below 1.00, other processes on core 0 slowed the traffic source).
vm_pair_summary() {
	local share=""
	if [ -s "$VM_PAIR_DIR/vms.cpu0" ]; then
		share=$(vm_pair_cpu | awk -v hz="$(getconf CLK_TCK)" -v m="$(cat "$VM_PAIR_DIR/vms.cpu0")" \
			'{split(m, a, " "); if ($1 > a[1]) printf "%.2f", ($2 - a[2]) / hz / ($1 - a[1])}')
	fi
	awk -v share="$share" '/NIC statistics for port/ {p = $6}
	     /Tx-pps:/ && p == 1 {a = $2} /Rx-pps:/ && p == 2 {b = $2}
	     END {if (a != "") printf "testpmd, last second: VM a sent %.3f Mpps, VM b received %.3f Mpps%s\n", a / 1e6, b / 1e6,
	          share != "" ? "; testpmd had core 0 for " share " of the window" (share < 0.98 ? \
	          " (DISTURBED: other threads on core 0, of other processes or of the switch, slowed the traffic source)" : "") : ""}' \
		"$VM_PAIR_DIR/vms.log" 2>/dev/null
}
