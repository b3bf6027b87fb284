// SPDX-License-Identifier: BSD-3-Clause
// Helpers for rules section parsers: typed member access with errors that name the field, and
// address parsers. Control thread only.

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "dataplane/rules.h"
#include "dataplane/rules_ctx.h"

int rules_error(struct rules_ctx *ctx, const char *path, const char *fmt, ...) {
	va_list ap;
	int n;

	if (ctx->n_errors++ > 0)
		return -EINVAL; // keep the first error: it is the one the user fixes first
	n = snprintf(ctx->err, sizeof(ctx->err), "%s: ", path);
	if (n < 0 || (size_t)n >= sizeof(ctx->err))
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, sizeof(ctx->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int rules_check_keys(struct rules_ctx *ctx, const json_t *obj, const char *path,
		     const char *const allowed[]) {
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return rules_error(ctx, path, "must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return rules_error(ctx, path, "unknown key \"%s\"", key);
	}
	return 0;
}

// An error about member `key` of the object at `path`: reported at "<path>.<key>".
static int field_error(struct rules_ctx *ctx, const char *path, const char *key, const char *what,
		       const char *detail) {
	char fp[192];

	snprintf(fp, sizeof(fp), "%s.%s", path, key);
	return rules_error(ctx, fp, "%s%s", what, detail);
}

static const json_t *member(struct rules_ctx *ctx, const json_t *obj, const char *path,
			    const char *key, bool required, int *ret) {
	const json_t *v = json_object_get(obj, key);

	*ret = 0;
	if (v == NULL && required)
		*ret = rules_error(ctx, path, "missing required key \"%s\"", key);
	return v;
}

int rules_get_string(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		     bool required, const char **out) {
	int ret;
	const json_t *v = member(ctx, obj, path, key, required, &ret);

	if (v == NULL)
		return ret;
	if (!json_is_string(v))
		return field_error(ctx, path, key, "must be a string", "");
	*out = json_string_value(v);
	return 0;
}

int rules_get_uint(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		   bool required, uint64_t min, uint64_t max, uint64_t *out) {
	int ret;
	const json_t *v = member(ctx, obj, path, key, required, &ret);
	json_int_t i;

	if (v == NULL)
		return ret;
	if (!json_is_integer(v))
		return field_error(ctx, path, key, "must be an integer", "");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
		char detail[96];
		snprintf(detail, sizeof(detail), "%lld, must be %llu..%llu", (long long)i,
			 (unsigned long long)min, (unsigned long long)max);
		return field_error(ctx, path, key, "is ", detail);
	}
	*out = (uint64_t)i;
	return 0;
}

int rules_get_bool(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		   bool required, bool *out) {
	int ret;
	const json_t *v = member(ctx, obj, path, key, required, &ret);

	if (v == NULL)
		return ret;
	if (!json_is_boolean(v))
		return field_error(ctx, path, key, "must be true or false", "");
	*out = json_is_true(v);
	return 0;
}

int rules_get_array(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    bool required, const json_t **out) {
	int ret;
	const json_t *v = member(ctx, obj, path, key, required, &ret);

	*out = NULL;
	if (v == NULL)
		return ret;
	if (!json_is_array(v))
		return field_error(ctx, path, key, "must be an array", "");
	*out = v;
	return 0;
}

