# SPDX-License-Identifier: BSD-3-Clause
# Helpers that the scapy expressions of pipeline cases may use (see README.md). Mostly checks for
# `out_check`: frames whose bytes a case cannot give in advance because vnetd chooses some of
# them (the VXLAN source port, the IPv4 id of a packet vnetd builds). Each check takes the frame
# that came out (`out`, bytes) and returns a list of problems, empty when the frame is right;
# every other byte is checked exactly. `vxlan_frame` builds a VXLAN frame from a remote VTEP.

import ipaddress
import struct

__all__ = ["vxlan_frame", "vxlan_out", "arp_out", "echo_reply_out", "na_out", "icmp_error_out"]

_ETH, _IP4, _UDP, _VXLAN = 14, 20, 8, 8


def _mac(b):
    return ":".join(f"{x:02x}" for x in b)


def _ip4(b):
    return str(ipaddress.IPv4Address(b))


def _ip6(b):
    return str(ipaddress.IPv6Address(b))


def _csum(data):
    """The Internet checksum (RFC 1071) of `data`: 0 when `data` holds a valid checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _want(problems, what, got, want):
    if got != want:
        problems.append(f"{what}: got {got}, expected {want}")


def _ip4_hdr(out, problems, src, dst, proto, ttl=None, dscp=None):
    """Checks the IPv4 header at ETH (no options, not a fragment, valid checksum, total length
    to the end of the frame); returns its total length."""
    ver_ihl, tos, tot, _id, frag, got_ttl, got_proto, _ = struct.unpack(
        "!BBHHHBBH", out[_ETH:_ETH + 12])
    _want(problems, "ethertype", out[12:14].hex(), "0800")
    _want(problems, "IPv4 version/IHL", hex(ver_ihl), "0x45")
    if dscp is not None:
        _want(problems, "IPv4 DSCP/ECN byte", tos, dscp << 2)
    _want(problems, "IPv4 flags/fragment offset (DF clear, not a fragment)", hex(frag), "0x0")
    if ttl is not None:
        _want(problems, "IPv4 TTL", got_ttl, ttl)
    _want(problems, "IPv4 protocol", got_proto, proto)
    _want(problems, "IPv4 header checksum valid (sum of header)", hex(_csum(out[_ETH:_ETH + _IP4])),
          "0x0")
    _want(problems, "IPv4 source", _ip4(out[_ETH + 12:_ETH + 16]), src)
    _want(problems, "IPv4 destination", _ip4(out[_ETH + 16:_ETH + 20]), dst)
    return tot


def vxlan_frame(inner, vni=5001, src_ip="192.0.2.12", dst_ip="192.0.2.11",
                src_mac="02:00:c0:00:02:0c", dst_mac="02:00:c0:00:02:0b", sport=54321, dport=4789,
                flags=0x08):
    """`inner` (a frame: bytes or a scapy packet) in VXLAN as a remote VTEP sends it: IPv4 TTL
    64, UDP checksum 0."""
    inner = bytes(inner)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, _IP4 + _UDP + _VXLAN + len(inner), 1, 0,
                               64, 17, 0, ipaddress.IPv4Address(src_ip).packed,
                               ipaddress.IPv4Address(dst_ip).packed))
    ip[10:12] = struct.pack("!H", _csum(bytes(ip)))
    return (bytes.fromhex(dst_mac.replace(":", "") + src_mac.replace(":", "")) + b"\x08\x00" +
            bytes(ip) + struct.pack("!HHHH", sport, dport, _UDP + _VXLAN + len(inner), 0) +
            struct.pack("!BxxxI", flags, vni << 8) + inner)


def vxlan_out(out, inner, vni, vtep, dst_mac, src_ip="192.0.2.11", src_mac="02:00:c0:00:02:0b",
              ttl=64, dscp=0, port=4789):
    """`inner` (bytes) encapsulated as docs/overlay.md says: Ethernet src_mac -> dst_mac (the
    VTEP's next hop), IPv4 src_ip -> vtep (TTL ttl, DSCP dscp, DF clear, checksum valid, total
    length = inner + 36), UDP source port 49152..65535, destination `port`, length inner + 16,
    checksum 0, VXLAN flags 0x08 and reserved bits 0, the VNI, then exactly `inner`."""
    problems = []
    hdrs = _ETH + _IP4 + _UDP + _VXLAN
    if len(out) < hdrs:
        return [f"{len(out)} bytes: shorter than Ethernet/IPv4/UDP/VXLAN ({hdrs})"]
    _want(problems, "outer destination MAC", _mac(out[0:6]), dst_mac)
    _want(problems, "outer source MAC", _mac(out[6:12]), src_mac)
    tot = _ip4_hdr(out, problems, src_ip, vtep, 17, ttl, dscp)
    _want(problems, "IPv4 total length (inner frame + 36)", tot, len(inner) + 36)
    sport, dport, ulen, ucsum = struct.unpack("!HHHH", out[_ETH + _IP4:_ETH + _IP4 + _UDP])
    if not 49152 <= sport <= 65535:
        problems.append(f"UDP source port {sport}: not in 49152..65535 (RFC 7348 section 5)")
    _want(problems, "UDP destination port", dport, port)
    _want(problems, "UDP length (inner frame + 16)", ulen, len(inner) + 16)
    _want(problems, "UDP checksum", ucsum, 0)
    flags, rsv1, vni_rsv2 = struct.unpack("!B3sI", out[_ETH + _IP4 + _UDP:hdrs])
    _want(problems, "VXLAN flags", hex(flags), "0x8")
    _want(problems, "VXLAN reserved bits after the flags", rsv1.hex(), "000000")
    _want(problems, "VXLAN VNI", vni_rsv2 >> 8, vni)
    _want(problems, "VXLAN reserved byte after the VNI", vni_rsv2 & 0xFF, 0)
    if out[hdrs:] != inner:
        k = next((k for k in range(min(len(inner), len(out) - hdrs)) if out[hdrs + k] != inner[k]),
                 min(len(inner), len(out) - hdrs))
        problems.append(f"inner frame ({len(out) - hdrs} bytes) differs from the frame sent "
                        f"({len(inner)} bytes) at inner byte {k}")
    return problems


def _eth_padding(out, length, problems):
    """A frame of `length` bytes, possibly zero-padded up to the 60-byte Ethernet minimum."""
    if len(out) != length and not (len(out) == max(60, length) and not any(out[length:])):
        problems.append(f"frame length {len(out)}: expected {length}, or {max(60, length)} "
                        f"with zero padding")


def arp_out(out, op, eth_src, eth_dst, sha, spa, tha, tpa):
    """An Ethernet/IPv4 ARP message with these fields (42 bytes, or 60 zero-padded)."""
    problems = []
    if len(out) < _ETH + 28:
        return [f"{len(out)} bytes: shorter than an ARP frame (42)"]
    _want(problems, "destination MAC", _mac(out[0:6]), eth_dst)
    _want(problems, "source MAC", _mac(out[6:12]), eth_src)
    _want(problems, "ethertype", out[12:14].hex(), "0806")
    htype, ptype, hlen, plen, got_op = struct.unpack("!HHBBH", out[_ETH:_ETH + 8])
    _want(problems, "ARP htype/ptype/hlen/plen", (htype, hex(ptype), hlen, plen),
          (1, "0x800", 6, 4))
    _want(problems, "ARP opcode", got_op, op)
    a = out[_ETH + 8:_ETH + 28]
    _want(problems, "ARP sender MAC", _mac(a[0:6]), sha)
    _want(problems, "ARP sender IP", _ip4(a[6:10]), spa)
    _want(problems, "ARP target MAC", _mac(a[10:16]), tha)
    _want(problems, "ARP target IP", _ip4(a[16:20]), tpa)
    _eth_padding(out, _ETH + 28, problems)
    return problems


def echo_reply_out(out, request, ttl=None):
    """The ICMP echo reply to the IPv4 echo request `request` (a frame, bytes, without IP
    options): MACs and IPs swapped, type 0 code 0, the request's id, sequence and data, ICMP and
    IPv4 checksums valid."""
    problems = []
    rq_ihl = (request[_ETH] & 0xF) * 4
    rq_tot = struct.unpack("!H", request[_ETH + 2:_ETH + 4])[0]
    rq_icmp = request[_ETH + rq_ihl:_ETH + rq_tot]
    if len(out) < _ETH + _IP4 + 8:
        return [f"{len(out)} bytes: shorter than an ICMP echo reply"]
    _want(problems, "destination MAC (the request's source)", _mac(out[0:6]), _mac(request[6:12]))
    _want(problems, "source MAC (the request's destination)", _mac(out[6:12]), _mac(request[0:6]))
    tot = _ip4_hdr(out, problems, _ip4(request[_ETH + 16:_ETH + 20]),
                   _ip4(request[_ETH + 12:_ETH + 16]), 1, ttl)
    _want(problems, "IPv4 total length", tot, _IP4 + len(rq_icmp))
    icmp = out[_ETH + _IP4:_ETH + tot]
    _want(problems, "ICMP type/code", (icmp[0], icmp[1]) if len(icmp) > 1 else None, (0, 0))
    _want(problems, "ICMP checksum valid (sum of message)", hex(_csum(icmp)), "0x0")
    _want(problems, "ICMP id, sequence and data (as in the request)", icmp[4:].hex(),
          rq_icmp[4:].hex())
    _eth_padding(out, _ETH + tot, problems)
    return problems


def na_out(out, eth_src, eth_dst, target, dst_ip, tlla, router=False):
    """A solicited neighbour advertisement (RFC 4861 section 4.4) for `target` to `dst_ip`:
    IPv6 source `target`, hop limit 255, ICMPv6 type 136 code 0 with a valid checksum, S set,
    R set when `router` (a router's gateway address), and a target link-layer address option
    with `tlla`."""
    problems = []
    if len(out) < _ETH + 40 + 24:
        return [f"{len(out)} bytes: shorter than a neighbour advertisement"]
    _want(problems, "destination MAC", _mac(out[0:6]), eth_dst)
    _want(problems, "source MAC", _mac(out[6:12]), eth_src)
    _want(problems, "ethertype", out[12:14].hex(), "86dd")
    plen, nh, hlim = struct.unpack("!HBB", out[_ETH + 4:_ETH + 8])
    src, dst = out[_ETH + 8:_ETH + 24], out[_ETH + 24:_ETH + 40]
    _want(problems, "IPv6 next header", nh, 58)
    _want(problems, "IPv6 hop limit", hlim, 255)
    _want(problems, "IPv6 source", _ip6(src), str(ipaddress.IPv6Address(target)))
    _want(problems, "IPv6 destination", _ip6(dst), str(ipaddress.IPv6Address(dst_ip)))
    _want(problems, "IPv6 payload length (to the end of the frame)", plen, len(out) - _ETH - 40)
    msg = out[_ETH + 40:_ETH + 40 + plen]
    _want(problems, "ICMPv6 type/code", (msg[0], msg[1]), (136, 0))
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    _want(problems, "ICMPv6 checksum valid", hex(_csum(pseudo + msg)), "0x0")
    flags = msg[4]
    _want(problems, "NA flags R (router), S (solicited)", (bool(flags & 0x80), bool(flags & 0x40)),
          (router, True))
    _want(problems, "NA target", _ip6(msg[8:24]), str(ipaddress.IPv6Address(target)))
    opts, lla = msg[24:], None
    while len(opts) >= 8 and opts[1]:
        if opts[0] == 2:
            lla = _mac(opts[2:8])
        opts = opts[opts[1] * 8:]
    _want(problems, "target link-layer address option", lla, tlla)
    return problems


def icmp_error_out(out, request, eth_src, src_ip, icmp_type, icmp_code, mtu=None):
    """The ICMP (IPv4 request) or ICMPv6 (IPv6 request) error a router sends about the frame
    `request`: to the request's source MAC and address, from `eth_src` and `src_ip`, TTL / hop
    limit 64, the type and code, a valid checksum, the MTU field (`mtu`, or zero) and the quote:
    the request's IP header and 8 bytes (IPv4) or as much of it as fits in 1,280 bytes (IPv6)."""
    problems = []
    _want(problems, "destination MAC (the request's source)", _mac(out[0:6]), _mac(request[6:12]))
    _want(problems, "source MAC (the router's)", _mac(out[6:12]), eth_src)
    if request[12:14].hex() == "0800":
        ihl = (request[_ETH] & 0xF) * 4
        rq_tot = struct.unpack("!H", request[_ETH + 2:_ETH + 4])[0]
        tot = _ip4_hdr(out, problems, src_ip, _ip4(request[_ETH + 12:_ETH + 16]), 1, 64)
        icmp = out[_ETH + _IP4:_ETH + tot]
        quote = request[_ETH:_ETH + min(rq_tot, ihl + 8)]
        _want(problems, "ICMP type/code", (icmp[0], icmp[1]), (icmp_type, icmp_code))
        _want(problems, "ICMP checksum valid", hex(_csum(icmp)), "0x0")
        _want(problems, "ICMP next-hop MTU field", struct.unpack("!I", icmp[4:8])[0], mtu or 0)
        _want(problems, "quote (the request's IP header and 8 bytes)", icmp[8:].hex(), quote.hex())
        return problems
    _want(problems, "ethertype", out[12:14].hex(), "86dd")
    plen, nh, hlim = struct.unpack("!HBB", out[_ETH + 4:_ETH + 8])
    src, dst = out[_ETH + 8:_ETH + 24], out[_ETH + 24:_ETH + 40]
    _want(problems, "IPv6 next header", nh, 58)
    _want(problems, "IPv6 hop limit", hlim, 64)
    _want(problems, "IPv6 source (the gateway)", _ip6(src), str(ipaddress.IPv6Address(src_ip)))
    _want(problems, "IPv6 destination (the request's source)", _ip6(dst), _ip6(request[_ETH + 8:_ETH + 24]))
    msg = out[_ETH + 40:_ETH + 40 + plen]
    _want(problems, "IPv6 payload length (to the end of the frame)", plen, len(out) - _ETH - 40)
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    _want(problems, "ICMPv6 checksum valid", hex(_csum(pseudo + msg)), "0x0")
    _want(problems, "ICMPv6 type/code", (msg[0], msg[1]), (icmp_type, icmp_code))
    _want(problems, "ICMPv6 MTU field", struct.unpack("!I", msg[4:8])[0], mtu or 0)
    rq_plen = struct.unpack("!H", request[_ETH + 4:_ETH + 6])[0]
    quote = request[_ETH:_ETH + min(40 + rq_plen, 1280 - 48)]
    _want(problems, "quote (the request, up to 1,280 bytes in all)", msg[8:].hex(), quote.hex())
    return problems
