#!/bin/bash
# The Debian package in a booted test host, not the build tree: builds it (tools/build-deb.sh, lintian
# without errors), installs it with apt, runs the demo image from the installed programs as a declared
# container (.container file, systemctl start), checks man pages and completion, reboots and sees the
# container come back, upgrades to a package with a higher version while the container runs (same
# MainPID), removes the package (the container keeps running, the store stays), and purges it (store,
# units and drop-ins gone).
#
# Registered for builds without sanitizers only (tests/meson.build): the package is built from the source
# tree by dpkg-buildpackage, not from this build, so running it twice would test the same thing twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
src=${BERTH_SOURCE_ROOT:-$here/../..}

th_require
command -v busybox >/dev/null || [ -x /bin/busybox ] || th_skip_or_fail "busybox-static is not installed"
for c in dpkg-buildpackage dh lintian apt-get; do
        command -v "$c" >/dev/null || th_skip_or_fail "missing $c (tools/deps.sh installs it)"
done

work=$(mktemp -d /tmp/berth-deb-test.XXXXXX)
TH_CLEANUP+=('rm -rf "$work"')
trap _th_cleanup EXIT

# --- build, lintian, and a second package of a higher version ---------------------------------------------
if [ -n "${BERTH_DEB:-}" ]; then
        cp "$BERTH_DEB" "$work/"
else
        "$src/tools/build-deb.sh" --lintian "$work" >"$work/build.log" 2>&1 || {
                cat "$work/build.log"
                echo "FAIL: tools/build-deb.sh"
                exit 1
        }
        grep -E '^[EW]: ' "$work/build.log" || true
fi
deb1=$(ls "$work"/berth_*.deb)
v1=$(dpkg-deb -f "$deb1" Version)
# the upgrade: the same files repacked as version v1+1 (the maintainer scripts run as for any upgrade)
mkdir "$work/repack"
dpkg-deb -R "$deb1" "$work/repack/pkg"
v2="${v1%-*}-$((${v1##*-} + 1))"
sed -i "s/^Version: .*/Version: $v2/" "$work/repack/pkg/DEBIAN/control"
dpkg-deb -b "$work/repack/pkg" "$work/berth_${v2}_upgrade.deb" >/dev/null
echo "PASS: built berth $v1 (lintian: no errors) and a $v2 to upgrade to"

mkdir -p "$work/stage/root" "$work/varlib"
cp "$deb1" "$work/stage/root/berth_1.deb"
cp "$work/berth_${v2}_upgrade.deb" "$work/stage/root/berth_2.deb"
"$src/tools/demo-image.sh" "$work/stage/root/demo.tar.gz"
th_new --net private --bind "$work/varlib:/var/lib/berth:rw"
"$TH" "$TH_DIR" copy-in "$work/stage" /

# --- install ------------------------------------------------------------------------------------------------
th_exec env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/berth_1.deb >"$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; echo "FAIL: apt-get install ./berth.deb"; exit 1; }
assert_eq "install ok installed $v1" "$(th_exec dpkg-query -W -f '${Status} ${Version}' berth)" "package installed"
assert_eq "/usr/bin/berth" "$(th_exec sh -c 'command -v berth')" "berth from the package"
for f in /usr/libexec/berth/berth-runtime /usr/libexec/berth/berth-exec /usr/libexec/berth/berth-proxy \
        /usr/libexec/berth/berth-init /lib/systemd/system/berth@.service /lib/systemd/system-generators/berth-generator \
        /usr/lib/tmpfiles.d/berth.conf /usr/share/bash-completion/completions/berth \
        /usr/share/zsh/vendor-completions/_berth; do
        th_exec test -e "$f" || { echo "FAIL: $f is not installed"; exit 1; }
done
th_exec test -d /run/berth || { echo "FAIL: tmpfiles.d did not create /run/berth"; exit 1; }
for page in berth berth.container berth-generator berth-runtime berth-exec berth-proxy berth-init; do
        th_exec man -w "$page" >/dev/null || { echo "FAIL: no man page $page"; exit 1; }
done
echo "PASS: apt-get install: programs, units, generator, tmpfiles.d, man pages, completion"

# --- the demo from the installed package, as a declared container ----------------------------------------------
th_exec berth import \
        --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo:latest >/dev/null
th_exec sh -c 'mkdir -p /srv/www /etc/berth/containers && echo "hello from the package" >/srv/www/index.html'
th_exec sh -c 'cat >/etc/berth/containers/web.container' <<'EOF2'
[Container]
Image=berth-demo
Publish=8080:80
Volume=/srv/www:/www:ro
Init=yes

