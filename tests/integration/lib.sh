# shellcheck shell=bash
# Helpers for berth's integration tests; source this file from a bash test.
#
#   th_require                 skip (77) or fail when the machine cannot boot test hosts
#   th_new [up-args...]        boot a fresh host; sets TH_DIR; destroyed (and checked
#                              for leaks) on exit
#   th_berth_host [up-args...] th_new with this build installed (meson install --destdir + copy-in,
#                              daemon-reload), /var/lib/berth bound from a real directory (overlay upper
#                              dirs cannot live on the host's root overlay), and the demo image tarball
#                              at /root/demo.tar.gz; sets TH_WORK (removed on exit)
#   th_exec CMD...             run CMD inside $TH_DIR
#   b ARGS / expect RC PAT ARGS  berth inside $TH_DIR, with $out and $rc
#   TH_CLEANUP+=("CMD")        run CMD from the EXIT trap too (after the hosts are gone)
#   assert_eq / assert_contains / assert_fail
#
# BERTH_TESTS_MUST_RUN=1 turns every skip into a failure (for CI that must run them).

TH=${TH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../testhost" && pwd)/th}
TH_DIR=
TH_DIRS=()
TH_CLEANUP=() # extra commands (strings, eval'd) run by the EXIT trap after the hosts are gone

th_skip_or_fail() {
	if [[ ${BERTH_TESTS_MUST_RUN:-0} == 1 ]]; then
		echo "FAIL: $* (BERTH_TESTS_MUST_RUN=1)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

th_require() {
	local c
	[[ $(id -u) == 0 ]] || th_skip_or_fail "test hosts need root"
	for c in unshare nsenter script setpriv ip flock tar mount mktemp; do
		command -v "$c" >/dev/null || th_skip_or_fail "missing command: $c"
	done
	[[ -x /lib/systemd/systemd ]] || th_skip_or_fail "missing /lib/systemd/systemd"
	grep -qw overlay /proc/filesystems || th_skip_or_fail "overlayfs is not available"
	grep -qE '(^| )- cgroup2? ' /proc/self/mountinfo || th_skip_or_fail "no cgroup filesystem mounted"
	grep -qE '(^| )- cgroup2 ' /proc/self/mountinfo || th_skip_or_fail "no cgroup2 mount (needed to root the host's cgroup namespace)"
	[[ -d /tmp && -w /tmp ]] || th_skip_or_fail "/tmp is not writable"
	[[ -x $TH ]] || th_skip_or_fail "harness not found: $TH"
}

# EXIT trap: destroy every host this test booted, then insist nothing leaked.
# Keeps a failing status; turns success into failure on a leak.
_th_cleanup() {
	local rc=$? d out
	trap - EXIT INT TERM HUP
	# a failure's context: what systemd and the containers said last
	if ((rc != 0)) && [[ -n ${TH_DIR:-} ]]; then
		if "$TH" "$TH_DIR" status >/dev/null 2>&1; then
			echo "--- journal of berth units in $TH_DIR (last 80 lines) ---"
			"$TH" "$TH_DIR" exec -- journalctl --no-pager -o short-monotonic -n 80 -u 'berth*' 2>&1 || true
		else
			# the host itself went down (or never came back from a restart): its console says why
			for out in "$TH_DIR/state/console.log" "$TH_DIR/console.prev.log"; do
				[[ -f $out ]] || continue
				echo "--- host $TH_DIR is down; last 40 lines of $out ---"
				tail -n 40 "$out" | tr -d '\r'
			done
		fi
	fi
	for d in "${TH_DIRS[@]}"; do
		if ! "$TH" "$d" destroy; then
			echo "FAIL: th destroy $d"
			rc=1
		fi
		if ! out=$("$TH" "$d" leaks 2>&1); then
			echo "FAIL: $d left things behind:"
			printf '%s\n' "$out"
			rc=1
		fi
	done
	for d in "${TH_CLEANUP[@]}"; do
		eval "$d" || rc=1
	done
	exit "$rc"
}

th_new() {
	local d
	d=$(mktemp -d /tmp/th.XXXXXX) || { echo "FAIL: mktemp"; exit 1; }
	TH_DIRS+=("$d")
	trap _th_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	if ! "$TH" "$d" up "$@"; then
		echo "FAIL: th $d up $* ($(caller 0 | awk '{print $3":"$1}'))"
		exit 1
	fi
	TH_DIR=$d
}

th_berth_host() {
	local build=${BERTH_BUILD_ROOT:?set by meson test}
	local src=${BERTH_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
	TH_WORK=$(mktemp -d /tmp/berth-it.XXXXXX)
	TH_CLEANUP+=('rm -rf "$TH_WORK"')
	trap _th_cleanup EXIT
	mkdir -p "$TH_WORK/stage/root" "$TH_WORK/varlib"
	meson install -C "$build" --no-rebuild --destdir "$TH_WORK/stage" >/dev/null
	"$src/tools/demo-image.sh" "$TH_WORK/stage/root/demo.tar.gz"
	th_new --bind "$TH_WORK/varlib:/var/lib/berth:rw" "$@"
	"$TH" "$TH_DIR" copy-in "$TH_WORK/stage" /
	th_exec systemctl daemon-reload
}

th_exec() {
	"$TH" "$TH_DIR" exec -- "$@"
}

# b ARGS...: runs berth inside $TH_DIR; sets $out (stdout+stderr) and $rc
b() {
	set +e
	out=$(th_exec berth "$@" 2>&1)
	rc=$?
	set -e
}

# expect RC PATTERN ARGS...: b ARGS..., then asserts the exit code and that PATTERN occurs in the output
expect() {
	local want=$1 pat=$2
	shift 2
	b "$@"
	assert_eq "$want" "$rc" "exit code of 'berth $*' (output: $out)"
	assert_contains "$out" "$pat" "output of 'berth $*'"
}

_assert_where() { echo "${BASH_SOURCE[2]}:${BASH_LINENO[1]}"; }

assert_eq() {
	[[ $1 == "$2" ]] && return 0
	printf 'FAIL: %s: %s\n  expected: %q\n  actual:   %q\n' "$(_assert_where)" "${3:-assert_eq}" "$1" "$2"
	exit 1
}

assert_contains() {
	[[ $1 == *"$2"* ]] && return 0
	printf 'FAIL: %s: %s\n  haystack: %q\n  needle:   %q\n' "$(_assert_where)" "${3:-assert_contains}" "$1" "$2"
	exit 1
}

assert_fail() {
	if "$@"; then
		printf 'FAIL: %s: command succeeded but should have failed:%s\n' "$(_assert_where)" "$(printf ' %q' "$@")"
		exit 1
	fi
	return 0
}
