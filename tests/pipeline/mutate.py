#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Hostile traffic for the accounting test (accounting_test.py): one pcap per input port of its
# topology (PORTS, the underlay), made of every malformed sample of pcap-samples/, valid frames that
# vnetd switches, floods, encapsulates and decapsulates, and random mutations of them (truncations
# at every header boundary and at random points, bit flips, length fields that lie, VLAN stacks,
# IPv6 extension header chains, VXLAN in VXLAN). Deterministic: the same --seed and --count give
# the same bytes. See tests/pipeline/README.md, "The accounting test".
#   /usr/bin/python3 tests/pipeline/mutate.py --out DIR [--seed S] [--count N] [--samples DIR]

import argparse
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checks import _csum as csum  # noqa: E402  (RFC 1071, shared with the case checks)
from run_pipeline import expected_outcomes, pcap_read, pcap_write  # noqa: E402

DEFAULT_COUNT = 20000
WARM_SHARE = 20  # a warm-up port gets count // WARM_SHARE frames (at least WARM_MIN)
WARM_MIN = 100
MAX_FRAME = 1600  # below the mbuf data room: net_pcap never has to chain segments

VTEP_IP, VTEP_MAC, VXLAN_PORT = "192.0.2.11", "02:00:c0:00:02:0b", 4789
# Peer VTEPs: (ip, mac, static neighbour?). 192.0.2.14 is in the prefix but not static: vnetd
# resolves it with ARP (injected frames), and the underlay pcap answers some of those requests.
PEERS = [("192.0.2.12", "02:00:c0:00:02:0c", True), ("192.0.2.13", "02:00:c0:00:02:0d", True),
         ("192.0.2.14", "02:00:c0:00:02:0e", False)]
UNKNOWN_VTEPS = ["192.0.2.99", "192.0.2.200", "203.0.113.5"]

NETWORKS = [
    {"id": "blue", "tenant": "blue", "vni": 5001, "mtu": 1450, "vxlan_learning": True,
     "flood_vteps": ["192.0.2.12", "192.0.2.13"]},
    {"id": "red", "tenant": "red", "vni": 5002, "mtu": 1450,
     "flood_vteps": ["192.0.2.12", "192.0.2.14"]},
    {"id": "green", "tenant": "green", "vni": 5003, "mtu": 1450, "mac_limit": 256},
]
# phase "warm": in the first revision, with count // WARM_SHARE frames; "bulk": added by the
# second revision, count frames each. port_security false: floods with many new source MACs.
PORTS = [
    {"id": "a", "network": "blue", "mac": "02:00:00:00:01:0a", "ips": ["10.0.0.10", "fd00::a"],
     "phase": "warm"},
    {"id": "b", "network": "blue", "mac": "02:00:00:00:01:0b", "ips": ["10.0.0.11", "fd00::b"],
     "port_security": False, "phase": "warm"},
    {"id": "r1", "network": "red", "mac": "02:00:00:00:01:1a", "ips": ["10.0.1.10"],
     "phase": "warm"},
    {"id": "g1", "network": "green", "mac": "02:00:00:00:01:2a", "ips": ["10.0.2.10"],
     "phase": "warm"},
    {"id": "c", "network": "blue", "mac": "02:00:00:00:01:0c", "ips": ["10.0.0.12", "fd00::c"],
     "phase": "bulk"},
    {"id": "s", "network": "blue", "mac": "02:00:00:00:01:0f", "ips": ["10.0.0.15", "fd00::f"],
     "port_security": False, "phase": "bulk"},
    {"id": "r2", "network": "red", "mac": "02:00:00:00:01:1b", "ips": ["10.0.1.11"],
     "phase": "bulk"},
    {"id": "g2", "network": "green", "mac": "02:00:00:00:01:2b", "ips": ["10.0.2.11", "fd02::b"],
     "phase": "bulk"},
]
# Listeners: more ports in blue, each sending only broadcasts (count // STORM_SHARE), so that a
# storm in blue needs more flood copies in one graph walk than vnetd makes (DP_COPIES_PER_WALK:
# flood_copy_limit drops, which must be counted too). c and s start with such a storm as well.
N_LISTENERS = 20
PORTS += [{"id": f"x{i}", "network": "blue", "mac": f"02:00:00:00:0a:{i:02x}",
           "ips": [f"10.0.0.{50 + i}"], "phase": "bulk", "listener": True}
          for i in range(N_LISTENERS)]
