#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two vnet-controllers on a three-member etcd cluster (issue 11): two writers (one per controller,
# so that the controllers' transactions race and some are run again) keep creating ports and a
# simulated agent long-polls its host's rules. Then the etcd leader and one controller are killed
# (SIGKILL) while the writers go on through the survivors. Checked: every port the API
# acknowledged is in the store, no two ports share an address, and the agent's watch resumed on
# the other controller from the revision it had and holds every acknowledged port.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/etcd.sh
source "$(dirname "$0")/../lib/etcd.sh"

sys_init ctle
CTL=${VNET_CONTROLLER:-$(dirname "$VNETD")/controller-agent/vnet-controller}
[[ -x $CTL ]] || fail "no vnet-controller at $CTL"
CLIENT=$(dirname "$0")/controller_failover.py

etcd_cluster 3
STORE=etcd:$ETCD_URLS
echo pw-root | "$CTL" user add --db "$STORE" root --project admin --role admin || fail "user add"
declare -a CPORT CPID CURL_OF
for k in 1 2; do
	CPORT[$k]=$(etcd_free_port)
	CURL_OF[$k]=http://127.0.0.1:${CPORT[$k]}
	spawn "$SYS_TMP/controller$k.log" "$CTL" serve --db "$STORE" --listen "127.0.0.1:${CPORT[$k]}" --poll-max 5
	CPID[$k]=$SYS_LAST_PID
	wait_for "controller $k answers" 10 curl -sf "${CURL_OF[$k]}/" -o /dev/null ||
		fail "no controller $k: $(cat "$SYS_TMP/controller$k.log")"
done
A=${CURL_OF[1]} B=${CURL_OF[2]}
TOKEN=$(curl -s -i -X POST "$A/v3/auth/tokens" -H 'Content-Type: application/json' -d \
	'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "root",
	  "domain": {"name": "Default"}, "password": "pw-root"}}}, "scope": {"project": {"name": "admin",
	  "domain": {"name": "Default"}}}}}' | tr -d '\r' | sed -n 's/^X-Subject-Token: //p')
[[ -n $TOKEN ]] || fail "no token"
api() { # method path [body] on controller B: the body
	curl -sf -X "$1" "$B$2" -H "X-Auth-Token: $TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"}
}
NET=$(api POST /v2.0/networks '{"network": {"name": "n"}}' | json_get "d['network']['id']") || fail "network"
api POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.8.0.0/16\"}}" >/dev/null || fail "subnet"
api POST /vnet/v1/hosts '{"name": "hv1", "vtep": "192.0.2.1"}' >/dev/null || fail "register hv1"
pass "two controllers on a three-member etcd: a token from one is good at the other; objects made through B"

STOP=$SYS_TMP/stop
spawn "$SYS_TMP/agent.log" "$PY" "$CLIENT" agent "$A,$B" "$TOKEN" hv1 "$SYS_TMP/agent.state" "$STOP.agent"
spawn "$SYS_TMP/writer1.log" "$PY" "$CLIENT" writer "$A,$B" "$TOKEN" "$NET" hv1 "$SYS_TMP/acked1" "$STOP"
W1=$SYS_LAST_PID
spawn "$SYS_TMP/writer2.log" "$PY" "$CLIENT" writer "$B,$A" "$TOKEN" "$NET" hv1 "$SYS_TMP/acked2" "$STOP"
W2=$SYS_LAST_PID
acked() { cat "$SYS_TMP/acked1" "$SYS_TMP/acked2" 2>/dev/null | wc -l; }
wait_for "40 ports acknowledged" 60 sh -c "[ \$(cat $SYS_TMP/acked1 $SYS_TMP/acked2 2>/dev/null | wc -l) -ge 40 ]" ||
	fail "the writers did not get 40 ports through: $(cat "$SYS_TMP"/writer*.log)"
wait_for "the agent follows" 30 sh -c "[ -s $SYS_TMP/agent.state ]" || fail "the agent got no document"
REV_BEFORE=$(cut -d' ' -f1 "$SYS_TMP/agent.state")

