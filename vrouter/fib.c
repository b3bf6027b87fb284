// SPDX-License-Identifier: BSD-3-Clause
// The routers' FIBs, changed route by route (fib.h).

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash_crc.h>
#include <rte_rib.h>

#define DP_LOG_TYPE vrouter_logtype
#include "dataplane/log.h"
#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "vrouter/fib.h"

#define ROUTES_MAX_DEFAULT 8192
#define TBL8_2B_ROUTES 10581 // 3 * 10581 + 1024 groups <= 32767: the most 2-byte entries index
#define ROUTES_MAX_MAX 4194304
#define ROUTER_FIB_THRESHOLD_DEFAULT 4096
#define ROUTER_FIB_ROUTES_MAX_DEFAULT 65536
#define ROUTER_FIB_ROUTES_MAX_MAX 4194304
#define ROUTER_FIB_TBL8 32767 // 2-byte entries: a group index keeps 15 bits

static uint32_t routes_max = ROUTES_MAX_DEFAULT;
static uint32_t router_fib_threshold = ROUTER_FIB_THRESHOLD_DEFAULT;
static uint32_t router_fib_routes_max = ROUTER_FIB_ROUTES_MAX_DEFAULT;
// Why the last FIB change failed when it was not the FIB's answer (an allocation), for the error.
static char fib_fail[160];

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
	uint32_t op_gen; // the transaction that last changed it: its op is ops[op_idx]
	uint32_t op_idx;
};

static struct route_slot *routes;
static uint32_t routes_cap, n_routes, txn_gen;
static uint32_t vrf_n4[VR_ROUTERS_MAX]; // installed IPv4 routes of each router

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

	if (s->key.family == 4)
		vrf_n4[s->key.vrf_id]--;
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
		if (k->family == 4)
			vrf_n4[k->vrf_id]++;
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

// Routers with many IPv4 routes get a DIR-24-8 FIB of their own (rte_fib): in the shared trie a
// /24 costs two 256-entry groups past the first table, in DIR-24-8 one entry of its fixed table.
struct own_fib {
	struct rte_fib *fib[2]; // per copy (NULL: none)
	uint32_t n[2];          // routes in each
	bool on;                // the router's installed IPv4 routes are in its own FIB
};
static struct own_fib own4[VR_ROUTERS_MAX];
static uint32_t n_own;

static struct rte_fib *own_of(uint16_t vrf_id, uint8_t copy) {
	struct own_fib *o = &own4[vrf_id];

	if (o->fib[copy] == NULL) {
		char name[32];
		struct rte_fib_conf conf = {
			.type = RTE_FIB_DIR24_8,
			.default_nh = 0,
			.max_routes = (int)router_fib_routes_max,
			.dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B, .num_tbl8 = ROUTER_FIB_TBL8},
		};
		snprintf(name, sizeof(name), "vr_own%u_%u", vrf_id, copy);
		o->fib[copy] = rte_fib_create(name, SOCKET_ID_ANY, &conf);
		if (o->fib[copy] == NULL)
			snprintf(fib_fail, sizeof(fib_fail),
				 "cannot allocate the own IPv4 FIB of a router with %u routes "
				 "(routing.router_fib_routes_max %u; hugepages?): %s",
				 vrf_n4[vrf_id], router_fib_routes_max, rte_strerror(rte_errno));
		else
			n_own += copy == 0;
	}
	return o->fib[copy];
}

// Free the own FIBs of `copy` that hold no route (the copy must be in no snapshot's use).
static void own_gc(uint8_t copy) {
	for (uint32_t v = 0; v < VR_ROUTERS_MAX; v++) {
		struct own_fib *o = &own4[v];
		if (o->fib[copy] != NULL && o->n[copy] == 0) {
			rte_fib_free(o->fib[copy]);
			o->fib[copy] = NULL;
			n_own -= copy == 0;
		}
	}
}

