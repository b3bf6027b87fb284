// SPDX-License-Identifier: BSD-3-Clause
// Trace records. A node appends one record for each packet whose metadata carries PKT_F_TRACED
// (the shared node loops do it; burst nodes with their own loop call trace_add themselves).
// Besides what every record has (node, edge, ports, verdict, the snapshot generation), a node may
// add data of its own type: it notes it for the packet it is deciding (TRACE_NOTE), and the
// trace_add that follows for that packet carries it. Records go to the worker's SP/SC ring; the
// control thread collects them and formats each node's data with the node's formatter, as text
// for people and as named fields for --json.
#pragma once

#include <assert.h>
#include <stdint.h>
#include <string.h>

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
	uint8_t data_size;    // bytes of data[] the node noted (0: none)
	uint16_t n_copies;    // extra packets this node made from this one (flooding)
	uint32_t pkt_len;
	uint64_t generation;  // of the snapshot the packet walked
	uint64_t tsc;
	uint8_t data[TRACE_DATA_MAX] __rte_aligned(8); // the node's own record (its type)
};

// Data path. Note `size` bytes of `data` (the node's record type) for the packet being decided:
// the next trace_add for it carries them. Use TRACE_NOTE.
static inline void trace_note(struct dp_lcore *lc, const void *data, size_t size) {
	memcpy(lc->trace_note.data, data, size);
	lc->trace_note.size = (uint8_t)size;
}

// Data path. Note record `rec` (an expression of the node's record type) for `m` if `m` is
// traced. `rec` is evaluated only then: an untraced packet pays the flag test, nothing else.
#define TRACE_NOTE(lc, m, rec)                                                                     \
	do {                                                                                       \
		if (unlikely(pkt_meta(m)->flags & PKT_F_TRACED)) {                                 \
			const __typeof__(rec) trace_note_rec_ = (rec);                             \
			static_assert(sizeof(trace_note_rec_) <= TRACE_DATA_MAX,                   \
				      "trace record too big");                                     \
			trace_note((lc), &trace_note_rec_, sizeof(trace_note_rec_));               \
		}                                                                                  \
	} while (0)

// Data path. Note that the node made `n` copies of `m` before its record (flooding), so that a
// trace waits for each of them.
static inline void trace_note_copies(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t n) {
	if (unlikely(pkt_meta(m)->flags & PKT_F_TRACED))
		lc->trace_note.n_copies = n;
}

// Data path. Append a record for `m`, leaving node `node_id` by `edge`, with what was noted.
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
		.data_size = lc->trace_note.size,
		.n_copies = lc->trace_note.n_copies,
		.pkt_len = rte_pktmbuf_pkt_len(m),
		.generation = lc->cfg_generation,
		.tsc = rte_rdtsc(),
	};
	memcpy(r.data, lc->trace_note.data, lc->trace_note.size);
	lc->trace_note.size = 0;
	lc->trace_note.n_copies = 0;
	if (unlikely(rte_ring_sp_enqueue_elem(lc->trace, &r, sizeof(r)) != 0))
		lc->counters.trace_lost++;
}

// Data path. Append the terminal record of a copy of `m` that node `node_id` could not make
// (`reason`), so that a trace waiting for every copy still ends. Leaves what was noted for `m`.
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
		.generation = lc->cfg_generation,
		.tsc = rte_rdtsc(),
	};
	if (unlikely(rte_ring_sp_enqueue_elem(lc->trace, &r, sizeof(r)) != 0))
		lc->counters.trace_lost++;
}

// A node's formatter: its record data (r->data, r->data_size bytes of the node's record type) as
// text for people ("vni=5001 mac=..."), and as named fields for --json (a new JSON object).
// Registered per node name with TRACE_FORMATTER(); a node without one shows its data in hex.
struct json_t;
struct trace_formatter {
	void (*text)(const struct trace_record *r, char *buf, size_t size);
	struct json_t *(*fields)(const struct trace_record *r);
};

void trace_formatter_register(const char *node_name, const struct trace_formatter *fmt);

#define TRACE_FORMATTER(node_name, text_fn, fields_fn)                                             \
	RTE_INIT(trace_fmt_init_##node_name) {                                                     \
		static const struct trace_formatter f = {.text = (text_fn), .fields = (fields_fn)}; \
		trace_formatter_register(#node_name, &f);                                          \
	}

// Control thread. The record's data as the node's record type, or NULL if it noted fewer bytes.
#define TRACE_DATA(r, type)                                                                        \
	((r)->data_size >= sizeof(type) ? (const type *)(const void *)(r)->data : NULL)

// Control thread. Format `r` as a JSON object (node, next, verdict, fields, data), naming ports
// as snapshot `cfg` (the one the packet walked) has them. New reference.
struct json_t;
struct dp_config;
struct json_t *trace_record_to_json(const struct trace_record *r, const struct dp_config *cfg);

// Control thread. The "trace" control method: inject a frame at a port in dry-run mode; the answer
// (every record of its walk and the verdict) is deferred until trace_poll() has seen them all.
struct ctl_call;
void trace_method_inject(struct ctl_call *call);

// Control thread, from the serve loop; never blocks. Collect the workers' trace records, answer
// the traces whose every copy has ended and fail those past their 2 s. Returns how many traces are
// still in flight (the loop polls sooner while there are some).
int trace_poll(void);
