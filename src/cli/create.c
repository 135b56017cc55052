/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "cli.h"
#include "container-unit.h"
#include "container-util.h"
#include "create-confine.h"
#include "create-health.h"
#include "run-stdio.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-config.h"
#include "json-util.h"
#include "log.h"
#include "proc-util.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"

static bool arg_detach = false;
static const char *arg_name = NULL;
static char **arg_env = NULL; /* -e, in order */
static char **arg_env_file = NULL; /* from --env-file, in order */
static ContainerMount *arg_mounts = NULL;
static size_t arg_n_mounts = 0;
static const char *arg_workdir = NULL;
static const char *arg_user = NULL;
static const char *arg_entrypoint = NULL; /* NULL: not given; "": reset */
static const char *arg_hostname = NULL;
static bool arg_rm = false;
static bool arg_init = false;
static SdNotifyMode arg_sd_notify = SD_NOTIFY_STARTED;
static RestartPolicy arg_restart = RESTART_NO;
static int64_t arg_restart_max = 0;
static NetworkMode arg_network = NETWORK_NONE;
static char **arg_labels = NULL;
static char *arg_stop_signal = NULL;
static int64_t arg_stop_timeout = INT64_MIN; /* unset */
static PortBinding *arg_ports = NULL; /* -p, ranges expanded */
static const char **arg_port_specs = NULL; /* the -p argument each binding came from, for errors */
static size_t arg_n_ports = 0;
static bool arg_publish_all = false;
static bool arg_on_demand = false;
static int64_t arg_idle_stop_sec = 0;
static bool arg_interactive = false, arg_tty = false;
static const char *arg_pull = "missing"; /* --pull=always|missing|never */
static const char *arg_platform = NULL;
/* berth-generator's ExecStartPre= of a declared container (hidden options): the .container file, which
 * becomes the berth.container-file label, and the container ID the generated unit settings name */
static const char *arg_declared_in = NULL, *arg_id = NULL;

static void args_free(void) {
        arg_env = strv_free(arg_env);
        arg_env_file = strv_free(arg_env_file);
        for (size_t i = 0; i < arg_n_mounts; i++)
                container_mount_done(arg_mounts + i);
        free(arg_mounts);
        arg_mounts = NULL;
        arg_n_mounts = 0;
        arg_labels = strv_free(arg_labels);
        free(arg_stop_signal);
        arg_stop_signal = NULL;
        free(arg_ports);
        arg_ports = NULL;
        free(arg_port_specs);
        arg_port_specs = NULL;
        arg_n_ports = 0;
        confine_args_free();
        health_args_free();
}

static void help(bool run) {
        const char *v = run ? "run" : "create";

        printf("Usage: berth %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
               "\n"
               "%s. IMAGE is a reference (berth-demo, busybox:1.36) or an image ID (or a unique\n"
               "prefix of one). The container is the systemd unit berth@NAME.service.\n"
               "\n"
               "Options:\n",
                v,
                run ? "Create and start a container; without -d, show its output until it exits and exit\n"
                      "with its exit code"
                    : "Create a container without starting it and print its ID");
        if (run)
                printf("  -d, --detach                 Run in the background and print the container ID\n");
        printf("  -e, --env KEY=VAL|KEY        Set an environment variable (a bare KEY takes this\n"
               "                               shell's value, and is dropped if unset)\n"
               "      --env-file FILE          Read variables from FILE (KEY=VAL or KEY lines, '#' "
               "comments)\n"
               "      --entrypoint CMD         Override the image's entrypoint (drops its CMD; \"\" "
               "resets)\n"
               "  -h, --hostname NAME          Container host name (default: the first 12 ID digits)\n"
               "  -i, --interactive            (run) Connect this stdin (and stdout, stderr) to the "
               "container\n"
               "      --init                   Run a minimal init as PID 1 that reaps zombies\n"
               "  -l, --label KEY=VAL          Set a label\n"
               "      --mount SPEC             type=bind,source=PATH,target=PATH[,readonly] or\n"
               "                               type=tmpfs,target=PATH[,tmpfs-size=64m][,tmpfs-mode=1777]\n"
               "      --idle-stop DURATION     Stop the container after DURATION (90s, 5m, 1h) without a\n"
               "                               client on its published ports (implies --on-demand)\n"
               "      --name NAME              Container name (default: a generated adjective_noun)\n"
               "      --network, --net MODE    none (default, loopback only) or host\n"
               "      --on-demand              Keep the published ports listening while the container is\n"
               "                               stopped: the first client starts it\n"
               "  -p, --publish SPEC           Publish a container port on the host:\n"
               "                               [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp], ranges such as\n"
               "                               8000-8010:80-90; no or 0 HOST_PORT picks a free port\n"
               "  -P, --publish-all            Publish every port the image EXPOSEs on a free host port\n"
               "      --restart POLICY         no (default), always, on-failure[:MAX-RETRIES] or\n"
               "                               unless-stopped (systemd's Restart=; always and\n"
               "                               unless-stopped also start the container at boot)\n"
               "      --rm                     Remove the container when it exits\n"
               "      --sdnotify MODE          Who makes the unit active: started (berth, once the command\n"
               "                               runs), container (its READY=1 on $NOTIFY_SOCKET) or ignore\n"
               "      --stop-signal SIGNAL     Signal that stops the container (default SIGTERM)\n"
               "      --stop-timeout SECONDS   Time to wait after the stop signal before SIGKILL (default "
               "10)\n"
               "  -t, --tty                    Give the container a terminal, relayed to this one (run), "
               "or\n"
               "                               kept for 'berth attach' (-d, create); ctrl-p ctrl-q "
               "detaches\n"
               "  -u, --user USER[:GROUP]      User (name or UID) and group to run as\n"
               "  -v, --volume SRC:DST[:ro|rw] Bind mount a host path (absolute, or ./ ../ relative)\n"
               "  -w, --workdir DIR            Working directory inside the container\n"
               "      --help                   Show this help\n");
        confine_help();
        health_help();
        printf("\n"
               "Not supported yet: named volumes, --network bridge, -i without -t in the background.\n");
}

static int stat_bind_source(const char *verb, const ContainerMount *m) {
        struct stat st;

        if (m->type != MOUNT_BIND)
                return 0;
        if (stat(m->source, &st) < 0) {
                if (errno == ENOENT)
                        log_error("invalid mount config for type \"bind\": bind source path does not exist: "
                                  "%s",
                                m->source);
                else
                        log_error_errno(-errno,
                                "invalid mount config for type \"bind\": cannot access '%s': %m", m->source);
                return -EXIT_USAGE;
        }
        return 0;
}

static int add_mount(const char *verb, const char *flag, const char *spec) {
        _cleanup_free_ char *cwd = NULL;
        const char *reason = NULL;
        ContainerMount m = {}, *a;
        int r;

        cwd = getcwd(NULL, 0);
        if (!cwd)
                return log_error_errno(-errno, "Failed to get the current directory: %m"), -EXIT_USAGE;
        r = streq(flag, "--volume")      ? volume_spec_parse(spec, cwd, &m, &reason)
                : streq(flag, "--tmpfs") ? tmpfs_spec_parse(spec, &m, &reason)
                                         : mount_spec_parse(spec, cwd, &m, &reason);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), -EXIT_USAGE;
        if (r < 0)
                return -cli_usage_error(verb, "invalid %s '%s': %s", flag, spec, reason ?: "invalid value");
        for (size_t i = 0; i < arg_n_mounts; i++)
                if (streq(arg_mounts[i].target, m.target)) {
                        cli_usage_error(verb, "duplicate mount point: %s", m.target);
                        container_mount_done(&m);
                        return -EXIT_USAGE;
                }
        r = stat_bind_source(verb, &m);
        if (r < 0) {
                container_mount_done(&m);
                return r;
        }
        a = realloc(arg_mounts, (arg_n_mounts + 1) * sizeof(ContainerMount));
        if (!a) {
                container_mount_done(&m);
                return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        }
        arg_mounts = a;
        arg_mounts[arg_n_mounts++] = m;
        return 0;
}

