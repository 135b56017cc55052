#!/bin/bash
# Every header compiles on its own (STYLE §7): include it alone in an empty translation unit.
set -euo pipefail
src=$1 build=$2 cc=$3
incs=()
for d in "$src"/src/*/; do incs+=("-I$d"); done
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in "$src"/src/*/*.h; do
        printf '#include "%s"\n' "$(basename "$h")" >"$tmp/t.c"
        if ! "$cc" -std=gnu17 -D_GNU_SOURCE -include "$build/config.h" "${incs[@]}" -Wall -Wextra -Werror \
                -Wno-unused-function -fsyntax-only "$tmp/t.c" 2>"$tmp/err"; then
                echo "FAIL: $h does not compile on its own:"
                cat "$tmp/err"
                fail=1
        fi
done
[ $fail = 0 ] && echo "all headers compile on their own"
exit $fail
