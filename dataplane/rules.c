// SPDX-License-Identifier: BSD-3-Clause
// The transaction engine: turn a whole document or a list of operations into a new dp_config,
// validated whole by every registered section, then publish it. Control thread only.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DP_LOG_TYPE dp_logtype_rules
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/rules.h"
#include "dataplane/rules_ctx.h"
#include "dataplane/worker.h"

static struct rules_section *sections[DP_SECTIONS_MAX];
static int n_sections;
// The last generation given to each section's data: never reused in the process's life (not even
// after an unpublication), so that a cache keyed on it can never match data it did not see.
static uint64_t section_generations[DP_SECTIONS_MAX];

#define DP_SYSTEM_PORTS_MAX 4
static struct dp_port system_ports[DP_SYSTEM_PORTS_MAX];
static uint16_t n_system_ports;

int dp_system_port_add(const char *name, const char *device, uint16_t port_id, uint8_t rx_edge) {
	struct dp_port *p;

	if (n_system_ports >= DP_SYSTEM_PORTS_MAX)
		return -ENOSPC;
	p = &system_ports[n_system_ports];
	*p = (struct dp_port){.port_id = port_id, .rx_edge = rx_edge, .system = true,
			      .worker = (uint16_t)(n_system_ports % RTE_MAX(1u, dp_workers_count()))};
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->device, sizeof(p->device), "%s", device);
	n_system_ports++;
	return 0;
}

void rules_section_register(struct rules_section *sec) {
	if (n_sections >= DP_SECTIONS_MAX)
		rte_panic("too many rules sections (max %d)\n", DP_SECTIONS_MAX);
	sec->index = n_sections;
	sections[n_sections++] = sec;
}

const json_t *rules_current(void) {
	const struct dp_config *cfg = dp_config_current();
	return cfg != NULL ? cfg->doc : NULL;
}

// Let go of one reference to `st`; the last one frees the section's data.
static void state_release(int i, struct rules_section_state *st) {
	if (st == NULL || --st->refs > 0)
		return;
	if (sections[i]->free != NULL)
		sections[i]->free(st->data);
	json_decref(st->record);
	free(st->objects.v);
	free(st);
}

void rules_sections_free(struct dp_config *cfg) {
	for (int i = 0; i < n_sections; i++) {
		state_release(i, cfg->section_state[i]);
		cfg->section_state[i] = NULL;
		cfg->section[i] = NULL;
	}
}

// What the section parsing now declares goes into its record too (replayed when it is reused).
static void record_add(struct rules_ctx *ctx, const char *what, const char *a, const char *b,
		       const char *path) {
	if (ctx->section >= 0 && ctx->record[ctx->section] != NULL)
		json_array_append_new(json_object_get(ctx->record[ctx->section], what),
				      json_pack("[sss]", a, b, path));
}

// --- cross references ---------------------------------------------------------------------------

static void ref_key(char *buf, size_t size, const char *kind, const char *id) {
	snprintf(buf, size, "%s/%s", kind, id);
}

int rules_define(struct rules_ctx *ctx, const char *kind, const char *id, const char *path) {
	char key[160];
	json_t *prev;

	ref_key(key, sizeof(key), kind, id);
	prev = json_object_get(ctx->defined, key);
	if (prev != NULL)
		return rules_error(ctx, path, "duplicate %s id \"%s\" (first defined at %s)", kind,
				   id, json_string_value(prev));
	json_object_set_new(ctx->defined, key, json_string(path));
	record_add(ctx, "defines", kind, id, path);
	return 0;
}

void rules_refer(struct rules_ctx *ctx, const char *kind, const char *id, const char *path) {
	json_array_append_new(ctx->refs, json_pack("[sss]", kind, id, path));
	record_add(ctx, "refs", kind, id, path);
}

bool rules_is_defined(struct rules_ctx *ctx, const char *kind, const char *id) {
	char key[160];

	ref_key(key, sizeof(key), kind, id);
	return json_object_get(ctx->defined, key) != NULL;
}

static int refs_check(struct rules_ctx *ctx) {
	size_t i;
	json_t *r;

	json_array_foreach(ctx->refs, i, r) {
		const char *kind = json_string_value(json_array_get(r, 0));
		const char *id = json_string_value(json_array_get(r, 1));
		if (!rules_is_defined(ctx, kind, id))
			return rules_error(ctx, json_string_value(json_array_get(r, 2)),
					   "refers to unknown %s \"%s\"", kind, id);
	}
	return 0;
}

