// SPDX-License-Identifier: BSD-3-Clause
// The learned MAC table: one rte_hash for every network, keyed by (bd_id, MAC), lock-free for
// readers. Thread-safety: the control thread is the only writer (it handles the learn events
// that workers post, ages entries and flushes them when ports or networks go away); workers read
// it, and write only `fdb_seen[]`, the last-seen second of an entry (a relaxed store; a lost
// update only makes an entry age a little early). Deleted key slots are reused only after an
// rte_rcu_qsbr grace period.
#pragma once

#include <stdint.h>

#include <rte_hash.h>

#include "vswitch/bridge.h"

#define FDB_SIZE 16384 // learned MACs per vnetd, all networks together (slot + 1 fits 15 bits)

extern struct rte_hash *fdb_hash;
extern uint32_t fdb_seen[FDB_SIZE];

// Control thread, at start-up (after EAL and the workers' RCU variable exist).
int fdb_init(void);

// Data path. The data (MAC_DATA) of learned MAC `key`, or 0 if it is not learned.
static inline uint64_t fdb_lookup(const struct bridge_mac_key *key) {
	void *data;

	return rte_hash_lookup_data(fdb_hash, key, &data) < 0 ? 0 : (uintptr_t)data;
}

// Data path. Refresh the last-seen second of the entry in slot `pos` (no-op for -1).
static inline void fdb_touch(int32_t pos, uint32_t now_sec) {
	if (pos >= 0 && fdb_seen[pos] != now_sec)
		__atomic_store_n(&fdb_seen[pos], now_sec, __ATOMIC_RELAXED);
}

// Control thread. Learn (or move) `key` behind `port_id` (and remote VTEP `vtep`, 0 if local).
// Returns 0, -ENOSPC when the network's limit or the table is full, -EEXIST when the MAC is static.
int fdb_learn(const struct bridge_cfg *bc, const struct bridge_mac_key *key, uint16_t port_id,
	      rte_be32_t vtep);

// Control thread. Delete entries older than their network's aging time. Returns how many.
unsigned int fdb_age(const struct bridge_cfg *bc, uint32_t now_sec);

// Control thread. Delete entries whose network or port is gone from `bc` or moved network.
void fdb_flush_stale(const struct bridge_cfg *bc);

// Control thread. Learned MACs in network `bd_id`, and how often its limit refused one.
uint32_t fdb_count(uint16_t bd_id);
uint64_t fdb_limit_hits(uint16_t bd_id);

// Control thread. Call `fn` for each learned entry.
typedef void (*fdb_walk_fn)(const struct bridge_mac_key *key, uint64_t data, uint32_t seen,
			    void *arg);
void fdb_walk(fdb_walk_fn fn, void *arg);
