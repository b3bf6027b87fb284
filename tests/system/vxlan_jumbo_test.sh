#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Jumbo frames across hosts (issue 8, item 6): two vnetd "hosts" joined by VXLAN over a fabric
# whose links all have MTU 9,050 (`underlay.mtu` 9050, docs/overlay.md), one network with MTU
# 9,000 (VNI 6001, the most that underlay MTU allows), a container on each host on vnetd's veth
# backend (vnetd makes each pair with the network's MTU, 9,000).
#
# The underlay device is net_pcap on the veth into the fabric (iface=), not net_af_packet as in
# vxlan_two_hosts: DPDK 22.11's af_packet neither scatters nor takes a ring frame larger than
# one of vnetd's 2,048-byte mbufs (its RX queue setup refuses framesz=16384: "16352 bytes will
# not fit in mbuf"), and with its default 2,048-byte frames it drops larger frames on TX, so it
# cannot carry 9,064-byte frames. net_pcap chains a large frame over several mbufs on RX and
# sends chains. vnetd does not set the kernel MTU of a net_pcap interface: the test does.
#
# Checks: the 9,000-byte network fits a 9,050-byte underlay and not a 9,049-byte one (no room
# for VXLAN); 9,000-byte pings with DF (`ping -M "do" -s 8972`) across hosts both ways, as
# 9,064-byte frames on the fabric (outer IPv4 9,050 bytes, VNI 6001, every VXLAN frame as
# docs/overlay.md says), no frame on the fabric larger; a 4 MiB TCP transfer (checksum
# compared) whose segments are jumbo: full 9,000-byte IP packets on the fabric, and fewer than
# 1,000 VXLAN packets on the sending VTEP's counter (1,500-byte segments would need 2,900);
# nothing dropped by either vnetd meanwhile. Too big: a container whose interface is raised to
# MTU 9,100 sends 9,029-byte packets: vnetd drops them as mtu_exceeded on its port, none
# crosses; VXLAN from the peer VTEP (over links raised to 9,100) with a 9,002-byte inner packet
# is dropped as mtu_exceeded on the underlay and not delivered, while the same frame at 9,000
# bytes is.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init vxj
ensure_hugepages

C1=$(sys_name c1) C2=$(sys_name c2) H1=$(sys_name h1) H2=$(sys_name h2)
U1=$(sys_name u1) U1P=$(sys_name u1p) U2=$(sys_name u2) U2P=$(sys_name u2p)
EV=$(sys_name ev) EVI=$(sys_name evi) EVP=$(sys_name evp)
MAC1=02:00:00:00:06:01 MAC2=02:00:00:00:06:02
VTEP1=192.0.2.11 VTEP2=192.0.2.12
UMAC1=02:00:c0:00:02:0b UMAC2=02:00:c0:00:02:0c

# The fabric: every link and the bridge at MTU 9,050.
fabric_init
fabric_plug "$U1" "$U1P"
fabric_plug "$U2" "$U2P"
for l in "$U1" "$U2"; do
	ip link set dev "$l" mtu 9050 || fail "cannot set mtu 9050 on $l"
done
for l in "$U1P" "$U2P" fbr0; do
	in_ns "$FABRIC" ip link set dev "$l" mtu 9050 || fail "cannot set mtu 9050 on $FABRIC/$l"
done

# Containers: vnetd creates the veth pairs (host ends $H1, $H2) into these namespaces.
netns_add "$C1"
netns_add "$C2"
SYS_IFACES+=("$H1" "$H2")

