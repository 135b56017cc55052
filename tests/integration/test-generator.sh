#!/bin/bash
# Declarative containers against a real systemd: a .container file dropped into /etc/berth/containers
# becomes units at daemon-reload (berth-generator); `systemctl start web` runs a normal berth container
# (ps, exec, logs, port work on it) and waits for it; the page is served through the published port;
# [Install] brings it back after a reboot of the test host (and at that boot the generator runs too);
# stop/restart through the handle; an edited file replaces the container at the next start; a missing
# image makes the start try `berth pull` and fail cleanly; an invalid file is reported with file and line
# in the journal and gets no units; `berth generate` prints a file that generates an equivalent container;
# HealthCmd= gets a health check timer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

th_require
command -v busybox >/dev/null || [ -x /bin/busybox ] || th_skip_or_fail "busybox-static is not installed"
th_berth_host --net private

th_exec berth import \
        --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo:latest >/dev/null
th_exec sh -c 'mkdir -p /srv/www && echo "hello from a declared container" >/srv/www/index.html'

fetch() { th_exec curl -fsS --max-time 10 "$@"; }
put() { th_exec sh -c "mkdir -p /etc/berth/containers && cat >/etc/berth/containers/$1"; }
is_active() { th_exec systemctl is-active -q "$1"; }
wait_for() {
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}

put web.container <<'EOF'
# the demo web server, declared
[Unit]
Description=Declared demo web server

[Container]
Image=berth-demo
Publish=127.0.0.1:8080:80
Volume=/srv/www:/www:ro
Environment=GREETING="hello world" MODE=declared
Label=tier=web
Exec=httpd -f -v -p 80 -h /www
Init=yes

[Service]
RestartSec=3

[Install]
WantedBy=multi-user.target
EOF

# --- daemon-reload generates the units ---------------------------------------------------------------------
th_exec systemctl daemon-reload
assert_contains "$(th_exec systemctl show -p FragmentPath --value web.service)" "/run/systemd/generator/web.service" \
        "the handle is generated"
assert_contains "$(th_exec systemctl show -p DropInPaths --value berth@web.service)" \
        "/run/systemd/generator/berth@web.service.d/10-berth.conf" "the container's drop-in is generated"
assert_eq "loaded" "$(th_exec systemctl show -p LoadState --value berth-port-web@8080.socket)" "port socket unit"
th_exec test -L /run/systemd/generator/multi-user.target.wants/berth@web.service
assert_fail th_exec test -e /var/lib/berth/containers/web
echo "PASS: daemon-reload generates web.service, the berth@web drop-in, the port units and the wants link"

# --- systemctl start web waits for the container -----------------------------------------------------------
th_exec systemctl start web
is_active berth@web.service || { echo "FAIL: berth@web is not active after 'systemctl start web'"; exit 1; }
is_active web.service
assert_eq "hello from a declared container" "$(fetch http://127.0.0.1:8080/index.html)" "page through the port"
b ps --format '{{.Names}} {{.Status}} {{.Ports}}'
assert_contains "$out" "web Up" "berth ps lists it"
assert_contains "$out" "127.0.0.1:8080->80/tcp" "berth ps shows its port"
expect 0 "GREETING=hello world" exec web env
assert_contains "$out" "MODE=declared" "environment from the file"
b inspect -f '{{.Config.Labels}}' web
assert_contains "$out" '"berth.container-file":"/etc/berth/containers/web.container"' "declared-in label"
assert_contains "$out" '"tier":"web"' "label from the file"
id=$(th_exec berth inspect -f '{{.Id}}' web)
assert_contains "$(th_exec cat /run/systemd/generator/berth@web.service.d/10-berth.conf)" "CONTAINER_ID_FULL=$id" \
        "the generated journal fields name the created container"
wait_for 10 sh -c "'$TH' '$TH_DIR' exec -- berth logs web 2>&1 | grep -q 'response:200'" ||
        { echo "FAIL: berth logs web shows no request"; th_exec berth logs web; exit 1; }
assert_eq "Declared demo web server" "$(th_exec systemctl show -p Description --value berth@web.service)" \
        "[Unit] lines reach the container's unit"
assert_eq "3s" "$(th_exec systemctl show -p RestartUSec --value berth@web.service)" \
        "[Service] lines reach the container's unit"
