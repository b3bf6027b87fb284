// SPDX-License-Identifier: BSD-3-Clause
// overlay/overlay_drops.h — why the VXLAN overlay drops packets. Composed with every folder's
// list into one numbering by the build (dataplane/drop.h); named in counters, traces and
// docs/drop-reasons.md.
#pragma once

#define OVERLAY_DROP_REASONS(X)                                                                    \
	/* overlay */                                                                              \
	X(UNDERLAY_NOT_OURS, "underlay frame for another Ethernet address")                        \
	X(UNDERLAY_NOT_FOR_US, "underlay IPv4 packet for another address than our VTEP")           \
	X(UNDERLAY_NOT_VXLAN, "underlay packet to our VTEP that is not VXLAN, ARP or ICMP echo")   \
	X(UNDERLAY_ARP_IGNORED, "underlay ARP that is not about our VTEP address")                 \
	X(VXLAN_TRUNCATED, "VXLAN header or inner Ethernet header missing")                        \
	X(VXLAN_BAD_HDR, "VXLAN I flag clear or reserved bits set")                                \
	X(VXLAN_VNI_UNKNOWN, "VXLAN VNI of no network on this host")                               \
	X(VXLAN_VTEP_UNKNOWN, "VXLAN from a source VTEP the rules do not know for that VNI")       \
	X(NEIGH_UNRESOLVED, "next hop to the VTEP not resolved yet (ARP request sent)")            \
	X(NEIGH_NO_ROUTE, "VTEP outside the underlay prefix and no gateway configured")
