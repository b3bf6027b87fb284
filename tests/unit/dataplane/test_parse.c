// SPDX-License-Identifier: BSD-3-Clause
// Unit tests of pkt_parse (dataplane/parse.c) and the parse node: every packet of
// pcap-samples/EXPECTED, every truncation and segment split of them, and hand-built edge cases.
// Every packet is parsed from a heap block of exactly its first segment's size, so that a build
// with -Db_sanitize=address catches any read past data_len. Usage: test_parse <pcap-samples dir>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/parse.h"
#include "dataplane/parse_node.c" // reach parse_decide and parse_trace_format
#include "dataplane/pcap_file.h"
#include "tests/lib/pktbuf.h"

// What parse_node.c needs from the rest of the engine, which this test does not link.
RTE_DEFINE_PER_LCORE(struct dp_lcore *, dp_lcore_self);
static const char *formatter_node;

void trace_formatter_register(const char *node_name, const struct trace_formatter *fmt) {
	if (fmt->text == parse_trace_format)
		formatter_node = node_name;
}

static const char *samples_dir;

// RTE_IPV4 shifts an int into its sign bit, which UBSan reports.
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t mac_a[RTE_ETHER_ADDR_LEN] = {0x02, 0, 0, 0, 0x01, 0x0a};
static const uint8_t mac_b[RTE_ETHER_ADDR_LEN] = {0x02, 0, 0, 0, 0x01, 0x0b};

// --- mbufs --------------------------------------------------------------------------------------

// An mbuf whose first segment holds the first `data_len` bytes of `pkt` in a heap block of
// exactly that size, and whose pkt_len is `pkt_len` (the rest lies in "later segments").
static struct rte_mbuf *mbuf_tight_create(const uint8_t *pkt, size_t data_len, size_t pkt_len) {
	struct rte_mbuf *m = pktbuf_create(pkt, data_len, 0);
	uint8_t *data = malloc(data_len);

	assert_non_null(m);
	assert_true(data != NULL || data_len == 0);
	if (data_len > 0)
		memcpy(data, pkt, data_len);
	m->buf_addr = data;
	m->buf_len = (uint16_t)data_len;
	m->data_off = 0;
	m->pkt_len = (uint32_t)pkt_len;
	return m;
}

static void mbuf_tight_destroy(struct rte_mbuf *m) {
	free(m->buf_addr);
	pktbuf_destroy(m);
}

// Parse `pkt` split after `data_len` of its `pkt_len` bytes; copy the metadata to `meta`.
static enum dp_drop_reason parse_split(const uint8_t *pkt, size_t data_len, size_t pkt_len,
				       struct pkt_meta *meta) {
	struct rte_mbuf *m = mbuf_tight_create(pkt, data_len, pkt_len);
	enum dp_drop_reason r = pkt_parse(m);

	if (meta != NULL)
		*meta = *pkt_meta(m);
	mbuf_tight_destroy(m);
	return r;
}

static enum dp_drop_reason parse_bytes(const uint8_t *pkt, size_t len, struct pkt_meta *meta) {
	return parse_split(pkt, len, len, meta);
}

// --- properties every packet must have ----------------------------------------------------------

// Bytes of the frame that the L2/L3 headers cover: cutting inside them must drop the packet;
// cutting after them (Ethernet padding) must not change the outcome.
static size_t covered_len(const struct pkt_meta *meta) {
	if (meta->l3 == PKT_L3_NONE)
		return meta->l3_off;
	return (size_t)meta->l3_off + meta->l3_len;
}

// Every prefix of a packet that parsed to `full`: a drop while headers are cut, else unchanged.
static void check_prefixes(const uint8_t *pkt, size_t len, enum dp_drop_reason full,
			   const struct pkt_meta *full_meta) {
	for (size_t n = 0; n < len; n++) {
		struct pkt_meta meta;
		enum dp_drop_reason r = parse_bytes(pkt, n, &meta);

		if (full != DROP_NONE || n < covered_len(full_meta)) {
			if (r == DROP_NONE)
				fail_msg("prefix %zu/%zu parsed without a drop", n, len);
		} else if (r != DROP_NONE || meta.l3 != full_meta->l3 || meta.l4 != full_meta->l4) {
			fail_msg("prefix %zu/%zu (only padding cut) gave %s", n, len,
				 dp_drop_names[r]);
		}
	}
}

