#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vnet-controller's tenant API driven by the real `openstack` CLI (python3-openstackclient) and by
# curl: Identity v3 tokens for users of two projects, a reader and an admin; networks created,
# listed, shown, renamed, their MTU set, deleted; each project sees and changes only its own (the
# other's are 404), a reader cannot write, admin sees all and the VNIs; wrong passwords, missing,
# forged and expired tokens are 401; bad bodies are 400 with the attribute named and change
# nothing; what was written survives a restart of the controller.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init ctla
command -v openstack >/dev/null || fail "the openstack CLI is not installed (scripts/setup.sh installs python3-openstackclient)"
CTL=${VNET_CONTROLLER:-$(dirname "$VNETD")/controller-agent/vnet-controller}
[[ -x $CTL ]] || fail "no vnet-controller at $CTL"
DB=$SYS_TMP/controller.db
if [[ ${CTL_STORE:-sqlite} == etcd ]]; then # the same suite on the etcd backend
	# shellcheck source=SCRIPTDIR/../lib/etcd.sh
	source "$(dirname "$0")/../lib/etcd.sh"
	etcd_cluster 1
	DB=etcd:$ETCD_URLS
fi
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT

for u in "alice blue member" "bob red member" "carol blue reader" "root admin admin"; do
	set -- $u
	echo "pw-$1" | "$CTL" user add --db "$DB" "$1" --project "$2" --role "$3" || fail "user add $1"
done
VH=$SYS_TMP/vhost
start() { # [extra args]
	spawn "$SYS_TMP/controller.log" "$CTL" serve --db "$DB" --listen "127.0.0.1:$PORT" \
		--vhost-dir "$VH" --poll-max 20 "$@"
	CTL_PID=$SYS_LAST_PID
	wait_for "the controller answers" 10 curl -sf "$URL/" -o /dev/null || fail "no controller: $(cat "$SYS_TMP/controller.log")"
}
start
os() { # user command...: the openstack CLI as that user (of that user's project)
	local user=$1 project
	shift
	case $user in alice | carol) project=blue ;; bob) project=red ;; root) project=admin ;; esac
	OS_AUTH_URL=$URL/v3 OS_IDENTITY_API_VERSION=3 OS_USERNAME=$user OS_PASSWORD=pw-$user \
		OS_PROJECT_NAME=$project OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
		timeout 60 openstack "$@"
}
token() { # user password project: a token, or nothing
	curl -s -i -X POST "$URL/v3/auth/tokens" -H 'Content-Type: application/json' -d \
		"{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"$1\",
		  \"domain\": {\"name\": \"Default\"}, \"password\": \"$2\"}}}, \"scope\": {\"project\": {\"name\": \"$3\",
		  \"domain\": {\"name\": \"Default\"}}}}}" | tr -d '\r' | sed -n 's/^X-Subject-Token: //p'
}
status() { # method path token [body]: the HTTP status (the body in $SYS_TMP/body)
	curl -s -o "$SYS_TMP/body" -w '%{http_code}' -X "$1" "$URL$2" -H "X-Auth-Token: $3" \
		${4:+-H 'Content-Type: application/json' -d "$4"}
}

# ---- the openstack CLI, as a tenant -------------------------------------------------------------
os alice network create web -f json >"$SYS_TMP/web.json" || fail "openstack network create web"
WEB=$(json_get "d['id']" <"$SYS_TMP/web.json")
[[ $(json_get "d['project_id']" <"$SYS_TMP/web.json") == blue ]] || fail "web's project: $(cat "$SYS_TMP/web.json")"
os alice network create db --mtu 1400 --disable -f json >"$SYS_TMP/db.json" || fail "network create db"
[[ $(json_get "d['mtu']" <"$SYS_TMP/db.json") == 1400 && $(json_get "d['admin_state_up']" <"$SYS_TMP/db.json") == False ]] ||
	fail "db: $(cat "$SYS_TMP/db.json")"
