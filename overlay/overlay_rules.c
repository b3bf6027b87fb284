// SPDX-License-Identifier: BSD-3-Clause
// The "remote_ports" part of the rules document (docs/rules-schema.md): the vNICs of other hosts,
// each a MAC (and its IPs) in a network behind the VTEP of its host. Validated here; the overlay's
// tables (VNIs, VTEPs, accepted sources) are built by overlay_cfg.c, and vswitch reads the MACs
// and IPs for its MAC table and ARP/ND suppression. Control thread only.

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "dataplane/rules.h"
#include "overlay/overlay.h"

#define VXLAN_REMOTE_PORTS_MAX 65536
#define VXLAN_PATH_SIZE 128

// What identifies a remote port: its network and MAC. Strings point into the document.
struct vxlan_remote_key {
	const char *network;
	const char *mac_text; // as written
	struct rte_ether_addr mac;
	uint32_t index; // position in "remote_ports"
};

// Format a path ("remote_ports[2].mac") into `buf` (VXLAN_PATH_SIZE bytes).
static __rte_format_printf(2, 3) const char *vxlan_path(char *buf, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, VXLAN_PATH_SIZE, fmt, ap);
	va_end(ap);
	return buf;
}

// An address a vNIC can own: not unspecified, not multicast, not IPv4 broadcast.
static bool ip_is_unicast(int family, const uint8_t addr[16]) {
	static const uint8_t zero[16];

	if (family == 4)
		return addr[0] != 0 && addr[0] < 224; // 0/8, multicast, 240/4 and broadcast
	return addr[0] != 0xff && memcmp(addr, zero, 16) != 0;
}

// A remote port's "ips" into `ro` (at most RULES_OBJECT_IPS_MAX per family, as a local port).
static int vxlan_ips_parse(struct rules_ctx *ctx, const json_t *obj, const char *path,
			   struct rules_object *ro) {
	char field[VXLAN_PATH_SIZE];
	const json_t *ips, *v;
	uint8_t addr[16];
	int family, ret;
	size_t i;

	ret = rules_get_array(ctx, obj, path, "ips", false, &ips);
	if (ret < 0 || ips == NULL)
		return ret;
	json_array_foreach(ips, i, v) {
		vxlan_path(field, "%s.ips[%zu]", path, i);
		if (!json_is_string(v))
			return rules_error(ctx, field, "must be a string");
		if (rules_parse_ip(json_string_value(v), &family, addr) < 0)
			return rules_error(ctx, field, "\"%s\" is not an IPv4 or IPv6 address",
					   json_string_value(v));
		if (!ip_is_unicast(family, addr))
			return rules_error(ctx, field, "\"%s\" is not a unicast address",
					   json_string_value(v));
		if ((family == 4 ? ro->n_ip4 : ro->n_ip6) >= RULES_OBJECT_IPS_MAX)
			return rules_error(ctx, field, "at most %d IPv4 and %d IPv6 addresses",
					   RULES_OBJECT_IPS_MAX, RULES_OBJECT_IPS_MAX);
		if (family == 4)
			memcpy(&ro->ip4[ro->n_ip4++], addr, 4);
		else
			memcpy(ro->ip6[ro->n_ip6++], addr, 16);
	}
	return 0;
}

// The underlay address of the remote host: one IPv4 unicast address (RFC 7348 section 4.1).
static int vxlan_vtep_parse(struct rules_ctx *ctx, const char *path, const char *s) {
	uint8_t addr[16];
	int family;

	if (rules_parse_ip(s, &family, addr) < 0 || family != 4)
		return rules_error(ctx, path, "\"%s\" is not an IPv4 address", s);
	if (!ip_is_unicast(family, addr))
		return rules_error(ctx, path,
				   "\"%s\" is not a unicast address (0.0.0.0/8, multicast and "
				   "broadcast cannot be a VTEP)",
				   s);
	return 0;
}

