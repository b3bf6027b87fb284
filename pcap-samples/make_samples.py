#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the curated sample captures of pcap-samples/, their EXPECTED parse outcomes (read by
# tests/unit/dataplane/test_parse.c) and README.md, all from the SAMPLES table below. Output is
# deterministic: fixed addresses, fixed timestamps, our own pcap writer.
# Run: /usr/bin/python3 pcap-samples/make_samples.py  (Debian's python3 with python3-scapy)

import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_Router_Alert, fragment
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NS,
                                ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Padding, Raw

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

MAC_A, IP_A, IP6_A = "02:00:00:00:01:0a", "10.0.0.10", "fd00::a"  # container A
MAC_B, IP_B, IP6_B = "02:00:00:00:01:0b", "10.0.0.11", "fd00::b"  # container B
MAC_BCAST = "ff:ff:ff:ff:ff:ff"
TS_BASE = 1700000000  # 2023-11-14T22:13:20Z; packet i of a file is at TS_BASE + i ms

ETH_LEN, IP4_LEN, IP6_LEN = 14, 20, 40


def pad60(pkt):
    """Pad a frame to the Ethernet minimum of 60 bytes (FCS stripped), as a NIC delivers it."""
    n = len(pkt)
    return pkt / Padding(b"\0" * (60 - n)) if n < 60 else pkt


def eth(src=MAC_A, dst=MAC_B):
    return Ether(src=src, dst=dst)


def ip4(src=IP_A, dst=IP_B, **kw):
    return eth() / IP(src=src, dst=dst, id=1, **kw)


def ip6(src=IP6_A, dst=IP6_B, **kw):
    return eth() / IPv6(src=src, dst=dst, **kw)


def udp(sport=5000, dport=5000, **kw):
    return UDP(sport=sport, dport=dport, **kw)


def arp_request():
    return pad60(eth(dst=MAC_BCAST) / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B))


def arp_reply():
    return eth(MAC_B, MAC_A) / ARP(op=2, hwsrc=MAC_B, psrc=IP_B, hwdst=MAC_A, pdst=IP_A)


def icmp_echo():
    data = Raw(bytes(range(32)))
    return [ip4() / ICMP(type=8, id=1, seq=1) / data,
            eth(MAC_B, MAC_A) / IP(src=IP_B, dst=IP_A, id=1) / ICMP(type=0, id=1, seq=1) / data]


def tcp_handshake():
    opts = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
    back = eth(MAC_B, MAC_A) / IP(src=IP_B, dst=IP_A, id=1)
    return [ip4() / TCP(sport=40000, dport=80, flags="S", seq=1000, options=opts),
            back / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001, options=opts),
            pad60(ip4() / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001))]


def broadcast():
    return eth(dst=MAC_BCAST) / IP(src=IP_A, dst="255.255.255.255", id=1) / udp() / Raw(b"hello")


def ipv6_icmp_echo():
    data = Raw(bytes(range(32)))
    back = eth(MAC_B, MAC_A) / IPv6(src=IP6_B, dst=IP6_A)
    return [ip6() / ICMPv6EchoRequest(id=1, seq=1) / data,
            back / ICMPv6EchoReply(id=1, seq=1) / data]


def ipv6_nd_ns():
    return (eth(dst="33:33:ff:00:00:0b") / IPv6(src=IP6_A, dst="ff02::1:ff00:b", hlim=255) /
            ICMPv6ND_NS(tgt=IP6_B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))


def ipv6_ext_headers():
    return ip6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / udp() / Raw(b"ext")


def ipv6_ext_too_many():
    pkt = ip6() / IPv6ExtHdrHopByHop()
    for _ in range(8):  # 9 extension headers in all; parse walks at most 8
        pkt = pkt / IPv6ExtHdrDestOpt()
    return pkt / udp() / Raw(b"x")


def ipv6_fragments():
    # The UDP datagram with its checksum over the unfragmented packet, split after 64 bytes.
    raw = bytes(IPv6(src=IP6_A, dst=IP6_B) / udp() / Raw(bytes(range(100))))[IP6_LEN:]
    first = IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0x1234)
    later = IPv6ExtHdrFragment(nh=17, offset=8, m=0, id=0x1234)
    return [ip6() / first / Raw(raw[:64]), ip6() / later / Raw(raw[64:])]