[[ $(os alice network list -f value -c Name | sort | tr '\n' ' ') == "db web " ]] || fail "alice's list: $(os alice network list)"
[[ $(os alice network show web -f value -c id) == "$WEB" ]] || fail "show web by name"
os alice network set --name www --mtu 1300 web || fail "network set"
[[ $(os alice network show www -f value -c mtu) == 1300 ]] || fail "web was not renamed www with mtu 1300"
[[ $(os alice network show www -f value -c revision_number) == 1 ]] || fail "revision_number after one update"
os alice network delete db || fail "network delete db"
[[ $(os alice network list -f value -c Name) == www ]] || fail "after the delete: $(os alice network list)"
pass "openstack CLI: network create (with --mtu, --disable), list, show, set (name, mtu), delete"

# ---- subnets and ports: IPAM -----------------------------------------------------------------
os alice subnet create --network www --subnet-range 10.1.0.0/24 --dns-nameserver 10.1.0.53 s4 -f json >"$SYS_TMP/s4.json" ||
	fail "subnet create s4"
[[ $(json_get "d['gateway_ip'] + ' ' + d['allocation_pools'][0]['start'] + '-' + d['allocation_pools'][0]['end']" <"$SYS_TMP/s4.json") == "10.1.0.1 10.1.0.2-10.1.0.254" ]] ||
	fail "s4's defaults: $(cat "$SYS_TMP/s4.json")"
os alice subnet create --network www --subnet-range fd00:1::/64 --ip-version 6 --ipv6-ra-mode slaac \
	--ipv6-address-mode slaac s6 >/dev/null || fail "subnet create s6 (SLAAC)"
out=$(os alice subnet create --network www --subnet-range 10.1.0.128/25 s4b 2>&1) && fail "an overlapping subnet was created"
[[ $out == *overlaps* ]] || fail "overlap: $out"
out=$(os alice subnet create --network www --subnet-range 10.2.0.1/24 s4c 2>&1) && fail "a CIDR with host bits was accepted"
[[ $out == *"'10.2.0.0/24' is recommended"* ]] || fail "host bits: $out"
out=$(os alice subnet create --network www --subnet-range 10.3.0.0/24 --gateway 10.4.0.1 s4d 2>&1) && fail "a gateway outside was accepted"
[[ $out == *gateway_ip* ]] || fail "gateway outside: $out"
os alice port create --network www p1 -f json >"$SYS_TMP/p1.json" || fail "port create p1"
"$PY" - "$SYS_TMP/p1.json" <<'PY' || fail "p1: $(cat "$SYS_TMP/p1.json")"
import json, sys
p = json.load(open(sys.argv[1]))
mac = p["mac_address"]
assert mac.startswith("fa:16:3e:") and p["status"] == "DOWN", p
ips = sorted(f["ip_address"] for f in p["fixed_ips"])
m = [int(x, 16) for x in mac.split(":")]
slaac = "fd00:1::%x:%x:%x:%x" % ((m[0] ^ 2) << 8 | m[1], m[2] << 8 | 0xff, 0xfe << 8 | m[3], m[4] << 8 | m[5])
assert ips == ["10.1.0.2", slaac], (ips, slaac)
PY
os alice port create --network www --fixed-ip subnet=s4,ip-address=10.1.0.50 --host hv1 p2 -f value -c binding_vif_type >/dev/null ||
	fail "port create p2 with an address"
out=$(os alice port create --network www --fixed-ip subnet=s4,ip-address=10.1.0.50 p3 2>&1) && fail "an address in use was given twice"
[[ $out == *"already allocated"* ]] || fail "address in use: $out"
out=$(os alice port create --network www --fixed-ip subnet=s4,ip-address=10.9.0.5 p3 2>&1) && fail "an address outside its subnet was accepted"
out=$(os alice network delete www 2>&1) && fail "a network with ports was deleted"
out=$(os alice subnet delete s4 2>&1) && fail "a subnet with ports was deleted"
[[ $(os alice port list -f value -c Name | sort | tr '\n' ' ') == "p1 p2 " ]] || fail "ports: $(os alice port list)"
os alice port delete p1 p2 || fail "port delete"
pass "subnets and ports: defaults (gateway, pool), SLAAC addresses from the MAC, overlap / host bits / gateway refused; addresses allocated, in use refused (409); networks and subnets in use not deleted"