// Every split of a packet into a first segment of 0..len-1 bytes and the rest: the same outcome
// as unsplit, or DROP_HDR_SEGMENTED; never a read past the first segment.
static void check_splits(const uint8_t *pkt, size_t len, enum dp_drop_reason full) {
	for (size_t n = 0; n < len; n++) {
		enum dp_drop_reason r = parse_split(pkt, n, len, NULL);

		if (r != full && r != DROP_HDR_SEGMENTED)
			fail_msg("split at %zu/%zu gave %s, unsplit %s", n, len, dp_drop_names[r],
				 dp_drop_names[full]);
	}
}

// --- pcap-samples/EXPECTED ----------------------------------------------------------------------

static const char *const l3_names[] = {"none", "arp", "ip4", "ip6"};
static const char *const l4_names[] = {"none", "tcp", "udp", "icmp", "icmp6"};

static int name_index(const char *const *names, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

// An outcome must name a known reason, or known layers: a typo must not pass as a mismatch.
static void outcome_check_valid(const char *outcome) {
	char l3[16], l4[16];

	if (strncmp(outcome, "drop:", 5) == 0) {
		assert_true(dp_drop_reason_parse(outcome + 5) > DROP_NONE);
		return;
	}
	assert_int_equal(sscanf(outcome, "ok:%15[^:]:%15s", l3, l4), 2);
	assert_true(name_index(l3_names, RTE_DIM(l3_names), l3) >= 0);
	assert_true(name_index(l4_names, RTE_DIM(l4_names), l4) >= 0);
}

// Check packet `index` of `file` against `outcome`, and its prefixes and splits; returns the
// number of mismatches (0 or 1).
static int sample_check(const char *file, unsigned int index, const char *outcome) {
	char path[1024], got[64];
	uint8_t pkt[4096];
	struct pkt_meta meta;
	enum dp_drop_reason r;
	int len;

	outcome_check_valid(outcome);
	snprintf(path, sizeof(path), "%s/%s", samples_dir, file);
	len = pcap_file_read_one(path, index, pkt, sizeof(pkt));
	if (len <= 0)
		fail_msg("%s #%u: cannot read (%d)", file, index, len);
	r = parse_bytes(pkt, (size_t)len, &meta);
	if (r == DROP_NONE)
		snprintf(got, sizeof(got), "ok:%s:%s", l3_names[meta.l3], l4_names[meta.l4]);
	else
		snprintf(got, sizeof(got), "drop:%s", dp_drop_names[r]);
	check_prefixes(pkt, (size_t)len, r, &meta);
	check_splits(pkt, (size_t)len, r);
	if (strcmp(got, outcome) == 0)
		return 0;
	print_error("%s #%u: expected %s, parse gave %s\n", file, index, outcome, got);
	return 1;
}

static void samples_match_expected(void **state) {
	char path[1024], file[256], outcome[64];
	unsigned int index;
	int n_lines = 0, n_bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/EXPECTED", samples_dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fscanf(f, "%255s %u %63s", file, &index, outcome) == 3) {
		n_bad += sample_check(file, index, outcome);
		n_lines++;
	}
	assert_true(feof(f));
	fclose(f);
	assert_true(n_lines >= 40);
	assert_int_equal(n_bad, 0);
}

// --- packet builders ----------------------------------------------------------------------------

static size_t put_eth(uint8_t *p, uint16_t type) {
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;

	memcpy(&eth->dst_addr, mac_b, sizeof(mac_b));
	memcpy(&eth->src_addr, mac_a, sizeof(mac_a));
	eth->ether_type = rte_cpu_to_be_16(type);
	return sizeof(*eth);
}

static size_t put_vlan(uint8_t *p, uint16_t tci, uint16_t type) {
	struct rte_vlan_hdr *vlan = (struct rte_vlan_hdr *)p;

	vlan->vlan_tci = rte_cpu_to_be_16(tci);
	vlan->eth_proto = rte_cpu_to_be_16(type);
	return sizeof(*vlan);
}