echo "PASS: systemctl start web: berth ps/exec/inspect/logs on it, page through 127.0.0.1:8080"

# --- stop and restart through either unit ------------------------------------------------------------------
pid=$(th_exec systemctl show -p MainPID --value berth@web.service)
th_exec systemctl restart web
pid2=$(th_exec systemctl show -p MainPID --value berth@web.service)
[ "$pid2" -gt 0 ] && [ "$pid2" != "$pid" ] || { echo "FAIL: restart web kept PID $pid ($pid2)"; exit 1; }
th_exec systemctl stop web
assert_fail is_active berth@web.service
expect 0 "web Exited" ps -a --format '{{.Names}} {{.Status}}'
expect 0 "web" start web
wait_for 5 is_active web.service || { echo "FAIL: berth start web did not activate the handle"; exit 1; }
expect 0 "web" stop web
wait_for 5 sh -c "! '$TH' '$TH_DIR' exec -- systemctl is-active -q web.service" ||
        { echo "FAIL: the handle stayed active after berth stop"; exit 1; }
echo "PASS: restart/stop web stop the container; berth start/stop move the handle along"

# --- reboot: [Install] WantedBy=multi-user.target ----------------------------------------------------------
"$TH" "$TH_DIR" restart
wait_for 30 is_active berth@web.service || { echo "FAIL: web did not come back after a reboot"; exit 1; }
assert_eq "hello from a declared container" "$(fetch http://127.0.0.1:8080/index.html)" "page after the reboot"
echo "PASS: the declared container comes back after a reboot"

# --- an edited file replaces the container at the next start ------------------------------------------------
th_exec sed -i 's/MODE=declared/MODE=edited/' /etc/berth/containers/web.container
th_exec systemctl daemon-reload
expect 0 "MODE=declared" exec web env
th_exec systemctl restart web
expect 0 "MODE=edited" exec web env
id2=$(th_exec berth inspect -f '{{.Id}}' web)
[ "$id2" != "$id" ] || { echo "FAIL: the edited file kept the container ID"; exit 1; }
echo "PASS: an edited file takes effect at the next start (new container, new ID)"

# --- missing image: berth pull is tried, the start fails, nothing is left running ---------------------------
put ghost.container <<'EOF'
[Container]
Image=localhost:1/nosuch:1
PullTimeout=5
EOF
th_exec systemctl daemon-reload
assert_fail th_exec systemctl start ghost
assert_fail is_active berth@ghost.service
assert_contains "$(th_exec journalctl --no-pager -u berth@ghost.service)" "pull" "the start tried to pull"
assert_fail th_exec test -e /var/lib/berth/containers/ghost
th_exec rm /etc/berth/containers/ghost.container
th_exec systemctl reset-failed
echo "PASS: a missing image is pulled with 'berth pull' before the start (and the start fails when it can't be)"

# --- invalid files: an error with file and line, no units ------------------------------------------------------
put bad.container <<'EOF'
[Container]
Image=berth-demo
Publish=80
EOF
put worse.container <<'EOF'
[Container]
Image=berth-demo
Bogus=1
EOF
th_exec systemctl daemon-reload
log=$(th_exec journalctl --no-pager -t berth-generator)
assert_contains "$log" "/etc/berth/containers/bad.container:3: invalid Publish= '80': the host port is missing" \
        "error for bad.container"
assert_contains "$log" "/etc/berth/containers/worse.container:3: unknown key 'Bogus' in section [Container]" \
        "error for worse.container"
assert_eq "not-found" "$(th_exec systemctl show -p LoadState --value bad.service)" "no unit for bad.container"
assert_fail th_exec test -e /run/systemd/generator/berth@bad.service.d
is_active berth@web.service
th_exec rm /etc/berth/containers/bad.container /etc/berth/containers/worse.container
echo "PASS: invalid files are reported as FILE:LINE in the journal and get no units; the others run on"

