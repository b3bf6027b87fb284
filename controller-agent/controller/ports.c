// SPDX-License-Identifier: BSD-3-Clause
// /v2.0/ports: a vNIC's attachment to a network: MAC (allocated, locally administered), fixed IPs
// (from the subnets' pools; IPv6 SLAAC from the MAC), binding:host_id, device owner and id, port
// security, allowed address pairs (docs/controller.md, "Ports").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "controller/api_int.h"
#include "controller/ipam.h"

#define PORT_FIXED_IPS_MAX 16 // addresses of a port (the rules document's: 16 IPv4 and 16 IPv6)
#define PORT_PAIRS_MAX 10     // allowed address pairs of a port

static const char *const port_attrs[] = {
	"name", "description", "network_id", "tenant_id", "project_id", "admin_state_up",
	"mac_address", "fixed_ips", "device_id", "device_owner", "binding:host_id",
	"port_security_enabled", "security_groups", "allowed_address_pairs", NULL,
};
static const char *const port_readonly[] = {"network_id", "tenant_id", "project_id", NULL};


static bool mac_valid(const char *m) {
	unsigned int b[6];
	char end;

	if (m == NULL || strlen(m) != 17 ||
	    sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return false;
	return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) != 0;
}

// The ports of network `netid` other than `self`.
static json_t *network_ports(struct ctrl *c, const char *netid, const char *self) {
	json_t *all = store_find(c->st, "port", "network_id", netid), *out = json_array(), *p;
	size_t i;

	json_array_foreach(all, i, p)
		if (self == NULL || strcmp(json_string_value(json_object_get(p, "id")), self) != 0)
			json_array_append(out, p);
	json_decref(all);
	return out;
}

static bool ip_taken(const json_t *others, const struct ip *a) {
	const json_t *p, *f;
	size_t i, j;
	struct ip b;

	json_array_foreach(others, i, p)
		json_array_foreach(json_object_get(p, "fixed_ips"), j, f)
			if (ip_parse(json_string_value(json_object_get(f, "ip_address")), &b) &&
			    b.family == a->family && ip_cmp(&b, a) == 0)
				return true;
	return false;
}

static bool mac_taken(const json_t *others, const char *mac) {
	const json_t *p;
	size_t i;

	json_array_foreach(others, i, p)
		if (strcasecmp(json_string_value(json_object_get(p, "mac_address")), mac) == 0)
			return true;
	return false;
}

// The first free address of subnet s's pools (not taken by `others`, nor by `mine` so far).
static bool pool_alloc(const json_t *s, const json_t *others, const json_t *mine, struct ip *out) {
	const json_t *pool;
	size_t i;

	json_array_foreach(json_object_get(s, "allocation_pools"), i, pool) {
		struct ip a, b;
		if (!ip_parse(json_string_value(json_object_get(pool, "start")), &a) ||
		    !ip_parse(json_string_value(json_object_get(pool, "end")), &b))
			continue;
		for (u128 n = 0; ip_cmp(&a, &b) <= 0 && n < 65536; a = ip_add(&a, 1), n++) {
			bool mine_has = false;
			const json_t *f;
			size_t j;
			struct ip m;
			json_array_foreach(mine, j, f)
				mine_has |= ip_parse(json_string_value(json_object_get(f, "ip_address")), &m) &&
					    ip_cmp(&m, &a) == 0;
			if (!mine_has && !ip_taken(others, &a)) {
				*out = a;
				return true;
			}
		}
	}
	return false;
}

static bool slaac(const json_t *s) {
	const char *am = json_string_value(json_object_get(s, "ipv6_address_mode"));
	return am != NULL && (strcmp(am, "slaac") == 0 || strcmp(am, "dhcpv6-stateless") == 0);
}

