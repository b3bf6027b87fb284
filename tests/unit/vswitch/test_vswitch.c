// SPDX-License-Identifier: BSD-3-Clause
// vswitch: port security, L2 lookup, learning, the MAC limit, aging, tenant isolation, and the
// transactions that configure them. Nodes are tested through their decide functions; tables are
// set up through rules_apply(), as vnetd does.

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dataplane/rules.h"
#include "dataplane/worker.h"
#include "overlay/overlay.h"
#include "tests/lib/harness.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"
#include "vswitch/l2_lookup_node.c"
#include "vswitch/port_security_node.c"
#include "vswitch/arp_nd_responder_node.c"
#include "vswitch/tunnel_input_node.c"

#define MAC_A "02:00:00:00:01:0a"
#define MAC_B "02:00:00:00:01:0b"
#define MAC_X "02:00:00:00:01:99"
#define BCAST "ff:ff:ff:ff:ff:ff"

// Two tenants with the same MACs and IPs; red also has a port without port security.
static const char *two_tenants =
	"{\"revision\": 1,"
	" \"networks\": [{\"id\": \"red\", \"tenant\": \"red\", \"vni\": 100, \"mtu\": 1400,"
	"                 \"mac_limit\": 3},"
	"                {\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 200},"
	"                {\"id\": \"green\", \"tenant\": \"green\", \"vni\": 300,"
	"                 \"vxlan_learning\": true}],"
	" \"ports\": ["
	"  {\"id\": \"ra\", \"network\": \"red\", \"device\": \"net_null10\", \"mac\": \"" MAC_A "\","
	"   \"ips\": [\"10.0.0.10\", \"fd00::a\"]},"
	"  {\"id\": \"rb\", \"network\": \"red\", \"device\": \"net_null11\", \"mac\": \"" MAC_B "\","
	"   \"ips\": [\"10.0.0.11\"]},"
	"  {\"id\": \"rt\", \"network\": \"red\", \"device\": \"net_null12\","
	"   \"mac\": \"02:00:00:00:01:0c\", \"port_security\": false},"
	"  {\"id\": \"ba\", \"network\": \"blue\", \"device\": \"net_null13\", \"mac\": \"" MAC_A "\","
	"   \"ips\": [\"10.0.0.10\"]},"
	"  {\"id\": \"bb\", \"network\": \"blue\", \"device\": \"net_null14\", \"mac\": \"" MAC_B "\","
	"   \"ips\": [\"10.0.0.11\"]},"
	"  {\"id\": \"ga\", \"network\": \"green\", \"device\": \"net_null16\", \"mac\": \"" MAC_A "\","
	"   \"ips\": [\"10.0.0.10\"]}],"
	" \"remote_ports\": [{\"network\": \"red\", \"mac\": \"02:00:00:00:09:01\","
	"   \"ips\": [\"10.0.0.91\"], \"vtep\": \"192.0.2.12\"}],"
	" \"static_macs\": [{\"network\": \"red\", \"mac\": \"02:00:00:00:02:01\", \"port\": \"rt\"}]"
	"}";

static int setup(void **state) {
	struct harness *h;

	if (harness_setup(state) < 0)
		return -1;
	h = *state;
	if (harness_apply(h, two_tenants) != 0) {
		fprintf(stderr, "setup apply: %s\n", h->err);
		return -1;
	}
	return 0;
}

// l2_lookup on a burst of one: the bulk lookups, then the decision.
static rte_edge_t l2_lookup_one(struct harness *h, struct rte_mbuf *m) {
	struct l2_lookup_res res;

	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), NULL, 0, &m, 1, &res);
	return l2_lookup_decide(h->lc, NULL, m, &res);
}

// Run port_security, arp_nd_responder and l2_lookup, as the graph does; returns the last edge.
static rte_edge_t l2_path(struct harness *h, struct rte_mbuf *m) {
	rte_edge_t e = port_security_decide(h->lc, m);

	if (e == PORT_SECURITY_ARP_ND) {
		e = arp_nd_responder_decide(h->lc, m);
		if (e != ARP_ND_L2)
			return e;
		e = PORT_SECURITY_L2;
	}
	return e == PORT_SECURITY_L2 ? l2_lookup_one(h, m) : e;
}

