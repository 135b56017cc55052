#!/bin/bash
# The bash completion offers berth's verbs, a verb's flags and the values of some flags, read from the
# berth being tested; the zsh completion is valid zsh. (Container and image names need a store and root:
# tests/integration/test-deb.sh checks them on the installed package.)
set -uo pipefail
berth=$1 src=$2
fails=0
bindir=$(mktemp -d /tmp/test-completion.XXXXXX)
trap 'rm -rf "$bindir"' EXIT
ln -s "$berth" "$bindir/berth"
export PATH="$bindir:$PATH"

# complete WORDS...: the candidates bash offers for the last word
complete_words() {
        bash -c '. "$1/completions/berth.bash"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _berth; printf "%s\n" "${COMPREPLY[@]}"' \
                - "$src" "$@"
}

check() {
        local want=$1 got
        shift
        got=$(complete_words "$@")
        if ! grep -qxF -- "$want" <<<"$got"; then
                echo "FAIL: completing '$*' does not offer '$want': $(echo $got)"
                fails=$((fails + 1))
        fi
}

check run berth r
check generate berth ge
check healthcheck berth heal
check --health-cmd berth run --health-c
check restart berth run --health-on-failure re
check --detach berth run --de
check --publish berth run --pub
check --net berth create --ne
check --log-level berth --log
check host berth run --network h
check unless-stopped berth run --restart un
check rm berth image r
check --force berth image rm --fo
check error berth --log-level e

if command -v zsh >/dev/null; then
        zsh -n "$src/completions/_berth" || { echo "FAIL: _berth is not valid zsh"; fails=$((fails + 1)); }
elif [ "${BERTH_TESTS_MUST_RUN:-0}" = 1 ]; then
        echo "FAIL: zsh is not installed (BERTH_TESTS_MUST_RUN=1)"
        fails=$((fails + 1))
else
        echo "zsh is not installed: the zsh completion's syntax was not checked"
fi
[ "$fails" = 0 ] && echo "completion ok"
exit $((fails > 0))
