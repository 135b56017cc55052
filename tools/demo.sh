#!/bin/bash
# The README's first command: installs dependencies, builds berth, and runs the demo.
# Until containers run (issue: runtime), the demo builds the busybox demo image, imports it into a demo
# store and shows it with `berth images` and `berth image inspect`.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

berth=$PWD/build/src/cli/berth
export BERTH_ROOT=$PWD/build/demo-root
rm -rf "$BERTH_ROOT" && mkdir -p "$BERTH_ROOT"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step tools/demo-image.sh build/demo-image.tar.gz
tools/demo-image.sh build/demo-image.tar.gz
step berth import --change ... build/demo-image.tar.gz berth-demo:latest
tools/demo-image.sh build/demo-image.tar.gz "$berth"
step berth tag berth-demo localhost:5000/demo/httpd:1.0
"$berth" tag berth-demo localhost:5000/demo/httpd:1.0
step berth images
"$berth" images
step berth image inspect --format '{{json .Config}}' berth-demo
"$berth" image inspect --format '{{json .Config}}' berth-demo
step berth rmi localhost:5000/demo/httpd:1.0
"$berth" rmi localhost:5000/demo/httpd:1.0
step berth images
"$berth" images
printf '\nDemo store: %s (berth --root %s images)\n' "$BERTH_ROOT" "$BERTH_ROOT"
