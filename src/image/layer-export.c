/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer-export.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fd-util.h"
#include "image-dl.h"
#include "log.h"
#include "string-util.h"

#define COPY_BUFFER_SIZE (256u * 1024)
#define XATTR_LIST_MAX_SIZE (64u * 1024)
#define XATTR_VALUE_MAX_SIZE (64u * 1024)

typedef struct Inode {
        dev_t dev;
        ino_t ino;
        char *path;
} Inode;

typedef struct Exporter {
        struct archive *tar;
        struct archive *gz; /* LAYER_EXPORT_GZIP: the compressor the tar stream is fed through */
        struct archive_entry *entry;
        int out_fd;
        int write_error; /* from out_fd, reported instead of libarchive's text */

        Sha256 *diff_hash, *out_hash;
        uint64_t size, written;

        Inode *inodes; /* files with more than one link, by first path */
        size_t n_inodes;

        char *error;
        uint8_t *buffer;
} Exporter;

static void exporter_done(Exporter *x) {
        (void) archive_write_free(x->tar);
        (void) archive_write_free(x->gz);
        if (x->entry)
                archive_entry_free(x->entry);
        sha256_free(x->diff_hash);
        sha256_free(x->out_hash);
        for (size_t i = 0; i < x->n_inodes; i++)
                free(x->inodes[i].path);
        free(x->inodes);
        free(x->error);
        free(x->buffer);
}

static int fail(Exporter *x, int error, const char *path, const char *format, ...) _printf_(4, 5);
static int fail(Exporter *x, int error, const char *path, const char *format, ...) {
        _cleanup_free_ char *what = NULL;
        char *msg;
        va_list ap;
        int r;

        va_start(ap, format);
        if (vasprintf(&what, format, ap) < 0)
                what = NULL;
        va_end(ap);
        msg = path ? asprintf_safe("'%s': %s", path, what ?: "?") : TAKE_PTR(what);
        r = log_debug_errno(error, "Layer export failed: %s", msg ?: "(out of memory for the message)");
        if (!x->error)
                x->error = msg;
        else
                free(msg);
        return r;
}

/* --- the output chain: tar → [gzip →] out_fd, hashed on both sides of the compressor ------------------- */

static int write_out(Exporter *x, const void *data, size_t size) {
        int r;

        sha256_update(x->out_hash, data, size);
        x->written += size;
        r = loop_write(x->out_fd, data, size);
        if (r < 0)
                x->write_error = r;
        return r;
}

static la_ssize_t gz_write(struct archive *a, void *userdata, const void *buf, size_t size) {
        Exporter *x = userdata;

        if (write_out(x, buf, size) < 0) {
                archive_set_error(a, -x->write_error, "Cannot write the layer: %s",
                        strerror(-x->write_error));
                return -1;
        }
        return (la_ssize_t) size;
}

static la_ssize_t tar_write(struct archive *a, void *userdata, const void *buf, size_t size) {
        Exporter *x = userdata;

        sha256_update(x->diff_hash, buf, size);
        x->size += size;
        if (x->gz) {
                la_ssize_t n = archive_write_data(x->gz, buf, size);
                if (n < 0 || (size_t) n != size) {
                        archive_set_error(a, EIO, "Cannot compress the layer: %s",
                                archive_error_string(x->gz) ?: "?");
                        return -1;
                }
                return (la_ssize_t) size;
        }
        if (write_out(x, buf, size) < 0) {
                archive_set_error(a, -x->write_error, "Cannot write the layer: %s",
                        strerror(-x->write_error));
                return -1;
        }
        return (la_ssize_t) size;
}

static int archive_failure(Exporter *x, struct archive *a, const char *path) {
        if (x->write_error < 0)
                return fail(x, x->write_error, path, "cannot write the layer: %s",
                        strerror(-x->write_error));
        return fail(x, SYNTHETIC_ERRNO(EIO), path, "libarchive: %s",
                archive_error_string(a) ?: "unknown error");
}

