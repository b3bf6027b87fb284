// SPDX-License-Identifier: BSD-3-Clause
// The firewall's start-up: conntrack's tables (one per worker) from vnetd's configuration
// "conntrack", and the sg nodes at their attach points (docs/firewall.md).

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_graph.h>

#define DP_LOG_TYPE firewall_logtype
#include "dataplane/config.h"
#include "dataplane/ctl.h"
#include "dataplane/feature.h"
#include "dataplane/graph.h"
#include "dataplane/log.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/worker.h"
#include "firewall/conntrack.h"
#include "firewall/fw.h"
#include "vswitch/bridge.h"

RTE_LOG_REGISTER(firewall_logtype, vnet.firewall, INFO);

static struct ct_config ct_conf;

static const char *const timeout_names[CT_T_COUNT] = {
	[CT_T_TCP_SYN_SENT] = "tcp_syn_sent",	  [CT_T_TCP_SYN_RECV] = "tcp_syn_recv",
	[CT_T_TCP_ESTABLISHED] = "tcp_established", [CT_T_TCP_FIN_WAIT] = "tcp_fin_wait",
	[CT_T_TCP_LAST_ACK] = "tcp_last_ack",	  [CT_T_TCP_TIME_WAIT] = "tcp_time_wait",
	[CT_T_TCP_CLOSE] = "tcp_close",		  [CT_T_UDP_UNREPLIED] = "udp_unreplied",
	[CT_T_UDP_REPLIED] = "udp_replied",	  [CT_T_ICMP] = "icmp",
};

