// SPDX-License-Identifier: BSD-3-Clause
// The firewall's snapshot data: ports, memberships and the classifiers (fw_build.h).

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define DP_LOG_TYPE firewall_logtype
#include "dataplane/log.h"
#include "dataplane/rules.h"
#include "dataplane/worker.h"
#include "firewall/fw.h"
#include "firewall/fw_build.h"

int fw_cfg_index;

// ---- rte_acl layouts (fw.h: struct fw_acl_in4 / fw_acl_in6) -----------------------------------

// Each input group (input_index) is 4 bytes of fields: the destination port shares its group with
// a field that matches everything.
enum { F4_PROTO, F4_REMOTE, F4_DPORT, F4_ANY, F4_GLO, F4_GHI, F4_COUNT };
enum { F6_PROTO, F6_R0, F6_R1, F6_R2, F6_R3, F6_DPORT, F6_ANY, F6_GLO, F6_GHI, F6_COUNT };

RTE_ACL_RULE_DEF(fw_acl_rule4, F4_COUNT);
RTE_ACL_RULE_DEF(fw_acl_rule6, F6_COUNT);

static void acl_defs4(struct rte_acl_config *c) {
	static const struct rte_acl_field_def d[F4_COUNT] = {
		{RTE_ACL_FIELD_TYPE_BITMASK, 1, F4_PROTO, 0, offsetof(struct fw_acl_in4, proto)},
		{RTE_ACL_FIELD_TYPE_MASK, 4, F4_REMOTE, 1, offsetof(struct fw_acl_in4, remote)},
		{RTE_ACL_FIELD_TYPE_RANGE, 2, F4_DPORT, 2, offsetof(struct fw_acl_in4, dport)},
		{RTE_ACL_FIELD_TYPE_RANGE, 2, F4_ANY, 2, offsetof(struct fw_acl_in4, any)},
		{RTE_ACL_FIELD_TYPE_BITMASK, 4, F4_GLO, 3, offsetof(struct fw_acl_in4, g_lo)},
		{RTE_ACL_FIELD_TYPE_BITMASK, 4, F4_GHI, 4, offsetof(struct fw_acl_in4, g_hi)},
	};
	c->num_categories = 1;
	c->num_fields = F4_COUNT;
	memcpy(c->defs, d, sizeof(d));
}

static void acl_defs6(struct rte_acl_config *c) {
	static const struct rte_acl_field_def d[F6_COUNT] = {
		{RTE_ACL_FIELD_TYPE_BITMASK, 1, F6_PROTO, 0, offsetof(struct fw_acl_in6, proto)},
		{RTE_ACL_FIELD_TYPE_MASK, 4, F6_R0, 1, offsetof(struct fw_acl_in6, remote[0])},
		{RTE_ACL_FIELD_TYPE_MASK, 4, F6_R1, 2, offsetof(struct fw_acl_in6, remote[1])},
		{RTE_ACL_FIELD_TYPE_MASK, 4, F6_R2, 3, offsetof(struct fw_acl_in6, remote[2])},
		{RTE_ACL_FIELD_TYPE_MASK, 4, F6_R3, 4, offsetof(struct fw_acl_in6, remote[3])},
		{RTE_ACL_FIELD_TYPE_RANGE, 2, F6_DPORT, 5, offsetof(struct fw_acl_in6, dport)},
		{RTE_ACL_FIELD_TYPE_RANGE, 2, F6_ANY, 5, offsetof(struct fw_acl_in6, any)},
		{RTE_ACL_FIELD_TYPE_BITMASK, 4, F6_GLO, 6, offsetof(struct fw_acl_in6, g_lo)},
		{RTE_ACL_FIELD_TYPE_BITMASK, 4, F6_GHI, 7, offsetof(struct fw_acl_in6, g_hi)},
	};
	c->num_categories = 1;
	c->num_fields = F6_COUNT;
	memcpy(c->defs, d, sizeof(d));
}

// The fields common to both layouts of rule r, whose remote_group is bit `bit` (-1: none).
static void acl_common(const struct fw_rule *r, int bit, struct rte_acl_field *proto,
		       struct rte_acl_field *dport, struct rte_acl_field *glo,
		       struct rte_acl_field *ghi) {
	uint64_t m = bit >= 0 ? 1ULL << bit : 0;

	dport[1].value.u16 = 0; // the field beside it (F*_ANY follows F*_DPORT): everything
	dport[1].mask_range.u16 = 65535;
	proto->value.u8 = r->proto >= 0 ? (uint8_t)r->proto : 0;
	proto->mask_range.u8 = r->proto >= 0 ? 0xff : 0;
	dport->value.u16 = r->port_lo;
	dport->mask_range.u16 = r->port_hi;
	glo->value.u32 = (uint32_t)m;
	glo->mask_range.u32 = (uint32_t)m;
	ghi->value.u32 = (uint32_t)(m >> 32);
	ghi->mask_range.u32 = (uint32_t)(m >> 32);
}

