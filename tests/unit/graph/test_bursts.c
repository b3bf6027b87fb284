// SPDX-License-Identifier: BSD-3-Clause
// Burst shapes (issue 6): the real graph driven in-process (tests/lib/graph_harness.h) with bursts
// of n = 1, 63, 64, 65, 255 and 256 packets of the worst shapes: all unknown destinations with
// new sources (learning on), all broadcast, all to one remote VTEP, all traced, mixed drops and
// forwards, from several ports at once, VXLAN from a VTEP with learning on, and a broadcast storm
// into a network with the most flood VTEPs allowed. After every burst: each port's counters
// close (rx + injected + copies == sent + drops + consumed), the shape's own figures are exact,
// and every mbuf is back in the pool. Runs under ASan + UBSan in CI.

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "dataplane/event.h"
#include "dataplane/graph.h"
#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "overlay/overlay.h"
#include "tests/lib/graph_harness.h"
#include "dataplane/drop_ring.h"
#include "tests/lib/harness.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"
#include "vrouter/neigh.h"

#define MAC_A "02:00:00:00:01:0a"
#define MAC_B "02:00:00:00:01:0b"
#define MAC_T "02:00:00:00:01:0c"
#define MAC_REMOTE "02:00:00:00:09:01"
#define BCAST "ff:ff:ff:ff:ff:ff"
#define MAC_ROUTER "02:00:00:00:00:fe"
#define STORM_VTEPS 256 // OVERLAY_FLOOD_MAX: the most a network may list

static const uint16_t sizes[] = {1, 63, 64, 65, 255, 256};
static char rules[64 * 1024];

static void rules_build(void) {
	int n = snprintf(rules, sizeof(rules),
		"{\"revision\": 1,"
		" \"networks\": ["
		"  {\"id\": \"red\", \"tenant\": \"red\", \"vni\": 100,"
		"   \"flood_vteps\": [\"192.0.2.12\", \"192.0.2.13\"]},"
		"  {\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 200, \"vxlan_learning\": true,"
		"   \"flood_vteps\": [\"192.0.2.12\"]},"
		"  {\"id\": \"rin\", \"tenant\": \"rt\", \"vni\": 400, \"router\": \"rr\","
		"   \"subnets\": [{\"cidr\": \"10.40.0.0/24\", \"gateway\": \"10.40.0.1\"}]},"
		"  {\"id\": \"rout\", \"tenant\": \"rt\", \"vni\": 401, \"router\": \"rr\", \"mtu\": 576,"
		"   \"subnets\": [{\"cidr\": \"10.41.0.0/24\", \"gateway\": \"10.41.0.1\"}]},"
		"  {\"id\": \"fw\", \"tenant\": \"ft\", \"vni\": 500},"
		"  {\"id\": \"storm\", \"tenant\": \"green\", \"vni\": 300, \"flood_vteps\": [");
	for (int i = 0; i < STORM_VTEPS; i++)
		n += snprintf(rules + n, sizeof(rules) - (size_t)n, "%s\"198.51.%d.%d\"",
			      i ? "," : "", 100 + i / 200, 1 + i % 200);
	snprintf(rules + n, sizeof(rules) - (size_t)n,
		"]}],"
		" \"ports\": ["
		"  {\"id\": \"ra\", \"network\": \"red\", \"device\": \"net_null40\", \"mac\": \"" MAC_A "\","
		"   \"ips\": [\"10.0.0.10\"]},"
		"  {\"id\": \"rb\", \"network\": \"red\", \"device\": \"net_null41\", \"mac\": \"" MAC_B "\","
		"   \"ips\": [\"10.0.0.11\"]},"
		"  {\"id\": \"rt\", \"network\": \"red\", \"device\": \"net_null42\", \"mac\": \"" MAC_T "\","
		"   \"port_security\": false},"
		"  {\"id\": \"ba\", \"network\": \"blue\", \"device\": \"net_null43\", \"mac\": \"" MAC_A "\","
		"   \"ips\": [\"10.0.0.10\"]},"
		"  {\"id\": \"bb\", \"network\": \"blue\", \"device\": \"net_null44\", \"mac\": \"" MAC_B "\","
		"   \"ips\": [\"10.0.0.11\"]},"
		"  {\"id\": \"sa\", \"network\": \"storm\", \"device\": \"net_null45\", \"mac\": \"" MAC_A "\","
		"   \"ips\": [\"10.0.0.10\"]},"
		"  {\"id\": \"ia\", \"network\": \"rin\", \"device\": \"net_null46\", \"mac\": \"" MAC_A "\","
		"   \"ips\": [\"10.40.0.10\"]},"
		"  {\"id\": \"ob\", \"network\": \"rout\", \"device\": \"net_null47\", \"mac\": \"" MAC_B "\","
		"   \"ips\": [\"10.41.0.11\"]},"
		// Firewall: fa and fb in group web (ingress TCP 80, egress anything).
		"  {\"id\": \"fa\", \"network\": \"fw\", \"device\": \"net_null48\", \"mac\": \"" MAC_A "\","
		"   \"ips\": [\"10.50.0.10\"], \"security_groups\": [\"web\"]},"
		"  {\"id\": \"fb\", \"network\": \"fw\", \"device\": \"net_null49\", \"mac\": \"" MAC_B "\","
		"   \"ips\": [\"10.50.0.11\"], \"security_groups\": [\"web\"]}],"
		" \"security_groups\": [{\"id\": \"web\", \"tenant\": \"ft\", \"rules\": ["
		"   {\"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"80\"},"
		"   {\"direction\": \"egress\"}]}],"
		" \"remote_ports\": [{\"network\": \"red\", \"mac\": \"" MAC_REMOTE "\","
		"   \"ips\": [\"10.0.0.91\"], \"vtep\": \"192.0.2.12\"}],"
		// Routing: rin (MTU 1500) and rout (MTU 576) on router rr.
		" \"routers\": [{\"id\": \"rr\", \"tenant\": \"rt\", \"mac\": \"" MAC_ROUTER "\"}]"
		"}");

}

