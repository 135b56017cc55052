#!/bin/bash
# Shared by the bench/ scripts: installs the peers, boots one test host (tests/testhost/th) with this build
# installed and the demo image imported into berth and podman, and measures medians with hyperfine.
#
#   . bench/lib.sh; bench_setup BUILD_DIR [EXTRA_PACKAGES...]; median 'CMD'; ratio A B
# bench_setup defines x (run inside the host) and destroys the host on exit.

bench_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_RUNS:-20}
bench_dir=
bench_work=

bench_cleanup() {
        [ -z "$bench_dir" ] || "$bench_src/tests/testhost/th" "$bench_dir" destroy || true
        [ -z "$bench_work" ] || rm -rf "$bench_work"
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
        "$bench_src/tests/testhost/th" "$bench_dir" up --net private --bind "$bench_work/varlib:/var/lib/berth:rw" >/dev/null
        "$bench_src/tests/testhost/th" "$bench_dir" copy-in "$bench_work/stage" /
        x systemctl daemon-reload
        x sh -c 'mkdir -p /etc/containers && printf "[containers]\npids_limit = 0\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"systemd\"\n" >/etc/containers/containers.conf'
        x berth import /root/demo.tar.gz berth-demo >/dev/null
        x podman import -q /root/demo.tar.gz localhost/berth-demo >/dev/null
}

# median in ms of one command inside the host, by hyperfine's JSON export
median() {
        local json
        json=$(x sh -c "hyperfine -N -w 3 -r $runs --export-json /tmp/h.json $(printf '%q' "$1") >/dev/null 2>&1 && cat /tmp/h.json")
        python3 -c 'import json,sys; print("%.1f" % (json.loads(sys.stdin.read())["results"][0]["median"]*1000))' <<<"$json"
}

ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }
