// SPDX-License-Identifier: BSD-3-Clause
// The firewall's part of a configuration snapshot (docs/firewall.md): security groups flattened
// into rules, the ports they apply to, the classifiers (rte_acl contexts) built per set of groups,
// and the group membership of every address. Built by the control thread with each rules
// generation that changes its inputs, immutable once published, read by the workers' sg nodes.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_acl.h>
#include <rte_hash.h>

#include "dataplane/config.h"

extern int firewall_logtype;

#define FW_GROUPS_MAX 4096        // security groups per document (the schema's limit)
#define FW_RULES_MAX 1024         // rules per group
#define FW_PORT_GROUPS_MAX 16     // groups of one port (local or remote)
#define FW_SET_REMOTE_GROUPS_MAX 64 // distinct remote_group of one port's groups
#define FW_SET_NONE UINT16_MAX    // a port the firewall does not filter (port security off)
#define FW_RULE_ID_SIZE 64
#define FW_SET_L7_RULES_MAX 256   // rules with an `l7` match in one port's groups, per direction:
				  // the L7 decision scans them (once per connection, DNS: per query)

enum fw_dir { FW_INGRESS = 0, FW_EGRESS = 1 };

// Verdict flags kept per side in a conntrack entry (struct ct_entry's side[]).
#define SG_V_ALLOW 1
#define SG_V_DENY 2
#define SG_V_L7 4    // only rules with an L7 match may allow it: its first request decides

enum fw_l7_kind { FW_L7_NONE = 0, FW_L7_HTTP, FW_L7_TLS, FW_L7_DNS };

// A rule's L7 match (docs/rules-schema.md, "l7"); strings point into the held document.
struct fw_l7 {
	uint8_t kind;                 // enum fw_l7_kind
	uint16_t methods;             // HTTP: bit i for fw_http_methods[i]; 0: any
	const char *host;             // HTTP: the Host (a name or "*.suffix"), NULL: any
	const char *path_prefix;      // HTTP: NULL: any
	const json_t *names;          // TLS sni / DNS names: an array of strings
};

// The HTTP methods an l7.http rule may name, in the order of fw_l7.methods' bits (NULL ends).
extern const char *const fw_http_methods[];

// One rule of one group.
struct fw_rule {
	uint16_t group;               // index in groups
	uint16_t index;               // in its group's rules
	uint8_t dir;                  // enum fw_dir
	uint8_t family;               // 4, 6, or 0: both
	int16_t proto;                // IP protocol, -1: any
	uint16_t port_lo, port_hi;    // destination port range (tcp, udp); 0..65535 if none
	uint8_t remote_len;           // remote prefix length (0: anywhere)
	uint8_t remote[16];
	int16_t remote_group;         // index in groups, -1: none (set by build)
	const char *remote_group_id;  // its id (into the held document), NULL: none
	bool has_l7;                  // narrowed by an L7 match (l7.kind)
	struct fw_l7 l7;
	uint32_t sig;                 // a hash of the rule's group, id and matches (set by build): a
				      // connection an L7 rule allowed keeps its verdict across rules
				      // generations while a rule with the same signature allows it
	char id[FW_RULE_ID_SIZE];     // its id, or "<group>#<index>"
};

struct fw_group {
	const char *id;               // points into the held document
	const char *tenant;
	uint32_t first_rule, n_rules; // rules[first_rule ..)
};

// A distinct set of groups that ports use, and its classifiers: one rte_acl context per
// direction and family with the rules of its groups (NULL: no rule, nothing allowed).
struct fw_set {
	bool built;
	uint8_t n_groups;
	uint16_t groups[FW_PORT_GROUPS_MAX];
	struct rte_acl_ctx *acl[2][2];   // [enum fw_dir][family 4: 0, 6: 1]
	uint8_t n_remote;                // remote groups its rules name: bit i of the membership
	uint16_t remote[FW_SET_REMOTE_GROUPS_MAX]; // mask is remote[i]
	// The rules with an `l7` match: their L3/L4 part classified (whether a connection is one
	// some L7 rule may allow: then its first request is inspected), and the rules themselves
	// (indexes in rules, first highest) per direction, which the inspection scans.
	struct rte_acl_ctx *acl_l7[2][2];
	uint16_t n_l7[2];
	uint32_t *l7[2];
};

