#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The control socket serves many clients at once and never waits for one: a client that sends
# requests and reads none of its answers (until vnetd stops reading it) does not delay another
# client's answers, traces or MAC learning; traces from several clients, and several from one
# client, are in flight together and each gets its own answer, in request order; a client that
# disconnects while its trace is pending, or that half-closes, leaves vnetd well (run it against
# the ASan build: VNETD=build-asan/vnetd).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"

sys_init ctlc
ensure_hugepages

MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
MAC_C=02:00:00:00:01:0c
MAC_L=02:00:00:00:01:78 # learned on c while a client is stuck
A=$(sys_name a) B=$(sys_name b) C=$(sys_name c)

vnetd_config v "{
  \"revision\": 1,
  \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001}],
  \"ports\": [
    {\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_tap0,iface=$A\", \"mac\": \"$MAC_A\",
     \"ips\": [\"10.0.0.10\"]},
    {\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_tap1,iface=$B\", \"mac\": \"$MAC_B\",
     \"ips\": [\"10.0.0.11\"]},
    {\"id\": \"c\", \"network\": \"blue\", \"device\": \"net_tap2,iface=$C\", \"mac\": \"$MAC_C\",
     \"ips\": [\"10.0.0.12\"], \"port_security\": false}]
}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)
netns_container "$C" "$C" $MAC_C 10.0.0.12/24

"$PY" - "$SOCK" "$C" "$MAC_L" "$MAC_A" "$MAC_B" <<'PY' || fail "control clients (see above)"
import json, select, socket, subprocess, sys, time
from scapy.all import ICMP, IP, Ether

SOCK, NS_C, MAC_L, MAC_A, MAC_B = sys.argv[1:6]
PROMPT = 1.0  # seconds: what "promptly" means for an answer while another client is stuck
TX_B = bytes(Ether(src=MAC_A, dst=MAC_B) / IP(src="10.0.0.10", dst="10.0.0.11") / ICMP()).hex()
SPOOF = bytes(Ether(src=MAC_A, dst=MAC_B) / IP(src="10.0.0.99", dst="10.0.0.11") / ICMP()).hex()

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)  # blocking: waits while vnetd's backlog is full
    s.settimeout(10)
    return s

def req(method, params=None, rid=1):
    r = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        r["params"] = params
    return json.dumps(r).encode() + b"\n"

class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise SystemExit("FAIL: connection closed before an answer")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return json.loads(l)

def call(method, params=None, rid=1):
    """One request on a new connection: the answer and how long it took."""
    t0 = time.monotonic()
    with connect() as s:
        s.sendall(req(method, params, rid))
        a = Reader(s).line()
    return a, time.monotonic() - t0

def trace_ok(a, action, rid):
    v = a.get("result", {}).get("verdict", {})
    if a.get("id") != rid or v.get("action") != action:
        raise SystemExit("FAIL: trace id %r: want %s, got %r" % (rid, action, a))
    if action == "tx" and v["ports"] != ["b"]:
        raise SystemExit("FAIL: trace id %r: want tx to b, got %r" % (rid, v))
    nodes = [r["node"] for r in a["result"]["records"]]
    if nodes[0] != "port_rx" or nodes[-1] not in ("port_tx", "pkt_drop"):
        raise SystemExit("FAIL: trace id %r: records %r" % (rid, nodes))

# 1. Several traces in flight: two clients, each with a trace sent before either reads; then one
# client with trace, status, trace, help in one write: answers in request order.
s1, s2 = connect(), connect()
s1.sendall(req("trace", {"port": "a", "packet": TX_B}, 11))
s2.sendall(req("trace", {"port": "a", "packet": SPOOF}, 12))
trace_ok(Reader(s2).line(), "drop", 12)
trace_ok(Reader(s1).line(), "tx", 11)
s1.sendall(req("trace", {"port": "a", "packet": SPOOF}, 1) + req("status", None, 2) +
           req("trace", {"port": "a", "packet": TX_B}, 3) + req("help", None, 4))
r = Reader(s1)
got = [r.line() for _ in range(4)]
if [a.get("id") for a in got] != [1, 2, 3, 4] or any("result" not in a for a in got):
    raise SystemExit("FAIL: pipelined trace/status/trace/help: %r" % [str(a)[:100] for a in got])
trace_ok(got[0], "drop", 1)
trace_ok(got[2], "tx", 3)
s1.close(); s2.close()
print("PASS: traces from two clients in flight together; trace, status, trace, help answered in order")

# 2. Past the per-connection limit of pending calls: refused with -32001, in order, the rest answered.
with connect() as s:
    s.sendall(b"".join(req("trace", {"port": "a", "packet": TX_B}, i) for i in range(40)))
    r = Reader(s)
    got = [r.line() for _ in range(40)]
