#!/bin/bash
# vnet's forwarding benchmark, on the same traffic, vdevs and method as the Open vSwitch-DPDK
# baseline in ../shared/bench (HARNESS.md): net_pcap infinite_rx=1 in, net_null out, one busy-polling
# worker on core 1, a warm-up, then a window; rate = output packets over the window.
#
# usage: bench/run.sh [--reps N] [--warm S] [--window S] [--with-ovs] [SCENARIO...]
#   SCENARIO: a file bench/scenarios/SCENARIO.sh (default: l2). Repetitions are interleaved (rep 1
#   of every scenario, then rep 2, ...); with --with-ovs each vnet run is paired with the matching
#   Open vSwitch run (../shared/bench/ovs_bench.sh, or the scenario's own script in bench/),
#   alternating which goes first. walk-idle measures cycles per idle walk instead (walks.csv);
#   containers measures vnetd and the kernel's bridge between two veth containers (containers.csv).
# environment: VNETD, VNETCTL (binaries; default build/vnetd, build/vnetctl/vnetctl),
#   PCAP_DIR, OVS_BENCH, RESULTS (default bench/results), TSC_MHZ (default: the kernel's TSC),
#   BENCH_COMMIT (the commit to record; default: this tree's HEAD, -dirty if it has changes).
# output: one line per measurement appended to $RESULTS/results.csv, per-node cycles to
#   $RESULTS/nodes.csv, Open vSwitch's own CSV lines to $RESULTS/ovs_results.csv, idle-walk
#   measurements to $RESULTS/walks.csv, containers' to $RESULTS/containers.csv, and a summary.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
SHARED=$(cd "$TOP/../shared/bench" 2>/dev/null && pwd)

usage() {
	sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

REPS=3 WARM=6 WIN=12 WITH_OVS=0 SCENS=()
while [ $# -gt 0 ]; do
	case $1 in
	--reps) REPS=${2:?--reps needs a number}; shift 2 ;;
	--warm) WARM=${2:?--warm needs seconds}; shift 2 ;;
	--window) WIN=${2:?--window needs seconds}; shift 2 ;;
	--with-ovs) WITH_OVS=1; shift ;;
	-h | --help) usage 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) SCENS+=("$1"); shift ;;
	esac
done
[ ${#SCENS[@]} -gt 0 ] || SCENS=(l2)
for v in REPS WARM WIN; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: ${v,,} must be a positive integer, not '${!v}'" >&2; exit 2; }
done

# Everything but the worker runs on core 0: this script, vnetctl, vnetd's main lcore (EAL -l 0,1
# pins the worker to core 1 itself; Open vSwitch pins its PMD with pmd-cpu-mask=0x2).
if [ -z "${VNETBENCH_PINNED:-}" ] && command -v taskset >/dev/null; then
	args=(--reps "$REPS" --warm "$WARM" --window "$WIN")
	[ $WITH_OVS = 1 ] && args+=(--with-ovs)
	VNETBENCH_PINNED=1 exec taskset -c 0 "$0" "${args[@]}" "${SCENS[@]}"
fi

OWN_BUILD=$([ -z "${VNETD:-}" ] && echo 1)
VNETD=${VNETD:-$TOP/build/vnetd}
VNETCTL=${VNETCTL:-$TOP/build/vnetctl/vnetctl}
PCAP_DIR=${PCAP_DIR:-$SHARED/pcaps}
OVS_BENCH=${OVS_BENCH:-$SHARED/ovs_bench.sh}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3

die() { echo "run.sh: $*" >&2; exit 1; }
[ -x "$VNETD" ] || die "$VNETD: no vnetd binary (meson setup build && ninja -C build, or set VNETD)"
[ -x "$VNETCTL" ] || die "$VNETCTL: no vnetctl binary (ninja -C build, or set VNETCTL)"
[ -x "$PY" ] || die "$PY is needed to compute the figures"
for s in "${SCENS[@]}"; do
	[ -f "$HERE/scenarios/$s.sh" ] || die "unknown scenario $s (no bench/scenarios/$s.sh)"
done
[ -n "$OWN_BUILD" ] && newer=$(find "$TOP/dataplane" "$TOP/vswitch" "$TOP/vrouter" "$TOP/firewall" "$TOP/overlay" \
	-name '*.[ch]' -newer "$VNETD" 2>/dev/null | head -3 | tr '\n' ' ')
[ -n "${newer:-}" ] && echo "run.sh: warning: sources newer than $VNETD (rebuild?): $newer" >&2

# TSC frequency: the kernel's (tsc_known_freq here), as "cpu MHz" in /proc/cpuinfo.
TSC_MHZ=${TSC_MHZ:-$(awk -F: '/^cpu MHz/ {gsub(/ /, "", $2); print $2; exit}' /proc/cpuinfo)}
[ -n "$TSC_MHZ" ] || die "cannot read the TSC frequency (/proc/cpuinfo); set TSC_MHZ"

# The commit measured: BENCH_COMMIT when the binaries come from elsewhere, else this tree's HEAD
# (-dirty when files other than bench/results differ from it).
if [ -n "${BENCH_COMMIT:-}" ]; then
	COMMIT=$BENCH_COMMIT
else
	COMMIT=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$TOP" status --porcelain -- . ':!bench/results' 2>/dev/null)" ] && COMMIT=$COMMIT-dirty
fi

mkdir -p "$RESULTS" || die "cannot create $RESULTS"
CSV=$RESULTS/results.csv NODES=$RESULTS/nodes.csv
[ -s "$CSV" ] || echo "scenario,rep,mpps,cycles_per_pkt,window_s,timestamp,git_commit,rx_mpps,tx_pkts,tsc_mhz,node_cycles_share,idle_walk_share,events_lost,cpu1_steal,other_dp_procs,worker_cpu_share,worker_preemptions,oncpu_cycles_per_pkt" > "$CSV"
[ -s "$NODES" ] || echo "scenario,rep,timestamp,git_commit,node,calls,objs,cycles,cycles_per_obj,objs_per_call" > "$NODES"
WALKS=$RESULTS/walks.csv
[ -s "$WALKS" ] || echo "scenario,device,vnics,rep,cycles_per_walk,port_rx_cycles_per_call,port_rx_cycles_per_vnic,walks_per_s,window_s,timestamp,git_commit,tsc_mhz,walks,idle_walk_share,node_cycles_share,cpu1_steal,other_dp_procs,worker_cpu_share,worker_preemptions,oncpu_cycles_per_walk" > "$WALKS"
CONTS=$RESULTS/containers.csv
[ -s "$CONTS" ] || echo "scenario,switch,rep,mpps,offered_mpps,loss_share,rtt_p50_us,rtt_p99_us,pings,pings_answered,window_s,timestamp,git_commit,limit,cpu0_busy,cpu0_softirq,cpu1_busy,cpu1_user,cpu1_sys,cpu1_softirq,gen_cpu_share,worker_cpu_share,vnet_rx_mpps,vnet_tx_mpps,vnet_ring_loss_mpps,vnet_drops,idle_walk_share,port_rx_cycles_per_pkt,port_tx_cycles_per_pkt,other_dp_procs,loadavg,cpu0_others_user,cpu1_others_user,worker_cpu_share_pings,ksoftirqd0_share,ksoftirqd1_share,port_tx_window_share" > "$CONTS"

TMPD=$(mktemp -d /tmp/vnetbench.XXXXXX) || die "mktemp failed"
VNETD_PID="" PREFIX="" NAP_PID="" SCEN_STARTED="" SCEN_PIDS=""

stop_vnetd() {
	[ -n "$VNETD_PID" ] || return 0
	if kill -0 "$VNETD_PID" 2>/dev/null; then
		kill -TERM "$VNETD_PID" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$VNETD_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$VNETD_PID" 2>/dev/null; then
			echo "run.sh: vnetd $VNETD_PID did not stop in 10 s after SIGTERM; SIGKILL" >&2
			kill -KILL "$VNETD_PID" 2>/dev/null
		fi
	fi
	wait "$VNETD_PID" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" /dev/hugepages/"${PREFIX}"map_* 2>/dev/null
	VNETD_PID=""
}
# stop_scen: stop what the scenario's scenario_start started (vm-to-vm: its VMs), once.
stop_scen() {
	[ -n "$SCEN_STARTED" ] || return 0
	SCEN_STARTED=""
	declare -F scenario_stop > /dev/null && scenario_stop
	SCEN_PIDS=""
}
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	trap '' PIPE   # nor may it stop the cleanup
	[ -n "$NAP_PID" ] && kill "$NAP_PID" 2>/dev/null
	stop_vnetd
	stop_scen
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE   # our reader went (Ctrl-C on `run.sh | tail`): clean up, as for INT

ctl() { "$VNETCTL" -s "$SOCK" "$@"; }
# sleep that a signal interrupts at once (bash runs traps only between foreground commands)
nap() { sleep "$1" & NAP_PID=$!; wait $NAP_PID; NAP_PID=""; }
# Other packet-processing processes that may compete for core 1 (noise indicator).
# Worker threads' CPU time and involuntary context switches: "<ticks> <nvcsw>" summed over rte-worker-*.
worker_cpu() {
	local t ticks=0 nv=0 st n
	for t in /proc/"$VNETD_PID"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in rte-worker-*) ;; *) continue ;; esac
		st=$(sed 's/.*) //' "$t/stat") n=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status")
		ticks=$((ticks + $(echo "$st" | awk '{print $12 + $13}'))) nv=$((nv + n))
	done
	echo "$ticks $nv"
}
# The worker threads' user-mode CPU ticks, summed over rte-worker-*.
worker_utime() {
	local t u=0
	for t in /proc/"$VNETD_PID"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in rte-worker-*) ;; *) continue ;; esac
		u=$((u + $(sed 's/.*) //' "$t/stat" | awk '{print $12}')))
	done
	echo "$u"
}
# Not counted: this measurement's vnetd and the scenario's own helpers (SCEN_PIDS: vm-to-vm's VMs).
others() {
	pgrep -x 'vnetd|dpdk-testpmd|ovs-vswitchd|ovs-vswitchd-dp' 2>/dev/null |
		awk -v own="${VNETD_PID:-0} ${SCEN_PIDS:-}" 'BEGIN {n = split(own, a, " "); for (i = 1; i <= n; i++) o[a[i]] = 1}
			!($1 in o) {c++} END {print c + 0}'
}

