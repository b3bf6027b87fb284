// SPDX-License-Identifier: BSD-3-Clause
// vxlan_decap (RFC 7348): accepts a VXLAN packet only with the I flag and no other flag or
// reserved bit, a VNI of this host's networks, and an outer source that the rules know for that
// VNI; then strips the outer headers, parses the inner frame and hands it to its network. After
// underlay_input (outer headers parsed and checked: IPv4 to our VTEP, UDP to our port); leads
// to the attach point `tunnel_l2_input` (vswitch's tunnel_input).

#include <arpa/inet.h>

#include <rte_graph_worker.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "dataplane/graph.h"
#include "dataplane/parse.h"
#include "overlay/overlay.h"

enum vxlan_decap_edge {
	VXLAN_DECAP_DROP = DP_EDGE_DROP,
	VXLAN_DECAP_L2,
	VXLAN_DECAP__COUNT
};

// The verdict on a (VNI, source VTEP) pair, shared by consecutive packets of a burst.
struct vxlan_decap_memo {
	uint64_t key;                // vni << 32 | source VTEP; 0: empty
	enum dp_drop_reason fail;
	const struct overlay_vni *vni;
	const struct overlay_vtep *vtep;
};

static void vxlan_decap_memo_fill(const struct overlay_cfg *oc, struct vxlan_decap_memo *mo,
				  uint32_t vni_id, rte_be32_t src) {
	void *data;

	mo->key = (uint64_t)vni_id << 32 | src;
	mo->fail = DROP_NONE;
	if (oc == NULL || rte_hash_lookup_data(oc->vnis, &vni_id, &data) < 0) {
		mo->fail = DROP_VXLAN_VNI_UNKNOWN;
		return;
	}
	mo->vni = data;
	if (rte_hash_lookup(oc->known, &mo->key) < 0 ||
	    rte_hash_lookup_data(oc->vteps, &src, &data) < 0) {
		mo->fail = DROP_VXLAN_VTEP_UNKNOWN;
		return;
	}
	mo->vtep = data;
}

static rte_edge_t vxlan_decap_decide(struct dp_lcore *lc, const struct overlay_cfg *oc,
				     struct vxlan_decap_memo *mo, struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_off);
	uint32_t outer_len = meta->l4_off + sizeof(struct rte_udp_hdr) + VXLAN_HDR_LEN;
	const struct rte_vxlan_hdr *vxh;
	uint32_t vni_id, pkt_len = rte_pktmbuf_pkt_len(m);
	enum dp_drop_reason reason;
	uint16_t flags;

	if (outer_len + RTE_ETHER_HDR_LEN > meta->l3_off + meta->l3_len ||
	    outer_len + RTE_ETHER_HDR_LEN > rte_pktmbuf_data_len(m))
		return dp_drop(m, DROP_VXLAN_TRUNCATED);
	vxh = rte_pktmbuf_mtod_offset(m, const struct rte_vxlan_hdr *, outer_len - VXLAN_HDR_LEN);
	// Flags 0x08 exactly, and the 24 reserved bits after the VNI zero (section 5).
	if ((vxh->vx_flags & RTE_BE32(0xff000000)) != RTE_BE32(0x08000000) ||
	    (vxh->vx_flags & RTE_BE32(0x00ffffff)) != 0 || (vxh->vx_vni & RTE_BE32(0xff)) != 0)
		return dp_drop(m, DROP_VXLAN_BAD_HDR);
	vni_id = rte_be_to_cpu_32(vxh->vx_vni) >> 8;
	TRACE_NOTE(lc, m, ((struct vxlan_tunnel_trace){vni_id, ip->src_addr, ip->dst_addr, 0}));
	if (mo->key != ((uint64_t)vni_id << 32 | ip->src_addr))
		vxlan_decap_memo_fill(oc, mo, vni_id, ip->src_addr);
	if (unlikely(mo->fail != DROP_NONE))
		return dp_drop(m, mo->fail);
	if (!(meta->flags & PKT_F_DRY_RUN)) {
		struct overlay_counters *c = overlay_counters[lc->worker];
		c->vtep[mo->vtep->idx].rx_pkts++;
		c->vtep[mo->vtep->idx].rx_bytes += pkt_len;
		c->vni[mo->vni->idx].rx_pkts++;
		c->vni[mo->vni->idx].rx_bytes += pkt_len;
	}
	meta->vni = vni_id;
	meta->vtep = ip->src_addr;
	rte_pktmbuf_adj(m, (uint16_t)outer_len);
	// Ethernet padding of the outer frame is not part of the inner one.
	rte_pktmbuf_trim(m, (uint16_t)(pkt_len - (meta->l3_off + meta->l3_len)));
	flags = meta->flags;
	reason = pkt_parse(m);
	meta->flags |= PKT_F_TUNNEL | (flags & (PKT_F_TRACED | PKT_F_DRY_RUN));
	if (reason != DROP_NONE)
		return dp_drop(m, reason);
	return VXLAN_DECAP_L2;
}

// A burst node (DP_NODE_DEFINE_BURST) so that the packets of a stream share one memo (see struct
// vxlan_decap_memo).
struct vxlan_decap_run {
	const struct overlay_cfg *oc;
	struct vxlan_decap_memo memo;
};

static void vxlan_decap_run_init(struct dp_lcore *lc, struct rte_node *node, void *arg) {
	struct vxlan_decap_run *run = arg;

	RTE_SET_USED(node);
	run->oc = overlay_cfg_get(lc->cfg);
	run->memo = (struct vxlan_decap_memo){.key = 0};
}

static rte_edge_t vxlan_decap_burst_decide(struct dp_lcore *lc, struct rte_node *node, void *arg,
					 struct rte_mbuf *m, uint16_t i) {
	struct vxlan_decap_run *run = arg;

	RTE_SET_USED(node);
	RTE_SET_USED(i);
	return vxlan_decap_decide(lc, run->oc, &run->memo, m);
}

static void vxlan_decap_format(const struct trace_record *r, char *buf, size_t size) {
	const struct vxlan_tunnel_trace *t = TRACE_DATA(r, struct vxlan_tunnel_trace);
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	if (t != NULL)
		snprintf(buf, size, "vni=%u outer_src=%s outer_dst=%s", t->vni,
			 inet_ntop(AF_INET, &t->src, src, sizeof(src)),
			 inet_ntop(AF_INET, &t->dst, dst, sizeof(dst)));
}
TRACE_FORMATTER(vxlan_decap, vxlan_decap_format, vxlan_tunnel_trace_fields)

DP_NODE_DEFINE_BURST(vxlan_decap, struct vxlan_decap_run, vxlan_decap_run_init, NULL,
		     vxlan_decap_burst_decide, VXLAN_DECAP__COUNT,
		     [VXLAN_DECAP_L2] = DP_UNCLAIMED_NODE);
// A decapsulated frame enters its network through whatever the L2 feature attaches here.
DP_ATTACH_POINT("tunnel_l2_input", "vxlan_decap", VXLAN_DECAP_L2)
