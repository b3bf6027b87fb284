// SPDX-License-Identifier: BSD-3-Clause
// Attach points (see graph.h): named edges of the engine's nodes where features put their nodes,
// so that the engine never names a feature's node. Control thread, before the graphs are made.

#include <errno.h>
#include <string.h>

#include <rte_graph.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/graph.h"
#include "dataplane/log.h"

static STAILQ_HEAD(, dp_attach_point) points = STAILQ_HEAD_INITIALIZER(points);

void dp_attach_point_register(struct dp_attach_point *ap) {
	STAILQ_INSERT_TAIL(&points, ap, next);
}

int dp_node_attach(const char *point, const char *node_name) {
	struct dp_attach_point *ap;
	rte_node_t id;

	STAILQ_FOREACH(ap, &points, next)
		if (strcmp(ap->name, point) == 0)
			break;
	if (ap == NULL) { // the feature that declares it is not built in: the caller decides
		LOG(INFO, "attach point=%s node=%s: no such attach point", point, node_name);
		return -ENOENT;
	}
	if (ap->attached != NULL) {
		LOG(ERR, "attach point=%s node=%s: %s is attached there already", point, node_name,
		    ap->attached);
		return -EBUSY;
	}
	id = rte_node_from_name(ap->node);
	if (id == RTE_NODE_ID_INVALID || rte_node_from_name(node_name) == RTE_NODE_ID_INVALID ||
	    rte_node_edge_update(id, ap->edge, &node_name, 1) != 1) {
		LOG(ERR, "attach point=%s node=%s: rte_node_edge_update failed", point, node_name);
		return -EINVAL;
	}
	ap->attached = node_name;
	LOG(INFO, "attach point=%s node=%s", point, node_name);
	return 0;
}