# ports_ready PORTS_JSON OUT_PORT...: every port up and packets leaving the output ports?
ports_ready() {
	"$PY" - "$@" <<'PY'
import json, sys
ports = {p["name"]: p for p in json.load(open(sys.argv[1]))}
up = ports and all(p["link_up"] for p in ports.values())
sys.exit(0 if up and sum(ports[o]["tx_pkts"] for o in sys.argv[2:]) > 0 else 1)
PY
}

# load_scenario NAME: source bench/scenarios/NAME.sh, forgetting what the previous one set.
load_scenario() {
	unset -f scenario_rules scenario_underlay scenario_start scenario_stop scenario_report \
		scenario_ready scenario_latency scenario_traffic scenario_counters
	unset SCEN_DESC SCEN_PCAPS SCEN_OUT_PORTS SCEN_IN_PORTS SCEN_OVS SCEN_OVS_BENCH SCEN_MBUFS \
		SCEN_MEASURE SCEN_VARIANTS SCEN_DEVICE SCEN_SWITCH SCEN_ROUTING SCEN_READY_S SCEN_CONFIG
	# shellcheck source=/dev/null
	source "$HERE/scenarios/$1.sh"
}

# start_vnetd SCENARIO REP DIR [VARIANT]: the loaded scenario's rules (for VARIANT) and helpers
# (scenario_start: vm-to-vm's VMs), then a fresh vnetd in the background.
start_vnetd() {
	local scen=$1 rep=$2 dir=$3 variant=${4:-}
	PREFIX=vnetb_${scen//[^a-zA-Z0-9]/_}_${rep}${variant:+_$variant}_$$
	SOCK=$dir/vnetd.sock
	export SCEN_DIR=$dir   # where a scenario puts its sockets (vhost:)
	scenario_rules "$PCAP_DIR" "$variant" > "$dir/rules.json" || die "$scen: scenario_rules failed"
	# A scenario with an underlay (VXLAN) prints vnetd's "underlay" object.
	echo null > "$dir/underlay.json"
	if declare -F scenario_underlay > /dev/null; then
		scenario_underlay "$PCAP_DIR" > "$dir/underlay.json" || die "$scen: scenario_underlay failed"
	fi
	"$PY" - "$dir/rules.json" "$SOCK" "$PREFIX" "${SCEN_MBUFS:-16383}" "$dir/underlay.json" \
		"${SCEN_ROUTING:-}" "${SCEN_CONFIG:-}" > "$dir/vnetd.json" <<'PY' || die "$scen: bad rules document"
import json, sys
rules, sock, prefix, mbufs, underlay, routing, extra = sys.argv[1:]
cfg = {"eal_args": ["-l", "0,1", "--main-lcore", "0", "--no-pci",
                    "--no-telemetry", "--file-prefix", prefix],
       "socket": sock, "workers": [1], "idle_sleep_max_us": 0,
       "mbufs": int(mbufs), "rules": json.load(open(rules))}
ul = json.load(open(underlay))
if ul is not None:
    cfg["underlay"] = ul
if routing:   # SCEN_ROUTING: vnetd's "routing" object (l3-scale: the FIB's capacity)
    cfg["routing"] = json.loads(routing)
if extra:     # SCEN_CONFIG: more of vnetd's configuration (conntrack's sizes)
    cfg.update(json.loads(extra))
print(json.dumps(cfg))
PY
	if declare -F scenario_start > /dev/null; then
		SCEN_STARTED=1
		if ! scenario_start "$dir"; then
			echo "run.sh: $scen rep $rep: scenario_start failed" >&2
			stop_scen
			return 1
		fi
	fi
	"$VNETD" -c "$dir/vnetd.json" > "$dir/vnetd.log" 2>&1 &
	VNETD_PID=$!
}

# measure_window SCENARIO REP DIR: the warm-up, then `show stats --json` and the noise indicators
# at both ends of the window, into DIR; 1 (vnetd and the scenario stopped) if vnetd died or did
# not answer.
measure_window() {
	local scen=$1 rep=$2 dir=$3 o0 o1
	nap "$WARM"
	o0=$(others)
	declare -F scenario_report > /dev/null && scenario_report "$dir" start > /dev/null 2>&1
	grep '^cpu1 ' /proc/stat > "$dir/stat0"
	worker_cpu > "$dir/cpu0"
	date +%s.%N > "$dir/t0"; ctl show stats --json > "$dir/s0.json"; date +%s.%N >> "$dir/t0"
	nap "$WIN"
	date +%s.%N > "$dir/t1"; ctl show stats --json > "$dir/s1.json"; date +%s.%N >> "$dir/t1"
	grep '^cpu1 ' /proc/stat > "$dir/stat1"
	worker_cpu > "$dir/cpu1"
	o1=$(others)
	echo $((o0 > o1 ? o0 : o1)) > "$dir/others"
	: > "$dir/report.txt"
	declare -F scenario_report > /dev/null && scenario_report "$dir" end > "$dir/report.txt" 2>&1
	if ! kill -0 "$VNETD_PID" 2>/dev/null || [ ! -s "$dir/s0.json" ] || [ ! -s "$dir/s1.json" ]; then
		echo "run.sh: $scen rep $rep: vnetd died or did not answer during the window; its log:" >&2
		sed 's/^/  /' "$dir/vnetd.log" >&2
		stop_vnetd
		stop_scen
		return 1
	fi
}

# run_vnet SCENARIO REP: one measurement on a fresh vnetd; appends to $CSV and $NODES.
run_vnet() {
	local scen=$1 rep=$2 dir=$TMPD/$1.$2 ready=0 deadline
	mkdir -p "$dir"
	load_scenario "$scen"
	deadline=$((SECONDS + ${SCEN_READY_S:-30}))   # SCEN_READY_S: a scenario slow to start (l3-scale)
	[ "$rep" = 1 ] && echo "$scen: ${SCEN_DESC:-}"
	for p in $SCEN_PCAPS; do [ -r "$PCAP_DIR/$p" ] || die "$PCAP_DIR/$p: missing traffic file"; done
	start_vnetd "$scen" "$rep" "$dir" || return 1
	# ready: every port up and packets leaving the output ports
	while [ $SECONDS -lt $deadline ] && kill -0 "$VNETD_PID" 2>/dev/null; do
		# shellcheck disable=SC2086  # one argument per output port
		if ctl show ports --json > "$dir/ports.json" 2>/dev/null &&
			ports_ready "$dir/ports.json" $SCEN_OUT_PORTS; then
			ready=1; break
		fi
		sleep 0.1
	done
	if [ $ready = 0 ]; then
		echo "run.sh: $scen rep $rep: vnetd did not come up forwarding within ${SCEN_READY_S:-30} s; its log:" >&2
		sed 's/^/  /' "$dir/vnetd.log" >&2
		stop_vnetd
		stop_scen
		return 1
	fi
	measure_window "$scen" "$rep" "$dir" || return 1
	stop_vnetd
	stop_scen
	local ret=0
	"$PY" - "$dir" "$scen" "$rep" "$TSC_MHZ" "$COMMIT" "$CSV" "$NODES" "$(cat "$dir/others")" \
		"$SCEN_OUT_PORTS" "$SCEN_IN_PORTS" "$(getconf CLK_TCK)" <<'PY' || ret=1
import json, sys, time
d, scen, rep, tsc_mhz, commit, csv, nodes, others, outp, inp, hz = sys.argv[1:]
tsc_hz = float(tsc_mhz) * 1e6
mid = lambda f: sum(float(x) for x in open(f).read().split()) / 2  # midpoint of the call
dt = mid(d + "/t1") - mid(d + "/t0")
s0, s1 = json.load(open(d + "/s0.json")), json.load(open(d + "/s1.json"))
port = lambda s, n: next(p for p in s["ports"] if p["name"] == n)
tx = sum(port(s1, n)["tx_pkts"] - port(s0, n)["tx_pkts"] for n in outp.split())
rx = sum(port(s1, n)["rx_pkts"] - port(s0, n)["rx_pkts"] for n in inp.split())
if tx <= 0:
    sys.exit("run.sh: %s rep %s: no packet left the output port(s) %s in the window" % (scen, rep, outp))
mpps, cpp = tx / dt / 1e6, tsc_hz * dt / tx
w0, w1 = s0["workers"][0], s1["workers"][0]
walks = w1["walks"] - w0["walks"]
idle = (w1["idle_walks"] - w0["idle_walks"]) / walks if walks else 0.0
lost = sum(a["events_lost"] for a in s1["workers"]) - sum(a["events_lost"] for a in s0["workers"])
n0 = {n["name"]: n for n in s0["nodes"]}
rows, node_cycles = [], 0
for n in s1["nodes"]:
    a = n0.get(n["name"], {"calls": 0, "objs": 0, "cycles": 0})
    calls, objs, cyc = (n[k] - a[k] for k in ("calls", "objs", "cycles"))
    node_cycles += cyc
    rows.append((n["name"], calls, objs, cyc))
share = node_cycles / (tsc_hz * dt)
a = [int(x) for x in open(d + "/stat0").read().split()[1:]]
b = [int(x) for x in open(d + "/stat1").read().split()[1:]]
delta = [y - x for x, y in zip(a, b)]
steal = delta[7] / max(1, sum(delta[:8]))
(k0, v0), (k1, v1) = ([int(x) for x in open(d + f).read().split()] for f in ("/cpu0", "/cpu1"))
wshare, preempt = (k1 - k0) / int(hz) / dt, v1 - v0
oncpu = tsc_hz * (k1 - k0) / int(hz) / tx  # TSC cycles the worker actually ran, per packet
ts = time.strftime("%Y-%m-%dT%H:%M:%S%z")
with open(csv, "a") as f:
    f.write("%s,%s,%.4f,%.1f,%.3f,%s,%s,%.4f,%d,%s,%.3f,%.4f,%d,%.3f,%s,%.3f,%d,%.1f\n" % (
        scen, rep, mpps, cpp, dt, ts, commit, rx / dt / 1e6, tx, tsc_mhz, share, idle,
        lost, steal, others, wshare, preempt, oncpu))
with open(nodes, "a") as f:
    for name, calls, objs, cyc in rows:
        f.write("%s,%s,%s,%s,%s,%d,%d,%d,%.1f,%.1f\n" % (scen, rep, ts, commit, name, calls,
            objs, cyc, cyc / objs if objs else 0, objs / calls if calls else 0))
print("vnet %-12s rep %s: %7.3f Mpps  %6.1f cycles/pkt  (window %.2f s, rx %.3f Mpps, "
      "in-node cycles %.0f %%, idle walks %.1f %%, learn events lost %d, cpu1 steal %.1f %%, "
      "other dataplanes running: %s, worker on CPU %.1f %% of the window, preempted %d times)" % (
      scen, rep, mpps, cpp, dt, rx / dt / 1e6, 100 * share, 100 * idle, lost, 100 * steal, others,
      100 * wshare, preempt))
if wshare < 0.98:
    print("    DISTURBED: the worker had core 1 for only %.0f %% of the window (other processes ran "
          "there); on-CPU cycles/pkt %.1f" % (100 * wshare, oncpu))
for name, calls, objs, cyc in sorted(rows, key=lambda r: -r[3]):
    if objs:
        print("    %-16s %8.1f cycles/obj %8.1f cycles/pkt-out %6.1f objs/call" % (
            name, cyc / objs, cyc / tx, objs / calls))
PY
	sed 's/^/    /' "$dir/report.txt"
	return $ret
}

# run_walk SCENARIO REP N: the cost of an idle walk of vnetd's busy-polling worker with the
# scenario's N idle vNICs (walk-idle): cycles per walk over the window (TSC x window / walks, and
# on-CPU), port_rx's cycles per call from rte_graph's node statistics; appends to $WALKS.
run_walk() {
	local scen=$1 rep=$2 n=$3 dir=$TMPD/$1.$2.$3 ready=0 deadline=$((SECONDS + 60)) ret=0
	mkdir -p "$dir"
	load_scenario "$scen"
	[ "$rep" = 1 ] && [ "$n" = "${SCEN_VARIANTS%% *}" ] && echo "$scen: ${SCEN_DESC:-}"
	start_vnetd "$scen" "$rep" "$dir" "$n" || return 1
	# ready: vnetd answers with all N ports and its worker walks
	while [ $SECONDS -lt $deadline ] && kill -0 "$VNETD_PID" 2>/dev/null; do
		if ctl show stats --json > "$dir/ready.json" 2>/dev/null &&
			"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))
sys.exit(0 if len(s["ports"]) == int(sys.argv[2]) and s["workers"][0]["walks"] > 0 else 1)' "$dir/ready.json" "$n"; then
			ready=1; break
		fi
		sleep 0.2
	done
	if [ $ready = 0 ]; then
		echo "run.sh: $scen rep $rep ($n vNICs): vnetd did not come up walking within 60 s; its log:" >&2
		tail -20 "$dir/vnetd.log" | sed 's/^/  /' >&2
		stop_vnetd
		stop_scen
		return 1
	fi
	measure_window "$scen" "$rep" "$dir" || return 1
	stop_vnetd
	stop_scen
	"$PY" - "$dir" "$scen" "${SCEN_DEVICE:-}" "$n" "$rep" "$TSC_MHZ" "$COMMIT" "$WALKS" \
		"$(cat "$dir/others")" "$(getconf CLK_TCK)" <<'PY' || ret=1
import json, sys, time
d, scen, dev, n, rep, tsc_mhz, commit, csv, others, hz = sys.argv[1:]
tsc_hz = float(tsc_mhz) * 1e6
mid = lambda f: sum(float(x) for x in open(f).read().split()) / 2  # midpoint of the call
dt = mid(d + "/t1") - mid(d + "/t0")
s0, s1 = json.load(open(d + "/s0.json")), json.load(open(d + "/s1.json"))
w0, w1 = s0["workers"][0], s1["workers"][0]
walks = w1["walks"] - w0["walks"]
if walks <= 0:
    sys.exit("run.sh: %s rep %s (%s vNICs): the worker did not walk in the window" % (scen, rep, n))
idle = (w1["idle_walks"] - w0["idle_walks"]) / walks
n0 = {x["name"]: x for x in s0["nodes"]}
node_cycles, rx_calls, rx_cycles = 0, 0, 0
for x in s1["nodes"]:
    a = n0.get(x["name"], {"calls": 0, "cycles": 0})
    node_cycles += x["cycles"] - a["cycles"]
    if x["name"] == "port_rx":
        rx_calls, rx_cycles = x["calls"] - a["calls"], x["cycles"] - a["cycles"]
cpw = tsc_hz * dt / walks                       # the wall-clock TSC cycles of one walk
prx = rx_cycles / rx_calls if rx_calls else 0.0  # inside port_rx (polling the N vNICs + the injection ring)
share = node_cycles / (tsc_hz * dt)
a = [int(x) for x in open(d + "/stat0").read().split()[1:]]
b = [int(x) for x in open(d + "/stat1").read().split()[1:]]
delta = [y - x for x, y in zip(a, b)]
steal = delta[7] / max(1, sum(delta[:8]))
(k0, v0), (k1, v1) = ([int(x) for x in open(d + f).read().split()] for f in ("/cpu0", "/cpu1"))
wshare, preempt = (k1 - k0) / int(hz) / dt, v1 - v0
oncpu = tsc_hz * (k1 - k0) / int(hz) / walks  # TSC cycles the worker actually ran, per walk
ts = time.strftime("%Y-%m-%dT%H:%M:%S%z")
with open(csv, "a") as f:
    f.write("%s,%s,%s,%s,%.1f,%.1f,%.2f,%.0f,%.3f,%s,%s,%s,%d,%.4f,%.3f,%.3f,%s,%.3f,%d,%.1f\n" % (
        scen, dev, n, rep, cpw, prx, prx / int(n), walks / dt, dt, ts, commit, tsc_mhz, walks,
        idle, share, steal, others, wshare, preempt, oncpu))
print("vnet %-12s rep %s: %4s idle %s vNICs: %8.1f cycles/walk  port_rx %8.1f cycles/call (%.1f per vNIC), "
      "%.2f M walks/s  (window %.2f s, idle walks %.1f %%, in-node cycles %.0f %%, cpu1 steal %.1f %%, "
      "other dataplanes running: %s, worker on CPU %.1f %% of the window, preempted %d times)" % (
      scen, rep, n, dev, cpw, prx, prx / int(n), walks / dt / 1e6, dt, 100 * idle, 100 * share,
      100 * steal, others, 100 * wshare, preempt))
if wshare < 0.98:
    print("    DISTURBED: the worker had core 1 for only %.0f %% of the window (other processes ran "
          "there); on-CPU cycles/walk %.1f" % (100 * wshare, oncpu))
PY
	return $ret
}

# run_containers SCENARIO REP SWITCH: one measurement of a SCEN_MEASURE=containers scenario with
# SWITCH (one of its variants: vnetd, or a kernel switch): the scenario's containers and switch
# (scenario_start with SCEN_SWITCH=SWITCH; for vnetd, then a fresh vnetd as for every scenario),
# the round trip on the idle switch (scenario_latency), then its traffic (scenario_traffic): the
# warm-up, the window (scenario_counters, /proc/stat, vnetd's stats at both ends); appends to $CONTS.
run_containers() {
	local scen=$1 rep=$2 sw=$3 dir=$TMPD/$1.$2.$3 ready=0 deadline=$((SECONDS + 30)) pings w busy load ret=0
	mkdir -p "$dir"
	load_scenario "$scen"
	# shellcheck disable=SC2034  # read by the scenario's hooks
	SCEN_SWITCH=$sw
	if [ "$sw" = vnetd ]; then
		start_vnetd "$scen" "$rep" "$dir" "$sw" || return 1
	else
		SCEN_STARTED=1
		if ! scenario_start "$dir"; then
			echo "run.sh: $scen rep $rep ($sw): scenario_start failed" >&2
			stop_scen
			return 1
		fi
	fi
	# ready: (vnetd: its ports up, i.e. the containers' ends up) the containers reach each other
	while [ $SECONDS -lt $deadline ]; do
		if [ "$sw" = vnetd ]; then
			kill -0 "$VNETD_PID" 2>/dev/null || break
			if ! ctl show ports --json > "$dir/ports.json" 2>/dev/null || ! "$PY" -c 'import json, sys
p = json.load(open(sys.argv[1])); sys.exit(0 if p and all(x["link_up"] for x in p) else 1)' "$dir/ports.json"; then
				sleep 0.1
				continue
			fi
		fi
		if scenario_ready; then ready=1; break; fi
		sleep 0.1
	done
	if [ $ready = 0 ]; then
		echo "run.sh: $scen rep $rep ($sw): the containers did not reach each other within 30 s" >&2
		[ "$sw" = vnetd ] && sed 's/^/  /' "$dir/vnetd.log" >&2
		stop_vnetd
		stop_scen
		return 1
	fi
	# (vnetd: the worker's CPU time over the pings, to tell a descheduled worker from a slow one)
	[ "$sw" = vnetd ] && echo "$(cut -d' ' -f1 /proc/uptime) $(worker_cpu)" > "$dir/lat0"
	scenario_latency "$dir"
	[ "$sw" = vnetd ] && echo "$(cut -d' ' -f1 /proc/uptime) $(worker_cpu)" > "$dir/lat1"
	pings=$(cat "$dir/pings" 2>/dev/null || echo "0 0")
	if ! scenario_traffic "$dir" start; then
		stop_vnetd
		stop_scen
		return 1
	fi
	nap "$WARM"
	# both ends of the window, each timed by the midpoint of its reads
	for w in 0 1; do
		[ $w = 1 ] && nap "$WIN"
		date +%s.%N > "$dir/t$w"
		scenario_counters > "$dir/c$w"
		grep -E '^cpu[01] ' /proc/stat > "$dir/stat$w"
		if [ "$sw" = vnetd ]; then
			worker_cpu > "$dir/cpu$w"
			worker_utime > "$dir/ut$w"
			ctl show stats --json > "$dir/s$w.json"
		fi
		date +%s.%N >> "$dir/t$w"
	done
	busy=$(others) load=$(cut -d' ' -f1 /proc/loadavg)
	scenario_traffic "$dir" stop
	if [ "$sw" = vnetd ] && { ! kill -0 "$VNETD_PID" 2>/dev/null || [ ! -s "$dir/s0.json" ] || [ ! -s "$dir/s1.json" ]; }; then
		echo "run.sh: $scen rep $rep ($sw): vnetd died or did not answer during the window; its log:" >&2
		sed 's/^/  /' "$dir/vnetd.log" >&2
		stop_vnetd
		stop_scen
		return 1
	fi
	stop_vnetd
	stop_scen
	"$PY" - "$dir" "$scen" "$sw" "$rep" "$TSC_MHZ" "$COMMIT" "$CONTS" "$busy" "$(getconf CLK_TCK)" \
		"$pings" "$load" <<'PY' || ret=1
import json, math, os, sys, time
d, scen, sw, rep, tsc_mhz, commit, csv, others, hz, pings, load = sys.argv[1:]
tsc_hz, hz = float(tsc_mhz) * 1e6, int(hz)
mid = lambda f: sum(float(x) for x in open(f).read().split()) / 2  # midpoint of the reads
dt = mid(d + "/t1") - mid(d + "/t0")
cnt = [dict((l.split()[0], int(l.split()[1])) for l in open("%s/c%d" % (d, i)) if len(l.split()) == 2)
       for i in (0, 1)]
dc = {k: cnt[1][k] - cnt[0][k] for k in cnt[0] if k in cnt[1]}
rx, off = dc.get("b_rx", 0), dc.get("a_tx", 0)
if rx <= 0:
    sys.exit("run.sh: %s rep %s (%s): container b received nothing in the window" % (scen, rep, sw))
mpps, off_mpps = rx / dt / 1e6, off / dt / 1e6
loss = max(0.0, (off - rx) / off) if off > 0 else 0.0
stat = lambda f: {l.split()[0]: [int(x) for x in l.split()[1:]] for l in open(f)}
s0, s1 = stat(d + "/stat0"), stat(d + "/stat1")
cpu = {}
for c in ("cpu0", "cpu1"):
    v = [y - x for x, y in zip(s0[c], s1[c])]  # user nice system idle iowait irq softirq steal
    t = max(1, sum(v[:8]))
    cpu[c] = {"busy": 1 - (v[3] + v[4]) / t, "user": (v[0] + v[1]) / t, "sys": v[2] / t,
              "softirq": (v[5] + v[6]) / t, "steal": v[7] / t}
gen = (dc.get("gen_utime", 0) + dc.get("gen_stime", 0)) / hz / dt
ksi = [dc.get("ksoftirqd%d_ticks" % c, 0) / hz / dt for c in (0, 1)]
# Other processes on the cores, by their user-mode time (compilers, test suites): none of this
# benchmark's threads runs in user mode but the generator (core 0) and vnetd's worker (core 1).
wut = 0.0
if os.path.exists(d + "/ut1"):
    wut = (int(open(d + "/ut1").read()) - int(open(d + "/ut0").read())) / hz / dt
oth0 = max(0.0, cpu["cpu0"]["user"] - dc.get("gen_utime", 0) / hz / dt)
oth1 = max(0.0, cpu["cpu1"]["user"] - wut)
rtt = sorted(float(x) for x in open(d + "/rtt.txt") if x.strip())
pct = lambda p: rtt[max(0, math.ceil(p * len(rtt)) - 1)] if rtt else float("nan")
p50, p99 = pct(0.50), pct(0.99)
sent, answered = pings.split()
v = {"rx": "", "tx": "", "ring": "", "drops": "", "idle": "", "prx": "", "ptx": "", "worker": "", "lat": "",
     "txshare": ""}
if os.path.exists(d + "/s1.json"):
    j0, j1 = json.load(open(d + "/s0.json")), json.load(open(d + "/s1.json"))
    port = lambda j, n: next(p for p in j["ports"] if p["name"] == n)
    vrx = port(j1, "a")["rx_pkts"] - port(j0, "a")["rx_pkts"]
    vtx = port(j1, "b")["tx_pkts"] - port(j0, "b")["tx_pkts"]
    w0, w1 = j0["workers"][0], j1["workers"][0]
    walks = w1["walks"] - w0["walks"]
    n0 = {n["name"]: n for n in j0["nodes"]}
    node = {n["name"]: (n["objs"] - n0[n["name"]]["objs"], n["cycles"] - n0[n["name"]]["cycles"])
            for n in j1["nodes"] if n["name"] in n0}
    cpo = lambda n: node[n][1] / node[n][0] if node.get(n, (0, 0))[0] else 0.0
    (k0, _), (k1, _) = ([int(x) for x in open(d + f).read().split()] for f in ("/cpu0", "/cpu1"))
    v = {"rx": vrx / dt / 1e6, "tx": vtx / dt / 1e6,
         # what the host end received and vnetd never read: its RX ring was full (the kernel's
         # tp_drops, which vnetd does not count)
         "ring": max(0, dc.get("ha_rx", 0) - vrx) / dt / 1e6,
         "drops": sum(p["drops"] for p in j1["ports"]) - sum(p["drops"] for p in j0["ports"]),
         "idle": (w1["idle_walks"] - w0["idle_walks"]) / walks if walks else 0.0,
         "prx": cpo("port_rx"), "ptx": cpo("port_tx"), "worker": (k1 - k0) / hz / dt}
    (u0, t0), (u1, t1) = ([float(x) for x in open(d + f).read().split()[:2]] for f in ("/lat0", "/lat1"))
    v["lat"] = (t1 - t0) / hz / (u1 - u0) if u1 > u0 else 0.0  # the worker's share during the pings
    v["txshare"] = node.get("port_tx", (0, 0))[1] / (tsc_hz * dt)  # of the window, in port_tx
# What held the rate: a switch that loses frames could not keep up; one that lost none took all
# it was given, and the full core says who could not give more (the generator on core 0; the
# kernel's bridge forwards where the frame was received and holds the generator back).
c0, c1 = cpu["cpu0"], cpu["cpu1"]
if loss > 0.02:
    limit = "switch"
    why = "the switch lost %.0f %% of what container a sent" % (100 * loss)
    if v["ring"] != "":
        why += " (%.3f Mpps overflowed vnetd's RX ring: its worker could not keep up, %.0f %% of the window in " \
            "port_tx)" % (v["ring"], 100 * v["txshare"])
elif sw == "vnetd":
    limit, why = ("generator", "nothing lost, core 0 full") if c0["busy"] >= 0.95 else \
        ("unclear", "nothing lost, no core full")
elif sw == "bridge":
    limit, why = ("core0", "nothing lost, core 0 full: the generator and the kernel's forwarding share it") \
        if c0["busy"] >= 0.95 else ("unclear", "nothing lost, core 0 not full")
elif c1["softirq"] >= 0.9 or c0["busy"] < 0.95:
    # a kernel switch on core 1 (bridge-rps): the generator's ring waits for core 1's backlog
    limit, why = "switch", "nothing lost, core 1 busy with the kernel's forwarding (softirq %.0f %%) and the " \
        "generator held back (core 0 busy %.0f %%)" % (100 * c1["softirq"], 100 * c0["busy"])
elif c0["busy"] >= 0.95:
    limit, why = "generator", "nothing lost, core 0 full, core 1 not full"
else:
    limit, why = "unclear", "no loss, no core full"
# Disturbed: other processes took a share of the generator's core or of the switch's core (core
# 1, for vnetd and bridge-rps; the plain bridge works on core 0 only).
dist = []
if oth0 > 0.05:
    dist.append("other processes ran on core 0 in user mode %.0f %% of the window" % (100 * oth0))
if sw != "bridge" and oth1 > 0.05:
    dist.append("other processes ran on core 1 in user mode %.0f %% of the window" % (100 * oth1))
# (ksoftirqd/1 runs what the worker's send() left of b's receive: part of vnetd's path, not noise)
if v["worker"] != "" and v["worker"] + ksi[1] < 0.97:
    dist.append("vnetd's worker had core 1 for only %.0f %% of the window (ksoftirqd/1 %.0f %%)" % (
        100 * v["worker"], 100 * ksi[1]))
if v["lat"] != "" and v["lat"] < 0.98:
    dist.append("vnetd's worker had core 1 for only %.0f %% of the pings (the RTTs wait for it)" % (100 * v["lat"]))
if dist:
    limit += "-disturbed"   # a figure to take with care
f = lambda x, fmt: "" if x == "" else fmt % x
ts = time.strftime("%Y-%m-%dT%H:%M:%S%z")
with open(csv, "a") as o:
    o.write(",".join([scen, sw, rep, "%.4f" % mpps, "%.4f" % off_mpps, "%.4f" % loss, "%.1f" % p50,
        "%.1f" % p99, sent, answered, "%.3f" % dt, ts, commit, limit, "%.3f" % c0["busy"],
        "%.3f" % c0["softirq"], "%.3f" % c1["busy"], "%.3f" % c1["user"], "%.3f" % c1["sys"],
        "%.3f" % c1["softirq"], "%.3f" % gen, f(v["worker"], "%.3f"), f(v["rx"], "%.4f"),
        f(v["tx"], "%.4f"), f(v["ring"], "%.4f"), f(v["drops"], "%d"), f(v["idle"], "%.4f"),
        f(v["prx"], "%.1f"), f(v["ptx"], "%.1f"), others, load, "%.3f" % oth0, "%.3f" % oth1,
        f(v["lat"], "%.3f"), "%.3f" % ksi[0], "%.3f" % ksi[1], f(v["txshare"], "%.3f")]) + "\n")
print("%-10s %-10s rep %s: %7.3f Mpps received (offered %.3f, lost %.1f %%)  RTT p50 %.1f us, p99 %.1f us "
      "(%s of %s pings answered)  limit: %s: %s" % (scen, sw, rep, mpps, off_mpps, 100 * loss, p50, p99,
      answered, sent, limit, why))
print("    core 0 busy %.0f %% (softirq %.0f %%), generator thread on CPU %.0f %% of the window; core 1 busy "
      "%.0f %% (user %.0f %%, system %.0f %%, softirq %.0f %%); ksoftirqd on CPU %.0f %% / %.0f %% (core 0 / 1); "
      "window %.2f s, load average %s, other dataplanes running: %s" % (100 * c0["busy"], 100 * c0["softirq"],
      100 * gen, 100 * c1["busy"], 100 * c1["user"], 100 * c1["sys"], 100 * c1["softirq"], 100 * ksi[0],
      100 * ksi[1], dt, load, others))
if v["rx"] != "":
    print("    vnetd: rx %.3f Mpps, tx %.3f Mpps, RX ring overflow %.3f Mpps (not in vnetd's counters), drops %d, "
          "worker on CPU %.0f %% of the window (%.0f %% during the pings), idle walks %.1f %%, port_rx %.0f "
          "cycles/pkt, port_tx %.0f cycles/pkt and %.0f %% of the window (its send() kick: the kernel's veth "
          "transmit and b's receive)" % (v["rx"], v["tx"], v["ring"], v["drops"], 100 * v["worker"], 100 * v["lat"],
          100 * v["idle"], v["prx"], v["ptx"], 100 * v["txshare"]))
if dist:
    print("    DISTURBED: " + "; ".join(dist))
PY
	return $ret
}

# run_ovs OVS_SCENARIO REP [SCRIPT]: one Open vSwitch-DPDK measurement by the shared harness
# (or by SCRIPT, a scenario's own: bench/ovs_vhost.sh, same arguments and output).
run_ovs() {
	local scen=$1 rep=$2 script=${3:-$OVS_BENCH} line busy
	busy=$(others)
	line=$(RESULTS=$TMPD/ovs PCAP_DIR=$PCAP_DIR OVS_BENCH=$OVS_BENCH "$script" "$scen" "$rep" "$WARM" "$WIN" | tail -1)
	case $line in "$scen,$rep,"*) ;; *)
		echo "run.sh: ovs $scen rep $rep failed (see $TMPD/ovs/raw/$scen/rep$rep/setup.log):" >&2
		sed 's/^/  /' "$TMPD/ovs/raw/$scen/rep$rep/setup.log" >&2 2>/dev/null
		return 1 ;;
	esac
	[ -s "$RESULTS/ovs_results.csv" ] ||
		echo "scenario,rep,window_s,tx_mpps,rx_mpps,proc_cycles_per_pkt,cycles_per_pkt,pmd_pkts,emc_hits,smc_hits,megaflow_hits,upcall_ok,upcall_fail,dp_passes_per_pkt,simple_match_hits,pmd_cpu_share,cpu1_steal" > "$RESULTS/ovs_results.csv"   # ovs_bench.sh's columns (run_all.sh)
	echo "$line" >> "$RESULTS/ovs_results.csv"
	# ovs_bench.sh: scen,rep,window_s,tx_mpps,rx_mpps,proc_cycles_per_pkt,cycles_per_pkt,...,pmd_cpu_share,cpu1_steal
	"$PY" - "$line" "$COMMIT" "$CSV" "$busy" <<'PY'
