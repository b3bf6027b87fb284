// SPDX-License-Identifier: BSD-3-Clause
// Connection tracking (docs/firewall.md, "Conntrack").
//
// One entry per connection serves both directions: its key is the connection's two endpoints in
// a fixed order (the lower address and port first) with the tenant's zone, protocol and family,
// so that a packet and its reply find the same entry and two tenants with the same addresses
// never share one.
//
// Concurrency: one table per worker (an rte_hash with lock-free readers, RTE_HASH_EXTRA_FLAGS_
// RW_CONCURRENCY_LF, and one writer: the worker that owns it). A worker creates the connections
// whose first packet it handles in its own table, without a lock; it looks a packet up in its own
// table first and then in the others' (the reply of a connection often arrives on another worker:
// a VM's port is polled by one worker, the port its peer's packets come in by another). Removed
// entries are freed after an RCU grace period (rte_hash's QSBR defer queue), so a reader on
// another worker never sees an entry reused under it. The fields of an entry that both directions
// change (the state) change by compare-and-swap; each direction's sequence tracking is written by
// the worker that sees that direction. Per-tenant counts are atomics.
//
// Data path functions take no lock, allocate nothing and make no system call.
#pragma once

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#define CT_TABLES_MAX 17            // one per worker (DP_WORKERS_MAX), and the control thread's
#define CT_TENANTS_MAX 65536        // zones: pkt_meta's 16-bit tenant id
#define CT_ENTRIES_MIN 1024         // per table
#define CT_ENTRIES_MAX (1u << 24)   // per table

// The key: zone, family, protocol and the two endpoints, lower first (memcmp of address, then
// port). ICMP / ICMPv6 echo: port_a is the identifier, port_b 0. 8-byte aligned, no unnamed
// padding: it is hashed and compared whole.
struct ct_key {
	uint16_t zone;
	uint8_t family;  // 4 or 6
	uint8_t proto;   // IPPROTO_TCP, _UDP, _ICMP, _ICMPV6
	uint16_t port_a, port_b;
	uint8_t addr_a[16], addr_b[16]; // IPv4: the first 4 bytes, the rest 0
	uint8_t pad[8];  // 48 bytes: rte_hash compares 48-byte keys with vector loads, not memcmp
} __rte_aligned(16);
static_assert(sizeof(struct ct_key) == 48, "conntrack keys are 48 bytes");

enum ct_state {
	CT_NONE = 0,
	CT_TCP_SYN_SENT,    // SYN from the originator
	CT_TCP_SYN_RECV,    // SYN-ACK from the responder
	CT_TCP_ESTABLISHED, // the handshake's last ACK (or picked up mid-stream)
	CT_TCP_FIN_WAIT,    // a FIN from one side
	CT_TCP_LAST_ACK,    // FINs from both sides, the last not yet acknowledged
	CT_TCP_TIME_WAIT,   // both FINs acknowledged
	CT_TCP_CLOSE,       // a RST
	CT_UDP_UNREPLIED,   // UDP, ICMP echo: packets one way only so far
	CT_UDP_REPLIED,     // replies seen
	CT_STATE_COUNT,
};

// Timeouts per state, seconds (vnetd configuration "conntrack": {"timeouts": {...}}).
enum ct_timeout {
	CT_T_TCP_SYN_SENT,
	CT_T_TCP_SYN_RECV,
	CT_T_TCP_ESTABLISHED,
	CT_T_TCP_FIN_WAIT,
	CT_T_TCP_LAST_ACK,
	CT_T_TCP_TIME_WAIT,
	CT_T_TCP_CLOSE,
	CT_T_UDP_UNREPLIED,
	CT_T_UDP_REPLIED,
	CT_T_ICMP,
	CT_T_COUNT,
};

struct ct_config {
	uint32_t entries;                // per table (per worker), CT_ENTRIES_MIN..CT_ENTRIES_MAX
	uint32_t tenant_max;             // connections of one tenant over all tables
	uint32_t timeout_s[CT_T_COUNT];
};

// What the tracker learnt from one packet (filled by the node from the headers).
struct ct_pkt {
	uint8_t tcp_flags;   // RTE_TCP_*_FLAG
	uint8_t wscale;      // TCP window scale option of a SYN, 0xff: none
	uint16_t win;        // TCP window (unscaled)
	uint32_t seq, ack;   // TCP
	uint32_t len;        // TCP payload bytes (SYN and FIN count one more each)
	bool icmp_reply;     // ICMP echo reply (a request opens the connection)
};

// Per direction of a connection (0: the originator's, 1: the responder's).
struct ct_dir {
	uint32_t end;        // the sequence number after the last byte sent (SYN, FIN count one)
	uint32_t ack;        // the highest acknowledgement sent
	uint32_t win;        // the last window advertised, scaled
	uint8_t wscale;      // its window scale (0xff: none offered)
	uint8_t seen;        // it sent a packet (1), an ACK (2), a FIN (4)
	uint16_t pad;
};

#define CT_SEEN 1
#define CT_SEEN_ACK 2
#define CT_SEEN_FIN 4

