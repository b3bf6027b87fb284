// SPDX-License-Identifier: BSD-3-Clause
// ICMP / ICMPv6 error builders (icmp_error.h).

#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "vrouter/icmp_error.h"

bool vr_icmp_error_allowed(const struct rte_mbuf *m, const struct pkt_meta *meta) {
	if (meta->flags & PKT_F_IP_LATER_FRAG)
		return false;
	if (meta->l3 == PKT_L3_IP4) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_off);
		uint8_t s0 = ((const uint8_t *)&ip->src_addr)[0];

		// 0.0.0.0/8, loopback, multicast, reserved and broadcast sources get no error.
		if (s0 == 0 || s0 == 127 || s0 >= 224)
			return false;
		if (meta->l4 == PKT_L4_ICMP) {
			const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off);
			// Only queries (echo, timestamp, ...) get errors: not errors (3, 4, 5, 11, 12).
			return icmp[0] == 0 || icmp[0] == 8 || icmp[0] == 13 || icmp[0] == 14;
		}
		return true;
	}
	if (meta->l3 == PKT_L3_IP6) {
		const struct rte_ipv6_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, meta->l3_off);
		static const uint8_t zero[16];

		if (ip->src_addr[0] == 0xff || memcmp(ip->src_addr, zero, 16) == 0)
			return false;
		if (meta->l4 == PKT_L4_ICMP6) {
			const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off);
			return icmp[0] >= 128; // informational messages only (RFC 4443 2.4 (e))
		}
		return true;
	}
	return false;
}

static uint16_t cksum_fold(uint32_t sum) {
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int vr_icmp_error_build(struct rte_mbuf *e, const struct rte_mbuf *m, const struct pkt_meta *meta,
			uint8_t type, uint8_t code, uint16_t mtu, const struct rte_ether_addr *src_mac,
			const uint8_t *src) {
	const struct rte_ether_hdr *oeth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t orig_len = rte_pktmbuf_pkt_len(m) - meta->l3_off;
	uint32_t l3_len = RTE_MIN((uint32_t)meta->l3_len, orig_len);
	struct rte_ether_hdr *eth;
	uint8_t *icmp;
	uint32_t quote, total;

	if (meta->l3 == PKT_L3_IP4) {
		const struct rte_ipv4_hdr *oip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_off);
		uint32_t ihl = (uint32_t)(oip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
		struct rte_ipv4_hdr *ip;

		quote = RTE_MIN(l3_len, ihl + VR_ICMP4_QUOTE);
		total = (uint32_t)sizeof(*eth) + sizeof(*ip) + 8 + quote;
		if (rte_pktmbuf_tailroom(e) < total)
			return -1;
		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(e, (uint16_t)total);
		ip = (struct rte_ipv4_hdr *)(eth + 1);
		icmp = (uint8_t *)(ip + 1);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		*ip = (struct rte_ipv4_hdr){
			.version_ihl = RTE_IPV4_VHL_DEF,
			.type_of_service = 0xc0, // internetwork control (RFC 1812 4.3.2.5)
			.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + 8 + quote)),
			.time_to_live = VR_ICMP_ERROR_TTL,
			.next_proto_id = IPPROTO_ICMP,
			.dst_addr = oip->src_addr,
		};
		memcpy(&ip->src_addr, src, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		memset(icmp, 0, 8);
		icmp[0] = type;
		icmp[1] = code;
		if (type == VR_ICMP4_UNREACH && code == VR_ICMP4_UNREACH_FRAG_NEEDED) {
			rte_be16_t v = rte_cpu_to_be_16(mtu); // RFC 1191: next-hop MTU
			memcpy(icmp + 6, &v, 2);
		}
		if (rte_pktmbuf_read(m, meta->l3_off, quote, icmp + 8) != icmp + 8)
			memcpy(icmp + 8, rte_pktmbuf_read(m, meta->l3_off, quote, icmp + 8), quote);
		rte_be16_t c = cksum_fold(rte_raw_cksum(icmp, 8 + quote));
		memcpy(icmp + 2, &c, 2);
	} else {
		const struct rte_ipv6_hdr *oip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, meta->l3_off);
		struct rte_ipv6_hdr *ip;

		quote = RTE_MIN(l3_len, (uint32_t)(VR_ICMP6_MIN_MTU - sizeof(*ip) - 8));
		total = (uint32_t)sizeof(*eth) + sizeof(*ip) + 8 + quote;
		if (rte_pktmbuf_tailroom(e) < total)
			return -1;
		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(e, (uint16_t)total);
		ip = (struct rte_ipv6_hdr *)(eth + 1);
		icmp = (uint8_t *)(ip + 1);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		*ip = (struct rte_ipv6_hdr){
			.vtc_flow = RTE_BE32(0x60000000),
			.payload_len = rte_cpu_to_be_16((uint16_t)(8 + quote)),
			.proto = IPPROTO_ICMPV6,
			.hop_limits = VR_ICMP_ERROR_TTL,
		};
		memcpy(ip->src_addr, src, 16);
		memcpy(ip->dst_addr, oip->src_addr, 16);
		memset(icmp, 0, 8);
		icmp[0] = type;
		icmp[1] = code;
		if (type == VR_ICMP6_TOO_BIG) {
			rte_be32_t v = rte_cpu_to_be_32(mtu);
			memcpy(icmp + 4, &v, 4);
		}
		if (rte_pktmbuf_read(m, meta->l3_off, quote, icmp + 8) != icmp + 8)
			memcpy(icmp + 8, rte_pktmbuf_read(m, meta->l3_off, quote, icmp + 8), quote);
		rte_be16_t c = rte_ipv6_udptcp_cksum(ip, icmp);
		memcpy(icmp + 2, &c, 2);
	}
	eth->dst_addr = oeth->src_addr;
	eth->src_addr = *src_mac;
	return 0;
}
