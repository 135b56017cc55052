#!/bin/bash
# Tests the test-host harness itself (tests/testhost/th): boot, identity,
# cgroup rooting, exec pass-through, reboot persistence, two hosts at once and a
# clean teardown.  Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

th_require
pass() { echo "PASS: $*"; }
t0=$EPOCHREALTIME

# --- boot -------------------------------------------------------------------
th_new --net private
A=$TH_DIR

state=$(th_exec systemctl is-system-running || true)
case $state in
running | degraded) pass "host A is $state" ;;
*) assert_eq "running or degraded" "$state" "systemctl is-system-running" ;;
esac
assert_eq systemd "$(th_exec cat /proc/1/comm)" "PID 1 inside is systemd"
hn=$(th_exec hostname)
assert_contains "$hn" "th-" "hostname"
[[ $hn == th-* ]] || assert_eq "th-..." "$hn" "hostname prefix"
pass "PID 1 is systemd, hostname $hn"

# Inside, PID 1 must see itself at the root of every hierarchy (init.scope or /),
# never the machine's paths (testhost/<ID>, the caller's own cgroup).
cg=$(th_exec cat /proc/1/cgroup)
while IFS=: read -r _ ctrl path; do
	case $path in
	/ | /init.scope) ;;
	*) assert_eq "/ or /init.scope" "$path" "PID 1 cgroup for '$ctrl'" ;;
	esac
done <<<"$cg"
assert_contains "$cg" "0::/init.scope" "PID 1 in init.scope of the host's cgroup2 view"
assert_eq "0::/" "$(th_exec cat /proc/self/cgroup | grep '^0::')" "exec'd process at the cgroup root"
pass "cgroups are rooted"

# --- state that must survive a reboot -----------------------------------------
th_exec sh -c 'mkdir -p /var/lib/th-probe && echo survived >/var/lib/th-probe/file'
th_exec sh -c 'cat >/etc/systemd/system/th-probe.service' <<'EOF'
[Unit]
Description=th probe

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true

[Install]
WantedBy=multi-user.target
EOF
th_exec systemctl enable --now --quiet th-probe.service
assert_eq active "$(th_exec systemctl is-active th-probe.service || true)" "probe unit active before reboot"
boot1=$(th_exec cat /proc/sys/kernel/random/boot_id)

r0=$EPOCHREALTIME
"$TH" "$A" restart
echo "restart took $(bc <<<"$EPOCHREALTIME - $r0") s"
"$TH" "$A" status >/dev/null || assert_eq 0 "$?" "status after restart"
assert_eq survived "$(th_exec cat /var/lib/th-probe/file)" "file under /var/lib survives reboot"
assert_eq active "$(th_exec systemctl is-active th-probe.service || true)" "enabled unit active after reboot"
boot2=$(th_exec cat /proc/sys/kernel/random/boot_id)
[[ $boot1 != "$boot2" && -n $boot2 ]] || assert_eq "a new boot_id" "$boot2" "boot_id changes on reboot (was $boot1)"
pass "reboot: file and enabled unit survived, boot_id changed"

# --- exec pass-through ----------------------------------------------------------
rc=0; th_exec sh -c 'exit 7' || rc=$?
assert_eq 7 "$rc" "exit status passes through"
rc=0; th_exec sh -c 'kill -TERM $$' || rc=$?
assert_eq 143 "$rc" "signal death comes back as 128+n"
rc=0; th_exec true </dev/null || rc=$?
assert_eq 0 "$rc" "exec with stdin on /dev/null"
assert_eq "out err" "$(th_exec sh -c 'echo out; echo err >&2' 2>&1 | tr '\n' ' ' | sed 's/ $//')" "stdout and stderr"
data=$(mktemp /tmp/th-data.XXXXXX)
head -c 1048576 /dev/urandom >"$data"
want=$(sha256sum <"$data" | cut -d' ' -f1)
got=$(th_exec sha256sum <"$data" | cut -d' ' -f1)
assert_eq "$want" "$got" "1 MB of stdin redirected through sha256sum"
# shellcheck disable=SC2002 # a real pipe on purpose
got=$(cat "$data" | th_exec sha256sum | cut -d' ' -f1)
rm -f "$data"
assert_eq "$want" "$got" "1 MB of stdin piped through sha256sum"
pass "exec: exit 7 -> 7, SIGTERM -> 143, stdin intact"

# --- a second host, at the same time ---------------------------------------------
th_new --net private
B=$TH_DIR
"$TH" "$A" status >/dev/null || assert_eq 0 "$?" "host A still up"
"$TH" "$B" status >/dev/null || assert_eq 0 "$?" "host B up"
addr_a=$("$TH" "$A" exec ip -4 -o addr show dev host0 | awk '{print $4}')
addr_b=$("$TH" "$B" exec ip -4 -o addr show dev host0 | awk '{print $4}')
veth_a=thv$(cat "$A/state/net")
veth_b=thv$(cat "$B/state/net")
[[ -n $addr_a && -n $addr_b && $addr_a != "$addr_b" ]] || assert_eq "two distinct addresses" "$addr_a $addr_b" "inner addresses"
[[ $veth_a != "$veth_b" ]] || assert_eq "two distinct veths" "$veth_a $veth_b" "veth names"
for v in "$veth_a" "$veth_b"; do
	ip link show "$v" >/dev/null || assert_eq "link $v exists" "missing" "outer veth"
done
assert_contains "$(ip -4 -o addr show dev "$veth_a")" "10.250." "outer address on $veth_a"
assert_eq "" "$("$TH" "$A" exec ip route show default)" "no default route inside"
# interface indexes only grow, so unlike names (which a parallel test's host may take next) they
# identify these very veths after teardown
ifindexes="$(cat "/sys/class/net/$veth_a/ifindex") $(cat "/sys/class/net/$veth_b/ifindex")"
pass "two hosts up at once: $veth_a/$addr_a and $veth_b/$addr_b"

# --- teardown ---------------------------------------------------------------------
for d in "$A" "$B"; do
	d0=$EPOCHREALTIME
	"$TH" "$d" destroy
	echo "destroy took $(bc <<<"$EPOCHREALTIME - $d0") s"
	rc=0; "$TH" "$d" status >/dev/null || rc=$?
	assert_eq 3 "$rc" "status after destroy"
	out=$("$TH" "$d" leaks 2>&1) || assert_eq "" "$out" "th leaks for $d"
	assert_eq "" "$(grep -F "$d" /proc/self/mountinfo || true)" "no mount mentions $d"
	assert_eq "" "$(pgrep -af -- "$d" | grep -v pgrep || true)" "no process mentions $d"
	[[ ! -e $d ]] || assert_eq "removed" "exists" "$d after destroy"
done
for i in $ifindexes; do
	assert_eq "" "$(ip -o link show | grep "^$i: " || true)" "veth with ifindex $i removed"
done
pass "teardown left nothing behind"

echo "PASS: test-testhost ($(bc <<<"$EPOCHREALTIME - $t0") s)"
