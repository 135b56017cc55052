/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fd-util.h"
#include "fileio.h"
#include "image-dl.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"
#include "syscall-shims.h"

/* Rules beyond what layer.h promises, decided here:
 *
 *  - Parents: every directory above an entry must be a real directory inside the layer. A symlink anywhere
 *    in the parent path is refused (-ELOOP), even one pointing back inside; a non-directory is -ENOTDIR.
 *    Missing parents ("a/b/c" without "a/") are created with mode 0755, owned by us, with the current time.
 *  - The final component is never followed: whatever non-directory sits there is unlinked first, an existing
 *    directory is removed recursively unless the entry is itself a directory (then it is kept and gets the
 *    entry's metadata).
 *  - Root entries ("/", ".", "./", "a/..") that are directories are ignored: the store owns the layer root's
 *    owner and mode. Any other type naming the root is refused with -EINVAL.
 *  - Character and block devices and FIFOs are created only with LAYER_EXTRACT_ALLOW_DEVICES, otherwise
 *    skipped with a debug log (like rootless podman). Sockets and unknown types are always skipped.
 *  - Hardlinks: the target is normalised like a name, resolved inside the layer without following any
 *    symlink (also not the last component, so a link to a symlink links the symlink itself), must exist and
 *    must not be a directory. Hardlink entries carry no metadata of their own, they share the target's
 *    inode.
 *  - Xattrs: only "user.*" and "security.capability" are restored, on regular files and directories; all
 *    others (trusted.*, security.selinux, system.posix_acl_*) are dropped with a debug log, so a layer
 *    cannot forge overlayfs metadata. EOPNOTSUPP from the file system is ignored. ACLs and file flags are
 *    ignored.
 *  - Order per entry: chown, xattrs, chmod (chown clears setuid bits and security.capability), then times.
 *    Directory times are applied in a final pass after all entries, as creating children changes them.
 *  - Whiteouts: ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory (created if missing, the layer
 *    root included); ".wh.NAME" removes whatever NAME is in this layer and creates a 0:0 character device
 *    with mode 0000 owned by us. ".wh." alone, NAME "." or "..", and any other ".wh..wh.*" (AUFS metadata
 *    such as .wh..wh.plnk) are refused with -EINVAL. Whiteouts are created regardless of ALLOW_DEVICES.
 *  - Errors carry a message naming the entry; names and libarchive text in it have control characters
 *    replaced by '?' and entry names are cut at 256 bytes.
 *  - An empty input is an empty layer (as Go's archive/tar reads it); garbage or truncation is -EBADMSG.
 *  - Two threads per layer: one reads input_fd, decompresses and computes both digests, the caller's thread
 *    parses the tar stream and creates the files. The uncompressed stream goes between them through a ring of
 *    STREAM_SLOTS buffers, without a copy. The decompressing thread always reads the input to its end (the
 *    digests cover every byte), unless the tar side failed: then it stops at its next buffer. */

#define READ_BUFFER_SIZE (64U * 1024U)
#define STREAM_SLOT_SIZE (256U * 1024U)
#define STREAM_SLOTS 4U
#define MESSAGE_NAME_MAX 256U

DEFINE_TRIVIAL_CLEANUP_FUNC_FULL(struct archive *, archive_read_free, archive_read_freep);

typedef struct DirTimes {
        char *path;
        struct timespec ts[2];
} DirTimes;

typedef struct Extractor {
        int input_fd;
        int dir_fd;
        dev_t root_dev;
        LayerExtractFlags flags;

        /* The decompressing thread's own (until it is joined) */
        struct archive *outer; /* decompresses input_fd: gzip/zstd/xz/bzip2 filters, "raw" format */
        bool outer_eof;
        int outer_io_error; /* a read error on input_fd */
        Sha256 *compressed_hash;
        Sha256 *diff_hash;
        uint64_t compressed_size;
        uint64_t uncompressed_size;
        uint64_t max_size, max_entries; /* decompression bombs: LAYER_MAX_* or the environment's */
        uint8_t input_buffer[READ_BUFFER_SIZE];
        uint8_t scratch[STREAM_SLOT_SIZE]; /* the rest of the stream, once the tar side wants no more */

        /* The tar side's own */
        int io_error; /* a read error on input_fd, reported instead of -EBADMSG */
        uint64_t content_size;
        uint64_t n_entries;
        DirTimes *dirs;
        size_t n_dirs, n_dirs_allocated;
        char *error; /* the message handed to reterr_msg */

        /* Between the two, under lock */
        pthread_mutex_t lock;
        pthread_cond_t changed;
        uint8_t *slots[STREAM_SLOTS];
        size_t slot_size[STREAM_SLOTS];
        unsigned first; /* the oldest filled slot */
        unsigned filled; /* filled slots, the one the tar side holds included */
        bool holding; /* the tar side's last block is slots[first] */
        bool stream_done; /* the decompressing thread finished; stream_error tells how */
        int stream_error;
        char *stream_text; /* libarchive's words for it, for the tar side's archive error */
        char *stream_message; /* the message for reterr_msg */
        bool tar_done; /* the tar side wants no more blocks: hash the rest, stop queueing */
        bool cancel; /* the tar side failed: stop */
} Extractor;

