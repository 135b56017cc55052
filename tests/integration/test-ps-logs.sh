#!/bin/bash
# `berth ps`, `berth logs` and `berth inspect` against a real systemd: ps and systemctl agree (also after
# systemctl stop/start), output reaches the journal with Docker's journald fields and priorities, and
# logs' --tail/--since/--until/-t/-f behave as Docker's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
th_berth_host --net private
work=$TH_WORK
th_exec berth import /root/demo.tar.gz berth-demo >/dev/null

# --- ps agrees with systemd ---------------------------------------------------------------------------
# httpd as PID 1 ignores SIGTERM (as under Docker): stops end with SIGKILL after --stop-timeout
id=$(th_exec berth run -d --name web --network host --stop-timeout 1 berth-demo httpd -f -v -p 8080 -h /www)
[[ $id =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: run -d printed '$id'"; exit 1; }
for _ in $(seq 50); do th_exec curl -fsS -o /dev/null http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
out=$(th_exec berth ps)
assert_contains "$out" "CONTAINER ID   IMAGE" "ps header"
assert_contains "$out" "${id:0:12}" "ps shows the short ID"
assert_contains "$out" "Up " "ps says Up"
assert_contains "$out" "web" "ps shows the name"
assert_contains "$out" '"httpd -f -v -p 8080…"' "ps truncates the command to 20 characters like Docker"
assert_eq "${id:0:12}" "$(th_exec berth ps -q)" "ps -q"
assert_eq "web running" "$(th_exec berth ps --format '{{.Names}} {{.State}}')" "ps --format"
assert_contains "$(th_exec berth ps --format json)" '"State":"running"' "ps --format json"
assert_eq "" "$(th_exec berth ps -q --filter status=exited)" "status filter"
assert_eq "${id:0:12}" "$(th_exec berth ps -q --filter name=we)" "name filter"
assert_eq "${id:0:12}" "$(th_exec berth ps -q --filter 'name=^w.b$')" "name filter, a regular expression"
assert_eq "${id:0:12}" "$(th_exec berth ps -q --filter 'name=*eb')" "name filter, a glob"
assert_eq "" "$(th_exec berth ps -q --filter 'name=^we$')" "name filter, anchored"
mainpid=$(th_exec systemctl show -P MainPID berth@web.service)
assert_eq "running true /web $mainpid host" \
        "$(th_exec berth inspect --format '{{.State.Status}} {{.State.Running}} {{.Name}} {{.State.Pid}} {{.HostConfig.NetworkMode}}' web)" \
        "inspect agrees with systemd's MainPID"
assert_contains "$(th_exec berth inspect web)" "\"Id\": \"$id\"" "inspect JSON has the full ID"
assert_contains "$(th_exec berth container inspect --format '{{json .Config.Cmd}}' web)" '["httpd","-f","-v","-p","8080","-h","/www"]' "Config.Cmd"
echo "PASS: ps/inspect while running"

th_exec systemctl stop berth@web.service
assert_eq "" "$(th_exec berth ps -q)" "ps after systemctl stop lists nothing running"
out=$(th_exec berth ps -a --format '{{.Names}} {{.Status}}')
[[ $out =~ ^web\ Exited\ \(137\)\  ]] || { echo "FAIL: ps -a after systemctl stop: '$out'"; exit 1; }
assert_eq "exited false 0" "$(th_exec berth inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' web)" "inspect after stop"
th_exec systemctl start berth@web.service
assert_contains "$(th_exec berth ps --format '{{.Names}} {{.Status}}')" "web Up " "ps after systemctl start"
assert_eq "$(th_exec systemctl show -P MainPID berth@web.service)" "$(th_exec berth inspect --format '{{.State.Pid}}' web)" "pid after systemctl start"
echo "PASS: ps follows systemctl stop/start"

# --- logs: streams, journald fields, priorities ---------------------------------------------------------
# stdout and stderr are two journal streams, ordered only by arrival: space the lines out
tid=$(th_exec berth run -d --name talk berth-demo sh -c 'echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2')
th_exec berth wait talk >/dev/null
assert_eq $'out1\nout2' "$(th_exec berth logs talk 2>/dev/null)" "logs: stdout only on stdout"
assert_eq "err1" "$(th_exec berth logs talk 2>&1 >/dev/null)" "logs: stderr on stderr"
assert_eq "out2" "$(th_exec berth logs --tail 1 talk 2>&1)" "logs --tail 1"
assert_eq "" "$(th_exec berth logs --tail 0 talk 2>&1)" "logs --tail 0"
[[ $(th_exec berth logs -t talk 2>/dev/null | head -1) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ out1$ ]] ||
        { echo "FAIL: logs -t"; exit 1; }
assert_eq "" "$(th_exec berth logs --since 2099-01-01T00:00:00Z talk 2>&1)" "logs --since in the future"
assert_eq "" "$(th_exec berth logs --until 2000-01-01T00:00:00Z talk 2>&1)" "logs --until in the past"
assert_eq $'out1\nerr1\nout2' "$(th_exec berth logs --since 10m talk 2>&1)" "logs --since 10m"
fields=$(th_exec journalctl -o export CONTAINER_NAME=talk MESSAGE=err1)
assert_contains "$fields" "PRIORITY=3" "stderr at priority 3"
assert_contains "$fields" "CONTAINER_ID=${tid:0:12}" "CONTAINER_ID"
assert_contains "$fields" "CONTAINER_ID_FULL=$tid" "CONTAINER_ID_FULL"
assert_contains "$fields" "IMAGE_NAME=berth-demo" "IMAGE_NAME"
assert_contains "$fields" "SYSLOG_IDENTIFIER=${tid:0:12}" "SYSLOG_IDENTIFIER is the short ID, like Docker's journald driver"
assert_contains "$(th_exec journalctl -o export CONTAINER_NAME=talk MESSAGE=out1)" "PRIORITY=6" "stdout at priority 6"
assert_contains "$(th_exec journalctl -u berth@talk.service -o cat)" "out1" "journalctl -u shows the same output"
echo "PASS: logs and journal fields"

th_exec berth run -d --name ticker berth-demo sh -c 'for i in 1 2 3; do echo tick$i; sleep 0.3; done' >/dev/null
assert_eq $'tick1\ntick2\ntick3' "$(timeout 20 "$TH" "$TH_DIR" exec berth logs -f ticker)" "logs -f follows until the container exits"
echo "PASS: logs -f"

# foreground run follows the journal without inotify while the container is young: a rotation in that time
# (a new system.journal) must not lose the lines written after it, short run or long
out=$(th_exec sh -c '(sleep 0.05; journalctl --rotate) & berth run --rm berth-demo sh -c "sleep 0.1; echo before; echo after"; wait')
assert_eq $'before\nafter' "$out" "run output across a journal rotation (short run)"
out=$(th_exec sh -c '(sleep 1.5; journalctl --rotate) & berth run --rm berth-demo sh -c "echo one; sleep 2; echo two"; wait')
assert_eq $'one\ntwo' "$out" "run output across a journal rotation (watched)"
echo "PASS: run follows the journal across a rotation"

th_exec berth rm -f web talk ticker >/dev/null
if th_exec berth logs talk 2>"$work/err"; then echo "FAIL: logs after rm succeeded"; exit 1; fi
assert_contains "$(cat "$work/err")" "No such container: talk" "logs after rm"
assert_eq "" "$(th_exec berth ps -aq)" "nothing left"
assert_eq "" "$(th_exec systemctl list-units --all --plain --no-legend 'berth@*')" "no units left"
echo "PASS: test-ps-logs"
