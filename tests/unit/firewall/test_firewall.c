// SPDX-License-Identifier: BSD-3-Clause
// The firewall's nodes on tables set up with rules_apply(), as vnetd does: security groups by
// direction, protocol, port, prefix and remote group; replies of allowed connections; ports with
// no groups and ports not filtered; a removed rule cutting its connections; membership changes;
// and the differential test: the classifier against a plain scan of the rules, on random rule
// sets and IPv4 and IPv6 packets (FW_DIFF_SETS x FW_DIFF_PACKETS, default 40 x 5,000; the full
// count is 1,000 x 1,000,000, docs/firewall.md).

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>
#include <rte_random.h>

#include "dataplane/rules.h"
#include "tests/lib/harness.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"
#include "firewall/sg_node.c"

#define PORT(id, dev, last, groups)                                                                \
	"{\"id\": \"" id "\", \"network\": \"lan\", \"device\": \"" dev "\", \"mac\": "              \
	"\"02:00:00:00:00:" last "\", \"ips\": [\"10.0.0." last "\"]" groups "}"

// a (10.0.0.10) and e (10.0.0.14) are in "web"; b (10.0.0.11) in "locked"; c (10.0.0.12) has
// no "security_groups" key; d (10.0.0.13) has none ([]).
#define WEB_RULES(http)                                                                            \
	"[" http "{\"id\": \"from-web\", \"direction\": \"ingress\", \"remote_group\": \"web\"},"   \
	"{\"id\": \"out\", \"direction\": \"egress\"}]"
#define HTTP_RULE "{\"id\": \"http-in\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"80\"},"
#define DOC(rev, http, more_ports)                                                                 \
	"{\"revision\": " #rev ", \"networks\": [{\"id\": \"lan\", \"tenant\": \"t1\", \"vni\": 10}],"  \
	" \"security_groups\": ["                                                                  \
	"  {\"id\": \"web\", \"tenant\": \"t1\", \"rules\": " WEB_RULES(http) "},"                 \
	"  {\"id\": \"locked\", \"tenant\": \"t1\", \"rules\": [{\"direction\": \"egress\","        \
	"   \"protocol\": \"udp\", \"ports\": \"53\", \"remote\": \"10.0.0.0/24\"}]}],"            \
	" \"ports\": [" PORT("a", "net_null30", "10", ", \"security_groups\": [\"web\"]") ","      \
	PORT("b", "net_null31", "11", ", \"security_groups\": [\"locked\"]") ","                   \
	PORT("c", "net_null32", "12", "") "," PORT("d", "net_null33", "13", ", \"security_groups\": []") \
	"," PORT("e", "net_null34", "14", ", \"security_groups\": [\"web\"]") more_ports "]}"

#define assert_ok(h, doc)                                                                          \
	do {                                                                                       \
		int ret_ = harness_apply(h, doc);                                                  \
		if (ret_ != 0)                                                                     \
			print_error("%s\n", (h)->err);                                             \
		assert_int_equal(ret_, 0);                                                         \
	} while (0)

// Run packet m through sg_egress (from its in_port) or sg_ingress (to `port`). The edge; the drop
// reason in *reason.
static rte_edge_t fw_one(struct harness *h, struct rte_mbuf *m, uint8_t dir, const char *port,
			 uint16_t *reason) {
	struct sg_run run;
	struct pkt_meta *meta = pkt_meta(m);
	rte_edge_t e;

	memset(&run, 0, sizeof(run));
	if (dir == FW_INGRESS)
		meta->out_port = harness_port(port);
	else
		meta->in_port = harness_port(port);
	h->lc->now_tsc = rte_get_tsc_cycles();
	sg_init(h->lc, NULL, &run);
	if (dir == FW_EGRESS)
		sg_prepare_out(h->lc, NULL, &run, &m, 1);
	else
		sg_prepare_in(h->lc, NULL, &run, &m, 1);
	e = sg_decide(h->lc, NULL, &run, m, 0);
	*reason = meta->drop_reason;
	return e;
}

