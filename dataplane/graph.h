// SPDX-License-Identifier: BSD-3-Clause
// How a node is written. A node's logic is `<node>_decide(lc, m)`: one packet in, one edge out.
// DP_NODE_DEFINE registers it with rte_graph; dp_node_run is the one shared loop that traces and
// enqueues. Edge 0 of every node is the pkt_drop node: return dp_drop(m, DROP_X) to take it.
#pragma once

#include <rte_graph.h>
#include <rte_graph_worker.h>

#include "dataplane/drop.h"
#include "dataplane/lcore.h"
#include "dataplane/pkt.h"
#include "dataplane/port.h"
#include "dataplane/trace.h"

typedef rte_edge_t (*dp_decide_fn)(struct dp_lcore *lc, struct rte_mbuf *m);

// Data path. Record why `m` dies and return the drop edge.
static inline rte_edge_t dp_drop(struct rte_mbuf *m, enum dp_drop_reason reason) {
	pkt_meta(m)->drop_reason = (uint16_t)reason;
	return DP_EDGE_DROP;
}

// Data path. Run `decide` on each packet of the burst, trace, and enqueue. While every packet so
// far takes the same edge nothing is copied: if the whole burst does, the burst moves to the next
// node in one step (rte_node_next_stream_move); at the first packet that differs, the ones
// before it are enqueued together and the rest one by one.
static __rte_always_inline uint16_t dp_node_run(struct rte_graph *graph, struct rte_node *node,
						void **objs, uint16_t n, dp_decide_fn decide) {
	struct dp_lcore *lc = dp_lcore_get();
	rte_edge_t last = 0;
	uint32_t held = 0; // objs[0..held) all take `last` and are not enqueued yet

	// n is the node's stream: any size rte_graph allows (below 65535), not only one burst.

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];
		rte_edge_t edge;

		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod((struct rte_mbuf *)objs[i + 2], void *));
		edge = decide(lc, m);
		if (unlikely(pkt_meta(m)->flags & PKT_F_TRACED))
			trace_add(lc, m, node->id, edge, 0);
		if (likely(held == i && (i == 0 || edge == last))) {
			last = edge;
			held++;
			continue;
		}
		if (held == i && held > 0)
			rte_node_enqueue(graph, node, last, objs, (uint16_t)held);
		held = UINT32_MAX; // diverged: one by one from here
		rte_node_enqueue_x1(graph, node, edge, m);
	}
	if (held == n && n > 0)
		rte_node_next_stream_move(graph, node, last);
	return n;
}

// Define and register node `name` whose logic is `decide`, with `n_edges` edges; edge 0 is drop,
// the others are given as designated initialisers: [MY_EDGE] = "next_node".
#define DP_NODE_DEFINE(node_name, decide, n_edges, ...)                                                 \
	static uint16_t node_name##_process(struct rte_graph *graph, struct rte_node *node,             \
				       void **objs, uint16_t n) {                                  \
		return dp_node_run(graph, node, objs, n, decide);                                  \
	}                                                                                          \
	static struct rte_node_register node_name##_node = {                                            \
		.name = #node_name,                                                                     \
		.process = node_name##_process,                                                         \
		.nb_edges = (n_edges),                                                             \
		.next_nodes = { [DP_EDGE_DROP] = DP_DROP_NODE, __VA_ARGS__ },                      \
	};                                                                                         \
	RTE_NODE_REGISTER(node_name##_node)

// Data path. A copy of `m` (data and metadata, marked PKT_F_FLOODED) for one more target of a
// flood made by node `node_id`, or NULL when it cannot be made: the walk's DP_COPIES_PER_WALK
// are spent (DROP_FLOOD_COPY_LIMIT) or the pool is empty (DROP_MBUF_EXHAUSTED). Either way the
// copy is counted on the input port (`copies`, and a drop with its reason when it failed), and
// a traced packet gets a terminal record for the copy that was not made, so that traces still
// close.
static inline struct rte_mbuf *dp_pkt_copy(struct dp_lcore *lc, rte_node_t node_id,
					   struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	enum dp_drop_reason reason = DROP_FLOOD_COPY_LIMIT;
	struct rte_mbuf *c = NULL;
	uint16_t in = meta->in_port < RTE_MAX_ETHPORTS ? meta->in_port : 0;

	if (likely(lc->copies_walk < DP_COPIES_PER_WALK)) {
		lc->copies_walk++;
		reason = DROP_MBUF_EXHAUSTED;
		c = rte_pktmbuf_copy(m, dp_pktmbuf_pool(), 0, UINT32_MAX);
	}
	if (likely(c != NULL)) {
		*pkt_meta(c) = *meta;
		pkt_meta(c)->flags |= PKT_F_FLOODED;
		pkt_meta(c)->n_flood = 0;
		pkt_meta(c)->trace_n_aux = 0;
	} else if (unlikely(meta->flags & PKT_F_TRACED)) {
		trace_add_lost(lc, m, node_id, reason);
	}
	if (meta->flags & PKT_F_DRY_RUN)
		return c;
	lc->counters.port[in].copies++;
	if (unlikely(c == NULL)) {
		lc->counters.port[in].drops++;
		lc->counters.drops[in][reason]++;
	}
	return c;
}