ids = [a.get("id") for a in got]
ok = [a for a in got if "result" in a]
busy = [a for a in got if a.get("error", {}).get("code") == -32001]
if ids != list(range(40)) or len(ok) + len(busy) != 40 or len(ok) < 16:
    raise SystemExit("FAIL: 40 pipelined traces: ids %r, %d answered, %d refused: %r" %
                     (ids, len(ok), len(busy), [a for a in got if a not in ok + busy][:2]))
for a in ok:
    trace_ok(a, "tx", a["id"])
if busy and "too many calls pending" not in busy[0]["error"]["message"]:
    raise SystemExit("FAIL: refusal message: %r" % busy[0])
print("PASS: 40 pipelined traces: %d answered, %d refused (-32001), in order" % (len(ok), len(busy)))

# 3. A stuck client: it writes requests and reads nothing, until its writes no longer go through
# (vnetd stopped reading it: its answers fill its socket and vnetd's bounded buffer).
stuck = connect()
stuck.setblocking(False)
line = req("help", None, 7) + req("trace", {"port": "a", "packet": TX_B}, 8)
sent, deadline = 0, time.monotonic() + 30
while True:
    try:
        sent += stuck.send(line * 64)
        continue
    except BlockingIOError:
        pass
    # Not writable for a whole second: vnetd reads no more of it.
    if not select.select([], [stuck], [], 1.0)[1]:
        break
    if time.monotonic() > deadline:
        raise SystemExit("FAIL: vnetd kept reading a client that reads nothing (%d bytes)" % sent)
print("PASS: a client that reads nothing is stuck after %d bytes of requests" % sent)

# 4. Meanwhile: other clients get answers promptly, traces complete, MAC learning goes on.
for method, params in [("status", None), ("show.macs", None), ("stats", None), ("drops", None)]:
    a, dt = call(method, params, 5)
    if "result" not in a or dt > PROMPT:
        raise SystemExit("FAIL: %s while a client is stuck: %.3f s, %r" % (method, dt, str(a)[:200]))
a, dt = call("trace", {"port": "a", "packet": TX_B}, 6)
trace_ok(a, "tx", 6)
if dt > PROMPT:
    raise SystemExit("FAIL: trace while a client is stuck: %.3f s" % dt)
print("PASS: status, show.macs, stats, drops and trace answered promptly while a client is stuck")
subprocess.run(["ip", "netns", "exec", NS_C, sys.executable, "-c",
                "from scapy.all import *; sendp(Ether(src='%s', dst='%s')/IP(src='10.0.0.78', "
                "dst='10.0.0.11')/ICMP(), iface='%s', verbose=False)" % (MAC_L, MAC_B, NS_C)],
               check=True)
deadline = time.monotonic() + 5
while True:
    a, _ = call("show.macs", None, 9)
    if any(m["mac"].lower() == MAC_L and m["port"] == "c" and m["type"] == "learned"
           for m in a["result"]):
        break
    if time.monotonic() > deadline:
        raise SystemExit("FAIL: %s not learned on c while a client is stuck: %r" % (MAC_L, a))
    time.sleep(0.05)
print("PASS: %s learned on c while a client is stuck" % MAC_L)

# 5. Clients that go away with a trace pending, one way or another; one that half-closes after its
# request still gets the answer.
# In batches of 6, each followed by a status on a new connection: vnetd serves 16 clients at once
# and refuses more (a burst of 200 closes would be refused rather than cancelled).
for i in range(200):
    s = connect()
    s.sendall(req("trace", {"port": "a", "packet": TX_B if i % 2 else SPOOF}, i))
    if i % 3 == 0:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")  # reset
    s.close()
    if i % 6 == 5 and "result" not in call("status")[0]:
        raise SystemExit("FAIL: status after %d clients left with a trace pending" % (i + 1))
deadline = time.monotonic() + 5
while True:  # the worker may still be taking the 200 injected frames: -32001, try again
    with connect() as s:
        s.sendall(req("trace", {"port": "a", "packet": TX_B}, 77))
        s.shutdown(socket.SHUT_WR)
        a = Reader(s).line()
        if a.get("error", {}).get("code") == -32001 and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        trace_ok(a, "tx", 77)
        if s.recv(1) != b"":
            raise SystemExit("FAIL: a half-closed client was not closed once answered")
        break
print("PASS: 200 clients gone with their trace pending; a half-closed one answered, then closed")

# 6. The stuck client leaves; everything still answers.
stuck.close()
a, dt = call("trace", {"port": "a", "packet": SPOOF}, 10)
trace_ok(a, "drop", 10)
print("PASS: after the stuck client left, trace answered in %.3f s" % dt)
PY
pass "control clients"

vnetd_stop v || fail "vnetd exited with status $?"
if grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$SYS_TMP/vnetd-v.log"; then
	cat "$SYS_TMP/vnetd-v.log" >&2
	fail "sanitizer report in vnetd's log"
fi
pass "vnetd stopped cleanly"
sys_done
