// SPDX-License-Identifier: BSD-3-Clause
// What the in-process fuzz targets share: one engine (EAL without hugepages, the packet pool,
// every feature, an underlay on net_null), a fake worker lcore and the topology below, set up
// once per process; the rules document it starts from; and the device sandbox that keeps a
// fuzzed document from probing anything but net_null devices.
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct harness;

// The rules document every target starts from (text): networks blue (vni 5001, a VTEP in its
// flood list, a remote MAC), red (vni 5002, a port without port security: learning) and green
// (vni 5003, two flood VTEPs, vxlan_learning); pcap-samples' addresses.
extern const char fuzz_base_rules[];

// Start the engine and apply fuzz_base_rules. Returns the harness (its lcore is this thread's).
struct harness *fuzz_engine_init(void);

// Apply fuzz_base_rules again (forced), so that the next input starts from it.
void fuzz_rules_reset(struct harness *h);

// Whether every "device" anywhere in `v` names a net_null device: fuzzed documents must not
// create TAP interfaces, write pcap files or bind sockets.
bool fuzz_devices_are_safe(const json_t *v);

// Print the message and abort: an invariant the target checks does not hold (libFuzzer saves
// the input that did it).
static inline __attribute__((noreturn, format(printf, 1, 2))) void fuzz_fail(const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz invariant: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}
