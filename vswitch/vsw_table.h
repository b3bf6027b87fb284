// SPDX-License-Identifier: BSD-3-Clause
// The static tables of one network: its MAC table (ports, static and remote MACs) and its address
// table (the IPs that ARP/ND suppression answers for). Each network has its own pair, shared by
// every snapshot in which the network's inputs did not change: a transaction that adds a port to
// one network rebuilds that network's tables only (docs/design-decisions.md, "Per-network static
// tables").
//
// Why not rte_hash: an rte_hash reserves a memzone for its free-slot ring, and DPDK 22.11 has at
// most RTE_MAX_MEMZONE (2,560) memzones, fewer than two tables for each of BRIDGE_MAX (4,096)
// networks. These tables are immutable once built, so they need none of rte_hash's concurrent
// update machinery: open addressing with linear probing, at most half full (so every probe ends
// at an empty slot), 128-bit keys, data never 0.
//
// Thread-safety: built by the control thread, read-only once published; freed after the grace
// period of the last snapshot that holds it.
#pragma once

#include <stdint.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

struct vsw_slot {
	uint64_t k0, k1;
	uint64_t data; // 0: empty
	uint64_t pad;
};

struct vsw_table {
	uint32_t mask;    // slots - 1; slots is a power of two and at least twice `max`
	uint32_t n;       // entries
	uint32_t max;     // entries at most (vsw_table_add refuses more)
	uint64_t version; // unique for the life of the process: per-worker caches key on it
	struct vsw_slot slot[];
};

// Control thread. A table for at most `max` entries (rte_zmalloc), or NULL.
struct vsw_table *vsw_table_create(uint32_t max);
void vsw_table_free(struct vsw_table *t);

// Control thread. Add k0,k1 -> data (data != 0). Returns 0 (also when the same entry is there),
// -EEXIST when the key is there with other data, -ENOSPC beyond `max`.
int vsw_table_add(struct vsw_table *t, uint64_t k0, uint64_t k1, uint64_t data);

// Any thread. The hash of a key: single-word keys (MAC keys) hash as CRC32 of k0 alone, so that a
// caller which already has that CRC (a cache index) can pass it on.
static inline uint32_t vsw_table_hash(uint64_t k0, uint64_t k1) {
	uint32_t h = rte_hash_crc_8byte(k0, 0);

	return k1 != 0 ? rte_hash_crc_8byte(k1, h) : h;
}

// Data path. Prefetch the first slot of a key of hash `h` (before a batch of lookups).
static inline void vsw_table_prefetch(const struct vsw_table *t, uint32_t h) {
	rte_prefetch0(&t->slot[h & t->mask]);
}

// Data path. The data of k0,k1 (hash `h`), or 0.
static inline uint64_t vsw_table_lookup_h(const struct vsw_table *t, uint64_t k0, uint64_t k1,
					  uint32_t h) {
	// Terminates: the table is at most half full, so an empty slot follows every run.
	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct vsw_slot *s = &t->slot[i];
		if (s->data == 0)
			return 0;
		if (s->k0 == k0 && s->k1 == k1)
			return s->data;
	}
}

static inline uint64_t vsw_table_lookup(const struct vsw_table *t, uint64_t k0, uint64_t k1) {
	return vsw_table_lookup_h(t, k0, k1, vsw_table_hash(k0, k1));
}

// Control thread. Entries one by one: start with *iter = 0; returns the next slot or NULL.
const struct vsw_slot *vsw_table_next(const struct vsw_table *t, uint32_t *iter);
