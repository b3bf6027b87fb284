// SPDX-License-Identifier: BSD-3-Clause
// Synthetic trace: the control thread builds the packet, marks it traced and dry-run, posts it to
// the injection ring of the worker that polls the port, and collects that worker's records until
// every copy of the packet has reached a terminal node (port_tx or pkt_drop).

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/port.h"
#include "dataplane/trace.h"
#include "dataplane/worker.h"

#define TRACE_MAX_RECORDS 1024
#define TRACE_TIMEOUT_MS 2000

static uint32_t next_trace_id = 1;

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

static struct rte_mbuf *trace_packet(const uint8_t *data, int len, uint16_t port_id,
				     uint32_t trace_id) {
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_pktmbuf_pool());
	char *dst;

	if (m == NULL)
		return NULL;
	dst = rte_pktmbuf_append(m, (uint16_t)len);
	if (dst == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(dst, data, (size_t)len);
	pkt_meta_reset(pkt_meta(m), port_id);
	pkt_meta(m)->flags = PKT_F_TRACED | PKT_F_DRY_RUN;
	pkt_meta(m)->trace_id = trace_id;
	m->port = port_id;
	return m;
}

// Collect the records of `trace_id` from worker `lc` into `records` until every copy ended.
static int trace_collect(struct dp_lcore *lc, uint32_t trace_id, json_t *records,
			 json_t *verdict_tx, json_t *verdict_drops) {
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * TRACE_TIMEOUT_MS / 1000;
	int expected = 1, ended = 0;
	struct trace_record r;

	while (ended < expected) {
		if (rte_ring_sc_dequeue_elem(lc->trace, &r, sizeof(r)) != 0) {
			struct timespec ts = {.tv_nsec = 100000};
			if (rte_rdtsc() > deadline)
				return -ETIMEDOUT;
			nanosleep(&ts, NULL);
			continue;
		}
		if (r.trace_id != trace_id)
			continue; // a record of an earlier, timed-out trace
		if (json_array_size(records) < TRACE_MAX_RECORDS)
			json_array_append_new(records, trace_record_to_json(&r));
		expected += r.n_copies;
		if (!(r.flags & TRACE_F_TERMINAL))
			continue;
		ended++;
		json_t *last = json_array_get(records, json_array_size(records) - 1);
		if (strcmp(json_string_value(json_object_get(last, "verdict")), "consumed") == 0)
			json_array_append_new(verdict_tx, json_string("(vnetd)"));
		else if (r.drop_reason != DROP_NONE)
			json_array_append_new(verdict_drops,
					      json_pack("{ssss}", "reason",
							dp_drop_names[r.drop_reason], "description",
							dp_drop_descs[r.drop_reason]));
		else
			json_array_append(verdict_tx, json_object_get(last, "out_port"));
	}
	return 0;
}

static json_t *verdict_json(json_t *tx, json_t *drops) {
	if (json_array_size(drops) == 0)
		return json_pack("{ssso}", "action", "tx", "ports", tx);
	if (json_array_size(tx) == 0 && json_array_size(drops) == 1) {
		json_t *d = json_incref(json_array_get(drops, 0));
		json_decref(tx);
		json_decref(drops);
		json_object_set_new(d, "action", json_string("drop"));
		return d;
	}
	return json_pack("{sssoso}", "action", "mixed", "tx", tx, "drops", drops);
}

void trace_method_inject(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const char *port = json_string_value(json_object_get(call->params, "port"));
	const char *hex = json_string_value(json_object_get(call->params, "packet"));
	json_t *records, *tx, *drops;
	const struct dp_port *p;
	static uint8_t data[9216];
	struct rte_mbuf *m;
	uint32_t id;
	int len;

	if (port == NULL || hex == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "trace needs \"port\" and \"packet\" (hex)");
		return;
	}
	p = cfg ? dp_config_port_lookup(cfg, port) : NULL;
	if (p == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: no port named \"%s\"", port);
		return;
	}
	len = hex_decode(hex, data, sizeof(data));
	if (len <= 0) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS,
			  "packet: not a hex string of 1..%zu bytes", sizeof(data));
		return;
	}
	id = next_trace_id++;
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
	if (rte_ring_sp_enqueue(dp_worker_get(p->worker)->inject, m) != 0) {
		rte_pktmbuf_free(m);
		ctl_error(call, CTL_ERR_INTERNAL, "worker %u injection ring full", p->worker);
		return;
	}
	records = json_array();
	tx = json_array();
	drops = json_array();
	if (trace_collect(dp_worker_get(p->worker), id, records, tx, drops) < 0) {
		json_decref(records);
		json_decref(tx);
		json_decref(drops);
		ctl_error(call, CTL_ERR_INTERNAL, "trace %u: no verdict within %d ms", id,
			  TRACE_TIMEOUT_MS);
		return;
	}
	call->result = json_pack("{sisoso}", "trace_id", (int)id, "records", records, "verdict",
				 verdict_json(tx, drops));
}
