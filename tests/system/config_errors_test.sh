#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input is refused with the path of the bad field, and refusing changes nothing:
# vnetd exits non-zero on a bad configuration file (unknown key, bad eal_args, bad rules); a
# running vnetd refuses a bad `vnetctl apply` (generation, ports and interfaces unchanged, even
# when the refusal comes after a new device was attached) and takes a good one (generation + 1);
# vnetctl reports a vnetd that is not running with exit status 3.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init cfg
ensure_hugepages

EAL="\"eal_args\": [\"-l\", \"0,1\", \"--no-pci\", \"--file-prefix\", \"$SYS_TAG-bad\", \"-m\", \"64\",
  \"--log-level\", \"lib.eal:notice\"], \"socket\": \"$SYS_TMP/bad.sock\""
A=$(sys_name a) B=$(sys_name b) C=$(sys_name c)
NET='{"id": "blue", "tenant": "blue", "vni": 5001}'
PORT_A="{\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_tap0,iface=$A\", \"mac\": \"02:00:00:00:01:0a\", \"ips\": [\"10.0.0.10\"]}"
PORT_B="{\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_tap1,iface=$B\", \"mac\": \"02:00:00:00:01:0b\", \"ips\": [\"10.0.0.11\"]}"
PORT_C="{\"id\": \"c\", \"network\": \"blue\", \"device\": \"net_tap2,iface=$C\", \"mac\": \"02:00:00:00:01:0c\", \"ips\": [\"10.0.0.12\"]}"

# vnetd_refuses DESC CONFIG_TEXT WORD...: vnetd -c CONFIG exits non-zero (within 30 s) and its
# error output contains every WORD; no vnetd is left and no socket.
vnetd_refuses() {
	local desc=$1 text=$2 rc w
	shift 2
	printf '%s\n' "$text" >"$SYS_TMP/bad.json"
	for _ in 1 2 3; do # again if other tests held every hugepage (EAL fails before rules)
		rc=0
		timeout -k 5 30 "$VNETD" -c "$SYS_TMP/bad.json" >"$SYS_TMP/bad.out" 2>"$SYS_TMP/bad.err" || rc=$?
		grep -Eq 'No free 2048 kB hugepages|Cannot get hugepage|Cannot init memory|Not enough memory' "$SYS_TMP/bad.err" || break
		ensure_hugepages 128
	done
	((rc != 0)) || fail "$desc: vnetd accepted it (exit 0)"
	((rc != 124 && rc != 137)) || fail "$desc: vnetd did not exit within 30 s"
	for w in "$@"; do
		grep -qF -- "$w" "$SYS_TMP/bad.err" ||
			fail "$desc: vnetd's message lacks '$w': $(cat "$SYS_TMP/bad.err")"
	done
	[[ ! -e $SYS_TMP/bad.sock ]] || fail "$desc: vnetd left its socket behind"
	pass "$desc: vnetd exits $rc: $(tail -n 1 "$SYS_TMP/bad.err")"
}

vnetd_refuses "unknown key" "{$EAL, \"wrokers\": [1]}" "wrokers" "unknown key"
vnetd_refuses "eal_args not an array" "{\"eal_args\": \"-l 0,1\", \"socket\": \"$SYS_TMP/bad.sock\"}" \
	"eal_args" "array"
vnetd_refuses "eal_args with a number" "{\"eal_args\": [\"-l\", 1], \"socket\": \"$SYS_TMP/bad.sock\"}" \
	"eal_args[1]" "string"
vnetd_refuses "invalid JSON" "{$EAL," "bad.json:"
vnetd_refuses "socket not a string" "{\"eal_args\": [\"-l\", \"0,1\"], \"socket\": 42}" "socket" "path"
vnetd_refuses "missing rules_file" "{$EAL, \"rules_file\": \"$SYS_TMP/nonexistent.json\"}" \
	"rules_file" "nonexistent.json"
vnetd_refuses "rules: port with a bad mac" \
	"{$EAL, \"rules\": {\"revision\": 1, \"networks\": [$NET], \"ports\": [${PORT_A/02:00:00:00:01:0a/02:00:00:00:01}]}}" \
	"ports[0]" "mac" "02:00:00:00:01"
vnetd_refuses "rules: port in an unknown network" \
	"{$EAL, \"rules\": {\"revision\": 1, \"networks\": [$NET], \"ports\": [${PORT_A/\"blue\"/\"red\"}]}}" \
	"ports[0]" "network" "red"
vnetd_refuses "rules: multicast mac" \
	"{$EAL, \"rules\": {\"revision\": 1, \"networks\": [$NET], \"ports\": [${PORT_A/02:00:00:00:01:0a/01:00:5e:00:00:01}]}}" \
	"ports[0]" "mac"
! ip link show dev "$A" >/dev/null 2>&1 || fail "a refused vnetd left interface $A behind"

# The same bad rules through --check: no EAL needed, same message.
printf '{%s, "rules": {"revision": 1, "networks": [%s], "ports": [%s]}}\n' "$EAL" "$NET" \
	"${PORT_A/02:00:00:00:01:0a/zz:00:00:00:01:0a}" >"$SYS_TMP/bad.json"
rc=0
"$VNETD" -c "$SYS_TMP/bad.json" --check >/dev/null 2>"$SYS_TMP/bad.err" || rc=$?
if ((rc == 0)) || ! grep -q 'ports\[0\].*mac' "$SYS_TMP/bad.err"; then
	fail "vnetd --check: exit $rc, $(cat "$SYS_TMP/bad.err")"
fi
pass "vnetd --check refuses the bad mac: $(cat "$SYS_TMP/bad.err")"

