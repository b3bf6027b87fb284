// SPDX-License-Identifier: BSD-3-Clause
// l2_flood: broadcast, multicast and unknown unicast go to every other port of the frame's
// network, and to no port of any other network; a frame from a local port also goes once to
// vxlan_flood, which replicates it to the network's flood VTEPs (a frame from a VTEP never goes
// back to one: split horizon) through the attach point `tunnel_flood`. Each extra copy is a new mbuf from the packet pool
// (rte_pktmbuf_copy) with a copy of the metadata; the original takes the last target. A burst
// node, because one packet in makes several out. After l2_lookup; leads to port_tx, vxlan_flood.

#include <jansson.h>
#include <rte_graph_worker.h>
#include <rte_mbuf.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"

enum l2_flood_edge {
	L2_FLOOD_DROP = DP_EDGE_DROP,
	L2_FLOOD_OUTPUT,
	L2_FLOOD_VTEPS,
	L2_FLOOD__COUNT
};

// Send `m` (or a copy of it, unless it is the last target) to `edge` with out_port `port`. A copy
// that cannot be made is counted and dropped by dp_pkt_copy().
static void l2_flood_emit(struct rte_graph *graph, struct rte_node *node, struct dp_lcore *lc,
			  struct rte_mbuf *m, bool last, rte_edge_t edge, uint16_t port) {
	struct rte_mbuf *c = m;

	if (!last) {
		c = dp_pkt_copy(lc, node->id, m);
		if (unlikely(c == NULL))
			return;
	}
	pkt_meta(c)->out_port = port;
	if (last && unlikely(pkt_meta(m)->flags & PKT_F_TRACED))
		trace_add(lc, c, node->id, edge, 0);
	rte_node_enqueue_x1(graph, node, edge, c);
}

// What l2_flood records: how many ports and VTEPs the frame went to.
struct l2_flood_trace {
	uint16_t ports, vteps;
};

static void l2_flood_one(struct rte_graph *graph, struct rte_node *node, struct dp_lcore *lc,
			 const struct bridge_cfg *bc, struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	const struct bridge *b = bridge_lookup(bc, meta->bd_id);
	bool vteps = b->n_flood_vteps > 0 && !(meta->flags & PKT_F_TUNNEL);
	// Bound: a network's flood list holds at most RTE_DIM(b->ports) ports (bridge.h).
	uint16_t targets[RTE_DIM(b->ports)], n = 0;

	RTE_ASSERT(b->n_ports <= RTE_DIM(b->ports));
	for (uint16_t i = 0; i < b->n_ports; i++)
		if (b->ports[i] != meta->in_port)
			targets[n++] = b->ports[i];
	if (n == 0 && !vteps) {
		meta->drop_reason = DROP_L2_FLOOD_NO_PORTS;
		if (unlikely(meta->flags & PKT_F_TRACED))
			trace_add(lc, m, node->id, L2_FLOOD_DROP, 0);
		rte_node_enqueue_x1(graph, node, L2_FLOOD_DROP, m);
		return;
	}
	// The trace record (on the original, which goes last) counts the copies made before it.
	trace_note_copies(lc, m, (uint16_t)(n + vteps - 1));
	TRACE_NOTE(lc, m, ((struct l2_flood_trace){n, vteps ? b->n_flood_vteps : 0}));
	for (uint16_t i = 0; i < n; i++)
		l2_flood_emit(graph, node, lc, m, i + 1 == n && !vteps, L2_FLOOD_OUTPUT, targets[i]);
	if (vteps)
		l2_flood_emit(graph, node, lc, m, true, L2_FLOOD_VTEPS, PKT_PORT_NONE);
}

// n: the node's whole stream. What it sends on is bounded per walk by DP_COPIES_PER_WALK.
static uint16_t l2_flood_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				 uint16_t n) {
	struct dp_lcore *lc = dp_lcore_get();
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);

	for (uint16_t i = 0; i < n; i++)
		l2_flood_one(graph, node, lc, bc, objs[i]);
	return n;
}

static void l2_flood_format(const struct trace_record *r, char *buf, size_t size) {
	const struct l2_flood_trace *t = TRACE_DATA(r, struct l2_flood_trace);

	if (t != NULL)
		snprintf(buf, size, "flood to %u port(s) and %u VTEP(s) of the network", t->ports,
			 t->vteps);
}

static json_t *l2_flood_fields(const struct trace_record *r) {
	const struct l2_flood_trace *t = TRACE_DATA(r, struct l2_flood_trace);

	return t != NULL ? json_pack("{sisi}", "ports", t->ports, "vteps", t->vteps) : NULL;
}
TRACE_FORMATTER(l2_flood, l2_flood_format, l2_flood_fields)

static struct rte_node_register l2_flood_node = {
	.name = "l2_flood",
	.process = l2_flood_process,
	.nb_edges = L2_FLOOD__COUNT,
	.next_nodes = {
		[L2_FLOOD_DROP] = DP_DROP_NODE,
		[L2_FLOOD_OUTPUT] = "port_tx",
		[L2_FLOOD_VTEPS] = DP_UNCLAIMED_NODE, // attach point "tunnel_flood"
	},
};
RTE_NODE_REGISTER(l2_flood_node);
DP_ATTACH_POINT("tunnel_flood", "l2_flood", L2_FLOOD_VTEPS)
DP_ATTACH_POINT("vnic_output", "l2_flood", L2_FLOOD_OUTPUT)
