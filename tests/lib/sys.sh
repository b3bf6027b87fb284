# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the system tests (tests/system/*_test.sh) and the demo (demo/run.sh): a
# unique name prefix per run, vnetd start and stop, container network namespaces on vnetd's TAP
# ports, packet captures, counters read through vnetctl, polling waits, and one cleanup trap
# that undoes everything the run made, even when it fails. Source it, then call sys_init.
#
# Every name a run creates (netns, interfaces, EAL file prefix, socket, temp dir) starts with
# $SYS_TAG, so that runs in parallel and other engineers' tests never collide. Waits poll a
# condition every 50 ms with a deadline; there are no fixed sleeps.

SYS_SRC=${VNET_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VNETD=${VNETD:-$SYS_SRC/build/vnetd}
VNETCTL=${VNETCTL:-$SYS_SRC/build/vnetctl/vnetctl}
# The system python: it has scapy (a pyenv python first in PATH may not).
PY=${PY:-/usr/bin/python3}

SYS_TAG=        # per-run prefix, e.g. "l2p4711"
SYS_TMP=        # per-run temp dir, removed by cleanup (unless SYS_KEEP=1)
SYS_KEEP=${SYS_KEEP:-0}
SYS_FAILED=0    # count of failed `check`s (the demo's steps)
# MiB of hugepage memory each vnetd reserves up front (EAL "-m" in vnetd_config). 64 for
# switching; a test whose rules have routers sets 256 before vnetd_config (each family's FIB of
# the tenant routers takes 32 MiB).
SYS_VNETD_MB=${SYS_VNETD_MB:-64}
SYS_T0=$SECONDS
declare -a SYS_NETNS=()    # netns this run made
declare -a SYS_IFACES=()   # interfaces this run made in the root netns
declare -a SYS_PIDS=()     # background helpers (captures, servers)
declare -a SYS_CLEANUP=()  # commands cleanup runs first (a test's own: podman containers)
declare -A SYS_VNETD_PID=() SYS_VNETD_SOCK=() SYS_VNETD_LOG=()
SYS_LAST_PID=

log() { printf '%s\n' "$*" >&2; }

pass() { printf 'PASS: %s\n' "$*"; }

# fail MSG: report and exit 1; the EXIT trap cleans up.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# check DESC CMD...: run CMD, print PASS or FAIL for DESC, count failures, never exit (demo steps).
check() {
	local desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		printf 'FAIL: %s\n' "$desc"
		SYS_FAILED=$((SYS_FAILED + 1))
	fi
}

# sys_init NAME: choose the run's prefix (NAME, at most 4 characters, plus the shell's pid), make
# the temp dir and register cleanup. Names derived from the tag fit the 15 characters of an
# interface name when the suffix is at most 3 characters (see sys_name).
sys_init() {
	local name=${1:?sys_init NAME}
	[[ $name =~ ^[a-z][a-z0-9]{0,3}$ ]] || fail "sys_init: name '$name' must be 1..4 of [a-z0-9]"
	[[ $EUID -eq 0 ]] || fail "system tests need root (network namespaces, TAP, hugepages)"
	SYS_TAG=$name$$
	SYS_TMP=$(mktemp -d "/tmp/vnet-$SYS_TAG.XXXXXX") || fail "mktemp"
	trap 'sys_on_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[[ -x $VNETD ]] || fail "no vnetd at $VNETD (build it: meson setup build && ninja -C build)"
	[[ -x $VNETCTL ]] || fail "no vnetctl at $VNETCTL"
}

# sys_name SUFFIX: "$SYS_TAG-SUFFIX", checked to fit an interface name.
sys_name() {
	local n="$SYS_TAG-$1"
	((${#n} <= 15)) || fail "sys_name: '$n' is longer than 15 characters"
	printf '%s\n' "$n"
}

sys_on_exit() {
	local rc=$?
	set +e # cleanup goes on whatever fails
	trap - EXIT INT TERM
	if ((rc != 0)); then
		sys_dump_logs
		log "FAIL: $(basename "$0") exit $rc after $((SECONDS - SYS_T0)) s"
	fi
	if [[ $SYS_KEEP == 1 ]]; then
		sys_keep_note
		exit "$rc"
	fi
	cleanup
	exit "$rc"
}

# SYS_KEEP=1: leave everything as it is, and write $SYS_TMP/cleanup.sh, which undoes it.
sys_keep_note() {
	local pid ns ifc pids
	{
		echo "#!/bin/sh"
		echo "# Undo what $(basename "$0") (tag $SYS_TAG) left running."
		# Only what still runs (a helper stopped already may have left its pid to another process).
		pids=()
		for pid in "${SYS_PIDS[@]}" "${SYS_VNETD_PID[@]}"; do
			kill -0 "$pid" 2>/dev/null && pids+=("$pid")
		done
		for pid in "${pids[@]}"; do
			echo "kill $pid 2>/dev/null"
		done
		# Helpers too (a controller ends its long polls first): SIGKILL after 10 s, as for vnetd.
		for pid in "${pids[@]}"; do
			echo "i=0; while kill -0 $pid 2>/dev/null && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done"
			echo "kill -KILL $pid 2>/dev/null"
		done
		for ns in "${SYS_NETNS[@]}"; do
			echo "ip netns del $ns 2>/dev/null"
		done
		for ifc in "${SYS_IFACES[@]}"; do
			echo "ip link del $ifc 2>/dev/null"
		done
		echo "rm -rf /var/run/dpdk/$SYS_TAG-* /dev/hugepages/$SYS_TAG-*"
		echo "rm -rf $SYS_TMP"
	} >"$SYS_TMP/cleanup.sh"
	log "kept running (SYS_KEEP=1 / --keep); clean up with: sh $SYS_TMP/cleanup.sh"
}

# On failure: the tail of every vnetd log, to see why.
sys_dump_logs() {
	local name
	for name in "${!SYS_VNETD_LOG[@]}"; do
		[[ -s ${SYS_VNETD_LOG[$name]} ]] || continue
		log "--- vnetd $name log (${SYS_VNETD_LOG[$name]}), last lines:"
		tail -n 30 "${SYS_VNETD_LOG[$name]}" >&2
	done
}

# cleanup: kill what we started (helpers, then every vnetd: SIGTERM, SIGKILL after 5 s), delete
# our netns and interfaces, remove the temp dir. Idempotent; safe to call from any state.
cleanup() {
	local pid ns ifc name c
	for c in "${SYS_CLEANUP[@]}"; do
		$c
	done
	SYS_CLEANUP=()
	for pid in "${SYS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${SYS_PIDS[@]}"; do
		sys_reap "$pid" 2
	done
	SYS_PIDS=()
	for name in "${!SYS_VNETD_PID[@]}"; do
		vnetd_stop "$name" >/dev/null 2>&1
	done
	for ns in "${SYS_NETNS[@]}"; do
		# Anything still running inside one of our namespaces was started by this run.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	SYS_NETNS=()
	# Registered interfaces, and any other named with our tag (a TAP never moved into its netns).
	for ifc in "${SYS_IFACES[@]}" $(sys_tagged_links); do
		ip link del "$ifc" 2>/dev/null
	done
	SYS_IFACES=()
	# DPDK processes the test started (testpmd "VMs") and killed leave their runtime directory
	# and, with hugepages, their page files: every EAL prefix of a run starts with its tag.
	if [[ -n $SYS_TAG ]]; then
		rm -rf -- /var/run/dpdk/"$SYS_TAG"-* /dev/hugepages/"$SYS_TAG"-* 2>/dev/null
	fi
	if [[ -n $SYS_TMP && -d $SYS_TMP ]]; then
		rm -rf -- "$SYS_TMP"
	fi
	SYS_TMP=
	return 0
}

# sys_tagged_links: interfaces of the root netns named "$SYS_TAG-...".
sys_tagged_links() {
	[[ -n $SYS_TAG ]] || return 0
	ip -o link show 2>/dev/null | awk -F': ' -v p="$SYS_TAG-" \
		'{ sub(/@.*/, "", $2); if (index($2, p) == 1) print $2 }'
}

# iface_add NAME TYPE ARGS...: `ip link add NAME type TYPE ARGS...`, registered for cleanup.
iface_add() {
	local ifc=$1 type=$2
	shift 2
	ip link add "$ifc" type "$type" "$@" || fail "ip link add $ifc type $type $*"
	SYS_IFACES+=("$ifc")
}

# sys_reap PID TIMEOUT: wait up to TIMEOUT s for PID (a child of ours) to end, then SIGKILL it.
sys_reap() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || true
	return 0
}

# wait_for DESC TIMEOUT CMD...: run CMD every 50 ms until it succeeds (0) or TIMEOUT seconds
# (integer) pass (1, with a message naming DESC and the last output of CMD).
wait_for() {
	local desc=$1 timeout=$2 out deadline
	shift 2
	deadline=$((SECONDS + timeout))
	while true; do
		if out=$("$@" 2>&1); then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			log "timed out after ${timeout} s waiting for: $desc"
			[[ -n $out ]] && log "  last output: ${out:0:500}"
			return 1
		fi
		sleep 0.05
	done
}

# ensure_hugepages [FREE]: at least 512 2 MiB pages reserved, at least FREE (default 128, what
# two vnetd of this run use) of them free, and hugetlbfs mounted on /dev/hugepages. Other tests
# running at the same time may hold pages: then it reserves more rather than fail later in EAL.
ensure_hugepages() {
	local want=${1:-128} total free
	total=$(cat /proc/sys/vm/nr_hugepages)
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if ((total < 512)); then
		free=$((free + 512 - total))
		total=512
	fi
	if ((free < want)); then
		total=$((total + want - free))
	fi
	if ((total != $(cat /proc/sys/vm/nr_hugepages))); then
		echo "$total" >/proc/sys/vm/nr_hugepages || fail "cannot reserve $total hugepages"
	fi
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	((free >= want)) || log "warning: only $free free hugepages (wanted $want)"
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages || fail "cannot mount hugetlbfs on /dev/hugepages"
	fi
}

# vnetd_config NAME RULES_JSON: print a vnetd configuration for an instance NAME of this run:
# 2 lcores, no PCI, its own EAL file prefix, $SYS_VNETD_MB (default 64) MiB reserved up front
# (EAL takes more pages as it needs them), socket $SYS_TMP/NAME.sock, the rules inline.
vnetd_config() {
	local name=$1 rules=$2
	cat <<EOF
{"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", "$SYS_TAG-$name", "-m", "$SYS_VNETD_MB",
              "--log-level", "lib.eal:notice"],
 "socket": "$SYS_TMP/$name.sock",
 "idle_sleep_max_us": 1000,
 "rules": $rules}
EOF
}

# vnetd_start NAME CONFIG: start vnetd in the background (with SYS_WORKERS=N set, its "-l"
# lcores replaced by N workers), (log in $SYS_TMP/vnetd-NAME.log) and
# wait up to 20 s until `vnetctl status` answers. On failure prints the log and exits. When EAL
# found no free hugepages (other tests on the machine took them meanwhile), reserves more and
# tries again, at most 3 times. Also tries again when DPDK's af_packet driver could not join its
# PACKET_FANOUT group: it derives the group id from its pid and the interface index, so two vnetd
# "hosts" started in a row on one machine can collide (a new process gets a new pid).
vnetd_start() {
	local name=$1 config=$2 sock attempt
	if [[ ${SYS_WORKERS:-1} != 1 ]]; then # the same test with several workers (meson: *_2w)
		"$PY" - "$config" "$SYS_WORKERS" <<'PY' || fail "vnetd_start: cannot set $SYS_WORKERS workers in $config"
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
cfg = json.load(open(path))
eal = cfg.get("eal_args", [])
if "-l" not in eal:
    sys.exit(0)  # done already (a restart of the same vnetd)
i = eal.index("-l")
# The main lcore on CPU 0, workers alternating on CPUs 1 and 0 (a 2-core machine).
eal[i:i + 2] = ["--lcores", "0@0," + ",".join(f"{w + 1}@{(w + 1) % 2}" for w in range(n))]
json.dump(cfg, open(path, "w"))
PY
	fi
	sock=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("socket", "/run/vnet/vnetd.sock"))' "$config") ||
		fail "vnetd_start: cannot read socket from $config"
	SYS_VNETD_SOCK[$name]=$sock
	SYS_VNETD_LOG[$name]=$SYS_TMP/vnetd-$name.log
	for attempt in 1 2 3; do
		sys_vnetd_try "$name" "$config" "$sock" && return 0
		if grep -q 'could not set PACKET_FANOUT' "${SYS_VNETD_LOG[$name]}"; then
			log "vnetd $name: af_packet fanout group id collision (attempt $attempt); again"
			continue
		fi
		grep -Eq 'No free 2048 kB hugepages|Cannot get hugepage|Cannot init memory|Not enough memory' "${SYS_VNETD_LOG[$name]}" || break
		log "vnetd $name: EAL found no free hugepages (attempt $attempt); reserving more"
		ensure_hugepages $((SYS_VNETD_MB > 128 ? SYS_VNETD_MB : 128))
	done
	cat "${SYS_VNETD_LOG[$name]}" >&2
	fail "vnetd $name did not start"
}

# sys_vnetd_try NAME CONFIG SOCK: one start; 0 when it answers, 1 (and no vnetd left) if not.
sys_vnetd_try() {
	local name=$1 config=$2 sock=$3 logf=${SYS_VNETD_LOG[$1]} pid rc deadline
	"$VNETD" -c "$config" >"$logf" 2>&1 &
	pid=$!
	SYS_VNETD_PID[$name]=$pid
	deadline=$((SECONDS + ${SYS_VNETD_START_S:-20}))
	until "$VNETCTL" -s "$sock" status >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			unset "SYS_VNETD_PID[$name]"
			log "vnetd $name exited with status $rc before answering"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "vnetd $name not answering on $sock after ${SYS_VNETD_START_S:-20} s"
			vnetd_stop "$name"
			return 1
		fi
		sleep 0.05
	done
}

# vnetd_sock NAME: the control socket of instance NAME.
vnetd_sock() { printf '%s\n' "${SYS_VNETD_SOCK[$1]}"; }

# vnetd_stop NAME: SIGTERM, wait up to 10 s, then SIGKILL. Returns vnetd's exit status.
vnetd_stop() {
	local name=$1 pid=${SYS_VNETD_PID[$1]:-} rc deadline
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "vnetd $name still running 10 s after SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	unset "SYS_VNETD_PID[$name]"
	return "$rc"
}

# vnetctl_to NAME ARGS...: vnetctl against instance NAME.
vnetctl_to() {
	local name=$1
	shift
	"$VNETCTL" -s "${SYS_VNETD_SOCK[$name]}" "$@"
}

# netns_add NAME: create a netns (registered for cleanup) with lo up.
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	SYS_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# netns_container NS IFACE MAC IPV4/PLEN [IPV6/PLEN]: create netns NS, move the (TAP) interface
# IFACE into it (waiting up to 5 s for IFACE to appear; it must already have MAC, which vnetd gives
# a TAP vNIC), and give it
# the addresses. Without IPV6 the interface has IPv6 disabled (no ND/MLD noise); with it, no
# duplicate address detection and no router solicitations.
netns_container() {
	local ns=$1 ifc=$2 mac=$3 ip4=$4 ip6=${5:-}
	wait_for "interface $ifc" 5 ip link show dev "$ifc" || fail "no interface $ifc"
	# vnetd gives a TAP vNIC the port's MAC when it creates it (dataplane/port.c).
	[[ $(cat "/sys/class/net/$ifc/address") == "${mac,,}" ]] ||
		fail "$ifc has MAC $(cat "/sys/class/net/$ifc/address"), not its port's $mac"
	netns_add "$ns"
	ip link set dev "$ifc" down
	ip link set dev "$ifc" netns "$ns" || fail "cannot move $ifc into $ns"
	ip netns exec "$ns" sh -e -c "
		sysctl -qw net.ipv6.conf.$ifc.disable_ipv6=$([[ -n $ip6 ]] && echo 0 || echo 1)
		sysctl -qw net.ipv6.conf.$ifc.accept_dad=0
		sysctl -qw net.ipv6.conf.$ifc.router_solicitations=0
		sysctl -qw net.ipv6.conf.$ifc.accept_ra=0
		ip addr add $ip4 dev $ifc
		if [ -n '$ip6' ]; then ip -6 addr add $ip6 dev $ifc nodad; fi
		ip link set dev $ifc up
	" || fail "cannot configure $ifc in $ns"
}

# in_ns NS CMD...: run CMD in netns NS.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# spawn LOGFILE CMD...: run CMD in the background (output to LOGFILE), killed by cleanup. Its pid
# is in $SYS_LAST_PID.
spawn() {
	local logf=$1
	shift
	"$@" >"$logf" 2>&1 &
	SYS_LAST_PID=$!
	SYS_PIDS+=("$SYS_LAST_PID")
}

# capture_start NS IFACE FILE [FILTER...]: tcpdump, inbound packets only, in netns NS, to the pcap
# FILE; returns once tcpdump listens. Its pid is in $SYS_LAST_PID (stop with capture_stop).
capture_start() {
	local ns=$1 ifc=$2 file=$3
	shift 3
	spawn "$file.log" ip netns exec "$ns" tcpdump -n -U -Q in -i "$ifc" -w "$file" "$@"
	wait_for "tcpdump on $ns/$ifc listening" 10 grep -q "listening on" "$file.log" ||
		fail "capture on $ns/$ifc did not start: $(cat "$file.log")"
}

# capture_stop PID: stop a capture (SIGINT flushes it) and wait for it.
capture_stop() {
	kill -INT "$1" 2>/dev/null
	sys_reap "$1" 5
}

# send_frames NS IFACE COUNT SCAPY_EXPR: build the frame SCAPY_EXPR (scapy syntax, e.g.
# 'Ether(src="02:00:00:00:01:0a", dst="ff:ff:ff:ff:ff:ff")/ARP(...)') and send it COUNT times
# from IFACE in netns NS.
send_frames() {
	ip netns exec "$1" "$PY" -c '
import sys
from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, sendp
frame = eval(sys.argv[3])
sendp(frame, iface=sys.argv[1], count=int(sys.argv[2]), verbose=False)
' "$2" "$3" "$4"
}

# pcap_count FILE [FILTER...]: number of packets in FILE that match FILTER.
pcap_count() {
	local file=$1
	shift
	# A capture still being written may end in a partial packet: count what precedes it. One
	# line per packet starts with its timestamp (continuation lines, e.g. hex, with a tab).
	{ tcpdump -n -tt -r "$file" "$@" 2>/dev/null || true; } | grep -c '^[0-9]' || true
}

# json_get PYEXPR: read JSON on stdin as `d` and print the Python expression PYEXPR.
json_get() {
	"$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# drop_count SOCK REASON [PORT]: how many packets vnetd dropped for REASON (from PORT).
drop_count() {
	local sock=$1 reason=$2 port=${3:-}
	"$VNETCTL" -s "$sock" drops --json | "$PY" -c '
import json, sys
reason, port = sys.argv[1], sys.argv[2]
for r in json.load(sys.stdin)["reasons"]:
    if r["reason"] == reason:
        print(r["ports"].get(port, 0) if port else r["count"])
        break
else:
    sys.exit("drop_count: vnetd knows no drop reason %r" % reason)
' "$reason" "$port"
}

# trace_tx_to SOCK PORT SCAPY_FRAME TX_PORT: a dry-run trace of the frame (a scapy expression)
# injected at PORT ends in "tx" to TX_PORT and nowhere else; prints the trace on failure.
trace_tx_to() {
	local sock=$1 port=$2 hex
	hex=$("$PY" -c "
from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw
print(bytes($3).hex())") || return 1
	"$VNETCTL" -s "$sock" trace --port "$port" --hex "$hex" --json | "$PY" -c '
import json, sys
v = json.load(sys.stdin)["verdict"]
sys.exit(0 if v == {"action": "tx", "ports": [sys.argv[1]]} else 1)
' "$4" && return 0
	"$VNETCTL" -s "$sock" trace --port "$port" --hex "$hex" >&2
	return 1
}

# port_counter SOCK PORT FIELD: a field of PORT in `show ports --json` (rx_pkts, tx_pkts, drops...).
port_counter() {
	"$VNETCTL" -s "$1" show ports --json | "$PY" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1]:
        print(p[sys.argv[2]])
        break
else:
    sys.exit("port_counter: no port %r" % sys.argv[1])
' "$2" "$3"
}

# generation SOCK: the configuration generation vnetd uses.
generation() {
	"$VNETCTL" -s "$1" status --json | json_get 'd["generation"]'
}

# counter_at_least MIN CMD...: succeed when CMD prints a number >= MIN (for wait_for).
counter_at_least() {
	local v
	v=$("${@:2}") || return 1
	((v >= $1))
}

# tcp_transfer SERVER_NS SERVER_IP CLIENT_NS BYTES: SERVER_NS serves BYTES random bytes over HTTP
# on SERVER_IP:8080 (IPv4 or IPv6), CLIENT_NS fetches them; fails unless the SHA-256 matches.
tcp_transfer() {
	local sns=$1 sip=$2 cns=$3 bytes=$4 www want got hostport
	hostport=$sip:8080
	[[ $sip == *:* ]] && hostport="[$sip]:8080" # IPv6, as ss and URLs write it
	www=$(mktemp -d "$SYS_TMP/www.XXXXXX")
	head -c "$bytes" /dev/urandom >"$www/blob"
	want=$(sha256sum "$www/blob" | cut -d' ' -f1)
	spawn "$www.log" ip netns exec "$sns" "$PY" -m http.server --bind "$sip" --directory "$www" 8080
	wait_for "http server in $sns listening" 10 sh -c "ip netns exec $sns ss -Hltn | grep -qF '$hostport'" ||
		fail "http server in $sns did not start: $(cat "$www.log")"
	got=$(timeout 30 ip netns exec "$cns" "$PY" -c '
import hashlib, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=20) as r:
    print(hashlib.sha256(r.read()).hexdigest())' "http://$hostport/blob") ||
		fail "TCP transfer $sns -> $cns failed"
	[[ $got == "$want" ]] || fail "TCP transfer $sns -> $cns corrupted: sha256 $got, want $want"
	kill "$SYS_LAST_PID" 2>/dev/null || true
}

# ping_ok NS ADDR [COUNT]: COUNT (default 1) pings from NS to ADDR, each answered within 1 s.
ping_ok() {
	local ns=$1 addr=$2 count=${3:-1}
	ip netns exec "$ns" ping -n -q -c "$count" -i 0.2 -W 1 "$addr" >/dev/null 2>&1
}

# ping_ttl NS ADDR: one ping from NS to ADDR (IPv4 or IPv6), answered within 2 s; prints the TTL
# (hop limit) of the echo reply. Fails if unanswered.
ping_ttl() {
	local out
	out=$(ip netns exec "$1" ping -n -c 1 -W 2 "$2" 2>&1) || return 1
	[[ $out =~ ttl=([0-9]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# ping_fails NS ADDR: pings from NS to ADDR for 2 s (5 a second), none answered.
ping_fails() {
	! ip netns exec "$1" ping -n -q -c 2 -i 0.2 -w 2 "$2" >/dev/null 2>&1
}

# sys_done: print the test's PASS line with its run time.
sys_done() {
	pass "$(basename "$0") ($((SECONDS - SYS_T0)) s)"
}