// The rte_acl context of set s for direction `dir` and family `family` from rules[idx[0..n)]
// (their priority: first highest), or NULL if none applies. *err on failure.
static struct rte_acl_ctx *acl_make(const struct fw_cfg *fc, const struct fw_set *s, uint16_t si,
				    int dir, int family, bool l7, const uint32_t *idx, uint32_t n,
				    int *err) {
	struct rte_acl_param ap = {.socket_id = SOCKET_ID_ANY, .max_rule_num = n};
	struct rte_acl_config cfg = {0};
	struct rte_acl_ctx *ctx;
	char name[RTE_ACL_NAMESIZE];
	uint32_t added = 0;

	*err = 0;
	snprintf(name, sizeof(name), "fw%u_%u_%d%d%s", fc->gen, si, dir, family, l7 ? "l7" : "");
	ap.name = name;
	ap.rule_size = family == 4 ? RTE_ACL_RULE_SZ(F4_COUNT) : RTE_ACL_RULE_SZ(F6_COUNT);
	ctx = rte_acl_create(&ap);
	if (ctx == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct fw_rule *r = &fc->rules[idx[k]];
		int bit = -1, ret;

		if (r->dir != dir || (r->family != 0 && r->family != family) || r->has_l7 != l7)
			continue;
		if (r->remote_group >= 0)
			for (int b = 0; b < s->n_remote; b++)
				if (s->remote[b] == r->remote_group)
					bit = b;
		struct rte_acl_rule_data data = {.category_mask = 1,
						 .priority = (int32_t)(n - k),
						 .userdata = idx[k] + 1};
		if (family == 4) {
			struct fw_acl_rule4 a = {.data = data};
			uint32_t ip;
			memcpy(&ip, r->remote, 4);
			a.field[F4_REMOTE].value.u32 = rte_be_to_cpu_32(ip);
			a.field[F4_REMOTE].mask_range.u32 = r->remote_len;
			acl_common(r, bit, &a.field[F4_PROTO], &a.field[F4_DPORT], &a.field[F4_GLO],
				   &a.field[F4_GHI]);
			ret = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&a, 1);
		} else {
			struct fw_acl_rule6 a = {.data = data};
			for (int w = 0; w < 4; w++) {
				uint32_t word;
				int len = (int)r->remote_len - 32 * w;
				memcpy(&word, r->remote + 4 * w, 4);
				a.field[F6_R0 + w].value.u32 = rte_be_to_cpu_32(word);
				a.field[F6_R0 + w].mask_range.u32 =
					(uint32_t)(len <= 0 ? 0 : len >= 32 ? 32 : len);
			}
			acl_common(r, bit, &a.field[F6_PROTO], &a.field[F6_DPORT], &a.field[F6_GLO],
				   &a.field[F6_GHI]);
			ret = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&a, 1);
		}
		if (ret < 0) {
			*err = ret;
			rte_acl_free(ctx);
			return NULL;
		}
		added++;
	}
	if (added == 0) {
		rte_acl_free(ctx);
		return NULL;
	}
	if (family == 4)
		acl_defs4(&cfg);
	else
		acl_defs6(&cfg);
	if ((*err = rte_acl_build(ctx, &cfg)) < 0) {
		rte_acl_free(ctx);
		return NULL;
	}
	return ctx;
}

// ---- the data ----------------------------------------------------------------------------------

struct fw_cfg *fw_cfg_alloc(const json_t *doc) {
	struct fw_cfg *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return NULL;
	fc->src_doc = json_incref((json_t *)doc);
	for (uint32_t p = 0; p < DP_PORTS_MAX; p++)
		fc->port[p].set = FW_SET_NONE;
	return fc;
}

