// SPDX-License-Identifier: BSD-3-Clause
// Transactions over the rules document (docs/rules-schema.md). A transaction is either a whole
// document or a list of add/remove operations applied to the current one; either way the result
// is validated whole, built into a new dp_config off the fast path and published by one pointer
// swap. A bad transaction is refused with the path of the offending field; nothing changes.
//
// Features own the parts of the document they enforce: each registers a rules_section at start-up
// (RTE_INIT) naming its top-level keys; dataplane/ knows none of them.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>

#include "dataplane/config.h"

struct rules_ctx;

// How objects of one top-level array are identified, for "add"/"remove" operations. An array
// nested in the objects of another (a router's "routes") names its parent's kind: operations on
// it name the parent object too ("router": "r1") and edit only that object's array, so that one
// route of a router with a million is one small operation.
struct rules_array {
	const char *key;            // top-level key: "networks"; nested: the member ("routes")
	const char *kind;           // singular used in ops and errors: "network"
	const char *id_fields[3];   // fields that identify an object: {"id"} or {"network", "mac"}
	const char *parent;         // nested: the kind of the objects that hold it ("router")
	// nested: whether two ids are the same (prefixes written differently); NULL: json_equal
	bool (*id_equal)(const json_t *a, const json_t *b);
};

struct rules_section {
	const char *name;                  // "vswitch"
	struct rules_array arrays[6];      // the top-level arrays it owns (terminated by .key NULL)
	// Other top-level keys whose content its parse or build reads (NULL-terminated): vswitch
	// reads "remote_ports" (the overlay's) for its MAC table. The section is rebuilt when one of
	// its arrays or of these keys changes; otherwise its data is reused as it is. "key[f1,f2]"
	// reads only members f1 and f2 of each element of array `key` (vswitch reads
	// "routers[id,mac]": a route change does not rebuild it).
	const char *reads[4];
	// Control thread. Validate the owned parts of `doc` and build this section's data. Report each
	// problem with rules_error(); return 0 or a negative errno. Must have no side effects beyond
	// *data and ctx (devices are attached by the engine after every section has parsed).
	// The result must depend only on the keys named in `arrays` and `reads`, on the port ids of
	// those ports (stable while the ports stay) and on what is fixed at start-up: a transaction
	// that leaves all of them equal (json_equal) does not call parse, build or published; the
	// new snapshot shares the previous data (freed when the last snapshot using it is freed),
	// keeps the section's generation, and what parse declared (rules_define, rules_refer,
	// rules_port_want) is replayed from a record, its shared objects (rules_object_add) kept.
	// So the data must not point into the document without holding a reference to it.
	int (*parse)(struct rules_ctx *ctx, const json_t *doc, void **data);
	// Control thread. Resolve port names into DPDK port ids of `cfg` (already attached). Optional.
	int (*build)(struct rules_ctx *ctx, struct dp_config *cfg, void *data);
	// Control thread. Free data once no snapshot uses it (after the grace period). Accepts NULL.
	void (*free)(void *data);
	// Control thread. Cross-section checks, after every section has parsed (or was reused) and
	// every reference resolved; runs on every transaction, whether this section changed or not.
	// Reads other sections' objects only through the typed read API below (never their data or
	// their keys of the document). `data` is this section's data. Optional.
	int (*check)(struct rules_ctx *ctx, const void *data);
	// Control thread. Called after `cfg` replaced `old` (NULL on first publication), when this
	// section's data changed. Optional.
	void (*published)(const struct dp_config *old, const struct dp_config *cfg);
	int index;                         // set by rules_section_register: cfg->section[index]
};

// Control thread, at start-up (RTE_INIT is fine). Register a section.
void rules_section_register(struct rules_section *sec);

// Control thread. Apply a transaction: a whole document, or {"ops": [...], "revision": N}.
// On success returns 0 and sets *generation. On failure returns a negative errno, fills `err`
// with "<path>: <problem>" and changes nothing.
int rules_apply(const json_t *txn, uint64_t *generation, char *err, size_t err_size);

// Control thread. The document currently applied (borrowed), or NULL.
const json_t *rules_current(void);

// --- helpers for section parsers ---------------------------------------------------------------

