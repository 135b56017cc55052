/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "exec-path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "string-util.h"

static int exec_check(const char *p) {
        struct stat st;

        if (stat(p, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode) || access(p, X_OK) < 0)
                return -EACCES;
        return 0;
}

int exec_path_resolve(const char *file, char *const envp[], char buf[static PATH_MAX]) {
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int r, denied = 0;

        if (strchr(file, '/')) {
                if (strlen(file) >= PATH_MAX)
                        return -ENAMETOOLONG;
                r = exec_check(file);
                if (r < 0)
                        return r;
                strcpy(buf, file);
                return 0;
        }
        if (isempty(file))
                return -ENOENT;
        for (char *const *e = envp; e && *e; e++)
                if (startswith(*e, "PATH="))
                        path = *e + 5;
        for (const char *p = path;;) {
                size_t l = strcspn(p, ":");
                int n = l == 0 ? snprintf(buf, PATH_MAX, "./%s", file)
                               : snprintf(buf, PATH_MAX, "%.*s/%s", (int) l, p, file);

                if (n > 0 && n < PATH_MAX) {
                        r = exec_check(buf);
                        if (r >= 0)
                                return 0;
                        if (r == -EACCES || r == -EISDIR)
                                denied = r;
                }
                if (p[l] == 0)
                        break;
                p += l + 1;
        }
        return denied ?: -ENOENT;
}

int exec_path_exit_code(int error) {
        if (error < 0)
                error = -error;
        return error == ENOENT || error == ENOTDIR ? 127 : 126;
}
