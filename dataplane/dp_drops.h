// SPDX-License-Identifier: BSD-3-Clause
// dataplane/dp_drops.h — why the engine drops packets: its own reasons and the parser's. Each
// folder lists its own reasons in <folder>/<folder>_drops.h; the build composes them into one
// numbering (build/drop_reasons.h, see dataplane/drop.h), and scripts/gen_drop_doc.py into
// docs/drop-reasons.md. NONE comes first: it is 0, "not dropped".
#pragma once

#define DATAPLANE_DROP_REASONS(X)                                                                  \
	/* dataplane */                                                                            \
	X(NONE, "not dropped")                                                                     \
	X(PORT_DOWN, "output port is not in the current configuration or not started")             \
	X(TX_FULL, "output queue full: the device did not take the packet")                        \
	X(LINK_DOWN, "output port's link is down (VM not connected, container gone)")              \
	X(VNIC_RX_TRUNCATED, "frame longer than the vNIC's receive buffer (GSO left on, MTU)")       \
	X(UNCLAIMED, "no feature takes frames at this point (nothing attached: see graph.h)")           \
	X(MBUF_EXHAUSTED, "no mbuf left to copy a flooded packet")                                 \
	X(FLOOD_COPY_LIMIT, "packets made from others (flood copies, fragments, ICMP errors) beyond the limits per walk (4096, 1024 per input port): storm control") \
	/* parse */                                                                                \
	X(HDR_SEGMENTED, "headers do not fit in the first buffer segment, even gathered (512 bytes)") \
	X(ETH_TRUNCATED, "frame shorter than an Ethernet header")                                  \
	X(VLAN_TRUNCATED, "802.1Q tag truncated")                                                  \
	X(VLAN_TAGGED, "802.1Q tagged frame on an access port")                                    \
	X(ARP_TRUNCATED, "ARP packet shorter than its header")                                     \
	X(ARP_BAD_FORMAT, "ARP not Ethernet/IPv4 or unknown opcode")                               \
	X(IP4_TRUNCATED, "IPv4 packet shorter than its header")                                    \
	X(IP4_BAD_VERSION, "IPv4 version field is not 4")                                          \
	X(IP4_BAD_IHL, "IPv4 header length below 20 bytes or past the packet")                     \
	X(IP4_BAD_TOTAL_LEN, "IPv4 total length smaller than the header or past the frame")        \
	X(IP4_BAD_CHECKSUM, "IPv4 header checksum wrong")                                          \
	X(IP4_BAD_SRC, "IPv4 source is multicast, broadcast or loopback")                          \
	X(IP6_TRUNCATED, "IPv6 packet shorter than its header")                                    \
	X(IP6_BAD_VERSION, "IPv6 version field is not 6")                                          \
	X(IP6_BAD_PAYLOAD_LEN, "IPv6 payload length past the frame")                               \
	X(IP6_EXT_TRUNCATED, "IPv6 extension header runs past the packet")                         \
	X(IP6_EXT_TOO_MANY, "IPv6 extension header chain too long")                                \
	X(IP6_BAD_SRC, "IPv6 source is multicast")                                                 \
	X(TCP_TRUNCATED, "TCP segment shorter than its header")                                    \
	X(TCP_BAD_OFFSET, "TCP data offset below 5 words or past the packet")                      \
	X(UDP_TRUNCATED, "UDP datagram shorter than its header")                                   \
	X(UDP_BAD_LEN, "UDP length field smaller than 8 or past the IP payload")                   \
	X(UDP6_NO_CHECKSUM, "UDP over IPv6 with a zero checksum (RFC 8200 section 8.1)")           \
	X(ICMP_TRUNCATED, "ICMP message shorter than its header")                                  \
	X(ICMP6_TRUNCATED, "ICMPv6 message shorter than its header")                               \
	X(ND_TRUNCATED, "neighbour discovery message shorter than its target address")
