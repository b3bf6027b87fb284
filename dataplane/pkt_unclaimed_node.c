// SPDX-License-Identifier: BSD-3-Clause
// pkt_unclaimed: where an attach point leads while no feature is attached there (graph.h): what
// arrives is dropped as `unclaimed`, never silently. Leads to pkt_drop.

#include "dataplane/graph.h"

enum pkt_unclaimed_edge {
	PKT_UNCLAIMED_DROP = DP_EDGE_DROP,
	PKT_UNCLAIMED__COUNT
};

static rte_edge_t pkt_unclaimed_decide(struct dp_lcore *lc, struct rte_mbuf *m) {
	RTE_SET_USED(lc);
	return dp_drop(m, DROP_UNCLAIMED);
}

DP_NODE_DEFINE(pkt_unclaimed, pkt_unclaimed_decide, PKT_UNCLAIMED__COUNT);