# host_config NAME PORT_NS HOST_IF MAC IP PEER_MAC PEER_IP PEER_VTEP UNDERLAY_IF VTEP UMAC
host_config() {
	vnetd_config_underlay "$1" "{\"revision\": 1,
	  \"networks\": [{\"id\": \"jumbo\", \"tenant\": \"t\", \"vni\": 6001, \"mtu\": 9000,
	    \"flood_vteps\": [\"$8\"]}],
	  \"ports\": [{\"id\": \"$1c\", \"network\": \"jumbo\", \"kind\": \"container\",
	    \"device\": \"veth:$3,netns=$2\", \"mac\": \"$4\", \"ips\": [\"$5\"]}],
	  \"remote_ports\": [{\"network\": \"jumbo\", \"mac\": \"$6\", \"ips\": [\"$7\"], \"vtep\": \"$8\"}]}" \
		"{\"device\": \"net_pcap0,iface=$9\", \"address\": \"${10}/24\", \"mac\": \"${11}\",
		  \"mtu\": 9050}"
}
host_config h1 "$C1" "$H1" $MAC1 10.0.0.1 $MAC2 10.0.0.2 $VTEP2 "$U1" $VTEP1 $UMAC1 >"$SYS_TMP/h1.json"
host_config h2 "$C2" "$H2" $MAC2 10.0.0.2 $MAC1 10.0.0.1 $VTEP1 "$U2" $VTEP2 $UMAC2 >"$SYS_TMP/h2.json"
# The same rules under an underlay of 9,049 bytes leave no room for the 50 bytes of VXLAN: refused.
sed 's/"mtu": 9050/"mtu": 9049/' "$SYS_TMP/h1.json" >"$SYS_TMP/h1-9049.json"
grep -q '"mtu": 9049' "$SYS_TMP/h1-9049.json" || fail "no underlay mtu in $SYS_TMP/h1.json"
out=$("$VNETD" -c "$SYS_TMP/h1-9049.json" --check 2>&1) && fail "network mtu 9000 accepted with underlay mtu 9049"
[[ $out == *"at most 8999 with underlay mtu 9049"* ]] || fail "underlay mtu 9049 refused with: $out"
"$VNETD" -c "$SYS_TMP/h1.json" --check >/dev/null 2>&1 || fail "vnetd --check refuses $SYS_TMP/h1.json"
pass "a network of mtu 9000 fits an underlay of mtu 9050, not one of 9049"

capture_now "$FABRIC" "$U1P" "$SYS_TMP/u1.pcap"
CAP_U1=$SYS_LAST_PID
capture_now "$FABRIC" "$U2P" "$SYS_TMP/u2.pcap"
CAP_U2=$SYS_LAST_PID
vnetd_start h1 "$SYS_TMP/h1.json"
vnetd_start h2 "$SYS_TMP/h2.json"
S1=$(vnetd_sock h1) S2=$(vnetd_sock h2)


for c in "$C1 10.0.0.1" "$C2 10.0.0.2"; do
	read -r ns addr <<<"$c"
	[[ $(in_ns "$ns" cat /sys/class/net/eth0/mtu) == 9000 ]] ||
		fail "$ns: eth0 has MTU $(in_ns "$ns" cat /sys/class/net/eth0/mtu), not the network's 9000"
	in_ns "$ns" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip addr add $addr/24 dev eth0
		ip link set dev eth0 up" || fail "cannot configure eth0 in $ns"
done

# Frames to the peer before its ARP answer are dropped (neigh_unresolved): retry until answered.
wait_for "first ping c1 -> c2 across hosts" 10 ping_ok "$C1" 10.0.0.2 || fail "ping c1 -> c2"
total() { "$VNETCTL" -s "$1" drops --json | json_get 'd["total"]'; }
drops0_1=$(total "$S1") drops0_2=$(total "$S2")
in_ns "$C1" ping -n -q -c 3 -i 0.2 -W 1 -M "do" -s 8972 10.0.0.2 >/dev/null ||
	fail "9000-byte ping (DF) c1 -> c2 across hosts"
in_ns "$C2" ping -n -q -c 3 -i 0.2 -W 1 -M "do" -s 8972 10.0.0.1 >/dev/null ||
	fail "9000-byte ping (DF) c2 -> c1 across hosts"
pass "9,000-byte IP packets with DF across hosts both ways"

# TCP: c2 (host 2) serves 4 MiB, c1 fetches it: data host 2 -> host 1.
tx0=$(vtep_field "$S2" $VTEP1 tx_pkts) txb0=$(vtep_field "$S2" $VTEP1 tx_bytes)
tcp_transfer "$C2" 10.0.0.2 "$C1" 4194304
tx=$(vtep_field "$S2" $VTEP1 tx_pkts) txb=$(vtep_field "$S2" $VTEP1 tx_bytes)
log "host 2 VTEP $VTEP1: tx +$((tx - tx0)) packets, +$((txb - txb0)) bytes for the 4 MiB"
((txb - txb0 >= 4194304)) || fail "host 2: VTEP $VTEP1 tx_bytes +$((txb - txb0)), want >= 4194304"
((tx - tx0 >= 469 && tx - tx0 < 1000)) ||
	fail "host 2: 4 MiB in $((tx - tx0)) VXLAN packets: not jumbo segments (want 469..999)"
