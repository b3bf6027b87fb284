# SPDX-License-Identifier: BSD-3-Clause
# Helpers that the scapy expressions of pipeline cases may use (see README.md). Mostly checks for
# `out_check`: frames whose bytes a case cannot give in advance because vnetd chooses some of
# them (the VXLAN source port, the IPv4 id of a packet vnetd builds). Each check takes the frame
# that came out (`out`, bytes) and returns a list of problems, empty when the frame is right;
# every other byte is checked exactly. `vxlan_frame` builds a VXLAN frame from a remote VTEP.

import ipaddress
import struct

__all__ = ["vxlan_frame", "vxlan_out", "arp_out", "echo_reply_out", "na_out", "icmp_error_out",
           "dhcp_reply_out", "ra_out", "neigh_request_out", "tcp_rst_out", "dns_refused_out",
           "tls_client_hello", "dns_query"]

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


def _dhcp_options(opts):
    """{code: bytes} of DHCP options up to the end option."""
    found, i = {}, 0
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        found[opts[i]] = opts[i + 2:i + 2 + opts[i + 1]]
        i += 2 + opts[i + 1]
    return found


def dhcp_reply_out(out, request, eth_src, server, msg_type, yiaddr=None, mask=None, router=None,
                   dns=None, mtu=None, broadcast=False):
    """A DHCP reply (RFC 2131) of `msg_type` (2 offer, 5 ack, 6 nak) to the client of the frame
    `request`: from `eth_src` and `server` (UDP 67 -> 68), to the broadcast addresses or the
    client's MAC and `yiaddr`; BOOTREPLY with the request's xid, flags and chaddr, yiaddr, and the
    options: message type, server identifier, and for offers and acks the lease (86400 s, T1,
    T2), subnet mask, router (if given), DNS servers (if given) and interface MTU."""
    problems = []
    _want(problems, "destination MAC", _mac(out[0:6]),
          "ff:ff:ff:ff:ff:ff" if broadcast else _mac(request[6:12]))
    _want(problems, "source MAC (the server's)", _mac(out[6:12]), eth_src)
    tot = _ip4_hdr(out, problems, server, "255.255.255.255" if broadcast else yiaddr, 17, 64)
    udp = out[_ETH + _IP4:_ETH + tot]
    sport, dport, ulen = struct.unpack("!HHH", udp[0:6])
    _want(problems, "UDP ports", (sport, dport), (67, 68))
    _want(problems, "UDP length", ulen, len(udp))
    pseudo = out[_ETH + 12:_ETH + 20] + struct.pack("!xBH", 17, len(udp))
    _want(problems, "UDP checksum valid", hex(_csum(pseudo + udp)), "0x0")
    b, rq = udp[8:], request[_ETH + _IP4 + 8:]
    _want(problems, "BOOTP op/htype/hlen", tuple(b[0:3]), (2, 1, 6))
    _want(problems, "xid (the request's)", b[4:8].hex(), rq[4:8].hex())
    _want(problems, "flags (the request's)", b[10:12].hex(), rq[10:12].hex())
    _want(problems, "chaddr (the request's)", b[28:44].hex(), rq[28:44].hex())
    _want(problems, "yiaddr", _ip4(b[16:20]), yiaddr if msg_type != 6 else "0.0.0.0")
    _want(problems, "magic cookie", b[236:240].hex(), "63825363")
    opts = _dhcp_options(b[240:])
    _want(problems, "option 53 (message type)", opts.get(53), bytes([msg_type]))
    _want(problems, "option 54 (server identifier)", _ip4(opts.get(54, b"\0" * 4)), server)
    if msg_type != 6:
        _want(problems, "option 51 (lease time)", opts.get(51), struct.pack("!I", 86400))
        _want(problems, "option 58, 59 (T1, T2)", (opts.get(58), opts.get(59)),
              (struct.pack("!I", 43200), struct.pack("!I", 75600)))
        _want(problems, "option 1 (subnet mask)", _ip4(opts.get(1, b"\0" * 4)), mask)
        _want(problems, "option 3 (router)", opts.get(3) and _ip4(opts[3]), router)
        got_dns = opts.get(6)
        _want(problems, "option 6 (DNS servers)",
              got_dns and [_ip4(got_dns[i:i + 4]) for i in range(0, len(got_dns), 4)], dns)
        _want(problems, "option 26 (interface MTU)", opts.get(26), mtu and struct.pack("!H", mtu))
    _want(problems, "at least 300 bytes of BOOTP (RFC 1542)", len(b) >= 300, True)
    return problems


