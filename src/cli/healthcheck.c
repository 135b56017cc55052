/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `berth healthcheck run CONTAINER`: runs the container's health check once, through `berth exec` (so
 * in the container's namespaces, cgroup and confinement), records the result in health.json by Docker's
 * rules, and carries out --health-on-failure when the container just became unhealthy. The timer
 * berth-health@NAME.timer runs it as berth-health@NAME.service (--from-timer) while the container runs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container-status.h"
#include "container-unit.h"
#include "fd-util.h"
#include "health.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-shims.h"
#include "time-util.h"

static bool arg_from_timer = false;

static void help(void) {
        printf("Usage: berth healthcheck run CONTAINER\n"
               "\n"
               "Run the container's health check (--health-cmd, or the image's HEALTHCHECK) once, in the\n"
               "container, and record the result: 'berth ps' and 'berth inspect' show the health. The\n"
               "timer berth-health@NAME.timer does this every --health-interval while the container runs.\n"
               "Exits 0 if the check passed, 1 (printing the health) if it failed, 125 if it could not\n"
               "run (no health check, container not running).\n"
               "\n"
               "Options:\n"
               "  -h, --help     Show this help\n");
}

static uint64_t realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static uint64_t started_usec(const ContainerInfo *i) {
        if (i->unit.exec_main_start_usec > 0)
                return i->unit.exec_main_start_usec;
        return (uint64_t) rfc3339_to_seconds(i->state.started_at) * 1000000u;
}

static char *timestamp(void) {
        char buf[64];

        format_rfc3339_nano(realtime_usec(), buf, sizeof(buf));
        return strdup(buf);
}

/* Waits up to timeout_ms for the child behind pidfd; returns its wait status or -ETIMEDOUT. */
static int wait_child(pid_t pid, int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int status;

        if (pidfd >= 0 && poll(&p, 1, timeout_ms) == 0)
                return -ETIMEDOUT;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return status;
}

/* Runs `berth exec NAME CMD...` with stdin from /dev/null and stdout+stderr captured (the first
 * HEALTH_OUTPUT_MAX bytes), killing it after timeout_ns. Fills the result's ExitCode and Output. */
static int run_check(const char *name, char **cmd, int64_t timeout_ns, HealthResult *res) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int pidfd = -EBADF, out_fd = -EBADF;
        char buf[HEALTH_OUTPUT_MAX + 1];
        int pipefd[2], status;
        size_t have = 0;
        uint64_t deadline = realtime_usec() + (uint64_t) timeout_ns / 1000u;
        bool exited = false, eof = false;
        pid_t pid;

        if (strv_extend(&argv, "berth") < 0 ||
                (arg_root && (strv_extend(&argv, "--root") < 0 || strv_extend(&argv, arg_root) < 0)) ||
                strv_extend(&argv, "exec") < 0 || strv_extend(&argv, name) < 0)
                return -ENOMEM;
        STRV_FOREACH(a, cmd)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return -errno;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(pipefd[1], STDOUT_FILENO) < 0 ||
                        dup2(pipefd[1], STDERR_FILENO) < 0)
                        _exit(EXIT_USAGE);
                execv("/proc/self/exe", argv);
                _exit(EXIT_USAGE);
        }
        safe_close(pipefd[1]);
        out_fd = pipefd[0];
        (void) fcntl(out_fd, F_SETFL, O_NONBLOCK);
        pidfd = sys_pidfd_open(pid, 0);

        /* until the command exited and its output is read; a process it left behind holding the pipe does
         * not keep us waiting once the command itself is gone */
        while (!exited || !eof) {
                struct pollfd p[2] = { { .fd = eof ? -1 : out_fd, .events = POLLIN },
                        { .fd = exited ? -1 : pidfd, .events = POLLIN } };
                uint64_t now = realtime_usec();
                int n;

                if (now >= deadline)
                        break;
                n = poll(p, 2, (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT32_MAX));
                if (n < 0 && errno != EINTR)
                        break;
                if (p[0].revents) {
                        char chunk[4096];
                        ssize_t k = read(out_fd, chunk, sizeof(chunk));

                        if (k > 0) {
                                size_t take = MIN((size_t) k, HEALTH_OUTPUT_MAX - have);
                                memcpy(buf + have, chunk, take);
                                have += take;
                        } else if (k == 0 || (errno != EAGAIN && errno != EINTR))
                                eof = true;
                }
                if (pidfd < 0 || p[1].revents) {
                        exited = true;
                        /* what it wrote before exiting is in the pipe: drain it, then stop */
                        for (;;) {
                                char chunk[4096];
                                ssize_t k = read(out_fd, chunk, sizeof(chunk));
                                size_t take;

                                if (k <= 0)
                                        break;
                                take = MIN((size_t) k, HEALTH_OUTPUT_MAX - have);
                                memcpy(buf + have, chunk, take);
                                have += take;
                        }
                        eof = true;
                }
        }
        buf[have] = 0;

        if (!exited) {
                char d[64];

                /* berth-exec passes SIGTERM on to the command; SIGKILL if that is not enough */
                (void) kill(pid, SIGTERM);
                status = wait_child(pid, pidfd, 2000);
                if (status == -ETIMEDOUT) {
                        (void) kill(pid, SIGKILL);
                        status = wait_child(pid, -EBADF, -1);
                }
                snprintf(d, sizeof(d), "%.3gs", (double) timeout_ns / 1e9);
                res->exit_code = -1;
                res->output = asprintf_safe("Health check exceeded timeout (%s)", d);
                return res->output ? 0 : -ENOMEM;
        }
        status = wait_child(pid, -EBADF, -1);
        if (status < 0)
                return status;
        res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        res->output = strdup(buf);
        return res->output ? 0 : -ENOMEM;
}

