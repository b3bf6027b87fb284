// SPDX-License-Identifier: BSD-3-Clause
// vnetctl's JSON-RPC 2.0 client for vnetd's control socket (dataplane/ctl.h): one connection per
// request, one JSON object per line each way. rpc_call() reads the one answer; rpc_stream() also
// hands each notification that vnetd sends for the request before its answer to a callback
// (streams: `{"method":"<x>.event","params":{"id":<request id>,...}}`).
// Both print what went wrong as "vnetctl: METHOD: ..." and return a CLI_* exit code.
#pragma once

#include <jansson.h>

#define RPC_TIMEOUT_MS 10000        // whole request; vnetd may take up to 3 s for a trace
#define RPC_APPLY_TIMEOUT_MS 300000 // "apply": a million-route document takes vnetd ~10 s
#define RPC_MAX_ANSWER (64u << 20)  // bytes in one line from vnetd
#define RPC_REQUEST_ID 1            // the id of every request; a stream's notifications carry it

// One notification of a stream: its `method` ("trace.event") and `params` (borrowed; its "id" is
// the request's). Returns CLI_OK to read on, anything else to stop: rpc_stream() then closes the
// connection and returns that code.
typedef int (*rpc_event_fn)(void *ctx, const char *method, const json_t *params);

struct rpc_stream {
	rpc_event_fn on_event;
	void *ctx;
	// Longest wait for the next message (notification or answer), in ms, counted again after
	// each notification; 0: no limit. Connecting and sending are bounded by RPC_TIMEOUT_MS.
	int idle_timeout_ms;
};

// Call `method` with `params` (stolen, may be NULL) on the vnetd at `socket_path`. On CLI_OK,
// *result is a new reference to the answer's result. Must complete within RPC_TIMEOUT_MS
// ("apply": RPC_APPLY_TIMEOUT_MS).
int rpc_call(const char *socket_path, const char *method, json_t *params, json_t **result);

// The same for a request that vnetd answers with a stream: every notification for this request
// goes to stream->on_event, in order, until the answer arrives. Notifications for another id
// are skipped.
int rpc_stream(const char *socket_path, const char *method, json_t *params,
	       const struct rpc_stream *stream, json_t **result);
