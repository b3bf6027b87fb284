// SPDX-License-Identifier: BSD-3-Clause
// vxlan_encap (RFC 7348 section 5): wraps a frame for meta->vtep in Ethernet / IPv4 / UDP / VXLAN
// with the network's VNI and sends it out of the underlay port. The UDP source port is a hash of
// the inner headers (ECMP entropy), the outer destination MAC that of the next hop, resolved by
// ARP (neigh.c). After l2_lookup (a remote MAC) or vxlan_flood (a copy per flood VTEP); leads to
// port_tx.

#include <string.h>

#include <rte_graph_worker.h>
#include <rte_hash_crc.h>
#include <rte_memcpy.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "dataplane/graph.h"
#include "overlay/overlay.h"

enum vxlan_encap_edge {
	VXLAN_ENCAP_DROP = DP_EDGE_DROP,
	VXLAN_ENCAP_TX,
	VXLAN_ENCAP__COUNT
};

// Entropy for the outer UDP source port: the inner Ethernet addresses and, for IP, the L3
// addresses and L4 ports; mapped into 49152..65535 (the dynamic range, section 5).
static uint16_t vxlan_src_port(struct rte_mbuf *m, const struct pkt_meta *meta) {
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t w = 0;
	uint32_t v = 0, h;

	// Words are copied out: the headers need not be aligned.
	memcpy(&w, p, 8);
	memcpy(&v, p + 8, 4);
	h = rte_hash_crc_4byte(v, rte_hash_crc_8byte(w, 0));
	if (meta->l3 == PKT_L3_IP4) {
		memcpy(&w, p + meta->l3_off + 12, 8);
		h = rte_hash_crc_8byte(w, h);
	} else if (meta->l3 == PKT_L3_IP6) {
		for (uint32_t o = 8; o < 40; o += 8) {
			memcpy(&w, p + meta->l3_off + o, 8);
			h = rte_hash_crc_8byte(w, h);
		}
	}
	if (meta->l4 == PKT_L4_TCP || meta->l4 == PKT_L4_UDP) {
		memcpy(&v, p + meta->l4_off, 4);
		h = rte_hash_crc_4byte(v, h);
	}
	return (uint16_t)(49152 + (h % 16384));
}

// What consecutive packets to the same VTEP and VNI share (packets of one burst mostly do): the
// lookups and the outer headers, whose IPv4 checksum is then updated for each packet's length
// only (RFC 1624). Valid for one burst.
struct vxlan_encap_memo {
	rte_be32_t vtep_ip;
	uint32_t vni_id;
	const struct overlay_vtep *vtep;
	const struct overlay_vni *vni;
	enum dp_drop_reason fail;   // why this VTEP/VNI cannot be reached, or DROP_NONE
	uint32_t ip_sum;            // one's complement sum of the outer IPv4 header, length 0
	uint8_t hdr[VXLAN_OVERHEAD]; // the outer headers, lengths and source port 0
};

static void vxlan_encap_memo_fill(struct dp_lcore *lc, const struct overlay_cfg *oc,
				  struct vxlan_encap_memo *mo, const struct pkt_meta *meta) {
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)mo->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct rte_vxlan_hdr *vxh = (struct rte_vxlan_hdr *)(udp + 1);
	struct rte_ether_addr nh_mac;
	void *data;

	mo->vtep_ip = meta->vtep;
	mo->vni_id = meta->vni;
	mo->fail = DROP_NONE;
	if (oc == NULL || rte_hash_lookup_data(oc->vteps, &meta->vtep, &data) < 0 ||
	    ((const struct overlay_vtep *)data)->next_hop == 0) {
		mo->fail = DROP_NEIGH_NO_ROUTE;
		return;
	}
	mo->vtep = data;
	if (!neigh_lookup(mo->vtep->next_hop, &nh_mac)) {
		if (!(meta->flags & PKT_F_DRY_RUN))
			neigh_event_post(lc, mo->vtep->next_hop, NULL);
		mo->fail = DROP_NEIGH_UNRESOLVED;
		return;
	}
	if (rte_hash_lookup_data(oc->vnis, &meta->vni, &data) < 0) {
		mo->fail = DROP_VXLAN_VNI_UNKNOWN;
		return;
	}
	mo->vni = data;
	eth->dst_addr = nh_mac;
	eth->src_addr = underlay.mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.type_of_service = (uint8_t)(underlay.dscp << 2),
		.time_to_live = underlay.ttl,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = underlay.addr,
		.dst_addr = meta->vtep,
	};
	mo->ip_sum = rte_raw_cksum(ip, sizeof(*ip));
	*udp = (struct rte_udp_hdr){.dst_port = rte_cpu_to_be_16(underlay.udp_port)};
	vxh->vx_flags = RTE_BE32(0x08000000);
	vxh->vx_vni = rte_cpu_to_be_32(meta->vni << 8);
}