// A TCP segment src:sport -> dst:dport, through `dir` at `port`: DROP_NONE or why it was dropped.
static uint16_t tcp(struct harness *h, uint8_t dir, const char *port, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport, uint8_t flags, uint32_t seq,
		    uint32_t ack) {
	struct rte_mbuf *m = PKT_IP(.src_mac = "02:00:00:00:00:99", .dst_mac = "02:00:00:00:00:98",
				    .src_ip = src, .dst_ip = dst, .proto = 6, .sport = sport,
				    .udp_dst = dport, .tcp_flags = flags, .seq = seq, .ack = ack);
	uint16_t reason;
	rte_edge_t e = fw_one(h, m, dir, port, &reason);

	pktbuf_destroy(m);
	assert_true(e == SG_NEXT || e == SG_DROP);
	return e == SG_NEXT ? DROP_NONE : reason;
}

static uint16_t udp(struct harness *h, uint8_t dir, const char *port, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport) {
	struct rte_mbuf *m = PKT_IP(.src_mac = "02:00:00:00:00:99", .dst_mac = "02:00:00:00:00:98",
				    .src_ip = src, .dst_ip = dst, .sport = sport, .udp_dst = dport);
	uint16_t reason;
	rte_edge_t e = fw_one(h, m, dir, port, &reason);

	pktbuf_destroy(m);
	return e == SG_NEXT ? DROP_NONE : reason;
}

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG

static void ingress_by_port_prefix_and_group(void **state) {
	struct harness *h = *state;

	assert_ok(h, DOC(1, HTTP_RULE, ""));
	// To a: TCP 80 from anyone; anything from a member of "web" (e); nothing else.
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4000, "10.0.0.10", 80, SYN, 1, 0), DROP_NONE);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4001, "10.0.0.10", 22, SYN, 1, 0), DROP_SG_DENIED);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.11", 4002, "10.0.0.10", 22, SYN, 1, 0), DROP_SG_DENIED);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.14", 4003, "10.0.0.10", 22, SYN, 1, 0), DROP_NONE);
	assert_int_equal(udp(h, FW_INGRESS, "a", "10.0.0.14", 5000, "10.0.0.10", 9999), DROP_NONE);
	assert_int_equal(udp(h, FW_INGRESS, "a", "10.0.0.12", 5000, "10.0.0.10", 9999), DROP_SG_DENIED);
	// Another tenant's address space is another zone: 10.0.0.14 is a member only in t1.
}

static void egress_by_protocol_port_and_prefix(void **state) {
	struct harness *h = *state;

	assert_ok(h, DOC(1, HTTP_RULE, ""));
	assert_int_equal(udp(h, FW_EGRESS, "b", "10.0.0.11", 5353, "10.0.0.53", 53), DROP_NONE);
	assert_int_equal(udp(h, FW_EGRESS, "b", "10.0.0.11", 5353, "8.8.8.8", 53), DROP_SG_DENIED);
	assert_int_equal(udp(h, FW_EGRESS, "b", "10.0.0.11", 5353, "10.0.0.53", 54), DROP_SG_DENIED);
	assert_int_equal(tcp(h, FW_EGRESS, "b", "10.0.0.11", 4000, "10.0.0.10", 80, SYN, 1, 0), DROP_SG_DENIED);
	// a may send anything ("out").
	assert_int_equal(tcp(h, FW_EGRESS, "a", "10.0.0.10", 4000, "192.0.2.1", 443, SYN, 1, 0), DROP_NONE);
}

