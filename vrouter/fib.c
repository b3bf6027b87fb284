// SPDX-License-Identifier: BSD-3-Clause
// The routers' FIBs, changed route by route (fib.h).

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_hash_crc.h>

#define DP_LOG_TYPE vrouter_logtype
#include "dataplane/log.h"
#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "vrouter/fib.h"

#define ROUTES_MAX_DEFAULT 8192
#define TBL8_2B_ROUTES 10581 // 3 * 10581 + 1024 groups <= 32767: the most 2-byte entries index
#define ROUTES_MAX_MAX 4194304

static uint32_t routes_max = ROUTES_MAX_DEFAULT;

// ---- the next hop table -------------------------------------------------------------------------

static struct vr_nh *nh_table_rw; // VR_NH_MAX + 1 entries
const struct vr_nh *vr_nh_table;
static uint32_t nh_refs[VR_NH_MAX + 1]; // installed routes that use each
static uint16_t nh_map[2 * (VR_NH_MAX + 1)]; // content hash -> id (open addressing), 0: empty
static uint16_t nh_free_list[VR_NH_MAX];
static uint32_t n_nh_free, nh_next = 1, n_nh_used;

static uint32_t nh_hash(const struct vr_nh *c) {
	return rte_hash_crc(c, sizeof(*c), 0);
}

static uint32_t nh_slot(const struct vr_nh *c) {
	uint32_t i = nh_hash(c) % RTE_DIM(nh_map);

	while (nh_map[i] != 0 && memcmp(&nh_table_rw[nh_map[i]], c, sizeof(*c)) != 0)
		i = (i + 1) % RTE_DIM(nh_map);
	return i;
}

static void nh_release(uint16_t id) {
	uint32_t i, j;

	if (id == 0 || nh_refs[id] != 0 || nh_table_rw[id].type == VR_NH_NONE)
		return;
	// Remove from the open-addressing map, moving back the entries of its run (no tombstones).
	i = nh_slot(&nh_table_rw[id]);
	nh_map[i] = 0;
	for (j = (i + 1) % RTE_DIM(nh_map); nh_map[j] != 0; j = (j + 1) % RTE_DIM(nh_map)) {
		uint16_t moved = nh_map[j];
		nh_map[j] = 0;
		nh_map[nh_slot(&nh_table_rw[moved])] = moved;
	}
	memset(&nh_table_rw[id], 0, sizeof(nh_table_rw[id]));
	nh_free_list[n_nh_free++] = id;
	n_nh_used--;
}

// ---- the installed routes (control thread): open addressing, grows ------------------------------

struct route_slot {
	struct vr_route_key key;
	uint16_t nh;    // 0: empty slot
	uint16_t pad;
	uint32_t gen;   // the transaction that last named it
};

static struct route_slot *routes;
static uint32_t routes_cap, n_routes, txn_gen;

static uint32_t route_hash(const struct vr_route_key *k) {
	return rte_hash_crc(k, sizeof(*k), 0x5bd1e995);
}

static struct route_slot *route_find(const struct vr_route_key *k) {
	uint32_t i;

	if (routes_cap == 0)
		return NULL;
	for (i = route_hash(k) & (routes_cap - 1); routes[i].nh != 0; i = (i + 1) & (routes_cap - 1))
		if (memcmp(&routes[i].key, k, sizeof(*k)) == 0)
			return &routes[i];
	return &routes[i]; // the empty slot where it would go
}

static int routes_grow(void) {
	uint32_t cap = routes_cap ? routes_cap * 2 : 1024;
	struct route_slot *old = routes, *n = calloc(cap, sizeof(*n));
	uint32_t old_cap = routes_cap;

	if (n == NULL)
		return -ENOMEM;
	routes = n;
	routes_cap = cap;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i].nh != 0)
			*route_find(&old[i].key) = old[i];
	free(old);
	return 0;
}

