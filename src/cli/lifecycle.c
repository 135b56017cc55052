/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that act on existing containers: start, stop, restart, kill, rm, wait, rename. Each takes
 * names or unique ID prefixes, tries every argument, reports each failure and exits 1 if any failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container-unit.h"
#include "container-util.h"
#include "fileio.h"
#include "log.h"
#include "string-util.h"

#define ARG_HELP 0x1ff

static int64_t arg_time = -1; /* stop/restart -t; -1: the container's own stop timeout */
static int arg_signal = SIGKILL;
static bool arg_force = false;

static int handle_start(const char *verb, int c) {
        if (c == 'a' || c == 'i')
                return -cli_usage_error(verb,
                        "-a/--attach and -i/--interactive are not supported yet; use "
                        "'berth logs -f'");
        return 0;
}

static int parse_simple(const char *verb, const char *usage, int min_args, int max_args,
        const char *shortopts, const struct option *options, void (*help)(void),
        int (*handle)(const char *verb, int c), int argc, char *argv[]) {
        int c, r;

        while ((c = cli_getopt(verb, argc, argv, shortopts, options)) >= 0) {
                if (c == ARG_HELP || c == 'h') {
                        help();
                        return 0;
                }
                r = handle ? handle(verb, c) : 0;
                if (r < 0)
                        return r;
        }
        if (c != -1)
                return c;
        if (argc - optind < min_args || (max_args > 0 && argc - optind > max_args)) {
                if (min_args == max_args)
                        return -cli_usage_error(verb, "\"%s\" requires exactly %d argument%s: %s", verb,
                                min_args, min_args == 1 ? "" : "s", usage);
                return -cli_usage_error(verb, "\"%s\" requires at least %d argument: %s", verb, min_args,
                        usage);
        }
        return 1;
}

/* --- start ------------------------------------------------------------------------------------------------ */

static void help_start(void) {
        printf("Usage: berth start CONTAINER [CONTAINER...]\n"
               "\n"
               "Start stopped containers (their systemd units) and wait until each has started. Prints\n"
               "each argument once its container runs.\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n"
               "\n"
               "Not supported yet: -a/--attach, -i/--interactive.\n");
}

/* Docker's way with several containers: run one() on each argument, print the argument when it worked,
 * report each failure (one() logs it) and exit 1 if any failed. */
static int for_each_container(int argc, char *argv[],
        int (*one)(sd_bus *bus, int root_fd, const char *arg)) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, ret = 0;

        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        for (int i = optind; i < argc; i++) {
                if (one(bus, image_store_root_fd(store), argv[i]) < 0)
                        ret = EXIT_CMD_FAILED;
                else
                        printf("%s\n", argv[i]);
                fflush(stdout);
        }
        return ret;
}

static int start_one(sd_bus *bus, int root_fd, const char *arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL, *msg = NULL;
        int r, code;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        r = container_load(root_fd, name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name);
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = container_unit_start(bus, unit, &error);
        if (r < 0)
                return log_error("Failed to start '%s': %s", unit, bus_error_message(&error, r)), r;
        if (r > 0) {
                (void) container_start_error(root_fd, name, &msg, &code);
                if (msg)
                        log_error("failed to start container '%s': %s", name, msg);
                else
                        log_error("failed to start container '%s' (see 'journalctl -u %s')", name, unit);
                return -EIO;
        }
        if (c->n_ports > 0) {
                _cleanup_free_ char *failed = NULL;

                sd_bus_error_free(&error);
                r = container_ports_start(bus, c, &failed, &error);
                if (r != 0) {
                        if (r < 0)
                                log_error("Failed to start the port sockets of '%s': %s", name,
                                        bus_error_message(&error, r));
                        else
                                log_error("Failed to publish a port of container '%s': %s could not listen "
                                          "(port "
                                          "in use? see 'journalctl -u %s')",
                                        name, failed, failed);
                        (void) container_unit_stop(bus, unit, -1, false, NULL);
                        return r < 0 ? r : -EADDRINUSE;
                }
        }
        if (c->restart_policy == RESTART_UNLESS_STOPPED) {
                r = container_set_enabled(BERTH_UNIT_DIR, name, true);
                if (r < 0)
                        log_warning_errno(r, "Failed to enable '%s' at boot again, ignoring: %m", unit);
        }
        return 0;
}

