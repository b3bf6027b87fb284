// SPDX-License-Identifier: BSD-3-Clause
// ip_route: a frame addressed to its network's router MAC (the gateway; from l2_lookup through the
// attach point `l3_input`, from a local vNIC or decapsulated alike) is routed in the network's
// VRF: longest-prefix match in the VRF's FIB (vrouter.h: one rte_fib6 per family, the VRF in the
// key, looked up in bulk per chunk), then
//   - a connected route: the destination itself is the neighbour; an echo request to the subnet's
//     gateway address is answered here;
//   - a static route: its next hop is the neighbour;
//   - a blackhole route, or no route: dropped with its reason.
// The neighbour's MAC comes from the egress network's address table (the rules know every local
// and remote port's addresses: no ARP is needed for them). The packet leaves with TTL / hop limit
// decremented (the IPv4 checksum updated incrementally), source MAC = router MAC, destination
// MAC = the neighbour's, in the egress network (bridge domain and VNI), the tunnel flag cleared
// (a frame decapsulated here and routed leaves in VXLAN again if its neighbour is remote), then
// goes to L2 delivery in that network through the attach point `l3_output` (vswitch:
// l2_lookup).

#include <arpa/inet.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_rib6.h>

#include "dataplane/graph.h"
#include "vrouter/vrouter.h"
#include "vswitch/bridge.h"

enum ip_route_edge {
	IP_ROUTE_DROP = DP_EDGE_DROP,
	IP_ROUTE_OUT,
	IP_ROUTE__COUNT
};

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define IP_ROUTE_REPLY_TTL 64

// What ip_route records: the VRF, the route that matched (its prefix, as the FIB's RIB holds it),
// the next hop chosen and why, the egress network.
struct ip_route_trace {
	uint16_t vrf;
	uint16_t bd_id;   // egress
	uint8_t type;     // enum vr_nh_type, or IP_ROUTE_T_* below
	uint8_t family;
	uint8_t prefix_len;
	uint8_t pad;
	uint8_t prefix[16];
	uint8_t neigh[16];
};
#define IP_ROUTE_T_ECHO 100 // echo request to a gateway: answered

// Data path. RFC 1624 (eqn. 3): the one's complement checksum `*sum` (network order) after a
// 16-bit word of the summed data went from `old` to `new` (both network order).
static inline void csum_replace16(rte_be16_t *sum, rte_be16_t old, rte_be16_t new) {
	uint32_t s = (uint16_t)~rte_be_to_cpu_16(*sum);

	s += (uint16_t)~rte_be_to_cpu_16(old);
	s += rte_be_to_cpu_16(new);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*sum = rte_cpu_to_be_16((uint16_t)~s);
}

// The checksum at bytes 2..3 of an ICMP / ICMPv6 header, after its first word changed.
static inline void icmp_csum_replace(uint8_t *l4, rte_be16_t old, rte_be16_t new) {
	rte_be16_t sum;

	memcpy(&sum, l4 + 2, 2);
	csum_replace16(&sum, old, new);
	memcpy(l4 + 2, &sum, 2);
}

// Per chunk: each packet's next hop (0: none), looked up in bulk.
struct ip_route_run {
	const struct vr_cfg *vc;
	const struct bridge_cfg *bc;
	uint64_t nh[DP_CHUNK];     // the next hop of packet i of the chunk
};

static void ip_route_run_init(struct dp_lcore *lc, struct rte_node *node, void *arg) {
	struct ip_route_run *run = arg;

	RTE_SET_USED(node);
	run->vc = vr_cfg_get(lc->cfg);
	run->bc = bridge_cfg_get(lc->cfg);
}

