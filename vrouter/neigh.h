// SPDX-License-Identifier: BSD-3-Clause
// Tenant next hops that the rules do not know (an appliance's secondary address): vnetd resolves
// them with ARP / neighbour solicitation sent into the egress network (its local ports and flood
// VTEPs), from its own MAC (dp_host_mac), and holds the first packets while it asks. Thread-safety:
// the table is a lock-free rte_hash (key -> MAC) that workers read and the control thread alone
// writes (entries freed after an RCU grace period); workers talk to the control thread by events
// (resolve this, this answered) and hand it the packets to hold through a ring.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/lcore.h"

#define VR_NEIGH_MAX 4096       // learned next hops per vnetd (the table is full: requests stop)
#define VR_NEIGH_HOLD 3         // packets held per next hop while it is resolved (as Linux kept)
#define VR_NEIGH_PENDING 1024   // packets on their way to the control thread, all workers
#define VR_NEIGH_TRIES 3        // requests, one a second, before the held packets are dropped
#define VR_NEIGH_REFRESH_S 60   // a resolved next hop is asked again after this
#define VR_NEIGH_EXPIRE_S 180   // and forgotten when it has not answered for this long

struct vr_neigh_key { // 8-byte aligned, no unnamed padding: hashed 8 bytes at a time, compared
	uint16_t bd_id;
	uint8_t family;
	uint8_t pad;
	uint8_t addr[16];
	uint8_t pad2[4];
} __rte_aligned(8);

extern struct rte_hash *vr_neigh_hash;
extern struct rte_ring *vr_neigh_pending;
extern uint16_t vr_neigh_event;
extern int vr_neigh_key_off; // mbuf dynamic field: the vr_neigh_key a held packet waits for

static inline void vr_neigh_key_make(struct vr_neigh_key *k, uint16_t bd_id, int family,
				     const uint8_t *addr) {
	memset(k, 0, sizeof(*k));
	k->bd_id = bd_id;
	k->family = (uint8_t)family;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
}

// Data path. The MAC learned for next hop `addr` in network `bd_id`, or false.
static inline bool vr_neigh_lookup(uint16_t bd_id, int family, const uint8_t *addr,
				   struct rte_ether_addr *mac) {
	struct vr_neigh_key k;
	void *data;
	uint64_t d;

	if (vr_neigh_hash == NULL)
		return false;
	vr_neigh_key_make(&k, bd_id, family, addr);
	if (rte_hash_lookup_data(vr_neigh_hash, &k, &data) < 0)
		return false;
	d = (uintptr_t)data;
	memcpy(mac, &d, sizeof(*mac));
	return true;
}

// Data path. The same, the MAC as the low 48 bits of the result (0: none).
static inline uint64_t vr_neigh_mac48(uint16_t bd_id, int family, const uint8_t *addr) {
	struct vr_neigh_key k;
	void *data;

	if (vr_neigh_hash == NULL)
		return 0;
	vr_neigh_key_make(&k, bd_id, family, addr);
	if (rte_hash_lookup_data(vr_neigh_hash, &k, &data) < 0)
		return 0;
	return (uintptr_t)data;
}

// Data path. Tell the control thread that `addr` in `bd_id` answered with `mac`, or (mac NULL)
// that a packet needs it.
static inline void vr_neigh_event_post(struct dp_lcore *lc, uint16_t bd_id, int family,
				       const uint8_t *addr, const struct rte_ether_addr *mac) {
	struct dp_event ev = {.type = vr_neigh_event, .bd_id = bd_id};

	ev.data[0] = (uint8_t)family;
	memcpy(ev.data + 1, addr, family == 4 ? 4 : 16);
	if (mac != NULL) {
		ev.data[17] = 1;
		memcpy(ev.data + 18, mac, 6);
	}
	dp_event_post(lc, &ev);
}

// Data path. Hand a copy of `m` (not yet rewritten) to the control thread to hold until its next
// hop answers; false when it cannot (no mbuf, the ring is full).
bool vr_neigh_hold(struct rte_mbuf *m, uint16_t bd_id, int family, const uint8_t *addr);

// Control thread, at start-up. The table, the ring, the event and port_rx's edge to ip_route.
int vr_neigh_init(void);
// Control thread. Periodic: drain the held packets, ask, refresh, expire, give up.
void vr_neigh_periodic(void);
// Control thread. Send every held packet back as unresolved (tests and fuzzers that need the
// pool whole between inputs).
void vr_neigh_release_all(void);
// Control thread. The table as a list for show.neighbours, and its counters.
json_t *vr_neigh_json(void);
json_t *vr_neigh_stats_json(void);
