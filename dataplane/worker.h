// SPDX-License-Identifier: BSD-3-Clause
// Worker lcores: each runs its own rte_graph over the ports the snapshot gives it, pins one
// snapshot per walk, reports quiescence to rte_rcu_qsbr, and backs off to sleep when idle.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "dataplane/config.h"
#include "dataplane/lcore.h"

struct dp_worker_params {
	unsigned int n_workers;
	unsigned int lcores[DP_WORKERS_MAX]; // lcore id of each worker
	uint32_t idle_sleep_max_us;          // 0: never sleep (busy poll)
	uint32_t idle_polls_before_sleep;    // empty walks before the first sleep
};

// Control thread. The RCU variable workers report to; NULL before dp_workers_init().
struct rte_rcu_qsbr *dp_rcu(void);

// Control thread, at start-up after EAL. Allocate the RCU variable, per-worker state and rings.
int dp_workers_init(const struct dp_worker_params *p);

// Control thread, after every feature's init (which may add edges to nodes). One rte_graph per
// worker, built from the source node port_rx and every node reachable from it.
int dp_workers_graphs_create(void);

// Control thread. Launch the workers on their lcores.
int dp_workers_start(void);

// Control thread. Ask workers to stop and wait for them. Then free their state.
void dp_workers_stop(void);

// Any thread. Number of workers (0 before init).
unsigned int dp_workers_count(void);

// Control thread. The state of worker `w` (for counters, rings), or NULL.
struct dp_lcore *dp_worker_get(unsigned int w);

// Any thread. One port's counters summed over every worker (relaxed loads), by DPDK port id.
struct dp_port_counters dp_port_counters_sum(uint16_t port_id);

// Any thread. Drops of `reason` counted on input port `port_id`, summed over every worker.
uint64_t dp_drops_sum(uint16_t port_id, unsigned int reason);

// Control thread. Zero every worker's counters of DPDK port `port_id` (traffic and drops), for a
// port that no published snapshot uses: a new port that reuses the id of a removed one starts at
// zero. No worker writes them then (the removal's grace period has passed), so plain stores do.
void dp_port_counters_reset(uint16_t port_id);

// Control thread. Seconds since vnetd started (the clock that age fields use).
uint32_t dp_uptime_sec(void);

// Any thread (the first call from the control thread). This vnetd's own MAC: 0e and 5 random
// bytes (locally administered, unicast), drawn once per process. Features source frames of their
// own from it where a shared MAC would let another host take the answer (vrouter's ARP and
// neighbour solicitations for next hops).
struct rte_ether_addr;
const struct rte_ether_addr *dp_host_mac(void);
