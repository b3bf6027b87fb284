// SPDX-License-Identifier: BSD-3-Clause
// vswitch, control thread: starts the learned MAC table, handles learn events, ages MACs, and
// serves show.networks and show.macs and the vswitch columns of show.ports.

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define DP_LOG_TYPE vswitch_logtype
#include <rte_random.h>

#include "dataplane/ctl.h"
#include "dataplane/graph.h"
#include "dataplane/log.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"
#include "vswitch/bridge.h"
#include "vswitch/fdb.h"
#include "vswitch/vswitch.h"

RTE_LOG_REGISTER(vswitch_logtype, vnet.vswitch, INFO);

uint16_t vswitch_learn_event;

// Lowercase, as in the rules document.
static void mac_format(const struct rte_ether_addr *mac, char *buf, size_t size) {
	const uint8_t *b = mac->addr_bytes;

	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void on_learn(const struct dp_event *ev) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	const struct bridge_port *p = bc ? bridge_port_lookup(bc, ev->port_id) : NULL;
	struct bridge_mac_key key = {.bd_id = ev->bd_id};
	rte_be32_t vtep;

	memcpy(&key.mac, ev->data, sizeof(key.mac));
	memcpy(&vtep, ev->data + 8, sizeof(vtep));
	if (vtep == 0 && (p == NULL || p->bd_id != ev->bd_id))
		return; // the port left the network since the worker saw the frame
	fdb_learn(bc, &key, ev->port_id, vtep);
}

static void on_age(void) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	unsigned int n = fdb_age(bc, dp_uptime_sec());

	if (n > 0)
		LOG(DEBUG, "aged out macs=%u", n);
}

static void port_info(const struct dp_config *cfg, const struct dp_port *dp, json_t *o) {
	const struct bridge_cfg *bc = bridge_cfg_get(cfg);
	const struct bridge_port *p = bc ? bridge_port_lookup(bc, dp->port_id) : NULL;
	json_t *ips;
	char buf[64];

	if (p == NULL)
		return;
	ips = json_array();
	mac_format(&p->mac, buf, sizeof(buf));
	for (uint8_t i = 0; i < p->n_ip4; i++)
		json_array_append_new(ips, json_string(inet_ntop(AF_INET, &p->ip4[i], buf + 20, 44)));
	for (uint8_t i = 0; i < p->n_ip6; i++)
		json_array_append_new(ips, json_string(inet_ntop(AF_INET6, p->ip6[i], buf + 20, 44)));
	mac_format(&p->mac, buf, 20);
	json_object_set_new(o, "network", json_string(p->network));
	json_object_set_new(o, "kind", json_string(p->kind));
	json_object_set_new(o, "mac", json_string(buf));
	json_object_set_new(o, "ips", ips);
	json_object_set_new(o, "port_security", json_boolean(p->port_security));
}

static void method_show_networks(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const struct bridge_cfg *bc = bridge_cfg_get(cfg);
	json_t *list = json_array();

	for (uint16_t i = 0; bc != NULL && i < bc->n_bridges; i++) {
		const struct bridge *b = &bc->bridges[i];
		json_t *ports = json_array();
		for (uint16_t j = 0; j < b->n_ports; j++)
			json_array_append_new(ports, json_string(bc->port[b->ports[j]]->name));
		json_array_append_new(
			list, json_pack("{sssssisisisosisisIsbsi}", "id", b->id, "tenant", b->tenant,
					"vni", (int)b->vni, "mtu", b->mtu, "bd_id", b->bd_id,
					"ports", ports, "n_macs", (int)fdb_count(b->bd_id),
					"mac_limit", (int)b->mac_limit, "mac_limit_hits",
					(json_int_t)fdb_limit_hits(b->bd_id), "mac_learning",
					b->mac_learning, "mac_aging_s", (int)b->mac_aging_s));
	}
	call->result = list;
}

struct macs_walk {
	const struct bridge_cfg *bc;
	const struct bridge *only;
	json_t *list;
	uint32_t now;
};

static void mac_json(struct macs_walk *w, const struct bridge_mac_key *key, uint64_t data,
		     const char *type, json_t *age) {
	const struct bridge *b = bridge_lookup(w->bc, key->bd_id);
	const struct bridge_port *p = bridge_port_lookup(w->bc, MAC_DATA_PORT(data));
	rte_be32_t vtep = MAC_DATA_VTEP(data);
	char mac[32], where[64];

	if (b == NULL || (w->only != NULL && w->only != b)) {
		json_decref(age);
		return;
	}
	mac_format(&key->mac, mac, sizeof(mac));
	if (vtep != 0) {
		snprintf(where, sizeof(where), "vtep ");
		inet_ntop(AF_INET, &vtep, where + 5, sizeof(where) - 5);
	} else {
		snprintf(where, sizeof(where), "%s", p ? p->name : "?");
	}
	json_array_append_new(w->list, json_pack("{ssssssssssso}", "network", b->id, "tenant",
						 b->tenant, "mac", mac, "port", where, "type", type,
						 "age_s", age));
}

