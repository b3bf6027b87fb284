#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vnet-controller over HTTPS with the hosts' client certificates (issue 11): `vnet-controller ca`
# makes a CA and the certificates; the openstack CLI works over HTTPS (OS_CACERT) and refuses a
# server it cannot verify; plain HTTP is refused off loopback; then the access matrix
# (controller_access.py): every tenant's token against every endpoint and the other project's
# objects, a reader writing, expired / forged / missing tokens, each host certificate against
# another host's document, a certificate from another CA: zero unauthorized successes.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init ctls
command -v openstack >/dev/null || fail "the openstack CLI is not installed (scripts/setup.sh installs python3-openstackclient)"
CTL=${VNET_CONTROLLER:-$(dirname "$VNETD")/controller-agent/vnet-controller}
[[ -x $CTL ]] || fail "no vnet-controller at $CTL"
DB=$SYS_TMP/controller.db
CA=$SYS_TMP/ca
ROGUE=$SYS_TMP/rogue
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL=https://127.0.0.1:$PORT

"$CTL" ca init --dir "$CA" >/dev/null || fail "ca init"
"$CTL" ca issue --dir "$CA" controller --san 127.0.0.1 --san localhost >/dev/null || fail "ca issue controller"
for h in hv1 hv2; do "$CTL" ca issue --dir "$CA" "$h" >/dev/null || fail "ca issue $h"; done
"$CTL" ca init --dir "$ROGUE" >/dev/null && "$CTL" ca issue --dir "$ROGUE" hv1 >/dev/null || fail "the rogue CA"
openssl verify -CAfile "$CA/ca.pem" "$CA/controller.pem" "$CA/hv1.pem" >/dev/null || fail "openssl does not verify the issued certificates"
! openssl verify -CAfile "$CA/ca.pem" "$ROGUE/hv1.pem" >/dev/null 2>&1 || fail "the rogue certificate verifies against our CA"
[[ $(stat -c %a "$CA/ca.key") == 600 && $(stat -c %a "$CA/hv1.key") == 600 ]] || fail "keys are not 0600"
! "$CTL" ca init --dir "$CA" 2>"$SYS_TMP/err" && grep -q "a CA is there already" "$SYS_TMP/err" || fail "ca init replaced a CA: $(cat "$SYS_TMP/err")"
pass "vnet-controller ca: a CA, the controller's and two hosts' certificates that openssl verifies (keys 0600); an existing CA is not replaced"

for u in "alice blue member" "bob red member" "carol blue reader" "root admin admin"; do
	set -- $u
	echo "pw-$1" | "$CTL" user add --db "$DB" "$1" --project "$2" --role "$3" || fail "user add $1"
done
! "$CTL" serve --db "$DB" --listen "0.0.0.0:$PORT" 2>"$SYS_TMP/err" && grep -q "only on a loopback address" "$SYS_TMP/err" ||
	fail "plain HTTP off loopback was not refused: $(cat "$SYS_TMP/err")"
spawn "$SYS_TMP/controller.log" "$CTL" serve --db "$DB" --listen "127.0.0.1:$PORT" \
	--tls-cert "$CA/controller.pem" --tls-key "$CA/controller.key" --client-ca "$CA/ca.pem"
wait_for "the controller answers over HTTPS" 10 curl -sf --cacert "$CA/ca.pem" "$URL/" -o /dev/null ||
	fail "no controller: $(cat "$SYS_TMP/controller.log")"
! curl -sf "http://127.0.0.1:$PORT/" -o /dev/null || fail "the HTTPS port answered plain HTTP"
pass "HTTPS only: plain HTTP refused off loopback and not answered on the TLS port"

os() { # user command...: the openstack CLI over HTTPS
	local user=$1 project
	shift
	case $user in alice | carol) project=blue ;; bob) project=red ;; root) project=admin ;; esac
	OS_AUTH_URL=$URL/v3 OS_IDENTITY_API_VERSION=3 OS_USERNAME=$user OS_PASSWORD=pw-$user \
		OS_PROJECT_NAME=$project OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
		OS_CACERT=${CACERT:-$CA/ca.pem} timeout 60 openstack "$@"
}
os alice network create tls-net -f value -c id >"$SYS_TMP/net" || fail "network create over HTTPS"
[[ $(os alice network list -f value -c Name) == tls-net ]] || fail "network list over HTTPS: $(os alice network list)"
CACERT=$ROGUE/ca.pem os alice network list >"$SYS_TMP/rogue.out" 2>&1 && fail "the CLI trusted a server its CA did not sign"
grep -qi "certificate" "$SYS_TMP/rogue.out" || fail "no certificate error: $(cat "$SYS_TMP/rogue.out")"
os alice network delete tls-net || fail "network delete over HTTPS"
pass "openstack CLI over HTTPS (OS_CACERT): network create, list, delete; a server it cannot verify refused"