def ipv4_options():
    return ip4(options=[IPOption_Router_Alert()]) / udp() / Raw(b"options")


def ipv4_fragments():
    whole = IP(src=IP_A, dst=IP_B, id=0x1234) / udp() / Raw(bytes(range(100)))
    return [eth() / f for f in fragment(whole, fragsize=48)]


def vlan_tagged():
    return eth() / Dot1Q(vlan=100) / IP(src=IP_A, dst=IP_B, id=1) / ICMP(id=1, seq=1)


def qinq():
    return pad60(eth() / Dot1Q(vlan=100) / Dot1Q(vlan=200) / IP(src=IP_A, dst=IP_B, id=1) /
                 ICMP(id=1, seq=1))


def lldp():
    # Ethertype 0x88cc with a minimal chassis/port/TTL/end TLV body: not IP, switched by MAC.
    chassis = bytes.fromhex("0207" "04" "02000000010a")  # TLV 1, MAC subtype, A's MAC
    port = bytes.fromhex("0402" "07" "31")  # TLV 2, locally assigned subtype, "1"
    ttl_end = bytes.fromhex("0602" "0078" "0000")  # TLV 3, 120 s; end of LLDPDU
    body = chassis + port + ttl_end
    return pad60(Ether(src=MAC_A, dst="01:80:c2:00:00:0e", type=0x88CC) / Raw(body))


def spoofed_source():
    return ip4(src="10.0.0.99") / ICMP(id=1, seq=1) / Raw(b"spoof")


def cut(pkt, n):
    """The first `n` bytes of `pkt`, as raw bytes."""
    return bytes(pkt)[:n]


def bad_ip_checksum():
    pkt = ip4() / udp() / Raw(b"bad")
    good = IP(bytes(pkt[IP])).chksum
    return ip4(chksum=good ^ 0x5555) / udp() / Raw(b"bad")


def trunc_nd():
    # A neighbour solicitation cut after its reserved field: no target address.
    ns = bytes(ICMPv6ND_NS(tgt=IP6_B, cksum=0))[:8]
    return (eth(dst="33:33:ff:00:00:0b") / IPv6(src=IP6_A, dst="ff02::1:ff00:b", nh=58,
                                                 hlim=255) / Raw(ns))


def ipv6_ext_trunc():
    # Hop-by-hop header claiming 16 bytes (length field 1) in an 8-byte payload.
    return ip6(nh=0, plen=8) / Raw(bytes([17, 1, 1, 4, 0, 0, 0, 0]))


