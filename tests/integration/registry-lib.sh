# shellcheck shell=bash
# Registry fixture for berth's pull tests: real registries (and a token server and a hostile server) inside a
# booted test host, seeded with images built offline. Source it after lib.sh; every server runs inside
# $TH_DIR as a transient unit and listens on the host's own loopback only.
#
#   . "$here/lib.sh"; . "$here/registry-lib.sh"
#   th_require; registry_require          # skip (77) or fail when skopeo, docker-registry, ... are missing
#   th_berth_host --net private
#   registry_up                           # start everything below and wait until each port answers
#   registry_seed                         # build and push the images; sets the REG_* digests below
#   th_exec skopeo inspect --cert-dir "$REG_CERTS_D/localhost:5000" docker://localhost:5000/busybox
#   registry_corrupt_blob 5000 "$REG_BUSYBOX_LAYER"     # the next pull of that blob must fail
#
# Functions
#   registry_require                  skip/fail unless the packages (tools/deps.sh) are installed
#   registry_up                       (again after a `th restart` or registry_stop: keeps certs and storage)
#   registry_seed                     (re)builds the layout and pushes it everywhere; loads $REG_DIR/vars.sh
#   registry_corrupt_blob PORT DIGEST [flip|truncate]
#                                     flip (default): one byte in the middle of the stored blob is inverted,
#                                     size unchanged (only a digest check catches it); truncate: cut to half.
#                                     Storage is content-addressed, so every repository of that registry
#                                     that uses the blob is affected.
#   registry_stop PORT                stop one server (a registry that is down); registry_up restarts it
#
# Ports (all inside the test host; `localhost` = 127.0.0.1; TLS with the fixture's own CA)
#   5000  docker-registry (distribution 2.8), TLS, anonymous push and pull
#   5001  docker-registry, TLS, htpasswd basic auth: $REG_USER / $REG_PASSWORD (berth / s3cret)
#   5002  docker-registry, TLS, token auth: realm $REG_TOKEN_REALM, service $REG_TOKEN_SERVICE,
#         issuer $REG_TOKEN_ISSUER, rootcertbundle = the test CA
#   5003  token server (tests/helpers/registry-token-server.py), TLS: GET /token (Basic or anonymous) and
#         POST /token (OAuth2 password and refresh_token grants). Anonymous: "pull" on public/* only;
#         berth:s3cret: every requested action on everything; a wrong password: 401; a wrong or missing
#         service: 400. GET /stats shows how many tokens were issued and denied, and the last requests.
#   5004  docker-registry, plain HTTP, anonymous (for insecure-registry configuration)
#   5005  hostile server (tests/helpers/registry-hostile-server.py), TLS, anonymous, serving the busybox
#         image under repository names that choose the misbehaviour. Blobs always misbehave; manifests only
#         for the tag "manifest" (`localhost:5005/trunc:manifest`), other tags get the good manifest:
#           ok        behaves (control)
#           badlen    Content-Length 512 larger than the body, all real bytes sent, then the connection closes
#           shortlen  Content-Length 1 smaller than the body and that many bytes sent, connection kept
#           trunc     right Content-Length, half the body, connection closed
#           stall     headers and half the body, then silence until the client hangs up
#           hang      never answers (not even HEAD)
#           garbage   every manifest is 200 with the OCI manifest media type and a body that is not JSON
#           redirect  blob GETs answer 307 to /_blobs/DIGEST on the same server, which serves them correctly
#
# The CA is installed as $REG_CERTS_D/localhost:PORT/ca.crt (PORT 5000 5001 5002 5003 5005), where berth
# looks, i.e. /etc/berth/certs.d/..., and is at $REG_CA. Registry storage is $REG_STORAGE_<PORT>
# (blobs under docker/registry/v2/blobs/sha256/XX/HEX/data). Paths are inside the test host.
#
# Images (registry_seed). Every registry gets busybox:latest, multi:latest and multiarch:latest (5002 under
# both public/ and private/, e.g. localhost:5002/public/busybox); 5001 and 5002 are pushed with credentials.
# All are OCI (manifest/index media types application/vnd.oci.image.*), built by hand from busybox-static
# with fixed mtimes and owners, so digests change only with the busybox package or the tools. Pushed with
# `skopeo copy --preserve-digests`: the registries hold exactly the layout's bytes (the self-test checks).
#   busybox:latest   one gzip layer: /bin/busybox and links sh cat ls echo httpd sleep true env id wget,
#                    /etc/passwd and group (root, nobody), /www/index.html, /tmp (1777); Cmd ["sh"];
#                    label org.opencontainers.image.title=busybox
#       REG_BUSYBOX_DIGEST (manifest), REG_BUSYBOX_CONFIG, REG_BUSYBOX_LAYER (gzip blob), REG_BUSYBOX_DIFF_ID
#   multi:latest     3 layers: [0] the busybox layer (gzip, the same blob), [1] zstd: /data/a, /data/b,
#                    /data/dir/x; [2] uncompressed tar: /data/.wh.a and /data/dir/.wh..wh..opq whiteouts,
#                    /data/dir/y. Result: /data/b (content "b") and /data/dir/y ("y"); no /data/a, /data/dir/x.
#       REG_MULTI_DIGEST, REG_MULTI_CONFIG, arrays REG_MULTI_LAYERS, REG_MULTI_LAYER_TYPES, REG_MULTI_DIFF_IDS
#   multiarch:latest an OCI index: linux/$REG_ARCH (busybox layer + a gzip layer with /arch = "$REG_ARCH\n"),
#                    linux/$REG_OTHER_ARCH (variant v8 for arm64; one layer: /arch = "$REG_OTHER_ARCH\n",
#                    /README, a text /bin/sh; not runnable), and a BuildKit-style attestation manifest
#                    (platform unknown/unknown, annotations vnd.docker.reference.type=attestation-manifest
#                    and vnd.docker.reference.digest=the native manifest; one application/vnd.in-toto+json layer)
#       REG_MULTIARCH_DIGEST (index), REG_MULTIARCH_NATIVE_DIGEST, array REG_MULTIARCH_NATIVE_LAYERS (busybox,
#       /arch), REG_MULTIARCH_OTHER_DIGEST, REG_MULTIARCH_OTHER_LAYER, REG_MULTIARCH_ATTEST_DIGEST;
#       REG_ARCH, REG_PLATFORM (amd64, linux/amd64 here), REG_OTHER_ARCH, REG_OTHER_PLATFORM (arm64, linux/arm64/v8)
# The OCI layout itself stays at $REG_OCI_LAYOUT (refs busybox, multi, multiarch) inside the host.

