// SPDX-License-Identifier: BSD-3-Clause
// L7 rules in the real graph (tests/lib/graph_harness.h): HTTP requests allowed and denied by
// host, path and method, with both ends reset; a TLS ClientHello in two segments held and let go
// in order, or dropped whole; DNS queries allowed and refused; segments out of order or with a
// bad checksum; the hold's timeout; a full burst of 256 connections wanting the hold (64 slots);
// an allowed connection kept across an unrelated rules change and cut when its rule changes.
// After each: every port's counters close and every mbuf is back in the pool. Runs under ASan.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/drop.h"
#include "dataplane/lcore.h"
#include "tests/lib/graph_harness.h"
#include "tests/lib/harness.h"
#include "firewall/conntrack.h"
#include "firewall/fw.h"
#include "firewall/sg_hold.h"
#include "tests/unit/firewall/l7_samples.h"

#define MAC_C "02:00:00:00:05:0c"
#define MAC_S "02:00:00:00:05:0b"
#define IP_C "10.5.0.12"
#define IP_S "10.5.0.11"

// c, the client: egress TCP 80 and 8080, UDP 53, and TLS to *.shop.example only. s, the server:
// ingress HTTP GET shop.example/api/ on 8080, DNS for shop.example and its subdomains, TCP 443
// from anyone; egress anything.
#define API_RULE(prefix)                                                                           \
	"{\"id\": \"api\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"8080\","  \
	" \"l7\": {\"http\": {\"host\": \"shop.example\", \"path_prefix\": \"" prefix "\","         \
	" \"methods\": [\"GET\"]}}}"
#define DOC(rev, prefix, extra_rule)                                                               \
	"{\"revision\": " #rev ", \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 50}],"     \
	" \"security_groups\": ["                                                                  \
	"  {\"id\": \"client\", \"tenant\": \"t\", \"rules\": ["                                   \
	"   {\"id\": \"web\", \"direction\": \"egress\", \"protocol\": \"tcp\", \"ports\": \"80\"}," \
	"   {\"id\": \"alt\", \"direction\": \"egress\", \"protocol\": \"tcp\", \"ports\": \"8080\"},"\
	"   {\"id\": \"dns\", \"direction\": \"egress\", \"protocol\": \"udp\", \"ports\": \"53\"}," \
	"   {\"id\": \"tls\", \"direction\": \"egress\", \"protocol\": \"tcp\", \"ports\": \"443\","  \
	"    \"l7\": {\"tls\": {\"sni\": [\"*.shop.example\"]}}}" extra_rule "]},"                 \
	"  {\"id\": \"server\", \"tenant\": \"t\", \"rules\": [" API_RULE(prefix) ","              \
	"   {\"id\": \"names\", \"direction\": \"ingress\", \"protocol\": \"udp\","                \
	"    \"l7\": {\"dns\": {\"names\": [\"shop.example\", \"*.shop.example\"]}}},"             \
	"   {\"id\": \"https\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"443\"}," \
	"   {\"id\": \"out\", \"direction\": \"egress\"}]}],"                                       \
	" \"ports\": ["                                                                            \
	"  {\"id\": \"c\", \"network\": \"n\", \"device\": \"net_null60\", \"mac\": \"" MAC_C "\","  \
	"   \"ips\": [\"" IP_C "\"], \"security_groups\": [\"client\"]},"                          \
	"  {\"id\": \"s\", \"network\": \"n\", \"device\": \"net_null61\", \"mac\": \"" MAC_S "\","  \
	"   \"ips\": [\"" IP_S "\"], \"security_groups\": [\"server\"]}]}"

static uint16_t port_c, port_s;

// An IPv4 frame of a TCP segment or UDP datagram (proto 6 or 17) with `payload`, checksums right
// (bad_cksum: the L4 checksum off by one), into f. Its length.
static size_t frame(uint8_t *f, bool from_c, uint8_t proto, uint16_t sport, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack, const void *payload, size_t plen,
		    bool bad_cksum) {
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	size_t l4_len = (proto == 6 ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)) + plen;

	rte_ether_unformat_addr(from_c ? MAC_C : MAC_S, &eth->src_addr);
	rte_ether_unformat_addr(from_c ? MAC_S : MAC_C, &eth->dst_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	inet_pton(AF_INET, from_c ? IP_C : IP_S, &ip->src_addr);
	inet_pton(AF_INET, from_c ? IP_S : IP_C, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (proto == 6) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;
		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(dport);
		t->sent_seq = rte_cpu_to_be_32(seq);
		t->recv_ack = rte_cpu_to_be_32(ack);
		t->data_off = 5 << 4;
		t->tcp_flags = flags;
		t->rx_win = rte_cpu_to_be_16(65535);
		if (plen > 0)
			memcpy(t + 1, payload, plen);
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
		if (bad_cksum)
			t->cksum++;
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)l4_len);
		u->dgram_cksum = 0;
		if (plen > 0)
			memcpy(u + 1, payload, plen);
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	}
	return sizeof(*eth) + sizeof(*ip) + l4_len;
}

