// SPDX-License-Identifier: BSD-3-Clause
// vnetctl's JSON-RPC client (rpc.h): connect to vnetd's Unix control socket, send one request,
// read lines until the answer, passing a stream's notifications to the caller. Main thread of
// vnetctl only; no DPDK.

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vnetctl/rpc.h"
#include "vnetctl/vnetctl.h"

// One connection and what has been received on it but not consumed yet.
struct rpc_conn {
	int fd;
	char *buf;
	size_t len;      // bytes in buf
	size_t cap;      // bytes allocated
	size_t consumed; // bytes of the last line returned (with its newline)
};

static long long now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Connect to the Unix socket `path`. Returns the fd or a negative errno.
static int rpc_connect(const char *path, int timeout_ms) {
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000 };
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

// Send all of `buf`. Returns 0 or a negative errno.
static int rpc_send(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

// Grow the receive buffer, up to RPC_MAX_ANSWER plus the NUL. Returns 0, -EMSGSIZE or -ENOMEM.
static int rpc_conn_grow(struct rpc_conn *c) {
	size_t want = c->cap * 2 + 65536;
	char *p;

	if (c->cap > RPC_MAX_ANSWER)
		return -EMSGSIZE;
	if (want > RPC_MAX_ANSWER + 1)
		want = RPC_MAX_ANSWER + 1;
	p = realloc(c->buf, want);
	if (p == NULL)
		return -ENOMEM;
	c->buf = p;
	c->cap = want;
	return 0;
}

// Receive the next line (NUL-terminated in place, without its newline; valid until the next
// call) by `deadline` (ms of now_ms(); < 0: none). Returns 0, or -ETIMEDOUT, -ECONNRESET (closed
// before a full line), -EMSGSIZE, or another negative errno.
static int rpc_conn_line(struct rpc_conn *c, long long deadline, char **line) {
	size_t scanned = 0;
	char *nl = NULL;
	int ret;

	if (c->consumed > 0) {
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = 0;
	}
	if (c->len > 0)
		nl = memchr(c->buf, '\n', c->len);
	scanned = c->len;
	while (nl == NULL) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		int ready = deadline < 0 ? poll(&pfd, 1, -1) : left > 0 ? poll(&pfd, 1, (int)left) : 0;
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready == 0 ? -ETIMEDOUT : -errno;
		if (c->len + 1 >= c->cap) {
			ret = rpc_conn_grow(c);
			if (ret < 0)
				return ret;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		nl = memchr(c->buf + scanned, '\n', (size_t)n);
		c->len += (size_t)n;
		scanned = c->len;
	}
	*nl = '\0';
	c->consumed = (size_t)(nl - c->buf) + 1;
	*line = c->buf;
	return 0;
}

// Decode the answer `answer` (NULL: `line` was not JSON, see `jerr`): set *result (new
// reference) or print vnetd's error.
static int rpc_answer_get(const char *method, const json_t *answer, const json_error_t *jerr,
			  json_t **result) {
	const json_t *error;

	if (!json_is_object(answer)) {
		fprintf(stderr, "vnetctl: %s: unreadable answer from vnetd: %s\n", method,
			answer ? "not a JSON object" : jerr->text);
		return CLI_REMOTE;
	}
	error = json_object_get(answer, "error");
	if (error != NULL) {
		const char *msg = json_string_value(json_object_get(error, "message"));
		json_t *code = json_object_get(error, "code");

		fprintf(stderr, "vnetctl: %s: %s", method, msg ? msg : "error without a message");
		if (msg == NULL && json_is_integer(code))
			fprintf(stderr, " (code %" JSON_INTEGER_FORMAT ")",
				json_integer_value(code));
		fprintf(stderr, "\n");
		return CLI_REMOTE;
	}
	*result = json_incref(json_object_get(answer, "result"));
	if (*result == NULL) {
		fprintf(stderr, "vnetctl: %s: answer from vnetd has no result\n", method);
		return CLI_REMOTE;
	}
	return CLI_OK;
}

static int rpc_transport_error(const char *method, int err, int timeout_ms) {
	if (err == -ETIMEDOUT && timeout_ms % 1000 == 0)
		fprintf(stderr, "vnetctl: %s: no answer from vnetd within %d s\n", method,
			timeout_ms / 1000);
	else if (err == -ETIMEDOUT)
		fprintf(stderr, "vnetctl: %s: no answer from vnetd within %d ms\n", method,
			timeout_ms);
	else if (err == -ECONNRESET)
		fprintf(stderr, "vnetctl: %s: vnetd closed the connection without answering\n",
			method);
	else if (err == -EMSGSIZE)
		fprintf(stderr, "vnetctl: %s: answer larger than %u MiB\n", method,
			RPC_MAX_ANSWER >> 20);
	else
		fprintf(stderr, "vnetctl: %s: %s\n", method, strerror(-err));
	return err == -EMSGSIZE ? CLI_REMOTE : CLI_UNREACHABLE;
}

// A notification of a stream: an object with a "method" and no "id". Returns true and hands it
// to `stream` (*ret: what the callback returned) when it is one, whichever request it is for.
static bool rpc_notification(const struct rpc_stream *stream, const json_t *msg, int *ret) {
	const char *method = json_string_value(json_object_get(msg, "method"));
	const json_t *params = json_object_get(msg, "params");
	const json_t *id = json_object_get(params, "id");

	*ret = CLI_OK;
	if (!json_is_object(msg) || method == NULL || json_object_get(msg, "id") != NULL)
		return false;
	if (json_is_integer(id) && json_integer_value(id) == RPC_REQUEST_ID)
		*ret = stream->on_event(stream->ctx, method, params);
	return true;
}

// Read lines until the answer to our request; a notification goes to `stream` (NULL: the first
// line is the answer).
static int rpc_answer_read(struct rpc_conn *c, const char *method, long long deadline,
			   int timeout_ms, const struct rpc_stream *stream, json_t **result) {
	int idle_ms = stream ? stream->idle_timeout_ms : 0;
	json_error_t jerr;
	json_t *msg;
	char *line = NULL;
	int ret;

	for (;;) {
		if (stream != NULL)
			deadline = idle_ms > 0 ? now_ms() + idle_ms : -1;
		ret = rpc_conn_line(c, deadline, &line);
		if (ret < 0)
			return rpc_transport_error(method, ret, stream ? idle_ms : timeout_ms);
		msg = json_loads(line, 0, &jerr);
		if (stream == NULL || !rpc_notification(stream, msg, &ret)) {
			ret = rpc_answer_get(method, msg, &jerr, result);
			json_decref(msg);
			return ret;
		}
		json_decref(msg);
		if (ret != CLI_OK)
			return ret;
	}
}

// Send the request and read its answer (rpc_call and rpc_stream).
static int rpc_request(const char *socket_path, const char *method, json_t *params,
		       const struct rpc_stream *stream, json_t **result) {
	// A big document (a million routes) takes vnetd seconds to apply: "apply" waits longer.
	int timeout_ms = strcmp(method, "apply") == 0 ? RPC_APPLY_TIMEOUT_MS : RPC_TIMEOUT_MS;
	long long deadline = now_ms() + timeout_ms;
	struct rpc_conn c = { .fd = -1 };
	char *req;
	json_t *msg;
	int ret;

	msg = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", RPC_REQUEST_ID, "method",
			method);
	if (params != NULL)
		json_object_set_new(msg, "params", params);
	req = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);

	c.fd = rpc_connect(socket_path, timeout_ms);
	if (c.fd < 0) {
		fprintf(stderr, "vnetctl: cannot connect to vnetd at %s: %s (%s)\n", socket_path,
			strerror(-c.fd),
			c.fd == -EACCES ? "not allowed: run as root?"
					: "is vnetd running? set -s or VNET_SOCKET");
		free(req);
		return CLI_UNREACHABLE;
	}
	ret = req ? rpc_send(c.fd, req, strlen(req)) : -ENOMEM;
	if (ret == 0)
		ret = rpc_send(c.fd, "\n", 1);
	if (ret < 0)
		ret = rpc_transport_error(method, ret, timeout_ms);
	else
		ret = rpc_answer_read(&c, method, deadline, timeout_ms, stream, result);
	close(c.fd);
	free(c.buf);
	free(req);
	return ret;
}

int rpc_call(const char *socket_path, const char *method, json_t *params, json_t **result) {
	return rpc_request(socket_path, method, params, NULL, result);
}

int rpc_stream(const char *socket_path, const char *method, json_t *params,
	       const struct rpc_stream *stream, json_t **result) {
	return rpc_request(socket_path, method, params, stream, result);
}