// 10.0.0.10 -> 10.0.0.11, `payload` bytes after the header, correct checksum.
static size_t put_ip4(uint8_t *p, uint8_t proto, size_t payload, uint16_t frag) {
	struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)p;

	memset(ip4, 0, sizeof(*ip4));
	ip4->version_ihl = RTE_IPV4_VHL_DEF;
	ip4->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip4) + payload));
	ip4->fragment_offset = rte_cpu_to_be_16(frag);
	ip4->time_to_live = 64;
	ip4->next_proto_id = proto;
	ip4->src_addr = rte_cpu_to_be_32(IP4(10, 0, 0, 10));
	ip4->dst_addr = rte_cpu_to_be_32(IP4(10, 0, 0, 11));
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	return sizeof(*ip4);
}

static void ip4_set_src(uint8_t *p, uint32_t src) {
	struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)p;

	ip4->src_addr = rte_cpu_to_be_32(src);
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
}

// fd00::a -> fd00::b, `payload` bytes after the fixed header.
static size_t put_ip6(uint8_t *p, uint8_t proto, size_t payload) {
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)p;

	memset(ip6, 0, sizeof(*ip6));
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)payload);
	ip6->proto = proto;
	ip6->hop_limits = 64;
	ip6->src_addr[0] = ip6->dst_addr[0] = 0xfd;
	ip6->src_addr[15] = 0x0a;
	ip6->dst_addr[15] = 0x0b;
	return sizeof(*ip6);
}

// A destination options header of 8 bytes (one PadN option) announcing `next`.
static size_t put_ip6_ext(uint8_t *p, uint8_t next) {
	const uint8_t ext[8] = {next, 0, 1, 4, 0, 0, 0, 0};

	memcpy(p, ext, sizeof(ext));
	return sizeof(ext);
}

static size_t put_tcp(uint8_t *p) {
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)p;

	memset(tcp, 0, sizeof(*tcp));
	tcp->src_port = rte_cpu_to_be_16(40000);
	tcp->dst_port = rte_cpu_to_be_16(80);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_SYN_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(8192);
	return sizeof(*tcp);
}

static size_t put_udp(uint8_t *p, size_t payload) {
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)p;

	udp->src_port = udp->dst_port = rte_cpu_to_be_16(5000);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload));
	udp->dgram_cksum = rte_cpu_to_be_16(0x1234); // not verified by parse, only non-zero
	return sizeof(*udp);
}

// TCP/IPv4 with 4 bytes of data, unpadded (58 bytes).
static size_t build_ip4_tcp(uint8_t *p) {
	size_t off = put_eth(p, RTE_ETHER_TYPE_IPV4);

	off += put_ip4(p + off, IPPROTO_TCP, sizeof(struct rte_tcp_hdr) + 4, 0);
	off += put_tcp(p + off);
	memcpy(p + off, "data", 4);
	return off + 4;
}

// UDP/IPv6 with 4 bytes of data (66 bytes).
static size_t build_ip6_udp(uint8_t *p) {
	size_t off = put_eth(p, RTE_ETHER_TYPE_IPV6);

	off += put_ip6(p + off, IPPROTO_UDP, sizeof(struct rte_udp_hdr) + 4);
	off += put_udp(p + off, 4);
	memcpy(p + off, "data", 4);
	return off + 4;
}

// --- hand-built cases ---------------------------------------------------------------------------

static void ip4_tcp_prefixes_drop(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);
	struct pkt_meta meta;

	assert_int_equal(parse_bytes(pkt, len, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_IP4);
	assert_int_equal(meta.l4, PKT_L4_TCP);
	assert_int_equal(meta.l4_proto, IPPROTO_TCP);
	assert_int_equal(meta.l3_off, 14);
	assert_int_equal(meta.l4_off, 34);
	assert_int_equal(meta.l3_len, 44);
	check_prefixes(pkt, len, DROP_NONE, &meta);
	for (size_t n = 0; n < len; n++) {
		enum dp_drop_reason want = n < 14   ? DROP_ETH_TRUNCATED
					   : n < 34 ? DROP_IP4_TRUNCATED
						    : DROP_IP4_BAD_TOTAL_LEN;
		assert_int_equal(parse_bytes(pkt, n, NULL), want);
	}
}

