#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two containers in one tenant network of one vnetd (TAP ports moved into network namespaces):
# IPv4 and IPv6 pings both ways, a 1 MiB TCP transfer with its checksum, the port MACs in
# `show macs`, rx/tx counters moving on both ports, and no packet of this traffic dropped.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init l2p
ensure_hugepages

IF_A=$(sys_name a)
IF_B=$(sys_name b)
NS_A=$IF_A
NS_B=$IF_B
MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b

vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue-web\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"a\", \"network\": \"blue-web\", \"kind\": \"container\",
     \"device\": \"net_tap0,iface=$IF_A\", \"mac\": \"$MAC_A\", \"ips\": [\"10.0.0.10\", \"fd00::a\"]},
    {\"id\": \"b\", \"network\": \"blue-web\", \"kind\": \"container\",
     \"device\": \"net_tap1,iface=$IF_B\", \"mac\": \"$MAC_B\", \"ips\": [\"10.0.0.11\", \"fd00::b\"]}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

netns_container "$NS_A" "$IF_A" $MAC_A 10.0.0.10/24 fd00::a/64
netns_container "$NS_B" "$IF_B" $MAC_B 10.0.0.11/24 fd00::b/64

# Whatever the TAPs sent from the root namespace before the move (their random MAC) is dropped
# as spoofed; from here on, nothing may be dropped.
drops0=$(drop_count "$SOCK" spoof_mac)
total0=$("$VNETCTL" -s "$SOCK" drops --json | json_get 'd["total"]')
rx_a0=$(port_counter "$SOCK" a rx_pkts)
tx_a0=$(port_counter "$SOCK" a tx_pkts)
rx_b0=$(port_counter "$SOCK" b rx_pkts)
tx_b0=$(port_counter "$SOCK" b tx_pkts)

wait_for "first IPv4 ping a -> b" 5 ping_ok "$NS_A" 10.0.0.11 || fail "IPv4 ping a -> b"
ping_ok "$NS_A" 10.0.0.11 3 || fail "IPv4 ping a -> b (3 more)"
ping_ok "$NS_B" 10.0.0.10 3 || fail "IPv4 ping b -> a"
pass "IPv4 ping both ways"

wait_for "first IPv6 ping a -> b" 5 ping_ok "$NS_A" fd00::b || fail "IPv6 ping a -> b"
ping_ok "$NS_A" fd00::b 3 || fail "IPv6 ping a -> b (3 more)"
ping_ok "$NS_B" fd00::a 3 || fail "IPv6 ping b -> a"
pass "IPv6 ping both ways"

# TCP: b serves 1 MiB of random bytes over HTTP, a fetches it and compares the SHA-256.
tcp_transfer "$NS_B" 10.0.0.11 "$NS_A" 1048576
pass "TCP transfer of 1 MiB, checksum matches"

# The MAC table has both ports' MACs, as type port.
macs=$("$VNETCTL" -s "$SOCK" show macs --json)
for pm in a=$MAC_A b=$MAC_B; do
	port=${pm%%=*} mac=${pm#*=}
	echo "$macs" | "$PY" -c '
import json, sys
port, mac = sys.argv[1], sys.argv[2]
ok = any(e["mac"].lower() == mac and e["port"] == port and e["type"] == "port"
         and e["network"] == "blue-web" for e in json.load(sys.stdin))
sys.exit(0 if ok else 1)' "$port" "$mac" || fail "show macs lacks $mac on port $port: $macs"
done
"$VNETCTL" -s "$SOCK" show macs | grep -qi "blue-web *$MAC_A *a *port" ||
	fail "show macs (table) lacks port a: $("$VNETCTL" -s "$SOCK" show macs)"
pass "show macs lists the port MACs"

# Counters: 1 MiB went b -> a, pings both ways: each port received and sent at least the
# 700-odd segments or their ACKs... at the very least the 14 pings.
rx_a=$(port_counter "$SOCK" a rx_pkts)
tx_a=$(port_counter "$SOCK" a tx_pkts)
rx_b=$(port_counter "$SOCK" b rx_pkts)
tx_b=$(port_counter "$SOCK" b tx_pkts)
log "counters: a rx +$((rx_a - rx_a0)) tx +$((tx_a - tx_a0)), b rx +$((rx_b - rx_b0)) tx +$((tx_b - tx_b0))"
((rx_a - rx_a0 >= 14 && tx_a - tx_a0 >= 14 && rx_b - rx_b0 >= 14 && tx_b - tx_b0 >= 14)) ||
	fail "port counters did not move on both ports"
((rx_b - rx_b0 >= 700 && tx_a - tx_a0 >= 700)) ||
	fail "1 MiB from b to a but b rx +$((rx_b - rx_b0)), a tx +$((tx_a - tx_a0))"
"$VNETCTL" -s "$SOCK" show ports --json | "$PY" -c '
import json, sys
for p in json.load(sys.stdin):
    assert p["rx_bytes"] > 1048576 or p["tx_bytes"] > 1048576 or p["name"] not in "ab", p
' || fail "byte counters do not show the 1 MiB transfer"
pass "rx/tx counters moved on both ports"

total=$("$VNETCTL" -s "$SOCK" drops --json | json_get 'd["total"]')
((total == total0)) || fail "valid traffic was dropped: $("$VNETCTL" -s "$SOCK" drops)"
pass "nothing dropped (besides $drops0 pre-move spoof_mac from the TAPs' own MACs)"

sys_done
