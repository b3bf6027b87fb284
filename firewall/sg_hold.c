// SPDX-License-Identifier: BSD-3-Clause
// The workers' tables of held segments (sg_hold.h); sg_node.c uses them.

#include <errno.h>

#include <rte_malloc.h>

#include "firewall/sg_hold.h"

struct sg_hold *sg_holds[CT_TABLES_MAX];

int sg_hold_init(unsigned int n_workers) {
	for (unsigned int w = 0; w < n_workers && w < CT_TABLES_MAX; w++) {
		sg_holds[w] = rte_zmalloc("sg_hold", sizeof(struct sg_hold), RTE_CACHE_LINE_SIZE);
		if (sg_holds[w] == NULL) {
			sg_hold_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

void sg_hold_fini(void) {
	for (unsigned int w = 0; w < CT_TABLES_MAX; w++) {
		struct sg_hold *h = sg_holds[w];
		if (h == NULL)
			continue;
		for (unsigned int i = 0; i < SG_HOLD_SLOTS; i++)
			if (h->slot[i].e != NULL)
				rte_pktmbuf_free_bulk(h->slot[i].m, h->slot[i].n);
		rte_free(h);
		sg_holds[w] = NULL;
	}
}

void sg_hold_stats(uint64_t *connections, uint64_t *segments, uint32_t *holding) {
	*connections = *segments = 0;
	*holding = 0;
	for (unsigned int w = 0; w < CT_TABLES_MAX; w++) {
		const struct sg_hold *h = sg_holds[w];
		if (h == NULL)
			continue;
		*connections += __atomic_load_n(&h->held_connections, __ATOMIC_RELAXED);
		*segments += __atomic_load_n(&h->held_segments, __ATOMIC_RELAXED);
		*holding += __atomic_load_n(&h->used[0], __ATOMIC_RELAXED) +
			    __atomic_load_n(&h->used[1], __ATOMIC_RELAXED);
	}
}

uint32_t sg_hold_mbufs(void) {
	uint32_t n = 0;

	for (unsigned int w = 0; w < CT_TABLES_MAX; w++)
		for (unsigned int i = 0; sg_holds[w] != NULL && i < SG_HOLD_SLOTS; i++)
			if (sg_holds[w]->slot[i].e != NULL)
				n += sg_holds[w]->slot[i].n;
	return n;
}
