#!/bin/bash
# The README's first command: installs dependencies, builds berth, and runs the demo: the busybox httpd demo
# image as a detached container with --network host and a bind-mounted htdocs folder, a page fetched from
# it, `berth ps`, `berth logs`, `systemctl status berth@web`, then stop and rm.
#
# berth's daemon is systemd. Where PID 1 is systemd, the demo installs berth and runs there. Where it is not
# (containers, CI sandboxes), it says so and runs the same demo inside a test host: a real systemd booted in
# namespaces by the project's harness (tests/testhost/th), torn down afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

tools/deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
th_dir=
cleanup() {
        [ -z "$th_dir" ] || "$src/tests/testhost/th" "$th_dir" destroy || true
        rm -rf "$work"
}
trap cleanup EXIT

tools/demo-image.sh "$work/demo-image.tar.gz"

if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; then
        echo "PID 1 is systemd: installing berth on this machine and running the demo here."
        meson install -C build --no-rebuild >/dev/null
        systemctl daemon-reload
        tools/demo-steps.sh "$work/demo-image.tar.gz"
        exit 0
fi

echo "PID 1 here is '$(ps -p 1 -o comm= 2>/dev/null || echo unknown)', not systemd, so berth cannot run containers on"
echo "this machine directly. Booting a real systemd in namespaces (tests/testhost/th) and running the demo there."
mkdir -p "$work/stage/root" "$work/varlib"
meson install -C build --no-rebuild --destdir "$work/stage" >/dev/null
cp "$work/demo-image.tar.gz" tools/demo-steps.sh "$work/stage/root/"
th_dir=$(mktemp -d /tmp/th.XXXXXX)
# berth's overlay upper dirs must be on a real file system, not on the test host's root overlay
tests/testhost/th "$th_dir" up --net private --bind "$work/varlib:/var/lib/berth:rw"
tests/testhost/th "$th_dir" copy-in "$work/stage" /
tests/testhost/th "$th_dir" exec systemctl daemon-reload
tests/testhost/th "$th_dir" exec /root/demo-steps.sh /root/demo-image.tar.gz