int verb_start(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, ARG_HELP },
                { "attach", no_argument, NULL, 'a' },
                { "interactive", no_argument, NULL, 'i' },
                {},
        };
        int r;

        r = parse_simple("start", "CONTAINER [CONTAINER...]", 1, 0, "hai", options, help_start, handle_start,
                argc, argv);
        if (r <= 0)
                return -r;
        return for_each_container(argc, argv, start_one);
}

/* --- stop, restart ------------------------------------------------------------------------------------------ */

static void help_stop(void) {
        printf("Usage: berth stop [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Stop running containers: systemd sends the stop signal (SIGTERM unless --stop-signal said\n"
               "otherwise) and SIGKILL after the stop timeout. Prints each argument once it has stopped.\n"
               "A container with --restart unless-stopped is also no longer started at boot.\n"
               "\n"
               "Options:\n"
               "  -t, --time SECONDS   Seconds to wait before killing the container (default: its\n"
               "                       --stop-timeout, 10 unless set)\n"
               "  -h, --help           Show this help\n");
}

static void help_restart(void) {
        printf("Usage: berth restart [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Stop (as 'berth stop') and start containers again. Prints each argument.\n"
               "\n"
               "Options:\n"
               "  -t, --time SECONDS   Seconds to wait before killing the container (default: its\n"
               "                       --stop-timeout, 10 unless set)\n"
               "  -h, --help           Show this help\n");
}

static int handle_time(const char *verb, int c) {
        char *end;
        long long t;

        if (c != 't')
                return 0;
        errno = 0;
        t = strtoll(optarg, &end, 10);
        if (errno != 0 || end == optarg || *end || t < -1 || t > 100000000)
                return -cli_usage_error(verb, "invalid --time '%s': use a number of seconds", optarg);
        arg_time = t;
        return 0;
}

static int stop_one(sd_bus *bus, int root_fd, const char *arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        int r;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        r = container_load(root_fd, name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name);
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (c->restart_policy == RESTART_UNLESS_STOPPED) {
                /* stopped by the user: stays stopped across reboots */
                r = container_set_enabled(BERTH_UNIT_DIR, name, false);
                if (r < 0)
                        log_warning_errno(r, "Failed to disable '%s' at boot, ignoring: %m", unit);
        }
        r = container_unit_stop(bus, unit, arg_time, false, &error);
        if (r < 0)
                return log_error("Failed to stop '%s': %s", unit, bus_error_message(&error, r)), r;
        return 0;
}

static int restart_one(sd_bus *bus, int root_fd, const char *arg) {
        int r = stop_one(bus, root_fd, arg);

        return r < 0 ? r : start_one(bus, root_fd, arg);
}

