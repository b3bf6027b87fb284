// SPDX-License-Identifier: BSD-3-Clause
// Worker lcores: one rte_graph each, one snapshot pinned per walk, RCU quiescence after each walk,
// and an idle back-off (exponential sleep up to idle_sleep_max_us) so that several vnetd share a
// small machine. The graph is built from the source node port_rx; rte_graph adds every node
// reachable through edges.

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_graph.h>
#include <rte_graph_worker.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/config.h"
#include "dataplane/log.h"
#include "dataplane/trace.h"
#include "dataplane/drop_ring.h"
#include "dataplane/live_trace.h"
#include "dataplane/worker.h"

RTE_DEFINE_PER_LCORE(struct dp_lcore *, dp_lcore_self);

#define DP_EVENT_RING_SIZE 4096
#define DP_DRY_OUT_RING_SIZE 256 // synthetic traces' packets as they would leave (port_tx)
#define DP_TRACE_RING_SIZE 4096
#define DP_INJECT_RING_SIZE 64

static struct dp_worker_params wparams;
static struct dp_lcore *workers[DP_WORKERS_MAX];
static struct rte_rcu_qsbr *rcu;
static atomic_bool stopping;
static uint64_t start_tsc;

struct rte_rcu_qsbr *dp_rcu(void) {
	return rcu;
}

unsigned int dp_workers_count(void) {
	return wparams.n_workers;
}

struct dp_lcore *dp_worker_get(unsigned int w) {
	return w < wparams.n_workers ? workers[w] : NULL;
}

