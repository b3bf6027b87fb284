// SPDX-License-Identifier: BSD-3-Clause
// vnetd's configuration file: defaults, and an error that names the file, the key and the problem
// for each bad input (a table of bad files, every key of the loader and of "underlay"), and good
// files that must still load.

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/vnetd_config.h"
#include "overlay/overlay.h" // OVERLAY_STATIC_NEIGH_MAX

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

// ---- A table of bad files: each refused with "<file>: ..." and the words that say what is wrong.

// vnetd.c defines the log types; the engine is linked whole here (for the "underlay" key that
// overlay/underlay.c registers), so they are supplied here (weak: a definition elsewhere wins).
__attribute__((weak)) int dp_logtype_dataplane, dp_logtype_vswitch, dp_logtype_rules;

static char tmp_dir[64];          // a directory, for "rules_file is a directory"
static char rules_not_json[64];   // a file that is not JSON
static char rules_array[64];      // a JSON array, not a rules document
static char rules_dup[64];        // a rules document with a duplicate key
static char rules_good[64];       // a valid (empty) rules document

static char *xmalloc(size_t n) {
	char *p = malloc(n);

	if (p == NULL)
		abort();
	return p;
}

static char *repeat(const char *before, char c, size_t n, const char *after) {
	size_t a = strlen(before), b = strlen(after);
	char *p = xmalloc(a + n + b + 1);

	memcpy(p, before, a);
	memset(p + a, c, n);
	memcpy(p + a + n, after, b + 1);
	return p;
}

#define BIG (64 * 1024)

static char *g_deep_top(void) {
	char *p = xmalloc(2 * 10000 + 1);
	memset(p, '[', 10000);
	memset(p + 10000, ']', 10000);
	p[20000] = '\0';
	return p;
}
static char *g_deep_rules(void) {
	size_t n = 10000;
	char *p = xmalloc(n * 8 + 64), *q = p;
	q += sprintf(q, "{\"rules\": ");
	for (size_t i = 0; i < n; i++)
		q += sprintf(q, "{\"a\":");
	q += sprintf(q, "1");
	for (size_t i = 0; i < n; i++)
		*q++ = '}';
	sprintf(q, "}");
	return p;
}
static char *g_big_key(void) { return repeat("{\"", 'k', BIG, "\": 1}"); }
static char *g_big_socket(void) { return repeat("{\"socket\": \"/", 's', BIG, "\"}"); }
static char *g_socket_108(void) { return repeat("{\"socket\": \"/", 's', 107, "\"}"); }
static char *g_socket_107(void) { return repeat("{\"socket\": \"/", 's', 106, "\"}"); }
static char *g_big_log_level(void) { return repeat("{\"log_level\": \"", 'd', BIG, "\"}"); }
static char *g_big_rules_file(void) { return repeat("{\"rules_file\": \"/tmp/", 'r', BIG, "\"}"); }
static char *g_big_device(void) {
	return repeat("{\"underlay\": {\"address\": \"192.0.2.11/24\", \"device\": \"", 'd', BIG,
		      "\"}}");
}
static char *g_big_address(void) {
	return repeat("{\"underlay\": {\"device\": \"net_null0\", \"address\": \"", '1', BIG, "\"}}");
}
static char *g_big_gateway(void) {
	return repeat("{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24\", "
		      "\"gateway\": \"", '1', BIG, "\"}}");
}
static char *g_big_mac(void) {
	return repeat("{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24\", "
		      "\"mac\": \"", 'a', BIG, "\"}}");
}
static char *g_big_underlay_key(void) {
	return repeat("{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24\", \"",
		      'k', BIG, "\": 1}}");
}
static char *eal_n(int n) {
	char *p = xmalloc((size_t)n * 8 + 32), *q = p;
	q += sprintf(q, "{\"eal_args\": [");
	for (int i = 0; i < n; i++)
		q += sprintf(q, "%s\"-v\"", i ? ", " : "");
	sprintf(q, "]}");
	return p;
}
static char *g_eal_62(void) { return eal_n(VNETD_EAL_ARGS_MAX - 2); }
static char *g_eal_61(void) { return eal_n(VNETD_EAL_ARGS_MAX - 3); }
static char *workers_n(int n) {
	char *p = xmalloc((size_t)n * 8 + 32), *q = p;
	q += sprintf(q, "{\"workers\": [");
	for (int i = 0; i < n; i++)
		q += sprintf(q, "%s%d", i ? ", " : "", i + 1);
	sprintf(q, "]}");
	return p;
}
static char *g_workers_max1(void) { return workers_n(DP_WORKERS_MAX + 1); }
static char *g_workers_max(void) { return workers_n(DP_WORKERS_MAX); }
static char *neigh_n(int n, bool same) {
	char *p = xmalloc((size_t)n * 80 + 128), *q = p;
	q += sprintf(q, "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24\", "
			"\"static_neighbors\": [");
	for (int i = 0; i < n; i++)
		q += sprintf(q, "%s{\"ip\": \"192.0.2.%d\", \"mac\": \"02:00:00:00:00:%02x\"}",
			     i ? ", " : "", same ? 12 : 100 + i, same ? 12 : i);
	sprintf(q, "]}}");
	return p;
}
static char *g_neigh_65(void) { return neigh_n(OVERLAY_STATIC_NEIGH_MAX + 1, false); }
static char *g_neigh_64(void) { return neigh_n(OVERLAY_STATIC_NEIGH_MAX, false); }
static char *g_neigh_twice(void) { return neigh_n(2, true); }
static char *rules_file_doc(const char *file) {
	char *p = xmalloc(strlen(file) + 32);
	sprintf(p, "{\"rules_file\": \"%s\"}", file);
	return p;
}
static char *g_rules_dir(void) { return rules_file_doc(tmp_dir); }
static char *g_rules_not_json(void) { return rules_file_doc(rules_not_json); }
static char *g_rules_array(void) { return rules_file_doc(rules_array); }
static char *g_rules_dup(void) { return rules_file_doc(rules_dup); }
static char *g_rules_good(void) { return rules_file_doc(rules_good); }

