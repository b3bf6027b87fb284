// SPDX-License-Identifier: BSD-3-Clause
// Worker -> control thread events: the registry of handlers and the drain loop. The control
// thread owns every table an event changes (for example the MAC table), so handlers need no lock.

#include <stdlib.h>

#include <rte_debug.h>
#include <rte_ring.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/event.h"
#include "dataplane/lcore.h"
#include "dataplane/log.h"
#include "dataplane/worker.h"

// As many types as register (at start-up): the type is the index.
static struct {
	const char *name;
	dp_event_handler_fn fn;
} *handlers;
static uint16_t n_types;

uint16_t dp_event_handler_register(const char *name, dp_event_handler_fn fn) {
	typeof(handlers) h = realloc(handlers, (size_t)(n_types + 1) * sizeof(*h));

	if (h == NULL || n_types == UINT16_MAX)
		rte_panic("dp_event_handler_register %s: out of memory\n", name);
	handlers = h;
	handlers[n_types].name = name;
	handlers[n_types].fn = fn;
	return n_types++;
}

void dp_event_dispatch(const struct dp_event *ev) {
	if (ev->type < n_types)
		handlers[ev->type].fn(ev);
}

unsigned int dp_events_drain(unsigned int max) {
	struct dp_event ev[64];
	unsigned int done = 0;

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		struct dp_lcore *lc = dp_worker_get(w);
		unsigned int n;

		do {
			n = rte_ring_sc_dequeue_burst_elem(lc->events, ev, sizeof(ev[0]), 64, NULL);
			for (unsigned int i = 0; i < n; i++)
				dp_event_dispatch(&ev[i]);
			done += n;
		} while (n > 0 && done < max);
	}
	return done;
}
