// SPDX-License-Identifier: BSD-3-Clause
// pkt_parse (see parse.h): one function per layer, inlined into pkt_parse; straight-line code
// except for the IPv6 extension header walk (its own function, entered only when an extension
// header is present). Every header is bounds-checked by parse_check before it is read, against
// the end of its enclosing layer and against the first segment.

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/parse.h"
#include "dataplane/pkt.h"

#define PARSE_IP6_MAX_EXT 8       // extension headers walked before DROP_IP6_EXT_TOO_MANY
#define PARSE_IP6_EXT_MIN_SIZE 8  // every extension header is at least 8 bytes (RFC 8200 4)
#define PARSE_ICMP_SIZE 8         // type, code, checksum, 4 bytes of rest of header (RFC 792)
#define PARSE_ICMP6_SIZE 4        // type, code, checksum (RFC 4443 2.1)
#define PARSE_ND_SIZE 24          // ICMPv6 header, reserved, target (RFC 4861 4.3, 4.4)
#define PARSE_ICMP6_ND_NS 135
#define PARSE_ICMP6_ND_NA 136
#define PARSE_IP6_FRAG_OFFSET_MASK 0xfff8 // fragment offset in the fragment header (RFC 8200 4.5)
#define PARSE_IP6_FRAG_M 0x0001

// Whether bytes [0, end) of the frame may be read: DROP_NONE; `reason` when `end` is past
// `limit` (the end of the enclosing layer or frame); DROP_HDR_SEGMENTED when it is within
// `limit` but past the first segment.
static __rte_always_inline enum dp_drop_reason parse_check(const struct rte_mbuf *m, uint32_t end,
							   uint32_t limit,
							   enum dp_drop_reason reason) {
	if (unlikely(end > limit))
		return reason;
	if (unlikely(end > m->data_len))
		return DROP_HDR_SEGMENTED;
	return DROP_NONE;
}

// TCP header at `off`, inside an L3 payload ending at `end`.
static __rte_always_inline enum dp_drop_reason parse_tcp(struct rte_mbuf *m, struct pkt_meta *meta,
							 uint32_t off, uint32_t end) {
	const struct rte_tcp_hdr *tcp;
	enum dp_drop_reason r;
	uint32_t hlen;

	r = parse_check(m, off + sizeof(*tcp), end, DROP_TCP_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	tcp = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
	hlen = (uint32_t)(tcp->data_off >> 4) * 4;
	if (unlikely(hlen < sizeof(*tcp)))
		return DROP_TCP_BAD_OFFSET;
	r = parse_check(m, off + hlen, end, DROP_TCP_BAD_OFFSET);
	if (unlikely(r != DROP_NONE))
		return r;
	meta->l4 = PKT_L4_TCP;
	return DROP_NONE;
}

// UDP header at `off`. In a first fragment the length field covers the whole datagram, so it is
// only checked against the payload of an unfragmented packet.
static __rte_always_inline enum dp_drop_reason parse_udp(struct rte_mbuf *m, struct pkt_meta *meta,
							 uint32_t off, uint32_t end) {
	const struct rte_udp_hdr *udp;
	enum dp_drop_reason r;
	uint32_t len;

	r = parse_check(m, off + sizeof(*udp), end, DROP_UDP_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off);
	len = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(len < sizeof(*udp)))
		return DROP_UDP_BAD_LEN;
	if (unlikely(len > end - off && !(meta->flags & PKT_F_IP_FRAG)))
		return DROP_UDP_BAD_LEN;
	// RFC 8200 section 8.1: the checksum is mandatory over IPv6.
	if (unlikely(meta->l3 == PKT_L3_IP6 && udp->dgram_cksum == 0))
		return DROP_UDP6_NO_CHECKSUM;
	meta->l4 = PKT_L4_UDP;
	return DROP_NONE;
}

