// SPDX-License-Identifier: BSD-3-Clause
// The configuration snapshot: everything workers read, built whole by a transaction off the fast
// path and published by one pointer swap (dp_config_publish). Thread-safety: written only by the
// control thread before publication, then immutable; workers pin one snapshot per graph walk and
// the previous one is freed after an rte_rcu_qsbr grace period.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ethdev.h>

#include "dataplane/port.h"

#define DP_WORKERS_MAX 16
#define DP_SECTIONS_MAX 8
#define DP_NAME_SIZE 64
#define DP_DEVARGS_SIZE 256
#define DP_PORT_RXQ_MAX DP_WORKERS_MAX // RX queues of one port that vnetd polls

// One attached DPDK port: a vNIC of the rules document.
struct dp_port {
	char name[DP_NAME_SIZE];       // rules id ("web-1")
	char device[DP_DEVARGS_SIZE];  // devargs it was probed with ("net_tap0,iface=vnet-web-1")
	uint16_t port_id;              // vnet port id (dataplane/port.h)
	uint16_t worker;               // worker that polls its RX queue 0 (and gets its injections)
	uint16_t n_rxq;                // RX queues polled (the backend's, at most one per worker)
	uint8_t rxq_worker[DP_PORT_RXQ_MAX]; // worker that polls each
	uint8_t rx_edge;               // port_rx edge its packets take (0: parse, a vNIC)
	bool system;                   // a feature's port (the underlay), not a rules document port
};

struct dp_config {
	uint64_t generation;  // 1 for the first published snapshot, +1 per publication
	uint64_t revision;    // "revision" of the rules document it was built from
	json_t *doc;          // that document (control thread only; workers never read it)
	uint16_t n_ports;
	struct dp_port ports[DP_PORTS_MAX];                 // dense, in document order
	const struct dp_port *by_port_id[DP_PORTS_MAX];     // NULL if not in this snapshot
	struct {
		uint16_t n_rx;
		uint16_t rx_port[DP_PORTS_MAX];  // a worker polls at most one queue of each port
		uint16_t rx_queue[DP_PORTS_MAX];
		uint8_t rx_edge[DP_PORTS_MAX]; // port_rx edge of rx_port[i]; 0 for vNICs
	} workers[DP_WORKERS_MAX];
	void *section[DP_SECTIONS_MAX];  // feature data, indexed by rules_section.index
	// Per section: the generation of its data, bumped only when that section's data is rebuilt
	// (an unchanged section keeps its data and its generation). Caches of one section's tables
	// key on it, so that changes elsewhere do not flush them.
	uint64_t section_generation[DP_SECTIONS_MAX];
	// Control thread only: the shared ownership of section[i] (dataplane/rules_ctx.h).
	struct rules_section_state *section_state[DP_SECTIONS_MAX];
	// Control thread only: holders that need the snapshot after it is replaced (a trace formats
	// its records with the snapshot its packet walked); freed when the last lets go.
	unsigned int holds;
	bool retired;
};

// Data path. The snapshot to use for the next graph walk; NULL only before the first publication.
const struct dp_config *dp_config_current(void);

// Any thread. The port named `name` in `cfg`, or NULL.
const struct dp_port *dp_config_port_lookup(const struct dp_config *cfg, const char *name);

// Any thread. The port with DPDK id `port_id` in `cfg`, or NULL.
static inline const struct dp_port *dp_config_port_get(const struct dp_config *cfg,
						       uint16_t port_id) {
	return port_id < DP_PORTS_MAX ? cfg->by_port_id[port_id] : NULL;
}

// Control thread. Make `next` current (setting its generation) and wait for a grace period.
// Takes ownership of `next`. Returns the previous snapshot, which no worker can see any more:
// the caller frees it with dp_config_free().
struct dp_config *dp_config_publish(struct dp_config *next);

// Control thread. Free a snapshot that is not (or no longer) visible to workers. Accepts NULL.
void dp_config_free(struct dp_config *cfg);

// Control thread. Keep `cfg` (published or retired by a later publication) readable until
// dp_config_release(); dp_config_free() of a held snapshot waits for the last release. Returns cfg.
const struct dp_config *dp_config_hold(const struct dp_config *cfg);
void dp_config_release(const struct dp_config *cfg);

// Control thread, at shutdown (workers stopped). Unpublish; returns the last snapshot to free.
struct dp_config *dp_config_publish_none(void);

// Control thread, at start-up (a feature's init). A port that every snapshot carries, whatever the
// rules document says (the underlay): its packets take port_rx's edge `rx_edge` (see
// dp_port_rx_edge_add). `name` is reserved: no rules port may use it. Returns 0 or -ENOSPC.
int dp_system_port_add(const char *name, const char *device, uint16_t port_id, uint8_t rx_edge);

// Control thread, before the graphs exist. Add node `node_name` as a next node of port_rx, for
// the packets of system ports. Returns the edge index (> 0) or -EINVAL.
int dp_port_rx_edge_add(const char *node_name);

// Control thread. Hand `m`, whose metadata the caller set (in_port: a port of the current
// snapshot, whose worker takes it; bd_id, flags, offsets...), to the graph at port_rx's edge
// `edge` (from dp_port_rx_edge_add): a feature's own packets (a held packet sent on, an ARP
// request into a network). Counted as injected on in_port. Takes ownership of `m`. Returns 0,
// -ENODEV (no such port, or no worker) or -ENOBUFS (ring full; freed).
int dp_ctl_inject(struct rte_mbuf *m, uint8_t edge);

// Control thread. Send `m` (a complete frame) out of `port_id` through the worker that polls it:
// the packet is handed to that worker, which passes it to port_tx. Takes ownership of `m`.
// Returns 0, -ENODEV (no such port in the current snapshot) or -ENOBUFS (ring full; freed).
int dp_ctl_tx(uint16_t port_id, struct rte_mbuf *m);
