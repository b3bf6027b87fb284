// SPDX-License-Identifier: BSD-3-Clause
// vnetctl commands of the firewall: show conntrack. Linked into vnetctl (not vnetd) from the
// firewall_cli library; they print the result of firewall_ctl.c's method show.conntrack.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnetctl/output.h"
#include "vnetctl/rpc.h"
#include "vnetctl/vnetctl.h"

static int conntrack_params(struct cli *cli, json_t **params) {
	const char *tenant = cli_opt_value(cli, "tenant");
	const char *port = cli_opt_value(cli, "port");
	const char *limit = cli_opt_value(cli, "limit");
	char *end = NULL;
	long n = 0;

	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (*limit == '\0' || *end != '\0' || n < 1 || n > 100000)
			return cli_usage_error(cli, "--limit: a number from 1 to 100000");
	}
	*params = json_object();
	if (tenant != NULL)
		json_object_set_new(*params, "tenant", json_string(tenant));
	if (port != NULL)
		json_object_set_new(*params, "port", json_string(port));
	if (limit != NULL)
		json_object_set_new(*params, "limit", json_integer(n));
	return CLI_OK;
}

static int conntrack_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "TENANT", "tenant", NULL, false },    { "PROTO", "protocol", NULL, false },
		{ "SOURCE", "source", NULL, false },    { "DESTINATION", "destination", NULL, false },
		{ "STATE", "state", NULL, false },      { "EXPIRES", "expires_s", cell_seconds, true },
		{ "ORIGINATOR-RULE", "originator_rule", NULL, false },
		{ "RESPONDER-RULE", "responder_rule", NULL, false },
	};
	int ret = table_result_print(cli, json_object_get(res, "connections"), cols,
				     ARRAY_SIZE(cols), "no connection");

	printf("%lld shown of %lld matching; %lld connections in all",
	       json_integer_value(json_object_get(res, "shown")),
	       json_integer_value(json_object_get(res, "matched")),
	       json_integer_value(json_object_get(res, "total")));
	if (json_object_get(res, "tenant_count") != NULL)
		printf(", %lld of this tenant",
		       json_integer_value(json_object_get(res, "tenant_count")));
	if (json_integer_value(json_object_get(res, "expired")) > 0)
		printf(" (%lld of them expired, not shown, removed as the workers come by)",
		       json_integer_value(json_object_get(res, "expired")));
	printf("\n");
	if (json_object_get(res, "l7_held") != NULL) {
		const json_t *l7 = json_object_get(res, "l7_held");
		printf("L7 inspection: first requests of %lld connections held over %lld segments "
		       "(%lld holding now)\n",
		       json_integer_value(json_object_get(l7, "connections")),
		       json_integer_value(json_object_get(l7, "segments")),
		       json_integer_value(json_object_get(l7, "holding_now")));
	}
	return ret;
}

static struct cli_cmd show_conntrack_cmd = {
	.module = "firewall",
	.name = "show conntrack",
	.synopsis = "[--tenant T] [--port P] [--limit N] [--json]",
	.help = "tracked connections: state, time left, and the rule that allowed each side",
	.opts = (const struct cli_opt[]){
		{ "tenant", "T", "only tenant T's connections" },
		{ "port", "P", "only connections to or from port P's addresses" },
		{ "limit", "N", "show at most N (default 1000, at most 100000)" },
		{ NULL },
	},
	.method = "show.conntrack",
	.params = conntrack_params,
	.print = conntrack_print,
};
VNETCTL_COMMAND_REGISTER(show_conntrack_cmd);

// ---- conntrack export / import ------------------------------------------------------------------

static int export_params(struct cli *cli, json_t **params) {
	const char *port = cli_opt_value(cli, "port");

	if (port == NULL)
		return cli_usage_error(cli, "--port P is required");
	*params = json_pack("{ss}", "port", port);
	return CLI_OK;
}

