#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad control requests, sent raw on vnetd's socket: each gets a JSON-RPC error that names the
# problem (or, past the request size limit, a clean close), vnetd stays up, and nothing changes:
# generation, revision, `drops --json` and `show ports --json` are the same before and after.
# One vnetd on net_null ports (no-rx: no traffic, so every counter must stay still).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init badr
ensure_hugepages

RULES='{"revision": 7, "networks": [{"id": "blue", "tenant": "blue", "vni": 5001}],
 "ports": [{"id": "a", "network": "blue", "device": "net_null0,no-rx=1", "mac": "02:00:00:00:01:0a"},
           {"id": "b", "network": "blue", "device": "net_null1,no-rx=1", "mac": "02:00:00:00:01:0b"}]}'
vnetd_config v "$RULES" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

# state: what must not change (generation, revision, ports and their counters, drops).
state() {
	{
		"$VNETCTL" -s "$SOCK" status --json | json_get '(d["generation"], d["revision"], d["ports"])'
		"$VNETCTL" -s "$SOCK" show ports --json | json_get 'sorted((p["name"], p["rx_pkts"], p["tx_pkts"], p["drops"]) for p in d)'
		"$VNETCTL" -s "$SOCK" drops --json
	}
}
before=$(state) || fail "cannot read vnetd's state"

# The cases: a Python table of (description, bytes, expected code or "close", words in the message).
"$PY" - "$SOCK" <<'PY' || fail "bad requests (see above)"
import json, socket, sys, time

SOCK = sys.argv[1]
DEADLINE = 10.0  # seconds for any answer

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(SOCK)
    return s

