/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The last steps before a container process (berth-runtime's PID 1, berth-exec's command) switches to the
 * container's user: resource limits, the container's user namespace, no_new_privs, the seccomp program (loaded while the caller still has
 * CAP_SYS_ADMIN, so no_new_privs is not required), and the capability bounding set. After setuid(),
 * cap_limit(caps) limits root's permitted and effective sets. No allocation: safe between fork() and
 * execve(). */

typedef struct ConfineRlimit {
        int resource;
        unsigned long long soft, hard; /* RLIM_INFINITY for unlimited */
} ConfineRlimit;

typedef struct Confinement {
        const ConfineRlimit *rlimits;
        size_t n_rlimits;
        int userns_fd; /* a user namespace to join after the rlimits (raising one needs the host's
                          CAP_SYS_RESOURCE), -EBADF for none */
        bool no_new_privs;
        const void *seccomp; /* classic BPF, NULL for none */
        size_t seccomp_size;
        uint64_t caps; /* the bounding set, and root's permitted and effective sets */
} Confinement;

typedef enum ConfineStep {
        CONFINE_RLIMIT, /* *ret_index: which one */
        CONFINE_USERNS,
        CONFINE_NO_NEW_PRIVS,
        CONFINE_SECCOMP,
        CONFINE_CAPS,
} ConfineStep;

/* Applies everything but cap_limit(). On failure returns the negative errno and the step that failed. */
int confine_apply(const Confinement *c, ConfineStep *reterr_step, size_t *reterr_index);
