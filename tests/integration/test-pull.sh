#!/bin/bash
# berth pull, login and logout against real registries (registry-lib.sh) inside a booted test host: TLS with
# a test CA from certs.d, plain HTTP on loopback, basic and token auth, by tag and by digest, multi-layer
# images with zstd/uncompressed layers and whiteouts, an index with an attestation entry and --platform,
# layer reuse, a corrupted blob (digest mismatch, nothing published), a hostile server (truncation, wrong
# Content-Length, a stall, garbage JSON, a redirect), kill -9 during a pull, and run pulling a missing image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=registry-lib.sh
. "$here/registry-lib.sh"

th_require
registry_require

th_berth_host --net private
registry_up
registry_seed
echo "PASS: registries up and seeded"

store=/var/lib/berth
# berth with a short stall timeout, for the hostile server's bad cases (the good ones keep the default 30 s,
# which a loaded machine may need for a TLS handshake with the Python server)
bt() {
	set +e
	out=$(th_exec env BERTH_REGISTRY_TIMEOUT=3 berth "$@" 2>&1)
	rc=$?
	set -e
}
layer_present() { th_exec test -d "$store/layers/${1#sha256:}"; }
tmp_empty() { [[ -z $(th_exec ls -A "$store/tmp") ]]; }

# --- a digest mismatch first, while no layer is in the store: nothing of the image may be published -------
registry_corrupt_blob 5004 "${REG_MULTI_LAYERS[1]}"
expect 1 "digest mismatch" pull localhost:5004/multi
assert_contains "$out" "${REG_MULTI_LAYERS[1]}" "the error names the layer"
b images --format '{{.Repository}}'
assert_eq "" "$out" "no image after a failed pull"
layer_present "${REG_MULTI_DIFF_IDS[1]}" && { echo "FAIL: the corrupted layer was published"; exit 1; }
b pull -q localhost:5000/busybox # takes the store lock exclusively, which sweeps tmp/
tmp_empty || { echo "FAIL: work dirs left in tmp/: $(th_exec ls -A "$store/tmp")"; exit 1; }
echo "PASS: a corrupted layer fails the pull (digest mismatch) and publishes nothing"

# --- TLS registry, anonymous: pull, images, run, up to date -------------------------------------------------
b rmi localhost:5000/busybox
expect 0 "Pull complete" pull localhost:5000/busybox
assert_contains "$out" "latest: Pulling from busybox"
assert_contains "$out" "Digest: $REG_BUSYBOX_DIGEST"
assert_contains "$out" "Status: Downloaded newer image for localhost:5000/busybox:latest"
b images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
assert_contains "$out" "localhost:5000/busybox:latest ${REG_BUSYBOX_CONFIG:7:12}" "image ID is the config digest"
expect 0 "Image is up to date" pull localhost:5000/busybox
b run --rm localhost:5000/busybox sh -c 'test -x /bin/busybox && echo ok'
assert_eq "ok" "$out" "a container from the pulled image"
expect 0 "" pull -q localhost:5000/busybox:latest
assert_eq "localhost:5000/busybox:latest" "$out" "-q prints only the reference"
b image inspect -f '{{json .RepoDigests}}' localhost:5000/busybox
assert_contains "$out" "localhost:5000/busybox@$REG_BUSYBOX_DIGEST" "RepoDigests"
echo "PASS: TLS registry with the test CA; pull, images, run, up to date, -q, RepoDigests"

# --- by digest; a wrong digest -----------------------------------------------------------------------------
expect 0 "Status: Image is up to date for localhost:5000/busybox@$REG_BUSYBOX_DIGEST" \
	pull "localhost:5000/busybox@$REG_BUSYBOX_DIGEST"
expect 1 "not found" pull "localhost:5000/busybox@sha256:$(printf '0%.0s' {1..64})"
expect 125 "invalid reference format" pull "localhost:5000/busybox@sha256:../../etc"
echo "PASS: pull by digest; unknown and malformed digests"

# --- multi-layer: gzip + zstd + uncompressed, whiteouts and an opaque dir; the shared layer is reused ------
expect 0 "Already exists" pull localhost:5000/multi
assert_contains "$out" "Pull complete"
b run --rm localhost:5000/multi sh -c 'cat /data/b /data/dir/y; ls -A /data /data/dir | tr "\n" " "'
assert_contains "$out" "b"
assert_contains "$out" "y"
[[ $out != *" a "* && $out != *"x "* ]] || { echo "FAIL: whiteouts not applied: $out"; exit 1; }
echo "PASS: multi-layer image (zstd, uncompressed, whiteouts, opaque dir), shared layer not downloaded again"

# --- an index: this machine's platform, the attestation skipped, --platform --------------------------------
expect 0 "Digest: $REG_MULTIARCH_DIGEST" pull localhost:5000/multiarch
b run --rm localhost:5000/multiarch cat /arch
assert_eq "$REG_ARCH" "$out" "the native image of the index"
expect 0 "Pull complete" pull --platform "linux/$REG_OTHER_ARCH" localhost:5000/multiarch
b image inspect -f '{{.Architecture}}' localhost:5000/multiarch
assert_eq "$REG_OTHER_ARCH" "$out" "--platform chose the other image"
expect 1 "has no image for linux/s390x" pull --platform linux/s390x localhost:5000/multiarch
expect 125 "invalid --platform" pull --platform linux localhost:5000/multiarch
echo "PASS: index with platform selection and an attestation entry"