import sys, time
line, commit, csv, others = sys.argv[1:]
f = line.split(",")
scen, rep, dt, mpps, rx, cpp, steal = f[0], f[1], f[2], f[3], f[4], f[6], f[16]
with open(csv, "a") as o:
    o.write("ovs:%s,%s,%s,%s,%s,%s,%s,%s,,,,,,%s,%s,%s,,\n" % (scen, rep, mpps, cpp, dt,
        time.strftime("%Y-%m-%dT%H:%M:%S%z"), commit, rx, steal, others, f[15]))
print("ovs  %-12s rep %s: %7.3f Mpps  %6s cycles/pkt  (window %s s, Open vSwitch's own "
      "pmd-stats cycles/pkt, cpu1 steal %s)" % (scen, rep, float(mpps), cpp, dt, steal))
if f[15] and float(f[15]) < 0.98:
    print("    DISTURBED: Open vSwitch's PMD thread had core 1 for only %.0f %% of the window" % (100 * float(f[15])))
PY
}

# Per scenario: what it measures (rate, or walks: idle walks for each of its variants) and, with
# --with-ovs, its Open vSwitch counterpart and the script that runs it.
MEASURE_FOR=() VARIANTS_FOR=() OVS_FOR=() OVS_SCRIPT_FOR=()
for s in "${SCENS[@]}"; do
	IFS='|' read -r m v o b < <(load_scenario "$s" > /dev/null
		echo "${SCEN_MEASURE:-rate}|${SCEN_VARIANTS:-}|${SCEN_OVS:-}|${SCEN_OVS_BENCH:-}")
	MEASURE_FOR+=("$m") VARIANTS_FOR+=("$v")
	case $m in walks | containers) [ -n "$v" ] || die "scenario $s: SCEN_MEASURE=$m needs SCEN_VARIANTS" ;; esac
	[ $WITH_OVS = 1 ] || o=""
	OVS_FOR+=("$o") OVS_SCRIPT_FOR+=("${b:+$HERE/$b}")
	if [ -n "$o" ] && [ -n "$b" ] && [ ! -x "$HERE/$b" ]; then
		die "$HERE/$b: scenario $s's Open vSwitch script is missing"
	fi
