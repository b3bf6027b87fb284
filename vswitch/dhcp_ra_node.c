// SPDX-License-Identifier: BSD-3-Clause
// dhcp_ra_responder: vnetd answers a port's DHCPv4 client messages and IPv6 router solicitations
// itself, from the rules, out of the port they came from; nothing leaves the host and no other
// port sees them. port_security sends here UDP to port 67 and ICMPv6 router solicitations (133)
// only, so other traffic pays nothing for this node.
//
// DHCPv4 (RFC 2131, options RFC 2132): a DISCOVER gets an OFFER and a REQUEST an ACK of the
// port's own IPv4 address in a subnet of its network that has a gateway and `dhcp` on (the
// default); a REQUEST for another address gets a NAK; INFORM gets an ACK with the options only;
// RELEASE and DECLINE need no answer (consumed). The server is the subnet's gateway (its address
// is the server identifier; its MAC is the network's router MAC, or 0a:00:VNI when the network
// has no router). Options: subnet mask, router (when the network has one), DNS servers,
// interface MTU (the network's), lease time 86400 s, renewal and rebinding times. A port with no
// such address, or a subnet with `dhcp: false`, gets its message switched as usual (a tenant's
// own DHCP server may answer it).
//
// Router advertisements (RFC 4861 6.2.3): a solicitation gets an advertisement from the router's
// (and vswitch_ctl.c sends one unsolicited to every port of a routed network now and then,
// vswitch_ra_frame below)
// link-local address and MAC, with the network's MTU, every IPv6 subnet whose `ipv6_ra_mode` is
// not "none" as a prefix (A set for slaac and dhcpv6-stateless on /64s; M and O by the mode),
// the router lifetime 1800 s, and the DNS servers (RFC 8106). Networks without a router send
// none (the solicitation is switched on).

#include <arpa/inet.h>

#include <jansson.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/graph.h"
#include "dataplane/rules.h"
#include "vswitch/bridge.h"

enum dhcp_ra_edge {
	DHCP_RA_DROP = DP_EDGE_DROP,
	DHCP_RA_L2,
	DHCP_RA_REPLY,
	DHCP_RA_CONSUMED,
	DHCP_RA__COUNT
};

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN 236        // the BOOTP header up to the options (RFC 2131 figure 1)
#define DHCP_MAGIC 0x63825363
#define DHCP_READ_MAX 1024        // bytes of a client message read (options past it are ignored)
#define DHCP_REPLY_MAX 576        // every reply fits the minimum a client must accept
#define DHCP_LEASE_S 86400

enum dhcp_type {
	DHCP_DISCOVER = 1, DHCP_OFFER, DHCP_REQUEST, DHCP_DECLINE, DHCP_ACK, DHCP_NAK,
	DHCP_RELEASE, DHCP_INFORM,
};

#define ND_RS 133
#define ND_RA 134
#define RA_ROUTER_LIFETIME_S 1800
#define RA_VALID_S 2592000
#define RA_PREFERRED_S 604800
#define RA_RDNSS_LIFETIME_S 1800
// An advertisement: 16 bytes of header, the source link-layer (8) and MTU (8) options, a prefix
// option (32) per subnet and one DNS option (8 + 16 per server, all subnets').
#define RA_LEN_MAX (16 + 8 + 8 + 32 * BRIDGE_SUBNETS_MAX + 8 + 16 * BRIDGE_DNS_MAX)

// What the node records: what it answered.
struct dhcp_ra_trace {
	uint8_t what;    // DHCP message type sent, or ND_RA
	uint8_t addr[4]; // DHCP: the address given
};

// The server's MAC for network `b`: its router's, or one made of its VNI.
static void dhcp_server_mac(const struct bridge *b, struct rte_ether_addr *mac) {
	if (b->router[0] != '\0') {
		*mac = b->router_mac;
		return;
	}
	*mac = (struct rte_ether_addr){{0x0a, 0x00, 0x00, (uint8_t)(b->vni >> 16),
					(uint8_t)(b->vni >> 8), (uint8_t)b->vni}};
}

