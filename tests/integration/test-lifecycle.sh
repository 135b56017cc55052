#!/bin/bash
# Container lifecycle against a real systemd: create/run/start/stop/restart/kill/rm/wait/rename, Docker's
# exit codes, restart policies (systemd's Restart=), --rm in both modes, boot-time start of enabled
# containers across a reboot of the test host, and 20 parallel run/rm -f leaving a consistent store.
# The EXIT trap destroys the host and fails the test if anything leaked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

build=${BERTH_BUILD_ROOT:?set by meson test}
src=${BERTH_SOURCE_ROOT:-$here/../..}

th_require
command -v busybox >/dev/null || [ -x /bin/busybox ] || th_skip_or_fail "busybox-static is not installed"

work=$(mktemp -d /tmp/berth-lc.XXXXXX)
stage=$work/stage
# the store must be a real directory: overlay upper dirs can't live on the test host's root overlay
store=$work/store
mkdir -p "$store"
TH_CLEANUP+=('rm -rf "$work"')
trap _th_cleanup EXIT

meson install -C "$build" --no-rebuild --destdir "$stage" >/dev/null
mkdir -p "$stage/root"
"$src/tools/demo-image.sh" "$stage/root/demo.tar.gz"
have_runtime=0
[ -n "$(find "$stage" -path '*/libexec/berth/berth-runtime' -type f)" ] && have_runtime=1

th_new --net private --bind "$store:/var/lib/berth:rw"
"$TH" "$TH_DIR" copy-in "$stage" /
th_exec systemctl daemon-reload
th_exec berth import \
        --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
        --change 'WORKDIR /www' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo:latest >/dev/null
echo "PASS: host up, berth installed, demo image imported"

unit_prop() { th_exec systemctl show -p "$2" --value "berth@$1.service"; }
dropin() { echo "/etc/systemd/system/berth@$1.service.d/10-berth.conf"; }
exists() { th_exec test -e "$1"; }
not_active() { ! th_exec systemctl is-active -q "berth@$1.service"; }
gone() { ! th_exec test -e "/var/lib/berth/containers/$1"; }
restarted() { [ "$(unit_prop "$1" NRestarts)" -ge "$2" ] && th_exec systemctl is-active -q "berth@$1.service"; }
# wait_for SECONDS CMD...: retries CMD (a command or function) every 0.1 s
wait_for() {
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}

# --- errors before anything is created ---------------------------------------------------------------------
# --pull=never: a missing image is an error without a registry round trip (no traffic leaves the host)
expect 125 "No such image: nosuch:latest (and --pull=never)" run --pull=never nosuch
expect 125 "invalid --pull 'sometimes'" run --pull=sometimes berth-demo
expect 125 "bind source path does not exist: /nonexistent" run -v /nonexistent:/x berth-demo true
expect 125 "invalid --publish '80:x'" run -p 80:x berth-demo
expect 125 "named volumes are not supported yet" create -v data:/data berth-demo
expect 125 "conflicting options" run --rm --restart always berth-demo
expect 125 "No command specified" create --entrypoint "" berth-demo
expect 1 "No such container: ghost" start ghost
expect 0 "" rm -f ghost
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "nothing created by failed commands"
echo "PASS: argument and lookup errors (125/1), nothing created"

