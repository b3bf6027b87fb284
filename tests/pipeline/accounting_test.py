#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# "Every packet accounted for, at speed": hostile traffic (mutate.py) on several net_pcap ports
# and the underlay of one running vnetd at once, then, for every port,
#     rx_pkts + injected + copies == sent + drops + consumed
# exactly, the packet pool back to its warm-up figure, resident memory within a tolerance, and a
# clean exit on SIGTERM. See tests/pipeline/README.md, "The accounting test". Run by
# `meson test --suite pipeline` or by hand:
#   /usr/bin/python3 tests/pipeline/accounting_test.py --vnetd build/vnetd \
#       --vnetctl build/vnetctl/vnetctl [--count N] [--seed S] [--keep] [--no-huge]

import argparse
import json
import os
import shutil
import signal
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mutate  # noqa: E402
import run_pipeline  # noqa: E402
from run_pipeline import CAUGHT_SIGNALS, Interrupted, on_signal  # noqa: E402

POLL_S = 0.05
QUIET_S = 0.5  # every frame received and no counter moved for this long: traffic has stopped
# Bounds on the waits (the default sizes take a few seconds in the ASan build); longer soaks
# (--count) scale them by the number of frames.
SETTLE_BASE_S = 30
SETTLE_PER_FRAME_S = 0.0003
# VmRSS may grow by this much between the warm-up and the end: the bulk ports' libpcap buffers
# and EAL device structures, the MAC tables, allocator slack (measured: +0.5 MB at the default
# sizes). Under AddressSanitizer, freed memory stays in its quarantine (256 MB by default), so
# RSS grows with the control thread's work (measured: +12 MB at the default sizes, +31 MB with
# --count 100000); leaks there are LeakSanitizer's job at exit. A leak of one buffer per packet
# would be far above either at the default sizes. --rss-tolerance-kb overrides it (long soaks).
RSS_TOLERANCE_KB = 8 * 1024
RSS_TOLERANCE_ASAN_KB = 64 * 1024


