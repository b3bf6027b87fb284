#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The vnet demo: the whole system on one machine. A vnet-controller on its SQLite store (HTTPS,
# certificates from `vnet-controller ca`); two hosts, hv1 and hv2, each a vnetd on a VXLAN fabric
# (tests/lib/overlay.sh) and a vnet-agent with its host's certificate; then, through the
# `openstack` CLI, two tenants (projects red and blue) with identical address plans: networks
# front (10.0.1.0/24) and back (10.0.2.0/24) joined by a router, security groups web and db, and
# four containers (network namespaces) on the two hosts:
#
#   hv1: web1 (front, 10.0.1.11, group web)   jump (back, 10.0.2.22, group default)
#   hv2: web2 (front, 10.0.1.12, group web)   db   (back, 10.0.2.21, group db)
#   group web: pings in from anywhere; group db: pings in from members of web only
#
# Each host has a container on both networks: a host that routes into a network on which it has
# no port of its own is not in the other hosts' flood lists for that network (the controller makes
# them from the hosts with ports in it), and they drop what it routes there as vxlan_vtep_unknown.
#
# It shows pings that work (same network across hosts, routed across hosts), pings that must not
# (across tenants: the same address reaches its own tenant's container only; denied by a security
# group), a `vnetctl trace` of each, and where to look next. Prints PASS or FAIL per step and exits
# 1 if any expectation failed; a step that cannot go on stops the demo with the log to read, and
# the run's directory (logs, store, certificates) is then kept. Cleans everything up on exit,
# unless --keep: then it leaves it running and says what to try and how to clean up.
#
# Needs root and built binaries (scripts/setup.sh builds them): VNETD and VNETCTL default to
# build/vnetd and build/vnetctl/vnetctl, the controller and the agent are next to vnetd
# (controller-agent/), and the openstack CLI (python3-openstackclient).
set -euo pipefail