// Data path. Keys of the chunk's IPv4 and IPv6 packets into two arrays (at most DP_CHUNK each),
// two bulk lookups, the answers back in packet order. n <= DP_CHUNK.
static void ip_route_prepare(struct dp_lcore *lc, struct rte_node *node, void *arg,
			     struct rte_mbuf **pkts, uint16_t n) {
	struct ip_route_run *run = arg;
	const struct vr_cfg *vc = run->vc;
	uint8_t k4[DP_CHUNK][16], k6[DP_CHUNK][16];
	uint64_t r4[DP_CHUNK], r6[DP_CHUNK];
	uint16_t i4[DP_CHUNK], i6[DP_CHUNK], n4 = 0, n6 = 0;

	RTE_SET_USED(lc);
	RTE_SET_USED(node);
	RTE_ASSERT(n <= DP_CHUNK);
	for (uint16_t i = 0; i < n; i++) {
		const struct pkt_meta *meta = pkt_meta(pkts[i]);
		uint16_t vrf = vc != NULL && meta->bd_id < BRIDGE_MAX ? vc->vrf_of_bd[meta->bd_id]
								      : VR_VRF_NONE;

		run->nh[i] = 0;
		if (vrf == VR_VRF_NONE)
			continue;
		if (meta->l3 == PKT_L3_IP4 && vc->fib4 != NULL) {
			const struct rte_ipv4_hdr *ip =
				rte_pktmbuf_mtod_offset(pkts[i], const struct rte_ipv4_hdr *, meta->l3_off);
			vr_key(vrf, 4, &ip->dst_addr, k4[n4]);
			i4[n4++] = i;
		} else if (meta->l3 == PKT_L3_IP6 && vc->fib6 != NULL) {
			const struct rte_ipv6_hdr *ip =
				rte_pktmbuf_mtod_offset(pkts[i], const struct rte_ipv6_hdr *, meta->l3_off);
			vr_key(vrf, 6, ip->dst_addr, k6[n6]);
			i6[n6++] = i;
		}
	}
	if (n4 > 0)
		rte_fib6_lookup_bulk(vc->fib4, k4, r4, n4);
	if (n6 > 0)
		rte_fib6_lookup_bulk(vc->fib6, k6, r6, n6);
	for (uint16_t j = 0; j < n4; j++)
		run->nh[i4[j]] = r4[j];
	for (uint16_t j = 0; j < n6; j++)
		run->nh[i6[j]] = r6[j];
}

// Traced packets only: the prefix that matched, from the FIB's RIB (read-only, immutable for
// the snapshot's life).
static void ip_route_note(struct dp_lcore *lc, struct rte_mbuf *m, const struct vr_cfg *vc,
			  uint16_t vrf, const struct vr_nh *nh, uint8_t type, const void *neigh,
			  uint16_t bd_id) {
	struct ip_route_trace t = {.vrf = vrf, .bd_id = bd_id, .type = type};

	if (likely(!(pkt_meta(m)->flags & PKT_F_TRACED)))
		return;
	if (nh != NULL) {
		t.family = nh->family;
		t.prefix_len = nh->prefix_len;
		memcpy(t.prefix, nh->prefix, 16);
	} else {
		t.family = pkt_meta(m)->l3 == PKT_L3_IP4 ? 4 : 6;
	}
	if (neigh != NULL)
		memcpy(t.neigh, neigh, t.family == 4 ? 4 : 16);
	RTE_SET_USED(vc);
	TRACE_NOTE(lc, m, t);
}

