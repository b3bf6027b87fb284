// SPDX-License-Identifier: BSD-3-Clause
// vrouter: tenant routers (VRFs) of the rules document, their FIBs and next hops. The section's
// data (struct vr_cfg) is part of the configuration snapshot: built by the control thread from
// "routers" and the networks' subnets, immutable once published, read by workers (ip_route) and
// by the control thread (show routes).
//
// One FIB per address family holds every VRF's routes: an rte_fib6 trie whose 128-bit key is the
// VRF index (16 bits) followed by the address, so that any number of routers share one table of
// fixed size (a DIR-24-8 table per VRF would cost 32 MB or more each). IPv4 routes of length L
// are keys of length 16 + L; IPv6 keys keep the first 112 bits of the address, so IPv6 routes
// are at most /112 (longer ones are refused). Next hops are 2-byte indexes into `nh`.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/config.h"

extern int vrouter_logtype;

#define VR_ROUTERS_MAX 1024   // routers per document (the schema's limit)
#define VR_ROUTES_MAX 1000000 // static routes per router (the schema's limit)
#define VR_NH_MAX 32767       // distinct next hops: rte_fib6 trie 2-byte entries keep 15 bits
#define VR_VRF_NONE UINT16_MAX
#define VR_BD_NONE UINT16_MAX
#define VR_IP6_PREFIX_MAX 112 // IPv6 routes and subnets: the key keeps 112 bits of the address
#define VR_KEY_VRF_BITS 16

enum vr_nh_type {
	VR_NH_NONE = 0,   // index 0: no route (the FIBs' default)
	VR_NH_CONNECTED,  // a subnet of one of the router's networks: the destination is the neighbour
	VR_NH_GATEWAY,    // a static route's next hop, in a connected subnet
	VR_NH_BLACKHOLE,  // a static route that drops
};

#define VR_ECMP_MAX 16 // next hops of one route

// Where a route leads: a neighbour address (static routes; a connected route's neighbour is the
// packet's destination) in an egress network.
struct vr_path {
	uint8_t addr[16];             // VR_NH_GATEWAY: the next hop's address
	uint16_t bd_id;               // the egress network's bridge domain, VR_BD_NONE if the
				      // address is in no subnet of the router
	uint16_t mtu;                 // its MTU
	uint32_t vni;                 // its VNI
	struct rte_ether_addr mac;    // the router's MAC: the source MAC of what is routed
	uint16_t pad;
};

// A next hop, interned by content (vrouter/fib.h): every field, padding included, is part of its
// identity, so build one zeroed. Routes with the same next hop share one entry; the prefix a
// packet matched comes from the FIB's RIB.
struct vr_nh {
	uint8_t type;                 // enum vr_nh_type
	uint8_t family;               // 4 or 6
	uint8_t n_paths;              // 1, up to VR_ECMP_MAX (ECMP); 0 for a blackhole
	bool has_gw;
	uint16_t vrf_id;              // the router's
	uint8_t prefix_len;           // VR_NH_CONNECTED: its subnet (static: 0)
	uint8_t pad;
	uint8_t prefix[16];
	uint8_t gw[16];               // VR_NH_CONNECTED: the subnet's gateway (answered locally)
	struct vr_path via[VR_ECMP_MAX];
} __rte_aligned(8); // hashed 8 bytes at a time (rte_hash_crc)

// A routed network (one with a router), as vrouter sees it.
#define VR_NET_SUBNETS_MAX 16

struct vr_subnet {
	uint8_t family, len;
	bool has_gw;
	uint8_t prefix[16], gw[16];
};

struct vr_net {
	const char *id;               // points into the document's "networks" (held by vr_cfg)
	uint32_t doc_index;           // networks[doc_index]
	uint8_t n_subnets;
	struct vr_subnet subnets[VR_NET_SUBNETS_MAX];
	uint16_t vrf;
	uint16_t bd_id;               // set by build
	uint32_t vni;
	uint16_t mtu;
	struct rte_ether_addr mac;    // the router's MAC
	bool has_gw4, has_gw6;        // its first gateway of each family: the source of the ICMP
	uint8_t gw4[4], gw6[16];      // errors that the router sends into this network
};

struct vr_vrf {
	const char *id;
	uint16_t vrf_id;              // stable for the router's life (set by build): FIB keys, counters
	const char *tenant;
	struct rte_ether_addr mac;
	uint32_t n_routes;
	struct vr_route_spec *routes; // document order
	uint32_t n_nets;              // networks attached to it
	// Set by parse when the router's routes were taken from the applied snapshot's (the same
	// networks, the same router but for its routes, route objects shared with the applied
	// document): build changes only the routes parsed anew and those that went.
	bool incremental;
	uint32_t n_fresh, *fresh;     // indexes in routes of the routes parsed anew
	uint32_t n_removed;           // the applied snapshot's routes that went (prefixes only)
	struct vr_route_spec *removed;
};

