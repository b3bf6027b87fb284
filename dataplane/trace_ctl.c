// SPDX-License-Identifier: BSD-3-Clause
// Synthetic trace: the control thread builds the packet, marks it traced and dry-run, posts it to
// the injection ring of the worker that polls the port and defers the answer. trace_poll(), run
// by the serve loop, collects the workers' records by trace id and answers each trace once every
// copy of its packet has reached a terminal node (port_tx or pkt_drop), or fails it after 2 s.

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/port.h"
#include "dataplane/live_trace.h"
#include "dataplane/trace.h"
#include "dataplane/trace_build.h"
#include "dataplane/worker.h"

#define TRACE_MAX_RECORDS 1024
#define TRACE_FRAME_MAX 16384 // the largest frame a trace takes (docs/vnetctl.md)
#define TRACE_TIMEOUT_MS 2000
#define TRACE_MAX_PENDING 64 // traces in flight at once


static int hex_decode(const char *hex, uint8_t *out, size_t size) {
	size_t n = 0;

	while (*hex != '\0') {
		unsigned int b;
		if (isspace((unsigned char)*hex) || *hex == ':') {
			hex++;
			continue;
		}
		if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
		    n >= size || sscanf(hex, "%2x", &b) != 1)
			return -EINVAL;
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return (int)n;
}

// The frame in as many packet-pool mbufs as it needs (a chain, as a jumbo frame arrives from a
// device): up to TRACE_FRAME_MAX bytes. NULL if the pool is short.
static struct rte_mbuf *trace_packet(const uint8_t *data, int len, uint16_t port_id,
				     uint32_t trace_id) {
	struct rte_mbuf *m = NULL;

	for (int off = 0; off < len || m == NULL;) {
		struct rte_mbuf *seg = rte_pktmbuf_alloc(dp_pktmbuf_pool());
		uint16_t n = seg ? (uint16_t)RTE_MIN(len - off, (int)rte_pktmbuf_tailroom(seg)) : 0;
		char *dst = seg ? rte_pktmbuf_append(seg, n) : NULL;

		if (dst == NULL || (m != NULL && rte_pktmbuf_chain(m, seg) != 0)) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(m);
			return NULL;
		}
		memcpy(dst, data + off, n);
		m = m ? m : seg;
		off += n;
	}
	pkt_meta_reset(pkt_meta(m), port_id);
	pkt_meta(m)->flags = PKT_F_TRACED | PKT_F_DRY_RUN;
	pkt_meta(m)->trace_id = trace_id;
	m->port = port_id;
	return m;
}

static json_t *verdict_json(json_t *tx, json_t *drops) {
	if (json_array_size(drops) == 0) {
		json_decref(drops);
		return json_pack("{ssso}", "action", "tx", "ports", tx);
	}
	if (json_array_size(tx) == 0 && json_array_size(drops) == 1) {
		json_t *d = json_incref(json_array_get(drops, 0));
		json_decref(tx);
		json_decref(drops);
		json_object_set_new(d, "action", json_string("drop"));
		return d;
	}
	return json_pack("{sssoso}", "action", "mixed", "tx", tx, "drops", drops);
}

// One trace waiting for its records: the deferred call answers when every copy has ended.
struct trace_pending {
	struct ctl_deferred *d;
	uint32_t trace_id;
	uint64_t deadline_tsc;
	int expected, ended;
	int frame_len;
	int frames_expected, frames_got; // frames as they would leave (dry run at port_tx)
	bool complete;                   // every copy ended: the answer waits for the frames only
	uint64_t complete_tsc, generation;
	json_t *records, *tx, *drops, *out_frames;
	const struct dp_config *cfg; // the snapshot when it was injected, held until the answer
};

static struct trace_pending *pending[TRACE_MAX_PENDING];
static unsigned int n_pending;

static void pending_free(struct trace_pending *t) {
	for (unsigned int i = 0; i < n_pending; i++) {
		if (pending[i] == t) {
			pending[i] = pending[--n_pending];
			break;
		}
	}
	json_decref(t->records);
	json_decref(t->tx);
	json_decref(t->drops);
	json_decref(t->out_frames);
	dp_config_release(t->cfg);
	free(t);
}

static struct trace_pending *pending_lookup(uint32_t trace_id) {
	for (unsigned int i = 0; i < n_pending; i++)
		if (pending[i]->trace_id == trace_id)
			return pending[i];
	return NULL;
}

