#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The vnet demo: one vnetd, two tenants (red and blue, the same IP addresses in both), four
# container namespaces; pings that work (inside a tenant) and pings that must not (across
# tenants, from a spoofed address), then the networks, ports, MAC tables, drop counters and a
# trace. Prints PASS or FAIL per step and exits 1 if any expectation failed. Cleans everything
# up on exit, unless --keep: then it leaves it running and says how to look around and clean up.
#
# Needs root and built binaries (scripts/setup.sh builds them): VNETD and VNETCTL default to
# build/vnetd and build/vnetctl/vnetctl.
set -euo pipefail

usage() {
	echo "usage: demo/run.sh [--keep]"
	echo "  --keep   leave vnetd and the namespaces running afterwards (prints how to clean up)"
}
case "${1:-}" in
"") ;;
--keep) SYS_KEEP=1 ;;
-h | --help) usage; exit 0 ;;
*) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

# shellcheck source=SCRIPTDIR/../tests/lib/sys.sh
source "$(dirname "$0")/../tests/lib/sys.sh"
sys_init demo
ensure_hugepages

if [[ -t 1 ]]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
show() { # show CMD...: print the command, then run it
	printf '$ %s\n' "vnetctl ${*:2}"
	"$@"
}

# Tenants red and blue: the same IPs, 10.0.0.10 and 10.0.0.11, in both. Red's MACs end in
# 01:0a/01:0b (the addresses of pcap-samples/), blue's in 02:0a/02:0b.
declare -A MAC=([red-a]=02:00:00:00:01:0a [red-b]=02:00:00:00:01:0b
	[blue-a]=02:00:00:00:02:0a [blue-b]=02:00:00:00:02:0b)
declare -A IP=([red-a]=10.0.0.10 [red-b]=10.0.0.11 [blue-a]=10.0.0.10 [blue-b]=10.0.0.11)
declare -A IFC=([red-a]=$(sys_name ra) [red-b]=$(sys_name rb) [blue-a]=$(sys_name ba)
	[blue-b]=$(sys_name bb))
declare -A NS=([red-a]=$SYS_TAG-red-a [red-b]=$SYS_TAG-red-b [blue-a]=$SYS_TAG-blue-a
	[blue-b]=$SYS_TAG-blue-b)
C=(red-a red-b blue-a blue-b)

ports=() tap=0
for c in "${C[@]}"; do
	ports+=("{\"id\": \"$c\", \"network\": \"${c%-*}\", \"kind\": \"container\",
	  \"device\": \"net_tap$tap,iface=${IFC[$c]}\", \"mac\": \"${MAC[$c]}\", \"ips\": [\"${IP[$c]}\"]}")
	tap=$((tap + 1))
done
vnetd_config v "{\"revision\": 1,
  \"networks\": [{\"id\": \"red\", \"tenant\": \"red\", \"vni\": 7001},
                 {\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 7002}],
  \"ports\": [$(IFS=,; echo "${ports[*]}")]}" >"$SYS_TMP/vnetd.json"

step "start vnetd (tenants red and blue, 4 TAP ports) and 4 container namespaces"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
ctl() { "$VNETCTL" -s "$SOCK" "$@"; }
for c in "${C[@]}"; do
	netns_container "${NS[$c]}" "${IFC[$c]}" "${MAC[$c]}" "${IP[$c]}/24"
	echo "  ${NS[$c]}: ${IFC[$c]} ${MAC[$c]} ${IP[$c]}/24"
done
pass "vnetd running (pid ${SYS_VNETD_PID[v]}, socket $SOCK)"

