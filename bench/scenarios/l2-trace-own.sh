# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario l2-trace-own: l2 with a live trace armed on the benchmark's own input port ("in")
# whose filter matches nothing (udp port 9: the traffic is UDP 1024-2023 -> 5000) for the whole
# window (issue 13: within 5 % of l2). As l2-trace-other.sh, on another port.
source "$(dirname "${BASH_SOURCE[0]}")/l2-trace-other.sh"
SCEN_DESC="L2 switching, 1,000 MAC pairs, a live trace on its input port, filter matching nothing"
LIVE_PORT=in
