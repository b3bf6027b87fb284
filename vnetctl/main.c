// SPDX-License-Identifier: BSD-3-Clause
// vnetctl: the operator's command line for vnetd. This file: the registry of commands (each
// module registers its own, vnetctl.h), the command line (global options, finding the command,
// its options), the help, and running the command: one JSON-RPC request (rpc.h), its result
// printed by the command or raw with --json (output.h). Reference: docs/vnetctl.md.

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vnetctl/output.h"
#include "vnetctl/rpc.h"
#include "vnetctl/vnetctl.h"

#define CLI_OPT_JSON 1 // getopt values: --json, then 256 + i for cmd->opts[i]
#define CLI_OPT_BASE 256

static struct cli_cmd *cli_cmds; // sorted by module, then name

static int cli_cmd_cmp(const struct cli_cmd *a, const struct cli_cmd *b) {
	int d = strcmp(a->module, b->module);

	return d != 0 ? d : strcmp(a->name, b->name);
}

void cli_cmd_register(struct cli_cmd *cmd) {
	struct cli_cmd **pos = &cli_cmds;

	for (const struct cli_cmd *c = cli_cmds; c != NULL; c = c->next) {
		if (strcmp(c->name, cmd->name) == 0) {
			fprintf(stderr, "vnetctl: command '%s' registered by %s and %s\n", cmd->name,
				c->module, cmd->module);
			abort();
		}
	}
	while (*pos != NULL && cli_cmd_cmp(*pos, cmd) < 0)
		pos = &(*pos)->next;
	cmd->next = *pos;
	*pos = cmd;
}

const struct cli_cmd *cli_cmd_first(void) {
	return cli_cmds;
}

static size_t cli_opts_count(const struct cli_opt *opts) {
	size_t n = 0;

	while (opts != NULL && opts[n].name != NULL)
		n++;
	return n;
}

const char *cli_opt_value(const struct cli *cli, const char *name) {
	const struct cli_opt *opts = cli->cmd->opts;

	for (size_t i = 0; i < cli_opts_count(opts); i++)
		if (strcmp(opts[i].name, name) == 0)
			return cli->opt_values[i];
	fprintf(stderr, "vnetctl: %s: asks for --%s, which it does not declare\n", cli->cmd->name,
		name);
	abort();
}

// ---- help ----

// Whether `cmd` takes --json: every command that asks vnetd does.
static bool cli_cmd_has_json(const struct cli_cmd *cmd) {
	return cmd->method != NULL;
}

void cli_usage(FILE *out) {
	const char *module = NULL;
	int width = 14; // names and summaries stay apart by at least two blanks

	for (const struct cli_cmd *c = cli_cmds; c != NULL; c = c->next)
		width = (int)strlen(c->name) + 1 > width ? (int)strlen(c->name) + 1 : width;
	fprintf(out, "usage: vnetctl [-s SOCKET] COMMAND [OPTIONS]\n\n"
		     "  -s, --socket PATH  vnetd's control socket (default: $VNET_SOCKET, else "
		     CLI_DEFAULT_SOCKET ")\n"
		     "  -h, --help         this help; 'vnetctl COMMAND --help' for one command\n");
	for (const struct cli_cmd *c = cli_cmds; c != NULL; c = c->next) {
		if (module == NULL || strcmp(module, c->module) != 0)
			fprintf(out, "\n%s commands:\n", c->module);
		module = c->module;
		fprintf(out, "  %-*s %s\n", width, c->name, c->help);
	}
	fprintf(out, "\nexit status: 0 ok, 1 vnetd answered with an error, 2 usage or input "
		     "error, 3 vnetd not reachable\n");
}

// The usage line and the summary (also after a usage error).
static void cli_cmd_usage(FILE *out, const struct cli_cmd *cmd) {
	fprintf(out, "usage: vnetctl [-s SOCKET] %s %s\n  %s\n", cmd->name, cmd->synopsis,
		cmd->help);
}

