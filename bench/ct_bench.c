// SPDX-License-Identifier: BSD-3-Clause
// ct_bench: conntrack's table alone on one core, the part of issue 10's `conntrack-new` that the
// table decides: how many new connections a second one worker makes (key, lookup that misses in
// its own table and in a second worker's, create), then how many lookups a second find them
// again in bursts of 64 (own table first), and how long expiring them all takes. No packets, no
// classification: those are the graph's (bench/run.sh conntrack-1k). Run by hand, pinned:
//   taskset -c 1 build/tests/unit/firewall/ct_bench [N]      (N connections, default 1,000,000)
// Built with the unit tests (tests/unit/firewall/meson.build), not a test itself.

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_tcp.h>

#include "firewall/conntrack.h"

static struct ct_key *keys;

static void key_of(uint32_t i, struct ct_key *k, bool *src_is_a) {
	uint8_t s[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i}, d[4] = {10, 2, (uint8_t)(i >> 16), 1};

	ct_key_make((uint16_t)(1 + i % 64), 4, IPPROTO_TCP, s, d, (uint16_t)(1024 + (i >> 24)), 80,
		    k, src_is_a);
}

int main(int argc, char **argv) {
	char *eal[] = {argv[0], "--no-huge", "-m", "2048", "--no-shconf", "--no-pci", "-l", "0",
		       "--log-level", "lib.eal:error", "--no-telemetry"};
	uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000000;
	struct ct_config cfg;
	struct ct_pkt syn = {.tcp_flags = RTE_TCP_SYN_FLAG, .wscale = 0xff, .win = 1000};
	uint64_t hz, t0, t1, made = 0, found = 0, removed = 0;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0 || n < 64)
		return 1;
	hz = rte_get_tsc_hz();
	ct_config_defaults(&cfg);
	cfg.entries = n;
	cfg.tenant_max = n;
	if (ct_init(&cfg, 2, NULL) < 0) {
		fprintf(stderr, "ct_init failed\n");
		return 1;
	}
	keys = calloc(n, sizeof(*keys));
	for (int rep = 0; rep < 3; rep++) {
		// New connections: each a lookup that misses (own table, then the other worker's),
		// then a create, as sg_ingress does for a SYN.
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i < n; i++) {
			const struct ct_key *kp[1] = {&keys[i]};
			struct ct_entry *e;
			enum ct_create_err err;
			bool a;

			key_of(i, &keys[i], &a);
			ct_lookup_bulk(0, kp, 1, &e);
			if (e == NULL && ct_create(0, &keys[i], a, &syn, false, t0, &err) != NULL)
				made++;
		}
		t1 = rte_rdtsc();
		printf("rep %d: %u new connections in %.3f s: %.2f M/s, %.0f cycles each\n", rep, n,
		       (double)(t1 - t0) / (double)hz, (double)n / ((double)(t1 - t0) / (double)hz) / 1e6,
		       (double)(t1 - t0) / n);
		// Lookups of known connections, in bursts of 64.
		t0 = rte_rdtsc();
		for (uint32_t i = 0; i + 64 <= n; i += 64) {
			const struct ct_key *kp[64];
			struct ct_entry *e[64];
			for (int j = 0; j < 64; j++)
				kp[j] = &keys[i + (uint32_t)j];
			ct_lookup_bulk(0, kp, 64, e);
			for (int j = 0; j < 64; j++)
				found += e[j] != NULL;
		}
		t1 = rte_rdtsc();
		printf("rep %d: %u lookups (bursts of 64): %.1f M/s, %.0f cycles each\n", rep, n,
		       (double)n / ((double)(t1 - t0) / (double)hz) / 1e6, (double)(t1 - t0) / n);
		// Expire them all.
		t0 = rte_rdtsc();
		for (uint32_t r; (r = ct_expire(0, t0 + 3600 * hz, 65536)) != 0 || ct_count() != 0;)
			removed += r;
		t1 = rte_rdtsc();
		printf("rep %d: expired in %.3f s (%.0f cycles each)\n", rep,
		       (double)(t1 - t0) / (double)hz, (double)(t1 - t0) / n);
	}
	printf("made %lu, found %lu, removed %lu (of %u x 3)\n", (unsigned long)made,
	       (unsigned long)found, (unsigned long)removed, n);
	return made == 3ull * n && found == 3ull * (n / 64 * 64) && removed == made ? 0 : 1;
}
