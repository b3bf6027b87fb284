// SPDX-License-Identifier: BSD-3-Clause
// What the API's resource files share (api.c, subnets.c, ports.c).
#pragma once

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "controller/api.h"

#include <string.h>

// o[k] as a string, NULL if absent or not a string (jstr), "" then (jstr0).
static inline const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}
static inline const char *jstr0(const json_t *o, const char *k) {
	const char *s = jstr(o, k);
	return s != NULL ? s : "";
}

// Whether k is one of the NULL-terminated list l.
static inline bool in_list(const char *const *l, const char *k) {
	for (; *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return true;
	return false;
}

// Who a request is (from its token).
struct who {
	char user[64], project[64], role[16];
};

// Neutron's error form: {"NeutronError": {"type", "message", "detail"}}, status `status`.
void neutron_error(struct api_reply *r, unsigned int status, const char *type, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
void uuid4(char out[37]);
void now_iso(char out[32], time_t t);
// Neutron's conversions of string values: the attributes `ints` to integers, `bools` to booleans.
void convert(json_t *in, const char *const *ints, const char *const *bools);
// Whether object n is the caller's to see (its project's, shared, or admin).
bool visible(const json_t *n, const struct who *w);
// Whether n passes the query's attribute filters.
bool matches(const json_t *n, const json_t *query);
// v reduced to the query's `fields` (all if none); takes v.
json_t *view_fields(json_t *v, const json_t *fields);
// The objects of `kind` the caller sees that pass the query's filters, each reduced to its
// `fields`: a new array.
json_t *list_visible(struct ctrl *c, const char *kind, const struct who *w, const json_t *query);

void subnets(struct ctrl *c, const char *method, const char *id, const json_t *query,
	     const struct who *w, const char *body, struct api_reply *r);
void ports(struct ctrl *c, const char *method, const char *id, const json_t *query,
	   const struct who *w, const char *body, struct api_reply *r);
void security_groups(struct ctrl *c, const char *method, const char *id, const json_t *query,
		     const struct who *w, const char *body, struct api_reply *r);
void security_group_rules(struct ctrl *c, const char *method, const char *id,
			  const json_t *query, const struct who *w, const char *body,
			  struct api_reply *r);
// The id of `project`'s default security group (made, with Neutron's rules, when it has none).
const char *sg_default_id(struct ctrl *c, const char *project, char out[40]);
void routers(struct ctrl *c, const char *method, const char *id, const char *action,
	     const json_t *query, const struct who *w, const char *body, struct api_reply *r);
void agents(struct ctrl *c, const json_t *query, const struct who *w, struct api_reply *r);
void hosts(struct ctrl *c, const char *method, const char *name, const char *what,
	   const json_t *query, const struct who *w, const char *body, struct api_reply *r);

// The start every resource's request shares. A list (GET, no id) is answered from list_visible;
// an id is fetched (404 `not_found` if the caller cannot see it, then a GET of it is answered,
// viewed by `view` if not NULL). Returns true when the request goes on (a write) with *obj the
// object (a new reference) or NULL; false when it was answered.
struct resource {
	const char *kind;      // the store's kind: "port"
	const char *key;       // the body's key: "port"
	const char *plural;    // the list's key: "ports"
	const char *not_found; // the 404's type and message: "PortNotFound", "Port %s could not..."
	const char *not_found_msg;
	json_t *(*view)(struct ctrl *c, const json_t *o, const struct who *w, const json_t *fields);
};
bool resource_begin(struct ctrl *c, const struct resource *rs, const char *method, const char *id,
		    const json_t *query, const struct who *w, struct api_reply *r, json_t **obj);
// Whether the caller may write `obj` (NULL: create): not a reader, and its project's or admin.
// false with a 403 naming the policy rule ("update_port").
const char *write_action(const char *method);
// The `singular` object of a write's body: a POST without an id (create) or a PUT of an existing
// object (`existing`). NULL after a 405 or a 400 in r; *req holds the parsed body (json_decref it).
json_t *request_object(const char *method, const char *id, const json_t *existing,
		       const char *body, const char *singular, json_t **req, struct api_reply *r);
// A free-text attribute (name, description, ...): a string of at most 255 characters, else a 400
// naming it.
bool text_ok(const char *key, const json_t *v, struct api_reply *r);
// tenant_id / project_id: only at creation, and another project's only by admin, else 403.
bool project_ok(const char *key, const json_t *v, const json_t *existing, const struct who *w,
		struct api_reply *r);

bool may_write(const struct who *w, const json_t *obj, const char *action, const char *noun,
	       struct api_reply *r);
