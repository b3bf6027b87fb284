#!/bin/bash
# l3-scale (issue 9): the l3 scenario's traffic with N routes in router r's VRF
# (bench/scenarios/l3-scale.sh: l3's 100 /24s plus N - 100 other prefixes), measured four ways:
#   1. rate: cycles/packet and Mpps of l3-scale beside l3, by bench/run.sh (same method: a fresh
#      vnetd per measurement, one worker on core 1, warm-up, window, tx_pkts of out0..out6), the
#      repetitions interleaved; the ratio of the cycles/packet medians (target: within 20 %);
#   2. memory: vnetd's hugepages (/proc/PID/status HugetlbPages), EAL heap in use (telemetry
#      /eal/heap_info) and RSS, for l3 as it is (the default configuration), for l3 with
#      router_fib_routes_max sized for N (nothing allocated yet: router r has 100 routes), and after
#      the N routes are applied (router r's own FIB, two copies);
#   3. apply: `vnetctl apply` of the whole N-route document on a running vnetd (twice, and the
#      removal of the N - 100 routes in between), wall time;
#   4. changes: K route changes by ops, one at a time, each a route op (`"kind": "route"`)
#      replacing ONE route of router r with another next hop; and min(K, 20) the old way, router r
#      replaced whole with its N routes. Per change: the wall time of `vnetctl apply` (it returns once the new
#      snapshot is published, i.e. once the change is visible to traffic), vnetctl's CPU time,
#      vnetd's control thread CPU time, the request's size. Controls: the same at 100 routes,
#      replacing router r unchanged, a small op (static_mac add/remove) with N routes installed;
#      and once, a change of a route the traffic uses, checked in the output ports' counters.
#
# usage: bench/l3_scale.sh [--routes N] [--changes K] [--reps R] [--warm S] [--window S] [--no-rate] [--perf]
#   --routes N   routes in the VRF (default 100000). Router r's own FIB (DIR-24-8, two copies) costs
#                about 48 MB plus 64 bytes per route of router_fib_routes_max (N + 1,024) per copy;
#                hugepages are added when too few are free, restored at exit.
#   --changes K  route changes by ops (default 1000); the controls use min(K, 100)
#   --reps R, --warm S, --window S: bench/run.sh's (default 3, 6, 12)
#   --no-rate    skip the rate measurement (1)
#   --perf       after the timings, profile 20 more changes (perf record of vnetd's control thread,
#                and of one vnetctl apply): where their CPU time goes, by library and function
# environment: VNETD, VNETCTL, PCAP_DIR, RESULTS (default bench/results), BENCH_COMMIT, as run.sh.
# output: one line per figure appended to $RESULTS/l3_scale.csv, one per timed transaction to
#   $RESULTS/l3_scale_samples.csv (the rate's runs to run.sh's results.csv and nodes.csv, as
#   scenarios l3 and l3-scale), and a summary.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
SHARED=$(cd "$TOP/../shared/bench" 2>/dev/null && pwd)

usage() {
	sed -n '20,32p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

N=100000 K=1000 REPS=3 WARM=6 WIN=12 RATE=1 PERF=0
while [ $# -gt 0 ]; do
	case $1 in
	--routes) N=${2:?--routes needs a number}; shift 2 ;;
	--changes) K=${2:?--changes needs a number}; shift 2 ;;
	--reps) REPS=${2:?--reps needs a number}; shift 2 ;;
	--warm) WARM=${2:?--warm needs seconds}; shift 2 ;;
	--window) WIN=${2:?--window needs seconds}; shift 2 ;;
	--no-rate) RATE=0; shift ;;
	--perf) PERF=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "l3_scale.sh: unknown argument $1" >&2; usage ;;
	esac
done
for v in N K REPS WARM WIN; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "l3_scale.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[ "$N" -ge 200 ] || { echo "l3_scale.sh: --routes must be at least 200" >&2; exit 2; }

