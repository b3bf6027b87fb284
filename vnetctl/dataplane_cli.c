// SPDX-License-Identifier: BSD-3-Clause
// vnetctl commands of the engine (dataplane/): status, show ports, show stats, drops, apply and
// trace. Each is one JSON-RPC call to vnetd (methods in docs/control-api.md) whose result is
// printed here; registered with VNETCTL_COMMAND_REGISTER like every module's commands.

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/pcap_file.h"
#include "vnetctl/output.h"
#include "vnetctl/rpc.h"
#include "vnetctl/vnetctl.h"

#define TRACE_MAX_FRAME 16384 // bytes in a traced frame

// ---- status, show ports, show stats ----

static int status_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "version", "version", NULL, false },
		{ "generation", "generation", NULL, false },
		{ "revision", "revision", NULL, false },
		{ "uptime", "uptime_s", cell_uptime, false },
		{ "workers", "workers", NULL, false },
		{ "ports", "ports", NULL, false },
	};

	const json_t *ag;

	if (!json_is_object(res))
		return out_bad_answer(cli, "an object");
	table_fields_print(res, cols, ARRAY_SIZE(cols));
	ag = json_object_get(res, "agent");
	if (json_is_object(ag)) {
		long long rx = json_integer_value(json_object_get(ag, "received_s_ago"));
		long long seen = json_integer_value(json_object_get(ag, "contact_s_ago"));
		printf("%-12s %s\n", "rules",
		       json_is_true(json_object_get(ag, "stale"))
			       ? "STALE: forwarding on the last rules the agent applied"
			       : "current");
		printf("%-12s %s, %s (last answer %llds ago)\n", "controller",
		       json_string_value(json_object_get(ag, "controller")),
		       json_is_true(json_object_get(ag, "controller_reachable")) ? "reachable"
										 : "UNREACHABLE",
		       seen);
		printf("%-12s revision %lld, received %llds ago; agent heard %llds ago\n", "agent",
		       (long long)json_integer_value(json_object_get(ag, "agent_revision")), rx,
		       (long long)json_integer_value(json_object_get(ag, "reported_s_ago")));
	} else {
		printf("%-12s %s\n", "rules", "from vnetctl apply (no agent has reported)");
	}
	return CLI_OK;
}

static struct cli_cmd status_cmd = {
	.module = "dataplane",
	.name = "status",
	.synopsis = "[--json]",
	.help = "vnetd version, configuration generation, uptime, whether its rules are current",
	.method = "status",
	.print = status_print,
};
VNETCTL_COMMAND_REGISTER(status_cmd);

static int ports_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "NAME", "name", NULL, false },       { "NETWORK", "network", NULL, false },
		{ "MAC", "mac", NULL, false },         { "LINK", "link_up", cell_link, false },
		{ "MTU", "mtu", NULL, true },          { "BACKEND", "backend", NULL, false },
		{ "WORKER", "worker", NULL, true },
		{ "RX-PKTS", "rx_pkts", NULL, true },  { "TX-PKTS", "tx_pkts", NULL, true },
		{ "COPIES", "copies", NULL, true },    { "DROPS", "drops", NULL, true },
		{ "DEVICE", "device", NULL, false },
	};
	return table_result_print(cli, res, cols, ARRAY_SIZE(cols), "no ports");
}

static struct cli_cmd show_ports_cmd = {
	.module = "dataplane",
	.name = "show ports",
	.synopsis = "[--json]",
	.help = "ports with their network, link state, MTU, backend, worker and counters",
	.method = "show.ports",
	.print = ports_print,
};
VNETCTL_COMMAND_REGISTER(show_ports_cmd);

static int stats_print(const struct cli *cli, const json_t *res) {
	static const struct table_column workers[] = {
		{ "LCORE", "lcore", NULL, true },       { "WALKS", "walks", NULL, true },
		{ "IDLE-WALKS", "idle_walks", NULL, true }, { "SLEEPS", "sleeps", NULL, true },
		{ "EVENTS-LOST", "events_lost", NULL, true },
		{ "TRACE-LOST", "trace_lost", NULL, true },
	};
	static const struct table_column ports[] = {
		{ "PORT", "name", NULL, false },        { "RX-PKTS", "rx_pkts", NULL, true },
		{ "RX-BYTES", "rx_bytes", NULL, true }, { "TX-PKTS", "tx_pkts", NULL, true },
		{ "TX-BYTES", "tx_bytes", NULL, true }, { "INJECTED", "injected", NULL, true },
		{ "COPIES", "copies", NULL, true },     { "SENT", "sent", NULL, true },
		{ "DROPS", "drops", NULL, true },       { "CONSUMED", "consumed", NULL, true },
	};
	static const struct table_column nodes[] = {
		{ "NODE", "name", NULL, false },      { "CALLS", "calls", NULL, true },
		{ "OBJS", "objs", NULL, true },       { "CYCLES", "cycles", NULL, true },
		{ "CYCLES/OBJ", "cycles_per_obj", NULL, true },
	};
	static const struct table_column head[] = {
		{ "generation", "generation", NULL, false },
		{ "revision", "revision", NULL, false },
		{ "uptime", "uptime_s", cell_uptime, false },
	};
	char cell[ARRAY_SIZE(head)][CELL_SIZE];

	if (!json_is_object(res))
		return out_bad_answer(cli, "an object");
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

static struct cli_cmd show_stats_cmd = {
	.module = "dataplane",
	.name = "show stats",
	.synopsis = "[--json]",
	.help = "worker, port and graph node counters",
	.method = "stats",
	.print = stats_print,
};
VNETCTL_COMMAND_REGISTER(show_stats_cmd);

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
	char name[CELL_SIZE];
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
	static const struct table_column cols[] = {
		{ "REASON", "reason", NULL, false },
		{ "COUNT", "count", NULL, true },
		{ "DESCRIPTION", "description", NULL, false },
	};
	const json_t *reasons = json_object_get(res, "reasons");
	const json_t *missed = json_object_get(res, "rx_missed");
	bool all = cli_opt_is_set(cli, "all");
	json_int_t total;
	json_t *rows;
	const char *port;
	const json_t *n;

	if (!json_is_array(reasons))
		return out_bad_answer(cli, "an object with a reasons array");
	total = drops_total(res, reasons);
	if (total == 0 && !all) {
		printf("no drops\n");
	} else {
		rows = drops_rows(reasons, all);
		table_print(rows, cols, ARRAY_SIZE(cols), "no drop reasons");
		printf("total %" JSON_INTEGER_FORMAT "\n", total);
		json_decref(rows);
	}
	// Before vnetd: the device's RX ring was full (the worker was late).
	json_object_foreach((json_t *)missed, port, n)
		printf("missed by port %s before vnetd (its receive ring was full): %" JSON_INTEGER_FORMAT
		       "\n", port, json_integer_value(n));
	return CLI_OK;
}