static int open_chain(Exporter *x, LayerExportFlags flags) {
        x->tar = archive_write_new();
        x->entry = archive_entry_new();
        if (!x->tar || !x->entry)
                return -ENOMEM;
        if (flags & LAYER_EXPORT_GZIP) {
                struct archive_entry *e;

                x->gz = archive_write_new();
                if (!x->gz)
                        return -ENOMEM;
                /* one "raw" entry: the tar stream, through the gzip filter; no timestamp in the header */
                if (archive_write_add_filter_gzip(x->gz) != ARCHIVE_OK ||
                        archive_write_set_filter_option(x->gz, "gzip", "timestamp", NULL) < ARCHIVE_WARN ||
                        archive_write_set_format_raw(x->gz) != ARCHIVE_OK ||
                        archive_write_set_bytes_per_block(x->gz, 0) != ARCHIVE_OK)
                        return archive_failure(x, x->gz, NULL);
                if (archive_write_open(x->gz, x, /* open= */ NULL, gz_write, /* close= */ NULL) !=
                        ARCHIVE_OK)
                        return archive_failure(x, x->gz, NULL);
                e = archive_entry_new();
                if (!e)
                        return -ENOMEM;
                archive_entry_set_pathname(e, "layer.tar");
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                int r = archive_write_header(x->gz, e);
                archive_entry_free(e);
                if (r != ARCHIVE_OK)
                        return archive_failure(x, x->gz, NULL);
        }
        /* Go's archive/tar ends a stream after the two zero blocks; so do we (no padding to 10 KiB) */
        if (archive_write_set_format_pax(x->tar) != ARCHIVE_OK ||
                archive_write_set_bytes_per_block(x->tar, 10240) != ARCHIVE_OK ||
                archive_write_set_bytes_in_last_block(x->tar, 1) != ARCHIVE_OK)
                return archive_failure(x, x->tar, NULL);
        if (archive_write_open(x->tar, x, /* open= */ NULL, tar_write, /* close= */ NULL) != ARCHIVE_OK)
                return archive_failure(x, x->tar, NULL);
        return 0;
}

static int close_chain(Exporter *x) {
        if (archive_write_close(x->tar) != ARCHIVE_OK)
                return archive_failure(x, x->tar, NULL);
        if (x->gz && archive_write_close(x->gz) != ARCHIVE_OK)
                return archive_failure(x, x->gz, NULL);
        return 0;
}

/* --- entries ------------------------------------------------------------------------------------------- */

static void entry_begin(Exporter *x, const char *name, const struct stat *st) {
        struct archive_entry *e = x->entry;

        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_uid(e, (la_int64_t) st->st_uid);
        archive_entry_set_gid(e, (la_int64_t) st->st_gid);
        archive_entry_set_perm(e, st->st_mode & 07777);
        archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static bool xattr_exported(const char *name) {
        return startswith(name, "user.") || streq(name, "security.capability");
}

/* The xattrs of an open regular file or directory that layer_extract() would restore. */
static int add_xattrs(Exporter *x, int fd, const char *path) {
        _cleanup_free_ char *list = NULL, *value = NULL;
        ssize_t n;

        list = malloc(XATTR_LIST_MAX_SIZE);
        if (!list)
                return -ENOMEM;
        n = flistxattr(fd, list, XATTR_LIST_MAX_SIZE);
        if (n < 0) {
                if (IN_SET(errno, EOPNOTSUPP, ENOTSUP))
                        return 0;
                return fail(x, -errno, path, "cannot list xattrs: %s", strerror(errno));
        }
        value = malloc(XATTR_VALUE_MAX_SIZE);
        if (!value)
                return -ENOMEM;
        for (const char *name = list; name < list + n; name += strlen(name) + 1) {
                ssize_t size;

                if (!xattr_exported(name))
                        continue;
                size = fgetxattr(fd, name, value, XATTR_VALUE_MAX_SIZE);
                if (size < 0) {
                        if (errno == ENODATA)
                                continue;
                        return fail(x, -errno, path, "cannot read xattr '%s': %s", name, strerror(errno));
                }
                archive_entry_xattr_add_entry(x->entry, name, value, (size_t) size);
        }
        return 0;
}

static int write_header(Exporter *x, const char *path) {
        if (archive_write_header(x->tar, x->entry) != ARCHIVE_OK)
                return archive_failure(x, x->tar, path);
        return 0;
}

static int write_empty_file(Exporter *x, const char *name, const struct stat *st, mode_t perm) {
        entry_begin(x, name, st);
        archive_entry_set_filetype(x->entry, AE_IFREG);
        archive_entry_set_perm(x->entry, perm);
        archive_entry_set_size(x->entry, 0);
        return write_header(x, name);
}

/* An inode with more links that was written before under another path, or NULL (then remembered). */
static const char *hardlink_target(Exporter *x, const struct stat *st, const char *path, int *ret_error) {
        Inode *grown;

        *ret_error = 0;
        if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
                return NULL;
        for (size_t i = 0; i < x->n_inodes; i++)
                if (x->inodes[i].dev == st->st_dev && x->inodes[i].ino == st->st_ino)
                        return x->inodes[i].path;
        grown = realloc(x->inodes, sizeof(Inode) * (x->n_inodes + 1));
        if (!grown) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        x->inodes = grown;
        x->inodes[x->n_inodes] = (Inode){ .dev = st->st_dev, .ino = st->st_ino, .path = strdup(path) };
        if (!x->inodes[x->n_inodes].path) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        x->n_inodes++;
        return NULL;
}

static int export_regular(Exporter *x, int dir_fd, const char *name, const char *path,
        const struct stat *st) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st2;
        uint64_t left;
        int r;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return fail(x, -errno, path, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st2) < 0)
                return fail(x, -errno, path, "cannot stat: %s", strerror(errno));
        if (st2.st_ino != st->st_ino || st2.st_dev != st->st_dev || st2.st_size != st->st_size)
                return fail(x, SYNTHETIC_ERRNO(ESTALE), path, "changed while the layer was exported");

        entry_begin(x, path, st);
        archive_entry_set_filetype(x->entry, AE_IFREG);
        archive_entry_set_size(x->entry, st->st_size);
        r = add_xattrs(x, fd, path);
        if (r < 0)
                return r;
        r = write_header(x, path);
        if (r < 0)
                return r;

        for (left = (uint64_t) st->st_size; left > 0;) {
                ssize_t n = read(fd, x->buffer, MIN(left, (uint64_t) COPY_BUFFER_SIZE));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail(x, -errno, path, "cannot read: %s", strerror(errno));
                }
                if (n == 0)
                        return fail(x, SYNTHETIC_ERRNO(ESTALE), path, "shrank while the layer was exported");
                if (archive_write_data(x->tar, x->buffer, (size_t) n) != n)
                        return archive_failure(x, x->tar, path);
                left -= (uint64_t) n;
        }
        if (archive_write_finish_entry(x->tar) != ARCHIVE_OK)
                return archive_failure(x, x->tar, path);
        return 0;
}

