// SPDX-License-Identifier: BSD-3-Clause
// /v2.0/routers: tenant routers, their interfaces on subnets (a port owned by
// network:router_interface holding the subnet's gateway address) and static routes (the
// extraroute extension). docs/controller.md, "Routers".

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/api_int.h"
#include "controller/ipam.h"

#define ROUTER_ROUTES_MAX 1024 // static routes through the API (vnetd takes far more)
#define ROUTER_IF_OWNER "network:router_interface"


// The router's interface ports (new array).
static json_t *router_ifs(struct ctrl *c, const char *router) {
	json_t *all = store_list(c->st, "port", NULL), *out = json_array(), *p;
	size_t i;

	json_array_foreach(all, i, p)
		if (strcmp(jstr(p, "device_id"), router) == 0 &&
		    strcmp(jstr(p, "device_owner"), ROUTER_IF_OWNER) == 0)
			json_array_append(out, p);
	json_decref(all);
	return out;
}

// The subnet of an interface port (its first fixed IP's), a new reference or NULL.
static json_t *if_subnet(struct ctrl *c, const json_t *port) {
	const json_t *f = json_array_get(json_object_get(port, "fixed_ips"), 0);
	return f != NULL ? store_get(c->st, "subnet", jstr(f, "subnet_id")) : NULL;
}

// Whether `routes` (a list of {destination, nexthop}) is valid for a router whose interfaces are
// `ifs`: each destination a CIDR, each next hop an address in one of the router's subnets.
static bool routes_valid(struct ctrl *c, const json_t *routes, const json_t *ifs,
			 struct api_reply *r) {
	const json_t *rt, *p;
	size_t i, j;

	if (!json_is_array(routes) || json_array_size(routes) > ROUTER_ROUTES_MAX) {
		neutron_error(r, 400, "HTTPBadRequest", "Invalid input for routes. Reason: a list of at "
			      "most %d {destination, nexthop}.", ROUTER_ROUTES_MAX);
		return false;
	}
	json_array_foreach(routes, i, rt) {
		struct ip d, nh, net;
		int len, l2;
		bool hb, connected = false;
		if (!cidr_parse(jstr(rt, "destination"), &d, &len, &hb) || hb ||
		    !ip_parse(jstr(rt, "nexthop"), &nh) || d.family != nh.family) {
			neutron_error(r, 400, "InvalidRoutes", "Invalid format for routes: routes[%zu] "
				      "needs a destination (a CIDR without host bits) and a nexthop of its "
				      "family.", i);
			return false;
		}
		json_array_foreach(ifs, j, p) {
			json_t *s = if_subnet(c, p);
			if (s != NULL && cidr_parse(jstr(s, "cidr"), &net, &l2, &hb) &&
			    cidr_contains(&net, l2, &nh))
				connected = true;
			json_decref(s);
		}
		if (!connected) {
			neutron_error(r, 400, "InvalidRoutes", "Invalid format for routes: the nexthop %s "
				      "is not connected with router", jstr(rt, "nexthop"));
			return false;
		}
	}
	return true;
}

