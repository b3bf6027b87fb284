// SPDX-License-Identifier: BSD-3-Clause
// l2_lookup: learn the source MAC (by posting an event to the control thread, which owns the
// learned table) and choose where the frame goes inside its network: the port behind a static or
// learned MAC, or flooding for broadcast, multicast and unknown unicast. After port_security;
// leads to port_tx or l2_flood.

#include <rte_ether.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"
#include "vswitch/fdb.h"
#include "vswitch/vswitch.h"

enum l2_lookup_edge {
	L2_LOOKUP_DROP = DP_EDGE_DROP,
	L2_LOOKUP_OUTPUT,
	L2_LOOKUP_FLOOD,
	L2_LOOKUP__COUNT
};

enum l2_lookup_how { L2_HOW_FLOOD_BUM, L2_HOW_STATIC, L2_HOW_LEARNED, L2_HOW_FLOOD_UNKNOWN };

// Learning commits state, so a dry-run packet never learns. A port with port security sends
// only from its own MAC, which is static: nothing to learn.
static void l2_learn(struct dp_lcore *lc, const struct bridge *b, const struct bridge_port *p,
		     const struct rte_ether_hdr *eth, const struct pkt_meta *meta) {
	struct bridge_mac_key key = {.bd_id = b->bd_id, .mac = eth->src_addr};
	int32_t pos;
	int port;

	if (p->port_security || !b->mac_learning || (meta->flags & PKT_F_DRY_RUN) ||
	    rte_is_same_ether_addr(&eth->src_addr, &p->mac))
		return;
	port = fdb_lookup(&key, &pos);
	if (likely(port == meta->in_port)) {
		if (fdb_seen[pos] != lc->now_sec)
			__atomic_store_n(&fdb_seen[pos], lc->now_sec, __ATOMIC_RELAXED);
		return;
	}
	vswitch_learn_post(lc, &key, meta->in_port);
}

static rte_edge_t l2_lookup_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	const struct bridge *b = bridge_lookup(bc, meta->bd_id);
	const struct bridge_port *dst;
	struct bridge_mac_key key;
	int32_t pos;
	int port;

	l2_learn(lc, b, bridge_port_lookup(bc, meta->in_port), eth, meta);
	if (unlikely(!rte_is_unicast_ether_addr(&eth->dst_addr))) {
		pkt_trace_note(m, L2_HOW_FLOOD_BUM, 0);
		return L2_LOOKUP_FLOOD;
	}
	key = (struct bridge_mac_key){.bd_id = b->bd_id, .mac = eth->dst_addr};
	port = bridge_static_lookup(bc, &key);
	pkt_trace_note(m, L2_HOW_STATIC, 0);
	if (port < 0) {
		port = fdb_lookup(&key, &pos);
		pkt_trace_note(m, L2_HOW_LEARNED, 0);
		dst = port >= 0 ? bridge_port_lookup(bc, (uint16_t)port) : NULL;
		// A learned entry may outlive its port's move to another network by one flush.
		if (dst == NULL || dst->bd_id != b->bd_id) {
			pkt_trace_note(m, L2_HOW_FLOOD_UNKNOWN, 0);
			return L2_LOOKUP_FLOOD;
		}
	}
	if (unlikely(port == meta->in_port))
		return dp_drop(m, DROP_L2_HAIRPIN);
	meta->out_port = (uint16_t)port;
	return L2_LOOKUP_OUTPUT;
}

static void l2_lookup_format(const struct trace_record *r, char *buf, size_t size) {
	static const char *const how[] = {
		[L2_HOW_FLOOD_BUM] = "broadcast/multicast: flood",
		[L2_HOW_STATIC] = "destination MAC static",
		[L2_HOW_LEARNED] = "destination MAC learned",
		[L2_HOW_FLOOD_UNKNOWN] = "destination MAC unknown: flood",
	};
	snprintf(buf, size, "%s", r->aux[0] < RTE_DIM(how) ? how[r->aux[0]] : "?");
}
TRACE_FORMATTER(l2_lookup, l2_lookup_format)

DP_NODE_DEFINE(l2_lookup, l2_lookup_decide, L2_LOOKUP__COUNT,
	[L2_LOOKUP_OUTPUT] = "port_tx",
	[L2_LOOKUP_FLOOD] = "l2_flood");
