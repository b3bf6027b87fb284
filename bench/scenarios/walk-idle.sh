# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario walk-idle: what one idle walk of the worker's graph costs with 1, 64 and 512 idle vNICs
# (no traffic at all). vnetd runs as in every scenario (one worker on core 1, idle_sleep_max_us 0:
# the worker never sleeps, its walks follow each other back to back); every walk calls port_rx,
# which polls each of the worker's vNICs once (and the injection ring), finds nothing, and the walk
# ends. Measured over the window, from `vnetctl show stats --json`:
#   cycles/walk          TSC x window / walks: everything one idle walk costs (the graph walk, the
#                        worker loop: config snapshot, RCU quiescent state, idle accounting)
#   port_rx cycles/call  rte_graph's cycles inside port_rx per call (= per walk): polling the vNICs
#   per vNIC             port_rx cycles/call / vNICs
# run.sh writes one line per (vNICs, rep) to results/walks.csv (not results.csv: there is no rate).
#
# The idle vNICs are vhost-user ports (dataplane/port_vhost.c, vnetd the client) whose sockets
# nobody serves: a VM that is not running. Their poll is the backend's "not connected" test. A
# connected VM that sends nothing costs more per poll (librte_vhost reads its ring's index), and is
# not measured here. WALK_DEVICE=null uses net_null0..N-1 (no-rx=1) ethdevs instead: only up to
# 30 vNICs (Debian's DPDK has 32 ethdevs) and SCEN_VARIANTS becomes "1 30".
#
# Sourced by bench/run.sh (SCEN_MEASURE=walks: run_walk once per variant, scenario_rules gets the
# variant, the number of vNICs, as its second argument; SCEN_DIR is exported).

SCEN_DESC="idle walks of the worker: cycles per walk with 1, 64 and 512 idle vNICs (no traffic)"
SCEN_MEASURE=walks             # run.sh: cycles per walk (walks.csv), not a packet rate
SCEN_PCAPS=""
SCEN_OUT_PORTS=""
SCEN_IN_PORTS=""
SCEN_OVS=""                    # no Open vSwitch counterpart
SCEN_MBUFS=16383
if [ "${WALK_DEVICE:-vhost}" = null ]; then
	SCEN_DEVICE=null
	SCEN_VARIANTS="1 30"
else
	SCEN_DEVICE=vhost
	SCEN_VARIANTS="1 64 512"
fi

# scenario_rules PCAP_DIR N: N idle vNICs in one network, on the one worker.
scenario_rules() {
	local n=$2 i sep="" dev
	printf '{"revision": 1,\n'
	printf ' "networks": [{"id": "bench", "tenant": "bench", "vni": 100}],\n'
	printf ' "ports": ['
	for ((i = 0; i < n; i++)); do
		if [ "$SCEN_DEVICE" = null ]; then
			dev="net_null$i,no-rx=1"
		else
			dev="vhost:$SCEN_DIR/idle/vm$i.sock" # never created: nobody serves it
		fi
		printf '%s\n  {"id": "vm%d", "network": "bench", "kind": "vm", "mac": "02:00:00:cc:%02x:%02x", "device": "%s"}' \
			"$sep" "$i" $((i >> 8)) $((i & 255)) "$dev"
		sep=","
	done
	printf ']}\n'
}
