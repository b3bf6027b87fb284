#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole path from the API to packets (issue 12): a vnet-controller (HTTPS, SQLite), two hosts
# (a vnetd each on the VXLAN fabric of tests/lib/overlay.sh, and a vnet-agent each with its host's
# certificate). Ports are created through the API; the test makes the containers' namespaces and
# tells each agent which namespace a port's container has (what the CNI plugin will do); vnetd
# makes the veth in it and the agent configures it. Checked: containers on the two hosts ping
# each other and their ports become ACTIVE; the controller killed: a 100/s ping stream loses
# nothing and the agents say they are stale; a change after it returns arrives; an agent
# restarted during a ping stream: nothing lost and vnetd untouched; vnetd killed (SIGKILL) and
# started again: the agent gives it the document back (the time until traffic flows is printed);
# a podman container through the CNI plugin (vnet-cni) reaches a container on the other host, and
# its port goes with it; a port deleted through the API: its traffic stops.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init agt2
ensure_hugepages
# shellcheck source=SCRIPTDIR/../lib/agents.sh
source "$(dirname "$0")/../lib/agents.sh"
ag_controller_start # the controller (HTTPS, SQLite) with its CA and the hosts' certificates
ag_hosts_start      # hv1 and hv2 on the fabric: vnetd h1 and h2, an agent each

# The tenant's network and two containers' ports, through the API.
NET=$(api POST /v2.0/networks '{"network": {"name": "n"}}' | json_get "d['network']['id']") || fail "network"
api POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}" >/dev/null || fail "subnet"
port() { ag_port "$1" "$2"; }           # name host: the port's id (address in $SYS_TMP/NAME.ip)
container() { ag_container "$1" "$2" "$3"; } # namespace port-id host
C1=$(sys_name c1) C2=$(sys_name c2) C3=$(sys_name c3)
P1=$(port c1 hv1) P2=$(port c2 hv2)
container "$C1" "$P1" hv1
container "$C2" "$P2" hv2
IP1=$(cat "$SYS_TMP/c1.ip") IP2=$(cat "$SYS_TMP/c2.ip")
wait_for "c1 pings c2 across hosts" 20 ping_ok "$C1" "$IP2" || {
	ip -n "$C1" addr; "$VNETCTL" -s "$(vnetd_sock h1)" show ports; cat "$SYS_TMP"/agent-*.log
	fail "c1 cannot ping c2"
}
wait_for "both ports ACTIVE" 10 sh -c "[ \"\$(curl -sf --cacert $CA/ca.pem -H 'X-Auth-Token: $TOKEN' $URL/v2.0/ports/$P2 | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"port\"][\"status\"])')\" = ACTIVE ]" ||
	fail "c2's port is not ACTIVE"
[[ $(ip -n "$C1" -o -4 addr show dev eth0) == *"$IP1/24"* ]] || fail "c1's address: $(ip -n "$C1" addr)"
pass "ports made through the API: the agents (mutual TLS) program their vnetd, vnetd makes the containers' veths, the agents address them; c1 (hv1) pings c2 (hv2); the ports are ACTIVE"

# A trace across hosts (issue 13, item 2): from c1's port on hv1 it leaves in VXLAN to hv2 (the
# rules name the VTEP's host), and --follow continues it on hv2 to c2's port.
"$VNETCTL" -s "$(vnetd_sock h1)" trace --port "$P1" --follow --peer "hv2=$(vnetd_sock h2)" to "$IP2" icmp echo >"$SYS_TMP/follow.txt" ||
	fail "trace --follow: $(cat "$SYS_TMP/follow.txt")"
grep -q "leaves in VXLAN to VTEP $VTEP2 (host hv2)" "$SYS_TMP/follow.txt" && grep -q "^on hv2 " "$SYS_TMP/follow.txt" &&
	[[ $(tail -1 "$SYS_TMP/follow.txt") == "verdict: tx to $P2" ]] || fail "trace --follow: $(cat "$SYS_TMP/follow.txt")"
"$VNETCTL" -s "$(vnetd_sock h1)" trace --json --port "$P1" --follow --peer "hv2=$(vnetd_sock h2)" to "$IP2" icmp echo |
	"$PY" -c '
