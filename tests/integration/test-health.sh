#!/bin/bash
# Health checks: --health-cmd and friends and the image's HEALTHCHECK, run in the container by the timer
# berth-health@NAME.timer; health in ps (status, filter) and inspect (State.Health, Config.Healthcheck);
# --health-on-failure restart/kill/stop; timeouts; bad flags; the units go with the container.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
th_berth_host --net private
th_exec berth import --change 'CMD ["sh"]' /root/demo.tar.gz berth-demo >/dev/null
th_exec berth import --change 'CMD ["sh"]' --change 'HEALTHCHECK --interval=1s --retries=2 CMD test -f /tmp/ok' \
        /root/demo.tar.gz checked >/dev/null

wait_for() { # wait_for SECONDS CMD...
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}
health_is() { [[ $(th_exec berth inspect -f '{{.State.Health.Status}}' "$1") == "$2" ]]; }
started() { th_exec berth inspect -f '{{.State.StartedAt}}' "$1"; }

# --- a passing check ------------------------------------------------------------------------------------------
th_exec berth run -d --name good --health-cmd 'test -d /www' --health-interval 1s berth-demo sleep 1000 >/dev/null
assert_eq "active" "$(th_exec systemctl is-active berth-health@good.timer)" "the timer runs with the container"
wait_for 15 health_is good healthy || assert_eq healthy "$(th_exec berth inspect -f '{{.State.Health.Status}}' good)" "good becomes healthy"
assert_contains "$(th_exec berth ps --filter name=good --format '{{.Status}}')" "(healthy)" "ps shows the health"
assert_eq "good" "$(th_exec berth ps --filter health=healthy --format '{{.Names}}')" "ps --filter health=healthy"
out=$(th_exec berth inspect good)
assert_contains "$out" '"FailingStreak": 0' "inspect: State.Health"
assert_contains "$out" '"CMD-SHELL"' "inspect: Config.Healthcheck.Test"
assert_contains "$out" '"Interval": 1000000000' "inspect: Config.Healthcheck.Interval in ns"
expect 0 "" healthcheck run good
echo "PASS: a passing check: healthy in ps and inspect, healthcheck run exits 0"

# --- starting, and a check by hand -------------------------------------------------------------------------
th_exec berth run -d --name slow --health-cmd 'exit 3' --health-interval 1h berth-demo sleep 1000 >/dev/null
assert_contains "$(th_exec berth ps --filter name=slow --format '{{.Status}}')" "(health: starting)" "before the first check"
expect 1 "starting" healthcheck run slow # retries 3: one failure is not unhealthy yet
assert_eq 1 "$(th_exec berth inspect -f '{{.State.Health.FailingStreak}}' slow)" "the failure counts"
b healthcheck run slow
b healthcheck run slow
assert_eq "1:unhealthy" "$rc:$out" "three failures in a row make it unhealthy"
assert_contains "$(th_exec berth inspect slow)" '"ExitCode": 3' "the check's exit code is logged"
echo "PASS: starting before the first check; the failing streak; unhealthy after --health-retries"

# --- the image's HEALTHCHECK; output; recovery ------------------------------------------------------------------
th_exec berth run -d --name img checked sleep 1000 >/dev/null
assert_contains "$(th_exec berth inspect img)" '"Retries": 2' "the image's HEALTHCHECK is the container's"
wait_for 15 health_is img unhealthy || assert_eq unhealthy "$(th_exec berth inspect -f '{{.State.Health.Status}}' img)" "img becomes unhealthy"
th_exec berth exec img touch /tmp/ok
wait_for 15 health_is img healthy || assert_eq healthy "$(th_exec berth inspect -f '{{.State.Health.Status}}' img)" "img recovers"
th_exec berth run -d --name noimg --no-healthcheck checked sleep 1000 >/dev/null
assert_contains "$(th_exec berth ps --filter name=noimg --format '{{.Status}}')" "Up" "--no-healthcheck"
assert_eq "" "$(th_exec berth ps --filter name=noimg --format '{{.Status}}' | grep health || true)" "--no-healthcheck: no health"
assert_fail th_exec systemctl cat berth-health@noimg.timer
expect 125 "has no health check" healthcheck run noimg
th_exec berth run -d --name echo --health-cmd 'echo checked-output; exit 1' --health-interval 1h berth-demo sleep 1000 >/dev/null
b healthcheck run echo
assert_contains "$(th_exec berth inspect echo)" '"Output": "checked-output\n"' "the check's output is logged"
echo "PASS: the image's HEALTHCHECK, recovery, --no-healthcheck, output"