static int export_dir_contents(Exporter *x, int dir_fd, const char *prefix);

static int export_directory(Exporter *x, int dir_fd, const char *name, const char *path,
        const struct stat *st) {
        _cleanup_free_ char *dname = NULL, *opq = NULL;
        _cleanup_close_ int fd = -EBADF;
        char flag[2];
        ssize_t n;
        int r;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return fail(x, -errno, path, "cannot open directory: %s", strerror(errno));
        dname = strjoin(path, "/");
        if (!dname)
                return -ENOMEM;
        entry_begin(x, dname, st);
        archive_entry_set_filetype(x->entry, AE_IFDIR);
        r = add_xattrs(x, fd, path);
        if (r < 0)
                return r;
        r = write_header(x, path);
        if (r < 0)
                return r;

        n = fgetxattr(fd, "trusted.overlay.opaque", flag, sizeof(flag));
        if (n == 1 && flag[0] == 'y') {
                opq = strjoin(path, "/.wh..wh..opq");
                if (!opq)
                        return -ENOMEM;
                r = write_empty_file(x, opq, st, st->st_mode & 0777);
                if (r < 0)
                        return r;
        }
        return export_dir_contents(x, fd, path);
}

static int export_one(Exporter *x, int dir_fd, const char *name, const char *prefix) {
        _cleanup_free_ char *path = NULL;
        const char *link;
        struct stat st;
        int r;

        path = prefix ? strjoin(prefix, "/", name) : strdup(name);
        if (!path)
                return -ENOMEM;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(x, -errno, path, "cannot stat: %s", strerror(errno));

        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                _cleanup_free_ char *wh = prefix ? strjoin(prefix, "/.wh.", name) : strjoin(".wh.", name);
                struct stat parent;

                if (!wh)
                        return -ENOMEM;
                /* layer_extract() gives whiteouts the time of extraction: take the directory's, which it
                 * restores, so that exporting an extracted export gives the same bytes again; in the layer
                 * root, whose metadata is the store's, a fixed time */
                if (!prefix)
                        st.st_mtim = (struct timespec){};
                else if (fstat(dir_fd, &parent) < 0)
                        return fail(x, -errno, prefix, "cannot stat: %s", strerror(errno));
                else
                        st.st_mtim = parent.st_mtim;
                return write_empty_file(x, wh, &st, 0600);
        }
        if (S_ISDIR(st.st_mode))
                return export_directory(x, dir_fd, name, path, &st);
        if (S_ISSOCK(st.st_mode)) {
                log_debug("Skipping socket '%s' in the layer", path);
                return 0;
        }

        link = hardlink_target(x, &st, path, &r);
        if (r < 0)
                return r;
        if (link) {
                entry_begin(x, path, &st);
                archive_entry_set_filetype(x->entry, AE_IFREG);
                archive_entry_set_hardlink(x->entry, link);
                archive_entry_set_size(x->entry, 0);
                return write_header(x, path);
        }

        if (S_ISREG(st.st_mode))
                return export_regular(x, dir_fd, name, path, &st);

        entry_begin(x, path, &st);
        if (S_ISLNK(st.st_mode)) {
                _cleanup_free_ char *target = NULL;
                size_t size = (size_t) st.st_size + 1;
                ssize_t n;

                if (size < 2 || size > PATH_MAX)
                        size = PATH_MAX;
                target = malloc(size);
                if (!target)
                        return -ENOMEM;
                n = readlinkat(dir_fd, name, target, size);
                if (n < 0)
                        return fail(x, -errno, path, "cannot read symlink: %s", strerror(errno));
                if ((size_t) n >= size)
                        return fail(x, SYNTHETIC_ERRNO(ENAMETOOLONG), path, "symlink target too long");
                target[n] = 0;
                archive_entry_set_filetype(x->entry, AE_IFLNK);
                archive_entry_set_perm(x->entry, 0777);
                archive_entry_set_symlink(x->entry, target);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                archive_entry_set_filetype(x->entry, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
                archive_entry_set_rdevmajor(x->entry, major(st.st_rdev));
                archive_entry_set_rdevminor(x->entry, minor(st.st_rdev));
        } else if (S_ISFIFO(st.st_mode))
                archive_entry_set_filetype(x->entry, AE_IFIFO);
        else {
                log_debug("Skipping '%s' of unknown type 0%o in the layer", path, (unsigned) st.st_mode);
                return 0;
        }
        return write_header(x, path);
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The names in a directory, sorted bytewise. */
static int read_names(Exporter *x, int dir_fd, const char *path, char ***ret, size_t *ret_n) {
        _cleanup_closedir_ DIR *d = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int fd;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail(x, -errno, path, "cannot open directory: %s", strerror(errno));
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                safe_close(fd);
                return fail(x, r, path, "cannot read directory: %s", strerror(-r));
        }
        errno = 0;
        while ((de = readdir(d))) {
                char **grown;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                grown = realloc(names, sizeof(char *) * (n + 1));
                if (!grown) {
                        free_names(names, n);
                        return -ENOMEM;
                }
                names = grown;
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        free_names(names, n);
                        return -ENOMEM;
                }
                n++;
                errno = 0;
        }
        if (errno != 0) {
                int r = -errno;
                free_names(names, n);
                return fail(x, r, path, "cannot read directory: %s", strerror(-r));
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int export_dir_contents(Exporter *x, int dir_fd, const char *prefix) {
        char **names = NULL;
        size_t n = 0;
        int r;

        r = read_names(x, dir_fd, prefix ?: ".", &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = export_one(x, dir_fd, names[i], prefix);
        free_names(names, n);
        return r;
}

int layer_export_dir(int dir_fd, int out_fd, LayerExportFlags flags, LayerExportResult *ret,
        char **reterr_msg) {
        _cleanup_(exporter_done) Exporter x = { .out_fd = out_fd };
        LayerExportResult result = {};
        char flag[2];
        ssize_t n;
        int r;

        assert(dir_fd >= 0 && out_fd >= 0);

        r = dlopen_libarchive();
        if (r >= 0)
                r = dlopen_libcrypto();
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg =
                                strdup("cannot load libarchive or libcrypto, which exporting layers needs");
                return r;
        }
        x.buffer = malloc(COPY_BUFFER_SIZE);
        x.diff_hash = sha256_new();
        x.out_hash = sha256_new();
        if (!x.buffer || !x.diff_hash || !x.out_hash)
                return -ENOMEM;

        r = open_chain(&x, flags);
        if (r >= 0) {
                /* An opaque layer root: the whiteout goes first. The root's own metadata belongs to the
                 * store (layer_extract() keeps none of a root entry), so the marker gets fixed metadata. */
                n = fgetxattr(dir_fd, "trusted.overlay.opaque", flag, sizeof(flag));
                if (n == 1 && flag[0] == 'y') {
                        struct stat st = {};
                        r = write_empty_file(&x, ".wh..wh..opq", &st, 0644);
                }
        }
        if (r >= 0)
                r = export_dir_contents(&x, dir_fd, NULL);
        if (r >= 0)
                r = close_chain(&x);
        if (r < 0) {
                if (reterr_msg) {
                        *reterr_msg = TAKE_PTR(x.error);
                        if (!*reterr_msg)
                                *reterr_msg = asprintf_safe("layer export failed: %s", strerror(-r));
                }
                return r;
        }

        sha256_final_digest(x.diff_hash, result.diff_id);
        sha256_final_digest(x.out_hash, result.digest);
        result.size = x.size;
        result.written = x.written;
        if (ret)
                *ret = result;
        return 0;
}

int layer_export(ImageStore *s, const char *diff_id, int out_fd, LayerExportFlags flags,
        LayerExportResult *ret, char **reterr_msg) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = image_store_open_layer(s, diff_id, &fd);
        if (r < 0) {
                if (reterr_msg)
                        *reterr_msg =
                                asprintf_safe("layer %s is not in the store: %s", diff_id, strerror(-r));
                return r;
        }
        return layer_export_dir(fd, out_fd, flags, ret, reterr_msg);
}
