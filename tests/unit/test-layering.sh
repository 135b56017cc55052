#!/bin/bash
# Dependencies point downward only (STYLE §1): basic ← shared ← image/runtime ← programs; the generator
# sits above the CLI, whose option parsers it uses.
# A file may include project headers only from its own folder or a lower layer.
set -euo pipefail
src=$1
declare -A rank=([basic]=0 [shared]=1 [image]=2 [runtime]=2 [cli]=3 [exec]=3 [proxy]=3 [generator]=4)
declare -A owner=()
for f in "$src"/src/*/*.h; do
        d=$(basename "$(dirname "$f")")
        owner[$(basename "$f")]=$d
done
fail=0
for f in "$src"/src/*/*.[ch]; do
        d=$(basename "$(dirname "$f")")
        while read -r inc; do
                o=${owner[$inc]:-}
                [ -n "$o" ] || continue
                if [ "$o" != "$d" ] && [ "${rank[$o]}" -ge "${rank[$d]}" ]; then
                        echo "FAIL: ${f#"$src"/} ($d) includes $inc from $o, which is not below it"
                        fail=1
                fi
        done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$f")
done
[ $fail = 0 ] && echo "layering ok"
exit $fail
