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
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_rib6.h>

#include <rte_hash_crc.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dataplane/graph.h"
#include "dataplane/worker.h"
#include "vrouter/icmp_error.h"
#include "vrouter/neigh.h"
#include "vrouter/vrouter.h"
#include "vswitch/bridge.h"

enum ip_route_edge {
	IP_ROUTE_DROP = DP_EDGE_DROP,
	IP_ROUTE_OUT,      // to L2 delivery in the egress network (its MAC lookup)
	IP_ROUTE_CONSUMED, // a packet that left as fragments (each a copy)
	IP_ROUTE_OUTPUT,   // straight to the local port the rules put the neighbour behind
	IP_ROUTE_REMOTE,   // straight to the VTEP the rules put the neighbour behind
	IP_ROUTE__COUNT
};

// An IPv4 packet of at most 9,000 bytes over an MTU of at least 576 (the schema's limits) makes
// at most 17 fragments: the bound of the fragment array.
#define IP_ROUTE_FRAGS_MAX 32

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
	uint8_t path;     // ECMP: the path chosen (of n_paths)
	uint8_t n_paths;
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

// ICMP errors are rate-limited per worker: at most ICMP_HOST_RATE a second in all (bursts of
// ICMP_HOST_BURST), and ICMP_SRC_RATE a second to any one source (bursts of ICMP_SRC_BURST; the
// sources share ICMP_SRC_BUCKETS buckets by hash), so that no tenant can make vnetd an
// amplifier. An error over either limit is not sent, and counted as a drop `icmp_ratelimited`
// of a packet the router made (a copy, in the input port's accounting).
#define ICMP_HOST_RATE 1000
#define ICMP_HOST_BURST 100
#define ICMP_SRC_RATE 10
#define ICMP_SRC_BURST 10
#define ICMP_SRC_BUCKETS 1024

struct ip_route_state {
	struct vr_bucket host;
	struct vr_bucket src[ICMP_SRC_BUCKETS];
	struct vr_vrf_counters vrf[VR_ROUTERS_MAX]; // by vrf_id
};

// Every worker's state, for the control thread's sums (set at graph creation).
static struct ip_route_state *route_states[RTE_MAX_LCORE];
static struct vr_vrf_counters counters_base[VR_ROUTERS_MAX];

static void counters_add(struct vr_vrf_counters *sum, uint16_t vrf_id) {
	for (unsigned int w = 0; w < RTE_DIM(route_states); w++) {
		const struct vr_vrf_counters *c;
		if (route_states[w] == NULL)
			continue;
		c = &route_states[w]->vrf[vrf_id];
		sum->routed += __atomic_load_n(&c->routed, __ATOMIC_RELAXED);
		sum->local += __atomic_load_n(&c->local, __ATOMIC_RELAXED);
		sum->icmp_errors += __atomic_load_n(&c->icmp_errors, __ATOMIC_RELAXED);
		sum->dropped += __atomic_load_n(&c->dropped, __ATOMIC_RELAXED);
	}
}

void vr_counters_sum(uint16_t vrf_id, struct vr_vrf_counters *sum) {
	*sum = (struct vr_vrf_counters){0};
	if (vrf_id >= VR_ROUTERS_MAX)
		return;
	counters_add(sum, vrf_id);
	sum->routed -= counters_base[vrf_id].routed;
	sum->local -= counters_base[vrf_id].local;
	sum->icmp_errors -= counters_base[vrf_id].icmp_errors;
	sum->dropped -= counters_base[vrf_id].dropped;
}

void vr_counters_baseline(uint16_t vrf_id) {
	if (vrf_id >= VR_ROUTERS_MAX)
		return;
	counters_base[vrf_id] = (struct vr_vrf_counters){0};
	counters_add(&counters_base[vrf_id], vrf_id);
}

struct ip_route_ctx {
	struct ip_route_state *state;
};

// Per stream; per chunk: each packet's next hop (0: none), looked up in bulk.
struct ip_route_run {
	struct rte_graph *graph;
	struct rte_node *node;
	const struct vr_cfg *vc;
	const struct bridge_cfg *bc;
	struct ip_route_state *state;
	uint64_t hz;
	bool local;                // the packet decided last was answered by the router
	const struct rte_ether_addr *host_mac; // dp_host_mac()
	uint64_t nh[DP_CHUNK];     // the next hop of packet i of the chunk
};

static void ip_route_run_init(struct dp_lcore *lc, struct rte_node *node, void *arg) {
	struct ip_route_run *run = arg;

	run->vc = vr_cfg_get(lc->cfg);
	run->bc = bridge_cfg_get(lc->cfg);
	run->state = ((struct ip_route_ctx *)node->ctx)->state;
	run->hz = rte_get_tsc_hz();
	run->host_mac = dp_host_mac();
}