// A connection allowed at a's ingress: its replies leave a (no egress rule needed for them), the
// handshake is tracked, an out-of-state segment is invalid.
static void replies_of_allowed_connections_pass(void **state) {
	struct harness *h = *state;

	assert_ok(h, DOC(1, HTTP_RULE, ""));
	// b may not send TCP at all (egress: UDP 53 only); an ingress rule on b lets TCP 7 in.
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4100, "10.0.0.10", 80, SYN, 100, 0), DROP_NONE);
	assert_int_equal(tcp(h, FW_EGRESS, "a", "10.0.0.10", 80, "10.0.0.12", 4100, SYN | ACK, 500, 101), DROP_NONE);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4100, "10.0.0.10", 80, ACK, 101, 501), DROP_NONE);
	// A SYN-ACK to a connection never opened is invalid, not a new connection.
	assert_int_equal(tcp(h, FW_EGRESS, "a", "10.0.0.10", 80, "10.0.0.12", 4999, SYN | ACK, 1, 1), DROP_CT_INVALID);
	// A blind RST far outside the window.
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4100, "10.0.0.10", 80, RTE_TCP_RST_FLAG, 900000, 0), DROP_CT_INVALID);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4100, "10.0.0.10", 80, ACK, 101, 501), DROP_NONE);
}

static void no_groups_denies_no_key_is_not_filtered(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *m;
	uint16_t reason;

	assert_ok(h, DOC(1, HTTP_RULE, ""));
	assert_int_equal(udp(h, FW_EGRESS, "d", "10.0.0.13", 5000, "10.0.0.10", 80), DROP_SG_DENIED);
	assert_int_equal(udp(h, FW_INGRESS, "d", "10.0.0.10", 5000, "10.0.0.13", 80), DROP_SG_DENIED);
	// DHCP is port security's: d gets its address.
	assert_int_equal(udp(h, FW_EGRESS, "d", "0.0.0.0", 68, "255.255.255.255", 67), DROP_NONE);
	// ARP passes (not IP).
	m = pktgen_arp(harness_port("d"), "02:00:00:00:00:13", "ff:ff:ff:ff:ff:ff", 1,
		       "02:00:00:00:00:13", "10.0.0.13", "10.0.0.10");
	assert_int_equal(fw_one(h, m, FW_EGRESS, "d", &reason), SG_NEXT);
	pktbuf_destroy(m);
	// c has no "security_groups": port security only, not filtered by groups.
	assert_int_equal(udp(h, FW_EGRESS, "c", "10.0.0.12", 5000, "10.0.0.10", 7), DROP_NONE);
	assert_int_equal(udp(h, FW_INGRESS, "c", "10.0.0.10", 5000, "10.0.0.12", 7), DROP_NONE);
}

// Removing the rule that allowed an established connection stops it at its next packet; a new
// member of a group is allowed by the same rules, none changed.
static void rule_removed_cuts_member_added_allowed(void **state) {
	struct harness *h = *state;

	assert_ok(h, DOC(1, HTTP_RULE, ""));
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4200, "10.0.0.10", 80, SYN, 100, 0), DROP_NONE);
	assert_int_equal(tcp(h, FW_EGRESS, "a", "10.0.0.10", 80, "10.0.0.12", 4200, SYN | ACK, 500, 101), DROP_NONE);
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4200, "10.0.0.10", 80, ACK, 101, 501), DROP_NONE);
	assert_ok(h, DOC(2, "", ""));
	assert_int_equal(tcp(h, FW_INGRESS, "a", "10.0.0.12", 4200, "10.0.0.10", 80, ACK, 101, 501), DROP_SG_DENIED);
	assert_int_equal(tcp(h, FW_EGRESS, "a", "10.0.0.10", 80, "10.0.0.12", 4200, ACK, 501, 101), DROP_SG_DENIED);
	// f (10.0.0.15) joins "web": allowed into a by "from-web".
	assert_int_equal(udp(h, FW_INGRESS, "a", "10.0.0.15", 5000, "10.0.0.10", 9), DROP_SG_DENIED);
	assert_ok(h, DOC(3, "", "," PORT("f", "net_null35", "15", ", \"security_groups\": [\"web\"]")));
	assert_int_equal(udp(h, FW_INGRESS, "a", "10.0.0.15", 5000, "10.0.0.10", 9), DROP_NONE);
}