// port_security let it through (to l2_lookup, or to the ARP/ND responder first).
static bool passes(rte_edge_t e) {
	return e == PORT_SECURITY_L2 || e == PORT_SECURITY_ARP_ND || e == PORT_SECURITY_DHCP_RA;
}

// A document may hold BRIDGE_STATIC_MAX static MACs (more than a 16-bit count: conntrack-100k's
// 65,536 per direction); each is found, the last as the first; one more is refused.
static void static_macs_to_the_limit(void **state) {
	struct harness *h = *state;
	size_t size = 160 + (size_t)(BRIDGE_STATIC_MAX + 1) * 80, n;
	char *doc = malloc(size);
	const char *macs[] = {"02:10:00:00:00:00", "02:10:00:01:ff:ff"};

	assert_non_null(doc);
	for (int over = 1; over >= 0; over--) {
		n = (size_t)snprintf(doc, size, "{\"revision\": %d, \"networks\": [{\"id\": \"red\","
				     " \"tenant\": \"red\", \"vni\": 100}], \"ports\": [{\"id\": \"ra\","
				     " \"network\": \"red\", \"device\": \"net_null10\", \"mac\": \""
				     MAC_A "\", \"ips\": [\"10.0.0.10\"]}, {\"id\": \"rb\", \"network\": \"red\", \"device\":"
				     " \"net_null11\", \"mac\": \"" MAC_B "\"}], \"static_macs\": [",
				     2 - over);
		for (uint32_t i = 0; i < BRIDGE_STATIC_MAX + (uint32_t)over; i++)
			n += (size_t)snprintf(doc + n, size - n,
					      "%s{\"network\": \"red\", \"mac\": \"02:10:00:%02x:%02x:%02x\","
					      " \"port\": \"rb\"}",
					      i ? "," : "", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		snprintf(doc + n, size - n, "]}");
		if (over) {
			assert_int_not_equal(harness_apply(h, doc), 0);
			assert_non_null(strstr(h->err, "static_macs: at most 131072 entries"));
			continue;
		}
		if (harness_apply(h, doc) != 0)
			fail_msg("%s", h->err);
	}
	free(doc);
	for (unsigned int i = 0; i < RTE_DIM(macs); i++) {
		struct rte_mbuf *m = PKT_IP(.in_port = harness_port("ra"), .src_mac = MAC_A,
					    .dst_mac = macs[i], .src_ip = "10.0.0.10",
					    .dst_ip = "10.0.0.11");
		assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
		assert_int_equal(pkt_meta(m)->out_port, harness_port("rb"));
		pktbuf_destroy(m);
	}
}

static void own_traffic_is_switched(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m = PKT_IP(.in_port = harness_port("ra"), .src_mac = MAC_A,
				    .dst_mac = MAC_B, .src_ip = "10.0.0.10", .dst_ip = "10.0.0.11");

	assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
	assert_int_equal(pkt_meta(m)->out_port, harness_port("rb"));
	pktbuf_destroy(m);
}

static void spoofed_sources_are_dropped(void **state) {
	struct harness *h = *state;
	uint16_t ra = harness_port("ra");
	struct rte_mbuf *m;

	m = PKT_IP(.in_port = ra, .src_mac = MAC_X, .dst_mac = MAC_B, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.11");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_MAC);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_B, .src_ip = "10.0.0.99",
		   .dst_ip = "10.0.0.11");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_IP);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_B, .src_ip = "fd00::99",
		   .dst_ip = "fd00::b");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_IP);
	pktbuf_destroy(m);

	m = pktgen_arp(ra, MAC_A, BCAST, 1, MAC_A, "10.0.0.11", "10.0.0.1");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_ARP);
	pktbuf_destroy(m);

	m = pktgen_arp(ra, MAC_A, BCAST, 2, MAC_X, "10.0.0.10", "10.0.0.11");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_ARP);
	pktbuf_destroy(m);
}

