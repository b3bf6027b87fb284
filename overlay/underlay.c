// SPDX-License-Identifier: BSD-3-Clause
// The underlay port: its configuration ("underlay" in vnetd's file, read before EAL), and at
// start-up the device, attached once and kept in every snapshot as the system port "underlay",
// whose packets port_rx hands to underlay_input. Control thread only.

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define DP_LOG_TYPE overlay_logtype
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/trace_build.h"
#include "overlay/overlay.h"

struct underlay underlay;

#define ERR(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, err_size, __VA_ARGS__);                                              \
		return -EINVAL;                                                                    \
	} while (0)

static int uint_get(const json_t *o, const char *key, json_int_t min, json_int_t max,
		    json_int_t def, json_int_t *out, char *err, size_t err_size) {
	const json_t *v = json_object_get(o, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		ERR("%s: must be an integer in %lld..%lld", key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int ip4_get(const json_t *o, const char *key, rte_be32_t *out, char *err, size_t err_size) {
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || inet_pton(AF_INET, s, out) != 1)
		ERR("%s: must be an IPv4 address", key);
	return 0;
}

static int static_neighbors(const json_t *list, char *err, size_t err_size) {
	size_t i;
	json_t *n;

	if (list != NULL && !json_is_array(list))
		ERR("static_neighbors: must be an array");
	if (json_array_size(list) > OVERLAY_STATIC_NEIGH_MAX)
		ERR("static_neighbors: at most %d", OVERLAY_STATIC_NEIGH_MAX);
	json_array_foreach(list, i, n) {
		const char *mac = json_string_value(json_object_get(n, "mac"));
		const char *key;
		char e[128];
		json_t *v;
		if (ip4_get(n, "ip", &underlay.static_neigh[i].ip, e, sizeof(e)) < 0 || mac == NULL ||
		    rules_parse_mac(mac, &underlay.static_neigh[i].mac) < 0)
			ERR("static_neighbors[%zu]: needs \"ip\" (IPv4) and \"mac\"", i);
		json_object_foreach(n, key, v)
			if (strcmp(key, "ip") != 0 && strcmp(key, "mac") != 0)
				ERR("static_neighbors[%zu]: unknown key \"%s\"", i, key);
		if (!rte_is_unicast_ether_addr(&underlay.static_neigh[i].mac) ||
		    rte_is_zero_ether_addr(&underlay.static_neigh[i].mac))
			ERR("static_neighbors[%zu]: mac: must be a unicast MAC address", i);
		for (size_t j = 0; j < i; j++)
			if (underlay.static_neigh[j].ip == underlay.static_neigh[i].ip)
				ERR("static_neighbors[%zu]: %s given twice", i,
				    json_string_value(json_object_get(n, "ip")));
		underlay.n_static++;
	}
	return 0;
}

static int address_parse(const json_t *o, char *err, size_t err_size) {
	const char *addr = json_string_value(json_object_get(o, "address"));
	const char *slash = addr ? strchr(addr, '/') : NULL;
	char buf[64], *end;
	long len;

	if (slash == NULL || (size_t)(slash - addr) >= sizeof(buf))
		ERR("address: must be the VTEP address and prefix, a.b.c.d/len");
	memcpy(buf, addr, (size_t)(slash - addr));
	buf[slash - addr] = '\0';
	if (!isdigit((unsigned char)slash[1])) // strtol would take " 24" and "+24"
		ERR("address: must be the VTEP address and prefix, a.b.c.d/len");
	len = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &underlay.addr) != 1 || *end != '\0' || len < 1 || len > 32)
		ERR("address: must be the VTEP address and prefix, a.b.c.d/len");
	underlay.plen = (uint8_t)len;
	underlay.mask = rte_cpu_to_be_32(len == 32 ? UINT32_MAX : ~(UINT32_MAX >> len));
	return 0;
}

