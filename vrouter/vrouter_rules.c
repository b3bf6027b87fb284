// SPDX-License-Identifier: BSD-3-Clause
// The "routers" part of the rules document (docs/rules-schema.md) and the routing tables built
// from it and from the networks' subnets: one VRF per router, its connected routes (the subnets of
// its networks), its static routes, and the FIBs (vrouter.h). Built whole with every transaction
// that changes "routers" or "networks" (a new FIB per snapshot: workers keep reading the old one
// until the grace period ends); reused as it is otherwise. Control thread only.

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_rib6.h>
#include <rte_byteorder.h>
#include <rte_fib.h>
#include <rte_rib.h>

#include "dataplane/rules.h"
#include "vrouter/fib.h"
#include "vrouter/vrouter.h"
#include "vswitch/bridge.h"

static_assert(RTE_DIM(((struct vr_cfg *)0)->vrf_of_bd) == BRIDGE_MAX, "one VRF per bridge domain");

#define VRF_ROUTERS_MAX VR_ROUTERS_MAX
#define VRF_ROUTES_MAX VR_ROUTES_MAX
#define VRF_DESCRIPTION_LEN_MAX 255
#define VRF_PATH_SIZE 128

#define route_spec vr_route_spec
#define vrf_spec vr_vrf
#define vrf_rules vr_cfg

int vr_cfg_index;

// Format a path ("routers[2].routes[0].prefix") into `buf` (VRF_PATH_SIZE bytes).
static __rte_format_printf(2, 3) const char *vrf_path(char *buf, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, VRF_PATH_SIZE, fmt, ap);
	va_end(ap);
	return buf;
}

static void vrf_rules_free(void *data) {
	struct vrf_rules *rules = data;

	if (rules == NULL)
		return;
	for (uint16_t i = 0; rules->vrfs != NULL && i < rules->n_vrfs; i++) {
		for (uint32_t k = 0; rules->vrfs[i].routes != NULL && k < rules->vrfs[i].n_routes; k++)
			free(rules->vrfs[i].routes[k].more);
		free(rules->vrfs[i].routes);
		free(rules->vrfs[i].fresh);
		free(rules->vrfs[i].removed);
	}
	vr_fib_txn_free(rules->txn); // undoes it if this data was never published
	json_decref(rules->src_routers);
	json_decref(rules->src_networks);
	free(rules->vrfs);
	free(rules->nets);
	free(rules);
}

// Parse next hop `s` (the k-th) of a route whose prefix is already in `r`.
static int nexthop_parse(struct rules_ctx *ctx, const char *path, const char *s,
			 struct route_spec *r, uint8_t k) {
	static const uint8_t zero[16];
	uint8_t *a = k == 0 ? r->nexthop : r->more[k - 1];
	int family;

	if (s == NULL || rules_parse_ip(s, &family, a) < 0)
		return rules_error(ctx, path, "\"%s\" is not an IPv4 or IPv6 address", s ?: "");
	if (family != r->family)
		return rules_error(ctx, path, "\"%s\" is IPv%d but the prefix is IPv%d", s, family,
				   r->family);
	// 0.0.0.0/8, multicast, reserved and broadcast; ::, multicast.
	if ((family == 4 && (a[0] == 0 || a[0] >= 224)) ||
	    (family == 6 && (a[0] == 0xff || memcmp(a, zero, 16) == 0)))
		return rules_error(ctx, path, "\"%s\" is not a unicast address", s);
	for (uint8_t j = 0; j < k; j++)
		if (memcmp(vr_route_nexthop(r, j), a, 16) == 0)
			return rules_error(ctx, path, "\"%s\" is listed twice", s);
	return 0;
}

