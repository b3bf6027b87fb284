// SPDX-License-Identifier: BSD-3-Clause
// vnetd's configuration file: defaults, and an error that names the key for each bad input.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/vnetd_config.h"

static char path[64];

static int load(const char *text, struct vnetd_config *vc, char *err, size_t size) {
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return vnetd_config_load(path, vc, err, size);
}

static void defaults(void **state) {
	struct vnetd_config vc;
	char err[1024];

	(void)state;
	assert_int_equal(load("{\"eal_args\": [\"-l\", \"0,1\"]}", &vc, err, sizeof(err)), 0);
	assert_string_equal(vc.socket, "/run/vnet/vnetd.sock");
	assert_int_equal(vc.eal_argc, 4); // vnetd -l 0,1 --in-memory
	assert_string_equal(vc.eal_argv[3], "--in-memory");
	assert_int_equal(vc.idle_sleep_max_us, 200);
	assert_null(vc.rules);
	vnetd_config_fini(&vc);
}

static void errors_name_the_key(void **state) {
	static const struct {
		const char *text, *error;
	} cases[] = {
		{"{\"eal_args\": \"-l 0\"}", "eal_args: must be an array of strings"},
		{"{\"eal_args\": [1]}", "eal_args[0]: must be a string"},
		{"{\"colour\": 1}", "colour: unknown key"},
		{"{\"workers\": [-1]}", "workers[0]: must be an lcore id"},
		{"{\"idle_sleep_max_us\": -5}", "idle_sleep_max_us: must be an integer in 0..100000"},
		{"{\"mbufs\": 10}", "mbufs: must be an integer in 1023..4194303"},
		{"{\"socket\": \"\"}", "socket: must be a path"},
		{"{\"log_level\": \"loud\"}", "log_level: must be one of"},
		{"{\"rules\": [], \"rules_file\": \"x\"}", "rules, rules_file: give one or the other"},
		{"{\"rules_file\": \"/nonexistent/r.json\"}", "rules_file: /nonexistent/r.json"},
		{"{\"in_memory\": 1}", "in_memory: must be true or false"},
		{"{\"eal_args\": [\"-l\" \"0\"]}", ":1:"},          // JSON syntax: line and column
		{"{\"socket\": \"a\", \"socket\": \"b\"}", "duplicate"}, // duplicate keys refused
		{"[]", "(file): must be a JSON object"},
	};
	struct vnetd_config vc;
	char err[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(load(cases[i].text, &vc, err, sizeof(err)), 0);
		if (strstr(err, cases[i].error) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].error);
		if (strncmp(err, path, strlen(path)) != 0)
			fail_msg("case %zu: \"%s\" does not name the file", i, err);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(errors_name_the_key),
	};
	int ret;

	snprintf(path, sizeof(path), "/tmp/vnet_ut_config_%d.json", getpid());
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return ret;
}