int rules_port_want(struct rules_ctx *ctx, const char *name, const char *devargs,
		    const struct rte_ether_addr *mac, uint16_t mtu, const char *path) {
	char mac_text[RTE_ETHER_ADDR_FMT_SIZE] = "";
	struct rules_port_want *w;

	if (strlen(devargs) == 0 || strlen(devargs) >= DP_DEVARGS_SIZE)
		return rules_error(ctx, path, "device must be 1..%d characters of DPDK devargs",
				   DP_DEVARGS_SIZE - 1);
	for (uint16_t i = 0; i < ctx->n_ports; i++) {
		const char *a = ctx->ports[i].device, *b = devargs;
		size_t la = strcspn(a, ","), lb = strcspn(b, ",");
		if (la == lb && strncmp(a, b, la) == 0)
			return rules_error(ctx, path, "device \"%.*s\" is already used by %s",
					   (int)lb, b, ctx->ports[i].path);
	}
	if (ctx->n_ports >= DP_PORTS_MAX)
		return rules_error(ctx, path, "too many ports (at most %d per vnetd)",
				   DP_PORTS_MAX);
	w = &ctx->ports[ctx->n_ports++];
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->device, sizeof(w->device), "%s", devargs);
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->mac = mac != NULL ? *mac : (struct rte_ether_addr){0};
	w->mtu = mtu;
	if (mac != NULL)
		rte_ether_format_addr(mac_text, sizeof(mac_text), mac);
	if (ctx->section >= 0 && ctx->record[ctx->section] != NULL)
		json_array_append_new(json_object_get(ctx->record[ctx->section], "ports"),
				      json_pack("[sssssi]", name, devargs, path, mac_text, "mtu",
						(int)mtu));
	return 0;
}

// --- validation ---------------------------------------------------------------------------------

// The array of kind `key_or_kind` (any), or of top-level key `key_or_kind` (not nested ones).
static const struct rules_array *array_find(const char *key_or_kind, bool by_kind) {
	for (int s = 0; s < n_sections; s++)
		for (const struct rules_array *a = sections[s]->arrays; a->key != NULL; a++)
			if (by_kind ? strcmp(a->kind, key_or_kind) == 0
				    : a->parent == NULL && strcmp(a->key, key_or_kind) == 0)
				return a;
	return NULL;
}

static int toplevel_check(struct rules_ctx *ctx, const json_t *doc) {
	const char *key;
	json_t *v;

	if (!json_is_object(doc))
		return rules_error(ctx, "(document)", "must be a JSON object");
	json_object_foreach((json_t *)doc, key, v) {
		if (strcmp(key, "revision") == 0 || strcmp(key, "force") == 0 ||
		    strcmp(key, "comment") == 0)
			continue;
		if (array_find(key, false) == NULL)
			return rules_error(ctx, key, "unknown top-level key");
		if (!json_is_array(v))
			return rules_error(ctx, key, "must be an array");
	}
	return 0;
}

static void ctx_init(struct rules_ctx *ctx) {
	memset(ctx, 0, sizeof(*ctx));
	ctx->defined = json_object();
	ctx->refs = json_array();
	ctx->section = -1;
}

// Free what the transaction parsed and did not move into a snapshot. Reused states are only
// borrowed (their references are taken when they move into the new snapshot).
static void ctx_fini(struct rules_ctx *ctx) {
	for (int i = 0; i < n_sections; i++) {
		if (ctx->data[i] != NULL && sections[i]->free != NULL)
			sections[i]->free(ctx->data[i]);
		ctx->data[i] = NULL;
		json_decref(ctx->record[i]);
		ctx->record[i] = NULL;
		ctx->reused[i] = NULL;
		free(ctx->objects[i].v);
		ctx->objects[i] = (struct rules_objects){0};
	}
	json_decref(ctx->defined);
	json_decref(ctx->refs);
	json_decref(ctx->obj_index);
}