STORM_SHARE = 10  # the storm: count // STORM_SHARE broadcasts at the start of c, s, underlay
REMOTE_PORTS = [
    {"network": "blue", "mac": "02:00:00:00:02:0c", "ips": ["10.0.0.112"], "vtep": "192.0.2.12"},
    {"network": "blue", "mac": "02:00:00:00:03:0d", "ips": ["10.0.0.113"], "vtep": "192.0.2.13"},
    {"network": "blue", "mac": "02:00:00:00:04:0e", "vtep": "198.51.100.7"},  # no route
    {"network": "blue", "mac": "02:00:00:00:05:0f", "vtep": "192.0.2.14"},  # resolved by ARP
    {"network": "blue", "mac": "02:00:00:00:06:10", "vtep": "192.0.2.15"},  # ARP never answered
    {"network": "red", "mac": "02:00:00:00:02:0d", "ips": ["10.0.1.112"], "vtep": "192.0.2.12"},
]
UNDERLAY = "underlay"


def underlay_config():
    return {"address": VTEP_IP + "/24", "mac": VTEP_MAC, "udp_port": VXLAN_PORT,
            "static_neighbors": [{"ip": ip, "mac": mac} for ip, mac, static in PEERS if static]}


def frame_counts(count):
    """{port id: frames in its pcap} for --count `count`."""
    warm = max(WARM_MIN, count // WARM_SHARE)
    counts = {p["id"]: warm if p["phase"] == "warm" else count for p in PORTS}
    counts.update({p["id"]: count // STORM_SHARE for p in PORTS if p.get("listener")})
    counts[UNDERLAY] = count
    return counts


# ---------------------------------------------------------------- bytes

def mac_b(mac):
    return bytes.fromhex(mac.replace(":", ""))


def ip4_b(ip):
    return bytes(int(x) for x in ip.split("."))




def ip4_fix_csum(f, off):
    """Recompute the IPv4 header checksum at `off` (as far as the frame has the header)."""
    ihl = (f[off] & 15) * 4
    if ihl < 20 or off + ihl > len(f):
        return
    f[off + 10:off + 12] = b"\0\0"
    f[off + 10:off + 12] = struct.pack("!H", csum(bytes(f[off:off + ihl])))


def ip4_udp(src, dst, sport, dport, payload, ttl=64):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, ttl, 17, 0,
                                ip4_b(src), ip4_b(dst)))
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + udp


def vxlan(inner, src_ip, src_mac, vni, flags=0x08, dst_ip=VTEP_IP, dst_mac=VTEP_MAC,
          sport=50000):
    """An underlay frame: Ethernet / IPv4 / UDP / VXLAN / inner."""
    vxh = struct.pack("!BBHI", flags, 0, 0, vni << 8)
    return (mac_b(dst_mac) + mac_b(src_mac) + b"\x08\x00" +
            ip4_udp(src_ip, dst_ip, sport, VXLAN_PORT, vxh + inner))


def headers(f):
    """What a mutation can aim at in frame `f`: a sorted list of header boundaries and a dict of
    length fields {name: (offset, size)}, found by a small parser that follows the frame as far
    as it is consistent."""
    cuts, fields = [0, 6, 12, 14], {}
    off, n = 12, len(f)
    if n < 14:
        return cuts, fields
    etype = struct.unpack("!H", f[12:14])[0]
    off = 14
    while etype in (0x8100, 0x88A8) and off + 4 <= n:
        off += 4
        cuts.append(off)
        etype = struct.unpack("!H", f[off - 2:off])[0]
    l3 = off
    proto, l4 = None, None
    if etype == 0x0800 and off + 20 <= n:
        ihl = (f[off] & 15) * 4
        fields.update(ip4_len=(off + 2, 2), ip4_ihl=(off, 1))
        cuts += [off + 20, off + ihl]
        proto, l4 = f[off + 9], off + max(ihl, 20)
    elif etype == 0x86DD and off + 40 <= n:
        fields["ip6_len"] = (off + 4, 2)
        nh, l4 = f[off + 6], off + 40
        cuts.append(l4)
        for _ in range(16):
            if nh in (0, 43, 60) and l4 + 8 <= n:
                nh, l4 = f[l4], l4 + (f[l4 + 1] + 1) * 8
            elif nh == 44 and l4 + 8 <= n:
                nh, l4 = f[l4], l4 + 8
            else:
                break
            cuts.append(l4)
        proto = nh
    elif etype == 0x0806 and off + 8 <= n:
        fields.update(arp_hlen=(off + 4, 1), arp_plen=(off + 5, 1))
        cuts += [off + 8, off + 28]
    if proto == 17 and l4 + 8 <= n:
        fields["udp_len"] = (l4 + 4, 2)
        cuts.append(l4 + 8)
        if struct.unpack("!H", f[l4 + 2:l4 + 4])[0] == VXLAN_PORT:
            cuts += [l4 + 16, l4 + 30]
    elif proto == 6 and l4 + 20 <= n:
        fields["tcp_off"] = (l4 + 12, 1)
        cuts += [l4 + 20, l4 + (f[l4 + 12] >> 4) * 4]
    elif proto in (1, 58) and l4 + 8 <= n:
        cuts += [l4 + 4, l4 + 8, l4 + 24]
    fields["_l3"] = (l3, 0)
    return sorted({c for c in cuts if 0 < c < n}), fields


# ---------------------------------------------------------------- mutations

def mutate(rng, f):
    """One mutated copy of frame `f` (bytes)."""
    f = bytearray(f)
    cuts, fields = headers(f)
    kind = rng.random()
    l3 = fields.pop("_l3", (14, 0))[0]
    if kind < 0.25:  # truncation at a header boundary (or next to one)
        c = rng.choice(cuts) + rng.choice((-1, 0, 0, 1))
        return bytes(f[:max(1, min(c, len(f)))])
    if kind < 0.35:  # truncation at a random point
        return bytes(f[:rng.randint(1, len(f))])
    if kind < 0.6:  # bit flips, mostly in the headers
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(min(len(f), 80) if rng.random() < 0.8 else len(f))
            f[pos] ^= 1 << rng.randrange(8)
        return bytes(f)
    if fields:  # a length field that lies
        name = rng.choice(sorted(fields))
        pos, size = fields[name]
        if name == "ip4_ihl":
            f[pos] = (f[pos] & 0xF0) | rng.randrange(16)
        elif name == "tcp_off":
            f[pos] = (rng.randrange(16) << 4) | (f[pos] & 15)
        else:
            old = int.from_bytes(f[pos:pos + size], "big")
            new = rng.choice((0, 1, old - 1, old + 1, old + rng.randint(2, 2000),
                              rng.randrange(1 << (8 * size)), (1 << (8 * size)) - 1))
            f[pos:pos + size] = (new % (1 << (8 * size))).to_bytes(size, "big")
        if l3 + 20 <= len(f) and f[l3] >> 4 == 4 and rng.random() < 0.7:
            ip4_fix_csum(f, l3)  # so that the lie reaches the check behind the checksum
        return bytes(f)
    return bytes(f[:rng.randint(1, len(f))])


def vlan_stack(rng, f):
    """`f` under 1..6 tags, 802.1Q and 802.1ad mixed."""
    tags = b""
    for _ in range(rng.randint(1, 6)):
        tags += struct.pack("!HH", rng.choice((0x8100, 0x88A8)), rng.randrange(4096))
    return f[:12] + tags + f[12:]


def ip6_ext_chain(rng, src_mac, dst_mac):
    """IPv6 with a chain of 0..14 extension headers (hop-by-hop first, then destination options,
    routing, fragment), ending in UDP or in a next header vnetd does not know."""
    kinds = [0] + [rng.choice((60, 43, 44)) for _ in range(rng.randint(0, 13))]
    kinds = kinds[:rng.randint(0, len(kinds))]
    last = rng.choice((17, 17, 143, 253, 254, 200))
    payload = (struct.pack("!HHHH", 1000, 2000, 8 + 16, 0x1234) + b"y" * 16 if last == 17
               else b"u" * 24)
    chain = b""
    for i, k in enumerate(kinds):
        nxt = kinds[i + 1] if i + 1 < len(kinds) else last
        chain += bytes((nxt, 0, 1, 4, 0, 0, 0, 0)) if k != 44 else bytes((nxt, 0, 0, 0, 0, 0, 0, 9))
    body = chain + payload
    ip6 = (struct.pack("!IHBB", 6 << 28, len(body), kinds[0] if kinds else last, 64) +
           bytes.fromhex("fd000000000000000000000000000000") +
           bytes.fromhex("fd00000000000000000000000000000b"))
    ip6 = ip6[:8] + bytes.fromhex("fd00000000000000000000000000000a") + ip6[24:]
    return mac_b(dst_mac) + mac_b(src_mac) + b"\x86\xdd" + ip6 + body


def rand_mac(rng, unicast=True):
    b = bytearray(rng.randbytes(6))
    b[0] = (b[0] & 0xFC) | 0x02 if unicast else b[0] | 1
    return ":".join(f"{x:02x}" for x in b)


def templates(rng, port):
    """Valid frames from `port` (a PORTS entry or a remote MAC for the underlay's inner frames):
    switched, flooded, encapsulated, answered, spoofed, too big, hairpinned."""
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, ICMPv6ND_NS, IPv6, \
        Raw
    net = port["network"]
    me, ip = port["mac"], port["ips"][0] if port.get("ips") else "10.9.9.9"
    locals_ = [p for p in PORTS if p["network"] == net and p["mac"] != me]
    remotes = [r for r in REMOTE_PORTS if r["network"] == net]
    dsts = [(p["mac"], (p.get("ips") or ["10.0.0.1"])[0]) for p in locals_]
    dsts += [(r["mac"], (r.get("ips") or ["10.0.0.2"])[0]) for r in remotes]
    out = []
    for dmac, dip in dsts:
        out += [Ether(src=me, dst=dmac) / IP(src=ip, dst=dip) / ICMP(id=7, seq=1) / Raw(b"p" * 32),
                Ether(src=me, dst=dmac) / IP(src=ip, dst=dip) / UDP(sport=4000, dport=53) /
                Raw(b"q" * rng.randint(0, 200)),
                Ether(src=me, dst=dmac) / IP(src=ip, dst=dip) / TCP(sport=40000, dport=80,
                                                                     flags="S")]
    bcast = "ff:ff:ff:ff:ff:ff"
    out += [
        Ether(src=me, dst=bcast) / IP(src=ip, dst="255.255.255.255") / UDP(sport=68, dport=67),
        Ether(src=me, dst=bcast) / ARP(op=1, hwsrc=me, psrc=ip, pdst=dsts[0][1] if dsts else ip),
        Ether(src=me, dst=bcast) / ARP(op=1, hwsrc=me, psrc=ip, pdst="10.200.0.1"),
        Ether(src=me, dst="33:33:00:00:00:01") / IPv6(src="fd00::99", dst="ff02::1") /
        ICMPv6EchoRequest(),
        Ether(src=me, dst="01:00:5e:00:00:fb") / IP(src=ip, dst="224.0.0.251") /
        UDP(sport=5353, dport=5353),
        Ether(src=me, dst=rand_mac(rng)) / IP(src=ip, dst="10.0.0.250") / UDP(dport=9),
        Ether(src=me, dst=me) / IP(src=ip, dst=ip) / ICMP(),  # hairpin
        Ether(src=me, dst=dsts[0][0] if dsts else bcast) / IP(src="10.66.66.66", dst=ip) /
        ICMP(),  # spoofed source IP
        Ether(src=me, dst=dsts[0][0] if dsts else bcast) / IP(src=ip, dst="10.0.0.1") /
        UDP() / Raw(b"z" * 1460),  # over the network's mtu
        Ether(src=me, dst="01:80:c2:00:00:0e", type=0x88CC) / Raw(b"\x02\x07\x04" + b"l" * 20),
    ]
    six = [a for a in port.get("ips", []) if ":" in a]
    if six:
        out.append(Ether(src=me, dst="33:33:ff:00:00:0b") / IPv6(src=six[0], dst="ff02::1:ff00:b")
                   / ICMPv6ND_NS(tgt="fd00::b"))
    return [bytes(p) for p in out]


def samples_load(samples):
    """(malformed frames, valid frames) of pcap-samples/ (EXPECTED: drop:* and ok:*)."""
    bad, good = [], []
    for fname, i, outcome in expected_outcomes(samples):
        frame = pcap_read(os.path.join(samples, fname))[i]
        (bad if outcome.startswith("drop:") else good).append(frame)
    return bad, good


def vnic_frames(rng, port, n, bad, good):
    """`n` frames for vNIC `port`: the malformed samples once, then a deterministic mix."""
    base = templates(rng, port) + good
    me = port["mac"]
    ip = (port.get("ips") or ["10.9.9.9"])[0]
    peer = next((p for p in PORTS if p["network"] == port["network"] and p is not port), port)
    frames = []
    if port["id"] in ("c", "s") or port.get("listener"):
        frames += [mac_b("ff:ff:ff:ff:ff:ff") + mac_b(me) + b"\x08\x00" +
                   ip4_udp(ip, "255.255.255.255", 68, 67, struct.pack("!I", i))
                   for i in range(n if port.get("listener") else n // STORM_SHARE)]
        if port.get("listener"):
            return frames
    frames += bad
    while len(frames) < n:
        r = rng.random()
        if r < 0.35:
            f = rng.choice(base)
        elif r < 0.7:
            f = mutate(rng, rng.choice(base))
        elif r < 0.78:
            f = vlan_stack(rng, rng.choice(base))
            if rng.random() < 0.5:
                f = mutate(rng, f)
        elif r < 0.84:
            f = ip6_ext_chain(rng, me, peer["mac"])
            if rng.random() < 0.5:
                f = mutate(rng, f)
        elif r < 0.88:  # VXLAN in VXLAN, from a tenant port: plain UDP to port 4789 for vnetd
            inner = vxlan(rng.choice(base), "192.0.2.12", "02:00:c0:00:02:0c", 5001)
            f = (mac_b(peer["mac"]) + mac_b(me) + b"\x08\x00" +
                 ip4_udp(ip, "10.0.0.11", 50001, VXLAN_PORT,
                         struct.pack("!BBHI", 8, 0, 0, 5001 << 8) + inner))
            if rng.random() < 0.3:
                f = mutate(rng, f)
        elif r < 0.96 and port.get("port_security") is False:
            # a new source MAC to an unknown unicast MAC or broadcast: learned, then flooded
            dst = rng.choice((rand_mac(rng), "ff:ff:ff:ff:ff:ff"))
            f = (mac_b(dst) + mac_b(rand_mac(rng)) + b"\x08\x00" +
                 ip4_udp("10.0.0.77", "10.0.0.78", 1, 2, rng.randbytes(rng.randint(0, 40))))
        elif r < 0.98:
            f = rng.randbytes(rng.randint(1, 120))  # garbage
        else:
            f = rng.choice(bad)
        frames.append(f[:MAX_FRAME])
    return frames[:n]


def underlay_frames(rng, n, bad, good):
    """`n` frames for the underlay port: VXLAN from known and unknown VTEPs carrying valid and
    mutated inner frames, VXLAN in VXLAN, ARP for the VTEP (and replies from 192.0.2.14), ICMP
    echo to it, frames not for us, garbage; all mutated the same ways."""
    from scapy.all import ARP, ICMP, IP, Ether, Raw
    vnis = [5001, 5001, 5001, 5002, 5003, 5999]
    # Inner frames as if from remote ports and from new MACs behind the VTEPs.
    inner_base = []
    for r in REMOTE_PORTS:
        inner_base += templates(rng, dict(r, id="remote"))
    for p in PORTS:
        inner_base.append(bytes(Ether(src=rand_mac(rng), dst=p["mac"]) /
                                IP(src="10.0.0.200", dst=p["ips"][0]) / ICMP()))
    inner_base += good
    peer_arp = []
    for ip, mac, _ in PEERS + [("192.0.2.77", "02:00:c0:00:02:77", False)]:
        peer_arp += [
            bytes(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=mac, psrc=ip, pdst=VTEP_IP)),
            bytes(Ether(src=mac, dst=VTEP_MAC) /
                  ARP(op=2, hwsrc=mac, psrc=ip, hwdst=VTEP_MAC, pdst=VTEP_IP)),
            bytes(Ether(src=mac, dst=VTEP_MAC) / IP(src=ip, dst=VTEP_IP) /
                  ICMP(id=0x77, seq=rng.randrange(65536)) / Raw(b"e" * 56)),
            bytes(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=mac, psrc=ip, pdst="192.0.2.50")),
        ]
    storm = (mac_b("ff:ff:ff:ff:ff:ff") + mac_b("02:00:00:00:02:0c") + b"\x08\x00" +
             ip4_udp("10.0.0.112", "255.255.255.255", 68, 67, b"storm"))
    frames = [vxlan(storm, "192.0.2.12", "02:00:c0:00:02:0c", 5001, sport=49152 + i)
              for i in range(n // STORM_SHARE)] + bad
    while len(frames) < n:
        r = rng.random()
        inner = rng.choice(inner_base)
        if rng.random() < 0.4:
            inner = mutate(rng, inner)
        elif rng.random() < 0.1:
            inner = vlan_stack(rng, inner)
        if r < 0.45:
            ip, mac, _ = rng.choice(PEERS)
            f = vxlan(inner, ip, mac, rng.choice(vnis), sport=rng.randint(49152, 65535))
        elif r < 0.52:
            f = vxlan(inner, rng.choice(UNKNOWN_VTEPS), "02:00:c0:00:02:99", 5001)
        elif r < 0.57:  # VXLAN in VXLAN
            f = vxlan(vxlan(inner, "192.0.2.12", "02:00:c0:00:02:0c", 5001), "192.0.2.12",
                      "02:00:c0:00:02:0c", 5001)
        elif r < 0.77:  # outer headers mutated
            f = mutate(rng, vxlan(inner, "192.0.2.12", "02:00:c0:00:02:0c",
                                  rng.choice(vnis), flags=rng.choice((8, 8, 8, 0, 0x0c))))
        elif r < 0.87:
            f = rng.choice(peer_arp)
            if rng.random() < 0.4:
                f = mutate(rng, f)
        elif r < 0.9:  # not ours / not for us / not VXLAN
            f = rng.choice((vxlan(inner, "192.0.2.12", "02:00:c0:00:02:0c", 5001,
                                  dst_mac="02:00:c0:00:02:99"),
                            vxlan(inner, "192.0.2.12", "02:00:c0:00:02:0c", 5001,
                                  dst_ip="192.0.2.50"),
                            mac_b(VTEP_MAC) + mac_b("02:00:c0:00:02:0c") + b"\x08\x00" +
                            ip4_udp("192.0.2.12", VTEP_IP, 1, 9999, b"n" * 20)))
        elif r < 0.96:
            f = rng.randbytes(rng.randint(1, 200))
        else:
            f = rng.choice(bad)
        frames.append(f[:MAX_FRAME])
    return frames[:n]


def generate(out, samples, seed, count):
    """Write <port>.pcap in `out` for every port and the underlay. Returns {port: frames}."""
    bad, good = samples_load(samples)
    result = {}
    for port_id, n in frame_counts(count).items():
        rng = random.Random(f"{seed}/{port_id}")
        if port_id == UNDERLAY:
            frames = underlay_frames(rng, n, bad, good)
        else:
            port = next(p for p in PORTS if p["id"] == port_id)
            frames = vnic_frames(rng, port, n, bad, good)
        pcap_write(os.path.join(out, f"{port_id}.pcap"), frames)
        result[port_id] = len(frames)
    return result


def main():
    ap = argparse.ArgumentParser(description="Write the accounting test's hostile pcaps.")
    ap.add_argument("--out", required=True, help="directory for <port>.pcap")
    ap.add_argument("--samples", default=os.path.join(HERE, "..", "..", "pcap-samples"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT,
                    help="frames per bulk port and the underlay")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for port_id, n in generate(args.out, args.samples, args.seed, args.count).items():
        print(f"{port_id}: {n} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
