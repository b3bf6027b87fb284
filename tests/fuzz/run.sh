#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build and run the libFuzzer targets (docs/testing.md). Each target starts from its checked-in
# seeds (tests/fuzz/corpus/<target>) in a working copy, runs for a bounded time, and passes when
# libFuzzer found nothing; a failure keeps the input that did it in build-fuzz/fuzz-artifacts/.
#   tests/fuzz/run.sh                     every target, 60 s each (what CI runs)
#   tests/fuzz/run.sh -t 3600 fuzz_graph  one target for an hour
#   tests/fuzz/run.sh -k DIR ...          keep (and reuse) the working corpora in DIR
# Prints one line per target (executions, executions per second, corpus size) and a closing
# "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=60 keep=""
while getopts "t:k:h" o; do
	case $o in
	t) seconds=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) sed -n '3,11p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_parse fuzz_graph fuzz_rules fuzz_ctl fuzz_config fuzz_ct fuzz_l7 fuzz_controller)

if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined >/dev/null
fi
ninja -C build-fuzz >/dev/null

work=$(mktemp -d /tmp/vnet-fuzz.XXXXXX)
artifacts=$PWD/build-fuzz/fuzz-artifacts
mkdir -p "$artifacts"
cleanup() {
	rm -rf "$work"
	# An in-process target that crashed leaves EAL's runtime directory behind.
	for d in /var/run/dpdk/vnet_ut_*; do
		[ -d "$d" ] || continue
		kill -0 "${d##*_}" 2>/dev/null || rm -rf "$d"
	done
}
trap cleanup EXIT

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pass=0 failed=0
for t in "${targets[@]}"; do
	corpus=${keep:+$keep/$t}
	corpus=${corpus:-$work/$t}
	mkdir -p "$corpus"
	cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
	log=$work/$t.log
	rc=0
	(cd "$work" && "$OLDPWD/build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
		-dict="$OLDPWD/tests/fuzz/vnet.dict" "$corpus") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $t: ${execs:-?} executions in ${seconds} s, ${rate:-?}/s, corpus $units inputs"
	else
		failed=$((failed + 1))
		echo "FAIL $t (exit $rc): see below; the input is in $artifacts/"
		grep -E "ERROR|SUMMARY|invariant|runtime error|^ *#[0-9]+ " "$log" | head -40
	fi
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