static int stop_or_restart(const char *verb, bool restart, int argc, char *argv[]) {
        static const struct option options[] = {
                { "time", required_argument, NULL, 't' },
                { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        int r;

        r = parse_simple(verb, "CONTAINER [CONTAINER...]", 1, 0, "t:h", options,
                restart ? help_restart : help_stop, handle_time, argc, argv);
        if (r <= 0)
                return -r;
        return for_each_container(argc, argv, restart ? restart_one : stop_one);
}

int verb_stop(int argc, char *argv[]) {
        return stop_or_restart("stop", false, argc, argv);
}

int verb_restart(int argc, char *argv[]) {
        return stop_or_restart("restart", true, argc, argv);
}

/* --- kill ------------------------------------------------------------------------------------------------ */

static void help_kill(void) {
        printf("Usage: berth kill [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Send a signal to the main process (PID 1) of running containers. A container with a\n"
               "restart policy is restarted by systemd as if it had exited. Prints each argument.\n"
               "\n"
               "Options:\n"
               "  -s, --signal SIGNAL   Signal name or number (default SIGKILL)\n"
               "  -h, --help            Show this help\n");
}

static int handle_signal(const char *verb, int c) {
        if (c != 's')
                return 0;
        arg_signal = signal_from_string(optarg);
        if (arg_signal < 0)
                return -cli_usage_error(verb, "invalid --signal '%s': not a signal name or number", optarg);
        return 0;
}

static int kill_one(sd_bus *bus, int root_fd, const char *arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        UnitState s;
        int r;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = bus_get_unit_state(bus, unit, &s, &error);
        if (r < 0)
                return log_error("Failed to get the state of '%s': %s", unit, bus_error_message(&error, r)),
                       r;
        if (!unit_state_is_running(&s) || s.main_pid == 0)
                return log_error("Cannot kill container '%s': container %s is not running", arg, name),
                       -ESRCH;
        r = bus_kill_unit(bus, unit, "main", arg_signal, &error);
        if (r < 0)
                return log_error("Failed to kill '%s': %s", unit, bus_error_message(&error, r)), r;
        return 0;
}

int verb_kill(int argc, char *argv[]) {
        static const struct option options[] = {
                { "signal", required_argument, NULL, 's' },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        int r;

        r = parse_simple("kill", "CONTAINER [CONTAINER...]", 1, 0, "s:h", options, help_kill, handle_signal,
                argc, argv);
        if (r <= 0)
                return -r;
        return for_each_container(argc, argv, kill_one);
}

/* --- rm -------------------------------------------------------------------------------------------------- */

static void help_rm(void) {
        printf("Usage: berth rm [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Remove stopped containers: their state directory (writable layer included), systemd\n"
               "drop-in and boot link. Prints each argument.\n"
               "\n"
               "Options:\n"
               "  -f, --force     Kill (SIGKILL) and remove running containers; no error for missing ones\n"
               "  -v, --volumes   Accepted for compatibility (berth creates no anonymous volumes)\n"
               "  -h, --help      Show this help\n");
}

static int handle_rm(const char *verb, int c) {
        if (c == 'f')
                arg_force = true;
        else if (c == 'l')
                return -cli_usage_error(verb, "-l/--link is not supported (berth has no container links)");
        return 0;
}

static int rm_one(sd_bus *bus, int root_fd, const char *arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        UnitState s;
        int r;

        r = container_resolve(root_fd, arg, &name);
        if (r == -ENOENT && arg_force)
                return 0; /* as Docker: rm -f of a missing container is not an error */
        if (r < 0)
                return cli_resolve_container(root_fd, arg, &name);
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = bus_get_unit_state(bus, unit, &s, &error);
        if (r < 0)
                return log_error("Failed to get the state of '%s': %s", unit, bus_error_message(&error, r)),
                       r;
        if (unit_state_is_running(&s) && !arg_force)
                return log_error("cannot remove container \"/%s\": container is running: stop the container "
                                 "before removing or force remove",
                               name),
                       -EBUSY;
        if (!streq(s.active_state, "inactive") && !streq(s.active_state, "failed")) {
                /* running (with -f), or between restarts: stop it for good first */
                r = container_unit_stop(bus, unit, -1, arg_force, &error);
                if (r < 0)
                        return log_error("Failed to stop '%s': %s", unit, bus_error_message(&error, r)), r;
        }
        r = bus_reset_failed_unit(bus, unit, &error);
        if (r < 0)
                log_warning("Failed to reset '%s', ignoring: %s", unit, bus_error_message(&error, r));
        r = container_load(root_fd, name, &c);
        if (r >= 0) {
                /* an --on-demand container's sockets listen while it is stopped */
                if (c->on_demand) {
                        container_ports_stop(bus, c);
                        /* a client may have started it since we looked: now that no client can, stop it */
                        sd_bus_error_free(&error);
                        r = container_unit_stop(bus, unit, -1, arg_force, &error);
                        if (r < 0)
                                return log_error("Failed to stop '%s': %s", unit,
                                               bus_error_message(&error, r)),
                                       r;
                }
                container_ports_reset_failed(bus, c);
        }
        container_health_units_reset_failed(bus, name);
        r = container_files_remove(root_fd, BERTH_UNIT_DIR, name, c);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to remove container '%s': %m", name);
        if (c) {
                sd_bus_error_free(&error);
                r = container_ports_forget(bus, c, &error);
                if (r < 0)
                        log_warning("Failed to make systemd forget the port units of '%s', ignoring: %s",
                                name, bus_error_message(&error, r));
        }
        return 0;
}

int verb_rm(int argc, char *argv[]) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "volumes", no_argument, NULL, 'v' },
                { "link", no_argument, NULL, 'l' },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        int r;

        r = parse_simple("rm", "CONTAINER [CONTAINER...]", 1, 0, "fvlh", options, help_rm, handle_rm, argc,
                argv);
        if (r <= 0)
                return -r;
        return for_each_container(argc, argv, rm_one);
}

/* --- wait ------------------------------------------------------------------------------------------------ */

static void help_wait(void) {
        printf("Usage: berth wait CONTAINER [CONTAINER...]\n"
               "\n"
               "Block until each container has stopped, then print its exit code.\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n");
}

static int wait_one(sd_bus *bus, int root_fd, const char *arg, int *ret_code) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        UnitState s, seen = {};
        uint64_t first_exit = 0;
        int r;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        for (unsigned i = 0;; i++) {
                sd_bus_error_free(&error);
                r = bus_get_unit_state(bus, unit, &s, &error);
                if (r < 0)
                        return log_error("Failed to get the state of '%s': %s", unit,
                                       bus_error_message(&error, r)),
                               r;
                if (i == 0)
                        first_exit = s.exec_main_exit_usec;
                if (s.exec_main_code != 0)
                        seen = s; /* a unit that gets unloaded after stopping forgets how it ended */
                /* not running any more, or it exited (and was restarted) between two looks */
                if (!unit_state_is_running(&s) ||
                        (s.exec_main_exit_usec != first_exit && !streq(s.active_state, "deactivating")))
                        break;
                r = sleep_usec(50 * 1000);
                if (r == -EINTR)
                        return -EINTR;
        }
        *ret_code = container_exit_code(root_fd, name, s.exec_main_code != 0 ? &s : &seen);
        return 0;
}

