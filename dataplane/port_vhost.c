// SPDX-License-Identifier: BSD-3-Clause
// The "vhost" port backend: VM vNICs served over vhost-user through librte_vhost directly, as Open
// vSwitch does, not through the net_vhost ethdev (so VMs are not bound by the 32 ethdevs of
// Debian's DPDK build).
//
// Device forms (docs/rules-schema.md, "Port devices"):
//   vhost:PATH            vnetd connects to PATH as vhost-user client (QEMU is the server:
//                         `-chardev socket,path=PATH,server=on`); QEMU keeps the VM's link while
//                         vnetd restarts, and vnetd reconnects.
//   vhost:PATH,server     vnetd creates PATH and QEMU connects to it (QEMU must reconnect
//                         itself: `reconnect=1` on its chardev).
//
// Features: mergeable RX buffers and multiqueue are offered; every checksum and segmentation
// offload is negotiated off, so that a default Linux guest computes its checksums and never hands
// vnetd a GSO super-frame or a partial checksum (vnetd forwards frames as they are).
//
// Threads: librte_vhost's own thread runs the callbacks (new_device, destroy_device,
// vring_state_changed); the control thread attaches and detaches; workers call rx/tx. A device
// becomes usable by workers when `ready` is set (release) after its queues are known; on
// destroy_device `ready` is cleared and the callback waits for an RCU grace period, so that no
// worker touches the vid once the callback returns. `lock` (a mutex) serializes the callbacks
// against attach/detach on the table of ports; workers never take it.
//
// Queues: the port has one RX queue per worker for vnetd's port_rx; RX queue q drains the guest
// TX rings of pairs q, q + n_workers, ... in turn (a multiqueue guest sends on all the rings it
// enabled); worker w sends on guest RX ring pair w when the guest enabled that many pairs. When it
// enabled fewer pairs than vnetd has workers, workers share a ring under a spinlock (the one place
// a worker waits: only with more workers than the guest has queues).

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>
#include <rte_vhost.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/worker.h"

#define VHOST_QP_MAX 16 // queue pairs used per device (more are left idle)
// Rings of queue pair q: 2q is the guest's RX (vnetd enqueues), 2q+1 its TX (vnetd dequeues).
#define VHOST_GUEST_RX 0
#define VHOST_GUEST_TX 1
// Packets librte_vhost moves per enqueue or dequeue call at most (its MAX_PKT_BURST).
#define VHOST_BURST_MAX 32

