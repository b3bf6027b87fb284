#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Measurements of bench/agent_e2e.sh (which sets the system up and says what each one is).

  agent_e2e.py ports --url U --ca CA --token T --network NET --host H --agent A --echo IP NS...
  agent_e2e.py rules --url U --ca CA --token T --network NET --group SG --sim-hosts S
                     --changes R --state APPLIED.json [--state ...] --admin-password PW

Python 3 standard library only.
"""

import argparse
import ctypes
import http.client
import json
import math
import os
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL("libc.so.6", use_errno=True)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))]


def dist_ms(values):
    if not values:
        return "n=0"
    return "n=%d p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms" % (
        len(values), pct(values, 50) * 1e3, pct(values, 90) * 1e3, pct(values, 99) * 1e3,
        max(values) * 1e3)


class Api:
    """Keep-alive HTTPS (or HTTP) requests with a token."""

    def __init__(self, url, ca, token=None):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.https = u.hostname, u.port, u.scheme == "https"
        self.ctx = ssl.create_default_context(cafile=ca) if self.https else None
        self.token = token
        self.conn = None

    def call(self, method, path, body=None, timeout=30, ok=(200, 201, 204)):
        for attempt in range(2):
            if self.conn is None:
                if self.https:
                    self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)
                else:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self.conn.timeout = timeout
            hdr = {"Content-Type": "application/json"}
            if self.token:
                hdr["X-Auth-Token"] = self.token
            try:
                self.conn.request(method, path, json.dumps(body) if body is not None else None, hdr)
                r = self.conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if r.status not in ok:
                raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:300]))
            return json.loads(data) if data else None, r
        return None, None


def ports(a):
    api = Api(a.url, a.ca, a.token)
    agent = Api(a.agent, None)
    times, created, told, addressed = [], [], [], []
    for i, ns in enumerate(a.namespaces):
        fd = os.open("/run/netns/" + ns, os.O_RDONLY)
        go, done = threading.Event(), {}

        def probe():
            if libc.setns(fd, CLONE_NEWNET) != 0:
                done["error"] = "setns: errno %d" % ctypes.get_errno()
                return
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            go.wait()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    s.sendto(b"probe", (a.echo, 7))
                except OSError:
                    time.sleep(0.0005)
                    continue
                done.setdefault("addressed", time.monotonic())
                r, _, _ = select.select([s], [], [], 0.001)
                if r:
                    s.recv(64)
                    done["t1"] = time.monotonic()
                    return

        t = threading.Thread(target=probe)
        t.start()
        time.sleep(0.01)  # the probe thread in its namespace, waiting
        t0 = time.monotonic()
        go.set()
        p, _ = api.call("POST", "/v2.0/ports", {"port": {"network_id": a.network, "name": "b%d" % i,
                                                          "binding:host_id": a.host}})
        created.append(time.monotonic() - t0)
        agent.call("POST", "/v1/ports/%s/netns" % p["port"]["id"], {"netns": "/run/netns/" + ns, "ifname": "eth0"})
        told.append(time.monotonic() - t0)
        t.join()
        os.close(fd)
        if "t1" not in done:
            sys.exit("port %d (%s): no echo within 10 s %s" % (i, ns, done.get("error", "")))
        times.append(done["t1"] - t0)
        addressed.append(done["addressed"] - t0)
    print("new container port, API call to traffic (UDP echo across hosts): " + dist_ms(times))
    print("  of which: port created (API answer) " + dist_ms(created))
    print("            namespace told to the agent (its answer) " + dist_ms(told))
    print("            container addressed (first datagram sent) " + dist_ms(addressed))


def rule_ids(doc):
    return {r.get("id") for g in doc.get("security_groups", []) for r in g.get("rules", [])}


def rules(a):
    api = Api(a.url, a.ca, a.token)
    adm = Api(a.url, a.ca)
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": a.admin_password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
    _, r = adm.call("POST", "/v3/auth/tokens", body)
    adm.token = r.getheader("X-Subject-Token")
    hosts = ["sim%d" % i for i in range(a.sim_hosts)]
    for i, h in enumerate(hosts):
        adm.call("POST", "/vnet/v1/hosts", {"name": h, "vtep": "198.18.%d.%d" % (i // 250, i % 250 + 1)})
        api.call("POST", "/v2.0/ports", {"port": {"network_id": a.network, "name": h, "binding:host_id": h}})
    seen = {}  # host -> {rule id: first time seen}
    lock = threading.Lock()
    stop = threading.Event()

    def note(h, ids):
        t = time.monotonic()
        with lock:
            d = seen.setdefault(h, {})
            for x in ids:
                d.setdefault(x, t)

    def sim(h):
        c = Api(a.url, a.ca, adm.token)
        doc, _ = c.call("GET", "/vnet/v1/hosts/%s/rules" % h)
        rev = doc["revision"]
        note(h, rule_ids(doc["document"]))
        while not stop.is_set():
            ans, _ = c.call("GET", "/vnet/v1/hosts/%s/rules?since=%d" % (h, rev), timeout=90)
            if ans.get("document"):
                rev = ans["revision"]
                note(h, rule_ids(ans["document"]))

    def real(path):
        while not stop.is_set():
            try:
                with open(path) as f:
                    note(path, rule_ids(json.load(f)["document"]))
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.002)

    threads = [threading.Thread(target=sim, args=(h,), daemon=True) for h in hosts]
    threads += [threading.Thread(target=real, args=(p,), daemon=True) for p in a.state]
    for t in threads:
        t.start()
    everyone = hosts + a.state
    time.sleep(1)  # every poller parked
    all_t, real_t = [], []
    for k in range(a.changes):
        t0 = time.monotonic()
        ans, _ = api.call("POST", "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": a.group, "direction": "ingress", "ethertype": "IPv4",
            "protocol": "tcp", "port_range_min": 2000 + k, "port_range_max": 2000 + k}})
        rid = ans["security_group_rule"]["id"]
        deadline = t0 + 30
        while time.monotonic() < deadline:
            with lock:
                got = [seen.get(h, {}).get(rid) for h in everyone]
            if all(x is not None for x in got):
                break
            time.sleep(0.002)
        else:
            sys.exit("rule change %d: %d of %d hosts had it after 30 s" % (k, sum(x is not None for x in got), len(everyone)))
        all_t.append(max(got) - t0)
        real_t.append(max(got[len(hosts):]) - t0)
    stop.set()
    print("security-group rule change, until every host has it (%d simulated agents + %d real): %s"
          % (len(hosts), len(a.state), dist_ms(all_t)))
    print("  the real hosts only (applied by vnetd): " + dist_ms(real_t))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ports")
    r = sub.add_parser("rules")
    for x in (p, r):
        x.add_argument("--url", required=True)
        x.add_argument("--ca", required=True)
        x.add_argument("--token", required=True)
        x.add_argument("--network", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--agent", required=True)
    p.add_argument("--echo", required=True)
    p.add_argument("namespaces", nargs="+")
    r.add_argument("--group", required=True)
    r.add_argument("--sim-hosts", type=int, default=50)
    r.add_argument("--changes", type=int, default=20)
    r.add_argument("--state", action="append", default=[])
    r.add_argument("--admin-password", required=True)
    a = ap.parse_args()
    ports(a) if a.what == "ports" else rules(a)


if __name__ == "__main__":
    main()