import json, sys
hops = json.load(sys.stdin)
assert [h["host"] for h in hops] == ["(here)", "hv2"], hops
assert hops[0]["trace"]["verdict"] == {"action": "tx", "ports": ["underlay"]}, hops[0]["trace"]["verdict"]
nodes = [r["node"] for r in hops[1]["trace"]["records"]]
assert "vxlan_decap" in nodes and nodes[-1] == "port_tx", nodes
assert hops[1]["trace"]["verdict"] == {"action": "tx", "ports": [sys.argv[1]]}, hops[1]["trace"]["verdict"]' "$P2" ||
	fail "trace --follow --json"
sed 's/^/  /' "$SYS_TMP/follow.txt"
pass "trace --follow from c1's port: leaves hv1 in VXLAN to VTEP $VTEP2 (host hv2), decapsulated on hv2, tx to c2's port"

# The controller killed: traffic goes on, the agents say they are stale.
stream() { ag_stream "$@"; } # NS ADDR SECONDS: a 100/s ping stream; prints "sent received"
kill -9 "$CTL_PID"
wait_for "the agents see the controller gone" 30 sh -c "curl -sf http://127.0.0.1:${APORT[hv1]}/status | grep -q '\"stale\":true'" ||
	fail "agent hv1 does not say it is stale: $(ag_status hv1)"
read -r sent got < <(stream "$C1" "$IP2" 3)
((sent == 300 && sent == got)) || fail "without the controller: $got of $sent pings answered"
wait_for "vnetctl status says the rules are stale" 10 sh -c "'$VNETCTL' -s '$(vnetd_sock h1)' status | grep -q STALE" ||
	fail "vnetctl status: $("$VNETCTL" -s "$(vnetd_sock h1)" status)"
"$VNETCTL" -s "$(vnetd_sock h1)" status | sed -n '/^rules/,$p' | sed 's/^/  /'
pass "controller killed: $got of $sent pings (100/s) answered; the agents report stale (/status; vnetctl status: STALE, controller UNREACHABLE)"
ag_controller_serve
P3=$(port c3 hv1)
container "$C3" "$P3" hv1
wait_for "c3 (made after the controller came back) pings c2" 20 ping_ok "$C3" "$IP2" || fail "c3 cannot ping c2"
wait_for "agent hv1 not stale" 10 sh -c "curl -sf http://127.0.0.1:${APORT[hv1]}/status | grep -q '\"stale\":false'" || fail "hv1 stays stale"
wait_for "vnetctl status says the rules are current" 10 sh -c "'$VNETCTL' -s '$(vnetd_sock h1)' status | grep -q '^rules *current'" ||
	fail "vnetctl status: $("$VNETCTL" -s "$(vnetd_sock h1)" status)"
pass "the controller back: changes resume (c3 on hv1 reaches c2), the agents are no longer stale"

# An agent restarted while traffic flows: nothing lost, vnetd not touched.
GEN=$("$VNETCTL" -s "$(vnetd_sock h1)" status --json | json_get "d['generation']")
stream "$C1" "$IP2" 3 >"$SYS_TMP/stream" &
SPID=$!
kill "${AGENT_PID[hv1]}"
sys_reap "${AGENT_PID[hv1]}" 5
ag_agent_start hv1
wait "$SPID"
read -r sent got <"$SYS_TMP/stream"
((sent == 300 && sent == got)) || fail "agent restart: $got of $sent pings answered"
wait_for "the restarted agent follows the controller" 10 sh -c "curl -sf http://127.0.0.1:${APORT[hv1]}/status | grep -q '\"stale\":false'" ||
	fail "the restarted agent: $(ag_status hv1)"
GEN2=$("$VNETCTL" -s "$(vnetd_sock h1)" status --json | json_get "d['generation']")
[[ $GEN == "$GEN2" ]] || fail "the restarted agent changed vnetd (generation $GEN, then $GEN2)"
pass "agent hv1 restarted during a ping stream: $got of $sent answered; vnetd untouched (generation $GEN)"

# vnetd killed: the agent gives the document back as soon as vnetd answers.
kill -9 "${SYS_VNETD_PID[h1]}"
wait "${SYS_VNETD_PID[h1]}" 2>/dev/null || true
unset "SYS_VNETD_PID[h1]"
T0=$(date +%s%N)
vnetd_start h1 "$SYS_TMP/h1.json"
wait_for "traffic flows again after vnetd's restart" 30 ping_ok "$C1" "$IP2" || fail "c1 cannot reach c2 after vnetd's restart: $(tail -5 "$SYS_TMP/agent-hv1.log")"
T1=$(date +%s%N)
RESTORES=$(ag_status hv1 | json_get "d['vnetd_restores']")
((RESTORES >= 1)) || fail "the agent did not restore vnetd"
pass "vnetd killed (SIGKILL) and started: the agent gave it revision $(ag_status hv1 | json_get "d['applied_revision']") back; traffic flowed $(((T1 - T0) / 1000000)) ms after the start command"