// The client of a pending trace went away: forget the trace (its late records are dropped).
static void trace_cancel(struct ctl_deferred *d, void *arg) {
	struct trace_pending *t = arg;

	ctl_deferred_error(d, CTL_ERR_INTERNAL, "trace %u cancelled", t->trace_id);
	pending_free(t);
}

// Add record `r` to its trace `t`; answers and frees `t` once every copy has ended.
static void trace_record_add(struct trace_pending *t, const struct trace_record *r) {
	json_t *last;

	// Formatted with the snapshot the packet walked: the one held at injection, or the current
	// one if a publication came in between (records carry their generation).
	const struct dp_config *cfg = t->cfg;

	if (cfg == NULL || r->generation != cfg->generation)
		cfg = dp_config_current();
	if (json_array_size(t->records) < TRACE_MAX_RECORDS)
		json_array_append_new(t->records, trace_record_to_json(r, cfg));
	t->expected += r->n_copies;
	if (!(r->flags & TRACE_F_TERMINAL))
		return;
	t->ended++;
	last = json_array_get(t->records, json_array_size(t->records) - 1);
	if (strcmp(json_string_value(json_object_get(last, "verdict")), "consumed") == 0)
		json_array_append_new(t->tx, json_string("(vnetd)"));
	else if (r->drop_reason != DROP_NONE)
		json_array_append_new(t->drops,
				      json_pack("{ssss}", "reason", dp_drop_names[r->drop_reason],
						"description", dp_drop_descs[r->drop_reason]));
	else {
		json_array_append(t->tx, json_object_get(last, "out_port"));
		if (r->flags & TRACE_F_DRY_RUN)
			t->frames_expected++; // port_tx hands the frame back (dry_out)
	}
	if (t->ended < t->expected)
		return;
	t->complete = true;
	t->complete_tsc = rte_rdtsc();
	t->generation = r->generation;
}

#define TRACE_FRAMES_WAIT_MS 50 // after the last record, for the frames as they would leave

// Answer t if it is complete and has its frames (or waited for them long enough).
static bool trace_reply(struct trace_pending *t, uint64_t now) {
	const struct dp_config *cfg = t->cfg;

	if (!t->complete || (t->frames_got < t->frames_expected &&
			     now < t->complete_tsc + rte_get_tsc_hz() * TRACE_FRAMES_WAIT_MS / 1000))
		return false;
	if (cfg == NULL || t->generation != cfg->generation)
		cfg = dp_config_current();
	ctl_deferred_reply(t->d, json_pack("{sisIsIsososisO}", "trace_id", (int)t->trace_id,
					   "generation", (json_int_t)t->generation, "revision",
					   (json_int_t)(cfg != NULL ? cfg->revision : 0), "records",
					   t->records, "verdict", verdict_json(t->tx, t->drops),
					   "frame_len", t->frame_len, "out_frames", t->out_frames));
	t->records = t->tx = t->drops = NULL; // taken by the answer
	pending_free(t);
	return true;
}

// The dry-run packets port_tx handed back: each as the frame it would have sent, in its trace.
static void dry_out_drain(void) {
	const struct dp_config *cfg = dp_config_current();

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		struct dp_lcore *lc = dp_worker_get(w);
		struct rte_mbuf *m;
		while (lc != NULL && lc->dry_out != NULL && rte_ring_sc_dequeue(lc->dry_out, (void **)&m) == 0) {
			struct trace_pending *t = pending_lookup(pkt_meta(m)->trace_id);
			static uint8_t buf[TRACE_FRAME_MAX];
			static char hex[2 * TRACE_FRAME_MAX + 1];
			uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)TRACE_FRAME_MAX);
			const uint8_t *d = rte_pktmbuf_read(m, 0, len, buf);
			const struct dp_port *op = cfg ? dp_config_port_get(cfg, pkt_meta(m)->out_port) : NULL;
			if (t != NULL && d != NULL) {
				for (uint32_t i = 0; i < len; i++)
					snprintf(hex + 2 * i, 3, "%02x", d[i]);
				hex[2 * len] = '\0';
				json_array_append_new(t->out_frames, json_pack("{ssss}", "port",
					op ? op->name : "-", "frame", hex));
				t->frames_got++;
			}
			rte_pktmbuf_free(m);
		}
	}
}

