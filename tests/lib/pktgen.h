// SPDX-License-Identifier: BSD-3-Clause
// A small packet builder for unit tests: well-formed frames with correct lengths and IPv4
// checksums, then parsed (pkt_parse) so that the metadata is what the parse node leaves.
#pragma once

#include <stdint.h>

#include <rte_mbuf.h>

struct pktgen {
	const char *src_mac, *dst_mac;   // "02:00:00:00:01:0a"
	const char *src_ip, *dst_ip;     // IPv4 or IPv6 text; NULL for a non-IP frame
	uint16_t in_port;
	uint16_t payload_len;            // UDP / TCP / ICMP payload bytes
	uint16_t vlan;                   // 802.1Q tag when non-zero
	uint8_t proto;                   // 17 UDP (default), 6 TCP, 1 ICMP, 58 ICMPv6
	uint8_t icmp_type;               // for ICMP / ICMPv6 (136 = neighbour advertisement)
	const char *nd_target;           // ICMPv6 ND target address
	const char *nd_lladdr;           // ND target link-layer address option
	uint16_t udp_dst;                // UDP / TCP destination port (0: 2000)
	uint8_t ttl;                     // IPv4 TTL / IPv6 hop limit (0: 64 / 255)
	uint16_t sport;                  // UDP / TCP source port (0: 1000)
	uint8_t tcp_flags;               // proto 6: its flags (0: SYN)
	uint32_t seq, ack;               // proto 6
};

// A UDP/ICMP over IPv4/IPv6 frame as described; parsed. Never NULL (asserts).
struct rte_mbuf *pktgen_ip(const struct pktgen *g);

// An ARP request (op 1) or reply (op 2): sender MAC/IP, target IP. Parsed.
struct rte_mbuf *pktgen_arp(uint16_t in_port, const char *src_mac, const char *dst_mac,
			    uint16_t op, const char *sender_mac, const char *sender_ip,
			    const char *target_ip);

#define PKT_IP(...) pktgen_ip(&(struct pktgen){__VA_ARGS__})
