#!/bin/bash
# berth-generator on sample files, without systemd:
#   valid/NAME.container     `berth-generator --check` prints exactly valid/NAME.expected (paths of this
#                            build replaced by @BINDIR@, @LIBEXECDIR@, @SYSTEMUNITDIR@); update with
#                            BERTH_UPDATE_EXPECTED=1
#   invalid/NAME.container   --check fails with the message in the file's "# error: " line, printing no unit
#   the generator mode       files from several directories into an output directory: precedence, masks,
#                            conflicts between files, invalid files skipped, nothing written for them
set -uo pipefail
gen=$1 src=$2 bindir=$3 libexecdir=$4 unitdir=$5
fails=0 count=0
cd "$src/tests/generator" || exit 1
tmp=$(mktemp -d /tmp/test-generator.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
        echo "FAIL: $*"
        fails=$((fails + 1))
}

subst() { sed -e "s|$bindir/|@BINDIR@/|g" -e "s|$libexecdir/|@LIBEXECDIR@/|g" -e "s|$unitdir/|@SYSTEMUNITDIR@/|g"; }

for f in valid/*.container; do
        count=$((count + 1))
        want=${f%.container}.expected
        if ! "$gen" --check "$f" >"$tmp/out" 2>"$tmp/err"; then
                fail "$f: --check failed: $(cat "$tmp/err")"
                continue
        fi
        subst <"$tmp/out" >"$tmp/got"
        if [ "${BERTH_UPDATE_EXPECTED:-0}" = 1 ]; then
                cp "$tmp/got" "$want"
        elif ! diff -u "$want" "$tmp/got"; then
                fail "$f: output differs from $want (BERTH_UPDATE_EXPECTED=1 rewrites it)"
        fi
        [ -s "$tmp/err" ] && fail "$f: --check printed on stderr: $(cat "$tmp/err")"
done

for f in invalid/*.container; do
        count=$((count + 1))
        msg=$(sed -n 's/^# error: //p' "$f")
        [ -n "$msg" ] || { fail "$f: no '# error: ' line"; continue; }
        if "$gen" --check "$f" >"$tmp/out" 2>"$tmp/err"; then
                fail "$f: --check succeeded"
        elif ! grep -qF -- "$msg" "$tmp/err"; then
                fail "$f: wanted '$msg', got: $(cat "$tmp/err")"
        fi
        [ -s "$tmp/out" ] && fail "$f: --check printed units: $(head -3 "$tmp/out")"
done

# --- the generator mode ------------------------------------------------------------------------------------
count=$((count + 1))
mkdir -p "$tmp/etc" "$tmp/usr" "$tmp/gen"
cp valid/web.container "$tmp/etc/"
printf '[Container]\nImage=busybox\nExec=echo vendor\n' >"$tmp/usr/web.container" # hidden by etc/
printf '[Container]\nImage=busybox\n' >"$tmp/usr/masked.container"
ln -s /dev/null "$tmp/etc/masked.container"
printf '[Container]\nImage=busybox\nName=web\n' >"$tmp/usr/other.container" # same container name
printf '[Container]\nImage=busybox\nPublish=80\n' >"$tmp/etc/broken.container"
printf '[Container]\nImage=busybox\n[Install]\nAlias=web.service\n' >"$tmp/usr/alias.container"
printf '[Container]\nImage=busybox\n' >"$tmp/etc/not-a-container.txt"
printf '[Container]\nImage=busybox\n' >"$tmp/usr/systemd-journald.container" # would hide a vendor unit
BERTH_LOG_TARGET=console BERTH_CONTAINER_DIRS="$tmp/etc:$tmp/missing:$tmp/usr" "$gen" "$tmp/gen" "$tmp/early" "$tmp/late" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] || fail "generator mode exited with $rc: $(cat "$tmp/err")"
(cd "$tmp/gen" && find . | sort) >"$tmp/tree"
for want in ./web.service ./berth@web.service.d/10-berth.conf ./berth-port-web@8080.socket \
        ./berth-port-web@8080.service ./multi-user.target.wants/berth@web.service; do
        grep -qxF "$want" "$tmp/tree" || fail "generator mode: $want missing"
done
for unwanted in masked broken other alias systemd-journald not-a-container; do
        grep -q "$unwanted" "$tmp/tree" && fail "generator mode: units for $unwanted: $(grep "$unwanted" "$tmp/tree")"
done
grep -q "vendor" "$tmp/gen/berth@web.service.d/10-berth.conf" && fail "generator mode: usr/ won over etc/"
[ "$(readlink "$tmp/gen/multi-user.target.wants/berth@web.service")" = "$unitdir/berth@.service" ] ||
        fail "generator mode: the wants link points at $(readlink "$tmp/gen/multi-user.target.wants/berth@web.service")"
for msg in "$tmp/etc/broken.container:3: invalid Publish= '80'" \
        "$tmp/usr/other.container: the container name 'web' is declared by $tmp/etc/web.container already" \
        "$tmp/usr/alias.container: Alias=web.service is the unit of web.container" \
        "$tmp/usr/systemd-journald.container: the unit systemd-journald.service exists already"; do
        grep -qF -- "$msg" "$tmp/err" || fail "generator mode: no message '$msg' in: $(cat "$tmp/err")"
done

# usage
count=$((count + 1))
"$gen" >/dev/null 2>&1 && fail "no arguments: exit 0"
"$gen" --check >/dev/null 2>&1 && fail "--check without files: exit 0"

echo "$count checks, $fails failed"
[ "$fails" = 0 ]
