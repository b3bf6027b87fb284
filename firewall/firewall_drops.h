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
	X(CT_FULL, "this worker's conntrack table is full (conntrack.entries)")
