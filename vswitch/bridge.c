// SPDX-License-Identifier: BSD-3-Clause
// The vswitch part of the rules document: "networks", "ports" and "static_macs". Parses and
// validates them, builds the bridge_cfg of a new snapshot (bridge domains, ports, the static MAC
// table) and keeps each network's bd_id stable across transactions. Control thread only.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#define DP_LOG_TYPE vswitch_logtype
#include "dataplane/log.h"
#include "dataplane/rules.h"
#include "vswitch/bridge.h"
#include "vswitch/fdb.h"

static struct rules_section bridge_section;
static json_t *bd_ids;       // network id -> bd_id, for every network of the current snapshot
static uint32_t n_static_tables;

static int bridge_subnets_parse(struct rules_ctx *ctx, const json_t *subnets, const json_t *vteps,
				const char *path);
static void bridge_port_ll_init(struct bridge_port *p);

int bridge_cfg_index;

const struct bridge *bridge_find(const struct bridge_cfg *bc, const char *id) {
	for (uint16_t i = 0; bc != NULL && i < bc->n_bridges; i++)
		if (strcmp(bc->bridges[i].id, id) == 0)
			return &bc->bridges[i];
	return NULL;
}

static void bridge_cfg_free(void *data) {
	struct bridge_cfg *bc = data;

	if (bc == NULL)
		return;
	rte_hash_free(bc->static_macs);
	rte_hash_free(bc->vni_bd);
	rte_hash_free(bc->ips);
	json_decref(bc->remote_ports);
	free(bc->bridges);
	free(bc->ports);
	free(bc->statics);
	free(bc);
}

static int network_parse(struct rules_ctx *ctx, const json_t *o, const char *path,
			 struct bridge *b) {
	static const char *const keys[] = {"id", "tenant", "vni", "mtu", "subnets", "router",
					   "flood_vteps", "mac_limit", "mac_learning", "vxlan_learning",
					   "mac_aging_s", "description", NULL};
	const char *id = NULL, *tenant = NULL, *router = NULL;
	uint64_t vni = 0, mtu = 1500, limit = 4096, aging = 300;
	const json_t *subnets, *vteps;
	bool learning = true, vxlan_learning = false;

	if (rules_check_keys(ctx, o, path, keys) < 0 ||
	    rules_get_id(ctx, o, path, "id", true, &id) < 0 ||
	    rules_get_id(ctx, o, path, "tenant", true, &tenant) < 0 ||
	    rules_get_uint(ctx, o, path, "vni", true, 1, 16777215, &vni) < 0 ||
	    rules_get_uint(ctx, o, path, "mtu", false, 576, 9000, &mtu) < 0 ||
	    rules_get_uint(ctx, o, path, "mac_limit", false, 0, FDB_SIZE, &limit) < 0 ||
	    rules_get_uint(ctx, o, path, "mac_aging_s", false, 10, 86400, &aging) < 0 ||
	    rules_get_bool(ctx, o, path, "mac_learning", false, &learning) < 0 ||
	    rules_get_bool(ctx, o, path, "vxlan_learning", false, &vxlan_learning) < 0 ||
	    rules_get_id(ctx, o, path, "router", false, &router) < 0 ||
	    rules_get_array(ctx, o, path, "subnets", false, &subnets) < 0 ||
	    rules_get_array(ctx, o, path, "flood_vteps", false, &vteps) < 0)
		return -EINVAL;
	if (rules_define(ctx, "network", id, path) < 0)
		return -EINVAL;
	if (router != NULL)
		rules_refer(ctx, "router", router, path);
	*b = (struct bridge){.vni = (uint32_t)vni, .mtu = (uint16_t)mtu, .mac_learning = learning,
			     .vxlan_learning = vxlan_learning,
			     .n_flood_vteps = (uint16_t)json_array_size(vteps),
			     .mac_limit = (uint32_t)limit, .mac_aging_s = (uint32_t)aging};
	snprintf(b->id, sizeof(b->id), "%s", id);
	snprintf(b->tenant, sizeof(b->tenant), "%s", tenant);
	if (bridge_subnets_parse(ctx, subnets, vteps, path) < 0)
		return -EINVAL;
	// Shared with the other sections (rules.h); the engine gives the tenant its id.
	struct rules_object no = {.kind = "network", .vni = b->vni};
	snprintf(no.id, sizeof(no.id), "%s", id);
	snprintf(no.tenant, sizeof(no.tenant), "%s", tenant);
	snprintf(no.router, sizeof(no.router), "%s", router ?: "");
	snprintf(no.path, sizeof(no.path), "%s", path);
	if (rules_object_add(ctx, &no) < 0)
		return -ENOMEM;
	b->tenant_id = no.tenant_id;
	return 0;
}

