#!/bin/bash
# berth load, save and push inside a booted test host, against the registry fixture (registry-lib.sh):
#   load: docker-archive and oci-archive files made by skopeo (from the registries and from the fixture's
#         OCI layout), gzip/zstd-compressed and on stdin, Docker <= 24 and >= 25 `docker save` layouts (made
#         by tests/helpers/archive-tool.py), an OCI index (this machine's image), then containers from them;
#   save: skopeo reads the archive (and its tag), a fresh store loads it, the multi-layer image keeps its
#         whiteouts, save/load/save gives the same bytes, name-only and ID arguments, a terminal is refused;
#   hostile archives fail with a clear error and leave no image, no layer, no work dir and nothing outside;
#         a load killed with -9 leaves no image and its work dir is swept by the next load;
#   docker: when docker.io is installed, docker loads and runs what berth saves, berth what docker saves;
#   push: to the anonymous TLS registry and, after login, the basic-auth one; skopeo inspects the result and
#         a clean store pulls and runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=registry-lib.sh
. "$here/registry-lib.sh"

th_require
registry_require

# a second store on a real file system (overlay upper dirs cannot live on the host's root overlay)
alt_host=$(mktemp -d /tmp/berth-alt.XXXXXX)
TH_CLEANUP+=("rm -rf '$alt_host'")
# Docker 20.10 (docker.io), when installed, loads what berth saves and saves what berth loads
docker=()
[[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] &&
	docker=(--keep docker.service --keep docker.socket --keep containerd.service)
th_berth_host --net private --bind "$alt_host:/var/lib/berth-alt:rw" "${docker[@]}"
registry_up
registry_seed
echo "PASS: registries up and seeded"

store=/var/lib/berth
alt=/var/lib/berth-alt
W=/srv/berth-archive
stage=$(mktemp -d /tmp/berth-archive.XXXXXX)
install -D -m 0755 "$here/../helpers/archive-tool.py" "$stage/bin/archive-tool.py"
"$TH" "$TH_DIR" copy-in "$stage" "$W"
rm -rf "$stage"
tool() { th_exec python3 "$W/bin/archive-tool.py" "$@"; }
sk() { th_exec skopeo --insecure-policy "$@"; }
certs=(--src-cert-dir "$REG_CERTS_D/localhost:5000")

ids() { th_exec sh -c "ls $1/images | sort | tr '\n' ' '"; }
layers() { th_exec sh -c "ls $1/layers | sort | tr '\n' ' '"; }
tmp_empty() { [[ -z $(th_exec ls -A "$1/tmp") ]] || { echo "FAIL: work dirs left in $1/tmp: $(th_exec ls -A "$1/tmp")"; exit 1; }; }

# --- load: skopeo's docker-archive from a registry, then a container ---------------------------------------
sk copy -q "${certs[@]}" docker://localhost:5000/busybox:latest "docker-archive:$W/bb.tar:localhost:5000/busybox:latest"
expect 0 "Loaded image: localhost:5000/busybox:latest" load -i "$W/bb.tar"
b images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
assert_contains "$out" "localhost:5000/busybox:latest ${REG_BUSYBOX_CONFIG:7:12}" "the image ID is the config digest"
b run --rm localhost:5000/busybox:latest sh -c 'test -x /bin/busybox && cat /www/index.html'
assert_eq "berth registry fixture" "$out" "a container from the loaded docker-archive"
tmp_empty $store
echo "PASS: load of skopeo's docker-archive; run"

# --- compressed, on stdin ------------------------------------------------------------------------------------
b rmi localhost:5000/busybox:latest
th_exec sh -c "gzip -c $W/bb.tar > $W/bb.tar.gz && zstd -q -c $W/bb.tar > $W/bb.tar.zst && xz -c $W/bb.tar > $W/bb.tar.xz"
set +e
out=$(th_exec sh -c "berth load < $W/bb.tar.gz" 2>&1)
rc=$?
set -e
assert_eq 0 "$rc" "load of a gzip archive on stdin ($out)"
assert_contains "$out" "Loaded image: localhost:5000/busybox:latest"
expect 0 "Loaded image: localhost:5000/busybox:latest" load -q -i "$W/bb.tar.zst"
expect 0 "Loaded image: localhost:5000/busybox:latest" load --input "$W/bb.tar.xz"
set +e
out=$(th_exec script -qec "berth load" /dev/null 2>&1)
rc=$?
set -e
assert_eq 125 "$rc" "load from a terminal ($out)"
assert_contains "$out" "stdin is a terminal"
echo "PASS: gzip on stdin, zstd, xz; a terminal on stdin is refused"

# --- skopeo's oci-archive: the multi-layer image (gzip, zstd, uncompressed, whiteouts), an index ----------
sk copy -q "oci:$REG_OCI_LAYOUT:multi" "oci-archive:$W/multi-oci.tar:localhost/multi:oci"
expect 0 "Loaded image: localhost/multi:oci" load -i "$W/multi-oci.tar"
b image inspect -f '{{.Id}}' localhost/multi:oci
assert_eq "$REG_MULTI_CONFIG" "$out" "the OCI image's ID"
whiteouts='test ! -e /data/a && test ! -e /data/dir/x && echo $(cat /data/b /data/dir/y) $(ls -A /data/dir)'
b run --rm localhost/multi:oci sh -c "$whiteouts"
assert_eq "by y" "$out" "whiteouts and the opaque dir applied"
sk copy -q --all "oci:$REG_OCI_LAYOUT:multiarch" "oci-archive:$W/multiarch-oci.tar"
expect 0 "Loaded image ID: " load -i "$W/multiarch-oci.tar"
id=${out##*Loaded image ID: }
b run --rm "$id" cat /arch
assert_eq "$REG_ARCH" "$out" "the index entry of this machine"
tmp_empty $store
echo "PASS: load of skopeo's oci-archive (whiteouts, an index with an attestation; an untagged image by ID)"

# --- docker save's layouts: <= 24 (v1 directories) and >= 25 (OCI layout + manifest.json) ------------------
tool docker-legacy "$REG_OCI_LAYOUT" multi localhost/legacy:24 "$W/legacy.tar"
expect 0 "Loaded image: localhost/legacy:24" load -i "$W/legacy.tar"
tool docker-oci "$REG_OCI_LAYOUT" busybox docker25:v "$W/d25.tar"
expect 0 "Loaded image: docker25:v" load -i "$W/d25.tar"
b run --rm docker25:v echo ok
assert_eq "ok" "$out" "a container from the Docker 25 layout"
echo "PASS: load of Docker <= 24 and >= 25 save layouts"

# --- save: skopeo reads it, a fresh store loads it, whiteouts stay, save is a fixed point ----------------
expect 0 "" save -o "$W/saved.tar" localhost/multi:oci
assert_eq "" "$out" "save prints nothing"
sk inspect "docker-archive:$W/saved.tar:localhost/multi:oci" >/dev/null || { echo "FAIL: skopeo cannot read the saved archive with its tag"; exit 1; }
out=$(sk inspect --config "docker-archive:$W/saved.tar" | jq -r '.rootfs.diff_ids | length')
assert_eq 3 "$out" "three layers in the saved config"
out=$(sk inspect "docker-archive:$W/saved.tar" | jq -r '.Layers | length')
assert_eq 3 "$out" "three layer tars"
expect 0 "Loaded image: localhost/multi:oci" --root $alt load -i "$W/saved.tar"
b --root $alt run --rm localhost/multi:oci sh -c "$whiteouts"
assert_eq "by y" "$out" "whiteouts and the opaque dir survive save and load"
th_exec sh -c "berth --root $alt save localhost/multi:oci > $W/saved2.tar"
assert_eq "$(th_exec sha256sum "$W/saved.tar" | cut -d' ' -f1)" \
	"$(th_exec sha256sum "$W/saved2.tar" | cut -d' ' -f1)" "save, load, save gives the same archive"
tmp_empty $alt
echo "PASS: save; skopeo inspect; load into a fresh store; whiteouts kept; save/load/save is a fixed point"

# docker load of berth's archive, docker save into berth load (docker keeps the layer tars' bytes)
if ((${#docker[@]})); then
	th_exec systemctl start docker.service
	for ((i = 0; i < 150; i++)); do th_exec /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.2; done
	th_exec /usr/bin/docker load -i "$W/saved.tar" | grep -q "Loaded image: localhost/multi:oci" ||
		{ echo "FAIL: docker load of berth's archive"; exit 1; }
	out=$(th_exec /usr/bin/docker run --rm --network none localhost/multi:oci sh -c "$whiteouts")
	assert_eq "by y" "$out" "docker runs berth's saved image with its whiteouts"
	th_exec /usr/bin/docker save -o "$W/docker-saved.tar" localhost/multi:oci
	b --root $alt rmi localhost/multi:oci
	expect 0 "Loaded image: localhost/multi:oci" --root $alt load -i "$W/docker-saved.tar"
	b --root $alt image inspect -f '{{.Id}}' localhost/multi:oci
	assert_eq "sha256:$(th_exec sh -c "tar -xOf $W/saved.tar manifest.json | jq -r '.[0].Config'" | sed 's/\.json$//')" \
		"$out" "docker save of the loaded image gives berth the same image"
	b --root $alt run --rm localhost/multi:oci sh -c "$whiteouts"
	assert_eq "by y" "$out" "berth runs docker's saved image with its whiteouts"
	th_exec systemctl stop docker.service docker.socket containerd.service
	echo "PASS: docker load of berth's archive; berth load of docker save"
else
	echo "SKIP: docker interoperability (docker.io is not installed)"
fi

# the layers inside are what the config says, and whiteouts are tar whiteouts again
th_exec sh -c "mkdir -p $W/ex && tar -xf $W/saved.tar -C $W/ex"
for l in $(th_exec jq -r '.[0].Layers[]' "$W/ex/manifest.json"); do
	d=$(th_exec sha256sum "$W/ex/$l" | cut -d' ' -f1)
	assert_eq "$l" "$d.tar" "layer file named by its digest"
done
out=$(th_exec sh -c "for l in \$(jq -r '.[0].Layers[]' $W/ex/manifest.json); do tar -tf $W/ex/\$l; done")
assert_contains "$out" "data/.wh.a" "whiteout in tar form"
assert_contains "$out" "data/dir/.wh..wh..opq" "opaque whiteout in tar form"

# several images, name-only (every tag of the repository), an ID (no tag), a terminal
b tag localhost/multi:oci localhost/multi:second
expect 0 "" save -o "$W/two.tar" localhost/multi localhost:5000/busybox:latest
out=$(th_exec sh -c "tar -xOf $W/two.tar manifest.json | jq -c '[.[].RepoTags] | sort'")
assert_eq '[["localhost/multi:oci","localhost/multi:second"],["localhost:5000/busybox:latest"]]' "$out" "RepoTags"
b image inspect -f '{{.Id}}' localhost:5000/busybox
bbid=$out
expect 0 "" save -o "$W/byid.tar" "${bbid:7:12}"
expect 0 "Loaded image ID: sha256:" --root $alt load -i "$W/byid.tar"
set +e
out=$(th_exec script -qec "berth save localhost/multi:oci" /dev/null 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "save to a terminal"
assert_contains "$out" "Cowardly refusing to save to a terminal"
expect 1 "No such image: nosuch:1" save -o "$W/none.tar" nosuch:1
th_exec test ! -e "$W/none.tar" || { echo "FAIL: a failed save left its output"; exit 1; }
[[ -z $(th_exec sh -c "ls -A $W | grep berth-") ]] || { echo "FAIL: a temporary file of save was left"; exit 1; }
echo "PASS: save of several images, name-only and by ID; terminal refused; a failed save leaves no file"

# --- hostile archives: a clear error, no image, no layer, no work dir, nothing outside -----------------------
b --root $alt image prune -a -f
th_exec touch "$W/marker"
sums() { th_exec sh -c "sha256sum /etc/passwd /etc/shadow; ls -A / /var /var/lib $alt"; }
before=$(sums)
check_nothing() { # WHAT
	assert_eq "" "$(ids $alt)" "$1: no image"
	assert_eq "" "$(layers $alt)" "$1: no layer"
	tmp_empty $alt
	assert_eq "$before" "$(sums)" "$1: /etc/passwd, /etc/shadow and the directories around the store unchanged"
	out=$(th_exec find $alt $W -newer "$W/marker" -name x)
	assert_eq "" "$out" "$1: no file named x"
}
for kind in dotdot-member absolute-member layer-path-outside diffid-mismatch symlink-escape config-tampered; do
	tool hostile $kind "$W/bb.tar" "$W/h-$kind.tar"
	b --root $alt load -i "$W/h-$kind.tar"
	assert_eq 1 "$rc" "load of the '$kind' archive fails ($out)"
	echo "  $kind: ${out#*: }"
	case $kind in
	dotdot-member) assert_contains "$out" "archive member '../../x' has an unsafe name" ;;
	absolute-member) assert_contains "$out" "archive member '/x' has an unsafe name" ;;
	layer-path-outside) assert_contains "$out" "manifest.json names a layer outside the archive" ;;
	diffid-mismatch) assert_contains "$out" "but the image config says $REG_BUSYBOX_DIFF_ID" ;;
	symlink-escape) assert_contains "$out" "outside the archive" ;;
	config-tampered) assert_contains "$out" "has digest" ;;
	esac
	check_nothing "$kind"