// PUT .../add_router_interface and .../remove_router_interface.
static void router_if(struct ctrl *c, const json_t *router, bool add, const struct who *w,
		      const char *body, struct api_reply *r) {
	json_t *req = body != NULL ? json_loads(body, 0, NULL) : NULL, *sub = NULL, *port = NULL;
	json_t *ifs = router_ifs(c, jstr(router, "id")), *net = NULL;
	const char *sid = jstr(req, "subnet_id"), *pid = jstr(req, "port_id");
	const json_t *p;
	size_t i;

	if ((sid == NULL) == (pid == NULL)) {
		neutron_error(r, 400, "HTTPBadRequest", "Bad router request: give a subnet_id or a "
			      "port_id, one of them.");
		goto out;
	}
	if (!add) {
		json_array_foreach(ifs, i, p) {
			const json_t *f = json_array_get(json_object_get(p, "fixed_ips"), 0);
			if ((pid != NULL && strcmp(jstr(p, "id"), pid) == 0) ||
			    (sid != NULL && f != NULL && strcmp(jstr(f, "subnet_id"), sid) == 0))
				port = json_incref((json_t *)p);
		}
		if (port == NULL) {
			neutron_error(r, 404, sid ? "RouterInterfaceNotFoundForSubnet" : "RouterInterfaceNotFound",
				      "Router %s has no interface %s %s.", jstr(router, "id"),
				      sid ? "on subnet" : "with port", sid ? sid : pid);
			goto out;
		}
		store_delete(c->st, "port", jstr(port, "id"));
		goto reply;
	}
	if (pid != NULL) {
		port = store_get(c->st, "port", pid);
		if (port == NULL || !visible(port, w)) {
			neutron_error(r, 404, "PortNotFound", "Port %s could not be found.", pid);
			goto out;
		}
		if (jstr(port, "device_owner")[0] != '\0' || json_array_size(json_object_get(port, "fixed_ips")) != 1) {
			neutron_error(r, 409, "PortInUse", "Port %s is in use (owned by %s) or has not "
				      "exactly one address.", pid, jstr(port, "device_owner"));
			goto out;
		}
		sub = if_subnet(c, port);
	} else {
		sub = store_get(c->st, "subnet", sid);
		if (sub == NULL || !visible(sub, w)) {
			neutron_error(r, 404, "SubnetNotFound", "Subnet %s could not be found.", sid);
			goto out;
		}
	}
	if (sub == NULL) {
		neutron_error(r, 404, "SubnetNotFound", "the port's subnet could not be found.");
		goto out;
	}
	if (strcmp(jstr(sub, "project_id"), jstr(router, "project_id")) != 0) {
		neutron_error(r, 400, "BadRequest", "Bad router request: subnet %s belongs to project "
			      "%s, the router to %s.", jstr(sub, "id"), jstr(sub, "project_id"),
			      jstr(router, "project_id"));
		goto out;
	}
	// No two subnets of one router may overlap (its VRF routes by them).
	json_array_foreach(ifs, i, p) {
		json_t *s2 = if_subnet(c, p);
		struct ip a, b;
		int la, lb;
		bool hb, clash = false;
		if (s2 != NULL && cidr_parse(jstr(s2, "cidr"), &a, &la, &hb) &&
		    cidr_parse(jstr(sub, "cidr"), &b, &lb, &hb) && a.family == b.family)
			clash = cidr_contains(&a, la, &b) || cidr_contains(&b, lb, &a);
		if (clash) {
			neutron_error(r, 400, "BadRequest", "Bad router request: Cidr %s of subnet %s "
				      "overlaps with cidr %s of subnet %s.", jstr(sub, "cidr"),
				      jstr(sub, "id"), jstr(s2, "cidr"), jstr(s2, "id"));
			json_decref(s2);
			goto out;
		}
		json_decref(s2);
	}
	if (pid == NULL) {
		// A port on the subnet's network holding its gateway address.
		struct api_reply pr;
		char pbody[512];
		if (json_is_null(json_object_get(sub, "gateway_ip"))) {
			neutron_error(r, 400, "BadRequest", "Bad router request: Subnet %s does not have a "
				      "gateway IP.", jstr(sub, "id"));
			goto out;
		}
		snprintf(pbody, sizeof(pbody), "{\"port\": {\"network_id\": \"%s\", \"device_owner\": "
			 "\"%s\", \"device_id\": \"%s\", \"fixed_ips\": [{\"subnet_id\": \"%s\", "
			 "\"ip_address\": \"%s\"}], \"security_groups\": []}}", jstr(sub, "network_id"),
			 ROUTER_IF_OWNER, jstr(router, "id"), jstr(sub, "id"), jstr(sub, "gateway_ip"));
		ports(c, "POST", NULL, NULL, w, pbody, &pr);
		if (pr.status != 201) {
			*r = pr; // why the port could not be made (the gateway address in use, ...)
			goto out;
		}
		port = json_incref(json_object_get(pr.body, "port"));
		json_decref(pr.body);
	} else {
		json_object_set_new(port, "device_owner", json_string(ROUTER_IF_OWNER));
		json_object_set_new(port, "device_id", json_string(jstr(router, "id")));
		store_put(c->st, "port", pid, jstr(port, "project_id"), jstr(port, "name"), port);
	}
reply:
	if (sub == NULL)
		sub = if_subnet(c, port);
	r->status = 200;
	r->body = json_pack("{sssssssssss[s]ss}", "id", jstr(router, "id"), "port_id", jstr(port, "id"),
			    "subnet_id", sub != NULL ? jstr(sub, "id") : "", "network_id",
			    jstr(port, "network_id"), "tenant_id", jstr(router, "project_id"), "subnet_ids",
			    sub != NULL ? jstr(sub, "id") : "", "project_id", jstr(router, "project_id"));
out:
	(void)net;
	json_decref(ifs);
	json_decref(port);
	json_decref(sub);
	json_decref(req);
}