# --- create, names, conflicts, rename, rm (no runtime needed) ----------------------------------------------
b create --name web -e A=1 --label x=y --restart always berth-demo
assert_eq 0 "$rc" "create: $out"
[[ $out =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: create printed '$out'"; exit 1; }
id=$out
exists /var/lib/berth/containers/web/config.json
exists "$(dropin web)"
exists /etc/systemd/system/multi-user.target.wants/berth@web.service
assert_contains "$(th_exec cat "$(dropin web)")" "Restart=always" "restart policy in the drop-in"
assert_eq "loaded" "$(unit_prop web LoadState)" "unit loads without daemon-reload"
assert_eq "no" "$(unit_prop web NeedDaemonReload)" "unit sees its drop-in"
assert_eq "${id:0:12}" "$(th_exec sh -c "grep -o '\"Hostname\": *\"[0-9a-f]*\"' /var/lib/berth/containers/web/config.json | grep -o '[0-9a-f]\{12\}'")" \
        "default hostname is the short ID"

expect 125 "Conflict. The container name \"/web\" is already in use by container \"$id\"" create --name web berth-demo
expect 0 "" create berth-demo true
gen=$(th_exec ls /var/lib/berth/containers | grep -v '^web$')
[[ $gen =~ ^[a-z]+_[a-z]+[0-9]?$ ]] || { echo "FAIL: generated name '$gen'"; exit 1; }
echo "PASS: create, drop-in, enable link, conflict (125), generated name $gen"

expect 0 "" rename web web2
assert_fail exists /var/lib/berth/containers/web
exists /var/lib/berth/containers/web2/config.json
assert_fail exists "$(dropin web)"
exists "$(dropin web2)"
assert_contains "$(th_exec cat "$(dropin web2)")" "CONTAINER_NAME=web2" "new drop-in names the new name"
assert_fail exists /etc/systemd/system/multi-user.target.wants/berth@web.service
exists /etc/systemd/system/multi-user.target.wants/berth@web2.service
expect 1 "Conflict" rename web2 "$gen"
expect 0 "" rename "${id:0:10}" web
echo "PASS: rename (dir, drop-in, enable link, ID prefix, conflict)"

expect 0 "web" rm web "$gen"
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "rm removed the containers"
assert_fail exists "$(dropin web)"
assert_fail exists /etc/systemd/system/multi-user.target.wants/berth@web.service
# a new container of an old name gets its new settings without a daemon-reload
expect 0 "" create --name web --restart on-failure:3 berth-demo
assert_contains "$(th_exec cat "$(dropin web)")" "Restart=on-failure" "new drop-in"
assert_eq "no" "$(unit_prop web NeedDaemonReload)" "recreated unit is fresh"
assert_eq "on-failure" "$(unit_prop web Restart)" "systemd uses the new settings"
expect 0 "web" rm web
echo "PASS: rm; same name again is fresh without daemon-reload"

if [ "$have_runtime" != 1 ]; then
        if [[ ${BERTH_TESTS_MUST_RUN:-0} == 1 ]]; then
                echo "FAIL: berth-runtime is not built (BERTH_TESTS_MUST_RUN=1)"
                exit 1
        fi
        echo "SKIP: berth-runtime is not built yet; the run/start/stop parts were skipped"
        exit 0
fi

# --- run -d, systemctl agrees, stop/start/restart/kill ----------------------------------------------------
# httpd as PID 1 ignores SIGTERM (as under Docker), so stops end in SIGKILL after the stop timeout
b run -d --name web --stop-timeout 2 berth-demo
assert_eq 0 "$rc" "run -d: $out"
[[ $out =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: run -d printed '$out'"; exit 1; }
assert_eq active "$(th_exec systemctl is-active berth@web.service || true)" "systemctl sees it running"
pid=$(unit_prop web MainPID)
[ "$pid" -gt 0 ] || { echo "FAIL: no MainPID"; exit 1; }
assert_contains "$(th_exec cat /proc/"$pid"/cmdline | tr '\0' ' ')" "httpd -f" \
        "the unit's main process is the container's PID 1"
echo "PASS: run -d (systemctl status agrees, MainPID = container PID 1)"

expect 0 "web" stop web
assert_eq inactive "$(th_exec systemctl is-active berth@web.service || true)" "stopped"
expect 0 "web" start web
assert_eq active "$(th_exec systemctl is-active berth@web.service || true)" "started"
pid1=$(unit_prop web MainPID)
expect 0 "web" restart -t 1 web
pid2=$(unit_prop web MainPID)
[ "$pid2" -gt 0 ] && [ "$pid2" != "$pid1" ] || { echo "FAIL: restart kept PID $pid1 ($pid2)"; exit 1; }
expect 0 "web" kill web
wait_for 5 not_active web || true
assert_fail th_exec systemctl is-active -q berth@web.service
expect 1 "is not running" kill web
expect 1 "not running" kill -s TERM web
echo "PASS: stop, start, restart -t, kill; kill of a stopped container fails (1)"

expect 0 "web" start web
expect 1 "container is running" rm web
th_exec systemctl stop berth@web.service
# killed after the stop timeout: systemd calls that "failed", berth (like Docker) "Exited (137)"
assert_fail th_exec systemctl is-active -q berth@web.service
assert_contains "$(th_exec berth ps -a --format '{{.Names}} {{.Status}}')" "web Exited (137)" "systemctl stop stops it"
expect 0 "" wait web
expect 0 "web" start web
expect 0 "web" rm -f web
assert_fail exists /var/lib/berth/containers/web
assert_fail exists "$(dropin web)"
echo "PASS: systemctl stop; rm refuses a running container (1); rm -f"

# --- exit codes ------------------------------------------------------------------------------------------
expect 0 "hello" run --rm berth-demo echo hello
expect 1 "" run --rm berth-demo sh -c 'exit 1'
# a PID 1 cannot SIGKILL itself (the kernel protects a namespace's init from its own namespace), so the
# command runs under --init, whose status is 128+signal of the command, as Docker's --init (tini) reports
expect 137 "" run --rm --init berth-demo sh -c 'kill -9 $$'
expect 42 "" run --rm -e CODE=42 berth-demo sh -c 'exit $CODE'
expect 127 "failed to start container" run --name nx berth-demo nosuch
expect 126 "failed to start container" run --name nexec berth-demo /etc/passwd
expect 0 "nx" rm nx nexec
b run -d --name w3 berth-demo sh -c 'sleep 1; exit 3'
assert_eq 0 "$rc" "run -d: $out"
expect 0 "3" wait w3
b run -d --name w137 berth-demo sleep 100
th_exec berth kill w137 >/dev/null
expect 0 "137" wait w137
expect 0 "w3" rm w3 w137
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "--rm in the foreground leaves nothing"
echo "PASS: exit codes 0/1/137/42 (run), 127/126 (setup), wait prints 3 and 137"

b run -d --rm --name gone berth-demo sh -c 'sleep 0.5'
assert_eq 0 "$rc" "run -d --rm: $out"
wait_for 10 gone gone || true
assert_fail exists /var/lib/berth/containers/gone
assert_fail exists "$(dropin gone)"
echo "PASS: -d --rm removes the container after it exits"

# foreground --rm: the client reads the exit code from systemd and removes the container, so the unit has
# no ExecStopPost=; a client killed with SIGKILL leaves the container behind, and ps still tells its end
th_exec sh -c 'berth run --rm --name orphan berth-demo sh -c "sleep 4; exit 3" >/dev/null & p=$!
        for i in $(seq 150); do systemctl is-active -q berth@orphan.service && break; sleep 0.1; done
        kill -9 $p'
assert_eq "true" "$(th_exec berth inspect -f '{{.HostConfig.AutoRemove}}' orphan)" "AutoRemove of run --rm"
wait_for 15 not_active orphan || true
assert_contains "$(th_exec berth ps -a --filter name=orphan --format '{{.Status}}')" "Exited (3)" \
        "ps of a --rm container whose client was killed"
assert_contains "$(th_exec cat "$(dropin orphan)")" "ExecStopPost=" "foreground --rm has no poststop"
expect 0 "orphan" rm orphan
assert_fail exists /var/lib/berth/containers/orphan
echo "PASS: a foreground --rm container whose client was killed shows its exit code and can be removed"

# a run whose end nobody recorded (its poststop was killed at the stop timeout on a loaded host): a start
# keeps the previous run's FinishedAt, and ps, inspect and wait must not report that run's exit code
status_has() { [[ $(th_exec berth ps -a --filter "name=^$1\$" --format '{{.Status}}') == *"$2"* ]]; }
expect 0 "" run -d --name twice berth-demo sh -c 'test -e /ran && exit 7; touch /ran'
wait_for 15 status_has twice "Exited (0)" || true
assert_contains "$(th_exec berth ps -a --filter 'name=^twice$' --format '{{.Status}}')" "Exited (0)" "first run"
th_exec sh -c 'mkdir -p /run/systemd/system/berth@twice.service.d &&
        printf "[Service]\nExecStopPost=\n" >/run/systemd/system/berth@twice.service.d/zz-test.conf &&
        systemctl daemon-reload'
expect 0 "twice" start twice
wait_for 15 status_has twice "Exited (7)" || true
assert_contains "$(th_exec berth ps -a --filter 'name=^twice$' --format '{{.Status}}')" "Exited (7)" \
        "ps of a run whose end was not recorded"
assert_eq 7 "$(th_exec berth inspect -f '{{.State.ExitCode}}' twice)" "inspect of a run whose end was not recorded"
assert_eq 7 "$(th_exec berth wait twice)" "wait on a run whose end was not recorded"
th_exec sh -c 'rm -r /run/systemd/system/berth@twice.service.d && systemctl daemon-reload'
expect 0 "twice" rm twice
echo "PASS: an end that was not recorded comes from systemd, not from the previous run"

# generated names: rm empties the drop-in directory but keeps it, and the next generated name takes it, so
# the unit directory's mtime stays and systemd does not rebuild its unit-file map for the next container
th_exec berth run --rm berth-demo true
mtime=$(th_exec stat -c %y /etc/systemd/system)
dirs=$(th_exec sh -c 'ls -d /etc/systemd/system/berth@*.service.d')
th_exec berth run --rm berth-demo true
th_exec sh -c 'berth run -d berth-demo sleep 100 >/dev/null && berth rm -f $(berth ps -q) >/dev/null'
assert_eq "$mtime" "$(th_exec stat -c %y /etc/systemd/system)" "unit directory untouched by generated-name containers"
assert_eq "$dirs" "$(th_exec sh -c 'ls -d /etc/systemd/system/berth@*.service.d')" "the same empty drop-in directory reused"
assert_eq "" "$(th_exec sh -c 'find /etc/systemd/system -path "*/berth@*.service.d/*"')" "reused directories are empty"
echo "PASS: generated names reuse an empty drop-in directory (no unit-file map rebuild)"

# --- restart policy: systemd restarts a killed PID 1 -------------------------------------------------------
b run -d --restart always --name ra berth-demo
assert_eq 0 "$rc" "run -d --restart always: $out"
p1=$(unit_prop ra MainPID)
th_exec kill -KILL "$p1"
wait_for 10 restarted ra 1 ||
        { echo "FAIL: ra was not restarted"; exit 1; }
p2=$(unit_prop ra MainPID)
[ "$p2" != "$p1" ] || { echo "FAIL: same PID after restart"; exit 1; }
th_exec berth kill -s KILL ra >/dev/null
wait_for 10 restarted ra 2 ||
        { echo "FAIL: ra was not restarted after berth kill"; exit 1; }
echo "PASS: --restart always: killed PID 1 is restarted (NRestarts, new PID)"

# --- reboot: enabled containers come back --------------------------------------------------------------
"$TH" "$TH_DIR" restart
wait_for 15 th_exec systemctl is-active -q berth@ra.service || { echo "FAIL: ra not running after reboot"; exit 1; }
expect 0 "ra" rm -f ra
echo "PASS: --restart always container runs again after a reboot"

# --- 20 parallel run -d + rm -f -------------------------------------------------------------------------
th_exec sh -c 'for i in $(seq 1 20); do (berth run -d --name p$i berth-demo >/dev/null && berth rm -f p$i >/dev/null) & done; wait'
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "no container dirs left"
assert_eq "" "$(th_exec sh -c 'ls -d /etc/systemd/system/berth@p[0-9]* 2>/dev/null || true')" "no drop-in dirs of named containers left"
assert_eq "" "$(th_exec sh -c 'find /etc/systemd/system -path "*/berth@*.service.d/*" 2>/dev/null')" "no drop-ins left"
assert_eq "" "$(th_exec sh -c 'ls /var/lib/berth/tmp')" "no debris in tmp/"
assert_eq "" "$(th_exec systemctl list-units --no-legend 'berth@*')" "no berth units listed"
assert_eq "" "$(th_exec systemctl list-units --failed --no-legend)" "no failed units"
assert_eq "0" "$(th_exec sh -c "grep -c ' /var/lib/berth/' /proc/self/mountinfo || true")" "no mounts under the store"
echo "PASS: 20 parallel run -d + rm -f leave a consistent store"
echo "PASS: test-lifecycle"
