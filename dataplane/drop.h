// SPDX-License-Identifier: BSD-3-Clause
// Why packets are dropped. This list is the only place drop reasons exist: the enum, the names in
// counters and JSON, and the descriptions all derive from it. Order is not ABI; keep entries
// grouped by module. To add a reason: add one X() line here, return dp_drop(m, DROP_X) from the
// node that decides it, and add a test that expects it.
#pragma once

#include <rte_graph.h>
#include <rte_mbuf.h>

#define DP_DROP_REASONS(X)                                                                         \
	X(NONE, "not dropped")                                                                     \
	/* dataplane */                                                                            \
	X(PORT_DOWN, "output port is not in the current configuration or not started")             \
	X(TX_FULL, "output queue full: the device did not take the packet")                        \
	X(MBUF_EXHAUSTED, "no mbuf left to copy a flooded packet")                                 \
	X(FLOOD_COPY_LIMIT, "flood copies beyond the per-walk limit (4096): broadcast storm control") \
	/* parse */                                                                                \
	X(HDR_SEGMENTED, "headers do not fit in the first buffer segment")                         \
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
	X(ND_TRUNCATED, "neighbour discovery message shorter than its target address")             \
	/* vswitch */                                                                              \
	X(PORT_NO_NETWORK, "input port is attached to no network")                                 \
	X(SPOOF_MAC, "source MAC is not the port's MAC (port security)")                           \
	X(SPOOF_IP, "source IP is not one of the port's IPs (port security)")                      \
	X(SPOOF_ARP, "ARP sender is not the port's MAC and IP (port security)")                    \
	X(SPOOF_ND, "neighbour advertisement target or link-layer address not the port's")         \
	X(SRC_MAC_BAD, "source MAC is multicast or zero")                                          \
	X(L2_HAIRPIN, "destination MAC is behind the input port")                                  \
	X(L2_FLOOD_NO_PORTS, "flooded frame has no other port in its network")                     \
	X(MTU_EXCEEDED, "frame larger than the network MTU")                                     \
	X(L2_TUNNEL_HAIRPIN, "frame from a VTEP addressed to a MAC behind a VTEP (split horizon)") \
	/* overlay */                                                                              \
	X(UNDERLAY_NOT_OURS, "underlay frame for another Ethernet address")                        \
	X(UNDERLAY_NOT_FOR_US, "underlay IPv4 packet for another address than our VTEP")           \
	X(UNDERLAY_NOT_VXLAN, "underlay packet to our VTEP that is not VXLAN, ARP or ICMP echo")   \
	X(UNDERLAY_ARP_IGNORED, "underlay ARP that is not about our VTEP address")                  \
	X(VXLAN_TRUNCATED, "VXLAN header or inner Ethernet header missing")                        \
	X(VXLAN_BAD_HDR, "VXLAN I flag clear or reserved bits set")                                \
	X(VXLAN_VNI_UNKNOWN, "VXLAN VNI of no network on this host")                               \
	X(VXLAN_VTEP_UNKNOWN, "VXLAN from a source VTEP the rules do not know for that VNI")       \
	X(NEIGH_UNRESOLVED, "next hop to the VTEP not resolved yet (ARP request sent)")            \
	X(NEIGH_NO_ROUTE, "VTEP outside the underlay prefix and no gateway configured")

enum dp_drop_reason {
#define X(name, desc) DROP_##name,
	DP_DROP_REASONS(X)
#undef X
	DROP__COUNT
};

extern const char *const dp_drop_names[DROP__COUNT]; // "l2_hairpin", ...
extern const char *const dp_drop_descs[DROP__COUNT];

// Any thread. The reason whose name is `name`, or -1.
int dp_drop_reason_parse(const char *name);

#define DP_EDGE_DROP 0 // edge 0 of every node leads to the "pkt_drop" node
#define DP_DROP_NODE "pkt_drop"
#define DP_CONSUME_NODE "pkt_consume" // packets for vnetd itself, handled: not drops
