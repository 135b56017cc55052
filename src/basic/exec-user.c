/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "exec-user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#define ETC_FILE_MAX (4u * 1024u * 1024u)

/* One line of a colon-separated database, as pointer/length pairs into the caller's text. */
#define FIELDS_MAX 7

typedef struct Field {
        const char *p;
        size_t n;
} Field;

static bool field_eq(const Field *f, const char *s, size_t n) {
        return f->n == n && memcmp(f->p, s, n) == 0;
}

/* Splits the line at *text into fields and advances *text past it. Returns the number of fields, or 0 at
 * the end of the text. Comment and blank lines yield 1 field that matches nothing useful. */
static size_t next_line(const char **text, Field fields[static FIELDS_MAX]) {
        const char *s = *text, *end;
        size_t n = 0;

        if (!s || !*s)
                return 0;
        end = strchrnul(s, '\n');
        *text = *end ? end + 1 : end;
        for (const char *f = s;;) {
                const char *colon = memchr(f, ':', (size_t) (end - f));
                const char *stop = colon ?: end;

                if (n < FIELDS_MAX)
                        fields[n++] = (Field){ f, (size_t) (stop - f) };
                if (!colon)
                        break;
                f = colon + 1;
        }
        for (size_t i = n; i < FIELDS_MAX; i++)
                fields[i] = (Field){ "", 0 };
        return n;
}