static int add_publish(const char *verb, const char *spec) {
        _cleanup_free_ PortBinding *list = NULL;
        const char *reason = NULL, **specs;
        PortBinding *a;
        size_t n = 0;
        int r;

        r = publish_spec_parse(spec, &list, &n, &reason);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory"), -EXIT_USAGE;
        if (r < 0)
                return -cli_usage_error(verb, "invalid --publish '%s': %s", spec, reason);
        if (arg_n_ports + n > PUBLISH_PORTS_MAX)
                return -cli_usage_error(verb, "invalid --publish '%s': more than %d published ports", spec,
                        PUBLISH_PORTS_MAX);
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < arg_n_ports && list[i].host_port != 0; k++)
                        if (arg_ports[k].host_port == list[i].host_port &&
                                arg_ports[k].proto == list[i].proto)
                                return -cli_usage_error(verb,
                                        "invalid --publish '%s': host port %u is already published by '%s'",
                                        spec, (unsigned) list[i].host_port, arg_port_specs[k]);
        a = realloc(arg_ports, (arg_n_ports + n) * sizeof(PortBinding));
        if (!a)
                return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        arg_ports = a;
        specs = realloc(arg_port_specs, (arg_n_ports + n) * sizeof(char *));
        if (!specs)
                return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        arg_port_specs = specs;
        for (size_t i = 0; i < n; i++) {
                arg_ports[arg_n_ports] = list[i];
                arg_port_specs[arg_n_ports++] = spec;
        }
        return 0;
}

static bool hostname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", s[i]))
                        return false;
        return true;
}

static bool user_is_valid(const char *s) {
        if (isempty(s) || strlen(s) > 256)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s == 127)
                        return false;
        return true;
}

