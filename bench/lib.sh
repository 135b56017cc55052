#!/bin/bash
# Shared by the bench/ scripts: installs the peers, boots one test host (tests/testhost/th) with this build
# installed and the demo image imported into berth and podman, and measures medians with hyperfine.
#
#   . bench/lib.sh; bench_setup BUILD_DIR [EXTRA_PACKAGES...]; median 'CMD' ['PREPARE']; ratio A B
# bench_setup defines x (run inside the host) and destroys the host on exit. Before it, a script may add
# arguments for `th up` to bench_up_args (e.g. --bind SRC:DEST:rw) and define bench_extra_cleanup, which
# runs on exit after the host is gone.

bench_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_RUNS:-20}
warmup=3
bench_dir=
bench_work=
bench_up_args=()

bench_cleanup() {
        [ -z "$bench_dir" ] || "$bench_src/tests/testhost/th" "$bench_dir" destroy || true
        [ -z "$bench_work" ] || rm -rf "$bench_work"
        if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup || true; fi
}

x() { "$bench_src/tests/testhost/th" "$bench_dir" exec "$@"; }

bench_setup() {
        local build=$1 need=() p
        shift
        if [ "$(id -u)" != 0 ]; then echo "bench: run as root" >&2; exit 1; fi
        for p in podman runc conmon hyperfine curl "$@"; do
                command -v "${p%%:*}" >/dev/null || need+=("${p#*:}")
        done
        if [ ${#need[@]} -gt 0 ]; then
                # keep maintainer scripts from starting daemons on this machine
                printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends podman runc conmon \
                        catatonit containernetworking-plugins fuse-overlayfs slirp4netns uidmap hyperfine curl \
                        "${need[@]}" >/dev/null
                rm -f /usr/sbin/policy-rc.d
        fi
        [ -x "$build/src/cli/berth" ] || { meson setup "$build" "$bench_src" >/dev/null; }
        meson compile -C "$build" >/dev/null

        bench_work=$(mktemp -d /tmp/berth-bench.XXXXXX)
        trap bench_cleanup EXIT
        mkdir -p "$bench_work/stage/root" "$bench_work/varlib"
        meson install -C "$build" --no-rebuild --destdir "$bench_work/stage" >/dev/null
        "$bench_src/tools/demo-image.sh" "$bench_work/stage/root/demo.tar.gz"
        bench_dir=$(mktemp -d /tmp/th.XXXXXX)
        "$bench_src/tests/testhost/th" "$bench_dir" up --net private --bind "$bench_work/varlib:/var/lib/berth:rw" \
                "${bench_up_args[@]}" >/dev/null
        "$bench_src/tests/testhost/th" "$bench_dir" copy-in "$bench_work/stage" /
        x systemctl daemon-reload
        x sh -c 'mkdir -p /etc/containers && printf "[containers]\npids_limit = 0\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"systemd\"\n" >/etc/containers/containers.conf'
        x berth import /root/demo.tar.gz berth-demo >/dev/null
        x podman import -q /root/demo.tar.gz localhost/berth-demo >/dev/null
}

# hyperfine's JSON export for one command inside the host, with an optional prepare command (run before
# every timed and warm-up run; -N: neither goes through a shell, so wrap shell syntax in sh -c '...')
hyperfine_json() {
        local prep=
        [ -z "${2:-}" ] || prep="-p $(printf '%q' "$2") "
        x sh -c "hyperfine -N -w $warmup -r $runs $prep--export-json /tmp/h.json $(printf '%q' "$1") >/tmp/h.out 2>&1 && cat /tmp/h.json || { tail -n 15 /tmp/h.out >&2; exit 1; }"
}

# median in ms of one command inside the host: median 'CMD' ['PREPARE']
median() {
        local json
        json=$(hyperfine_json "$@")
        python3 -c 'import json,sys; print("%.1f" % (json.loads(sys.stdin.read())["results"][0]["median"]*1000))' <<<"$json"
}

ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }
