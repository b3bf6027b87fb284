// SPDX-License-Identifier: BSD-3-Clause
// pkt_consume: where packets end that vnetd itself was the destination of and has finished with
// (an ARP reply that taught the control thread a neighbour, for example). Not a drop: counted per
// input port as consumed, traced as a terminal record, freed. A burst node: it frees in bulk.

#include <rte_graph_worker.h>
#include <rte_mbuf.h>

#include "dataplane/graph.h"

static uint16_t pkt_consume_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t n) {
	struct dp_lcore *lc = dp_lcore_get();

	RTE_SET_USED(graph);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];
		struct pkt_meta *meta = pkt_meta(m);

		if (unlikely(meta->flags & PKT_F_TRACED))
			trace_add(lc, m, node->id, RTE_EDGE_ID_INVALID, TRACE_F_TERMINAL);
		if (!(meta->flags & PKT_F_DRY_RUN) && meta->in_port < DP_PORTS_MAX)
			lc->counters.port[meta->in_port].consumed++;
	}
	rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
	return n;
}

static struct rte_node_register pkt_consume_node = {
	.name = DP_CONSUME_NODE,
	.process = pkt_consume_process,
	.nb_edges = 0,
};
RTE_NODE_REGISTER(pkt_consume_node);
