// SPDX-License-Identifier: BSD-3-Clause
// vnet-controller's API called directly (api_handle, no HTTP) on a SQLite store in a temporary
// file, under ASan in CI: tokens, networks, subnets and ports through their whole life, a table of
// bad requests each refused with the status and the attribute named and nothing changed, the
// IPAM arithmetic (IPv4 and IPv6 prefixes, SLAAC), and a golden per-host document (two projects,
// two hosts, a router: what host hv1 gets, ids replaced by names).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "controller/api.h"
#include "controller/compile.h"
#include "controller/ipam.h"

static struct ctrl c;
static char db[64];
static char tok_alice[80], tok_bob[80];

static json_t *call(const char *method, const char *path, const char *token, const char *body,
		    unsigned int want) {
	struct api_reply r;
	json_t *q = json_object();

	api_handle(&c, method, path, q, token, body, NULL, &r);
	json_decref(q);
	if (r.status != want) {
		char *t = r.body != NULL ? json_dumps(r.body, 0) : NULL;
		fail_msg("%s %s: %u, want %u: %s", method, path, r.status, want, t ? t : "");
	}
	if (r.subject_token[0] != '\0')
		snprintf(tok_alice[0] == '\0' ? tok_alice : tok_bob, 80, "%s", r.subject_token);
	return r.body;
}

static void token_for(const char *user, const char *project) {
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": "
		 "{\"name\": \"%s\", \"password\": \"pw-%s\"}}}, \"scope\": {\"project\": {\"name\": "
		 "\"%s\"}}}}",
		 user, user, project);
	json_decref(call("POST", "/v3/auth/tokens", NULL, body, 201));
}

static int setup(void **state) {
	char err[256], *h1 = api_password_hash("pw-alice"), *h2 = api_password_hash("pw-bob");

	(void)state;
	snprintf(db, sizeof(db), "/tmp/vnet_ut_ctl_%d.db", getpid());
	unlink(db);
	c.st = store_open(db, err, sizeof(err));
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:9696");
	c.token_ttl_s = 60;
	if (c.st == NULL || h1 == NULL || h2 == NULL ||
	    store_user_put(c.st, "alice", h1, "blue", "member") < 0 ||
	    store_user_put(c.st, "bob", h2, "red", "member") < 0)
		return -1;
	free(h1);
	free(h2);
	tok_alice[0] = tok_bob[0] = '\0';
	token_for("alice", "blue");
	token_for("bob", "red");
	return 0;
}

static int teardown(void **state) {
	char wal[80];

	(void)state;
	store_close(c.st);
	unlink(db);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", db);
	unlink(wal);
	return 0;
}

// Hosts hv1..hvN with VTEPs 192.0.2.11.., as their agents register them.
static void hosts_add(int n) {
	for (int i = 1; i <= n; i++) {
		char name[8], vtep[16];
		json_t *h;
		snprintf(name, sizeof(name), "hv%d", i);
		snprintf(vtep, sizeof(vtep), "192.0.2.1%d", i);
		h = json_pack("{ssss}", "name", name, "vtep", vtep);
		store_put(c.st, "host", name, NULL, name, h);
		json_decref(h);
	}
}

static const char *id_of(json_t *body, const char *kind, char out[40]) {
	snprintf(out, 40, "%s", json_string_value(json_object_get(json_object_get(body, kind), "id")));
	json_decref(body);
	return out;
}

