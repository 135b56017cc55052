#!/bin/bash
# Resource limits through the unit's cgroup, in a test host with the hybrid cgroup layout (where this
# machine enforces controllers): --memory (OOM kill → 137 and OOMKilled), --pids-limit (fork fails),
# --cpus (a busy loop stays near its quota), the unit's properties in `systemctl show`, `berth update` on a
# running container without a restart, `berth stats`, and `rm` removing what update made systemd persist.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
th_berth_host --net private --cgroup hybrid
"$here/../helpers/probe-image.sh" "$TH_WORK/probe.tar" >/dev/null
mkdir -p "$TH_WORK/in/root"
cp "$TH_WORK/probe.tar" "$TH_WORK/in/root/probe.tar"
"$TH" "$TH_DIR" copy-in "$TH_WORK/in" /
th_exec berth import /root/probe.tar probe >/dev/null

show() { th_exec systemctl show -P "$2" "berth@$1.service"; }

# --- memory: an OOM kill is exit 137 and OOMKilled ----------------------------------------------------------
expect 137 "" run --name hog --memory 32m probe sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
[[ $out != *survived* ]] || { echo "FAIL: the memory hog was not stopped: $out"; exit 1; }
b inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}' hog
assert_eq "true 137 33554432" "$out" "inspect after the OOM kill"
th_exec berth rm hog >/dev/null
b run --rm --memory 32m probe sh -c 'x=$(head -c 1000000 /dev/zero | tr "\0" a); echo ${#x}'
assert_eq "0:1000000" "$rc:$out" "a container within its memory limit"
echo "PASS: --memory: OOM kill, exit 137, OOMKilled"

# --- pids --------------------------------------------------------------------------------------------------
b run --rm --pids-limit 5 probe sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 3 & done; wait; echo done'
assert_contains "$out" "can't fork" "fork beyond --pids-limit"
echo "PASS: --pids-limit"

# --- cpu, properties, stats, update --------------------------------------------------------------------------
th_exec berth run -d --name busy --cpus 0.2 --memory 64m --pids-limit 50 --cpu-shares 512 probe \
        sh -c 'while :; do :; done' >/dev/null
assert_eq 200ms "$(show busy CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec"
assert_eq 67108864 "$(show busy MemoryMax)" "MemoryMax"
assert_eq 50 "$(show busy TasksMax)" "TasksMax"
assert_eq 20 "$(show busy CPUWeight)" "CPUWeight"
pid=$(show busy MainPID)
sleep 2
b stats --no-stream busy
assert_contains "$out" "CONTAINER ID   NAME"
assert_contains "$out" "MEM USAGE / LIMIT"
assert_contains "$out" "/ 64MiB"
b stats --no-stream --format '{{.CPUPerc}}' busy
cpu=${out%%.*}
((cpu >= 5 && cpu <= 35)) || { echo "FAIL: --cpus 0.2 busy loop used $out"; exit 1; }
echo "PASS: --cpus keeps a busy loop at $out; properties and stats"

b update --memory 128m --pids-limit 20 --cpus 0.5 busy
assert_eq "0:busy" "$rc:$out" "berth update"
assert_eq 134217728 "$(show busy MemoryMax)" "MemoryMax after update"
assert_eq 20 "$(show busy TasksMax)" "TasksMax after update"
assert_eq 500ms "$(show busy CPUQuotaPerSecUSec)" "CPUQuotaPerSecUSec after update"
assert_eq "$pid" "$(show busy MainPID)" "the container kept running"
cg=$(show busy ControlGroup)
assert_eq 134217728 "$(th_exec cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" "memory cgroup limit"
b inspect --format '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}' busy
assert_eq "134217728 20 500000000" "$out" "inspect after update"
expect 125 "invalid --memory 'lots'" update --memory lots busy
expect 1 "--memory-swap must be at least --memory" update --memory-swap 64m busy
expect 1 "No such container: nosuch" update --memory 64m nosuch
echo "PASS: update changes a running container's limits"

# the limits survive a restart (config, drop-in and systemd's own record agree)
th_exec berth restart busy >/dev/null
assert_eq 134217728 "$(show busy MemoryMax)" "MemoryMax after restart"
th_exec test -d /etc/systemd/system.control/berth@busy.service.d
th_exec berth rm -f busy >/dev/null
assert_fail th_exec test -e /etc/systemd/system.control/berth@busy.service.d
b ps -a -q
assert_eq "" "$out" "no containers left"
echo "PASS: test-resources"
