# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario l2-trace-other: l2 (bench/scenarios/l2.sh) with a live trace armed on another port
# ("idle", net_null, no traffic) for the whole window (issue 13: within 2 % of l2). The trace is
# armed at the window's start (scenario_report start) and stopped at its end.
source "$(dirname "${BASH_SOURCE[0]}")/l2.sh"
SCEN_DESC="L2 switching, 1,000 MAC pairs, a live trace armed on another port"
SCEN_OVS=""
LIVE_PORT=idle LIVE_FILTER="udp port 9"

eval "$(declare -f scenario_rules | sed '1s/scenario_rules/l2_rules/')"
scenario_rules() {
	l2_rules "$@" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
d["ports"].append({"id": "idle", "network": "bench", "mac": "02:00:00:00:ff:03", "port_security": False,
                   "device": "net_null1,no-rx=1"})
print(json.dumps(d))'
}

scenario_report() {
	case $2 in
	start)
		"$VNETCTL" -s "$SOCK" trace live --port "$LIVE_PORT" --filter "$LIVE_FILTER" --count 1 \
			--timeout 600 > "$1/live.txt" 2>&1 &
		echo $! > "$1/live.pid" ;;
	end)
		grep -q '^armed' "$1/live.txt" || echo "live trace not armed: $(cat "$1/live.txt")"
		kill "$(cat "$1/live.pid")" 2>/dev/null ;;
	esac
}
