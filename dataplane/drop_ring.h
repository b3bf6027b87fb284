// SPDX-License-Identifier: BSD-3-Clause
// The recent drops (`vnetctl drops --write`, method `drops.recent`; docs/vnetctl.md): each worker
// keeps the start of the last DROP_SAMPLES_PER_REASON packets it dropped for each reason, copied
// on the drop path only and at most DROP_SAMPLES_PER_SEC a second (a flood of one reason costs
// one time comparison per packet). A reason's slots are its own, so a noisy reason never evicts
// another's. Per worker: DROP__COUNT x DROP_SAMPLES_PER_REASON slots of ~180 bytes.
#pragma once

#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/drop.h"
#include "dataplane/lcore.h"

#define DROP_SAMPLES_PER_REASON 4
#define DROP_SAMPLE_BYTES 128   // of each packet
#define DROP_SAMPLES_PER_SEC 200 // per worker

struct drop_sample {
	uint32_t seq;      // seqlock: odd while the worker writes it; 0: never written
	uint16_t in_port, out_port;
	uint32_t len;      // the packet's length
	uint16_t caplen;   // bytes in data
	uint64_t tsc;      // when it was dropped
	uint8_t data[DROP_SAMPLE_BYTES];
};

struct drop_ring {
	struct drop_sample s[DROP__COUNT][DROP_SAMPLES_PER_REASON];
	uint8_t next[DROP__COUNT];  // the slot the reason writes next
	uint64_t next_tsc;          // no sample before this (the rate limit)
	uint64_t sampled, skipped;  // written; dropped while the rate limit held (worker only)
};

// Data path (pkt_drop). Keep the start of `m`, dropped for `reason` (the rate checked first:
// drop_ring_maybe).
void drop_ring_sample(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t reason);

static inline void drop_ring_maybe(struct dp_lcore *lc, struct drop_ring *dr, struct rte_mbuf *m,
				   uint16_t reason) {
	if (dr == NULL)
		return;
	if (lc->now_tsc < dr->next_tsc) {
		dr->skipped++;
		return;
	}
	drop_ring_sample(lc, m, reason);
}

// Control thread. Registers `drops.recent`.
void drop_ring_methods_register(void);
