#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine and run every test: unit, pipeline and system in the normal build, then unit
# and pipeline again in the AddressSanitizer + UndefinedBehaviorSanitizer build, then every fuzz
# target for a bounded time (VNET_FUZZ_SECONDS each, default 60; 0 skips them). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${VNET_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then scripts/setup.sh --fuzz; else scripts/setup.sh --asan; fi

echo "== tests: unit, pipeline, system (build/)"
meson test -C build --print-errorlogs --num-processes 1

echo "== tests: unit, pipeline under ASan + UBSan (build-asan/)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build-asan --print-errorlogs --num-processes 1 --suite unit --suite pipeline

fuzz_log=build/fuzz-summary.txt
: >"$fuzz_log"
if [ "$fuzz_seconds" -gt 0 ]; then
	echo "== fuzz: every target of tests/fuzz for $fuzz_seconds s (libFuzzer, ASan + UBSan)"
	tests/fuzz/run.sh -t "$fuzz_seconds" | tee "$fuzz_log" || true
fi

# One closing line over every run, from meson's own logs and the fuzz summary.
/usr/bin/python3 - "$fuzz_log" build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, re, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) passed, (\d+) failed$", line.strip())
    if m:
        ok += int(m.group(1))
        bad += int(m.group(2))
if open(sys.argv[1]).read().strip() and not re.search(r"^\d+ passed, \d+ failed$", open(sys.argv[1]).read(), re.M):
    bad += 1  # the fuzz stage ended without its summary
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r == "SKIP":
            skip += 1
        else:
            bad += 1
print(f"tests: {ok} passed, {bad} failed, {skip} skipped")
sys.exit(1 if bad else 0)
PY
