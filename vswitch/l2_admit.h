// SPDX-License-Identifier: BSD-3-Clause
// The checks every way into a network shares, once its bridge domain is chosen: port_security
// (frames from a vNIC) and tunnel_input (decapsulated frames) both call l2_admit(), then lead to
// the attach point `l2_input`.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/drop.h"
#include "dataplane/pkt.h"
#include "vswitch/bridge.h"

// Data path. Whether a frame may enter network `b`: no 802.1Q tag (networks are access networks),
// and an L3 packet (or, for a frame that is not IP, what follows the Ethernet header) within the
// network's MTU. DROP_NONE, or the reason.
static inline enum dp_drop_reason l2_admit(const struct bridge *b, struct rte_mbuf *m,
					   const struct pkt_meta *meta) {
	uint32_t l3_len = meta->l3 == PKT_L3_IP4 || meta->l3 == PKT_L3_IP6
				  ? meta->l3_len
				  : rte_pktmbuf_pkt_len(m) - meta->l3_off;

	if (unlikely(meta->flags & PKT_F_VLAN))
		return DROP_VLAN_TAGGED;
	if (unlikely(l3_len > b->mtu))
		return DROP_MTU_EXCEEDED;
	return DROP_NONE;
}
