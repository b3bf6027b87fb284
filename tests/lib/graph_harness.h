// SPDX-License-Identifier: BSD-3-Clause
// A real worker graph driven by the test, in-process: the source node "ut_rx" stands in for
// port_rx and hands a burst of any size (1 .. 65535) to the edges port_rx would use (parse for a
// vNIC, a system port's own edge for the underlay), with port_rx's counting. Every node after it
// is vnetd's own, so the burst is switched, encapsulated, flooded, sent on the ports (net_null
// devices) or dropped with its reason, and the fake lcore's counters say what happened. Used by
// the burst-shape tests and by the graph fuzzer. Builds on harness.h (call harness_setup first).
#pragma once

#include <stdint.h>

#include <rte_graph.h>
#include <rte_mbuf.h>

#include "tests/lib/harness.h"

// Create the graph (once per process; after the rules' features and the underlay are set up).
// Returns 0 or a negative errno.
int harness_graph_create(void);

// One graph walk in which pkts[0..n) arrive together, each on pkt_meta(m)->in_port, with the
// flags PKT_F_TRACED / PKT_F_DRY_RUN and the trace id they carry. The graph owns the mbufs.
void harness_graph_run(struct harness *h, struct rte_mbuf **pkts, uint32_t n);

// Added to the TSC the walks see: a test moves their clock forward (timeouts) without waiting.
extern uint64_t harness_tsc_offset;

// A packet-pool mbuf holding `len` bytes of `data`, arriving on `in_port`. NULL if the pool is
// empty or the frame does not fit one mbuf.
struct rte_mbuf *harness_mbuf(const void *data, uint32_t len, uint16_t in_port);

// The same, from a pktbuf_create()/pktgen mbuf, which it frees.
struct rte_mbuf *harness_mbuf_from(struct rte_mbuf *pktbuf);

// Whether every port's counters close: rx + injected + copies == sent + drops + consumed.
// Writes the first port that does not into `err`.
bool harness_counters_close(struct harness *h, char *err, size_t err_size);

// Packets of the packet pool in use now (mbufs held anywhere).
unsigned int harness_pool_in_use(void);

// Pop every trace record of the fake lcore; returns how many there were.
unsigned int harness_trace_drain(struct harness *h);
