// SPDX-License-Identifier: BSD-3-Clause
// Connection tracking: tables, the TCP state machine, timers (conntrack.h).

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>

#include "firewall/conntrack.h"

// A worker's table: the hash maps a key to its entry (the hash's data pointer), entries come from
// the table's own pool. An entry is made whole before its key is added, so that a reader on
// another worker never sees it half made; a removed entry goes back to the pool only when the
// hash's QSBR defer queue frees its key (every reader has moved on).
struct ct_table {
	struct rte_hash *h;
	struct ct_entry *ent;  // the pool
	struct ct_key *keys;   // the key of each entry in use (for expiry); family 0: not in use
	uint32_t *free;        // indexes of free entries (a stack)
	uint32_t n_free, n_ent;
	uint32_t cursor;       // where ct_expire goes on
	bool rcu;              // removed keys are freed by the hash's QSBR defer queue
} __rte_cache_aligned;

static struct ct_table tables[CT_TABLES_MAX];
static unsigned int n_tables;   // the workers' and the control thread's (the last)
static struct ct_config conf;
static uint64_t timeout_tsc[CT_T_COUNT];
static uint32_t tenant_count[CT_TENANTS_MAX]; // atomics
static uint32_t total_count;                  // atomic

static const uint32_t timeout_default[CT_T_COUNT] = {
	[CT_T_TCP_SYN_SENT] = 30,    [CT_T_TCP_SYN_RECV] = 30,  [CT_T_TCP_ESTABLISHED] = 7440,
	[CT_T_TCP_FIN_WAIT] = 120,   [CT_T_TCP_LAST_ACK] = 30,  [CT_T_TCP_TIME_WAIT] = 120,
	[CT_T_TCP_CLOSE] = 10,       [CT_T_UDP_UNREPLIED] = 30, [CT_T_UDP_REPLIED] = 180,
	[CT_T_ICMP] = 30,
};

void ct_config_defaults(struct ct_config *cfg) {
	cfg->entries = 262144;
	cfg->tenant_max = 65536;
	memcpy(cfg->timeout_s, timeout_default, sizeof(cfg->timeout_s));
}

const struct ct_config *ct_config(void) {
	return &conf;
}

const char *ct_state_name(uint8_t state) {
	static const char *const names[CT_STATE_COUNT] = {
		[CT_NONE] = "none",
		[CT_TCP_SYN_SENT] = "syn_sent",
		[CT_TCP_SYN_RECV] = "syn_recv",
		[CT_TCP_ESTABLISHED] = "established",
		[CT_TCP_FIN_WAIT] = "fin_wait",
		[CT_TCP_LAST_ACK] = "last_ack",
		[CT_TCP_TIME_WAIT] = "time_wait",
		[CT_TCP_CLOSE] = "close",
		[CT_UDP_UNREPLIED] = "unreplied",
		[CT_UDP_REPLIED] = "replied",
	};
	return state < CT_STATE_COUNT ? names[state] : "?";
}

// The hash frees a removed key after the grace period (on the owner's thread, in its own add or
// delete): its entry goes back to the pool.
static void ct_key_free(void *p, void *key_data) {
	struct ct_table *t = p;

	t->free[t->n_free++] = (uint32_t)((struct ct_entry *)key_data - t->ent);
}

