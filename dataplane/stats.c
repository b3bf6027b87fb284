// SPDX-License-Identifier: BSD-3-Clause
// The engine's control methods: status, show.ports, stats (ports, workers, rte_graph node
// counters), drops (per reason and port), apply (transactions) and trace (synthetic, dry-run).
// Control thread only; worker counters are read with relaxed loads and summed.

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_graph.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/ctl.h"
#include "dataplane/event.h"
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/rules.h"
#include "dataplane/stats.h"
#include "dataplane/trace.h"
#include "dataplane/worker.h"

// Registries sized by what registers (they grow at start-up; running out of memory there stops
// vnetd with a message rather than dropping an entry).
static dp_port_info_fn *port_info;
static int n_port_info;
static struct periodic {
	const char *name;
	dp_periodic_fn fn;
	uint64_t period_tsc, next_tsc;
} *periodic;
static int n_periodic;

void dp_port_info_register(dp_port_info_fn fn) {
	dp_port_info_fn *p = realloc(port_info, (size_t)(n_port_info + 1) * sizeof(*p));

	if (p == NULL)
		rte_panic("dp_port_info_register: out of memory\n");
	port_info = p;
	port_info[n_port_info++] = fn;
}

void dp_periodic_register(const char *name, dp_periodic_fn fn, unsigned int period_ms) {
	struct periodic *p = realloc(periodic, (size_t)(n_periodic + 1) * sizeof(*p));

	if (p == NULL)
		rte_panic("dp_periodic_register %s: out of memory\n", name);
	periodic = p;
	periodic[n_periodic++] = (struct periodic){name, fn, rte_get_tsc_hz() * period_ms / 1000, 0};
}

void dp_periodic_run(void) {
	uint64_t now = rte_rdtsc();

	for (int i = 0; i < n_periodic; i++) {
		if (now >= periodic[i].next_tsc) {
			periodic[i].fn();
			periodic[i].next_tsc = now + periodic[i].period_tsc;
		}
	}
}

static uint64_t relaxed(const uint64_t *p) {
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static json_t *port_json(const struct dp_config *cfg, const struct dp_port *p) {
	struct dp_port_counters c = dp_port_counters_sum(p->port_id);
	struct dp_port_link link;
	json_t *o;

	dp_port_link_get(p->port_id, &link);
	o = json_pack("{sssisssisbsIsIsIsIsI}", "name", p->name, "port_id", p->port_id, "device",
		      p->device, "worker", p->worker, "link_up", link.up,
		      "rx_pkts", (json_int_t)c.rx_pkts, "rx_bytes", (json_int_t)c.rx_bytes,
		      "tx_pkts", (json_int_t)c.tx_pkts, "tx_bytes", (json_int_t)c.tx_bytes, "drops",
		      (json_int_t)c.drops);
	json_object_set_new(o, "consumed", json_integer((json_int_t)c.consumed));
	json_object_set_new(o, "injected", json_integer((json_int_t)c.injected));
	json_object_set_new(o, "copies", json_integer((json_int_t)c.copies));
	json_object_set_new(o, "sent", json_integer((json_int_t)c.sent));
	json_object_set_new(o, "system", json_boolean(p->system));
	json_t *rxq = json_array();
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		// A worker polls at most one queue of a port: its counters of the port are the queue's.
		const struct dp_lcore *lc = dp_worker_get(p->rxq_worker[q]);
		uint64_t pkts = 0, bytes = 0;

		if (lc != NULL) {
			pkts = relaxed(&lc->counters.port[p->port_id].rx_pkts);
			bytes = relaxed(&lc->counters.port[p->port_id].rx_bytes);
		}
		json_array_append_new(rxq, json_pack("{sisisIsI}", "queue", q, "worker",
						     p->rxq_worker[q], "rx_pkts", (json_int_t)pkts,
						     "rx_bytes", (json_int_t)bytes));
	}
	json_object_set_new(o, "rx_queues", rxq);
	json_object_set_new(o, "backend", json_string(link.backend));
	json_object_set_new(o, "backend_detail", json_string(link.detail));
	json_object_set_new(o, "mtu", link.mtu ? json_integer(link.mtu) : json_null());
	json_object_set_new(o, "rx_missed", json_integer((json_int_t)link.rx_missed));
	for (int i = 0; i < n_port_info; i++)
		port_info[i](cfg, p, o);
	return o;
}

static void method_show_ports(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	json_t *list = json_array();

	for (uint16_t i = 0; cfg != NULL && i < cfg->n_ports; i++)
		json_array_append_new(list, port_json(cfg, &cfg->ports[i]));
	call->result = list;
}

