// SPDX-License-Identifier: BSD-3-Clause
// vxlan_encap (RFC 7348 section 5): wraps a frame for meta->vtep in Ethernet / IPv4 / UDP / VXLAN
// with the network's VNI and sends it out of the underlay port. The UDP source port is a hash of
// the inner headers (ECMP entropy), the outer destination MAC that of the next hop, resolved by
// ARP (neigh.c). After l2_lookup (a remote MAC) or vxlan_flood (a copy per flood VTEP); leads to
// port_tx.

#include <rte_hash_crc.h>
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
	uint32_t h = rte_hash_crc(p, 12, 0);

	if (meta->l3 == PKT_L3_IP4)
		h = rte_hash_crc(p + meta->l3_off + 12, 8, h);
	else if (meta->l3 == PKT_L3_IP6)
		h = rte_hash_crc(p + meta->l3_off + 8, 32, h);
	if (meta->l4 == PKT_L4_TCP || meta->l4 == PKT_L4_UDP)
		h = rte_hash_crc(p + meta->l4_off, 4, h);
	return (uint16_t)(49152 + (h % 16384));
}

static rte_edge_t vxlan_encap_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	const struct overlay_cfg *oc = overlay_cfg_get(lc->cfg);
	struct pkt_meta *meta = pkt_meta(m);
	uint32_t inner_len = rte_pktmbuf_pkt_len(m);
	const struct overlay_vtep *vtep;
	const struct overlay_vni *vni;
	struct rte_ether_addr nh_mac;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_vxlan_hdr *vxh;
	uint16_t sport;
	void *data;

	if (oc == NULL || rte_hash_lookup_data(oc->vteps, &meta->vtep, &data) < 0)
		return dp_drop(m, DROP_NEIGH_NO_ROUTE);
	vtep = data;
	if (vtep->next_hop == 0)
		return dp_drop(m, DROP_NEIGH_NO_ROUTE);
	if (!neigh_lookup(vtep->next_hop, &nh_mac)) {
		if (!(meta->flags & PKT_F_DRY_RUN))
			neigh_event_post(lc, vtep->next_hop, NULL);
		return dp_drop(m, DROP_NEIGH_UNRESOLVED);
	}
	if (rte_hash_lookup_data(oc->vnis, &meta->vni, &data) < 0)
		return dp_drop(m, DROP_VXLAN_VNI_UNKNOWN);
	vni = data;
	sport = vxlan_src_port(m, meta);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, VXLAN_OVERHEAD);
	if (unlikely(eth == NULL))
		return dp_drop(m, DROP_HDR_SEGMENTED);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	vxh = (struct rte_vxlan_hdr *)(udp + 1);
	eth->dst_addr = nh_mac;
	eth->src_addr = underlay.mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.type_of_service = (uint8_t)(underlay.dscp << 2),
		.total_length = rte_cpu_to_be_16((uint16_t)(inner_len + VXLAN_OVERHEAD - 14)),
		.time_to_live = underlay.ttl,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = underlay.addr,
		.dst_addr = meta->vtep,
	};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*udp = (struct rte_udp_hdr){
		.src_port = rte_cpu_to_be_16(sport),
		.dst_port = rte_cpu_to_be_16(underlay.udp_port),
		.dgram_len = rte_cpu_to_be_16((uint16_t)(inner_len + 16)),
		.dgram_cksum = 0, // optional over IPv4 (section 5)
	};
	vxh->vx_flags = RTE_BE32(0x08000000);
	vxh->vx_vni = rte_cpu_to_be_32(meta->vni << 8);
	meta->out_port = underlay.port_id;
	if (!(meta->flags & PKT_F_DRY_RUN)) {
		struct overlay_counters *c = overlay_counters[lc->worker];
		c->vtep[vtep->idx].tx_pkts++;
		c->vtep[vtep->idx].tx_bytes += inner_len + VXLAN_OVERHEAD;
		c->vni[vni->idx].tx_pkts++;
		c->vni[vni->idx].tx_bytes += inner_len + VXLAN_OVERHEAD;
	}
	pkt_trace_note(m, meta->vni, (uint64_t)rte_be_to_cpu_32(meta->vtep) << 16 | sport);
	return VXLAN_ENCAP_TX;
}

static void vxlan_encap_format(const struct trace_record *r, char *buf, size_t size) {
	uint32_t a = (uint32_t)(r->aux[1] >> 16);
	char src[INET_ADDRSTRLEN];

	snprintf(buf, size, "vni=%" PRIu64 " vtep=%u.%u.%u.%u outer_src=%s udp_sport=%u", r->aux[0],
		 a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
		 inet_ntop(AF_INET, &underlay.addr, src, sizeof(src)), (unsigned int)(r->aux[1] & 0xffff));
}
TRACE_FORMATTER(vxlan_encap, vxlan_encap_format)

DP_NODE_DEFINE(vxlan_encap, vxlan_encap_decide, VXLAN_ENCAP__COUNT,
	[VXLAN_ENCAP_TX] = "port_tx");
