// SPDX-License-Identifier: BSD-3-Clause
// What the in-process fuzz targets share (see fuzz_common.h).

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/config.h"
#include "dataplane/rules.h"
#include "dataplane/vnetd_config.h"
#include "overlay/overlay.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/lib/harness.h"

const char fuzz_base_rules[] =
	"{\"revision\": 1,"
	" \"networks\": ["
	"  {\"id\": \"blue\", \"tenant\": \"blue\", \"vni\": 5001, \"flood_vteps\": [\"192.0.2.12\"],"
	"   \"router\": \"r\", \"subnets\": [{\"cidr\": \"10.0.0.0/24\", \"gateway\": \"10.0.0.1\","
	"   \"dns_servers\": [\"10.0.0.53\"]}, {\"cidr\": \"fd00::/64\", \"gateway\": \"fd00::1\"}]},"
	"  {\"id\": \"blue2\", \"tenant\": \"blue\", \"vni\": 5004, \"mtu\": 1400,"
	"   \"flood_vteps\": [\"192.0.2.13\"], \"router\": \"r\","
	"   \"subnets\": [{\"cidr\": \"10.9.0.0/24\", \"gateway\": \"10.9.0.1\"}]},"
	"  {\"id\": \"red\", \"tenant\": \"red\", \"vni\": 5002, \"mac_limit\": 64},"
	"  {\"id\": \"green\", \"tenant\": \"green\", \"vni\": 5003, \"vxlan_learning\": true,"
	"   \"flood_vteps\": [\"192.0.2.12\", \"192.0.2.13\"]}],"
	" \"ports\": ["
	"  {\"id\": \"a\", \"network\": \"blue\", \"device\": \"net_null40\","
	"   \"mac\": \"02:00:00:00:01:0a\", \"ips\": [\"10.0.0.10\", \"fd00::a\"]},"
	"  {\"id\": \"b\", \"network\": \"blue\", \"device\": \"net_null41\","
	"   \"mac\": \"02:00:00:00:01:0b\", \"ips\": [\"10.0.0.11\", \"fd00::b\"],"
	"   \"security_groups\": [\"web\"]},"
	"  {\"id\": \"d\", \"network\": \"red\", \"device\": \"net_null42\","
	"   \"mac\": \"02:00:00:00:01:0d\", \"ips\": [\"10.0.0.13\"]},"
	"  {\"id\": \"t\", \"network\": \"red\", \"device\": \"net_null43\","
	"   \"mac\": \"02:00:00:00:01:0e\", \"port_security\": false},"
	"  {\"id\": \"g\", \"network\": \"green\", \"device\": \"net_null44\","
	"   \"mac\": \"02:00:00:00:01:0a\", \"ips\": [\"10.0.0.10\"]}],"
	" \"remote_ports\": ["
	"  {\"network\": \"blue\", \"mac\": \"02:00:00:00:02:0c\", \"ips\": [\"10.0.0.12\"],"
	"   \"vtep\": \"192.0.2.12\"},"
	"  {\"network\": \"blue2\", \"mac\": \"02:00:00:00:02:0e\", \"ips\": [\"10.9.0.5\"],"
	"   \"vtep\": \"192.0.2.13\"}],"
	" \"routers\": [{\"id\": \"r\", \"tenant\": \"blue\", \"mac\": \"02:00:00:00:00:fe\","
	"   \"routes\": [{\"prefix\": \"10.50.0.0/16\", \"nexthop\": \"10.9.0.5\"},"
	"    {\"prefix\": \"10.60.0.0/16\", \"nexthops\": [\"10.0.0.11\", \"10.0.0.99\"]},"
	"    {\"prefix\": \"10.70.0.0/16\", \"nexthop\": \"10.9.0.77\"},"
	"    {\"prefix\": \"10.66.0.0/16\", \"blackhole\": true}]}],"
	" \"static_macs\": [{\"network\": \"blue\", \"mac\": \"02:00:00:00:02:aa\", \"port\": \"a\"}],"
	// b's groups: L7 rules (HTTP, TLS, DNS over UDP and TCP) beside plain ones, both directions.
	" \"security_groups\": [{\"id\": \"web\", \"tenant\": \"blue\", \"rules\": ["
	"   {\"id\": \"http\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"80\","
	"    \"l7\": {\"http\": {\"host\": \"*.example\", \"path_prefix\": \"/a\"}}},"
	"   {\"id\": \"tls\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"443\","
	"    \"l7\": {\"tls\": {\"sni\": [\"*.example\"]}}},"
	"   {\"id\": \"dns\", \"direction\": \"ingress\", \"protocol\": \"udp\","
	"    \"l7\": {\"dns\": {\"names\": [\"a.example\"]}}},"
	"   {\"id\": \"dns-tcp\", \"direction\": \"ingress\", \"protocol\": \"tcp\","
	"    \"l7\": {\"dns\": {\"names\": [\"a.example\"]}}},"
	"   {\"id\": \"ssh\", \"direction\": \"ingress\", \"protocol\": \"tcp\", \"ports\": \"22\"},"
	"   {\"id\": \"ping\", \"direction\": \"ingress\", \"protocol\": \"icmp\"},"
	"   {\"id\": \"out-web\", \"direction\": \"egress\", \"protocol\": \"tcp\", \"ports\": \"443\","
	"    \"l7\": {\"tls\": {\"sni\": [\"b.example\"]}}},"
	"   {\"id\": \"out\", \"direction\": \"egress\", \"protocol\": \"udp\"}]}]"
	"}";

struct harness *fuzz_engine_init(void) {
	void *state = NULL;
	char err[256];
	json_t *ul = json_pack("{sssssssis[{ssss}{ssss}]}", "device", "net_null39,no-rx=1",
			       "address", "192.0.2.11/24", "mac", "02:00:c0:00:02:0b", "mtu", 9000,
			       "static_neighbors", "ip", "192.0.2.12", "mac", "02:00:c0:00:02:0c",
			       "ip", "192.0.2.13", "mac", "02:00:c0:00:02:0d");

	if (underlay_config(ul, err, sizeof(err)) < 0)
		fuzz_fail("underlay: %s", err);
	json_decref(ul);
	if (harness_setup(&state) < 0)
		fuzz_fail("harness setup");
	if (harness_apply(state, fuzz_base_rules) != 0)
		fuzz_fail("base rules: %s", ((struct harness *)state)->err);
	return state;
}

void fuzz_rules_reset(struct harness *h) {
	json_error_t jerr;
	json_t *doc = json_loads(fuzz_base_rules, 0, &jerr);
	uint64_t gen;

	json_object_set_new(doc, "force", json_true());
	if (rules_apply(doc, &gen, h->err, sizeof(h->err)) != 0)
		fuzz_fail("base rules again: %s", h->err);
	json_decref(doc);
	harness_pin(h);
}

bool fuzz_devices_are_safe(const json_t *v) {
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach((json_t *)v, i, e)
			if (!fuzz_devices_are_safe(e))
				return false;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (strcmp(key, "device") == 0 && json_is_string(e) &&
			    strncmp(json_string_value(e), "net_null", 8) != 0)
				return false;
			if (!fuzz_devices_are_safe(e))
				return false;
		}
	}
	return true;
}
