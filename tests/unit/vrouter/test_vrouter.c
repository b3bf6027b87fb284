// SPDX-License-Identifier: BSD-3-Clause
// vrouter: longest-prefix match per VRF, ECMP spread and failover, the ICMP error builders and the
// token bucket. ip_route is tested through its prepare and decide functions on tables set up with
// rules_apply(), as vnetd does; whole ICMP paths through the graph are pipeline cases (route_*).

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "dataplane/rules.h"
#include "tests/lib/harness.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"
#include "vrouter/fib.h"
#include "vrouter/ip_route_node.c"

#define RMAC "02:00:00:00:00:fe"
#define MAC_A "02:00:00:00:01:0a"

// Tenant t1: router r1 joins lan (port a) and wan (appliances p1, p2, p3); 10.9.0.0/16 is ECMP
// over the three; 10.9.9.0/24 is more specific, via p1 only. Tenant t2 has the same plan with
// router r2 and no static route.
#define DOC(wan_ports, ecmp)                                                                       \
	"{\"revision\": 1,"                                                                        \
	" \"networks\": ["                                                                         \
	"  {\"id\": \"lan\", \"tenant\": \"t1\", \"vni\": 10, \"router\": \"r1\","                 \
	"   \"subnets\": [{\"cidr\": \"10.1.0.0/24\", \"gateway\": \"10.1.0.1\"},"                 \
	"                 {\"cidr\": \"fd01::/64\", \"gateway\": \"fd01::1\"}]},"                  \
	"  {\"id\": \"wan\", \"tenant\": \"t1\", \"vni\": 11, \"router\": \"r1\","                 \
	"   \"subnets\": [{\"cidr\": \"10.2.0.0/24\", \"gateway\": \"10.2.0.1\"}]},"               \
	"  {\"id\": \"lan2\", \"tenant\": \"t2\", \"vni\": 20, \"router\": \"r2\","                \
	"   \"subnets\": [{\"cidr\": \"10.1.0.0/24\", \"gateway\": \"10.1.0.1\"}]}],"              \
	" \"routers\": ["                                                                          \
	"  {\"id\": \"r1\", \"tenant\": \"t1\", \"mac\": \"" RMAC "\", \"routes\": ["               \
	"   {\"prefix\": \"10.9.0.0/16\", \"nexthops\": " ecmp "},"                                \
	"   {\"prefix\": \"10.9.9.0/24\", \"nexthop\": \"10.2.0.11\"}]},"                          \
	"  {\"id\": \"r2\", \"tenant\": \"t2\", \"mac\": \"02:00:00:00:00:ef\"}],"                 \
	" \"ports\": ["                                                                            \
	"  {\"id\": \"a\", \"network\": \"lan\", \"device\": \"net_null20\", \"mac\": \"" MAC_A "\"," \
	"   \"ips\": [\"10.1.0.10\", \"fd01::a\"]}" wan_ports "]}"

#define P1 ",{\"id\": \"p1\", \"network\": \"wan\", \"device\": \"net_null21\","                   \
	   " \"mac\": \"02:00:00:00:02:01\", \"ips\": [\"10.2.0.11\"], \"port_security\": false}"
#define P2 ",{\"id\": \"p2\", \"network\": \"wan\", \"device\": \"net_null22\","                   \
	   " \"mac\": \"02:00:00:00:02:02\", \"ips\": [\"10.2.0.12\"], \"port_security\": false}"
#define P3 ",{\"id\": \"p3\", \"network\": \"wan\", \"device\": \"net_null23\","                   \
	   " \"mac\": \"02:00:00:00:02:03\", \"ips\": [\"10.2.0.13\"], \"port_security\": false}"
#define ECMP3 "[\"10.2.0.11\", \"10.2.0.12\", \"10.2.0.13\"]"

#define assert_return_code_msg(call, want, err)                                                    \
	do {                                                                                       \
		int ret_ = (call);                                                                 \
		if (ret_ != (want))                                                                \
			print_error("%s\n", err);                                                  \
		assert_int_equal(ret_, want);                                                      \
	} while (0)

