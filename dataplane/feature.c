// SPDX-License-Identifier: BSD-3-Clause
// The feature registry (see feature.h). Control thread, at start-up and stop.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/feature.h"
#include "dataplane/log.h"

static STAILQ_HEAD(, dp_feature) features = STAILQ_HEAD_INITIALIZER(features);
// Started features in start order (a list as long as what registered: no limit).
static struct dp_feature **started;
static unsigned int n_started;

void dp_feature_register(struct dp_feature *f) {
	STAILQ_INSERT_TAIL(&features, f, next);
}

static struct dp_feature *feature_find(const char *name) {
	struct dp_feature *f;

	STAILQ_FOREACH(f, &features, next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

// Start `f` after what it names; `depth` bounds the chain (a cycle would be longer than the list).
static int feature_start(struct dp_feature *f, unsigned int depth, unsigned int n_features) {
	int ret;

	if (f->started)
		return 0;
	if (depth > n_features) {
		LOG(ERR, "feature %s: its \"after\" list makes a cycle", f->name);
		return -ELOOP;
	}
	for (const char *const *a = f->after; a != NULL && *a != NULL; a++) {
		struct dp_feature *dep = feature_find(*a);
		if (dep != NULL && (ret = feature_start(dep, depth + 1, n_features)) < 0)
			return ret;
	}
	if (f->init != NULL && (ret = f->init()) < 0) {
		LOG(ERR, "feature %s: init failed: %s", f->name, strerror(-ret));
		return ret;
	}
	f->started = true;
	started[n_started++] = f;
	LOG(INFO, "feature %s started", f->name);
	return 0;
}

int dp_features_init(void) {
	unsigned int n = 0;
	struct dp_feature *f;
	int ret;

	STAILQ_FOREACH(f, &features, next)
		n++;
	started = calloc(n ? n : 1, sizeof(*started));
	if (started == NULL)
		return -ENOMEM;
	STAILQ_FOREACH(f, &features, next) {
		ret = feature_start(f, 0, n);
		if (ret < 0) {
			dp_features_fini();
			return ret;
		}
	}
	return 0;
}

void dp_features_fini(void) {
	while (n_started > 0) {
		struct dp_feature *f = started[--n_started];
		if (f->fini != NULL)
			f->fini();
		f->started = false;
	}
	free(started);
	started = NULL;
}
