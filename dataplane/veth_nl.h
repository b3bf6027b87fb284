// SPDX-License-Identifier: BSD-3-Clause
// veth plumbing for the veth port backend (port_veth.c), with libnl-3 and ethtool ioctls: create
// a pair whose container end is born in the container's network namespace with the port's MAC and
// MTU (so it never sends from another MAC), turn off the offloads that would hand vnetd unfinished
// frames, read a link's state. Control thread only.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

// The interface index of `ifname` in vnetd's namespace, or a negative errno.
int veth_ifindex(const char *ifname);

// Create veth `host` (vnetd's namespace) and its peer `peer` in the namespace `netns` (a path:
// /run/netns/NAME, /proc/PID/ns/net), the peer with `mac` and both with `mtu`; offloads off on
// both ends; the host end up, the peer left down for the container's configuration. 0, or a
// negative errno with a message in `err`.
int veth_create(const char *host, const char *peer, const char *netns,
		const struct rte_ether_addr *mac, uint16_t mtu, char *err, size_t err_size);

// Whether `ifname` is a veth: 1, 0, or a negative errno.
int veth_is_veth(const char *ifname);

// Delete veth `host` (and so its peer). 0 or a negative errno.
int veth_delete(const char *host);

// Turn off, on `ifname` in vnetd's namespace, the offloads that would leave frames unfinished:
// checksum offload, TSO/GSO/UFO (segmentation), GRO. Returns how many it changed or -errno.
int veth_offloads_off(const char *ifname);

// Whether `ifname` is up with carrier (a veth's carrier is its peer being up): 1, 0, or -errno
// (-ENODEV: gone).
int veth_link_up(const char *ifname);

// The MTU of `ifname`, or 0.
uint16_t veth_mtu(const char *ifname);
