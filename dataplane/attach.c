// SPDX-License-Identifier: BSD-3-Clause
// Attach points (see graph.h): named edges of the engine's nodes where features put their nodes,
// so that the engine never names a feature's node. Control thread, before the graphs are made.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_graph.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/graph.h"
#include "dataplane/log.h"

static STAILQ_HEAD(, dp_attach_point) points = STAILQ_HEAD_INITIALIZER(points);

void dp_attach_point_register(struct dp_attach_point *ap) {
	STAILQ_INSERT_TAIL(&points, ap, next);
}

// The name of the node that edge `edge` of node `id` leads to now, or NULL.
static const char *edge_target(rte_node_t id, rte_edge_t edge) {
	rte_edge_t n = rte_node_edge_count(id);
	const char *target = NULL;
	char **names;

	if (n == RTE_EDGE_ID_INVALID || edge >= n || (names = calloc(n, sizeof(*names))) == NULL)
		return NULL;
	if (rte_node_edge_get(id, names) > 0)
		target = names[edge];
	free(names);
	return target;
}

static int attach(const char *point, const char *node_name, rte_edge_t cont) {
	const char *prev = NULL;
	struct dp_attach_point *ap;
	rte_node_t node = rte_node_from_name(node_name);
	unsigned int n = 0;

	if (node == RTE_NODE_ID_INVALID) {
		LOG(ERR, "attach point=%s node=%s: no such node", point, node_name);
		return -EINVAL;
	}
	// Every edge of the point must lead to the same node now: that is where `cont` goes.
	STAILQ_FOREACH(ap, &points, next) {
		const char *t;

		if (strcmp(ap->name, point) != 0)
			continue;
		t = edge_target(rte_node_from_name(ap->node), ap->edge);
		if (t == NULL || (prev != NULL && strcmp(t, prev) != 0)) {
			LOG(ERR, "attach point=%s node=%s: its edges lead to different nodes (%s, %s)",
			    point, node_name, prev ? prev : "?", t ? t : "?");
			return -EINVAL;
		}
		prev = t;
		n++;
	}
	if (n == 0) { // the feature that declares it is not built in: the caller decides
		LOG(INFO, "attach point=%s node=%s: no such attach point", point, node_name);
		return -ENOENT;
	}
	if (cont != RTE_EDGE_ID_INVALID && rte_node_edge_update(node, cont, &prev, 1) != 1) {
		LOG(ERR, "attach point=%s node=%s: cannot lead its edge %u to %s", point, node_name,
		    cont, prev);
		return -EINVAL;
	}
	STAILQ_FOREACH(ap, &points, next) {
		if (strcmp(ap->name, point) != 0)
			continue;
		if (rte_node_edge_update(rte_node_from_name(ap->node), ap->edge, &node_name, 1) != 1) {
			LOG(ERR, "attach point=%s node=%s: rte_node_edge_update %s failed", point,
			    node_name, ap->node);
			return -EINVAL;
		}
		ap->attached = node_name;
	}
	LOG(INFO, "attach point=%s node=%s%s%s", point, node_name, cont != RTE_EDGE_ID_INVALID ?
	    " then " : "", cont != RTE_EDGE_ID_INVALID ? prev : "");
	return 0;
}

int dp_node_attach(const char *point, const char *node_name) {
	return attach(point, node_name, RTE_EDGE_ID_INVALID);
}

int dp_node_attach_chain(const char *point, const char *node_name, rte_edge_t cont) {
	return attach(point, node_name, cont);
}