// Parse routes[i] of the router at `parent` into `r`.
static int route_parse(struct rules_ctx *ctx, const json_t *obj, const char *parent, size_t i,
		       struct route_spec *r) {
	static const char *const keys[] = {"prefix", "nexthop", "nexthops", "blackhole", NULL};
	const char *prefix = NULL, *nexthop = NULL;
	const json_t *nexthops = NULL, *v;
	size_t j;
	char path[VRF_PATH_SIZE], field[VRF_PATH_SIZE];
	int family, ret;

	vrf_path(path, "%s.routes[%zu]", parent, i);
	r->index = (uint32_t)i;
	ret = rules_check_keys(ctx, obj, path, keys);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "prefix", true, &prefix);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "nexthop", false, &nexthop);
	if (ret == 0)
		ret = rules_get_array(ctx, obj, path, "nexthops", false, &nexthops);
	if (ret == 0)
		ret = rules_get_bool(ctx, obj, path, "blackhole", false, &r->blackhole);
	if (ret < 0)
		return ret;

	if (rules_parse_cidr(prefix, &family, r->prefix, &r->prefix_len) < 0)
		return rules_cidr_error(ctx, vrf_path(field, "%s.prefix", path), prefix);
	r->family = (uint8_t)family;
	if (family == 6 && r->prefix_len > VR_IP6_PREFIX_MAX)
		return rules_error(ctx, vrf_path(field, "%s.prefix", path),
				   "\"%s\": IPv6 routes are at most /%d", prefix, VR_IP6_PREFIX_MAX);

	if ((r->blackhole ? 1 : 0) + (nexthop != NULL ? 1 : 0) + (nexthops != NULL ? 1 : 0) > 1)
		return rules_error(ctx, path,
				   "has more than one of \"nexthop\", \"nexthops\" and "
				   "\"blackhole\": true; a route has exactly one");
	if (!r->blackhole && nexthop == NULL && nexthops == NULL)
		return rules_error(ctx, path,
				   "missing \"nexthop\" (or \"nexthops\", or \"blackhole\": true)");
	if (r->blackhole)
		return 0;
	if (nexthop != NULL) {
		r->n_nexthops = 1;
		return nexthop_parse(ctx, vrf_path(field, "%s.nexthop", path), nexthop, r, 0);
	}
	if (json_array_size(nexthops) < 2 || json_array_size(nexthops) > VR_ECMP_MAX)
		return rules_error(ctx, vrf_path(field, "%s.nexthops", path),
				   "%zu next hops: ECMP takes 2 to %d (one: use \"nexthop\")",
				   json_array_size(nexthops), VR_ECMP_MAX);
	r->more = calloc(json_array_size(nexthops) - 1, sizeof(*r->more));
	if (r->more == NULL)
		return -ENOMEM;
	json_array_foreach(nexthops, j, v) {
		ret = nexthop_parse(ctx, vrf_path(field, "%s.nexthops[%zu]", path, j),
				    json_string_value(v), r, (uint8_t)j);
		if (ret < 0)
			return ret;
		r->n_nexthops++;
	}
	return 0;
}

static int route_spec_cmp(const void *a, const void *b) {
	const struct route_spec *x = a, *y = b;
	int c = (int)x->family - (int)y->family;

	if (c == 0)
		c = (int)x->prefix_len - (int)y->prefix_len;
	if (c == 0)
		c = memcmp(x->prefix, y->prefix, sizeof(x->prefix));
	if (c == 0)
		c = x->index < y->index ? -1 : x->index > y->index;
	return c;
}

// Refuse a prefix that appears twice in one router; report the first repeat in document order.
static int routes_check_unique(struct rules_ctx *ctx, const char *path, const json_t *routes,
			       const struct vrf_spec *vrf) {
	struct route_spec *sorted;
	int64_t dup = -1, first = -1;
	char field[VRF_PATH_SIZE];

	if (vrf->n_routes < 2)
		return 0;
	sorted = malloc(vrf->n_routes * sizeof(*sorted));
	if (sorted == NULL)
		return -ENOMEM;
	memcpy(sorted, vrf->routes, vrf->n_routes * sizeof(*sorted));
	qsort(sorted, vrf->n_routes, sizeof(*sorted), route_spec_cmp);
	for (uint32_t i = 1; i < vrf->n_routes; i++) {
		const struct route_spec *a = &sorted[i - 1], *b = &sorted[i];
		if (a->family == b->family && a->prefix_len == b->prefix_len &&
		    memcmp(a->prefix, b->prefix, sizeof(a->prefix)) == 0 &&
		    (dup < 0 || b->index < dup)) {
			dup = b->index;
			first = a->index;
		}
	}
	free(sorted);
	if (dup < 0)
		return 0;
	return rules_error(
		ctx, vrf_path(field, "%s.routes[%" PRId64 "].prefix", path, dup),
		"duplicate prefix \"%s\" (also routes[%" PRId64 "])",
		json_string_value(json_object_get(json_array_get(routes, (size_t)dup), "prefix")),
		first);
}

