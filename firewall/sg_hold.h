// SPDX-License-Identifier: BSD-3-Clause
// Segments held for L7 inspection (docs/firewall.md, "L7"): when a connection's first request or
// ClientHello spans segments, the worker keeps them (the mbufs, in order, and their bytes
// gathered) until the request can be decided, and nothing of that direction of the connection
// passes meanwhile. Per worker, bounded: SG_HOLD_SLOTS connections at once, SG_HOLD_SEGS segments
// and L7_TLS_MAX bytes each, SG_HOLD_TIMEOUT_MS at most. Only the worker touches its table.
#pragma once

#include <stdint.h>

#include <rte_mbuf.h>

#include "firewall/conntrack.h"
#include "firewall/l7_parse.h"

#define SG_HOLD_SLOTS 64         // connections one worker holds segments of at once
#define SG_HOLD_SEGS 16          // segments held for one connection (a 16 KB ClientHello at
				 // 1,448 bytes a segment is 12)
#define SG_HOLD_TIMEOUT_MS 1000  // then the connection is reset (l7_hold_timeout)

struct sg_hold_slot {
	struct ct_key key;           // the connection, with its entry and side: which slot
	const struct ct_entry *e;    // NULL: the slot is free
	uint8_t side;                // the side whose rules wait (sg_node.c's enum sg_side)
	uint8_t dir;                 // the node that holds: enum fw_dir
	uint8_t n;                   // m[0..n)
	uint32_t next_seq;           // the sequence number the next segment must start at
	uint32_t len;                // buf[0..len): the bytes so far, from the first
	uint64_t deadline;           // TSC
	struct rte_mbuf *m[SG_HOLD_SEGS];
	uint8_t buf[L7_TLS_MAX];
};

struct sg_hold {
	uint32_t used[2];            // slots in use, by enum fw_dir
	uint64_t held_connections;   // connections whose first request was held (ever)
	uint64_t held_segments;      // segments held (ever)
	uint8_t scratch[L7_TLS_MAX]; // a chained segment's payload, gathered
	struct sg_hold_slot slot[SG_HOLD_SLOTS];
};

// Control thread, at firewall start: one table per worker (n_workers). 0 or -ENOMEM.
int sg_hold_init(unsigned int n_workers);
void sg_hold_fini(void);
// Tests: the mbufs the workers hold now (their tables read without the workers' consent: only
// where the data path does not run meanwhile).
uint32_t sg_hold_mbufs(void);
// Control thread: the workers' figures summed (show conntrack).
void sg_hold_stats(uint64_t *connections, uint64_t *segments, uint32_t *holding);

extern struct sg_hold *sg_holds[CT_TABLES_MAX];

// Data path. Worker w's table (NULL before init).
static inline struct sg_hold *sg_hold_get(unsigned int w) {
	return w < CT_TABLES_MAX ? sg_holds[w] : NULL;
}
