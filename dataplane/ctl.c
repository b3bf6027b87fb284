// SPDX-License-Identifier: BSD-3-Clause
// The control socket server (JSON-RPC 2.0, newline-delimited, Unix stream socket). Runs in the
// control thread: requests are served one at a time, so every method may touch control-owned
// tables without locks.

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_debug.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/ctl.h"
#include "dataplane/log.h"

#define CTL_MAX_METHODS 64
#define CTL_MAX_CLIENTS 16
#define CTL_MAX_REQUEST (64u << 20)

struct ctl_method {
	const char *name;
	const char *help;
	ctl_method_fn fn;
};

struct ctl_client {
	int fd;
	char *buf;
	size_t len, size;
};

static struct ctl_method methods[CTL_MAX_METHODS];
static int n_methods;
static struct ctl_client clients[CTL_MAX_CLIENTS];
static int listen_fd = -1;
static char sock_path[108];

void ctl_method_register(const char *name, const char *help, ctl_method_fn fn) {
	if (n_methods >= CTL_MAX_METHODS)
		rte_panic("too many control methods\n");
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
		clients[i].fd = -1;
	ctl_method_register("help", "list the methods", method_help);
	return 0;
}

static void client_close(struct ctl_client *c) {
	close(c->fd);
	free(c->buf);
	*c = (struct ctl_client){.fd = -1};
}

static void client_accept(void) {
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (clients[i].fd < 0) {
			clients[i].fd = fd;
			return;
		}
	}
	LOG(WARNING, "too many control clients max=%d: connection refused", CTL_MAX_CLIENTS);
	close(fd);
}

static void send_all(int fd, const char *s, size_t len) {
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, 5000) <= 0)
				return;
			continue;
		}
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
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

static json_t *dispatch(json_t *req, json_t **id_out) {
	struct ctl_call call = {0};
	json_t *id = json_object_get(req, "id");
	const char *name = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params");
	int i;

	*id_out = id ? json_incref(id) : json_null();
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
		json_decref(*id_out);
		*id_out = json_null();
		return json_pack("{siss}", "code", CTL_ERR_INVALID_REQUEST, "message",
				 "\"id\" must be a string, a number or null");
	}
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
	call.params = params;
	methods[i].fn(&call);
	if (call.error_code != 0) {
		json_decref(call.result);
		return error_json(call.error_code, call.error);
	}
	*id_out = json_pack("{so}", "id", *id_out); // wrap: the caller distinguishes by key
	json_object_set_new(*id_out, "result", call.result ? call.result : json_null());
	return NULL;
}

char *ctl_handle(const char *line) {
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *id = NULL, *error, *resp;
	char *out;

	if (req == NULL) {
		resp = json_pack("{sss{siss}so}", "jsonrpc", "2.0", "error", "code", CTL_ERR_PARSE,
				 "message", utf8_clean(jerr.text), "id", json_null());
	} else {
		error = dispatch(req, &id);
		if (error != NULL) {
			resp = json_pack("{ssso}", "jsonrpc", "2.0", "error", error);
			json_object_set_new(resp, "id", id);
		} else {
			resp = id; // {"id":..., "result":...}
			json_object_set_new(resp, "jsonrpc", json_string("2.0"));
		}
		json_decref(req);
	}
	out = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (out == NULL) // never leave a request unanswered
		out = strdup("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":"
			     "\"internal error: the answer could not be encoded\"},\"id\":null}");
	return out;
}

static void handle_line(struct ctl_client *c, const char *line) {
	char *out = ctl_handle(line);

	if (out != NULL) {
		send_all(c->fd, out, strlen(out));
		send_all(c->fd, "\n", 1);
		free(out);
	}
}

static void client_read(struct ctl_client *c) {
	char *nl;
	ssize_t n;

	if (c->size - c->len < 65536) {
		size_t size = c->size ? c->size * 2 : 131072;
		char *buf = size <= CTL_MAX_REQUEST ? realloc(c->buf, size) : NULL;
		if (buf == NULL) {
			LOG(WARNING, "control request over %u bytes: connection closed",
			    CTL_MAX_REQUEST);
			client_close(c);
			return;
		}
		c->buf = buf;
		c->size = size;
	}
	n = recv(c->fd, c->buf + c->len, c->size - c->len - 1, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t used = (size_t)(nl - c->buf) + 1;
		*nl = '\0';
		if (nl != c->buf)
			handle_line(c, c->buf);
		memmove(c->buf, c->buf + used, c->len - used + 1);
		c->len -= used;
	}
}

void ctl_poll(int timeout_ms) {
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int map[CTL_MAX_CLIENTS + 1];
	int n = 0;

	if (listen_fd < 0)
		return;
	pfd[n] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	map[n++] = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (clients[i].fd >= 0) {
			pfd[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
			map[n++] = i;
		}
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int k = 0; k < n; k++) {
		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (map[k] < 0)
			client_accept();
		else if (clients[map[k]].fd >= 0)
			client_read(&clients[map[k]]);
	}
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
