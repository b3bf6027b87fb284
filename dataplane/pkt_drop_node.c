// SPDX-License-Identifier: BSD-3-Clause
// pkt_drop: where every dropped packet ends (edge 0 of every node). Counts it per input port and
// per reason (meta->drop_reason, set by dp_drop()), writes the terminal trace record, frees it.
// Synthetic (dry-run) packets are recorded but not counted. The start of some goes to the recent
// drops (drop_ring.h, rate-limited). A burst node: it frees in bulk.

#include <rte_graph_worker.h>
#include <rte_mbuf.h>

#include "dataplane/drop_ring.h"
#include "dataplane/graph.h"

static uint16_t pkt_drop_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				 uint16_t n) {
	struct dp_lcore *lc = dp_lcore_get();

	RTE_SET_USED(graph);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];
		struct pkt_meta *meta = pkt_meta(m);
		uint16_t port = meta->in_port < DP_PORTS_MAX ? meta->in_port : 0;
		uint16_t reason = meta->drop_reason < DROP__COUNT ? meta->drop_reason : DROP_NONE;

		if (unlikely(meta->flags & (PKT_F_TRACED | PKT_F_DRY_RUN))) {
			trace_add(lc, m, node->id, RTE_EDGE_ID_INVALID, TRACE_F_TERMINAL);
			if (meta->flags & PKT_F_DRY_RUN)
				continue;
		}
		lc->counters.drops[port][reason]++;
		lc->counters.port[port].drops++;
		drop_ring_maybe(lc, lc->drop_ring, m, reason);
	}
	rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
	return n;
}

static struct rte_node_register pkt_drop_node = {
	.name = DP_DROP_NODE,
	.process = pkt_drop_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(pkt_drop_node);
