// SPDX-License-Identifier: BSD-3-Clause
// vrouter's control side: start-up (its node at the attach point `l3_input`) and `show.routes`
// (every route of every router, or the answer of one lookup). Control thread only.

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_log.h>

#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/feature.h"
#include "dataplane/graph.h"
#include "dataplane/rules.h"
#include "vrouter/fib.h"
#include "vrouter/neigh.h"
#include "vrouter/vrouter.h"
#include "vswitch/bridge.h"

RTE_LOG_REGISTER(vrouter_logtype, vnet.vrouter, INFO);

static const char *const nh_type_name[] = {
	[VR_NH_NONE] = "none",
	[VR_NH_CONNECTED] = "connected",
	[VR_NH_GATEWAY] = "static",
	[VR_NH_BLACKHOLE] = "blackhole",
};

static void prefix_text(int family, const uint8_t *addr, uint8_t len, char *buf, size_t size) {
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, len);
}

// The network of bridge domain `bd` among vc's routed networks, or NULL.
static const char *net_name(const struct vr_cfg *vc, uint16_t bd) {
	if (bd >= RTE_DIM(vc->net_of_bd) || vc->net_of_bd[bd] >= vc->n_nets ||
	    vc->nets[vc->net_of_bd[bd]].bd_id != bd)
		return NULL;
	return vc->nets[vc->net_of_bd[bd]].id;
}

// One route as JSON: its router, prefix, type, next hop(s) and egress network.
static json_t *route_json(const struct vr_cfg *vc, const struct vr_route_key *k,
			  const struct vr_nh *nh) {
	char p[INET6_ADDRSTRLEN + 4], ip[INET6_ADDRSTRLEN];
	int af = k->family == 4 ? AF_INET : AF_INET6;
	const char *net;
	uint16_t pos = k->vrf_id < VR_ROUTERS_MAX ? vc->vrf_pos[k->vrf_id] : 0;
	json_t *o;

	prefix_text(k->family, k->prefix, k->len, p, sizeof(p));
	o = json_pack("{sssssss[]}", "router", pos < vc->n_vrfs ? vc->vrfs[pos].id : "?", "prefix",
		      p, "type", nh_type_name[nh->type], "flags");
	if (nh->type == VR_NH_GATEWAY && nh->n_paths > 1) {
		json_t *l = json_array();
		char all[VR_ECMP_MAX * (INET6_ADDRSTRLEN + 1)] = "";
		for (uint8_t q = 0; q < nh->n_paths; q++) {
			inet_ntop(af, nh->via[q].addr, ip, sizeof(ip));
			json_array_append_new(l, json_string(ip));
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", q ? "," : "", ip);
		}
		json_object_set_new(o, "nexthops", l);
		json_object_set_new(o, "nexthop", json_string(all));
	} else if (nh->type == VR_NH_GATEWAY) {
		json_object_set_new(o, "nexthop",
				    json_string(inet_ntop(af, nh->via[0].addr, ip, sizeof(ip))));
	}
	if (nh->type == VR_NH_CONNECTED && nh->has_gw)
		json_object_set_new(o, "gateway", json_string(inet_ntop(af, nh->gw, ip, sizeof(ip))));
	net = nh->n_paths > 0 ? net_name(vc, nh->via[0].bd_id) : NULL;
	if (net != NULL)
		json_object_set_new(o, "network", json_string(net));
	if (nh->type == VR_NH_GATEWAY && nh->via[0].bd_id == VR_BD_NONE)
		json_array_append_new(json_object_get(o, "flags"), json_string("unreachable"));
	return o;
}

