// SPDX-License-Identifier: BSD-3-Clause
// The "security_groups" part of the rules document (docs/rules-schema.md): stateful allow rules
// by direction, protocol, ports and remote (a prefix or another group), optionally narrowed by an
// L7 match (HTTP request line and Host, TLS ClientHello SNI, DNS query names). Parsed into the
// firewall's snapshot data (fw.h): the rules flattened, the ports' groups and the addresses'
// memberships; build makes the classifiers (fw_build.c). L7 matches are validated, not inspected
// yet: a rule with one allows nothing. Control thread only.

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dataplane/rules.h"
#include "firewall/fw.h"
#include "firewall/fw_build.h"

#define SG_GROUPS_MAX 4096
#define SG_RULES_MAX 1024
#define SG_NAMES_MAX 256 // host names in one l7 "sni" or "names" list
#define SG_DESCRIPTION_LEN_MAX 255
#define SG_PATH_PREFIX_LEN_MAX 1024
#define SG_HOSTNAME_LEN_MAX 253
#define SG_LABEL_LEN_MAX 63
#define SG_PATH_SIZE 160

#define SG_PROTO_ANY -1

// What the checks between the fields of one rule need to know.
struct sg_rule_spec {
	int proto;  // IP protocol number or SG_PROTO_ANY
	int family; // 4 or 6, 0 for both
	bool has_ports;
	uint16_t port_lo, port_hi;
	const char *remote_group;
	uint8_t remote[16], remote_len;
};

// A group's id and tenant, to keep remote_group references within a tenant.
struct sg_owner {
	const char *id;
	const char *tenant;
};

static const struct {
	const char *name;
	int proto;
} sg_protos[] = {
	{"any", SG_PROTO_ANY},  {"tcp", IPPROTO_TCP},      {"udp", IPPROTO_UDP},
	{"icmp", IPPROTO_ICMP}, {"icmp6", IPPROTO_ICMPV6},
};

const char *const fw_http_methods[] = {
	"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", NULL,
};

// Format a path ("security_groups[2].rules[0].ports") into `buf` (SG_PATH_SIZE bytes).
static __rte_format_printf(2, 3) const char *sg_path(char *buf, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, SG_PATH_SIZE, fmt, ap);
	va_end(ap);
	return buf;
}

// A host name (RFC 1123 section 2.1): dot-separated labels of 1..63 letters, digits and hyphens,
// neither starting nor ending with a hyphen, 253 characters at most; "*." may lead (a wildcard:
// "*.shop.example" matches any name ending in ".shop.example").
static bool hostname_is_valid(const char *s) {
	size_t label = 0;

	if (strlen(s) > SG_HOSTNAME_LEN_MAX)
		return false;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > SG_LABEL_LEN_MAX || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}

// A non-empty list of host names or "*." wildcards at "<path>.<key>".
static int l7_names_parse(struct rules_ctx *ctx, const json_t *obj, const char *path,
			  const char *key) {
	char field[SG_PATH_SIZE];
	const json_t *names, *v;
	size_t i;
	int ret;

	ret = rules_get_array(ctx, obj, path, key, true, &names);
	if (ret < 0)
		return ret;
	sg_path(field, "%s.%s", path, key);
	if (json_array_size(names) == 0 || json_array_size(names) > SG_NAMES_MAX)
		return rules_error(ctx, field, "%zu names, must be 1..%d", json_array_size(names),
				   SG_NAMES_MAX);
	json_array_foreach(names, i, v) {
		sg_path(field, "%s.%s[%zu]", path, key, i);
		if (!json_is_string(v))
			return rules_error(ctx, field, "must be a string");
		if (!hostname_is_valid(json_string_value(v)))
			return rules_error(ctx, field,
					   "\"%s\" is not a host name or \"*.\" wildcard (labels "
					   "of 1..63 letters, digits or inner '-', 253 characters "
					   "at most)",
					   json_string_value(v));
	}
	return 0;
}

