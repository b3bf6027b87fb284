// SPDX-License-Identifier: BSD-3-Clause
// Tenant networks (one bridge domain each) and the vswitch view of ports, built from the rules
// document's "networks", "ports" and "static_macs". Thread-safety: part of the configuration
// snapshot (cfg->section[bridge_section_index()]): built by the control thread, immutable once
// published, read by workers.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// vswitch logs under "vnet.vswitch" (registered in vswitch_ctl.c).
extern int vswitch_logtype;

#include <rte_ether.h>
#include <jansson.h>
#include <rte_hash.h>

#include "dataplane/config.h"
#include "dataplane/pkt.h"
#include "vswitch/vsw_table.h"

#define BRIDGE_MAX 4096      // networks per vnetd; bd_id is 0..BRIDGE_MAX-1
#define BRIDGE_PORT_IPS_MAX 16
#define BRIDGE_STATIC_MAX 131072 // static MACs in one document
#define BRIDGE_SUBNETS_MAX 16 // subnets per network (the schema's limit)

// The port of a static MAC entry that is the network's router (its gateway MAC): l2_lookup hands
// frames addressed to it to routing (the attach point `l3_input`) instead of a port.
#define BRIDGE_PORT_ROUTER (PKT_PORT_NONE - 1)
// Set in the data of an address table entry (ip4/ip6) that is a gateway of the network's router:
// neighbour advertisements for it carry the router flag (RFC 4861 section 4.4).
#define BRIDGE_IP_ROUTER (1ULL << 63)
#define BRIDGE_IP_MAC_MASK ((1ULL << 48) - 1)

#define BRIDGE_DNS_MAX 4 // DNS servers per subnet (DHCP option 6, RA option 25)

enum bridge_ra_mode {
	BRIDGE_RA_SLAAC = 0,      // prefix with A (autonomous): addresses by SLAAC (RFC 4862)
	BRIDGE_RA_DHCP6_STATELESS, // A and O (other configuration by DHCPv6)
	BRIDGE_RA_DHCP6_STATEFUL, // M and O, no A: addresses by a DHCPv6 server (not vnetd's)
	BRIDGE_RA_NONE,           // no router advertisement for this prefix
};

// A subnet of a network: what the gateway, DHCP and router advertisements say about it.
struct bridge_subnet {
	uint8_t family;             // 4 or 6
	uint8_t prefix_len;
	uint8_t prefix[16];
	bool has_gw;
	uint8_t gw[16];
	bool dhcp;                  // IPv4: vnetd answers DHCP for the network's ports in it
	uint8_t ra_mode;            // IPv6: enum bridge_ra_mode
	uint8_t n_dns;
	uint8_t dns[BRIDGE_DNS_MAX][16];
};

