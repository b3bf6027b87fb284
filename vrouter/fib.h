// SPDX-License-Identifier: BSD-3-Clause
// The routers' FIBs, changed route by route (docs/routing.md, "The FIB").
//
// Two copies of each family's FIB: the snapshot in use reads the active copy while a transaction
// changes the other (the shadow), so that no lookup ever sees a half-made change; once the new
// snapshot is published and the old one retired, the same changes are applied to the old copy,
// which becomes the shadow. Next hops are interned by content in one table (vr_nh_table), so that
// every route with the same next hop shares one 2-byte entry and a transaction that changes one
// route changes one FIB entry. Control thread only, except vr_nh_table, which workers read
// (entries never change while a FIB copy refers to them).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "vrouter/vrouter.h"

struct rules_ctx;

// The route a FIB holds: router (vrf_id), family, prefix. 8-byte aligned and without unnamed
// padding: it is hashed (rte_hash_crc reads 8 bytes at a time) and compared whole.
struct vr_route_key {
	uint16_t vrf_id;
	uint8_t family;
	uint8_t len;
	uint8_t prefix[16];
	uint8_t pad[4];
} __rte_aligned(8);

// One FIB change of a transaction: the route's next hop went from old_nh to new_nh (0: none),
// and from its router's own IPv4 FIB or the shared one (old_own) to either (new_own): a router
// that crosses routing.router_fib_threshold moves its IPv4 routes in the transaction that crosses.
struct vr_fib_op {
	struct vr_route_key key;
	uint16_t old_nh, new_nh;
	bool old_own, new_own;
};

// What a transaction changed, kept with the snapshot data until it is published (then applied to
// the other copy) or refused (then undone).
struct vr_fib_txn {
	struct vr_fib_op *ops;
	uint32_t n_ops, cap;
	uint16_t *new_nh;   // next hops this transaction made (freed again if nothing uses them)
	uint32_t n_new, cap_new;
	uint8_t keep[VR_ROUTERS_MAX / 8]; // routers whose unnamed routes stay (vr_fib_keep)
	uint16_t *moved;    // routers whose IPv4 routes it moved between the shared and own FIB
	uint32_t n_moved;
	uint8_t copy;       // the copy it changed
	bool done;          // published (or undone): nothing left to do
};

// The next hop table (VR_NH_MAX entries, [0] unused). Workers read it.
extern const struct vr_nh *vr_nh_table;

// Control thread, in the section's build. Start a transaction: returns the shadow copy's FIBs.
void vr_fib_begin(struct vr_fib_txn *t);
// The next hop with this content (interned: an existing one, or a new one), or 0 when the table
// is full.
uint16_t vr_fib_nh(struct vr_fib_txn *t, const struct vr_nh *content);
// Route `key` goes to next hop `nh` in this transaction (the last call for a key wins).
int vr_fib_route(struct vr_fib_txn *t, const struct vr_route_key *key, uint16_t nh);
// Whether route `key` was named in this transaction (vr_fib_route) and is installed.
bool vr_fib_named(const struct vr_route_key *key);
// Router `vrf_id`'s routes not named in this transaction stay (its changes are named one by one:
// vr_fib_route with 0 removes).
void vr_fib_keep(struct vr_fib_txn *t, uint16_t vrf_id);
// End the transaction: routes not named since vr_fib_begin are removed (but those of routers
// kept); every change is applied
// to the shadow copy. 0, or a negative errno with the problem reported in ctx (then undone).
int vr_fib_commit(struct rules_ctx *ctx, struct vr_fib_txn *t);
// The shadow copy's FIBs after vr_fib_commit (the copy the new snapshot reads).
struct rte_fib6 *vr_fib_get(const struct vr_fib_txn *t, int family);
// The shadow copy's own IPv4 FIB of router `vrf_id` after vr_fib_commit, or NULL (its IPv4 routes
// are in the shared FIB).
struct rte_fib *vr_fib_own4(const struct vr_fib_txn *t, uint16_t vrf_id);

// Control thread, after the snapshot that reads t's copy was published (the one before it
// retired): apply t to the other copy, free the next hops nothing uses.
void vr_fib_published(struct vr_fib_txn *t);
// Control thread: the snapshot data was never published: undo t. Frees t's arrays either way.
void vr_fib_txn_free(struct vr_fib_txn *t);

// Control thread. Every installed route of router `vrf_id` (all with VR_VRF_NONE): fn(key, nh).
void vr_fib_foreach(uint16_t vrf_id, void (*fn)(const struct vr_route_key *k, uint16_t nh,
						void *arg),
		    void *arg);
// Installed routes, in-use next hops.
uint32_t vr_fib_n_routes(void);
uint32_t vr_fib_n_nh(void);
// The routes capacity of each shared FIB copy (vnetd configuration "routing": {"routes_max": N}).
uint32_t vr_fib_routes_max(void);
// Routers with own IPv4 FIBs.
uint32_t vr_fib_n_own(void);
