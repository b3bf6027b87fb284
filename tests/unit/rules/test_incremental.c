// SPDX-License-Identifier: BSD-3-Clause
// Incremental transactions (dataplane/rules.c): a section whose part of the document did not
// change keeps its data (the same pointer, no new tables) and its generation; a section whose
// part changed is rebuilt with a new generation; a refused transaction changes no section; the
// references of a reused section are still checked; and freeing the snapshots that shared a
// section's data never frees it while a later snapshot uses it (run under ASan). Through
// rules_apply() with net_null ports and a net_null underlay (tests/lib/harness).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ether.h>

#include "dataplane/rules.h"
#include "overlay/overlay.h"
#include "tests/lib/harness.h"
#include "vswitch/bridge.h"

static const char base_doc[] =
	"{\"revision\": 1,"
	" \"networks\": [{\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001, \"router\": \"r1\"},"
	"               {\"id\": \"red\", \"tenant\": \"red\", \"vni\": 6001}],"
	" \"ports\": [{\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_null50,no-rx=1\","
	"             \"mac\": \"02:00:00:00:01:0a\", \"security_groups\": [\"web\"]},"
	"            {\"id\": \"b\", \"network\": \"red\", \"device\": \"net_null51,no-rx=1\","
	"             \"mac\": \"02:00:00:00:01:0b\"}],"
	" \"remote_ports\": [{\"network\": \"blue\", \"mac\": \"02:00:00:00:03:01\","
	"                    \"vtep\": \"192.0.2.12\", \"ips\": [\"10.0.0.31\"]}],"
	" \"routers\": [{\"id\": \"r1\", \"tenant\": \"blue\", \"mac\": \"02:00:00:00:00:01\"}],"
	" \"security_groups\": [{\"id\": \"web\", \"tenant\": \"blue\"}]}";

// A change of r1's routes: only vrouter reads them (vswitch reads the routers' ids and MACs).
#define ROUTE_R1(prefix)                                                                            \
	"{\"ops\": [{\"op\": \"replace\", \"kind\": \"router\", \"object\": {\"id\": \"r1\","       \
	" \"tenant\": \"blue\", \"mac\": \"02:00:00:00:00:01\", \"routes\": [{\"prefix\": \""     \
	prefix "\", \"blackhole\": true}]}}]}"
// What a snapshot holds per section, to compare before and after a transaction.
struct seen {
	uint64_t generation;
	void *section[DP_SECTIONS_MAX];
	uint64_t gen[DP_SECTIONS_MAX];
	uint16_t port_a, port_b;
};

static struct seen seen_now(void) {
	const struct dp_config *cfg = dp_config_current();
	struct seen s = {.generation = cfg->generation};

	for (int i = 0; i < DP_SECTIONS_MAX; i++) {
		s.section[i] = cfg->section[i];
		s.gen[i] = cfg->section_generation[i];
	}
	s.port_a = harness_port("a");
	s.port_b = harness_port("b");
	return s;
}

// How many sections have another generation in `b` than in `a`.
static int n_rebuilt(const struct seen *a, const struct seen *b) {
	int n = 0;

	for (int i = 0; i < DP_SECTIONS_MAX; i++)
		n += a->gen[i] != b->gen[i];
	return n;
}

// Static MAC `mac` of network `bd` in the current vswitch table (0 if none).
static uint64_t static_mac(const char *network, const char *mac) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	struct bridge_mac_key k = {.bd_id = bridge_find(bc, network)->bd_id};

	assert_int_equal(rules_parse_mac(mac, &k.mac), 0);
	return bridge_static_lookup(bc, &k);
}

