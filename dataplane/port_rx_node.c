// SPDX-License-Identifier: BSD-3-Clause
// port_rx: the source node of every worker graph. Polls RX queue 0 of each port that the current
// snapshot gives this worker, and the worker's injection ring (synthetic trace packets), resets
// the metadata and hands the burst to parse. A burst node: it fills the next node's stream
// directly rather than deciding packet by packet.

#include <rte_ethdev.h>
#include <rte_graph_worker.h>

#include <errno.h>

#include "dataplane/config.h"
#include "dataplane/graph.h"
#include "dataplane/worker.h"

enum port_rx_edge {
	PORT_RX_DROP = DP_EDGE_DROP,
	PORT_RX_PARSE, // vNICs
	PORT_RX_TX,    // frames the control thread sends (dp_ctl_tx)
	PORT_RX__COUNT // features add edges after these for their system ports
};

#define PORT_RX_PER_PORT 64 // packets per port per walk: amortizes per-burst costs

// Packets from the control thread: synthetic trace packets (appended to the parse stream at
// pkts[count..]) and frames to send as they are (straight to port_tx). Returns the new count.
static uint16_t port_rx_injected(struct rte_graph *graph, struct rte_node *node,
				 struct dp_lcore *lc, struct rte_mbuf **pkts, uint16_t count) {
	struct rte_mbuf *in[32]; // bound: the dequeue below asks for at most 32
	uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(
		lc->inject, (void **)in, RTE_MIN(32, RTE_GRAPH_BURST_SIZE - count), NULL);

	// Metadata was set by the control thread (in_port, out_port, flags, trace id).
	for (uint16_t i = 0; i < n; i++) {
		const struct dp_port *p = dp_config_port_get(lc->cfg, pkt_meta(in[i])->in_port);
		if (pkt_meta(in[i])->flags & PKT_F_CTL_TX) {
			if (pkt_meta(in[i])->in_port < DP_PORTS_MAX)
				lc->counters.port[pkt_meta(in[i])->in_port].injected++;
			rte_node_enqueue_x1(graph, node, PORT_RX_TX, in[i]);
			continue;
		}
		if (p != NULL && p->rx_edge != 0) { // a system port's packet takes its own edge
			trace_add(lc, in[i], node->id, p->rx_edge, 0);
			rte_node_enqueue_x1(graph, node, p->rx_edge, in[i]);
			continue;
		}
		trace_add(lc, in[i], node->id, PORT_RX_PARSE, 0);
		pkts[count++] = in[i];
	}
	return count;
}

// A burst from a system port (the underlay) goes to its own edge, not to parse.
static uint16_t port_rx_system(struct rte_graph *graph, struct rte_node *node, uint16_t port_id,
			       rte_edge_t edge, struct dp_port_counters *pc) {
	struct rte_mbuf *pkts[PORT_RX_PER_PORT];
	uint16_t n = dp_port_rx(port_id, 0, pkts, PORT_RX_PER_PORT);

	for (uint16_t j = 0; j < n; j++) {
		pkt_meta_reset(pkt_meta(pkts[j]), port_id);
		pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
	}
	pc->rx_pkts += n;
	if (n > 0)
		rte_node_enqueue(graph, node, edge, (void **)pkts, n);
	return n;
}

static uint16_t port_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t n_objs) {
	struct dp_lcore *lc = dp_lcore_get();
	const struct dp_config *cfg = lc->cfg;
	struct rte_mbuf **pkts;
	uint16_t count = 0, system = 0;

	if (unlikely(cfg == NULL))
		return 0;
	pkts = (struct rte_mbuf **)rte_node_next_stream_get(graph, node, PORT_RX_PARSE,
							     RTE_GRAPH_BURST_SIZE);
	for (uint16_t i = 0; i < cfg->workers[lc->worker].n_rx; i++) {
		uint16_t port_id = cfg->workers[lc->worker].rx_port[i];
		uint16_t room = RTE_MIN(RTE_GRAPH_BURST_SIZE - count, PORT_RX_PER_PORT);
		struct dp_port_counters *pc = &lc->counters.port[port_id];
		uint8_t edge = cfg->workers[lc->worker].rx_edge[i];
		uint16_t n;

		if (unlikely(edge != 0)) {
			system += port_rx_system(graph, node, port_id, edge, pc);
			continue;
		}
		if (room == 0)
			break;
		n = dp_port_rx(port_id, 0, &pkts[count], room);
		for (uint16_t j = count; j < count + n; j++) {
			pkt_meta_reset(pkt_meta(pkts[j]), port_id);
			pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
		}
		pc->rx_pkts += n;
		count += n;
	}
	if (unlikely(rte_ring_count(lc->inject) > 0) && count < RTE_GRAPH_BURST_SIZE)
		count = port_rx_injected(graph, node, lc, pkts, count);
	lc->counters.rx_total += count + system;
	if (count > 0)
		rte_node_next_stream_put(graph, node, PORT_RX_PARSE, count);
	return count + system;
}

static struct rte_node_register port_rx_node = {
	.name = "port_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = port_rx_process,
	.nb_edges = PORT_RX__COUNT,
	.next_nodes = {
		[PORT_RX_DROP] = DP_DROP_NODE,
		[PORT_RX_PARSE] = "parse",
		[PORT_RX_TX] = "port_tx",
	},
};
RTE_NODE_REGISTER(port_rx_node);

int dp_port_rx_edge_add(const char *node_name) {
	rte_edge_t n;

	if (rte_node_edge_update(port_rx_node.id, RTE_EDGE_ID_INVALID, &node_name, 1) == 0)
		return -EINVAL;
	n = rte_node_edge_count(port_rx_node.id); // the new edge is the last one
	if (n == RTE_EDGE_ID_INVALID || n > UINT8_MAX)
		return -EINVAL;
	return (int)n - 1;
}

int dp_ctl_tx(uint16_t port_id, struct rte_mbuf *m) {
	const struct dp_config *cfg = dp_config_current();
	const struct dp_port *p = cfg ? dp_config_port_get(cfg, port_id) : NULL;
	struct dp_lcore *lc = p ? dp_worker_get(p->worker) : NULL;

	if (lc == NULL) { // no such port, or no worker running (in-process tests and fuzzers)
		rte_pktmbuf_free(m);
		return -ENODEV;
	}
	pkt_meta_reset(pkt_meta(m), port_id);
	pkt_meta(m)->out_port = port_id;
	pkt_meta(m)->flags = PKT_F_CTL_TX;
	if (rte_ring_sp_enqueue(lc->inject, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}