// Data path. Keys of the chunk's IPv4 and IPv6 packets into two arrays (at most DP_CHUNK each),
// two bulk lookups in the shared FIBs, the answers back in packet order. IPv4 packets of a router
// with a FIB of its own: one bulk lookup in the first such FIB of the chunk (a chunk is usually
// one router's), one lookup each in any other. n <= DP_CHUNK.
static void ip_route_prepare(struct dp_lcore *lc, struct rte_node *node, void *arg,
			     struct rte_mbuf **pkts, uint16_t n) {
	struct ip_route_run *run = arg;
	const struct vr_cfg *vc = run->vc;
	uint8_t k4[DP_CHUNK][16], k6[DP_CHUNK][16];
	uint32_t a4[DP_CHUNK];
	uint64_t r4[DP_CHUNK], r6[DP_CHUNK], ra[DP_CHUNK];
	uint16_t i4[DP_CHUNK], i6[DP_CHUNK], ia[DP_CHUNK], n4 = 0, n6 = 0, na = 0;
	struct rte_fib *own = NULL;

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
		if (meta->l3 == PKT_L3_IP4) {
			const struct rte_ipv4_hdr *ip =
				rte_pktmbuf_mtod_offset(pkts[i], const struct rte_ipv4_hdr *, meta->l3_off);
			struct rte_fib *f = vc->fib4_own[vrf];

			if (f == NULL && vc->fib4 != NULL) {
				vr_key(vrf, 4, &ip->dst_addr, k4[n4]);
				i4[n4++] = i;
			} else if (f != NULL && (own == NULL || f == own)) {
				own = f;
				a4[na] = rte_be_to_cpu_32(ip->dst_addr);
				ia[na++] = i;
			} else if (f != NULL) {
				uint32_t a = rte_be_to_cpu_32(ip->dst_addr);
				rte_fib_lookup_bulk(f, &a, &run->nh[i], 1);
			}
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
	if (na > 0)
		rte_fib_lookup_bulk(own, a4, ra, na);
	for (uint16_t j = 0; j < n4; j++)
		run->nh[i4[j]] = r4[j];
	for (uint16_t j = 0; j < n6; j++)
		run->nh[i6[j]] = r6[j];
	for (uint16_t j = 0; j < na; j++)
		run->nh[ia[j]] = ra[j];
}

// Traced packets only: the prefix that matched, from the FIB's RIB (read-only, immutable for
// the snapshot's life).
static __rte_noinline void ip_route_note_traced(struct dp_lcore *lc, struct rte_mbuf *m,
						 const struct vr_cfg *vc, uint16_t vrf,
						 const struct vr_nh *nh, uint8_t type,
						 const void *neigh, uint16_t bd_id, uint8_t path) {
	struct ip_route_trace t = {.vrf = vrf, .bd_id = bd_id, .type = type, .path = path,
				   .n_paths = nh != NULL ? nh->n_paths : 0};

	t.family = pkt_meta(m)->l3 == PKT_L3_IP4 ? 4 : 6;
	if (nh != NULL) { // the route that matched: the FIB's RIB knows its prefix
		const struct pkt_meta *meta = pkt_meta(m);
		const uint8_t *dst = rte_pktmbuf_mtod_offset(m, const uint8_t *,
							     meta->l3_off + (t.family == 4 ? 16 : 24));
		int len = vr_route_match_len(vc, vrf, t.family, dst);

		if (len >= 0) {
			uint8_t full = (uint8_t)(len / 8), rest = (uint8_t)(len % 8);
			memcpy(t.prefix, dst, full);
			if (rest != 0)
				t.prefix[full] = (uint8_t)(dst[full] & (0xff << (8 - rest)));
			t.prefix_len = (uint8_t)len;
		}
	}
	if (neigh != NULL)
		memcpy(t.neigh, neigh, t.family == 4 ? 4 : 16);
	TRACE_NOTE(lc, m, t);
}

static __rte_always_inline void ip_route_note(struct dp_lcore *lc, struct rte_mbuf *m,
					      const struct vr_cfg *vc, uint16_t vrf,
					      const struct vr_nh *nh, uint8_t type,
					      const void *neigh, uint16_t bd_id, uint8_t path) {
	if (unlikely(pkt_meta(m)->flags & PKT_F_TRACED))
		ip_route_note_traced(lc, m, vc, vrf, nh, type, neigh, bd_id, path);
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
	eth->src_addr = nh->via[0].mac;
	meta->flags = (uint16_t)((meta->flags & ~PKT_F_TUNNEL) | PKT_F_ROUTED);
	meta->vrf_id = vrf;
	ip_route_note(lc, m, vc, vrf, nh, IP_ROUTE_T_ECHO, NULL, meta->bd_id, 0);
	return IP_ROUTE_OUT;
}

// ICMP types and codes for a drop, per family: {v4 type, v4 code, v6 type, v6 code}.
struct icmp_kind {
	uint8_t t4, c4, t6, c6;
};
static const struct icmp_kind icmp_no_route = {VR_ICMP4_UNREACH, VR_ICMP4_UNREACH_NET,
					       VR_ICMP6_UNREACH, VR_ICMP6_UNREACH_NO_ROUTE};
static const struct icmp_kind icmp_blackhole = {VR_ICMP4_UNREACH, VR_ICMP4_UNREACH_ADMIN,
						VR_ICMP6_UNREACH, VR_ICMP6_UNREACH_ADMIN};
static const struct icmp_kind icmp_host = {VR_ICMP4_UNREACH, VR_ICMP4_UNREACH_HOST,
					   VR_ICMP6_UNREACH, VR_ICMP6_UNREACH_ADDR};
static const struct icmp_kind icmp_ttl = {VR_ICMP4_TIME_EXCEEDED, 0, VR_ICMP6_TIME_EXCEEDED, 0};
static const struct icmp_kind icmp_big = {VR_ICMP4_UNREACH, VR_ICMP4_UNREACH_FRAG_NEEDED,
					  VR_ICMP6_TOO_BIG, 0};
static const struct icmp_kind icmp_port = {VR_ICMP4_UNREACH, VR_ICMP4_UNREACH_PORT,
					   VR_ICMP6_UNREACH, VR_ICMP6_UNREACH_PORT};

// Data path. Count a packet the router made (an ICMP error) on m's input port, dropped for
// `reason` if not DROP_NONE. Synthetic traces count nothing.
static void ip_route_count_made(struct dp_lcore *lc, const struct pkt_meta *meta,
				enum dp_drop_reason reason) {
	uint16_t in = meta->in_port < DP_PORTS_MAX ? meta->in_port : 0;

	if (meta->flags & PKT_F_DRY_RUN)
		return;
	lc->counters.port[in].copies++;
	if (reason != DROP_NONE) {
		lc->counters.port[in].drops++;
		lc->counters.drops[in][reason]++;
	}
}

// Data path. Send the ICMP error `k` about `m` (which the caller drops with `reason`) back
// into m's network, from its gateway, within the rate limits; then drop m with `reason`.
static rte_edge_t ip_route_icmp(struct dp_lcore *lc, struct ip_route_run *run, struct rte_mbuf *m,
				const struct icmp_kind *k, uint16_t mtu,
				enum dp_drop_reason reason) {
	struct pkt_meta *meta = pkt_meta(m), *em;
	const struct vr_cfg *vc = run->vc;
	const struct vr_net *net = &vc->nets[vc->net_of_bd[meta->bd_id]];
	bool v4 = meta->l3 == PKT_L3_IP4;
	const uint8_t *src = v4 ? (net->has_gw4 ? net->gw4 : NULL) : (net->has_gw6 ? net->gw6 : NULL);
	struct rte_mbuf *e;

	if (src == NULL || !vr_icmp_error_allowed(m, meta))
		return dp_drop(m, reason);
	if (!(meta->flags & PKT_F_DRY_RUN)) {
		const uint8_t *sa = rte_pktmbuf_mtod_offset(m, const uint8_t *,
							    meta->l3_off + (v4 ? 12 : 8));
		uint64_t a[2] = {0, 0}; // aligned: the header's addresses need not be
		uint32_t h;

		memcpy(a, sa, v4 ? 4 : 16);
		h = v4 ? rte_hash_crc_4byte((uint32_t)a[0], 0) : rte_hash_crc(a, 16, 0);
		if (!vr_bucket_take(&run->state->src[h & (ICMP_SRC_BUCKETS - 1)], lc->now_tsc,
				    run->hz, ICMP_SRC_RATE, ICMP_SRC_BURST) ||
		    !vr_bucket_take(&run->state->host, lc->now_tsc, run->hz, ICMP_HOST_RATE,
				    ICMP_HOST_BURST)) {
			ip_route_count_made(lc, meta, DROP_ICMP_RATELIMITED);
			return dp_drop(m, reason);
		}
	}
	if (unlikely(!(meta->flags & PKT_F_DRY_RUN) && !dp_copy_budget_take(lc, meta->in_port))) {
		ip_route_count_made(lc, meta, DROP_FLOOD_COPY_LIMIT);
		return dp_drop(m, reason);
	}
	e = rte_pktmbuf_alloc(dp_pktmbuf_pool());
	if (unlikely(e == NULL)) {
		ip_route_count_made(lc, meta, DROP_MBUF_EXHAUSTED);
		return dp_drop(m, reason);
	}
	if (vr_icmp_error_build(e, m, meta, v4 ? k->t4 : k->t6, v4 ? k->c4 : k->c6, mtu, &net->mac,
				src) < 0) {
		rte_pktmbuf_free(e);
		return dp_drop(m, reason);
	}
	em = pkt_meta(e);
	*em = *meta;
	em->flags = (uint16_t)((meta->flags & (PKT_F_TRACED | PKT_F_DRY_RUN)) | PKT_F_ROUTED);
	em->l3_off = RTE_ETHER_HDR_LEN;
	em->l4_off = (uint16_t)(RTE_ETHER_HDR_LEN + (v4 ? sizeof(struct rte_ipv4_hdr)
						       : sizeof(struct rte_ipv6_hdr)));
	em->l3_len = (uint16_t)(rte_pktmbuf_pkt_len(e) - RTE_ETHER_HDR_LEN);
	em->l4 = v4 ? PKT_L4_ICMP : PKT_L4_ICMP6;
	em->l4_proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	em->out_port = PKT_PORT_NONE;
	em->drop_reason = DROP_NONE;
	ip_route_count_made(lc, meta, DROP_NONE);
	if (!(meta->flags & PKT_F_DRY_RUN) && vc->vrf_of_bd[meta->bd_id] < VR_ROUTERS_MAX)
		run->state->vrf[vc->vrf_of_bd[meta->bd_id]].icmp_errors++;
	trace_note_copies(lc, m, 1);
	rte_node_enqueue_x1(run->graph, run->node, IP_ROUTE_OUT, e);
	return dp_drop(m, reason);
}

// Data path. A frame to vnetd's own MAC: the answer to one of its neighbour requests (an ARP
// reply, a neighbour advertisement), told to the control thread and consumed; anything else is
// not for us.
static rte_edge_t ip_route_answer(struct dp_lcore *lc, struct rte_mbuf *m, struct pkt_meta *meta) {
	if (meta->l3 == PKT_L3_ARP) {
		const struct rte_arp_hdr *arp =
			rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, meta->l3_off);
		if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY))
			return dp_drop(m, DROP_L3_NOT_IP);
		if (!(meta->flags & PKT_F_DRY_RUN))
			vr_neigh_event_post(lc, meta->bd_id, 4,
					    (const uint8_t *)&arp->arp_data.arp_sip,
					    &arp->arp_data.arp_sha);
		return IP_ROUTE_CONSUMED;
	}
	if (meta->l4 == PKT_L4_ICMP6 && meta->l3_off + meta->l3_len >= meta->l4_off + 24u &&
	    rte_pktmbuf_data_len(m) >= meta->l4_off + 24u) {
		const uint8_t *na = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off);
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (na[0] != 136)
			return dp_drop(m, DROP_L3_TO_ROUTER);
		// The target link-layer option, when there is one, is the sender's Ethernet source
		// on a link like ours: take that (port security checked it on vNICs).
		if (!(meta->flags & PKT_F_DRY_RUN))
			vr_neigh_event_post(lc, meta->bd_id, 6, na + 8, &eth->src_addr);
		return IP_ROUTE_CONSUMED;
	}
	return dp_drop(m, meta->l3 == PKT_L3_IP4 || meta->l3 == PKT_L3_IP6 ? DROP_L3_TO_ROUTER
									   : DROP_L3_NOT_IP);
}

