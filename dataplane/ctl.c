// SPDX-License-Identifier: BSD-3-Clause
// The control socket server (JSON-RPC 2.0, newline-delimited, Unix stream socket). Runs in the
// control thread, so every method may touch control-owned tables without locks. It never blocks:
// sockets are non-blocking, each client's answers wait in its output buffer until the socket is
// writable, and a method that cannot answer at once defers (ctl_defer) and completes later.
// Answers to one client keep the order of its requests: a client's queue holds, in request order,
// its deferred calls and the answers that wait behind them.

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_debug.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/ctl.h"
#include "dataplane/log.h"

#define CTL_MAX_CLIENTS 16
#define CTL_MAX_REQUEST (64u << 20)   // one request line
#define CTL_MAX_OUTPUT (16u << 20)    // unsent answers of one client: past it, disconnected
#define CTL_PAUSE_OUTPUT (1u << 20)   // no request of a client is read while this much is unsent
#define CTL_MAX_QUEUE 64              // nor while this many answers wait behind a deferred one
#define CTL_MAX_DEFERRED_CLIENT 16    // deferred calls pending on one connection
#define CTL_MAX_DEFERRED 128          // deferred calls pending in vnetd
#define CTL_STALL_MS 30000            // a client that reads none of its answers for this long

struct ctl_method {
	const char *name;
	const char *help;
	ctl_method_fn fn;
};

// One request whose answer has not been sent: a deferred call, or an answer waiting behind one.
// Owned by the method until it completes it (`owned`), and by its client's queue (`queued`);
// freed when both let go. A handle outliving its client finds another generation in the slot.
struct ctl_deferred {
	struct ctl_deferred *next; // in the client's queue
	const char *method;
	json_t *id;
	int client;
	unsigned int client_gen;
	char *text; // lines waiting for the answers to earlier requests (notifications, the answer)
	size_t text_len;
	bool owned, queued, done, cancelled;
	ctl_cancel_fn cancel;
	void *arg;
};

struct ctl_client {
	int fd;
	unsigned int gen; // bumped at each close: stale handles see the slot changed
	bool eof;         // the client sent its last request (shutdown): close once answered
	const char *dead; // why it is being disconnected, at the next safe point
	char *in;
	size_t in_len, in_size;
	char *out;
	size_t out_off, out_len, out_size; // unsent: out[out_off, out_len)
	uint64_t progress_ms;              // last time output went out (or was first queued)
	struct ctl_deferred *head, *tail;
	unsigned int n_queued, n_deferred;
};

static struct ctl_method *methods; // as many as register (at start-up)
static int n_methods;
static struct ctl_client clients[CTL_MAX_CLIENTS];
static unsigned int n_deferred;
static int listen_fd = -1;
static char sock_path[108];

static uint64_t now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_method_register(const char *name, const char *help, ctl_method_fn fn) {
	struct ctl_method *m = realloc(methods, (size_t)(n_methods + 1) * sizeof(*m));

	if (m == NULL)
		rte_panic("ctl_method_register %s: out of memory\n", name);
	methods = m;
	methods[n_methods++] = (struct ctl_method){name, help, fn};
}

void ctl_error(struct ctl_call *call, int code, const char *fmt, ...) {
	va_list ap;

	call->error_code = code;
	va_start(ap, fmt);
	vsnprintf(call->error, sizeof(call->error), fmt, ap);
	va_end(ap);
}

static void method_help(struct ctl_call *call) {
	json_t *list = json_array();

	for (int i = 0; i < n_methods; i++)
		json_array_append_new(list, json_pack("{ssss}", "method", methods[i].name, "help",
						      methods[i].help));
	call->result = list;
}

int ctl_listen(const char *path) {
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	chmod(path, 0660);
	listen_fd = fd;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		clients[i] = (struct ctl_client){.fd = -1, .gen = clients[i].gen};
	ctl_method_register("help", "list the methods", method_help);
	return 0;
}


static void deferred_free(struct ctl_deferred *d) {
	json_decref(d->id);
	free(d->text);
	free(d);
}

// The live client of `d`, or NULL when it has gone away (or is being disconnected).
static struct ctl_client *deferred_client(const struct ctl_deferred *d) {
	struct ctl_client *c;