done
tool hostile-oci layer-tampered "$W/multi-oci.tar" "$W/h-oci.tar"
b --root $alt load -i "$W/h-oci.tar"
assert_eq 1 "$rc" "load of an OCI archive with a tampered layer fails ($out)"
assert_contains "$out" "layer digest mismatch"
check_nothing "layer-tampered"
th_exec sh -c "head -c 300000 $W/bb.tar > $W/trunc.tar"
expect 1 "Failed to load" --root $alt load -i "$W/trunc.tar"
check_nothing "truncated"
expect 1 "the input is empty" --root $alt load -i /dev/null
echo "PASS: hostile archives fail cleanly and leave nothing"

# --- kill -9 while a load waits for more input: no image; the next exclusive lock sweeps its work dir ------
th_exec sh -c "rm -f $W/fifo; mkfifo $W/fifo
	berth --root $alt load -i $W/fifo >/dev/null 2>&1 & p=\$!
	exec 3>$W/fifo; head -c \$((\$(stat -c %s $W/bb.tar) / 2)) $W/bb.tar >&3; sleep 1; kill -9 \$p; wait \$p; exec 3>&-; rm -f $W/fifo" || true
assert_eq "" "$(ids $alt)" "a killed load leaves no image"
th_exec sh -c "ls $alt/tmp | grep -q '^load-'" || { echo "FAIL: the killed load's work dir is not there to sweep"; exit 1; }
expect 0 "Loaded image: localhost:5000/busybox:latest" --root $alt load -i "$W/bb.tar"
tmp_empty $alt
echo "PASS: a load killed with -9 leaves no image; the next load works and sweeps its work dir"

