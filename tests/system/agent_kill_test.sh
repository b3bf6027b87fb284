#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vnet-agent killed with SIGKILL while it applies a change (issue 12): vnetd holds the old revision
# or the new one, never a mix, and the restarted agent brings it to the newest revision in at most
# one transaction, never back to an older one.
#
# A controller (HTTPS, SQLite) and one host (vnetd, vnet-agent with its certificate). The tenant
# has two security groups of $RULES rules each (AGENT_KILL_RULES, default 400) and a VM port that
# moves from one group to the other, with a new address, in one API write (the API has no bulk
# writes; one write is one revision): a diff that takes a group and its rules out of vnetd, puts
# the other in and replaces the port (a 66 KB document; vnetd rebuilds its classifiers, ~10 ms).
# Rounds 3, 11, 19 instead make a VM port and 7, 15 delete it (vnetd makes or removes its
# vhost-user socket). Each of $ROUNDS rounds (AGENT_KILL_ROUNDS, default 20): the change through
# the API, SIGKILL of the agent after a random delay (even rounds: 0 to 1.5 times the slowest
# write-to-recorded time of two calibration rounds; odd rounds: the 10 ms before vnetd had the
# change in calibration, when the agent talks to vnetd); then, with no agent running, vnetd's
# document (rules.get) must be exactly the controller's compiled document
# (GET /vnet/v1/hosts/hv1/rules, with hv1's certificate) of the revision before the change, or of
# the change's revision, with vnetd's revision saying which. The agent restarted: vnetd gets to
# the controller's document, its revision never going back and its generation moving once when it
# had the old document, not at all when the agent had recorded (applied.json) that vnetd had the
# new one, at most once when it had not. The rounds are counted by where the kill landed: before
# the agent had sent the change whole to vnetd, after it sent it but before it recorded vnetd's
# answer, or after.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

ROUNDS=${AGENT_KILL_ROUNDS:-20}
RULES=${AGENT_KILL_RULES:-400}
sys_init akil
ensure_hugepages
# shellcheck source=SCRIPTDIR/../lib/agents.sh
source "$(dirname "$0")/../lib/agents.sh"
VHOST=$SYS_TMP/vhost
mkdir -p "$VHOST"
AG_CTL_ARGS=(--vhost-dir "$VHOST")
ag_controller_start
vnetd_config h1 '{"revision": 0}' >"$SYS_TMP/h1.json" # one host: no underlay
vnetd_start h1 "$SYS_TMP/h1.json"
SOCK=$(vnetd_sock h1)
ag_agent_start hv1
STATE=$SYS_TMP/state-hv1/applied.json

# The controller's side, over one HTTPS connection: python3 $CTLPY ACTION ARGS...
CTLPY=$SYS_TMP/ctl.py
cat >"$CTLPY" <<'PY'
import http.client, json, os, signal, ssl, sys, time
url, ca, token = os.environ["URL"], os.environ["CA"] + "/ca.pem", os.environ["TOKEN"]
host, port = url[len("https://"):].split(":")
conn = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cafile=ca))
def api(method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"X-Auth-Token": token, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 400:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data.decode()[:300]))
    return json.loads(data) if data else None
def vnetd_rev(sock):
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "status"}\n')
    b = b""
    while not b.endswith(b"\n"):
        b += s.recv(65536)
    s.close()
    return json.loads(b)["result"]["revision"]
