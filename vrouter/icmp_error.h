// SPDX-License-Identifier: BSD-3-Clause
// ICMP and ICMPv6 errors that a router sends about a packet it could not forward (RFC 1812
// 4.3.2, RFC 4443 2.4): built into a fresh mbuf from the offending packet, never about an ICMP
// error, a non-first fragment or a packet from a source that is not unicast. The builders are
// data-path functions with no allocation of their own; the rate limit is a token bucket.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"

// ICMPv4 types and codes (RFC 792, RFC 1812 5.2.7.1).
#define VR_ICMP4_UNREACH 3
#define VR_ICMP4_UNREACH_NET 0
#define VR_ICMP4_UNREACH_HOST 1
#define VR_ICMP4_UNREACH_PORT 3
#define VR_ICMP4_UNREACH_FRAG_NEEDED 4
#define VR_ICMP4_UNREACH_ADMIN 13
#define VR_ICMP4_TIME_EXCEEDED 11
// ICMPv6 (RFC 4443).
#define VR_ICMP6_UNREACH 1
#define VR_ICMP6_UNREACH_NO_ROUTE 0
#define VR_ICMP6_UNREACH_ADMIN 1
#define VR_ICMP6_UNREACH_ADDR 3
#define VR_ICMP6_UNREACH_PORT 4
#define VR_ICMP6_TOO_BIG 2
#define VR_ICMP6_TIME_EXCEEDED 3

#define VR_ICMP_ERROR_TTL 64
#define VR_ICMP4_QUOTE 8       // bytes of the offending packet's payload after its IP header
#define VR_ICMP6_MIN_MTU 1280  // an ICMPv6 error is at most this long (RFC 4443 2.4 (c))

// Data path. Whether the router may send an error about `m` (its metadata `meta` parsed): not
// about an ICMP error, a non-first fragment, or a source that is not a unicast address.
bool vr_icmp_error_allowed(const struct rte_mbuf *m, const struct pkt_meta *meta);

// Data path. Build into `e` (an empty mbuf of one segment, at least 1,400 bytes of room) the
// error of `type`/`code` about `m` (metadata `meta`): from `src_mac` and address `src` (4 or 16
// bytes, by the family of m) to m's source MAC and address; `mtu` goes into the next-hop MTU
// (fragmentation needed) or MTU (packet too big) field. Returns 0, or -1 if `e` is too small.
int vr_icmp_error_build(struct rte_mbuf *e, const struct rte_mbuf *m, const struct pkt_meta *meta,
			uint8_t type, uint8_t code, uint16_t mtu, const struct rte_ether_addr *src_mac,
			const uint8_t *src);

// A token bucket: `rate` tokens per second, at most `burst`.
struct vr_bucket {
	uint64_t last_tsc;
	uint32_t tokens;
};

// Data path. Take one token at `now` (TSC, `hz` per second); false when there is none.
static inline bool vr_bucket_take(struct vr_bucket *b, uint64_t now, uint64_t hz, uint32_t rate,
				  uint32_t burst) {
	uint64_t per_token = hz / rate;
	uint64_t earned = per_token != 0 ? (now - b->last_tsc) / per_token : burst;

	if (b->last_tsc == 0 || earned >= burst) {
		b->tokens = burst;
		b->last_tsc = now;
	} else if (earned > 0) {
		b->tokens = (uint32_t)RTE_MIN((uint64_t)burst, b->tokens + earned);
		b->last_tsc += earned * per_token;
	}
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}
