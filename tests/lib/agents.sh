# SPDX-License-Identifier: BSD-3-Clause
# The whole system for a test (issue 12): a vnet-controller (HTTPS, SQLite) with its CA and the
# hosts' certificates, hosts (a vnetd each on the VXLAN fabric of tests/lib/overlay.sh and a
# vnet-agent each with its host's certificate), a tenant user, and helpers to make ports and
# containers through the API. Source after sys.sh and overlay.sh, after sys_init.
#
#   ag_controller_start                 CA, certificates for hv1 and hv2, user alice (project
#                                       blue), the controller on a free port; sets URL, TOKEN
#                                       (more `serve` options: set AG_CTL_ARGS=(...) before)
#   ag_controller_serve                 (again, after a kill) the controller on the same port
#   ag_hosts_start                      hv1 and hv2: fabric, vnetd h1 and h2, agents hv1 and hv2
#   ag_agent_start hvN                  (again) the agent of host hvN
#   api METHOD PATH [BODY]              the tenant's request; its answer's body
#   ag_port NAME HOST [JSON-MEMBERS]    a port in $NET: its id (its address in $SYS_TMP/NAME.ip)
#   ag_container NS PORT-ID HOST        a namespace for the port's container, told to HOST's agent
#   ag_status hvN                       the agent's /status
#   ag_host_rules hvN                   the host's compiled document, as it reads it (its
#                                       certificate): {"revision", "document"}
#   ag_stream NS ADDR SECONDS           a 100/s ping stream; prints "sent received"

CTL=${VNET_CONTROLLER:-$(dirname "$VNETD")/controller-agent/vnet-controller}
AGENT=${VNET_AGENT:-$(dirname "$VNETD")/controller-agent/vnet-agent}
[[ -x $CTL && -x $AGENT ]] || fail "no vnet-controller or vnet-agent next to $VNETD"
VTEP1=192.0.2.11 VTEP2=192.0.2.12
declare -A APORT AGENT_PID
[[ -n ${AG_CTL_ARGS+set} ]] || AG_CTL_ARGS=()

ag_free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ag_controller_start() {
	CA=$SYS_TMP/ca
	"$CTL" ca init --dir "$CA" >/dev/null && "$CTL" ca issue --dir "$CA" controller --san 127.0.0.1 >/dev/null &&
		"$CTL" ca issue --dir "$CA" hv1 >/dev/null && "$CTL" ca issue --dir "$CA" hv2 >/dev/null || fail "certificates"
	DB=$SYS_TMP/controller.db
	echo pw-alice | "$CTL" user add --db "$DB" alice --project blue --role member || fail "user add"
	CPORT=$(ag_free_port)
	URL=https://127.0.0.1:$CPORT
	ag_controller_serve
	TOKEN=$(curl -s -i --cacert "$CA/ca.pem" -X POST "$URL/v3/auth/tokens" -H 'Content-Type: application/json' -d \
		'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "alice",
		  "domain": {"name": "Default"}, "password": "pw-alice"}}}, "scope": {"project": {"name": "blue",
		  "domain": {"name": "Default"}}}}}' | tr -d '\r' | sed -n 's/^X-Subject-Token: //p')
	[[ -n $TOKEN ]] || fail "no token"
}

ag_controller_serve() {
	spawn "$SYS_TMP/controller.log" "$CTL" serve --db "$DB" --listen "127.0.0.1:$CPORT" --poll-max 5 \
		--tls-cert "$CA/controller.pem" --tls-key "$CA/controller.key" --client-ca "$CA/ca.pem" \
		"${AG_CTL_ARGS[@]}"
	CTL_PID=$SYS_LAST_PID
	wait_for "the controller answers" 10 curl -sf --cacert "$CA/ca.pem" "$URL/" -o /dev/null ||
		fail "no controller: $(cat "$SYS_TMP/controller.log")"
}

api() {
	curl -sf --cacert "$CA/ca.pem" -X "$1" "$URL$2" -H "X-Auth-Token: $TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"}
}

ag_hosts_start() {
	U1=$(sys_name u1) U1P=$(sys_name u1p) U2=$(sys_name u2) U2P=$(sys_name u2p)
	fabric_init
	fabric_plug "$U1" "$U1P"
	fabric_plug "$U2" "$U2P"
	vnetd_config_underlay h1 '{"revision": 0}' \
		"{\"device\": \"net_af_packet0,iface=$U1\", \"address\": \"$VTEP1/24\", \"mac\": \"02:00:c0:00:02:0b\"}" >"$SYS_TMP/h1.json"
	vnetd_config_underlay h2 '{"revision": 0}' \
		"{\"device\": \"net_af_packet0,iface=$U2\", \"address\": \"$VTEP2/24\", \"mac\": \"02:00:c0:00:02:0c\"}" >"$SYS_TMP/h2.json"
	vnetd_start h1 "$SYS_TMP/h1.json"
	vnetd_start h2 "$SYS_TMP/h2.json"
	ag_agent_start hv1
	ag_agent_start hv2
	wait_for "both hosts registered" 10 sh -c "curl -sf --cacert $CA/ca.pem -H 'X-Auth-Token: $TOKEN' $URL/v2.0/agents | grep -q hv2" ||
		fail "hosts not registered: $(cat "$SYS_TMP"/agent-*.log)"
}

ag_agent_start() {
	local h=$1
	[[ -n ${APORT[$h]:-} ]] || APORT[$h]=$(ag_free_port)
	spawn "$SYS_TMP/agent-$h.log" "$AGENT" --controller "$URL" --host "$h" \
		--vtep "$([[ $h == hv1 ]] && echo $VTEP1 || echo $VTEP2)" --vnetd "$(vnetd_sock "h${h#hv}")" \
		--state-dir "$SYS_TMP/state-$h" --cert "$CA/$h.pem" --key "$CA/$h.key" --ca "$CA/ca.pem" \
		--listen "127.0.0.1:${APORT[$h]}"
	AGENT_PID[$h]=$SYS_LAST_PID
	wait_for "agent $h answers" 10 curl -sf "http://127.0.0.1:${APORT[$h]}/status" -o /dev/null ||
		fail "agent $h: $(cat "$SYS_TMP/agent-$h.log")"
}

ag_status() { curl -sf "http://127.0.0.1:${APORT[$1]}/status"; }

ag_host_rules() {
	curl -sf --cacert "$CA/ca.pem" --cert "$CA/$1.pem" --key "$CA/$1.key" "$URL/vnet/v1/hosts/$1/rules"
}

ag_port() {
	api POST /v2.0/ports "{\"port\": {\"name\": \"$1\", \"network_id\": \"$NET\", \"binding:host_id\": \"$2\"${3:+, $3}}}" >"$SYS_TMP/$1.json" || fail "port $1"
	json_get "d['port']['fixed_ips'][0]['ip_address']" <"$SYS_TMP/$1.json" >"$SYS_TMP/$1.ip"
	json_get "d['port']['id']" <"$SYS_TMP/$1.json"
}

ag_container() {
	netns_add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	curl -sf -X POST "http://127.0.0.1:${APORT[$3]}/v1/ports/$2/netns" -d "{\"netns\": \"/run/netns/$1\", \"ifname\": \"eth0\"}" >/dev/null ||
		fail "agent $3 did not take $1's namespace"
}

ag_stream() {
	ip netns exec "$1" ping -n -q -i 0.01 -c "$(($3 * 100))" -W 1 "$2" 2>/dev/null | "$PY" -c '
import re, sys
m = re.search(r"(\d+) packets transmitted, (\d+) received", sys.stdin.read())
print(m.group(1), m.group(2)) if m else print("0 0")'
}
