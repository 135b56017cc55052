#!/bin/bash
# `berth pull` of the 3-layer ~176 MB Debian test image (bench/debian-image.sh) from a loopback registry,
# against podman pull, docker pull and a plain `tar -xzf` of the same three gzip layer blobs, all inside one
# booted test host, side by side in the same run. Prints medians and ratios (issue 4).
#
#   bench/pull.sh [BUILD_DIR]     (root; installs podman, docker.io, skopeo, umoci, mmdebstrap,
#                                  docker-registry and hyperfine with apt if missing; BENCH_RUNS, default 10)
#
# Every store (berth's --root, podman's --root, dockerd's --data-root, the tar and skopeo targets) lives on one
# fresh journaled ext4 image bound into the host (peers.md: the machine's root ext4 has no journal, which makes
# file creation after a large delete ~5x slower). Before every run, warm-ups included, the image or store is
# removed and `sync` runs; the registry's blobs are then in the page cache.
#
# Measured (hyperfine -N -w 1 -r BENCH_RUNS -p PREPARE, medians):
#   berth --root S pull -q localhost:5000/debian           prepare: rm -rf S; sync
#   podman --root S pull -q --tls-verify=false ...          prepare: podman rmi -f ...; sync
#   /usr/bin/docker pull -q localhost:5000/debian           prepare: docker rmi -f ...; sync   (dockerd 20.10)
#   floor: tar -xzf of the 3 layer blobs, one after another  prepare: rm -rf U; mkdir U; sync
#   for reference: the same tar, then sync; skopeo copy to an OCI dir (the download alone)
#
# Targets (issue 4): berth <= 0.5x podman, and berth <= 1.0x tar -xzf.
set -euo pipefail

# A private mount namespace: the ext4 image mounted below goes away with this process however it ends, and
# its loop device (attached with autoclear) with it.
if [ "${BENCH_PULL_NS:-}" != 1 ]; then
        if [ "$(id -u)" != 0 ]; then echo "bench: run as root" >&2; exit 1; fi
        exec env BENCH_PULL_NS=1 unshare -m --propagation private -- "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-10}
warmup=1
layout=${BENCH_DEBIAN_OCI:-/var/cache/berth-bench/debian-oci}
ref=localhost:5000/debian

for p in skopeo:skopeo umoci:umoci mmdebstrap:mmdebstrap docker-registry:docker-registry; do
        command -v "${p%%:*}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends "${p#*:}" >/dev/null
done
"$bench_src/bench/debian-image.sh" "$layout"
manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "debian") | .digest' \
        "$layout/index.json")
mapfile -t layers < <(jq -r '.layers[].digest | sub("^sha256:"; "")' "$layout/blobs/sha256/${manifest#sha256:}")
compressed=0
for l in "${layers[@]}"; do compressed=$((compressed + $(stat -c %s "$layout/blobs/sha256/$l"))); done

# the stores' file system: a fresh sparse journaled ext4 image, mounted in this namespace and bound in
pull_tmp=$(mktemp -d /var/tmp/berth-bench-pull.XXXXXX)
bench_extra_cleanup() {
        umount "$pull_tmp/store" 2>/dev/null || true
        rm -rf "$pull_tmp"
}
trap bench_extra_cleanup EXIT
mkdir -p "$pull_tmp/store" "$pull_tmp/registry"
truncate -s 16G "$pull_tmp/store.img"
mkfs.ext4 -q -F "$pull_tmp/store.img"
dumpe2fs -h "$pull_tmp/store.img" 2>/dev/null | grep -q has_journal || { echo "bench: no journal on the ext4 image" >&2; exit 1; }
loop=$(losetup --direct-io=on -f --show "$pull_tmp/store.img")
mount "$loop" "$pull_tmp/store"
losetup -d "$loop" # autoclear: the device goes with the last unmount
rm "$pull_tmp/store.img" # the open device keeps it; nothing to clean up on disk
bench_up_args=(--bind "$pull_tmp/store:/bench:rw" --bind "$pull_tmp/registry:/bench-registry:rw"
        --bind "$layout:/bench-oci:ro")

bench_setup "${1:-$bench_src/build}" dockerd:docker.io

# the registry, on the host's loopback, seeded from the layout
x sh -c 'cat >/root/registry.yml <<CONFIG
version: 0.1
log: {level: warn, fields: {service: registry}}
storage:
  filesystem: {rootdirectory: /bench-registry}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: 127.0.0.1:5000
CONFIG'
x systemd-run -q --unit=bench-registry --collect docker-registry serve /root/registry.yml
for _ in $(seq 100); do x curl -fsS http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && break; sleep 0.1; done
x skopeo copy -q --dest-tls-verify=false oci:/bench-oci:debian "docker://$ref:latest"
x skopeo inspect --tls-verify=false "docker://$ref:latest" >/dev/null