static int parse_argv(bool run, int argc, char *argv[]) {
        enum {
                ARG_ENV_FILE = 0x100,
                ARG_ENTRYPOINT,
                ARG_INIT,
                ARG_MOUNT,
                ARG_NAME,
                ARG_NETWORK,
                ARG_RESTART,
                ARG_RM,
                ARG_STOP_SIGNAL,
                ARG_STOP_TIMEOUT,
                ARG_PULL,
                ARG_PLATFORM,
                ARG_ON_DEMAND,
                ARG_IDLE_STOP,
                ARG_HELP,
                ARG_DECLARED_IN,
                ARG_ID,
                ARG_SDNOTIFY,
        };
#define COMMON_OPTIONS                                                                                      \
        { "env", required_argument, NULL, 'e' }, { "env-file", required_argument, NULL, ARG_ENV_FILE },     \
                { "entrypoint", required_argument, NULL, ARG_ENTRYPOINT },                                  \
                { "hostname", required_argument, NULL, 'h' }, { "init", no_argument, NULL, ARG_INIT },      \
                { "label", required_argument, NULL, 'l' }, { "mount", required_argument, NULL, ARG_MOUNT }, \
                { "name", required_argument, NULL, ARG_NAME },                                              \
                { "network", required_argument, NULL, ARG_NETWORK },                                        \
                { "net", required_argument, NULL, ARG_NETWORK },                                            \
                { "restart", required_argument, NULL, ARG_RESTART }, { "rm", no_argument, NULL, ARG_RM },   \
                { "stop-signal", required_argument, NULL, ARG_STOP_SIGNAL },                                \
                { "sdnotify", required_argument, NULL, ARG_SDNOTIFY },                                      \
                { "stop-timeout", required_argument, NULL, ARG_STOP_TIMEOUT },                              \
                { "pull", required_argument, NULL, ARG_PULL },                                              \
                { "platform", required_argument, NULL, ARG_PLATFORM },                                      \
                { "user", required_argument, NULL, 'u' }, { "volume", required_argument, NULL, 'v' },       \
                { "workdir", required_argument, NULL, 'w' }, { "publish", required_argument, NULL, 'p' },   \
                { "publish-all", no_argument, NULL, 'P' }, { "interactive", no_argument, NULL, 'i' },       \
                { "tty", no_argument, NULL, 't' }, { "on-demand", no_argument, NULL, ARG_ON_DEMAND },       \
                { "idle-stop", required_argument, NULL, ARG_IDLE_STOP }, CONFINE_OPTIONS, HEALTH_OPTIONS, { \
                "help", no_argument, NULL, ARG_HELP                                                         \
        }
        static const struct option run_options[] = {
                COMMON_OPTIONS,
                { "detach", no_argument, NULL, 'd' },
                {},
        };
        static const struct option create_options[] = {
                COMMON_OPTIONS,
                { "declared-in", required_argument, NULL, ARG_DECLARED_IN },
                { "id", required_argument, NULL, ARG_ID },
                {},
        };
#undef COMMON_OPTIONS
        const char *verb = run ? "run" : "create", *reason = NULL;
        bool restart_set = false;
        int c, r;

        /* "+": options end at IMAGE; what follows is the container's command line */
        while ((c = cli_getopt(verb, argc, argv, run ? "+de:h:l:u:v:w:p:Pitm:c:" : "+e:h:l:u:v:w:p:Pitm:c:",
                        run ? run_options : create_options)) >= 0)
                switch (c) {
                case 'd':
                        arg_detach = true;
                        break;
                case 'e': {
                        char *kv = NULL;
                        r = env_arg_parse(optarg, &kv);
                        if (r == -EINVAL)
                                return -cli_usage_error(verb,
                                        "invalid --env '%s': the variable needs a name "
                                        "without blanks",
                                        optarg);
                        if (r < 0 || (kv && env_merge(&arg_env, kv) < 0)) {
                                free(kv);
                                return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
                        }
                        free(kv);
                        break;
                }
                case ARG_ENV_FILE:
                        r = cli_read_env_file(verb, optarg, &arg_env_file);
                        if (r < 0)
                                return r;
                        break;
                case ARG_ENTRYPOINT:
                        arg_entrypoint = optarg;
                        break;
                case 'h':
                        if (!hostname_is_valid(optarg))
                                return -cli_usage_error(verb,
                                        "invalid --hostname '%s': use letters, digits, "
                                        "'-' and '.', at most 64",
                                        optarg);
                        arg_hostname = optarg;
                        break;
                case ARG_INIT:
                        arg_init = true;
                        break;
                case 'l': {
                        const char *eq = strchr(optarg, '=');
                        if (eq == optarg || isempty(optarg))
                                return -cli_usage_error(verb, "invalid --label '%s': use KEY=VALUE", optarg);
                        r = eq ? env_merge(&arg_labels, optarg)
                               : strv_consume(&arg_labels, strjoin(optarg, "="));
                        if (r < 0)
                                return log_error_errno(r, "Out of memory"), -EXIT_USAGE;
                        break;
                }
                case ARG_MOUNT:
                        r = add_mount(verb, "--mount", optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'v':
                        r = add_mount(verb, "--volume", optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_NAME: {
                        const char *n = optarg[0] == '/' ? optarg + 1 : optarg;
                        if (!container_name_is_valid(n))
                                return -cli_usage_error(verb,
                                        "invalid --name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                        "are allowed",
                                        optarg);
                        arg_name = n;
                        break;
                }
                case ARG_NETWORK:
                        if (streq(optarg, "bridge") || streq(optarg, "default"))
                                return -cli_usage_error(verb,
                                        "--network %s is not supported yet; use none or host", optarg);
                        arg_network = network_mode_from_string(optarg);
                        if (arg_network < 0)
                                return -cli_usage_error(verb, "invalid --network '%s': use none or host",
                                        optarg);
                        break;
                case ARG_RESTART:
                        r = restart_spec_parse(optarg, &arg_restart, &arg_restart_max, &reason);
                        if (r == -ENOMEM)
                                return log_error_errno(r, "Out of memory"), -EXIT_USAGE;
                        if (r < 0)
                                return -cli_usage_error(verb, "invalid --restart '%s': %s", optarg, reason);
                        restart_set = true;
                        break;
                case ARG_RM:
                        arg_rm = true;
                        break;
                case ARG_PULL:
                        if (!streq(optarg, "always") && !streq(optarg, "missing") && !streq(optarg, "never"))
                                return -cli_usage_error(verb,
                                        "invalid --pull '%s': expected always, missing or never", optarg);
                        arg_pull = optarg;
                        break;
                case ARG_PLATFORM:
                        arg_platform = optarg;
                        break;
                case ARG_STOP_SIGNAL:
                        free(arg_stop_signal);
                        arg_stop_signal = NULL;
                        r = signal_normalize(optarg, &arg_stop_signal);
                        if (r == -ENOMEM)
                                return log_error_errno(r, "Out of memory"), -EXIT_USAGE;
                        if (r < 0)
                                return -cli_usage_error(verb,
                                        "invalid --stop-signal '%s': not a signal name or "
                                        "number",
                                        optarg);
                        break;
                case ARG_STOP_TIMEOUT: {
                        char *end;
                        long long t;
                        errno = 0;
                        t = strtoll(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || t < -1 || t > 100000000)
                                return -cli_usage_error(verb,
                                        "invalid --stop-timeout '%s': use a number of "
                                        "seconds (-1: wait for ever)",
                                        optarg);
                        arg_stop_timeout = t;
                        break;
                }
                case 'u':
                        if (!user_is_valid(optarg))
                                return -cli_usage_error(verb,
                                        "invalid --user '%s': use USER[:GROUP] or "
                                        "UID[:GID]",
                                        optarg);
                        arg_user = optarg;
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return -cli_usage_error(verb,
                                        "invalid --workdir '%s': it needs to be an "
                                        "absolute path",
                                        optarg);
                        arg_workdir = optarg;
                        break;
                case 'p':
                        r = add_publish(verb, optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'P':
                        arg_publish_all = true;
                        break;
                case ARG_ON_DEMAND:
                        arg_on_demand = true;
                        break;
                case ARG_IDLE_STOP: {
                        uint64_t usec;
                        r = parse_go_duration(optarg, &usec);
                        if (r < 0 || usec == 0 || usec / 1000000u >= IDLE_STOP_MAX_SEC)
                                return -cli_usage_error(verb,
                                        "invalid --idle-stop '%s': use a duration such as 90s, 5m or 1h",
                                        optarg);
                        /* whole seconds, rounded up: the proxy counts in seconds */
                        arg_idle_stop_sec = (int64_t) ((usec + 999999u) / 1000000u);
                        arg_on_demand = true;
                        break;
                }
                case 'i':
                        arg_interactive = true;
                        break;
                case 't':
                        arg_tty = true;
                        break;
                case ARG_HELP:
                        help(run);
                        return 0;
                case ARG_TMPFS:
                        r = add_mount(verb, "--tmpfs", optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_SDNOTIFY:
                        arg_sd_notify = sd_notify_mode_from_string(optarg);
                        if (arg_sd_notify < 0)
                                return -cli_usage_error(verb,
                                        "invalid --sdnotify '%s': use started, container or ignore", optarg);
                        break;
                case ARG_DECLARED_IN:
                        if (optarg[0] != '/')
                                return -cli_usage_error(verb,
                                        "invalid --declared-in '%s': it needs to be an "
                                        "absolute path",
                                        optarg);
                        arg_declared_in = optarg;
                        break;
                case ARG_ID:
                        if (strlen(optarg) != 64 || !string_is_lower_hex(optarg, 64))
                                return -cli_usage_error(verb,
                                        "invalid --id '%s': use 64 lowercase hex digits", optarg);
                        arg_id = optarg;
                        break;
                default:
                        if (c >= ARG_HEALTH_FIRST && c < _ARG_HEALTH_LAST) {
                                r = health_parse_option(verb, c, optarg);
                                if (r < 0)
                                        return r;
                        } else if ((c >= ARG_CONFINE_FIRST && c < _ARG_CONFINE_LAST) || c == 'm' ||
                                c == 'c') {
                                r = confine_parse_option(verb, c, optarg);
                                if (r < 0)
                                        return r;
                        }
                        break;
                }
        if (c != -1)
                return c;
        if (optind >= argc)
                return -cli_usage_error(verb,
                        "\"%s\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]", verb);
        if (arg_network == NETWORK_HOST && (arg_n_ports > 0 || arg_publish_all))
                return -cli_usage_error(verb,
                        "-p/--publish and -P/--publish-all can't be used with --network host: the container "
                        "uses the host's ports directly");
        r = confine_check(verb, arg_network);
        if (r < 0)
                return r;
        r = health_check_args(verb, arg_rm);
        if (r < 0)
                return r;
        if (arg_interactive && !arg_tty && (!run || arg_detach))
                return -cli_usage_error(verb,
                        "-i/--interactive without -t works with 'berth run' in the foreground only (a "
                        "container with -t can be attached to later)");
        if (arg_on_demand && arg_rm)
                return -cli_usage_error(verb,
                        "conflicting options: --%s and --rm (a container that is "
                        "started on demand stays when it stops)",
                        arg_idle_stop_sec > 0 ? "idle-stop" : "on-demand");
        if (arg_on_demand && arg_n_ports == 0 && !arg_publish_all)
                return -cli_usage_error(verb, "--%s needs a published port (-p or -P) to wait on",
                        arg_idle_stop_sec > 0 ? "idle-stop" : "on-demand");
        if (arg_rm && restart_set && arg_restart != RESTART_NO)
                return -cli_usage_error(verb, "conflicting options: --restart %s and --rm",
                        restart_policy_to_string(arg_restart));
        if (arg_declared_in) {
                if (!arg_name || !arg_id)
                        return -cli_usage_error(verb, "--declared-in needs --name and --id");
                if (arg_rm || arg_tty || arg_interactive || arg_publish_all)
                        return -cli_usage_error(verb, "--declared-in can't be used with --rm, -t, -i or -P");
                for (size_t i = 0; i < arg_n_ports; i++)
                        if (arg_ports[i].host_port == 0)
                                return -cli_usage_error(verb,
                                        "--declared-in: --publish '%s' needs a host port (systemd listens "
                                        "on it)",
                                        arg_port_specs[i]);
        } else if (arg_id)
                return -cli_usage_error(verb, "--id is only for --declared-in");
        return 1;
}

/* Strings of a JSON array member of the image config, NULL when absent or not an array. */
static int json_strv(struct json_object *o, const char *key, char ***ret) {
        struct json_object *a = json_get_array(o, key);
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                if (json_object_is_type(v, json_type_string) &&
                        strv_extend(&l, json_object_get_string(v)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int build_container(ImageRecord *img, const char *image_arg, char **cmd_args, Container **ret) {
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_strv_free_ char **img_ep = NULL, **img_cmd = NULL, **img_env = NULL, **argv = NULL;
        struct json_object *cfg = json_get_object(img->config, "config"), *labels;
        char id[65], created[64];
        const char *s;
        int r;

        c = calloc(1, sizeof(Container));
        if (!c)
                return -ENOMEM;
        if (arg_id)
                memcpy(id, arg_id, sizeof(id));
        else {
                r = container_new_id(id);
                if (r < 0)
                        return r;
        }
        image_config_now(created);
        c->id = strdup(id);
        c->created = strdup(created);
        c->image_id = strdup(img->id);
        c->image_name = strdup(image_arg);
        c->layers = strv_copy(img->layers);
        if (!c->id || !c->created || !c->image_id || !c->image_name || (img->layers && !c->layers))
                return -ENOMEM;

        if (json_strv(cfg, "Entrypoint", &img_ep) < 0 || json_strv(cfg, "Cmd", &img_cmd) < 0 ||
                json_strv(cfg, "Env", &img_env) < 0)
                return -ENOMEM;
        r = command_resolve(img_ep, img_cmd, arg_entrypoint, cmd_args, &c->entrypoint, &c->cmd, &argv);
        if (r < 0)
                return r;
        c->path = strdup(argv[0]);
        c->args = strv_copy(argv + 1);
        if (!c->path || !c->args)
                return -ENOMEM;

        /* image Env, then --env-file, then -e; a later value of a key replaces the earlier one in place */
        STRV_FOREACH(e, img_env)
                if (strchr(*e, '=') && env_merge(&c->env, *e) < 0)
                        return -ENOMEM;
        STRV_FOREACH(e, arg_env_file)
                if (env_merge(&c->env, *e) < 0)
                        return -ENOMEM;
        STRV_FOREACH(e, arg_env)
                if (env_merge(&c->env, *e) < 0)
                        return -ENOMEM;

        s = arg_user ?: json_get_string(cfg, "User");
        c->user = strdup(s ?: "");
        s = arg_workdir ?: json_get_string(cfg, "WorkingDir");
        if (!isempty(s) && s[0] != '/')
                s = NULL; /* an image with a relative WorkingDir: ignore it rather than fail later */
        c->working_dir = strdup(s ?: "");
        if (!c->user || !c->working_dir)
                return -ENOMEM;

        if (arg_hostname)
                c->hostname = strdup(arg_hostname);
        else if (arg_network == NETWORK_HOST) {
                char h[256] = {};
                (void) gethostname(h, sizeof(h) - 1);
                c->hostname = strdup(h);
        } else
                c->hostname = strndup(id, 12);
        if (!c->hostname)
                return -ENOMEM;

        /* image labels, overridden by --label */
        labels = json_get_object(cfg, "Labels");
        if (labels) {
                json_object_object_foreach(labels, k, v) {
                        if (!json_object_is_type(v, json_type_string))
                                continue;
                        if (strv_consume(&c->labels, strjoin(k, "=", json_object_get_string(v))) < 0)
                                return -ENOMEM;
                }
        }
        STRV_FOREACH(l, arg_labels)
                if (env_merge(&c->labels, *l) < 0)
                        return -ENOMEM;

        if (arg_declared_in) {
                _cleanup_free_ char *l = strjoin(CONTAINER_FILE_LABEL "=", arg_declared_in);
                if (!l || env_merge(&c->labels, l) < 0)
                        return -ENOMEM;
        }

        if (arg_stop_signal)
                c->stop_signal = strdup(arg_stop_signal);
        else if (arg_declared_in && (s = json_get_string(cfg, "StopSignal")))
                /* the unit's KillSignal= was generated from the file alone */
                log_warning("The image's StopSignal %s is not used by the unit: set StopSignal= in '%s' to "
                            "use "
                            "it, ignoring",
                        s, arg_declared_in);
        else if ((s = json_get_string(cfg, "StopSignal")) && signal_normalize(s, &c->stop_signal) < 0)
                log_warning("The image's StopSignal '%s' is not a signal, ignoring", s);
        if (arg_stop_signal && !c->stop_signal)
                return -ENOMEM;
        c->stop_timeout = arg_stop_timeout != INT64_MIN ? arg_stop_timeout : 10;

        c->network_mode = arg_network;
        c->restart_policy = arg_restart;
        c->restart_max = arg_restart_max;
        c->init = arg_init;
        c->sd_notify = arg_sd_notify;
        c->tty = arg_tty;
        c->open_stdin = arg_interactive;
        /* `run --rm` in the foreground removes the container itself after reading the exit code; in the
         * background berth-runtime's ExecStopPost= does it */
        c->auto_remove = arg_rm && arg_detach;
        c->client_removes = arg_rm && !arg_detach;

        if (arg_n_mounts > 0) {
                c->mounts = calloc(arg_n_mounts, sizeof(ContainerMount));
                if (!c->mounts)
                        return -ENOMEM;
                for (size_t i = 0; i < arg_n_mounts; i++) {
                        ContainerMount *m = c->mounts + i;
                        c->n_mounts = i + 1;
                        m->type = arg_mounts[i].type;
                        m->read_only = arg_mounts[i].read_only;
                        m->target = strdup(arg_mounts[i].target);
                        m->source = arg_mounts[i].source ? strdup(arg_mounts[i].source) : NULL;
                        m->options = arg_mounts[i].options ? strdup(arg_mounts[i].options) : NULL;
                        if (!m->target || (arg_mounts[i].source && !m->source) ||
                                (arg_mounts[i].options && !m->options))
                                return -ENOMEM;
                }
        }
        r = confine_apply(c);
        if (r < 0)
                return r;
        r = health_apply(c, cfg);
        if (r < 0)
                return r;
        if (arg_n_ports > 0) {
                c->ports = calloc(arg_n_ports, sizeof(PortBinding));
                if (!c->ports)
                        return -ENOMEM;
                memcpy(c->ports, arg_ports, arg_n_ports * sizeof(PortBinding));
                c->n_ports = arg_n_ports;
        }
        c->on_demand = arg_on_demand;
        c->idle_stop_sec = arg_idle_stop_sec;
        *ret = TAKE_PTR(c);
        return 0;
}

/* -P: every port in the image's ExposedPorts that -p did not publish, on a free host port. */
static int add_exposed_ports(const char *verb, ImageRecord *img) {
        struct json_object *exposed =
                json_get_object(json_get_object(img->config, "config"), "ExposedPorts");

        if (!exposed)
                return 0;
        json_object_object_foreach(exposed, k, v) {
                PortBinding b = {};
                bool have = false;
                PortBinding *a;
                const char **specs;

                (void) v;
                if (port_key_parse(k, &b.container_port, &b.proto) < 0) {
                        log_warning("The image exposes '%s', which is not a port, ignoring", k);
                        continue;
                }
                for (size_t i = 0; i < arg_n_ports; i++)
                        have = have ||
                                (arg_ports[i].container_port == b.container_port &&
                                        arg_ports[i].proto == b.proto);
                if (have)
                        continue;
                if (arg_n_ports >= PUBLISH_PORTS_MAX)
                        return log_error("%s: more than %d published ports", verb, PUBLISH_PORTS_MAX),
                               -E2BIG;
                a = realloc(arg_ports, (arg_n_ports + 1) * sizeof(PortBinding));
                if (!a)
                        return -ENOMEM;
                arg_ports = a;
                specs = realloc(arg_port_specs, (arg_n_ports + 1) * sizeof(char *));
                if (!specs)
                        return -ENOMEM;
                arg_port_specs = specs;
                arg_ports[arg_n_ports] = b;
                arg_port_specs[arg_n_ports++] = "-P";
        }
        return 0;
}

/* Binds a socket where the port's socket unit will listen (systemd binds with SO_REUSEADDR too, so a TCP
 * port in TIME_WAIT is no conflict, a listening one is). UDP has no TIME_WAIT, and SO_REUSEADDR would let a
 * UDP socket share a port bound by another one that set it (as systemd's do): the UDP check binds without
 * it, so any socket on the port is a conflict. Host port 0 gets a free port from the kernel. */
static int port_try_bind(const PortBinding *b, int *ret_fd, uint16_t *ret_port) {
        static const int one = 1, zero = 0;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        _cleanup_close_ int fd = -EBADF;
        bool any = isempty(b->host_ip), v6 = any || strchr(b->host_ip, ':');
        int type = b->proto == PORT_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;

        if (v6) {
                fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
                if (fd < 0 && errno == EAFNOSUPPORT && any)
                        v6 = false; /* no IPv6 here: systemd binds 0.0.0.0 then, too */
                else if (fd < 0)
                        return -errno;
        }
        if (v6) {
                sa.in6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(b->host_port) };
                if (!any && inet_pton(AF_INET6, b->host_ip, &sa.in6.sin6_addr) != 1)
                        return -EINVAL;
                /* BindIPv6Only=both for "every address": the port on IPv4 too */
                if (any && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
                        return -errno;
                len = sizeof(sa.in6);
        } else {
                fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                sa.in = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(b->host_port) };
                if (!any && inet_pton(AF_INET, b->host_ip, &sa.in.sin_addr) != 1)
                        return -EINVAL;
                len = sizeof(sa.in);
        }
        if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, &sa.sa, len) < 0)
                return -errno;
        len = sizeof(sa);
        if (getsockname(fd, &sa.sa, &len) < 0)
                return -errno;
        *ret_port = ntohs(v6 ? sa.in6.sin6_port : sa.in.sin_port);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Checks that every published host port is free and picks the free ones for host port 0, before anything
 * is created. The test sockets stay bound until all are checked, so two picks never collide. Returns 0 or
 * an exit code after logging. */
static int ports_allocate(const char *verb, Container *c) {
        _cleanup_free_ int *fds = NULL;
        int ret = 0;

        if (c->n_ports == 0)
                return 0;
        fds = malloc(c->n_ports * sizeof(int));
        if (!fds)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_USAGE;
        for (size_t i = 0; i < c->n_ports; i++)
                fds[i] = -EBADF;
        for (size_t i = 0; i < c->n_ports && ret == 0; i++) {
                PortBinding *b = c->ports + i;
                char host[PORT_BINDING_HOST_MAX];
                uint16_t port = 0;
                int r;

                r = port_try_bind(b, fds + i, &port);
                port_binding_host_string(b, host);
                if (r == -EADDRINUSE) {
                        log_error("Bind for %s failed: port is already allocated (--publish '%s')", host,
                                arg_port_specs[i]);
                        ret = EXIT_USAGE;
                } else if (r < 0) {
                        log_error_errno(r, "Bind for %s failed (--publish '%s'): %m", host,
                                arg_port_specs[i]);
                        ret = EXIT_USAGE;
                } else
                        b->host_port = port;
        }
        for (size_t i = 0; i < c->n_ports; i++)
                safe_close(fds[i]);
        if (ret != 0)
                return ret;
        /* a picked port may equal one given explicitly in a later -p: that bind failed above already */
        for (size_t i = 0; i < c->n_ports; i++)
                for (size_t k = i + 1; k < c->n_ports; k++)
                        if (c->ports[i].host_port == c->ports[k].host_port &&
                                c->ports[i].proto == c->ports[k].proto) {
                                log_error("Host port %u is published twice ('%s' and '%s')",
                                        (unsigned) c->ports[i].host_port, arg_port_specs[i],
                                        arg_port_specs[k]);
                                return EXIT_USAGE;
                        }
        return 0;
}

/* A containers/NAME directory without config.json is either a create in progress (its owner holds a flock
 * on it) or debris of a create that was killed. Returns 1 if it was debris and has been removed. */
static int remove_stale_claim(int root_fd, const char *name) {
        _cleanup_free_ char *dir = strjoin("containers/", name),
                            *cfg = strjoin("containers/", name, "/config.json");
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (!dir || !cfg)
                return -ENOMEM;
        fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 1 : -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return 0; /* being created right now */
        if (faccessat(root_fd, cfg, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                return 0;
        /* the owner flocks it right after mkdir; allow for that moment */
        if (fstat(fd, &st) < 0 || st.st_mtime > time(NULL) - 10)
                return 0;
        return container_files_remove(root_fd, BERTH_UNIT_DIR, name, NULL) < 0 ? 0 : 1;
}

static void print_conflict(int root_fd, const char *name) {
        _cleanup_(container_freep) Container *other = NULL;

        if (container_load(root_fd, name, &other) >= 0)
                log_error("Conflict. The container name \"/%s\" is already in use by container \"%s\". You "
                          "have "
                          "to remove (or rename) that container to be able to reuse that name.",
                        name, other->id);
        else
                log_error("Conflict. The container name \"/%s\" is already in use (a container of that name "
                          "is "
                          "being created).",
                        name);
}

/* Claims containers/NAME with mkdir, atomically; the returned fd holds a flock on it while we fill it.
 * Returns 0, -EEXIST after printing the conflict, or another error. */
static int claim_name(int root_fd, const char *name, int *ret_fd) {
        _cleanup_free_ char *dir = strjoin("containers/", name);
        int fd;

        if (!dir)
                return -ENOMEM;
        for (unsigned attempt = 0;; attempt++) {
                if (mkdirat(root_fd, dir, 0700) >= 0)
                        break;
                if (errno != EEXIST)
                        return -errno;
                if (attempt == 0 && remove_stale_claim(root_fd, name) > 0)
                        continue;
                return -EEXIST;
        }
        fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) flock(fd, LOCK_EX);
        *ret_fd = fd;
        return 0;
}

/* How Docker shows image_arg in "not found" messages ("nosuch" → "nosuch:latest"); a usage error for a
 * reference that does not parse. Returns 0 or EXIT_USAGE. */
static int shown_reference(const char *verb, const char *image_arg, char **ret) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *full = NULL;
        const char *reason = NULL;

        if (image_reference_parse(image_arg, &ref, &reason) < 0)
                return cli_usage_error(verb, "invalid reference format '%s': %s", image_arg,
                        reason ?: "invalid reference");
        full = image_reference_to_string(ref);
        *ret = full ? cli_familiar_reference(full) : NULL;
        return 0;
}

/* --pull: pulls image_arg first when asked to (always) or when the store lacks it (missing, Docker's
 * default: "Unable to find image ... locally", the progress on stderr since stdout is the container's).
 * Runs before the creation takes the store lock, since the pull takes it itself. Returns 0 or an exit
 * code; with --pull=never a missing image is left to the lookup that follows. */
static int pull_as_asked(const char *verb, ImageStore *store, const char *image_arg) {
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_free_ char *shown = NULL;
        int r;

        if (streq(arg_pull, "missing")) {
                r = image_store_lock(store, LOCK_SH);
                if (r >= 0)
                        r = image_store_resolve(store, image_arg, &img, NULL);
                image_store_unlock(store);
                if (r != -ENOENT)
                        return 0; /* present, or an error the lookup that follows reports */
                r = shown_reference(verb, image_arg, &shown);
                if (r != 0)
                        return r;
                fprintf(stderr, "Unable to find image '%s' locally\n", shown ?: image_arg);
        } else if (!streq(arg_pull, "always"))
                return 0;
        return cli_pull_image(image_arg, arg_platform, /* quiet= */ false, stderr, NULL) == 0 ? 0
                                                                                              : EXIT_USAGE;
}

/* --declared-in: the previous container of a declared name is replaced at every start, when it was created
 * from the same file. This runs as ExecStartPre= of the container's own unit, so that container is not
 * running. Returns 0 once it is gone, or a negative error after logging. */
static int remove_declared(int root_fd, const char *name) {
        _cleanup_(container_freep) Container *old = NULL;
        _cleanup_free_ char *want = strjoin(CONTAINER_FILE_LABEL "=", arg_declared_in);
        int r;

        if (!want)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = container_load(root_fd, name, &old);
        if (r == -ENOENT)
                return 0; /* a create in progress, or debris: claim_name() decides */
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name);
        if (!strv_contains(old->labels, want))
                return log_error("The container name '%s' is taken by a container that was not created from "
                                 "'%s' (remove it with 'berth rm %s', or set another Name= in the file)",
                               name, arg_declared_in, name),
                       -EEXIST;
        r = container_files_remove(root_fd, BERTH_UNIT_DIR, name, old);
        if (r < 0)
                return log_error_errno(r, "Failed to remove the previous container '%s': %m", name);
        return 0;
}

/* True when this process runs in the cgroup of unit (from /proc/self/cgroup). */
static bool running_in_unit(const char *unit) {
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (read_full_file_at(AT_FDCWD, "/proc/self/cgroup", 64 * 1024, &text, NULL) < 0)
                return false;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *dir, *path;
                if (proc_cgroup_line_split(l, &dir, &path) >= 0 && cgroup_path_in_unit(path, unit))
                        return true;
        }
        return false;
}

/* Creates the container: returns an exit code, and the container on success. */
static int create_container(const char *verb, ImageStore *store, sd_bus *bus, const char *image_arg,
        char **cmd_args, Container **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *unit = NULL;
        _cleanup_close_ int claim_fd = -EBADF, userns_lock_fd = -EBADF;
        int root_fd = image_store_root_fd(store), r, ret_code = EXIT_USAGE;
        const char *dropin_root;
        bool claimed = false;

        ret_code = pull_as_asked(verb, store, image_arg);
        if (ret_code != 0)
                return ret_code;
        ret_code = EXIT_USAGE;

        /* Shared store lock for the whole creation: rmi takes it exclusively, so the image can't go away
         * between resolving it and config.json naming it. */
        r = image_store_lock(store, LOCK_SH);
        if (r < 0)
                return log_error_errno(r, "Failed to lock the berth store: %m"), EXIT_USAGE;

        r = image_store_resolve(store, image_arg, &img, NULL);
        if (r == -ENOENT) {
                /* --pull=never, or gone again since the pull */
                _cleanup_free_ char *shown = NULL;

                ret_code = shown_reference(verb, image_arg, &shown);
                if (ret_code == 0) {
                        log_error("No such image: %s%s", shown ?: image_arg,
                                streq(arg_pull, "never") ? " (and --pull=never)" : "");
                        ret_code = EXIT_USAGE;
                }
                goto finish;
        }
        if (r == -ENOTUNIQ) {
                log_error("Image ID prefix '%s' is ambiguous: give more digits", image_arg);
                goto finish;
        }
        if (r == -EINVAL) {
                ret_code = cli_usage_error(verb, "invalid reference format '%s'", image_arg);
                goto finish;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to look up image '%s': %m", image_arg);
                goto finish;
        }

        if (arg_publish_all) {
                r = add_exposed_ports(verb, img);
                if (r < 0) {
                        if (r != -E2BIG)
                                log_error_errno(r, "Failed to read the image's exposed ports: %m");
                        goto finish;
                }
        }
        if (arg_on_demand && arg_n_ports == 0) {
                ret_code = cli_usage_error(verb, "--%s needs a published port, and the image EXPOSEs none",
                        arg_idle_stop_sec > 0 ? "idle-stop" : "on-demand");
                goto finish;
        }

        r = build_container(img, image_arg, cmd_args, &c);
        if (r == -ENOEXEC) {
                log_error("No command specified: neither the image nor the command line gives an Entrypoint "
                          "or Cmd; give COMMAND after the image");
                goto finish;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to set up the container config: %m");
                goto finish;
        }

        /* ports are checked (and picked) before anything is created; a declared container's sockets are
         * systemd's, which may hold them already (a restart) */
        r = arg_declared_in ? 0 : ports_allocate(verb, c);
        if (r != 0) {
                ret_code = r;
                goto finish;
        }

        if (arg_name) {
                c->name = strdup(arg_name);
                if (!c->name) {
                        log_error_errno(-ENOMEM, "Out of memory");
                        goto finish;
                }
                r = claim_name(root_fd, c->name, &claim_fd);
                if (r == -EEXIST && arg_declared_in) {
                        r = remove_declared(root_fd, c->name);
                        if (r < 0)
                                goto finish;
                        r = claim_name(root_fd, c->name, &claim_fd);
                }
                if (r == -EEXIST) {
                        print_conflict(root_fd, c->name);
                        goto finish;
                }
        } else {
                _cleanup_strv_free_ char **reusable = NULL;

                /* first a name whose drop-in directory is still there, empty, from an earlier container:
                 * no new directory in the unit directory, so systemd loads the unit without rebuilding its
                 * unit-file map */
                r = -EEXIST;
                if (container_name_reusable(root_fd, BERTH_UNIT_DIR, 16, &reusable) > 0)
                        for (char **n = reusable; *n && r == -EEXIST; n++) {
                                r = claim_name(root_fd, *n, &claim_fd);
                                if (r == 0) {
                                        c->name = *n; /* taken out of the list */
                                        for (char **m = n; *m; m++)
                                                m[0] = m[1];
                                        break;
                                }
                        }
                for (unsigned attempt = 0; r == -EEXIST; attempt++) {
                        uint64_t rnd = 0;

                        (void) getrandom(&rnd, sizeof(rnd), 0);
                        free(c->name);
                        c->name = container_name_generate(rnd ^ (uint64_t) attempt * 0x9e3779b97f4a7c15ULL,
                                attempt / 5);
                        if (!c->name) {
                                log_error_errno(-ENOMEM, "Out of memory");
                                goto finish;
                        }
                        r = claim_name(root_fd, c->name, &claim_fd);
                        if (r != -EEXIST || attempt >= 50)
                                break;
                }
                c->name_generated = true;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to create the container directory for '%s': %m",
                        c->name ?: "(generated)");
                goto finish;
        }
        claimed = true;

        r = confine_userns_allocate(root_fd, c, &userns_lock_fd);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate a user namespace ID range for '%s': %m", c->name);
                goto finish;
        }
        r = confine_write_files(root_fd, c);
        if (r < 0) {
                log_error_errno(r, "Failed to write the seccomp profile of container '%s': %m", c->name);
                goto finish;
        }
        r = container_save(root_fd, c);
        userns_lock_fd = safe_close(userns_lock_fd); /* the range is taken once the config names it */
        if (r < 0) {
                log_error_errno(r, "Failed to write the config of container '%s': %m", c->name);
                goto finish;
        }
        if (arg_declared_in) {
                /* berth-generator wrote the unit settings; systemd is starting the unit already */
                ret_code = 0;
                goto finish;
        }
        dropin_root = arg_root && !streq(arg_root, BERTH_STATE_DIR) ? arg_root : NULL;
        r = container_dropin_write(BERTH_UNIT_DIR, c, dropin_root);
        if (r < 0) {
                log_error_errno(r, "Failed to write the systemd drop-in for container '%s' in '%s': %m",
                        c->name, BERTH_UNIT_DIR);
                goto finish;
        }
        r = container_port_units_write(BERTH_UNIT_DIR, c);
        if (r < 0) {
                log_error_errno(r,
                        "Failed to write the socket units for the ports of container '%s' in '%s': %m",
                        c->name, BERTH_UNIT_DIR);
                goto finish;
        }
        r = container_health_units_write(BERTH_UNIT_DIR, c, dropin_root);
        if (r < 0) {
                log_error_errno(r, "Failed to write the health check units of container '%s' in '%s': %m",
                        c->name, BERTH_UNIT_DIR);
                goto finish;
        }
        if (c->restart_policy == RESTART_ALWAYS || c->restart_policy == RESTART_UNLESS_STOPPED) {
                r = container_set_enabled(BERTH_UNIT_DIR, c->name, true);
                if (r < 0) {
                        log_error_errno(r, "Failed to enable container '%s' at boot: %m", c->name);
                        goto finish;
                }
        }
        unit = container_unit_name(c->name);
        if (!unit) {
                log_error_errno(-ENOMEM, "Out of memory");
                goto finish;
        }
        r = container_unit_refresh(bus, unit, NULL, &error);
        if (r < 0) {
                log_error("Failed to make systemd load '%s': %s", unit, bus_error_message(&error, r));
                goto finish;
        }
        r = container_ports_refresh(bus, c, &error);
        if (r >= 0)
                r = container_health_units_refresh(bus, c, &error);
        if (r < 0) {
                log_error("Failed to make systemd load the port or health check units of '%s': %s", c->name,
                        bus_error_message(&error, r));
                goto finish;
        }
        if (c->on_demand) {
                _cleanup_free_ char *failed = NULL;

                /* a created container is started by its first client, so its ports listen from now on */
                r = container_ports_start(bus, c, &failed, &error);
                if (r < 0) {
                        log_error("Failed to start the port sockets of '%s': %s", c->name,
                                bus_error_message(&error, r));
                        goto finish;
                }
                if (r > 0) {
                        log_error("Failed to publish a port of container '%s': %s could not listen (port in "
                                  "use? see 'journalctl -u %s')",
                                c->name, failed, failed);
                        goto finish;
                }
        }
        ret_code = 0;

finish:
        if (ret_code != 0 && claimed) {
                if (c->on_demand)
                        container_ports_stop(bus, c);
                r = container_files_remove(root_fd, BERTH_UNIT_DIR, c->name, c);
                if (r < 0)
                        log_warning_errno(r,
                                "Failed to remove the half-created container '%s', ignoring: %m", c->name);
        }
        image_store_unlock(store);
        if (ret_code == 0)
                *ret = TAKE_PTR(c);
        return ret_code;
}

int verb_create(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        int r;

        r = parse_argv(false, argc, argv);
        if (r <= 0) {
                args_free();
                return -r;
        }
        if (arg_declared_in) {
                _cleanup_free_ char *unit = container_unit_name(arg_name);

                /* it replaces the previous container without asking systemd whether that one runs */
                if (!unit || !running_in_unit(unit)) {
                        args_free();
                        return log_error(
                                       "--declared-in is for the ExecStartPre= of the container's own unit "
                                       "(written by berth-generator)"),
                               EXIT_USAGE;
                }
                r = cli_open_store(&store) < 0 ? EXIT_USAGE : 0;
        } else
                r = cli_open_store_and_bus(&store, &bus, EXIT_USAGE);
        if (r == 0)
                r = create_container("create", store, bus, argv[optind], argv + optind + 1, &c);
        /* a declared container's ExecStartPre= would print it into the container's own log */
        if (r == 0 && !arg_declared_in)
                printf("%s\n", c->id);
        args_free();
        return r;
}

/* --- run ----------------------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_requests = 0;

static void on_stop_signal(int sig) {
        stop_requests++;
}

/* journald's "Synchronize" over varlink: returns once journald has processed everything that was queued to
 * it (its stream sockets included), so the container's last lines are in the journal. */
static int journal_synchronize(void) {
        static const char req[] = "{\"method\":\"io.systemd.Journal.Synchronize\",\"parameters\":{}}";
        struct sockaddr_un sa = { .sun_family = AF_UNIX,
                .sun_path = "/run/systemd/journal/io.systemd.journal" };
        _cleanup_close_ int fd = -EBADF;
        char buf[512];

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t) sizeof(req)) /* includes the NUL */
                return -EIO;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 5000) <= 0)
                        return -ETIMEDOUT;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -ECONNRESET;
                if (memchr(buf, 0, (size_t) n))
                        return 0;
        }
}