static int networks_parse(struct rules_ctx *ctx, const json_t *doc, struct bridge_cfg *bc) {
	const json_t *arr = json_object_get(doc, "networks");
	size_t i;
	json_t *o;

	if (json_array_size(arr) > BRIDGE_MAX)
		return rules_error(ctx, "networks", "at most %d networks", BRIDGE_MAX);
	bc->bridges = calloc(json_array_size(arr) + 1, sizeof(*bc->bridges));
	if (bc->bridges == NULL)
		return -ENOMEM;
	json_array_foreach(arr, i, o) {
		char path[48];
		snprintf(path, sizeof(path), "networks[%zu]", i);
		if (network_parse(ctx, o, path, &bc->bridges[i]) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (bc->bridges[j].vni == bc->bridges[i].vni)
				return rules_error(ctx, strcat(path, ".vni"),
						   "%u is already used by network %s",
						   bc->bridges[i].vni, bc->bridges[j].id);
		bc->n_bridges++;
	}
	return 0;
}

static int port_ips_parse(struct rules_ctx *ctx, const json_t *ips, const char *path,
			  struct bridge_port *p) {
	size_t i;
	json_t *v;

	json_array_foreach(ips, i, v) {
		uint8_t addr[16];
		int family;
		char ip_path[96];
		snprintf(ip_path, sizeof(ip_path), "%s.ips[%zu]", path, i);
		if (!json_is_string(v) || rules_parse_ip(json_string_value(v), &family, addr) < 0)
			return rules_error(ctx, ip_path, "not an IPv4 or IPv6 address");
		if ((family == 4 ? p->n_ip4 : p->n_ip6) >= BRIDGE_PORT_IPS_MAX)
			return rules_error(ctx, ip_path, "at most %d IPv4 and %d IPv6 addresses",
					   BRIDGE_PORT_IPS_MAX, BRIDGE_PORT_IPS_MAX);
		if (family == 4)
			memcpy(&p->ip4[p->n_ip4++], addr, 4);
		else
			memcpy(p->ip6[p->n_ip6++], addr, 16);
	}
	return 0;
}

static int port_parse(struct rules_ctx *ctx, const json_t *o, const char *path,
		      struct bridge_port *p) {
	static const char *const keys[] = {"id", "network", "kind", "device", "mac", "ips",
					   "port_security", "security_groups", "description", NULL};
	const char *id = NULL, *network = NULL, *kind = "other", *device = NULL, *mac = NULL;
	const json_t *ips, *sgs;
	bool security = true;
	char fp[96];
	size_t i;
	json_t *v;

	if (rules_check_keys(ctx, o, path, keys) < 0 ||
	    rules_get_id(ctx, o, path, "id", true, &id) < 0 ||
	    rules_get_id(ctx, o, path, "network", true, &network) < 0 ||
	    rules_get_string(ctx, o, path, "kind", false, &kind) < 0 ||
	    rules_get_string(ctx, o, path, "device", true, &device) < 0 ||
	    rules_get_string(ctx, o, path, "mac", true, &mac) < 0 ||
	    rules_get_bool(ctx, o, path, "port_security", false, &security) < 0 ||
	    rules_get_array(ctx, o, path, "ips", false, &ips) < 0 ||
	    rules_get_array(ctx, o, path, "security_groups", false, &sgs) < 0)
		return -EINVAL;
	if (strcmp(kind, "container") && strcmp(kind, "vm") && strcmp(kind, "other")) {
		snprintf(fp, sizeof(fp), "%s.kind", path);
		return rules_error(ctx, fp, "must be container, vm or other, not \"%.64s\"", kind);
	}
	*p = (struct bridge_port){.port_security = security};
	if (rules_parse_mac(mac, &p->mac) < 0 || !rte_is_unicast_ether_addr(&p->mac) ||
	    rte_is_zero_ether_addr(&p->mac)) {
		snprintf(fp, sizeof(fp), "%s.mac", path);
		return rules_error(ctx, fp, "\"%.64s\" is not a unicast MAC address", mac);
	}
	if (port_ips_parse(ctx, ips, path, p) < 0 || rules_define(ctx, "port", id, path) < 0 ||
	    rules_port_want(ctx, id, device, path) < 0)
		return -EINVAL;
	rules_refer(ctx, "network", network, path);
	json_array_foreach(sgs, i, v) {
		char sg_path[96];
		snprintf(sg_path, sizeof(sg_path), "%s.security_groups[%zu]", path, i);
		if (!json_is_string(v))
			return rules_error(ctx, sg_path, "must be a security group id");
		rules_refer(ctx, "security_group", json_string_value(v), sg_path);
	}
	snprintf(p->name, sizeof(p->name), "%s", id);
	snprintf(p->network, sizeof(p->network), "%s", network);
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	bridge_port_ll_init(p);
	struct rules_object po = {.kind = "port", .mac = p->mac}; // shared (rules.h)
	snprintf(po.id, sizeof(po.id), "%s", id);
	snprintf(po.network, sizeof(po.network), "%s", network);
	snprintf(po.path, sizeof(po.path), "%s", path);
	return rules_object_add(ctx, &po);
}

static int ports_parse(struct rules_ctx *ctx, const json_t *doc, struct bridge_cfg *bc) {
	const json_t *arr = json_object_get(doc, "ports");
	size_t i;
	json_t *o;

	bc->ports = calloc(json_array_size(arr) + 1, sizeof(*bc->ports));
	if (bc->ports == NULL)
		return -ENOMEM;
	json_array_foreach(arr, i, o) {
		char path[48];
		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (port_parse(ctx, o, path, &bc->ports[i]) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(bc->ports[j].network, bc->ports[i].network) == 0 &&
			    rte_is_same_ether_addr(&bc->ports[j].mac, &bc->ports[i].mac))
				return rules_error(ctx, strcat(path, ".mac"),
						   "%s is already used by port %s in network %s",
						   json_string_value(json_object_get(o, "mac")),
						   bc->ports[j].name, bc->ports[i].network);
		bc->n_ports++;
	}
	return 0;
}


// Subnets and flood VTEPs are validated now and enforced by vrouter/overlay later.
static int bridge_subnets_parse(struct rules_ctx *ctx, const json_t *subnets, const json_t *vteps,
				const char *path) {
	static const char *const keys[] = {"cidr", "gateway", NULL};
	size_t i;
	json_t *v;

	json_array_foreach(subnets, i, v) {
		char sp[96];
		const char *cidr = NULL, *gw = NULL;
		uint8_t addr[16], plen;
		int family, gw_family;

		snprintf(sp, sizeof(sp), "%s.subnets[%zu]", path, i);
		if (rules_check_keys(ctx, v, sp, keys) < 0 ||
		    rules_get_string(ctx, v, sp, "cidr", true, &cidr) < 0 ||
		    rules_get_string(ctx, v, sp, "gateway", false, &gw) < 0)
			return -EINVAL;
		if (rules_parse_cidr(cidr, &family, addr, &plen) < 0) {
			char cp[112];
			snprintf(cp, sizeof(cp), "%s.cidr", sp);
			return rules_cidr_error(ctx, cp, cidr);
		}
		if (gw != NULL && (rules_parse_ip(gw, &gw_family, addr) < 0 || gw_family != family))
			return rules_error(ctx, sp, "gateway \"%s\" is not an IPv%d address", gw,
					   family);
	}
	json_array_foreach(vteps, i, v) {
		char sp[96];
		uint8_t addr[16];
		int family;

		snprintf(sp, sizeof(sp), "%s.flood_vteps[%zu]", path, i);
		if (!json_is_string(v) || rules_parse_ip(json_string_value(v), &family, addr) < 0 ||
		    family != 4)
			return rules_error(ctx, sp, "must be an IPv4 VTEP address");
	}
	return 0;
}

// RFC 4291 section 2.5.1 / appendix A: fe80::/64 with the modified EUI-64 of the MAC.
static void bridge_port_ll_init(struct bridge_port *p) {
	const uint8_t *m = p->mac.addr_bytes;

	memset(p->ip6_ll, 0, sizeof(p->ip6_ll));
	p->ip6_ll[0] = 0xfe;
	p->ip6_ll[1] = 0x80;
	p->ip6_ll[8] = m[0] ^ 0x02;
	p->ip6_ll[9] = m[1];
	p->ip6_ll[10] = m[2];
	p->ip6_ll[11] = 0xff;
	p->ip6_ll[12] = 0xfe;
	p->ip6_ll[13] = m[3];
	p->ip6_ll[14] = m[4];
	p->ip6_ll[15] = m[5];
}

static int statics_parse(struct rules_ctx *ctx, const json_t *doc, struct bridge_cfg *bc) {
	static const char *const keys[] = {"network", "mac", "port", NULL};
	const json_t *arr = json_object_get(doc, "static_macs");
	size_t i;
	json_t *o;

	if (json_array_size(arr) > BRIDGE_STATIC_MAX / 2)
		return rules_error(ctx, "static_macs", "at most %d entries", BRIDGE_STATIC_MAX / 2);
	bc->statics = calloc(json_array_size(arr) + 1, sizeof(*bc->statics));
	if (bc->statics == NULL)
		return -ENOMEM;
	json_array_foreach(arr, i, o) {
		struct bridge_static *st = &bc->statics[i];
		const char *network = NULL, *mac = NULL, *port = NULL;
		char path[48];

		snprintf(path, sizeof(path), "static_macs[%zu]", i);
		if (rules_check_keys(ctx, o, path, keys) < 0 ||
		    rules_get_id(ctx, o, path, "network", true, &network) < 0 ||
		    rules_get_string(ctx, o, path, "mac", true, &mac) < 0 ||
		    rules_get_id(ctx, o, path, "port", true, &port) < 0)
			return -EINVAL;
		if (rules_parse_mac(mac, &st->key.mac) < 0 ||
		    !rte_is_unicast_ether_addr(&st->key.mac) ||
		    rte_is_zero_ether_addr(&st->key.mac)) {
			char fp[96];
			snprintf(fp, sizeof(fp), "%s.mac", path);
			return rules_error(ctx, fp, "\"%.64s\" is not a unicast MAC address", mac);
		}
		rules_refer(ctx, "network", network, path);
		rules_refer(ctx, "port", port, path);
		snprintf(st->port, sizeof(st->port), "%s", port);
		// The network name is kept in the key's place until build() knows its bd_id.
		st->key.bd_id = UINT16_MAX;
		bc->n_static++;
		for (uint16_t j = 0; j < bc->n_ports; j++) {
			if (strcmp(bc->ports[j].name, port) == 0 &&
			    strcmp(bc->ports[j].network, network) != 0)
				return rules_error(ctx, path, "port %s is in network %s, not %s",
						   port, bc->ports[j].network, network);
		}
	}
	return 0;
}

static int bridge_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	struct bridge_cfg *bc = calloc(1, sizeof(*bc));

	if (bc == NULL)
		return -ENOMEM;
	*data = bc;
	if (networks_parse(ctx, doc, bc) < 0 || ports_parse(ctx, doc, bc) < 0 ||
	    statics_parse(ctx, doc, bc) < 0)
		return -EINVAL;
	bc->remote_ports = json_incref(json_object_get(doc, "remote_ports"));
	return 0;
}