static void neighbour_advertisements_are_checked(void **state) {
	struct harness *h = *state;
	uint16_t ra = harness_port("ra");
	struct rte_mbuf *m;

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "fd00::a",
		   .dst_ip = "ff02::1", .proto = 58, .icmp_type = 136, .nd_target = "fd00::b");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_ND);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "fd00::a",
		   .dst_ip = "ff02::1", .proto = 58, .icmp_type = 136, .nd_target = "fd00::a",
		   .nd_lladdr = MAC_X);
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_ND);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "fd00::a",
		   .dst_ip = "ff02::1", .proto = 58, .icmp_type = 136, .nd_target = "fd00::a",
		   .nd_lladdr = MAC_A);
	assert_true(passes(port_security_decide(h->lc, m)));
	// The same advertisement with its option in a second segment (only the 24 bytes up to the
	// target in the first): the option cannot be read where the first segment ends, so it is
	// refused rather than read past the segment.
	m->data_len = (uint16_t)(pkt_meta(m)->l4_off + 24);
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_SPOOF_ND);
	pktbuf_destroy(m);

	// The EUI-64 link-local address of the port's MAC is its own (RFC 4291 appendix A).
	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "fe80::ff:fe00:10a",
		   .dst_ip = "ff02::1", .proto = 58, .icmp_type = 128);
	assert_true(passes(port_security_decide(h->lc, m)));
	pktbuf_destroy(m);
}

static void dhcp_discover_and_arp_probe_pass(void **state) {
	struct harness *h = *state;
	uint16_t ra = harness_port("ra");
	struct rte_mbuf *m;

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "0.0.0.0",
		   .dst_ip = "255.255.255.255", .udp_dst = 67);
	assert_true(passes(port_security_decide(h->lc, m)));
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = BCAST, .src_ip = "0.0.0.0",
		   .dst_ip = "255.255.255.255", .udp_dst = 53);
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	pktbuf_destroy(m);

	m = pktgen_arp(ra, MAC_A, BCAST, 1, MAC_A, "0.0.0.0", "10.0.0.10");
	assert_true(passes(port_security_decide(h->lc, m)));
	pktbuf_destroy(m);
}

static void mtu_and_vlan_are_enforced(void **state) {
	struct harness *h = *state;
	uint16_t ra = harness_port("ra");
	struct rte_mbuf *m;

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_B, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.11", .payload_len = 1400 - 28 + 1);
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_MTU_EXCEEDED);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_B, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.11", .payload_len = 1400 - 28);
	assert_true(passes(port_security_decide(h->lc, m)));
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_B, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.11", .vlan = 7);
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_VLAN_TAGGED);
	pktbuf_destroy(m);
}

static void broadcast_and_unknown_flood_hairpin_drops(void **state) {
	struct harness *h = *state;
	uint16_t ra = harness_port("ra");
	struct rte_mbuf *m;

	m = pktgen_arp(ra, MAC_A, BCAST, 1, MAC_A, "10.0.0.10", "10.0.0.11");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_FLOOD);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_X, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.11");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_FLOOD);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = MAC_A, .src_ip = "10.0.0.10",
		   .dst_ip = "10.0.0.10");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_L2_HAIRPIN);
	pktbuf_destroy(m);

	m = PKT_IP(.in_port = ra, .src_mac = MAC_A, .dst_mac = "02:00:00:00:02:01",
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.50");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
	assert_int_equal(pkt_meta(m)->out_port, harness_port("rt"));
	pktbuf_destroy(m);
}

