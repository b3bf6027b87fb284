# SPDX-License-Identifier: BSD-3-Clause
# etcd members on loopback for the controller's tests (sourced after sys.sh): etcd-server from
# Debian, each member's data under $SYS_TMP, every member killed by sys.sh's cleanup.
#
# etcd_cluster N: start an N-member cluster and wait until it is healthy. Sets ETCD_URLS (the
# client URLs, comma-separated), ETCD_CLIENT[k], ETCD_PID[k] (k = 1..N).
# etcd_member_start K: (re)start member K of that cluster on its data.
declare -a ETCD_CLIENT=() ETCD_PEER=() ETCD_PID=()
ETCD_INITIAL=
ETCD_URLS=

etcd_free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

etcd_member_start() {
	local k=$1 state=${2:-existing}
	command -v etcd >/dev/null || fail "etcd is not installed (scripts/setup.sh installs etcd-server)"
	spawn "$SYS_TMP/etcd$k.log" etcd --name "m$k" --data-dir "$SYS_TMP/etcd$k" \
		--listen-client-urls "http://127.0.0.1:${ETCD_CLIENT[$k]}" \
		--advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT[$k]}" \
		--listen-peer-urls "http://127.0.0.1:${ETCD_PEER[$k]}" \
		--initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER[$k]}" \
		--initial-cluster "$ETCD_INITIAL" --initial-cluster-state "$state" \
		--initial-cluster-token "vnet-test-$$" --heartbeat-interval 50 --election-timeout 500 \
		--logger zap --log-level warn
	ETCD_PID[$k]=$SYS_LAST_PID
}

etcd_cluster() {
	local n=$1 k urls=()
	for ((k = 1; k <= n; k++)); do
		ETCD_CLIENT[$k]=$(etcd_free_port)
		ETCD_PEER[$k]=$(etcd_free_port)
		ETCD_INITIAL+="${ETCD_INITIAL:+,}m$k=http://127.0.0.1:${ETCD_PEER[$k]}"
		urls+=("http://127.0.0.1:${ETCD_CLIENT[$k]}")
	done
	ETCD_URLS=$(IFS=,; echo "${urls[*]}")
	for ((k = 1; k <= n; k++)); do
		etcd_member_start "$k" new
	done
	for ((k = 1; k <= n; k++)); do
		wait_for "etcd member $k healthy" 30 sh -c \
			"curl -sf http://127.0.0.1:${ETCD_CLIENT[$k]}/health | grep -q '\"health\":\"true\"'" ||
			fail "etcd member $k is not healthy: $(tail -5 "$SYS_TMP/etcd$k.log")"
	done
}
