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

#define FDB_SIZE 65536 // learned MACs per vnetd, all networks together

extern struct rte_hash *fdb_hash;
extern uint32_t fdb_seen[FDB_SIZE];

// Control thread, at start-up (after EAL and the workers' RCU variable exist).
int fdb_init(void);

// An entry's data in the hash: the port in bits 0..15 and, once the control thread knows it, the
// entry's slot + 1 in bits 32..63 (0: not known yet), so that a bulk lookup (which returns data,
// not slots) can still refresh fdb_seen[].
#define FDB_DATA(port, pos) ((uint64_t)(port) | ((uint64_t)((pos) + 1) << 32))
#define FDB_DATA_PORT(d) ((uint16_t)((uint64_t)(d) & 0xffff))
#define FDB_DATA_POS(d) ((int32_t)((uint64_t)(d) >> 32) - 1) // -1 if not known

// Data path. The port that learned MAC `key` was last seen on, or -1; *pos is its slot or -1.
static inline int fdb_lookup(const struct bridge_mac_key *key, int32_t *pos) {
	void *data;

	if (rte_hash_lookup_data(fdb_hash, key, &data) < 0) {
		*pos = -1;
		return -1;
	}
	*pos = FDB_DATA_POS((uintptr_t)data);
	return FDB_DATA_PORT((uintptr_t)data);
}

// Data path. Refresh the last-seen second of the entry in slot `pos` (no-op for -1).
static inline void fdb_touch(int32_t pos, uint32_t now_sec) {
	if (pos >= 0 && fdb_seen[pos] != now_sec)
		__atomic_store_n(&fdb_seen[pos], now_sec, __ATOMIC_RELAXED);
}

// Control thread. Learn (or move) `key` behind `port_id`. Returns 0, -ENOSPC when the network's
// limit or the table is full, -EEXIST when the MAC is static.
int fdb_learn(const struct bridge_cfg *bc, const struct bridge_mac_key *key, uint16_t port_id);

// Control thread. Delete entries older than their network's aging time. Returns how many.
unsigned int fdb_age(const struct bridge_cfg *bc, uint32_t now_sec);

// Control thread. Delete entries whose network or port is gone from `bc` or moved network.
void fdb_flush_stale(const struct bridge_cfg *bc);

// Control thread. Learned MACs in network `bd_id`, and how often its limit refused one.
uint32_t fdb_count(uint16_t bd_id);
uint64_t fdb_limit_hits(uint16_t bd_id);

// Control thread. Call `fn` for each learned entry.
typedef void (*fdb_walk_fn)(const struct bridge_mac_key *key, uint16_t port_id, uint32_t seen,
			    void *arg);
void fdb_walk(fdb_walk_fn fn, void *arg);