int exec_user_parse_id(const char *s, size_t n, unsigned *ret) {
        unsigned long long v = 0;

        if (n == 0 || n > 10)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        /* (uid_t) -1 means "unchanged" to set*id() */
        if (v >= 0xFFFFFFFFull)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static bool field_id(const Field *f, unsigned *ret) {
        return exec_user_parse_id(f->p, f->n, ret) >= 0;
}

/* Finds a passwd entry by name, or by uid when the spec is numeric. */
static bool passwd_find(const char *passwd, const char *name, size_t name_len, bool numeric, unsigned id,
        Field ret[static FIELDS_MAX]) {
        Field f[FIELDS_MAX];

        for (const char *t = passwd; next_line(&t, f) > 0;) {
                unsigned uid;

                if (f[0].n == 0 || f[0].p[0] == '#' || !field_id(&f[2], &uid))
                        continue;
                if (numeric ? uid == id : field_eq(&f[0], name, name_len)) {
                        memcpy(ret, f, sizeof(f));
                        return true;
                }
        }
        return false;
}

static bool group_find(const char *group, const char *name, size_t name_len, bool numeric, unsigned id,
        unsigned *ret_gid) {
        Field f[FIELDS_MAX];

        for (const char *t = group; next_line(&t, f) > 0;) {
                unsigned gid;

                if (f[0].n == 0 || f[0].p[0] == '#' || !field_id(&f[2], &gid))
                        continue;
                if (numeric ? gid == id : field_eq(&f[0], name, name_len)) {
                        *ret_gid = gid;
                        return true;
                }
        }
        return false;
}

/* Supplementary groups: every group whose member list names the user. */
static int group_memberships(const char *group, const Field *user, ExecUser *u) {
        Field f[FIELDS_MAX];

        for (const char *t = group; next_line(&t, f) > 0;) {
                unsigned gid;

                if (f[0].n == 0 || f[0].p[0] == '#' || !field_id(&f[2], &gid))
                        continue;
                for (const char *m = f[3].p, *end = f[3].p + f[3].n; m < end;) {
                        const char *comma = memchr(m, ',', (size_t) (end - m));
                        const char *stop = comma ?: end;
                        Field member = { m, (size_t) (stop - m) };
                        bool dup = false;

                        if (field_eq(&member, user->p, user->n)) {
                                for (size_t i = 0; i < u->n_groups; i++)
                                        dup = dup || u->groups[i] == gid;
                                if (!dup) {
                                        if (u->n_groups >= EXEC_USER_GROUPS_MAX)
                                                return -E2BIG;
                                        u->groups[u->n_groups++] = gid;
                                }
                                break;
                        }
                        m = stop + 1;
                }
        }
        return 0;
}

static int fail(ExecUserError what, int r, ExecUserError *reterr_what) {
        if (reterr_what)
                *reterr_what = what;
        return r;
}

int exec_user_resolve(const char *spec, const char *passwd, const char *group, ExecUser *ret,
        ExecUserError *reterr_what) {
        const char *colon, *user_name, *group_name = NULL;
        size_t user_len, group_len = 0;
        bool user_numeric, group_numeric = false, found;
        unsigned uid = 0, gid = 0;
        Field pw[FIELDS_MAX];
        ExecUser u = { .home = "/" };
        int r;

        spec = spec ?: "";
        colon = strchr(spec, ':');
        user_name = spec;
        user_len = colon ? (size_t) (colon - spec) : strlen(spec);
        if (colon) {
                group_name = colon + 1;
                group_len = strlen(group_name);
                if (group_len == 0 || user_len == 0)
                        return fail(EXEC_USER_ERROR_SPEC, -EINVAL, reterr_what);
        }
        if (user_len == 0) {
                /* "" is root, with root's home if passwd has one */
                user_name = "0";
                user_len = 1;
        }

        user_numeric = exec_user_parse_id(user_name, user_len, &uid) >= 0;
        if (!user_numeric && strspn(user_name, "0123456789") >= user_len)
                return fail(EXEC_USER_ERROR_SPEC, -EINVAL, reterr_what); /* all digits but out of range */
        found = passwd && passwd_find(passwd, user_name, user_len, user_numeric, uid, pw);
        if (!found && !user_numeric)
                return fail(EXEC_USER_ERROR_USER, -ENOENT, reterr_what);
        if (found) {
                if (!field_id(&pw[2], &uid) || !field_id(&pw[3], &gid))
                        return fail(EXEC_USER_ERROR_USER, -ENOENT, reterr_what);
                if (pw[5].n > 0 && pw[5].n < sizeof(u.home)) {
                        memcpy(u.home, pw[5].p, pw[5].n);
                        u.home[pw[5].n] = 0;
                }
        }
        u.uid = uid;
        u.gid = gid;

        if (group_name) {
                unsigned id = 0;

                group_numeric = exec_user_parse_id(group_name, group_len, &id) >= 0;
                if (!group_numeric && strspn(group_name, "0123456789") >= group_len)
                        return fail(EXEC_USER_ERROR_SPEC, -EINVAL, reterr_what);
                if (group && group_find(group, group_name, group_len, group_numeric, id, &gid))
                        u.gid = gid;
                else if (group_numeric)
                        u.gid = id;
                else
                        return fail(EXEC_USER_ERROR_GROUP, -ENOENT, reterr_what);
        } else if (found && group) {
                /* like runc: an explicit group replaces the memberships, otherwise /etc/group supplies them */
                r = group_memberships(group, &pw[0], &u);
                if (r < 0)
                        return fail(EXEC_USER_ERROR_GROUP, r, reterr_what);
        }

        if (reterr_what)
                *reterr_what = EXEC_USER_ERROR_NONE;
        memcpy(ret, &u, sizeof(u));
        return 0;
}

static int read_etc(const char *name, char **ret) {
        int r = read_full_file_at(AT_FDCWD, name, ETC_FILE_MAX, ret, NULL);

        if (r == -ENOENT)
                *ret = NULL;
        return r == -ENOENT ? 0 : r;
}

int exec_user_read_databases(char **ret_passwd, char **ret_group) {
        char *passwd = NULL, *group = NULL;
        int r;

        r = read_etc("/etc/passwd", &passwd);
        if (r < 0)
                return r;
        r = read_etc("/etc/group", &group);
        if (r < 0) {
                free(passwd);
                return r;
        }
        *ret_passwd = passwd;
        *ret_group = group;
        return 0;
}