// The port's IPv4 address DHCP gives, and its subnet: the first address of the port in a subnet
// with a gateway and DHCP on. NULL if none.
static const struct bridge_subnet *dhcp_lease(const struct bridge *b, const struct bridge_port *p,
					      rte_be32_t *addr) {
	for (uint8_t i = 0; i < p->n_ip4; i++)
		for (uint8_t s = 0; s < b->n_subnets; s++) {
			const struct bridge_subnet *sn = &b->subnets[s];
			if (sn->family == 4 && sn->dhcp && sn->has_gw &&
			    rules_prefix_match(sn->prefix, sn->prefix_len, (const uint8_t *)&p->ip4[i])) {
				*addr = p->ip4[i];
				return sn;
			}
		}
	return NULL;
}

// Find option `code` in options[0..len): its value and length, or NULL.
static const uint8_t *dhcp_option(const uint8_t *opt, uint32_t len, uint8_t code, uint8_t *olen) {
	uint32_t i = 0;

	while (i < len && opt[i] != 255) {
		if (opt[i] == 0) { // pad
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2u + opt[i + 1] > len)
			return NULL;
		if (opt[i] == code) {
			*olen = opt[i + 1];
			return &opt[i + 2];
		}
		i += 2u + opt[i + 1];
	}
	return NULL;
}

static uint8_t *opt_put(uint8_t *o, uint8_t code, uint8_t len, const void *val) {
	o[0] = code;
	o[1] = len;
	memcpy(o + 2, val, len);
	return o + 2 + len;
}

static uint8_t *opt_put32(uint8_t *o, uint8_t code, uint32_t v) {
	rte_be32_t be = rte_cpu_to_be_32(v);
	return opt_put(o, code, 4, &be);
}