static void bad_groups_refused(void **state) {
	struct harness *h = *state;

	// A group of another tenant on a port.
	assert_int_not_equal(harness_apply(h, "{\"revision\": 1, \"networks\": [{\"id\": \"lan\", \"tenant\": \"t1\", \"vni\": 10}],"
					   " \"security_groups\": [{\"id\": \"g\", \"tenant\": \"t2\"}],"
					   " \"ports\": [" PORT("a", "net_null30", "10", ", \"security_groups\": [\"g\"]") "]}"), 0);
	assert_non_null(strstr(h->err, "ports[0]: security group \"g\" belongs to tenant \"t2\", not \"t1\""));
	// Two rules with one id in a group.
	assert_int_not_equal(harness_apply(h, "{\"revision\": 1, \"security_groups\": [{\"id\": \"g\", \"tenant\": \"t1\", \"rules\": ["
					   "{\"id\": \"x\", \"direction\": \"egress\"}, {\"id\": \"x\", \"direction\": \"ingress\"}]}]}"), 0);
	assert_non_null(strstr(h->err, "security_groups[0].rules[1].id: \"x\" is also rules[0]'s id"));
}

// ---- the differential test ---------------------------------------------------------------------

struct ref_rule {
	int dir, family, proto, lo, hi, rlen, rgroup;
	uint8_t remote[16];
};

#define DIFF_GROUPS 4
#define DIFF_PORTS 4 // p0..p3 in groups g(i % 4), g((i + 1) % 4); 10.0.0.1..4 and fd00::1..4

static uint32_t rnd(uint32_t n) {
	return (uint32_t)(rte_rand() % n);
}

// Whether the first `len` bits of a and b are equal. Written for clarity.
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int len) {
	for (int bit = 0; bit < len; bit++)
		if (((a[bit / 8] >> (7 - bit % 8)) & 1) != ((b[bit / 8] >> (7 - bit % 8)) & 1))
			return false;
	return true;
}

// The port (0..3) whose address `remote` is, or -1.
static int ref_port_of(int family, const uint8_t *remote) {
	static const uint8_t v4[3] = {10, 0, 0}, v6[15] = {0xfd, 0};
	int last = remote[family == 4 ? 3 : 15];

	if (memcmp(remote, family == 4 ? v4 : v6, family == 4 ? 3 : 15) != 0 || last < 1 ||
	    last > DIFF_PORTS)
		return -1;
	return last - 1;
}

// Whether the plain scan allows: a rule of the port's groups of that direction whose family,
// protocol, port range, remote prefix and remote group all match. Written for clarity.
static bool ref_allows(const struct ref_rule *rules, const int *n_rules, const int *groups,
		       int n_groups, int dir, int family, int proto, const uint8_t *remote,
		       int dport) {
	for (int g = 0; g < n_groups; g++) {
		for (int r = 0; r < n_rules[groups[g]]; r++) {
			const struct ref_rule *x = &rules[groups[g] * 16 + r];

			if (x->dir != dir || (x->family != 0 && x->family != family))
				continue;
			if (x->proto >= 0 && x->proto != proto)
				continue;
			if (dport < x->lo || dport > x->hi)
				continue;
			if (!prefix_eq(remote, x->remote, x->rlen))
				continue;
			if (x->rgroup >= 0) {
				// Members of group G: the ports p with G in {p % 4, (p + 1) % 4}.
				int p = ref_port_of(family, remote);
				if (p < 0 || (p % DIFF_GROUPS != x->rgroup &&
					      (p + 1) % DIFF_GROUPS != x->rgroup))
					continue;
			}
			return true;
		}
	}
	return false;
}