// Parse remote_ports[i]; `key` receives its network and MAC.
static int vxlan_remote_parse(struct rules_ctx *ctx, const json_t *obj, size_t i,
			      struct vxlan_remote_key *key) {
	static const char *const keys[] = {"network", "mac", "ips", "vtep", "security_groups", "host",
					   NULL};
	char path[VXLAN_PATH_SIZE], field[VXLAN_PATH_SIZE];
	struct rules_object ro = {.kind = "remote_port"};
	const json_t *sgs = NULL, *v;
	const char *vtep = NULL;
	size_t j;
	uint8_t vtep_addr[16];
	int ret, family;

	vxlan_path(path, "remote_ports[%zu]", i);
	key->index = (uint32_t)i;
	ret = rules_check_keys(ctx, obj, path, keys);
	if (ret == 0)
		ret = rules_get_id(ctx, obj, path, "network", true, &key->network);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "mac", true, &key->mac_text);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "vtep", true, &vtep);
	if (ret == 0)
		ret = rules_get_array(ctx, obj, path, "security_groups", false, &sgs);
	if (ret == 0 && json_object_get(obj, "host") != NULL) {
		const char *host; // the VTEP's host, named in traces (vnetctl trace --follow)
		ret = rules_get_id(ctx, obj, path, "host", false, &host);
	}
	if (ret < 0)
		return ret;

	vxlan_path(field, "%s.network", path);
	rules_refer(ctx, "network", key->network, field);
	// Its groups: its addresses match the firewall's remote_group rules (firewall/).
	json_array_foreach(sgs, j, v) {
		vxlan_path(field, "%s.security_groups[%zu]", path, j);
		if (!json_is_string(v))
			return rules_error(ctx, field, "must be a security group id");
		rules_refer(ctx, "security_group", json_string_value(v), field);
	}
	vxlan_path(field, "%s.mac", path);
	if (rules_parse_mac(key->mac_text, &key->mac) < 0 ||
	    !rte_is_valid_assigned_ether_addr(&key->mac))
		return rules_error(ctx, field, "\"%s\" is not a unicast MAC address",
				   key->mac_text);
	ret = vxlan_ips_parse(ctx, obj, path, &ro);
	if (ret < 0)
		return ret;
	vxlan_path(field, "%s.vtep", path);
	ret = vxlan_vtep_parse(ctx, field, vtep);
	if (ret == 0) { // shared with the other sections (rules.h)
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		ro.mac = key->mac;
		if (rules_parse_ip(vtep, &family, vtep_addr) == 0)
			memcpy(&ro.vtep, vtep_addr, 4);
		rte_ether_format_addr(mac, sizeof(mac), &key->mac);
		for (char *c = mac; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		snprintf(ro.id, sizeof(ro.id), "%.63s/%s", key->network, mac);
		snprintf(ro.network, sizeof(ro.network), "%s", key->network);
		snprintf(ro.path, sizeof(ro.path), "%.47s", path);
		ret = rules_object_add(ctx, &ro);
	}
	return ret;
}

static int vxlan_remote_key_cmp(const void *a, const void *b) {
	const struct vxlan_remote_key *x = a, *y = b;
	int c = strcmp(x->network, y->network);

	if (c == 0)
		c = memcmp(&x->mac, &y->mac, sizeof(x->mac));
	if (c == 0)
		c = x->index < y->index ? -1 : x->index > y->index;
	return c;
}

// Refuse a (network, MAC) pair given twice; report the first repeat in document order.
static int vxlan_remotes_check_unique(struct rules_ctx *ctx, struct vxlan_remote_key *keys,
				      size_t n) {
	const struct vxlan_remote_key *dup = NULL, *first = NULL;
	char path[VXLAN_PATH_SIZE];

	qsort(keys, n, sizeof(*keys), vxlan_remote_key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(keys[i - 1].network, keys[i].network) == 0 &&
		    rte_is_same_ether_addr(&keys[i - 1].mac, &keys[i].mac) &&
		    (dup == NULL || keys[i].index < dup->index)) {
			dup = &keys[i];
			first = &keys[i - 1];
		}
	}
	if (dup == NULL)
		return 0;
	vxlan_path(path, "remote_ports[%" PRIu32 "]", dup->index);
	return rules_error(ctx, path,
			   "duplicate of remote_ports[%" PRIu32 "] (network \"%s\", mac \"%s\")",
			   first->index, dup->network, dup->mac_text);
}

// Control thread. Validate "remote_ports", then gather the overlay's data (overlay_cfg.c).
static int vxlan_rules_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	struct vxlan_remote_key *keys;
	const json_t *remotes, *obj;
	size_t i;
	int ret;

	*data = NULL;
	ret = rules_get_array(ctx, doc, "(document)", "remote_ports", false, &remotes);
	if (ret < 0)
		return ret;
	if (remotes == NULL || json_array_size(remotes) == 0)
		return overlay_cfg_parse(ctx, doc, data);
	if (json_array_size(remotes) > VXLAN_REMOTE_PORTS_MAX)
		return rules_error(ctx, "remote_ports", "%zu remote ports, at most %d",
				   json_array_size(remotes), VXLAN_REMOTE_PORTS_MAX);
	keys = calloc(json_array_size(remotes), sizeof(*keys));
	if (keys == NULL)
		return -ENOMEM;
	json_array_foreach(remotes, i, obj) {
		ret = vxlan_remote_parse(ctx, obj, i, &keys[i]);
		if (ret < 0)
			goto out;
	}
	ret = vxlan_remotes_check_unique(ctx, keys, json_array_size(remotes));
	if (ret == 0)
		ret = overlay_cfg_parse(ctx, doc, data);
out:
	free(keys);
	return ret;
}

static void vxlan_rules_published(const struct dp_config *old, const struct dp_config *cfg) {
	RTE_SET_USED(old);
	overlay_idx_prune(overlay_cfg_get(cfg));
}

const struct overlay_cfg *overlay_cfg_get(const struct dp_config *cfg);

static struct rules_section vxlan_section = {
	.name = "overlay",
	.arrays = {{.key = "remote_ports", .kind = "remote_port", .id_fields = {"network", "mac"}}},
	.reads = {"networks"}, // VNIs, MTUs and flood VTEPs (overlay_cfg.c)
	.parse = vxlan_rules_parse,
	.build = overlay_cfg_build,
	.free = overlay_cfg_free,
	.published = vxlan_rules_published,
};

const struct overlay_cfg *overlay_cfg_get(const struct dp_config *cfg) {
	return cfg != NULL ? cfg->section[vxlan_section.index] : NULL;
}

RTE_INIT(vxlan_rules_register) {
	rules_section_register(&vxlan_section);
}