// A stable bd_id for network `id`: the one it had, or the lowest free one.
static int bd_id_assign(const char *id) {
	static uint8_t used[BRIDGE_MAX];
	json_t *v;
	const char *key;

	if (bd_ids == NULL)
		bd_ids = json_object();
	v = json_object_get(bd_ids, id);
	if (v != NULL)
		return (int)json_integer_value(v);
	memset(used, 0, sizeof(used));
	json_object_foreach(bd_ids, key, v)
		used[json_integer_value(v)] = 1;
	for (int i = 0; i < BRIDGE_MAX; i++) {
		if (!used[i]) {
			json_object_set_new(bd_ids, id, json_integer(i));
			return i;
		}
	}
	return -ENOSPC;
}

static struct rte_hash *table_create(const char *what, uint32_t entries, uint32_t key_len) {
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(64u, entries),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};

	snprintf(name, sizeof(name), "vsw_%s_%u", what, n_static_tables++);
	return rte_hash_create(&hp);
}

static int tables_create(struct bridge_cfg *bc) {
	uint32_t n_remote = (uint32_t)json_array_size(bc->remote_ports);
	uint32_t n_ips = n_remote * 4 + (uint32_t)bc->n_ports * BRIDGE_PORT_IPS_MAX * 2;

	bc->static_macs = table_create("mac", (bc->n_ports + bc->n_static + n_remote) * 2,
				       sizeof(struct bridge_mac_key));
	if (bc->static_macs != NULL)
		rte_hash_set_cmp_func(bc->static_macs, bridge_mac_key_cmp);
	bc->vni_bd = table_create("vni", bc->n_bridges * 2, sizeof(uint32_t));
	bc->ips = table_create("ip", n_ips, sizeof(struct bridge_ip_key));
	return bc->static_macs && bc->vni_bd && bc->ips ? 0 : -ENOMEM;
}

