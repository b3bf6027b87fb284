// SPDX-License-Identifier: BSD-3-Clause
// The control socket: JSON-RPC 2.0 over a Unix stream socket, one JSON object per line in each
// direction. Served by the control thread (the main lcore); features register their methods at
// start-up. vnetctl and the agent are its clients. Method list: docs/control-api.md.
#pragma once

#include <jansson.h>

// JSON-RPC error codes used by vnetd.
#define CTL_ERR_PARSE -32700
#define CTL_ERR_INVALID_REQUEST -32600
#define CTL_ERR_NO_METHOD -32601
#define CTL_ERR_INVALID_PARAMS -32602
#define CTL_ERR_INTERNAL -32603
#define CTL_ERR_REFUSED -32000 // a transaction was refused: nothing changed

struct ctl_call {
	const json_t *params; // object or NULL
	json_t *result;       // set by the method (new reference) on success
	int error_code;       // set by ctl_error()
	char error[1024];
};

typedef void (*ctl_method_fn)(struct ctl_call *call);

// Control thread, at start-up. Register method `name` ("show.ports").
void ctl_method_register(const char *name, const char *help, ctl_method_fn fn);

// Control thread. Fail `call` with `code` and a message.
void ctl_error(struct ctl_call *call, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Control thread. Answer one request line (a JSON-RPC request without its newline): the response
// line, without its newline (malloc'd, the caller frees it), or NULL if it could not be encoded.
// What the socket does for each line it reads; the control-request fuzzer calls it directly.
char *ctl_handle(const char *line);

// Control thread. Listen on `path` (an existing socket file is replaced). Returns 0 or -errno.
int ctl_listen(const char *path);

// Control thread. Serve requests for up to `timeout_ms`. Returns after handling what arrived.
void ctl_poll(int timeout_ms);

// Control thread. Close the socket and every client; remove the socket file.
void ctl_close(void);