// A VXLAN frame from VTEP 192.0.2.12 to our underlay address carrying `inner` (len bytes).
static struct rte_mbuf *vxlan_frame(uint32_t vni, const uint8_t *inner, size_t len) {
	uint8_t buf[2048] = {0};
	struct rte_ether_hdr *eth = (void *)buf;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	struct rte_udp_hdr *udp = (void *)(ip + 1);
	struct rte_vxlan_hdr *vxh = (void *)(udp + 1);

	eth->dst_addr = underlay.mac;
	rules_parse_mac("02:00:00:00:aa:12", &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + 8 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, "192.0.2.12", &ip->src_addr);
	ip->dst_addr = underlay.addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = RTE_BE16(50000);
	udp->dst_port = rte_cpu_to_be_16(underlay.udp_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + 8 + len));
	vxh->vx_flags = RTE_BE32(0x08000000);
	vxh->vx_vni = rte_cpu_to_be_32(vni << 8);
	memcpy(vxh + 1, inner, len);
	return harness_mbuf(buf, (uint32_t)(sizeof(*eth) + 36 + len), underlay.port_id);
}

static void mac_n(char *buf, size_t size, unsigned int base, unsigned int i) {
	snprintf(buf, size, "02:00:00:%02x:%02x:%02x", base, (i >> 8) & 0xff, i & 0xff);
}

enum shape {
	SHAPE_UNKNOWN_NEW_SOURCES, // from the learning port to unknown MACs, each from a new MAC
	SHAPE_BROADCAST,           // from a port-security port, all broadcast
	SHAPE_REMOTE,              // all to one MAC behind a VTEP
	SHAPE_TRACED,              // the first shape with every packet traced
	SHAPE_DRY_RUN,             // the same as synthetic trace packets: nothing counted or sent
	SHAPE_MIXED,               // forwards, spoofs, truncations and ARP answered, interleaved
	SHAPE_MANY_PORTS,          // from five ports and the underlay into the same streams
	SHAPE_DECAP_LEARNING,      // VXLAN, unknown inner destinations, new sources, learning on
	SHAPE_STORM,               // broadcast into a network with 256 flood VTEPs
	SHAPE_ROUTED_FRAGMENTS,    // routed into a smaller MTU without DF: three fragments each
	SHAPE_ROUTED_TTL,          // routed with TTL 1: an ICMP error each (within the rate limit)
	SHAPE_ROUTED_UNRESOLVED,   // routed to a next hop nobody has: held for the control thread
	SHAPE_FW_NEW,              // a new TCP connection each, fa -> fb: to port 80 allowed, 22 not
	SHAPE_FW_INVALID,          // SYN-ACKs of no connection (conntrack invalid)
};

