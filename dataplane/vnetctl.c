// SPDX-License-Identifier: BSD-3-Clause
// vnetctl: the operator's command line for vnetd. Each run sends one JSON-RPC 2.0 request over
// vnetd's Unix control socket (dataplane/ctl.h) and prints the result as a table, or raw with
// --json. No DPDK: links only jansson and the pcap reader. Reference: docs/vnetctl.md.

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dataplane/pcap_file.h"

#define CLI_DEFAULT_SOCKET "/run/vnet/vnetd.sock"
#define CLI_TIMEOUT_MS 10000           // whole request; vnetd may take up to 3 s for a trace
#define CLI_MAX_ANSWER (64u << 20)     // bytes in one answer line
#define CLI_MAX_FRAME 16384            // bytes in a traced frame
#define CLI_CELL_SIZE 512
#define CLI_MAX_COLS 12
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

// Exit codes (docs/vnetctl.md). Command steps return one of these rather than -errno: the CLI's
// caller sees them, and "which party failed" matters more to it than the errno.
enum cli_exit {
	CLI_OK = 0,
	CLI_REMOTE = 1,      // vnetd answered with an error, or with something unreadable
	CLI_USAGE = 2,       // bad command line or input file; vnetd was not contacted
	CLI_UNREACHABLE = 3, // cannot connect to vnetd, or no answer in time
};

// Command options; a command lists those it accepts.
enum cli_opt {
	OPT_JSON = 1 << 8,
	OPT_ALL = 1 << 9,
	OPT_NETWORK = 1 << 10,
	OPT_PORT = 1 << 11,
	OPT_PCAP = 1 << 12,
	OPT_INDEX = 1 << 13,
	OPT_HEX = 1 << 14,
};

struct cli;

struct cli_cmd {
	const char *name;     // one or two words: "status", "show ports"
	const char *synopsis; // what follows the name in the usage line
	const char *help;     // one line
	unsigned int opts;    // OPT_* accepted besides --help
	int n_args;           // positional arguments required
	const char *method;
	int (*params)(struct cli *cli, json_t **params); // NULL: no params
	int (*print)(const struct cli *cli, const json_t *result);
};

struct cli {
	const char *socket_path;
	const struct cli_cmd *cmd;
	bool json, all, help;
	const char *network, *port, *pcap, *hex;
	unsigned int index;
	unsigned int opts_seen;
	char **args;
	size_t frame_len; // trace: bytes sent
};

// One table column: `key` of each row object, formatted by `fmt` (NULL: cell_auto).
struct column {
	const char *title;
	const char *key;
	void (*fmt)(const json_t *v, char *buf, size_t size);
	bool right;
};