# (file, packets, expected outcome per packet, README description)
SAMPLES = [
    ("arp_request.pcap", [arp_request()], ["ok:arp:none"],
     "ARP who-has 10.0.0.11 from A, padded to 60 bytes; answered by the ARP responder when B is "
     "known, else flooded in the network"),
    ("arp_reply.pcap", [arp_reply()], ["ok:arp:none"],
     "ARP reply B -> A, unpadded (42 bytes, as from a TAP); switched to A"),
    ("icmp_echo.pcap", icmp_echo(), ["ok:ip4:icmp"] * 2,
     "ICMP echo request A -> B and its reply; switched between A and B"),
    ("tcp_handshake.pcap", tcp_handshake(), ["ok:ip4:tcp"] * 3,
     "TCP SYN (MSS, SACK, window scale), SYN-ACK, ACK between A:40000 and B:80; conntrack "
     "follows it, security groups decide"),
    ("broadcast.pcap", [broadcast()], ["ok:ip4:udp"],
     "UDP from A to ff:ff:ff:ff:ff:ff / 255.255.255.255; flooded to every port of A's network"),
    ("ipv6_icmp_echo.pcap", ipv6_icmp_echo(), ["ok:ip6:icmp6"] * 2,
     "ICMPv6 echo request fd00::a -> fd00::b and its reply; switched between A and B"),
    ("ipv6_nd_ns.pcap", [ipv6_nd_ns()], ["ok:ip6:icmp6"],
     "neighbour solicitation for fd00::b from A, to the solicited-node multicast group; "
     "answered by the ND responder when B is known, else flooded"),
    ("ipv6_ext_headers.pcap", [ipv6_ext_headers()], ["ok:ip6:udp"],
     "IPv6 hop-by-hop + destination options + UDP; parse walks the chain to the UDP header"),
    ("ipv6_fragments.pcap", ipv6_fragments(), ["ok:ip6:udp", "ok:ip6:none"],
     "IPv6 UDP datagram in two fragments: the first carries the UDP header, the later one has "
     "no L4 header (flagged as a later fragment)"),
    ("ipv4_options.pcap", [ipv4_options()], ["ok:ip4:udp"],
     "IPv4 with a Router Alert option (IHL 6) carrying UDP; options are allowed and skipped"),
    ("ipv4_fragments.pcap", ipv4_fragments(), ["ok:ip4:udp", "ok:ip4:none", "ok:ip4:none"],
     "IPv4 UDP datagram in three fragments: the first carries the UDP header, the later ones "
     "have no L4 header (flagged as later fragments)"),
    ("vlan_tagged.pcap", [vlan_tagged()], ["ok:ip4:icmp"],
     "ICMP echo with an 802.1Q tag (VLAN 100); parse records the tag, a later node drops it as "
     "vlan_tagged on an access port"),
    ("qinq.pcap", [qinq()], ["ok:none:none"],
     "ICMP echo under two 802.1Q tags; parse reads the first tag and treats the rest as "
     "non-IP (l3 none), switched by MAC only"),
    ("lldp.pcap", [lldp()], ["ok:none:none"],
     "LLDP frame (ethertype 0x88cc): not IP, l3 none, switched by MAC only"),
    ("spoofed_source.pcap", [spoofed_source()], ["ok:ip4:icmp"],
     "valid ICMP echo from A's MAC with source IP 10.0.0.99, not A's; parse accepts it, "
     "port_security drops it as spoof_ip when A's port has port security on"),
    # Malformed: each is dropped by parse with the reason named in EXPECTED.
    ("trunc_eth.pcap", [cut(ip4() / udp(), 10)], ["drop:eth_truncated"],
     "10-byte frame, shorter than an Ethernet header"),
    ("trunc_vlan.pcap", [cut(eth() / Dot1Q(vlan=100) / IP(src=IP_A, dst=IP_B), 16)],
     ["drop:vlan_truncated"], "Ethernet header announcing 802.1Q and 2 bytes of the tag"),
    ("multicast_src_mac.pcap",
     [Ether(src="01:00:5e:00:00:01", dst=MAC_B) / IP(src=IP_A, dst=IP_B, id=1) / udp()],
     ["drop:src_mac_bad"], "UDP frame whose source MAC is multicast (01:00:5e:00:00:01)"),
    ("trunc_arp.pcap", [cut(arp_reply(), ETH_LEN + 20)], ["drop:arp_truncated"],
     "ARP reply cut to 20 of its 28 bytes"),
    ("bad_arp_format.pcap", [eth(dst=MAC_BCAST) / ARP(op=3, psrc=IP_A, hwsrc=MAC_A, pdst=IP_B)],
     ["drop:arp_bad_format"], "ARP with opcode 3 (RARP request)"),
    ("trunc_ipv4.pcap", [cut(ip4() / udp(), ETH_LEN + 12)], ["drop:ip4_truncated"],
     "IPv4 header cut to 12 bytes"),
    ("bad_ipv4_version.pcap", [ip4(version=5) / udp()], ["drop:ip4_bad_version"],
     "ethertype IPv4 but version field 5"),
    ("bad_ihl.pcap", [ip4(ihl=3) / udp()], ["drop:ip4_bad_ihl"],
     "IPv4 header length field 3 (12 bytes, below the 20-byte minimum)"),
    ("bad_ihl_past_end.pcap", [ip4(ihl=15) / udp()], ["drop:ip4_bad_ihl"],
     "IPv4 header length field 15 (60 bytes) in a 42-byte frame"),
    ("bad_total_len.pcap", [ip4(len=200) / udp()], ["drop:ip4_bad_total_len"],
     "IPv4 total length 200 in a 42-byte frame"),
    ("bad_total_len_small.pcap", [ip4(len=16) / udp()], ["drop:ip4_bad_total_len"],
     "IPv4 total length 16, smaller than its 20-byte header"),
    ("bad_ip_checksum.pcap", [bad_ip_checksum()], ["drop:ip4_bad_checksum"],
     "IPv4 header checksum wrong"),
    ("bad_ipv4_src.pcap", [ip4(src="127.0.0.1") / udp()], ["drop:ip4_bad_src"],
     "IPv4 from the loopback source 127.0.0.1"),
    ("trunc_tcp.pcap", [ip4(proto=6) / Raw(bytes(TCP(sport=40000, dport=80))[:10])],
     ["drop:tcp_truncated"], "IPv4 carrying 10 bytes of a TCP header"),
    ("bad_tcp_offset.pcap", [ip4() / TCP(sport=40000, dport=80, dataofs=4)],
     ["drop:tcp_bad_offset"], "TCP data offset 4 (16 bytes, below the 20-byte header)"),
    ("trunc_udp.pcap", [ip4(proto=17) / Raw(b"\x13\x88\x13\x88")], ["drop:udp_truncated"],
     "IPv4 carrying 4 bytes of a UDP header"),
    ("bad_udp_len.pcap", [ip4() / udp(len=100) / Raw(b"0123456789")], ["drop:udp_bad_len"],
     "UDP length field 100 with 18 bytes of UDP in the packet"),
    ("trunc_icmp.pcap", [ip4(proto=1) / Raw(b"\x08\x00\xf7\xff")], ["drop:icmp_truncated"],
     "IPv4 carrying 4 bytes of an ICMP header"),
    ("trunc_ipv6.pcap", [cut(ip6() / udp(), ETH_LEN + 30)], ["drop:ip6_truncated"],
     "IPv6 header cut to 30 bytes"),
    ("bad_ipv6_version.pcap", [ip6(version=4) / udp()], ["drop:ip6_bad_version"],
     "ethertype IPv6 but version field 4"),
    ("bad_ipv6_payload_len.pcap", [ip6(plen=100) / udp()], ["drop:ip6_bad_payload_len"],
     "IPv6 payload length 100 with 8 bytes of payload"),
    ("bad_ipv6_src.pcap", [ip6(src="ff02::1") / udp()], ["drop:ip6_bad_src"],
     "IPv6 from the multicast source ff02::1"),
    ("ipv6_ext_trunc.pcap", [ipv6_ext_trunc()], ["drop:ip6_ext_truncated"],
     "IPv6 hop-by-hop header claiming 16 bytes in an 8-byte payload"),
    ("ipv6_ext_too_many.pcap", [ipv6_ext_too_many()], ["drop:ip6_ext_too_many"],
     "IPv6 with 9 extension headers before UDP (parse walks at most 8)"),
    ("udp6_zero_checksum.pcap", [ip6() / udp(chksum=0) / Raw(b"zero")], ["drop:udp6_no_checksum"],
     "UDP over IPv6 with a zero checksum (RFC 8200 section 8.1)"),
    ("trunc_icmp6.pcap", [ip6(nh=58) / Raw(b"\x80\x00")], ["drop:icmp6_truncated"],
     "IPv6 carrying 2 bytes of an ICMPv6 header"),
    ("trunc_nd.pcap", [trunc_nd()], ["drop:nd_truncated"],
     "neighbour solicitation cut before its target address"),
]


