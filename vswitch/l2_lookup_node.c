// SPDX-License-Identifier: BSD-3-Clause
// l2_lookup: learn the source MAC (by posting an event to the control thread, which owns the
// learned table) and choose where the frame goes inside its network: the port behind a static or
// learned MAC, the VTEP behind a remote MAC (vxlan_encap), or flooding for broadcast, multicast
// and unknown unicast. After port_security (local frames) or tunnel_input (decapsulated frames);
// leads to port_tx, l2_flood or the attach point `tunnel_output` (the overlay's vxlan_encap).
//
// A burst node (DP_NODE_DEFINE_BURST): the MAC tables are looked up for a chunk at once
// (rte_hash_lookup_bulk_data, in l2_lookup_prepare), which lets rte_hash prefetch buckets and
// keys; the decision for each packet is still one function, l2_lookup_decide(), which the tests
// call directly.

#include <arpa/inet.h>
#include <assert.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_graph_worker.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dataplane/graph.h"
#include "vswitch/bridge.h"
#include "vswitch/fdb.h"
#include "vswitch/vswitch.h"

enum l2_lookup_edge {
	L2_LOOKUP_DROP = DP_EDGE_DROP,
	L2_LOOKUP_OUTPUT,
	L2_LOOKUP_FLOOD,
	L2_LOOKUP_REMOTE,
	L2_LOOKUP_L3,
	L2_LOOKUP__COUNT
};

enum l2_lookup_how {
	L2_HOW_FLOOD_BUM,
	L2_HOW_STATIC,
	L2_HOW_LEARNED,
	L2_HOW_FLOOD_UNKNOWN,
	L2_HOW_REMOTE, // aux[1]: the VTEP
	L2_HOW_ROUTER,
};

// A per-worker cache of the source MACs whose learned entry this worker confirmed in the current
// second: a hit skips the learned-table lookup for the source (one hash lookup per packet instead
// of two in steady state). Direct-mapped by CRC of the key; an entry is trusted only within the
// second it was written, so a move or an aging is seen at most one second late.
#define L2_SRC_CACHE_SIZE 1024

// The same worker also remembers static MAC entries it found, tagged with the version of the
// network's table it found them in (vsw_table.h): a table never changes once built, and a network
// gets a table of a new version only when its own entries change, so an entry of the version the
// network has now is exact.
#define L2_DST_CACHE_SIZE 2048

struct l2_src_cache {
	struct {
		uint64_t key;   // struct bridge_mac_key as 8 bytes
		uint32_t sec;   // lc->now_sec when confirmed
		uint16_t port;
	} e[L2_SRC_CACHE_SIZE];
	struct {
		uint64_t key;
		uint64_t generation; // the vsw_table version
		uint64_t data;  // MAC_DATA
	} dst[L2_DST_CACHE_SIZE];
};

struct l2_lookup_ctx {
	struct l2_src_cache *cache;
};

static inline uint64_t l2_key_u64(const struct bridge_mac_key *k) {
	uint64_t v;

	memcpy(&v, k, sizeof(v));
	return v;
}

// What the table lookups found for one packet (MAC_DATA values, 0 for a miss).
struct l2_lookup_res {
	uint64_t dst_static;  // the destination MAC in the static table
	uint64_t dst_learned; // in the learned table (looked up only on a static miss)
	uint64_t src;         // the source MAC in the learned table (if it may learn)
	bool src_learns;      // whether this packet's source MAC is subject to learning
	bool src_cached;      // confirmed this second by the source cache: nothing to do
};

// Learning commits state, so a dry-run packet never learns. A port with port security sends
// only from its own MAC, which is static: nothing to learn. A decapsulated frame learns only
// where the network asks for it (vxlan_learning), behind its source VTEP.
static bool l2_may_learn(const struct bridge *b, const struct bridge_port *p, struct rte_mbuf *m) {
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct pkt_meta *meta = pkt_meta(m);

	if (meta->flags & (PKT_F_DRY_RUN | PKT_F_ROUTED))
		return false;
	if (meta->flags & PKT_F_TUNNEL)
		return b->vxlan_learning;
	return p != NULL && !p->port_security && b->mac_learning &&
	       !rte_is_same_ether_addr(&eth->src_addr, &p->mac);
}