#define FLOWS 3000

// A real pool for the errors the builders write (test packets are pktbuf blocks).
static struct rte_mempool *test_pool(void) {
	static struct rte_mempool *mp;

	if (mp == NULL)
		mp = rte_pktmbuf_pool_create("vr_test", 63, 0, PKT_PRIV_SIZE,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(mp);
	return mp;
}

// Route one packet as the graph does (a chunk of one), returning the edge.
static rte_edge_t route_one(struct harness *h, struct rte_mbuf *m, const char *network) {
	static struct ip_route_state state;
	struct ip_route_run run = {
		.vc = vr_cfg_get(h->lc->cfg),
		.bc = bridge_cfg_get(h->lc->cfg),
		.state = &state,
		.hz = rte_get_tsc_hz(),
		.host_mac = dp_host_mac(),
	};

	pkt_meta(m)->bd_id = bridge_find(run.bc, network)->bd_id;
	ip_route_prepare(h->lc, NULL, &run, &m, 1);
	return ip_route_decide(h->lc, NULL, &run, m, 0);
}

// The last byte of the destination MAC of flow `i` (udp port i + 1 to 10.9.x.y) routed from lan.
static int flow_path(struct harness *h, int i) {
	char dst[32];
	struct rte_mbuf *m;
	int last;

	snprintf(dst, sizeof(dst), "10.9.%d.%d", (i / 250) % 9, i % 250 + 1);
	m = PKT_IP(.src_mac = MAC_A, .dst_mac = RMAC, .src_ip = "10.1.0.10", .dst_ip = dst,
		   .in_port = harness_port("a"), .udp_dst = (uint16_t)(i + 1));
	assert_int_equal(route_one(h, m, "lan"), IP_ROUTE_OUTPUT); // the appliance's port, direct
	last = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes[5];
	pktbuf_destroy(m);
	return last;
}

static void ecmp_spreads_flows_evenly(void **state) {
	struct harness *h = *state;
	int count[4] = {0};

	assert_int_equal(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0);
	for (int i = 0; i < FLOWS; i++) {
		int p = flow_path(h, i);
		assert_in_range(p, 1, 3);
		count[p]++;
	}
	for (int p = 1; p <= 3; p++) {
		print_message("path %d: %d flows of %d\n", p, count[p], FLOWS);
		assert_in_range(count[p], FLOWS / 3 * 9 / 10, FLOWS / 3 * 11 / 10);
	}
	// A flow stays on its path.
	assert_int_equal(flow_path(h, 42), flow_path(h, 42));
}

static void ecmp_path_gone_spreads_only_its_flows(void **state) {
	struct harness *h = *state;
	static int before[FLOWS];
	int moved = 0, to[4] = {0};

	assert_int_equal(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0);
	for (int i = 0; i < FLOWS; i++)
		before[i] = flow_path(h, i);
	// Appliance p2 leaves the rules: its address is known no more.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"port\","
					  " \"id\": \"p2\"}]}"),
			 0);
	for (int i = 0; i < FLOWS; i++) {
		int p = flow_path(h, i);
		assert_int_not_equal(p, 2);
		if (before[i] != 2)
			assert_int_equal(p, before[i]); // the others' flows stay where they were
		else
			moved++, to[p]++;
	}
	assert_true(moved > FLOWS / 4);
	assert_true(to[1] > 0 && to[3] > 0);
}

