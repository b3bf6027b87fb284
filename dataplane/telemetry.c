// SPDX-License-Identifier: BSD-3-Clause
// vnetd under rte_telemetry (see telemetry.h): the engine's commands (/vnet/info, /vnet/ports,
// /vnet/drops, /vnet/workers, /vnet/nodes) and the guard every command runs under.

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_graph.h>
#include <rte_rcu_qsbr.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/drop.h"
#include "dataplane/log.h"
#include "dataplane/telemetry.h"
#include "dataplane/worker.h"

// The telemetry thread's RCU reader id: one past every lcore a worker can have.
#define TEL_RCU_ID (RTE_MAX_LCORE - 1)

struct tel_cmd {
	char cmd[64];
	dp_telemetry_fn fn;
	STAILQ_ENTRY(tel_cmd) next;
};

static STAILQ_HEAD(, tel_cmd) cmds = STAILQ_HEAD_INITIALIZER(cmds);
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; // held by a callback while it runs
static bool live;     // under `lock`: between dp_telemetry_start and dp_telemetry_stop
static bool rcu_registered;

// Telemetry thread. Every /vnet command comes here: find it, and run it on the current snapshot
// while vnetd is up.
static int tel_dispatch(const char *cmd, const char *params, struct rte_tel_data *d) {
	struct rte_rcu_qsbr *rcu;
	struct tel_cmd *c;
	int ret = -EAGAIN;

	STAILQ_FOREACH(c, &cmds, next)
		if (strcmp(c->cmd, cmd) == 0)
			break;
	if (c == NULL)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	rcu = dp_rcu();
	if (live && rcu != NULL) {
		const struct dp_config *cfg;

		rte_rcu_qsbr_thread_online(rcu, TEL_RCU_ID);
		cfg = dp_config_current();
		ret = cfg != NULL ? c->fn(cfg, params, d) : -EAGAIN;
		rte_rcu_qsbr_thread_offline(rcu, TEL_RCU_ID);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

int dp_telemetry_register(const char *name, dp_telemetry_fn fn, const char *help) {
	struct tel_cmd *c = calloc(1, sizeof(*c));
	int ret;

	if (c == NULL)
		return -ENOMEM;
	snprintf(c->cmd, sizeof(c->cmd), "/vnet/%s", name);
	c->fn = fn;
	ret = rte_telemetry_register_cmd(c->cmd, tel_dispatch, help);
	if (ret < 0) {
		LOG(ERR, "rte_telemetry_register_cmd %s: %s", c->cmd, strerror(-ret));
		free(c);
		return ret;
	}
	STAILQ_INSERT_TAIL(&cmds, c, next);
	return 0;
}

void dp_telemetry_start(void) {
	pthread_mutex_lock(&lock);
	if (!rcu_registered && dp_rcu() != NULL &&
	    rte_rcu_qsbr_thread_register(dp_rcu(), TEL_RCU_ID) == 0)
		rcu_registered = true;
	live = rcu_registered;
	pthread_mutex_unlock(&lock);
}

void dp_telemetry_stop(void) {
	pthread_mutex_lock(&lock);
	live = false;
	if (rcu_registered)
		rte_rcu_qsbr_thread_unregister(dp_rcu(), TEL_RCU_ID);
	rcu_registered = false;
	pthread_mutex_unlock(&lock);
}

static int tel_info(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", cfg->generation);
	rte_tel_data_add_dict_u64(d, "revision", cfg->revision);
	rte_tel_data_add_dict_u64(d, "workers", dp_workers_count());
	rte_tel_data_add_dict_u64(d, "ports", cfg->n_ports);
	rte_tel_data_add_dict_u64(d, "uptime_s", dp_uptime_sec());
	return 0;
}

// One port's counters as a dictionary (the fields of `show ports --json`). Its name is a value,
// not a key: telemetry keys allow only letters, digits, '_' and '/', port names more.
static struct rte_tel_data *port_dict(const struct dp_port *port) {
	struct dp_port_counters c = dp_port_counters_sum(port->port_id);
	struct rte_tel_data *p = rte_tel_data_alloc();

	if (p == NULL)
		return NULL;
	rte_tel_data_start_dict(p);
	rte_tel_data_add_dict_string(p, "name", port->name);
	rte_tel_data_add_dict_u64(p, "port_id", port->port_id);
	rte_tel_data_add_dict_u64(p, "rx_pkts", c.rx_pkts);
	rte_tel_data_add_dict_u64(p, "rx_bytes", c.rx_bytes);
	rte_tel_data_add_dict_u64(p, "tx_pkts", c.tx_pkts);
	rte_tel_data_add_dict_u64(p, "tx_bytes", c.tx_bytes);
	rte_tel_data_add_dict_u64(p, "drops", c.drops);
	rte_tel_data_add_dict_u64(p, "consumed", c.consumed);
	rte_tel_data_add_dict_u64(p, "injected", c.injected);
	rte_tel_data_add_dict_u64(p, "copies", c.copies);
	rte_tel_data_add_dict_u64(p, "sent", c.sent);
	return p;
}

// The key of a port: its name where telemetry allows it as a key (letters, digits, '_', '/'),
// else "port<DPDK id>". The name is in the port's dictionary either way.
static const char *port_key(const struct dp_port *p, char *buf, size_t size) {
	for (const char *c = p->name; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '/') {
			snprintf(buf, size, "port%u", p->port_id);
			return buf;
		}
	return p->name;
}

// /vnet/ports: every port's counters; /vnet/ports,NAME: that port alone.
static int tel_ports(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct dp_port *p = &cfg->ports[i];
		struct rte_tel_data *pd;
		char key[16];

		if (params != NULL && *params != '\0' && strcmp(params, p->name) != 0)
			continue;
		pd = port_dict(p);
		if (pd == NULL ||
		    rte_tel_data_add_dict_container(d, port_key(p, key, sizeof(key)), pd, 0) < 0) {
			rte_tel_data_free(pd);
			return -ENOMEM;
		}
	}
	return 0;
}

// /vnet/drops: every reason with its count over all ports; /vnet/drops,PORT: on that port.
static int tel_drops(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	const struct dp_port *only = NULL;

	if (params != NULL && *params != '\0') {
		only = dp_config_port_lookup(cfg, params);
		if (only == NULL)
			return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	for (unsigned int r = 1; r < DROP__COUNT; r++) {
		uint64_t n = 0;

		for (uint16_t p = 0; p < DP_PORTS_MAX; p++)
			if (only == NULL || only->port_id == p)
				n += dp_drops_sum(p, r);
		rte_tel_data_add_dict_u64(d, dp_drop_names[r], n);
	}
	return 0;
}

static int tel_workers(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	RTE_SET_USED(cfg);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		const struct dp_lcore *lc = dp_worker_get(w);
		struct rte_tel_data *wd;
		char name[32];

		if (lc == NULL)
			continue;
		wd = rte_tel_data_alloc();
		if (wd == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "lcore", lc->lcore_id);
		rte_tel_data_add_dict_u64(wd, "walks", __atomic_load_n(&lc->counters.walks, __ATOMIC_RELAXED));
		rte_tel_data_add_dict_u64(wd, "idle_walks",
					  __atomic_load_n(&lc->counters.idle_walks, __ATOMIC_RELAXED));
		rte_tel_data_add_dict_u64(wd, "sleeps", __atomic_load_n(&lc->counters.sleeps, __ATOMIC_RELAXED));
		rte_tel_data_add_dict_u64(wd, "events_lost",
					  __atomic_load_n(&lc->counters.events_lost, __ATOMIC_RELAXED));
		rte_tel_data_add_dict_u64(wd, "trace_lost",
					  __atomic_load_n(&lc->counters.trace_lost, __ATOMIC_RELAXED));
		rte_tel_data_add_dict_u64(wd, "rx_total",
					  __atomic_load_n(&lc->counters.rx_total, __ATOMIC_RELAXED));
		snprintf(name, sizeof(name), "worker%u", w);
		if (rte_tel_data_add_dict_container(d, name, wd, 0) < 0) {
			rte_tel_data_free(wd);
			return -ENOMEM;
		}
	}
	return 0;
}

static int node_stats_cb(bool is_first, bool is_last, void *cookie,
			 const struct rte_graph_cluster_node_stats *st) {
	struct rte_tel_data *d = cookie, *nd = rte_tel_data_alloc();

	RTE_SET_USED(is_first);
	RTE_SET_USED(is_last);
	if (nd == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(nd);
	rte_tel_data_add_dict_u64(nd, "calls", st->calls);
	rte_tel_data_add_dict_u64(nd, "objs", st->objs);
	rte_tel_data_add_dict_u64(nd, "cycles", st->cycles);
	if (rte_tel_data_add_dict_container(d, st->name, nd, 0) < 0)
		rte_tel_data_free(nd);
	return 0;
}

// /vnet/nodes: rte_graph's counters of every node, summed over the workers' graphs.
static int tel_nodes(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	const char *patterns[] = {"worker-*"};
	struct rte_graph_cluster_stats_param p = {
		.socket_id = SOCKET_ID_ANY,
		.fn = node_stats_cb,
		.cookie = d,
		.nb_graph_patterns = 1,
		.graph_patterns = patterns,
	};
	struct rte_graph_cluster_stats *st;

	RTE_SET_USED(cfg);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	st = rte_graph_cluster_stats_create(&p);
	if (st == NULL)
		return 0; // no worker graph (yet)
	rte_graph_cluster_stats_get(st, false);
	rte_graph_cluster_stats_destroy(st);
	return 0;
}

RTE_INIT(dp_telemetry_engine) {
	dp_telemetry_register("info", tel_info, "vnetd: generation, revision, workers, ports, uptime");
	dp_telemetry_register("ports", tel_ports,
			      "counters of every port (or of one: /vnet/ports,NAME); see vnetctl show stats");
	dp_telemetry_register("drops", tel_drops,
			      "drops by reason over every port (or one: /vnet/drops,PORT)");
	dp_telemetry_register("workers", tel_workers, "worker walks, sleeps, lost events and records");
	dp_telemetry_register("nodes", tel_nodes, "graph node calls, packets and cycles");
}
