// SPDX-License-Identifier: BSD-3-Clause
// Publication of configuration snapshots: one atomic pointer, an rte_rcu_qsbr grace period before
// the previous snapshot is freed. Owner: the control thread.

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/config.h"
#include "dataplane/log.h"
#include "dataplane/rules_ctx.h"
#include "dataplane/worker.h"

static const struct dp_config *_Atomic current;

const struct dp_config *dp_config_current(void) {
	return atomic_load_explicit(&current, memory_order_acquire);
}

const struct dp_port *dp_config_port_lookup(const struct dp_config *cfg, const char *name) {
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}

struct dp_config *dp_config_publish(struct dp_config *next) {
	const struct dp_config *prev = dp_config_current();
	struct rte_rcu_qsbr *rcu = dp_rcu();

	next->generation = prev != NULL ? prev->generation + 1 : 1;
	atomic_store_explicit(&current, next, memory_order_release);
	if (rcu != NULL)
		rte_rcu_qsbr_synchronize(rcu, RTE_QSBR_THRID_INVALID);
	LOG(NOTICE, "config generation=%" PRIu64 " revision=%" PRIu64 " active", next->generation,
	    next->revision);
	return (struct dp_config *)prev;
}

void dp_config_free(struct dp_config *cfg) {
	if (cfg == NULL)
		return;
	if (cfg->holds > 0) { // the last dp_config_release frees it
		cfg->retired = true;
		return;
	}
	rules_sections_free(cfg);
	json_decref(cfg->doc);
	free(cfg);
}

const struct dp_config *dp_config_hold(const struct dp_config *cfg) {
	if (cfg != NULL)
		((struct dp_config *)cfg)->holds++;
	return cfg;
}

void dp_config_release(const struct dp_config *cfg) {
	struct dp_config *c = (struct dp_config *)cfg;

	if (c == NULL || c->holds == 0)
		return;
	if (--c->holds == 0 && c->retired)
		dp_config_free(c);
}

struct dp_config *dp_config_publish_none(void) {
	const struct dp_config *prev = dp_config_current();

	atomic_store_explicit(&current, NULL, memory_order_release);
	return (struct dp_config *)prev;
}