def ra_out(out, router_mac, dst_mac, dst_ip, mtu, prefixes, flags=0, dns=None):
    """A router advertisement (RFC 4861 4.2) from the router's EUI-64 link-local address and
    `router_mac` to `dst_mac`/`dst_ip`: hop limit 255, current hop limit 64, `flags` (M 0x80,
    O 0x40), router lifetime 1800; options: source link-layer address, MTU, one prefix
    information per (prefix, length, L/A flags) of `prefixes` with lifetimes 2592000/604800,
    and the DNS servers `dns` (RFC 8106) if given."""
    problems = []
    m = bytes.fromhex(router_mac.replace(":", ""))
    ll = "fe80::" + ipaddress.IPv6Address(
        bytes(8) + bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:6]).compressed.lstrip(":")
    _want(problems, "destination MAC", _mac(out[0:6]), dst_mac)
    _want(problems, "source MAC", _mac(out[6:12]), router_mac)
    plen, nh, hlim = struct.unpack("!HBB", out[_ETH + 4:_ETH + 8])
    src, dst = out[_ETH + 8:_ETH + 24], out[_ETH + 24:_ETH + 40]
    _want(problems, "IPv6 next header / hop limit", (nh, hlim), (58, 255))
    _want(problems, "IPv6 source (the router's link-local)", _ip6(src),
          str(ipaddress.IPv6Address(ll)))
    _want(problems, "IPv6 destination", _ip6(dst), str(ipaddress.IPv6Address(dst_ip)))
    msg = out[_ETH + 40:_ETH + 40 + plen]
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    _want(problems, "ICMPv6 checksum valid", hex(_csum(pseudo + msg)), "0x0")
    _want(problems, "type/code", (msg[0], msg[1]), (134, 0))
    _want(problems, "cur hop limit, flags, router lifetime", struct.unpack("!BBH", msg[4:8]),
          (64, flags, 1800))
    got_prefixes, got_mtu, got_lla, got_dns = [], None, None, None
    o = msg[16:]
    while len(o) >= 8 and o[1]:
        body = o[:o[1] * 8]
        if o[0] == 1:
            got_lla = _mac(body[2:8])
        elif o[0] == 5:
            got_mtu = struct.unpack("!I", body[4:8])[0]
        elif o[0] == 3:
            valid, pref = struct.unpack("!II", body[4:12])
            got_prefixes.append((_ip6(body[16:32]), body[2], body[3], valid, pref))
        elif o[0] == 25:
            got_dns = [_ip6(body[i:i + 16]) for i in range(8, len(body), 16)]
        o = o[o[1] * 8:]
    _want(problems, "source link-layer option", got_lla, router_mac)
    _want(problems, "MTU option", got_mtu, mtu)
    _want(problems, "prefix options", got_prefixes,
          [(str(ipaddress.IPv6Address(p)), n, f, 2592000, 604800) for p, n, f in prefixes])
    _want(problems, "DNS option", got_dns, dns and [str(ipaddress.IPv6Address(d)) for d in dns])
    return problems


def neigh_request_out(out, target):
    """vnetd's own request for next hop `target`: an ARP probe-style request (sender IP 0.0.0.0,
    RFC 5227) for an IPv4 target, a neighbour solicitation to the solicited-node address for an
    IPv6 one; from vnetd's MAC (0e:..., random per process), broadcast / multicast."""
    problems = []
    src = _mac(out[6:12])
    _want(problems, "source MAC (vnetd's own: 0e:...)", src[:3], "0e:")
    if ":" not in target:
        problems += arp_out(out, 1, src, "ff:ff:ff:ff:ff:ff", src, "0.0.0.0", "00:00:00:00:00:00",
                            target)
        return problems
    t = ipaddress.IPv6Address(target).packed
    _want(problems, "destination MAC (solicited-node)", out[0:6].hex(), "3333ff" + t[13:].hex())
    msg = out[_ETH + 40:]
    _want(problems, "ICMPv6 type", msg[0], 135)
    _want(problems, "NS target", _ip6(msg[8:24]), str(ipaddress.IPv6Address(target)))
    return problems


# ---- the firewall's L7 answers -------------------------------------------------------------------

