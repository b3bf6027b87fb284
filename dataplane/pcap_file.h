// SPDX-License-Identifier: BSD-3-Clause
// A small reader for classic pcap files (microsecond or nanosecond, either byte order, Ethernet
// link type), for vnetctl (trace --pcap) and the tests. Control path only; not for the data path.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcap_file {
	FILE *f;
	int swapped;       // file written in the other byte order
	int nanosecond;    // timestamps in ns
	uint32_t snaplen;
	uint32_t linktype; // 1 = Ethernet
};

// Open `path`. Returns 0 or a negative errno: -ENOENT etc. from fopen, -EINVAL if not a pcap
// file, -EPROTONOSUPPORT if the link type is not Ethernet (1). On error *pf is closed.
int pcap_file_open(struct pcap_file *pf, const char *path);

// Read the next packet into `buf` (up to `size` bytes). Returns its captured length (> 0),
// 0 at end of file, or -EINVAL on a truncated or corrupt record. A packet longer than `size` is
// -EMSGSIZE.
int pcap_file_next(struct pcap_file *pf, uint8_t *buf, size_t size);

// Close. Accepts a zeroed struct.
void pcap_file_close(struct pcap_file *pf);

// Read packet number `index` (0-based) of `path`. Returns its length, -ENOENT if the file has
// fewer packets, or a negative errno as above.
int pcap_file_read_one(const char *path, unsigned int index, uint8_t *buf, size_t size);
