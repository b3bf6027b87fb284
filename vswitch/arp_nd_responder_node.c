// SPDX-License-Identifier: BSD-3-Clause
// arp_nd_responder: ARP requests and IPv6 neighbour solicitations for an address that the rules
// place in the frame's network (a local or a remote port's IP) are answered here, out of the
// port they came from, and never flooded: ARP/ND suppression. Anything else goes on to
// l2_lookup. port_security sends only ARP and neighbour solicitations here, so other traffic
// pays nothing for this node.

#include <arpa/inet.h>

#include <jansson.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"

enum arp_nd_responder_edge {
	ARP_ND_DROP = DP_EDGE_DROP,
	ARP_ND_L2,
	ARP_ND_REPLY,
	ARP_ND__COUNT
};

#define ND_NS 135
#define ND_NA 136
#define ND_OPT_TARGET_LLADDR 2
#define ND_NA_LEN 32 // ICMPv6 header (4) + flags (4) + target (16) + target link-layer option (8)

// The MAC the rules give `addr` in network `bd_id`, or false.
static bool arp_nd_lookup(const struct bridge_cfg *bc, uint16_t bd_id, int family,
			  const void *addr, struct rte_ether_addr *mac, bool *is_router) {
	return bridge_ip_lookup_ext(bc, bd_id, family, addr, mac, is_router);
}

// What the responder records for a request it answered: the address answered for.
struct arp_nd_trace {
	uint8_t family; // 4 (ARP) or 6 (neighbour discovery)
	uint8_t addr[16];
};

// RFC 826: turn the request into the reply the owner of the address would send.
static rte_edge_t arp_reply(struct dp_lcore *lc, const struct bridge_cfg *bc, struct rte_mbuf *m,
			    struct pkt_meta *meta) {
	struct arp_nd_trace t = {.family = 4};
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, meta->l3_off);
	struct rte_arp_ipv4 *a = &arp->arp_data;
	struct rte_ether_addr owner;
	rte_be32_t tip = a->arp_tip;

	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) || a->arp_sip == tip ||
	    !arp_nd_lookup(bc, meta->bd_id, 4, &tip, &owner, NULL) ||
	    rte_is_same_ether_addr(&owner, &a->arp_sha))
		return ARP_ND_L2;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = owner;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_tha = a->arp_sha;
	a->arp_tip = a->arp_sip;
	a->arp_sha = owner;
	a->arp_sip = tip;
	meta->out_port = meta->in_port;
	memcpy(t.addr, &tip, sizeof(tip));
	TRACE_NOTE(lc, m, t);
	return ARP_ND_REPLY;
}

// RFC 4861 section 7.2.4: a solicited advertisement with the target's link-layer address. The
// solicitation of duplicate address detection (source ::) is not answered: it must reach the
// network so that a real duplicate is seen.
static rte_edge_t nd_reply(struct dp_lcore *lc, const struct bridge_cfg *bc, struct rte_mbuf *m,
			   struct pkt_meta *meta) {
	struct arp_nd_trace t = {.family = 6};
	static const uint8_t unspecified[16];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, meta->l3_off);
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off);
	uint32_t frame_len = meta->l4_off + ND_NA_LEN;
	struct rte_ether_addr owner;
	rte_be32_t flags;
	rte_be16_t cksum;
	bool is_router = false;

	if (icmp[0] != ND_NS || meta->l4_off != meta->l3_off + sizeof(*ip6) ||
	    memcmp(ip6->src_addr, unspecified, 16) == 0 ||
	    !arp_nd_lookup(bc, meta->bd_id, 6, icmp + 8, &owner, &is_router) ||
	    rte_is_same_ether_addr(&owner, &eth->src_addr) ||
	    frame_len > rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m) || m->nb_segs != 1)
		return ARP_ND_L2;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = owner;
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, icmp + 8, 16);
	ip6->hop_limits = 255;
	ip6->payload_len = rte_cpu_to_be_16(ND_NA_LEN);
	icmp[0] = ND_NA;
	icmp[1] = 0;
	// solicited, override; router for a gateway of the network's router (RFC 4861 4.4)
	flags = is_router ? RTE_BE32(0xe0000000) : RTE_BE32(0x60000000);
	memcpy(icmp + 4, &flags, sizeof(flags));
	icmp[24] = ND_OPT_TARGET_LLADDR;
	icmp[25] = 1;
	memcpy(icmp + 26, &owner, 6);
	m->data_len = (uint16_t)frame_len;
	m->pkt_len = frame_len;
	meta->l3_len = sizeof(*ip6) + ND_NA_LEN;
	memset(icmp + 2, 0, 2);
	cksum = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &cksum, sizeof(cksum));
	meta->out_port = meta->in_port;
	memcpy(t.addr, ip6->src_addr, 16); // the target answered for
	TRACE_NOTE(lc, m, t);
	return ARP_ND_REPLY;
}

static rte_edge_t arp_nd_responder_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	struct pkt_meta *meta = pkt_meta(m);

	if (meta->l3 == PKT_L3_ARP)
		return arp_reply(lc, bc, m, meta);
	if (meta->l4 == PKT_L4_ICMP6)
		return nd_reply(lc, bc, m, meta);
	return ARP_ND_L2;
}

static void arp_nd_responder_format(const struct trace_record *r, char *buf, size_t size) {
	const struct arp_nd_trace *t = TRACE_DATA(r, struct arp_nd_trace);
	char ip[INET6_ADDRSTRLEN];

	if (t == NULL || r->edge != ARP_ND_REPLY)
		snprintf(buf, size, "address not in the network's rules: passed on");
	else if (t->family == 4)
		snprintf(buf, size, "ARP reply for %s sent back (suppressed)",
			 inet_ntop(AF_INET, t->addr, ip, sizeof(ip)));
	else
		snprintf(buf, size, "neighbour advertisement sent back (suppressed)");
}

static json_t *arp_nd_responder_fields(const struct trace_record *r) {
	const struct arp_nd_trace *t = TRACE_DATA(r, struct arp_nd_trace);
	char ip[INET6_ADDRSTRLEN];

	if (t == NULL)
		return NULL;
	return json_pack("{ssss}", "answered", t->family == 4 ? "arp" : "nd", "for",
			 inet_ntop(t->family == 4 ? AF_INET : AF_INET6, t->addr, ip, sizeof(ip)));
}
TRACE_FORMATTER(arp_nd_responder, arp_nd_responder_format, arp_nd_responder_fields)

DP_NODE_DEFINE(arp_nd_responder, arp_nd_responder_decide, ARP_ND__COUNT,
	[ARP_ND_L2] = "l2_lookup",
	[ARP_ND_REPLY] = "port_tx");
DP_ATTACH_POINT("l2_input", "arp_nd_responder", ARP_ND_L2)
