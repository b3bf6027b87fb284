#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vnetd's counters under rte_telemetry, read with DPDK's own client (dpdk-telemetry.py): after
# pings between two containers, /vnet/ports gives the same figures as `vnetctl show ports`,
# /vnet/drops the same as `vnetctl drops` (per port too), /vnet/info the generation and revision,
# /vnet/workers and /vnet/nodes the workers and graph nodes, /vnet/vteps a feature's own
# counters; and vnetd stops cleanly (exit 0) while a client keeps asking.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init tel
ensure_hugepages

TELEMETRY=/usr/bin/dpdk-telemetry.py
[[ -x $TELEMETRY ]] || fail "$TELEMETRY missing (package dpdk)"
IF_A=$(sys_name a) IF_B=$(sys_name b)
MAC_A=02:00:00:00:01:0a MAC_B=02:00:00:00:01:0b
PREFIX=$SYS_TAG-v

# Port a's name is not a telemetry key (a '-'): it is listed under its DPDK port id. The flood
# VTEP has a static neighbour: no ARP for it moves the underlay's counters while they are read.
cat >"$SYS_TMP/vnetd.json" <<JSON
{"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", "$PREFIX", "-m", "64",
              "--log-level", "lib.eal:notice"],
 "socket": "$SYS_TMP/v.sock", "idle_sleep_max_us": 1000,
 "underlay": {"device": "net_null9,no-rx=1", "address": "192.0.2.11/24",
              "static_neighbors": [{"ip": "192.0.2.12", "mac": "02:00:c0:00:02:0c"}]},
 "rules": {"revision": 3,
   "networks": [{"id": "blue", "tenant": "blue", "vni": 5001, "mtu": 1450,
                 "flood_vteps": ["192.0.2.12"]}],
   "ports": [
     {"id": "web-a", "network": "blue", "device": "net_tap0,iface=$IF_A", "mac": "$MAC_A",
      "ips": ["10.0.0.10"]},
     {"id": "b", "network": "blue", "device": "net_tap1,iface=$IF_B", "mac": "$MAC_B",
      "ips": ["10.0.0.11"]}]}}
JSON
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
netns_container "$IF_A" "$IF_A" $MAC_A 10.0.0.10/24
netns_container "$IF_B" "$IF_B" $MAC_B 10.0.0.11/24
wait_for "first ping a -> b" 5 ping_ok "$IF_A" 10.0.0.11 || fail "ping a -> b"
ping_ok "$IF_A" 10.0.0.11 3 || fail "ping a -> b (3 more)"

# tel CMD...: one JSON answer per command, from DPDK's client.
tel() {
	printf '%s\n' "$@" | timeout 10 "$TELEMETRY" -f "$PREFIX" 2>"$SYS_TMP/tel.err" ||
		fail "dpdk-telemetry.py: $(cat "$SYS_TMP/tel.err")"
}

# The counters stop moving once the pings are over (the containers send nothing else: no IPv6).
wait_for "counters settled" 10 sh -c "
	a=\$('$VNETCTL' -s '$SOCK' show ports --json); sleep 0.3
	b=\$('$VNETCTL' -s '$SOCK' show ports --json); [ \"\$a\" = \"\$b\" ]" ||
	fail "port counters keep moving"

"$VNETCTL" -s "$SOCK" show ports --json >"$SYS_TMP/ports.json"
"$VNETCTL" -s "$SOCK" drops --json >"$SYS_TMP/drops.json"
tel /vnet/info /vnet/ports /vnet/ports,b /vnet/drops /vnet/drops,web-a /vnet/workers /vnet/nodes \
	/vnet/vteps >"$SYS_TMP/tel.out"
"$PY" - "$SYS_TMP/tel.out" "$SYS_TMP/ports.json" "$SYS_TMP/drops.json" <<'PY' || fail "telemetry differs from vnetctl"
import json, sys
answers = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        (cmd, val), = json.loads(line).items()
        answers.setdefault(cmd, []).append(val)
ports = {p["name"]: p for p in json.load(open(sys.argv[2]))}
drops = json.load(open(sys.argv[3]))
bad = []
def check(what, ok):
    print(("ok   " if ok else "BAD  ") + what)
    ok or bad.append(what)

info = answers["/vnet/info"][0]
check(f"/vnet/info revision 3, 1 worker, 3 ports: {info}", info["revision"] == 3 and
      info["workers"] == 1 and info["ports"] == 3 and info["generation"] >= 1)
tel_ports = {v["name"]: (k, v) for k, v in answers["/vnet/ports"][0].items()}
check(f"/vnet/ports lists {sorted(tel_ports)}", sorted(tel_ports) == sorted(ports))
for name, p in ports.items():
    key, t = tel_ports[name]
    fields = ("rx_pkts", "tx_pkts", "rx_bytes", "tx_bytes", "drops", "copies", "sent")
    check(f"/vnet/ports {name} (key {key}) == show ports", all(t[f] == p[f] for f in fields))
check("web-a is keyed by its port id", tel_ports["web-a"][0] == f"port{ports['web-a']['port_id']}")
check("a moving counter is in it", ports["web-a"]["rx_pkts"] > 0 and ports["b"]["tx_pkts"] > 0)
one = answers["/vnet/ports"][1]
check(f"/vnet/ports,b gives b alone: {list(one)}", list(one) == ["b"])
total = {r["reason"]: r["count"] for r in drops["reasons"]}
check("/vnet/drops == vnetctl drops", answers["/vnet/drops"][0] == total)
per_a = {r["reason"]: r["ports"].get("web-a", 0) for r in drops["reasons"]}
check("/vnet/drops,web-a == vnetctl drops on web-a", answers["/vnet/drops"][1] == per_a)
workers = answers["/vnet/workers"][0]
check(f"/vnet/workers: {list(workers)}", len(workers) == 1 and
      next(iter(workers.values()))["walks"] > 0)
nodes = answers["/vnet/nodes"][0]
check("/vnet/nodes has port_rx, parse, l2_lookup, port_tx with packets",
      all(n in nodes for n in ("port_rx", "parse", "l2_lookup", "port_tx")) and
      nodes["l2_lookup"]["objs"] > 0)
vteps = answers["/vnet/vteps"][0]
check(f"/vnet/vteps (the overlay's): {vteps}", list(vteps) == ["vtep_192_0_2_12"] and
      vteps["vtep_192_0_2_12"]["vtep"] == "192.0.2.12" and
      vteps["vtep_192_0_2_12"]["tx_pkts"] >= 0)
sys.exit(1 if bad else 0)
PY
pass "telemetry gives vnetctl's figures for ports, drops, info, workers, nodes and VTEPs"

# Shutdown order: a client keeps asking for the counters while vnetd stops.
(for _ in $(seq 1 200); do printf '/vnet/ports\n/vnet/nodes\n/vnet/vteps\n'; done |
	timeout 20 "$TELEMETRY" -f "$PREFIX" >/dev/null 2>&1 || true) &
asker=$!
wait_for "the client is connected" 5 sh -c "ss -xp | grep -q dpdk_telemetry" || true
rc=0
vnetd_stop v || rc=$?
wait "$asker" 2>/dev/null || true
((rc == 0)) || fail "vnetd exited with status $rc while telemetry was being read"
pass "vnetd stops cleanly (exit 0) under telemetry reads"
sys_done
