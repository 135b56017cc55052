#!/bin/bash
# Builds the 3-layer Debian test image of /work/shared/peers.md ("Test images, built offline") as an OCI
# layout with umoci, from the Debian mirror apt already uses. Nothing else is fetched.
#
#   bench/debian-image.sh [LAYOUT]     (root; default /var/cache/berth-bench/debian-oci, tag "debian")
#
# Layers, each one `umoci repack --refresh-bundle`:
#   1. mmdebstrap --variant=minbase bookworm, without man pages, locales and docs (copyright files kept) and
#      without the apt lists;
#   2. python3, installed by apt in a chroot;
#   3. a 4 MiB random /app/blob.bin and /app/hello.py.
# The command is /bin/bash. An existing LAYOUT holding the tag is left as it is; the build happens beside it and
# is renamed into place at the end, so an interrupted build leaves no half layout behind.
set -euo pipefail

layout=${1:-/var/cache/berth-bench/debian-oci}
tag=debian

if [ "$(id -u)" != 0 ]; then echo "debian-image.sh: run as root" >&2; exit 1; fi
if [ -f "$layout/index.json" ] && umoci ls --layout "$layout" 2>/dev/null | grep -qx "$tag"; then
        exit 0
fi
need=()
for p in mmdebstrap:mmdebstrap umoci:umoci; do command -v "${p%%:*}" >/dev/null || need+=("${p#*:}"); done
if [ ${#need[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# the mirror of the machine's own apt sources (deb822 or one-line format)
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$(dirname "$layout")"
work=$(mktemp -d "$(dirname "$layout")/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
oci=$work/oci
bundle=$work/bundle

echo "debian-image.sh: building $layout from $mirror (a few minutes, once)" >&2
umoci init --layout "$oci"
umoci new --image "$oci:$tag"
umoci unpack --image "$oci:$tag" "$bundle" >/dev/null
rootfs=$bundle/rootfs

# 1. minbase bookworm
rmdir "$rootfs"
mmdebstrap --quiet --mode=root --variant=minbase --format=dir \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
        bookworm "$rootfs" "deb $mirror bookworm main"
umoci repack --refresh-bundle --image "$oci:$tag" "$bundle"

# 2. python3, by apt in a chroot: in a private mount namespace, so no mount outlives the build
unshare -m --propagation private sh -euc '
        r=$1
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        cp /etc/resolv.conf "$r/etc/resolv.conf"
        printf "#!/bin/sh\nexit 101\n" >"$r/usr/sbin/policy-rc.d"
        chmod +x "$r/usr/sbin/policy-rc.d"
        chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                sh -c "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends python3 >/dev/null && apt-get clean"
        rm -f "$r/usr/sbin/policy-rc.d"
        rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin
        : >"$r/etc/resolv.conf"
        umount -R "$r/dev"
        umount "$r/proc"
' sh "$rootfs"
umoci repack --refresh-bundle --image "$oci:$tag" "$bundle"

# 3. the application layer
mkdir -p "$rootfs/app"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$rootfs/app/blob.bin"
printf '#!/usr/bin/python3\nprint("hello from the berth bench image")\n' >"$rootfs/app/hello.py"
chmod 0755 "$rootfs/app/hello.py"
umoci repack --refresh-bundle --image "$oci:$tag" "$bundle"
umoci config --image "$oci:$tag" --config.cmd=/bin/bash
umoci gc --layout "$oci"

rm -rf "$layout"
mv "$oci" "$layout"
echo "debian-image.sh: $layout:$tag ready" >&2