def read_lines(s, n):
    """n answer lines, or what came before a close (bounded by the socket timeout)."""
    buf = b""
    while buf.count(b"\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.split(b"\n")[:n] if buf.count(b"\n") >= n else None

def req(method, params=None, rid=1, raw_params=False):
    r = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None or raw_params:
        r["params"] = params
    return json.dumps(r).encode() + b"\n"

PARSE, INVALID, NO_METHOD, PARAMS, REFUSED = -32700, -32600, -32601, -32602, -32000
deep = b"[" * 10000 + b"\n"
big = b'{"method": "status", "x": "' + b"y" * (10 << 20) + b'"\n'  # 10 MiB, no closing brace
cases = [
    ("not JSON", b"hello\n", PARSE, ["expected", "hello"]),
    ("binary garbage", b"\x00\x01\x02\xff\xfe\x80\n", PARSE, []),
    ("binary garbage after a brace", b"{\xff\xfe\x80}\n", PARSE, ["decode byte 0xff"]),
    ("truncated JSON", b'{"jsonrpc": "2.0", "id": 1, "method": "sta\n', PARSE, ["premature end"]),
    ("a 10 MiB line", big, PARSE, ["expected near end of file"]),
    ("10,000 levels of [", deep, PARSE, ["maximum parsing depth"]),
    ("invalid UTF-8 in the method", b'{"id": 1, "method": "st\xc3\x28tus"}\n', PARSE, ["decode byte"]),
    ("invalid UTF-8 in the id", b'{"id": "\xff", "method": "status"}\n', PARSE, ["decode byte"]),
    ("a JSON array", b"[1, 2]\n", INVALID, ['"method"']),
    ("a JSON string", b'"status"\n', PARSE, ["expected"]),
    ("no method", b'{"jsonrpc": "2.0", "id": 1}\n', INVALID, ['"method"']),
    ("method a number", b'{"jsonrpc": "2.0", "id": 1, "method": 7}\n', INVALID, ['"method"']),
    ("unknown method", req("show.everything"), NO_METHOD, ["unknown method show.everything"]),
    ("method of 1 MiB", req("x" * (1 << 20)), NO_METHOD, ["unknown method xxx"]),
    ("id an object", req("status", rid={"a": 1}), INVALID, ['"id"']),
    ("id an array", req("status", rid=[1]), INVALID, ['"id"']),
    ("id a bool", req("status", rid=True), INVALID, ['"id"']),
    ("duplicate keys", b'{"id": 1, "method": "status", "method": "drops"}\n', None, []),
    ("apply without params", req("apply"), PARAMS, ["apply needs"]),
    ("apply: document of bad type", req("apply", {"revision": "8"}), REFUSED,
     ["(document).revision", "must be an integer"]),
    ("apply: a long non-ASCII key cut in the message",
     req("apply", {"revision": 8, "networks": [{"id": "g", "tenant": "g", "vni": 9, "\u00e9" * 600: 1}]}),
     REFUSED, ["networks[0]", "unknown key"]),
    ("apply: ops with a document key", req("apply", {"ops": [], "networks": []}), REFUSED,
     ["(transaction)", 'unknown key "networks"']),
    ("apply: unknown op", req("apply", {"ops": [{"op": "zap", "kind": "port", "id": "a"}]}),
     REFUSED, ["ops[0]", "zap"]),
    ("apply: remove what does not exist",
     req("apply", {"ops": [{"op": "remove", "kind": "port", "id": "zz"}]}), REFUSED,
     ["ops[0]", "no such port"]),
    ("show.macs: network a number", req("show.macs", {"network": 5}), PARAMS, ["network", "string"]),
    ("show.macs: network unknown", req("show.macs", {"network": "red"}), PARAMS, ['no network "red"']),
    ("trace: port a number", req("trace", {"port": 1, "packet": "00"}), PARAMS, ['"port"']),
    ("trace: packet a list", req("trace", {"port": "a", "packet": [0]}), PARAMS, ['"packet"']),
    ("trace: packet not hex", req("trace", {"port": "a", "packet": "zz"}), PARAMS, ["packet", "hex"]),
    ("trace: packet too long", req("trace", {"port": "a", "packet": "00" * 16385}), PARAMS,
     ["packet", "16384"]),
    ("trace: unknown port", req("trace", {"port": "\u00e9" * 600, "packet": "00"}), PARAMS,
     ["no port named"]),
]
# params of the wrong type, for every method vnetctl calls (and help).
for m in ["help", "status", "show.ports", "show.networks", "show.macs", "stats", "show.vteps",
          "drops", "apply", "trace"]:
    for bad in [[1], "x", 5, True]:
        cases.append(("%s: params %s" % (m, json.dumps(bad)), req(m, bad), PARAMS,
                      ['"params" must be an object']))
    if m == "apply":
        cases.append(("apply: params null", req(m, None, raw_params=True), PARAMS, ["params"]))

failed = 0
def check(desc, line, code, words):
    global failed
    try:
        a = json.loads(line)
    except ValueError as e:
        print("FAIL: %s: answer is not JSON (%s): %r" % (desc, e, line[:200]))
        failed += 1
        return
    if code is None:  # only a well-formed answer
        if "result" not in a and "error" not in a:
            print("FAIL: %s: %r" % (desc, line[:200])); failed += 1
        return
    err = a.get("error") or {}
    msg = err.get("message", "")
    if err.get("code") != code or not all(w in msg for w in words):
        print("FAIL: %s: want %s %s, got %r" % (desc, code, words, line[:300]))
        failed += 1
    else:
        print("PASS: %s: %d %s" % (desc, code, msg[:100]))

for desc, data, code, words in cases:
    with connect() as s:
        s.sendall(data)
        lines = read_lines(s, 1)
    if lines is None:
        print("FAIL: %s: no answer (connection closed)" % desc); failed += 1
    else:
        check(desc, lines[0], code, words)

# Several requests in one write: one answer each, in order.
with connect() as s:
    s.sendall(req("status", rid=1) + b"nonsense\n" + req("nope", rid=3) + b"\n\n" + req("drops", rid=4))
    lines = read_lines(s, 4)
    if lines is None:
        print("FAIL: several requests in one write: fewer than 4 answers"); failed += 1
    else:
        ids = [json.loads(l).get("id") for l in lines]
        check("pipelined 2 of 4", lines[1], PARSE, [])
        check("pipelined 3 of 4", lines[2], NO_METHOD, ["nope"])
        if ids != [1, None, 3, 4]:
            print("FAIL: several requests in one write: ids %r" % ids); failed += 1
        else:
            print("PASS: several requests in one write: answered in order")

# A client that sends half a request and stalls must not hold the others up; one that
# sends half and disconnects leaves nothing behind; the staller finishes later and is answered.
stall = connect()
stall.sendall(b'{"jsonrpc": "2.0", "id": 9, "meth')
gone = connect()
gone.sendall(b'{"jsonrpc": "2.0", "id": 8, "method": "app')
gone.close()
with connect() as s:
    s.sendall(req("status", rid=2))
    lines = read_lines(s, 1)
    if lines is None or json.loads(lines[0]).get("id") != 2:
        print("FAIL: a stalled client holds the others up"); failed += 1
    else:
        print("PASS: answered while another client stalls mid-request")
stall.sendall(b'od": "status"}\n')
lines = read_lines(stall, 1)
stall.close()
if lines is None or json.loads(lines[0]).get("id") != 9:
    print("FAIL: the stalled request was not answered once complete"); failed += 1
else:
    print("PASS: the stalled request is answered once complete")

# Past the 64 MiB request limit without a newline: vnetd closes the connection (no answer is
# possible for a request it refuses to read) and serves others.
with connect() as s:
    chunk = b"x" * (1 << 20)
    closed = False
    try:
        for _ in range(80):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    if not closed:
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
    print(("PASS: " if closed else "FAIL: ") + "a request over 64 MiB: connection closed")
    failed += not closed

sys.exit(1 if failed else 0)
PY

# vnetd is still up, answers, and nothing changed.
"$VNETCTL" -s "$SOCK" status >/dev/null || fail "vnetd does not answer after the bad requests"
after=$(state) || fail "cannot read vnetd's state after the bad requests"
[[ $before == "$after" ]] || fail "state changed: before $before after $after"
pass "vnetd still up; generation, revision, ports, counters and drops unchanged"
sys_done
