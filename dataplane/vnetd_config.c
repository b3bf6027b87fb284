// SPDX-License-Identifier: BSD-3-Clause
// Loading and validating vnetd's configuration file. Every error names the key and the problem.

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataplane/vnetd_config.h"

static const char *const known_keys[] = {
	"eal_args", "in_memory", "workers", "socket", "idle_sleep_max_us",
	"idle_polls_before_sleep", "mbufs", "rx_desc", "tx_desc", "log_level", "rules",
	"rules_file", NULL,
};


// As many keys as features register (from constructors, before main).
static struct feature_key {
	const char *key;
	vnetd_config_key_fn fn;
} *feature_keys;
static int n_feature_keys;

void vnetd_config_key_register(const char *key, vnetd_config_key_fn fn) {
	struct feature_key *k = realloc(feature_keys, (size_t)(n_feature_keys + 1) * sizeof(*k));

	if (k == NULL) {
		fprintf(stderr, "vnetd: vnetd_config_key_register %s: out of memory\n", key);
		abort();
	}
	feature_keys = k;
	feature_keys[n_feature_keys++] = (struct feature_key){key, fn};
}

static int feature_key_index(const char *key) {
	for (int i = 0; i < n_feature_keys; i++)
		if (strcmp(feature_keys[i].key, key) == 0)
			return i;
	return -1;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, err_size, __VA_ARGS__);                                              \
		return -EINVAL;                                                                    \
	} while (0)

static int get_uint(const json_t *root, const char *key, uint64_t min, uint64_t max,
		    uint64_t *out, char *err, size_t err_size) {
	const json_t *v = json_object_get(root, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
	    json_integer_value(v) > (json_int_t)max)
		FAIL("%s: must be an integer in %llu..%llu", key, (unsigned long long)min,
		     (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int load_eal(const json_t *root, struct vnetd_config *vc, char *err, size_t err_size) {
	const json_t *args = json_object_get(root, "eal_args");
	const json_t *v = json_object_get(root, "in_memory");
	size_t i;
	json_t *a;

	vc->eal_argv[vc->eal_argc++] = (char *)"vnetd";
	if (args != NULL && !json_is_array(args))
		FAIL("eal_args: must be an array of strings");
	json_array_foreach(args, i, a) {
		if (!json_is_string(a))
			FAIL("eal_args[%zu]: must be a string", i);
		if (json_string_length(a) == 0)
			FAIL("eal_args[%zu]: must not be empty", i);
		if (vc->eal_argc >= VNETD_EAL_ARGS_MAX - 2)
			FAIL("eal_args: more than %d arguments", VNETD_EAL_ARGS_MAX - 3);
		vc->eal_argv[vc->eal_argc++] = (char *)json_string_value(a);
	}
	if (v != NULL && !json_is_boolean(v))
		FAIL("in_memory: must be true or false");
	vc->in_memory = v == NULL || json_is_true(v);
	if (vc->in_memory)
		vc->eal_argv[vc->eal_argc++] = (char *)"--in-memory";
	vc->eal_argv[vc->eal_argc] = NULL;
	return 0;
}

static int load_workers(const json_t *root, struct vnetd_config *vc, char *err, size_t err_size) {
	const json_t *w = json_object_get(root, "workers");
	size_t i;
	json_t *a;

	if (w == NULL)
		return 0;
	if (!json_is_array(w) || json_array_size(w) == 0 || json_array_size(w) > DP_WORKERS_MAX)
		FAIL("workers: must be an array of 1..%d lcore ids", DP_WORKERS_MAX);
	json_array_foreach(w, i, a) {
		if (!json_is_integer(a) || json_integer_value(a) < 0 ||
		    json_integer_value(a) >= 1024)
			FAIL("workers[%zu]: must be an lcore id (0..1023)", i);
		for (int j = 0; j < vc->n_workers; j++)
			if (vc->workers[j] == (unsigned int)json_integer_value(a))
				FAIL("workers[%zu]: lcore %u given twice", i, vc->workers[j]);
		vc->workers[vc->n_workers++] = (unsigned int)json_integer_value(a);
	}
	return 0;
}

static int load_rules(const json_t *root, struct vnetd_config *vc, const char *path, char *err,
		      size_t err_size) {
	const json_t *rules = json_object_get(root, "rules");
	const json_t *file = json_object_get(root, "rules_file");
	json_error_t jerr;
	struct stat st;
	const char *p;
	FILE *f;

	if (rules != NULL && file != NULL)
		FAIL("rules, rules_file: give one or the other");
	if (rules != NULL) {
		if (!json_is_object(rules))
			FAIL("rules: must be a rules document (an object)");
		vc->rules = json_incref((json_t *)rules);
	} else if (file != NULL) {
		if (!json_is_string(file) || json_string_length(file) == 0 ||
		    json_string_length(file) >= PATH_MAX)
			FAIL("rules_file: must be a path of 1..%d characters", PATH_MAX - 1);
		p = json_string_value(file);
		f = fopen(p, "r");
		if (f == NULL)
			FAIL("rules_file: %.256s: %s", p, strerror(errno));
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			fclose(f);
			FAIL("rules_file: %.256s: is a directory", p);
		}
		// Like the file itself and an inline "rules": duplicate keys are refused.
		vc->rules = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
		fclose(f);
		if (vc->rules == NULL)
			FAIL("rules_file: %.256s:%d:%d: %s", p, jerr.line, jerr.column, jerr.text);
		if (!json_is_object(vc->rules))
			FAIL("rules_file: %.256s: must be a rules document (an object)", p);
	}
	(void)path;
	return 0;
}

static int load_strings(const json_t *root, struct vnetd_config *vc, char *err, size_t err_size) {
	const json_t *v = json_object_get(root, "socket");

	snprintf(vc->socket, sizeof(vc->socket), "/run/vnet/vnetd.sock");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0 ||
			  json_string_length(v) >= sizeof(vc->socket)))
		FAIL("socket: must be a path of 1..%zu characters", sizeof(vc->socket) - 1);
	if (v != NULL)
		snprintf(vc->socket, sizeof(vc->socket), "%s", json_string_value(v));
	v = json_object_get(root, "log_level");
	snprintf(vc->log_level, sizeof(vc->log_level), "info");
	if (v != NULL) {
		const char *s = json_string_value(v);
		if (s == NULL || (strcmp(s, "debug") && strcmp(s, "info") && strcmp(s, "notice") &&
				  strcmp(s, "warning") && strcmp(s, "error")))
			FAIL("log_level: must be one of debug, info, notice, warning, error");
		snprintf(vc->log_level, sizeof(vc->log_level), "%s", s);
	}
	return 0;
}

