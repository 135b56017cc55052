/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container-unit.h"
#include "container.h"
#include "exit-status.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "proc-util.h"
#include "string-util.h"
#include "time-util.h"

/* The "oom_kill N" counter of a memory.events (v2) or memory.oom_control (v1) file; 0 if absent. */
static uint64_t oom_kill_count(const char *path) {
        _cleanup_free_ char *text = NULL;
        const char *p;

        if (read_full_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL) < 0)
                return 0;
        for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (startswith(p, "oom_kill "))
                        return strtoull(p + strlen("oom_kill "), NULL, 10);
        return 0;
}

/* Whether the kernel OOM-killed a process of the container during this run: we run in the unit's cgroup
 * (systemd removes it after ExecStopPost=, and a new start makes a new one), so its counter is this run's. */
static bool cgroup_oom_killed(void) {
        _cleanup_free_ char *text = NULL;
        bool unified = access("/sys/fs/cgroup/cgroup.controllers", F_OK) >= 0;

        if (read_full_file_at(AT_FDCWD, "/proc/self/cgroup", 64 * 1024, &text, NULL) < 0)
                return false;
        for (char *l = text, *next; l && *l; l = next) {
                _cleanup_free_ char *path = NULL;
                const char *dir, *cg;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (proc_cgroup_line_split(l, &dir, &cg) < 0)
                        continue;
                if (!dir && unified)
                        path = strjoin("/sys/fs/cgroup", cg, "/memory.events");
                else if (dir && strstr(dir, "memory"))
                        path = strjoin("/sys/fs/cgroup/", dir, cg, "/memory.oom_control");
                if (path && oom_kill_count(path) > 0)
                        return true;
        }
        return false;
}

int runtime_poststop(const char *root, const char *name, const char *unit_dir) {
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_(container_state_done) ContainerState st = {};
        _cleanup_close_ int root_fd = -EBADF;
        struct timespec ts;
        char now[64];
        int r, code;

        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 && errno == ENOENT)
                return log_debug_errno(errno, "Store '%s' does not exist, nothing to record: %m", root), 0;
        if (root_fd < 0)
                return -errno;
        r = container_load(root_fd, name, &c);
        if (r == -ENOENT)
                return log_debug_errno(r, "Container '%s' does not exist any more, nothing to record: %m",
                               name),
                       0;
        if (r < 0)
                /* still record how it ended (a broken config fails the start with 125) */
                log_debug_errno(r,
                        "Cannot load the configuration of container '%s', recording its exit anyway: %m",
                        name);
        r = container_state_load(root_fd, name, &st);
        if (r < 0)
                log_debug_errno(r, "Ignoring unreadable state of container '%s': %m", name);

        /* After a failed start $EXIT_STATUS is berth-runtime's own 125/126/127, and the Error it recorded
         * explains it; any other exit makes an old Error stale. */
        r = exit_code_from_service_result(getenv("EXIT_CODE"), getenv("EXIT_STATUS"), &code);
        if (r >= 0)
                st.exit_code = code;
        else
                log_debug_errno(r, "No usable $EXIT_CODE/$EXIT_STATUS, keeping exit code %lld: %m",
                        (long long) st.exit_code);
        if (st.exit_code < EXIT_SETUP_FAILED || st.exit_code > EXIT_NOT_FOUND) {
                free(st.error);
                st.error = NULL;
        }
        st.oom_killed = streq_ptr(getenv("SERVICE_RESULT"), "oom-kill") || cgroup_oom_killed();
        st.pid = 0;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        format_rfc3339_nano((uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000, now,
                sizeof(now));
        free(st.finished_at);
        st.finished_at = strdup(now);
        if (!st.finished_at)
                return -ENOMEM;

        if (c && c->auto_remove)
                /* --rm: nothing to record, the container goes away */
                return container_files_remove(root_fd, unit_dir, name, c);
        return container_state_save(root_fd, name, &st);
}
