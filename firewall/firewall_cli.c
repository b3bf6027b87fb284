// SPDX-License-Identifier: BSD-3-Clause
// vnetctl commands of the firewall: show conntrack. Linked into vnetctl (not vnetd) from the
// firewall_cli library; they print the result of firewall_ctl.c's method show.conntrack.

#include <stdlib.h>

#include "vnetctl/output.h"
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
	printf("\n");
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
