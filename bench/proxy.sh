#!/bin/bash
# Published-port forwarding: berth's socket-activated splice() proxy against a direct connection inside
# the container's network namespace, beside docker's userland proxy and podman's published port, all in
# one booted test host, with the same keep-alive HTTP server (tests/helpers/netsrv.c, bind-mounted) in
# each container.
#
#   bench/proxy.sh [BUILD_DIR]    (root; installs podman, runc, docker.io, wrk and hyperfine with apt if missing)
#
# Per path: wrk -t2 -c16 -d5s --latency on /1k (request rate, p99 latency), and the median speed of
# curl downloading /big (256 MiB), over interleaved repetitions. Targets (issue 5): berth >= 95 % of the
# direct request rate, p99 within 1 ms of direct, >= 90 % of the direct download throughput.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
reps=${BENCH_REPS:-3}
downloads=${BENCH_DOWNLOADS:-5}
build=${1:-$bench_src/build}
bench_setup "$build" wrk dockerd:docker.io iptables
meson compile -C "$build" tests/berth-netsrv >/dev/null
mkdir -p "$bench_work/netsrv/usr/local/bin"
cp "$build/tests/berth-netsrv" "$bench_work/netsrv/usr/local/bin/"
"$bench_src/tests/testhost/th" "$bench_dir" copy-in "$bench_work/netsrv" /
x sysctl -q -w net.ipv4.ip_local_port_range="15000 65000"
srv=(-v /usr/local/bin/berth-netsrv:/netsrv:ro)

declare -A url note
# berth: a --network none container, its port published on 127.0.0.1:8080
x berth run -d --name kb --init -p 127.0.0.1:8080:80 "${srv[@]}" berth-demo /netsrv http 80 >/dev/null
url[berth]=http://127.0.0.1:8080
url[berth-direct]="$(x systemctl show -P MainPID berth@kb.service) http://127.0.0.1:80"

# podman: the default CNI network, port published on 127.0.0.1:8082
if x podman run -d --name kp -p 127.0.0.1:8082:80 "${srv[@]}" localhost/berth-demo /netsrv http 80 \
        >/dev/null 2>/tmp/bench-podman.err; then
        url[podman]=http://127.0.0.1:8082
        url[podman-direct]="$(x podman inspect -f '{{.State.Pid}}' kp) http://127.0.0.1:80"
else
        note[podman]="podman run failed: $(head -c 300 /tmp/bench-podman.err)"
fi

# docker: containerd and dockerd started by hand inside the host (cgroupfs driver), with its default
# bridge and userland proxy; connections to 127.0.0.1 go through docker-proxy
x systemd-run -q --unit=bench-containerd --collect containerd >/dev/null
x systemd-run -q --unit=bench-dockerd --collect dockerd --exec-opt native.cgroupdriver=cgroupfs \
        --data-root /var/lib/bench-docker --userland-proxy=true >/dev/null
for _ in $(seq 100); do x docker info >/dev/null 2>&1 && break; sleep 0.2; done
if ! x docker info >/dev/null 2>&1; then
        note[docker]="dockerd did not start: $(x journalctl -u bench-dockerd -n 5 --no-pager -o cat 2>&1 | tail -n 3)"
else
        x podman save -q --format docker-archive -o /root/demo-docker.tar localhost/berth-demo >/dev/null
        x docker load -q -i /root/demo-docker.tar >/dev/null
        if x docker run -d --name kd -p 127.0.0.1:8081:80 "${srv[@]}" localhost/berth-demo /netsrv http 80 \
                >/dev/null 2>/tmp/bench-docker.err; then
                url[docker]=http://127.0.0.1:8081
                url[docker-direct]="$(x docker inspect -f '{{.State.Pid}}' kd) http://127.0.0.1:80"
        else
                note[docker]="docker run failed: $(head -c 300 /tmp/bench-docker.err)"
        fi
fi

paths=()
for p in berth-direct berth podman-direct podman docker-direct docker; do
        [ -n "${url[$p]:-}" ] && paths+=("$p")
done

# "PID URL" runs inside that PID's network namespace, a bare URL in the test host's
in_ns() {
        local target=$1
        shift
        if [[ $target == *" "* ]]; then
                x nsenter -t "${target%% *}" -n "$@"
        else
                x "$@"
        fi
}
base() { [[ $1 == *" "* ]] && echo "${1#* }" || echo "$1"; }

# wait until every path answers
for p in "${paths[@]}"; do
        for _ in $(seq 100); do
                in_ns "${url[$p]}" curl -fsS -o /dev/null --max-time 2 "$(base "${url[$p]}")/1k" 2>/dev/null && break
                sleep 0.1
        done
done

declare -A rps p99 mbs
for rep in $(seq "$reps"); do
        for p in "${paths[@]}"; do
                out=$(in_ns "${url[$p]}" wrk -t2 -c16 -d5s --latency "$(base "${url[$p]}")/1k")
                r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
                # "     99%    1.23ms" -> ms
                l=$(awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
                        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f }' <<<"$out")
                errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
                [ -z "$errors" ] || echo "  note: $p rep $rep: $errors" >&2
                rps[$p]+="$r "
                p99[$p]+="$l "
        done
        for p in "${paths[@]}"; do
                for _ in $(seq "$downloads"); do
                        s=$(in_ns "${url[$p]}" curl -fsS -o /dev/null --max-time 60 -w '%{speed_download}' \
                                "$(base "${url[$p]}")/big")
                        mbs[$p]+="$(python3 -c "print('%.1f' % ($s / 1e6))") "
                done
        done
done

median() { python3 -c 'import statistics, sys; print("%.1f" % statistics.median(float(v) for v in sys.argv[1:]))' $1; }
median3() { python3 -c 'import statistics, sys; print("%.3f" % statistics.median(float(v) for v in sys.argv[1:]))' $1; }

x berth rm -f kb >/dev/null
[ -z "${url[podman]:-}" ] || x podman rm -f -t 0 kp >/dev/null
[ -z "${url[docker]:-}" ] || x docker rm -f kd >/dev/null

echo
echo "Port forwarding to a keep-alive HTTP server (berth-netsrv), medians of $reps wrk runs (-t2 -c16 -d5s, /1k)"
echo "and $((reps * downloads)) downloads of 256 MiB, inside one test host:"
printf '  %-15s %10s %12s %14s\n' path "req/s" "p99 (ms)" "256 MiB MB/s"
for p in "${paths[@]}"; do
        printf '  %-15s %10s %12s %14s\n' "$p" "$(median "${rps[$p]}")" "$(median3 "${p99[$p]}")" "$(median "${mbs[$p]}")"
done
echo
echo "through the published port vs direct in the container's network namespace:"
for peer in berth podman docker; do
        if [ -z "${url[$peer]:-}" ]; then
                echo "  $peer: not measured: ${note[$peer]:-no URL}"
                continue
        fi
        d=$peer-direct
        printf '  %-7s request rate %s of direct%s, p99 %+.3f ms vs direct%s, 256 MiB download %s of direct%s\n' "$peer" \
                "$(ratio "$(median "${rps[$peer]}")" "$(median "${rps[$d]}")")" \
                "$([ "$peer" = berth ] && echo " (target >= 0.95)")" \
                "$(python3 -c "print($(median3 "${p99[$peer]}") - $(median3 "${p99[$d]}"))")" \
                "$([ "$peer" = berth ] && echo " (target <= +1 ms)")" \
                "$(ratio "$(median "${mbs[$peer]}")" "$(median "${mbs[$d]}")")" \
                "$([ "$peer" = berth ] && echo " (target >= 0.90)")"
done