// Ethernet padding after the IPv4 total length is fine; cutting into the packet is not.
static void ip4_padding_is_ignored(void **state) {
	uint8_t pkt[RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN] = {0};
	size_t len = build_ip4_tcp(pkt);

	for (size_t n = 0; n <= sizeof(pkt); n++) {
		enum dp_drop_reason r = parse_bytes(pkt, n, NULL);

		if (n < len)
			assert_int_not_equal(r, DROP_NONE);
		else
			assert_int_equal(r, DROP_NONE);
	}
}

static void ip6_udp_prefixes_drop(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip6_udp(pkt);
	struct pkt_meta meta;

	assert_int_equal(parse_bytes(pkt, len, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_IP6);
	assert_int_equal(meta.l4, PKT_L4_UDP);
	assert_int_equal(meta.l4_off, 54);
	assert_int_equal(meta.l3_len, 52);
	check_prefixes(pkt, len, DROP_NONE, &meta);
	for (size_t n = 0; n < len; n++) {
		enum dp_drop_reason want = n < 14   ? DROP_ETH_TRUNCATED
					   : n < 54 ? DROP_IP6_TRUNCATED
						    : DROP_IP6_BAD_PAYLOAD_LEN;
		assert_int_equal(parse_bytes(pkt, n, NULL), want);
	}
}

// pkt_pullup: headers split across two segments are gathered into the first, which then parses;
// the second keeps the rest of the frame (it is not emptied here: these mbufs have no pool).
static void pullup_gathers_split_headers(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);

	for (size_t cut = 1; cut < 54; cut++) {
		struct rte_mbuf *m = pktbuf_create(pkt, cut, 0);
		struct rte_mbuf *s = pktbuf_create(pkt + cut, len - cut, 0);

		m->next = s;
		m->nb_segs = 2;
		m->pkt_len = (uint32_t)len;
		assert_int_equal(pkt_parse(m), DROP_HDR_SEGMENTED);
		// Not all of it: the second segment must keep bytes (it cannot be freed here).
		assert_true(pkt_pullup(m, 54));
		assert_int_equal(m->data_len, 54);
		assert_int_equal(s->data_len, len - 54);
		assert_int_equal(m->nb_segs, 2);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), pkt, 54);
		assert_memory_equal(rte_pktmbuf_mtod(s, uint8_t *), pkt + 54, len - 54);
		assert_int_equal(pkt_parse(m), DROP_NONE);
		assert_int_equal(pkt_meta(m)->l4, PKT_L4_TCP);
		pktbuf_destroy(s);
		pktbuf_destroy(m);
	}
	(void)state;
}

static void header_across_segments(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);

	assert_int_equal(parse_split(pkt, 10, len, NULL), DROP_HDR_SEGMENTED); // Ethernet
	assert_int_equal(parse_split(pkt, 14, len, NULL), DROP_HDR_SEGMENTED); // IPv4 header
	assert_int_equal(parse_split(pkt, 20, len, NULL), DROP_HDR_SEGMENTED);
	assert_int_equal(parse_split(pkt, 40, len, NULL), DROP_HDR_SEGMENTED); // TCP header
	assert_int_equal(parse_split(pkt, 54, len, NULL), DROP_NONE);          // payload only
	check_splits(pkt, len, DROP_NONE);
	len = build_ip6_udp(pkt);
	assert_int_equal(parse_split(pkt, 50, len, NULL), DROP_HDR_SEGMENTED); // IPv6 header
	assert_int_equal(parse_split(pkt, 60, len, NULL), DROP_HDR_SEGMENTED); // UDP header
	check_splits(pkt, len, DROP_NONE);
}

// IPv6 with `n_ext` destination options headers before UDP; returns its length.
static size_t build_ip6_ext_chain(uint8_t *p, unsigned int n_ext) {
	size_t off = put_eth(p, RTE_ETHER_TYPE_IPV6);
	size_t payload = n_ext * 8 + sizeof(struct rte_udp_hdr);

	off += put_ip6(p + off, n_ext > 0 ? IPPROTO_DSTOPTS : IPPROTO_UDP, payload);
	for (unsigned int i = 0; i < n_ext; i++)
		off += put_ip6_ext(p + off, i + 1 < n_ext ? IPPROTO_DSTOPTS : IPPROTO_UDP);
	return off + put_udp(p + off, 0);
}

