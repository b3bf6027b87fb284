// SPDX-License-Identifier: BSD-3-Clause
// Live trace (live_trace.h).

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcap/pcap.h>
#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/live_trace.h"
#include "dataplane/log.h"
#include "dataplane/trace.h"
#include "dataplane/worker.h"

uint32_t live_trace_armed;
struct live_arm live_arms[LIVE_TRACE_ARMS];

// ---- data path ----------------------------------------------------------------------------------

// The start of m into lc's snap ring; false if the ring is full.
static bool snap_put(struct dp_lcore *lc, struct rte_mbuf *m, uint32_t trace_id, uint16_t port_id,
		     uint8_t dir) {
	struct live_snap s;
	const void *src;

	s.trace_id = trace_id;
	s.len = rte_pktmbuf_pkt_len(m);
	s.dir = dir;
	s.tsc = rte_rdtsc();
	s.in_port = port_id;
	s.caplen = (uint16_t)RTE_MIN(s.len, (uint32_t)LIVE_SNAP_MAX);
	src = rte_pktmbuf_read(m, 0, s.caplen, s.data);
	if (src == NULL)
		s.caplen = 0;
	else if (src != s.data)
		memcpy(s.data, src, s.caplen);
	return rte_ring_sp_enqueue_elem(lc->snap, &s, sizeof(s)) == 0;
}

// Arm a's next packet number for m, or -1 (not wanted: filter, count reached).
static int64_t arm_take(struct live_arm *arm, struct rte_mbuf *m) {
	uint32_t k;

	if (__atomic_load_n(&arm->taken, __ATOMIC_RELAXED) >= arm->count ||
	    (arm->jit != NULL ? arm->jit(m) == 0 : arm->bpf != NULL && rte_bpf_exec(arm->bpf, m) == 0))
		return -1;
	k = __atomic_fetch_add(&arm->taken, 1, __ATOMIC_RELAXED);
	return k < arm->count ? (int64_t)k : -1;
}

void live_trace_mark(struct dp_lcore *lc, rte_node_t node, uint8_t edge, uint16_t port_id,
		     struct rte_mbuf **pkts, uint16_t n) {
	for (unsigned int a = 0; a < LIVE_TRACE_ARMS; a++) {
		struct live_arm *arm = &live_arms[a];
		if (!__atomic_load_n(&arm->active, __ATOMIC_ACQUIRE) || arm->port_id != port_id ||
		    !(arm->dir & LIVE_DIR_IN))
			continue;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			struct pkt_meta *meta = pkt_meta(m);
			int64_t k;
			if (!arm->capture && (meta->flags & PKT_F_TRACED))
				continue;
			k = arm_take(arm, m);
			if (k < 0)
				continue;
			if (!snap_put(lc, m, arm->base_id + (uint32_t)k, port_id, LIVE_DIR_IN)) {
				lc->counters.trace_lost++;
				__atomic_fetch_add(&arm->lost, 1, __ATOMIC_RELAXED);
			}
			if (arm->capture)
				continue;
			meta->flags |= PKT_F_TRACED;
			meta->trace_id = arm->base_id + (uint32_t)k;
			trace_add(lc, m, node, edge, 0);
		}
	}
}

void live_capture_tx(struct dp_lcore *lc, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n) {
	for (unsigned int a = 0; a < LIVE_TRACE_ARMS; a++) {
		struct live_arm *arm = &live_arms[a];
		if (!__atomic_load_n(&arm->active, __ATOMIC_ACQUIRE) || arm->port_id != port_id ||
		    !arm->capture || !(arm->dir & LIVE_DIR_OUT))
			continue;
		for (uint16_t i = 0; i < n; i++) {
			int64_t k = arm_take(arm, pkts[i]);
			if (k >= 0 && !snap_put(lc, pkts[i], arm->base_id + (uint32_t)k, port_id, LIVE_DIR_OUT)) {
				lc->counters.trace_lost++;
				__atomic_fetch_add(&arm->lost, 1, __ATOMIC_RELAXED);
			}
		}
	}
}

