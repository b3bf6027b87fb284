#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vnetd's VXLAN against the Linux kernel's own. Host 1 is vnetd (VTEP 192.0.2.11, underlay
# net_af_packet on a veth into a fabric namespace with a Linux bridge) with container c1 in
# network red (VNI 5001). Host 3 is a namespace on the fabric (192.0.2.13) with a kernel VXLAN
# device vx0 (VNI 5001, port 4789, nolearning) in a bridge br0 with a veth to container c3
# (10.0.0.30); its FDB sends floods and c1's MAC to 192.0.2.11. vnetd's rules list c3 as a
# remote port behind 192.0.2.13 and 192.0.2.13 as red's flood VTEP.
# Checks: ping both ways (ARP on the underlay both ways, c1's ARP answered by vnetd, c3's ARP
# flooded by Linux and decapsulated by vnetd); floods both ways (ARP for an unknown address from
# each side reaches the other container); a 1 MiB TCP transfer each way with its checksum; the
# VXLAN frames from vnetd as captured on host 3 (docs/overlay.md framing; tshark's dissector
# agrees), received by the kernel without errors; vnetd dropped none of the kernel's frames.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init vxli
ensure_hugepages

C1=$(sys_name c1) U1=$(sys_name u1) U1P=$(sys_name u1p)
H3=$(sys_name h3) H3I=$(sys_name h3i) H3P=$(sys_name h3p) C3=$(sys_name c3)
MAC_C1=02:00:00:00:01:0a MAC_C3=02:00:00:00:03:1e
VTEP1=192.0.2.11 VTEP3=192.0.2.13
UMAC1=02:00:c0:00:02:0b UMAC3=02:00:c0:00:02:0d

fabric_init
fabric_plug "$U1" "$U1P"

# Host 3: the kernel's VXLAN, bridged to container c3 (names inside its namespaces are its own).
fabric_host "$H3" "$H3I" "$H3P" $VTEP3/24
in_ns "$H3" ip link set dev "$H3I" address $UMAC3
# A veth passes checksum-offloaded and GSO packets on as they are (64 KiB, inner TCP checksum not
# filled in), and vnetd's net_af_packet would read them so. A NIC would finish them: make the
# kernel do it before host 3's frames leave, as for a NIC without offloads.
in_ns "$H3" ethtool -K "$H3I" tx off tso off gso off tx-udp_tnl-segmentation off \
	tx-udp_tnl-csum-segmentation off >/dev/null || fail "host 3: cannot turn offloads off on $H3I"
netns_add "$C3"
in_ns "$C3" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
in_ns "$H3" sh -e -c "
	ip link add vx0 type vxlan id 5001 local $VTEP3 dstport 4789 nolearning dev $H3I
	ip link add br0 type bridge
	ip link set vx0 master br0
	ip link add c3h mtu 1450 type veth peer name c3 mtu 1450 netns $C3
	ip link set c3h master br0
	ip link set vx0 up
	ip link set c3h up
	ip link set br0 up
	bridge fdb append 00:00:00:00:00:00 dev vx0 dst $VTEP1
	bridge fdb add $MAC_C1 dev vx0 dst $VTEP1
" || fail "host 3: cannot set up the kernel VXLAN"
in_ns "$C3" sh -e -c "
	ip link set dev c3 address $MAC_C3
	ip addr add 10.0.0.30/24 dev c3
	ip link set dev c3 up
" || fail "cannot set up container c3"
[[ $(in_ns "$H3" cat /sys/class/net/vx0/mtu) == 1450 ]] || fail "host 3: vx0 mtu is not 1450"

vnetd_config_underlay h1 "{\"revision\": 1,
  \"networks\": [{\"id\": \"red\", \"tenant\": \"red\", \"vni\": 5001, \"mtu\": 1450,
                 \"flood_vteps\": [\"$VTEP3\"]}],
  \"ports\": [{\"id\": \"c1\", \"network\": \"red\", \"kind\": \"container\",
              \"device\": \"net_tap0,iface=$C1\", \"mac\": \"$MAC_C1\", \"ips\": [\"10.0.0.10\"]}],
  \"remote_ports\": [{\"network\": \"red\", \"mac\": \"$MAC_C3\", \"ips\": [\"10.0.0.30\"],
                     \"vtep\": \"$VTEP3\"}]}" \
	"{\"device\": \"net_af_packet0,iface=$U1\", \"address\": \"$VTEP1/24\", \"mac\": \"$UMAC1\"}" \
	>"$SYS_TMP/h1.json"
vnetd_start h1 "$SYS_TMP/h1.json"
S1=$(vnetd_sock h1)
netns_container "$C1" "$C1" $MAC_C1 10.0.0.10/24
container_mtu "$C1" "$C1" 1450

# What reaches host 3 from the fabric: vnetd's frames as the Linux side sees them.
capture_now "$H3" "$H3I" "$SYS_TMP/h3.pcap"
CAP_H3=$SYS_LAST_PID

# c1 -> c3 first: vnetd answers c1's ARP, resolves 192.0.2.13 by ARP (the first frames wait
# for it), the kernel resolves 192.0.2.11 to answer, c3's ARP is flooded by vx0 to vnetd.
wait_for "first ping c1 -> c3 (vnetd -> Linux VXLAN)" 10 ping_ok "$C1" 10.0.0.30 ||
	fail "ping c1 -> c3 (vnetd -> Linux VXLAN)"
ping_ok "$C1" 10.0.0.30 3 || fail "ping c1 -> c3 (3 more)"
in_ns "$C3" ip neigh flush all
ping_ok "$C3" 10.0.0.10 3 || fail "ping c3 -> c1 (Linux VXLAN -> vnetd)"
pass "ping both ways between vnetd's c1 and the kernel VXLAN's c3"

