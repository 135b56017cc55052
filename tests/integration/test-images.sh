#!/bin/bash
# Boots a real systemd test host with this build installed, then drives berth inside it the way a user
# would: import the demo image, list, tag, inspect, reboot (images persist), remove. The EXIT trap
# destroys the host and fails the test if anything (mounts, processes, cgroups, veths) was left behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

th_require
command -v busybox >/dev/null || [ -x /bin/busybox ] || th_skip_or_fail "busybox-static is not installed"

th_berth_host --net private
work=$TH_WORK
echo "PASS: host up, berth installed"

out=$(th_exec berth --version)
assert_contains "$out" "berth version" "berth runs inside the test host"

# import with the demo image's settings, as the demo does
id=$(th_exec berth import \
        --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' --change 'EXPOSE 80/tcp' \
        /root/demo.tar.gz berth-demo:latest)
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "FAIL: import printed '$id'"; exit 1; }
short=${id:7:12}
echo "PASS: import → $short"

out=$(th_exec berth images)
assert_contains "$out" "berth-demo   latest    $short" "images lists the imported image"
out=$(th_exec berth image inspect --format '{{json .Config.Cmd}} {{json .Config.ExposedPorts}}' berth-demo)
assert_eq '["httpd","-f","-v","-p","80","-h","/www"] {"80/tcp":{}}' "$out" "config from --change"

# the layer is unpacked once, with busybox and its applet links, inside the store
layer=$(th_exec berth image inspect --format '{{.GraphDriver.Data.LowerDir}}' berth-demo)
assert_contains "$(th_exec ls -l "$layer/bin/sh")" "-> /bin/busybox" "applet symlink stored verbatim"
assert_eq "ok" "$(th_exec cat "$layer/www/health")" "file content in the layer"
echo "PASS: images, inspect, layer content"

th_exec berth tag berth-demo localhost:5000/demo/httpd:1.0
out=$(th_exec berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}')
assert_contains "$out" "localhost:5000/demo/httpd:1.0 $short" "tag added"
assert_contains "$out" "berth-demo:latest $short" "original tag kept"

# a second import of the same tarball reuses the unpacked layer
th_exec berth import /root/demo.tar.gz other:1 >/dev/null
assert_eq 1 "$(th_exec sh -c 'ls /var/lib/berth/layers | wc -l')" "one layer directory for two images"
echo "PASS: tag, shared layer"

# state survives a reboot of the host
"$TH" "$TH_DIR" restart
out=$(th_exec berth images --format '{{.Repository}}:{{.Tag}}')
assert_contains "$out" "berth-demo:latest" "images survive a reboot"
assert_contains "$out" "other:1" "images survive a reboot"
assert_contains "$out" "localhost:5000/demo/httpd:1.0" "tags survive a reboot"
echo "PASS: reboot keeps the store"

# removal
out=$(th_exec berth rmi localhost:5000/demo/httpd:1.0)
assert_eq "Untagged: localhost:5000/demo/httpd:1.0" "$out" "rmi of one tag only untags"
out=$(th_exec berth rmi berth-demo other:1)
assert_contains "$out" "Deleted: $id" "rmi deletes the image"
assert_eq "" "$(th_exec berth images -q)" "no images left"
assert_eq 0 "$(th_exec sh -c 'find /var/lib/berth/layers /var/lib/berth/tmp -mindepth 1 | wc -l')" \
        "no layers or work dirs left"
if th_exec berth rmi berth-demo 2>"$work/err"; then
        echo "FAIL: rmi of a missing image succeeded"
        exit 1
fi
assert_contains "$(cat "$work/err")" "No such image: 'berth-demo'" "missing image error"
echo "PASS: rmi"

# nothing berth did is left mounted inside the host either
assert_eq "" "$(th_exec awk '$5 ~ "^/var/lib/berth/"' /proc/self/mountinfo)" "no mounts below the store"
echo "PASS: test-images"