// ---- control thread -----------------------------------------------------------------------------

struct live_stream {
	struct ctl_deferred *d;
	int arm;
	char port[DP_NAME_SIZE];
	uint64_t t0_tsc, until_tsc;
	uint32_t expected, ended, records, frames;
};

static struct live_stream *streams[LIVE_TRACE_ARMS]; // by arm
static uint32_t next_id = 1;

uint32_t trace_id_next(uint32_t n) {
	uint32_t id = next_id;

	next_id += n;
	if (next_id < id || next_id == 0) { // wrapped: start again past 0
		id = 1;
		next_id = 1 + n;
	}
	return id;
}

static void disarm(int a) {
	struct rte_bpf *bpf = live_arms[a].bpf;

	__atomic_store_n(&live_arms[a].active, 0, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&live_trace_armed, 1, __ATOMIC_RELEASE);
	if (dp_rcu() != NULL)
		rte_rcu_qsbr_synchronize(dp_rcu(), RTE_QSBR_THRID_INVALID); // no worker runs it now
	live_arms[a].bpf = NULL;
	live_arms[a].jit = NULL;
	if (bpf != NULL)
		rte_bpf_destroy(bpf);
}

static void stream_end(int a, bool timed_out) {
	struct live_stream *s = streams[a];
	uint32_t taken = __atomic_load_n(&live_arms[a].taken, __ATOMIC_RELAXED);

	streams[a] = NULL;
	disarm(a);
	if (s->d != NULL)
		ctl_stream_end(s->d, json_pack("{sIsIsbsI}", "packets",
					       (json_int_t)RTE_MIN(taken, live_arms[a].count), "records",
					       (json_int_t)s->records, "timed_out", timed_out, "lost",
					       (json_int_t)__atomic_load_n(&live_arms[a].lost, __ATOMIC_RELAXED)));
	free(s);
}

static void live_cancel(struct ctl_deferred *d, void *arg) {
	struct live_stream *s = arg;

	for (int a = 0; a < LIVE_TRACE_ARMS; a++)
		if (streams[a] == s) {
			ctl_stream_end(d, NULL);
			s->d = NULL;
			stream_end(a, false);
			return;
		}
}

static int arm_of(uint32_t trace_id) {
	for (int a = 0; a < LIVE_TRACE_ARMS; a++)
		if (streams[a] != NULL && trace_id >= live_arms[a].base_id &&
		    trace_id - live_arms[a].base_id < live_arms[a].count)
			return a;
	return -1;
}

static double us_since(uint64_t t0, uint64_t t) {
	return t >= t0 ? (double)(t - t0) * 1e6 / (double)rte_get_tsc_hz() : 0;
}

bool live_trace_record(const struct trace_record *r) {
	int a = arm_of(r->trace_id);
	struct live_stream *s;
	json_t *ev;

	if (a < 0)
		return false;
	s = streams[a];
	if (r->node_id == rte_node_from_name("port_rx"))
		s->expected++;
	s->expected += r->n_copies;
	if (r->flags & TRACE_F_TERMINAL)
		s->ended++;
	s->records++;
	ev = trace_record_to_json(r, dp_config_current());
	json_object_set_new(ev, "packet", json_integer((json_int_t)(r->trace_id - live_arms[a].base_id + 1)));
	json_object_set_new(ev, "t_us", json_real(us_since(s->t0_tsc, r->tsc)));
	if (ctl_stream_send(s->d, ev) < 0)
		stream_end(a, false);
	return true;
}