# ---- security groups ---------------------------------------------------------------------------
[[ $(os alice security group list -f value -c Name) == default ]] || fail "alice's groups: $(os alice security group list)"
[[ $(os alice security group rule list default -f value -c Direction -c Ethertype -c "Remote Security Group" | sort |
	awk '{print $2, $1, ($3 == "None" ? "any" : "group")}' | sort | tr '\n' ';') == "egress IPv4 any;egress IPv6 any;ingress IPv4 group;ingress IPv6 group;" ]] ||
	fail "the default group's rules: $(os alice security group rule list default)"
os alice security group create web >/dev/null || fail "security group create"
os alice security group rule create --ingress --protocol tcp --dst-port 80 --remote-ip 10.0.0.0/8 web >/dev/null || fail "rule create"
out=$(os alice security group rule create --ingress --protocol tcp --dst-port 80 --remote-ip 10.0.0.0/8 web 2>&1) && fail "a duplicate rule was created"
[[ $out == *"already exists"* ]] || fail "duplicate rule: $out"
out=$(os alice security group rule create --ingress --protocol icmp --ethertype IPv6 web 2>&1) && fail "icmp with IPv6 accepted"
out=$(os alice security group rule create --ingress --protocol tcp --dst-port 90:80 web 2>&1) && fail "a reversed port range accepted"
WEBSG=$(os alice security group show web -f value -c id)
[[ $(status POST /v2.0/security-group-rules "$(token alice pw-alice blue)" "{\"security_group_rule\": {\"security_group_id\": \"$WEBSG\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 443, \"port_range_max\": 443, \"vnet:l7\": {\"tls\": {\"sni\": [\"*.shop.example\"]}}}}") == 201 ]] ||
	fail "a rule with vnet:l7: $(cat "$SYS_TMP/body")"
os alice port create --network www --security-group web p4 -f value -c security_group_ids | grep -q "$WEBSG" || fail "port with group web"
[[ $(os alice port create --network www p5 -f value -c security_group_ids) == *"$(os alice security group show default -f value -c id)"* ]] ||
	fail "a new port is not in the default group"
out=$(os alice security group delete web 2>&1) && fail "a group in use was deleted"
out=$(os alice security group delete default 2>&1) && fail "the default group was deleted"
[[ -z $(os bob security group list -f value -c ID | grep "$WEBSG") ]] || fail "bob sees alice's group"
os alice port delete p4 p5 || fail "port delete p4 p5"
pass "security groups: each project's default (egress any, ingress from members), rules with ports, prefixes and vnet:l7; duplicates, icmp with IPv6, reversed ranges refused; ports default to it; groups in use and default not deleted"

# ---- routers -------------------------------------------------------------------------------------
os alice network create lan2 >/dev/null && os alice subnet create --network lan2 --subnet-range 10.2.0.0/24 s2 >/dev/null &&
	os alice network create lan3 >/dev/null && os alice subnet create --network lan3 --subnet-range 10.1.0.0/25 s3 >/dev/null ||
	fail "networks for the router"
os alice router create r1 >/dev/null || fail "router create"
os alice router add subnet r1 s4 && os alice router add subnet r1 s2 || fail "router add subnet"
[[ $(os alice port list --router r1 -f value -c "Fixed IP Addresses" | grep -oE "10\.[0-9]+\.0\.[0-9]+" | sort | tr '\n' ' ') == "10.1.0.1 10.2.0.1 " ]] ||
	fail "the router's interfaces: $(os alice port list --router r1)"
out=$(os alice router add subnet r1 s3 2>&1) && fail "an overlapping subnet joined the router"
[[ $out == *overlaps* ]] || fail "overlap on the router: $out"
os alice router set --route destination=192.168.0.0/16,gateway=10.1.0.99 r1 || fail "router set --route"
[[ $(os alice router show r1 -f value -c routes) == *192.168.0.0/16* ]] || fail "the route: $(os alice router show r1)"
out=$(os alice router set --route destination=172.16.0.0/12,gateway=10.9.0.1 r1 2>&1) && fail "a route via an unconnected next hop"
[[ $out == *"not connected"* ]] || fail "unconnected next hop: $out"
out=$(os bob router add subnet "$(os alice router show r1 -f value -c id)" s4 2>&1) && fail "bob added to alice's router"
out=$(os alice router delete r1 2>&1) && fail "a router with interfaces was deleted"
os alice router set --no-route r1 && os alice router remove subnet r1 s2 && os alice router remove subnet r1 s4 &&
	os alice router delete r1 || fail "router teardown"