/* --health-on-failure: the job is queued, not waited for (stopping the container may stop us). */
static int act_on_failure(sd_bus *bus, const Container *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *unit = container_unit_name(c->name);
        const char *method = NULL;
        int r;

        if (!unit)
                return -ENOMEM;
        switch (c->healthcheck.on_failure) {
        case HEALTH_ON_FAILURE_KILL:
                /* as `berth kill`: the restart policy decides what comes next */
                r = bus_kill_unit(bus, unit, "all", SIGKILL, &error);
                break;
        case HEALTH_ON_FAILURE_RESTART:
                method = "RestartUnit";
                break;
        case HEALTH_ON_FAILURE_STOP:
                method = "StopUnit";
                break;
        default:
                return 0;
        }
        if (method)
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                        "org.freedesktop.systemd1.Manager", method, &error, NULL, "ss", unit, "replace");
        if (r < 0)
                return log_error("Failed to %s unhealthy container '%s' (--health-on-failure): %s",
                               health_on_failure_to_string(c->healthcheck.on_failure), c->name,
                               bus_error_message(&error, r)),
                       r;
        log_info("Container %s is unhealthy: %s it (--health-on-failure)", c->name,
                c->healthcheck.on_failure == HEALTH_ON_FAILURE_KILL           ? "killing"
                        : c->healthcheck.on_failure == HEALTH_ON_FAILURE_STOP ? "stopping"
                                                                              : "restarting");
        return 0;
}