# docker: containerd and dockerd started by hand inside the host (as in exec.sh), its data root on the image
docker_note=""
x systemd-run -q --unit=bench-containerd --collect containerd >/dev/null
x systemd-run -q --unit=bench-dockerd --collect dockerd --exec-opt native.cgroupdriver=cgroupfs \
        --iptables=false --bridge=none --data-root /bench/docker >/dev/null
for _ in $(seq 100); do x /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.2; done
if ! x /usr/bin/docker info >/dev/null 2>&1; then
        docker_note="dockerd did not start: $(x journalctl -u bench-dockerd -n 5 --no-pager -o cat 2>&1 | tail -n 3)"
elif ! x /usr/bin/docker pull -q "$ref" >/dev/null 2>"$pull_tmp/docker.err"; then
        docker_note="docker pull failed: $(head -c 300 "$pull_tmp/docker.err")"
fi
docker_driver=$(x /usr/bin/docker info -f '{{.Driver}}' 2>/dev/null || echo "?")
podman_driver=$(x podman --root /bench/podman --runroot /run/bench-podman info -f '{{.Store.GraphDriverName}}' 2>/dev/null || echo "?")

# one pull of each first, checked, so that a broken engine fails here and not inside hyperfine
x berth --root /bench/berth pull -q "$ref" >/dev/null
x berth --root /bench/berth run --rm "$ref" /app/hello.py >/dev/null 2>&1 ||
        echo "bench: note: running the pulled image with berth failed (not needed for the timing)" >&2
x podman --root /bench/podman --runroot /run/bench-podman pull -q --tls-verify=false "$ref" >/dev/null

# "median min max" in ms
stats() {
        python3 -c 'import json,sys
r = json.loads(sys.stdin.read())["results"][0]
print("%.1f %.1f %.1f" % (r["median"] * 1000, r["min"] * 1000, r["max"] * 1000))'
}
measure() { hyperfine_json "$@" | stats; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
tar_loop="for l in ${layers[*]}; do tar -xzf /bench-oci/blobs/sha256/\$l -C /bench/tar; done"
tar_prep="sh -c 'rm -rf /bench/tar; mkdir -p /bench/tar; sync'"
declare -A m
m[berth]=$(measure "berth --root /bench/berth pull -q $ref" "sh -c 'rm -rf /bench/berth; sync'")
m[podman]=$(measure "podman --root /bench/podman --runroot /run/bench-podman pull -q --tls-verify=false $ref" \
        "sh -c 'podman --root /bench/podman --runroot /run/bench-podman rmi -f $ref >/dev/null 2>&1; sync'")
if [ -z "$docker_note" ]; then
        m[docker]=$(measure "/usr/bin/docker pull -q $ref" "sh -c '/usr/bin/docker rmi -f $ref >/dev/null 2>&1; sync'")
fi
m[tar]=$(measure "sh -c '$tar_loop'" "$tar_prep")
m[tar_sync]=$(measure "sh -c '$tar_loop; sync'" "$tar_prep")
m[skopeo]=$(measure "skopeo copy -q --src-tls-verify=false docker://$ref oci:/bench/skopeo:debian" \
        "sh -c 'rm -rf /bench/skopeo; sync'")

med() { local a; read -r -a a <<<"${m[$1]}"; echo "${a[0]}"; }
row() { local a; read -r -a a <<<"${m[$1]}"; printf '%8s  (%s .. %s)' "${a[0]}" "${a[1]}" "${a[2]}"; }
docker_row="not measured: $docker_note"
docker_ratio=n/a
if [ -z "$docker_note" ]; then
        docker_row=$(row docker)
        docker_ratio=$(ratio "$(med berth)" "$(med docker)")
fi
berth_mb=$(x sh -c 'du -sm /bench/berth/layers | cut -f1')
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<REPORT

pull of $ref: 3 gzip layers, $((compressed / 1000000)) MB compressed, from a registry on the test host's
loopback; stores on a journaled ext4 image (podman: ${podman_driver}, docker: ${docker_driver});
median (min .. max) of $runs runs after $warmup warm-up, ms; store or image removed and sync before each run;
one command after the other (machine load average $load_before before, $load_after after):
  berth pull                       $(row berth)
  podman pull                      $(row podman)
  docker pull                      $docker_row
  floor: tar -xzf of the 3 layers  $(row tar)
  tar -xzf, then sync              $(row tar_sync)
  skopeo copy (download only)      $(row skopeo)
  (berth's unpacked layers: ${berth_mb} MB)

ratios:
  berth / podman                   $(ratio "$(med berth)" "$(med podman)")   (target <= 0.5)
  berth / docker                   $docker_ratio
  berth / tar -xzf                 $(ratio "$(med berth)" "$(med tar)")   (target <= 1.0)
  berth / tar -xzf + sync          $(ratio "$(med berth)" "$(med tar_sync)")
REPORT