# shellcheck disable=SC2034 # the API: used by the tests that source this file
{
	REG_DIR=/srv/berth-registry
	REG_CA=$REG_DIR/certs/ca.crt
	REG_CERTS_D=/etc/berth/certs.d
	REG_OCI_LAYOUT=$REG_DIR/oci
	REG_USER=berth
	REG_PASSWORD=s3cret
	REG_TOKEN_REALM=https://localhost:5003/token
	REG_TOKEN_SERVICE=berth-test-registry
	REG_TOKEN_ISSUER=berth-test
	REG_STORAGE_5000=$REG_DIR/storage/5000
	REG_STORAGE_5001=$REG_DIR/storage/5001
	REG_STORAGE_5002=$REG_DIR/storage/5002
	REG_STORAGE_5004=$REG_DIR/storage/5004
}
_REG_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../helpers" && pwd)

registry_require() {
	local c
	for c in docker-registry skopeo python3 openssl htpasswd curl jq gzip zstd tar; do
		command -v "$c" >/dev/null || th_skip_or_fail "missing command: $c (run tools/deps.sh)"
	done
	if ! [[ -x /bin/busybox ]] || ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
		th_skip_or_fail "/bin/busybox is not busybox-static"
	fi
}

_registry_fixture() {
	th_exec bash "$REG_DIR/bin/registry-fixture.sh" "$@"
}

registry_up() {
	local stage f
	[[ -n ${TH_DIR:-} ]] || { echo "FAIL: registry_up needs a booted test host (th_new or th_berth_host)"; exit 1; }
	stage=$(mktemp -d /tmp/berth-regfix.XXXXXX)
	mkdir "$stage/bin"
	for f in registry-fixture.sh registry-token-server.py registry-hostile-server.py; do
		install -m 0755 "$_REG_HELPERS/$f" "$stage/bin/$f"
	done
	if ! "$TH" "$TH_DIR" copy-in "$stage" "$REG_DIR"; then
		rm -rf "$stage"
		echo "FAIL: copying the registry fixture into $TH_DIR"
		exit 1
	fi
	rm -rf "$stage"
	_registry_fixture up "$REG_DIR" || { echo "FAIL: registry_up"; exit 1; }
}

registry_seed() {
	local vars
	vars=$(_registry_fixture seed "$REG_DIR") || { echo "FAIL: registry_seed"; exit 1; }
	[[ $vars =~ REG_BUSYBOX_DIGEST=\"sha256:[0-9a-f]{64}\" ]] ||
		{ echo "FAIL: registry_seed printed no digests: $vars"; exit 1; }
	eval "$vars"
}

registry_corrupt_blob() {
	_registry_fixture corrupt "$REG_DIR" "$@" || { echo "FAIL: registry_corrupt_blob $*"; exit 1; }
}

registry_stop() {
	_registry_fixture stop "$REG_DIR" "$@"
}
