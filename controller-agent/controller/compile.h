// SPDX-License-Identifier: BSD-3-Clause
// The compiler: one host's rules document (docs/rules-schema.md) from the store (compile.c).
#pragma once

#include <stdint.h>

#include <jansson.h>

#include "controller/api.h"

// The rules document of `host` at the store's current revision (*revision; also the document's
// "revision"). A new object.
json_t *compile_host(struct ctrl *c, const char *host, uint64_t *revision);