void routers(struct ctrl *c, const char *method, const char *id, const char *action,
	     const json_t *query, const struct who *w, const char *body, struct api_reply *r) {
	static const char *const attrs[] = {"name", "description", "admin_state_up", "routes",
					    "tenant_id", "project_id", NULL};
	static const char *const bools[] = {"admin_state_up", NULL};
	json_t *req = NULL, *rt = NULL, *in, *ifs = NULL;
	const char *key;
	json_t *v;
	char rid[37], ts[32];

	static const struct resource rs = {"router", "router", "routers", "RouterNotFound",
					   "Router %s could not be found", NULL};

	if (action != NULL && strcmp(method, "GET") == 0)
		method = "GET-action"; // no GET of an action: 404 below, not the router
	if (!resource_begin(c, &rs, method, id, query, w, r, &rt) ||
	    !may_write(w, rt, action != NULL ? action : write_action(method), "router", r))
		goto out;
	if (action != NULL) {
		if (strcmp(method, "PUT") != 0 || (strcmp(action, "add_router_interface") != 0 &&
						    strcmp(action, "remove_router_interface") != 0)) {
			neutron_error(r, 404, "HTTPNotFound", "The resource could not be found.");
			goto out;
		}
		router_if(c, rt, strcmp(action, "add_router_interface") == 0, w, body, r);
		goto out;
	}
	if (strcmp(method, "DELETE") == 0 && rt != NULL) {
		ifs = router_ifs(c, id);
		if (json_array_size(ifs) > 0) {
			neutron_error(r, 409, "RouterInUse", "Router %s still has ports", id);
			goto out;
		}
		store_delete(c->st, "router", id);
		r->status = 204;
		goto out;
	}
	in = request_object(method, id, rt, body, "router", &req, r);
	if (in == NULL)
		goto out;
	convert(in, (const char *const[]){NULL}, bools);
	json_object_foreach(in, key, v) {
		bool known = false;
		for (int i = 0; attrs[i] != NULL; i++)
			known |= strcmp(attrs[i], key) == 0;
		if (!known) {
			neutron_error(r, 400, "HTTPBadRequest", strcmp(key, "external_gateway_info") == 0
				      ? "Unrecognized attribute(s) '%s' (vnet routers have no external "
					"gateway yet)" : "Unrecognized attribute(s) '%s'", key);
			goto out;
		}
		if ((strcmp(key, "name") == 0 || strcmp(key, "description") == 0) && !text_ok(key, v, r))
			goto out;
		if (strcmp(key, "admin_state_up") == 0 && !json_is_boolean(v)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for admin_state_up. Reason: "
				      "not a valid boolean value.");
			goto out;
		}
		if ((strcmp(key, "tenant_id") == 0 || strcmp(key, "project_id") == 0) &&
		    !project_ok(key, v, rt, w, r))
			goto out;
	}
	ifs = rt != NULL ? router_ifs(c, id) : json_array();
	if (json_object_get(in, "routes") != NULL && !routes_valid(c, json_object_get(in, "routes"), ifs, r))
		goto out;
	now_iso(ts, time(NULL));
	if (rt == NULL) {
		const char *proj = json_string_value(json_object_get(in, "project_id"));
		proj = proj != NULL ? proj : json_string_value(json_object_get(in, "tenant_id"));
		proj = proj != NULL ? proj : w->project;
		uuid4(rid);
		rt = json_pack("{sssssssssssbsssbsbs[]s[]sisssss[]}", "id", rid, "name", "", "description",
			       "", "tenant_id", proj, "project_id", proj, "admin_state_up", 1, "status",
			       "ACTIVE", "distributed", 0, "ha", 0, "routes", "availability_zones",
			       "revision_number", 0, "created_at", ts, "updated_at", ts, "tags");
		json_object_set_new(rt, "external_gateway_info", json_null());
		json_object_del(in, "tenant_id");
		json_object_del(in, "project_id");
		id = rid;
	} else {
		json_object_set_new(rt, "revision_number",
				    json_integer(json_integer_value(json_object_get(rt, "revision_number")) + 1));
	}
	json_object_update(rt, in);
	json_object_set_new(rt, "updated_at", json_string(ts));
	if (store_put(c->st, "router", id, json_string_value(json_object_get(rt, "project_id")),
		      json_string_value(json_object_get(rt, "name")), rt) == 0) {
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
		goto out;
	}
	r->status = strcmp(method, "POST") == 0 ? 201 : 200;
	r->body = json_pack("{sO}", "router", rt);
out:
	json_decref(ifs);
	json_decref(rt);
	json_decref(req);
}
