// SPDX-License-Identifier: BSD-3-Clause
// vswitch/vswitch_drops.h — why the L2 switch drops packets. Composed with every folder's list
// into one numbering by the build (dataplane/drop.h); named in counters, traces and
// docs/drop-reasons.md.
#pragma once

#define VSWITCH_DROP_REASONS(X)                                                                    \
	/* vswitch */                                                                              \
	X(PORT_NO_NETWORK, "input port is attached to no network")                                 \
	X(SPOOF_MAC, "source MAC is not the port's MAC (port security)")                           \
	X(SPOOF_IP, "source IP is not one of the port's IPs (port security)")                      \
	X(SPOOF_ARP, "ARP sender is not the port's MAC and IP (port security)")                    \
	X(SPOOF_ND, "neighbour advertisement target or link-layer address not the port's")         \
	X(SRC_MAC_BAD, "source MAC is multicast or zero")                                          \
	X(L2_HAIRPIN, "destination MAC is behind the input port")                                  \
	X(L2_FLOOD_NO_PORTS, "flooded frame has no other port in its network")                     \
	X(MTU_EXCEEDED, "frame larger than the network MTU")                                       \
	X(L2_TUNNEL_HAIRPIN, "frame from a VTEP addressed to a MAC behind a VTEP (split horizon)")   \
	X(L3_LOOP, "routed frame addressed to the router MAC again (routing loop)")                \
	X(DHCP_MALFORMED, "DHCP client message malformed (BOOTP header, magic, type, chaddr)")