step "pings that must work: inside each tenant"
wait_for "vnetd forwarding" 5 ping_ok "${NS[red-a]}" 10.0.0.11 || true
for pair in red-a:red-b red-b:red-a blue-a:blue-b blue-b:blue-a; do
	from=${pair%:*} to=${pair#*:}
	check "ping $from -> $to (${IP[$to]})" ping_ok "${NS[$from]}" "${IP[$to]}" 2
done

step "pings that must not work: across tenants"
# The same IP answers only inside the tenant: red-a's 10.0.0.11 is red-b, never blue-b.
to_bb=$(port_counter "$SOCK" blue-b tx_pkts)
check "ping red-a -> 10.0.0.11 is answered by red-b" ping_ok "${NS[red-a]}" 10.0.0.11 2
check "... and nothing of it reached blue-b" test "$(port_counter "$SOCK" blue-b tx_pkts)" -eq "$to_bb"
# Force red-a to address blue-b's MAC: red has no such MAC, the frames stay in red (flooded to
# red-b, which ignores them), and blue-b never sees them.
in_ns "${NS[red-a]}" ip neigh replace 10.0.0.11 lladdr "${MAC[blue-b]}" dev "${IFC[red-a]}" nud permanent
check "ping red-a -> blue-b (by blue-b's MAC) fails" ping_fails "${NS[red-a]}" 10.0.0.11
check "... and nothing of it reached blue-b" test "$(port_counter "$SOCK" blue-b tx_pkts)" -eq "$to_bb"
in_ns "${NS[red-a]}" ip neigh del 10.0.0.11 dev "${IFC[red-a]}"
in_ns "${NS[blue-b]}" ip neigh replace 10.0.0.10 lladdr "${MAC[red-a]}" dev "${IFC[blue-b]}" nud permanent
check "ping blue-b -> red-a (by red-a's MAC) fails" ping_fails "${NS[blue-b]}" 10.0.0.10
in_ns "${NS[blue-b]}" ip neigh del 10.0.0.10 dev "${IFC[blue-b]}"

step "a spoof attempt: red-a pretends to be 10.0.0.99, then claims red-b's IP in ARP"
spoof_ip0=$(drop_count "$SOCK" spoof_ip red-a)
spoof_arp0=$(drop_count "$SOCK" spoof_arp red-a)
in_ns "${NS[red-a]}" ip addr add 10.0.0.99/24 dev "${IFC[red-a]}"
in_ns "${NS[red-a]}" ip neigh replace 10.0.0.11 lladdr "${MAC[red-b]}" dev "${IFC[red-a]}" nud permanent
spoofed_ping_fails() {
	! in_ns "${NS[red-a]}" ping -n -q -c 2 -i 0.2 -w 2 -I 10.0.0.99 10.0.0.11 >/dev/null 2>&1
}
check "ping red-a (from spoofed 10.0.0.99) -> red-b fails" spoofed_ping_fails
in_ns "${NS[red-a]}" ip addr del 10.0.0.99/24 dev "${IFC[red-a]}"
in_ns "${NS[red-a]}" ip neigh del 10.0.0.11 dev "${IFC[red-a]}"
check "... counted as spoof_ip on red-a" wait_for "spoof_ip on red-a" 5 \
	counter_at_least $((spoof_ip0 + 2)) drop_count "$SOCK" spoof_ip red-a
send_frames "${NS[red-a]}" "${IFC[red-a]}" 1 "Ether(src='${MAC[red-a]}', dst='ff:ff:ff:ff:ff:ff')/ARP(op=2,
	hwsrc='${MAC[red-a]}', psrc='10.0.0.11', hwdst='ff:ff:ff:ff:ff:ff', pdst='10.0.0.11')"
check "gratuitous ARP 'red-a is 10.0.0.11' dropped as spoof_arp on red-a" wait_for "spoof_arp" 5 \
	counter_at_least $((spoof_arp0 + 1)) drop_count "$SOCK" spoof_arp red-a
check "red-a still pings red-b normally" ping_ok "${NS[red-a]}" 10.0.0.11 2

step "what vnetd shows"
show ctl show networks
echo
show ctl show ports
echo
show ctl show macs
echo
echo "(spoof_mac on every port: what each TAP sent from its own random MAC before it was moved"
echo " into its container and given the port's MAC)"
show ctl drops

