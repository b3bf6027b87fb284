#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A real VM on vnetd (issue 8, item 2): QEMU with the Debian kernel and a busybox initramfs
# (tests/lib/qemu_guest.sh), its virtio-net NIC on a vhost-user socket that QEMU serves and vnetd
# connects to (vhost:PATH). The guest negotiates no checksum or segmentation offload (vnetd turns
# them off), pings a container in the same network, sends it 10 MiB over TCP (byte count
# checked), and after vnetd restarts it pings again without being touched (QEMU kept the NIC,
# vnetd reconnected). The container is on a veth pair that vnetd reads with net_af_packet: it
# outlives vnetd (a TAP is the process's and goes with it).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/qemu_guest.sh
source "$(dirname "$0")/../lib/qemu_guest.sh"

sys_init vmq
ensure_hugepages
C=$(sys_name c) CH=$(sys_name ch)
MAC_VM=52:54:00:00:00:20 MAC_C=02:00:00:00:01:0c

netns_add "$C"
iface_add "$CH" veth peer name eth0 netns "$C"
sysctl -qw "net.ipv6.conf.$CH.disable_ipv6=1"
ip link set "$CH" up
in_ns "$C" sh -e -c "
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip link set dev eth0 address $MAC_C
	ip addr add 10.0.0.10/24 dev eth0
	ip link set dev eth0 up
	# Checksums computed by the kernel: af_packet hands over what the stack left unfinished.
	ethtool -K eth0 tx off >/dev/null" || fail "cannot set up container $C"

qg_start vm1 "$SYS_TMP/vm1.sock" $MAC_VM 10.0.0.20/24 || fail "QEMU did not start"
wait_for "QEMU's vhost-user socket" 30 test -S "$SYS_TMP/vm1.sock" || { qg_dump vm1; fail "no socket"; }

vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"vm1\", \"network\": \"blue\", \"kind\": \"vm\", \"device\": \"vhost:$SYS_TMP/vm1.sock\",
     \"mac\": \"$MAC_VM\", \"ips\": [\"10.0.0.20\"]},
    {\"id\": \"c\", \"network\": \"blue\", \"kind\": \"container\", \"device\": \"net_af_packet0,iface=$CH\",
     \"mac\": \"$MAC_C\", \"ips\": [\"10.0.0.10\"]}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# TCG boots the guest in 5-20 s on a loaded 2-core machine.
qg_wait_up vm1 120 || { qg_dump vm1; fail "the guest did not boot"; }
qg_wait_carrier vm1 30 || { qg_dump vm1; fail "the guest's NIC has no carrier"; }
features=$(qg_features vm1) || fail "cannot read the guest's virtio features"
log "guest negotiated: $features"
for f in CSUM GUEST_CSUM HOST_TSO4 HOST_TSO6 GUEST_TSO4 GUEST_TSO6 HOST_UFO GUEST_UFO; do
	[[ " $features " != *" $f "* ]] || fail "the guest negotiated $f: $features"
done
[[ " $features " == *" MRG_RXBUF "* ]] || fail "the guest did not negotiate mergeable buffers: $features"
pass "the guest negotiated mergeable buffers and no checksum or segmentation offload"

guest_pings() { qg_run vm1 15 "ping -c 1 -W 2 $1" >/dev/null; }
wait_for "the guest pings the container" 30 guest_pings 10.0.0.10 ||
	fail "guest -> container ping: $(qg_run vm1 15 "ping -c 1 -W 2 10.0.0.10; ip neigh")"
qg_run vm1 20 "ping -c 3 -W 2 10.0.0.10" >/dev/null || fail "3 more pings guest -> container"
ping_ok "$C" 10.0.0.20 3 || fail "container -> guest ping"
pass "guest <-> container ping through vnetd (vhost-user)"

# 10 MiB guest -> container: the container counts the bytes until the guest closes.
spawn "$SYS_TMP/recv.log" ip netns exec "$C" "$PY" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.10", 5001)); s.listen(1)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    n += len(b)
open(sys.argv[1], "w").write(str(n))' "$SYS_TMP/received"
wait_for "receiver listening" 10 sh -c "ip netns exec $C ss -Hltn | grep -q 10.0.0.10:5001" ||
	fail "the receiver did not start: $(cat "$SYS_TMP/recv.log")"
qg_run vm1 120 "dd if=/dev/urandom bs=1048576 count=10 2>/dev/null | nc 10.0.0.10 5001" ||
	fail "TCP send from the guest failed"
wait_for "10 MiB received" 30 sh -c "[ \"\$(cat '$SYS_TMP/received' 2>/dev/null)\" = 10485760 ]" ||
	fail "the container received $(cat "$SYS_TMP/received" 2>/dev/null || echo nothing) bytes, not 10485760"
pass "10 MiB by TCP from the guest to the container"

vnetd_stop v || fail "vnetd did not stop cleanly"
vnetd_start v "$SYS_TMP/vnetd.json"
qg_wait_carrier vm1 30 || fail "the guest's NIC did not come back after vnetd restarted"
wait_for "the guest pings after the restart" 30 guest_pings 10.0.0.10 ||
	fail "no ping after vnetd restarted"
pass "vnetd restarted: the guest's link came back by itself and it pings again"
sys_done