// Note that `r` (of the applied snapshot) is no route of this router any more.
static int removed_add(struct vrf_spec *vrf, const struct route_spec *r) {
	if ((vrf->n_removed & (vrf->n_removed - 1)) == 0) { // 0, 1, 2, 4, ...: grow
		uint32_t cap = vrf->n_removed ? vrf->n_removed * 2 : 1;
		struct route_spec *n = realloc(vrf->removed, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		vrf->removed = n;
	}
	vrf->removed[vrf->n_removed] = *r;
	vrf->removed[vrf->n_removed++].more = NULL;
	return 0;
}

// The applied snapshot's vrouter data (set when it is published): a transaction that edits a few
// routes of a big router takes the others' parsed form from it (routes_parse). Control thread.
static const struct vr_cfg *vr_applied;

static bool same_prefix(const struct route_spec *a, const struct route_spec *b) {
	return a->family == b->family && a->prefix_len == b->prefix_len &&
	       memcmp(a->prefix, b->prefix, sizeof(a->prefix)) == 0;
}

// A few routes parsed anew into a router whose other routes were unique: each against all.
// Reports the repeat that comes later in document order.
static int fresh_check_unique(struct rules_ctx *ctx, const char *path, const json_t *routes,
			      const struct vrf_spec *vrf) {
	char field[VRF_PATH_SIZE];

	for (uint32_t f = 0; f < vrf->n_fresh; f++) {
		const struct route_spec *a = &vrf->routes[vrf->fresh[f]];
		for (uint32_t k = 0; k < vrf->n_routes; k++) {
			if (k == a->index || !same_prefix(a, &vrf->routes[k]))
				continue;
			uint32_t dup = RTE_MAX(k, a->index), first = RTE_MIN(k, a->index);
			return rules_error(ctx, vrf_path(field, "%s.routes[%u].prefix", path, dup),
					   "duplicate prefix \"%s\" (also routes[%u])",
					   json_string_value(json_object_get(
						   json_array_get(routes, dup), "prefix")),
					   first);
		}
	}
	return 0;
}

#define FRESH_CHECK_MAX 8 // routes parsed anew checked one by one; more: the whole router sorted

// Parse `routes` of the router at `path` into `vrf`. `prev` (NULL: none) is the same router in
// the applied snapshot and `prev_routes` its routes array: route objects that are the same (the
// same pointer: shared by an `ops` transaction) take its parsed form; the walk goes along both
// arrays, so a route replaced, added or removed costs one parse.
static int routes_parse(struct rules_ctx *ctx, const json_t *routes, const char *path,
			struct vrf_spec *vrf, const struct vrf_spec *prev,
			const json_t *prev_routes) {
	char field[VRF_PATH_SIZE];
	const json_t *obj;
	uint32_t j = 0, pn = prev != NULL ? prev->n_routes : 0;
	size_t i, n = json_array_size(routes);
	int ret;

	if (routes == NULL || n == 0)
		goto removed;
	if (n > VRF_ROUTES_MAX)
		return rules_error(ctx, vrf_path(field, "%s.routes", path),
				   "%zu routes, at most %d per router", n, VRF_ROUTES_MAX);
	vrf->routes = calloc(n, sizeof(*vrf->routes));
	if (vrf->routes == NULL)
		return -ENOMEM;
	if (prev != NULL && (vrf->fresh = malloc(n * sizeof(*vrf->fresh))) == NULL)
		return -ENOMEM;
	json_array_foreach(routes, i, obj) {
		const struct route_spec *from = NULL;

		vrf->n_routes++; // counted first: what it allocated is freed even if it fails
		if (j < pn && json_array_get(prev_routes, j) == obj) {
			from = &prev->routes[j++];
		} else if (j + 1 < pn && json_array_get(prev_routes, j + 1) == obj) {
			j++; // prev's route j went: it is in removed below
			if ((ret = removed_add(vrf, &prev->routes[j - 1])) < 0)
				return ret;
			from = &prev->routes[j++];
		}
		if (from != NULL) {
			vrf->routes[i] = *from;
			vrf->routes[i].index = (uint32_t)i;
			vrf->routes[i].more = NULL;
			if (from->n_nexthops > 1) {
				size_t sz = (size_t)(from->n_nexthops - 1) * sizeof(*from->more);
				if ((vrf->routes[i].more = malloc(sz)) == NULL)
					return -ENOMEM;
				memcpy(vrf->routes[i].more, from->more, sz);
			}
			continue;
		}
		ret = route_parse(ctx, obj, path, i, &vrf->routes[i]);
		if (ret < 0)
			return ret;
		if (prev == NULL)
			continue;
		vrf->fresh[vrf->n_fresh++] = (uint32_t)i;
		// prev's route j was replaced by this one, unless it is the next one here (an insert).
		if (j < pn && (i + 1 >= n || json_array_get(prev_routes, j) != json_array_get(routes, i + 1))) {
			if ((ret = removed_add(vrf, &prev->routes[j])) < 0)
				return ret;
			j++;
		}
	}
removed:
	for (; j < pn; j++)
		if ((ret = removed_add(vrf, &prev->routes[j])) < 0)
			return ret;
	if (prev != NULL && vrf->n_fresh <= FRESH_CHECK_MAX)
		return fresh_check_unique(ctx, path, routes, vrf);
	return routes_check_unique(ctx, path, routes, vrf);
}

// Parse routers[i] into `vrf`. `applied`: the applied snapshot's data when the networks are the
// same in this document (NULL otherwise).
static int vrf_parse(struct rules_ctx *ctx, const json_t *obj, size_t i, struct vrf_spec *vrf,
		     const struct vr_cfg *applied) {
	static const char *const keys[] = {"id", "tenant", "mac", "routes", "description", NULL};
	const char *mac = NULL, *description = NULL;
	char path[VRF_PATH_SIZE], field[VRF_PATH_SIZE];
	const json_t *routes = NULL;
	int ret;

	vrf_path(path, "routers[%zu]", i);
	ret = rules_check_keys(ctx, obj, path, keys);
	if (ret == 0)
		ret = rules_get_id(ctx, obj, path, "id", true, &vrf->id);
	if (ret == 0)
		ret = rules_get_id(ctx, obj, path, "tenant", true, &vrf->tenant);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "mac", true, &mac);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "description", false, &description);
	if (ret == 0)
		ret = rules_get_array(ctx, obj, path, "routes", false, &routes);
	if (ret < 0)
		return ret;

	ret = rules_define(ctx, "router", vrf->id, vrf_path(field, "%s.id", path));
	if (ret < 0)
		return ret;
	if (rules_parse_mac(mac, &vrf->mac) < 0 || !rte_is_valid_assigned_ether_addr(&vrf->mac))
		return rules_error(ctx, vrf_path(field, "%s.mac", path),
				   "\"%s\" is not a unicast MAC address", mac);
	if (description != NULL && strlen(description) > VRF_DESCRIPTION_LEN_MAX)
		return rules_error(ctx, vrf_path(field, "%s.description", path),
				   "%zu characters, at most %d", strlen(description),
				   VRF_DESCRIPTION_LEN_MAX);
	if (applied != NULL) {
		uint16_t pi = vr_vrf_find(applied, vrf->id);
		if (pi != VR_VRF_NONE && rte_is_same_ether_addr(&applied->vrfs[pi].mac, &vrf->mac) &&
		    strcmp(applied->vrfs[pi].tenant, vrf->tenant) == 0) {
			vrf->incremental = true;
			return routes_parse(ctx, routes, path, vrf, &applied->vrfs[pi],
					    json_object_get(json_array_get(applied->src_routers, pi),
							    "routes"));
		}
	}
	return routes_parse(ctx, routes, path, vrf, NULL, NULL);
}