static void route_remove(struct route_slot *s) {
	uint32_t i = (uint32_t)(s - routes), j;

	s->nh = 0;
	n_routes--;
	for (j = (i + 1) & (routes_cap - 1); routes[j].nh != 0; j = (j + 1) & (routes_cap - 1)) {
		struct route_slot moved = routes[j];
		routes[j].nh = 0;
		*route_find(&moved.key) = moved;
	}
}

// Set route `k` to `nh` (0: remove) in the installed table. 0 or -ENOMEM.
static int route_set(const struct vr_route_key *k, uint16_t nh, uint32_t gen) {
	struct route_slot *s;

	if ((n_routes + 1) * 2 > routes_cap && routes_grow() < 0)
		return -ENOMEM;
	s = route_find(k);
	if (nh == 0) {
		if (s->nh != 0)
			route_remove(s);
		return 0;
	}
	if (s->nh == 0) {
		s->key = *k;
		n_routes++;
	}
	s->nh = nh;
	s->gen = gen;
	return 0;
}

// ---- the FIB copies -----------------------------------------------------------------------------

static struct rte_fib6 *fibs[2][2]; // [family 4: 0, 6: 1][copy]
static uint8_t active;              // the copy the published snapshot reads

static struct rte_fib6 *fib_of(int family, uint8_t copy, bool create) {
	struct rte_fib6 **f = &fibs[family == 4 ? 0 : 1][copy];

	if (*f == NULL && create) {
		char name[32];
		struct rte_fib6_conf conf = {
			.type = RTE_FIB6_TRIE,
			.default_nh = 0,
			.max_routes = (int)routes_max,
			// A route of key length 16 + L > 24 takes 256-entry groups for the bytes of the
			// key past the third that it reaches into, shared with the routes under the same
			// bytes; the trie reserves them per route, counting from the closest covering
			// route: up to 3 for an IPv4 /32 under none. With 2-byte entries a group index
			// must fit in 15 bits too: up to TBL8_2B_ROUTES routes; beyond, 4-byte entries.
			.trie = {.nh_sz = routes_max <= TBL8_2B_ROUTES ? RTE_FIB6_TRIE_2B
								       : RTE_FIB6_TRIE_4B,
				 .num_tbl8 = 3 * routes_max + 1024},
		};
		snprintf(name, sizeof(name), "vr_fib%d_%u", family, copy);
		*f = rte_fib6_create(name, SOCKET_ID_ANY, &conf);
	}
	return *f;
}

static int fib_apply(uint8_t copy, const struct vr_fib_op *op, bool undo) {
	uint16_t nh = undo ? op->old_nh : op->new_nh;
	struct rte_fib6 *f = fib_of(op->key.family, copy, true);
	uint8_t key[16];

	if (f == NULL)
		return -ENOMEM;
	vr_key(op->key.vrf_id, op->key.family, op->key.prefix, key);
	if (nh != 0)
		return rte_fib6_add(f, key, vr_key_depth(op->key.len), nh);
	return rte_fib6_delete(f, key, vr_key_depth(op->key.len));
}

// ---- transactions -------------------------------------------------------------------------------