// Data path. The next hop of m is in neither the rules nor the learned table: hold a copy while
// the control thread asks (the packet itself is consumed; the copy comes back to be routed), or,
// after the next hop did not answer, drop it.
static rte_edge_t ip_route_unresolved(struct dp_lcore *lc, struct ip_route_run *run,
				      struct rte_mbuf *m, uint16_t bd_id, int family,
				      const uint8_t *neigh) {
	struct pkt_meta *meta = pkt_meta(m);

	if (meta->flags & PKT_F_NEIGH_RETRY)
		return ip_route_icmp(lc, run, m, &icmp_host, 0, DROP_NEIGHBOUR_UNRESOLVED);
	if (meta->flags & PKT_F_DRY_RUN) // a synthetic trace asks nobody
		return dp_drop(m, DROP_NEIGHBOUR_UNRESOLVED);
	if (!vr_neigh_hold(m, bd_id, family, neigh))
		return ip_route_icmp(lc, run, m, &icmp_host, 0, DROP_NEIGHBOUR_HOLD_FULL);
	vr_neigh_event_post(lc, bd_id, family, neigh, NULL);
	return IP_ROUTE_CONSUMED;
}

// Data path. A hash of m's flow: addresses, protocol and (TCP/UDP, not a later fragment) ports.
static uint32_t ip_route_flow_hash(const struct rte_mbuf *m, const struct pkt_meta *meta,
				   int family) {
	uint64_t a[4]; // the addresses, aligned: the header need not be
	uint32_t ports, h;

	memcpy(a, rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l3_off + (family == 4 ? 12 : 8)),
	       family == 4 ? 8 : 32);
	h = rte_hash_crc(a, family == 4 ? 8 : 32, meta->l4_proto);
	if ((meta->l4 == PKT_L4_TCP || meta->l4 == PKT_L4_UDP) &&
	    !(meta->flags & PKT_F_IP_LATER_FRAG)) {
		memcpy(&ports, rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_off), 4);
		h = rte_hash_crc_4byte(ports, h);
	}
	return h;
}

