// SPDX-License-Identifier: BSD-3-Clause
// Building the firewall's snapshot data (fw.h): the ports and memberships read from the
// document, the classifiers built per set of groups. Control thread.
#pragma once

#include <jansson.h>

#include "firewall/fw.h"

struct rules_ctx;
struct dp_config;

// A new, empty fw_cfg holding `doc` (NULL on allocation failure).
struct fw_cfg *fw_cfg_alloc(const json_t *doc);
void fw_cfg_free(struct fw_cfg *fc);
void fw_cfg_free_data(void *data); // rules_section.free
// Read the ports' and remote ports' groups and addresses of `doc` into fc (its groups parsed).
int fw_ports_parse(struct rules_ctx *ctx, const json_t *doc, struct fw_cfg *fc);
// rules_section.published: the data in use (rule counts carry over from it).
void fw_cfg_published(const struct dp_config *old, const struct dp_config *cfg);
// rules_section.build: zones, port ids, sets, classifiers, memberships.
int fw_cfg_build(struct rules_ctx *ctx, struct dp_config *cfg, void *data);
