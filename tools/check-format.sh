#!/bin/bash
# Fails if any C file differs from .clang-format; `tools/check-format.sh --fix` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || { echo "check-format.sh: no C files found" >&2; exit 1; }
if [ "${1:-}" = --fix ]; then
        clang-format -i "${files[@]}"
else
        clang-format --dry-run --Werror "${files[@]}"
fi
