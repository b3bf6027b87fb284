// SPDX-License-Identifier: BSD-3-Clause
// port_tx: the last node of the local path. Sends each packet on meta->out_port through this
// worker's TX queue, in runs of packets for the same port. What the device does not take, and
// packets for a port the snapshot no longer has, go to pkt_drop with their reason. Synthetic
// (dry-run) packets are recorded and freed, never sent. A burst node: it batches by port.

#include <rte_ethdev.h>
#include <rte_graph_worker.h>

#include "dataplane/config.h"
#include "dataplane/graph.h"
#include "dataplane/live_trace.h"

enum port_tx_edge {
	PORT_TX_DROP = DP_EDGE_DROP,
	PORT_TX__COUNT
};

// The counter index of the port `m` came in on (pkt_drop uses the same).
static inline uint16_t port_in(struct rte_mbuf *m) {
	uint16_t in = pkt_meta(m)->in_port;

	return in < DP_PORTS_MAX ? in : 0;
}

static void port_tx_run(struct rte_graph *graph, struct rte_node *node, struct dp_lcore *lc,
			struct rte_mbuf **pkts, uint16_t n, uint16_t port_id) {
	struct dp_port_counters *pc = &lc->counters.port[port_id];
	uint16_t sent;

	if (unlikely(dp_config_port_get(lc->cfg, port_id) == NULL)) {
		for (uint16_t i = 0; i < n; i++)
			pkt_meta(pkts[i])->drop_reason = DROP_PORT_DOWN;
		rte_node_enqueue(graph, node, PORT_TX_DROP, (void **)pkts, n);
		return;
	}
	uint64_t bytes = 0;

	// Count before the burst: once sent, a packet may already be freed by the PMD. `sent` is
	// counted on the port each packet came in on (struct dp_port_counters), one addition per run
	// of packets from the same port (a run is mostly the whole burst).
	uint16_t run_in = port_in(pkts[0]);
	uint32_t run = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint16_t in = port_in(pkts[i]);

		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		if (unlikely(in != run_in)) {
			lc->counters.port[run_in].sent += run;
			run_in = in;
			run = 0;
		}
		run++;
	}
	lc->counters.port[run_in].sent += run;
	live_tx(lc, port_id, pkts, n); // a capture of what leaves: one test when none is armed
	sent = dp_port_tx(port_id, (uint16_t)lc->worker, pkts, n);
	if (unlikely(sent < n)) {
		// The backend keeps link_down (port.h): a device that is gone is not a full queue.
		uint16_t reason = dp_port_devs[port_id].link_down ? DROP_LINK_DOWN : DROP_TX_FULL;

		for (uint16_t i = sent; i < n; i++) {
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
			lc->counters.port[port_in(pkts[i])].sent--;
			pkt_meta(pkts[i])->drop_reason = reason;
		}
		rte_node_enqueue(graph, node, PORT_TX_DROP, (void **)&pkts[sent], n - sent);
	}
	pc->tx_pkts += sent;
	pc->tx_bytes += bytes;
}

static uint16_t port_tx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				uint16_t n) {
	struct dp_lcore *lc = dp_lcore_get();
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;
	uint16_t start = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct pkt_meta *meta = pkt_meta(pkts[i]);

		if (unlikely(meta->flags & (PKT_F_TRACED | PKT_F_DRY_RUN))) {
			// Flush the run before it, then deal with this one alone.
			if (i > start)
				port_tx_run(graph, node, lc, &pkts[start], i - start,
					    pkt_meta(pkts[start])->out_port);
			start = i + 1;
			// A port whose link is down (a VM not connected, a container gone) drops what it
			// is given: a trace says so, as the real packet would be dropped (not "tx").
			if (meta->out_port < DP_PORTS_MAX && dp_port_devs[meta->out_port].ops != NULL &&
			    dp_port_devs[meta->out_port].ops->tx_refused_when_down &&
			    __atomic_load_n(&dp_port_devs[meta->out_port].link_down, __ATOMIC_RELAXED)) {
				meta->drop_reason = DROP_LINK_DOWN;
				trace_add(lc, pkts[i], node->id, PORT_TX_DROP, 0);
				rte_node_enqueue_x1(graph, node, PORT_TX_DROP, pkts[i]);
				continue;
			}
			trace_add(lc, pkts[i], node->id, RTE_EDGE_ID_INVALID, TRACE_F_TERMINAL);
			// A dry run's frame as it would leave goes back to the trace (trace_ctl.c).
			if (!(meta->flags & PKT_F_DRY_RUN))
				port_tx_run(graph, node, lc, &pkts[i], 1, meta->out_port);
			else if (lc->dry_out == NULL || rte_ring_sp_enqueue(lc->dry_out, pkts[i]) != 0)
				rte_pktmbuf_free(pkts[i]);
			continue;
		}
		if (i > start && meta->out_port != pkt_meta(pkts[start])->out_port) {
			port_tx_run(graph, node, lc, &pkts[start], i - start,
				    pkt_meta(pkts[start])->out_port);
			start = i;
		}
	}
	if (n > start)
		port_tx_run(graph, node, lc, &pkts[start], n - start,
			    pkt_meta(pkts[start])->out_port);
	return n;
}

static struct rte_node_register port_tx_node = {
	.name = "port_tx",
	.process = port_tx_process,
	.nb_edges = PORT_TX__COUNT,
	.next_nodes = {
		[PORT_TX_DROP] = DP_DROP_NODE,
	},
};
RTE_NODE_REGISTER(port_tx_node);