// Data path. Whether the source cache confirms `key` on `port` this second.
static inline bool l2_src_cache_hit(const struct l2_src_cache *c, uint64_t key, uint16_t port,
				    uint32_t now) {
	uint32_t i = rte_hash_crc_8byte(key, 0) & (L2_SRC_CACHE_SIZE - 1);

	return c != NULL && c->e[i].key == key && c->e[i].port == port && c->e[i].sec == now;
}

static inline void l2_src_cache_put(struct l2_src_cache *c, uint64_t key, uint16_t port,
				    uint32_t now) {
	uint32_t i = rte_hash_crc_8byte(key, 0) & (L2_SRC_CACHE_SIZE - 1);

	if (c != NULL) {
		c->e[i].key = key;
		c->e[i].port = port;
		c->e[i].sec = now;
	}
}

// Packets are resolved in chunks of L2_LOOKUP_CHUNK: every per-chunk array below is sized by it,
// and a chunk makes at most one static-table key and two learned-table keys (destination and
// source) per packet. rte_hash takes at most RTE_HASH_LOOKUP_BULK_MAX keys per bulk call, so the
// learned-table keys go in as many calls as they need (l2_fdb_bulk).
#define L2_LOOKUP_CHUNK DP_CHUNK
#define L2_FDB_KEYS_MAX (2 * L2_LOOKUP_CHUNK)
static_assert(L2_LOOKUP_CHUNK <= RTE_HASH_LOOKUP_BULK_MAX, "one static bulk lookup per chunk");
static_assert(L2_FDB_KEYS_MAX <= 2 * RTE_HASH_LOOKUP_BULK_MAX, "two learned bulk calls at most");
static_assert(L2_LOOKUP_CHUNK <= 0x8000, "idx[] keeps the source flag in bit 15");

// Data path. The static tables' answers for dst[0..n), from the worker's cache where it has them
// (an entry found in the same version of the network's table), else from the network's table:
// every missing key's slot is prefetched first, then looked up. n <= L2_LOOKUP_CHUNK.
static void l2_static_resolve(const struct bridge_cfg *bc, struct l2_src_cache *cache,
			      const struct bridge_mac_key *dst, uint16_t n,
			      struct l2_lookup_res *res) {
	const struct vsw_table *tab[L2_LOOKUP_CHUNK];
	uint32_t hash[L2_LOOKUP_CHUNK];
	uint16_t idx[L2_LOOKUP_CHUNK], k = 0;

	RTE_ASSERT(n <= L2_LOOKUP_CHUNK);
	for (uint16_t i = 0; i < n; i++) {
		uint64_t key = l2_key_u64(&dst[i]);
		uint32_t h = vsw_table_hash(key, 0);
		uint16_t c = (uint16_t)(h & (L2_DST_CACHE_SIZE - 1));
		const struct vsw_table *t = bc->bd[dst[i].bd_id]->macs;

		if (cache != NULL && cache->dst[c].key == key && cache->dst[c].generation == t->version) {
			res[i].dst_static = cache->dst[c].data;
			continue;
		}
		vsw_table_prefetch(t, h);
		tab[k] = t, hash[k] = h, idx[k++] = i;
	}
	for (uint16_t j = 0; j < k; j++) {
		uint64_t key = l2_key_u64(&dst[idx[j]]);
		uint64_t d = vsw_table_lookup_h(tab[j], key, 0, hash[j]);
		uint16_t c = (uint16_t)(hash[j] & (L2_DST_CACHE_SIZE - 1));

		if (d == 0)
			continue;
		res[idx[j]].dst_static = d;
		if (cache != NULL) {
			cache->dst[c].key = key;
			cache->dst[c].generation = tab[j]->version;
			cache->dst[c].data = d;
		}
	}
}

// Data path. Look up keys[0..k) (k <= L2_FDB_KEYS_MAX) in the learned table, in bulk calls of at
// most RTE_HASH_LOOKUP_BULK_MAX keys; a miss leaves data[j] NULL.
static void l2_fdb_bulk(const void **keys, uint16_t k, void **data) {
	for (uint16_t base = 0; base < k; base += RTE_HASH_LOOKUP_BULK_MAX) {
		uint16_t cnt = RTE_MIN(k - base, RTE_HASH_LOOKUP_BULK_MAX);
		uint64_t hits = 0;

		rte_hash_lookup_bulk_data(fdb_hash, &keys[base], cnt, &hits, &data[base]);
		for (uint16_t j = 0; j < cnt; j++)
			if (!(hits & (1ULL << j)))
				data[base + j] = NULL;
	}
}

