#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A VM port made through the API and carried by a QEMU guest (issue 12; docs/vms.md). A controller
# (HTTPS, SQLite, --vhost-dir), two hosts (vnetd on the VXLAN fabric of tests/lib/overlay.sh and a
# vnet-agent each). A port with device_owner compute:nova bound to hv1: the controller compiles
# it as vhost:DIR/vhuXXXXXXXXXXX.sock,server, so hv1's vnetd makes the vhost-user socket and QEMU
# connects to it as the client, reconnect=1 (tests/lib/qemu_guest.sh, QG_VHOST_MODE=client).
# The guest boots with the port's MAC and address from the API, and its network's MTU given by
# QEMU (host_mtu: the guest's virtio-net takes it); checked: what the API says of the binding
# (binding:vif_type, binding:vif_details), the guest pinging a container on hv2 (made through the
# API as agent_two_hosts_test.sh does) both ways, full-MTU packets too, the port ACTIVE; then vnetd on hv1 killed with SIGKILL: the guest's link goes down, and once vnetd is
# started again the agent gives it the document back, vnetd makes the socket again, QEMU (the same
# process, untouched) reconnects by itself and the guest's link comes back: the time from vnetd's
# start command until the container's 20/s ping stream to the guest is answered again is printed.
# Last, the port deleted through the API: vnetd removes the socket and the guest loses its link.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"
# shellcheck source=SCRIPTDIR/../lib/qemu_guest.sh
source "$(dirname "$0")/../lib/qemu_guest.sh"

sys_init agvm
ensure_hugepages
# shellcheck source=SCRIPTDIR/../lib/agents.sh
source "$(dirname "$0")/../lib/agents.sh"
VHOST=$SYS_TMP/vhost # what /run/vnet/vhost is on a real host (the controller's default)
mkdir -p "$VHOST"
AG_CTL_ARGS=(--vhost-dir "$VHOST")
ag_controller_start
ag_hosts_start

# The tenant's network, the VM's port on hv1 (as Nova makes it: `openstack port create --network
# n --device-owner compute:nova --host hv1 vm1`, then binds it) and a container's on hv2.
api POST /v2.0/networks '{"network": {"name": "n"}}' >"$SYS_TMP/net.json" || fail "network"
NET=$(json_get "d['network']['id']" <"$SYS_TMP/net.json")
MTU=$(json_get "d['network']['mtu']" <"$SYS_TMP/net.json")
api POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}" >/dev/null || fail "subnet"
PVM=$(ag_port vm1 hv1 "\"device_owner\": \"compute:nova\", \"device_id\": \"$(cat /proc/sys/kernel/random/uuid)\"")
MAC=$(json_get "d['port']['mac_address']" <"$SYS_TMP/vm1.json")
IPVM=$(cat "$SYS_TMP/vm1.ip")
P2=$(ag_port c2 hv2)
IP2=$(cat "$SYS_TMP/c2.ip")

# The socket, as the controller compiles it for hv1 (and as vnetd shows it).
in_doc() { ag_host_rules hv1 | grep -q "$PVM"; }
wait_for "hv1's document has the VM's port" 10 in_doc ||
	fail "the VM's port is not in hv1's document"