static void whole_life(void **state) {
	char net[40], sub[40], port[40], path[256];
	json_t *b;

	(void)state;
	id_of(call("POST", "/v2.0/networks", tok_alice, "{\"network\": {\"name\": \"web\"}}", 201),
	      "network", net);
	snprintf(path, sizeof(path), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, "
				     "\"cidr\": \"10.0.0.0/29\"}}", net);
	id_of(call("POST", "/v2.0/subnets", tok_alice, path, 201), "subnet", sub);
	// A /29: hosts .1 (gateway) .. .6; the pool .2 - .6: five ports, then none.
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "{\"port\": {\"network_id\": \"%s\"}}", net);
		b = call("POST", "/v2.0/ports", tok_alice, path, 201);
		char want[16];
		snprintf(want, sizeof(want), "10.0.0.%d", i + 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
						json_object_get(b, "port"), "fixed_ips"), 0), "ip_address")), want);
		id_of(b, "port", port);
	}
	snprintf(path, sizeof(path), "{\"port\": {\"network_id\": \"%s\", \"fixed_ips\": [{\"subnet_id\": \"%s\"}]}}",
		 net, sub);
	json_decref(call("POST", "/v2.0/ports", tok_alice, path, 409));
	// bob sees none of it.
	snprintf(path, sizeof(path), "/v2.0/networks/%s", net);
	json_decref(call("GET", path, tok_bob, NULL, 404));
	snprintf(path, sizeof(path), "/v2.0/ports/%s", port);
	json_decref(call("DELETE", path, tok_bob, NULL, 404));
	b = call("GET", "/v2.0/ports", tok_bob, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(b, "ports")), 0);
	json_decref(b);
	json_decref(call("DELETE", path, tok_alice, NULL, 204));
	snprintf(path, sizeof(path), "/v2.0/networks/%s", net);
	json_decref(call("DELETE", path, tok_alice, NULL, 409)); // four ports left
}

static void bad_requests_change_nothing(void **state) {
	static const struct {
		const char *method, *path, *body;
		unsigned int status;
		const char *says;
	} bad[] = {
		{"POST", "/v2.0/networks", "{\"network\": {\"colour\": 1}}", 400, "colour"},
		{"POST", "/v2.0/networks", "{\"network\": {\"mtu\": 9001}}", 400, "mtu"},
		{"POST", "/v2.0/networks", "{\"network\": {\"name\": [1]}}", 400, "name"},
		{"POST", "/v2.0/networks", "{\"network\": {\"project_id\": \"red\"}}", 403, "project"},
		{"POST", "/v2.0/networks", "{\"network\": {\"shared\": true}}", 403, "share"},
		{"POST", "/v2.0/networks", "[", 400, "network"},
		{"POST", "/v2.0/networks", NULL, 400, "network"},
		{"POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"nope\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"}}", 404, "nope"},
		{"POST", "/v2.0/subnets", "{\"subnet\": {\"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"}}", 400, "network_id"},
		{"POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"nope\"}}", 404, "nope"},
		{"POST", "/v2.0/ports", "{\"port\": {\"mac_address\": \"01:00:5e:00:00:01\"}}", 400, "mac_address"},
		{"GET", "/v2.0/floatingips", NULL, 404, "not be found"},
		{"POST", "/v2.0/routers", "{\"router\": {\"external_gateway_info\": {}}}", 400, "external_gateway_info"},
		{"POST", "/v2.0/security-group-rules", "{\"security_group_rule\": {\"direction\": \"ingress\"}}", 404, "Security group"},
		{"PATCH", "/v2.0/networks", NULL, 405, "PATCH"},
		{"GET", "/v2.0/networks/..%2f..", NULL, 404, "could not be found"},
	};
	json_t *b;

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t;
		b = call(bad[i].method, bad[i].path, tok_alice, bad[i].body, bad[i].status);
		t = json_dumps(b, 0);
		if (t == NULL || strstr(t, bad[i].says) == NULL)
			fail_msg("%s %s: %s does not say %s", bad[i].method, bad[i].path, t ? t : "",
				 bad[i].says);
		free(t);
		json_decref(b);
	}
	json_decref(call("GET", "/v2.0/networks", NULL, NULL, 401));
	json_decref(call("GET", "/v2.0/networks", "0123456789012345678901234567890123456789012345678901234567890123", NULL, 401));
	json_decref(call("POST", "/v3/auth/tokens", NULL, "{\"auth\": {}}", 400));
	json_decref(call("POST", "/v3/auth/tokens", NULL,
			 "{\"auth\": {\"identity\": {\"password\": {\"user\": {\"name\": \"alice\", "
			 "\"password\": \"no\"}}}}}", 401));
	b = call("GET", "/v2.0/networks", tok_alice, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(b, "networks")), 0);
	json_decref(b);
}

