// SPDX-License-Identifier: BSD-3-Clause
// Unit-test harness for nodes and tables: a small EAL (no hugepages, in memory), the packet pool,
// every feature's start-up, transactions applied through the same rules_apply() that vnetd uses
// (ports are net_null devices), and a fake worker lcore whose rings the test can inspect.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/config.h"
#include "dataplane/lcore.h"

struct harness {
	struct dp_lcore *lc;
	char err[1024];
};

// Start EAL once per process and the engine. Returns 0 or -1.
int harness_global_init(void);

// cmocka setup/teardown: a fresh fake lcore; teardown unpublishes the configuration.
int harness_setup(void **state);
int harness_teardown(void **state);

// Apply a JSON transaction (text). Returns rules_apply's result; the error text is in h->err.
int harness_apply(struct harness *h, const char *json);

// The DPDK port id of port `name` in the current snapshot (fails the test if absent).
uint16_t harness_port(const char *name);

// Refresh h->lc->cfg from the current snapshot (after an apply).
void harness_pin(struct harness *h);

// How many events the fake lcore has posted; pop the oldest into *ev (returns false if none).
unsigned int harness_events_pending(struct harness *h);
bool harness_event_pop(struct harness *h, struct dp_event *ev);
