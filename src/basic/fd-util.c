/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fd-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

int safe_close(int fd) {
        if (fd >= 0) {
                int saved_errno = errno;
                (void) close(fd);
                errno = saved_errno;
        }
        return -EBADF;
}

int lock_fd(int fd, int operation) {
        for (;;) {
                if (flock(fd, operation) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

int opendir_at(int dirfd, const char *path, DIR **ret) {
        DIR *d;
        int fd;

        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

int fd_wait_readable(int fd, int timeout_ms) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        return r == 0 ? -ETIMEDOUT : 0;
}

int loop_write(int fd, const void *data, size_t n) {
        const char *p = data;

        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EAGAIN)
                        (void) poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, -1);
                else if (k < 0 && errno != EINTR)
                        return -errno;
                else if (k > 0) {
                        p += k;
                        n -= (size_t) k;
                }
        }
        return 0;
}
