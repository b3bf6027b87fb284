// SPDX-License-Identifier: BSD-3-Clause
// The state of one transaction while it is validated and built (private to dataplane/rules*.c).
#pragma once

#include <jansson.h>

#include "dataplane/config.h"

struct rules_port_want {
	char name[DP_NAME_SIZE];
	char device[DP_DEVARGS_SIZE];
	char path[96];
	struct rte_ether_addr mac;  // the port's MAC, for backends that set it on the device
	uint16_t mtu;               // its network's MTU (0: the device's own)
};

// The objects a section shared (rules_object_add), in the order it added them.
struct rules_objects {
	uint32_t n, cap;
	struct rules_object *v;
};

// One section's data, shared by every snapshot that uses it: a transaction that leaves the
// section's part of the document as it was moves the same state into the new snapshot (refs + 1)
// instead of parsing and building again. Freed (section->free) when the last snapshot lets go.
struct rules_section_state {
	unsigned int refs;
	void *data;
	uint64_t generation; // 1 for its first data, +1 each time the section rebuilds
	// What the section's parse declared, replayed when it is reused so that the cross-reference
	// check and the ports wanted are as if it had parsed: {"defines": [[kind, id, path], ...],
	// "refs": [[kind, id, path], ...], "ports": [[name, device, path], ...]}.
	json_t *record;
	struct rules_objects objects; // what its parse shared with the other sections
};

struct rules_ctx {
	char err[1024];
	int n_errors;
	json_t *defined;  // "kind/id" -> path of the definition
	json_t *refs;     // [[kind, id, path], ...]
	uint16_t n_ports;
	struct rules_port_want ports[DP_PORTS_MAX];
	void *data[DP_SECTIONS_MAX];           // fresh parses' data
	json_t *record[DP_SECTIONS_MAX];       // what each fresh parse declared (see above)
	struct rules_section_state *reused[DP_SECTIONS_MAX]; // borrowed from the current snapshot
	int section;                           // the section parsing now, -1 if none
	struct rules_objects objects[DP_SECTIONS_MAX]; // fresh parses' shared objects
	json_t *obj_index;                     // kind -> id -> section << 24 | index; NULL: stale
};

// The shared objects of section `i` in this transaction: a fresh parse's or a reused state's.
const struct rules_objects *rules_ctx_objects(const struct rules_ctx *ctx, int i);
// Control thread, after a publication: forget the ids of tenants that no object of `cfg` names.
void rules_tenants_prune(const struct dp_config *cfg, int n_sections);

// Control thread. Free every section's data in `cfg` (called by dp_config_free).
void rules_sections_free(struct dp_config *cfg);
