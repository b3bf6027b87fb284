// SPDX-License-Identifier: BSD-3-Clause
// The state of one transaction while it is validated and built (private to dataplane/rules*.c).
#pragma once

#include <jansson.h>

#include "dataplane/config.h"

struct rules_port_want {
	char name[DP_NAME_SIZE];
	char device[DP_DEVARGS_SIZE];
	char path[96];
};

struct rules_ctx {
	char err[1024];
	int n_errors;
	json_t *defined;  // "kind/id" -> path of the definition
	json_t *refs;     // [[kind, id, path], ...]
	uint16_t n_ports;
	struct rules_port_want ports[RTE_MAX_ETHPORTS];
	void *data[DP_SECTIONS_MAX];
};

// Control thread. Free every section's data in `cfg` (called by dp_config_free).
void rules_sections_free(struct dp_config *cfg);
