// SPDX-License-Identifier: BSD-3-Clause
// The feature registry. A feature (vswitch, overlay, ...) declares itself once with
// DP_FEATURE_REGISTER: its name, the features whose start-up must come before its own (order is
// declared, not a side effect of link or constructor order), and its init and fini. vnetd runs the
// inits in that order after EAL, the packet pool and the workers exist and before the graphs are
// made; init registers the rest (attach points, control methods, events, periodic work, show ports
// fields, telemetry: docs/adding-a-feature.md); fini runs at stop, in the reverse order.
#pragma once

#include <stdbool.h>
#include <sys/queue.h>

#include <rte_common.h>

struct dp_feature {
	const char *name;          // "vswitch"
	const char *const *after;  // NULL-terminated names of features to start first, or NULL; a
				   // name not built in is ignored
	int (*init)(void);         // control thread; 0 or a negative errno (vnetd does not start)
	void (*fini)(void);        // control thread, at stop; optional
	// Registry's own.
	bool started;
	STAILQ_ENTRY(dp_feature) next;
};

// Any time before dp_features_init (a constructor). Use DP_FEATURE_REGISTER.
void dp_feature_register(struct dp_feature *f);

#define DP_FEATURE_REGISTER(feat)                                                                  \
	RTE_INIT(dp_feature_register_##feat) {                                                     \
		dp_feature_register(&(feat));                                                      \
	}

// Control thread. Start every feature, each after those it names in `after`. Returns 0, the
// first failure (the features started are stopped again), or -ELOOP for a cycle of `after`.
int dp_features_init(void);

// Control thread. Stop the started features, last started first.
void dp_features_fini(void);