int verb_wait(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, ret = 0, code;

        r = parse_simple("wait", "CONTAINER [CONTAINER...]", 1, 0, "h", options, help_wait, NULL, argc,
                argv);
        if (r <= 0)
                return -r;
        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        for (int i = optind; i < argc; i++) {
                if (wait_one(bus, image_store_root_fd(store), argv[i], &code) < 0)
                        ret = EXIT_CMD_FAILED;
                else
                        printf("%d\n", code);
                fflush(stdout);
        }
        return ret;
}

/* --- rename ---------------------------------------------------------------------------------------------- */

static void help_rename(void) {
        printf("Usage: berth rename CONTAINER NEW_NAME\n"
               "\n"
               "Rename a stopped container. The systemd unit is named after the container\n"
               "(berth@NAME.service), so a running container can't be renamed: stop it first.\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n");
}

static char *dropin_dir(const char *name) {
        return strjoin(BERTH_UNIT_DIR, "/berth@", name, ".service.d");
}

static int rename_container(sd_bus *bus, int root_fd, const char *arg, const char *new_name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL, *src = NULL, *dst = NULL, *old_dropin = NULL,
                            *new_dropin = NULL;
        const char *dropin_root = arg_root && !streq(arg_root, BERTH_STATE_DIR) ? arg_root : NULL;
        bool enabled, on_demand;
        UnitState s;
        int r;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        if (streq(name, new_name))
                return log_error("Renaming a container with the same name as its current name"), -EINVAL;
        unit = container_unit_name(name);
        src = strjoin("containers/", name);
        dst = strjoin("containers/", new_name);
        old_dropin = dropin_dir(name);
        new_dropin = dropin_dir(new_name);
        if (!unit || !src || !dst || !old_dropin || !new_dropin)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = bus_get_unit_state(bus, unit, &s, &error);
        if (r < 0)
                return log_error("Failed to get the state of '%s': %s", unit, bus_error_message(&error, r)),
                       r;
        if (!streq(s.active_state, "inactive") && !streq(s.active_state, "failed"))
                return log_error("Cannot rename container '%s' while it is running: its systemd unit %s is "
                                 "named "
                                 "after it. Stop it first ('berth stop %s')",
                               name, unit, name),
                       -EBUSY;

        /* an --on-demand container's sockets listen while it is stopped: under the old name until here */
        r = container_load(root_fd, name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name);
        on_demand = c->on_demand;
        if (on_demand)
                container_ports_stop(bus, c);
        c = container_free(c);

        /* claim the new name atomically, then make everything else follow */
        r = RET_NERRNO(renameat2(root_fd, src, root_fd, dst, RENAME_NOREPLACE));
        if (r == -EEXIST || r == -ENOTEMPTY) {
                _cleanup_(container_freep) Container *other = NULL;
                if (container_load(root_fd, new_name, &other) >= 0)
                        log_error("Conflict. The container name \"/%s\" is already in use by container "
                                  "\"%s\". "
                                  "You have to remove (or rename) that container to be able to reuse that "
                                  "name.",
                                new_name, other->id);
                else
                        log_error("Conflict. The container name \"/%s\" is already in use.", new_name);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to rename '%s' to '%s': %m", src, dst);

        r = container_load(root_fd, new_name, &c);
        if (r >= 0) {
                free(c->name);
                c->name = strdup(new_name);
                c->name_generated = false; /* the user's name now: its drop-in directory goes with it */
                r = c->name ? container_save(root_fd, c) : -ENOMEM;
        }
        if (r >= 0)
                r = container_dropin_write(BERTH_UNIT_DIR, c, dropin_root);
        if (r >= 0)
                r = container_port_units_write(BERTH_UNIT_DIR, c);
        if (r < 0) {
                int k;

                log_error_errno(r, "Failed to rename container '%s' to '%s': %m", name, new_name);
                (void) rm_rf_at(AT_FDCWD, new_dropin);
                (void) container_port_units_remove(BERTH_UNIT_DIR, new_name);
                k = RET_NERRNO(renameat(root_fd, dst, root_fd, src));
                if (k >= 0 && c) {
                        free(c->name);
                        c->name = strdup(name);
                        if (c->name)
                                k = container_save(root_fd, c);
                }
                if (k < 0)
                        log_error_errno(k, "Failed to undo the rename of '%s': %m", name);
                else if (on_demand && c)
                        (void) container_ports_start(bus, c, NULL, NULL);
                return r;
        }

        enabled = container_is_enabled(BERTH_UNIT_DIR, name);
        if (enabled) {
                r = container_set_enabled(BERTH_UNIT_DIR, new_name, true);
                if (r < 0)
                        log_warning_errno(r, "Failed to enable '%s' at boot, ignoring: %m", new_name);
        }
        r = container_set_enabled(BERTH_UNIT_DIR, name, false);
        if (r < 0)
                log_warning_errno(r, "Failed to remove the boot link of '%s', ignoring: %m", unit);
        r = rm_rf_at(AT_FDCWD, old_dropin);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to remove '%s', ignoring: %m", old_dropin);
        r = container_port_units_remove(BERTH_UNIT_DIR, name);
        if (r < 0)
                log_warning_errno(r, "Failed to remove the port units of '%s', ignoring: %m", name);
        (void) bus_reset_failed_unit(bus, unit, NULL);
        if (on_demand) {
                _cleanup_(container_freep) Container *old = NULL;
                _cleanup_free_ char *failed = NULL;

                /* the old name's sockets, as systemd may still hold them */
                old = calloc(1, sizeof(Container));
                if (old) {
                        old->name = strdup(name);
                        old->ports = c->ports;
                        old->n_ports = c->n_ports;
                        old->on_demand = true;
                        if (old->name)
                                (void) container_ports_forget(bus, old, NULL);
                        old->ports = NULL;
                        old->n_ports = 0;
                }
                sd_bus_error_free(&error);
                r = container_ports_refresh(bus, c, &error);
                if (r >= 0)
                        r = container_ports_start(bus, c, &failed, &error);
                if (r < 0)
                        log_warning("Failed to start the port sockets of '%s', ignoring: %s", new_name,
                                bus_error_message(&error, r));
                else if (r > 0)
                        log_warning("%s could not listen, ignoring (see 'journalctl -u %s')", failed,
                                failed);
        }
        return 0;
}

int verb_rename(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *new_name;
        int r;

        r = parse_simple("rename", "CONTAINER NEW_NAME", 2, 2, "h", options, help_rename, NULL, argc, argv);
        if (r <= 0)
                return -r;
        new_name = argv[optind + 1][0] == '/' ? argv[optind + 1] + 1 : argv[optind + 1];
        if (!container_name_is_valid(new_name))
                return cli_usage_error("rename",
                        "invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                        "allowed",
                        argv[optind + 1]);
        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        return rename_container(bus, image_store_root_fd(store), argv[optind], new_name) < 0
                ? EXIT_CMD_FAILED
                : 0;
}
