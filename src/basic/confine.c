/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "confine.h"

#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "capability-util.h"
#include "macro.h"
#include "seccomp-bpf.h"

#define FAIL(step, r)                                                                                       \
        do {                                                                                                \
                if (reterr_step)                                                                            \
                        *reterr_step = (step);                                                              \
                return (r);                                                                                 \
        } while (0)

int confine_apply(const Confinement *c, ConfineStep *reterr_step, size_t *reterr_index) {
        int r;

        for (size_t i = 0; i < c->n_rlimits; i++) {
                struct rlimit rl = { .rlim_cur = c->rlimits[i].soft, .rlim_max = c->rlimits[i].hard };

                if (setrlimit(c->rlimits[i].resource, &rl) < 0) {
                        if (reterr_index)
                                *reterr_index = i;
                        FAIL(CONFINE_RLIMIT, -errno);
                }
        }
        if (c->userns_fd >= 0 && setns(c->userns_fd, CLONE_NEWUSER) < 0)
                FAIL(CONFINE_USERNS, -errno);
        if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                FAIL(CONFINE_NO_NEW_PRIVS, -errno);
        if (c->seccomp) {
                r = seccomp_bpf_load(c->seccomp, c->seccomp_size);
                if (r < 0)
                        FAIL(CONFINE_SECCOMP, r);
        }
        r = cap_drop_bounding(c->caps);
        if (r < 0)
                FAIL(CONFINE_CAPS, r);
        return 0;
}