// Data path. The path of ECMP next hop `nh` for m's flow: the one its hash picks; when that
// one's neighbour is not known (an appliance gone from the rules), the flow is hashed again
// (up to 2 * n_paths times, then the first known path in order), so that the flows of a path
// that went away spread over the others while the others' flows stay where they are.
// *resolved: a known neighbour was found (its MAC in *mac48); *chosen: the path's index.
static const struct vr_path *ip_route_ecmp(const struct ip_route_run *run,
					   const struct rte_mbuf *m, const struct pkt_meta *meta,
					   const struct vr_nh *nh, int family,
					   uint64_t *mac48, bool *resolved,
					   uint8_t *chosen) {
	const struct vr_path *paths = nh->via;
	uint32_t h = ip_route_flow_hash(m, meta, family);
	uint8_t first = (uint8_t)(h % nh->n_paths);

	for (uint32_t k = 0; k < 3u * nh->n_paths; k++) {
		uint8_t q = k < 2u * nh->n_paths ? (uint8_t)(h % nh->n_paths)
						 : (uint8_t)(k % nh->n_paths); // the scan
		if (paths[q].bd_id != VR_BD_NONE &&
		    ((*mac48 = bridge_ip_mac48(run->bc, paths[q].bd_id, family, paths[q].addr)) != 0 ||
		     (*mac48 = vr_neigh_mac48(paths[q].bd_id, family, paths[q].addr)) != 0)) {
			*resolved = true;
			*chosen = q;
			return &paths[q];
		}
		h = rte_hash_crc_4byte(h, k + 1);
	}
	*resolved = false;
	*chosen = first;
	return &paths[first];
}

