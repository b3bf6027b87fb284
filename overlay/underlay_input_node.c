// SPDX-License-Identifier: BSD-3-Clause
// underlay_input: every frame from the underlay port. Parses the outer headers (pkt_parse) and
// keeps only what is for us: ARP about our VTEP address (answered here, and the sender learned),
// ICMP echo to it (answered here), and VXLAN to our address and UDP port (to vxlan_decap).
// Everything else is dropped with its reason. After port_rx (the underlay's edge); leads to
// vxlan_decap, port_tx (replies) or pkt_consume (ARP replies, once learned).

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/graph.h"
#include "dataplane/parse.h"
#include "overlay/overlay.h"

enum underlay_input_edge {
	UNDERLAY_INPUT_DROP = DP_EDGE_DROP,
	UNDERLAY_INPUT_VXLAN,
	UNDERLAY_INPUT_REPLY,
	UNDERLAY_INPUT_CONSUMED,
	UNDERLAY_INPUT__COUNT
};

// RFC 826: learn the sender of any ARP that names us, answer a request for our address.
static rte_edge_t underlay_arp(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta) {
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, meta->l3_off);
	struct rte_arp_ipv4 *a = &arp->arp_data;

	if (a->arp_tip != underlay.addr)
		return dp_drop(m, DROP_UNDERLAY_ARP_IGNORED);
	if (!(meta->flags & PKT_F_DRY_RUN))
		neigh_event_post(lc, a->arp_sip, &a->arp_sha);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return UNDERLAY_INPUT_CONSUMED;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = underlay.mac;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_tha = a->arp_sha;
	a->arp_tip = a->arp_sip;
	a->arp_sha = underlay.mac;
	a->arp_sip = underlay.addr;
	meta->out_port = meta->in_port;
	return UNDERLAY_INPUT_REPLY;
}

// RFC 792: an echo reply carries the request's data; only the type and checksum change.
static rte_edge_t underlay_echo(struct rte_mbuf *m, struct pkt_meta *meta) {
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, meta->l3_off);
	struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, meta->l4_off);
	uint32_t sum;

	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || (meta->flags & PKT_F_IP_FRAG))
		return dp_drop(m, DROP_UNDERLAY_NOT_VXLAN);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = underlay.mac;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = underlay.addr;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	// RFC 1624 incremental update: the type field went from 8 to 0.
	sum = (uint32_t)(~rte_be_to_cpu_16(icmp->icmp_cksum) & 0xffff) + 0xf7ff;
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
	meta->out_port = meta->in_port;
	return UNDERLAY_INPUT_REPLY;
}

static rte_edge_t underlay_input_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	const struct rte_ipv4_hdr *ip;
	enum dp_drop_reason reason;

	if (rte_pktmbuf_data_len(m) >= sizeof(*eth) && !rte_is_broadcast_ether_addr(&eth->dst_addr) &&
	    !rte_is_same_ether_addr(&eth->dst_addr, &underlay.mac))
		return dp_drop(m, DROP_UNDERLAY_NOT_OURS);
	reason = pkt_parse(m);
	if (reason != DROP_NONE)
		return dp_drop(m, reason);
	if (meta->l3 == PKT_L3_ARP)
		return underlay_arp(lc, m, meta);
	if (meta->l3 != PKT_L3_IP4)
		return dp_drop(m, DROP_UNDERLAY_NOT_VXLAN);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_off);
	if (ip->dst_addr != underlay.addr)
		return dp_drop(m, DROP_UNDERLAY_NOT_FOR_US);
	if (meta->l4 == PKT_L4_ICMP)
		return underlay_echo(m, meta);
	if (meta->l4 == PKT_L4_UDP &&
	    rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, meta->l4_off)->dst_port ==
		    rte_cpu_to_be_16(underlay.udp_port))
		return UNDERLAY_INPUT_VXLAN;
	return dp_drop(m, DROP_UNDERLAY_NOT_VXLAN);
}

DP_NODE_DEFINE(underlay_input, underlay_input_decide, UNDERLAY_INPUT__COUNT,
	[UNDERLAY_INPUT_VXLAN] = "vxlan_decap",
	[UNDERLAY_INPUT_REPLY] = "port_tx",
	[UNDERLAY_INPUT_CONSUMED] = DP_CONSUME_NODE);
