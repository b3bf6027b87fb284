// SPDX-License-Identifier: BSD-3-Clause
// Underlay next hops: vnetd resolves them with its own ARP. The table is a lock-free rte_hash
// (IPv4 -> MAC) that workers read; the control thread is its only writer. It learns from the ARP
// packets underlay_input passes on as events, asks again every NEIGH_REFRESH_S seconds for the
// next hops in use (at most once a second each), and forgets an entry that has not answered for
// NEIGH_EXPIRE_S. Static neighbours (vnetd's configuration) never age.

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>
#include <rte_arp.h>
#include <rte_hash_crc.h>

#define DP_LOG_TYPE overlay_logtype
#include "dataplane/config.h"
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/worker.h"
#include "overlay/overlay.h"

#define NEIGH_MAX 1024
#define NEIGH_REFRESH_S 30
#define NEIGH_EXPIRE_S 300

struct rte_hash *neigh_hash;
uint16_t neigh_event;

// Control-thread state of each entry (the hash holds only what workers need).
static struct neigh {
	rte_be32_t ip;
	struct rte_ether_addr mac;
	bool resolved, is_static;
	uint32_t replied_s, requested_s;
} neighs[NEIGH_MAX];
static unsigned int n_neighs;

static struct neigh *neigh_find(rte_be32_t ip) {
	for (unsigned int i = 0; i < n_neighs; i++)
		if (neighs[i].ip == ip)
			return &neighs[i];
	return NULL;
}

static struct neigh *neigh_get(rte_be32_t ip) {
	struct neigh *n = neigh_find(ip);

	if (n == NULL && n_neighs < NEIGH_MAX) {
		n = &neighs[n_neighs++];
		*n = (struct neigh){.ip = ip};
	}
	return n;
}

static void neigh_publish(struct neigh *n) {
	uint64_t d = 0;

	memcpy(&d, &n->mac, sizeof(n->mac));
	rte_hash_add_key_data(neigh_hash, &n->ip, (void *)(uintptr_t)d);
}

static void neigh_learn(rte_be32_t ip, const struct rte_ether_addr *mac) {
	struct neigh *n;

	// Only an on-link address can be a next hop: an ARP sender outside the underlay prefix,
	// our own address or a MAC that is not unicast would only take a place in the table.
	if ((ip & underlay.mask) != (underlay.addr & underlay.mask) || ip == underlay.addr ||
	    !rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return;
	n = neigh_get(ip);
	if (n == NULL || n->is_static)
		return;
	n->replied_s = dp_uptime_sec();
	if (!n->resolved || !rte_is_same_ether_addr(&n->mac, mac)) {
		char buf[INET_ADDRSTRLEN];
		n->mac = *mac;
		n->resolved = true;
		neigh_publish(n);
		LOG(INFO, "neighbour ip=%s resolved", inet_ntop(AF_INET, &ip, buf, sizeof(buf)));
	}
}

// RFC 826 request for `ip`, from our VTEP address and MAC, sent by the underlay's worker.
static void neigh_request(struct neigh *n) {
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_pktmbuf_pool());
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = underlay.mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	*arp = (struct rte_arp_hdr){
		.arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER),
		.arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4),
		.arp_hlen = RTE_ETHER_ADDR_LEN,
		.arp_plen = 4,
		.arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST),
	};
	arp->arp_data.arp_sha = underlay.mac;
	arp->arp_data.arp_sip = underlay.addr;
	arp->arp_data.arp_tip = n->ip;
	n->requested_s = dp_uptime_sec();
	dp_ctl_tx(underlay.port_id, m);
}

static void on_neigh_event(const struct dp_event *ev) {
	rte_be32_t ip;
	struct rte_ether_addr mac;

	memcpy(&ip, ev->data, sizeof(ip));
	if (ev->data[10]) {
		memcpy(&mac, ev->data + 4, sizeof(mac));
		neigh_learn(ip, &mac);
		return;
	}
	struct neigh *n = neigh_get(ip); // a worker needs it: ask now unless we just did
	if (n != NULL && !n->is_static && dp_uptime_sec() != n->requested_s)
		neigh_request(n);
}

// The next hops that the current snapshot's VTEPs use.
static bool neigh_in_use(rte_be32_t ip) {
	const struct overlay_cfg *oc = overlay_cfg_get(dp_config_current());

	for (uint16_t i = 0; oc != NULL && i < oc->n_vteps; i++)
		if (oc->vtep_list[i].next_hop == ip)
			return true;
	return false;
}

void neigh_periodic(void) {
	const struct overlay_cfg *oc = overlay_cfg_get(dp_config_current());
	uint32_t now = dp_uptime_sec();

	for (uint16_t i = 0; oc != NULL && i < oc->n_vteps; i++) {
		struct neigh *n = oc->vtep_list[i].next_hop ? neigh_get(oc->vtep_list[i].next_hop) : NULL;
		if (n == NULL || n->is_static || now == n->requested_s)
			continue;
		if (!n->resolved || now - n->replied_s >= NEIGH_REFRESH_S)
			neigh_request(n);
	}
	for (unsigned int i = 0; i < n_neighs; i++) {
		struct neigh *n = &neighs[i];
		if (n->is_static || !n->resolved || now - n->replied_s < NEIGH_EXPIRE_S)
			continue;
		rte_hash_del_key(neigh_hash, &n->ip);
		if (!neigh_in_use(n->ip))
			neighs[i--] = neighs[--n_neighs];
		else
			n->resolved = false;
	}
}

json_t *neigh_json(void) {
	json_t *o = json_object();
	uint32_t now = dp_uptime_sec();

	for (unsigned int i = 0; i < n_neighs; i++) {
		const struct neigh *n = &neighs[i];
		char ip[INET_ADDRSTRLEN], mac[24];
		const uint8_t *b = n->mac.addr_bytes;

		inet_ntop(AF_INET, &n->ip, ip, sizeof(ip));
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
			 b[5]);
		json_object_set_new(o, ip, json_pack("{sssssi}", "mac", n->resolved ? mac : "",
						     "state", n->is_static ? "static"
							      : n->resolved ? "resolved" : "incomplete",
						     "age_s", n->resolved && !n->is_static
								      ? (int)(now - n->replied_s) : 0));
	}
	return o;
}

int neigh_init(void) {
	struct rte_hash_parameters hp = {
		.name = "ovl_neigh",
		.entries = NEIGH_MAX * 2,
		.key_len = sizeof(rte_be32_t),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	neigh_hash = rte_hash_create(&hp);
	if (neigh_hash == NULL)
		return -ENOMEM;
	if (dp_rcu() != NULL &&
	    rte_hash_rcu_qsbr_add(neigh_hash, &(struct rte_hash_rcu_config){
						  .v = dp_rcu(), .mode = RTE_HASH_QSBR_MODE_DQ}) != 0)
		return -EINVAL;
	neigh_event = dp_event_handler_register("overlay.neigh", on_neigh_event);
	for (uint16_t i = 0; i < underlay.n_static; i++) {
		struct neigh *n = neigh_get(underlay.static_neigh[i].ip);
		n->mac = underlay.static_neigh[i].mac;
		n->resolved = n->is_static = true;
		neigh_publish(n);
	}
	return 0;
}
