/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mount-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "string-util.h"
#include "syscall-shims.h"

static const struct {
        const char *name;
        unsigned long set, clear;
} mount_flag_table[] = {
        { "ro", MS_RDONLY, 0 },
        { "rw", 0, MS_RDONLY },
        { "nosuid", MS_NOSUID, 0 },
        { "suid", 0, MS_NOSUID },
        { "nodev", MS_NODEV, 0 },
        { "dev", 0, MS_NODEV },
        { "noexec", MS_NOEXEC, 0 },
        { "exec", 0, MS_NOEXEC },
        { "sync", MS_SYNCHRONOUS, 0 },
        { "async", 0, MS_SYNCHRONOUS },
        { "noatime", MS_NOATIME, 0 },
        { "atime", 0, MS_NOATIME },
        { "nodiratime", MS_NODIRATIME, 0 },
        { "relatime", MS_RELATIME, 0 },
        { "norelatime", 0, MS_RELATIME },
        { "strictatime", MS_STRICTATIME, 0 },
};

int mount_options_parse(const char *options, unsigned long *ret_flags, char **ret_data) {
        _cleanup_free_ char *data = NULL;
        unsigned long flags = 0;
        size_t n = 0;

        if (!isempty(options)) {
                data = malloc(strlen(options) + 1);
                if (!data)
                        return -ENOMEM;
        }
        for (const char *p = options; !isempty(p);) {
                size_t l = strcspn(p, ",");
                bool known = false;

                for (size_t i = 0; i < ELEMENTSOF(mount_flag_table); i++)
                        if (strlen(mount_flag_table[i].name) == l &&
                                strncmp(mount_flag_table[i].name, p, l) == 0) {
                                flags = (flags | mount_flag_table[i].set) & ~mount_flag_table[i].clear;
                                known = true;
                                break;
                        }
                if (!known && l > 0) {
                        if (n > 0)
                                data[n++] = ',';
                        memcpy(data + n, p, l);
                        n += l;
                }
                p += l;
                if (*p == ',')
                        p++;
        }
        if (data)
                data[n] = 0;
        *ret_flags = flags;
        *ret_data = n > 0 ? TAKE_PTR(data) : NULL;
        return 0;
}

const char *fd_path(int fd, char buf[static FD_PATH_MAX]) {
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

/* Opens one prefix of the path below root. */
static int open_below(int root_fd, const char *path, int *ret_fd) {
        struct berth_open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS,
        };
        char buf[PATH_MAX];
        int fd, r;

        fd = sys_openat2(root_fd, path, &how, sizeof(how));
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        if (errno != ENOSYS)
                return -errno;

        /* Fallback: walk component by component, refusing every symlink (compatibility path for kernels
         * without openat2; remove once the baseline has it everywhere). */
        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        fd = openat(root_fd, ".", O_PATH | O_CLOEXEC | O_DIRECTORY);
        if (fd < 0)
                return -errno;
        for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct stat st;
                int next;

                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        safe_close(fd);
                        return -EPERM;
                }
                next = openat(fd, c, O_PATH | O_CLOEXEC | O_NOFOLLOW);
                r = next < 0 ? -errno : 0;
                safe_close(fd);
                if (r < 0)
                        return r;
                fd = next;
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        safe_close(fd);
                        return r;
                }
                if (S_ISLNK(st.st_mode)) {
                        safe_close(fd);
                        return -ELOOP;
                }
        }
        *ret_fd = fd;
        return 0;
}

static int check_type(int fd, ChaseFlags flags) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if ((flags & (CHASE_DIRECTORY | CHASE_MKDIR)) && !(flags & CHASE_MKFILE) && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((flags & CHASE_MKFILE) && S_ISDIR(st.st_mode))
                return -EISDIR;
        return 0;
}

int chase_in_root(int root_fd, const char *path, ChaseFlags flags, int *ret_fd) {
        char prefix[PATH_MAX];
        _cleanup_close_ int fd = -EBADF, parent = -EBADF;
        const char *p;
        size_t n = 0;
        int r;

        if (strlen(path) >= sizeof(prefix))
                return -ENAMETOOLONG;

        r = open_below(root_fd, path, &fd);
        if (r == -ENOENT && (flags & (CHASE_MKDIR | CHASE_MKFILE))) {
                /* Create what is missing, one component at a time. Each prefix is resolved below the root
                 * again, so a symlink in the image can only lead to another place inside it. */
                parent = openat(root_fd, ".", O_PATH | O_CLOEXEC | O_DIRECTORY);
                if (parent < 0)
                        return -errno;
                for (p = path;;) {
                        size_t l;
                        bool last;

                        p += strspn(p, "/");
                        l = strcspn(p, "/");
                        if (l == 0)
                                break;
                        last = p[l + strspn(p + l, "/")] == 0;
                        if (n > 0)
                                prefix[n++] = '/';
                        memcpy(prefix + n, p, l);
                        n += l;
                        prefix[n] = 0;

                        r = open_below(root_fd, prefix, &fd);
                        if (r == -ENOENT) {
                                char name[NAME_MAX + 1];

                                if (l > NAME_MAX)
                                        return -ENAMETOOLONG;
                                memcpy(name, p, l);
                                name[l] = 0;
                                if (last && (flags & CHASE_MKFILE)) {
                                        int tmp = openat(parent, name,
                                                O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                        if (tmp < 0)
                                                return -errno;
                                        safe_close(tmp);
                                } else if (mkdirat(parent, name, 0755) < 0)
                                        return -errno; /* EEXIST here: a dangling symlink */
                                r = open_below(root_fd, prefix, &fd);
                        }
                        if (r < 0)
                                return r;
                        if (last)
                                break;
                        safe_close(parent);
                        parent = TAKE_FD(fd);
                        p += l;
                }
        }
        if (r < 0)
                return r;
        r = check_type(fd, flags);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