// What the host's vnet-agent last said about the controller (agent.report), for `status`: whether
// the rules vnetd holds may be stale. The control thread's alone.
static struct {
	bool reported;
	bool reachable;
	char controller[256];
	int64_t received_at;  // unix time the agent got its last rules (0: never)
	int64_t contact_at;   // unix time the controller last answered (0: never)
	uint64_t revision;    // the agent's revision
	time_t reported_at;   // when the agent said it
} agent;

static void method_agent_report(struct ctl_call *call) {
	const json_t *p = call->params;
	const char *ctl = json_string_value(json_object_get(p, "controller"));

	if (!json_is_object(p) || ctl == NULL || strlen(ctl) >= sizeof(agent.controller) ||
	    !json_is_boolean(json_object_get(p, "reachable")) ||
	    !json_is_integer(json_object_get(p, "received_at")) ||
	    !json_is_integer(json_object_get(p, "contact_at")) ||
	    !json_is_integer(json_object_get(p, "revision"))) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "agent.report: {\"controller\": URL, "
			  "\"reachable\": bool, \"received_at\", \"contact_at\": unix seconds, "
			  "\"revision\"} expected");
		return;
	}
	agent.reported = true;
	agent.reachable = json_is_true(json_object_get(p, "reachable"));
	snprintf(agent.controller, sizeof(agent.controller), "%s", ctl);
	agent.received_at = json_integer_value(json_object_get(p, "received_at"));
	agent.contact_at = json_integer_value(json_object_get(p, "contact_at"));
	agent.revision = (uint64_t)json_integer_value(json_object_get(p, "revision"));
	agent.reported_at = time(NULL);
	call->result = json_object();
}

static void method_status(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	time_t now = time(NULL);

	call->result = json_pack("{sIsIsisisIss}", "generation",
				 (json_int_t)(cfg ? cfg->generation : 0), "revision",
				 (json_int_t)(cfg ? cfg->revision : 0), "workers",
				 (int)dp_workers_count(), "ports", cfg ? cfg->n_ports : 0,
				 "uptime_s", (json_int_t)dp_uptime_sec(), "version", "0.1.0");
	// The rules' freshness, as the agent said it (at most every second); an agent that stopped
	// saying anything for 10 s is itself a reason to think them stale.
	if (agent.reported)
		json_object_set_new(call->result, "agent",
				    json_pack("{sssbsbsIsIsIsI}", "controller", agent.controller,
					      "controller_reachable", agent.reachable, "stale",
					      !agent.reachable || now - agent.reported_at > 10,
					      "agent_revision", (json_int_t)agent.revision,
					      "received_s_ago",
					      (json_int_t)(agent.received_at ? now - agent.received_at : -1),
					      "contact_s_ago",
					      (json_int_t)(agent.contact_at ? now - agent.contact_at : -1),
					      "reported_s_ago", (json_int_t)(now - agent.reported_at)));
}

static int node_stats_cb(bool is_first, bool is_last, void *cookie,
			 const struct rte_graph_cluster_node_stats *st) {
	json_t *list = cookie;

	RTE_SET_USED(is_first);
	RTE_SET_USED(is_last);
	json_array_append_new(list, json_pack("{sssIsIsIsf}", "name", st->name, "calls",
					      (json_int_t)st->calls, "objs", (json_int_t)st->objs,
					      "cycles", (json_int_t)st->cycles, "cycles_per_obj",
					      st->objs ? (double)st->cycles / (double)st->objs : 0.0));
	return 0;
}

static json_t *node_stats(void) {
	const char *patterns[] = {"worker-*"};
	json_t *list = json_array();
	struct rte_graph_cluster_stats_param p = {
		.socket_id = SOCKET_ID_ANY,
		.fn = node_stats_cb,
		.cookie = list,
		.nb_graph_patterns = 1,
		.graph_patterns = patterns,
	};
	struct rte_graph_cluster_stats *st = rte_graph_cluster_stats_create(&p);

	if (st != NULL) {
		rte_graph_cluster_stats_get(st, false);
		rte_graph_cluster_stats_destroy(st);
	}
	return list;
}

// The packet pool: a number of mbufs in use that grows while traffic is steady is a leak.
static json_t *mempool_json(struct rte_mempool *mp) {
	if (mp == NULL)
		return json_null();
	return json_pack("{sssIsIsI}", "name", mp->name, "size", (json_int_t)mp->size, "in_use",
			 (json_int_t)rte_mempool_in_use_count(mp), "available",
			 (json_int_t)rte_mempool_avail_count(mp));
}