pass "4 MiB by TCP at MTU 9000 across hosts in $((tx - tx0)) VXLAN packets, checksum matches"

# Before the captures' end markers, which host 1's underlay drops as underlay_not_ours.
n=$(total "$S1") m=$(total "$S2")
((n == drops0_1 && m == drops0_2)) ||
	fail "drops during the pings and the transfer: $("$VNETCTL" -s "$S1" drops) / $("$VNETCTL" -s "$S2" drops)"
pass "nothing dropped by either vnetd during the jumbo pings and the transfer"

capture_end "$CAP_U1" "$SYS_TMP/u1.pcap" "$U1" 02:00:00:00:ee:ee
capture_end "$CAP_U2" "$SYS_TMP/u2.pcap" "$U2" 02:00:00:00:ee:ee
vxlan_frames_check "$SYS_TMP/u1.pcap" --src-ip $VTEP1 --dst-ip $VTEP2 --src-mac $UMAC1 \
	--dst-mac $UMAC2 --vni $MAC1=6001 --min 6001=50 ||
	fail "host 1's VXLAN frames on the fabric are not as docs/overlay.md says"
vxlan_frames_check "$SYS_TMP/u2.pcap" --src-ip $VTEP2 --dst-ip $VTEP1 --src-mac $UMAC2 \
	--dst-mac $UMAC1 --vni $MAC2=6001 --min 6001=100 ||
	fail "host 2's VXLAN frames on the fabric are not as docs/overlay.md says"
jumbo="frame.len == 9064 && udp.length == 9030 && vxlan.vni == 6001"
for d in "u1 $MAC1 c1" "u2 $MAC2 c2"; do
	read -r cap mac what <<<"$d"
	# Its 3 echo requests and its 3 replies to the other's, all of 9,000 bytes inside.
	n=$(tshark_count "$SYS_TMP/$cap.pcap" "$jumbo && eth.src == $mac && icmp")
	((n == 6)) || fail "$n 9,064-byte VXLAN frames of ICMP from $what on the fabric, want 6"
	n=$(tshark_count "$SYS_TMP/$cap.pcap" "frame.len > 9064")
	((n == 0)) || fail "$n frames larger than 9,064 bytes in $cap.pcap"
done
n=$(tshark_count "$SYS_TMP/u2.pcap" "$jumbo && eth.src == $MAC2 && tcp.srcport == 8080")
((n >= 100)) || fail "$n 9,064-byte VXLAN frames of TCP from c2 on the fabric, want >= 100"
pass "on the fabric: 9,064-byte VXLAN frames (outer IPv4 9,050), TCP in full 9,000-byte segments ($n captured)"

# Too big for the network: c1's interface (both ends of its pair) raised to 9,100, so that its
# kernel sends 9,029-byte packets with DF. vnetd drops them at c1's port as mtu_exceeded; none
# reaches the fabric or c2.
mtu0=$(drop_count "$S1" mtu_exceeded h1c)
ip link set dev "$H1" mtu 9100 || fail "cannot set mtu 9100 on $H1"
in_ns "$C1" ip link set dev eth0 mtu 9100 || fail "cannot set mtu 9100 on $C1/eth0"
capture_now "$FABRIC" "$U1P" "$SYS_TMP/u1big.pcap"
CAP_U1=$SYS_LAST_PID
capture_now "$C2" eth0 "$SYS_TMP/c2big.pcap"
CAP_C2=$SYS_LAST_PID
in_ns "$C1" ping -n -q -c 3 -i 0.2 -W 1 -M "do" -s 9001 10.0.0.2 >/dev/null 2>&1 &&
	fail "a 9,029-byte packet crossed a network of MTU 9000"
wait_for "3 drops as mtu_exceeded on h1c" 5 counter_at_least $((mtu0 + 3)) drop_count "$S1" mtu_exceeded h1c ||
	fail "c1's 9,029-byte packets not counted as mtu_exceeded: $("$VNETCTL" -s "$S1" drops)"