def is_asan(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()
FIELDS = ("rx_pkts", "injected", "copies", "sent", "drops", "consumed", "tx_pkts")


class AccountingVnetd(run_pipeline.Vnetd):
    """run_pipeline's vnetd (start with hugepage fallback, bounded waits, stop, kill and clean
    up the EAL runtime directory), with the accounting topology: revision 1 has the warm-up
    ports, the underlay reads its pcap from the start."""

    def __init__(self, args, tmp):
        super().__init__(args, None, tmp, 0)
        self.prefix = f"vnetacc{os.getpid()}"

    def port_json(self, port, index):
        dev = (f"net_pcap{index},rx_pcap={os.path.join(self.tmp, port['id'] + '.pcap')},"
               f"tx_pcap={self.out_path(port['id'])}")
        p = {k: v for k, v in port.items() if k not in ("phase", "listener")}
        return dict(p, kind="container", device=dev)

    def ports_json(self, phase):
        return [self.port_json(p, i) for i, p in enumerate(mutate.PORTS) if p["phase"] == phase]

    def config_write(self, no_huge):
        rules = {"revision": 1, "networks": mutate.NETWORKS, "ports": self.ports_json("warm"),
                 "remote_ports": mutate.REMOTE_PORTS}
        eal = ["-l", "0,1", "-m", "256", "--file-prefix", self.prefix, "--no-pci",
               "--no-telemetry"]
        cfg = {"eal_args": eal, "socket": self.sock, "idle_sleep_max_us": 100, "rules": rules,
               "underlay": dict(mutate.underlay_config(), device=(
                   f"net_pcap{len(mutate.PORTS)},"
                   f"rx_pcap={os.path.join(self.tmp, mutate.UNDERLAY + '.pcap')},"
                   f"tx_pcap={self.out_path(mutate.UNDERLAY)}"))}
        if no_huge:
            eal += ["--no-huge", "--no-shconf"]
            cfg["in_memory"] = False
        path = os.path.join(self.tmp, "vnetd.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return path

    def ports(self):
        ok, ports = self.ctl("show", "ports")
        if not ok:
            raise RuntimeError(ports)
        return {p["name"]: p for p in ports}

    def vm_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc/PID/status")

    def mempool_in_use(self):
        ok, stats = self.ctl("show", "stats")
        if not ok:
            raise RuntimeError(stats)
        return stats["mempool"]["in_use"]


def wait_settled(vd, counts, timeout):
    """Poll until every port of `counts` received all its frames and no counter of any port
    moved for QUIET_S. Returns (ports, error line or None)."""
    deadline = time.monotonic() + timeout
    last, last_ports, last_change = None, {}, time.monotonic()
    while True:
        if vd.proc.poll() is not None:
            return last_ports, f"vnetd exited with status {vd.proc.returncode}"
        ports = vd.ports()
        snap = {n: tuple(p.get(k, 0) for k in FIELDS) for n, p in ports.items()}
        now = time.monotonic()
        if snap != last:
            last, last_ports, last_change = snap, ports, now
        received = all(ports.get(n, {}).get("rx_pkts") == c for n, c in counts.items())
        if received and now - last_change >= QUIET_S:
            return ports, None
        if now > deadline:
            short = {n: f"{ports.get(n, {}).get('rx_pkts')}/{c}" for n, c in counts.items()
                     if ports.get(n, {}).get("rx_pkts") != c}
            return ports, (f"not settled after {timeout:.0f} s (rx_pkts/frames: {short or 'all'}"
                           f", last change {now - last_change:.1f} s ago)")
        time.sleep(POLL_S)


def balance(p):
    return (p["rx_pkts"] + p["injected"] + p["copies"]) - (p["sent"] + p["drops"] + p["consumed"])


def ports_table(ports):
    lines = [f"  {'PORT':9}" + "".join(f"{k:>10}" for k in FIELDS) + f"{'BALANCE':>10}"]
    for name in sorted(ports):
        p = ports[name]
        lines.append(f"  {name:9}" + "".join(f"{p.get(k, 0):>10}" for k in FIELDS) +
                     f"{balance(p):>10}")
    return lines


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=()):
        print(f"{'PASS' if ok else 'FAIL'} {what}")
        for line in detail if not ok else ():
            print(line)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        sys.stdout.flush()
        return ok


def equations_check(checks, ports, phase):
    table = ports_table(ports)
    bad = [n for n, p in sorted(ports.items()) if balance(p) != 0]
    checks.check(not bad, f"{phase}: rx_pkts + injected + copies == sent + drops + consumed on "
                 f"all {len(ports)} ports" + (f" (not on {', '.join(bad)})" if bad else ""), table)
    return table


def paths_print(vd):
    """What the traffic did: drops by reason, VXLAN sent and received (encap and decap)."""
    ok, drops = vd.ctl("drops")
    if ok:
        reasons = sorted(((r["count"], r["reason"]) for r in drops["reasons"] if r["count"]),
                         reverse=True)
        print(f"drops: {drops['total']} in {len(reasons)} reasons: " +
              ", ".join(f"{r} {n}" for n, r in reasons))
    ok, vteps = vd.ctl("show", "vteps")
    if ok:
        print("vxlan: " + ", ".join(f"{v['vtep']} tx {v['tx_pkts']} rx {v['rx_pkts']}"
                                    for v in vteps["vteps"]))


def reuse_check(vd, checks, tmp, ports):
    """A new port that gets the DPDK port id of a removed one starts at zero: nothing of the
    removed port's counters (traffic or drops by reason) shows up on it."""
    old = ports["c"]
    empty = os.path.join(tmp, "reuse_empty.pcap")
    with open(empty, "wb") as f:  # a pcap with no packet: libpcap's file header only
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    new = {"id": "c-new", "network": old["network"], "kind": "container",
           "mac": "02:00:00:00:01:7c", "ips": ["10.0.0.124"],
           "device": f"net_pcap99,rx_pcap={empty},tx_pcap={vd.out_path('c-new')}"}
    # Two transactions: within one, the new port is attached before the old one is released.
    for rev, op, what in ((3, {"op": "remove", "kind": "port", "id": "c"}, "port c removed"),
                          (4, {"op": "add", "kind": "port", "object": new}, "c-new added")):
        path = os.path.join(tmp, f"reuse{rev}.json")
        with open(path, "w") as f:
            json.dump({"revision": rev, "ops": [op]}, f)
        ok, res = vd.ctl("apply", path)
        if not checks.check(ok, f"apply revision {rev}: {what}", [f"  {res}"]):
            return
    p = vd.ports()["c-new"]
    checks.check(p["port_id"] == old["port_id"] and old["rx_pkts"] > 0,
                 f"c-new has the DPDK port id of c ({p['port_id']}), which had received "
                 f"{old['rx_pkts']} frames")
    fields = ("rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", "drops", "consumed", "injected",
              "copies", "sent")
    nonzero = {k: p[k] for k in fields if p[k] != 0}
    checks.check(not nonzero, "c-new's counters start at zero" +
                 (f" (not {nonzero})" if nonzero else ""))
    ok, drops = vd.ctl("drops")
    inherited = {r["reason"]: r["ports"]["c-new"] for r in drops.get("reasons", [])
                 if "c-new" in r["ports"]} if ok else {"(drops failed)": drops}
    checks.check(not inherited, "no drop of c shows up on c-new" +
                 (f" ({inherited})" if inherited else ""))


def run(args, checks, tmp):
    t0 = time.monotonic()
    counts = mutate.generate(tmp, args.samples, args.seed, args.count)
    print(f"frames per port (seed {args.seed}): " +
          ", ".join(f"{k} {v}" for k, v in counts.items()) +
          f"; total {sum(counts.values())}, made in {time.monotonic() - t0:.1f} s")
    warm = {p["id"]: counts[p["id"]] for p in mutate.PORTS if p["phase"] == "warm"}
    warm[mutate.UNDERLAY] = counts[mutate.UNDERLAY]
    timeout = SETTLE_BASE_S + SETTLE_PER_FRAME_S * sum(counts.values())
    vd = AccountingVnetd(args, tmp)
    try:
        try:
            vd.start()
            t1 = time.monotonic()
            ports, err = wait_settled(vd, warm, timeout)
            checks.check(err is None, f"warm-up: {len(warm)} ports received every frame "
                         f"({time.monotonic() - t1:.1f} s)", [f"  {err}"] + ports_table(ports))
            equations_check(checks, ports, "warm-up")
            # The fewest mbufs in use over half a second: a frame the control thread sends on
            # its own (an ARP request for the VTEP that never answers, once a second) holds one
            # until the worker has sent it.
            in_use0 = min(vd.mempool_in_use() for _ in range(10) if time.sleep(0.05) is None)
            rss0 = vd.vm_rss_kb()
            print(f"after warm-up: mempool in_use {in_use0}, VmRSS {rss0} kB")

            ops = [{"op": "add", "kind": "port", "object": p} for p in vd.ports_json("bulk")]
            path = os.path.join(tmp, "bulk.json")
            with open(path, "w") as f:
                json.dump({"revision": 2, "ops": ops}, f)
            t2 = time.monotonic()
            ok, res = vd.ctl("apply", path)
            if not checks.check(ok, f"apply revision 2: {len(ops)} bulk ports added",
                                [f"  {res}"]):
                raise RuntimeError("no bulk phase without its ports")
            ports, err = wait_settled(vd, counts, timeout)
            took = time.monotonic() - t2
            n_bulk = sum(counts[p["id"]] for p in mutate.PORTS if p["phase"] == "bulk")
            checks.check(err is None, f"bulk: {len(counts)} ports received every frame "
                         f"({n_bulk} frames in {took:.1f} s)", [f"  {err}"] + ports_table(ports))
            ok, status = vd.ctl("status")
            checks.check(ok and vd.proc.poll() is None and status.get("revision") == 2,
                         "vnetd alive and answering after the traffic", [f"  {status}"])
            table = equations_check(checks, ports, "bulk")
            paths_print(vd)
            if args.verbose or checks.failed:
                print("\n".join(table))
            # Back to the warm-up figure once such a frame is sent (bounded wait); a leak never is.
            in_use1 = vd.mempool_in_use()
            deadline = time.monotonic() + 3
            while in_use1 != in_use0 and time.monotonic() < deadline:
                time.sleep(0.05)
                in_use1 = vd.mempool_in_use()
            rss1 = vd.vm_rss_kb()
            tol = args.rss_tolerance_kb or (
                RSS_TOLERANCE_ASAN_KB if is_asan(args.vnetd) else RSS_TOLERANCE_KB)
            print(f"after bulk: mempool in_use {in_use1}, VmRSS {rss1} kB "
                  f"(+{rss1 - rss0} kB; tolerance {tol} kB)")
            checks.check(in_use1 == in_use0, f"mempool in_use back to the warm-up figure "
                         f"({in_use1} == {in_use0})")
            checks.check(rss1 - rss0 <= tol, f"VmRSS grew by {rss1 - rss0} kB <= {tol} kB")
            reuse_check(vd, checks, tmp, ports)
        except RuntimeError as e:
            checks.check(False, "vnetd runs the test", [f"  {e}"])
        if vd.started:
            rc = vd.stop()
            checks.check(rc == 0, f"vnetd exits 0 on SIGTERM (got {rc})")
        if checks.failed or args.verbose:
            print("\n".join(run_pipeline.log_block(vd, args.log_lines)))
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, CAUGHT_SIGNALS)
        try:
            vd.kill()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, CAUGHT_SIGNALS)