static void tenants_with_the_same_macs_stay_apart(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m;

	m = PKT_IP(.in_port = harness_port("ba"), .src_mac = MAC_A, .dst_mac = MAC_B,
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.11");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
	assert_int_equal(pkt_meta(m)->out_port, harness_port("bb"));
	pktbuf_destroy(m);

	// A MAC that lives only in red (behind rt) is unknown in blue: flooded in blue only.
	m = PKT_IP(.in_port = harness_port("ba"), .src_mac = MAC_A, .dst_mac = "02:00:00:00:02:01",
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.50");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_FLOOD);
	pktbuf_destroy(m);
	const struct bridge_cfg *bc = bridge_cfg_get(h->lc->cfg);
	const struct bridge *blue = bridge_find(bc, "blue");
	assert_int_equal(blue->n_ports, 2);
	for (uint16_t i = 0; i < blue->n_ports; i++)
		assert_true(blue->ports[i] == harness_port("ba") ||
			    blue->ports[i] == harness_port("bb"));
}

// Deliver the posted learn events to the control side, as vnetd's main loop does.
static unsigned int deliver_events(struct harness *h) {
	struct dp_event ev;
	unsigned int n = 0;

	while (harness_event_pop(h, &ev)) {
		if (ev.type == vswitch_learn_event) {
			struct bridge_mac_key key = {.bd_id = ev.bd_id};
			memcpy(&key.mac, ev.data, 6);
			rte_be32_t vtep;
			memcpy(&vtep, ev.data + 8, sizeof(vtep));
			fdb_learn(bridge_cfg_get(dp_config_current()), &key, ev.port_id, vtep);
		}
		n++;
	}
	return n;
}

static struct rte_mbuf *from_trunk(const char *src_mac, const char *dst_mac) {
	return PKT_IP(.in_port = harness_port("rt"), .src_mac = src_mac, .dst_mac = dst_mac,
		      .src_ip = "10.9.9.9", .dst_ip = "10.0.0.10");
}

static void learning_posts_events_then_forwards(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m;

	m = from_trunk("02:00:00:00:03:01", MAC_A);
	assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
	pktbuf_destroy(m);
	assert_int_equal(deliver_events(h), 1);

	// Now known: no new event, and traffic to it goes to the trunk.
	m = from_trunk("02:00:00:00:03:01", MAC_A);
	l2_path(h, m);
	pktbuf_destroy(m);
	assert_int_equal(harness_events_pending(h), 0);
	m = PKT_IP(.in_port = harness_port("ra"), .src_mac = MAC_A, .dst_mac = "02:00:00:00:03:01",
		   .src_ip = "10.0.0.10", .dst_ip = "10.9.9.9");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_OUTPUT);
	assert_int_equal(pkt_meta(m)->out_port, harness_port("rt"));
	pktbuf_destroy(m);

	// A dry-run (synthetic trace) packet never learns.
	m = from_trunk("02:00:00:00:03:02", MAC_A);
	pkt_meta(m)->flags |= PKT_F_DRY_RUN;
	l2_path(h, m);
	pktbuf_destroy(m);
	assert_int_equal(harness_events_pending(h), 0);
}

// Issue 6: a chunk whose every packet needs both a destination lookup (unknown unicast) and a
// source lookup (learning on) makes two keys per packet. The resolver once gathered all of them
// into one 64-entry array and handed rte_hash more than RTE_HASH_LOOKUP_BULK_MAX keys: a stack
// overflow with 33 such frames. Every chunk size up to the largest must resolve each packet.
static void full_chunk_of_unknown_destinations_with_learning(void **state) {
	static const uint16_t sizes[] = {1, 32, 33, 63, L2_LOOKUP_CHUNK};
	struct harness *h = *state;
	struct rte_mbuf *pkts[L2_LOOKUP_CHUNK];
	struct l2_lookup_res res[L2_LOOKUP_CHUNK];

	for (size_t s = 0; s < RTE_DIM(sizes); s++) {
		uint16_t n = sizes[s];
		char src[32], dst[32];

		for (uint16_t i = 0; i < n; i++) {
			snprintf(src, sizeof(src), "02:00:00:00:%02x:%02x", 0x40 + (i >> 8), i & 0xff);
			snprintf(dst, sizeof(dst), "02:00:00:00:%02x:%02x", 0x80 + (i >> 8), i & 0xff);
			pkts[i] = from_trunk(src, dst);
			// Identical frames are the shape that was reported: the same key twice.
			if (s == 2)
				pkts[i] = (pktbuf_destroy(pkts[i]), from_trunk(src, MAC_X));
			assert_int_equal(port_security_decide(h->lc, pkts[i]), PORT_SECURITY_L2);
		}
		l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), NULL, 0, pkts, n, res);
		for (uint16_t i = 0; i < n; i++) {
			assert_true(res[i].src_learns);
			assert_int_equal(res[i].dst_static, 0);
			assert_int_equal(res[i].dst_learned, 0);
			assert_int_equal(res[i].src, 0);
			assert_int_equal(l2_lookup_decide(h->lc, NULL, pkts[i], &res[i]), L2_LOOKUP_FLOOD);
			pktbuf_destroy(pkts[i]);
		}
		// One learning event per packet, none lost; not delivered (the MAC limit is 3).
		assert_int_equal(harness_events_pending(h), n);
		for (struct dp_event ev; harness_event_pop(h, &ev);)
			;
	}
}

