// SPDX-License-Identifier: BSD-3-Clause
// tunnel_input: a frame decapsulated by the overlay (meta->vni, meta->vtep set, inner headers
// parsed) enters its network here: the VNI names the bridge domain. After vxlan_decap; leads to
// l2_lookup. Local frames enter through port_security instead.

#include <jansson.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"
#include "vswitch/l2_admit.h"

enum tunnel_input_edge {
	TUNNEL_INPUT_DROP = DP_EDGE_DROP,
	TUNNEL_INPUT_L2,
	TUNNEL_INPUT__COUNT
};

static RTE_DEFINE_PER_LCORE(struct {
	uint64_t tsc;
	const struct dp_lcore *lc;
	uint32_t vni;
	uint16_t bd_id;
}, tunnel_memo_state);
#define tunnel_memo RTE_PER_LCORE(tunnel_memo_state)

// What tunnel_input records: the VNI and the bridge domain it chose.
struct tunnel_input_trace {
	uint32_t vni;
	uint16_t bd_id;
};

static rte_edge_t tunnel_input_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	struct pkt_meta *meta = pkt_meta(m);
	uint16_t bd_id;

	// Consecutive packets mostly share their VNI: remember the last one (per worker, per walk).
	if (lc->now_tsc == tunnel_memo.tsc && meta->vni == tunnel_memo.vni && lc == tunnel_memo.lc) {
		bd_id = tunnel_memo.bd_id;
	} else {
		bd_id = bc != NULL ? bridge_vni_lookup(bc, meta->vni) : PKT_BD_NONE;
		tunnel_memo = (typeof(tunnel_memo)){lc->now_tsc, lc, meta->vni, bd_id};
	}
	const struct bridge *b;
	enum dp_drop_reason reason;

	b = bridge_lookup(bc, bd_id);
	// The overlay checked the VNI against the same snapshot: this is a guard, not a filter.
	if (unlikely(b == NULL))
		return dp_drop(m, DROP_VXLAN_VNI_UNKNOWN);
	meta->bd_id = bd_id;
	reason = l2_admit(b, m, meta);
	if (unlikely(reason != DROP_NONE))
		return dp_drop(m, reason);
	TRACE_NOTE(lc, m, ((struct tunnel_input_trace){meta->vni, bd_id}));
	return TUNNEL_INPUT_L2;
}

static void tunnel_input_format(const struct trace_record *r, char *buf, size_t size) {
	const struct tunnel_input_trace *t = TRACE_DATA(r, struct tunnel_input_trace);

	if (t != NULL)
		snprintf(buf, size, "vni=%u bd=%u", t->vni, t->bd_id);
}

static json_t *tunnel_input_fields(const struct trace_record *r) {
	const struct tunnel_input_trace *t = TRACE_DATA(r, struct tunnel_input_trace);

	return t != NULL ? json_pack("{sisi}", "vni", (int)t->vni, "bd", t->bd_id) : NULL;
}
TRACE_FORMATTER(tunnel_input, tunnel_input_format, tunnel_input_fields)

DP_NODE_DEFINE(tunnel_input, tunnel_input_decide, TUNNEL_INPUT__COUNT,
	[TUNNEL_INPUT_L2] = "l2_lookup");
DP_ATTACH_POINT("l2_input", "tunnel_input", TUNNEL_INPUT_L2)
