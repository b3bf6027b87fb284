// SPDX-License-Identifier: BSD-3-Clause
// vxlan_flood: head-end replication. A broadcast, multicast or unknown unicast frame from a local
// port goes to every VTEP of its network's flood list, one copy each (rte_pktmbuf_copy; the
// original takes the last VTEP). A burst node, because one packet in makes several out. After
// l2_flood (vswitch); leads to vxlan_encap.

#include <jansson.h>
#include <rte_graph_worker.h>

#include "dataplane/graph.h"
#include "overlay/overlay.h"

enum vxlan_flood_edge {
	VXLAN_FLOOD_DROP = DP_EDGE_DROP,
	VXLAN_FLOOD_ENCAP,
	VXLAN_FLOOD__COUNT
};

// What vxlan_flood records: how many VTEPs the frame was replicated to, for which VNI.
struct vxlan_flood_trace {
	uint16_t n_vteps;
	uint32_t vni;
};

static void vxlan_flood_one(struct rte_graph *graph, struct rte_node *node, struct dp_lcore *lc,
			    const struct overlay_cfg *oc, struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	const struct overlay_vni *vni = NULL;
	void *data;

	if (oc != NULL && rte_hash_lookup_data(oc->vnis, &meta->vni, &data) >= 0)
		vni = data;
	if (vni == NULL || vni->n_flood == 0) {
		meta->drop_reason = DROP_L2_FLOOD_NO_PORTS;
		if (unlikely(meta->flags & PKT_F_TRACED))
			trace_add(lc, m, node->id, VXLAN_FLOOD_DROP, 0);
		rte_node_enqueue_x1(graph, node, VXLAN_FLOOD_DROP, m);
		return;
	}
	// Bound: n_flood <= OVERLAY_FLOOD_MAX (the flood[] array); copies per walk are bounded by
	// dp_pkt_copy (DP_COPIES_PER_WALK), which counts and drops what it cannot make.
	RTE_ASSERT(vni->n_flood <= RTE_DIM(vni->flood));
	trace_note_copies(lc, m, (uint16_t)(vni->n_flood - 1));
	for (uint16_t i = 0; i + 1 < vni->n_flood; i++) {
		struct rte_mbuf *c = dp_pkt_copy(lc, node->id, m);
		if (unlikely(c == NULL))
			continue;
		pkt_meta(c)->vtep = vni->flood[i]->ip;
		rte_node_enqueue_x1(graph, node, VXLAN_FLOOD_ENCAP, c);
	}
	meta->vtep = vni->flood[vni->n_flood - 1]->ip;
	if (unlikely(meta->flags & PKT_F_TRACED)) {
		TRACE_NOTE(lc, m, ((struct vxlan_flood_trace){vni->n_flood, meta->vni}));
		trace_add(lc, m, node->id, VXLAN_FLOOD_ENCAP, 0);
	}
	rte_node_enqueue_x1(graph, node, VXLAN_FLOOD_ENCAP, m);
}

static uint16_t vxlan_flood_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t n) {
	struct dp_lcore *lc = dp_lcore_get();
	const struct overlay_cfg *oc = overlay_cfg_get(lc->cfg);

	for (uint16_t i = 0; i < n; i++)
		vxlan_flood_one(graph, node, lc, oc, objs[i]);
	return n;
}

static void vxlan_flood_format(const struct trace_record *r, char *buf, size_t size) {
	const struct vxlan_flood_trace *t = TRACE_DATA(r, struct vxlan_flood_trace);

	if (t != NULL)
		snprintf(buf, size, "replicate to %u VTEP(s) of vni %u", t->n_vteps, t->vni);
}

static json_t *vxlan_flood_fields(const struct trace_record *r) {
	const struct vxlan_flood_trace *t = TRACE_DATA(r, struct vxlan_flood_trace);

	return t != NULL ? json_pack("{sisi}", "vteps", t->n_vteps, "vni", (int)t->vni) : NULL;
}
TRACE_FORMATTER(vxlan_flood, vxlan_flood_format, vxlan_flood_fields)

static struct rte_node_register vxlan_flood_node = {
	.name = "vxlan_flood",
	.process = vxlan_flood_process,
	.nb_edges = VXLAN_FLOOD__COUNT,
	.next_nodes = {
		[VXLAN_FLOOD_DROP] = DP_DROP_NODE,
		[VXLAN_FLOOD_ENCAP] = "vxlan_encap",
	},
};
RTE_NODE_REGISTER(vxlan_flood_node);
