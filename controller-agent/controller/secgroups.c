// SPDX-License-Identifier: BSD-3-Clause
// /v2.0/security-groups and /v2.0/security-group-rules: stateful allow rules, each project's
// "default" group (egress anything, ingress from its own members, as Neutron makes it), and
// vnet's L7 match as the rule attribute "vnet:l7" (docs/controller.md, "Security groups").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/api_int.h"
#include "controller/ipam.h"

#define SG_RULES_MAX 1024 // rules of one group (the rules document's limit)



// The rules of group `id` (new array, oldest first).
static json_t *group_rules(struct ctrl *c, const char *id) {
	json_t *all = store_list(c->st, "sg_rule", NULL), *out = json_array(), *x;
	size_t i;

	json_array_foreach(all, i, x)
		if (strcmp(jstr(x, "security_group_id"), id) == 0)
			json_array_append(out, x);
	json_decref(all);
	return out;
}

static json_t *group_view(struct ctrl *c, const json_t *g, const struct who *w,
			  const json_t *fields) {
	json_t *v = json_deep_copy(g);

	(void)w;
	json_object_set_new(v, "security_group_rules", group_rules(c, jstr(g, "id")));
	return view_fields(v, fields);
}

static const struct resource group_rs = {"security_group", "security_group", "security_groups",
					 "SecurityGroupNotFound", "Security group %s does not exist",
					 group_view};
static const struct resource rule_rs = {"sg_rule", "security_group_rule", "security_group_rules",
					"SecurityGroupRuleNotFound",
					"Security group rule %s does not exist", NULL};

static json_t *rule_new(const char *group, const char *project, const char *dir,
			const char *ethertype, const char *remote_group) {
	char id[37], ts[32];
	json_t *r;

	uuid4(id);
	now_iso(ts, time(NULL));
	r = json_pack("{sssssssssssssssssssissss}", "id", id, "security_group_id", group,
		      "tenant_id", project, "project_id", project, "direction", dir, "ethertype",
		      ethertype, "description", "", "created_at", ts, "updated_at", ts,
		      "revision_number", 0, "remote_address_group_id", "", "normalized_cidr", "");
	json_object_set_new(r, "remote_address_group_id", json_null());
	json_object_set_new(r, "normalized_cidr", json_null());
	json_object_set_new(r, "protocol", json_null());
	json_object_set_new(r, "port_range_min", json_null());
	json_object_set_new(r, "port_range_max", json_null());
	json_object_set_new(r, "remote_ip_prefix", json_null());
	json_object_set_new(r, "remote_group_id",
			    remote_group != NULL ? json_string(remote_group) : json_null());
	return r;
}

const char *sg_default_id(struct ctrl *c, const char *project, char out[40]) {
	json_t *all = store_list(c->st, "security_group", project), *g, *gr;
	char ts[32];
	size_t i;

	out[0] = '\0';
	json_array_foreach(all, i, g)
		if (strcmp(jstr(g, "name"), "default") == 0)
			snprintf(out, 40, "%s", jstr(g, "id"));
	json_decref(all);
	if (out[0] != '\0')
		return out;
	// Neutron's default group: egress anything, ingress from members of the group, both families.
	uuid4(out);
	now_iso(ts, time(NULL));
	gr = json_pack("{sssssssssssbsisssss[]}", "id", out, "name", "default", "description",
		       "Default security group", "tenant_id", project, "project_id", project,
		       "stateful", 1, "revision_number", 0, "created_at", ts, "updated_at", ts,
		       "tags");
	store_put(c->st, "security_group", out, project, "default", gr);
	json_decref(gr);
	for (int k = 0; k < 4; k++) {
		json_t *r = rule_new(out, project, k < 2 ? "egress" : "ingress", k % 2 ? "IPv6" : "IPv4",
				     k < 2 ? NULL : out);
		store_put(c->st, "sg_rule", jstr(r, "id"), project, NULL, r);
		json_decref(r);
	}
	return out;
}