// Set route `k` to `nh` (0: remove) in the shared FIB or its router's own; `present`: whether
// it is there now (with another next hop).
static int fib_set(uint8_t copy, const struct vr_route_key *k, bool own, uint16_t nh,
		   bool present) {
	if (own) {
		struct rte_fib *f = own_of(k->vrf_id, copy);
		uint32_t ip = rte_be_to_cpu_32(*(const uint32_t *)k->prefix);
		int ret;

		if (f == NULL)
			return -ENOMEM;
		ret = nh != 0 ? rte_fib_add(f, ip, k->len, nh) : rte_fib_delete(f, ip, k->len);
		if (ret == 0 && nh != 0 && !present)
			own4[k->vrf_id].n[copy]++;
		else if (ret == 0 && nh == 0)
			own4[k->vrf_id].n[copy]--;
		return ret;
	}
	struct rte_fib6 *f = fib_of(k->family, copy, true);
	uint8_t key[16];

	if (f == NULL) {
		snprintf(fib_fail, sizeof(fib_fail),
			 "cannot allocate the shared IPv%d FIB (routing.routes_max %u): %s",
			 k->family, routes_max, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	vr_key(k->vrf_id, k->family, k->prefix, key);
	if (nh != 0)
		return rte_fib6_add(f, key, vr_key_depth(k->len), nh);
	return rte_fib6_delete(f, key, vr_key_depth(k->len));
}

static int fib_apply(uint8_t copy, const struct vr_fib_op *op, bool undo) {
	uint16_t from = undo ? op->new_nh : op->old_nh, to = undo ? op->old_nh : op->new_nh;
	bool from_own = undo ? op->new_own : op->old_own, to_own = undo ? op->old_own : op->new_own;
	int ret;

	if (from_own == to_own)
		return fib_set(copy, &op->key, to_own, to, from != 0);
	if (from != 0 && (ret = fib_set(copy, &op->key, from_own, 0, true)) < 0)
		return ret;
	return to != 0 ? fib_set(copy, &op->key, to_own, to, false) : 0;
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
	// Where the route is and goes (shared or own FIB) is settled by vr_fib_commit.
	t->ops[t->n_ops++] = (struct vr_fib_op){.key = *k, .old_nh = old_nh, .new_nh = new_nh};
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
	fib_fail[0] = '\0';
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

bool vr_fib_named(const struct vr_route_key *key) {
	const struct route_slot *s = route_find(key);

	return s != NULL && s->nh != 0 && s->gen == txn_gen;
}

void vr_fib_keep(struct vr_fib_txn *t, uint16_t vrf_id) {
	if (vrf_id < VR_ROUTERS_MAX)
		t->keep[vrf_id / 8] |= (uint8_t)(1u << (vrf_id % 8));
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
	if (old != 0 && s->op_gen == txn_gen) {
		// Changed before in this transaction (a static route over a connected one): one op
		// from where the route was to where it goes.
		t->ops[s->op_idx].new_nh = nh;
		ret = route_set(key, nh, txn_gen);
	} else {
		ret = ops_push(t, key, old, nh);
		if (ret == 0)
			ret = route_set(key, nh, txn_gen);
		if (ret == 0 && nh != 0) {
			s = route_find(key);
			s->op_gen = txn_gen;
			s->op_idx = t->n_ops - 1;
		}
	}
	if (ret == 0) {
		if (nh != 0)
			nh_refs[nh]++;
		if (old != 0)
			nh_refs[old]--;
	}
	return ret;
}

// Make FIB copy `copy` anew from the installed routes (the copy must be in no snapshot's use),
// each router's IPv4 routes where its `on` says.
// DPDK 22.11's trie counts the 256-entry groups it reserves for a route against the route that
// covers it at the time of each change, so after routes come and go in some orders the count
// drifts up and the trie refuses routes that fit (found by fuzz_rules): a fresh copy counts right.
static int fib_rebuild(uint8_t copy) {
	int ret = 0;

	for (int f = 0; f < 2; f++) {
		rte_fib6_free(fibs[f][copy]);
		fibs[f][copy] = NULL;
	}
	for (uint32_t v = 0; v < VR_ROUTERS_MAX; v++)
		own4[v].n[copy] = 0;
	own_gc(copy);
	for (uint32_t i = 0; i < routes_cap && ret == 0; i++) {
		const struct route_slot *r = &routes[i];
		if (r->nh != 0)
			ret = fib_set(copy, &r->key, r->key.family == 4 && own4[r->key.vrf_id].on, r->nh,
				      false);
	}
	if (ret == 0)
		LOG(INFO, "FIB copy %u rebuilt: %u routes", copy, n_routes);
	return ret;
}

// Flip the routers that t moved between the shared and their own FIB back.
static void moves_undo(struct vr_fib_txn *t) {
	for (uint32_t i = 0; i < t->n_moved; i++)
		own4[t->moved[i]].on = !own4[t->moved[i]].on;
	t->n_moved = 0;
}

// Undo ops[0..n) of t in the installed table, newest first, and ops[0..n_fib) in the shadow copy
// (rebuilt from the installed table if the trie refuses).
static void txn_undo(struct vr_fib_txn *t, uint32_t n_fib, uint32_t n) {
	bool fib_failed = false;

	for (uint32_t i = n; i-- > 0;) {
		const struct vr_fib_op *op = &t->ops[i];
		if (i < n_fib && !fib_failed && fib_apply(t->copy, op, true) < 0)
			fib_failed = true;
		if (op->old_nh == op->new_nh) // a move only
			continue;
		route_set(&op->key, op->old_nh, txn_gen);
		if (op->new_nh != 0)
			nh_refs[op->new_nh]--;
		if (op->old_nh != 0)
			nh_refs[op->old_nh]++;
	}
	moves_undo(t);
	if (fib_failed && fib_rebuild(t->copy) < 0)
		LOG(ERR, "FIB copy %u cannot hold the routes it held before", t->copy);
	own_gc(t->copy);
	for (uint32_t i = 0; i < t->n_new; i++)
		nh_release(t->new_nh[i]);
}

// Which FIB each router's IPv4 routes go to after this transaction: their own once they are more
// than routing.router_fib_threshold, the shared one again under half of it. The ops say where
// each route was and goes; a router that moves gets an op for each of its routes that t left
// unchanged. 0 or -ENOMEM.
static int txn_place(struct vr_fib_txn *t) {
	bool moving[VR_ROUTERS_MAX], any = false;
	uint32_t i, n = t->n_ops;

	for (uint32_t v = 0; v < VR_ROUTERS_MAX; v++) {
		bool want = own4[v].on ? vrf_n4[v] > router_fib_threshold / 2
				       : vrf_n4[v] > router_fib_threshold;
		moving[v] = want != own4[v].on;
		any |= moving[v];
	}
	for (i = 0; i < n; i++) {
		struct vr_fib_op *op = &t->ops[i];
		if (op->key.family == 4) {
			op->old_own = own4[op->key.vrf_id].on;
			op->new_own = op->old_own != moving[op->key.vrf_id];
		}
	}
	for (i = 0; any && i < routes_cap; i++) {
		const struct route_slot *r = &routes[i];
		if (r->nh != 0 && r->key.family == 4 && moving[r->key.vrf_id] &&
		    r->op_gen != txn_gen) {
			if (ops_push(t, &r->key, r->nh, r->nh) < 0)
				return -ENOMEM;
			t->ops[t->n_ops - 1].old_own = own4[r->key.vrf_id].on;
			t->ops[t->n_ops - 1].new_own = !own4[r->key.vrf_id].on;
		}
	}
	if (!any)
		return 0;
	t->moved = malloc(VR_ROUTERS_MAX * sizeof(*t->moved));
	if (t->moved == NULL)
		return -ENOMEM;
	for (uint32_t v = 0; v < VR_ROUTERS_MAX; v++)
		if (moving[v]) {
			own4[v].on = !own4[v].on;
			t->moved[t->n_moved++] = (uint16_t)v;
			LOG(INFO, "router with VRF id %u: %u IPv4 routes, %s", v, vrf_n4[v],
			    own4[v].on ? "into a FIB of its own" : "back into the shared FIB");
			// Both copies now, so that applying t to the other copy once it is published
			// cannot fail for memory.
			if (own4[v].on && (own_of((uint16_t)v, 0) == NULL || own_of((uint16_t)v, 1) == NULL))
				return -ENOMEM;
		}
	return 0;
}

int vr_fib_commit(struct rules_ctx *ctx, struct vr_fib_txn *t) {
	uint32_t i;
	int ret = 0;

	// Routes no one named in this transaction go.
	for (i = 0; i < routes_cap && ret == 0; i++) {
		struct route_slot *s = &routes[i];
		if (s->nh != 0 && s->gen != txn_gen &&
		    !(t->keep[s->key.vrf_id / 8] & (1u << (s->key.vrf_id % 8)))) {
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
	if (ret == 0)
		ret = txn_place(t);
	if (ret < 0) {
		txn_undo(t, 0, t->n_ops);
		own_gc((uint8_t)!t->copy); // an own FIB made for the other copy (nothing reads it)
		t->done = true;
		if (fib_fail[0] != '\0')
			return rules_error(ctx, "routers", "%s", fib_fail);
		return rules_error(ctx, "routers", "out of memory for the routes");
	}
	for (i = 0; i < t->n_ops; i++) {
		ret = fib_apply(t->copy, &t->ops[i], false);
		if (ret < 0)
			break;
	}
	if (ret < 0 && ret != -ENOMEM && fib_rebuild(t->copy) == 0) // the trie's count drifted
		ret = 0;
	if (ret < 0) {
		const struct vr_fib_op *op = &t->ops[RTE_MIN(i, t->n_ops - 1)];
		char p[64], why[sizeof(fib_fail)];
		snprintf(why, sizeof(why), "%s", fib_fail);
		txn_undo(t, 0, t->n_ops);
		if (fib_rebuild(t->copy) < 0)
			LOG(ERR, "FIB copy %u cannot hold the routes it held before", t->copy);
		own_gc(t->copy);
		t->done = true;
		inet_ntop(op->key.family == 4 ? AF_INET : AF_INET6, op->key.prefix, p, sizeof(p));
		own_gc((uint8_t)!t->copy);
		if (why[0] != '\0')
			return rules_error(ctx, "routers", "route %s/%u: %s", p, op->key.len, why);
		if (op->key.family == 4 && (op->new_own || op->old_own))
			return rules_error(ctx, "routers",
					   "the router's own FIB refused route %s/%u (%s): %u routes "
					   "fit, %u /24 blocks with longer routes (vnetd configuration "
					   "routing.router_fib_routes_max)",
					   p, op->key.len, rte_strerror(-ret), router_fib_routes_max,
					   ROUTER_FIB_TBL8);
		return rules_error(ctx, "routers",
				   "the FIB refused route %s/%u (%s): %u routes fit (vnetd "
				   "configuration routing.routes_max)",
				   p, op->key.len, rte_strerror(-ret), routes_max);
	}
	own_gc(t->copy);
	return 0;
}

struct rte_fib6 *vr_fib_get(const struct vr_fib_txn *t, int family) {
	return fibs[family == 4 ? 0 : 1][t->copy];
}

struct rte_fib *vr_fib_own4(const struct vr_fib_txn *t, uint16_t vrf_id) {
	return vrf_id < VR_ROUTERS_MAX ? own4[vrf_id].fib[t->copy] : NULL;
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
	own_gc(other);
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
	free(t->moved);
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

uint32_t vr_fib_n_own(void) {
	return n_own;
}

// vnetd configuration "routing": {"routes_max": N, "router_fib_threshold": T,
// "router_fib_routes_max": M} (docs/routing.md, "The FIB").
static int routing_config(const json_t *value, char *err, size_t err_size) {
	static const struct {
		const char *key;
		uint32_t *var, def, min, max;
	} keys[] = {
		{"routes_max", &routes_max, ROUTES_MAX_DEFAULT, 1024, ROUTES_MAX_MAX},
		{"router_fib_threshold", &router_fib_threshold, ROUTER_FIB_THRESHOLD_DEFAULT, 0,
		 VR_ROUTES_MAX},
		{"router_fib_routes_max", &router_fib_routes_max, ROUTER_FIB_ROUTES_MAX_DEFAULT, 1024,
		 ROUTER_FIB_ROUTES_MAX_MAX},
	};
	const char *key;
	json_t *x;

	for (size_t i = 0; i < RTE_DIM(keys); i++)
		*keys[i].var = keys[i].def;
	if (value == NULL) // absent: the defaults
		return 0;
	if (!json_is_object(value)) {
		snprintf(err, err_size, "must be an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)value, key, x) {
		size_t i;
		for (i = 0; i < RTE_DIM(keys) && strcmp(key, keys[i].key) != 0; i++)
			;
		if (i == RTE_DIM(keys)) {
			snprintf(err, err_size, "unknown key \"%s\"", key);
			return -EINVAL;
		}
		if (!json_is_integer(x) || json_integer_value(x) < keys[i].min ||
		    json_integer_value(x) > keys[i].max) {
			snprintf(err, err_size, "%s: an integer from %u to %u", key, keys[i].min,
				 keys[i].max);
			return -EINVAL;
		}
		*keys[i].var = (uint32_t)json_integer_value(x);
	}
	return 0;
}

RTE_INIT(vr_fib_config_register) {
	vnetd_config_key_register("routing", routing_config);
}
