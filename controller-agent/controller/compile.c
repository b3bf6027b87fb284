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
//
// Compiling is cheap per host: the store is read and indexed once per revision (struct model,
// shared by every host's compile at that revision), and a host's compile walks only its networks'
// ports. The last document of each host is kept (struct host_doc) so that a change that leaves a
// host's document as it was does not wake its agent, and one that changes it can be sent as ops.

#include <pthread.h>
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

// ---- the model: one revision's intent, indexed ----------------------------------------------------

struct model {
	uint64_t store, rev; // store_id and revision
	unsigned int refs; // under model_lock
	json_t *vtep_of;       // host name -> VTEP
	json_t *nets;          // [network], store order
	json_t *subs_by_net;   // network id -> [subnet]
	json_t *ports_by_net;  // network id -> [vNIC port bound to a host], store order
	json_t *ports_by_host; // host -> [vNIC port]
	json_t *net_router;    // network id -> router id (by its interface ports)
	json_t *port_seq;      // port id -> its place in the store's order
	json_t *moved_from;    // port id -> the host it is moving from (an open handoff)
	json_t *moved_away;    // host -> [id of a port moving from it to another host]
	json_t *rts;           // [router], store order
	json_t *sgs;           // [security group], store order
	json_t *rules;         // [rule], store order
	json_t *rules_by_sg;   // group id -> [rule]
	// Fingerprints, for hosts whose document cannot have changed (host_digest): each network's
	// (its body, its subnets, every port on it), and the rest's (routers, groups, rules, VTEPs).
	json_t *fp_net;        // network id -> integer
	uint64_t fp_rest;
};

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static struct model *current; // the newest built (one reference held here)

static void append_to(json_t *index, const char *key, json_t *v) {
	json_t *l = json_object_get(index, key);

	if (l == NULL) {
		l = json_array();
		json_object_set_new(index, key, l);
	}
	json_array_append(l, v);
}

static void model_free(struct model *m) {
	json_decref(m->vtep_of);
	json_decref(m->nets);
	json_decref(m->subs_by_net);
	json_decref(m->ports_by_net);
	json_decref(m->ports_by_host);
	json_decref(m->net_router);
	json_decref(m->port_seq);
	json_decref(m->moved_from);
	json_decref(m->moved_away);
	json_decref(m->rts);
	json_decref(m->sgs);
	json_decref(m->rules);
	json_decref(m->rules_by_sg);
	json_decref(m->fp_net);
	free(m);
}

static void model_put(struct model *m) {
	bool last;

	pthread_mutex_lock(&model_lock);
	last = --m->refs == 0;
	pthread_mutex_unlock(&model_lock);
	if (last)
		model_free(m);
}