static void ipam_arithmetic(void **state) {
	struct ip n, a, l;
	int len;
	bool hb;
	char buf[64];

	(void)state;
	assert_true(cidr_parse("10.1.2.3/16", &n, &len, &hb));
	assert_true(hb);
	ip_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0");
	l = cidr_last(&n, len);
	ip_format(&l, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.255.255");
	assert_true(ip_parse("10.1.200.1", &a) && cidr_contains(&n, len, &a));
	assert_true(ip_parse("10.2.0.1", &a) && !cidr_contains(&n, len, &a));
	assert_true(cidr_parse("fd00:1::/64", &n, &len, &hb) && !hb);
	assert_true(ip_slaac(&n, "fa:16:3e:12:34:56", &a));
	ip_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "fd00:1::f816:3eff:fe12:3456");
	l = cidr_last(&n, len);
	ip_format(&l, buf, sizeof(buf));
	assert_string_equal(buf, "fd00:1::ffff:ffff:ffff:ffff");
	assert_false(cidr_parse("10.0.0.0/33", &n, &len, &hb));
	assert_false(cidr_parse("10.0.0.0", &n, &len, &hb));
	assert_false(cidr_parse("10.0.0.0/", &n, &len, &hb));
	assert_false(cidr_parse("::/129", &n, &len, &hb));
	assert_true(cidr_parse("0.0.0.0/0", &n, &len, &hb) && len == 0);
}

// ---- the compiler: a golden per-host document ----------------------------------------------------

static json_t *names; // id -> name, to compare documents whatever ids were drawn

static const char *mk(const char *kind, const char *token, const char *body, const char *name) {
	json_t *b = call("POST", kind[0] == 'n' ? "/v2.0/networks" : kind[0] == 's' ? "/v2.0/subnets"
						   : kind[0] == 'r' ? "/v2.0/routers" : "/v2.0/ports",
			 token, body, 201);
	const char *key = kind[0] == 'n' ? "network" : kind[0] == 's' ? "subnet" : kind[0] == 'r' ? "router" : "port";
	const char *id = json_string_value(json_object_get(json_object_get(b, key), "id"));

	const char *key_in_names;

	json_object_set_new(names, id, json_string(name));
	key_in_names = json_object_iter_key(json_object_iter_at(names, id));
	json_decref(b); // id was in it
	return key_in_names;
}

// Replace every id string in v by its name, recursively; drop what differs from run to run.
static json_t *normalise(json_t *v) {
	if (json_is_string(v)) {
		const json_t *n = json_object_get(names, json_string_value(v));
		return n != NULL ? json_incref((json_t *)n) : json_incref(v);
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *x;
		size_t i;
		json_array_foreach(v, i, x)
			json_array_append_new(a, normalise(x));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object(), *x;
		const char *k;
		json_object_foreach(v, k, x) {
			if (strcmp(k, "revision") == 0 || strcmp(k, "mac") == 0 || strcmp(k, "device") == 0 ||
			    strcmp(k, "rules") == 0)
				continue;
			json_object_set_new(o, k, normalise(x));
		}
		return o;
	}
	return json_incref(v);
}

