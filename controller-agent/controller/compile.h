// SPDX-License-Identifier: BSD-3-Clause
// The compiler: one host's rules document (docs/rules-schema.md) from the store (compile.c).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "controller/api.h"

// The rules document of `host` at the store's current revision (*revision; also the document's
// "revision"). A new object.
json_t *compile_host(struct ctrl *c, const char *host, uint64_t *revision);

// A host's document at the request's view, against the last one this controller made for it.
struct host_view {
	json_t *doc;          // without "revision"
	uint64_t rev;         // the revision it was compiled at
	bool changed;         // it differs from the last one made for the host (or there was none)
	bool older_view;      // another request compiled at a newer revision already: ask again
	uint64_t changed_at;  // the revision since which the host's document has been this one
	json_t *prev;         // changed: the last one made before (NULL if none)
	uint64_t known_from, known_to; // the revisions over which the previous one (changed) or
				       // this one (not changed) was known to be the host's
};
void compile_host_view(struct ctrl *c, const char *host, struct host_view *v);
void host_view_clear(struct host_view *v);

#include "common/docops.h"