int ct_init(const struct ct_config *cfg, unsigned int n, struct rte_rcu_qsbr *rcu) {
	static unsigned int gen;
	int ret = 0;

	if (n == 0 || n + 1 > CT_TABLES_MAX || cfg->entries < CT_ENTRIES_MIN ||
	    cfg->entries > CT_ENTRIES_MAX)
		return -EINVAL;
	n++; // the control thread's table
	ct_fini();
	conf = *cfg;
	for (int t = 0; t < CT_T_COUNT; t++)
		timeout_tsc[t] = (uint64_t)cfg->timeout_s[t] * rte_get_tsc_hz();
	gen++;
	for (unsigned int i = 0; i < n && ret == 0; i++) {
		struct ct_table *t = &tables[i];
		char name[RTE_HASH_NAMESIZE];
		struct rte_hash_parameters hp = {
			.name = name,
			.entries = cfg->entries,
			.key_len = sizeof(struct ct_key),
			.hash_func = rte_hash_crc,
			.socket_id = SOCKET_ID_ANY,
			// Lock-free readers (the other workers); one writer, the owner: no lock. The
			// extendable buckets make the capacity exact: `entries` keys always fit.
			.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
				      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};

		snprintf(name, sizeof(name), "ct%u_%u", gen, i);
		n_tables = i + 1;
		t->h = rte_hash_create(&hp);
		if (t->h == NULL) {
			ret = -rte_errno ?: -ENOMEM;
			break;
		}
		// One entry more than the hash has keys: while the hash has a free key (or one that
		// its defer queue will free when an add needs it), the pool has a free entry.
		t->n_ent = (uint32_t)rte_hash_max_key_id(t->h) + 2;
		t->ent = rte_zmalloc("ct_entries", (size_t)t->n_ent * sizeof(*t->ent),
				     RTE_CACHE_LINE_SIZE);
		t->keys = rte_zmalloc("ct_keys", (size_t)t->n_ent * sizeof(*t->keys),
				      RTE_CACHE_LINE_SIZE);
		t->free = rte_malloc("ct_free", (size_t)t->n_ent * sizeof(*t->free), 0);
		if (t->ent == NULL || t->keys == NULL || t->free == NULL) {
			ret = -ENOMEM;
			break;
		}
		for (uint32_t e = 0; e < t->n_ent; e++)
			t->free[e] = t->n_ent - 1 - e;
		t->n_free = t->n_ent;
		if (rcu != NULL) {
			struct rte_hash_rcu_config rc = {
				.v = rcu,
				.mode = RTE_HASH_QSBR_MODE_DQ,
				.free_key_data_func = ct_key_free,
				.key_data_ptr = t,
			};
			ret = rte_hash_rcu_qsbr_add(t->h, &rc);
			t->rcu = ret == 0;
		}
	}
	if (ret < 0)
		ct_fini();
	return ret;
}

void ct_fini(void) {
	for (unsigned int i = 0; i < n_tables; i++) {
		rte_hash_free(tables[i].h);
		rte_free(tables[i].ent);
		rte_free(tables[i].keys);
		rte_free(tables[i].free);
		tables[i] = (struct ct_table){0};
	}
	n_tables = 0;
	memset(tenant_count, 0, sizeof(tenant_count));
	total_count = 0;
}

uint32_t ct_tenant_count(uint16_t zone) {
	return __atomic_load_n(&tenant_count[zone], __ATOMIC_RELAXED);
}

uint32_t ct_count(void) {
	return __atomic_load_n(&total_count, __ATOMIC_RELAXED);
}

void ct_lookup_bulk(unsigned int self, const struct ct_key *const keys[], uint32_t n,
		    struct ct_entry *found[]) {
	void *data[64];
	uint64_t hits;
	uint32_t miss;

	RTE_ASSERT(n <= RTE_DIM(data));
	for (uint32_t i = 0; i < n; i++)
		found[i] = NULL;
	if (n == 0 || n_tables == 0)
		return;
	if (self >= n_tables)
		self = 0;
	// Own table first: a connection's packets usually come back on the worker that made it.
	rte_hash_lookup_bulk_data(tables[self].h, (const void **)keys, n, &hits, data);
	miss = n - (uint32_t)__builtin_popcountll(hits);
	for (uint32_t i = 0; i < n; i++)
		if (hits & (1ULL << i))
			found[i] = data[i];
	for (unsigned int t = 0; t < n_tables && miss > 0; t++) {
		if (t == self)
			continue;
		for (uint32_t i = 0; i < n; i++) {
			void *d;
			if (found[i] == NULL && rte_hash_lookup_data(tables[t].h, keys[i], &d) >= 0) {
				found[i] = d;
				miss--;
			}
		}
	}
}

static inline void ct_touch(struct ct_entry *e, uint8_t state, uint64_t now) {
	static const uint8_t timer_of[CT_STATE_COUNT] = {
		[CT_TCP_SYN_SENT] = CT_T_TCP_SYN_SENT,     [CT_TCP_SYN_RECV] = CT_T_TCP_SYN_RECV,
		[CT_TCP_ESTABLISHED] = CT_T_TCP_ESTABLISHED, [CT_TCP_FIN_WAIT] = CT_T_TCP_FIN_WAIT,
		[CT_TCP_LAST_ACK] = CT_T_TCP_LAST_ACK,     [CT_TCP_TIME_WAIT] = CT_T_TCP_TIME_WAIT,
		[CT_TCP_CLOSE] = CT_T_TCP_CLOSE,           [CT_UDP_UNREPLIED] = CT_T_UDP_UNREPLIED,
		[CT_UDP_REPLIED] = CT_T_UDP_REPLIED,
	};
	uint64_t t = timeout_tsc[timer_of[state]];

	__atomic_store_n(&e->expires, now + t, __ATOMIC_RELAXED);
}