static uint8_t fbuf[20000];

// One frame through the graph, from c or from s.
static void send_tcp(struct harness *h, bool from_c, uint16_t sport, uint16_t dport, uint8_t flags,
		     uint32_t seq, uint32_t ack, const void *payload, size_t plen) {
	size_t n = frame(fbuf, from_c, 6, sport, dport, flags, seq, ack, payload, plen, false);
	struct rte_mbuf *m = harness_mbuf(fbuf, (uint32_t)n, from_c ? port_c : port_s);

	assert_non_null(m);
	harness_graph_run(h, &m, 1);
}

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define PSH RTE_TCP_PSH_FLAG
#define CLIENT_ISN 1000u
#define SERVER_ISN 5000u

// The three-way handshake of c:sport -> s:dport (client ISN 1000, server ISN 5000).
static void handshake(struct harness *h, uint16_t sport, uint16_t dport) {
	send_tcp(h, true, sport, dport, SYN, CLIENT_ISN, 0, NULL, 0);
	send_tcp(h, false, dport, sport, SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, NULL, 0);
	send_tcp(h, true, sport, dport, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, NULL, 0);
}

// The client's first request bytes on that connection.
static void request(struct harness *h, uint16_t sport, uint16_t dport, const char *req) {
	send_tcp(h, true, sport, dport, PSH | ACK, CLIENT_ISN + 1, SERVER_ISN + 1, req,
		 strlen(req));
}

static uint64_t tx(struct harness *h, uint16_t port) {
	return h->lc->counters.port[port].tx_pkts;
}

static uint64_t dropped(struct harness *h, uint16_t port, enum dp_drop_reason r) {
	return h->lc->counters.drops[port][r];
}

static unsigned int pool_base;