ping_ok "$C1" 10.0.0.2 || fail "marker ping c1 -> c2 after the oversized ones"
wait_for "c1's marker ping in c2's capture" 5 counter_at_least 1 pcap_count "$SYS_TMP/c2big.pcap" icmp ||
	fail "the marker ping did not reach c2"
capture_end "$CAP_U1" "$SYS_TMP/u1big.pcap" "$U1" 02:00:00:00:ee:ee
capture_stop "$CAP_C2"
n=$(drop_count "$S1" mtu_exceeded h1c)
((n == mtu0 + 3)) || fail "mtu_exceeded on h1c: +$((n - mtu0)), want +3"
n=$(tshark_count "$SYS_TMP/u1big.pcap" "frame.len > 9064 || (icmp && frame.len > 200)")
((n == 0)) || fail "$n of c1's oversized frames on the fabric"
n=$(pcap_count "$SYS_TMP/c2big.pcap" greater 1000)
((n == 0)) || fail "c2 received $n of c1's oversized frames"
ip link set dev "$H1" mtu 9000
in_ns "$C1" ip link set dev eth0 mtu 9000
pass "9,029-byte packets from c1 (MTU raised to 9100) dropped as mtu_exceeded (3), none crossed"

# Too big from the underlay: a peer whose links are larger (9,100) than this fabric's sends VXLAN
# from the peer VTEP's address with an inner packet (ethertype 0x88b5) of 9,002 bytes for c1, a
# 9,066-byte frame. The path from it to host 1 is raised to 9,100 so that the frame arrives
# whole (a Linux bridge with bridge-nf-call-iptables would fragment it; host 1's vnetd does not
# reassemble). Dropped on host 1's underlay as mtu_exceeded, not delivered; the same frame with
# 9,000 bytes is (the control).
fabric_host "$EV" "$EVI" "$EVP" 192.0.2.99/24
ip link set dev "$U1" mtu 9100
in_ns "$EV" ip link set dev "$EVI" mtu 9100
for l in "$EVP" "$U1P"; do
	in_ns "$FABRIC" ip link set dev "$l" mtu 9100 || fail "cannot set mtu 9100 on $FABRIC/$l"
done
capture_now "$C1" eth0 "$SYS_TMP/c1inj.pcap"
CAP_C1=$SYS_LAST_PID
mtu0=$(drop_count "$S1" mtu_exceeded underlay)
inject() { # inject INNER_SRC_MAC INNER_BYTES COUNT
	send_frames "$EV" "$EVI" "$3" "Ether(src='$UMAC2', dst='$UMAC1')/IP(src='$VTEP2', dst='$VTEP1')/UDP(sport=50000, dport=4789, chksum=0)/Raw(bytes.fromhex('0800000000177100'))/Ether(src='$1', dst='$MAC1', type=0x88b5)/Raw(b'x' * $2)"
}
inject $MAC2 9002 3
wait_for "3 drops as mtu_exceeded on host 1's underlay" 5 \
	counter_at_least $((mtu0 + 3)) drop_count "$S1" mtu_exceeded underlay ||
	fail "VXLAN with a 9,002-byte inner packet not counted as mtu_exceeded: $("$VNETCTL" -s "$S1" drops)"
inject $MAC2 9000 1
wait_for "the 9,000-byte control at c1" 5 counter_at_least 1 pcap_count "$SYS_TMP/c1inj.pcap" ether proto 0x88b5 ||
	fail "the 9,000-byte control frame did not reach c1: $("$VNETCTL" -s "$S1" drops)"
capture_stop "$CAP_C1"
n=$(pcap_count "$SYS_TMP/c1inj.pcap" ether proto 0x88b5 and greater 9015)
((n == 0)) || fail "c1 received $n of the 9,002-byte inner frames"
n=$(pcap_count "$SYS_TMP/c1inj.pcap" ether proto 0x88b5 and greater 9014)
((n == 1)) || fail "c1 received $n 9,014-byte control frames, want 1"
n=$(drop_count "$S1" mtu_exceeded underlay)
((n == mtu0 + 3)) || fail "mtu_exceeded on the underlay: +$((n - mtu0)), want +3"
pass "VXLAN with a 9,002-byte inner packet dropped as mtu_exceeded on the underlay (3); 9,000 delivered"

sys_done