static void longest_prefix_and_vrf_isolation(void **state) {
	struct harness *h = *state;
	const struct vr_cfg *vc;
	uint8_t a[16], len;
	uint32_t nh;

	assert_int_equal(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0);
	vc = vr_cfg_get(h->lc->cfg);
	assert_int_equal(inet_pton(AF_INET, "10.9.9.7", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
	assert_int_equal(len, 24);
	assert_int_equal(vc->nh[nh].type, VR_NH_GATEWAY);
	assert_int_equal(vc->nh[nh].n_paths, 1);
	assert_int_equal(inet_pton(AF_INET, "10.9.8.7", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
	assert_int_equal(len, 16);
	assert_int_equal(vc->nh[nh].n_paths, 3);
	// r2 has the same connected subnet and no static route: 10.9.8.7 has no route there.
	assert_int_equal(vr_route_lookup(vc, vr_vrf_find(vc, "r2"), 4, a, &len), 0);
	assert_int_equal(inet_pton(AF_INET, "10.1.0.99", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r2"), 4, a, &len);
	assert_int_equal(vc->nh[nh].vrf_id, vc->vrfs[vr_vrf_find(vc, "r2")].vrf_id);
	assert_int_equal(vc->nh[nh].via[0].bd_id, bridge_find(bridge_cfg_get(h->lc->cfg), "lan2")->bd_id);
	// IPv6: the connected /64.
	assert_int_equal(inet_pton(AF_INET6, "fd01::1234", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 6, a, &len);
	assert_int_equal(len, 64);
	assert_int_equal(vc->nh[nh].type, VR_NH_CONNECTED);
}

static void routes_refused_with_their_reason(void **state) {
	struct harness *h = *state;

	assert_int_not_equal(harness_apply(h, DOC(P1, "[\"10.2.0.11\"]")), 0);
	assert_non_null(strstr(h->err, "routers[0].routes[0].nexthops: 1 next hops"));
	assert_int_not_equal(harness_apply(h, DOC(P1, "[\"10.2.0.11\", \"10.2.0.11\"]")), 0);
	assert_non_null(strstr(h->err, "routers[0].routes[0].nexthops[1]: \"10.2.0.11\" is listed twice"));
	assert_int_not_equal(harness_apply(h, DOC(P1, "[\"10.2.0.11\", \"fd01::5\"]")), 0);
	assert_non_null(strstr(h->err, "is IPv6 but the prefix is IPv4"));
}

// ICMP time exceeded about an IPv4 UDP packet: headers, checksums and the quote.
static void icmp4_time_exceeded_built(void **state) {
	struct rte_mbuf *m = PKT_IP(.src_mac = MAC_A, .dst_mac = RMAC, .src_ip = "10.1.0.10",
				    .dst_ip = "10.2.0.11", .payload_len = 100);
	struct rte_mbuf *e = rte_pktmbuf_alloc(test_pool());
	struct rte_ether_addr rmac;
	const uint8_t gw[4] = {10, 1, 0, 1};
	const struct rte_ipv4_hdr *ip;
	const uint8_t *icmp;

	RTE_SET_USED(state);
	assert_int_equal(rules_parse_mac(RMAC, &rmac), 0);
	assert_true(vr_icmp_error_allowed(m, pkt_meta(m)));
	assert_int_equal(vr_icmp_error_build(e, m, pkt_meta(m), VR_ICMP4_TIME_EXCEEDED, 0, 0, &rmac,
					     gw),
			 0);
	assert_int_equal(rte_pktmbuf_pkt_len(e), 14 + 20 + 8 + 28);
	ip = rte_pktmbuf_mtod_offset(e, const struct rte_ipv4_hdr *, 14);
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	assert_int_equal(ip->dst_addr, rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14)->src_addr);
	assert_memory_equal(&ip->src_addr, gw, 4);
	icmp = (const uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 11);
	assert_int_equal(rte_raw_cksum(icmp, 36), 0xffff);
	assert_memory_equal(icmp + 8, rte_pktmbuf_mtod_offset(m, uint8_t *, 14), 28);
	assert_memory_equal(rte_pktmbuf_mtod(e, uint8_t *), rte_pktmbuf_mtod_offset(m, uint8_t *, 6), 6);
	rte_pktmbuf_free(e);
	pktbuf_destroy(m);
}

// ICMPv6 packet too big about a 1,400-byte packet: the quote stops at 1,280 bytes in all.
static void icmp6_too_big_built(void **state) {
	struct rte_mbuf *m = PKT_IP(.src_mac = MAC_A, .dst_mac = RMAC, .src_ip = "fd01::a",
				    .dst_ip = "fd02::b", .payload_len = 1400);
	struct rte_mbuf *e = rte_pktmbuf_alloc(test_pool());
	struct rte_ether_addr rmac;
	uint8_t gw[16];
	int fam;
	const struct rte_ipv6_hdr *ip;
	const uint8_t *icmp;

	RTE_SET_USED(state);
	assert_int_equal(rules_parse_mac(RMAC, &rmac), 0);
	assert_int_equal(rules_parse_ip("fd01::1", &fam, gw), 0);
	assert_int_equal(vr_icmp_error_build(e, m, pkt_meta(m), VR_ICMP6_TOO_BIG, 0, 1400, &rmac, gw),
			 0);
	assert_int_equal(rte_pktmbuf_pkt_len(e), 14 + 1280);
	ip = rte_pktmbuf_mtod_offset(e, const struct rte_ipv6_hdr *, 14);
	icmp = (const uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 2);
	{
		rte_be32_t mtu;
		memcpy(&mtu, icmp + 4, 4);
		assert_int_equal(rte_be_to_cpu_32(mtu), 1400);
	}
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, icmp), 0);
	assert_memory_equal(icmp + 8, rte_pktmbuf_mtod_offset(m, uint8_t *, 14), 1280 - 48);
	rte_pktmbuf_free(e);
	pktbuf_destroy(m);
}

static void icmp_error_not_about_errors(void **state) {
	struct rte_mbuf *m = PKT_IP(.src_mac = MAC_A, .dst_mac = RMAC, .src_ip = "10.1.0.10",
				    .dst_ip = "10.2.0.11", .proto = 1, .icmp_type = 11);
	struct rte_mbuf *q = PKT_IP(.src_mac = MAC_A, .dst_mac = RMAC, .src_ip = "10.1.0.10",
				    .dst_ip = "10.2.0.11", .proto = 1, .icmp_type = 8);

	RTE_SET_USED(state);
	assert_false(vr_icmp_error_allowed(m, pkt_meta(m))); // time exceeded: an error
	assert_true(vr_icmp_error_allowed(q, pkt_meta(q)));  // echo request: a query
	pkt_meta(q)->flags |= PKT_F_IP_LATER_FRAG;
	assert_false(vr_icmp_error_allowed(q, pkt_meta(q)));
	pktbuf_destroy(m);
	pktbuf_destroy(q);
}

static void token_bucket_limits_and_refills(void **state) {
	struct vr_bucket b = {0};
	uint64_t hz = 1000000, now = 5;

	RTE_SET_USED(state);
	for (int i = 0; i < 10; i++)
		assert_true(vr_bucket_take(&b, now, hz, 10, 10));
	assert_false(vr_bucket_take(&b, now, hz, 10, 10));
	assert_false(vr_bucket_take(&b, now + hz / 10 - 1, hz, 10, 10));
	assert_true(vr_bucket_take(&b, now + hz / 10, hz, 10, 10)); // one token a tenth of a second
	assert_false(vr_bucket_take(&b, now + hz / 10, hz, 10, 10));
	now += 100 * hz; // a long pause refills to the burst, no more
	for (int i = 0; i < 10; i++)
		assert_true(vr_bucket_take(&b, now, hz, 10, 10));
	assert_false(vr_bucket_take(&b, now, hz, 10, 10));
}

// The next hop 10.9.x.y takes in r1, 0 for none.
static uint32_t r1_lookup(struct harness *h, const char *addr) {
	const struct vr_cfg *vc = vr_cfg_get(h->lc->cfg);
	uint8_t a[16], len;

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
}

#define ROUTE_OP(op, prefix)                                                                       \
	"{\"ops\": [{\"op\": \"replace\", \"kind\": \"router\", \"object\": {\"id\": \"r1\","       \
	" \"tenant\": \"t1\", \"mac\": \"" RMAC "\", \"routes\": ["                                 \
	"{\"prefix\": \"10.9.0.0/16\", \"nexthops\": " ECMP3 "},"                                  \
	"{\"prefix\": \"10.9.9.0/24\", \"nexthop\": \"10.2.0.11\"}" op "]}}]}"

// A change of one route is one FIB change (routes are not rebuilt), seen by lookups at once;
// the next transaction, made on the other FIB copy, still has it (the copies were kept equal).
static void one_route_change_is_one_fib_change(void **state) {
	struct harness *h = *state;
	uint32_t routes;

	assert_int_equal(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0);
	routes = vr_fib_n_routes();
	assert_int_equal(r1_lookup(h, "10.77.1.1"), 0);
	assert_int_equal(harness_apply(h, ROUTE_OP(",{\"prefix\": \"10.77.0.0/16\", \"blackhole\": true}", "")), 0);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(vr_fib_n_routes(), routes + 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_BLACKHOLE);
	// On the other copy now: both routes of before and the new one.
	assert_int_equal(harness_apply(h, ROUTE_OP(",{\"prefix\": \"10.77.0.0/16\", \"blackhole\": true},"
						   "{\"prefix\": \"10.78.0.0/16\", \"blackhole\": true}", "")), 0);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_BLACKHOLE);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.78.1.1")].type, VR_NH_BLACKHOLE);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.9.9.1")].n_paths, 1);
	// Removing a route: one change; the blackhole next hop is still used by 10.78/16.
	assert_int_equal(harness_apply(h, ROUTE_OP(",{\"prefix\": \"10.78.0.0/16\", \"blackhole\": true}", "")), 0);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(r1_lookup(h, "10.77.1.1"), 0);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.78.1.1")].type, VR_NH_BLACKHOLE);
}

