#!/bin/bash
# --userns=auto: the container's IDs are a private range of host IDs (recorded in its config, different per
# container), so its root is an unprivileged user on the host; image layers are shared through idmapped
# mounts (files keep their owners inside), the writable layer holds the host IDs, exec enters the same user
# namespace, confinement still applies, and a published port reaches an httpd on port 80 inside.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
th_berth_host --net private
"$here/../helpers/probe-image.sh" "$TH_WORK/probe.tar" >/dev/null
mkdir -p "$TH_WORK/in/root" "$TH_WORK/in/srv"
cp "$TH_WORK/probe.tar" "$TH_WORK/in/root/probe.tar"
echo "host secret" >"$TH_WORK/in/srv/secret"
chmod 0600 "$TH_WORK/in/srv/secret"
"$TH" "$TH_DIR" copy-in "$TH_WORK/in" /
th_exec chown 0:0 /srv/secret
th_exec berth import /root/probe.tar probe >/dev/null
th_exec berth import --change 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]' /root/demo.tar.gz berth-demo >/dev/null

fetch() { th_exec curl -fsS --max-time 10 "$@"; }

th_exec berth run -d --name u1 --userns=auto -p 127.0.0.1:8080:80 -v /srv:/srv berth-demo >/dev/null
th_exec berth run -d --name u2 --userns=auto probe sleep 1000 >/dev/null
th_exec berth run -d --name plain probe sleep 1000 >/dev/null

# --- the mapping ----------------------------------------------------------------------------------------
map1=$(th_exec berth inspect --format '{{json .IDMappings.UidMap}}' u1)
map2=$(th_exec berth inspect --format '{{json .IDMappings.UidMap}}' u2)
[[ $map1 =~ ^\[\"0:([0-9]+):65536\"\]$ ]] || { echo "FAIL: u1 UidMap $map1"; exit 1; }
base1=${BASH_REMATCH[1]}
[[ $map2 =~ ^\[\"0:([0-9]+):65536\"\]$ ]] || { echo "FAIL: u2 UidMap $map2"; exit 1; }
base2=${BASH_REMATCH[1]}
((base1 >= 1000000000 && base2 >= 1000000000 && base1 != base2)) || { echo "FAIL: ranges $base1 $base2"; exit 1; }
assert_eq auto "$(th_exec berth inspect --format '{{.HostConfig.UsernsMode}}' u1)" "UsernsMode"
pid=$(th_exec systemctl show -P MainPID berth@u1.service)
assert_eq "$base1 $base1" "$(th_exec stat -c '%u %g' /proc/"$pid")" "host view of the container's root"
assert_eq "0 $base1 65536" "$(th_exec sh -c "awk '{print \$1, \$2, \$3}' /proc/$pid/uid_map")" "uid_map"
pid=$(th_exec systemctl show -P MainPID berth@plain.service)
assert_eq "0" "$(th_exec stat -c '%u' /proc/"$pid")" "a container without --userns is host root"
echo "PASS: private ID ranges ($base1, $base2), recorded in the config"

# --- inside: root, files keep their owners, the host's root files are out of reach -------------------------
expect 0 "0 0" exec u1 sh -c 'echo $(id -u) $(id -g)'
expect 0 "0 $base1 65536" exec u1 sh -c 'set -- $(cat /proc/self/uid_map); echo $1 $2 $3'
expect 0 "0 0" exec u1 stat -c '%u %g' /bin/busybox
expect 0 "33 33" exec u1 sh -c 'adduser -D -H -u 33 x 2>/dev/null; touch /tmp/f && chown 33:33 /tmp/f && stat -c "%u %g" /tmp/f'
b exec u1 cat /srv/secret
assert_eq 1 "$rc" "reading a host root file (output: $out)"
assert_contains "$out" "Permission denied"
expect 0 "65534" exec u1 stat -c '%u' /srv/secret
expect 0 "" exec u1 sh -c 'echo hello >/written'
assert_eq "$base1 $base1" "$(th_exec stat -c '%u %g' /var/lib/berth/containers/u1/upper/written)" \
        "a file the container wrote, on the host"
assert_eq "$((base1 + 33))" "$(th_exec stat -c %u /var/lib/berth/containers/u1/upper/tmp/f)" "chown inside, on the host"
echo "PASS: root inside, image files owned as in the image, host files unmapped, writes land as host IDs"

# --- confinement still applies, the port works ----------------------------------------------------------
b exec u2 berth-probe uid cap_eff seccomp mount unshare_user mknod sethostname
p=$out
for kv in uid=0 cap_eff=00000000a80425fb seccomp=2 mount=EPERM unshare_user=EPERM mknod=EPERM sethostname=EPERM; do
        assert_contains $'\n'"$p"$'\n' $'\n'"$kv"$'\n' "probe in a --userns=auto container"
done
b run --rm --userns=auto probe berth-probe uid cap_eff chown
assert_contains "$out" "uid=0"
assert_contains "$out" "chown=ok"
for _ in $(seq 50); do fetch -o /dev/null http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
assert_contains "$(fetch http://127.0.0.1:8080/)" "Hello from a berth container" "httpd on port 80 as a mapped root"
echo "PASS: confinement inside the user namespace; httpd binds port 80 and is published"

expect 125 "conflicting options: --privileged and --userns=auto" run --rm --privileged --userns=auto probe true
expect 125 "invalid --userns 'private'" run --rm --userns=private probe true

# restart keeps the range; rm removes everything
th_exec berth restart u1 >/dev/null
assert_eq "$map1" "$(th_exec berth inspect --format '{{json .IDMappings.UidMap}}' u1)" "range after restart"
expect 0 "hello" exec u1 cat /written
th_exec berth rm -f u1 u2 plain >/dev/null
b ps -a -q
assert_eq "" "$out" "no containers left"
echo "PASS: test-userns"