// Data path. Fragment the routed IPv4 packet m (headers rewritten, no DF) for `mtu` (RFC 791;
// rte_ipv4_fragment_packet: the fragments' headers are new mbufs, their data indirect mbufs on
// m's), send each fragment on with m's metadata and Ethernet header, and consume m. A packet that
// cannot be fragmented (the pool is empty) is dropped as frag_needed.
static rte_edge_t ip_route_fragment(struct dp_lcore *lc, struct ip_route_run *run,
				    struct rte_mbuf *m, uint16_t mtu) {
	struct rte_mbuf *frags[IP_ROUTE_FRAGS_MAX];
	struct pkt_meta *meta = pkt_meta(m);
	struct rte_ether_hdr eth = *rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t l3_off = meta->l3_off;
	int32_t n;

	rte_pktmbuf_adj(m, l3_off);
	n = rte_ipv4_fragment_packet(m, frags, IP_ROUTE_FRAGS_MAX, mtu, dp_pktmbuf_pool(),
				     dp_pktmbuf_pool());
	rte_pktmbuf_prepend(m, l3_off); // m keeps its frame (a trace or a drop shows it whole)
	if (unlikely(n <= 0))
		return dp_drop(m, DROP_FRAG_NEEDED);
	trace_note_copies(lc, m, (uint16_t)n);
	for (int32_t i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		struct rte_ether_hdr *fe =
			(struct rte_ether_hdr *)rte_pktmbuf_prepend(f, RTE_ETHER_HDR_LEN);
		struct rte_ipv4_hdr *fip;
		struct pkt_meta *fm = pkt_meta(f);

		if (unlikely(!(meta->flags & PKT_F_DRY_RUN) && !dp_copy_budget_take(lc, meta->in_port))) {
			rte_pktmbuf_free(f); // over the walk's budget of made packets: counted, dropped
			ip_route_count_made(lc, meta, DROP_FLOOD_COPY_LIMIT);
			continue;
		}
		if (unlikely(fe == NULL)) { // no headroom: cannot happen with a pool's mbuf
			rte_pktmbuf_free(f);
			ip_route_count_made(lc, meta, DROP_FRAG_NEEDED);
			continue;
		}
		*fe = eth;
		fip = (struct rte_ipv4_hdr *)(fe + 1);
		fip->hdr_checksum = 0; // the library leaves it to the caller
		fip->hdr_checksum = rte_ipv4_cksum(fip);
		*fm = *meta;
		fm->l3_off = RTE_ETHER_HDR_LEN;
		fm->l3_len = rte_be_to_cpu_16(fip->total_length);
		fm->flags |= PKT_F_IP_FRAG;
		if (fip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) {
			fm->flags |= PKT_F_IP_LATER_FRAG;
			fm->l4 = PKT_L4_NONE;
			fm->l4_off = 0;
		} else {
			fm->l4_off = (uint16_t)(meta->l4_off - l3_off + RTE_ETHER_HDR_LEN);
		}
		ip_route_count_made(lc, meta, DROP_NONE);
		rte_node_enqueue_x1(run->graph, run->node, IP_ROUTE_OUT, f);
	}
	return IP_ROUTE_CONSUMED;
}