# --- push: anonymous TLS registry; again (nothing to send, same digest); a clean store pulls and runs it ----
saved_id=sha256:$(th_exec sh -c "tar -xOf $W/saved.tar manifest.json | jq -r '.[0].Config'" | sed 's/\.json$//')
b tag localhost/multi:oci localhost:5000/pushed/multi:1
expect 0 "The push refers to repository [localhost:5000/pushed/multi]" push localhost:5000/pushed/multi:1
assert_contains "$out" "Pushed"
sed 's/^/  /' <<<"$out"
digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p' <<<"$out")
[[ -n $digest ]] || { echo "FAIL: no 'TAG: digest: ... size: ...' line: $out"; exit 1; }
skc=(--cert-dir "$REG_CERTS_D/localhost:5000")
assert_eq "$digest" "$(sk inspect "${skc[@]}" docker://localhost:5000/pushed/multi:1 | jq -r .Digest)" "skopeo sees the pushed digest"
raw=$(sk inspect --raw "${skc[@]}" docker://localhost:5000/pushed/multi:1)
assert_eq "application/vnd.docker.distribution.manifest.v2+json 3" "$(jq -r '.mediaType + " " + (.layers | length | tostring)' <<<"$raw")" "a schema2 manifest with three layers"
assert_eq "$saved_id" "$(jq -r .config.digest <<<"$raw")" "push and save re-create the same config"
expect 0 "Layer already exists" push localhost:5000/pushed/multi:1
[[ $out != *"Pushed"* ]] || { echo "FAIL: a second push sent layers again: $out"; exit 1; }
assert_contains "$out" "1: digest: $digest" "a second push gives the same digest"
expect 0 "Digest: $digest" --root $alt pull localhost:5000/pushed/multi:1
b --root $alt run --rm localhost:5000/pushed/multi:1 sh -c "$whiteouts"
assert_eq "by y" "$out" "the pushed image, pulled into a clean store, runs with its whiteouts"
b --root $alt image inspect -f '{{.Id}}' localhost:5000/pushed/multi:1
assert_eq "$saved_id" "$out" "the pulled image is the saved one"
expect 0 "" push -q localhost:5000/pushed/multi:1
assert_eq "localhost:5000/pushed/multi:1" "$out" "push -q prints the reference"
expect 1 "An image does not exist locally with the tag: localhost:5000/nosuch" push localhost:5000/nosuch
echo "PASS: push to the TLS registry; skopeo inspect; a second push sends nothing; a clean store pulls and runs it"

# --- push with basic auth (login first) and token auth (push,pull scope) -------------------------------------
b tag localhost:5000/busybox:latest localhost:5001/pushed/bb:2
expect 1 "berth login localhost:5001" push localhost:5001/pushed/bb:2
expect 0 "Login Succeeded" login -u "$REG_USER" -p "$REG_PASSWORD" localhost:5001
expect 0 "Pushed" push localhost:5001/pushed/bb:2
sk inspect --cert-dir "$REG_CERTS_D/localhost:5001" --creds "$REG_USER:$REG_PASSWORD" docker://localhost:5001/pushed/bb:2 >/dev/null ||
	{ echo "FAIL: skopeo cannot inspect the image pushed with basic auth"; exit 1; }
b logout localhost:5001
b tag localhost:5000/busybox:latest localhost:5002/public/pushed:3
expect 1 "denied" push localhost:5002/public/pushed:3
expect 0 "Login Succeeded" login -u "$REG_USER" -p "$REG_PASSWORD" localhost:5002
b tag localhost:5000/busybox:latest localhost:5002/private/pushed:3
expect 0 "Pushed" push localhost:5002/private/pushed:3
out=$(th_exec curl -fsS --cacert "$REG_CA" "https://localhost:5003/stats")
assert_contains "$out" "repository:private/pushed:push,pull" "the token server was asked for the push scope"
b logout localhost:5002
b --root $alt image prune -a -f
expect 1 "denied" --root $alt pull localhost:5002/private/pushed:3
echo "PASS: push with basic auth after login, token auth with the push scope; anonymous push refused"
echo "PASS: test-archive"
