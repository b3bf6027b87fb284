// SPDX-License-Identifier: BSD-3-Clause
// The "veth" port backend: a container's vNIC is the host end of a veth pair, served by vnetd
// through packet-mmap rings (AF_PACKET, TPACKET_V2), with no DPDK ethdev per container.
//
// Device forms (docs/rules-schema.md, "Port devices"):
//   veth:HOST                        adopt the existing veth HOST (made by the agent or a CNI
//                                    plugin, which set its peer's MAC and offloads)
//   veth:HOST,netns=NS[,peer=NAME]   the same, and if HOST does not exist vnetd creates the pair:
//                                    the peer (NAME, default eth0) is born in namespace NS (a name
//                                    under /run/netns or a path such as /proc/PID/ns/net) with the
//                                    port's MAC and its network's MTU, offloads off; vnetd's end
//                                    up, the peer down until the container's side configures it
//                                    (the link is down until then).
// With netns=, the pair is vnetd's: it deletes it when the port is removed from the rules, never
// when vnetd stops (a restarted vnetd finds it, adopts it, and the container keeps its interface).
// Without, the pair is its creator's: vnetd never deletes it.
//
// Why packet-mmap and not AF_XDP (docs/design-decisions.md, "Container vNICs"): both polled with
// no system call per received packet and one per transmitted burst, with the same latency (p50
// 10 us through a two-port bridge); AF_XDP on a veth in the Debian 12 kernel (6.1) cannot carry
// frames larger than a page (no multi-buffer AF_XDP before 6.6), and networks may have MTU 9000.
//
// Rings: an RX ring of VETH_RX_FRAMES frames on one socket (bound to ETH_P_ALL, outgoing frames
// ignored), a TX ring of VETH_TX_FRAMES frames on another (qdisc bypassed); frames are sized for
// the interface's MTU (2 KB up to MTU 1,950, else the next power of two). Polling the RX ring is a
// load of the next frame's status: an idle vNIC costs one cache line per walk. TX copies each
// frame into the ring and kicks the kernel once per burst (send with no data).
//
// Frames the kernel hands over unfinished: a partial checksum (TP_STATUS_CSUMNOTREADY: the peer
// has checksum offload on, as in a veth vnetd did not make) is completed here; a frame longer
// than the ring's frame (a GSO super-frame, or an MTU above the network's) is dropped as
// `vnic_rx_truncated`.
//
// Threads: attach/detach/link on the control thread; rx on the worker that polls the port; tx on
// any worker (under tx_lock when there are several workers: one TX ring per port).

#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/config.h"
#include "dataplane/lcore.h"
#include "dataplane/log.h"
#include "dataplane/pkt.h"
#include "dataplane/port.h"
#include "dataplane/veth_nl.h"

#define VETH_RX_FRAMES 256
#define VETH_TX_FRAMES 128
#define VETH_BLOCK_SIZE 4096u // one page: order-0 allocations (64 KB blocks took the kernel 8-14 ms a ring)
// Bytes before a received frame's data in its ring slot, at most (tp_mac is given per frame).
#define VETH_TX_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

struct veth_ring {
	uint8_t *base;
	size_t size;
	uint32_t frames, frame_size, head;
};

struct veth_port {
	char host[IF_NAMESIZE];
	bool created;          // made by this vnetd (else found: adopted)
	bool owned;            // netns= form: vnetd deletes the pair when the port goes
	int rx_fd, tx_fd;
	struct veth_ring rx, tx;
	uint64_t csum_fixed;   // partial checksums completed
	uint64_t kick_errors;  // TX kicks the kernel refused (other than "try again")
	uint64_t rx_missed;    // frames the kernel dropped with the RX ring full (tp_drops, summed:
			       // reading PACKET_STATISTICS resets it); control thread only
};

// ---- data path ----------------------------------------------------------------------------------

