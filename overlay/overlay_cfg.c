// SPDX-License-Identifier: BSD-3-Clause
// The overlay's data of a snapshot, from the rules document: one entry per network (VNI, flood
// VTEPs), one per remote VTEP (with its underlay next hop), and the set of (VNI, VTEP) pairs that
// decapsulation accepts. Counter indices of VNIs and VTEPs stay stable across transactions.
// Control thread only.

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_hash_crc.h>

#include "dataplane/rules.h"
#include "overlay/overlay.h"

static json_t *vtep_idx, *vni_idx; // "ip" / "vni" -> stable counter index
static uint32_t n_tables;

static int idx_assign(json_t **map, const char *key, int max) {
	static uint8_t used[OVERLAY_VNIS_MAX];
	const char *k;
	json_t *v;

	if (*map == NULL)
		*map = json_object();
	v = json_object_get(*map, key);
	if (v != NULL)
		return (int)json_integer_value(v);
	memset(used, 0, sizeof(used));
	json_object_foreach(*map, k, v)
		used[json_integer_value(v)] = 1;
	for (int i = 0; i < max; i++) {
		if (!used[i]) {
			json_object_set_new(*map, key, json_integer(i));
			return i;
		}
	}
	return -ENOSPC;
}

// Forget the indices of VNIs and VTEPs that the snapshot `oc` no longer has.
void overlay_idx_prune(const struct overlay_cfg *oc) {
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(vtep_idx, tmp, key, v) {
		bool found = false;
		for (uint16_t i = 0; oc != NULL && i < oc->n_vteps && !found; i++)
			found = (int)json_integer_value(v) == oc->vtep_list[i].idx;
		if (!found)
			json_object_del(vtep_idx, key);
	}
	json_object_foreach_safe(vni_idx, tmp, key, v) {
		bool found = false;
		for (uint16_t i = 0; oc != NULL && i < oc->n_vnis && !found; i++)
			found = (int)json_integer_value(v) == oc->vni_list[i].idx;
		if (!found)
			json_object_del(vni_idx, key);
	}
}

static struct overlay_vtep *vtep_add(struct overlay_cfg *oc, rte_be32_t ip) {
	char key[INET_ADDRSTRLEN];
	int idx;

	for (uint16_t i = 0; i < oc->n_vteps; i++)
		if (oc->vtep_list[i].ip == ip)
			return &oc->vtep_list[i];
	if (oc->n_vteps >= OVERLAY_VTEPS_MAX)
		return NULL;
	inet_ntop(AF_INET, &ip, key, sizeof(key));
	idx = idx_assign(&vtep_idx, key, OVERLAY_VTEPS_MAX);
	if (idx < 0)
		return NULL;
	oc->vtep_list[oc->n_vteps] = (struct overlay_vtep){.ip = ip, .idx = (uint16_t)idx};
	return &oc->vtep_list[oc->n_vteps++];
}

// The networks of `doc` by id (new reference): a remote port finds its network in one lookup, not
// a walk of every network (10,000 remote ports in 1,000 networks made 10 million comparisons).
static json_t *networks_index(const json_t *doc) {
	json_t *index = json_object(), *n;
	size_t i;

	json_array_foreach(json_object_get(doc, "networks"), i, n) {
		const char *id = json_string_value(json_object_get(n, "id"));
		if (id != NULL && json_object_get(index, id) == NULL)
			json_object_set(index, id, n);
	}
	return index;
}

static uint64_t known_key(uint32_t vni, rte_be32_t vtep) {
	return (uint64_t)vni << 32 | vtep;
}

// Networks must leave room for the 50 bytes of VXLAN in the underlay MTU (RFC 7348 section 4.3).
static int mtu_check(struct rules_ctx *ctx, const json_t *n, const char *path) {
	const json_t *mtu = json_object_get(n, "mtu");
	json_int_t v = mtu != NULL ? json_integer_value(mtu) : 1500;
	char fp[80];

	if (!underlay.enabled || v <= underlay.mtu - VXLAN_OVERHEAD)
		return 0;
	snprintf(fp, sizeof(fp), "%s.mtu", path);
	return rules_error(ctx, fp, "%lld leaves no room for VXLAN: at most %d with underlay mtu %u",
			   (long long)v, underlay.mtu - VXLAN_OVERHEAD, underlay.mtu);
}

static int networks_read(struct rules_ctx *ctx, const json_t *doc, struct overlay_cfg *oc) {
	size_t i, j;
	json_t *n, *v;

	json_array_foreach(json_object_get(doc, "networks"), i, n) {
		struct overlay_vni *e = &oc->vni_list[oc->n_vnis];
		char key[16], path[64];
		rte_be32_t ip;
		int idx;

		snprintf(path, sizeof(path), "networks[%zu]", i);
		if (mtu_check(ctx, n, path) < 0)
			return -EINVAL;
		e->vni = (uint32_t)json_integer_value(json_object_get(n, "vni"));
		snprintf(e->network, sizeof(e->network), "%s",
			 json_string_value(json_object_get(n, "id")) ?: "");
		snprintf(key, sizeof(key), "%u", e->vni);
		idx = idx_assign(&vni_idx, key, OVERLAY_VNIS_MAX);
		if (idx < 0)
			return rules_error(ctx, path, "more than %d networks", OVERLAY_VNIS_MAX);
		e->idx = (uint16_t)idx;
		json_array_foreach(json_object_get(n, "flood_vteps"), j, v) {
			const struct overlay_vtep *t;
			if (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v), &ip) != 1)
				continue; // vswitch refuses it with its reason
			if (e->n_flood >= OVERLAY_FLOOD_MAX || (t = vtep_add(oc, ip)) == NULL)
				return rules_error(ctx, path, "flood_vteps: at most %d per network and "
							      "%d VTEPs in all", OVERLAY_FLOOD_MAX,
						   OVERLAY_VTEPS_MAX);
			e->flood[e->n_flood++] = t;
			oc->known_list[oc->n_known++] = known_key(e->vni, ip);
		}
		oc->n_vnis++;
	}
	return 0;
}

