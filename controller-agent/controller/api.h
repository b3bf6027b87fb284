// SPDX-License-Identifier: BSD-3-Clause
// The controller's HTTP API (docs/controller.md): the Identity v3 token service and the
// OpenStack Networking v2.0 resources, over libmicrohttpd.
#pragma once

#include <stdint.h>

#include <jansson.h>

#include "controller/store.h"

struct ctrl {
	struct store *st;
	char url[160];        // how clients reach us: the catalog's endpoints ("http://127.0.0.1:9696")
	uint32_t token_ttl_s; // a token's life
	char vhost_dir[128];  // where VM ports' vhost-user sockets are (the compiled devices)
	uint32_t poll_max_s;  // how long a host's GET of its rules may wait for a change
	// Counters for /metrics (atomics: a thread per connection).
	uint64_t requests[6];  // by status class: [2] 2xx, [3] 3xx, [4] 4xx, [5] 5xx
	uint64_t latency_us;   // summed over requests
	uint64_t conflicts;    // write requests run again: another controller wrote first
};

// Prometheus text (`GET /metrics`, no token): requests by status class, their summed latency,
// hosts registered and alive, the store's revision and each host's revisions behind. A new
// string (free()).
char *api_metrics(struct ctrl *c);

// A response: status and JSON body (NULL: none), and the token header for /v3/auth/tokens.
struct api_reply {
	unsigned int status;
	json_t *body;
	char subject_token[80];
	char who[160]; // for the log: "user@project" or "host:NAME", once known
};

// Handle one request (method, path without the query, query arguments as a JSON object of
// strings and arrays of strings, the X-Auth-Token header or NULL, the body or NULL; `peer`: the
// host named by the connection's verified client certificate, or NULL). Pure: no HTTP here, so
// that tests call it directly.
//
// Who may do what: a token's user what its role allows in its project (admin: everything); a
// host's certificate (an agent) only the agents' API of that host: register it, read its rules,
// report its state. A certificate alone reaches no tenant resource.
void api_handle(struct ctrl *c, const char *method, const char *path, const json_t *query,
		const char *token, const char *body, const char *peer, struct api_reply *r);

// A password's hash for the store (yescrypt). NULL on failure; free() it.
char *api_password_hash(const char *password);
