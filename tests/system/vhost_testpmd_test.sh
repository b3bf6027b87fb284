#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# VM vNICs through librte_vhost (dataplane/port_vhost.c), with dpdk-testpmd's virtio_user as a
# fast stand-in for a VM: two "VMs" are vhost-user servers (as QEMU is with server=on), vnetd the
# client. VM a sends (txonly) to VM b (rxonly) through vnetd with port security on: b receives;
# vnetd restarts and both links come back without restarting the VMs (client mode reconnects),
# and traffic flows again; when VM b goes away its link is down and what vnetd had for it is
# dropped as link_down, not tx_full.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init vht
TESTPMD=$(command -v dpdk-testpmd) || fail "dpdk-testpmd missing (package dpdk)"
MAC_A=02:00:00:00:0a:01 MAC_B=02:00:00:00:0b:01
# With two vnetd workers (SYS_WORKERS=2) the VMs have two queue pairs: each worker drains one of
# the guest's TX rings and fills one of its RX rings.
QUEUES=${SYS_WORKERS:-1}

# vm NAME MODE [ARGS...]: a testpmd "VM" serving $SYS_TMP/NAME.sock (--no-huge: virtio_user
# shares its memory by file descriptor; no hugepage files to clean up).
vm() {
	local name=$1 mode=$2 mac
	shift 2
	mac=$([[ $name == a ]] && echo $MAC_A || echo $MAC_B)
	rm -f "$SYS_TMP/$name.sock"
	spawn "$SYS_TMP/vm-$name.log" "$TESTPMD" --no-pci --no-huge -m 256 --file-prefix "$SYS_TAG-vm$name" \
		--lcores "0@0,1@0" --log-level "pmd.net.virtio.*:notice" \
		--vdev "net_virtio_user0,path=$SYS_TMP/$name.sock,server=1,queues=$QUEUES,mac=$mac" -- \
		--forward-mode="$mode" --stats-period=1 --nb-cores=1 --total-num-mbufs=8192 \
		--rxq="$QUEUES" --txq="$QUEUES" "$@"
	eval "VM_${name^^}_PID=$SYS_LAST_PID"
}
vm a txonly --eth-peer=0,$MAC_B --txpkts=64
vm b rxonly

cat >"$SYS_TMP/vnetd.json" <<JSON
{"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", "$SYS_TAG-v", "--in-memory", "-m", "128",
              "--log-level", "lib.eal:notice", "--log-level", "lib.vhost.config:warning"],
 "socket": "$SYS_TMP/v.sock", "idle_sleep_max_us": 1000,
 "rules": {"revision": 1,
   "networks": [{"id": "blue", "tenant": "blue", "vni": 5001}],
   "ports": [
     {"id": "vm-a", "network": "blue", "kind": "vm", "device": "vhost:$SYS_TMP/a.sock",
      "mac": "$MAC_A", "ips": ["198.18.0.1"]},
     {"id": "vm-b", "network": "blue", "kind": "vm", "device": "vhost:$SYS_TMP/b.sock",
      "mac": "$MAC_B", "ips": ["198.18.0.2"]}]}}
JSON
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# port_is NAME FIELD VALUE: show ports says FIELD of port NAME is VALUE (python literal).
port_is() {
	"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
p = {p["name"]: p for p in json.load(sys.stdin)}[sys.argv[1]]
sys.exit(0 if repr(p[sys.argv[2]]) == sys.argv[3] else 1)' "$@"
}
links_up() { port_is vm-a link_up True && port_is vm-b link_up True; }
# link_down_drops N: vnetd counted at least N link_down drops.
link_down_drops() {
	"$VNETCTL" -s "$SOCK" drops --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if sum(r["count"] for r in d["reasons"] if r["reason"] == "link_down") >= int(sys.argv[1]) else 1)' "$1"
}
# vm_b_received N: testpmd b's latest statistics show at least N packets received.
vm_b_received() {
	awk -v n="$1" '/RX-packets:/ {last = $2} END {exit !(last + 0 >= n)}' "$SYS_TMP/vm-b.log"
}

wait_for "links up" 20 links_up ||
	fail "vhost links did not come up: $("$VNETCTL" -s "$SOCK" show ports)"
wait_for "vm-b sent 10,000 frames" 20 counter_at_least 10000 port_counter "$SOCK" vm-b tx_pkts ||
	fail "no traffic a -> b: $("$VNETCTL" -s "$SOCK" show ports)"
wait_for "VM b received" 20 vm_b_received 10000 || fail "VM b did not receive: $(tail -20 "$SYS_TMP/vm-b.log")"
"$VNETCTL" -s "$SOCK" show ports
port_is vm-a backend "'vhost'" || fail "vm-a is not on the vhost backend"
if ((QUEUES == 2)); then
	grep -q "2 queue pairs" "${SYS_VNETD_LOG[v]}" || fail "the VMs did not connect with 2 queue pairs"
	# Each of vm-a's RX queues on its own worker, and each drained one of the guest's TX rings.
	"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
q = {p["name"]: p["rx_queues"] for p in json.load(sys.stdin)}["vm-a"]
print(q)
sys.exit(0 if sorted(x["worker"] for x in q) == [0, 1] and all(x["rx_pkts"] > 0 for x in q) else 1)' ||
		fail "vm-a's two RX queues are not both polled by the two workers"
fi
pass "VM a -> vnetd -> VM b over vhost-user, port security on"

vnetd_stop v || fail "vnetd did not stop cleanly"
vnetd_start v "$SYS_TMP/vnetd.json"
wait_for "links up after the restart" 20 links_up ||
	fail "vhost links did not come back after vnetd restarted"
wait_for "traffic after the restart" 20 counter_at_least 10000 port_counter "$SOCK" vm-b tx_pkts ||
	fail "no traffic after vnetd restarted"
pass "vnetd restarted: the VMs' links came back (vnetd is the vhost-user client) and traffic flows"

# A server-mode socket path that names an ordinary file: refused, and the file is left alone
# (vnetd removes only stale sockets there).
echo precious >"$SYS_TMP/precious"
out=$("$VNETCTL" -s "$SOCK" apply - 2>&1 <<JSON) && fail "a vhost server on a regular file was accepted"
{"ops": [{"op": "add", "kind": "port", "object": {"id": "bad", "network": "blue",
  "device": "vhost:$SYS_TMP/precious,server", "mac": "02:00:00:00:0c:01"}}]}
JSON
[[ $(cat "$SYS_TMP/precious") == precious ]] || fail "vnetd removed or changed a regular file"
[[ $out == *"exists and is not a socket"* ]] || fail "refused with: $out"
pass "vhost:FILE,server on a regular file is refused and the file kept"

kill "$VM_B_PID"
wait_for "vm-b link down" 20 port_is vm-b link_up False || fail "vm-b still up after its VM went away"
wait_for "link_down drops" 20 link_down_drops 100 ||
	fail "no link_down drops: $("$VNETCTL" -s "$SOCK" drops)"
"$VNETCTL" -s "$SOCK" drops
pass "frames for a VM that went away are dropped as link_down"
sys_done
