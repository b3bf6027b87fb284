#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole system's latencies (issue 12, "Benchmarks"; bench/README.md): a vnet-controller
# (HTTPS, SQLite) and two real hosts (vnetd + vnet-agent each, tests/lib/agents.sh), then:
#   ports:   N times (default 100), in a container namespace that exists already: the time from
#            the API call that creates its port (POST /v2.0/ports, then the namespace told to the
#            agent, as the CNI plugin does) to the first UDP echo answered by a container on the
#            other host;
#   rules:   S more hosts' agents simulated (default 50: registered, a port each, long polls from
#            bench/agent_e2e.py), then R times (default 20) a rule added to the security group
#            every port is in: the time until every host holds it (the simulated ones: their
#            document has it; the real ones: the agent's applied.json has it, written after vnetd
#            applied it);
#   migration: tests/system/agent_migration_test.sh with MOVES moves (default 20).
# Prints p50 / p90 / p99 / max for each; writes them to bench/results/agent_e2e.txt.
#
#   bench/agent_e2e.sh [--ports N] [--sim-hosts S] [--rule-changes R] [--moves M]
set -euo pipefail
N=100 S=50 R=20 MOVES=20
while (($#)); do
	case $1 in
	--ports) N=$2; shift 2 ;;
	--sim-hosts) S=$2; shift 2 ;;
	--rule-changes) R=$2; shift 2 ;;
	--moves) MOVES=$2; shift 2 ;;
	-h | --help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1 (--help)" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/agent_e2e.txt
: >"$OUT"
# First, on its own: the migration test with more moves.
echo "migration: $MOVES moves (tests/system/agent_migration_test.sh)"
MOVES=$MOVES env -u SYS_KEEP bash "$ROOT/tests/system/agent_migration_test.sh" 2>&1 | grep -E "^move|live migrations" | tee -a "$OUT"
export VNETD=${VNETD:-$ROOT/build/vnetd} VNETCTL=${VNETCTL:-$ROOT/build/vnetctl/vnetctl}
# shellcheck source=SCRIPTDIR/../tests/lib/sys.sh
source "$ROOT/tests/lib/sys.sh"
# shellcheck source=SCRIPTDIR/../tests/lib/overlay.sh
source "$ROOT/tests/lib/overlay.sh"
sys_init be2e
ensure_hugepages
# shellcheck source=SCRIPTDIR/../tests/lib/agents.sh
source "$ROOT/tests/lib/agents.sh"
ag_controller_start
echo pw-admin | "$CTL" user add --db "$DB" admin --project admin --role admin || fail "admin user"
ag_hosts_start

NET=$(api POST /v2.0/networks '{"network": {"name": "bench"}}' | json_get "d['network']['id']") || fail "network"
api POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/16\"}}" >/dev/null || fail "subnet"
SG=$(api GET /v2.0/security-groups | json_get "[g['id'] for g in d['security_groups'] if g['name'] == 'default'][0]") || fail "default group"

# The echo container on hv1.
E=$(sys_name e)
PE=$(ag_port echo hv1)
ag_container "$E" "$PE" hv1
EIP=$(cat "$SYS_TMP/echo.ip")
spawn "$SYS_TMP/echo.log" ip netns exec "$E" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
while True:
    b, a = s.recvfrom(2048)
    s.sendto(b, a)'
wait_for "the echo container's address" 20 sh -c "ip -n $E -4 addr show dev eth0 | grep -q $EIP" || fail "echo container"

# The namespaces of the N containers, made before their ports (the containers exist).
NSS=()
for i in $(seq 1 "$N"); do
	ns=$(sys_name "c$i")
	netns_add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	NSS+=("$ns")
done
log "ports: $N containers on hv2, each until a UDP echo from $EIP (hv1) answers"
"$PY" "$ROOT/bench/agent_e2e.py" ports --url "$URL" --ca "$CA/ca.pem" --token "$TOKEN" --network "$NET" \
	--host hv2 --agent "http://127.0.0.1:${APORT[hv2]}" --echo "$EIP" "${NSS[@]}" | tee -a "$OUT" ||
	fail "ports phase"

log "rules: $S simulated hosts and 2 real, $R rule changes"
"$PY" "$ROOT/bench/agent_e2e.py" rules --url "$URL" --ca "$CA/ca.pem" --token "$TOKEN" --network "$NET" \
	--group "$SG" --sim-hosts "$S" --changes "$R" --state "$SYS_TMP/state-hv1/applied.json" \
	--state "$SYS_TMP/state-hv2/applied.json" --admin-password pw-admin | tee -a "$OUT" || fail "rules phase"
sys_done

echo "written: $OUT"