static uint64_t fnv(uint64_t h, const char *text) {
	for (const char *p = text; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; // a separator
}

static uint64_t fnv_json(uint64_t h, const json_t *j) {
	char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	h = fnv(h, t != NULL ? t : "");
	free(t);
	return h;
}

// Mix `v` into network `id`'s fingerprint.
static void fp_mix(json_t *fp, const char *id, uint64_t v) {
	uint64_t h = (uint64_t)json_integer_value(json_object_get(fp, id));

	h = (h ^ v) * 1099511628211ull + v;
	json_object_set_new(fp, id, json_integer((json_int_t)h));
}

// Add to the flood list `fla` (its set `fl`) the VTEPs of the hosts, other than `host`, with a
// port on network `netid`.
static void flood_add(const struct model *m, const char *host, const char *netid, json_t *fl,
		      json_t *fla) {
	const json_t *p;
	size_t j;

	json_array_foreach(json_object_get(m->ports_by_net, netid), j, p) {
		const char *h = jstr0(p, "binding:host_id");
		const json_t *vtep = json_object_get(m->vtep_of, h);
		if (strcmp(h, host) != 0 && vtep != NULL && !set_has(fl, json_string_value(vtep))) {
			set_add(fl, json_string_value(vtep));
			json_array_append(fla, (json_t *)vtep);
		}
	}
}

static struct model *model_build(struct ctrl *c, uint64_t rev) {
	struct model *m = calloc(1, sizeof(*m));
	json_t *hosts = store_list(c->st, "host", NULL), *ports = store_list(c->st, "port", NULL);
	json_t *subs = store_list(c->st, "subnet", NULL), *x;
	size_t i;

	if (m == NULL)
		abort();
	m->store = store_id(c->st);
	m->rev = rev;
	m->refs = 1;
	m->vtep_of = json_object();
	m->nets = store_list(c->st, "network", NULL);
	m->subs_by_net = json_object();
	m->ports_by_net = json_object();
	m->ports_by_host = json_object();
	m->net_router = json_object();
	m->port_seq = json_object();
	m->rts = store_list(c->st, "router", NULL);
	m->sgs = store_list(c->st, "security_group", NULL);
	m->rules = store_list(c->st, "sg_rule", NULL);
	m->rules_by_sg = json_object();
	json_array_foreach(hosts, i, x)
		json_object_set(m->vtep_of, jstr0(x, "name"), json_object_get(x, "vtep"));
	json_array_foreach(subs, i, x)
		append_to(m->subs_by_net, jstr0(x, "network_id"), x);
	json_array_foreach(ports, i, x) {
		const char *h = jstr0(x, "binding:host_id");
		json_object_set_new(m->port_seq, jstr0(x, "id"), json_integer((json_int_t)i));
		if (strcmp(jstr0(x, "device_owner"), "network:router_interface") == 0)
			json_object_set_new(m->net_router, jstr0(x, "network_id"),
					    json_string(jstr0(x, "device_id")));
		if (!is_vnic(x) || h[0] == '\0')
			continue;
		append_to(m->ports_by_net, jstr0(x, "network_id"), x);
		append_to(m->ports_by_host, h, x);
	}
	json_array_foreach(m->rules, i, x)
		append_to(m->rules_by_sg, jstr0(x, "security_group_id"), x);
	// Open handoffs (live migration, ports.c): the host a port goes to is told where it was.
	m->moved_from = json_object();
	m->moved_away = json_object();
	{
		json_t *hos = store_list(c->st, "handoff", NULL);
		json_array_foreach(hos, i, x) {
			json_object_set(m->moved_from, jstr0(x, "port"), json_object_get(x, "from"));
			append_to(m->moved_away, jstr0(x, "from"), json_object_get(x, "port"));
		}
		json_decref(hos);
	}
	m->fp_net = json_object();
	json_array_foreach(m->nets, i, x)
		fp_mix(m->fp_net, jstr0(x, "id"), fnv_json(14695981039346656037ull, x));
	json_array_foreach(subs, i, x)
		fp_mix(m->fp_net, jstr0(x, "network_id"), fnv_json(14695981039346656037ull, x));
	json_array_foreach(ports, i, x) // every port: router interfaces and unbound ones too
		fp_mix(m->fp_net, jstr0(x, "network_id"), fnv_json(14695981039346656037ull, x));
	// Routers with their networks (an interface on a network no host port is on yet brings that
	// network to the hosts of the router's other networks), groups, rules, VTEPs: rarer changes,
	// that make every host compile again.
	m->fp_rest = fnv_json(fnv_json(fnv_json(fnv_json(fnv_json(14695981039346656037ull, m->rts),
							 m->net_router), m->sgs), m->rules),
			      m->vtep_of);
	json_decref(hosts);
	json_decref(ports);
	json_decref(subs);
	return m;
}

// The model at the store's revision as this request sees it (a reference: model_put). One
// thread builds it; the others that want the same revision (every agent's long poll wakes at a
// change) wait for that one instead of each building its own.
static pthread_cond_t model_built = PTHREAD_COND_INITIALIZER;
static uint64_t building_store, building_rev; // a build under way (0: none)

static struct model *model_get(struct ctrl *c) {
	uint64_t rev = store_revision(c->st), sid = store_id(c->st);
	struct model *m;

	pthread_mutex_lock(&model_lock);
	for (;;) {
		if (current != NULL && current->store == sid && current->rev == rev) {
			m = current;
			m->refs++;
			pthread_mutex_unlock(&model_lock);
			return m;
		}
		if (building_rev != rev || building_store != sid)
			break;
		pthread_cond_wait(&model_built, &model_lock);
	}
	if (building_rev == 0) { // else another revision is being built: build ours beside it
		building_store = sid;
		building_rev = rev;
	}
	pthread_mutex_unlock(&model_lock);
	m = model_build(c, rev); // outside the lock: reads of the store
	pthread_mutex_lock(&model_lock);
	if (current == NULL || current->store != m->store || current->rev < rev) {
		// keep the newest for the others
		if (current != NULL && --current->refs == 0)
			model_free(current);
		current = m;
		m->refs++;
	}
	if (building_rev == rev && building_store == sid) {
		building_rev = 0;
		building_store = 0;
		pthread_cond_broadcast(&model_built);
	}
	pthread_mutex_unlock(&model_lock);
	return m;
}

// ---- one host's document --------------------------------------------------------------------------

struct seq_port {
	json_int_t seq;
	json_t *p;
};

static int by_seq(const void *a, const void *b) {
	const struct seq_port *x = a, *y = b;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static json_t *compile_model(struct ctrl *c, const struct model *m, const char *host) {
	json_t *want_nets = json_object(), *want_rts = json_object(), *want_sgs = json_object();
	json_t *doc_nets = json_array(), *doc_ports = json_array(), *doc_remote = json_array();
	json_t *doc_rts = json_array(), *doc_sgs = json_array(), *p, *x, *l;
	const json_t *mine = json_object_get(m->ports_by_host, host);
	struct seq_port *cand = NULL;
	size_t i, j, n = 0, cap = 0;
	const char *netid;

	// This host's ports: their networks, their routers' networks, their groups.
	json_array_foreach(mine, i, p)
		set_add(want_nets, jstr0(p, "network_id"));
	json_object_foreach(want_nets, netid, x) {
		const char *rt = json_string_value(json_object_get(m->net_router, netid));
		if (rt != NULL && json_object_get(m->ports_by_net, netid) != NULL)
			set_add(want_rts, rt);
	}
	json_object_foreach(m->net_router, netid, x)
		if (set_has(want_rts, json_string_value(x)))
			set_add(want_nets, netid);
	// Ports of those networks, in the store's order: local ones, and the others as remote ports.
	json_object_foreach(want_nets, netid, x) {
		l = json_object_get(m->ports_by_net, netid);
		json_array_foreach(l, i, p) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				cand = realloc(cand, cap * sizeof(*cand));
				if (cand == NULL)
					abort();
			}
			cand[n].seq = json_integer_value(json_object_get(m->port_seq, jstr0(p, "id")));
			cand[n++].p = p;
		}
	}
	if (n > 0)
		qsort(cand, n, sizeof(*cand), by_seq);
	for (size_t k = 0; k < n; k++) {
		const char *h;
		const json_t *g;
		p = cand[k].p;
		h = jstr0(p, "binding:host_id");
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
			if (json_object_get(m->moved_from, jstr0(p, "id")) != NULL)
				json_object_set(o, "moved_from", json_object_get(m->moved_from, jstr0(p, "id")));
			json_array_append_new(doc_ports, o);
		} else if (json_object_get(m->vtep_of, h) != NULL) {
			json_array_append_new(doc_remote,
				json_pack("{sssssosOsOss}", "network", jstr0(p, "network_id"), "mac",
					  jstr0(p, "mac_address"), "ips", ips_of(p), "vtep",
					  json_object_get(m->vtep_of, h), "security_groups",
					  json_object_get(p, "security_groups"), "host", h));
		}
		json_array_foreach(json_object_get(p, "security_groups"), j, g)
			set_add(want_sgs, json_string_value(g));
	}
	free(cand);
	// Groups named as remote groups by the wanted ones' rules.
	json_array_foreach(m->rules, i, x)
		if (set_has(want_sgs, jstr0(x, "security_group_id")) &&
		    json_is_string(json_object_get(x, "remote_group_id")))
			set_add(want_sgs, jstr0(x, "remote_group_id"));
	// Networks with their subnets and flood lists.
	json_array_foreach(m->nets, i, x) {
		const char *id = jstr0(x, "id");
		json_t *o, *sl, *fl, *fla, *s;
		const char *rt = json_string_value(json_object_get(m->net_router, id));
		if (!set_has(want_nets, id))
			continue;
		sl = json_array();
		fl = json_object();
		fla = json_array();
		json_array_foreach(json_object_get(m->subs_by_net, id), j, s) {
			json_t *so = json_pack("{sssb}", "cidr", jstr0(s, "cidr"), "dhcp",
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
		// The VTEPs that send in this network: hosts with a port on it, and, when it is routed,
		// every host with a port on a network of its router (each routes into it: the
		// distributed gateway), or their VXLAN would be dropped as from an unknown VTEP.
		if (rt == NULL) {
			flood_add(m, host, id, fl, fla);
		} else {
			const char *mid;
			json_t *mrt;
			json_object_foreach(m->net_router, mid, mrt)
				if (strcmp(json_string_value(mrt), rt) == 0)
					flood_add(m, host, mid, fl, fla);
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
	json_array_foreach(m->rts, i, x) {
		char mac[18];
		json_t *routes, *rr;
		if (!set_has(want_rts, jstr0(x, "id")))
			continue;
		routes = json_array();
		router_mac(jstr0(x, "id"), mac);
		json_array_foreach(json_object_get(x, "routes"), j, rr)
			json_array_append_new(routes, json_pack("{ssss}", "prefix", jstr0(rr, "destination"),
								"nexthop", jstr0(rr, "nexthop")));
		json_array_append_new(doc_rts, json_pack("{sssssssO}", "id", jstr0(x, "id"), "tenant",
							 jstr0(x, "project_id"), "mac", mac, "routes", routes));
		json_decref(routes);
	}
	json_array_foreach(m->sgs, i, x) {
		json_t *rl;
		if (!set_has(want_sgs, jstr0(x, "id")))
			continue;
		rl = json_array();
		json_array_foreach(json_object_get(m->rules_by_sg, jstr0(x, "id")), j, p)
			json_array_append_new(rl, rule_doc(p));
		json_array_append_new(doc_sgs, json_pack("{sssssO}", "id", jstr0(x, "id"), "tenant",
							 jstr0(x, "project_id"), "rules", rl));
		json_decref(rl);
	}
	json_decref(want_nets);
	json_decref(want_rts);
	json_decref(want_sgs);
	{
		json_t *doc = json_pack("{sosososososo}", "networks", doc_nets, "ports", doc_ports,
					"remote_ports", doc_remote, "routers", doc_rts,
					"security_groups", doc_sgs, "static_macs", json_array());
		// The ports moving away from this host: their agent hands their connections over.
		if (json_object_get(m->moved_away, host) != NULL)
			json_object_set(doc, "moved_away", json_object_get(m->moved_away, host));
		return doc;
	}
}

json_t *compile_host(struct ctrl *c, const char *host, uint64_t *revision) {
	struct model *m = model_get(c);
	json_t *doc = compile_model(c, m, host);

	*revision = m->rev;
	json_object_set_new(doc, "revision", json_integer((json_int_t)m->rev));
	model_put(m);
	return doc;
}

// ---- the hosts' last documents ----------------------------------------------------------------

// The last document this controller made for a host, and the revisions over which it is known to
// have been the host's document: [changed_at, at].
struct host_doc {
	json_t *doc; // without "revision"
	uint64_t changed_at, at;
	uint64_t digest; // host_digest when doc was made
};

// What a host's document is made of, in a model: the rest's fingerprint, the host's own ports,
// and the fingerprints of the networks of `doc` (the host's document in an earlier model: if
// another network were to come in, one of the host's ports or routers would have changed first,
// and with it the fingerprint of a network in the document).
static uint64_t host_digest(const struct model *m, const char *host, const json_t *doc) {
	uint64_t h = m->fp_rest;
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(m->ports_by_host, host), i, x)
		h = fnv(h, jstr0(x, "id"));
	json_array_foreach(json_object_get(m->moved_away, host), i, x) // not as its ports' ids
		h = fnv(fnv(h, "moved away"), json_string_value(x));
	json_array_foreach(json_object_get(doc, "networks"), i, x) {
		const json_t *fp = json_object_get(m->fp_net, jstr0(x, "id"));
		h = (h ^ (uint64_t)json_integer_value(fp)) * 1099511628211ull;
	}
	return h;
}

static pthread_mutex_t docs_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *docs;        // host name -> integer (struct host_doc *)
static uint64_t docs_store; // whose store's documents they are

static void docs_clear(void) {
	const char *k;
	json_t *v;

	json_object_foreach(docs, k, v) {
		struct host_doc *e = (struct host_doc *)(uintptr_t)json_integer_value(v);
		json_decref(e->doc);
		free(e);
	}
	json_object_clear(docs);
}

void compile_host_view(struct ctrl *c, const char *host, struct host_view *v) {
	struct model *m = model_get(c);
	struct host_doc *e;
	json_t *slot;

	uint64_t digest = 0;
	json_t *known = NULL;

	memset(v, 0, sizeof(*v));
	v->rev = m->rev;
	pthread_mutex_lock(&docs_lock);
	slot = docs != NULL && docs_store == store_id(c->st) ? json_object_get(docs, host) : NULL;
	e = slot != NULL ? (struct host_doc *)(uintptr_t)json_integer_value(slot) : NULL;
	if (e != NULL && e->doc != NULL) {
		known = json_incref(e->doc);
		digest = e->digest;
	}
	pthread_mutex_unlock(&docs_lock);
	// Nothing the host's document is made of changed: it is the one made before, uncompiled.
	if (known != NULL && host_digest(m, host, known) == digest)
		v->doc = known;
	else {
		json_decref(known);
		v->doc = compile_model(c, m, host);
	}
	digest = host_digest(m, host, v->doc);
	model_put(m);
	pthread_mutex_lock(&docs_lock);
	if (docs == NULL)
		docs = json_object();
	if (docs_store != store_id(c->st)) { // another store (tests open several)
		docs_clear();
		docs_store = store_id(c->st);
	}
	slot = json_object_get(docs, host);
	e = slot != NULL ? (struct host_doc *)(uintptr_t)json_integer_value(slot) : NULL;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			abort();
		json_object_set_new(docs, host, json_integer((json_int_t)(uintptr_t)e));
	}
	if (e->doc != NULL && v->rev < e->at) {
		v->older_view = true; // another request saw a newer revision already
	} else if (e->doc != NULL && (e->doc == v->doc || json_equal(e->doc, v->doc))) {
		v->known_from = e->changed_at;
		v->known_to = e->at;
		e->at = v->rev;
		e->digest = digest;
		v->changed_at = e->changed_at;
	} else {
		v->changed = true;
		v->prev = e->doc; // handed over
		v->known_from = e->changed_at;
		v->known_to = e->at;
		e->doc = json_incref(v->doc);
		e->digest = digest;
		e->changed_at = e->at = v->rev;
		v->changed_at = v->rev;
	}
	pthread_mutex_unlock(&docs_lock);
}

void host_view_clear(struct host_view *v) {
	json_decref(v->doc);
	json_decref(v->prev);
	memset(v, 0, sizeof(*v));
}