// Networks that name a router: their id, VNI, MTU and subnets (vswitch validates them; what is
// Networks that name a router: their id, VNI, MTU and subnets (vswitch validates them; what is
// malformed here is skipped, vswitch refuses the document for it).
static int nets_parse(struct rules_ctx *ctx, const json_t *doc, struct vr_cfg *vc) {
	const json_t *networks = json_object_get(doc, "networks"), *o, *sn;
	size_t i, j;

	vc->src_networks = json_incref((json_t *)networks);
	vc->nets = calloc(json_array_size(networks) + 1, sizeof(*vc->nets));
	if (vc->nets == NULL)
		return -ENOMEM;
	json_array_foreach(networks, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *router = json_string_value(json_object_get(o, "router"));
		json_int_t mtu = json_integer_value(json_object_get(o, "mtu"));
		const json_t *subnets = json_object_get(o, "subnets");
		struct vr_net *net;
		uint16_t vrf;

		if (id == NULL || router == NULL || (vrf = vr_vrf_find(vc, router)) == VR_VRF_NONE ||
		    json_array_size(subnets) > VR_NET_SUBNETS_MAX)
			continue;
		net = &vc->nets[vc->n_nets++];
		*net = (struct vr_net){
			.id = id, .doc_index = (uint32_t)i, .vrf = vrf, .bd_id = VR_BD_NONE,
			.vni = (uint32_t)json_integer_value(json_object_get(o, "vni")),
			.mtu = (uint16_t)(mtu > 0 ? mtu : 1500),
			.mac = vc->vrfs[vrf].mac,
		};
		vc->vrfs[vrf].n_nets++;
		json_array_foreach(subnets, j, sn) {
			const char *cidr = json_string_value(json_object_get(sn, "cidr"));
			const char *gw = json_string_value(json_object_get(sn, "gateway"));
			struct vr_subnet *s = &net->subnets[net->n_subnets];
			int family, gwf;
			char path[VRF_PATH_SIZE];

			if (cidr == NULL || rules_parse_cidr(cidr, &family, s->prefix, &s->len) < 0)
				continue; // vswitch reports it
			s->family = (uint8_t)family;
			if (family == 6 && s->len > VR_IP6_PREFIX_MAX)
				return rules_error(ctx, vrf_path(path, "networks[%zu].subnets[%zu].cidr",
								 i, j),
						   "\"%s\": a routed IPv6 subnet is at most /%d", cidr,
						   VR_IP6_PREFIX_MAX);
			s->has_gw = gw != NULL && rules_parse_ip(gw, &gwf, s->gw) == 0 && gwf == family;
			if (s->has_gw && family == 4 && !net->has_gw4) {
				net->has_gw4 = true;
				memcpy(net->gw4, s->gw, 4);
			} else if (s->has_gw && family == 6 && !net->has_gw6) {
				net->has_gw6 = true;
				memcpy(net->gw6, s->gw, 16);
			}
			net->n_subnets++;
		}
	}
	return 0;
}

