// SPDX-License-Identifier: BSD-3-Clause
// How a node is written. A node's logic is `<node>_decide(lc, m)`: one packet in, one edge out.
// DP_NODE_DEFINE registers it with rte_graph; dp_node_run is the one shared loop that traces and
// enqueues. Edge 0 of every node is the pkt_drop node: return dp_drop(m, DROP_X) to take it.
#pragma once

#include <assert.h>
#include <sys/queue.h>

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

// The shared enqueue of the node loops. While every packet so far takes the same edge nothing is
// copied: if the whole stream does, it moves to the next node in one step
// (rte_node_next_stream_move); at the first packet that differs, the ones before it are enqueued
// together and the rest one by one.
// What a node returns for a packet it keeps (the firewall holds segments of a connection under
// inspection): not enqueued now; the node enqueues it itself later (rte_node_enqueue_x1).
#define DP_EDGE_KEEP ((rte_edge_t)0xfffe)

struct dp_enqueue {
	rte_edge_t last;
	uint32_t held; // objs[0..held) all take `last` and are not enqueued yet; UINT32_MAX: diverged
};

static __rte_always_inline void dp_enqueue_one(struct rte_graph *graph, struct rte_node *node,
					       void **objs, uint32_t i, rte_edge_t edge,
					       struct dp_enqueue *q) {
	if (unlikely(edge == DP_EDGE_KEEP)) {
		if (q->held == i && q->held > 0)
			rte_node_enqueue(graph, node, q->last, objs, (uint16_t)q->held);
		q->held = UINT32_MAX;
		return;
	}
	if (likely(q->held == i && (i == 0 || edge == q->last))) {
		q->last = edge;
		q->held++;
		return;
	}
	if (q->held == i && q->held > 0)
		rte_node_enqueue(graph, node, q->last, objs, (uint16_t)q->held);
	q->held = UINT32_MAX;
	rte_node_enqueue_x1(graph, node, edge, objs[i]);
}

static __rte_always_inline void dp_enqueue_end(struct rte_graph *graph, struct rte_node *node,
					       uint16_t n, const struct dp_enqueue *q) {
	if (q->held == n && n > 0)
		rte_node_next_stream_move(graph, node, q->last);
}

// Data path. Trace `m` leaving `node` by `edge` if it is traced, and enqueue it.
static __rte_always_inline void dp_node_out(struct rte_graph *graph, struct rte_node *node,
					    struct dp_lcore *lc, void **objs, uint32_t i,
					    rte_edge_t edge, struct dp_enqueue *q) {
	struct rte_mbuf *m = objs[i];

	if (unlikely(pkt_meta(m)->flags & PKT_F_TRACED)) {
		if (likely(edge != DP_EDGE_KEEP))
			trace_add(lc, m, node->id, edge, 0);
		else
			lc->trace_note.size = 0; // its record comes when it leaves the node
	}
	dp_enqueue_one(graph, node, objs, i, edge, q);
}

// Data path. Send the whole stream to `edge` (a node with nothing to do for these packets: a
// filter when no port is filtered): one move of the stream, and a trace record for each traced
// packet. Returns n.
static __rte_always_inline uint16_t dp_node_pass_all(struct rte_graph *graph,
						     struct rte_node *node, void **objs,
						     uint16_t n, rte_edge_t edge) {
	uint16_t flags = 0;

	for (uint16_t i = 0; i < n; i++)
		flags |= pkt_meta(objs[i])->flags;
	if (unlikely(flags & PKT_F_TRACED)) {
		struct dp_lcore *lc = dp_lcore_get();
		for (uint16_t i = 0; i < n; i++)
			if (pkt_meta(objs[i])->flags & PKT_F_TRACED)
				trace_add(lc, objs[i], node->id, edge, 0);
	}
	rte_node_next_stream_move(graph, node, edge);
	return n;
}

// Data path. Run `decide` on each packet of the stream, trace, and enqueue. n is the node's
// stream: any size rte_graph allows (below 65535), not only one burst.
static __rte_always_inline uint16_t dp_node_run(struct rte_graph *graph, struct rte_node *node,
						void **objs, uint16_t n, dp_decide_fn decide) {
	struct dp_lcore *lc = dp_lcore_get();
	struct dp_enqueue q = {0};

	for (uint16_t i = 0; i < n; i++) {
		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod((struct rte_mbuf *)objs[i + 2], void *));
		dp_node_out(graph, node, lc, objs, i, decide(lc, objs[i]), &q);
	}
	dp_enqueue_end(graph, node, n, &q);
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

