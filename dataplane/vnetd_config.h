// SPDX-License-Identifier: BSD-3-Clause
// vnetd's own configuration file (JSON, `vnetd -c FILE`): EAL arguments, workers, control socket,
// idle back-off, pool sizes, and the rules applied at start. Reference: docs/vnetd-config.md.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/config.h"

#define VNETD_EAL_ARGS_MAX 64

struct vnetd_config {
	int eal_argc;
	char *eal_argv[VNETD_EAL_ARGS_MAX];
	bool in_memory;                // add --in-memory to EAL (default true)
	int n_workers;                 // 0: every EAL lcore except the main one
	unsigned int workers[DP_WORKERS_MAX];
	char socket[108];
	uint32_t idle_sleep_max_us;
	uint32_t idle_polls_before_sleep;
	uint32_t mbufs;
	uint16_t rx_desc, tx_desc;
	char log_level[16];
	json_t *rules;                 // rules document to apply at start, or NULL
	json_t *root;                  // the whole file (owns the strings above)
};

// A feature's own section of the file ("underlay"): validate `value` and keep what it needs (no
// DPDK call: this runs before EAL). Return 0, or -EINVAL with the problem in `err` (the key is
// prefixed by the loader).
typedef int (*vnetd_config_key_fn)(const json_t *value, char *err, size_t err_size);

// Any time before vnetd_config_load (RTE_INIT). Register a top-level key owned by a feature.
void vnetd_config_key_register(const char *key, vnetd_config_key_fn fn);

// Control thread, before EAL. Load and validate `path`. Returns 0, or -EINVAL with
// "<file>: <key>: <problem>" in `err`.
int vnetd_config_load(const char *path, struct vnetd_config *vc, char *err, size_t err_size);

// Free what vnetd_config_load allocated. Accepts a zeroed struct.
void vnetd_config_fini(struct vnetd_config *vc);
