#!/bin/bash
# `berth run -i` and `-t` in the foreground: stdin, stdout and stderr handed to the container's PID 1
# (binary-safe, end of input passes on, exit status), a pty of the container's own devpts with -t, and a
# real terminal session under tmux: prompt, the window size and its changes, ctrl-c going to the container,
# exit status, the terminal restored, ctrl-p ctrl-q leaving the container running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
command -v tmux >/dev/null || th_skip_or_fail "tmux is not installed"
command -v script >/dev/null || th_skip_or_fail "script (bsdutils) is not installed"
th_berth_host --net private
th_exec berth import --change 'CMD ["sh"]' /root/demo.tar.gz berth-demo >/dev/null

wait_for() { # wait_for SECONDS CMD...
        local n=$(($1 * 10))
        shift
        while ! "$@" >/dev/null 2>&1; do
                n=$((n - 1))
                ((n > 0)) || return 1
                sleep 0.1
        done
}

# --- -i: pipes ------------------------------------------------------------------------------------------------
assert_eq "hello" "$(printf 'hello\n' | "$TH" "$TH_DIR" exec -- berth run -i --rm berth-demo cat)" "stdin to stdout"
th_exec sh -c 'head -c 3000000 /dev/urandom >/root/blob'
want=$(th_exec sh -c 'sha256sum </root/blob')
got=$(th_exec sh -c 'berth run -i --rm berth-demo cat </root/blob | sha256sum')
assert_eq "$want" "$got" "3 MB of binary data through the container"
assert_eq "3000000" "$(th_exec sh -c 'berth run -i --rm berth-demo wc -c </root/blob' | tr -d ' ')" "end of input"
set +e
out=$(echo 7 | "$TH" "$TH_DIR" exec -- berth run -i --rm berth-demo sh -c 'read x; echo "err $x" >&2; exit $x' 2>&1 >/dev/null)
rc=$?
set -e
assert_eq "7:err 7" "$rc:$out" "exit status and stderr of a -i container"
assert_eq "" "$(echo hi | "$TH" "$TH_DIR" exec -- berth run --rm berth-demo cat)" "without -i, stdin is not connected"
echo "PASS: run -i: pipes, binary-safe, end of input, stderr, exit status"

# --- -t without a terminal of our own ------------------------------------------------------------------------
out=$(th_exec berth run -t --rm berth-demo sh -c 'tty; stty size' </dev/null)
[[ $out =~ /dev/pts/0 ]] || { echo "FAIL: -t: no pty of the container's devpts: $out"; exit 1; }
expect 1 "the input device is not a TTY" run -it --rm berth-demo true
expect 125 "-i/--interactive without -t works with 'berth run' in the foreground only" run -d -i berth-demo sh
expect 125 "-i/--interactive without -t works with 'berth run' in the foreground only" create -i berth-demo sh
out=$(th_exec script -qec 'stty cols 101 rows 33; berth run -it --rm berth-demo sh -c "stty size; tty; exit 4"; echo rc=$?' /dev/null </dev/null)
assert_contains "$out" "33 101" "window size copied"
assert_contains "$out" "rc=4" "exit status through -it"
echo "PASS: run -t: the container's own pty, window size, exit status"

# --- a real terminal: tmux ----------------------------------------------------------------------------------
tmux_() { th_exec tmux -S /run/berth-test.tmux "$@"; }
screen() { tmux_ capture-pane -p -t t; }
shows() { [[ $(screen) == *"$1"* ]]; }
TH_CLEANUP=('"$TH" "$TH_DIR" exec tmux -S /run/berth-test.tmux kill-server 2>/dev/null || true' "${TH_CLEANUP[@]}")
tmux_ new-session -d -s t -x 90 -y 25 \
        "sh -c 'berth run -it --rm --name tty1 -e PS1=berth-run-prompt\# berth-demo sh; echo rc=\$?; stty -a | grep -o -- \"-\\?icanon\" | sed s/^/mode:/; sleep 600'"
