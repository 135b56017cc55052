#!/bin/bash
# On-demand containers (--on-demand, --idle-stop) against a real systemd: their port sockets listen while
# the container is created or stopped (berth stop, systemctl stop), the first client starts it and is
# served (also when the payload needs a moment before it listens, and over UDP); --idle-stop stops it
# again and the next client starts it; a container that cannot start turns clients away and keeps its
# socket; the sockets come back after a reboot; rename moves them; rm stops and removes them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
netsrv=${BERTH_NETSRV:?set by meson test}
th_berth_host --net private
mkdir -p "$TH_WORK/netsrv/usr/local/bin"
cp "$netsrv" "$TH_WORK/netsrv/usr/local/bin/berth-netsrv"
"$TH" "$TH_DIR" copy-in "$TH_WORK/netsrv" /
th_exec berth import \
        --change 'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]' \
        --change 'EXPOSE 80/tcp' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo >/dev/null

fetch() { th_exec curl -fsS --max-time 20 "$@"; }
state() { th_exec berth inspect --format '{{.State.Status}}' "$1"; }
active() { th_exec systemctl is-active "$1" 2>/dev/null || true; }
sockets() { th_exec systemctl list-sockets --no-legend --plain 2>/dev/null | grep -o 'berth-port-[^ ]*\.socket' | sort | tr '\n' ' '; }
wait_state() { # wait_state NAME STATE SECONDS
        for _ in $(seq $(($3 * 10))); do [[ $(state "$1") == "$2" ]] && return 0; sleep 0.1; done
        echo "FAIL: $1 is $(state "$1"), not $2, after $3 s"
        exit 1
}

# --- refused combinations -----------------------------------------------------------------------------------
expect 125 "--on-demand needs a published port" create --on-demand berth-demo
expect 125 "--idle-stop needs a published port" run -d --idle-stop 1m berth-demo
expect 125 "conflicting options: --on-demand and --rm" run -d --rm --on-demand -p 8080:80 berth-demo
expect 125 "invalid --idle-stop '5'" create --idle-stop 5 -p 8080:80 berth-demo
expect 125 "invalid --idle-stop '-1s'" create --idle-stop -1s -p 8080:80 berth-demo
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "nothing created"
echo "PASS: --on-demand/--idle-stop without ports, with --rm, bad durations refused (125)"

# --- created: the socket listens, the first client starts the container ----------------------------------
th_exec berth create --name web --on-demand --init -p 127.0.0.1:8080:80 berth-demo >/dev/null
assert_eq "created" "$(state web)" "create does not start it"
assert_eq "active" "$(active berth-port-web@8080.socket)" "the socket of a created on-demand container listens"
assert_eq "inactive" "$(active berth-port-web@8080.service)" "no proxy before the first client"
assert_eq "80/tcp -> 127.0.0.1:8080" "$(th_exec berth port web)" "berth port shows the port of a stopped on-demand container"
assert_eq "127.0.0.1:8080->80/tcp" "$(th_exec berth ps -a --format '{{.Ports}}')" "ps PORTS"
assert_eq "true" "$(th_exec berth inspect --format '{{.HostConfig.OnDemand}}' web)" "inspect HostConfig.OnDemand"
th_exec test -L /etc/systemd/system/sockets.target.wants/berth-port-web@8080.socket
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "the first client is served"
assert_eq "running" "$(state web)" "the first client started the container"
echo "PASS: a created --on-demand container is started by its first client"

# --- berth stop and systemctl stop keep the socket; the next client starts it again -----------------------
th_exec berth stop web >/dev/null
assert_eq "exited" "$(state web)" "stopped"
assert_eq "active" "$(active berth-port-web@8080.socket)" "socket still listening after berth stop"
for _ in $(seq 50); do [[ $(active berth-port-web@8080.service) == inactive ]] && break; sleep 0.1; done
assert_eq "inactive" "$(active berth-port-web@8080.service)" "the proxy stopped with the container"
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "served after berth stop"
assert_eq "running" "$(state web)" "started again"
th_exec systemctl stop berth@web.service
assert_eq "active" "$(active berth-port-web@8080.socket)" "socket still listening after systemctl stop"
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "served after systemctl stop"
echo "PASS: stopped (berth stop, systemctl stop) and started again by a client"

# --- a payload that listens only after a while: the proxy waits instead of refusing --------------------------
th_exec berth create --name slow --on-demand --init -p 127.0.0.1:8081:80 berth-demo \
        sh -c 'sleep 2; exec httpd -f -p 80 -h /www' >/dev/null
t0=$(date +%s%N)
assert_contains "$(fetch http://127.0.0.1:8081/)" "Hello from a berth container" "served once the port listens"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms >= 1500)) || { echo "FAIL: the slow container answered after $ms ms, before it listened?"; exit 1; }
echo "PASS: the first client waits for the port to listen ($ms ms)"

