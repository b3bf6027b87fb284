// SPDX-License-Identifier: BSD-3-Clause
// Bad rules documents and bad operation transactions, as one table: each goes through the same
// JSON parse (jansson, flags as the control socket uses them) and rules_apply() that vnetd uses,
// over a valid document applied first (ports on net_null devices, tests/lib/harness). Each must
// be refused with an error that contains the expected words (the path of the bad field first),
// and must change nothing: generation, revision, document, ports and DPDK devices.

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
#include <rte_ethdev.h>

#include "dataplane/rules.h"
#include "tests/lib/harness.h"

// JSON in the table is written with ' for " (no value here needs a single quote).
#define NET_BLUE "{'id': 'blue', 'tenant': 'blue', 'vni': 5001, 'mtu': 1450}"
#define NET_RED "{'id': 'red', 'tenant': 'red', 'vni': 6001}"
#define PORT_A                                                                                     \
	"{'id': 'a', 'network': 'blue', 'kind': 'container', 'device': 'net_null40,no-rx=1',"     \
	" 'mac': '02:00:00:00:01:0a', 'ips': ['10.0.0.10', 'fd00::a'], 'security_groups': ['web']}"
#define PORT_B                                                                                     \
	"{'id': 'b', 'network': 'blue', 'device': 'net_null41,no-rx=1',"                          \
	" 'mac': '02:00:00:00:01:0b', 'port_security': false}"
#define STATIC_1 "{'network': 'blue', 'mac': '02:00:00:00:02:01', 'port': 'b'}"
#define ROUTER_1                                                                                   \
	"{'id': 'r1', 'tenant': 'blue', 'mac': '02:00:00:00:00:01',"                              \
	" 'routes': [{'prefix': '0.0.0.0/0', 'nexthop': '10.0.0.254'}]}"
#define SG_WEB                                                                                     \
	"{'id': 'web', 'tenant': 'blue',"                                                         \
	" 'rules': [{'direction': 'ingress', 'protocol': 'tcp', 'ports': '80'}]}"
// A new port that is valid as it is: the cases change one of its fields.
#define PORT_C_HEAD "'id': 'c', 'network': 'red', 'device': 'net_null42,no-rx=1'"
#define PORT_C_MAC "'mac': '02:00:00:00:01:0c'"

static const char base_doc[] =
	"{'revision': 10, 'comment': {'any': ['thing']},"
	" 'networks': [" NET_BLUE ", " NET_RED "],"
	" 'ports': [" PORT_A ", " PORT_B "],"
	" 'static_macs': [" STATIC_1 "],"
	" 'routers': [" ROUTER_1 "],"
	" 'security_groups': [" SG_WEB "]}";

// One refused input. Exactly one of: `key` and `value` (the base document with its top-level
// `key` set to `value`; for an array the valid objects stay and the bad one follows them),
// `txn` (a whole transaction, ' for "), `raw` (bytes as they are), `make` (built text).
struct bad_case {
	const char *name;
	const char *key, *value;
	const char *txn;
	const char *raw;
	char *(*make)(void);
	const char *words[4]; // each must be in the error; the first is where it starts
};