// The egress of next hop `addr` of a route of router `vrf` (index): the connected subnet that
// holds it (the longest); none leaves bd_id VR_BD_NONE (nexthop_unreachable). Build: bd_ids set.
static void path_resolve(const struct vr_cfg *vc, uint16_t vrf, uint8_t family,
			 const uint8_t *addr, struct vr_path *path) {
	int best = -1;

	memset(path, 0, sizeof(*path));
	memcpy(path->addr, addr, family == 4 ? 4 : 16);
	path->bd_id = VR_BD_NONE;
	for (uint32_t n = 0; n < vc->n_nets; n++) {
		const struct vr_net *net = &vc->nets[n];
		for (uint8_t k = 0; net->vrf == vrf && k < net->n_subnets; k++) {
			const struct vr_subnet *s = &net->subnets[k];
			if (s->family == family && (int)s->len > best &&
			    rules_prefix_match(s->prefix, s->len, addr)) {
				best = s->len;
				path->bd_id = net->bd_id;
				path->mtu = net->mtu;
				path->vni = net->vni;
				path->mac = net->mac;
			}
		}
	}
}

// The connected route of subnet `s` of network `net` into t.
static int connected_install(struct rules_ctx *ctx, const struct vr_cfg *vc,
			     const struct vr_net *net, const struct vr_subnet *s,
			     struct vr_fib_txn *t) {
	struct vr_nh nh;
	struct vr_route_key key;
	uint16_t id;

	memset(&nh, 0, sizeof(nh));
	nh.type = VR_NH_CONNECTED;
	nh.family = s->family;
	nh.n_paths = 1;
	nh.has_gw = s->has_gw;
	nh.vrf_id = vc->vrfs[net->vrf].vrf_id;
	nh.prefix_len = s->len;
	memcpy(nh.prefix, s->prefix, 16);
	memcpy(nh.gw, s->gw, 16);
	nh.via[0] = (struct vr_path){.bd_id = net->bd_id, .mtu = net->mtu, .vni = net->vni,
				     .mac = net->mac};
	key = (struct vr_route_key){.vrf_id = nh.vrf_id, .family = s->family, .len = s->len};
	memcpy(key.prefix, s->prefix, 16);
	if ((id = vr_fib_nh(t, &nh)) == 0)
		return rules_error(ctx, "networks", "more than %d next hops", VR_NH_MAX);
	return vr_fib_route(t, &key, id);
}

// Static route k of router r into t.
static int static_install(struct rules_ctx *ctx, const struct vr_cfg *vc, uint16_t r,
			  uint32_t k, struct vr_fib_txn *t) {
	const struct vr_vrf *v = &vc->vrfs[r];
	const struct vr_route_spec *rs = &v->routes[k];
	char path[VRF_PATH_SIZE];
	struct vr_route_key key;
	struct vr_nh nh;
	uint16_t id;

	memset(&nh, 0, sizeof(nh));
	nh.type = rs->blackhole ? VR_NH_BLACKHOLE : VR_NH_GATEWAY;
	nh.family = rs->family;
	nh.n_paths = rs->n_nexthops;
	nh.vrf_id = v->vrf_id;
	for (uint8_t q = 0; q < rs->n_nexthops; q++)
		path_resolve(vc, r, rs->family, vr_route_nexthop(rs, q), &nh.via[q]);
	key = (struct vr_route_key){.vrf_id = v->vrf_id, .family = rs->family,
				    .len = rs->prefix_len};
	memcpy(key.prefix, rs->prefix, 16);
	if ((id = vr_fib_nh(t, &nh)) == 0)
		return rules_error(ctx, vrf_path(path, "routers[%u].routes[%u]", r, k),
				   "more than %d different next hops", VR_NH_MAX);
	return vr_fib_route(t, &key, id);
}