# A podman container on hv2 through the CNI plugin (podman's CNI backend, vnet-cni asking hv2's
# agent): it gets a port in the API with its id as device_id, an address, and reaches c1 on hv1;
# removing the container removes its port.
command -v podman >/dev/null || fail "podman is not installed (scripts/setup.sh installs it)"
CNI_BIN=$SYS_TMP/cni-bin CNI_NET=$SYS_TMP/cni-net ROOTFS=$SYS_TMP/rootfs
mkdir -p "$CNI_BIN" "$CNI_NET" "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev" "$ROOTFS/etc" "$ROOTFS/tmp"
ln -s "$(dirname "$AGENT")/vnet-cni" "$CNI_BIN/vnet-cni"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for c in sh ip ping sleep cat; do ln -s busybox "$ROOTFS/bin/$c"; done
PODNET=$(sys_name pn)
cat >"$CNI_NET/$PODNET.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "$PODNET",
 "plugins": [{"type": "vnet-cni", "agent": "http://127.0.0.1:${APORT[hv2]}", "network": "n",
              "auth": {"user": "alice", "password": "pw-alice", "project": "blue"}}]}
EOF
cat >"$SYS_TMP/containers.conf" <<EOF
[network]
network_backend = "cni"
cni_plugin_dirs = ["$CNI_BIN"]
network_config_dir = "$CNI_NET"
EOF
pod() { CONTAINERS_CONF=$SYS_TMP/containers.conf podman --root "$SYS_TMP/podman-root" --runroot "$SYS_TMP/podman-run" --runtime runc "$@"; }
pod_cleanup() { pod rm -f -t 0 -a >/dev/null 2>&1 || true; }
SYS_CLEANUP+=(pod_cleanup)
POD=$(pod run -d --network "$PODNET" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs "$ROOTFS" /bin/sleep 600 2>"$SYS_TMP/podman.err" | tail -1) && [[ -n $POD ]] ||
	fail "podman run: $(cat "$SYS_TMP/podman.err" | tr "\n" " "); agent: $(tail -3 "$SYS_TMP/agent-hv2.log")"
api GET "/v2.0/ports?device_id=$POD" >"$SYS_TMP/podport.json" || fail "ports of the container"
api GET "/v2.0/ports" >"$SYS_TMP/allports.json"
PODIP=$(json_get "d['ports'][0]['fixed_ips'][0]['ip_address']" <"$SYS_TMP/podport.json") ||
	fail "no port with device_id $POD: $(json_get "[p['device_id'] for p in d['ports']]" <"$SYS_TMP/allports.json")"
[[ $(json_get "d['ports'][0]['binding:host_id']" <"$SYS_TMP/podport.json") == hv2 ]] || fail "the container's port is not on hv2"
wait_for "c1 pings the podman container" 20 ping_ok "$C1" "$PODIP" || fail "c1 cannot ping the podman container at $PODIP"
pod exec "$POD" ping -c 1 -W 2 "$IP1" >/dev/null || fail "the podman container cannot ping c1"
pass "podman (CNI backend) with vnet-cni: the container's port made through hv2's agent (device_id $POD), address $PODIP, pings c1 on hv1 both ways"
pod rm -f -t 0 "$POD" >/dev/null || fail "podman rm"
[[ $(api GET "/v2.0/ports?device_id=$POD" | json_get "len(d['ports'])") == 0 ]] || fail "the container's port outlived it"
pass "podman rm: CNI DEL deleted the container's port in the controller"

# A port deleted through the API: its traffic stops.
api DELETE "/v2.0/ports/$P2" >/dev/null || fail "port delete"
wait_for "c2's traffic stops" 20 ping_fails "$C1" "$IP2" || fail "c1 still reaches the deleted c2"
ping_ok "$C1" "$(cat "$SYS_TMP/c3.ip")" 2 || fail "c1 cannot reach c3 any more"
pass "c2's port deleted through the API: c1 no longer reaches it (c3 still does)"
sys_done