// Whether the top-level values x and y (either may be NULL) are the same for a reader of only
// the member fields `fields` ("id,mac") of each element: same length, and each element's fields
// equal (absent in both is equal).
static bool projection_equal(const json_t *x, const json_t *y, const char *fields) {
	char buf[128], *save = NULL;

	if (json_array_size(x) != json_array_size(y))
		return false;
	for (size_t i = 0; i < json_array_size(x); i++) {
		const json_t *a = json_array_get(x, i), *b = json_array_get(y, i);

		snprintf(buf, sizeof(buf), "%s", fields);
		for (char *f = strtok_r(buf, ",", &save); f != NULL; f = strtok_r(NULL, ",", &save)) {
			const json_t *va = json_object_get(a, f), *vb = json_object_get(b, f);
			if ((va == NULL) != (vb == NULL) || (va != NULL && !json_equal(va, vb)))
				return false;
		}
	}
	return true;
}

// Whether section `sec` sees the same document in `prev` and `doc`: every top-level key it owns
// or reads is equal in both (absent and [] are the same). A read "key[f1,f2]" compares only
// those fields of each element of the array `key`.
static bool section_unchanged(const struct rules_section *sec, const json_t *prev,
			      const json_t *doc) {
	const char *keys[RTE_DIM(sec->arrays) + RTE_DIM(sec->reads)];
	size_t n = 0;

	for (const struct rules_array *a = sec->arrays; a->key != NULL; a++)
		if (a->parent == NULL) // a nested array is part of its parent's
			keys[n++] = a->key;
	for (size_t r = 0; r < RTE_DIM(sec->reads) && sec->reads[r] != NULL; r++)
		keys[n++] = sec->reads[r];
	for (size_t k = 0; k < n; k++) {
		const char *br = strchr(keys[k], '[');
		char key[64];
		const json_t *x, *y;

		snprintf(key, sizeof(key), "%.*s", br != NULL ? (int)(br - keys[k]) : 63, keys[k]);
		x = json_object_get(prev, key);
		y = json_object_get(doc, key);
		if (json_array_size(x) == 0 && json_array_size(y) == 0 && (x == NULL || y == NULL))
			continue;
		if (br != NULL) {
			char fields[128];
			snprintf(fields, sizeof(fields), "%.*s", (int)strcspn(br + 1, "]"), br + 1);
			if (!projection_equal(x, y, fields))
				return false;
			continue;
		}
		if (x == NULL || y == NULL || !json_equal(x, y))
			return false;
	}
	return true;
}

// Declare again what a reused section declared when it parsed: its objects, its references to
// other sections' objects (checked again: they may be gone) and its ports, in the same order.
static int section_replay(struct rules_ctx *ctx, const struct rules_section_state *st) {
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(st->record, "defines"), i, e) {
		if (rules_define(ctx, json_string_value(json_array_get(e, 0)),
				 json_string_value(json_array_get(e, 1)),
				 json_string_value(json_array_get(e, 2))) < 0)
			return -EINVAL;
	}
	json_array_foreach(json_object_get(st->record, "refs"), i, e)
		rules_refer(ctx, json_string_value(json_array_get(e, 0)),
			    json_string_value(json_array_get(e, 1)),
			    json_string_value(json_array_get(e, 2)));
	json_array_foreach(json_object_get(st->record, "ports"), i, e) {
		struct rte_ether_addr mac;
		const char *mac_text = json_string_value(json_array_get(e, 3));
		bool has_mac = mac_text != NULL && rules_parse_mac(mac_text, &mac) == 0;

		if (rules_port_want(ctx, json_string_value(json_array_get(e, 0)),
				    json_string_value(json_array_get(e, 1)), has_mac ? &mac : NULL,
				    (uint16_t)json_integer_value(json_array_get(e, 5)),
				    json_string_value(json_array_get(e, 2))) < 0)
			return -EINVAL;
	}
	return 0;
}