static int l7_methods_parse(struct rules_ctx *ctx, const json_t *methods, const char *path) {
	char field[SG_PATH_SIZE];
	const json_t *v;
	size_t i, m;

	sg_path(field, "%s.methods", path);
	if (json_array_size(methods) == 0)
		return rules_error(ctx, field,
				   "must not be empty (leave it out to allow any method)");
	json_array_foreach(methods, i, v) {
		sg_path(field, "%s.methods[%zu]", path, i);
		for (m = 0; fw_http_methods[m] != NULL; m++)
			if (json_is_string(v) && strcmp(json_string_value(v), fw_http_methods[m]) == 0)
				break;
		if (fw_http_methods[m] == NULL)
			return rules_error(ctx, field,
					   "not an HTTP method (GET, POST, PUT, DELETE, PATCH, "
					   "HEAD, OPTIONS, CONNECT, TRACE)");
	}
	return 0;
}

// l7.http: {host, path_prefix, methods}, every field optional.
static int l7_http_parse(struct rules_ctx *ctx, const json_t *http, const char *path) {
	static const char *const keys[] = {"host", "path_prefix", "methods", NULL};
	const char *host = NULL, *prefix = NULL;
	const json_t *methods = NULL;
	char field[SG_PATH_SIZE];
	int ret;

	ret = rules_check_keys(ctx, http, path, keys);
	if (ret == 0)
		ret = rules_get_string(ctx, http, path, "host", false, &host);
	if (ret == 0)
		ret = rules_get_string(ctx, http, path, "path_prefix", false, &prefix);
	if (ret == 0)
		ret = rules_get_array(ctx, http, path, "methods", false, &methods);
	if (ret < 0)
		return ret;

	sg_path(field, "%s.host", path);
	if (host != NULL && !hostname_is_valid(host))
		return rules_error(ctx, field, "\"%s\" is not a host name or \"*.\" wildcard",
				   host);
	sg_path(field, "%s.path_prefix", path);
	if (prefix != NULL && prefix[0] != '/')
		return rules_error(ctx, field, "\"%s\" must start with \"/\"", prefix);
	for (const char *p = prefix; p != NULL && *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return rules_error(ctx, field,
					   "must be printable ASCII without spaces "
					   "(percent-encode the rest)");
	if (prefix != NULL && strlen(prefix) > SG_PATH_PREFIX_LEN_MAX)
		return rules_error(ctx, field, "%zu characters, at most %d", strlen(prefix),
				   SG_PATH_PREFIX_LEN_MAX);
	return methods != NULL ? l7_methods_parse(ctx, methods, path) : 0;
}

// A rule's "l7": exactly one of http (tcp), tls (tcp) or dns (udp or tcp, port 53).
static int l7_parse(struct rules_ctx *ctx, const json_t *l7, const char *rule_path,
		    const struct sg_rule_spec *spec) {
	static const char *const keys[] = {"http", "tls", "dns", NULL};
	static const char *const tls_keys[] = {"sni", NULL}, *const dns_keys[] = {"names", NULL};
	char path[SG_PATH_SIZE], field[SG_PATH_SIZE];
	const json_t *v;
	const char *kind;
	int ret;

	sg_path(path, "%s.l7", rule_path);
	ret = rules_check_keys(ctx, l7, path, keys);
	if (ret < 0)
		return ret;
	if (json_object_size(l7) != 1)
		return rules_error(ctx, path,
				   "must hold exactly one of \"http\", \"tls\", \"dns\"");
	kind = json_object_iter_key(json_object_iter((json_t *)l7));
	v = json_object_get(l7, kind);
	sg_path(field, "%s.%s", path, kind);

	if (strcmp(kind, "dns") != 0 && spec->proto != IPPROTO_TCP)
		return rules_error(ctx, field, "needs \"protocol\": \"tcp\"");
	if (strcmp(kind, "dns") == 0 && spec->proto != IPPROTO_TCP && spec->proto != IPPROTO_UDP)
		return rules_error(ctx, field, "needs \"protocol\": \"udp\" or \"tcp\"");
	if (strcmp(kind, "dns") == 0 && spec->has_ports &&
	    (spec->port_lo != 53 || spec->port_hi != 53))
		return rules_error(ctx, field,
				   "implies port 53: leave \"ports\" out or make it \"53\"");

	if (strcmp(kind, "http") == 0)
		return l7_http_parse(ctx, v, field);
	ret = rules_check_keys(ctx, v, field, strcmp(kind, "tls") == 0 ? tls_keys : dns_keys);
	if (ret < 0)
		return ret;
	return l7_names_parse(ctx, v, field, strcmp(kind, "tls") == 0 ? "sni" : "names");
}

// "protocol" (a name or a number, default "any") and "ethertype", which must agree.
static int sg_proto_parse(struct rules_ctx *ctx, const json_t *rule, const char *path,
			  struct sg_rule_spec *spec) {
	const json_t *v = json_object_get(rule, "protocol");
	const char *ethertype = NULL;
	char field[SG_PATH_SIZE];
	int family, ret;

	sg_path(field, "%s.protocol", path);
	spec->proto = SG_PROTO_ANY;
	if (json_is_string(v)) {
		size_t i = 0;
		while (i < RTE_DIM(sg_protos) && strcmp(json_string_value(v), sg_protos[i].name))
			i++;
		if (i == RTE_DIM(sg_protos))
			return rules_error(ctx, field,
					   "\"%s\" is not \"any\", \"tcp\", \"udp\", "
					   "\"icmp\", \"icmp6\" or a number 0..255",
					   json_string_value(v));
		spec->proto = sg_protos[i].proto;
	} else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		   json_integer_value(v) <= 255) {
		spec->proto = (int)json_integer_value(v); // 1, 6, 17, 58 behave as their names
	} else if (v != NULL) {
		return rules_error(ctx, field, "must be a protocol name or a number 0..255");
	}

	spec->family = spec->proto == IPPROTO_ICMP ? 4 : spec->proto == IPPROTO_ICMPV6 ? 6 : 0;
	ret = rules_get_string(ctx, rule, path, "ethertype", false, &ethertype);
	if (ret < 0 || ethertype == NULL)
		return ret;
	sg_path(field, "%s.ethertype", path);
	if (strcmp(ethertype, "ipv4") != 0 && strcmp(ethertype, "ipv6") != 0)
		return rules_error(ctx, field, "\"%s\" is not \"ipv4\" or \"ipv6\"", ethertype);
	family = strcmp(ethertype, "ipv4") == 0 ? 4 : 6;
	if (spec->family != 0 && family != spec->family)
		return rules_error(ctx, field, "\"%s\" contradicts the protocol (IPv%d only)",
				   ethertype, spec->family);
	spec->family = family;
	return 0;
}

