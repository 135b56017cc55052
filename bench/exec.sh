#!/bin/bash
# `berth exec` latency against podman exec, docker exec and the kernel floor (nsenter into the same
# container), all into idle containers in one booted test host, side by side in the same run.
#
#   bench/exec.sh [BUILD_DIR]     (root; installs podman, runc, docker.io and hyperfine with apt if missing)
#
# Targets (issue 6): berth exec <= 3x nsenter -t PID -a true, and >= 10x faster than docker exec.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup "${1:-$bench_src/build}" dockerd:docker.io

x berth run -d --name idle-b berth-demo sleep 3600 >/dev/null
x podman run -d --name idle-p --network none localhost/berth-demo sleep 3600 >/dev/null
pid=$(x systemctl show -P MainPID berth@idle-b.service)

# docker: containerd and dockerd started by hand inside the host (cgroupfs driver, no bridge or iptables)
docker_note=""
x systemd-run -q --unit=bench-containerd --collect containerd >/dev/null
x systemd-run -q --unit=bench-dockerd --collect dockerd --exec-opt native.cgroupdriver=cgroupfs \
        --iptables=false --bridge=none --data-root /var/lib/bench-docker >/dev/null
for _ in $(seq 100); do x docker info >/dev/null 2>&1 && break; sleep 0.2; done
if x docker info >/dev/null 2>&1; then
        x podman save -q --format docker-archive -o /root/demo-docker.tar localhost/berth-demo >/dev/null
        x docker load -q -i /root/demo-docker.tar >/dev/null
        if ! x docker run -d --name idle-d --network none localhost/berth-demo sleep 3600 >/dev/null 2>/tmp/bench-docker.err; then
                docker_note="docker run failed: $(head -c 300 /tmp/bench-docker.err)"
        fi
else
        docker_note="dockerd did not start: $(x journalctl -u bench-dockerd -n 5 --no-pager -o cat 2>&1 | tail -n 3)"
fi

declare -A ms
ms[nsenter]=$(median "nsenter -t $pid -a true")
ms[berth]=$(median 'berth exec idle-b true')
ms[podman]=$(median 'podman exec idle-p true')
if [ -z "$docker_note" ]; then
        ms[docker]=$(median 'docker exec idle-d true')
fi

x berth rm -f idle-b >/dev/null
x podman rm -f -t 0 idle-p >/dev/null
[ -n "$docker_note" ] || x docker rm -f idle-d >/dev/null

cat <<REPORT

exec latency into an idle container (median of $runs runs, ms), inside one test host:
  nsenter -t PID -a true        ${ms[nsenter]}
  berth exec NAME true          ${ms[berth]}
  podman exec NAME true         ${ms[podman]}
  docker exec NAME true         ${ms[docker]:-not measured: $docker_note}

ratios:
  berth / nsenter               $(ratio "${ms[berth]}" "${ms[nsenter]}")   (target <= 3)
  podman / berth                $(ratio "${ms[podman]}" "${ms[berth]}")
REPORT
if [ -z "$docker_note" ]; then
        echo "  docker / berth                $(ratio "${ms[docker]}" "${ms[berth]}")   (target >= 10)"
fi
