/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-user.h"
#include "fd-util.h"
#include "fileio.h"
#include "mount-util.h"
#include "tests.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                             "broken:x:notanumber:1::/:/bin/false\n"
                             "www-data:x:33:33:www-data:/www:/bin/false\n"
                             "nohome:x:1000:1000::\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false";
static const char group[] = "root:x:0:\n"
                            "daemon:x:1:www-data\n"
                            "adm:x:4:daemon,www-data\n"
                            "www-data:x:33:\n"
                            "staff:x:50:nobody,www-data,other\n"
                            "users:x:100:\n"
                            "nogroup:x:65534:";

static ExecUser resolve_ok(const char *spec) {
        ExecUserError what = EXEC_USER_ERROR_SPEC;
        ExecUser u;

        ASSERT_OK(exec_user_resolve(spec, passwd, group, &u, &what));
        ASSERT_EQ(what, EXEC_USER_ERROR_NONE);
        return u;
}

TEST(root) {
        ExecUser u = resolve_ok("");

        ASSERT_EQ(u.uid, 0);
        ASSERT_EQ(u.gid, 0);
        ASSERT_STREQ(u.home, "/root");
        ASSERT_EQ(u.n_groups, 0);

        /* no passwd at all: still root, home "/" */
        ASSERT_OK(exec_user_resolve("", NULL, NULL, &u, NULL));
        ASSERT_EQ(u.uid, 0);
        ASSERT_STREQ(u.home, "/");
}

TEST(names) {
        ExecUser u = resolve_ok("www-data");

        ASSERT_EQ(u.uid, 33);
        ASSERT_EQ(u.gid, 33);
        ASSERT_STREQ(u.home, "/www");
        /* memberships from /etc/group, in file order */
        ASSERT_EQ(u.n_groups, 3);
        ASSERT_EQ(u.groups[0], 1);
        ASSERT_EQ(u.groups[1], 4);
        ASSERT_EQ(u.groups[2], 50);

        u = resolve_ok("nobody");
        ASSERT_EQ(u.uid, 65534);
        ASSERT_EQ(u.n_groups, 1);

        /* empty home field: "/" */
        u = resolve_ok("nohome");
        ASSERT_EQ(u.uid, 1000);
        ASSERT_STREQ(u.home, "/");
}

TEST(numbers) {
        ExecUser u = resolve_ok("33");

        /* a uid in passwd picks up its gid, home and groups */
        ASSERT_EQ(u.uid, 33);
        ASSERT_EQ(u.gid, 33);
        ASSERT_STREQ(u.home, "/www");
        ASSERT_EQ(u.n_groups, 3);

        /* a uid nobody has: as is, gid 0, home "/" (Docker) */
        u = resolve_ok("4242");
        ASSERT_EQ(u.uid, 4242);
        ASSERT_EQ(u.gid, 0);
        ASSERT_STREQ(u.home, "/");
        ASSERT_EQ(u.n_groups, 0);

        u = resolve_ok("4242:4343");
        ASSERT_EQ(u.uid, 4242);
        ASSERT_EQ(u.gid, 4343);
}

TEST(groups) {
        ExecUser u = resolve_ok("www-data:staff");

        ASSERT_EQ(u.uid, 33);
        ASSERT_EQ(u.gid, 50);
        /* an explicit group replaces the memberships */
        ASSERT_EQ(u.n_groups, 0);

        u = resolve_ok("daemon:100");
        ASSERT_EQ(u.uid, 1);
        ASSERT_EQ(u.gid, 100);

        u = resolve_ok("0:nogroup");
        ASSERT_EQ(u.uid, 0);
        ASSERT_EQ(u.gid, 65534);
}

TEST(errors) {
        ExecUserError what;
        ExecUser u;

        ASSERT_ERROR(exec_user_resolve("nosuch", passwd, group, &u, &what), ENOENT);
        ASSERT_EQ(what, EXEC_USER_ERROR_USER);
        ASSERT_ERROR(exec_user_resolve("nosuch", NULL, NULL, &u, &what), ENOENT);
        ASSERT_EQ(what, EXEC_USER_ERROR_USER);
        /* a name is not matched as a prefix, nor a prefix as a name */
        ASSERT_ERROR(exec_user_resolve("www", passwd, group, &u, &what), ENOENT);
        ASSERT_ERROR(exec_user_resolve("www-data-x", passwd, group, &u, &what), ENOENT);
        /* an entry with a broken uid is never matched */
        ASSERT_ERROR(exec_user_resolve("broken", passwd, group, &u, &what), ENOENT);

        ASSERT_ERROR(exec_user_resolve("www-data:nosuch", passwd, group, &u, &what), ENOENT);
        ASSERT_EQ(what, EXEC_USER_ERROR_GROUP);

        ASSERT_ERROR(exec_user_resolve(":", passwd, group, &u, &what), EINVAL);
        ASSERT_EQ(what, EXEC_USER_ERROR_SPEC);
        ASSERT_ERROR(exec_user_resolve("root:", passwd, group, &u, &what), EINVAL);
        ASSERT_ERROR(exec_user_resolve(":root", passwd, group, &u, &what), EINVAL);
        ASSERT_ERROR(exec_user_resolve("4294967295", passwd, group, &u, &what), EINVAL);
        ASSERT_ERROR(exec_user_resolve("99999999999999999999", passwd, group, &u, &what), EINVAL);
}