// "ports": "80" or "1000-2000", tcp and udp only.
static int sg_ports_parse(struct rules_ctx *ctx, const json_t *rule, const char *path,
			  struct sg_rule_spec *spec) {
	char field[SG_PATH_SIZE], *end;
	const char *s = NULL;
	unsigned long lo, hi;
	int ret;

	ret = rules_get_string(ctx, rule, path, "ports", false, &s);
	if (ret < 0 || s == NULL)
		return ret;
	sg_path(field, "%s.ports", path);
	if (spec->proto != IPPROTO_TCP && spec->proto != IPPROTO_UDP)
		return rules_error(ctx, field, "only with \"protocol\": \"tcp\" or \"udp\"");
	lo = hi = isdigit((unsigned char)s[0]) ? strtoul(s, &end, 10) : 0;
	if (lo != 0 && *end == '-' && isdigit((unsigned char)end[1]))
		hi = strtoul(end + 1, &end, 10);
	if (lo == 0 || *end != '\0' || hi > 65535 || lo > hi)
		return rules_error(ctx, field,
				   "\"%s\" is not a port \"1..65535\" or a range \"low-high\" "
				   "with low <= high",
				   s);
	spec->has_ports = true;
	spec->port_lo = (uint16_t)lo;
	spec->port_hi = (uint16_t)hi;
	return 0;
}

