# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario containers: container to container over veth pairs, through vnetd (the veth backend,
# dataplane/port_veth.c: packet-mmap rings, no ethdev per container) and, on the same kind of
# veths, through the kernel's own bridge (`ip link add type bridge`). Per switch: the packet rate
# container b receives from container a, and the round-trip time between them (p50/p99).
#
# Containers: two network namespaces, a and b, each with eth0, the container end of a veth pair
# made here (`ip link add HOST type veth peer name eth0 netns NS`), with the port's MAC, IPv4
# 198.18.0.1/24 and .2/24, IPv6 off, checksum and segmentation offloads and GRO off on both ends
# (what docs/rules-schema.md asks of a veth that vnetd adopts; the bridge gets the same pairs).
# The switches ("variants", SCEN_VARIANTS; CONT_SWITCHES overrides the list):
#   vnetd       the host ends in vnetd's namespace, adopted as `veth:HOST` ports a and b (port
#               security on, the containers' MACs and IPs); one worker on core 1, busy polling
#   bridge      the host ends in a namespace of their own, enslaved to a bridge there (STP off,
#               learning on; bridge-nf-call-* off in that namespace, as on a host without
#               br_netfilter: this kernel has it built in and on). The bridge forwards in the
#               softirq of the CPU that received the frame: the sender's, core 0
#   bridge-rps  the same, with RPS sending both host ends' receive processing to core 1, so that
#               the bridge has core 1 as vnetd's worker has it
#
# Latency: on the idle switch, before any load, `ping -i 0.002 -c 2000` (CONT_PINGS,
# CONT_PING_INTERVAL) from a to b; each reply's time= (iputils takes the send time just before
# sendmsg and the reply's kernel receive timestamp: it includes both containers' kernel paths and
# b's echo reply, as a container's own round trip does); p50/p99 by nearest rank over the replies.
#
# Rate: dpdk-testpmd in container a (net_af_packet on eth0, --no-huge, both lcores on CPU 0),
# --forward-mode=txonly: 60-byte frames (64 on the wire) from a's MAC and 198.18.0.1 to b's MAC
# and 198.18.0.99:9, one flow. 198.18.0.99 is not b's address: b's kernel drops each frame right
# after its route lookup (forwarding off, no ICMP), the cheapest receiver a namespace has without
# a drop filter (this kernel has no act_gact), the same for every switch. rate = b's eth0
# rx_packets over the window (what the receiving container's interface got); "offered" = a's
# eth0 tx_packets (what entered the veth; the veth's host end received exactly that).
#
# Where the work runs (2 cores): the generator, a's transmit path and the host end's receive
# (vnetd: the copy into vnetd's RX ring; bridge: the whole forwarding and b's receive) run on
# core 0; vnetd's worker is alone on core 1, and its transmit kick (send() on the packet socket)
# runs the veth transmit and b's receive in the kernel on core 1 too. With bridge-rps, core 1
# has the bridge, the veth transmit and b's receive.
#
# Sourced by bench/run.sh (SCEN_MEASURE=containers: run_containers once per variant, which sets
# SCEN_SWITCH before it calls scenario_start, and starts vnetd only for `vnetd`).

SCEN_DESC="container to container over veth: vnetd (packet-mmap) beside the kernel bridge, Mpps and ping RTT p50/p99"
SCEN_MEASURE=containers
SCEN_VARIANTS=${CONT_SWITCHES:-"vnetd bridge bridge-rps"}
SCEN_PCAPS=""
SCEN_OUT_PORTS="b"
SCEN_IN_PORTS="a"
SCEN_OVS=""
SCEN_MBUFS=16383

CONT_TAG=vb$$                  # names: run.sh's pid (interface names fit in 15 characters)
CONT_NS_A=$CONT_TAG-a CONT_NS_B=$CONT_TAG-b CONT_NS_SW=$CONT_TAG-sw
CONT_HOST_A=${CONT_TAG}a CONT_HOST_B=${CONT_TAG}b
CONT_MAC_A=02:00:00:00:0c:01 CONT_MAC_B=02:00:00:00:0c:02
CONT_IP_A=198.18.0.1 CONT_IP_B=198.18.0.2 CONT_SINK_IP=198.18.0.99
CONT_GEN_PID="" CONT_GEN_PREFIX="" CONT_NETNS=() CONT_DIR=""

# scenario_rules PCAP_DIR VARIANT: vnetd's rules: the two containers' ports, adopting the pairs.
scenario_rules() {
	cat <<EOF
{"revision": 1,
 "networks": [{"id": "cont", "tenant": "bench", "vni": 100}],
 "ports": [
  {"id": "a", "network": "cont", "kind": "container", "mac": "$CONT_MAC_A", "ips": ["$CONT_IP_A"],
   "device": "veth:$CONT_HOST_A"},
  {"id": "b", "network": "cont", "kind": "container", "mac": "$CONT_MAC_B", "ips": ["$CONT_IP_B"],
   "device": "veth:$CONT_HOST_B"}]}
EOF
}

