// SPDX-License-Identifier: BSD-3-Clause
// The firewall log: rings per worker, drained by the control thread into the streams of
// `firewall.log` calls (fw_log.h).

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#define DP_LOG_TYPE firewall_logtype
#include "dataplane/ctl.h"
#include "dataplane/log.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"
#include "firewall/fw.h"
#include "firewall/fw_log.h"
#include "vswitch/bridge.h"

#define FW_LOG_STREAMS 16      // listeners at once
#define FW_LOG_TIMEOUT_MAX 86400

struct fw_log_worker fw_log_workers[DP_WORKERS_MAX];
bool fw_log_on;
static unsigned int n_rings;

struct fw_log_stream {
	struct ctl_deferred *d;
	char port[DP_NAME_SIZE];  // "" : any
	char tenant[DP_NAME_SIZE];
	uint32_t count, sent;     // count 0: no limit
	uint64_t until_tsc;       // 0: no end
	uint64_t suppressed0, lost0; // the workers' counts when it started
};

static struct fw_log_stream *streams[FW_LOG_STREAMS];

static uint64_t sum_suppressed(void) {
	uint64_t s = 0;
	for (unsigned int i = 0; i < n_rings; i++)
		s += __atomic_load_n(&fw_log_workers[i].suppressed, __ATOMIC_RELAXED);
	return s;
}

static uint64_t sum_lost(void) {
	uint64_t s = 0;
	for (unsigned int i = 0; i < n_rings; i++)
		s += __atomic_load_n(&fw_log_workers[i].lost, __ATOMIC_RELAXED);
	return s;
}

static void stream_end(int i) {
	struct fw_log_stream *s = streams[i];

	streams[i] = NULL;
	ctl_stream_end(s->d, json_pack("{sisIsI}", "sent", (int)s->sent, "suppressed",
				       (json_int_t)(sum_suppressed() - s->suppressed0), "lost",
				       (json_int_t)(sum_lost() - s->lost0)));
	free(s);
	bool on = false;
	for (int k = 0; k < FW_LOG_STREAMS; k++)
		on |= streams[k] != NULL;
	__atomic_store_n(&fw_log_on, on, __ATOMIC_RELAXED); // one store: workers see old or new
}

static void stream_cancel(struct ctl_deferred *d, void *arg) {
	RTE_SET_USED(d);
	for (int i = 0; i < FW_LOG_STREAMS; i++)
		if (streams[i] == arg)
			stream_end(i);
}

static json_t *rec_json(const struct fw_log_rec *r, const struct bridge_cfg *bc,
			const char *port, const char *tenant) {
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	static const char *const protos[256] = {[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
						[IPPROTO_ICMP] = "icmp", [IPPROTO_ICMPV6] = "icmp6"};

	RTE_SET_USED(bc);
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->src, s, sizeof(s));
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->dst, d, sizeof(d));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:i, s:s, s:i}", "time_ms",
			 (json_int_t)(r->tsc / (rte_get_tsc_hz() / 1000)), "port", port, "tenant",
			 tenant, "direction", r->dir == FW_EGRESS ? "egress" : "ingress", "protocol",
			 protos[r->proto] ? protos[r->proto] : "other", "protocol_number",
			 (int)r->proto, "source", s, "source_port", (int)r->sport, "destination", d,
			 "destination_port", (int)r->dport, "why",
			 r->reason ? "the port has no security group" : "no rule allows it",
			 "family", (int)r->family);
}