# --- VXLAN (docs/overlay.md): frames on the underlay port of the host whose VTEP is 192.0.2.11.
# The remote host's VTEP is 192.0.2.12 and its container R (02:00:00:00:02:0c, 10.0.0.12) is in
# A's network, VNI 5001. EXPECTED says what parse concludes about the OUTER frame; what vnetd's
# VXLAN nodes do with them is in tests/pipeline/cases/vxlan_*.json.
VTEP_MAC, VTEP_IP = "02:00:c0:00:02:0b", "192.0.2.11"  # this host's underlay
PEER_MAC, PEER_IP = "02:00:c0:00:02:0c", "192.0.2.12"  # the remote host's underlay
MAC_R, IP_R = "02:00:00:00:02:0c", "10.0.0.12"  # container R behind the remote VTEP
VNI = 5001
VXLAN_PORT = 4789
VXLAN_SPORT = 54321  # the remote's entropy source port, fixed here
VXLAN_I = 0x08  # the I flag (RFC 7348 section 5)


def vxlan_hdr(vni=VNI, flags=VXLAN_I, rsv1=0, rsv2=0):
    """The 8-byte VXLAN header: flags, 24 reserved bits, VNI, 8 reserved bits."""
    return struct.pack("!BBH", flags, rsv1 >> 16, rsv1 & 0xFFFF) + struct.pack("!I",
                                                                                (vni << 8) | rsv2)


