// SPDX-License-Identifier: BSD-3-Clause
// parse: check every header and fill the layer offsets in pkt_meta (pkt_parse, parse.c). Comes
// after port_rx; leads to the node attached at `vnic_input` (graph.h), or to pkt_drop with the
// parse drop reason.

#include <stdio.h>

#include <jansson.h>

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

// What parse records for a traced packet.
struct parse_trace {
	uint8_t l3, l4, l4_proto;
	uint16_t vlan_tci, l3_off, l4_off, l3_len;
};

static rte_edge_t parse_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	enum dp_drop_reason reason = pkt_parse(m);
	const struct pkt_meta *meta = pkt_meta(m);

	// Headers across segments: gather them into the first and parse again.
	if (unlikely(reason == DROP_HDR_SEGMENTED) && pkt_pullup(m, PKT_PULLUP_MAX))
		reason = pkt_parse(m);

	TRACE_NOTE(lc, m,
		   ((struct parse_trace){meta->l3, meta->l4, meta->l4_proto, meta->vlan_tci,
					 meta->l3_off, meta->l4_off, meta->l3_len}));
	if (unlikely(reason != DROP_NONE))
		return dp_drop(m, reason);
	return PARSE_NEXT;
}

static const char *parse_name(const char *const *names, size_t n_names, uint64_t i) {
	return i < n_names ? names[i] : "?";
}

static const char *parse_frag(const struct trace_record *r) {
	if (!(r->pkt_flags & PKT_F_IP_FRAG))
		return NULL;
	return (r->pkt_flags & PKT_F_IP_LATER_FRAG) ? "later" : "first";
}

// Control thread. "l3=ip4 l4=tcp proto=6 l3_off=14 l4_off=34 l3_len=60 [vlan=N] [frag=...]".
static void parse_trace_format(const struct trace_record *r, char *buf, size_t size) {
	const struct parse_trace *t = TRACE_DATA(r, struct parse_trace);
	int n;

	if (t == NULL)
		return;
	n = snprintf(buf, size, "l3=%s l4=%s proto=%u l3_off=%u l4_off=%u l3_len=%u",
		     parse_name(parse_l3_names, RTE_DIM(parse_l3_names), t->l3),
		     parse_name(parse_l4_names, RTE_DIM(parse_l4_names), t->l4), t->l4_proto,
		     t->l3_off, t->l4_off, t->l3_len);
	if (n > 0 && (size_t)n < size && (r->pkt_flags & PKT_F_VLAN))
		n += snprintf(buf + n, size - (size_t)n, " vlan=%u", t->vlan_tci);
	if (n > 0 && (size_t)n < size && parse_frag(r) != NULL)
		snprintf(buf + n, size - (size_t)n, " frag=%s", parse_frag(r));
}

static json_t *parse_trace_fields(const struct trace_record *r) {
	const struct parse_trace *t = TRACE_DATA(r, struct parse_trace);
	json_t *o;

	if (t == NULL)
		return NULL;
	o = json_pack("{sssssisisisi}", "l3", parse_name(parse_l3_names, RTE_DIM(parse_l3_names), t->l3),
		      "l4", parse_name(parse_l4_names, RTE_DIM(parse_l4_names), t->l4), "proto",
		      t->l4_proto, "l3_off", t->l3_off, "l4_off", t->l4_off, "l3_len", t->l3_len);
	if (r->pkt_flags & PKT_F_VLAN)
		json_object_set_new(o, "vlan", json_integer(t->vlan_tci));
	if (parse_frag(r) != NULL)
		json_object_set_new(o, "frag", json_string(parse_frag(r)));
	return o;
}

DP_NODE_DEFINE(parse, parse_decide, PARSE__COUNT, [PARSE_NEXT] = DP_UNCLAIMED_NODE);
DP_ATTACH_POINT("vnic_input", "parse", PARSE_NEXT)
TRACE_FORMATTER(parse, parse_trace_format, parse_trace_fields);
