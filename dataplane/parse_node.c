// SPDX-License-Identifier: BSD-3-Clause
// parse: check every header and fill the layer offsets in pkt_meta (pkt_parse, parse.c). Comes
// after port_rx; leads to the node attached at `vnic_input` (graph.h), or to pkt_drop with the
// parse drop reason.

#include <stdio.h>

#include "dataplane/graph.h"
#include "dataplane/parse.h"
#include "dataplane/trace.h"

enum parse_edge {
	PARSE_DROP = DP_EDGE_DROP,
	PARSE_NEXT,
	PARSE__COUNT
};

static const char *const parse_l3_names[] = {
	[PKT_L3_NONE] = "none",
	[PKT_L3_ARP] = "arp",
	[PKT_L3_IP4] = "ip4",
	[PKT_L3_IP6] = "ip6",
};

static const char *const parse_l4_names[] = {
	[PKT_L4_NONE] = "none",
	[PKT_L4_TCP] = "tcp",
	[PKT_L4_UDP] = "udp",
	[PKT_L4_ICMP] = "icmp",
	[PKT_L4_ICMP6] = "icmp6",
};

// Data path. Trace values: aux[0] = l3 | l4 << 8 | l4_proto << 16 | vlan_tci << 32,
// aux[1] = l3_off | l4_off << 16 | l3_len << 32.
static rte_edge_t parse_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	enum dp_drop_reason reason = pkt_parse(m);
	const struct pkt_meta *meta = pkt_meta(m);

	pkt_trace_note(m,
		       meta->l3 | (uint64_t)meta->l4 << 8 | (uint64_t)meta->l4_proto << 16 |
			       (uint64_t)meta->vlan_tci << 32,
		       meta->l3_off | (uint64_t)meta->l4_off << 16 | (uint64_t)meta->l3_len << 32);
	if (unlikely(reason != DROP_NONE))
		return dp_drop(m, reason);
	return PARSE_NEXT;
}

static const char *parse_name(const char *const *names, size_t n_names, uint64_t i) {
	return i < n_names ? names[i] : "?";
}

// Control thread. "l3=ip4 l4=tcp proto=6 l3_off=14 l4_off=34 l3_len=60 [vlan=N] [frag]".
static void parse_trace_format(const struct trace_record *r, char *buf, size_t size) {
	uint64_t a = r->aux[0], b = r->aux[1];
	int n;

	n = snprintf(buf, size, "l3=%s l4=%s proto=%u l3_off=%u l4_off=%u l3_len=%u",
		     parse_name(parse_l3_names, RTE_DIM(parse_l3_names), a & 0xff),
		     parse_name(parse_l4_names, RTE_DIM(parse_l4_names), (a >> 8) & 0xff),
		     (unsigned int)((a >> 16) & 0xff), (unsigned int)(b & 0xffff),
		     (unsigned int)((b >> 16) & 0xffff), (unsigned int)((b >> 32) & 0xffff));
	if (n > 0 && (size_t)n < size && (r->pkt_flags & PKT_F_VLAN))
		n += snprintf(buf + n, size - (size_t)n, " vlan=%u",
			      (unsigned int)((a >> 32) & 0xffff));
	if (n > 0 && (size_t)n < size && (r->pkt_flags & PKT_F_IP_FRAG))
		snprintf(buf + n, size - (size_t)n, "%s",
			 (r->pkt_flags & PKT_F_IP_LATER_FRAG) ? " frag=later" : " frag=first");
}

DP_NODE_DEFINE(parse, parse_decide, PARSE__COUNT, [PARSE_NEXT] = DP_UNCLAIMED_NODE);
DP_ATTACH_POINT("vnic_input", "parse", PARSE_NEXT)
TRACE_FORMATTER(parse, parse_trace_format);
