// SPDX-License-Identifier: BSD-3-Clause
// The operations between rules documents (docops.h).

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/docops.h"

static const struct {
	const char *array, *kind;
	bool by_mac;
} kinds[] = {
	{"networks", "network", false},      {"routers", "router", false},
	{"security_groups", "security_group", false}, {"ports", "port", false},
	{"remote_ports", "remote_port", true}, {"static_macs", "static_mac", true},
};

// The key of an object of a document's array: its id, or its network and MAC.
static json_t *doc_key(const json_t *o, bool by_mac) {
	return by_mac ? json_pack("{sOsO}", "network", json_object_get(o, "network"), "mac",
				  json_object_get(o, "mac"))
		      : json_incref(json_object_get(o, "id"));
}

static char *key_text(const json_t *k) {
	return json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

json_t *doc_ops(const json_t *old, const json_t *new) {
	json_t *ops = json_array();

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const json_t *a = json_object_get(old, kinds[k].array), *b = json_object_get(new, kinds[k].array);
		json_t *in_old = json_object(), *in_new = json_object(), *o;
		size_t i;
		json_array_foreach(a, i, o) {
			json_t *key = doc_key(o, kinds[k].by_mac);
			char *t = key_text(key);
			json_object_set(in_old, t, o);
			free(t);
			json_decref(key);
		}
		json_array_foreach(b, i, o) {
			json_t *key = doc_key(o, kinds[k].by_mac);
			char *t = key_text(key);
			json_object_set(in_new, t, o);
			free(t);
			json_decref(key);
		}
		json_array_foreach(a, i, o) { // removed
			json_t *key = doc_key(o, kinds[k].by_mac);
			char *t = key_text(key);
			if (json_object_get(in_new, t) == NULL)
				json_array_append_new(ops, json_pack("{sssssO}", "op", "remove", "kind",
								     kinds[k].kind, "id", key));
			free(t);
			json_decref(key);
		}
		json_array_foreach(b, i, o) { // replaced, added
			json_t *key = doc_key(o, kinds[k].by_mac);
			char *t = key_text(key);
			const json_t *was = json_object_get(in_old, t);
			if (was == NULL)
				json_array_append_new(ops, json_pack("{sssssO}", "op", "add", "kind",
								     kinds[k].kind, "object", o));
			else if (!json_equal((json_t *)was, o))
				json_array_append_new(ops, json_pack("{sssssO}", "op", "replace", "kind",
								     kinds[k].kind, "object", o));
			free(t);
			json_decref(key);
		}
		json_decref(in_old);
		json_decref(in_new);
	}
	return ops;
}

int doc_apply_ops(json_t *doc, const json_t *ops, char *err, size_t err_size) {
	const json_t *op;
	size_t i;

	if (!json_is_array(ops)) {
		snprintf(err, err_size, "ops: an array is expected");
		return -1;
	}
	json_array_foreach(ops, i, op) {
		const char *what = json_string_value(json_object_get(op, "op"));
		const char *kind = json_string_value(json_object_get(op, "kind"));
		const json_t *obj = json_object_get(op, "object");
		json_t *arr, *key, *o;
		size_t k, j, at = (size_t)-1;
		char *want;
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (kind != NULL && strcmp(kind, kinds[k].kind) == 0)
				break;
		if (what == NULL || k == sizeof(kinds) / sizeof(kinds[0]) ||
		    (strcmp(what, "remove") != 0 && !json_is_object(obj))) {
			snprintf(err, err_size, "ops[%zu]: an op (add, remove, replace) of a known kind, "
				 "with its object, is expected", i);
			return -1;
		}
		arr = json_object_get(doc, kinds[k].array);
		if (arr == NULL) {
			arr = json_array();
			json_object_set_new(doc, kinds[k].array, arr);
		}
		key = obj != NULL ? doc_key(obj, kinds[k].by_mac) : json_incref(json_object_get(op, "id"));
		want = key_text(key);
		json_decref(key);
		json_array_foreach(arr, j, o) {
			json_t *ok = doc_key(o, kinds[k].by_mac);
			char *t = key_text(ok);
			bool same = t != NULL && want != NULL && strcmp(t, want) == 0;
			free(t);
			json_decref(ok);
			if (same) {
				at = j;
				break;
			}
		}
		free(want);
		if (strcmp(what, "add") == 0) {
			if (at != (size_t)-1) {
				snprintf(err, err_size, "ops[%zu]: %s already exists", i, kind);
				return -1;
			}
			json_array_append_new(arr, json_deep_copy(obj));
		} else if (strcmp(what, "replace") == 0 || strcmp(what, "remove") == 0) {
			if (at == (size_t)-1) {
				snprintf(err, err_size, "ops[%zu]: no such %s", i, kind);
				return -1;
			}
			if (what[2] == 'p') // replace
				json_array_set_new(arr, at, json_deep_copy(obj));
			else
				json_array_remove(arr, at);
		} else {
			snprintf(err, err_size, "ops[%zu]: unknown op '%s'", i, what);
			return -1;
		}
	}
	return 0;
}
