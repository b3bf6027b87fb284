// SPDX-License-Identifier: BSD-3-Clause
// vnet ports (port.h): the id space, the backend registry, the "ethdev" backend and the packet
// pool. Control thread only: ports are attached before the snapshot that uses them is published,
// and detached only after a snapshot without them is published.

#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/log.h"
#include "dataplane/pkt.h"
#include "dataplane/port.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"

static void ethdev_links_refresh(void);
static int tap_kernel_mac_set(uint16_t eth_id, const struct rte_ether_addr *mac, char *err,
			      size_t err_size);

static struct dp_port_params params;
static struct rte_mempool *pool;

struct dp_port_dev dp_port_devs[DP_PORTS_MAX];

#define BACKENDS_MAX 8
static const struct dp_port_ops *backends[BACKENDS_MAX];
static int n_backends;

void dp_port_backend_register(const struct dp_port_ops *ops) {
	if (n_backends >= BACKENDS_MAX)
		rte_panic("more than %d port backends\n", BACKENDS_MAX);
	backends[n_backends++] = ops;
}

const struct dp_port_params *dp_port_params(void) {
	return &params;
}

struct rte_mempool *dp_pktmbuf_pool(void) {
	return pool;
}

struct rte_mempool *dp_clone_pool(void) {
	return pool;
}