os alice network delete lan2 lan3 || fail "network delete lan2 lan3"
pass "routers: interfaces on subnets (the gateway addresses), overlapping subnets on one router refused, routes via connected next hops only, another project's router 404, in use not deleted"

# ---- projects apart; reader; admin --------------------------------------------------------------
os bob network create web -f value -c id >/dev/null || fail "bob's network"
[[ $(os bob network list -f value -c Name) == web ]] || fail "bob sees: $(os bob network list)"
os bob network show "$WEB" >/dev/null 2>&1 && fail "bob sees alice's network"
BOB=$(token bob pw-bob red)
[[ -n $BOB ]] || fail "no token for bob"
[[ $(status GET "/v2.0/networks/$WEB" "$BOB") == 404 ]] || fail "bob GET alice's network: not 404"
grep -q '"type":"NetworkNotFound"' "$SYS_TMP/body" || fail "bob's 404 is not Neutron's: $(cat "$SYS_TMP/body")"
[[ $(status PUT "/v2.0/networks/$WEB" "$BOB" '{"network": {"name": "mine"}}') == 404 ]] || fail "bob PUT alice's network"
[[ $(status DELETE "/v2.0/networks/$WEB" "$BOB") == 404 ]] || fail "bob DELETE alice's network"
[[ $(os alice network show "$WEB" -f value -c name) == www ]] || fail "alice's network changed by bob"
[[ $(os carol network list -f value -c Name) == www ]] || fail "carol (reader of blue) sees: $(os carol network list)"
os carol network create nope >/dev/null 2>&1 && fail "a reader created a network"
CAROL=$(token carol pw-carol blue)
[[ $(status PUT "/v2.0/networks/$WEB" "$CAROL" '{"network": {"name": "x"}}') == 403 ]] || fail "reader PUT: not 403"
[[ $(status DELETE "/v2.0/networks/$WEB" "$CAROL") == 403 ]] || fail "reader DELETE: not 403"
[[ $(os root network list -f value -c Name | sort | tr '\n' ' ') == "web www " ]] || fail "admin sees: $(os root network list)"
[[ $(os root network show "$WEB" -f value -c provider:segmentation_id) =~ ^[0-9]+$ ]] || fail "admin does not see the VNI"
[[ $(os alice network show "$WEB" -f value -c provider:segmentation_id) == None ]] || fail "a member sees the VNI"
pass "projects apart: bob gets 404 for alice's network (GET, PUT, DELETE); carol (reader) lists, cannot write (403); admin sees all and the VNIs"

# ---- hosts: registration, the compiled rules, long poll, status ----------------------------------
ROOT=$(token root pw-root admin)
hostreq() { # method path [body]: as the agents (admin)
	curl -s -X "$1" "$URL$2" -H "X-Auth-Token: $ROOT" ${3:+-d "$3"}
}
[[ $(status POST /vnet/v1/hosts "$(token alice pw-alice blue)" '{"name": "hv9", "vtep": "192.0.2.19"}') == 403 ]] ||
	fail "a member registered a host"
hostreq POST /vnet/v1/hosts '{"name": "hv1", "vtep": "192.0.2.11"}' | grep -q '"vtep":"192.0.2.11"' || fail "register hv1"
hostreq POST /vnet/v1/hosts '{"name": "hv2", "vtep": "192.0.2.12"}' | grep -q '"vtep":"192.0.2.12"' || fail "register hv2"
[[ $(status POST /vnet/v1/hosts "$ROOT" '{"name": "bad name", "vtep": "192.0.2.13"}') == 400 ]] || fail "a bad host name"
[[ $(status POST /vnet/v1/hosts "$ROOT" '{"name": "hv3", "vtep": "224.0.0.1"}') == 400 ]] || fail "a multicast VTEP"
os alice network create n1 >/dev/null && os alice subnet create --network n1 --subnet-range 10.11.0.0/24 s11 >/dev/null &&
	os alice network create n2 >/dev/null && os alice subnet create --network n2 --subnet-range 10.12.0.0/24 s12 >/dev/null &&
	os alice router create r2 >/dev/null && os alice router add subnet r2 s11 && os alice router add subnet r2 s12 ||
	fail "n1, n2 and r2"
