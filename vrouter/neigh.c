// SPDX-License-Identifier: BSD-3-Clause
// Tenant next hops resolved by vnetd's own ARP / neighbour solicitation (neigh.h).
//
// A packet whose next hop is neither in the rules nor in this table is not lost: ip_route hands a
// copy to the control thread (vr_neigh_hold; the packet itself is consumed) and asks for the next
// hop (an event). The control thread keeps at most VR_NEIGH_HOLD packets per next hop, sends a
// request into the egress network (a broadcast there: local ports and flood VTEPs) at most once a
// second, and when the answer comes sends the held packets back to ip_route, which now finds the
// next hop. After VR_NEIGH_TRIES unanswered requests, or when a fourth packet comes, the held
// packets go back marked PKT_F_NEIGH_RETRY and ip_route drops them (`neighbour_unresolved`,
// ICMP host unreachable): every packet ends counted. Answers are taken only for next hops asked
// for. A resolved next hop is asked again after VR_NEIGH_REFRESH_S and forgotten after
// VR_NEIGH_EXPIRE_S without an answer.

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#define DP_LOG_TYPE vrouter_logtype
#include "dataplane/config.h"
#include "dataplane/log.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"
#include "vrouter/neigh.h"
#include "vrouter/vrouter.h"
#include "vswitch/bridge.h"

#define VR_NEIGH_FAILED_HOLDOFF_S 5 // after giving up, packets are dropped at once for this long

struct rte_hash *vr_neigh_hash;
struct rte_ring *vr_neigh_pending;
uint16_t vr_neigh_event;
int vr_neigh_key_off = -1;
static uint8_t inject_edge; // port_rx -> ip_route

static struct vr_neigh {
	struct vr_neigh_key key;
	struct rte_ether_addr mac;
	bool resolved;
	uint8_t tries;
	uint16_t anchor_port;   // a port of this host to inject requests at (a held packet's input)
	uint32_t requested_s, replied_s, failed_s;
	uint8_t n_held;
	struct rte_mbuf *held[VR_NEIGH_HOLD];
} neighs[VR_NEIGH_MAX];
static unsigned int n_neighs;
static uint64_t requests_sent, answers, held_total, given_up;

static struct vr_neigh *neigh_find(const struct vr_neigh_key *k) {
	for (unsigned int i = 0; i < n_neighs; i++)
		if (memcmp(&neighs[i].key, k, sizeof(*k)) == 0)
			return &neighs[i];
	return NULL;
}

bool vr_neigh_hold(struct rte_mbuf *m, uint16_t bd_id, int family, const uint8_t *addr) {
	struct rte_mbuf *c;

	if (vr_neigh_pending == NULL || vr_neigh_key_off < 0)
		return false;
	c = rte_pktmbuf_copy(m, dp_pktmbuf_pool(), 0, UINT32_MAX);
	if (c == NULL)
		return false;
	*pkt_meta(c) = *pkt_meta(m);
	vr_neigh_key_make(RTE_MBUF_DYNFIELD(c, vr_neigh_key_off, struct vr_neigh_key *), bd_id,
			  family, addr);
	if (rte_ring_mp_enqueue(vr_neigh_pending, c) != 0) {
		rte_pktmbuf_free(c);
		return false;
	}
	return true;
}

// Send held packet `m` back to ip_route (to be routed, or with `retry` to be dropped).
static void neigh_send_back(struct rte_mbuf *m, bool retry) {
	if (retry)
		pkt_meta(m)->flags |= PKT_F_NEIGH_RETRY;
	dp_ctl_inject(m, inject_edge); // frees it when its port is gone
}

static void neigh_release(struct vr_neigh *n, bool retry) {
	for (uint8_t i = 0; i < n->n_held; i++)
		neigh_send_back(n->held[i], retry);
	n->n_held = 0;
}

