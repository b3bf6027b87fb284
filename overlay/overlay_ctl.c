// SPDX-License-Identifier: BSD-3-Clause
// The overlay, control thread: start-up (underlay port, neighbour table, per-worker counters),
// periodic neighbour resolution, and show.vteps (VTEPs and VNIs with their counters).

#include <arpa/inet.h>
#include <errno.h>

#include <jansson.h>
#include <rte_malloc.h>

#include "dataplane/ctl.h"
#include "dataplane/graph.h"
#include "dataplane/stats.h"
#include "dataplane/telemetry.h"
#include "dataplane/trace.h"
#include "dataplane/worker.h"
#include "overlay/overlay.h"

RTE_LOG_REGISTER(overlay_logtype, vnet.overlay, INFO);

struct overlay_counters *overlay_counters[DP_WORKERS_MAX];

static struct overlay_counter counter_sum(bool vtep, uint16_t idx) {
	struct overlay_counter s = {0};

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		const struct overlay_counter *c =
			vtep ? &overlay_counters[w]->vtep[idx] : &overlay_counters[w]->vni[idx];
		s.rx_pkts += __atomic_load_n(&c->rx_pkts, __ATOMIC_RELAXED);
		s.rx_bytes += __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
		s.tx_pkts += __atomic_load_n(&c->tx_pkts, __ATOMIC_RELAXED);
		s.tx_bytes += __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
	}
	return s;
}

static void counters_set(json_t *o, struct overlay_counter c) {
	json_object_set_new(o, "rx_pkts", json_integer((json_int_t)c.rx_pkts));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)c.rx_bytes));
	json_object_set_new(o, "tx_pkts", json_integer((json_int_t)c.tx_pkts));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)c.tx_bytes));
}

static json_t *vteps_json(const struct overlay_cfg *oc, json_t *neighs) {
	json_t *list = json_array();

	for (uint16_t i = 0; oc != NULL && i < oc->n_vteps; i++) {
		const struct overlay_vtep *t = &oc->vtep_list[i];
		char ip[INET_ADDRSTRLEN], nh[INET_ADDRSTRLEN] = "";
		const json_t *n;
		json_t *o;

		inet_ntop(AF_INET, &t->ip, ip, sizeof(ip));
		if (t->next_hop != 0)
			inet_ntop(AF_INET, &t->next_hop, nh, sizeof(nh));
		n = json_object_get(neighs, nh);
		o = json_pack("{sssssssb}", "vtep", ip, "next_hop", nh, "neighbor_mac",
			      n ? json_string_value(json_object_get(n, "mac")) : "", "resolved",
			      n != NULL && strcmp(json_string_value(json_object_get(n, "state")),
						  "incomplete") != 0);
		counters_set(o, counter_sum(true, t->idx));
		json_array_append_new(list, o);
	}
	return list;
}

// Telemetry thread. /vnet/vteps: each remote VTEP's VXLAN counters, keyed vtep_A_B_C_D (telemetry
// keys allow no dots; RTE_TEL_MAX_DICT_ENTRIES of them at most); /vnet/vteps,A.B.C.D: that one.
static int tel_vteps(const struct dp_config *cfg, const char *params, struct rte_tel_data *d) {
	const struct overlay_cfg *oc = overlay_cfg_get(cfg);

	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; oc != NULL && i < oc->n_vteps; i++) {
		const struct overlay_vtep *t = &oc->vtep_list[i];
		struct overlay_counter c = counter_sum(true, t->idx);
		struct rte_tel_data *v;
		char ip[INET_ADDRSTRLEN], key[32];

		inet_ntop(AF_INET, &t->ip, ip, sizeof(ip));
		if (params != NULL && *params != '\0' && strcmp(params, ip) != 0)
			continue;
		v = rte_tel_data_alloc();
		if (v == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(v);
		rte_tel_data_add_dict_string(v, "vtep", ip);
		rte_tel_data_add_dict_u64(v, "rx_pkts", c.rx_pkts);
		rte_tel_data_add_dict_u64(v, "rx_bytes", c.rx_bytes);
		rte_tel_data_add_dict_u64(v, "tx_pkts", c.tx_pkts);
		rte_tel_data_add_dict_u64(v, "tx_bytes", c.tx_bytes);
		snprintf(key, sizeof(key), "vtep_%s", ip);
		for (char *k = key; *k != '\0'; k++)
			*k = *k == '.' ? '_' : *k;
		if (rte_tel_data_add_dict_container(d, key, v, 0) < 0) {
			rte_tel_data_free(v);
			break; // the dictionary is full
		}
	}
	return 0;
}