void fw_cfg_free(struct fw_cfg *fc) {
	if (fc == NULL)
		return;
	for (uint16_t i = 0; i < fc->n_sets; i++)
		for (int d = 0; d < 2; d++)
			for (int f = 0; f < 2; f++) {
				rte_acl_free(fc->sets[i].acl[d][f]);
				rte_acl_free(fc->sets[i].acl_l7[d][f]);
			}
	for (uint16_t i = 0; i < fc->n_sets; i++)
		for (int d = 0; d < 2; d++)
			free(fc->sets[i].l7[d]);
	rte_free(fc->hits);
	free(fc->hits_base);
	rte_hash_free(fc->members);
	free(fc->member_groups);
	free(fc->member_n);
	free(fc->sets);
	free(fc->rules);
	free(fc->groups);
	free(fc->ports);
	free(fc->addrs);
	json_decref(fc->src_doc);
	free(fc);
}

void fw_cfg_free_data(void *data) {
	fw_cfg_free(data);
}

static int group_index(const struct fw_cfg *fc, const char *id) {
	for (uint16_t g = 0; g < fc->n_groups; g++)
		if (strcmp(fc->groups[g].id, id) == 0)
			return g;
	return -1;
}

// The groups named by `sgs` (unknown ones are the engine's reference errors) into out (sorted,
// unique). 0, or an error at `path`.
static int groups_read(struct rules_ctx *ctx, const struct fw_cfg *fc, const json_t *sgs,
		       const char *path, uint16_t out[FW_PORT_GROUPS_MAX], uint8_t *n) {
	const json_t *v;
	size_t i;

	*n = 0;
	if (json_array_size(sgs) > FW_PORT_GROUPS_MAX)
		return rules_error(ctx, path, "%zu security groups, at most %d",
				   json_array_size(sgs), FW_PORT_GROUPS_MAX);
	json_array_foreach(sgs, i, v) {
		int g = json_is_string(v) ? group_index(fc, json_string_value(v)) : -1;
		uint8_t k = 0;

		if (g < 0)
			continue;
		while (k < *n && out[k] < g)
			k++;
		if (k < *n && out[k] == g)
			continue;
		memmove(&out[k + 1], &out[k], (*n - k) * sizeof(out[0]));
		out[k] = (uint16_t)g;
		(*n)++;
	}
	return 0;
}

static int addr_add(struct fw_cfg *fc, const char *network, const json_t *ips,
		    const uint16_t *groups, uint8_t n_groups) {
	const json_t *v;
	size_t i;

	if (n_groups == 0)
		return 0;
	json_array_foreach(ips, i, v) {
		struct fw_addr_spec a = {.network = network, .n_groups = n_groups};
		int family;

		if (!json_is_string(v) || rules_parse_ip(json_string_value(v), &family, a.addr) < 0)
			continue; // vswitch / overlay report it
		a.family = (uint8_t)family;
		memcpy(a.groups, groups, n_groups * sizeof(groups[0]));
		if ((fc->n_addrs & (fc->n_addrs + 1)) == 0 || fc->n_addrs == 0) {
			struct fw_addr_spec *n =
				realloc(fc->addrs, (fc->n_addrs * 2 + 2) * sizeof(*n));
			if (n == NULL)
				return -ENOMEM;
			fc->addrs = n;
		}
		fc->addrs[fc->n_addrs++] = a;
	}
	return 0;
}

