#!/bin/bash
# Confinement, probed from inside containers by tests/helpers/probe.c: Docker's default capabilities (and
# none for other users), the default seccomp filter (EPERM for what it knows and refuses, ENOSYS for clone3
# and unknown syscalls), masked and read-only paths, the device cgroup; then what --cap-add, --cap-drop,
# --privileged, --security-opt (no-new-privileges, seccomp=unconfined, a custom profile), --read-only,
# --tmpfs, --shm-size, --ulimit, --sysctl and --device change, and that `berth exec` gets the same.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
th_require
th_berth_host --net private
"$here/../helpers/probe-image.sh" "$TH_WORK/probe.tar" >/dev/null
mkdir -p "$TH_WORK/in/root"
cp "$TH_WORK/probe.tar" "$TH_WORK/in/root/probe.tar"
cat >"$TH_WORK/in/root/deny-chown.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["chown", "fchown", "fchownat", "lchown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
cat >"$TH_WORK/in/root/bad.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chown"], "action": "SCMP_ACT_FOO"}]}
JSON
"$TH" "$TH_DIR" copy-in "$TH_WORK/in" /
th_exec berth import /root/probe.tar probe >/dev/null

DOCKER_CAPS=00000000a80425fb

# probe FLAGS... -- CHECKS...: runs the probe in a new container, sets $p to its output
probe() {
        local flags=()
        while (($#)) && [[ $1 != -- ]]; do
                flags+=("$1")
                shift
        done
        shift
        b run --rm "${flags[@]}" probe berth-probe "$@"
        assert_eq 0 "$rc" "berth run ${flags[*]} probe (output: $out)"
        p=$out
}
# has KEY=VALUE: the last probe reported that
has() { assert_contains $'\n'"$p"$'\n' $'\n'"$1"$'\n' "probe output (flags: $flags_shown)"; }
flags_shown=""

# --- defaults ----------------------------------------------------------------------------------------------
flags_shown="(defaults)"
probe --
for kv in cap_bnd=$DOCKER_CAPS cap_prm=$DOCKER_CAPS cap_eff=$DOCKER_CAPS cap_inh=0000000000000000 \
        cap_amb=0000000000000000 no_new_privs=0 seccomp=2 uid=0 mount=EPERM unshare_user=EPERM \
        unshare_ns=EPERM clone_newns=EPERM clone3=ENOSYS unknown_syscall=ENOSYS keyctl=EPERM reboot=EPERM \
        proc_sys_write=EROFS mknod=ok chroot=ok sethostname=EPERM raw_socket=ok bind_80=ok chown=ok \
        rootfs_write=ok ptrace_pid1=self shm_size=67108864; do
        has "$kv"
done
echo "PASS: default capabilities, seccomp filter and read-only /proc/sys"

probe -- read:/proc/keys read:/proc/timer_list read:/proc/acpi write:/proc/sysrq-trigger write:/sys/kernel/mm/transparent_hugepage/enabled dev_list
has read:/proc/keys=eof
has read:/proc/timer_list=eof
has read:/proc/acpi=EISDIR
has dev_list="fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
assert_contains "$p" "write:/sys/kernel/mm/transparent_hugepage/enabled=EROFS"
b run --rm probe sh -c 'ls -A /proc/acpi /sys/firmware | grep -v : | grep -c .'
assert_eq "0" "$out" "masked directories are empty"
echo "PASS: masked paths and /dev"

# the device cgroup: a node the container may create (CAP_MKNOD) but not use, as under Docker
b run --rm probe sh -c 'mknod /tmp/kmsg c 1 11 && echo hello >/tmp/kmsg'
assert_eq 1 "$rc" "mknod+write of /dev/kmsg's node (output: $out)"
assert_contains "$out" "Operation not permitted"
b run --rm probe sh -c 'mknod /tmp/z c 1 5 && head -c 3 /tmp/z | wc -c'
assert_eq "0:3" "$rc:$out" "a node of an allowed device works"
echo "PASS: device cgroup"

# another user: no capabilities at all, the bounding set stays
flags_shown="-u nobody"
probe -u nobody -- cap_bnd cap_prm cap_eff uid mknod
has cap_bnd=$DOCKER_CAPS
has cap_prm=0000000000000000
has cap_eff=0000000000000000
has uid=65534
echo "PASS: a non-root user has no capabilities"

# --- capabilities ----------------------------------------------------------------------------------------
flags_shown="--cap-add SYS_ADMIN --cap-drop mknod"
probe --cap-add SYS_ADMIN --cap-drop mknod -- cap_eff mount unshare_ns clone_newns sethostname mknod keyctl
has cap_eff=00000000a02425fb
has mount=ok
has unshare_ns=ok
has clone_newns=ok
has sethostname=ok
has mknod=EPERM
has keyctl=EPERM
flags_shown="--cap-drop ALL --cap-add chown"
probe --cap-drop ALL --cap-add CAP_CHOWN -- cap_bnd chown chroot raw_socket
has cap_bnd=0000000000000001
has chown=ok
has chroot=EPERM
has raw_socket=EPERM
flags_shown="--cap-add ALL --cap-drop NET_RAW"
probe --cap-add ALL --cap-drop NET_RAW -- raw_socket mount
has raw_socket=EPERM
has mount=ok
expect 125 "invalid --cap-add 'CAP_FLY': unknown capability" run --rm --cap-add CAP_FLY probe true
echo "PASS: --cap-add, --cap-drop, ALL"

# --- --privileged ------------------------------------------------------------------------------------------
host_bnd=$(th_exec sh -c "awk '/^CapBnd/ {print \$2}' /proc/1/status") # systemd's: the most a unit can have
flags_shown="--privileged"
probe --privileged -- cap_bnd cap_eff seccomp keyctl proc_sys_write mount unshare_user read:/proc/keys dev_list write:/sys/kernel/mm/transparent_hugepage/enabled
has cap_bnd=$host_bnd
has cap_eff=$host_bnd
has seccomp=0
has keyctl=ok
has proc_sys_write=ok
has mount=ok
has unshare_user=ok
[[ $p != *"read:/proc/keys=eof"* ]] || { echo "FAIL: /proc/keys is masked with --privileged"; exit 1; }
devs=" $(sed -n 's/^dev_list=//p' <<<"$p") "
for d in $(th_exec find /dev -maxdepth 1 '(' -type c -o -type b ')' ! -name console ! -name ptmx -printf '%f\n'); do
        [[ $devs == *" $d "* ]] || { echo "FAIL: --privileged lacks the host's /dev/$d: $devs"; exit 1; }
done
[[ $p != *"enabled=EROFS"* ]] || { echo "FAIL: /sys is read-only with --privileged"; exit 1; }
echo "PASS: --privileged"

# --- --security-opt ----------------------------------------------------------------------------------------
flags_shown="no-new-privileges"
probe --security-opt no-new-privileges -- no_new_privs seccomp
has no_new_privs=1
has seccomp=2
flags_shown="seccomp=unconfined"
probe --security-opt seccomp=unconfined -- seccomp clone3 keyctl mount cap_eff
has seccomp=0
has clone3=EINVAL
has keyctl=ok
has mount=EPERM
has cap_eff=$DOCKER_CAPS
flags_shown="seccomp=deny-chown.json"
th_exec sh -c 'cd /root && berth run --rm --security-opt seccomp=deny-chown.json probe berth-probe chown mount' >"$TH_WORK/out" 2>&1
p=$(cat "$TH_WORK/out")
has chown=EACCES
has mount=EPERM
expect 125 "syscalls[0].action" run --rm --security-opt seccomp=/root/bad.json probe true
expect 125 "seccomp profile '/root/missing.json'" run --rm --security-opt seccomp=/root/missing.json probe true
expect 125 "is not supported by berth" run --rm --security-opt apparmor=unconfined probe true
expect 125 "invalid --security-opt 'bogus'" run --rm --security-opt bogus probe true
echo "PASS: --security-opt no-new-privileges, seccomp=unconfined, a custom profile and its errors"

# --- file systems and limits -----------------------------------------------------------------------------
flags_shown="--read-only --tmpfs /tmp"
probe --read-only --tmpfs /tmp:size=1m -- rootfs_write mknod shm_size
has rootfs_write=EROFS
has mknod=ok # it works in /tmp, the tmpfs
b run --rm --read-only --tmpfs /run:size=1m probe sh -c 'df -k /run | tail -1'
assert_contains "$out" " 1024 "
flags_shown="--shm-size --ulimit --sysctl"
probe --shm-size 1m --ulimit nofile=100:200 --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmni=1000 -- \
        shm_size rlimit_nofile sysctl:net.ipv4.ip_forward sysctl:kernel.shmmni
has shm_size=1048576
has rlimit_nofile=100:200
has sysctl:net.ipv4.ip_forward=1
has sysctl:kernel.shmmni=1000
expect 125 "not a namespaced sysctl" run --rm --sysctl vm.swappiness=10 probe true
expect 125 "can't be set per container" run --rm --network host --sysctl net.ipv4.ip_forward=1 probe true
expect 125 "invalid --ulimit 'nofile=2:1'" run --rm --ulimit nofile=2:1 probe true
flags_shown="--device"
probe --device /dev/null:/dev/mynull:rw -- dev_list write:/dev/mynull
assert_contains "$p" " mynull "
has write:/dev/mynull=ok
expect 125 "device '/dev/nosuch'" run --rm --device /dev/nosuch probe true
echo "PASS: --read-only, --tmpfs, --shm-size, --ulimit, --sysctl, --device"

# --- exec gets the container's confinement ---------------------------------------------------------------
flags_shown="berth exec"
th_exec berth run -d --name c1 --cap-drop chown --security-opt no-new-privileges --ulimit nofile=300:400 \
        probe sleep 1000 >/dev/null
b exec c1 berth-probe cap_bnd cap_eff no_new_privs seccomp mount keyctl clone3 chown ptrace_pid1 rlimit_nofile
p=$out
has cap_bnd=00000000a80425fa
has cap_eff=00000000a80425fa
has no_new_privs=1
has seccomp=2
has mount=EPERM
has keyctl=EPERM
has clone3=ENOSYS
has chown=EPERM
has ptrace_pid1=ok # as under Docker: the filter allows ptrace, the kernel checks it
has rlimit_nofile=300:400
b exec -u nobody c1 berth-probe cap_eff cap_bnd ptrace_pid1
p=$out
has ptrace_pid1=EPERM
has cap_eff=0000000000000000
has cap_bnd=00000000a80425fa
b exec --privileged c1 berth-probe seccomp keyctl cap_eff
p=$out
has seccomp=0
has keyctl=ok
# every capability the caller of berth exec has (here more than the test host's systemd keeps)
has cap_eff=$(th_exec sh -c "awk '/^CapBnd/ {print \$2}' /proc/self/status")
th_exec berth rm -f c1 >/dev/null
echo "PASS: exec applies the container's capabilities, no-new-privileges, seccomp filter and ulimits"

b ps -a -q
assert_eq "" "$out" "no containers left"
echo "PASS: test-confine"
