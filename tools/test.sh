#!/bin/bash
# The README's second command (and what .ci/run runs): installs dependencies, checks formatting, then
# builds berth twice (gcc with --werror; clang with ASan+UBSan and --werror) and runs the whole test
# suite (unit, lint, fuzz corpus replay, integration against a real systemd) on each build.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh

echo "== format check (clang-format)"
tools/check-format.sh

run_suite() {
        local dir=$1
        shift
        if [ ! -d "$dir" ]; then
                meson setup "$dir" --werror "$@" >/dev/null
        fi
        meson compile -C "$dir"
        meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
        # tally from meson's machine-readable log (one JSON object per test)
        local p f s
        p=$(grep -c '"result": "OK"' "$dir/meson-logs/testlog.json" || true)
        f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$dir/meson-logs/testlog.json" || true)
        s=$(grep -c '"result": "SKIP"' "$dir/meson-logs/testlog.json" || true)
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
        if [ "$f" != 0 ]; then
                failures+="$(failure_report "$dir")"$'\n'
        fi
}

# Names and output tails of the failed tests of one build, so that the end of the log (which is what
# CI keeps) says what broke without scrolling back through both suites.
failure_report() {
        python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS"):
        # meson keeps stderr apart from stdout; harness errors (th) go to stderr
        for stream in ("stdout", "stderr"):
            out = (t.get(stream) or "").splitlines()
            if out or stream == "stdout":
                print(f"--- {sys.argv[1].split('/')[0]}: {t['name']}: {t['result']}, {stream} (last {min(len(out), 40)} lines)")
                print("\n".join(out[-40:]))
PY
}

status=0 passed=0 failed=0 skipped=0 failures=""

echo "== gcc, --werror"
CC=gcc run_suite build-gcc

echo "== clang, ASan+UBSan, --werror"
CC=clang run_suite build-clang-asan -Db_sanitize=address,undefined -Db_lundef=false

if [ -n "$failures" ]; then
        echo "== failed tests"
        printf '%s' "$failures"
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