struct file_case {
	const char *desc;
	const char *text;       // NUL-terminated text, or raw bytes of length len
	size_t len;             // 0: strlen(text)
	char *(*gen)(void);     // or generated (malloc'ed) text
	const char *words[4];   // each must be in the message (bad files)
};

#define T(d, t, ...) {d, t, 0, NULL, {__VA_ARGS__}}
#define RAW(d, t, ...) {d, t, sizeof(t) - 1, NULL, {__VA_ARGS__}}
#define G(d, g, ...) {d, NULL, 0, g, {__VA_ARGS__}}

// An underlay that is valid without the key under test.
#define UL(x) "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24\"" x "}}"
#define UL_NEIGH(x) UL(", \"static_neighbors\": [" x "]")

static const struct file_case bad_files[] = {
	// Not a configuration at all.
	T("not JSON", "hello, vnetd", ":1:", "expected"),
	RAW("binary garbage", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", ":1:"),
	RAW("invalid UTF-8 in a value", "{\"socket\": \"/run/\xc3\x28.sock\"}", "unable to decode"),
	RAW("invalid UTF-8 in a key", "{\"sock\xff\": 1}", "unable to decode"),
	RAW("overlong UTF-8", "{\"socket\": \"/\xc0\xaf\"}", "unable to decode"),
	RAW("NUL byte", "{\"socket\": \"/a\x00b\"}", ":1:"),
	T("\\u0000 in a string", "{\"socket\": \"/a\\u0000b\"}", "\\u0000"),
	T("lone surrogate", "{\"socket\": \"/\\ud800\"}", "invalid Unicode"),
	T("empty file", "", "end of file"),
	T("only white space", " \n\t\n", "end of file"),
	T("a JSON array", "[]", "(file): must be a JSON object"),
	T("an array of the object", "[{\"workers\": [1]}]", "(file): must be a JSON object"),
	T("a JSON string", "\"eal_args\"", "expected"),
	T("a number", "42", "expected"),
	T("null", "null", "expected"),
	T("truncated object", "{\"eal_args\": [\"-l\", \"0,1\"", "end of file"),
	T("truncated string", "{\"socket\": \"/run/vn", "premature end of input"),
	T("truncated after a key", "{\"mbufs\":", "end of file"),
	T("trailing garbage", "{} {}", "end of file expected"),
	T("comment", "{ // workers\n}", ":1:"),
	T("trailing comma", "{\"mbufs\": 8191,}", ":1:"),
	T("single quotes", "{'mbufs': 8191}", ":1:"),
	G("10,000 nested arrays", g_deep_top, "depth"),
	G("10,000 nested objects in rules", g_deep_rules, "depth"),
	T("duplicate key", "{\"mbufs\": 8191, \"mbufs\": 16383}", "duplicate", "mbufs"),
	T("duplicate key in underlay", UL(", \"ttl\": 1, \"ttl\": 2"), "duplicate", "ttl"),
	T("duplicate key in rules", "{\"rules\": {\"revision\": 1, \"revision\": 2}}", "duplicate",
	  "revision"),
	T("unknown key", "{\"colour\": 1}", "colour: unknown key"),
	T("key in the wrong case", "{\"Workers\": [1]}", "Workers: unknown key"),
	T("empty key", "{\"\": 1}", ": unknown key"),
	G("64 KiB key", g_big_key, "kkkk", "unknown key"),
	T("misspelt underlay key at top", "{\"udp_port\": 4789}", "udp_port: unknown key"),

	// eal_args
	T("eal_args string", "{\"eal_args\": \"-l 0,1\"}", "eal_args: must be an array of strings"),
	T("eal_args number", "{\"eal_args\": 1}", "eal_args: must be an array"),
	T("eal_args object", "{\"eal_args\": {\"-l\": \"0,1\"}}", "eal_args: must be an array"),
	T("eal_args null", "{\"eal_args\": null}", "eal_args: must be an array"),
	T("eal_args bool", "{\"eal_args\": true}", "eal_args: must be an array"),
	T("eal_args number element", "{\"eal_args\": [\"-l\", 0]}", "eal_args[1]: must be a string"),
	T("eal_args null element", "{\"eal_args\": [null]}", "eal_args[0]: must be a string"),
	T("eal_args array element", "{\"eal_args\": [[\"-l\"]]}", "eal_args[0]: must be a string"),
	T("eal_args empty element", "{\"eal_args\": [\"-l\", \"0,1\", \"\"]}", "eal_args[2]",
	  "empty"),
	G("eal_args: one too many", g_eal_62, "eal_args: more than 61 arguments"),

	// in_memory
	T("in_memory number", "{\"in_memory\": 1}", "in_memory: must be true or false"),
	T("in_memory string", "{\"in_memory\": \"true\"}", "in_memory: must be true or false"),
	T("in_memory null", "{\"in_memory\": null}", "in_memory: must be true or false"),
	T("in_memory array", "{\"in_memory\": []}", "in_memory: must be true or false"),

	// workers
	T("workers string", "{\"workers\": \"1,2\"}", "workers: must be an array of 1..16"),
	T("workers number", "{\"workers\": 1}", "workers: must be an array"),
	T("workers object", "{\"workers\": {\"1\": 1}}", "workers: must be an array"),
	T("workers null", "{\"workers\": null}", "workers: must be an array"),
	T("workers bool", "{\"workers\": false}", "workers: must be an array"),
	T("workers empty", "{\"workers\": []}", "workers: must be an array of 1..16"),
	G("workers: one too many", g_workers_max1, "workers: must be an array of 1..16"),
	T("workers negative", "{\"workers\": [-1]}", "workers[0]: must be an lcore id (0..1023)"),
	T("workers 1024", "{\"workers\": [1, 1024]}", "workers[1]: must be an lcore id"),
	T("workers 2^63", "{\"workers\": [9223372036854775808]}", "too big integer"),
	T("workers 2^63-1", "{\"workers\": [9223372036854775807]}", "workers[0]: must be an lcore"),
	T("workers -2^63", "{\"workers\": [-9223372036854775808]}", "workers[0]: must be an lcore"),
	T("workers 1e300", "{\"workers\": [1e300]}", "workers[0]: must be an lcore id"),
	T("workers 1.0", "{\"workers\": [1.0]}", "workers[0]: must be an lcore id"),
	T("workers string element", "{\"workers\": [\"1\"]}", "workers[0]: must be an lcore id"),
	T("workers null element", "{\"workers\": [null]}", "workers[0]: must be an lcore id"),
	T("workers twice the same", "{\"workers\": [1, 2, 1]}", "workers[2]", "lcore 1", "twice"),

	// socket
	T("socket number", "{\"socket\": 1}", "socket: must be a path of 1..107 characters"),
	T("socket null", "{\"socket\": null}", "socket: must be a path"),
	T("socket bool", "{\"socket\": true}", "socket: must be a path"),
	T("socket array", "{\"socket\": [\"/run/x\"]}", "socket: must be a path"),
	T("socket object", "{\"socket\": {}}", "socket: must be a path"),
	T("socket empty", "{\"socket\": \"\"}", "socket: must be a path of 1..107 characters"),
	G("socket of 108 characters (sun_path is 108 bytes)", g_socket_108,
	  "socket: must be a path of 1..107 characters"),
	G("socket 64 KiB", g_big_socket, "socket: must be a path of 1..107 characters"),

	// idle_*, mbufs, rx_desc, tx_desc
	T("idle_sleep_max_us string", "{\"idle_sleep_max_us\": \"200\"}",
	  "idle_sleep_max_us: must be an integer in 0..100000"),
	T("idle_sleep_max_us null", "{\"idle_sleep_max_us\": null}", "idle_sleep_max_us: must be"),
	T("idle_sleep_max_us bool", "{\"idle_sleep_max_us\": true}", "idle_sleep_max_us: must be"),
	T("idle_sleep_max_us array", "{\"idle_sleep_max_us\": [200]}", "idle_sleep_max_us: must be"),
	T("idle_sleep_max_us negative", "{\"idle_sleep_max_us\": -1}", "idle_sleep_max_us: must be"),
	T("idle_sleep_max_us above", "{\"idle_sleep_max_us\": 100001}", "0..100000"),
	T("idle_sleep_max_us real", "{\"idle_sleep_max_us\": 200.5}", "idle_sleep_max_us: must be"),
	T("idle_sleep_max_us 1e300", "{\"idle_sleep_max_us\": 1e300}", "idle_sleep_max_us: must"),
	T("idle_sleep_max_us 2^63", "{\"idle_sleep_max_us\": 9223372036854775808}", "too big"),
	T("idle_sleep_max_us 2^63-1", "{\"idle_sleep_max_us\": 9223372036854775807}",
	  "idle_sleep_max_us: must be an integer in 0..100000"),
	T("idle_sleep_max_us -2^63", "{\"idle_sleep_max_us\": -9223372036854775808}",
	  "idle_sleep_max_us: must be an integer in 0..100000"),
	T("idle_polls_before_sleep zero", "{\"idle_polls_before_sleep\": 0}",
	  "idle_polls_before_sleep: must be an integer in 1..1000000"),
	T("idle_polls_before_sleep above", "{\"idle_polls_before_sleep\": 1000001}",
	  "idle_polls_before_sleep: must be"),
	T("idle_polls_before_sleep negative", "{\"idle_polls_before_sleep\": -64}",
	  "idle_polls_before_sleep: must be"),
	T("idle_polls_before_sleep string", "{\"idle_polls_before_sleep\": \"64\"}",
	  "idle_polls_before_sleep: must be"),
	T("idle_polls_before_sleep null", "{\"idle_polls_before_sleep\": null}",
	  "idle_polls_before_sleep: must be"),
	T("mbufs zero", "{\"mbufs\": 0}", "mbufs: must be an integer in 1023..4194303"),
	T("mbufs below", "{\"mbufs\": 1022}", "mbufs: must be an integer in 1023..4194303"),
	T("mbufs above", "{\"mbufs\": 4194304}", "mbufs: must be an integer in 1023..4194303"),
	T("mbufs negative", "{\"mbufs\": -16383}", "mbufs: must be"),
	T("mbufs 2^32+16383", "{\"mbufs\": 4294983679}", "mbufs: must be"),
	T("mbufs 1e300", "{\"mbufs\": 1e300}", "mbufs: must be"),
	T("mbufs 2^63", "{\"mbufs\": 9223372036854775808}", "too big"),
	T("mbufs string", "{\"mbufs\": \"16383\"}", "mbufs: must be"),
	T("mbufs object", "{\"mbufs\": {}}", "mbufs: must be"),
	T("mbufs bool", "{\"mbufs\": false}", "mbufs: must be"),
	T("rx_desc below", "{\"rx_desc\": 63}", "rx_desc: must be an integer in 64..16384"),
	T("rx_desc zero", "{\"rx_desc\": 0}", "rx_desc: must be an integer in 64..16384"),
	T("rx_desc above", "{\"rx_desc\": 16385}", "rx_desc: must be"),
	T("rx_desc 65536+1024", "{\"rx_desc\": 66560}", "rx_desc: must be"),
	T("rx_desc string", "{\"rx_desc\": \"1024\"}", "rx_desc: must be"),
	T("rx_desc null", "{\"rx_desc\": null}", "rx_desc: must be"),
	T("tx_desc below", "{\"tx_desc\": 63}", "tx_desc: must be an integer in 64..16384"),
	T("tx_desc negative", "{\"tx_desc\": -1024}", "tx_desc: must be"),
	T("tx_desc above", "{\"tx_desc\": 16385}", "tx_desc: must be"),
	T("tx_desc 1e300", "{\"tx_desc\": 1e300}", "tx_desc: must be"),
	T("tx_desc array", "{\"tx_desc\": [1024]}", "tx_desc: must be"),

	// log_level
	T("log_level number", "{\"log_level\": 7}", "log_level: must be one of debug, info"),
	T("log_level null", "{\"log_level\": null}", "log_level: must be one of"),
	T("log_level bool", "{\"log_level\": true}", "log_level: must be one of"),
	T("log_level empty", "{\"log_level\": \"\"}", "log_level: must be one of"),
	T("log_level upper case", "{\"log_level\": \"INFO\"}", "log_level: must be one of"),
	T("log_level unknown", "{\"log_level\": \"loud\"}", "log_level: must be one of"),
	T("log_level array", "{\"log_level\": [\"info\"]}", "log_level: must be one of"),
	G("log_level 64 KiB", g_big_log_level, "log_level: must be one of"),

	// rules, rules_file
	T("rules array", "{\"rules\": []}", "rules: must be a rules document (an object)"),
	T("rules string", "{\"rules\": \"r.json\"}", "rules: must be a rules document"),
	T("rules number", "{\"rules\": 1}", "rules: must be a rules document"),
	T("rules null", "{\"rules\": null}", "rules: must be a rules document"),
	T("rules bool", "{\"rules\": true}", "rules: must be a rules document"),
	T("rules and rules_file", "{\"rules\": {}, \"rules_file\": \"r.json\"}",
	  "rules, rules_file: give one or the other"),
	T("rules_file number", "{\"rules_file\": 1}", "rules_file: must be a path"),
	T("rules_file null", "{\"rules_file\": null}", "rules_file: must be a path"),
	T("rules_file array", "{\"rules_file\": [\"r.json\"]}", "rules_file: must be a path"),
	T("rules_file object", "{\"rules_file\": {}}", "rules_file: must be a path"),
	T("rules_file bool", "{\"rules_file\": false}", "rules_file: must be a path"),
	T("rules_file empty", "{\"rules_file\": \"\"}", "rules_file: must be a path"),
	T("rules_file missing", "{\"rules_file\": \"/nonexistent/r.json\"}",
	  "rules_file: /nonexistent/r.json", "No such file"),
	G("rules_file a directory", g_rules_dir, "rules_file: /tmp/", "directory"),
	G("rules_file not JSON", g_rules_not_json, "rules_file: /tmp/", ":1:"),
	G("rules_file an array", g_rules_array, "rules_file: /tmp/", "rules document (an object)"),
	G("rules_file duplicate key", g_rules_dup, "rules_file: /tmp/", "duplicate", "revision"),
	G("rules_file 64 KiB", g_big_rules_file, "rules_file: must be a path of 1..4095"),

	// underlay
	T("underlay string", "{\"underlay\": \"eth0\"}", "underlay: must be an object"),
	T("underlay number", "{\"underlay\": 1}", "underlay: must be an object"),
	T("underlay array", "{\"underlay\": [{}]}", "underlay: must be an object"),
	T("underlay null", "{\"underlay\": null}", "underlay: must be an object"),
	T("underlay bool", "{\"underlay\": true}", "underlay: must be an object"),
	T("underlay empty", "{\"underlay\": {}}", "underlay: device: must be DPDK devargs"),
	T("underlay unknown key", UL(", \"vni\": 1"), "underlay: unknown key \"vni\""),
	G("underlay 64 KiB key", g_big_underlay_key, "underlay: unknown key \"kkkk"),
	T("device missing", "{\"underlay\": {\"address\": \"192.0.2.11/24\"}}",
	  "underlay: device: must be DPDK devargs"),
	T("device number", "{\"underlay\": {\"device\": 0, \"address\": \"192.0.2.11/24\"}}",
	  "underlay: device: must be"),
	T("device null", "{\"underlay\": {\"device\": null, \"address\": \"192.0.2.11/24\"}}",
	  "underlay: device: must be"),
	T("device array", "{\"underlay\": {\"device\": [\"net_null0\"], \"address\": \"192.0.2.11/24\"}}",
	  "underlay: device: must be"),
	T("device empty", "{\"underlay\": {\"device\": \"\", \"address\": \"192.0.2.11/24\"}}",
	  "underlay: device: must be"),
	G("device 64 KiB", g_big_device, "underlay: device: must be", "1..255"),
	T("address missing", "{\"underlay\": {\"device\": \"net_null0\"}}",
	  "underlay: address: must be the VTEP address and prefix"),
	T("address number", "{\"underlay\": {\"device\": \"net_null0\", \"address\": 3221225995}}",
	  "underlay: address: must be"),
	T("address null", "{\"underlay\": {\"device\": \"net_null0\", \"address\": null}}",
	  "underlay: address: must be"),
	T("address empty", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"\"}}",
	  "underlay: address: must be"),
	T("address without prefix", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11\"}}",
	  "underlay: address: must be"),
	T("address /0", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/0\"}}",
	  "underlay: address: must be"),
	T("address /33", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/33\"}}",
	  "underlay: address: must be"),
	T("address /-1", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/-1\"}}",
	  "underlay: address: must be"),
	T("address / 24", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/ 24\"}}",
	  "underlay: address: must be"),
	T("address /+24", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/+24\"}}",
	  "underlay: address: must be"),
	T("address /24x", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/24x\"}}",
	  "underlay: address: must be"),
	T("address /2^64", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/18446744073709551640\"}}",
	  "underlay: address: must be"),
	T("address octet 300", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.300/24\"}}",
	  "underlay: address: must be"),
	T("address IPv6", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"2001:db8::1/64\"}}",
	  "underlay: address: must be"),
	G("address 64 KiB", g_big_address, "underlay: address: must be"),
	T("gateway number", UL(", \"gateway\": 1"), "underlay: gateway: must be an IPv4 address"),
	T("gateway null", UL(", \"gateway\": null"), "underlay: gateway: must be an IPv4 address"),
	T("gateway empty", UL(", \"gateway\": \"\""), "underlay: gateway: must be an IPv4 address"),
	T("gateway with prefix", UL(", \"gateway\": \"192.0.2.1/24\""), "underlay: gateway: must be"),
	T("gateway outside", UL(", \"gateway\": \"198.51.100.1\""),
	  "underlay: gateway: not inside the underlay prefix /24"),
	T("gateway our own address", UL(", \"gateway\": \"192.0.2.11\""), "underlay: gateway:",
	  "VTEP address"),
	G("gateway 64 KiB", g_big_gateway, "underlay: gateway: must be"),
	T("mac number", UL(", \"mac\": 2"), "underlay: mac: must be a unicast MAC address"),
	T("mac null", UL(", \"mac\": null"), "underlay: mac: must be a unicast MAC address"),
	T("mac empty", UL(", \"mac\": \"\""), "underlay: mac: must be"),
	T("mac not a MAC", UL(", \"mac\": \"02:00:c0:00:02:zz\""), "underlay: mac: must be"),
	T("mac multicast", UL(", \"mac\": \"01:00:5e:00:00:01\""), "underlay: mac: must be"),
	T("mac broadcast", UL(", \"mac\": \"ff:ff:ff:ff:ff:ff\""), "underlay: mac: must be"),
	T("mac zero", UL(", \"mac\": \"00:00:00:00:00:00\""), "underlay: mac: must be"),
	G("mac 64 KiB", g_big_mac, "underlay: mac: must be"),
	T("udp_port zero", UL(", \"udp_port\": 0"), "underlay: udp_port: must be an integer in 1..65535"),
	T("udp_port above", UL(", \"udp_port\": 65536"), "underlay: udp_port: must be"),
	T("udp_port negative", UL(", \"udp_port\": -4789"), "underlay: udp_port: must be"),
	T("udp_port string", UL(", \"udp_port\": \"4789\""), "underlay: udp_port: must be"),
	T("udp_port null", UL(", \"udp_port\": null"), "underlay: udp_port: must be"),
	T("udp_port 1e300", UL(", \"udp_port\": 1e300"), "underlay: udp_port: must be"),
	T("udp_port 2^63", UL(", \"udp_port\": 9223372036854775808"), "too big"),
	T("udp_port 2^63-1", UL(", \"udp_port\": 9223372036854775807"), "underlay: udp_port: must"),
	T("ttl zero", UL(", \"ttl\": 0"), "underlay: ttl: must be an integer in 1..255"),
	T("ttl above", UL(", \"ttl\": 256"), "underlay: ttl: must be"),
	T("ttl string", UL(", \"ttl\": \"64\""), "underlay: ttl: must be"),
	T("ttl bool", UL(", \"ttl\": true"), "underlay: ttl: must be"),
	T("dscp negative", UL(", \"dscp\": -1"), "underlay: dscp: must be an integer in 0..63"),
	T("dscp above", UL(", \"dscp\": 64"), "underlay: dscp: must be"),
	T("dscp real", UL(", \"dscp\": 0.0"), "underlay: dscp: must be"),
	T("dscp array", UL(", \"dscp\": [0]"), "underlay: dscp: must be"),
	T("mtu below", UL(", \"mtu\": 625"), "underlay: mtu: must be an integer in 626..9216"),
	T("mtu zero", UL(", \"mtu\": 0"), "underlay: mtu: must be"),
	T("mtu above", UL(", \"mtu\": 9217"), "underlay: mtu: must be"),
	T("mtu 65536+1500", UL(", \"mtu\": 67036"), "underlay: mtu: must be"),
	T("mtu object", UL(", \"mtu\": {}"), "underlay: mtu: must be"),
	T("static_neighbors object", UL(", \"static_neighbors\": {}"),
	  "underlay: static_neighbors: must be an array"),
	T("static_neighbors string", UL(", \"static_neighbors\": \"x\""),
	  "underlay: static_neighbors: must be an array"),
	T("static_neighbors null", UL(", \"static_neighbors\": null"),
	  "underlay: static_neighbors: must be an array"),
	T("static_neighbors number", UL(", \"static_neighbors\": 1"),
	  "underlay: static_neighbors: must be an array"),
	G("static_neighbors: one too many", g_neigh_65, "underlay: static_neighbors: at most 64"),
	T("static neighbour number", UL_NEIGH("1"), "underlay: static_neighbors[0]: needs \"ip\""),
	T("static neighbour string", UL_NEIGH("\"192.0.2.12\""), "static_neighbors[0]: needs"),
	T("static neighbour null", UL_NEIGH("null"), "static_neighbors[0]: needs"),
	T("static neighbour empty", UL_NEIGH("{}"), "static_neighbors[0]: needs"),
	T("static neighbour without mac", UL_NEIGH("{\"ip\": \"192.0.2.12\"}"), "static_neighbors[0]"),
	T("static neighbour without ip", UL_NEIGH("{\"mac\": \"02:00:c0:00:02:0c\"}"),
	  "static_neighbors[0]"),
	T("static neighbour ip number", UL_NEIGH("{\"ip\": 1, \"mac\": \"02:00:c0:00:02:0c\"}"),
	  "static_neighbors[0]"),
	T("static neighbour ip empty", UL_NEIGH("{\"ip\": \"\", \"mac\": \"02:00:c0:00:02:0c\"}"),
	  "static_neighbors[0]"),
	T("static neighbour ip with prefix",
	  UL_NEIGH("{\"ip\": \"192.0.2.12/24\", \"mac\": \"02:00:c0:00:02:0c\"}"), "static_neighbors[0]"),
	T("static neighbour mac null", UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": null}"),
	  "static_neighbors[0]"),
	T("static neighbour mac bad", UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02\"}"),
	  "static_neighbors[0]"),
	T("static neighbour mac broadcast",
	  UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"ff:ff:ff:ff:ff:ff\"}"), "static_neighbors[0]",
	  "unicast"),
	T("static neighbour mac multicast",
	  UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"01:00:5e:00:00:01\"}"), "static_neighbors[0]",
	  "unicast"),
	T("static neighbour mac zero",
	  UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"00:00:00:00:00:00\"}"), "static_neighbors[0]",
	  "unicast"),
	T("static neighbour unknown key",
	  UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02:0c\", \"ttl\": 5}"),
	  "static_neighbors[0]", "unknown key \"ttl\""),
	G("static neighbour twice", g_neigh_twice, "static_neighbors[1]", "192.0.2.12", "twice"),
	T("static neighbour same ip, other mac",
	  UL_NEIGH("{\"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02:0c\"}, "
		   "{\"ip\": \"192.0.2.13\", \"mac\": \"02:00:c0:00:02:0d\"}, "
		   "{\"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02:0e\"}"),
	  "static_neighbors[2]", "192.0.2.12", "twice"),
};

