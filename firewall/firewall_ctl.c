// SPDX-License-Identifier: BSD-3-Clause
// The firewall's start-up: conntrack's tables (one per worker) from vnetd's configuration
// "conntrack", and the sg nodes at their attach points (docs/firewall.md).

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "dataplane/rules.h"
#include "dataplane/stats.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/worker.h"
#include "firewall/conntrack.h"
#include "firewall/fw.h"
#include "firewall/fw_log.h"
#include "firewall/sg_hold.h"
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
	uint32_t limit, matched, expired;
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
	if (e->side[s].flags == SG_V_L7)
		return json_string("(L7: its first request decides)");
	if (e->side[s].flags != SG_V_ALLOW || rule == 0 || rule > fc->n_rules)
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
	if (left <= 0) { // expired, not removed yet (workers remove a few slots a call): not shown
		sc->expired++;
		return;
	}
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
	call->result = json_pack("{sosisisisi}", "connections", sc.list, "matched", (int)sc.matched,
				 "shown", (int)RTE_MIN(sc.matched, sc.limit), "total",
				 (int)ct_count(), "expired", (int)sc.expired);
	if (sc.zone >= 0)
		json_object_set_new(call->result, "tenant_count",
				    json_integer(ct_tenant_count((uint16_t)sc.zone)));
	{
		uint64_t conns, segs;
		uint32_t holding;
		sg_hold_stats(&conns, &segs, &holding);
		json_object_set_new(call->result, "l7_held",
				    json_pack("{sIsIsi}", "connections", (json_int_t)conns,
					      "segments", (json_int_t)segs, "holding_now",
					      (int)holding));
	}
}

// ---- conntrack.export / conntrack.import -----------------------------------------------------------
// A port's connections as a document (docs/firewall.md, "Export and import"): taken on the host
// a port leaves, given to the host it goes to before the port goes live there, so that its
// established connections are known (not picked up) and keep their TCP state.

#define CT_EXPORT_MAX 65536 // connections in one export or import

static const struct bridge_port *port_find(const struct bridge_cfg *bc, const char *name) {
	for (uint16_t i = 0; bc != NULL && i < bc->n_ports; i++)
		if (strcmp(bc->ports[i].name, name) == 0)
			return &bc->ports[i];
	return NULL;
}

// The port named by params.port and its zone, or NULL with the error set.
static const struct bridge_port *ct_port_param(struct ctl_call *call, const struct bridge_cfg *bc,
					       uint16_t *zone) {
	const json_t *p = json_object_get(call->params, "port");
	const struct bridge_port *bp;
	const struct bridge *b;

	if (!json_is_string(p)) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: the port whose connections (a string)");
		return NULL;
	}
	bp = port_find(bc, json_string_value(p));
	b = bp != NULL ? bridge_lookup(bc, bp->bd_id) : NULL;
	if (b == NULL) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "port: no port \"%s\"", json_string_value(p));
		return NULL;
	}
	*zone = (uint16_t)b->tenant_id;
	return bp;
}

struct ct_export {
	const struct bridge_port *port;
	uint16_t zone;
	uint64_t now, hz;
	json_t *list;
	uint32_t n;
};

static json_t *addr_json(uint8_t family, const uint8_t *a) {
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
	return json_string(ip);
}