static void journal_drain(sd_journal *j) {
        for (;;) {
                const void *d;
                size_t l;
                int prio = 6;

                if (sd_journal_next(j) <= 0)
                        break;
                if (sd_journal_get_data(j, "PRIORITY", &d, &l) >= 0 && l == 10)
                        prio = ((const char *) d)[9] - '0';
                if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0 || l < 8)
                        continue;
                FILE *out = prio <= 3 ? stderr : stdout;
                fwrite((const char *) d + 8, 1, l - 8, out);
                fputc('\n', out);
        }
        fflush(stdout);
        fflush(stderr);
}

static int journal_open_for(const Container *c, const char *unit, sd_journal **ret) {
        _cleanup_free_ char *m1 = strjoin("_SYSTEMD_UNIT=", unit),
                            *m2 = strjoin("CONTAINER_ID_FULL=", c->id);
        sd_journal *j = NULL;
        int r;

        if (!m1 || !m2)
                return -ENOMEM;
        r = sd_journal_open(&j,
                SD_JOURNAL_LOCAL_ONLY); /* system and user journals: journald files the output of --userns=auto containers (host UIDs above 999) under their UID */
        if (r < 0)
                return r;
        /* two fields: both must match. The ID is new, so every matching entry is this container's. */
        r = sd_journal_add_match(j, m1, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, m2, 0);
        if (r >= 0)
                r = sd_journal_seek_head(j);
        /* No sd_journal_get_fd() yet: entries appended to the files open now are read without it, and
         * removing its inotify watches costs the process milliseconds at exit (fsnotify waits for an SRCU
         * grace period). A container that runs for a while gets the watch (JournalFollow). */
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

/* `run --rm` in the foreground: the container is gone, and so go its units' failed states and files.
 * Only the calls that have something to reset are made (each is a moment of PID 1's time). */
static int remove_container(sd_bus *bus, int root_fd, const Container *c, const char *unit, bool failed) {
        int r;

        if (failed)
                (void) bus_reset_failed_unit(bus, unit, NULL);
        if (c->n_ports > 0)
                container_ports_reset_failed(bus, c);
        if (healthcheck_enabled(&c->healthcheck))
                container_health_units_reset_failed(bus, c->name);
        r = container_files_remove(root_fd, BERTH_UNIT_DIR, c->name, c);
        if (r < 0)
                return log_error_errno(r, "Failed to remove container '%s': %m", c->name);
        return 0;
}

/* After the container started: its port sockets must listen, else it is stopped again (as Docker leaves a
 * container whose ports could not be published). Returns 0 or an exit code after logging. */
static int start_ports(sd_bus *bus, const Container *c, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *failed = NULL;
        int r;

        r = container_ports_start(bus, c, &failed, &error);
        if (r == 0)
                return 0;
        if (r > 0) {
                UnitState s;

                /* the sockets are bound to the container: one that already exited (run ... true) takes
                 * them down with it, which is no failure to publish */
                if (bus_get_unit_state(bus, unit, &s, NULL) >= 0 && !unit_state_is_running(&s))
                        return 0;
        }
        if (r < 0)
                log_error("Failed to start the port sockets of '%s': %s", c->name,
                        bus_error_message(&error, r));
        else
                log_error("Failed to publish a port of container '%s': %s could not listen (port in use? "
                          "see "
                          "'journalctl -u %s')",
                        c->name, failed, failed);
        (void) container_unit_stop(bus, unit, -1, false, NULL);
        return EXIT_USAGE;
}

static int report_start_failure(int root_fd, const Container *c, const char *unit) {
        _cleanup_free_ char *msg = NULL;
        int code = 125;

        (void) container_start_error(root_fd, c->name, &msg, &code);
        if (msg)
                log_error("failed to start container '%s': %s", c->name, msg);
        else
                log_error("failed to start container '%s' (see 'journalctl -u %s')", c->name, unit);
        return code;
}

/* How the container's main process ended, as the unit's PropertiesChanged signals said: systemd may
 * unload an inactive unit right away, and loading it again forgets the exit status. */
typedef struct ExitWatch {
        bool have_exit;
        int32_t code; /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
        int32_t status;
        char active[32];
} ExitWatch;

static int on_unit_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ExitWatch *w = userdata;
        const char *iface;
        int32_t code = -1, status = -1;
        int r;

        (void) ret_error;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *name, *s;

                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (streq(iface, "org.freedesktop.systemd1.Service") &&
                        (streq(name, "ExecMainCode") || streq(name, "ExecMainStatus"))) {
                        int32_t v;

                        if (sd_bus_message_read(m, "v", "i", &v) < 0)
                                return 0;
                        if (streq(name, "ExecMainCode"))
                                code = v;
                        else
                                status = v;
                } else if (streq(iface, "org.freedesktop.systemd1.Unit") && streq(name, "ActiveState")) {
                        if (sd_bus_message_read(m, "v", "s", &s) < 0)
                                return 0;
                        snprintf(w->active, sizeof(w->active), "%s", s);
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        /* code 0: the main process has not exited (yet) in this run */
        if (code > 0 && status >= 0) {
                w->have_exit = true;
                w->code = code;
                w->status = status;
        }
        return 0;
}

static int watch_unit(sd_bus *bus, const char *unit, ExitWatch *w, sd_bus_slot **ret_slot) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        return sd_bus_match_signal(bus, ret_slot, "org.freedesktop.systemd1", path,
                "org.freedesktop.DBus.Properties", "PropertiesChanged", on_unit_changed, w);
}

