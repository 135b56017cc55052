#!/bin/bash
# Proves the registry fixture (registry-lib.sh) that berth's pull tests use, with skopeo as the client:
# TLS with the test CA, anonymous, basic and token auth, plain HTTP, the images and their digests exactly
# as built (zstd and uncompressed layers, whiteouts, an index with an attestation), a corrupted blob, the
# hostile server's misbehaviours, and a registry stopped and started again. Everything runs inside one
# test host; the EXIT trap destroys it and fails the test if anything was left behind.
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
echo "PASS: registries up"
registry_seed
echo "PASS: images built and pushed (busybox $REG_BUSYBOX_DIGEST)"

# skopeo inside the host; no policy.json needed, no credentials unless given
sk() { th_exec skopeo --insecure-policy "$@"; }
certs() { echo "--cert-dir=$REG_CERTS_D/localhost:$1"; }    # for inspect
scerts() { echo "--src-cert-dir=$REG_CERTS_D/localhost:$1"; } # for copy
# sk_fails WHAT ARGS...: skopeo must fail; its error output goes to $err
sk_fails() {
	local what=$1
	shift
	if err=$(sk "$@" 2>&1); then
		echo "FAIL: $what: skopeo $* succeeded"
		exit 1
	fi
}
creds=--creds=$REG_USER:$REG_PASSWORD

# --- the CA and TLS ------------------------------------------------------------------------------------------
for p in 5000 5001 5002 5003 5005; do
	assert_eq "$(th_exec cat "$REG_CA")" "$(th_exec cat "$REG_CERTS_D/localhost:$p/ca.crt")" "CA installed for :$p"
done
# both SANs: localhost and 127.0.0.1
assert_eq 200 "$(th_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" https://127.0.0.1:5000/v2/)" \
	"TLS to 127.0.0.1"
sk_fails "TLS without the test CA" inspect --raw docker://localhost:5000/busybox:latest
assert_contains "$err" "certificate signed by unknown authority" "skopeo rejects the server without the CA"
echo "PASS: TLS with the test CA"

# --- anonymous: 5000 (TLS) and 5004 (plain HTTP) -------------------------------------------------------------
assert_eq "$REG_BUSYBOX_DIGEST" "$(sk inspect "$(certs 5000)" --format '{{.Digest}}' \
	docker://localhost:5000/busybox:latest)" "busybox digest on :5000"