static void cli_opt_help(FILE *out, const char *prefix, const struct cli_opt *o, int width) {
	char left[128];

	snprintf(left, sizeof(left), "%s%s%s%s", prefix, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
	fprintf(out, "  %-*s  %s\n", width, left, o->help);
}

void cli_cmd_help(FILE *out, const struct cli_cmd *cmd) {
	static const struct cli_opt json = { "json", NULL,
					     "print vnetd's result as indented JSON, not a table" };
	static const struct cli_opt help = { "help", NULL, "this help" };
	size_t n_opts = cli_opts_count(cmd->opts), n_args = cli_opts_count(cmd->args);
	int width = 10; // "-h, --help"

	for (size_t i = 0; i < n_opts; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		int w = 2 + (int)strlen(o->name) + (o->arg ? 1 + (int)strlen(o->arg) : 0);

		width = w > width ? w : width;
	}
	for (size_t i = 0; i < n_args; i++)
		width = (int)strlen(cmd->args[i].name) > width ? (int)strlen(cmd->args[i].name)
							       : width;
	if (cmd->rest != NULL && (int)strlen(cmd->rest->name) > width)
		width = (int)strlen(cmd->rest->name);
	cli_cmd_usage(out, cmd);
	if (n_args > 0 || cmd->rest != NULL)
		fprintf(out, "\narguments:\n");
	for (size_t i = 0; i < n_args; i++)
		fprintf(out, "  %-*s  %s\n", width, cmd->args[i].name, cmd->args[i].help);
	if (cmd->rest != NULL)
		fprintf(out, "  %-*s  %s\n", width, cmd->rest->name, cmd->rest->help);
	fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < n_opts; i++)
		cli_opt_help(out, "--", &cmd->opts[i], width);
	if (cli_cmd_has_json(cmd))
		cli_opt_help(out, "--", &json, width);
	cli_opt_help(out, "-h, --", &help, width);
}

// ---- errors ----