// "remote" (a prefix of the rule's family) or "remote_group", not both.
static int sg_remote_parse(struct rules_ctx *ctx, const json_t *rule, const char *path,
			   struct sg_rule_spec *spec) {
	const char *remote = NULL, *group = NULL;
	char field[SG_PATH_SIZE];
	uint8_t addr[16], len;
	int family, ret;

	ret = rules_get_string(ctx, rule, path, "remote", false, &remote);
	if (ret == 0)
		ret = rules_get_id(ctx, rule, path, "remote_group", false, &group);
	if (ret < 0)
		return ret;
	if (remote != NULL && group != NULL)
		return rules_error(ctx, path,
				   "has both \"remote\" and \"remote_group\"; "
				   "give one or neither");
	if (group != NULL) {
		sg_path(field, "%s.remote_group", path);
		rules_refer(ctx, "security_group", group, field);
		spec->remote_group = group;
		return 0;
	}
	if (remote == NULL)
		return 0;
	sg_path(field, "%s.remote", path);
	if (rules_parse_cidr(remote, &family, addr, &len) < 0)
		return rules_cidr_error(ctx, field, remote);
	if (spec->family != 0 && family != spec->family)
		return rules_error(ctx, field, "\"%s\" is IPv%d but the rule is IPv%d only", remote,
				   family, spec->family);
	spec->family = family; // a remote prefix limits the rule to its family
	memcpy(spec->remote, addr, 16);
	spec->remote_len = len;
	return 0;
}

static int fw_rules_grow(struct fw_cfg *fc);

// A validated "l7" into r->l7; a DNS rule without "ports" is a rule for port 53.
static void sg_l7_read(const json_t *l7, struct fw_rule *r) {
	const char *kind = json_object_iter_key(json_object_iter((json_t *)l7));
	const json_t *v = json_object_get(l7, kind), *m;
	size_t i;

	memset(&r->l7, 0, sizeof(r->l7));
	if (strcmp(kind, "http") == 0) {
		r->l7.kind = FW_L7_HTTP;
		r->l7.host = json_string_value(json_object_get(v, "host"));
		r->l7.path_prefix = json_string_value(json_object_get(v, "path_prefix"));
		json_array_foreach(json_object_get(v, "methods"), i, m)
			for (unsigned int b = 0; fw_http_methods[b] != NULL; b++)
				if (strcmp(json_string_value(m), fw_http_methods[b]) == 0)
					r->l7.methods |= (uint16_t)(1u << b);
	} else {
		r->l7.kind = strcmp(kind, "tls") == 0 ? FW_L7_TLS : FW_L7_DNS;
		r->l7.names = json_object_get(v, r->l7.kind == FW_L7_TLS ? "sni" : "names");
		if (r->l7.kind == FW_L7_DNS && r->port_lo == 0 && r->port_hi == 65535)
			r->port_lo = r->port_hi = 53;
	}
}

// Parse one rule into `out` (its group and index set by the caller).
static int sg_rule_parse(struct rules_ctx *ctx, const json_t *rule, const char *path,
			 struct fw_rule *out) {
	static const char *const keys[] = {"id",     "direction",    "protocol", "ethertype", "ports",
					   "remote", "remote_group", "l7",       NULL};
	struct sg_rule_spec spec = {0};
	const char *direction = NULL, *id = NULL;
	const json_t *l7;
	char field[SG_PATH_SIZE];
	int ret;

	ret = rules_check_keys(ctx, rule, path, keys);
	if (ret == 0)
		ret = rules_get_id(ctx, rule, path, "id", false, &id);
	if (ret == 0)
		ret = rules_get_string(ctx, rule, path, "direction", true, &direction);
	if (ret < 0)
		return ret;
	sg_path(field, "%s.direction", path);
	if (strcmp(direction, "ingress") != 0 && strcmp(direction, "egress") != 0)
		return rules_error(ctx, field, "\"%s\" is not \"ingress\" or \"egress\"",
				   direction);
	ret = sg_proto_parse(ctx, rule, path, &spec);
	if (ret == 0)
		ret = sg_ports_parse(ctx, rule, path, &spec);
	if (ret == 0)
		ret = sg_remote_parse(ctx, rule, path, &spec);
	if (ret < 0)
		return ret;
	l7 = json_object_get(rule, "l7");
	if (l7 != NULL && (ret = l7_parse(ctx, l7, path, &spec)) < 0)
		return ret;
	out->dir = strcmp(direction, "ingress") == 0 ? FW_INGRESS : FW_EGRESS;
	out->family = (uint8_t)spec.family;
	out->proto = (int16_t)spec.proto;
	out->port_lo = spec.has_ports ? spec.port_lo : 0;
	out->port_hi = spec.has_ports ? spec.port_hi : 65535;
	out->remote_len = spec.remote_len;
	memcpy(out->remote, spec.remote, 16);
	out->remote_group = -1;
	out->remote_group_id = spec.remote_group;
	out->has_l7 = l7 != NULL;
	if (l7 != NULL)
		sg_l7_read(l7, out);
	if (id != NULL)
		snprintf(out->id, sizeof(out->id), "%s", id);
	return 0;
}

