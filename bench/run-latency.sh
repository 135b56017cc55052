#!/bin/bash
# Start latency of a container, berth against podman, with systemd and the kernel as floors, all inside one
# booted test host (tests/testhost/th), side by side in the same run. Prints medians and ratios.
#
#   bench/run-latency.sh [BUILD_DIR]     (root; installs podman, runc and hyperfine with apt if missing)
#
# Measured (hyperfine -N, median of >= 20 runs after 3 warm-ups):
#   berth run --rm berth-demo true            with 1, 50 and 200 other containers existing
#   podman run --rm [--network none] IMG true the same image, imported into podman
#   systemd-run --wait -q true                floor: a transient unit
#   unshare -fp --mount-proc true             floor: namespaces only
# and, for 10 idle `sleep 3600` containers, the resident processes per container that are not the
# container's own (berth: none by design; podman: conmon) and their PSS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup "${1:-$bench_src/build}"

declare -A ms
ms[unshare]=$(median 'unshare -fp --mount-proc true')
ms[systemd_run]=$(median 'systemd-run --wait -q true')
ms[podman]=$(median 'podman run --rm localhost/berth-demo true')
ms[podman_none]=$(median 'podman run --rm --network none localhost/berth-demo true')
ms[berth_1]=$(median 'berth run --rm berth-demo true')
x sh -c 'for i in $(seq 1 49); do berth create --name idle$i berth-demo sleep 3600 >/dev/null; done'
ms[berth_50]=$(median 'berth run --rm berth-demo true')
x sh -c 'for i in $(seq 50 199); do berth create --name idle$i berth-demo sleep 3600 >/dev/null; done'
ms[berth_200]=$(median 'berth run --rm berth-demo true')
x sh -c 'for i in $(seq 1 199); do berth rm idle$i >/dev/null; done'

# resident processes that are not the container's own, per running container
x sh -c 'for i in $(seq 1 10); do berth run -d --name sleeper$i berth-demo sleep 3600 >/dev/null; done'
x sh -c 'for i in $(seq 1 10); do podman run -d --name psleeper$i --network none localhost/berth-demo sleep 3600 >/dev/null; done'
sleep 2
# every process in each sleeper unit's cgroup (name=systemd hierarchy on hybrid hosts, cgroup2 otherwise)
berth_extra=$(x sh -c 'n=0
for i in $(seq 1 10); do
        cg=$(systemctl show -P ControlGroup berth@sleeper$i.service)
        f=/sys/fs/cgroup/systemd$cg/cgroup.procs; [ -e "$f" ] || f=/sys/fs/cgroup$cg/cgroup.procs
        for p in $(cat "$f"); do [ "$(cat /proc/$p/comm)" = sleep ] || n=$((n + 1)); done
done
echo $n')
berth_procs=$(x sh -c 'ps -eo comm= | grep -c "^berth" || true')
conmon_pids=$(x sh -c 'pgrep -x conmon || true')
conmon_n=$(wc -w <<<"$conmon_pids")
conmon_pss=0
for p in $conmon_pids; do
        k=$(x awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)
        conmon_pss=$((conmon_pss + k))
done
x sh -c 'for i in $(seq 1 10); do berth rm -f sleeper$i >/dev/null; podman rm -f -t 0 psleeper$i >/dev/null; done'

cat <<REPORT

berth start latency (median of $runs runs, ms), inside one test host:
  unshare -fp --mount-proc true               ${ms[unshare]}
  systemd-run --wait -q true                  ${ms[systemd_run]}
  podman run --rm IMG true                    ${ms[podman]}
  podman run --rm --network none IMG true     ${ms[podman_none]}
  berth run --rm IMG true   (1 container)     ${ms[berth_1]}
  berth run --rm IMG true   (50 containers)   ${ms[berth_50]}
  berth run --rm IMG true   (200 containers)  ${ms[berth_200]}

ratios:
  berth / podman                      $(ratio "${ms[berth_1]}" "${ms[podman]}")   (target <= 0.100)
  berth / podman --network none       $(ratio "${ms[berth_1]}" "${ms[podman_none]}")
  berth / systemd-run --wait          $(ratio "${ms[berth_1]}" "${ms[systemd_run]}")   (target <= 2.5)
  berth with 200 / with 1 container   $(ratio "${ms[berth_200]}" "${ms[berth_1]}")   (flat = ~1)

resident processes for 10 idle containers that are not the containers' own:
  berth:  ${berth_extra} (berth processes alive on the host: ${berth_procs})
  podman: ${conmon_n} conmon, ${conmon_pss} kB PSS in all
REPORT