cont_err() { echo "containers: $*" >&2; return 1; }
# cont_sw CMD...: CMD in the namespace of the host ends (vnetd's own for vnetd, the bridge's else)
cont_sw() {
	if [ "$SCEN_SWITCH" = vnetd ]; then "$@"; else ip netns exec "$CONT_NS_SW" "$@"; fi
}
cont_netns_add() {
	ip netns add "$1" || cont_err "ip netns add $1 failed" || return 1
	CONT_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# scenario_start DIR: the two containers and their veth pairs, and for the bridge variants the
# switch namespace with its bridge (SCEN_SWITCH: vnetd, bridge or bridge-rps).
scenario_start() {
	local x ns host mac ip sw=()
	CONT_DIR=$1
	case $SCEN_SWITCH in vnetd | bridge | bridge-rps) ;; *)
		cont_err "unknown switch '$SCEN_SWITCH' (vnetd, bridge, bridge-rps)"; return 1 ;;
	esac
	command -v "${TESTPMD:-dpdk-testpmd}" > /dev/null || cont_err "dpdk-testpmd missing (package dpdk)" || return 1
	command -v ethtool > /dev/null || cont_err "ethtool missing" || return 1
	if [ "$SCEN_SWITCH" != vnetd ]; then
		cont_netns_add "$CONT_NS_SW" || return 1
		sw=(-n "$CONT_NS_SW")
		# shellcheck disable=SC2016  # expanded by that shell
		ip netns exec "$CONT_NS_SW" sh -e -c '
			for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ ! -e "$f" ] || echo 0 > "$f"; done
			sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
			ip link add br0 type bridge stp_state 0
			ip link set br0 up' || cont_err "cannot make the bridge in $CONT_NS_SW" || return 1
	fi
	for x in a b; do
		if [ $x = a ]; then ns=$CONT_NS_A host=$CONT_HOST_A mac=$CONT_MAC_A ip=$CONT_IP_A
		else ns=$CONT_NS_B host=$CONT_HOST_B mac=$CONT_MAC_B ip=$CONT_IP_B; fi
		cont_netns_add "$ns" || return 1
		ip "${sw[@]}" link add "$host" type veth peer name eth0 address "$mac" netns "$ns" ||
			cont_err "cannot create the veth pair $host / $ns:eth0" || return 1
		# The same offloads on every switch's veths: those vnetd needs (docs/rules-schema.md).
		cont_sw sh -e -c "sysctl -qw net.ipv6.conf.$host.disable_ipv6=1
			ethtool -K $host rx off tx off sg off tso off gso off gro off > /dev/null 2>&1 || true
			ip link set $host up" || cont_err "cannot configure $host" || return 1
		ip netns exec "$ns" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv4.ip_forward=0
			ethtool -K eth0 rx off tx off sg off tso off gso off gro off > /dev/null 2>&1 || true
			ip addr add $ip/24 dev eth0
			ip link set eth0 up" || cont_err "cannot configure eth0 in $ns" || return 1
		if [ "$SCEN_SWITCH" != vnetd ]; then
			ip -n "$CONT_NS_SW" link set "$host" master br0 || cont_err "cannot enslave $host to br0" || return 1
		fi
		if [ "$SCEN_SWITCH" = bridge-rps ]; then
			ip netns exec "$CONT_NS_SW" sh -c "echo 2 > /sys/class/net/$host/queues/rx-0/rps_cpus" ||
				cont_err "cannot steer $host's receive to core 1 (RPS)" || return 1
		fi
	done
}

# scenario_ready: a's ping to b is answered (run.sh calls it until it succeeds or 30 s pass).
scenario_ready() {
	ip netns exec "$CONT_NS_A" ping -n -q -c 1 -W 1 "$CONT_IP_B" > /dev/null 2>&1
}

# scenario_latency DIR: CONT_PINGS pings a -> b, one every CONT_PING_INTERVAL s; the RTTs in
# microseconds, one a line, into DIR/rtt.txt, and "<sent> <answered>" into DIR/pings.
scenario_latency() {
	local n=${CONT_PINGS:-2000} i=${CONT_PING_INTERVAL:-0.002} lim
	lim=$(awk -v n="$n" -v i="$i" 'BEGIN {printf "%d", n * i * 3 + 10}')
	# in the background: run.sh's INT/TERM traps act at once (bash defers them while a foreground
	# command runs, and ignores an INT that ping, which handles it, survives)
	timeout "$lim" ip netns exec "$CONT_NS_A" ping -n -i "$i" -c "$n" -W 1 "$CONT_IP_B" > "$1/ping.txt" 2>&1 &
	wait $!
	sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$1/ping.txt" | awk '{printf "%.1f\n", $1 * 1000}' > "$1/rtt.txt"
	echo "$n $(wc -l < "$1/rtt.txt")" > "$1/pings"
}

