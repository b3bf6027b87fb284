// SPDX-License-Identifier: BSD-3-Clause
// Live trace (`vnetctl trace live`, method `trace.live`; docs/vnetctl.md): the next N real
// packets that come in at a port and match a tcpdump filter (libpcap's pcap_compile, converted
// with rte_bpf_convert, run with rte_bpf) are marked traced; every node then records them as it
// does synthetic traces (trace.h), and the control thread streams the records, with the time
// each was made, and the first LIVE_SNAP_MAX bytes of each packet (for a pcapng file).
//
// Data path cost: with no live trace armed, one load and test of `live_trace_armed` per port
// poll (live_trace_rx). Armed: the filter for the packets of the armed port only.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_graph.h>
#include <rte_mbuf.h>

#include "dataplane/lcore.h"

#define LIVE_TRACE_ARMS 4           // live traces armed at once, in all of vnetd
#define LIVE_TRACE_COUNT_MAX 1000   // packets one live trace marks
#define LIVE_TRACE_TIMEOUT_MAX 3600 // seconds one may wait
#define LIVE_SNAP_MAX 1536          // bytes of each marked packet sent to the client (MTU 1500)
#define DP_SNAP_RING_SIZE 128       // per worker: marked packets' bytes for the control thread

// Worker -> control thread (lc->snap): the start of a marked packet.
struct live_snap {
	uint32_t trace_id;
	uint32_t len;      // the packet's length
	uint8_t dir;       // LIVE_DIR_IN or LIVE_DIR_OUT
	uint64_t tsc;
	uint16_t in_port;
	uint16_t caplen;   // bytes in data
	uint8_t data[LIVE_SNAP_MAX];
};

// One armed trace. Written by the control thread (under the RCU of dp_rcu() for bpf), read by
// the workers: `active` last when arming, first when disarming.
#define LIVE_DIR_IN 1
#define LIVE_DIR_OUT 2
#define LIVE_CAPTURE_COUNT_MAX 100000 // packets one capture takes

struct live_arm {
	uint32_t active;
	uint16_t port_id;
	uint8_t capture;     // 1: a capture (`capture`: the packets' bytes only, not traced)
	uint8_t dir;         // LIVE_DIR_* (a capture's; a live trace's is LIVE_DIR_IN)
	uint32_t lost;       // atomic: a capture's packets the snap ring had no room for
	struct rte_bpf *bpf; // NULL: every packet
	uint64_t (*jit)(void *ctx); // bpf compiled to x86 code (rte_bpf_get_jit), or NULL
	uint32_t base_id;    // the packets' trace ids: base_id .. base_id + count - 1
	uint32_t count;
	uint32_t taken;      // atomic: packets marked (may run past count: those are not marked)
};

extern uint32_t live_trace_armed; // arms active
extern struct live_arm live_arms[LIVE_TRACE_ARMS];

// Data path: mark the packets of pkts[0..n) (just received at port_id, metadata reset) that an
// armed trace wants; each gets its port_rx record (leaving by `edge`).
void live_trace_mark(struct dp_lcore *lc, rte_node_t node, uint8_t edge, uint16_t port_id,
		     struct rte_mbuf **pkts, uint16_t n);

static inline void live_trace_rx(struct dp_lcore *lc, rte_node_t node, uint8_t edge,
				 uint16_t port_id, struct rte_mbuf **pkts, uint16_t n) {
	if (unlikely(__atomic_load_n(&live_trace_armed, __ATOMIC_RELAXED) != 0) && n > 0)
		live_trace_mark(lc, node, edge, port_id, pkts, n);
}

// Data path (port_tx): a capture of what leaves port_id. The same one test when none is armed.
void live_capture_tx(struct dp_lcore *lc, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n);

static inline void live_tx(struct dp_lcore *lc, uint16_t port_id, struct rte_mbuf **pkts,
			   uint16_t n) {
	if (unlikely(__atomic_load_n(&live_trace_armed, __ATOMIC_RELAXED) != 0) && n > 0)
		live_capture_tx(lc, port_id, pkts, n);
}

struct trace_record;

// Control thread. Give record r to the live trace it belongs to; false if none.
bool live_trace_record(const struct trace_record *r);

// Control thread: the workers' snaps (packets' starts) to their streams; trace_poll() calls it
// before it reads the records, so that a packet's start comes before its records.
void live_trace_snaps(void);

// Control thread, every loop: the workers' snaps, finished and timed-out live traces. The number
// of live traces running.
int live_trace_poll(void);

// Control thread. Registers `trace.live`.
void live_trace_methods_register(void);

// Control thread. A trace id of its own (shared by synthetic and live traces).
uint32_t trace_id_next(uint32_t n);
