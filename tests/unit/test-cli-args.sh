#!/bin/bash
# The CLI's conventions: --help/--version, usage errors exit 125 naming the bad thing, command failures
# exit 1, and the image verbs work end to end on a scratch store.
set -uo pipefail
berth=$1
fails=0 count=0
root=$(mktemp -d /tmp/test-cli.XXXXXX)
trap 'rm -rf "$root"' EXIT
export BERTH_ROOT=$root/store

# expect CODE PATTERN CMD... : runs berth CMD, checks exit code and that PATTERN occurs in its output
expect() {
        local code=$1 pattern=$2 out rc
        shift 2
        count=$((count + 1))
        out=$("$berth" "$@" 2>&1)
        rc=$?
        if [ "$rc" != "$code" ] || ! grep -qF -- "$pattern" <<<"$out"; then
                echo "FAIL: berth $* → exit $rc (want $code), output:"
                sed 's/^/    /' <<<"$out"
                echo "    (wanted to see: $pattern)"
                fails=$((fails + 1))
        fi
}

if [ "$(id -u)" != 0 ]; then
        if [ "${BERTH_TESTS_MUST_RUN:-0}" = 1 ]; then echo "FAIL: needs root"; exit 1; fi
        echo "SKIP: needs root (layers keep file ownership)"; exit 77
fi

# conventions
expect 0 "Usage: berth [OPTIONS] COMMAND" --help
expect 0 "Usage: berth [OPTIONS] COMMAND"
expect 0 "berth version" --version
expect 125 "'frobnicate' is not a berth command" frobnicate
expect 125 "unknown flag: --bogus" --bogus
expect 125 "--root needs an absolute path, got 'relative'" --root relative images
expect 125 "invalid --log-level 'loud'" --log-level loud images
for v in import images rmi tag inspect image; do
        expect 0 "Usage: berth" $v --help
done
expect 0 "berth image rm [OPTIONS]" image rm --help

# argument errors name the argument and point at --help
expect 125 "\"import\" requires at least 1 argument" import
expect 125 "See 'berth import --help'." import
expect 125 "unknown flag: --nope" import --nope x
expect 125 "flag needs an argument: --change" import x --change
expect 125 "\"import\" takes at most 2 arguments" import a b c
expect 125 "invalid reference format 'Bad:Name'" import /dev/null Bad:Name
expect 125 "repository name must be lowercase" import /dev/null Bad
expect 125 "invalid --change 'FROM scratch'" import --change 'FROM scratch' /dev/null
expect 125 "EXPOSE takes PORT" import --change 'EXPOSE 99999' /dev/null
expect 125 "is a directory" import /tmp
expect 125 "importing from a URL is not supported" import http://example.invalid/x.tar
expect 125 "invalid --platform 'windows/amd64'" import --platform windows/amd64 /dev/null
expect 1 "Failed to open '/nonexistent.tar'" import /nonexistent.tar
expect 125 "\"rmi\" requires at least 1 argument" rmi
expect 125 "\"tag\" requires exactly 2 arguments" tag a
expect 125 "invalid --format '{{.Foo'" images --format '{{.Foo'
expect 125 "unsupported --type 'volume'" inspect --type volume x
expect 1 "No such container: x" inspect --type container x
expect 1 "No such object: x" inspect x
expect 125 "'frob' is not a berth image command" image frob

# exec: argument errors before any container or systemd is needed
expect 0 "Usage: berth exec [OPTIONS] CONTAINER COMMAND" exec --help
expect 0 "Usage: berth exec [OPTIONS] CONTAINER COMMAND" container exec --help
expect 125 "\"exec\" requires at least 2 arguments" exec web
expect 125 "needs to be an absolute path" exec -w tmp web true
expect 125 "only the default 'ctrl-p,ctrl-q'" exec --detach-keys ctrl-x web true
expect 125 "invalid --env '=x'" exec -e =x web true
expect 125 "unknown shorthand flag: 'z'" exec -z web true
expect 1 "the input device is not a TTY" exec -it web sh </dev/null