# --- on a terminal: one live line per layer, redrawn in place ---------------------------------------------------
b rmi localhost:5000/multi
tty_out=$(th_exec script -qec 'berth pull localhost:5000/multi' /dev/null | cat -v)
[[ $tty_out == *'^[[2K'* && $tty_out == *'^[[3A'* && $tty_out == *'Pull complete'* ]] ||
	{ echo "FAIL: no live per-layer progress on a terminal: $tty_out"; exit 1; }
echo "PASS: progress lines on a terminal"

# --- plain HTTP on loopback ---------------------------------------------------------------------------------
expect 0 "Status: Downloaded newer image for localhost:5004/busybox:latest" pull localhost:5004/busybox
echo "PASS: plain HTTP for a loopback registry"

# --- basic auth: refused, wrong password, login, logout ------------------------------------------------------
expect 0 "Total reclaimed space" image prune -a -f # so that the authenticated pulls download their blobs
b images -q
assert_eq "" "$out" "image prune -a removed every unused image"
expect 1 "berth login localhost:5001" pull localhost:5001/busybox
set +e
out=$(th_exec sh -c "echo wrong | berth login -u $REG_USER --password-stdin localhost:5001" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "login with a wrong password fails ($out)"
th_exec test ! -e /etc/berth/auth.json || ! th_exec grep -q localhost:5001 /etc/berth/auth.json ||
	{ echo "FAIL: a failed login stored credentials"; exit 1; }
expect 0 "Login Succeeded" login -u "$REG_USER" -p "$REG_PASSWORD" localhost:5001
assert_eq "600" "$(th_exec stat -c %a /etc/berth/auth.json)" "auth.json is root-only"
expect 0 "Pull complete" pull localhost:5001/multi
expect 0 "Removing login credentials for localhost:5001" logout localhost:5001
expect 0 "Not logged in to localhost:5001" logout localhost:5001
expect 1 "berth login" pull localhost:5001/busybox
echo "PASS: basic auth (refused anonymously, wrong password, login, pull, logout)"

# --- token auth: anonymous pull of public/, private/ needs a login ------------------------------------------
b image prune -a -f
expect 0 "Pull complete" pull localhost:5002/public/busybox
assert_contains "$out" "Status: Downloaded newer image for localhost:5002/public/busybox:latest"
expect 1 "denied" pull localhost:5002/private/busybox
expect 0 "Login Succeeded" login -u "$REG_USER" -p "$REG_PASSWORD" localhost:5002
expect 0 "Pull complete" pull localhost:5002/private/multi
set +e
out=$(th_exec sh -c "echo nope | berth login -u $REG_USER --password-stdin localhost:5002" 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "token login with a wrong password fails ($out)"
b logout localhost:5002
echo "PASS: token auth (anonymous public pull, private denied, login, wrong password)"

# --- a hostile server ---------------------------------------------------------------------------------------
b pull localhost:5005/ok
assert_eq 0 "$rc" "control repository ($out)"
b rmi localhost:5005/ok
b rmi -f localhost:5000/busybox localhost:5004/busybox localhost:5002/public/busybox localhost:5001/multi \
	localhost:5000/multi localhost:5002/private/multi localhost:5000/multiarch
for bad in trunc badlen shortlen stall hang; do
	start=$SECONDS
	bt pull "localhost:5005/$bad"
	assert_eq 1 "$rc" "pull of the '$bad' repository fails ($out)"
	assert_contains "$out" "Error pulling localhost:5005/$bad:latest"
	echo "  $bad: ${out##*Error pulling }"
	((SECONDS - start < 30)) || { echo "FAIL: '$bad' took $((SECONDS - start)) s"; exit 1; }
done
bt pull localhost:5005/garbage:manifest
assert_eq 1 "$rc" "garbage manifest"
assert_contains "$out" "not valid JSON"
b pull localhost:5005/redirect
assert_eq 0 "$rc" "a redirect to the blob is followed ($out)"
b images --format '{{.Repository}}'
assert_eq "localhost:5005/redirect" "$out" "only the good pulls left an image"
echo "PASS: hostile server (truncation, wrong Content-Length, stall, hang, garbage JSON fail cleanly; redirect)"

# --- kill -9 in the middle of a pull: no image, the next pull works, work dirs swept -------------------------
th_exec sh -c 'BERTH_REGISTRY_TIMEOUT=30 berth pull localhost:5005/stall >/dev/null 2>&1 & p=$!; sleep 1.5; kill -9 $p; wait $p || true'
b images --format '{{.Repository}}'
assert_eq "localhost:5005/redirect" "$out" "a killed pull leaves no image"
b pull localhost:5005/ok
assert_eq 0 "$rc" "the next pull works ($out)"
tmp_empty || { echo "FAIL: work dirs of the killed pull left in tmp/"; exit 1; }
echo "PASS: kill -9 during a pull"

# --- run pulls a missing image (progress on stderr), --pull=always ------------------------------------------
b run --rm localhost:5000/busybox echo hello
assert_contains "$out" "Unable to find image 'localhost:5000/busybox:latest' locally"
assert_contains "$out" "Status: Downloaded newer image for localhost:5000/busybox:latest"
assert_contains "$out" "hello"
set +e
stdout=$(th_exec berth run --rm --pull=always localhost:5000/busybox echo again 2>/dev/null)
set -e
assert_eq "again" "$stdout" "pull progress stays off the container's stdout"
echo "PASS: run pulls a missing image; --pull=always"
echo "PASS: test-pull"
