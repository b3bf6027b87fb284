// SPDX-License-Identifier: BSD-3-Clause
// The firewall log (docs/firewall.md, "The log of denied connections"): workers note each
// connection the groups deny into a ring of their own, rate-limited; the control thread drains the
// rings and streams the notes to `vnetctl firewall log` clients (method firewall.log).
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "dataplane/config.h"
#include "dataplane/lcore.h"

#define FW_LOG_RING 1024      // notes waiting per worker
#define FW_LOG_RATE 200       // notes per second per worker (then counted as suppressed)
#define FW_LOG_BURST 100

struct fw_log_rec {
	uint64_t tsc;
	uint16_t port_id;     // the local port the packet was from (egress) or for (ingress)
	uint16_t zone;
	uint8_t dir;          // enum fw_dir
	uint8_t family;
	uint8_t proto;
	uint8_t reason;       // 0: no rule allows it, 1: no groups
	uint16_t sport, dport;
	uint16_t pad[2];
	uint8_t src[16], dst[16];
};

struct fw_log_worker {
	struct rte_ring *ring;
	uint64_t tokens_tsc;  // token bucket: the time the bucket was last filled
	uint32_t tokens;
	uint64_t suppressed;  // notes over the rate (read by the control thread)
	uint64_t lost;        // notes that found the ring full
} __rte_cache_aligned;

extern struct fw_log_worker fw_log_workers[DP_WORKERS_MAX];
// Someone listens: workers note (one flag test otherwise). Written by the control thread, read by
// the workers: atomic loads and stores (fw_log_listening()).
extern bool fw_log_on;

static inline bool fw_log_listening(void) {
	return __atomic_load_n(&fw_log_on, __ATOMIC_RELAXED);
}

// Data path. Note a denied connection (rate-limited).
static inline void fw_log_note(struct dp_lcore *lc, const struct fw_log_rec *r) {
	struct fw_log_worker *w = &fw_log_workers[lc->worker < DP_WORKERS_MAX ? lc->worker : 0];
	uint64_t hz = rte_get_tsc_hz();

	if (w->ring == NULL)
		return;
	if (lc->now_tsc - w->tokens_tsc >= hz / FW_LOG_RATE) {
		uint64_t add = (lc->now_tsc - w->tokens_tsc) / (hz / FW_LOG_RATE);
		w->tokens = (uint32_t)RTE_MIN((uint64_t)FW_LOG_BURST, w->tokens + add);
		w->tokens_tsc += add * (hz / FW_LOG_RATE);
	}
	if (w->tokens == 0) {
		w->suppressed++;
		return;
	}
	w->tokens--;
	if (rte_ring_sp_enqueue_elem(w->ring, (void *)(uintptr_t)r, sizeof(*r)) != 0)
		w->lost++;
}

// Control thread, at start-up: the rings of n workers, the method, the drain.
int fw_log_init(unsigned int n_workers);