# Everything but vnetd's worker on core 0, as bench/run.sh.
if [ -z "${VNETBENCH_PINNED:-}" ] && command -v taskset >/dev/null; then
	args=(--routes "$N" --changes "$K" --reps "$REPS" --warm "$WARM" --window "$WIN")
	[ $RATE = 0 ] && args+=(--no-rate)
	[ $PERF = 1 ] && args+=(--perf)
	VNETBENCH_PINNED=1 exec taskset -c 0 "$0" "${args[@]}"
fi

VNETD=${VNETD:-$TOP/build/vnetd}
VNETCTL=${VNETCTL:-$TOP/build/vnetctl/vnetctl}
PCAP_DIR=${PCAP_DIR:-$SHARED/pcaps}
RESULTS=${RESULTS:-$HERE/results}
PY=/usr/bin/python3
die() { echo "l3_scale.sh: $*" >&2; exit 1; }
[ -x "$VNETD" ] || die "$VNETD: no vnetd binary (ninja -C build, or set VNETD)"
[ -x "$VNETCTL" ] || die "$VNETCTL: no vnetctl binary"
[ -r "$PCAP_DIR/route_1k_64.pcap" ] || die "$PCAP_DIR/route_1k_64.pcap: missing traffic file"
[ "$(id -u)" = 0 ] || die "needs root (hugepages)"
if [ -n "${BENCH_COMMIT:-}" ]; then
	COMMIT=$BENCH_COMMIT
else
	COMMIT=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$TOP" status --porcelain -- . ':!bench/results' 2>/dev/null)" ] && COMMIT=$COMMIT-dirty
fi
export BENCH_COMMIT=$COMMIT

mkdir -p "$RESULTS" || die "cannot create $RESULTS"
CSV=$RESULTS/l3_scale.csv
[ -s "$CSV" ] || echo "timestamp,git_commit,routes,metric,value,unit,samples,note" > "$CSV"
TMPD=$(mktemp -d /tmp/l3scale.XXXXXX) || die "mktemp failed"
VNETD_PID="" PREFIX="" NR_HP_FILE=/proc/sys/vm/nr_hugepages NR_HP_ORIG=""

stop_vnetd() {
	[ -n "$VNETD_PID" ] || return 0
	if kill -0 "$VNETD_PID" 2>/dev/null; then
		kill -TERM "$VNETD_PID" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$VNETD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$VNETD_PID" 2>/dev/null && kill -KILL "$VNETD_PID" 2>/dev/null
	fi
	wait "$VNETD_PID" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" /dev/hugepages/"${PREFIX}"map_* 2>/dev/null
	VNETD_PID=""
}
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	trap '' PIPE
	stop_vnetd
	if [ -n "$NR_HP_ORIG" ]; then
		echo "$NR_HP_ORIG" > "$NR_HP_FILE" && echo "l3_scale.sh: nr_hugepages restored to $NR_HP_ORIG"
	fi
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE

# ---- hugepages: router r's own FIB, two copies, each a 32 MB table (2-byte entries), 32,767 groups
# of 512 bytes and the RIB (64 bytes a node, router_fib_routes_max nodes); the rest of vnetd about
# 61 MB (mbufs, EAL): 50 MB + 80 bytes a route per copy and 200 MB here, for a margin ------------
HP_KB=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
RMAX=$((N + 1024))
NEED_MB=$((2 * (50 + RMAX * 80 / 1048576) + 200))
FREE_PAGES=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
NEED_PAGES=$(((NEED_MB * 1024 + HP_KB - 1) / HP_KB))
if [ "$FREE_PAGES" -lt "$NEED_PAGES" ]; then
	NR_HP_ORIG=$(cat "$NR_HP_FILE")
	want=$((NR_HP_ORIG + NEED_PAGES - FREE_PAGES))
	echo "l3_scale.sh: $N routes need about $NEED_MB MB of hugepages, $FREE_PAGES pages free: nr_hugepages $NR_HP_ORIG -> $want"
	echo "$want" > "$NR_HP_FILE" || die "cannot set nr_hugepages"
	got=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	[ "$got" -ge "$NEED_PAGES" ] || die "only $got hugepages free after raising nr_hugepages (memory?)"