wait_for 10 shows 'berth-run-prompt#' || { echo "FAIL: no prompt in tmux: $(screen)"; exit 1; }
tmux_ send-keys -t t 'stty size' Enter
wait_for 10 shows '25 90' || { echo "FAIL: tmux size not seen: $(screen)"; exit 1; }
tmux_ resize-window -t t -x 120 -y 40
tmux_ send-keys -t t 'clear; stty size' Enter
wait_for 10 shows '40 120' || { echo "FAIL: resize not followed: $(screen)"; exit 1; }
tmux_ send-keys -t t 'sleep 300' Enter
sleep 0.5
tmux_ send-keys -t t C-c
tmux_ send-keys -t t 'echo after-sleep-$?' Enter
wait_for 10 shows 'after-sleep-130' || { echo "FAIL: ctrl-c did not reach the container: $(screen)"; exit 1; }
assert_eq active "$(th_exec systemctl is-active berth@tty1.service || true)" "ctrl-c interrupts the command, not the container"
tmux_ send-keys -t t 'exit 5' Enter
wait_for 10 shows 'rc=5' || { echo "FAIL: exit 5 not returned: $(screen)"; exit 1; }
wait_for 10 shows 'mode:icanon' || { echo "FAIL: terminal not restored: $(screen)"; exit 1; }
wait_for 10 eval '! th_exec test -e /var/lib/berth/containers/tty1' || { echo "FAIL: --rm left tty1"; exit 1; }
tmux_ kill-session -t t
echo "PASS: tmux: prompt, window size and resize, ctrl-c to the container, exit 5, terminal restored, --rm"

tmux_ new-session -d -s t -x 90 -y 25 "sh -c 'berth run -it --name tty2 berth-demo sh -c \"echo started; exec sleep 555\"; echo rc=\$?; sleep 600'"
wait_for 10 shows 'started' || { echo "FAIL: detach session did not start: $(screen)"; exit 1; }
tmux_ send-keys -t t C-p C-q
wait_for 10 shows 'rc=0' || { echo "FAIL: ctrl-p ctrl-q did not detach: $(screen)"; exit 1; }
assert_contains "$(screen)" "read escape sequence" "detach note"
assert_eq active "$(th_exec systemctl is-active berth@tty2.service || true)" "the container keeps running"
tmux_ kill-server
th_exec berth rm -f tty2 >/dev/null
assert_eq "" "$(th_exec sh -c 'ls /run/berth/stdio 2>/dev/null || true')" "no handover sockets left"
echo "PASS: ctrl-p ctrl-q detaches (0), the container keeps running"

# --- run -itd and attach ----------------------------------------------------------------------------------
b run -itd --name bg -e PS1=bg-prompt\# berth-demo sh
assert_eq 0 "$rc" "run -itd: $out"
[[ $out =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: run -itd printed '$out'"; exit 1; }
wait_for 10 th_exec pgrep -x berth-tty || { echo "FAIL: no terminal holder for bg"; exit 1; }
in_unit=$(th_exec sh -c 'grep -c "berth@bg.service" /proc/$(pgrep -x berth-tty)/cgroup')
((in_unit > 0)) || { echo "FAIL: the holder is not in the unit"; exit 1; }
# output while nobody is attached goes to the journal
th_exec berth exec bg sh -c 'echo written-while-detached >/proc/1/fd/1'
wait_for 10 eval '[[ $(th_exec berth logs bg) == *written-while-detached* ]]' ||
        { echo "FAIL: detached output not in the logs: $(th_exec berth logs bg)"; exit 1; }
tmux_ new-session -d -s a -x 90 -y 25 "sh -c 'berth attach bg; echo rc=\$?; sleep 600'"
screen_a() { tmux_ capture-pane -p -t a; }
shows_a() { [[ $(screen_a) == *"$1"* ]]; }
sleep 0.5
tmux_ send-keys -t a 'echo attached-$((6*7))' Enter
wait_for 10 shows_a 'attached-42' || { echo "FAIL: attach: no echo: $(screen_a)"; exit 1; }
tmux_ send-keys -t a C-p C-q
wait_for 10 shows_a 'rc=0' || { echo "FAIL: attach: ctrl-p ctrl-q did not detach: $(screen_a)"; exit 1; }
assert_eq active "$(th_exec systemctl is-active berth@bg.service || true)" "bg keeps running after detach"
tmux_ kill-session -t a
tmux_ new-session -d -s a -x 90 -y 25 "sh -c 'berth attach bg; echo rc=\$?; sleep 600'"
sleep 0.5
tmux_ send-keys -t a 'exit 3' Enter
wait_for 10 shows_a 'rc=3' || { echo "FAIL: attach: exit 3 not returned: $(screen_a)"; exit 1; }
tmux_ kill-server
wait_for 10 eval '! th_exec pgrep -x berth-tty' || { echo "FAIL: the holder outlived the container"; exit 1; }
expect 1 "You cannot attach to a stopped container" attach bg
th_exec berth run -d --name notty berth-demo sleep 600 >/dev/null
expect 1 "attach works for containers started with -t" attach notty
expect 1 "No such container: nosuch" attach nosuch
th_exec berth rm -f bg notty >/dev/null
assert_eq "" "$(th_exec berth ps -aq)" "nothing left"
echo "PASS: run -itd, output to the journal while detached, attach (typing, ctrl-p ctrl-q, exit 3), errors"
echo "PASS: test-run-it"