// Data path. Fill res[0..n) for pkts[0..n) (n <= L2_LOOKUP_CHUNK).
static void l2_lookup_resolve(const struct bridge_cfg *bc, struct l2_src_cache *cache,
			      uint32_t now, struct rte_mbuf **pkts, uint16_t n,
			      struct l2_lookup_res *res) {
	struct bridge_mac_key dst[L2_LOOKUP_CHUNK], src[L2_LOOKUP_CHUNK];
	// Up to two keys per packet: its destination (unknown to the static table) and its source
	// (when it may learn).
	const void *keys[L2_FDB_KEYS_MAX];
	void *data[L2_FDB_KEYS_MAX];
	uint16_t idx[L2_FDB_KEYS_MAX], k = 0;

	RTE_ASSERT(n <= L2_LOOKUP_CHUNK);
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
		uint16_t bd_id = pkt_meta(pkts[i])->bd_id;
		dst[i] = (struct bridge_mac_key){.bd_id = bd_id, .mac = eth->dst_addr};
		src[i] = (struct bridge_mac_key){.bd_id = bd_id, .mac = eth->src_addr};
		res[i] = (struct l2_lookup_res){0};
	}
	l2_static_resolve(bc, cache, dst, n, res);
	for (uint16_t i = 0; i < n; i++) {
		if (res[i].dst_static == 0 && rte_is_unicast_ether_addr(&dst[i].mac))
			keys[k] = &dst[i], idx[k++] = i;
	}
	for (uint16_t i = 0; i < n; i++) { // sources that may learn, in the same bulk
		const struct pkt_meta *meta = pkt_meta(pkts[i]);
		const struct bridge_port *p = bridge_port_lookup(bc, meta->in_port);
		res[i].src_learns = l2_may_learn(bc->bd[src[i].bd_id], p, pkts[i]);
		res[i].src_cached = res[i].src_learns && !(meta->flags & PKT_F_TUNNEL) &&
				    l2_src_cache_hit(cache, l2_key_u64(&src[i]), meta->in_port, now);
		if (res[i].src_learns && !res[i].src_cached)
			keys[k] = &src[i], idx[k++] = (uint16_t)(i | 0x8000);
	}
	if (k == 0)
		return;
	l2_fdb_bulk(keys, k, data);
	for (uint16_t j = 0; j < k; j++) {
		struct l2_lookup_res *r = &res[idx[j] & 0x7fff];
		if (data[j] == NULL)
			continue;
		if (idx[j] & 0x8000)
			r->src = (uintptr_t)data[j];
		else
			r->dst_learned = (uintptr_t)data[j];
	}
}

static void l2_learn(struct dp_lcore *lc, struct l2_src_cache *cache, struct rte_mbuf *m,
		     const struct l2_lookup_res *r) {
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	struct bridge_mac_key key = {meta->bd_id, eth->src_addr};
	rte_be32_t vtep = (meta->flags & PKT_F_TUNNEL) ? meta->vtep : 0;

	if (likely(r->src != 0 && MAC_DATA_PORT(r->src) == meta->in_port &&
		   MAC_DATA_VTEP(r->src) == vtep)) {
		fdb_touch(MAC_DATA_POS(r->src), lc->now_sec);
		if (vtep == 0 && MAC_DATA_POS(r->src) >= 0)
			l2_src_cache_put(cache, l2_key_u64(&key), meta->in_port, lc->now_sec);
	} else {
		vswitch_learn_post(lc, &key, meta->in_port, vtep);
	}
}

// What l2_lookup records: how it found the destination, whether the source was learned.
struct l2_lookup_trace {
	uint8_t how;        // enum l2_lookup_how
	uint8_t learns;     // the source MAC is subject to learning here
	rte_be32_t vtep;    // with L2_HOW_REMOTE
};

static inline void l2_note(struct dp_lcore *lc, struct rte_mbuf *m, const struct l2_lookup_res *r,
			   enum l2_lookup_how how, rte_be32_t vtep) {
	TRACE_NOTE(lc, m, ((struct l2_lookup_trace){(uint8_t)how, r->src_learns, vtep}));
}