static void cli_verror(const struct cli *cli, const char *fmt, va_list ap) {
	fprintf(stderr, "vnetctl: %s: ", cli->cmd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

int cli_error(const struct cli *cli, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	cli_verror(cli, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	cli_verror(cli, fmt, ap);
	va_end(ap);
	cli_cmd_usage(stderr, cli->cmd);
	return CLI_USAGE;
}

int cli_json_object_file(const struct cli *cli, const char *path, const char *what,
			 json_t **out) {
	bool is_stdin = strcmp(path, "-") == 0;
	json_error_t jerr;
	json_t *doc;
	FILE *f;

	*out = NULL;
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
		return cli_error(cli, "%s: %s is a JSON object", path, what);
	}
	*out = doc;
	return CLI_OK;
}

// ---- the command line ----

// The getopt_long table of `cmd`: its options, --json, --help. Returns a malloc'd array.
static struct option *cli_cmd_getopt_table(const struct cli_cmd *cmd) {
	size_t n_opts = cli_opts_count(cmd->opts), n = 0;
	struct option *t = calloc(n_opts + 3, sizeof(*t));

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < n_opts; i++)
		t[n++] = (struct option){ cmd->opts[i].name,
					  cmd->opts[i].arg ? required_argument : no_argument, NULL,
					  CLI_OPT_BASE + (int)i };
	if (cli_cmd_has_json(cmd))
		t[n++] = (struct option){ "json", no_argument, NULL, CLI_OPT_JSON };
	t[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	return t;
}

// Store the value of option `c` (a getopt value). Returns CLI_OK or CLI_USAGE.
static int cli_opt_set(struct cli *cli, int c, const char *arg) {
	const struct cli_opt *o;

	if (c == CLI_OPT_JSON) {
		cli->json = true;
		return CLI_OK;
	}
	o = &cli->cmd->opts[c - CLI_OPT_BASE];
	cli->opt_values[c - CLI_OPT_BASE] = o->arg ? arg : "";
	return o->check ? o->check(cli, arg) : CLI_OK;
}

// Parse the options and arguments after the command's name (argv[0] is its last word).
static int cli_cmd_parse(struct cli *cli, int argc, char **argv) {
	int c, ret = CLI_OK, n_req = (int)cli_opts_count(cli->cmd->args);
	struct option *table = cli_cmd_getopt_table(cli->cmd);

	cli->opt_values = calloc(cli_opts_count(cli->cmd->opts) + 1, sizeof(*cli->opt_values));
	if (table == NULL || cli->opt_values == NULL) {
		free(table);
		return cli_error(cli, "out of memory");
	}
	optind = 0; // full reset: this is the second getopt pass
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", table, NULL)) != -1) {
		if (c == 'h') {
			cli->help = true;
			goto out;
		}
		if (c == ':')
			ret = cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
		else if (c == '?')
			ret = cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
		else
			ret = cli_opt_set(cli, c, optarg);
		if (ret != CLI_OK)
			goto out;
	}
	if (argc - optind < n_req || (argc - optind > n_req && cli->cmd->rest == NULL)) {
		ret = cli_usage_error(cli, "%s", argc - optind > n_req ? "too many arguments"
								    : "missing argument");
		goto out;
	}
	cli->args = argv + optind;
	cli->n_args = argc - optind;
out:
	free(table);
	return ret;
}

const struct cli_cmd *cli_cmd_find(int argc, char **argv, int *n_words) {
	bool partial = false;

	// A two-word command first ("trace live"), then one word ("trace", whose words follow).
	for (const struct cli_cmd *c = cli_cmds; c != NULL && argc >= 2; c = c->next) {
		const char *sp = strchr(c->name, ' ');
		if (sp != NULL && (size_t)(sp - c->name) == strlen(argv[0]) &&
		    strncmp(c->name, argv[0], (size_t)(sp - c->name)) == 0 && strcmp(sp + 1, argv[1]) == 0) {
			*n_words = 2;
			return c;
		}
	}
	for (const struct cli_cmd *c = cli_cmds; c != NULL; c = c->next) {
		const char *sp = strchr(c->name, ' ');
		size_t n = sp ? (size_t)(sp - c->name) : strlen(c->name);

		if (strlen(argv[0]) != n || strncmp(c->name, argv[0], n) != 0)
			continue;
		if (sp != NULL && (argc < 2 || strcmp(sp + 1, argv[1]) != 0)) {
			partial = true;
			continue;
		}
		*n_words = sp ? 2 : 1;
		return c;
	}
	if (partial && argc >= 2)
		fprintf(stderr, "vnetctl: unknown command '%s %s'\n", argv[0], argv[1]);
	else if (partial)
		fprintf(stderr, "vnetctl: '%s' needs an object\n", argv[0]);
	else
		fprintf(stderr, "vnetctl: unknown command '%s'\n", argv[0]);
	cli_usage(stderr);
	*n_words = 0;
	return NULL;
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
	cli->cmd = cli_cmd_find(argc - optind, argv + optind, &words);
	if (cli->cmd == NULL)
		return CLI_USAGE;
	return cli_cmd_parse(cli, argc - optind - words + 1, argv + optind + words - 1);
}

// One JSON-RPC call: params, request, then the result printed.
static int cli_cmd_call(struct cli *cli) {
	json_t *params = NULL, *result = NULL;
	int ret;

	if (cli->cmd->params != NULL) {
		ret = cli->cmd->params(cli, &params);
		if (ret != CLI_OK)
			return ret;
	}
	ret = rpc_call(cli->socket_path, cli->cmd->method, params, &result);
	if (ret != CLI_OK)
		return ret;
	if (cli->json)
		out_json_print(result);
	else
		ret = cli->cmd->print(cli, result);
	json_decref(result);
	return ret;
}

// ---- help as a command ----

static int help_run(struct cli *cli) {
	const struct cli_cmd *cmd;
	int words;

	if (cli->n_args == 0) {
		cli_usage(stdout);
		return CLI_OK;
	}
	cmd = cli_cmd_find(cli->n_args, cli->args, &words);
	if (cmd == NULL)
		return CLI_USAGE;
	if (words != cli->n_args)
		return cli_usage_error(cli, "too many arguments");
	cli_cmd_help(stdout, cmd);
	return CLI_OK;
}

static struct cli_cmd help_cmd = {
	.module = "dataplane",
	.name = "help",
	.synopsis = "[COMMAND]",
	.help = "list the commands, or show one command's options",
	.rest = &(const struct cli_opt){ "COMMAND", NULL, "a command's name: show its options" },
	.run = help_run,
};
VNETCTL_COMMAND_REGISTER(help_cmd);

int main(int argc, char **argv) {
	struct cli cli = { 0 };
	int ret;

	ret = cli_parse(&cli, argc, argv);
	if (ret != CLI_OK || cli.help) {
		if (cli.help && cli.cmd != NULL)
			cli_cmd_help(stdout, cli.cmd);
		else if (cli.help)
			cli_usage(stdout);
	} else if (cli.cmd->run != NULL) {
		ret = cli.cmd->run(&cli);
	} else {
		ret = cli_cmd_call(&cli);
	}
	free(cli.opt_values);
	return ret;
}
