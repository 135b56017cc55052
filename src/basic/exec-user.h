/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Resolves a Docker user spec ("", "name", "uid", "name:group", "uid:gid") against the text of the
 * container's /etc/passwd and /etc/group, without NSS. Runs between clone() and execve(), so it never
 * allocates: results go into fixed-size fields. */

#define EXEC_USER_GROUPS_MAX 64
#define EXEC_USER_HOME_MAX 4096

typedef struct ExecUser {
        uid_t uid;
        gid_t gid;
        char home[EXEC_USER_HOME_MAX]; /* "/" when passwd names none */
        gid_t groups[EXEC_USER_GROUPS_MAX]; /* supplementary groups */
        size_t n_groups;
} ExecUser;

typedef enum ExecUserError {
        EXEC_USER_ERROR_NONE,
        EXEC_USER_ERROR_USER, /* a user name with no passwd entry */
        EXEC_USER_ERROR_GROUP, /* a group name with no group entry */
        EXEC_USER_ERROR_SPEC, /* malformed spec (empty part, uid out of range) */
} ExecUserError;

/* passwd and group may be NULL (file missing). Returns 0, or -ENOENT (user/group name not found), -EINVAL
 * (malformed spec), -E2BIG (more supplementary groups than we keep); reterr_what (may be NULL) says which. */
int exec_user_resolve(const char *spec, const char *passwd, const char *group, ExecUser *ret,
        ExecUserError *reterr_what);

/* Reads /etc/passwd and /etc/group below the current root (the container's, once inside it); a missing
 * file gives NULL, which exec_user_resolve() takes as empty. Both are freed on failure. */
int exec_user_read_databases(char **ret_passwd, char **ret_group);

/* Parses a decimal uid/gid: digits only, below 2^32-1. */
int exec_user_parse_id(const char *s, size_t n, unsigned *ret);