static __rte_always_inline enum dp_drop_reason parse_icmp(struct rte_mbuf *m, struct pkt_meta *meta,
							  uint32_t off, uint32_t end) {
	enum dp_drop_reason r;

	r = parse_check(m, off + PARSE_ICMP_SIZE, end, DROP_ICMP_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	meta->l4 = PKT_L4_ICMP;
	return DROP_NONE;
}

// ICMPv6; neighbour solicitations and advertisements must carry their target address, which
// port security and the ND responder read.
static __rte_always_inline enum dp_drop_reason parse_icmp6(struct rte_mbuf *m,
							   struct pkt_meta *meta, uint32_t off,
							   uint32_t end) {
	enum dp_drop_reason r;
	uint8_t type;

	r = parse_check(m, off + PARSE_ICMP6_SIZE, end, DROP_ICMP6_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	type = *rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	if (type == PARSE_ICMP6_ND_NS || type == PARSE_ICMP6_ND_NA) {
		r = parse_check(m, off + PARSE_ND_SIZE, end, DROP_ND_TRUNCATED);
		if (unlikely(r != DROP_NONE))
			return r;
	}
	meta->l4 = PKT_L4_ICMP6;
	return DROP_NONE;
}

// The upper-layer header `proto` at `off`, inside an L3 payload ending at `end`. ICMP is only
// recognised over IPv4 and ICMPv6 only over IPv6; other protocols leave l4 NONE.
static __rte_always_inline enum dp_drop_reason parse_l4(struct rte_mbuf *m, struct pkt_meta *meta,
							uint8_t proto, uint32_t off, uint32_t end) {
	meta->l4_proto = proto;
	meta->l4_off = (uint16_t)off;
	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(m, meta, off, end);
	case IPPROTO_UDP:
		return parse_udp(m, meta, off, end);
	case IPPROTO_ICMP:
		return meta->l3 == PKT_L3_IP4 ? parse_icmp(m, meta, off, end) : DROP_NONE;
	case IPPROTO_ICMPV6:
		return meta->l3 == PKT_L3_IP6 ? parse_icmp6(m, meta, off, end) : DROP_NONE;
	default:
		return DROP_NONE;
	}
}

static __rte_always_inline int parse_ip4_src_is_bad(rte_be32_t src_addr) {
	uint32_t src = rte_be_to_cpu_32(src_addr);

	return (src >> 28) == 0xe || src == UINT32_MAX || (src >> 24) == 127;
}

static __rte_always_inline int parse_ip4_cksum_is_bad(const struct rte_mbuf *m,
						      const struct rte_ipv4_hdr *ip4) {
	uint32_t w[5];
	uint64_t sum;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return 0;
	if ((ip4->version_ihl & RTE_IPV4_HDR_IHL_MASK) != 5)
		return rte_ipv4_cksum(ip4) != 0; // options: the generic sum
	// No options, the common case: five 32-bit words, folded (RFC 1071). Summing a correct
	// header, checksum field included, gives 0xffff.
	memcpy(w, ip4, sizeof(w));
	sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum != 0xffff;
}

// IPv4 (RFC 791) at meta->l3_off. Options are allowed and skipped; a later fragment has no L4.
static __rte_always_inline enum dp_drop_reason parse_ip4(struct rte_mbuf *m,
							 struct pkt_meta *meta) {
	uint32_t off = meta->l3_off, hlen, total;
	const struct rte_ipv4_hdr *ip4;
	enum dp_drop_reason r;
	uint16_t frag;

	r = parse_check(m, off + sizeof(*ip4), m->pkt_len, DROP_IP4_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	ip4 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if (unlikely((ip4->version_ihl >> 4) != 4))
		return DROP_IP4_BAD_VERSION;
	hlen = (uint32_t)(ip4->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (unlikely(hlen < sizeof(*ip4)))
		return DROP_IP4_BAD_IHL;
	r = parse_check(m, off + hlen, m->pkt_len, DROP_IP4_BAD_IHL);
	if (unlikely(r != DROP_NONE))
		return r;
	// Bytes after the total length are Ethernet padding.
	total = rte_be_to_cpu_16(ip4->total_length);
	if (unlikely(total < hlen || off + total > m->pkt_len))
		return DROP_IP4_BAD_TOTAL_LEN;
	if (unlikely(parse_ip4_cksum_is_bad(m, ip4)))
		return DROP_IP4_BAD_CHECKSUM;
	if (unlikely(parse_ip4_src_is_bad(ip4->src_addr)))
		return DROP_IP4_BAD_SRC;

	meta->l3 = PKT_L3_IP4;
	meta->l3_len = (uint16_t)total;
	frag = rte_be_to_cpu_16(ip4->fragment_offset);
	if (unlikely(frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		meta->flags |= PKT_F_IP_FRAG;
		if (frag & RTE_IPV4_HDR_OFFSET_MASK) {
			meta->flags |= PKT_F_IP_LATER_FRAG;
			meta->l4_proto = ip4->next_proto_id;
			return DROP_NONE;
		}
	}
	return parse_l4(m, meta, ip4->next_proto_id, off + hlen, off + total);
}

static __rte_always_inline int parse_ip6_is_ext(uint8_t proto) {
	return proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_FRAGMENT ||
	       proto == IPPROTO_DSTOPTS || proto == IPPROTO_AH;
}

// Size of the extension header `proto` whose first bytes are `ext` (RFC 8200 4.3-4.6; AH counts
// 4-byte words minus 2, RFC 4302 2.2).
static __rte_always_inline uint32_t parse_ip6_ext_size(uint8_t proto, const uint8_t *ext) {
	if (proto == IPPROTO_FRAGMENT)
		return PARSE_IP6_EXT_MIN_SIZE;
	if (proto == IPPROTO_AH)
		return ((uint32_t)ext[1] + 2) * 4;
	return ((uint32_t)ext[1] + 1) * 8;
}

// Walk the extension headers from `proto` at `off` up to the upper-layer header; the payload
// ends at `end`. A fragment header with a non-zero offset ends the walk (no L4 header follows).
static enum dp_drop_reason parse_ip6_ext(struct rte_mbuf *m, struct pkt_meta *meta, uint8_t proto,
					 uint32_t off, uint32_t end) {
	for (unsigned int n = 0; parse_ip6_is_ext(proto); n++) {
		const uint8_t *ext;
		enum dp_drop_reason r;
		uint32_t size;
		uint16_t frag;

		if (unlikely(n == PARSE_IP6_MAX_EXT))
			return DROP_IP6_EXT_TOO_MANY;
		r = parse_check(m, off + PARSE_IP6_EXT_MIN_SIZE, end, DROP_IP6_EXT_TRUNCATED);
		if (unlikely(r != DROP_NONE))
			return r;
		ext = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		if (proto == IPPROTO_FRAGMENT) {
			frag = (uint16_t)(ext[2] << 8 | ext[3]);
			if (frag & (PARSE_IP6_FRAG_OFFSET_MASK | PARSE_IP6_FRAG_M))
				meta->flags |= PKT_F_IP_FRAG;
			if (frag & PARSE_IP6_FRAG_OFFSET_MASK) {
				meta->flags |= PKT_F_IP_LATER_FRAG;
				meta->l4_proto = ext[0];
				return DROP_NONE;
			}
		}
		size = parse_ip6_ext_size(proto, ext);
		r = parse_check(m, off + size, end, DROP_IP6_EXT_TRUNCATED);
		if (unlikely(r != DROP_NONE))
			return r;
		off += size;
		proto = ext[0];
	}
	return parse_l4(m, meta, proto, off, end);
}

// IPv6 (RFC 8200) at meta->l3_off. Jumbograms (payload length 0) are not supported: they cannot
// be carried on the networks vnet serves.
static __rte_always_inline enum dp_drop_reason parse_ip6(struct rte_mbuf *m,
							 struct pkt_meta *meta) {
	uint32_t off = meta->l3_off, total;
	const struct rte_ipv6_hdr *ip6;
	enum dp_drop_reason r;

	r = parse_check(m, off + sizeof(*ip6), m->pkt_len, DROP_IP6_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, off);
	if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6))
		return DROP_IP6_BAD_VERSION;
	total = sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely(off + total > m->pkt_len))
		return DROP_IP6_BAD_PAYLOAD_LEN;
	if (unlikely(ip6->src_addr[0] == 0xff))
		return DROP_IP6_BAD_SRC;

	meta->l3 = PKT_L3_IP6;
	meta->l3_len = (uint16_t)total;
	if (unlikely(parse_ip6_is_ext(ip6->proto)))
		return parse_ip6_ext(m, meta, ip6->proto, off + sizeof(*ip6), off + total);
	return parse_l4(m, meta, ip6->proto, off + sizeof(*ip6), off + total);
}

// ARP (RFC 826), Ethernet/IPv4 only.
static __rte_always_inline enum dp_drop_reason parse_arp(struct rte_mbuf *m,
							 struct pkt_meta *meta) {
	const struct rte_arp_hdr *arp;
	enum dp_drop_reason r;

	r = parse_check(m, meta->l3_off + sizeof(*arp), m->pkt_len, DROP_ARP_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, meta->l3_off);
	if (unlikely(arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(rte_be32_t)))
		return DROP_ARP_BAD_FORMAT;
	if (unlikely(arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) &&
		     arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY)))
		return DROP_ARP_BAD_FORMAT;
	meta->l3 = PKT_L3_ARP;
	meta->l3_len = sizeof(*arp);
	return DROP_NONE;
}