static int cli_error(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int cli_usage_error(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

// ---- cells and tables ----

static void json_array_join(const json_t *arr, const char *sep, char *buf, size_t size);

// Any scalar or array of scalars: strings as they are, reals with one decimal, booleans as
// yes/no, arrays joined with ','; anything else is "-".
static void cell_auto(const json_t *v, char *buf, size_t size) {
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		json_array_join(v, ",", buf, size);
	else
		snprintf(buf, size, "-");
}

// Join the elements of `arr` with `sep`; "-" when empty.
static void json_array_join(const json_t *arr, const char *sep, char *buf, size_t size) {
	char item[CLI_CELL_SIZE];
	size_t i, len = 0;
	const json_t *v;

	snprintf(buf, size, "-");
	json_array_foreach(arr, i, v) {
		if (json_is_array(v)) // no recursion: nested arrays are not expected
			snprintf(item, sizeof(item), "[...]");
		else
			cell_auto(v, item, sizeof(item));
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? sep : "", item);
		if (len >= size)
			break;
	}
}

static void cell_link(const json_t *v, char *buf, size_t size) {
	snprintf(buf, size, "%s", json_is_true(v) ? "up" : json_is_false(v) ? "down" : "-");
}

static void cell_seconds(const json_t *v, char *buf, size_t size) {
	if (json_is_number(v))
		snprintf(buf, size, "%.0fs", json_number_value(v));
	else
		snprintf(buf, size, "-");
}

static void cell_uptime(const json_t *v, char *buf, size_t size) {
	long long s = json_is_number(v) ? (long long)json_number_value(v) : -1;

	if (s < 0)
		snprintf(buf, size, "-");
	else if (s >= 86400)
		snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", s / 86400, s / 3600 % 24,
			 s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

// Format `row[col->key]`; a missing or null value is "-".
static void cell_format(const struct column *col, const json_t *row, char *buf, size_t size) {
	const json_t *v = json_object_get(row, col->key);

	if (v == NULL || json_is_null(v))
		snprintf(buf, size, "-");
	else
		(col->fmt ? col->fmt : cell_auto)(v, buf, size);
}

// Print one line: the titles when `row` is NULL. No trailing blanks.
static void table_line(const struct column *cols, size_t n_cols, const int *width,
		       const json_t *row) {
	char line[CLI_MAX_COLS * (CLI_CELL_SIZE + 2)], cell[CLI_CELL_SIZE];
	size_t len = 0;

	for (size_t c = 0; c < n_cols; c++) {
		const char *text = row ? cell : cols[c].title;

		if (row != NULL)
			cell_format(&cols[c], row, cell, sizeof(cell));
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					cols[c].right ? "%*s  " : "%-*s  ", width[c], text);
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	printf("%.*s\n", (int)len, line);
}

// Print the array of objects `rows` as a table with a header, or `empty` if there are none.
static void table_print(const json_t *rows, const struct column *cols, size_t n_cols,
			const char *empty) {
	char cell[CLI_CELL_SIZE];
	int width[CLI_MAX_COLS];
	const json_t *row;
	size_t i;

	if (json_array_size(rows) == 0) {
		printf("%s\n", empty);
		return;
	}
	for (size_t c = 0; c < n_cols && c < CLI_MAX_COLS; c++) {
		width[c] = (int)strlen(cols[c].title);
		json_array_foreach(rows, i, row) {
			cell_format(&cols[c], row, cell, sizeof(cell));
			if ((int)strlen(cell) > width[c])
				width[c] = (int)strlen(cell);
		}
	}
	n_cols = n_cols < CLI_MAX_COLS ? n_cols : CLI_MAX_COLS;
	table_line(cols, n_cols, width, NULL);
	json_array_foreach(rows, i, row)
		table_line(cols, n_cols, width, row);
}

// Print `obj` as "label  value" lines, one per column.
static void fields_print(const json_t *obj, const struct column *cols, size_t n_cols) {
	char cell[CLI_CELL_SIZE];

	for (size_t c = 0; c < n_cols; c++) {
		cell_format(&cols[c], obj, cell, sizeof(cell));
		printf("%-12s%s\n", cols[c].title, cell);
	}
}

static int bad_answer(const struct cli *cli, const char *expected) {
	fprintf(stderr, "vnetctl: %s: unexpected answer from vnetd (expected %s)\n",
		cli->cmd->method, expected);
	return CLI_REMOTE;
}

// ---- talking to vnetd ----

static long long now_ms(void) {
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Connect to the Unix socket `path`. Returns the fd or a negative errno.
static int rpc_connect(const char *path) {
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CLI_TIMEOUT_MS / 1000 };
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

// Grow a receive buffer, up to CLI_MAX_ANSWER plus the NUL. Returns 0, -EMSGSIZE or -ENOMEM.
static int buf_grow(char **buf, size_t *cap) {
	size_t want = *cap * 2 + 65536;
	char *p;

	if (*cap > CLI_MAX_ANSWER)
		return -EMSGSIZE;
	if (want > CLI_MAX_ANSWER + 1)
		want = CLI_MAX_ANSWER + 1;
	p = realloc(*buf, want);
	if (p == NULL)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

// Receive one line (without its newline) by `deadline`. Returns 0 and a malloc'd string, or
// -ETIMEDOUT, -ECONNRESET (closed before a full line), -EMSGSIZE, or another negative errno.
static int rpc_recv_line(int fd, long long deadline, char **line) {
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	int ret = 0;

	while (nl == NULL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			ret = ready == 0 ? -ETIMEDOUT : -errno;
			break;
		}
		if (len + 1 >= cap) {
			ret = buf_grow(&buf, &cap);
			if (ret < 0)
				break;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : -errno;
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*nl = '\0';
	*line = buf;
	return 0;
}

// Decode the answer `line`: set *result (new reference) or print vnetd's error.
static int rpc_answer_parse(const char *method, const char *line, json_t **result) {
	json_t *answer, *error;
	json_error_t jerr;

	answer = json_loads(line, 0, &jerr);
	if (!json_is_object(answer)) {
		fprintf(stderr, "vnetctl: %s: unreadable answer from vnetd: %s\n", method,
			answer ? "not a JSON object" : jerr.text);
		json_decref(answer);
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
		json_decref(answer);
		return CLI_REMOTE;
	}
	*result = json_incref(json_object_get(answer, "result"));
	json_decref(answer);
	if (*result == NULL) {
		fprintf(stderr, "vnetctl: %s: answer from vnetd has no result\n", method);
		return CLI_REMOTE;
	}
	return CLI_OK;
}

static int rpc_transport_error(const struct cli *cli, int err) {
	if (err == -ETIMEDOUT)
		fprintf(stderr, "vnetctl: %s: no answer from vnetd within %d s\n", cli->cmd->method,
			CLI_TIMEOUT_MS / 1000);
	else if (err == -ECONNRESET)
		fprintf(stderr, "vnetctl: %s: vnetd closed the connection without answering\n",
			cli->cmd->method);
	else if (err == -EMSGSIZE)
		fprintf(stderr, "vnetctl: %s: answer larger than %u MiB\n", cli->cmd->method,
			CLI_MAX_ANSWER >> 20);
	else
		fprintf(stderr, "vnetctl: %s: %s\n", cli->cmd->method, strerror(-err));
	return err == -EMSGSIZE ? CLI_REMOTE : CLI_UNREACHABLE;
}

// Call `cli->cmd->method` with `params` (stolen, may be NULL); on success *result is a new
// reference. Prints what went wrong otherwise.
static int rpc_call(const struct cli *cli, json_t *params, json_t **result) {
	long long deadline = now_ms() + CLI_TIMEOUT_MS;
	char *req = NULL, *line = NULL;
	json_t *msg;
	int fd, ret;

	msg = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", cli->cmd->method);
	if (params != NULL)
		json_object_set_new(msg, "params", params);
	req = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);

	fd = rpc_connect(cli->socket_path);
	if (fd < 0) {
		fprintf(stderr, "vnetctl: cannot connect to vnetd at %s: %s (%s)\n",
			cli->socket_path, strerror(-fd),
			fd == -EACCES ? "not allowed: run as root?"
				      : "is vnetd running? set -s or VNET_SOCKET");
		free(req);
		return CLI_UNREACHABLE;
	}
	ret = req ? rpc_send(fd, req, strlen(req)) : -ENOMEM;
	if (ret == 0)
		ret = rpc_send(fd, "\n", 1);
	if (ret == 0)
		ret = rpc_recv_line(fd, deadline, &line);
	close(fd);
	free(req);
	if (ret < 0)
		return rpc_transport_error(cli, ret);
	ret = rpc_answer_parse(cli->cmd->method, line, result);
	free(line);
	return ret;
}

// ---- show, stats, status ----

static int rows_print(const struct cli *cli, const json_t *rows, const struct column *cols,
		      size_t n_cols, const char *empty) {
	if (!json_is_array(rows))
		return bad_answer(cli, "an array");
	table_print(rows, cols, n_cols, empty);
	return CLI_OK;
}

static int ports_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "NAME", "name", NULL, false },       { "NETWORK", "network", NULL, false },
		{ "MAC", "mac", NULL, false },         { "LINK", "link_up", cell_link, false },
		{ "RX-PKTS", "rx_pkts", NULL, true },  { "TX-PKTS", "tx_pkts", NULL, true },
		{ "COPIES", "copies", NULL, true },    { "DROPS", "drops", NULL, true },
		{ "DEVICE", "device", NULL, false },
	};
	return rows_print(cli, res, cols, ARRAY_SIZE(cols), "no ports");
}

static int networks_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "ID", "id", NULL, false },          { "TENANT", "tenant", NULL, false },
		{ "VNI", "vni", NULL, true },         { "MTU", "mtu", NULL, true },
		{ "BD", "bd_id", NULL, true },        { "MACS", "n_macs", NULL, true },
		{ "MAC-LIMIT", "mac_limit", NULL, true },
		{ "LIMIT-HITS", "mac_limit_hits", NULL, true },
		{ "PORTS", "ports", NULL, false },
	};
	return rows_print(cli, res, cols, ARRAY_SIZE(cols), "no networks");
}