// Files that must still load: the examples of the docs and the limits themselves.
static const struct file_case good_files[] = {
	T("minimal", "{\"eal_args\": [\"-l\", \"0,1\"]}"),
	T("empty object", "{}"),
	T("every top-level key",
	  "{\"eal_args\": [\"-l\", \"0-2\", \"--file-prefix\", \"vnet0\", \"--no-pci\"],"
	  " \"in_memory\": false, \"workers\": [1, 2], \"socket\": \"/run/vnet/vnetd.sock\","
	  " \"idle_sleep_max_us\": 0, \"idle_polls_before_sleep\": 1, \"mbufs\": 1023,"
	  " \"rx_desc\": 64, \"tx_desc\": 16384, \"log_level\": \"debug\", \"rules\": {\"revision\": 1}}"),
	T("upper limits", "{\"idle_sleep_max_us\": 100000, \"idle_polls_before_sleep\": 1000000,"
	  " \"mbufs\": 4194303, \"rx_desc\": 16384, \"tx_desc\": 64, \"workers\": [0, 1023]}"),
	T("docs/overlay.md example",
	  "{\"underlay\": {\"device\": \"net_af_packet0,iface=ul-h1\", \"address\": \"192.0.2.11/24\","
	  " \"gateway\": \"192.0.2.1\", \"mac\": \"02:00:c0:00:02:0b\", \"udp_port\": 4789,"
	  " \"ttl\": 64, \"dscp\": 0, \"mtu\": 1500,"
	  " \"static_neighbors\": [ { \"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02:0c\" } ] }}"),
	T("underlay limits", UL(", \"udp_port\": 65535, \"ttl\": 255, \"dscp\": 63, \"mtu\": 9216")),
	T("underlay lower limits", UL(", \"udp_port\": 1, \"ttl\": 1, \"dscp\": 0, \"mtu\": 626,"
				      " \"static_neighbors\": []")),
	T("underlay /32", "{\"underlay\": {\"device\": \"net_null0\", \"address\": \"192.0.2.11/32\"}}"),
	T("eal_args with UTF-8", "{\"eal_args\": [\"--file-prefix\", \"vnet-\xc3\xa9t\xc3\xa9\"]}"),
	G("eal_args at the limit", g_eal_61),
	G("workers at the limit", g_workers_max),
	G("socket of 107 characters", g_socket_107),
	G("static_neighbors at the limit", g_neigh_64),
	G("rules_file", g_rules_good),
};

