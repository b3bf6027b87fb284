// SPDX-License-Identifier: BSD-3-Clause
// vnet ports: a port is a vnet object with a backend, not necessarily a DPDK ethdev. Every port
// (a vNIC of the rules document or a feature's system port such as the underlay) has a vnet port
// id, 0..DP_PORTS_MAX-1, that every table, counter and packet's metadata uses; the backend behind
// it moves packets through the same rx/tx contract:
//   - "ethdev": anything DPDK drives (NICs, net_tap, net_pcap, net_null, ...): devargs as given;
//   - further backends register a device prefix ("vhost:", "veth:"), see dp_port_backend_register.
// The device forms are documented in docs/rules-schema.md ("Port devices").
//
// Thread-safety: attach, detach and backend registration run on the control thread; a port is
// attached before the snapshot that uses it is published and detached only after a snapshot
// without it is published and a grace period has passed. rx/tx run on the worker that owns the
// queue (one worker per RX queue; TX queue = worker index).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

// vnet ports per vnetd (vNICs and system ports). Bounds every per-port array of the engine.
#define DP_PORTS_MAX 1024
// Ports that DPDK's ethdev layer can hold at once (Debian's build: 32); the "ethdev" backend's
// own bound. VMs and containers use backends that need no ethdev.
#define DP_ETHDEVS_MAX RTE_MAX_ETHPORTS

struct dp_port_params {
	unsigned int n_workers;
	unsigned int n_mbufs;   // packet pool size
	uint16_t rx_desc;
	uint16_t tx_desc;
};

// What `show ports` says of a port's device.
struct dp_port_link {
	bool want_stats;       // in: fill rx_missed too (shows; the periodic link check does not)
	bool up;
	uint32_t speed_mbps;   // 0: unknown
	uint16_t mtu;          // 0: unknown
	uint64_t rx_missed;    // frames the device dropped before vnetd took them (its RX ring was
			       // full, no buffer): never rx_pkts, so outside the accounting
	char backend[16];      // "ethdev", "vhost", ...
	char detail[128];      // backend's own words ("client /run/vnet/vm1.sock, 2 queues")
};

struct dp_port_dev;

// What a port's device is opened with.
struct dp_port_spec {
	const char *device;         // "net_tap0,iface=x", "vhost:...", ...
	struct rte_ether_addr mac;  // the port's MAC (zero: none, e.g. a system port)
	uint16_t mtu;               // the L3 MTU of the port's network (0: the device's default)
};

// A backend. rx/tx: data path, on the worker that owns queue `q`; the rest: control thread.
struct dp_port_ops {
	const char *name;      // "vhost"
	const char *prefix;    // the device prefix that selects it: "vhost:" (NULL: ethdev)
	bool parallel_fini;    // at shutdown, its ports may be detached from several threads at once
	// tx takes nothing while the link is down (vhost: no VM connected), so a packet given to it
	// then is dropped as link_down: port_tx says so in a trace, as it will happen.
	bool tx_refused_when_down;
	// Return packets received (at most n) / taken for sending (the caller drops the rest).
	uint16_t (*rx)(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	uint16_t (*tx)(struct dp_port_dev *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	// Open the device `args` (spec->device without the prefix) into d (n_rxq, priv, ...).
	// 0, or a negative errno with a message in `err`.
	int (*attach)(struct dp_port_dev *d, const char *args, const struct dp_port_spec *spec,
		      char *err, size_t err_size);
	void (*detach)(struct dp_port_dev *d);
	void (*link)(const struct dp_port_dev *d, struct dp_port_link *l);
};

// A port's device. dp_port_devs[id] for vnet port id `id`; ops is NULL for a free id.
struct dp_port_dev {
	const struct dp_port_ops *ops;
	uint16_t eth_id;       // ethdev backend: the DPDK port id
	uint16_t n_rxq;        // RX queues the backend offers (at least 1)
	uint16_t n_txq;        // ethdev: TX queues (one per worker, or fewer if the device has fewer)
	bool tx_shared;        // ethdev: fewer TX queues than workers: tx_lock serializes them
	bool link_down;        // data path hint kept by the backend: frames to it are dropped
	rte_spinlock_t tx_lock;
	void *priv;            // backend's state
};

extern struct dp_port_dev dp_port_devs[DP_PORTS_MAX];
extern const struct dp_port_ops dp_port_ethdev_ops;

// Control thread, at start-up. Create the packet pools.
int dp_ports_init(const struct dp_port_params *p);

// Control thread. Stop and remove every attached port.
void dp_ports_fini(void);

// Control thread, at start-up (RTE_INIT is fine). Register a backend for devices that start with
// ops->prefix.
void dp_port_backend_register(const struct dp_port_ops *ops);

// Control thread. Open spec->device with its backend and give it a free vnet port id. Returns 0
// and sets *port_id, or a negative errno with a message in `err` naming the device and what
// failed.
int dp_port_attach(const struct dp_port_spec *spec, uint16_t *port_id, char *err,
		   size_t err_size);

// Control thread. Close a port that no published snapshot uses any more and free its id.
void dp_port_detach(uint16_t port_id);

// Control thread. Whether dp_ports_fini() is running (vnetd stops): backends keep what must
// outlive vnetd (a veth pair it created) instead of removing it.
bool dp_ports_stopping(void);

// Data path, from a backend's rx on a worker. Count a frame the device received but could not
// hand over (`reason`, a drop reason): it is received and dropped, so the port's counters close.
void dp_port_rx_drop(uint16_t port_id, uint16_t reason, uint32_t bytes);

// Control thread. What the port's device says of itself now.
void dp_port_link_get(uint16_t port_id, struct dp_port_link *l);

// Control thread. The parameters vnetd started with (workers, descriptors) for backends.
const struct dp_port_params *dp_port_params(void);

// Any thread. The packet pool (metadata in its private area), and the pool for flood copies.
struct rte_mempool *dp_pktmbuf_pool(void);
struct rte_mempool *dp_clone_pool(void);

// Data path. Receive up to n packets from queue q of port `id`.
static inline uint16_t dp_port_rx(uint16_t id, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	struct dp_port_dev *d = &dp_port_devs[id];

	if (likely(d->ops == &dp_port_ethdev_ops))
		return rte_eth_rx_burst(d->eth_id, q, pkts, n);
	return d->ops->rx(d, q, pkts, n);
}

// Data path. Send pkts[0..n) on port `id` through TX queue q; returns how many it took.
static inline uint16_t dp_port_tx(uint16_t id, uint16_t q, struct rte_mbuf **pkts, uint16_t n) {
	struct dp_port_dev *d = &dp_port_devs[id];

	uint16_t sent;

	if (likely(d->ops == &dp_port_ethdev_ops)) {
		if (likely(!d->tx_shared))
			return rte_eth_tx_burst(d->eth_id, q, pkts, n);
		// A device with fewer TX queues than workers (docs/design-decisions.md, "Ports").
		rte_spinlock_lock(&d->tx_lock);
		sent = rte_eth_tx_burst(d->eth_id, (uint16_t)(q % d->n_txq), pkts, n);
		rte_spinlock_unlock(&d->tx_lock);
		return sent;
	}
	return d->ops->tx(d, q, pkts, n);
}