static uint16_t P(const char *name) {
	return harness_port(name);
}

static struct rte_mbuf *one(enum shape shape, unsigned int i, unsigned int salt) {
	char src[32], dst[32];
	uint8_t inner[128];

	mac_n(src, sizeof(src), 0x40 + salt, i);
	mac_n(dst, sizeof(dst), 0x80 + salt, i);
	switch (shape) {
	case SHAPE_UNKNOWN_NEW_SOURCES:
	case SHAPE_TRACED:
	case SHAPE_DRY_RUN:
		return harness_mbuf_from(PKT_IP(.in_port = P("rt"), .src_mac = src, .dst_mac = dst,
						.src_ip = "10.9.9.9", .dst_ip = "10.0.0.10"));
	case SHAPE_BROADCAST:
		return harness_mbuf_from(PKT_IP(.in_port = P("ra"), .src_mac = MAC_A, .dst_mac = BCAST,
						.src_ip = "10.0.0.10", .dst_ip = "10.0.0.255"));
	case SHAPE_REMOTE:
		return harness_mbuf_from(PKT_IP(.in_port = P("ra"), .src_mac = MAC_A,
						.dst_mac = MAC_REMOTE, .src_ip = "10.0.0.10",
						.dst_ip = "10.0.0.91", .payload_len = (uint16_t)(i % 64)));
	case SHAPE_MIXED:
		switch (i % 4) {
		case 0:
			return harness_mbuf_from(PKT_IP(.in_port = P("ra"), .src_mac = MAC_A,
							.dst_mac = MAC_B, .src_ip = "10.0.0.10",
							.dst_ip = "10.0.0.11"));
		case 1:
			return harness_mbuf_from(PKT_IP(.in_port = P("ra"), .src_mac = MAC_A,
							.dst_mac = MAC_B, .src_ip = "10.0.0.99",
							.dst_ip = "10.0.0.11"));
		case 2:
			return harness_mbuf("\x02\x00\x00\x00\x01\x0b\x02\x00\x00\x00", 10, P("ra"));
		default:
			return harness_mbuf_from(pktgen_arp(P("ra"), MAC_A, BCAST, 1, MAC_A,
							    "10.0.0.10", "10.0.0.11"));
		}
	case SHAPE_MANY_PORTS:
		switch (i % 5) {
		case 0:
			return one(SHAPE_BROADCAST, i, salt);
		case 1:
			return harness_mbuf_from(PKT_IP(.in_port = P("rb"), .src_mac = MAC_B,
							.dst_mac = MAC_A, .src_ip = "10.0.0.11",
							.dst_ip = "10.0.0.10"));
		case 2:
			return one(SHAPE_UNKNOWN_NEW_SOURCES, i, salt);
		case 3:
			return harness_mbuf_from(PKT_IP(.in_port = P("ba"), .src_mac = MAC_A,
							.dst_mac = MAC_B, .src_ip = "10.0.0.10",
							.dst_ip = "10.0.0.11"));
		default:
			return one(SHAPE_DECAP_LEARNING, i, salt);
		}
	case SHAPE_DECAP_LEARNING: {
		struct rte_mbuf *pb = PKT_IP(.in_port = 0, .src_mac = src, .dst_mac = dst,
					     .src_ip = "10.0.0.50", .dst_ip = "10.0.0.60");
		size_t len = rte_pktmbuf_data_len(pb);
		memcpy(inner, rte_pktmbuf_mtod(pb, void *), len);
		pktbuf_destroy(pb);
		return vxlan_frame(200, inner, len);
	}
	case SHAPE_STORM:
		return harness_mbuf_from(PKT_IP(.in_port = P("sa"), .src_mac = MAC_A, .dst_mac = BCAST,
						.src_ip = "10.0.0.10", .dst_ip = "10.0.0.255"));
	case SHAPE_ROUTED_FRAGMENTS:
		return harness_mbuf_from(PKT_IP(.in_port = P("ia"), .src_mac = MAC_A,
						.dst_mac = MAC_ROUTER, .src_ip = "10.40.0.10",
						.dst_ip = "10.41.0.11", .payload_len = 1400));
	case SHAPE_ROUTED_TTL:
		return harness_mbuf_from(PKT_IP(.in_port = P("ia"), .src_mac = MAC_A,
						.dst_mac = MAC_ROUTER, .src_ip = "10.40.0.10",
						.dst_ip = "10.41.0.11", .ttl = 1));
	case SHAPE_FW_NEW:
	case SHAPE_FW_INVALID:
		return harness_mbuf_from(PKT_IP(.in_port = P("fa"), .src_mac = MAC_A, .dst_mac = MAC_B,
						.src_ip = "10.50.0.10", .dst_ip = "10.50.0.11",
						.proto = 6, .sport = (uint16_t)(1024 + salt * 300 + i),
						.udp_dst = shape == SHAPE_FW_NEW && i % 2 ? 22 : 80,
						.tcp_flags = shape == SHAPE_FW_NEW
								     ? RTE_TCP_SYN_FLAG
								     : RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
						.seq = 1000 + i));
	case SHAPE_ROUTED_UNRESOLVED:
		return harness_mbuf_from(PKT_IP(.in_port = P("ia"), .src_mac = MAC_A,
						.dst_mac = MAC_ROUTER, .src_ip = "10.40.0.10",
						.dst_ip = "10.41.0.99"));
	}
	return NULL;
}

