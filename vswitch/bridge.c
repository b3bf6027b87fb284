// SPDX-License-Identifier: BSD-3-Clause
// The vswitch part of the rules document: "networks", "ports" and "static_macs". Parses and
// validates them, builds the bridge_cfg of a new snapshot (bridge domains, ports, the static MAC
// table) and keeps each network's bd_id stable across transactions. Control thread only.

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#define DP_LOG_TYPE vswitch_logtype
#include "dataplane/log.h"
#include "dataplane/rules.h"
#include "dataplane/worker.h"
#include "vswitch/bridge.h"
#include "vswitch/fdb.h"

static struct rules_section bridge_section;
static json_t *bd_ids;       // network id -> bd_id, for every network of the current snapshot
static uint32_t n_static_tables;

static int bridge_subnets_parse(struct rules_ctx *ctx, const json_t *subnets, const json_t *vteps,
				const char *path, struct bridge *b);
static void bridge_port_ll_init(struct bridge_port *p);
struct bridge_tables;
static void bridge_tables_put(struct bridge_tables *t);
static_assert(BRIDGE_PORT_IPS_MAX == RULES_OBJECT_IPS_MAX, "a port's addresses are shared whole");

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
	for (uint16_t i = 0; bc->bridges != NULL && i < bc->n_bridges; i++)
		bridge_tables_put(bc->bridges[i].tables);
	rte_hash_free(bc->vni_bd);
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
	snprintf(b->router, sizeof(b->router), "%s", router ?: "");
	if (bridge_subnets_parse(ctx, subnets, vteps, path, b) < 0)
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
		      const json_t *mtus, struct bridge_port *p) {
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
	    rules_port_want(ctx, id, device, &p->mac,
			    (uint16_t)json_integer_value(json_object_get(mtus, network)), path) < 0)
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
	struct rules_object po = {.kind = "port", .mac = p->mac, .n_ip4 = p->n_ip4,
				  .n_ip6 = p->n_ip6}; // shared (rules.h)
	memcpy(po.ip4, p->ip4, sizeof(po.ip4));
	memcpy(po.ip6, p->ip6, sizeof(po.ip6));
	snprintf(po.id, sizeof(po.id), "%s", id);
	snprintf(po.network, sizeof(po.network), "%s", network);
	snprintf(po.path, sizeof(po.path), "%s", path);
	return rules_object_add(ctx, &po);
}

static int ports_parse(struct rules_ctx *ctx, const json_t *doc, struct bridge_cfg *bc) {
	const json_t *arr = json_object_get(doc, "ports");
	size_t i;
	json_t *o;

	json_t *mtus = json_object(); // network id -> its MTU, for the ports' devices
	int ret = 0;

	bc->ports = calloc(json_array_size(arr) + 1, sizeof(*bc->ports));
	if (bc->ports == NULL || mtus == NULL) {
		json_decref(mtus);
		return -ENOMEM;
	}
	for (uint16_t b = 0; b < bc->n_bridges; b++)
		json_object_set_new(mtus, bc->bridges[b].id, json_integer(bc->bridges[b].mtu));
	json_array_foreach(arr, i, o) {
		char path[48];
		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (port_parse(ctx, o, path, mtus, &bc->ports[i]) < 0) {
			ret = -EINVAL;
			break;
		}
		for (size_t j = 0; j < i && ret == 0; j++)
			if (strcmp(bc->ports[j].network, bc->ports[i].network) == 0 &&
			    rte_is_same_ether_addr(&bc->ports[j].mac, &bc->ports[i].mac))
				ret = rules_error(ctx, strcat(path, ".mac"),
						  "%s is already used by port %s in network %s",
						  json_string_value(json_object_get(o, "mac")),
						  bc->ports[j].name, bc->ports[i].network);
		if (ret < 0)
			break;
		bc->n_ports++;
	}
	json_decref(mtus);
	return ret;
}


