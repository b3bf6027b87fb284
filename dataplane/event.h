// SPDX-License-Identifier: BSD-3-Clause
// Control thread side of worker events (the posting side is in lcore.h).
#pragma once

// Control thread. Handle up to about `max` pending events from every worker. Returns how many.
unsigned int dp_events_drain(unsigned int max);