// Data path. Answer an ICMP / ICMPv6 echo request to a gateway address in place: back to the
// sender in the same network, from the gateway.
static rte_edge_t ip_route_echo(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta,
				const struct vr_cfg *vc, uint16_t vrf, const struct vr_nh *nh) {
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l4_off);
	rte_be16_t old, new;

	if (meta->l4_off == 0 || rte_pktmbuf_data_len(m) < meta->l4_off + 4u ||
	    (meta->flags & PKT_F_IP_FRAG))
		return dp_drop(m, DROP_L3_TO_ROUTER);
	if (meta->l3 == PKT_L3_IP4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  meta->l3_off);
		rte_be32_t a = ip->src_addr;

		if (meta->l4 != PKT_L4_ICMP || l4[0] != RTE_IP_ICMP_ECHO_REQUEST || l4[1] != 0)
			return dp_drop(m, DROP_L3_TO_ROUTER);
		memcpy(&old, l4, 2);
		l4[0] = RTE_IP_ICMP_ECHO_REPLY;
		memcpy(&new, l4, 2);
		icmp_csum_replace(l4, old, new);
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->time_to_live = IP_ROUTE_REPLY_TTL;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								  meta->l3_off);
		uint8_t a[16];

		if (meta->l4 != PKT_L4_ICMP6 || l4[0] != ICMP6_ECHO_REQUEST || l4[1] != 0)
			return dp_drop(m, DROP_L3_TO_ROUTER);
		memcpy(&old, l4, 2);
		l4[0] = ICMP6_ECHO_REPLY;
		memcpy(&new, l4, 2);
		// The pseudo-header's addresses are swapped, not changed: the sum stays.
		icmp_csum_replace(l4, old, new);
		memcpy(a, ip->src_addr, 16);
		memcpy(ip->src_addr, ip->dst_addr, 16);
		memcpy(ip->dst_addr, a, 16);
		ip->hop_limits = IP_ROUTE_REPLY_TTL;
	}
	eth->dst_addr = eth->src_addr;
	eth->src_addr = vc->nets[nh->net].mac;
	meta->flags = (uint16_t)((meta->flags & ~PKT_F_TUNNEL) | PKT_F_ROUTED);
	meta->vrf_id = vrf;
	ip_route_note(lc, m, vc, vrf, nh, IP_ROUTE_T_ECHO, NULL, meta->bd_id);
	return IP_ROUTE_OUT;
}

static rte_edge_t ip_route_decide(struct dp_lcore *lc, struct rte_node *node, void *arg,
				  struct rte_mbuf *m, uint16_t i) {
	struct ip_route_run *run = arg;
	const struct vr_cfg *vc = run->vc;
	struct pkt_meta *meta = pkt_meta(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t vrf = vc != NULL && meta->bd_id < BRIDGE_MAX ? vc->vrf_of_bd[meta->bd_id]
							      : VR_VRF_NONE;
	const struct vr_nh *nh;
	struct rte_ether_addr mac;
	const uint8_t *dst, *neigh;
	int family;

	RTE_SET_USED(node);
	if (unlikely(vrf == VR_VRF_NONE))
		return dp_drop(m, DROP_L3_NO_ROUTER);
	if (meta->l3 == PKT_L3_IP4) {
		dst = (const uint8_t *)&rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								meta->l3_off)->dst_addr;
		family = 4;
	} else if (meta->l3 == PKT_L3_IP6) {
		dst = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, meta->l3_off)->dst_addr;
		family = 6;
	} else {
		return dp_drop(m, DROP_L3_NOT_IP);
	}
	if (unlikely(run->nh[i] == 0 || run->nh[i] >= vc->n_nh)) {
		ip_route_note(lc, m, vc, vrf, NULL, VR_NH_NONE, NULL, VR_BD_NONE);
		return dp_drop(m, DROP_NO_ROUTE);
	}
	nh = &vc->nh[run->nh[i]];
	switch (nh->type) {
	case VR_NH_CONNECTED:
		if (unlikely(nh->has_gw && memcmp(dst, nh->gw, family == 4 ? 4 : 16) == 0))
			return ip_route_echo(lc, m, meta, vc, vrf, nh);
		neigh = dst;
		break;
	case VR_NH_GATEWAY:
		neigh = nh->addr;
		break;
	default:
		ip_route_note(lc, m, vc, vrf, nh, nh->type, NULL, VR_BD_NONE);
		return dp_drop(m, DROP_ROUTE_BLACKHOLE);
	}
	ip_route_note(lc, m, vc, vrf, nh, nh->type, neigh, nh->bd_id);
	if (unlikely(nh->bd_id == VR_BD_NONE))
		return dp_drop(m, DROP_NEXTHOP_UNREACHABLE);
	if (unlikely(meta->l3_len > nh->mtu))
		return dp_drop(m, DROP_FRAG_NEEDED);
	if (unlikely(!bridge_ip_lookup(run->bc, nh->bd_id, family, neigh, &mac)))
		return dp_drop(m, DROP_NEIGHBOUR_UNKNOWN);
	if (family == 4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  meta->l3_off);
		rte_be16_t old, new, sum;

		if (unlikely(ip->time_to_live <= 1))
			return dp_drop(m, DROP_TTL_EXCEEDED);
		memcpy(&old, &ip->time_to_live, 2); // TTL and protocol: one 16-bit word
		ip->time_to_live--;
		memcpy(&new, &ip->time_to_live, 2);
		sum = ip->hdr_checksum;
		csum_replace16(&sum, old, new);
		ip->hdr_checksum = sum;
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								  meta->l3_off);

		if (unlikely(ip->hop_limits <= 1))
			return dp_drop(m, DROP_TTL_EXCEEDED);
		ip->hop_limits--;
	}
	eth->src_addr = vc->nets[nh->net].mac;
	eth->dst_addr = mac;
	meta->bd_id = nh->bd_id;
	meta->vni = nh->vni;
	meta->vrf_id = vrf;
	meta->out_port = PKT_PORT_NONE;
	meta->flags = (uint16_t)((meta->flags & ~PKT_F_TUNNEL) | PKT_F_ROUTED);
	return IP_ROUTE_OUT;
}

