// SPDX-License-Identifier: BSD-3-Clause
// Heap-backed mbufs for unit tests (see pktbuf.h).

#include <stdlib.h>
#include <string.h>

#include "dataplane/pkt.h"
#include "tests/lib/pktbuf.h"

#define PKTBUF_DATA 4096

struct rte_mbuf *pktbuf_create(const void *data, size_t len, uint16_t in_port) {
	size_t total = sizeof(struct rte_mbuf) + PKT_PRIV_SIZE + PKTBUF_DATA;
	struct rte_mbuf *m;

	if (len > PKTBUF_DATA - RTE_PKTMBUF_HEADROOM)
		return NULL;
	m = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN(total, RTE_CACHE_LINE_SIZE));
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m) + PKT_PRIV_SIZE);
	m->priv_size = PKT_PRIV_SIZE;
	m->buf_addr = (char *)m + sizeof(struct rte_mbuf) + PKT_PRIV_SIZE;
	m->buf_len = PKTBUF_DATA;
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->nb_segs = 1;
	m->port = in_port;
	rte_mbuf_refcnt_set(m, 1);
	memcpy(rte_pktmbuf_mtod(m, void *), data, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	pkt_meta_reset(pkt_meta(m), in_port);
	return m;
}

void pktbuf_destroy(struct rte_mbuf *m) {
	free(m);
}