static void source_cache_confirms_for_one_second(void **state) {
	struct harness *h = *state;
	static struct l2_src_cache cache;
	struct l2_lookup_res res;
	struct rte_mbuf *m;

	memset(&cache, 0, sizeof(cache));
	m = from_trunk("02:00:00:00:03:05", MAC_A);
	l2_path(h, m);
	pktbuf_destroy(m);
	assert_int_equal(deliver_events(h), 1); // learned on rt

	h->lc->now_sec = 7;
	m = from_trunk("02:00:00:00:03:05", MAC_A);
	assert_true(passes(port_security_decide(h->lc, m)));
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 7, &m, 1, &res);
	assert_true(res.src_learns);
	assert_false(res.src_cached); // first sight this second: looked up, then cached
	assert_int_equal(MAC_DATA_PORT(res.src), harness_port("rt"));
	l2_lookup_decide(h->lc, &cache, m, &res);
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 7, &m, 1, &res);
	assert_true(res.src_cached);
	assert_int_equal(l2_lookup_decide(h->lc, &cache, m, &res), L2_LOOKUP_OUTPUT);
	assert_int_equal(harness_events_pending(h), 0);
	// The next second, the cache no longer vouches for it: the table is asked again.
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 8, &m, 1, &res);
	assert_false(res.src_cached);
	// From another port, the cached entry does not match: the move is posted.
	pkt_meta(m)->in_port = harness_port("ra");
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 7, &m, 1, &res);
	assert_false(res.src_cached);
	pktbuf_destroy(m);
}

static void static_cache_follows_the_generation(void **state) {
	struct harness *h = *state;
	static struct l2_src_cache cache;
	uint64_t gen = bridge_cfg_generation(dp_config_current());
	struct l2_lookup_res res;
	struct rte_mbuf *m;

	memset(&cache, 0, sizeof(cache));
	m = PKT_IP(.in_port = harness_port("ra"), .src_mac = MAC_A, .dst_mac = "02:00:00:00:02:01",
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.50");
	assert_true(passes(port_security_decide(h->lc, m)));
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 0, &m, 1, &res);
	assert_int_equal(MAC_DATA_PORT(res.dst_static), harness_port("rt"));
	// The static MAC goes away in a new generation: the cached answer must not be used.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"static_mac\","
					  " \"id\": {\"network\": \"red\", \"mac\": "
					  "\"02:00:00:00:02:01\"}}]}"),
			 0);
	assert_true(bridge_cfg_generation(dp_config_current()) > gen);
	l2_lookup_resolve(bridge_cfg_get(h->lc->cfg), &cache, 0, &m, 1, &res);
	assert_int_equal(res.dst_static, 0);
	pktbuf_destroy(m);
}