// Each remote port's VTEP, known for its network's VNI.
static int remotes_read(struct rules_ctx *ctx, const json_t *doc, struct overlay_cfg *oc) {
	json_t *nets = networks_index(doc);
	size_t i;
	json_t *r;
	int ret = 0;

	json_array_foreach(json_object_get(doc, "remote_ports"), i, r) {
		const char *net = json_string_value(json_object_get(r, "network"));
		const char *vtep = json_string_value(json_object_get(r, "vtep"));
		const json_t *n = net != NULL ? json_object_get(nets, net) : NULL;
		rte_be32_t ip;
		char path[64];

		snprintf(path, sizeof(path), "remote_ports[%zu]", i);
		if (n == NULL || vtep == NULL || inet_pton(AF_INET, vtep, &ip) != 1)
			continue; // refused by the validation with its reason
		if (vtep_add(oc, ip) == NULL) {
			ret = rules_error(ctx, path, "more than %d VTEPs", OVERLAY_VTEPS_MAX);
			break;
		}
		oc->known_list[oc->n_known++] =
			known_key((uint32_t)json_integer_value(json_object_get(n, "vni")), ip);
	}
	json_decref(nets);
	return ret;
}

void overlay_cfg_free(void *data) {
	struct overlay_cfg *oc = data;

	if (oc == NULL)
		return;
	rte_hash_free(oc->vnis);
	rte_hash_free(oc->vteps);
	rte_hash_free(oc->known);
	free(oc->vtep_list);
	free(oc->vni_list);
	free(oc->known_list);
	free(oc);
}

int overlay_cfg_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	struct overlay_cfg *oc = calloc(1, sizeof(*oc));
	size_t n_nets = json_array_size(json_object_get(doc, "networks"));

	if (oc == NULL)
		return -ENOMEM;
	*data = oc;
	if (n_nets > OVERLAY_VNIS_MAX)
		return rules_error(ctx, "networks", "at most %d networks", OVERLAY_VNIS_MAX);
	oc->vtep_list = calloc(OVERLAY_VTEPS_MAX, sizeof(*oc->vtep_list));
	oc->vni_list = calloc(n_nets + 1, sizeof(*oc->vni_list));
	oc->known_list = calloc(json_array_size(json_object_get(doc, "remote_ports")) +
					n_nets * OVERLAY_FLOOD_MAX + 1,
				sizeof(*oc->known_list));
	if (oc->vtep_list == NULL || oc->vni_list == NULL || oc->known_list == NULL)
		return -ENOMEM;
	if (networks_read(ctx, doc, oc) < 0 || remotes_read(ctx, doc, oc) < 0)
		return -EINVAL;
	return 0;
}

static struct rte_hash *table_create(const char *what, uint32_t entries, uint32_t key_len) {
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(64u, entries * 2),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};

	snprintf(name, sizeof(name), "ovl_%s_%u", what, n_tables++);
	return rte_hash_create(&hp);
}


// Next hop of each VTEP: itself inside the underlay prefix, else the gateway.
static void next_hops_set(struct overlay_cfg *oc) {
	for (uint16_t i = 0; i < oc->n_vteps; i++) {
		struct overlay_vtep *t = &oc->vtep_list[i];
		t->next_hop = (t->ip & underlay.mask) == (underlay.addr & underlay.mask)
				      ? t->ip : underlay.gateway;
	}
}

// Needs EAL (the tables) and the underlay: runs in rules_apply only, not in rules_validate.
int overlay_cfg_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data) {
	struct overlay_cfg *oc = data;
	RTE_SET_USED(cfg);
	if (!underlay.enabled && oc->n_vteps > 0) {
		char path[64] = "remote_ports";
		for (uint16_t v = 0; v < oc->n_vnis; v++)
			if (oc->vni_list[v].n_flood > 0) {
				snprintf(path, sizeof(path), "networks[%u].flood_vteps", v);
				break;
			}
		return rules_error(ctx, path, "remote VTEPs (remote_ports, flood_vteps) need an "
					      "\"underlay\" in vnetd's configuration");
	}
	oc->vnis = table_create("vni", oc->n_vnis, sizeof(uint32_t));
	oc->vteps = table_create("vtep", oc->n_vteps, sizeof(rte_be32_t));
	oc->known = table_create("known", oc->n_known, sizeof(uint64_t));
	if (oc->vnis == NULL || oc->vteps == NULL || oc->known == NULL)
		return -ENOMEM;
	next_hops_set(oc);
	for (uint16_t v = 0; v < oc->n_vnis; v++)
		if (rte_hash_add_key_data(oc->vnis, &oc->vni_list[v].vni, &oc->vni_list[v]) < 0)
			return -ENOSPC;
	for (uint16_t t = 0; t < oc->n_vteps; t++)
		if (rte_hash_add_key_data(oc->vteps, &oc->vtep_list[t].ip, &oc->vtep_list[t]) < 0)
			return -ENOSPC;
	for (uint32_t k = 0; k < oc->n_known; k++)
		if (rte_hash_add_key(oc->known, &oc->known_list[k]) < 0)
			return -ENOSPC;
	return 0;
}