static rte_edge_t ip_route_decide_one(struct dp_lcore *lc, struct rte_node *node, void *arg,
				      struct rte_mbuf *m, uint16_t i) {
	struct ip_route_run *run = arg;
	const struct vr_cfg *vc = run->vc;
	struct pkt_meta *meta = pkt_meta(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t vrf = vc != NULL && meta->bd_id < BRIDGE_MAX ? vc->vrf_of_bd[meta->bd_id]
							      : VR_VRF_NONE;
	const struct vr_nh *nh;
	const struct vr_path *p;
	uint64_t mac48 = 0; // the neighbour's MAC in the low 48 bits (0: not known)
	const uint8_t *dst, *neigh;
	bool resolved = false, fragment = false;
	uint8_t chosen = 0;
	int family;

	RTE_SET_USED(node);
	// vnetd's own request for a next hop (neigh.c), built for its network: deliver it.
	if (unlikely(meta->flags & PKT_F_ROUTED))
		return IP_ROUTE_OUT;
	if (unlikely(vrf == VR_VRF_NONE))
		return dp_drop(m, DROP_L3_NO_ROUTER);
	if (unlikely(rte_is_same_ether_addr(&eth->dst_addr, run->host_mac)))
		return ip_route_answer(lc, m, meta);
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
	if (unlikely(run->nh[i] == 0 || run->nh[i] > VR_NH_MAX)) {
		ip_route_note(lc, m, vc, vrf, NULL, VR_NH_NONE, NULL, VR_BD_NONE, 0);
		return ip_route_icmp(lc, run, m, &icmp_no_route, 0, DROP_NO_ROUTE);
	}
	nh = &vc->nh[run->nh[i]];
	switch (nh->type) {
	case VR_NH_CONNECTED:
		if (unlikely(nh->has_gw && memcmp(dst, nh->gw, family == 4 ? 4 : 16) == 0)) {
			if (meta->l4 == PKT_L4_UDP)
				return ip_route_icmp(lc, run, m, &icmp_port, 0, DROP_L3_TO_ROUTER);
			run->local = true;
			return ip_route_echo(lc, m, meta, vc, vrf, nh);
		}
		neigh = dst;
		p = &nh->via[0];
		break;
	case VR_NH_GATEWAY:
		if (nh->n_paths > 1) {
			p = ip_route_ecmp(run, m, meta, nh, family, &mac48, &resolved, &chosen);
		} else {
			p = &nh->via[0];
			resolved = p->bd_id != VR_BD_NONE &&
				   (mac48 = bridge_ip_mac48(run->bc, p->bd_id, family, p->addr)) != 0;
		}
		neigh = p->addr;
		break;
	default:
		ip_route_note(lc, m, vc, vrf, nh, nh->type, NULL, VR_BD_NONE, 0);
		return ip_route_icmp(lc, run, m, &icmp_blackhole, 0, DROP_ROUTE_BLACKHOLE);
	}
	if (nh->type == VR_NH_CONNECTED)
		resolved = (mac48 = bridge_ip_mac48(run->bc, p->bd_id, family, neigh)) != 0;
	ip_route_note(lc, m, vc, vrf, nh, nh->type, neigh, p->bd_id, chosen);
	if (unlikely(p->bd_id == VR_BD_NONE))
		return ip_route_icmp(lc, run, m, &icmp_host, 0, DROP_NEXTHOP_UNREACHABLE);
	if (family == 4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  meta->l3_off);
		rte_be16_t old, new, sum;

		if (unlikely(ip->time_to_live <= 1))
			return ip_route_icmp(lc, run, m, &icmp_ttl, 0, DROP_TTL_EXCEEDED);
		if (unlikely(meta->l3_len > p->mtu)) {
			// DF: the sender learns the path MTU; otherwise the router fragments.
			if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))
				return ip_route_icmp(lc, run, m, &icmp_big, p->mtu, DROP_FRAG_NEEDED);
			fragment = true;
		}
		if (unlikely(!resolved) &&
		    !(resolved = (mac48 = vr_neigh_mac48(p->bd_id, family, neigh)) != 0))
			return ip_route_unresolved(lc, run, m, p->bd_id, family, neigh);
		// TTL and protocol are one 16-bit word of the header: read it once, store it once
		// (a byte store then a word reload would stall on store forwarding).
		memcpy(&old, &ip->time_to_live, 2);
		new = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(old) - 0x100));
		memcpy(&ip->time_to_live, &new, 2);
		sum = ip->hdr_checksum;
		csum_replace16(&sum, old, new);
		ip->hdr_checksum = sum;
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								  meta->l3_off);

		if (unlikely(ip->hop_limits <= 1))
			return ip_route_icmp(lc, run, m, &icmp_ttl, 0, DROP_TTL_EXCEEDED);
		if (unlikely(meta->l3_len > p->mtu))
			return ip_route_icmp(lc, run, m, &icmp_big, p->mtu, DROP_FRAG_NEEDED);
		if (unlikely(!resolved) &&
		    !(resolved = (mac48 = vr_neigh_mac48(p->bd_id, family, neigh)) != 0))
			return ip_route_unresolved(lc, run, m, p->bd_id, family, neigh);
		ip->hop_limits--;
	}
	eth->src_addr = p->mac;
	memcpy(&eth->dst_addr, &mac48, RTE_ETHER_ADDR_LEN);
	meta->bd_id = p->bd_id;
	meta->vni = p->vni;
	meta->vrf_id = vrf;
	meta->out_port = PKT_PORT_NONE;
	meta->flags = (uint16_t)((meta->flags & ~PKT_F_TUNNEL) | PKT_F_ROUTED);
	if (unlikely(fragment))
		return ip_route_fragment(lc, run, m, p->mtu);
	// The neighbour's place in the egress network's static MAC table (a port or a remote port
	// of the rules): go there at once, without a second L2 lookup. A neighbour known only by
	// learning takes the L2 lookup.
	{
		uint64_t d = bridge_static_lookup_mac48(run->bc, p->bd_id, mac48);

		if (likely(d != 0) && MAC_DATA_PORT(d) != BRIDGE_PORT_ROUTER) {
			if (MAC_DATA_VTEP(d) != 0) {
				meta->vtep = MAC_DATA_VTEP(d);
				return IP_ROUTE_REMOTE;
			}
			meta->out_port = MAC_DATA_PORT(d);
			return IP_ROUTE_OUTPUT;
		}
	}
	return IP_ROUTE_OUT;
}

