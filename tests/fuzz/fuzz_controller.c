// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: vnet-controller's API (api_handle: tokens, networks, subnets, ports) on one SQLite
// store kept between inputs (in a file on tmpfs, fresh every 64), as a tenant with a valid token. An input is
// requests separated by 0x1e (record separator): "METHOD PATH\n" then the body (none if empty); the path's query
// ("?name=x&fields=id") becomes the query arguments. Every request must be answered with a status
// of the API's set and a body that is JSON (or none for 204); the store must stay readable.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctrl c;
static char token[80], db[64];

static void cleanup(void) {
	char f[80];

	store_close(c.st);
	c.st = NULL;
	unlink(db);
	snprintf(f, sizeof(f), "%s-wal", db);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", db);
	unlink(f);
}

// A fresh store (every 64 inputs: what the lists scan stays small). The password is hashed
// once (yescrypt is slow on purpose).
static void setup(void) {
	static char *h;
	char err[256];
	struct api_reply r;
	json_t *q = json_object();

	snprintf(db, sizeof(db), "/dev/shm/vnet_fuzz_ctl_%d.db", getpid()); // tmpfs: fsync is cheap
	cleanup();
	c.st = store_open(db, err, sizeof(err));
	if (h == NULL)
		h = api_password_hash("pw");
	if (c.st == NULL || h == NULL || store_user_put(c.st, "u", h, "p", "member") < 0)
		abort();
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:9696");
	c.token_ttl_s = 86400;
	api_handle(&c, "POST", "/v3/auth/tokens", q, NULL,
		   "{\"auth\": {\"identity\": {\"password\": {\"user\": {\"name\": \"u\", \"password\": "
		   "\"pw\"}}}}}", NULL, &r);
	if (r.status != 201)
		abort();
	snprintf(token, sizeof(token), "%s", r.subject_token);
	json_decref(r.body);
	json_decref(q);
}

static json_t *query_of(char *qs) {
	json_t *q = json_object();

	for (char *tok = strtok(qs, "&"); tok != NULL; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		json_t *l;
		if (eq == NULL)
			continue;
		*eq = '\0';
		l = json_object_get(q, tok);
		if (l == NULL) {
			l = json_array();
			json_object_set_new(q, tok, l);
		}
		json_array_append_new(l, json_string(eq + 1));
	}
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static unsigned int inputs;
	char *text, *req, *save = NULL;

	if (c.st == NULL || ++inputs % 64 == 0) {
		if (c.st == NULL)
			atexit(cleanup);
		setup();
	}
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (req = strtok_r(text, "\x1e", &save); req != NULL; req = strtok_r(NULL, "\x1e", &save)) {
		char method[16], path[512], *nl = strchr(req, '\n'), *qs;
		const char *body = nl != NULL && nl[1] != '\0' ? nl + 1 : NULL;
		struct api_reply r;
		json_t *q;

		if (sscanf(req, "%15s %511s", method, path) != 2)
			continue;
		qs = strchr(path, '?');
		if (qs != NULL)
			*qs++ = '\0';
		q = query_of(qs != NULL ? qs : (char[]){'\0'});
		// Agents' requests: some by host hv1's certificate (no token), as the TLS layer says.
		api_handle(&c, method, path, q, strncmp(path, "/vnet/", 6) == 0 && (size & 1) ? NULL : token,
			   body, strncmp(path, "/vnet/", 6) == 0 ? "hv1" : NULL, &r);
		if (r.status < 200 || r.status > 599 || (r.status != 204 && r.body == NULL))
			abort();
		json_decref(r.body);
		json_decref(q);
	}
	free(text);
	return 0;
}