static bool id_is_valid(const char *s) {
	size_t n = strlen(s);

	if (n == 0 || n >= DP_NAME_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.:-", s[i]) == NULL)
			return false;
	return true;
}

int rules_get_id(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		 bool required, const char **out) {
	const char *s = NULL;
	int ret = rules_get_string(ctx, obj, path, key, required, &s);

	if (ret < 0 || s == NULL)
		return ret;
	if (!id_is_valid(s)) {
		char what[96];
		snprintf(what, sizeof(what), "\"%.60s\"", s);
		return field_error(ctx, path, key, what,
				   " is not an id (1..63 characters of A-Z a-z 0-9 _ . : -)");
	}
	*out = s;
	return 0;
}

int rules_parse_mac(const char *s, struct rte_ether_addr *mac) {
	unsigned int b[6];
	char tail;

	// sscanf alone would take " 2" or "-1" for a byte: check the form first.
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
	return 0;
}

int rules_parse_ip(const char *s, int *family, uint8_t addr[16]) {
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

int rules_parse_cidr(const char *s, int *family, uint8_t addr[16], uint8_t *prefix_len) {
	char buf[64];
	const char *slash = strchr(s, '/');
	char *end;
	long len;
	int bits;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (rules_parse_ip(buf, family, addr) < 0)
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	bits = *family == 4 ? 32 : 128;
	if (errno != 0 || *end != '\0' || end == slash + 1 || len < 0 || len > bits)
		return -EINVAL;
	for (int i = (int)len; i < bits; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL; // host bits set
	*prefix_len = (uint8_t)len;
	return 0;
}

int rules_cidr_error(struct rules_ctx *ctx, const char *path, const char *s) {
	const char *slash = strchr(s, '/');
	uint8_t addr[16];
	char ip[64];
	int family;
	char *end;
	long len;

	if (slash != NULL && (size_t)(slash - s) < sizeof(ip)) {
		snprintf(ip, sizeof(ip), "%.*s", (int)(slash - s), s);
		len = strtol(slash + 1, &end, 10);
		if (rules_parse_ip(ip, &family, addr) == 0 && end != slash + 1 && *end == '\0' &&
		    len >= 0 && len <= (family == 4 ? 32 : 128))
			return rules_error(ctx, path, "host bits set in %s", s);
	}
	return rules_error(ctx, path, "\"%s\" is not an IPv4 or IPv6 prefix (address/length)", s);
}

// --- shared objects -----------------------------------------------------------------------------

static json_t *tenant_ids; // tenant -> id (1..), kept while an object of the current snapshot or
			   // of a transaction being built names it
static uint8_t *tenant_used; // by id: 1 if given
static uint32_t tenant_used_size;

// The id of `tenant`: the one it has, or the lowest free one. 0 if out of memory.
static uint32_t tenant_id_get(const char *tenant) {
	json_t *v;
	uint32_t id = 1;

	if (tenant_ids == NULL && (tenant_ids = json_object()) == NULL)
		return 0;
	v = json_object_get(tenant_ids, tenant);
	if (v != NULL)
		return (uint32_t)json_integer_value(v);
	while (id < tenant_used_size && tenant_used[id])
		id++;
	if (id >= tenant_used_size) {
		uint32_t size = tenant_used_size ? tenant_used_size * 2 : 64;
		uint8_t *u = realloc(tenant_used, size);
		if (u == NULL)
			return 0;
		memset(u + tenant_used_size, 0, size - tenant_used_size);
		tenant_used = u;
		tenant_used_size = size;
	}
	tenant_used[id] = 1;
	json_object_set_new(tenant_ids, tenant, json_integer(id));
	return id;
}

const struct rules_objects *rules_ctx_objects(const struct rules_ctx *ctx, int i) {
	return ctx->reused[i] != NULL ? &ctx->reused[i]->objects : &ctx->objects[i];
}

int rules_object_add(struct rules_ctx *ctx, struct rules_object *obj) {
	struct rules_objects *o;

	if (ctx->section < 0)
		return -EINVAL;
	o = &ctx->objects[ctx->section];
	if (o->n == o->cap) {
		uint32_t cap = o->cap ? o->cap * 2 : 16;
		struct rules_object *v = realloc(o->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	obj->tenant_id = obj->tenant[0] != '\0' ? tenant_id_get(obj->tenant) : 0;
	if (obj->tenant[0] != '\0' && obj->tenant_id == 0)
		return -ENOMEM;
	o->v[o->n++] = *obj;
	json_decref(ctx->obj_index);
	ctx->obj_index = NULL;
	return 0;
}

const struct rules_object *rules_object_find(struct rules_ctx *ctx, const char *kind,
					     const char *id) {
	json_t *index, *v;

	// One index per kind, built on the first look-up of that kind (again after an add): a
	// check that reads routers does not index 10,000 remote ports.
	if (ctx->obj_index == NULL)
		ctx->obj_index = json_object();
	index = json_object_get(ctx->obj_index, kind);
	if (index == NULL) {
		index = json_object();
		json_object_set_new(ctx->obj_index, kind, index);
		for (int i = 0; i < DP_SECTIONS_MAX; i++) {
			const struct rules_objects *o = rules_ctx_objects(ctx, i);
			for (uint32_t j = 0; j < o->n; j++)
				if (strcmp(o->v[j].kind, kind) == 0 &&
				    json_object_get(index, o->v[j].id) == NULL)
					json_object_set_new(index, o->v[j].id,
							    json_integer((json_int_t)i << 24 | j));
		}
	}
	v = json_object_get(index, id);
	if (v == NULL)
		return NULL;
	return &rules_ctx_objects(ctx, (int)(json_integer_value(v) >> 24))
			->v[json_integer_value(v) & 0xffffff];
}

int rules_object_foreach(struct rules_ctx *ctx, const char *kind,
			 int (*fn)(struct rules_ctx *ctx, const struct rules_object *obj, void *arg),
			 void *arg) {
	for (int i = 0; i < DP_SECTIONS_MAX; i++) {
		const struct rules_objects *o = rules_ctx_objects(ctx, i);
		for (uint32_t j = 0; j < o->n; j++) {
			int ret = strcmp(o->v[j].kind, kind) == 0 ? fn(ctx, &o->v[j], arg) : 0;
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

void rules_tenants_prune(const struct dp_config *cfg, int n_sections) {
	json_t *used = json_object();
	const char *k;
	json_t *v;
	void *tmp;

	for (int i = 0; cfg != NULL && i < n_sections; i++) {
		const struct rules_section_state *st = cfg->section_state[i];
		for (uint32_t j = 0; st != NULL && j < st->objects.n; j++)
			if (st->objects.v[j].tenant[0] != '\0')
				json_object_set_new(used, st->objects.v[j].tenant, json_true());
	}
	json_object_foreach_safe(tenant_ids, tmp, k, v) {
		if (json_object_get(used, k) == NULL) {
			tenant_used[json_integer_value(v)] = 0;
			json_object_del(tenant_ids, k);
		}
	}
	json_decref(used);
}