static int drops_run(struct cli *cli);

static struct cli_cmd drops_cmd = {
	.module = "dataplane",
	.name = "drops",
	.synopsis = "[--all] [--port P] [--watch] [--write OUT.pcapng] [--json]",
	.help = "dropped packets by reason and port; the recent ones themselves with --write",
	.opts = (const struct cli_opt[]){
		{ "all", NULL, "also list the reasons (and ports) that count zero" },
		{ "port", "P", "only port P's drops (in at P, or on the way out to P with --write)" },
		{ "watch", NULL, "print what changed every second, with the deltas, until interrupted" },
		{ "write", "OUT.pcapng", "write the recent dropped packets (the last 4 per reason, "
		  "their first 128 bytes), each with its reason, port and tenant as a comment" },
		{ NULL },
	},
	.method = "drops",
	.run = drops_run,
};
VNETCTL_COMMAND_REGISTER(drops_cmd);

// ---- apply ----

static int apply_params(struct cli *cli, json_t **params) {
	return cli_json_object_file(cli, cli->args[0], "a rules document", params);
}

static int apply_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "revision", "revision", NULL, false },
		{ "generation", "generation", NULL, false },
	};
	char rev[CELL_SIZE], gen[CELL_SIZE];

	if (!json_is_object(res))
		return out_bad_answer(cli, "an object");
	cell_format(&cols[0], res, rev, sizeof(rev));
	cell_format(&cols[1], res, gen, sizeof(gen));
	printf("applied revision %s as generation %s\n", rev, gen);
	return CLI_OK;
}

static struct cli_cmd apply_cmd = {
	.module = "dataplane",
	.name = "apply",
	.synopsis = "FILE [--json]",
	.help = "apply a rules document (FILE '-' reads stdin)",
	.args = (const struct cli_opt[]){
		{ "FILE", NULL, "the rules document (docs/rules-schema.md); '-' reads standard input" },
		{ NULL },
	},
	.method = "apply",
	.params = apply_params,
	.print = apply_print,
};
VNETCTL_COMMAND_REGISTER(apply_cmd);

// ---- trace ----

// What trace's params() tells its print().
struct trace_req {
	size_t frame_len; // bytes sent
};

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

// --index N: a packet number of at most 9 digits.
static int trace_index_check(const struct cli *cli, const char *arg) {
	char *end;

	errno = 0;
	(void)strtoul(arg, &end, 10);
	if (errno || end == arg || *end != '\0' || arg[0] == '-' || strlen(arg) > 9)
		return cli_usage_error(cli, "--index: not a packet number: '%s'", arg);
	return CLI_OK;
}

// Read packet `index` of `pcap`. Returns its length, or a negative errno once explained.
static int trace_pcap_read(const struct cli *cli, const char *pcap, unsigned int index,
			   uint8_t *buf, size_t size) {
	int len = pcap_file_read_one(pcap, index, buf, size);

	if (len >= 0)
		return len;
	if (len == -ENOENT && access(pcap, F_OK) == 0)
		cli_error(cli, "%s: no packet %u (packets are numbered from 0)", pcap, index);
	else if (len == -EINVAL)
		cli_error(cli, "%s: not a pcap or pcapng file, or truncated", pcap);
	else if (len == -EPROTONOSUPPORT)
		cli_error(cli, "%s: link type is not Ethernet", pcap);
	else if (len == -EMSGSIZE)
		cli_error(cli, "%s: packet %u is longer than %d bytes", pcap, index,
			  TRACE_MAX_FRAME);
	else
		cli_error(cli, "%s: %s", pcap, strerror(-len));
	return len;
}