// Answer the DHCP message `req` (len bytes, read from m's UDP payload) in m itself.
static rte_edge_t dhcp_answer(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta,
			      const struct bridge *b, const struct bridge_port *p,
			      const uint8_t *req, uint32_t len) {
	const struct bridge_subnet *sn;
	const uint8_t *opts = req + DHCP_FIXED_LEN + 4, *v;
	uint32_t olen_all = len - DHCP_FIXED_LEN - 4, magic;
	uint8_t type, olen, reply_type, buf[DHCP_REPLY_MAX], *o;
	rte_be32_t yiaddr = 0, want = 0, ciaddr, mask;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t flags;
	uint32_t dhcp_len, total;

	memcpy(&magic, req + DHCP_FIXED_LEN, 4);
	if (req[0] != 1 || req[1] != 1 || req[2] != 6 || magic != RTE_BE32(DHCP_MAGIC) ||
	    (v = dhcp_option(opts, olen_all, 53, &olen)) == NULL || olen != 1)
		return dp_drop(m, DROP_DHCP_MALFORMED);
	type = v[0];
	if (memcmp(req + 28, &p->mac, 6) != 0) // chaddr: port security checked the frame's source
		return dp_drop(m, DROP_DHCP_MALFORMED);
	sn = dhcp_lease(b, p, &yiaddr);
	if (sn == NULL)
		return DHCP_RA_L2; // not ours to answer
	memcpy(&ciaddr, req + 12, 4);
	switch (type) {
	case DHCP_DISCOVER:
		reply_type = DHCP_OFFER;
		break;
	case DHCP_REQUEST:
		// For another server (its identifier, option 54): not ours.
		if ((v = dhcp_option(opts, olen_all, 54, &olen)) != NULL &&
		    (olen != 4 || memcmp(v, sn->gw, 4) != 0))
			return DHCP_RA_CONSUMED;
		if ((v = dhcp_option(opts, olen_all, 50, &olen)) != NULL && olen == 4)
			memcpy(&want, v, 4);
		else
			want = ciaddr; // renewing or rebinding
		reply_type = want == yiaddr ? DHCP_ACK : DHCP_NAK;
		break;
	case DHCP_INFORM:
		reply_type = DHCP_ACK;
		yiaddr = 0;
		break;
	default: // release, decline: nothing to say (the address is the port's for good)
		return DHCP_RA_CONSUMED;
	}

	// The reply, built in buf: BOOTP header, then the options.
	memset(buf, 0, DHCP_FIXED_LEN);
	buf[0] = 2; // BOOTREPLY
	buf[1] = 1;
	buf[2] = 6;
	memcpy(buf + 4, req + 4, 4);   // xid
	memcpy(buf + 10, req + 10, 2); // flags
	if (type == DHCP_INFORM || reply_type != DHCP_NAK)
		memcpy(buf + 12, &ciaddr, 4);
	if (reply_type != DHCP_NAK)
		memcpy(buf + 16, &yiaddr, 4);
	memcpy(buf + 24, req + 24, 4); // giaddr
	memcpy(buf + 28, req + 28, 16); // chaddr
	magic = RTE_BE32(DHCP_MAGIC);
	memcpy(buf + DHCP_FIXED_LEN, &magic, 4);
	o = buf + DHCP_FIXED_LEN + 4;
	o = opt_put(o, 53, 1, &reply_type);
	o = opt_put(o, 54, 4, sn->gw);
	if (reply_type != DHCP_NAK) {
		uint16_t mtu = rte_cpu_to_be_16(b->mtu);
		mask = sn->prefix_len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - sn->prefix_len));
		if (type != DHCP_INFORM) {
			o = opt_put32(o, 51, DHCP_LEASE_S);
			o = opt_put32(o, 58, DHCP_LEASE_S / 2);
			o = opt_put32(o, 59, DHCP_LEASE_S * 7 / 8);
		}
		o = opt_put(o, 1, 4, &mask);
		if (b->router[0] != '\0')
			o = opt_put(o, 3, 4, sn->gw);
		if (sn->n_dns > 0) {
			o[0] = 6;
			o[1] = (uint8_t)(4 * sn->n_dns);
			for (uint8_t i = 0; i < sn->n_dns; i++)
				memcpy(o + 2 + 4 * i, sn->dns[i], 4);
			o += 2 + 4 * sn->n_dns;
		}
		o = opt_put(o, 26, 2, &mtu);
	}
	*o++ = 255;
	dhcp_len = (uint32_t)(o - buf);
	if (dhcp_len < 300) { // BOOTP's minimum message (RFC 1542 2.1): pad
		memset(o, 0, 300 - dhcp_len);
		dhcp_len = 300;
	}

	// Into m: one segment, rewritten from the start.
	total = RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp) + dhcp_len;
	if (m->nb_segs != 1 || (uint32_t)(m->buf_len - rte_pktmbuf_headroom(m)) < total)
		return dp_drop(m, DROP_DHCP_MALFORMED);
	m->data_len = (uint16_t)total;
	m->pkt_len = total;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	memcpy(&flags, req + 10, 2);
	// RFC 2131 4.1: broadcast when the client asks for it or the answer is a NAK; otherwise to
	// its hardware address and the address it gets (or has, for INFORM).
	bool bcast = (rte_be_to_cpu_16(flags) & 0x8000) || reply_type == DHCP_NAK;
	dhcp_server_mac(b, &eth->src_addr);
	if (bcast)
		memset(&eth->dst_addr, 0xff, 6);
	else
		eth->dst_addr = p->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)(total - RTE_ETHER_HDR_LEN)),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_UDP,
		.dst_addr = bcast ? RTE_BE32(0xffffffff) : (type == DHCP_INFORM ? ciaddr : yiaddr),
	};
	memcpy(&ip->src_addr, sn->gw, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = RTE_BE16(DHCP_SERVER_PORT);
	udp->dst_port = RTE_BE16(DHCP_CLIENT_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + dhcp_len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, buf, dhcp_len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	meta->out_port = meta->in_port;
	meta->l3 = PKT_L3_IP4;
	meta->l3_off = RTE_ETHER_HDR_LEN;
	meta->l4_off = RTE_ETHER_HDR_LEN + sizeof(*ip);
	meta->l3_len = (uint16_t)(total - RTE_ETHER_HDR_LEN);
	meta->flags &= (uint16_t)~(PKT_F_VLAN | PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG);
	struct dhcp_ra_trace t = {.what = reply_type};
	memcpy(t.addr, &yiaddr, 4);
	TRACE_NOTE(lc, m, t);
	return DHCP_RA_REPLY;
}

static rte_edge_t dhcp_decide(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta,
			      const struct bridge *b, const struct bridge_port *p) {
	const struct rte_udp_hdr *udp =
		rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, meta->l4_off);
	uint8_t req[DHCP_READ_MAX];
	const uint8_t *d;
	uint32_t len = rte_pktmbuf_pkt_len(m) - meta->l4_off - sizeof(*udp);
	rte_be32_t addr;

	// Only where vnetd serves DHCP for this port; elsewhere the message is switched on.
	if (udp->src_port != RTE_BE16(DHCP_CLIENT_PORT) || (meta->flags & PKT_F_IP_FRAG) ||
	    dhcp_lease(b, p, &addr) == NULL)
		return DHCP_RA_L2;
	len = RTE_MIN(len, (uint32_t)rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp));
	if (len < DHCP_FIXED_LEN + 4 + 3 || rte_be_to_cpu_16(udp->dgram_len) < sizeof(*udp))
		return dp_drop(m, DROP_DHCP_MALFORMED);
	len = RTE_MIN(len, (uint32_t)DHCP_READ_MAX);
	d = rte_pktmbuf_read(m, meta->l4_off + sizeof(*udp), len, req);
	if (d == NULL)
		return dp_drop(m, DROP_DHCP_MALFORMED);
	if (d != req)
		memcpy(req, d, len); // the reply overwrites the frame: keep the request aside
	return dhcp_answer(lc, m, meta, b, p, req, len);
}