static rte_edge_t l2_lookup_decide(struct dp_lcore *lc, struct l2_src_cache *cache,
				   struct rte_mbuf *m, const struct l2_lookup_res *r) {
	const struct bridge_cfg *bc = bridge_cfg_get(lc->cfg);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct pkt_meta *meta = pkt_meta(m);
	const struct bridge_port *dst;
	uint64_t d;

	if (r->src_learns && !r->src_cached)
		l2_learn(lc, cache, m, r);
	if (unlikely(!rte_is_unicast_ether_addr(&eth->dst_addr))) {
		l2_note(lc, m, r, L2_HOW_FLOOD_BUM, 0);
		return L2_LOOKUP_FLOOD;
	}
	d = r->dst_static;
	l2_note(lc, m, r, L2_HOW_STATIC, 0);
	if (d == 0) {
		d = r->dst_learned;
		l2_note(lc, m, r, L2_HOW_LEARNED, 0);
		dst = d != 0 ? bridge_port_lookup(bc, MAC_DATA_PORT(d)) : NULL;
		// A learned entry may outlive its port's move to another network by one flush.
		if (d == 0 || (MAC_DATA_VTEP(d) == 0 && (dst == NULL || dst->bd_id != meta->bd_id))) {
			l2_note(lc, m, r, L2_HOW_FLOOD_UNKNOWN, 0);
			return L2_LOOKUP_FLOOD;
		}
	}
	if (unlikely(MAC_DATA_PORT(d) == BRIDGE_PORT_ROUTER)) {
		// The network's gateway MAC: routing takes it, from a vNIC or a VTEP alike. A frame
		// routed into this network for the router's own MAC would loop.
		if (unlikely(meta->flags & PKT_F_ROUTED))
			return dp_drop(m, DROP_L3_LOOP);
		l2_note(lc, m, r, L2_HOW_ROUTER, 0);
		return L2_LOOKUP_L3;
	}
	if (MAC_DATA_VTEP(d) != 0) {
		// Split horizon: what came from a VTEP never goes back to one.
		if (unlikely(meta->flags & PKT_F_TUNNEL))
			return dp_drop(m, DROP_L2_TUNNEL_HAIRPIN);
		meta->vtep = MAC_DATA_VTEP(d);
		l2_note(lc, m, r, L2_HOW_REMOTE, meta->vtep);
		return L2_LOOKUP_REMOTE;
	}
	// A routed frame may go back out of its input port (an echo reply from the gateway, a
	// route whose next hop sits behind the sender's port); a switched one may not.
	if (unlikely(MAC_DATA_PORT(d) == meta->in_port) && !(meta->flags & PKT_F_ROUTED))
		return dp_drop(m, DROP_L2_HAIRPIN);
	meta->out_port = MAC_DATA_PORT(d);
	return L2_LOOKUP_OUTPUT;
}

// What the shared burst loop (DP_NODE_DEFINE_BURST) keeps for one stream.
struct l2_lookup_run {
	const struct bridge_cfg *bc;
	struct l2_src_cache *cache;
	struct l2_lookup_res res[L2_LOOKUP_CHUNK]; // the current chunk's lookups
};

static void l2_lookup_run_init(struct dp_lcore *lc, struct rte_node *node, void *arg) {
	struct l2_lookup_run *run = arg;

	run->bc = bridge_cfg_get(lc->cfg);
	run->cache = ((struct l2_lookup_ctx *)node->ctx)->cache;
}

static void l2_lookup_prepare(struct dp_lcore *lc, struct rte_node *node, void *arg,
			      struct rte_mbuf **pkts, uint16_t n) {
	struct l2_lookup_run *run = arg;

	RTE_SET_USED(node);
	l2_lookup_resolve(run->bc, run->cache, lc->now_sec, pkts, n, run->res);
}

static rte_edge_t l2_lookup_burst_decide(struct dp_lcore *lc, struct rte_node *node, void *arg,
					 struct rte_mbuf *m, uint16_t i) {
	struct l2_lookup_run *run = arg;

	RTE_SET_USED(node);
	return l2_lookup_decide(lc, run->cache, m, &run->res[i]);
}