act = sys.argv[1]
if act == "setup":  # RULES: network, subnet, groups A and B, four VM ports and the moving one
    n = int(sys.argv[2])
    net = api("POST", "/v2.0/networks", {"network": {"name": "n"}})["network"]["id"]
    sub = api("POST", "/v2.0/subnets", {"subnet": {"network_id": net, "ip_version": 4,
                                                   "cidr": "10.1.0.0/16"}})["subnet"]["id"]
    groups = []
    for g, base in (("A", 1000), ("B", 20000)):
        gid = api("POST", "/v2.0/security-groups", {"security_group": {"name": g}})["security_group"]["id"]
        for i in range(n):
            api("POST", "/v2.0/security-group-rules", {"security_group_rule": {
                "security_group_id": gid, "direction": "ingress", "ethertype": "IPv4",
                "protocol": "tcp" if i % 2 else "udp", "port_range_min": base + i,
                "port_range_max": base + i,
                "remote_ip_prefix": "10.%d.%d.0/24" % (100 + (base == 20000), i % 250)}})
        groups.append(gid)
    for i in range(4):
        api("POST", "/v2.0/ports", {"port": {"name": "vm%d" % i, "network_id": net,
            "device_owner": "compute:nova", "binding:host_id": "hv1"}})
    mv = api("POST", "/v2.0/ports", {"port": {"name": "mover", "network_id": net,
        "device_owner": "compute:nova", "binding:host_id": "hv1", "security_groups": [groups[0]],
        "fixed_ips": [{"subnet_id": sub, "ip_address": "10.1.200.0"}]}})["port"]["id"]
    print(json.dumps({"net": net, "sub": sub, "A": groups[0], "B": groups[1], "mover": mv}))
elif act == "change":  # ENV_JSON WHAT ARG ROUND KILL_MS PID: one write, SIGKILL PID KILL_MS later
    env, what, arg, k = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    kill_ms, pid = float(sys.argv[6]), int(sys.argv[7])
    if what == "mkport":  # a VM port named ARG
        api("POST", "/v2.0/ports", {"port": {"name": arg, "network_id": env["net"],
            "device_owner": "compute:nova", "binding:host_id": "hv1"}})
    elif what == "delport":
        api("DELETE", "/v2.0/ports/" + api("GET", "/v2.0/ports?name=" + arg)["ports"][0]["id"])
    else:  # "move": the mover to group ARG (A or B), with a new address
        api("PUT", "/v2.0/ports/" + env["mover"], {"port": {"security_groups": [env[arg]],
            "fixed_ips": [{"subnet_id": env["sub"], "ip_address": "10.1.200.%d" % (k + 1)}]}})
    t0 = time.monotonic()
    if pid > 0:
        time.sleep(kill_ms / 1000)
        os.kill(pid, signal.SIGKILL)
        if len(sys.argv) > 8:  # VNETD_SOCK: vnetd's revision asked right after the kill
            print(vnetd_rev(sys.argv[8]))
    elif len(sys.argv) > 9:  # calibration: VNETD_SOCK STATE_FILE: when vnetd, then the agent had it
        sock, state = sys.argv[8], sys.argv[9]
        saved0 = json.load(open(state))["vnetd_revision"]
        v0, t_vnetd = vnetd_rev(sock), None
        while time.monotonic() - t0 < 20:
            if t_vnetd is None and vnetd_rev(sock) != v0:
                t_vnetd = time.monotonic()
            try:
                if json.load(open(state))["vnetd_revision"] != saved0:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.002)
        else:
            sys.exit("the agent did not record the change in 20 s")
        t_saved = time.monotonic()
        print("%d %d" % ((t_vnetd or t_saved) * 1000 - t0 * 1000, t_saved * 1000 - t0 * 1000))
PY
export URL CA TOKEN
ENVJ=$("$PY" "$CTLPY" setup "$RULES") || fail "setup through the API"

# vnetd's document: rules.get over the control socket.
rules_get() {
	"$PY" -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"rules.get\"}\n")
b = b""
while not b.endswith(b"\n"):
    d = s.recv(1 << 20)
    if not d:
        sys.exit("vnetd closed the connection")
    b += d
a = json.loads(b)
if "result" not in a:
    sys.exit("rules.get: %s" % a)
print(json.dumps(a["result"]))' "$SOCK"
}