DEV=$(ag_host_rules hv1 | json_get "[p['device'] for p in d['document']['ports'] if p['id'] == '$PVM'][0]")
KIND=$(ag_host_rules hv1 | json_get "[p['kind'] for p in d['document']['ports'] if p['id'] == '$PVM'][0]")
SOCK=${DEV#vhost:}
SOCK=${SOCK%,server}
[[ $DEV == "vhost:$VHOST/vhu${PVM:0:11}.sock,server" && $KIND == vm ]] ||
	fail "hv1's document gives the VM's port device '$DEV' (kind $KIND), not vhost:$VHOST/vhu${PVM:0:11}.sock,server"
wait_for "vnetd on hv1 has the VM's port and its socket" 20 test -S "$SOCK" ||
	fail "no vhost-user socket $SOCK: $(vnetctl_to h1 show ports; tail -3 "$SYS_TMP/agent-hv1.log")"
pass "port $PVM (compute:nova, hv1) made through the API: hv1's vnetd serves its vhost-user socket $SOCK ($DEV)"

# What the API tells Nova about the binding. Neutron's vhost-user mechanism drivers say
# binding:vif_type "vhostuser" with binding:vif_details {"vhostuser_socket": PATH,
# "vhostuser_mode": QEMU's side}: "client" here, since vnetd is the server (os-vif/Nova default
# to "server" without it, and fail without a socket path).
VIFT=$(json_get "d['port']['binding:vif_type']" <"$SYS_TMP/vm1.json")
VIFD=$(json_get "json.dumps(d['port'].get('binding:vif_details'))" <"$SYS_TMP/vm1.json")
[[ $VIFT == vhostuser ]] || fail "binding:vif_type is '$VIFT', not vhostuser"
if [[ $VIFD == "{}" || $VIFD == null ]]; then
	log "NOTE: binding:vif_details is $VIFD: Nova needs vhostuser_socket ($SOCK) and vhostuser_mode (client) there"
else
	[[ $(json_get "d['port']['binding:vif_details'].get('vhostuser_socket')" <"$SYS_TMP/vm1.json") == "$SOCK" ]] ||
		fail "binding:vif_details $VIFD: vhostuser_socket is not $SOCK"
	[[ $(json_get "d['port']['binding:vif_details'].get('vhostuser_mode')" <"$SYS_TMP/vm1.json") == client ]] ||
		fail "binding:vif_details $VIFD: vhostuser_mode is not client (QEMU's side; vnetd is the server)"
fi
pass "the API binds the port as binding:vif_type vhostuser, binding:vif_details $VIFD"

# The container on hv2.
C2=$(sys_name c2)
ag_container "$C2" "$P2" hv2
wait_for "c2 addressed" 20 sh -c "ip -n $C2 -o -4 addr show dev eth0 2>/dev/null | grep -q '$IP2/'" || fail "c2 has no address"

# The guest: QEMU the vhost-user client of vnetd's socket, with the port's MAC and address, and
# the network's MTU as QEMU's host_mtu (VIRTIO_NET_F_MTU; docs/vms.md).
QG_VHOST_MODE=client QG_NIC_OPTS="host_mtu=$MTU" qg_start vm1 "$SOCK" "$MAC" "$IPVM/24" - ||
	fail "QEMU did not start"
QPID=$(qg_pid vm1)
qg_wait_up vm1 120 || fail "the guest did not boot"
qg_wait_carrier vm1 30 || { qg_dump vm1; fail "the guest's NIC has no carrier"; }
GMTU=$(qg_run vm1 5 cat /sys/class/net/eth0/mtu)
[[ $GMTU == "$MTU" ]] || fail "the guest's eth0 has mtu $GMTU, not the network's $MTU (QEMU's host_mtu)"
vm_link_up() { [[ $(vnetctl_to h1 show ports --json | json_get "[p['link_up'] for p in d if p['name'] == '$PVM'][0]") == True ]]; }
vm_link_up || fail "vnetd says the VM's port is down: $(vnetctl_to h1 show ports)"
guest_pings() { qg_run vm1 15 "ping -c 1 -W 2 $1" >/dev/null; }
wait_for "the guest pings c2 on hv2" 30 guest_pings "$IP2" ||
	fail "guest -> c2: $(qg_run vm1 15 "ping -c 1 -W 2 $IP2; ip addr; ip neigh")"
ping_ok "$C2" "$IPVM" 3 || fail "c2 -> guest ping"
ip netns exec "$C2" ping -n -q -M "do" -s $((MTU - 28)) -c 2 -W 2 "$IPVM" >/dev/null ||
	fail "c2 -> guest: no answer to $MTU-byte packets (DF)"
port_status() { api GET "/v2.0/ports/$1" | json_get "d['port']['status']"; }
port_active() { [[ $(port_status "$1") == ACTIVE ]]; }
wait_for "the VM's port ACTIVE" 10 port_active "$PVM" ||
	fail "the VM's port is $(port_status "$PVM"), not ACTIVE"
pass "the guest ($(qg_accel), up in $(qg_boot_ms vm1) ms, MAC $MAC, $IPVM, mtu $MTU) pings c2 on hv2 and c2 pings it over VXLAN, $MTU-byte packets too; the port is ACTIVE"

# vnetd on hv1 killed: QEMU sees its link go, keeps retrying; vnetd started again, the agent gives
# it its document, vnetd serves the socket again, QEMU reconnects and the guest's link comes back.
REV=$(vnetctl_to h1 status --json | json_get 'd["revision"]')
RESTORES=$(ag_status hv1 | json_get 'd["vnetd_restores"]')
spawn "$SYS_TMP/stream.log" ip netns exec "$C2" ping -n -D -i 0.05 -W 1 -w 90 "$IPVM"
STREAM=$SYS_LAST_PID
wait_for "c2's ping stream answered" 10 grep -q 'bytes from' "$SYS_TMP/stream.log" || fail "c2's ping stream: $(cat "$SYS_TMP/stream.log")"
TK=$(date +%s%N)
kill -9 "${SYS_VNETD_PID[h1]}"
wait "${SYS_VNETD_PID[h1]}" 2>/dev/null || true
unset "SYS_VNETD_PID[h1]"
carrier() { [[ $(qg_run vm1 5 cat /sys/class/net/eth0/carrier) == "$1" ]]; }
wait_for "the guest's link goes down" 15 carrier 0 || fail "the guest's eth0 kept its carrier with vnetd dead"
T0=$(date +%s%N)
vnetd_start h1 "$SYS_TMP/h1.json"
TS=$(date +%s%N)
wait_for "vnetd serves the VM's socket again" 10 sh -c "'$VNETCTL' -s '$(vnetd_sock h1)' show ports | grep -q '$PVM'" ||
	fail "the agent did not give vnetd its document back: $(tail -3 "$SYS_TMP/agent-hv1.log")"
TD=$(date +%s%N)
wait_for "QEMU reconnects to vnetd" 15 vm_link_up || fail "QEMU did not reconnect: $(tail -5 "$(qg_dir vm1)/qemu.log")"
TL=$(date +%s%N)
first_reply_after() { # NS_EPOCH: the first answered ping of the stream stamped after it, in ns
	"$PY" - "$1" "$SYS_TMP/stream.log" <<'PY'
import re, sys
t0 = int(sys.argv[1]) / 1e9
for line in open(sys.argv[2]):
    m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
    if m and float(m.group(1)) > t0:
        print(int(float(m.group(1)) * 1e9))
        sys.exit(0)
sys.exit(1)
PY
}
wait_for "c2's ping stream answered again" 30 first_reply_after "$T0" ||
	fail "the guest did not answer again after vnetd's restart: $(qg_run vm1 5 cat /sys/class/net/eth0/carrier); $(tail -5 "$(qg_dir vm1)/qemu.log")"
T1=$(first_reply_after "$T0")
kill -INT "$STREAM" 2>/dev/null || true
qg_wait_carrier vm1 10 || fail "the guest's link is not up again"
wait_for "the guest pings c2 again" 10 guest_pings "$IP2" || fail "guest -> c2 after vnetd's restart"
{ [[ $(qg_pid vm1) == "$QPID" ]] && qg_alive vm1; } || fail "QEMU is not the same process"
((RESTORES < $(ag_status hv1 | json_get 'd["vnetd_restores"]'))) || fail "the agent did not give vnetd its document back"
[[ $(vnetctl_to h1 status --json | json_get 'd["revision"]') == "$REV" ]] || fail "vnetd is not at revision $REV again"
LAST=$("$PY" - "$TK" "$SYS_TMP/stream.log" <<'PY'
import re, sys
t = int(sys.argv[1]) / 1e9
print(int(max([float(m.group(1)) for m in (re.match(r"\[(\d+\.\d+)\] \d+ bytes", l) for l in open(sys.argv[2])) if m and float(m.group(1)) < t] or [t]) * 1e9))
PY
)
pass "vnetd on hv1 SIGKILLed and started again: vnetd answered $(((TS - T0) / 1000000)) ms after the start command, had its document back from the agent after $(((TD - T0) / 1000000)) ms (revision $REV), QEMU (pid $QPID, untouched) was seen reconnected (polled) after $(((TL - T0) / 1000000)) ms (it retries every second), and the guest answered c2 again after $(((T1 - T0) / 1000000)) ms ($(((T1 - LAST) / 1000000)) ms without answers in all, the kill included); the guest pings c2 again"

# The port deleted through the API: vnetd lets its socket go and the guest loses its link.
api DELETE "/v2.0/ports/$PVM" >/dev/null || fail "port delete"
wait_for "vnetd removes the VM's socket" 20 sh -c "! test -e '$SOCK'" || fail "the socket $SOCK outlived its port"
wait_for "the guest's link goes down" 15 carrier 0 || fail "the guest's eth0 kept its carrier after its port was deleted"
pass "the VM's port deleted through the API: hv1's vnetd removed $SOCK, the guest's link is down"
sys_done
