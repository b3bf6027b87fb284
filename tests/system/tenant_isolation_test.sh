#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two tenants, red and blue, each a network (different VNIs) with two containers that use the
# SAME MACs and the SAME IPs. Each pair pings inside its network; red's ARP broadcasts, broadcast
# pings and unicast traffic reach red's containers and nothing of it reaches blue's: captures in
# both blue namespaces see only the marker frames blue sends itself afterwards, and blue's port
# counters do not move while red talks.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init iso
ensure_hugepages

MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
RA=$(sys_name ra) RB=$(sys_name rb) BA=$(sys_name ba) BB=$(sys_name bb)

port() { # port ID NETWORK TAP_INDEX IFACE MAC IP
	printf '{"id": "%s", "network": "%s", "kind": "container", "device": "net_tap%s,iface=%s",
	  "mac": "%s", "ips": ["%s"]}' "$@"
}
vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"red\", \"tenant\": \"red\", \"vni\": 6001},
                 {\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 6002}],
  \"ports\": [$(port ra red 0 "$RA" $MAC_A 10.0.0.10), $(port rb red 1 "$RB" $MAC_B 10.0.0.11),
              $(port ba blue 2 "$BA" $MAC_A 10.0.0.10), $(port bb blue 3 "$BB" $MAC_B 10.0.0.11)]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# Netns names are the interface names. IPv6 is off: no ND or MLD noise in the captures.
netns_container "$RA" "$RA" $MAC_A 10.0.0.10/24
netns_container "$RB" "$RB" $MAC_B 10.0.0.11/24
netns_container "$BA" "$BA" $MAC_A 10.0.0.10/24
netns_container "$BB" "$BB" $MAC_B 10.0.0.11/24

# The two networks are separate bridge domains with their own VNIs and ports.
"$VNETCTL" -s "$SOCK" show networks --json | "$PY" -c '
import json, sys
n = {x["id"]: x for x in json.load(sys.stdin)}
assert n["red"]["vni"] == 6001 and n["blue"]["vni"] == 6002, n
assert n["red"]["bd_id"] != n["blue"]["bd_id"], n
assert sorted(n["red"]["ports"]) == ["ra", "rb"] and sorted(n["blue"]["ports"]) == ["ba", "bb"], n
' || fail "show networks: $("$VNETCTL" -s "$SOCK" show networks)"
for net in red blue; do
	"$VNETCTL" -s "$SOCK" show macs --network $net --json | "$PY" -c '
import json, sys
net = sys.argv[1]
got = sorted((e["mac"].lower(), e["port"]) for e in json.load(sys.stdin))
want = [("02:00:00:00:01:0a", net[0] + "a"), ("02:00:00:00:01:0b", net[0] + "b")]
assert got == want, (got, want)
' $net || fail "show macs --network $net: $("$VNETCTL" -s "$SOCK" show macs --network $net)"
done
pass "red and blue are separate networks (VNIs 6001, 6002), the same MACs in each"

# Blue works inside blue (then forgets its neighbours: it must stay silent from here on).
wait_for "first ping ba -> bb" 5 ping_ok "$BA" 10.0.0.11 || fail "ping ba -> bb"
ping_ok "$BB" 10.0.0.10 2 || fail "ping bb -> ba"
in_ns "$BA" ip neigh flush all
in_ns "$BB" ip neigh flush all
pass "blue pings inside blue"

capture_start "$BA" "$BA" "$SYS_TMP/ba.pcap"
CAP_BA=$SYS_LAST_PID
capture_start "$BB" "$BB" "$SYS_TMP/bb.pcap"
CAP_BB=$SYS_LAST_PID
capture_start "$RB" "$RB" "$SYS_TMP/rb.pcap"
CAP_RB=$SYS_LAST_PID
declare -A tx0
for p in ba bb; do
	tx0[$p]=$(port_counter "$SOCK" $p tx_pkts)
done

# Red talks: ARP broadcasts (neighbour caches empty), unicast pings both ways, broadcast pings.
wait_for "first ping ra -> rb" 5 ping_ok "$RA" 10.0.0.11 || fail "ping ra -> rb"
ping_ok "$RA" 10.0.0.11 3 || fail "ping ra -> rb (3 more)"
ping_ok "$RB" 10.0.0.10 3 || fail "ping rb -> ra"
in_ns "$RA" ping -n -q -b -c 3 -i 0.2 -W 1 10.0.0.255 >/dev/null 2>&1 || true
# Positive control: red's broadcasts were flooded to red's other container.
wait_for "red broadcast pings flooded to rb" 5 \
	counter_at_least 3 pcap_count "$SYS_TMP/rb.pcap" icmp and ether broadcast ||
	fail "red's broadcast pings did not reach rb"
# ARP for a known address is answered by vnetd (suppression); ARP for an unknown one is flooded.
send_frames "$RA" "$RA" 1 "Ether(src='$MAC_A', dst='ff:ff:ff:ff:ff:ff')/ARP(op=1, hwsrc='$MAC_A', psrc='10.0.0.10', pdst='10.0.0.77')"
wait_for "red ARP broadcast for an unknown address flooded to rb" 5 \
	counter_at_least 1 pcap_count "$SYS_TMP/rb.pcap" arp and ether broadcast ||
	fail "red's ARP broadcast did not reach rb"
pass "red pings inside red; red's broadcasts (ARP, ICMP) flooded to rb"

for p in ba bb; do
	tx=$(port_counter "$SOCK" $p tx_pkts)
	((tx == tx0[$p])) || fail "blue port $p transmitted $((tx - tx0[$p])) packets while red talked"
done
pass "blue ports' tx counters did not move while red talked"

# Markers: one frame each way inside blue (an unknown ethertype: no kernel answers it). Once a
# marker is in a capture, whatever red sent before it would be there too.
send_frames "$BA" "$BA" 1 "Ether(src='$MAC_A', dst='$MAC_B', type=0x88b5)/Raw(b'blue-marker-ab')"
send_frames "$BB" "$BB" 1 "Ether(src='$MAC_B', dst='$MAC_A', type=0x88b5)/Raw(b'blue-marker-ba')"
wait_for "marker at bb" 5 counter_at_least 1 pcap_count "$SYS_TMP/bb.pcap" ether proto 0x88b5 ||
	fail "blue's own marker did not reach bb"
wait_for "marker at ba" 5 counter_at_least 1 pcap_count "$SYS_TMP/ba.pcap" ether proto 0x88b5 ||
	fail "blue's own marker did not reach ba"
capture_stop "$CAP_BA"
capture_stop "$CAP_BB"
capture_stop "$CAP_RB"
for p in ba bb; do
	n=$(pcap_count "$SYS_TMP/$p.pcap")
	if ((n != 1)); then
		tcpdump -n -e -r "$SYS_TMP/$p.pcap" >&2 2>/dev/null
		fail "blue's $p received $((n - 1)) frames besides its marker (red's traffic leaked)"
	fi
done
pass "blue's containers received nothing of red's traffic (only blue's markers)"

for p in ba bb; do
	tx=$(port_counter "$SOCK" $p tx_pkts)
	((tx == tx0[$p] + 1)) || fail "blue port $p: tx +$((tx - tx0[$p])), want +1 (the marker)"
done
pass "blue ports' tx counters moved by the markers only"

sys_done