static void ip6_ext_chain_bound(void **state) {
	uint8_t pkt[256];
	struct pkt_meta meta;
	size_t len;

	len = build_ip6_ext_chain(pkt, 8);
	assert_int_equal(parse_bytes(pkt, len, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_UDP);
	assert_int_equal(meta.l4_off, 14 + 40 + 8 * 8);
	check_prefixes(pkt, len, DROP_NONE, &meta);
	check_splits(pkt, len, DROP_NONE);
	len = build_ip6_ext_chain(pkt, 9);
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_IP6_EXT_TOO_MANY);
	// A header whose length runs past the payload.
	len = build_ip6_ext_chain(pkt, 1);
	pkt[14 + 40 + 1] = 2; // 24 bytes, in a 16-byte payload
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_IP6_EXT_TRUNCATED);
}

// AH counts its length in 4-byte words minus 2 (RFC 4302 2.2).
static void ip6_ah_length(void **state) {
	uint8_t pkt[256] = {0};
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_IPV6);
	struct pkt_meta meta;

	off += put_ip6(pkt + off, IPPROTO_AH, 24 + sizeof(struct rte_udp_hdr));
	pkt[off] = IPPROTO_UDP;
	pkt[off + 1] = 4; // (4 + 2) * 4 = 24 bytes: 12 fixed + 12 of ICV
	off += 24;
	off += put_udp(pkt + off, 0);
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_UDP);
	assert_int_equal(meta.l4_off, 14 + 40 + 24);
}

static void vlan_tag_recorded(void **state) {
	uint8_t pkt[128];
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_VLAN);
	struct pkt_meta meta;

	off += put_vlan(pkt + off, 0x2064, RTE_ETHER_TYPE_IPV4); // PCP 1, VID 100
	off += put_ip4(pkt + off, IPPROTO_TCP, sizeof(struct rte_tcp_hdr), 0);
	off += put_tcp(pkt + off);
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_true(meta.flags & PKT_F_VLAN);
	assert_int_equal(meta.vlan_tci, 0x2064);
	assert_int_equal(meta.l3_off, 18);
	assert_int_equal(meta.l4_off, 38);
	assert_int_equal(parse_bytes(pkt, 16, NULL), DROP_VLAN_TRUNCATED);
	assert_int_equal(parse_split(pkt, 16, off, NULL), DROP_HDR_SEGMENTED);

	// A second tag: switched by MAC only.
	off = put_eth(pkt, RTE_ETHER_TYPE_VLAN);
	off += put_vlan(pkt + off, 100, RTE_ETHER_TYPE_VLAN);
	off += put_vlan(pkt + off, 200, RTE_ETHER_TYPE_IPV4);
	off += put_ip4(pkt + off, IPPROTO_TCP, sizeof(struct rte_tcp_hdr), 0);
	off += put_tcp(pkt + off);
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_NONE);
	assert_int_equal(meta.vlan_tci, 100);
	assert_int_equal(meta.l3_off, 18);
}

static void src_mac_checked(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);

	memset(pkt + 6, 0, RTE_ETHER_ADDR_LEN);
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_SRC_MAC_BAD);
	memset(pkt + 6, 0xff, RTE_ETHER_ADDR_LEN);
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_SRC_MAC_BAD);
	pkt[6] = 0x03; // group bit
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_SRC_MAC_BAD);
	pkt[6] = 0x02;
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_NONE);
}

static void ip4_src_checked(void **state) {
	const uint32_t bad[] = {IP4(224, 0, 0, 1), IP4(239, 255, 255, 250),
				IP4(255, 255, 255, 255), IP4(127, 0, 0, 1),
				IP4(127, 255, 0, 9)};
	const uint32_t good[] = {IP4(0, 0, 0, 0), IP4(10, 0, 0, 10),
				 IP4(223, 255, 255, 255), IP4(128, 0, 0, 1)};
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		ip4_set_src(pkt + 14, bad[i]);
		assert_int_equal(parse_bytes(pkt, len, NULL), DROP_IP4_BAD_SRC);
	}
	for (size_t i = 0; i < RTE_DIM(good); i++) {
		ip4_set_src(pkt + 14, good[i]);
		assert_int_equal(parse_bytes(pkt, len, NULL), DROP_NONE);
	}
}

