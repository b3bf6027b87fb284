#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two vnetd "hosts" joined by VXLAN (docs/overlay.md). The underlay is a fabric namespace with a
# Linux bridge; each vnetd's underlay port is net_af_packet on a veth into it (VTEPs 192.0.2.11
# and 192.0.2.12, no static neighbours: vnetd resolves its peer by ARP). Tenants red (VNI 5001)
# and blue (VNI 5002) have one container on each host, with the same IPs in both tenants; each
# host's rules list the other host's containers as remote ports and the other VTEP as flood VTEP.
# Checks: pings across hosts both ways in each tenant; a 1 MiB TCP transfer with its checksum;
# blue cannot reach red's container (nor red blue's) even through a neighbour entry with its
# MAC; the captured underlay frames of both hosts (VNI per tenant, flags 0x08, UDP 4789 from
# 49152..65535, lengths inner + 36 and + 16, TTL 64, one source port per flow); ARP for a remote
# container's IP answered locally and not sent over the fabric; VXLAN injected from an unknown
# underlay address (192.0.2.99) dropped as vxlan_vtep_unknown and not delivered (while the same
# frame from the known VTEP's address is: the control); ping to a VTEP answered; frames to a
# remote port behind a VTEP nobody answers for dropped as neigh_unresolved, with at most one ARP
# request a second; the `show vteps` counters of the peer VTEP and of both VNIs moving; and
# vxlan_encap / vxlan_decap records with VNI and VTEP in `vnetctl trace`.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init vx2h
ensure_hugepages

R1=$(sys_name r1) B1=$(sys_name b1) R2=$(sys_name r2) B2=$(sys_name b2)
U1=$(sys_name u1) U1P=$(sys_name u1p) U2=$(sys_name u2) U2P=$(sys_name u2p)
EV=$(sys_name ev) EVI=$(sys_name evi) EVP=$(sys_name evp)
MAC_R1=02:00:00:00:01:0a MAC_B1=02:00:00:00:11:0a # host 1: red and blue, both 10.0.0.10
MAC_R2=02:00:00:00:02:14 MAC_B2=02:00:00:00:12:14 # host 2: red and blue, both 10.0.0.20
VTEP1=192.0.2.11 VTEP2=192.0.2.12
UMAC1=02:00:c0:00:02:0b UMAC2=02:00:c0:00:02:0c
MAC_X=02:00:00:00:04:28 VTEP_X=192.0.2.14 # a remote port of host 1 behind a VTEP nobody has

fabric_init
fabric_plug "$U1" "$U1P"
fabric_plug "$U2" "$U2P"