static int export_print(const struct cli *cli, const json_t *res) {
	char *text = json_dumps(res, JSON_INDENT(1) | JSON_SORT_KEYS);

	(void)cli;
	if (text == NULL)
		return CLI_REMOTE;
	printf("%s\n", text);
	free(text);
	return CLI_OK;
}

static struct cli_cmd ct_export_cmd = {
	.module = "firewall",
	.name = "conntrack export",
	.synopsis = "--port P",
	.help = "port P's connections as a JSON document, for conntrack import on another host",
	.opts = (const struct cli_opt[]){
		{ "port", "P", "the port (required)" },
		{ NULL },
	},
	.method = "conntrack.export",
	.params = export_params,
	.print = export_print,
};
VNETCTL_COMMAND_REGISTER(ct_export_cmd);

static int import_params(struct cli *cli, json_t **params) {
	const char *port = cli_opt_value(cli, "port");
	json_t *doc;
	int ret = cli_json_object_file(cli, cli->args[0], "a conntrack export", &doc);

	if (ret != CLI_OK)
		return ret;
	*params = json_object();
	if (port != NULL)
		json_object_set_new(*params, "port", json_string(port));
	else if (json_object_get(doc, "port") != NULL)
		json_object_set(*params, "port", json_object_get(doc, "port"));
	if (json_object_get(doc, "connections") != NULL)
		json_object_set(*params, "connections", json_object_get(doc, "connections"));
	json_decref(doc);
	return CLI_OK;
}

static int import_print(const struct cli *cli, const json_t *res) {
	(void)cli;
	printf("imported %lld, already known %lld, refused (tenant limit or table full) %lld\n",
	       json_integer_value(json_object_get(res, "imported")),
	       json_integer_value(json_object_get(res, "known")),
	       json_integer_value(json_object_get(res, "refused")));
	return CLI_OK;
}

static struct cli_cmd ct_import_cmd = {
	.module = "firewall",
	.name = "conntrack import",
	.synopsis = "FILE [--port P]",
	.help = "add the connections of a conntrack export (FILE '-' reads stdin) to this host's "
		"conntrack, for port P (default: the export's)",
	.args = (const struct cli_opt[]){
		{ "FILE", NULL, "the export" },
		{ NULL },
	},
	.opts = (const struct cli_opt[]){
		{ "port", "P", "the port here, if named otherwise" },
		{ NULL },
	},
	.method = "conntrack.import",
	.params = import_params,
	.print = import_print,
};
VNETCTL_COMMAND_REGISTER(ct_import_cmd);

// ---- firewall log -------------------------------------------------------------------------------

static int log_event(void *ctx, const char *method, const json_t *p) {
	const struct cli *cli = ctx;

	(void)method;
	if (cli->json) {
		char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text != NULL ? text : "{}");
		free(text);
	} else {
		const char *proto = json_string_value(json_object_get(p, "protocol"));
		bool ports = proto != NULL && (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0);
		char sp[16] = "", dp[16] = ""; // ":PORT" for TCP and UDP only
		if (ports) {
			snprintf(sp, sizeof(sp), ":%lld", (long long)json_integer_value(json_object_get(p, "source_port")));
			snprintf(dp, sizeof(dp), ":%lld", (long long)json_integer_value(json_object_get(p, "destination_port")));
		}
		printf("%s %s %s %s %s%s -> %s%s denied: %s\n",
		       json_string_value(json_object_get(p, "tenant")),
		       json_string_value(json_object_get(p, "port")),
		       json_string_value(json_object_get(p, "direction")), proto,
		       json_string_value(json_object_get(p, "source")), sp,
		       json_string_value(json_object_get(p, "destination")), dp,
		       json_string_value(json_object_get(p, "why")));
	}
	fflush(stdout);
	return CLI_OK;
}