static void ct_export_one(const struct ct_key *k, const struct ct_entry *e, void *arg) {
	struct ct_export *x = arg;
	const uint8_t *src = e->orig_is_a ? k->addr_a : k->addr_b;
	const uint8_t *dst = e->orig_is_a ? k->addr_b : k->addr_a;
	int64_t left = (int64_t)(__atomic_load_n(&e->expires, __ATOMIC_RELAXED) - x->now);
	json_t *dirs = json_array();

	if (k->zone != x->zone || x->n >= CT_EXPORT_MAX ||
	    (!port_has(x->port, k->family, src) && !port_has(x->port, k->family, dst)) || left <= 0)
		return;
	for (int d = 0; d < 2; d++)
		json_array_append_new(dirs, json_pack("{sIsIsIsisi}", "end", (json_int_t)e->dir[d].end,
						      "ack", (json_int_t)e->dir[d].ack, "win",
						      (json_int_t)e->dir[d].win, "wscale",
						      (int)e->dir[d].wscale, "seen", (int)e->dir[d].seen));
	json_t *c = json_pack("{sisisososisisssbsiso}", "family", (int)k->family, "protocol",
			      (int)k->proto, "source", addr_json(k->family, src), "destination",
			      addr_json(k->family, dst), "source_port",
			      (int)(e->orig_is_a ? k->port_a : k->port_b), "destination_port",
			      (int)(e->orig_is_a ? k->port_b : k->port_a), "state",
			      ct_state_name(e->state), "picked_up", (int)e->picked_up, "expires_s",
			      (int)(left / (int64_t)x->hz), "directions", dirs);
	if (k->proto == IPPROTO_TCP) // where L7 inspection starts (a request not yet seen)
		json_object_set_new(c, "l7_seq", json_integer(e->l7_seq));
	// A side an l7 rule allowed: its rule's signature, which the other host's same rule has (its
	// first request is gone; without it the connection could not be allowed there).
	for (int sd = 0; sd < 2; sd++) {
		char sig[16];
		if (e->side[sd].flags != SG_V_ALLOW || e->side[sd].sig == 0)
			continue;
		snprintf(sig, sizeof(sig), "%08x", e->side[sd].sig);
		json_object_set_new(c, sd == 0 ? "originator_l7_rule" : "responder_l7_rule",
				    json_string(sig));
	}
	json_array_append_new(x->list, c);
	x->n++;
}

static void method_ct_export(struct ctl_call *call) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	struct ct_export x = {.now = rte_get_tsc_cycles(), .hz = rte_get_tsc_hz()};
	const struct bridge *b;

	x.port = ct_port_param(call, bc, &x.zone);
	if (x.port == NULL)
		return;
	b = bridge_lookup(bc, x.port->bd_id);
	x.list = json_array();
	ct_foreach(ct_export_one, &x);
	call->result = json_pack("{s:i, s:s, s:s, s:s, s:o}", "version", 1, "port", x.port->name, "tenant",
				 b->tenant, "network", b->id, "connections", x.list);
}

static int state_of(const char *name) {
	for (int s = 1; s < CT_STATE_COUNT; s++)
		if (strcmp(ct_state_name((uint8_t)s), name) == 0)
			return s;
	return -1;
}