VM1=$(os alice port create --network n1 --host hv1 --device-owner compute:nova vm1 -f value -c id) &&
	os alice port create --network n2 --host hv2 --device-owner compute:nova vm2 >/dev/null &&
	os alice port create --network n1 --host hv2 c3 >/dev/null || fail "ports on hv1 and hv2"
hostreq GET /vnet/v1/hosts/hv1/rules >"$SYS_TMP/hv1.json"
"$PY" - "$SYS_TMP/hv1.json" "$VM1" "$VH" <<'PY' || fail "hv1's document: $(cat "$SYS_TMP/hv1.json")"
import json, sys
r = json.load(open(sys.argv[1])); vm1, vh = sys.argv[2], sys.argv[3]
d = r["document"]
assert d["revision"] == r["revision"] > 0, r["revision"]
assert [p["id"] for p in d["ports"]] == [vm1], d["ports"]
p = d["ports"][0]
assert p["device"] == "vhost:%s/vhu%s.sock,server" % (vh, vm1[:11]) and p["kind"] == "vm", p
assert p["ips"] == ["10.11.0.2"] and p["port_security"] and len(p["security_groups"]) == 1, p
rp = sorted((x["ips"][0], x["vtep"]) for x in d["remote_ports"])
assert rp == [("10.11.0.3", "192.0.2.12"), ("10.12.0.2", "192.0.2.12")], rp
nets = {n["vni"]: n for n in d["networks"]}
assert len(nets) == 2 and all(n["flood_vteps"] == ["192.0.2.12"] and n.get("router") == d["routers"][0]["id"]
                              for n in nets.values()), d["networks"]
assert sorted(s["gateway"] for n in nets.values() for s in n["subnets"]) == ["10.11.0.1", "10.12.0.1"]
assert [g["id"] for g in d["security_groups"]] == p["security_groups"], d["security_groups"]
assert {r["direction"] for r in d["security_groups"][0]["rules"]} == {"ingress", "egress"}
json.dump(d, open(sys.argv[1] + ".doc", "w"))
PY
REV=$(json_get "d['revision']" <"$SYS_TMP/hv1.json")
# The document is one vnetd takes as it is.
ensure_hugepages
"$PY" - "$SYS_TMP/vnetd.json" "$SYS_TAG" "$SYS_TMP" "$SYS_VNETD_MB" <<'PY'
import json, sys
path, tag, tmp, mb = sys.argv[1:]
json.dump({"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", tag + "-v", "-m", mb],
           "socket": tmp + "/v.sock", "idle_sleep_max_us": 1000,
           "underlay": {"device": "net_null39,no-rx=1", "address": "192.0.2.11/24", "mac": "02:00:c0:00:02:0b",
                        "static_neighbors": [{"ip": "192.0.2.12", "mac": "02:00:c0:00:02:0c"}]},
           "rules": {"revision": 0}}, open(path, "w"))
PY
mkdir -p "$VH"
vnetd_start v "$SYS_TMP/vnetd.json"
"$VNETCTL" -s "$(vnetd_sock v)" apply "$SYS_TMP/hv1.json.doc" >"$SYS_TMP/apply.out" 2>&1 ||
	fail "vnetd refused hv1's document: $(cat "$SYS_TMP/apply.out")"
