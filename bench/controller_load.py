#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Load test of vnet-controller under simulated agents (bench/controller_load.md).

Phases (each timed, each figure printed is one this run measured):
  1. setup: register H hosts, create N networks (one IPv4 subnet each) and P ports (port i on
     network i % N and host i % H, or --layout spread/random), C requests in flight; then the
     rate of GET /v2.0/ports (whole list) and GET /v2.0/ports?network_id=ID;
  2. --compile-all: every host GETs its rules document from scratch at once (before the agents);
  3. agents: one asyncio task per host, one keep-alive connection each: GET rules, POST status,
     then long polls ?since=REV (&ops=1 with --ops); the time until all of them have a document
     and the controller is quiet (warm-up), then its CPU while they are parked (idle);
  4. samples: S times, create one port (random host, random network), and time until every
     affected host (those with a port on that network, and the port's host) holds a document
     that has the port (by id in `ports`, by network and MAC in `remote_ports`); then wait until
     quiet and count what was delivered, to whom, and the controller's CPU.

Python 3 standard library only: HTTP/1.1 over asyncio streams.
"""

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

# ---- small helpers ------------------------------------------------------------------------------


def now():
    return time.monotonic()


def pct(values, p):
    """Nearest-rank percentile of values (None if empty)."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, math.ceil(p / 100.0 * len(v)) - 1)
    return v[min(k, len(v) - 1)]


def dist(values):
    """p50/p90/p99/max/mean/n of values (seconds or counts)."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": pct(values, 50), "p90": pct(values, 90),
            "p99": pct(values, 99), "max": max(values), "mean": sum(values) / len(values)}


def fmt_ms(x):
    return "-" if x is None else f"{x * 1000:.1f} ms" if x < 10 else f"{x:.2f} s"


def fmt_dist_s(d):
    if not d or d.get("n", 0) == 0:
        return "none"
    return (f"p50 {fmt_ms(d['p50'])}, p90 {fmt_ms(d['p90'])}, p99 {fmt_ms(d['p99'])}, "
            f"max {fmt_ms(d['max'])} (n={d['n']})")


def fmt_dist_n(d, unit=""):
    if not d or d.get("n", 0) == 0:
        return "none"
    return (f"p50 {d['p50']:g}{unit}, p90 {d['p90']:g}{unit}, max {d['max']:g}{unit}, "
            f"mean {d['mean']:.1f}{unit}")


class ProcStat:
    """CPU time, threads and RSS of a process from /proc/PID/stat (None if no pid)."""

    TICK = os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid):
        self.pid = pid

    def read(self):
        if self.pid is None:
            return None
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                s = f.read()
        except OSError:
            return None
        f = s[s.rindex(")") + 2:].split()  # fields from the 3rd (state) on
        return {"cpu": (int(f[11]) + int(f[12])) / self.TICK, "user": int(f[11]) / self.TICK,
                "sys": int(f[12]) / self.TICK, "threads": int(f[17]),
                "rss_mb": int(f[21]) * self.PAGE / 2**20}

    def cpu(self):
        r = self.read()
        return None if r is None else r["cpu"]


class Monitor:
    """The controller's peak RSS and threads, sampled every 0.25 s; past --max-rss-mb it stops
    the run (the agents' wake-ups can make the controller hold one parsed copy of the store per
    thread, and a machine without swap would meet the OOM killer)."""

    def __init__(self, bench, proc, limit_mb):
        self.bench, self.proc, self.limit = bench, proc, limit_mb
        self.peak_rss = self.peak_threads = 0
        self.tripped = False

    def reset(self):
        r = self.proc.read() or {}
        self.peak_rss, self.peak_threads = r.get("rss_mb", 0), r.get("threads", 0)

    def peak(self):
        return {"rss_mb": self.peak_rss, "threads": self.peak_threads}

    async def run(self):
        while True:
            r = self.proc.read()
            if r is not None:
                self.peak_rss = max(self.peak_rss, r["rss_mb"])
                self.peak_threads = max(self.peak_threads, r["threads"])
                if self.limit and r["rss_mb"] > self.limit and not self.tripped:
                    self.tripped = True
                    print(f"\nSTOP: the controller's RSS is {r['rss_mb']:.0f} MiB, over "
                          f"--max-rss-mb {self.limit}: stopping the agents", flush=True)
                    self.bench.interrupted = True
                    if self.bench.spawned is not None:
                        self.bench.spawned.p.kill()
                    elif self.bench.args.max_rss_kill and self.proc.pid is not None:
                        print(f"killing the controller (pid {self.proc.pid}, --max-rss-kill)",
                              flush=True)
                        os.kill(self.proc.pid, signal.SIGKILL)
                    await self.bench.stop_agents()
            await asyncio.sleep(0.25)


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---- HTTP/1.1 over asyncio streams --------------------------------------------------------------


class HTTPFailure(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection, reopened when the server closed it."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.last_used = 0.0

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port,
                                                                 limit=1 << 20)
        self.last_used = now()

    def close(self):
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.reader = self.writer = None

    async def _once(self, method, path, body, headers):
        if self.writer is None:
            await self.open()
        data = b"" if body is None else body
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Accept: application/json"]
        for k, v in headers.items():
            lines.append(f"{k}: {v}")
        if body is not None or method in ("POST", "PUT"):
            lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(data)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        first, *hl = head.decode("latin-1").split("\r\n")
        parts = first.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HTTPFailure(f"bad status line {first!r}")
        status = int(parts[1])
        hdrs = {}
        for h in hl:
            if ":" in h:
                k, v = h.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            payload = await self.reader.readexactly(int(hdrs["content-length"]))
        elif "chunked" in hdrs.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            payload = b"".join(chunks)
        elif status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            payload = b""
        else:
            payload = await self.reader.read()
            self.close()
        if hdrs.get("connection", "").lower() == "close" or parts[0] == "HTTP/1.0":
            self.close()
        self.last_used = now()
        return status, hdrs, payload

    async def request(self, method, path, body=None, headers=None, timeout=None):
        """(status, headers, body bytes). A connection idle for long is reopened first (the
        server closes idle ones); a request on a reused connection that fails before any answer
        is sent again once on a new connection."""
        headers = headers or {}
        if self.writer is not None and now() - self.last_used > 30:
            self.close()
        reused = self.writer is not None
        try:
            return await asyncio.wait_for(self._once(method, path, body, headers), timeout)
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            self.close()
            if not reused or (isinstance(e, asyncio.IncompleteReadError) and e.partial):
                raise
            return await asyncio.wait_for(self._once(method, path, body, headers), timeout)
        except BaseException:
            self.close()
            raise


class Api:
    """The tenant API: a token and a pool of keep-alive connections."""

    def __init__(self, args):
        u = urllib.parse.urlsplit(args.url)
        self.host, self.port = u.hostname, u.port or 80
        self.args = args
        self.token = None
        self.pool = asyncio.Queue()
        for _ in range(max(1, args.concurrency)):
            self.pool.put_nowait(Conn(self.host, self.port))

    async def auth(self):
        a = self.args
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": a.user, "domain": {"name": "Default"}, "password": a.password}}},
            "scope": {"project": {"name": a.project, "domain": {"name": "Default"}}}}}
        c = Conn(self.host, self.port)
        try:
            st, h, data = await c.request("POST", "/v3/auth/tokens", json.dumps(body).encode(),
                                          timeout=60)
        finally:
            c.close()
        if st != 201 or "x-subject-token" not in h:
            raise SystemExit(f"controller_load: token refused: {st} {data[:300]!r}")
        self.token = h["x-subject-token"]

    async def raw(self, method, path, body=None, conn=None, timeout=None):
        """(status, body bytes, seconds); a 401 (token expired) gets a new token once."""
        own = conn is None
        if own:
            conn = await self.pool.get()
        try:
            for attempt in (0, 1):
                t = now()
                st, _, data = await conn.request(
                    method, path, None if body is None else json.dumps(body).encode(),
                    {"X-Auth-Token": self.token}, timeout)
                dt = now() - t
                if st == 401 and attempt == 0:
                    await self.auth()
                    continue
                return st, data, dt
        finally:
            if own:
                self.pool.put_nowait(conn)

    async def call(self, method, path, body=None, ok=(200, 201, 204), timeout=None):
        st, data, dt = await self.raw(method, path, body, timeout=timeout)
        if st not in ok:
            raise HTTPFailure(f"{method} {path}: {st} {data[:300]!r}")
        return (json.loads(data) if data else None), dt

    async def store_revision(self):
        """The store's revision, from GET /metrics (no token)."""
        st, data, _ = await self.raw("GET", "/metrics", timeout=600)
        m = re.search(rb"^vnet_controller_store_revision (\d+)", data, re.M)
        if st != 200 or m is None:
            raise HTTPFailure(f"GET /metrics: {st}, no store revision")
        return int(m.group(1))

    def close(self):
        while not self.pool.empty():
            self.pool.get_nowait().close()


# ---- the simulated agents -----------------------------------------------------------------------

REV_RE = re.compile(rb'"revision":\s*\d+')

# The document's arrays by operation kind (docs/rules-schema.md, "A list of operations").
OP_ARRAYS = {"network": "networks", "port": "ports", "static_mac": "static_macs",
             "remote_port": "remote_ports", "router": "routers",
             "security_group": "security_groups"}


def op_key(kind, x):
    if kind in ("static_mac", "remote_port"):
        return (x.get("network"), x.get("mac"))
    return x.get("prefix") if kind == "route" else x.get("id")


def apply_ops(doc, ops):
    """The document after operations ops (as vnetd applies them); ValueError if one does not
    apply (the agent then fetches the whole document)."""
    doc = dict(doc)
    for op in ops:
        kind, what = op.get("kind"), op.get("op")
        if kind == "route":
            rts = doc["routers"] = list(doc.get("routers", []))
            i = next((i for i, r in enumerate(rts) if r.get("id") == op.get("router")), None)
            if i is None:
                raise ValueError(f"no router {op.get('router')}")
            rts[i] = dict(rts[i])
            arr = rts[i]["routes"] = list(rts[i].get("routes", []))
        elif kind in OP_ARRAYS:
            arr = doc[OP_ARRAYS[kind]] = list(doc.get(OP_ARRAYS[kind], []))
        else:
            raise ValueError(f"unknown kind {kind}")
        if what == "add":
            arr.append(op["object"])
            continue
        if "object" in op:
            key = op_key(kind, op["object"])
        else:
            key = op["id"]
            key = (key.get("network"), key.get("mac")) if isinstance(key, dict) else key
        i = next((i for i, x in enumerate(arr) if op_key(kind, x) == key), None)
        if i is None:
            raise ValueError(f"{what} {kind} {key}: no such object")
        if what == "replace":
            arr[i] = op["object"]
        elif what == "remove":
            del arr[i]
        else:
            raise ValueError(f"unknown op {what}")
    return doc


class Agent:
    """One host's agent: GET its rules, POST its status, long-poll ?since=REV (&ops=1 with --ops,
    keeping the document up to date with the operations)."""

    def __init__(self, bench, name):
        self.bench, self.name = bench, name
        self.rev = None           # the revision to poll from (the answers' `revision`)
        self.doc = None           # --ops: the document held
        self.parked = False       # a long poll in flight
        self.digest = None        # the document held, revision numbers blanked
        self.docs = self.unchanged = self.errors = self.status_posts = self.ops_answers = 0
        self.task = None

    async def run(self):
        b = self.bench
        conn = Conn(b.api.host, b.api.port)
        path = f"/vnet/v1/hosts/{urllib.parse.quote(self.name)}"
        while not b.stopping:
            try:
                q = f"{path}/rules"
                if self.rev is not None:
                    q += f"?since={self.rev}" + ("&ops=1" if b.args.ops and self.doc else "")
                self.parked = self.rev is not None
                st, _, data = await conn.request("GET", q, headers={"X-Auth-Token": b.api.token},
                                                 timeout=b.args.agent_timeout)
                t = now()
                self.parked = False
                if st != 200:
                    self.errors += 1
                    if st == 401:
                        await b.reauth()
                    else:
                        await asyncio.sleep(0.5)
                    continue
                o = json.loads(data)
                rev = int(o["revision"])
                if o.get("unchanged"):
                    self.unchanged += 1
                    self.rev = max(self.rev or 0, rev)
                    continue
                if "ops" in o:
                    self.ops_answers += 1
                    try:
                        doc = apply_ops(self.doc, o["ops"])
                    except (ValueError, KeyError, TypeError):
                        self.errors += 1
                        self.rev = self.doc = None  # start over with the whole document
                        continue
                    doc["revision"] = rev
                    raw = None
                else:
                    doc, raw = o.get("document", {}), data
                if b.args.ops:
                    self.doc = doc
                b.on_document(self, rev, t, doc, raw, len(data))
                self.rev = rev
                if b.args.report != "none":
                    rep = {"revision": rev}
                    if b.args.report == "ports":
                        rep["ports"] = {p["id"]: "ACTIVE" for p in doc.get("ports", [])
                                        if "id" in p}
                    st, _, data = await conn.request(
                        "POST", f"{path}/status", json.dumps(rep).encode(),
                        {"X-Auth-Token": b.api.token}, timeout=b.args.agent_timeout)
                    self.status_posts += 1
                    if st != 204:
                        self.errors += 1
            except asyncio.CancelledError:
                break
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPFailure,
                    ValueError, KeyError):
                self.parked = False
                self.errors += 1
                conn.close()
                await asyncio.sleep(0.5)
        self.parked = False
        conn.close()


