// SPDX-License-Identifier: BSD-3-Clause
// apply_bench: how long one small transaction takes over a large rules document. Applies a
// document of 1,000 networks, 10,000 remote ports and 4 local ports through rules_apply() (the
// unit-test harness: EAL without hugepages, net_null ports, a net_null underlay), then times
// `ops` transactions that change one object, each the median of N runs. Run by hand:
//   build-inc/tests/unit/rules/apply_bench [N [CASE]]   (CASE: a word of the case names)
// Built with the unit tests (tests/unit/rules/meson.build), not a test itself.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "dataplane/rules.h"
#include "overlay/overlay.h"
#include "tests/lib/harness.h"

#define N_NETWORKS 1000
#define N_REMOTES 10000
#define N_LOCAL 4

static double now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static json_t *big_document(void) {
	json_t *nets = json_array(), *ports = json_array(), *remotes = json_array();
	char id[64], mac[32], ip[32], dev[64];

	for (int i = 0; i < N_NETWORKS; i++) {
		snprintf(id, sizeof(id), "net-%d", i);
		json_array_append_new(nets, json_pack("{sssssisi}", "id", id, "tenant", "t", "vni",
						      1000 + i, "mtu", 1450));
	}
	for (int i = 0; i < N_REMOTES; i++) {
		snprintf(id, sizeof(id), "net-%d", i % N_NETWORKS);
		snprintf(mac, sizeof(mac), "02:01:00:00:%02x:%02x", i >> 8, i & 0xff);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", 1 + i % N_NETWORKS / 250,
			 i % N_NETWORKS % 250, 2 + i / N_NETWORKS);
		json_array_append_new(remotes, json_pack("{sssss[s]ss}", "network", id, "mac", mac,
							 "ips", ip, "vtep", "192.0.2.12"));
	}
	for (int i = 0; i < N_LOCAL; i++) {
		snprintf(id, sizeof(id), "vm-%d", i);
		snprintf(mac, sizeof(mac), "02:02:00:00:00:%02x", i);
		snprintf(dev, sizeof(dev), "net_null%d,no-rx=1", 60 + i);
		snprintf(ip, sizeof(ip), "10.200.0.%d", 10 + i);
		json_array_append_new(ports, json_pack("{sssssssss[s]}", "id", id, "network", "net-0",
						       "device", dev, "mac", mac, "ips", ip));
	}
	return json_pack("{sIsososo}", "revision", (json_int_t)1, "networks", nets, "ports", ports,
			 "remote_ports", remotes);
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int apply(json_t *txn, const char *what) {
	char err[1024];
	uint64_t gen;
	int ret = rules_apply(txn, &gen, err, sizeof(err));

	if (ret < 0)
		fprintf(stderr, "apply_bench: %s refused: %s\n", what, err);
	json_decref(txn);
	return ret;
}

static const char *only; // argv[2]: run only the cases whose name contains it

// Median time of `n` runs of `add` (each followed by `undo`, not timed), in milliseconds.
static double median_ms(const char *what, const char *add, const char *undo, int n) {
	double *t, m;

	if (only != NULL && strstr(what, only) == NULL)
		return 0;
	t = calloc((size_t)n, sizeof(*t));

	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		if (apply(json_loads(add, 0, NULL), what) < 0)
			exit(1);
		t[i] = now_ms() - t0;
		if (apply(json_loads(undo, 0, NULL), what) < 0)
			exit(1);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	m = t[n / 2];
	printf("%-44s median %8.3f ms  (min %.3f, max %.3f, n=%d)\n", what, m, t[0], t[n - 1], n);
	free(t);
	return m;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 21;
	char err[256];
	json_t *ul = json_pack("{sssssi}", "device", "net_null59,no-rx=1", "address",
			       "192.0.2.11/24", "mtu", 9000);
	double t0;

	if (n < 1)
		n = 1;
	only = argc > 2 ? argv[2] : NULL;
	if (underlay_config(ul, err, sizeof(err)) < 0 || harness_global_init() < 0) {
		fprintf(stderr, "apply_bench: start: %s\n", err);
		return 1;
	}
	json_decref(ul);
	t0 = now_ms();
	if (apply(big_document(), "document") < 0)
		return 1;
	printf("%-44s          %8.3f ms\n", "whole document (1,000 nets, 10,000 remotes)",
	       now_ms() - t0);
	median_ms("ops: add one port",
		  "{\"ops\": [{\"op\": \"add\", \"kind\": \"port\", \"object\": {\"id\": \"new\","
		  " \"network\": \"net-7\", \"device\": \"net_null70,no-rx=1\","
		  " \"mac\": \"02:03:00:00:00:01\"}}]}",
		  "{\"ops\": [{\"op\": \"remove\", \"kind\": \"port\", \"id\": \"new\"}]}", n);
	median_ms("ops: add one remote port",
		  "{\"ops\": [{\"op\": \"add\", \"kind\": \"remote_port\", \"object\": {"
		  "\"network\": \"net-7\", \"mac\": \"02:03:00:00:00:02\", \"vtep\": \"192.0.2.13\"}}]}",
		  "{\"ops\": [{\"op\": \"remove\", \"kind\": \"remote_port\", \"id\": {"
		  "\"network\": \"net-7\", \"mac\": \"02:03:00:00:00:02\"}}]}",
		  n);
	median_ms("ops: add one router (no network changes)",
		  "{\"ops\": [{\"op\": \"add\", \"kind\": \"router\", \"object\": {\"id\": \"r1\","
		  " \"tenant\": \"t\", \"mac\": \"02:03:00:00:00:03\"}}]}",
		  "{\"ops\": [{\"op\": \"remove\", \"kind\": \"router\", \"id\": \"r1\"}]}", n);
	return 0;
}
