// SPDX-License-Identifier: BSD-3-Clause
// One LOG() macro over rte_log. Each module defines DP_LOG_TYPE before including this header to
// log under its own type: the engine's are here (dataplane/log.c), a feature registers its own
// with RTE_LOG_REGISTER(<feature>_logtype, vnet.<feature>, INFO). Messages are lowercase and
// key=value friendly. Never used on the fast path: a rare event there bumps a counter instead.
#pragma once

#include <rte_log.h>

extern int dp_logtype_dataplane;
extern int dp_logtype_rules;

#ifndef DP_LOG_TYPE
#define DP_LOG_TYPE dp_logtype_dataplane
#endif

#define LOG(level, fmt, ...)                                                                       \
	rte_log(RTE_LOG_##level, DP_LOG_TYPE, "%s: " fmt "\n", __func__, ##__VA_ARGS__)
