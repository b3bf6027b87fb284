// SPDX-License-Identifier: BSD-3-Clause
// Frames described in words for synthetic traces (docs/vnetctl.md, "Packets in words"):
// `from 10.1.0.11 to 10.2.0.7 tcp dport 80 syn`, `arp who-has 10.1.0.1`, `icmp6 echo`,
// `http host shop.example path /api`, `tls sni a.example`, and a feature's tunnel at its own
// port (trace_build_tunnel_register). What the words leave out comes from the rules document: the source is
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

#define TRACE_TUNNEL_STATE 64 // bytes of a tunnel's parsed words

// A tunnel a feature adds to descriptions: the words from `word` on describe the outer headers
// at the feature's system port; the rest of the words describe the inner frame, which is in the
// network parse() names. Registered at start-up; one at most.
struct trace_build_tunnel {
	const char *word; // the word that starts it
	// Parse words[0..n) (words[0] is `word`, or one of the tunnel's words later on): how many
	// it takes (>= 1; 0 if words[0] is not its own), or -1 with a message in err.
	int (*parse)(void *state, char *const *words, int n, char *err, size_t err_size);
	// The network the inner frame is in, from the rules document; NULL with err.
	const json_t *(*network)(const void *state, const json_t *doc, char *err, size_t err_size);
	// The frame at port `port`: outer headers, then inner[0..inner_len), into out[size]. Its
	// length, or -1 with err.
	int (*wrap)(const void *state, const char *port, const uint8_t *inner, size_t inner_len,
		    uint8_t *out, size_t size, char *err, size_t err_size);
};
void trace_build_tunnel_register(const struct trace_build_tunnel *t);

// Build the frame that `words` describe, coming in at port `port` of `cfg`, into out[size].
// Returns its length, or -1 with a message in err ("describe: ...").
int trace_build(const struct dp_config *cfg, const char *port, const char *words, uint8_t *out,
		size_t size, char *err, size_t err_size);