// Counter deltas of one run.
static struct dp_counters before, after;
static unsigned int traced; // trace records of the last run, kept and lost
static uint64_t ring_before, ring_after; // the drop ring's sampled + skipped around a run

#define D(field, p) (after.port[p].field - before.port[p].field)
#define DROPS(p, reason) (after.drops[p][reason] - before.drops[p][reason])

static void run(struct harness *h, enum shape shape, uint16_t n, unsigned int salt) {
	static struct rte_mbuf *pkts[256];
	unsigned int in_use = harness_pool_in_use();
	char err[256];

	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = one(shape, i, salt);
		assert_non_null(pkts[i]);
		if (shape == SHAPE_TRACED || shape == SHAPE_DRY_RUN) {
			pkt_meta(pkts[i])->flags |= PKT_F_TRACED;
			pkt_meta(pkts[i])->trace_id = 1000 + i;
		}
		if (shape == SHAPE_DRY_RUN)
			pkt_meta(pkts[i])->flags |= PKT_F_DRY_RUN;
	}
	before = h->lc->counters;
	ring_before = h->lc->drop_ring->sampled + h->lc->drop_ring->skipped;
	harness_graph_run(h, pkts, n);
	after = h->lc->counters;
	ring_after = h->lc->drop_ring->sampled + h->lc->drop_ring->skipped;
	// Learning and neighbour events are the control thread's business: drop them here; the
	// packets held for next hops go back (no worker here: freed).
	for (struct dp_event ev; harness_event_pop(h, &ev);)
		;
	vr_neigh_release_all();
	if (!harness_counters_close(h, err, sizeof(err)))
		fail_msg("shape %d n=%u: %s", shape, n, err);
	assert_int_equal(harness_pool_in_use(), in_use);
}

// One packet through the graph, then the control thread's turn: its events handled.
static void run_one(struct harness *h, struct rte_mbuf *m) {
	struct dp_event ev;

	harness_graph_run(h, &m, 1);
	while (harness_event_pop(h, &ev))
		dp_event_dispatch(&ev);
}

static void each_size(void **state, enum shape shape,
		      void (*check)(struct harness *h, uint16_t n, unsigned int per)) {
	struct harness *h = *state;
	unsigned int per = 0;

	// `per`: trace records of one packet (kept or lost), from the burst of one.
	for (size_t s = 0; s < RTE_DIM(sizes); s++) {
		run(h, shape, sizes[s], (unsigned int)s);
		traced = harness_trace_drain(h) + (unsigned int)(after.trace_lost - before.trace_lost);
		if (s == 0)
			per = traced;
		check(h, sizes[s], per);
	}
}

