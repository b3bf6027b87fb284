#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Conntrack traffic with any number of flows, for bench/scenarios/conntrack-1m.sh.

    gen_ct_pcap.py N OUT.pcap OUT_rev.pcap

The layout of ../shared/bench/gen_traffic.py's ct_*_64.pcap (64-byte frames, UDP and TCP ACKs
alternating; flow i from MAC 02:00:00:aa:HH:LL to 02:00:00:bb:HH:LL, HHLL = i mod 65,536;
source port 1024 + i mod 60,000, UDP to 5000 and TCP to 80), but addresses that stay distinct at
any N: 10.(64 + i >> 16).HH.LL to 10.2.HH.LL. The second file holds the replies. Written with
struct, not scapy: a million frames take seconds."""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i, reply):
    hh, ll = (i >> 8) & 0xFF, i & 0xFF
    a_mac = bytes([2, 0, 0, 0xAA, hh, ll])
    b_mac = bytes([2, 0, 0, 0xBB, hh, ll])
    a_ip = bytes([10, 64 + (i >> 16), hh, ll])
    b_ip = bytes([10, 2, hh, ll])
    a_port, tcp = 1024 + i % 60000, i % 2 == 1
    b_port = 80 if tcp else 5000
    src, dst, smac, dmac = (b_ip, a_ip, b_mac, a_mac) if reply else (a_ip, b_ip, a_mac, b_mac)
    sport, dport = (b_port, a_port) if reply else (a_port, b_port)
    if tcp:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000, 1000, 0x50, 0x10, 65535, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6 if tcp else 17, len(l4))
    c = csum(pseudo + l4)
    at = 16 if tcp else 6
    l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, 6 if tcp else 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = dmac + smac + b"\x08\x00" + ip + l4
    return f + bytes(60 - len(f))


def write(path, n, reply):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            f = frame(i, reply)
            out.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(f), len(f)) + f)


if __name__ == "__main__":
    n = int(sys.argv[1])
    write(sys.argv[2], n, False)
    write(sys.argv[3], n, True)