// Subnets (their gateways go into the network's address tables: answered with the router's MAC;
// vrouter routes their prefixes) and flood VTEPs (the overlay's).
static int bridge_subnets_parse(struct rules_ctx *ctx, const json_t *subnets, const json_t *vteps,
				const char *path, struct bridge *b) {
	static const char *const keys[] = {"cidr", "gateway", "dns_servers", "dhcp", "ipv6_ra_mode",
					   NULL};
	static const char *const ra_modes[] = {[BRIDGE_RA_SLAAC] = "slaac",
					       [BRIDGE_RA_DHCP6_STATELESS] = "dhcpv6-stateless",
					       [BRIDGE_RA_DHCP6_STATEFUL] = "dhcpv6-stateful",
					       [BRIDGE_RA_NONE] = "none"};
	size_t i;
	json_t *v;

	if (json_array_size(subnets) > BRIDGE_SUBNETS_MAX) {
		char sp[96];
		snprintf(sp, sizeof(sp), "%s.subnets", path);
		return rules_error(ctx, sp, "%zu subnets, at most %d", json_array_size(subnets),
				   BRIDGE_SUBNETS_MAX);
	}
	json_array_foreach(subnets, i, v) {
		char sp[96], fp[160];
		const char *cidr = NULL, *gw = NULL, *ra = NULL;
		const json_t *dns = NULL, *d;
		struct bridge_subnet *sn = &b->subnets[i];
		uint8_t addr[16];
		int family, gw_family;
		bool dhcp = true;
		size_t j;

		snprintf(sp, sizeof(sp), "%s.subnets[%zu]", path, i);
		if (rules_check_keys(ctx, v, sp, keys) < 0 ||
		    rules_get_string(ctx, v, sp, "cidr", true, &cidr) < 0 ||
		    rules_get_string(ctx, v, sp, "gateway", false, &gw) < 0 ||
		    rules_get_array(ctx, v, sp, "dns_servers", false, &dns) < 0 ||
		    rules_get_bool(ctx, v, sp, "dhcp", false, &dhcp) < 0 ||
		    rules_get_string(ctx, v, sp, "ipv6_ra_mode", false, &ra) < 0)
			return -EINVAL;
		if (rules_parse_cidr(cidr, &family, sn->prefix, &sn->prefix_len) < 0) {
			char cp[112];
			snprintf(cp, sizeof(cp), "%s.cidr", sp);
			return rules_cidr_error(ctx, cp, cidr);
		}
		sn->family = (uint8_t)family;
		if (gw != NULL && (rules_parse_ip(gw, &gw_family, addr) < 0 || gw_family != family))
			return rules_error(ctx, sp, "gateway \"%s\" is not an IPv%d address", gw,
					   family);
		if (gw != NULL && !rules_prefix_match(sn->prefix, sn->prefix_len, addr))
			return rules_error(ctx, sp, "gateway \"%s\" is not in %s", gw, cidr);
		if (gw != NULL) {
			sn->has_gw = true;
			memcpy(sn->gw, addr, 16);
		}
		if (gw != NULL && family == 4)
			memcpy(&b->gw4[b->n_gw4++], addr, 4);
		else if (gw != NULL)
			memcpy(b->gw6[b->n_gw6++], addr, 16);
		if (json_object_get(v, "dhcp") != NULL && family != 4)
			return rules_error(ctx, strcat(strcpy(fp, sp), ".dhcp"),
					   "is for IPv4 subnets (IPv6: ipv6_ra_mode)");
		sn->dhcp = family == 4 && dhcp;
		if (ra != NULL && family != 6)
			return rules_error(ctx, strcat(strcpy(fp, sp), ".ipv6_ra_mode"),
					   "is for IPv6 subnets");
		sn->ra_mode = BRIDGE_RA_SLAAC;
		if (ra != NULL) {
			uint8_t k = 0;
			while (k < RTE_DIM(ra_modes) && strcmp(ra, ra_modes[k]) != 0)
				k++;
			if (k == RTE_DIM(ra_modes))
				return rules_error(ctx, strcat(strcpy(fp, sp), ".ipv6_ra_mode"),
						   "\"%s\": slaac, dhcpv6-stateless, dhcpv6-stateful "
						   "or none", ra);
			sn->ra_mode = k;
		}
		if (json_array_size(dns) > BRIDGE_DNS_MAX)
			return rules_error(ctx, strcat(strcpy(fp, sp), ".dns_servers"),
					   "%zu servers, at most %d", json_array_size(dns),
					   BRIDGE_DNS_MAX);
		json_array_foreach(dns, j, d) {
			int df;
			snprintf(fp, sizeof(fp), "%s.dns_servers[%zu]", sp, j);
			if (!json_is_string(d) ||
			    rules_parse_ip(json_string_value(d), &df, sn->dns[j]) < 0 || df != family)
				return rules_error(ctx, fp, "must be an IPv%d address", family);
			sn->n_dns++;
		}
		b->n_subnets++;
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
void bridge_ll_from_mac(const struct rte_ether_addr *mac, uint8_t ll[16]) {
	const uint8_t *m = mac->addr_bytes;

	memset(ll, 0, 16);
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[8] = m[0] ^ 0x02;
	ll[9] = m[1];
	ll[10] = m[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	ll[13] = m[3];
	ll[14] = m[4];
	ll[15] = m[5];
}

static void bridge_port_ll_init(struct bridge_port *p) {
	bridge_ll_from_mac(&p->mac, p->ip6_ll);
}

static int statics_parse(struct rules_ctx *ctx, const json_t *doc, struct bridge_cfg *bc) {
	static const char *const keys[] = {"network", "mac", "port", NULL};
	const json_t *arr = json_object_get(doc, "static_macs");
	size_t i;
	json_t *o;

	if (json_array_size(arr) > BRIDGE_STATIC_MAX)
		return rules_error(ctx, "static_macs", "at most %d entries", BRIDGE_STATIC_MAX);
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
	return 0;
}

// A stable bd_id for network `id`: the one it had, or the lowest free one.
int bridge_bd_id(const char *id) {
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

// --- per-network static tables -----------------------------------------------------------------
// A network's MAC and address tables are built from a list of entries (its ports' MACs and IPs,
// its static MACs, its remote ports' MACs and IPs, in that order). When the list is equal to the
// one the network's tables in the current snapshot were built from, and the network kept its
// bd_id, the new snapshot shares them: adding a port to one network rebuilds no other network's
// tables, and per-worker caches of the others stay valid (they key on the table's version).

enum bridge_table_kind { BT_MAC, BT_IP4, BT_IP6 };

struct bridge_input {
	uint64_t k0, k1, data;
	uint32_t table; // enum bridge_table_kind
	uint32_t src;   // where it comes from (not compared): SRC_PORT/STATIC/REMOTE | index
};
#define SRC_PORT (0u << 30)
#define SRC_STATIC (1u << 30)
#define SRC_REMOTE (2u << 30)
#define SRC_ROUTER (3u << 30) // a network's router MAC and gateways: index of the network
#define SRC_INDEX(s) ((s) & ((1u << 30) - 1))

struct bridge_tables {
	uint32_t refs; // bridges of live snapshots (and of one being built) that point here
	uint32_t n_inputs;
	struct bridge_input *inputs;
	struct vsw_table *macs, *ip4, *ip6;
};

static void bridge_tables_put(struct bridge_tables *t) {
	if (t == NULL || --t->refs > 0)
		return;
	vsw_table_free(t->macs);
	vsw_table_free(t->ip4);
	vsw_table_free(t->ip6);
	free(t->inputs);
	free(t);
}

static void bridge_tables_use(struct bridge *b, struct bridge_tables *t) {
	t->refs++;
	b->tables = t;
	b->macs = t->macs;
	b->ip4 = t->ip4;
	b->ip6 = t->ip6;
}

static bool inputs_equal(const struct bridge_tables *t, const struct bridge_input *in, uint32_t n) {
	if (t == NULL || t->n_inputs != n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (t->inputs[i].k0 != in[i].k0 || t->inputs[i].k1 != in[i].k1 ||
		    t->inputs[i].data != in[i].data || t->inputs[i].table != in[i].table)
			return false;
	return true;
}

// What the entries of one transaction are gathered into: every network's list, back to back.
struct inputs_acc {
	struct bridge_input *v;
	uint32_t *start, *n;                  // per network (index in bc->bridges)
	const struct rules_object **remotes;  // SRC_REMOTE indexes into it
	uint32_t n_remotes;
	json_t *by_id;                        // network id -> index in bc->bridges
	bool counting;                        // first pass: only count
};

static void input_put(struct inputs_acc *a, uint16_t b, enum bridge_table_kind table, uint64_t k0,
		      uint64_t k1, uint64_t data, uint32_t src) {
	if (!a->counting)
		a->v[a->start[b] + a->n[b]] = (struct bridge_input){k0, k1, data, table, src};
	a->n[b]++;
}

static void inputs_put_ips(struct inputs_acc *a, uint16_t b, const struct rte_ether_addr *mac,
			   uint8_t n4, const rte_be32_t *ip4, uint8_t n6,
			   const uint8_t (*ip6)[16], uint32_t src) {
	uint64_t m = 0;

	memcpy(&m, mac, sizeof(*mac));
	for (uint8_t j = 0; j < n4; j++)
		input_put(a, b, BT_IP4, ip4[j], 0, m, src);
	for (uint8_t j = 0; j < n6; j++) {
		uint64_t k[2];
		memcpy(k, ip6[j], 16);
		input_put(a, b, BT_IP6, k[0], k[1], m, src);
	}
}

static int bridge_index(const struct inputs_acc *a, const char *network) {
	const json_t *v = json_object_get(a->by_id, network);

	return v != NULL ? (int)json_integer_value(v) : -1;
}

static int remote_collect(struct rules_ctx *ctx, const struct rules_object *o, void *arg) {
	struct inputs_acc *a = arg;

	RTE_SET_USED(ctx);
	a->remotes[a->n_remotes++] = o;
	return 0;
}

static int remote_count(struct rules_ctx *ctx, const struct rules_object *o, void *arg) {
	RTE_SET_USED(ctx);
	RTE_SET_USED(o);
	(*(uint32_t *)arg)++;
	return 0;
}

// One pass over every entry of every network (a->counting: count them only).
static void inputs_gather(struct inputs_acc *a, const struct bridge_cfg *bc) {
	for (uint16_t i = 0; i < bc->n_ports; i++) {
		const struct bridge_port *p = &bc->ports[i];
		int b = bridge_index(a, p->network);
		struct bridge_mac_key k = {p->bd_id, p->mac};
		uint64_t k0;

		memcpy(&k0, &k, sizeof(k0));
		input_put(a, (uint16_t)b, BT_MAC, k0, 0, MAC_DATA(p->port_id, -1, 0), SRC_PORT | i);
		inputs_put_ips(a, (uint16_t)b, &p->mac, p->n_ip4, p->ip4, p->n_ip6, p->ip6,
			       SRC_PORT | i);
	}
	for (uint32_t i = 0; i < bc->n_static; i++) {
		const struct bridge_static *st = &bc->statics[i];
		const struct bridge *br = bridge_lookup(bc, st->key.bd_id);
		int b = bridge_index(a, br->id);
		uint64_t k0;

		memcpy(&k0, &st->key, sizeof(k0));
		input_put(a, (uint16_t)b, BT_MAC, k0, 0, st->data, SRC_STATIC | i);
	}
	for (uint16_t b = 0; b < bc->n_bridges; b++) {
		const struct bridge *br = &bc->bridges[b];
		struct bridge_mac_key k = {br->bd_id, br->router_mac};
		uint64_t k0, m = 0;

		if (br->router[0] == '\0')
			continue;
		memcpy(&k0, &k, sizeof(k0));
		input_put(a, b, BT_MAC, k0, 0, MAC_DATA(BRIDGE_PORT_ROUTER, -1, 0), SRC_ROUTER | b);
		// vnetd's own MAC: answers to the router's neighbour requests come back to it.
		k.mac = *dp_host_mac();
		memcpy(&k0, &k, sizeof(k0));
		input_put(a, b, BT_MAC, k0, 0, MAC_DATA(BRIDGE_PORT_ROUTER, -1, 0), SRC_ROUTER | b);
		memcpy(&m, &br->router_mac, sizeof(br->router_mac));
		for (uint8_t j = 0; j < br->n_gw4; j++)
			input_put(a, b, BT_IP4, br->gw4[j], 0, m | BRIDGE_IP_ROUTER, SRC_ROUTER | b);
		for (uint8_t j = 0; j <= br->n_gw6; j++) { // and its link-local address
			uint64_t g[2];
			memcpy(g, j < br->n_gw6 ? br->gw6[j] : br->router_ll, 16);
			input_put(a, b, BT_IP6, g[0], g[1], m | BRIDGE_IP_ROUTER, SRC_ROUTER | b);
		}
	}
	for (uint32_t i = 0; i < a->n_remotes; i++) {
		const struct rules_object *o = a->remotes[i];
		int b = bridge_index(a, o->network);
		struct bridge_mac_key k;
		uint64_t k0;

		if (b < 0)
			continue; // refused by the reference check already
		k = (struct bridge_mac_key){bc->bridges[b].bd_id, o->mac};
		memcpy(&k0, &k, sizeof(k0));
		input_put(a, (uint16_t)b, BT_MAC, k0, 0, MAC_DATA(PKT_PORT_NONE, -1, o->vtep),
			  SRC_REMOTE | i);
		inputs_put_ips(a, (uint16_t)b, &o->mac, o->n_ip4, o->ip4, o->n_ip6, o->ip6,
			       SRC_REMOTE | i);
	}
}

static void input_path(const struct inputs_acc *a, uint32_t src, char *path, size_t size) {
	switch (src & ~((1u << 30) - 1)) {
	case SRC_PORT:
		snprintf(path, size, "ports[%u]", SRC_INDEX(src));
		break;
	case SRC_STATIC:
		snprintf(path, size, "static_macs[%u]", SRC_INDEX(src));
		break;
	case SRC_ROUTER:
		snprintf(path, size, "networks[%u].router", SRC_INDEX(src));
		break;
	default:
		snprintf(path, size, "%s", a->remotes[SRC_INDEX(src)]->path);
		break;
	}
}

// New tables for network `b` from its entries, or an error naming the entry that conflicts.
static int tables_new(struct rules_ctx *ctx, const struct inputs_acc *a, struct bridge *b,
		      uint16_t bi) {
	const struct bridge_input *in = &a->v[a->start[bi]];
	uint32_t n = a->n[bi], n_kind[3] = {0};
	struct bridge_tables *t = calloc(1, sizeof(*t));
	struct vsw_table **tab;
	char path[64];

	for (uint32_t i = 0; i < n; i++)
		n_kind[in[i].table]++;
	if (t == NULL || (t->inputs = malloc((n + 1) * sizeof(*in))) == NULL ||
	    (t->macs = vsw_table_create(n_kind[BT_MAC])) == NULL ||
	    (t->ip4 = vsw_table_create(n_kind[BT_IP4])) == NULL ||
	    (t->ip6 = vsw_table_create(n_kind[BT_IP6])) == NULL) {
		if (t != NULL)
			t->refs = 1;
		bridge_tables_put(t);
		return rules_error(ctx, b->id, "out of memory for its MAC table");
	}
	memcpy(t->inputs, in, n * sizeof(*in));
	t->n_inputs = n;
	bridge_tables_use(b, t); // b owns it from here, also on error
	for (uint32_t i = 0; i < n; i++) {
		tab = in[i].table == BT_MAC ? &t->macs : in[i].table == BT_IP4 ? &t->ip4 : &t->ip6;
		if (vsw_table_add(*tab, in[i].k0, in[i].k1, in[i].data) == 0)
			continue;
		input_path(a, in[i].src, path, sizeof(path));
		return rules_error(ctx, path, in[i].table == BT_MAC
					      ? "MAC already lives behind another port or VTEP "
						"in network %s"
					      : "IP address already belongs to another MAC in "
						"network %s",
				   b->id);
	}
	return 0;
}

static int tables_build(struct rules_ctx *ctx, struct bridge_cfg *bc) {
	const struct bridge_cfg *old = bridge_cfg_get(dp_config_current());
	struct inputs_acc a = {.by_id = json_object(), .counting = true};
	uint32_t n_remotes = 0, total = 0;
	int ret = -ENOMEM;

	rules_object_foreach(ctx, "remote_port", remote_count, &n_remotes);
	a.remotes = calloc(n_remotes + 1, sizeof(*a.remotes));
	a.start = calloc(bc->n_bridges + 1u, sizeof(*a.start));
	a.n = calloc(bc->n_bridges + 1u, sizeof(*a.n));
	if (a.by_id == NULL || a.remotes == NULL || a.start == NULL || a.n == NULL)
		goto out;
	for (uint16_t b = 0; b < bc->n_bridges; b++)
		json_object_set_new(a.by_id, bc->bridges[b].id, json_integer(b));
	rules_object_foreach(ctx, "remote_port", remote_collect, &a);
	inputs_gather(&a, bc);
	for (uint16_t b = 0; b < bc->n_bridges; b++) {
		a.start[b] = total;
		total += a.n[b];
		a.n[b] = 0;
	}
	if ((a.v = malloc((total + 1) * sizeof(*a.v))) == NULL)
		goto out;
	a.counting = false;
	inputs_gather(&a, bc);
	ret = 0;
	for (uint16_t b = 0; b < bc->n_bridges && ret == 0; b++) {
		struct bridge *br = &bc->bridges[b];
		const struct bridge *prev = bridge_find(old, br->id);

		if (prev != NULL && prev->bd_id == br->bd_id &&
		    inputs_equal(prev->tables, &a.v[a.start[b]], a.n[b]))
			bridge_tables_use(br, prev->tables);
		else
			ret = tables_new(ctx, &a, br, b);
	}
out:
	if (ret == -ENOMEM)
		rules_error(ctx, "networks", "out of memory for the MAC tables");
	json_decref(a.by_id);
	free(a.remotes);
	free(a.start);
	free(a.n);
	free(a.v);
	return ret;
}

static int bridge_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data) {
	struct bridge_cfg *bc = data;

	bc->vni_bd = table_create("vni", bc->n_bridges * 2, sizeof(uint32_t));
	if (bc->vni_bd == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < bc->n_bridges; i++) {
		int id = bridge_bd_id(bc->bridges[i].id);
		uint32_t vni = bc->bridges[i].vni;
		if (id < 0)
			return rules_error(ctx, "networks", "no free bridge domain id");
		bc->bridges[i].bd_id = (uint16_t)id;
		bc->bd[id] = &bc->bridges[i];
		if (bc->bridges[i].router[0] != '\0') { // its MAC: the gateways' (vrouter's object)
			const struct rules_object *r =
				rules_object_find(ctx, "router", bc->bridges[i].router);
			if (r == NULL)
				return rules_error(ctx, "networks", "router %s is unknown",
						   bc->bridges[i].router);
			bc->bridges[i].router_mac = r->mac;
			bridge_ll_from_mac(&r->mac, bc->bridges[i].router_ll);
		}
		if (rte_hash_add_key_data(bc->vni_bd, &vni, (void *)(uintptr_t)id) < 0)
			return -ENOMEM;
	}
	for (uint16_t i = 0; i < bc->n_ports; i++) {
		struct bridge_port *p = &bc->ports[i];
		struct bridge *b = (struct bridge *)bridge_find(bc, p->network);
		const struct dp_port *dp = dp_config_port_lookup(cfg, p->name);

		p->port_id = dp->port_id;
		p->bd_id = b->bd_id;
		bc->port[p->port_id] = p;
		b->ports[b->n_ports++] = p->port_id;
	}
	for (uint32_t i = 0; i < bc->n_static; i++) {
		struct bridge_static *st = &bc->statics[i];
		const struct dp_port *dp = dp_config_port_lookup(cfg, st->port);

		st->key.bd_id = bc->port[dp->port_id]->bd_id;
		st->data = MAC_DATA(dp->port_id, -1, 0);
	}
	return tables_build(ctx, bc);
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
	// Remote ports' MACs and IPs go into the static MAC and address tables, and so do the
	// routers' MACs (the gateways of their networks).
	.reads = {"remote_ports", "routers[id,mac]"},
	.parse = bridge_parse,
	.build = bridge_build,
	.free = bridge_cfg_free,
	.published = bridge_published,
};

RTE_INIT(bridge_section_init) {
	rules_section_register(&bridge_section);
	bridge_cfg_index = bridge_section.index;
}