static void check_unknown(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t rt = P("rt");

	RTE_SET_USED(per);
	// Each frame floods to ra, rb and the two VTEPs: three copies, four sent.
	assert_int_equal(D(rx_pkts, rt), n);
	assert_int_equal(D(copies, rt), 3 * n);
	assert_int_equal(D(sent, rt), 4 * n);
	assert_int_equal(D(drops, rt), 0);
	assert_int_equal(D(tx_pkts, P("ra")), n);
	assert_int_equal(D(tx_pkts, P("rb")), n);
	assert_int_equal(D(tx_pkts, underlay.port_id), 2 * n);
	RTE_SET_USED(h);
}

static void unknown_destinations_new_sources(void **state) {
	each_size(state, SHAPE_UNKNOWN_NEW_SOURCES, check_unknown);
}

static void check_broadcast(struct harness *h, uint16_t n, unsigned int per) {
	RTE_SET_USED(h);
	RTE_SET_USED(per);
	assert_int_equal(D(copies, P("ra")), 3 * n);
	assert_int_equal(D(sent, P("ra")), 4 * n);
	assert_int_equal(D(tx_pkts, P("rt")), n);
	assert_int_equal(D(tx_pkts, underlay.port_id), 2 * n);
}

static void all_broadcast(void **state) {
	each_size(state, SHAPE_BROADCAST, check_broadcast);
}

static void check_remote(struct harness *h, uint16_t n, unsigned int per) {
	RTE_SET_USED(h);
	RTE_SET_USED(per);
	assert_int_equal(D(sent, P("ra")), n);
	assert_int_equal(D(copies, P("ra")), 0);
	assert_int_equal(D(tx_pkts, underlay.port_id), n);
}

static void all_to_one_remote_vtep(void **state) {
	each_size(state, SHAPE_REMOTE, check_remote);
}

static void check_traced(struct harness *h, uint16_t n, unsigned int per) {
	check_unknown(h, n, per);
	// Every record was kept or counted as lost: the ring bounds them, nothing else does. One
	// packet's walk: ut_rx, parse, port_security, sg_egress, l2_lookup, l2_flood, sg_ingress and
	// port_tx for each of the two copies, vxlan_flood, then vxlan_encap and port_tx for each
	// VTEP.
	assert_int_equal(per, 15);
	assert_int_equal(traced, (uint64_t)per * n);
}

static void all_traced(void **state) {
	each_size(state, SHAPE_TRACED, check_traced);
}

static void check_dry_run(struct harness *h, uint16_t n, unsigned int per) {
	RTE_SET_USED(h);
	RTE_SET_USED(per);
	assert_int_equal(D(rx_pkts, P("rt")), 0);
	assert_int_equal(D(sent, P("rt")), 0);
	assert_int_equal(D(tx_pkts, P("ra")), 0);
	assert_int_equal(D(tx_pkts, underlay.port_id), 0);
	RTE_SET_USED(n);
}

static void dry_run_sends_and_counts_nothing(void **state) {
	each_size(state, SHAPE_DRY_RUN, check_dry_run);
}

static void check_mixed(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t ra = P("ra");
	unsigned int q[4] = {0};

	RTE_SET_USED(per);
	for (uint16_t i = 0; i < n; i++)
		q[i % 4]++;
	assert_int_equal(D(rx_pkts, ra), n);
	assert_int_equal(D(tx_pkts, P("rb")), q[0]);
	assert_int_equal(DROPS(ra, DROP_SPOOF_IP), q[1]);
	assert_int_equal(DROPS(ra, DROP_ETH_TRUNCATED), q[2]);
	assert_int_equal(D(tx_pkts, ra), q[3]); // ARP answered on the rules' behalf
	assert_int_equal(D(drops, ra), q[1] + q[2]);
	// Every drop went by the drop ring: sampled, or skipped by its rate limit.
	assert_int_equal(ring_after - ring_before, q[1] + q[2]);
	if (q[1] > 0) { // a spoofed packet's start, once sampled, is whole and from ra
		const struct drop_sample *ds = NULL;
		for (int k = 0; k < DROP_SAMPLES_PER_REASON; k++)
			if (h->lc->drop_ring->s[DROP_SPOOF_IP][k].seq != 0)
				ds = &h->lc->drop_ring->s[DROP_SPOOF_IP][k];
		if (ds != NULL) {
			assert_int_equal(ds->seq % 2, 0);
			assert_int_equal(ds->in_port, ra);
			assert_int_equal(ds->caplen, RTE_MIN(ds->len, (uint32_t)DROP_SAMPLE_BYTES));
		}
	}
}

