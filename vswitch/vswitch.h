// SPDX-License-Identifier: BSD-3-Clause
// vswitch control side: learn events from workers, aging, and the show methods.
#pragma once

#include "dataplane/lcore.h"
#include "vswitch/bridge.h"

extern uint16_t vswitch_learn_event;

// Data path. Ask the control thread to learn `key` behind `port_id` (and remote VTEP `vtep`, or
// 0 for a local MAC).
static inline void vswitch_learn_post(struct dp_lcore *lc, const struct bridge_mac_key *key,
				      uint16_t port_id, rte_be32_t vtep) {
	struct dp_event ev = {.type = vswitch_learn_event, .port_id = port_id,
			      .bd_id = key->bd_id};

	memcpy(ev.data, &key->mac, sizeof(key->mac));
	memcpy(ev.data + 8, &vtep, sizeof(vtep));
	dp_event_post(lc, &ev);
}

// Any thread. A router advertisement of network `b` (which has a router) to `dst_mac` / `dst_ip`,
// written into m (one segment, from its start). 0, or -1 when m has no room (dhcp_ra_node.c).
struct bridge;
int vswitch_ra_frame(const struct bridge *b, struct rte_mbuf *m,
		     const struct rte_ether_addr *dst_mac, const uint8_t dst_ip[16]);
