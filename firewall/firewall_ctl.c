// SPDX-License-Identifier: BSD-3-Clause
// The firewall's start-up: conntrack's tables (one per worker) from vnetd's configuration
// "conntrack", and the sg nodes at their attach points (docs/firewall.md).

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_graph.h>

#define DP_LOG_TYPE firewall_logtype
#include "dataplane/feature.h"
#include "dataplane/graph.h"
#include "dataplane/log.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/worker.h"
#include "firewall/conntrack.h"
#include "firewall/fw.h"

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
	return ret;
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