static void golden_host_document(void **state) {
	char body[512], path[160];
	const char *n1, *n2, *s1, *s2, *r, *n3, *s3, *hv;
	json_t *doc, *norm, *want;
	uint64_t rev;
	char *got, *exp;

	(void)state;
	names = json_object();
	json_object_set_new(names, "blue", json_string("blue"));
	n1 = mk("net", tok_alice, "{\"network\": {\"name\": \"n1\"}}", "n1");
	n2 = mk("net", tok_alice, "{\"network\": {\"name\": \"n2\"}}", "n2");
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\", \"dns_nameservers\": [\"10.1.0.53\"]}}", n1);
	s1 = mk("sub", tok_alice, body, "s1");
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}", n2);
	s2 = mk("sub", tok_alice, body, "s2");
	r = mk("rtr", tok_alice, "{\"router\": {\"name\": \"r\"}}", "r");
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", r);
		snprintf(body, sizeof(body), "{\"subnet_id\": \"%s\"}", i ? s2 : s1);
		json_decref(call("PUT", path, tok_alice, body, 200));
	}
	n3 = mk("net", tok_bob, "{\"network\": {\"name\": \"n3\"}}", "n3");
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}", n3);
	s3 = mk("sub", tok_bob, body, "s3");
	(void)s3;
	// Hosts (the store directly: the agents' API wants admin).
	hv = "hv1";
	hosts_add(2);
	// a on hv1 (n1, a VM), b on hv2 (n2), c on hv2 (n1), d on hv1 (red's n3), e on hv2 (n3), f
	// nowhere (no host).
	static const struct { const char *name, *host, *owner; int net; } P[] = {
		{"a", "hv1", "compute:nova", 1}, {"b", "hv2", "", 2}, {"c", "hv2", "", 1},
		{"d", "hv1", "", 3}, {"e", "hv2", "", 3}, {"f", "", "", 1},
	};
	for (unsigned int i = 0; i < 6; i++) {
		snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"%s\", \"device_owner\": \"%s\"}}",
			 P[i].net == 1 ? n1 : P[i].net == 2 ? n2 : n3, P[i].host, P[i].owner);
		mk("port", P[i].net == 3 ? tok_bob : tok_alice, body, P[i].name);
	}
	{ // the default groups' ids as names
		json_t *all = store_list(c.st, "security_group", NULL), *g;
		size_t i;
		json_array_foreach(all, i, g)
			json_object_set_new(names, json_string_value(json_object_get(g, "id")),
					    json_sprintf("default-%s", json_string_value(json_object_get(g, "project_id"))));
		json_decref(all);
	}
	doc = compile_host(&c, hv, &rev);
	assert_int_equal(json_integer_value(json_object_get(doc, "revision")), (json_int_t)rev);
	norm = normalise(doc);
	want = json_loads(
		"{\"networks\": ["
		"  {\"id\": \"n1\", \"tenant\": \"blue\", \"vni\": 1000, \"mtu\": 1450, \"router\": \"r\", \"flood_vteps\": [\"192.0.2.12\"],"
		"   \"subnets\": [{\"cidr\": \"10.1.0.0/24\", \"dhcp\": true, \"gateway\": \"10.1.0.1\", \"dns_servers\": [\"10.1.0.53\"]}]},"
		"  {\"id\": \"n2\", \"tenant\": \"blue\", \"vni\": 1001, \"mtu\": 1450, \"router\": \"r\", \"flood_vteps\": [\"192.0.2.12\"],"
		"   \"subnets\": [{\"cidr\": \"10.2.0.0/24\", \"dhcp\": true, \"gateway\": \"10.2.0.1\"}]},"
		"  {\"id\": \"n3\", \"tenant\": \"red\", \"vni\": 1002, \"mtu\": 1450, \"flood_vteps\": [\"192.0.2.12\"],"
		"   \"subnets\": [{\"cidr\": \"10.1.0.0/24\", \"dhcp\": true}]}],"
		" \"ports\": ["
		"  {\"id\": \"a\", \"network\": \"n1\", \"kind\": \"vm\", \"ips\": [\"10.1.0.2\"], \"port_security\": true, \"security_groups\": [\"default-blue\"]},"
		"  {\"id\": \"d\", \"network\": \"n3\", \"kind\": \"container\", \"ips\": [\"10.1.0.2\"], \"port_security\": true, \"security_groups\": [\"default-red\"]}],"
		" \"remote_ports\": ["
		"  {\"network\": \"n2\", \"ips\": [\"10.2.0.2\"], \"vtep\": \"192.0.2.12\", \"host\": \"hv2\", \"security_groups\": [\"default-blue\"]},"
		"  {\"network\": \"n1\", \"ips\": [\"10.1.0.3\"], \"vtep\": \"192.0.2.12\", \"host\": \"hv2\", \"security_groups\": [\"default-blue\"]},"
		"  {\"network\": \"n3\", \"ips\": [\"10.1.0.3\"], \"vtep\": \"192.0.2.12\", \"host\": \"hv2\", \"security_groups\": [\"default-red\"]}],"
		" \"routers\": [{\"id\": \"r\", \"tenant\": \"blue\", \"routes\": []}],"
		" \"security_groups\": [{\"id\": \"default-blue\", \"tenant\": \"blue\"}, {\"id\": \"default-red\", \"tenant\": \"red\"}],"
		" \"static_macs\": []}", 0, NULL);
	got = json_dumps(norm, JSON_SORT_KEYS);
	exp = json_dumps(want, JSON_SORT_KEYS);
	if (!json_equal(norm, want))
		fail_msg("hv1's document:\n%s\nwant:\n%s", got, exp);
	free(got);
	free(exp);
	json_decref(want);
	json_decref(norm);
	json_decref(doc);
	json_decref(names);
}