static int static_add(struct rules_ctx *ctx, struct bridge_cfg *bc, const struct bridge_mac_key *k,
		      uint64_t data, const char *path) {
	void *prev;

	if (rte_hash_lookup_data(bc->static_macs, k, &prev) >= 0 && (uintptr_t)prev != data)
		return rules_error(ctx, path, "MAC already lives behind another port or VTEP");
	if (rte_hash_add_key_data(bc->static_macs, k, (void *)(uintptr_t)data) < 0)
		return rules_error(ctx, path, "static MAC table full");
	return 0;
}

// The address table of ARP/ND suppression: each IP of a local or remote port, with its MAC.
static int ip_add(struct rules_ctx *ctx, struct bridge_cfg *bc, uint16_t bd_id, int family,
		  const void *addr, const struct rte_ether_addr *mac, const char *path) {
	struct bridge_ip_key k = {.bd_id = bd_id, .family = (uint8_t)family};
	uint64_t m = 0;
	void *prev;

	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	memcpy(&m, mac, sizeof(*mac));
	if (rte_hash_lookup_data(bc->ips, &k, &prev) >= 0 && (uintptr_t)prev != m)
		return rules_error(ctx, path, "IP address already belongs to another MAC in the network");
	if (rte_hash_add_key_data(bc->ips, &k, (void *)(uintptr_t)m) < 0)
		return rules_error(ctx, path, "address table full");
	return 0;
}