grep -q "applied revision $REV" "$SYS_TMP/apply.out" || fail "apply: $(cat "$SYS_TMP/apply.out")"
[[ -S $VH/vhu${VM1:0:11}.sock ]] || fail "vnetd did not make vm1's vhost-user socket"
pass "hosts: registered by the agents' (admin) API only; hv1's document (its port with its vhost-user device, the remote ports with hv2's VTEP, both routed networks with flood lists, the router, the default group) is applied by vnetd as it is (revision $REV)"
# Long poll: a GET from the revision it has returns when a change comes.
spawn "$SYS_TMP/poll.json" curl -s "$URL/vnet/v1/hosts/hv1/rules?since=$REV" -H "X-Auth-Token: $ROOT"
POLL=$SYS_LAST_PID
os alice port create --network n2 --host hv1 --device-owner compute:nova vm4 >/dev/null || fail "port vm4"
wait_for "the long poll returns" 10 sh -c "! kill -0 $POLL 2>/dev/null" || fail "the long poll did not return on a change"
"$PY" - "$SYS_TMP/poll.json" "$REV" <<'PY' || fail "the long poll's answer: $(cat "$SYS_TMP/poll.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["revision"] > int(sys.argv[2]) and sorted(p["ips"][0] for p in r["document"]["ports"]) == ["10.11.0.2", "10.12.0.3"], r
PY
# Ops: vnetd takes the new document, then a poll with ops=1 from its revision. Another project's
# port on hv2 leaves hv1's document as it is: the poll does not answer until a port of hv1's
# networks comes, and then answers with just what changed, which vnetd applies.
"$PY" -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))["document"], open(sys.argv[1] + ".doc", "w"))' "$SYS_TMP/poll.json"
"$VNETCTL" -s "$(vnetd_sock v)" apply "$SYS_TMP/poll.json.doc" >"$SYS_TMP/apply.out" 2>&1 ||
	fail "vnetd refused the polled document: $(cat "$SYS_TMP/apply.out")"
REV2=$(json_get "d['revision']" <"$SYS_TMP/poll.json")
spawn "$SYS_TMP/poll2.json" curl -s "$URL/vnet/v1/hosts/hv1/rules?since=$REV2&ops=1" -H "X-Auth-Token: $ROOT"
POLL=$SYS_LAST_PID
os bob network create other >/dev/null && os bob subnet create --network other --subnet-range 10.50.0.0/24 other4 >/dev/null &&
	os bob port create --network other --host hv2 --device-owner compute:nova elsewhere >/dev/null || fail "bob's port"
UNRELATED=$(curl -s "$URL/metrics" | sed -n 's/^vnet_controller_store_revision //p')
os alice port create --network n2 --host hv2 --device-owner compute:nova vm5 >/dev/null || fail "port vm5"
VM5_MAC=$(os alice port show vm5 -f value -c mac_address)
wait_for "the ops poll returns" 10 sh -c "! kill -0 $POLL 2>/dev/null" || fail "the ops poll did not return"
"$PY" - "$SYS_TMP/poll2.json" "$REV2" "$UNRELATED" "$VM5_MAC" <<'PY' || fail "the ops answer: $(cat "$SYS_TMP/poll2.json")"
import json, sys
r = json.load(open(sys.argv[1]))
base, unrelated, mac = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert r["base"] == base and r["revision"] > unrelated, r
ops = sorted((o["op"], o["kind"]) for o in r["ops"])
assert ops == [("add", "remote_port")], ops  # hv2 is in n2's flood list already
add = [o for o in r["ops"] if o["op"] == "add"][0]["object"]
assert add["mac"] == mac and add["vtep"] == "192.0.2.12", add
json.dump({"revision": r["revision"], "ops": r["ops"]}, open(sys.argv[1] + ".tx", "w"))
PY
REV3=$(json_get "d['revision']" <"$SYS_TMP/poll2.json")
"$VNETCTL" -s "$(vnetd_sock v)" apply "$SYS_TMP/poll2.json.tx" >"$SYS_TMP/apply.out" 2>&1 ||
	fail "vnetd refused the ops: $(cat "$SYS_TMP/apply.out")"