static const char *const l2_how_text[] = {
	[L2_HOW_FLOOD_BUM] = "broadcast/multicast: flood",
	[L2_HOW_STATIC] = "destination MAC static",
	[L2_HOW_LEARNED] = "destination MAC learned",
	[L2_HOW_FLOOD_UNKNOWN] = "destination MAC unknown: flood",
	[L2_HOW_REMOTE] = "destination MAC behind VTEP",
	[L2_HOW_ROUTER] = "destination MAC is the network's router: routed",
};

static const char *const l2_how_name[] = {
	[L2_HOW_FLOOD_BUM] = "flood_bum",
	[L2_HOW_STATIC] = "static",
	[L2_HOW_LEARNED] = "learned",
	[L2_HOW_FLOOD_UNKNOWN] = "flood_unknown",
	[L2_HOW_REMOTE] = "remote",
	[L2_HOW_ROUTER] = "router",
};

static void l2_lookup_format(const struct trace_record *r, char *buf, size_t size) {
	const struct l2_lookup_trace *t = TRACE_DATA(r, struct l2_lookup_trace);
	char ip[INET_ADDRSTRLEN];

	if (t == NULL || t->how >= RTE_DIM(l2_how_text))
		return;
	if (t->how == L2_HOW_REMOTE)
		snprintf(buf, size, "%s %s", l2_how_text[t->how],
			 inet_ntop(AF_INET, &t->vtep, ip, sizeof(ip)));
	else
		snprintf(buf, size, "%s", l2_how_text[t->how]);
}

static json_t *l2_lookup_fields(const struct trace_record *r) {
	const struct l2_lookup_trace *t = TRACE_DATA(r, struct l2_lookup_trace);
	char ip[INET_ADDRSTRLEN];
	json_t *o;

	if (t == NULL || t->how >= RTE_DIM(l2_how_name))
		return NULL;
	o = json_pack("{sssb}", "destination", l2_how_name[t->how], "source_learning", t->learns);
	if (t->how == L2_HOW_REMOTE)
		json_object_set_new(o, "vtep", json_string(inet_ntop(AF_INET, &t->vtep, ip, sizeof(ip))));
	return o;
}
TRACE_FORMATTER(l2_lookup, l2_lookup_format, l2_lookup_fields)

// Control thread, at graph creation: the worker's source cache, on the graph's socket.
static int l2_lookup_init(const struct rte_graph *graph, struct rte_node *node) {
	struct l2_lookup_ctx *ctx = (struct l2_lookup_ctx *)node->ctx;

	RTE_BUILD_BUG_ON(sizeof(struct l2_lookup_ctx) > RTE_NODE_CTX_SZ);
	ctx->cache = rte_zmalloc_socket("l2_src_cache", sizeof(*ctx->cache), RTE_CACHE_LINE_SIZE,
					graph->socket);
	return ctx->cache != NULL ? 0 : -ENOMEM;
}

static void l2_lookup_fini(const struct rte_graph *graph, struct rte_node *node) {
	RTE_SET_USED(graph);
	rte_free(((struct l2_lookup_ctx *)node->ctx)->cache);
}

DP_NODE_DEFINE_BURST_EXT(l2_lookup, struct l2_lookup_run, l2_lookup_run_init, l2_lookup_prepare,
			 l2_lookup_burst_decide, l2_lookup_init, l2_lookup_fini, L2_LOOKUP__COUNT,
			 [L2_LOOKUP_OUTPUT] = "port_tx",
			 [L2_LOOKUP_FLOOD] = "l2_flood",
			 [L2_LOOKUP_REMOTE] = DP_UNCLAIMED_NODE,
			 [L2_LOOKUP_L3] = DP_UNCLAIMED_NODE);
// A frame for a MAC behind a VTEP leaves through whatever carries the network between hosts; one
// for a local vNIC may pass steps inserted before port_tx.
DP_ATTACH_POINT("tunnel_output", "l2_lookup", L2_LOOKUP_REMOTE)
DP_ATTACH_POINT("vnic_output", "l2_lookup", L2_LOOKUP_OUTPUT)
// A frame for the network's router MAC (its gateway) goes to routing (vrouter: ip_route).
DP_ATTACH_POINT("l3_input", "l2_lookup", L2_LOOKUP_L3)
