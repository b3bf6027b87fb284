// SPDX-License-Identifier: BSD-3-Clause
// The packet metadata that every stage shares, defined once. It lives in the mbuf private area
// (every vnetd mempool is created with priv_size = sizeof(struct pkt_meta)); port_rx resets it,
// parse fills the layer offsets, later nodes read and extend it.
#pragma once

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define PKT_PORT_NONE UINT16_MAX
#define PKT_BD_NONE UINT16_MAX

enum pkt_l3 {
	PKT_L3_NONE = 0, // not IP and not ARP (for example LLDP); switched by MAC only
	PKT_L3_ARP,
	PKT_L3_IP4,
	PKT_L3_IP6,
};

enum pkt_l4 {
	PKT_L4_NONE = 0, // no L4 header parsed (unknown protocol or non-first fragment)
	PKT_L4_TCP,
	PKT_L4_UDP,
	PKT_L4_ICMP,
	PKT_L4_ICMP6,
};

// Flags in pkt_meta.flags.
#define PKT_F_TRACED (1u << 0)   // append a trace record at every node
#define PKT_F_DRY_RUN (1u << 1)  // synthetic trace: commit no state, transmit nothing
#define PKT_F_IP_FRAG (1u << 2)  // IPv4/IPv6 fragment (any)
#define PKT_F_IP_LATER_FRAG (1u << 3) // not the first fragment: no L4 header
#define PKT_F_VLAN (1u << 4)     // an 802.1Q tag was present (parse records its offset)
#define PKT_F_FLOODED (1u << 5)  // a copy made by a flood node (dp_pkt_copy)
#define PKT_F_TUNNEL (1u << 6)   // arrived encapsulated: `vni` and `vtep` say from where
#define PKT_F_CTL_TX (1u << 7)   // built by the control thread: port_rx sends it to port_tx as is
#define PKT_F_ROUTED (1u << 8)   // routed into its current network: never learned from
#define PKT_F_CTL_INJECT (1u << 9) // handed by the control thread to port_rx's edge inject_edge
#define PKT_F_NEIGH_RETRY (1u << 10) // held for a neighbour that did not answer: drop if unresolved
#define PKT_F_FW_MADE (1u << 11) // made by the firewall (a TCP RST, a DNS REFUSED): no filter takes it

struct pkt_meta {
	uint16_t in_port;      // DPDK port id the packet arrived on
	uint16_t out_port;     // DPDK port id chosen for it, PKT_PORT_NONE until then
	uint16_t bd_id;        // bridge domain (network index in the snapshot), PKT_BD_NONE if none
	uint16_t drop_reason;  // enum dp_drop_reason, set by dp_drop()
	uint16_t flags;        // PKT_F_*
	uint8_t l3;            // enum pkt_l3
	uint8_t l4;            // enum pkt_l4
	uint16_t l3_off;       // bytes from the frame start to the L3 header (after any VLAN tag)
	uint16_t l4_off;       // bytes from the frame start to the L4 header, 0 if none
	uint16_t l3_len;       // bytes of L3 packet (IPv4 total length / IPv6 40 + payload length)
	uint8_t l4_proto;      // IP protocol of the L4 header (after IPv6 extension headers)
	uint8_t inject_edge;   // with PKT_F_CTL_INJECT: the port_rx edge it enters the graph by
	uint16_t vlan_tci;     // host order, valid with PKT_F_VLAN
	uint32_t vni;          // the network's VXLAN id (set with bd_id, or from the VXLAN header)
	rte_be32_t vtep;       // remote VTEP: destination to encapsulate to, or source decapsulated from
	uint32_t trace_id;     // which trace this packet belongs to (valid with PKT_F_TRACED)
	// Routing and conntrack (0 until they set them).
	uint16_t vrf_id;       // router (VRF) index in the snapshot
	uint16_t tenant_id;    // the tenant's numeric id in the snapshot (conntrack zone)
	uint32_t ct_id;        // conntrack entry handle
	uint32_t rule_id;      // matched security-group rule
};

// The metadata is read by every node: it stays within one cache line, with room to grow. What
// only traces need (a node's record, copies made) is not here: see trace.h.
static_assert(sizeof(struct pkt_meta) <= 48, "struct pkt_meta grew past 48 bytes");

// Any thread. The metadata of `m`.
static inline struct pkt_meta *pkt_meta(struct rte_mbuf *m) {
	return (struct pkt_meta *)rte_mbuf_to_priv(m);
}

// Data path. Reset the metadata of a freshly received packet.
static inline void pkt_meta_reset(struct pkt_meta *meta, uint16_t in_port) {
	*meta = (struct pkt_meta){
		.in_port = in_port,
		.out_port = PKT_PORT_NONE,
		.bd_id = PKT_BD_NONE,
	};
}

// Size of the private area every vnetd mempool reserves (a multiple of RTE_MBUF_PRIV_ALIGN).
#define PKT_PRIV_SIZE RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN)
