# bash completion for berth(1): verbs, their flags, container and image names.
# Verbs and flags are read from `berth --help` and `berth VERB --help`, so they follow the installed
# program; names come from `berth ps -a` and `berth images` (root only, like berth itself).

_berth_containers() {
        berth ps -a --format '{{.Names}}' 2>/dev/null
}

_berth_images() {
        berth images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>'
}

# the long flags of a verb ("run", "image rm", or "" for the global ones), from its --help
_berth_flags() {
        berth $1 --help 2>/dev/null | awk '/^ +(-[a-zA-Z], )?--[a-z]/ {
                line = $0; sub(/^ +/, "", line)
                n = index(line, "  "); if (n) line = substr(line, 1, n - 1)
                m = split(line, w, /,? +/)
                for (i = 1; i <= m; i++) if (w[i] ~ /^--[a-z]/) print w[i]
        }'
}

_berth() {
        local cur prev words cword
        if declare -F _init_completion >/dev/null; then
                _init_completion -n = || return
        else
                cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
                words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
        fi

        # the verb: the first word that is not an option (or the value of --root/--log-level)
        local i verb= sub= nargs=0
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                --root | --log-level) ((i++)) ;;
                -*) ;;
                *)
                        if [[ -z $verb ]]; then
                                verb=${words[i]}
                        elif [[ ($verb == container || $verb == image) && -z $sub ]]; then
                                sub=${words[i]}
                        else
                                nargs=$((nargs + 1))
                        fi
                        ;;
                esac
        done

        # values of options
        case $prev in
        --root | --env-file | -v | --volume | --seccomp-profile)
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur"))
                return
                ;;
        --log-level)
                COMPREPLY=($(compgen -W "debug info warning error" -- "$cur"))
                return
                ;;
        --network | --net)
                COMPREPLY=($(compgen -W "none host" -- "$cur"))
                return
                ;;
        --restart)
                COMPREPLY=($(compgen -W "no always on-failure unless-stopped" -- "$cur"))
                return
                ;;
        --userns)
                COMPREPLY=($(compgen -W "auto host" -- "$cur"))
                return
                ;;
        --health-on-failure)
                COMPREPLY=($(compgen -W "none kill restart stop" -- "$cur"))
                return
                ;;
        -s | --signal | --stop-signal)
                COMPREPLY=($(compgen -W "SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2" -- "$cur"))
                return
                ;;
        -e | --env | -l | --label | -p | --publish | -w | --workdir | -u | --user | -h | --hostname | \
                --name | --format | -f | --filter | -t | --time | --tail | --since | --until | -m | --memory | \
                --cpus | --change | -c)
                [[ $verb == "" || $verb == run || $verb == create || $verb == exec || $verb == update || \
                        $verb == logs || $verb == ps || $verb == images || $verb == stop || $verb == restart || \
                        $verb == kill || $verb == inspect || $verb == import ]] && return
                ;;
        esac

        if [[ -z $verb ]]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$(_berth_flags "")" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$(berth --help 2>/dev/null | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')" -- "$cur"))
                fi
                return
        fi
        if [[ ($verb == container || $verb == image) && -z $sub ]]; then
                COMPREPLY=($(compgen -W "$(berth "$verb" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')" -- "$cur"))
                return
        fi
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$(_berth_flags "$verb${sub:+ $sub}")" -- "$cur"))
                return
        fi

        case $verb${sub:+ $sub} in
        run | create | "container run" | "container create")
                ((nargs == 0)) && COMPREPLY=($(compgen -W "$(_berth_images)" -- "$cur"))
                ;;
        rmi | tag | history | "image rm" | "image inspect" | "image tag")
                COMPREPLY=($(compgen -W "$(_berth_images)" -- "$cur"))
                ;;
        import | "image import")
                ((nargs == 0)) && { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); }
                ;;
        inspect)
                COMPREPLY=($(compgen -W "$(_berth_containers) $(_berth_images)" -- "$cur"))
                ;;
        exec | logs | port | rename | attach | generate | "container "*)
                ((nargs == 0)) && COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur"))
                ;;
        start | stop | restart | kill | rm | wait | stats | update)
                COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur"))
                ;;
        esac
}

complete -F _berth berth