// Record an error at `path` ("ports[2].mac: not a unicast MAC address"). Returns -EINVAL.
int rules_error(struct rules_ctx *ctx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Refuse any key of `obj` not in the NULL-terminated `allowed` list. Returns 0 or -EINVAL.
int rules_check_keys(struct rules_ctx *ctx, const json_t *obj, const char *path,
		     const char *const allowed[]);

// Fetch a typed member. `required`: its absence is an error. Absent and not required: returns 0
// and leaves *out unchanged. Wrong type or bad value: error at "<path>.<key>".
int rules_get_string(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		     bool required, const char **out);
int rules_get_uint(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		   bool required, uint64_t min, uint64_t max, uint64_t *out);
int rules_get_bool(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		   bool required, bool *out);
// An array member (possibly empty). Absent and not required: *out = NULL, returns 0.
int rules_get_array(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		    bool required, const json_t **out);
// An identifier: 1..63 characters of [A-Za-z0-9_.:-].
int rules_get_id(struct rules_ctx *ctx, const json_t *obj, const char *path, const char *key,
		 bool required, const char **out);

// Cross-references between objects of different sections: a section defines the objects it
// owns and refers to others; the engine checks every reference once all sections have parsed.
// `kind` is the singular ("network", "router", "security_group"). Define fails on a duplicate.
int rules_define(struct rules_ctx *ctx, const char *kind, const char *id, const char *path);
void rules_refer(struct rules_ctx *ctx, const char *kind, const char *id, const char *path);
// Whether `kind` `id` is defined so far (sections parse in registration order).
bool rules_is_defined(struct rules_ctx *ctx, const char *kind, const char *id);

// --- shared objects: the typed read API between sections --------------------------------------
// A section shares the objects it owns that others need (networks, ports, remote ports, routers,
// security groups) with rules_object_add() during its parse; any section reads them in its parse
// (those of earlier sections) or its check (all). The engine keeps them with the section's data,
// so a reused section's objects are there without a parse. Fields that do not apply are empty.
#define RULES_OBJECT_IPS_MAX 16 // addresses of one port or remote port, per family

struct rules_object {
	char kind[24];              // "network", "port", "remote_port", "router", "security_group"
	char id[DP_NAME_SIZE + 20]; // its id; a remote port: "<network>/<mac>" (mac in lowercase)
	char tenant[DP_NAME_SIZE];  // networks, routers, security groups
	uint32_t tenant_id;         // set by rules_object_add: 1.., stable while objects name it
	char network[DP_NAME_SIZE]; // ports, remote ports
	char router[DP_NAME_SIZE];  // networks: their router, "" if none
	struct rte_ether_addr mac;  // ports, remote ports, routers
	uint32_t vni;               // networks
	rte_be32_t vtep;            // remote ports: the VTEP they live behind
	uint8_t n_ip4, n_ip6;       // ports, remote ports: their addresses
	rte_be32_t ip4[RULES_OBJECT_IPS_MAX];
	uint8_t ip6[RULES_OBJECT_IPS_MAX][16];
	char path[48];              // where it is defined: "networks[3]"
};

// Share `obj` (copied); sets obj->tenant_id when obj->tenant is set. Returns 0 or -ENOMEM.
int rules_object_add(struct rules_ctx *ctx, struct rules_object *obj);
// The object `kind` `id` shared so far in this transaction, or NULL.
const struct rules_object *rules_object_find(struct rules_ctx *ctx, const char *kind,
					     const char *id);
// Call fn for every shared object of `kind`, in section then document order; stops at the first
// negative return and returns it (else 0).
int rules_object_foreach(struct rules_ctx *ctx, const char *kind,
			 int (*fn)(struct rules_ctx *ctx, const struct rules_object *obj, void *arg),
			 void *arg);

// Ask the engine to attach port `name` with device `devargs` (dataplane/port.h: DPDK devargs or
// a backend's prefix) for the new snapshot; `mac` (NULL: none) and `mtu` (0: the device's) are
// what the backend sets on the device. Returns 0 or -EINVAL (duplicate name or device, too many
// ports).
int rules_port_want(struct rules_ctx *ctx, const char *name, const char *devargs,
		    const struct rte_ether_addr *mac, uint16_t mtu, const char *path);

// Parsers for addresses, shared by every section. Each returns 0 or -EINVAL (no error recorded).
struct rte_ether_addr;
int rules_parse_mac(const char *s, struct rte_ether_addr *mac);
// An IPv4 or IPv6 address; *family = 4 or 6; addr holds 4 or 16 bytes in network order.
int rules_parse_ip(const char *s, int *family, uint8_t addr[16]);
// "a.b.c.d/len" or "x::/len"; host bits must be zero.
int rules_parse_cidr(const char *s, int *family, uint8_t addr[16], uint8_t *prefix_len);

// Any thread. Whether address `addr` is inside prefix/len (both in network order, 4 or 16 bytes).
static inline bool rules_prefix_match(const uint8_t *prefix, uint8_t len, const uint8_t *addr) {
	uint8_t full = len / 8, rest = len % 8;

	if (memcmp(prefix, addr, full) != 0)
		return false;
	return rest == 0 || ((prefix[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

// Report at `path` why rules_parse_cidr() refused `s`: its host bits are set, or it is no prefix
// at all. Returns -EINVAL.
int rules_cidr_error(struct rules_ctx *ctx, const char *path, const char *s);

// Control thread, no EAL needed. Validate `doc` as a whole document through every registered
// section, without attaching devices or publishing. Returns 0 or -EINVAL with "<path>: <problem>".
int rules_validate(const json_t *doc, char *err, size_t err_size);
