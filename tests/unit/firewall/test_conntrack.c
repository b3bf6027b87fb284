// SPDX-License-Identifier: BSD-3-Clause
// Conntrack: every TCP state transition, out-of-window RSTs, mid-stream pick-up, zones, one entry
// for both directions across tables (workers), tenant limits, expiry and a full table.

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_tcp.h>

#include "firewall/conntrack.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG

static uint64_t now;

struct conn {
	struct ct_key k;
	bool a_is_a; // the client (a) is the key's endpoint a
	struct ct_entry *e;
	uint32_t a_seq, b_seq;
};

static int setup(void **state) {
	struct ct_config cfg;

	RTE_SET_USED(state);
	ct_config_defaults(&cfg);
	cfg.entries = 4096;
	cfg.tenant_max = 100;
	for (int t = 0; t < CT_T_COUNT; t++)
		cfg.timeout_s[t] = 10 + t; // distinct: the timer says the state
	now = rte_get_tsc_cycles();
	return ct_init(&cfg, 2, NULL);
}

static int teardown(void **state) {
	RTE_SET_USED(state);
	ct_fini();
	return 0;
}

// 10.0.0.1:40000 (a, the client) <-> 10.0.0.2:80 (b) in zone `zone`.
static void conn_key(struct conn *c, uint16_t zone, bool from_a) {
	uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	bool src_is_a;

	if (from_a)
		ct_key_make(zone, 4, IPPROTO_TCP, a, b, 40000, 80, &c->k, &src_is_a);
	else
		ct_key_make(zone, 4, IPPROTO_TCP, b, a, 80, 40000, &c->k, &src_is_a);
	c->a_is_a = from_a ? src_is_a : !src_is_a;
}

// A segment from the client (from_a) or the server with `flags` and `len` bytes: tracked.
static enum ct_verdict seg(struct conn *c, bool from_a, uint8_t flags, uint32_t len) {
	struct ct_pkt p = {.tcp_flags = flags, .wscale = 0xff, .win = 1000, .len = len};
	enum ct_verdict v;

	p.seq = from_a ? c->a_seq : c->b_seq;
	p.ack = from_a ? c->b_seq : c->a_seq;
	v = ct_track(c->e, &c->k, from_a == c->a_is_a, &p, now);
	if (v == CT_OK) {
		uint32_t adv = len + !!(flags & SYN) + !!(flags & FIN);
		if (from_a)
			c->a_seq += adv;
		else
			c->b_seq += adv;
	}
	return v;
}

// The client's SYN: a new entry in table `table`.
static void open_conn(struct conn *c, unsigned int table, uint16_t zone) {
	struct ct_pkt p = {.tcp_flags = SYN, .wscale = 0xff, .win = 1000, .seq = 1000};
	enum ct_create_err err;

	memset(c, 0, sizeof(*c));
	conn_key(c, zone, true);
	c->a_seq = 1000;
	c->b_seq = 5000;
	c->e = ct_create(table, &c->k, c->a_is_a, &p, false, now, &err);
	assert_int_equal(err, CT_CREATE_OK);
	assert_non_null(c->e);
	c->a_seq++;
	assert_int_equal(c->e->state, CT_TCP_SYN_SENT);
}

static void establish(struct conn *c) {
	assert_int_equal(seg(c, false, SYN | ACK, 0), CT_OK);
	assert_int_equal(c->e->state, CT_TCP_SYN_RECV);
	assert_int_equal(seg(c, true, ACK, 0), CT_OK);
	assert_int_equal(c->e->state, CT_TCP_ESTABLISHED);
}