def underlay(src_ip=PEER_IP, dst_ip=VTEP_IP, dst_mac=VTEP_MAC):
    return Ether(src=PEER_MAC, dst=dst_mac) / IP(src=src_ip, dst=dst_ip, id=1, ttl=64)


def vxlan(inner, src_ip=PEER_IP, dst_ip=VTEP_IP, dport=VXLAN_PORT, **hdr):
    """`inner` (a frame, as bytes or a packet) in VXLAN from the remote VTEP, UDP checksum 0 as
    Linux sends it over IPv4."""
    return (underlay(src_ip, dst_ip) / UDP(sport=VXLAN_SPORT, dport=dport, chksum=0) /
            Raw(vxlan_hdr(**hdr) + bytes(inner)))


def inner_icmp():
    """R's ICMP echo request to A (74 bytes): the inner frame of most VXLAN samples."""
    return (Ether(src=MAC_R, dst=MAC_A) / IP(src=IP_R, dst=IP_A, id=1) /
            ICMP(type=8, id=1, seq=1) / Raw(bytes(range(32))))


def inner_udp():
    return (Ether(src=MAC_R, dst=MAC_A) / IP(src=IP_R, dst=IP_A, id=2) / udp() /
            Raw(b"UDP from R to A in VXLAN"))


def vxlan_trunc_outer():
    # Lengths consistent (parse accepts the outer frame) but only 4 of the VXLAN header's 8
    # bytes in the UDP payload; padded to 60 bytes by the Ethernet padding, not by UDP.
    return pad60(underlay() / UDP(sport=VXLAN_SPORT, dport=VXLAN_PORT, chksum=0) /
                 Raw(vxlan_hdr()[:4]))


def vxlan_trunc_inner():
    # A whole VXLAN header followed by 10 bytes of the inner Ethernet header.
    return (underlay() / UDP(sport=VXLAN_SPORT, dport=VXLAN_PORT, chksum=0) /
            Raw(vxlan_hdr() + bytes(inner_icmp())[:10]))


def underlay_arp_request():
    return pad60(Ether(src=PEER_MAC, dst=MAC_BCAST) /
                 ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst="00:00:00:00:00:00", pdst=VTEP_IP))


def underlay_icmp_echo():
    return underlay() / ICMP(type=8, id=0x77, seq=1) / Raw(bytes(range(56)))


