#!/bin/bash
# Published ports (-p) against a real systemd: one socket unit per port (berth-port-NAME@PORT.socket,
# listening in the host's network namespace, on loopback only here), berth-proxy forwarding into a
# --network none container with splice(); berth port, ps PORTS, inspect; random ports, -P; a large
# transfer (sha256), 200 concurrent clients, half-close, a client reset mid-transfer; UDP round trips (per
# client, large datagrams, IPv4 and IPv6); stop/start; port conflicts and refused specs leave nothing
# behind; rm -f and --rm remove the socket units. On-demand containers: test-ondemand.sh.
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
        --change 'WORKDIR /www' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        /root/demo.tar.gz berth-demo >/dev/null

fetch() { th_exec curl -fsS --max-time 10 "$@"; }
wait_http() { # wait_http URL: the published port answers (the container needs a moment to listen)
        for _ in $(seq 100); do fetch -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
        echo "FAIL: $1 never answered"
        exit 1
}
sockets() { th_exec systemctl list-sockets --no-legend --plain 2>/dev/null | grep -o 'berth-port-[^ ]*\.socket' | sort | tr '\n' ' '; }
port_files() { th_exec sh -c 'ls /etc/systemd/system | grep "^berth-port-" || true'; }

# --- refused before anything is created -------------------------------------------------------------------
expect 125 "invalid --publish '8000-8010:80-85'" run -d -p 8000-8010:80-85 berth-demo
assert_contains "$out" "same length" "unequal ranges"
expect 125 "invalid --publish 'x:80'" create -p x:80 berth-demo
expect 125 "invalid --publish '70000:80'" create -p 70000:80 berth-demo
expect 125 "can't be used with --network host" run -d --network host -p 8080:80 berth-demo
expect 125 "can't be used with --network host" create --network host -P berth-demo
expect 125 "host port 8080 is already published" create -p 8080:80 -p 8080:81 berth-demo
assert_eq "" "$(th_exec ls /var/lib/berth/containers)" "nothing created by refused specs"
assert_eq "" "$(port_files)" "no port units written for refused specs"
echo "PASS: invalid specs and --network host refused (125), nothing created"

# --- a published port in front of httpd in a --network none container --------------------------------------
th_exec sh -c 'mkdir -p /srv/www && echo "hello through berth" >/srv/www/index.html &&
        head -c 20000000 /dev/urandom >/srv/www/big.bin'