// ARP (RFC 826; sender address 0.0.0.0 as a probe, RFC 5227, so that no one's cache learns our
// MAC for an address) or neighbour solicitation (RFC 4861 7.2.2, to the solicited-node address)
// for `n`, broadcast in its network from vnetd's own MAC, entering the graph at ip_route as a
// routed frame (which sends it on unchanged to the network's L2 delivery).
static void neigh_request(struct vr_neigh *n) {
	const struct bridge *b = bridge_lookup(bridge_cfg_get(dp_config_current()), n->key.bd_id);
	const struct rte_ether_addr *me = dp_host_mac();
	struct rte_mbuf *m;
	struct rte_ether_hdr *eth;
	struct pkt_meta *meta;

	n->requested_s = dp_uptime_sec();
	n->tries++;
	if (b == NULL || (m = rte_pktmbuf_alloc(dp_pktmbuf_pool())) == NULL)
		return;
	meta = pkt_meta(m);
	pkt_meta_reset(meta, n->anchor_port);
	meta->bd_id = n->key.bd_id;
	meta->vni = b->vni;
	meta->flags = PKT_F_ROUTED;
	meta->l3_off = RTE_ETHER_HDR_LEN;
	if (n->key.family == 4) {
		struct rte_arp_hdr *arp;

		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
		arp = (struct rte_arp_hdr *)(eth + 1);
		memset(&eth->dst_addr, 0xff, 6);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
		*arp = (struct rte_arp_hdr){
			.arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER),
			.arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4),
			.arp_hlen = RTE_ETHER_ADDR_LEN,
			.arp_plen = 4,
			.arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST),
		};
		arp->arp_data.arp_sha = *me;
		memcpy(&arp->arp_data.arp_tip, n->key.addr, 4);
		meta->l3 = PKT_L3_ARP;
	} else {
		struct rte_ipv6_hdr *ip;
		uint8_t *ns;
		rte_be16_t sum;

		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*ip) + 32);
		ip = (struct rte_ipv6_hdr *)(eth + 1);
		ns = (uint8_t *)(ip + 1);
		eth->dst_addr = (struct rte_ether_addr){{0x33, 0x33, 0xff, n->key.addr[13],
							  n->key.addr[14], n->key.addr[15]}};
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		*ip = (struct rte_ipv6_hdr){.vtc_flow = RTE_BE32(0x60000000),
					    .payload_len = RTE_BE16(32),
					    .proto = IPPROTO_ICMPV6, .hop_limits = 255};
		bridge_ll_from_mac(me, ip->src_addr);
		memcpy(ip->dst_addr, (const uint8_t[16]){0xff, 0x02, [11] = 1, [12] = 0xff}, 16);
		memcpy(ip->dst_addr + 13, n->key.addr + 13, 3);
		memset(ns, 0, 32);
		ns[0] = 135;
		memcpy(ns + 8, n->key.addr, 16);
		ns[24] = 1; // source link-layer address
		ns[25] = 1;
		memcpy(ns + 26, me, 6);
		sum = rte_ipv6_udptcp_cksum(ip, ns);
		memcpy(ns + 2, &sum, 2);
		meta->l3 = PKT_L3_IP6;
		meta->l4 = PKT_L4_ICMP6;
		meta->l4_proto = IPPROTO_ICMPV6;
		meta->l4_off = RTE_ETHER_HDR_LEN + sizeof(*ip);
		meta->l3_len = sizeof(*ip) + 32;
	}
	eth->src_addr = *me;
	if (dp_ctl_inject(m, inject_edge) == 0)
		requests_sent++;
}

static struct vr_neigh *neigh_add(const struct vr_neigh_key *k, uint16_t anchor) {
	struct vr_neigh *n;

	if (n_neighs >= VR_NEIGH_MAX)
		return NULL;
	n = &neighs[n_neighs++];
	*n = (struct vr_neigh){.key = *k, .anchor_port = anchor};
	return n;
}

// A held packet arrived from a worker.
static void neigh_pending_one(struct rte_mbuf *m, uint32_t now) {
	const struct vr_neigh_key *k = RTE_MBUF_DYNFIELD(m, vr_neigh_key_off, struct vr_neigh_key *);
	struct vr_neigh *n = neigh_find(k);

	held_total++;
	if (n == NULL && (n = neigh_add(k, pkt_meta(m)->in_port)) == NULL) {
		neigh_send_back(m, true); // the table is full: dropped by ip_route, counted
		return;
	}
	n->anchor_port = pkt_meta(m)->in_port;
	if (n->resolved) { // answered since the worker looked
		neigh_send_back(m, false);
		return;
	}
	if (n->failed_s != 0 && now - n->failed_s < VR_NEIGH_FAILED_HOLDOFF_S) {
		neigh_send_back(m, true);
		return;
	}
	if (n->failed_s != 0) { // ask again
		n->failed_s = 0;
		n->tries = 0;
	}
	if (n->n_held == VR_NEIGH_HOLD) { // the oldest goes (dropped as unresolved)
		neigh_send_back(n->held[0], true);
		memmove(n->held, n->held + 1, sizeof(n->held[0]) * (VR_NEIGH_HOLD - 1));
		n->n_held--;
	}
	n->held[n->n_held++] = m;
	if (n->tries == 0 || now != n->requested_s)
		neigh_request(n);
}

static void neigh_drain(void) {
	struct rte_mbuf *m[64];
	uint32_t now = dp_uptime_sec();
	unsigned int k;

	if (vr_neigh_pending == NULL)
		return;
	while ((k = rte_ring_sc_dequeue_burst(vr_neigh_pending, (void **)m, RTE_DIM(m), NULL)) > 0)
		for (unsigned int i = 0; i < k; i++)
			neigh_pending_one(m[i], now);
}