/* Following a container's journal: without inotify while it is young, then with it. The journal
 * directories' mtimes tell whether a file was added (rotation) while there was no watch. */
typedef struct JournalFollow {
        sd_journal *j;
        bool watching;
        struct timespec dir_mtime[2];
} JournalFollow;

static const char *journal_dir(unsigned i, char buf[static 64]) {
        sd_id128_t id;

        if (sd_id128_get_machine(&id) < 0)
                return NULL;
        snprintf(buf, 64, "%s/" SD_ID128_FORMAT_STR, i == 0 ? "/var/log/journal" : "/run/log/journal",
                SD_ID128_FORMAT_VAL(id));
        return buf;
}

static void journal_dirs_stat(struct timespec ret[static 2]) {
        for (unsigned i = 0; i < 2; i++) {
                char buf[64];
                const char *d = journal_dir(i, buf);
                struct stat st;

                ret[i] = (struct timespec){};
                if (d && stat(d, &st) >= 0)
                        ret[i] = st.st_mtim;
        }
}

static int journal_follow_watch(JournalFollow *f) {
        int r;

        if (f->watching)
                return 0;
        /* also adds the files created since the journal was opened */
        r = sd_journal_get_fd(f->j);
        if (r < 0)
                return r;
        f->watching = true;
        r = sd_journal_process(f->j);
        return r < 0 ? r : 0;
}

