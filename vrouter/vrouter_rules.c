// SPDX-License-Identifier: BSD-3-Clause
// The "routers" part of the rules document (docs/rules-schema.md): one router per tenant VRF, its
// MAC and its static routes. Validated with every transaction and kept as parsed values in the
// snapshot; not yet enforced: routing (VRFs, LPM, ARP/ND, the distributed gateway) is a later
// issue, and until it lands no node reads this data. Control thread only.

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "dataplane/rules.h"

#define VRF_ROUTERS_MAX 1024
#define VRF_ROUTES_MAX 1024
#define VRF_DESCRIPTION_LEN_MAX 255
#define VRF_PATH_SIZE 128

// One static route, as parsed.
struct route_spec {
	uint8_t prefix[16];  // network order, 4 or 16 bytes used
	uint8_t nexthop[16]; // zero for a blackhole route
	uint8_t family;      // 4 or 6
	uint8_t prefix_len;
	bool blackhole;
	uint16_t index; // position in the router's "routes"
};

// One router, as parsed. Strings point into the document's "routers" array, which the section's
// data holds a reference to: the data can outlive the snapshot (and document) it was parsed for
// when later transactions reuse it.
struct vrf_spec {
	const char *id;
	const char *tenant;
	struct rte_ether_addr mac;
	uint16_t n_routes;
	struct route_spec *routes; // document order
};

// The section's data: every router of the document, in document order.
struct vrf_rules {
	json_t *src; // the "routers" array the strings point into (a reference)
	uint16_t n_routers;
	struct vrf_spec routers[];
};

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
	for (uint16_t i = 0; i < rules->n_routers; i++)
		free(rules->routers[i].routes);
	json_decref(rules->src);
	free(rules);
}

// Parse "nexthop" of a route whose prefix is already in `r`.
static int nexthop_parse(struct rules_ctx *ctx, const char *path, const char *s,
			 struct route_spec *r) {
	static const uint8_t zero[16];
	int family;

	if (rules_parse_ip(s, &family, r->nexthop) < 0)
		return rules_error(ctx, path, "\"%s\" is not an IPv4 or IPv6 address", s);
	if (family != r->family)
		return rules_error(ctx, path, "\"%s\" is IPv%d but the prefix is IPv%d", s, family,
				   r->family);
	// 0.0.0.0/8, multicast, reserved and broadcast; ::, multicast.
	if ((family == 4 && (r->nexthop[0] == 0 || r->nexthop[0] >= 224)) ||
	    (family == 6 && (r->nexthop[0] == 0xff || memcmp(r->nexthop, zero, 16) == 0)))
		return rules_error(ctx, path, "\"%s\" is not a unicast address", s);
	return 0;
}

// Parse routes[i] of the router at `parent` into `r`.
static int route_parse(struct rules_ctx *ctx, const json_t *obj, const char *parent, size_t i,
		       struct route_spec *r) {
	static const char *const keys[] = {"prefix", "nexthop", "blackhole", NULL};
	const char *prefix = NULL, *nexthop = NULL;
	char path[VRF_PATH_SIZE], field[VRF_PATH_SIZE];
	int family, ret;

	vrf_path(path, "%s.routes[%zu]", parent, i);
	r->index = (uint16_t)i;
	ret = rules_check_keys(ctx, obj, path, keys);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "prefix", true, &prefix);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "nexthop", false, &nexthop);
	if (ret == 0)
		ret = rules_get_bool(ctx, obj, path, "blackhole", false, &r->blackhole);
	if (ret < 0)
		return ret;

	if (rules_parse_cidr(prefix, &family, r->prefix, &r->prefix_len) < 0)
		return rules_cidr_error(ctx, vrf_path(field, "%s.prefix", path), prefix);
	r->family = (uint8_t)family;

	if (r->blackhole && nexthop != NULL)
		return rules_error(ctx, path,
				   "has both \"nexthop\" and \"blackhole\": true; "
				   "a route has exactly one");
	if (!r->blackhole && nexthop == NULL)
		return rules_error(ctx, path, "missing \"nexthop\" (or \"blackhole\": true)");
	if (r->blackhole)
		return 0;
	return nexthop_parse(ctx, vrf_path(field, "%s.nexthop", path), nexthop, r);
}

static int route_spec_cmp(const void *a, const void *b) {
	const struct route_spec *x = a, *y = b;
	int c = (int)x->family - (int)y->family;

	if (c == 0)
		c = (int)x->prefix_len - (int)y->prefix_len;
	if (c == 0)
		c = memcmp(x->prefix, y->prefix, sizeof(x->prefix));
	if (c == 0)
		c = (int)x->index - (int)y->index;
	return c;
}

