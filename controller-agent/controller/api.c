// SPDX-License-Identifier: BSD-3-Clause
// The controller's API (api.h): tokens, then the Networking resources.

#include <crypt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "controller/api.h"
#include "controller/api_int.h"

// ---- replies ------------------------------------------------------------------------------------

// Neutron's error form: {"NeutronError": {"type", "message", "detail"}}.
void neutron_error(struct api_reply *r, unsigned int status, const char *type, const char *fmt,
		   ...) {
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	// The message may quote what the client sent (a path's id): keep it printable ASCII, which
	// JSON strings take as they are.
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	r->status = status;
	r->body = json_pack("{s{ssssss}}", "NeutronError", "type", type, "message", msg, "detail",
			    "");
}

// Keystone's error form: {"error": {"code", "title", "message"}}.
static void keystone_error(struct api_reply *r, unsigned int status, const char *title,
			   const char *message) {
	r->status = status;
	r->body = json_pack("{s{siss ss}}", "error", "code", (int)status, "title", title, "message",
			    message);
}

static void random_hex(char *out, size_t bytes) {
	uint8_t b[64];

	if (bytes > sizeof(b) || getrandom(b, bytes, 0) != (ssize_t)bytes)
		abort(); // no randomness: no tokens, no ids
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

void uuid4(char out[37]) {
	char h[33];

	random_hex(h, 16);
	h[12] = '4';
	h[16] = "89ab"[h[16] % 4];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

void now_iso(char out[32], time_t t) {
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

// ---- identity -----------------------------------------------------------------------------------

char *api_password_hash(const char *password) {
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		return NULL;
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(password, salt, &cd);
	return h != NULL && h[0] == '$' ? strdup(h) : NULL;
}

static bool password_ok(const char *password, const char *hash) {
	struct crypt_data cd;
	const char *h;

	memset(&cd, 0, sizeof(cd));
	h = crypt_r(password, hash, &cd);
	return h != NULL && h[0] == '$' && strcmp(h, hash) == 0;
}

// Who a request is: from its token (kept in the store, kind "token"), or NULL if none is valid.
static bool token_who(struct ctrl *c, const char *token, struct who *w) {
	json_t *t;
	bool ok;

	if (token == NULL || strlen(token) != 64)
		return false;
	t = store_get(c->st, "token", token);
	if (t == NULL)
		return false;
	ok = json_integer_value(json_object_get(t, "expires")) > (json_int_t)time(NULL);
	if (ok) {
		snprintf(w->user, sizeof(w->user), "%s", json_string_value(json_object_get(t, "user")));
		snprintf(w->project, sizeof(w->project), "%s",
			 json_string_value(json_object_get(t, "project")));
		snprintf(w->role, sizeof(w->role), "%s", json_string_value(json_object_get(t, "role")));
	}
	json_decref(t);
	return ok;
}

static json_t *catalog(struct ctrl *c) {
	return json_pack("[{sssss[{ssssssss}]}{sssss[{ssssssss}]}]", "type", "network", "name",
			 "neutron", "endpoints", "id", "vnet-network", "interface", "public", "region",
			 "RegionOne", "url", c->url, "type", "identity", "name", "keystone",
			 "endpoints", "id", "vnet-identity", "interface", "public", "region",
			 "RegionOne", "url", c->url);
}

// POST /v3/auth/tokens: password authentication, scoped to the user's project.
static void auth_tokens(struct ctrl *c, const char *body, struct api_reply *r) {
	json_t *req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	const json_t *pw_user = json_object_get(json_object_get(json_object_get(
		json_object_get(req, "auth"), "identity"), "password"), "user");
	const json_t *scope = json_object_get(json_object_get(json_object_get(req, "auth"), "scope"),
					      "project");
	const char *name = json_string_value(json_object_get(pw_user, "name"));
	const char *password = json_string_value(json_object_get(pw_user, "password"));
	const char *want_project = json_string_value(json_object_get(scope, "name"));
	const char *want_project_id = json_string_value(json_object_get(scope, "id"));
	json_t *u = name != NULL ? store_user_get(c->st, name) : NULL;
	char token[65], issued[32], expires[32];
	time_t now = time(NULL);
	const char *project, *role;

	if (req == NULL || name == NULL || password == NULL) {
		keystone_error(r, 400, "Bad Request",
			       "auth.identity.password.user: name and password are required");
		goto out;
	}
	if (u == NULL || !password_ok(password, json_string_value(json_object_get(u, "hash")))) {
		keystone_error(r, 401, "Unauthorized", "The request you have made requires "
						       "authentication.");
		goto out;
	}
	project = json_string_value(json_object_get(u, "project"));
	role = json_string_value(json_object_get(u, "role"));
	if ((want_project != NULL && strcmp(want_project, project) != 0) ||
	    (want_project_id != NULL && strcmp(want_project_id, project) != 0)) {
		keystone_error(r, 401, "Unauthorized", "the user has no role on that project");
		goto out;
	}
	random_hex(token, 32);
	store_tokens_expire(c->st, (int64_t)now); // the store keeps only live tokens
	{
		json_t *t = json_pack("{sssssssI}", "user", name, "project", project, "role", role,
				      "expires", (json_int_t)(now + c->token_ttl_s));
		int ret = store_put_quiet(c->st, "token", token, project, name, t);
		json_decref(t);
		if (ret < 0) {
			keystone_error(r, 500, "Internal Server Error", "the store refused the token");
			goto out;
		}
	}
	now_iso(issued, now);
	now_iso(expires, now + c->token_ttl_s);
	r->status = 201;
	snprintf(r->subject_token, sizeof(r->subject_token), "%s", token);
	snprintf(r->who, sizeof(r->who), "%s@%s", name, project);
	r->body = json_pack(
		"{s{s[s]sssss{ssss s{ssss}}s{ssss s{ssss}}s[{ssss}]so}}", "token", "methods",
		"password", "issued_at", issued, "expires_at", expires, "user", "id", name, "name",
		name, "domain", "id", "default", "name", "Default", "project", "id", project, "name",
		project, "domain", "id", "default", "name", "Default", "roles", "id", role, "name",
		role, "catalog", catalog(c));
out:
	json_decref(u);
	json_decref(req);
}

// ---- networks -----------------------------------------------------------------------------------

static const char *const network_attrs[] = {
	"name", "admin_state_up", "tenant_id", "project_id", "description", "shared", "mtu",
	"port_security_enabled", NULL,
};

// Neutron's conversions: "1400" is an integer, "true" / "False" booleans (clients send either).
void convert(json_t *in, const char *const *ints, const char *const *bools) {
	json_t *v;

	for (int i = 0; ints[i] != NULL; i++) {
		char *end;
		long long n;
		v = json_object_get(in, ints[i]);
		if (!json_is_string(v) || json_string_value(v)[0] == '\0')
			continue;
		n = strtoll(json_string_value(v), &end, 10);
		if (*end == '\0')
			json_object_set_new(in, ints[i], json_integer(n));
	}
	for (int i = 0; bools[i] != NULL; i++) {
		v = json_object_get(in, bools[i]);
		if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0)
			json_object_set_new(in, bools[i], json_true());
		else if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0)
			json_object_set_new(in, bools[i], json_false());
	}
}

// The attributes of body `in` that the user may set; an error (400) names the first bad one.
static bool network_check(json_t *in, const struct who *w, bool create, struct api_reply *r) {
	const char *key;
	const json_t *v;

	static const char *const ints[] = {"mtu", NULL};
	static const char *const bools[] = {"admin_state_up", "shared", "port_security_enabled", NULL};

	if (json_is_object(in))
		convert(in, ints, bools);
	if (!json_is_object(in)) {
		neutron_error(r, 400, "HTTPBadRequest", "Resource body required: {\"network\": {...}}");
		return false;
	}
	json_object_foreach(in, key, v) {
		bool known = false;
		for (int i = 0; network_attrs[i] != NULL; i++)
			known |= strcmp(key, network_attrs[i]) == 0;
		if (!known) {
			neutron_error(r, 400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'", key);
			return false;
		}
		if ((strcmp(key, "name") == 0 || strcmp(key, "description") == 0) && !text_ok(key, v, r))
			return false;
		if ((strcmp(key, "admin_state_up") == 0 || strcmp(key, "shared") == 0 ||
		     strcmp(key, "port_security_enabled") == 0) &&
		    !json_is_boolean(v)) {
			neutron_error(r, 400, "HTTPBadRequest",
				      "Invalid input for %s. Reason: '%s' is not a valid boolean value.",
				      key, json_is_string(v) ? json_string_value(v) : "?");
			return false;
		}
		if (strcmp(key, "mtu") == 0 && (!json_is_integer(v) || json_integer_value(v) < 576 ||
						json_integer_value(v) > 9000)) {
			neutron_error(r, 400, "HTTPBadRequest",
				      "Invalid input for mtu. Reason: an integer 576..9000.");
			return false;
		}
		if ((strcmp(key, "tenant_id") == 0 || strcmp(key, "project_id") == 0) &&
		    (!create || !json_is_string(v) ||
		     (strcmp(json_string_value(v), w->project) != 0 && strcmp(w->role, "admin") != 0))) {
			neutron_error(r, create ? 403 : 400, create ? "HTTPForbidden" : "HTTPBadRequest",
				      create ? "only admin may create a network of another project"
					     : "Cannot update read-only attribute %s",
				      key);
			return false;
		}
		if (strcmp(key, "shared") == 0 && json_is_true(v) && strcmp(w->role, "admin") != 0) {
			neutron_error(r, 403, "HTTPForbidden", "only admin may share a network");
			return false;
		}
	}
	return true;
}

// The next free VNI (from 1000).
static int64_t vni_next(struct ctrl *c) {
	json_t *all = store_list(c->st, "network", NULL), *n;
	int64_t vni = 1000;
	size_t i;

	for (bool taken = true; taken;) {
		taken = false;
		json_array_foreach(all, i, n)
			if (json_integer_value(json_object_get(n, "provider:segmentation_id")) == vni)
				taken = true, vni++;
	}
	json_decref(all);
	return vni;
}

json_t *view_fields(json_t *v, const json_t *fields) {
	if (json_array_size(fields) > 0) {
		json_t *only = json_object();
		const json_t *f;
		size_t i;
		json_array_foreach(fields, i, f) {
			json_t *x = json_object_get(v, json_string_value(f));
			if (x != NULL)
				json_object_set(only, json_string_value(f), x);
		}
		json_decref(v);
		v = only;
	}
	return v;
}

// What a user sees of network n: its subnets (from the store), without the provider attributes
// unless admin (as in Neutron).
static json_t *network_view(struct ctrl *c, const json_t *n, const struct who *w,
			    const json_t *fields) {
	json_t *v = json_deep_copy(n), *ids = json_array(), *x;
	json_t *subs = store_find(c->st, "subnet", "network_id",
				  json_string_value(json_object_get(n, "id")));
	size_t i;

	json_array_foreach(subs, i, x)
		json_array_append(ids, json_object_get(x, "id"));
	json_decref(subs);
	json_object_set_new(v, "subnets", ids);
	if (strcmp(w->role, "admin") != 0) {
		json_object_del(v, "provider:network_type");
		json_object_del(v, "provider:segmentation_id");
		json_object_del(v, "provider:physical_network");
	}
	return view_fields(v, fields);
}

// The kind's objects, through the store's index when the query names one network.
static json_t *candidates(struct ctrl *c, const char *kind, const json_t *query) {
	const json_t *net = json_object_get(query, "network_id");

	if ((strcmp(kind, "port") == 0 || strcmp(kind, "subnet") == 0) && json_array_size(net) == 1 &&
	    json_is_string(json_array_get(net, 0)))
		return store_find(c->st, kind, "network_id", json_string_value(json_array_get(net, 0)));
	return store_list(c->st, kind, NULL);
}

json_t *list_visible(struct ctrl *c, const char *kind, const struct who *w, const json_t *query) {
	json_t *all = candidates(c, kind, query), *out = json_array(), *x;
	size_t i;

	json_array_foreach(all, i, x)
		if (visible(x, w) && matches(x, query))
			json_array_append_new(out, view_fields(json_deep_copy(x),
							       json_object_get(query, "fields")));
	json_decref(all);
	return out;
}

bool resource_begin(struct ctrl *c, const struct resource *rs, const char *method, const char *id,
		    const json_t *query, const struct who *w, struct api_reply *r, json_t **obj) {
	const json_t *fields = json_object_get(query, "fields");
	json_t *o;

	*obj = NULL;
	if (id == NULL && strcmp(method, "GET") == 0) {
		r->status = 200;
		if (rs->view == NULL) {
			r->body = json_pack("{so}", rs->plural, list_visible(c, rs->kind, w, query));
		} else {
			json_t *all = candidates(c, rs->kind, query), *out = json_array(), *x;
			size_t i;
			json_array_foreach(all, i, x)
				if (visible(x, w) && matches(x, query))
					json_array_append_new(out, rs->view(c, x, w, fields));
			json_decref(all);
			r->body = json_pack("{so}", rs->plural, out);
		}
		return false;
	}
	if (id == NULL)
		return true;
	o = store_get(c->st, rs->kind, id);
	if (o == NULL || !visible(o, w)) {
		neutron_error(r, 404, rs->not_found, rs->not_found_msg, id);
		json_decref(o);
		return false;
	}
	if (strcmp(method, "GET") == 0) {
		r->status = 200;
		r->body = json_pack("{so}", rs->key, rs->view != NULL ? rs->view(c, o, w, fields)
								      : view_fields(json_deep_copy(o), fields));
		json_decref(o);
		return false;
	}
	*obj = o;
	return true;
}

json_t *request_object(const char *method, const char *id, const json_t *existing,
		       const char *body, const char *singular, json_t **req, struct api_reply *r) {
	json_t *in;

	*req = NULL;
	if (!(strcmp(method, "POST") == 0 && id == NULL) &&
	    !(strcmp(method, "PUT") == 0 && existing != NULL)) {
		neutron_error(r, 405, "HTTPMethodNotAllowed", "%s is not allowed here", method);
		return NULL;
	}
	*req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	in = json_object_get(*req, singular);
	if (!json_is_object(in)) {
		neutron_error(r, 400, "HTTPBadRequest", "Resource body required: {\"%s\": {...}}",
			      singular);
		return NULL;
	}
	return in;
}

bool text_ok(const char *key, const json_t *v, struct api_reply *r) {
	if (json_is_string(v) && strlen(json_string_value(v)) <= 255)
		return true;
	neutron_error(r, 400, "HTTPBadRequest", "Invalid input for %s. Reason: a string of at most "
		      "255 characters.", key);
	return false;
}

bool project_ok(const char *key, const json_t *v, const json_t *existing, const struct who *w,
		struct api_reply *r) {
	if (existing == NULL && json_is_string(v) &&
	    (strcmp(json_string_value(v), w->project) == 0 || strcmp(w->role, "admin") == 0))
		return true;
	neutron_error(r, 403, "HTTPForbidden", "%s: only admin may name another project, and only "
		      "at creation", key);
	return false;
}

bool may_write(const struct who *w, const json_t *obj, const char *action, const char *noun,
	       struct api_reply *r) {
	if (strcmp(w->role, "reader") != 0 &&
	    (obj == NULL || strcmp(w->role, "admin") == 0 ||
	     strcmp(jstr0(obj, "project_id"), w->project) == 0))
		return true;
	neutron_error(r, 403, "HTTPForbidden", "rule:%s_%s is disallowed by policy", action, noun);
	return false;
}

// The policy action of a write.
const char *write_action(const char *method) {
	return strcmp(method, "POST") == 0 ? "create" : strcmp(method, "PUT") == 0 ? "update" : "delete";
}

bool visible(const json_t *n, const struct who *w) {
	return strcmp(w->role, "admin") == 0 || json_is_true(json_object_get(n, "shared")) ||
	       strcmp(json_string_value(json_object_get(n, "project_id")), w->project) == 0;
}

// Whether n passes the query's filters (each attribute: any of its values, as strings).
bool matches(const json_t *n, const json_t *query) {
	const char *key;
	const json_t *vals;

	json_object_foreach((json_t *)query, key, vals) {
		const json_t *have = json_object_get(n, key), *v;
		bool any = false;
		size_t i;
		char buf[64];

		if (strcmp(key, "fields") == 0 || strcmp(key, "limit") == 0 ||
		    strcmp(key, "marker") == 0 || strcmp(key, "sort_key") == 0 ||
		    strcmp(key, "sort_dir") == 0)
			continue;
		if (have == NULL)
			return false;
		if (json_is_string(have)) { // whole, however long (a container's id is 64 characters)
			json_array_foreach(vals, i, v)
				any |= strcmp(json_string_value(v), json_string_value(have)) == 0;
			if (!any)
				return false;
			continue;
		} else if (json_is_boolean(have))
			snprintf(buf, sizeof(buf), "%s", json_is_true(have) ? "True" : "False");
		else if (json_is_integer(have))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(have));
		else
			return false;
		json_array_foreach(vals, i, v)
			any |= strcmp(json_string_value(v), buf) == 0 ||
			       (json_is_boolean(have) && strcasecmp(json_string_value(v), buf) == 0);
		if (!any)
			return false;
	}
	return true;
}

static void networks(struct ctrl *c, const char *method, const char *id, const json_t *query,
		     const struct who *w, const char *body, struct api_reply *r) {
	json_t *req = NULL, *n = NULL;
	char nid[37], ts[32];

	static const struct resource rs = {"network", "network", "networks", "NetworkNotFound",
					   "Network %s could not be found.", network_view};

	if (!resource_begin(c, &rs, method, id, query, w, r, &n) ||
	    !may_write(w, n, write_action(method), "network", r))
		goto out;
	if (strcmp(method, "DELETE") == 0 && n != NULL) {
		json_t *ps = store_list(c->st, "port", NULL), *ss = store_list(c->st, "subnet", NULL), *x;
		size_t i;
		bool used = false;
		json_array_foreach(ps, i, x)
			used |= strcmp(json_string_value(json_object_get(x, "network_id")), id) == 0;
		if (used) {
			neutron_error(r, 409, "NetworkInUse", "Unable to complete operation on network %s. "
				      "There are one or more ports still in use on the network.", id);
		} else {
			json_array_foreach(ss, i, x)
				if (strcmp(json_string_value(json_object_get(x, "network_id")), id) == 0)
					store_delete(c->st, "subnet",
						     json_string_value(json_object_get(x, "id")));
			store_delete(c->st, "network", id);
			r->status = 204;
		}
		json_decref(ps);
		json_decref(ss);
		goto out;
	}
	if (!(strcmp(method, "POST") == 0 && id == NULL) && !(strcmp(method, "PUT") == 0 && n != NULL)) {
		neutron_error(r, 405, "HTTPMethodNotAllowed", "%s is not allowed here", method);
		goto out;
	}
	req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	if (!network_check(json_object_get(req, "network"), w, n == NULL, r))
		goto out;
	now_iso(ts, time(NULL));
	if (n == NULL) {
		const json_t *in = json_object_get(req, "network");
		const char *proj = json_string_value(json_object_get(in, "project_id"));
		proj = proj != NULL ? proj : json_string_value(json_object_get(in, "tenant_id"));
		proj = proj != NULL ? proj : w->project;
		uuid4(nid);
		n = json_pack("{sssssssssbsbsbsisssssss[]s[]s[]sisssssI}", "id", nid, "name", "",
			      "description", "", "tenant_id", proj, "admin_state_up", 1, "shared", 0,
			      "port_security_enabled", 1, "mtu", 1450, "status", "ACTIVE",
			      "project_id", proj, "created_at", ts, "subnets", "tags",
			      "availability_zones", "revision_number", 0, "provider:network_type",
			      "vxlan", "updated_at", ts, "provider:segmentation_id",
			      (json_int_t)vni_next(c));
		json_object_set_new(n, "router:external", json_false());
		json_object_set_new(n, "provider:physical_network", json_null());
		id = nid;
	}
	json_object_update_existing(n, json_object_get(req, "network"));
	json_object_set_new(n, "updated_at", json_string(ts));
	if (strcmp(method, "PUT") == 0)
		json_object_set_new(n, "revision_number",
				    json_integer(json_integer_value(json_object_get(n, "revision_number")) + 1));
	if (store_put(c->st, "network", id, json_string_value(json_object_get(n, "project_id")),
		      json_string_value(json_object_get(n, "name")), n) == 0) {
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
		goto out;
	}
	r->status = strcmp(method, "POST") == 0 ? 201 : 200;
	r->body = json_pack("{so}", "network", network_view(c, n, w, NULL));
out:
	json_decref(n);
	json_decref(req);
}

// ---- routing ------------------------------------------------------------------------------------

static void route(struct ctrl *c, const char *method, const char *path, const json_t *query,
		  const char *token, const char *body, const char *peer, struct api_reply *r) {
	struct who w;
	char ver[200];

	memset(r, 0, sizeof(*r));
	if (strcmp(path, "/") == 0 && strcmp(method, "GET") == 0) {
		snprintf(ver, sizeof(ver), "%s/v2.0/", c->url);
		r->status = 200;
		r->body = json_pack("{s[{sssss[{ssss}]}]}", "versions", "id", "v2.0", "status", "CURRENT",
				    "links", "href", ver, "rel", "self");
		return;
	}
	if ((strcmp(path, "/v3") == 0 || strcmp(path, "/v3/") == 0) && strcmp(method, "GET") == 0) {
		snprintf(ver, sizeof(ver), "%s/v3/", c->url);
		r->status = 200;
		r->body = json_pack("{s{sssssss[{ssss}]s[{ssss}]}}", "version", "id", "v3.14", "status",
				    "stable", "updated", "2020-04-07T00:00:00Z", "links", "href", ver,
				    "rel", "self", "media-types", "base", "application/json", "type",
				    "application/vnd.openstack.identity-v3+json");
		return;
	}
	if (strcmp(path, "/v3/auth/tokens") == 0) {
		if (strcmp(method, "POST") == 0)
			auth_tokens(c, body, r);
		else
			keystone_error(r, 405, "Method Not Allowed", "POST a password to get a token");
		return;
	}
	if (strncmp(path, "/v2.0/", 6) != 0 && strncmp(path, "/vnet/v1/hosts", 14) != 0) {
		neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
		return;
	}
	if (token == NULL && peer != NULL && strncmp(path, "/vnet/v1/hosts", 14) == 0) {
		// An agent, by its host certificate: hosts() keeps it to its own host.
		memset(&w, 0, sizeof(w));
		snprintf(w.user, sizeof(w.user), "%s", peer);
		snprintf(w.role, sizeof(w.role), "agent");
		snprintf(r->who, sizeof(r->who), "host:%s", peer);
	} else if (!token_who(c, token, &w)) {
		r->status = 401;
		r->body = json_pack("{s{sissss}}", "error", "code", 401, "title", "Unauthorized",
				    "message", "a valid X-Auth-Token is required");
		return;
	}
	if (r->who[0] == '\0')
		snprintf(r->who, sizeof(r->who), "%s@%s", w.user, w.project);
	if (strncmp(path, "/vnet/v1/hosts", 14) == 0) {
		char name[64] = "";
		const char *what = NULL, *rest = path + 14;
		if (*rest == '/' && rest[1] != '\0') {
			const char *slash = strchr(rest + 1, '/');
			size_t n = slash != NULL ? (size_t)(slash - rest - 1) : strlen(rest + 1);
			if (n >= sizeof(name)) {
				neutron_error(r, 404, "HostNotFound", "no such host");
				return;
			}
			memcpy(name, rest + 1, n);
			name[n] = '\0';
			what = slash != NULL ? slash + 1 : NULL;
		} else if (*rest != '\0' && strcmp(rest, "/") != 0) {
			neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
			return;
		}
		hosts(c, method, name[0] != '\0' ? name : NULL, what, query, &w, body, r);
		return;
	}
	path += 6;
	if (strcmp(path, "extensions") == 0 && strcmp(method, "GET") == 0) {
		static const char *const ext[][2] = {
			{"security-group", "security-group"}, {"router", "Neutron L3 Router"},
			{"extraroute", "Neutron Extra Route"}, {"binding", "Port Binding"},
			{"allowed-address-pairs", "Allowed Address Pairs"}, {"provider", "Provider Network"},
			{"port-security", "Port Security"}, {"agent", "agent"},
			{"vnet-l7", "vnet L7 security group rules (vnet:l7)"},
		};
		json_t *l = json_array();
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
			json_array_append_new(l, json_pack("{sssssss[]ss}", "alias", ext[i][0], "name",
							   ext[i][1], "description", ext[i][1], "links",
							   "updated", "2026-11-30T00:00:00Z"));
		r->status = 200;
		r->body = json_pack("{so}", "extensions", l);
		return;
	}
	if (strcmp(path, "agents") == 0 && strcmp(method, "GET") == 0) {
		agents(c, query, &w, r);
		return;
	}
	if (strncmp(path, "networks", 8) == 0 && (path[8] == '\0' || path[8] == '/')) {
		const char *id = path[8] == '/' && path[9] != '\0' ? path + 9 : NULL;
		networks(c, method, id, query, &w, body, r);
		return;
	}
	if (strncmp(path, "subnets", 7) == 0 && (path[7] == '\0' || path[7] == '/')) {
		subnets(c, method, path[7] == '/' && path[8] != '\0' ? path + 8 : NULL, query, &w, body,
			r);
		return;
	}
	if (strncmp(path, "security-groups", 15) == 0 && (path[15] == '\0' || path[15] == '/')) {
		security_groups(c, method, path[15] == '/' && path[16] != '\0' ? path + 16 : NULL, query,
				&w, body, r);
		return;
	}
	if (strncmp(path, "security-group-rules", 20) == 0 && (path[20] == '\0' || path[20] == '/')) {
		security_group_rules(c, method, path[20] == '/' && path[21] != '\0' ? path + 21 : NULL,
				     query, &w, body, r);
		return;
	}
	if (strncmp(path, "routers", 7) == 0 && (path[7] == '\0' || path[7] == '/')) {
		char rid[64] = "";
		const char *action = NULL;
		if (path[7] == '/' && path[8] != '\0') {
			const char *slash = strchr(path + 8, '/');
			size_t n = slash != NULL ? (size_t)(slash - (path + 8)) : strlen(path + 8);
			if (n >= sizeof(rid) || (slash != NULL && slash[1] == '\0')) {
				neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
				return;
			}
			memcpy(rid, path + 8, n);
			rid[n] = '\0';
			action = slash != NULL ? slash + 1 : NULL;
		}
		routers(c, method, rid[0] != '\0' ? rid : NULL, action, query, &w, body, r);
		return;
	}
	if (strncmp(path, "ports", 5) == 0 && (path[5] == '\0' || path[5] == '/')) {
		ports(c, method, path[5] == '/' && path[6] != '\0' ? path + 6 : NULL, query, &w, body, r);
		return;
	}
	neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
}

// Each request is one store transaction (store.h): a read sees one revision; a write applies whole
// or not at all, and is run again if another controller changed the store meanwhile. A GET of the
// security groups may create the project's default group, so it is a write.
void api_handle(struct ctrl *c, const char *method, const char *path, const json_t *query,
		const char *token, const char *body, const char *peer, struct api_reply *r) {
	bool write = strcmp(method, "GET") != 0 || strncmp(path, "/v2.0/security-groups", 21) == 0;

	for (int attempt = 0;; attempt++) {
		uint64_t rev;
		int ret;
		if (!write) {
			store_read_begin(c->st);
			route(c, method, path, query, token, body, peer, r);
			store_read_end(c->st);
			return;
		}
		store_tx_begin(c->st);
		route(c, method, path, query, token, body, peer, r);
		if (r->status >= 400) {
			store_tx_abort(c->st);
			return;
		}
		ret = store_tx_commit(c->st, &rev);
		if (ret == 0)
			return;
		json_decref(r->body);
		if (ret > 0)
			__atomic_add_fetch(&c->conflicts, 1, __ATOMIC_RELAXED);
		if (ret < 0 || attempt == 15) {
			neutron_error(r, 503, "ServiceUnavailable", "The store did not take the change "
				      "(%s); nothing was written. Try again.",
				      ret < 0 ? "unreachable or refused" : "too many concurrent writes");
			return;
		}
	}
}
