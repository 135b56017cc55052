/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layer extraction against tar files built here with libarchive's writer, many of them hostile. Every case
 * runs in a fresh sandbox directory holding the layer dir next to a victim file and an "outside" directory;
 * after each extraction the sandbox (minus the layer) must be unchanged down to inode numbers and ctimes.
 * The whole suite runs twice, in one child process each: with openat2() and with
 * $BERTH_FORCE_ENOSYS_OPENAT2=1 (the no-follow walk). */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "layer.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-shims.h"
#include "tests.h"

/* The tables of tar entries below are laid out by hand, one entry per line, which clang-format would pack
 * into unreadable runs. */
/* clang-format off */

#define CANARY "berth-test-canary"

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

static void buf_done(Buf *b) {
        free(b->data);
        *b = (Buf) {};
}

typedef struct TarEntry {
        const char *name;
        unsigned type; /* AE_IF*, 0 = regular file */
        unsigned mode; /* permission bits, 0 = 0644 (0755 for directories) */
        const char *data;
        size_t size; /* 0 = strlen(data) */
        const char *symlink;
        const char *hardlink;
        int64_t uid, gid;
        int64_t mtime; /* 0 = 1700000000 */
        long mtime_nsec;
        unsigned rdev_major, rdev_minor;
        const char *xattr_name[4];
        const char *xattr_value[4];
        size_t xattr_size[4]; /* 0 = strlen(value) */
} TarEntry;

/* The sandbox being extracted into, for "@S@" in symlink targets. */
static const char *current_sandbox = NULL;

static la_ssize_t buf_write(_unused_ struct archive *a, void *userdata, const void *data, size_t size) {
        Buf *b = userdata;

        b->data = realloc(b->data, b->size + size);
        ASSERT_NOT_NULL(b->data);
        memcpy(b->data + b->size, data, size);
        b->size += size;
        return (la_ssize_t) size;
}

static void tar_build_impl(Buf *out, const TarEntry *entries, size_t n) {
        struct archive *a = ASSERT_NOT_NULL(archive_write_new());

        *out = (Buf) {};
        ASSERT_EQ(archive_write_set_format_pax(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_add_filter_none(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);

        for (size_t i = 0; i < n; i++) {
                const TarEntry *t = entries + i;
                struct archive_entry *e = ASSERT_NOT_NULL(archive_entry_new());
                unsigned type = t->hardlink ? AE_IFREG : t->type ?: AE_IFREG;
                size_t size = t->data ? (t->size ?: strlen(t->data)) : 0;

                archive_entry_set_pathname(e, t->name);
                archive_entry_set_filetype(e, type);
                archive_entry_set_perm(e, t->mode ?: type == AE_IFDIR ? 0755 : 0644);
                archive_entry_set_uid(e, t->uid);
                archive_entry_set_gid(e, t->gid);
                archive_entry_set_mtime(e, t->mtime ?: 1700000000, t->mtime_nsec);
                if (t->symlink) {
                        const char *rest = startswith(t->symlink, "@S@");
                        _cleanup_free_ char *target = NULL;

                        if (rest) {
                                ASSERT_NOT_NULL(current_sandbox);
                                target = ASSERT_NOT_NULL(strjoin(current_sandbox, rest));
                        }
                        archive_entry_set_symlink(e, target ?: t->symlink);
                }
                if (t->hardlink)
                        archive_entry_set_hardlink(e, t->hardlink);
                if (type == AE_IFCHR || type == AE_IFBLK) {
                        archive_entry_set_rdevmajor(e, t->rdev_major);
                        archive_entry_set_rdevminor(e, t->rdev_minor);
                }
                for (size_t j = 0; j < ELEMENTSOF(t->xattr_name) && t->xattr_name[j]; j++)
                        archive_entry_xattr_add_entry(e, t->xattr_name[j], t->xattr_value[j],
                                t->xattr_size[j] ?: strlen(t->xattr_value[j]));
                archive_entry_set_size(e, type == AE_IFREG && !t->hardlink ? (la_int64_t) size : 0);

                ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
                if (size > 0 && !t->hardlink)
                        ASSERT_EQ(archive_write_data(a, t->data, size), (la_ssize_t) size);
                archive_entry_free(e);
        }
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}
#define TAR_BUILD(out, ...)                                                                                 \
        tar_build_impl(out, (const TarEntry[]) { __VA_ARGS__ },                                             \
                ELEMENTSOF(((const TarEntry[]) { __VA_ARGS__ })))

typedef enum Compression {
        COMPRESSION_NONE,
        COMPRESSION_GZIP,
        COMPRESSION_GZIP_PADDED, /* zero padding after the gzip member, as libarchive writes by default */
        COMPRESSION_ZSTD,
        COMPRESSION_XZ,
        COMPRESSION_BZIP2,
        _COMPRESSION_MAX,
} Compression;

static const char *const compression_names[] = {
        "none", "gzip", "gzip+padding", "zstd", "xz", "bzip2",
};

static void compress_buf(const Buf *in, Compression c, Buf *out) {
        struct archive *a;
        struct archive_entry *e;

        *out = (Buf) {};
        if (c == COMPRESSION_NONE) {
                out->data = ASSERT_NOT_NULL(malloc(in->size));
                memcpy(out->data, in->data, in->size);
                out->size = in->size;
                return;
        }

        a = ASSERT_NOT_NULL(archive_write_new());
        ASSERT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
        switch (c) {
        case COMPRESSION_GZIP:
        case COMPRESSION_GZIP_PADDED:
                ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
                break;
        case COMPRESSION_ZSTD:
                ASSERT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
                break;
        case COMPRESSION_XZ:
                ASSERT_EQ(archive_write_add_filter_xz(a), ARCHIVE_OK);
                break;
        case COMPRESSION_BZIP2:
                ASSERT_EQ(archive_write_add_filter_bzip2(a), ARCHIVE_OK);
                break;
        default:
                abort();
        }
        if (c != COMPRESSION_GZIP_PADDED)
                ASSERT_EQ(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
        ASSERT_EQ(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
        e = ASSERT_NOT_NULL(archive_entry_new());
        archive_entry_set_pathname(e, "data");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t) in->size);
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        ASSERT_EQ(archive_write_data(a, in->data, in->size), (la_ssize_t) in->size);
        archive_entry_free(e);
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

/* ---- sandbox ----------------------------------------------------------------------------------------- */

typedef struct Sandbox {
        char path[64];
        char outside[96]; /* absolute path of a directory next to the layer */
        char victim[96];  /* absolute path of a file next to the layer */
        int fd;
        int layer_fd;
        char *snapshot;
        struct stat layer_st;
        struct stat passwd_st;
} Sandbox;

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void list_tree(int dfd, const char *prefix, bool top, char ***lines) {
        DIR *d;
        struct dirent *de;

        d = ASSERT_NOT_NULL(fdopendir(ASSERT_OK(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC))));
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *line = NULL, *extra = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (top && streq(de->d_name, "layer"))
                        continue;
                path = ASSERT_NOT_NULL(asprintf_safe("%s%s", prefix, de->d_name));
                ASSERT_OK(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW));

                if (S_ISREG(st.st_mode)) {
                        _cleanup_free_ char *content = NULL;
                        char digest[DIGEST_STRING_MAX];
                        size_t size;

                        ASSERT_OK(read_full_file_at(dirfd(d), de->d_name, 1 << 20, &content, &size));
                        sha256_digest_of(content, size, digest);
                        extra = strdup(digest);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX + 1] = {};
                        ASSERT_OK(readlinkat(dirfd(d), de->d_name, target, PATH_MAX));
                        extra = strdup(target);
                } else
                        extra = strdup("-");
                ASSERT_NOT_NULL(extra);

                line = ASSERT_NOT_NULL(asprintf_safe("%s mode=%o owner=%u:%u size=%lld nlink=%lu ino=%lu "
                                                     "mtime=%lld.%09ld ctime=%lld.%09ld %s",
                        path, (unsigned) st.st_mode, (unsigned) st.st_uid, (unsigned) st.st_gid,
                        (long long) st.st_size, (unsigned long) st.st_nlink, (unsigned long) st.st_ino,
                        (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long) st.st_ctim.tv_sec,
                        st.st_ctim.tv_nsec, extra));
                ASSERT_OK(strv_consume(lines, TAKE_PTR(line)));

                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int cfd = -EBADF;
                        _cleanup_free_ char *p = ASSERT_NOT_NULL(asprintf_safe("%s/", path));

                        cfd = ASSERT_OK(openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
                        list_tree(cfd, p, false, lines);
                }
        }
        closedir(d);
}