port() { # port ID NETWORK TAP_INDEX IFACE MAC IP
	printf '{"id": "%s", "network": "%s", "kind": "container", "device": "net_tap%s,iface=%s",
	  "mac": "%s", "ips": ["%s"]}' "$@"
}
remote() { # remote NETWORK MAC IP VTEP
	printf '{"network": "%s", "mac": "%s", "ips": ["%s"], "vtep": "%s"}' "$@"
}
networks() { # networks PEER_VTEP
	printf '[{"id": "red", "tenant": "red", "vni": 5001, "mtu": 1450, "flood_vteps": ["%s"]},
	  {"id": "blue", "tenant": "blue", "vni": 5002, "mtu": 1450, "flood_vteps": ["%s"]}]' "$1" "$1"
}
vnetd_config_underlay h1 "{\"revision\": 1, \"networks\": $(networks $VTEP2),
  \"ports\": [$(port r1 red 0 "$R1" $MAC_R1 10.0.0.10), $(port b1 blue 1 "$B1" $MAC_B1 10.0.0.10)],
  \"remote_ports\": [$(remote red $MAC_R2 10.0.0.20 $VTEP2), $(remote blue $MAC_B2 10.0.0.20 $VTEP2),
                     $(remote red $MAC_X 10.0.0.40 $VTEP_X)]}" \
	"{\"device\": \"net_af_packet0,iface=$U1\", \"address\": \"$VTEP1/24\", \"mac\": \"$UMAC1\"}" \
	>"$SYS_TMP/h1.json"
vnetd_config_underlay h2 "{\"revision\": 1, \"networks\": $(networks $VTEP1),
  \"ports\": [$(port r2 red 0 "$R2" $MAC_R2 10.0.0.20), $(port b2 blue 1 "$B2" $MAC_B2 10.0.0.20)],
  \"remote_ports\": [$(remote red $MAC_R1 10.0.0.10 $VTEP1), $(remote blue $MAC_B1 10.0.0.10 $VTEP1)]}" \
	"{\"device\": \"net_af_packet0,iface=$U2\", \"address\": \"$VTEP2/24\", \"mac\": \"$UMAC2\"}" \
	>"$SYS_TMP/h2.json"
# Everything each host sends into the fabric (inbound on its fabric port), from its start: vnetd
# may resolve its peer VTEP as soon as it has its rules.
capture_now "$FABRIC" "$U1P" "$SYS_TMP/u1.pcap"
CAP_U1=$SYS_LAST_PID
capture_now "$FABRIC" "$U2P" "$SYS_TMP/u2.pcap"
CAP_U2=$SYS_LAST_PID
vnetd_start h1 "$SYS_TMP/h1.json"
vnetd_start h2 "$SYS_TMP/h2.json"
S1=$(vnetd_sock h1) S2=$(vnetd_sock h2)

# Netns names are the interface names. IPv6 off (no ND/MLD noise); mtu 1450, the networks'.
for c in "$R1 $MAC_R1 10.0.0.10" "$B1 $MAC_B1 10.0.0.10" "$R2 $MAC_R2 10.0.0.20" "$B2 $MAC_B2 10.0.0.20"; do
	read -r ns mac addr <<<"$c"
	netns_container "$ns" "$ns" "$mac" "$addr/24"
	container_mtu "$ns" "$ns" 1450
done

# Each host lists its peer VTEP (from the rules) before any traffic.
for hv in "$S1 $VTEP2" "$S2 $VTEP1"; do
	read -r sock vtep <<<"$hv"
	vtep_field "$sock" "$vtep" vtep >/dev/null || fail "show vteps lacks $vtep: $("$VNETCTL" -s "$sock" show vteps)"
done
tx0=$(vtep_field "$S1" $VTEP2 tx_pkts) rx0=$(vtep_field "$S1" $VTEP2 rx_pkts)
txb0=$(vtep_field "$S1" $VTEP2 tx_bytes) rx2_0=$(vtep_field "$S2" $VTEP1 rx_pkts)
vni_tx0_red=$(vni_field "$S1" 5001 tx_pkts) vni_tx0_blue=$(vni_field "$S1" 5002 tx_pkts)
vni_rx0_red=$(vni_field "$S1" 5001 rx_pkts) vni_rx0_blue=$(vni_field "$S1" 5002 rx_pkts)
pass "both hosts list their peer VTEP in show vteps"

# Frames to the peer before its ARP answer are dropped (neigh_unresolved): retry until answered.
wait_for "first ping r1 -> r2 across hosts" 10 ping_ok "$R1" 10.0.0.20 || fail "ping r1 -> r2 (red, host 1 -> host 2)"
ping_ok "$R1" 10.0.0.20 3 || fail "ping r1 -> r2 (3 more)"
ping_ok "$R2" 10.0.0.10 3 || fail "ping r2 -> r1 (red, host 2 -> host 1)"
pass "red: ping across hosts both ways"
wait_for "first ping b1 -> b2 across hosts" 10 ping_ok "$B1" 10.0.0.20 || fail "ping b1 -> b2 (blue)"
ping_ok "$B1" 10.0.0.20 3 || fail "ping b1 -> b2 (3 more)"
ping_ok "$B2" 10.0.0.10 3 || fail "ping b2 -> b1 (blue, host 2 -> host 1)"
pass "blue: ping across hosts both ways (the same IPs as red)"

# TCP: r1 serves 1 MiB of random bytes over HTTP, r2 fetches it across the hosts (full-size
# segments: 1464-byte frames, 1514 bytes on the underlay).
mkdir "$SYS_TMP/www"
head -c 1048576 /dev/urandom >"$SYS_TMP/www/blob"
want=$(sha256sum "$SYS_TMP/www/blob" | cut -d' ' -f1)
spawn "$SYS_TMP/http.log" ip netns exec "$R1" "$PY" -m http.server --bind 10.0.0.10 \
	--directory "$SYS_TMP/www" 8080
HTTP=$SYS_LAST_PID
wait_for "http server in r1 listening" 10 sh -c "ip netns exec $R1 ss -Hltn | grep -q 10.0.0.10:8080" ||
	fail "http server in r1 did not start: $(cat "$SYS_TMP/http.log")"
got=$(timeout 30 ip netns exec "$R2" "$PY" -c '
import hashlib, urllib.request
with urllib.request.urlopen("http://10.0.0.10:8080/blob", timeout=20) as r:
    print(hashlib.sha256(r.read()).hexdigest())
') || fail "TCP transfer r1 -> r2 across hosts failed"
[[ $got == "$want" ]] || fail "TCP transfer corrupted: sha256 $got, want $want"
kill "$HTTP" 2>/dev/null
pass "TCP transfer of 1 MiB host 1 -> host 2, checksum matches"

capture_end "$CAP_U1" "$SYS_TMP/u1.pcap" "$U1" 02:00:00:00:ee:ee
capture_end "$CAP_U2" "$SYS_TMP/u2.pcap" "$U2" 02:00:00:00:ee:ee

# vnetd resolved its peer with ARP: host 1's request (from our underlay MAC, for 192.0.2.12) and
# host 2's reply to it are on the fabric.
n=$(tshark_count "$SYS_TMP/u1.pcap" "arp.opcode == 1 && eth.src == $UMAC1 && eth.dst == ff:ff:ff:ff:ff:ff && arp.src.hw_mac == $UMAC1 && arp.src.proto_ipv4 == $VTEP1 && arp.dst.proto_ipv4 == $VTEP2")
((n >= 1)) || fail "no ARP request from host 1 ($UMAC1, $VTEP1) for $VTEP2 on the fabric"
n=$(tshark_count "$SYS_TMP/u2.pcap" "arp.opcode == 2 && eth.src == $UMAC2 && eth.dst == $UMAC1 && arp.src.hw_mac == $UMAC2 && arp.src.proto_ipv4 == $VTEP2 && arp.dst.hw_mac == $UMAC1 && arp.dst.proto_ipv4 == $VTEP1")
((n >= 1)) || fail "no ARP reply from host 2 ($UMAC2, $VTEP2) to host 1 on the fabric"
pass "host 1 resolved VTEP $VTEP2 by ARP, host 2 answered for its VTEP address"

# Every VXLAN frame each host sent: outer headers, lengths, flags, VNI per tenant (inner source
# MAC), source ports. Host 1 sent the 1 MiB in red (>= 720 frames, of which the capture may miss
# some on a busy machine: vnetd's counters are checked below), both sent pings.
vxlan_frames_check "$SYS_TMP/u1.pcap" --src-ip $VTEP1 --dst-ip $VTEP2 --src-mac $UMAC1 \
	--dst-mac $UMAC2 --vni $MAC_R1=5001 --vni $MAC_B1=5002 --min 5001=100 --min 5002=4 ||
	fail "host 1's VXLAN frames on the fabric are not as docs/overlay.md says"
vxlan_frames_check "$SYS_TMP/u2.pcap" --src-ip $VTEP2 --dst-ip $VTEP1 --src-mac $UMAC2 \
	--dst-mac $UMAC1 --vni $MAC_R2=5001 --vni $MAC_B2=5002 --min 5001=50 --min 5002=4 ||
	fail "host 2's VXLAN frames on the fabric are not as docs/overlay.md says"
# tshark's VXLAN dissector agrees: full-size frames of red, flags 0x08 and reserved bytes 0 (the
# header's bytes: tshark 4.0 cannot filter on vxlan.flags), VNI 5001, port 4789.
n=$(tshark_count "$SYS_TMP/u1.pcap" "frame.len == 1514 && ip.len == 1500 && udp.dstport == 4789 && udp.length == 1480 && vxlan[0:4] == 08:00:00:00 && vxlan[7:1] == 00 && vxlan.vni == 5001 && eth.src == $MAC_R1")
((n >= 100)) || fail "tshark: $n full-size VXLAN frames of red (VNI 5001) from host 1, want >= 100"
n=$(tshark_count "$SYS_TMP/u1.pcap" "vxlan && ip.src == $VTEP1 && !(vxlan.vni == 5001 || vxlan.vni == 5002)")
((n == 0)) || fail "tshark: $n VXLAN frames from host 1 with a VNI other than 5001/5002"
pass "underlay frames both ways: VNI 5001 (red) / 5002 (blue), flags 0x08, UDP 4789, lengths inner+36/+16, TTL 64"

# Isolation: blue's b1 sends to red's r2 (a neighbour entry with r2's MAC for 10.0.0.20), red's
# r1 to blue's b2. Neither may arrive: r2 would even answer (it has 10.0.0.20). Then markers
# inside each tenant show that the captures work.
capture_now "$R2" "$R2" "$SYS_TMP/r2.pcap"
CAP_R2=$SYS_LAST_PID
capture_now "$B2" "$B2" "$SYS_TMP/b2.pcap"
CAP_B2=$SYS_LAST_PID
in_ns "$B1" ip neigh replace 10.0.0.20 lladdr $MAC_R2 dev "$B1" nud permanent
in_ns "$R1" ip neigh replace 10.0.0.20 lladdr $MAC_B2 dev "$R1" nud permanent
ping_fails "$B1" 10.0.0.20 || fail "blue's b1 reached 10.0.0.20 through red's MAC $MAC_R2"
ping_fails "$R1" 10.0.0.20 || fail "red's r1 reached 10.0.0.20 through blue's MAC $MAC_B2"
in_ns "$B1" ip neigh replace 10.0.0.20 lladdr $MAC_B2 dev "$B1" nud permanent
in_ns "$R1" ip neigh replace 10.0.0.20 lladdr $MAC_R2 dev "$R1" nud permanent
ping_ok "$B1" 10.0.0.20 || fail "blue marker ping b1 -> b2"
ping_ok "$R1" 10.0.0.20 || fail "red marker ping r1 -> r2"
wait_for "red's marker in r2's capture" 5 counter_at_least 1 pcap_count "$SYS_TMP/r2.pcap" icmp and ether src $MAC_R1 ||
	fail "red's marker did not reach r2"
wait_for "blue's marker in b2's capture" 5 counter_at_least 1 pcap_count "$SYS_TMP/b2.pcap" icmp and ether src $MAC_B1 ||
	fail "blue's marker did not reach b2"
capture_stop "$CAP_R2"
capture_stop "$CAP_B2"
n=$(pcap_count "$SYS_TMP/r2.pcap" ether src $MAC_B1)
((n == 0)) || fail "red's r2 received $n frames from blue's b1"
n=$(pcap_count "$SYS_TMP/b2.pcap" ether src $MAC_R1)
((n == 0)) || fail "blue's b2 received $n frames from red's r1"
pass "blue cannot reach red's container across hosts, nor red blue's (same IPs, MAC forced)"

# ARP suppression: r1 forgets its neighbours and pings r2: host 1 answers the ARP for 10.0.0.20
# itself (with r2's MAC), so no ARP for 10.0.0.20 crosses the fabric. ARP for 10.0.0.99, which
# the rules do not know, is flooded to host 2: the control that the capture sees inner ARP.
capture_now "$FABRIC" "$U1P" "$SYS_TMP/u1arp.pcap"
CAP_U1=$SYS_LAST_PID
capture_now "$R1" "$R1" "$SYS_TMP/r1arp.pcap"
CAP_R1=$SYS_LAST_PID
in_ns "$R1" ip neigh del 10.0.0.20 dev "$R1" # permanent since the isolation check
in_ns "$R1" ip neigh flush all
ping_ok "$R1" 10.0.0.20 || fail "ping r1 -> r2 after flushing r1's neighbours"
in_ns "$R1" ping -n -q -c 1 -W 1 10.0.0.99 >/dev/null 2>&1 || true
wait_for "r1's ARP for 10.0.0.99 flooded over the fabric" 5 counter_at_least 1 tshark_count "$SYS_TMP/u1arp.pcap" \
	"vxlan.vni == 5001 && arp.opcode == 1 && arp.dst.proto_ipv4 == 10.0.0.99" ||
	fail "r1's ARP request for the unknown 10.0.0.99 was not flooded to host 2 (VNI 5001)"
wait_for "the ARP reply for 10.0.0.20 in r1's capture" 5 counter_at_least 1 tshark_count "$SYS_TMP/r1arp.pcap" \
	"arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.20 && arp.src.hw_mac == $MAC_R2 && eth.dst == $MAC_R1" ||
	fail "r1 got no ARP reply for 10.0.0.20 with r2's MAC $MAC_R2"
capture_end "$CAP_U1" "$SYS_TMP/u1arp.pcap" "$U1" 02:00:00:00:ee:ee
capture_stop "$CAP_R1"
n=$(tshark_count "$SYS_TMP/u1arp.pcap" "vxlan && arp.dst.proto_ipv4 == 10.0.0.20")
((n == 0)) || fail "$n ARP frames for 10.0.0.20 (a remote port's IP) crossed the fabric"
pass "ARP for the remote r2's IP answered by host 1 with r2's MAC, none on the fabric; unknown IP flooded"

# A host on the fabric with an address that is no VTEP of the rules (192.0.2.99) sends VXLAN
# (VNI 5001) to host 1, inner frame to r1. Dropped as vxlan_vtep_unknown, never delivered. The
# same frame with the outer source of the known VTEP 192.0.2.12 is delivered (the control).
fabric_host "$EV" "$EVI" "$EVP" 192.0.2.99/24
ping_ok "$EV" $VTEP1 3 || fail "ping from the fabric to VTEP $VTEP1 not answered"
pass "VTEP $VTEP1 answers ping (and ARP) from the fabric"
capture_now "$R1" "$R1" "$SYS_TMP/r1inj.pcap"
CAP_R1=$SYS_LAST_PID
drops0=$(drop_count "$S1" vxlan_vtep_unknown underlay)
inject() { # inject OUTER_SRC INNER_SRC_MAC COUNT
	send_frames "$EV" "$EVI" "$3" "Ether(dst='$UMAC1')/IP(src='$1', dst='$VTEP1')/UDP(sport=50000, dport=4789)/Raw(bytes.fromhex('0800000000138900'))/Ether(src='$2', dst='$MAC_R1', type=0x88b5)/Raw(b'injected into the overlay')"
}
inject 192.0.2.99 02:00:00:00:09:99 3
wait_for "3 drops as vxlan_vtep_unknown on host 1's underlay" 5 \
	counter_at_least $((drops0 + 3)) drop_count "$S1" vxlan_vtep_unknown underlay ||
	fail "VXLAN from 192.0.2.99 not counted as vxlan_vtep_unknown: $("$VNETCTL" -s "$S1" drops)"
inject $VTEP2 02:00:00:00:09:98 1
wait_for "the control frame (from $VTEP2) at r1" 5 \
	counter_at_least 1 pcap_count "$SYS_TMP/r1inj.pcap" ether src 02:00:00:00:09:98 ||
	fail "the control frame from the known VTEP $VTEP2 did not reach r1: the injected frame is malformed?"
capture_stop "$CAP_R1"
n=$(pcap_count "$SYS_TMP/r1inj.pcap" ether src 02:00:00:00:09:99)
((n == 0)) || fail "r1 received $n frames injected from the unknown VTEP 192.0.2.99"
n=$(drop_count "$S1" vxlan_vtep_unknown underlay)
((n == drops0 + 3)) || fail "vxlan_vtep_unknown: +$((n - drops0)), want +3"
if vtep_field "$S1" 192.0.2.99 vtep >/dev/null 2>&1; then
	fail "the unknown 192.0.2.99 became a VTEP of host 1: $("$VNETCTL" -s "$S1" show vteps)"
fi
pass "VXLAN from unknown 192.0.2.99 dropped as vxlan_vtep_unknown (3), not delivered; control delivered"

# r1 to the remote port behind 192.0.2.14, which nobody answers ARP for: vnetd answers r1's ARP
# (the rules give the IP), drops the frames as neigh_unresolved, and asks for 192.0.2.14 at most
# once a second (counted over the capture's lifetime, in whole seconds rounded up, plus one).
nr0=$(drop_count "$S1" neigh_unresolved r1)
capture_now "$FABRIC" "$U1P" "$SYS_TMP/u1nr.pcap"
CAP_U1=$SYS_LAST_PID
t0=${EPOCHREALTIME/./}
ping_fails "$R1" 10.0.0.40 || fail "10.0.0.40, behind the unreachable VTEP $VTEP_X, answered"
wait_for "r1's frames to 10.0.0.40 dropped as neigh_unresolved" 5 \
	counter_at_least $((nr0 + 2)) drop_count "$S1" neigh_unresolved r1 ||
	fail "r1's pings to 10.0.0.40 not counted as neigh_unresolved: $("$VNETCTL" -s "$S1" drops)"
capture_end "$CAP_U1" "$SYS_TMP/u1nr.pcap" "$U1" 02:00:00:00:ee:ee
secs=$(((${EPOCHREALTIME/./} - t0 + 999999) / 1000000))
n=$(tshark_count "$SYS_TMP/u1nr.pcap" "arp.opcode == 1 && eth.src == $UMAC1 && eth.dst == ff:ff:ff:ff:ff:ff && arp.src.hw_mac == $UMAC1 && arp.src.proto_ipv4 == $VTEP1 && arp.dst.proto_ipv4 == $VTEP_X")
((n >= 1)) || fail "no ARP request for $VTEP_X on the fabric while frames waited for it"
((n <= secs + 1)) || fail "$n ARP requests for $VTEP_X in $secs s: more than one a second"
n=$(tshark_count "$SYS_TMP/u1nr.pcap" "vxlan && ip.dst == $VTEP_X")
((n == 0)) || fail "$n VXLAN frames sent to the unresolved $VTEP_X"
[[ $(vtep_field "$S1" $VTEP_X resolved) == false ]] || fail "host 1: VTEP $VTEP_X shown as resolved"
pass "frames to a remote port behind an unresolved VTEP: neigh_unresolved, ARP for it at most 1/s"

# show vteps: the peer resolved to its MAC, counters moved by what went through the fabric.
[[ $(vtep_field "$S1" $VTEP2 resolved) == true ]] || fail "host 1: VTEP $VTEP2 not resolved"
[[ $(vtep_field "$S1" $VTEP2 neighbor_mac) == "$UMAC2" ]] ||
	fail "host 1: VTEP $VTEP2 neighbor_mac $(vtep_field "$S1" $VTEP2 neighbor_mac), want $UMAC2"
[[ $(vtep_field "$S1" $VTEP2 next_hop) == "$VTEP2" ]] ||
	fail "host 1: VTEP $VTEP2 next_hop $(vtep_field "$S1" $VTEP2 next_hop), want $VTEP2 (on-link)"
tx=$(vtep_field "$S1" $VTEP2 tx_pkts) rx=$(vtep_field "$S1" $VTEP2 rx_pkts)
txb=$(vtep_field "$S1" $VTEP2 tx_bytes) rx2=$(vtep_field "$S2" $VTEP1 rx_pkts)
log "host 1 VTEP $VTEP2: tx +$((tx - tx0)) (+$((txb - txb0)) bytes), rx +$((rx - rx0)); host 2 VTEP $VTEP1: rx +$((rx2 - rx2_0))"
((tx - tx0 >= 720 && txb - txb0 >= 1048576)) || fail "host 1: VTEP $VTEP2 tx_pkts/tx_bytes did not count the 1 MiB"
((rx - rx0 >= 50)) || fail "host 1: VTEP $VTEP2 rx_pkts +$((rx - rx0)), want >= 50 (pings, ACKs)"
((rx2 - rx2_0 >= 720)) || fail "host 2: VTEP $VTEP1 rx_pkts +$((rx2 - rx2_0)), want >= 720"
[[ $(vni_field "$S1" 5001 network) == red && $(vni_field "$S1" 5002 network) == blue ]] ||
	fail "host 1: show vteps VNIs: $("$VNETCTL" -s "$S1" show vteps --json)"
(($(vni_field "$S1" 5001 tx_pkts) - vni_tx0_red >= 720)) || fail "host 1: VNI 5001 tx_pkts did not move"
(($(vni_field "$S1" 5001 rx_pkts) - vni_rx0_red >= 50)) || fail "host 1: VNI 5001 rx_pkts did not move"
(($(vni_field "$S1" 5002 tx_pkts) - vni_tx0_blue >= 4)) || fail "host 1: VNI 5002 tx_pkts did not move"
(($(vni_field "$S1" 5002 rx_pkts) - vni_rx0_blue >= 4)) || fail "host 1: VNI 5002 rx_pkts did not move"
pass "show vteps: $VTEP2 resolved to $UMAC2, VTEP and VNI counters moved on both hosts"

# Trace (dry run): r1's frame to r2 goes through vxlan_encap (VNI 5001, VTEP 192.0.2.12); a VXLAN
# frame from 192.0.2.12 at the underlay through vxlan_decap (VNI 5001, outer source).
hex=$("$PY" -c 'import sys
from scapy.all import Ether, IP, ICMP
print(bytes(Ether(src=sys.argv[1], dst=sys.argv[2])/IP(src="10.0.0.10", dst="10.0.0.20")/ICMP()).hex())' $MAC_R1 $MAC_R2)
"$VNETCTL" -s "$S1" trace --port r1 --hex "$hex" >"$SYS_TMP/trace.txt" || fail "vnetctl trace --port r1 failed"
grep -Eq "vxlan_encap .*vni=5001.* vtep=$VTEP2( |$)" "$SYS_TMP/trace.txt" ||
	fail "trace r1 -> r2: no vxlan_encap record with vni=5001 vtep=$VTEP2: $(cat "$SYS_TMP/trace.txt")"
hex=$("$PY" -c 'import sys
from scapy.all import Ether, IP, ICMP, UDP, Raw
inner = Ether(src=sys.argv[2], dst=sys.argv[1])/IP(src="10.0.0.20", dst="10.0.0.10")/ICMP()
print(bytes(Ether(src=sys.argv[4], dst=sys.argv[3])/IP(src="192.0.2.12", dst="192.0.2.11")/UDP(sport=50000, dport=4789, chksum=0)/Raw(bytes.fromhex("0800000000138900"))/inner).hex())' \
	$MAC_R1 $MAC_R2 $UMAC1 $UMAC2)
"$VNETCTL" -s "$S1" trace --port underlay --hex "$hex" >"$SYS_TMP/trace.txt" ||
	fail "vnetctl trace --port underlay failed"
grep -Eq "vxlan_decap .*vni=5001.*$VTEP2" "$SYS_TMP/trace.txt" ||
	fail "trace of VXLAN from $VTEP2: no vxlan_decap record with vni=5001 and $VTEP2: $(cat "$SYS_TMP/trace.txt")"
pass "trace shows vxlan_encap and vxlan_decap with the VNI and the VTEP"

sys_done