static void check_closed(struct harness *h) {
	char err[256];

	if (!harness_counters_close(h, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(harness_pool_in_use(), pool_base);
}

static void http_request_decides_the_connection(void **state) {
	struct harness *h = *state;
	uint64_t s0, c0;

	handshake(h, 40000, 8080);
	assert_int_equal(tx(h, port_s), 2); // SYN and ACK: the request decides, not the handshake
	assert_int_equal(tx(h, port_c), 1);
	request(h, 40000, 8080, "GET /api/items HTTP/1.1\r\nHost: Shop.Example:8080\r\n\r\n");
	assert_int_equal(tx(h, port_s), 3);
	// The connection is allowed for good: the server's answer, the client's next request.
	send_tcp(h, false, 8080, 40000, PSH | ACK, SERVER_ISN + 1, CLIENT_ISN + 50, "HTTP/1.1 200 OK\r\n\r\n", 19);
	assert_int_equal(tx(h, port_c), 2);

	// Wrong path, host, method: dropped as l7_denied, and both ends get a RST.
	static const char *const bad[] = {
		"GET /admin HTTP/1.1\r\nHost: shop.example\r\n\r\n",
		"GET /api/items HTTP/1.1\r\nHost: evil.example\r\n\r\n",
		"POST /api/items HTTP/1.1\r\nHost: shop.example\r\n\r\n",
		"\x16\x03\x01\x00\x05hello", // not HTTP at all
	};
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		uint16_t sport = (uint16_t)(40001 + i);
		handshake(h, sport, 8080);
		s0 = tx(h, port_s);
		c0 = tx(h, port_c);
		request(h, sport, 8080, bad[i]);
		assert_int_equal(dropped(h, port_c, DROP_L7_DENIED), i + 1);
		assert_int_equal(tx(h, port_s), s0 + 1); // the RST to the server
		assert_int_equal(tx(h, port_c), c0 + 1); // the RST back to the client
	}
	// What the client sends next on a denied connection is denied by the verdict kept.
	send_tcp(h, true, 40001, 8080, ACK, CLIENT_ISN + 60, SERVER_ISN + 1, NULL, 0);
	assert_int_equal(dropped(h, port_c, DROP_SG_DENIED), 1);
	// A server that speaks before the request: nothing decided yet, its bytes do not pass.
	handshake(h, 40010, 8080);
	send_tcp(h, false, 8080, 40010, PSH | ACK, SERVER_ISN + 1, CLIENT_ISN + 1, "220 hi\r\n", 8);
	assert_int_equal(dropped(h, port_s, DROP_L7_UNINSPECTED), 1);
	check_closed(h);
}

// The ClientHello of sni, padded to about 1,700 bytes (a post-quantum one's size): more than
// one segment of a 1,500-byte MTU.
static size_t hello_segments(uint8_t *ch, const char *sni) {
	return client_hello(ch, sni, 1500, 16384);
}

static void tls_hello_in_two_segments(void **state) {
	struct harness *h = *state;
	static uint8_t ch[20000];
	size_t n = client_hello(ch, "www.shop.example", 200, 16384), cut = 1000;
	uint64_t s0;

	// Whole in one segment: decided at once.
	handshake(h, 41000, 443);
	s0 = tx(h, port_s);
	send_tcp(h, true, 41000, 443, PSH | ACK, CLIENT_ISN + 1, SERVER_ISN + 1, ch, n);
	assert_int_equal(tx(h, port_s), s0 + 1);
	n = hello_segments(ch, "www.shop.example");

	// In two: the first is held (nothing passes), the second lets both go.
	handshake(h, 41001, 443);
	s0 = tx(h, port_s);
	send_tcp(h, true, 41001, 443, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, ch, cut);
	assert_int_equal(tx(h, port_s), s0);
	assert_int_equal(harness_pool_in_use(), pool_base + 1);
	send_tcp(h, true, 41001, 443, PSH | ACK, CLIENT_ISN + 1 + (uint32_t)cut, SERVER_ISN + 1,
		 ch + cut, n - cut);
	assert_int_equal(tx(h, port_s), s0 + 2);
	assert_int_equal(harness_pool_in_use(), pool_base);

	// While held: a segment that is not the next bytes is dropped (out of order), one with a
	// bad checksum too; the held one stays.
	handshake(h, 41002, 443);
	send_tcp(h, true, 41002, 443, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, ch, cut);
	send_tcp(h, true, 41002, 443, ACK, CLIENT_ISN + 1 + (uint32_t)cut + 10, SERVER_ISN + 1,
		 ch + cut + 10, 100);
	assert_int_equal(dropped(h, port_c, DROP_L7_OUT_OF_ORDER), 1);
	{
		size_t len = frame(fbuf, true, 6, 41002, 443, ACK, CLIENT_ISN + 1 + (uint32_t)cut,
				   SERVER_ISN + 1, ch + cut, n - cut, true);
		struct rte_mbuf *m = harness_mbuf(fbuf, (uint32_t)len, port_c);
		harness_graph_run(h, &m, 1);
	}
	assert_int_equal(dropped(h, port_c, DROP_L7_BAD_CHECKSUM), 1);
	s0 = tx(h, port_s);
	send_tcp(h, true, 41002, 443, PSH | ACK, CLIENT_ISN + 1 + (uint32_t)cut, SERVER_ISN + 1,
		 ch + cut, n - cut);
	assert_int_equal(tx(h, port_s), s0 + 2);

	// Another name, in two segments: both dropped, both ends reset.
	n = hello_segments(ch, "www.other.example");
	handshake(h, 41003, 443);
	send_tcp(h, true, 41003, 443, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, ch, cut);
	s0 = tx(h, port_s);
	uint64_t c0 = tx(h, port_c);
	send_tcp(h, true, 41003, 443, PSH | ACK, CLIENT_ISN + 1 + (uint32_t)cut, SERVER_ISN + 1,
		 ch + cut, n - cut);
	assert_int_equal(dropped(h, port_c, DROP_L7_DENIED), 2);
	assert_int_equal(tx(h, port_s), s0 + 1);
	assert_int_equal(tx(h, port_c), c0 + 1);
	check_closed(h);
}

static void dns_queries_allowed_and_refused(void **state) {
	struct harness *h = *state;
	static const char *const good[] = {"www.shop.example", "shop.example"};
	static const char *const mixed[] = {"www.shop.example", "evil.example"};
	uint8_t q[512];
	size_t n, len;
	struct rte_mbuf *m;

	n = dns_query(q, good, 2);
	len = frame(fbuf, true, 17, 5353, 53, 0, 0, 0, q, n, false);
	m = harness_mbuf(fbuf, (uint32_t)len, port_c);
	harness_graph_run(h, &m, 1);
	assert_int_equal(tx(h, port_s), 1);
	// Its answer passes.
	len = frame(fbuf, false, 17, 53, 5353, 0, 0, 0, q, n, false);
	m = harness_mbuf(fbuf, (uint32_t)len, port_s);
	harness_graph_run(h, &m, 1);
	assert_int_equal(tx(h, port_c), 1);
	// A query with one name not allowed: refused (an answer to c), not sent on.
	n = dns_query(q, mixed, 2);
	len = frame(fbuf, true, 17, 5353, 53, 0, 0, 0, q, n, false);
	m = harness_mbuf(fbuf, (uint32_t)len, port_c);
	harness_graph_run(h, &m, 1);
	assert_int_equal(dropped(h, port_c, DROP_L7_DENIED), 1);
	assert_int_equal(tx(h, port_s), 1);
	assert_int_equal(tx(h, port_c), 2);
	// Not DNS at all: denied, no answer.
	len = frame(fbuf, true, 17, 5354, 53, 0, 0, 0, "hello", 5, false);
	m = harness_mbuf(fbuf, (uint32_t)len, port_c);
	harness_graph_run(h, &m, 1);
	assert_int_equal(dropped(h, port_c, DROP_L7_DENIED), 2);
	assert_int_equal(tx(h, port_c), 2);
	check_closed(h);
}

static void held_segments_time_out(void **state) {
	struct harness *h = *state;
	static uint8_t ch[20000];
	size_t n = hello_segments(ch, "www.shop.example");
	uint64_t s0, c0;

	RTE_SET_USED(n);
	handshake(h, 42000, 443);
	send_tcp(h, true, 42000, 443, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, ch, 1000);
	assert_int_equal(harness_pool_in_use(), pool_base + 1);
	s0 = tx(h, port_s);
	c0 = tx(h, port_c);
	// 1.5 s later, the next packet through sg_egress finds it expired: dropped, both ends reset.
	harness_tsc_offset += rte_get_tsc_hz() * 3 / 2;
	send_tcp(h, true, 42001, 443, SYN, 1, 0, NULL, 0);
	assert_int_equal(dropped(h, port_c, DROP_L7_HOLD_TIMEOUT), 1);
	assert_int_equal(tx(h, port_s), s0 + 2); // the new SYN and the RST
	assert_int_equal(tx(h, port_c), c0 + 1); // the RST back
	check_closed(h);
}

// A burst of 256 connections' first segments that each need more bytes: 64 are held (the
// worker's slots), the rest dropped as l7_hold_overflow; their second segments let the held ones
// go, and are out of order for the others.
static void full_burst_wants_the_hold(void **state) {
	struct harness *h = *state;
	static uint8_t ch[20000];
	size_t n = hello_segments(ch, "www.shop.example"), cut = 1000;
	struct rte_mbuf *burst[256];
	uint8_t flags[3] = {SYN, SYN | ACK, ACK};

	for (int step = 0; step < 3; step++) {
		for (uint16_t i = 0; i < 256; i++) {
			bool from_c = step != 1;
			uint16_t sport = (uint16_t)(43000 + i);
			size_t len = frame(fbuf, from_c, 6, from_c ? sport : 443, from_c ? 443 : sport,
					   flags[step], step == 1 ? SERVER_ISN : CLIENT_ISN + (step ? 1 : 0),
					   step == 0 ? 0 : step == 1 ? CLIENT_ISN + 1 : SERVER_ISN + 1,
					   NULL, 0, false);
			burst[i] = harness_mbuf(fbuf, (uint32_t)len, from_c ? port_c : port_s);
			assert_non_null(burst[i]);
		}
		harness_graph_run(h, burst, 256);
	}
	for (int seg = 0; seg < 2; seg++) {
		uint64_t s0 = tx(h, port_s);
		for (uint16_t i = 0; i < 256; i++) {
			size_t len = frame(fbuf, true, 6, (uint16_t)(43000 + i), 443, ACK,
					   CLIENT_ISN + 1 + (seg ? (uint32_t)cut : 0), SERVER_ISN + 1,
					   seg ? ch + cut : ch, seg ? n - cut : cut, false);
			burst[i] = harness_mbuf(fbuf, (uint32_t)len, port_c);
			assert_non_null(burst[i]);
		}
		harness_graph_run(h, burst, 256);
		if (seg == 0) {
			assert_int_equal(tx(h, port_s), s0);
			assert_int_equal(dropped(h, port_c, DROP_L7_HOLD_OVERFLOW), 256 - SG_HOLD_SLOTS);
			assert_int_equal(harness_pool_in_use(), pool_base + SG_HOLD_SLOTS);
		} else {
			assert_int_equal(tx(h, port_s), s0 + 2 * SG_HOLD_SLOTS);
			assert_int_equal(dropped(h, port_c, DROP_L7_OUT_OF_ORDER), 256 - SG_HOLD_SLOTS);
		}
	}
	check_closed(h);
}

// A connection an L7 rule allowed keeps its verdict through a rules change that leaves that rule
// as it was, and stops at its next packet once the rule changes.
static void allowed_connection_follows_its_rule(void **state) {
	struct harness *h = *state;
	uint64_t s0;
	int ret;

	handshake(h, 44000, 8080);
	request(h, 44000, 8080, "GET /api/x HTTP/1.1\r\nHost: shop.example\r\n\r\n");
	ret = harness_apply(h, DOC(2, "/api/", ",{\"id\": \"ssh\", \"direction\": \"egress\", \"protocol\": \"tcp\", \"ports\": \"22\"}"));
	if (ret != 0)
		fail_msg("%s", h->err);
	s0 = tx(h, port_s);
	send_tcp(h, true, 44000, 8080, ACK, CLIENT_ISN + 50, SERVER_ISN + 1, NULL, 0);
	assert_int_equal(tx(h, port_s), s0 + 1);
	ret = harness_apply(h, DOC(3, "/v2/", ""));
	if (ret != 0)
		fail_msg("%s", h->err);
	send_tcp(h, true, 44000, 8080, ACK, CLIENT_ISN + 50, SERVER_ISN + 1, NULL, 0);
	assert_int_equal(tx(h, port_s), s0 + 1);
	assert_int_equal(dropped(h, port_c, DROP_SG_DENIED), 1);
	check_closed(h);
}

struct find_ct {
	uint16_t sport;
	bool found;
	struct ct_key k;
	struct ct_entry e;
};

static void find_one(const struct ct_key *k, const struct ct_entry *e, void *arg) {
	struct find_ct *f = arg;
	if (k->proto == IPPROTO_TCP && (k->port_a == f->sport || k->port_b == f->sport)) {
		f->found = true;
		f->k = *k;
		f->e = *e;
	}
}

// A connection an l7 rule allowed, moved (as conntrack.export / import do: the entry leaves this
// table, comes back imported with its sides' rule signatures): its next packets pass; imported
// without the signature, they are denied (its first request is gone).
static void imported_connection_keeps_its_l7_verdict(void **state) {
	struct harness *h = *state;
	uint64_t s0, hz = rte_get_tsc_hz();

	for (int keep = 1; keep >= 0; keep--) {
		uint16_t sport = (uint16_t)(45000 + keep);
		struct find_ct f = {.sport = sport};

		handshake(h, sport, 8080);
		request(h, sport, 8080, "GET /api/x HTTP/1.1\r\nHost: shop.example\r\n\r\n");
		ct_foreach(find_one, &f);
		assert_true(f.found);
		assert_int_equal(f.e.side[1].flags, SG_V_ALLOW);
		assert_int_not_equal(f.e.side[1].sig, 0);
		// The port leaves: its entries expire here (3 hours later), then come back imported.
		harness_tsc_offset += 3 * 3600 * hz;
		ct_expire(0, rte_rdtsc() + harness_tsc_offset, 1u << 24); // a whole pass
		if (!keep)
			f.e.side[1].sig = 0;
		assert_int_equal(ct_import(&f.k, &f.e, 60 * hz, rte_rdtsc() + harness_tsc_offset), 0);
		s0 = tx(h, port_s);
		send_tcp(h, true, sport, 8080, ACK, CLIENT_ISN + 50, SERVER_ISN + 1, NULL, 0);
		assert_int_equal(tx(h, port_s), s0 + (keep ? 1 : 0));
	}
	assert_int_equal(dropped(h, port_c, DROP_SG_DENIED), 1);
	check_closed(h);
}

static int setup(void **state) {
	struct harness *h;

	if (harness_setup(state) < 0)
		return -1;
	h = *state;
	if (harness_apply(h, DOC(1, "/api/", "")) != 0) {
		fprintf(stderr, "setup apply: %s\n", h->err);
		return -1;
	}
	if (harness_graph_create() < 0)
		return -1;
	port_c = harness_port("c");
	port_s = harness_port("s");
	pool_base = harness_pool_in_use();
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)
		T(http_request_decides_the_connection),
		T(tls_hello_in_two_segments),
		T(dns_queries_allowed_and_refused),
		T(held_segments_time_out),
		T(full_burst_wants_the_hold),
		T(allowed_connection_follows_its_rule),
		T(imported_connection_keeps_its_l7_verdict),
	};
	if (harness_global_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
