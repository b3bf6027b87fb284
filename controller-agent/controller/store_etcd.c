// SPDX-License-Identifier: BSD-3-Clause
// The store's etcd v3 backend (store.h), over etcd's JSON gateway (POST /v3/kv/range, /v3/kv/txn;
// keys and values in base64). Several controllers share one etcd cluster; each is stateless.
//
// Keys: "vnet/rev" holds the store's revision (decimal); "vnet/o/<kind>/<id>" an object as
// {"p": project, "n": name, "b": body}; "vnet/u/<name>" a user. A commit is one etcd transaction
// that writes the objects and the next revision if "vnet/rev" still holds the one the request
// began at: two controllers' requests are serialised by etcd, and a request that lost the race is
// run again on the new state. Reads of one request are made at one etcd revision.
//
// The members' URLs are tried in turn: a member that refuses the connection or has lost its quorum
// is skipped. A commit whose answer was lost (the member died after the request was sent) is not
// sent again elsewhere: the request fails (503), since the write may or may not have happened.

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/httpbuf.h"
#include "controller/store.h"

#define ETCD_MAX_ENDPOINTS 8

struct etcd {
	char url[ETCD_MAX_ENDPOINTS][128];
	unsigned int n_url;
	atomic_uint good; // the member that answered last
	pthread_key_t curl_key;
};

// This thread's view (read_begin): the etcd revision its reads are at, and the store's revision
// then. 0: the newest.
static __thread int64_t snap;
static __thread uint64_t snap_rev;

// ---- base64 -------------------------------------------------------------------------------------

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const char *in, size_t n) {
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

// NUL-terminated; NULL if not base64.
static char *b64_decode(const char *in) {
	size_t n = strlen(in);
	char *out = malloc(n / 4 * 3 + 1), *o = out;
	uint32_t v = 0;
	int bits = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = in; *p != '\0' && *p != '='; p++) {
		const char *c = strchr(b64, *p);
		if (c == NULL) {
			free(out);
			return NULL;
		}
		v = v << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(v >> bits & 0xff);
		}
	}
	*o = '\0';
	return out;
}

static json_t *b64_json(const char *s) {
	char *e = b64_encode(s, strlen(s));
	json_t *j = json_string(e);

	free(e);
	return j;
}

// ---- HTTP ---------------------------------------------------------------------------------------

static CURL *thread_curl(struct etcd *e) {
	CURL *h = pthread_getspecific(e->curl_key);

	if (h == NULL) {
		h = curl_easy_init();
		pthread_setspecific(e->curl_key, h);
	}
	return h;
}

// POST `req` to `path` of a member, trying them in turn. `resend`: the request may go to another
// member after an unclear failure (reads). The answer, or NULL.
static json_t *call(struct etcd *e, const char *path, const json_t *req, bool resend) {
	char *body = json_dumps(req, JSON_COMPACT);
	CURL *h = thread_curl(e);
	json_t *ans = NULL;
	unsigned int first = atomic_load(&e->good);

	if (body == NULL || h == NULL) {
		free(body);
		return NULL;
	}
	for (unsigned int k = 0; k < e->n_url && ans == NULL; k++) {
		unsigned int i = (first + k) % e->n_url;
		struct http_buf b = {.max = 64u << 20}; // no answer of ours is bigger
		char url[256];
		long code = 0;
		CURLcode rc;
		snprintf(url, sizeof(url), "%s%s", e->url[i], path);
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_collect);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 500L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK && code == 200) {
			ans = json_loads(b.p != NULL ? b.p : "", 0, NULL);
			if (ans != NULL && i != first)
				atomic_store(&e->good, i);
		}
		free(b.p);
		// Refused or never connected: nothing reached that member; try the next. Otherwise
		// (an error answer, a lost answer) only a read goes elsewhere.
		if (ans == NULL && rc != CURLE_COULDNT_CONNECT && rc != CURLE_OPERATION_TIMEDOUT &&
		    !resend && !(rc == CURLE_OK && code >= 500))
			break;
		if (ans == NULL && !resend && rc == CURLE_OPERATION_TIMEDOUT) {
			// A timeout after the connection: the write may have happened.
			double t = 0;
			curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &t);
			if (t > 0)
				break;
		}
	}
	free(body);
	return ans;
}

static int64_t num(const json_t *j) {
	if (json_is_integer(j))
		return json_integer_value(j);
	return json_is_string(j) ? strtoll(json_string_value(j), NULL, 10) : 0;
}