static int uint_key(const json_t *v, const char *key, uint32_t min, uint32_t max, uint32_t *out,
		    char *err, size_t err_size) {
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, err_size, "%s: an integer from %u to %u", key, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

// vnetd configuration "conntrack": {"entries": N, "tenant_max": M, "timeouts": {"<state>": s}}.
static int conntrack_config(const json_t *value, char *err, size_t err_size) {
	const char *key;
	json_t *v;

	ct_config_defaults(&ct_conf);
	if (value == NULL)
		return 0;
	if (!json_is_object(value)) {
		snprintf(err, err_size, "must be an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)value, key, v) {
		int ret;

		if (strcmp(key, "entries") == 0) {
			ret = uint_key(v, key, CT_ENTRIES_MIN, CT_ENTRIES_MAX, &ct_conf.entries, err,
				       err_size);
		} else if (strcmp(key, "tenant_max") == 0) {
			ret = uint_key(v, key, 1, UINT32_MAX / 2, &ct_conf.tenant_max, err, err_size);
		} else if (strcmp(key, "timeouts") == 0 && json_is_object(v)) {
			const char *t;
			json_t *x;

			ret = 0;
			json_object_foreach(v, t, x) {
				int i = 0;
				while (i < CT_T_COUNT && strcmp(timeout_names[i], t) != 0)
					i++;
				if (i == CT_T_COUNT) {
					snprintf(err, err_size, "timeouts: unknown state \"%s\"", t);
					return -EINVAL;
				}
				ret = uint_key(x, t, 1, 30 * 86400, &ct_conf.timeout_s[i], err,
					       err_size);
				if (ret < 0)
					return ret;
			}
		} else if (strcmp(key, "timeouts") == 0) {
			snprintf(err, err_size, "timeouts: must be an object");
			ret = -EINVAL;
		} else {
			snprintf(err, err_size, "unknown key \"%s\"", key);
			ret = -EINVAL;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

// ---- show.conntrack -----------------------------------------------------------------------------

#define SHOW_CT_LIMIT_DEFAULT 1000
#define SHOW_CT_LIMIT_MAX 100000

struct show_ct {
	const struct bridge_cfg *bc;
	const struct fw_cfg *fc;
	int zone;                     // -1: all tenants
	const struct bridge_port *port; // NULL: all ports
	uint32_t limit, matched;
	uint64_t now, hz;
	json_t *list;
};

static const char *zone_tenant(const struct bridge_cfg *bc, uint16_t zone) {
	for (uint16_t i = 0; bc != NULL && i < bc->n_bridges; i++)
		if (bc->bridges[i].tenant_id == zone)
			return bc->bridges[i].tenant;
	return NULL;
}

static bool port_has(const struct bridge_port *p, uint8_t family, const uint8_t *addr) {
	for (uint8_t i = 0; family == 4 && i < p->n_ip4; i++)
		if (memcmp(&p->ip4[i], addr, 4) == 0)
			return true;
	for (uint8_t i = 0; family == 6 && i < p->n_ip6; i++)
		if (memcmp(p->ip6[i], addr, 16) == 0)
			return true;
	return family == 6 && memcmp(p->ip6_ll, addr, 16) == 0;
}

static json_t *endpoint(uint8_t family, const uint8_t *addr, uint16_t port, uint8_t proto) {
	char ip[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 16];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip, sizeof(ip));
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return json_string(ip);
	snprintf(buf, sizeof(buf), family == 4 ? "%s:%u" : "[%s]:%u", ip, port);
	return json_string(buf);
}

static json_t *side_json(const struct fw_cfg *fc, const struct ct_entry *e, int s) {
	uint32_t gen = __atomic_load_n(&e->side[s].gen, __ATOMIC_ACQUIRE);
	uint32_t rule = e->side[s].rule;

	if (gen == 0)
		return json_null(); // not checked here (the port is on another host, or unfiltered)
	if (fc == NULL || gen != fc->gen)
		return json_string("(older rules: checked again at the next packet)");
	if (e->side[s].flags != 1 || rule == 0 || rule > fc->n_rules)
		return json_string("(denied)");
	return json_string(fc->rules[rule - 1].id);
}

static void show_ct_one(const struct ct_key *k, const struct ct_entry *e, void *arg) {
	static const char *const protos[256] = {[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
						[IPPROTO_ICMP] = "icmp", [IPPROTO_ICMPV6] = "icmp6"};
	struct show_ct *sc = arg;
	const uint8_t *src = e->orig_is_a ? k->addr_a : k->addr_b;
	const uint8_t *dst = e->orig_is_a ? k->addr_b : k->addr_a;
	uint16_t sport = e->orig_is_a ? k->port_a : k->port_b;
	uint16_t dport = e->orig_is_a ? k->port_b : k->port_a;
	int64_t left = (int64_t)(__atomic_load_n(&e->expires, __ATOMIC_RELAXED) - sc->now);
	const char *tenant;
	json_t *o;

	if (sc->zone >= 0 && k->zone != sc->zone)
		return;
	if (sc->port != NULL && (k->zone != sc->zone || (!port_has(sc->port, k->family, src) &&
							 !port_has(sc->port, k->family, dst))))
		return;
	if (sc->matched++ >= sc->limit)
		return;
	tenant = zone_tenant(sc->bc, k->zone);
	o = json_pack("{sosisssososssisbsoso}", "tenant", tenant ? json_string(tenant) : json_null(),
		      "zone", (int)k->zone, "protocol",
		      protos[k->proto] ? protos[k->proto] : "other", "source",
		      endpoint(k->family, src, sport, k->proto), "destination",
		      endpoint(k->family, dst, dport, k->proto), "state", ct_state_name(e->state),
		      "expires_s", (int)(left > 0 ? left / (int64_t)sc->hz : 0), "picked_up",
		      (int)e->picked_up, "originator_rule", side_json(sc->fc, e, 0),
		      "responder_rule", side_json(sc->fc, e, 1));
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP)
		json_object_set_new(o, "protocol_number", json_integer(k->proto));
	json_array_append_new(sc->list, o);
}

// show.conntrack {tenant, port, limit}: the connections, their state, timer and the rule that
// allowed each side.
static void method_show_conntrack(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	struct show_ct sc = {.bc = bridge_cfg_get(cfg), .fc = fw_cfg_get(cfg), .zone = -1,
			     .limit = SHOW_CT_LIMIT_DEFAULT, .now = rte_get_tsc_cycles(),
			     .hz = rte_get_tsc_hz()};
	const json_t *t = json_object_get(call->params, "tenant");
	const json_t *p = json_object_get(call->params, "port");
	const json_t *l = json_object_get(call->params, "limit");

	if ((t != NULL && !json_is_string(t)) || (p != NULL && !json_is_string(p))) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "tenant and port are strings");
		return;
	}
	if (l != NULL && (!json_is_integer(l) || json_integer_value(l) < 1 ||
			  json_integer_value(l) > SHOW_CT_LIMIT_MAX)) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "limit: an integer from 1 to %d",
			  SHOW_CT_LIMIT_MAX);
		return;
	}
	if (l != NULL)
		sc.limit = (uint32_t)json_integer_value(l);
	if (t != NULL) {
		for (uint16_t i = 0; sc.bc != NULL && i < sc.bc->n_bridges; i++)
			if (strcmp(sc.bc->bridges[i].tenant, json_string_value(t)) == 0)
				sc.zone = (int)sc.bc->bridges[i].tenant_id;
		if (sc.zone < 0) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "tenant: no network of tenant \"%s\"",
				  json_string_value(t));
			return;
		}
	}
	if (p != NULL) {
		for (uint16_t i = 0; sc.bc != NULL && i < sc.bc->n_ports; i++)
			if (strcmp(sc.bc->ports[i].name, json_string_value(p)) == 0)
				sc.port = &sc.bc->ports[i];
		if (sc.port == NULL) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: no port \"%s\"",
				  json_string_value(p));
			return;
		}
		{
			const struct bridge *b = bridge_lookup(sc.bc, sc.port->bd_id);
			int z = b != NULL ? (int)b->tenant_id : -1;
			if (sc.zone >= 0 && z != sc.zone) {
				ctl_error(call, CTL_ERR_INVALID_PARAMS,
					  "port \"%s\" is not of tenant \"%s\"",
					  json_string_value(p), json_string_value(t));
				return;
			}
			sc.zone = z;
		}
	}
	sc.list = json_array();
	ct_foreach(show_ct_one, &sc);
	call->result = json_pack("{sosisisi}", "connections", sc.list, "matched", (int)sc.matched,
				 "shown", (int)RTE_MIN(sc.matched, sc.limit), "total",
				 (int)ct_count());
	if (sc.zone >= 0)
		json_object_set_new(call->result, "tenant_count",
				    json_integer(ct_tenant_count((uint16_t)sc.zone)));
}

