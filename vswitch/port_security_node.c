// SPDX-License-Identifier: BSD-3-Clause
// port_security: puts the frame in its port's network (bridge domain) and, for ports with port
// security on, lets it through only from the port's own MAC and IPs: Ethernet source, IPv4 or
// IPv6 source, ARP sender, neighbour advertisement target and link-layer options. Also enforces
// the network MTU and refuses 802.1Q tags on access ports. After parse; before l2_lookup, or
// arp_nd_responder for ARP and ICMPv6.

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"
#include "vswitch/l2_admit.h"

enum port_security_edge {
	PORT_SECURITY_DROP = DP_EDGE_DROP,
	PORT_SECURITY_L2,
	PORT_SECURITY_ARP_ND, // ARP and neighbour solicitations (135): suppression may answer them
	PORT_SECURITY_DHCP_RA, // DHCPv4 to the server port, router solicitations (133)
	PORT_SECURITY__COUNT
};

static bool ip4_is_own(const struct bridge_port *p, rte_be32_t ip) {
	for (uint8_t i = 0; i < p->n_ip4; i++)
		if (p->ip4[i] == ip)
			return true;
	return false;
}

static bool ip6_is_own(const struct bridge_port *p, const uint8_t *ip) {
	if (memcmp(ip, p->ip6_ll, 16) == 0)
		return true;
	for (uint8_t i = 0; i < p->n_ip6; i++)
		if (memcmp(ip, p->ip6[i], 16) == 0)
			return true;
	return false;
}

// DHCPv4 discovery comes from 0.0.0.0 (RFC 2131 section 4.1): allowed to UDP port 67 only.
static bool ip4_is_dhcp_discover(struct rte_mbuf *m, const struct pkt_meta *meta) {
	const struct rte_udp_hdr *udp;

	if (meta->l4 != PKT_L4_UDP)
		return false;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, meta->l4_off);
	return udp->dst_port == RTE_BE16(67);
}

// Neighbour advertisements (RFC 4861 section 4.4): the target must be ours, and a target
// link-layer address option, when present, must be our MAC. parse guarantees the 24 bytes up to
// the target in the first segment, not the options: an advertisement whose options run past the
// first segment cannot be checked and is refused (fail closed).
static bool nd_is_own(struct rte_mbuf *m, const struct pkt_meta *meta,
		      const struct bridge_port *p) {
	const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off);
	uint32_t len = meta->l3_off + meta->l3_len - meta->l4_off;
	uint32_t off = 24;

	if (icmp[0] != 136) // only advertisements claim an address
		return true;
	if (!ip6_is_own(p, icmp + 8))
		return false;
	if ((uint32_t)meta->l3_off + meta->l3_len > rte_pktmbuf_data_len(m))
		return false;
	while (off + 8 <= len && icmp[off + 1] != 0) {
		uint32_t opt_len = (uint32_t)icmp[off + 1] * 8;
		if (off + opt_len > len)
			break;
		if (icmp[off] == 2 && memcmp(icmp + off + 2, &p->mac, 6) != 0)
			return false;
		off += opt_len;
	}
	return true;
}

static enum dp_drop_reason port_security_check(struct rte_mbuf *m, const struct pkt_meta *meta,
					       const struct bridge_port *p) {
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (!rte_is_same_ether_addr(&eth->src_addr, &p->mac))
		return DROP_SPOOF_MAC;
	switch (meta->l3) {
	case PKT_L3_IP4: {
		const struct rte_ipv4_hdr *ip4 =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_off);
		if (!ip4_is_own(p, ip4->src_addr) &&
		    !(ip4->src_addr == 0 && ip4_is_dhcp_discover(m, meta)))
			return DROP_SPOOF_IP;
		return DROP_NONE;
	}
	case PKT_L3_IP6: {
		const struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, meta->l3_off);
		static const uint8_t unspecified[16];
		// The unspecified source is for duplicate address detection (RFC 4862 5.4).
		if (!ip6_is_own(p, ip6->src_addr) && memcmp(ip6->src_addr, unspecified, 16) != 0)
			return DROP_SPOOF_IP;
		if (meta->l4 == PKT_L4_ICMP6 && !nd_is_own(m, meta, p))
			return DROP_SPOOF_ND;
		return DROP_NONE;
	}
	case PKT_L3_ARP: {
		const struct rte_arp_hdr *arp =
			rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, meta->l3_off);
		// An ARP probe has sender IP 0.0.0.0 (RFC 5227 section 2.1.1).
		if (!rte_is_same_ether_addr(&arp->arp_data.arp_sha, &p->mac) ||
		    (!ip4_is_own(p, arp->arp_data.arp_sip) && arp->arp_data.arp_sip != 0))
			return DROP_SPOOF_ARP;
		return DROP_NONE;
	}
	default:
		return DROP_NONE;
	}
}