// Run every section's parser, then check cross references. A section whose part of the document
// is the same as in `old` (the current snapshot; NULL: parse all) is not parsed: its data is
// reused, its declarations replayed. Returns 0 or -EINVAL.
static int ctx_parse(struct rules_ctx *ctx, const json_t *doc, const struct dp_config *old) {
	uint64_t revision = 0;
	bool force = false;
	int ret;

	ret = toplevel_check(ctx, doc);
	if (ret == 0)
		ret = rules_get_uint(ctx, doc, "(document)", "revision", true, 0, INT64_MAX,
				     &revision);
	if (ret == 0)
		ret = rules_get_bool(ctx, doc, "(document)", "force", false, &force);
	for (int i = 0; ret == 0 && i < n_sections; i++) {
		struct rules_section_state *prev = old != NULL ? old->section_state[i] : NULL;

		if (prev != NULL && section_unchanged(sections[i], old->doc, doc)) {
			ctx->reused[i] = prev;
			ret = section_replay(ctx, prev);
			continue;
		}
		ctx->record[i] = json_pack("{s[]s[]s[]}", "defines", "refs", "ports");
		ctx->section = i;
		ret = sections[i]->parse(ctx, doc, &ctx->data[i]);
		ctx->section = -1;
		if (ret < 0 && ctx->n_errors == 0)
			rules_error(ctx, sections[i]->name, "section failed: %s", strerror(-ret));
	}
	if (ret == 0)
		ret = refs_check(ctx);
	for (int i = 0; ret == 0 && i < n_sections; i++) {
		if (sections[i]->check == NULL)
			continue;
		ret = sections[i]->check(ctx, ctx->reused[i] ? ctx->reused[i]->data : ctx->data[i]);
		if (ret < 0 && ctx->n_errors == 0)
			rules_error(ctx, sections[i]->name, "check failed: %s", strerror(-ret));
	}
	return ret;
}

int rules_validate(const json_t *doc, char *err, size_t err_size) {
	struct rules_ctx *ctx = malloc(sizeof(*ctx));
	int ret;

	if (ctx == NULL)
		return -ENOMEM;
	ctx_init(ctx);
	ret = ctx_parse(ctx, doc, NULL);
	if (ret < 0)
		snprintf(err, err_size, "%s", ctx->err);
	ctx_fini(ctx);
	free(ctx);
	return ret;
}

// --- operations ---------------------------------------------------------------------------------

// Whether `obj` is identified by `id` (a string for one id field, an object for several).
static bool obj_matches(const struct rules_array *a, const json_t *obj, const json_t *id) {
	if (a->id_fields[1] == NULL) {
		const json_t *v = json_object_get(obj, a->id_fields[0]);
		if (!json_is_string(id) || v == NULL)
			return false;
		return json_equal(v, id) || (a->id_equal != NULL && a->id_equal(v, id));
	}
	for (int f = 0; f < 3 && a->id_fields[f] != NULL; f++) {
		const json_t *v = json_object_get(obj, a->id_fields[f]);
		const json_t *w = json_object_get(id, a->id_fields[f]);
		if (v == NULL || w == NULL)
			return false;
		// MAC addresses are the same in either case.
		if (strcmp(a->id_fields[f], "mac") == 0 && json_is_string(v) && json_is_string(w)) {
			if (strcasecmp(json_string_value(v), json_string_value(w)) != 0)
				return false;
		} else if (!json_equal(v, w)) {
			return false;
		}
	}
	return true;
}

// The identity of `obj` in the form used by "remove" ops, new reference or NULL if incomplete.
static json_t *obj_id(const struct rules_array *a, const json_t *obj) {
	json_t *id;

	if (a->id_fields[1] == NULL)
		return json_incref(json_object_get(obj, a->id_fields[0]));
	id = json_object();
	for (int f = 0; f < 3 && a->id_fields[f] != NULL; f++) {
		json_t *v = json_object_get(obj, a->id_fields[f]);
		if (v == NULL) {
			json_decref(id);
			return NULL;
		}
		json_object_set(id, a->id_fields[f], v);
	}
	return id;
}

static ssize_t array_index(const struct rules_array *a, const json_t *arr, const json_t *id) {
	size_t i;
	json_t *obj;

	json_array_foreach(arr, i, obj) {
		if (obj_matches(a, obj, id))
			return (ssize_t)i;
	}
	return -1;
}

