#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# L7 rules between real containers (veth vNICs, one vnetd), with real servers and clients: a web
# server (python3 -m http.server) that client c reaches only for GET shop.example/api/ (another
# path, another Host: the connection is reset, curl says so); a TLS server (openssl s_server) that
# c reaches only with a server name under *.shop.example, also when the ClientHello takes several
# segments (the server's MSS made small); dnsmasq, which answers c's queries for shop.example names
# while vnetd answers REFUSED for other names (dig shows it), over UDP and over TCP. The drops are
# counted as l7_denied, the rules' hits and the held requests show in vnetctl.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init fl7
ensure_hugepages
for tool in curl openssl dnsmasq dig; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh installs it)"
done

port() { # id mac ip groups
	printf '{"id": "%s", "network": "blue", "kind": "container", "device": "veth:%s,netns=%s",
	  "mac": "%s", "ips": ["%s"], "security_groups": %s}' "$1" "$(sys_name h$1)" "$(sys_name $1)" "$2" "$3" "$4"
}
DOC=$(cat <<EOF
{"revision": 1,
 "networks": [{"id": "blue", "tenant": "blue", "vni": 5001}],
 "security_groups": [
   {"id": "srv", "tenant": "blue", "rules": [
     {"id": "api", "direction": "ingress", "protocol": "tcp", "ports": "8080",
      "l7": {"http": {"host": "shop.example", "path_prefix": "/api/", "methods": ["GET", "HEAD"]}}},
     {"id": "tls-shop", "direction": "ingress", "protocol": "tcp", "ports": "8443",
      "l7": {"tls": {"sni": ["*.shop.example"]}}},
     {"id": "dns-udp", "direction": "ingress", "protocol": "udp",
      "l7": {"dns": {"names": ["shop.example", "*.shop.example"]}}},
     {"id": "dns-tcp", "direction": "ingress", "protocol": "tcp",
      "l7": {"dns": {"names": ["shop.example", "*.shop.example"]}}},
     {"id": "ping", "direction": "ingress", "protocol": "icmp"},
     {"id": "out", "direction": "egress"}]},
   {"id": "client", "tenant": "blue", "rules": [{"direction": "egress"}]}],
 "ports": [$(port s 02:00:00:00:01:01 10.0.0.11 '["srv"]'),
   $(port c 02:00:00:00:01:02 10.0.0.12 '["client"]')]}
EOF
)
for c in s c; do
	netns_add "$(sys_name $c)"
	SYS_IFACES+=("$(sys_name h$c)")
done
vnetd_config v "$DOC" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
S=$(sys_name s) C=$(sys_name c)
for c in s c; do
	in_ns "$(sys_name $c)" sh -e -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip link set dev lo up
		ip addr add 10.0.0.1${c/s/1}/24 dev eth0 2>/dev/null || ip addr add 10.0.0.12/24 dev eth0
		ip link set dev eth0 up"
done
in_ns "$S" ip -4 addr show dev eth0 | grep -q 10.0.0.11 || fail "s has no address"
in_ns "$C" ip -4 addr show dev eth0 | grep -q 10.0.0.12 || fail "c has no address"
drops() { drop_count "$SOCK" "$1"; }
wait_for "c pings s" 10 ping_ok "$C" 10.0.0.11 || fail "c cannot ping s"

# ---- HTTP -------------------------------------------------------------------------------------
WWW=$SYS_TMP/www
mkdir -p "$WWW/api"
echo "items" >"$WWW/api/items"
echo "secret" >"$WWW/admin"
spawn "$SYS_TMP/http.log" in_ns "$S" "$PY" -m http.server --bind 10.0.0.11 --directory "$WWW" 8080
wait_for "http server" 10 sh -c "ip netns exec $S ss -Hltn | grep -q 10.0.0.11:8080" ||
	fail "no http server: $(cat "$SYS_TMP/http.log")"
get() { # host path: prints the body, or the curl error code
	in_ns "$C" curl -sS --max-time 5 -H "Host: $1" "http://10.0.0.11:8080$2" 2>"$SYS_TMP/curl.err" ||
		echo "curl-error-$?"
}
[[ $(get shop.example /api/items) == items ]] || fail "GET shop.example/api/items: $(cat "$SYS_TMP/curl.err")"
pass "HTTP: GET shop.example/api/items (rule api) answered"
before=$(drops l7_denied)
out=$(get shop.example /admin)
[[ $out == curl-error-56 ]] && grep -qi "reset" "$SYS_TMP/curl.err" ||
	fail "GET shop.example/admin: '$out' $(cat "$SYS_TMP/curl.err") (want: connection reset)"