// A transaction that changes another section (a router's routes) keeps the vswitch data and its
// generation: the worker's static MAC cache stays valid (not flushed by a new snapshot).
static void static_cache_survives_other_sections(void **state) {
	struct harness *h = *state;
	const struct bridge_cfg *bc;
	uint64_t gen, snapshot;

	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"router\","
					  " \"object\": {\"id\": \"r9\", \"tenant\": \"red\","
					  " \"mac\": \"02:00:00:00:00:09\"}}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	gen = bridge_cfg_generation(dp_config_current());
	snapshot = dp_config_current()->generation;
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"replace\", \"kind\": \"router\","
					  " \"object\": {\"id\": \"r9\", \"tenant\": \"red\","
					  " \"mac\": \"02:00:00:00:00:09\", \"routes\": [{\"prefix\":"
					  " \"0.0.0.0/0\", \"blackhole\": true}]}}]}"),
			 0);
	assert_true(dp_config_current()->generation == snapshot + 1);
	assert_true(bridge_cfg_generation(h->lc->cfg) == gen);
	assert_ptr_equal(bridge_cfg_get(h->lc->cfg), bc);
}

// A frame decapsulated from VTEP 192.0.2.12 in VNI `vni`, as vxlan_decap leaves it.
static struct rte_mbuf *from_vtep(uint32_t vni, const char *src_mac, const char *dst_mac) {
	struct rte_mbuf *m = PKT_IP(.in_port = 30, .src_mac = src_mac, .dst_mac = dst_mac,
				    .src_ip = "10.0.0.77", .dst_ip = "10.0.0.10");
	struct pkt_meta *meta = pkt_meta(m);

	meta->flags |= PKT_F_TUNNEL;
	meta->vni = vni;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.12", &meta->vtep), 1);
	return m;
}

static void remote_macs_and_split_horizon(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m;

	// A local frame to the remote port goes to the overlay with the VTEP set.
	m = PKT_IP(.in_port = harness_port("ra"), .src_mac = MAC_A, .dst_mac = "02:00:00:00:09:01",
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.91");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_REMOTE);
	assert_int_equal(pkt_meta(m)->vtep, RTE_BE32(0xc000020c));
	assert_int_equal(pkt_meta(m)->vni, 100);
	pktbuf_destroy(m);
	// ARP for the remote port's IP is answered locally with its MAC (suppression).
	m = pktgen_arp(harness_port("ra"), MAC_A, BCAST, 1, MAC_A, "10.0.0.10", "10.0.0.91");
	assert_int_equal(port_security_decide(h->lc, m), PORT_SECURITY_ARP_ND);
	assert_int_equal(arp_nd_responder_decide(h->lc, m), ARP_ND_REPLY);
	assert_int_equal(pkt_meta(m)->out_port, harness_port("ra"));
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, uint8_t *, 22), "\x02\x00\x00\x00\x09\x01", 6);
	pktbuf_destroy(m);
	// From a VTEP to a remote MAC: never back into the overlay.
	m = from_vtep(100, "02:00:00:00:09:01", "02:00:00:00:09:01");
	assert_int_equal(tunnel_input_decide(h->lc, m), TUNNEL_INPUT_L2);
	assert_int_equal(l2_lookup_one(h, m), L2_LOOKUP_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_L2_TUNNEL_HAIRPIN);
	pktbuf_destroy(m);
	// An unknown VNI never enters a network.
	m = from_vtep(999, "02:00:00:00:09:01", MAC_A);
	assert_int_equal(tunnel_input_decide(h->lc, m), TUNNEL_INPUT_DROP);
	assert_int_equal(pkt_meta(m)->drop_reason, DROP_VXLAN_VNI_UNKNOWN);
	pktbuf_destroy(m);
}