static int trace_params(struct cli *cli, json_t **params) {
	static struct trace_req req;
	const char *port = cli_opt_value(cli, "port"), *pcap = cli_opt_value(cli, "pcap");
	const char *hex_arg = cli_opt_value(cli, "hex"), *index = cli_opt_value(cli, "index");
	uint8_t frame[TRACE_MAX_FRAME];
	char hex[2 * TRACE_MAX_FRAME + 1];
	int len;

	if (port == NULL)
		return cli_usage_error(cli, "--port is required");
	if ((pcap != NULL) + (hex_arg != NULL) + (cli->n_args > 0) != 1)
		return cli_usage_error(cli, "give exactly one of --pcap, --hex and the packet in words");
	if (cli->n_args > 0) { // vnetd builds the frame from the words and its rules
		char words[4096];
		size_t used = 0;
		for (int i = 0; i < cli->n_args; i++) {
			int n = snprintf(words + used, sizeof(words) - used, "%s%s", i ? " " : "",
					 cli->args[i]);
			if (n < 0 || (size_t)n >= sizeof(words) - used)
				return cli_usage_error(cli, "the words: longer than %zu characters",
						       sizeof(words) - 1);
			used += (size_t)n;
		}
		req.frame_len = 0;
		cli->data = &req;
		*params = json_pack("{s:s, s:s}", "port", port, "describe", words);
		return *params ? CLI_OK : cli_usage_error(cli, "not valid UTF-8");
	}
	if (index != NULL && pcap == NULL)
		return cli_usage_error(cli, "--index goes with --pcap");
	if (pcap != NULL) {
		len = trace_pcap_read(cli, pcap, index ? (unsigned int)strtoul(index, NULL, 10) : 0,
				      frame, sizeof(frame));
		if (len < 0)
			return CLI_USAGE;
	} else {
		len = hex_decode(hex_arg, frame, sizeof(frame));
		if (len == -EMSGSIZE)
			return cli_error(cli, "--hex: frame longer than %d bytes", TRACE_MAX_FRAME);
		if (len < 0)
			return cli_error(cli, "--hex: not a frame in hex (an even number of "
					 "digits; ':' '-' '.' and blanks may separate bytes)");
	}
	for (int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", frame[i]);
	hex[2 * len] = '\0';
	req.frame_len = (size_t)len;
	cli->data = &req;
	*params = json_pack("{s:s, s:s}", "port", port, "packet", hex);
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
	char drop[CELL_SIZE];

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
	char buf[CELL_SIZE];
	const json_t *d;
	size_t i;

	if (action != NULL && strcmp(action, "tx") == 0) {
		cell_join(json_object_get(v, "ports"), ", ", buf, sizeof(buf));
		printf("verdict: tx%s%s\n", buf[0] == '-' ? "" : " to ", buf[0] == '-' ? "" : buf);
	} else if (action != NULL && strcmp(action, "drop") == 0) {
		trace_drop_format(v, "reason", "description", buf, sizeof(buf));
		printf("verdict: %s\n", buf);
	} else if (action != NULL && strcmp(action, "mixed") == 0) {
		printf("verdict: mixed\n");
		cell_join(json_object_get(v, "tx"), ", ", buf, sizeof(buf));
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

static const char *trace_port_shown; // --follow: the port of the hop being printed

static int trace_print(const struct cli *cli, const json_t *res) {
	const struct trace_req *req = cli->data;
	const json_t *records = json_object_get(res, "records"), *rec;
	char id[CELL_SIZE];
	int w_node = 4, w_next = 4;
	size_t i;

	if (!json_is_array(records))
		return out_bad_answer(cli, "an object with a records array");
	json_array_foreach(records, i, rec) {
		const char *node = json_str(rec, "node");
		int n = node ? (int)strlen(node) : 1, t = (int)strlen(trace_record_target(rec));

		w_node = n > w_node ? n : w_node;
		w_next = t > w_next ? t : w_next;
	}
	cell_auto(json_object_get(res, "trace_id"), id, sizeof(id));
	printf("trace %s: %zu-byte frame in at %s (synthetic: nothing learned or sent)\n", id,
	       req->frame_len != 0 ? req->frame_len
				   : (size_t)json_integer_value(json_object_get(res, "frame_len")),
	       trace_port_shown != NULL ? trace_port_shown : cli_opt_value(cli, "port"));
	// The rules the walk ran on: what a controller's revision or an agent's report is matched to.
	printf("rules revision %lld (generation %lld)\n",
	       (long long)json_integer_value(json_object_get(res, "revision")),
	       (long long)json_integer_value(json_object_get(res, "generation")));
	json_array_foreach(records, i, rec)
		trace_record_print(i + 1, rec, w_node, w_next);
	if (json_array_size(records) == 0)
		printf("  (no trace records)\n");
	trace_verdict_print(json_object_get(res, "verdict"));
	return CLI_OK;
}

static int trace_run(struct cli *cli);

static struct cli_cmd trace_cmd = {
	.module = "dataplane",
	.name = "trace",
	.synopsis = "--port NAME (--pcap FILE [--index N] | --hex HEX | WORDS...) [--follow --peer HOST=SOCKET,...] [--json]",
	.help = "show the path of one frame through the graph, without sending it",
	.opts = (const struct cli_opt[]){
		{ "port", "NAME", "the port the frame comes in at (required)" },
		{ "pcap", "FILE", "take the frame from a pcap or pcapng file" },
		{ "index", "N", "with --pcap: which packet, numbered from 0 (default 0)",
		  trace_index_check },
		{ "hex", "HEX", "give the frame in hex (':' '-' '.' and blanks may separate bytes)" },
		{ "follow", NULL, "when the frame leaves in VXLAN, trace it on to the host of its VTEP "
		  "(through --peer), and on from there" },
		{ "peer", "HOST=SOCKET,...", "the control sockets of other hosts' vnetd, by host name "
		  "(the rules' remote_ports name them) or VTEP address" },
		{ NULL },
	},
	.rest = &(const struct cli_opt){ "WORDS", NULL, "the packet in words, vnetd fills in the "
		"rest: from 10.1.0.11 to 10.2.0.7 tcp dport 80 syn (docs/vnetctl.md)" },
	.method = "trace",
	.run = trace_run,
};
VNETCTL_COMMAND_REGISTER(trace_cmd);

// ---- trace live ---------------------------------------------------------------------------------

#define LIVE_PACKETS_MAX 1000 // vnetd's LIVE_TRACE_COUNT_MAX

struct live_pkt {
	uint8_t *frame;
	size_t caplen, len;
	double t_us;
	char port[64], verdict[160];
};

struct live_ctx {
	const struct cli *cli;
	struct live_pkt pkts[LIVE_PACKETS_MAX];
	double wall0; // seconds since the epoch when the stream began
};

static int live_event(void *arg, const char *method, const json_t *p) {
	struct live_ctx *x = arg;
	json_int_t k = json_integer_value(json_object_get(p, "packet"));
	double t = json_real_value(json_object_get(p, "t_us")) / 1000.0;
	struct live_pkt *lp = k >= 1 && k <= LIVE_PACKETS_MAX ? &x->pkts[k - 1] : NULL;
	const char *hex = json_str(p, "frame");

	(void)method;
	if (x->cli->json) {
		char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text != NULL ? text : "{}");
		free(text);
	}
	if (json_is_true(json_object_get(p, "armed"))) {
		if (!x->cli->json)
			printf("armed: waiting for packets\n");
		fflush(stdout);
		return CLI_OK;
	}
	if (hex != NULL) { // a packet's start: kept for --write
		if (lp != NULL && lp->frame == NULL) {
			size_t n = strlen(hex) / 2;
			lp->frame = malloc(n > 0 ? n : 1);
			if (lp->frame != NULL && hex_decode(hex, lp->frame, n) == (int)n) {
				lp->caplen = n;
				lp->len = (size_t)json_integer_value(json_object_get(p, "len"));
				lp->t_us = json_real_value(json_object_get(p, "t_us"));
				snprintf(lp->port, sizeof(lp->port), "%s", json_str(p, "in_port") ?: "-");
			}
		}
		if (!x->cli->json)
			printf("#%-3lld %+10.3f ms  %lld-byte packet in at %s\n", (long long)k, t,
			       (long long)json_integer_value(json_object_get(p, "len")),
			       json_str(p, "in_port") ?: "-");
	} else {
		const char *node = json_str(p, "node"), *fields = json_str(p, "fields");
		if (!x->cli->json) {
			printf("#%-3lld %+10.3f ms  %-16s -> %-16s %s\n", (long long)k, t, node ?: "-",
			       trace_record_target(p), fields ?: "");
			if (json_str(p, "drop_reason") != NULL) {
				char drop[CELL_SIZE];
				trace_drop_format(p, "drop_reason", "drop_description", drop, sizeof(drop));
				printf("%*s%s\n", 20, "", drop);
			}
		}
		if (lp != NULL && json_str(p, "drop_reason") != NULL)
			snprintf(lp->verdict, sizeof(lp->verdict), "drop %s at %s", json_str(p, "drop_reason"),
				 node ?: "-");
		else if (lp != NULL && json_str(p, "verdict") != NULL &&
			 strcmp(json_str(p, "verdict"), "tx") == 0)
			snprintf(lp->verdict, sizeof(lp->verdict), "tx to %s", json_str(p, "out_port") ?: "-");
	}
	fflush(stdout);
	return CLI_OK;
}

// pcapng (https://www.ietf.org/archive/id/draft-tuexen-opsawg-pcapng-05.html): a section header,
// one Ethernet interface, an enhanced packet block per packet with its port and verdict as the
// packet's comment. Written here: DPDK 22.11's rte_pcapng describes ethdev ports only and has no
// per-packet comments, and vnetctl does not link DPDK.
static int pcapng_block(FILE *f, uint32_t type, const void *body, size_t n) {
	uint32_t len = (uint32_t)(12 + ((n + 3) & ~(size_t)3));
	static const uint8_t pad[4];

	return fwrite(&type, 4, 1, f) == 1 && fwrite(&len, 4, 1, f) == 1 &&
			       fwrite(body, 1, n, f) == n && fwrite(pad, 1, ((n + 3) & ~(size_t)3) - n, f) ==
			       ((n + 3) & ~(size_t)3) - n && fwrite(&len, 4, 1, f) == 1
		       ? 0 : -1;
}

struct pcapng_pkt {
	const uint8_t *frame;
	size_t caplen, len;
	uint64_t ts_us; // since the epoch
	const char *comment;
};

// Write pkts[0..n) to `path` as pcapng. The number written, or -1 (errno).
static int pcapng_write(const char *path, const struct pcapng_pkt *pkts, int n) {
	FILE *f = fopen(path, "wb");
	uint8_t shb[16] = {0}, idb[8] = {0};
	uint32_t magic = 0x1A2B3C4D, snap = 65535;
	uint16_t v1 = 1, v0 = 0, link = 1; // LINKTYPE_ETHERNET
	int64_t unknown = -1;
	int written = 0;

	if (f == NULL)
		return -1;
	memcpy(shb, &magic, 4);
	memcpy(shb + 4, &v1, 2);
	memcpy(shb + 6, &v0, 2);
	memcpy(shb + 8, &unknown, 8);
	memcpy(idb, &link, 2);
	memcpy(idb + 4, &snap, 4);
	if (pcapng_block(f, 0x0A0D0D0A, shb, sizeof(shb)) < 0 || pcapng_block(f, 1, idb, sizeof(idb)) < 0) {
		fclose(f);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const struct pcapng_pkt *p = &pkts[i];
		size_t cl = p->comment != NULL ? strlen(p->comment) : 0, pad = (p->caplen + 3) & ~(size_t)3;
		size_t n_b = 20 + pad + (cl > 0 ? 4 + ((cl + 3) & ~(size_t)3) + 4 : 0);
		uint8_t *b = calloc(1, n_b);
		uint32_t w[5] = {0, (uint32_t)(p->ts_us >> 32), (uint32_t)p->ts_us, (uint32_t)p->caplen,
				 (uint32_t)p->len};
		uint16_t code = 1, olen = (uint16_t)cl; // opt_comment, then opt_endofopt (zeros)
		if (b == NULL)
			break;
		memcpy(b, w, 20);
		memcpy(b + 20, p->frame, p->caplen);
		if (cl > 0) {
			memcpy(b + 20 + pad, &code, 2);
			memcpy(b + 22 + pad, &olen, 2);
			memcpy(b + 24 + pad, p->comment, cl);
		}
		if (pcapng_block(f, 6, b, n_b) < 0) {
			free(b);
			fclose(f);
			return -1;
		}
		free(b);
		written++;
	}
	return fclose(f) == 0 ? written : -1;
}

static int live_write(const struct live_ctx *x, const char *path) {
	struct pcapng_pkt *pk = calloc(LIVE_PACKETS_MAX, sizeof(*pk));
	char (*comments)[256] = calloc(LIVE_PACKETS_MAX, 256);
	int n = 0, ret;

	if (pk == NULL || comments == NULL) {
		free(pk);
		free(comments);
		errno = ENOMEM;
		return -1;
	}
	for (int i = 0; i < LIVE_PACKETS_MAX; i++) {
		const struct live_pkt *lp = &x->pkts[i];
		if (lp->frame == NULL)
			continue;
		snprintf(comments[n], 256, "vnet live trace: packet %d in at %s, %s", i + 1, lp->port,
			 lp->verdict[0] ? lp->verdict : "no verdict recorded");
		pk[n] = (struct pcapng_pkt){lp->frame, lp->caplen, lp->len,
					    (uint64_t)(x->wall0 * 1e6 + lp->t_us), comments[n]};
		n++;
	}
	ret = pcapng_write(path, pk, n);
	free(pk);
	free(comments);
	return ret;
}

static int live_run(struct cli *cli) {
	const char *port = cli_opt_value(cli, "port"), *filter = cli_opt_value(cli, "filter");
	const char *count = cli_opt_value(cli, "count"), *timeout = cli_opt_value(cli, "timeout");
	const char *out = cli_opt_value(cli, "write");
	struct live_ctx *x = calloc(1, sizeof(*x));
	struct rpc_stream st = {.on_event = live_event, .ctx = x};
	json_t *params, *res = NULL;
	struct timespec now;
	long n = 10, t = 10;
	char *end = NULL;
	int ret;

	if (x == NULL)
		return cli_error(cli, "out of memory");
	x->cli = cli;
	if (port == NULL)
		return free(x), cli_usage_error(cli, "--port is required");
	if (count != NULL && ((n = strtol(count, &end, 10)) < 1 || n > LIVE_PACKETS_MAX || *end != '\0'))
		return free(x), cli_usage_error(cli, "--count: 1 to %d", LIVE_PACKETS_MAX);
	if (timeout != NULL && ((t = strtol(timeout, &end, 10)) < 1 || t > 3600 || *end != '\0'))
		return free(x), cli_usage_error(cli, "--timeout: 1 to 3600 seconds");
	params = json_pack("{sssIsI}", "port", port, "count", (json_int_t)n, "timeout_s", (json_int_t)t);
	if (filter != NULL)
		json_object_set_new(params, "filter", json_string(filter));
	clock_gettime(CLOCK_REALTIME, &now);
	x->wall0 = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (!cli->json)
		printf("live trace at %s%s%s%s: the next %ld packets, for at most %ld s\n", port,
		       filter ? " (filter \"" : "", filter ? filter : "", filter ? "\")" : "", n, t);
	st.idle_timeout_ms = (int)(t + 5) * 1000;
	ret = rpc_stream(cli->socket_path, "trace.live", params, &st, &res);
	if (ret == CLI_OK && !cli->json)
		printf("%lld packets traced, %lld records%s\n",
		       json_integer_value(json_object_get(res, "packets")),
		       json_integer_value(json_object_get(res, "records")),
		       json_is_true(json_object_get(res, "timed_out")) ? " (timed out)" : "");
	if (ret == CLI_OK && out != NULL) {
		int w = live_write(x, out);
		if (w < 0)
			ret = cli_error(cli, "--write %s: %s", out, strerror(errno));
		else if (!cli->json)
			printf("%d packets written to %s\n", w, out);
	}
	json_decref(res);
	for (int i = 0; i < LIVE_PACKETS_MAX; i++)
		free(x->pkts[i].frame);
	free(x);
	return ret;
}

static struct cli_cmd trace_live_cmd = {
	.module = "dataplane",
	.name = "trace live",
	.synopsis = "--port NAME [--filter EXPR] [--count N] [--timeout S] [--write OUT.pcapng] [--json]",
	.help = "trace the next real packets at a port that match a filter, as they go",
	.opts = (const struct cli_opt[]){
		{ "port", "NAME", "the port the packets come in at (required)" },
		{ "filter", "EXPR", "a tcpdump filter expression (pcap-filter(7)); default: every packet" },
		{ "count", "N", "how many packets (1 to 1000, default 10)" },
		{ "timeout", "S", "stop after S seconds (1 to 3600, default 10)" },
		{ "write", "OUT.pcapng", "write the packets (their first 1,536 bytes), each with its port "
		  "and verdict as a comment" },
		{ NULL },
	},
	.method = "trace.live",
	.run = live_run,
};
VNETCTL_COMMAND_REGISTER(trace_live_cmd);

// ---- drops --port, --watch, --write --------------------------------------------------------------

// Keep port P's part of a `drops` answer: each reason's count becomes P's.
static void drops_only_port(json_t *res, const char *port) {
	const json_t *r;
	json_int_t total = 0;
	size_t i;

	json_array_foreach(json_object_get(res, "reasons"), i, r) {
		json_int_t n = json_integer_value(json_object_get(json_object_get(r, "ports"), port));
		json_t *ports = json_object();
		if (n > 0)
			json_object_set_new(ports, port, json_integer(n));
		json_object_set_new((json_t *)r, "ports", ports);
		json_object_set_new((json_t *)r, "count", json_integer(n));
		total += n;
	}
	json_object_set_new(res, "total", json_integer(total));
	if (json_object_get(json_object_get(res, "rx_missed"), port) != NULL) {
		json_t *m = json_pack("{sO}", port, json_object_get(json_object_get(res, "rx_missed"), port));
		json_object_set_new(res, "rx_missed", m);
	} else {
		json_object_set_new(res, "rx_missed", json_object());
	}
}

static volatile sig_atomic_t drops_stop;
static void drops_on_signal(int sig) {
	(void)sig;
	drops_stop = 1;
}

static int drops_watch(struct cli *cli, const char *port) {
	json_t *prev = NULL;

	signal(SIGINT, drops_on_signal);
	signal(SIGTERM, drops_on_signal);
	while (!drops_stop) {
		json_t *res = NULL;
		const json_t *r;
		size_t i;
		int ret = rpc_call(cli->socket_path, "drops", NULL, &res);
		time_t now = time(NULL);
		char ts[16];
		if (ret != CLI_OK) {
			json_decref(prev);
			return ret;
		}
		if (port != NULL)
			drops_only_port(res, port);
		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		json_array_foreach(json_object_get(res, "reasons"), i, r) {
			const json_t *pr = json_array_get(json_object_get(prev, "reasons"), i), *n;
			const char *p;
			json_object_foreach((json_t *)json_object_get(r, "ports"), p, n) {
				json_int_t before = json_integer_value(json_object_get(json_object_get(pr, "ports"), p));
				json_int_t d = json_integer_value(n) - before;
				if (prev == NULL || d == 0)
					continue;
				if (cli->json)
					printf("{\"time\": \"%s\", \"reason\": \"%s\", \"port\": \"%s\", \"delta\": %"
					       JSON_INTEGER_FORMAT ", \"count\": %" JSON_INTEGER_FORMAT "}\n", ts,
					       json_str(r, "reason"), p, d, json_integer_value(n));
				else
					printf("%s  %-24s %-16s +%-8" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
					       " in all)  %s\n", ts, json_str(r, "reason"), p, d,
					       json_integer_value(n), json_str(r, "description") ?: "");
			}
		}
		if (prev == NULL && !cli->json)
			printf("%s  watching the drop counters%s%s (%" JSON_INTEGER_FORMAT " so far); "
			       "changes every second, Ctrl-C to stop\n", ts, port ? " of port " : "",
			       port ? port : "", json_integer_value(json_object_get(res, "total")));
		fflush(stdout);
		json_decref(prev);
		prev = res;
		for (int k = 0; k < 10 && !drops_stop; k++)
			usleep(100000);
	}
	json_decref(prev);
	return CLI_OK;
}

static int drops_write(struct cli *cli, const char *port, const char *path) {
	json_t *params = json_object(), *res = NULL;
	const json_t *smp, *x;
	struct pcapng_pkt *pk;
	char (*comments)[320];
	uint8_t (*frames)[128];
	struct timespec now;
	size_t i, n;
	int ret, w;

	if (port != NULL)
		json_object_set_new(params, "port", json_string(port));
	ret = rpc_call(cli->socket_path, "drops.recent", params, &res);
	if (ret != CLI_OK)
		return ret;
	smp = json_object_get(res, "samples");
	n = json_array_size(smp);
	pk = calloc(n + 1, sizeof(*pk));
	comments = calloc(n + 1, sizeof(*comments));
	frames = calloc(n + 1, sizeof(*frames));
	if (pk == NULL || comments == NULL || frames == NULL) {
		free(pk);
		free(comments);
		free(frames);
		json_decref(res);
		return cli_error(cli, "out of memory");
	}
	clock_gettime(CLOCK_REALTIME, &now);
	json_array_foreach(smp, i, x) {
		const char *hex = json_str(x, "frame") ?: "";
		int len = hex_decode(hex, frames[i], sizeof(frames[i]));
		double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9 -
			   json_real_value(json_object_get(x, "age_s"));
		snprintf(comments[i], sizeof(comments[i]), "vnet drop: %s (%s); in at %s%s%s%s%s",
			 json_str(x, "reason") ?: "-", json_str(x, "description") ?: "",
			 json_str(x, "in_port") ?: "-", json_str(x, "out_port") ? ", out to " : "",
			 json_str(x, "out_port") ?: "", json_str(x, "tenant") ? "; tenant " : "",
			 json_str(x, "tenant") ?: "");
		pk[i] = (struct pcapng_pkt){frames[i], len > 0 ? (size_t)len : 0,
					    (size_t)json_integer_value(json_object_get(x, "len")),
					    (uint64_t)(t * 1e6), comments[i]};
		if (cli->json) {
			char *text = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
			printf("%s\n", text ?: "{}");
			free(text);
		} else {
			printf("%8.1f s ago  %-20s in at %-12s %5lld bytes  %s\n",
			       json_real_value(json_object_get(x, "age_s")), json_str(x, "reason") ?: "-",
			       json_str(x, "in_port") ?: "-",
			       (long long)json_integer_value(json_object_get(x, "len")),
			       json_str(x, "tenant") ? json_str(x, "tenant") : "");
		}
	}
	w = pcapng_write(path, pk, (int)n);
	if (w < 0)
		ret = cli_error(cli, "--write %s: %s", path, strerror(errno));
	else if (!cli->json)
		printf("%d recent drops written to %s (%lld sampled, %lld not: over %d a second)\n", w,
		       path, json_integer_value(json_object_get(res, "sampled")),
		       json_integer_value(json_object_get(res, "skipped")), 200);
	free(pk);
	free(comments);
	free(frames);
	json_decref(res);
	return ret;
}

static int drops_run(struct cli *cli) {
	const char *port = cli_opt_value(cli, "port"), *out = cli_opt_value(cli, "write");
	json_t *res = NULL;
	int ret;

	if (out != NULL && cli_opt_is_set(cli, "watch"))
		return cli_usage_error(cli, "--watch and --write do not go together");
	if (out != NULL)
		return drops_write(cli, port, out);
	if (cli_opt_is_set(cli, "watch"))
		return drops_watch(cli, port);
	ret = rpc_call(cli->socket_path, "drops", NULL, &res);
	if (ret != CLI_OK)
		return ret;
	if (port != NULL)
		drops_only_port(res, port);
	if (cli->json) {
		char *text = json_dumps(res, JSON_INDENT(2));
		printf("%s\n", text ?: "{}");
		free(text);
	} else {
		ret = drops_print(cli, res);
	}
	json_decref(res);
	return ret;
}

// ---- capture ------------------------------------------------------------------------------------

struct cap_ctx {
	const struct cli *cli;
	struct pcapng_pkt *pkts;
	char (*comments)[96];
	uint8_t (*frames)[1536];
	int n, max;
	double wall0;
};

static int cap_event(void *arg, const char *method, const json_t *p) {
	struct cap_ctx *x = arg;
	const char *hex = json_str(p, "frame");
	int len;

	(void)method;
	if (json_is_true(json_object_get(p, "armed"))) {
		if (!x->cli->json)
			printf("armed: capturing\n");
		fflush(stdout);
		return CLI_OK;
	}
	if (hex == NULL || x->n >= x->max)
		return CLI_OK;
	len = hex_decode(hex, x->frames[x->n], sizeof(x->frames[0]));
	snprintf(x->comments[x->n], sizeof(x->comments[0]), "%s at %s",
		 json_str(p, "direction") ?: "-", json_str(p, "in_port") ?: "-");
	x->pkts[x->n] = (struct pcapng_pkt){x->frames[x->n], len > 0 ? (size_t)len : 0,
					    (size_t)json_integer_value(json_object_get(p, "len")),
					    (uint64_t)(x->wall0 * 1e6 + json_real_value(json_object_get(p, "t_us"))),
					    x->comments[x->n]};
	x->n++;
	if (x->cli->json) {
		char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text ?: "{}");
		free(text);
	} else {
		printf("#%-5lld %+10.3f ms  %-3s %5lld bytes\n",
		       (long long)json_integer_value(json_object_get(p, "packet")),
		       json_real_value(json_object_get(p, "t_us")) / 1000.0, json_str(p, "direction") ?: "-",
		       (long long)json_integer_value(json_object_get(p, "len")));
	}
	fflush(stdout);
	return CLI_OK;
}

static int capture_run(struct cli *cli) {
	const char *port = cli_opt_value(cli, "port"), *filter = cli_opt_value(cli, "filter");
	const char *count = cli_opt_value(cli, "count"), *timeout = cli_opt_value(cli, "timeout");
	const char *dir = cli_opt_value(cli, "direction"), *out = cli_opt_value(cli, "write");
	struct cap_ctx x = {.cli = cli};
	struct rpc_stream st = {.on_event = cap_event, .ctx = &x};
	json_t *params, *res = NULL;
	struct timespec now;
	long n = 100, t = 10;
	char *end = NULL;
	int ret, w;

	if (port == NULL || out == NULL)
		return cli_usage_error(cli, "--port and --write are required");
	if (count != NULL && ((n = strtol(count, &end, 10)) < 1 || n > 100000 || *end != '\0'))
		return cli_usage_error(cli, "--count: 1 to 100000");
	if (timeout != NULL && ((t = strtol(timeout, &end, 10)) < 1 || t > 3600 || *end != '\0'))
		return cli_usage_error(cli, "--timeout: 1 to 3600 seconds");
	if (dir != NULL && strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0 && strcmp(dir, "both") != 0)
		return cli_usage_error(cli, "--direction: in, out or both");
	x.max = (int)n;
	x.pkts = calloc((size_t)n, sizeof(*x.pkts));
	x.comments = calloc((size_t)n, sizeof(*x.comments));
	x.frames = calloc((size_t)n, sizeof(*x.frames));
	if (x.pkts == NULL || x.comments == NULL || x.frames == NULL) {
		free(x.pkts);
		free(x.comments);
		free(x.frames);
		return cli_error(cli, "out of memory");
	}
	params = json_pack("{sssIsIss}", "port", port, "count", (json_int_t)n, "timeout_s",
			   (json_int_t)t, "direction", dir ? dir : "both");
	if (filter != NULL)
		json_object_set_new(params, "filter", json_string(filter));
	clock_gettime(CLOCK_REALTIME, &now);
	x.wall0 = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	st.idle_timeout_ms = (int)(t + 5) * 1000;
	ret = rpc_stream(cli->socket_path, "capture", params, &st, &res);
	if (ret == CLI_OK) {
		w = pcapng_write(out, x.pkts, x.n);
		if (w < 0)
			ret = cli_error(cli, "--write %s: %s", out, strerror(errno));
		else if (!cli->json)
			printf("%d packets written to %s (first 1,536 bytes each)%s; %lld lost to a "
			       "full capture ring\n", w, out,
			       json_is_true(json_object_get(res, "timed_out")) ? ", timed out" : "",
			       json_integer_value(json_object_get(res, "lost")));
	}
	json_decref(res);
	free(x.pkts);
	free(x.comments);
	free(x.frames);
	return ret;
}

static struct cli_cmd capture_cmd = {
	.module = "dataplane",
	.name = "capture",
	.synopsis = "--port NAME [--filter EXPR] [--direction in|out|both] [--count N] [--timeout S] "
		    "--write OUT.pcapng [--json]",
	.help = "capture what a port (a vNIC or the underlay) receives and sends, from vnetd",
	.opts = (const struct cli_opt[]){
		{ "port", "NAME", "the port (required)" },
		{ "filter", "EXPR", "a tcpdump filter expression (pcap-filter(7))" },
		{ "direction", "DIR", "in (what it receives), out (what vnetd sends it) or both "
		  "(default)" },
		{ "count", "N", "how many packets (1 to 100000, default 100)" },
		{ "timeout", "S", "stop after S seconds (1 to 3600, default 10)" },
		{ "write", "OUT.pcapng", "the file (required): each packet's first 1,536 bytes, its "
		  "direction and port as a comment" },
		{ NULL },
	},
	.method = "capture",
	.run = capture_run,
};
VNETCTL_COMMAND_REGISTER(capture_cmd);

// ---- trace --follow ------------------------------------------------------------------------------

#define TRACE_HOPS_MAX 4 // hosts one --follow goes through

// The VTEP a frame in VXLAN goes to (its outer IPv4 destination) and the host the rules of
// `sock`'s vnetd name for it ("" if none). False if `hex` is not IPv4 in Ethernet.
static bool vxlan_dest(const char *sock, const char *hex, char vtep[16], char host[64]) {
	uint8_t f[64];
	json_t *res = NULL;
	const json_t *rp;
	size_t i;

	host[0] = '\0';
	{ // its first 34 bytes: Ethernet and IPv4 up to the destination
		char start[69];
		if (hex == NULL || strlen(hex) < 68)
			return false;
		memcpy(start, hex, 68);
		start[68] = '\0';
		if (hex_decode(start, f, sizeof(f)) != 34)
			return false;
	}
	if (f[12] != 0x08 || f[13] != 0x00)
		return false;
	snprintf(vtep, 16, "%u.%u.%u.%u", f[30], f[31], f[32], f[33]);
	if (rpc_call(sock, "rules.get", NULL, &res) == CLI_OK)
		json_array_foreach(json_object_get(json_object_get(res, "document"), "remote_ports"), i, rp)
			if (json_str(rp, "vtep") != NULL && strcmp(json_str(rp, "vtep"), vtep) == 0 &&
			    json_str(rp, "host") != NULL) {
				snprintf(host, 64, "%s", json_str(rp, "host"));
				break;
			}
	json_decref(res);
	return true;
}

// The socket --peer gives for `host` or `vtep`, or NULL.
static const char *peer_socket(const char *peers, const char *host, const char *vtep, char *buf,
			       size_t size) {
	char list[1024], *save = NULL, *item;

	snprintf(list, sizeof(list), "%s", peers ? peers : "");
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if ((host[0] != '\0' && strcmp(item, host) == 0) || strcmp(item, vtep) == 0) {
			snprintf(buf, size, "%s", eq + 1);
			return buf;
		}
	}
	return NULL;
}