// Burst nodes: nodes whose decisions need lookups done for many packets at once (rte_hash bulk
// lookups, and later FIB and ACL ones) or state shared across the stream (a memo of the last
// lookup). The stream is cut into chunks of at most DP_CHUNK packets, the bound of every
// per-chunk array:
//   init(lc, node, ctx)                 once per stream: set up the node's context `ctx`
//   prepare(lc, node, ctx, pkts, n)     per chunk, n <= DP_CHUNK: the bulk lookups into ctx
//   decide(lc, node, ctx, m, i)         per packet, i its index in the chunk: one edge out
// (ctx is the node's `ctx_type`, passed as void *: each function converts it back.)
// The shared loop traces and enqueues, with the whole-stream move of dp_node_run.
#define DP_CHUNK 64
static_assert(DP_CHUNK <= RTE_GRAPH_BURST_SIZE, "a chunk is at most one burst");

typedef void (*dp_burst_init_fn)(struct dp_lcore *lc, struct rte_node *node, void *ctx);
typedef void (*dp_burst_prepare_fn)(struct dp_lcore *lc, struct rte_node *node, void *ctx,
				    struct rte_mbuf **pkts, uint16_t n);
typedef rte_edge_t (*dp_burst_decide_fn)(struct dp_lcore *lc, struct rte_node *node, void *ctx,
					 struct rte_mbuf *m, uint16_t i);

// Data path. The loop of a burst node (DP_NODE_DEFINE_BURST).
static __rte_always_inline uint16_t dp_node_run_burst(struct rte_graph *graph,
						      struct rte_node *node, void **objs, uint16_t n,
						      void *ctx, dp_burst_init_fn init,
						      dp_burst_prepare_fn prepare,
						      dp_burst_decide_fn decide) {
	struct dp_lcore *lc = dp_lcore_get();
	struct dp_enqueue q = {0};

	if (init != NULL)
		init(lc, node, ctx);
	lc->enq = &q;
	lc->enq_objs = objs;
	for (uint32_t base = 0; base < n; base += DP_CHUNK) {
		uint16_t chunk = (uint16_t)RTE_MIN((uint32_t)n - base, (uint32_t)DP_CHUNK);

		if (prepare != NULL)
			prepare(lc, node, ctx, (struct rte_mbuf **)&objs[base], chunk);
		for (uint16_t i = 0; i < chunk; i++)
			dp_node_out(graph, node, lc, objs, base + i,
				    decide(lc, node, ctx, objs[base + i], i), &q);
	}
	lc->enq = NULL;
	dp_enqueue_end(graph, node, n, &q);
	return n;
}

// Data path. From a burst node's decide (or outside the loop): send `m`, a packet the node made
// or kept, to `edge` now, after the packets of the stream decided before it, so that nothing
// overtakes what came first (a firewall's RST, the segments it held).
static inline void dp_node_emit(struct rte_graph *graph, struct rte_node *node,
				struct dp_lcore *lc, rte_edge_t edge, struct rte_mbuf *m) {
	struct dp_enqueue *q = lc->enq;

	if (q != NULL && q->held != UINT32_MAX) {
		if (q->held > 0)
			rte_node_enqueue(graph, node, q->last, lc->enq_objs, (uint16_t)q->held);
		q->held = UINT32_MAX;
	}
	rte_node_enqueue_x1(graph, node, edge, m);
}

