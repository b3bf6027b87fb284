// SPDX-License-Identifier: BSD-3-Clause
// fw_graph_bench: the firewall's per-connection work through vnetd's real graph, in-process
// (tests/lib/graph_harness.h: a stand-in for port_rx hands bursts to vnetd's own nodes: parse,
// port security, sg_egress, the MAC lookup, sg_ingress, port_tx on net_null ports), on one core.
// Two measurements, each timing only the graph walks (the frames are written into mbufs before):
//
//   new   conntrack-new: bursts of 32 SYNs of new connections from port c to port s (c: egress
//         anything; s: ingress TCP 80), each classified at both ports and made in conntrack:
//         new connections a second and cycles a SYN.
//   l7    l7-http: whole HTTP connections from c to s (SYN, SYN-ACK, ACK, a GET request, the
//         response, FIN each way, the last ACK: 8 packets, in bursts of 32 connections' n-th
//         packets), with s's rule a plain TCP 80 rule ("plain") or an l7.http rule on Host and
//         path ("inspected"): connections a second both ways and what inspection costs each.
//
//   est   conntrack-100k vs conntrack-1m: N established connections, then 4,000,000 packets over
//         them in a scattered order, both directions: cycles a packet at that table size (the
//         pcap scenario cannot hold 1,000,000 flows: net_pcap keeps a file's frames in mbufs).
//
// Run by hand, pinned:  taskset -c 1 build/tests/unit/firewall/fw_graph_bench [new|l7|est|all] [N]
// (N connections, default 1,000,000 for new, 200,000 for l7; needs 1.5 GB of free 2 MB
// hugepages). Not a test.

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/drop.h"
#include "tests/lib/graph_harness.h"
#include "tests/lib/harness.h"

#define BURST 32

static const char *doc_fmt =
	"{\"revision\": %d, \"networks\": [{\"id\": \"n\", \"tenant\": \"t\", \"vni\": 50}],"
	" \"security_groups\": ["
	"  {\"id\": \"client\", \"tenant\": \"t\", \"rules\": [{\"id\": \"out\", \"direction\": \"egress\"}]},"
	"  {\"id\": \"server\", \"tenant\": \"t\", \"rules\": [%s,"
	"   {\"id\": \"udp\", \"direction\": \"ingress\", \"protocol\": \"udp\", \"ports\": \"5000\"},"
	"   {\"id\": \"out\", \"direction\": \"egress\"}]}],"
	" \"ports\": ["
	"  {\"id\": \"c\", \"network\": \"n\", \"device\": \"net_null60\", \"mac\": \"02:00:00:00:05:0c\","
	"   \"port_security\": false, \"security_groups\": [\"client\"]},"
	"  {\"id\": \"s\", \"network\": \"n\", \"device\": \"net_null61\", \"mac\": \"02:00:00:00:05:0b\","
	"   \"ips\": [\"10.5.0.11\"], \"security_groups\": [\"server\"]}]}";
static const char *plain_rule =
	"{\"id\": \"http\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"80\"}";
static const char *l7_rule =
	"{\"id\": \"http\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"80\","
	" \"l7\": {\"http\": {\"host\": \"shop.example\", \"path_prefix\": \"/api/\"}}}";
static const char request[] = "GET /api/items HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: "
			      "bench\r\nAccept: */*\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static uint16_t port_c, port_s;