// The ops between two documents: removals, replacements and additions of every kind, keyed by id
// or by network and MAC; none between equal documents.
static void ops_between_documents(void **state) {
	json_t *a = json_loads(
		"{\"networks\": [{\"id\": \"n1\", \"vni\": 1}, {\"id\": \"n2\", \"vni\": 2}],"
		" \"ports\": [{\"id\": \"p1\", \"network\": \"n1\"}],"
		" \"remote_ports\": [{\"network\": \"n1\", \"mac\": \"02:00:00:00:00:01\", \"vtep\": \"192.0.2.1\"},"
		"                    {\"network\": \"n1\", \"mac\": \"02:00:00:00:00:02\", \"vtep\": \"192.0.2.1\"}],"
		" \"routers\": [], \"security_groups\": [{\"id\": \"g\", \"rules\": []}], \"static_macs\": []}", 0, NULL);
	json_t *b = json_loads(
		"{\"networks\": [{\"id\": \"n1\", \"vni\": 1}, {\"id\": \"n3\", \"vni\": 3}],"
		" \"ports\": [{\"id\": \"p1\", \"network\": \"n1\"}, {\"id\": \"p2\", \"network\": \"n3\"}],"
		" \"remote_ports\": [{\"network\": \"n1\", \"mac\": \"02:00:00:00:00:01\", \"vtep\": \"192.0.2.9\"}],"
		" \"routers\": [], \"security_groups\": [{\"id\": \"g\", \"rules\": [{\"id\": \"r\"}]}], \"static_macs\": []}", 0, NULL);
	json_t *want = json_loads(
		"[{\"op\": \"remove\", \"kind\": \"network\", \"id\": \"n2\"},"
		" {\"op\": \"add\", \"kind\": \"network\", \"object\": {\"id\": \"n3\", \"vni\": 3}},"
		" {\"op\": \"replace\", \"kind\": \"security_group\", \"object\": {\"id\": \"g\", \"rules\": [{\"id\": \"r\"}]}},"
		" {\"op\": \"add\", \"kind\": \"port\", \"object\": {\"id\": \"p2\", \"network\": \"n3\"}},"
		" {\"op\": \"remove\", \"kind\": \"remote_port\", \"id\": {\"network\": \"n1\", \"mac\": \"02:00:00:00:00:02\"}},"
		" {\"op\": \"replace\", \"kind\": \"remote_port\", \"object\": {\"network\": \"n1\", \"mac\": \"02:00:00:00:00:01\", \"vtep\": \"192.0.2.9\"}}]",
		0, NULL);
	json_t *ops = doc_ops(a, b), *none = doc_ops(b, b);

	(void)state;
	if (!json_equal(ops, want)) {
		char *t = json_dumps(ops, 0);
		fail_msg("ops: %s", t);
	}
	assert_int_equal(json_array_size(none), 0);
	{ // the agent's side: a's copy with the ops applied is b; bad ops are named
		json_t *c2 = json_deep_copy(a), *bad;
		char err[128];
		assert_int_equal(doc_apply_ops(c2, ops, err, sizeof(err)), 0);
		assert_true(json_equal(c2, b));
		bad = json_loads("[{\"op\": \"remove\", \"kind\": \"port\", \"id\": \"p9\"}]", 0, NULL);
		assert_int_equal(doc_apply_ops(c2, bad, err, sizeof(err)), -1);
		assert_string_equal(err, "ops[0]: no such port");
		json_decref(bad);
		bad = json_loads("[{\"op\": \"add\", \"kind\": \"network\", \"object\": {\"id\": \"n1\"}}]", 0, NULL);
		assert_int_equal(doc_apply_ops(c2, bad, err, sizeof(err)), -1);
		assert_string_equal(err, "ops[0]: network already exists");
		json_decref(bad);
		json_decref(c2);
	}
	json_decref(ops);
	json_decref(none);
	json_decref(want);
	json_decref(a);
	json_decref(b);
}