# ---- the benchmark ------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, pid):
        self.args = args
        self.api = Api(args)
        self.proc = ProcStat(pid)
        self.mon = Monitor(self, self.proc, args.max_rss_mb)
        self.spawned = None
        self.rng = random.Random(args.seed)
        self.stopping = False
        self.interrupted = False
        self.hosts = [f"{args.host_prefix}{i + 1:04d}" for i in range(args.hosts)]
        self.nets = []            # network ids
        self.net_hosts = {}       # network id -> set of hosts with a (vNIC) port on it
        self.agents = {}
        self.watch = None         # the sample being timed
        self.docs_total = 0       # documents (or operations) delivered to the agents
        self.quiet_since = None   # when the last quiet window (settle) began
        self.last_doc_t = 0.0
        self.count = None         # deliveries being counted
        self.result = {"config": {k: v for k, v in vars(args).items() if k != "password"}}
        self._reauth_lock = asyncio.Lock()

    async def reauth(self):
        async with self._reauth_lock:
            await self.api.auth()

    # -- phase 1: setup ---------------------------------------------------------------------------

    async def run_many(self, n, fn):
        """Run fn(i) for i in 0..n-1 with `concurrency` in flight; returns completion times."""
        done = []
        it = iter(range(n))

        async def worker():
            for i in it:
                if self.interrupted:
                    return
                await fn(i)
                done.append(now())
        await asyncio.gather(*(worker() for _ in range(max(1, self.args.concurrency))))
        return done

    def vtep(self, i):
        n = i + 1
        return f"172.{16 + (n >> 16) % 16}.{(n >> 8) & 255}.{n & 255}"

    def cidr(self, k):
        a = self.args
        base = (10 << 24) + (k * (1 << (32 - a.subnet_prefix))) % (1 << 24)
        return f"{base >> 24}.{(base >> 16) & 255}.{(base >> 8) & 255}.{base & 255}/{a.subnet_prefix}"

    def layout(self, i):
        """(host index, network index) of setup port i."""
        a = self.args
        H, N = len(self.hosts), a.networks
        if a.layout == "modulo":
            return i % H, i % N
        if a.layout == "spread":
            return i % H, (i + i // H) % N
        r = random.Random(a.seed * 1000003 + i)
        return r.randrange(H), r.randrange(N)

    async def setup(self):
        a, res = self.args, {}
        t = now()
        lat = []

        async def reg(i):
            _, dt = await self.api.call("POST", "/vnet/v1/hosts",
                                        {"name": self.hosts[i], "vtep": self.vtep(i)})
            lat.append(dt)
        c0 = self.proc.cpu()
        done = await self.run_many(len(self.hosts), reg)
        el = now() - t
        res["hosts"] = {"n": len(done), "seconds": el, "per_s": len(done) / el if el else None,
                        "latency": dist(lat)}
        print(f"setup: {len(done)} hosts registered in {el:.2f} s "
              f"({len(done) / el:.0f}/s)", flush=True)

        tag = f"{a.name_prefix}{os.getpid()}-{int(time.time()) % 100000}"
        self.nets = [None] * a.networks
        lat = []
        t = now()

        async def net(k):
            o, dt1 = await self.api.call("POST", "/v2.0/networks",
                                         {"network": {"name": f"{tag}-n{k:04d}"}})
            nid = o["network"]["id"]
            _, dt2 = await self.api.call("POST", "/v2.0/subnets", {"subnet": {
                "network_id": nid, "ip_version": 4, "cidr": self.cidr(k),
                "name": f"{tag}-s{k:04d}"}})
            self.nets[k] = nid
            self.net_hosts[nid] = set()
            lat.extend((dt1, dt2))
        done = await self.run_many(a.networks, net)
        el = now() - t
        res["networks"] = {"n": len(done), "seconds": el, "latency": dist(lat),
                           "tag": tag}
        print(f"setup: {len(done)} networks with a subnet each in {el:.2f} s "
              f"({2 * len(done) / el:.0f} requests/s)", flush=True)

        per_net = math.ceil(a.ports / max(1, a.networks)) + a.samples
        room = 2 ** (32 - a.subnet_prefix) - 3
        if per_net > room and a.layout != "random":
            print(f"warning: up to {per_net} ports on a network, a /{a.subnet_prefix} "
                  f"holds {room}", file=sys.stderr)
        lat, marks = [], []
        t = now()

        async def port(i):
            hi, ni = self.layout(i)
            nid = self.nets[ni]
            _, dt = await self.api.call("POST", "/v2.0/ports", {"port": {
                "network_id": nid, "binding:host_id": self.hosts[hi],
                "device_owner": "compute:nova"}})
            self.net_hosts[nid].add(self.hosts[hi])
            lat.append(dt)
            n = len(lat)
            if n % max(1, a.ports // 10) == 0 or n == a.ports:
                marks.append((n, now() - t, self.proc.cpu()))
                print(f"  ports: {n}/{a.ports} in {now() - t:.1f} s", flush=True)
        done = await self.run_many(a.ports, port)
        el = now() - t
        # The create rate over each tenth of the ports (it falls as the store grows).
        tenths, prev = [], (0, 0.0)
        for n, tt, _ in marks:
            if n > prev[0] and tt > prev[1]:
                tenths.append({"ports": [prev[0], n], "per_s": (n - prev[0]) / (tt - prev[1])})
            prev = (n, tt)
        c1 = self.proc.cpu()
        res["ports"] = {"n": len(done), "seconds": el, "per_s": len(done) / el if el else None,
                        "in_flight": a.concurrency, "latency": dist(lat),
                        "rate_by_tenth": tenths,
                        "controller_cpu_s": None if c0 is None else c1 - c0}
        hosts_per_net = [len(s) for s in self.net_hosts.values()]
        res["layout"] = {"layout": a.layout, "hosts_per_network": dist(hosts_per_net)}
        print(f"setup: {len(done)} ports in {el:.2f} s: {len(done) / el:.1f} ports/s "
              f"({a.concurrency} in flight), latency {fmt_dist_s(res['ports']['latency'])}",
              flush=True)
        self.result["setup"] = res

    async def discover(self):
        """--reuse: the hosts (named PREFIXnnnn), networks (named --name-prefix...) and ports
        already in the controller, instead of making them."""
        a = self.args
        o, _ = await self.api.call("GET", "/v2.0/agents?fields=host", timeout=600)
        hosts = sorted(x["host"] for x in o["agents"] if x["host"].startswith(a.host_prefix))
        self.hosts = hosts[:a.hosts] if a.hosts else hosts
        o, _ = await self.api.call("GET", "/v2.0/networks?fields=id&fields=name", timeout=600)
        self.nets = [x["id"] for x in o["networks"] if x["name"].startswith(a.name_prefix)]
        self.net_hosts = {n: set() for n in self.nets}
        o, _ = await self.api.call("GET", "/v2.0/ports?fields=network_id&fields=binding:host_id"
                                   "&fields=device_owner", timeout=600)
        ports = 0
        for x in o["ports"]:
            if x.get("network_id") in self.net_hosts and x.get("binding:host_id") and \
                    not x.get("device_owner", "").startswith("network:"):
                self.net_hosts[x["network_id"]].add(x["binding:host_id"])
                ports += 1
        mine = set(self.hosts)
        for n in self.nets:  # only the hosts with an agent get documents
            self.net_hosts[n] &= mine
        a.networks, a.ports = len(self.nets), ports
        self.result["setup"] = {"reused": {"hosts_registered": len(hosts),
                                           "hosts_used": len(self.hosts),
                                           "networks": len(self.nets), "ports": ports,
                                           "ports_in_store": len(o["ports"])},
                                "layout": {"layout": "reused", "hosts_per_network": dist(
                                    [len(v) for v in self.net_hosts.values()])}}
        a.hosts = len(self.hosts)
        print(f"reuse: {len(self.hosts)} of {len(hosts)} hosts, {len(self.nets)} networks, "
              f"{ports} ports on them ({len(o['ports'])} ports in the store)", flush=True)
        if not self.hosts or not self.nets:
            raise SystemExit("controller_load: --reuse found no hosts or no networks")

    async def list_rates(self):
        a, res = self.args, {}
        if a.list_seconds <= 0:
            return
        for what, path in (("all", "/v2.0/ports"),
                           ("by_network", None)):
            lat, sizes, items = [], [], None
            t_end = now() + a.list_seconds

            async def worker():
                nonlocal items
                while now() < t_end and not self.interrupted:
                    p = path or f"/v2.0/ports?network_id={self.rng.choice(self.nets)}"
                    st, data, dt = await self.api.raw("GET", p, timeout=600)
                    if st != 200:
                        raise HTTPFailure(f"GET {p}: {st}")
                    lat.append(dt)
                    sizes.append(len(data))
                    if items is None:
                        items = len(json.loads(data)["ports"])
            t = now()
            c0 = self.proc.cpu()
            await asyncio.gather(*(worker() for _ in range(max(1, a.concurrency))))
            el = now() - t
            c1 = self.proc.cpu()
            res[what] = {"requests": len(lat), "seconds": el, "per_s": len(lat) / el,
                         "in_flight": a.concurrency, "latency": dist(lat),
                         "bytes_mean": sum(sizes) / len(sizes) if sizes else None,
                         "ports_in_first_answer": items,
                         "controller_cpu_per_request_s":
                             None if c0 is None or not lat else (c1 - c0) / len(lat)}
            print(f"list {path or '/v2.0/ports?network_id=ID'}: {len(lat) / el:.1f} requests/s "
                  f"({a.concurrency} in flight, {len(lat)} in {el:.1f} s), {items} ports a "
                  f"list, {res[what]['bytes_mean'] or 0:.0f} bytes, latency "
                  f"{fmt_dist_s(res[what]['latency'])}", flush=True)
        self.result["list"] = res

    # -- phase 2: every host's document at once ---------------------------------------------------

    async def compile_all(self):
        a, res = self.args, {}
        # One host at a time first: what one document costs on an otherwise idle controller.
        one = []
        for name in random.Random(a.seed + 1).sample(self.hosts, min(5, len(self.hosts))):
            c = Conn(self.api.host, self.api.port)
            await c.open()
            t = now()
            st, _, data = await c.request("GET", f"/vnet/v1/hosts/{name}/rules",
                                          headers={"X-Auth-Token": self.api.token}, timeout=600)
            one.append(now() - t)
            c.close()
        res["one_at_a_time"] = dist(one)
        res["one_at_a_time_s"] = one  # in order: the first may read the store, the others not
        conns = [Conn(self.api.host, self.api.port) for _ in self.hosts]
        await asyncio.gather(*(c.open() for c in conns))
        lat, sizes, errors = [], [], 0
        self.mon.reset()
        c0 = self.proc.cpu()
        t0 = now()

        async def fetch(c, name):
            nonlocal errors
            st, _, data = await c.request("GET", f"/vnet/v1/hosts/{name}/rules",
                                          headers={"X-Auth-Token": self.api.token},
                                          timeout=a.agent_timeout)
            if st != 200:
                errors += 1
                return
            lat.append(now() - t0)
            sizes.append(len(data))
        await asyncio.gather(*(fetch(c, n) for c, n in zip(conns, self.hosts)),
                             return_exceptions=False)
        wall = now() - t0
        c1 = self.proc.cpu()
        for c in conns:
            c.close()
        res.update({"hosts": len(self.hosts), "wall_s": wall, "per_host": dist(lat),
                    "errors": errors, "bytes_mean": sum(sizes) / len(sizes) if sizes else None,
                    "controller_cpu_s": None if c0 is None else c1 - c0,
                    "controller_peak": self.mon.peak()})
        self.result["compile_all"] = res
        print(f"compile-all: one host alone, {len(one)} in turn: "
              f"{', '.join(fmt_ms(x) for x in one)}; all "
              f"{len(self.hosts)} at once: {fmt_ms(wall)} wall, per host "
              f"{fmt_dist_s(res['per_host'])}, {res['bytes_mean'] or 0:.0f} bytes a document"
              + ("" if c0 is None else f", controller CPU {c1 - c0:.2f} s, peak RSS "
                   f"{self.mon.peak_rss:.0f} MiB"), flush=True)

    # -- phase 3: agents --------------------------------------------------------------------------

    def contains(self, doc, w):
        """Whether document doc has the watched port: by id among the host's own ports, by
        (network, MAC) among the remote ports (they carry no id, docs/rules-schema.md)."""
        if "ports" in doc or "remote_ports" in doc:
            for p in doc.get("ports", ()):
                if p.get("id") == w["id"]:
                    return True
            for p in doc.get("remote_ports", ()):
                if p.get("mac") == w["mac"] and p.get("network") == w["net"]:
                    return True
            return False
        s = json.dumps(doc)
        return w["id"] in s or w["mac"] in s

    def on_document(self, ag, rev, t, doc, raw, size):
        raw_was_ops = raw is None
        if raw is None:  # operations: the document held, as it now is
            raw = json.dumps({k: v for k, v in doc.items() if k != "revision"},
                             sort_keys=True).encode()
        digest = hashlib.blake2b(REV_RE.sub(b"", raw), digest_size=16).digest()
        changed = digest != ag.digest
        ag.digest = digest
        ag.docs += 1
        self.docs_total += 1
        self.last_doc_t = t
        c = self.count
        if c is not None:
            aff = c["affected"] is not None and ag.name in c["affected"]
            k = "aff" if aff else "unaff"
            c["docs_" + k] += 1
            c["changed_" + k] += changed
            c["hosts_" + k].add(ag.name)
            c["bytes"] += size
            c["ops"] += raw_was_ops
            c["last_t"] = t
        w = self.watch
        if w is not None:
            if w["id"] is None:  # the POST is not answered yet: check once it is
                w["early"].append((ag.name, rev, t, doc))
            else:
                self.check(w, ag.name, rev, t, doc)
        return changed

    def check(self, w, name, rev, t, doc):
        if self.contains(doc, w):
            if name in w["remaining"]:
                w["remaining"].discard(name)
                w["seen"][name] = (t - w["t0"], rev)
                if not w["remaining"]:
                    w["done"].set()
            elif name not in w["affected"]:
                w["unexpected"].add(name)

    def new_count(self, affected):
        return {"affected": affected, "docs_aff": 0, "docs_unaff": 0, "changed_aff": 0,
                "changed_unaff": 0, "hosts_aff": set(), "hosts_unaff": set(), "bytes": 0,
                "last_t": None, "ops": 0}

    async def settle(self, timeout):
        """Wait until nothing moves: every agent parked in a long poll (no status report in
        flight), and over --quiet-window seconds no document delivered, the store's revision
        the same and (with a pid) the controller idle (under 5 % of a core). The controller
        wakes an agent only when its document changed, so the agents' revisions alone cannot
        tell that it is done. Returns the store's revision, or None on timeout."""
        a = self.args
        t_end = now() + timeout
        while now() < t_end and not self.interrupted:
            if not all(ag.parked for ag in self.agents.values()):
                await asyncio.sleep(0.02)
                continue
            rev, docs, c0, t = await self.api.store_revision(), self.docs_total, \
                self.proc.cpu(), now()
            await asyncio.sleep(a.quiet_window)
            if not all(ag.parked for ag in self.agents.values()) or self.docs_total != docs:
                continue
            if (await self.api.store_revision()) != rev:
                continue
            c1 = self.proc.cpu()
            if c0 is not None and c1 - c0 > 0.05 * (now() - t) + 0.011:
                continue
            self.quiet_since = t
            return rev
        return None

    async def start_agents(self):
        a, res = self.args, {}
        rev0 = await self.api.store_revision()
        self.mon.reset()
        c0, u0 = self.proc.cpu(), self_cpu()
        self.count = self.new_count(None)
        t0 = now()
        for name in self.hosts:
            ag = Agent(self, name)
            self.agents[name] = ag
            ag.task = asyncio.ensure_future(ag.run())
        t_all = None
        while t_all is None and now() - t0 < a.settle_timeout and not self.interrupted:
            if all(ag.rev is not None for ag in self.agents.values()):
                t_all = now() - t0
            else:
                await asyncio.sleep(0.01)
        rev = await self.settle(a.settle_timeout)
        el = self.last_doc_t - t0
        t_quiet = None if rev is None else self.quiet_since - t0
        c1, u1 = self.proc.cpu(), self_cpu()
        cnt, self.count = self.count, None
        res = {"hosts": len(self.hosts), "settled": rev is not None,
               "all_have_a_document_s": t_all, "last_document_s": el,
               "quiet_from_s": t_quiet,
               "revision_before": rev0, "revision_after": rev,
               "documents": cnt["docs_unaff"], "bytes": cnt["bytes"],
               "controller_cpu_s": None if c0 is None else c1 - c0,
               "client_cpu_s": u1 - u0, "controller_peak": self.mon.peak(),
               "errors": sum(ag.errors for ag in self.agents.values())}
        self.result["warmup"] = res
        print(f"agents: {len(self.hosts)} started; each had a document after "
              f"{fmt_ms(t_all)}, the last document came at {fmt_ms(el)}, quiet from "
              f"{fmt_ms(t_quiet) if rev is not None else 'NEVER'} (revision {rev0} -> {rev}, "
              f"{cnt['docs_unaff']} documents, {cnt['bytes'] / 2**20:.1f} MiB"
              + ("" if c0 is None else f", controller CPU {c1 - c0:.1f} s, peak RSS "
                   f"{self.mon.peak_rss:.0f} MiB, {self.mon.peak_threads} threads")
              + f", this tool's CPU {u1 - u0:.1f} s)", flush=True)
        if rev is None:
            return False
        if a.idle_seconds > 0 and self.proc.pid is not None:
            c0, t = self.proc.cpu(), now()
            r0 = await self.api.store_revision()
            await asyncio.sleep(a.idle_seconds)
            c1, el = self.proc.cpu(), now() - t
            r1 = await self.api.store_revision()
            self.result["idle"] = {"seconds": el, "controller_cpu_s": c1 - c0,
                                   "cpu_percent_of_a_core": 100 * (c1 - c0) / el,
                                   "revisions": r1 - r0}
            print(f"idle: {len(self.hosts)} agents parked in long polls for {el:.1f} s: "
                  f"controller CPU {100 * (c1 - c0) / el:.1f} % of a core "
                  f"(revisions meanwhile: {r1 - r0})", flush=True)
        return True

    # -- phase 4: samples -------------------------------------------------------------------------

    async def samples(self):
        a = self.args
        out = []
        self.mon.reset()
        t_budget = now() + a.sample_budget if a.sample_budget else None
        for s in range(a.samples):
            if self.interrupted or (t_budget is not None and now() > t_budget):
                break
            rev_before = await self.settle(a.settle_timeout)
            if rev_before is None:
                print("samples: the agents did not settle; stopping", flush=True)
                break
            host = self.rng.choice(self.hosts)
            nid = self.rng.choice(self.nets)
            affected = set(self.net_hosts[nid]) | {host}
            w = {"t0": None, "id": None, "mac": None, "net": nid, "affected": affected,
                 "remaining": set(affected), "seen": {}, "unexpected": set(),
                 "early": [], "done": asyncio.Event()}
            c0, u0 = self.proc.cpu(), self_cpu()
            self.count = self.new_count(affected)
            t0 = now()
            w["t0"] = t0
            self.watch = w
            st, data, post_s = await self.api.raw("POST", "/v2.0/ports", {"port": {
                "network_id": nid, "binding:host_id": host, "device_owner": "compute:nova"}},
                timeout=600)
            if st != 201:
                raise HTTPFailure(f"POST /v2.0/ports: {st} {data[:200]!r}")
            p = json.loads(data)["port"]
            w["id"], w["mac"] = p["id"], p["mac_address"]
            # Documents that arrived before the POST's answer (the revision is committed first).
            for e in w["early"]:
                self.check(w, *e)
            w["early"] = []
            try:
                await asyncio.wait_for(w["done"].wait(), a.sample_timeout)
                latency = max(v[0] for v in w["seen"].values())
            except asyncio.TimeoutError:
                latency = None
            t_done = now()
            self.watch = None
            self.net_hosts[nid].add(host)
            rev_after = await self.settle(a.settle_timeout)
            c1, u1 = self.proc.cpu(), self_cpu()
            cnt, self.count = self.count, None
            change_revs = sorted({v[1] for v in w["seen"].values()})
            rec = {
                "host": host, "network": nid, "port": w["id"], "post_s": post_s,
                "affected": len(affected), "latency_s": latency,
                "host_latencies_s": sorted(v[0] for v in w["seen"].values()),
                "missing": sorted(w["remaining"]), "unexpected": sorted(w["unexpected"]),
                "revision_before": rev_before, "revision_after": rev_after,
                "first_revision_with_port": change_revs[0] if change_revs else None,
                "last_document_s": None if cnt["last_t"] is None else cnt["last_t"] - t0,
                "docs_affected": cnt["docs_aff"], "docs_unaffected": cnt["docs_unaff"],
                "hosts_affected_got_doc": len(cnt["hosts_aff"]),
                "hosts_unaffected_got_doc": len(cnt["hosts_unaff"]),
                "changed_docs_affected": cnt["changed_aff"],
                "changed_docs_unaffected": cnt["changed_unaff"],
                "bytes": cnt["bytes"], "answers_as_ops": cnt["ops"],
                "controller_cpu_s": None if c0 is None else c1 - c0,
                "controller_rss_mb": (self.proc.read() or {}).get("rss_mb"),
                "client_cpu_s": u1 - u0,
            }
            out.append(rec)
            print(f"  sample {s + 1}/{a.samples}: {len(affected)} affected hosts, all had the "
                  f"port after {fmt_ms(latency) if latency is not None else 'TIMEOUT'} "
                  f"(POST {fmt_ms(post_s)}); last document at "
                  f"{fmt_ms(rec['last_document_s'])}, revisions "
                  f"{rev_before}->{rev_after}, documents to {len(cnt['hosts_aff'])} affected + "
                  f"{len(cnt['hosts_unaff'])} other hosts ({cnt['changed_aff'] + cnt['changed_unaff']}"
                  f" of {cnt['docs_aff'] + cnt['docs_unaff']} changed)"
                  + ("" if c0 is None else f", controller CPU {c1 - c0:.2f} s"), flush=True)
            if rev_after is None:
                print("samples: the agents did not settle; stopping", flush=True)
                break
        self.result["samples"] = out
        self.result["samples_controller_peak"] = self.mon.peak()
        return out

    def summarize_samples(self, out):
        if not out:
            return None
        ok = [r for r in out if r["latency_s"] is not None]
        s = {
            "samples": len(out), "timeouts": len(out) - len(ok),
            "latency_all_affected_s": dist([r["latency_s"] for r in ok]),
            "latency_per_host_s": dist([x for r in out for x in r["host_latencies_s"]]),
            "post_s": dist([r["post_s"] for r in out]),
            "last_document_s": dist([r["last_document_s"] for r in out
                                     if r["last_document_s"] is not None]),
            "affected_hosts": dist([r["affected"] for r in out]),
            "hosts_affected_got_doc": dist([r["hosts_affected_got_doc"] for r in out]),
            "hosts_unaffected_got_doc": dist([r["hosts_unaffected_got_doc"] for r in out]),
            "docs_per_change": dist([r["docs_affected"] + r["docs_unaffected"] for r in out]),
            "changed_docs_per_change": dist([r["changed_docs_affected"] +
                                             r["changed_docs_unaffected"] for r in out]),
            "revisions_per_change": dist([r["revision_after"] - r["revision_before"]
                                          for r in out if r["revision_after"] is not None]),
            "bytes_per_change": dist([r["bytes"] for r in out]),
            "answers_as_ops": sum(r["answers_as_ops"] for r in out),
            "answers": sum(r["docs_affected"] + r["docs_unaffected"] for r in out),
            "controller_peak": self.result.get("samples_controller_peak"),
            "client_cpu_per_change_s": dist([r["client_cpu_s"] for r in out]),
            "missing": sum(len(r["missing"]) for r in out),
            "unexpected": sum(len(r["unexpected"]) for r in out),
        }
        if out[0]["controller_cpu_s"] is not None:
            s["controller_cpu_per_change_s"] = dist([r["controller_cpu_s"] for r in out])
        self.result["samples_summary"] = s
        return s

    async def stop_agents(self):
        self.stopping = True
        tasks = [ag.task for ag in self.agents.values() if ag.task is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def print_summary(b):
    r, a = b.result, b.args
    print("\n==== summary " + "=" * 66)
    print(f"controller {a.url}: {a.hosts} hosts, {a.networks} networks, {a.ports} ports "
          f"(layout {a.layout}), agents report {a.report}, "
          f"{'operations (ops=1)' if a.ops else 'whole documents'}")
    st = r.get("setup", {})
    if "reused" in st:
        x = st["reused"]
        print(f"reused            {x['hosts_used']} of {x['hosts_registered']} hosts, "
              f"{x['networks']} networks, {x['ports']} ports on them")
    if "ports" in st:
        p = st["ports"]
        print(f"port create       {p['per_s']:.1f} ports/s with {p['in_flight']} in flight "
              f"({p['n']} in {p['seconds']:.1f} s), latency {fmt_dist_s(p['latency'])}")
        if p["rate_by_tenth"]:
            rb = p["rate_by_tenth"]
            print(f"                  first tenth {rb[0]['per_s']:.1f}/s, last tenth "
                  f"{rb[-1]['per_s']:.1f}/s")
        if p.get("controller_cpu_s") is not None and p["n"]:
            print(f"                  controller CPU {1000 * p['controller_cpu_s'] / p['n']:.1f} ms "
                  "a port")
    if "layout" in st:
        d = st["layout"]["hosts_per_network"]
        print(f"hosts per network {fmt_dist_n(d)}")
    for k, label in (("all", "GET /v2.0/ports"), ("by_network", "GET ?network_id=")):
        x = r.get("list", {}).get(k)
        if x:
            print(f"{label:<17} {x['per_s']:.1f} requests/s ({x['in_flight']} in flight), "
                  f"{x['ports_in_first_answer']} ports a list, latency p50 "
                  f"{fmt_ms(x['latency'].get('p50'))}")
    c = r.get("compile_all")
    if c:
        print(f"compile-all       {c['hosts']} documents at once in {fmt_ms(c['wall_s'])}; per host "
              f"p50 {fmt_ms(c['per_host'].get('p50'))}, p99 {fmt_ms(c['per_host'].get('p99'))}; "
              f"one alone p50 {fmt_ms(c['one_at_a_time'].get('p50'))}")
    wu = r.get("warmup")
    if wu:
        print(f"agents warm-up    all {wu['hosts']} had a document after "
              f"{fmt_ms(wu['all_have_a_document_s'])}; last document at "
              f"{fmt_ms(wu['last_document_s'])}; quiet from {fmt_ms(wu['quiet_from_s'])} "
              f"({wu['documents']} documents, revisions {wu['revision_before']} -> "
              f"{wu['revision_after']})")
    idle = r.get("idle")
    if idle:
        print(f"idle (parked)     controller {idle['cpu_percent_of_a_core']:.1f} % of a core")
    s = r.get("samples_summary")
    if s:
        print(f"change -> all affected hosts have it ({s['samples']} samples, "
              f"{s['timeouts']} timed out):")
        print(f"                  {fmt_dist_s(s['latency_all_affected_s'])}")
        print(f"  per host        {fmt_dist_s(s['latency_per_host_s'])}")
        print(f"  POST /v2.0/ports {fmt_dist_s(s['post_s'])}")
        print(f"  last document   {fmt_dist_s(s['last_document_s'])} (any host, after the POST)")
        print(f"  affected hosts  {fmt_dist_n(s['affected_hosts'])}")
        print(f"  hosts sent a document: affected {fmt_dist_n(s['hosts_affected_got_doc'])}; "
              f"others {fmt_dist_n(s['hosts_unaffected_got_doc'])}")
        print(f"  documents a change {fmt_dist_n(s['docs_per_change'])}, of which with new "
              f"content {fmt_dist_n(s['changed_docs_per_change'])}")
        print(f"  revisions a change {fmt_dist_n(s['revisions_per_change'])}; "
              f"sent {s['bytes_per_change']['mean'] / 2**20:.3f} MiB a change (mean)"
              + (f"; {s['answers_as_ops']} of {s['answers']} answers were ops"
                 if a.ops else ""))
        if "controller_cpu_per_change_s" in s:
            d = s["controller_cpu_per_change_s"]
            print(f"  controller CPU a change: p50 {d['p50']:.3f} s, max {d['max']:.3f} s, "
                  f"mean {d['mean']:.3f} s")
        if s.get("controller_peak") and s["controller_peak"]["rss_mb"]:
            print(f"  controller peak RSS {s['controller_peak']['rss_mb']:.0f} MiB, "
                  f"{s['controller_peak']['threads']} threads")
        d = s["client_cpu_per_change_s"]
        print(f"  this tool's CPU a change: p50 {d['p50']:.3f} s, mean {d['mean']:.3f} s")
        if s["missing"] or s["unexpected"]:
            print(f"  WRONG: {s['missing']} affected hosts never got the port, "
                  f"{s['unexpected']} unaffected hosts got it")
    fin = r.get("controller_end")
    if fin:
        print(f"controller at the end: {fin['threads']} threads, RSS {fin['rss_mb']:.0f} MiB, "
              f"CPU {fin['cpu']:.1f} s in all")
    print(f"agent errors (reconnects, non-2xx): {r.get('agent_errors', 0)}; this run took "
          f"{r.get('wall_s', 0):.0f} s, this tool's CPU {r.get('client_cpu_s', 0):.1f} s")


# ---- a controller of our own (--spawn) ----------------------------------------------------------


class Spawned:
    def __init__(self, args):
        u = urllib.parse.urlsplit(args.url)
        self.dir = tempfile.mkdtemp(prefix="controller_load.")
        db = os.path.join(self.dir, "c.db")
        subprocess.run([args.spawn, "user", "add", "--db", db, args.user, "--project",
                        args.project, "--role", "admin"], input=args.password + "\n",
                       text=True, check=True)
        self.log = open(os.path.join(self.dir, "controller.log"), "w")
        self.p = subprocess.Popen([args.spawn, "serve", "--db", db, "--listen",
                                   f"{u.hostname}:{u.port}", "--poll-max", str(args.poll_max)],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.p.pid

    async def wait_ready(self, host, port):
        for _ in range(200):
            if self.p.poll() is not None:
                raise SystemExit(f"controller_load: the controller exited ({self.p.returncode}); "
                                 f"its log: {self.log.name}")
            try:
                c = Conn(host, port)
                st, _, _ = await c.request("GET", "/v3", timeout=2)
                c.close()
                if st == 200:
                    if self.p.poll() is None and self.listens(port):
                        return
                    await asyncio.sleep(0.1)
                    continue
            except OSError:
                pass
            await asyncio.sleep(0.05)
        raise SystemExit("controller_load: the controller does not answer")

    def listens(self, port):
        """Whether our controller holds the socket listening on port (and not another
        server), from /proc/net/tcp and our process's file descriptors; True if unknown."""
        try:
            inodes = set()
            with open("/proc/net/tcp") as f:
                for line in list(f)[1:]:
                    x = line.split()
                    if x[3] == "0A" and int(x[1].split(":")[1], 16) == port:
                        inodes.add(x[9])
            fds = os.listdir(f"/proc/{self.pid}/fd")
        except OSError:
            return True
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
        return False

    def stop(self, keep):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()
        if keep:
            print(f"(controller store and log kept in {self.dir})")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---- main ---------------------------------------------------------------------------------------

PRESETS = {
    "quick": dict(hosts=50, ports=500, networks=5, samples=10, list_seconds=1.0,
                  idle_seconds=1.0),
    "full": dict(hosts=1000, ports=10000, networks=100, samples=100, list_seconds=3.0,
                 idle_seconds=5.0),
}


def mem_default():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 * 0.6)
    except OSError:
        pass
    return 0


class Help(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action):
        if action.default is None:  # the presets' options say their defaults themselves
            return action.help
        return super()._get_help_string(action)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Load vnet-controller with simulated agents: setup rates, list rates, "
        "per-host compile time, and the time from a port's creation to every affected host "
        "holding it (bench/controller_load.md).",
        formatter_class=Help)
    ap.add_argument("--url", default="http://127.0.0.1:19696", help="the controller")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--project", default="admin")
    ap.add_argument("--hosts", type=int, help="hosts (agents) (default: 1000; --quick: 50)")
    ap.add_argument("--ports", type=int, help="ports made at setup (default: 10000; --quick: 500)")
    ap.add_argument("--networks", type=int, help="networks (default: 100; --quick: 5)")
    ap.add_argument("--samples", type=int, help="port creations timed (default: 100; --quick: 10)")
    ap.add_argument("--quick", action="store_true",
                    help="small preset for a smoke test: 50 hosts, 500 ports, 5 networks, "
                    "10 samples (explicit options win)")
    ap.add_argument("--layout", choices=("modulo", "spread", "random"), default="modulo",
                    help="setup port i: modulo = host i%%H, network i%%N; spread = host i%%H, "
                    "network (i + i//H)%%N (a host's ports on different networks); random")
    ap.add_argument("--concurrency", type=int, default=8,
                    help="API requests in flight during setup and list timing")
    ap.add_argument("--subnet-prefix", type=int, default=16,
                    help="prefix length of each network's subnet (in 10.0.0.0/8)")
    ap.add_argument("--list-seconds", type=float, help="time each list for this long (default: 3; --quick: 1)")
    ap.add_argument("--compile-all", action="store_true",
                    help="time every host fetching its document from scratch at once (before "
                    "the agents start)")
    ap.add_argument("--reuse", action="store_true",
                    help="make nothing: use the hosts, networks and ports already in the "
                    "controller (hosts named --host-prefix..., at most --hosts of them; networks "
                    "named --name-prefix...), e.g. those of an earlier --no-agents run")
    ap.add_argument("--no-agents", action="store_true",
                    help="stop after setup (and --compile-all): no agents, no samples")
    ap.add_argument("--ops", action="store_true",
                    help="agents long-poll with &ops=1 and apply the operations to the document "
                    "they hold (else they get whole documents)")
    ap.add_argument("--quiet-window", type=float, default=0.5,
                    help="quiet = every agent parked, no document, the same revision and the "
                    "controller idle for this many seconds (before each sample and after it)")
    ap.add_argument("--report", choices=("ports", "revision", "none"), default="ports",
                    help="what an agent POSTs to .../status after each document: its ports "
                    "ACTIVE and the revision (as the agent will), the revision only, or nothing")
    ap.add_argument("--idle-seconds", type=float,
                    help="measure the controller's CPU with the agents parked (default: 5; --quick: 1); "
                    "needs --pid or --spawn")
    ap.add_argument("--sample-timeout", type=float, default=300,
                    help="give up on a sample after this many seconds")
    ap.add_argument("--sample-budget", type=float, default=0,
                    help="take no new sample after this many seconds of sampling (0: none)")
    ap.add_argument("--settle-timeout", type=float, default=900,
                    help="longest wait for all agents to hold the store's revision")
    ap.add_argument("--agent-timeout", type=float, default=900,
                    help="an agent's request gives up after this many seconds")
    ap.add_argument("--poll-max", type=int, default=30,
                    help="the controller's --poll-max (for --spawn)")
    ap.add_argument("--pid", type=int, help="the controller's pid, for its CPU time "
                    "(/proc/PID/stat)")
    ap.add_argument("--spawn", metavar="BINARY",
                    help="start a controller of our own (BINARY serve, fresh store in a temp "
                    "dir, the user made admin) on --url's address, and stop it at the end")
    ap.add_argument("--keep", action="store_true", help="with --spawn: keep the temp dir")
    ap.add_argument("--max-rss-mb", type=float, default=mem_default(),
                    help="stop the agents if the controller's RSS passes this many MiB (0: "
                    "never), and kill the controller if --spawn made it; by default 60%% of "
                    "MemTotal")
    ap.add_argument("--max-rss-kill", action="store_true",
                    help="past --max-rss-mb, also SIGKILL the --pid controller (its threads go "
                    "on compiling after the agents hang up)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--host-prefix", default="hv", help="hosts are PREFIX0001...")
    ap.add_argument("--name-prefix", default="load-", help="networks' names start with it")
    ap.add_argument("--json", metavar="FILE", help="write every figure (and each sample) here")
    args = ap.parse_args(argv)
    preset = PRESETS["quick" if args.quick else "full"]
    for k, v in preset.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    return args


def binary_of(pid):
    """Which binary the controller runs: its path, the file's time and its sha256 (read through
    /proc/PID/exe, so a binary rebuilt since still names the one running)."""
    out = {}
    try:
        out["exe"] = os.readlink(f"/proc/{pid}/exe")
        with open(f"/proc/{pid}/exe", "rb") as f:
            out["sha256"] = hashlib.sha256(f.read()).hexdigest()
            out["mtime"] = time.strftime("%Y-%m-%d %H:%M:%S",
                                         time.localtime(os.fstat(f.fileno()).st_mtime))
    except OSError as e:
        out["error"] = str(e)
    return out


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft < need:
        print(f"warning: open files limited to {soft}, {need} wanted", file=sys.stderr)
    return soft


async def amain(args):
    spawned = None
    if args.spawn:
        u = urllib.parse.urlsplit(args.url)
        try:  # another server there would answer in our controller's place
            _, w = await asyncio.wait_for(asyncio.open_connection(u.hostname, u.port), 2)
            w.close()
            raise SystemExit(f"controller_load: something already listens on "
                             f"{u.hostname}:{u.port}: give --spawn another --url")
        except (OSError, asyncio.TimeoutError):
            pass
        spawned = Spawned(args)
    pid = args.pid if args.pid is not None else (spawned.pid if spawned else None)
    b = Bench(args, pid)
    b.spawned = spawned
    t_start = now()
    loop = asyncio.get_running_loop()

    def on_int():
        if b.interrupted:
            os._exit(130)
        b.interrupted = True
        print("\ninterrupted: finishing the current step, then the summary (again: quit)",
              file=sys.stderr, flush=True)
    loop.add_signal_handler(signal.SIGINT, on_int)
    try:
        if spawned:
            await spawned.wait_ready(b.api.host, b.api.port)
        await b.api.auth()
        mon = asyncio.ensure_future(b.mon.run())
        if pid is None:
            print("(no --pid: the controller's CPU is not measured)")
        else:
            b.result["controller_binary"] = binary_of(pid)
            x = b.result["controller_binary"]
            print(f"controller pid {pid}: {x.get('exe')} (sha256 {x.get('sha256', '?')[:12]}, "
                  f"built {x.get('mtime', '?')})", flush=True)
        if args.reuse:
            await b.discover()
        else:
            await b.setup()
        if not b.interrupted:
            await b.list_rates()
        if args.compile_all and not b.interrupted:
            await b.compile_all()
        if not args.no_agents and not b.interrupted:
            if await b.start_agents():
                out = await b.samples()
                b.summarize_samples(out)
            b.result["agent_errors"] = sum(ag.errors for ag in b.agents.values())
            await b.stop_agents()
        b.result["controller_end"] = b.proc.read()
        b.result["client_cpu_s"] = self_cpu()
        b.result["wall_s"] = now() - t_start
        print_summary(b)
        mon.cancel()
    finally:
        b.api.close()
        if spawned:
            spawned.stop(args.keep)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(b.result, f, indent=1, default=list)
                f.write("\n")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    raise_nofile(2 * args.hosts + args.concurrency + 64)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
