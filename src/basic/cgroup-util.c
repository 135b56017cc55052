/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgroup-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fd-util.h"
#include "string-util.h"

void cgroup_procs_done(CGroupProcs *c) {
        for (size_t i = 0; i < c->n; i++)
                c->fds[i] = safe_close(c->fds[i]);
        c->n = c->n_required = 0;
}

int cgroup_procs_add(CGroupProcs *c, const char *dir, const char *path, bool unified, bool required,
        char **reterr_path) {
        _cleanup_free_ char *procs = NULL;
        int fd;

        if (c->n >= CGROUP_PROCS_MAX)
                return required ? -E2BIG : 0;
        procs = asprintf_safe("/sys/fs/cgroup/%s%s/cgroup.procs", dir ?: unified ? "." : "unified", path);
        if (!procs)
                return -ENOMEM;
        fd = open(procs, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && !required)
                return 0;
        if (fd < 0) {
                int r = -errno;
                if (reterr_path)
                        *reterr_path = TAKE_PTR(procs);
                return r;
        }
        c->fds[c->n++] = fd;
        if (required) { /* keep the required ones in front */
                c->fds[c->n - 1] = c->fds[c->n_required];
                c->fds[c->n_required++] = fd;
        }
        return 0;
}

int cgroup_procs_move(const CGroupProcs *c, pid_t pid) {
        char s[16];
        int k = snprintf(s, sizeof(s), "%d", (int) pid);

        for (size_t i = 0; i < c->n; i++)
                if (write(c->fds[i], s, (size_t) k) != k && i < c->n_required)
                        return -errno;
        return 0;
}