// Range `key` (to `end`, if not NULL: a prefix's end) at this thread's view. The "kvs" array (new
// reference) or NULL on failure; *at: the etcd revision of the answer.
static json_t *range(struct etcd *e, const char *key, const char *end, int64_t *at) {
	json_t *req = json_pack("{so}", "key", b64_json(key)), *ans, *kvs;

	if (end != NULL) {
		json_object_set_new(req, "range_end", b64_json(end));
		json_object_set_new(req, "sort_order", json_string("ASCEND"));
		json_object_set_new(req, "sort_target", json_string("CREATE"));
	}
	if (snap != 0)
		json_object_set_new(req, "revision", json_integer(snap));
	ans = call(e, "/v3/kv/range", req, true);
	json_decref(req);
	if (ans == NULL || json_object_get(ans, "header") == NULL) {
		json_decref(ans);
		return NULL;
	}
	if (at != NULL)
		*at = num(json_object_get(json_object_get(ans, "header"), "revision"));
	kvs = json_object_get(ans, "kvs");
	kvs = kvs != NULL ? json_incref(kvs) : json_array();
	json_decref(ans);
	return kvs;
}

// The value of a kv as a new string.
static char *kv_value(const json_t *kv) {
	const char *v = json_string_value(json_object_get(kv, "value"));

	return b64_decode(v != NULL ? v : "");
}

static json_t *kv_json(const json_t *kv) {
	char *v = kv_value(kv);
	json_t *j = v != NULL ? json_loads(v, 0, NULL) : NULL;

	free(v);
	return j;
}

// ---- the backend --------------------------------------------------------------------------------

static void free_curl(void *h) {
	curl_easy_cleanup(h);
}

static void et_close(void *b) {
	struct etcd *e = b;
	CURL *h;

	if (e == NULL)
		return;
	h = pthread_getspecific(e->curl_key);
	if (h != NULL)
		curl_easy_cleanup(h);
	pthread_key_delete(e->curl_key);
	free(e);
}