// decide, and the router's counters: routed (one per packet sent on, fragments or not), local
// (echo replies), dropped. Synthetic traces count nothing.
static rte_edge_t ip_route_decide(struct dp_lcore *lc, struct rte_node *node, void *arg,
				  struct rte_mbuf *m, uint16_t i) {
	struct ip_route_run *run = arg;
	struct pkt_meta *meta = pkt_meta(m);
	uint16_t vrf = run->vc != NULL && meta->bd_id < BRIDGE_MAX ? run->vc->vrf_of_bd[meta->bd_id]
								   : VR_VRF_NONE;
	bool own = (meta->flags & PKT_F_ROUTED) != 0; // vnetd's own neighbour request
	rte_edge_t e;

	run->local = false;
	e = ip_route_decide_one(lc, node, arg, m, i);
	if (unlikely(vrf >= VR_ROUTERS_MAX || own || (meta->flags & PKT_F_DRY_RUN)))
		return e;
	if (e == IP_ROUTE_DROP)
		run->state->vrf[vrf].dropped++;
	else if (e == IP_ROUTE_OUT && run->local)
		run->state->vrf[vrf].local++;
	else if (e == IP_ROUTE_OUT || e == IP_ROUTE_OUTPUT || e == IP_ROUTE_REMOTE ||
		 (e == IP_ROUTE_CONSUMED && (meta->flags & PKT_F_ROUTED)))
		run->state->vrf[vrf].routed++; // fragmented: CONSUMED after the rewrite (ROUTED set)
	return e;
}

static const char *const nh_type_text[] = {
	[VR_NH_NONE] = "no route",
	[VR_NH_CONNECTED] = "connected",
	[VR_NH_GATEWAY] = "via",
	[VR_NH_BLACKHOLE] = "blackhole",
};