// Write into m (emptied: one segment) a router advertisement of network `b` (which has a router)
// to `dst_mac` / `dst_ip`. Returns 0, or -1 when m has no room. Any thread (no state).
int vswitch_ra_frame(const struct bridge *b, struct rte_mbuf *m,
		     const struct rte_ether_addr *dst_mac, const uint8_t dst_ip[16]) {
	uint8_t ra[RA_LEN_MAX], *o, flags = 0, n_dns = 0, dns[BRIDGE_DNS_MAX][16];
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	uint32_t len, total;
	rte_be32_t be32;
	rte_be16_t be16;

	memset(ra, 0, sizeof(ra));
	o = ra + 16;
	o[0] = 1; // source link-layer address
	o[1] = 1;
	memcpy(o + 2, &b->router_mac, 6);
	o += 8;
	o[0] = 5; // MTU
	o[1] = 1;
	be32 = rte_cpu_to_be_32(b->mtu);
	memcpy(o + 4, &be32, 4);
	o += 8;
	for (uint8_t s = 0; s < b->n_subnets; s++) {
		const struct bridge_subnet *sn = &b->subnets[s];
		if (sn->family != 6 || sn->ra_mode == BRIDGE_RA_NONE)
			continue;
		o[0] = 3; // prefix information
		o[1] = 4;
		o[2] = sn->prefix_len;
		o[3] = 0x80; // L: on-link
		if (sn->ra_mode != BRIDGE_RA_DHCP6_STATEFUL && sn->prefix_len == 64)
			o[3] |= 0x40; // A: addresses by SLAAC
		be32 = rte_cpu_to_be_32(RA_VALID_S);
		memcpy(o + 4, &be32, 4);
		be32 = rte_cpu_to_be_32(RA_PREFERRED_S);
		memcpy(o + 8, &be32, 4);
		memcpy(o + 16, sn->prefix, 16);
		o += 32;
		if (sn->ra_mode == BRIDGE_RA_DHCP6_STATEFUL)
			flags |= 0xc0; // M, O
		else if (sn->ra_mode == BRIDGE_RA_DHCP6_STATELESS)
			flags |= 0x40; // O
		for (uint8_t d = 0; d < sn->n_dns && n_dns < BRIDGE_DNS_MAX; d++)
			memcpy(dns[n_dns++], sn->dns[d], 16);
	}
	if (n_dns > 0) { // recursive DNS servers (RFC 8106 5.1)
		o[0] = 25;
		o[1] = (uint8_t)(1 + 2 * n_dns);
		be32 = rte_cpu_to_be_32(RA_RDNSS_LIFETIME_S);
		memcpy(o + 4, &be32, 4);
		memcpy(o + 8, dns, 16u * n_dns);
		o += 8 + 16 * n_dns;
	}
	len = (uint32_t)(o - ra);
	ra[0] = ND_RA;
	ra[4] = 64; // current hop limit
	ra[5] = flags;
	be16 = rte_cpu_to_be_16(RA_ROUTER_LIFETIME_S);
	memcpy(ra + 6, &be16, 2);

	total = RTE_ETHER_HDR_LEN + sizeof(*ip) + len;
	if (m->nb_segs != 1 || (uint32_t)(m->buf_len - rte_pktmbuf_headroom(m)) < total)
		return -1;
	m->data_len = (uint16_t)total;
	m->pkt_len = total;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	eth->dst_addr = *dst_mac;
	eth->src_addr = b->router_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	*ip = (struct rte_ipv6_hdr){
		.vtc_flow = RTE_BE32(0x60000000),
		.payload_len = rte_cpu_to_be_16((uint16_t)len),
		.proto = IPPROTO_ICMPV6,
		.hop_limits = 255,
	};
	memcpy(ip->src_addr, b->router_ll, 16);
	memcpy(ip->dst_addr, dst_ip, 16);
	memcpy(ip + 1, ra, len);
	be16 = rte_ipv6_udptcp_cksum(ip, ip + 1);
	memcpy((uint8_t *)(ip + 1) + 2, &be16, 2);
	return 0;
}