struct bridge {
	char id[DP_NAME_SIZE];
	char tenant[DP_NAME_SIZE];
	uint32_t tenant_id;         // the engine's id of `tenant` (rules_object): stable, 1..
	uint32_t vni;
	uint16_t mtu;               // largest L3 packet
	uint16_t bd_id;             // stable for the life of the network (learned MACs refer to it)
	char router[DP_NAME_SIZE];  // the network's router, "" if none
	struct rte_ether_addr router_mac; // its MAC (set by build), the gateways' MAC
	uint8_t router_ll[16];      // the router's link-local address (fe80::/64, EUI-64 of its MAC)
	uint8_t n_gw4, n_gw6;       // the subnets' gateways: answered with router_mac
	rte_be32_t gw4[BRIDGE_SUBNETS_MAX];
	uint8_t gw6[BRIDGE_SUBNETS_MAX][16];
	uint8_t n_subnets;
	struct bridge_subnet subnets[BRIDGE_SUBNETS_MAX];
	bool mac_learning;
	bool vxlan_learning;        // learn inner source MACs behind their source VTEP
	uint16_t n_flood_vteps;     // VTEPs that get a copy of floods (the overlay sends them)
	uint32_t mac_limit;         // learned MACs at most
	uint32_t mac_aging_s;
	uint16_t n_ports;
	uint16_t ports[DP_PORTS_MAX]; // DPDK port ids: the flood list
	// The network's static tables (vsw_table.h), shared with the previous snapshot when nothing
	// they are built from changed (bridge.c, tables_build).
	const struct vsw_table *macs;     // bridge_mac_key (as k0) -> MAC_DATA: ports, static, remote
	const struct vsw_table *ip4;      // IPv4 address (k0) -> MAC (as uint64_t), for suppression
	const struct vsw_table *ip6;      // IPv6 address (k0, k1) -> MAC
	struct bridge_tables *tables;     // their owner (refcounted; control thread)
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
_Static_assert(sizeof(struct bridge_mac_key) == 8, "MAC keys are compared as 8 bytes");

// The data of a MAC table entry, in both tables, never 0: the local DPDK port (PKT_PORT_NONE
// for a static remote MAC) in bits 0..15, the learned table slot + 1 (0: none) in bits 16..30,
// bit 31 set, and the remote VTEP (0: a local MAC) in bits 32..63.
#define MAC_DATA(port, pos, vtep)                                                                   \
	((uint64_t)(uint16_t)(port) | ((uint64_t)(((pos) + 1) & 0x7fff) << 16) | (1ULL << 31) |     \
	 ((uint64_t)(uint32_t)(vtep) << 32))
#define MAC_DATA_PORT(d) ((uint16_t)((uint64_t)(d) & 0xffff))
#define MAC_DATA_POS(d) ((int32_t)(((uint64_t)(d) >> 16) & 0x7fff) - 1)
#define MAC_DATA_VTEP(d) ((rte_be32_t)((uint64_t)(d) >> 32))

// Any thread. rte_hash key comparison for 8-byte keys (struct bridge_mac_key): one load and
// compare instead of a memcmp call.
static inline int bridge_mac_key_cmp(const void *a, const void *b, size_t len) {
	uint64_t x, y;

	RTE_SET_USED(len);
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

struct bridge_cfg {
	struct bridge *bd[BRIDGE_MAX];                  // by bd_id, NULL if unused
	struct bridge_port *port[DP_PORTS_MAX];     // by DPDK port id, NULL if not a vNIC
	uint16_t n_bridges, n_ports;
	uint32_t n_static;
	struct bridge *bridges;                         // n_bridges, document order
	struct bridge_port *ports;                      // n_ports, document order
	struct rte_hash *vni_bd;                        // uint32_t vni -> bd_id
	struct bridge_static {                          // static_macs, until build resolves ports
		char port[DP_NAME_SIZE];
		struct bridge_mac_key key;
		uint64_t data;                          // MAC_DATA, set by build
	} *statics;
};

extern int bridge_cfg_index; // cfg->section[] slot of the vswitch section

// Any thread. The vswitch section of `cfg`, or NULL before the first transaction.
static inline const struct bridge_cfg *bridge_cfg_get(const struct dp_config *cfg) {
	return cfg != NULL ? cfg->section[bridge_cfg_index] : NULL;
}

// Any thread. The generation of the vswitch section's data in `cfg`: it moves when networks,
// ports, static or remote MACs change, not when another section changes. (Caches of a network's
// static MAC table key on the table's own version, which moves only with that network.)
static inline uint64_t bridge_cfg_generation(const struct dp_config *cfg) {
	return cfg->section_generation[bridge_cfg_index];
}

// Data path. The bridge `bd_id` in `bc`, or NULL.
static inline const struct bridge *bridge_lookup(const struct bridge_cfg *bc, uint16_t bd_id) {
	return bd_id < BRIDGE_MAX ? bc->bd[bd_id] : NULL;
}

// Data path. The port with DPDK id `port_id`, or NULL if it is no vNIC.
static inline const struct bridge_port *bridge_port_lookup(const struct bridge_cfg *bc,
							   uint16_t port_id) {
	return port_id < DP_PORTS_MAX ? bc->port[port_id] : NULL;
}

// Data path. The data (MAC_DATA) of static MAC `key`, or 0 if it is not static.
static inline uint64_t bridge_static_lookup(const struct bridge_cfg *bc,
					    const struct bridge_mac_key *key) {
	const struct bridge *b = bridge_lookup(bc, key->bd_id);
	uint64_t k;

	if (b == NULL)
		return 0;
	memcpy(&k, key, sizeof(k));
	return vsw_table_lookup(b->macs, k, 0);
}

// Data path. bridge_static_lookup() for the key {bd_id, MAC}, the MAC given as the low 48 bits of
// `mac48` (as the address tables hold it): the key is made in a register.
static inline uint64_t bridge_static_lookup_mac48(const struct bridge_cfg *bc, uint16_t bd_id,
						  uint64_t mac48) {
	const struct bridge *b = bridge_lookup(bc, bd_id);

	if (b == NULL)
		return 0;
	return vsw_table_lookup(b->macs, (uint64_t)bd_id | (mac48 << 16), 0);
}

// Data path. The data of address `addr` (4 or 16 bytes, by `family`) in network `bd_id`'s
// address table: the MAC in the low 48 bits and BRIDGE_IP_ROUTER, or 0. The key is built in
// registers (a 4-byte store and an 8-byte reload of it would stall).
static inline uint64_t bridge_ip_data(const struct bridge_cfg *bc, uint16_t bd_id, int family,
				      const void *addr) {
	const struct bridge *b = bridge_lookup(bc, bd_id);
	uint64_t k0, k1 = 0;

	if (b == NULL)
		return 0;
	if (family == 4) {
		uint32_t a4;
		memcpy(&a4, addr, 4);
		k0 = a4;
	} else {
		memcpy(&k0, addr, 8);
		memcpy(&k1, (const uint8_t *)addr + 8, 8);
	}
	return vsw_table_lookup(family == 4 ? b->ip4 : b->ip6, k0, k1);
}

// Data path. The MAC the rules give address `addr` in network `bd_id`, or false; *is_router (if
// not NULL) tells whether it is a gateway of the network's router.
static inline bool bridge_ip_lookup_ext(const struct bridge_cfg *bc, uint16_t bd_id, int family,
					const void *addr, struct rte_ether_addr *mac,
					bool *is_router) {
	uint64_t m = bridge_ip_data(bc, bd_id, family, addr);

	if (m == 0)
		return false;
	if (is_router != NULL)
		*is_router = (m & BRIDGE_IP_ROUTER) != 0;
	m &= BRIDGE_IP_MAC_MASK;
	memcpy(mac, &m, sizeof(*mac));
	return true;
}

// Data path. The same, the MAC as the low 48 bits of the result (0: none): for callers that go on
// to use it as a key or copy it into a header, without a trip through memory.
static inline uint64_t bridge_ip_mac48(const struct bridge_cfg *bc, uint16_t bd_id, int family,
				       const void *addr) {
	return bridge_ip_data(bc, bd_id, family, addr) & BRIDGE_IP_MAC_MASK;
}

static inline bool bridge_ip_lookup(const struct bridge_cfg *bc, uint16_t bd_id, int family,
				    const void *addr, struct rte_ether_addr *mac) {
	return bridge_ip_lookup_ext(bc, bd_id, family, addr, mac, NULL);
}

// Data path. The bridge domain of VXLAN network `vni`, or PKT_BD_NONE.
static inline uint16_t bridge_vni_lookup(const struct bridge_cfg *bc, uint32_t vni) {
	void *data;

	if (rte_hash_lookup_data(bc->vni_bd, &vni, &data) < 0)
		return UINT16_MAX;
	return (uint16_t)(uintptr_t)data;
}

// Control thread, while a transaction builds. The bridge domain of network `id`: the one it has
// (stable for the life of the network), or a free one it keeps from now on. -ENOSPC if none is
// free. Sections that key data on bridge domains (vrouter) use it in their build, in any order.
int bridge_bd_id(const char *id);

// Any thread. The EUI-64 link-local address (fe80::/64, RFC 4291 2.5.1) of `mac`.
void bridge_ll_from_mac(const struct rte_ether_addr *mac, uint8_t ll[16]);

// Control thread. The network named `id` in `bc`, or NULL.
const struct bridge *bridge_find(const struct bridge_cfg *bc, const char *id);
