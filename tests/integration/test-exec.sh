#!/bin/bash
# `berth exec` against a real systemd: Docker's exit codes (0, 3, 126, 127, 128+signal), -u by name and
# uid, -w, -e and the container's own user/workdir/env, binary-safe stdin, the exec'd process inside the
# container's PID and network namespaces and in its unit's cgroup (so `systemctl stop` ends it), the
# setns() fallback, -d, errors for stopped containers and missing terminals, and terminal sessions under
# script(1) and tmux (prompt, window size and resizes, exit status, terminal restored, ctrl-p ctrl-q).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
command -v tmux >/dev/null || th_skip_or_fail "tmux is not installed"
th_berth_host --net private
work=$TH_WORK
th_exec berth import --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' --change 'WORKDIR /www' \
         --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo >/dev/null

wait_for() { # wait_for SECONDS CMD...
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}
in_unit() { th_exec sh -c "grep -qs 'berth@$1.service' /proc/$2/cgroup"; }
gone() { ! th_exec test -e "/proc/$1"; }

# httpd is PID 1 (network none); cfg has its own user, working directory and environment
th_exec berth run -d --name web --stop-timeout 2 berth-demo >/dev/null
th_exec berth run -d --name cfg --init -u www-data -w /tmp -e CFG=yes -e FOO=config berth-demo sleep 1000 >/dev/null
web_id=$(th_exec berth inspect --format '{{.Id}}' web)

# --- exit codes ------------------------------------------------------------------------------------------
expect 0 "hello" exec web echo hello
expect 3 "" exec web sh -c 'exit 3'
expect 126 "exec '/etc/passwd'" exec web /etc/passwd
expect 126 "exec '/www'" exec web /www
expect 127 "exec 'nosuch': executable file not found in \$PATH" exec web nosuch
expect 127 "exec '/no/such'" exec web /no/such
expect 143 "" exec web sh -c 'kill -TERM $$'
expect 137 "" exec web sh -c 'kill -KILL $$'
echo "PASS: exit codes 0, 3, 126, 127, 143, 137"

# --- user, working directory, environment ----------------------------------------------------------------
expect 0 "0 root /root" exec web sh -c 'echo $(id -u) $(id -un) $HOME'
expect 0 "65534 /nonexistent" exec -u nobody web sh -c 'echo $(id -u) $HOME'
expect 0 "33 www-data" exec --user 33 web sh -c 'echo $(id -u) $(id -un)'
expect 0 "33:65534" exec -u www-data:nogroup web sh -c 'echo $(id -u):$(id -g)'
expect 126 "unable to find user nosuch: no matching entries in passwd file" exec -u nosuch web true
expect 0 "/www" exec web pwd
expect 0 "/tmp" exec -w /tmp web pwd
expect 126 "/nonexistent" exec -w /nonexistent web pwd
expect 125 "needs to be an absolute path" exec -w tmp web pwd
expect 0 "bar" exec -e FOO=bar web sh -c 'echo $FOO'
expect 0 "www-data /tmp yes config /www" exec cfg sh -c 'echo $(id -un) $(pwd) $CFG $FOO $HOME'
expect 0 "root / yes override" exec -u root -w / -e FOO=override cfg sh -c 'echo $(id -un) $(pwd) $CFG $FOO'
th_exec sh -c "printf 'FOO=fromfile\nBAR=file\n' >/root/envfile"
expect 0 "fromfile file" exec --env-file /root/envfile web sh -c 'echo $FOO $BAR'
expect 0 "cli file" exec -e FOO=cli --env-file /root/envfile web sh -c 'echo $FOO $BAR'
echo "PASS: -u name/uid/user:group, -w, -e, --env-file, the container's user/workdir/env as defaults"