# confinement and resource options: refused before anything is created
expect 125 "invalid --cap-add 'FLY': unknown capability" run --cap-add FLY img
expect 125 "invalid --cap-drop 'CAP_'" run --cap-drop CAP_ img
expect 125 "invalid --ulimit 'x=1': unknown limit" run --ulimit x=1 img
expect 125 "the soft limit can't be above the hard limit" create --ulimit nofile=5:4 img
expect 125 "not a namespaced sysctl" run --sysctl vm.swappiness=1 img
expect 125 "net.* sysctls are the host's" run --network host --sysctl net.ipv4.ip_forward=1 img
expect 125 "--memory-swap needs --memory" run --memory-swap 1g img
expect 125 "--memory-swap must be at least --memory" run -m 1g --memory-swap 512m img
expect 125 "invalid --memory '1m': the minimum is 6m" run -m 1m img
expect 125 "invalid --cpus '0'" run --cpus 0 img
expect 125 "invalid --cpu-shares '1'" run -c 1 img
expect 125 "invalid --cpuset-cpus 'a'" run --cpuset-cpus a img
expect 125 "invalid --blkio-weight '5'" run --blkio-weight 5 img
expect 125 "invalid --pids-limit 'x'" run --pids-limit x img
expect 125 "invalid --shm-size '0'" run --shm-size 0 img
expect 125 "invalid --device 'dev/fuse'" run --device dev/fuse img
expect 125 "invalid --tmpfs '/run:lowerdir=/x'" run --tmpfs /run:lowerdir=/x img
expect 125 "--security-opt 'apparmor=unconfined' is not supported" run --security-opt apparmor=unconfined img
expect 125 "invalid --security-opt 'seccomp='" run --security-opt seccomp= img
expect 125 "Failed to read seccomp profile '/nonexistent.json'" run --security-opt seccomp=/nonexistent.json img
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": 5}]}' >"$root/bad.json"
expect 125 "invalid seccomp profile '$root/bad.json': syscalls[0].action" run --security-opt "seccomp=$root/bad.json" img
printf '{"defaultAction": ' >"$root/bad.json"
expect 125 "invalid seccomp profile '$root/bad.json'" run --security-opt "seccomp=$root/bad.json" img
expect 0 "--cap-add CAP" run --help
expect 0 "Usage: berth update [OPTIONS] CONTAINER" update --help
expect 0 "Usage: berth stats [OPTIONS]" container stats --help
expect 125 "you must provide one or more flags" update web
expect 125 "\"update\" requires at least 1 argument" update -m 10m
expect 125 "--restart is not supported yet" update --restart always web
expect 125 "invalid --format '{{.Foo'" stats --format '{{.Foo'
expect 125 "-i/--interactive without -t works with 'berth run' in the foreground only" run -d -i img
expect 125 "-i/--interactive without -t works with 'berth run' in the foreground only" create -i img
expect 0 "Usage: berth attach [OPTIONS] CONTAINER" attach --help
expect 0 "Usage: berth attach [OPTIONS] CONTAINER" container attach --help
expect 125 "\"attach\" requires exactly 1 argument" attach
expect 125 "only the default 'ctrl-p,ctrl-q'" attach --detach-keys ctrl-x web
expect 1 "the input device is not a TTY" run -it img sh </dev/null

# a broken tarball fails without leaving anything behind
printf 'this is not a tarball' >"$root/bad.tar"
expect 1 "Failed to import '$root/bad.tar'" import "$root/bad.tar" bad:1
expect 0 "REPOSITORY" images
[ -z "$(find "$BERTH_ROOT/layers" "$BERTH_ROOT/tmp" "$BERTH_ROOT/images" -mindepth 1)" ] ||
        { echo "FAIL: failed import left files behind"; fails=$((fails + 1)); }

# the image verbs end to end
mkdir -p "$root/rootfs/bin" "$root/rootfs/etc"
echo hello >"$root/rootfs/etc/greeting"
tar -C "$root/rootfs" -czf "$root/img.tar.gz" .
id=$("$berth" import --change 'CMD ["/bin/sh"]' --change 'ENV A=1 B=2' "$root/img.tar.gz" demo:1.0)
count=$((count + 1))
if ! [[ $id =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "FAIL: import printed '$id'"; fails=$((fails + 1)); fi
short=${id:7:12}
expect 0 "demo         1.0       $short" images
expect 0 "$short" images -q
expect 0 '"Repository":"demo","SharedSize":"N/A"' images --format json
expect 0 "demo:1.0" images --format '{{.Repository}}:{{.Tag}}'
expect 0 '["/bin/sh"]' image inspect --format '{{json .Config.Cmd}}' demo:1.0
expect 0 '"A=1"' inspect demo:1.0
expect 0 '"RepoTags": [' image inspect "$short"
expect 1 "No such image: nothere" image inspect nothere
expect 0 "" tag demo:1.0 localhost:5000/x/demo:2
expect 0 "localhost:5000/x/demo   2" images
expect 125 "invalid reference format 'UP'" tag demo:1.0 UP
expect 1 "No such image: 'missing:1'" tag missing:1 other:1
expect 1 "referenced in multiple repositories" rmi "$short"
expect 0 "Untagged: localhost:5000/x/demo:2" rmi localhost:5000/x/demo:2
echo "cat <(stdin) also works" | tar -C "$root/rootfs" -cf - . | "$berth" import - piped >/dev/null
expect 0 "piped" images
expect 0 "Deleted: $id" rmi demo:1.0
expect 1 "No such image: 'demo:1.0'" rmi demo:1.0
expect 0 "Untagged: piped:latest" image rm piped
[ -z "$(find "$BERTH_ROOT/layers" "$BERTH_ROOT/images" -mindepth 1)" ] ||
        { echo "FAIL: rmi left layers or records behind"; fails=$((fails + 1)); }

echo "$((count - fails)) passed, $fails failed"
[ $fails = 0 ]
