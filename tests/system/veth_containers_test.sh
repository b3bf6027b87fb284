#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Container vNICs on veth pairs served by vnetd through packet-mmap rings (dataplane/port_veth.c),
# no ethdev each. vnetd creates each pair with `veth:HOST,netns=NS`: the container's end is born in
# its namespace with the port's MAC and the network's MTU (9000 here), offloads off on both ends.
# Containers ping each other (IPv4, and 9,000-byte packets unfragmented), a 4 MiB TCP transfer
# crosses (checksum compared), link state is up; vnetd restarts and adopts the pairs (the
# containers keep their interfaces and addresses) and they ping again; removing a port removes its
# pair; a container whose namespace is deleted leaves its port link down.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init vth
ensure_hugepages
N=4
ports="" sep=""
for i in $(seq 1 $N); do
	netns_add "$(sys_name c$i)"
	ports+="$sep{\"id\": \"c$i\", \"network\": \"big\", \"kind\": \"container\",
	  \"device\": \"veth:$(sys_name h$i),netns=$(sys_name c$i)\",
	  \"mac\": \"02:00:00:00:01:0$i\", \"ips\": [\"10.0.0.1$i\"]}"
	sep=,
	SYS_IFACES+=("$(sys_name h$i)")
done
vnetd_config v "{\"revision\": 1,
  \"networks\": [{\"id\": \"big\", \"tenant\": \"blue\", \"vni\": 5001, \"mtu\": 9000}],
  \"ports\": [$ports]}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

for i in $(seq 1 $N); do
	ns=$(sys_name c$i)
	[[ $(in_ns "$ns" cat /sys/class/net/eth0/address) == 02:00:00:00:01:0$i ]] ||
		fail "c$i's eth0 has MAC $(in_ns "$ns" cat /sys/class/net/eth0/address)"
	[[ $(in_ns "$ns" cat /sys/class/net/eth0/mtu) == 9000 ]] || fail "c$i's eth0 MTU is not 9000"
	in_ns "$ns" ethtool -k eth0 | grep -q "^tx-checksumming: off" ||
		fail "c$i's eth0 has checksum offload on: $(in_ns "$ns" ethtool -k eth0 | head -5)"
	in_ns "$ns" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip addr add 10.0.0.1$i/24 dev eth0
		ip link set dev eth0 up"
done
pass "vnetd created $N veth pairs: each container's end has its port's MAC, MTU 9000, offloads off"

wait_for "c1 pings c2" 10 ping_ok "$(sys_name c1)" 10.0.0.12 || fail "ping c1 -> c2"
for i in $(seq 1 $N); do
	j=$((i % N + 1))
	ping_ok "$(sys_name c$i)" 10.0.0.1$j 2 || fail "ping c$i -> c$j"
	in_ns "$(sys_name c$i)" ping -c 2 -W 1 -M do -s 8972 10.0.0.1$j >/dev/null ||
		fail "9000-byte ping c$i -> c$j"
done
pass "every container pings its neighbour, with 9,000-byte packets too"

tcp_transfer "$(sys_name c2)" 10.0.0.12 "$(sys_name c1)" 4194304
pass "4 MiB by TCP at MTU 9000, checksum matches"

for i in $(seq 1 $N); do
	[[ $(port_counter "$SOCK" c$i link_up) == True ]] || fail "c$i: link down"
	[[ $(port_counter "$SOCK" c$i backend) == veth ]] || fail "c$i is not on the veth backend"
done
[[ $("$VNETCTL" -s "$SOCK" drops --json | json_get 'd["total"]') == 0 ]] ||
	fail "drops: $("$VNETCTL" -s "$SOCK" drops)"
pass "links up, backend veth, nothing dropped"

vnetd_stop v || fail "vnetd did not stop cleanly"
for i in $(seq 1 $N); do
	ip link show "$(sys_name h$i)" >/dev/null 2>&1 || fail "veth of c$i gone with vnetd"
done
vnetd_start v "$SYS_TMP/vnetd.json"
wait_for "c1 pings c2 after the restart" 10 ping_ok "$(sys_name c1)" 10.0.0.12 ||
	fail "no ping after vnetd restarted"
ping_ok "$(sys_name c3)" 10.0.0.14 2 || fail "ping c3 -> c4 after the restart"
grep -q "veth $(sys_name h1): adopted" "${SYS_VNETD_LOG[v]}" || fail "vnetd did not adopt c1's veth"
pass "vnetd restarted: it adopted the pairs; the containers kept their interfaces and ping"

"$VNETCTL" -s "$SOCK" apply - <<<'{"ops": [{"op": "remove", "kind": "port", "id": "c4"}]}' >/dev/null ||
	fail "removing c4"
wait_for "c4's veth removed" 5 sh -c "! ip link show $(sys_name h4) >/dev/null 2>&1" ||
	fail "c4's veth is still there"
in_ns "$(sys_name c4)" ip link show eth0 >/dev/null 2>&1 && fail "c4 still has eth0"
pass "removing a port removed the pair vnetd made"

# Adopting something that is not a veth (the host's loopback here, its NIC in real life) would
# make vnetd read and write the host's own traffic: refused.
out=$("$VNETCTL" -s "$SOCK" apply - 2>&1 <<<'{"ops": [{"op": "add", "kind": "port", "object": {"id": "bad",
  "network": "big", "device": "veth:lo", "mac": "02:00:00:00:01:99"}}]}') && fail "veth:lo was accepted"
[[ $out == *"lo is not a veth"* ]] || fail "veth:lo refused with: $out"
pass "a port cannot adopt an interface that is not a veth"

ip netns del "$(sys_name c3)"
wait_for "c3 link down" 5 sh -c "[ \"\$('$VNETCTL' -s '$SOCK' show ports --json | '$PY' -c '
import json, sys; print({p[\"name\"]: p[\"link_up\"] for p in json.load(sys.stdin)}[\"c3\"])')\" = False ]" ||
	fail "c3's link is not down after its namespace went"
pass "a container whose namespace is gone has its link down"
sys_done