# --- stdin, binary-safe ----------------------------------------------------------------------------------
head -c 10M /dev/urandom >"$work/blob"
want=$(sha256sum <"$work/blob" | cut -d' ' -f1)
got=$("$TH" "$TH_DIR" exec berth exec -i web sha256sum <"$work/blob" | cut -d' ' -f1)
assert_eq "$want" "$got" "10 MB through stdin and sha256sum"
got=$("$TH" "$TH_DIR" exec berth exec -i web cat <"$work/blob" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "10 MB through stdin and stdout"
assert_eq "" "$(echo data | "$TH" "$TH_DIR" exec berth exec web cat)" "without -i stdin is empty"
assert_eq "err" "$(th_exec berth exec web sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)" "stderr stays apart"
echo "PASS: 10 MB binary stdin (sha256 $want), stdout/stderr separate, no stdin without -i"

# --- namespaces and cgroup ---------------------------------------------------------------------------------
out=$(th_exec berth exec web ps -o pid,comm)
[[ $out =~ (^|$'\n')\ *1\ +httpd ]] || { echo "FAIL: ps in exec does not show httpd as PID 1: $out"; exit 1; }
[[ $(th_exec berth exec web sh -c 'echo $$') -lt 100 ]] || { echo "FAIL: exec'd shell has a host PID"; exit 1; }
assert_eq "${web_id:0:12}" "$(th_exec berth exec web hostname)" "UTS namespace"
assert_eq "lo" "$(th_exec berth exec web sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")" \
        "network namespace (none: only lo)"
assert_eq "yes" "$(th_exec berth exec web sh -c 'test -e /www/index.html && test ! -e /root/demo.tar.gz && echo yes')" \
        "mount namespace and root"
assert_eq "0::/" "$(th_exec berth exec web sh -c 'grep ^0:: /proc/self/cgroup')" "cgroup namespace"
fallback=$(th_exec env BERTH_FORCE_EINVAL_SETNS_PIDFD=1 BERTH_LOG_LEVEL=debug berth exec web sh -c \
        'echo $$; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' 2>&1)
assert_contains "$fallback" "one namespace at a time" "the fallback ran"
[[ $fallback =~ (^|$'\n')[0-9]{1,2}$'\n'lo($'\n'|$) ]] || { echo "FAIL: fallback: $fallback"; exit 1; }
echo "PASS: PID, UTS, net, mount, cgroup namespaces (setns(pidfd) and the one-by-one fallback)"

"$TH" "$TH_DIR" exec berth exec web sleep 100 &
fg=$!
th_exec berth exec -d web sleep 101
wait_for 10 th_exec pgrep -x -f 'sleep 100' || { echo "FAIL: exec sleep 100 not running"; exit 1; }
wait_for 10 th_exec pgrep -x -f 'sleep 101' || { echo "FAIL: exec -d sleep 101 not running"; exit 1; }
p100=$(th_exec pgrep -x -f 'sleep 100')
p101=$(th_exec pgrep -x -f 'sleep 101')
in_unit web "$p100" || { echo "FAIL: exec'd process not in berth@web.service: $(th_exec cat /proc/"$p100"/cgroup)"; exit 1; }
in_unit web "$p101" || { echo "FAIL: exec -d process not in berth@web.service"; exit 1; }
assert_contains "$(th_exec systemctl status --no-pager berth@web.service)" "sleep 100" "systemctl status shows the exec"
th_exec systemctl stop berth@web.service
wait_for 10 gone "$p100" || { echo "FAIL: systemctl stop left exec'd sleep 100"; exit 1; }
wait_for 10 gone "$p101" || { echo "FAIL: systemctl stop left exec -d sleep 101"; exit 1; }
set +e
wait "$fg"
fg_rc=$?
set -e
[[ $fg_rc == 143 || $fg_rc == 137 ]] || { echo "FAIL: exec ended by systemctl stop returned $fg_rc"; exit 1; }
echo "PASS: exec'd processes are in the unit's cgroup; systemctl stop ends them ($fg_rc)"

expect 1 "container web is not running" exec web true
expect 1 "No such container: ghost" exec ghost true
expect 125 "requires at least 2 arguments" exec web
expect 1 "the input device is not a TTY" exec -it cfg sh
th_exec berth start web >/dev/null
echo "PASS: stopped container (1), unknown container (1), usage (125), -it without a terminal (1)"

# --- terminals ---------------------------------------------------------------------------------------------
set +e
out=$(th_exec script -qec 'stty rows 33 cols 101; berth exec -it web sh -c "stty size; tty; exit 5"' /dev/null)
rc=$?
set -e
assert_eq 5 "$rc" "exit status through -it (output: $out)"
assert_contains "$out" "33 101" "window size copied"
[[ $out =~ /dev/pts/[0-9]+ ]] || { echo "FAIL: no pty inside: $out"; exit 1; }
out=$(th_exec script -qec 'berth exec -t web tty' /dev/null </dev/null)
[[ $out =~ /dev/pts/[0-9]+ ]] || { echo "FAIL: -t without -i: $out"; exit 1; }
assert_eq "" "$(th_exec berth exec web sh -c 'ls /dev/pts | grep -v ptmx')" "pty gone afterwards"
echo "PASS: -it under script(1): a pty of the container's devpts, window size, exit 5"