static int macs_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "NETWORK", "network", NULL, false }, { "MAC", "mac", NULL, false },
		{ "PORT", "port", NULL, false },       { "TYPE", "type", NULL, false },
		{ "AGE", "age_s", cell_seconds, true },
	};
	return rows_print(cli, res, cols, ARRAY_SIZE(cols), "no MAC addresses");
}

static int vteps_print(const struct cli *cli, const json_t *res) {
	static const struct column vteps[] = {
		{ "VTEP", "vtep", NULL, false },          { "NEXT-HOP", "next_hop", NULL, false },
		{ "NEIGHBOR-MAC", "neighbor_mac", NULL, false },
		{ "RX-PKTS", "rx_pkts", NULL, true },     { "RX-BYTES", "rx_bytes", NULL, true },
		{ "TX-PKTS", "tx_pkts", NULL, true },     { "TX-BYTES", "tx_bytes", NULL, true },
	};
	static const struct column vnis[] = {
		{ "VNI", "vni", NULL, true },             { "NETWORK", "network", NULL, false },
		{ "RX-PKTS", "rx_pkts", NULL, true },     { "RX-BYTES", "rx_bytes", NULL, true },
		{ "TX-PKTS", "tx_pkts", NULL, true },     { "TX-BYTES", "tx_bytes", NULL, true },
	};
	const json_t *ul;

	if (!json_is_object(res))
		return bad_answer(cli, "an object");
	ul = json_object_get(res, "underlay");
	if (json_string_length(json_object_get(ul, "address")) == 0)
		printf("no underlay configured: this vnetd carries no VXLAN\n\n");
	else
		printf("underlay %s/%lld, VXLAN UDP port %lld\n\n",
		       json_string_value(json_object_get(ul, "address")),
		       (long long)json_integer_value(json_object_get(ul, "prefix_len")),
		       (long long)json_integer_value(json_object_get(ul, "udp_port")));
	table_print(json_object_get(res, "vteps"), vteps, ARRAY_SIZE(vteps), "no remote VTEPs");
	printf("\n");
	table_print(json_object_get(res, "vnis"), vnis, ARRAY_SIZE(vnis), "no networks");
	return CLI_OK;
}