// Connection i's frame: from the client 10.(64 + i >> 16).x.y:(1024 + i % 60000) to 10.5.0.11:80
// (or back), with flags, sequence numbers and payload.
static struct rte_mbuf *frame_l4(uint32_t i, bool from_c, bool udp, uint8_t flags, uint32_t seq,
				 uint32_t ack, const char *payload) {
	uint8_t f[256];
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	size_t plen = payload != NULL ? strlen(payload) : 0;
	uint32_t client = rte_cpu_to_be_32(0x0a400000u + i), server;
	uint16_t cport = rte_cpu_to_be_16((uint16_t)(1024 + i % 60000)), sport = rte_cpu_to_be_16(80);

	inet_pton(AF_INET, "10.5.0.11", &server);
	memset(f, 0, sizeof(f));
	rte_ether_unformat_addr(from_c ? "02:00:00:00:05:0c" : "02:00:00:00:05:0b", &eth->src_addr);
	rte_ether_unformat_addr(from_c ? "02:00:00:00:05:0b" : "02:00:00:00:05:0c", &eth->dst_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 20 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
	ip->src_addr = from_c ? client : server;
	ip->dst_addr = from_c ? server : client;
	if (udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)t;
		sport = rte_cpu_to_be_16(5000);
		ip->total_length = rte_cpu_to_be_16(20 + 8 + 18);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		u->src_port = from_c ? cport : sport;
		u->dst_port = from_c ? sport : cport;
		u->dgram_len = rte_cpu_to_be_16(8 + 18);
		u->dgram_cksum = 0;
		return harness_mbuf(f, 60, from_c ? port_c : port_s);
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->src_port = from_c ? cport : sport;
	t->dst_port = from_c ? sport : cport;
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(ack);
	t->data_off = 5 << 4;
	t->tcp_flags = flags;
	t->rx_win = rte_cpu_to_be_16(65535);
	memcpy(t + 1, payload, plen);
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	return harness_mbuf(f, (uint32_t)(14 + 20 + 20 + plen), from_c ? port_c : port_s);
}

static struct rte_mbuf *frame(uint32_t i, bool from_c, uint8_t flags, uint32_t seq, uint32_t ack,
			      const char *payload) {
	return frame_l4(i, from_c, false, flags, seq, ack, payload);
}

static uint64_t walk(struct harness *h, struct rte_mbuf **b, uint32_t n) {
	uint64_t t0 = rte_rdtsc_precise();
	harness_graph_run(h, b, n);
	return rte_rdtsc_precise() - t0;
}

static int apply(struct harness *h, int rev, const char *rule) {
	char doc[2048];

	snprintf(doc, sizeof(doc), doc_fmt, rev, rule);
	if (harness_apply(h, doc) != 0) {
		fprintf(stderr, "apply: %s\n", h->err);
		return -1;
	}
	return 0;
}

static uint64_t drops_all(struct harness *h) {
	uint64_t d = 0;
	for (int r = 1; r < DROP__COUNT; r++)
		d += h->lc->counters.drops[port_c][r] + h->lc->counters.drops[port_s][r];
	return d;
}

static int bench_new(struct harness *h, uint32_t n) {
	struct rte_mbuf *b[BURST];
	uint64_t cycles = 0, hz = rte_get_tsc_hz(), tx0 = h->lc->counters.port[port_s].tx_pkts;

	for (uint32_t i = 0; i < n; i += BURST) {
		uint32_t k = RTE_MIN((uint32_t)BURST, n - i);
		for (uint32_t j = 0; j < k; j++)
			b[j] = frame(i + j, true, RTE_TCP_SYN_FLAG, 1000, 0, NULL);
		cycles += walk(h, b, k);
	}
	printf("conntrack-new: %u SYNs of new connections c -> s (classified at both ports, made in "
	       "conntrack), bursts of %d\n", n, BURST);
	printf("  %.0f cycles a SYN (whole graph), %.2f million new connections a second; "
	       "%lu sent, %lu dropped\n",
	       (double)cycles / n, (double)n / ((double)cycles / hz) / 1e6,
	       (unsigned long)(h->lc->counters.port[port_s].tx_pkts - tx0),
	       (unsigned long)drops_all(h));
	return 0;
}

// n whole HTTP connections, 32 at a time; returns the cycles of their walks.
static uint64_t connections(struct harness *h, uint32_t base, uint32_t n) {
	struct rte_mbuf *b[BURST];
	const uint32_t c_isn = 1000, s_isn = 5000, rq = sizeof(request) - 1, rs = sizeof(response) - 1;
	uint64_t cycles = 0;

	for (uint32_t i = 0; i < n; i += BURST) {
		uint32_t k = RTE_MIN((uint32_t)BURST, n - i);
		for (int step = 0; step < 8; step++) {
			for (uint32_t j = 0; j < k; j++) {
				uint32_t c = base + i + j;
				switch (step) {
				case 0: b[j] = frame(c, true, RTE_TCP_SYN_FLAG, c_isn, 0, NULL); break;
				case 1: b[j] = frame(c, false, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, s_isn, c_isn + 1, NULL); break;
				case 2: b[j] = frame(c, true, RTE_TCP_ACK_FLAG, c_isn + 1, s_isn + 1, NULL); break;
				case 3: b[j] = frame(c, true, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, c_isn + 1, s_isn + 1, request); break;
				case 4: b[j] = frame(c, false, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, s_isn + 1, c_isn + 1 + rq, response); break;
				case 5: b[j] = frame(c, true, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, c_isn + 1 + rq, s_isn + 1 + rs, NULL); break;
				case 6: b[j] = frame(c, false, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, s_isn + 1 + rs, c_isn + 2 + rq, NULL); break;
				default: b[j] = frame(c, true, RTE_TCP_ACK_FLAG, c_isn + 2 + rq, s_isn + 2 + rs, NULL); break;
				}
			}
			cycles += walk(h, b, k);
		}
	}
	return cycles;
}

static int bench_l7(struct harness *h, uint32_t n) {
	uint64_t hz = rte_get_tsc_hz(), cyc[2], tx[2], dr[2];

	for (int v = 0; v < 2; v++) {
		uint64_t tx0 = h->lc->counters.port[port_s].tx_pkts + h->lc->counters.port[port_c].tx_pkts;
		uint64_t d0 = drops_all(h);
		if (apply(h, 2 + v, v ? l7_rule : plain_rule) < 0)
			return -1;
		cyc[v] = connections(h, (uint32_t)(v + 1) * 2000000u, n);
		tx[v] = h->lc->counters.port[port_s].tx_pkts + h->lc->counters.port[port_c].tx_pkts - tx0;
		dr[v] = drops_all(h) - d0;
	}
	printf("l7-http: %u whole HTTP connections c -> s (8 packets each: handshake, GET, response, "
	       "FINs), 32 at a time\n", n);
	for (int v = 0; v < 2; v++)
		printf("  %-9s rule: %.0f cycles a connection, %.0f connections a second (%.2f million), "
		       "%lu packets sent, %lu dropped\n",
		       v ? "l7.http" : "plain", (double)cyc[v] / n,
		       (double)n / ((double)cyc[v] / hz), (double)n / ((double)cyc[v] / hz) / 1e6,
		       (unsigned long)tx[v], (unsigned long)dr[v]);
	printf("  inspection costs %.0f cycles a connection (%.1f %%)\n",
	       ((double)cyc[1] - (double)cyc[0]) / n, 100.0 * ((double)cyc[1] / (double)cyc[0] - 1));
	return 0;
}

// conntrack-100k / conntrack-1m: n established connections (UDP and TCP ACKs alternating, picked
// up mid-stream as the pcap scenario's), then 4,000,000 packets over them in a scattered order,
// both directions (a burst from c, then one from s): cycles a packet at that table size.
static int bench_est(struct harness *h, uint32_t n) {
	struct rte_mbuf *b[BURST];
	const uint32_t m = 4000000;
	uint64_t cycles = 0, hz = rte_get_tsc_hz(), d0;

	for (uint32_t i = 0; i < n; i += BURST) { // the connections, both directions seen
		uint32_t k = RTE_MIN((uint32_t)BURST, n - i);
		for (int dir = 0; dir < 2; dir++) {
			for (uint32_t j = 0; j < k; j++)
				b[j] = frame_l4(i + j, dir == 0, (i + j) % 2 == 0, RTE_TCP_ACK_FLAG, 1000,
						1000, NULL);
			walk(h, b, k);
		}
	}
	d0 = drops_all(h);
	for (uint32_t i = 0; i < m; i += BURST) {
		for (uint32_t j = 0; j < BURST; j++) {
			uint32_t f = (uint32_t)(((uint64_t)(i + j) * 2654435761u) % n);
			b[j] = frame_l4(f, (i / BURST) % 2 == 0, f % 2 == 0, RTE_TCP_ACK_FLAG, 1000, 1000,
					NULL);
		}
		cycles += walk(h, b, BURST);
	}
	printf("conntrack-est: %u connections (UDP and TCP alternating), %u packets over them in a "
	       "scattered order, both directions, bursts of %d\n", n, m, BURST);
	printf("  %.1f cycles a packet (whole graph), %.2f Mpps; %lu dropped\n", (double)cycles / m,
	       (double)m / ((double)cycles / hz) / 1e6, (unsigned long)(drops_all(h) - d0));
	return 0;
}

int main(int argc, char **argv) {
	const char *what = argc > 1 ? argv[1] : "all";
	uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 0;
	struct harness *h;
	void *state;
	int ret = 0;

	// Room for 1,048,576 connections in the worker's table (and the control thread's), on
	// hugepages (prefaulted, as vnetd's: --no-huge memory would be faulted in on first touch).
	FILE *f = fopen("/tmp/fw_graph_bench.json", "w");
	if (f == NULL)
		return 1;
	fprintf(f, "{\"conntrack\": {\"entries\": 1048576, \"tenant_max\": 4000000}}\n");
	fclose(f);
	setenv("VNET_HARNESS_CONFIG", "/tmp/fw_graph_bench.json", 0);
	setenv("VNET_HARNESS_MEM_MB", "1500", 0);
	setenv("VNET_HARNESS_HUGE", "1", 0);
	if (harness_global_init() < 0 || harness_setup(&state) < 0)
		return 1;
	unlink("/tmp/fw_graph_bench.json");
	h = state;
	if (apply(h, 1, plain_rule) < 0 || harness_graph_create() < 0)
		return 1;
	port_c = harness_port("c");
	port_s = harness_port("s");
	if (strcmp(what, "new") == 0 || strcmp(what, "all") == 0)
		ret |= bench_new(h, n ? n : 1000000);
	if (strcmp(what, "l7") == 0 || strcmp(what, "all") == 0)
		ret |= bench_l7(h, n ? n : 200000);
	if (strcmp(what, "est") == 0)
		ret |= bench_est(h, n ? n : 1000000);
	harness_teardown(&state);
	return ret ? 1 : 0;
}