// One exported connection into key and entry; an error message or NULL.
static const char *ct_import_parse(const json_t *c, uint16_t zone, const struct bridge_port *bp,
				   struct ct_key *k, struct ct_entry *e, uint64_t *ttl_s) {
	const char *src = json_string_value(json_object_get(c, "source"));
	const char *dst = json_string_value(json_object_get(c, "destination"));
	const char *state = json_string_value(json_object_get(c, "state"));
	json_int_t proto = json_integer_value(json_object_get(c, "protocol"));
	json_int_t sp = json_integer_value(json_object_get(c, "source_port"));
	json_int_t dp = json_integer_value(json_object_get(c, "destination_port"));
	json_int_t ttl = json_integer_value(json_object_get(c, "expires_s"));
	const json_t *dirs = json_object_get(c, "directions");
	uint8_t s[16], d[16];
	int fs, fd, st;
	bool src_is_a;

	if (!json_is_object(c) || src == NULL || dst == NULL || state == NULL)
		return "a connection needs source, destination and state";
	if (rules_parse_ip(src, &fs, s) < 0 || rules_parse_ip(dst, &fd, d) < 0 || fs != fd)
		return "source and destination are addresses of one family";
	if (!port_has(bp, (uint8_t)fs, s) && !port_has(bp, (uint8_t)fs, d))
		return "neither end is an address of the port";
	if (proto < 0 || proto > 255 || sp < 0 || sp > 65535 || dp < 0 || dp > 65535)
		return "protocol 0..255, ports 0..65535";
	if ((st = state_of(state)) < 0 || (proto == IPPROTO_TCP) != (st < CT_UDP_UNREPLIED))
		return "unknown state (or one of another protocol)";
	if (ttl < 1 || ttl > 30 * 86400)
		return "expires_s: 1 .. 2592000";
	if (json_array_size(dirs) != 2)
		return "directions: two (the originator's, the responder's)";
	ct_key_make(zone, (uint8_t)fs, (uint8_t)proto, s, d, (uint16_t)sp, (uint16_t)dp, k,
		    &src_is_a);
	memset(e, 0, sizeof(*e));
	e->state = (uint8_t)st;
	e->orig_is_a = src_is_a;
	e->picked_up = json_is_true(json_object_get(c, "picked_up"));
	for (int i = 0; i < 2; i++) {
		const json_t *x = json_array_get(dirs, (size_t)i);
		e->dir[i].end = (uint32_t)json_integer_value(json_object_get(x, "end"));
		e->dir[i].ack = (uint32_t)json_integer_value(json_object_get(x, "ack"));
		e->dir[i].win = (uint32_t)json_integer_value(json_object_get(x, "win"));
		json_int_t ws = json_integer_value(json_object_get(x, "wscale"));
		if (!json_is_integer(json_object_get(x, "wscale")) || (ws > 14 && ws != 255) || ws < 0)
			return "directions[].wscale: 0..14, or 255 (none)";
		e->dir[i].wscale = (uint8_t)ws;
		e->dir[i].seen = (uint8_t)json_integer_value(json_object_get(x, "seen"));
	}
	if (json_object_get(c, "l7_seq") != NULL) {
		json_int_t l7 = json_integer_value(json_object_get(c, "l7_seq"));
		if (!json_is_integer(json_object_get(c, "l7_seq")) || l7 < 0 || l7 > UINT32_MAX)
			return "l7_seq: a TCP sequence number (0..4294967295)";
		e->l7_seq = (uint32_t)l7;
	}
	for (int sd = 0; sd < 2; sd++) {
		const json_t *v = json_object_get(c, sd == 0 ? "originator_l7_rule" : "responder_l7_rule");
		const char *hex = json_string_value(v);
		char *end = NULL;
		unsigned long sig;

		if (v == NULL)
			continue;
		sig = hex != NULL && strlen(hex) == 8 ? strtoul(hex, &end, 16) : 0;
		if (sig == 0 || end == NULL || *end != '\0')
			return "originator_l7_rule, responder_l7_rule: a rule signature (8 hex digits)";
		e->side[sd].flags = SG_V_ALLOW;
		e->side[sd].sig = (uint32_t)sig;
	}
	*ttl_s = (uint64_t)ttl;
	return NULL;
}

static void method_ct_import(struct ctl_call *call) {
	const struct bridge_cfg *bc = bridge_cfg_get(dp_config_current());
	const json_t *list = json_object_get(call->params, "connections"), *c;
	const struct bridge_port *bp;
	uint32_t imported = 0, known = 0, refused = 0;
	uint64_t now = rte_get_tsc_cycles();
	uint16_t zone;
	size_t i;

	bp = ct_port_param(call, bc, &zone);
	if (bp == NULL)
		return;
	if (!json_is_array(list) || json_array_size(list) > CT_EXPORT_MAX) {
		ctl_error(call, CTL_ERR_INVALID_PARAMS,
			  "connections: an array of at most %d (conntrack.export's)", CT_EXPORT_MAX);
		return;
	}
	// All checked before any is added: nothing half imported.
	json_array_foreach(list, i, c) {
		struct ct_key k;
		struct ct_entry e;
		uint64_t ttl;
		const char *why = ct_import_parse(c, zone, bp, &k, &e, &ttl);
		if (why != NULL) {
			ctl_error(call, CTL_ERR_INVALID_PARAMS, "connections[%zu]: %s", i, why);
			return;
		}
	}
	json_array_foreach(list, i, c) {
		struct ct_key k;
		struct ct_entry e;
		uint64_t ttl;
		int ret;

		ct_import_parse(c, zone, bp, &k, &e, &ttl);
		ret = ct_import(&k, &e, ttl * rte_get_tsc_hz(), now);
		imported += ret == 0;
		known += ret == -EEXIST;
		refused += ret == -ENOSPC;
	}
	call->result = json_pack("{sisisi}", "imported", (int)imported, "known", (int)known,
				 "refused", (int)refused);
}

static void on_ct_expire(void) {
	ct_expire_control(rte_get_tsc_cycles(), 65536);
}

// ---- show.security_groups ------------------------------------------------------------------------