// The hosts' documents kept between revisions (and not compiled again when nothing they are made
// of changed) are, after every kind of change, what a compile from scratch makes.
static void check_views(void) {
	for (int i = 1; i <= 3; i++) {
		char hv[8];
		struct host_view v;
		uint64_t rev;
		json_t *fresh;
		snprintf(hv, sizeof(hv), "hv%d", i);
		store_read_begin(c.st);
		compile_host_view(&c, hv, &v);
		fresh = compile_host(&c, hv, &rev);
		store_read_end(c.st);
		json_object_del(fresh, "revision");
		if (!json_equal(v.doc, fresh)) {
			char *a = json_dumps(v.doc, JSON_SORT_KEYS), *b = json_dumps(fresh, JSON_SORT_KEYS);
			fail_msg("%s's kept document:\n%s\nfrom scratch:\n%s", hv, a, b);
		}
		json_decref(fresh);
		host_view_clear(&v);
	}
}

static void kept_documents_follow_every_change(void **state) {
	char body[512], path[200];
	const char *n1, *n2, *s1, *s2, *r, *p1, *p2;
	json_t *h, *x;

	(void)state;
	names = json_object();
	hosts_add(3);
	n1 = mk("net", tok_alice, "{\"network\": {\"name\": \"n1\"}}", "n1");
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}", n1);
	s1 = mk("sub", tok_alice, body, "s1");
	check_views();
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv1\"}}", n1);
	p1 = mk("port", tok_alice, body, "p1");
	check_views();
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv2\"}}", n1);
	p2 = mk("port", tok_alice, body, "p2");
	check_views();
	n2 = mk("net", tok_alice, "{\"network\": {\"name\": \"n2\"}}", "n2");
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}", n2);
	s2 = mk("sub", tok_alice, body, "s2");
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv3\"}}", n2);
	mk("port", tok_alice, body, "p3");
	check_views();
	r = mk("rtr", tok_alice, "{\"router\": {\"name\": \"r\"}}", "r");
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", r);
	snprintf(body, sizeof(body), "{\"subnet_id\": \"%s\"}", s1);
	json_decref(call("PUT", path, tok_alice, body, 200));
	check_views();
	snprintf(body, sizeof(body), "{\"subnet_id\": \"%s\"}", s2); // n2 comes to hv1 and hv2
	json_decref(call("PUT", path, tok_alice, body, 200));
	check_views();
	h = json_pack("{ssss}", "name", "hv3", "vtep", "192.0.2.99"); // hv3 moves
	store_put(c.st, "host", "hv3", NULL, "hv3", h);
	json_decref(h);
	check_views();
	x = call("GET", "/v2.0/security-groups", tok_alice, NULL, 200);
	snprintf(body, sizeof(body), "{\"security_group_rule\": {\"security_group_id\": \"%s\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22, \"port_range_max\": 22}}",
		 json_string_value(json_object_get(json_array_get(json_object_get(x, "security_groups"), 0), "id")));
	json_decref(x);
	json_decref(call("POST", "/v2.0/security-group-rules", tok_alice, body, 201));
	check_views();
	snprintf(path, sizeof(path), "/v2.0/ports/%s", p2); // p2 migrates to hv3
	json_decref(call("PUT", path, tok_alice, "{\"port\": {\"binding:host_id\": \"hv3\"}}", 200));
	check_views();
	snprintf(path, sizeof(path), "/v2.0/ports/%s", p1);
	json_decref(call("DELETE", path, tok_alice, NULL, 204));
	check_views();
	json_decref(names);
}

