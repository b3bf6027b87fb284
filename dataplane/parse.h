// SPDX-License-Identifier: BSD-3-Clause
// Header parsing and validation: Ethernet (one 802.1Q tag), ARP, IPv4, IPv6 and its extension
// chain, TCP, UDP, ICMP, ICMPv6. The parse node runs it on every packet after port_rx; every later
// node trusts the offsets it leaves in pkt_meta.
#pragma once

#include <stdbool.h>
#include <stdint.h>

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

// Bytes of headers that pkt_pullup() gathers into the first segment at most: Ethernet with a tag,
// IPv6 with a few extension headers, TCP with options.
#define PKT_PULLUP_MAX 512

// Data path. Move bytes from the following segments into the first one (within its tailroom)
// until it holds min(want, pkt_len) bytes; segments left empty are freed. A frame whose first
// buffer is shared (a clone, refcnt > 1) or external is left as it is. Returns whether the first
// segment grew. For frames whose headers straddle segments (a guest's mergeable buffers, a
// device's scatter): the parse node pulls up and parses again instead of dropping.
bool pkt_pullup(struct rte_mbuf *m, uint32_t want);