fi

START_TS=$(date +%Y-%m-%dT%H:%M:%S%z)
# Noise: other packet-processing or CPU-heavy processes (core 0 runs vnetd's control thread,
# vnetctl and this script; core 1 the worker).
busy=$(pgrep -a -x 'vnetd|dpdk-testpmd|ovs-vswitchd|ovs-vswitchd-dp|qemu-system-x86_64' 2>/dev/null; pgrep -a '^fuzz_' 2>/dev/null)
[ -n "$busy" ] && echo "l3_scale.sh: warning: other processes that compete for the cores are running:" \
	"$(echo "$busy" | cut -c1-100 | tr '\n' ';')" >&2
echo "l3-scale: $N routes, $K changes, commit $COMMIT, hugepages free: $(awk '/^HugePages_Free/ {print $2}' /proc/meminfo) x $((HP_KB / 1024)) MB"

# csv METRIC VALUE UNIT SAMPLES NOTE
csv() { echo "$START_TS,$COMMIT,$N,$1,$2,$3,$4,$5" >> "$CSV"; }

# ---- 1. rate -------------------------------------------------------------------------------------
if [ $RATE = 1 ]; then
	RCSV=$RESULTS/results.csv
	before=$( [ -s "$RCSV" ] && wc -l < "$RCSV" || echo 1)
	L3_SCALE_N=$N RESULTS=$RESULTS PCAP_DIR=$PCAP_DIR VNETD=$VNETD VNETCTL=$VNETCTL \
		"$HERE/run.sh" --reps "$REPS" --warm "$WARM" --window "$WIN" l3 l3-scale | tee "$TMPD/run.log"
	rc=$?
	[ $rc = 0 ] || echo "l3_scale.sh: run.sh failed (exit $rc); the rate figures are from the runs that succeeded" >&2
	tail -n +"$((before + 1))" "$RCSV" > "$TMPD/rate.csv"
	"$PY" - "$RCSV" "$TMPD/rate.csv" "$START_TS" "$COMMIT" "$N" "$CSV" <<'PY'
import statistics, sys
rcsv, rate, ts, commit, n, out = sys.argv[1:]
h = open(rcsv).readline().strip().split(",")
rows = [dict(zip(h, l.strip().split(","))) for l in open(rate) if l.strip()]
med, lines = {}, []
for s in ("l3", "l3-scale"):
    rs = [r for r in rows if r["scenario"] == s]
    if not rs:
        continue
    for k, unit in (("mpps", "Mpps"), ("cycles_per_pkt", "cycles/pkt"), ("oncpu_cycles_per_pkt", "cycles/pkt"),
                    ("worker_cpu_share", "share")):
        v = [float(r[k]) for r in rs if r.get(k)]
        m = statistics.median(v)
        med[(s, k)] = m
        lines.append("%s,%s,%s,rate_%s_%s,%.4f,%s,%d,median [%s]" % (ts, commit, n, s.replace("-", "_"), k, m,
                     unit, len(v), " ".join(str(x) for x in v)))
