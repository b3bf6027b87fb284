// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the whole graph, for real (not dry-run), with its state kept between inputs. An
// input is a sequence of frames cut into bursts of 1..256 and delivered together to the local
// ports and the underlay of the topology in fuzz_common.c (learning on and off, remote MACs,
// flood lists, VXLAN learning), through tests/lib/graph_harness (vnetd's own nodes after a
// stand-in for port_rx). The control thread's side runs between bursts: learning and neighbour
// events are handled, and periodic work (aging) every few inputs.
//
// Input, repeated until it runs out:
//   byte h:  bits 0-2 the port (a, b, d, t, g, the underlay, the underlay again, a port id no
//            snapshot has), bit 3 end the burst after this frame, bit 4 traced, bit 5 dry run
//            (with bit 4), bit 6 split the frame into segments
//   2 bytes: frame length, little endian, at most FUZZ_FRAME_MAX (what is left if less)
//   [1 byte: first segment length, with bit 6]
//   the frame
// A burst also ends at 256 frames (a node may receive up to 256 packets from port_rx).
//
// After every burst it checks what every test checks with fewer inputs: each port's counters
// close (rx + injected + copies == sent + drops + consumed) and every mbuf is back in the pool.

#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <netinet/in.h>

#include "dataplane/config.h"
#include "dataplane/event.h"
#include "dataplane/graph.h"
#include "dataplane/stats.h"
#include "dataplane/port.h"
#include "firewall/sg_hold.h"
#include "overlay/overlay.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/lib/graph_harness.h"
#include "vrouter/neigh.h"

#define FUZZ_FRAME_MAX 9216 // the largest frame a port may receive (underlay mtu 9000 + headers)
#define FUZZ_BURST_MAX 256  // RTE_GRAPH_BURST_SIZE: what port_rx hands to parse at most

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct harness *h;
static uint16_t ports[8];
static unsigned int pool_base;

static void setup(void) {
	static const char *const names[] = {"a", "b", "d", "t", "g"};

	h = fuzz_engine_init();
	if (harness_graph_create() < 0)
		fuzz_fail("graph creation");
	for (size_t i = 0; i < RTE_DIM(names); i++)
		ports[i] = harness_port(names[i]);
	ports[5] = ports[6] = underlay.port_id;
	ports[7] = DP_PORTS_MAX - 1; // a port id that no snapshot has (none attached)
	pool_base = harness_pool_in_use();
}

// A frame in one mbuf, or in a chain whose first segment holds `first` bytes (then up to the
// data room each), as mergeable-buffer virtio and jumbo frames arrive.
static struct rte_mbuf *frame(const uint8_t *p, uint32_t len, uint16_t in_port, uint32_t first) {
	uint32_t room = rte_pktmbuf_data_room_size(dp_pktmbuf_pool()) - RTE_PKTMBUF_HEADROOM;
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	if (first == 0 || first > room)
		first = room;
	do {
		uint32_t n = RTE_MIN(len - off, off == 0 ? first : room);
		struct rte_mbuf *seg = harness_mbuf(p + off, n, in_port);
		if (seg == NULL || (head != NULL && rte_pktmbuf_chain(head, seg) != 0)) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(head);
			return NULL;
		}
		head = head ? head : seg;
		off += n;
	} while (off < len);
	return head;
}

// Segments the firewall holds for L7 inspection (port b's rules) wait for the rest of their
// request: move the clock past the hold's timeout and send a frame through both firewall nodes
// (b to a), which expire them (dropped, both ends reset), so that counters and pool close.
static void hold_expire(void) {
	uint8_t f[60] = {0};
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	struct rte_mbuf *m;

	if (sg_hold_mbufs() == 0)
		return;
	harness_tsc_offset += 2 * rte_get_tsc_hz();
	memcpy(f, "\x02\x00\x00\x00\x01\x0a\x02\x00\x00\x00\x01\x0b\x08\x00", 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + 8);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a00000b);
	ip->dst_addr = rte_cpu_to_be_32(0x0a00000a);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = u->dst_port = rte_cpu_to_be_16(9);
	u->dgram_len = rte_cpu_to_be_16(8);
	m = harness_mbuf(f, sizeof(f), ports[1]);
	if (m == NULL)
		fuzz_fail("no mbuf for the hold's expiry");
	harness_graph_run(h, &m, 1);
	if (sg_hold_mbufs() != 0)
		fuzz_fail("%u mbufs still held after the hold's timeout", sg_hold_mbufs());
}

static void control_thread_turn(void) {
	struct dp_event ev;
	char err[256];

	hold_expire();
	while (harness_event_pop(h, &ev))
		dp_event_dispatch(&ev);
	// Packets held for next hops being resolved go back (and, with no worker here, are freed)
	// so that the pool is whole after each input.
	vr_neigh_release_all();
	harness_trace_drain(h);
	if (!harness_counters_close(h, err, sizeof(err)))
		fuzz_fail("counters do not close: %s", err);
	if (harness_pool_in_use() != pool_base)
		fuzz_fail("%u mbufs in use after the burst, %u before", harness_pool_in_use(),
			  pool_base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct rte_mbuf *burst[FUZZ_BURST_MAX];
	static unsigned int inputs;
	size_t off = 0;
	uint32_t n = 0;

	if (h == NULL)
		setup();
	while (off + 3 <= size) {
		uint8_t hdr = data[off];
		uint32_t len = (uint32_t)data[off + 1] | (uint32_t)data[off + 2] << 8, first = 0;
		struct rte_mbuf *m;

		off += 3;
		if (hdr & 0x40 && off < size)
			first = 1 + data[off++];
		len = RTE_MIN(RTE_MIN(len, (uint32_t)FUZZ_FRAME_MAX), (uint32_t)(size - off));
		m = frame(data + off, len, ports[hdr & 7], first);
		off += len;
		if (m == NULL)
			fuzz_fail("no mbuf for a frame of %u bytes", len);
		if (hdr & 0x10) {
			pkt_meta(m)->flags |= PKT_F_TRACED | ((hdr & 0x20) ? PKT_F_DRY_RUN : 0);
			pkt_meta(m)->trace_id = (uint32_t)off;
		}
		burst[n++] = m;
		if ((hdr & 0x08) || n == FUZZ_BURST_MAX) {
			harness_graph_run(h, burst, n);
			control_thread_turn();
			n = 0;
		}
	}
	if (n > 0) {
		harness_graph_run(h, burst, n);
		control_thread_turn();
	}
	// Aging and neighbour refresh, as the control thread runs them.
	if (++inputs % 64 == 0)
		dp_periodic_run();
	return 0;
}