// Refuse a prefix that appears twice in one router; report the first repeat in document order.
static int routes_check_unique(struct rules_ctx *ctx, const char *path, const json_t *routes,
			       const struct vrf_spec *vrf) {
	struct route_spec *sorted;
	int dup = -1, first = -1;
	char field[VRF_PATH_SIZE];

	if (vrf->n_routes < 2)
		return 0;
	sorted = malloc(vrf->n_routes * sizeof(*sorted));
	if (sorted == NULL)
		return -ENOMEM;
	memcpy(sorted, vrf->routes, vrf->n_routes * sizeof(*sorted));
	qsort(sorted, vrf->n_routes, sizeof(*sorted), route_spec_cmp);
	for (uint16_t i = 1; i < vrf->n_routes; i++) {
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
		ctx, vrf_path(field, "%s.routes[%d].prefix", path, dup),
		"duplicate prefix \"%s\" (also routes[%d])",
		json_string_value(json_object_get(json_array_get(routes, (size_t)dup), "prefix")),
		first);
}

static int routes_parse(struct rules_ctx *ctx, const json_t *routes, const char *path,
			struct vrf_spec *vrf) {
	char field[VRF_PATH_SIZE];
	const json_t *obj;
	size_t i;
	int ret;

	if (routes == NULL || json_array_size(routes) == 0)
		return 0;
	if (json_array_size(routes) > VRF_ROUTES_MAX)
		return rules_error(ctx, vrf_path(field, "%s.routes", path),
				   "%zu routes, at most %d per router", json_array_size(routes),
				   VRF_ROUTES_MAX);
	vrf->routes = calloc(json_array_size(routes), sizeof(*vrf->routes));
	if (vrf->routes == NULL)
		return -ENOMEM;
	json_array_foreach(routes, i, obj) {
		ret = route_parse(ctx, obj, path, i, &vrf->routes[i]);
		if (ret < 0)
			return ret;
		vrf->n_routes++;
	}
	return routes_check_unique(ctx, path, routes, vrf);
}

// Parse routers[i] into `vrf`.
static int vrf_parse(struct rules_ctx *ctx, const json_t *obj, size_t i, struct vrf_spec *vrf) {
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
	return routes_parse(ctx, routes, path, vrf);
}

// Control thread. Validate "routers"; *data is a struct vrf_rules, or NULL when there is none.
static int vrf_rules_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	const json_t *routers, *obj;
	struct vrf_rules *rules;
	size_t i;
	int ret;

	*data = NULL;
	ret = rules_get_array(ctx, doc, "(document)", "routers", false, &routers);
	if (ret < 0 || routers == NULL || json_array_size(routers) == 0)
		return ret;
	if (json_array_size(routers) > VRF_ROUTERS_MAX)
		return rules_error(ctx, "routers", "%zu routers, at most %d",
				   json_array_size(routers), VRF_ROUTERS_MAX);
	rules = calloc(1, sizeof(*rules) + json_array_size(routers) * sizeof(rules->routers[0]));
	if (rules == NULL)
		return -ENOMEM;
	rules->src = json_incref((json_t *)routers);
	json_array_foreach(routers, i, obj) {
		rules->n_routers++; // counted first: its routes are freed even if it fails
		struct rules_object ro = {.kind = "router"};
		ret = vrf_parse(ctx, obj, i, &rules->routers[i]);
		if (ret == 0) { // shared with the other sections (rules.h)
			snprintf(ro.id, sizeof(ro.id), "%s", rules->routers[i].id);
			snprintf(ro.tenant, sizeof(ro.tenant), "%s", rules->routers[i].tenant);
			ro.mac = rules->routers[i].mac;
			snprintf(ro.path, sizeof(ro.path), "routers[%zu]", i);
			ret = rules_object_add(ctx, &ro);
		}
		if (ret < 0) {
			vrf_rules_free(rules);
			return ret;
		}
	}
	*data = rules;
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

static struct rules_section vrf_section = {
	.name = "vrouter",
	.arrays = {{.key = "routers", .kind = "router", .id_fields = {"id"}}},
	.parse = vrf_rules_parse,
	.check = vrf_rules_check,
	.free = vrf_rules_free,
};

RTE_INIT(vrf_rules_register) {
	rules_section_register(&vrf_section);
}
