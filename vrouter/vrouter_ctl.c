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

// One next hop as JSON: its router, prefix, type, next hop and egress network.
static json_t *nh_json(const struct vr_cfg *vc, const struct vr_nh *nh) {
	char p[INET6_ADDRSTRLEN + 4], ip[INET6_ADDRSTRLEN];
	int af = nh->family == 4 ? AF_INET : AF_INET6;
	json_t *o;

	prefix_text(nh->family, nh->prefix, nh->prefix_len, p, sizeof(p));
	o = json_pack("{sssssss[]}", "router", vc->vrfs[nh->vrf].id, "prefix", p, "type",
		      nh_type_name[nh->type], "flags");
	if (nh->type == VR_NH_GATEWAY && nh->n_paths > 1) {
		json_t *l = json_array();
		char all[VR_ECMP_MAX * (INET6_ADDRSTRLEN + 1)] = "";
		for (uint8_t k = 0; k < nh->n_paths; k++) {
			inet_ntop(af, vc->paths[nh->paths + k].addr, ip, sizeof(ip));
			json_array_append_new(l, json_string(ip));
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", k ? "," : "", ip);
		}
		json_object_set_new(o, "nexthops", l);
		json_object_set_new(o, "nexthop", json_string(all));
	} else if (nh->type == VR_NH_GATEWAY) {
		json_object_set_new(o, "nexthop", json_string(inet_ntop(af, nh->via.addr, ip, sizeof(ip))));
	}
	if (nh->type == VR_NH_CONNECTED && nh->has_gw)
		json_object_set_new(o, "gateway", json_string(inet_ntop(af, nh->gw, ip, sizeof(ip))));
	if (nh->via.net >= 0)
		json_object_set_new(o, "network", json_string(vc->nets[nh->via.net].id));
	if (nh->type == VR_NH_GATEWAY && nh->via.net < 0)
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
	o = nh_json(vc, nh);
	json_object_set_new(o, "address", json_string(addr));
	neigh = nh->type == VR_NH_GATEWAY ? nh->via.addr : a;
	if (nh->type == VR_NH_CONNECTED && nh->has_gw && memcmp(a, nh->gw, family == 4 ? 4 : 16) == 0)
		json_object_set_new(o, "local", json_true());
	else if ((nh->type == VR_NH_CONNECTED || nh->type == VR_NH_GATEWAY) && nh->via.net >= 0) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(family == 4 ? AF_INET : AF_INET6, neigh, ip, sizeof(ip));
		json_object_set_new(o, "neighbour", json_string(ip));
		if (bc != NULL && bridge_ip_lookup(bc, nh->via.bd_id, family, neigh, &mac)) {
			rte_ether_format_addr(buf, sizeof(buf), &mac);
			json_object_set_new(o, "neighbour_mac", json_string(buf));
		} else {
			json_object_set_new(o, "neighbour_mac", json_null());
		}
	}
	call->result = o;
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
	list = json_array();
	for (uint32_t i = 1; vc != NULL && i < vc->n_nh; i++) {
		const struct vr_nh *nh = &vc->nh[i];

		if (vrf != VR_VRF_NONE && nh->vrf != vrf)
			continue;
		// --prefix: the routes inside it (equal or more specific).
		if (pfam != 0 && (nh->family != pfam || nh->prefix_len < plen ||
				  !vr_prefix_match(pfam, pa, plen, nh->prefix)))
			continue;
		json_array_append_new(list, nh_json(vc, nh));
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
			if (vc->nets[n].vrf == r)
				json_array_append_new(nets, json_string(vc->nets[n].id));
		for (uint32_t i = 1; i < vc->n_nh; i++)
			if (vc->nh[i].vrf == r && vc->nh[i].type == VR_NH_CONNECTED)
				n_connected++;
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