static int log_run(struct cli *cli) {
	const char *port = cli_opt_value(cli, "port"), *tenant = cli_opt_value(cli, "tenant");
	const char *count = cli_opt_value(cli, "count"), *timeout = cli_opt_value(cli, "timeout");
	struct rpc_stream st = {.on_event = log_event, .ctx = cli};
	json_t *params = json_object(), *res = NULL;
	long n = 0, t = 0;
	char *end = NULL;
	int ret;

	if (count != NULL && ((n = strtol(count, &end, 10)) < 1 || n > 1000000 || *end != '\0'))
		return json_decref(params), cli_usage_error(cli, "--count: 1 to 1000000");
	if (timeout != NULL && ((t = strtol(timeout, &end, 10)) < 1 || t > 86400 || *end != '\0'))
		return json_decref(params), cli_usage_error(cli, "--timeout: 1 to 86400 seconds");
	if (port != NULL)
		json_object_set_new(params, "port", json_string(port));
	if (tenant != NULL)
		json_object_set_new(params, "tenant", json_string(tenant));
	if (count != NULL)
		json_object_set_new(params, "count", json_integer(n));
	if (timeout != NULL)
		json_object_set_new(params, "timeout_s", json_integer(t));
	ret = rpc_stream(cli->socket_path, "firewall.log", params, &st, &res);
	if (ret == CLI_OK && !cli->json)
		fprintf(stderr, "%lld shown, %lld over the log's rate (not shown), %lld lost\n",
			json_integer_value(json_object_get(res, "sent")),
			json_integer_value(json_object_get(res, "suppressed")),
			json_integer_value(json_object_get(res, "lost")));
	json_decref(res);
	return ret;
}

static struct cli_cmd fw_log_cmd = {
	.module = "firewall",
	.name = "firewall log",
	.synopsis = "[--port P] [--tenant T] [--count N] [--timeout S] [--json]",
	.help = "connections the security groups deny, as they happen (at most 200 a second a worker)",
	.opts = (const struct cli_opt[]){
		{ "port", "P", "only those from or to port P" },
		{ "tenant", "T", "only tenant T's" },
		{ "count", "N", "stop after N" },
		{ "timeout", "S", "stop after S seconds" },
		{ NULL },
	},
	.method = "firewall.log",
	.run = log_run,
};
VNETCTL_COMMAND_REGISTER(fw_log_cmd);

// ---- show security-groups ---------------------------------------------------------------------

static int groups_params(struct cli *cli, json_t **params) {
	const char *g = cli_opt_value(cli, "group");

	*params = g != NULL ? json_pack("{ss}", "group", g) : NULL;
	return CLI_OK;
}

static int groups_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "RULE", "id", NULL, false },            { "DIRECTION", "direction", NULL, false },
		{ "PROTO", "protocol", NULL, false },      { "ETHERTYPE", "ethertype", NULL, false },
		{ "PORTS", "ports", NULL, false },        { "REMOTE", "remote", NULL, false },
		{ "REMOTE-GROUP", "remote_group", NULL, false }, { "HITS", "hits", NULL, true },
	};
	size_t i;
	const json_t *g;

	if (json_array_size(res) == 0) {
		printf("no security groups\n");
		return CLI_OK;
	}
	json_array_foreach(res, i, g) {
		size_t k;
		const json_t *p;

		printf("%sgroup %s (tenant %s), ports:", i ? "\n" : "",
		       json_string_value(json_object_get(g, "id")),
		       json_string_value(json_object_get(g, "tenant")));
		json_array_foreach(json_object_get(g, "ports"), k, p)
			printf(" %s", json_string_value(p));
		printf("%s\n", json_array_size(json_object_get(g, "ports")) ? "" : " none");
		table_result_print(cli, json_object_get(g, "rules"), cols, ARRAY_SIZE(cols),
				   "  no rules: it allows nothing");
	}
	return CLI_OK;
}

static struct cli_cmd show_groups_cmd = {
	.module = "firewall",
	.name = "show security-groups",
	.synopsis = "[--group G] [--json]",
	.help = "security groups: their rules, how many connections each allowed, the ports using them",
	.opts = (const struct cli_opt[]){
		{ "group", "G", "only group G" },
		{ NULL },
	},
	.method = "show.security_groups",
	.params = groups_params,
	.print = groups_print,
};
VNETCTL_COMMAND_REGISTER(show_groups_cmd);
