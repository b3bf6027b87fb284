// SPDX-License-Identifier: BSD-3-Clause
// /v2.0/subnets: IPv4 and IPv6 subnets of a network, with gateway, allocation pools, DNS servers,
// host routes and the IPv6 modes (docs/controller.md, "Subnets").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/api_int.h"
#include "controller/ipam.h"

#define SUBNET_DNS_MAX 4      // DNS servers of a subnet (the rules document's limit)
#define SUBNET_ROUTES_MAX 16  // host routes of a subnet

static const char *const subnet_attrs[] = {
	"name", "description", "network_id", "tenant_id", "project_id", "ip_version", "cidr",
	"gateway_ip", "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp",
	"ipv6_ra_mode", "ipv6_address_mode", NULL,
};
static const char *const subnet_updatable[] = {
	"name", "description", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes",
	"enable_dhcp", NULL,
};


static bool bad(struct api_reply *r, const char *fmt, const char *a, const char *b) {
	char msg[400];

	snprintf(msg, sizeof(msg), fmt, a, b);
	neutron_error(r, 400, "HTTPBadRequest", "Invalid input for %s", msg);
	return false;
}

// Check subnet s (the whole object, after defaults) against its network's other subnets: the
// CIDR, the gateway, the pools, the DNS servers, the routes, the IPv6 modes. Fills in defaults
// (gateway, pools) where absent. false with a 400 naming the attribute.
static bool subnet_validate(struct ctrl *c, json_t *s, const char *self_id, struct api_reply *r) {
	const char *cidr = json_string_value(json_object_get(s, "cidr"));
	json_int_t ver = json_integer_value(json_object_get(s, "ip_version"));
	const json_t *gw = json_object_get(s, "gateway_ip"), *pools, *v;
	struct ip net, last, g = {0};
	bool host_bits, has_gw = false;
	char buf[64], buf2[80];
	int len;
	size_t i;

	if (cidr == NULL || !cidr_parse(cidr, &net, &len, &host_bits))
		return bad(r, "cidr. Reason: '%s' is not a valid IP subnet%s.", cidr ? cidr : "", "");
	if (host_bits) {
		ip_format(&net, buf, sizeof(buf));
		snprintf(buf2, sizeof(buf2), "%s/%d", buf, len);
		return bad(r, "cidr. Reason: '%s' isn't a recognized IP subnet cidr, '%s' is "
			      "recommended.", cidr, buf2);
	}
	if (ver != 4 && ver != 6)
		return bad(r, "ip_version. Reason: %s%s must be 4 or 6.", "ip_version", "");
	if (ver != net.family)
		return bad(r, "ip_version. Reason: cidr '%s' is not an IPv%s address.", cidr,
			   ver == 4 ? "4" : "6");
	if ((net.family == 4 && len > 30) || (net.family == 6 && len > 126))
		return bad(r, "cidr. Reason: '%s' leaves no room for hosts (%s).", cidr,
			   net.family == 4 ? "at most /30" : "at most /126");
	ip_format(&net, buf, sizeof(buf));
	snprintf(buf2, sizeof(buf2), "%s/%d", buf, len);
	json_object_set_new(s, "cidr", json_string(buf2));
	last = cidr_last(&net, len);
	// The IPv6 modes.
	{
		const char *ra = json_string_value(json_object_get(s, "ipv6_ra_mode"));
		const char *am = json_string_value(json_object_get(s, "ipv6_address_mode"));
		static const char *const modes[] = {"slaac", "dhcpv6-stateful", "dhcpv6-stateless",
						    NULL};
		if ((ra != NULL || am != NULL) && ver != 6)
			return bad(r, "ipv6_ra_mode. Reason: %s%s only for ip_version 6.", "IPv6 modes",
				   "");
		if ((ra != NULL && !in_list(modes, ra)) || (am != NULL && !in_list(modes, am)))
			return bad(r, "ipv6_address_mode. Reason: '%s' is not one of slaac, "
				      "dhcpv6-stateful, dhcpv6-stateless%s.",
				   ra != NULL && !in_list(modes, ra) ? ra : am, "");
		if (ra != NULL && am != NULL && strcmp(ra, am) != 0)
			return bad(r, "ipv6_ra_mode. Reason: ipv6_ra_mode '%s' differs from "
				      "ipv6_address_mode '%s'.", ra, am);
		if (((ra != NULL && strcmp(ra, "slaac") == 0) || (am != NULL && strcmp(am, "slaac") == 0) ||
		     (am != NULL && strcmp(am, "dhcpv6-stateless") == 0)) && len != 64)
			return bad(r, "cidr. Reason: SLAAC needs a /64, not '%s'%s.", cidr, "");
	}
	// The gateway: absent, the first address; null, none.
	if (gw == NULL) {
		g = ip_add(&net, 1);
		has_gw = true;
		ip_format(&g, buf, sizeof(buf));
		json_object_set_new(s, "gateway_ip", json_string(buf));
	} else if (!json_is_null(gw)) {
		if (!ip_parse(json_string_value(gw), &g) || !cidr_contains(&net, len, &g) ||
		    ip_cmp(&g, &net) == 0 || (net.family == 4 && ip_cmp(&g, &last) == 0))
			return bad(r, "gateway_ip. Reason: '%s' is not a host address of %s.",
				   json_is_string(gw) ? json_string_value(gw) : "?", cidr);
		has_gw = true;
	}
	// The pools: absent, the whole subnet but its network (and broadcast) address and the
	// gateway.
	pools = json_object_get(s, "allocation_pools");
	if (pools == NULL) {
		struct ip lo = ip_add(&net, 1), hi = net.family == 4 ? ip_add(&last, (u128)-1) : last;
		json_t *pl = json_array();
		char a[64], b[64];
		if (has_gw && ip_cmp(&g, &lo) > 0) {
			struct ip e = ip_add(&g, (u128)-1);
			ip_format(&lo, a, sizeof(a));
			ip_format(&e, b, sizeof(b));
			json_array_append_new(pl, json_pack("{ssss}", "start", a, "end", b));
		}
		if (has_gw && ip_cmp(&g, &lo) >= 0)
			lo = ip_add(&g, 1);
		if (ip_cmp(&lo, &hi) <= 0) {
			ip_format(&lo, a, sizeof(a));
			ip_format(&hi, b, sizeof(b));
			json_array_append_new(pl, json_pack("{ssss}", "start", a, "end", b));
		}
		json_object_set_new(s, "allocation_pools", pl);
		pools = json_object_get(s, "allocation_pools");
	}
	if (!json_is_array(pools))
		return bad(r, "allocation_pools. Reason: %s%s a list of {start, end}.", "must be", "");
	json_array_foreach(pools, i, v) {
		struct ip a, b;
		const char *sa = json_string_value(json_object_get(v, "start"));
		const char *sb = json_string_value(json_object_get(v, "end"));
		if (!ip_parse(sa, &a) || !ip_parse(sb, &b) || !cidr_contains(&net, len, &a) ||
		    !cidr_contains(&net, len, &b) || ip_cmp(&a, &b) > 0 || ip_cmp(&a, &net) == 0 ||
		    (net.family == 4 && ip_cmp(&b, &last) == 0))
			return bad(r, "allocation_pools. Reason: the range %s-%s is not within the "
				      "subnet's host addresses, start first.", sa ? sa : "?", sb ? sb : "?");
		if (has_gw && ip_cmp(&g, &a) >= 0 && ip_cmp(&g, &b) <= 0)
			return bad(r, "allocation_pools. Reason: the range %s-%s holds the gateway.", sa,
				   sb);
		for (size_t j = 0; j < i; j++) {
			struct ip c2, d2;
			const json_t *o = json_array_get(pools, j);
			ip_parse(json_string_value(json_object_get(o, "start")), &c2);
			ip_parse(json_string_value(json_object_get(o, "end")), &d2);
			if (ip_cmp(&a, &d2) <= 0 && ip_cmp(&c2, &b) <= 0)
				return bad(r, "allocation_pools. Reason: the range %s-%s overlaps "
					      "another.", sa, sb);
		}
	}
	// DNS servers and host routes.
	v = json_object_get(s, "dns_nameservers");
	if (v != NULL && (!json_is_array(v) || json_array_size(v) > SUBNET_DNS_MAX))
		return bad(r, "dns_nameservers. Reason: a list of at most %s addresses%s.", "4", "");
	for (i = 0; i < json_array_size(v); i++) {
		struct ip d;
		const char *sd = json_string_value(json_array_get(v, i));
		if (!ip_parse(sd, &d))
			return bad(r, "dns_nameservers. Reason: '%s' is not a valid IP address%s.",
				   sd ? sd : "?", "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(sd, json_string_value(json_array_get(v, j))) == 0)
				return bad(r, "dns_nameservers. Reason: '%s' is a duplicate%s.", sd, "");
	}
	v = json_object_get(s, "host_routes");
	if (v != NULL && (!json_is_array(v) || json_array_size(v) > SUBNET_ROUTES_MAX))
		return bad(r, "host_routes. Reason: a list of at most %s routes%s.", "16", "");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *hr = json_array_get(v, i);
		struct ip d, nh;
		int l;
		bool hb;
		if (!cidr_parse(json_string_value(json_object_get(hr, "destination")), &d, &l, &hb) ||
		    hb || !ip_parse(json_string_value(json_object_get(hr, "nexthop")), &nh) ||
		    d.family != net.family || nh.family != net.family)
			return bad(r, "host_routes. Reason: each needs a destination (a CIDR of the "
				      "subnet's family) and a nexthop%s%s.", "", "");
	}
	if (!json_is_boolean(json_object_get(s, "enable_dhcp")))
		return bad(r, "enable_dhcp. Reason: %s%s not a valid boolean value.", "it is", "");
	// No other subnet of the network may overlap.
	{
		json_t *all = store_list(c->st, "subnet", NULL), *o;
		const char *netid = json_string_value(json_object_get(s, "network_id"));
		json_array_foreach(all, i, o) {
			struct ip n2;
			int l2;
			bool hb;
			if (strcmp(json_string_value(json_object_get(o, "network_id")), netid) != 0 ||
			    (self_id != NULL && strcmp(json_string_value(json_object_get(o, "id")), self_id) == 0) ||
			    !cidr_parse(json_string_value(json_object_get(o, "cidr")), &n2, &l2, &hb) ||
			    n2.family != net.family)
				continue;
			if (cidr_contains(&n2, l2, &net) || cidr_contains(&net, len, &n2)) {
				neutron_error(r, 400, "InvalidInput",
					      "Invalid input for operation: Requested subnet with cidr: %s "
					      "for network: %s overlaps with another subnet.",
					      json_string_value(json_object_get(s, "cidr")), netid);
				json_decref(all);
				return false;
			}
		}
		json_decref(all);
	}
	return true;
}

