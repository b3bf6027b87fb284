// SPDX-License-Identifier: BSD-3-Clause
// Frames described in words for synthetic traces (docs/vnetctl.md, "Packets in words"):
// `from 10.1.0.11 to 10.2.0.7 tcp dport 80 syn`, `arp who-has 10.1.0.1`, `icmp6 echo`,
// `http host shop.example path /api`, `tls sni a.example`, `vxlan vni 5001 from-vtep A to-vtep B
// ...` at the underlay. What the words leave out comes from the rules document: the source is
// the port's MAC and first address, the destination MAC that of the port (here or on another
// host) that has the destination address in the port's network, or the network's router's MAC
// when the destination is off the network's subnets.
//
// Control thread only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

struct dp_config;

#define TRACE_BUILD_WORDS_MAX 64 // words in one description

// A feature's own port (the underlay): its MAC and IPv4 address, for frames described at it.
// 0, or -1 if `port` is not the feature's.
typedef int (*trace_system_port_fn)(const char *port, struct rte_ether_addr *mac, rte_be32_t *addr);
void trace_build_system_port_register(trace_system_port_fn fn);

// Build the frame that `words` describe, coming in at port `port` of `cfg`, into out[size].
// Returns its length, or -1 with a message in err ("describe: ...").
int trace_build(const struct dp_config *cfg, const char *port, const char *words, uint8_t *out,
		size_t size, char *err, size_t err_size);