static void neigh_learn(const struct vr_neigh_key *k, const struct rte_ether_addr *mac) {
	struct vr_neigh *n = neigh_find(k);
	uint64_t d = 0;

	if (n == NULL || !rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return; // not asked for: an unsolicited answer takes no place in the table
	answers++;
	n->replied_s = dp_uptime_sec();
	n->failed_s = 0;
	n->tries = 0;
	if (!n->resolved || !rte_is_same_ether_addr(&n->mac, mac)) {
		n->mac = *mac;
		n->resolved = true;
		memcpy(&d, mac, sizeof(*mac));
		if (rte_hash_add_key_data(vr_neigh_hash, &n->key, (void *)(uintptr_t)d) < 0)
			LOG(WARNING, "neighbour table full");
	}
	neigh_release(n, false);
}

static void on_neigh_event(const struct dp_event *ev) {
	struct vr_neigh_key k;
	int family = ev->data[0] == 6 ? 6 : 4;

	vr_neigh_key_make(&k, ev->bd_id, family, ev->data + 1);
	neigh_drain(); // the packets the request is about come first
	if (ev->data[17]) {
		struct rte_ether_addr mac;
		memcpy(&mac, ev->data + 18, 6);
		neigh_learn(&k, &mac);
	}
}

void vr_neigh_periodic(void) {
	uint32_t now = dp_uptime_sec();

	neigh_drain();
	for (unsigned int i = 0; i < n_neighs; i++) {
		struct vr_neigh *n = &neighs[i];

		if (!n->resolved && n->n_held > 0 && now != n->requested_s) {
			if (n->tries < VR_NEIGH_TRIES) {
				neigh_request(n);
			} else { // no answer: the held packets are dropped, counted by ip_route
				given_up++;
				n->failed_s = now;
				neigh_release(n, true);
			}
			continue;
		}
		if (n->resolved && now - n->replied_s >= VR_NEIGH_EXPIRE_S) {
			rte_hash_del_key(vr_neigh_hash, &n->key);
			neigh_release(n, true);
			neighs[i--] = neighs[--n_neighs];
			continue;
		}
		if (n->resolved && now - n->replied_s >= VR_NEIGH_REFRESH_S &&
		    now != n->requested_s && now - n->requested_s >= 10)
			neigh_request(n);
		// Unresolved, nothing held, given up long ago: forget it.
		if (!n->resolved && n->n_held == 0 && n->failed_s != 0 &&
		    now - n->failed_s >= VR_NEIGH_EXPIRE_S)
			neighs[i--] = neighs[--n_neighs];
	}
}

void vr_neigh_release_all(void) {
	neigh_drain();
	for (unsigned int i = 0; i < n_neighs; i++)
		neigh_release(&neighs[i], true);
}

json_t *vr_neigh_json(void) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	json_t *list = json_array();
	uint32_t now = dp_uptime_sec();

	for (unsigned int i = 0; i < n_neighs; i++) {
		const struct vr_neigh *n = &neighs[i];
		const struct bridge *b = bridge_lookup(bc, n->key.bd_id);
		char ip[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

		inet_ntop(n->key.family == 4 ? AF_INET : AF_INET6, n->key.addr, ip, sizeof(ip));
		if (n->resolved)
			rte_ether_format_addr(mac, sizeof(mac), &n->mac);
		json_array_append_new(
			list, json_pack("{sssssssssisi}", "network", b != NULL ? b->id : "?",
					"address", ip, "mac", mac, "state",
					n->resolved ? "reachable" : n->failed_s ? "failed" : "incomplete",
					"source", "arp/nd", "age_s",
					n->resolved ? (int)(now - n->replied_s) : 0, "held", n->n_held));
	}
	return list;
}

json_t *vr_neigh_stats_json(void) {
	return json_pack("{sisIsIsIsI}", "entries", n_neighs, "requests_sent", requests_sent,
			 "answers", answers, "held", held_total, "given_up", given_up);
}

int vr_neigh_init(void) {
	static const struct rte_mbuf_dynfield key_field = {
		.name = "vnet_vr_neigh_key",
		.size = sizeof(struct vr_neigh_key),
		.align = __alignof__(struct vr_neigh_key),
	};
	struct rte_hash_parameters hp = {
		.name = "vr_neigh",
		.entries = VR_NEIGH_MAX * 2,
		.key_len = sizeof(struct vr_neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	int edge;

	vr_neigh_key_off = rte_mbuf_dynfield_register(&key_field);
	if (vr_neigh_key_off < 0)
		return -rte_errno;
	vr_neigh_hash = rte_hash_create(&hp);
	vr_neigh_pending = rte_ring_create("vr_neigh_pending", VR_NEIGH_PENDING, SOCKET_ID_ANY,
					   RING_F_SC_DEQ);
	if (vr_neigh_hash == NULL || vr_neigh_pending == NULL)
		return -ENOMEM;
	if (dp_rcu() != NULL &&
	    rte_hash_rcu_qsbr_add(vr_neigh_hash, &(struct rte_hash_rcu_config){
						     .v = dp_rcu(), .mode = RTE_HASH_QSBR_MODE_DQ}) != 0)
		return -EINVAL;
	edge = dp_port_rx_edge_add("ip_route");
	if (edge < 0)
		return edge;
	inject_edge = (uint8_t)edge;
	vr_neigh_event = dp_event_handler_register("vrouter.neigh", on_neigh_event);
	dp_periodic_register("vrouter.neigh", vr_neigh_periodic, 100);
	return 0;
}
