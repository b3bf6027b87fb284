// SPDX-License-Identifier: BSD-3-Clause
// port_rx: the source node of every worker graph. Polls the RX queues that the current snapshot
// gives this worker (vNICs, system ports such as the underlay) and the worker's injection ring
// (synthetic trace packets, frames the control thread sends), resets the metadata and hands vNIC
// packets to parse, a system port's to its own edge. A burst node: it fills the next node's
// stream directly rather than deciding packet by packet.
//
// Fair polling (docs/design-decisions.md, "Fair polling"): the sources are served deficit round
// robin within one budget of PORT_RX_BUDGET packets per walk. Each source's turn gives it up to
// PORT_RX_QUANTUM packets, one turn per walk at most; a source that has fewer ends its turn (its
// deficit is forgotten, as DRR does for an empty queue); a turn cut short by the budget resumes at
// the next walk, which starts where this one stopped. System ports and the injection ring are
// sources like the others, inside the budget: with 16 busy vNICs on a worker, the underlay and a
// trace still get their turn.

#include <rte_ethdev.h>
#include <rte_graph_worker.h>

#include <errno.h>

#include "dataplane/config.h"
#include "dataplane/graph.h"
#include "dataplane/live_trace.h"
#include "dataplane/worker.h"

enum port_rx_edge {
	PORT_RX_DROP = DP_EDGE_DROP,
	PORT_RX_PARSE, // vNICs
	PORT_RX_TX,    // frames the control thread sends (dp_ctl_tx)
	PORT_RX__COUNT // features add edges after these for their system ports
};

// Packets one walk takes from all sources together: the parse stream's size, and the bound of
// every node's input per walk (with DP_COPIES_PER_WALK for flood copies).
#define PORT_RX_BUDGET RTE_GRAPH_BURST_SIZE
// Packets one source may take in one turn. One turn per source per walk: a lone busy port walks
// the graph with 64 packets, whose mbufs and data stay in L1 (walks of 240 made every node 5-10 %
// slower per packet in bench/: l2 33.3 against 34.6 Mpps).
#define PORT_RX_QUANTUM 64
#define PORT_RX_ROUNDS_MAX 1
static_assert(PORT_RX_QUANTUM <= PORT_RX_BUDGET, "a turn fits a walk");

// Packets from the control thread, at most `want` (<= PORT_RX_QUANTUM): synthetic trace packets
// (appended to the parse stream at pkts[count..]) and frames to send as they are (straight to
// port_tx). Adds to *count; returns how many it took from the ring.
static uint16_t port_rx_injected(struct rte_graph *graph, struct rte_node *node,
				 struct dp_lcore *lc, struct rte_mbuf **pkts, uint16_t *count,
				 uint16_t want) {
	struct rte_mbuf *in[PORT_RX_QUANTUM]; // bound: want <= PORT_RX_QUANTUM
	uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(lc->inject, (void **)in,
							  RTE_MIN(want, PORT_RX_QUANTUM), NULL);

	// Metadata was set by the control thread (in_port, out_port, flags, trace id).
	for (uint16_t i = 0; i < n; i++) {
		const struct dp_port *p = dp_config_port_get(lc->cfg, pkt_meta(in[i])->in_port);
		if (pkt_meta(in[i])->flags & PKT_F_CTL_INJECT) {
			struct pkt_meta *meta = pkt_meta(in[i]);
			if (meta->in_port < DP_PORTS_MAX && !(meta->flags & PKT_F_DRY_RUN))
				lc->counters.port[meta->in_port].injected++;
			meta->flags &= (uint16_t)~PKT_F_CTL_INJECT;
			trace_add(lc, in[i], node->id, meta->inject_edge, 0);
			rte_node_enqueue_x1(graph, node, meta->inject_edge, in[i]);
			continue;
		}
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
		pkts[(*count)++] = in[i];
	}
	return n;
}

// Up to `want` packets (<= PORT_RX_QUANTUM) from a system port (the underlay), to its own edge.
static uint16_t port_rx_system(struct rte_graph *graph, struct rte_node *node, uint16_t port_id,
			       uint16_t queue, rte_edge_t edge, struct dp_port_counters *pc,
			       uint16_t want) {
	struct rte_mbuf *pkts[PORT_RX_QUANTUM]; // bound: want <= PORT_RX_QUANTUM
	uint16_t n = dp_port_rx(port_id, queue, pkts, RTE_MIN(want, PORT_RX_QUANTUM));

	for (uint16_t j = 0; j < n; j++) {
		pkt_meta_reset(pkt_meta(pkts[j]), port_id);
		pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
	}
	pc->rx_pkts += n;
	live_trace_rx(dp_lcore_get(), node->id, (uint8_t)edge, port_id, pkts, n);
	if (n > 0)
		rte_node_enqueue(graph, node, edge, (void **)pkts, n);
	return n;
}