// The static routes of router r that went (parse's `removed`) out of t, after the routes parsed
// anew went in: a prefix that one of those named stays as they set it; a connected route with the
// prefix comes back; else the route goes.
static int removed_uninstall(struct rules_ctx *ctx, const struct vr_cfg *vc, uint16_t r,
			     struct vr_fib_txn *t) {
	const struct vr_vrf *v = &vc->vrfs[r];
	int ret;

	for (uint32_t k = 0; k < v->n_removed; k++) {
		const struct vr_route_spec *rs = &v->removed[k];
		struct vr_route_key key = {.vrf_id = v->vrf_id, .family = rs->family,
					   .len = rs->prefix_len};
		bool connected = false;

		memcpy(key.prefix, rs->prefix, 16);
		if (vr_fib_named(&key))
			continue;
		for (uint32_t n = 0; n < vc->n_nets && !connected; n++) {
			const struct vr_net *net = &vc->nets[n];
			for (uint8_t q = 0; net->vrf == r && q < net->n_subnets; q++) {
				const struct vr_subnet *s = &net->subnets[q];
				if (s->family == rs->family && s->len == rs->prefix_len &&
				    memcmp(s->prefix, rs->prefix, 16) == 0) {
					if ((ret = connected_install(ctx, vc, net, s, t)) < 0)
						return ret;
					connected = true;
					break;
				}
			}
		}
		if (!connected && (ret = vr_fib_route(t, &key, 0)) < 0)
			return ret;
	}
	return 0;
}

// Every route of every router into the FIB transaction t: the connected ones (each subnet of each
// routed network), then the static ones (a static route with a subnet's prefix wins). A router
// parsed incrementally (its networks and the rest of it as applied) changes only its routes that
// went and those parsed anew; the FIB keeps the others.
static int routes_install(struct rules_ctx *ctx, struct vr_cfg *vc, struct vr_fib_txn *t) {
	int ret;

	for (uint32_t n = 0; n < vc->n_nets; n++) {
		const struct vr_net *net = &vc->nets[n];
		if (vc->vrfs[net->vrf].incremental)
			continue;
		for (uint8_t k = 0; k < net->n_subnets; k++)
			if ((ret = connected_install(ctx, vc, net, &net->subnets[k], t)) < 0)
				return ret;
	}
	for (uint16_t r = 0; r < vc->n_vrfs; r++) {
		const struct vr_vrf *v = &vc->vrfs[r];
		if (v->incremental) {
			vr_fib_keep(t, v->vrf_id);
			for (uint32_t f = 0; f < v->n_fresh; f++)
				if ((ret = static_install(ctx, vc, r, v->fresh[f], t)) < 0)
					return ret;
			if ((ret = removed_uninstall(ctx, vc, r, t)) < 0)
				return ret;
			continue;
		}
		for (uint32_t k = 0; k < v->n_routes; k++)
			if ((ret = static_install(ctx, vc, r, k, t)) < 0)
				return ret;
	}
	return 0;
}

uint16_t vr_vrf_find(const struct vr_cfg *vc, const char *id) {
	for (uint16_t i = 0; vc != NULL && i < vc->n_vrfs; i++)
		if (strcmp(vc->vrfs[i].id, id) == 0)
			return i;
	return VR_VRF_NONE;
}

int vr_route_match_len(const struct vr_cfg *vc, uint16_t vrf_id, int family,
		       const uint8_t *addr) {
	struct rte_fib *own = family == 4 && vrf_id < VR_ROUTERS_MAX ? vc->fib4_own[vrf_id] : NULL;
	struct rte_fib6 *fib = family == 4 ? vc->fib4 : vc->fib6;
	uint8_t key[16], depth = 0;

	if (own != NULL) {
		uint32_t ip;
		struct rte_rib_node *node;

		memcpy(&ip, addr, 4);
		node = rte_rib_lookup(rte_fib_get_rib(own), rte_be_to_cpu_32(ip));
		if (node == NULL)
			return -1;
		rte_rib_get_depth(node, &depth);
		return depth;
	}
	if (fib == NULL)
		return -1;
	vr_key(vrf_id, family, addr, key);
	struct rte_rib6_node *node6 = rte_rib6_lookup(rte_fib6_get_rib(fib), key);
	if (node6 == NULL)
		return -1;
	rte_rib6_get_depth(node6, &depth);
	return depth - VR_KEY_VRF_BITS;
}

uint32_t vr_route_lookup(const struct vr_cfg *vc, uint16_t vrf, int family, const uint8_t *addr,
			 uint8_t *len) {
	uint16_t vrf_id;
	uint64_t nh = 0;
	int l;

	*len = 0;
	if (vrf >= vc->n_vrfs)
		return 0;
	vrf_id = vc->vrfs[vrf].vrf_id;
	if (family == 4 && vc->fib4_own[vrf_id] != NULL) {
		uint32_t ip;
		memcpy(&ip, addr, 4);
		ip = rte_be_to_cpu_32(ip);
		rte_fib_lookup_bulk(vc->fib4_own[vrf_id], &ip, &nh, 1);
	} else {
		struct rte_fib6 *fib = family == 4 ? vc->fib4 : vc->fib6;
		uint8_t key[1][16];
		if (fib == NULL)
			return 0;
		vr_key(vrf_id, family, addr, key[0]);
		rte_fib6_lookup_bulk(fib, key, &nh, 1);
	}
	l = vr_route_match_len(vc, vrf_id, family, addr);
	*len = l > 0 ? (uint8_t)l : 0;
	return nh <= VR_NH_MAX ? (uint32_t)nh : 0;
}

