/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "syscall-shims.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#if HAVE_PIDFD_OPEN || HAVE_PIDFD_SEND_SIGNAL
#include <sys/pidfd.h>
#endif

#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

int sys_openat2(int dirfd, const char *path, const struct berth_open_how *how, size_t size) {
        static int forced = -1;

        /* Compatibility shim: glibc 2.36 has no openat2() wrapper. Remove once the baseline has one. */
        if (forced < 0) {
                const char *e = getenv("BERTH_FORCE_ENOSYS_OPENAT2");
                forced = e && *e == '1';
        }
        if (forced) {
                errno = ENOSYS;
                return -1;
        }
        return (int) syscall(__NR_openat2, dirfd, path, how, size);
}

pid_t sys_clone_fork(unsigned long flags) {
        /* every architecture takes flags first; the rest (stack, tid pointers, tls) are all unused here */
        return (pid_t) syscall(__NR_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

int sys_pivot_root(const char *new_root, const char *put_old) {
        return (int) syscall(__NR_pivot_root, new_root, put_old);
}

int sys_pidfd_open(pid_t pid, unsigned flags) {
#if HAVE_PIDFD_OPEN
        return pidfd_open(pid, flags);
#else
        /* Compatibility shim: glibc < 2.36. Remove once the baseline has pidfd_open(). */
        return (int) syscall(__NR_pidfd_open, pid, flags);
#endif
}

int sys_pidfd_send_signal(int pidfd, int sig) {
#if HAVE_PIDFD_SEND_SIGNAL
        return pidfd_send_signal(pidfd, sig, NULL, 0);
#else
        /* Compatibility shim: glibc < 2.36. */
        return (int) syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
#endif
}

int sys_setns_pidfd(int pidfd, int flags) {
        static int forced = -1;

        if (forced < 0) {
                const char *e = getenv("BERTH_FORCE_EINVAL_SETNS_PIDFD");
                forced = e && *e == '1';
        }
        if (forced) {
                errno = EINVAL;
                return -1;
        }
        return setns(pidfd, flags);
}

int sys_open_tree(int dirfd, const char *path, unsigned flags) {
        return (int) syscall(SYS_open_tree, dirfd, path, flags);
}

int sys_mount_setattr_idmap(int fd, int userns_fd) {
        /* struct mount_attr of <linux/mount.h>, spelled out for older headers */
        struct {
                uint64_t attr_set, attr_clr, propagation, userns_fd;
        } attr = { .attr_set = 0x00100000 /* MOUNT_ATTR_IDMAP */, .userns_fd = (uint64_t) userns_fd };

        return (int) syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr));
}

int sys_move_mount(int from_fd, int to_dirfd, const char *to_path) {
        return (int) syscall(SYS_move_mount, from_fd, "", to_dirfd, to_path,
                0x00000004 /* MOVE_MOUNT_F_EMPTY_PATH */);
}