static Extractor *extractor_free(Extractor *x) {
        if (!x)
                return NULL;
        (void) archive_read_free(x->outer);
        for (size_t i = 0; i < STREAM_SLOTS; i++)
                free(x->slots[i]);
        free(x->stream_text);
        free(x->stream_message);
        pthread_cond_destroy(&x->changed);
        pthread_mutex_destroy(&x->lock);
        sha256_free(x->compressed_hash);
        sha256_free(x->diff_hash);
        for (size_t i = 0; i < x->n_dirs; i++)
                free(x->dirs[i].path);
        free(x->dirs);
        free(x->error);
        free(x);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Extractor *, extractor_free);

/* Messages quote names, link targets and libarchive's text, all chosen by the archive: keep them to one line
 * of printable text. */
static void make_printable(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s == 0x7f)
                        *s = '?';
}

/* Records the first failure message ("tar entry 'NAME': ...") and returns the negative errno. */
static int fail(Extractor *x, int error, const char *entry, const char *format, ...) _printf_(4, 5);
static int fail(Extractor *x, int error, const char *entry, const char *format, ...) {
        _cleanup_free_ char *what = NULL, *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        if (vasprintf(&what, format, ap) < 0)
                what = NULL;
        va_end(ap);
        if (!what)
                return log_debug_errno(error, "Layer extraction failed (out of memory for the message)");

        if (entry) {
                size_t n = strnlen(entry, MESSAGE_NAME_MAX);
                msg = asprintf_safe("tar entry '%.*s%s': %s", (int) n, entry, entry[n] ? "..." : "", what);
        } else
                msg = TAKE_PTR(what);
        if (!msg)
                return log_debug_errno(error, "Layer extraction failed (out of memory for the message)");
        make_printable(msg);

        r = log_debug_errno(error, "%s", msg);
        if (!x->error)
                x->error = TAKE_PTR(msg);
        return r;
}