id=$(th_exec berth run -d --name web -p 127.0.0.1:8080:80 -v /srv/www:/www:ro --init berth-demo)
[[ $id =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: run -d printed '$id'"; exit 1; }
wait_http http://127.0.0.1:8080/
assert_eq "hello through berth" "$(fetch http://127.0.0.1:8080/index.html)" "page through the published port"
assert_eq "none" "$(th_exec berth inspect --format '{{.HostConfig.NetworkMode}}' web)" "the container has no network of its own"
assert_contains "$(sockets)" "berth-port-web@8080.socket" "systemctl list-sockets shows the port"
assert_contains "$(th_exec systemctl show -P Listen berth-port-web@8080.socket)" "127.0.0.1:8080" "socket listens on the requested address"
assert_eq "active" "$(th_exec systemctl is-active berth-port-web@8080.service)" "the proxy was activated"
assert_eq "80/tcp -> 127.0.0.1:8080" "$(th_exec berth port web)" "berth port"
assert_eq "127.0.0.1:8080" "$(th_exec berth port web 80/tcp)" "berth port web 80/tcp"
expect 1 "No public port '81/tcp' published for web" port web 81
assert_eq "127.0.0.1:8080->80/tcp" "$(th_exec berth ps --format '{{.Ports}}')" "ps PORTS"
assert_contains "$(th_exec berth ps)" "127.0.0.1:8080->80/tcp   web" "ps table PORTS column"
assert_eq '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}' \
        "$(th_exec berth inspect --format '{{json .NetworkSettings.Ports}}' web)" "inspect NetworkSettings.Ports"
assert_eq '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}' \
        "$(th_exec berth inspect --format '{{json .HostConfig.PortBindings}}' web)" "inspect HostConfig.PortBindings"
# the proxy entered the container's network namespace and dropped root
proxy_pid=$(th_exec systemctl show -P MainPID berth-port-web@8080.service)
main_pid=$(th_exec systemctl show -P MainPID berth@web.service)
assert_eq "$(th_exec readlink "/proc/$main_pid/ns/net")" "$(th_exec readlink "/proc/$proxy_pid/ns/net")" "proxy in the container's netns"
assert_contains "$(th_exec grep -E '^(Uid|CapEff)' "/proc/$proxy_pid/status")" "CapEff:	0000000000000000" "proxy has no capabilities"
assert_contains "$(th_exec grep '^Uid' "/proc/$proxy_pid/status")" "65534" "proxy runs as nobody"
echo "PASS: curl through 127.0.0.1:8080 into a --network none container; port, ps, inspect, list-sockets"

want=$(th_exec sha256sum /srv/www/big.bin | cut -d' ' -f1)
got=$(th_exec sh -c 'curl -fsS --max-time 60 http://127.0.0.1:8080/big.bin | sha256sum' | cut -d' ' -f1)
assert_eq "$want" "$got" "20 MB through the proxy, sha256"
echo "PASS: large transfer"

fails=$(th_exec bash -c 'for i in $(seq 200); do
        (curl -fsS --max-time 30 http://127.0.0.1:8080/index.html | grep -q "hello through berth" || echo FAIL) &
done; wait')
assert_eq "" "$fails" "200 concurrent requests all succeed"
# 200 connections open at once (a server that holds each until the client closes), each echoing its own bytes
th_exec berth run -d --name many --init -p 127.0.0.1:7001:7001 -v /usr/local/bin/berth-netsrv:/netsrv:ro \
        berth-demo /netsrv tcp-echo 7001 >/dev/null
got=""
for _ in $(seq 10); do
        got=$(th_exec python3 -c '
import socket, selectors
conns = []
for i in range(200):
    conns.append(socket.create_connection(("127.0.0.1", 7001), timeout=20))
for i, s in enumerate(conns):
    s.sendall(b"conn %03d\n" % i)
ok = 0
for i, s in enumerate(conns):
    d = b""
    while len(d) < 9:
        d += s.recv(64)
    ok += d == b"conn %03d\n" % i
print(ok)' 2>/dev/null || true)
        [[ $got == 200 ]] && break
        sleep 0.2
done
assert_eq "200" "$got" "200 simultaneous connections each get their own bytes back"
echo "PASS: 200 concurrent clients"

# a client that resets the connection mid-transfer does not disturb the proxy
th_exec python3 -c '
import socket, struct
s = socket.create_connection(("127.0.0.1", 8080))
s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
s.recv(65536)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()'
assert_eq "hello through berth" "$(fetch http://127.0.0.1:8080/index.html)" "proxy still serves after a reset"
assert_eq "$proxy_pid" "$(th_exec systemctl show -P MainPID berth-port-web@8080.service)" "same proxy process"
echo "PASS: client reset mid-transfer"

# an idle proxy sleeps: no CPU time while nothing happens
cpu() { th_exec awk '{print $14 + $15}' "/proc/$proxy_pid/stat"; }
before=$(cpu)
sleep 1
assert_eq "$before" "$(cpu)" "idle proxy uses no CPU (no busy loop)"

# half-close: the server (wc -c) answers only after it saw the client's EOF
th_exec berth run -d --name count -p 127.0.0.1:7000:7000 berth-demo nc -ll -p 7000 -e wc -c >/dev/null
got=""
for _ in $(seq 50); do
        got=$(th_exec python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 7000))
s.sendall(b"x" * 300000)
s.shutdown(socket.SHUT_WR)
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
print(d.decode().strip())' 2>/dev/null || true)
        [[ -n $got ]] && break
        sleep 0.1
done
assert_eq "300000" "$got" "half-close passed on, answer comes back"
echo "PASS: half-close"

# --- UDP --------------------------------------------------------------------------------------------------
th_exec berth run -d --name echo --init -p 127.0.0.1:5353:53/udp -p 5354:53/udp \
        -v /usr/local/bin/berth-netsrv:/netsrv:ro berth-demo /netsrv udp-echo 53 >/dev/null
assert_eq "53/udp -> 127.0.0.1:5353
53/udp -> 0.0.0.0:5354" "$(th_exec berth port echo)" "berth port of UDP ports"
assert_eq "127.0.0.1:5353
0.0.0.0:5354" "$(th_exec berth port echo 53/udp)" "berth port echo 53/udp"
assert_eq "127.0.0.1:5353->53/udp, 0.0.0.0:5354->53/udp" "$(th_exec berth ps --filter name=echo --format '{{.Ports}}')" "ps PORTS for UDP"
assert_contains "$(th_exec systemctl show -P Listen berth-port-echo@5353-udp.socket)" "127.0.0.1:5353 (Datagram)" "ListenDatagram= on the address"
got=$(th_exec python3 -c '
import socket
def client(family, addr):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(5)
    return s
ok = 0
# three clients interleaved, each must get its own answers; 100 round trips each
cs = [client(socket.AF_INET, "127.0.0.1") for _ in range(3)]
for n in range(100):
    for i, s in enumerate(cs):
        msg = b"client %d round %d" % (i, n)
        for attempt in range(20):  # the container may need a moment to bind the port
            s.sendto(msg, ("127.0.0.1", 5353))
            try:
                d, a = s.recvfrom(65536)
                break
            except socket.timeout:
                continue
        ok += d == msg and a == ("127.0.0.1", 5353)
# a large datagram, and the every-address port over IPv4 and IPv6
big = bytes(range(256)) * 234
s = client(socket.AF_INET, "127.0.0.1")
s.sendto(big, ("127.0.0.1", 5353))
ok += s.recvfrom(65536)[0] == big
s4 = client(socket.AF_INET, "127.0.0.1")
s4.sendto(b"v4", ("127.0.0.1", 5354))
ok += s4.recvfrom(100)[0] == b"v4"
s6 = client(socket.AF_INET6, "::1")
s6.sendto(b"v6", ("::1", 5354))
ok += s6.recvfrom(100)[0] == b"v6"
print(ok)')
assert_eq "303" "$got" "UDP round trips (300 from 3 clients, a 59904-byte datagram, IPv4 and IPv6)"
proxy_udp=$(th_exec systemctl show -P MainPID berth-port-echo@5353-udp.service)
assert_contains "$(th_exec grep '^Uid' "/proc/$proxy_udp/status")" "65534" "UDP proxy runs as nobody"
# the container's echo server sees one client socket per host client, all inside the container
assert_eq "$(th_exec readlink "/proc/$(th_exec systemctl show -P MainPID berth@echo.service)/ns/net")" \
        "$(th_exec readlink "/proc/$proxy_udp/ns/net")" "UDP proxy in the container's netns"
echo "PASS: UDP round trips"

# --- random ports, -P, a port conflict ---------------------------------------------------------------------
th_exec berth run -d --name rnd -p 127.0.0.1::80 berth-demo >/dev/null
hp=$(th_exec berth port rnd 80)
[[ $hp =~ ^127\.0\.0\.1:[0-9]+$ ]] || { echo "FAIL: berth port rnd 80 printed '$hp'"; exit 1; }
wait_http "http://$hp/"
assert_contains "$(fetch "http://$hp/index.html")" "busybox httpd" "random port serves the image's page"
assert_eq "$hp->80/tcp" "$(th_exec berth ps --filter name=rnd --format '{{.Ports}}')" "ps PORTS for a random port"
th_exec berth run -d --name pall -P berth-demo >/dev/null
pp=$(th_exec berth port pall 80)
[[ $pp =~ ^0\.0\.0\.0:([0-9]+)$ ]] || { echo "FAIL: berth port pall 80 printed '$pp'"; exit 1; }
wait_http "http://127.0.0.1:${BASH_REMATCH[1]}/"
echo "PASS: random host ports (127.0.0.1::80, -P) chosen at create time"

expect 125 "Bind for 127.0.0.1:8080 failed: port is already allocated" run -d --name clash -p 127.0.0.1:8080:80 berth-demo
assert_contains "$out" "'127.0.0.1:8080:80'" "the error names the spec"
expect 125 "port is already allocated" run -d --name clash -p 8080:80 berth-demo
assert_fail th_exec test -e /var/lib/berth/containers/clash
assert_eq "" "$(th_exec sh -c 'ls /etc/systemd/system | grep clash || true')" "nothing of clash written"
echo "PASS: port conflict (125), nothing left behind"

# --- stop closes the port, start opens it again ----------------------------------------------------------
th_exec berth stop -t 1 web >/dev/null
assert_eq "" "$(sockets | grep -o 'berth-port-web@8080.socket' || true)" "socket stopped with the container"
assert_fail fetch -o /dev/null http://127.0.0.1:8080/
assert_eq "" "$(th_exec berth port web)" "berth port of a stopped container"
assert_eq "{}" "$(th_exec berth inspect --format '{{json .NetworkSettings.Ports}}' web)" "no ports while stopped"
th_exec berth start web >/dev/null
assert_contains "$(sockets)" "berth-port-web@8080.socket" "socket back after start"
wait_http http://127.0.0.1:8080/
assert_eq "hello through berth" "$(fetch http://127.0.0.1:8080/index.html)" "page after stop/start (new netns)"
echo "PASS: stop/start"

# --- rm -f and --rm remove the socket units ------------------------------------------------------------------
th_exec berth run -d --rm --name tmp -p 127.0.0.1:8091:80 berth-demo >/dev/null
wait_http http://127.0.0.1:8091/
th_exec berth stop -t 1 tmp >/dev/null
for _ in $(seq 50); do th_exec test -e /var/lib/berth/containers/tmp || break; sleep 0.1; done
assert_eq "" "$(th_exec sh -c 'ls /etc/systemd/system | grep "berth-port-tmp@" || true')" "run -d --rm: port units removed"
b run --rm --name once -p 127.0.0.1:8092:80 berth-demo true
assert_eq 0 "$rc" "foreground run --rm with a port: $out"
# its socket, started after the container exited, must not start it again through BindsTo=
assert_eq 1 "$(th_exec sh -c 'journalctl --no-pager -o cat -u berth@once.service | grep -c "^Starting berth@once"')" \
        "a container that exits at once is started once"
assert_eq "" "$(th_exec sh -c 'ls /etc/systemd/system | grep "@8092" || true')" "run --rm: port units removed"

th_exec berth rm -f web count many echo rnd pall >/dev/null
assert_eq "" "$(sockets)" "no berth sockets listening after rm -f"
assert_eq "" "$(port_files)" "port unit files removed"
assert_fail fetch -o /dev/null http://127.0.0.1:8080/
for _ in $(seq 50); do
        [[ -z $(th_exec systemctl list-units --all --plain --no-legend 'berth-port-*' 'berth@*') ]] && break
        sleep 0.1
done
assert_eq "" "$(th_exec systemctl list-units --all --plain --no-legend 'berth-port-*' 'berth@*')" "no units left"
assert_eq "" "$(th_exec berth ps -aq)" "no containers left"
# in an ASan/UBSan build, berth-proxy reports to the journal
assert_eq "0" "$(th_exec sh -c 'journalctl --no-pager -o cat | grep -cE "Sanitizer|runtime error:" || true')" "no sanitizer reports in the journal"
echo "PASS: test-ports"