// A local port as the firewall sees it.
struct fw_port {
	uint16_t set;                 // index in sets, FW_SET_NONE: not filtered
	uint16_t zone;                // its tenant's conntrack zone
};

// The groups an address (of a port, local or remote) is in, for remote_group rules.
struct fw_member_key {
	uint16_t zone;
	uint8_t family;
	uint8_t pad;
	uint8_t addr[16];
} __rte_aligned(4);

// A port of the document as parse reads it (build resolves it to a port id).
struct fw_port_spec {
	const char *id;               // into the held document
	const char *network;
	bool port_security;
	bool filtered;                // port security on and a "security_groups" key (even [])
	uint8_t n_groups;
	uint16_t groups[FW_PORT_GROUPS_MAX]; // indexes in groups
};

// An address of a port (local or remote) with the groups of its port.
struct fw_addr_spec {
	const char *network;
	uint8_t family;
	uint8_t addr[16];
	uint8_t n_groups;
	uint16_t groups[FW_PORT_GROUPS_MAX];
};

struct fw_cfg {
	json_t *src_doc;              // the document the strings point into (held)
	uint32_t gen;                 // changes with every new build: conntrack verdicts of an
				      // older one are checked again
	uint16_t n_groups;
	struct fw_group *groups;
	uint32_t n_rules, cap_rules;
	struct fw_rule *rules;
	uint16_t n_sets;
	struct fw_set *sets;
	struct fw_port port[DP_PORTS_MAX]; // by port id (set by build)
	uint32_t n_ports;             // the document's ports, as parse read them
	struct fw_port_spec *ports;
	uint32_t n_addrs;             // addresses of ports (local and remote) in groups
	struct fw_addr_spec *addrs;
	// Verdicts each rule gave (connections it allowed), per worker: hits[worker * n_rules + i],
	// written by that worker only; and what the rules with the same group and id had counted in
	// earlier snapshots (hits_base[i]), so that counts survive rules changes.
	uint64_t *hits;
	uint64_t *hits_base;
	uint32_t n_hit_workers;
	struct rte_hash *members;     // fw_member_key -> index in member_groups
	uint16_t (*member_groups)[FW_PORT_GROUPS_MAX];
	uint8_t *member_n;
	uint32_t n_members;
};

extern int fw_cfg_index;

static inline const struct fw_cfg *fw_cfg_get(const struct dp_config *cfg) {
	return cfg != NULL ? cfg->section[fw_cfg_index] : NULL;
}

// What the classifier reads of a packet, in rte_acl's input layout (network byte order). The
// remote end is the source for ingress, the destination for egress; the port is the connection's
// destination port (tcp, udp; 0 otherwise).
struct fw_acl_in4 {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t remote;
	uint16_t dport;
	uint16_t any;                 // 0: an input group takes 4 bytes of fields (matches all)
	uint32_t g_lo, g_hi;          // bit i of the 64: the remote end is in the set's remote[i]
};

struct fw_acl_in6 {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t remote[4];
	uint16_t dport;
	uint16_t any;
	uint32_t g_lo, g_hi;
};

// Data path. Count a verdict of rule `rule` (index + 1) by worker `w`.
static inline void fw_rule_hit(const struct fw_cfg *fc, unsigned int w, uint32_t rule) {
	if (rule != 0 && rule <= fc->n_rules && w < fc->n_hit_workers)
		fc->hits[(size_t)w * fc->n_rules + rule - 1]++;
}

// Control thread. Rule i's count: hits_base plus every worker's.
uint64_t fw_rule_hits(const struct fw_cfg *fc, uint32_t i);

// Data path. The groups mask of address `addr` (zone, family) for set `s` (0 if in none).
uint64_t fw_remote_mask(const struct fw_cfg *fc, const struct fw_set *s, uint16_t zone,
			uint8_t family, const void *addr);