static void unrelated_transaction_reuses_sections(void **state) {
	struct harness *h = *state;
	const void *overlay_before;
	struct seen before, after;

	assert_int_equal(harness_apply(h, base_doc), 0);
	before = seen_now();
	overlay_before = overlay_cfg_get(dp_config_current());
	assert_int_equal(harness_apply(h, ROUTE_R1("10.99.0.0/16")), 0);
	after = seen_now();
	assert_true(after.generation == before.generation + 1);
	// The vswitch and the overlay: the same data, the same generations.
	assert_ptr_equal(after.section[bridge_cfg_index], before.section[bridge_cfg_index]);
	assert_true(after.gen[bridge_cfg_index] == before.gen[bridge_cfg_index]);
	assert_ptr_equal(overlay_cfg_get(dp_config_current()), overlay_before);
	// Only the vrouter section was rebuilt; the ports kept their DPDK ids.
	assert_int_equal(n_rebuilt(&before, &after), 1);
	assert_int_equal(after.port_a, before.port_a);
	assert_int_equal(after.port_b, before.port_b);
	// The reused tables still answer (under ASan: they were not freed with the old snapshot).
	assert_int_equal(MAC_DATA_PORT(static_mac("blue", "02:00:00:00:01:0a")), after.port_a);
	assert_true(MAC_DATA_VTEP(static_mac("blue", "02:00:00:00:03:01")) != 0);
}

static void changed_section_is_rebuilt_others_kept(void **state) {
	struct harness *h = *state;
	const void *overlay_before;
	struct seen before, after;

	assert_int_equal(harness_apply(h, base_doc), 0);
	before = seen_now();
	overlay_before = overlay_cfg_get(dp_config_current());
	// A port: vswitch, and the firewall (a port's groups and addresses); not the overlay (it
	// reads networks and remote ports, not ports).
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"port\", \"object\":"
					  " {\"id\": \"c\", \"network\": \"red\", \"device\":"
					  " \"net_null52,no-rx=1\", \"mac\": \"02:00:00:00:01:0c\"}}]}"),
			 0);
	after = seen_now();
	assert_ptr_not_equal(after.section[bridge_cfg_index], before.section[bridge_cfg_index]);
	assert_true(after.gen[bridge_cfg_index] > before.gen[bridge_cfg_index]);
	assert_ptr_equal(overlay_cfg_get(dp_config_current()), overlay_before);
	assert_int_equal(n_rebuilt(&before, &after), 2);
	assert_int_equal(MAC_DATA_PORT(static_mac("red", "02:00:00:00:01:0c")), harness_port("c"));
	// A remote port: the overlay owns it, vswitch reads it (its MAC table), the firewall its
	// addresses and groups: the three rebuilt.
	before = after;
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"remote_port\","
					  " \"object\": {\"network\": \"red\", \"mac\": "
					  "\"02:00:00:00:03:02\", \"vtep\": \"192.0.2.13\"}}]}"),
			 0);
	after = seen_now();
	assert_int_equal(n_rebuilt(&before, &after), 3);
	assert_ptr_not_equal(overlay_cfg_get(dp_config_current()), overlay_before);
	assert_true(MAC_DATA_VTEP(static_mac("red", "02:00:00:00:03:02")) != 0);
}

static void refused_transaction_changes_no_section(void **state) {
	static const char *const bad[] = {
		// vrouter alone would rebuild: a bad MAC.
		"{\"ops\": [{\"op\": \"add\", \"kind\": \"router\", \"object\": {\"id\": \"r9\","
		" \"tenant\": \"red\", \"mac\": \"01:00:00:00:00:02\"}}]}",
		// vswitch would rebuild, the reused vrouter's router is still there: an unknown group.
		"{\"ops\": [{\"op\": \"add\", \"kind\": \"port\", \"object\": {\"id\": \"c\","
		" \"network\": \"red\", \"device\": \"net_null52,no-rx=1\","
		" \"mac\": \"02:00:00:00:01:0c\", \"security_groups\": [\"nope\"]}}]}",
		// Removing a router that a reused network refers to: the replayed reference fails.
		"{\"ops\": [{\"op\": \"remove\", \"kind\": \"router\", \"id\": \"r1\"}]}",
		// Removing a group that a reused port refers to.
		"{\"ops\": [{\"op\": \"remove\", \"kind\": \"security_group\", \"id\": \"web\"}]}",
		// The overlay would rebuild: a remote port in an unknown network.
		"{\"ops\": [{\"op\": \"add\", \"kind\": \"remote_port\", \"object\": {\"network\":"
		" \"green\", \"mac\": \"02:00:00:00:03:09\", \"vtep\": \"192.0.2.13\"}}]}",
	};
	static const char *const words[] = {"routers[1].mac", "ports[2].security_groups[0]",
					    "networks[0]", "ports[0].security_groups[0]",
					    "remote_ports[1].network"};
	struct harness *h = *state;
	struct seen before, after;

	assert_int_equal(harness_apply(h, base_doc), 0);
	before = seen_now();
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		assert_int_not_equal(harness_apply(h, bad[i]), 0);
		if (strstr(h->err, words[i]) != h->err)
			fail_msg("case %zu: error \"%s\" does not start with %s", i, h->err, words[i]);
		after = seen_now();
		assert_true(after.generation == before.generation);
		assert_memory_equal(after.section, before.section, sizeof(after.section));
		assert_memory_equal(after.gen, before.gen, sizeof(after.gen));
	}
	assert_null(dp_config_port_lookup(dp_config_current(), "c"));
}

