// SPDX-License-Identifier: BSD-3-Clause
// The compiler (docs/controller.md, "Per-host documents"): the tenants' intent in the store into
// the rules document of one host (docs/rules-schema.md). A host gets only what it needs:
// - its ports (those bound to it by binding:host_id);
// - their networks, and every network of a router one of them is on (the router routes between
//   them);
// - the routers;
// - the security groups its ports use, and those their rules name;
// - the ports of those networks on other hosts as remote ports, with their host's VTEP and their
//   groups;
// - each network's flood list (the other hosts with ports in it).
// Its revision is the store's.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/api_int.h"
#include "controller/compile.h"


static bool set_has(const json_t *set, const char *k) {
	return json_object_get(set, k) != NULL;
}

static void set_add(json_t *set, const char *k) {
	json_object_set_new(set, k, json_true());
}

// The device name vnetd is given for port p (the agent makes the vNIC under that name):
// a VM's vhost-user socket, vnetd its server; a container's veth made by the agent or the CNI
// plugin. Linux interface names take 15 characters: "tap" and the port id's first 11.
static void port_device(const struct ctrl *c, const json_t *p, char *buf, size_t size,
			const char **kind) {
	const char *owner = jstr0(p, "device_owner"), *id = jstr0(p, "id");

	if (strncmp(owner, "compute:", 8) == 0) {
		snprintf(buf, size, "vhost:%s/vhu%.11s.sock,server", c->vhost_dir, id);
		*kind = "vm";
	} else {
		snprintf(buf, size, "veth:tap%.11s", id);
		*kind = "container";
	}
}

// Router MAC: locally administered, from the router's id.
static void router_mac(const char *id, char out[18]) {
	unsigned int h = 2166136261u;

	for (const char *p = id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, 18, "fa:16:3f:%02x:%02x:%02x", h >> 16 & 255, h >> 8 & 255, h & 255);
}

static bool is_vnic(const json_t *p) {
	const char *owner = jstr0(p, "device_owner");
	return strncmp(owner, "network:", 8) != 0; // not a router interface, DHCP or gateway port
}

static json_t *ips_of(const json_t *p) {
	json_t *ips = json_array(), *f;
	size_t i;

	json_array_foreach(json_object_get(p, "fixed_ips"), i, f)
		json_array_append_new(ips, json_string(jstr0(f, "ip_address")));
	return ips;
}

static json_t *rule_doc(const json_t *r) {
	json_t *o = json_pack("{ssss}", "id", jstr0(r, "id"), "direction", jstr0(r, "direction"));
	const char *proto = jstr0(r, "protocol");
	const json_t *lo = json_object_get(r, "port_range_min"), *hi = json_object_get(r, "port_range_max");

	json_object_set_new(o, "ethertype", json_string(strcmp(jstr0(r, "ethertype"), "IPv6") == 0 ? "ipv6" : "ipv4"));
	if (proto[0] != '\0')
		json_object_set_new(o, "protocol", strcmp(proto, "ipv6-icmp") == 0 || strcmp(proto, "icmpv6") == 0
							   ? json_string("icmp6")
						   : strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 ||
								   strcmp(proto, "icmp") == 0
							   ? json_string(proto)
							   : json_integer(atoi(proto)));
	if (json_is_integer(lo)) {
		char ports[16];
		if (json_integer_value(hi) != json_integer_value(lo))
			snprintf(ports, sizeof(ports), "%lld-%lld", (long long)json_integer_value(lo),
				 (long long)json_integer_value(hi));
		else
			snprintf(ports, sizeof(ports), "%lld", (long long)json_integer_value(lo));
		json_object_set_new(o, "ports", json_string(ports));
	}
	if (json_is_string(json_object_get(r, "remote_ip_prefix")))
		json_object_set(o, "remote", json_object_get(r, "remote_ip_prefix"));
	if (json_is_string(json_object_get(r, "remote_group_id")))
		json_object_set(o, "remote_group", json_object_get(r, "remote_group_id"));
	if (json_is_object(json_object_get(r, "vnet:l7")))
		json_object_set(o, "l7", json_object_get(r, "vnet:l7"));
	return o;
}

