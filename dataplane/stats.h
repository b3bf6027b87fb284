// SPDX-License-Identifier: BSD-3-Clause
// Control methods of the engine (status, show.ports, stats, drops, apply, trace) and the hooks by
// which features add their columns to `show ports`.
#pragma once

#include <jansson.h>

#include "dataplane/config.h"

// Control thread. Add a feature's fields for port `p` to its `show ports` object.
typedef void (*dp_port_info_fn)(const struct dp_config *cfg, const struct dp_port *p, json_t *obj);

// Control thread, at start-up.
void dp_port_info_register(dp_port_info_fn fn);

// Control thread. Register the engine's control methods.
void dp_stats_methods_register(void);

// Control thread. Periodic work of features (aging): called about every `period_ms`.
typedef void (*dp_periodic_fn)(void);
void dp_periodic_register(const char *name, dp_periodic_fn fn, unsigned int period_ms);
void dp_periodic_run(void);

// Start-up of features: dataplane/feature.h.
#include "dataplane/feature.h"