sk copy -q "$(scerts 5000)" docker://localhost:5000/busybox:latest oci:/tmp/bb:latest
assert_eq "$REG_BUSYBOX_DIGEST" "$(th_exec jq -r '.manifests[0].digest' /tmp/bb/index.json)" "pulled busybox"
th_exec test -s "/tmp/bb/blobs/sha256/${REG_BUSYBOX_LAYER#sha256:}"
assert_contains "$(th_exec sh -c "tar -tzf /tmp/bb/blobs/sha256/${REG_BUSYBOX_LAYER#sha256:}")" "bin/busybox" \
	"busybox layer content"
assert_eq '["sh"]' "$(th_exec jq -c .config.Cmd "/tmp/bb/blobs/sha256/${REG_BUSYBOX_CONFIG#sha256:}")" "busybox Cmd"

# multi over plain HTTP, compression of every layer kept as built
sk_fails "plain HTTP with TLS verification" inspect --raw docker://localhost:5004/multi:latest
raw=$(sk inspect --raw --tls-verify=false docker://localhost:5004/multi:latest)
assert_eq "$(printf '%s\n' "${REG_MULTI_LAYER_TYPES[@]}")" "$(jq -r '.layers[].mediaType' <<<"$raw")" \
	"multi's layer media types (gzip, zstd, uncompressed) on :5004"
assert_eq "$REG_MULTI_DIGEST" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "multi's raw manifest digest"
# (skopeo's oci: destination would gzip the uncompressed layer without the flag)
sk copy -q --src-tls-verify=false --dest-oci-accept-uncompressed-layers docker://localhost:5004/multi:latest \
	oci:/tmp/multi:latest
blob() { echo "/tmp/multi/blobs/sha256/${1#sha256:}"; }
assert_eq "$(printf '%s\n' data/ data/a data/b data/dir/ data/dir/x)" \
	"$(th_exec sh -c "zstd -dc $(blob "${REG_MULTI_LAYERS[1]}") | tar -tf -")" "multi layer 2 (zstd)"
assert_eq "$(printf '%s\n' data/ data/.wh.a data/dir/ data/dir/.wh..wh..opq data/dir/y)" \
	"$(th_exec tar -tf "$(blob "${REG_MULTI_LAYERS[2]}")")" "multi layer 3 (whiteouts, uncompressed)"
assert_eq "${REG_MULTI_DIFF_IDS[2]}" "${REG_MULTI_LAYERS[2]}" "an uncompressed layer's digest is its diff_id"
echo "PASS: anonymous pulls from :5000 (TLS) and :5004 (HTTP), layers as built"

# --- basic auth: 5001 ----------------------------------------------------------------------------------------
assert_eq "$REG_BUSYBOX_DIGEST" "$(sk inspect "$(certs 5001)" "$creds" --format '{{.Digest}}' \
	docker://localhost:5001/busybox:latest)" "busybox on :5001 with credentials"
sk_fails "basic auth, wrong password" inspect --raw "$(certs 5001)" --creds=berth:wrong \
	docker://localhost:5001/busybox:latest
assert_contains "$err" "unauthorized" "wrong password on :5001"
sk_fails "basic auth, no credentials" inspect --raw "$(certs 5001)" --no-creds docker://localhost:5001/busybox:latest
echo "PASS: basic auth on :5001"

# --- token auth: 5002 + 5003 ---------------------------------------------------------------------------------
assert_eq "$REG_BUSYBOX_DIGEST" "$(sk inspect "$(certs 5002)" --no-creds --format '{{.Digest}}' \
	docker://localhost:5002/public/busybox:latest)" "anonymous pull of public/ on :5002"
sk copy -q "$(scerts 5002)" --src-no-creds docker://localhost:5002/public/multi:latest oci:/tmp/pubmulti:latest
sk_fails "anonymous pull of private/" inspect --raw "$(certs 5002)" --no-creds \
	docker://localhost:5002/private/busybox:latest
assert_contains "$err" "unauthorized" "private/ without credentials"
assert_eq "$REG_BUSYBOX_DIGEST" "$(sk inspect "$(certs 5002)" "$creds" --format '{{.Digest}}' \
	docker://localhost:5002/private/busybox:latest)" "private/ with credentials"
sk_fails "token auth, wrong password" inspect --raw "$(certs 5002)" --creds=berth:wrong \
	docker://localhost:5002/private/busybox:latest
sk_fails "anonymous push" copy -q --src-tls-verify=false --dest-cert-dir="$REG_CERTS_D/localhost:5002" \
	--dest-no-creds docker://localhost:5004/busybox:latest docker://localhost:5002/public/pushed:latest

# the token server itself: what it grants
token_claims() { # CURL-ARGS... -> the JWT's claims
	local tok
	tok=$(th_exec curl -fsS --cacert "$REG_CA" "$@" | jq -r .token)
	python3 -c 'import base64, sys; p = sys.argv[1].split(".")[1]; print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$tok"
}
url="$REG_TOKEN_REALM?service=$REG_TOKEN_SERVICE&scope=repository:public/busybox:pull,push&scope=repository:private/busybox:pull"
claims=$(token_claims "$url")
assert_eq '[{"type":"repository","name":"public/busybox","actions":["pull"]}]' "$(jq -c .access <<<"$claims")" \
	"anonymous token: pull on public/ only"
assert_eq "$REG_TOKEN_ISSUER $REG_TOKEN_SERVICE" "$(jq -r '"\(.iss) \(.aud)"' <<<"$claims")" "token issuer and audience"
claims=$(token_claims -u "$REG_USER:$REG_PASSWORD" "$url")
assert_eq '["pull,push","pull"]' "$(jq -c '[.access[].actions | join(",")]' <<<"$claims")" "berth's token: all"
assert_eq 401 "$(th_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" -u berth:nope "$url")" \
	"token with a wrong password"
assert_eq 400 "$(th_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$REG_CA" "$REG_TOKEN_REALM?scope=x")" \
	"token without service"
claims=$(token_claims --data-urlencode grant_type=password --data-urlencode "username=$REG_USER" \
	--data-urlencode "password=$REG_PASSWORD" --data-urlencode "service=$REG_TOKEN_SERVICE" \
	--data-urlencode "scope=repository:private/multi:pull" "$REG_TOKEN_REALM")
assert_eq '[{"type":"repository","name":"private/multi","actions":["pull"]}]' "$(jq -c .access <<<"$claims")" \
	"OAuth2 password grant"
echo "PASS: token auth on :5002 with the token server on :5003"

# --- multiarch: an index with two platforms and an attestation -----------------------------------------------
raw=$(sk inspect --raw "$(certs 5000)" docker://localhost:5000/multiarch:latest)
assert_eq "$REG_MULTIARCH_DIGEST" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "multiarch index digest"
assert_eq application/vnd.oci.image.index.v1+json "$(jq -r .mediaType <<<"$raw")" "multiarch is an OCI index"
assert_eq "$REG_PLATFORM $REG_MULTIARCH_NATIVE_DIGEST
$REG_OTHER_PLATFORM $REG_MULTIARCH_OTHER_DIGEST
unknown/unknown $REG_MULTIARCH_ATTEST_DIGEST" \
	"$(jq -r '.manifests[] | "\(.platform | [.os, .architecture, .variant // empty] | join("/")) \(.digest)"' \
		<<<"$raw")" "multiarch platforms"
assert_eq "attestation-manifest $REG_MULTIARCH_NATIVE_DIGEST" \
	"$(jq -r '.manifests[2].annotations | "\(.["vnd.docker.reference.type"]) \(.["vnd.docker.reference.digest"])"' \
		<<<"$raw")" "attestation annotations"
for p in "public/" "private/"; do
	assert_eq "$REG_MULTIARCH_DIGEST" "$(sk inspect --raw "$(certs 5002)" "$creds" \
		"docker://localhost:5002/${p}multiarch:latest" | sha256sum | sed 's/^/sha256:/; s/ .*//')" \
		"multiarch on :5002 under $p"
done
sk copy -q "$(scerts 5000)" docker://localhost:5000/multiarch:latest oci:/tmp/ma:latest
assert_eq "$REG_MULTIARCH_NATIVE_DIGEST" "$(th_exec jq -r '.manifests[0].digest' /tmp/ma/index.json)" \
	"skopeo picks the native platform"
sk --override-arch "$REG_OTHER_ARCH" copy -q "$(scerts 5000)" docker://localhost:5000/multiarch:latest \
	oci:/tmp/ma-other:latest
assert_eq "$REG_OTHER_ARCH" "$(th_exec sh -c "tar -xzOf /tmp/ma-other/blobs/sha256/${REG_MULTIARCH_OTHER_LAYER#sha256:} arch")" \
	"the other platform's /arch"
echo "PASS: multiarch index"

# --- the hostile server on 5005 ------------------------------------------------------------------------------
hostile() { # PATH [curl args]: prints "CURL-EXIT HTTP-CODE SHA256-OF-BODY"
	local path=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	th_exec sh -c 'ca=$1; shift; : >/tmp/h.body; curl -s --cacert "$ca" --max-time 2 -o /tmp/h.body -w "%{http_code}" "$@" > /tmp/h.code; \
		echo "$? $(cat /tmp/h.code) sha256:$(sha256sum < /tmp/h.body | cut -d" " -f1)"' \
		sh "$REG_CA" "$@" "https://localhost:5005$path"
}
layer=/blobs/$REG_BUSYBOX_LAYER
assert_eq "0 200 $REG_BUSYBOX_LAYER" "$(hostile "/v2/ok$layer")" "hostile ok: blob"
assert_eq "18 200" "$(hostile "/v2/badlen$layer" | cut -d' ' -f1,2)" "hostile badlen: short read"
out=$(hostile "/v2/shortlen$layer")
assert_eq "0 200" "${out% *}" "hostile shortlen: no transport error"
[[ ${out##* } != "$REG_BUSYBOX_LAYER" ]] || { echo "FAIL: shortlen served the whole blob"; exit 1; }
assert_eq "18 200" "$(hostile "/v2/trunc$layer" | cut -d' ' -f1,2)" "hostile trunc"
assert_eq "28 200" "$(hostile "/v2/stall$layer" | cut -d' ' -f1,2)" "hostile stall: headers, then timeout"
assert_eq "28 000" "$(hostile "/v2/hang$layer" | cut -d' ' -f1,2)" "hostile hang: no answer"
assert_eq "0 307" "$(hostile "/v2/redirect$layer" | cut -d' ' -f1,2)" "hostile redirect"
assert_eq "0 200 $REG_BUSYBOX_LAYER" "$(hostile "/v2/redirect$layer" -L)" "hostile redirect, followed"
assert_eq "0 200 $REG_BUSYBOX_DIGEST" "$(hostile /v2/trunc/manifests/latest)" "hostile: a good manifest for tags"
assert_eq "18 200" "$(hostile /v2/trunc/manifests/manifest | cut -d' ' -f1,2)" "hostile: tag 'manifest' misbehaves"
assert_fail th_exec sh -c "curl -fsS --cacert $REG_CA https://localhost:5005/v2/garbage/manifests/latest | jq . >/dev/null 2>&1"
sk copy -q "$(scerts 5005)" docker://localhost:5005/ok:latest oci:/tmp/hostile-ok:latest
sk_fails "pull from the hostile trunc repository" copy -q --retry-times 0 "$(scerts 5005)" \
	docker://localhost:5005/trunc:latest oci:/tmp/hostile-trunc:latest
sk_fails "pull from the hostile shortlen repository" copy -q "$(scerts 5005)" \
	docker://localhost:5005/shortlen:latest oci:/tmp/hostile-short:latest
sk_fails "inspect of a garbage manifest" inspect "$(certs 5005)" docker://localhost:5005/garbage:latest
echo "PASS: hostile server on :5005"

# --- a corrupted blob (the zstd layer, used by multi only) ----------------------------------------------------
registry_corrupt_blob 5000 "${REG_MULTI_LAYERS[1]}"
sk_fails "pull of a corrupted blob" copy -q "$(scerts 5000)" docker://localhost:5000/multi:latest oci:/tmp/bad:latest
assert_contains "$err" "${REG_MULTI_LAYERS[1]#sha256:}" "skopeo names the corrupted blob"
sk copy -q "$(scerts 5000)" docker://localhost:5000/busybox:latest oci:/tmp/bb2:latest
echo "PASS: a corrupted blob fails the pull; other images still pull"

# --- a registry stopped and started again ---------------------------------------------------------------------
registry_stop 5004
sk_fails "inspect while :5004 is stopped" inspect --raw --tls-verify=false docker://localhost:5004/busybox:latest
registry_up
assert_eq "$REG_BUSYBOX_DIGEST" "$(sk inspect --tls-verify=false --format '{{.Digest}}' \
	docker://localhost:5004/busybox:latest)" ":5004 serves its storage again"
echo "PASS: registry_stop and registry_up"

echo "PASS: test-registry-fixture"
