/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <stddef.h>

/* Our own copy of struct open_how so the build does not depend on the host's UAPI headers. */
struct berth_open_how {
        uint64_t flags;
        uint64_t mode;
        uint64_t resolve;
};

#define BERTH_RESOLVE_NO_XDEV 0x01
#define BERTH_RESOLVE_NO_MAGICLINKS 0x02
#define BERTH_RESOLVE_NO_SYMLINKS 0x04
#define BERTH_RESOLVE_BENEATH 0x08
#define BERTH_RESOLVE_IN_ROOT 0x10

/* libc semantics: -1 and errno. ENOSYS when the kernel (or a seccomp filter) lacks openat2.
 * Setting $BERTH_FORCE_ENOSYS_OPENAT2=1 forces that ENOSYS so tests cover the fallback path. */
int sys_openat2(int dirfd, const char *path, const struct berth_open_how *how, size_t size);

/* fork() with clone flags (namespaces, CLONE_PARENT): the child continues on a copy of the caller's stack,
 * returning 0, as fork() does. No stack of its own means no stack switch, which sanitizers would flag.
 * Skips pthread_atfork handlers: use it only in single-threaded programs. Exit signal is SIGCHLD. */
pid_t sys_clone_fork(unsigned long flags);

/* pivot_root(2), which glibc does not wrap. */
int sys_pivot_root(const char *new_root, const char *put_old);

/* pidfd_open(2) and pidfd_send_signal(2): libc's where it has them (glibc 2.36), the raw syscall otherwise. */
int sys_pidfd_open(pid_t pid, unsigned flags);
int sys_pidfd_send_signal(int pidfd, int sig);

/* setns(2) with a pidfd (Linux 5.8): joins all namespaces in flags of that process at once. Kernels before
 * 5.8 fail with EINVAL, and so does this when $BERTH_FORCE_EINVAL_SETNS_PIDFD=1, so tests cover the
 * callers' fallback (one /proc/PID/ns/ file at a time). */
int sys_setns_pidfd(int pidfd, int flags);

/* open_tree(2), mount_setattr(2) and move_mount(2) (Linux 5.2/5.12), for idmapped mounts: the raw
 * syscalls, as glibc wraps them only since 2.36. mount_setattr() takes the kernel's struct mount_attr. */
#define BERTH_OPEN_TREE_CLONE 1u
int sys_open_tree(int dirfd, const char *path, unsigned flags);
int sys_mount_setattr_idmap(int fd, int userns_fd);
int sys_move_mount(int from_fd, int to_dirfd, const char *to_path);