// Complete a partial TCP/UDP checksum (TP_STATUS_CSUMNOTREADY: the field holds only the pseudo
// header's sum). Frames that are not IPv4/IPv6 TCP/UDP are left as they are.
static void veth_csum_finish(struct veth_port *vp, struct rte_mbuf *m) {
	uint32_t off = sizeof(struct rte_ether_hdr);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t type = eth->ether_type;
	uint8_t proto;
	uint32_t l4;

	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		type = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *, off)->eth_proto;
		off += sizeof(struct rte_vlan_hdr);
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && m->data_len >= off + sizeof(struct rte_ipv4_hdr)) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
		proto = ip->next_proto_id;
		l4 = off + rte_ipv4_hdr_len(ip);
		if (m->data_len < l4 + 20)
			return;
		if (proto == IPPROTO_TCP) {
			struct rte_tcp_hdr *t = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4);
			t->cksum = 0;
			t->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, (uint16_t)l4);
		} else if (proto == IPPROTO_UDP) {
			struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4);
			u->dgram_cksum = 0;
			u->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, (uint16_t)l4);
		} else {
			return;
		}
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
		   m->data_len >= off + sizeof(struct rte_ipv6_hdr) + 20) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, off);
		proto = ip->proto; // extension headers: the kernel offloads no checksum past them
		l4 = off + sizeof(*ip);
		if (proto == IPPROTO_TCP) {
			struct rte_tcp_hdr *t = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4);
			t->cksum = 0;
			t->cksum = rte_ipv6_udptcp_cksum_mbuf(m, ip, (uint16_t)l4);
		} else if (proto == IPPROTO_UDP) {
			struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4);
			u->dgram_cksum = 0;
			u->dgram_cksum = rte_ipv6_udptcp_cksum_mbuf(m, ip, (uint16_t)l4);
		} else {
			return;
		}
	} else {
		return;
	}
	vp->csum_fixed++;
}

// A copy of `len` bytes at `data` in mbufs of the packet pool (a chain if it needs more than one
// buffer), or NULL when the pool is empty.
static struct rte_mbuf *veth_mbuf_from(const uint8_t *data, uint32_t len) {
	struct rte_mempool *pool = dp_pktmbuf_pool();
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool), *last = head;
	uint32_t done = 0;

	if (head == NULL)
		return NULL;
	while (true) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		uint16_t n = (uint16_t)RTE_MIN(room, len - done);

		memcpy(rte_pktmbuf_mtod(last, uint8_t *), data + done, n);
		last->data_len = n;
		done += n;
		if (done == len)
			break;
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
		if (s == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		last->next = s;
		head->nb_segs++;
		last = s;
	}
	head->pkt_len = len;
	return head;
}

static uint16_t veth_rx(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	struct veth_port *vp = d->priv;
	struct veth_ring *r = &vp->rx;
	uint16_t got = 0;

	RTE_SET_USED(q);
	while (got < n) {
		struct tpacket2_hdr *h = (void *)(r->base + (size_t)r->head * r->frame_size);
		uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		struct rte_mbuf *m;

		if (!(status & TP_STATUS_USER))
			break;
		if (unlikely(h->tp_len != h->tp_snaplen)) {
			// Longer than a ring frame: a GSO super-frame or an MTU above the network's.
			dp_port_rx_drop((uint16_t)(d - dp_port_devs), DROP_VNIC_RX_TRUNCATED, h->tp_len);
		} else {
			m = veth_mbuf_from((uint8_t *)h + h->tp_mac, h->tp_snaplen);
			if (unlikely(m == NULL))
				break; // no mbuf: the frame stays in the ring for the next poll
			if (unlikely(status & TP_STATUS_CSUMNOTREADY))
				veth_csum_finish(vp, m);
			pkts[got++] = m;
		}
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->head = r->head + 1 == r->frames ? 0 : r->head + 1;
	}
	return got;
}