// Many transactions that each reuse the vswitch section and free the snapshot before them: the
// shared tables must live as long as the newest snapshot (ASan reports any use after free).
static void freeing_old_snapshots_keeps_shared_data(void **state) {
	struct harness *h = *state;
	char again[sizeof(base_doc) + 8];
	const void *bc;
	uint64_t gen;

	assert_int_equal(harness_apply(h, base_doc), 0);
	bc = bridge_cfg_get(dp_config_current());
	gen = bridge_cfg_generation(dp_config_current());
	for (int i = 0; i < 8; i++) {
		assert_int_equal(harness_apply(h, ROUTE_R1("10.98.0.0/16")), 0);
		assert_int_equal(harness_apply(h, ROUTE_R1("10.97.0.0/16")), 0);
	}
	assert_ptr_equal(bridge_cfg_get(dp_config_current()), bc);
	assert_true(bridge_cfg_generation(dp_config_current()) == gen);
	assert_int_equal(MAC_DATA_PORT(static_mac("red", "02:00:00:00:01:0b")), harness_port("b"));
	// The same document again as a whole (a later revision): nothing changed, nothing rebuilt.
	snprintf(again, sizeof(again), "{\"revision\": 100,%s", base_doc + strlen("{\"revision\": 1,"));
	assert_int_equal(harness_apply(h, again), 0);
	assert_ptr_equal(bridge_cfg_get(dp_config_current()), bc);
	// A change: the new data replaces the shared one, which is freed with the last snapshot.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"port\","
					  " \"id\": \"b\"}]}"),
			 0);
	assert_true(bridge_cfg_generation(dp_config_current()) > gen);
	assert_ptr_not_equal(bridge_cfg_get(dp_config_current()), bc);
	assert_null(dp_config_port_lookup(dp_config_current(), "b"));
}

// The cross-section check (vrouter reads vswitch's networks as shared objects): a network's
// router must be of its tenant, whichever of the two sections the transaction changes.
static void router_of_another_tenant_is_refused(void **state) {
	struct harness *h = *state;
	struct seen before;

	assert_int_equal(harness_apply(h, base_doc), 0);
	before = seen_now();
	// vswitch changes, vrouter is reused: its router is still read.
	assert_int_not_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"network\","
					      " \"object\": {\"id\": \"green\", \"tenant\": \"red\","
					      " \"vni\": 7001, \"router\": \"r1\"}}]}"),
			     0);
	assert_string_equal(h->err, "networks[2].router: router \"r1\" belongs to tenant \"blue\", "
				    "not \"red\"");
	// vrouter changes, vswitch is reused: its networks are still checked.
	assert_int_not_equal(harness_apply(h, "{\"ops\": [{\"op\": \"replace\", \"kind\": "
					      "\"router\", \"object\": {\"id\": \"r1\", \"tenant\":"
					      " \"red\", \"mac\": \"02:00:00:00:00:01\"}}]}"),
			     0);
	assert_string_equal(h->err, "networks[0].router: router \"r1\" belongs to tenant \"red\", "
				    "not \"blue\"");
	assert_true(dp_config_current()->generation == before.generation);
}