static int port_addresses_add(struct rules_ctx *ctx, struct bridge_cfg *bc,
			      const struct bridge_port *p, const char *path) {
	for (uint8_t j = 0; j < p->n_ip4; j++)
		if (ip_add(ctx, bc, p->bd_id, 4, &p->ip4[j], &p->mac, path) < 0)
			return -EINVAL;
	for (uint8_t j = 0; j < p->n_ip6; j++)
		if (ip_add(ctx, bc, p->bd_id, 6, p->ip6[j], &p->mac, path) < 0)
			return -EINVAL;
	return 0;
}

// Remote ports (owned and validated by the overlay section; read here for the MACs and IPs that
// live behind VTEPs): static MAC entries pointing at the VTEP, and addresses for suppression.
static int remotes_build(struct rules_ctx *ctx, struct bridge_cfg *bc) {
	json_t *by_id = json_object(); // network id -> index in bc->bridges: one lookup per remote
	size_t i;
	json_t *o;
	int ret = 0;

	for (uint16_t b = 0; b < bc->n_bridges; b++)
		json_object_set_new(by_id, bc->bridges[b].id, json_integer(b));
	json_array_foreach(bc->remote_ports, i, o) {
		const char *net = json_string_value(json_object_get(o, "network"));
		const json_t *bi = net != NULL ? json_object_get(by_id, net) : NULL;
		const struct bridge *b = bi != NULL ? &bc->bridges[json_integer_value(bi)] : NULL;
		const char *vtep_s = json_string_value(json_object_get(o, "vtep"));
		const char *mac_s = json_string_value(json_object_get(o, "mac"));
		struct bridge_mac_key key;
		uint8_t vtep[16], addr[16];
		int family;
		size_t j;
		json_t *ip;
		char path[48];

		snprintf(path, sizeof(path), "remote_ports[%zu]", i);
		if (b == NULL || vtep_s == NULL || mac_s == NULL || rules_parse_mac(mac_s, &key.mac) < 0 ||
		    rules_parse_ip(vtep_s, &family, vtep) < 0 || family != 4)
			continue; // the overlay section refuses it with its reason
		key.bd_id = b->bd_id;
		if (static_add(ctx, bc, &key, MAC_DATA(PKT_PORT_NONE, -1, *(rte_be32_t *)vtep), path) < 0) {
			ret = -EINVAL;
			break;
		}
		json_array_foreach(json_object_get(o, "ips"), j, ip) {
			if (json_is_string(ip) && rules_parse_ip(json_string_value(ip), &family, addr) == 0 &&
			    ip_add(ctx, bc, b->bd_id, family, addr, &key.mac, path) < 0) {
				ret = -EINVAL;
				break;
			}
		}
		if (ret < 0)
			break;
	}
	json_decref(by_id);
	return ret;
}

