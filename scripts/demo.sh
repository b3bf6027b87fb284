#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine, build, and run the demo: a controller, two hosts (vnetd and vnet-agent each),
# two tenants made through the openstack CLI, eight containers (demo/run.sh).
# Pass --keep to leave it running for a look around (the demo prints how to clean up).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec demo/run.sh "$@"