// `n` copies of `unit` between `head` and `tail`, malloc'd.
static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static char *deep_10000(void) {
	return repeat("", "[", 10000, "");
}
static char *deep_object_10000(void) {
	return repeat("{'revision': 11, 'comment': ", "{'a': ", 10000, "");
}
// Within jansson's depth limit: reaches the validation, where a string is wanted.
static char *deep_1000_tenant(void) {
	char *inner = repeat("", "[", 1000, "");
	char *close = repeat("", "]", 1000, "}]}");
	size_t size = strlen(inner) + strlen(close) + 128;
	char *s = malloc(size);

	assert_non_null(s);
	snprintf(s, size, "{'revision': 11, 'networks': [{'id': 'n', 'vni': 7, 'tenant': %s%s",
		 inner, close);
	free(inner);
	free(close);
	return s;
}
static char *long_id(void) {
	return repeat("{'revision': 11, 'networks': [{'tenant': 't', 'vni': 9, 'id': '", "x",
		      65536, "'}]}");
}
static char *long_mac(void) {
	return repeat("{'revision': 11, 'networks': [" NET_BLUE "], 'ports': [{'id': 'c',"
		      " 'network': 'blue', 'device': 'net_null42', 'mac': '02",
		      ":00", 21845, "'}]}");
}
static char *long_device(void) {
	return repeat("{'revision': 11, 'networks': [" NET_BLUE "], 'ports': [{'id': 'c',"
		      " 'network': 'blue', 'mac': '02:00:00:00:01:0c', 'device': 'net_null42,",
		      "x", 65536, "'}]}");
}
static char *long_key(void) {
	return repeat("{'revision': 11, 'networks': [{'id': 'n', 'tenant': 't', 'vni': 9, 'k",
		      "\u00e9", 32768, "': 1}]}");
}
static char *long_router_description(void) {
	return repeat("{'revision': 11, 'routers': [{'id': 'r', 'tenant': 't',"
		      " 'mac': '02:00:00:00:00:01', 'description': '", "d", 65536, "'}]}");
}
static char *long_method_like_op(void) {
	return repeat("{'ops': [{'kind': 'port', 'id': 'a', 'op': '", "\u00e9", 20000, "'}]}");
}

