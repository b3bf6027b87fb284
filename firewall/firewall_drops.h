// SPDX-License-Identifier: BSD-3-Clause
// firewall/firewall_drops.h — why the firewall drops packets. Composed with every folder's list
// into one numbering by the build (dataplane/drop.h); named in counters, traces and
// docs/drop-reasons.md.
#pragma once

#define FIREWALL_DROP_REASONS(X)                                                                   \
	/* firewall */                                                                             \
	X(SG_DENIED, "no rule of the port's security groups allows the connection (or the port "  \
	  "has port security and no group)")                                                      \
	X(CT_INVALID, "packet outside its connection's TCP state machine (an out-of-window RST, a " \
	  "SYN-ACK to no SYN, a RST or SYN on no connection...)")                                  \
	X(CT_TENANT_LIMIT, "the tenant has its conntrack.tenant_max connections: no new one")      \
	X(CT_FULL, "this worker's conntrack table is full (conntrack.entries)")                    \
	X(L7_DENIED, "no rule with an l7 match allows the connection's first request (HTTP, TLS "  \
	  "SNI) or this DNS query, or it is no such request: the connection is reset, the query " \
	  "refused")                                                                               \
	X(L7_HOLD_OVERFLOW, "a request under L7 inspection needs more segments than are held for " \
	  "one connection (16), or every hold slot of the worker is in use (64)")                  \
	X(L7_HOLD_TIMEOUT, "segments held for L7 inspection waited 1 s for the rest of the "       \
	  "request: the connection is reset")                                                      \
	X(L7_OUT_OF_ORDER, "a segment of a connection under L7 inspection that is not its next "   \
	  "bytes (a retransmission, a gap): inspection takes bytes in order only")                 \
	X(L7_BAD_CHECKSUM, "a segment under L7 inspection with a wrong TCP checksum")               \
	X(L7_UNINSPECTED, "payload of a connection only an l7 rule may allow that cannot be "      \
	  "inspected: the responder spoke first, or the connection was picked up mid-stream")