static int stats_print(const struct cli *cli, const json_t *res) {
	static const struct column workers[] = {
		{ "LCORE", "lcore", NULL, true },       { "WALKS", "walks", NULL, true },
		{ "IDLE-WALKS", "idle_walks", NULL, true }, { "SLEEPS", "sleeps", NULL, true },
		{ "EVENTS-LOST", "events_lost", NULL, true },
		{ "TRACE-LOST", "trace_lost", NULL, true },
	};
	static const struct column ports[] = {
		{ "PORT", "name", NULL, false },        { "RX-PKTS", "rx_pkts", NULL, true },
		{ "RX-BYTES", "rx_bytes", NULL, true }, { "TX-PKTS", "tx_pkts", NULL, true },
		{ "TX-BYTES", "tx_bytes", NULL, true }, { "INJECTED", "injected", NULL, true },
		{ "COPIES", "copies", NULL, true },     { "SENT", "sent", NULL, true },
		{ "DROPS", "drops", NULL, true },       { "CONSUMED", "consumed", NULL, true },
	};
	static const struct column nodes[] = {
		{ "NODE", "name", NULL, false },      { "CALLS", "calls", NULL, true },
		{ "OBJS", "objs", NULL, true },       { "CYCLES", "cycles", NULL, true },
		{ "CYCLES/OBJ", "cycles_per_obj", NULL, true },
	};
	static const struct column head[] = {
		{ "generation", "generation", NULL, false },
		{ "revision", "revision", NULL, false },
		{ "uptime", "uptime_s", cell_uptime, false },
	};
	char cell[ARRAY_SIZE(head)][CLI_CELL_SIZE];

	if (!json_is_object(res))
		return bad_answer(cli, "an object");
	for (size_t c = 0; c < ARRAY_SIZE(head); c++)
		cell_format(&head[c], res, cell[c], sizeof(cell[c]));
	printf("generation %s, revision %s, uptime %s\n\n", cell[0], cell[1], cell[2]);
	table_print(json_object_get(res, "workers"), workers, ARRAY_SIZE(workers), "no workers");
	printf("\n");
	table_print(json_object_get(res, "ports"), ports, ARRAY_SIZE(ports), "no ports");
	printf("\n");
	table_print(json_object_get(res, "nodes"), nodes, ARRAY_SIZE(nodes), "no node statistics");
	return CLI_OK;
}

static int status_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "version", "version", NULL, false },
		{ "generation", "generation", NULL, false },
		{ "revision", "revision", NULL, false },
		{ "uptime", "uptime_s", cell_uptime, false },
		{ "workers", "workers", NULL, false },
		{ "ports", "ports", NULL, false },
	};

	if (!json_is_object(res))
		return bad_answer(cli, "an object");
	fields_print(res, cols, ARRAY_SIZE(cols));
	return CLI_OK;
}

static int macs_params(struct cli *cli, json_t **params) {
	if (cli->network == NULL)
		return CLI_OK;
	*params = json_pack("{s:s}", "network", cli->network);
	return *params ? CLI_OK : cli_usage_error(cli, "--network: not valid UTF-8");
}

// ---- drops ----