print()
for k, what in (("cycles_per_pkt", "cycles/packet"), ("oncpu_cycles_per_pkt", "on-CPU cycles/packet")):
    if ("l3", k) in med and ("l3-scale", k) in med:
        ratio = med[("l3-scale", k)] / med[("l3", k)]
        lines.append("%s,%s,%s,rate_%s_ratio,%.4f,ratio,%d,l3-scale/l3 medians (target <= 1.20)" % (
            ts, commit, n, k, ratio, len(rows) // 2))
        print("l3-scale/l3 %s: %.3f (%s the 20 %% target)" % (what, ratio, "within" if ratio <= 1.2 else "OUTSIDE"))
open(out, "a").write("".join(l + "\n" for l in lines))
PY
fi

# ---- 2-4. a vnetd of our own ----------------------------------------------------------------------
ctl() { "$VNETCTL" -s "$SOCK" "$@"; }

# start_vnetd NAME RULES ROUTES_MAX: a fresh vnetd (run.sh's configuration, telemetry on for
# /eal/heap_info), forwarding.
start_vnetd() {
	local name=$1 rules=$2 rmax=$3 dir=$TMPD/$1 deadline=$((SECONDS + 120))
	mkdir -p "$dir"
	PREFIX=vnetl3s_${name}_$$ SOCK=$dir/vnetd.sock
	"$PY" - "$rules" "$SOCK" "$PREFIX" "$rmax" > "$dir/vnetd.json" <<'PY' || die "bad rules document"
import json, sys
rules, sock, prefix, rmax = sys.argv[1:]
cfg = {"eal_args": ["-l", "0,1", "--main-lcore", "0", "--no-pci", "--file-prefix", prefix],
       "socket": sock, "workers": [1], "idle_sleep_max_us": 0, "mbufs": 16383,
       "rules": json.load(open(rules))}
if rmax:
    cfg["routing"] = {"router_fib_routes_max": int(rmax)}
print(json.dumps(cfg))
PY
	"$VNETD" -c "$dir/vnetd.json" > "$dir/vnetd.log" 2>&1 &
	VNETD_PID=$!
	while [ $SECONDS -lt $deadline ] && kill -0 "$VNETD_PID" 2>/dev/null; do
		if grep -q "memory allocation failed" "$dir/vnetd.log"; then
			echo "l3_scale.sh: vnetd ($name) could not allocate a FIB copy (too few hugepages?); its log:" >&2
			grep -E "allocation failed|cannot hold" "$dir/vnetd.log" | sed 's/^/  /' >&2
			exit 1
		fi
		if ctl show ports --json > "$dir/ports.json" 2>/dev/null && "$PY" -c '
import json, sys
p = json.load(open(sys.argv[1]))
sys.exit(0 if p and all(x["link_up"] for x in p) and sum(x["tx_pkts"] for x in p if x["name"].startswith("out")) > 0 else 1)' "$dir/ports.json"; then
			return 0
		fi
		sleep 0.2
	done
	echo "l3_scale.sh: vnetd ($name) did not come up forwarding; its log:" >&2
	sed 's/^/  /' "$dir/vnetd.log" >&2
	exit 1
}

# (the rules: l3's, and l3-scale's with N routes)
# shellcheck source=/dev/null
(source "$HERE/scenarios/l3.sh" && scenario_rules "$PCAP_DIR") > "$TMPD/l3.json" || die "l3 rules"
# shellcheck source=/dev/null
(export L3_SCALE_N=$N; source "$HERE/scenarios/l3-scale.sh" && scenario_rules "$PCAP_DIR") > "$TMPD/scale.json" || die "l3-scale rules"

# memory NAME: vnetd's hugepages, EAL heap and RSS now, as "name hugetlb_kb heap_alloc heap_size rss_kb"
memory() {
	local heap
	heap=$(echo /eal/heap_info,0 | dpdk-telemetry.py -f "$PREFIX" 2>/dev/null | "$PY" -c '
import json, sys
try:
    h = json.loads(sys.stdin.read().strip().splitlines()[-1])["/eal/heap_info"]
    print(h["Alloc_size"], h["Heap_size"])
except Exception:
    print("- -")')
	echo "$1 $(awk '/^HugetlbPages/ {print $2}' /proc/"$VNETD_PID"/status) $heap $(awk '/^VmRSS/ {print $2}' /proc/"$VNETD_PID"/status)"
}

echo
echo "memory: l3 as it is (the default routing configuration)"
start_vnetd l3 "$TMPD/l3.json" ""
sleep 1
memory l3_default > "$TMPD/mem"
stop_vnetd

echo "memory and timings: router_fib_routes_max $RMAX"
start_vnetd scale "$TMPD/l3.json" "$RMAX"
sleep 1
memory l3_routes_max >> "$TMPD/mem"
"$PY" - "$VNETCTL" "$SOCK" "$VNETD_PID" "$TMPD/l3.json" "$TMPD/scale.json" "$K" "$TMPD" "$CSV" \
	"$START_TS,$COMMIT,$N" "$PERF" <<'PY' || { echo "l3_scale.sh: the timings failed; vnetd's log:" >&2; tail -20 "$TMPD/scale/vnetd.log" >&2; exit 1; }
import json, math, os, signal, statistics, subprocess, sys, time
vnetctl, sock, pid, l3_path, scale_path, K, tmpd, out, head, do_perf = sys.argv[1:]
K = int(K)
req = os.path.join(tmpd, "req.json")
samples = os.path.join(os.path.dirname(out), "l3_scale_samples.csv")
if not os.path.exists(samples) or os.path.getsize(samples) == 0:
    open(samples, "w").write("timestamp,git_commit,routes,series,i,wall_ms,vnetctl_cpu_ms,vnetd_cpu_ms,"
                             "vnetd_runq_wait_ms,worker_runq_wait_ms,request_bytes\n")
lines = []

def row(metric, value, unit, samples, note=""):
    lines.append("%s,%s,%s,%s,%s,%s" % (head, metric, value, unit, samples, note.replace(",", ";")))

def sched(tid):   # a thread's ns on the CPU, ns runnable but waiting (schedstat)
    f = open("/proc/%s/task/%s/schedstat" % (pid, tid)).read().split()
    return int(f[0]), int(f[1])

# the worker: rte_rcu_qsbr_synchronize() in the transaction waits for its next quiescent state,
# i.e. for it to run: its run-queue wait during a change is that change's disturbance
worker = next(t for t in os.listdir("/proc/%s/task" % pid)
              if open("/proc/%s/task/%s/comm" % (pid, t)).read().strip().startswith("rte-worker"))

def apply(text):
    """Write the request, run vnetctl apply: (wall s, vnetctl CPU s, vnetd control thread CPU s,
    bytes, vnetd control thread's run-queue wait s (other processes on core 0), the worker's
    run-queue wait s (other processes on core 1))."""
    with open(req, "w") as f:
        f.write(text)
    c0, q0 = sched(pid)
    w0 = sched(worker)[1]
    t0 = time.perf_counter()
    p = subprocess.Popen([vnetctl, "-s", sock, "apply", req], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    outp = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit("vnetctl apply failed: %s" % outp.decode(errors="replace").strip())
    c1, q1 = sched(pid)
    w1 = sched(worker)[1]
    return wall, ru.ru_utime + ru.ru_stime, (c1 - c0) / 1e9, len(text), (q1 - q0) / 1e9, (w1 - w0) / 1e9

def revision():
    s = subprocess.run([vnetctl, "-s", sock, "status", "--json"], capture_output=True, text=True, check=True)
    return json.loads(s.stdout)["revision"]

def whole(doc):
    doc = dict(doc, revision=revision() + 1)
    return json.dumps(doc, separators=(",", ":"))

def replace_router(r):
    return json.dumps({"ops": [{"op": "replace", "kind": "router", "object": r}]}, separators=(",", ":"))

def pct(v, q):   # nearest rank: the smallest value with at least q % of the values <= it
    v = sorted(v)
    return v[max(0, math.ceil(q / 100 * len(v)) - 1)]

def series(name, xs, note):
    w = [1000 * x[0] for x in xs]
    row(name + "_p50", "%.2f" % pct(w, 50), "ms", len(w), note)
    row(name + "_p99", "%.2f" % pct(w, 99), "ms", len(w), note)
    row(name + "_max", "%.2f" % max(w), "ms", len(w), note)
    row(name + "_vnetctl_cpu_p50", "%.2f" % (1000 * statistics.median(x[1] for x in xs)), "ms", len(w),
        "vnetctl's CPU time (read; parse; serialise the request)")
    row(name + "_vnetd_cpu_p50", "%.2f" % (1000 * statistics.median(x[2] for x in xs)), "ms", len(w),
        "vnetd control thread's CPU time per transaction (schedstat)")
    row(name + "_vnetd_runq_wait_p50", "%.2f" % (1000 * statistics.median(x[4] for x in xs)), "ms", len(w),
        "vnetd control thread runnable but not running (schedstat): other work on core 0")
    row(name + "_request_bytes", xs[0][3], "bytes", len(w), "")
    # disturbed: the wall time not spent on the CPU by vnetctl or vnetd's control thread (waiting
    # for core 0, which they share with this script by design: a few ms while vnetctl sends the
    # request; fork and exec) over max(20 ms, 10 % of the wall time), or the worker runnable but
    # off core 1 as long (the transaction's RCU synchronize waits for its next walk)
    lim = lambda x: max(20e-3, 0.1 * x[0])
    quiet = [1000 * x[0] for x in xs if x[0] - x[1] - x[2] <= lim(x) and x[5] <= lim(x)]
    row(name + "_disturbed", len(w) - len(quiet), "changes", len(w),
        "wall - vnetctl CPU - vnetd control CPU; or the worker's run-queue wait; over max(20 ms; 10 % of the wall)")
    row(name + "_unaccounted_p50", "%.2f" % (1000 * pct([x[0] - x[1] - x[2] for x in xs], 50)), "ms", len(w),
        "wall - vnetctl CPU - vnetd control thread CPU")
    row(name + "_vnetd_runq_wait_p99", "%.2f" % (1000 * pct([x[4] for x in xs], 99)), "ms", len(w), "")
    row(name + "_worker_runq_wait_p99", "%.2f" % (1000 * pct([x[5] for x in xs], 99)), "ms", len(w), "")
    with open(samples, "a") as f:
        for i, x in enumerate(xs):
            f.write("%s,%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%d\n" % (head, name, i, 1000 * x[0], 1000 * x[1],
                    1000 * x[2], 1000 * x[4], 1000 * x[5], x[3]))
    if quiet:
        row(name + "_undisturbed_p50", "%.2f" % pct(quiet, 50), "ms", len(quiet), "")
        row(name + "_undisturbed_p99", "%.2f" % pct(quiet, 99), "ms", len(quiet), "")
        row(name + "_undisturbed_max", "%.2f" % max(quiet), "ms", len(quiet), "")
    print("  %-24s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (n %d; medians: vnetctl CPU %.1f ms, vnetd "
          "control thread CPU %.1f ms, its run-queue wait %.1f ms; request %.2f MB)" % (name, pct(w, 50), pct(w, 99),
          max(w), len(w), 1000 * statistics.median(x[1] for x in xs), 1000 * statistics.median(x[2] for x in xs),
          1000 * statistics.median(x[4] for x in xs), xs[0][3] / 1e6))
    print("  %-24s %d of %d disturbed (waits for core 0 or core 1 over max(20 ms, 10 %% of the wall))%s" % (
          "", len(w) - len(quiet), len(w), "; the others: p50 %.2f ms  p99 %.2f ms  max %.2f ms" % (
          pct(quiet, 50), pct(quiet, 99), max(quiet)) if quiet else ""))

l3, scale = json.load(open(l3_path)), json.load(open(scale_path))
n = len(scale["routers"][0]["routes"])
K0 = min(K, 100)

# One-route changes, small ops: at 100 routes first (l3's router), as a control.
def replace_route(router, rt):
    return json.dumps({"ops": [{"op": "replace", "kind": "route", "router": router["id"], "object": rt}]},
                      separators=(",", ":"))

def changes(router, k, lo, stride, whole=False):
    """k changes of one route's next hop each: a route op (whole: the router replaced, sent whole)."""
    xs, m = [], len(router["routes"]) - lo
    for j in range(k):
        rt = router["routes"][lo + (j * stride) % m]
        rt["nexthop"] = "10.255.0.%d" % (int(rt["nexthop"].rsplit(".", 1)[1]) % 100 + 1)
        xs.append(apply(replace_router(router) if whole else replace_route(router, rt)))
    return xs

def small_ops(k):
    xs = []
    for j in range(k):
        if j % 2 == 0:
            op = {"op": "add", "kind": "static_mac", "object": {"network": "wan", "mac": "02:00:00:dd:00:01", "port": "out0"}}
        else:
            op = {"op": "remove", "kind": "static_mac", "id": {"network": "wan", "mac": "02:00:00:dd:00:01"}}
        xs.append(apply(json.dumps({"ops": [op]})))
    return xs

print("  (control) at 100 routes:")
series("change_at_100_routes", changes(l3["routers"][0], K0, 0, 37), "route op replacing one route of router r (100 routes)")
series("small_op_at_100_routes", small_ops(K0), "static_mac add/remove; router r with 100 routes")

# 3. apply the whole N-route document, remove the N - 100, apply again.
def apply_row(metric, t, what):
    row(metric, "%.3f" % t[0], "s", 1, "%s; vnetd control thread CPU %.3f s; its run-queue wait %.3f s; "
        "the worker's %.3f s; vnetctl CPU %.3f s; request %d bytes" % (what, t[2], t[4], t[5], t[1], t[3]))
    print("  %-44s %.3f s (vnetd control thread CPU %.3f s, run-queue wait %.3f s, the worker's %.3f s; "
          "vnetctl CPU %.3f s; request %.1f MB)" % (what + ":", t[0], t[2], t[4], t[5], t[1], t[3] / 1e6))

apply_row("apply_full_1_s", apply(whole(scale)), "whole document, 100 -> %d routes" % n)
apply_row("apply_remove_s", apply(whole(l3)), "l3's document, %d -> 100 routes" % n)
apply_row("apply_full_2_s", apply(whole(scale)), "whole document again, 100 -> %d routes" % n)

# 4. K one-route changes at N routes (the extra routes, spread), then the controls.
print("  at %d routes:" % n)
router = scale["routers"][0]
series("change", changes(router, K, 100, 7919), "route op replacing one route of router r (%d routes): its next hop; wall time of vnetctl apply" % n)
K1 = min(K, 20)
series("change_whole_router", changes(router, K1, 101, 7919, whole=True), "replace of router r sent whole (%d routes) changing one route's next hop" % n)
series("noop_replace", [apply(replace_router(router)) for _ in range(K0)], "replace of router r unchanged (%d routes)" % n)
series("small_op", small_ops(K0), "static_mac add/remove with %d routes installed" % n)
open(out, "a").write("".join(l + "\n" for l in lines))
lines = []

def perf_top(data, what):
    """The shares of perf samples by library, then the top functions; as rows and printed."""
    for sort, top in (("dso", 6), ("dso,sym", 14)):
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                              "-g", "none", "--percent-limit", "0.5"], capture_output=True, text=True).stdout
        rows = [l.split(None, 1) for l in rep.splitlines() if l.strip() and not l.startswith("#")]
        rows = [(float(r[0].rstrip("%")), " ".join(r[1].split())) for r in rows if r[0].endswith("%")][:top]
        print("    %s, by %s: %s" % (what, sort, "; ".join("%s %.1f %%" % (name, sh) for sh, name in rows)))
        if sort == "dso":
            for sh, name in rows:
                row("perf_%s_%s_share" % (what.split()[0], name.replace(",", ";")), "%.3f" % (sh / 100), "share", 1,
                    "perf samples of %s" % what)

if do_perf == "1":
    print("  profile (perf record, 999 Hz):")
    pf = os.path.join(tmpd, "perf_vnetd.data")
    pr = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-t", pid, "-o", pf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    changes(router, 20, 100, 7919)
    pr.send_signal(signal.SIGINT)
    pr.wait()
    perf_top(pf, "vnetd control thread, 20 changes")
    pf = os.path.join(tmpd, "perf_vnetctl.data")
    for rt in router["routes"][100:101]:
        rt["nexthop"] = "10.255.0.%d" % (int(rt["nexthop"].rsplit(".", 1)[1]) % 100 + 1)
    with open(req, "w") as f:
        f.write(replace_router(router))
    subprocess.run(["perf", "record", "-q", "-F", "999", "-o", pf, "--", vnetctl, "-s", sock, "apply", req],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    perf_top(pf, "vnetctl apply, 1 change")
    open(out, "a").write("".join(l + "\n" for l in lines))
PY
memory l3_n_routes >> "$TMPD/mem"

# ---- visibility: move l3's route 10.2.0.0/24 (1 % of the traffic) from out0 to out6 -----------
# (10.255.0.97, out6's first address): out6's share of the output goes from 4 % to 5 %.
share6() {   # out6's share of the output over 1 s
	ctl show ports --json > "$TMPD/p0.json"; sleep 1; ctl show ports --json > "$TMPD/p1.json"
	"$PY" -c '
import json, sys
a, b = ({p["name"]: p["tx_pkts"] for p in json.load(open(f)) if p["name"].startswith("out")} for f in sys.argv[1:])
d = {k: b[k] - a[k] for k in b}
print("%.4f" % (d["out6"] / max(1, sum(d.values()))))' "$TMPD/p0.json" "$TMPD/p1.json"
}
s_before=$(share6)
"$PY" - "$TMPD/scale.json" "$N" > "$TMPD/move.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["routers"][0]
assert r["routes"][0]["prefix"] == "10.2.0.0/24"
r["routes"][0]["nexthop"] = "10.255.0.97"
print(json.dumps({"ops": [{"op": "replace", "kind": "route", "router": r["id"], "object": r["routes"][0]}]},
                 separators=(",", ":")))
PY
ctl apply "$TMPD/move.json" > /dev/null || die "the visibility change failed"
s_after=$(share6)
echo "  visibility: out6's share of the output $s_before before moving 10.2.0.0/24 to it, $s_after after (expected 0.04 -> 0.05)"
csv visible_out6_share_before "$s_before" share 1 "out6's share of tx over 1 s"
csv visible_out6_share_after "$s_after" share 1 "after moving 10.2.0.0/24 (1 % of the traffic) to out6 by one route op"
kill -0 "$VNETD_PID" 2>/dev/null || die "vnetd died; its log: $(tail -5 "$TMPD/scale/vnetd.log")"
grep -i -E "warn|err|refused" "$TMPD/scale/vnetd.log" | head -5 | sed 's/^/  vnetd log: /'
stop_vnetd

# memory rows
while read -r name hp heap_alloc heap_size rss; do
	csv "mem_${name}_hugetlb_mb" "$((hp / 1024))" MB 1 "vnetd's HugetlbPages (/proc/PID/status)"
	if [ "$heap_alloc" != - ]; then
		csv "mem_${name}_heap_alloc_mb" "$((heap_alloc / 1048576))" MB 1 "EAL heap in use (/eal/heap_info Alloc_size)"
		csv "mem_${name}_heap_size_mb" "$((heap_size / 1048576))" MB 1 "EAL heap size (/eal/heap_info Heap_size)"
	fi
	csv "mem_${name}_rss_mb" "$((rss / 1024))" MB 1 "VmRSS (malloc: the rules documents; the route table)"
done < "$TMPD/mem"
echo
echo "memory (MB):           hugepages  EAL heap in use  RSS"
while read -r name hp heap_alloc _ rss; do
	printf '  %-20s %9d  %15s  %4d\n' "$name" $((hp / 1024)) "$([ "$heap_alloc" != - ] && echo $((heap_alloc / 1048576)) || echo -)" $((rss / 1024))
done < "$TMPD/mem"
echo
echo "l3_scale.sh: figures appended to $CSV"