VXLAN_SAMPLES = [
    ("vxlan_valid.pcap", [vxlan(inner_icmp()), vxlan(inner_udp())], ["ok:ip4:udp"] * 2,
     "VXLAN (VNI 5001, flags 0x08, UDP checksum 0) from VTEP 192.0.2.12 to 192.0.2.11 carrying "
     "R's ICMP echo request to A, then R's UDP datagram to A; decapsulated, the inner frames go "
     "to A unchanged"),
    ("vxlan_wrong_vni.pcap", [vxlan(inner_icmp(), vni=5999)], ["ok:ip4:udp"],
     "as vxlan_valid.pcap #0 with VNI 5999, which no network has; dropped as vxlan_vni_unknown"),
    ("vxlan_unknown_vtep.pcap", [vxlan(inner_icmp(), src_ip="192.0.2.99")], ["ok:ip4:udp"],
     "as vxlan_valid.pcap #0 from outer source 192.0.2.99, a VTEP the rules do not know; "
     "dropped as vxlan_vtep_unknown"),
    ("vxlan_bad_flags.pcap",
     [vxlan(inner_icmp(), flags=0x00), vxlan(inner_icmp(), flags=0x0C),
      vxlan(inner_icmp(), rsv1=0x000001), vxlan(inner_icmp(), rsv2=0x01)], ["ok:ip4:udp"] * 4,
     "as vxlan_valid.pcap #0 with the I flag clear (flags 0x00), then with a reserved flag bit "
     "(0x0c), a reserved bit after the flags, and a reserved bit after the VNI; dropped as "
     "vxlan_bad_hdr"),
    ("vxlan_trunc_outer.pcap", [vxlan_trunc_outer()], ["ok:ip4:udp"],
     "UDP to port 4789 carrying 4 of the VXLAN header's 8 bytes (lengths consistent, padded to "
     "60); dropped as vxlan_truncated"),
    ("vxlan_trunc_inner.pcap", [vxlan_trunc_inner()], ["ok:ip4:udp"],
     "a valid VXLAN header followed by 10 bytes of the inner Ethernet header; dropped as "
     "vxlan_truncated"),
    ("underlay_arp_request.pcap", [underlay_arp_request()], ["ok:arp:none"],
     "ARP who-has 192.0.2.11 from 192.0.2.12 (02:00:c0:00:02:0c), padded to 60 bytes; vnetd "
     "answers it on the underlay"),
    ("underlay_icmp_echo.pcap", [underlay_icmp_echo()], ["ok:ip4:icmp"],
     "ICMP echo request 192.0.2.12 -> 192.0.2.11 (id 0x77, 56 bytes of data); vnetd answers it "
     "on the underlay"),
    ("underlay_not_for_us.pcap", [vxlan(inner_icmp(), dst_ip="192.0.2.50")], ["ok:ip4:udp"],
     "VXLAN to 192.0.2.50 sent to our underlay MAC; dropped as underlay_not_for_us"),
    ("underlay_not_vxlan.pcap",
     [underlay() / UDP(sport=VXLAN_SPORT, dport=9999) / Raw(b"not vxlan, to port 9999")],
     ["ok:ip4:udp"], "UDP 192.0.2.12 -> 192.0.2.11 port 9999; dropped as underlay_not_vxlan"),
]


def pcap_write(path, frames):
    """Classic pcap, microsecond timestamps, little endian, Ethernet."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", TS_BASE, i * 1000, len(frame), len(frame)))
            f.write(frame)


README_HEAD = """# pcap-samples

Small curated captures, one behaviour each. Generated, with `EXPECTED` and this file, by
`make_samples.py` (edit the SAMPLES table there, never the outputs):

    /usr/bin/python3 pcap-samples/make_samples.py

Addressing: container A is 02:00:00:00:01:0a, 10.0.0.10, fd00::a; container B is
02:00:00:00:01:0b, 10.0.0.11, fd00::b.

VXLAN samples (`vxlan_*`, `underlay_*`) are frames on the underlay port of A's host, whose VTEP
is 192.0.2.11 (02:00:c0:00:02:0b). They come from the remote VTEP 192.0.2.12
(02:00:c0:00:02:0c), VNI 5001, and carry frames of container R (02:00:00:00:02:0c, 10.0.0.12),
which is in A's network on the remote host. EXPECTED gives what parse concludes about the outer
frame; what the VXLAN nodes decide is checked by `tests/pipeline/cases/vxlan_*.json`.

`EXPECTED` has one line per packet, `<file> <index> <outcome>`: `ok:<l3>:<l4>` when parse accepts
the packet (l3 none|arp|ip4|ip6, l4 none|tcp|udp|icmp|icmp6), `drop:<reason>` (a name from
`dataplane/drop.h`, as in `vnetctl drops`) when parse drops it. `tests/unit/dataplane/test_parse.c`
checks every line.

| file | what it is and what vnetd does with it |
| --- | --- |
"""


def main():
    expected, readme = [], [README_HEAD]
    for name, pkts, outcomes, desc in SAMPLES + VXLAN_SAMPLES:
        if len(pkts) != len(outcomes):
            sys.exit(f"{name}: {len(pkts)} packets but {len(outcomes)} outcomes")
        pcap_write(os.path.join(OUT_DIR, name), [bytes(p) for p in pkts])
        expected += [f"{name} {i} {o}" for i, o in enumerate(outcomes)]
        action = "parse drops it as " + outcomes[0][5:] if outcomes[0].startswith("drop:") else ""
        readme.append(f"| `{name}` | {desc}{'; ' + action if action else ''} |\n")
    with open(os.path.join(OUT_DIR, "EXPECTED"), "w") as f:
        f.write("\n".join(expected) + "\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write("".join(readme))


if __name__ == "__main__":
    main()