// Tenants get numeric ids in the snapshot (struct bridge.tenant_id), stable across transactions
// while any object names the tenant, and distinct per tenant.
static void tenant_ids_are_stable(void **state) {
	struct harness *h = *state;
	const struct bridge_cfg *bc;
	uint32_t blue, red;

	assert_int_equal(harness_apply(h, base_doc), 0);
	bc = bridge_cfg_get(dp_config_current());
	blue = bridge_find(bc, "blue")->tenant_id;
	red = bridge_find(bc, "red")->tenant_id;
	assert_true(blue != 0 && red != 0 && blue != red);
	// A new tenant and a rebuilt vswitch: the ids of blue and red do not move.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"network\","
					  " \"object\": {\"id\": \"green\", \"tenant\": \"green\","
					  " \"vni\": 7001}}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	assert_int_equal(bridge_find(bc, "blue")->tenant_id, blue);
	assert_int_equal(bridge_find(bc, "red")->tenant_id, red);
	assert_true(bridge_find(bc, "green")->tenant_id != blue &&
		    bridge_find(bc, "green")->tenant_id != red);
	// Red's network goes (with its port): blue keeps its id, red's is freed for a new tenant.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"remove\", \"kind\": \"port\","
					  " \"id\": \"b\"}, {\"op\": \"remove\", \"kind\":"
					  " \"network\", \"id\": \"red\"}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	assert_int_equal(bridge_find(bc, "blue")->tenant_id, blue);
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"network\","
					  " \"object\": {\"id\": \"violet\", \"tenant\": \"violet\","
					  " \"vni\": 8001}}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	assert_int_equal(bridge_find(bc, "violet")->tenant_id, red);
}

// A held snapshot (a trace formats its records with the one its packet walked) outlives its
// replacement: still readable, with the ports it had, and freed by the last release (ASan).
static void held_snapshot_outlives_its_replacement(void **state) {
	struct harness *h = *state;
	const struct dp_config *held;

	assert_int_equal(harness_apply(h, base_doc), 0);
	held = dp_config_hold(dp_config_current());
	assert_int_equal(harness_apply(h, "{\"revision\": 2, \"ops\": [{\"op\": \"remove\","
					  " \"kind\": \"port\", \"id\": \"b\"}]}"),
			 0);
	assert_true(dp_config_current() != held);
	assert_null(dp_config_port_lookup(dp_config_current(), "b"));
	assert_non_null(dp_config_port_lookup(held, "b")); // retired, not freed
	assert_int_equal(held->revision, 1);
	dp_config_release(held);
	// Holding the current one and releasing it frees nothing that is still published.
	held = dp_config_hold(dp_config_current());
	dp_config_release(held);
	assert_non_null(dp_config_port_lookup(dp_config_current(), "a"));
}