static uint64_t relaxed(const uint64_t *p) {
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

struct dp_port_counters dp_port_counters_sum(uint16_t port_id) {
	struct dp_port_counters sum = {0};

	for (unsigned int w = 0; w < wparams.n_workers && port_id < DP_PORTS_MAX; w++) {
		const struct dp_port_counters *c;

		if (workers[w] == NULL)
			continue;
		c = &workers[w]->counters.port[port_id];
		sum.rx_pkts += relaxed(&c->rx_pkts);
		sum.rx_bytes += relaxed(&c->rx_bytes);
		sum.tx_pkts += relaxed(&c->tx_pkts);
		sum.tx_bytes += relaxed(&c->tx_bytes);
		sum.drops += relaxed(&c->drops);
		sum.consumed += relaxed(&c->consumed);
		sum.injected += relaxed(&c->injected);
		sum.copies += relaxed(&c->copies);
		sum.sent += relaxed(&c->sent);
	}
	return sum;
}

uint64_t dp_drops_sum(uint16_t port_id, unsigned int reason) {
	uint64_t n = 0;

	for (unsigned int w = 0; w < wparams.n_workers && port_id < DP_PORTS_MAX; w++)
		if (workers[w] != NULL && reason < DROP__COUNT)
			n += relaxed(&workers[w]->counters.drops[port_id][reason]);
	return n;
}

void dp_port_rx_drop(uint16_t port_id, uint16_t reason, uint32_t bytes) {
	struct dp_lcore *lc = dp_lcore_get();
	struct dp_port_counters *pc;

	if (lc == NULL || port_id >= DP_PORTS_MAX || reason >= DROP__COUNT)
		return;
	pc = &lc->counters.port[port_id];
	pc->rx_pkts++;
	pc->rx_bytes += bytes;
	pc->drops++;
	lc->counters.drops[port_id][reason]++;
}

void dp_port_counters_reset(uint16_t port_id) {
	if (port_id >= DP_PORTS_MAX)
		return;
	for (unsigned int w = 0; w < wparams.n_workers; w++) {
		struct dp_counters *c = &workers[w]->counters;

		memset(&c->port[port_id], 0, sizeof(c->port[port_id]));
		memset(c->drops[port_id], 0, sizeof(c->drops[port_id]));
	}
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
}

uint32_t dp_uptime_sec(void) {
	return (uint32_t)((rte_rdtsc() - start_tsc) / rte_get_tsc_hz());
}

const struct rte_ether_addr *dp_host_mac(void) {
	static struct rte_ether_addr mac;

	if (mac.addr_bytes[0] == 0) {
		uint64_t r = rte_rand();
		mac.addr_bytes[0] = 0x0e; // locally administered, unicast
		memcpy(&mac.addr_bytes[1], &r, 5);
	}
	return &mac;
}

static int worker_alloc(unsigned int w) {
	unsigned int lcore = wparams.lcores[w];
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct dp_lcore *lc;
	char name[RTE_RING_NAMESIZE];

	lc = rte_zmalloc_socket("dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, socket);
	if (lc == NULL)
		return -ENOMEM;
	workers[w] = lc;
	lc->lcore_id = lcore;
	lc->worker = w;
	snprintf(name, sizeof(name), "ev%u", w);
	lc->events = rte_ring_create_elem(name, sizeof(struct dp_event), DP_EVENT_RING_SIZE,
					  socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "tr%u", w);
	lc->trace = rte_ring_create_elem(name, sizeof(struct trace_record), DP_TRACE_RING_SIZE,
					 socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	lc->drop_ring = rte_zmalloc_socket("drop_ring", sizeof(struct drop_ring), RTE_CACHE_LINE_SIZE,
					   socket);
	snprintf(name, sizeof(name), "snap%u", w);
	lc->snap = rte_ring_create_elem(name, sizeof(struct live_snap), DP_SNAP_RING_SIZE, socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dry%u", w);
	lc->dry_out = rte_ring_create(name, DP_DRY_OUT_RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "inj%u", w);
	lc->inject = rte_ring_create(name, DP_INJECT_RING_SIZE, socket,
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (lc->events == NULL || lc->trace == NULL || lc->inject == NULL || lc->snap == NULL ||
	    lc->drop_ring == NULL || lc->dry_out == NULL) {
		LOG(ERR, "rte_ring_create worker=%u: %s", w, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int worker_graph_create(struct dp_lcore *lc) {
	const char *patterns[] = {"port_rx"};
	struct rte_graph_param gp = {
		.socket_id = (int)rte_lcore_to_socket_id(lc->lcore_id),
		.nb_node_patterns = 1,
		.node_patterns = patterns,
	};
	char name[RTE_GRAPH_NAMESIZE];

	snprintf(name, sizeof(name), "worker-%u", lc->worker);
	// rte_graph_create runs node init callbacks, which may look at the creating lcore's state.
	RTE_PER_LCORE(dp_lcore_self) = lc;
	if (rte_graph_create(name, &gp) == RTE_GRAPH_ID_INVALID) {
		LOG(ERR, "rte_graph_create %s: %s", name, rte_strerror(rte_errno));
		RTE_PER_LCORE(dp_lcore_self) = NULL;
		return -rte_errno ? -rte_errno : -EINVAL;
	}
	lc->graph = rte_graph_lookup(name);
	RTE_PER_LCORE(dp_lcore_self) = NULL;
	return 0;
}

int dp_workers_graphs_create(void) {
	for (unsigned int w = 0; w < wparams.n_workers; w++) {
		int ret = worker_graph_create(workers[w]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int dp_workers_init(const struct dp_worker_params *p) {
	size_t size;
	int ret;

	if (p->n_workers == 0 || p->n_workers > DP_WORKERS_MAX)
		return -EINVAL;
	wparams = *p;
	start_tsc = rte_rdtsc();
	size = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	rcu = rte_zmalloc("dp_rcu", size, RTE_CACHE_LINE_SIZE);
	if (rcu == NULL || rte_rcu_qsbr_init(rcu, RTE_MAX_LCORE) != 0)
		return -ENOMEM;
	for (unsigned int w = 0; w < p->n_workers; w++) {
		ret = worker_alloc(w);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void worker_idle(struct dp_lcore *lc, uint32_t *idle) {
	uint32_t over, us;
	struct timespec ts;

	lc->counters.idle_walks++;
	if (wparams.idle_sleep_max_us == 0 || ++*idle < wparams.idle_polls_before_sleep)
		return;
	over = *idle - wparams.idle_polls_before_sleep;
	us = over >= 10 ? wparams.idle_sleep_max_us : RTE_MIN(1u << over, wparams.idle_sleep_max_us);
	lc->counters.sleeps++;
	// Offline while asleep: a publication need not wait for a sleeping worker.
	rte_rcu_qsbr_thread_offline(rcu, lc->lcore_id);
	ts = (struct timespec){.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(rcu, lc->lcore_id);
}

static int worker_main(void *arg) {
	struct dp_lcore *lc = arg;
	uint64_t hz = rte_get_tsc_hz();
	uint32_t idle = 0;

	RTE_PER_LCORE(dp_lcore_self) = lc;
	rte_rcu_qsbr_thread_register(rcu, lc->lcore_id);
	rte_rcu_qsbr_thread_online(rcu, lc->lcore_id);
	LOG(INFO, "worker=%u lcore=%u running", lc->worker, lc->lcore_id);

	while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
		uint64_t before = lc->counters.rx_total;

		lc->now_tsc = rte_rdtsc();
		lc->now_sec = (uint32_t)((lc->now_tsc - start_tsc) / hz);
		// One snapshot per walk: every node in this walk sees the same config.
		lc->cfg = dp_config_current();
		lc->cfg_generation = lc->cfg != NULL ? lc->cfg->generation : 0;
		lc->copies_walk = 0;
		lc->walk_id++;
		rte_graph_walk(lc->graph);
		lc->counters.walks++;
		// No pointer from this walk survives past here.
		rte_rcu_qsbr_quiescent(rcu, lc->lcore_id);
		if (lc->counters.rx_total == before)
			worker_idle(lc, &idle);
		else
			idle = 0;
	}
	rte_rcu_qsbr_thread_offline(rcu, lc->lcore_id);
	rte_rcu_qsbr_thread_unregister(rcu, lc->lcore_id);
	return 0;
}

int dp_workers_start(void) {
	for (unsigned int w = 0; w < wparams.n_workers; w++) {
		int ret = rte_eal_remote_launch(worker_main, workers[w], wparams.lcores[w]);
		if (ret < 0) {
			LOG(ERR, "rte_eal_remote_launch lcore=%u: %s", wparams.lcores[w],
			    rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void dp_workers_stop(void) {
	atomic_store(&stopping, true);
	rte_eal_mp_wait_lcore();
	for (unsigned int w = 0; w < wparams.n_workers; w++) {
		if (workers[w] == NULL)
			continue;
		if (workers[w]->graph != NULL)
			rte_graph_destroy(rte_graph_from_name(workers[w]->graph->name));
		rte_ring_free(workers[w]->events);
		rte_ring_free(workers[w]->trace);
		rte_ring_free(workers[w]->inject);
		rte_free(workers[w]);
		workers[w] = NULL;
	}
	rte_free(rcu);
	rcu = NULL;
}
