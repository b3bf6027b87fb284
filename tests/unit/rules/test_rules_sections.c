// SPDX-License-Identifier: BSD-3-Clause
// The "routers", "security_groups" and "remote_ports" sections (vrouter/, firewall/, overlay/)
// through the whole-document validation that every transaction goes through: rules_validate runs
// every registered section, then checks the cross references; no EAL, no device. One valid
// document, then one refused document per rule, each checked for the path and the problem that
// the operator reads.

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <rte_common.h>

#include "dataplane/rules.h" // rules_validate, from dataplane/rules.c

// vnetd.c defines the log types; without it they are supplied here (weak: a definition in the
// engine library wins). Type 0 logs as EAL, which is fine for a test.
__attribute__((weak)) int dp_logtype_dataplane, dp_logtype_vswitch, dp_logtype_rules;

// JSON in this file is written with ' for " (no value here needs a single quote).

// The example of DESIGN.md, on a device that needs no kernel.
static const char base_doc[] =
	"{ 'revision': 42,"
	"  'networks': ["
	"    { 'id': 'blue-web', 'tenant': 'blue', 'vni': 5001, 'mtu': 1450,"
	"      'subnets': [ { 'cidr': '10.1.0.0/24', 'gateway': '10.1.0.1' },"
	"                   { 'cidr': 'fd00:1::/64', 'gateway': 'fd00:1::1' } ],"
	"      'router': 'blue-r1', 'flood_vteps': [ '192.0.2.12' ] } ],"
	"  'ports': ["
	"    { 'id': 'web-1', 'network': 'blue-web', 'kind': 'container',"
	"      'device': 'net_null0', 'mac': '02:00:0a:01:00:0b',"
	"      'ips': [ '10.1.0.11', 'fd00:1::b' ], 'port_security': true,"
	"      'security_groups': [ 'web' ] } ],"
	"  'remote_ports': ["
	"    { 'network': 'blue-web', 'mac': '02:00:0a:01:00:15', 'ips': [ '10.1.0.21' ],"
	"      'vtep': '192.0.2.12' } ],"
	"  'routers': ["
	"    { 'id': 'blue-r1', 'tenant': 'blue', 'mac': '02:00:00:00:00:01',"
	"      'routes': [ { 'prefix': '0.0.0.0/0', 'nexthop': '10.1.0.254' } ] } ],"
	"  'security_groups': ["
	"    { 'id': 'web', 'tenant': 'blue', 'rules': ["
	"      { 'direction': 'ingress', 'protocol': 'tcp', 'ports': '80', 'remote': '0.0.0.0/0',"
	"        'l7': { 'http': { 'host': 'shop.example', 'path_prefix': '/api/',"
	"                          'methods': [ 'GET' ] } } },"
	"      { 'direction': 'ingress', 'protocol': 'tcp', 'ports': '443', 'remote_group': 'web',"
	"        'l7': { 'tls': { 'sni': [ '*.shop.example' ] } } } ] } ] }";

// Pieces to build on: the router and the group that the network and the port refer to, a
// remote port's identity, a minimal rule.
#define R1 "'id': 'blue-r1', 'tenant': 'blue', 'mac': '02:00:00:00:00:01'"
#define WEB "'id': 'web', 'tenant': 'blue'"
#define RP "'network': 'blue-web', 'mac': '02:00:0a:01:00:15'"
#define RULE "'direction': 'egress'"
#define TCP RULE ", 'protocol': 'tcp'"
#define UDP RULE ", 'protocol': 'udp'"

// `text` with every ' turned into ", in `buf`.
static const char *unquote(char *buf, size_t size, const char *text) {
	snprintf(buf, size, "%s", text);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return buf;
}