[Install]
WantedBy=multi-user.target
EOF2
th_exec systemctl daemon-reload
th_exec systemctl start web
fetch() { th_exec curl -fsS --max-time 10 http://127.0.0.1:8080/index.html; }
assert_eq "hello from the package" "$(fetch)" "page from the declared container"
th_exec berth run -d --name side --restart always berth-demo >/dev/null
completions=$(th_exec bash -c '. /usr/share/bash-completion/completions/berth; COMP_WORDS=(berth stop ""); COMP_CWORD=2; _berth; echo "${COMPREPLY[@]}"')
assert_contains "$completions" "web" "bash completion offers the declared container"
assert_contains "$completions" "side" "bash completion offers the other container"
assert_contains "$(th_exec bash -c '. /usr/share/bash-completion/completions/berth; COMP_WORDS=(berth run ""); COMP_CWORD=2; _berth; echo "${COMPREPLY[@]}"')" \
        "berth-demo:latest" "bash completion offers images"
th_exec zsh -n /usr/share/zsh/vendor-completions/_berth
echo "PASS: the demo runs from the package (declared web on 127.0.0.1:8080, side from berth run); completion of names"

# --- reboot ------------------------------------------------------------------------------------------------------
wait_for() {
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}
"$TH" "$TH_DIR" restart
wait_for 30 th_exec systemctl is-active -q berth@web.service || { echo "FAIL: web not back after reboot"; exit 1; }
wait_for 30 th_exec systemctl is-active -q berth@side.service || { echo "FAIL: side not back after reboot"; exit 1; }
assert_eq "hello from the package" "$(fetch)" "page after the reboot"
echo "PASS: both containers come back after a reboot"

# --- upgrade with the containers running --------------------------------------------------------------------------
pid_web=$(th_exec systemctl show -p MainPID --value berth@web.service)
pid_side=$(th_exec systemctl show -p MainPID --value berth@side.service)
th_exec env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/berth_2.deb >"$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; echo "FAIL: upgrade"; exit 1; }
assert_eq "install ok installed $v2" "$(th_exec dpkg-query -W -f '${Status} ${Version}' berth)" "upgraded"
assert_eq "$pid_web" "$(th_exec systemctl show -p MainPID --value berth@web.service)" "web kept its process"
assert_eq "$pid_side" "$(th_exec systemctl show -p MainPID --value berth@side.service)" "side kept its process"
assert_eq "hello from the package" "$(fetch)" "page after the upgrade"
assert_eq "0" "$(th_exec systemctl show -p NRestarts --value berth@web.service)" "web was not restarted"
echo "PASS: the upgrade to $v2 leaves the running containers alone (same MainPID)"

# --- remove: nothing stops, the store stays ------------------------------------------------------------------------
th_exec env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q berth >"$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; echo "FAIL: apt-get remove"; exit 1; }
assert_eq "deinstall ok config-files" "$(th_exec dpkg-query -W -f '${Status}' berth)" "removed, not purged"
assert_fail th_exec test -e /usr/bin/berth
assert_eq "$pid_web" "$(th_exec systemctl show -p MainPID --value berth@web.service)" "web still runs after remove"
assert_eq "$pid_side" "$(th_exec systemctl show -p MainPID --value berth@side.service)" "side still runs after remove"
th_exec test -e /var/lib/berth/containers/side/config.json
th_exec test -e /etc/systemd/system/berth@side.service.d/10-berth.conf
echo "PASS: apt-get remove stops nothing and keeps /var/lib/berth"

# --- purge: containers stopped, everything berth wrote deleted ------------------------------------------------------
th_exec dpkg --purge berth >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; echo "FAIL: dpkg --purge"; exit 1; }
assert_fail th_exec dpkg-query -W berth
assert_eq "" "$(th_exec sh -c 'ls -A /var/lib/berth 2>/dev/null || true')" "/var/lib/berth is empty after purge"
assert_eq "" "$(th_exec sh -c 'ls -d /etc/systemd/system/berth@* /etc/systemd/system/multi-user.target.wants/berth@* 2>/dev/null || true')" \
        "no drop-ins or links left"
assert_eq "" "$(th_exec systemctl list-units --no-legend --plain 'berth*')" "no berth units left"
th_exec test -e /etc/berth/containers/web.container # the administrator's file stays
echo "PASS: dpkg --purge stops the containers and deletes the store and the units; .container files stay"
echo "PASS: test-deb"