static void tcp_handshake_to_time_wait(void **state) {
	struct conn c;

	RTE_SET_USED(state);
	open_conn(&c, 0, 1);
	c.a_seq--; // the SYN again (a retransmission)
	assert_int_equal(seg(&c, true, SYN, 0), CT_OK);
	establish(&c);
	assert_int_equal(seg(&c, true, ACK, 100), CT_OK);
	assert_int_equal(seg(&c, false, ACK, 1400), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_ESTABLISHED);
	assert_true(c.e->expires > now + (uint64_t)(CT_T_TCP_ESTABLISHED + 9) * rte_get_tsc_hz());
	assert_int_equal(seg(&c, true, FIN | ACK, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_FIN_WAIT);
	assert_int_equal(seg(&c, false, ACK, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_FIN_WAIT);
	assert_int_equal(seg(&c, false, FIN | ACK, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_LAST_ACK);
	assert_int_equal(seg(&c, true, ACK, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_TIME_WAIT);
	// A SYN on the same ports does not fit the old connection (the caller makes it anew).
	assert_int_equal(seg(&c, true, SYN, 0), CT_INVALID);
}

static void tcp_out_of_the_machine_is_invalid(void **state) {
	struct conn c;

	RTE_SET_USED(state);
	open_conn(&c, 0, 1);
	// Data before the handshake, a SYN-ACK from the client, a SYN-ACK acknowledging nothing sent.
	assert_int_equal(seg(&c, true, ACK, 10), CT_INVALID);
	assert_int_equal(seg(&c, true, SYN | ACK, 0), CT_INVALID);
	c.a_seq += 7;
	assert_int_equal(seg(&c, false, SYN | ACK, 0), CT_INVALID);
	c.a_seq -= 7;
	assert_int_equal(c.e->state, CT_TCP_SYN_SENT);
	// The server refuses: a RST acknowledging the SYN closes; from the client, nothing.
	assert_int_equal(seg(&c, true, RST, 0), CT_INVALID);
	assert_int_equal(seg(&c, false, RST | ACK, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_CLOSE);
	// Established: a SYN is invalid.
	open_conn(&c, 0, 2);
	establish(&c);
	assert_int_equal(seg(&c, false, SYN, 0), CT_INVALID);
	assert_int_equal(c.e->state, CT_TCP_ESTABLISHED);
}

static void rst_outside_the_window_refused(void **state) {
	struct conn c;

	RTE_SET_USED(state);
	open_conn(&c, 0, 1);
	establish(&c);
	assert_int_equal(seg(&c, false, ACK, 500), CT_OK);
	assert_int_equal(seg(&c, true, ACK, 0), CT_OK); // the client's window: 1000 from its ack
	// A blind RST from "the server" far off: refused, the connection stays.
	c.b_seq += 100000;
	assert_int_equal(seg(&c, false, RST, 0), CT_INVALID);
	c.b_seq -= 100000;
	// Just past the window: refused; inside: closes.
	c.b_seq += 1001;
	assert_int_equal(seg(&c, false, RST, 0), CT_INVALID);
	assert_int_equal(c.e->state, CT_TCP_ESTABLISHED);
	c.b_seq -= 1001 - 999;
	assert_int_equal(seg(&c, false, RST, 0), CT_OK);
	assert_int_equal(c.e->state, CT_TCP_CLOSE);
}

// With window scaling offered by both SYNs, the window is scaled (a RST 100,000 ahead is inside
// a 1000 << 7 window).
static void window_scaling_counts(void **state) {
	struct ct_pkt p = {.tcp_flags = SYN, .wscale = 7, .win = 1000, .seq = 1};
	enum ct_create_err err;
	struct conn c;

	RTE_SET_USED(state);
	memset(&c, 0, sizeof(c));
	conn_key(&c, 1, true);
	c.e = ct_create(0, &c.k, c.a_is_a, &p, false, now, &err);
	assert_non_null(c.e);
	p = (struct ct_pkt){.tcp_flags = SYN | ACK, .wscale = 7, .win = 1000, .seq = 9, .ack = 2};
	assert_int_equal(ct_track(c.e, &c.k, !c.a_is_a, &p, now), CT_OK);
	p = (struct ct_pkt){.tcp_flags = ACK, .win = 1000, .seq = 2, .ack = 10};
	assert_int_equal(ct_track(c.e, &c.k, c.a_is_a, &p, now), CT_OK);
	p = (struct ct_pkt){.tcp_flags = RST, .seq = 10 + 100000};
	assert_int_equal(ct_track(c.e, &c.k, !c.a_is_a, &p, now), CT_OK);
}

static void midstream_pickup_only_when_allowed(void **state) {
	struct ct_pkt p = {.tcp_flags = ACK, .wscale = 0xff, .win = 1000, .seq = 77, .ack = 99,
			   .len = 10};
	enum ct_create_err err;
	struct conn c;

	RTE_SET_USED(state);
	memset(&c, 0, sizeof(c));
	conn_key(&c, 1, true);
	assert_null(ct_create(0, &c.k, c.a_is_a, &p, false, now, &err));
	assert_int_equal(err, CT_CREATE_INVALID);
	p.tcp_flags = RST | ACK;
	assert_null(ct_create(0, &c.k, c.a_is_a, &p, true, now, &err));
	assert_int_equal(err, CT_CREATE_INVALID);
	p.tcp_flags = ACK;
	c.e = ct_create(0, &c.k, c.a_is_a, &p, true, now, &err);
	assert_non_null(c.e);
	assert_int_equal(c.e->state, CT_TCP_ESTABLISHED);
	assert_true(c.e->picked_up);
	// The other side answers; data both ways.
	p = (struct ct_pkt){.tcp_flags = ACK, .win = 2000, .seq = 99, .ack = 87, .len = 5};
	assert_int_equal(ct_track(c.e, &c.k, !c.a_is_a, &p, now), CT_OK);
	assert_int_equal(ct_count(), 1);
}

// Both directions find one entry, on any table; zones keep tenants apart.
static void one_entry_both_directions_any_table_per_zone(void **state) {
	struct conn c1, c2, r, r3;
	const struct ct_key *keys[3];
	struct ct_entry *found[3];

	RTE_SET_USED(state);
	open_conn(&c1, 0, 1);
	open_conn(&c2, 1, 2); // the same addresses and ports, tenant 2, made by worker 1
	assert_ptr_not_equal(c1.e, c2.e);
	conn_key(&r, 1, false); // the server's reply, zone 1
	assert_memory_equal(&r.k, &c1.k, sizeof(r.k));
	keys[0] = &r.k;
	keys[1] = &c2.k;
	conn_key(&r3, 3, false);
	keys[2] = &r3.k; // zone 3: nothing
	ct_lookup_bulk(1, keys, 3, found);
	assert_ptr_equal(found[0], c1.e); // made by table 0, found from table 1
	assert_ptr_equal(found[1], c2.e);
	assert_null(found[2]);
	ct_lookup_bulk(0, keys, 3, found);
	assert_ptr_equal(found[0], c1.e);
	assert_ptr_equal(found[1], c2.e);
	assert_true(ct_is_reply(c1.e, !c1.a_is_a));
	assert_int_equal(ct_tenant_count(1), 1);
	assert_int_equal(ct_tenant_count(2), 1);
}

static void tenant_limit_leaves_others_alone(void **state) {
	struct ct_pkt p = {.tcp_flags = SYN, .wscale = 0xff};
	enum ct_create_err err;
	struct ct_key k;
	bool a;

	RTE_SET_USED(state);
	for (uint32_t i = 0; i < 101; i++) {
		uint8_t s[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i}, d[4] = {10, 2, 0, 1};
		ct_key_make(7, 4, IPPROTO_TCP, s, d, 1000, 80, &k, &a);
		struct ct_entry *e = ct_create(i % 2, &k, a, &p, false, now, &err);
		if (i < 100) {
			assert_non_null(e);
		} else {
			assert_null(e);
			assert_int_equal(err, CT_CREATE_TENANT_LIMIT);
		}
	}
	assert_int_equal(ct_tenant_count(7), 100);
	{
		uint8_t s[4] = {10, 1, 0, 0}, d[4] = {10, 2, 0, 1};
		ct_key_make(8, 4, IPPROTO_TCP, s, d, 1000, 80, &k, &a);
		assert_non_null(ct_create(0, &k, a, &p, false, now, &err));
	}
	assert_int_equal(ct_tenant_count(8), 1);
}

static void udp_and_icmp_echo(void **state) {
	uint8_t s[16] = {0xfd, 0, [15] = 1}, d[16] = {0xfd, 0, [15] = 2};
	struct ct_pkt p = {0};
	enum ct_create_err err;
	struct ct_entry *e, *found[1];
	const struct ct_key *keys[1];
	struct ct_key k, r;
	bool a, ra;

	RTE_SET_USED(state);
	ct_key_make(1, 6, IPPROTO_UDP, s, d, 5353, 53, &k, &a);
	e = ct_create(0, &k, a, &p, false, now, &err);
	assert_non_null(e);
	assert_int_equal(e->state, CT_UDP_UNREPLIED);
	assert_int_equal(ct_track(e, &k, a, &p, now), CT_OK);
	assert_int_equal(e->state, CT_UDP_UNREPLIED);
	ct_key_make(1, 6, IPPROTO_UDP, d, s, 53, 5353, &r, &ra);
	keys[0] = &r;
	ct_lookup_bulk(1, keys, 1, found);
	assert_ptr_equal(found[0], e);
	assert_int_equal(ct_track(e, &r, ra, &p, now), CT_OK);
	assert_int_equal(e->state, CT_UDP_REPLIED);
	// ICMPv6 echo: the identifier is the "port", both ways.
	ct_key_make(1, 6, IPPROTO_ICMPV6, s, d, 77, 77, &k, &a);
	e = ct_create(0, &k, a, &p, false, now, &err);
	assert_non_null(e);
	ct_key_make(1, 6, IPPROTO_ICMPV6, d, s, 77, 77, &r, &ra);
	assert_memory_equal(&k, &r, sizeof(k));
	assert_int_equal(ct_track(e, &r, ra, &p, now), CT_OK);
	assert_int_equal(e->state, CT_UDP_REPLIED);
}

// Entries expire by their state's timer; their room is used again; a full table says so and the
// other table still takes connections.
static void expiry_and_full_table(void **state) {
	struct ct_pkt p = {.tcp_flags = SYN, .wscale = 0xff};
	enum ct_create_err err = CT_CREATE_OK;
	uint32_t made = 0, removed = 0;
	struct ct_key k;
	bool a;

	RTE_SET_USED(state);
	for (uint32_t i = 0; err == CT_CREATE_OK && i < 10000; i++) {
		uint8_t s[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i}, d[4] = {10, 2, 0, 1};
		ct_key_make((uint16_t)(100 + i / 90), 4, IPPROTO_TCP, s, d, 1000, 80, &k, &a);
		if (ct_create(0, &k, a, &p, false, now, &err) != NULL)
			made++;
	}
	assert_int_equal(err, CT_CREATE_FULL);
	assert_int_equal(made, 4096); // exactly the configured entries
	{
		uint8_t s[4] = {10, 9, 0, 0}, d[4] = {10, 2, 0, 1};
		ct_key_make(5, 4, IPPROTO_TCP, s, d, 1000, 80, &k, &a);
		assert_non_null(ct_create(1, &k, a, &p, false, now, &err)); // worker 1's table
	}
	// Not yet: SYN_SENT's timer is 10 + CT_T_TCP_SYN_SENT s.
	assert_int_equal(ct_expire(0, now + 5 * rte_get_tsc_hz(), 100000), 0);
	for (int i = 0; i < 10; i++)
		removed += ct_expire(0, now + 11 * rte_get_tsc_hz(), 1000);
	assert_int_equal(removed, made);
	assert_int_equal(ct_count(), 1);
	assert_int_equal(ct_tenant_count(100), 0);
	for (uint32_t i = 0; i < made; i++) {
		uint8_t s[4] = {10, 3, (uint8_t)(i >> 8), (uint8_t)i}, d[4] = {10, 2, 0, 1};
		ct_key_make((uint16_t)(100 + i / 90), 4, IPPROTO_TCP, s, d, 1000, 80, &k, &a);
		assert_non_null(ct_create(0, &k, a, &p, false, now, &err));
	}
}

// An imported connection (the control thread's table) is found by every worker with its state;
// importing it again says so; the tenant limit holds for imports too; it expires like the others.
static void import_into_the_control_table(void **state) {
	struct conn c;
	struct ct_entry tmpl, *found[1];
	const struct ct_key *keys[1];

	RTE_SET_USED(state);
	memset(&c, 0, sizeof(c));
	conn_key(&c, 3, true);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.state = CT_TCP_ESTABLISHED;
	tmpl.orig_is_a = c.a_is_a;
	tmpl.dir[0] = (struct ct_dir){.end = 2000, .ack = 9000, .win = 1000, .wscale = 0xff,
				      .seen = CT_SEEN | CT_SEEN_ACK};
	tmpl.dir[1] = (struct ct_dir){.end = 9000, .ack = 2000, .win = 1000, .wscale = 0xff,
				      .seen = CT_SEEN | CT_SEEN_ACK};
	assert_int_equal(ct_import(&c.k, &tmpl, 5 * rte_get_tsc_hz(), now), 0);
	assert_int_equal(ct_import(&c.k, &tmpl, 5 * rte_get_tsc_hz(), now), -EEXIST);
	keys[0] = &c.k;
	ct_lookup_bulk(1, keys, 1, found);
	assert_non_null(found[0]);
	c.e = found[0];
	assert_int_equal(c.e->state, CT_TCP_ESTABLISHED);
	assert_false(c.e->picked_up);
	// Its TCP state came along: a RST outside the window is refused, data passes.
	c.a_seq = 2000;
	c.b_seq = 9000 + 50000;
	assert_int_equal(seg(&c, false, RTE_TCP_RST_FLAG, 0), CT_INVALID);
	c.b_seq = 9000;
	assert_int_equal(seg(&c, true, ACK, 10), CT_OK);
	assert_int_equal(ct_tenant_count(3), 1);
	// Expired by the control thread (its timer: the established one, from the last packet).
	assert_int_equal(ct_expire_control(now + 60 * rte_get_tsc_hz(), 100000), 1);
	assert_int_equal(ct_tenant_count(3), 0);
}

int main(int argc, char **argv) {
	char *eal[] = {argv[0], "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "-l", "0",
		       "--log-level", "lib.eal:error", "--no-telemetry"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tcp_handshake_to_time_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_out_of_the_machine_is_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(rst_outside_the_window_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(window_scaling_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(midstream_pickup_only_when_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(one_entry_both_directions_any_table_per_zone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tenant_limit_leaves_others_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(udp_and_icmp_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_and_full_table, setup, teardown),
		cmocka_unit_test_setup_teardown(import_into_the_control_table, setup, teardown),
	};

	RTE_SET_USED(argc);
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