void security_groups(struct ctrl *c, const char *method, const char *id, const json_t *query,
		     const struct who *w, const char *body, struct api_reply *r) {
	static const char *const attrs[] = {"name", "description", "tenant_id", "project_id",
					    "stateful", NULL};
	json_t *req = NULL, *g = NULL, *in;
	const char *key;
	json_t *v;
	char gid[40], ts[32];

	sg_default_id(c, w->project, gid); // every project has its default group
	if (!resource_begin(c, &group_rs, method, id, query, w, r, &g) ||
	    !may_write(w, g, write_action(method), "security_group", r))
		goto out;
	if (strcmp(method, "DELETE") == 0 && g != NULL) {
		json_t *ps = store_list(c->st, "port", NULL), *p, *rules, *x;
		size_t i, j;
		bool used = false;
		if (strcmp(jstr(g, "name"), "default") == 0) {
			neutron_error(r, 409, "SecurityGroupCannotRemoveDefault",
				      "Insufficient rights for removing default security group.");
			json_decref(ps);
			goto out;
		}
		json_array_foreach(ps, i, p)
			json_array_foreach(json_object_get(p, "security_groups"), j, x)
				used |= strcmp(json_string_value(x), id) == 0;
		json_decref(ps);
		if (used) {
			neutron_error(r, 409, "SecurityGroupInUse", "Security Group %s in use.", id);
			goto out;
		}
		rules = group_rules(c, id);
		json_array_foreach(rules, i, x)
			store_delete(c->st, "sg_rule", jstr(x, "id"));
		json_decref(rules);
		store_delete(c->st, "security_group", id);
		r->status = 204;
		goto out;
	}
	in = request_object(method, id, g, body, "security_group", &req, r);
	if (in == NULL)
		goto out;
	json_object_foreach(in, key, v) {
		if (!in_list(attrs, key)) {
			neutron_error(r, 400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'", key);
			goto out;
		}
		if ((strcmp(key, "name") == 0 || strcmp(key, "description") == 0) && !text_ok(key, v, r))
			goto out;
		if (strcmp(key, "stateful") == 0 && !json_is_true(v)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for stateful. Reason: vnet's "
				      "security groups are stateful only.");
			goto out;
		}
		if ((strcmp(key, "tenant_id") == 0 || strcmp(key, "project_id") == 0) &&
		    !project_ok(key, v, g, w, r))
			goto out;
		if (strcmp(key, "name") == 0 && strcmp(json_string_value(v), "default") == 0 &&
		    (g == NULL || strcmp(jstr(g, "name"), "default") != 0)) {
			neutron_error(r, 409, "SecurityGroupDefaultAlreadyExists",
				      "Default security group already exists.");
			goto out;
		}
		if (g != NULL && strcmp(jstr(g, "name"), "default") == 0 && strcmp(key, "name") == 0 &&
		    strcmp(json_string_value(v), "default") != 0) {
			neutron_error(r, 409, "SecurityGroupCannotUpdateDefault",
				      "Updating default security group not allowed.");
			goto out;
		}
	}
	now_iso(ts, time(NULL));
	if (g == NULL) {
		const char *proj = jstr(in, "project_id") ? jstr(in, "project_id")
			: jstr(in, "tenant_id") ? jstr(in, "tenant_id") : w->project;
		char eg1[37], eg2[37];
		uuid4(gid);
		g = json_pack("{sssssssssssbsisssss[]}", "id", gid, "name", "", "description", "",
			      "tenant_id", proj, "project_id", proj, "stateful", 1, "revision_number", 0,
			      "created_at", ts, "updated_at", ts, "tags");
		json_object_del(in, "tenant_id");
		json_object_del(in, "project_id");
		json_object_update(g, in);
		if (store_put(c->st, "security_group", gid, proj, jstr(g, "name"), g) == 0)
			goto store_failed;
		// A new group allows all egress, as Neutron's do.
		for (int k = 0; k < 2; k++) {
			json_t *ru = rule_new(gid, proj, "egress", k ? "IPv6" : "IPv4", NULL);
			snprintf(k ? eg2 : eg1, 37, "%s", jstr(ru, "id"));
			store_put(c->st, "sg_rule", jstr(ru, "id"), proj, NULL, ru);
			json_decref(ru);
		}
		id = gid;
	} else {
		json_object_update(g, in);
		json_object_set_new(g, "revision_number",
				    json_integer(json_integer_value(json_object_get(g, "revision_number")) + 1));
		json_object_set_new(g, "updated_at", json_string(ts));
		if (store_put(c->st, "security_group", id, jstr(g, "project_id"), jstr(g, "name"), g) == 0)
			goto store_failed;
	}
	r->status = strcmp(method, "POST") == 0 ? 201 : 200;
	r->body = json_pack("{so}", "security_group", group_view(c, g, w, NULL));
	goto out;
store_failed:
	neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
out:
	json_decref(g);
	json_decref(req);
}