// Control thread. Validate "routers" and read the routed networks; *data is a struct vr_cfg
// (with no router at all too: its build removes every route).
static int vrf_rules_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	const json_t *routers, *obj, *networks;
	const struct vr_cfg *applied = NULL;
	struct vrf_rules *rules;
	size_t i;
	int ret;

	*data = NULL;
	ret = rules_get_array(ctx, doc, "(document)", "routers", false, &routers);
	if (ret < 0)
		return ret;
	if (json_array_size(routers) > VRF_ROUTERS_MAX)
		return rules_error(ctx, "routers", "%zu routers, at most %d",
				   json_array_size(routers), VRF_ROUTERS_MAX);
	rules = calloc(1, sizeof(*rules));
	if (rules == NULL || (rules->vrfs = calloc(json_array_size(routers) + 1,
						     sizeof(*rules->vrfs))) == NULL) {
		free(rules);
		return -ENOMEM;
	}
	memset(rules->vrf_of_bd, 0xff, sizeof(rules->vrf_of_bd));
	rules->src_routers = json_incref((json_t *)routers);
	// Routes parsed before are reused only where nothing they depend on changed: the networks
	// (their subnets resolve next hops).
	networks = json_object_get(doc, "networks");
	if (vr_applied != NULL && (vr_applied->src_networks == networks ||
				   (networks != NULL && vr_applied->src_networks != NULL &&
				    json_equal(vr_applied->src_networks, networks))))
		applied = vr_applied;
	json_array_foreach(routers, i, obj) {
		rules->n_vrfs++; // counted first: its routes are freed even if it fails
		struct rules_object ro = {.kind = "router"};
		ret = vrf_parse(ctx, obj, i, &rules->vrfs[i], applied);
		if (ret == 0) { // shared with the other sections (rules.h)
			snprintf(ro.id, sizeof(ro.id), "%s", rules->vrfs[i].id);
			snprintf(ro.tenant, sizeof(ro.tenant), "%s", rules->vrfs[i].tenant);
			ro.mac = rules->vrfs[i].mac;
			snprintf(ro.path, sizeof(ro.path), "routers[%zu]", i);
			ret = rules_object_add(ctx, &ro);
		}
		if (ret < 0) {
			vrf_rules_free(rules);
			return ret;
		}
	}
	ret = nets_parse(ctx, doc, rules);
	if (ret < 0) {
		vrf_rules_free(rules);
		return ret;
	}
	*data = rules;
	return 0;
}

// Stable VRF ids: a router keeps its id (its FIB keys and counters) for its life, across
// transactions that reorder or change the routers. Control thread.
static json_t *vrf_ids; // router id -> vrf_id, for every router of the current snapshot

static int vrf_id_assign(const char *id) {
	uint8_t used[VR_ROUTERS_MAX] = {0};
	const char *key;
	json_t *v;

	if (vrf_ids == NULL && (vrf_ids = json_object()) == NULL)
		return -ENOMEM;
	if ((v = json_object_get(vrf_ids, id)) != NULL)
		return (int)json_integer_value(v);
	json_object_foreach(vrf_ids, key, v)
		used[json_integer_value(v)] = 1;
	for (int i = 0; i < VR_ROUTERS_MAX; i++)
		if (!used[i]) {
			json_object_set_new(vrf_ids, id, json_integer(i));
			vr_counters_baseline(i);
			return i;
		}
	return -ENOSPC;
}

// The new snapshot is in use and the old one retired: bring the other FIB copy up to date, and
// forget the ids of routers the new snapshot lacks.
static void vrf_rules_published(const struct dp_config *old, const struct dp_config *cfg) {
	const struct vr_cfg *vc = vr_cfg_get(cfg);
	const char *key;
	json_t *v;
	void *tmp;

	RTE_SET_USED(old);
	vr_applied = vc;
	if (vc != NULL && vc->txn != NULL)
		vr_fib_published(vc->txn);
	json_object_foreach_safe(vrf_ids, tmp, key, v) {
		if (vr_vrf_find(vc, key) == VR_VRF_NONE)
			json_object_del(vrf_ids, key);
	}
}