static const struct bad_case cases[] = {
	// Not a document at all.
	{"empty input", .raw = "", .words = {"not JSON", "end of file"}},
	{"binary garbage", .raw = "\x01\x02\xff\xfe\x80garbage",
	 .words = {"not JSON", "expected"}},
	{"text", .raw = "hello", .words = {"not JSON", "hello"}},
	{"truncated", .raw = "{\"revision\": 11, \"networks\": [", .words = {"not JSON"}},
	{"two documents", .raw = "{\"revision\": 11} {}", .words = {"not JSON", "end of file"}},
	{"an array", .txn = "[]", .words = {"(transaction)", "must be a JSON object"}},
	{"an array of a document", .txn = "[{'revision': 11}]",
	 .words = {"(transaction)", "JSON object"}},
	{"10,000 levels of [", .make = deep_10000, .words = {"not JSON", "maximum parsing depth"}},
	{"10,000 levels of {", .make = deep_object_10000,
	 .words = {"not JSON", "maximum parsing depth"}},
	{"1,000 levels where a string goes", .make = deep_1000_tenant,
	 .words = {"networks[0].tenant", "must be a string"}},
	{"invalid UTF-8 in a string", .raw = "{\"revision\": 11, \"comment\": \"\xc3\x28\"}",
	 .words = {"not JSON", "decode byte"}},
	{"UTF-16 surrogate in a string", .raw = "{\"revision\": 11, \"comment\": \"\\ud800\"}",
	 .words = {"not JSON", "invalid Unicode"}},
	{"NUL in a string", .raw = "{\"revision\": 11, \"comment\": \"a\\u0000b\"}",
	 .words = {"not JSON", "\\u0000 is not allowed"}},
	{"duplicate key", .raw = "{\"revision\": 11, \"revision\": 12}",
	 .words = {"not JSON", "duplicate object key"}},
	// The top level.
	{"no revision", .txn = "{'networks': []}", .words = {"(document)", "revision"}},
	{"revision a string", .key = "revision", .value = "'11'",
	 .words = {"(document).revision", "must be an integer"}},
	{"revision null", .key = "revision", .value = "null",
	 .words = {"(document).revision", "must be an integer"}},
	{"revision -1", .key = "revision", .value = "-1", .words = {"(document).revision", "-1"}},
	{"revision 1e300", .key = "revision", .value = "1e300",
	 .words = {"(document).revision", "must be an integer"}},
	{"revision 2^63", .raw = "{\"revision\": 9223372036854775808}",
	 .words = {"not JSON", "too big integer"}},
	{"revision older", .key = "revision", .value = "9", .words = {"revision", "older", "10"}},
	{"force a string", .key = "force", .value = "'true'",
	 .words = {"(document).force", "true or false"}},
	{"unknown top-level key", .key = "nteworks", .value = "[]",
	 .words = {"nteworks", "unknown top-level key"}},
	{"networks an object", .key = "networks", .value = "{}",
	 .words = {"networks", "must be an array"}},
	{"ports null", .key = "ports", .value = "null", .words = {"ports", "must be an array"}},
	{"ports a string", .key = "ports", .value = "'a'", .words = {"ports", "must be an array"}},
	// Networks.
	{"network an array", .key = "networks", .value = "[" NET_BLUE ", " NET_RED ", []]",
	 .words = {"networks[2]", "object"}},
	{"network null", .key = "networks", .value = "[" NET_BLUE ", " NET_RED ", null]",
	 .words = {"networks[2]", "object"}},
	{"vni a string", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': '7001'}]",
	 .words = {"networks[2].vni", "must be an integer"}},
	{"vni 2^24", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 16777216}]",
	 .words = {"networks[2].vni", "16777216", "1..16777215"}},
	{"vni 0", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 0}]",
	 .words = {"networks[2].vni", "1..16777215"}},
	{"vni -1", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': -1}]",
	 .words = {"networks[2].vni", "-1"}},
	{"vni 1e300", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 1e300}]",
	 .words = {"networks[2].vni", "must be an integer"}},
	{"vni 2.0", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 2.0}]",
	 .words = {"networks[2].vni", "must be an integer"}},
	{"vni 2^63-1", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 9223372036854775807}]",
	 .words = {"networks[2].vni", "9223372036854775807"}},
	{"duplicate vni", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 5001}]",
	 .words = {"networks[2].vni", "5001"}},
	{"mtu null", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 7, 'mtu': null}]",
	 .words = {"networks[2].mtu", "must be an integer"}},
	{"mtu 9001", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 7, 'mtu': 9001}]",
	 .words = {"networks[2].mtu", "576..9000"}},
	{"mac_learning 1", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED
		  ", {'id': 'g', 'tenant': 'g', 'vni': 7, 'mac_learning': 1}]",
	 .words = {"networks[2].mac_learning", "true or false"}},
	{"flood_vteps an object", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED
		  ", {'id': 'g', 'tenant': 'g', 'vni': 7, 'flood_vteps': {}}]",
	 .words = {"networks[2].flood_vteps", "must be an array"}},
	{"network without vni", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g'}]",
	 .words = {"networks[2]", "missing required key \"vni\""}},
	{"network without id", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'tenant': 'g', 'vni': 7}]",
	 .words = {"networks[2]", "\"id\""}},
	{"network id a number", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 7, 'tenant': 'g', 'vni': 7}]",
	 .words = {"networks[2].id", "must be a string"}},
	{"network id with a space", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'a b', 'tenant': 'g', 'vni': 7}]",
	 .words = {"networks[2].id", "not an id"}},
	{"network id not ASCII", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': '\u00e9t\u00e9', 'tenant': 'g', 'vni': 7}]",
	 .words = {"networks[2].id", "not an id"}},
	{"network id of 64 KiB", .make = long_id, .words = {"networks[0].id", "not an id"}},
	{"duplicate network id", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'blue', 'tenant': 'g', 'vni': 7}]",
	 .words = {"networks[2]", "duplicate", "blue"}},
	{"unknown network key", .key = "networks",
	 .value = "[" NET_BLUE ", " NET_RED ", {'id': 'g', 'tenant': 'g', 'vni': 7, 'colour': 1}]",
	 .words = {"networks[2]", "unknown key \"colour\""}},
	{"unknown key of 64 KiB", .make = long_key, .words = {"networks[0]", "unknown key"}},
	// Ports.
	{"port mac a number", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': 2}]",
	 .words = {"ports[2].mac", "must be a string"}},
	{"port mac short", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': '02:00:00:00:01'}]",
	 .words = {"ports[2].mac", "02:00:00:00:01"}},
	{"port mac not hex", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': '02:00:00:00:01:0g'}]",
	 .words = {"ports[2].mac", "0g"}},
	{"port mac with a sign", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': '02:00:00:00:01:-1'}]",
	 .words = {"ports[2].mac", "-1"}},
	{"port mac with a space", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': ' 2:00:00:00:01:0c'}]",
	 .words = {"ports[2].mac", "2:00:00:00:01:0c"}},
	{"port mac multicast", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", 'mac': '01:00:5e:00:00:01'}]",
	 .words = {"ports[2].mac", "unicast"}},
	{"port mac of 64 KiB", .make = long_mac, .words = {"ports[0].mac", "MAC"}},
	{"port device of 64 KiB", .make = long_device, .words = {"ports[0]", "device", "1..255"}},
	{"port device true", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'device': true}]",
	 .words = {"ports[2].device", "must be a string"}},
	{"port device used twice", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'c', 'network': 'red', " PORT_C_MAC
		  ", 'device': 'net_null40'}]",
	 .words = {"ports[2]", "net_null40", "already used"}},
	{"port ips an object", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'ips': {}}]",
	 .words = {"ports[2].ips", "must be an array"}},
	{"port ip a number", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'ips': [10]}]",
	 .words = {"ports[2].ips[0]", "not an IPv4 or IPv6 address"}},
	{"port ip not an address", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'ips': ['10.0.0.256']}]",
	 .words = {"ports[2].ips[0]", "not an IPv4 or IPv6 address"}},
	{"port_security 'yes'", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'port_security': 'yes'}]",
	 .words = {"ports[2].port_security", "true or false"}},
	{"port kind unknown", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'kind': 'toaster'}]",
	 .words = {"ports[2].kind", "toaster"}},
	{"port without network", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'c', 'device': 'net_null42', " PORT_C_MAC "}]",
	 .words = {"ports[2]", "\"network\""}},
	{"port in an unknown network", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'c', 'network': 'green', 'device': 'net_null42', "
		  PORT_C_MAC "}]",
	 .words = {"ports[2]", "unknown network \"green\""}},
	{"duplicate port id", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'a', 'network': 'red', 'device': 'net_null42', "
		  PORT_C_MAC "}]",
	 .words = {"ports[2]", "duplicate", "\"a\""}},
	{"duplicate mac in a network", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'c', 'network': 'blue', 'device': 'net_null42',"
		  " 'mac': '02:00:00:00:01:0A'}]",
	 .words = {"ports[2].mac", "02:00:00:00:01:0A"}},
	{"unknown port key", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC ", 'vlan': 5}]",
	 .words = {"ports[2]", "unknown key \"vlan\""}},
	{"device that DPDK refuses", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {'id': 'c', 'network': 'red', " PORT_C_MAC
		  ", 'device': 'net_nosuchdriver0'}]",
	 .words = {"ports[2]", "net_nosuchdriver0"}},
	// Static MACs, routers, security groups.
	{"static mac without port", .key = "static_macs",
	 .value = "[" STATIC_1 ", {'network': 'blue', 'mac': '02:00:00:00:02:02'}]",
	 .words = {"static_macs[1]", "\"port\""}},
	{"static mac on an unknown port", .key = "static_macs",
	 .value = "[" STATIC_1 ", {'network': 'blue', 'mac': '02:00:00:00:02:02', 'port': 'zz'}]",
	 .words = {"static_macs[1]", "unknown port \"zz\""}},
	{"remote port without an underlay", .key = "remote_ports",
	 .value = "[{'network': 'blue', 'mac': '02:00:00:00:09:01', 'vtep': '192.0.2.12'}]",
	 .words = {"remote_ports", "need an \"underlay\""}},
	{"router description of 64 KiB", .make = long_router_description,
	 .words = {"routers[0].description", "255"}},
	{"route prefix with host bits", .key = "routers",
	 .value = "[" ROUTER_1 ", {'id': 'r2', 'tenant': 'red', 'mac': '02:00:00:00:00:02',"
		  " 'routes': [{'prefix': '10.1.0.1/24', 'nexthop': '10.1.0.254'}]}]",
	 .words = {"routers[1].routes[0].prefix", "host bits"}},
	{"routes an object", .key = "routers",
	 .value = "[{'id': 'r2', 'tenant': 'red', 'mac': '02:00:00:00:00:02', 'routes': {}}]",
	 .words = {"routers[0].routes", "array"}},
	{"rule direction a number", .key = "security_groups",
	 .value = "[" SG_WEB ", {'id': 'db', 'tenant': 'blue', 'rules': [{'direction': 1}]}]",
	 .words = {"security_groups[1].rules[0].direction", "string"}},
	{"rule ports 0-70000", .key = "security_groups",
	 .value = "[" SG_WEB ", {'id': 'db', 'tenant': 'blue', 'rules': [{'direction': 'egress',"
		  " 'protocol': 'tcp', 'ports': '0-70000'}]}]",
	 .words = {"security_groups[1].rules[0].ports", "0-70000"}},
	{"port refers to an unknown group", .key = "ports",
	 .value = "[" PORT_A ", " PORT_B ", {" PORT_C_HEAD ", " PORT_C_MAC
		  ", 'security_groups': ['nope']}]",
	 .words = {"ports[2].security_groups[0]", "nope"}},
	// Operations.
	{"ops an object", .txn = "{'ops': {}}", .words = {"ops", "must be an array"}},
	{"op not an object", .txn = "{'ops': ['remove']}", .words = {"ops[0]", "object"}},
	{"unknown op", .txn = "{'ops': [{'op': 'frobnicate', 'kind': 'port', 'id': 'a'}]}",
	 .words = {"ops[0]", "frobnicate"}},
	{"op a number", .txn = "{'ops': [{'op': 1, 'kind': 'port', 'id': 'a'}]}",
	 .words = {"ops[0].op", "must be a string"}},
	{"op of 40,000 bytes", .make = long_method_like_op, .words = {"ops[0]", "op must be"}},
	{"op without op", .txn = "{'ops': [{'kind': 'port', 'id': 'a'}]}",
	 .words = {"ops[0]", "\"op\""}},
	{"unknown kind", .txn = "{'ops': [{'op': 'remove', 'kind': 'vlan', 'id': 'a'}]}",
	 .words = {"ops[0]", "unknown kind \"vlan\""}},
	{"remove without id", .txn = "{'ops': [{'op': 'remove', 'kind': 'port'}]}",
	 .words = {"ops[0]", "remove needs \"id\""}},
	{"add without object", .txn = "{'ops': [{'op': 'add', 'kind': 'port', 'id': 'c'}]}",
	 .words = {"ops[0]", "add needs \"object\""}},
	{"replace with an array", .txn = "{'ops': [{'op': 'replace', 'kind': 'port', 'object': []}]}",
	 .words = {"ops[0]", "replace needs \"object\""}},
	{"add object without id", .txn = "{'ops': [{'op': 'add', 'kind': 'network',"
					 " 'object': {'tenant': 't', 'vni': 9}}]}",
	 .words = {"ops[0]", "identifying field \"id\""}},
	{"remove a port that does not exist",
	 .txn = "{'ops': [{'op': 'remove', 'kind': 'port', 'id': 'zz'}]}",
	 .words = {"ops[0]", "no such port"}},
	{"remove with a numeric id", .txn = "{'ops': [{'op': 'remove', 'kind': 'port', 'id': 7}]}",
	 .words = {"ops[0]", "no such port"}},
	{"remove a static mac that does not exist",
	 .txn = "{'ops': [{'op': 'remove', 'kind': 'static_mac',"
		" 'id': {'network': 'blue', 'mac': '02:00:00:00:02:09'}}]}",
	 .words = {"ops[0]", "no such static_mac"}},
	{"replace a network that does not exist",
	 .txn = "{'ops': [{'op': 'replace', 'kind': 'network', 'object': "
		"{'id': 'green', 'tenant': 'g', 'vni': 9}}]}",
	 .words = {"ops[0]", "no such network"}},
	{"add a port that exists",
	 .txn = "{'ops': [{'op': 'add', 'kind': 'port', 'object': " PORT_B "}]}",
	 .words = {"ops[0]", "already exists"}},
	{"unknown key in an op",
	 .txn = "{'ops': [{'op': 'remove', 'kind': 'port', 'id': 'b', 'force': true}]}",
	 .words = {"ops[0]", "unknown key \"force\""}},
	{"document key beside ops",
	 .txn = "{'ops': [], 'networks': [" NET_BLUE "]}",
	 .words = {"(transaction)", "unknown key \"networks\""}},
	{"force beside ops", .txn = "{'ops': [], 'revision': 3, 'force': true}",
	 .words = {"(transaction)", "unknown key \"force\""}},
	{"ops revision a string", .txn = "{'ops': [], 'revision': '12'}",
	 .words = {"(transaction).revision", "must be an integer"}},
	{"ops revision -1", .txn = "{'ops': [], 'revision': -1}",
	 .words = {"(transaction).revision", "-1"}},
	{"ops revision older", .txn = "{'ops': [], 'revision': 9}",
	 .words = {"revision", "older"}},
	{"the second op fails",
	 .txn = "{'ops': [{'op': 'remove', 'kind': 'port', 'id': 'b'},"
		" {'op': 'remove', 'kind': 'port', 'id': 'b'}]}",
	 .words = {"ops[1]", "no such port"}},
	{"removing a network still used",
	 .txn = "{'ops': [{'op': 'remove', 'kind': 'network', 'id': 'blue'}]}",
	 .words = {"ports[0]", "unknown network \"blue\""}},
	{"an added port with a bad mac",
	 .txn = "{'ops': [{'op': 'add', 'kind': 'port', 'object': {" PORT_C_HEAD
		", 'mac': 'zz'}}]}",
	 .words = {"ports[2].mac", "zz"}},
};