int fw_ports_parse(struct rules_ctx *ctx, const json_t *doc, struct fw_cfg *fc) {
	const json_t *ports = json_object_get(doc, "ports"), *rps = json_object_get(doc, "remote_ports");
	const json_t *o;
	char path[96];
	size_t i;
	int ret;

	fc->ports = calloc(json_array_size(ports) + 1, sizeof(*fc->ports));
	if (fc->ports == NULL)
		return -ENOMEM;
	json_array_foreach(ports, i, o) {
		struct fw_port_spec *p = &fc->ports[fc->n_ports];
		const json_t *ps = json_object_get(o, "port_security");

		p->id = json_string_value(json_object_get(o, "id"));
		p->network = json_string_value(json_object_get(o, "network"));
		if (p->id == NULL || p->network == NULL)
			continue; // vswitch reports it
		p->port_security = !json_is_false(ps);
		// Filtered by groups when it has port security and says which groups (even none:
		// then nothing is allowed); without the key, port security alone (docs/firewall.md).
		p->filtered = p->port_security && json_object_get(o, "security_groups") != NULL;
		snprintf(path, sizeof(path), "ports[%zu].security_groups", i);
		ret = groups_read(ctx, fc, json_object_get(o, "security_groups"), path, p->groups,
				  &p->n_groups);
		if (ret == 0)
			ret = addr_add(fc, p->network, json_object_get(o, "ips"), p->groups,
				       p->n_groups);
		if (ret < 0)
			return ret;
		fc->n_ports++;
	}
	json_array_foreach(rps, i, o) {
		const char *network = json_string_value(json_object_get(o, "network"));
		uint16_t groups[FW_PORT_GROUPS_MAX];
		uint8_t n;

		if (network == NULL)
			continue;
		snprintf(path, sizeof(path), "remote_ports[%zu].security_groups", i);
		ret = groups_read(ctx, fc, json_object_get(o, "security_groups"), path, groups, &n);
		if (ret == 0)
			ret = addr_add(fc, network, json_object_get(o, "ips"), groups, n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

// The zone of network `id`: its tenant's id (rules.h), or -1.
static int net_zone(struct rules_ctx *ctx, const char *id) {
	const struct rules_object *n = rules_object_find(ctx, "network", id);

	return n != NULL && n->tenant_id > 0 && n->tenant_id <= UINT16_MAX ? (int)n->tenant_id
									    : -1;
}

// The set of groups `groups[0..n)` (sorted): an existing one or a new one. -ENOMEM.
static int set_find(struct fw_cfg *fc, const uint16_t *groups, uint8_t n) {
	struct fw_set *ns;

	for (uint16_t i = 0; i < fc->n_sets; i++)
		if (fc->sets[i].n_groups == n &&
		    memcmp(fc->sets[i].groups, groups, n * sizeof(groups[0])) == 0)
			return i;
	ns = realloc(fc->sets, (fc->n_sets + 1) * sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	fc->sets = ns;
	memset(&ns[fc->n_sets], 0, sizeof(ns[0]));
	ns[fc->n_sets].n_groups = n;
	memcpy(ns[fc->n_sets].groups, groups, n * sizeof(groups[0]));
	return fc->n_sets++;
}

// The classifiers of set si, for its first port `path`.
static int set_build(struct rules_ctx *ctx, struct fw_cfg *fc, uint16_t si, const char *path) {
	struct fw_set *s = &fc->sets[si];
	uint32_t *idx, n = 0;
	int err = 0;

	for (uint8_t g = 0; g < s->n_groups; g++)
		n += fc->groups[s->groups[g]].n_rules;
	idx = malloc((n + 1) * sizeof(*idx));
	if (idx == NULL)
		return -ENOMEM;
	n = 0;
	for (uint8_t g = 0; g < s->n_groups; g++) {
		const struct fw_group *gr = &fc->groups[s->groups[g]];
		for (uint32_t r = 0; r < gr->n_rules; r++) {
			const struct fw_rule *rule = &fc->rules[gr->first_rule + r];
			bool known = false;

			idx[n++] = gr->first_rule + r;
			if (rule->remote_group < 0)
				continue;
			for (uint8_t b = 0; b < s->n_remote; b++)
				known |= s->remote[b] == rule->remote_group;
			if (known)
				continue;
			if (s->n_remote == FW_SET_REMOTE_GROUPS_MAX) {
				free(idx);
				return rules_error(ctx, path,
						   "its security groups name more than %d different "
						   "remote groups",
						   FW_SET_REMOTE_GROUPS_MAX);
			}
			s->remote[s->n_remote++] = (uint16_t)rule->remote_group;
		}
	}
	for (int d = 0; d < 2; d++) {
		s->l7[d] = malloc(FW_SET_L7_RULES_MAX * sizeof(*s->l7[d]));
		if (s->l7[d] == NULL) {
			free(idx);
			return -ENOMEM;
		}
		for (uint32_t k = 0; k < n; k++) {
			if (!fc->rules[idx[k]].has_l7 || fc->rules[idx[k]].dir != d)
				continue;
			if (s->n_l7[d] == FW_SET_L7_RULES_MAX) {
				free(idx);
				return rules_error(ctx, path,
						   "its security groups hold more than %d %s rules "
						   "with an \"l7\" match",
						   FW_SET_L7_RULES_MAX, d == FW_INGRESS ? "ingress" : "egress");
			}
			s->l7[d][s->n_l7[d]++] = idx[k];
		}
	}
	for (int d = 0; d < 2 && err == 0; d++)
		for (int f = 0; f < 2 && err == 0; f++) {
			s->acl[d][f] = acl_make(fc, s, si, d, f == 0 ? 4 : 6, false, idx, n, &err);
			if (err == 0 && s->n_l7[d] > 0)
				s->acl_l7[d][f] =
					acl_make(fc, s, si, d, f == 0 ? 4 : 6, true, idx, n, &err);
		}
	free(idx);
	if (err < 0)
		return rules_error(ctx, path, "cannot build its security groups' classifier: %s",
				   rte_strerror(-err));
	return 0;
}

// The memberships: every address of a port in a group, by (zone, family, address).
static int members_build(struct rules_ctx *ctx, struct fw_cfg *fc) {
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = fc->n_addrs < 8 ? 8 : fc->n_addrs,
		.key_len = sizeof(struct fw_member_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (fc->n_addrs == 0)
		return 0;
	snprintf(name, sizeof(name), "fw_members%u", fc->gen);
	fc->members = rte_hash_create(&hp);
	fc->member_groups = calloc(fc->n_addrs, sizeof(*fc->member_groups));
	fc->member_n = calloc(fc->n_addrs, sizeof(*fc->member_n));
	if (fc->members == NULL || fc->member_groups == NULL || fc->member_n == NULL)
		return rules_error(ctx, "security_groups", "out of memory for the memberships");
	for (uint32_t i = 0; i < fc->n_addrs; i++) {
		const struct fw_addr_spec *a = &fc->addrs[i];
		struct fw_member_key k = {.family = a->family};
		int zone = net_zone(ctx, a->network);
		void *data;
		uintptr_t m;

		if (zone < 0)
			continue;
		k.zone = (uint16_t)zone;
		memcpy(k.addr, a->addr, a->family == 4 ? 4 : 16);
		if (rte_hash_lookup_data(fc->members, &k, &data) >= 0) {
			m = (uintptr_t)data;
		} else {
			m = fc->n_members++;
			if (rte_hash_add_key_data(fc->members, &k, (void *)m) < 0)
				return rules_error(ctx, "security_groups",
						   "out of memory for the memberships");
		}
		// The groups of every port with this address (allowed address pairs, a moved IP).
		for (uint8_t g = 0; g < a->n_groups; g++) {
			bool have = false;
			for (uint8_t j = 0; j < fc->member_n[m]; j++)
				have |= fc->member_groups[m][j] == a->groups[g];
			if (!have && fc->member_n[m] < FW_PORT_GROUPS_MAX)
				fc->member_groups[m][fc->member_n[m]++] = a->groups[g];
		}
	}
	return 0;
}

// The firewall data of the snapshot in use (set when it is published): rule counts carry over.
static const struct fw_cfg *fw_applied;

void fw_cfg_published(const struct dp_config *old, const struct dp_config *cfg) {
	RTE_SET_USED(old);
	fw_applied = fw_cfg_get(cfg);
}

uint64_t fw_rule_hits(const struct fw_cfg *fc, uint32_t i) {
	uint64_t n = fc->hits_base != NULL ? fc->hits_base[i] : 0;

	for (uint32_t w = 0; w < fc->n_hit_workers; w++)
		n += __atomic_load_n(&fc->hits[(size_t)w * fc->n_rules + i], __ATOMIC_RELAXED);
	return n;
}

// Counters for every rule and worker, starting from what the same rule (group and id) counted in
// the snapshot in use.
static int hits_init(struct fw_cfg *fc) {
	fc->n_hit_workers = dp_workers_count() ? dp_workers_count() : 1;
	if (fc->n_rules == 0)
		return 0;
	fc->hits = rte_zmalloc("fw_hits", (size_t)fc->n_hit_workers * fc->n_rules * sizeof(uint64_t),
			       RTE_CACHE_LINE_SIZE);
	fc->hits_base = calloc(fc->n_rules, sizeof(*fc->hits_base));
	if (fc->hits == NULL || fc->hits_base == NULL)
		return -ENOMEM;
	if (fw_applied == NULL || fw_applied->n_rules == 0)
		return 0;
	for (uint32_t i = 0; i < fc->n_rules; i++) {
		const struct fw_rule *r = &fc->rules[i];
		const char *gid = fc->groups[r->group].id;
		for (uint32_t j = 0; j < fw_applied->n_rules; j++) {
			const struct fw_rule *o = &fw_applied->rules[j];
			if (strcmp(o->id, r->id) == 0 && strcmp(fw_applied->groups[o->group].id, gid) == 0) {
				fc->hits_base[i] = fw_rule_hits(fw_applied, j);
				break;
			}
		}
	}
	return 0;
}

// FNV-1a over `len` bytes (any alignment), continuing from h.
static uint32_t sig_add(const void *data, size_t len, uint32_t h) {
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

// The signature of rule r: its group, id and every match, L7 included (the same rule in another
// document has the same one).
static uint32_t rule_sig(const struct fw_cfg *fc, const struct fw_rule *r) {
	const json_t *rule = NULL, *l7;
	uint32_t h = sig_add(fc->groups[r->group].id, strlen(fc->groups[r->group].id), 2166136261u);
	char *dump;

	h = sig_add(r->id, strlen(r->id), h);
	h = sig_add(&r->dir, sizeof(r->dir), h);
	h = sig_add(&r->family, sizeof(r->family), h);
	h = sig_add(&r->proto, sizeof(r->proto), h);
	h = sig_add(&r->port_lo, sizeof(r->port_lo), h);
	h = sig_add(&r->port_hi, sizeof(r->port_hi), h);
	h = sig_add(&r->remote_len, sizeof(r->remote_len), h);
	h = sig_add(r->remote, sizeof(r->remote), h);
	if (r->remote_group_id != NULL)
		h = sig_add(r->remote_group_id, strlen(r->remote_group_id), h);
	if (!r->has_l7)
		return h | 1;
	// The L7 match as the document says it (keys sorted); groups[i] is security_groups[i].
	rule = json_array_get(json_object_get(json_array_get(json_object_get(fc->src_doc,
									      "security_groups"),
							     r->group),
					      "rules"),
			      r->index);
	l7 = json_object_get(rule, "l7");
	dump = l7 != NULL ? json_dumps(l7, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	if (dump != NULL)
		h = sig_add(dump, strlen(dump), h);
	free(dump);
	return h | 1; // never 0: 0 is "no rule"
}

int fw_cfg_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data) {
	static uint32_t gens;
	struct fw_cfg *fc = data;
	char path[96];
	int ret;

	if (fc == NULL)
		return 0;
	fc->gen = ++gens;
	if (hits_init(fc) < 0)
		return rules_error(ctx, "security_groups", "out of memory for the rules' counters");
	for (uint32_t r = 0; r < fc->n_rules; r++) {
		fc->rules[r].remote_group = fc->rules[r].remote_group_id != NULL
						    ? (int16_t)group_index(fc, fc->rules[r].remote_group_id)
						    : -1;
		fc->rules[r].sig = rule_sig(fc, &fc->rules[r]);
	}
	for (uint32_t i = 0; i < fc->n_ports; i++) {
		const struct fw_port_spec *p = &fc->ports[i];
		const struct dp_port *dp = dp_config_port_lookup(cfg, p->id);
		const struct rules_object *net = rules_object_find(ctx, "network", p->network);
		int zone = net_zone(ctx, p->network), set;

		snprintf(path, sizeof(path), "ports[%u]", i);
		if (dp == NULL || dp->port_id >= DP_PORTS_MAX)
			continue;
		if (zone < 0)
			return rules_error(ctx, path, "its network's tenant has no conntrack zone");
		for (uint8_t g = 0; g < p->n_groups && net != NULL; g++)
			if (strcmp(fc->groups[p->groups[g]].tenant, net->tenant) != 0)
				return rules_error(ctx, path,
						   "security group \"%s\" belongs to tenant \"%s\", not "
						   "\"%s\" (its network's)",
						   fc->groups[p->groups[g]].id,
						   fc->groups[p->groups[g]].tenant, net->tenant);
		fc->port[dp->port_id].zone = (uint16_t)zone;
		if (!p->filtered)
			continue;
		set = set_find(fc, p->groups, p->n_groups);
		if (set < 0)
			return set;
		if (!fc->sets[set].built && (ret = set_build(ctx, fc, (uint16_t)set, path)) < 0)
			return ret;
		fc->sets[set].built = true;
		fc->port[dp->port_id].set = (uint16_t)set;
	}
	return members_build(ctx, fc);
}

uint64_t fw_remote_mask(const struct fw_cfg *fc, const struct fw_set *s, uint16_t zone,
			uint8_t family, const void *addr) {
	struct fw_member_key k = {.zone = zone, .family = family};
	uint64_t mask = 0;
	void *data;

	if (s->n_remote == 0 || fc->members == NULL)
		return 0;
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	if (rte_hash_lookup_data(fc->members, &k, &data) < 0)
		return 0;
	uintptr_t m = (uintptr_t)data;
	for (uint8_t j = 0; j < fc->member_n[m]; j++)
		for (uint8_t b = 0; b < s->n_remote; b++)
			if (s->remote[b] == fc->member_groups[m][j])
				mask |= 1ULL << b;
	return mask;
}
