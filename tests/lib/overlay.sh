# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers of the overlay system tests (tests/system/vxlan_*_test.sh), on top of sys.sh (source
# that first): an underlay "fabric" (a network namespace with a Linux bridge) that vnetd hosts
# (a veth end in the root namespace, for net_af_packet) and plain namespaces (a veth end inside)
# plug into; vnetd configurations with an "underlay"; checks of captured VXLAN frames; the
# counters of `vnetctl show vteps`. Everything is registered with sys.sh's cleanup.

VXLAN_CHECK=$SYS_SRC/tests/lib/vxlan_pcap_check.py
FABRIC= # the fabric's netns, with the bridge "fbr0"

# fabric_init: make the fabric namespace $FABRIC and its bridge fbr0. IPv6 is off in it: no ND or MLD
# noise on the underlay.
fabric_init() {
	local tool
	for tool in tcpdump tshark ethtool bridge; do
		command -v "$tool" >/dev/null || fail "the overlay tests need $tool"
	done
	FABRIC=$(sys_name fab)
	netns_add "$FABRIC"
	in_ns "$FABRIC" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns "$FABRIC" ip link add name fbr0 type bridge || fail "fabric: cannot add bridge"
	in_ns "$FABRIC" ip link set dev fbr0 up
}

# fabric_plug IFACE PEER: a veth pair, PEER a port of the fabric bridge, IFACE left in the root
# namespace, up, without IPv6 or IPv4 (the kernel sends nothing on it): a vnetd underlay device.
fabric_plug() {
	local ifc=$1 peer=$2
	iface_add "$ifc" veth peer name "$peer"
	ip link set "$peer" netns "$FABRIC" || fail "cannot move $peer into $FABRIC"
	in_ns "$FABRIC" ip link set "$peer" master fbr0 up || fail "cannot add $peer to the fabric"
	sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
	ip link set "$ifc" up
}

# fabric_host NS IFACE PEER ADDR/PLEN: a namespace NS (IPv6 off) on the fabric through the veth
# IFACE (inside NS, address ADDR) and PEER (a port of the fabric bridge).
fabric_host() {
	local ns=$1 ifc=$2 peer=$3 addr=$4
	netns_add "$ns"
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	iface_add "$ifc" veth peer name "$peer"
	ip link set "$peer" netns "$FABRIC" || fail "cannot move $peer into $FABRIC"
	in_ns "$FABRIC" ip link set "$peer" master fbr0 up || fail "cannot add $peer to the fabric"
	ip link set "$ifc" netns "$ns" || fail "cannot move $ifc into $ns"
	in_ns "$ns" ip addr add "$addr" dev "$ifc"
	in_ns "$ns" ip link set "$ifc" up
}

# capture_now NS IFACE FILE [FILTER...]: sys.sh's capture_start (inbound packets only) with
# --immediate-mode and a 16 MiB buffer. Without immediate mode tcpdump takes packets a buffer
# block at a time, and the SIGINT of capture_stop right after the traffic loses the last block
# (up to a second of packets); the buffer keeps a 1 MiB transfer from overflowing it on a busy
# machine. Pid in $SYS_LAST_PID.
capture_now() {
	local ns=$1 ifc=$2 file=$3
	shift 3
	spawn "$file.log" ip netns exec "$ns" tcpdump -n -U --immediate-mode -B 16384 -Q in -i "$ifc" \
		-w "$file" "$@"
	wait_for "tcpdump on $ns/$ifc listening" 10 grep -q "listening on" "$file.log" ||
		fail "capture on $ns/$ifc did not start: $(cat "$file.log")"
}

# capture_end PID FILE IFACE DST_MAC: stop capture PID (writing FILE) once it has caught up: send
# a marker frame (ethertype 0x88b5, to DST_MAC) from IFACE of the root namespace, whose packets
# the capture sees, wait until the marker is in FILE (all before it is too), then stop it.
capture_end() {
	local pid=$1 file=$2 ifc=$3 dst=$4
	"$PY" -c '
import sys
from scapy.all import Ether, Raw, sendp
sendp(Ether(dst=sys.argv[2], type=0x88B5) / Raw(b"end of capture"), iface=sys.argv[1], verbose=False)
' "$ifc" "$dst" || fail "capture_end: cannot send the marker on $ifc"
	wait_for "end marker in $file" 10 counter_at_least 1 pcap_count "$file" ether proto 0x88b5 ||
		fail "capture $file did not see its end marker: $(cat "$file.log")"
	capture_stop "$pid"
}

# vnetd_config_underlay NAME RULES_JSON UNDERLAY_JSON: vnetd_config with an "underlay" object.
vnetd_config_underlay() {
	vnetd_config "$1" "$2" | "$PY" -c '
import json, sys
cfg = json.load(sys.stdin)
cfg["underlay"] = json.loads(sys.argv[1])
print(json.dumps(cfg, indent=1))' "$3"
}

# container_mtu NS IFACE MTU: set the MTU of a container's interface (networks of the overlay
# tests have mtu 1450: 1500 on the underlay minus the 50 bytes of VXLAN).
container_mtu() {
	in_ns "$1" ip link set dev "$2" mtu "$3" || fail "cannot set mtu $3 on $1/$2"
}

# vtep_field SOCK VTEP FIELD: FIELD of VTEP in `vnetctl show vteps --json` (fails if absent).
vtep_field() {
	"$VNETCTL" -s "$1" show vteps --json | "$PY" -c '
import json, sys
vtep, field = sys.argv[1], sys.argv[2]
for v in json.load(sys.stdin)["vteps"]:
    if v["vtep"] == vtep:
        print(str(v[field]).lower() if isinstance(v[field], bool) else v[field])
        break
else:
    sys.exit("show vteps: no VTEP %s" % vtep)
' "$2" "$3"
}

# vni_field SOCK VNI FIELD: FIELD of VNI in `vnetctl show vteps --json` (fails if absent).
vni_field() {
	"$VNETCTL" -s "$1" show vteps --json | "$PY" -c '
import json, sys
vni, field = int(sys.argv[1]), sys.argv[2]
for v in json.load(sys.stdin)["vnis"]:
    if v["vni"] == vni:
        print(v[field])
        break
else:
    sys.exit("show vteps: no VNI %d" % vni)
' "$2" "$3"
}

# vxlan_frames_check FILE ARGS...: tests/lib/vxlan_pcap_check.py FILE ARGS... (see there); its
# summary on stdout, its problems on stderr.
vxlan_frames_check() {
	"$PY" "$VXLAN_CHECK" "$@"
}

# tshark_count FILE FILTER: how many frames of FILE match the tshark display filter FILTER
# (UDP port 4789 decoded as VXLAN).
tshark_count() {
	tshark -n -r "$1" -d udp.port==4789,vxlan -Y "$2" -T fields -e frame.number 2>/dev/null |
		grep -c . || true
}
