#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fair polling (issue 8, item 4): one worker serves 16 vNICs and the underlay, all busy all the
# time (net_null devices receive as fast as they are polled). Over an interval of at least
# 2,000,000 packets each of the 17 gets its share within 10 % (port_rx's deficit round robin),
# and a synthetic trace injected meanwhile completes: the injection ring is served inside the
# same budget, never after the ports.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init fair
ensure_hugepages
SAMPLES=$SYS_SRC/pcap-samples
N=16

ports=""
for i in $(seq 0 $((N - 1))); do
	ports+=$(printf '%s{"id": "p%d", "network": "blue", "device": "net_null%d",
	  "mac": "02:00:00:00:01:%02x", "port_security": false}' "${ports:+,}" "$i" "$i" "$((i + 16))")
done
cat >"$SYS_TMP/vnetd.json" <<JSON
{"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", "$SYS_TAG-v", "-m", "64",
              "--log-level", "lib.eal:notice"],
 "socket": "$SYS_TMP/v.sock", "idle_sleep_max_us": 1000,
 "underlay": {"device": "net_null$N", "address": "192.0.2.11/24"},
 "rules": {"revision": 1,
   "networks": [{"id": "blue", "tenant": "blue", "vni": 5001, "mtu": 1450}],
   "ports": [$ports]}}
JSON
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# rx NAME...: rx_pkts of each port, by name, as "name=count" lines.
rx_counts() {
	"$VNETCTL" -s "$SOCK" show ports --json |
		"$PY" -c 'import json,sys; [print(p["name"], p["rx_pkts"]) for p in json.load(sys.stdin)]'
}
# total_at_least FILE N: the ports together received N packets more than FILE says.
total_at_least() {
	rx_counts | "$PY" -c '
import sys
before = dict(l.split() for l in open(sys.argv[1]))
now = dict(l.split() for l in sys.stdin)
sys.exit(0 if sum(int(now[k]) - int(before[k]) for k in before) >= int(sys.argv[2]) else 1)' "$1" "$2"
}

wait_for "every port polled" 20 sh -c "'$VNETCTL' -s '$SOCK' show ports --json | '$PY' -c '
import json, sys
sys.exit(0 if all(p[\"rx_pkts\"] > 1000 for p in json.load(sys.stdin)) else 1)'" ||
	fail "some port got no packets at all"
rx_counts >"$SYS_TMP/before.txt"

# A trace while every source is busy: it must complete (the injection ring has its turn).
timeout 10 "$VNETCTL" -s "$SOCK" trace --port p3 --pcap "$SAMPLES/icmp_echo.pcap" --index 0 \
	>"$SYS_TMP/trace.txt" || fail "trace did not complete under load: $(cat "$SYS_TMP/trace.txt")"
grep -q "port_rx" "$SYS_TMP/trace.txt" || fail "trace has no port_rx record: $(cat "$SYS_TMP/trace.txt")"
pass "a trace completes while 17 sources are busy"

wait_for "2,000,000 packets more" 60 total_at_least "$SYS_TMP/before.txt" 2000000 ||
	fail "the worker did not poll 2,000,000 packets in 60 s"
rx_counts >"$SYS_TMP/after.txt"
"$PY" - "$SYS_TMP/before.txt" "$SYS_TMP/after.txt" "$N" <<'PY' || fail "unfair polling"
import sys
before = dict(l.split() for l in open(sys.argv[1]))
after = dict(l.split() for l in open(sys.argv[2]))
n = int(sys.argv[3])
delta = {k: int(after[k]) - int(before[k]) for k in before}
mean = sum(delta.values()) / len(delta)
bad = []
for k in sorted(delta, key=lambda k: (len(k), k)):
    share = delta[k] / mean
    print(f"{k:10} {delta[k]:10} {share:6.3f} of the mean")
    if abs(share - 1) > 0.10:
        bad.append(k)
if len(delta) != n + 1:
    print(f"expected {n + 1} ports, got {len(delta)}")
    sys.exit(1)
if bad:
    print("outside 10 % of the mean:", " ".join(bad))
    sys.exit(1)
PY
pass "16 vNICs and the underlay each got their share within 10 %"
sys_done
