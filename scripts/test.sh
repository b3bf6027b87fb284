#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine and run every test: unit, pipeline and system in the normal build, then unit
# and pipeline again in the AddressSanitizer + UndefinedBehaviorSanitizer build. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --asan

echo "== tests: unit, pipeline, system (build/)"
meson test -C build --print-errorlogs --num-processes 1

echo "== tests: unit, pipeline under ASan + UBSan (build-asan/)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build-asan --print-errorlogs --num-processes 1 --suite unit --suite pipeline

# One closing line over both runs, from meson's own logs.
/usr/bin/python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
ok = bad = skip = 0
for path in sys.argv[1:]:
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