static int trace_run(struct cli *cli) {
	const char *peers = cli_opt_value(cli, "peer"), *sock = cli->socket_path;
	bool follow = cli_opt_is_set(cli, "follow");
	json_t *params = NULL, *res = NULL, *hops = json_array();
	char where[64] = "", psock[512];
	int ret, hop;

	if (peers != NULL && !follow)
		return json_decref(hops), cli_usage_error(cli, "--peer goes with --follow");
	ret = trace_params(cli, &params);
	if (ret != CLI_OK)
		return json_decref(hops), ret;
	for (hop = 0; hop < TRACE_HOPS_MAX; hop++) {
		const json_t *of;
		const char *under = NULL;
		char vtep[16], host[64];
		size_t i;
		ret = rpc_call(sock, "trace", params, &res);
		params = NULL;
		if (ret != CLI_OK)
			break;
		if (cli->json)
			json_array_append_new(hops, json_pack("{sssO}", "host", hop ? where : "(here)",
							      "trace", res));
		else {
			if (hop > 0)
				printf("\non %s (%s), in at its underlay:\n", where, psock);
			trace_print(cli, res);
		}
		json_array_foreach(json_object_get(res, "out_frames"), i, of)
			if (json_str(of, "port") != NULL && strcmp(json_str(of, "port"), "underlay") == 0)
				under = json_str(of, "frame");
		if (under == NULL || !vxlan_dest(sock, under, vtep, host)) {
			json_decref(res);
			res = NULL;
			break;
		}
		if (!cli->json)
			printf("leaves in VXLAN to VTEP %s%s%s%s\n", vtep, host[0] ? " (host " : "", host,
			       host[0] ? ")" : "");
		if (!follow) {
			json_decref(res);
			res = NULL;
			break;
		}
		if (peer_socket(peers, host, vtep, psock, sizeof(psock)) == NULL) {
			if (!cli->json)
				printf("--follow: no --peer for %s: add --peer %s=SOCKET\n",
				       host[0] ? host : vtep, host[0] ? host : vtep);
			json_decref(res);
			res = NULL;
			break;
		}
		snprintf(where, sizeof(where), "%s", host[0] ? host : vtep);
		params = json_pack("{ssss}", "port", "underlay", "packet", under);
		json_decref(res);
		res = NULL;
		sock = psock;
		trace_port_shown = "underlay";
		((struct trace_req *)cli->data)->frame_len = 0; // the hop's, from its answer
	}
	json_decref(params);
	if (cli->json && ret == CLI_OK) {
		char *text = json_dumps(follow ? hops : json_object_get(json_array_get(hops, 0), "trace"),
					JSON_INDENT(2));
		printf("%s\n", text ? text : "null");
		free(text);
	}
	json_decref(hops);
	return ret;
}