// A NIC-verified checksum is trusted; otherwise parse computes it.
static void ip4_checksum_offload(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);
	struct rte_mbuf *m;

	pkt[14 + 10] ^= 0xff;
	m = mbuf_tight_create(pkt, len, len);
	assert_int_equal(pkt_parse(m), DROP_IP4_BAD_CHECKSUM);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	assert_int_equal(pkt_parse(m), DROP_NONE);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	assert_int_equal(pkt_parse(m), DROP_IP4_BAD_CHECKSUM);
	mbuf_tight_destroy(m);
}

static void ip4_fragments(void **state) {
	uint8_t pkt[128];
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_IPV4);
	struct pkt_meta meta;

	// First fragment: the UDP length covers the whole datagram, more than this fragment.
	off += put_ip4(pkt + off, IPPROTO_UDP, 16, RTE_IPV4_HDR_MF_FLAG);
	off += put_udp(pkt + off, 1000);
	off += 8;
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_UDP);
	assert_int_equal(meta.flags & (PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG), PKT_F_IP_FRAG);

	// Later fragment: no L4 header, whatever its first bytes look like.
	off = put_eth(pkt, RTE_ETHER_TYPE_IPV4);
	off += put_ip4(pkt + off, IPPROTO_UDP, 2, 185);
	off += 2;
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_NONE);
	assert_int_equal(meta.l4_off, 0);
	assert_int_equal(meta.l4_proto, IPPROTO_UDP);
	assert_int_equal(meta.flags & (PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG),
			 PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG);
}

static void ip6_fragments(void **state) {
	uint8_t pkt[128] = {0};
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_IPV6);
	struct pkt_meta meta;

	off += put_ip6(pkt + off, IPPROTO_FRAGMENT, 8 + 4);
	pkt[off] = IPPROTO_TCP;
	pkt[off + 2] = 0x05; // offset 0xa8 (1344 bytes), M clear
	pkt[off + 3] = 0x40;
	off += 8 + 4;
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_NONE);
	assert_int_equal(meta.l4_proto, IPPROTO_TCP);
	assert_int_equal(meta.flags & (PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG),
			 PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG);
	// The same with offset 0 and M set is a first fragment: its TCP header must be whole.
	pkt[14 + 40 + 2] = 0;
	pkt[14 + 40 + 3] = 1;
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_TCP_TRUNCATED);
	assert_int_equal(meta.flags & (PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG), PKT_F_IP_FRAG);
}

static void tcp_offset_checked(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);
	struct pkt_meta meta;

	pkt[34 + 12] = 4 << 4;
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_TCP_BAD_OFFSET);
	pkt[34 + 12] = 6 << 4; // 24 bytes: 4 of them the data, as options
	assert_int_equal(parse_bytes(pkt, len, &meta), DROP_NONE);
	pkt[34 + 12] = 7 << 4; // 28 bytes, past the packet
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_TCP_BAD_OFFSET);
}

static void udp_checked(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip6_udp(pkt);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(pkt + 54);

	udp->dgram_len = rte_cpu_to_be_16(7);
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_UDP_BAD_LEN);
	udp->dgram_len = rte_cpu_to_be_16(13);
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_UDP_BAD_LEN);
	udp->dgram_len = rte_cpu_to_be_16(10); // shorter than the IP payload is allowed
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_NONE);
	udp->dgram_cksum = 0;
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_UDP6_NO_CHECKSUM);

	// Over IPv4 a zero checksum means "none" and is fine.
	len = put_eth(pkt, RTE_ETHER_TYPE_IPV4);
	len += put_ip4(pkt + len, IPPROTO_UDP, 8, 0);
	len += put_udp(pkt + len, 0);
	((struct rte_udp_hdr *)(pkt + 34))->dgram_cksum = 0;
	assert_int_equal(parse_bytes(pkt, len, NULL), DROP_NONE);
}

