/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "proc-util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "string-util.h"

int proc_cgroup_line_split(char *line, const char **ret_dir, const char **ret_path) {
        char *ctrl, *path;

        ctrl = strchr(line, ':');
        if (!ctrl || ctrl == line)
                return -EBADMSG;
        *ctrl++ = 0;
        path = strchr(ctrl, ':');
        if (!path)
                return -EBADMSG;
        *path++ = 0;
        if (path[0] != '/')
                return -EBADMSG;
        if (streq(line, "0") && *ctrl == 0)
                *ret_dir = NULL;
        else if (*ctrl == 0)
                return -EBADMSG;
        else
                /* "name=systemd" is mounted as "systemd", controllers under their own names */
                *ret_dir = startswith(ctrl, "name=") ?: ctrl;
        *ret_path = path;
        return 0;
}

bool cgroup_path_in_unit(const char *path, const char *unit) {
        size_t n = strlen(unit);

        for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/'))
                if (strncmp(p + 1, unit, n) == 0 && (p[1 + n] == 0 || p[1 + n] == '/'))
                        return true;
        return false;
}

int proc_status_nspid(const char *status, pid_t *ret) {
        const char *p = NULL, *last = NULL;
        char *end;
        long v;

        for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (startswith(l, "NSpid:")) {
                        p = l + 6;
                        break;
                }
        if (!p)
                return -ENODATA;
        for (;;) {
                p += strspn(p, " \t");
                if (*p == 0 || *p == '\n')
                        break;
                last = p;
                p += strcspn(p, " \t\n");
        }
        if (!last)
                return -EBADMSG;
        errno = 0;
        v = strtol(last, &end, 10);
        if (errno != 0 || end == last || (*end != 0 && !strchr(" \t\n", *end)) || v <= 0 || v > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t) v;
        return 0;
}
