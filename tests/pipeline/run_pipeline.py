#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Pipeline tests: each case feeds packets (from pcap-samples/ or built inline with scapy) to one
# port of a running vnetd whose ports are net_pcap devices, waits until vnetd has accounted for
# every packet, stops it, then compares each port's output pcap packet by packet with what the
# case says must come out, and the drop counters with the drops the case expects.
# See tests/pipeline/README.md. Run by `meson test --suite pipeline` or by hand:
#   /usr/bin/python3 tests/pipeline/run_pipeline.py --vnetd build/vnetd \
#       --vnetctl build/vnetctl/vnetctl --samples pcap-samples [-k NAME] [--keep] [-v]

import argparse
import builtins
import copy
import difflib
import fnmatch
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

START_TIMEOUT_S = 15  # vnetd up and answering on its socket
SETTLE_TIMEOUT_S = 15  # every input packet received and accounted for
SETTLE_EXTRA_S = 0.2  # after that, time for a packet that should not exist to show up
QUIET_S = 1.0  # all received but fewer accounted for than expected: give up after this long
STOP_TIMEOUT_S = 10  # vnetd gone after SIGTERM
POLL_S = 0.05


class CaseError(Exception):
    """The case definition itself is wrong (bad file, unknown key, ...)."""


class Interrupted(Exception):
    pass


CAUGHT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def on_signal(sig, frame):
    raise Interrupted(signal.Signals(sig).name)


# ---------------------------------------------------------------- pcap files

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