static void icmp_checked(void **state) {
	uint8_t pkt[128] = {0};
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_IPV4);
	struct pkt_meta meta;

	off += put_ip4(pkt + off, IPPROTO_ICMP, 7, 0);
	assert_int_equal(parse_bytes(pkt, off + 7, NULL), DROP_ICMP_TRUNCATED);
	put_ip4(pkt + 14, IPPROTO_ICMP, 8, 0);
	assert_int_equal(parse_bytes(pkt, off + 8, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_ICMP);
	// ICMPv6 over IPv4 is just an unknown protocol.
	put_ip4(pkt + 14, IPPROTO_ICMPV6, 2, 0);
	assert_int_equal(parse_bytes(pkt, off + 2, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_NONE);
	assert_int_equal(meta.l4_proto, IPPROTO_ICMPV6);
	assert_int_equal(meta.l4_off, 34);
}

static void icmp6_nd_checked(void **state) {
	uint8_t pkt[128] = {0};
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_IPV6);
	struct pkt_meta meta;

	off += put_ip6(pkt + off, IPPROTO_ICMPV6, 4);
	pkt[off] = 128; // echo request: 4 bytes are enough for parse
	assert_int_equal(parse_bytes(pkt, off + 4, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_ICMP6);
	put_ip6(pkt + 14, IPPROTO_ICMPV6, 3);
	assert_int_equal(parse_bytes(pkt, off + 3, NULL), DROP_ICMP6_TRUNCATED);
	for (uint8_t type = 135; type <= 136; type++) {
		pkt[off] = type;
		put_ip6(pkt + 14, IPPROTO_ICMPV6, 23);
		assert_int_equal(parse_bytes(pkt, off + 23, NULL), DROP_ND_TRUNCATED);
		put_ip6(pkt + 14, IPPROTO_ICMPV6, 24);
		assert_int_equal(parse_bytes(pkt, off + 24, NULL), DROP_NONE);
	}
	// ICMP (v4) over IPv6 is just an unknown protocol.
	put_ip6(pkt + 14, IPPROTO_ICMP, 2);
	assert_int_equal(parse_bytes(pkt, off + 2, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_NONE);
}

static void arp_checked(void **state) {
	uint8_t pkt[64] = {0};
	size_t off = put_eth(pkt, RTE_ETHER_TYPE_ARP);
	const uint8_t arp[8] = {0, 1, 0x08, 0, 6, 4, 0, 1}; // Ethernet, IPv4, 6, 4, request
	struct pkt_meta meta;

	memcpy(pkt + off, arp, sizeof(arp));
	assert_int_equal(parse_bytes(pkt, off + 28, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_ARP);
	assert_int_equal(meta.l3_len, 28);
	assert_int_equal(parse_bytes(pkt, off + 27, NULL), DROP_ARP_TRUNCATED);
	for (size_t i = 0; i < sizeof(arp); i++) {
		pkt[off + i] ^= 0x10;
		assert_int_equal(parse_bytes(pkt, off + 28, NULL), DROP_ARP_BAD_FORMAT);
		pkt[off + i] ^= 0x10;
	}
	pkt[off + 7] = 2; // reply
	assert_int_equal(parse_bytes(pkt, off + 28, NULL), DROP_NONE);
}

static void unknown_types_pass(void **state) {
	uint8_t pkt[128] = {0};
	size_t off = put_eth(pkt, 0x88cc); // LLDP
	struct pkt_meta meta;

	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_NONE);
	assert_int_equal(meta.l3_off, 14);
	off = put_eth(pkt, RTE_ETHER_TYPE_IPV4);
	off += put_ip4(pkt + off, IPPROTO_GRE, 4, 0);
	assert_int_equal(parse_bytes(pkt, off + 4, &meta), DROP_NONE);
	assert_int_equal(meta.l3, PKT_L3_IP4);
	assert_int_equal(meta.l4, PKT_L4_NONE);
	assert_int_equal(meta.l4_proto, IPPROTO_GRE);
	off = put_eth(pkt, RTE_ETHER_TYPE_IPV6);
	off += put_ip6(pkt + off, IPPROTO_NONE, 0);
	assert_int_equal(parse_bytes(pkt, off, &meta), DROP_NONE);
	assert_int_equal(meta.l4, PKT_L4_NONE);
}

// Flags from an earlier parse are cleared; flags that are not parse's are kept.
static void metadata_reset(void **state) {
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);
	struct rte_mbuf *m = mbuf_tight_create(pkt, len, len);
	struct pkt_meta *meta = pkt_meta(m);

	meta->flags = PKT_F_TRACED | PKT_F_VLAN | PKT_F_IP_FRAG | PKT_F_IP_LATER_FRAG;
	meta->l4 = PKT_L4_ICMP6;
	assert_int_equal(pkt_parse(m), DROP_NONE);
	assert_int_equal(meta->flags, PKT_F_TRACED);
	assert_int_equal(meta->l4, PKT_L4_TCP);
	mbuf_tight_destroy(m);
}

// --- the node -----------------------------------------------------------------------------------

static void node_decides_and_traces(void **state) {
	static struct dp_lcore lc;
	struct trace_record rec = {0};
	uint8_t pkt[128];
	size_t len = build_ip4_tcp(pkt);
	struct rte_mbuf *m = mbuf_tight_create(pkt, len, len);
	struct pkt_meta *meta = pkt_meta(m);
	char text[256];

	meta->flags = PKT_F_TRACED;
	assert_int_equal(parse_decide(&lc, m), PARSE_NEXT);
	assert_int_equal(meta->drop_reason, DROP_NONE);
	// The node noted its record for the trace_add that follows.
	assert_int_equal(lc.trace_note.size, sizeof(struct parse_trace));
	memcpy(rec.data, lc.trace_note.data, lc.trace_note.size);
	rec.data_size = lc.trace_note.size;
	rec.pkt_flags = meta->flags;
	parse_trace_format(&rec, text, sizeof(text));
	assert_string_equal(text, "l3=ip4 l4=tcp proto=6 l3_off=14 l4_off=34 l3_len=44");
	rec.pkt_flags |= PKT_F_VLAN | PKT_F_IP_FRAG;
	((struct parse_trace *)(void *)rec.data)->vlan_tci = 100;
	parse_trace_format(&rec, text, sizeof(text));
	assert_string_equal(text, "l3=ip4 l4=tcp proto=6 l3_off=14 l4_off=34 l3_len=44 "
				  "vlan=100 frag=first");
	parse_trace_format(&rec, text, 20); // truncated, still terminated
	assert_int_equal(strlen(text), 19);
	assert_string_equal(formatter_node, "parse");

	m->pkt_len = m->data_len = 20;
	assert_int_equal(parse_decide(&lc, m), PARSE_DROP);
	assert_int_equal(meta->drop_reason, DROP_IP4_TRUNCATED);
	mbuf_tight_destroy(m);
}

int main(int argc, char **argv) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_match_expected),
		cmocka_unit_test(ip4_tcp_prefixes_drop),
		cmocka_unit_test(ip4_padding_is_ignored),
		cmocka_unit_test(ip6_udp_prefixes_drop),
		cmocka_unit_test(header_across_segments),
		cmocka_unit_test(pullup_gathers_split_headers),
		cmocka_unit_test(ip6_ext_chain_bound),
		cmocka_unit_test(ip6_ah_length),
		cmocka_unit_test(vlan_tag_recorded),
		cmocka_unit_test(src_mac_checked),
		cmocka_unit_test(ip4_src_checked),
		cmocka_unit_test(ip4_checksum_offload),
		cmocka_unit_test(ip4_fragments),
		cmocka_unit_test(ip6_fragments),
		cmocka_unit_test(tcp_offset_checked),
		cmocka_unit_test(udp_checked),
		cmocka_unit_test(icmp_checked),
		cmocka_unit_test(icmp6_nd_checked),
		cmocka_unit_test(arp_checked),
		cmocka_unit_test(unknown_types_pass),
		cmocka_unit_test(metadata_reset),
		cmocka_unit_test(node_decides_and_traces),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PCAP_SAMPLES_DIR\n", argv[0]);
		return 2;
	}
	samples_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
