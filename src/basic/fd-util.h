/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stdio.h>

#include "macro.h"

/* Closes fd if valid and returns -EBADF, for one-statement resets: fd = safe_close(fd).
 * Never retries on EINTR: on Linux the descriptor is gone either way. */
int safe_close(int fd);

static inline void closep(int *fd) {
        (void) safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Opens dirfd/path as a directory stream (O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC). */
int opendir_at(int dirfd, const char *path, DIR **ret);

/* Takes an exclusive (or shared) flock on fd, waiting for it. */
int lock_fd(int fd, int operation);

/* Writes all n bytes, retrying on EINTR and waiting with poll() while a non-blocking fd is full. */
int loop_write(int fd, const void *data, size_t n);

/* Waits until fd is readable or hung up: 0, -ETIMEDOUT after timeout_ms (negative: no limit), or -errno.
 * Retries on EINTR. */
int fd_wait_readable(int fd, int timeout_ms);