static char *snapshot(int fd) {
        _cleanup_strv_free_ char **lines = NULL;
        char *s = ASSERT_NOT_NULL(strdup(""));

        list_tree(fd, "", true, &lines);
        if (lines)
                qsort(lines, strv_length(lines), sizeof(char *), cmp_str);
        STRV_FOREACH(l, lines) {
                char *n = ASSERT_NOT_NULL(strjoin(s, *l, "\n"));
                free(s);
                s = n;
        }
        return s;
}

static void write_file(int dfd, const char *name, const char *content) {
        _cleanup_close_ int fd = ASSERT_OK(openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        ASSERT_EQ(write(fd, content, strlen(content)), (ssize_t) strlen(content));
}

static void sandbox_init(Sandbox *s) {
        _cleanup_close_ int ofd = -EBADF;

        *s = (Sandbox) { .fd = -EBADF, .layer_fd = -EBADF };
        strcpy(s->path, "/tmp/test-layer-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(s->path));
        current_sandbox = s->path;
        s->fd = ASSERT_OK(open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        snprintf(s->outside, sizeof(s->outside), "%s/outside", s->path);
        snprintf(s->victim, sizeof(s->victim), "%s/victim", s->path);

        write_file(s->fd, "victim", "precious\n");
        ASSERT_OK(mkdirat(s->fd, "outside", 0755));
        ofd = ASSERT_OK(openat(s->fd, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        write_file(ofd, "file", "outside file\n");
        ASSERT_OK(symlinkat("../victim", ofd, "victim-link"));
        ASSERT_OK(mkdirat(s->fd, "layer", 0755));
        s->layer_fd = ASSERT_OK(openat(s->fd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_OK(fstat(s->layer_fd, &s->layer_st));
        ASSERT_OK(stat("/etc/passwd", &s->passwd_st));
        s->snapshot = snapshot(s->fd);
}

/* Nothing outside the layer changed: the sandbox listing, the layer dir itself, /etc/passwd, no canaries. */
static void sandbox_done(Sandbox *s) {
        _cleanup_free_ char *now = snapshot(s->fd);
        struct stat st;

        if (!streq(now, s->snapshot))
                TEST_FAIL("sandbox changed outside the layer:\n--- before\n%s--- after\n%s", s->snapshot,
                        now);
        ASSERT_OK(fstat(s->layer_fd, &st));
        ASSERT_EQ(st.st_mode, s->layer_st.st_mode);
        ASSERT_EQ(st.st_uid, s->layer_st.st_uid);
        ASSERT_EQ(st.st_gid, s->layer_st.st_gid);
        ASSERT_OK(stat("/etc/passwd", &st));
        ASSERT_EQ(st.st_nlink, s->passwd_st.st_nlink);
        ASSERT_EQ(st.st_ino, s->passwd_st.st_ino);
        ASSERT_EQ(st.st_ctim.tv_sec, s->passwd_st.st_ctim.tv_sec);
        ASSERT_EQ(st.st_ctim.tv_nsec, s->passwd_st.st_ctim.tv_nsec);
        ASSERT_TRUE(access("/tmp/" CANARY, F_OK) < 0 && errno == ENOENT);
        ASSERT_TRUE(access("/" CANARY, F_OK) < 0 && errno == ENOENT);

        s->layer_fd = safe_close(s->layer_fd);
        ASSERT_OK(rm_rf_at(AT_FDCWD, s->path));
        s->fd = safe_close(s->fd);
        free(s->snapshot);
        current_sandbox = NULL;
}

static int extract_buf(Sandbox *s, const Buf *b, LayerExtractFlags flags, LayerExtractResult *ret,
                char **ret_msg) {
        _cleanup_close_ int fd = ASSERT_OK(memfd_create("layer", MFD_CLOEXEC));

        ASSERT_EQ(write(fd, b->data, b->size), (ssize_t) b->size);
        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        return layer_extract(fd, s->layer_fd, flags, ret, ret_msg);
}

/* Builds the tar, extracts it into a fresh sandbox, expects err (0 = success) and, on failure, a message
 * containing msg; then checks the sandbox. Returns nothing: the layer is gone afterwards. */
static void expect_impl(int err, const char *msg, LayerExtractFlags flags, const TarEntry *entries,
                size_t n) {
        Sandbox s;
        Buf b;
        char *m = NULL;
        int r;

        sandbox_init(&s);
        tar_build_impl(&b, entries, n);
        r = extract_buf(&s, &b, flags, NULL, &m);
        if (r != -err)
                TEST_FAIL("extracting '%s'...: got %d (%s), expected %d", entries[n - 1].name, r,
                        m ?: "no message", -err);
        if (err != 0) {
                ASSERT_NOT_NULL(m);
                if (msg && !strstr(m, msg))
                        TEST_FAIL("message '%s' does not contain '%s'", m, msg);
                fprintf(stderr, "   ok: %s\n", m);
        }
        free(m);
        buf_done(&b);
        sandbox_done(&s);
}
#define EXPECT(err, msg, ...)                                                                               \
        expect_impl(err, msg, 0, (const TarEntry[]) { __VA_ARGS__ },                                        \
                ELEMENTSOF(((const TarEntry[]) { __VA_ARGS__ })))

static char *read_at(int dfd, const char *path) {
        char *s = NULL;

        ASSERT_OK(read_full_file_at(dfd, path, 64 << 20, &s, NULL));
        return s;
}

static void assert_type(int dfd, const char *path, mode_t type) {
        struct stat st;

        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                TEST_FAIL("'%s' missing: %m", path);
        if ((st.st_mode & S_IFMT) != type)
                TEST_FAIL("'%s' has type 0%o, expected 0%o", path, st.st_mode & S_IFMT, type);
}

static void assert_missing(int dfd, const char *path) {
        struct stat st;

        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0 || errno != ENOENT)
                TEST_FAIL("'%s' exists", path);
}

static void assert_whiteout(int dfd, const char *path) {
        struct stat st;

        ASSERT_OK(fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISCHR(st.st_mode));
        ASSERT_EQ(st.st_rdev, makedev(0, 0));
}

static void assert_opaque(int dfd, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        char value[8];

        fd = ASSERT_OK(openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        ASSERT_EQ(fgetxattr(fd, "trusted.overlay.opaque", value, sizeof(value)), 1);
        ASSERT_EQ(value[0], 'y');
}

/* ---- tests ------------------------------------------------------------------------------------------- */

TEST(normalize_path) {
        static const struct {
                const char *in, *out;
        } table[] = {
                { "a", "a" },
                { "/a", "a" },
                { "./a", "a" },
                { "a//b", "a/b" },
                { "a/./b/", "a/b" },
                { "///a///b///", "a/b" },
                { "../a", "a" },
                { "a/../../b", "b" },
                { "a/b/../../../c/./d", "c/d" },
                { "../../../../../../etc/passwd", "etc/passwd" },
                { "a/b/..", "a" },
                { "/", "" },
                { ".", "" },
                { "./", "" },
                { "..", "" },
                { "a/..", "" },
                { "...", "..." },
                { ".wh..", ".wh.." },
                { "..a/a..", "..a/a.." },
                { "a\\..\\b", "a\\..\\b" },
        };
        char name[PATH_MAX + 16];
        char *p;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                ASSERT_OK(layer_normalize_path(table[i].in, &p));
                ASSERT_STREQ(p, table[i].out);
                free(p);
        }

        ASSERT_ERROR(layer_normalize_path("", &p), EINVAL);

        /* PATH_MAX - 1 characters are fine, PATH_MAX are not (even if they collapse). */
        for (size_t i = 0; i < PATH_MAX - 1; i++)
                name[i] = i % 100 == 99 ? '/' : 'x';
        name[PATH_MAX - 1] = 0;
        ASSERT_OK(layer_normalize_path(name, &p));
        free(p);
        memset(name, '/', PATH_MAX);
        name[PATH_MAX] = 0;
        ASSERT_ERROR(layer_normalize_path(name, &p), EINVAL);

        /* Components up to NAME_MAX. */
        memset(name, 'y', NAME_MAX);
        name[NAME_MAX] = 0;
        ASSERT_OK(layer_normalize_path(name, &p));
        free(p);
        memset(name, 'y', NAME_MAX + 1);
        name[NAME_MAX + 1] = 0;
        ASSERT_ERROR(layer_normalize_path(name, &p), EINVAL);
}

TEST(compressions_and_digests) {
        _cleanup_free_ char *big = ASSERT_NOT_NULL(malloc(300 * 1024 + 1));
        uint32_t seed = 12345;
        Buf tar;

        /* Incompressible-ish content larger than every internal buffer. */
        for (size_t i = 0; i < 300 * 1024; i++) {
                seed = seed * 1103515245 + 12345;
                big[i] = (char) ('a' + (seed >> 16) % 26);
        }
        big[300 * 1024] = 0;

        TAR_BUILD(&tar,
                { .name = "etc/", .type = AE_IFDIR },
                { .name = "etc/hostname", .data = "berth\n" },
                { .name = "etc/localtime", .type = AE_IFLNK, .symlink = "/usr/share/zoneinfo/UTC" },
                { .name = "usr/lib/big", .data = big },
                { .name = "empty", .data = "" });

        for (Compression c = 0; c < _COMPRESSION_MAX; c++) {
                _cleanup_free_ char *hostname = NULL, *content = NULL, *msg = NULL;
                char expect_diff[DIGEST_STRING_MAX], expect_compressed[DIGEST_STRING_MAX];
                LayerExtractResult res;
                char target[64] = {};
                Sandbox s;
                Buf in;

                fprintf(stderr, "   compression %s\n", compression_names[c]);
                compress_buf(&tar, c, &in);
                if (c != COMPRESSION_NONE)
                        ASSERT_TRUE(in.size != tar.size);
                sha256_digest_of(tar.data, tar.size, expect_diff);
                sha256_digest_of(in.data, in.size, expect_compressed);

                sandbox_init(&s);
                if (extract_buf(&s, &in, 0, &res, &msg) < 0)
                        TEST_FAIL("extraction failed: %s", msg);
                ASSERT_STREQ(res.diff_id, expect_diff);
                ASSERT_STREQ(res.compressed_digest, expect_compressed);
                ASSERT_EQ(res.uncompressed_size, tar.size);
                ASSERT_EQ(res.compressed_size, in.size);
                ASSERT_EQ(res.n_entries, 5);
                ASSERT_EQ(res.content_size, 6 + 300 * 1024);
                ASSERT_TRUE(tar.size % 10240 == 0); /* the padding after the end marker is part of diff_id */

                hostname = read_at(s.layer_fd, "etc/hostname");
                ASSERT_STREQ(hostname, "berth\n");
                content = read_at(s.layer_fd, "usr/lib/big");
                ASSERT_STREQ(content, big);
                assert_type(s.layer_fd, "usr", S_IFDIR);
                assert_type(s.layer_fd, "empty", S_IFREG);
                ASSERT_OK(readlinkat(s.layer_fd, "etc/localtime", target, sizeof(target) - 1));
                ASSERT_STREQ(target, "/usr/share/zoneinfo/UTC");

                buf_done(&in);
                sandbox_done(&s);
        }
        buf_done(&tar);
}

TEST(metadata) {
        /* struct vfs_cap_data, revision 2, effective, permitted = CAP_NET_BIND_SERVICE */
        static const uint8_t cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 };
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int ffd = -EBADF;
        LayerExtractResult res;
        char value[64], target[64] = {};
        struct stat st;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                { .name = "d/", .type = AE_IFDIR, .mode = 02710, .uid = 42, .gid = 43, .mtime = 123456789 },
                { .name = "d/sub/", .type = AE_IFDIR, .mode = 01777, .mtime = 234567890, .mtime_nsec = 7 },
                { .name = "d/sub/file", .data = "x", .mtime = 5 },
                { .name = "d/su", .data = "#!/bin/su\n", .mode = 04755, .uid = 1234, .gid = 5678,
                  .mtime = 1000000000, .mtime_nsec = 500000000 },
                { .name = "f", .data = "data", .mode = 0640, .uid = 1234, .gid = 5678,
                  .xattr_name = { "user.foo", "trusted.overlay.opaque", "trusted.foo",
                                  "security.capability" },
                  .xattr_value = { "bar", "y", "nope", (const char *) cap },
                  .xattr_size = { 0, 0, 0, sizeof(cap) } },
                { .name = "d/link", .type = AE_IFLNK, .symlink = "../../../etc/shadow", .uid = 7, .gid = 8,
                  .mtime = 111 },
                { .name = "d/new-child", .data = "late" });

        if (extract_buf(&s, &tar, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_EQ(res.n_entries, 7);

        /* Directory times survive the children created after them. */
        ASSERT_OK(fstatat(s.layer_fd, "d", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFDIR | 02710);
        ASSERT_EQ(st.st_uid, 42);
        ASSERT_EQ(st.st_gid, 43);
        ASSERT_EQ(st.st_mtim.tv_sec, 123456789);
        ASSERT_OK(fstatat(s.layer_fd, "d/sub", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFDIR | 01777);
        ASSERT_EQ(st.st_mtim.tv_sec, 234567890);
        ASSERT_EQ(st.st_mtim.tv_nsec, 7);

        /* setuid survives chown */
        ASSERT_OK(fstatat(s.layer_fd, "d/su", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFREG | 04755);
        ASSERT_EQ(st.st_uid, 1234);
        ASSERT_EQ(st.st_gid, 5678);
        ASSERT_EQ(st.st_mtim.tv_sec, 1000000000);
        ASSERT_EQ(st.st_mtim.tv_nsec, 500000000);

        ASSERT_OK(fstatat(s.layer_fd, "d/link", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        ASSERT_EQ(st.st_uid, 7);
        ASSERT_EQ(st.st_gid, 8);
        ASSERT_EQ(st.st_mtim.tv_sec, 111);
        ASSERT_OK(readlinkat(s.layer_fd, "d/link", target, sizeof(target) - 1));
        ASSERT_STREQ(target, "../../../etc/shadow");

        /* xattrs: user.* and security.capability kept (the latter survives the chown), trusted.* dropped */
        ffd = ASSERT_OK(openat(s.layer_fd, "f", O_RDONLY | O_CLOEXEC));
        ASSERT_OK(fstat(ffd, &st));
        ASSERT_EQ(st.st_mode, S_IFREG | 0640);
        ASSERT_EQ(st.st_uid, 1234);
        ASSERT_EQ(fgetxattr(ffd, "user.foo", value, sizeof(value)), 3);
        ASSERT_TRUE(memcmp(value, "bar", 3) == 0);
        ASSERT_EQ(fgetxattr(ffd, "security.capability", value, sizeof(value)), sizeof(cap));
        ASSERT_TRUE(memcmp(value, cap, sizeof(cap)) == 0);
        ASSERT_TRUE(fgetxattr(ffd, "trusted.overlay.opaque", value, sizeof(value)) < 0 && errno == ENODATA);
        ASSERT_TRUE(fgetxattr(ffd, "trusted.foo", value, sizeof(value)) < 0 && errno == ENODATA);

        buf_done(&tar);
        sandbox_done(&s);
}

TEST(traversal_names) {
        _cleanup_free_ char *msg = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        LayerExtractResult res;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                { .name = "../" CANARY, .data = "1" },
                { .name = "a/../../" CANARY "2", .data = "2" },
                { .name = "/abs/path", .data = "3" },
                { .name = "../../../../../../../../tmp/" CANARY, .data = "4" },
                { .name = "./x//y/./z", .data = "5" },
                { .name = "../victim", .data = "6" },
                { .name = "../outside/", .type = AE_IFDIR, .mode = 0700 });
        if (extract_buf(&s, &tar, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);

        a = read_at(s.layer_fd, CANARY);
        b = read_at(s.layer_fd, CANARY "2");
        c = read_at(s.layer_fd, "abs/path");
        d = read_at(s.layer_fd, "tmp/" CANARY);
        ASSERT_STREQ(a, "1");
        ASSERT_STREQ(b, "2");
        ASSERT_STREQ(c, "3");
        ASSERT_STREQ(d, "4");
        free(a);
        a = read_at(s.layer_fd, "x/y/z");
        ASSERT_STREQ(a, "5");
        free(b);
        b = read_at(s.layer_fd, "victim");
        ASSERT_STREQ(b, "6");
        assert_type(s.layer_fd, "outside", S_IFDIR);
        assert_missing(s.layer_fd, "a"); /* ".." is lexical, "a" is never created */

        buf_done(&tar);
        sandbox_done(&s);
}

TEST(symlink_escapes) {
        /* "@S@" is replaced by the absolute path of the sandbox the tar is extracted in. */
        static const char *const targets[] = {
                "/", "..", "../..", "../../..", "/tmp", "@S@", "@S@/outside", ".", "layer/..",
        };

        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                const char *sub = targets[i];

                fprintf(stderr, "   link -> %s\n", sub);
                /* The symlink itself is fine, writing through it is not, whatever the entry type. */
                EXPECT(ELOOP, "parent 'link' is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/" CANARY, .data = "pwned" });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/victim", .data = "pwned" });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/outside/", .type = AE_IFDIR, .mode = 0777 });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/outside/file", .type = AE_IFLNK, .symlink = "/" });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "victim", .data = "v" },
                        { .name = "link/" CANARY, .hardlink = "victim" });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/.wh.victim" });
                EXPECT(ELOOP, "is a symlink",
                        { .name = "link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "link/outside/.wh..wh..opq" });
                EXPECT(ELOOP, "parent 'a/link' is a symlink",
                        { .name = "a/", .type = AE_IFDIR },
                        { .name = "a/link", .type = AE_IFLNK, .symlink = sub },
                        { .name = "a/link/b/c/" CANARY, .data = "pwned" });
        }
}

TEST(symlinked_parent_inside) {
        /* Even a symlink that stays inside the layer is never traversed (like containerd's strict mode). */
        EXPECT(ELOOP, "parent 'sd' is a symlink",
                { .name = "d/", .type = AE_IFDIR },
                { .name = "sd", .type = AE_IFLNK, .symlink = "d" },
                { .name = "sd/file", .data = "x" });
        EXPECT(ENOTDIR, "parent 'f' is not a directory",
                { .name = "f", .data = "x" },
                { .name = "f/g", .data = "y" });
}

TEST(replace_existing) {
        _cleanup_free_ char *msg = NULL, *f = NULL, *ef = NULL;
        char target[64] = {};
        struct stat st;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                /* a file entry replaces a symlink to outside, it does not write through it */
                { .name = "f", .type = AE_IFLNK, .symlink = s.victim },
                { .name = "f", .data = "new", .mode = 0666 },
                /* a directory entry replaces a symlink to an outside directory */
                { .name = "g", .type = AE_IFLNK, .symlink = s.outside },
                { .name = "g/", .type = AE_IFDIR, .mode = 0700 },
                { .name = "g/x", .data = "inside" },
                /* a symlink replaces a file, a directory is replaced by a file */
                { .name = "h", .data = "old" },
                { .name = "h", .type = AE_IFLNK, .symlink = s.victim },
                { .name = "e/", .type = AE_IFDIR },
                { .name = "e/f", .data = "gone" },
                { .name = "e", .data = "file now" },
                /* an existing directory is kept, with new metadata */
                { .name = "k/", .type = AE_IFDIR, .mode = 0755 },
                { .name = "k/f", .data = "kept" },
                { .name = "k/", .type = AE_IFDIR, .mode = 0700, .uid = 9 },
                /* missing parents */
                { .name = "a/b/c", .data = "deep" });
        if (extract_buf(&s, &tar, 0, NULL, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);

        f = read_at(s.layer_fd, "f");
        ASSERT_STREQ(f, "new");
        ASSERT_OK(fstatat(s.layer_fd, "f", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFREG | 0666);
        assert_type(s.layer_fd, "g", S_IFDIR);
        assert_type(s.layer_fd, "g/x", S_IFREG);
        assert_type(s.layer_fd, "h", S_IFLNK);
        ASSERT_OK(readlinkat(s.layer_fd, "h", target, sizeof(target) - 1));
        ASSERT_STREQ(target, s.victim);
        ef = read_at(s.layer_fd, "e");
        ASSERT_STREQ(ef, "file now");
        assert_type(s.layer_fd, "k/f", S_IFREG);
        ASSERT_OK(fstatat(s.layer_fd, "k", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFDIR | 0700);
        ASSERT_EQ(st.st_uid, 9);
        ASSERT_OK(fstatat(s.layer_fd, "a", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFDIR | 0755);
        ASSERT_OK(fstatat(s.layer_fd, "a/b", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFDIR | 0755);
        assert_type(s.layer_fd, "a/b/c", S_IFREG);

        buf_done(&tar);
        sandbox_done(&s);
}

TEST(hardlinks) {
        _cleanup_free_ char *msg = NULL;
        struct stat a, b, sl, hl;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                { .name = "a", .data = "shared" },
                { .name = "b", .data = "replaced by link" },
                { .name = "b", .hardlink = "a" },
                { .name = "a", .hardlink = "./a" }, /* a link to itself is a no-op */
                { .name = "sl", .type = AE_IFLNK, .symlink = s.victim },
                { .name = "dir/hl", .hardlink = "/sl" }, /* links the symlink, never its target */
                { .name = "abs", .hardlink = "/../../a" });
        if (extract_buf(&s, &tar, 0, NULL, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_OK(fstatat(s.layer_fd, "a", &a, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(fstatat(s.layer_fd, "b", &b, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(a.st_ino, b.st_ino);
        ASSERT_EQ(a.st_nlink, 3);
        ASSERT_OK(fstatat(s.layer_fd, "sl", &sl, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(fstatat(s.layer_fd, "dir/hl", &hl, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISLNK(hl.st_mode));
        ASSERT_EQ(sl.st_ino, hl.st_ino);
        buf_done(&tar);
        sandbox_done(&s); /* victim still has one link and its content */

        EXPECT(ENOENT, "hardlink target 'victim' does not exist", { .name = "x", .hardlink = "../victim" });
        EXPECT(ENOENT, "hardlink target 'etc/passwd' does not exist",
                { .name = "p", .hardlink = "/etc/passwd" });
        EXPECT(ENOENT, "does not exist", { .name = "p", .hardlink = "../../../../../../../../etc/passwd" });
        EXPECT(ENOENT, "does not exist", { .name = "p", .hardlink = "outside/file" });
        EXPECT(EISDIR, "hardlink target 'd' is a directory",
                { .name = "d/", .type = AE_IFDIR },
                { .name = "hd", .hardlink = "d" });
        EXPECT(EISDIR, "is a directory", { .name = "hr", .hardlink = "/" });
        EXPECT(EISDIR, "is a directory", { .name = "hr", .hardlink = "a/.." });
        EXPECT(ELOOP, "is a symlink",
                { .name = "ld", .type = AE_IFLNK, .symlink = "/tmp" },
                { .name = "h2", .hardlink = "ld/x" });
        EXPECT(ELOOP, "is a symlink",
                { .name = "ld", .type = AE_IFLNK, .symlink = "../outside" },
                { .name = "h2", .hardlink = "ld/file" });
        EXPECT(ELOOP, "is a symlink",
                { .name = "ld", .type = AE_IFLNK, .symlink = "../outside" },
                { .name = "f", .data = "x" },
                { .name = "ld/file", .hardlink = "f" });
}

TEST(devices) {
        _cleanup_free_ char *msg = NULL;
        LayerExtractResult res;
        struct stat st;
        Sandbox s;
        Buf tar;

        TAR_BUILD(&tar,
                { .name = "dev/null", .type = AE_IFCHR, .mode = 0666, .rdev_major = 1, .rdev_minor = 3 },
                { .name = "dev/loop9", .type = AE_IFBLK, .mode = 0660, .gid = 6, .rdev_major = 7,
                  .rdev_minor = 9 },
                { .name = "run/fifo", .type = AE_IFIFO, .mode = 0620 },
                { .name = "dev/keep", .data = "x" });

        sandbox_init(&s);
        if (extract_buf(&s, &tar, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_EQ(res.n_entries, 4);
        assert_missing(s.layer_fd, "dev/null");
        assert_missing(s.layer_fd, "dev/loop9");
        assert_missing(s.layer_fd, "run/fifo");
        assert_type(s.layer_fd, "dev/keep", S_IFREG);
        sandbox_done(&s);

        sandbox_init(&s);
        if (extract_buf(&s, &tar, LAYER_EXTRACT_ALLOW_DEVICES, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_OK(fstatat(s.layer_fd, "dev/null", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFCHR | 0666);
        ASSERT_EQ(st.st_rdev, makedev(1, 3));
        ASSERT_OK(fstatat(s.layer_fd, "dev/loop9", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFBLK | 0660);
        ASSERT_EQ(st.st_rdev, makedev(7, 9));
        ASSERT_EQ(st.st_gid, 6);
        ASSERT_OK(fstatat(s.layer_fd, "run/fifo", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFIFO | 0620);
        sandbox_done(&s);
        buf_done(&tar);
}

TEST(whiteouts) {
        _cleanup_free_ char *msg = NULL;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                { .name = "foo", .data = "x" },
                { .name = "dir/", .type = AE_IFDIR },
                { .name = "dir/x", .data = "x" },
                { .name = "link", .type = AE_IFLNK, .symlink = s.victim },
                { .name = ".wh.foo" },
                { .name = "./.wh.dir" },
                { .name = ".wh.link" },
                { .name = "sub/.wh.bar" },
                { .name = "opq/", .type = AE_IFDIR },
                { .name = "opq/keep", .data = "k" },
                { .name = "opq/.wh..wh..opq" },
                { .name = "auto/.wh..wh..opq" });
        if (extract_buf(&s, &tar, 0, NULL, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        assert_whiteout(s.layer_fd, "foo");
        assert_whiteout(s.layer_fd, "dir");
        assert_whiteout(s.layer_fd, "link");
        assert_whiteout(s.layer_fd, "sub/bar");
        assert_missing(s.layer_fd, ".wh.foo");
        assert_type(s.layer_fd, "opq/keep", S_IFREG);
        assert_opaque(s.layer_fd, "opq");
        assert_opaque(s.layer_fd, "auto");
        buf_done(&tar);
        sandbox_done(&s);

        EXPECT(EINVAL, "invalid whiteout name", { .name = ".wh." });
        EXPECT(EINVAL, "invalid whiteout name", { .name = "a/.wh.." });
        EXPECT(EINVAL, "invalid whiteout name", { .name = "a/.wh..." });
        EXPECT(EINVAL, "invalid whiteout name", { .name = ".wh..wh.plnk" });
        EXPECT(EINVAL, "invalid whiteout name", { .name = "a/.wh..wh..opq2" });
        /* control characters never reach the message */
        EXPECT(EINVAL, "tar entry 'x?[31m/.wh.': invalid whiteout name", { .name = "x\x1b[31m/.wh." });
}

TEST(root_entries) {
        _cleanup_free_ char *msg = NULL;
        LayerExtractResult res;
        Sandbox s;
        Buf tar;

        sandbox_init(&s);
        TAR_BUILD(&tar,
                { .name = "./", .type = AE_IFDIR, .mode = 0777, .uid = 5 },
                { .name = "/", .type = AE_IFDIR, .mode = 0700 },
                { .name = "..", .type = AE_IFDIR, .mode = 0700 },
                { .name = "f", .data = "x" });
        if (extract_buf(&s, &tar, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_EQ(res.n_entries, 4);
        buf_done(&tar);
        sandbox_done(&s); /* checks the layer dir's mode and owner are unchanged */

        EXPECT(EINVAL, "refusing to replace the layer root", { .name = ".", .data = "x" });
        EXPECT(EINVAL, "refusing to replace the layer root",
                { .name = "a/..", .type = AE_IFLNK, .symlink = "/" });
        EXPECT(EINVAL, "refusing to replace the layer root",
                { .name = "f", .data = "x" },
                { .name = "/", .hardlink = "f" });
}

TEST(long_names) {
        char name[PATH_MAX + 64];
        size_t n = 0;

        /* 1000 characters in ten 99-character components: fine. */
        for (size_t i = 0; i < 10; i++) {
                memset(name + n, 'a' + (char) i, 99);
                n += 99;
                name[n++] = '/';
        }
        name[n - 1] = 0;
        {
                _cleanup_free_ char *msg = NULL, *c = NULL;
                Sandbox s;
                Buf tar;

                sandbox_init(&s);
                TAR_BUILD(&tar, { .name = name, .data = "long" });
                if (extract_buf(&s, &tar, 0, NULL, &msg) < 0)
                        TEST_FAIL("extraction failed: %s", msg);
                c = read_at(s.layer_fd, name);
                ASSERT_STREQ(c, "long");
                buf_done(&tar);
                sandbox_done(&s);
        }

        memset(name, 'z', NAME_MAX + 1);
        name[NAME_MAX + 1] = 0;
        EXPECT(EINVAL, "invalid name", { .name = name, .data = "x" });

        for (n = 0; n < PATH_MAX + 10; n++)
                name[n] = n % 50 == 49 ? '/' : 'q';
        name[n] = 0;
        EXPECT(EINVAL, "invalid name", { .name = name, .data = "x" });
        EXPECT(EINVAL, "invalid hardlink target",
                { .name = "f", .data = "x" },
                { .name = "h", .hardlink = name });
}

static void expect_bad_input(const void *data, size_t size, int err) {
        _cleanup_free_ char *msg = NULL;
        Buf b = { .data = (uint8_t *) data, .size = size };
        Sandbox s;
        int r;

        sandbox_init(&s);
        r = extract_buf(&s, &b, 0, NULL, &msg);
        if (r != -err)
                TEST_FAIL("got %d (%s), expected %d", r, msg ?: "no message", -err);
        ASSERT_NOT_NULL(msg);
        fprintf(stderr, "   ok: %s\n", msg);
        sandbox_done(&s);
}

TEST(corrupt_input) {
        _cleanup_free_ char *garbage = ASSERT_NOT_NULL(malloc(4096));
        Buf tar, gz, gzg;

        TAR_BUILD(&tar,
                { .name = "a", .data = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .size = 52 },
                { .name = "b", .data = "bbbb" });

        /* truncated inside a header, inside data, right after a header */
        expect_bad_input(tar.data, 100, EBADMSG);
        expect_bad_input(tar.data, 512 + 20, EBADMSG);
        expect_bad_input(tar.data, 512 * 3 + 100, EBADMSG);
        expect_bad_input(tar.data, 512 * 3, EBADMSG);

        /* truncated gzip */
        compress_buf(&tar, COMPRESSION_GZIP, &gz);
        expect_bad_input(gz.data, gz.size / 2, EBADMSG);
        expect_bad_input(gz.data, 12, EBADMSG);

        /* garbage, plain and gzipped */
        for (size_t i = 0; i < 4096; i++)
                garbage[i] = (char) ("not a tar! "[i % 11]);
        expect_bad_input(garbage, 4096, EBADMSG);
        expect_bad_input(garbage, 1, EBADMSG);
        compress_buf(&(Buf) { .data = (uint8_t *) garbage, .size = 4096 }, COMPRESSION_GZIP, &gzg);
        expect_bad_input(gzg.data, gzg.size, EBADMSG);

        buf_done(&gzg);
        buf_done(&gz);
        buf_done(&tar);
}

TEST(empty_input) {
        _cleanup_free_ char *msg = NULL;
        char empty_digest[DIGEST_STRING_MAX], zero_digest[DIGEST_STRING_MAX];
        static const uint8_t zeros[1024] = {};
        LayerExtractResult res;
        Sandbox s;

        /* No bytes at all: an empty layer, as Go's archive/tar sees it. */
        sha256_digest_of("", 0, empty_digest);
        sandbox_init(&s);
        ASSERT_OK(extract_buf(&s, &(Buf) {}, 0, &res, &msg));
        ASSERT_EQ(res.n_entries, 0);
        ASSERT_EQ(res.compressed_size, 0);
        ASSERT_EQ(res.uncompressed_size, 0);
        ASSERT_STREQ(res.diff_id, empty_digest);
        ASSERT_STREQ(res.compressed_digest, empty_digest);
        sandbox_done(&s);

        /* Just the end-of-archive marker. */
        sha256_digest_of(zeros, sizeof(zeros), zero_digest);
        sandbox_init(&s);
        ASSERT_OK(extract_buf(&s, &(Buf) { .data = (uint8_t *) zeros, .size = sizeof(zeros) }, 0, &res,
                &msg));
        ASSERT_EQ(res.n_entries, 0);
        ASSERT_EQ(res.uncompressed_size, sizeof(zeros));
        ASSERT_STREQ(res.diff_id, zero_digest);
        sandbox_done(&s);
}

TEST(trailing_bytes) {
        _cleanup_free_ char *msg = NULL;
        char expect[DIGEST_STRING_MAX];
        LayerExtractResult res;
        Sandbox s;
        Buf tar, gz;

        /* Bytes after the end marker (plain) or after the gzip member still count in both digests. */
        TAR_BUILD(&tar, { .name = "a", .data = "a" });
        tar.data = ASSERT_NOT_NULL(realloc(tar.data, tar.size + 3000));
        memset(tar.data + tar.size, 'T', 3000);
        tar.size += 3000;
        sha256_digest_of(tar.data, tar.size, expect);

        sandbox_init(&s);
        if (extract_buf(&s, &tar, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_STREQ(res.diff_id, expect);
        ASSERT_STREQ(res.compressed_digest, expect);
        ASSERT_EQ(res.compressed_size, tar.size);
        sandbox_done(&s);

        compress_buf(&tar, COMPRESSION_GZIP, &gz);
        gz.data = ASSERT_NOT_NULL(realloc(gz.data, gz.size + 100));
        memset(gz.data + gz.size, 0, 100);
        gz.size += 100;
        sandbox_init(&s);
        if (extract_buf(&s, &gz, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_STREQ(res.diff_id, expect);
        sha256_digest_of(gz.data, gz.size, expect);
        ASSERT_STREQ(res.compressed_digest, expect);
        ASSERT_EQ(res.compressed_size, gz.size);
        sandbox_done(&s);

        buf_done(&gz);
        buf_done(&tar);
}

TEST(read_error) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int dfd = ASSERT_OK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        Sandbox s;

        /* read() on a directory fails with EISDIR: reported as such, not as a corrupt archive. */
        sandbox_init(&s);
        ASSERT_ERROR(layer_extract(dfd, s.layer_fd, 0, NULL, &msg), EISDIR);
        ASSERT_NOT_NULL(msg);
        sandbox_done(&s);
}

/* ---- streams longer than the decompressing thread's ring of blocks ----------------------------------- */

/* Bytes that gzip cannot shrink much, so that the compressed side spans many reads too. */
static uint8_t *noise(size_t size, uint32_t seed) {
        uint8_t *p = ASSERT_NOT_NULL(malloc(size));

        for (size_t i = 0; i < size; i++) {
                seed = seed * 1103515245u + 12345u;
                p[i] = (uint8_t) (seed >> 16);
        }
        return p;
}

#define BIG_SIZE (700u * 1024u)

TEST(large_stream) {
        _cleanup_free_ uint8_t *a = noise(BIG_SIZE, 1), *b = noise(BIG_SIZE, 2), *c = noise(BIG_SIZE, 3);
        _cleanup_free_ char *msg = NULL;
        char expect_diff[DIGEST_STRING_MAX], expect_compressed[DIGEST_STRING_MAX], got[DIGEST_STRING_MAX];
        LayerExtractResult res;
        Sandbox s;
        Buf tar, gz;

        /* 2.1 MB of data: several times the ring, so the decompressing thread waits for free blocks */
        TAR_BUILD(&tar,
                { .name = "big/a", .data = (const char *) a, .size = BIG_SIZE, .mode = 0600 },
                { .name = "big/b", .data = (const char *) b, .size = BIG_SIZE, .mode = 0755 },
                { .name = "big/c", .data = (const char *) c, .size = BIG_SIZE, .uid = 7, .gid = 8 },
                { .name = "last", .data = "the end" });
        sha256_digest_of(tar.data, tar.size, expect_diff);
        compress_buf(&tar, COMPRESSION_GZIP, &gz);
        sha256_digest_of(gz.data, gz.size, expect_compressed);

        sandbox_init(&s);
        if (extract_buf(&s, &gz, 0, &res, &msg) < 0)
                TEST_FAIL("extraction failed: %s", msg);
        ASSERT_STREQ(res.diff_id, expect_diff);
        ASSERT_STREQ(res.compressed_digest, expect_compressed);
        ASSERT_EQ(res.compressed_size, gz.size);
        ASSERT_EQ(res.uncompressed_size, tar.size);
        ASSERT_EQ(res.content_size, 3 * BIG_SIZE + strlen("the end"));
        ASSERT_EQ(res.n_entries, 4u);

        const struct {
                const char *name;
                const uint8_t *data;
                size_t size;
                mode_t mode;
                uid_t uid;
        } files[] = {
                { "big/a", a, BIG_SIZE, 0600, 0 },
                { "big/b", b, BIG_SIZE, 0755, 0 },
                { "big/c", c, BIG_SIZE, 0644, 7 },
                { "last", (const uint8_t *) "the end", 7, 0644, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *content = NULL;
                char want[DIGEST_STRING_MAX];
                struct stat st;
                size_t size;

                ASSERT_OK(fstatat(s.layer_fd, files[i].name, &st, AT_SYMLINK_NOFOLLOW));
                ASSERT_EQ(st.st_mode, S_IFREG | files[i].mode);
                ASSERT_EQ(st.st_uid, files[i].uid);
                ASSERT_OK(read_full_file_at(s.layer_fd, files[i].name, 1 << 21, &content, &size));
                ASSERT_EQ(size, files[i].size);
                sha256_digest_of(content, size, got);
                sha256_digest_of(files[i].data, files[i].size, want);
                ASSERT_STREQ(got, want);
        }
        sandbox_done(&s);
        buf_done(&gz);
        buf_done(&tar);
}

typedef struct Feeder {
        int fd;
        const Buf *b;
        int result;
} Feeder;

static void *feed(void *p) {
        Feeder *f = p;
        size_t done = 0;

        f->result = 0;
        while (done < f->b->size) {
                ssize_t n = write(f->fd, f->b->data + done, f->b->size - done);
                if (n < 0) {
                        f->result = -errno;
                        break;
                }
                done += (size_t) n;
        }
        f->fd = safe_close(f->fd);
        return NULL;
}

TEST(hostile_entry_mid_stream) {
        _cleanup_free_ uint8_t *a = noise(BIG_SIZE, 4), *b = noise(BIG_SIZE, 5), *c = noise(BIG_SIZE, 6);
        _cleanup_free_ char *msg = NULL;
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        Feeder f;
        Sandbox s;
        Buf tar, gz;
        pthread_t t;
        int fds[2], r;

        /* The tar side fails on an entry while megabytes are still to come, read from a pipe as during a
         * pull: layer_extract() returns the entry's error without reading on to the end, and the writer gets
         * EPIPE once the reader is closed (no hang). */
        TAR_BUILD(&tar,
                { .name = "big/a", .data = (const char *) a, .size = BIG_SIZE },
                { .name = "link", .type = AE_IFLNK, .symlink = "/tmp" },
                { .name = "link/" CANARY, .data = "escaped" },
                { .name = "big/b", .data = (const char *) b, .size = BIG_SIZE },
                { .name = "big/c", .data = (const char *) c, .size = BIG_SIZE });
        compress_buf(&tar, COMPRESSION_GZIP, &gz);
        ASSERT_OK(sigaction(SIGPIPE, &ign, &old));
        for (int round = 0; round < 2; round++) {
                const Buf *in = round == 0 ? &tar : &gz;

                ASSERT_OK(pipe2(fds, O_CLOEXEC));
                f = (Feeder) { .fd = fds[1], .b = in };
                ASSERT_EQ(pthread_create(&t, NULL, feed, &f), 0);
                sandbox_init(&s);
                r = layer_extract(fds[0], s.layer_fd, 0, NULL, &msg);
                if (r != -ELOOP)
                        TEST_FAIL("got %d (%s), expected -ELOOP", r, msg ?: "no message");
                ASSERT_NOT_NULL(strstr(msg, "is a symlink"));
                msg = mfree(msg);
                safe_close(fds[0]);
                ASSERT_EQ(pthread_join(t, NULL), 0);
                ASSERT_EQ(f.result, -EPIPE);
                sandbox_done(&s);
        }
        ASSERT_OK(sigaction(SIGPIPE, &old, NULL));
        buf_done(&gz);
        buf_done(&tar);
}

static void add_sparse(Buf *out, const char *name, la_int64_t size, la_int64_t offset, const char *data) {
        struct archive *a = ASSERT_NOT_NULL(archive_write_new());
        struct archive_entry *e = ASSERT_NOT_NULL(archive_entry_new());
        _cleanup_free_ char *full = ASSERT_NOT_NULL(calloc(1, (size_t) size));
        size_t n = strlen(data);

        *out = (Buf) {};
        ASSERT_EQ(archive_write_set_format_pax(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_add_filter_none(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, 1700000000, 0);
        archive_entry_set_size(e, size);
        archive_entry_sparse_add_entry(e, offset, (la_int64_t) n);
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        /* the writer takes the whole file and leaves out the holes itself */
        memcpy(full + offset, data, n);
        ASSERT_EQ(archive_write_data(a, full, (size_t) size), (la_ssize_t) size);
        archive_entry_free(e);
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

TEST(sparse_files) {
        /* the data, then a hole to the end (the size comes from a truncate); a hole, then the data; the tar
         * holds only the 5 data bytes */
        const struct {
                la_int64_t size, offset;
        } cases[] = { { 1 << 20, 0 }, { (1 << 20) + 5, 1 << 20 } };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *msg = NULL, *content = NULL;
                struct stat st;
                size_t size;
                Sandbox s;
                Buf tar;

                add_sparse(&tar, "sparse", cases[i].size, cases[i].offset, "hello");
                ASSERT_TRUE(tar.size < 16 * 1024);
                sandbox_init(&s);
                if (extract_buf(&s, &tar, 0, NULL, &msg) < 0)
                        TEST_FAIL("extraction failed: %s", msg);
                ASSERT_OK(fstatat(s.layer_fd, "sparse", &st, AT_SYMLINK_NOFOLLOW));
                ASSERT_EQ(st.st_size, cases[i].size);
                ASSERT_OK(read_full_file_at(s.layer_fd, "sparse", 1 << 21, &content, &size));
                ASSERT_EQ(size, (size_t) cases[i].size);
                ASSERT_TRUE(memcmp(content + cases[i].offset, "hello", 5) == 0);
                for (la_int64_t j = 0; j < cases[i].size; j++)
                        if (j < cases[i].offset || j >= cases[i].offset + 5)
                                ASSERT_EQ(content[j], 0);
                sandbox_done(&s);
                buf_done(&tar);
        }
}

/* Decompression bombs: the uncompressed size and the entry count are bounded (here with small limits from
 * the environment); a layer beyond either fails with EFBIG and a message saying which limit. */
TEST(bomb_limits) {
        _cleanup_free_ char *zeros = ASSERT_NOT_NULL(calloc(1, 1 << 20));
        Buf tar, gz;
        Sandbox s;
        char *m = NULL;

        TAR_BUILD(&tar, { .name = "zeros", .data = zeros, .size = 1 << 20 });
        compress_buf(&tar, COMPRESSION_GZIP, &gz);
        ASSERT_TRUE(gz.size < 64 * 1024); /* a megabyte of zeros compresses to little */

        ASSERT_OK(setenv("BERTH_LAYER_MAX_SIZE", "65536", 1));
        sandbox_init(&s);
        ASSERT_EQ(extract_buf(&s, &gz, 0, NULL, &m), -EFBIG);
        ASSERT_NOT_NULL(m);
        ASSERT_NOT_NULL(strstr(m, "more than 65536 bytes"));
        fprintf(stderr, "   ok: %s\n", m);
        m = mfree(m);
        sandbox_done(&s);
        ASSERT_OK(unsetenv("BERTH_LAYER_MAX_SIZE"));

        ASSERT_OK(setenv("BERTH_LAYER_MAX_ENTRIES", "2", 1));
        EXPECT(EFBIG, "more than 2 entries", { .name = "a", .data = "a" }, { .name = "b", .data = "b" },
                { .name = "c", .data = "c" });
        EXPECT(0, NULL, { .name = "a", .data = "a" }, { .name = "b", .data = "b" });
        ASSERT_OK(unsetenv("BERTH_LAYER_MAX_ENTRIES"));

        /* within the default limits the same layer unpacks */
        sandbox_init(&s);
        ASSERT_OK(extract_buf(&s, &gz, 0, NULL, NULL));
        sandbox_done(&s);
        buf_done(&tar);
        buf_done(&gz);
}

static void run_suite(bool force_enosys) {
        struct berth_open_how how = { .flags = O_PATH | O_CLOEXEC };
        int fd;

        if (force_enosys)
                ASSERT_OK(setenv("BERTH_FORCE_ENOSYS_OPENAT2", "1", 1));
        else
                ASSERT_OK(unsetenv("BERTH_FORCE_ENOSYS_OPENAT2"));

        fd = sys_openat2(AT_FDCWD, "/", &how, sizeof(how));
        if (force_enosys)
                ASSERT_TRUE(fd < 0 && errno == ENOSYS);
        else if (fd < 0)
                fprintf(stderr, "note: openat2() unavailable (%m), both rounds test the fallback walk\n");
        safe_close(fd);

        RUN(normalize_path);
        RUN(compressions_and_digests);
        RUN(metadata);
        RUN(traversal_names);
        RUN(symlink_escapes);
        RUN(symlinked_parent_inside);
        RUN(replace_existing);
        RUN(hardlinks);
        RUN(devices);
        RUN(whiteouts);
        RUN(root_entries);
        RUN(long_names);
        RUN(corrupt_input);
        RUN(empty_input);
        RUN(trailing_bytes);
        RUN(read_error);
        RUN(large_stream);
        RUN(hostile_entry_mid_stream);
        RUN(sparse_files);
        RUN(bomb_limits);
}

int main(void) {
        if (geteuid() != 0)
                TEST_SKIP("test-layer needs root (mknod, chown, trusted.* xattrs)");

        log_setup("test-layer");
        umask(022);

        /* One child per mode: sys_openat2() caches $BERTH_FORCE_ENOSYS_OPENAT2 on first use. */
        for (int mode = 0; mode < 2; mode++) {
                int status;
                pid_t pid;

                fprintf(stderr, "=== round %d: %s\n", mode + 1,
                        mode ? "BERTH_FORCE_ENOSYS_OPENAT2=1" : "openat2");
                pid = ASSERT_OK(fork());
                if (pid == 0) {
                        run_suite(mode == 1);
                        _exit(EXIT_SUCCESS);
                }
                ASSERT_OK(waitpid(pid, &status, 0));
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "round %d failed\n", mode + 1);
                        return EXIT_FAILURE;
                }
        }
        return EXIT_SUCCESS;
}