static const char *const nh_type_text[] = {
	[VR_NH_NONE] = "no route",
	[VR_NH_CONNECTED] = "connected",
	[VR_NH_GATEWAY] = "via",
	[VR_NH_BLACKHOLE] = "blackhole",
};

static void ip_route_format(const struct trace_record *r, char *buf, size_t size) {
	const struct ip_route_trace *t = TRACE_DATA(r, struct ip_route_trace);
	int af;
	char p[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];

	if (t == NULL)
		return;
	af = t->family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, t->prefix, p, sizeof(p));
	inet_ntop(af, t->neigh, n, sizeof(n));
	if (t->type == IP_ROUTE_T_ECHO)
		snprintf(buf, size, "vrf %u: echo request to the gateway of %s/%u: replied", t->vrf,
			 p, t->prefix_len);
	else if (t->type == VR_NH_NONE)
		snprintf(buf, size, "vrf %u: no route", t->vrf);
	else if (t->type == VR_NH_BLACKHOLE)
		snprintf(buf, size, "vrf %u: %s/%u blackhole", t->vrf, p, t->prefix_len);
	else if (t->type < RTE_DIM(nh_type_text))
		snprintf(buf, size, "vrf %u: %s/%u %s, neighbour %s in bd %u", t->vrf, p,
			 t->prefix_len, nh_type_text[t->type], n, t->bd_id);
}

static json_t *ip_route_fields(const struct trace_record *r) {
	const struct ip_route_trace *t = TRACE_DATA(r, struct ip_route_trace);
	char p[INET6_ADDRSTRLEN + 4], n[INET6_ADDRSTRLEN];
	int af;
	json_t *o;

	if (t == NULL)
		return NULL;
	af = t->family == 4 ? AF_INET : AF_INET6;
	o = json_pack("{si}", "vrf", t->vrf);
	if (t->type == VR_NH_NONE) {
		json_object_set_new(o, "route", json_null());
		return o;
	}
	inet_ntop(af, t->prefix, p, sizeof(p));
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%u", t->prefix_len);
	json_object_set_new(o, "route", json_string(p));
	json_object_set_new(o, "type", json_string(t->type == IP_ROUTE_T_ECHO ? "echo_reply"
						   : t->type < RTE_DIM(nh_type_text)
							   ? (t->type == VR_NH_GATEWAY ? "gateway"
											: nh_type_text[t->type])
							   : "?"));
	if (t->type == VR_NH_CONNECTED || t->type == VR_NH_GATEWAY) {
		json_object_set_new(o, "neighbour", json_string(inet_ntop(af, t->neigh, n, sizeof(n))));
		json_object_set_new(o, "bd", json_integer(t->bd_id));
	}
	return o;
}
TRACE_FORMATTER(ip_route, ip_route_format, ip_route_fields)

DP_NODE_DEFINE_BURST(ip_route, struct ip_route_run, ip_route_run_init, ip_route_prepare,
		     ip_route_decide, IP_ROUTE__COUNT,
		     [IP_ROUTE_OUT] = DP_UNCLAIMED_NODE);
// Routed packets are delivered in their egress network by whatever switches it (vswitch:
// l2_lookup).
DP_ATTACH_POINT("l3_output", "ip_route", IP_ROUTE_OUT)
