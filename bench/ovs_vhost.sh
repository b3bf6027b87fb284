#!/bin/bash
# One Open vSwitch-DPDK measurement with VM vNICs: the counterpart of vnet's vm-to-vm scenario
# (bench/scenarios/vm-to-vm.sh), written after ../shared/bench/ovs_bench.sh (which it does not
# change) and reusing its ovs_lib.sh (ovsdb-server + ovs-vswitchd-dpdk in a private run directory
# and network namespace, one PMD on core 1, non-PMD threads on core 0) and parse_run.py (the CSV
# line). The VMs are the same testpmd as for vnet (bench/vm_pair.sh): VM a sends
# vm_1k_64.pcap's frames, VM b receives them.
#
# usage: bench/ovs_vhost.sh SCENARIO REP [WARMUP_S] [WINDOW_S]
# scenarios: vm_to_vm   br0 (netdev, fail_mode=secure) with two dpdkvhostuserclient ports, vhu0
#                       (VM a) and vhu1 (VM b); actions=NORMAL; the 1,000 destination MACs
#                       pre-learnt on vhu1 with fdb/add (as s1_normal does on out0)
# environment: OVS_BENCH (where ovs_lib.sh and parse_run.py are: its directory; default
#   ../shared/bench), PCAP_DIR, RESULTS (default $TMPDIR/ovs-bench-results), and vm_pair.sh's
#   VM_NICE, VM_HUGE, TESTPMD; ovs_lib.sh's OVS_VSWITCHD, SOCKET_MEM.
# output: as ovs_bench.sh, its CSV line on stdout (also appended to $RESULTS/results.csv), the
#   evidence in $RESULTS/raw/<scenario>/rep<N>/; what the VMs saw in the window's last second on
#   standard error. Rate = vhu1's TX packets (dpctl/show -s) over the window.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$(dirname "${OVS_BENCH:-$HERE/../../shared/bench/ovs_bench.sh}")" && pwd)
[ $# -ge 2 ] || { sed -n '9,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
SCEN=$1 REP=$2 WARM=${3:-5} WIN=${4:-10}
P=${PCAP_DIR:-$SHARED/pcaps}
RESULTS=${RESULTS:-${TMPDIR:-/tmp}/ovs-bench-results}
OUT=$RESULTS/raw/$SCEN/rep$REP
# Private to this process: two runs never share a run directory, namespace or DPDK prefix.
export RUN=/tmp/ovsbench/run.$SCEN.$REP.$$
export NS=ovsb_${SCEN}_$$
PREFIX=ovsb_${SCEN}_${REP}_$$
# shellcheck source=/dev/null
source "$SHARED/ovs_lib.sh"
# shellcheck source=SCRIPTDIR/vm_pair.sh
source "$HERE/vm_pair.sh"
rm -rf "$RUN" "$OUT"; mkdir -p "$RUN" "$OUT"

# wait_traffic PORT: packets leave PORT (at most 30 s after the VMs started)
wait_traffic() {
	local t
	for _ in $(seq 1 300); do
		t=$(port_counters 2>/dev/null | awk -v p="$1" '$1 == p {print $3}')
		[ -n "$t" ] && [ "$t" -gt 0 ] && return 0
		kill -0 "$VM_PAIR_PID" 2>/dev/null || { echo "testpmd (the VMs) exited:"; tail -20 "$RUN/vms.log"; return 1; }
		sleep 0.1
	done
	echo "no packet left $1 within 30 s"; return 1
}

setup() {
	case $SCEN in
	vm_to_vm)
		add_netdev_bridge br0
		vsctl add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuserclient ofport_request=1 \
			"options:vhost-server-path=$RUN/vm-a.sock"
		vsctl add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuserclient ofport_request=2 \
			"options:vhost-server-path=$RUN/vm-b.sock"
		ofctl add-flow br0 actions=NORMAL
		# pre-learn the 1,000 destination MACs on vhu1 (static FDB entries) -> unicast, no flooding
		for i in $(seq 0 999); do
			appctl fdb/add br0 vhu1 0 "$(printf '02:00:00:bb:%02x:%02x' $((i >> 8)) $((i & 255)))" > /dev/null
		done
		# the VMs last: the rules are in place before the first frame (as in ovs_bench.sh)
		vm_pair_start "$RUN" "$P" "${PREFIX}_vms" || return 1
		OUTP=vhu1 INP=vhu0
		wait_traffic "$OUTP" ;;
	*) echo "unknown scenario $SCEN (vm_to_vm)" >&2; return 1 ;;
	esac
}

cleanup() {
	vm_pair_stop
	cp "$RUN/ovs-vswitchd.log" "$RUN/vms.log" "$OUT/" 2>/dev/null
	ovs_stop "$PREFIX"
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

{
	ovs_start "$PREFIX" || exit 1
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	setup || exit 1
} > "$OUT/setup.log" 2>&1

sleep "$WARM"
VPID=$(cat "$RUN/ovs-vswitchd.pid")
cpu_snapshot() {  # per-thread CPU ticks of ovs-vswitchd + /proc/stat cpu lines (as ovs_bench.sh)
	for t in /proc/"$VPID"/task/*; do
		echo "thread $(basename "$t") $(tr ' ' _ < "$t/comm" 2>/dev/null) $(awk '{print $14+$15, $39}' "$t/stat" 2>/dev/null)"
	done
	grep '^cpu' /proc/stat
}
vm_pair_mark
c0=$(port_counters); t0=$(date +%s.%N)
appctl dpif-netdev/pmd-stats-clear > /dev/null
cpu_snapshot > "$OUT/cpu-t0.txt"
sleep "$WIN"
c1=$(port_counters); t1=$(date +%s.%N)
cpu_snapshot > "$OUT/cpu-t1.txt"
appctl dpif-netdev/pmd-stats-show > "$OUT/pmd-stats.txt"
vm_pair_summary > "$OUT/vms.txt"
{ echo "# t0=$t0"; echo "$c0"; echo "# t1=$t1"; echo "$c1"; } > "$OUT/port-counters.txt"
appctl dpctl/show -s > "$OUT/dpctl-show.txt"
appctl dpctl/dump-flows -m > "$OUT/dp-flows.txt" 2>&1
ofctl dump-flows br0 > "$OUT/of-flows.txt" 2>&1
appctl dpif-netdev/pmd-rxq-show > "$OUT/pmd-rxq-show.txt" 2>&1
appctl coverage/show > "$OUT/coverage.txt" 2>&1
vsctl show > "$OUT/vsctl-show.txt"
sed 's/^/    /' "$OUT/vms.txt" >&2

printf 'scen=%s\nrep=%s\noutp=%s\ninp=%s\n' "$SCEN" "$REP" "$OUTP" "$INP" > "$OUT/meta.txt"
"$SHARED/parse_run.py" "$OUT" | tee -a "$RESULTS/results.csv"