/* At the end: files that appeared while nobody watched (a rotation) are added before the last read. */
static int journal_follow_finish(JournalFollow *f) {
        struct timespec now[2];

        if (f->watching)
                return sd_journal_process(f->j);
        journal_dirs_stat(now);
        for (unsigned i = 0; i < 2; i++)
                if (now[i].tv_sec != f->dir_mtime[i].tv_sec || now[i].tv_nsec != f->dir_mtime[i].tv_nsec)
                        return journal_follow_watch(f);
        return 0;
}

/* Waits until the journal has new entries (once it is watched), systemd sent something about the unit, or timeout_ms passed.
 * The caller grows the timeout from a few ms (a container that exits at once is noticed at once) to 500 ms
 * (a long-running one costs two wake-ups a second): PropertiesChanged may come late or, on the shared bus,
 * not at all. */
static int wait_journal_or_unit(sd_bus *bus, JournalFollow *f, int timeout_ms) {
        struct pollfd p[2];
        int r;

        /* messages already read from the socket (while we made calls) would not wake poll(); and only with
         * the queue empty does sd_bus_get_events() ask for POLLIN */
        while ((r = sd_bus_process(bus, NULL)) > 0)
                ;
        if (r < 0)
                return r;
        p[0] = (struct pollfd){ .fd = sd_bus_get_fd(bus), .events = (short) sd_bus_get_events(bus) };
        if (f->watching) {
                p[1] = (struct pollfd){ .fd = sd_journal_get_fd(f->j),
                        .events = (short) sd_journal_get_events(f->j) };
                if (p[1].fd < 0)
                        return p[1].fd;
        }
        if (poll(p, f->watching ? 2 : 1, timeout_ms) < 0)
                return -errno;
        while ((r = sd_bus_process(bus, NULL)) > 0)
                ;
        if (r < 0)
                return r;
        if (!f->watching)
                return 0;
        r = sd_journal_process(f->j);
        return r < 0 ? r : 0;
}