// More routes than the FIB holds: refused with the reason, and the FIBs are as before (the
// shadow copy's changes undone), so the next transaction works on both copies.
static void refused_routes_leave_the_fibs_as_they_were(void **state) {
	struct harness *h = *state;
	uint32_t routes, nhs, before;
	json_t *doc, *r1routes;
	char *text;

	assert_int_equal(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0);
	routes = vr_fib_n_routes();
	nhs = vr_fib_n_nh();
	before = r1_lookup(h, "10.9.9.1");
	doc = json_loads(DOC(P1 P2 P3, ECMP3), 0, NULL);
	json_object_set_new(doc, "revision", json_integer(2));
	r1routes = json_object_get(json_array_get(json_object_get(doc, "routers"), 0), "routes");
	// IPv6 (IPv4 routes of a router this big would go to a FIB of its own).
	for (uint32_t i = 0; i < vr_fib_routes_max(); i++) {
		char p[48];
		snprintf(p, sizeof(p), "fd10:%x:%x::/64", i >> 16, i & 0xffff);
		json_array_append_new(r1routes, json_pack("{sssb}", "prefix", p, "blackhole", 1));
	}
	text = json_dumps(doc, JSON_COMPACT);
	assert_int_not_equal(harness_apply(h, text), 0);
	assert_non_null(strstr(h->err, "routes fit (vnetd configuration routing.routes_max)"));
	free(text);
	json_decref(doc);
	assert_int_equal(vr_fib_n_routes(), routes);
	assert_int_equal(vr_fib_n_nh(), nhs);
	assert_int_equal(r1_lookup(h, "10.9.9.1"), before);
	assert_int_equal(r1_lookup(h, "10.100.0.1"), 0);
	assert_int_equal(harness_apply(h, ROUTE_OP(",{\"prefix\": \"10.77.0.0/16\", \"blackhole\": true}", "")), 0);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_BLACKHOLE);
	assert_int_equal(r1_lookup(h, "10.9.9.1"), before);
}