// The name of the router of vrf_id `vrf` in the current snapshot (traces are shown after the
// fact: "?" if it is gone).
static const char *vrf_name(uint16_t vrf) {
	const struct vr_cfg *vc = vr_cfg_get(dp_config_current());

	if (vc == NULL || vrf >= VR_ROUTERS_MAX || vc->vrf_pos[vrf] >= vc->n_vrfs ||
	    vc->vrfs[vc->vrf_pos[vrf]].vrf_id != vrf)
		return "?";
	return vc->vrfs[vc->vrf_pos[vrf]].id;
}

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
		snprintf(buf, size, "router %s: echo request to the gateway of %s/%u: replied", vrf_name(t->vrf),
			 p, t->prefix_len);
	else if (t->type == VR_NH_NONE)
		snprintf(buf, size, "router %s: no route", vrf_name(t->vrf));
	else if (t->type == VR_NH_BLACKHOLE)
		snprintf(buf, size, "router %s: %s/%u blackhole", vrf_name(t->vrf), p, t->prefix_len);
	else if (t->type < RTE_DIM(nh_type_text) && t->n_paths > 1)
		snprintf(buf, size, "router %s: %s/%u via %s in bd %u (ECMP: path %u of %u, by flow hash)",
			 vrf_name(t->vrf), p, t->prefix_len, n, t->bd_id, t->path + 1, t->n_paths);
	else if (t->type == VR_NH_GATEWAY)
		snprintf(buf, size, "router %s: %s/%u via %s in bd %u", vrf_name(t->vrf), p,
			 t->prefix_len, n, t->bd_id);
	else if (t->type < RTE_DIM(nh_type_text))
		snprintf(buf, size, "router %s: %s/%u %s, neighbour %s in bd %u", vrf_name(t->vrf), p,
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
	o = json_pack("{sssi}", "router", vrf_name(t->vrf), "vrf", t->vrf);
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
	if (t->n_paths > 1) {
		json_object_set_new(o, "ecmp_path", json_integer(t->path));
		json_object_set_new(o, "ecmp_paths", json_integer(t->n_paths));
	}
	return o;
}
TRACE_FORMATTER(ip_route, ip_route_format, ip_route_fields)

// Control thread, at graph creation: the worker's ICMP rate-limit state.
static int ip_route_init(const struct rte_graph *graph, struct rte_node *node) {
	struct ip_route_ctx *ctx = (struct ip_route_ctx *)node->ctx;

	RTE_BUILD_BUG_ON(sizeof(struct ip_route_ctx) > RTE_NODE_CTX_SZ);
	ctx->state = rte_zmalloc_socket("ip_route_state", sizeof(*ctx->state), RTE_CACHE_LINE_SIZE,
					graph->socket);
	if (ctx->state == NULL)
		return -ENOMEM;
	for (unsigned int w = 0; w < RTE_DIM(route_states); w++)
		if (route_states[w] == NULL) {
			route_states[w] = ctx->state;
			break;
		}
	return 0;
}

static void ip_route_fini(const struct rte_graph *graph, struct rte_node *node) {
	struct ip_route_state *st = ((struct ip_route_ctx *)node->ctx)->state;

	RTE_SET_USED(graph);
	for (unsigned int w = 0; w < RTE_DIM(route_states); w++)
		if (route_states[w] == st)
			route_states[w] = NULL;
	rte_free(st);
}

// The burst loop of DP_NODE_DEFINE_BURST, with the graph at hand: ICMP errors are packets the
// node makes and enqueues itself.
static uint16_t ip_route_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				 uint16_t n) {
	struct ip_route_run run;

	run.graph = graph;
	run.node = node;
	return dp_node_run_burst(graph, node, objs, n, &run, ip_route_run_init, ip_route_prepare,
				 ip_route_decide);
}

static struct rte_node_register ip_route_node = {
	.name = "ip_route",
	.process = ip_route_process,
	.init = ip_route_init,
	.fini = ip_route_fini,
	.nb_edges = IP_ROUTE__COUNT,
	.next_nodes = {
		[IP_ROUTE_DROP] = DP_DROP_NODE,
		[IP_ROUTE_OUT] = DP_UNCLAIMED_NODE,
		[IP_ROUTE_CONSUMED] = "pkt_consume",
		[IP_ROUTE_OUTPUT] = "port_tx",
		[IP_ROUTE_REMOTE] = DP_UNCLAIMED_NODE,
	},
};
RTE_NODE_REGISTER(ip_route_node);
// Routed packets are delivered in their egress network by whatever switches it (vswitch:
// l2_lookup).
DP_ATTACH_POINT("l3_output", "ip_route", IP_ROUTE_OUT)
// A neighbour the rules place behind a local port or a VTEP: the same points as L2 delivery.
DP_ATTACH_POINT("vnic_output", "ip_route", IP_ROUTE_OUTPUT)
DP_ATTACH_POINT("tunnel_output", "ip_route", IP_ROUTE_REMOTE)