// Up to `want` packets from source `i` of this worker (its rx_port[i], or the injection ring for
// i == n_rx). vNIC packets go to pkts[*count..].
static inline uint16_t port_rx_source(struct rte_graph *graph, struct rte_node *node,
				      struct dp_lcore *lc, uint16_t i, struct rte_mbuf **pkts,
				      uint16_t *count, uint16_t want) {
	const struct dp_config *cfg = lc->cfg;
	uint16_t port_id, queue, n;
	struct dp_port_counters *pc;
	uint8_t edge;

	if (i == cfg->workers[lc->worker].n_rx)
		return rte_ring_count(lc->inject) == 0
			       ? 0 : port_rx_injected(graph, node, lc, pkts, count, want);
	port_id = cfg->workers[lc->worker].rx_port[i];
	queue = cfg->workers[lc->worker].rx_queue[i];
	edge = cfg->workers[lc->worker].rx_edge[i];
	pc = &lc->counters.port[port_id];
	if (unlikely(edge != 0))
		return port_rx_system(graph, node, port_id, queue, edge, pc, want);
	n = dp_port_rx(port_id, queue, &pkts[*count], want);
	for (uint16_t j = *count; j < *count + n; j++) {
		pkt_meta_reset(pkt_meta(pkts[j]), port_id);
		pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
	}
	pc->rx_pkts += n;
	live_trace_rx(lc, node->id, PORT_RX_PARSE, port_id, &pkts[*count], n); // one test unarmed
	*count += n;
	return n;
}

static uint16_t port_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t n_objs) {
	struct dp_lcore *lc = dp_lcore_get();
	const struct dp_config *cfg = lc->cfg;
	struct dp_rx_sched *rs = &lc->rx_sched;
	uint16_t count = 0, room = PORT_RX_BUDGET, n_src, i, rounds = 0, idle = 0;
	struct rte_mbuf **pkts;

	RTE_SET_USED(objs);
	RTE_SET_USED(n_objs);
	if (unlikely(cfg == NULL))
		return 0;
	n_src = cfg->workers[lc->worker].n_rx + 1; // the ports, then the injection ring
	pkts = (struct rte_mbuf **)rte_node_next_stream_get(graph, node, PORT_RX_PARSE,
							     PORT_RX_BUDGET);
	i = rs->next < n_src ? rs->next : 0;
	// Until the budget is spent, every source found idle in a row, or the rounds are done.
	while (room > 0 && idle < n_src) {
		uint16_t want, got;

		if (rs->deficit[i] == 0) // a new turn
			rs->deficit[i] = PORT_RX_QUANTUM;
		want = RTE_MIN(rs->deficit[i], room);
		got = port_rx_source(graph, node, lc, i, pkts, &count, want);
		room -= got;
		rs->deficit[i] -= got;
		idle = got == 0 ? idle + 1 : 0;
		if (got < want)
			rs->deficit[i] = 0; // empty: the turn ends and its deficit is forgotten
		else if (rs->deficit[i] > 0)
			break; // the budget cut the turn: it resumes here at the next walk
		if (++i == n_src) {
			i = 0;
			if (++rounds == PORT_RX_ROUNDS_MAX)
				break;
		}
	}
	rs->next = i;
	lc->counters.rx_total += PORT_RX_BUDGET - room;
	if (count > 0)
		rte_node_next_stream_put(graph, node, PORT_RX_PARSE, count);
	return PORT_RX_BUDGET - room;
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

int dp_ctl_inject(struct rte_mbuf *m, uint8_t edge) {
	const struct dp_config *cfg = dp_config_current();
	struct pkt_meta *meta = pkt_meta(m);
	const struct dp_port *p = cfg ? dp_config_port_get(cfg, meta->in_port) : NULL;
	struct dp_lcore *lc = p ? dp_worker_get(p->worker) : NULL;

	if (lc == NULL || edge == 0) {
		rte_pktmbuf_free(m);
		return -ENODEV;
	}
	meta->flags |= PKT_F_CTL_INJECT;
	meta->inject_edge = edge;
	if (rte_ring_sp_enqueue(lc->inject, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
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
