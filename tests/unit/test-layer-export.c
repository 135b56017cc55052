/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* layer_export() against layer_extract(): a layer directory in overlay format (whiteouts, an opaque dir,
 * hardlinks, symlinks, a FIFO, xattrs, long names, odd owners and sub-second mtimes) is exported, extracted
 * again and compared inode by inode; the export is deterministic and a fixed point (export ∘ extract ∘
 * export gives the same bytes), and the gzip variant has the same diff_id. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "layer-export.h"
#include "layer.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

static char base[] = "/tmp/test-layer-export.XXXXXX";

static int dir_at(const char *sub) {
        _cleanup_free_ char *p = strjoin(base, "/", sub);
        (void) mkdir(p, 0755);
        return ASSERT_OK(open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

static void write_at(int dfd, const char *name, const char *content, mode_t mode, uid_t uid, gid_t gid,
        time_t sec, long nsec) {
        _cleanup_close_ int fd =
                ASSERT_OK(openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };

        ASSERT_EQ(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        ASSERT_OK(fchown(fd, uid, gid));
        ASSERT_OK(fchmod(fd, mode));
        ASSERT_OK(futimens(fd, ts));
}

static void set_times(int dfd, const char *name, time_t sec, long nsec) {
        struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
        ASSERT_OK(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW));
}

/* The source layer: everything layer_extract() can produce. */
static void build_source(int root) {
        char longname[201];
        _cleanup_close_ int d = -EBADF;

        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;

        ASSERT_OK(mkdirat(root, "etc", 0755));
        write_at(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0, 1700000000, 0);
        write_at(root, "etc/shadow", "root:*:1::::::\n", 0640, 0, 42, 1700000001, 123456789);
        ASSERT_OK(linkat(root, "etc/passwd", root, "etc/passwd-hardlink", 0));
        ASSERT_OK(symlinkat("passwd", root, "etc/link"));
        set_times(root, "etc/link", 1700000002, 0);
        ASSERT_OK(fchownat(root, "etc/link", 7, 8, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(mkdirat(root, "bin", 0755));
        write_at(root, "bin/tool", "#!/bin/sh\necho tool\n", 04755, 0, 0, 1700000003, 0);
        {
                _cleanup_close_ int f = ASSERT_OK(openat(root, "bin/tool", O_RDONLY | O_CLOEXEC));
                ASSERT_OK(fsetxattr(f, "user.berth.test", "value\0with nul", 14, 0));
                ASSERT_OK(fchmod(f, 04755)); /* chown and xattrs may clear setuid */
        }
        write_at(root, "bin/big-ids", "x", 0600, 3000000, 4000000, 1700000004, 1);
        ASSERT_OK(mkdirat(root, "data", 0750));
        write_at(root, "data/a", "a", 0644, 0, 0, 1700000005, 0);
        write_at(root, "data/b", "b", 0644, 0, 0, 1700000005, 0);
        write_at(root, "data/B", "B", 0644, 0, 0, 1700000005, 0);
        /* a whiteout and an opaque dir */
        ASSERT_OK(mknodat(root, "data/gone", S_IFCHR | 0000, makedev(0, 0)));
        ASSERT_OK(mkdirat(root, "data/opq", 0700));
        ASSERT_OK(fchownat(root, "data/opq", 5, 6, 0));
        d = ASSERT_OK(openat(root, "data/opq", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_OK(fsetxattr(d, "trusted.overlay.opaque", "y", 1, 0));
        ASSERT_OK(fsetxattr(d, "user.dir", "d", 1, 0));
        write_at(d, "kept", "kept", 0644, 0, 0, 1700000006, 0);
        d = safe_close(d);
        ASSERT_OK(mkfifoat(root, "data/fifo", 0620));
        write_at(root, longname, "long", 0644, 0, 0, 1700000007, 0);
        ASSERT_OK(mkdirat(root, "empty", 01777));
        ASSERT_OK(fchmodat(root, "empty", 01777, 0));
        set_times(root, "data/opq", 1700000008, 5);
        set_times(root, "data", 1700000009, 0);
        set_times(root, "etc", 1700000010, 0);
        set_times(root, "bin", 1700000011, 0);
        set_times(root, "empty", 1700000012, 0);
        ASSERT_OK(mknodat(root, "rootgone", S_IFCHR | 0000, makedev(0, 0)));
        /* an opaque layer root */
        ASSERT_OK(fsetxattr(root, "trusted.overlay.opaque", "y", 1, 0));
}

static int export_to_memfd(int dir_fd, LayerExportFlags flags, LayerExportResult *res) {
        _cleanup_free_ char *msg = NULL;
        int fd = ASSERT_OK(memfd_create("layer", MFD_CLOEXEC));
        int r = layer_export_dir(dir_fd, fd, flags, res, &msg);

        if (r < 0)
                TEST_FAIL("layer_export_dir: %s", msg ?: strerror(-r));
        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        return fd;
}

static void extract_from(int fd, int dir_fd, LayerExtractResult *res) {
        _cleanup_free_ char *msg = NULL;
        int r = layer_extract(fd, dir_fd, LAYER_EXTRACT_ALLOW_DEVICES, res, &msg);

        if (r < 0)
                TEST_FAIL("layer_extract: %s", msg ?: strerror(-r));
}

static void compare_xattrs(int a, int b, const char *path) {
        char la[4096], lb[4096], va[256], vb[256];
        ssize_t na = flistxattr(a, la, sizeof(la)), nb = flistxattr(b, lb, sizeof(lb));

        ASSERT_OK(na);
        ASSERT_OK(nb);
        if (na != nb)
                TEST_FAIL("'%s': xattr lists differ", path);
        for (const char *n = la; n < la + na; n += strlen(n) + 1) {
                ssize_t sa = fgetxattr(a, n, va, sizeof(va)), sb = fgetxattr(b, n, vb, sizeof(vb));
                if (sa != sb || sa < 0 || memcmp(va, vb, (size_t) sa) != 0)
                        TEST_FAIL("'%s': xattr '%s' differs", path, n);
        }
}

/* Two trees must match: names, types, modes, owners, mtimes, contents, link targets, xattrs, link counts. */
static void compare_trees(int a, int b, const char *path) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *da = NULL, *db = NULL;
        struct dirent *de;
        size_t na = 0, nb = 0;

        ASSERT_OK(opendir_at(a, ".", &da));
        ASSERT_OK(opendir_at(b, ".", &db));
        while ((de = readdir(da)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        ASSERT_OK(strv_extend(&names, de->d_name));
                        na++;
                }
        while ((de = readdir(db)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        nb++;
        if (na != nb)
                TEST_FAIL("'%s': %zu entries, after the round trip %zu", path, na, nb);

        STRV_FOREACH(n, names) {
                _cleanup_free_ char *p = strjoin(path, "/", *n);
                struct stat sa, sb;

                ASSERT_OK(fstatat(a, *n, &sa, AT_SYMLINK_NOFOLLOW));
                if (fstatat(b, *n, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                        TEST_FAIL("'%s' is missing after the round trip", p);
                if (sa.st_mode != sb.st_mode || sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid)
                        TEST_FAIL("'%s': mode/owner %o %u:%u became %o %u:%u", p, sa.st_mode, sa.st_uid,
                                sa.st_gid, sb.st_mode, sb.st_uid, sb.st_gid);
                if (S_ISCHR(sa.st_mode) && sa.st_rdev == 0)
                        continue; /* whiteouts are created fresh, with our own times */
                if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
                        TEST_FAIL("'%s': mtime %lld.%09ld became %lld.%09ld", p,
                                (long long) sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec,
                                (long long) sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
                if (!S_ISDIR(sa.st_mode) && sa.st_nlink != sb.st_nlink)
                        TEST_FAIL("'%s': %lu links became %lu", p, (unsigned long) sa.st_nlink,
                                (unsigned long) sb.st_nlink);
                if (S_ISREG(sa.st_mode)) {
                        _cleanup_free_ char *ca = NULL, *cb = NULL;
                        _cleanup_close_ int fa = ASSERT_OK(openat(a, *n, O_RDONLY | O_CLOEXEC));
                        _cleanup_close_ int fb = ASSERT_OK(openat(b, *n, O_RDONLY | O_CLOEXEC));
                        size_t za, zb;

                        ASSERT_OK(read_full_file_at(a, *n, 1 << 20, &ca, &za));
                        ASSERT_OK(read_full_file_at(b, *n, 1 << 20, &cb, &zb));
                        if (za != zb || memcmp(ca, cb, za) != 0)
                                TEST_FAIL("'%s': content differs", p);
                        compare_xattrs(fa, fb, p);
                } else if (S_ISLNK(sa.st_mode)) {
                        char ta[256] = "", tb[256] = "";
                        ASSERT_OK(readlinkat(a, *n, ta, sizeof(ta) - 1));
                        ASSERT_OK(readlinkat(b, *n, tb, sizeof(tb) - 1));
                        ASSERT_STREQ(ta, tb);
                } else if (S_ISDIR(sa.st_mode)) {
                        _cleanup_close_ int fa =
                                ASSERT_OK(openat(a, *n, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                        _cleanup_close_ int fb =
                                ASSERT_OK(openat(b, *n, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                        compare_xattrs(fa, fb, p);
                        compare_trees(fa, fb, p);
                }
        }
}

/* The entry names of a tar stream, in order. */
static char **tar_names(int fd) {
        struct archive *a = ASSERT_NOT_NULL(archive_read_new());
        struct archive_entry *e;
        char **names = NULL;

        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        ASSERT_EQ(archive_read_support_format_tar(a), ARCHIVE_OK);
        ASSERT_EQ(archive_read_support_filter_gzip(a), ARCHIVE_OK);
        ASSERT_EQ(archive_read_open_fd(a, fd, 16384), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *x;
                ASSERT_OK(strv_extend(&names, archive_entry_pathname(e)));
                archive_entry_xattr_reset(e);
                while (archive_entry_xattr_next(e, &x, &(const void *){ NULL }, &(size_t){ 0 }) ==
                        ARCHIVE_OK)
                        if (startswith(x, "trusted."))
                                TEST_FAIL("'%s' carries xattr '%s'", archive_entry_pathname(e), x);
        }
        archive_read_free(a);
        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        return names;
}

static int index_of(char **l, const char *s) {
        for (int i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return i;
        TEST_FAIL("'%s' is not in the tar", s);
}

int main(void) {
        _cleanup_close_ int src = -EBADF, copy = -EBADF, copy2 = -EBADF, t1 = -EBADF, t2 = -EBADF,
                            t3 = -EBADF, tgz = -EBADF;
        _cleanup_strv_free_ char **names = NULL;
        LayerExportResult r1, r2, r3, rgz;
        LayerExtractResult x1, x2;

        if (geteuid() != 0)
                TEST_SKIP("test-layer-export needs root (mknod, chown, trusted.* xattrs)");
        ASSERT_NOT_NULL(mkdtemp(base));

        src = dir_at("src");
        build_source(src);

        t1 = export_to_memfd(src, 0, &r1);
        ASSERT_STREQ(r1.diff_id, r1.digest);
        ASSERT_EQ(r1.size, r1.written);
        ASSERT_EQ(r1.size % 512, 0);

        /* the same directory gives the same bytes */
        t2 = export_to_memfd(src, 0, &r2);
        ASSERT_STREQ(r1.diff_id, r2.diff_id);

        /* sorted, directories before their contents, whiteouts in tar form */
        names = tar_names(t1);
        ASSERT_TRUE(index_of(names, "bin/") < index_of(names, "bin/big-ids"));
        ASSERT_TRUE(index_of(names, "bin/big-ids") < index_of(names, "bin/tool"));
        ASSERT_TRUE(index_of(names, "data/B") < index_of(names, "data/a"));
        ASSERT_TRUE(index_of(names, "data/opq/") < index_of(names, "data/opq/.wh..wh..opq"));
        ASSERT_TRUE(index_of(names, "data/opq/.wh..wh..opq") < index_of(names, "data/opq/kept"));
        ASSERT_TRUE(index_of(names, "data/.wh.gone") >= 0);
        ASSERT_EQ(index_of(names, ".wh..wh..opq"), 0);
        ASSERT_TRUE(index_of(names, "etc/passwd") < index_of(names, "etc/passwd-hardlink"));

        /* extract and compare */
        copy = dir_at("copy");
        extract_from(t1, copy, &x1);
        ASSERT_STREQ(x1.diff_id, r1.diff_id);
        compare_trees(src, copy, "");
        {
                char flag[2] = "";
                ASSERT_EQ(fgetxattr(copy, "trusted.overlay.opaque", flag, sizeof(flag)), 1);
                ASSERT_EQ(flag[0], 'y');
        }

        /* a fixed point */
        t3 = export_to_memfd(copy, 0, &r3);
        ASSERT_STREQ(r3.diff_id, r1.diff_id);

        /* gzip: the same tar inside */
        tgz = export_to_memfd(src, LAYER_EXPORT_GZIP, &rgz);
        ASSERT_STREQ(rgz.diff_id, r1.diff_id);
        ASSERT_FALSE(streq(rgz.digest, rgz.diff_id));
        ASSERT_TRUE(rgz.written < rgz.size);
        copy2 = dir_at("copy2");
        extract_from(tgz, copy2, &x2);
        ASSERT_STREQ(x2.diff_id, r1.diff_id);
        ASSERT_STREQ(x2.compressed_digest, rgz.digest);
        compare_trees(src, copy2, "");
        {
                _cleanup_close_ int again = -EBADF;
                LayerExportResult r;
                again = export_to_memfd(src, LAYER_EXPORT_GZIP, &r);
                ASSERT_STREQ(r.digest, rgz.digest);
        }

        ASSERT_OK(rm_rf_at(AT_FDCWD, base));
        printf("test-layer-export: OK\n");
        return 0;
}