// ---- rules --------------------------------------------------------------------------------------

static const struct {
	const char *name;
	int number;
} protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ipv6-icmp", 58}, {"icmpv6", 58}};

// Rule `in` (a new rule's attributes): checked as the rules document will be (docs/rules-
// schema.md, security_groups); normalised into `out`. false with the error.
static bool rule_check(struct ctrl *c, const struct who *w, json_t *in, json_t *out,
		       const json_t *group, struct api_reply *r) {
	static const char *const attrs[] = {
		"security_group_id", "direction", "ethertype", "protocol", "port_range_min",
		"port_range_max", "remote_ip_prefix", "remote_group_id", "description", "tenant_id",
		"project_id", "vnet:l7", NULL,
	};
	static const char *const ints[] = {"port_range_min", "port_range_max", NULL};
	const char *key, *dir = jstr(in, "direction"), *eth = jstr(in, "ethertype");
	const json_t *proto = json_object_get(in, "protocol"), *v;
	const json_t *pmin, *pmax, *l7 = json_object_get(in, "vnet:l7");
	int pnum = -1;

	convert(in, ints, (const char *const[]){NULL});
	pmin = json_object_get(in, "port_range_min");
	pmax = json_object_get(in, "port_range_max");
	json_object_foreach(in, key, v)
		if (!in_list(attrs, key)) {
			neutron_error(r, 400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'", key);
			return false;
		}
	if (dir == NULL || (strcmp(dir, "ingress") != 0 && strcmp(dir, "egress") != 0)) {
		neutron_error(r, 400, "HTTPBadRequest", "Invalid input for direction. Reason: '%s' is "
			      "not in ['ingress', 'egress'].", dir ? dir : "");
		return false;
	}
	if (eth == NULL)
		eth = "IPv4";
	if (strcmp(eth, "IPv4") != 0 && strcmp(eth, "IPv6") != 0) {
		neutron_error(r, 400, "HTTPBadRequest", "Invalid input for ethertype. Reason: '%s' is "
			      "not in ['IPv4', 'IPv6'].", eth);
		return false;
	}
	if (proto != NULL && !json_is_null(proto)) {
		const char *ps = json_string_value(proto);
		char *end;
		if (json_is_integer(proto))
			pnum = (int)json_integer_value(proto);
		else if (ps != NULL && strcasecmp(ps, "any") != 0) {
			long n = strtol(ps, &end, 10);
			if (*end == '\0' && ps[0] != '\0')
				pnum = (int)n;
			for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
				if (strcasecmp(ps, protos[i].name) == 0)
					pnum = protos[i].number;
			if (pnum < 0) {
				neutron_error(r, 400, "SecurityGroupRuleInvalidProtocol", "Security group "
					      "rule protocol %s not supported. Only protocol values "
					      "[tcp, udp, icmp, ipv6-icmp] and integer representations "
					      "[0 to 255] are supported.", ps);
				return false;
			}
		}
		if (pnum > 255) {
			neutron_error(r, 400, "SecurityGroupRuleInvalidProtocol", "Security group rule "
				      "protocol %d not supported.", pnum);
			return false;
		}
	}
	if ((pnum == 1 && strcmp(eth, "IPv6") == 0) || (pnum == 58 && strcmp(eth, "IPv4") == 0)) {
		neutron_error(r, 400, "SecurityGroupRuleInvalidEtherType", "Security group rule for "
			      "ethertype '%s' not supported. Allowed values are ['%s'].", eth,
			      pnum == 1 ? "IPv4" : "IPv6");
		return false;
	}
	if ((pmin != NULL && !json_is_null(pmin)) || (pmax != NULL && !json_is_null(pmax))) {
		json_int_t lo = json_integer_value(pmin), hi = json_is_null(pmax) || pmax == NULL ? lo
											      : json_integer_value(pmax);
		if (pnum != 6 && pnum != 17) {
			neutron_error(r, 400, "SecurityGroupInvalidPortRange", "Invalid port range: "
				      "ports only with protocol tcp or udp (vnet has no ICMP type "
				      "match yet).");
			return false;
		}
		if (!json_is_integer(pmin) || lo < 1 || hi > 65535 || lo > hi) {
			neutron_error(r, 400, "SecurityGroupInvalidPortRange", "For TCP/UDP protocols, "
				      "port_range_min must be <= port_range_max");
			return false;
		}
		json_object_set_new(out, "port_range_min", json_integer(lo));
		json_object_set_new(out, "port_range_max", json_integer(hi));
	}
	v = json_object_get(in, "remote_ip_prefix");
	if (v != NULL && !json_is_null(v)) {
		struct ip net;
		int len;
		bool hb;
		char buf[64], cidr[80];
		if (!cidr_parse(json_string_value(v), &net, &len, &hb) &&
		    !(ip_parse(json_string_value(v), &net) && (len = net.family == 4 ? 32 : 128))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for remote_ip_prefix. "
				      "Reason: '%s' is not a valid IP prefix.",
				      json_is_string(v) ? json_string_value(v) : "?");
			return false;
		}
		if ((net.family == 4) != (strcmp(eth, "IPv4") == 0)) {
			neutron_error(r, 400, "SecurityGroupRuleParameterConflict", "Conflicting value "
				      "ethertype %s for CIDR %s", eth, json_string_value(v));
			return false;
		}
		ip_format(&net, buf, sizeof(buf));
		snprintf(cidr, sizeof(cidr), "%s/%d", buf, len);
		json_object_set_new(out, "remote_ip_prefix", json_string(cidr));
		json_object_set_new(out, "normalized_cidr", json_string(cidr));
	}
	v = json_object_get(in, "remote_group_id");
	if (v != NULL && !json_is_null(v)) {
		json_t *rg = json_is_string(v) ? store_get(c->st, "security_group", json_string_value(v))
					       : NULL;
		bool ok = rg != NULL && strcmp(jstr(rg, "project_id"), jstr(group, "project_id")) == 0;
		json_decref(rg);
		if (!ok) {
			neutron_error(r, 404, "SecurityGroupNotFound", "Security group %s does not exist",
				      json_is_string(v) ? json_string_value(v) : "?");
			return false;
		}
		if (json_object_get(out, "remote_ip_prefix") != NULL &&
		    !json_is_null(json_object_get(out, "remote_ip_prefix"))) {
			neutron_error(r, 400, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only "
				      "remote_ip_prefix or remote_group_id may be provided.");
			return false;
		}
		json_object_set(out, "remote_group_id", (json_t *)v);
	}
	if (l7 != NULL && !json_is_null(l7)) {
		const char *kind = json_is_object(l7) && json_object_size(l7) == 1
					   ? json_object_iter_key(json_object_iter((json_t *)l7))
					   : NULL;
		if (kind == NULL || (strcmp(kind, "http") != 0 && strcmp(kind, "tls") != 0 &&
				     strcmp(kind, "dns") != 0) ||
		    !json_is_object(json_object_get(l7, kind))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for vnet:l7. Reason: an "
				      "object with exactly one of http, tls, dns (docs/rules-schema.md).");
			return false;
		}
		if ((strcmp(kind, "dns") != 0 && pnum != 6) ||
		    (strcmp(kind, "dns") == 0 && pnum != 6 && pnum != 17)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for vnet:l7. Reason: %s "
				      "needs protocol %s.", kind, strcmp(kind, "dns") == 0 ? "udp or tcp" : "tcp");
			return false;
		}
		json_object_set(out, "vnet:l7", (json_t *)l7);
	}
	(void)w;
	json_object_set_new(out, "direction", json_string(dir));
	json_object_set_new(out, "ethertype", json_string(eth));
	if (pnum >= 0) {
		const char *name = NULL;
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]) && name == NULL; i++)
			if (protos[i].number == pnum)
				name = protos[i].name;
		if (name != NULL)
			json_object_set_new(out, "protocol", json_string(name));
		else
			json_object_set_new(out, "protocol", json_sprintf("%d", pnum));
	}
	if (json_is_string(json_object_get(in, "description")))
		json_object_set(out, "description", json_object_get(in, "description"));
	return true;
}

