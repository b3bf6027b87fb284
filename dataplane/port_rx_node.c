// SPDX-License-Identifier: BSD-3-Clause
// port_rx: the source node of every worker graph. Polls RX queue 0 of each port that the current
// snapshot gives this worker, and the worker's injection ring (synthetic trace packets), resets
// the metadata and hands the burst to parse. A burst node: it fills the next node's stream
// directly rather than deciding packet by packet.

#include <rte_ethdev.h>
#include <rte_graph_worker.h>

#include "dataplane/config.h"
#include "dataplane/graph.h"

enum port_rx_edge {
	PORT_RX_DROP = DP_EDGE_DROP,
	PORT_RX_PARSE,
	PORT_RX__COUNT
};

#define PORT_RX_PER_PORT 64 // packets per port per walk: amortizes per-burst costs

static uint16_t port_rx_injected(struct dp_lcore *lc, rte_node_t node_id, struct rte_mbuf **pkts,
				 uint16_t room) {
	uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(lc->inject, (void **)pkts, room, NULL);

	// Metadata was set by the control thread (in_port, flags, trace id).
	for (uint16_t i = 0; i < n; i++)
		trace_add(lc, pkts[i], node_id, PORT_RX_PARSE, 0);
	return n;
}

static uint16_t port_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t n_objs) {
	struct dp_lcore *lc = dp_lcore_get();
	const struct dp_config *cfg = lc->cfg;
	struct rte_mbuf **pkts;
	uint16_t count = 0;

	if (unlikely(cfg == NULL))
		return 0;
	pkts = (struct rte_mbuf **)rte_node_next_stream_get(graph, node, PORT_RX_PARSE,
							     RTE_GRAPH_BURST_SIZE);
	for (uint16_t i = 0; i < cfg->workers[lc->worker].n_rx; i++) {
		uint16_t port_id = cfg->workers[lc->worker].rx_port[i];
		uint16_t room = RTE_MIN(RTE_GRAPH_BURST_SIZE - count, PORT_RX_PER_PORT);
		struct dp_port_counters *pc = &lc->counters.port[port_id];
		uint16_t n;

		if (room == 0)
			break;
		n = rte_eth_rx_burst(port_id, 0, &pkts[count], room);
		for (uint16_t j = count; j < count + n; j++) {
			pkt_meta_reset(pkt_meta(pkts[j]), port_id);
			pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
		}
		pc->rx_pkts += n;
		count += n;
	}
	if (unlikely(rte_ring_count(lc->inject) > 0) && count < RTE_GRAPH_BURST_SIZE)
		count += port_rx_injected(lc, node->id, &pkts[count], RTE_GRAPH_BURST_SIZE - count);
	lc->counters.rx_total += count;
	if (count > 0)
		rte_node_next_stream_put(graph, node, PORT_RX_PARSE, count);
	return count;
}

static struct rte_node_register port_rx_node = {
	.name = "port_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = port_rx_process,
	.nb_edges = PORT_RX__COUNT,
	.next_nodes = {
		[PORT_RX_DROP] = DP_DROP_NODE,
		[PORT_RX_PARSE] = "parse",
	},
};
RTE_NODE_REGISTER(port_rx_node);