static uint16_t veth_tx_locked(struct dp_port_dev *d, struct rte_mbuf **pkts, uint16_t n) {
	struct veth_port *vp = d->priv;
	struct veth_ring *r = &vp->tx;
	uint32_t max = r->frame_size - VETH_TX_DATA_OFF;
	uint16_t sent = 0;

	while (sent < n) {
		struct tpacket2_hdr *h = (void *)(r->base + (size_t)r->head * r->frame_size);
		uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		struct rte_mbuf *m = pkts[sent];

		if (status == TP_STATUS_WRONG_FORMAT) // the kernel refused an earlier frame
			status = TP_STATUS_AVAILABLE;
		if (status != TP_STATUS_AVAILABLE || rte_pktmbuf_pkt_len(m) > max)
			break; // ring full (or a frame the ring cannot hold): the rest is dropped
		uint8_t *dst = (uint8_t *)h + VETH_TX_DATA_OFF;
		// Copies a chain into dst; returns the data itself when it is in one segment.
		const void *src = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), dst);
		if (src != dst)
			memcpy(dst, src, rte_pktmbuf_pkt_len(m));
		h->tp_len = rte_pktmbuf_pkt_len(m);
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		r->head = r->head + 1 == r->frames ? 0 : r->head + 1;
		sent++;
	}
	if (sent > 0 && send(vp->tx_fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS) {
		vp->kick_errors++;
		if (errno == ENXIO || errno == ENETDOWN || errno == ENODEV)
			__atomic_store_n(&d->link_down, true, __ATOMIC_RELAXED);
	}
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

static uint16_t veth_tx(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	uint16_t sent;

	RTE_SET_USED(q);
	if (!d->tx_shared)
		return veth_tx_locked(d, pkts, n);
	rte_spinlock_lock(&d->tx_lock);
	sent = veth_tx_locked(d, pkts, n);
	rte_spinlock_unlock(&d->tx_lock);
	return sent;
}

// ---- control thread -----------------------------------------------------------------------------

static int ring_open(int fd, int which, uint32_t frames, uint32_t frame_size, struct veth_ring *r) {
	uint32_t per_block = RTE_MAX(VETH_BLOCK_SIZE, frame_size) / frame_size;
	struct tpacket_req req = {
		.tp_block_size = RTE_MAX(VETH_BLOCK_SIZE, frame_size),
		.tp_block_nr = (frames + per_block - 1) / per_block,
		.tp_frame_size = frame_size,
	};

	req.tp_frame_nr = req.tp_block_nr * per_block;
	if (setsockopt(fd, SOL_PACKET, which, &req, sizeof(req)) < 0)
		return -errno;
	r->size = (size_t)req.tp_block_size * req.tp_block_nr;
	r->frames = req.tp_frame_nr;
	r->frame_size = frame_size;
	return 0;
}

static int veth_sockets_open(struct veth_port *vp, int ifindex, uint16_t mtu, char *err,
			     size_t err_size) {
	int v2 = TPACKET_V2, one = 1, ret;
	// The largest frame (Ethernet header, a VLAN tag) after the ring's header, in a power of two.
	uint32_t frame = rte_align32pow2(RTE_MAX((uint32_t)mtu + 18 + TPACKET2_HDRLEN + 64, 2048u));
	struct sockaddr_ll rx = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = ifindex};
	struct sockaddr_ll tx = {.sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = ifindex};
	const char *what;

	// Protocol 0 at creation: nothing is queued before the ring exists and the bind.
	vp->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	vp->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	what = "socket";
	if (vp->rx_fd < 0 || vp->tx_fd < 0)
		goto fail;
	what = "PACKET_VERSION";
	if (setsockopt(vp->rx_fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) < 0 ||
	    setsockopt(vp->tx_fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) < 0)
		goto fail;
	what = "PACKET_IGNORE_OUTGOING"; // what vnetd sends is not received back
	if (setsockopt(vp->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		goto fail;
	what = "PACKET_QDISC_BYPASS";
	if (setsockopt(vp->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		goto fail;
	what = "PACKET_RX_RING";
	if ((ret = ring_open(vp->rx_fd, PACKET_RX_RING, VETH_RX_FRAMES, frame, &vp->rx)) < 0) {
		errno = -ret;
		goto fail;
	}
	what = "PACKET_TX_RING";
	if ((ret = ring_open(vp->tx_fd, PACKET_TX_RING, VETH_TX_FRAMES, frame, &vp->tx)) < 0) {
		errno = -ret;
		goto fail;
	}
	what = "mmap";
	vp->rx.base = mmap(NULL, vp->rx.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			   vp->rx_fd, 0);
	if (vp->rx.base == MAP_FAILED) {
		vp->rx.base = NULL;
		goto fail;
	}
	vp->tx.base = mmap(NULL, vp->tx.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			   vp->tx_fd, 0);
	if (vp->tx.base == MAP_FAILED) {
		vp->tx.base = NULL;
		goto fail;
	}
	what = "bind";
	if (bind(vp->rx_fd, (struct sockaddr *)&rx, sizeof(rx)) < 0 ||
	    bind(vp->tx_fd, (struct sockaddr *)&tx, sizeof(tx)) < 0)
		goto fail;
	return 0;
fail:
	ret = -errno;
	snprintf(err, err_size, "%s: %s", what, strerror(errno));
	return ret;
}

static void veth_close(struct veth_port *vp) {
	if (vp->rx.base != NULL)
		munmap(vp->rx.base, vp->rx.size);
	if (vp->tx.base != NULL)
		munmap(vp->tx.base, vp->tx.size);
	if (vp->rx_fd >= 0)
		close(vp->rx_fd);
	if (vp->tx_fd >= 0)
		close(vp->tx_fd);
}

// Parse "HOST[,netns=NS][,peer=NAME]".
static int veth_args(const char *args, char *host, char *netns, size_t netns_size, char *peer,
		     char *err, size_t err_size) {
	char buf[DP_DEVARGS_SIZE];
	char *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", args);
	tok = strtok_r(buf, ",", &save);
	if (tok == NULL || strlen(tok) >= IF_NAMESIZE || strchr(tok, '/') != NULL) {
		snprintf(err, err_size, "device \"veth:%s\": needs an interface name (1..%d characters)",
			 args, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	snprintf(host, IF_NAMESIZE, "%s", tok);
	snprintf(peer, IF_NAMESIZE, "eth0");
	netns[0] = '\0';
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(tok, "netns=", 6) == 0 && tok[6] != '\0') {
			snprintf(netns, netns_size, tok[6] == '/' ? "%s" : "/run/netns/%s", tok + 6);
		} else if (strncmp(tok, "peer=", 5) == 0 && strlen(tok + 5) > 0 &&
			   strlen(tok + 5) < IF_NAMESIZE) {
			snprintf(peer, IF_NAMESIZE, "%s", tok + 5);
		} else {
			snprintf(err, err_size,
				 "device \"veth:%s\": unknown option \"%s\" (netns=NS, peer=NAME)",
				 args, tok);
			return -EINVAL;
		}
	}
	return 0;
}

static int veth_attach(struct dp_port_dev *d, const char *args, const struct dp_port_spec *spec,
		       char *err, size_t err_size) {
	char host[IF_NAMESIZE], peer[IF_NAMESIZE], netns[256], msg[256];
	struct veth_port *vp;
	bool created = false;
	uint16_t mtu;
	int ifindex, ret;

	ret = veth_args(args, host, netns, sizeof(netns), peer, err, err_size);
	if (ret < 0)
		return ret;
	ifindex = veth_ifindex(host);
	if (ifindex < 0 && netns[0] == '\0') {
		snprintf(err, err_size, "device \"veth:%s\": no interface %s (netns=NS creates it)",
			 args, host);
		return -ENODEV;
	}
	if (ifindex < 0) {
		if (rte_is_zero_ether_addr(&spec->mac)) {
			snprintf(err, err_size, "device \"veth:%s\": a port needs a MAC", args);
			return -EINVAL;
		}
		ret = veth_create(host, peer, netns, &spec->mac, spec->mtu, msg, sizeof(msg));
		if (ret < 0) {
			snprintf(err, err_size, "device \"veth:%s\": %s", args, msg);
			return ret;
		}
		created = true;
		ifindex = veth_ifindex(host);
	} else if (veth_is_veth(host) != 1) {
		// Never the host's own NIC or anything else: vnetd would read and write its traffic.
		snprintf(err, err_size, "device \"veth:%s\": %s is not a veth", args, host);
		return -EINVAL;
	} else {
		veth_offloads_off(host); // the peer's are its creator's (docs/rules-schema.md)
	}
	vp = rte_zmalloc("veth_port", sizeof(*vp), RTE_CACHE_LINE_SIZE);
	if (vp == NULL || ifindex < 0) {
		snprintf(err, err_size, "device \"veth:%s\": %s", args,
			 vp == NULL ? "out of memory" : "interface gone");
		ret = vp == NULL ? -ENOMEM : -ENODEV;
		goto fail;
	}
	snprintf(vp->host, sizeof(vp->host), "%s", host);
	vp->created = created;
	vp->owned = netns[0] != '\0';
	vp->rx_fd = vp->tx_fd = -1;
	mtu = RTE_MAX(veth_mtu(host), spec->mtu);
	ret = veth_sockets_open(vp, ifindex, mtu, msg, sizeof(msg));
	if (ret < 0) {
		snprintf(err, err_size, "device \"veth:%s\": %s", args, msg);
		veth_close(vp);
		goto fail;
	}
	d->priv = vp;
	d->n_rxq = 1;
	d->tx_shared = dp_port_params()->n_workers > 1; // one TX ring
	rte_spinlock_init(&d->tx_lock);
	d->link_down = veth_link_up(host) != 1;
	LOG(INFO, "veth %s: %s, rings %u+%u frames of %u bytes", host,
	    created ? "created" : "adopted", vp->rx.frames, vp->tx.frames, vp->rx.frame_size);
	return 0;
fail:
	rte_free(vp);
	if (created)
		veth_delete(host);
	return ret;
}

static void veth_detach(struct dp_port_dev *d) {
	struct veth_port *vp = d->priv;

	veth_close(vp);
	// vnetd's pair goes with its port, not with vnetd: a restart adopts it.
	if (vp->owned && !dp_ports_stopping())
		veth_delete(vp->host);
	rte_free(vp);
	d->priv = NULL;
}

static void veth_link(const struct dp_port_dev *d, struct dp_port_link *l) {
	struct veth_port *vp = d->priv;
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	l->up = veth_link_up(vp->host) == 1;
	l->mtu = veth_mtu(vp->host);
	if (l->want_stats && getsockopt(vp->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		vp->rx_missed += st.tp_drops;
	l->rx_missed = vp->rx_missed;
	snprintf(l->detail, sizeof(l->detail),
		 "veth %s (%s), rings %u+%u x %u B, %lu checksums completed, %lu kick errors",
		 vp->host, vp->created ? "created" : "adopted", vp->rx.frames, vp->tx.frames,
		 vp->rx.frame_size, (unsigned long)vp->csum_fixed, (unsigned long)vp->kick_errors);
}

static const struct dp_port_ops veth_port_ops = {
	.name = "veth",
	.prefix = "veth:",
	.parallel_fini = true, // detach touches only its own port (and never deletes at shutdown)
	.rx = veth_rx,
	.tx = veth_tx,
	.attach = veth_attach,
	.detach = veth_detach,
	.link = veth_link,
};

RTE_INIT(veth_backend_register) {
	dp_port_backend_register(&veth_port_ops);
}