struct vr_route_spec {
	uint8_t prefix[16];
	uint8_t n_nexthops;           // 1 ("nexthop"), or 2..VR_ECMP_MAX ("nexthops"); 0: blackhole
	uint8_t nexthop[16];          // the first
	uint8_t (*more)[16];          // ECMP: the others (malloc'd, n_nexthops - 1)
	uint8_t family;
	uint8_t prefix_len;
	bool blackhole;
	uint32_t index;
};

// Any thread. Next hop k of route r.
static inline const uint8_t *vr_route_nexthop(const struct vr_route_spec *r, uint8_t k) {
	return k == 0 ? r->nexthop : r->more[k - 1];
}

struct vr_fib_txn;

struct vr_cfg {
	json_t *src_routers;          // the "routers" and "networks" arrays strings point into
	json_t *src_networks;
	uint16_t n_vrfs;
	struct vr_vrf *vrfs;
	uint32_t n_nets;
	struct vr_net *nets;
	const struct vr_nh *nh;       // the next hop table (fib.h), [0] is VR_NH_NONE
	struct rte_fib6 *fib4, *fib6; // the FIB copies this snapshot reads (NULL: no route yet)
	// vrf_id -> the router's own IPv4 FIB copy (DIR-24-8, keyed by the address alone; a router
	// with more than routing.router_fib_threshold IPv4 routes), or NULL: its routes are in fib4
	struct rte_fib *fib4_own[VR_ROUTERS_MAX];
	struct vr_fib_txn *txn;       // what the transaction that built this data changed (fib.h)
	uint16_t vrf_of_bd[4096];     // bridge domain -> its router's vrf_id (set by build), or
				      // VR_VRF_NONE
	uint16_t vrf_pos[VR_ROUTERS_MAX]; // vrf_id -> index in vrfs (set by build)
	uint16_t net_of_bd[4096];     // bridge domain -> index in nets (set by build)
};

extern int vr_cfg_index; // cfg->section[] slot of the vrouter section

// Any thread. The vrouter section of `cfg`, or NULL (no router in the document).
static inline const struct vr_cfg *vr_cfg_get(const struct dp_config *cfg) {
	return cfg != NULL ? cfg->section[vr_cfg_index] : NULL;
}

// Any thread. The FIB key of `addr` (4 or 16 bytes, by `family`) in VRF `vrf`, and the key length
// of a prefix of `len` bits.
static inline void vr_key(uint16_t vrf, int family, const void *addr, uint8_t key[16]) {
	memset(key, 0, 16);
	key[0] = (uint8_t)(vrf >> 8);
	key[1] = (uint8_t)vrf;
	memcpy(key + 2, addr, family == 4 ? 4 : 14);
}

static inline uint8_t vr_key_depth(uint8_t len) {
	return (uint8_t)(VR_KEY_VRF_BITS + len);
}


// Per worker, per router (vrf_id): what ip_route did. Read by the control thread (show routers)
// without locks: counters only.
struct vr_vrf_counters {
	uint64_t routed;      // forwarded into an egress network (fragments: once)
	uint64_t local;       // echo requests to a gateway answered
	uint64_t icmp_errors; // ICMP errors sent
	uint64_t dropped;     // dropped in routing (every reason)
};

// Control thread. Every worker's counters of router `vrf_id` added up, since the id was given to
// its router.
void vr_counters_sum(uint16_t vrf_id, struct vr_vrf_counters *sum);
// Control thread. Start counting router `vrf_id` from zero (a new router got the id).
void vr_counters_baseline(uint16_t vrf_id);

// Any thread. The prefix length of the route that `addr` matched in router `vrf_id` (by vrf_id)
// of `vc`, from the FIB's RIB (read-only for the snapshot's life); -1 if none.
int vr_route_match_len(const struct vr_cfg *vc, uint16_t vrf_id, int family,
		       const uint8_t *addr);

// Control thread. The next hop that `addr` takes in router `vrf` (index in vrfs) of `vc` (0:
// none), and the matched prefix's length in *len.
uint32_t vr_route_lookup(const struct vr_cfg *vc, uint16_t vrf, int family, const uint8_t *addr,
			 uint8_t *len);

// Control thread. The index of router `id` in `vc`, or VR_VRF_NONE.
uint16_t vr_vrf_find(const struct vr_cfg *vc, const char *id);
