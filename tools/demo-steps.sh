#!/bin/bash
# The demo proper, run on a host whose PID 1 is systemd (directly, or inside a test host booted by
# tools/demo.sh): a busybox httpd container as a systemd unit, serving a bind-mounted folder.
#   demo-steps.sh DEMO_IMAGE_TARBALL
set -euo pipefail
tarball=${1:?usage: demo-steps.sh DEMO_IMAGE_TARBALL}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$@"; "$@"; }

# a free port on the host network, from 8080 up
port=8080
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done

htdocs=$(mktemp -d /tmp/berth-demo-htdocs.XXXXXX)
cat >"$htdocs/index.html" <<HTML
<!doctype html>
<html><body><h1>Hello from berth</h1>
<p>busybox httpd in a container that is the systemd unit berth@web.service, port $port.</p></body></html>
HTML
chmod -R a+rX "$htdocs"

berth rm -f web >/dev/null 2>&1 || true
berth rmi berth-demo >/dev/null 2>&1 || true

run berth import --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' --change 'EXPOSE 80/tcp' \
        "$tarball" berth-demo
run berth images
# --init: a tiny init as PID 1 passes SIGTERM on, so `berth stop` (and systemctl stop) end httpd at once
run berth run -d --name web --init --network host -v "$htdocs:/www:ro" berth-demo httpd -f -v -p "$port" -h /www
for _ in $(seq 50); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
        sleep 0.1
done
run curl -fsS "http://127.0.0.1:$port/"
run berth ps
run berth logs web
run systemctl status --no-pager --lines 5 berth@web
run berth stop web
run berth ps -a
run berth rm web
rm -rf "$htdocs"
printf '\nDemo done: the container ran as berth@web.service, with no berth process alive while it served.\n'