// The nested array `a` of the parent object that operation `op` names (its "router"), ready to
// edit: the parent's top-level array, the parent object and the nested array are each copied
// (shallow) the first time a transaction edits them, so that a route operation on a router with
// a million routes copies one array of pointers and shares every route object. NULL with the
// error reported.
static json_t *nested_array(struct rules_ctx *ctx, json_t *doc, json_t *copied,
			    const struct rules_array *a, const json_t *op, const char *path) {
	const struct rules_array *pa = array_find(a->parent, true);
	const char *parent_id = NULL;
	char key[160];
	json_t *parr, *pobj, *arr;
	ssize_t pidx;

	if (pa == NULL || pa->id_fields[1] != NULL)
		return rules_error(ctx, path, "kind \"%s\" has no parent", a->kind), NULL;
	if (rules_get_string(ctx, op, path, a->parent, true, &parent_id) < 0)
		return NULL;
	parr = json_object_get(doc, pa->key);
	if (parr == NULL || (pidx = array_index(pa, parr, json_object_get(op, a->parent))) < 0)
		return rules_error(ctx, path, "no such %s \"%s\"", a->parent, parent_id), NULL;
	if (json_object_get(copied, pa->key) == NULL) {
		parr = json_copy(parr);
		json_object_set_new(doc, pa->key, parr);
		json_object_set_new(copied, pa->key, json_true());
	}
	snprintf(key, sizeof(key), "%s\x1f%s", pa->key, parent_id);
	pobj = json_array_get(parr, (size_t)pidx);
	if (json_object_get(copied, key) == NULL) {
		pobj = json_copy(pobj);
		json_array_set_new(parr, (size_t)pidx, pobj);
		json_object_set_new(copied, key, json_true());
	}
	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", pa->key, parent_id, a->key);
	arr = json_object_get(pobj, a->key);
	if (arr != NULL && !json_is_array(arr))
		return rules_error(ctx, path, "%s \"%s\": %s is not an array", a->parent, parent_id,
				   a->key), NULL;
	if (arr == NULL || json_object_get(copied, key) == NULL) {
		arr = arr != NULL ? json_copy(arr) : json_array();
		json_object_set_new(pobj, a->key, arr);
		json_object_set_new(copied, key, json_true());
	}
	return arr;
}

// Apply operation `op` to `doc`. The arrays of `doc` are shared with the applied document until an
// operation edits one: that one is copied first (its key goes into `copied`).
static int op_apply(struct rules_ctx *ctx, json_t *doc, json_t *copied, const json_t *op,
		    const char *path) {
	static const char *const keys[] = {"op", "kind", "object", "id", NULL};
	static const char *const nested_keys[] = {"op", "kind", "object", "id", NULL, NULL};
	const char *verb = NULL, *kind = NULL;
	const struct rules_array *a;
	const json_t *object, *id;
	json_t *arr, *owned_id = NULL;
	ssize_t idx;
	int ret;

	if (!json_is_object(op))
		return rules_error(ctx, path, "must be an object");
	if (rules_get_string(ctx, op, path, "op", true, &verb) < 0 ||
	    rules_get_string(ctx, op, path, "kind", true, &kind) < 0)
		return -EINVAL;
	a = array_find(kind, true);
	if (a == NULL)
		return rules_error(ctx, path, "unknown kind \"%s\"", kind);
	if (a->parent != NULL) {
		const char *nk[RTE_DIM(nested_keys)];
		memcpy(nk, nested_keys, sizeof(nk));
		nk[4] = a->parent; // "router": the object whose array it edits
		if (rules_check_keys(ctx, op, path, nk) < 0)
			return -EINVAL;
	} else if (rules_check_keys(ctx, op, path, keys) < 0) {
		return -EINVAL;
	}
	object = json_object_get(op, "object");
	id = json_object_get(op, "id");
	if (strcmp(verb, "remove") == 0) {
		if (id == NULL && object != NULL)
			id = owned_id = obj_id(a, object);
		if (id == NULL)
			return rules_error(ctx, path, "remove needs \"id\"");
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "replace") == 0) {
		if (!json_is_object(object))
			return rules_error(ctx, path, "%s needs \"object\" (a JSON object)", verb);
		id = owned_id = obj_id(a, object);
		if (id == NULL)
			return rules_error(ctx, path, "object lacks its identifying field \"%s\"",
					   a->id_fields[1] ? "network/mac" : a->id_fields[0]);
	} else {
		return rules_error(ctx, path, "op must be add, remove or replace, not \"%s\"", verb);
	}
	if (a->parent != NULL) {
		arr = nested_array(ctx, doc, copied, a, op, path);
		if (arr == NULL) {
			json_decref(owned_id);
			return -EINVAL;
		}
	} else {
		arr = json_object_get(doc, a->key);
		if (arr == NULL || json_object_get(copied, a->key) == NULL) {
			arr = arr != NULL ? json_copy(arr) : json_array(); // shallow: objects shared
			json_object_set_new(doc, a->key, arr);
			json_object_set_new(copied, a->key, json_true());
		}
	}
	idx = array_index(a, arr, id);
	ret = 0;
	if (strcmp(verb, "add") == 0 && idx >= 0)
		ret = rules_error(ctx, path, "%s already exists (use replace)", kind);
	else if (strcmp(verb, "add") != 0 && idx < 0)
		ret = rules_error(ctx, path, "no such %s", kind);
	else if (strcmp(verb, "add") == 0)
		json_array_append(arr, (json_t *)object);
	else if (strcmp(verb, "replace") == 0)
		json_array_set(arr, (size_t)idx, (json_t *)object);
	else
		json_array_remove(arr, (size_t)idx);
	json_decref(owned_id);
	return ret;
}

