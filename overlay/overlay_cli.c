// SPDX-License-Identifier: BSD-3-Clause
// vnetctl command of the VXLAN overlay: show vteps. Linked into vnetctl (not vnetd) from the
// overlay_cli library; registered like every module's commands (vnetctl/vnetctl.h). It prints
// the result of overlay_ctl.c's method show.vteps (docs/overlay.md).

#include <stdio.h>

#include "vnetctl/output.h"
#include "vnetctl/vnetctl.h"

static int vteps_print(const struct cli *cli, const json_t *res) {
	static const struct table_column vteps[] = {
		{ "VTEP", "vtep", NULL, false },          { "NEXT-HOP", "next_hop", NULL, false },
		{ "NEIGHBOR-MAC", "neighbor_mac", NULL, false },
		{ "RX-PKTS", "rx_pkts", NULL, true },     { "RX-BYTES", "rx_bytes", NULL, true },
		{ "TX-PKTS", "tx_pkts", NULL, true },     { "TX-BYTES", "tx_bytes", NULL, true },
	};
	static const struct table_column vnis[] = {
		{ "VNI", "vni", NULL, true },             { "NETWORK", "network", NULL, false },
		{ "RX-PKTS", "rx_pkts", NULL, true },     { "RX-BYTES", "rx_bytes", NULL, true },
		{ "TX-PKTS", "tx_pkts", NULL, true },     { "TX-BYTES", "tx_bytes", NULL, true },
	};
	const json_t *ul;

	if (!json_is_object(res))
		return out_bad_answer(cli, "an object");
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

static struct cli_cmd show_vteps_cmd = {
	.module = "overlay",
	.name = "show vteps",
	.synopsis = "[--json]",
	.help = "remote VTEPs and VNIs with their VXLAN counters",
	.method = "show.vteps",
	.print = vteps_print,
};
VNETCTL_COMMAND_REGISTER(show_vteps_cmd);