done
if [ $WITH_OVS = 1 ]; then
	[ -x "$OVS_BENCH" ] || die "$OVS_BENCH: the Open vSwitch harness is missing"
	if [ ! -x "${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}" ]; then
		echo "run.sh: installing openvswitch-switch-dpdk" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-switch-dpdk > "$TMPD/apt.log" 2>&1 ||
			{ tail -20 "$TMPD/apt.log" >&2; die "apt-get install openvswitch-switch-dpdk failed"; }
	fi
fi

START=$(date +%s)
RUN_CSV=$TMPD/run.csv   # this invocation's lines only, for the summary
cp "$CSV" "$TMPD/before.csv"
cp "$WALKS" "$TMPD/before_walks.csv"
cp "$CONTS" "$TMPD/before_conts.csv"
echo "vnet bench: ${SCENS[*]}, $REPS rep(s), warm-up $WARM s, window $WIN s, TSC $TSC_MHZ MHz," \
	"commit $COMMIT$([ $WITH_OVS = 1 ] && echo ", with Open vSwitch")"
fail=0
for rep in $(seq 1 "$REPS"); do
	for i in "${!SCENS[@]}"; do
		s=${SCENS[$i]} o=${OVS_FOR[$i]:-} ob=${OVS_SCRIPT_FOR[$i]:-}
		if [ "${MEASURE_FOR[$i]}" = walks ]; then
			for n in ${VARIANTS_FOR[$i]}; do run_walk "$s" "$rep" "$n" || fail=1; done
		elif [ "${MEASURE_FOR[$i]}" = containers ]; then
			# the switches in turn, in reverse order in even repetitions
			vs=${VARIANTS_FOR[$i]}
			[ $((rep % 2)) = 0 ] && vs=$(echo "$vs" | tr ' ' '\n' | tac | tr '\n' ' ')
			[ "$rep" = 1 ] && echo "$s: $(load_scenario "$s" > /dev/null; echo "${SCEN_DESC:-}")"
			for v in $vs; do run_containers "$s" "$rep" "$v" || fail=1; done
		elif [ -n "$o" ] && [ $((rep % 2)) = 0 ]; then
			run_ovs "$o" "$rep" "$ob" || fail=1
			run_vnet "$s" "$rep" || fail=1
		else
			run_vnet "$s" "$rep" || fail=1
			[ -n "$o" ] && { run_ovs "$o" "$rep" "$ob" || fail=1; }
		fi
	done
