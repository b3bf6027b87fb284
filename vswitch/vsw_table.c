// SPDX-License-Identifier: BSD-3-Clause
// A network's immutable lookup tables (vsw_table.h). Control thread only.

#include <errno.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "vswitch/vsw_table.h"

static uint64_t versions; // the last version given out

struct vsw_table *vsw_table_create(uint32_t max) {
	uint32_t slots = rte_align32pow2(RTE_MAX(2 * max, 8u));
	struct vsw_table *t;

	if (max > (1u << 30))
		return NULL;
	t = rte_zmalloc("vsw_table", sizeof(*t) + (size_t)slots * sizeof(struct vsw_slot),
			RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return NULL;
	t->mask = slots - 1;
	t->max = max;
	t->version = ++versions;
	return t;
}

void vsw_table_free(struct vsw_table *t) {
	rte_free(t);
}

int vsw_table_add(struct vsw_table *t, uint64_t k0, uint64_t k1, uint64_t data) {
	uint32_t i = vsw_table_hash(k0, k1) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		struct vsw_slot *s = &t->slot[i];
		if (s->data == 0)
			break;
		if (s->k0 == k0 && s->k1 == k1)
			return s->data == data ? 0 : -EEXIST;
	}
	if (t->n >= t->max || data == 0)
		return -ENOSPC;
	t->slot[i] = (struct vsw_slot){.k0 = k0, .k1 = k1, .data = data};
	t->n++;
	return 0;
}

const struct vsw_slot *vsw_table_next(const struct vsw_table *t, uint32_t *iter) {
	while (t != NULL && *iter <= t->mask) {
		const struct vsw_slot *s = &t->slot[(*iter)++];
		if (s->data != 0)
			return s;
	}
	return NULL;
}