// DOC(P1 P2 P3, ECMP3) with `n` more blackhole routes in r1, /32s: in distinct /24s if `spread`,
// else 10.100.0.0 up. Revision `rev`. The text, to free.
static char *doc_big_r1(uint32_t n, bool spread, int rev) {
	json_t *doc = json_loads(DOC(P1 P2 P3, ECMP3), 0, NULL), *r1routes;
	char *text;

	json_object_set_new(doc, "revision", json_integer(rev));
	r1routes = json_object_get(json_array_get(json_object_get(doc, "routers"), 0), "routes");
	for (uint32_t i = 0; i < n; i++) {
		char p[32];
		if (spread)
			snprintf(p, sizeof(p), "11.%u.%u.1/32", i >> 8, i & 255);
		else
			snprintf(p, sizeof(p), "10.%u.%u.%u/32", 100 + (i >> 16), (i >> 8) & 255,
				 i & 255);
		json_array_append_new(r1routes, json_pack("{sssb}", "prefix", p, "blackhole", 1));
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

// r1's routes (connected, static, ECMP) looked up: by vr_route_lookup and by ip_route's own
// prepare (a flow to the ECMP route goes to an appliance).
static void r1_routes_right(struct harness *h, bool with_big) {
	const struct vr_cfg *vc = vr_cfg_get(h->lc->cfg);
	uint8_t a[16], len;
	uint32_t nh;

	assert_int_equal(inet_pton(AF_INET, "10.9.9.7", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
	assert_int_equal(len, 24);
	assert_int_equal(vc->nh[nh].n_paths, 1);
	assert_int_equal(inet_pton(AF_INET, "10.9.8.7", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
	assert_int_equal(len, 16);
	assert_int_equal(vc->nh[nh].n_paths, 3);
	assert_int_equal(inet_pton(AF_INET, "10.1.0.99", a), 1);
	nh = vr_route_lookup(vc, vr_vrf_find(vc, "r1"), 4, a, &len);
	assert_int_equal(vc->nh[nh].type, VR_NH_CONNECTED);
	assert_int_equal(len, 24);
	assert_int_equal(r1_lookup(h, "10.100.0.5") != 0, with_big);
	if (with_big)
		assert_int_equal(vr_nh_table[r1_lookup(h, "10.100.0.5")].type, VR_NH_BLACKHOLE);
	// r2 (the same connected subnet, no static route) is not r1.
	assert_int_equal(inet_pton(AF_INET, "10.9.8.7", a), 1);
	assert_int_equal(vr_route_lookup(vc, vr_vrf_find(vc, "r2"), 4, a, &len), 0);
	for (int i = 0; i < 30; i++) {
		int last = flow_path(h, i);
		assert_true(last >= 1 && last <= 3);
	}
}

// A router with more IPv4 routes than routing.router_fib_threshold (4,096) gets a DIR-24-8 FIB of
// its own, on both copies; under half of it, back into the shared one; lookups right throughout,
// and a later change is still one FIB change.
static void big_router_gets_own_fib(void **state) {
	struct harness *h = *state;
	const struct vr_cfg *vc;
	uint16_t r1, r2;
	char *text;

	assert_return_code_msg(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0, h->err);
	assert_int_equal(vr_fib_n_own(), 0);
	text = doc_big_r1(5000, false, 2);
	assert_return_code_msg(harness_apply(h, text), 0, h->err);
	free(text);
	vc = vr_cfg_get(h->lc->cfg);
	r1 = vc->vrfs[vr_vrf_find(vc, "r1")].vrf_id;
	r2 = vc->vrfs[vr_vrf_find(vc, "r2")].vrf_id;
	assert_int_equal(vr_fib_n_own(), 1);
	assert_non_null(vc->fib4_own[r1]);
	assert_null(vc->fib4_own[r2]);
	r1_routes_right(h, true);
	// One more route: one op, on the other copy, which got the move too.
	text = doc_big_r1(5001, false, 3);
	assert_return_code_msg(harness_apply(h, text), 0, h->err);
	free(text);
	vc = vr_cfg_get(h->lc->cfg);
	assert_int_equal(vc->txn->n_ops, 1);
	assert_non_null(vc->fib4_own[r1]);
	r1_routes_right(h, true);
	// Back to 2 static routes: into the shared FIB; the own FIBs freed.
	assert_return_code_msg(harness_apply(h, ROUTE_OP("", "")), 0, h->err);
	vc = vr_cfg_get(h->lc->cfg);
	assert_null(vc->fib4_own[r1]);
	assert_int_equal(vr_fib_n_own(), 0);
	r1_routes_right(h, false);
	assert_return_code_msg(harness_apply(h, ROUTE_OP(",{\"prefix\": \"10.77.0.0/16\", \"blackhole\": true}", "")), 0, h->err);
	r1_routes_right(h, false);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_BLACKHOLE);
}

// An own FIB that cannot take the routes (a /32 in each of 33,000 /24s: one 256-entry group each,
// about 32,767 fit): refused with the reason; nothing moved, lookups as before, the next
// transaction works.
static void own_fib_refusal_undone(void **state) {
	struct harness *h = *state;
	uint32_t routes, nhs;
	char *text;

	assert_return_code_msg(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0, h->err);
	routes = vr_fib_n_routes();
	nhs = vr_fib_n_nh();
	text = doc_big_r1(33000, true, 2);
	assert_int_not_equal(harness_apply(h, text), 0);
	free(text);
	assert_non_null(strstr(h->err, "the router's own FIB refused route"));
	assert_non_null(strstr(h->err, "routing.router_fib_routes_max"));
	assert_int_equal(vr_fib_n_routes(), routes);
	assert_int_equal(vr_fib_n_nh(), nhs);
	assert_int_equal(vr_fib_n_own(), 0);
	r1_routes_right(h, false);
	text = doc_big_r1(32000, true, 3);
	assert_return_code_msg(harness_apply(h, text), 0, h->err);
	free(text);
	assert_int_equal(vr_fib_n_own(), 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "11.124.255.1")].type, VR_NH_BLACKHOLE);
	assert_int_equal(r1_lookup(h, "11.124.255.2"), 0);
	r1_routes_right(h, false);
}

#define RT_OP(body) "{\"ops\": [" body "]}"

// Route operations ("kind": "route" with its "router"): one route added, replaced and removed
// without resending the router; one FIB change each; the document keeps the other routes; bad
// ones refused with their reason and nothing changed.
static void route_ops_edit_one_route(void **state) {
	struct harness *h = *state;
	const json_t *r1;

	assert_return_code_msg(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0, h->err);
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"object\": {\"prefix\": \"10.77.0.0/16\", \"blackhole\": true}}")),
			       0, h->err);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_BLACKHOLE);
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"replace\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"object\": {\"prefix\": \"10.77.0.0/16\", \"nexthop\": \"10.2.0.12\"}}")),
			       0, h->err);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.77.1.1")].type, VR_NH_GATEWAY);
	r1 = json_array_get(json_object_get(rules_current(), "routers"), 0);
	assert_int_equal(json_array_size(json_object_get(r1, "routes")), 3);
	r1_routes_right(h, false);
	// IPv6, named in another spelling to remove it.
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"object\": {\"prefix\": \"FD02::/64\", \"blackhole\": true}}")),
			       0, h->err);
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"id\": \"fd02:0::/64\"}, {\"op\": \"remove\", \"kind\": \"route\","
						      " \"router\": \"r1\", \"id\": \"10.77.0.0/16\"}")),
			       0, h->err);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 2);
	assert_int_equal(r1_lookup(h, "10.77.1.1"), 0);
	r1 = json_array_get(json_object_get(rules_current(), "routers"), 0);
	assert_int_equal(json_array_size(json_object_get(r1, "routes")), 2);
	// Parsed incrementally: one route parsed anew, none gone.
	assert_int_equal(vr_cfg_get(h->lc->cfg)->vrfs[vr_vrf_find(vr_cfg_get(h->lc->cfg), "r1")].incremental, true);
	// A static route over a connected subnet wins; removed, the connected route is back.
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"object\": {\"prefix\": \"10.2.0.0/24\", \"blackhole\": true}}")),
			       0, h->err);
	{
		const struct vr_cfg *vc = vr_cfg_get(h->lc->cfg);
		const struct vr_vrf *v = &vc->vrfs[vr_vrf_find(vc, "r1")];
		assert_true(v->incremental);
		assert_int_equal(v->n_fresh, 1);
		assert_int_equal(v->n_removed, 0);
		assert_int_equal(vc->txn->n_ops, 1);
	}
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.2.0.5")].type, VR_NH_BLACKHOLE);
	assert_return_code_msg(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"route\", \"router\": \"r1\","
						      " \"id\": \"10.2.0.0/24\"}")),
			       0, h->err);
	assert_int_equal(vr_cfg_get(h->lc->cfg)->txn->n_ops, 1);
	assert_int_equal(vr_nh_table[r1_lookup(h, "10.2.0.5")].type, VR_NH_CONNECTED);
	r1_routes_right(h, false);
	// A route added twice in one transaction: refused as a duplicate, at the later one.
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.80.0.0/16\", \"blackhole\": true}},"
						    "{\"op\": \"replace\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.9.9.0/24\", \"nexthop\": \"10.2.0.13\"}},"
						    "{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.9.0.0/16\", \"blackhole\": true}}")), 0);
	assert_non_null(strstr(h->err, "ops[2]: route already exists"));
	// Refused, each with its reason; the applied document stays.
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.9.9.0/24\", \"blackhole\": true}}")), 0);
	assert_non_null(strstr(h->err, "ops[0]: route already exists (use replace)"));
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"id\": \"10.66.0.0/16\"}")), 0);
	assert_non_null(strstr(h->err, "ops[0]: no such route"));
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"route\", \"router\": \"rx\","
						    " \"id\": \"10.9.9.0/24\"}")), 0);
	assert_non_null(strstr(h->err, "ops[0]: no such router \"rx\""));
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"route\", \"id\": \"10.9.9.0/24\"}")), 0);
	assert_non_null(strstr(h->err, "ops[0]: missing required key \"router\""));
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"remove\", \"kind\": \"port\", \"router\": \"r1\", \"id\": \"a\"}")), 0);
	assert_non_null(strstr(h->err, "router"));
	assert_int_not_equal(harness_apply(h, RT_OP("{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.78.0.0/16\", \"blackhole\": true}},"
						    "{\"op\": \"add\", \"kind\": \"route\", \"router\": \"r1\","
						    " \"object\": {\"prefix\": \"10.79.0.1/16\", \"blackhole\": true}}")), 0);
	assert_non_null(strstr(h->err, "routers[0].routes[3].prefix"));
	assert_int_equal(r1_lookup(h, "10.78.1.1"), 0);
	r1 = json_array_get(json_object_get(rules_current(), "routers"), 0);
	assert_int_equal(json_array_size(json_object_get(r1, "routes")), 2);
	r1_routes_right(h, false);
}