static rte_edge_t vxlan_encap_decide(struct dp_lcore *lc, const struct overlay_cfg *oc,
				     struct vxlan_encap_memo *mo, struct rte_mbuf *m) {
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t inner_len = rte_pktmbuf_pkt_len(m), sum;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t sport;
	uint8_t *hdr;

	if (mo->vtep_ip != meta->vtep || mo->vni_id != meta->vni || mo->vtep_ip == 0)
		vxlan_encap_memo_fill(lc, oc, mo, meta);
	if (unlikely(mo->fail != DROP_NONE))
		return dp_drop(m, mo->fail);
	sport = vxlan_src_port(m, meta);
	hdr = (uint8_t *)rte_pktmbuf_prepend(m, VXLAN_OVERHEAD);
	if (unlikely(hdr == NULL))
		return dp_drop(m, DROP_HDR_SEGMENTED);
	rte_memcpy(hdr, mo->hdr, VXLAN_OVERHEAD);
	ip = (struct rte_ipv4_hdr *)(hdr + sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(inner_len + VXLAN_OVERHEAD - 14));
	sum = mo->ip_sum + ip->total_length;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = (uint16_t)~sum;
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner_len + 16)); // checksum 0 (section 5)
	meta->out_port = underlay.port_id;
	if (!(meta->flags & PKT_F_DRY_RUN)) {
		struct overlay_counters *c = overlay_counters[lc->worker];
		c->vtep[mo->vtep->idx].tx_pkts++;
		c->vtep[mo->vtep->idx].tx_bytes += inner_len + VXLAN_OVERHEAD;
		c->vni[mo->vni->idx].tx_pkts++;
		c->vni[mo->vni->idx].tx_bytes += inner_len + VXLAN_OVERHEAD;
	}
	TRACE_NOTE(lc, m, ((struct vxlan_tunnel_trace){meta->vni, underlay.addr, meta->vtep, sport}));
	return VXLAN_ENCAP_TX;
}

// A burst node (DP_NODE_DEFINE_BURST) so that the packets of a stream share one memo (see struct
// vxlan_encap_memo).
struct vxlan_encap_run {
	const struct overlay_cfg *oc;
	struct vxlan_encap_memo memo;
};

static void vxlan_encap_run_init(struct dp_lcore *lc, struct rte_node *node, void *arg) {
	struct vxlan_encap_run *run = arg;

	RTE_SET_USED(node);
	run->oc = overlay_cfg_get(lc->cfg);
	run->memo = (struct vxlan_encap_memo){.vtep_ip = 0};
}

static rte_edge_t vxlan_encap_burst_decide(struct dp_lcore *lc, struct rte_node *node, void *arg,
					 struct rte_mbuf *m, uint16_t i) {
	struct vxlan_encap_run *run = arg;

	RTE_SET_USED(node);
	RTE_SET_USED(i);
	return vxlan_encap_decide(lc, run->oc, &run->memo, m);
}

static void vxlan_encap_format(const struct trace_record *r, char *buf, size_t size) {
	const struct vxlan_tunnel_trace *t = TRACE_DATA(r, struct vxlan_tunnel_trace);
	char src[INET_ADDRSTRLEN], vtep[INET_ADDRSTRLEN];

	if (t != NULL)
		snprintf(buf, size, "vni=%u vtep=%s outer_src=%s udp_sport=%u", t->vni,
			 inet_ntop(AF_INET, &t->dst, vtep, sizeof(vtep)),
			 inet_ntop(AF_INET, &t->src, src, sizeof(src)), t->udp_sport);
}
TRACE_FORMATTER(vxlan_encap, vxlan_encap_format, vxlan_tunnel_trace_fields)

DP_NODE_DEFINE_BURST(vxlan_encap, struct vxlan_encap_run, vxlan_encap_run_init, NULL,
		     vxlan_encap_burst_decide, VXLAN_ENCAP__COUNT, [VXLAN_ENCAP_TX] = "port_tx");