// ---- trace diff ---------------------------------------------------------------------------------

// The records of `packet` k in a live trace's events, in the order they were made.
static json_t *live_records(const json_t *events, json_int_t k) {
	json_t *out = json_array();
	const json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (json_integer_value(json_object_get(e, "packet")) == k && json_str(e, "node") != NULL)
			json_array_append(out, (json_t *)e);
	return out;
}

static const char *rec_where(const json_t *r) {
	return json_str(r, "drop_reason") ? json_str(r, "drop_reason") : trace_record_target(r);
}

// Compare packet k's real records with a synthetic trace of its frame now. Prints the verdict
// of the comparison; returns 0 (agree), 1 (disagree), 2 (not compared).
static int diff_one(struct cli *cli, const json_t *events, const json_t *start, json_t *out) {
	json_int_t k = json_integer_value(json_object_get(start, "packet"));
	json_t *real = live_records(events, k), *res = NULL, *o = json_object();
	const json_t *syn;
	size_t n_real = json_array_size(real), n_syn, i;
	const char *hex = json_str(start, "frame");
	int verdict = 0;

	json_object_set_new(o, "packet", json_integer(k));
	if (hex == NULL || (json_int_t)(strlen(hex) / 2) < json_integer_value(json_object_get(start, "len"))) {
		json_object_set_new(o, "result", json_string("not compared: only the packet's start was kept"));
		verdict = 2;
		goto done;
	}
	if (rpc_call(cli->socket_path, "trace", json_pack("{ssss}", "port", json_str(start, "in_port"),
							  "packet", hex), &res) != CLI_OK) {
		json_object_set_new(o, "result", json_string("not compared: the synthetic trace failed"));
		verdict = 2;
		goto done;
	}
	syn = json_object_get(res, "records");
	n_syn = json_array_size(syn);
	for (i = 0; i < n_real && i < n_syn; i++) {
		const json_t *a = json_array_get(real, i), *b = json_array_get(syn, i);
		if (strcmp(json_str(a, "node") ?: "", json_str(b, "node") ?: "") != 0 ||
		    strcmp(rec_where(a), rec_where(b)) != 0)
			break;
	}
	if (i < n_real || i < n_syn) {
		const json_t *a = json_array_get(real, i < n_real ? i : n_real - 1);
		const json_t *b = json_array_get(syn, i < n_syn ? i : n_syn - 1);
		char msg[1024];
		json_int_t g_real = json_integer_value(json_object_get(a, "generation"));
		json_int_t g_now = json_integer_value(json_object_get(res, "generation"));
		char ra[300] = "", rb[300] = "";
		if (json_str(a, "fields"))
			snprintf(ra, sizeof(ra), " (%s)", json_str(a, "fields"));
		if (json_str(b, "fields"))
			snprintf(rb, sizeof(rb), " (%s)", json_str(b, "fields"));
		snprintf(msg, sizeof(msg), "first disagreement at %s (record %zu): the real packet went "
			 "to %s%s, the tables now send it to %s%s", json_str(a, "node") ?: "-", i + 1,
			 rec_where(a), ra, rec_where(b), rb);
		if (g_real != g_now) {
			char more[128];
			snprintf(more, sizeof(more), "; the rules changed in between (generation %lld then, %lld now)",
				 (long long)g_real, (long long)g_now);
			strncat(msg, more, sizeof(msg) - strlen(msg) - 1);
		}
		json_object_set_new(o, "result", json_string(msg));
		json_object_set_new(o, "node", json_string(json_str(a, "node") ?: "-"));
		verdict = 1;
	} else {
		char msg[256];
		for (i = 0; i < n_real; i++) { // the same path: the first detail that differs
			const json_t *a = json_array_get(real, i), *b = json_array_get(syn, i);
			if (strcmp(json_str(a, "fields") ?: "", json_str(b, "fields") ?: "") != 0)
				break;
		}
		if (i < n_real)
			snprintf(msg, sizeof(msg), "the same path (%zu nodes, %s); at %s the real packet had "
				 "'%s', now '%s'", n_real, rec_where(json_array_get(real, n_real - 1)),
				 json_str(json_array_get(real, i), "node"),
				 json_str(json_array_get(real, i), "fields") ?: "",
				 json_str(json_array_get(syn, i), "fields") ?: "");
		else
			snprintf(msg, sizeof(msg), "the tables agree with what it did (%zu nodes, %s)", n_real,
				 n_real ? rec_where(json_array_get(real, n_real - 1)) : "-");
		json_object_set_new(o, "result", json_string(msg));
	}
done:
	json_object_set_new(o, "agree", json_boolean(verdict == 0));
	if (!cli->json)
		printf("packet %lld: %s\n", (long long)k, json_str(o, "result"));
	json_array_append_new(out, o);
	json_decref(real);
	json_decref(res);
	return verdict;
}