void *store_etcd_open(const char *endpoints, char *err, size_t err_size) {
	struct etcd *e = calloc(1, sizeof(*e));
	char list[1024], *save = NULL;
	json_t *req, *ans;

	if (e == NULL || strlen(endpoints) >= sizeof(list)) {
		snprintf(err, err_size, "etcd: bad endpoint list");
		free(e);
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_key_create(&e->curl_key, free_curl);
	snprintf(list, sizeof(list), "%s", endpoints);
	for (char *u = strtok_r(list, ",", &save); u != NULL; u = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(u);
		if (e->n_url == ETCD_MAX_ENDPOINTS || n == 0 || n >= sizeof(e->url[0]) ||
		    (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) {
			snprintf(err, err_size, "etcd: '%s': at most %d http(s):// URLs", u,
				 ETCD_MAX_ENDPOINTS);
			et_close(e);
			return NULL;
		}
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		snprintf(e->url[e->n_url++], sizeof(e->url[0]), "%s", u);
	}
	if (e->n_url == 0) {
		snprintf(err, err_size, "etcd: no endpoint");
		et_close(e);
		return NULL;
	}
	// The revision key, once: created only if it does not exist.
	req = json_pack("{s[{sosssssi}]s[{s{soso}}]}", "compare", "key", b64_json("vnet/rev"),
			"target", "CREATE", "result", "EQUAL", "create_revision", 0, "success",
			"request_put", "key", b64_json("vnet/rev"), "value", b64_json("0"));
	ans = call(e, "/v3/kv/txn", req, true);
	json_decref(req);
	if (ans == NULL) {
		snprintf(err, err_size, "etcd: no member of %s answers", endpoints);
		et_close(e);
		return NULL;
	}
	json_decref(ans);
	return e;
}

static json_t *et_get_key(struct etcd *e, const char *key) {
	json_t *kvs = range(e, key, NULL, NULL), *j = NULL;

	if (json_array_size(kvs) == 1)
		j = kv_json(json_array_get(kvs, 0));
	json_decref(kvs);
	return j;
}

static json_t *et_get(void *b, const char *kind, const char *id) {
	char key[256];
	json_t *o, *body = NULL;

	snprintf(key, sizeof(key), "vnet/o/%s/%s", kind, id);
	o = et_get_key(b, key);
	if (json_is_object(json_object_get(o, "b")))
		body = json_incref(json_object_get(o, "b"));
	json_decref(o);
	return body;
}

static json_t *et_list(void *b, const char *kind, const char *project) {
	char key[128], end[128];
	json_t *kvs, *out = json_array(), *kv;
	size_t i;

	snprintf(key, sizeof(key), "vnet/o/%s/", kind);
	snprintf(end, sizeof(end), "vnet/o/%s0", kind); // '0' follows '/'
	kvs = range(b, key, end, NULL);
	json_array_foreach(kvs, i, kv) {
		json_t *o = kv_json(kv);
		char *k = b64_decode(json_string_value(json_object_get(kv, "key")));
		const char *p = json_string_value(json_object_get(o, "p"));
		if (o != NULL && k != NULL && json_is_object(json_object_get(o, "b")) &&
		    (project == NULL || (p != NULL && strcmp(p, project) == 0)))
			json_array_append_new(out, json_pack("[sO]", k + strlen(key),
							     json_object_get(o, "b")));
		free(k);
		json_decref(o);
	}
	json_decref(kvs);
	return out;
}

// etcd has no secondary index: the kind's scan, filtered here.
static json_t *et_find(void *b, const char *kind, const char *field, const char *value) {
	json_t *all = et_list(b, kind, NULL), *out = json_array(), *kv;
	size_t i;

	json_array_foreach(all, i, kv) {
		const char *v = json_string_value(json_object_get(json_array_get(kv, 1), field));
		if (v != NULL && strcmp(v, value) == 0)
			json_array_append(out, kv);
	}
	json_decref(all);
	return out;
}

static uint64_t rev_at(struct etcd *e, int64_t *at) {
	json_t *kvs = range(e, "vnet/rev", NULL, at);
	char *v = json_array_size(kvs) == 1 ? kv_value(json_array_get(kvs, 0)) : NULL;
	uint64_t rev = v != NULL ? strtoull(v, NULL, 10) : 0;

	free(v);
	json_decref(kvs);
	return rev;
}

static uint64_t et_revision(void *b) {
	if (snap != 0)
		return snap_rev;
	return rev_at(b, NULL);
}

static void et_read_begin(void *b) {
	int64_t at = 0;

	snap = 0;
	snap_rev = rev_at(b, &at);
	snap = snap_rev != 0 || at != 0 ? at : 0;
}

static void et_read_end(void *b) {
	(void)b;
	snap = 0;
}

static int et_commit(void *b, const json_t *writes, bool bump, uint64_t base, uint64_t *rev) {
	json_t *ops = json_array(), *req, *ans, *w;
	char key[256], num_s[32];
	size_t i;
	int ret = -1;

	json_array_foreach(writes, i, w) {
		snprintf(key, sizeof(key), "vnet/o/%s/%s", json_string_value(json_array_get(w, 0)),
			 json_string_value(json_array_get(w, 1)));
		if (json_is_null(json_array_get(w, 4))) {
			json_array_append_new(ops, json_pack("{s{so}}", "request_delete_range", "key",
							     b64_json(key)));
		} else {
			json_t *o = json_pack("{sOsOsO}", "p", json_array_get(w, 2), "n",
					      json_array_get(w, 3), "b", json_array_get(w, 4));
			char *v = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
			json_array_append_new(ops, json_pack("{s{soso}}", "request_put", "key",
							     b64_json(key), "value", b64_json(v)));
			free(v);
			json_decref(o);
		}
	}
	if (bump) {
		snprintf(num_s, sizeof(num_s), "%llu", (unsigned long long)base + 1);
		json_array_append_new(ops, json_pack("{s{soso}}", "request_put", "key",
						     b64_json("vnet/rev"), "value", b64_json(num_s)));
		snprintf(num_s, sizeof(num_s), "%llu", (unsigned long long)base);
		req = json_pack("{s[{sossssso}]so}", "compare", "key", b64_json("vnet/rev"), "target",
				"VALUE", "result", "EQUAL", "value", b64_json(num_s), "success", ops);
	} else {
		req = json_pack("{s[]so}", "compare", "success", ops);
	}
	ans = req != NULL ? call(b, "/v3/kv/txn", req, false) : NULL;
	if (ans != NULL) {
		if (json_is_true(json_object_get(ans, "succeeded"))) {
			*rev = bump ? base + 1 : 0;
			ret = 0;
		} else {
			ret = bump ? 1 : -1;
		}
	}
	json_decref(ans);
	json_decref(req);
	return ret;
}

static void et_tokens_expire(void *b, int64_t now) {
	json_t *kvs = range(b, "vnet/o/token/", "vnet/o/token0", NULL), *kv;
	size_t i;

	json_array_foreach(kvs, i, kv) {
		json_t *o = kv_json(kv);
		if (json_integer_value(json_object_get(json_object_get(o, "b"), "expires")) < now) {
			json_t *req = json_pack("{sO}", "key", json_object_get(kv, "key"));
			json_decref(call(b, "/v3/kv/deleterange", req, false));
			json_decref(req);
		}
		json_decref(o);
	}
	json_decref(kvs);
}

static int et_user_put(void *b, const char *name, const json_t *u) {
	char key[160], *v = json_dumps(u, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *req, *ans;

	snprintf(key, sizeof(key), "vnet/u/%s", name);
	req = v != NULL ? json_pack("{soso}", "key", b64_json(key), "value", b64_json(v)) : NULL;
	free(v);
	int ret;

	ans = req != NULL ? call(b, "/v3/kv/put", req, false) : NULL;
	ret = ans != NULL ? 0 : -1;
	json_decref(req);
	json_decref(ans);
	return ret;
}

static json_t *et_user_get(void *b, const char *name) {
	char key[160];

	snprintf(key, sizeof(key), "vnet/u/%s", name);
	return et_get_key(b, key);
}

const struct store_ops store_etcd_ops = {
	.name = "etcd",
	.close = et_close,
	.get = et_get,
	.list = et_list,
	.find = et_find,
	.revision = et_revision,
	.commit = et_commit,
	.tokens_expire = et_tokens_expire,
	.user_put = et_user_put,
	.user_get = et_user_get,
	.read_begin = et_read_begin,
	.read_end = et_read_end,
};