static json_int_t drops_total(const json_t *res, const json_t *reasons) {
	const json_t *total = json_object_get(res, "total"), *r;
	json_int_t sum = 0;
	size_t i;

	if (json_is_integer(total))
		return json_integer_value(total);
	json_array_foreach(reasons, i, r)
		sum += json_integer_value(json_object_get(r, "count"));
	return sum;
}

// Flatten the reasons into table rows: each reason, then its ports indented under it.
static json_t *drops_rows(const json_t *reasons, bool all) {
	json_t *rows = json_array(), *r, *ports, *n;
	const char *port;
	char name[CLI_CELL_SIZE];
	size_t i;

	json_array_foreach(reasons, i, r) {
		if (!all && json_integer_value(json_object_get(r, "count")) <= 0)
			continue;
		json_array_append(rows, r);
		ports = json_object_get(r, "ports");
		json_object_foreach(ports, port, n) {
			if (!all && json_integer_value(n) <= 0)
				continue;
			snprintf(name, sizeof(name), "  %s", port);
			json_array_append_new(rows, json_pack("{s:s, s:O, s:s}", "reason", name,
							      "count", n, "description", ""));
		}
	}
	return rows;
}

static int drops_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "REASON", "reason", NULL, false },
		{ "COUNT", "count", NULL, true },
		{ "DESCRIPTION", "description", NULL, false },
	};
	const json_t *reasons = json_object_get(res, "reasons");
	json_int_t total;
	json_t *rows;

	if (!json_is_array(reasons))
		return bad_answer(cli, "an object with a reasons array");
	total = drops_total(res, reasons);
	if (total == 0 && !cli->all) {
		printf("no drops\n");
		return CLI_OK;
	}
	rows = drops_rows(reasons, cli->all);
	table_print(rows, cols, ARRAY_SIZE(cols), "no drop reasons");
	printf("total %" JSON_INTEGER_FORMAT "\n", total);
	json_decref(rows);
	return CLI_OK;
}

// ---- apply ----

static int apply_params(struct cli *cli, json_t **params) {
	const char *path = cli->args[0];
	bool is_stdin = strcmp(path, "-") == 0;
	json_error_t jerr;
	json_t *doc;
	FILE *f;

	f = is_stdin ? stdin : fopen(path, "r");
	if (f == NULL)
		return cli_error(cli, "%s: %s", path, strerror(errno));
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (!is_stdin)
		fclose(f);
	if (doc == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", is_stdin ? "<stdin>" : path, jerr.line,
			jerr.column, jerr.text);
		return CLI_USAGE;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return cli_error(cli, "%s: a rules document is a JSON object", path);
	}
	*params = doc;
	return CLI_OK;
}

static int apply_print(const struct cli *cli, const json_t *res) {
	static const struct column cols[] = {
		{ "revision", "revision", NULL, false },
		{ "generation", "generation", NULL, false },
	};
	char rev[CLI_CELL_SIZE], gen[CLI_CELL_SIZE];

	if (!json_is_object(res))
		return bad_answer(cli, "an object");
	cell_format(&cols[0], res, rev, sizeof(rev));
	cell_format(&cols[1], res, gen, sizeof(gen));
	printf("applied revision %s as generation %s\n", rev, gen);
	return CLI_OK;
}

// ---- trace ----

// Decode hex digits into `buf`, ignoring an "0x" prefix, blanks and ':' '-' '.' separators.
// Returns the length, or -EINVAL (bad digit, odd count, empty) or -EMSGSIZE.
static int hex_decode(const char *s, uint8_t *buf, size_t size) {
	size_t n = 0;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s != '\0'; s++) {
		int v;

		if (strchr(" \t\n:-.", *s) != NULL)
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == size)
			return -EMSGSIZE;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi >= 0 || n == 0 ? -EINVAL : (int)n;
}

// Read packet cli->index of cli->pcap. Returns its length, or a negative errno once explained.
static int trace_pcap_read(const struct cli *cli, uint8_t *buf, size_t size) {
	int len = pcap_file_read_one(cli->pcap, cli->index, buf, size);

	if (len >= 0)
		return len;
	if (len == -ENOENT && access(cli->pcap, F_OK) == 0)
		cli_error(cli, "%s: no packet %u (packets are numbered from 0)", cli->pcap,
			  cli->index);
	else if (len == -EINVAL)
		cli_error(cli, "%s: not a pcap or pcapng file, or truncated", cli->pcap);
	else if (len == -EPROTONOSUPPORT)
		cli_error(cli, "%s: link type is not Ethernet", cli->pcap);
	else if (len == -EMSGSIZE)
		cli_error(cli, "%s: packet %u is longer than %d bytes", cli->pcap, cli->index,
			  CLI_MAX_FRAME);
	else
		cli_error(cli, "%s: %s", cli->pcap, strerror(-len));
	return len;
}