int dp_ports_init(const struct dp_port_params *p) {
	params = *p;
	dp_periodic_register("ports.link", ethdev_links_refresh, 250);
	pool = rte_pktmbuf_pool_create("vnet_pkts", p->n_mbufs, 256, PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		LOG(ERR, "rte_pktmbuf_pool_create n=%u: %s", p->n_mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

// One TX queue per worker where the device has them; otherwise as many as it has (at least one,
// e.g. net_tap without the kernel's multiq qdisc), shared by the workers under a lock.
//
// MTU: a port gets its network's MTU (spec->mtu; the underlay its own). Frames larger than an
// mbuf's data room arrive as chains where the device can scatter and leave as chains where it
// takes multi-segment frames. A device that cannot scatter (net_null, net_pcap) keeps receiving
// at most one buffer per frame: vnetd says so in its log and `show ports` gives the device's MTU.
static int port_setup(struct dp_port_dev *d, const struct dp_port_spec *spec, char *err,
		      size_t err_size) {
	uint16_t port_id = d->eth_id, n_txq;
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	int ret;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_dev_info_get: %s", rte_strerror(-ret));
		return ret;
	}
	if (spec->mtu != 0) {
		// 18: Ethernet header and CRC, which DPDK counts in a frame's size.
		if (spec->mtu > info.max_mtu || (uint32_t)spec->mtu + 18 > info.max_rx_pktlen) {
			LOG(WARNING, "port %u (%s): MTU %u is more than the device takes (frames of "
			    "%u bytes): it keeps MTU %u", port_id, info.driver_name, spec->mtu,
			    info.max_rx_pktlen, RTE_ETHER_MTU);
			goto mtu_done;
		}
		conf.rxmode.mtu = spec->mtu;
		// 18: Ethernet header, one VLAN tag.
		if ((uint32_t)spec->mtu + 18 > room) {
			if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
				conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
			} else {
				LOG(WARNING, "port %u (%s): MTU %u needs more than one %u-byte buffer "
				    "per frame and the device cannot scatter: it keeps MTU %u",
				    port_id, info.driver_name, spec->mtu, room, RTE_ETHER_MTU);
				conf.rxmode.mtu = 0;
			}
		}
	}
mtu_done:
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	n_txq = (uint16_t)RTE_MIN(params.n_workers, RTE_MAX(info.max_tx_queues, 1u));
	ret = rte_eth_dev_configure(port_id, 1, n_txq, &conf);
	if (ret < 0 && n_txq > 1) {
		LOG(NOTICE, "port %u: %u TX queues refused (%s): one, shared by the workers",
		    port_id, n_txq, rte_strerror(-ret));
		n_txq = 1;
		ret = rte_eth_dev_configure(port_id, 1, n_txq, &conf);
	}
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_dev_configure: %s", rte_strerror(-ret));
		return ret;
	}
	d->n_txq = n_txq;
	d->tx_shared = n_txq < params.n_workers;
	rte_spinlock_init(&d->tx_lock);
	ret = rte_eth_rx_queue_setup(port_id, 0, params.rx_desc, rte_eth_dev_socket_id(port_id),
				     NULL, pool);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_rx_queue_setup: %s", rte_strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, params.tx_desc,
					     rte_eth_dev_socket_id(port_id), NULL);
		if (ret < 0) {
			snprintf(err, err_size, "rte_eth_tx_queue_setup q=%u: %s", q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	// The device's own MTU (net_tap: the kernel interface's, which the container sees).
	if (conf.rxmode.mtu != 0 && (ret = rte_eth_dev_set_mtu(port_id, spec->mtu)) < 0 &&
	    ret != -ENOTSUP) {
		snprintf(err, err_size, "MTU %u: rte_eth_dev_set_mtu: %s", spec->mtu,
			 rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_start(port_id);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_dev_start: %s", rte_strerror(-ret));
		return ret;
	}
	// A switch port receives every MAC; a device that cannot say so is still usable.
	rte_eth_promiscuous_enable(port_id);
	return 0;
}

static int ethdev_attach(struct dp_port_dev *d, const char *devargs,
			 const struct dp_port_spec *spec, char *err, size_t err_size) {
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t len = strcspn(devargs, ",");
	uint16_t eth_id;
	int ret;

	if (len == 0 || len >= sizeof(name)) {
		snprintf(err, err_size, "device \"%s\": no device name before the first comma",
			 devargs);
		return -EINVAL;
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	if (rte_eth_dev_get_port_by_name(name, &eth_id) == 0) {
		snprintf(err, err_size, "device %s already exists", name);
		return -EEXIST;
	}
	if (rte_eth_dev_count_total() >= DP_ETHDEVS_MAX) {
		snprintf(err, err_size,
			 "device %s: DPDK holds at most %d ethdevs (RTE_MAX_ETHPORTS); VMs and "
			 "containers take the \"vhost:\" and \"veth:\" backends, which need none",
			 name, DP_ETHDEVS_MAX);
		return -ENOSPC;
	}
	ret = rte_dev_probe(devargs);
	if (ret < 0) {
		snprintf(err, err_size,
			 "device \"%s\": rte_dev_probe failed: %s (unknown driver name, bad "
			 "devargs, or the driver refused them: see vnetd's log)",
			 devargs, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(name, &eth_id);
	if (ret < 0) {
		snprintf(err, err_size, "device \"%s\" probed but no ethdev named %s", devargs,
			 name);
		rte_eal_hotplug_remove("vdev", name); // best effort
		return -ENODEV;
	}
	d->eth_id = eth_id;
	d->n_rxq = 1;
	ret = port_setup(d, spec, err, err_size);
	if (ret == 0) // after the start, which brings the kernel side up with its own MAC
		ret = tap_kernel_mac_set(eth_id, &spec->mac, err, err_size);
	if (ret < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, err_size, "device %s: %s", name, msg);
		d->ops->detach(d);
		return ret;
	}
	return 0;
}

// A TAP vNIC's kernel side (the container's interface) gets the port's MAC before the container
// sees it: net_tap gives it a random one, and every frame from it would be a spoof_mac drop.
static int tap_kernel_mac_set(uint16_t eth_id, const struct rte_ether_addr *mac, char *err,
			      size_t err_size) {
	struct rte_eth_dev_info info;
	struct ifreq ifr = {0};
	int fd, ret = 0;

	if (rte_eth_dev_info_get(eth_id, &info) < 0 || strcmp(info.driver_name, "net_tap") != 0 ||
	    rte_is_zero_ether_addr(mac))
		return 0;
	if (info.if_index == 0 || if_indextoname(info.if_index, ifr.ifr_name) == NULL) {
		snprintf(err, err_size, "cannot find the kernel interface of the TAP device");
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return -errno;
	}
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0) {
		ret = -errno;
		snprintf(err, err_size, "setting the MAC of %s: %s", ifr.ifr_name, strerror(errno));
	}
	close(fd);
	return ret;
}

static void ethdev_detach(struct dp_port_dev *d) {
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(d->eth_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(d->eth_id);
	rte_eth_dev_close(d->eth_id);
	if (dev != NULL)
		rte_dev_remove(dev);
}

// Control thread, every 250 ms: each port's link state (as its backend sees it) into link_down,
// which port_tx reads to tell a frame refused by a device whose link is down from one refused by
// a full queue. (The vhost backend also sets it at once when a VM connects or goes.)
static void ethdev_links_refresh(void) {
	for (uint16_t id = 0; id < DP_PORTS_MAX; id++) {
		struct dp_port_dev *d = &dp_port_devs[id];
		struct dp_port_link l = {0};

		if (d->ops == NULL)
			continue;
		d->ops->link(d, &l);
		__atomic_store_n(&d->link_down, !l.up, __ATOMIC_RELAXED);
	}
}

static void ethdev_link(const struct dp_port_dev *d, struct dp_port_link *l) {
	struct rte_eth_link link = {0};
	uint16_t mtu = 0;

	rte_eth_link_get_nowait(d->eth_id, &link);
	rte_eth_dev_get_mtu(d->eth_id, &mtu);
	struct rte_eth_stats st = {0};

	l->up = link.link_status == RTE_ETH_LINK_UP;
	l->speed_mbps = link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ? link.link_speed : 0;
	l->mtu = mtu;
	if (l->want_stats && rte_eth_stats_get(d->eth_id, &st) == 0)
		l->rx_missed = st.imissed + st.rx_nombuf;
	snprintf(l->detail, sizeof(l->detail), "DPDK port %u", d->eth_id);
}

const struct dp_port_ops dp_port_ethdev_ops = {
	.name = "ethdev",
	.attach = ethdev_attach,
	.detach = ethdev_detach,
	.link = ethdev_link,
};

static const struct dp_port_ops *backend_of(const char *device, const char **spec) {
	for (int i = 0; i < n_backends; i++) {
		size_t len = strlen(backends[i]->prefix);
		if (strncmp(device, backends[i]->prefix, len) == 0) {
			*spec = device + len;
			return backends[i];
		}
	}
	*spec = device;
	return &dp_port_ethdev_ops;
}

int dp_port_attach(const struct dp_port_spec *spec, uint16_t *port_id, char *err,
		   size_t err_size) {
	const char *device = spec->device, *args;
	const struct dp_port_ops *ops = backend_of(device, &args);
	struct dp_port_dev *d = NULL;
	uint16_t id;
	int ret;

	for (id = 0; id < DP_PORTS_MAX; id++) {
		if (dp_port_devs[id].ops == NULL) {
			d = &dp_port_devs[id];
			break;
		}
	}
	if (d == NULL) {
		snprintf(err, err_size, "device \"%s\": vnetd has %d ports already", device,
			 DP_PORTS_MAX);
		return -ENOSPC;
	}
	*d = (struct dp_port_dev){.ops = ops};
	ret = ops->attach(d, args, spec, err, err_size);
	if (ret < 0) {
		*d = (struct dp_port_dev){0};
		return ret;
	}
	// The id may be a removed port's: its counters are not this port's.
	dp_port_counters_reset(id);
	*port_id = id;
	LOG(INFO, "port attached device=%s port_id=%u backend=%s", device, id, ops->name);
	return 0;
}

void dp_port_detach(uint16_t port_id) {
	struct dp_port_dev *d = port_id < DP_PORTS_MAX ? &dp_port_devs[port_id] : NULL;

	if (d == NULL || d->ops == NULL)
		return;
	d->ops->detach(d);
	*d = (struct dp_port_dev){0};
	LOG(INFO, "port detached port_id=%u", port_id);
}

void dp_port_link_get(uint16_t port_id, struct dp_port_link *l) {
	const struct dp_port_dev *d = port_id < DP_PORTS_MAX ? &dp_port_devs[port_id] : NULL;

	*l = (struct dp_port_link){.want_stats = true};
	if (d == NULL || d->ops == NULL)
		return;
	snprintf(l->backend, sizeof(l->backend), "%s", d->ops->name);
	d->ops->link(d, l);
}

static bool stopping;

bool dp_ports_stopping(void) {
	return stopping;
}

// Threads that close the ports of backends that allow it (parallel_fini) at shutdown.
#define FINI_THREADS 32

static void *fini_thread(void *arg) {
	uintptr_t t = (uintptr_t)arg;

	for (uint16_t id = (uint16_t)t; id < DP_PORTS_MAX; id += FINI_THREADS)
		if (dp_port_devs[id].ops != NULL && dp_port_devs[id].ops->parallel_fini)
			dp_port_detach(id);
	return NULL;
}

void dp_ports_fini(void) {
	pthread_t threads[FINI_THREADS];
	int n = 0;

	stopping = true;
	// Closing a packet socket waits for an RCU grace period in the kernel: 1,024 veth vNICs took
	// tens of seconds one after the other, and a restart is a black-out for the host. Closed by
	// 32 threads, the grace periods overlap.
	for (uintptr_t t = 0; t < FINI_THREADS; t++)
		if (pthread_create(&threads[n], NULL, fini_thread, (void *)t) == 0)
			n++;
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	for (uint16_t id = 0; id < DP_PORTS_MAX; id++) // the rest, and whatever a thread missed
		dp_port_detach(id);
	stopping = false;
}