TEST(parse_id) {
        unsigned v;

        ASSERT_OK(exec_user_parse_id("0", 1, &v));
        ASSERT_EQ(v, 0);
        ASSERT_OK(exec_user_parse_id("4294967294", 10, &v));
        ASSERT_EQ(v, 4294967294u);
        ASSERT_ERROR(exec_user_parse_id("", 0, &v), EINVAL);
        ASSERT_ERROR(exec_user_parse_id("-1", 2, &v), EINVAL);
        ASSERT_ERROR(exec_user_parse_id("1x", 2, &v), EINVAL);
        ASSERT_ERROR(exec_user_parse_id("4294967295", 10, &v), EINVAL);
}

TEST(too_many_groups) {
        char *g = ASSERT_NOT_NULL(malloc(EXEC_USER_GROUPS_MAX * 32 + 64));
        size_t n = 0;
        ExecUserError what;
        ExecUser u;

        for (int i = 0; i <= EXEC_USER_GROUPS_MAX; i++)
                n += (size_t) sprintf(g + n, "g%d:x:%d:daemon\n", i, 1000 + i);
        ASSERT_ERROR(exec_user_resolve("daemon", passwd, g, &u, &what), E2BIG);
        free(g);
}

/* A hostile image: symlinks that point out of the root, absolute or relative. */
static int make_root(char *tmpl) {
        int fd;

        ASSERT_NOT_NULL(mkdtemp(tmpl));
        fd = ASSERT_OK(open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_OK(mkdirat(fd, "etc", 0755));
        ASSERT_OK(mkdirat(fd, "real", 0755));
        ASSERT_OK(symlinkat("/etc", fd, "abs")); /* absolute: must mean ROOT/etc */
        ASSERT_OK(symlinkat("../../../../..", fd, "up")); /* must stop at ROOT */
        ASSERT_OK(symlinkat("/real", fd, "inside"));
        ASSERT_OK(symlinkat("/nonexistent/x", fd, "dangling"));
        return fd;
}

static void check_inside(int root_fd, int fd, const char *expect) {
        struct stat a, b;

        ASSERT_OK(fstat(fd, &a));
        ASSERT_OK(fstatat(root_fd, expect, &b, 0));
        ASSERT_EQ(a.st_dev, b.st_dev);
        ASSERT_EQ(a.st_ino, b.st_ino);
}

TEST(chase) {
        char tmpl[] = "/tmp/test-runtime-chase.XXXXXX";
        _cleanup_close_ int root_fd = make_root(tmpl);
        int fd;

        ASSERT_OK(chase_in_root(root_fd, "/abs", CHASE_DIRECTORY, &fd));
        check_inside(root_fd, fd, "etc");
        safe_close(fd);
        ASSERT_OK(chase_in_root(root_fd, "/up/etc", CHASE_DIRECTORY, &fd));
        check_inside(root_fd, fd, "etc");
        safe_close(fd);

        /* creating below a symlink lands inside the root */
        ASSERT_OK(chase_in_root(root_fd, "/abs/new/dir", CHASE_MKDIR, &fd));
        check_inside(root_fd, fd, "etc/new/dir");
        safe_close(fd);
        ASSERT_OK(chase_in_root(root_fd, "/up/up/etc/hosts", CHASE_MKFILE, &fd));
        check_inside(root_fd, fd, "etc/hosts");
        safe_close(fd);
        ASSERT_OK(chase_in_root(root_fd, "/inside/x", CHASE_MKDIR, &fd));
        check_inside(root_fd, fd, "real/x");
        safe_close(fd);

        /* type checks and a dangling symlink (never followed out) */
        ASSERT_ERROR(chase_in_root(root_fd, "/etc/hosts", CHASE_MKDIR, &fd), ENOTDIR);
        ASSERT_ERROR(chase_in_root(root_fd, "/etc", CHASE_MKFILE, &fd), EISDIR);
        ASSERT_ERROR(chase_in_root(root_fd, "/dangling", CHASE_MKFILE, &fd), EEXIST);
        ASSERT_ERROR(chase_in_root(root_fd, "/missing", 0, &fd), ENOENT);
        ASSERT_TRUE(access("/nonexistent/x", F_OK) < 0);

        ASSERT_OK(rm_rf_at(AT_FDCWD, tmpl));
}

/* Without openat2 symlinks are refused rather than resolved. Runs in a child: the shim caches its choice. */
TEST(chase_fallback) {
        char tmpl[] = "/tmp/test-runtime-chase.XXXXXX";
        int status;
        pid_t pid;

        pid = ASSERT_OK(fork());
        if (pid == 0) {
                _cleanup_close_ int root_fd = -EBADF;
                int fd;

                setenv("BERTH_FORCE_ENOSYS_OPENAT2", "1", 1);
                root_fd = make_root(tmpl);
                ASSERT_ERROR(chase_in_root(root_fd, "/abs", CHASE_DIRECTORY, &fd), ELOOP);
                ASSERT_ERROR(chase_in_root(root_fd, "/up/etc/x", CHASE_MKDIR, &fd), ELOOP);
                ASSERT_OK(chase_in_root(root_fd, "/etc/a/b", CHASE_MKDIR, &fd));
                check_inside(root_fd, fd, "etc/a/b");
                safe_close(fd);
                ASSERT_OK(chase_in_root(root_fd, "etc/f", CHASE_MKFILE, &fd));
                check_inside(root_fd, fd, "etc/f");
                safe_close(fd);
                ASSERT_OK(rm_rf_at(AT_FDCWD, tmpl));
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
        RUN(chase_fallback);
        RUN(root);
        RUN(names);
        RUN(numbers);
        RUN(groups);
        RUN(errors);
        RUN(parse_id);
        RUN(too_many_groups);
        RUN(chase);
        return 0;
}
