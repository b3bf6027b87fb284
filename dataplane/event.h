// SPDX-License-Identifier: BSD-3-Clause
// Control thread side of worker events (the posting side is in lcore.h).
#pragma once

struct dp_event;

// Control thread. Hand one event to the handler of its type (unknown types are ignored).
void dp_event_dispatch(const struct dp_event *ev);

// Control thread. Handle up to about `max` pending events from every worker. Returns how many.
unsigned int dp_events_drain(unsigned int max);