// Define and register burst node `name`: its context type, init and prepare (either may be
// NULL), decide, and its edges as for DP_NODE_DEFINE. Optional node fields (init/fini of the
// node itself, for per-worker state in node->ctx) come through DP_NODE_DEFINE_BURST_EXT.
#define DP_NODE_DEFINE_BURST_EXT(node_name, ctx_type, run_init, run_prepare, run_decide,          \
				 node_init, node_fini, n_edges, ...)                               \
	static uint16_t node_name##_process(struct rte_graph *graph, struct rte_node *node,        \
					    void **objs, uint16_t n) {                             \
		ctx_type ctx;                                                                      \
		return dp_node_run_burst(graph, node, objs, n, &ctx, run_init, run_prepare,        \
					 run_decide);                                              \
	}                                                                                          \
	static struct rte_node_register node_name##_node = {                                       \
		.name = #node_name,                                                                \
		.process = node_name##_process,                                                    \
		.init = (node_init),                                                               \
		.fini = (node_fini),                                                               \
		.nb_edges = (n_edges),                                                             \
		.next_nodes = { [DP_EDGE_DROP] = DP_DROP_NODE, __VA_ARGS__ },                      \
	};                                                                                         \
	RTE_NODE_REGISTER(node_name##_node)

#define DP_NODE_DEFINE_BURST(node_name, ctx_type, run_init, run_prepare, run_decide, n_edges, ...) \
	DP_NODE_DEFINE_BURST_EXT(node_name, ctx_type, run_init, run_prepare, run_decide, NULL,     \
				 NULL, n_edges, __VA_ARGS__)

// Data path. A copy of `m` (data and metadata, marked PKT_F_FLOODED) for one more target of a
// flood made by node `node_id`, or NULL when it cannot be made: the walk's DP_COPIES_PER_WALK, or
// the DP_COPIES_PER_PORT_WALK of m's input port, are spent (DROP_FLOOD_COPY_LIMIT) or the pool is
// empty (DROP_MBUF_EXHAUSTED). Either way the
// copy is counted on the input port (`copies`, and a drop with its reason when it failed), and
// a traced packet gets a terminal record for the copy that was not made, so that traces still
// close.
// Data path. Take one packet from this walk's budget of packets made from others (flood copies,
// a router's fragments and ICMP errors): DP_COPIES_PER_WALK in all, DP_COPIES_PER_PORT_WALK per
// input port `in`. False when spent (the caller drops with DROP_FLOOD_COPY_LIMIT).
static inline bool dp_copy_budget_take(struct dp_lcore *lc, uint16_t in) {
	in = in < DP_PORTS_MAX ? in : 0;
	if (unlikely(lc->port_copies[in].walk != lc->walk_id)) {
		lc->port_copies[in].walk = lc->walk_id;
		lc->port_copies[in].copies = 0;
	}
	if (unlikely(lc->copies_walk >= DP_COPIES_PER_WALK ||
		     lc->port_copies[in].copies >= DP_COPIES_PER_PORT_WALK))
		return false;
	lc->copies_walk++;
	lc->port_copies[in].copies++;
	return true;
}

static inline struct rte_mbuf *dp_pkt_copy(struct dp_lcore *lc, rte_node_t node_id,
					   struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	enum dp_drop_reason reason = DROP_FLOOD_COPY_LIMIT;
	struct rte_mbuf *c = NULL;
	uint16_t in = meta->in_port < DP_PORTS_MAX ? meta->in_port : 0;

	if (likely(dp_copy_budget_take(lc, in))) {
		reason = DROP_MBUF_EXHAUSTED;
		c = rte_pktmbuf_copy(m, dp_pktmbuf_pool(), 0, UINT32_MAX);
	}
	if (likely(c != NULL)) {
		*pkt_meta(c) = *meta;
		pkt_meta(c)->flags |= PKT_F_FLOODED;
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

// Attach points: where features meet the engine's nodes and each other's, by name, so that the
// engine names no feature's node and no feature names another's. A node declares that its edge
// `edge` is (one of the edges of) the point `name`; the edge leads where its next_nodes entry says
// until a feature attaches a node there: DP_UNCLAIMED_NODE (which drops what arrives as
// `unclaimed`) where something must be attached, or the usual next node where the point is a
// place to insert a step. Attaching rewires the edges (rte_node_edge_update) before the graphs
// are made: a point costs an edge, not a branch per packet. dp_node_attach_chain() inserts a node
// in front of what the point led to (its edge `cont` takes over the old target), so several
// features can stack at one point, in their start order. The points:
//   vnic_input       parse (engine) -> the first node of a frame from a vNIC, after parsing and
//                    before anything of a tenant (vswitch: port_security)
//   l2_input         port_security, tunnel_input (vswitch) -> l2_lookup: the frame's network is
//                    chosen, from a vNIC or a tunnel (a place for a step: the firewall's egress)
//   vnic_output      l2_lookup, l2_flood (vswitch) -> port_tx: a frame for a local vNIC, after
//                    every flood copy (a place for a step: the firewall's ingress)
//   tunnel_output    l2_lookup (vswitch) -> what carries a frame to a MAC behind another host
//                    (overlay: vxlan_encap)
//   tunnel_flood     l2_flood (vswitch) -> head-end replication to the network's other hosts
//                    (overlay: vxlan_flood)
//   tunnel_l2_input  vxlan_decap (overlay) -> where a decapsulated frame enters its network
//                    (vswitch: tunnel_input)
struct dp_attach_point {
	const char *name;   // "vnic_input"
	const char *node;   // the engine node whose edge it is
	rte_edge_t edge;
	const char *attached; // the node attached there, NULL if none
	STAILQ_ENTRY(dp_attach_point) next;
};

#define DP_UNCLAIMED_NODE "pkt_unclaimed"

// Any time before the graphs are made (a constructor). Declare an attach point.
void dp_attach_point_register(struct dp_attach_point *ap);

#define DP_ATTACH_POINT(point_name, node_name, edge_id)                                            \
	static struct dp_attach_point attach_point_##edge_id = {                                   \
		.name = point_name,                                                                \
		.node = node_name,                                                                 \
		.edge = (edge_id),                                                                 \
	};                                                                                         \
	RTE_INIT(attach_point_init_##edge_id) {                                                    \
		dp_attach_point_register(&attach_point_##edge_id);                                \
	}

// Control thread, at feature start-up (before the graphs are made). Lead every edge of `point`
// to `node_name`. Returns 0, -ENOENT (no feature built in declares the point: attach to an
// optional point as such) or -EINVAL (no such node, or the point's edges lead to different
// nodes).
int dp_node_attach(const char *point, const char *node_name);

// The same, and edge `cont` of `node_name` then leads where the point led before: the node is a
// step inserted at the point.
int dp_node_attach_chain(const char *point, const char *node_name, rte_edge_t cont);