static void mixed_drops_and_forwards(void **state) {
	each_size(state, SHAPE_MIXED, check_mixed);
}

static void check_many_ports(struct harness *h, uint16_t n, unsigned int per) {
	unsigned int q[5] = {0};

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	for (uint16_t i = 0; i < n; i++)
		q[i % 5]++;
	assert_int_equal(D(rx_pkts, P("ra")), q[0]);
	assert_int_equal(D(rx_pkts, P("rb")), q[1]);
	assert_int_equal(D(rx_pkts, P("rt")), q[2]);
	assert_int_equal(D(rx_pkts, P("ba")), q[3]);
	assert_int_equal(D(rx_pkts, underlay.port_id), q[4]);
	assert_int_equal(D(sent, P("ra")), 4 * q[0]);
	assert_int_equal(D(sent, P("rt")), 4 * q[2]);
	assert_int_equal(D(sent, underlay.port_id), 2 * q[4]);
}

static void from_several_ports_at_once(void **state) {
	each_size(state, SHAPE_MANY_PORTS, check_many_ports);
}

static void check_decap(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t ul = underlay.port_id;

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	// Flooded to both local ports of blue and never back to a VTEP (split horizon).
	assert_int_equal(D(rx_pkts, ul), n);
	assert_int_equal(D(copies, ul), n);
	assert_int_equal(D(sent, ul), 2 * n);
	assert_int_equal(D(tx_pkts, P("ba")), n);
	assert_int_equal(D(tx_pkts, P("bb")), n);
	assert_int_equal(D(tx_pkts, ul), 0);
}

static void vxlan_unknown_destinations_with_learning(void **state) {
	each_size(state, SHAPE_DECAP_LEARNING, check_decap);
}

static void check_fw_new(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t fa = P("fa");
	uint16_t odd = n / 2;

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	// Each makes its connection at fa's egress; fb's ingress lets port 80 in, not 22.
	assert_int_equal(D(rx_pkts, fa), n);
	assert_int_equal(D(tx_pkts, P("fb")), n - odd);
	assert_int_equal(DROPS(fa, DROP_SG_DENIED), odd);
	assert_int_equal(D(drops, fa), odd);
}

static void firewall_new_connections(void **state) {
	each_size(state, SHAPE_FW_NEW, check_fw_new);
}

static void check_fw_invalid(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t fa = P("fa");

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	assert_int_equal(DROPS(fa, DROP_CT_INVALID), n);
	assert_int_equal(D(tx_pkts, P("fb")), 0);
}

static void firewall_invalid_segments(void **state) {
	each_size(state, SHAPE_FW_INVALID, check_fw_invalid);
}

static void check_storm(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t sa = P("sa");
	uint64_t copies = (uint64_t)n * (STORM_VTEPS - 1);
	// One input port: its own limit binds before the walk's.
	uint64_t limit = RTE_MIN(DP_COPIES_PER_WALK, DP_COPIES_PER_PORT_WALK);
	uint64_t over = copies > limit ? copies - limit : 0;

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	assert_int_equal(D(copies, sa), copies);
	assert_int_equal(DROPS(sa, DROP_FLOOD_COPY_LIMIT), over);
	// The VTEPs are outside the underlay prefix and there is no gateway: every copy made dies
	// at vxlan_encap with its reason.
	assert_int_equal(DROPS(sa, DROP_NEIGH_NO_ROUTE), (uint64_t)n + copies - over);
	assert_int_equal(D(sent, sa), 0);
}

static void broadcast_storm_is_bounded(void **state) {
	each_size(state, SHAPE_STORM, check_storm);
}

static void check_fragments(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t ia = P("ia");

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	// 1,428 bytes of IPv4 into MTU 576: 552 + 552 + 304 bytes of data; each packet consumed.
	assert_int_equal(D(rx_pkts, ia), n);
	assert_int_equal(D(copies, ia), 3 * n);
	assert_int_equal(D(consumed, ia), n);
	assert_int_equal(D(tx_pkts, P("ob")), 3 * n);
	assert_int_equal(D(drops, ia), 0);
}

static void routed_fragments(void **state) {
	each_size(state, SHAPE_ROUTED_FRAGMENTS, check_fragments);
}