static int diff_run(struct cli *cli) {
	FILE *f = fopen(cli->args[0], "r");
	json_t *events = json_array(), *out = json_array();
	const json_t *e;
	char *line = NULL;
	size_t cap = 0, i;
	int counts[3] = {0, 0, 0};

	if (f == NULL)
		return json_decref(events), json_decref(out),
		       cli_usage_error(cli, "%s: %s", cli->args[0], strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		if (json_is_object(j) && json_object_get(j, "packet") != NULL)
			json_array_append(events, j);
		json_decref(j);
	}
	free(line);
	fclose(f);
	json_array_foreach(events, i, e)
		if (json_str(e, "frame") != NULL)
			counts[diff_one(cli, events, e, out)]++;
	if (cli->json) {
		char *text = json_dumps(out, JSON_INDENT(2));
		printf("%s\n", text ?: "[]");
		free(text);
	} else {
		printf("%d packets: %d as the tables say now, %d not, %d not compared\n",
		       counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]);
	}
	json_decref(events);
	json_decref(out);
	return counts[0] + counts[1] + counts[2] == 0
		       ? cli_usage_error(cli, "%s: no packets (the output of trace live --json)", cli->args[0])
		       : CLI_OK;
}

static struct cli_cmd trace_diff_cmd = {
	.module = "dataplane",
	.name = "trace diff",
	.synopsis = "FILE [--json]",
	.help = "re-run the packets a live trace caught as synthetic traces now: where they disagree",
	.args = (const struct cli_opt[]){
		{ "FILE", NULL, "the output of `vnetctl trace live --json`" },
		{ NULL },
	},
	.method = "trace",
	.run = diff_run,
};
VNETCTL_COMMAND_REGISTER(trace_diff_cmd);

// ---- show rules ---------------------------------------------------------------------------------

static int show_rules_print(const struct cli *cli, const json_t *res) {
	char *text = json_dumps(json_object_get(res, "document"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	(void)cli;
	printf("# rules revision %lld (generation %lld)\n",
	       (long long)json_integer_value(json_object_get(res, "revision")),
	       (long long)json_integer_value(json_object_get(res, "generation")));
	printf("%s\n", text != NULL ? text : "null");
	free(text);
	return CLI_OK;
}

static struct cli_cmd show_rules_cmd = {
	.module = "dataplane",
	.name = "show rules",
	.synopsis = "[--json]",
	.help = "the rules document vnetd applies (remote_ports name the hosts behind VTEPs)",
	.method = "rules.get",
	.print = show_rules_print,
};
VNETCTL_COMMAND_REGISTER(show_rules_cmd);