def main():
    ap = argparse.ArgumentParser(description="Every packet accounted for: hostile pcaps "
                                 "through vnetd, the per-port equation checked exactly.")
    ap.add_argument("--vnetd", required=True)
    ap.add_argument("--vnetctl", required=True)
    ap.add_argument("--samples", default=os.path.join(HERE, "..", "..", "pcap-samples"))
    ap.add_argument("--count", type=int, default=mutate.DEFAULT_COUNT,
                    help="frames per bulk port and on the underlay (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss-tolerance-kb", type=int, default=0,
                    help="VmRSS growth allowed (default 8 MB, 64 MB for an ASan vnetd)")
    ap.add_argument("--no-huge", action="store_true",
                    help="run vnetd without hugepages (the default when fewer than 256 MB free)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the counters and log")
    ap.add_argument("--log-lines", type=int, default=60, help="vnetd log lines on failure")
    args = ap.parse_args()
    for sig in CAUGHT_SIGNALS:
        signal.signal(sig, on_signal)

    checks = Checks()
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="vnet-accounting-")
    try:
        run(args, checks, tmp)
    except Interrupted as e:
        checks.check(False, f"interrupted by {e}")
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, CAUGHT_SIGNALS)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, CAUGHT_SIGNALS)
    print(f"total {time.monotonic() - t0:.1f} s")
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 and checks.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