// Build the document that a transaction results in. New reference, or NULL with ctx->err set.
static json_t *txn_document(struct rules_ctx *ctx, const json_t *txn) {
	static const char *const txn_keys[] = {"ops", "revision", "comment", NULL};
	const json_t *ops = json_object_get(txn, "ops");
	const json_t *cur = rules_current();
	json_t *doc, *copied;
	uint64_t revision;
	size_t i;
	json_t *op;

	if (!json_is_object(txn)) {
		rules_error(ctx, "(transaction)", "must be a JSON object");
		return NULL;
	}
	if (ops == NULL)
		return json_deep_copy(txn);
	// Only these beside "ops": a document key here would be dropped without a word.
	if (rules_check_keys(ctx, txn, "(transaction)", txn_keys) < 0)
		return NULL;
	if (!json_is_array(ops)) {
		rules_error(ctx, "ops", "must be an array");
		return NULL;
	}
	// A shallow copy: the arrays that no operation edits stay the applied document's (nothing
	// writes to a published document), so copying, comparing (json_equal of the same pointer)
	// and freeing them cost nothing, whatever their size.
	doc = cur != NULL ? json_copy((json_t *)cur) : json_pack("{sI}", "revision", (json_int_t)0);
	copied = json_object();
	json_object_del(doc, "force");
	revision = (uint64_t)json_integer_value(json_object_get(doc, "revision")) + 1;
	if (rules_get_uint(ctx, txn, "(transaction)", "revision", false, 0, INT64_MAX,
			   &revision) < 0)
		goto err;
	json_object_set_new(doc, "revision", json_integer((json_int_t)revision));
	json_array_foreach(ops, i, op) {
		char path[32];
		snprintf(path, sizeof(path), "ops[%zu]", i);
		if (op_apply(ctx, doc, copied, op, path) < 0)
			goto err;
	}
	json_decref(copied);
	return doc;
err:
	json_decref(copied);
	json_decref(doc);
	return NULL;
}

static int revision_check(struct rules_ctx *ctx, const json_t *doc) {
	const json_t *cur = rules_current();
	json_int_t have, want = json_integer_value(json_object_get(doc, "revision"));

	// A revision that is no uint is reported by the validation, with its path.
	if (cur == NULL || json_is_true(json_object_get(doc, "force")) ||
	    !json_is_integer(json_object_get(doc, "revision")) || want < 0)
		return 0;
	have = json_integer_value(json_object_get(cur, "revision"));
	if (want < have)
		return rules_error(ctx, "revision",
				   "%lld is older than the applied revision %lld (set \"force\": "
				   "true to go back)",
				   (long long)want, (long long)have);
	return 0;
}

// --- apply --------------------------------------------------------------------------------------