// ARP requests and neighbour solicitations: the ARP/ND responder may answer them for the network.
static inline bool port_security_is_solicitation(struct rte_mbuf *m, const struct pkt_meta *meta) {
	if (meta->l3 == PKT_L3_ARP)
		return rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, meta->l3_off)
			       ->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST);
	return meta->l4 == PKT_L4_ICMP6 && *rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off) == 135;
}

// DHCPv4 to the server port and router solicitations: vnetd may answer them (dhcp_ra_node.c).
static inline bool port_security_is_dhcp_ra(struct rte_mbuf *m, const struct pkt_meta *meta) {
	if (meta->l4 == PKT_L4_UDP && meta->l3 == PKT_L3_IP4)
		return rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, meta->l4_off)->dst_port ==
		       RTE_BE16(67);
	return meta->l4 == PKT_L4_ICMP6 && *rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off) == 133;
}

// What port_security records for a traced packet.
struct port_security_trace {
	uint8_t on;          // the port has port security
	uint16_t reason;     // its verdict on the source (DROP_NONE: the port's own)
	uint32_t vni;
};

static rte_edge_t port_security_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	struct pkt_meta *meta = pkt_meta(m);
	const struct bridge_port *p = bc ? bridge_port_lookup(bc, meta->in_port) : NULL;
	const struct bridge *b;
	enum dp_drop_reason reason;

	if (unlikely(p == NULL))
		return dp_drop(m, DROP_PORT_NO_NETWORK);
	b = bridge_lookup(bc, p->bd_id);
	meta->bd_id = p->bd_id;
	meta->vni = b->vni;
	reason = l2_admit(b, m, meta);
	if (unlikely(reason != DROP_NONE))
		return dp_drop(m, reason);
	if (p->port_security) {
		reason = port_security_check(m, meta, p);
		TRACE_NOTE(lc, m, ((struct port_security_trace){1, (uint16_t)reason, b->vni}));
		if (unlikely(reason != DROP_NONE))
			return dp_drop(m, reason);
	} else {
		TRACE_NOTE(lc, m, ((struct port_security_trace){0, DROP_NONE, b->vni}));
	}
	if (unlikely(port_security_is_solicitation(m, meta)))
		return PORT_SECURITY_ARP_ND;
	if (unlikely(port_security_is_dhcp_ra(m, meta)))
		return PORT_SECURITY_DHCP_RA;
	return PORT_SECURITY_L2;
}

static void port_security_format(const struct trace_record *r, char *buf, size_t size) {
	const struct port_security_trace *t = TRACE_DATA(r, struct port_security_trace);

	if (t != NULL)
		snprintf(buf, size, "port_security=%s%s", t->on ? "on" : "off",
			 t->on && t->reason == DROP_NONE ? " source=own" : "");
}

static json_t *port_security_fields(const struct trace_record *r) {
	const struct port_security_trace *t = TRACE_DATA(r, struct port_security_trace);

	if (t == NULL)
		return NULL;
	return json_pack("{sbsssi}", "port_security", t->on, "source",
			 !t->on ? "unchecked" : t->reason == DROP_NONE ? "own" : "spoofed", "vni",
			 (int)t->vni);
}
TRACE_FORMATTER(port_security, port_security_format, port_security_fields)

DP_NODE_DEFINE(port_security, port_security_decide, PORT_SECURITY__COUNT,
	[PORT_SECURITY_L2] = "l2_lookup",
	[PORT_SECURITY_ARP_ND] = "arp_nd_responder",
	[PORT_SECURITY_DHCP_RA] = "dhcp_ra_responder");
DP_ATTACH_POINT("l2_input", "port_security", PORT_SECURITY_L2)
