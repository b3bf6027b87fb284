// SPDX-License-Identifier: BSD-3-Clause
// vnetd's counters under rte_telemetry ("/vnet/..." commands), so that dpdk-telemetry.py and
// the usual exporters read them. Callbacks run on EAL's telemetry thread: they read the current
// snapshot as an RCU reader of their own and the workers' counters with relaxed loads, and they
// answer only between dp_telemetry_start() and dp_telemetry_stop() (the shutdown order: stop
// telemetry before the workers and the snapshot are freed).
#pragma once

#include <rte_telemetry.h>

#include "dataplane/config.h"

// Telemetry thread. Fill `d` for `params` (the text after the comma, or NULL) from `cfg`, the
// snapshot current when the command came. Return 0 or a negative errno.
typedef int (*dp_telemetry_fn)(const struct dp_config *cfg, const char *params,
			       struct rte_tel_data *d);

// Control thread, at start-up (a feature's init). Register "/vnet/<name>". Returns 0 or -errno.
int dp_telemetry_register(const char *name, dp_telemetry_fn fn, const char *help);

// Control thread. Begin answering (after the workers and the first snapshot exist), and stop
// (before they are freed; waits for a callback in progress).
void dp_telemetry_start(void);
void dp_telemetry_stop(void);
