// SPDX-License-Identifier: BSD-3-Clause
// vrouter/vrouter_drops.h — why routing drops packets. Composed with every folder's list into one
// numbering by the build (dataplane/drop.h); named in counters, traces and docs/drop-reasons.md.
#pragma once

#define VROUTER_DROP_REASONS(X)                                                                    \
	/* vrouter */                                                                              \
	X(L3_NO_ROUTER, "frame for a router MAC in a network without a router")                    \
	X(L3_NOT_IP, "frame for the router MAC is neither IPv4 nor IPv6")                          \
	X(NO_ROUTE, "no route to the destination in the router's VRF")                             \
	X(ROUTE_BLACKHOLE, "the route that matched is a blackhole route")                          \
	X(NEXTHOP_UNREACHABLE, "the route's next hop is in none of the router's subnets")          \
	X(NEIGHBOUR_UNRESOLVED, "next hop did not answer ARP / neighbour solicitation (or more "   \
	  "packets waited for it than are held)")                                                 \
	X(NEIGHBOUR_HOLD_FULL, "next hop unknown and no room to hold the packet while vnetd asks")  \
	X(TTL_EXCEEDED, "IPv4 TTL or IPv6 hop limit would reach 0")                                \
	X(FRAG_NEEDED, "packet larger than the egress network's MTU")                              \
	X(L3_TO_ROUTER, "packet for a router address that is not an echo request")                 \
	X(ICMP_RATELIMITED, "ICMP error not sent: over the per-host or per-source rate limit")