static int firewall_init(void) {
	unsigned int n = dp_workers_count() ? dp_workers_count() : 1;
	int ret;

	ret = ct_init(&ct_conf, n, dp_rcu());
	if (ret < 0) {
		LOG(ERR, "conntrack: cannot make %u tables of %u entries: %s", n, ct_conf.entries,
		    strerror(-ret));
		return ret;
	}
	LOG(INFO, "conntrack: %u tables of %u entries, %u connections per tenant", n,
	    ct_conf.entries, ct_conf.tenant_max);
	// What a local port sends is filtered before its network's MAC lookup; what it receives,
	// after every flood copy and routing, just before it leaves.
	ret = dp_node_attach_chain("l2_input", "sg_egress", 1);
	if (ret == 0)
		ret = dp_node_attach_chain("vnic_output", "sg_ingress", 1);
	if (ret < 0)
		return ret;
	ctl_method_register("show.conntrack",
			    "tracked connections: state, timer, the rule of each side; params {tenant, "
			    "port, limit}",
			    method_show_conntrack);
	return 0;
}

static void firewall_fini(void) {
	ct_fini();
}

static const char *const firewall_after[] = {"vswitch", "vrouter", NULL};
static struct dp_feature firewall_feature = {
	.name = "firewall",
	.after = firewall_after,
	.init = firewall_init,
	.fini = firewall_fini,
};
DP_FEATURE_REGISTER(firewall_feature)

RTE_INIT(firewall_config_register) {
	ct_config_defaults(&ct_conf);
	vnetd_config_key_register("conntrack", conntrack_config);
}
