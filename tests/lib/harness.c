// SPDX-License-Identifier: BSD-3-Clause
// Unit-test harness (see harness.h).

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "dataplane/port.h"
#include "dataplane/rules.h"
#include "dataplane/stats.h"
#include "dataplane/trace.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/drop_ring.h"
#include "tests/lib/harness.h"


// EAL's runtime directory of this test process: removed at exit, with what is in it.
static char runtime_dir[512];

static void harness_runtime_dir_remove(void) {
	char cmd[600];

	if (runtime_dir[0] != '\0' && strncmp(runtime_dir, "/var/run/dpdk/vnet_ut_", 22) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", runtime_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", runtime_dir);
	}
}

int harness_global_init(void) {
	static bool done;
	char prefix[64];

	if (done)
		return 0;
	snprintf(prefix, sizeof(prefix), "--file-prefix=vnet_ut_%d", getpid());
	// VNET_HARNESS_MEM_MB: EAL memory (default 1024); VNET_HARNESS_CONFIG: a vnetd configuration
	// file whose features' sections ("conntrack", ...) apply, as vnetd -c would (benchmarks).
	char mem[16];
	snprintf(mem, sizeof(mem), "%s",
		 getenv("VNET_HARNESS_MEM_MB") != NULL ? getenv("VNET_HARNESS_MEM_MB") : "1024");
	// VNET_HARNESS_HUGE=1: hugepages (prefaulted: what vnetd runs on), not --no-huge.
	bool huge = getenv("VNET_HARNESS_HUGE") != NULL;
	char *argv[] = {"test", huge ? "--in-memory" : "--no-huge", "-m", mem, "--no-shconf",
			"--no-pci", "-l", "0", "--log-level", "*:error", prefix, NULL};
	if (getenv("VNET_HARNESS_CONFIG") != NULL) {
		struct vnetd_config vc = {0};
		char err[512];
		if (vnetd_config_load(getenv("VNET_HARNESS_CONFIG"), &vc, err, sizeof(err)) < 0) {
			fprintf(stderr, "harness: %s\n", err);
			return -1;
		}
		vnetd_config_fini(&vc);
	}
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		return -1;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(harness_runtime_dir_remove);
	if (dp_ports_init(&(struct dp_port_params){.n_workers = 1, .n_mbufs = 16383, .rx_desc = 64,
						   .tx_desc = 64}) < 0)
		return -1;
	if (dp_features_init() < 0)
		return -1;
	done = true;
	return 0;
}

int harness_setup(void **state) {
	struct harness *h = calloc(1, sizeof(*h));
	char name[32];
	static int n;

	if (h == NULL || harness_global_init() < 0)
		return -1;
	h->lc = rte_zmalloc("lc", sizeof(*h->lc), 64);
	snprintf(name, sizeof(name), "ut_ev%d", n++);
	h->lc->events = rte_ring_create_elem(name, sizeof(struct dp_event), 1024, 0,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ut_tr%d", n++);
	h->lc->trace = rte_ring_create_elem(name, sizeof(struct trace_record), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	// The recent drops (dataplane/drop_ring.h), as a worker has them: every drop of the graph
	// tests and fuzz_graph goes through drop_ring_maybe under ASan.
	h->lc->drop_ring = rte_zmalloc("ut_drop_ring", sizeof(*h->lc->drop_ring), 64);
	if (h->lc->events == NULL || h->lc->trace == NULL || h->lc->drop_ring == NULL)
		return -1;
	RTE_PER_LCORE(dp_lcore_self) = h->lc;
	*state = h;
	return 0;
}

int harness_teardown(void **state) {
	struct harness *h = *state;
	uint64_t gen;
	char err[256];

	// An empty document detaches every port, so the next test starts from nothing.
	json_t *empty = json_pack("{sIsb}", "revision", (json_int_t)0, "force", 1);

	rules_apply(empty, &gen, err, sizeof(err));
	json_decref(empty);
	rte_ring_free(h->lc->events);
	rte_ring_free(h->lc->trace);
	rte_free(h->lc->drop_ring);
	rte_free(h->lc);
	free(h);
	return 0;
}

void harness_pin(struct harness *h) {
	h->lc->cfg = dp_config_current();
}

int harness_apply(struct harness *h, const char *text) {
	json_error_t jerr;
	json_t *txn = json_loads(text, 0, &jerr);
	uint64_t gen = 0;
	int ret;

	if (txn == NULL) {
		snprintf(h->err, sizeof(h->err), "test JSON: %d:%d: %s", jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	h->err[0] = '\0';
	ret = rules_apply(txn, &gen, h->err, sizeof(h->err));
	json_decref(txn);
	harness_pin(h);
	return ret;
}

uint16_t harness_port(const char *name) {
	const struct dp_port *p = dp_config_port_lookup(dp_config_current(), name);

	assert_non_null(p);
	return p->port_id;
}

unsigned int harness_events_pending(struct harness *h) {
	return rte_ring_count(h->lc->events);
}

bool harness_event_pop(struct harness *h, struct dp_event *ev) {
	return rte_ring_sc_dequeue_elem(h->lc->events, ev, sizeof(*ev)) == 0;
}
