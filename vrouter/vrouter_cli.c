// SPDX-License-Identifier: BSD-3-Clause
// vnetctl commands of routing: show routes. Linked into vnetctl (not vnetd) from the vrouter_cli
// library; registered like every module's commands (vnetctl/vnetctl.h). They print the result of
// vrouter_ctl.c's method show.routes.

#include "vnetctl/output.h"
#include "vnetctl/vnetctl.h"

static int routes_params(struct cli *cli, json_t **params) {
	const char *router = cli_opt_value(cli, "router");
	const char *prefix = cli_opt_value(cli, "prefix");
	const char *lookup = cli_opt_value(cli, "lookup");

	if (lookup != NULL && router == NULL)
		return cli_usage_error(cli, "--lookup needs --router");
	if (lookup != NULL && prefix != NULL)
		return cli_usage_error(cli, "--lookup and --prefix exclude each other");
	*params = json_object();
	if (router != NULL)
		json_object_set_new(*params, "router", json_string(router));
	if (prefix != NULL)
		json_object_set_new(*params, "prefix", json_string(prefix));
	if (lookup != NULL)
		json_object_set_new(*params, "lookup", json_string(lookup));
	return CLI_OK;
}

static int routes_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "ROUTER", "router", NULL, false },   { "PREFIX", "prefix", NULL, false },
		{ "TYPE", "type", NULL, false },       { "NEXTHOP", "nexthop", NULL, false },
		{ "GATEWAY", "gateway", NULL, false }, { "NETWORK", "network", NULL, false },
		{ "FLAGS", "flags", NULL, false },
	};
	static const struct table_column lookup_cols[] = {
		{ "ADDRESS", "address", NULL, false }, { "ROUTER", "router", NULL, false },
		{ "ROUTE", "prefix", NULL, false },    { "TYPE", "type", NULL, false },
		{ "NETWORK", "network", NULL, false }, { "NEIGHBOUR", "neighbour", NULL, false },
		{ "MAC", "neighbour_mac", NULL, false },
	};

	if (json_is_object(res) && json_object_get(res, "route") != NULL) {
		printf("%s: no route in router %s\n",
		       json_string_value(json_object_get(res, "address")),
		       json_string_value(json_object_get(res, "router")));
		return CLI_OK;
	}
	if (json_is_object(res)) {
		json_t *one = json_pack("[O]", res);
		int ret = table_result_print(cli, one, lookup_cols, ARRAY_SIZE(lookup_cols), "");
		if (json_is_true(json_object_get(res, "local")))
			printf("(the router's own address: answered by vnetd)\n");
		{
			size_t i;
			const json_t *p;
			json_array_foreach(json_object_get(res, "paths"), i, p) // ECMP
				printf("  path %zu: neighbour %s mac %s\n", i + 1,
				       json_string_value(json_object_get(p, "neighbour")),
				       json_is_string(json_object_get(p, "mac"))
					       ? json_string_value(json_object_get(p, "mac"))
					       : "- (unknown: its flows go to the other paths)");
		}
		json_decref(one);
		return ret;
	}
	return table_result_print(cli, res, cols, ARRAY_SIZE(cols), "no routes");
}

static struct cli_cmd show_routes_cmd = {
	.module = "vrouter",
	.name = "show routes",
	.synopsis = "[--router ID] [--prefix P | --lookup ADDR] [--json]",
	.help = "routes of the tenant routers (connected and static), or the route an address takes",
	.opts = (const struct cli_opt[]){
		{ "router", "ID", "only router ID" },
		{ "prefix", "P", "only routes equal to or inside prefix P" },
		{ "lookup", "ADDR", "the route ADDR takes in --router, and its neighbour's MAC" },
		{ NULL },
	},
	.method = "show.routes",
	.params = routes_params,
	.print = routes_print,
};
VNETCTL_COMMAND_REGISTER(show_routes_cmd);

static int neighbours_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "NETWORK", "network", NULL, false }, { "ADDRESS", "address", NULL, false },
		{ "MAC", "mac", NULL, false },         { "STATE", "state", NULL, false },
		{ "AGE", "age_s", cell_seconds, true }, { "HELD", "held", NULL, true },
	};
	const json_t *st = json_object_get(res, "stats");
	int ret = table_result_print(cli, json_object_get(res, "learned"), cols, ARRAY_SIZE(cols),
				     "no next hop resolved by ARP / ND (the rules' addresses need none)");

	if (st != NULL)
		printf("requests sent %lld, answers %lld, packets held %lld, given up %lld\n",
		       json_integer_value(json_object_get(st, "requests_sent")),
		       json_integer_value(json_object_get(st, "answers")),
		       json_integer_value(json_object_get(st, "held")),
		       json_integer_value(json_object_get(st, "given_up")));
	return ret;
}

static struct cli_cmd show_neighbours_cmd = {
	.module = "vrouter",
	.name = "show neighbours",
	.synopsis = "[--json]",
	.help = "next hops vnetd resolved itself by ARP / neighbour solicitation",
	.method = "show.neighbours",
	.print = neighbours_print,
};
VNETCTL_COMMAND_REGISTER(show_neighbours_cmd);

static int routers_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "ID", "id", NULL, false },            { "TENANT", "tenant", NULL, false },
		{ "MAC", "mac", NULL, false },          { "VRF", "vrf", NULL, true },
		{ "NETWORKS", "networks", NULL, false }, { "CONNECTED", "connected", NULL, true },
		{ "STATIC", "static", NULL, true },     { "ROUTED", "routed", NULL, true },
		{ "LOCAL", "local", NULL, true },       { "ICMP-ERRORS", "icmp_errors", NULL, true },
		{ "DROPPED", "dropped", NULL, true },
	};
	return table_result_print(cli, res, cols, ARRAY_SIZE(cols), "no routers");
}

static struct cli_cmd show_routers_cmd = {
	.module = "vrouter",
	.name = "show routers",
	.synopsis = "[--json]",
	.help = "tenant routers: VRF id, networks, routes, and what they routed, answered and dropped",
	.method = "show.routers",
	.print = routers_print,
};
VNETCTL_COMMAND_REGISTER(show_routers_cmd);