static int healthcheck_run(const char *arg) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(container_info_done) ContainerInfo info = {}, after = {};
        _cleanup_(health_state_done) HealthState hs = {};
        _cleanup_strv_free_ char **cmd = NULL;
        _cleanup_free_ char *name = NULL, *dir = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_(health_result_done) HealthResult res = {};
        const Healthcheck *h;
        HealthStatus before;
        uint64_t since_start;
        bool became_unhealthy;
        int r;

        if (cli_open_store_and_bus(&store, &bus, EXIT_USAGE) != 0)
                return EXIT_USAGE;
        if (cli_resolve_container(image_store_root_fd(store), arg, &name) < 0)
                return EXIT_USAGE;
        r = container_info_load(bus, image_store_root_fd(store), name, &info);
        if (r < 0)
                return log_error_errno(r, "Failed to read container '%s': %m", name), EXIT_USAGE;
        h = &info.container->healthcheck;
        if (!healthcheck_enabled(h))
                return log_error("Container %s has no health check (create it with --health-cmd, or from an "
                                 "image with a HEALTHCHECK)",
                               name),
                       EXIT_USAGE;
        /* a timer run that raced with the container's stop is no failure of the health unit */
        if (!info.running)
                return log_full_errno(arg_from_timer ? LOG_INFO : LOG_ERR, 0, "Container %s is not running",
                               name),
                       arg_from_timer ? 0 : EXIT_USAGE;

        since_start = realtime_usec() - MIN(started_usec(&info), realtime_usec());
        /* the timer's first elapse after a restart of the container may come early (systemd counts its
         * interval from this service's last run, of the previous start): Docker's first check is one
         * interval after the start */
        if (arg_from_timer && since_start * 1000 + 100000000u < (uint64_t) healthcheck_interval_ns(h))
                return log_debug("Container %s started %llu ms ago, first check later", name,
                               (unsigned long long) since_start / 1000),
                       0;

        cmd = healthcheck_argv(h);
        res.start = timestamp();
        if (!cmd || !res.start)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_USAGE;
        r = run_check(name, cmd, healthcheck_timeout_ns(h), &res);
        res.end = timestamp();
        if (r < 0 || !res.end)
                return log_error_errno(r < 0 ? r : -ENOMEM, "Failed to run the health check of '%s': %m",
                               name),
                       EXIT_USAGE;

        /* a result belongs to the run it was taken in: discard it if the container stopped or restarted */
        r = container_info_load(bus, image_store_root_fd(store), name, &after);
        if (r < 0 || !after.running || !streq_ptr(after.state.started_at, info.state.started_at))
                return log_full_errno(arg_from_timer ? LOG_INFO : LOG_ERR, 0,
                               "Container %s stopped during its health check, result discarded", name),
                       arg_from_timer ? 0 : EXIT_USAGE;

        /* one writer at a time: a timer run and one by hand */
        dir = strjoin("containers/", name);
        if (dir)
                dir_fd = openat(image_store_root_fd(store), dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0)
                (void) flock(dir_fd, LOCK_EX);
        r = health_state_load(image_store_root_fd(store), name, info.state.started_at, &hs);
        if (r < 0)
                return log_error_errno(r, "Failed to read the health of '%s': %m", name), EXIT_USAGE;
        before = hs.status;
        /* for the journal; by hand, the status printed below says it */
        if (res.exit_code != 0 && arg_from_timer)
                log_info("Health check of %s failed (exit %lld): %.200s", name, (long long) res.exit_code,
                        res.output);
        became_unhealthy = health_state_record(&hs, h,
                since_start * 1000 < (uint64_t) info.container->healthcheck.start_period_ns, &res);
        r = health_state_save(image_store_root_fd(store), name, &hs);
        if (r < 0)
                return log_error_errno(r, "Failed to record the health of '%s': %m", name), EXIT_USAGE;
        dir_fd = safe_close(dir_fd);

        if (hs.status != before && arg_from_timer)
                log_info("Container %s is %s", name, health_status_to_string(hs.status));
        if (became_unhealthy)
                (void) act_on_failure(bus, info.container);
        if (hs.log[hs.n_log - 1].exit_code == 0)
                return 0;
        printf("%s\n", health_status_to_string(hs.status));
        return EXIT_CMD_FAILED;
}

int verb_healthcheck(int argc, char *argv[]) {
        enum { ARG_FROM_TIMER = 0x100, ARG_HELP };
        static const struct option options[] = {
                { "from-timer", no_argument, NULL, ARG_FROM_TIMER },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        int c;

        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help();
                return argc < 2 ? EXIT_USAGE : 0;
        }
        if (!streq(argv[1], "run"))
                return cli_usage_error("healthcheck", "unknown command '%s': the only one is 'run'",
                        argv[1]);
        argc--;
        argv++;
        while ((c = cli_getopt("healthcheck run", argc, argv, "h", options)) >= 0)
                switch (c) {
                case ARG_FROM_TIMER:
                        arg_from_timer = true;
                        break;
                case 'h':
                case ARG_HELP:
                        help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind != 1)
                return cli_usage_error("healthcheck run",
                        "\"healthcheck run\" requires exactly 1 argument: "
                        "CONTAINER");
        return healthcheck_run(argv[optind]);
}