static void method_stats(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	json_t *workers = json_array(), *ports = json_array();

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		const struct dp_counters *c = &dp_worker_get(w)->counters;
		json_array_append_new(
			workers,
			json_pack("{sisIsIsIsIsIsI}", "lcore", (int)dp_worker_get(w)->lcore_id,
				  "walks", (json_int_t)relaxed(&c->walks), "idle_walks",
				  (json_int_t)relaxed(&c->idle_walks), "sleeps",
				  (json_int_t)relaxed(&c->sleeps), "events_lost",
				  (json_int_t)relaxed(&c->events_lost), "trace_lost",
				  (json_int_t)relaxed(&c->trace_lost), "rx_total",
				  (json_int_t)relaxed(&c->rx_total)));
	}
	for (uint16_t i = 0; cfg != NULL && i < cfg->n_ports; i++)
		json_array_append_new(ports, port_json(cfg, &cfg->ports[i]));
	call->result = json_pack("{sIsIsIsososo}", "generation",
				 (json_int_t)(cfg ? cfg->generation : 0), "revision",
				 (json_int_t)(cfg ? cfg->revision : 0), "uptime_s",
				 (json_int_t)dp_uptime_sec(), "workers", workers, "ports", ports,
				 "nodes", node_stats());
	json_object_set_new(call->result, "mempool", mempool_json(dp_pktmbuf_pool()));
}

static const char *port_label(const struct dp_config *cfg, uint16_t port_id, char *buf,
			      size_t size) {
	const struct dp_port *p = cfg ? dp_config_port_get(cfg, port_id) : NULL;

	if (p != NULL)
		return p->name;
	snprintf(buf, size, "port%u", port_id);
	return buf;
}

static void method_drops(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	json_t *reasons = json_array();
	uint64_t total = 0;

	for (int r = 1; r < DROP__COUNT; r++) {
		json_t *ports = json_object();
		uint64_t count = 0;
		for (uint16_t p = 0; p < DP_PORTS_MAX; p++) {
			uint64_t n = dp_drops_sum(p, (unsigned int)r);
			char buf[16];
			if (n > 0)
				json_object_set_new(ports, port_label(cfg, p, buf, sizeof(buf)),
						    json_integer((json_int_t)n));
			count += n;
		}
		total += count;
		json_array_append_new(reasons, json_pack("{sssssIso}", "reason", dp_drop_names[r],
							 "description", dp_drop_descs[r], "count",
							 (json_int_t)count, "ports", ports));
	}
	// Frames the devices dropped before vnetd took them (RX ring full): not vnetd's drops, but
	// an operator asking "where did my packets go" needs them beside them.
	json_t *missed = json_object();
	uint64_t missed_total = 0;
	for (uint16_t p = 0; cfg != NULL && p < DP_PORTS_MAX; p++) {
		struct dp_port_link l;
		char buf[16];
		if (dp_config_port_get(cfg, p) == NULL)
			continue;
		dp_port_link_get(p, &l);
		if (l.rx_missed == 0)
			continue;
		json_object_set_new(missed, port_label(cfg, p, buf, sizeof(buf)),
				    json_integer((json_int_t)l.rx_missed));
		missed_total += l.rx_missed;
	}
	call->result = json_pack("{sIsosIso}", "total", (json_int_t)total, "reasons", reasons,
				 "rx_missed_total", (json_int_t)missed_total, "rx_missed", missed);
}

static void method_apply(struct ctl_call *call) {
	uint64_t generation = 0;
	char err[1024];

	if (call->params == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "apply needs a rules document or {\"ops\"}");
		return;
	}
	if (rules_apply(call->params, &generation, err, sizeof(err)) < 0) {
		ctl_error(call, CTL_ERR_REFUSED, "transaction refused, nothing changed: %s", err);
		return;
	}
	call->result = json_pack("{sIsI}", "generation", (json_int_t)generation, "revision",
				 (json_int_t)dp_config_current()->revision);
}

// The rules document in use, as vnetd holds it (the whole document after every transaction,
// whole or by ops), with its generation: what the agent gave it, to compare with the controller's.
static void method_rules_get(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const json_t *doc = rules_current();

	call->result = json_pack("{sIsIsO}", "generation", (json_int_t)(cfg ? cfg->generation : 0),
				 "revision", (json_int_t)(cfg ? cfg->revision : 0), "document",
				 doc != NULL ? (json_t *)doc : json_null());
}

void dp_stats_methods_register(void) {
	ctl_method_register("status", "generation, revision, workers, ports, uptime, the agent's report",
			    method_status);
	ctl_method_register("agent.report", "vnet-agent: the controller reachable or not, when the "
			    "rules came (shown by status)", method_agent_report);
	ctl_method_register("show.ports", "ports with counters and link state", method_show_ports);
	ctl_method_register("stats", "port, worker and graph node counters", method_stats);
	ctl_method_register("drops", "drop counters per reason and input port", method_drops);
	ctl_method_register("apply", "apply a transaction (rules document or ops)", method_apply);
	ctl_method_register("rules.get", "the rules document in use, with its generation and revision",
			    method_rules_get);
	ctl_method_register("trace", "inject a packet at a port in dry-run mode, return its path",
			    trace_method_inject);
}