usage() {
	echo "usage: demo/run.sh [--keep]"
	echo "  --keep   leave the controller, the hosts and the containers running afterwards"
	echo "           (prints what to try, and how to clean up)"
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
# shellcheck source=SCRIPTDIR/../tests/lib/overlay.sh
source "$(dirname "$0")/../tests/lib/overlay.sh"
sys_init demo
DIR=$SYS_TMP # the run's files: logs (*.log), the store, the certificates, the agents' state

# A failed run keeps its directory, to read the logs (a demo run with --keep keeps it anyway).
demo_exit() {
	local rc=$?
	set +e
	if ((rc != 0 && rc < 128)) && [[ $SYS_KEEP != 1 && -n $SYS_TMP ]]; then
		log ""
		log "The run's files are kept in $DIR: the logs ($(cd "$DIR" && echo *.log)),"
		log "the store, the certificates. Remove them with: rm -rf $DIR"
		SYS_TMP= # so that cleanup leaves it
	fi
	(exit "$rc") # sys_on_exit reads the status from $?
	sys_on_exit
}
trap 'demo_exit' EXIT
sys_dump_logs() { :; } # die says which log to read

# die MSG [LOG...]: a step that the rest needs failed: say what, and the end of each LOG.
die() {
	local f
	printf '\nFAIL: %s\n' "$1" >&2
	for f in "${@:2}"; do
		if [[ -s $f ]]; then
			printf '  log: %s, its last lines:\n' "$f" >&2
			tail -n 12 "$f" | sed 's/^/    /' >&2
		else
			printf '  log: %s (empty)\n' "$f" >&2
		fi
	done
	exit 1
}

if [[ -t 1 ]]; then
	step() { printf '\n\033[1m== %s\033[0m  (%d s)\n' "$*" $((SECONDS - SYS_T0)); }
else
	step() { printf '\n== %s  (%d s)\n' "$*" $((SECONDS - SYS_T0)); }
fi
say() { printf '  %s\n' "$*"; }

CTL=${VNET_CONTROLLER:-$(dirname "$VNETD")/controller-agent/vnet-controller}
AGENT=${VNET_AGENT:-$(dirname "$VNETD")/controller-agent/vnet-agent}
[[ -x $CTL && -x $AGENT ]] || die "no vnet-controller or vnet-agent in $(dirname "$VNETD")/controller-agent (build them: ninja -C build)"
command -v openstack >/dev/null || die "the openstack CLI is not installed (scripts/setup.sh installs python3-openstackclient)"
command -v curl >/dev/null || die "curl is not installed (scripts/setup.sh installs it)"
SYS_VNETD_MB=256 # the routers' FIBs (32 MiB each family) beside the switching tables
ensure_hugepages 320
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

TENANTS=(red blue)
declare -A OSUSER=([red]=bob [blue]=alice)
HOSTS=(hv1 hv2)
declare -A VTEP=([hv1]=192.0.2.11 [hv2]=192.0.2.12) VNETD_OF=([hv1]=h1 [hv2]=h2) APORT=()
# The containers: name, host, network, address, security group.
CONTAINERS=(
	"web1 hv1 front 10.0.1.11 web"
	"jump hv1 back  10.0.2.22 default"
	"web2 hv2 front 10.0.1.12 web"
	"db   hv2 back  10.0.2.21 db"
)
declare -A HOST=() NETW=() IP=() GROUP=()
NAMES=()
for c in "${CONTAINERS[@]}"; do
	read -r n h net ip g <<<"$c"
	NAMES+=("$n") HOST[$n]=$h NETW[$n]=$net IP[$n]=$ip GROUP[$n]=$g
done
declare -A PORTID=() MAC=() NS=() # by tenant/name: port id, MAC, container's namespace

###############################################################################################
step "1/7 the controller: vnet-controller on its SQLite store, over HTTPS"
CA=$DIR/ca
{
	"$CTL" ca init --dir "$CA" && "$CTL" ca issue --dir "$CA" controller --san 127.0.0.1 &&
		"$CTL" ca issue --dir "$CA" hv1 && "$CTL" ca issue --dir "$CA" hv2
} >"$DIR/ca.log" 2>&1 || die "vnet-controller ca: cannot make the certificates" "$DIR/ca.log"
say "a CA and certificates for the controller, hv1 and hv2 (vnet-controller ca init / issue): $CA"
DB=$DIR/controller.db
for t in "${TENANTS[@]}"; do
	echo "pw-${OSUSER[$t]}" | "$CTL" user add --db "$DB" "${OSUSER[$t]}" --project "$t" --role member \
		>>"$DIR/controller.log" 2>&1 || die "vnet-controller user add ${OSUSER[$t]}" "$DIR/controller.log"
	say "user ${OSUSER[$t]}: project $t, role member (vnet-controller user add)"
done
CPORT=$(free_port)
URL=https://127.0.0.1:$CPORT
for t in "${TENANTS[@]}"; do # the openstack CLI's settings for each tenant's user
	cat >"$DIR/$t.rc" <<EOF
export OS_AUTH_URL=$URL/v3 OS_IDENTITY_API_VERSION=3 OS_CACERT=$CA/ca.pem
export OS_USERNAME=${OSUSER[$t]} OS_PASSWORD=pw-${OSUSER[$t]} OS_PROJECT_NAME=$t
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
EOF
done
spawn "$DIR/controller.log" "$CTL" serve --db "$DB" --listen "127.0.0.1:$CPORT" --poll-max 5 \
	--tls-cert "$CA/controller.pem" --tls-key "$CA/controller.key" --client-ca "$CA/ca.pem"
CTL_PID=$SYS_LAST_PID
wait_for "the controller answers" 10 curl -sf --cacert "$CA/ca.pem" "$URL/" -o /dev/null ||
	die "the controller does not answer on $URL" "$DIR/controller.log"
pass "vnet-controller serving $URL (pid $CTL_PID, store $DB, hosts' CA $CA/ca.pem)"

###############################################################################################
step "2/7 two hosts, hv1 and hv2: a vnetd and a vnet-agent each, VXLAN between them"
fabric_init
for h in "${HOSTS[@]}"; do
	v=${VNETD_OF[$h]}
	fabric_plug "$(sys_name "u$v")" "$(sys_name "p$v")"
	vnetd_config_underlay "$v" '{"revision": 0}' "{\"device\": \"net_af_packet0,iface=$(sys_name "u$v")\",
	  \"address\": \"${VTEP[$h]}/24\", \"mac\": \"02:00:c0:00:02:$([[ $h == hv1 ]] && echo 0b || echo 0c)\"}" \
		>"$DIR/$v.json"
	vnetd_start "$v" "$DIR/$v.json"
	APORT[$h]=$(free_port)
	spawn "$DIR/agent-$h.log" "$AGENT" --controller "$URL" --host "$h" --vtep "${VTEP[$h]}" \
		--vnetd "$(vnetd_sock "$v")" --state-dir "$DIR/state-$h" --cert "$CA/$h.pem" --key "$CA/$h.key" \
		--ca "$CA/ca.pem" --listen "127.0.0.1:${APORT[$h]}"
	wait_for "agent $h answers" 10 curl -sf "http://127.0.0.1:${APORT[$h]}/status" -o /dev/null ||
		die "the agent of $h does not answer on 127.0.0.1:${APORT[$h]}" "$DIR/agent-$h.log"
	pass "$h: vnetd (pid ${SYS_VNETD_PID[$v]}, VTEP ${VTEP[$h]}, socket $(vnetd_sock "$v")), vnet-agent (pid $SYS_LAST_PID, http://127.0.0.1:${APORT[$h]}/status)"
done

# os TENANT ARGS...: the openstack CLI as the tenant's user.
os() {
	(
		# shellcheck disable=SC1090
		source "$DIR/$1.rc"
		shift
		timeout 60 openstack "$@"
	)
}
agents_up() { [[ $(os red network agent list -f value -c Host -c Alive | grep -c True) == 2 ]]; }
wait_for "both hosts registered and alive" 20 agents_up ||
	die "the hosts did not register with the controller" "$DIR/agent-hv1.log" "$DIR/agent-hv2.log" "$DIR/controller.log"
printf '  $ openstack network agent list\n'
os red network agent list -c Host -c Alive -c State -c Binary | sed 's/^/  /'
pass "both hosts registered (each agent with its host's certificate: mutual TLS)"

###############################################################################################
step "3/7 the tenants, through the openstack CLI: red (user bob) and blue (user alice), the same plan"
say "networks front 10.0.1.0/24 and back 10.0.2.0/24, router r between them; group web admits"
say "pings from anywhere, group db pings from members of web only. Each user runs these commands"
say "in one openstack session (it reads them from its standard input), the two users at once:"
PLAN=(
	"network create front"
	"subnet create --network front --subnet-range 10.0.1.0/24 front"
	"network create back"
	"subnet create --network back --subnet-range 10.0.2.0/24 back"
	"router create r"
	"router add subnet r front"
	"router add subnet r back"
	"security group create web"
	"security group rule create --ingress --protocol icmp web"
	"security group create db"
	"security group rule create --ingress --protocol icmp --remote-group web db"
)
for n in "${NAMES[@]}"; do
	PLAN+=("port create --network ${NETW[$n]} --fixed-ip subnet=${NETW[$n]},ip-address=${IP[$n]} --host ${HOST[$n]} --security-group ${GROUP[$n]} $n")
done
printf '%s\n' "${PLAN[@]}" >"$DIR/plan"
printf '  $ openstack %s\n' "${PLAN[@]}"
sessions=()
for t in "${TENANTS[@]}"; do
	os "$t" <"$DIR/plan" >"$DIR/openstack-$t.log" 2>"$DIR/openstack-$t.err" &
	sessions+=($!)
done
i=0
for t in "${TENANTS[@]}"; do
	wait "${sessions[$i]}" && [[ ! -s $DIR/openstack-$t.err ]] ||
		die "the openstack CLI as ${OSUSER[$t]} (project $t): $(head -c 300 "$DIR/openstack-$t.err")" \
			"$DIR/openstack-$t.log" "$DIR/openstack-$t.err"
	i=$((i + 1))
done
for t in "${TENANTS[@]}"; do
	os "$t" port list -f value -c ID -c Name -c "MAC Address" >"$DIR/ports-$t" 2>>"$DIR/openstack-$t.log" ||
		die "openstack port list as ${OSUSER[$t]}" "$DIR/openstack-$t.log"
	while read -r id name mac; do
		[[ -n ${HOST[$name]:-} ]] || continue # the router's interfaces
		PORTID[$t/$name]=$id MAC[$t/$name]=$mac
	done <"$DIR/ports-$t"
	for n in "${NAMES[@]}"; do
		[[ -n ${PORTID[$t/$n]:-} ]] || die "tenant $t has no port $n" "$DIR/openstack-$t.log"
	done
done
pass "red and blue: 2 networks, 2 subnets, a router, 2 groups and 4 ports each, the same addresses"

###############################################################################################
step "4/7 containers: a network namespace for each port, handed to its host's agent"
say "POST http://127.0.0.1:PORT/v1/ports/ID/netns (what the CNI plugin vnet-cni does for podman);"
say "vnetd makes the veth in the namespace, the agent gives it the port's address and routes"
for t in "${TENANTS[@]}"; do
	for n in "${NAMES[@]}"; do
		ns=$SYS_TAG-$t-$n h=${HOST[$n]}
		NS[$t/$n]=$ns
		netns_add "$ns"
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		curl -sf -X POST "http://127.0.0.1:${APORT[$h]}/v1/ports/${PORTID[$t/$n]}/netns" \
			-d "{\"netns\": \"/run/netns/$ns\", \"ifname\": \"eth0\"}" >/dev/null ||
			die "the agent of $h did not take $ns for port $t/$n" "$DIR/agent-$h.log"
		printf '  %-5s %-5s on %s: namespace %s, port %s\n' "$t" "$n" "$h" "$ns" "${PORTID[$t/$n]}"
	done
done
addressed() { ip -n "$1" -o -4 addr show dev eth0 2>/dev/null | grep -q " $2/24 "; }
for t in "${TENANTS[@]}"; do
	for n in "${NAMES[@]}"; do
		wait_for "$t/$n addressed" 20 addressed "${NS[$t/$n]}" "${IP[$n]}" ||
			die "container $t/$n has no eth0 with ${IP[$n]} (${NS[$t/$n]})" "$DIR/agent-${HOST[$n]}.log" \
				"${SYS_VNETD_LOG[${VNETD_OF[${HOST[$n]}]}]}"
	done
done
# all_active TENANT: the containers' ports are ACTIVE (the router's interfaces stay DOWN: no vNICs)
all_active() { [[ $(os "$1" port list --device-owner '' -f value -c Status | grep -c ACTIVE) == "${#NAMES[@]}" ]]; }
for t in "${TENANTS[@]}"; do
	wait_for "$t's ports ACTIVE" 20 all_active "$t" ||
		die "$t's ports are not all ACTIVE: $(os "$t" port list -f value -c Name -c Status | tr '\n' ' ')" \
			"$DIR/agent-hv1.log" "$DIR/agent-hv2.log"
done
printf '  $ openstack port list --long -c Name -c "MAC Address" -c "Fixed IP Addresses" -c Status -c "Device Owner"   # as bob (red)\n'
os red port list --long -c Name -c "MAC Address" -c "Fixed IP Addresses" -c Status -c "Device Owner" | sed 's/^/  /'
pass "8 containers on eth0 with their ports' addresses; every port ACTIVE (the agents reported it)"

###############################################################################################
SOCK1=$(vnetd_sock h1) SOCK2=$(vnetd_sock h2)
# ping_from T/A B [COUNT]: container A of tenant T pings container B's address (of its own plan)
ping_from() { ping_ok "${NS[$1]}" "${IP[$2]}" "${3:-2}"; }

step "5/7 pings that work"
# The first pings may wait for the agents' last transactions and for ARP (answered by vnetd).
for t in "${TENANTS[@]}"; do
	wait_for "$t web1 reaches web2" 20 ping_from "$t/web1" web2 1 || true
	wait_for "$t web1 reaches db" 20 ping_from "$t/web1" db 1 || true
done
for t in "${TENANTS[@]}"; do
	check "$t: web1 (hv1) -> web2 10.0.1.12 (hv2): the same network, across hosts (VXLAN)" ping_from "$t/web1" web2
	check "$t: web1 (hv1) -> db 10.0.2.21 (hv2): routed by $t's router r, across hosts (db admits web)" ping_from "$t/web1" db
	check "$t: web2 (hv2) -> db 10.0.2.21 (hv2): routed on hv2" ping_from "$t/web2" db
	check "$t: db (hv2) -> web1 10.0.1.11 (hv1): routed back across hosts (web admits pings from anywhere)" ping_from "$t/db" web1
done

###############################################################################################
step "6/7 pings that must not work"
neigh_mac() { ip -n "$1" neigh show "$2" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
# Every echo request that reaches red's web2 and blue's web2 (both 10.0.1.12) from now on.
declare -A CAP=()
for t in "${TENANTS[@]}"; do
	capture_now "${NS[$t/web2]}" eth0 "$DIR/$t-web2.pcap" icmp and 'icmp[icmptype] == icmp-echo'
	CAP[$t]=$SYS_LAST_PID
done
echoes() { pcap_count "$DIR/$1-web2.pcap"; }
say "web1 of each tenant pings 10.0.1.12 three times; echo requests that reach each web2 (tcpdump in it):"
for t in "${TENANTS[@]}"; do
	o=$([[ $t == red ]] && echo blue || echo red)
	own0=$(echoes "$t") other0=$(echoes "$o")
	ping_from "$t/web1" web2 3 || true
	wait_for "$t/web2 saw the pings" 5 counter_at_least $((own0 + 3)) echoes "$t" || true
	own=$(($(echoes "$t") - own0)) other=$(($(echoes "$o") - other0))
	got=$(neigh_mac "${NS[$t/web1]}" 10.0.1.12)
	check "$t: web1 -> 10.0.1.12: $own echo requests reached $t's web2, $other $o's; web1 has 10.0.1.12 at $got ($t/web2's MAC)" \
		test "$own" == 3 -a "$other" == 0 -a "$got" == "${MAC[$t/web2]}"
done
# red's web1 addresses blue's web2 by its MAC: no such MAC in red's network, the frames stay in red.
before=$(echoes blue)
in_ns "${NS[red/web1]}" ip neigh replace 10.0.1.12 lladdr "${MAC[blue/web2]}" dev eth0 nud permanent
check "red: web1 -> 10.0.1.12 at blue's web2's MAC (${MAC[blue/web2]}, set by hand) fails" ping_fails "${NS[red/web1]}" 10.0.1.12
check "... and none of it reached blue's web2 (echo requests there: $before -> $(echoes blue))" test "$before" == "$(echoes blue)"
in_ns "${NS[red/web1]}" ip neigh del 10.0.1.12 dev eth0
for t in "${TENANTS[@]}"; do
	capture_stop "${CAP[$t]}"
done
# Group db admits pings from members of web only: jump is none.
for t in "${TENANTS[@]}"; do
	sg0=$(drop_count "$SOCK2" sg_denied)
	check "$t: jump (hv1, group default) -> db 10.0.2.21 (hv2, group db) fails: db admits pings from web's members only" \
		ping_fails "${NS[$t/jump]}" "${IP[db]}"
	sg1=$(drop_count "$SOCK2" sg_denied)
	check "... dropped by hv2's vnetd, by db's ingress rules: sg_denied $sg0 -> $sg1" test "$sg1" -gt "$sg0"
done

###############################################################################################
step "7/7 traces: vnetctl trace, the packet described in words (docs/vnetctl.md), in dry-run mode"
say "vnetd builds the packet, walks its real nodes with it and learns or sends nothing; at the"
say "sender's port, and at hv2's underlay as hv1 sends it there in VXLAN (in the output, ids are"
say "shown as names)."
# vnetctl prints ids: sed scripts that name them (tenant:name, tenant:group:name, and
# tenant:group:name:what for a group's rules).
lists=()
for t in "${TENANTS[@]}"; do # the openstack CLI reads commands from its standard input
	printf '%s -f json\n' "port list" "network list" "router list" "security group list" \
		"security group rule list" | os "$t" >"$DIR/objects-$t.json" 2>>"$DIR/openstack-$t.log" &
	lists+=($!)
done
wait "${lists[@]}"
"$PY" - "$DIR" "${TENANTS[@]}" 2>"$DIR/names.log" <<'PY' || die "cannot name the objects" "$DIR/names.log"
import json, sys
d, tenants = sys.argv[1], sys.argv[2:]
for t in tenants:
    text, lists, i = open(f"{d}/objects-{t}.json").read(), [], 0
    while text[i:].strip():  # the five lists, one after the other
        i += len(text[i:]) - len(text[i:].lstrip())
        obj, i = json.JSONDecoder().raw_decode(text, i)
        lists.append(obj)
    ports, nets, routers, groups, rules = lists
    group = {g["ID"]: g["Name"] for g in groups}
    names = {o["ID"]: f"{t}:{o['Name']}" for o in ports + nets + routers if o["Name"]}
    names.update({i: f"{t}:group:{n}" for i, n in group.items()})
    for r in rules:
        what = r["Direction"] + (f"-{r['IP Protocol']}" if r["IP Protocol"] else "")
        if r["Remote Security Group"]:
            what += "-from-" + group.get(r["Remote Security Group"], "?")
        if r["Ethertype"] == "IPv6":
            what += "-ipv6"
        names[r["ID"]] = f"{t}:group:{group.get(r['Security Group'], '?')}:{what}"
    # names.sed for tables (each name as wide as an id: the columns stay), names-short.sed
    with open(f"{d}/names.sed", "a") as f, open(f"{d}/names-short.sed", "a") as g:
        for i, n in names.items():
            print(f"s/{i}/{n:<{len(i)}}/g", file=f)
            print(f"s/{i}/{n}/g", file=g)
PY
# The VNIs of red's networks, from hv2's vnetd.
vni() { "$VNETCTL" -s "$SOCK2" show networks --json | sed -f "$DIR/names-short.sed" | json_get "[n['vni'] for n in d if n['id'] == '$1'][0]"; }
VNI_FRONT=$(vni red:front) && VNI_BACK=$(vni red:back) ||
	die "cannot read the VNIs of red's networks from hv2's vnetd" "${SYS_VNETD_LOG[h2]}"
# trace HOST PORT WANT WORDS...: trace the packet described by WORDS at PORT (tenant/name, or
# underlay) of HOST, print it (ids named), and check that its JSON verdict v satisfies the Python
# expression WANT.
trace() {
	local sock port=$2 want=$3 id
	sock=$(vnetd_sock "${VNETD_OF[$1]}")
	id=${PORTID[$port]:-$port}
	shift 3
	printf '\n  $ vnetctl -s %s trace --port %s %s%s\n' "$sock" "$id" "$*" "${PORTID[$port]:+   # $port}"
	"$VNETCTL" -s "$sock" trace --port "$id" "$@" | sed -f "$DIR/names-short.sed" | sed 's/^/  /'
	"$VNETCTL" -s "$sock" trace --port "$id" --json "$@" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)["verdict"]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$want"
}
TX_UNDERLAY='v["action"] == "tx" and v["ports"] == ["underlay"]'
check "red web1 -> web2 (10.0.1.12) at web1 on hv1: to hv2 in VXLAN (the same network, across hosts)" \
	trace hv1 red/web1 "$TX_UNDERLAY" to 10.0.1.12 icmp echo
check "red web1 -> db (10.0.2.21) at web1 on hv1: routed by red's r, to hv2 in VXLAN on back's VNI" \
	trace hv1 red/web1 "$TX_UNDERLAY" to 10.0.2.21 icmp echo
check "red web1 -> 10.0.1.12 at blue's web2's MAC, at web1 on hv1: no such MAC in red's front, flooded to red's VTEPs" \
	trace hv1 red/web1 "$TX_UNDERLAY" to 10.0.1.12 to-mac "${MAC[blue/web2]}" icmp echo
check "... the same at hv2 (VXLAN, red front's VNI $VNI_FRONT): flooded to red's web2 only, never to blue's" \
	trace hv2 underlay "v['action'] == 'tx' and v['ports'] == ['${PORTID[red/web2]}']" \
	vxlan vni "$VNI_FRONT" from-vtep "${VTEP[hv1]}" from 10.0.1.11 to 10.0.1.12 to-mac "${MAC[blue/web2]}" icmp echo
check "red jump -> db (10.0.2.21) at jump on hv1: jump's group lets it out, to hv2 in VXLAN" \
	trace hv1 red/jump "$TX_UNDERLAY" to 10.0.2.21 icmp echo
check "... the same at hv2 (VXLAN, red back's VNI $VNI_BACK): dropped at db's port, sg_denied (group db)" \
	trace hv2 underlay 'v["action"] == "drop" and v["reason"] == "sg_denied"' \
	vxlan vni "$VNI_BACK" from-vtep "${VTEP[hv1]}" from 10.0.2.22 to 10.0.2.21 icmp echo
# A real ping, traced live as it goes (the next matching packet at the port).
echo
say "and a real ping (red web1 -> db), traced live at web1's port on hv1 as it goes:"
live=$DIR/live-trace.log
printf '\n  $ vnetctl -s %s trace live --port %s --filter "icmp and dst host 10.0.2.21" --count 1   # red/web1\n' \
	"$SOCK1" "${PORTID[red/web1]}"
spawn "$live" "$VNETCTL" -s "$SOCK1" trace live --port "${PORTID[red/web1]}" \
	--filter "icmp and dst host 10.0.2.21" --count 1 --timeout 10
LIVE_PID=$SYS_LAST_PID
wait_for "the live trace armed" 5 grep -q armed "$live" || true
ping_from red/web1 db 1 || true
sys_reap "$LIVE_PID" 10
sed -f "$DIR/names-short.sed" "$live" | sed 's/^/  /'
check "the live trace: red web1's real echo request, routed by red's r to hv2 in VXLAN" \
	sh -c "sed -f '$DIR/names-short.sed' '$live' | grep -q 'ip_route .* router red:r: 10.0.2.0/24'"

###############################################################################################
step "where to look next"
show() { # show CMD...: print the command, run it, indent its output (ids named)
	printf '\n  $ %s\n' "$*"
	"$@" 2>&1 | sed -f "$DIR/names.sed" | sed 's/^/  /'
}
show "$VNETCTL" -s "$SOCK2" status
show "$VNETCTL" -s "$SOCK2" drops
show "$VNETCTL" -s "$SOCK2" show conntrack --tenant red
show curl -s "http://127.0.0.1:${APORT[hv2]}/status"
printf '\n\n'
if [[ $SYS_KEEP != 1 ]]; then
	cat <<EOF
  And (demo/run.sh --keep leaves all of it running, with the commands to try):
    vnetctl -s SOCK show ports | networks | routers | routes | macs | vteps | security-groups,
      drops --all, trace --port ID WORDS..., trace live --port ID --filter EXPR (docs/vnetctl.md)
    openstack port list --long | router show r | security group rule list, as each tenant's user
    each agent's /status and /metrics, the controller's /metrics, openstack network agent list
    the logs of the controller, of each agent and of each vnetd
EOF
else
	cat <<EOF
  Everything is left running (--keep). Try (add | sed -f $DIR/names.sed to name the ids):
    $VNETCTL -s $SOCK1 show ports       # hv1's vnetd
    $VNETCTL -s $SOCK2 show routes      # hv2's
    $VNETCTL -s $SOCK2 show security-groups
    $VNETCTL -s $SOCK2 drops
    $VNETCTL -s $SOCK1 trace --port ${PORTID[blue/web1]} to 10.0.2.21 icmp echo   # blue web1
    $VNETCTL -s $SOCK2 trace live --port ${PORTID[blue/db]} --filter icmp --count 4 --timeout 60   # blue db, meanwhile ping it
    ip netns exec ${NS[blue/web1]} ping -c 3 10.0.2.21    # blue web1 -> blue db
    ip netns exec ${NS[blue/jump]} ping -c 3 10.0.2.21    # blue jump -> blue db: denied
    . $DIR/blue.rc; openstack port list --long      # as alice (blue); red.rc: bob (red)
    curl -s http://127.0.0.1:${APORT[hv1]}/status       # hv1's agent (hv2's: port ${APORT[hv2]}); /metrics
    curl -s --cacert $CA/ca.pem $URL/metrics       # the controller
    less $DIR/{controller,agent-hv1,agent-hv2,vnetd-h1,vnetd-h2}.log
EOF
fi
echo
if ((SYS_FAILED > 0)); then
	printf 'FAIL: %d expectation(s) failed\n' "$SYS_FAILED"
	exit 1
fi
pass "demo: every expectation held ($((SECONDS - SYS_T0)) s)"