# docs_cmp: compare documents. docs_cmp same A B: A and B (each a rules.get result, a host_rules
# answer or a bare document) are the same document but for their revision (arrays of objects
# compared in any order, everything else exactly). docs_cmp which VNETD OLD NEW R_OLD R_NEW
# prints "old" or "new": vnetd's document is exactly OLD at revision R_OLD or NEW at R_NEW.
docs_cmp() {
	"$PY" - "$@" <<'PY'
import json, sys
def doc(path):
    d = json.load(open(path))
    return d.get("document", d) if isinstance(d, dict) and "document" in d else d
def canon(d):
    d = dict(d)
    d.pop("revision", None)
    return {k: sorted((json.dumps(x, sort_keys=True) for x in v)) if isinstance(v, list) else v
            for k, v in d.items()}
def diff(a, b):
    a, b = canon(a), canon(b)
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            x, y = set(a.get(k) or []), set(b.get(k) or [])
            out.append("%s: %d only in vnetd's, %d only in the controller's (%s)" % (
                k, len(x - y), len(y - x), (list(x - y) or list(y - x))[0][:200] if x ^ y else "?"))
    return out
if sys.argv[1] == "same":
    d = diff(doc(sys.argv[2]), doc(sys.argv[3]))
    if d:
        sys.exit("; ".join(d))
    sys.exit(0)
v = json.load(open(sys.argv[2]))
old, new, r_old, r_new = doc(sys.argv[3]), doc(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
if not diff(old, new):
    sys.exit("the change left the document as it was: nothing to check")
d_old, d_new = diff(v["document"], old), diff(v["document"], new)
if v["revision"] == r_old and not d_old and v["document"].get("revision") == r_old:
    print("old")
elif v["revision"] == r_new and not d_new and v["document"].get("revision") == r_new:
    print("new")
else:
    sys.exit("vnetd holds revision %d (document's %s), neither exactly revision %d: %s, nor exactly "
             "revision %d: %s" % (v["revision"], v["document"].get("revision"), r_old,
                                  "; ".join(d_old) or "same", r_new, "; ".join(d_new) or "same"))
PY
}

# converged: vnetd holds the controller's current document, and the agent has the controller's
# current revision. (vnetd's revision may be older than the agent's with the same document: an
# agent's registration at its start is a revision that changes no document, and a document that
# did not change is no transaction.)
converged() {
	rules_get >"$SYS_TMP/conv.v" && ag_host_rules hv1 >"$SYS_TMP/conv.c" || return 1
	docs_cmp same "$SYS_TMP/conv.v" "$SYS_TMP/conv.c" || return 1
	[[ $(ag_status hv1 | json_get 'd["applied_revision"]') == "$(json_get 'd["revision"]' <"$SYS_TMP/conv.c")" ]]
}
state_rev() { json_get 'd["vnetd_revision"]' <"$STATE"; }

wait_for "vnetd has the tenant's five VM ports and groups" 60 converged ||
	fail "vnetd did not get the controller's document: $(tail -3 "$SYS_TMP/agent-hv1.log")"
rules_get >"$SYS_TMP/v0"
SIZE=$(wc -c <"$SYS_TMP/v0")
log "vnetd holds revision $(json_get 'd["revision"]' <"$SYS_TMP/v0") ($SIZE bytes, $(json_get 'sum(len(g["rules"]) for g in d["document"]["security_groups"])' <"$SYS_TMP/v0") rules)"
[[ $(vnetctl_to h1 show ports --json | json_get 'len(d)') == 5 ]] || fail "vnetd does not have the 5 VM ports"
pass "the controller's document (5 VM ports, groups of $RULES rules) is what vnetd holds (rules.get)"

# change ROUND [KILL_MS PID [SOCK STATE]]: round ROUND's API write (sets WHAT), and SIGKILL PID
# KILL_MS after its answer; with PID 0, SOCK and STATE: prints the milliseconds until vnetd (SOCK)
# had the change and until the agent had recorded it (STATE, its applied.json). Rounds 3, 11, 19...
# make a VM port, 7, 15... delete it; the others move the mover to the other group.
MOVER_IN=A
change() {
	local k=$1 kind arg
	if ((k % 8 == 3)); then
		kind=mkport arg=extra-$k WHAT="VM port extra-$k made"
	elif ((k % 8 == 7)); then
		kind=delport arg=extra-$((k - 4)) WHAT="VM port extra-$((k - 4)) deleted"
	else
		kind=move arg=$([[ $MOVER_IN == A ]] && echo B || echo A)
		WHAT="mover from group $MOVER_IN to $arg"
		MOVER_IN=$arg
	fi
	"$PY" "$CTLPY" change "$ENVJ" "$kind" "$arg" "$k" "${2:-0}" "${3:-0}" "${@:4}"
}

# Calibration (no kill): how long from the API write's answer until vnetd had the change, and
# until the agent had recorded it (applied.json).
W=0 V=0
for k in 0 1; do
	change "$k" 0 0 "$SOCK" "$STATE" >"$SYS_TMP/cal" || fail "calibration $k: $WHAT failed"
	read -r t_vnetd t_saved <"$SYS_TMP/cal"
	log "calibration $k ($WHAT): vnetd had it $t_vnetd ms after the write's answer, applied.json $t_saved ms"
	((t_saved > W)) && W=$t_saved
	((t_vnetd > V)) && V=$t_vnetd
	wait_for "converged after calibration $k" 20 converged || fail "no convergence after change $k"
done
# Even rounds: anywhere from the write to 1.5 times the slowest recording. Odd rounds: a staircase
# on the moment the agent hands the change to vnetd, starting a little before vnetd had it in
# calibration: later after a kill that left vnetd the old document, earlier after one that left it
# the new one, the step halved at each turn (timings drift with the machine's load).
W=$((W * 3 / 2))
((W < 10)) && W=10
S=$((V > 5 ? V - 5 : 0)) STEP=$(((V + 3) / 4)) LAST_DIR=0
((STEP < 1)) && STEP=1
log "kill delays: 0 to $W ms after the write's answer, or a staircase from $S ms (step $STEP ms)"
kill_delay() {
	if (($1 % 2 == 0)); then
		echo $((RANDOM % (W + 1)))
	else
		echo $((S + RANDOM % 3))
	fi
}
# staircase ROUND HELD: move the odd rounds' delay after round ROUND whose kill left HELD.
staircase() {
	local dir
	(($1 % 2 == 1)) || return 0
	dir=$([[ $2 == old ]] && echo 1 || echo -1)
	((LAST_DIR != 0 && dir != LAST_DIR && STEP > 1)) && STEP=$((STEP / 2))
	LAST_DIR=$dir
	S=$((S + dir * STEP))
	((S < 0)) && S=0
	return 0
}

# watch_rev LOW: converged, with vnetd at R_NEW or later; notes in $SYS_TMP/back every revision
# below LOW that vnetd was seen at.
watch_rev() {
	local r
	r=$("$VNETCTL" -s "$SOCK" status --json | json_get 'd["revision"]') || return 1
	((r >= $1)) || echo "$r" >>"$SYS_TMP/back"
	((r >= R_NEW)) && converged
}

before=0 inflight=0 after=0 inflight_moves=0 restored_ms_max=0
for ((k = 2; k < ROUNDS + 2; k++)); do
	rules_get >"$SYS_TMP/old.v"
	R_OLD=$(json_get 'd["revision"]' <"$SYS_TMP/old.v")
	ag_host_rules hv1 >"$SYS_TMP/old.c"
	docs_cmp same "$SYS_TMP/old.v" "$SYS_TMP/old.c" || fail "round $k: vnetd is not at the controller's document before the change"
	delay=$(kill_delay "$k")
	# (stderr aside: bash reports the agent's death by SIGKILL there.)
	{ change "$k" "$delay" "${AGENT_PID[hv1]}" "$SOCK" >"$SYS_TMP/killrev"; } 2>"$SYS_TMP/change.err" ||
		fail "round $k: $WHAT failed: $(cat "$SYS_TMP/change.err")"
	sys_reap "${AGENT_PID[hv1]}" 5
	ag_host_rules hv1 >"$SYS_TMP/new.c"
	R_NEW=$(json_get 'd["revision"]' <"$SYS_TMP/new.c")
	((R_NEW > R_OLD)) || fail "round $k: the controller's revision $R_NEW is not after $R_OLD"
	# No agent runs now: what vnetd holds stays. Read twice: a request vnetd had whole before the
	# kill is answered in order, so the second read sees anything the first one preceded.
	rules_get >"$SYS_TMP/kill.v"
	rules_get >"$SYS_TMP/kill2.v"
	[[ $(json_get 'd["generation"]' <"$SYS_TMP/kill.v") == "$(json_get 'd["generation"]' <"$SYS_TMP/kill2.v")" ]] ||
		log "round $k: vnetd finished the dead agent's transaction between two reads"
	for f in kill.v kill2.v; do
		held=$(docs_cmp which "$SYS_TMP/$f" "$SYS_TMP/old.v" "$SYS_TMP/new.c" "$R_OLD" "$R_NEW") ||
			fail "round $k ($WHAT, SIGKILL $delay ms after the write): vnetd holds neither revision whole"
	done
	G_KILL=$(json_get 'd["generation"]' <"$SYS_TMP/kill2.v")
	SAVED=$(state_rev)
	if [[ $held == old ]]; then
		where="before the agent had sent it whole to vnetd"
		before=$((before + 1))
		[[ $SAVED == "$R_OLD" ]] || fail "round $k: applied.json says $SAVED, vnetd holds $R_OLD"
	elif [[ $SAVED == "$R_OLD" ]]; then
		where="after the agent sent it to vnetd, before it recorded vnetd's answer"
		[[ $(cat "$SYS_TMP/killrev") == "$R_OLD" ]] && where+=" (vnetd applied it after the agent died)"
		inflight=$((inflight + 1))
	else
		where="after the agent recorded it"
		after=$((after + 1))
		[[ $SAVED == "$R_NEW" ]] || fail "round $k: applied.json says $SAVED, vnetd holds $R_NEW"
	fi
	staircase "$k" "$held"
	# The agent again: it brings vnetd to the new revision, never back.
	rm -f "$SYS_TMP/back"
	t0=$(date +%s%N)
	ag_agent_start hv1
	wait_for "round $k: the restarted agent converges" 20 watch_rev "$([[ $held == old ]] && echo "$R_OLD" || echo "$R_NEW")" ||
		fail "round $k ($WHAT, SIGKILL $delay ms after the write, $where): vnetd at revision $("$VNETCTL" -s "$SOCK" status --json | json_get 'd["revision"]'), not $R_NEW; agent: $(tail -3 "$SYS_TMP/agent-hv1.log")"
	ms=$((($(date +%s%N) - t0) / 1000000))
	((ms > restored_ms_max)) && restored_ms_max=$ms
	moves=$(($(generation "$SOCK") - G_KILL))
	log "round $k: $WHAT, SIGKILL $delay ms after the write: $where; vnetd held the $held revision; the restarted agent: $moves transaction(s), converged in $ms ms"
	[[ ! -e $SYS_TMP/back ]] ||
		fail "round $k ($where): vnetd went back to revision $(head -1 "$SYS_TMP/back") after the agent's restart (it held $([[ $held == old ]] && echo "$R_OLD" || echo "$R_NEW")): $(grep -E 'vnetd is at|applying|giving' "$SYS_TMP/agent-hv1.log" | tail -2)"
	if [[ $held == old ]]; then
		((moves == 1)) || fail "round $k ($where): vnetd's generation moved $moves times after the restart (expected 1)"
	elif [[ $SAVED == "$R_NEW" ]]; then
		((moves == 0)) || fail "round $k ($where): vnetd had revision $R_NEW already, as the agent had recorded, yet its generation moved $moves times after the restart: $(grep -E 'vnetd is at|applying|giving' "$SYS_TMP/agent-hv1.log" | tail -2)"
	else
		# The agent had not recorded vnetd's answer: it finds vnetd ahead and keeps its document
		# as it is (rules.get), no transaction.
		((moves == 0)) || fail "round $k ($where): vnetd was ahead of what the agent recorded, yet its generation moved $moves times after the restart (expected 0): $(grep -E 'vnetd is at|applying|giving' "$SYS_TMP/agent-hv1.log" | tail -2)"
		inflight_moves=$((inflight_moves + moves))
		log "round $k: agent /status after it: refused $(ag_status hv1 | json_get 'd["refused"]'), last error: $(ag_status hv1 | json_get 'd["last_error"]')"
	fi
done
pass "$ROUNDS SIGKILLs of the agent during changes: vnetd held exactly the old document $before times (the agent killed before it had sent the change whole), exactly the new one $((inflight + after)) times ($inflight killed after sending it but before recording vnetd's answer, $after after recording it); never a mix"
pass "each restarted agent brought vnetd to the newest revision, never back: 1 transaction when vnetd had the old document, 0 when the agent had recorded the new one, $inflight_moves in the $inflight rounds it had not recorded (vnetd ahead: its document kept); slowest convergence $restored_ms_max ms"
sys_done