static void learned_cb(const struct bridge_mac_key *key, uint64_t data, uint32_t seen, void *arg) {
	struct macs_walk *w = arg;

	mac_json(w, key, data, "learned", json_integer(w->now - RTE_MIN(seen, w->now)));
}

static void method_show_macs(struct ctl_call *call) {
	const char *network = json_string_value(json_object_get(call->params, "network"));
	struct macs_walk w = {.bc = bridge_cfg_get(dp_config_current()), .list = json_array(),
			      .now = dp_uptime_sec()};
	if (json_object_get(call->params, "network") != NULL && network == NULL) {
		json_decref(w.list);
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "network: must be a network id (a string)");
		return;
	}
	if (network != NULL && (w.only = bridge_find(w.bc, network)) == NULL) {
		json_decref(w.list);
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "network: no network \"%s\"", network);
		return;
	}
	for (uint16_t b = 0; w.bc != NULL && b < w.bc->n_bridges; b++) {
		const struct vsw_slot *s;
		uint32_t iter = 0;

		while ((s = vsw_table_next(w.bc->bridges[b].macs, &iter)) != NULL) {
			struct bridge_mac_key k;
			const struct bridge_port *p = bridge_port_lookup(w.bc, MAC_DATA_PORT(s->data));
			bool own;

			memcpy(&k, &s->k0, sizeof(k));
			own = p != NULL && rte_is_same_ether_addr(&p->mac, &k.mac);
			mac_json(&w, &k, s->data,
				 MAC_DATA_VTEP(s->data) ? "remote" : own ? "port" : "static",
				 json_null());
		}
	}
	if (w.bc != NULL)
		fdb_walk(learned_cb, &w);
	call->result = w.list;
}

// Unsolicited router advertisements (RFC 4861 6.2.4): every routed network with an IPv6 prefix to
// announce gets one on each of its local ports, sent straight out of the port (never to other
// hosts: each host's vnetd advertises to its own ports), first RA_FIRST_S after it appears, then
// every RA_MIN_S to RA_MAX_S (random), so that a guest that missed the answer to its solicitation
// (or never sent one) configures itself anyway.
#define RA_FIRST_S 60
#define RA_MIN_S 200
#define RA_MAX_S 600

static uint32_t ra_next_s[BRIDGE_MAX]; // by bd_id: when the next one is due (0: not scheduled)

static bool ra_wanted(const struct bridge *b) {
	if (b->router[0] == '\0')
		return false;
	for (uint8_t s = 0; s < b->n_subnets; s++)
		if (b->subnets[s].family == 6 && b->subnets[s].ra_mode != BRIDGE_RA_NONE)
			return true;
	return false;
}

static void on_ra(void) {
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 1}};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	uint32_t now = dp_uptime_sec();

	for (uint16_t bd = 0; bd < BRIDGE_MAX; bd++) {
		const struct bridge *b = bc != NULL ? bc->bd[bd] : NULL;

		if (b == NULL || !ra_wanted(b)) {
			ra_next_s[bd] = 0;
			continue;
		}
		if (ra_next_s[bd] == 0) {
			ra_next_s[bd] = now + RA_FIRST_S;
			continue;
		}
		if (now < ra_next_s[bd])
			continue;
		ra_next_s[bd] = now + RA_MIN_S + (uint32_t)(rte_rand() % (RA_MAX_S - RA_MIN_S));
		for (uint16_t i = 0; i < b->n_ports; i++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(dp_pktmbuf_pool());
			if (m == NULL)
				break;
			if (vswitch_ra_frame(b, m, &all_nodes_mac, all_nodes) < 0) {
				rte_pktmbuf_free(m);
				break;
			}
			dp_ctl_tx(b->ports[i], m); // counted as injected on the port
		}
	}
}

static int vswitch_init(void) {
	int ret = fdb_init();

	if (ret < 0)
		return ret;
	// Frames from vNICs enter their network through port security; decapsulated frames (when
	// an overlay is built in: the point may not exist) through tunnel_input.
	ret = dp_node_attach("vnic_input", "port_security");
	if (ret < 0)
		return ret;
	ret = dp_node_attach("tunnel_l2_input", "tunnel_input");
	if (ret < 0 && ret != -ENOENT)
		return ret;
	// Routed packets (when routing is built in) are delivered in their egress network by MAC.
	ret = dp_node_attach("l3_output", "l2_lookup");
	if (ret < 0 && ret != -ENOENT)
		return ret;
	vswitch_learn_event = dp_event_handler_register("vswitch.learn", on_learn);
	dp_periodic_register("vswitch.age", on_age, 1000);
	dp_periodic_register("vswitch.ra", on_ra, 1000);
	dp_port_info_register(port_info);
	ctl_method_register("show.networks", "tenant networks (bridge domains)",
			    method_show_networks);
	ctl_method_register("show.macs", "static, port and learned MACs; params {network}",
			    method_show_macs);
	return 0;
}

static struct dp_feature vswitch_feature = {
	.name = "vswitch",
	.init = vswitch_init,
};
DP_FEATURE_REGISTER(vswitch_feature)