// Routers gone: every route goes, every next hop is freed.
static void no_router_no_route(void **state) {
	struct harness *h = *state;

	assert_return_code_msg(harness_apply(h, DOC(P1 P2 P3, ECMP3)), 0, h->err);
	assert_true(vr_fib_n_routes() > 0);
	assert_return_code_msg(harness_apply(h, "{\"revision\": 3, \"networks\": [{\"id\": \"lan\","
					  " \"tenant\": \"t1\", \"vni\": 10}]}"),
			 0, h->err);
	assert_int_equal(vr_fib_n_routes(), 0);
	assert_int_equal(vr_fib_n_nh(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
		T(ecmp_spreads_flows_evenly),
		T(ecmp_path_gone_spreads_only_its_flows),
		T(longest_prefix_and_vrf_isolation),
		T(routes_refused_with_their_reason),
		T(icmp4_time_exceeded_built),
		T(icmp6_too_big_built),
		T(icmp_error_not_about_errors),
		T(token_bucket_limits_and_refills),
		T(one_route_change_is_one_fib_change),
		T(refused_routes_leave_the_fibs_as_they_were),
		T(big_router_gets_own_fib),
		T(own_fib_refusal_undone),
		T(route_ops_edit_one_route),
		T(no_router_no_route),
	};

	if (harness_global_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