int underlay_config(const json_t *o, char *err, size_t err_size) {
	static const char *const keys[] = {"device", "address", "gateway", "mac", "udp_port", "ttl",
					   "dscp", "mtu", "static_neighbors", NULL};
	const char *device, *mac, *key;
	json_int_t port, ttl, dscp, mtu;
	json_t *v;

	memset(&underlay, 0, sizeof(underlay));
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		ERR("must be an object");
	json_object_foreach((json_t *)o, key, v) {
		bool ok = false;
		for (int i = 0; keys[i] != NULL && !ok; i++)
			ok = strcmp(key, keys[i]) == 0;
		if (!ok)
			ERR("unknown key \"%s\"", key);
	}
	device = json_string_value(json_object_get(o, "device"));
	if (device == NULL || strlen(device) == 0 || strlen(device) >= sizeof(underlay.device))
		ERR("device: must be DPDK devargs of 1..%zu characters", sizeof(underlay.device) - 1);
	snprintf(underlay.device, sizeof(underlay.device), "%s", device);
	if (address_parse(o, err, err_size) < 0)
		return -EINVAL;
	if (json_object_get(o, "gateway") != NULL &&
	    ip4_get(o, "gateway", &underlay.gateway, err, err_size) < 0)
		return -EINVAL;
	if (underlay.gateway != 0 &&
	    (underlay.gateway & underlay.mask) != (underlay.addr & underlay.mask))
		ERR("gateway: not inside the underlay prefix /%u", underlay.plen);
	if (underlay.gateway != 0 && underlay.gateway == underlay.addr)
		ERR("gateway: is the VTEP address itself");
	mac = json_string_value(json_object_get(o, "mac"));
	if (json_object_get(o, "mac") != NULL &&
	    (mac == NULL || rules_parse_mac(mac, &underlay.mac) < 0 ||
	     !rte_is_unicast_ether_addr(&underlay.mac) || rte_is_zero_ether_addr(&underlay.mac)))
		ERR("mac: must be a unicast MAC address");
	underlay.mac_set = mac != NULL;
	if (uint_get(o, "udp_port", 1, 65535, 4789, &port, err, err_size) < 0 ||
	    uint_get(o, "ttl", 1, 255, 64, &ttl, err, err_size) < 0 ||
	    uint_get(o, "dscp", 0, 63, 0, &dscp, err, err_size) < 0 ||
	    uint_get(o, "mtu", 626, 9216, 1500, &mtu, err, err_size) < 0 ||
	    static_neighbors(json_object_get(o, "static_neighbors"), err, err_size) < 0)
		return -EINVAL;
	underlay.udp_port = (uint16_t)port;
	underlay.ttl = (uint8_t)ttl;
	underlay.dscp = (uint8_t)dscp;
	underlay.mtu = (uint16_t)mtu;
	underlay.enabled = true;
	return 0;
}

// Frames described in words at the underlay (dataplane/trace_build.h): `vxlan vni N from-vtep A
// [to-vtep B] [outer-to-mac M]` puts the inner frame the other words describe in VXLAN, as a
// frame from VTEP A to this host's VTEP (or B), to the underlay's MAC (or M).
struct vxlan_words {
	long vni;
	rte_be32_t src, dst;
	struct rte_ether_addr dmac;
	bool have_src, have_dst, have_dmac;
};

static int vxlan_words_parse(void *state, char *const *w, int n, char *err, size_t es) {
	struct vxlan_words *v = state;
	char *end;

	if (strcmp(w[0], "vxlan") == 0) {
		v->vni = -1;
		return 1;
	}
	if (n < 2 && (strcmp(w[0], "vni") == 0 || strcmp(w[0], "from-vtep") == 0 ||
		      strcmp(w[0], "to-vtep") == 0 || strcmp(w[0], "outer-to-mac") == 0)) {
		snprintf(err, es, "describe: \"%s\" needs a value", w[0]);
		return -1;
	}
	if (strcmp(w[0], "vni") == 0) {
		v->vni = strtol(w[1], &end, 0);
		if (*end != '\0' || v->vni < 0 || v->vni > 16777215) {
			snprintf(err, es, "describe: vni \"%s\": 0..16777215", w[1]);
			return -1;
		}
		return 2;
	}
	if (strcmp(w[0], "from-vtep") == 0 || strcmp(w[0], "to-vtep") == 0) {
		rte_be32_t *a = w[0][0] == 'f' ? &v->src : &v->dst;
		if (inet_pton(AF_INET, w[1], a) != 1) {
			snprintf(err, es, "describe: %s \"%s\": not an IPv4 address", w[0], w[1]);
			return -1;
		}
		*(w[0][0] == 'f' ? &v->have_src : &v->have_dst) = true;
		return 2;
	}
	if (strcmp(w[0], "outer-to-mac") == 0) {
		if (rte_ether_unformat_addr(w[1], &v->dmac) != 0) {
			snprintf(err, es, "describe: outer-to-mac \"%s\": not a MAC address", w[1]);
			return -1;
		}
		v->have_dmac = true;
		return 2;
	}
	return 0;
}

