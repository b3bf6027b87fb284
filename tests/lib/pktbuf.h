// SPDX-License-Identifier: BSD-3-Clause
// Test packets without EAL: an mbuf, its private area (struct pkt_meta) and its data in one heap
// block, laid out as a mempool would, so that rte_pktmbuf_mtod() and pkt_meta() work unchanged.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

// A single-segment mbuf holding a copy of `data` (`len` bytes), metadata reset for `in_port`.
struct rte_mbuf *pktbuf_create(const void *data, size_t len, uint16_t in_port);
// Free a pktbuf_create() mbuf. Accepts NULL.
void pktbuf_destroy(struct rte_mbuf *m);
