// SPDX-License-Identifier: BSD-3-Clause
// Why packets are dropped: the mechanism. Each folder lists its own reasons in
// <folder>/<folder>_drops.h (an X-macro); the build composes them, the engine's first, into
// DP_DROP_REASONS in build/drop_reasons.h (made by meson from the list of folders in the
// top-level meson.build), from which the enum, the names in counters and JSON, the descriptions
// and docs/drop-reasons.md derive. The engine never names a feature's reason. To add a reason:
// add one X() line to your folder's list, return dp_drop(m, DROP_X) from the node that decides
// it, run scripts/gen_drop_doc.py, and add a test that expects it.
#pragma once

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "drop_reasons.h" // generated: DP_DROP_REASONS(X), the engine's list, then each feature's

enum dp_drop_reason {
#define X(name, desc) DROP_##name,
	DP_DROP_REASONS(X)
#undef X
	DROP__COUNT
};

extern const char *const dp_drop_names[DROP__COUNT]; // lowercase: "none", "port_down", ...
extern const char *const dp_drop_descs[DROP__COUNT];

// Any thread. The reason whose name is `name`, or -1.
int dp_drop_reason_parse(const char *name);

#define DP_EDGE_DROP 0 // edge 0 of every node leads to the "pkt_drop" node
#define DP_DROP_NODE "pkt_drop"
#define DP_CONSUME_NODE "pkt_consume" // packets for vnetd itself, handled: not drops