static int load_numbers(const json_t *root, struct vnetd_config *vc, char *err, size_t err_size) {
	uint64_t sleep_us = 200, polls = 64, mbufs = 16383, rx = 1024, tx = 1024;

	if (get_uint(root, "idle_sleep_max_us", 0, 100000, &sleep_us, err, err_size) < 0 ||
	    get_uint(root, "idle_polls_before_sleep", 1, 1000000, &polls, err, err_size) < 0 ||
	    get_uint(root, "mbufs", 1023, 4194303, &mbufs, err, err_size) < 0 ||
	    get_uint(root, "rx_desc", 64, 16384, &rx, err, err_size) < 0 ||
	    get_uint(root, "tx_desc", 64, 16384, &tx, err, err_size) < 0)
		return -EINVAL;
	vc->idle_sleep_max_us = (uint32_t)sleep_us;
	vc->idle_polls_before_sleep = (uint32_t)polls;
	vc->mbufs = (uint32_t)mbufs;
	vc->rx_desc = (uint16_t)rx;
	vc->tx_desc = (uint16_t)tx;
	return 0;
}

static int load(const json_t *root, struct vnetd_config *vc, const char *path, char *err,
		size_t err_size) {
	const char *key;
	json_t *v;

	if (!json_is_object(root))
		FAIL("(file): must be a JSON object");
	json_object_foreach((json_t *)root, key, v) {
		bool ok = false;
		for (int i = 0; known_keys[i] != NULL && !ok; i++)
			ok = strcmp(key, known_keys[i]) == 0;
		if (!ok && feature_key_index(key) < 0)
			FAIL("%.128s%s: unknown key", key, strlen(key) > 128 ? "..." : "");
	}
	for (int i = 0; i < n_feature_keys; i++) {
		const json_t *v = json_object_get(root, feature_keys[i].key);
		char msg[512] = "";
		if (feature_keys[i].fn(v, msg, sizeof(msg)) < 0)
			FAIL("%s: %s", feature_keys[i].key, msg);
	}
	if (load_eal(root, vc, err, err_size) < 0 || load_workers(root, vc, err, err_size) < 0 ||
	    load_strings(root, vc, err, err_size) < 0 ||
	    load_numbers(root, vc, err, err_size) < 0 ||
	    load_rules(root, vc, path, err, err_size) < 0)
		return -EINVAL;
	return 0;
}

int vnetd_config_load(const char *path, struct vnetd_config *vc, char *err, size_t err_size) {
	char msg[1024];
	json_error_t jerr;
	int ret;

	memset(vc, 0, sizeof(*vc));
	vc->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (vc->root == NULL) {
		if (jerr.line < 0)
			snprintf(err, err_size, "%s: %s", path, jerr.text);
		else
			snprintf(err, err_size, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				 jerr.text);
		return -EINVAL;
	}
	ret = load(vc->root, vc, path, msg, sizeof(msg));
	if (ret < 0) {
		snprintf(err, err_size, "%s: %s", path, msg);
		vnetd_config_fini(vc);
	}
	return ret;
}

void vnetd_config_fini(struct vnetd_config *vc) {
	json_decref(vc->rules);
	json_decref(vc->root);
	memset(vc, 0, sizeof(*vc));
}
