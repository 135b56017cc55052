/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* cgroup.procs files opened for writing, to move a process into a set of cgroups later (berth-exec opens a
 * container's cgroups in the host's cgroup namespace, then moves its forked command into them). Required
 * ones come first; the others are best effort. */

#define CGROUP_PROCS_MAX 32

typedef struct CGroupProcs {
        int fds[CGROUP_PROCS_MAX];
        size_t n, n_required;
} CGroupProcs;

void cgroup_procs_done(CGroupProcs *c);

/* Opens cgroup.procs of cgroup path in the hierarchy mounted at /sys/fs/cgroup/dir (dir NULL: cgroup2,
 * at the top when unified, below "unified" on hybrid hosts). A best-effort one that cannot be opened is
 * skipped (returns 0); a required one returns the error and *reterr_path (malloc'd, may be NULL). */
int cgroup_procs_add(CGroupProcs *c, const char *dir, const char *path, bool unified, bool required,
        char **reterr_path);

/* Writes pid into every file; fails only when a required one fails. */
int cgroup_procs_move(const CGroupProcs *c, pid_t pid);