// The sequence space a TCP segment takes: its payload, plus one for SYN and for FIN.
static inline uint32_t tcp_seg_len(const struct ct_pkt *p) {
	return p->len + !!(p->tcp_flags & RTE_TCP_SYN_FLAG) + !!(p->tcp_flags & RTE_TCP_FIN_FLAG);
}

static inline bool seq_after(uint32_t a, uint32_t b) { // a > b, modulo 2^32
	return (int32_t)(a - b) > 0;
}

// Direction d sent segment p: remember what it sent and acknowledged.
static void tcp_dir_update(struct ct_entry *e, int d, const struct ct_pkt *p) {
	struct ct_dir *s = &e->dir[d];
	uint32_t end = p->seq + tcp_seg_len(p);
	// RFC 7323: at most 14 (a larger one, from a hostile SYN or an import, counts as 14).
	uint8_t scale = s->wscale != 0xff && e->dir[!d].wscale != 0xff ? RTE_MIN(s->wscale, 14) : 0;

	if (!(s->seen & CT_SEEN) || seq_after(end, s->end))
		s->end = end;
	if (p->tcp_flags & RTE_TCP_ACK_FLAG) {
		if (!(s->seen & CT_SEEN_ACK) || seq_after(p->ack, s->ack))
			s->ack = p->ack;
		s->seen |= CT_SEEN_ACK;
	}
	// A SYN's window is never scaled (RFC 7323).
	s->win = (p->tcp_flags & RTE_TCP_SYN_FLAG) ? p->win : (uint32_t)p->win << scale;
	s->seen |= CT_SEEN;
	if (p->tcp_flags & RTE_TCP_FIN_FLAG)
		s->seen |= CT_SEEN_FIN;
}

// Whether a RST sent by direction d is in the receiver's window: its sequence number from what
// the receiver acknowledged to that plus its window (RFC 5961's test, without the challenge
// ACK). Before the receiver acknowledged anything: exactly the next sequence number expected.
static bool tcp_rst_in_window(const struct ct_entry *e, int d, const struct ct_pkt *p) {
	const struct ct_dir *r = &e->dir[!d];

	if (r->seen & CT_SEEN_ACK) {
		// Picked up mid-stream, the window scale is unknown: the largest one (14).
		uint32_t win = e->picked_up && r->wscale == 0xff ? r->win << 14 : r->win;
		return !seq_after(r->ack, p->seq) && !seq_after(p->seq, r->ack + RTE_MAX(win, 1u));
	}
	return p->seq == e->dir[d].end;
}

// The TCP state machine: the state after segment p from direction d (0: the originator) in
// state s, or CT_NONE if the segment does not fit.
static uint8_t tcp_next(const struct ct_entry *e, uint8_t s, int d, const struct ct_pkt *p) {
	uint8_t f = p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG |
				    RTE_TCP_RST_FLAG);

	if (f & RTE_TCP_RST_FLAG) {
		// In SYN_SENT only the responder may refuse, acknowledging the SYN.
		if (s == CT_TCP_SYN_SENT)
			return d == 1 && (f & RTE_TCP_ACK_FLAG) && p->ack == e->dir[0].end
				       ? CT_TCP_CLOSE
				       : CT_NONE;
		return tcp_rst_in_window(e, d, p) ? CT_TCP_CLOSE : CT_NONE;
	}
	switch (s) {
	case CT_TCP_SYN_SENT:
		if (d == 0 && f == RTE_TCP_SYN_FLAG)
			return s; // retransmitted SYN
		if (d == 1 && f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) && p->ack == e->dir[0].end)
			return CT_TCP_SYN_RECV;
		return CT_NONE;
	case CT_TCP_SYN_RECV:
		if (f & RTE_TCP_SYN_FLAG) // retransmissions of either SYN
			return (d == 0 && f == RTE_TCP_SYN_FLAG) ||
					       (d == 1 && f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
				       ? s
				       : CT_NONE;
		if (d == 0 && (f & RTE_TCP_ACK_FLAG) && p->ack == e->dir[1].end)
			return (f & RTE_TCP_FIN_FLAG) ? CT_TCP_FIN_WAIT : CT_TCP_ESTABLISHED;
		return CT_NONE;
	case CT_TCP_ESTABLISHED:
		if (f & RTE_TCP_SYN_FLAG)
			return CT_NONE;
		return (f & RTE_TCP_FIN_FLAG) ? CT_TCP_FIN_WAIT : s;
	case CT_TCP_FIN_WAIT:
	case CT_TCP_LAST_ACK:
		if (f & RTE_TCP_SYN_FLAG)
			return CT_NONE;
		if ((f & RTE_TCP_FIN_FLAG) && (e->dir[!d].seen & CT_SEEN_FIN))
			return CT_TCP_LAST_ACK; // the other side's FIN came before
		if (s == CT_TCP_LAST_ACK && (f & RTE_TCP_ACK_FLAG) &&
		    (e->dir[d].seen & CT_SEEN_FIN) && (e->dir[!d].seen & CT_SEEN_FIN) &&
		    !seq_after(e->dir[!d].end, p->ack))
			return CT_TCP_TIME_WAIT; // the last FIN acknowledged (by the side that sent first)
		return s;
	case CT_TCP_TIME_WAIT:
	case CT_TCP_CLOSE:
		if (f & RTE_TCP_SYN_FLAG)
			return CT_NONE; // a new connection on the same ports: the caller makes it anew
		return s;
	default:
		return CT_NONE;
	}
}