# --- berth generate ------------------------------------------------------------------------------------------
b run -d --name gen -p 8081:80 -e A=1 -v /srv/www:/www --restart always --memory 64m berth-demo
assert_eq 0 "$rc" "run -d gen: $out"
b generate gen
assert_eq 0 "$rc" "berth generate: $out"
assert_contains "$out" "Image=berth-demo" "generate: image"
assert_contains "$out" "Publish=8081:80" "generate: port"
assert_contains "$out" "WantedBy=multi-user.target" "generate: --restart always starts at boot"
gen=$out
expect 0 "gen" rm -f gen
th_exec sh -c 'cat >/etc/berth/containers/gen.container' <<<"$gen"
th_exec systemctl daemon-reload
th_exec systemctl start gen
assert_contains "$(fetch http://127.0.0.1:8081/index.html)" "hello from a declared container" "generated file serves"
expect 0 "A=1" exec gen env
assert_eq "67108864" "$(th_exec systemctl show -p MemoryMax --value berth@gen.service)" "memory limit"
th_exec systemctl stop gen
echo "PASS: berth generate prints a .container file that runs the same container"

# --- SdNotify=container / --sdnotify=container: the start waits for the container's own READY=1 ---------------
mkdir -p "$TH_WORK/probe/root"
"$here/../helpers/probe-image.sh" "$TH_WORK/probe/root/probe.tar" >/dev/null
"$TH" "$TH_DIR" copy-in "$TH_WORK/probe" /
th_exec berth import /root/probe.tar probe >/dev/null
put ready.container <<'EOF'
[Container]
Image=probe
Exec=sh -c "berth-probe notify:2; exec sleep 1000"
SdNotify=container
Init=yes
EOF
th_exec systemctl daemon-reload
t0=$(date +%s%N)
th_exec systemctl start ready
t1=$(date +%s%N)
(((t1 - t0) / 1000000 >= 1900)) || { echo "FAIL: systemctl start ready returned after $(((t1 - t0) / 1000000)) ms"; exit 1; }
is_active berth@ready.service
assert_contains "$(th_exec berth logs ready)" "notify:2=ok" "the container sent READY=1"
assert_eq "NOTIFY_SOCKET=/run/notify" "$(th_exec berth exec ready sh -c 'tr "\0" "\n" </proc/1/environ | grep NOTIFY_SOCKET')" \
        "NOTIFY_SOCKET of the container's PID 1"
th_exec berth exec ready test -S /run/notify
th_exec systemctl stop ready
t0=$(date +%s%N)
b run -d --name ready2 --sdnotify=container probe sh -c 'berth-probe notify:1; exec sleep 1000'
t1=$(date +%s%N)
assert_eq 0 "$rc" "run -d --sdnotify=container: $out"
(((t1 - t0) / 1000000 >= 900)) || { echo "FAIL: run -d --sdnotify=container returned after $(((t1 - t0) / 1000000)) ms"; exit 1; }
expect 125 "invalid --sdnotify 'bogus'" run -d --name notready --sdnotify=bogus probe true
expect 0 "ready2" rm -f ready2
th_exec rm /etc/berth/containers/ready.container
echo "PASS: --sdnotify=container (and SdNotify=): systemctl start and run -d wait for the container's READY=1"

# --- HealthCmd=: the generated timer checks the declared container --------------------------------------------
put checked.container <<'EOF'
[Container]
Image=berth-demo
Exec=sleep 1000
HealthCmd=test -d /www
HealthInterval=1s
HealthOnFailure=restart
EOF
th_exec systemctl daemon-reload
th_exec systemctl start checked
is_active berth-health@checked.timer
healthy() { [[ $(th_exec berth inspect -f '{{.State.Health.Status}}' checked) == healthy ]]; }
wait_for 15 healthy || assert_eq healthy "$(th_exec berth inspect -f '{{.State.Health.Status}}' checked)" "declared check"
th_exec systemctl stop checked
assert_eq "inactive" "$(th_exec systemctl is-active berth-health@checked.timer || true)" "the timer stops with it"
th_exec rm /etc/berth/containers/checked.container
th_exec systemctl daemon-reload
expect 0 "checked" rm checked
echo "PASS: HealthCmd= in a .container file: the generated timer runs the check"

# --- the file goes away: units go, the stopped container stays until removed ------------------------------------
th_exec systemctl stop web
th_exec rm /etc/berth/containers/web.container /etc/berth/containers/gen.container
th_exec systemctl daemon-reload
assert_eq "not-found" "$(th_exec systemctl show -p LoadState --value web.service)" "handle gone with the file"
expect 0 "web" rm web gen ready
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "no containers left"
echo "PASS: test-generator"