// The port's fixed IPs from `req` (a list of {subnet_id?, ip_address?}), or the defaults when
// absent (an address from the first IPv4 subnet, SLAAC addresses of the SLAAC subnets, one from
// the first stateful IPv6 subnet). Each entry is checked: the subnet on this network, the address
// in it, free. 0, or an HTTP status with the error set.
static unsigned int fixed_ips(struct ctrl *c, const json_t *req, const json_t *port,
			      const json_t *others, bool router_if, json_t **out,
			      struct api_reply *r) {
	const char *netid = json_string_value(json_object_get(port, "network_id"));
	const char *mac = json_string_value(json_object_get(port, "mac_address"));
	json_t *all = store_find(c->st, "subnet", "network_id", netid), *subs = json_array();
	json_t *res = json_array();
	const json_t *s, *e;
	size_t i, j;
	char buf[64];
	unsigned int status = 0;

	json_array_foreach(all, i, s)
		if (strcmp(json_string_value(json_object_get(s, "network_id")), netid) == 0)
			json_array_append(subs, (json_t *)s);
	json_decref(all);
	if (req == NULL) {
		bool v4 = false, v6 = false;
		json_array_foreach(subs, i, s) {
			struct ip net, a;
			int len;
			bool hb;
			cidr_parse(json_string_value(json_object_get(s, "cidr")), &net, &len, &hb);
			if (net.family == 6 && slaac(s) && ip_slaac(&net, mac, &a)) {
				ip_format(&a, buf, sizeof(buf));
				json_array_append_new(res, json_pack("{sOss}", "subnet_id",
								     json_object_get(s, "id"), "ip_address", buf));
				continue;
			}
			if ((net.family == 4 && v4) || (net.family == 6 && v6))
				continue;
			if (pool_alloc(s, others, res, &a)) {
				ip_format(&a, buf, sizeof(buf));
				json_array_append_new(res, json_pack("{sOss}", "subnet_id",
								     json_object_get(s, "id"), "ip_address", buf));
				*(net.family == 4 ? &v4 : &v6) = true;
			}
		}
		goto done;
	}
	if (!json_is_array(req) || json_array_size(req) > PORT_FIXED_IPS_MAX) {
		neutron_error(r, 400, "HTTPBadRequest", "Invalid input for fixed_ips. Reason: a list "
			      "of at most %d {subnet_id, ip_address}.", PORT_FIXED_IPS_MAX);
		status = 400;
		goto done;
	}
	json_array_foreach(req, i, e) {
		const char *sid = json_string_value(json_object_get(e, "subnet_id"));
		const char *ipa = json_string_value(json_object_get(e, "ip_address"));
		const json_t *sub = NULL;
		struct ip a = {0}, net;
		int len;
		bool hb;

		if (!json_is_object(e) || (sid == NULL && ipa == NULL) ||
		    (ipa != NULL && !ip_parse(ipa, &a))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for fixed_ips[%zu]. "
				      "Reason: a subnet_id, an ip_address (a valid address), or both.", i);
			status = 400;
			goto done;
		}
		json_array_foreach(subs, j, s) {
			cidr_parse(json_string_value(json_object_get(s, "cidr")), &net, &len, &hb);
			if ((sid != NULL && strcmp(json_string_value(json_object_get(s, "id")), sid) == 0) ||
			    (sid == NULL && cidr_contains(&net, len, &a)))
				sub = s;
		}
		if (sub == NULL) {
			neutron_error(r, 400, "InvalidInput", "Invalid input for operation: %s %s is not "
				      "on network %s.", sid != NULL ? "subnet" : "no subnet holds address",
				      sid != NULL ? sid : ipa, netid);
			status = 400;
			goto done;
		}
		cidr_parse(json_string_value(json_object_get(sub, "cidr")), &net, &len, &hb);
		if (ipa == NULL) {
			if (!pool_alloc(sub, others, res, &a)) {
				neutron_error(r, 409, "IpAddressGenerationFailure",
					      "No more IP addresses available on network %s.", netid);
				status = 409;
				goto done;
			}
		} else {
			struct ip g;
			if (!cidr_contains(&net, len, &a) || ip_cmp(&a, &net) == 0) {
				neutron_error(r, 400, "InvalidIpForSubnet", "IP address %s is not a valid "
					      "IP for the specified subnet.", ipa);
				status = 400;
				goto done;
			}
			if (ip_taken(others, &a) ||
			    (!router_if && ip_parse(json_string_value(json_object_get(sub, "gateway_ip")), &g) &&
			     ip_cmp(&g, &a) == 0)) {
				neutron_error(r, 409, "IpAddressAlreadyAllocated", "IP address %s already "
					      "allocated in subnet %s", ipa,
					      json_string_value(json_object_get(sub, "id")));
				status = 409;
				goto done;
			}
		}
		ip_format(&a, buf, sizeof(buf));
		json_array_append_new(res, json_pack("{sOss}", "subnet_id", json_object_get(sub, "id"),
						     "ip_address", buf));
	}
