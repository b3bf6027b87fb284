// SPDX-License-Identifier: BSD-3-Clause
// The engine's log types. Each feature registers its own the same way (RTE_LOG_REGISTER, a
// constructor: "vnet.<feature>"); vnetd sets the level of every "vnet.*" type from its
// configuration file.

#include <rte_log.h>

#include "dataplane/log.h"

RTE_LOG_REGISTER(dp_logtype_dataplane, vnet.dataplane, INFO);
RTE_LOG_REGISTER(dp_logtype_rules, vnet.rules, INFO);
