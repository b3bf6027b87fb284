// SPDX-License-Identifier: BSD-3-Clause
// Reading one frame from a capture file (pcap or pcapng, through libpcap), for vnetctl
// (trace --pcap) and the tests. Control path only; not for the data path.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Read packet number `index` (0-based) of `path` into `buf` (`size` bytes). Returns its captured
// length (> 0), or: -ENOENT (no such file, or fewer packets), -EINVAL (not a capture file, or
// truncated), -EPROTONOSUPPORT (link type not Ethernet), -EMSGSIZE (longer than `size`).
int pcap_file_read_one(const char *path, unsigned int index, uint8_t *buf, size_t size);
