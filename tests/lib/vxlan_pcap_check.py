#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks the VXLAN frames of an underlay capture against docs/overlay.md ("Encapsulation"), for
# the overlay system tests (tests/system/vxlan_*_test.sh). Every frame to UDP port 4789 from
# --src-ip must be: Ethernet --src-mac -> --dst-mac, IPv4 --src-ip -> --dst-ip without options,
# DF clear, not a fragment, TTL --ttl, DSCP 0, valid header checksum, total length = inner frame
# + 36 and = the frame (no padding); UDP source port 49152..65535, the same for every frame of
# one inner flow (a hash of the inner headers), length = inner frame + 16, checksum 0; VXLAN
# flags 0x08, reserved bits 0, and the VNI that --vni gives for the inner source MAC.
# Prints one summary line; exit 1 with the problems (at most 20) when a frame is wrong, or when
# fewer than --min frames of a VNI were seen (--min VNI=N).
#   vxlan_pcap_check.py FILE --src-ip 192.0.2.11 --dst-ip 192.0.2.12 --src-mac .. --dst-mac ..
#       --vni 02:00:00:00:01:0a=5001 [--vni MAC=VNI ...] [--min 5001=10 ...]

import argparse
import ipaddress
import struct
import sys

ETH, IP4, UDP, VXLAN = 14, 20, 8, 8


def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f"{path}: {len(data)} bytes, not a pcap file")
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        sys.exit(f"{path}: not an Ethernet capture")
    off = 24
    while off + 16 <= len(data):
        incl, orig = struct.unpack(endian + "II", data[off + 8:off + 16])
        off += 16
        if off + incl > len(data):
            break  # a capture cut mid-record
        if incl != orig:
            sys.exit(f"{path}: frame captured {incl} of {orig} bytes (snap length too small)")
        yield data[off:off + incl]
        off += incl


def csum(data):
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(b):
    return ":".join(f"{x:02x}" for x in b)


def inner_flow(inner):
    """The inner headers the source port hash covers: MACs, ethertype, and for IPv4 the
    addresses, protocol and (TCP/UDP) ports."""
    key = inner[:14]
    if inner[12:14] == b"\x08\x00" and len(inner) >= 34:
        ihl = (inner[14] & 0xF) * 4
        key += inner[26:34] + inner[23:24]
        if inner[23] in (6, 17):
            key += inner[14 + ihl:14 + ihl + 4]
    return key


def check(frame, args, vni_of):
    """(problems, vni, inner flow, source port) of one VXLAN frame."""
    p = []

    def want(what, got, exp):
        if got != exp:
            p.append(f"{what}: got {got}, expected {exp}")

    inner = frame[ETH + IP4 + UDP + VXLAN:]
    want("outer source MAC", mac(frame[6:12]), args.src_mac)
    want("outer destination MAC", mac(frame[0:6]), args.dst_mac)
    ver_ihl, tos, tot, _, frag, ttl = struct.unpack("!BBHHHB", frame[ETH:ETH + 9])
    want("IPv4 version/IHL", hex(ver_ihl), "0x45")
    want("IPv4 DSCP/ECN", tos, 0)
    want("IPv4 flags/fragment offset (DF clear)", hex(frag), "0x0")
    want("IPv4 TTL", ttl, args.ttl)
    want("IPv4 header checksum valid", csum(frame[ETH:ETH + IP4]), 0)
    want("IPv4 destination", str(ipaddress.IPv4Address(frame[ETH + 16:ETH + 20])), args.dst_ip)
    want("IPv4 total length - inner frame", tot - len(inner), 36)
    want("IPv4 total length - frame after Ethernet", tot, len(frame) - ETH)
    sport, _, ulen, ucsum = struct.unpack("!HHHH", frame[ETH + IP4:ETH + IP4 + UDP])
    if not 49152 <= sport <= 65535:
        p.append(f"UDP source port {sport} not in 49152..65535")
    want("UDP length - inner frame", ulen - len(inner), 16)
    want("UDP checksum", ucsum, 0)
    flags, rsv1, vni_rsv2 = struct.unpack("!B3sI", frame[ETH + IP4 + UDP:ETH + IP4 + UDP + VXLAN])
    want("VXLAN flags", hex(flags), "0x8")
    want("VXLAN reserved bits", (rsv1.hex(), vni_rsv2 & 0xFF), ("000000", 0))
    vni = vni_rsv2 >> 8
    if len(inner) < 14:
        p.append(f"inner frame of {len(inner)} bytes")
    else:
        src = mac(inner[6:12])
        if src not in vni_of:
            p.append(f"inner source MAC {src}: not one of {sorted(vni_of)}")
        else:
            want(f"VNI for inner source {src}", vni, vni_of[src])
    return p, vni, inner_flow(inner), sport


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("pcap")
    ap.add_argument("--src-ip", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--src-mac", required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--ttl", type=int, default=64)
    ap.add_argument("--port", type=int, default=4789)
    ap.add_argument("--vni", action="append", default=[], help="MAC=VNI, inner source MAC")
    ap.add_argument("--min", action="append", default=[], help="VNI=N, at least N frames")
    args = ap.parse_args()
    args.src_mac, args.dst_mac = args.src_mac.lower(), args.dst_mac.lower()
    vni_of = {m.lower(): int(v) for m, v in (x.split("=") for x in args.vni)}
    src = ipaddress.IPv4Address(args.src_ip).packed
    problems, per_vni, sports, n = [], {}, {}, 0
    for i, frame in enumerate(pcap_frames(args.pcap)):
        if (len(frame) < ETH + IP4 + UDP or frame[12:14] != b"\x08\x00" or frame[ETH + 9] != 17
                or frame[ETH + 12:ETH + 16] != src or (frame[ETH] & 0xF) != 5
                or struct.unpack("!H", frame[ETH + IP4 + 2:ETH + IP4 + 4])[0] != args.port):
            continue
        n += 1
        if len(frame) < ETH + IP4 + UDP + VXLAN:
            problems.append(f"frame {i}: {len(frame)} bytes, shorter than the VXLAN headers")
            continue
        p, vni, flow, sport = check(frame, args, vni_of)
        problems += [f"frame {i}: {x}" for x in p]
        per_vni[vni] = per_vni.get(vni, 0) + 1
        sports.setdefault(flow, set()).add(sport)
    for flow, ports in sports.items():
        if len(ports) > 1:
            problems.append(f"inner flow {flow.hex()}: {len(ports)} UDP source ports "
                            f"{sorted(ports)}, expected one (a hash of the inner headers)")
    for x in args.min:
        v, want = (int(y) for y in x.split("="))
        if per_vni.get(v, 0) < want:
            problems.append(f"VNI {v}: {per_vni.get(v, 0)} frames, expected at least {want}")
    print(f"{args.pcap}: {n} VXLAN frames from {args.src_ip}, per VNI "
          f"{dict(sorted(per_vni.items()))}, {len(sports)} inner flows, {len(problems)} problems")
    for x in problems[:20]:
        print("  " + x)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