static void learning_from_the_underlay_only_where_enabled(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m;

	// red: vxlan_learning is off; nothing is posted.
	m = from_vtep(100, "02:00:00:00:08:01", MAC_A);
	assert_int_equal(tunnel_input_decide(h->lc, m), TUNNEL_INPUT_L2);
	assert_int_equal(l2_lookup_one(h, m), L2_LOOKUP_OUTPUT);
	pktbuf_destroy(m);
	assert_int_equal(harness_events_pending(h), 0);
	// green: learned behind the VTEP; a local frame to it is then encapsulated to that VTEP.
	m = from_vtep(300, "02:00:00:00:08:02", MAC_A);
	assert_int_equal(tunnel_input_decide(h->lc, m), TUNNEL_INPUT_L2);
	assert_int_equal(l2_lookup_one(h, m), L2_LOOKUP_OUTPUT);
	pktbuf_destroy(m);
	assert_int_equal(deliver_events(h), 1);
	m = PKT_IP(.in_port = harness_port("ga"), .src_mac = MAC_A, .dst_mac = "02:00:00:00:08:02",
		   .src_ip = "10.0.0.10", .dst_ip = "10.0.0.77");
	assert_int_equal(l2_path(h, m), L2_LOOKUP_REMOTE);
	assert_int_equal(pkt_meta(m)->vtep, RTE_BE32(0xc000020c));
	pktbuf_destroy(m);
}

static void mac_limit_is_per_network(void **state) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	uint16_t red = bridge_find(bc, "red")->bd_id, rt = harness_port("rt");
	char mac[32];

	for (int i = 0; i < 5; i++) {
		struct bridge_mac_key key = {.bd_id = red};
		snprintf(mac, sizeof(mac), "02:00:00:00:04:%02x", i);
		rules_parse_mac(mac, &key.mac);
		assert_int_equal(fdb_learn(bc, &key, rt, 0), i < 3 ? 0 : -ENOSPC);
	}
	assert_int_equal(fdb_count(red), 3);
	assert_int_equal(fdb_limit_hits(red), 2);
	// Static MACs are never learned over.
	struct bridge_mac_key st = {.bd_id = red};
	rules_parse_mac("02:00:00:00:02:01", &st.mac);
	assert_int_equal(fdb_learn(bc, &st, rt, 0), -EEXIST);
	// Aging: everything learned now is older than 300 s at now + 301.
	assert_int_equal(fdb_age(bc, dp_uptime_sec() + 301), 3);
	assert_int_equal(fdb_count(red), 0);
}

static void removing_a_port_flushes_its_macs(void **state) {
	struct harness *h = *state;
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	struct bridge_mac_key key = {.bd_id = bridge_find(bc, "red")->bd_id};

	rules_parse_mac("02:00:00:00:05:01", &key.mac);
	assert_int_equal(fdb_learn(bc, &key, harness_port("rt"), 0), 0);
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"static_mac\","
					  " \"id\": {\"network\": \"red\", \"mac\": "
					  "\"02:00:00:00:02:01\"}}, {\"op\": \"remove\", \"kind\":"
					  " \"port\", \"id\": \"rt\"}]}"),
			 0);
	assert_null(dp_config_port_lookup(dp_config_current(), "rt"));
	assert_int_equal(fdb_count(key.bd_id), 0);
}