void live_trace_snaps(void) {
	if (__atomic_load_n(&live_trace_armed, __ATOMIC_RELAXED) == 0)
		return;
	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		struct dp_lcore *lc = dp_worker_get(w);
		struct live_snap s;
		while (lc != NULL && lc->snap != NULL &&
		       rte_ring_sc_dequeue_elem(lc->snap, &s, sizeof(s)) == 0) {
			int a = arm_of(s.trace_id);
			char hex[2 * LIVE_SNAP_MAX + 1];
			const struct dp_config *cfg = dp_config_current();
			const struct dp_port *p = cfg ? dp_config_port_get(cfg, s.in_port) : NULL;
			if (a < 0)
				continue;
			for (unsigned int i = 0; i < s.caplen; i++)
				snprintf(hex + 2 * i, 3, "%02x", s.data[i]);
			hex[2 * s.caplen] = '\0';
			streams[a]->frames++;
			if (ctl_stream_send(streams[a]->d, json_pack("{sIsfsssssIss}", "packet",
				(json_int_t)(s.trace_id - live_arms[a].base_id + 1), "t_us",
				us_since(streams[a]->t0_tsc, s.tsc), "in_port", p ? p->name : "-",
				"direction", s.dir == LIVE_DIR_OUT ? "out" : "in",
				"len", (json_int_t)s.len, "frame", hex)) < 0)
				stream_end(a, false);
		}
	}
}

int live_trace_poll(void) {
	uint64_t now = rte_rdtsc();
	int running = 0;

	if (__atomic_load_n(&live_trace_armed, __ATOMIC_RELAXED) == 0)
		return 0;
	live_trace_snaps();
	for (int a = 0; a < LIVE_TRACE_ARMS; a++) {
		struct live_stream *s = streams[a];
		if (s == NULL)
			continue;
		uint32_t lost = __atomic_load_n(&live_arms[a].lost, __ATOMIC_RELAXED);
		if (__atomic_load_n(&live_arms[a].taken, __ATOMIC_RELAXED) >= live_arms[a].count &&
		    s->frames + lost >= live_arms[a].count &&
		    (live_arms[a].capture || (s->ended >= s->expected && s->expected > 0)))
			stream_end(a, false);
		else if (now > s->until_tsc)
			stream_end(a, true);
		else
			running++;
	}
	return running;
}

// A tcpdump filter expression as an rte_bpf program over an mbuf. NULL with err set.
static struct rte_bpf *filter_load(const char *expr, char *err, size_t es) {
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program prog;
	struct rte_bpf_prm *prm;
	struct rte_bpf *bpf = NULL;

	if (pc == NULL) {
		snprintf(err, es, "filter: libpcap could not start");
		return NULL;
	}
	if (pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, es, "filter \"%s\": %s", expr, pcap_geterr(pc));
		pcap_close(pc);
		return NULL;
	}
	prm = rte_bpf_convert(&prog);
	if (prm == NULL)
		snprintf(err, es, "filter \"%s\": rte_bpf_convert: %s", expr, rte_strerror(rte_errno));
	else if ((bpf = rte_bpf_load(prm)) == NULL)
		snprintf(err, es, "filter \"%s\": rte_bpf_load: %s", expr, rte_strerror(rte_errno));
	rte_free(prm);
	pcap_freecode(&prog);
	pcap_close(pc);
	return bpf;
}

// trace.live {port, filter?, count?, timeout_s?}: a stream of `trace.live.event`s, each a record
// ({node, next, verdict, fields, data, ..., packet, t_us}) or a packet's start ({packet, t_us,
// in_port, len, frame}); the answer {packets, records, timed_out}.
static void live_start(struct ctl_call *call, bool capture);

static void method_trace_live(struct ctl_call *call) {
	live_start(call, false);
}

// capture {port, filter?, direction? ("in" | "out" | "both"), count?, timeout_s?}: the packets'
// starts only, both ways by default; the answer {packets, lost, timed_out}.
static void method_capture(struct ctl_call *call) {
	live_start(call, true);
}