# Floods both ways: ARP for an address nobody has, from each side, reaches the other container.
capture_now "$C1" "$C1" "$SYS_TMP/c1.pcap"
CAP_C1=$SYS_LAST_PID
capture_now "$C3" c3 "$SYS_TMP/c3.pcap"
CAP_C3=$SYS_LAST_PID
in_ns "$C1" ping -n -q -c 1 -W 1 10.0.0.98 >/dev/null 2>&1 || true
in_ns "$C3" ping -n -q -c 1 -W 1 10.0.0.99 >/dev/null 2>&1 || true
wait_for "c1's ARP for 10.0.0.98 at c3" 5 counter_at_least 1 pcap_count "$SYS_TMP/c3.pcap" \
	arp and ether src $MAC_C1 and ether broadcast ||
	fail "c1's ARP broadcast (for 10.0.0.98) did not reach c3: vnetd's flood to $VTEP3"
wait_for "c3's ARP for 10.0.0.99 at c1" 5 counter_at_least 1 pcap_count "$SYS_TMP/c1.pcap" \
	arp and ether src $MAC_C3 and ether broadcast ||
	fail "c3's ARP broadcast (for 10.0.0.99) did not reach c1: Linux's flood decapsulated by vnetd"
capture_stop "$CAP_C1"
capture_stop "$CAP_C3"
pass "broadcasts flooded both ways (vnetd head-end replication, Linux all-zero FDB entry)"

# TCP both ways: each side serves 1 MiB of random bytes over HTTP, the other fetches it.
mkdir "$SYS_TMP/www"
head -c 1048576 /dev/urandom >"$SYS_TMP/www/blob"
want=$(sha256sum "$SYS_TMP/www/blob" | cut -d' ' -f1)
fetch() { # fetch FROM_NS SERVER_NS SERVER_IP
	local pid got
	spawn "$SYS_TMP/http-$2.log" ip netns exec "$2" "$PY" -m http.server --bind "$3" \
		--directory "$SYS_TMP/www" 8080
	pid=$SYS_LAST_PID
	wait_for "http server in $2 listening" 10 sh -c "ip netns exec $2 ss -Hltn | grep -q $3:8080" ||
		fail "http server in $2 did not start: $(cat "$SYS_TMP/http-$2.log")"
	got=$(timeout 30 ip netns exec "$1" "$PY" -c '
import hashlib, sys, urllib.request
with urllib.request.urlopen("http://%s:8080/blob" % sys.argv[1], timeout=20) as r:
    print(hashlib.sha256(r.read()).hexdigest())
' "$3") || fail "TCP transfer $2 -> $1 failed"
	[[ $got == "$want" ]] || fail "TCP transfer $2 -> $1 corrupted: sha256 $got, want $want"
	kill "$pid" 2>/dev/null
}
fetch "$C3" "$C1" 10.0.0.10
pass "TCP transfer of 1 MiB vnetd -> Linux VXLAN, checksum matches"
fetch "$C1" "$C3" 10.0.0.30
pass "TCP transfer of 1 MiB Linux VXLAN -> vnetd, checksum matches"
capture_end "$CAP_H3" "$SYS_TMP/h3.pcap" "$U1" $UMAC3

# vnetd's frames as host 3 received them: docs/overlay.md framing (full-size ones included). The
# capture may miss some of the >= 720 on a busy machine: the kernel's counters are checked below.
vxlan_frames_check "$SYS_TMP/h3.pcap" --src-ip $VTEP1 --dst-ip $VTEP3 --src-mac $UMAC1 \
	--dst-mac $UMAC3 --vni $MAC_C1=5001 --min 5001=100 ||
	fail "vnetd's VXLAN frames, as captured on host 3, are not as docs/overlay.md says"
n=$(tshark_count "$SYS_TMP/h3.pcap" "ip.src == $VTEP1 && ip.dst == $VTEP3 && udp.dstport == 4789 && vxlan[0:4] == 08:00:00:00 && vxlan[7:1] == 00 && vxlan.vni == 5001 && eth.src == $MAC_C1 && frame.len == 1514")
((n >= 100)) || fail "tshark on host 3: $n full-size VXLAN frames from vnetd (VNI 5001, flags 0x08), want >= 100"
pass "host 3 captured vnetd's VXLAN: VNI 5001, flags 0x08, UDP 4789, lengths inner+36/+16, TTL 64"

# The kernel took them all: vx0 received at least the 1 MiB, without errors or drops.
read -r rx_pkts rx_err rx_drop < <(in_ns "$H3" ip -j -s link show vx0 | "$PY" -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]["rx"]
print(s["packets"], s["errors"], s["dropped"])')
log "host 3 vx0: rx packets $rx_pkts, errors $rx_err, dropped $rx_drop"
((rx_pkts >= 720 && rx_err == 0 && rx_drop == 0)) ||
	fail "host 3's vx0: rx $rx_pkts packets, $rx_err errors, $rx_drop dropped"
# vnetd took all of the kernel's: nothing counted under a VXLAN drop reason.
for r in vxlan_bad_hdr vxlan_vni_unknown vxlan_vtep_unknown vxlan_truncated l2_tunnel_hairpin; do
	n=$(drop_count "$S1" $r)
	((n == 0)) || fail "vnetd dropped $n of the kernel's frames as $r"
done
(($(vtep_field "$S1" $VTEP3 rx_pkts) >= 720)) ||
	fail "vnetd's VTEP $VTEP3 rx_pkts $(vtep_field "$S1" $VTEP3 rx_pkts), want >= 720"
pass "each side decapsulated the other's frames without errors or drops"

sys_done