done
tail -n +"$(($(wc -l < "$TMPD/before.csv") + 1))" "$CSV" > "$RUN_CSV"
tail -n +"$(($(wc -l < "$TMPD/before_walks.csv") + 1))" "$WALKS" > "$TMPD/run_walks.csv"
tail -n +"$(($(wc -l < "$TMPD/before_conts.csv") + 1))" "$CONTS" > "$TMPD/run_conts.csv"

# (the Open vSwitch scenarios as one word each, "-" for none, so that they pair with SCENS)
"$PY" - "$CSV" "$RUN_CSV" "$NODES" "$START" "${SCENS[*]}" "$(for o in "${OVS_FOR[@]}"; do printf '%s ' "${o:--}"; done)" \
	"$WALKS" "$TMPD/run_walks.csv" "$CONTS" "$TMPD/run_conts.csv" <<'PY'
import csv, statistics, sys, time
all_csv, run_csv, nodes_csv, start, scens, ovs, all_walks, run_walks, all_conts, run_conts = sys.argv[1:]
header = open(all_csv).readline().strip().split(",")
rows = [dict(zip(header, l.strip().split(","))) for l in open(run_csv) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["scenario"], []).append(r)
num = lambda rs, k: [float(r[k]) for r in rs if r.get(k)]
span = lambda v, f: (f + " [" + f + "-" + f + "]") % (statistics.median(v), min(v), max(v)) if v else "-"
if rows:
    print("\n%-16s %4s  %-24s  %-24s  %-16s  %s" % ("scenario", "runs", "Mpps median [min-max]",
          "cycles/pkt median [min-max]", "core-1 share", "on-CPU cycles/pkt"))
