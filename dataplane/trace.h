// SPDX-License-Identifier: BSD-3-Clause
// Trace records. A node appends one record for each packet whose metadata carries PKT_F_TRACED
// (dp_node_run does it for decide-style nodes; burst nodes call trace_add themselves). Records go
// to the worker's SP/SC ring; the control thread collects and formats them.
#pragma once

#include <stdint.h>

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "dataplane/lcore.h"
#include "dataplane/pkt.h"

#define TRACE_F_TERMINAL (1u << 0) // the packet (or this copy of it) ends here: tx or drop
#define TRACE_F_DRY_RUN (1u << 1)

struct trace_record {
	uint32_t trace_id;
	uint16_t node_id;     // rte_node_t of the node that wrote it
	uint16_t edge;        // edge taken, RTE_EDGE_ID_INVALID for a terminal node
	uint16_t in_port;
	uint16_t out_port;
	uint16_t bd_id;
	uint16_t drop_reason;
	uint16_t pkt_flags;
	uint8_t flags;        // TRACE_F_*
	uint8_t n_aux;
	uint16_t n_copies;    // extra packets this node made from this one (flooding)
	uint32_t pkt_len;
	uint64_t aux[2];
	uint64_t tsc;
};

// Data path. Append a record for `m`, leaving node `node_id` by `edge`; clears the node's aux.
static inline void trace_add(struct dp_lcore *lc, struct rte_mbuf *m, rte_node_t node_id,
			     rte_edge_t edge, uint8_t flags) {
	struct pkt_meta *meta = pkt_meta(m);
	struct trace_record r = {
		.trace_id = meta->trace_id,
		.node_id = (uint16_t)node_id,
		.edge = edge,
		.in_port = meta->in_port,
		.out_port = meta->out_port,
		.bd_id = meta->bd_id,
		.drop_reason = meta->drop_reason,
		.pkt_flags = meta->flags,
		.flags = flags | ((meta->flags & PKT_F_DRY_RUN) ? TRACE_F_DRY_RUN : 0),
		.n_aux = meta->trace_n_aux,
		.n_copies = meta->n_flood,
		.pkt_len = rte_pktmbuf_pkt_len(m),
		.aux = { meta->trace_aux[0], meta->trace_aux[1] },
		.tsc = rte_rdtsc(),
	};
	meta->trace_n_aux = 0;
	meta->n_flood = 0;
	if (unlikely(rte_ring_sp_enqueue_elem(lc->trace, &r, sizeof(r)) != 0))
		lc->counters.trace_lost++;
}

// Data path. Append the terminal record of a copy of `m` that node `node_id` could not make
// (`reason`), so that a trace waiting for every copy still ends.
static inline void trace_add_lost(struct dp_lcore *lc, struct rte_mbuf *m, rte_node_t node_id,
				  enum dp_drop_reason reason) {
	const struct pkt_meta *meta = pkt_meta(m);
	struct trace_record r = {
		.trace_id = meta->trace_id,
		.node_id = (uint16_t)node_id,
		.edge = RTE_EDGE_ID_INVALID,
		.in_port = meta->in_port,
		.out_port = PKT_PORT_NONE,
		.bd_id = meta->bd_id,
		.drop_reason = (uint16_t)reason,
		.pkt_flags = meta->flags,
		.flags = TRACE_F_TERMINAL | ((meta->flags & PKT_F_DRY_RUN) ? TRACE_F_DRY_RUN : 0),
		.pkt_len = rte_pktmbuf_pkt_len(m),
		.tsc = rte_rdtsc(),
	};
	if (unlikely(rte_ring_sp_enqueue_elem(lc->trace, &r, sizeof(r)) != 0))
		lc->counters.trace_lost++;
}

// Formats the aux values of one node's records into `buf` ("vni=5001 mac=..."); registered per
// node name with TRACE_FORMATTER(); a node without one prints its aux values as numbers.
typedef void (*trace_format_fn)(const struct trace_record *r, char *buf, size_t size);

void trace_formatter_register(const char *node_name, trace_format_fn fn);

#define TRACE_FORMATTER(node_name, fn)                                                             \
	RTE_INIT(trace_fmt_init_##node_name) {                                                     \
		trace_formatter_register(#node_name, fn);                                          \
	}

// Control thread. Format `r` as a JSON object (node, next, verdict, fields). New reference.
struct json_t;
struct json_t *trace_record_to_json(const struct trace_record *r);

// Control thread. The "trace" control method: inject a frame at a port in dry-run mode; the answer
// (every record of its walk and the verdict) is deferred until trace_poll() has seen them all.
struct ctl_call;
void trace_method_inject(struct ctl_call *call);

// Control thread, from the serve loop; never blocks. Collect the workers' trace records, answer
// the traces whose every copy has ended and fail those past their 2 s. Returns how many traces are
// still in flight (the loop polls sooner while there are some).
int trace_poll(void);