static void write_file(const char *text, size_t len, char *out, size_t out_size) {
	int fd;

	snprintf(out, out_size, "/tmp/vnet_ut_config_XXXXXX");
	fd = mkstemp(out);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static char *case_text(const struct file_case *c, size_t *len) {
	char *text = c->gen ? c->gen() : NULL;

	if (text == NULL) {
		*len = c->len ? c->len : strlen(c->text);
		text = xmalloc(*len + 1);
		memcpy(text, c->text, *len);
		text[*len] = '\0';
	} else {
		*len = strlen(text);
	}
	return text;
}

static void bad_files_refused(void **state) {
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct file_case *c = &bad_files[i];
		struct vnetd_config vc;
		char file[64], err[1024];
		size_t len, n;
		char *text = case_text(c, &len);
		const char *problem = NULL;
		int ret;

		write_file(text, len, file, sizeof(file));
		free(text);
		memset(err, 0, sizeof(err));
		memset(&vc, 0xa5, sizeof(vc)); // the loader must not trust what it is given
		ret = vnetd_config_load(file, &vc, err, sizeof(err));
		n = strlen(file);
		if (ret != -EINVAL)
			problem = "not refused with -EINVAL";
		else if (strncmp(err, file, n) != 0 || err[n] != ':')
			problem = "does not start with \"<file>:\"";
		for (int w = 0; problem == NULL && w < 4 && c->words[w] != NULL; w++)
			if (strstr(err, c->words[w]) == NULL)
				problem = c->words[w];
		if (problem != NULL) {
			print_error("case %zu (%s): \"%.300s\": %s\n", i, c->desc, err, problem);
			failures++;
		} else {
			print_message("ok: %s: %.200s\n", c->desc, err + n);
		}
		vnetd_config_fini(&vc); // safe after a refusal (and twice)
		vnetd_config_fini(&vc);
		unlink(file);
	}
	print_message("%zu bad files\n", sizeof(bad_files) / sizeof(bad_files[0]));
	assert_int_equal(failures, 0);
}

