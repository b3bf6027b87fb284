// SPDX-License-Identifier: BSD-3-Clause
// Tenant networks (one bridge domain each) and the vswitch view of ports, built from the rules
// document's "networks", "ports" and "static_macs". Thread-safety: part of the configuration
// snapshot (cfg->section[bridge_section_index()]): built by the control thread, immutable once
// published, read by workers.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>

#include "dataplane/config.h"

#define BRIDGE_MAX 4096      // networks per vnetd; bd_id is 0..BRIDGE_MAX-1
#define BRIDGE_PORT_IPS_MAX 16
#define BRIDGE_STATIC_MAX 65536

struct bridge {
	char id[DP_NAME_SIZE];
	char tenant[DP_NAME_SIZE];
	uint32_t vni;
	uint16_t mtu;               // largest L3 packet
	uint16_t bd_id;             // stable for the life of the network (learned MACs refer to it)
	bool mac_learning;
	uint32_t mac_limit;         // learned MACs at most
	uint32_t mac_aging_s;
	uint16_t n_ports;
	uint16_t ports[RTE_MAX_ETHPORTS]; // DPDK port ids: the flood list
};

struct bridge_port {
	char name[DP_NAME_SIZE];
	char network[DP_NAME_SIZE];
	char kind[16];
	uint16_t port_id;
	uint16_t bd_id;
	struct rte_ether_addr mac;
	bool port_security;
	uint8_t n_ip4, n_ip6;
	rte_be32_t ip4[BRIDGE_PORT_IPS_MAX];
	uint8_t ip6[BRIDGE_PORT_IPS_MAX][16];
	uint8_t ip6_ll[16];         // the EUI-64 link-local address of `mac` (fe80::/64)
};

// The MAC table key shared by the static table (snapshot) and the learned one (fdb.c).
struct bridge_mac_key {
	uint16_t bd_id;
	struct rte_ether_addr mac;
};

struct bridge_cfg {
	struct bridge *bd[BRIDGE_MAX];                  // by bd_id, NULL if unused
	struct bridge_port *port[RTE_MAX_ETHPORTS];     // by DPDK port id, NULL if not a vNIC
	uint16_t n_bridges, n_ports, n_static;
	struct bridge *bridges;                         // n_bridges, document order
	struct bridge_port *ports;                      // n_ports, document order
	struct rte_hash *static_macs;                   // bridge_mac_key -> port id (port MACs too)
	struct bridge_static {                          // static_macs, until build resolves ports
		char port[DP_NAME_SIZE];
		struct bridge_mac_key key;
	} *statics;
};

// Any thread. The vswitch section of `cfg`, or NULL before the first transaction.
const struct bridge_cfg *bridge_cfg_get(const struct dp_config *cfg);

// Data path. The bridge `bd_id` in `bc`, or NULL.
static inline const struct bridge *bridge_lookup(const struct bridge_cfg *bc, uint16_t bd_id) {
	return bd_id < BRIDGE_MAX ? bc->bd[bd_id] : NULL;
}

// Data path. The port with DPDK id `port_id`, or NULL if it is no vNIC.
static inline const struct bridge_port *bridge_port_lookup(const struct bridge_cfg *bc,
							   uint16_t port_id) {
	return port_id < RTE_MAX_ETHPORTS ? bc->port[port_id] : NULL;
}

// Data path. The port that static MAC `key` lives behind, or -1.
static inline int bridge_static_lookup(const struct bridge_cfg *bc,
				       const struct bridge_mac_key *key) {
	void *data;

	if (rte_hash_lookup_data(bc->static_macs, key, &data) < 0)
		return -1;
	return (int)(uintptr_t)data;
}

// Control thread. The network named `id` in `bc`, or NULL.
const struct bridge *bridge_find(const struct bridge_cfg *bc, const char *id);