med = {}
for name, rs in by.items():
    med[name] = statistics.median(num(rs, "mpps"))
    print("%-16s %4d  %-24s  %-24s  %-16s  %s" % (name, len(rs), span(num(rs, "mpps"), "%.3f"),
          span(num(rs, "cycles_per_pkt"), "%.1f"), span(num(rs, "worker_cpu_share"), "%.2f"),
          span(num(rs, "oncpu_cycles_per_pkt"), "%.1f")))
for s, o in zip(scens.split(), ovs.split()):
    if o != "-" and s in med and "ovs:" + o in med:
        print("vnet %s / Open vSwitch %s, Mpps medians of this run: %.2fx" % (s, o, med[s] / med["ovs:" + o]))
if any(float(r.get("worker_cpu_share") or 1) < 0.98 for r in rows):
    print("note: in some runs the worker (or Open vSwitch's PMD) had core 1 less than 98 % of the window: "
          "other processes ran there, the figures are low by about that share")
# per-node cycles/obj, median over this invocation's runs (rows written since START)
t0 = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(int(start)))
per = {}
for r in csv.DictReader(open(nodes_csv)):
    if r["timestamp"][:19] >= t0 and r["scenario"] in by and int(r["objs"]) > 0:
        per.setdefault((r["scenario"], r["node"]), []).append(float(r["cycles_per_obj"]))