// An entry. `state` is changed by compare-and-swap (both directions' workers); `dir[d]` by the
// worker that sees direction d; `expires` by any (the latest wins, relaxed).
struct ct_entry {
	uint8_t state;        // enum ct_state
	uint8_t orig_is_a;    // the originator is the key's endpoint a
	uint8_t picked_up;    // created from a packet other than a SYN (mid-stream)
	uint8_t table;        // the table (worker) that owns it
	uint16_t zone;
	uint16_t pad;
	uint64_t expires;     // TSC
	struct ct_dir dir[2];
	// The firewall's verdict for each side of the connection (0: its originator's egress, 1:
	// its responder's ingress), written by the worker of that side's port: the rules generation
	// it was taken under (the firewall asks again when it is older), allowed or denied, and the
	// rule that allowed it.
	// sig: the signature of the rule (fw_rule.sig), for verdicts of a rule with an L7 match.
	struct {
		uint32_t gen;
		uint32_t rule;
		uint32_t sig;
		uint8_t flags;
		uint8_t pad[3];
	} side[2];
	uint32_t l7_seq;      // TCP: the sequence number of the originator's first payload byte,
			      // where L7 inspection starts (set from its SYN)
} __rte_cache_aligned;

// Why ct_create() made no entry.
enum ct_create_err {
	CT_CREATE_OK = 0,
	CT_CREATE_TENANT_LIMIT, // the tenant has conntrack.tenant_max connections
	CT_CREATE_FULL,         // the table (this worker's) is full
	CT_CREATE_INVALID,      // TCP that opens nothing: not a SYN and no pick-up allowed
};

// What ct_track() says of a packet of a known connection.
enum ct_verdict {
	CT_OK = 0,
	CT_INVALID, // out of the state machine (an out-of-window RST, a SYN-ACK to no SYN, ...)
};

// Control thread, once workers and RCU exist: one table per worker (n_tables) and one more that
// only the control thread writes (imported connections, ct_import). `rcu` (NULL in tests that run
// no workers): the QSBR variable the workers report to. 0 or a negative errno.
int ct_init(const struct ct_config *cfg, unsigned int n_tables, struct rte_rcu_qsbr *rcu);
// Control thread, after the workers stopped.
void ct_fini(void);
// Any thread: the configuration in use, and its defaults.
const struct ct_config *ct_config(void);
void ct_config_defaults(struct ct_config *cfg);

// Any thread. The key of a packet from (src, sport) to (dst, dport) and which end sent it:
// *src_is_a. Addresses are 4 or 16 bytes by `family`.
static inline void ct_key_make(uint16_t zone, uint8_t family, uint8_t proto, const void *src,
			       const void *dst, uint16_t sport, uint16_t dport, struct ct_key *k,
			       bool *src_is_a) {
	int c;

	memset(k, 0, sizeof(*k));
	k->zone = zone;
	k->family = family;
	k->proto = proto;
	if (family == 4) {
		uint32_t s, d;
		memcpy(&s, src, 4);
		memcpy(&d, dst, 4);
		s = rte_be_to_cpu_32(s);
		d = rte_be_to_cpu_32(d);
		c = s < d ? -1 : s > d;
	} else {
		c = memcmp(src, dst, 16);
	}
	*src_is_a = c < 0 || (c == 0 && sport <= dport);
	memcpy(k->addr_a, *src_is_a ? src : dst, family == 4 ? 4 : 16);
	memcpy(k->addr_b, *src_is_a ? dst : src, family == 4 ? 4 : 16);
	k->port_a = *src_is_a ? sport : dport;
	k->port_b = *src_is_a ? dport : sport;
}

// Data path. Look keys[0..n) up, own table (`self`) first, then the others'. found[i]: the entry
// or NULL. n <= 64.
void ct_lookup_bulk(unsigned int self, const struct ct_key *const keys[], uint32_t n,
		    struct ct_entry *found[]);

// Data path. Make the entry of a new connection in table `self`: its first packet `p` was sent by
// endpoint a if src_is_a; `pickup`: a TCP packet that is not a SYN may open it (established,
// picked_up). NULL with *err set if not.
struct ct_entry *ct_create(unsigned int self, const struct ct_key *k, bool src_is_a,
			   const struct ct_pkt *p, bool pickup, uint64_t now,
			   enum ct_create_err *err);

// Data path. Track packet p of connection e (sent by endpoint a if src_is_a): its state,
// sequence tracking and timer.
enum ct_verdict ct_track(struct ct_entry *e, const struct ct_key *k, bool src_is_a,
			 const struct ct_pkt *p, uint64_t now);

// Whether packet direction (src_is_a) is e's reply direction.
static inline bool ct_is_reply(const struct ct_entry *e, bool src_is_a) {
	return (bool)e->orig_is_a != src_is_a;
}

// Data path, by the owner of table `self` (its worker, between walks). Remove up to `budget`
// expired entries, scanning from where the last call stopped. Returns the number removed.
uint32_t ct_expire(unsigned int self, uint64_t now, uint32_t budget);

// Control thread. Add a connection made elsewhere (another host's export: docs/firewall.md) to the
// control thread's table: key k, the entry's state, its directions and its time left `ttl_tsc`
// (the firewall's verdicts are not taken over: the next packet asks the rules; a side an l7 rule
// allowed keeps that rule's signature, side[].flags 1 and .sig, for them). 0; -EEXIST if a
// table knows it already; -ENOSPC if the tenant is at its limit or the table full.
int ct_import(const struct ct_key *k, const struct ct_entry *tmpl, uint64_t ttl_tsc, uint64_t now);
// Control thread. Expire up to `budget` entries of the control thread's table.
uint32_t ct_expire_control(uint64_t now, uint32_t budget);

// Any thread. Connections of tenant `zone`; in all tables.
uint32_t ct_tenant_count(uint16_t zone);
uint32_t ct_count(void);

// Control thread (tests, show conntrack). Call fn for every entry of every table; the entries
// may change under it (workers run).
void ct_foreach(void (*fn)(const struct ct_key *k, const struct ct_entry *e, void *arg),
		void *arg);

const char *ct_state_name(uint8_t state);