static const json_t *vxlan_words_network(const void *state, const json_t *doc, char *err,
					 size_t es) {
	const struct vxlan_words *v = state;
	const json_t *n;
	size_t i;

	if (v->vni < 0 || !v->have_src) {
		snprintf(err, es, "describe: vxlan needs \"vni N\" and \"from-vtep ADDRESS\"");
		return NULL;
	}
	json_array_foreach(json_object_get(doc, "networks"), i, n)
		if (json_integer_value(json_object_get(n, "vni")) == v->vni)
			return n;
	snprintf(err, es, "describe: no network has VNI %ld", v->vni);
	return NULL;
}

static int vxlan_words_wrap(const void *state, const char *port, const uint8_t *inner,
			    size_t inner_len, uint8_t *out, size_t size, char *err, size_t es) {
	const struct vxlan_words *v = state;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)out;
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ih + 1);
	uint8_t *vx = (uint8_t *)(uh + 1);
	size_t len = VXLAN_OVERHEAD + inner_len;

	if (!underlay.enabled || strcmp(port, "underlay") != 0) {
		snprintf(err, es, "describe: vxlan: frames in VXLAN come in at the underlay, not at "
			 "port %s", port);
		return -1;
	}
	if (len > size) {
		snprintf(err, es, "describe: frame too long");
		return -1;
	}
	memset(out, 0, VXLAN_OVERHEAD);
	eh->dst_addr = v->have_dmac ? v->dmac : underlay.mac;
	memcpy(eh->src_addr.addr_bytes, "\x02\x00\x00\x00\x00\x01", 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eh)));
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_UDP;
	ih->src_addr = v->src;
	ih->dst_addr = v->have_dst ? v->dst : underlay.addr;
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	uh->src_port = rte_cpu_to_be_16(49152);
	uh->dst_port = rte_cpu_to_be_16(underlay.udp_port);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eh) - sizeof(*ih)));
	vx[0] = 0x08;
	vx[4] = (uint8_t)(v->vni >> 16);
	vx[5] = (uint8_t)(v->vni >> 8);
	vx[6] = (uint8_t)v->vni;
	memcpy(vx + VXLAN_HDR_LEN, inner, inner_len);
	return (int)len;
}

static const struct trace_build_tunnel vxlan_words = {
	.word = "vxlan",
	.parse = vxlan_words_parse,
	.network = vxlan_words_network,
	.wrap = vxlan_words_wrap,
};
_Static_assert(sizeof(struct vxlan_words) <= TRACE_TUNNEL_STATE, "vxlan_words too big");

int underlay_init(void) {
	char err[512];
	int edge, ret;

	if (!underlay.enabled)
		return 0;
	edge = dp_port_rx_edge_add("underlay_input");
	if (edge < 0)
		return edge;
	ret = dp_port_attach(&(struct dp_port_spec){.device = underlay.device, .mtu = underlay.mtu},
			     &underlay.port_id, err, sizeof(err));
	if (ret < 0) {
		LOG(ERR, "underlay: %s", err);
		return ret;
	}
	if (dp_port_devs[underlay.port_id].ops != &dp_port_ethdev_ops) {
		LOG(ERR, "underlay: device \"%s\" must be a DPDK device (devargs), not a vNIC "
		    "backend", underlay.device);
		dp_port_detach(underlay.port_id);
		return -EINVAL;
	}
	if (!underlay.mac_set)
		rte_eth_macaddr_get(dp_port_devs[underlay.port_id].eth_id, &underlay.mac);
	ret = dp_system_port_add("underlay", underlay.device, underlay.port_id, (uint8_t)edge);
	if (ret < 0)
		return ret;
	trace_build_tunnel_register(&vxlan_words);
	LOG(INFO, "underlay port_id=%u vtep=%s/%u", underlay.port_id,
	    inet_ntop(AF_INET, &underlay.addr, err, sizeof(err)), underlay.plen);
	return 0;
}

RTE_INIT(underlay_config_register) {
	vnetd_config_key_register("underlay", underlay_config);
}