json_t *vxlan_tunnel_trace_fields(const struct trace_record *r) {
	const struct vxlan_tunnel_trace *t = TRACE_DATA(r, struct vxlan_tunnel_trace);
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	json_t *o;

	if (t == NULL)
		return NULL;
	o = json_pack("{siss ss}", "vni", (int)t->vni, "outer_src",
		      inet_ntop(AF_INET, &t->src, src, sizeof(src)), "outer_dst",
		      inet_ntop(AF_INET, &t->dst, dst, sizeof(dst)));
	if (t->udp_sport != 0)
		json_object_set_new(o, "udp_sport", json_integer(t->udp_sport));
	return o;
}

static void method_show_vteps(struct ctl_call *call) {
	const struct overlay_cfg *oc = overlay_cfg_get(dp_config_current());
	json_t *vnis = json_array(), *neighs = neigh_json();
	char addr[INET_ADDRSTRLEN] = "";

	for (uint16_t i = 0; oc != NULL && i < oc->n_vnis; i++) {
		json_t *o = json_pack("{siss}", "vni", (int)oc->vni_list[i].vni, "network",
				      oc->vni_list[i].network);
		counters_set(o, counter_sum(false, oc->vni_list[i].idx));
		json_array_append_new(vnis, o);
	}
	if (underlay.enabled)
		inet_ntop(AF_INET, &underlay.addr, addr, sizeof(addr));
	call->result = json_pack("{s{sssisi}sososo}", "underlay", "address", addr, "prefix_len",
				 underlay.plen, "udp_port", underlay.udp_port, "vteps",
				 vteps_json(oc, neighs), "vnis", vnis, "neighbors", neighs);
}

static int overlay_init(void) {
	int ret;

	for (unsigned int w = 0; w < dp_workers_count(); w++) {
		overlay_counters[w] = rte_zmalloc("overlay_counters", sizeof(*overlay_counters[w]),
						  RTE_CACHE_LINE_SIZE);
		if (overlay_counters[w] == NULL)
			return -ENOMEM;
	}
	// The overlay carries networks between hosts: frames to remote MACs and flood copies for
	// the flood VTEPs leave through it.
	ret = dp_node_attach("tunnel_output", "vxlan_encap");
	if (ret == 0)
		ret = dp_node_attach("tunnel_flood", "vxlan_flood");
	if (ret < 0)
		return ret;
	ret = neigh_init();
	if (ret < 0)
		return ret;
	ret = underlay_init();
	if (ret < 0)
		return ret;
	dp_periodic_register("overlay.neigh", neigh_periodic, 250);
	ret = dp_telemetry_register("vteps", tel_vteps,
				    "VXLAN counters of each remote VTEP (or one: /vnet/vteps,A.B.C.D)");
	if (ret < 0)
		return ret;
	ctl_method_register("show.vteps", "remote VTEPs, VNIs, their counters; underlay neighbours",
			    method_show_vteps);
	return 0;
}

// The overlay carries vswitch's networks: start after it (its tables exist when ours refer to
// them, and its attach points are taken in a known order).
static const char *const overlay_after[] = {"vswitch", NULL};
static struct dp_feature overlay_feature = {
	.name = "overlay",
	.after = overlay_after,
	.init = overlay_init,
};
DP_FEATURE_REGISTER(overlay_feature)
