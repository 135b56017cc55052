#!/bin/bash
# Runs INSIDE a test host, driven by tests/integration/registry-lib.sh (which documents what it serves).
#
#   registry-fixture.sh up DIR                 test CA and certs, htpasswd, configs; starts every server
#                                              as a transient unit (again if stopped) and waits for it
#   registry-fixture.sh seed DIR               builds the OCI layout DIR/oci offline, pushes it with skopeo
#                                              into every registry, writes the digests to DIR/vars.sh
#   registry-fixture.sh corrupt DIR PORT DIGEST [flip|truncate]
#   registry-fixture.sh stop DIR PORT
#
# DIR holds bin/ (this script and the python servers), certs/, auth/, conf/, storage/PORT/, oci/, vars.sh.
set -euo pipefail

cmd=${1:?usage: registry-fixture.sh up|seed|corrupt|stop DIR ...}
DIR=${2:?usage: registry-fixture.sh CMD DIR ...}
shift 2

readonly USER_NAME=berth PASSWORD=s3cret
readonly SERVICE=berth-test-registry ISSUER=berth-test
readonly CERTS_D=/etc/berth/certs.d
readonly REGISTRY_PORTS=(5000 5001 5002 5004)
readonly CERTS=$DIR/certs OCI=$DIR/oci
readonly CA=$CERTS/ca.crt
# fixed, so layer and manifest digests depend only on the busybox binary and the tools' versions
readonly EPOCH=1704067200 CREATED=2024-01-01T00:00:00Z

die() {
	echo "registry-fixture: $*" >&2
	exit 1
}

unit_of() {
	case $1 in
	5003) echo regfix-token-5003 ;;
	5005) echo regfix-hostile-5005 ;;
	*) echo "regfix-registry-$1" ;;
	esac
}

# --- up ----------------------------------------------------------------------------------------------------

