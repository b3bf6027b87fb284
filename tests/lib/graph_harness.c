// SPDX-License-Identifier: BSD-3-Clause
// A real worker graph driven by the test (see graph_harness.h).

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_graph_worker.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/config.h"
#include "dataplane/graph.h"
#include "dataplane/port.h"
#include "overlay/overlay.h"
#include "tests/lib/graph_harness.h"
#include "tests/lib/pktbuf.h"

#define UT_RX_PARSE 1 // port_rx's edge for vNICs (PORT_RX_PARSE); ut_rx copies port_rx's edges

static struct {
	struct rte_mbuf **pkts;
	uint32_t n;
} ut_rx_input;

static struct rte_graph *ut_graph;

// What port_rx does for a burst it polled, for the packets the test handed over.
static uint16_t ut_rx_process(struct rte_graph *graph, struct rte_node *node, void **objs,
			      uint16_t n_objs) {
	struct dp_lcore *lc = dp_lcore_get();
	uint32_t n = ut_rx_input.n;

	RTE_SET_USED(objs);
	RTE_SET_USED(n_objs);
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = ut_rx_input.pkts[i];
		struct pkt_meta *meta = pkt_meta(m);
		uint16_t in = meta->in_port, flags = meta->flags & (PKT_F_TRACED | PKT_F_DRY_RUN);
		uint32_t trace_id = meta->trace_id;
		const struct dp_port *p = dp_config_port_get(lc->cfg, in);
		rte_edge_t edge = p != NULL && p->rx_edge != 0 ? p->rx_edge : UT_RX_PARSE;

		pkt_meta_reset(meta, in);
		meta->flags = flags;
		meta->trace_id = trace_id;
		if (!(flags & PKT_F_DRY_RUN) && in < DP_PORTS_MAX) {
			lc->counters.port[in].rx_pkts++;
			lc->counters.port[in].rx_bytes += rte_pktmbuf_pkt_len(m);
		}
		if (flags & PKT_F_TRACED)
			trace_add(lc, m, node->id, edge, 0);
		rte_node_enqueue_x1(graph, node, edge, m);
	}
	ut_rx_input.n = 0;
	lc->counters.rx_total += n;
	return (uint16_t)RTE_MIN(n, (uint32_t)UINT16_MAX);
}

static struct rte_node_register ut_rx_node = {
	.name = "ut_rx",
	.flags = RTE_NODE_SOURCE_F,
	.process = ut_rx_process,
	.nb_edges = 1,
	.next_nodes = {DP_DROP_NODE},
};
RTE_NODE_REGISTER(ut_rx_node);

int harness_graph_create(void) {
	const char *patterns[] = {"ut_rx"};
	struct rte_graph_param gp = {
		.socket_id = SOCKET_ID_ANY,
		.nb_node_patterns = 1,
		.node_patterns = patterns,
	};
	rte_node_t rx = rte_node_from_name("port_rx");
	rte_edge_t n_edges = rte_node_edge_count(rx);
	char *names[64];

	if (ut_graph != NULL)
		return 0;
	// Features keep per-worker counters for the workers vnetd starts; the harness has none, and
	// its fake lcore is worker 0.
	if (overlay_counters[0] == NULL)
		overlay_counters[0] = rte_zmalloc("ut_overlay_counters", sizeof(*overlay_counters[0]),
						  RTE_CACHE_LINE_SIZE);
	if (overlay_counters[0] == NULL)
		return -ENOMEM;
	if (n_edges == RTE_EDGE_ID_INVALID || n_edges > RTE_DIM(names) ||
	    rte_node_edge_get(rx, names) == 0)
		return -EINVAL;
	// The same edges as port_rx, in the same order: a port's rx_edge means the same here.
	if (rte_node_edge_update(ut_rx_node.id, 0, (const char **)names, n_edges) != n_edges)
		return -EINVAL;
	if (rte_graph_create("ut-graph", &gp) == RTE_GRAPH_ID_INVALID)
		return -rte_errno ? -rte_errno : -EINVAL;
	ut_graph = rte_graph_lookup("ut-graph");
	return ut_graph != NULL ? 0 : -ENOENT;
}

uint64_t harness_tsc_offset;

void harness_graph_run(struct harness *h, struct rte_mbuf **pkts, uint32_t n) {
	struct dp_lcore *lc = h->lc;

	RTE_PER_LCORE(dp_lcore_self) = lc;
	lc->cfg = dp_config_current();
	lc->cfg_generation = lc->cfg->generation;
	lc->now_tsc = rte_rdtsc() + harness_tsc_offset;
	lc->copies_walk = 0;
	lc->walk_id++;
	ut_rx_input.pkts = pkts;
	ut_rx_input.n = n;
	rte_graph_walk(ut_graph);
}

struct rte_mbuf *harness_mbuf(const void *data, uint32_t len, uint16_t in_port) {
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_pktmbuf_pool());
	char *dst;

	if (m == NULL)
		return NULL;
	dst = len <= UINT16_MAX ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (dst == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(dst, data, len);
	pkt_meta_reset(pkt_meta(m), in_port);
	m->port = in_port;
	return m;
}

struct rte_mbuf *harness_mbuf_from(struct rte_mbuf *pb) {
	struct rte_mbuf *m = harness_mbuf(rte_pktmbuf_mtod(pb, void *), rte_pktmbuf_data_len(pb),
					  pkt_meta(pb)->in_port);

	pktbuf_destroy(pb);
	return m;
}

bool harness_counters_close(struct harness *h, char *err, size_t err_size) {
	for (uint16_t p = 0; p < DP_PORTS_MAX; p++) {
		const struct dp_port_counters *c = &h->lc->counters.port[p];
		uint64_t in = c->rx_pkts + c->injected + c->copies;
		uint64_t out = c->sent + c->drops + c->consumed;

		if (in != out) {
			snprintf(err, err_size,
				 "port %u: rx %lu + injected %lu + copies %lu != sent %lu + drops %lu "
				 "+ consumed %lu",
				 p, c->rx_pkts, c->injected, c->copies, c->sent, c->drops,
				 c->consumed);
			return false;
		}
	}
	return true;
}

unsigned int harness_pool_in_use(void) {
	return rte_mempool_in_use_count(dp_pktmbuf_pool());
}

unsigned int harness_trace_drain(struct harness *h) {
	struct trace_record r;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue_elem(h->lc->trace, &r, sizeof(r)) == 0)
		n++;
	return n;
}