// Every 100 ms: drain the rings into the streams (or away when none listens), end the streams
// whose count or time is reached.
static void fw_log_drain(void) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	uint64_t now = rte_get_tsc_cycles();
	struct fw_log_rec r;

	for (unsigned int w = 0; w < n_rings; w++) {
		while (rte_ring_sc_dequeue_elem(fw_log_workers[w].ring, &r, sizeof(r)) == 0) {
			const struct bridge_port *bp = bridge_port_lookup(bc, r.port_id);
			const struct bridge *b = bp != NULL ? bridge_lookup(bc, bp->bd_id) : NULL;
			const char *port = bp != NULL ? bp->name : "?";
			const char *tenant = b != NULL ? b->tenant : "?";

			for (int i = 0; i < FW_LOG_STREAMS; i++) {
				struct fw_log_stream *s = streams[i];
				if (s == NULL || (s->port[0] && strcmp(s->port, port) != 0) ||
				    (s->tenant[0] && strcmp(s->tenant, tenant) != 0))
					continue;
				if (ctl_stream_send(s->d, rec_json(&r, bc, port, tenant)) < 0) {
					stream_end(i);
					continue;
				}
				if (++s->sent == s->count)
					stream_end(i);
			}
		}
	}
	for (int i = 0; i < FW_LOG_STREAMS; i++)
		if (streams[i] != NULL && streams[i]->until_tsc != 0 && now >= streams[i]->until_tsc)
			stream_end(i);
}

// firewall.log {port, tenant, count, timeout_s}: the denied connections from now on, as a stream.
static void method_fw_log(struct ctl_call *call) {
	const json_t *p = json_object_get(call->params, "port");
	const json_t *t = json_object_get(call->params, "tenant");
	const json_t *c = json_object_get(call->params, "count");
	const json_t *to = json_object_get(call->params, "timeout_s");
	struct fw_log_stream *s;
	int slot = -1;

	if ((p != NULL && !json_is_string(p)) || (t != NULL && !json_is_string(t)) ||
	    (c != NULL && (!json_is_integer(c) || json_integer_value(c) < 1 ||
			   json_integer_value(c) > 1000000)) ||
	    (to != NULL && (!json_is_integer(to) || json_integer_value(to) < 1 ||
			    json_integer_value(to) > FW_LOG_TIMEOUT_MAX))) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS,
			  "port and tenant are strings, count 1..1000000, timeout_s 1..%d",
			  FW_LOG_TIMEOUT_MAX);
		return;
	}
	for (int i = 0; i < FW_LOG_STREAMS && slot < 0; i++)
		if (streams[i] == NULL)
			slot = i;
	if (slot < 0) {
		ctl_error(call, CTL_ERR_BUSY, "%d firewall logs are streaming already",
			  FW_LOG_STREAMS);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ctl_error(call, CTL_ERR_INTERNAL, "out of memory");
		return;
	}
	if (p != NULL)
		snprintf(s->port, sizeof(s->port), "%s", json_string_value(p));
	if (t != NULL)
		snprintf(s->tenant, sizeof(s->tenant), "%s", json_string_value(t));
	s->count = c != NULL ? (uint32_t)json_integer_value(c) : 0;
	s->until_tsc = to != NULL ? rte_get_tsc_cycles() +
					    (uint64_t)json_integer_value(to) * rte_get_tsc_hz()
				  : 0;
	s->suppressed0 = sum_suppressed();
	s->lost0 = sum_lost();
	s->d = ctl_defer(call, stream_cancel, s);
	if (s->d == NULL) {
		free(s);
		return;
	}
	streams[slot] = s;
	__atomic_store_n(&fw_log_on, true, __ATOMIC_RELAXED);
}

int fw_log_init(unsigned int n_workers) {
	n_rings = RTE_MIN(n_workers, (unsigned int)DP_WORKERS_MAX);
	for (unsigned int w = 0; w < n_rings; w++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "fw_log%u", w);
		fw_log_workers[w].ring = rte_ring_create_elem(name, sizeof(struct fw_log_rec),
							      FW_LOG_RING, SOCKET_ID_ANY,
							      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (fw_log_workers[w].ring == NULL)
			return -ENOMEM;
	}
	ctl_method_register("firewall.log",
			    "connections the security groups deny, streamed as they happen "
			    "(rate-limited); params {port, tenant, count, timeout_s}",
			    method_fw_log);
	dp_periodic_register("firewall.log", fw_log_drain, 100);
	return 0;
}
