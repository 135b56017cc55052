/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `berth exec`: runs a command in a running container. We resolve the container, ask systemd for its main
 * process and decide the user, working directory and environment from its config.json; then we become
 * berth-exec, the small helper that enters the container (src/exec/berth-exec.c), so its exit code is ours. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "capability-util.h"
#include "cli.h"
#include "container-util.h"
#include "fileio.h"
#include "log.h"
#include "proc-util.h"
#include "string-util.h"
#include "strv.h"

static bool arg_interactive = false, arg_tty = false, arg_detach = false, arg_privileged = false;
static const char *arg_user = NULL; /* NULL: the container's */
static const char *arg_workdir = NULL; /* NULL: the container's WorkingDir, else "/" */
static char **arg_env = NULL; /* --env-file first, then -e, as Docker merges them */
static char **arg_env_cli = NULL;

static void help(void) {
        printf("Usage: berth exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
               "\n"
               "Run a command in a running container: in its namespaces, root and systemd unit (so\n"
               "'systemctl stop berth@NAME' ends it too), as its user, with its environment. Exits with\n"
               "the command's status (128+N if killed by signal N), 126 if it cannot be executed, 127 if\n"
               "it is not found, 1 if the container is not running. The command is confined as the\n"
               "container is (capabilities, seccomp filter, no-new-privileges, ulimits).\n"
               "\n"
               "Options:\n"
               "  -d, --detach               Run the command in the background\n"
               "  -e, --env KEY=VAL|KEY      Set an environment variable (a bare KEY takes this shell's\n"
               "                             value, and is dropped if unset)\n"
               "      --env-file FILE        Read variables from FILE (KEY=VAL or KEY lines)\n"
               "  -i, --interactive          Keep stdin connected\n"
               "      --privileged           UNSAFE: every capability and no seccomp filter for the\n"
               "                             command (the container's own confinement otherwise)\n"
               "  -t, --tty                  Allocate a pseudo-TTY inside the container; ctrl-p ctrl-q\n"
               "                             detaches and leaves the command running\n"
               "  -u, --user USER[:GROUP]    Name or ID (default: the container's user)\n"
               "  -w, --workdir DIR          Working directory (default: the container's)\n"
               "  -h, --help                 Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_ENV_FILE = 0x100, ARG_PRIVILEGED, ARG_DETACH_KEYS, ARG_HELP };
        static const struct option options[] = {
                { "detach", no_argument, NULL, 'd' },
                { "env", required_argument, NULL, 'e' },
                { "env-file", required_argument, NULL, ARG_ENV_FILE },
                { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' },
                { "user", required_argument, NULL, 'u' },
                { "workdir", required_argument, NULL, 'w' },
                { "privileged", no_argument, NULL, ARG_PRIVILEGED },
                { "detach-keys", required_argument, NULL, ARG_DETACH_KEYS },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        int c, r;

        /* "+": options end at the container name; everything after it belongs to the command */
        while ((c = cli_getopt("exec", argc, argv, "+de:itu:w:h", options)) >= 0)
                switch (c) {
                case 'd':
                        arg_detach = true;
                        break;
                case 'e': {
                        char *kv = NULL;

                        r = env_arg_parse(optarg, &kv);
                        if (r == -EINVAL)
                                return -cli_usage_error("exec",
                                        "invalid --env '%s': the variable needs a name without blanks",
                                        optarg);
                        if (r < 0 || (kv && strv_consume(&arg_env_cli, kv) < 0))
                                return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
                        break;
                }
                case ARG_ENV_FILE:
                        r = cli_read_env_file("exec", optarg, &arg_env);
                        if (r < 0)
                                return r;
                        break;
                case 'i':
                        arg_interactive = true;
                        break;
                case 't':
                        arg_tty = true;
                        break;
                case 'u':
                        arg_user = optarg;
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return -cli_usage_error("exec",
                                        "the working directory '%s' is invalid, it needs to be an absolute "
                                        "path",
                                        optarg);
                        arg_workdir = optarg;
                        break;
                case ARG_PRIVILEGED:
                        arg_privileged = true;
                        break;
                case ARG_DETACH_KEYS:
                        if (!streq(optarg, "ctrl-p,ctrl-q"))
                                return -cli_usage_error("exec",
                                        "--detach-keys: only the default 'ctrl-p,ctrl-q' is supported yet");
                        break;
                case 'h':
                case ARG_HELP:
                        help();
                        return 0;
                }
        if (c != -1)
                return c;
        if (argc - optind < 2)
                return -cli_usage_error("exec",
                        "\"exec\" requires at least 2 arguments: CONTAINER COMMAND [ARG...]");
        /* -e wins over --env-file whatever the order on the command line */
        STRV_FOREACH(e, arg_env_cli)
                if (env_merge(&arg_env, *e) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        return 1;
}

/* The container's confinement for the helper: its capabilities (all with --privileged), no_new_privs,
 * the seccomp program berth-runtime compiled at start (none with --privileged or when unconfined), its
 * resource limits. */
static int confinement_argv(const Container *c, char ***l) {
        _cleanup_free_ char *bpf = NULL;
        uint64_t caps;
        char buf[64];
        int r;

        r = container_capabilities(c, &caps);
        if (r < 0)
                return r;
        snprintf(buf, sizeof(buf), "%" PRIx64, arg_privileged ? cap_mask_all() : caps);
        if (strv_extend(l, "--caps") < 0 || strv_extend(l, buf) < 0 ||
                (c->no_new_privileges && strv_extend(l, "--no-new-privs") < 0))
                return -ENOMEM;
        if (!arg_privileged && !c->privileged && c->seccomp != SECCOMP_MODE_UNCONFINED) {
                bpf = strjoin(arg_root ?: BERTH_STATE_DIR, "/containers/", c->name, "/seccomp.bpf");
                if (!bpf || strv_extend(l, "--seccomp") < 0 || strv_extend(l, bpf) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_ulimits; i++) {
                const ContainerUlimit *u = c->ulimits + i;

                snprintf(buf, sizeof(buf), "%d=%llu:%llu", rlimit_from_name(u->name),
                        u->soft < 0 ? (unsigned long long) RLIM_INFINITY : (unsigned long long) u->soft,
                        u->hard < 0 ? (unsigned long long) RLIM_INFINITY : (unsigned long long) u->hard);
                if (strv_extend(l, "--rlimit") < 0 || strv_extend(l, buf) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The helper's command line: everything decided here, so the helper reads no berth configuration. */
static int helper_argv(const char *helper, const char *unit, const Container *c, uint32_t pid, char **cmd,
        char ***ret) {
        _cleanup_strv_free_ char **l = NULL, **env = NULL;
        char pid_s[16];

        snprintf(pid_s, sizeof(pid_s), "%" PRIu32, pid);
        env = strv_copy(c->env);
        if (!env && c->env)
                return -ENOMEM;
        STRV_FOREACH(e, arg_env)
                if (env_merge(&env, *e) < 0)
                        return -ENOMEM;
        if (strv_extend(&l, helper) < 0 || strv_extend(&l, "--pid") < 0 || strv_extend(&l, pid_s) < 0 ||
                strv_extend(&l, "--unit") < 0 || strv_extend(&l, unit) < 0 || strv_extend(&l, "--user") < 0 ||
                strv_extend(&l, arg_user ?: c->user ?: "") < 0 || strv_extend(&l, "--workdir") < 0 ||
                strv_extend(&l, arg_workdir ?: isempty(c->working_dir) ? "/" : c->working_dir) < 0)
                return -ENOMEM;
        STRV_FOREACH(e, env)
                if (strv_extend(&l, "--env") < 0 || strv_extend(&l, *e) < 0)
                        return -ENOMEM;
        if (confinement_argv(c, &l) < 0)
                return -ENOMEM;
        if ((arg_interactive && strv_extend(&l, "--interactive") < 0) ||
                (arg_tty && strv_extend(&l, "--tty") < 0) ||
                (arg_detach && strv_extend(&l, "--detach") < 0) || strv_extend(&l, "--") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, cmd)
                if (strv_extend(&l, *a) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* The fast path: the PID berth-runtime recorded at start, if that process is still in the unit's cgroup.
 * berth-exec checks it again (PID 1 of its namespace, in the unit) after opening a pidfd, so a stale or
 * reused PID cannot slip through; this only saves the round trips to systemd. */
static pid_t recorded_main_pid(int root_fd, const char *name, const char *unit) {
        _cleanup_(container_state_done) ContainerState st = {};
        _cleanup_free_ char *cgroup = NULL;
        char path[64];

        if (container_state_load(root_fd, name, &st) < 0 || st.pid <= 0 || st.pid > INT32_MAX)
                return 0;
        snprintf(path, sizeof(path), "/proc/%" PRIi64 "/cgroup", st.pid);
        if (read_full_file_at(AT_FDCWD, path, 64 * 1024, &cgroup, NULL) < 0)
                return 0;
        for (char *l = cgroup, *next; l && *l; l = next) {
                const char *dir, *cg;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (proc_cgroup_line_split(l, &dir, &cg) < 0)
                        continue;
                if ((!dir || streq(dir, "systemd")) && cgroup_path_in_unit(cg, unit))
                        return (pid_t) st.pid;
        }
        return 0;
}

int verb_exec(int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        _cleanup_strv_free_ char **args = NULL;
        const char *helper;
        uint32_t main_pid = 0;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        /* Docker's check: a terminal session needs a terminal to read from */
        if (arg_tty && arg_interactive && !isatty(STDIN_FILENO))
                return log_error("the input device is not a TTY"), EXIT_CMD_FAILED;

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        if (cli_resolve_container(image_store_root_fd(store), argv[optind], &name) < 0)
                return EXIT_CMD_FAILED;
        r = container_load(image_store_root_fd(store), name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name),
                       EXIT_CMD_FAILED;
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;
        main_pid = (uint32_t) recorded_main_pid(image_store_root_fd(store), name, unit);
        if (main_pid == 0) {
                /* not provably running from here: systemd has the answer */
                if (cli_open_bus(&bus) < 0)
                        return EXIT_CMD_FAILED;
                r = bus_get_unit_main_pid(bus, unit, &main_pid, &error);
                if (r < 0)
                        return log_error("Failed to get the state of '%s': %s", unit,
                                       bus_error_message(&error, r)),
                               EXIT_CMD_FAILED;
        }
        if (main_pid == 0)
                return log_error("container %s is not running", name), EXIT_CMD_FAILED;

        helper = getenv("BERTH_EXEC") ?: BERTH_LIBEXECDIR "/berth-exec";
        r = helper_argv(helper, unit, c, main_pid, argv + optind + 1, &args);
        if (r < 0)
                return log_error_errno(r, "Out of memory"), EXIT_CMD_FAILED;
        if (log_get_level() >= LOG_DEBUG)
                (void) setenv("BERTH_LOG_LEVEL", "debug", 1);

        /* the helper must not inherit the bus or the store */
        bus = sd_bus_flush_close_unref(bus);
        store = image_store_free(store);
        fflush(stdout);
        execv(helper, args);
        return log_error_errno(-errno, "Failed to execute '%s': %m", helper), EXIT_CMD_FAILED;
}