// As host `peer` (its certificate): the status, the body in *out (NULL: dropped).
static unsigned int host_call(const char *peer, const char *method, const char *path, const char *wait,
			      const char *body, json_t **out) {
	struct api_reply r;
	json_t *q = json_object();

	if (wait != NULL)
		json_object_set_new(q, "wait", json_pack("[s]", wait));
	api_handle(&c, method, path, q, NULL, body, peer, &r);
	json_decref(q);
	if (out != NULL)
		*out = r.body;
	else
		json_decref(r.body);
	return r.status;
}

// Live migration (docs/agent.md): a port's binding moved from hv1 to hv2 opens a handoff; hv2's
// document says where the port comes from, hv1's that it moves away; hv1 gives the connections,
// hv2 takes them; no other host may; a binding changed again ends it.
static void handoff_moves_connections(void **state) {
	char net[40], port[40], body[256], path[200];
	json_t *b, *doc;
	uint64_t rev;

	(void)state;
	hosts_add(2);
	id_of(call("POST", "/v2.0/networks", tok_alice, "{\"network\": {\"name\": \"n\"}}", 201), "network", net);
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}", net);
	json_decref(call("POST", "/v2.0/subnets", tok_alice, body, 201));
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv1\"}}", net);
	id_of(call("POST", "/v2.0/ports", tok_alice, body, 201), "port", port);
	snprintf(path, sizeof(path), "/vnet/v1/hosts/hv2/handoffs/%s", port);
	assert_int_equal(host_call("hv2", "GET", path, "0", NULL, NULL), 404); // not moving
	snprintf(path, sizeof(path), "/v2.0/ports/%s", port);
	json_decref(call("PUT", path, tok_alice, "{\"port\": {\"binding:host_id\": \"hv2\"}}", 200));
	store_read_begin(c.st);
	doc = compile_host(&c, "hv2", &rev);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "ports"), 0), "moved_from")), "hv1");
	json_decref(doc);
	doc = compile_host(&c, "hv1", &rev);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "moved_away"), 0)), port);
	json_decref(doc);
	store_read_end(c.st);
	snprintf(path, sizeof(path), "/vnet/v1/hosts/hv2/handoffs/%s", port);
	assert_int_equal(host_call("hv2", "GET", path, "50", NULL, &b), 200); // hv1 has not given them
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "handoff"), "state")), "waiting");
	json_decref(b);
	assert_int_equal(host_call("hv2", "PUT", path, NULL, "{\"connections\": []}", NULL), 404); // hv2 gives none
	assert_int_equal(host_call("hv1", "PUT", path, NULL, "{\"connections\": []}", NULL), 403); // another's path
	snprintf(path, sizeof(path), "/vnet/v1/hosts/hv1/handoffs/%s", port);
	assert_int_equal(host_call("hv1", "PUT", path, NULL, "{\"connections\": 7}", NULL), 400);
	assert_int_equal(host_call("hv1", "GET", path, "0", NULL, NULL), 404); // it goes to hv2
	assert_int_equal(host_call("hv1", "PUT", path, NULL,
				   "{\"connections\": [{\"protocol\": \"tcp\", \"source\": \"10.1.0.9\"}]}", NULL), 204);
	snprintf(path, sizeof(path), "/vnet/v1/hosts/hv2/handoffs/%s", port);
	assert_int_equal(host_call("hv2", "GET", path, "1000", NULL, &b), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "handoff"), "state")), "exported");
	assert_int_equal(json_array_size(json_object_get(json_object_get(b, "handoff"), "connections")), 1);
	json_decref(b);
	snprintf(path, sizeof(path), "/v2.0/ports/%s", port); // unbound: the handoff ends
	json_decref(call("PUT", path, tok_alice, "{\"port\": {\"binding:host_id\": \"\"}}", 200));
	snprintf(path, sizeof(path), "/vnet/v1/hosts/hv2/handoffs/%s", port);
	assert_int_equal(host_call("hv2", "GET", path, "0", NULL, NULL), 404);
}