// `text` with every ' turned into ", malloc'd.
static char *unquote(const char *text) {
	char *s = strdup(text);

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

// The text of case `c`, malloc'd.
static char *case_text(const struct bad_case *c) {
	if (c->raw != NULL)
		return strdup(c->raw);
	if (c->txn != NULL)
		return unquote(c->txn);
	if (c->make != NULL) {
		char *t = c->make(), *u = unquote(t);
		free(t);
		return u;
	}
	char *doc_text = unquote(base_doc), *value_text = unquote(c->value), *out;
	json_error_t jerr;
	json_t *doc = json_loads(doc_text, 0, &jerr);
	json_t *value = json_loads(value_text, JSON_DECODE_ANY, &jerr);

	if (doc == NULL || value == NULL)
		fail_msg("test bug: %s: %s", c->name, jerr.text);
	json_object_set_new(doc, c->key, value);
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(doc_text);
	free(value_text);
	return out;
}

// What vnetd does with a request's params: parse (the control socket's flags) and apply.
static int apply_bytes(struct harness *h, const char *text, size_t len) {
	json_error_t jerr;
	json_t *txn = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	uint64_t gen = 0;
	int ret;

	h->err[0] = '\0';
	if (txn == NULL) {
		snprintf(h->err, sizeof(h->err), "not JSON: %d:%d: %s", jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	ret = rules_apply(txn, &gen, h->err, sizeof(h->err));
	json_decref(txn);
	return ret;
}

static int setup(void **state) {
	struct harness *h;
	char *text;

	if (harness_setup(state) < 0)
		return -1;
	h = *state;
	text = unquote(base_doc);
	if (apply_bytes(h, text, strlen(text)) != 0) {
		fprintf(stderr, "setup apply: %s\n", h->err);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

// Everything a refused transaction must leave as it was.
struct state_snapshot {
	uint64_t generation, revision;
	json_t *doc;
	char ports[DP_PORTS_MAX][64];
	uint16_t port_ids[DP_PORTS_MAX], n_ports, n_devices;
};

static void snapshot_take(struct state_snapshot *s) {
	const struct dp_config *cfg = dp_config_current();

	assert_non_null(cfg);
	memset(s, 0, sizeof(*s));
	s->generation = cfg->generation;
	s->revision = cfg->revision;
	s->doc = json_deep_copy(rules_current());
	s->n_ports = cfg->n_ports;
	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		snprintf(s->ports[i], sizeof(s->ports[i]), "%s", cfg->ports[i].name);
		s->port_ids[i] = cfg->ports[i].port_id;
	}
	s->n_devices = rte_eth_dev_count_avail();
}

static void snapshot_check(const struct state_snapshot *s, const char *name) {
	struct state_snapshot now;

	snapshot_take(&now);
	if (now.generation != s->generation || now.revision != s->revision)
		fail_msg("%s: generation %lu revision %lu became %lu %lu", name,
			 (unsigned long)s->generation, (unsigned long)s->revision,
			 (unsigned long)now.generation, (unsigned long)now.revision);
	if (!json_equal(now.doc, s->doc))
		fail_msg("%s: the applied document changed", name);
	if (now.n_ports != s->n_ports || now.n_devices != s->n_devices)
		fail_msg("%s: %u ports %u devices became %u %u", name, s->n_ports, s->n_devices,
			 now.n_ports, now.n_devices);
	for (uint16_t i = 0; i < s->n_ports; i++)
		if (strcmp(now.ports[i], s->ports[i]) != 0 || now.port_ids[i] != s->port_ids[i])
			fail_msg("%s: port %u changed", name, i);
	json_decref(now.doc);
}

static void every_bad_input_is_refused_and_changes_nothing(void **state) {
	struct harness *h = *state;
	struct state_snapshot before;
	unsigned int n_failed = 0;

	snapshot_take(&before);
	assert_int_equal(before.revision, 10);
	assert_int_equal(before.n_ports, 2);
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		const struct bad_case *c = &cases[i];
		char *text = case_text(c);
		size_t len = strlen(text);
		int ret = apply_bytes(h, text, len);

		free(text);
		if (ret == 0) {
			print_error("case \"%s\": accepted\n", c->name);
			n_failed++;
			// Put the base back, so that the other cases still see it.
			text = unquote(base_doc);
			apply_bytes(h, text, strlen(text));
			free(text);
			json_decref(before.doc);
			snapshot_take(&before); // (the generation moved on)
			continue;
		}
		assert_true(ret < 0);
		if (strncmp(h->err, c->words[0], strlen(c->words[0])) != 0) {
			print_error("case \"%s\": \"%.300s\" does not start with \"%s\"\n", c->name,
				    h->err, c->words[0]);
			n_failed++;
		}
		for (int w = 1; w < 4 && c->words[w] != NULL; w++) {
			if (strstr(h->err, c->words[w]) == NULL) {
				print_error("case \"%s\": \"%.300s\" does not say \"%s\"\n", c->name,
					    h->err, c->words[w]);
				n_failed++;
			}
		}
		snapshot_check(&before, c->name);
	}
	json_decref(before.doc);
	print_message("%zu bad inputs\n", RTE_DIM(cases));
	if (n_failed > 0)
		fail_msg("%u of %zu checks failed", n_failed, RTE_DIM(cases));
}

// After all of that, a good transaction still applies: generation + 1.
static void a_good_transaction_still_applies(void **state) {
	struct harness *h = *state;
	uint64_t gen = dp_config_current()->generation;
	char *text = unquote("{'ops': [{'op': 'remove', 'kind': 'static_mac',"
			     " 'id': {'network': 'blue', 'mac': '02:00:00:00:02:01'}}]}");

	assert_int_equal(apply_bytes(h, text, strlen(text)), 0);
	free(text);
	assert_int_equal(dp_config_current()->generation, gen + 1);
	assert_int_equal(dp_config_current()->revision, 11);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_bad_input_is_refused_and_changes_nothing,
						setup, harness_teardown),
		cmocka_unit_test_setup_teardown(a_good_transaction_still_applies, setup,
						harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