out=$(get evil.example /api/items)
[[ $out == curl-error-56 ]] || fail "GET evil.example/api/items: '$out' $(cat "$SYS_TMP/curl.err")"
out=$(in_ns "$C" curl -sS --max-time 5 -X POST -d x -H "Host: shop.example" http://10.0.0.11:8080/api/items 2>&1 || true)
[[ $out == *reset* ]] || fail "POST shop.example/api/items: '$out' (want: connection reset)"
[[ $(drops l7_denied) -eq $((before + 3)) ]] || fail "l7_denied: $(drops l7_denied), want $((before + 3))"
grep -q '"GET /admin' "$SYS_TMP/http.log" && fail "the server saw the denied request for /admin"
pass "HTTP: another path, another Host, POST: reset at once (curl: connection reset), 3 x l7_denied, never seen by the server"

# ---- TLS --------------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=www.shop.example \
	-keyout "$SYS_TMP/key.pem" -out "$SYS_TMP/cert.pem" >/dev/null 2>&1 || fail "openssl req"
spawn "$SYS_TMP/tls.log" in_ns "$S" openssl s_server -quiet -accept 10.0.0.11:8443 \
	-cert "$SYS_TMP/cert.pem" -key "$SYS_TMP/key.pem" -www
wait_for "tls server" 10 sh -c "ip netns exec $S ss -Hltn | grep -q 10.0.0.11:8443" ||
	fail "no TLS server: $(cat "$SYS_TMP/tls.log")"
tls() { # server name: 0 if the handshake completes and the server answers a GET
	printf 'GET / HTTP/1.0\r\n\r\n' | in_ns "$C" timeout 10 openssl s_client -connect 10.0.0.11:8443 \
		-servername "$1" -ign_eof >"$SYS_TMP/s_client.out" 2>&1 &&
		grep -q "HTTP/1.0 200" "$SYS_TMP/s_client.out"
}
tls www.shop.example || fail "TLS to www.shop.example: $(tail -5 "$SYS_TMP/s_client.out")"
before=$(drops l7_denied)
tls www.evil.example && fail "TLS to www.evil.example completed"
grep -qiE "errno=104|reset|write:errno|unexpected eof" "$SYS_TMP/s_client.out" ||
	fail "TLS to www.evil.example: not reset: $(tail -5 "$SYS_TMP/s_client.out")"
[[ $(drops l7_denied) -gt $before ]] || fail "the denied ClientHello was not counted as l7_denied"
pass "TLS: SNI www.shop.example completes (rule tls-shop); www.evil.example is reset (l7_denied)"
# The server's MSS made 200 bytes: the ClientHello takes several segments, held until complete.
in_ns "$S" ip route replace 10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11 advmss 200
held() { "$VNETCTL" -s "$SOCK" show conntrack --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["l7_held"]["segments"])'; }
h0=$(held)
tls api.shop.example || fail "TLS to api.shop.example in small segments: $(tail -5 "$SYS_TMP/s_client.out")"
[[ $(held) -gt $h0 ]] || fail "the ClientHello was not held over segments (held segments $(held), before $h0)"
before=$(drops l7_denied)
tls api.evil.example && fail "TLS to api.evil.example in small segments completed"
[[ $(drops l7_denied) -gt $before ]] || fail "the split ClientHello for api.evil.example was not l7_denied"
pass "TLS: a ClientHello in segments of 200 bytes is held until its SNI is known ($(( $(held) - h0 )) segments held): allowed for api.shop.example, reset for api.evil.example"

# ---- DNS --------------------------------------------------------------------------------------
spawn "$SYS_TMP/dnsmasq.log" in_ns "$S" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	--user=root --listen-address=10.0.0.11 --bind-interfaces --pid-file="$SYS_TMP/dnsmasq.pid" \
	--address=/shop.example/10.0.0.80 --address=/evil.example/10.0.0.66 --log-queries
wait_for "dnsmasq" 10 sh -c "ip netns exec $S ss -Hlun | grep -q 10.0.0.11:53" ||
	fail "no dnsmasq: $(cat "$SYS_TMP/dnsmasq.log")"
q() { in_ns "$C" dig +time=2 +tries=1 "$@" @10.0.0.11 2>&1 || true; }
[[ $(q +short www.shop.example) == 10.0.0.80 ]] || fail "dig www.shop.example: $(q www.shop.example)"
out=$(q evil.example)
[[ $out == *"status: REFUSED"* ]] || fail "dig evil.example: $out"
grep -q "query\[A\] evil.example" "$SYS_TMP/dnsmasq.log" && fail "dnsmasq saw the refused query"
pass "DNS over UDP: www.shop.example answered by dnsmasq; evil.example REFUSED by vnetd, never seen by dnsmasq"
[[ $(q +tcp +short shop.example) == 10.0.0.80 ]] || fail "dig +tcp shop.example: $(q +tcp shop.example)"
before=$(drops l7_denied)
out=$(q +tcp evil.example)
[[ $out != *"10.0.0.66"* ]] || fail "dig +tcp evil.example was answered: $out"
[[ $(drops l7_denied) -gt $before ]] || fail "the TCP query for evil.example was not l7_denied: $out"
pass "DNS over TCP: shop.example answered; the connection asking for evil.example is reset"

# ---- what vnetctl shows -----------------------------------------------------------------------
"$VNETCTL" -s "$SOCK" show security-groups --group srv --json | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
hits = {x["id"]: x["hits"] for x in r[0]["rules"]}
assert hits["api"] >= 1 and hits["tls-shop"] >= 2 and hits["dns-udp"] >= 1 and hits["dns-tcp"] >= 1, hits
' || fail "rule hits: $("$VNETCTL" -s "$SOCK" show security-groups --group srv)"
pass "show security-groups: the L7 rules count the connections and queries they allowed"
sys_done