enum dp_drop_reason pkt_parse(struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	const struct rte_ether_hdr *eth;
	uint32_t off = sizeof(*eth);
	const struct rte_vlan_hdr *vlan;
	enum dp_drop_reason r;
	rte_be16_t type;

	meta->l3 = PKT_L3_NONE;
	meta->l4 = PKT_L4_NONE;
	meta->l3_len = 0;
	meta->l4_off = 0;
	meta->l4_proto = 0;
	meta->flags &= (uint16_t)~(PKT_F_VLAN | PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG);

	r = parse_check(m, off, m->pkt_len, DROP_ETH_TRUNCATED);
	if (unlikely(r != DROP_NONE))
		return r;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(rte_is_multicast_ether_addr(&eth->src_addr) ||
		     rte_is_zero_ether_addr(&eth->src_addr)))
		return DROP_SRC_MAC_BAD;
	type = eth->ether_type;
	// One 802.1Q tag is parsed and recorded; whether it is allowed is decided later.
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		r = parse_check(m, off + sizeof(*vlan), m->pkt_len, DROP_VLAN_TRUNCATED);
		if (unlikely(r != DROP_NONE))
			return r;
		vlan = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *, off);
		meta->flags |= PKT_F_VLAN;
		meta->vlan_tci = rte_be_to_cpu_16(vlan->vlan_tci);
		type = vlan->eth_proto;
		off += sizeof(*vlan);
	}
	meta->l3_off = (uint16_t)off;
	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return parse_ip4(m, meta);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return parse_ip6(m, meta);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return parse_arp(m, meta);
	default:
		// Anything else, a second VLAN tag included, is switched by MAC only.
		return DROP_NONE;
	}
}

bool pkt_pullup(struct rte_mbuf *m, uint32_t want) {
	uint16_t before = m->data_len;

	if (RTE_MBUF_CLONED(m) || RTE_MBUF_HAS_EXTBUF(m) || rte_mbuf_refcnt_read(m) > 1)
		return false;
	want = RTE_MIN(want, m->pkt_len);
	while (m->data_len < want && m->next != NULL) {
		struct rte_mbuf *s = m->next;
		uint32_t n = RTE_MIN(RTE_MIN(want - m->data_len, (uint32_t)s->data_len),
				     (uint32_t)rte_pktmbuf_tailroom(m));

		if (n == 0 && s->data_len > 0)
			break; // no room left in the first segment
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len), rte_pktmbuf_mtod(s, uint8_t *),
		       n);
		m->data_len = (uint16_t)(m->data_len + n);
		s->data_off = (uint16_t)(s->data_off + n);
		s->data_len = (uint16_t)(s->data_len - n);
		if (s->data_len == 0) { // unlink and free the emptied segment
			m->next = s->next;
			m->nb_segs--;
			s->next = NULL;
			s->nb_segs = 1;
			rte_pktmbuf_free_seg(s);
		}
	}
	return m->data_len > before;
}
