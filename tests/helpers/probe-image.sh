#!/bin/bash
# Builds the rootfs tarball of the probe test image: busybox-static with its applet links (as
# tools/demo-image.sh), /etc/passwd and /etc/group with root and nobody, and berth-probe at
# /usr/bin/berth-probe. No network needed. The tests import it themselves (berth import OUT.tar berth-probe).
#
#   tests/helpers/probe-image.sh OUT.tar [PROBE]     PROBE defaults to $BERTH_PROBE (set by meson test)
set -euo pipefail

out=${1:?usage: probe-image.sh OUT.tar [PROBE]}
probe=${2:-${BERTH_PROBE:?usage: probe-image.sh OUT.tar [PROBE], or set BERTH_PROBE}}
busybox=${BUSYBOX:-/bin/busybox}

if ! "$busybox" --list >/dev/null 2>&1 || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
        echo "probe-image.sh: '$busybox' is not a static busybox; install it with: apt-get install busybox-static" >&2
        exit 1
fi
# the image has no libc: a dynamic probe (or one built with sanitizers) cannot run in it
if ! file -L "$probe" 2>/dev/null | grep -q 'statically linked'; then
        echo "probe-image.sh: '$probe' is missing or not statically linked" >&2
        exit 1
fi

work=$(mktemp -d /tmp/berth-probe-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
install -m 0755 "$busybox" "$root/bin/busybox"
# every applet as a symlink to /bin/busybox, at the path busybox itself lists
while read -r applet; do
        [ "$applet" = bin/busybox ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -sf /bin/busybox "$root/$applet"
done < <("$busybox" --list-full)
install -m 0755 "$probe" "$root/usr/bin/berth-probe"

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

# Reproducible for a given probe binary: fixed owner and mtime, sorted entries.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' \
        -C "$root" -cf "$out" .