static void entry_init(struct ct_entry *e, unsigned int table, const struct ct_key *k,
		       bool src_is_a, const struct ct_pkt *p, bool picked_up, uint64_t now) {
	memset(e, 0, sizeof(*e));
	e->orig_is_a = src_is_a;
	e->table = (uint8_t)table;
	e->zone = k->zone;
	e->picked_up = picked_up;
	e->dir[0].wscale = e->dir[1].wscale = 0xff;
	if (k->proto == IPPROTO_TCP) {
		if (p->tcp_flags & RTE_TCP_SYN_FLAG)
			e->dir[0].wscale = p->wscale;
		tcp_dir_update(e, 0, p);
		e->state = picked_up ? CT_TCP_ESTABLISHED : CT_TCP_SYN_SENT;
	} else {
		e->state = CT_UDP_UNREPLIED;
	}
	ct_touch(e, e->state, now);
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		e->expires = now + timeout_tsc[CT_T_ICMP];
}

struct ct_entry *ct_create(unsigned int self, const struct ct_key *k, bool src_is_a,
			   const struct ct_pkt *p, bool pickup, uint64_t now,
			   enum ct_create_err *err) {
	struct ct_table *t = &tables[self];
	bool picked_up = false;
	uint32_t idx;

	if (self >= n_tables) {
		*err = CT_CREATE_FULL;
		return NULL;
	}

	if (k->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) !=
		    RTE_TCP_SYN_FLAG) {
		// Not a SYN: an established connection of before (a restart, a migration) when the
		// rules allow it; never from a RST.
		if (!pickup || (p->tcp_flags & (RTE_TCP_RST_FLAG | RTE_TCP_SYN_FLAG))) {
			*err = CT_CREATE_INVALID;
			return NULL;
		}
		picked_up = true;
	}
	if (__atomic_add_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED) > conf.tenant_max) {
		__atomic_sub_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED);
		*err = CT_CREATE_TENANT_LIMIT;
		return NULL;
	}
	if (t->n_free == 0) // cannot be: the pool is larger than the hash (ct_init)
		goto full;
	idx = t->free[--t->n_free];
	entry_init(&t->ent[idx], self, k, src_is_a, p, picked_up, now);
	t->keys[idx] = *k;
	if (rte_hash_add_key_data(t->h, k, &t->ent[idx]) < 0) {
		t->keys[idx].family = 0;
		t->free[t->n_free++] = idx;
		goto full;
	}
	__atomic_add_fetch(&total_count, 1, __ATOMIC_RELAXED);
	*err = CT_CREATE_OK;
	return &t->ent[idx];
full:
	__atomic_sub_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED);
	*err = CT_CREATE_FULL;
	return NULL;
}

