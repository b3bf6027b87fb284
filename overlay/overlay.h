// SPDX-License-Identifier: BSD-3-Clause
// The overlay: the underlay port and VTEP address (fixed at start), the VTEP and VNI tables built
// from each rules document, the neighbour table of underlay next hops, and per-worker counters.
// Spec: docs/overlay.md.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>

#include "dataplane/config.h"
#include "dataplane/lcore.h"

#define OVERLAY_VTEPS_MAX 1024  // remote VTEPs known at once (counters are per VTEP index)
#define OVERLAY_VNIS_MAX 4096   // networks carried (counters are per VNI index)
#define OVERLAY_FLOOD_MAX 256   // flood VTEPs per network
#define OVERLAY_STATIC_NEIGH_MAX 64
#define VXLAN_HDR_LEN 8
#define VXLAN_OVERHEAD (14 + 20 + 8 + VXLAN_HDR_LEN) // 50: outer Ethernet, IPv4, UDP, VXLAN

// The underlay, from vnetd's configuration. Thread-safety: written by the control thread before
// the workers start, read-only afterwards.
struct underlay {
	bool enabled;
	char device[DP_DEVARGS_SIZE];
	rte_be32_t addr;          // our VTEP address
	rte_be32_t mask;          // of the underlay prefix
	uint8_t plen;
	rte_be32_t gateway;       // 0: none
	struct rte_ether_addr mac;
	bool mac_set;             // from the configuration (else the device's)
	uint16_t udp_port;        // host order
	uint8_t ttl;
	uint8_t dscp;
	uint16_t mtu;
	uint16_t port_id;
	uint16_t n_static;
	struct {
		rte_be32_t ip;
		struct rte_ether_addr mac;
	} static_neigh[OVERLAY_STATIC_NEIGH_MAX];
};

// What vxlan_encap and vxlan_decap record in a trace: the VNI and the outer addresses (and the
// UDP source port chosen by encapsulation), formatted as named fields by vxlan_tunnel_trace_fields.
struct vxlan_tunnel_trace {
	uint32_t vni;
	rte_be32_t src, dst;   // outer IPv4 source and destination
	uint16_t udp_sport;    // encapsulation only
};

struct trace_record;
struct json_t;
struct json_t *vxlan_tunnel_trace_fields(const struct trace_record *r);

// The overlay logs under "vnet.overlay" (registered in overlay_ctl.c).
extern int overlay_logtype;

extern struct underlay underlay;

struct overlay_vtep {
	rte_be32_t ip;
	rte_be32_t next_hop;  // the VTEP itself inside the underlay prefix, else the gateway, else 0
	uint16_t idx;         // stable counter index
};

struct overlay_vni {
	uint32_t vni;
	uint16_t idx;         // stable counter index
	char network[DP_NAME_SIZE];
	uint16_t n_flood;
	const struct overlay_vtep *flood[OVERLAY_FLOOD_MAX];
};

// Built per transaction; part of the snapshot (cfg->section[...]); immutable once published.
struct overlay_cfg {
	struct rte_hash *vnis;     // uint32_t vni -> struct overlay_vni *
	struct rte_hash *vteps;    // rte_be32_t ip -> struct overlay_vtep *
	struct rte_hash *known;    // uint64_t (vni << 32 | vtep) -> VTEP allowed to send that VNI
	uint16_t n_vteps, n_vnis;
	struct overlay_vtep *vtep_list;
	struct overlay_vni *vni_list;
	uint32_t n_known;
	uint64_t *known_list;      // the pairs of `known`, gathered by parse (no EAL needed there)
};

// Any thread. The overlay section of `cfg`, or NULL.
const struct overlay_cfg *overlay_cfg_get(const struct dp_config *cfg);

// Control thread, from the overlay section's parse. Build the overlay data of document `doc`.
struct rules_ctx;
int overlay_cfg_parse(struct rules_ctx *ctx, const json_t *doc, void **data);
// Control thread, from the section's build (needs EAL and the underlay).
int overlay_cfg_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data);
void overlay_cfg_free(void *data);
// Control thread, after publication: forget counter indices of VNIs and VTEPs that are gone.
void overlay_idx_prune(const struct overlay_cfg *oc);

// Per-worker counters, by stable index. Written by one worker each; summed by the control thread.
struct overlay_counter {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
};

struct overlay_counters {
	struct overlay_counter vtep[OVERLAY_VTEPS_MAX];
	struct overlay_counter vni[OVERLAY_VNIS_MAX];
};

extern struct overlay_counters *overlay_counters[DP_WORKERS_MAX];

// The neighbour table of underlay next hops (neigh.c). Thread-safety: the control thread is its
// only writer (ARP replies come to it as events); workers look up with lock-free reads.
extern struct rte_hash *neigh_hash;
extern uint16_t neigh_event;

// Data path. The MAC of next hop `ip`, or false (then ask for it with neigh_resolve_post).
static inline bool neigh_lookup(rte_be32_t ip, struct rte_ether_addr *mac) {
	void *data;
	uint64_t d;

	if (rte_hash_lookup_data(neigh_hash, &ip, &data) < 0)
		return false;
	d = (uintptr_t)data;
	memcpy(mac, &d, sizeof(*mac));
	return true;
}

// Data path. Tell the control thread that `ip` answered ARP with `mac` (mac NULL: please resolve).
static inline void neigh_event_post(struct dp_lcore *lc, rte_be32_t ip,
				    const struct rte_ether_addr *mac) {
	struct dp_event ev = {.type = neigh_event};

	memcpy(ev.data, &ip, sizeof(ip));
	if (mac != NULL) {
		memcpy(ev.data + 4, mac, sizeof(*mac));
		ev.data[10] = 1;
	}
	dp_event_post(lc, &ev);
}

// Control thread, at start-up.
int neigh_init(void);
// Control thread. Periodic: (re)resolve the next hops in use, expire the silent ones.
void neigh_periodic(void);
// Control thread. The neighbour table as JSON for show.vteps: {"ip": {"mac", "state", "age_s"}}.
struct json_t;
struct json_t *neigh_json(void);

// Control thread, before EAL: the "underlay" key of vnetd's configuration.
int underlay_config(const json_t *value, char *err, size_t err_size);
// Control thread, at start-up: attach the underlay port and make it a system port.
int underlay_init(void);