static json_t *rule_json(const struct fw_cfg *fc, uint32_t i) {
	static const char *const protos[256] = {[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
						[IPPROTO_ICMP] = "icmp", [IPPROTO_ICMPV6] = "icmp6"};
	const struct fw_rule *r = &fc->rules[i];
	json_t *o = json_pack("{s:s, s:s, s:I}", "id", r->id, "direction",
			      r->dir == FW_INGRESS ? "ingress" : "egress", "hits",
			      (json_int_t)fw_rule_hits(fc, i));
	char buf[64];

	if (r->proto < 0)
		json_object_set_new(o, "protocol", json_string("any"));
	else if (protos[r->proto] != NULL)
		json_object_set_new(o, "protocol", json_string(protos[r->proto]));
	else
		json_object_set_new(o, "protocol", json_integer(r->proto));
	json_object_set_new(o, "ethertype", r->family == 0 ? json_string("any")
					    : json_string(r->family == 4 ? "ipv4" : "ipv6"));
	if (r->port_lo != 0 || r->port_hi != 65535) {
		if (r->port_lo == r->port_hi)
			snprintf(buf, sizeof(buf), "%u", r->port_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", r->port_lo, r->port_hi);
		json_object_set_new(o, "ports", json_string(buf));
	}
	if (r->remote_group >= 0) {
		json_object_set_new(o, "remote_group",
				    json_string(fc->groups[r->remote_group].id));
	} else if (r->remote_len != 0) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(r->family == 6 ? AF_INET6 : AF_INET, r->remote, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%u", ip, r->remote_len);
		json_object_set_new(o, "remote", json_string(buf));
	}
	if (r->has_l7)
		json_object_set_new(o, "l7", json_string("not inspected yet: allows nothing"));
	return o;
}

// show.security_groups {group}: each group, its rules with their counts, the local ports using it.
static void method_show_groups(struct ctl_call *call) {
	const struct dp_config *cfg = dp_config_current();
	const struct fw_cfg *fc = fw_cfg_get(cfg);
	const json_t *g = json_object_get(call->params, "group");
	json_t *list = json_array();

	if (g != NULL && !json_is_string(g)) {
		json_decref(list);
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "group: a group id");
		return;
	}
	for (uint16_t k = 0; fc != NULL && k < fc->n_groups; k++) {
		const struct fw_group *gr = &fc->groups[k];
		json_t *rules = json_array(), *ports = json_array();

		if (g != NULL && strcmp(gr->id, json_string_value(g)) != 0)
			continue;
		for (uint32_t r = 0; r < gr->n_rules; r++)
			json_array_append_new(rules, rule_json(fc, gr->first_rule + r));
		for (uint32_t p = 0; p < fc->n_ports; p++)
			for (uint8_t q = 0; q < fc->ports[p].n_groups; q++)
				if (fc->ports[p].groups[q] == k)
					json_array_append_new(ports, json_string(fc->ports[p].id));
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o}", "id", gr->id, "tenant",
						      gr->tenant, "ports", ports, "rules", rules));
	}
	if (g != NULL && json_array_size(list) == 0) {
		json_decref(list);
		ctl_error(call, CTL_ERR_INVALID_PARAMS, "group: no security group \"%s\"",
			  json_string_value(g));
		return;
	}
	call->result = list;
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
	ctl_method_register("conntrack.export",
			    "a port's connections as a document; params {port}", method_ct_export);
	ctl_method_register("conntrack.import",
			    "connections of conntrack.export, before the port goes live here; params "
			    "{port, connections}",
			    method_ct_import);
	dp_periodic_register("firewall.ct_expire", on_ct_expire, 1000);
	ret = fw_log_init(n);
	if (ret == 0)
		ret = sg_hold_init(n);
	if (ret < 0)
		return ret;
	ctl_method_register("show.security_groups",
			    "security groups: their rules with the connections each allowed, and "
			    "the ports using them; params {group}",
			    method_show_groups);
	ctl_method_register("show.conntrack",
			    "tracked connections: state, timer, the rule of each side; params {tenant, "
			    "port, limit}",
			    method_show_conntrack);
	return 0;
}

static void firewall_fini(void) {
	sg_hold_fini();
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