int ct_import(const struct ct_key *k, const struct ct_entry *tmpl, uint64_t ttl_tsc, uint64_t now) {
	const struct ct_key *keys[1] = {k};
	struct ct_entry *found;
	struct ct_table *t;
	uint32_t idx;

	if (n_tables == 0)
		return -ENOSPC;
	t = &tables[n_tables - 1];
	ct_lookup_bulk(n_tables - 1, keys, 1, &found);
	if (found != NULL)
		return -EEXIST;
	if (__atomic_add_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED) > conf.tenant_max ||
	    t->n_free == 0) {
		__atomic_sub_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	idx = t->free[--t->n_free];
	t->ent[idx] = *tmpl;
	t->ent[idx].table = (uint8_t)(n_tables - 1);
	t->ent[idx].zone = k->zone;
	// The verdicts are taken again by the rules here at the first packet (gen 0); a side an l7
	// rule allowed keeps that rule's signature, which the same rule here matches.
	for (int s = 0; s < 2; s++) {
		bool l7 = tmpl->side[s].flags == 1 && tmpl->side[s].sig != 0;
		memset(&t->ent[idx].side[s], 0, sizeof(t->ent[idx].side[s]));
		t->ent[idx].side[s].flags = l7 ? tmpl->side[s].flags : 0;
		t->ent[idx].side[s].sig = l7 ? tmpl->side[s].sig : 0;
	}
	t->ent[idx].expires = now + ttl_tsc;
	t->keys[idx] = *k;
	if (rte_hash_add_key_data(t->h, k, &t->ent[idx]) < 0) {
		t->keys[idx].family = 0;
		t->free[t->n_free++] = idx;
		__atomic_sub_fetch(&tenant_count[k->zone], 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	__atomic_add_fetch(&total_count, 1, __ATOMIC_RELAXED);
	return 0;
}

enum ct_verdict ct_track(struct ct_entry *e, const struct ct_key *k, bool src_is_a,
			 const struct ct_pkt *p, uint64_t now) {
	int d = ct_is_reply(e, src_is_a);
	uint8_t s = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE), next;

	if (k->proto != IPPROTO_TCP) {
		next = d == 1 ? CT_UDP_REPLIED : s;
		if (next != s)
			__atomic_compare_exchange_n(&e->state, &s, next, false, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
		if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
			__atomic_store_n(&e->expires, now + timeout_tsc[CT_T_ICMP],
					 __ATOMIC_RELAXED);
		else
			ct_touch(e, next, now);
		return CT_OK;
	}
	for (;;) {
		next = tcp_next(e, s, d, p);
		if (next == CT_NONE)
			return CT_INVALID;
		if (next == s ||
		    __atomic_compare_exchange_n(&e->state, &s, next, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
		// Another worker changed the state meanwhile: decide again from the new one.
	}
	if (d == 1 && (p->tcp_flags & RTE_TCP_SYN_FLAG))
		e->dir[1].wscale = p->wscale;
	tcp_dir_update(e, d, p);
	ct_touch(e, next, now);
	return CT_OK;
}

// Remove entry `idx` of table t (its owner). Its key goes now; the entry comes back to the pool
// when the key is freed (after the grace period; at once without RCU: no other reader).
static void ct_remove(struct ct_table *t, uint32_t idx) {
	struct ct_key k = t->keys[idx];
	int32_t pos = rte_hash_del_key(t->h, &k);

	if (pos < 0)
		return;
	if (!t->rcu) {
		rte_hash_free_key_with_position(t->h, pos);
		t->free[t->n_free++] = idx;
	}
	t->keys[idx].family = 0;
	__atomic_sub_fetch(&tenant_count[k.zone], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&total_count, 1, __ATOMIC_RELAXED);
}

uint32_t ct_expire(unsigned int self, uint64_t now, uint32_t budget) {
	struct ct_table *t = &tables[self];
	uint32_t removed = 0;

	if (self >= n_tables)
		return 0;
	for (uint32_t i = 0; i < budget; i++) {
		uint32_t idx = t->cursor;

		t->cursor = t->cursor + 1 < t->n_ent ? t->cursor + 1 : 0;
		if (t->keys[idx].family != 0 &&
		    (int64_t)(__atomic_load_n(&t->ent[idx].expires, __ATOMIC_RELAXED) - now) < 0) {
			ct_remove(t, idx);
			removed++;
		}
	}
	return removed;
}

uint32_t ct_expire_control(uint64_t now, uint32_t budget) {
	return n_tables > 0 ? ct_expire(n_tables - 1, now, budget) : 0;
}

void ct_foreach(void (*fn)(const struct ct_key *k, const struct ct_entry *e, void *arg),
		void *arg) {
	for (unsigned int i = 0; i < n_tables; i++)
		for (uint32_t e = 0; e < tables[i].n_ent; e++)
			if (tables[i].keys[e].family != 0)
				fn(&tables[i].keys[e], &tables[i].ent[e], arg);
}