gen_certs() {
	[[ -s $CERTS/ca.crt && -s $CERTS/server.crt && -s $CERTS/token.crt ]] && return 0
	rm -rf "$CERTS"
	mkdir -p "$CERTS"
	(
		cd "$CERTS"
		openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ca.key -out ca.crt \
			-days 3650 -subj "/CN=berth test CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
			2>/dev/null
		# the servers' certificate: localhost and 127.0.0.1
		openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout server.key -out server.csr \
			-subj /CN=localhost 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 3650 \
			-extfile server.ext -out server.crt 2>/dev/null
		# the token signer (RS256; the registry verifies its chain up to the CA through the x5c header)
		openssl req -new -nodes -newkey rsa:2048 -keyout token.key -out token.csr \
			-subj "/CN=berth test token signer" 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >token.ext
		openssl x509 -req -in token.csr -CA ca.crt -CAkey ca.key -set_serial 3 -days 3650 \
			-extfile token.ext -out token.crt 2>/dev/null
		rm -f ./*.csr ./*.ext
	)
}

install_ca() {
	local p
	for p in 5000 5001 5002 5003 5005; do
		mkdir -p "$CERTS_D/localhost:$p"
		cp "$CA" "$CERTS_D/localhost:$p/ca.crt"
	done
}

write_config() { # PORT
	local port=$1 conf=$DIR/conf/$1.yml
	mkdir -p "$DIR/conf" "$DIR/storage/$port"
	{
		cat <<-EOF
			version: 0.1
			log:
			  level: info
			  fields: {service: registry-$port}
			storage:
			  filesystem: {rootdirectory: $DIR/storage/$port}
			  delete: {enabled: true}
			  cache: {blobdescriptor: inmemory}
			http:
			  addr: 127.0.0.1:$port
			  secret: berth-test-$port
		EOF
		if [[ $port != 5004 ]]; then
			cat <<-EOF
				  tls:
				    certificate: $CERTS/server.crt
				    key: $CERTS/server.key
			EOF
		fi
		case $port in
		5001)
			cat <<-EOF
				auth:
				  htpasswd:
				    realm: berth-test
				    path: $DIR/auth/htpasswd
			EOF
			;;
		5002)
			cat <<-EOF
				auth:
				  token:
				    realm: https://localhost:5003/token
				    service: $SERVICE
				    issuer: $ISSUER
				    rootcertbundle: $CA
			EOF
			;;
		esac
	} >"$conf"
}

start_unit() { # PORT CMD...
	local unit
	unit=$(unit_of "$1")
	shift
	systemctl is-active -q "$unit.service" && return 0
	systemctl reset-failed "$unit.service" 2>/dev/null || true
	systemd-run -q --unit="$unit" --collect -p Description="berth test registry fixture: $unit" "$@"
}

# PORT URL: waits (20 s at most) until the server answers with the HTTP status it gives when ready
wait_ready() {
	local port=$1 url=$2 want code i unit
	unit=$(unit_of "$port")
	case $port in 5001 | 5002) want=401 ;; *) want=200 ;; esac
	for ((i = 0; i < 400; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CA" "$url" || true)
		[[ $code == "$want" ]] && return 0
		if ! systemctl is-active -q "$unit.service"; then
			journalctl --no-pager -n 20 -u "$unit.service" >&2 || true
			die "$unit is not running (last answer: HTTP $code)"
		fi
		sleep 0.05
	done
	journalctl --no-pager -n 20 -u "$unit.service" >&2 || true
	die "$unit did not answer $url with $want within 20 s (last answer: HTTP $code)"
}

cmd_up() {
	local p
	command -v docker-registry >/dev/null || die "docker-registry is not installed"
	gen_certs
	install_ca
	mkdir -p "$DIR/auth" "$OCI"
	[[ -s $DIR/auth/htpasswd ]] || htpasswd -Bbc "$DIR/auth/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
	for p in "${REGISTRY_PORTS[@]}"; do
		write_config "$p"
		start_unit "$p" docker-registry serve "$DIR/conf/$p.yml"
	done
	start_unit 5003 python3 "$DIR/bin/registry-token-server.py" --port 5003 \
		--tls-cert "$CERTS/server.crt" --tls-key "$CERTS/server.key" \
		--sign-cert "$CERTS/token.crt" --sign-key "$CERTS/token.key" \
		--issuer "$ISSUER" --service "$SERVICE" --user "$USER_NAME" --password "$PASSWORD"
	start_unit 5005 python3 "$DIR/bin/registry-hostile-server.py" --port 5005 \
		--tls-cert "$CERTS/server.crt" --tls-key "$CERTS/server.key" --layout "$OCI" --ref busybox
	wait_ready 5000 https://localhost:5000/v2/
	wait_ready 5001 https://localhost:5001/v2/
	wait_ready 5002 https://localhost:5002/v2/
	wait_ready 5003 "https://localhost:5003/token?service=$SERVICE"
	wait_ready 5004 http://localhost:5004/v2/
	wait_ready 5005 https://localhost:5005/v2/
}

# --- seed: an OCI layout built by hand ---------------------------------------------------------------------

readonly MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
readonly MT_INDEX=application/vnd.oci.image.index.v1+json
readonly MT_CONFIG=application/vnd.oci.image.config.v1+json
readonly MT_LAYER=application/vnd.oci.image.layer.v1.tar

# blob_put FILE: moves FILE into the layout; sets BLOB_DIGEST and BLOB_SIZE
blob_put() {
	local hex
	hex=$(sha256sum "$1" | cut -d' ' -f1)
	BLOB_DIGEST=sha256:$hex
	BLOB_SIZE=$(stat -c %s "$1")
	mv -f "$1" "$OCI/blobs/sha256/$hex"
}

# json_put STRING: stores STRING (exactly those bytes) as a blob
json_put() {
	printf '%s' "$1" >"$WORK/json"
	blob_put "$WORK/json"
}

# layer SRCDIR gzip|zstd|none: tars SRCDIR (sorted, owner 0:0, fixed mtime, names without "./"), compresses
# it and appends its descriptor and diff_id to the image being built (image_begin ... image_end)
layer() {
	local src=$1 comp=$2 tar=$WORK/layer.tar mt=$MT_LAYER top
	mapfile -t top < <(cd "$src" && LC_ALL=C ls -A)
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" --format=gnu \
		-C "$src" -cf "$tar" -- "${top[@]}"
	IMG_DIFF_IDS+=("sha256:$(sha256sum "$tar" | cut -d' ' -f1)")
	case $comp in
	gzip)
		gzip -n -c "$tar" >"$tar.c"
		mt+=+gzip
		;;
	zstd)
		zstd -q -c "$tar" >"$tar.c"
		mt+=+zstd
		;;
	none) cp "$tar" "$tar.c" ;;
	*) die "layer: unknown compression $comp" ;;
	esac
	blob_put "$tar.c"
	IMG_LAYERS+=("$(jq -cn --arg mt "$mt" --arg d "$BLOB_DIGEST" --argjson s "$BLOB_SIZE" \
		'{mediaType: $mt, digest: $d, size: $s}')")
}

image_begin() {
	IMG_LAYERS=()
	IMG_DIFF_IDS=()
}

# image_end NAME ARCH [VARIANT]: writes config and manifest; sets IMG_DIGEST, IMG_SIZE, IMG_CONFIG
image_end() {
	local name=$1 arch=$2 variant=${3:-} config
	config=$(jq -cnj --arg created "$CREATED" --arg arch "$arch" --arg variant "$variant" --arg name "$name" \
		--args '{
			created: $created, architecture: $arch, os: "linux",
			config: {
				Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
				Cmd: ["sh"],
				Labels: {"org.opencontainers.image.title": $name}
			},
			rootfs: {type: "layers", diff_ids: $ARGS.positional},
			history: [$ARGS.positional[] | {created: $created, created_by: "berth registry fixture"}]
		} | if $variant != "" then .variant = $variant else . end' "${IMG_DIFF_IDS[@]}")
	json_put "$config"
	IMG_CONFIG=$BLOB_DIGEST
	json_put "$(jq -cnj --arg mt "$MT_MANIFEST" --arg cmt "$MT_CONFIG" --arg cd "$BLOB_DIGEST" \
		--argjson cs "$BLOB_SIZE" --jsonargs \
		'{schemaVersion: 2, mediaType: $mt, config: {mediaType: $cmt, digest: $cd, size: $cs},
		  layers: $ARGS.positional}' "${IMG_LAYERS[@]}")"
	IMG_DIGEST=$BLOB_DIGEST
	IMG_SIZE=$BLOB_SIZE
}

busybox_rootfs() { # DIR
	local r=$1 a
	mkdir -p "$r"/{bin,etc,root,tmp,www}
	chmod 0755 "$r" "$r"/{bin,etc,www}
	chmod 0700 "$r/root"
	chmod 1777 "$r/tmp"
	install -m 0755 /bin/busybox "$r/bin/busybox"
	for a in sh cat ls echo httpd sleep true env id wget; do
		ln -s /bin/busybox "$r/bin/$a"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
		>"$r/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$r/etc/group"
	printf 'berth registry fixture\n' >"$r/www/index.html"
	chmod 0644 "$r"/etc/{passwd,group} "$r/www/index.html"
}

# files DIR PATH=CONTENT...: a layer tree with those regular files (0644; parents 0755)
files() {
	local r=$1 kv
	shift
	mkdir -p "$r"
	for kv in "$@"; do
		mkdir -p "$(dirname "$r/${kv%%=*}")"
		printf '%s' "${kv#*=}" >"$r/${kv%%=*}"
	done
	find "$r" -type d -exec chmod 0755 {} +
	find "$r" -type f -exec chmod 0644 {} +
}

build_layout() {
	local native other native_variant='' other_variant='' d bb_layer multiarch_native arm attest
	case $(dpkg --print-architecture) in
	amd64) native=amd64 other=arm64 other_variant=v8 ;;
	arm64) native=arm64 native_variant=v8 other=amd64 ;;
	*) die "unsupported machine architecture $(dpkg --print-architecture)" ;;
	esac
	rm -rf "$OCI"
	mkdir -p "$OCI/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"

	# busybox: one gzip layer
	busybox_rootfs "$WORK/bb"
	image_begin
	layer "$WORK/bb" gzip
	bb_layer=${IMG_LAYERS[0]}
	image_end busybox "$native" "$native_variant"
	V_BUSYBOX_DIGEST=$IMG_DIGEST V_BUSYBOX_SIZE=$IMG_SIZE V_BUSYBOX_CONFIG=$IMG_CONFIG
	V_BUSYBOX_LAYER=$(jq -r .digest <<<"$bb_layer") V_BUSYBOX_DIFF_ID=${IMG_DIFF_IDS[0]}

	# multi: busybox (gzip), + /data/{a,b,dir/x} (zstd), - /data/a, /data/dir opaque + y (uncompressed)
	image_begin
	layer "$WORK/bb" gzip
	files "$WORK/m2" data/a=a data/b=b data/dir/x=x
	layer "$WORK/m2" zstd
	files "$WORK/m3" data/.wh.a= data/dir/.wh..wh..opq= data/dir/y=y
	layer "$WORK/m3" none
	image_end multi "$native" "$native_variant"
	V_MULTI_DIGEST=$IMG_DIGEST V_MULTI_SIZE=$IMG_SIZE V_MULTI_CONFIG=$IMG_CONFIG
	V_MULTI_LAYERS=() V_MULTI_LAYER_TYPES=()
	for d in "${IMG_LAYERS[@]}"; do
		V_MULTI_LAYERS+=("$(jq -r .digest <<<"$d")")
		V_MULTI_LAYER_TYPES+=("$(jq -r .mediaType <<<"$d")")
	done
	V_MULTI_DIFF_IDS=("${IMG_DIFF_IDS[@]}")

	# multiarch: native = busybox + /arch; other = a dummy whose files say its architecture
	image_begin
	layer "$WORK/bb" gzip
	files "$WORK/a1" arch="$native"$'\n'
	layer "$WORK/a1" gzip
	image_end multiarch "$native" "$native_variant"
	multiarch_native=$(jq -cn --arg mt "$MT_MANIFEST" --arg d "$IMG_DIGEST" --argjson s "$IMG_SIZE" \
		--arg arch "$native" --arg v "$native_variant" \
		'{mediaType: $mt, digest: $d, size: $s, platform: {architecture: $arch, os: "linux"}}
		 | if $v != "" then .platform.variant = $v else . end')
	V_MULTIARCH_NATIVE_DIGEST=$IMG_DIGEST V_MULTIARCH_NATIVE_LAYERS=()
	for d in "${IMG_LAYERS[@]}"; do
		V_MULTIARCH_NATIVE_LAYERS+=("$(jq -r .digest <<<"$d")")
	done

	image_begin
	files "$WORK/a2" arch="$other"$'\n' bin/sh="#!/bin/false $other"$'\n' README="dummy $other image"$'\n'
	layer "$WORK/a2" gzip
	image_end multiarch "$other" "$other_variant"
	arm=$(jq -cn --arg mt "$MT_MANIFEST" --arg d "$IMG_DIGEST" --argjson s "$IMG_SIZE" \
		--arg arch "$other" --arg v "$other_variant" \
		'{mediaType: $mt, digest: $d, size: $s, platform: {architecture: $arch, os: "linux"}}
		 | if $v != "" then .platform.variant = $v else . end')
	V_MULTIARCH_OTHER_DIGEST=$IMG_DIGEST V_MULTIARCH_OTHER_LAYER=$(jq -r .digest <<<"${IMG_LAYERS[0]}")

	# an attestation manifest as BuildKit attaches them: an in-toto statement as its only "layer"
	local stmt statement_digest statement_size cfg
	stmt=$(jq -cnj --arg hex "${V_MULTIARCH_NATIVE_DIGEST#sha256:}" --arg arch "$native" '{
		_type: "https://in-toto.io/Statement/v0.1", predicateType: "https://spdx.dev/Document",
		subject: [{name: ("pkg:docker/multiarch@latest?platform=linux%2F" + $arch), digest: {sha256: $hex}}],
		predicate: {spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "berth-test-sbom"}}')
	json_put "$stmt"
	statement_digest=$BLOB_DIGEST statement_size=$BLOB_SIZE
	cfg=$(jq -cnj --arg d "$statement_digest" --arg created "$CREATED" \
		'{architecture: "unknown", os: "unknown", created: $created, config: {},
		  rootfs: {type: "layers", diff_ids: [$d]}}')
	json_put "$cfg"
	json_put "$(jq -cnj --arg mt "$MT_MANIFEST" --arg cmt "$MT_CONFIG" --arg cd "$BLOB_DIGEST" \
		--argjson cs "$BLOB_SIZE" --arg ld "$statement_digest" --argjson ls "$statement_size" \
		'{schemaVersion: 2, mediaType: $mt, config: {mediaType: $cmt, digest: $cd, size: $cs},
		  layers: [{mediaType: "application/vnd.in-toto+json", digest: $ld, size: $ls,
		            annotations: {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}]}')"
	V_MULTIARCH_ATTEST_DIGEST=$BLOB_DIGEST
	attest=$(jq -cn --arg mt "$MT_MANIFEST" --arg d "$BLOB_DIGEST" --argjson s "$BLOB_SIZE" \
		--arg ref "$V_MULTIARCH_NATIVE_DIGEST" \
		'{mediaType: $mt, digest: $d, size: $s, platform: {architecture: "unknown", os: "unknown"},
		  annotations: {"vnd.docker.reference.digest": $ref,
		                "vnd.docker.reference.type": "attestation-manifest"}}')
	json_put "$(jq -cnj --arg mt "$MT_INDEX" --jsonargs '{schemaVersion: 2, mediaType: $mt,
		manifests: $ARGS.positional}' "$multiarch_native" "$arm" "$attest")"
	V_MULTIARCH_DIGEST=$BLOB_DIGEST V_MULTIARCH_SIZE=$BLOB_SIZE
	V_ARCH=$native V_OTHER_ARCH=$other
	V_PLATFORM=linux/$native${native_variant:+/$native_variant}
	V_OTHER_PLATFORM=linux/$other${other_variant:+/$other_variant}

	jq -cn --arg mt "$MT_MANIFEST" --arg imt "$MT_INDEX" \
		--arg bd "$V_BUSYBOX_DIGEST" --argjson bs "$V_BUSYBOX_SIZE" \
		--arg md "$V_MULTI_DIGEST" --argjson ms "$V_MULTI_SIZE" \
		--arg xd "$V_MULTIARCH_DIGEST" --argjson xs "$V_MULTIARCH_SIZE" \
		'def ref($n): {"org.opencontainers.image.ref.name": $n};
		 {schemaVersion: 2, mediaType: $imt, manifests: [
			{mediaType: $mt, digest: $bd, size: $bs, annotations: ref("busybox")},
			{mediaType: $mt, digest: $md, size: $ms, annotations: ref("multi")},
			{mediaType: $imt, digest: $xd, size: $xs, annotations: ref("multiarch")}]}' >"$OCI/index.json"
}

# push PORT PREFIX [skopeo destination args...]: the three images into localhost:PORT/PREFIX*:latest
push() {
	local port=$1 prefix=$2 img all
	shift 2
	for img in busybox multi multiarch; do
		all=()
		[[ $img == multiarch ]] && all=(--all)
		skopeo --insecure-policy copy -q --preserve-digests "${all[@]}" "$@" \
			"oci:$OCI:$img" "docker://localhost:$port/$prefix$img:latest" ||
			die "skopeo copy $img to localhost:$port/$prefix$img failed"
	done
}

cmd_seed() {
	local -a pids=()
	local pid rc=0 tls=(--dest-cert-dir "$CERTS_D/localhost:5000")
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
	build_layout
	# one registry per job: pushes to different registries run in parallel
	push 5000 "" "${tls[@]}" &
	pids+=($!)
	push 5001 "" --dest-cert-dir "$CERTS_D/localhost:5001" --dest-creds "$USER_NAME:$PASSWORD" &
	pids+=($!)
	(
		push 5002 public/ --dest-cert-dir "$CERTS_D/localhost:5002" --dest-creds "$USER_NAME:$PASSWORD"
		push 5002 private/ --dest-cert-dir "$CERTS_D/localhost:5002" --dest-creds "$USER_NAME:$PASSWORD"
	) &
	pids+=($!)
	push 5004 "" --dest-tls-verify=false &
	pids+=($!)
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	((rc == 0)) || die "pushing the images failed"

	{
		declare -p V_ARCH V_OTHER_ARCH V_PLATFORM V_OTHER_PLATFORM \
			V_BUSYBOX_DIGEST V_BUSYBOX_CONFIG V_BUSYBOX_LAYER V_BUSYBOX_DIFF_ID \
			V_MULTI_DIGEST V_MULTI_CONFIG V_MULTI_LAYERS V_MULTI_LAYER_TYPES V_MULTI_DIFF_IDS \
			V_MULTIARCH_DIGEST V_MULTIARCH_NATIVE_DIGEST V_MULTIARCH_NATIVE_LAYERS V_MULTIARCH_OTHER_DIGEST V_MULTIARCH_OTHER_LAYER \
			V_MULTIARCH_ATTEST_DIGEST
	} | sed -E 's/^declare -[a-zA-Z-]+ V_/REG_/' >"$DIR/vars.sh.tmp"
	mv "$DIR/vars.sh.tmp" "$DIR/vars.sh"
	cat "$DIR/vars.sh"
}

# --- corrupt, stop -----------------------------------------------------------------------------------------

cmd_corrupt() {
	local port=${1:?corrupt: PORT} digest=${2:?corrupt: DIGEST} mode=${3:-flip} hex f size
	hex=${digest#sha256:}
	[[ $hex =~ ^[0-9a-f]{64}$ ]] || die "corrupt: not a sha256 digest: $digest"
	f=$DIR/storage/$port/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
	[[ -f $f ]] || die "corrupt: no blob $digest in the storage of localhost:$port"
	size=$(stat -c %s "$f")
	case $mode in
	flip) # same size, one byte inverted in the middle
		python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    n = f.seek(0, 2); o = n // 2; f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xff]))' "$f"
		;;
	truncate) truncate -s $((size / 2)) "$f" ;;
	*) die "corrupt: unknown mode $mode (flip or truncate)" ;;
	esac
}

cmd_stop() {
	local unit
	unit=$(unit_of "${1:?stop: PORT}")
	systemctl stop "$unit.service" 2>/dev/null || true
}

case $cmd in
up) cmd_up "$@" ;;
seed) cmd_seed "$@" ;;
corrupt) cmd_corrupt "$@" ;;
stop) cmd_stop "$@" ;;
*) die "unknown command: $cmd" ;;
esac