int layer_normalize_path(const char *name, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len, n = 0;

        assert(ret);

        if (isempty(name))
                return -EINVAL;
        len = strnlen(name, PATH_MAX);
        if (len >= PATH_MAX)
                return -EINVAL;

        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;

        for (const char *p = name;;) {
                size_t k;

                p += strspn(p, "/");
                k = strcspn(p, "/");
                if (k == 0)
                        break;
                if (k > NAME_MAX)
                        return -EINVAL;

                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        /* Lexical "..": drop the last component; at the root it stays at the root. */
                        while (n > 0 && buf[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--;
                } else if (!(k == 1 && p[0] == '.')) {
                        if (n > 0)
                                buf[n++] = '/';
                        memcpy(buf + n, p, k);
                        n += k;
                }
                p += k;
        }
        buf[n] = 0;

        *ret = TAKE_PTR(buf);
        return 0;
}

/* Splits a normalised non-empty path into an allocated parent ("" for the root) and a pointer to the last
 * component inside path. */
static int split_path(const char *path, char **ret_parent, const char **ret_base) {
        const char *slash = strrchr(path, '/');
        char *parent;

        parent = slash ? strndup(path, (size_t) (slash - path)) : strdup("");
        if (!parent)
                return -ENOMEM;
        *ret_parent = parent;
        *ret_base = slash ? slash + 1 : path;
        return 0;
}

static bool errno_wants_walk(int e) {
        switch (e) {
        case ENOSYS:
        case ENOENT:
        case ELOOP:
        case ENOTDIR:
        case EXDEV:
        case EAGAIN:
                return true;
        default:
                return false;
        }
}

/* One step of the walk: the directory "name" in fd as an O_PATH fd, never following a symlink. */
static int open_child_dir(int fd, const char *name, bool create, dev_t root_dev) {
        _cleanup_close_ int child = -EBADF;
        struct stat st;

        child = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0 && errno == ENOENT && create) {
                if (mkdirat(fd, name, 0755) >= 0)
                        /* Not subject to the umask. We just created it and nobody else writes here. */
                        (void) fchmodat(fd, name, 0755, 0);
                else if (errno != EEXIST)
                        return -errno;
                child = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (child < 0) {
                int r = -errno;

                /* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR; tell the two apart for the message. */
                if (r == -ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
                        return -ELOOP;
                return r;
        }
        if (fstat(child, &st) < 0)
                return -errno;
        if (st.st_dev != root_dev)
                return -EXDEV;
        return TAKE_FD(child);
}

/* Opens the directory "path" (normalised, "" for the root) below the layer root as an O_PATH fd without
 * following a symlink in any component: a symlink is -ELOOP, a non-directory -ENOTDIR, another file system
 * -EXDEV, and *ret_bad (if non-NULL) names the failing prefix. With create, missing components become 0755
 * directories. */
static int open_dir_nofollow(Extractor *x, const char *path, bool create, int *ret_fd, char **ret_bad) {
        struct berth_open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS | BERTH_RESOLVE_NO_XDEV |
                        BERTH_RESOLVE_NO_SYMLINKS,
        };
        _cleanup_close_ int fd = -EBADF;

        assert(x);
        assert(path);
        assert(ret_fd);

        fd = sys_openat2(x->dir_fd, isempty(path) ? "." : path, &how, sizeof(how));
        if (fd >= 0) {
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        /* No openat2, missing components to create, or a failure we want the culprit of for the message:
         * walk component by component. The walk is safe on its own, openat2 is the fast path. */
        if (!errno_wants_walk(errno))
                return -errno;

        fd = openat(x->dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        for (const char *p = path; *p;) {
                _cleanup_free_ char *c = NULL;
                size_t k = strcspn(p, "/");
                int child;

                c = strndup(p, k);
                if (!c)
                        return -ENOMEM;

                child = open_child_dir(fd, c, create, x->root_dev);
                if (child < 0) {
                        if (ret_bad)
                                *ret_bad = strndup(path, (size_t) (p - path) + k);
                        return child;
                }
                safe_close(fd);
                fd = child;

                p += k;
                p += strspn(p, "/");
        }

        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int fail_open_dir(Extractor *x, int r, const char *entry, const char *what, const char *path,
        const char *bad) {
        const char *b = bad ?: path;

        switch (r) {
        case -ELOOP:
                return fail(x, r, entry, "%s '%s' is a symlink", what, b);
        case -ENOTDIR:
                return fail(x, r, entry, "%s '%s' is not a directory", what, b);
        case -ENOENT:
                return fail(x, r, entry, "%s '%s' does not exist", what, b);
        case -EXDEV:
                return fail(x, r, entry, "%s '%s' is on another file system", what, b);
        default:
                return fail(x, r, entry, "cannot open %s '%s': %s", what, b, strerror(-r));
        }
}

/* Makes room for a new entry "base" in parent_fd without following it. Returns 1 if an existing directory
 * was kept (keep_dir), 0 if the name is free now. */
static int clear_target(int parent_fd, const char *base, bool keep_dir) {
        struct stat st;

        if (fstatat(parent_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                if (keep_dir)
                        return 1;
                return rm_rf_at(parent_fd, base);
        }
        return RET_NERRNO(unlinkat(parent_fd, base, 0));
}

static int entry_owner(struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid) {
        la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

        /* (uid_t) -1 means "unchanged" to chown(), so it is as invalid as a negative id. */
        if (uid < 0 || uid >= (la_int64_t) UINT32_MAX || gid < 0 || gid >= (la_int64_t) UINT32_MAX)
                return -EINVAL;
        *ret_uid = (uid_t) uid;
        *ret_gid = (gid_t) gid;
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[static 2]) {
        ts[1] = (struct timespec){ .tv_nsec = UTIME_OMIT };
        if (archive_entry_mtime_is_set(e)) {
                ts[1].tv_sec = (time_t) archive_entry_mtime(e);
                ts[1].tv_nsec = archive_entry_mtime_nsec(e);
                if (ts[1].tv_nsec < 0 || ts[1].tv_nsec >= 1000000000)
                        ts[1].tv_nsec = 0;
        }
        ts[0] = ts[1];
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = (time_t) archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
                if (ts[0].tv_nsec < 0 || ts[0].tv_nsec >= 1000000000)
                        ts[0].tv_nsec = 0;
        }
}

static bool xattr_allowed(const char *name) {
        return startswith(name, "user.") || streq(name, "security.capability");
}

/* Ownership, xattrs and mode of an entry we hold an fd for (regular file or directory). */
static int apply_metadata_fd(Extractor *x, int fd, struct archive_entry *e, const char *entry) {
        const char *name;
        const void *value;
        size_t size;
        uid_t uid;
        gid_t gid;

        struct stat st;
        mode_t mode = archive_entry_perm(e) & 07777;

        if (entry_owner(e, &uid, &gid) < 0)
                return fail(x, SYNTHETIC_ERRNO(EINVAL), entry, "uid/gid out of range");
        /* Most entries are root's and get the mode they were created with: skip what is already so (each
         * chown/chmod is an inode update in the journal). A skipped chown cleared nothing either. */
        if (fstat(fd, &st) < 0)
                return fail(x, -errno, entry, "cannot stat: %s", strerror(errno));
        if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0)
                return fail(x, -errno, entry, "cannot change owner: %s", strerror(errno));

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                if (!name)
                        continue;
                if (!xattr_allowed(name)) {
                        log_debug("Tar entry: skipping xattr '%s'", name);
                        continue;
                }
                if (fsetxattr(fd, name, value, size, 0) < 0) {
                        if (errno == EOPNOTSUPP) {
                                log_debug_errno(-errno,
                                        "Tar entry: file system refuses xattr '%s', skipping: %m", name);
                                continue;
                        }
                        return fail(x, -errno, entry, "cannot set xattr '%s': %s", name, strerror(errno));
                }
        }

        /* chown may have cleared setuid/setgid bits, and a new inode never has them: those always get a chmod */
        if (((st.st_mode & 07777) != mode || (mode & 06000)) && fchmod(fd, mode) < 0)
                return fail(x, -errno, entry, "cannot change mode: %s", strerror(errno));
        return 0;
}

/* Ownership and times of an entry we do not open (symlink, device node, FIFO), by name below parent_fd. */
static int apply_metadata_at(Extractor *x, int parent_fd, const char *base, struct archive_entry *e,
        const char *entry, bool set_mode) {
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;

        if (entry_owner(e, &uid, &gid) < 0)
                return fail(x, SYNTHETIC_ERRNO(EINVAL), entry, "uid/gid out of range");
        if (fchownat(parent_fd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(x, -errno, entry, "cannot change owner: %s", strerror(errno));
        /* fchmodat() follows symlinks, so only for the device nodes and FIFOs we just created ourselves. */
        if (set_mode && fchmodat(parent_fd, base, archive_entry_perm(e) & 07777, 0) < 0)
                return fail(x, -errno, entry, "cannot change mode: %s", strerror(errno));
        entry_times(e, ts);
        if (utimensat(parent_fd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(x, -errno, entry, "cannot set times: %s", strerror(errno));
        return 0;
}

static int archive_failure(Extractor *x, struct archive *a, const char *entry) {
        const char *s = archive_error_string(a);

        if (x->io_error < 0)
                return fail(x, x->io_error, entry, "cannot read layer: %s", strerror(-x->io_error));
        return fail(x, SYNTHETIC_ERRNO(EBADMSG), entry, "corrupt layer: %s",
                s ?: "unknown libarchive error");
}

/* Writes the entry's data blocks; *ret_end is the end of the last one (the file's size unless it ends in a
 * hole). */
static int write_data(Extractor *x, struct archive *tar, int fd, const char *entry, uint64_t *ret_end) {
        *ret_end = 0;
        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                int r;

                r = archive_read_data_block(tar, &buf, &size, &offset);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return archive_failure(x, tar, entry);
                if (offset < 0)
                        return fail(x, SYNTHETIC_ERRNO(EBADMSG), entry, "negative data offset");

                /* pwrite() at the block's offset leaves the gaps of sparse entries as holes. */
                while (size > 0) {
                        ssize_t n = pwrite(fd, buf, size, (off_t) offset);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return fail(x, -errno, entry, "cannot write: %s", strerror(errno));
                        }
                        buf = (const uint8_t *) buf + n;
                        size -= (size_t) n;
                        offset += n;
                }
                *ret_end = MAX(*ret_end, (uint64_t) offset);
        }
}

static int extract_regular(Extractor *x, struct archive *tar, struct archive_entry *e, int parent_fd,
        const char *base, const char *entry) {
        _cleanup_close_ int fd = -EBADF;
        struct timespec ts[2];
        la_int64_t size;
        uint64_t end;
        int r;

        r = clear_target(parent_fd, base, /* keep_dir= */ false);
        if (r < 0)
                return fail(x, r, entry, "cannot replace existing file: %s", strerror(-r));

        /* Created with its final permission bits where the umask allows (no chmod then); the setuid/setgid
         * and sticky bits only come after the chown, in apply_metadata_fd(). The work dir is not reachable by
         * others meanwhile. */
        fd = openat(parent_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                archive_entry_perm(e) & 0777);
        if (fd < 0)
                return fail(x, -errno, entry, "cannot create file: %s", strerror(errno));

        r = write_data(x, tar, fd, entry, &end);
        if (r < 0)
                return r;

        size = archive_entry_size(e);
        if (archive_entry_size_is_set(e) && size >= 0) {
                /* Extends sparse files whose last block is a hole (a truncate is an inode update: only then). */
                if ((uint64_t) size != end && ftruncate(fd, (off_t) size) < 0)
                        return fail(x, -errno, entry, "cannot set file size: %s", strerror(errno));
                x->content_size += (uint64_t) size;
        }

        r = apply_metadata_fd(x, fd, e, entry);
        if (r < 0)
                return r;
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
                return fail(x, -errno, entry, "cannot set times: %s", strerror(errno));
        return 0;
}

static int extract_directory(Extractor *x, struct archive_entry *e, int parent_fd, const char *base,
        const char *path, const char *entry) {
        _cleanup_close_ int fd = -EBADF;
        DirTimes *d;
        int r;

        r = clear_target(parent_fd, base, /* keep_dir= */ true);
        if (r < 0)
                return fail(x, r, entry, "cannot replace existing file: %s", strerror(-r));
        if (r == 0 && mkdirat(parent_fd, base, 0700) < 0)
                return fail(x, -errno, entry, "cannot create directory: %s", strerror(errno));

        fd = openat(parent_fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return fail(x, -errno, entry, "cannot open directory: %s", strerror(errno));

        r = apply_metadata_fd(x, fd, e, entry);
        if (r < 0)
                return r;

        /* Times come last, in finish_directories(): every child created below changes them. */
        if (x->n_dirs == x->n_dirs_allocated) {
                size_t n = MAX(x->n_dirs_allocated * 2, (size_t) 16);
                DirTimes *p = reallocarray(x->dirs, n, sizeof(DirTimes));
                if (!p)
                        return -ENOMEM;
                x->dirs = p;
                x->n_dirs_allocated = n;
        }
        d = x->dirs + x->n_dirs;
        d->path = strdup(path);
        if (!d->path)
                return -ENOMEM;
        entry_times(e, d->ts);
        x->n_dirs++;
        return 0;
}

static int extract_symlink(Extractor *x, struct archive_entry *e, int parent_fd, const char *base,
        const char *entry) {
        const char *target = archive_entry_symlink(e);
        int r;

        if (isempty(target))
                return fail(x, SYNTHETIC_ERRNO(EBADMSG), entry, "symlink without a target");
        if (strnlen(target, PATH_MAX) >= PATH_MAX)
                return fail(x, SYNTHETIC_ERRNO(EINVAL), entry, "symlink target too long");

        r = clear_target(parent_fd, base, /* keep_dir= */ false);
        if (r < 0)
                return fail(x, r, entry, "cannot replace existing file: %s", strerror(-r));

        /* The target is stored verbatim: it may point anywhere, we never follow it. */
        if (symlinkat(target, parent_fd, base) < 0)
                return fail(x, -errno, entry, "cannot create symlink: %s", strerror(errno));

        return apply_metadata_at(x, parent_fd, base, e, entry, /* set_mode= */ false);
}

static int extract_node(Extractor *x, struct archive_entry *e, mode_t type, int parent_fd, const char *base,
        const char *entry) {
        dev_t rdev = 0;
        int r;

        if (type != S_IFIFO)
                rdev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));

        r = clear_target(parent_fd, base, /* keep_dir= */ false);
        if (r < 0)
                return fail(x, r, entry, "cannot replace existing file: %s", strerror(-r));
        if (mknodat(parent_fd, base, type | 0600, rdev) < 0)
                return fail(x, -errno, entry, "cannot create device node: %s", strerror(errno));

        return apply_metadata_at(x, parent_fd, base, e, entry, /* set_mode= */ true);
}

static int extract_hardlink(Extractor *x, const char *hardlink, int parent_fd, const char *base,
        const char *entry) {
        _cleanup_free_ char *target = NULL, *target_parent = NULL, *bad = NULL;
        _cleanup_close_ int target_fd = -EBADF;
        const char *target_base;
        struct stat st, existing;
        int r;

        r = layer_normalize_path(hardlink, &target);
        if (r < 0)
                return fail(x, r, entry, "invalid hardlink target");
        if (isempty(target))
                return fail(x, SYNTHETIC_ERRNO(EISDIR), entry, "hardlink target '%s' is a directory",
                        hardlink);

        r = split_path(target, &target_parent, &target_base);
        if (r < 0)
                return r;

        r = open_dir_nofollow(x, target_parent, /* create= */ false, &target_fd, &bad);
        if (r == -ENOENT)
                return fail(x, r, entry, "hardlink target '%s' does not exist", target);
        if (r < 0)
                return fail_open_dir(x, r, entry, "directory of hardlink target", target_parent, bad);

        if (fstatat(target_fd, target_base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return fail(x, -ENOENT, entry, "hardlink target '%s' does not exist", target);
                return fail(x, -errno, entry, "cannot stat hardlink target '%s': %s", target,
                        strerror(errno));
        }
        if (S_ISDIR(st.st_mode))
                return fail(x, SYNTHETIC_ERRNO(EISDIR), entry, "hardlink target '%s' is a directory",
                        target);

        /* A link to itself, or repeated: nothing to do, and unlinking first would lose the file. */
        if (fstatat(parent_fd, base, &existing, AT_SYMLINK_NOFOLLOW) >= 0 && existing.st_dev == st.st_dev &&
                existing.st_ino == st.st_ino)
                return 0;

        r = clear_target(parent_fd, base, /* keep_dir= */ false);
        if (r < 0)
                return fail(x, r, entry, "cannot replace existing file: %s", strerror(-r));

        /* Never AT_SYMLINK_FOLLOW: a link to a symlink links the symlink. */
        if (linkat(target_fd, target_base, parent_fd, base, 0) < 0)
                return fail(x, -errno, entry, "cannot link to '%s': %s", target, strerror(errno));
        return 0;
}

static int extract_whiteout(Extractor *x, const char *parent, const char *name, const char *entry) {
        _cleanup_free_ char *bad = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        int r;

        if (streq(name, ".wh..opq")) {
                _cleanup_close_ int fd = -EBADF;

                r = open_dir_nofollow(x, parent, /* create= */ true, &parent_fd, &bad);
                if (r < 0)
                        return fail_open_dir(x, r, entry, "parent", parent, bad);

                /* xattrs need a real fd; reopening "." of the O_PATH fd follows nothing. */
                fd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return fail(x, -errno, entry, "cannot open directory: %s", strerror(errno));
                if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return fail(x, -errno, entry, "cannot mark directory opaque: %s", strerror(errno));
                return 0;
        }

        if (isempty(name) || streq(name, ".") || streq(name, "..") || startswith(name, ".wh."))
                return fail(x, SYNTHETIC_ERRNO(EINVAL), entry, "invalid whiteout name");

        r = open_dir_nofollow(x, parent, /* create= */ true, &parent_fd, &bad);
        if (r < 0)
                return fail_open_dir(x, r, entry, "parent", parent, bad);

        r = rm_rf_at(parent_fd, name);
        if (r < 0)
                return fail(x, r, entry, "cannot remove whited-out '%s': %s", name, strerror(-r));
        if (mknodat(parent_fd, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
                return fail(x, -errno, entry, "cannot create whiteout: %s", strerror(errno));
        return 0;
}

static bool is_node_type(mode_t type) {
        return type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO;
}

static int extract_entry(Extractor *x, struct archive *tar, struct archive_entry *e) {
        _cleanup_free_ char *path = NULL, *parent = NULL, *bad = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        const char *entry, *base, *hardlink, *wh;
        mode_t type;
        int r;

        entry = archive_entry_pathname(e);
        if (!entry)
                return fail(x, SYNTHETIC_ERRNO(EBADMSG), NULL, "tar entry without a usable name");

        r = layer_normalize_path(entry, &path);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(x, r, entry, "invalid name");

        hardlink = archive_entry_hardlink(e);
        type = archive_entry_filetype(e);

        if (isempty(path)) {
                if (!hardlink && type == AE_IFDIR) {
                        log_debug("Ignoring root directory entry '%s'.", entry);
                        return 0;
                }
                return fail(x, SYNTHETIC_ERRNO(EINVAL), entry, "refusing to replace the layer root");
        }

        r = split_path(path, &parent, &base);
        if (r < 0)
                return r;

        wh = startswith(base, ".wh.");
        if (wh)
                return extract_whiteout(x, parent, wh, entry);

        if (!hardlink && is_node_type(type) && !(x->flags & LAYER_EXTRACT_ALLOW_DEVICES)) {
                log_debug("Skipping device node or FIFO '%s' (devices not allowed).", entry);
                return 0;
        }
        if (!hardlink && !is_node_type(type) && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
                log_debug("Skipping tar entry '%s' of unsupported type 0%o.", entry, (unsigned) type);
                return 0;
        }

        r = open_dir_nofollow(x, parent, /* create= */ true, &parent_fd, &bad);
        if (r < 0)
                return fail_open_dir(x, r, entry, "parent", parent, bad);

        if (hardlink)
                return extract_hardlink(x, hardlink, parent_fd, base, entry);

        switch (type) {
        case AE_IFREG:
                return extract_regular(x, tar, e, parent_fd, base, entry);
        case AE_IFDIR:
                return extract_directory(x, e, parent_fd, base, path, entry);
        case AE_IFLNK:
                return extract_symlink(x, e, parent_fd, base, entry);
        case AE_IFCHR:
                return extract_node(x, e, S_IFCHR, parent_fd, base, entry);
        case AE_IFBLK:
                return extract_node(x, e, S_IFBLK, parent_fd, base, entry);
        default:
                return extract_node(x, e, S_IFIFO, parent_fd, base, entry);
        }
}

/* Directory times, after all entries. A directory that was replaced or removed since is skipped. */
static void finish_directories(Extractor *x) {
        for (size_t i = 0; i < x->n_dirs; i++) {
                _cleanup_free_ char *parent = NULL;
                _cleanup_close_ int fd = -EBADF;
                const char *base;
                struct stat st;

                if (split_path(x->dirs[i].path, &parent, &base) < 0)
                        continue;
                if (open_dir_nofollow(x, parent, /* create= */ false, &fd, /* ret_bad= */ NULL) < 0)
                        continue;
                if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (utimensat(fd, base, x->dirs[i].ts, AT_SYMLINK_NOFOLLOW) < 0)
                        log_debug_errno(-errno, "Cannot set times of directory '%s', ignoring: %m",
                                x->dirs[i].path);
        }
}

/* --- the decompressing thread ----------------------------------------------------------------------- */

/* Outer reader: raw bytes from input_fd, hashed as the compressed digest. */
static la_ssize_t outer_read(struct archive *a, void *userdata, const void **ret_buf) {
        Extractor *x = userdata;
        ssize_t n;

        do
                n = read(x->input_fd, x->input_buffer, sizeof(x->input_buffer));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                x->outer_io_error = -errno;
                archive_set_error(a, errno, "Cannot read layer input: %s", strerror(errno));
                return -1;
        }
        sha256_update(x->compressed_hash, x->input_buffer, (size_t) n);
        x->compressed_size += (uint64_t) n;
        *ret_buf = x->input_buffer;
        return n;
}

/* Records why the stream failed (the first reason), as text for both the tar side's archive error and the
 * final message. */
static int stream_fail(Extractor *x, int error, const char *text, const char *message) {
        if (!x->stream_text) {
                x->stream_text = strdup(text);
                x->stream_message = strdup(message);
                if (x->stream_text)
                        make_printable(x->stream_text);
                if (x->stream_message)
                        make_printable(x->stream_message);
        }
        return error;
}

static int stream_archive_failure(Extractor *x) {
        const char *s = archive_error_string(x->outer);
        _cleanup_free_ char *m = NULL;

        if (x->outer_io_error < 0) {
                m = asprintf_safe("cannot read layer: %s", strerror(-x->outer_io_error));
                return stream_fail(x, x->outer_io_error, s ?: "cannot read layer input", m ?: "");
        }
        m = asprintf_safe("corrupt layer: %s", s ?: "unknown libarchive error");
        return stream_fail(x, -EBADMSG, s ?: "cannot decompress layer", m ?: "");
}

static int open_outer(Extractor *x) {
        struct archive_entry *e;
        int r;

        x->outer = archive_read_new();
        if (!x->outer)
                return -ENOMEM;

        /* Only the compressions images use. ARCHIVE_WARN means libarchive falls back to an external program,
         * which still works. Not filter_all: it would also pick e.g. uudecode or lrzip by content. */
        if (archive_read_support_filter_gzip(x->outer) < ARCHIVE_WARN ||
                archive_read_support_filter_zstd(x->outer) < ARCHIVE_WARN ||
                archive_read_support_filter_xz(x->outer) < ARCHIVE_WARN ||
                archive_read_support_filter_bzip2(x->outer) < ARCHIVE_WARN ||
                archive_read_support_format_raw(x->outer) != ARCHIVE_OK ||
                archive_read_support_format_empty(x->outer) != ARCHIVE_OK) {
                _cleanup_free_ char *m = asprintf_safe("libarchive: %s",
                        archive_error_string(x->outer) ?: "missing filter support");
                return stream_fail(x, -EOPNOTSUPP, m ?: "libarchive", m ?: "");
        }

        if (archive_read_open(x->outer, x, /* open= */ NULL, outer_read, /* close= */ NULL) != ARCHIVE_OK)
                return stream_archive_failure(x);

        r = archive_read_next_header(x->outer, &e);
        if (r == ARCHIVE_EOF) {
                /* Nothing at all (after decompression): an empty layer. */
                x->outer_eof = true;
                return 0;
        }
        if (r < ARCHIVE_WARN)
                return stream_archive_failure(x);
        return 0;
}

/* The next chunk of the uncompressed stream into buf, hashed as the diff_id. 0 at the end. */
static la_ssize_t pull_uncompressed(Extractor *x, uint8_t *buf, size_t size) {
        la_ssize_t n;

        if (x->outer_eof)
                return 0;
        n = archive_read_data(x->outer, buf, size);
        if (n < 0)
                return stream_archive_failure(x);
        if (n == 0) {
                x->outer_eof = true;
                return 0;
        }
        sha256_update(x->diff_hash, buf, (size_t) n);
        x->uncompressed_size += (uint64_t) n;
        if (x->uncompressed_size > x->max_size) {
                _cleanup_free_ char *m = asprintf_safe("layer unpacks to more than %" PRIu64
                                                       " bytes (a decompression bomb?); "
                                                       "$BERTH_LAYER_MAX_SIZE raises the limit",
                        x->max_size);
                return stream_fail(x, -EFBIG, "layer too large", m ?: "layer too large");
        }
        return n;
}

static int produce(Extractor *x) {
        int r;

        r = open_outer(x);
        if (r < 0)
                return r;

        for (;;) {
                uint8_t *buf;
                unsigned slot;
                bool queue;
                la_ssize_t n;

                pthread_mutex_lock(&x->lock);
                while (!x->cancel && !x->tar_done && x->filled == STREAM_SLOTS)
                        pthread_cond_wait(&x->changed, &x->lock);
                if (x->cancel) {
                        pthread_mutex_unlock(&x->lock);
                        return -ECANCELED;
                }
                queue = !x->tar_done;
                /* free: the tar side only touches slots first .. first+filled-1 */
                slot = (x->first + x->filled) % STREAM_SLOTS;
                pthread_mutex_unlock(&x->lock);

                buf = queue ? x->slots[slot] : x->scratch;
                n = pull_uncompressed(x, buf, STREAM_SLOT_SIZE);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                if (queue) {
                        pthread_mutex_lock(&x->lock);
                        x->slot_size[slot] = (size_t) n;
                        x->filled++;
                        pthread_cond_broadcast(&x->changed);
                        pthread_mutex_unlock(&x->lock);
                }
        }

        /* The decompressor may stop before the end of the input (e.g. trailing bytes after a gzip member);
         * the compressed digest covers every byte all the same. */
        for (;;) {
                ssize_t n = read(x->input_fd, x->input_buffer, sizeof(x->input_buffer));
                if (n < 0) {
                        _cleanup_free_ char *m = NULL;

                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        m = asprintf_safe("cannot read layer input: %s", strerror(-r));
                        return stream_fail(x, r, m ?: "cannot read layer input", m ?: "");
                }
                if (n == 0)
                        return 0;
                sha256_update(x->compressed_hash, x->input_buffer, (size_t) n);
                x->compressed_size += (uint64_t) n;
        }
}

static void *decompress_thread(void *p) {
        Extractor *x = p;
        int r = produce(x);

        pthread_mutex_lock(&x->lock);
        x->stream_error = r < 0 ? r : 0;
        x->stream_done = true;
        pthread_cond_broadcast(&x->changed);
        pthread_mutex_unlock(&x->lock);
        return NULL;
}

/* --- the tar side ------------------------------------------------------------------------------------ */

/* Inner reader: the tar parser's input, the decompressing thread's next block. The block handed out last time
 * is released first: libarchive keeps no pointer into a block past the next read. */
static la_ssize_t inner_read(struct archive *a, void *userdata, const void **ret_buf) {
        Extractor *x = userdata;
        la_ssize_t n = 0;

        pthread_mutex_lock(&x->lock);
        if (x->holding) {
                x->first = (x->first + 1) % STREAM_SLOTS;
                x->filled--;
                x->holding = false;
                pthread_cond_broadcast(&x->changed);
        }
        while (x->filled == 0 && !x->stream_done)
                pthread_cond_wait(&x->changed, &x->lock);
        if (x->filled > 0) {
                x->holding = true;
                *ret_buf = x->slots[x->first];
                n = (la_ssize_t) x->slot_size[x->first];
        } else if (x->stream_error < 0) {
                /* stream_text and outer_io_error were written before stream_done, under the lock */
                x->io_error = x->outer_io_error;
                archive_set_error(a, -x->stream_error, "%s", x->stream_text ?: "cannot decompress layer");
                n = -1;
        }
        pthread_mutex_unlock(&x->lock);
        return n;
}

static int extract_tar(Extractor *x) {
        _cleanup_(archive_read_freep) struct archive *tar = NULL;
        int r;

        tar = archive_read_new();
        if (!tar)
                return -ENOMEM;
        if (archive_read_support_format_tar(tar) != ARCHIVE_OK ||
                archive_read_support_format_empty(tar) != ARCHIVE_OK)
                return fail(x, SYNTHETIC_ERRNO(EOPNOTSUPP), NULL, "libarchive: %s",
                        archive_error_string(tar) ?: "missing tar support");
        if (archive_read_open(tar, x, /* open= */ NULL, inner_read, /* close= */ NULL) != ARCHIVE_OK)
                return archive_failure(x, tar, NULL);

        for (;;) {
                struct archive_entry *e;

                r = archive_read_next_header(tar, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return archive_failure(x, tar, NULL);
                if (r == ARCHIVE_WARN)
                        log_debug("libarchive warning on tar entry: %s", archive_error_string(tar) ?: "?");

                if (++x->n_entries > x->max_entries)
                        return fail(x, SYNTHETIC_ERRNO(EFBIG), NULL,
                                "layer has more than %" PRIu64
                                " entries; $BERTH_LAYER_MAX_ENTRIES raises the limit",
                                x->max_entries);
                r = extract_entry(x, tar, e);
                if (r < 0)
                        return r;
        }
}

static int extract_all(Extractor *x) {
        pthread_t t;
        int r;

        for (size_t i = 0; i < STREAM_SLOTS; i++) {
                x->slots[i] = malloc(STREAM_SLOT_SIZE);
                if (!x->slots[i])
                        return -ENOMEM;
        }
        r = -pthread_create(&t, NULL, decompress_thread, x);
        if (r < 0)
                return fail(x, r, NULL, "cannot start the decompressing thread: %s", strerror(-r));

        r = extract_tar(x);

        /* On success the rest of the stream is only hashed (the decompressor runs to the end of the input);
         * on failure the thread stops at its next block. */
        pthread_mutex_lock(&x->lock);
        if (r < 0)
                x->cancel = true;
        else
                x->tar_done = true;
        pthread_cond_broadcast(&x->changed);
        pthread_mutex_unlock(&x->lock);
        (void) pthread_join(t, NULL);
        if (r < 0 && x->stream_error < 0 && x->stream_error != -ECANCELED && x->stream_message) {
                /* the stream failed first (a bomb, a read error, corrupt compression): the tar side only
                 * saw it end early, so the stream's error is the one to report */
                x->error = mfree(x->error);
                return fail(x, x->stream_error, NULL, "%s", x->stream_message);
        }
        if (r < 0)
                return r;

        if (x->stream_error < 0)
                return fail(x, x->stream_error, NULL, "%s", x->stream_message ?: "cannot decompress layer");

        finish_directories(x);
        return 0;
}

int layer_extract(int input_fd, int dir_fd, LayerExtractFlags flags, LayerExtractResult *ret,
        char **reterr_msg) {
        _cleanup_(extractor_freep) Extractor *x = NULL;
        LayerExtractResult result = {};
        struct stat st;
        int r;

        assert(input_fd >= 0);
        assert(dir_fd >= 0);

        if (fstat(dir_fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        r = dlopen_libarchive();
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg = strdup("libarchive (" LIBARCHIVE_SONAME ") could not be loaded");
                return r;
        }

        x = calloc(1, sizeof(Extractor));
        if (!x)
                return -ENOMEM;
        x->input_fd = input_fd;
        x->dir_fd = dir_fd;
        x->root_dev = st.st_dev;
        x->flags = flags;
        x->max_size = getenv_uint64("BERTH_LAYER_MAX_SIZE", LAYER_MAX_SIZE);
        x->max_entries = getenv_uint64("BERTH_LAYER_MAX_ENTRIES", LAYER_MAX_ENTRIES);
        pthread_mutex_init(&x->lock, NULL);
        pthread_cond_init(&x->changed, NULL);
        x->compressed_hash = sha256_new();
        x->diff_hash = sha256_new();
        if (!x->compressed_hash || !x->diff_hash)
                return -ENOMEM;

        r = extract_all(x);
        if (r < 0) {
                if ((flags & LAYER_EXTRACT_DIGEST_ON_ERROR) && ret) {
                        ssize_t n;

                        while ((n = read(x->input_fd, x->input_buffer, sizeof(x->input_buffer))) > 0 ||
                                (n < 0 && errno == EINTR))
                                if (n > 0)
                                        sha256_update(x->compressed_hash, x->input_buffer, (size_t) n);
                        *ret = (LayerExtractResult){};
                        if (n == 0)
                                sha256_final_digest(x->compressed_hash, ret->compressed_digest);
                }
                if (reterr_msg) {
                        if (!x->error)
                                x->error = asprintf_safe("layer extraction failed: %s", strerror(-r));
                        *reterr_msg = TAKE_PTR(x->error);
                }
                return r;
        }

        sha256_final_digest(x->diff_hash, result.diff_id);
        sha256_final_digest(x->compressed_hash, result.compressed_digest);
        result.compressed_size = x->compressed_size;
        result.uncompressed_size = x->uncompressed_size;
        result.content_size = x->content_size;
        result.n_entries = x->n_entries;

        if (ret)
                *ret = result;
        return 0;
}
