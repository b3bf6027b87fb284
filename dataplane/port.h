// SPDX-License-Identifier: BSD-3-Clause
// DPDK ports: probe a device from its devargs, configure one RX queue and one TX queue per
// worker, start it; stop and remove it. The packet mempool. Control thread only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

struct dp_port_params {
	unsigned int n_workers;
	unsigned int n_mbufs;   // packet pool size
	uint16_t rx_desc;
	uint16_t tx_desc;
};

// Control thread, at start-up. Create the packet pools.
int dp_ports_init(const struct dp_port_params *p);

// Control thread. Stop and remove every attached port.
void dp_ports_fini(void);

// Control thread. Probe `devargs`, configure and start the port. Returns 0 and sets *port_id, or a
// negative errno with a message in `err` naming the device and the call that failed.
int dp_port_attach(const char *devargs, uint16_t *port_id, char *err, size_t err_size);

// Control thread. Stop, close and remove a port that no published snapshot uses any more.
void dp_port_detach(uint16_t port_id);

// Any thread. The packet pool (metadata in its private area), and the pool for flood copies.
struct rte_mempool *dp_pktmbuf_pool(void);
struct rte_mempool *dp_clone_pool(void);