struct vhost_port {
	char path[PATH_MAX];
	bool server;
	uint16_t port_id;
	int vid;                      // -1: no device connected
	uint32_t ready;               // atomic: workers may use vid and the rings below
	uint16_t n_qp;                // queue pairs of the device (at most VHOST_QP_MAX)
	uint8_t rx_enabled[VHOST_QP_MAX]; // guest TX ring of pair q enabled (vnetd dequeues)
	uint8_t tx_enabled[VHOST_QP_MAX]; // guest RX ring of pair q enabled (vnetd enqueues)
	uint16_t n_tx;                // enabled guest RX rings, counted from 0
	uint16_t rx_next[VHOST_QP_MAX]; // per RX queue: the guest TX ring its next poll starts with
	rte_spinlock_t tx_lock[VHOST_QP_MAX];
	uint64_t connects;            // devices that connected since attach
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhost_port *by_port[DP_PORTS_MAX];

// Under `lock`. The port whose socket is the vid's.
static struct vhost_port *vhost_port_of(int vid) {
	char path[PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	for (uint16_t i = 0; i < DP_PORTS_MAX; i++)
		if (by_port[i] != NULL && strcmp(by_port[i]->path, path) == 0)
			return by_port[i];
	return NULL;
}

static void vhost_tx_count(struct vhost_port *vp) {
	uint16_t n = 0;

	while (n < vp->n_qp && vp->tx_enabled[n])
		n++;
	__atomic_store_n(&vp->n_tx, n, __ATOMIC_RELEASE);
}

static int vhost_new_device(int vid) {
	struct vhost_port *vp;

	pthread_mutex_lock(&lock);
	vp = vhost_port_of(vid);
	if (vp != NULL) {
		vp->vid = vid;
		vp->n_qp = (uint16_t)RTE_MIN(rte_vhost_get_vring_num(vid) / 2, VHOST_QP_MAX);
		for (uint16_t q = 0; q < vp->n_qp * 2; q++)
			rte_vhost_enable_guest_notification(vid, q, 0); // vnetd polls
		vhost_tx_count(vp);
		vp->connects++;
		__atomic_store_n(&vp->ready, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&dp_port_devs[vp->port_id].link_down, false, __ATOMIC_RELAXED);
		LOG(INFO, "vhost %s: device %d connected, %u queue pairs", vp->path, vid, vp->n_qp);
	}
	pthread_mutex_unlock(&lock);
	return vp != NULL ? 0 : -1;
}

static void vhost_destroy_device(int vid) {
	struct vhost_port *vp;

	pthread_mutex_lock(&lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && vp->vid == vid) {
		__atomic_store_n(&vp->ready, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&dp_port_devs[vp->port_id].link_down, true, __ATOMIC_RELAXED);
		// No worker may touch the vid once this returns.
		if (dp_rcu() != NULL)
			rte_rcu_qsbr_synchronize(dp_rcu(), RTE_QSBR_THRID_INVALID);
		vp->vid = -1;
		memset(vp->rx_enabled, 0, sizeof(vp->rx_enabled));
		memset(vp->tx_enabled, 0, sizeof(vp->tx_enabled));
		vp->n_tx = 0;
		LOG(INFO, "vhost %s: device %d disconnected", vp->path, vid);
	}
	pthread_mutex_unlock(&lock);
}

static int vhost_vring_state_changed(int vid, uint16_t vring, int enable) {
	struct vhost_port *vp;
	uint16_t qp = vring / 2;

	pthread_mutex_lock(&lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && qp < VHOST_QP_MAX) {
		if (vring % 2 == VHOST_GUEST_TX)
			__atomic_store_n(&vp->rx_enabled[qp], enable != 0, __ATOMIC_RELEASE);
		else
			vp->tx_enabled[qp] = enable != 0;
		vhost_tx_count(vp);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

// Remove `path` only if it is a socket: a rules document naming any other file (vhost:/etc/x,server)
// must not make vnetd, which runs as root, delete it. librte_vhost then refuses to listen there.
static void socket_unlink_stale(const char *path) {
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = vhost_new_device,
	.destroy_device = vhost_destroy_device,
	.vring_state_changed = vhost_vring_state_changed,
};

// Data path. vnetd's RX queue q of the port drains the guest TX rings of pairs q, q + n_rxq, ...
// (n_rxq: one per worker), starting with the one after the last served, until n packets.
static uint16_t vhost_rx(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	struct vhost_port *vp = d->priv;
	uint16_t got = 0, n_qp, n_mine, start, step = d->n_rxq;

	if (!__atomic_load_n(&vp->ready, __ATOMIC_ACQUIRE) || q >= step)
		return 0;
	n_qp = vp->n_qp;
	n_mine = (uint16_t)(n_qp > q ? (n_qp - q + step - 1) / step : 0);
	start = vp->rx_next[q] < n_mine ? vp->rx_next[q] : 0;
	for (uint16_t i = 0; i < n_mine && got < n; i++) {
		uint16_t qp = (uint16_t)(q + ((start + i) % n_mine) * step);

		if (!__atomic_load_n(&vp->rx_enabled[qp], __ATOMIC_ACQUIRE))
			continue;
		while (got < n) { // at most VHOST_BURST_MAX per call
			uint16_t want = (uint16_t)RTE_MIN(n - got, VHOST_BURST_MAX);
			uint16_t k = rte_vhost_dequeue_burst(vp->vid,
							     (uint16_t)(qp * 2 + VHOST_GUEST_TX),
							     dp_pktmbuf_pool(), &pkts[got], want);

			got = (uint16_t)(got + k);
			if (k < want)
				break;
		}
	}
	vp->rx_next[q] = (uint16_t)(start + 1);
	return got;
}

// Data path. Copy pkts into the guest RX ring of this worker (q = worker index); the copies are
// the guest's, so the mbufs it took are freed here.
static uint16_t vhost_tx(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	struct vhost_port *vp = d->priv;
	uint16_t n_tx, qp, sent;
	bool shared;

	if (!__atomic_load_n(&vp->ready, __ATOMIC_ACQUIRE))
		return 0;
	n_tx = __atomic_load_n(&vp->n_tx, __ATOMIC_ACQUIRE);
	if (n_tx == 0)
		return 0;
	qp = q < n_tx ? q : (uint16_t)(q % n_tx);
	shared = dp_port_params()->n_workers > n_tx;
	if (shared)
		rte_spinlock_lock(&vp->tx_lock[qp]);
	// librte_vhost takes at most VHOST_BURST_MAX per call: the rest would be dropped as
	// tx_full with room in the guest's ring. Fed in chunks until the ring is full.
	sent = 0;
	while (sent < n) {
		uint16_t want = (uint16_t)RTE_MIN(n - sent, VHOST_BURST_MAX);
		uint16_t k = rte_vhost_enqueue_burst(vp->vid, (uint16_t)(qp * 2 + VHOST_GUEST_RX),
						     &pkts[sent], want);

		sent = (uint16_t)(sent + k);
		if (k < want)
			break;
	}
	if (shared)
		rte_spinlock_unlock(&vp->tx_lock[qp]);
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

static int vhost_attach(struct dp_port_dev *d, const char *args, const struct dp_port_spec *spec,
			char *err, size_t err_size) {
	// Offloads that would leave vnetd frames to finish (docs/design-decisions.md).
	const uint64_t off = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
			     (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
			     (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |
			     (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
			     (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO);
	struct vhost_port *vp;
	size_t len = strcspn(args, ",");
	const char *opt = args[len] == ',' ? args + len + 1 : NULL;
	uint64_t flags;
	int ret;

	RTE_SET_USED(spec);
	if (len == 0 || len >= PATH_MAX || args[0] != '/') {
		snprintf(err, err_size, "device \"vhost:%s\": needs an absolute socket path", args);
		return -EINVAL;
	}
	if (opt != NULL && strcmp(opt, "server") != 0 && strcmp(opt, "client") != 0) {
		snprintf(err, err_size, "device \"vhost:%s\": unknown option \"%s\" (client, server)",
			 args, opt);
		return -EINVAL;
	}
	if (opt != NULL && strcmp(opt, "server") == 0) {
		char path[PATH_MAX];
		struct stat st;

		memcpy(path, args, len);
		path[len] = '\0';
		// librte_vhost removes the path when it gives a server socket up, whatever it is.
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "device \"vhost:%s\": %s exists and is not a socket",
				 args, path);
			return -EEXIST;
		}
	}
	vp = rte_zmalloc("vhost_port", sizeof(*vp), RTE_CACHE_LINE_SIZE);
	if (vp == NULL) {
		snprintf(err, err_size, "device \"vhost:%s\": out of memory", args);
		return -ENOMEM;
	}
	memcpy(vp->path, args, len);
	vp->server = opt != NULL && strcmp(opt, "server") == 0;
	vp->vid = -1;
	vp->port_id = (uint16_t)(d - dp_port_devs);
	for (int i = 0; i < VHOST_QP_MAX; i++)
		rte_spinlock_init(&vp->tx_lock[i]);
	d->priv = vp;
	// One RX queue per worker: the guest's TX rings are spread over them (vhost_rx).
	d->n_rxq = (uint16_t)RTE_MIN(RTE_MAX(dp_port_params()->n_workers, 1u), (unsigned int)VHOST_QP_MAX);
	d->link_down = true;
	pthread_mutex_lock(&lock);
	by_port[vp->port_id] = vp;
	pthread_mutex_unlock(&lock);
	if (vp->server)
		socket_unlink_stale(vp->path); // a stale socket of an earlier vnetd
	// Compliant flags: dequeue sets RX offload flags as a NIC does, never TX ones that would
	// make a later enqueue write a virtio-net header asking the guest to finish the frame.
	flags = RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS | (vp->server ? 0 : RTE_VHOST_USER_CLIENT);
	ret = rte_vhost_driver_register(vp->path, flags);
	if (ret == 0)
		ret = rte_vhost_driver_disable_features(vp->path, off);
	if (ret == 0)
		ret = rte_vhost_driver_callback_register(vp->path, &vhost_ops);
	if (ret == 0)
		ret = rte_vhost_driver_start(vp->path);
	if (ret != 0) {
		snprintf(err, err_size, "device \"vhost:%s\": librte_vhost refused the socket (%s)",
			 args, vp->server ? "cannot listen on it" : "see vnetd's log");
		rte_vhost_driver_unregister(vp->path);
		pthread_mutex_lock(&lock);
		by_port[vp->port_id] = NULL;
		pthread_mutex_unlock(&lock);
		rte_free(vp);
		d->priv = NULL;
		return -EINVAL;
	}
	return 0;
}

static void vhost_detach(struct dp_port_dev *d) {
	struct vhost_port *vp = d->priv;

	// Unregistering calls destroy_device for a connected guest (which takes `lock`), so the
	// port stays in the table until it returns. It is busy while a callback runs: try again.
	for (int i = 0; i < 1000 && rte_vhost_driver_unregister(vp->path) == -EBUSY; i++)
		usleep(1000);
	pthread_mutex_lock(&lock);
	by_port[vp->port_id] = NULL;
	pthread_mutex_unlock(&lock);
	if (vp->server)
		socket_unlink_stale(vp->path);
	rte_free(vp);
	d->priv = NULL;
}

static void vhost_link(const struct dp_port_dev *d, struct dp_port_link *l) {
	struct vhost_port *vp = d->priv;
	uint16_t mtu = 0;
	bool up = __atomic_load_n(&vp->ready, __ATOMIC_ACQUIRE);

	l->up = up;
	if (up && rte_vhost_get_mtu(vp->vid, &mtu) == 0)
		l->mtu = mtu;
	snprintf(l->detail, sizeof(l->detail), "%s %.80s, %u queue pairs, %lu connects",
		 vp->server ? "server" : "client", vp->path, up ? vp->n_qp : 0,
		 (unsigned long)vp->connects);
}

static const struct dp_port_ops vhost_port_ops = {
	.name = "vhost",
	.prefix = "vhost:",
	.tx_refused_when_down = true,
	.rx = vhost_rx,
	.tx = vhost_tx,
	.attach = vhost_attach,
	.detach = vhost_detach,
	.link = vhost_link,
};

RTE_INIT(vhost_backend_register) {
	dp_port_backend_register(&vhost_port_ops);
}