// params {lookup, router}: the route `lookup` takes in `router`, and the neighbour's MAC.
static void show_lookup(struct ctl_call *call, const struct vr_cfg *vc, uint16_t vrf,
			const char *addr) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	uint8_t a[16] = {0}, len;
	int family = strchr(addr, ':') != NULL ? 6 : 4;
	struct rte_ether_addr mac;
	const struct vr_nh *nh;
	const uint8_t *neigh;
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	uint32_t i;
	json_t *o;

	if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr, a) != 1) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "lookup: \"%s\" is not an IP address", addr);
		return;
	}
	i = vr_route_lookup(vc, vrf, family, a, &len);
	if (i == 0) {
		call->result = json_pack("{sssssn}", "router", vc->vrfs[vrf].id, "address", addr,
					 "route");
		return;
	}
	nh = &vc->nh[i];
	{
		struct vr_route_key k = {.vrf_id = vc->vrfs[vrf].vrf_id, .family = (uint8_t)family,
					 .len = len};
		uint8_t full = len / 8, rest = len % 8;
		memcpy(k.prefix, a, full);
		if (rest != 0)
			k.prefix[full] = (uint8_t)(a[full] & (0xff << (8 - rest)));
		o = route_json(vc, &k, nh);
	}
	json_object_set_new(o, "address", json_string(addr));
	neigh = nh->type == VR_NH_GATEWAY ? nh->via[0].addr : a;
	if (nh->type == VR_NH_CONNECTED && nh->has_gw && memcmp(a, nh->gw, family == 4 ? 4 : 16) == 0)
		json_object_set_new(o, "local", json_true());
	else if (nh->type == VR_NH_GATEWAY && nh->n_paths > 1) {
		// ECMP: which path a packet takes depends on its flow; each path and its neighbour.
		json_t *paths = json_array();
		for (uint8_t q = 0; q < nh->n_paths; q++) {
			char ip[INET6_ADDRSTRLEN];
			const struct vr_path *p = &nh->via[q];
			bool known = p->bd_id != VR_BD_NONE && bc != NULL &&
				     (bridge_ip_lookup(bc, p->bd_id, family, p->addr, &mac) ||
				      vr_neigh_lookup(p->bd_id, family, p->addr, &mac));
			inet_ntop(family == 4 ? AF_INET : AF_INET6, p->addr, ip, sizeof(ip));
			rte_ether_format_addr(buf, sizeof(buf), &mac);
			json_array_append_new(paths, json_pack("{ssso}", "neighbour", ip, "mac",
							       known ? json_string(buf) : json_null()));
		}
		json_object_set_new(o, "paths", paths);
		json_object_set_new(o, "neighbour", json_string("(ECMP: see paths)"));
	} else if ((nh->type == VR_NH_CONNECTED || nh->type == VR_NH_GATEWAY) &&
		   nh->via[0].bd_id != VR_BD_NONE) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(family == 4 ? AF_INET : AF_INET6, neigh, ip, sizeof(ip));
		json_object_set_new(o, "neighbour", json_string(ip));
		if (bc != NULL && (bridge_ip_lookup(bc, nh->via[0].bd_id, family, neigh, &mac) ||
				   vr_neigh_lookup(nh->via[0].bd_id, family, neigh, &mac))) {
			rte_ether_format_addr(buf, sizeof(buf), &mac);
			json_object_set_new(o, "neighbour_mac", json_string(buf));
		} else {
			json_object_set_new(o, "neighbour_mac", json_null());
		}
	}
	call->result = o;
}

// The routes show.routes lists: collected from the installed table, then sorted (router, family,
// prefix, length).
struct routes_walk {
	const struct vr_cfg *vc;
	int pfam;
	uint8_t pa[16], plen;
	struct {
		struct vr_route_key key;
		uint16_t nh;
	} *v;
	uint32_t n, cap;
};

static void routes_collect(const struct vr_route_key *k, uint16_t nh, void *arg) {
	struct routes_walk *w = arg;

	// --prefix: the routes inside it (equal or more specific).
	if (w->pfam != 0 && (k->family != w->pfam || k->len < w->plen ||
			     !rules_prefix_match(w->pa, w->plen, k->prefix)))
		return;
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 256;
		void *n = realloc(w->v, cap * sizeof(*w->v));
		if (n == NULL)
			return;
		w->v = n;
		w->cap = cap;
	}
	w->v[w->n].key = *k;
	w->v[w->n++].nh = nh;
}

static int route_cmp(const void *a, const void *b) {
	const struct vr_route_key *x = a, *y = b;
	int c = (int)x->vrf_id - (int)y->vrf_id;

	if (c == 0)
		c = (int)x->family - (int)y->family;
	if (c == 0)
		c = memcmp(x->prefix, y->prefix, 16);
	if (c == 0)
		c = (int)x->len - (int)y->len;
	return c;
}