// Parse security_groups[i] into fc->groups[i] and its rules (appended to fc->rules).
static int sg_group_parse(struct rules_ctx *ctx, const json_t *obj, size_t i, struct fw_cfg *fc) {
	static const char *const keys[] = {"id", "tenant", "description", "rules", NULL};
	char path[SG_PATH_SIZE], field[SG_PATH_SIZE];
	struct fw_group *g = &fc->groups[i];
	const char *description = NULL;
	const json_t *rules = NULL, *rule;
	size_t r;
	int ret;

	sg_path(path, "security_groups[%zu]", i);
	ret = rules_check_keys(ctx, obj, path, keys);
	if (ret == 0)
		ret = rules_get_id(ctx, obj, path, "id", true, &g->id);
	if (ret == 0)
		ret = rules_get_id(ctx, obj, path, "tenant", true, &g->tenant);
	if (ret == 0)
		ret = rules_get_string(ctx, obj, path, "description", false, &description);
	if (ret == 0)
		ret = rules_get_array(ctx, obj, path, "rules", false, &rules);
	if (ret < 0)
		return ret;

	sg_path(field, "%s.id", path);
	ret = rules_define(ctx, "security_group", g->id, field);
	if (ret < 0)
		return ret;
	sg_path(field, "%s.description", path);
	if (description != NULL && strlen(description) > SG_DESCRIPTION_LEN_MAX)
		return rules_error(ctx, field, "%zu characters, at most %d", strlen(description),
				   SG_DESCRIPTION_LEN_MAX);
	sg_path(field, "%s.rules", path);
	if (json_array_size(rules) > SG_RULES_MAX)
		return rules_error(ctx, field, "%zu rules, at most %d per group",
				   json_array_size(rules), SG_RULES_MAX);
	g->first_rule = fc->n_rules;
	json_array_foreach(rules, r, rule) {
		struct fw_rule *fr;

		if (fw_rules_grow(fc) < 0)
			return -ENOMEM;
		fr = &fc->rules[fc->n_rules];
		memset(fr, 0, sizeof(*fr));
		fr->group = (uint16_t)i;
		fr->index = (uint16_t)r;
		sg_path(field, "%s.rules[%zu]", path, r);
		ret = sg_rule_parse(ctx, rule, field, fr);
		if (ret < 0)
			return ret;
		fc->n_rules++;
		g->n_rules++;
		if (fr->id[0] == '\0') {
			snprintf(fr->id, sizeof(fr->id), "%s#%zu", g->id, r);
			continue;
		}
		for (uint32_t k = g->first_rule; k + 1 < fc->n_rules; k++)
			if (strcmp(fc->rules[k].id, fr->id) == 0) {
				sg_path(field, "%s.rules[%zu].id", path, r);
				return rules_error(ctx, field, "\"%s\" is also rules[%u]'s id", fr->id,
						   fc->rules[k].index);
			}
	}
	return 0;
}

static int sg_owner_cmp(const void *a, const void *b) {
	return strcmp(((const struct sg_owner *)a)->id, ((const struct sg_owner *)b)->id);
}