done:
	json_decref(subs);
	if (status != 0) {
		json_decref(res);
		return status;
	}
	*out = res;
	return 0;
}

static bool pairs_valid(const json_t *pairs, struct api_reply *r) {
	const json_t *p;
	size_t i;

	if (!json_is_array(pairs) || json_array_size(pairs) > PORT_PAIRS_MAX) {
		neutron_error(r, 400, "HTTPBadRequest", "Invalid input for allowed_address_pairs. "
			      "Reason: a list of at most %d {ip_address, mac_address}.", PORT_PAIRS_MAX);
		return false;
	}
	json_array_foreach(pairs, i, p) {
		const char *ipa = json_string_value(json_object_get(p, "ip_address"));
		const char *mac = json_string_value(json_object_get(p, "mac_address"));
		struct ip a;
		int len;
		bool hb;
		if (ipa == NULL || (!ip_parse(ipa, &a) && !cidr_parse(ipa, &a, &len, &hb)) ||
		    (json_object_get(p, "mac_address") != NULL && !mac_valid(mac))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for "
				      "allowed_address_pairs[%zu]. Reason: an ip_address (an address or "
				      "a CIDR) and an optional unicast mac_address.", i);
			return false;
		}
	}
	return true;
}

// A port's binding moved from host `from` to host `to` (live migration: docs/agent.md,
// "Live migration"): a handoff record for the hosts' agents, written with the port in one
// revision. The host the port leaves gives it the port's connections (PUT
// /vnet/v1/hosts/FROM/handoffs/PORT), the host it goes to takes them before the port goes live
// there (GET /vnet/v1/hosts/TO/handoffs/PORT). Any other change of the binding ends a handoff
// still open. False with the reply set if the store refused.
static bool handoff_note(struct ctrl *c, const char *id, const char *from, const char *to,
			 struct api_reply *r) {
	json_t *h;
	uint64_t ok;

	if (to == NULL || strcmp(from, to) == 0)
		return true;
	if (from[0] == '\0' || to[0] == '\0') {
		h = store_get(c->st, "handoff", id);
		if (h != NULL)
			store_delete(c->st, "handoff", id);
		json_decref(h);
		return true;
	}
	h = json_pack("{sssssssI}", "port", id, "from", from, "to", to, "at", (json_int_t)time(NULL));
	ok = store_put(c->st, "handoff", id, NULL, NULL, h);
	json_decref(h);
	if (ok == 0)
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
	return ok != 0;
}

