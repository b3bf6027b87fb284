// SPDX-License-Identifier: BSD-3-Clause
// Packet builder for unit tests (see pktgen.h).

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/parse.h"
#include "dataplane/pkt.h"
#include "dataplane/rules.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"

static void mac(const char *s, void *out) {
	assert_int_equal(rules_parse_mac(s, out), 0);
}

static size_t eth_put(uint8_t *buf, const char *src, const char *dst, uint16_t vlan,
		      uint16_t type) {
	size_t off = 12;

	mac(dst, buf);
	mac(src, buf + 6);
	if (vlan != 0) {
		*(rte_be16_t *)(buf + 12) = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		*(rte_be16_t *)(buf + 14) = rte_cpu_to_be_16(vlan);
		off = 16;
	}
	*(rte_be16_t *)(buf + off) = rte_cpu_to_be_16(type);
	return off + 2;
}

static size_t l4_put(const struct pktgen *g, uint8_t *l4, int family) {
	uint8_t proto = g->proto ? g->proto : 17;

	if (proto == 6) {
		struct rte_tcp_hdr *tcp = (void *)l4;
		tcp->src_port = rte_cpu_to_be_16(g->sport ? g->sport : 1000);
		tcp->dst_port = rte_cpu_to_be_16(g->udp_dst ? g->udp_dst : 2000);
		tcp->sent_seq = rte_cpu_to_be_32(g->seq);
		tcp->recv_ack = rte_cpu_to_be_32(g->ack);
		tcp->data_off = 5 << 4;
		tcp->tcp_flags = g->tcp_flags ? g->tcp_flags : RTE_TCP_SYN_FLAG;
		tcp->rx_win = RTE_BE16(1000);
		return 20 + g->payload_len;
	}
	if (proto == 17) {
		struct rte_udp_hdr *udp = (void *)l4;
		udp->src_port = rte_cpu_to_be_16(g->sport ? g->sport : 1000);
		udp->dst_port = rte_cpu_to_be_16(g->udp_dst ? g->udp_dst : 2000);
		udp->dgram_len = rte_cpu_to_be_16(8 + g->payload_len);
		udp->dgram_cksum = RTE_BE16(0xffff); // any non-zero: UDP over IPv6 needs one
		return 8 + g->payload_len;
	}
	l4[0] = g->icmp_type ? g->icmp_type : (family == 4 ? 8 : 128);
	if (proto == 58 && (l4[0] == 135 || l4[0] == 136)) {
		uint8_t addr[16];
		int fam;
		assert_int_equal(rules_parse_ip(g->nd_target, &fam, addr), 0);
		memcpy(l4 + 8, addr, 16);
		if (g->nd_lladdr != NULL) {
			l4[24] = l4[0] == 136 ? 2 : 1;
			l4[25] = 1;
			mac(g->nd_lladdr, l4 + 26);
			return 32;
		}
		return 24;
	}
	return 8 + g->payload_len;
}

struct rte_mbuf *pktgen_ip(const struct pktgen *g) {
	uint8_t buf[2048] = {0}, src[16], dst[16];
	int fs, fd;
	size_t off, l4_len;
	struct rte_mbuf *m;

	assert_int_equal(rules_parse_ip(g->src_ip, &fs, src), 0);
	assert_int_equal(rules_parse_ip(g->dst_ip, &fd, dst), 0);
	off = eth_put(buf, g->src_mac, g->dst_mac, g->vlan,
		      fs == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	if (fs == 4) {
		struct rte_ipv4_hdr *ip = (void *)(buf + off);
		l4_len = l4_put(g, buf + off + 20, 4);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4_len));
		ip->time_to_live = g->ttl ? g->ttl : 64;
		ip->next_proto_id = g->proto ? g->proto : 17;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		off += 20 + l4_len;
	} else {
		struct rte_ipv6_hdr *ip6 = (void *)(buf + off);
		l4_len = l4_put(g, buf + off + 40, 6);
		ip6->vtc_flow = RTE_BE32(0x60000000);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4_len);
		ip6->proto = g->proto ? g->proto : 17;
		ip6->hop_limits = g->ttl ? g->ttl : 255;
		memcpy(ip6->src_addr, src, 16);
		memcpy(ip6->dst_addr, dst, 16);
		off += 40 + l4_len;
	}
	m = pktbuf_create(buf, RTE_MAX(off, (size_t)60), g->in_port);
	assert_non_null(m);
	assert_int_equal(pkt_parse(m), DROP_NONE);
	return m;
}

struct rte_mbuf *pktgen_arp(uint16_t in_port, const char *src_mac, const char *dst_mac,
			    uint16_t op, const char *sender_mac, const char *sender_ip,
			    const char *target_ip) {
	uint8_t buf[64] = {0};
	size_t off = eth_put(buf, src_mac, dst_mac, 0, RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *arp = (void *)(buf + off);
	struct rte_mbuf *m;

	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	mac(sender_mac, &arp->arp_data.arp_sha);
	assert_int_equal(inet_pton(AF_INET, sender_ip, &arp->arp_data.arp_sip), 1);
	assert_int_equal(inet_pton(AF_INET, target_ip, &arp->arp_data.arp_tip), 1);
	m = pktbuf_create(buf, 60, in_port);
	assert_non_null(m);
	assert_int_equal(pkt_parse(m), DROP_NONE);
	return m;
}