// Whether rules a and b match the same traffic (Neutron refuses a duplicate).
static bool rule_same(const json_t *a, const json_t *b) {
	static const char *const k[] = {"direction", "ethertype", "protocol", "port_range_min",
					"port_range_max", "remote_ip_prefix", "remote_group_id",
					"vnet:l7", NULL};
	for (int i = 0; k[i] != NULL; i++) {
		const json_t *x = json_object_get(a, k[i]), *y = json_object_get(b, k[i]);
		if (x != NULL && json_is_null(x))
			x = NULL;
		if (y != NULL && json_is_null(y))
			y = NULL;
		if ((x == NULL) != (y == NULL) || (x != NULL && !json_equal(x, y)))
			return false;
	}
	return true;
}

void security_group_rules(struct ctrl *c, const char *method, const char *id,
			  const json_t *query, const struct who *w, const char *body,
			  struct api_reply *r) {
	json_t *req = NULL, *ru = NULL, *g = NULL, *in, *rules = NULL;
	char dflt[40];

	sg_default_id(c, w->project, dflt);
	if (!resource_begin(c, &rule_rs, method, id, query, w, r, &ru) ||
	    !may_write(w, ru, write_action(method), "security_group_rule", r))
		goto out;
	if (strcmp(method, "DELETE") == 0 && ru != NULL) {
		store_delete(c->st, "sg_rule", id);
		r->status = 204;
		goto out;
	}
	if (!(strcmp(method, "POST") == 0 && id == NULL)) {
		neutron_error(r, 405, "HTTPMethodNotAllowed", "%s is not allowed here (rules are "
			      "replaced, not updated)", method);
		goto out;
	}
	req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	in = json_object_get(req, "security_group_rule");
	if (!json_is_object(in)) {
		neutron_error(r, 400, "HTTPBadRequest",
			      "Resource body required: {\"security_group_rule\": {...}}");
		goto out;
	}
	if (jstr(in, "security_group_id") != NULL)
		g = store_get(c->st, "security_group", jstr(in, "security_group_id"));
	if (g == NULL || !visible(g, w)) {
		neutron_error(r, 404, "SecurityGroupNotFound", "Security group %s does not exist",
			      jstr(in, "security_group_id") ? jstr(in, "security_group_id") : "(none given)");
		goto out;
	}
	if (strcmp(w->role, "admin") != 0 && strcmp(jstr(g, "project_id"), w->project) != 0) {
		neutron_error(r, 403, "HTTPForbidden", "only the group's project adds rules to it");
		goto out;
	}
	ru = rule_new(jstr(g, "id"), jstr(g, "project_id"), "ingress", "IPv4", NULL);
	if (!rule_check(c, w, in, ru, g, r))
		goto out;
	rules = group_rules(c, jstr(g, "id"));
	if (json_array_size(rules) >= SG_RULES_MAX) {
		neutron_error(r, 409, "SecurityGroupRuleLimitExceeded", "Quota exceeded: a group holds "
			      "at most %d rules.", SG_RULES_MAX);
		goto out;
	}
	{
		const json_t *x;
		size_t i;
		json_array_foreach(rules, i, x)
			if (rule_same(x, ru)) {
				neutron_error(r, 409, "SecurityGroupRuleExists", "Security group rule "
					      "already exists. Rule id is %s.", jstr(x, "id"));
				goto out;
			}
	}
	if (store_put(c->st, "sg_rule", jstr(ru, "id"), jstr(ru, "project_id"), NULL, ru) == 0) {
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
		goto out;
	}
	r->status = 201;
	r->body = json_pack("{sO}", "security_group_rule", ru);
out:
	json_decref(rules);
	json_decref(g);
	json_decref(ru);
	json_decref(req);
}
