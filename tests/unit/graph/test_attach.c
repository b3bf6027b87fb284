// SPDX-License-Identifier: BSD-3-Clause
// Attach points (dataplane/graph.h): a node inserted with dp_node_attach_chain() sees exactly the
// frames that cross its point and hands them on to where the point led before; two steps stack in
// the order they were attached; the real graph (tests/lib/graph_harness.h) is built after them.
// Unknown points and nodes are refused.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dataplane/graph.h"
#include "tests/lib/graph_harness.h"
#include "tests/lib/harness.h"
#include "tests/lib/pktbuf.h"
#include "tests/lib/pktgen.h"

#define MAC_A "02:00:00:00:01:0a"
#define MAC_B "02:00:00:00:01:0b"

enum { STEP_DROP = DP_EDGE_DROP, STEP_NEXT, STEP__COUNT };

// A step: counts what crosses it, remembers the order of the steps a frame met, passes it on.
static unsigned int seen_output, seen_input, order_ok, order_bad;

static rte_edge_t ut_output_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	RTE_SET_USED(lc);
	seen_output++;
	// l2_input comes first: the frame carries its mark.
	if (pkt_meta(m)->rule_id == 0x1234)
		order_ok++;
	else
		order_bad++;
	return STEP_NEXT;
}

static rte_edge_t ut_input_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	RTE_SET_USED(lc);
	seen_input++;
	pkt_meta(m)->rule_id = 0x1234; // a field later features own; the test marks with it
	return STEP_NEXT;
}

DP_NODE_DEFINE(ut_output_step, ut_output_decide, STEP__COUNT, [STEP_NEXT] = DP_UNCLAIMED_NODE);
DP_NODE_DEFINE(ut_input_step, ut_input_decide, STEP__COUNT, [STEP_NEXT] = DP_UNCLAIMED_NODE);

static const char *rules =
	"{\"revision\": 1,"
	" \"networks\": [{\"id\": \"red\", \"tenant\": \"red\", \"vni\": 100}],"
	" \"ports\": ["
	"  {\"id\": \"ra\", \"network\": \"red\", \"device\": \"net_null40\", \"mac\": \"" MAC_A "\","
	"   \"ips\": [\"10.0.0.10\"]},"
	"  {\"id\": \"rb\", \"network\": \"red\", \"device\": \"net_null41\", \"mac\": \"" MAC_B "\","
	"   \"ips\": [\"10.0.0.11\"]},"
	"  {\"id\": \"rc\", \"network\": \"red\", \"device\": \"net_null42\","
	"   \"mac\": \"02:00:00:00:01:0c\", \"ips\": [\"10.0.0.12\"]}]}";

static void steps_see_what_crosses_their_point(void **state) {
	struct harness *h = *state;
	struct rte_mbuf *pkts[64];
	uint16_t ra = harness_port("ra"), rb = harness_port("rb"), rc = harness_port("rc");
	uint64_t tx0 = h->lc->counters.port[rb].tx_pkts + h->lc->counters.port[rc].tx_pkts;
	uint64_t tx_a0 = h->lc->counters.port[ra].tx_pkts;

	// 32 unicast frames a -> b (l2_lookup's output) and 32 broadcasts (l2_flood's copies).
	for (unsigned int i = 0; i < 64; i++)
		pkts[i] = harness_mbuf_from(PKT_IP(.in_port = ra, .src_mac = MAC_A,
						   .dst_mac = i < 32 ? MAC_B : "ff:ff:ff:ff:ff:ff",
						   .src_ip = "10.0.0.10",
						   .dst_ip = i < 32 ? "10.0.0.11" : "10.0.0.255"));
	harness_graph_run(h, pkts, 64);
	assert_int_equal(seen_input, 64);           // every frame of a network crossed l2_input
	assert_int_equal(seen_output, 32 + 2 * 32); // every frame and copy for a local vNIC
	assert_int_equal(order_ok, seen_output);
	assert_int_equal(order_bad, 0);
	// ... and went on where vnic_output led before: port_tx.
	assert_int_equal(h->lc->counters.port[rb].tx_pkts + h->lc->counters.port[rc].tx_pkts - tx0,
			 32 + 2 * 32);
	assert_int_equal(h->lc->counters.port[ra].tx_pkts, tx_a0);
}

static void unknown_points_and_nodes_are_refused(void **state) {
	RTE_SET_USED(state);
	assert_int_equal(dp_node_attach("no_such_point", "ut_output_step"), -ENOENT);
	assert_int_equal(dp_node_attach_chain("vnic_output", "no_such_node", STEP_NEXT), -EINVAL);
}

static int setup(void **state) {
	static bool attached;
	struct harness *h;

	if (harness_setup(state) < 0)
		return -1;
	h = *state;
	// The features have started (harness_setup): insert the test's steps, then make the graph.
	if (!attached) {
		if (dp_node_attach_chain("l2_input", "ut_input_step", STEP_NEXT) != 0 ||
		    dp_node_attach_chain("vnic_output", "ut_output_step", STEP_NEXT) != 0)
			return -1;
		attached = true;
	}
	if (harness_apply(h, rules) != 0) {
		fprintf(stderr, "setup apply: %s\n", h->err);
		return -1;
	}
	return harness_graph_create();
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(steps_see_what_crosses_their_point, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(unknown_points_and_nodes_are_refused, setup,
						harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