void ports(struct ctrl *c, const char *method, const char *id, const json_t *query,
	   const struct who *w, const char *body, struct api_reply *r) {
	static const char *const bools[] = {"admin_state_up", "port_security_enabled", NULL};
	json_t *req = NULL, *p = NULL, *in, *net = NULL, *others = NULL, *v;
	const char *key;
	char pid[37], ts[32], was_at[256] = "";
	unsigned int st;

	static const struct resource rs = {"port", "port", "ports", "PortNotFound", "Port %s could not be found.", NULL};

	if (!resource_begin(c, &rs, method, id, query, w, r, &p) ||
	    !may_write(w, p, write_action(method), "port", r))
		goto out;
	if (strcmp(method, "DELETE") == 0 && p != NULL) {
		store_delete(c->st, "port", id);
		store_delete(c->st, "handoff", id);
		r->status = 204;
		goto out;
	}
	in = request_object(method, id, p, body, "port", &req, r);
	if (in == NULL)
		goto out;
	convert(in, (const char *const[]){NULL}, bools);
	json_object_foreach(in, key, v) {
		if (!in_list(port_attrs, key)) {
			neutron_error(r, 400, "HTTPBadRequest", "Unrecognized attribute(s) '%s'", key);
			goto out;
		}
		if (p != NULL && (in_list(port_readonly, key) ||
				  (strcmp(key, "mac_address") == 0 && strcmp(w->role, "admin") != 0))) {
			neutron_error(r, 400, "HTTPBadRequest", "Cannot update read-only attribute %s", key);
			goto out;
		}
		if ((strcmp(key, "name") == 0 || strcmp(key, "description") == 0 ||
		     strcmp(key, "device_id") == 0 || strcmp(key, "device_owner") == 0 ||
		     strcmp(key, "binding:host_id") == 0) && !text_ok(key, v, r))
			goto out;
		if ((strcmp(key, "admin_state_up") == 0 || strcmp(key, "port_security_enabled") == 0) &&
		    !json_is_boolean(v)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for %s. Reason: not a "
				      "valid boolean value.", key);
			goto out;
		}
		if (strcmp(key, "mac_address") == 0 && !mac_valid(json_string_value(v))) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for mac_address. Reason: "
				      "'%s' is not a valid unicast MAC address.",
				      json_is_string(v) ? json_string_value(v) : "?");
			goto out;
		}
		if (strcmp(key, "security_groups") == 0 && !json_is_array(v)) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for security_groups. "
				      "Reason: a list of security group ids.");
			goto out;
		}
		if (strcmp(key, "allowed_address_pairs") == 0 && !pairs_valid(v, r))
			goto out;
	}
	now_iso(ts, time(NULL));
	if (p == NULL) {
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
			neutron_error(r, 403, "HTTPForbidden", "only the network's project adds ports "
				      "to it");
			goto out;
		}
		uuid4(pid);
		p = json_pack("{sssssssssssssbsssssssssbs[]s[]s[]sisssssssss{}s{}}", "id", pid, "name", "",
			      "description", "", "network_id", netid, "tenant_id", proj, "project_id",
			      proj, "admin_state_up", 1, "device_id", "", "device_owner", "",
			      "binding:host_id", "", "status", "DOWN", "port_security_enabled",
			      json_is_false(json_object_get(net, "port_security_enabled")) ? 0 : 1,
			      "security_groups", "allowed_address_pairs", "tags", "revision_number", 0,
			      "created_at", ts, "updated_at", ts, "binding:vif_type", "unbound",
			      "binding:vnic_type", "normal", "binding:profile", "binding:vif_details");
		others = network_ports(c, netid, NULL);
		if (json_object_get(in, "mac_address") == NULL) {
			char mac[18];
			uint8_t b[3];
			for (int tries = 0;; tries++) {
				if (getrandom(b, 3, 0) != 3 || tries == 64) {
					neutron_error(r, 409, "MacAddressGenerationFailure", "Unable to "
						      "generate a unique mac on network %s.", netid);
					goto out;
				}
				snprintf(mac, sizeof(mac), "fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2]);
				if (!mac_taken(others, mac))
					break;
			}
			json_object_set_new(p, "mac_address", json_string(mac));
		}
		json_object_del(in, "tenant_id");
		json_object_del(in, "project_id");
		id = pid;
	} else {
		snprintf(was_at, sizeof(was_at), "%s",
			 json_string_value(json_object_get(p, "binding:host_id")));
		others = network_ports(c, json_string_value(json_object_get(p, "network_id")), id);
		json_object_set_new(p, "revision_number",
				    json_integer(json_integer_value(json_object_get(p, "revision_number")) + 1));
	}
	if (json_object_get(in, "mac_address") != NULL &&
	    mac_taken(others, json_string_value(json_object_get(in, "mac_address")))) {
		neutron_error(r, 409, "MacAddressInUse", "Unable to complete operation for network %s. "
			      "The mac address %s is in use.",
			      json_string_value(json_object_get(p, "network_id")),
			      json_string_value(json_object_get(in, "mac_address")));
		goto out;
	}
	if (strcmp(method, "POST") == 0 && json_object_get(in, "security_groups") == NULL &&
	    !json_is_false(json_object_get(in, "port_security_enabled")) &&
	    !json_is_false(json_object_get(p, "port_security_enabled"))) {
		char dflt[40];
		json_object_set_new(p, "security_groups",
				    json_pack("[s]", sg_default_id(c, json_string_value(json_object_get(p, "project_id")), dflt)));
	}
	json_object_update(p, in);
	if (json_object_get(in, "security_groups") != NULL) {
		const json_t *g;
		size_t i;
		if (json_array_size(json_object_get(in, "security_groups")) > 16) {
			neutron_error(r, 400, "HTTPBadRequest", "Invalid input for security_groups. Reason: "
				      "at most 16 groups.");
			goto out;
		}
		json_array_foreach(json_object_get(in, "security_groups"), i, g) {
			json_t *sg = json_is_string(g) ? store_get(c->st, "security_group", json_string_value(g)) : NULL;
			bool ok = sg != NULL && strcmp(json_string_value(json_object_get(sg, "project_id")),
						       json_string_value(json_object_get(p, "project_id"))) == 0;
			json_decref(sg);
			if (!ok) {
				neutron_error(r, 404, "SecurityGroupNotFound", "Security group %s does not "
					      "exist", json_is_string(g) ? json_string_value(g) : "?");
				goto out;
			}
		}
	}
	if (json_is_false(json_object_get(p, "port_security_enabled")) &&
	    json_array_size(json_object_get(p, "security_groups")) > 0) {
		neutron_error(r, 409, "PortSecurityAndIPRequiredForSecurityGroups", "Port security must "
			      "be enabled and port must have an IP address in order to use security "
			      "groups.");
		goto out;
	}
	if (json_object_get(in, "fixed_ips") != NULL || strcmp(method, "POST") == 0) {
		json_t *ips = NULL;
		const char *owner = json_string_value(json_object_get(p, "device_owner"));
		st = fixed_ips(c, json_object_get(in, "fixed_ips"), p, others,
			       owner != NULL && strcmp(owner, "network:router_interface") == 0, &ips, r);
		if (st != 0)
			goto out;
		json_object_set_new(p, "fixed_ips", ips);
	}
	if (json_is_false(json_object_get(p, "port_security_enabled")) &&
	    json_array_size(json_object_get(p, "allowed_address_pairs")) > 0) {
		neutron_error(r, 409, "AddressPairAndPortSecurityRequired", "Port Security must be "
			      "enabled in order to have allowed address pairs on a port.");
		goto out;
	}
	{
		// What Nova (os-vif) needs to plug the vNIC: a VM's vhost-user socket, vnetd its server
		// (vhostuser_mode names QEMU's side: client); a container's tap-named veth.
		const char *host = json_string_value(json_object_get(p, "binding:host_id"));
		const char *owner = json_string_value(json_object_get(p, "device_owner"));
		bool bound = host != NULL && host[0] != '\0';
		bool vm = owner != NULL && strncmp(owner, "compute:", 8) == 0;
		char sock[512];
		snprintf(sock, sizeof(sock), "%s/vhu%.11s.sock", c->vhost_dir, id);
		json_object_set_new(p, "binding:vif_type",
				    json_string(!bound ? "unbound" : vm ? "vhostuser" : "tap"));
		json_object_set_new(p, "binding:vif_details",
				    bound && vm ? json_pack("{sssssb}", "vhostuser_socket", sock,
							    "vhostuser_mode", "client", "port_filter", 1)
				    : bound ? json_pack("{sb}", "port_filter", 1) : json_object());
	}
	json_object_set_new(p, "updated_at", json_string(ts));
	if (!handoff_note(c, id, was_at, json_string_value(json_object_get(p, "binding:host_id")), r))
		goto out;
	if (store_put(c->st, "port", id, json_string_value(json_object_get(p, "project_id")),
		      json_string_value(json_object_get(p, "name")), p) == 0) {
		neutron_error(r, 500, "HTTPInternalServerError", "the store refused the write");
		goto out;
	}
	r->status = strcmp(method, "POST") == 0 ? 201 : 200;
	r->body = json_pack("{sO}", "port", p);
out:
	json_decref(others);
	json_decref(net);
	json_decref(p);
	json_decref(req);
}