// A random address of `family`: often one of the ports' or near them, else anywhere.
static void rnd_addr(int family, uint8_t *a) {
	memset(a, 0, 16);
	if (rnd(3) == 0) {
		for (int i = 0; i < (family == 4 ? 4 : 16); i++)
			a[i] = (uint8_t)rnd(256);
	} else if (family == 4) {
		a[0] = 10;
		a[3] = (uint8_t)rnd(8);
	} else {
		a[0] = 0xfd;
		a[15] = (uint8_t)rnd(8);
	}
}

static void differential_classifier_against_plain_scan(void **state) {
	struct harness *h = *state;
	const char *e_sets = getenv("FW_DIFF_SETS"), *e_pkts = getenv("FW_DIFF_PACKETS");
	uint32_t sets = e_sets ? (uint32_t)atoi(e_sets) : 40, pkts = e_pkts ? (uint32_t)atoi(e_pkts) : 5000;
	static const int protos[] = {-1, 6, 17, 1, 58};
	uint64_t checked = 0, mismatches = 0;

	rte_srand(42);
	for (uint32_t s = 0; s < sets; s++) {
		struct ref_rule rules[DIFF_GROUPS * 16];
		int n_rules[DIFF_GROUPS];
		json_t *doc = json_pack("{sis[{sssssi}]}", "revision", (int)s + 1, "networks", "id",
					"lan", "tenant", "t1", "vni", 10);
		json_t *groups = json_array(), *ports = json_array();
		const struct fw_cfg *fc;
		char *text;

		for (int g = 0; g < DIFF_GROUPS; g++) {
			json_t *jr = json_array();
			char gid[8];

			n_rules[g] = (int)rnd(9);
			for (int r = 0; r < n_rules[g]; r++) {
				struct ref_rule *x = &rules[g * 16 + r];
				json_t *o = json_object();
				char buf[80], ip[INET6_ADDRSTRLEN];

				memset(x, 0, sizeof(*x));
				x->dir = (int)rnd(2);
				x->proto = protos[rnd(5)];
				x->family = x->proto == 1 ? 4 : x->proto == 58 ? 6 : (int)rnd(3) == 0 ? 6 : (int)rnd(2) ? 4 : 0;
				x->lo = 0;
				x->hi = 65535;
				x->rgroup = -1;
				json_object_set_new(o, "direction", json_string(x->dir == FW_INGRESS ? "ingress" : "egress"));
				if (x->proto >= 0)
					json_object_set_new(o, "protocol", json_string(x->proto == 6 ? "tcp" : x->proto == 17 ? "udp" : x->proto == 1 ? "icmp" : "icmp6"));
				if (x->family != 0 && rnd(2))
					json_object_set_new(o, "ethertype", json_string(x->family == 4 ? "ipv4" : "ipv6"));
				else if (x->family != 0 && x->proto != 1 && x->proto != 58)
					json_object_set_new(o, "ethertype", json_string(x->family == 4 ? "ipv4" : "ipv6"));
				if ((x->proto == 6 || x->proto == 17) && rnd(2)) {
					x->lo = 1 + (int)rnd(2000);
					x->hi = x->lo + (int)rnd(3000);
					snprintf(buf, sizeof(buf), "%d-%d", x->lo, x->hi);
					json_object_set_new(o, "ports", json_string(buf));
				}
				if (rnd(3) == 0) {
					int fam = x->family ? x->family : rnd(2) ? 4 : 6;
					int max = fam == 4 ? 32 : 128;
					rnd_addr(fam, x->remote);
					x->rlen = (int)rnd((uint32_t)max + 1);
					for (int bit = x->rlen; bit < max; bit++) // host bits zero
						x->remote[bit / 8] &= (uint8_t)~(1u << (7 - bit % 8));
					inet_ntop(fam == 4 ? AF_INET : AF_INET6, x->remote, ip, sizeof(ip));
					snprintf(buf, sizeof(buf), "%s/%d", ip, x->rlen);
					json_object_set_new(o, "remote", json_string(buf));
					x->family = fam; // a prefix limits the rule to its family
				} else if (rnd(4) == 0) {
					x->rgroup = (int)rnd(DIFF_GROUPS);
					snprintf(buf, sizeof(buf), "g%d", x->rgroup);
					json_object_set_new(o, "remote_group", json_string(buf));
				}
				json_array_append_new(jr, o);
			}
			snprintf(gid, sizeof(gid), "g%d", g);
			json_array_append_new(groups, json_pack("{sssss o}", "id", gid, "tenant", "t1", "rules", jr));
		}
		for (int p = 0; p < DIFF_PORTS; p++) {
			char id[8], dev[16], mac[24], ip[16], ip6[16], g1[8], g2[8];
			snprintf(id, sizeof(id), "p%d", p);
			snprintf(dev, sizeof(dev), "net_null%d", 40 + p);
			snprintf(mac, sizeof(mac), "02:00:00:00:01:%02x", p + 1);
			snprintf(ip, sizeof(ip), "10.0.0.%d", p + 1);
			snprintf(ip6, sizeof(ip6), "fd00::%d", p + 1);
			snprintf(g1, sizeof(g1), "g%d", p % DIFF_GROUPS);
			snprintf(g2, sizeof(g2), "g%d", (p + 1) % DIFF_GROUPS);
			json_array_append_new(ports, json_pack("{sssssssss[ss]s[ss]}", "id", id, "network", "lan",
							       "device", dev, "mac", mac, "ips", ip, ip6,
							       "security_groups", g1, g2));
		}
		json_object_set_new(doc, "security_groups", groups);
		json_object_set_new(doc, "ports", ports);
		json_object_set_new(doc, "force", json_true());
		text = json_dumps(doc, JSON_COMPACT);
		assert_ok(h, text);
		free(text);
		json_decref(doc);
		fc = fw_cfg_get(h->lc->cfg);
		assert_non_null(fc);
		for (uint32_t k = 0; k < pkts; k++) {
			int p = (int)rnd(DIFF_PORTS), dir = (int)rnd(2), family = rnd(2) ? 4 : 6;
			int proto = rnd(3) == 0 ? (family == 4 ? 1 : 58) : protos[1 + rnd(2)];
			int groups_of[2] = {p % DIFF_GROUPS, (p + 1) % DIFF_GROUPS};
			uint16_t port = harness_port((char[]){'p', (char)('0' + p), 0});
			uint8_t remote[16];
			int dport = proto == 1 || proto == 58 ? 0 : (int)rnd(6000);
			bool want, got;

			rnd_addr(family, remote);
			want = ref_allows(rules, n_rules, groups_of, 2, dir, family, proto, remote, dport);
			got = sg_classify(fc, port, (uint8_t)dir, (uint8_t)family, (uint8_t)proto, remote,
					  (uint16_t)dport, false) != 0;
			checked++;
			if (want != got && mismatches++ < 5) {
				char ip[INET6_ADDRSTRLEN];
				inet_ntop(family == 4 ? AF_INET : AF_INET6, remote, ip, sizeof(ip));
				print_error("mismatch: set %u port p%d dir %d proto %d remote %s dport %d: "
					    "plain scan %d, classifier %d\n",
					    s, p, dir, proto, ip, dport, want, got);
			}
		}
	}
	print_message("differential: %u rule sets, %" PRIu64 " packets (IPv4 and IPv6), %" PRIu64
		      " mismatches\n", sets, checked, mismatches);
	assert_int_equal(mismatches, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
		T(ingress_by_port_prefix_and_group),
		T(egress_by_protocol_port_and_prefix),
		T(replies_of_allowed_connections_pass),
		T(no_groups_denies_no_key_is_not_filtered),
		T(rule_removed_cuts_member_added_allowed),
		T(bad_groups_refused),
		T(differential_classifier_against_plain_scan),
	};

	if (harness_global_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