// A rule may only name a group of its own group's tenant. `owners` is in document order; unknown
// groups are left to the engine's reference check.
static int sg_tenants_check(struct rules_ctx *ctx, const json_t *groups, struct sg_owner *owners,
			    size_t n) {
	struct sg_owner *sorted = malloc(n * sizeof(*sorted));
	const json_t *group, *rule;
	char path[SG_PATH_SIZE];
	size_t g, r;
	int ret = 0;

	if (sorted == NULL)
		return -ENOMEM;
	memcpy(sorted, owners, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), sg_owner_cmp);
	json_array_foreach(groups, g, group) {
		json_array_foreach(json_object_get(group, "rules"), r, rule) {
			struct sg_owner key = {
				json_string_value(json_object_get(rule, "remote_group"))};
			const struct sg_owner *o;

			if (key.id == NULL)
				continue;
			o = bsearch(&key, sorted, n, sizeof(*sorted), sg_owner_cmp);
			if (o == NULL || strcmp(o->tenant, owners[g].tenant) == 0)
				continue;
			sg_path(path, "security_groups[%zu].rules[%zu].remote_group", g, r);
			ret = rules_error(ctx, path,
					  "group \"%s\" belongs to tenant \"%s\", not \"%s\"",
					  o->id, o->tenant, owners[g].tenant);
			goto out;
		}
	}
out:
	free(sorted);
	return ret;
}

// Room for one more rule in fc->rules.
static int fw_rules_grow(struct fw_cfg *fc) {
	if (fc->n_rules < fc->cap_rules)
		return 0;
	uint32_t cap = fc->cap_rules ? fc->cap_rules * 2 : 64;
	struct fw_rule *n = realloc(fc->rules, cap * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	fc->rules = n;
	fc->cap_rules = cap;
	return 0;
}

// Control thread. Validate "security_groups" into the firewall's data (fw.h); build resolves the
// ports, the memberships and the classifiers.
static int sg_rules_parse(struct rules_ctx *ctx, const json_t *doc, void **data) {
	const json_t *groups, *obj;
	struct sg_owner *owners;
	struct fw_cfg *fc;
	size_t i;
	int ret;

	*data = NULL;
	ret = rules_get_array(ctx, doc, "(document)", "security_groups", false, &groups);
	if (ret < 0)
		return ret;
	if (json_array_size(groups) > SG_GROUPS_MAX)
		return rules_error(ctx, "security_groups", "%zu groups, at most %d",
				   json_array_size(groups), SG_GROUPS_MAX);
	fc = fw_cfg_alloc(doc);
	owners = calloc(json_array_size(groups) + 1, sizeof(*owners));
	if (fc == NULL || owners == NULL) {
		free(owners);
		fw_cfg_free(fc);
		return -ENOMEM;
	}
	fc->groups = calloc(json_array_size(groups) + 1, sizeof(*fc->groups));
	if (fc->groups == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(groups, i, obj) {
		struct rules_object so = {.kind = "security_group"};
		fc->n_groups++;
		ret = sg_group_parse(ctx, obj, i, fc);
		if (ret < 0)
			goto out;
		owners[i] = (struct sg_owner){fc->groups[i].id, fc->groups[i].tenant};
		// Shared with the other sections (rules.h): a group's tenant gets its tenant id.
		snprintf(so.id, sizeof(so.id), "%s", owners[i].id);
		snprintf(so.tenant, sizeof(so.tenant), "%s", owners[i].tenant);
		sg_path(so.path, "security_groups[%zu]", i);
		ret = rules_object_add(ctx, &so);
		if (ret < 0)
			goto out;
	}
	if (groups != NULL)
		ret = sg_tenants_check(ctx, groups, owners, json_array_size(groups));
	if (ret == 0)
		ret = fw_ports_parse(ctx, doc, fc);
out:
	free(owners);
	if (ret < 0) {
		fw_cfg_free(fc);
		return ret;
	}
	*data = fc;
	return 0;
}

static struct rules_section sg_section = {
	.name = "firewall",
	.arrays = {{.key = "security_groups", .kind = "security_group", .id_fields = {"id"}}},
	// The ports' groups and addresses (local and remote) and the networks' tenants (zones).
	.reads = {"ports[id,network,port_security,security_groups,ips]",
		  "remote_ports[network,ips,security_groups]", "networks[id,tenant]"},
	.parse = sg_rules_parse,
	.build = fw_cfg_build,
	.free = fw_cfg_free_data,
	.published = fw_cfg_published,
};

RTE_INIT(sg_rules_register) {
	rules_section_register(&sg_section);
	fw_cfg_index = sg_section.index;
}