static void bad_transactions_change_nothing(void **state) {
	struct harness *h = *state;
	uint64_t gen = dp_config_current()->generation;
	static const struct {
		const char *txn, *error;
	} cases[] = {
		{"{\"revision\": 2, \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 0}]}",
		 "networks[0].vni: is 0, must be 1..16777215"},
		{"{\"revision\": 2, \"ports\": [{\"id\": \"p\", \"network\": \"nope\", \"device\":"
		 " \"net_null20\", \"mac\": \"02:00:00:00:00:01\"}]}",
		 "ports[0]: refers to unknown network \"nope\""},
		{"{\"revision\": 2, \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 5}],"
		 " \"ports\": [{\"id\": \"p\", \"network\": \"n\", \"device\": \"net_null20\","
		 " \"mac\": \"01:00:00:00:00:01\"}]}",
		 "ports[0].mac: \"01:00:00:00:00:01\" is not a unicast MAC address"},
		{"{\"revision\": 2, \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 5,"
		 " \"colour\": 1}]}",
		 "networks[0]: unknown key \"colour\""},
		{"{\"revision\": 0}", "revision: 0 is older than the applied revision 1"},
		{"{\"ops\": [{\"op\": \"add\", \"kind\": \"port\", \"object\": {\"id\": \"ra\"}}]}",
		 "ops[0]: port already exists (use replace)"},
		{"{\"ops\": [{\"op\": \"remove\", \"kind\": \"network\", \"id\": \"purple\"}]}",
		 "ops[0]: no such network"},
		{"{\"revision\": 2, \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 5}],"
		 " \"ports\": [{\"id\": \"p\", \"network\": \"n\", \"device\": \"net_bogus0\","
		 " \"mac\": \"02:00:00:00:00:01\"}]}",
		 "ports[0]: device \"net_bogus0\": rte_dev_probe failed"},
		{"{\"ops\": [{\"op\": \"replace\", \"kind\": \"port\", \"object\": {\"id\": \"ra\","
		 " \"network\": \"red\", \"device\": \"net_null30\", \"mac\": \"" MAC_A "\"}}]}",
		 "ports[0]: device changed from \"net_null10\""},
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		assert_int_not_equal(harness_apply(h, cases[i].txn), 0);
		if (strstr(h->err, cases[i].error) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, h->err, cases[i].error);
		assert_int_equal(dp_config_current()->generation, gen);
		assert_non_null(dp_config_port_lookup(dp_config_current(), "ra"));
	}
}

static void ops_add_then_remove(void **state) {
	struct harness *h = *state;
	uint64_t gen = dp_config_current()->generation;

	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"port\", "
					  "\"object\": {\"id\": \"rc\", \"network\": \"red\", "
					  "\"device\": \"net_null15\", \"mac\": \"02:00:00:00:01:0d\"}}]}"),
			 0);
	assert_int_equal(dp_config_current()->generation, gen + 1);
	assert_int_equal(dp_config_current()->revision, 2);
	assert_int_equal(bridge_find(bridge_cfg_get(h->lc->cfg), "red")->n_ports, 4);
	// Ports that stayed keep their DPDK port (no re-probe, no traffic loss).
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"port\", "
					  "\"id\": \"rc\"}]}"),
			 0);
	assert_null(dp_config_port_lookup(dp_config_current(), "rc"));
	assert_int_equal(bridge_find(bridge_cfg_get(h->lc->cfg), "red")->n_ports, 3);
}

int main(void) {
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(own_traffic_is_switched),
		T(spoofed_sources_are_dropped),
		T(neighbour_advertisements_are_checked),
		T(dhcp_discover_and_arp_probe_pass),
		T(mtu_and_vlan_are_enforced),
		T(broadcast_and_unknown_flood_hairpin_drops),
		T(tenants_with_the_same_macs_stay_apart),
		T(learning_posts_events_then_forwards),
		T(full_chunk_of_unknown_destinations_with_learning),
		T(source_cache_confirms_for_one_second),
		T(static_cache_follows_the_generation),
		T(static_cache_survives_other_sections),
		T(remote_macs_and_split_horizon),
		T(learning_from_the_underlay_only_where_enabled),
		T(mac_limit_is_per_network),
		T(removing_a_port_flushes_its_macs),
		T(bad_transactions_change_nothing),
		T(ops_add_then_remove),
		T(static_macs_to_the_limit),
#undef T
	};
	char err[256];
	json_t *ul = json_pack("{sssssi}", "device", "net_null29,no-rx=1", "address", "192.0.2.11/24",
			      "mtu", 9000);

	// An underlay (net_null), so that remote ports are accepted; set before the engine starts.
	if (underlay_config(ul, err, sizeof(err)) < 0) {
		fprintf(stderr, "underlay: %s\n", err);
		return 1;
	}
	json_decref(ul);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