// The networks' bridge domains (vswitch's: stable for the life of a network, whichever section
// builds first). This data is rebuilt whenever "networks" changes, so they stay right while it
// is reused.
static int vrf_rules_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data) {
	struct vr_cfg *vc = data;
	int ret;

	RTE_SET_USED(cfg);
	if (vc == NULL)
		return 0;
	for (uint16_t r = 0; r < vc->n_vrfs; r++) {
		int id = vrf_id_assign(vc->vrfs[r].id);
		if (id < 0)
			return rules_error(ctx, "routers", "no free VRF id");
		vc->vrfs[r].vrf_id = (uint16_t)id;
		vc->vrf_pos[id] = r;
	}
	for (uint32_t n = 0; n < vc->n_nets; n++) {
		int bd = bridge_bd_id(vc->nets[n].id);
		if (bd < 0)
			return rules_error(ctx, "networks", "no free bridge domain id");
		vc->nets[n].bd_id = (uint16_t)bd;
		vc->vrf_of_bd[bd] = vc->vrfs[vc->nets[n].vrf].vrf_id;
		vc->net_of_bd[bd] = (uint16_t)n;
	}
	// The FIBs need EAL: changed here, not in parse (which also validates documents offline).
	vc->txn = calloc(1, sizeof(*vc->txn));
	if (vc->txn == NULL)
		return -ENOMEM;
	vr_fib_begin(vc->txn);
	ret = routes_install(ctx, vc, vc->txn);
	if (ret == 0)
		ret = vr_fib_commit(ctx, vc->txn);
	else
		vr_fib_txn_free(vc->txn), vc->txn = NULL; // undone
	if (ret < 0)
		return ret == -ENOMEM ? rules_error(ctx, "routers", "out of memory for the routes")
				      : ret;
	vc->nh = vr_nh_table;
	vc->fib4 = vr_fib_get(vc->txn, 4);
	vc->fib6 = vr_fib_get(vc->txn, 6);
	for (uint16_t r = 0; r < vc->n_vrfs; r++)
		vc->fib4_own[vc->vrfs[r].vrf_id] = vr_fib_own4(vc->txn, vc->vrfs[r].vrf_id);
	return 0;
}

// A network's router must be of the network's tenant: a router joins the networks of one tenant
// only (one VRF per tenant). Cross-section: the networks are vswitch's, read as shared objects.
static int vrf_network_check(struct rules_ctx *ctx, const struct rules_object *net, void *arg) {
	const struct rules_object *r;
	char path[VRF_PATH_SIZE];

	RTE_SET_USED(arg);
	if (net->router[0] == '\0' || (r = rules_object_find(ctx, "router", net->router)) == NULL ||
	    r->tenant_id == net->tenant_id)
		return 0;
	return rules_error(ctx, vrf_path(path, "%s.router", net->path),
			   "router \"%s\" belongs to tenant \"%s\", not \"%s\"", r->id, r->tenant,
			   net->tenant);
}

static int vrf_rules_check(struct rules_ctx *ctx, const void *data) {
	RTE_SET_USED(data);
	return rules_object_foreach(ctx, "network", vrf_network_check, NULL);
}

// Route ops name a route by its prefix: the same prefix however it is written ("FD00::/64" and
// "fd00:0::/64").
static bool prefix_equal(const json_t *a, const json_t *b) {
	uint8_t pa[16], pb[16], la, lb;
	int fa, fb;

	// Cheap first (an op scans every route of the router): IPv4 text has one spelling (inet_pton
	// takes no leading zeros), so only two IPv6 prefixes need parsing.
	if (!json_is_string(a) || !json_is_string(b) ||
	    strchr(json_string_value(a), ':') == NULL || strchr(json_string_value(b), ':') == NULL)
		return false;
	return
	       rules_parse_cidr(json_string_value(a), &fa, pa, &la) == 0 &&
	       rules_parse_cidr(json_string_value(b), &fb, pb, &lb) == 0 && fa == fb && la == lb &&
	       memcmp(pa, pb, fa == 4 ? 4 : 16) == 0;
}

static struct rules_section vrf_section = {
	.name = "vrouter",
	.arrays = {{.key = "routers", .kind = "router", .id_fields = {"id"}},
		   // {"op": "replace", "kind": "route", "router": "r1", "object": {"prefix": ...}}
		   {.key = "routes", .kind = "route", .id_fields = {"prefix"}, .parent = "router",
		    .id_equal = prefix_equal}},
	// The networks' subnets are the routers' connected routes.
	.reads = {"networks"},
	.parse = vrf_rules_parse,
	.build = vrf_rules_build,
	.check = vrf_rules_check,
	.free = vrf_rules_free,
	.published = vrf_rules_published,
};

RTE_INIT(vrf_rules_register) {
	rules_section_register(&vrf_section);
	vr_cfg_index = vrf_section.index;
}