json_t *compile_host(struct ctrl *c, const char *host, uint64_t *revision) {
	json_t *hosts = store_list(c->st, "host", NULL), *ports = store_list(c->st, "port", NULL);
	json_t *nets = store_list(c->st, "network", NULL), *subs = store_list(c->st, "subnet", NULL);
	json_t *rts = store_list(c->st, "router", NULL), *sgs = store_list(c->st, "security_group", NULL);
	json_t *rules = store_list(c->st, "sg_rule", NULL);
	json_t *want_nets = json_object(), *want_rts = json_object(), *want_sgs = json_object();
	json_t *vtep_of = json_object(), *net_router = json_object();
	json_t *doc_nets = json_array(), *doc_ports = json_array(), *doc_remote = json_array();
	json_t *doc_rts = json_array(), *doc_sgs = json_array(), *p, *x;
	size_t i, j;

	*revision = store_revision(c->st);
	json_array_foreach(hosts, i, x)
		json_object_set(vtep_of, jstr0(x, "name"), json_object_get(x, "vtep"));
	// Routers and the networks they connect (by their interface ports).
	json_array_foreach(ports, i, p)
		if (strcmp(jstr0(p, "device_owner"), "network:router_interface") == 0)
			json_object_set_new(net_router, jstr0(p, "network_id"), json_string(jstr0(p, "device_id")));
	// This host's ports: their networks, their routers' networks, their groups.
	json_array_foreach(ports, i, p)
		if (is_vnic(p) && strcmp(jstr0(p, "binding:host_id"), host) == 0)
			set_add(want_nets, jstr0(p, "network_id"));
	json_array_foreach(ports, i, p) {
		const char *rt = json_string_value(json_object_get(net_router, jstr0(p, "network_id")));
		if (rt != NULL && set_has(want_nets, jstr0(p, "network_id")))
			set_add(want_rts, rt);
	}
	{
		const char *netid;
		json_t *rt;
		json_object_foreach(net_router, netid, rt)
			if (set_has(want_rts, json_string_value(rt)))
				set_add(want_nets, netid);
	}
	// Ports: local ones, and the others of these networks as remote ports.
	json_array_foreach(ports, i, p) {
		const char *h = jstr0(p, "binding:host_id");
		const json_t *g;
		if (!is_vnic(p) || !set_has(want_nets, jstr0(p, "network_id")) || h[0] == '\0')
			continue;
		if (strcmp(h, host) == 0) {
			char dev[300];
			const char *kind;
			json_t *o;
			port_device(c, p, dev, sizeof(dev), &kind);
			o = json_pack("{sssssssssosssbsO}", "id", jstr0(p, "id"), "network",
				      jstr0(p, "network_id"), "kind", kind, "device", dev, "ips", ips_of(p),
				      "mac", jstr0(p, "mac_address"), "port_security",
				      !json_is_false(json_object_get(p, "port_security_enabled")),
				      "security_groups", json_object_get(p, "security_groups"));
			if (json_is_false(json_object_get(p, "port_security_enabled")))
				json_object_del(o, "security_groups");
			json_array_append_new(doc_ports, o);
		} else if (json_object_get(vtep_of, h) != NULL) {
			json_array_append_new(doc_remote,
				json_pack("{sssssosOsO}", "network", jstr0(p, "network_id"), "mac",
					  jstr0(p, "mac_address"), "ips", ips_of(p), "vtep",
					  json_object_get(vtep_of, h), "security_groups",
					  json_object_get(p, "security_groups")));
		}
		json_array_foreach(json_object_get(p, "security_groups"), j, g)
			set_add(want_sgs, json_string_value(g));
	}
	// Groups named as remote groups by the wanted ones' rules.
	json_array_foreach(rules, i, x)
		if (set_has(want_sgs, jstr0(x, "security_group_id")) &&
		    json_is_string(json_object_get(x, "remote_group_id")))
			set_add(want_sgs, jstr0(x, "remote_group_id"));
	// Networks with their subnets and flood lists.
	json_array_foreach(nets, i, x) {
		const char *id = jstr0(x, "id");
		json_t *o, *sl = json_array(), *fl = json_object(), *fla = json_array(), *s;
		const char *rt = json_string_value(json_object_get(net_router, id)), *h;
		if (!set_has(want_nets, id))
			continue;
		json_array_foreach(subs, j, s) {
			json_t *so;
			if (strcmp(jstr0(s, "network_id"), id) != 0)
				continue;
			so = json_pack("{sssb}", "cidr", jstr0(s, "cidr"), "dhcp",
				       json_is_true(json_object_get(s, "enable_dhcp")) ||
					       json_integer_value(json_object_get(s, "ip_version")) == 6);
			if (json_integer_value(json_object_get(s, "ip_version")) == 6) {
				json_object_del(so, "dhcp");
				if (json_is_string(json_object_get(s, "ipv6_ra_mode")))
					json_object_set(so, "ipv6_ra_mode", json_object_get(s, "ipv6_ra_mode"));
			}
			if (rt != NULL && json_is_string(json_object_get(s, "gateway_ip")))
				json_object_set(so, "gateway", json_object_get(s, "gateway_ip"));
			if (json_array_size(json_object_get(s, "dns_nameservers")) > 0)
				json_object_set(so, "dns_servers", json_object_get(s, "dns_nameservers"));
			json_array_append_new(sl, so);
		}
		json_array_foreach(ports, j, p) {
			h = jstr0(p, "binding:host_id");
			if (is_vnic(p) && strcmp(jstr0(p, "network_id"), id) == 0 && h[0] != '\0' &&
			    strcmp(h, host) != 0 && json_object_get(vtep_of, h) != NULL &&
			    !set_has(fl, json_string_value(json_object_get(vtep_of, h)))) {
				set_add(fl, json_string_value(json_object_get(vtep_of, h)));
				json_array_append(fla, json_object_get(vtep_of, h));
			}
		}
		json_decref(fl);
		o = json_pack("{sssssIsIsoso}", "id", id, "tenant", jstr0(x, "project_id"), "vni",
			      json_integer_value(json_object_get(x, "provider:segmentation_id")), "mtu",
			      json_integer_value(json_object_get(x, "mtu")), "subnets", sl, "flood_vteps",
			      fla);
		if (rt != NULL)
			json_object_set_new(o, "router", json_string(rt));
		json_array_append_new(doc_nets, o);
	}
	json_array_foreach(rts, i, x) {
		char mac[18];
		json_t *routes = json_array(), *rr;
		if (!set_has(want_rts, jstr0(x, "id")))
			continue;
		router_mac(jstr0(x, "id"), mac);
		json_array_foreach(json_object_get(x, "routes"), j, rr)
			json_array_append_new(routes, json_pack("{ssss}", "prefix", jstr0(rr, "destination"),
								"nexthop", jstr0(rr, "nexthop")));
		json_array_append_new(doc_rts, json_pack("{sssssssO}", "id", jstr0(x, "id"), "tenant",
							 jstr0(x, "project_id"), "mac", mac, "routes", routes));
		json_decref(routes);
	}
	json_array_foreach(sgs, i, x) {
		json_t *rl = json_array();
		if (!set_has(want_sgs, jstr0(x, "id")))
			continue;
		json_array_foreach(rules, j, p)
			if (strcmp(jstr0(p, "security_group_id"), jstr0(x, "id")) == 0)
				json_array_append_new(rl, rule_doc(p));
		json_array_append_new(doc_sgs, json_pack("{sssssO}", "id", jstr0(x, "id"), "tenant",
							 jstr0(x, "project_id"), "rules", rl));
		json_decref(rl);
	}
	json_decref(hosts);
	json_decref(ports);
	json_decref(nets);
	json_decref(subs);
	json_decref(rts);
	json_decref(sgs);
	json_decref(rules);
	json_decref(want_nets);
	json_decref(want_rts);
	json_decref(want_sgs);
	json_decref(vtep_of);
	json_decref(net_router);
	return json_pack("{sIsosososososo}", "revision", (json_int_t)*revision, "networks", doc_nets,
			 "ports", doc_ports, "remote_ports", doc_remote, "routers", doc_rts,
			 "security_groups", doc_sgs, "static_macs", json_array());
}