# --- a failing check restarts the container (--health-on-failure restart) -------------------------------------
th_exec berth run -d --name bad --health-cmd 'test -f /tmp/ok' --health-interval 1s --health-retries 2 \
        --health-on-failure restart berth-demo sleep 1000 >/dev/null
first=$(started bad)
restarted() { [[ $(started bad) != "$first" ]] && [[ $(th_exec berth inspect -f '{{.State.Status}}' bad) == running ]]; }
wait_for 30 restarted || { th_exec journalctl -u berth-health@bad.service --no-pager | tail -20; assert_eq restarted "$first" "bad is restarted"; }
assert_contains "$(th_exec journalctl -u berth-health@bad.service --no-pager)" "Container bad is unhealthy" "the journal says why"
assert_eq "starting" "$(th_exec berth inspect -f '{{.State.Health.Status}}' bad)" "health starts over after the restart"
echo "PASS: a failing health check restarts the container"

# --- kill and stop; a timeout ---------------------------------------------------------------------------------
th_exec berth run -d --name killme --health-cmd 'false' --health-interval 1s --health-retries 1 \
        --health-on-failure kill berth-demo sleep 1000 >/dev/null
exited() { [[ $(th_exec berth inspect -f '{{.State.Status}}' "$1") == exited ]]; }
wait_for 20 exited killme || assert_eq exited "$(th_exec berth inspect -f '{{.State.Status}}' killme)" "killme is killed"
assert_eq 137 "$(th_exec berth inspect -f '{{.State.ExitCode}}' killme)" "killed: 137"
assert_eq "inactive" "$(th_exec systemctl is-active berth-health@killme.timer || true)" "the timer stops with the container"
th_exec berth run -d --name stopme --stop-timeout 1 --health-cmd 'sleep 30' --health-timeout 300ms --health-interval 1s \
        --health-retries 1 --health-on-failure stop berth-demo sleep 1000 >/dev/null
wait_for 20 exited stopme || assert_eq exited "$(th_exec berth inspect -f '{{.State.Status}}' stopme)" "stopme is stopped"
assert_contains "$(th_exec berth inspect stopme)" "Health check exceeded timeout" "a check that hangs times out"
echo "PASS: --health-on-failure kill and stop; --health-timeout"

# --- bad flags, declared units, removal ------------------------------------------------------------------------
expect 125 "invalid --health-interval 'soon'" run --health-cmd true --health-interval soon berth-demo true
expect 125 "invalid --health-on-failure 'explode'" run --health-cmd true --health-on-failure explode berth-demo true
expect 125 "--no-healthcheck conflicts with --health-* options" run --no-healthcheck --health-cmd true berth-demo true
expect 125 "--health-on-failure restart and --rm" run -d --rm --health-cmd true --health-on-failure restart berth-demo true
expect 125 "invalid --health-retries '-2'" create --health-cmd true --health-retries -2 berth-demo
expect 125 "invalid --health-cmd" run --health-cmd '["CMD-SHELL"]' berth-demo true
expect 125 "HEALTHCHECK takes [OPTIONS] CMD COMMAND, or NONE" import --change 'HEALTHCHECK sometimes' /root/demo.tar.gz x
assert_contains "$(th_exec berth generate good)" "HealthCmd=test -d /www" "berth generate keeps the check"
assert_contains "$(th_exec berth generate good)" "HealthInterval=1s" "berth generate keeps the interval"
for n in good slow img noimg echo bad killme stopme; do th_exec berth rm -f "$n" >/dev/null; done
assert_eq "" "$(th_exec sh -c 'ls /etc/systemd/system | grep berth-health || true')" "rm removes the health units"
assert_eq "" "$(th_exec systemctl list-units --all --no-legend 'berth-health@*' | grep -v inactive || true)" "no health units left active"
echo "PASS: bad flags; generate; rm removes the units"
echo "PASS: test-health"