# An expired token: one issued with a 1-second life by a second controller on the same store.
P2=$(free_port)
spawn "$SYS_TMP/short.log" "$CTL" serve --db "$DB" --listen "127.0.0.1:$P2" --token-ttl 1
SHORT_PID=$SYS_LAST_PID
wait_for "the short-token controller answers" 10 curl -sf "http://127.0.0.1:$P2/" -o /dev/null || fail "no second controller"
EXPIRED=$(curl -s -i -X POST "http://127.0.0.1:$P2/v3/auth/tokens" -H 'Content-Type: application/json' -d \
	'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "alice",
	  "domain": {"name": "Default"}, "password": "pw-alice"}}}, "scope": {"project": {"name": "blue",
	  "domain": {"name": "Default"}}}}}' | tr -d '\r' | sed -n 's/^X-Subject-Token: //p')
[[ -n $EXPIRED ]] || fail "no short token"
kill "$SHORT_PID"
sys_reap "$SHORT_PID" 5
wait_for "the 1-second token expires" 10 sh -c "[ \"\$(curl -s --cacert $CA/ca.pem -o /dev/null -w '%{http_code}' -H 'X-Auth-Token: $EXPIRED' $URL/v2.0/networks)\" = 401 ]" ||
	fail "the short token did not expire"

# The same settings from a config file, with a user from it (hashed by `user hash`); bad files refused.
P3=$(free_port)
HASH=$(echo pw-dave | "$CTL" user hash) || fail "user hash"
cat >"$SYS_TMP/conf.json" <<EOF
{"db": "$DB", "listen": "127.0.0.1:$P3", "tls_cert": "$CA/controller.pem", "tls_key": "$CA/controller.key",
 "client_ca": "$CA/ca.pem", "token_ttl": 60, "users": [{"name": "dave", "project": "green", "role": "member", "password_hash": "$HASH"}]}
EOF
spawn "$SYS_TMP/conf.log" "$CTL" serve --config "$SYS_TMP/conf.json"
wait_for "the configured controller answers" 10 curl -sf --cacert "$CA/ca.pem" "https://127.0.0.1:$P3/" -o /dev/null ||
	fail "no configured controller: $(cat "$SYS_TMP/conf.log")"
CODE=$(curl -s --cacert "$CA/ca.pem" -o /dev/null -w '%{http_code}' -X POST "https://127.0.0.1:$P3/v3/auth/tokens" -H 'Content-Type: application/json' -d \
	'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "dave", "domain": {"name": "Default"}, "password": "pw-dave"}}},
	  "scope": {"project": {"name": "green", "domain": {"name": "Default"}}}}}')
[[ $CODE == 201 ]] || fail "the config file's user cannot log in: $CODE"
grep -q '"path":"/v3/auth/tokens","who":"dave@green","status":201' "$SYS_TMP/conf.log" || fail "no structured log line: $(tail -3 "$SYS_TMP/conf.log")"
echo '{"db": "x", "colour": 1}' >"$SYS_TMP/bad.json"
! "$CTL" serve --config "$SYS_TMP/bad.json" 2>"$SYS_TMP/err" && grep -q "unknown key 'colour'" "$SYS_TMP/err" || fail "bad config: $(cat "$SYS_TMP/err")"
echo '{"db": "x", "users": [{"name": "e", "project": "p", "role": "member", "password_hash": "plain"}]}' >"$SYS_TMP/bad.json"
! "$CTL" serve --config "$SYS_TMP/bad.json" 2>"$SYS_TMP/err" && grep -q "users\[0\]" "$SYS_TMP/err" || fail "bad users: $(cat "$SYS_TMP/err")"
pass "--config: the settings and a user (vnet-controller user hash) from a JSON file; unknown keys and plain passwords refused; one JSON log line a request"

"$PY" "$(dirname "$0")/controller_access.py" "$URL" "$CA" "$ROGUE" "$EXPIRED" >"$SYS_TMP/access.out" 2>&1 ||
	fail "access matrix: $(cat "$SYS_TMP/access.out")"
cat "$SYS_TMP/access.out"
grep -q ", 0 unauthorized successes" "$SYS_TMP/access.out" || fail "access matrix: $(cat "$SYS_TMP/access.out")"
pass "access matrix: $(sed -n 's/^access matrix: //p' "$SYS_TMP/access.out")"
sys_done