// Attach the devices the new document wants and that the current snapshot lacks; fill the new
// snapshot's port table. On failure detaches what it attached.
static int ports_attach(struct rules_ctx *ctx, const struct dp_config *old, struct dp_config *cfg) {
	unsigned int n_workers = dp_workers_count() ? dp_workers_count() : 1;
	unsigned int load[DP_WORKERS_MAX] = {0};
	bool fresh[DP_PORTS_MAX] = {false};
	int ret = 0;
	uint16_t i;

	for (i = 0; i < ctx->n_ports; i++) {
		const struct rules_port_want *w = &ctx->ports[i];
		const struct dp_port *prev = old ? dp_config_port_lookup(old, w->name) : NULL;
		struct dp_port *p = &cfg->ports[i];

		if (i + n_system_ports >= DP_PORTS_MAX) {
			ret = rules_error(ctx, w->path, "too many ports (at most %d per vnetd)",
					  DP_PORTS_MAX - n_system_ports);
			break;
		}
		for (uint16_t s = 0; s < n_system_ports && ret == 0; s++)
			if (strcmp(system_ports[s].name, w->name) == 0)
				ret = rules_error(ctx, w->path, "port id \"%s\" is reserved", w->name);
		if (ret < 0)
			break;
		if (prev != NULL && strcmp(prev->device, w->device) != 0) {
			ret = rules_error(ctx, w->path,
					  "device changed from \"%s\": remove the port, then add it",
					  prev->device);
			break;
		}
		snprintf(p->name, sizeof(p->name), "%s", w->name);
		snprintf(p->device, sizeof(p->device), "%s", w->device);
		if (prev != NULL) {
			p->port_id = prev->port_id;
			p->worker = prev->worker;
			p->n_rxq = prev->n_rxq;
			memcpy(p->rxq_worker, prev->rxq_worker, sizeof(p->rxq_worker));
			for (uint16_t q = 0; q < p->n_rxq; q++)
				load[p->rxq_worker[q]]++;
		} else {
			char err[512];
			struct dp_port_spec spec = {.device = w->device, .mac = w->mac,
						    .mtu = w->mtu};
			ret = dp_port_attach(&spec, &p->port_id, err, sizeof(err));
			if (ret < 0) {
				rules_error(ctx, w->path, "%s", err);
				break;
			}
			fresh[i] = true;
			p->worker = UINT16_MAX;
		}
	}
	cfg->n_ports = i;
	if (ret < 0) {
		for (uint16_t j = 0; j < i; j++)
			if (fresh[j])
				dp_port_detach(cfg->ports[j].port_id);
		cfg->n_ports = 0;
		return ret;
	}
	for (uint16_t s = 0; s < n_system_ports; s++) {
		struct dp_port *p = &cfg->ports[cfg->n_ports++];

		*p = system_ports[s];
		p->n_rxq = 1;
		p->rxq_worker[0] = (uint8_t)p->worker;
		load[p->worker]++;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		struct dp_port *p = &cfg->ports[i];
		if (p->worker == UINT16_MAX) { // new port: its queues from the least loaded worker on
			unsigned int best = 0;
			for (unsigned int w = 1; w < n_workers; w++)
				if (load[w] < load[best])
					best = w;
			// The backend offers at most one RX queue per worker (port.h).
			unsigned int n_rxq = RTE_MAX(dp_port_devs[p->port_id].n_rxq, 1u);

			p->n_rxq = (uint16_t)RTE_MIN(n_rxq, RTE_MIN(n_workers, (unsigned int)DP_PORT_RXQ_MAX));
			for (uint16_t q = 0; q < p->n_rxq; q++) {
				p->rxq_worker[q] = (uint8_t)((best + q) % n_workers);
				load[p->rxq_worker[q]]++;
			}
			p->worker = p->rxq_worker[0];
		}
		cfg->by_port_id[p->port_id] = p;
		for (uint16_t q = 0; q < p->n_rxq; q++) { // at most one queue per worker: bounded
			unsigned int w = p->rxq_worker[q];
			uint16_t k = cfg->workers[w].n_rx++;

			cfg->workers[w].rx_edge[k] = p->rx_edge;
			cfg->workers[w].rx_port[k] = p->port_id;
			cfg->workers[w].rx_queue[k] = q;
		}
	}
	return 0;
}

// Detach the ports of `old` that `cfg` no longer has (after publication and a grace period).
static void ports_detach_removed(const struct dp_config *old, const struct dp_config *cfg) {
	for (uint16_t i = 0; old != NULL && i < old->n_ports; i++)
		if (!old->ports[i].system && dp_config_port_get(cfg, old->ports[i].port_id) == NULL)
			dp_port_detach(old->ports[i].port_id);
}