static int bridge_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data) {
	struct bridge_cfg *bc = data;

	if (tables_create(bc) < 0)
		return -ENOMEM;
	for (uint16_t i = 0; i < bc->n_bridges; i++) {
		int id = bd_id_assign(bc->bridges[i].id);
		uint32_t vni = bc->bridges[i].vni;
		if (id < 0)
			return rules_error(ctx, "networks", "no free bridge domain id");
		bc->bridges[i].bd_id = (uint16_t)id;
		bc->bd[id] = &bc->bridges[i];
		if (rte_hash_add_key_data(bc->vni_bd, &vni, (void *)(uintptr_t)id) < 0)
			return -ENOMEM;
	}
	for (uint16_t i = 0; i < bc->n_ports; i++) {
		struct bridge_port *p = &bc->ports[i];
		struct bridge *b = (struct bridge *)bridge_find(bc, p->network);
		const struct dp_port *dp = dp_config_port_lookup(cfg, p->name);
		char path[48];

		snprintf(path, sizeof(path), "ports[%u]", i);
		p->port_id = dp->port_id;
		p->bd_id = b->bd_id;
		bc->port[p->port_id] = p;
		b->ports[b->n_ports++] = p->port_id;
		if (static_add(ctx, bc, &(struct bridge_mac_key){p->bd_id, p->mac},
			       MAC_DATA(p->port_id, -1, 0), path) < 0 ||
		    port_addresses_add(ctx, bc, p, path) < 0)
			return -EINVAL;
	}
	for (uint16_t i = 0; i < bc->n_static; i++) {
		struct bridge_static *st = &bc->statics[i];
		const struct dp_port *dp = dp_config_port_lookup(cfg, st->port);
		char path[48];

		snprintf(path, sizeof(path), "static_macs[%u]", i);
		st->key.bd_id = bc->port[dp->port_id]->bd_id;
		if (static_add(ctx, bc, &st->key, MAC_DATA(dp->port_id, -1, 0), path) < 0)
			return -EINVAL;
	}
	return remotes_build(ctx, bc);
}

// Forget the bd_id of networks that the new snapshot lacks, once their learned MACs are gone.
static void bridge_published(const struct dp_config *old, const struct dp_config *cfg) {
	const struct bridge_cfg *bc = bridge_cfg_get(cfg);
	const char *key;
	json_t *v;
	void *tmp;

	fdb_flush_stale(bc);
	json_object_foreach_safe(bd_ids, tmp, key, v) {
		if (bridge_find(bc, key) == NULL)
			json_object_del(bd_ids, key);
	}
	RTE_SET_USED(old);
}

static struct rules_section bridge_section = {
	.name = "vswitch",
	.arrays = {
		{.key = "networks", .kind = "network", .id_fields = {"id"}},
		{.key = "ports", .kind = "port", .id_fields = {"id"}},
		{.key = "static_macs", .kind = "static_mac", .id_fields = {"network", "mac"}},
	},
	.reads = {"remote_ports"}, // their MACs and IPs go into the static MAC and address tables
	.parse = bridge_parse,
	.build = bridge_build,
	.free = bridge_cfg_free,
	.published = bridge_published,
};

RTE_INIT(bridge_section_init) {
	rules_section_register(&bridge_section);
	bridge_cfg_index = bridge_section.index;
}
