#!/bin/bash
# Builds berth's demo image from the machine's busybox-static package: busybox with its applet links and
# an httpd serving /www on port 80 as the default command. No network needed.
#
#   tools/demo-image.sh OUT.tar.gz                   build the rootfs tarball
#   tools/demo-image.sh OUT.tar.gz BERTH [ARGS...]   ...and import it as berth-demo:latest with BERTH
set -euo pipefail

out=${1:?usage: demo-image.sh OUT.tar.gz [BERTH [ARGS...]]}
shift
busybox=${BUSYBOX:-/bin/busybox}

if ! "$busybox" --list >/dev/null 2>&1 || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
        echo "demo-image.sh: '$busybox' is not a static busybox; install it with: apt-get install busybox-static" >&2
        exit 1
fi

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,www,tmp,proc,sys,dev,root,var/log,home}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
install -m 0755 "$busybox" "$root/bin/busybox"
# every applet as a symlink to /bin/busybox, at the path busybox itself lists
while read -r applet; do
        [ "$applet" = bin/busybox ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -sf /bin/busybox "$root/$applet"
done < <("$busybox" --list-full)

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
GROUP
cat >"$root/www/index.html" <<'HTML'
<!doctype html>
<html><head><title>berth demo</title></head>
<body><h1>Hello from a berth container</h1>
<p>busybox httpd, serving /www on port 80.</p></body></html>
HTML
printf 'ok\n' >"$root/www/health"

# Reproducible: fixed owner and mtime, sorted entries.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01 00:00:00Z' \
        -C "$root" -czf "$out" .

if [ $# -gt 0 ]; then
        "$@" import \
                --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
                --change 'EXPOSE 80/tcp' \
                --change 'WORKDIR /www' \
                --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
                --change 'LABEL org.opencontainers.image.title=berth-demo' \
                --message 'berth demo image (busybox httpd)' \
                "$out" berth-demo:latest
fi