tmux_() { th_exec tmux -S /run/berth-test.tmux "$@"; }
screen() { tmux_ capture-pane -p -t t; }
shows() { [[ $(screen) == *"$1"* ]]; }
TH_CLEANUP=('"$TH" "$TH_DIR" exec tmux -S /run/berth-test.tmux kill-server 2>/dev/null || true' "${TH_CLEANUP[@]}")
tmux_ new-session -d -s t -x 90 -y 25 \
        "sh -c 'berth exec -it -e PS1=berth-exec-prompt\# web sh; echo rc=\$?; stty -a | grep -o -- \"-\\?icanon\" | sed s/^/mode:/; sleep 600'"
wait_for 10 shows 'berth-exec-prompt#' || { echo "FAIL: no prompt in tmux: $(screen)"; exit 1; }
tmux_ send-keys -t t 'stty size' Enter
wait_for 10 shows '25 90' || { echo "FAIL: tmux size not seen: $(screen)"; exit 1; }
tmux_ resize-window -t t -x 120 -y 40
tmux_ send-keys -t t 'clear; stty size' Enter
wait_for 10 shows '40 120' || { echo "FAIL: resize not followed: $(screen)"; exit 1; }
tmux_ send-keys -t t 'exit 5' Enter
wait_for 10 shows 'rc=5' || { echo "FAIL: exit 5 not returned: $(screen)"; exit 1; }
wait_for 10 shows 'mode:icanon' || { echo "FAIL: terminal not restored: $(screen)"; exit 1; }
tmux_ kill-session -t t
echo "PASS: tmux session: prompt, stty size follows resizes, exit 5, terminal restored"

tmux_ new-session -d -s t -x 90 -y 25 "sh -c 'berth exec -it web sh -c \"echo started; exec sleep 555\"; echo rc=\$?; sleep 600'"
wait_for 10 shows 'started' || { echo "FAIL: detach session did not start: $(screen)"; exit 1; }
tmux_ send-keys -t t C-p C-q
wait_for 10 shows 'rc=0' || { echo "FAIL: ctrl-p ctrl-q did not detach: $(screen)"; exit 1; }
assert_contains "$(screen)" "read escape sequence" "detach note"
th_exec pgrep -x -f 'sleep 555' >/dev/null || { echo "FAIL: detached command ended"; exit 1; }
tmux_ kill-server
echo "PASS: ctrl-p ctrl-q detaches (0), the command keeps running"

th_exec berth rm -f web cfg >/dev/null
assert_eq "" "$(th_exec berth ps -aq)" "nothing left"
assert_eq "" "$(th_exec systemctl list-units --all --plain --no-legend 'berth@*')" "no units left"

# --- a pure cgroup2 host, and a container sharing the host's network namespace -------------------------------
TH_CLEANUP+=("rm -rf $(printf %q "$TH_WORK")") # lib.sh removes only the last host's work directory
th_berth_host --net private --cgroup unified
th_exec berth import --change 'CMD ["sleep", "1000"]' /root/demo.tar.gz berth-demo >/dev/null
th_exec berth run -d --name hostnet --network host berth-demo >/dev/null
"$TH" "$TH_DIR" exec berth exec hostnet sleep 102 &
fg=$!
wait_for 10 th_exec pgrep -x -f 'sleep 102' || { echo "FAIL: exec sleep 102 not running (unified)"; exit 1; }
p102=$(th_exec pgrep -x -f 'sleep 102')
in_unit hostnet "$p102" || { echo "FAIL: not in the unit (unified): $(th_exec cat /proc/"$p102"/cgroup)"; exit 1; }
assert_contains "$(th_exec berth exec hostnet cat /proc/net/dev)" "host0" "--network host: the host's interfaces"
assert_eq "1" "$(th_exec berth exec hostnet sh -c 'ps -o pid,comm | grep -c "^ *1 sleep"')" "PID namespace"
th_exec systemctl stop berth@hostnet.service
wait_for 10 gone "$p102" || { echo "FAIL: systemctl stop left exec'd sleep 102 (unified)"; exit 1; }
set +e
wait "$fg"
set -e
th_exec berth rm -f hostnet >/dev/null
echo "PASS: unified cgroup host, --network host container"
echo "PASS: test-exec"