// Parse `text` (written with ' for ") or fail the test.
static json_t *json_q(const char *text) {
	size_t size = strlen(text) + 1;
	char *buf = malloc(size);
	json_error_t jerr;
	json_t *v;

	assert_non_null(buf);
	v = json_loads(unquote(buf, size, text), JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("test bug: bad JSON (%s) in %s", jerr.text, text);
	free(buf);
	return v;
}

static int validate(const char *json_text, char *err, size_t size) {
	json_error_t jerr;
	json_t *doc = json_loads(json_text, 0, &jerr);
	int ret;

	if (doc == NULL)
		fail_msg("test bug: bad JSON at line %d: %s", jerr.line, jerr.text);
	ret = rules_validate(doc, err, size);
	json_decref(doc);
	return ret;
}

// Validate the base document with its top-level `key` set to `value` (stolen).
static int validate_with(const char *key, json_t *value, char *err, size_t size) {
	json_t *doc = json_q(base_doc);
	char *text;
	int ret;

	assert_non_null(value);
	assert_int_equal(json_object_set_new(doc, key, value), 0);
	text = json_dumps(doc, JSON_COMPACT);
	assert_non_null(text);
	ret = validate(text, err, size);
	free(text);
	json_decref(doc);
	return ret;
}

static void expect_valid(const char *key, json_t *value) {
	char err[1024] = "";

	if (validate_with(key, value, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

// The error starts with "<path>: " (unless `path` is NULL) and contains `problem`.
static void expect_error(const char *err, const char *path, const char *problem) {
	char want[256];

	if (path != NULL) {
		snprintf(want, sizeof(want), "%s: ", path);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("error \"%s\" does not start with \"%s\"", err, want);
	}
	if (strstr(err, unquote(want, sizeof(want), problem)) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

// One refused document: the base one with `key` set to `value`.
struct refused {
	const char *name;
	const char *key;
	const char *value;
	const char *path;    // NULL: any (an error reported by another section)
	const char *problem; // with ' for "
};

static void refused(void **state) {
	const struct refused *c = *state;
	char err[1024] = "";

	assert_int_equal(validate_with(c->key, json_q(c->value), err, sizeof(err)), -EINVAL);
	expect_error(err, c->path, c->problem);
}

static const struct refused refused_cases[] = {
	// routers
	{"router_unknown_key", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.0.0.0/8', 'nexthp': '10.1.0.254'}]}]",
	 "routers[0].routes[0]", "unknown key 'nexthp'"},
	{"router_no_id", "routers", "[{'tenant': 'blue', 'mac': '02:00:00:00:00:01'}]",
	 "routers[0]", "missing required key 'id'"},
	{"router_bad_id", "routers",
	 "[{'id': 'blue r1', 'tenant': 'blue', 'mac': '02:00:00:00:00:01'}]", "routers[0].id",
	 "'blue r1' is not an id"},
	{"router_no_tenant", "routers", "[{'id': 'blue-r1', 'mac': '02:00:00:00:00:01'}]",
	 "routers[0]", "missing required key 'tenant'"},
	{"router_no_mac", "routers", "[{'id': 'blue-r1', 'tenant': 'blue'}]", "routers[0]",
	 "missing required key 'mac'"},
	{"router_mac_multicast", "routers",
	 "[{'id': 'blue-r1', 'tenant': 'blue', 'mac': '03:00:00:00:00:01'}]", "routers[0].mac",
	 "'03:00:00:00:00:01' is not a unicast MAC address"},
	{"router_mac_zero", "routers",
	 "[{'id': 'blue-r1', 'tenant': 'blue', 'mac': '00:00:00:00:00:00'}]", "routers[0].mac",
	 "not a unicast MAC address"},
	{"router_mac_garbage", "routers",
	 "[{'id': 'blue-r1', 'tenant': 'blue', 'mac': '02:00:00:00:01'}]", "routers[0].mac",
	 "not a unicast MAC address"},
	{"router_description_not_string", "routers", "[{" R1 ", 'description': 7}]", "routers[0].description",
	 "must be a string"},
	{"router_duplicate_id", "routers", "[{" R1 "}, {" R1 "}]", "routers[1].id",
	 "duplicate router id 'blue-r1' (first defined at routers[0].id)"},
	{"router_undefined", "routers",
	 "[{'id': 'red-r1', 'tenant': 'blue', 'mac': '02:00:00:00:00:01'}]", NULL,
	 "unknown router 'blue-r1'"},
	{"route_no_prefix", "routers", "[{" R1 ", 'routes': [{'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[0]", "missing required key 'prefix'"},
	{"route_prefix_not_cidr", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.1.0.0', 'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[0].prefix", "'10.1.0.0' is not an IPv4 or IPv6 prefix"},
	{"route_prefix_too_long", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.1.0.0/33', 'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[0].prefix", "not an IPv4 or IPv6 prefix"},
	{"route_prefix_host_bits", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.1.0.1/24', 'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[0].prefix", "host bits set in 10.1.0.1/24"},
	{"route_prefix6_host_bits", "routers",
	 "[{" R1 ", 'routes': [{'prefix': 'fd00:1::1/64', 'nexthop': 'fd00:1::fe'}]}]",
	 "routers[0].routes[0].prefix", "host bits set in fd00:1::1/64"},
	{"route_nexthop_family", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '0.0.0.0/0', 'nexthop': '10.1.0.254'},"
	 "                     {'prefix': '::/0', 'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[1].nexthop", "'10.1.0.254' is IPv4 but the prefix is IPv6"},
	{"route_nexthop_not_ip", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '0.0.0.0/0', 'nexthop': 'gateway'}]}]",
	 "routers[0].routes[0].nexthop", "'gateway' is not an IPv4 or IPv6 address"},
	{"route_nexthop_multicast", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '0.0.0.0/0', 'nexthop': '224.0.0.1'}]}]",
	 "routers[0].routes[0].nexthop", "not a unicast address"},
	{"route_nexthop_and_blackhole", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.9.0.0/16', 'nexthop': '10.1.0.254',"
	 "                      'blackhole': true}]}]",
	 "routers[0].routes[0]", "has more than one of 'nexthop', 'nexthops' and 'blackhole': true"},
	{"route_no_nexthop", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.9.0.0/16', 'blackhole': false}]}]",
	 "routers[0].routes[0]", "missing 'nexthop' (or 'nexthops', or 'blackhole': true)"},
	{"route_blackhole_not_bool", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.9.0.0/16', 'blackhole': 'yes'}]}]",
	 "routers[0].routes[0].blackhole", "must be true or false"},
	{"route_duplicate_prefix", "routers",
	 "[{" R1 ", 'routes': [{'prefix': '10.9.0.0/16', 'blackhole': true},"
	 "                     {'prefix': '10.8.0.0/16', 'nexthop': '10.1.0.254'},"
	 "                     {'prefix': '10.9.0.0/16', 'nexthop': '10.1.0.254'}]}]",
	 "routers[0].routes[2].prefix", "duplicate prefix '10.9.0.0/16' (also routes[0])"},

	// security_groups
	{"sg_unknown_key", "security_groups", "[{" WEB ", 'rules': [{" RULE ", 'port': '80'}]}]",
	 "security_groups[0].rules[0]", "unknown key 'port'"},
	{"sg_no_tenant", "security_groups", "[{'id': 'web'}]", "security_groups[0]",
	 "missing required key 'tenant'"},
	{"sg_duplicate_id", "security_groups", "[{" WEB "}, {" WEB "}]", "security_groups[1].id",
	 "duplicate security_group id 'web'"},
	{"sg_undefined", "security_groups", "[{'id': 'db', 'tenant': 'blue'}]", NULL,
	 "unknown security_group 'web'"},
	{"sg_rules_not_array", "security_groups", "[{" WEB ", 'rules': {}}]", "security_groups[0].rules",
	 "must be an array"},
	{"sg_description_too_long", "security_groups",
	 "[{" WEB ", 'description': '"
	 "01234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "01234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "01234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "0123456789012345'}]",
	 "security_groups[0].description", "256 characters, at most 255"},
	{"sg_no_direction", "security_groups", "[{" WEB ", 'rules': [{'protocol': 'tcp'}]}]",
	 "security_groups[0].rules[0]", "missing required key 'direction'"},
	{"sg_bad_direction", "security_groups", "[{" WEB ", 'rules': [{'direction': 'in'}]}]",
	 "security_groups[0].rules[0].direction", "'in' is not 'ingress' or 'egress'"},
	{"sg_bad_protocol_name", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 'sctp'}]}]",
	 "security_groups[0].rules[0].protocol", "'sctp' is not 'any', 'tcp'"},
	{"sg_bad_protocol_number", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 256}]}]",
	 "security_groups[0].rules[0].protocol", "a number 0..255"},
	{"sg_bad_ethertype", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'ethertype': 'arp'}]}]",
	 "security_groups[0].rules[0].ethertype", "'arp' is not 'ipv4' or 'ipv6'"},
	{"sg_icmp_ipv6", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 'icmp', 'ethertype': 'ipv6'}]}]",
	 "security_groups[0].rules[0].ethertype", "contradicts the protocol (IPv4 only)"},
	{"sg_icmp6_ipv4", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 58, 'ethertype': 'ipv4'}]}]",
	 "security_groups[0].rules[0].ethertype", "contradicts the protocol (IPv6 only)"},
	{"sg_ports_icmp", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 'icmp', 'ports': '80'}]}]",
	 "security_groups[0].rules[0].ports", "only with 'protocol': 'tcp' or 'udp'"},
	{"sg_ports_any_protocol", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'ports': '80'}]}]", "security_groups[0].rules[0].ports",
	 "only with 'protocol'"},
	{"sg_ports_reversed", "security_groups",
	 "[{" WEB ", 'rules': [{" UDP ", 'ports': '2000-1000'}]}]",
	 "security_groups[0].rules[0].ports", "'2000-1000' is not a port"},
	{"sg_ports_zero", "security_groups", "[{" WEB ", 'rules': [{" TCP ", 'ports': '0'}]}]",
	 "security_groups[0].rules[0].ports", "'0' is not a port"},
	{"sg_ports_too_high", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'ports': '1000-65536'}]}]",
	 "security_groups[0].rules[0].ports", "'1000-65536' is not a port"},
	{"sg_ports_list", "security_groups", "[{" WEB ", 'rules': [{" TCP ", 'ports': '80,443'}]}]",
	 "security_groups[0].rules[0].ports", "'80,443' is not a port"},
	{"sg_ports_signed", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'ports': '80--1'}]}]",
	 "security_groups[0].rules[0].ports", "'80--1' is not a port"},
	{"sg_ports_number", "security_groups", "[{" WEB ", 'rules': [{" TCP ", 'ports': 80}]}]",
	 "security_groups[0].rules[0].ports", "must be a string"},
	{"sg_remote_host_bits", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'remote': '10.0.0.1/8'}]}]",
	 "security_groups[0].rules[0].remote", "host bits set in 10.0.0.1/8"},
	{"sg_remote_not_cidr", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'remote': 'any'}]}]",
	 "security_groups[0].rules[0].remote", "'any' is not an IPv4 or IPv6 prefix"},
	{"sg_remote_family", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'ethertype': 'ipv6', 'remote': '10.0.0.0/8'}]}]",
	 "security_groups[0].rules[0].remote", "'10.0.0.0/8' is IPv4 but the rule is IPv6 only"},
	{"sg_remote_and_group", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'remote': '10.0.0.0/8', 'remote_group': 'web'}]}]",
	 "security_groups[0].rules[0]", "has both 'remote' and 'remote_group'"},
	{"sg_remote_group_unknown", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'remote_group': 'db'}]}]",
	 "security_groups[0].rules[0].remote_group", "refers to unknown security_group 'db'"},
	{"sg_remote_group_other_tenant", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'remote_group': 'red-db'}]},"
	 " {'id': 'red-db', 'tenant': 'red'}]",
	 "security_groups[0].rules[0].remote_group",
	 "group 'red-db' belongs to tenant 'red', not 'blue'"},
	{"sg_l7_empty", "security_groups", "[{" WEB ", 'rules': [{" TCP ", 'l7': {}}]}]",
	 "security_groups[0].rules[0].l7", "must hold exactly one of 'http', 'tls', 'dns'"},
	{"sg_l7_two", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {}, 'tls': {'sni': ['a.example']}}}]}]",
	 "security_groups[0].rules[0].l7", "must hold exactly one of"},
	{"sg_l7_unknown", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'grpc': {}}}]}]",
	 "security_groups[0].rules[0].l7", "unknown key 'grpc'"},
	{"sg_http_udp", "security_groups",
	 "[{" WEB ", 'rules': [{" UDP ", 'l7': {'http': {'host': 'shop.example'}}}]}]",
	 "security_groups[0].rules[0].l7.http", "needs 'protocol': 'tcp'"},
	{"sg_http_unknown_key", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'url': '/'}}}]}]",
	 "security_groups[0].rules[0].l7.http", "unknown key 'url'"},
	{"sg_http_path_prefix", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'path_prefix': 'api/'}}}]}]",
	 "security_groups[0].rules[0].l7.http.path_prefix", "'api/' must start with '/'"},
	{"sg_http_path_space", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'path_prefix': '/a b'}}}]}]",
	 "security_groups[0].rules[0].l7.http.path_prefix", "printable ASCII without spaces"},
	{"sg_http_method", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'methods': ['GET', 'get']}}}]}]",
	 "security_groups[0].rules[0].l7.http.methods[1]", "not an HTTP method"},
	{"sg_http_methods_empty", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'methods': []}}}]}]",
	 "security_groups[0].rules[0].l7.http.methods", "must not be empty"},
	{"sg_http_host", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'http': {'host': 'shop_example'}}}]}]",
	 "security_groups[0].rules[0].l7.http.host", "'shop_example' is not a host name"},
	{"sg_tls_udp", "security_groups",
	 "[{" WEB ", 'rules': [{" UDP ", 'l7': {'tls': {'sni': ['a.example']}}}]}]",
	 "security_groups[0].rules[0].l7.tls", "needs 'protocol': 'tcp'"},
	{"sg_tls_no_sni", "security_groups", "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {}}}]}]",
	 "security_groups[0].rules[0].l7.tls", "missing required key 'sni'"},
	{"sg_tls_sni_empty", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': []}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni", "0 names, must be 1..256"},
	{"sg_tls_sni_label_too_long", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['a.example',"
	 " 'a234567890123456789012345678901234567890123456789012345678901234.example']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[1]", "is not a host name"},
	{"sg_tls_sni_empty_label", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['a..example']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[0]", "'a..example' is not a host name"},
	{"sg_tls_sni_trailing_dot", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['a.example.']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[0]", "is not a host name"},
	{"sg_tls_sni_inner_wildcard", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['shop.*.example']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[0]", "is not a host name"},
	{"sg_tls_sni_bare_wildcard", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['*']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[0]", "is not a host name"},
	{"sg_tls_sni_hyphen", "security_groups",
	 "[{" WEB ", 'rules': [{" TCP ", 'l7': {'tls': {'sni': ['shop-.example']}}}]}]",
	 "security_groups[0].rules[0].l7.tls.sni[0]", "is not a host name"},
	{"sg_dns_icmp", "security_groups",
	 "[{" WEB ", 'rules': [{" RULE ", 'protocol': 'icmp',"
	 " 'l7': {'dns': {'names': ['a.example']}}}]}]",
	 "security_groups[0].rules[0].l7.dns", "needs 'protocol': 'udp' or 'tcp'"},
	{"sg_dns_port", "security_groups",
	 "[{" WEB ", 'rules': [{" UDP ", 'ports': '5353',"
	 "                      'l7': {'dns': {'names': ['a.example']}}}]}]",
	 "security_groups[0].rules[0].l7.dns", "implies port 53"},
	{"sg_dns_name_not_string", "security_groups",
	 "[{" WEB ", 'rules': [{" UDP ", 'l7': {'dns': {'names': ['a.example', 53]}}}]}]",
	 "security_groups[0].rules[0].l7.dns.names[1]", "must be a string"},

	// remote_ports
	{"rp_unknown_key", "remote_ports", "[{" RP ", 'vtep': '192.0.2.12', 'vni': 5001}]",
	 "remote_ports[0]", "unknown key 'vni'"},
	{"rp_unknown_network", "remote_ports",
	 "[{'network': 'red-web', 'mac': '02:00:0a:01:00:15', 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].network", "refers to unknown network 'red-web'"},
	{"rp_no_network", "remote_ports", "[{'mac': '02:00:0a:01:00:15', 'vtep': '192.0.2.12'}]",
	 "remote_ports[0]", "missing required key 'network'"},
	{"rp_mac_broadcast", "remote_ports",
	 "[{'network': 'blue-web', 'mac': 'ff:ff:ff:ff:ff:ff', 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].mac", "'ff:ff:ff:ff:ff:ff' is not a unicast MAC address"},
	{"rp_ips_not_array", "remote_ports", "[{" RP ", 'ips': '10.1.0.21', 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].ips", "must be an array"},
	{"rp_ip_bad", "remote_ports",
	 "[{" RP ", 'ips': ['10.1.0.21', '10.1.0.300'], 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].ips[1]", "'10.1.0.300' is not an IPv4 or IPv6 address"},
	{"rp_ip_multicast", "remote_ports", "[{" RP ", 'ips': ['ff02::1'], 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].ips[0]", "'ff02::1' is not a unicast address"},
	{"rp_too_many_ips", "remote_ports", "[{" RP ", 'ips': ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6', '10.1.0.7', '10.1.0.8', '10.1.0.9', '10.1.0.10', '10.1.0.11', '10.1.0.12', '10.1.0.13', '10.1.0.14', '10.1.0.15', '10.1.0.16', '10.1.0.17'], 'vtep': '192.0.2.12'}]",
	 "remote_ports[0].ips[16]", "at most 16 IPv4 and 16 IPv6 addresses"},
	{"rp_no_vtep", "remote_ports", "[{" RP "}]", "remote_ports[0]",
	 "missing required key 'vtep'"},
	{"rp_vtep_ipv6", "remote_ports", "[{" RP ", 'vtep': '2001:db8::12'}]",
	 "remote_ports[0].vtep", "'2001:db8::12' is not an IPv4 address"},
	{"rp_vtep_zero", "remote_ports", "[{" RP ", 'vtep': '0.0.0.0'}]", "remote_ports[0].vtep",
	 "'0.0.0.0' is not a unicast address"},
	{"rp_vtep_multicast", "remote_ports", "[{" RP ", 'vtep': '239.1.1.1'}]",
	 "remote_ports[0].vtep", "not a unicast address"},
	{"rp_vtep_broadcast", "remote_ports", "[{" RP ", 'vtep': '255.255.255.255'}]",
	 "remote_ports[0].vtep", "not a unicast address"},
	{"rp_duplicate", "remote_ports",
	 "[{" RP ", 'vtep': '192.0.2.12'},"
	 " {'network': 'blue-web', 'mac': '02:00:0a:01:00:16', 'vtep': '192.0.2.12'},"
	 " {'network': 'blue-web', 'mac': '02:00:0A:01:00:15', 'vtep': '192.0.2.13'}]",
	 "remote_ports[2]",
	 "duplicate of remote_ports[0] (network 'blue-web', mac '02:00:0A:01:00:15')"},
};

static void base_document_is_valid(void **state) {
	char err[1024] = "", *text;
	json_t *doc = json_q(base_doc);

	(void)state;
	text = json_dumps(doc, 0);
	if (validate(text, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	free(text);
	json_decref(doc);
}

// Every optional field, and every form each field may take.
static void every_form_is_valid(void **state) {
	(void)state;
	expect_valid("routers", json_q(
		"[{" R1 ", 'description': 'blue edge', 'routes': ["
		"  {'prefix': '0.0.0.0/0', 'nexthop': '10.1.0.254'},"
		"  {'prefix': '::/0', 'nexthop': 'fd00:1::fe'},"
		"  {'prefix': '10.9.0.0/16', 'blackhole': true},"
		"  {'prefix': '10.9.0.0/24', 'nexthop': '10.1.0.253', 'blackhole': false},"
		"  {'prefix': '10.9.0.1/32', 'nexthop': '10.1.0.253'},"
		"  {'prefix': 'fd00:9::/48', 'blackhole': true}]},"
		" {'id': 'red-r1', 'tenant': 'red', 'mac': '02:00:00:00:00:01', 'routes': []}]"));
	expect_valid("security_groups", json_q(
		"[{" WEB ", 'description': 'web tier', 'rules': ["
		"  {'direction': 'ingress'},"
		"  {'direction': 'egress', 'protocol': 'any', 'ethertype': 'ipv6'},"
		"  {'direction': 'ingress', 'protocol': 6, 'ports': '1000-2000'},"
		"  {'direction': 'ingress', 'protocol': 132, 'remote': 'fd00::/8'},"
		"  {'direction': 'ingress', 'protocol': 'icmp', 'remote': '10.0.0.0/8'},"
		"  {'direction': 'ingress', 'protocol': 'icmp6', 'ethertype': 'ipv6'},"
		"  {" UDP ", 'ports': '1-65535', 'remote_group': 'db'},"
		"  {" UDP ", 'l7': {'dns': {'names': ['*.example', 'db.internal', 'localhost']}}},"
		"  {" TCP ", 'ports': '53', 'l7': {'dns': {'names': ['xn--bcher-kva.example']}}},"
		"  {'direction': 'ingress', 'protocol': 'tcp', 'l7': {'http': {}}},"
		"  {'direction': 'ingress', 'protocol': 'tcp', 'l7': {'http': {"
		"     'host': '*.shop.example', 'path_prefix': '/',"
		"     'methods': ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS',"
		"                 'CONNECT', 'TRACE']}}}]},"
		" {'id': 'db', 'tenant': 'blue', 'rules': [{" RULE ", 'remote_group': 'web'}]}]"));
	expect_valid("remote_ports", json_q(
		"[{" RP ", 'vtep': '192.0.2.12'},"
		" {'network': 'blue-web', 'mac': '02:00:0a:01:00:16', 'ips': [],"
		"  'vtep': '192.0.2.13'},"
		" {'network': 'blue-web', 'mac': '02:00:0a:01:00:17',"
		"  'ips': ['10.1.0.23', 'fd00:1::17'], 'vtep': '192.0.2.13'}]"));
}

// Absent and empty arrays are valid when nothing refers into them.
static void empty_sections_are_valid(void **state) {
	char err[1024] = "";

	(void)state;
	if (validate("{\"revision\": 1, \"routers\": [], \"security_groups\": [], "
		     "\"remote_ports\": []}",
		     err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	if (validate("{\"revision\": 1}", err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

// An array of `n` copies of `obj` (stolen), each with a distinct `field`: "prefix" gets
// 10.x.y.0/24, anything else "blue-r1" then "r1", "r2", ...
static json_t *many(const char *field, size_t n, json_t *obj) {
	json_t *a = json_array();
	char s[64];

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_deep_copy(obj);
		if (strcmp(field, "prefix") == 0)
			snprintf(s, sizeof(s), "10.%zu.%zu.%zu/32", i >> 16, (i >> 8) & 255, i & 255);
		else if (i == 0)
			snprintf(s, sizeof(s), "blue-r1");
		else
			snprintf(s, sizeof(s), "r%zu", i);
		json_object_set_new(o, field, json_string(s));
		json_array_append_new(a, o);
	}
	json_decref(obj);
	return a;
}

static void expect_refused(const char *key, json_t *value, const char *path,
			   const char *problem) {
	char err[1024] = "";

	assert_int_equal(validate_with(key, value, err, sizeof(err)), -EINVAL);
	expect_error(err, path, problem);
}

static void routes_limit(void **state) {
	json_t *route = json_q("{'nexthop': '10.1.0.254'}");
	json_t *router = json_q("{" R1 "}");

	(void)state;
	json_object_set_new(router, "routes", many("prefix", 1000000, json_deep_copy(route)));
	expect_valid("routers", json_pack("[O]", router));
	json_object_set_new(router, "routes", many("prefix", 1000001, route));
	expect_refused("routers", json_pack("[o]", router), "routers[0].routes",
		       "1000001 routes, at most 1000000 per router");
}

static void routers_limit(void **state) {
	json_t *router = json_q("{'tenant': 'blue', 'mac': '02:00:00:00:00:01'}");

	(void)state;
	expect_valid("routers", many("id", 1024, json_deep_copy(router)));
	expect_refused("routers", many("id", 1025, router), "routers",
		       "1025 routers, at most 1024");
}

static void sg_rules_limit(void **state) {
	json_t *group = json_q("{" WEB "}");
	json_t *rules = json_array();

	(void)state;
	for (int i = 0; i < 1024; i++)
		json_array_append_new(rules, json_q("{" RULE "}"));
	json_object_set(group, "rules", rules);
	expect_valid("security_groups", json_pack("[O]", group));
	json_array_append_new(rules, json_q("{" RULE "}"));
	expect_refused("security_groups", json_pack("[o]", group), "security_groups[0].rules",
		       "1025 rules, at most 1024 per group");
	json_decref(rules);
}

// A host name of 253 characters passes, one of 255 does not (labels of 63 each time).
static void hostname_length_limit(void **state) {
	static const char fmt[] = "[{s:s, s:s, s:[{s:s, s:s, s:{s:{s:[s]}}}]}]";
	char name[300], label[64];

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(strlen(name), 253);
	expect_valid("security_groups",
		     json_pack(fmt, "id", "web", "tenant", "blue", "rules", "direction", "egress",
			       "protocol", "udp", "l7", "dns", "names", name));
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label, label, label, label);
	expect_refused("security_groups",
		       json_pack(fmt, "id", "web", "tenant", "blue", "rules", "direction", "egress",
				 "protocol", "udp", "l7", "dns", "names", name),
		       "security_groups[0].rules[0].l7.dns.names[0]", "is not a host name");
}

int main(void) {
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(base_document_is_valid),
		cmocka_unit_test(every_form_is_valid),
		cmocka_unit_test(empty_sections_are_valid),
		cmocka_unit_test(routes_limit),
		cmocka_unit_test(routers_limit),
		cmocka_unit_test(sg_rules_limit),
		cmocka_unit_test(hostname_length_limit),
	};
	struct CMUnitTest tests[RTE_DIM(fixed) + RTE_DIM(refused_cases)];
	size_t n = 0;

	for (size_t i = 0; i < RTE_DIM(fixed); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < RTE_DIM(refused_cases); i++)
		tests[n++] = (struct CMUnitTest){
			.name = refused_cases[i].name,
			.test_func = refused,
			.initial_state = (void *)&refused_cases[i],
		};
	return _cmocka_run_group_tests("rules_sections", tests, n, NULL, NULL);
}
