// SPDX-License-Identifier: BSD-3-Clause
// Worker -> control thread events: the registry of handlers and the drain loop. The control
// thread owns every table an event changes (for example the MAC table), so handlers need no lock.

#include <rte_ring.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/event.h"
#include "dataplane/lcore.h"
#include "dataplane/log.h"
#include "dataplane/worker.h"

#define DP_EVENT_TYPES_MAX 16

static dp_event_handler_fn handlers[DP_EVENT_TYPES_MAX];
static const char *names[DP_EVENT_TYPES_MAX];
static uint16_t n_types;

uint16_t dp_event_handler_register(const char *name, dp_event_handler_fn fn) {
	if (n_types >= DP_EVENT_TYPES_MAX)
		rte_panic("too many event types\n");
	handlers[n_types] = fn;
	names[n_types] = name;
	return n_types++;
}

void dp_event_dispatch(const struct dp_event *ev) {
	if (ev->type < n_types)
		handlers[ev->type](ev);
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