# cont_gen_ticks: "<user> <system>" CPU ticks of testpmd's forwarding thread (rte-worker-*).
cont_gen_ticks() {
	local t u=0 s=0
	if [ -n "$CONT_GEN_PID" ]; then
		for t in /proc/"$CONT_GEN_PID"/task/*; do
			case $(cat "$t/comm" 2>/dev/null) in rte-worker-*) ;; *) continue ;; esac
			read -r u s < <(sed 's/.*) //' "$t/stat" | awk -v u="$u" -v s="$s" '{print u + $12, s + $13}')
		done
	fi
	echo "$u $s"
}

# scenario_counters: "name value" lines: the containers' eth0 counters, the host ends', the
# generator's CPU ticks (user, system: softirq work done in its context counts as its system time)
# and ksoftirqd's on each core (the softirq work the kernel deferred: it competes with the worker).
scenario_counters() {
	local s=/sys/class/net/eth0/statistics
	ip netns exec "$CONT_NS_A" sh -c "echo a_tx \$(cat $s/tx_packets); echo a_tx_dropped \$(cat $s/tx_dropped)"
	ip netns exec "$CONT_NS_B" sh -c "echo b_rx \$(cat $s/rx_packets); echo b_rx_dropped \$(cat $s/rx_dropped)"
	cont_sw sh -c "echo ha_rx \$(cat /sys/class/net/$CONT_HOST_A/statistics/rx_packets)
		echo hb_tx \$(cat /sys/class/net/$CONT_HOST_B/statistics/tx_packets)
		echo hb_tx_dropped \$(cat /sys/class/net/$CONT_HOST_B/statistics/tx_dropped)"
	cont_gen_ticks | awk '{print "gen_utime", $1; print "gen_stime", $2}'
	for c in 0 1; do
		echo "ksoftirqd${c}_ticks $(awk '{print $14 + $15}' "/proc/$(pgrep -x "ksoftirqd/$c" | head -1)/stat" 2>/dev/null || echo 0)"
	done
}

# scenario_traffic DIR start|stop: the generator in container a; start returns once container b
# receives its frames (at most 30 s), 1 (and the generator's log) if it does not.
scenario_traffic() {
	local dir=$1 b0 b deadline=$((SECONDS + 30))
	if [ "$2" = stop ]; then
		[ -n "$CONT_GEN_PID" ] || return 0
		if kill -0 "$CONT_GEN_PID" 2>/dev/null; then
			kill -INT "$CONT_GEN_PID" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$CONT_GEN_PID" 2>/dev/null || break; sleep 0.1; done
			kill -0 "$CONT_GEN_PID" 2>/dev/null && kill -KILL "$CONT_GEN_PID" 2>/dev/null
		fi
		wait "$CONT_GEN_PID" 2>/dev/null
		rm -rf "/var/run/dpdk/$CONT_GEN_PREFIX"
		CONT_GEN_PID=""
		return 0
	fi
	b0=$(ip netns exec "$CONT_NS_B" cat /sys/class/net/eth0/statistics/rx_packets)
	CONT_GEN_PREFIX=${CONT_TAG}_gen
	# ip netns exec and taskset exec testpmd: $! is testpmd (run.sh does not count it as another
	# dataplane: SCEN_PIDS). CPU 0 for both lcores (run.sh runs under taskset -c 0 already).
	ip netns exec "$CONT_NS_A" taskset -c 0 "${TESTPMD:-dpdk-testpmd}" --no-pci --no-huge -m 256 \
		--lcores '0@0,1@0' --file-prefix "$CONT_GEN_PREFIX" \
		--vdev "net_af_packet0,iface=eth0,qdisc_bypass=1" -- \
		--forward-mode=txonly --eth-peer="0,$CONT_MAC_B" --txpkts=60 \
		--tx-ip="$CONT_IP_A,$CONT_SINK_IP" --nb-cores=1 --total-num-mbufs=8192 \
		--burst="${CONT_BURST:-32}" --stats-period=1 < /dev/null > "$dir/gen.log" 2>&1 &
	CONT_GEN_PID=$!
	SCEN_PIDS=$CONT_GEN_PID
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$CONT_GEN_PID" 2>/dev/null; then
			cont_err "the generator (testpmd in $CONT_NS_A) exited; its log:"
			tail -20 "$dir/gen.log" | sed 's/^/  /' >&2
			return 1
		fi
		b=$(ip netns exec "$CONT_NS_B" cat /sys/class/net/eth0/statistics/rx_packets)
		[ "$b" -gt $((b0 + 1000)) ] && return 0
		sleep 0.1
	done
	cont_err "container b received nothing from the generator within 30 s; its log:"
	tail -20 "$dir/gen.log" | sed 's/^/  /' >&2
	return 1
}

# scenario_stop: the generator, then the namespaces (and whatever of ours still runs in them)
# and the host ends left in vnetd's namespace. Idempotent.
scenario_stop() {
	local ns pid h
	scenario_traffic "$CONT_DIR" stop
	for ns in "${CONT_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	CONT_NETNS=()
	# Deleting a namespace deletes the veth ends in it, and with them their peers; a host end
	# whose container namespace was never made would be left.
	for h in "$CONT_HOST_A" "$CONT_HOST_B"; do
		ip link show "$h" > /dev/null 2>&1 && ip link del "$h" 2>/dev/null
	done
	SCEN_PIDS=""
	return 0
}