// A router joins networks a (a port on hv1) and b (a port on hv2): each host routes into the
// other's network, so each network's flood list on each host names the other host's VTEP (else
// the VXLAN a host routes into b would come from a VTEP b does not know: vxlan_vtep_unknown).
static void routed_networks_know_every_routing_host(void **state) {
	char na[40], nb[40], sa[40], sb[40], r[40], body[256], path[200];
	uint64_t rev;

	(void)state;
	hosts_add(2);
	id_of(call("POST", "/v2.0/networks", tok_alice, "{\"network\": {\"name\": \"a\"}}", 201), "network", na);
	id_of(call("POST", "/v2.0/networks", tok_alice, "{\"network\": {\"name\": \"b\"}}", 201), "network", nb);
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}", na);
	id_of(call("POST", "/v2.0/subnets", tok_alice, body, 201), "subnet", sa);
	snprintf(body, sizeof(body), "{\"subnet\": {\"network_id\": \"%s\", \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}", nb);
	id_of(call("POST", "/v2.0/subnets", tok_alice, body, 201), "subnet", sb);
	id_of(call("POST", "/v2.0/routers", tok_alice, "{\"router\": {\"name\": \"r\"}}", 201), "router", r);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", r);
	snprintf(body, sizeof(body), "{\"subnet_id\": \"%s\"}", sa);
	json_decref(call("PUT", path, tok_alice, body, 200));
	snprintf(body, sizeof(body), "{\"subnet_id\": \"%s\"}", sb);
	json_decref(call("PUT", path, tok_alice, body, 200));
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv1\"}}", na);
	json_decref(call("POST", "/v2.0/ports", tok_alice, body, 201));
	snprintf(body, sizeof(body), "{\"port\": {\"network_id\": \"%s\", \"binding:host_id\": \"hv2\"}}", nb);
	json_decref(call("POST", "/v2.0/ports", tok_alice, body, 201));
	store_read_begin(c.st);
	for (int i = 1; i <= 2; i++) {
		char hv[8], other[16];
		json_t *doc, *n;
		size_t k;
		snprintf(hv, sizeof(hv), "hv%d", i);
		snprintf(other, sizeof(other), "192.0.2.1%d", 3 - i);
		doc = compile_host(&c, hv, &rev);
		assert_int_equal(json_array_size(json_object_get(doc, "networks")), 2);
		json_array_foreach(json_object_get(doc, "networks"), k, n) {
			const json_t *fl = json_object_get(n, "flood_vteps");
			if (json_array_size(fl) != 1 || strcmp(json_string_value(json_array_get(fl, 0)), other) != 0) {
				char *t = json_dumps(n, 0);
				fail_msg("%s: network %s: flood_vteps should be [%s]: %s", hv,
					 json_string_value(json_object_get(n, "id")), other, t);
			}
		}
		json_decref(doc);
	}
	store_read_end(c.st);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(whole_life, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_change_nothing, setup, teardown),
		cmocka_unit_test(ipam_arithmetic),
		cmocka_unit_test_setup_teardown(golden_host_document, setup, teardown),
		cmocka_unit_test(ops_between_documents),
		cmocka_unit_test_setup_teardown(kept_documents_follow_every_change, setup, teardown),
		cmocka_unit_test_setup_teardown(handoff_moves_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(routed_networks_know_every_routing_host, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