# --- UDP on demand: the first datagram waits for the port to be bound -------------------------------------
th_exec berth create --name dns --on-demand --init -p 127.0.0.1:5353:53/udp \
        -v /usr/local/bin/berth-netsrv:/netsrv:ro berth-demo sh -c 'sleep 1; exec /netsrv udp-echo 53' >/dev/null
assert_eq "active" "$(active berth-port-dns@5353-udp.socket)" "UDP socket listens while created"
got=$(th_exec python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(15)
s.sendto(b"first", ("127.0.0.1", 5353))
print(s.recv(100).decode())')
assert_eq "first" "$got" "the first datagram started the container and was answered"
echo "PASS: UDP on demand"

# --- a container that cannot start: clients are turned away, the socket stays --------------------------------
th_exec berth create --name bad --on-demand -p 127.0.0.1:8082:80 berth-demo /nonexistent >/dev/null
t0=$(date +%s%N)
assert_fail fetch -o /dev/null http://127.0.0.1:8082/
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 15000)) || { echo "FAIL: a client of a container that cannot start waited $ms ms"; exit 1; }
assert_eq "active" "$(active berth-port-bad@8082.socket)" "the socket survives a failed start"
assert_fail fetch -o /dev/null http://127.0.0.1:8082/
assert_eq "active" "$(active berth-port-bad@8082.socket)" "and a second one"
echo "PASS: a container that fails to start turns clients away ($ms ms), socket kept"

# --- --idle-stop ------------------------------------------------------------------------------------------------
th_exec berth run -d --name idle --idle-stop 2s --init -p 127.0.0.1:8083:80 berth-demo >/dev/null
assert_eq "2" "$(th_exec berth inspect --format '{{.HostConfig.IdleStopTimeout}}' idle)" "IdleStopTimeout in seconds"
assert_contains "$(fetch http://127.0.0.1:8083/)" "Hello from a berth container" "served"
# a long connection keeps it running past the idle time
th_exec python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 8083))
time.sleep(4)'
assert_eq "running" "$(state idle)" "an open connection keeps it running"
wait_state idle exited 15
assert_eq "active" "$(active berth-port-idle@8083.socket)" "socket listening after the idle stop"
assert_contains "$(th_exec journalctl --no-pager -o cat -u berth-port-idle@8083.service)" "Stopping idle container 'idle'" "journal says why"
assert_contains "$(fetch http://127.0.0.1:8083/)" "Hello from a berth container" "the next client starts it again"
assert_eq "running" "$(state idle)" "running again"
echo "PASS: --idle-stop stops an idle container, the next client starts it"

# --- the sockets come back after a reboot; the container stays stopped until a client comes ----------------
th_exec berth stop web slow dns idle >/dev/null
"$TH" "$TH_DIR" restart
th_exec systemctl daemon-reload
for _ in $(seq 50); do [[ $(active berth-port-web@8080.socket) == active ]] && break; sleep 0.1; done
assert_contains "$(sockets)" "berth-port-web@8080.socket" "socket listening after a reboot"
assert_contains "$(sockets)" "berth-port-dns@5353-udp.socket" "UDP socket listening after a reboot"
assert_eq "exited" "$(state web)" "container not started at boot"
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "a client starts it after a reboot"
echo "PASS: on-demand sockets come back at boot"

# --- rename moves the sockets -------------------------------------------------------------------------------
th_exec berth stop web >/dev/null
th_exec berth rename web www
assert_eq "inactive" "$(active berth-port-web@8080.socket)" "old socket gone"
assert_eq "active" "$(active berth-port-www@8080.socket)" "new socket listening"
assert_fail th_exec test -e /etc/systemd/system/sockets.target.wants/berth-port-web@8080.socket
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "renamed container started by a client"
assert_eq "running" "$(state www)" "renamed container running"
echo "PASS: rename"

# --- rm stops and removes the sockets ----------------------------------------------------------------------
th_exec berth rm -f www slow dns bad idle >/dev/null
assert_eq "" "$(sockets)" "no berth sockets after rm"
assert_eq "" "$(th_exec sh -c 'ls /etc/systemd/system /etc/systemd/system/sockets.target.wants | grep berth-port || true')" "unit files and boot links removed"
assert_fail fetch -o /dev/null http://127.0.0.1:8080/
for _ in $(seq 50); do
        [[ -z $(th_exec systemctl list-units --all --plain --no-legend 'berth-port-*' 'berth@*') ]] && break
        sleep 0.1
done
assert_eq "" "$(th_exec systemctl list-units --all --plain --no-legend 'berth-port-*' 'berth@*')" "no units left"
# in an ASan/UBSan build, berth-proxy reports to the journal
assert_eq "0" "$(th_exec sh -c 'journalctl --no-pager -o cat | grep -cE "Sanitizer|runtime error:" || true')" "no sanitizer reports in the journal"
echo "PASS: test-ondemand"
