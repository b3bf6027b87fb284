// SPDX-License-Identifier: BSD-3-Clause
// The control socket: JSON-RPC 2.0 over a Unix stream socket, one JSON object per line in each
// direction. Served by the control thread (the main lcore); features register their methods at
// start-up. vnetctl and the agent are its clients. Method list: docs/control-api.md.
//
// A method answers at once (sets call->result or calls ctl_error()), or defers: ctl_defer() gives
// it a handle that it completes later, from an event, a periodic check or a timeout, with
// ctl_deferred_reply() / ctl_deferred_error(), or that it streams notifications on
// (ctl_stream_send()) until ctl_stream_end(). The control thread never waits for a method.
#pragma once

#include <stdbool.h>

#include <jansson.h>

// JSON-RPC error codes used by vnetd.
#define CTL_ERR_PARSE -32700
#define CTL_ERR_INVALID_REQUEST -32600
#define CTL_ERR_NO_METHOD -32601
#define CTL_ERR_INVALID_PARAMS -32602
#define CTL_ERR_INTERNAL -32603
#define CTL_ERR_REFUSED -32000 // a transaction was refused: nothing changed
#define CTL_ERR_BUSY -32001    // too many calls pending (on the connection or in vnetd): retry later

struct ctl_deferred;

struct ctl_call {
	const json_t *params; // object or NULL
	json_t *result;       // set by the method (new reference) on success
	int error_code;       // set by ctl_error()
	char error[1024];
	// Set by ctl.c for ctl_defer(); methods do not touch them.
	const char *method;
	json_t *id;
	int client; // slot of the connection, -1 for ctl_handle()
	struct ctl_deferred *deferred;
};

typedef void (*ctl_method_fn)(struct ctl_call *call);

// Control thread, at start-up. Register method `name` ("show.ports").
void ctl_method_register(const char *name, const char *help, ctl_method_fn fn);

// Control thread. Fail `call` with `code` and a message.
void ctl_error(struct ctl_call *call, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Control thread. Called once when the connection of a deferred call goes away (or vnetd stops)
// before the method completed it: the method should stop its work and complete the handle (it
// may do so inside the callback); the completion is then dropped.
typedef void (*ctl_cancel_fn)(struct ctl_deferred *d, void *arg);

// Control thread, inside a method. Answer later: returns the handle, which the method owns until
// it completes it with ctl_deferred_reply(), ctl_deferred_error() or ctl_stream_end() (exactly
// once; the handle is freed then). The handle stays valid if the client goes away meanwhile:
// `cancel` (may be NULL) is called with `arg`, and the completion is dropped. Returns NULL when
// the call cannot be deferred (too many pending calls on this connection or in vnetd:
// CTL_ERR_BUSY; no connection, as in ctl_handle(): CTL_ERR_INTERNAL), with `call` failed: the
// method just returns. Answers to one connection keep the order of its requests: answers to
// later requests wait for this one.
struct ctl_deferred *ctl_defer(struct ctl_call *call, ctl_cancel_fn cancel, void *arg);

// Control thread. Complete `d` with `result` (stolen; NULL for null) and free `d`.
void ctl_deferred_reply(struct ctl_deferred *d, json_t *result);

// Control thread. Complete `d` with the error `code` and a message, and free `d`.
void ctl_deferred_error(struct ctl_deferred *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Control thread. Send one notification of the stream `d`: `{"jsonrpc":"2.0","method":
// "<method>.event","params":{...params, "id":<request id>}}`; `params` (an object) is stolen.
// Notifications and the final answer keep their order, after the answers to earlier requests.
// Returns 0, or -ENOTCONN when the client is gone (or was disconnected: too much output waiting):
// stop and end the stream.
int ctl_stream_send(struct ctl_deferred *d, json_t *params);

// Control thread. End the stream `d` with its final `result` (stolen) and free `d`.
void ctl_stream_end(struct ctl_deferred *d, json_t *result);

// Control thread. Whether the client of `d` has gone away (its completion will be dropped).
bool ctl_deferred_is_cancelled(const struct ctl_deferred *d);

// Control thread. Answer one request line (a JSON-RPC request without its newline): the response
// line, without its newline (malloc'd, the caller frees it), or NULL if it could not be encoded.
// What the socket does for each line it reads; the control-request fuzzer calls it directly. A
// method that defers is refused here (no connection to answer later on).
char *ctl_handle(const char *line);

// Control thread. Listen on `path` (an existing socket file is replaced). Returns 0 or -errno.
int ctl_listen(const char *path);

// Control thread. Serve the socket: wait up to `timeout_ms` for a connection, a request or room to
// send answers, handle what arrived and return. Never blocks on one client: sockets are
// non-blocking; answers wait in a bounded per-client buffer (a client past it, or that reads
// nothing for a long time, is disconnected).
void ctl_poll(int timeout_ms);

// Control thread. Close the socket and every client (cancelling their pending calls); remove the
// socket file.
void ctl_close(void);