step "trace: frames from pcap-samples/ injected at red-a in dry-run mode"
trace_verdict() { # trace_verdict PCAP WANT: the trace's verdict line is WANT
	local out
	out=$(ctl trace --port red-a --pcap "$SYS_SRC/pcap-samples/$1") || return 1
	printf '$ vnetctl trace --port red-a --pcap pcap-samples/%s\n%s\n' "$1" "$out"
	grep -q "^verdict: $2" <<<"$out"
}
check "icmp_echo.pcap (10.0.0.10 -> 10.0.0.11) at red-a: tx to red-b" \
	trace_verdict icmp_echo.pcap "tx to red-b$"
check "spoofed_source.pcap (from 10.0.0.99) at red-a: dropped as spoof_ip" \
	trace_verdict spoofed_source.pcap "drop (spoof_ip"

step "security groups: blue-b lets in only pings from its group (web), statefully"
blue_port() { # blue_port ID GROUP: the port object of blue-a or blue-b, in that group
	printf '{"id": "%s", "network": "blue", "kind": "container", "device": "net_tap%s,iface=%s",
	  "mac": "%s", "ips": ["%s"], "security_groups": ["%s"]}' "$1" "$([[ $1 == blue-a ]] && echo 2 || echo 3)" \
		"${IFC[$1]}" "${MAC[$1]}" "${IP[$1]}" "$2"
}
apply_ops() { # apply_ops JSON: a transaction of operations, shown
	printf '$ vnetctl apply -   # %s\n' "$2"
	"$VNETCTL" -s "$SOCK" apply - >/dev/null <<<"$1"
}
check "groups web (pings from members of web) and plain (pings from anyone); blue-a and blue-b in web" \
	apply_ops '{"ops": [
	  {"op": "add", "kind": "security_group", "object": {"id": "web", "tenant": "blue", "rules": [
	    {"id": "ping-from-web", "direction": "ingress", "protocol": "icmp", "remote_group": "web"},
	    {"id": "out", "direction": "egress"}]}},
	  {"op": "add", "kind": "security_group", "object": {"id": "plain", "tenant": "blue", "rules": [
	    {"id": "ping-in", "direction": "ingress", "protocol": "icmp"}, {"id": "all-out", "direction": "egress"}]}},
	  {"op": "replace", "kind": "port", "object": '"$(blue_port blue-b web)"'},
	  {"op": "replace", "kind": "port", "object": '"$(blue_port blue-a web)"'}]}' "groups web and plain; blue-a, blue-b in web"
check "ping blue-a -> blue-b (both in web)" ping_ok "${NS[blue-a]}" 10.0.0.11 2
check "blue-a moves to group plain" apply_ops '{"ops": [{"op": "replace", "kind": "port",
	  "object": '"$(blue_port blue-a plain)"'}]}' "blue-a from web to plain"
sg0=$(drop_count "$SOCK" sg_denied)
check "ping blue-a -> blue-b fails now (blue-a is no member of web)" ping_fails "${NS[blue-a]}" 10.0.0.11
check "... counted as sg_denied" test "$(drop_count "$SOCK" sg_denied)" -gt "$sg0"
check "ping blue-b -> blue-a works (plain lets pings in; the replies pass blue-b statefully)" \
	ping_ok "${NS[blue-b]}" 10.0.0.10 2
show ctl show conntrack --tenant blue
echo
show ctl show security-groups

echo
if ((SYS_FAILED > 0)); then
	printf 'FAIL: %d expectation(s) failed\n' "$SYS_FAILED"
	exit 1
fi
pass "demo: every expectation held ($((SECONDS - SYS_T0)) s)"

if [[ $SYS_KEEP == 1 ]]; then
	cat <<EOF

vnetd and the namespaces are left running (--keep). Look around:
  $VNETCTL -s $SOCK show ports
  $VNETCTL -s $SOCK show macs --network blue
  $VNETCTL -s $SOCK drops --all
  $VNETCTL -s $SOCK trace --port blue-a --pcap $SYS_SRC/pcap-samples/icmp_echo.pcap
  ip netns exec ${NS[blue-a]} ping -c 3 10.0.0.11
  ip netns exec ${NS[red-b]} tcpdump -n -e -i ${IFC[red-b]}
  vnetd's log: ${SYS_VNETD_LOG[v]}
EOF
fi