// Each network's static tables (MACs, addresses) are its own: a change in one network builds new
// tables for it and keeps the other networks' (the same pointers, hence the same versions that
// the workers' caches key on), whatever else the vswitch section rebuilt.
static void network_tables_rebuilt_only_where_they_changed(void **state) {
	struct harness *h = *state;
	const struct bridge_cfg *bc;
	const struct vsw_table *blue, *red, *red_ip4;
	struct rte_ether_addr mac;
	uint8_t ip[4] = {10, 0, 0, 31};

	assert_int_equal(harness_apply(h, base_doc), 0);
	bc = bridge_cfg_get(dp_config_current());
	blue = bridge_find(bc, "blue")->macs;
	red = bridge_find(bc, "red")->macs;
	red_ip4 = bridge_find(bc, "red")->ip4;
	// A port in red: red's tables are new, blue's are shared.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": \"port\","
					  " \"object\": {\"id\": \"c\", \"network\": \"red\","
					  " \"device\": \"net_null52,no-rx=1\","
					  " \"mac\": \"02:00:00:00:01:0c\", \"ips\": [\"10.0.0.12\"]}}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	assert_ptr_equal(bridge_find(bc, "blue")->macs, blue);
	assert_ptr_not_equal(bridge_find(bc, "red")->macs, red);
	assert_ptr_not_equal(bridge_find(bc, "red")->ip4, red_ip4);
	assert_true(bridge_find(bc, "red")->macs->version > blue->version);
	assert_int_equal(MAC_DATA_PORT(static_mac("red", "02:00:00:00:01:0c")), harness_port("c"));
	assert_int_equal(MAC_DATA_PORT(static_mac("red", "02:00:00:00:01:0b")), harness_port("b"));
	// A remote port in red: blue's still shared; blue's remote MAC and address still answer.
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": "
					  "\"remote_port\", \"object\": {\"network\": \"red\","
					  " \"mac\": \"02:00:00:00:03:02\", \"vtep\": \"192.0.2.13\","
					  " \"ips\": [\"10.0.0.32\", \"fd00::32\"]}}]}"),
			 0);
	bc = bridge_cfg_get(dp_config_current());
	assert_ptr_equal(bridge_find(bc, "blue")->macs, blue);
	assert_int_equal(MAC_DATA_VTEP(static_mac("red", "02:00:00:00:03:02")),
			 RTE_BE32(0xc000020d));
	assert_true(bridge_ip_lookup(bc, bridge_find(bc, "blue")->bd_id, 4, ip, &mac));
	assert_int_equal(mac.addr_bytes[5], 0x01);
	ip[3] = 32;
	assert_true(bridge_ip_lookup(bc, bridge_find(bc, "red")->bd_id, 4, ip, &mac));
	assert_false(bridge_ip_lookup(bc, bridge_find(bc, "blue")->bd_id, 4, ip, &mac));
}

// A MAC that two entries of one network claim (a remote port with a local port's MAC) is refused
// with the entry that conflicts; in another network the same MAC is fine.
static void conflicting_mac_in_a_network_is_refused(void **state) {
	struct harness *h = *state;
	char err[256];
	uint64_t gen;
	json_t *txn;

	assert_int_equal(harness_apply(h, base_doc), 0);
	gen = bridge_cfg_generation(dp_config_current());
	txn = json_loads("{\"ops\": [{\"op\": \"add\", \"kind\": \"remote_port\", \"object\":"
			 " {\"network\": \"blue\", \"mac\": \"02:00:00:00:01:0a\","
			 " \"vtep\": \"192.0.2.13\"}}]}", 0, NULL);
	assert_int_not_equal(rules_apply(txn, &(uint64_t){0}, err, sizeof(err)), 0);
	json_decref(txn);
	assert_non_null(strstr(err, "remote_ports[1]"));
	assert_non_null(strstr(err, "MAC already lives behind another port or VTEP in network blue"));
	assert_true(bridge_cfg_generation(dp_config_current()) == gen);
	assert_int_equal(harness_apply(h, "{\"ops\": [{\"op\": \"add\", \"kind\": "
					  "\"remote_port\", \"object\": {\"network\": \"red\","
					  " \"mac\": \"02:00:00:00:01:0a\", \"vtep\": \"192.0.2.13\"}}]}"),
			 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
		T(unrelated_transaction_reuses_sections),
		T(changed_section_is_rebuilt_others_kept),
		T(refused_transaction_changes_no_section),
		T(freeing_old_snapshots_keeps_shared_data),
		T(router_of_another_tenant_is_refused),
		T(tenant_ids_are_stable),
		T(held_snapshot_outlives_its_replacement),
		T(network_tables_rebuilt_only_where_they_changed),
		T(conflicting_mac_in_a_network_is_refused),
#undef T
	};
	char err[256];
	json_t *ul = json_pack("{sssssi}", "device", "net_null49,no-rx=1", "address",
			       "192.0.2.11/24", "mtu", 9000);

	// An underlay (net_null), so that remote ports are accepted; set before the engine starts.
	if (underlay_config(ul, err, sizeof(err)) < 0) {
		fprintf(stderr, "underlay: %s\n", err);
		return 1;
	}
	json_decref(ul);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
