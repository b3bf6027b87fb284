// SPDX-License-Identifier: BSD-3-Clause
// The learned MAC table (see fdb.h for who writes what).

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define DP_LOG_TYPE vswitch_logtype
#include "dataplane/log.h"
#include "dataplane/worker.h"
#include "vswitch/fdb.h"

struct rte_hash *fdb_hash;
uint32_t fdb_seen[FDB_SIZE];
static uint32_t counts[BRIDGE_MAX];
static uint64_t limit_hits[BRIDGE_MAX];

int fdb_init(void) {
	struct rte_hash_parameters hp = {
		.name = "vsw_fdb",
		.entries = FDB_SIZE,
		.key_len = sizeof(struct bridge_mac_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = {
		.v = dp_rcu(),
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	fdb_hash = rte_hash_create(&hp);
	if (fdb_hash == NULL) {
		LOG(ERR, "rte_hash_create vsw_fdb: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rte_hash_set_cmp_func(fdb_hash, bridge_mac_key_cmp);
	if (rc.v != NULL && rte_hash_rcu_qsbr_add(fdb_hash, &rc) != 0) {
		LOG(ERR, "rte_hash_rcu_qsbr_add: %s", rte_strerror(rte_errno));
		return -EINVAL;
	}
	return 0;
}

static void fdb_del(const struct bridge_mac_key *key) {
	if (rte_hash_del_key(fdb_hash, key) >= 0 && counts[key->bd_id] > 0)
		counts[key->bd_id]--;
}

int fdb_learn(const struct bridge_cfg *bc, const struct bridge_mac_key *key, uint16_t port_id,
	      rte_be32_t vtep) {
	const struct bridge *b = bridge_lookup(bc, key->bd_id);
	int32_t pos;
	int ret;

	if (b == NULL || (vtep == 0 ? !b->mac_learning : !b->vxlan_learning))
		return -ENOENT;
	if (bridge_static_lookup(bc, key) != 0)
		return -EEXIST;
	if (fdb_lookup(key) == 0) {
		if (counts[key->bd_id] >= b->mac_limit) {
			limit_hits[key->bd_id]++;
			return -ENOSPC;
		}
		counts[key->bd_id]++;
	}
	ret = rte_hash_add_key_data(fdb_hash, key, (void *)(uintptr_t)MAC_DATA(port_id, -1, vtep));
	if (ret < 0) {
		counts[key->bd_id]--;
		limit_hits[key->bd_id]++;
		return -ENOSPC;
	}
	// Now that the slot is known: stamp it, then publish it in the data (an atomic update).
	pos = rte_hash_lookup(fdb_hash, key);
	if (pos >= 0) {
		__atomic_store_n(&fdb_seen[pos], dp_uptime_sec(), __ATOMIC_RELAXED);
		rte_hash_add_key_data(fdb_hash, key, (void *)(uintptr_t)MAC_DATA(port_id, pos, vtep));
	}
	return 0;
}

// Collect the keys for which `stale` says yes, then delete them (no delete while iterating).
static unsigned int fdb_delete_if(bool (*stale)(const struct bridge_cfg *, const void *, uint16_t,
						uint32_t, uint32_t),
				  const struct bridge_cfg *bc, uint32_t now) {
	const void *key;
	void *data;
	uint32_t iter = 0;
	unsigned int n = 0;
	struct bridge_mac_key *dead = malloc(sizeof(*dead) * FDB_SIZE);
	int32_t pos;

	if (dead == NULL)
		return 0;
	while ((pos = rte_hash_iterate(fdb_hash, &key, &data, &iter)) >= 0) {
		uint32_t seen = __atomic_load_n(&fdb_seen[pos], __ATOMIC_RELAXED);
		if (stale(bc, key, MAC_DATA_PORT((uintptr_t)data), seen, now))
			memcpy(&dead[n++], key, sizeof(*dead));
	}
	for (unsigned int i = 0; i < n; i++)
		fdb_del(&dead[i]);
	free(dead);
	return n;
}

static bool is_old(const struct bridge_cfg *bc, const void *k, uint16_t port, uint32_t seen,
		   uint32_t now) {
	const struct bridge *b = bridge_lookup(bc, ((const struct bridge_mac_key *)k)->bd_id);

	RTE_SET_USED(port);
	return b == NULL || now - seen > b->mac_aging_s;
}

static bool is_gone(const struct bridge_cfg *bc, const void *k, uint16_t port, uint32_t seen,
		    uint32_t now) {
	const struct bridge_mac_key *key = k;
	const struct bridge_port *p = bc ? bridge_port_lookup(bc, port) : NULL;
	const struct bridge *b = bc ? bridge_lookup(bc, key->bd_id) : NULL;

	RTE_SET_USED(seen);
	RTE_SET_USED(now);
	if (b == NULL)
		return true;
	if (p == NULL) // learned behind a VTEP (the port is the underlay)
		return !b->vxlan_learning || dp_config_port_get(dp_config_current(), port) == NULL;
	return p->bd_id != key->bd_id || !b->mac_learning;
}

unsigned int fdb_age(const struct bridge_cfg *bc, uint32_t now_sec) {
	return bc != NULL ? fdb_delete_if(is_old, bc, now_sec) : 0;
}

void fdb_flush_stale(const struct bridge_cfg *bc) {
	unsigned int n = fdb_delete_if(is_gone, bc, 0);

	if (n > 0)
		LOG(INFO, "flushed learned macs=%u of removed ports or networks", n);
	for (uint16_t bd = 0; bd < BRIDGE_MAX; bd++)
		if (bc == NULL || bc->bd[bd] == NULL)
			limit_hits[bd] = 0;
}

uint32_t fdb_count(uint16_t bd_id) {
	return bd_id < BRIDGE_MAX ? counts[bd_id] : 0;
}

uint64_t fdb_limit_hits(uint16_t bd_id) {
	return bd_id < BRIDGE_MAX ? limit_hits[bd_id] : 0;
}

void fdb_walk(fdb_walk_fn fn, void *arg) {
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(fdb_hash, &key, &data, &iter)) >= 0)
		fn(key, (uintptr_t)data, fdb_seen[pos], arg);
}