# The etcd leader, and controller A, killed.
LEADER=
for k in 1 2 3; do
	s=$(curl -s -X POST "http://127.0.0.1:${ETCD_CLIENT[$k]}/v3/maintenance/status" -d '{}')
	[[ $(json_get "d['leader'] == d['header']['member_id']" <<<"$s") == True ]] && LEADER=$k
done
[[ -n $LEADER ]] || fail "no etcd leader"
N_KILL=$(acked)
kill -9 "${ETCD_PID[$LEADER]}" "${CPID[1]}"
log "killed etcd member $LEADER (the leader) and controller A after $N_KILL ports"
wait_for "40 more ports acknowledged through the survivors" 60 sh -c \
	"[ \$(cat $SYS_TMP/acked1 $SYS_TMP/acked2 | wc -l) -ge $((N_KILL + 40)) ]" ||
	fail "writes did not resume: $(acked) acknowledged; $(tail -3 "$SYS_TMP/controller2.log")"
touch "$STOP"
sys_reap "$W1" 20
sys_reap "$W2" 20
pass "the etcd leader and controller A killed: writes resumed through B ($(acked) ports acknowledged; $(cat "$SYS_TMP"/writer*.log | tr '\n' ' '))"

api GET "/v2.0/ports?network_id=$NET" >"$SYS_TMP/ports.json" || fail "list ports"
"$PY" - "$SYS_TMP/ports.json" "$SYS_TMP/acked1" "$SYS_TMP/acked2" <<'PYEOF' || fail "acknowledged writes lost"
import json, sys
ports = json.load(open(sys.argv[1]))["ports"]
have = {p["id"] for p in ports}
acked = [l.strip() for f in sys.argv[2:] for l in open(f) if l.strip()]
lost = [a for a in acked if a not in have]
ips = [ip["ip_address"] for p in ports for ip in p["fixed_ips"]]
macs = [p["mac_address"] for p in ports]
assert not lost, f"{len(lost)} acknowledged ports lost: {lost[:5]}"
assert len(set(ips)) == len(ips), "two ports share an address"
assert len(set(macs)) == len(macs), "two ports share a MAC"
print(f"{len(acked)} acknowledged, {len(ports)} in the store, addresses and MACs unique")
PYEOF
pass "no acknowledged write lost; no address or MAC given twice (controller B ran $(curl -s "$B/metrics" | sed -n 's/^vnet_controller_store_conflicts_total //p') requests again after a conflict)"

REV=$(api GET /vnet/v1/hosts/hv1/rules | json_get "d['revision']")
wait_for "the agent's watch resumes on B and reaches revision $REV" 30 sh -c \
	"[ \$(cut -d' ' -f1 $SYS_TMP/agent.state) -ge $REV ]" ||
	fail "the agent is at $(cut -d' ' -f1 "$SYS_TMP/agent.state"), the store at $REV"
grep -q "$B" "$SYS_TMP/agent.state" || fail "the agent's last document is not from B"
"$PY" - "$SYS_TMP/agent.state" "$SYS_TMP/acked1" "$SYS_TMP/acked2" <<'PYEOF' || fail "the agent's document misses ports"
import sys
have = set(open(sys.argv[1]).read().split()[2:])
acked = [l.strip() for f in sys.argv[2:] for l in open(f) if l.strip()]
missing = [a for a in acked if a not in have]
assert not missing, f"{len(missing)} acknowledged ports not in the agent's document"
PYEOF
pass "the agent's watch resumed on controller B (revision $REV_BEFORE before the kill, $REV after) with every acknowledged port"

etcd_member_start "$LEADER"
wait_for "the killed member rejoins" 30 sh -c \
	"curl -sf http://127.0.0.1:${ETCD_CLIENT[$LEADER]}/health | grep -q '\"health\":\"true\"'" ||
	fail "member $LEADER did not rejoin: $(tail -5 "$SYS_TMP/etcd$LEADER.log")"
pass "the killed etcd member rejoined"
sys_done
