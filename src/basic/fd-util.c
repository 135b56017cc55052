/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fd-util.h"

#include <errno.h>
#include <fcntl.h>
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
