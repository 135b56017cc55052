/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Splits Docker-style mount options ("ro,noexec,size=64m,mode=1777") into MS_* flags and the data string
 * the file system gets ("size=64m,mode=1777"; NULL when empty). */
int mount_options_parse(const char *options, unsigned long *ret_flags, char **ret_data);

typedef enum ChaseFlags {
        CHASE_MKDIR = 1 << 0, /* create missing components as directories */
        CHASE_MKFILE = 1 << 1, /* ...except the last one, an empty regular file */
        CHASE_DIRECTORY = 1 << 2, /* the result must be a directory (else -ENOTDIR) */
} ChaseFlags;

/* Opens path below root_fd as an O_PATH fd, resolving ".." and symlinks as if root_fd were "/"
 * (openat2 RESOLVE_IN_ROOT), so a hostile image can never point it outside. Without openat2 it walks the
 * components with O_NOFOLLOW and refuses symlinks (-ELOOP). Never allocates, for use after clone(). */
int chase_in_root(int root_fd, const char *path, ChaseFlags flags, int *ret_fd);

/* "/proc/self/fd/N", the name under which mount(2) operates on what an O_PATH fd points to. */
#define FD_PATH_MAX 32
const char *fd_path(int fd, char buf[static FD_PATH_MAX]);