static void good_files_load(void **state) {
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(good_files) / sizeof(good_files[0]); i++) {
		const struct file_case *c = &good_files[i];
		struct vnetd_config vc;
		char file[64], err[1024] = "";
		size_t len;
		char *text = case_text(c, &len);

		write_file(text, len, file, sizeof(file));
		free(text);
		if (vnetd_config_load(file, &vc, err, sizeof(err)) != 0) {
			print_error("good case %zu (%s) refused: %s\n", i, c->desc, err);
			failures++;
		} else {
			assert_true(vc.eal_argc >= 1 && vc.eal_argc < VNETD_EAL_ARGS_MAX);
			assert_null(vc.eal_argv[vc.eal_argc]);
			vnetd_config_fini(&vc);
		}
		unlink(file);
	}
	assert_int_equal(failures, 0);
}

static int files_setup(void **state) {
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/vnet_ut_config_dir_XXXXXX");
	if (mkdtemp(tmp_dir) == NULL)
		return -1;
	write_file("revision: 1\n", 12, rules_not_json, sizeof(rules_not_json));
	write_file("[{\"revision\": 1}]", 17, rules_array, sizeof(rules_array));
	write_file("{\"revision\": 1, \"revision\": 2}", 30, rules_dup, sizeof(rules_dup));
	write_file("{\"revision\": 1}", 15, rules_good, sizeof(rules_good));
	return 0;
}

static int files_teardown(void **state) {
	(void)state;
	rmdir(tmp_dir);
	unlink(rules_not_json);
	unlink(rules_array);
	unlink(rules_dup);
	unlink(rules_good);
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(errors_name_the_key),
		cmocka_unit_test(bad_files_refused),
		cmocka_unit_test(good_files_load),
	};
	int ret;

	snprintf(path, sizeof(path), "/tmp/vnet_ut_config_%d.json", getpid());
	ret = cmocka_run_group_tests(tests, files_setup, files_teardown);
	unlink(path);
	return ret;
}