static void ports_detach_fresh(const struct dp_config *old, const struct dp_config *cfg) {
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		if (!cfg->ports[i].system &&
		    (old == NULL || dp_config_port_get(old, cfg->ports[i].port_id) == NULL))
			dp_port_detach(cfg->ports[i].port_id);
}

// Build the sections that parsed (a reused one is built already), then move every section's state
// into `cfg`: a fresh one with the next generation of the section, a reused one shared.
static int ctx_build(struct rules_ctx *ctx, struct dp_config *cfg) {
	struct rules_section_state *fresh[DP_SECTIONS_MAX] = {NULL};

	for (int i = 0; i < n_sections; i++) {
		if (ctx->reused[i] == NULL && sections[i]->build != NULL) {
			int ret = sections[i]->build(ctx, cfg, ctx->data[i]);
			if (ret < 0) {
				if (ctx->n_errors == 0)
					rules_error(ctx, sections[i]->name, "build failed: %s",
						    strerror(-ret));
				return ret;
			}
		}
	}
	for (int i = 0; i < n_sections; i++) {
		if (ctx->reused[i] == NULL && (fresh[i] = calloc(1, sizeof(*fresh[i]))) == NULL) {
			for (int j = 0; j < i; j++)
				free(fresh[j]);
			return rules_error(ctx, sections[i]->name, "out of memory");
		}
	}
	for (int i = 0; i < n_sections; i++) { // ownership moves to the snapshot
		struct rules_section_state *st = ctx->reused[i];

		if (st != NULL) {
			st->refs++;
		} else {
			st = fresh[i];
			*st = (struct rules_section_state){.refs = 1, .data = ctx->data[i],
							   .record = ctx->record[i],
							   .objects = ctx->objects[i],
							   .generation = ++section_generations[i]};
			ctx->data[i] = NULL;
			ctx->record[i] = NULL;
			ctx->objects[i] = (struct rules_objects){0};
		}
		ctx->reused[i] = NULL;
		cfg->section_state[i] = st;
		cfg->section[i] = st->data;
		cfg->section_generation[i] = st->generation;
	}
	return 0;
}

static void publish(struct dp_config *cfg) {
	struct dp_config *old = dp_config_publish(cfg);

	// Only the sections whose data changed: a reused one is published already.
	for (int i = 0; i < n_sections; i++)
		if (sections[i]->published != NULL &&
		    (old == NULL || old->section_state[i] != cfg->section_state[i]))
			sections[i]->published(old, cfg);
	ports_detach_removed(old, cfg);
	rules_tenants_prune(cfg, n_sections);
	dp_config_free(old);
}

int rules_apply(const json_t *txn, uint64_t *generation, char *err, size_t err_size) {
	const struct dp_config *old = dp_config_current();
	struct rules_ctx *ctx = malloc(sizeof(*ctx));
	struct dp_config *cfg = calloc(1, sizeof(*cfg));
	json_t *doc = NULL;
	int ret = -EINVAL;

	if (ctx == NULL || cfg == NULL) {
		snprintf(err, err_size, "out of memory");
		free(ctx);
		free(cfg);
		return -ENOMEM;
	}
	ctx_init(ctx);
	doc = txn_document(ctx, txn);
	if (doc == NULL || revision_check(ctx, doc) < 0 || ctx_parse(ctx, doc, old) < 0)
		goto err;
	json_object_del(doc, "force");
	ret = ports_attach(ctx, old, cfg);
	if (ret < 0)
		goto err;
	ret = ctx_build(ctx, cfg);
	if (ret < 0) {
		ports_detach_fresh(old, cfg);
		goto err;
	}
	cfg->revision = (uint64_t)json_integer_value(json_object_get(doc, "revision"));
	cfg->doc = doc;
	publish(cfg);
	*generation = cfg->generation;
	ctx_fini(ctx);
	free(ctx);
	return 0;
err:
	snprintf(err, err_size, "%s", ctx->n_errors ? ctx->err : "transaction refused");
	LOG(WARNING, "transaction refused: %s", err);
	json_decref(doc);
	ctx_fini(ctx);
	free(ctx);
	dp_config_free(cfg);
	return ret < 0 ? ret : -EINVAL;
}
