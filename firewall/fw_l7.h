// SPDX-License-Identifier: BSD-3-Clause
// The L7 decision (docs/firewall.md, "L7"): which rule with an `l7` match, if any, allows a
// connection given its originator's first bytes, or a DNS query. Data path: no allocation, no
// lock; bounded by FW_SET_L7_RULES_MAX rules and the parsers' bounds.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/fw.h"

// A connection as one side's rules see it: the port's other end, the originator's destination
// port and the remote end's groups (fw_remote_mask).
struct fw_l7_conn {
	uint8_t dir;            // enum fw_dir of the rules asked
	uint8_t family;         // 4 or 6
	uint8_t proto;          // IPPROTO_TCP or IPPROTO_UDP
	uint16_t dport;
	const uint8_t *remote;  // 4 or 16 bytes
	uint64_t gmask;
};

enum fw_l7_verdict {
	FW_L7_ALLOW = 0,        // *rule allows it
	FW_L7_MORE,             // not decided: more bytes of the stream may decide it
	FW_L7_DENY,             // no rule allows it (or the bytes are no such request)
};

// Data path. Whether rule r's L3/L4 matches connection c (r of set s, whose remote groups give
// c->gmask's bits).
bool fw_l7_l34_match(const struct fw_set *s, const struct fw_rule *r, const struct fw_l7_conn *c);

// Data path. The verdict of set s's L7 rules for c on `buf` (len bytes): the originator's first
// bytes of a TCP connection (`stream`: a DNS message is then preceded by its 2-byte length) or
// the payload of one UDP datagram. *rule: the rule's index + 1 when FW_L7_ALLOW. *dns_end: for
// a DNS query (UDP), the offset after its question section when it parsed (0 otherwise), for the
// REFUSED answer.
enum fw_l7_verdict fw_l7_decide(const struct fw_cfg *fc, const struct fw_set *s,
				const struct fw_l7_conn *c, const uint8_t *buf, size_t len,
				bool stream, uint32_t *rule, size_t *dns_end);

// Data path. The rule (index + 1) of s's L7 rules with signature `sig` whose L3/L4 still matches
// c, or 0: a connection an L7 rule allowed keeps its verdict across rules generations as long as
// that rule stays the same.
uint32_t fw_l7_rule_by_sig(const struct fw_cfg *fc, const struct fw_set *s,
			   const struct fw_l7_conn *c, uint32_t sig);
