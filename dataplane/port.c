// SPDX-License-Identifier: BSD-3-Clause
// DPDK ports and the packet pool. Control thread only: ports are attached before the snapshot
// that uses them is published, and detached only after a snapshot without them is published.

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/log.h"
#include "dataplane/pkt.h"
#include "dataplane/port.h"
#include "dataplane/worker.h"

static struct dp_port_params params;
static struct rte_mempool *pool;

struct rte_mempool *dp_pktmbuf_pool(void) {
	return pool;
}

struct rte_mempool *dp_clone_pool(void) {
	return pool;
}

int dp_ports_init(const struct dp_port_params *p) {
	params = *p;
	pool = rte_pktmbuf_pool_create("vnet_pkts", p->n_mbufs, 256, PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		LOG(ERR, "rte_pktmbuf_pool_create n=%u: %s", p->n_mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static int port_setup(uint16_t port_id, char *err, size_t err_size) {
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	int ret;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_dev_info_get: %s", rte_strerror(-ret));
		return ret;
	}
	if (info.max_tx_queues < params.n_workers) {
		snprintf(err, err_size, "device has %u TX queues, vnetd needs one per worker (%u)",
			 info.max_tx_queues, params.n_workers);
		return -ENOTSUP;
	}
	ret = rte_eth_dev_configure(port_id, 1, (uint16_t)params.n_workers, &conf);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_dev_configure: %s", rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_rx_queue_setup(port_id, 0, params.rx_desc, rte_eth_dev_socket_id(port_id),
				     NULL, pool);
	if (ret < 0) {
		snprintf(err, err_size, "rte_eth_rx_queue_setup: %s", rte_strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < params.n_workers; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, params.tx_desc,
					     rte_eth_dev_socket_id(port_id), NULL);
		if (ret < 0) {
			snprintf(err, err_size, "rte_eth_tx_queue_setup q=%u: %s", q,
				 rte_strerror(-ret));
			return ret;
		}
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

int dp_port_attach(const char *devargs, uint16_t *port_id, char *err, size_t err_size) {
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t len = strcspn(devargs, ",");
	int ret;

	if (len == 0 || len >= sizeof(name)) {
		snprintf(err, err_size, "device \"%s\": no device name before the first comma",
			 devargs);
		return -EINVAL;
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0) {
		snprintf(err, err_size, "device %s already exists", name);
		return -EEXIST;
	}
	ret = rte_dev_probe(devargs);
	if (ret < 0) {
		snprintf(err, err_size,
			 "device \"%s\": rte_dev_probe failed: %s (unknown driver name, bad "
			 "devargs, or the driver refused them: see vnetd's log)",
			 devargs, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(name, port_id);
	if (ret < 0) {
		snprintf(err, err_size, "device \"%s\" probed but no ethdev named %s", devargs,
			 name);
		rte_eal_hotplug_remove("vdev", name); // best effort
		return -ENODEV;
	}
	ret = port_setup(*port_id, err, err_size);
	if (ret < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, err_size, "device %s: %s", name, msg);
		dp_port_detach(*port_id);
		return ret;
	}
	// The id may be a removed port's: its counters are not this port's.
	dp_port_counters_reset(*port_id);
	LOG(INFO, "port attached device=%s port_id=%u", devargs, *port_id);
	return 0;
}

void dp_port_detach(uint16_t port_id) {
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	if (dev != NULL)
		rte_dev_remove(dev);
	LOG(INFO, "port detached port_id=%u", port_id);
}

void dp_ports_fini(void) {
	uint16_t port_id;

	RTE_ETH_FOREACH_DEV(port_id)
		dp_port_detach(port_id);
}