if per:
    print("\nper-node cycles/obj (median over runs; rte_graph stats, the window's delta)")
    for (s, n), v in sorted(per.items(), key=lambda kv: (kv[0][0], -statistics.median(kv[1]))):
        print("  %-12s %-16s %7.1f" % (s, n, statistics.median(v)))
# idle walks (walk-idle): per scenario, device and number of idle vNICs
wh = open(all_walks).readline().strip().split(",")
walks = {}
for l in open(run_walks):
    if l.strip():
        r = dict(zip(wh, l.strip().split(",")))
        walks.setdefault((r["scenario"], r["device"], int(r["vnics"])), []).append(r)
if walks:
    print("\n%-12s %-6s %5s %4s  %-26s  %-26s  %-12s  %-16s  %s" % ("scenario", "device", "vNICs", "runs",
          "cycles/walk median [min-max]", "port_rx cycles/call", "per vNIC", "core-1 share",
          "on-CPU cycles/walk"))
    for (s, dev, n), rs in sorted(walks.items()):
        prx = num(rs, "port_rx_cycles_per_call")
        print("%-12s %-6s %5d %4d  %-26s  %-26s  %-12s  %-16s  %s" % (s, dev, n, len(rs),
              span(num(rs, "cycles_per_walk"), "%.1f"), span(prx, "%.1f"),
              "%.1f" % (statistics.median(prx) / n), span(num(rs, "worker_cpu_share"), "%.2f"),
              span(num(rs, "oncpu_cycles_per_walk"), "%.1f")))
# containers: per scenario and switch
ch = open(all_conts).readline().strip().split(",")
conts = {}
for l in open(run_conts):
    if l.strip():
        r = dict(zip(ch, l.strip().split(",")))
        conts.setdefault((r["scenario"], r["switch"]), []).append(r)
if conts:
    print("\n%-10s %-10s %4s  %-24s  %-22s  %-18s  %-22s  %-22s  %s" % ("scenario", "switch", "runs",
          "Mpps median [min-max]", "offered Mpps", "lost %", "RTT p50 us", "RTT p99 us", "limit"))
    for (s, sw), rs in conts.items():
        print("%-10s %-10s %4d  %-24s  %-22s  %-18s  %-22s  %-22s  %s" % (s, sw, len(rs),
              span(num(rs, "mpps"), "%.3f"), span(num(rs, "offered_mpps"), "%.3f"),
              span([100 * x for x in num(rs, "loss_share")], "%.1f"), span(num(rs, "rtt_p50_us"), "%.1f"),
              span(num(rs, "rtt_p99_us"), "%.1f"), " ".join(r["limit"] for r in rs)))
PY
exit $fail