// A router advertisement for network `b` into m (a solicitation from port p), or L2 when the
// network has no router.
static rte_edge_t ra_decide(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta,
			    const struct bridge *b, const struct bridge_port *p) {
	static const uint8_t unspecified[16];
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 1}};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	const struct rte_ipv6_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, meta->l3_off);
	uint8_t src[16];
	bool to_all;

	if (b->router[0] == '\0' || meta->l4_off != meta->l3_off + sizeof(*ip) ||
	    (meta->flags & PKT_F_VLAN))
		return DHCP_RA_L2;
	memcpy(src, ip->src_addr, 16);
	// To the soliciting address, or all nodes when it has none yet (RFC 4861 6.2.6).
	to_all = memcmp(src, unspecified, 16) == 0;
	if (vswitch_ra_frame(b, m, to_all ? &all_nodes_mac : &p->mac, to_all ? all_nodes : src) < 0)
		return dp_drop(m, DROP_DHCP_MALFORMED);
	meta->out_port = meta->in_port;
	meta->l3_len = (uint16_t)(rte_pktmbuf_pkt_len(m) - meta->l3_off);
	TRACE_NOTE(lc, m, ((struct dhcp_ra_trace){ND_RA, {0}}));
	return DHCP_RA_REPLY;
}

static rte_edge_t dhcp_ra_responder_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	struct pkt_meta *meta = pkt_meta(m);
	const struct bridge_port *p = bridge_port_lookup(bc, meta->in_port);
	const struct bridge *b = p != NULL ? bridge_lookup(bc, p->bd_id) : NULL;

	if (b == NULL)
		return DHCP_RA_L2;
	if (meta->l3 == PKT_L3_IP4 && meta->l4 == PKT_L4_UDP)
		return dhcp_decide(lc, m, meta, b, p);
	if (meta->l4 == PKT_L4_ICMP6 && *rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off) == ND_RS)
		return ra_decide(lc, m, meta, b, p);
	return DHCP_RA_L2;
}

static const char *dhcp_type_name(uint8_t t) {
	static const char *const names[] = {"?", "discover", "offer", "request", "decline", "ack",
					    "nak", "release", "inform"};
	return t < RTE_DIM(names) ? names[t] : "?";
}

static void dhcp_ra_format(const struct trace_record *r, char *buf, size_t size) {
	const struct dhcp_ra_trace *t = TRACE_DATA(r, struct dhcp_ra_trace);
	char ip[INET_ADDRSTRLEN];

	if (t == NULL || r->edge != DHCP_RA_REPLY)
		snprintf(buf, size, "not answered here: passed on");
	else if (t->what == ND_RA)
		snprintf(buf, size, "router advertisement sent back");
	else
		snprintf(buf, size, "DHCP %s sent back (%s)", dhcp_type_name(t->what),
			 inet_ntop(AF_INET, t->addr, ip, sizeof(ip)));
}

static json_t *dhcp_ra_fields(const struct trace_record *r) {
	const struct dhcp_ra_trace *t = TRACE_DATA(r, struct dhcp_ra_trace);
	char ip[INET_ADDRSTRLEN];

	if (t == NULL)
		return NULL;
	if (t->what == ND_RA)
		return json_pack("{ss}", "answered", "router_advertisement");
	return json_pack("{ssss}", "answered", dhcp_type_name(t->what), "address",
			 inet_ntop(AF_INET, t->addr, ip, sizeof(ip)));
}
TRACE_FORMATTER(dhcp_ra_responder, dhcp_ra_format, dhcp_ra_fields)

DP_NODE_DEFINE(dhcp_ra_responder, dhcp_ra_responder_decide, DHCP_RA__COUNT,
	[DHCP_RA_L2] = "l2_lookup",
	[DHCP_RA_REPLY] = "port_tx",
	[DHCP_RA_CONSUMED] = "pkt_consume");
DP_ATTACH_POINT("l2_input", "dhcp_ra_responder", DHCP_RA_L2)