static void live_start(struct ctl_call *call, bool capture) {
	const struct dp_config *cfg = dp_config_current();
	const char *port = json_string_value(json_object_get(call->params, "port"));
	const json_t *f = json_object_get(call->params, "filter");
	const json_t *jc = json_object_get(call->params, "count");
	const json_t *jt = json_object_get(call->params, "timeout_s");
	const char *dir = json_string_value(json_object_get(call->params, "direction"));
	json_int_t count = jc != NULL ? json_integer_value(jc) : capture ? 100 : 10;
	json_int_t count_max = capture ? LIVE_CAPTURE_COUNT_MAX : LIVE_TRACE_COUNT_MAX;
	uint8_t dirs = LIVE_DIR_IN;
	json_int_t timeout = jt != NULL ? json_integer_value(jt) : 10;
	const struct dp_port *p;
	struct rte_bpf *bpf = NULL;
	struct live_stream *s;
	char err[512];
	int a;

	if (port == NULL || (f != NULL && !json_is_string(f))) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "%s needs \"port\" (and optionally "
			  "\"filter\": a tcpdump expression, \"count\", \"timeout_s\")",
			  capture ? "capture" : "trace.live");
		return;
	}
	if ((jc != NULL && !json_is_integer(jc)) || count < 1 || count > count_max) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "count: 1 to %d", (int)count_max);
		return;
	}
	if (capture) {
		dirs = dir == NULL || strcmp(dir, "both") == 0 ? LIVE_DIR_IN | LIVE_DIR_OUT
		       : strcmp(dir, "in") == 0 ? LIVE_DIR_IN : strcmp(dir, "out") == 0 ? LIVE_DIR_OUT : 0;
		if (dirs == 0) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "direction: in, out or both");
			return;
		}
	}
	if ((jt != NULL && !json_is_integer(jt)) || timeout < 1 || timeout > LIVE_TRACE_TIMEOUT_MAX) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "timeout_s: 1 to %d", LIVE_TRACE_TIMEOUT_MAX);
		return;
	}
	p = cfg ? dp_config_port_lookup(cfg, port) : NULL;
	if (p == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: no port named \"%s\"", port);
		return;
	}
	for (a = 0; a < LIVE_TRACE_ARMS && streams[a] != NULL; a++)
		;
	if (a == LIVE_TRACE_ARMS) {
		ctl_error(call, CTL_ERR_BUSY, "%d live traces and captures run already: try again "
			  "when one ends", LIVE_TRACE_ARMS);
		return;
	}
	if (f != NULL && json_string_value(f)[0] != '\0' &&
	    (bpf = filter_load(json_string_value(f), err, sizeof(err))) == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "%s", err);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->d = ctl_defer(call, live_cancel, s)) == NULL) {
		if (s == NULL)
			ctl_error(call, CTL_ERR_INTERNAL, "out of memory");
		free(s);
		if (bpf != NULL)
			rte_bpf_destroy(bpf);
		return;
	}
	snprintf(s->port, sizeof(s->port), "%s", port);
	s->arm = a;
	s->t0_tsc = rte_rdtsc();
	s->until_tsc = s->t0_tsc + (uint64_t)timeout * rte_get_tsc_hz();
	streams[a] = s;
	live_arms[a].port_id = p->port_id;
	live_arms[a].capture = capture;
	live_arms[a].dir = dirs;
	__atomic_store_n(&live_arms[a].lost, 0, __ATOMIC_RELAXED);
	live_arms[a].bpf = bpf;
	live_arms[a].jit = NULL;
	if (bpf != NULL) {
		struct rte_bpf_jit jit;
		if (rte_bpf_get_jit(bpf, &jit) == 0 && jit.func != NULL)
			live_arms[a].jit = jit.func;
	}
	live_arms[a].count = (uint32_t)count;
	live_arms[a].base_id = trace_id_next((uint32_t)count);
	__atomic_store_n(&live_arms[a].taken, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&live_arms[a].active, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&live_trace_armed, 1, __ATOMIC_RELEASE);
	// The client knows from here on that packets are being watched.
	if (ctl_stream_send(s->d, json_pack("{sbsssIsI}", "armed", 1, "port", port, "count", count,
					    "timeout_s", timeout)) < 0)
		stream_end(a, false);
}

void live_trace_methods_register(void) {
	ctl_method_register("trace.live", "mark the next real packets at a port that match a "
			    "filter, stream their records; params {port, filter, count, timeout_s}",
			    method_trace_live);
	ctl_method_register("capture", "the next packets in at or out of a port that match a "
			    "filter (their first 256 bytes); params {port, filter, direction, count, "
			    "timeout_s}", method_capture);
}