static int ops_push(struct vr_fib_txn *t, const struct vr_route_key *k, uint16_t old_nh,
		    uint16_t new_nh) {
	if (t->n_ops == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct vr_fib_op *n = realloc(t->ops, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		t->ops = n;
		t->cap = cap;
	}
	t->ops[t->n_ops++] = (struct vr_fib_op){*k, old_nh, new_nh};
	return 0;
}

static int tables_init(void) {
	if (nh_table_rw != NULL)
		return 0;
	nh_table_rw = calloc(VR_NH_MAX + 1, sizeof(*nh_table_rw));
	if (nh_table_rw == NULL)
		return -ENOMEM;
	vr_nh_table = nh_table_rw;
	return 0;
}

void vr_fib_begin(struct vr_fib_txn *t) {
	*t = (struct vr_fib_txn){.copy = (uint8_t)!active};
	tables_init();
	txn_gen++;
}

uint16_t vr_fib_nh(struct vr_fib_txn *t, const struct vr_nh *content) {
	uint32_t i;
	uint16_t id;

	if (nh_table_rw == NULL)
		return 0;
	i = nh_slot(content);
	if (nh_map[i] != 0)
		return nh_map[i];
	if (n_nh_free > 0)
		id = nh_free_list[--n_nh_free];
	else if (nh_next <= VR_NH_MAX)
		id = (uint16_t)nh_next++;
	else
		return 0;
	if (t->n_new == t->cap_new) {
		uint32_t cap = t->cap_new ? t->cap_new * 2 : 64;
		uint16_t *n = realloc(t->new_nh, cap * sizeof(*n));
		if (n == NULL) {
			nh_free_list[n_nh_free++] = id;
			return 0;
		}
		t->new_nh = n;
		t->cap_new = cap;
	}
	t->new_nh[t->n_new++] = id;
	nh_table_rw[id] = *content;
	nh_map[i] = id;
	n_nh_used++;
	return id;
}

int vr_fib_route(struct vr_fib_txn *t, const struct vr_route_key *key, uint16_t nh) {
	struct route_slot *s;
	uint16_t old;
	int ret;

	if ((n_routes + 1) * 2 > routes_cap && routes_grow() < 0)
		return -ENOMEM;
	s = route_find(key);
	old = s->nh;
	if (old == nh) {
		s->gen = txn_gen;
		return 0;
	}
	ret = ops_push(t, key, old, nh);
	if (ret == 0)
		ret = route_set(key, nh, txn_gen);
	if (ret == 0) {
		nh_refs[nh]++;
		if (old != 0)
			nh_refs[old]--;
	}
	return ret;
}

// Make FIB copy `copy` anew from the installed routes (the copy must be in no snapshot's use).
// DPDK 22.11's trie counts the 256-entry groups it reserves for a route against the route that
// covers it at the time of each change, so after routes come and go in some orders the count
// drifts up and the trie refuses routes that fit (found by fuzz_rules): a fresh copy counts right.
static int fib_rebuild(uint8_t copy) {
	int ret = 0;

	for (int f = 0; f < 2; f++) {
		rte_fib6_free(fibs[f][copy]);
		fibs[f][copy] = NULL;
	}
	for (uint32_t i = 0; i < routes_cap && ret == 0; i++) {
		if (routes[i].nh != 0) {
			struct vr_fib_op op = {.key = routes[i].key, .new_nh = routes[i].nh};
			ret = fib_apply(copy, &op, false);
		}
	}
	if (ret == 0)
		LOG(INFO, "FIB copy %u rebuilt: %u routes", copy, n_routes);
	return ret;
}

// Undo ops[0..n) of t in the installed table, newest first, and ops[0..n_fib) in the shadow copy
// (rebuilt from the installed table if the trie refuses).
static void txn_undo(struct vr_fib_txn *t, uint32_t n_fib, uint32_t n) {
	bool fib_failed = false;

	for (uint32_t i = n; i-- > 0;) {
		const struct vr_fib_op *op = &t->ops[i];
		if (i < n_fib && !fib_failed && fib_apply(t->copy, op, true) < 0)
			fib_failed = true;
		route_set(&op->key, op->old_nh, txn_gen);
		nh_refs[op->new_nh]--;
		if (op->old_nh != 0)
			nh_refs[op->old_nh]++;
	}
	if (fib_failed && fib_rebuild(t->copy) < 0)
		LOG(ERR, "FIB copy %u cannot hold the routes it held before", t->copy);
	for (uint32_t i = 0; i < t->n_new; i++)
		nh_release(t->new_nh[i]);
}

int vr_fib_commit(struct rules_ctx *ctx, struct vr_fib_txn *t) {
	uint32_t i;
	int ret = 0;

	// Routes no one named in this transaction go.
	for (i = 0; i < routes_cap && ret == 0; i++) {
		struct route_slot *s = &routes[i];
		if (s->nh != 0 && s->gen != txn_gen) {
			struct vr_route_key k = s->key;
			uint16_t old = s->nh;
			ret = ops_push(t, &k, old, 0);
			if (ret == 0) {
				nh_refs[old]--;
				route_remove(s);
				i--; // the slot got another entry moved back into it
			}
		}
	}
	if (ret < 0) {
		txn_undo(t, 0, t->n_ops);
		t->done = true;
		return rules_error(ctx, "routers", "out of memory for the routes");
	}
	for (i = 0; i < t->n_ops; i++) {
		ret = fib_apply(t->copy, &t->ops[i], false);
		if (ret < 0)
			break;
	}
	if (ret < 0 && fib_rebuild(t->copy) == 0) // the trie's count had drifted: a fresh copy
		ret = 0;
	if (ret < 0) {
		const struct vr_fib_op *op = &t->ops[RTE_MIN(i, t->n_ops - 1)];
		char p[64];
		txn_undo(t, 0, t->n_ops);
		if (fib_rebuild(t->copy) < 0)
			LOG(ERR, "FIB copy %u cannot hold the routes it held before", t->copy);
		t->done = true;
		inet_ntop(op->key.family == 4 ? AF_INET : AF_INET6, op->key.prefix, p, sizeof(p));
		return rules_error(ctx, "routers",
				   "the FIB refused route %s/%u (%s): %u routes fit (vnetd "
				   "configuration routing.routes_max)",
				   p, op->key.len, rte_strerror(-ret), routes_max);
	}
	return 0;
}

struct rte_fib6 *vr_fib_get(const struct vr_fib_txn *t, int family) {
	return fibs[family == 4 ? 0 : 1][t->copy];
}

void vr_fib_published(struct vr_fib_txn *t) {
	uint8_t other = (uint8_t)!t->copy;

	if (t->done)
		return;
	for (uint32_t i = 0; i < t->n_ops; i++)
		if (fib_apply(other, &t->ops[i], false) < 0) {
			if (fib_rebuild(other) < 0)
				LOG(ERR, "the old FIB copy cannot hold the routes the new one took");
			break;
		}
	active = t->copy;
	for (uint32_t i = 0; i < t->n_ops; i++)
		nh_release(t->ops[i].old_nh);
	for (uint32_t i = 0; i < t->n_new; i++)
		nh_release(t->new_nh[i]);
	t->done = true;
}

void vr_fib_txn_free(struct vr_fib_txn *t) {
	if (t == NULL)
		return;
	if (!t->done)
		txn_undo(t, t->n_ops, t->n_ops);
	free(t->ops);
	free(t->new_nh);
	free(t);
}

void vr_fib_foreach(uint16_t vrf_id,
		    void (*fn)(const struct vr_route_key *k, uint16_t nh, void *arg), void *arg) {
	for (uint32_t i = 0; i < routes_cap; i++)
		if (routes[i].nh != 0 && (vrf_id == VR_VRF_NONE || routes[i].key.vrf_id == vrf_id))
			fn(&routes[i].key, routes[i].nh, arg);
}

uint32_t vr_fib_n_routes(void) {
	return n_routes;
}

uint32_t vr_fib_n_nh(void) {
	return n_nh_used;
}

uint32_t vr_fib_routes_max(void) {
	return routes_max;
}

// vnetd configuration "routing": {"routes_max": N}: each FIB copy's capacity.
static int routing_config(const json_t *value, char *err, size_t err_size) {
	const json_t *v = json_object_get(value, "routes_max");
	const char *key;
	json_t *x;

	routes_max = ROUTES_MAX_DEFAULT;
	if (value == NULL) // absent: the defaults
		return 0;
	if (!json_is_object(value)) {
		snprintf(err, err_size, "must be an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)value, key, x) {
		if (strcmp(key, "routes_max") != 0) {
			snprintf(err, err_size, "unknown key \"%s\"", key);
			return -EINVAL;
		}
	}
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1024 ||
			  json_integer_value(v) > ROUTES_MAX_MAX)) {
		snprintf(err, err_size, "routes_max: an integer from 1024 to %d", ROUTES_MAX_MAX);
		return -EINVAL;
	}
	if (v != NULL)
		routes_max = (uint32_t)json_integer_value(v);
	return 0;
}

RTE_INIT(vr_fib_config_register) {
	vnetd_config_key_register("routing", routing_config);
}
