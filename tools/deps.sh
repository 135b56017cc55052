#!/bin/bash
# Installs what building and testing berth needs on Debian 12 (run as root). Quiet when all is present.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang clang-format scdoc
        libsystemd-dev libseccomp-dev libjson-c-dev libarchive-dev libcurl4-openssl-dev libssl-dev
        # sanitizer runtime for clang builds
        libclang-rt-14-dev
        # demo image and tests
        busybox-static file tar gzip zstd xz-utils bzip2
        # the registry fixture for pull tests (tests/integration/registry-lib.sh, tests/helpers/registry-*)
        docker-registry skopeo apache2-utils openssl curl jq python3
        # the systemd test host (tests/testhost/th)
        systemd dbus util-linux iproute2 procps
        # the Debian package (tools/build-deb.sh, tests/integration/test-deb.sh) and the completion test
        debhelper dpkg-dev fakeroot lintian man-db zsh curl
)

if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: run as root (apt-get install needs it)" >&2
        exit 1
fi

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "deps.sh: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
