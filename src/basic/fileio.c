/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "string-util.h"

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int fsync_directory_at(int dirfd, const char *name) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return RET_NERRNO(fsync(fd));
}

static int write_file_rename_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode,
        bool sync) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        const char *name, *crash;
        int r;

        /* the temp file goes into the target's own directory, so the rename cannot cross file systems */
        name = strrchr(path, '/');
        if (name) {
                dir = strndup(path, (size_t) (name - path));
                if (!dir)
                        return -ENOMEM;
                name++;
                dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                dirfd = dfd;
        } else
                name = path;
        if (isempty(name) || streq(name, ".") || streq(name, ".."))
                return -EINVAL;

        tmp = asprintf_safe(".#%s.%ld.%08lx", name, (long) getpid(), (unsigned long) random());
        if (!tmp)
                return -ENOMEM;

        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;

        r = write_all(fd, data, size);
        if (r >= 0)
                r = RET_NERRNO(fchmod(fd, mode));
        if (r >= 0 && sync)
                r = RET_NERRNO(fsync(fd));
        if (r < 0)
                goto fail;

        crash = getenv("BERTH_TEST_CRASH_BEFORE_RENAME");
        if (crash && streq(crash, name))
                _exit(99);

        r = RET_NERRNO(renameat(dirfd, tmp, dirfd, name));
        if (r < 0)
                goto fail;

        return sync ? RET_NERRNO(fsync(dirfd)) : 0;

fail:
        (void) unlinkat(dirfd, tmp, 0);
        return r;
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_rename_at(dirfd, path, data, size, mode, /* sync= */ true);
}

int write_file_replace_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_rename_at(dirfd, path, data, size, mode, /* sync= */ false);
}

int read_full_file_at(int dirfd, const char *name, size_t max_size, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((size_t) st.st_size > max_size)
                return -EFBIG;

        for (;;) {
                ssize_t n;

                if (alloc - size < 4096) {
                        char *b;

                        alloc = alloc ? alloc * 2 : (size_t) st.st_size + 4097;
                        b = realloc(buf, alloc);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max_size)
                        return -EFBIG;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        char *s;

        if (!p)
                return -ENOMEM;
        if (p[0] == '/')
                return -EINVAL;
        for (s = p;; s++) {
                if (*s == '/' || *s == 0) {
                        char c = *s;
                        *s = 0;
                        if (*p && mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        if (c == 0)
                                break;
                        *s = c;
                }
        }
        return 0;
}

static int rm_rf_children(int fd, dev_t dev) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && r == 0)
                                r = -errno;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        int cfd, q;

                        if (st.st_dev != dev) {
                                /* a mount point: never descend into another file system */
                                if (r == 0)
                                        r = -EXDEV;
                                continue;
                        }
                        cfd = openat(dirfd(d), de->d_name,
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
                        if (cfd < 0)
                                cfd = openat(dirfd(d), de->d_name,
                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0) {
                                if (r == 0)
                                        r = -errno;
                                continue;
                        }
                        q = rm_rf_children(cfd, dev);
                        if (q < 0 && r == 0)
                                r = q;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                                r = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        return r;
}

int rm_rf_children_at(int dirfd, const char *name) {
        struct stat st;
        int fd;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return rm_rf_children(fd, st.st_dev);
}

int rm_rf_at(int dirfd, const char *name) {
        int r;

        /* Layers may contain read-only directories; we are root, so DAC does not stop us. */
        r = rm_rf_children_at(dirfd, name);
        if (r == -ENOTDIR)
                return RET_NERRNO(unlinkat(dirfd, name, 0));
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
