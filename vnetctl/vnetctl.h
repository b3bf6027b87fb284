// SPDX-License-Identifier: BSD-3-Clause
// vnetctl's command API: what a command is, how a module registers one, and what it gets from
// main.c (its parsed options and arguments, the error helpers). Each module keeps its commands in
// its own folder (vnetctl/dataplane_cli.c, vswitch/vswitch_cli.c, overlay/overlay_cli.c) and
// registers them from a constructor, the way vnetd's nodes register with RTE_NODE_REGISTER.
// No DPDK here: vnetctl links only jansson and libpcap. Reference: docs/vnetctl.md.
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define CLI_DEFAULT_SOCKET "/run/vnet/vnetd.sock"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

// Exit codes (docs/vnetctl.md). Command steps return one of these rather than -errno: the CLI's
// caller sees them, and "which party failed" matters more to it than the errno.
enum cli_exit {
	CLI_OK = 0,
	CLI_REMOTE = 1,      // vnetd answered with an error, or with something unreadable
	CLI_USAGE = 2,       // bad command line or input file; vnetd was not contacted
	CLI_UNREACHABLE = 3, // cannot connect to vnetd, or no answer in time
};

struct cli;

// One option of a command (`--name VALUE`, or `--name` when `arg` is NULL), or one positional
// argument (`name` is then its placeholder, "FILE"). --json and --help are every command's and
// are not listed.
struct cli_opt {
	const char *name; // "network": the option is --network
	const char *arg;  // placeholder of the value ("ID"), NULL for a flag
	const char *help; // one line, for `vnetctl COMMAND --help`
	// Optional: check the value while the command line is parsed. Returns CLI_OK, or CLI_USAGE
	// after cli_usage_error().
	int (*check)(const struct cli *cli, const char *value);
};

// One command. Set `method` and `print` (and `params` when it sends any) for a command that is
// one JSON-RPC call (main.c sends it, then prints the result with `print`, or raw with --json);
// or `run` for anything else: a stream (rpc_stream(), with `method` set so that it takes --json)
// or a local command such as help.
struct cli_cmd {
	const char *module;   // folder that owns it ("dataplane", "vswitch"): groups --help
	const char *name;     // one or two words: "status", "show macs"
	const char *synopsis; // what follows the name in the usage line
	const char *help;     // one line
	const struct cli_opt *opts; // options besides --json and --help; NULL-terminated, or NULL
	const struct cli_opt *args; // positional arguments, all required; NULL-terminated, or NULL
	const struct cli_opt *rest; // optional trailing words ("COMMAND"), or NULL: none taken

	// JSON-RPC method: named in messages; a command that has one takes --json.
	const char *method;
	int (*params)(struct cli *cli, json_t **params);    // NULL: no params
	int (*print)(const struct cli *cli, const json_t *result);
	int (*run)(struct cli *cli); // instead of params/print: does it all

	struct cli_cmd *next; // registry, sorted by module then name; set by cli_cmd_register()
};

// One run of vnetctl: the command found and what its command line gave.
struct cli {
	const char *socket_path;
	const struct cli_cmd *cmd;
	bool json, help;
	const char **opt_values; // per cmd->opts entry: its value ("" for a flag), NULL if absent
	char **args;             // positional arguments (cmd->args), then the rest
	int n_args;              // entries in args
	void *data;              // the command's own, from its params() to its print()
};

// Start-up (constructor). Add `cmd` to the commands vnetctl knows; aborts if its name is taken.
void cli_cmd_register(struct cli_cmd *cmd);

// Register `cmd` (a `struct cli_cmd` variable) before main() runs.
#define VNETCTL_COMMAND_REGISTER(cmd)                                                   \
	static void __attribute__((constructor, used)) cli_cmd_register_##cmd(void) {   \
		cli_cmd_register(&(cmd));                                                \
	}

// The value of option `name` of the current command: "" for a flag that was given, NULL when
// absent. `name` must be one of cmd->opts.
const char *cli_opt_value(const struct cli *cli, const char *name);
static inline bool cli_opt_is_set(const struct cli *cli, const char *name) {
	return cli_opt_value(cli, name) != NULL;
}

// The registered commands, sorted by module then name (first, then ->next).
const struct cli_cmd *cli_cmd_first(void);
// The command named by the first one or two words of argv (argc >= 1), and in *n_words how many
// words name it; NULL after printing what is wrong and the list of commands (to stderr).
const struct cli_cmd *cli_cmd_find(int argc, char **argv, int *n_words);

// `vnetctl --help`: every command by module. `vnetctl COMMAND --help`: usage and options.
void cli_usage(FILE *out);
void cli_cmd_help(FILE *out, const struct cli_cmd *cmd);

// Explain a bad input (file, packet) as "vnetctl: COMMAND: ...". Returns CLI_USAGE.
int cli_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Read the JSON object in file `path` ("-": stdin; duplicate keys refused) into *out (a new
// reference). CLI_OK, or CLI_USAGE after saying what is wrong ("`what` is a JSON object").
int cli_json_object_file(const struct cli *cli, const char *path, const char *what,
			 json_t **out);
// Explain a bad command line, then show the command's synopsis. Returns CLI_USAGE.
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