def _made_ip4(src, dst, proto, l4):
    """The IPv4 header vnetd writes on a frame it makes (id 0, DF, TTL 64) and the L4 checksum."""
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
    csum_at = 16 if proto == 6 else 6
    l4 = l4[:csum_at] + struct.pack("!H", _csum(pseudo + l4)) + l4[csum_at + 2:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, _IP4 + len(l4), 0, 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + l4


def _compare(out, want, what):
    """Problems of `out` against the expected frame `want` (Ethernet padding to 60 bytes allowed)."""
    if out[:len(want)] != want:
        at = next((i for i in range(min(len(out), len(want))) if out[i] != want[i]),
                  min(len(out), len(want)))
        return [f"{what}: differs at byte {at}: got {out.hex()}, expected {want.hex()}"]
    problems = []
    _eth_padding(out, len(want), problems)
    return problems


def tcp_rst_out(out, request, back):
    """The TCP RST vnetd sends when an L7 rule denies the connection of `request` (an IPv4 TCP
    frame from the connection's originator, no IP options): on toward the responder (`back`
    False: the request's MACs, addresses, ports, sequence and acknowledgement numbers) or back to
    the originator (swapped; its sequence number the one the originator acknowledged, acknowledging
    everything the request carried, SYN included). Flags RST+ACK, window 0, no options, no data."""
    ihl = (request[_ETH] & 0xF) * 4
    tot = struct.unpack("!H", request[_ETH + 2:_ETH + 4])[0]
    src, dst = request[_ETH + 12:_ETH + 16], request[_ETH + 16:_ETH + 20]
    t = request[_ETH + ihl:_ETH + tot]
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", t[:14])
    length = len(t) - (off >> 4) * 4 + (1 if flags & 2 else 0) + (1 if flags & 1 else 0)
    if back:
        tcp = struct.pack("!HHIIBBHHH", dport, sport, ack, (seq + length) & 0xFFFFFFFF, 0x50, 0x14,
                          0, 0, 0)
        frame = request[6:12] + request[0:6] + request[12:14] + _made_ip4(dst, src, 6, tcp)
    else:
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, 0x14, 0, 0, 0)
        frame = request[0:14] + _made_ip4(src, dst, 6, tcp)
    return _compare(out, frame, "RST " + ("back to the originator" if back else "to the responder"))


def dns_refused_out(out, query):
    """The REFUSED answer vnetd sends to the DNS query `query` (an IPv4 UDP frame, no IP options)
    that an L7 rule denied: MACs, addresses and ports swapped; the query's id and questions; QR,
    the query's opcode and RD, RA, RCODE 5; no other records."""
    ihl = (query[_ETH] & 0xF) * 4
    tot = struct.unpack("!H", query[_ETH + 2:_ETH + 4])[0]
    src, dst = query[_ETH + 12:_ETH + 16], query[_ETH + 16:_ETH + 20]
    u = query[_ETH + ihl:_ETH + tot]
    sport, dport = struct.unpack("!HH", u[:4])
    msg = u[_UDP:]
    end = 12
    for _ in range(struct.unpack("!H", msg[4:6])[0]):
        while msg[end] != 0:
            end += 1 + msg[end]
        end += 5
    dns = msg[0:2] + bytes([0x80 | (msg[2] & 0x79), 0x85]) + msg[4:6] + bytes(6) + msg[12:end]
    udp = struct.pack("!HHHH", dport, sport, _UDP + len(dns), 0) + dns
    frame = query[6:12] + query[0:6] + query[12:14] + _made_ip4(dst, src, 17, udp)
    return _compare(out, frame, "DNS REFUSED")


def tls_client_hello(sni, pad=0):
    """A TLS 1.3-style ClientHello record for server name `sni`, with `pad` bytes of padding."""
    exts = b""
    if sni is not None:
        name = sni.encode()
        entry = b"\x00" + struct.pack("!H", len(name)) + name
        exts += struct.pack("!HHH", 0, len(entry) + 2, len(entry)) + entry
    if pad:
        exts += struct.pack("!HH", 21, pad) + bytes(pad)
    body = (b"\x03\x03" + bytes(32) + b"\x20" + bytes(32) + b"\x00\x04\x13\x01\x13\x02" +
            b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(*names, qid=0x1234):
    """A DNS query message (RD) asking for the A records of `names`."""
    msg = struct.pack("!HHHHHH", qid, 0x0100, len(names), 0, 0, 0)
    for n in names:
        msg += b"".join(bytes([len(label)]) + label.encode() for label in n.split(".")) + b"\0"
        msg += struct.pack("!HH", 1, 1)
    return msg