static void method_show_routes(struct ctl_call *call) {
	const struct vr_cfg *vc = vr_cfg_get(dp_config_current());
	const json_t *jr = json_object_get(call->params, "router");
	const json_t *jl = json_object_get(call->params, "lookup");
	const json_t *jp = json_object_get(call->params, "prefix");
	const char *router = json_string_value(jr), *lookup = json_string_value(jl);
	const char *prefix = json_string_value(jp);
	uint16_t vrf = VR_VRF_NONE;
	uint8_t pa[16] = {0}, plen = 0;
	int pfam = 0;
	json_t *list;

	if ((jr != NULL && router == NULL) || (jl != NULL && lookup == NULL) ||
	    (jp != NULL && prefix == NULL)) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "router, prefix and lookup are strings");
		return;
	}
	if (router != NULL && (vrf = vr_vrf_find(vc, router)) == VR_VRF_NONE) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "router: no router \"%s\"", router);
		return;
	}
	if (lookup != NULL) {
		if (vrf == VR_VRF_NONE) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "lookup needs a router");
			return;
		}
		show_lookup(call, vc, vrf, lookup);
		return;
	}
	if (prefix != NULL) {
		char tmp[INET6_ADDRSTRLEN + 5], *slash;
		unsigned long l;

		snprintf(tmp, sizeof(tmp), "%s", prefix);
		slash = strchr(tmp, '/');
		if (slash != NULL)
			*slash = '\0';
		pfam = strchr(tmp, ':') != NULL ? 6 : 4;
		l = slash != NULL ? strtoul(slash + 1, NULL, 10) : (pfam == 4 ? 32 : 128);
		if (inet_pton(pfam == 4 ? AF_INET : AF_INET6, tmp, pa) != 1 ||
		    l > (pfam == 4 ? 32u : 128u)) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "prefix: \"%s\" is not a prefix",
				  prefix);
			return;
		}
		plen = (uint8_t)l;
	}
	{
		struct routes_walk w = {.vc = vc, .pfam = pfam, .plen = plen};
		memcpy(w.pa, pa, 16);
		if (vc != NULL)
			vr_fib_foreach(vrf != VR_VRF_NONE ? vc->vrfs[vrf].vrf_id : VR_VRF_NONE,
				       routes_collect, &w);
		qsort(w.v, w.n, sizeof(*w.v), route_cmp);
		list = json_array();
		for (uint32_t i = 0; i < w.n; i++)
			json_array_append_new(list, route_json(vc, &w.v[i].key, &vc->nh[w.v[i].nh]));
		free(w.v);
	}
	call->result = list;
}

// Every next hop vnetd knows: the rules' (the ports' and remote ports' addresses in routed
// networks, as `rules`) and the ones it resolved itself (ARP / ND, with their state).
static void method_show_neighbours(struct ctl_call *call) {
	json_t *list = vr_neigh_json();

	call->result = json_pack("{soso}", "learned", list, "stats", vr_neigh_stats_json());
}

// Every router: its VRF id, networks, routes and counters (docs/routing.md).
static void method_show_routers(struct ctl_call *call) {
	const struct vr_cfg *vc = vr_cfg_get(dp_config_current());
	json_t *list = json_array();

	for (uint16_t r = 0; vc != NULL && r < vc->n_vrfs; r++) {
		const struct vr_vrf *v = &vc->vrfs[r];
		struct vr_vrf_counters c;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		json_t *nets = json_array();
		uint32_t n_connected = 0;

		for (uint32_t n = 0; n < vc->n_nets; n++)
			if (vc->nets[n].vrf == r) {
				json_array_append_new(nets, json_string(vc->nets[n].id));
				n_connected += vc->nets[n].n_subnets;
			}
		vr_counters_sum(v->vrf_id, &c);
		rte_ether_format_addr(mac, sizeof(mac), &v->mac);
		json_array_append_new(
			list, json_pack("{sssssssisosisisIsIsIsI}", "id", v->id, "tenant", v->tenant,
					"mac", mac, "vrf", v->vrf_id, "networks", nets, "connected",
					n_connected, "static", v->n_routes, "routed", c.routed, "local",
					c.local, "icmp_errors", c.icmp_errors, "dropped", c.dropped));
	}
	call->result = list;
}

static int vrouter_init(void) {
	int ret = dp_node_attach("l3_input", "ip_route");

	if (ret < 0)
		return ret;
	ret = vr_neigh_init();
	if (ret < 0)
		return ret;
	ctl_method_register("show.routers", "tenant routers: VRF id, networks, routes, counters",
			    method_show_routers);
	ctl_method_register("show.neighbours",
			    "next hops vnetd resolved by ARP / ND, with their state and counters",
			    method_show_neighbours);
	ctl_method_register("show.routes",
			    "routes of every router; params {router, prefix} or {router, lookup}",
			    method_show_routes);
	return 0;
}

static const char *const vrouter_after[] = {"vswitch", NULL};
static struct dp_feature vrouter_feature = {
	.name = "vrouter",
	.after = vrouter_after,
	.init = vrouter_init,
};
DP_FEATURE_REGISTER(vrouter_feature)