int verb_run(int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *unit = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *unit_slot = NULL;
        ExitWatch watch = {};
        JournalFollow follow = {};
        int wait_ms = 2;
        sd_journal *j = NULL;
        struct sigaction sa = { .sa_handler = on_stop_signal }, old_int, old_term;
        bool stop_sent = false, kill_sent = false;
        pid_t stdio_helper = 0;
        UnitState s = {};
        char active[32] = "";
        int r, root_fd, ret;

        r = parse_argv(true, argc, argv);
        if (r <= 0) {
                args_free();
                return -r;
        }
        if (arg_tty && arg_interactive && !arg_detach && !isatty(STDIN_FILENO)) {
                args_free();
                return log_error("the input device is not a TTY"), EXIT_CMD_FAILED;
        }
        r = cli_open_store_and_bus(&store, &bus, EXIT_USAGE);
        if (r == 0)
                r = create_container("run", store, bus, argv[optind], argv + optind + 1, &c);
        args_free();
        if (r != 0)
                return r;
        root_fd = image_store_root_fd(store);
        unit = container_unit_name(c->name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_USAGE;

        if (arg_detach) {
                r = container_unit_start(bus, unit, &error);
                if (r < 0)
                        return log_error("Failed to start '%s': %s", unit, bus_error_message(&error, r)),
                               EXIT_USAGE;
                if (r > 0) {
                        ContainerState st = {};
                        bool ran = false;

                        if (container_state_load(root_fd, c->name, &st) >= 0) {
                                ran = st.started_at && isempty(st.error);
                                container_state_done(&st);
                        }
                        if (!ran)
                                return report_start_failure(root_fd, c, unit);
                        /* it started and exited before systemd saw it ready: it did run */
                } else {
                        r = start_ports(bus, c, unit);
                        if (r != 0)
                                return r;
                }
                printf("%s\n", c->id);
                return 0;
        }

        /* Foreground: follow the journal from before the start, so no line is missed. */
        journal_dirs_stat(follow.dir_mtime);
        r = journal_open_for(c, unit, &j);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m"), EXIT_USAGE;
        follow.j = j;

        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, &old_int);
        (void) sigaction(SIGTERM, &sa, &old_term);

        if (c->tty || c->open_stdin) {
                stdio_helper = run_stdio_begin(c->name, c->tty, c->open_stdin);
                if (stdio_helper < 0) {
                        ret = (log_error_errno(stdio_helper, "Failed to set up the terminal hand-over: %m"),
                                EXIT_USAGE);
                        goto finish;
                }
        }
        /* wake up on the unit's PropertiesChanged (PID 1 sends them to direct connections unconditionally,
         * and bus_open_system() subscribed otherwise), not on a timer: a container that exits at once is
         * noticed at once. Watched from before the start, so the main process' exit status is never
         * missed. */
        (void) watch_unit(bus, unit, &watch, &unit_slot);
        r = container_unit_start(bus, unit, &error);
        if (r < 0) {
                ret = (log_error("Failed to start '%s': %s", unit, bus_error_message(&error, r)),
                        EXIT_USAGE);
                goto finish;
        }
        if (r > 0) {
                _cleanup_free_ char *msg = NULL;
                int code;

                if (container_start_error(root_fd, c->name, &msg, &code) >= 0 && msg) {
                        ret = report_start_failure(root_fd, c, unit);
                        if (arg_rm)
                                (void) remove_container(bus, root_fd, c, unit, true);
                        goto finish;
                }
                /* no setup error: the container ran (and exited early); show its output below */
        } else {
                ret = start_ports(bus, c, unit);
                if (ret != 0) {
                        if (arg_rm)
                                (void) remove_container(bus, root_fd, c, unit, true);
                        goto finish;
                }
        }

        for (;;) {
                journal_drain(j);
                if (stop_requests > 0 && !stop_sent) {
                        _cleanup_(bus_job_waiter_freep) BusJobWaiter *w = NULL;
                        /* queue the stop, don't wait: keep printing output until the container is gone */
                        if (bus_job_waiter_new(bus, &w) >= 0)
                                (void) bus_job_waiter_enqueue(w, "StopUnit", unit, "replace", NULL);
                        stop_sent = true;
                } else if (stop_requests > 1 && !kill_sent) {
                        (void) bus_kill_unit(bus, unit, "all", SIGKILL, NULL);
                        kill_sent = true;
                }
                sd_bus_error_free(&error);
                if (watch.have_exit && (streq(watch.active, "inactive") || streq(watch.active, "failed"))) {
                        /* the signals said it all: the container exited and its unit is down */
                        snprintf(active, sizeof(active), "%s", watch.active);
                        break;
                }
                /* one Get per wake-up: every call is a moment PID 1 is not tending the container */
                r = bus_get_unit_active_state(bus, unit, active, &error);
                if (r < 0) {
                        ret = (log_error("Failed to get the state of '%s': %s", unit,
                                       bus_error_message(&error, r)),
                                EXIT_CMD_FAILED);
                        goto finish;
                }
                if (streq(active, "inactive") || streq(active, "failed"))
                        break;
                if (stdio_helper > 0 && run_stdio_detached(stdio_helper)) {
                        /* ctrl-p ctrl-q: the container goes on without us, as after docker run -it */
                        ret = 0;
                        goto finish;
                }
                r = wait_journal_or_unit(bus, &follow, wait_ms);
                /* +2 ms steps for a while (short containers end within ~100 ms), then doubling to 500 ms */
                wait_ms = wait_ms < 20 ? wait_ms + 2 : MIN(wait_ms * 2, 500);
                /* running for about half a second: from now on the journal wakes us (and a rotation is
                 * followed) instead of the timeout */
                if (r >= 0 && wait_ms >= 160)
                        r = journal_follow_watch(&follow);
                if (r < 0 && r != -EINTR) {
                        ret = (log_error_errno(r, "Failed to wait for output or the container: %m"),
                                EXIT_CMD_FAILED);
                        goto finish;
                }
        }
        if (stdio_helper > 0) {
                run_stdio_end(c->name, stdio_helper);
                stdio_helper = 0;
        }
        /* the unit is gone; make journald write out what it still holds, then print the rest */
        if (journal_synchronize() < 0)
                (void) sleep_usec(200 * 1000);
        (void) journal_follow_finish(&follow);
        journal_drain(j);

        sd_bus_error_free(&error);
        /* Signals that arrived while a call waited for its reply are queued, not yet dispatched; and PID 1
         * may answer a Get with the new state before it sends the signals that go with it: wait for them a
         * little (they come within a millisecond on its private socket), then fall back to asking. */
        for (unsigned i = 0; i < 10; i++) {
                while (sd_bus_process(bus, NULL) > 0)
                        ;
                if (watch.have_exit || sd_bus_wait(bus, 5 * 1000) < 0)
                        break;
        }
        if (watch.have_exit) {
                /* no LoadUnit of an instance systemd may have unloaded already */
                s.exec_main_code = watch.code;
                s.exec_main_status = watch.status;
                snprintf(s.active_state, sizeof(s.active_state), "%s", active);
        } else {
                r = bus_get_unit_state(bus, unit, &s, &error);
                if (r < 0) {
                        ret = (log_error("Failed to get the state of '%s': %s", unit,
                                       bus_error_message(&error, r)),
                                EXIT_CMD_FAILED);
                        goto finish;
                }
        }
        ret = container_exit_code(root_fd, c->name, &s);
        if (arg_rm && remove_container(bus, root_fd, c, unit, streq(s.active_state, "failed")) < 0 &&
                ret == 0)
                ret = EXIT_CMD_FAILED;

finish:
        if (stdio_helper > 0)
                run_stdio_end(c->name, stdio_helper);
        (void) sigaction(SIGINT, &old_int, NULL);
        (void) sigaction(SIGTERM, &old_term, NULL);
        sd_journal_close(j);
        return ret;
}
