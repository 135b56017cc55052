/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Loads a classic BPF seccomp program (an array of struct sock_filter, size bytes, a multiple of 8) as
 * SECCOMP_MODE_FILTER for the calling thread. Needs no_new_privs or CAP_SYS_ADMIN. Returns -EINVAL for an
 * empty program, a size that is not a whole number of instructions or more than BPF_MAXINSNS of them, and
 * the kernel's error otherwise (-EACCES without no_new_privs and CAP_SYS_ADMIN, -EINVAL for a program the
 * verifier rejects).
 *
 * This is the loading half of berth's seccomp support: berth-runtime compiles profiles with libseccomp
 * (src/shared/seccomp-profile.h), and whoever applies the result (the container's PID 1, berth-exec) needs
 * nothing but this and libc. */
int seccomp_bpf_load(const void *prog, size_t size);
