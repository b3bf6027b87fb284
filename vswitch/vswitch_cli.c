// SPDX-License-Identifier: BSD-3-Clause
// vnetctl commands of the L2 switch: show networks, show macs. Linked into vnetctl (not vnetd)
// from the vswitch_cli library; registered like every module's commands (vnetctl/vnetctl.h).
// They print the results of vswitch_ctl.c's methods show.networks and show.macs.

#include "vnetctl/output.h"
#include "vnetctl/vnetctl.h"

static int networks_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "ID", "id", NULL, false },          { "TENANT", "tenant", NULL, false },
		{ "VNI", "vni", NULL, true },         { "MTU", "mtu", NULL, true },
		{ "BD", "bd_id", NULL, true },        { "MACS", "n_macs", NULL, true },
		{ "MAC-LIMIT", "mac_limit", NULL, true },
		{ "LIMIT-HITS", "mac_limit_hits", NULL, true },
		{ "PORTS", "ports", NULL, false },
	};
	return table_result_print(cli, res, cols, ARRAY_SIZE(cols), "no networks");
}

static struct cli_cmd show_networks_cmd = {
	.module = "vswitch",
	.name = "show networks",
	.synopsis = "[--json]",
	.help = "networks (bridge domains) and their MAC tables' use",
	.method = "show.networks",
	.print = networks_print,
};
VNETCTL_COMMAND_REGISTER(show_networks_cmd);

static int macs_params(struct cli *cli, json_t **params) {
	const char *network = cli_opt_value(cli, "network");

	if (network == NULL)
		return CLI_OK;
	*params = json_pack("{s:s}", "network", network);
	return *params ? CLI_OK : cli_usage_error(cli, "--network: not valid UTF-8");
}

static int macs_print(const struct cli *cli, const json_t *res) {
	static const struct table_column cols[] = {
		{ "NETWORK", "network", NULL, false }, { "MAC", "mac", NULL, false },
		{ "PORT", "port", NULL, false },       { "TYPE", "type", NULL, false },
		{ "AGE", "age_s", cell_seconds, true },
	};
	return table_result_print(cli, res, cols, ARRAY_SIZE(cols), "no MAC addresses");
}

static struct cli_cmd show_macs_cmd = {
	.module = "vswitch",
	.name = "show macs",
	.synopsis = "[--network ID] [--json]",
	.help = "MAC table entries",
	.opts = (const struct cli_opt[]){
		{ "network", "ID", "only the MAC table of network ID" },
		{ NULL },
	},
	.method = "show.macs",
	.params = macs_params,
	.print = macs_print,
};
VNETCTL_COMMAND_REGISTER(show_macs_cmd);
