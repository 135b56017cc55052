#!/bin/bash
# Builds the Debian package from this tree: copies the tracked files (and untracked, not ignored ones) to
# a scratch directory, puts packaging/debian there as debian/, and runs `dpkg-buildpackage -us -uc -b`.
#
#   tools/build-deb.sh OUTDIR            berth_VERSION_ARCH.deb (and .buildinfo, .changes) into OUTDIR
#   tools/build-deb.sh --lintian OUTDIR  ...then lintian on the .deb (fails on errors)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
lintian=0
if [ "${1:-}" = --lintian ]; then
        lintian=1
        shift
fi
out=${1:?usage: build-deb.sh [--lintian] OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d /tmp/berth-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/berth"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                tar --null --ignore-failed-read -T - -cf -) | tar -C "$work/berth" -xf -
else
        tar -C "$src" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/berth" -xf -
fi
cp -r "$work/berth/packaging/debian" "$work/berth/debian"
(cd "$work/berth" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
        tail -60 "$work/build.log"
        echo "build-deb.sh: dpkg-buildpackage failed (log above)" >&2
        exit 1
}
mv "$work"/berth_*.deb "$work"/berth_*.buildinfo "$work"/berth_*.changes "$out/"
ls "$out"/berth_*.deb
if [ "$lintian" = 1 ]; then
        lintian --fail-on error "$out"/berth_*.deb
fi