static void check_ttl(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t ia = P("ia");

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	// Every packet dropped; each an error made, sent back to ia or suppressed by the rate limit.
	assert_int_equal(DROPS(ia, DROP_TTL_EXCEEDED), n);
	assert_int_equal(D(copies, ia), n);
	assert_int_equal(D(tx_pkts, ia) + DROPS(ia, DROP_ICMP_RATELIMITED), n);
	assert_true(D(tx_pkts, ia) <= 10); // one source: 10 a second at most
}

static void routed_ttl_exceeded(void **state) {
	each_size(state, SHAPE_ROUTED_TTL, check_ttl);
}

static void check_unresolved(struct harness *h, uint16_t n, unsigned int per) {
	uint16_t ia = P("ia");

	RTE_SET_USED(h);
	RTE_SET_USED(per);
	// Each held (a copy on its way to the control thread, the packet consumed) or, with the
	// ring full, dropped; none sent.
	assert_int_equal(D(consumed, ia) + DROPS(ia, DROP_NEIGHBOUR_HOLD_FULL), n);
	assert_int_equal(D(tx_pkts, P("ob")), 0);
}

static void routed_to_unknown_next_hop(void **state) {
	each_size(state, SHAPE_ROUTED_UNRESOLVED, check_unresolved);
}

// An ARP reply to our VTEP address teaches the sender's MAC only when the sender can be a next
// hop: inside the underlay prefix, unicast. Anything else would only fill the neighbour table.
static void underlay_learns_only_on_link_neighbours(void **state) {
	static const struct {
		const char *ip, *mac;
		bool learned;
	} cases[] = {
		{"192.0.2.77", "02:00:00:00:aa:77", true},
		{"198.51.100.7", "02:00:00:00:aa:78", false}, // off the underlay prefix
		{"192.0.2.79", "03:00:00:00:aa:79", false},   // multicast MAC
		{"192.0.2.80", "00:00:00:00:00:00", false},   // zero MAC
	};
	struct harness *h = *state;
	char us[INET_ADDRSTRLEN], ul_mac[RTE_ETHER_ADDR_FMT_SIZE];

	inet_ntop(AF_INET, &underlay.addr, us, sizeof(us));
	rte_ether_format_addr(ul_mac, sizeof(ul_mac), &underlay.mac);
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct rte_mbuf *m = harness_mbuf_from(pktgen_arp(underlay.port_id, "02:00:00:00:aa:01",
								   ul_mac, 2, cases[i].mac,
								   cases[i].ip, us));
		struct rte_ether_addr mac;
		rte_be32_t ip;

		run_one(h, m);
		inet_pton(AF_INET, cases[i].ip, &ip);
		assert_int_equal(neigh_lookup(ip, &mac), cases[i].learned);
	}
}

static int setup(void **state) {
	struct harness *h;

	if (harness_setup(state) < 0)
		return -1;
	h = *state;
	if (harness_apply(h, rules) != 0) {
		fprintf(stderr, "setup apply: %s\n", h->err);
		return -1;
	}
	if (harness_graph_create() < 0) {
		fprintf(stderr, "graph: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)
		T(unknown_destinations_new_sources),
		T(all_broadcast),
		T(all_to_one_remote_vtep),
		T(all_traced),
		T(dry_run_sends_and_counts_nothing),
		T(mixed_drops_and_forwards),
		T(from_several_ports_at_once),
		T(vxlan_unknown_destinations_with_learning),
		T(broadcast_storm_is_bounded),
		T(routed_fragments),
		T(routed_ttl_exceeded),
		T(routed_to_unknown_next_hop),
		T(firewall_new_connections),
		T(firewall_invalid_segments),
		T(underlay_learns_only_on_link_neighbours),
#undef T
	};
	char err[256];
	json_t *ul = json_pack("{sssssis[{ssss}{ssss}]}", "device", "net_null39,no-rx=1", "address",
			      "192.0.2.11/24", "mtu", 9000, "static_neighbors", "ip", "192.0.2.12", "mac",
			      "02:00:00:00:aa:12", "ip", "192.0.2.13", "mac", "02:00:00:00:aa:13");

	rules_build();
	if (underlay_config(ul, err, sizeof(err)) < 0) {
		fprintf(stderr, "underlay: %s\n", err);
		return 1;
	}
	json_decref(ul);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
