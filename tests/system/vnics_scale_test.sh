#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hypervisor scale (issue 8): VNICS container vNICs (default 256) on one vnetd with one worker,
# veth backend (no ethdev each), in 16 tenant networks: vnetd creates every pair at start-up,
# every container pings its neighbour in its network, and nothing is dropped. Prints what it
# measured: time until vnetd answers with all of them attached, vnetd's resident memory, the
# worker's idle walks per second, the time of one more port's transaction.
#   VNICS=1024 tests/system/vnics_scale_test.sh    (the once-measured figure: docs/design-decisions.md)
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init vsc
ensure_hugepages
N=${VNICS:-256}
NETS=16
((N % NETS == 0 && N >= 2 * NETS && N <= 1024)) || fail "VNICS must be a multiple of $NETS in 32..1024"
PER=$((N / NETS))

# c<i>: network n<i % 16>, address 10.<net>.0.<k+10>, k = i / 16.
"$PY" - "$N" "$NETS" "$SYS_TAG" "$SYS_TMP" >"$SYS_TMP/rules.json" <<'PY'
import json, sys
n, nets, tag, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ports = [{"id": f"c{i}", "network": f"n{i % nets}", "kind": "container",
          "device": f"veth:{tag}-h{i},netns={tag}-c{i}",
          "mac": "02:00:00:%02x:%02x:%02x" % (i % nets, (i // nets) >> 8, (i // nets) & 255),
          "ips": [f"10.{i % nets}.0.{i // nets + 10}"]} for i in range(n)]
print(json.dumps({"revision": 1,
                  "networks": [{"id": f"n{k}", "tenant": f"t{k}", "vni": 100 + k}
                               for k in range(nets)],
                  "ports": ports}))
PY
t0=$SECONDS
for ((i = 0; i < N; i++)); do
	ip netns add "$SYS_TAG-c$i" || fail "netns $SYS_TAG-c$i"
	SYS_NETNS+=("$SYS_TAG-c$i")
	SYS_IFACES+=("$SYS_TAG-h$i")
done
log "$N namespaces in $((SECONDS - t0)) s"
vnetd_config v "$(cat "$SYS_TMP/rules.json")" >"$SYS_TMP/vnetd.json"
start=$(date +%s%N)
SYS_VNETD_START_S=$((20 + N / 8)) vnetd_start v "$SYS_TMP/vnetd.json" # ~64 ms per pair made
up_ms=$((($(date +%s%N) - start) / 1000000))
SOCK=$(vnetd_sock v)
[[ $("$VNETCTL" -s "$SOCK" status --json | json_get 'd["ports"]') == "$N" ]] || fail "not $N ports"
pass "$N veth vNICs attached; vnetd answered $up_ms ms after it started"

for ((i = 0; i < N; i++)); do
	in_ns "$SYS_TAG-c$i" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip addr add 10.$((i % NETS)).0.$((i / NETS + 10))/24 dev eth0
		ip link set dev eth0 up" || fail "address of c$i"
done
t0=$(date +%s%N)
bad=()
for ((i = 0; i < N; i++)); do
	j=$(((i + NETS) % N)) # the next container of the same network
	addr=10.$((j % NETS)).0.$((j / NETS + 10))
	# Three tries of 1 s: a first ping may wait for the neighbour's ARP, and a 2-core machine
	# running other busy-polling jobs stalls now and then.
	ping_ok "$SYS_TAG-c$i" "$addr" 1 || ping_ok "$SYS_TAG-c$i" "$addr" 1 ||
		ping_ok "$SYS_TAG-c$i" "$addr" 1 || bad+=("c$i->c$j")
done
((${#bad[@]} == 0)) || fail "${#bad[@]} containers could not reach their neighbour: ${bad[*]:0:20}"
ping_ms=$((($(date +%s%N) - t0) / 1000000))
pass "each of the $N containers pinged its neighbour ($ping_ms ms for all)"

[[ $("$VNETCTL" -s "$SOCK" drops --json | json_get 'd["total"]') == 0 ]] ||
	fail "drops: $("$VNETCTL" -s "$SOCK" drops)"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/${SYS_VNETD_PID[v]}/status")
w0=$("$VNETCTL" -s "$SOCK" show stats --json | json_get 'd["workers"][0]["walks"]')
t0=$(date +%s%N)
wait_for "one second of walks" 5 sh -c "[ \$(( \$(date +%s%N) - $t0 )) -ge 1000000000 ]"
w1=$("$VNETCTL" -s "$SOCK" show stats --json | json_get 'd["workers"][0]["walks"]')
# One port's transaction at this scale: remove c0 (its pair goes), add it again (a new pair).
"$VNETCTL" -s "$SOCK" apply - >/dev/null <<<'{"ops": [{"op": "remove", "kind": "port", "id": "c0"}]}' ||
	fail "removing c0"
t0=$(date +%s%N)
"$VNETCTL" -s "$SOCK" apply - >/dev/null <<JSON || fail "adding c0 again"
{"ops": [{"op": "add", "kind": "port", "object": {"id": "c0", "network": "n0", "kind": "container",
  "device": "veth:$SYS_TAG-h0,netns=$SYS_TAG-c0", "mac": "02:00:00:00:00:00", "ips": ["10.0.0.10"]}}]}
JSON
add_ms=$((($(date +%s%N) - t0) / 1000000))
in_ns "$SYS_TAG-c0" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip addr add 10.0.0.10/24 dev eth0
	ip link set dev eth0 up" || fail "address of the new c0"
wait_for "the new c0 pings its neighbour" 10 ping_ok "$SYS_TAG-c0" 10.0.0.11 ||
	fail "the new c0 cannot reach c16"
log "measured: $N vNICs: up in $up_ms ms, vnetd RSS $((rss / 1024)) MiB, $((w1 - w0)) walks/s (idle, with sleeps), one more port in $add_ms ms"
pass "nothing dropped; measured: RSS $((rss / 1024)) MiB, one more port in $add_ms ms"

# A restart is a black-out for every vNIC of the host: vnetd must stop within vnetd_stop's 10 s
# (closing the packet sockets of 256 vNICs one after the other took 17 s).
t0=$(date +%s%N)
vnetd_stop v || fail "vnetd did not stop cleanly within 10 s with $N vNICs"
log "measured: vnetd stopped in $((($(date +%s%N) - t0) / 1000000)) ms with $N vNICs"
sys_done
