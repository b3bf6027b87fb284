// SPDX-License-Identifier: BSD-3-Clause
// What one worker lcore owns. Allocated on the worker's socket at start-up; written only by its
// worker. The control thread reads `counters` with relaxed loads and sums them across workers.
#pragma once

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_graph.h>
#include <rte_per_lcore.h>
#include <rte_ring.h>

#include "dataplane/drop.h"
#include "dataplane/port.h"

struct dp_config;

// Per port. tx_* count what left on this port; every other field counts packets by the port they
// came in on, so that for every port, once traffic has stopped:
//     rx_pkts + injected + copies == sent + drops + consumed
// (docs/design-decisions.md, "Every packet accounted for"). Dry-run (trace) packets count nowhere.
struct dp_port_counters {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t drops;    // sum over reasons, for `show ports`
	uint64_t consumed; // addressed to vnetd itself and handled (ARP replies to the VTEP, ...)
	uint64_t injected; // built by the control thread and sent from this port (ARP, neighbours)
	uint64_t copies;   // extra packets made from this port's packets (flooding), made or not
	uint64_t sent;     // this port's packets (and their copies) that a device took
};

// Flood copies one worker may make in one graph walk, whatever the traffic: a broadcast storm
// costs a bounded amount of memory and time per walk, and no node's stream can outgrow what
// rte_graph allows (a uint16_t: it panics at 65535). Copies beyond it are dropped with
// DROP_FLOOD_COPY_LIMIT. Every node's input per walk is at most the packets polled (port_rx:
// PORT_RX_BUDGET = RTE_GRAPH_BURST_SIZE from all sources together) plus this many.
#define DP_COPIES_PER_WALK 4096
// ... and one input port at most this many of them: a port's broadcast storm leaves three
// quarters of a walk's copies to the others (their ARP and neighbour solicitations).
#define DP_COPIES_PER_PORT_WALK 1024

// Bytes of a node's own data in a trace record (trace.h).
#define TRACE_DATA_MAX 48

struct dp_counters {
	struct dp_port_counters port[DP_PORTS_MAX];
	uint64_t drops[DP_PORTS_MAX][DROP__COUNT]; // [input port][reason]
	uint64_t events_lost; // worker -> control events that found the ring full
	uint64_t trace_lost;  // trace records that found the ring full
	uint64_t walks, idle_walks, sleeps;
	uint64_t rx_total; // packets that entered the graph (ports and injection)
};

// port_rx's deficit round robin over this worker's sources (port_rx_node.c): deficit[i] of
// source i (the worker's rx_port[i], then the injection ring), and the source the next walk
// starts with. Indexed by position in the snapshot's list: after a change of the list a source
// may inherit another's deficit once, which is bounded by a quantum.
struct dp_rx_sched {
	uint16_t next;
	uint16_t deficit[DP_PORTS_MAX + 1];
};

struct dp_enqueue;

struct drop_ring;

struct dp_lcore {
	unsigned int lcore_id;
	unsigned int worker;              // 0 .. n_workers-1: also this worker's TX queue on every port
	struct rte_graph *graph;
	const struct dp_config *cfg;      // snapshot pinned for the current walk
	struct rte_ring *inject;          // SP/SC: control thread -> worker, synthetic trace packets
	struct rte_ring *events;          // SP/SC: worker -> control thread, struct dp_event
	struct rte_ring *trace;           // SP/SC: worker -> control thread, struct trace_record
	struct rte_ring *snap;            // SP/SC: worker -> control thread, struct live_snap
	struct rte_ring *dry_out;         // SP/SC: worker -> control thread, dry-run packets at port_tx
	struct drop_ring *drop_ring;      // the recent drops (drop_ring.h); worker writes, seqlocked
	uint64_t now_tsc;                 // rte_rdtsc() at the start of the current walk
	uint32_t now_sec;                 // seconds since start, at the start of the current walk
	uint32_t copies_walk;             // flood copies made in the current walk (dp_pkt_copy)
	uint32_t walk_id;                 // +1 per walk: port_copies[] entries of older walks are 0
	struct {                          // flood copies per input port in walk `walk` (dp_pkt_copy)
		uint32_t walk;
		uint32_t copies;
	} port_copies[DP_PORTS_MAX];
	uint64_t cfg_generation;          // cfg->generation, for trace records
	struct {                          // what a node noted for the packet it decides (trace.h)
		uint8_t size;
		uint16_t n_copies;
		uint8_t data[TRACE_DATA_MAX] __rte_aligned(8);
	} trace_note;
	struct dp_rx_sched rx_sched;
	// The burst node loop running now (dp_node_run_burst), for dp_node_emit: its enqueue state
	// and its stream. NULL outside it.
	struct dp_enqueue *enq;
	void **enq_objs;
	struct dp_counters counters;
} __rte_cache_aligned;

RTE_DECLARE_PER_LCORE(struct dp_lcore *, dp_lcore_self);

// Data path. The state of the calling worker lcore.
static inline struct dp_lcore *dp_lcore_get(void) {
	return RTE_PER_LCORE(dp_lcore_self);
}

// Event types carried from workers to the control thread. Each feature registers a handler for
// its type with dp_event_handler_register(); dataplane/ does not know what the payloads mean.
struct dp_event {
	uint16_t type;
	uint16_t port_id;
	uint16_t bd_id;
	uint16_t pad;
	uint8_t data[24];
};

typedef void (*dp_event_handler_fn)(const struct dp_event *ev);

// Control thread, at start-up. Returns the event type to use in dp_event_post().
uint16_t dp_event_handler_register(const char *name, dp_event_handler_fn fn);

// Data path. Post an event to the control thread; counts it as lost if the ring is full.
static inline void dp_event_post(struct dp_lcore *lc, const struct dp_event *ev) {
	if (unlikely(rte_ring_sp_enqueue_elem(lc->events, (void *)(uintptr_t)ev, sizeof(*ev)) != 0))
		lc->counters.events_lost++;
}
