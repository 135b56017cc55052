/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "seccomp-bpf.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "macro.h"

int seccomp_bpf_load(const void *prog, size_t size) {
        struct sock_fprog fprog;

        if (!prog || size == 0 || size % sizeof(struct sock_filter) != 0 ||
                size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;

        fprog = (struct sock_fprog){
                .len = (unsigned short) (size / sizeof(struct sock_filter)),
                /* the kernel copies the program and never writes to it */
                .filter = (struct sock_filter *) prog,
        };
        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0));
}
