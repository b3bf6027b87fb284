// SPDX-License-Identifier: BSD-3-Clause
// Header parsing and validation: Ethernet (one 802.1Q tag), ARP, IPv4, IPv6 and its extension
// chain, TCP, UDP, ICMP, ICMPv6. The parse node runs it on every packet after port_rx; every later
// node trusts the offsets it leaves in pkt_meta.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/drop.h"

// Data path. Check the headers of `m` and fill its metadata: l3, l3_off, l3_len, l4, l4_off,
// l4_proto, vlan_tci and the PKT_F_VLAN, PKT_F_IP_FRAG and PKT_F_IP_LATER_FRAG flags. Returns
// DROP_NONE, or the reason the packet must be dropped (the metadata is then partly filled).
// Reads only the first segment: a header that does not fit in it is DROP_HDR_SEGMENTED.
// Unknown ethertypes (l3 NONE) and unknown IP protocols (l4 NONE) are not errors. For an IP
// packet l4_proto is always set (for IPv6, the first header after the extension headers that
// are walked); l4_off is 0 for a later fragment and otherwise points after the IP headers.
enum dp_drop_reason pkt_parse(struct rte_mbuf *m);