	if (d->client < 0)
		return NULL;
	c = &clients[d->client];
	if (c->fd < 0 || c->gen != d->client_gen || c->dead != NULL)
		return NULL;
	return c;
}

// Mark `c` to be disconnected at the next safe point (nothing is freed under a caller's feet).
static void client_fail(struct ctl_client *c, const char *why) {
	if (c->dead == NULL)
		c->dead = why;
}

static void client_flush(struct ctl_client *c) {
	while (c->dead == NULL && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_fail(c, "send failed");
			return;
		}
		c->out_off += (size_t)n;
		c->progress_ms = now_ms();
	}
	c->out_off = c->out_len = 0;
}

// Append `len` bytes to the output of `c` and send what the socket takes.
static void client_write(struct ctl_client *c, const char *s, size_t len) {
	size_t pending = c->out_len - c->out_off;

	if (c->dead != NULL)
		return;
	if (pending + len > CTL_MAX_OUTPUT) {
		LOG(WARNING, "control client fd=%d: over %u bytes of answers unread: disconnected",
		    c->fd, CTL_MAX_OUTPUT);
		client_fail(c, "output limit");
		return;
	}
	if (pending == 0)
		c->progress_ms = now_ms();
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (c->out_len + len > c->out_size) {
		size_t size = c->out_size ? c->out_size : 65536;
		char *out;
		while (size < c->out_len + len)
			size *= 2;
		out = realloc(c->out, size);
		if (out == NULL) {
			client_fail(c, "out of memory");
			return;
		}
		c->out = out;
		c->out_size = size;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
	client_flush(c);
}

// Append a line to the text that `d` holds until the answers before it are sent.
static int deferred_hold(struct ctl_client *c, struct ctl_deferred *d, const char *s, size_t len) {
	char *text;

	if (d->text_len + len > CTL_MAX_OUTPUT) {
		LOG(WARNING, "control client fd=%d: over %u bytes of answers held: disconnected",
		    c->fd, CTL_MAX_OUTPUT);
		client_fail(c, "output limit");
		return -ENOBUFS;
	}
	text = realloc(d->text, d->text_len + len);
	if (text == NULL) {
		client_fail(c, "out of memory");
		return -ENOMEM;
	}
	memcpy(text + d->text_len, s, len);
	d->text = text;
	d->text_len += len;
	return 0;
}

static void queue_append(struct ctl_client *c, struct ctl_deferred *d) {
	d->queued = true;
	if (c->tail != NULL)
		c->tail->next = d;
	else
		c->head = d;
	c->tail = d;
	c->n_queued++;
}

// Send what the head of the queue holds; pop every completed head.
static void queue_flush(struct ctl_client *c) {
	struct ctl_deferred *d;

	while ((d = c->head) != NULL && c->dead == NULL) {
		if (d->text_len > 0) {
			client_write(c, d->text, d->text_len);
			free(d->text);
			d->text = NULL;
			d->text_len = 0;
		}
		if (!d->done)
			return; // the head is still pending: its notifications now go straight out
		c->head = d->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->n_queued--;
		deferred_free(d); // done: the method let go of it
	}
}

// A complete line (with its newline) for request `d` of client `c`, in request order.
static void client_emit(struct ctl_client *c, struct ctl_deferred *d, const char *line) {
	size_t len = strlen(line);

	if (d == NULL && c->head == NULL) {
		client_write(c, line, len);
		client_write(c, "\n", 1);
		return;
	}
	if (d == NULL) { // an answer waiting behind a pending call
		d = calloc(1, sizeof(*d));
		if (d == NULL) {
			client_fail(c, "out of memory");
			return;
		}
		d->done = true;
		queue_append(c, d);
	}
	if (d == c->head && d->text_len == 0) {
		client_write(c, line, len);
		client_write(c, "\n", 1);
	} else if (deferred_hold(c, d, line, len) == 0) {
		deferred_hold(c, d, "\n", 1);
	}
	queue_flush(c);
}

// Close `c` now: cancel its pending calls (their handles stay valid for their methods, which
// complete them into nothing), free the rest of its queue, bump the slot's generation.
static void client_close(struct ctl_client *c) {
	struct ctl_deferred *cancelled[CTL_MAX_DEFERRED_CLIENT];
	struct ctl_deferred *d, *next;
	int n = 0;

	for (d = c->head; d != NULL; d = next) {
		next = d->next;
		d->next = NULL;
		d->queued = false;
		if (!d->owned) {
			deferred_free(d);
			continue;
		}
		d->cancelled = true;
		if (n < CTL_MAX_DEFERRED_CLIENT)
			cancelled[n++] = d;
	}
	close(c->fd);
	free(c->in);
	free(c->out);
	*c = (struct ctl_client){.fd = -1, .gen = c->gen + 1};
	for (int i = 0; i < n; i++) // last: a callback may complete (and free) its handle
		if (cancelled[i]->cancel != NULL)
			cancelled[i]->cancel(cancelled[i], cancelled[i]->arg);
}

// Accept every waiting connection.
static void clients_accept(void) {
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		int i;
		for (i = 0; i < CTL_MAX_CLIENTS && clients[i].fd >= 0; i++)
			;
		if (i == CTL_MAX_CLIENTS) {
			LOG(WARNING, "too many control clients max=%d: connection refused",
			    CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		clients[i] = (struct ctl_client){.fd = fd, .gen = clients[i].gen + 1};
	}
}

// The length of the valid UTF-8 character at `p` (RFC 3629 section 4), or 0.
static size_t utf8_char_len(const unsigned char *p) {
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

// `s` made valid UTF-8 in place (each bad byte becomes '?'): a message may end in the middle of
// a character (cut by snprintf) or quote bytes of the request, and jansson makes no JSON string
// of either (the client would get no answer at all).
static char *utf8_clean(char *s) {
	for (unsigned char *p = (unsigned char *)s; *p != '\0';) {
		size_t len = utf8_char_len(p);
		if (len == 0)
			*p++ = '?';
		else
			p += len;
	}
	return s;
}

static json_t *error_json(int code, char *message) {
	return json_pack("{siss}", "code", code, "message", utf8_clean(message));
}

// The answer line (malloc'd) to request `id` (borrowed): `error` (stolen) if not NULL, else
// `result` (stolen, NULL for null). Never NULL.
static char *response_format(json_t *id, json_t *result, json_t *error) {
	json_t *resp;
	char *out;

	if (error != NULL) {
		json_decref(result);
		resp = json_pack("{ssso}", "jsonrpc", "2.0", "error", error);
		if (resp != NULL)
			json_object_set(resp, "id", id ? id : json_null());
	} else {
		resp = json_pack("{sO}", "id", id ? id : json_null());
		if (resp != NULL) {
			json_object_set_new(resp, "result", result ? result : json_null());
			json_object_set_new(resp, "jsonrpc", json_string("2.0"));
		} else {
			json_decref(result);
		}
	}
	out = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (out == NULL) // never leave a request unanswered
		out = strdup("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":"
			     "\"internal error: the answer could not be encoded\"},\"id\":null}");
	if (out == NULL)
		rte_panic("out of memory\n");
	return out;
}

// Run request `req`: the error object (new reference) or NULL with `call` filled by the method.
static json_t *dispatch(json_t *req, struct ctl_call *call) {
	json_t *id = json_object_get(req, "id");
	const char *name = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	int i;

	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id))
		return json_pack("{siss}", "code", CTL_ERR_INVALID_REQUEST, "message",
				 "\"id\" must be a string, a number or null");
	call->id = id ? json_incref(id) : json_null();
	if (name == NULL)
		return json_pack("{siss}", "code", CTL_ERR_INVALID_REQUEST, "message",
				 "request has no \"method\" string");
	if (params != NULL && !json_is_object(params))
		return json_pack("{siss}", "code", CTL_ERR_INVALID_PARAMS, "message",
				 "\"params\" must be an object");
	for (i = 0; i < n_methods && strcmp(methods[i].name, name) != 0; i++)
		;
	if (i == n_methods)
		return json_pack("{siss+}", "code", CTL_ERR_NO_METHOD, "message", "unknown method ",
				 name);
	call->params = params;
	call->method = methods[i].name;
	methods[i].fn(call);
	if (call->deferred != NULL) { // answered through the handle only
		json_decref(call->result);
		call->result = NULL;
		return NULL;
	}
	if (call->error_code != 0) {
		json_decref(call->result);
		call->result = NULL;
		return error_json(call->error_code, call->error);
	}
	return NULL;
}

// Answer `line` from client slot `client` (-1: none): the answer line (malloc'd), or NULL when
// the method deferred it.
static char *request_run(const char *line, int client) {
	struct ctl_call call = {.client = client};
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *error;
	char *out;

	if (req == NULL)
		return response_format(NULL, NULL,
				       json_pack("{siss}", "code", CTL_ERR_PARSE, "message",
						 utf8_clean(jerr.text)));
	error = dispatch(req, &call);
	json_decref(req);
	if (call.deferred != NULL) {
		json_decref(call.id);
		return NULL;
	}
	out = response_format(call.id, call.result, error);
	json_decref(call.id);
	return out;
}

char *ctl_handle(const char *line) {
	return request_run(line, -1);
}

struct ctl_deferred *ctl_defer(struct ctl_call *call, ctl_cancel_fn cancel, void *arg) {
	struct ctl_client *c = call->client >= 0 ? &clients[call->client] : NULL;
	struct ctl_deferred *d;

	if (c == NULL || c->fd < 0) {
		ctl_error(call, CTL_ERR_INTERNAL, "%s answers later and needs a socket connection",
			  call->method);
		return NULL;
	}
	if (c->n_deferred >= CTL_MAX_DEFERRED_CLIENT) {
		ctl_error(call, CTL_ERR_BUSY,
			  "too many calls pending on this connection (max %d): wait for their answers",
			  CTL_MAX_DEFERRED_CLIENT);
		return NULL;
	}
	if (n_deferred >= CTL_MAX_DEFERRED) {
		ctl_error(call, CTL_ERR_BUSY, "too many calls pending in vnetd (max %d): try again later",
			  CTL_MAX_DEFERRED);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		ctl_error(call, CTL_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	d->method = call->method;
	d->id = json_incref(call->id);
	d->client = call->client;
	d->client_gen = c->gen;
	d->owned = true;
	d->cancel = cancel;
	d->arg = arg;
	queue_append(c, d);
	c->n_deferred++;
	n_deferred++;
	call->deferred = d;
	return d;
}

bool ctl_deferred_is_cancelled(const struct ctl_deferred *d) {
	return d->cancelled || deferred_client(d) == NULL;
}

// Complete `d` with its answer line (malloc'd, taken) and let go of it.
static void deferred_complete(struct ctl_deferred *d, char *line) {
	struct ctl_client *c = deferred_client(d);

	d->owned = false;
	n_deferred--;
	if (c == NULL || !d->queued) { // the client went away: drop it
		free(line);
		if (!d->queued)
			deferred_free(d);
		return; // (still queued on a client being disconnected: its close frees it)
	}
	c->n_deferred--;
	d->done = true;
	client_emit(c, d, line);
	free(line);
}

void ctl_deferred_reply(struct ctl_deferred *d, json_t *result) {
	deferred_complete(d, response_format(d->id, result, NULL));
}

void ctl_stream_end(struct ctl_deferred *d, json_t *result) {
	ctl_deferred_reply(d, result);
}

void ctl_deferred_error(struct ctl_deferred *d, int code, const char *fmt, ...) {
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	deferred_complete(d, response_format(d->id, NULL, error_json(code, msg)));
}

int ctl_stream_send(struct ctl_deferred *d, json_t *params) {
	struct ctl_client *c = deferred_client(d);
	char method[128];
	json_t *msg;
	char *line;

	if (c == NULL || !d->owned) {
		json_decref(params);
		return -ENOTCONN;
	}
	if (!json_is_object(params)) {
		json_decref(params);
		params = json_object();
	}
	json_object_set(params, "id", d->id);
	snprintf(method, sizeof(method), "%s.event", d->method);
	msg = json_pack("{ssssso}", "jsonrpc", "2.0", "method", method, "params", params);
	line = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (line == NULL)
		return -ENOMEM;
	client_emit(c, d, line);
	free(line);
	return deferred_client(d) != NULL ? 0 : -ENOTCONN;
}

// Whether `c` takes no new request now: too many answers unsent or waiting.
static bool client_is_paused(const struct ctl_client *c) {
	return c->out_len - c->out_off >= CTL_PAUSE_OUTPUT || c->n_queued >= CTL_MAX_QUEUE;
}

// Answer the complete lines in the input of `c`, while it takes requests.
static void client_serve(struct ctl_client *c) {
	unsigned int gen = c->gen;
	int slot = (int)(c - clients);
	char *nl;

	while (c->dead == NULL && !client_is_paused(c) &&
	       (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		size_t used = (size_t)(nl - c->in) + 1;
		char *out = NULL;
		*nl = '\0';
		if (nl != c->in)
			out = request_run(c->in, slot);
		if (c->gen != gen) { // cannot happen (closes wait for a safe point), but be sure
			free(out);
			return;
		}
		if (out != NULL) {
			client_emit(c, NULL, out);
			free(out);
		}
		memmove(c->in, c->in + used, c->in_len - used + 1);
		c->in_len -= used;
	}
}

static void client_read(struct ctl_client *c) {
	ssize_t n;

	if (c->in_size - c->in_len < 65536) {
		size_t size = c->in_size ? c->in_size * 2 : 131072;
		char *buf = size <= CTL_MAX_REQUEST ? realloc(c->in, size) : NULL;
		if (buf == NULL) {
			LOG(WARNING, "control request over %u bytes: connection closed",
			    CTL_MAX_REQUEST);
			client_fail(c, "request too long");
			return;
		}
		c->in = buf;
		c->in_size = size;
	}
	n = recv(c->fd, c->in + c->in_len, c->in_size - c->in_len - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		client_fail(c, "recv failed");
		return;
	}
	if (n == 0) {
		c->eof = true;
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	client_serve(c);
}

// Whether `c` has a request it could answer now.
static bool client_has_work(const struct ctl_client *c) {
	return c->dead == NULL && !client_is_paused(c) && c->in_len > 0 &&
	       memchr(c->in, '\n', c->in_len) != NULL;
}

// Close the clients that failed, that went silent with answers unread, or that said their last
// word and got every answer.
static void clients_reap(void) {
	uint64_t now = now_ms();

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &clients[i];
		if (c->fd < 0)
			continue;
		if (c->dead == NULL && c->out_len > c->out_off && now - c->progress_ms > CTL_STALL_MS) {
			LOG(WARNING, "control client fd=%d: read none of its answers for %d ms: "
				     "disconnected", c->fd, CTL_STALL_MS);
			client_fail(c, "stalled");
		}
		if (c->dead == NULL && c->eof && c->head == NULL && c->out_len == c->out_off &&
		    !client_has_work(c))
			client_fail(c, "end of requests");
		if (c->dead != NULL)
			client_close(c);
	}
}

void ctl_poll(int timeout_ms) {
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int map[CTL_MAX_CLIENTS + 1];
	int n = 0;

	if (listen_fd < 0)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) { // lines left while a client was paused
		if (client_has_work(&clients[i]))
			client_serve(&clients[i]);
		if (client_has_work(&clients[i]))
			timeout_ms = 0;
	}
	clients_reap();
	pfd[n] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	map[n++] = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &clients[i];
		if (c->fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = c->fd};
		if (!c->eof && !client_is_paused(c))
			pfd[n].events |= POLLIN;
		if (c->out_len > c->out_off)
			pfd[n].events |= POLLOUT;
		map[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int k = 0; k < n; k++) {
		struct ctl_client *c = map[k] >= 0 ? &clients[map[k]] : NULL;
		if (c == NULL) {
			if (pfd[k].revents & POLLIN)
				clients_accept();
			continue;
		}
		if (c->fd < 0 || c->dead != NULL)
			continue;
		if (pfd[k].revents & POLLOUT)
			client_flush(c);
		if (pfd[k].revents & POLLIN)
			client_read(c);
		else if (pfd[k].revents & (POLLHUP | POLLERR))
			client_fail(c, "hang-up"); // the peer closed: nobody reads the answers
	}
	clients_reap();
}

void ctl_close(void) {
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
	}
	listen_fd = -1;
}