def pcap_read(path):
    """Frames of a classic pcap file (either byte order, us or ns) as a list of bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise CaseError(f"{path}: {len(data)} bytes, shorter than a pcap header")
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise CaseError(f"{path}: not a classic pcap file (magic {data[:4].hex()})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise CaseError(f"{path}: link type {linktype}, not Ethernet (1)")
    frames, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise CaseError(f"{path}: truncated record header at offset {off}")
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise CaseError(f"{path}: truncated record at offset {off}")
        if orig != incl:
            raise CaseError(f"{path}: record {len(frames)} captured {incl} of {orig} bytes")
        frames.append(data[off:off + incl])
        off += incl
    return frames


def pcap_write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


# ---------------------------------------------------------------- case definitions

UNDERLAY = "underlay"  # the port id of the topology's underlay port, in cases and counters


def scapy_env(topology):
    """Names a scapy expression in a case may use: scapy's, the functions of checks.py,
    plus A_MAC, A_IP, A_IP6 (first IPv4 / IPv6 address) for every port A of the topology (port
    ids upper-cased)."""
    import scapy.all as scapy_all  # noqa: deferred: only cases with inline packets need it

    sys.path.insert(0, HERE)
    try:
        import checks  # noqa: deferred, as scapy
    finally:
        sys.path.remove(HERE)
    env = {k: getattr(scapy_all, k) for k in dir(scapy_all) if not k.startswith("_")}
    env.update({k: getattr(checks, k) for k in checks.__all__})
    env["__builtins__"] = SAFE_BUILTINS
    for p in topology["ports"]:
        name = p["id"].upper()
        env[name + "_MAC"] = p["mac"]
        for ip in p.get("ips", []):
            key = name + ("_IP6" if ":" in ip else "_IP")
            env.setdefault(key, ip)
    return env


def expected_outcomes(samples):
    path = os.path.join(samples, "EXPECTED")
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if len(words) != 3:
                raise CaseError(f"{path}:{n}: expected '<file> <index> <outcome>'")
            out.append((words[0], int(words[1]), words[2]))
    return out


PACKET_KEYS = {"pcap", "index", "scapy", "hex", "expected", "to", "drop", "out_scapy",
               "out_hex", "out_check", "note"}


SAFE_BUILTINS = {k: getattr(builtins, k) for k in ("range", "len", "bytes", "int", "str", "list")}


def check_compile(expr, env, where):
    """A function of the frame that came out, for `out_check`: EXPR is evaluated with `out`
    (those bytes) and `inp` (the input frame) and gives a list of problems, empty when the frame
    is right."""
    try:
        code = compile(expr, where, "eval")
    except SyntaxError as e:
        raise CaseError(f"{where}: out_check {expr!r}: {e}")

    def check(out, inp):
        try:
            problems = eval(code, dict(env, out=out, inp=inp))  # noqa: S307 (as packet_bytes)
        except Exception as e:  # noqa: BLE001
            return [f"out_check {expr!r}: {type(e).__name__}: {e}"]
        if not isinstance(problems, (list, tuple)):
            return [f"out_check {expr!r} gave {problems!r}, not a list of problems"]
        return [str(p) for p in problems]
    check.expr = expr
    return check


def out_checks(item, where, env):
    """{port: [check per occurrence of port in `to`]} for the item's `out_check`: a string (one
    check for every port in `to`) or an object {port: expression or list of them}."""
    spec, to = item["out_check"], item.get("to") or []
    if isinstance(spec, str):
        return {p: [check_compile(spec, env, where)] * to.count(p) for p in to}
    if not isinstance(spec, dict):
        raise CaseError(f"{where}: out_check must be a string or an object")
    checks = {}
    for port, exprs in spec.items():
        exprs = [exprs] * to.count(port) if isinstance(exprs, str) else exprs
        if not isinstance(exprs, list) or len(exprs) != to.count(port) or not exprs:
            raise CaseError(f"{where}: out_check {port!r}: one expression per {port!r} in to")
        checks[port] = [check_compile(e, env, f"{where} out_check {port}") for e in exprs]
    return checks


def packet_bytes(what, value, env):
    """The frames (a list of bytes) that a hex string or a scapy expression stands for; the
    expression may give one packet or a list of them."""
    if what == "hex":
        return [bytes.fromhex(value.replace(" ", ""))]
    try:
        pkts = eval(value, env)  # noqa: S307 (trusted test definitions)
        if isinstance(pkts, (list, tuple)) or type(pkts).__name__ == "PacketList":
            return [bytes(p) for p in pkts]
        return [bytes(pkts)]
    except Exception as e:  # noqa: BLE001
        raise CaseError(f"scapy expression {value!r}: {type(e).__name__}: {e}")


def packets_expand(case, samples, topology):
    """The case's input list made concrete: one dict per frame with name, data, to (list of
    ports), drop (reason or None) and out (the bytes expected on each `to` port)."""
    env = None
    result = []
    for i, item in enumerate(case["input"]):
        where = f"input[{i}]"
        unknown = set(item) - PACKET_KEYS
        if unknown:
            raise CaseError(f"{where}: unknown keys {sorted(unknown)}")
        sources = [k for k in ("pcap", "scapy", "hex", "expected") if k in item]
        if len(sources) != 1:
            raise CaseError(f"{where}: give exactly one of pcap, scapy, hex, expected")
        frames = []  # (name, data, drop from EXPECTED or None)
        if "pcap" in item:
            all_frames = pcap_read(os.path.join(samples, item["pcap"]))
            idx = item.get("index", list(range(len(all_frames))))
            for j in idx if isinstance(idx, list) else [idx]:
                if not 0 <= j < len(all_frames):
                    raise CaseError(f"{where}: {item['pcap']} has no packet {j}")
                frames.append((f"{item['pcap']}#{j}", all_frames[j], None))
        elif "expected" in item:
            for fname, j, outcome in expected_outcomes(samples):
                if fnmatch.fnmatchcase(outcome, item["expected"]):
                    data = pcap_read(os.path.join(samples, fname))[j]
                    reason = outcome[5:] if outcome.startswith("drop:") else None
                    frames.append((f"{fname}#{j} ({outcome})", data, reason))
            if not frames:
                raise CaseError(f"{where}: no EXPECTED line matches {item['expected']!r}")
        else:
            if env is None and ("scapy" in item or "out_scapy" in item):
                env = scapy_env(topology)
            label = f"{where} {item.get('note', item[sources[0]])}"
            datas = packet_bytes(sources[0], item[sources[0]], env)
            for j, data in enumerate(datas):
                frames.append((label if len(datas) == 1 else f"{label} [{j}]", data, None))
        outs = [None] * len(frames)
        if "out_scapy" in item or "out_hex" in item:
            if env is None and "out_scapy" in item:
                env = scapy_env(topology)
            k = "out_scapy" if "out_scapy" in item else "out_hex"
            if "out_check" in item:
                raise CaseError(f"{where}: give {k} or out_check, not both")
            # IN: this item's input frames (bytes), e.g. "[f[50:] for f in IN]" for decap.
            outs = packet_bytes(k[4:], item[k], dict(env or {}, IN=[f[1] for f in frames]))
            if len(outs) != len(frames):
                raise CaseError(f"{where}: {k} gives {len(outs)} frames for {len(frames)} in")
        checks = {}
        if "out_check" in item:
            if env is None:
                env = scapy_env(topology)
            checks = out_checks(item, where, env)
        for (name, data, reason), out in zip(frames, outs):
            to, drop = item.get("to"), item.get("drop", reason)
            # Both: the packet is dropped for `drop` and vnetd sends a packet of its own about it
            # (an ICMP error) out of `to` (give out_check or out_scapy for it).
            if to is None and drop is None:
                raise CaseError(f"{where} {name}: give to (ports), drop, or both")
            if to is not None and drop is not None and not (checks or "out_scapy" in item
                                                            or "out_hex" in item):
                raise CaseError(f"{where} {name}: to with drop needs out_check or out_scapy")
            if to is not None and (not isinstance(to, list) or not to):
                raise CaseError(f"{where}: to must be a non-empty list of port ids")
            result.append({"name": name, "data": data, "to": to or [], "drop": drop,
                           "out": out if out is not None else data, "checks": checks})
    return result


def case_prepare(case, samples, default_topology):
    """Validate a case and compute what it expects: per port the frames out, per reason and
    port the drop counts."""
    known = {"name", "description", "topology", "in_port", "input", "any_order", "bug", "quiet_s"}
    unknown = set(case) - known
    if unknown:
        raise CaseError(f"unknown keys {sorted(unknown)}")
    topo = case.get("topology", default_topology)
    if isinstance(topo, str):  # a topology file of tests/pipeline/
        with open(os.path.join(HERE, topo)) as f:
            topo = json.load(f)
    topo = copy.deepcopy(topo)
    port_ids = [p["id"] for p in topo["ports"]] + ([UNDERLAY] if "underlay" in topo else [])
    in_port = case.get("in_port", port_ids[0])
    if in_port not in port_ids:
        raise CaseError(f"in_port {in_port!r} is not a port of the topology")
    packets = packets_expand(case, samples, topo)
    out = {p: [] for p in port_ids}
    drops = {}
    for pkt in packets:
        for p in pkt["to"]:
            if p not in out:
                raise CaseError(f"{pkt['name']}: to: {p!r} is not a port of the topology")
            # The k-th copy of this packet on p: its out_check if it has one, else its bytes.
            k = sum(1 for e in out[p] if e["pkt"] is pkt)
            check = pkt["checks"][p][k] if p in pkt["checks"] else None
            out[p].append({"pkt": pkt, "name": pkt["name"], "out": pkt["out"], "check": check})
        if pkt["drop"] is not None:
            drops.setdefault(pkt["drop"], {}).setdefault(in_port, 0)
            drops[pkt["drop"]][in_port] += 1
    return {"name": case["name"], "topology": topo, "in_port": in_port, "packets": packets,
            "out": out, "drops": drops, "any_order": bool(case.get("any_order")),
            "quiet_s": float(case.get("quiet_s", QUIET_S)),
            "bug": case.get("bug")}


def cases_load(cases_dir, samples, topology, pattern):
    """(name, prepared case or CaseError) for every case of every cases/*.json, in file order."""
    result = []
    for fname in sorted(os.listdir(cases_dir)):
        if not fname.endswith(".json"):
            continue
        path = os.path.join(cases_dir, fname)
        try:
            with open(path) as f:
                cases = json.load(f)["cases"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            result.append((fname, CaseError(f"{path}: not a cases file: {e!r}")))
            continue
        for i, case in enumerate(cases):
            name = case.get("name", f"{fname}[{i}]")
            if pattern and not fnmatch.fnmatchcase(name, pattern):
                continue
            try:
                result.append((name, case_prepare(case, samples, topology)))
            except (CaseError, OSError, KeyError, TypeError, ValueError) as e:
                result.append((name, CaseError(f"{fname}: {name}: {e}")))
    return result


# ---------------------------------------------------------------- vnetd

def hugepages_free_mb():
    free = size_kb = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    free = int(line.split()[1])
                elif line.startswith("Hugepagesize:"):
                    size_kb = int(line.split()[1])
    except OSError:
        return 0
    return free * size_kb // 1024


class Vnetd:
    """One vnetd on net_pcap ports in its own temporary directory."""

    def __init__(self, args, case, tmp, index):
        self.args, self.case, self.tmp = args, case, tmp
        self.workers = getattr(args, "workers", 1)  # accounting_test.py has no --workers
        self.sock = os.path.join(tmp, "vnetd.sock")
        self.log_path = os.path.join(tmp, "vnetd.log")
        self.proc = None
        self.log = None
        self.started = False
        self.prefix = f"vnetpl{os.getpid()}c{index}"

    def config_write(self, no_huge):
        empty = os.path.join(self.tmp, "empty.pcap")
        pcap_write(empty, [])
        pcap_write(os.path.join(self.tmp, "in.pcap"), [p["data"] for p in self.case["packets"]])
        topo = self.case["topology"]
        ports = []
        for i, p in enumerate(topo["ports"]):
            rx = "in.pcap" if p["id"] == self.case["in_port"] else "empty.pcap"
            port = dict(p)
            port.setdefault("kind", "container")
            port["device"] = (f"net_pcap{i},rx_pcap={os.path.join(self.tmp, rx)},"
                              + self.tx_args(p["id"]))
            ports.append(port)
        rules = {"revision": 1, "networks": topo["networks"], "ports": ports}
        for key in ("static_macs", "remote_ports", "routers", "security_groups"):
            if topo.get(key):
                rules[key] = topo[key]
        eal = ["-m", "256", "--file-prefix", self.prefix, "--no-pci", "--no-telemetry"]
        # The main lcore on CPU 0, the workers on CPU 1, the second (if any) on CPU 0 too: what a
        # 2-core machine has; workers sleep when idle.
        eal += (["-l", "0,1"] if self.workers == 1
                else ["--lcores", "0@0," + ",".join(f"{w + 1}@{(w + 1) % 2}"
                                                   for w in range(self.workers))])
        cfg = {"eal_args": eal, "socket": self.sock, "idle_sleep_max_us": 100, "rules": rules}
        if "underlay" in topo:
            rx = "in.pcap" if self.case["in_port"] == UNDERLAY else "empty.pcap"
            cfg["underlay"] = dict(topo["underlay"], device=(
                f"net_pcap{len(ports)},rx_pcap={os.path.join(self.tmp, rx)},"
                + self.tx_args(UNDERLAY)))
        if no_huge:
            # EAL refuses --in-memory with --no-huge; --no-shconf leaves no runtime files.
            eal += ["--no-huge", "--no-shconf"]
            cfg["in_memory"] = False
        path = os.path.join(self.tmp, "vnetd.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return path

    def out_path(self, port, queue=0):
        return os.path.join(self.tmp, f"out_{port}.pcap" if queue == 0
                            else f"out_{port}.q{queue}.pcap")

    def tx_args(self, port):
        """One tx_pcap per worker: vnetd sends on TX queue w from worker w."""
        return ",".join(f"tx_pcap={self.out_path(port, q)}" for q in range(self.workers))

    def out_read(self, port):
        """What came out of the port on every TX queue. Each case's packets enter on one port,
        whose worker sends them all on its own queue, so concatenating keeps their order."""
        frames = []
        for q in range(self.workers):
            frames += pcap_read(self.out_path(port, q))
        return frames

    def start(self):
        """Start vnetd and wait until it answers. Hugepages are shared with whatever else runs
        on the host: when EAL finds too few of them, start again without."""
        no_huge = self.args.no_huge or hugepages_free_mb() < 256
        self.log = open(self.log_path, "wb")
        while True:
            cfg = self.config_write(no_huge)
            self.proc = subprocess.Popen([self.args.vnetd, "-c", cfg], stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
            if self.wait_up():
                self.started = True
                self.workers_check()
                return
            if no_huge or "Cannot init memory" not in self.log_text():
                raise RuntimeError(f"vnetd exited with status {self.proc.returncode} at start")
            no_huge = True
            self.log.write(b"--- pipeline: too few free hugepages, starting again with "
                           b"--no-huge ---\n")
            self.log.flush()

    def workers_check(self):
        """With several workers, the ports must be spread over all of them (else the run tests
        nothing more than one worker does)."""
        if self.workers == 1:
            return
        ok, ports = self.ctl("show", "ports")
        if not ok:
            raise RuntimeError(ports)
        used = {p["worker"] for p in ports}
        if len(ports) >= self.workers and len(used) != self.workers:
            raise RuntimeError(f"ports on workers {sorted(used)} only, not on all "
                               f"{self.workers}")

    def wait_up(self):
        """True once vnetd answers on its socket, False if it exits first."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(self.sock):
                ok, _ = self.ctl("status")
                if ok:
                    return True
            time.sleep(POLL_S)
        raise RuntimeError(f"vnetd not answering on {self.sock} after {START_TIMEOUT_S} s")

    def ctl(self, *cmd):
        """(True, parsed JSON) or (False, error text)."""
        try:
            r = subprocess.run([self.args.vnetctl, "-s", self.sock, *cmd, "--json"],
                               capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return False, f"vnetctl {' '.join(cmd)}: no answer in 5 s"
        if r.returncode != 0:
            return False, f"vnetctl {' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}"
        try:
            return True, json.loads(r.stdout)
        except ValueError as e:
            return False, f"vnetctl {' '.join(cmd)}: bad JSON: {e}"

    def counters(self):
        ok, ports = self.ctl("show", "ports")
        if not ok:
            raise RuntimeError(ports)
        ok, drops = self.ctl("drops")
        if not ok:
            raise RuntimeError(drops)
        return {p["name"]: p for p in ports}, drops

    def stop(self):
        """SIGTERM, bounded wait; SIGKILL if it does not go. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "killed: still running 10 s after SIGTERM"
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # EAL makes its runtime directory even with --in-memory and leaves it (empty) behind.
        base = "/var/run/dpdk" if os.getuid() == 0 else os.path.join(
            os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
        try:
            os.rmdir(os.path.join(base, self.prefix))
        except OSError:
            pass
        if self.log is not None:
            self.log.close()
            self.log = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"


# ---------------------------------------------------------------- running and comparing

def describe(data):
    try:
        from scapy.all import Ether
        return Ether(data).summary()
    except Exception:  # noqa: BLE001
        return f"{len(data)} bytes"


def hexdump(data):
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        lines.append(f"      {off:04x}  {chunk.hex(' '):<48}")
    return "\n".join(lines)


def frame_keys(expected):
    """What each expected entry compares as: its bytes, or ("check", i) for an out_check."""
    return [("check", i) if e["check"] else e["out"] for i, e in enumerate(expected)]


def got_keys(expected, got):
    """What each frame that came out compares as: ("check", i) when it passes the out_check of
    expected entry i (the first such entry not taken yet), else its bytes."""
    keys, taken = [], set()
    for g in got:
        key = g
        for i, e in enumerate(expected):
            if e["check"] and i not in taken and not e["check"](g, e["pkt"]["data"]):
                taken.add(i)
                key = ("check", i)
                break
        keys.append(key)
    return keys


def sort_key(key):
    return (1, key[1], b"") if isinstance(key, tuple) else (0, 0, key)


def frames_diff(port, expected, got):
    """Lines describing how `got` (bytes list) differs from `expected` (packet dicts). The two
    lists are aligned first, so one missing packet shows as missing, not as every later packet
    differing."""
    lines = []
    keys = got_keys(expected, got)

    def missing(i):
        what = describe(expected[i]["out"])
        if expected[i]["check"]:
            what = f"a frame passing out_check {expected[i]['check'].expr!r} (input: {what})"
        lines.append(f"  port {port}: missing packet {i}: expected {expected[i]['name']}: {what}")
        # Of the frames that passed no check, the one closest to passing this one.
        fails = [(expected[i]["check"](got[j], expected[i]["pkt"]["data"]), j)
                 for j in range(len(got)) if expected[i]["check"] and keys[j] is got[j]]
        if fails:
            problems, j = min(fails, key=lambda f: len(f[0]))
            lines.append(f"    closest: packet {j}, which fails it by:")
            lines.extend(f"    - {p}" for p in problems)

    def unexpected(j):
        lines.append(f"  port {port}: unexpected packet {j} ({len(got[j])} bytes): "
                     f"{describe(got[j])}")
        lines.append(hexdump(got[j]))

    def differs(i, j):
        exp, g = expected[i]["out"], got[j]
        if expected[i]["check"]:
            lines.append(f"  port {port}: packet {j} fails the out_check of expected packet {i} "
                         f"({expected[i]['name']}): {expected[i]['check'].expr}")
            lines.extend(f"    - {p}" for p in expected[i]["check"](g, expected[i]["pkt"]["data"]))
            lines.append(f"    got:      {describe(g)}")
            lines.append(hexdump(g))
            return
        first = next((k for k in range(min(len(g), len(exp))) if g[k] != exp[k]),
                     min(len(g), len(exp)))
        lines.append(f"  port {port}: packet {j} differs from expected packet {i} "
                     f"({expected[i]['name']}) at byte {first}: expected {len(exp)} bytes, "
                     f"got {len(g)}")
        lines.append(f"    expected: {describe(exp)}")
        lines.append(hexdump(exp))
        lines.append(f"    got:      {describe(g)}")
        lines.append(hexdump(g))

    sm = difflib.SequenceMatcher(a=frame_keys(expected), b=keys, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        n = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(n):
            differs(i1 + k, j1 + k)
        for i in range(i1 + n, i2):
            missing(i)
        for j in range(j1 + n, j2):
            unexpected(j)
    if len(lines) > 80:
        lines = lines[:80] + [f"  ... ({len(lines) - 80} more lines)"]
    return lines


def drops_by_reason(drops):
    return {r["reason"]: {p: n for p, n in r.get("ports", {}).items() if n}
            for r in drops.get("reasons", []) if r.get("count")}


def wait_accounted(vd, case):
    """Poll until the input port received every packet and tx + drops reach the expected
    total (then a little longer, for packets that should not exist), or until the input port
    received everything and the counters stood still for QUIET_S (the checks that follow then
    say what is missing). Returns the final counters and an error line or None."""
    n_in = len(case["packets"])
    want = sum(len(p) for p in case["out"].values()) + sum(
        n for per_port in case["drops"].values() for n in per_port.values())
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last, last_change = None, time.monotonic()
    while True:
        ports, drops = vd.counters()
        rx = ports.get(case["in_port"], {}).get("rx_pkts", 0)
        done = sum(p.get("tx_pkts", 0) for p in ports.values()) + drops.get("total", 0)
        now = time.monotonic()
        if rx == n_in and done >= want:
            time.sleep(SETTLE_EXTRA_S)
            return (*vd.counters(), None)
        if (rx, done) != last:
            last, last_change = (rx, done), now
        elif rx == n_in and now - last_change > case.get("quiet_s", QUIET_S):
            return ports, drops, None
        if vd.proc.poll() is not None:
            return ports, drops, f"vnetd exited with status {vd.proc.returncode} mid-case"
        if now > deadline:
            return ports, drops, (f"timed out after {SETTLE_TIMEOUT_S} s: {case['in_port']} "
                                  f"rx_pkts={rx} of {n_in}, tx+drops={done} of {want}")
        time.sleep(POLL_S)


def counters_check(case, ports, drops, errors):
    in_port = case["in_port"]
    rx = ports.get(in_port, {}).get("rx_pkts")
    if rx != len(case["packets"]):
        errors.append(f"counter {in_port}.rx_pkts: expected {len(case['packets'])}, got {rx}")
    for port, exp in case["out"].items():
        tx = ports.get(port, {}).get("tx_pkts")
        if tx != len(exp):
            errors.append(f"counter {port}.tx_pkts: expected {len(exp)}, got {tx}")
    got = drops_by_reason(drops)
    known = {r["reason"] for r in drops.get("reasons", [])}
    for reason in sorted(set(got) | set(case["drops"])):
        if reason not in known:
            errors.append(f"drop reason {reason!r}: vnetd has no such reason "
                          f"(see dataplane/drop.h)")
        elif got.get(reason, {}) != case["drops"].get(reason, {}):
            errors.append(f"drops {reason}: expected {case['drops'].get(reason, {})}, "
                          f"got {got.get(reason, {})}")


def outputs_check(vd, case, errors):
    for port, exp in case["out"].items():
        try:
            got = vd.out_read(port)
        except (OSError, CaseError) as e:
            errors.append(f"port {port}: output pcap unreadable: {e}")
            continue
        if case["any_order"]:
            # Unicast and flooded frames of one rx burst take different node paths, so their
            # order on a port is not defined: compare them sorted (out_check entries last, and
            # the frames that pass them in the same order).
            order = sorted(range(len(exp)), key=lambda i: sort_key(frame_keys(exp)[i]))
            exp = [exp[i] for i in order]
            keys = got_keys(exp, got)
            got = [got[j] for j in sorted(range(len(got)), key=lambda j: sort_key(keys[j]))]
        errors.extend(frames_diff(port, exp, got))


def log_block(vd, max_lines):
    log = vd.log_text().rstrip().splitlines()
    max_lines = max(max_lines, 20)
    what = "vnetd log"
    if len(log) > max_lines:  # the cause is often first, with EAL's usage text after it
        log = log[:10] + ["..."] + log[len(log) - (max_lines - 10):]
        what += f", first 10 and last {max_lines - 10} lines"
    return [f"  --- {what} ---"] + ["  | " + line for line in log]


def case_run(args, case, index):
    """Run one case; returns a list of error lines (empty when it passed)."""
    errors = []
    tmp = tempfile.mkdtemp(prefix="vnet-pipeline-")
    vd = Vnetd(args, case, tmp, index)
    try:
        try:
            vd.start()
            ports, drops, err = wait_accounted(vd, case)
            if err:
                errors.append(err)
            counters_check(case, ports, drops, errors)
            ok, status = vd.ctl("status")
            if not ok or not status.get("generation"):
                errors.append(f"vnetd not answering status after the packets: {status}")
        except RuntimeError as e:
            errors.append(str(e))
        if vd.started:
            rc = vd.stop()
            if rc != 0:
                errors.append(f"vnetd exit status after SIGTERM: {rc} (expected 0)")
            outputs_check(vd, case, errors)
        if errors or args.verbose:
            block = log_block(vd, args.log_lines)
            if errors:
                errors.extend(block)
            else:
                print("\n".join(block))
        return errors
    finally:
        # A signal now would cut the clean-up short: hold it until vnetd and tmp are gone.
        signal.pthread_sigmask(signal.SIG_BLOCK, CAUGHT_SIGNALS)
        try:
            vd.kill()
            if args.keep:
                print(f"  kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, CAUGHT_SIGNALS)


def main():
    ap = argparse.ArgumentParser(
        description="Run the pipeline cases (tests/pipeline/cases/*.json) through vnetd.")
    ap.add_argument("--vnetd", required=True)
    ap.add_argument("--vnetctl", required=True)
    ap.add_argument("--samples", required=True, help="the pcap-samples directory")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("--topology", default=os.path.join(HERE, "topology.json"),
                    help="default topology of the cases")
    ap.add_argument("-k", "--filter", help="run only cases whose name matches this glob")
    ap.add_argument("--no-huge", action="store_true",
                    help="run vnetd without hugepages (the default when fewer than 256 MB free)")
    ap.add_argument("--workers", type=int, choices=(1, 2), default=1,
                    help="vnetd workers (2: ports spread over both, per-worker TX queues)")
    ap.add_argument("--keep", action="store_true", help="keep each case's temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print vnetd's log always")
    ap.add_argument("--log-lines", type=int, default=60, help="vnetd log lines on failure")
    args = ap.parse_args()
    for sig in CAUGHT_SIGNALS:
        signal.signal(sig, on_signal)

    with open(args.topology) as f:
        topology = json.load(f)
    cases = cases_load(args.cases, args.samples, topology, args.filter)
    passed = failed = 0
    t0 = time.monotonic()
    try:
        for index, (name, case) in enumerate(cases):
            t = time.monotonic()
            if isinstance(case, CaseError):
                errors = [f"  bad case definition: {case}"]
            else:
                errors = case_run(args, case, index)
            took = time.monotonic() - t
            bug = case.get("bug") if isinstance(case, dict) else None
            if errors:
                failed += 1
                print(f"FAIL {name} ({took:.1f} s)" + (f"  [known bug: {bug}]" if bug else ""))
                print("\n".join(e if e.startswith(" ") else "  " + e for e in errors))
            else:
                passed += 1
                print(f"PASS {name} ({took:.1f} s)")
            sys.stdout.flush()
    except Interrupted as e:
        print(f"interrupted by {e}")
        failed += 1
    print(f"total {time.monotonic() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