# A running vnetd with ports a and b.
vnetd_config v "{\"revision\": 1, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B]}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
gen0=$(generation "$SOCK")
ports() { "$VNETCTL" -s "$SOCK" show ports --json | json_get '[(p["name"], p["mac"].lower(), p["device"]) for p in d]'; }
ports0=$(ports)
networks0=$("$VNETCTL" -s "$SOCK" show networks --json | json_get '[(n["id"], n["vni"], n["ports"]) for n in d]')

# apply_refused DESC DOC WORD...: vnetctl apply DOC exits 1, names every WORD, changes nothing.
apply_refused() {
	local desc=$1 rc=0 w
	printf '%s\n' "$2" >"$SYS_TMP/apply.json"
	shift 2
	"$VNETCTL" -s "$SOCK" apply "$SYS_TMP/apply.json" >"$SYS_TMP/apply.out" 2>"$SYS_TMP/apply.err" || rc=$?
	((rc == 1)) || fail "$desc: vnetctl apply exit $rc (want 1): $(cat "$SYS_TMP/apply.out" "$SYS_TMP/apply.err")"
	for w in "$@"; do
		grep -qF -- "$w" "$SYS_TMP/apply.err" || fail "$desc: message lacks '$w': $(cat "$SYS_TMP/apply.err")"
	done
	(($(generation "$SOCK") == gen0)) || fail "$desc: generation moved from $gen0 to $(generation "$SOCK")"
	[[ $(ports) == "$ports0" ]] || fail "$desc: ports changed: $(ports)"
	[[ $("$VNETCTL" -s "$SOCK" show networks --json | json_get '[(n["id"], n["vni"], n["ports"]) for n in d]') == "$networks0" ]] ||
		fail "$desc: networks changed"
	! ip link show dev "$C" >/dev/null 2>&1 || fail "$desc: refused apply left interface $C behind"
	pass "$desc: $(cat "$SYS_TMP/apply.err")"
}

apply_refused "bad mac" \
	"{\"revision\": 2, \"networks\": [$NET], \"ports\": [${PORT_A/02:00:00:00:01:0a/02:00:00:00:01}, $PORT_B, $PORT_C]}" \
	"ports[0]" "mac" "nothing changed"
apply_refused "bad ip on a new port" \
	"{\"revision\": 2, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B, ${PORT_C/10.0.0.12/10.0.0.300}]}" \
	"ports[2]" "ips[0]"
apply_refused "unknown top-level key" \
	"{\"revision\": 2, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B], \"portz\": []}" "portz"
apply_refused "duplicate vni" \
	"{\"revision\": 2, \"networks\": [$NET, {\"id\": \"red\", \"tenant\": \"red\", \"vni\": 5001}], \"ports\": [$PORT_A, $PORT_B]}" \
	"networks[1]" "vni"
apply_refused "older revision" "{\"revision\": 0, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B]}" \
	"revision"
# Refused after the new port's device was attached (the static MAC conflicts with port a's own
# MAC): the TAP of c must be gone again.
apply_refused "conflicting static MAC after attaching a new port" \
	"{\"revision\": 2, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B, $PORT_C],
	  \"static_macs\": [{\"network\": \"blue\", \"mac\": \"02:00:00:00:01:0a\", \"port\": \"c\"}]}" \
	"static_macs[0]"
apply_refused "device that cannot attach" \
	"{\"revision\": 2, \"networks\": [$NET], \"ports\": [$PORT_A, $PORT_B, ${PORT_C/net_tap2,iface=$C/net_nosuchdriver0}]}" \
	"ports[2]"

# A good apply: port c added, generation + 1, c in show ports, its TAP exists.
printf '{"revision": 2, "networks": [%s], "ports": [%s, %s, %s]}\n' "$NET" "$PORT_A" "$PORT_B" "$PORT_C" \
	>"$SYS_TMP/good.json"
out=$("$VNETCTL" -s "$SOCK" apply "$SYS_TMP/good.json") || fail "good apply refused"
[[ $out == "applied revision 2 as generation $((gen0 + 1))" ]] || fail "good apply printed: $out"
(($(generation "$SOCK") == gen0 + 1)) || fail "generation after a good apply: $(generation "$SOCK")"
"$VNETCTL" -s "$SOCK" status --json | json_get 'd["revision"]' | grep -qx 2 || fail "revision after apply"
ports | grep -q "'c', '02:00:00:00:01:0c'" || fail "port c missing after apply: $(ports)"
wait_for "interface $C" 5 ip link show dev "$C" || fail "no interface for the applied port c"
pass "good apply: $out"

# vnetctl against no vnetd: exit 3 and a message that says so.
vnetctl_unreachable() {
	local sock=$1 why=$2 rc=0
	"$VNETCTL" -s "$sock" status >"$SYS_TMP/ctl.out" 2>"$SYS_TMP/ctl.err" || rc=$?
	((rc == 3)) || fail "vnetctl with $why: exit $rc (want 3)"
	if ! grep -q "cannot connect to vnetd at $sock: .*(is vnetd running" "$SYS_TMP/ctl.err"; then
		fail "vnetctl with $why: message $(cat "$SYS_TMP/ctl.err")"
	fi
	pass "vnetctl with $why: exit 3, $(cat "$SYS_TMP/ctl.err")"
}
vnetd_stop v || fail "vnetd did not exit 0 on SIGTERM"
[[ ! -e $SOCK ]] || fail "vnetd left its socket $SOCK behind"
vnetctl_unreachable "$SOCK" "vnetd stopped"
# A socket file nobody listens on (what a crashed vnetd leaves).
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SYS_TMP/stale.sock"
vnetctl_unreachable "$SYS_TMP/stale.sock" "a stale socket"

sys_done
