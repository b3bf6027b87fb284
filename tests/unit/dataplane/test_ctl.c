// SPDX-License-Identifier: BSD-3-Clause
// The control socket (dataplane/ctl.c) on a real Unix socket, served in this thread: deferred
// answers keep the order of requests, streams send their notifications then the answer, a handle
// outliving its client (even when a new client took the slot) completes into nothing, and the
// limits on pending calls answer -32001. Run under ASan by the unit suite of build-asan.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/ctl.h"

int dp_logtype_dataplane;

static char sock_path[64];
static struct ctl_deferred *held[32];
static int n_held, n_cancelled;

static void on_cancel(struct ctl_deferred *d, void *arg) {
	(void)d;
	(void)arg;
	n_cancelled++;
}

static void method_later(struct ctl_call *call) {
	struct ctl_deferred *d = ctl_defer(call, on_cancel, NULL);

	if (d != NULL)
		held[n_held++] = d;
}

static void method_now(struct ctl_call *call) {
	call->result = json_string("now");
}

static int client_connect(void) {
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	for (int i = 0; i < 5; i++)
		ctl_poll(1);
	return fd;
}

static void client_send(int fd, const char *s) {
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
	for (int i = 0; i < 5; i++)
		ctl_poll(1);
}

// Everything the client has received by now (after serving the socket a little).
static char *client_recv(int fd) {
	static char buf[65536];
	size_t len = 0;
	ssize_t n;

	for (int i = 0; i < 5; i++)
		ctl_poll(1);
	while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void deferred_answer_keeps_request_order(void **state) {
	int fd = client_connect();

	(void)state;
	n_held = 0;
	client_send(fd, "{\"id\":1,\"method\":\"later\"}\n{\"id\":2,\"method\":\"now\"}\n");
	assert_int_equal(n_held, 1);
	assert_string_equal(client_recv(fd), ""); // "now" waits behind "later"
	assert_false(ctl_deferred_is_cancelled(held[0]));
	ctl_deferred_reply(held[0], json_pack("{si}", "x", 7));
	assert_string_equal(client_recv(fd),
			    "{\"id\":1,\"result\":{\"x\":7},\"jsonrpc\":\"2.0\"}\n"
			    "{\"id\":2,\"result\":\"now\",\"jsonrpc\":\"2.0\"}\n");
	close(fd);
}

static void stream_sends_events_then_the_answer(void **state) {
	int fd = client_connect();

	(void)state;
	n_held = 0;
	client_send(fd, "{\"id\":\"s\",\"method\":\"later\"}\n");
	assert_int_equal(ctl_stream_send(held[0], json_pack("{si}", "n", 1)), 0);
	assert_int_equal(ctl_stream_send(held[0], json_pack("{si}", "n", 2)), 0);
	ctl_stream_end(held[0], NULL);
	assert_string_equal(
		client_recv(fd),
		"{\"jsonrpc\":\"2.0\",\"method\":\"later.event\",\"params\":{\"n\":1,\"id\":\"s\"}}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"later.event\",\"params\":{\"n\":2,\"id\":\"s\"}}\n"
		"{\"id\":\"s\",\"result\":null,\"jsonrpc\":\"2.0\"}\n");
	close(fd);
}

static void handle_outliving_its_client_is_dropped(void **state) {
	int fd = client_connect(), fd2;

	(void)state;
	n_held = 0;
	n_cancelled = 0;
	client_send(fd, "{\"id\":1,\"method\":\"later\"}\n");
	assert_int_equal(n_held, 1);
	close(fd);
	client_recv(-1); // serve: the hang-up cancels the call
	assert_int_equal(n_cancelled, 1);
	assert_true(ctl_deferred_is_cancelled(held[0]));
	fd2 = client_connect(); // takes the same slot
	assert_int_equal(ctl_stream_send(held[0], json_object()), -ENOTCONN);
	ctl_deferred_error(held[0], CTL_ERR_INTERNAL, "too late"); // dropped, not sent to fd2
	client_send(fd2, "{\"id\":3,\"method\":\"now\"}\n");
	assert_string_equal(client_recv(fd2), "{\"id\":3,\"result\":\"now\",\"jsonrpc\":\"2.0\"}\n");
	close(fd2);
	client_recv(-1);
}

static void pending_calls_are_bounded(void **state) {
	char line[64], *out;
	int fd = client_connect();

	(void)state;
	n_held = 0;
	for (int i = 0; i < 17; i++) {
		snprintf(line, sizeof(line), "{\"id\":%d,\"method\":\"later\"}\n", i);
		client_send(fd, line);
	}
	assert_int_equal(n_held, 16);
	assert_string_equal(client_recv(fd), ""); // the refusal waits behind the 16
	for (int i = 0; i < n_held; i++)
		ctl_deferred_reply(held[i], NULL);
	out = client_recv(fd);
	assert_non_null(strstr(out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,"));
	assert_non_null(strstr(out, "\"id\":15,\"result\":null"));
	assert_true(strstr(out, "\"id\":15,") < strstr(out, "\"id\":16}"));
	close(fd);
	client_recv(-1);
}

static void ctl_handle_refuses_to_defer(void **state) {
	char *out = ctl_handle("{\"id\":1,\"method\":\"later\"}");

	(void)state;
	assert_non_null(strstr(out, "\"code\":-32603"));
	assert_non_null(strstr(out, "needs a socket connection"));
	free(out);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deferred_answer_keeps_request_order),
		cmocka_unit_test(stream_sends_events_then_the_answer),
		cmocka_unit_test(handle_outliving_its_client_is_dropped),
		cmocka_unit_test(pending_calls_are_bounded),
		cmocka_unit_test(ctl_handle_refuses_to_defer),
	};
	int ret;

	snprintf(sock_path, sizeof(sock_path), "/tmp/test_ctl.%d.sock", (int)getpid());
	ctl_method_register("later", "answers when the test says", method_later);
	ctl_method_register("now", "answers at once", method_now);
	if (ctl_listen(sock_path) < 0)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	ctl_close();
	return ret;
}