static int trace_params(struct cli *cli, json_t **params) {
	uint8_t frame[CLI_MAX_FRAME];
	char hex[2 * CLI_MAX_FRAME + 1];
	int len;

	if (cli->port == NULL)
		return cli_usage_error(cli, "--port is required");
	if ((cli->pcap == NULL) == (cli->hex == NULL))
		return cli_usage_error(cli, "give exactly one of --pcap and --hex");
	if ((cli->opts_seen & OPT_INDEX) && cli->pcap == NULL)
		return cli_usage_error(cli, "--index goes with --pcap");
	if (cli->pcap != NULL) {
		len = trace_pcap_read(cli, frame, sizeof(frame));
		if (len < 0)
			return CLI_USAGE;
	} else {
		len = hex_decode(cli->hex, frame, sizeof(frame));
		if (len == -EMSGSIZE)
			return cli_error(cli, "--hex: frame longer than %d bytes", CLI_MAX_FRAME);
		if (len < 0)
			return cli_error(cli, "--hex: not a frame in hex (an even number of "
					 "digits; ':' '-' '.' and blanks may separate bytes)");
	}
	for (int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", frame[i]);
	hex[2 * len] = '\0';
	cli->frame_len = (size_t)len;
	*params = json_pack("{s:s, s:s}", "port", cli->port, "packet", hex);
	return *params ? CLI_OK : cli_usage_error(cli, "--port: not valid UTF-8");
}

static const char *json_str(const json_t *obj, const char *key) {
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

// Where a record sends the packet: its next node, else its verdict ("tx", "drop").
static const char *trace_record_target(const json_t *rec) {
	const char *next = json_str(rec, "next"), *verdict = json_str(rec, "verdict");

	return next ? next : verdict ? verdict : "-";
}

// "drop (spoof_ip: source IP is not one of the port's IPs)", from a record or a verdict.
static void trace_drop_format(const json_t *obj, const char *reason_key, const char *desc_key,
			      char *buf, size_t size) {
	const char *reason = json_str(obj, reason_key), *desc = json_str(obj, desc_key);

	snprintf(buf, size, "drop (%s%s%s)", reason ? reason : "no reason given",
		 desc ? ": " : "", desc ? desc : "");
}

static void trace_record_print(size_t num, const json_t *rec, int w_node, int w_next) {
	const char *node = json_str(rec, "node"), *fields = json_str(rec, "fields");
	char drop[CLI_CELL_SIZE];

	printf("%3zu  %-*s -> ", num, w_node, node ? node : "-");
	if (fields != NULL)
		printf("%-*s  %s\n", w_next, trace_record_target(rec), fields);
	else
		printf("%s\n", trace_record_target(rec));
	if (json_str(rec, "drop_reason") != NULL) {
		trace_drop_format(rec, "drop_reason", "drop_description", drop, sizeof(drop));
		printf("%*s%s\n", 3 + 2 + w_node + 4 + w_next + 2, "", drop);
	}
}

static void trace_verdict_print(const json_t *v) {
	const char *action = json_str(v, "action");
	char buf[CLI_CELL_SIZE];
	const json_t *d;
	size_t i;

	if (action != NULL && strcmp(action, "tx") == 0) {
		json_array_join(json_object_get(v, "ports"), ", ", buf, sizeof(buf));
		printf("verdict: tx%s%s\n", buf[0] == '-' ? "" : " to ", buf[0] == '-' ? "" : buf);
	} else if (action != NULL && strcmp(action, "drop") == 0) {
		trace_drop_format(v, "reason", "description", buf, sizeof(buf));
		printf("verdict: %s\n", buf);
	} else if (action != NULL && strcmp(action, "mixed") == 0) {
		printf("verdict: mixed\n");
		json_array_join(json_object_get(v, "tx"), ", ", buf, sizeof(buf));
		if (buf[0] != '-')
			printf("  tx to %s\n", buf);
		json_array_foreach(json_object_get(v, "drops"), i, d) {
			trace_drop_format(d, "reason", "description", buf, sizeof(buf));
			printf("  %s%s%s\n", buf, json_str(d, "port") ? " on the copy to " : "",
			       json_str(d, "port") ? json_str(d, "port") : "");
		}
	} else {
		printf("verdict: %s\n", action ? action : "-");
	}
}

static int trace_print(const struct cli *cli, const json_t *res) {
	const json_t *records = json_object_get(res, "records"), *rec;
	char id[CLI_CELL_SIZE];
	int w_node = 4, w_next = 4;
	size_t i;

	if (!json_is_array(records))
		return bad_answer(cli, "an object with a records array");
	json_array_foreach(records, i, rec) {
		const char *node = json_str(rec, "node");
		int n = node ? (int)strlen(node) : 1, t = (int)strlen(trace_record_target(rec));

		w_node = n > w_node ? n : w_node;
		w_next = t > w_next ? t : w_next;
	}
	cell_auto(json_object_get(res, "trace_id"), id, sizeof(id));
	printf("trace %s: %zu-byte frame in at %s (synthetic: nothing learned or sent)\n", id,
	       cli->frame_len, cli->port);
	json_array_foreach(records, i, rec)
		trace_record_print(i + 1, rec, w_node, w_next);
	if (json_array_size(records) == 0)
		printf("  (no trace records)\n");
	trace_verdict_print(json_object_get(res, "verdict"));
	return CLI_OK;
}

// ---- commands and options ----

static const struct cli_cmd cli_cmds[] = {
	{ "status", "[--json]", "vnetd version, configuration generation, uptime", OPT_JSON, 0,
	  "status", NULL, status_print },
	{ "show ports", "[--json]", "ports with their network, link state and counters", OPT_JSON,
	  0, "show.ports", NULL, ports_print },
	{ "show networks", "[--json]", "networks (bridge domains) and their MAC tables' use",
	  OPT_JSON, 0, "show.networks", NULL, networks_print },
	{ "show macs", "[--network ID] [--json]", "MAC table entries", OPT_JSON | OPT_NETWORK, 0,
	  "show.macs", macs_params, macs_print },
	{ "show stats", "[--json]", "worker, port and graph node counters", OPT_JSON, 0, "stats",
	  NULL, stats_print },
	{ "show vteps", "[--json]", "remote VTEPs and VNIs with their VXLAN counters", OPT_JSON, 0,
	  "show.vteps", NULL, vteps_print },
	{ "drops", "[--all] [--json]", "dropped packets by reason and port", OPT_JSON | OPT_ALL, 0,
	  "drops", NULL, drops_print },
	{ "apply", "FILE [--json]", "apply a rules document (FILE '-' reads stdin)", OPT_JSON, 1,
	  "apply", apply_params, apply_print },
	{ "trace", "--port NAME (--pcap FILE [--index N] | --hex HEX) [--json]",
	  "show the path of one frame through the graph, without sending it",
	  OPT_JSON | OPT_PORT | OPT_PCAP | OPT_INDEX | OPT_HEX, 0, "trace", trace_params,
	  trace_print },
};

static const struct option cli_cmd_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "hex", required_argument, NULL, OPT_HEX },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void cli_usage(FILE *out) {
	fprintf(out, "usage: vnetctl [-s SOCKET] COMMAND [OPTIONS]\n\n"
		     "  -s, --socket PATH  vnetd's control socket (default: $VNET_SOCKET, else "
		     CLI_DEFAULT_SOCKET ")\n"
		     "  -h, --help         this help; 'vnetctl COMMAND --help' for one command\n\n"
		     "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		fprintf(out, "  %-14s %s\n", cli_cmds[i].name, cli_cmds[i].help);
	fprintf(out, "\nexit status: 0 ok, 1 vnetd answered with an error, 2 usage or input "
		     "error, 3 vnetd not reachable\n");
}

static void cli_cmd_usage(FILE *out, const struct cli_cmd *cmd) {
	fprintf(out, "usage: vnetctl [-s SOCKET] %s %s\n  %s\n", cmd->name, cmd->synopsis,
		cmd->help);
}

static void cli_verror(const struct cli *cli, const char *fmt, va_list ap) {
	fprintf(stderr, "vnetctl: %s: ", cli->cmd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

// Explain a bad input (file, packet). Returns CLI_USAGE.
static int cli_error(const struct cli *cli, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	cli_verror(cli, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

// Explain a bad command line and show the command's synopsis. Returns CLI_USAGE.
static int cli_usage_error(const struct cli *cli, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	cli_verror(cli, fmt, ap);
	va_end(ap);
	cli_cmd_usage(stderr, cli->cmd);
	return CLI_USAGE;
}

// Store the value of option `opt`. Returns CLI_OK or CLI_USAGE.
static int cli_opt_set(struct cli *cli, int opt, const char *arg) {
	char *end;

	cli->opts_seen |= (unsigned int)opt;
	switch (opt) {
	case OPT_JSON:
		cli->json = true;
		break;
	case OPT_ALL:
		cli->all = true;
		break;
	case OPT_NETWORK:
		cli->network = arg;
		break;
	case OPT_PORT:
		cli->port = arg;
		break;
	case OPT_PCAP:
		cli->pcap = arg;
		break;
	case OPT_HEX:
		cli->hex = arg;
		break;
	case OPT_INDEX:
		errno = 0;
		cli->index = (unsigned int)strtoul(arg, &end, 10);
		if (errno || end == arg || *end != '\0' || arg[0] == '-' || strlen(arg) > 9)
			return cli_usage_error(cli, "--index: not a packet number: '%s'", arg);
		break;
	}
	return CLI_OK;
}

// Parse the options and arguments after the command's name (argv[0] is its last word).
static int cli_cmd_parse(struct cli *cli, int argc, char **argv) {
	int c, ret;

	optind = 0; // full reset: this is the second getopt pass
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", cli_cmd_opts, NULL)) != -1) {
		if (c == 'h') {
			cli->help = true;
			return CLI_OK;
		}
		if (c == ':')
			return cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
		if (c == '?' || !(cli->cmd->opts & (unsigned int)c))
			return cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
		ret = cli_opt_set(cli, c, optarg);
		if (ret != CLI_OK)
			return ret;
	}
	if (argc - optind != cli->cmd->n_args)
		return cli_usage_error(cli, "%s", argc - optind > cli->cmd->n_args
						  ? "too many arguments" : "missing argument");
	cli->args = argv + optind;
	return CLI_OK;
}

// Find the command named by the first one or two words of argv. Returns the words used, or 0
// after printing what is wrong.
static int cli_cmd_find(struct cli *cli, int argc, char **argv) {
	bool partial = false;

	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++) {
		const char *name = cli_cmds[i].name, *sp = strchr(name, ' ');
		size_t n = sp ? (size_t)(sp - name) : strlen(name);

		if (strlen(argv[0]) != n || strncmp(name, argv[0], n) != 0)
			continue;
		if (sp != NULL && (argc < 2 || strcmp(sp + 1, argv[1]) != 0)) {
			partial = true;
			continue;
		}
		cli->cmd = &cli_cmds[i];
		return sp ? 2 : 1;
	}
	if (partial && argc >= 2)
		fprintf(stderr, "vnetctl: unknown command '%s %s'\n", argv[0], argv[1]);
	else if (partial)
		fprintf(stderr, "vnetctl: '%s' needs an object\n", argv[0]);
	else
		fprintf(stderr, "vnetctl: unknown command '%s'\n", argv[0]);
	cli_usage(stderr);
	return 0;
}

// Parse the global options, find the command and parse its options.
static int cli_parse(struct cli *cli, int argc, char **argv) {
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("VNET_SOCKET");
	int c, words;

	cli->socket_path = env != NULL && env[0] != '\0' ? env : CLI_DEFAULT_SOCKET;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:h", opts, NULL)) != -1) {
		if (c == 's') {
			cli->socket_path = optarg;
		} else if (c == 'h') {
			cli->help = true;
			return CLI_OK;
		} else {
			fprintf(stderr, "vnetctl: %s '%s'\n", c == ':' ? "missing value for"
				: "unknown option", argv[optind - 1]);
			cli_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		cli_usage(stderr);
		return CLI_USAGE;
	}
	words = cli_cmd_find(cli, argc - optind, argv + optind);
	if (words == 0)
		return CLI_USAGE;
	return cli_cmd_parse(cli, argc - optind - words + 1, argv + optind + words - 1);
}

int main(int argc, char **argv) {
	struct cli cli = { 0 };
	json_t *params = NULL, *result = NULL;
	char *text;
	int ret;

	ret = cli_parse(&cli, argc, argv);
	if (ret != CLI_OK || cli.help) {
		if (cli.help && cli.cmd != NULL)
			cli_cmd_usage(stdout, cli.cmd);
		else if (cli.help)
			cli_usage(stdout);
		return ret;
	}
	if (cli.cmd->params != NULL) {
		ret = cli.cmd->params(&cli, &params);
		if (ret != CLI_OK)
			return ret;
	}
	ret = rpc_call(&cli, params, &result);
	if (ret != CLI_OK)
		return ret;
	if (cli.json) {
		text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("%s\n", text ? text : "null");
		free(text);
	} else {
		ret = cli.cmd->print(&cli, result);
	}
	json_decref(result);
	return ret;
}