// Whether any port has an address on subnet `id`.
static bool subnet_in_use(struct ctrl *c, const char *id) {
	json_t *all = store_list(c->st, "port", NULL), *p, *f;
	bool used = false;
	size_t i, j;

	json_array_foreach(all, i, p)
		json_array_foreach(json_object_get(p, "fixed_ips"), j, f)
			used |= strcmp(json_string_value(json_object_get(f, "subnet_id")), id) == 0;
	json_decref(all);
	return used;
}

void subnets(struct ctrl *c, const char *method, const char *id, const json_t *query,
	     const struct who *w, const char *body, struct api_reply *r) {
	static const char *const ints[] = {"ip_version", NULL};
	static const char *const bools[] = {"enable_dhcp", NULL};
	json_t *req = NULL, *s = NULL, *in, *net = NULL;
	const char *key;
	json_t *v;
	char sid[37], ts[32];

	static const struct resource rs = {"subnet", "subnet", "subnets", "SubnetNotFound", "Subnet %s could not be found.", NULL};

	if (!resource_begin(c, &rs, method, id, query, w, r, &s) ||
	    !may_write(w, s, write_action(method), "subnet", r))
		goto out;
	if (strcmp(method, "DELETE") == 0 && s != NULL) {
		if (subnet_in_use(c, id)) {
			neutron_error(r, 409, "SubnetInUse",
				      "Unable to complete operation on subnet %s: One or more ports "
				      "have an IP allocation from this subnet.", id);
			goto out;
		}
		store_delete(c->st, "subnet", id);
		r->status = 204;
		goto out;
	}
	in = request_object(method, id, s, body, "subnet", &req, r);
	if (in == NULL)
		goto out;
	convert(in, ints, bools);
	json_object_foreach(in, key, v) {
		if (!in_list(subnet_attrs, key)) {
			neutron_error(r, 400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'", key);
			goto out;
		}
		if (s != NULL && !in_list(subnet_updatable, key)) {
			neutron_error(r, 400, "HTTPBadRequest", "Cannot update read-only attribute %s",
				      key);
			goto out;
		}
		if ((strcmp(key, "name") == 0 || strcmp(key, "description") == 0) && !text_ok(key, v, r))
			goto out;
	}
	now_iso(ts, time(NULL));
	if (s == NULL) {
		const char *netid = json_string_value(json_object_get(in, "network_id"));
		const char *proj;
		if (netid == NULL) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for network_id. Reason: "
				      "it is required.");
			goto out;
		}
		net = store_get(c->st, "network", netid);
		if (net == NULL || !visible(net, w)) {
			neutron_error(r, 404, "NetworkNotFound", "Network %s could not be found.", netid);
			goto out;
		}
		proj = json_string_value(json_object_get(net, "project_id"));
		if (strcmp(w->role, "admin") != 0 && strcmp(proj, w->project) != 0) {
			neutron_error(r, 403, "HTTPForbidden", "only the network's project adds subnets "
				      "to it");
			goto out;
		}
		if (json_object_get(in, "ip_version") == NULL || json_object_get(in, "cidr") == NULL) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for %s. Reason: it is "
				      "required.", json_object_get(in, "cidr") == NULL ? "cidr" : "ip_version");
			goto out;
		}
		uuid4(sid);
		s = json_pack("{sssssssssssbs[]s[]s[]s[]sissss}", "id", sid, "name", "", "description",
			      "", "tenant_id", proj, "project_id", proj, "enable_dhcp", 1,
			      "dns_nameservers", "host_routes", "tags", "service_types",
			      "revision_number", 0, "created_at", ts, "updated_at", ts);
		json_object_set_new(s, "ipv6_ra_mode", json_null());
		json_object_set_new(s, "ipv6_address_mode", json_null());
		json_object_set_new(s, "subnetpool_id", json_null());
		json_object_del(in, "tenant_id");
		json_object_del(in, "project_id");
		id = sid;
	} else {
		json_object_set_new(s, "revision_number",
				    json_integer(json_integer_value(json_object_get(s, "revision_number")) + 1));
		// A new gateway keeps the pools as they were (validated against it below).
	}
	json_object_update(s, in);
	json_object_set_new(s, "updated_at", json_string(ts));
	if (!subnet_validate(c, s, strcmp(method, "PUT") == 0 ? id : NULL, r))
		goto out;
	if (store_put(c->st, "subnet", id, json_string_value(json_object_get(s, "project_id")),
		      json_string_value(json_object_get(s, "name")), s) == 0) {
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
		goto out;
	}
	r->status = strcmp(method, "POST") == 0 ? 201 : 200;
	r->body = json_pack("{sO}", "subnet", s);
out:
	json_decref(net);
	json_decref(s);
	json_decref(req);
}
