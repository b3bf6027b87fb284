# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario conntrack-100k: conntrack-1k (bench/scenarios/conntrack-1k.sh) with
# ../shared/bench/pcaps/ct_100k_64.pcap and its replies: 100,000 connections in the worker's
# table, the counterpart of Open vSwitch's s4b_ct_100k.
CT_FLOWS_ARG=100k
source "$(dirname "${BASH_SOURCE[0]}")/conntrack-1k.sh"
