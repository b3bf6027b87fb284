// SPDX-License-Identifier: BSD-3-Clause
// Rules documents as the controller and the agent handle them (docs/rules-schema.md, "A list of
// operations"): the operations between two documents, and operations applied to a document.
#pragma once

#include <jansson.h>

// The operations that turn document `old` into `new`: removals, replacements, additions, for
// networks, routers, security groups, ports, remote ports and static MACs (the last two keyed by
// network and MAC). A new array.
json_t *doc_ops(const json_t *old, const json_t *new);

// Apply `ops` to `doc` in place, as vnetd does (add: must not exist, appended; replace and
// remove: must exist). 0, or -1 with `err` naming the operation ("ops[2]: no such port").
int doc_apply_ops(json_t *doc, const json_t *ops, char *err, size_t err_size);