int trace_poll(void) {
	struct trace_record r[64];
	uint64_t now = rte_rdtsc();

	live_trace_snaps();
	dry_out_drain();

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		struct dp_lcore *lc = dp_worker_get(w);
		unsigned int n;

		do {
			n = rte_ring_sc_dequeue_burst_elem(lc->trace, r, sizeof(r[0]), RTE_DIM(r),
							   NULL);
			for (unsigned int i = 0; i < n; i++) {
				struct trace_pending *t = pending_lookup(r[i].trace_id);
				if (t != NULL)
					trace_record_add(t, &r[i]);
				else // a live trace's, or one of a trace that timed out or was cancelled
					live_trace_record(&r[i]);
			}
		} while (n > 0);
	}
	dry_out_drain(); // the frames of the traces whose last records just came
	now = rte_rdtsc();
	for (unsigned int i = 0; i < n_pending;) {
		struct trace_pending *t = pending[i];
		if (trace_reply(t, now)) // pending[i] is now another one
			continue;
		if (now <= t->deadline_tsc) {
			i++;
			continue;
		}
		ctl_deferred_error(t->d, CTL_ERR_INTERNAL, "trace %u: no verdict within %d ms",
				   t->trace_id, TRACE_TIMEOUT_MS);
		pending_free(t); // pending[i] is now another one
	}
	return (int)n_pending;
}

void trace_method_inject(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const char *port = json_string_value(json_object_get(call->params, "port"));
	const char *hex = json_string_value(json_object_get(call->params, "packet"));
	const char *words = json_string_value(json_object_get(call->params, "describe"));
	struct trace_pending *t;
	const struct dp_port *p;
	static uint8_t data[TRACE_FRAME_MAX];
	struct rte_mbuf *m;
	uint32_t id;
	int len;

	if (port == NULL || (hex == NULL) == (words == NULL)) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "trace needs \"port\" and one of \"packet\" "
			  "(hex) and \"describe\" (words)");
		return;
	}
	p = cfg ? dp_config_port_lookup(cfg, port) : NULL;
	if (p == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: no port named \"%s\"", port);
		return;
	}
	if (words != NULL) {
		char err[512];
		len = trace_build(cfg, port, words, data, sizeof(data), err, sizeof(err));
		if (len < 0) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "%s", err);
			return;
		}
	} else {
		len = hex_decode(hex, data, sizeof(data));
	}
	if (len <= 0) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS,
			  "packet: not a hex string of 1..%zu bytes", sizeof(data));
		return;
	}
	id = trace_id_next(1);
	m = trace_packet(data, len, p->port_id, id);
	if (m == NULL) {
		ctl_error(call, CTL_ERR_INTERNAL, "no mbuf for the trace packet");
		return;
	}
	if (dp_worker_get(p->worker) == NULL) { // only in-process tests and fuzzers run no worker
		rte_pktmbuf_free(m);
		ctl_error(call, CTL_ERR_INTERNAL, "no worker polls port %s", port);
		return;
	}
	if (n_pending >= TRACE_MAX_PENDING) {
		rte_pktmbuf_free(m);
		ctl_error(call, CTL_ERR_BUSY, "too many traces in flight (max %d): try again later",
			  TRACE_MAX_PENDING);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->d = ctl_defer(call, trace_cancel, t)) == NULL) {
		rte_pktmbuf_free(m);
		if (t == NULL)
			ctl_error(call, CTL_ERR_INTERNAL, "out of memory");
		free(t);
		return;
	}
	t->trace_id = id;
	t->frame_len = len;
	t->cfg = dp_config_hold(cfg);
	t->expected = 1;
	t->records = json_array();
	t->out_frames = json_array();
	t->tx = json_array();
	t->drops = json_array();
	t->deadline_tsc = rte_rdtsc() + rte_get_tsc_hz() * TRACE_TIMEOUT_MS / 1000;
	pending[n_pending++] = t;
	if (rte_ring_sp_enqueue(dp_worker_get(p->worker)->inject, m) != 0) {
		rte_pktmbuf_free(m);
		ctl_deferred_error(t->d, CTL_ERR_BUSY, "worker %u injection ring full: try again",
				   p->worker);
		pending_free(t);
	}
}