grep -q "applied revision $REV3" "$SYS_TMP/apply.out" || fail "apply ops: $(cat "$SYS_TMP/apply.out")"
pass "ops: another project's port leaves hv1's poll waiting; vm5 on hv1's network answers it with just a remote port added, which vnetd applies (revision $REV3)"
hostreq POST /vnet/v1/hosts/hv1/status "{\"revision\": $REV, \"ports\": {\"$VM1\": \"ACTIVE\"}}" >/dev/null
[[ $(os alice port show vm1 -f value -c status) == ACTIVE ]] || fail "vm1 did not become ACTIVE"
hostreq POST /vnet/v1/hosts/hv1/status "{\"revision\": $REV, \"ports\": {\"$(os alice port show vm2 -f value -c id)\": \"ACTIVE\"}}" >/dev/null
[[ $(os alice port show vm2 -f value -c status) == DOWN ]] || fail "hv1 set the state of hv2's port"
[[ $(os root network agent list -f value -c Host -c Alive | sort | tr '\n' ' ') == "hv1 True hv2 True " ]] ||
	fail "network agent list: $(os root network agent list)"
curl -s "$URL/metrics" >"$SYS_TMP/metrics"
grep -q '^vnet_controller_hosts{state="alive"} 2$' "$SYS_TMP/metrics" &&
	grep -q '^vnet_controller_host_revisions_behind{host="hv1"} [0-9]' "$SYS_TMP/metrics" &&
	grep -qE '^vnet_controller_requests_total\{code="2xx"\} [1-9]' "$SYS_TMP/metrics" ||
	fail "/metrics: $(cat "$SYS_TMP/metrics")"
os alice port delete vm1 vm2 c3 vm4 vm5 && os bob port delete elsewhere && os bob network delete other && os alice router remove subnet r2 s11 && os alice router remove subnet r2 s12 &&
	os alice router delete r2 && os alice network delete n1 n2 || fail "teardown of the hosts' objects"
pass "hosts: a long poll returns at the next change with the new port; a host's report makes its port ACTIVE (not another host's); openstack network agent list and /metrics show both hosts alive"

# ---- authentication -----------------------------------------------------------------------------
[[ -z $(token alice wrong blue) ]] || fail "a wrong password gave a token"
[[ -z $(token alice pw-alice red) ]] || fail "alice got a token for project red"
[[ $(status GET /v2.0/networks "") == 401 ]] || fail "no token: not 401"
[[ $(status GET /v2.0/networks "$(printf 'f%.0s' {1..64})") == 401 ]] || fail "a forged token: not 401"
kill "$CTL_PID"
sys_reap "$CTL_PID" 5
start --token-ttl 3
SHORT=$(token alice pw-alice blue)
[[ $(status GET /v2.0/networks "$SHORT") == 200 ]] || fail "a fresh token: not 200"
wait_for "the 3-second token expires" 8 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Auth-Token: $SHORT' $URL/v2.0/networks)\" = 401 ]" ||
	fail "an expired token still works"
pass "authentication: wrong password, wrong project, no token, forged token, expired token: refused (401)"

# ---- bad bodies change nothing; the store survives a restart ------------------------------------
ALICE=$(token alice pw-alice blue)
for body in '{"network": {"colour": "red"}}|colour' '{"network": {"name": 5}}|name' \
	'{"network": {"mtu": 20000}}|mtu' '{"network": {"admin_state_up": "maybe"}}|admin_state_up' \
	'{"nets": {}}|network' 'not json|network'; do
	[[ $(status POST /v2.0/networks "$ALICE" "${body%|*}") == 400 ]] || fail "POST ${body%|*}: not 400"
	grep -q "${body#*|}" "$SYS_TMP/body" || fail "POST ${body%|*}: the error does not name ${body#*|}: $(cat "$SYS_TMP/body")"
done
[[ $(status PUT "/v2.0/networks/$WEB" "$ALICE" '{"network": {"project_id": "red"}}') == 400 ]] || fail "PUT project_id: not 400"
[[ $(os alice network list -f value -c Name) == www ]] || fail "a refused request changed something: $(os alice network list)"
pass "bad bodies: 400 naming the attribute, nothing changed"
kill "$CTL_PID"
sys_reap "$CTL_PID" 5
start
[[ $(os alice network show "$WEB" -f value -c mtu) == 1300 ]] || fail "the network did not survive the restart"
pass "the store (${CTL_STORE:-sqlite}) keeps the networks across a restart of the controller"
sys_done
