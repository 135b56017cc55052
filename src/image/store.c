/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "store.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

#define RECORD_MAX (16u * 1024u * 1024u)
#define BLOB_MAX (64u * 1024u * 1024u)

struct ImageStore {
        char *root;
        int root_fd;
        int lock_fd;
        int lock_held; /* 0, LOCK_SH or LOCK_EX */
};

static const char *const store_dirs[] = {
        "blobs",
        "blobs/sha256",
        "layers",
        "images",
        "containers",
        "tmp",
};

ImageRecord *image_record_free(ImageRecord *r) {
        if (!r)
                return NULL;
        free(r->id);
        strv_free(r->repo_tags);
        strv_free(r->layers);
        free(r->manifest_digest);
        strv_free(r->repo_digests);
        json_object_put(r->config);
        free(r);
        return NULL;
}

void image_record_array_free(ImageRecord **a, size_t n) {
        for (size_t i = 0; i < n; i++)
                image_record_free(a[i]);
        free(a);
}

int image_store_open(const char *root, ImageStore **ret) {
        _cleanup_free_ ImageStore *s = NULL;
        _cleanup_close_ int root_fd = -EBADF, lock_fd = -EBADF;
        int r;

        assert(root && ret);

        if (root[0] != '/')
                return -EINVAL;
        root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        r = mkdir_p_at(root_fd, root + 1, 0755);
        if (r < 0)
                return r;
        root_fd = safe_close(root_fd);
        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(store_dirs); i++)
                if (mkdirat(root_fd, store_dirs[i], 0700) < 0 && errno != EEXIST)
                        return -errno;
        lock_fd = openat(root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0)
                return -errno;

        s = calloc(1, sizeof(ImageStore));
        if (!s)
                return -ENOMEM;
        s->root = strdup(root);
        if (!s->root)
                return -ENOMEM;
        s->root_fd = TAKE_FD(root_fd);
        s->lock_fd = TAKE_FD(lock_fd);
        *ret = TAKE_PTR(s);
        return 0;
}

ImageStore *image_store_free(ImageStore *s) {
        if (!s)
                return NULL;
        safe_close(s->root_fd);
        safe_close(s->lock_fd);
        free(s->root);
        free(s);
        return NULL;
}

const char *image_store_root(ImageStore *s) {
        return s->root;
}

int image_store_root_fd(ImageStore *s) {
        return s->root_fd;
}

/* Removes work dirs whose owner is gone: each owner holds a flock on its dir for as long as it works. */
static void gc_tmp(ImageStore *s) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (opendir_at(s->root_fd, "tmp", &d) < 0)
                return;
        while ((de = readdir(d))) {
                _cleanup_close_ int wfd = -EBADF;

                if (de->d_name[0] == '.')
                        continue;
                wfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (wfd < 0) {
                        /* a stray file (a crash between mkstemp and rename) */
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (flock(wfd, LOCK_EX | LOCK_NB) < 0)
                        continue; /* still in use */
                log_debug("Removing stale work dir 'tmp/%s'", de->d_name);
                (void) rm_rf_at(dirfd(d), de->d_name);
        }
}

/* Removes temp files of atomic writes that a killed command left in a directory written only under LOCK_EX. */
static void gc_temp_files(ImageStore *s, const char *dir) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (opendir_at(s->root_fd, dir, &d) < 0)
                return;
        while ((de = readdir(d)))
                if (startswith(de->d_name, ".#")) {
                        log_debug("Removing stale temp file '%s/%s'", dir, de->d_name);
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                }
}

int image_store_lock(ImageStore *s, int operation) {
        int r;

        assert(operation == LOCK_SH || operation == LOCK_EX);
        r = lock_fd(s->lock_fd, operation);
        if (r < 0)
                return r;
        s->lock_held = operation;
        if (operation == LOCK_EX) {
                gc_tmp(s);
                gc_temp_files(s, ".");
                gc_temp_files(s, "images");
        }
        return 0;
}

void image_store_unlock(ImageStore *s) {
        if (s->lock_held)
                (void) flock(s->lock_fd, LOCK_UN);
        s->lock_held = 0;
}

static void image_store_unlockp(ImageStore **s) {
        if (*s)
                image_store_unlock(*s);
}
#define _cleanup_unlock_ _cleanup_(image_store_unlockp)

static int blob_path(const char *digest, char buf[static sizeof("blobs/sha256/") + SHA256_HEX_LEN]) {
        const char *hex = digest_hex(digest);

        if (!hex)
                return -EINVAL;
        snprintf(buf, sizeof("blobs/sha256/") + SHA256_HEX_LEN, "blobs/sha256/%s", hex);
        return 0;
}

int image_store_put_blob(ImageStore *s, const void *data, size_t size, char ret_digest[DIGEST_STRING_MAX]) {
        char digest[DIGEST_STRING_MAX];
        _cleanup_close_ int dfd = -EBADF;
        struct stat st;

        int r = sha256_digest_of(data, size, digest);

        if (r < 0)
                return r;
        dfd = openat(s->root_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* content-addressed: an existing blob of the right size is the same blob */
        if (fstatat(dfd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
                (size_t) st.st_size != size) {
                r = write_file_atomic_at(dfd, digest + 7, data, size, 0644);
                if (r < 0)
                        return r;
        }
        if (ret_digest)
                memcpy(ret_digest, digest, DIGEST_STRING_MAX);
        return 0;
}

int image_store_read_blob(ImageStore *s, const char *digest, size_t max_size, char **ret, size_t *ret_size) {
        char path[sizeof("blobs/sha256/") + SHA256_HEX_LEN], actual[DIGEST_STRING_MAX];
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = blob_path(digest, path);
        if (r < 0)
                return r;
        r = read_full_file_at(s->root_fd, path, max_size, &data, &size);
        if (r < 0)
                return r;
        r = sha256_digest_of(data, size, actual);
        if (r < 0)
                return r;
        if (!streq(actual, digest))
                return -EBADMSG;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(data);
        return 0;
}

bool image_store_has_layer(ImageStore *s, const char *diff_id) {
        _cleanup_free_ char *p = NULL;
        const char *hex = digest_hex(diff_id);

        if (!hex)
                return false;
        p = strjoin("layers/", hex, "/layer.json");
        return p && faccessat(s->root_fd, p, F_OK, AT_SYMLINK_NOFOLLOW) >= 0;
}

static int write_json_at(int dirfd, const char *name, struct json_object *o) {
        _cleanup_free_ char *text = json_to_string(o, true);

        if (!text)
                return -ENOMEM;
        return write_file_atomic_at(dirfd, name, text, strlen(text), 0644);
}

static int read_json_at(int dirfd, const char *name, struct json_object **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_full_file_at(dirfd, name, RECORD_MAX, &text, &size);
        if (r < 0)
                return r;
        return json_parse(text, size, ret, NULL);
}

int image_store_make_work_dir(ImageStore *s, const char *prefix, char **ret_name, int *ret_fd) {
        _cleanup_(image_store_unlockp) ImageStore *locked = NULL;
        _cleanup_free_ char *work = NULL;
        _cleanup_close_ int tmp_fd = -EBADF, work_fd = -EBADF;
        int r;

        assert(s && prefix && ret_name && ret_fd);
        assert(!s->lock_held);

        tmp_fd = openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp_fd < 0)
                return -errno;

        /* A unique work dir, locked by us while we fill it so a concurrent gc_tmp() leaves it alone. gc_tmp()
         * only runs under LOCK_EX, so holding LOCK_SH until our own flock is in place closes the window. */
        r = image_store_lock(s, LOCK_SH);
        if (r < 0)
                return r;
        locked = s;
        for (unsigned attempt = 0;; attempt++) {
                free(work);
                work = asprintf_safe("%s-%ld-%08lx", prefix, (long) getpid(), (unsigned long) random());
                if (!work)
                        return -ENOMEM;
                if (mkdirat(tmp_fd, work, 0700) >= 0)
                        break;
                if (errno != EEXIST || attempt > 100)
                        return -errno;
        }
        work_fd = openat(tmp_fd, work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (work_fd < 0) {
                r = -errno;
                (void) rm_rf_at(tmp_fd, work);
                return r;
        }
        r = lock_fd(work_fd, LOCK_EX);
        if (r < 0) {
                (void) rm_rf_at(tmp_fd, work);
                return r;
        }
        *ret_name = TAKE_PTR(work);
        *ret_fd = TAKE_FD(work_fd);
        return 0;
}

int image_store_remove_work_dir(ImageStore *s, const char *name) {
        _cleanup_close_ int tmp_fd = -EBADF;

        assert(s && name);

        if (isempty(name) || strchr(name, '/') || name[0] == '.')
                return -EINVAL;
        tmp_fd = openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp_fd < 0)
                return -errno;
        return rm_rf_at(tmp_fd, name);
}

int image_store_open_tmpfile(ImageStore *s, int *ret_fd) {
        _cleanup_close_ int tmp_fd = -EBADF, fd = -EBADF;

        assert(s && ret_fd);

        tmp_fd = openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp_fd < 0)
                return -errno;
        fd = openat(tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 && IN_SET(errno, EOPNOTSUPP, EISDIR, EINVAL)) {
                /* no O_TMPFILE on this file system: a named file, unlinked at once (a crash in between
                 * leaves a stray file in tmp/, which the next exclusive lock removes) */
                for (unsigned attempt = 0; fd < 0; attempt++) {
                        _cleanup_free_ char *name =
                                asprintf_safe("spool-%ld-%08lx", (long) getpid(), (unsigned long) random());
                        if (!name)
                                return -ENOMEM;
                        fd = openat(tmp_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
                        if (fd >= 0)
                                (void) unlinkat(tmp_fd, name, 0);
                        else if (errno != EEXIST || attempt > 100)
                                return -errno;
                }
        }
        if (fd < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int image_store_open_layer(ImageStore *s, const char *diff_id, int *ret_fd) {
        _cleanup_free_ char *p = NULL;
        const char *hex = digest_hex(diff_id);
        int fd;

        assert(s && ret_fd);

        if (!hex)
                return -EINVAL;
        if (!image_store_has_layer(s, diff_id))
                return -ENOENT;
        p = strjoin("layers/", hex, "/diff");
        if (!p)
                return -ENOMEM;
        fd = openat(s->root_fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int image_store_import_layer(ImageStore *s, int input_fd, LayerExtractFlags flags, const LayerExpect *expect,
        LayerExtractResult *ret, char **reterr_msg) {
        _cleanup_free_ char *work = NULL, *final = NULL;
        _cleanup_close_ int work_fd = -EBADF, diff_fd = -EBADF;
        _cleanup_json_ struct json_object *meta = NULL;
        _cleanup_(image_store_unlockp) ImageStore *locked = NULL;
        LayerExtractResult res = {};
        _cleanup_close_ int tmp_fd = -EBADF;
        int r;

        tmp_fd = openat(s->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp_fd < 0)
                return -errno;
        r = image_store_make_work_dir(s, "layer", &work, &work_fd);
        if (r < 0)
                return r;
        if (mkdirat(work_fd, "diff", 0755) < 0) {
                r = -errno;
                goto fail;
        }
        diff_fd = openat(work_fd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (diff_fd < 0) {
                r = -errno;
                goto fail;
        }

        if (expect && expect->compressed_digest)
                flags |= LAYER_EXTRACT_DIGEST_ON_ERROR;
        r = layer_extract(input_fd, diff_fd, flags, &res, reterr_msg);
        if (r < 0 && expect && expect->compressed_digest && res.compressed_digest[0] &&
                !streq(expect->compressed_digest, res.compressed_digest)) {
                /* the download does not match its digest: that, not what it unpacked to, is the error */
                r = -EBADMSG;
                if (reterr_msg) {
                        free(*reterr_msg);
                        *reterr_msg = asprintf_safe("layer digest mismatch: expected %s, got %s",
                                expect->compressed_digest, res.compressed_digest);
                }
        }
        if (r < 0)
                goto fail;
        if (expect && expect->compressed_digest &&
                !streq(expect->compressed_digest, res.compressed_digest)) {
                r = -EBADMSG;
                if (reterr_msg)
                        *reterr_msg = asprintf_safe("layer digest mismatch: expected %s, got %s",
                                expect->compressed_digest, res.compressed_digest);
                goto fail;
        }
        if (expect && expect->diff_id && !streq(expect->diff_id, res.diff_id)) {
                r = -EBADMSG;
                if (reterr_msg)
                        *reterr_msg = expect->compressed_digest
                                ? asprintf_safe("layer %s unpacks to diff_id %s, but the image config says "
                                                "%s",
                                          expect->compressed_digest, res.diff_id, expect->diff_id)
                                : asprintf_safe("the layer unpacks to diff_id %s, but the image config says "
                                                "%s",
                                          res.diff_id, expect->diff_id);
                goto fail;
        }
        /* Everything we wrote must be on disk before the layer is published. */
        if (syncfs(diff_fd) < 0) {
                r = -errno;
                goto fail;
        }

        meta = json_object_new_object();
        if (!meta) {
                r = -ENOMEM;
                goto fail;
        }
        r = json_add_string(meta, "DiffID", res.diff_id);
        if (r >= 0)
                r = json_add_int64(meta, "Size", (int64_t) res.content_size);
        if (r >= 0)
                r = write_json_at(work_fd, "layer.json", meta);
        if (r < 0)
                goto fail;

        r = image_store_lock(s, LOCK_EX);
        if (r < 0)
                goto fail;
        locked = s;

        final = strjoin("layers/", res.diff_id + 7);
        if (!final) {
                r = -ENOMEM;
                goto fail;
        }
        if (image_store_has_layer(s, res.diff_id))
                /* unpacked before (or concurrently): keep the existing copy, drop ours */
                (void) rm_rf_at(tmp_fd, work);
        else {
                /* a directory left without layer.json can only be a crashed publish; replace it */
                (void) rm_rf_at(s->root_fd, final);
                if (renameat(tmp_fd, work, s->root_fd, final) < 0) {
                        r = -errno;
                        goto fail;
                }
                r = fsync_directory_at(s->root_fd, "layers");
                if (r < 0)
                        return r;
        }
        if (ret)
                *ret = res;
        return 0;

fail:
        (void) rm_rf_at(tmp_fd, work);
        return r;
}

static int layer_size(ImageStore *s, const char *diff_id, uint64_t *ret) {
        _cleanup_json_ struct json_object *meta = NULL;
        _cleanup_free_ char *p = NULL;
        const char *hex = digest_hex(diff_id);
        int r;

        if (!hex)
                return -EINVAL;
        p = strjoin("layers/", hex, "/layer.json");
        if (!p)
                return -ENOMEM;
        r = read_json_at(s->root_fd, p, &meta);
        if (r < 0)
                return r;
        *ret = (uint64_t) json_get_int64(meta, "Size", 0);
        return 0;
}

/* The tag index maps full references to image IDs. */
static int read_repositories(ImageStore *s, struct json_object **ret) {
        int r = read_json_at(s->root_fd, "repositories.json", ret);

        if (r == -ENOENT) {
                *ret = json_object_new_object();
                return *ret ? 0 : -ENOMEM;
        }
        if (r >= 0 && !json_object_is_type(*ret, json_type_object)) {
                json_object_put(*ret);
                return -EBADMSG;
        }
        return r;
}

static int64_t parse_rfc3339(const char *s) {
        struct tm tm = {};
        const char *e;

        if (!s)
                return 0;
        e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!e)
                return 0;
        return (int64_t) timegm(&tm);
}

static int load_record(ImageStore *s, const char *hex, struct json_object *repos, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *name = NULL, *config = NULL;
        struct json_object *layers, *diff_ids;
        size_t config_size;
        const char *v;
        int r;

        name = strjoin("images/", hex, ".json");
        if (!name)
                return -ENOMEM;
        r = read_json_at(s->root_fd, name, &o);
        if (r < 0)
                return r;

        rec = calloc(1, sizeof(ImageRecord));
        if (!rec)
                return -ENOMEM;
        rec->id = strjoin("sha256:", hex);
        if (!rec->id)
                return -ENOMEM;
        v = json_get_string(o, "ManifestDigest");
        if (v && !(rec->manifest_digest = strdup(v)))
                return -ENOMEM;
        {
                struct json_object *list = json_get_array(o, "RepoDigests");
                for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                        struct json_object *d = json_object_array_get_idx(list, i);
                        if (json_object_is_type(d, json_type_string) &&
                                strv_extend(&rec->repo_digests, json_object_get_string(d)) < 0)
                                return -ENOMEM;
                }
        }
        rec->tagged = json_get_int64(o, "LastTagTime", 0);

        r = image_store_read_blob(s, rec->id, BLOB_MAX, &config, &config_size);
        if (r < 0)
                return r;
        r = json_parse(config, config_size, &rec->config, NULL);
        if (r < 0)
                return r;
        rec->created = parse_rfc3339(json_get_string(rec->config, "created"));

        diff_ids = json_get_array(json_get_object(rec->config, "rootfs"), "diff_ids");
        layers = diff_ids;
        for (size_t i = 0; layers && i < json_object_array_length(layers); i++) {
                struct json_object *l = json_object_array_get_idx(layers, i);
                const char *d = json_object_is_type(l, json_type_string) ? json_object_get_string(l) : NULL;
                uint64_t sz = 0;

                if (!digest_is_valid(d))
                        return -EBADMSG;
                r = strv_extend(&rec->layers, d);
                if (r < 0)
                        return r;
                if (layer_size(s, d, &sz) >= 0)
                        rec->size += sz;
        }

        json_object_object_foreach(repos, ref, idv) {
                if (json_object_is_type(idv, json_type_string) &&
                        streq(json_object_get_string(idv), rec->id)) {
                        r = strv_extend(&rec->repo_tags, ref);
                        if (r < 0)
                                return r;
                }
        }

        *ret = TAKE_PTR(rec);
        return 0;
}

int image_store_get(ImageStore *s, const char *id, ImageRecord **ret) {
        _cleanup_json_ struct json_object *repos = NULL;
        const char *hex = digest_hex(id);
        int r;

        if (!hex)
                return -EINVAL;
        r = read_repositories(s, &repos);
        if (r < 0)
                return r;
        return load_record(s, hex, repos, ret);
}

static int cmp_record(const void *a, const void *b) {
        const ImageRecord *x = *(ImageRecord *const *) a, *y = *(ImageRecord *const *) b;

        if (x->created != y->created)
                return x->created > y->created ? -1 : 1;
        return strcmp(x->id, y->id);
}

int image_store_list(ImageStore *s, ImageRecord ***ret, size_t *ret_n) {
        _cleanup_json_ struct json_object *repos = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        ImageRecord **list = NULL;
        size_t n = 0;
        struct dirent *de;
        int r;

        r = read_repositories(s, &repos);
        if (r < 0)
                return r;
        r = opendir_at(s->root_fd, "images", &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                char hex[SHA256_HEX_LEN + 1];
                ImageRecord *rec = NULL, **nl;
                const char *e = endswith(de->d_name, ".json");

                if (!e || e - de->d_name != SHA256_HEX_LEN)
                        continue;
                memcpy(hex, de->d_name, SHA256_HEX_LEN);
                hex[SHA256_HEX_LEN] = 0;
                if (!string_is_lower_hex(hex, SHA256_HEX_LEN))
                        continue;
                r = load_record(s, hex, repos, &rec);
                if (r < 0) {
                        log_debug_errno(r, "Skipping unreadable image record 'images/%s': %m", de->d_name);
                        continue;
                }
                nl = realloc(list, sizeof(ImageRecord *) * (n + 1));
                if (!nl) {
                        image_record_free(rec);
                        image_record_array_free(list, n);
                        return -ENOMEM;
                }
                list = nl;
                list[n++] = rec;
        }
        if (n > 0)
                qsort(list, n, sizeof(ImageRecord *), cmp_record);
        *ret = list;
        *ret_n = n;
        return 0;
}

/* Unique image whose ID starts with prefix (hex, optionally "sha256:"-prefixed). */
static int find_by_id_prefix(ImageStore *s, const char *name, char ret_id[DIGEST_STRING_MAX]) {
        _cleanup_closedir_ DIR *d = NULL;
        const char *prefix = startswith(name, "sha256:") ?: name;
        size_t l = strlen(prefix);
        struct dirent *de;
        bool found = false;
        int r;

        if (l == 0 || l > SHA256_HEX_LEN || !string_is_lower_hex(prefix, l))
                return -ENOENT;
        r = opendir_at(s->root_fd, "images", &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                const char *e = endswith(de->d_name, ".json");

                if (!e || e - de->d_name != SHA256_HEX_LEN || strncmp(de->d_name, prefix, l) != 0)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                snprintf(ret_id, DIGEST_STRING_MAX, "sha256:%.*s", SHA256_HEX_LEN, de->d_name);
                found = true;
        }
        return found ? 0 : -ENOENT;
}

static int resolve_locked(ImageStore *s, struct json_object *repos, const char *name,
        char ret_id[DIGEST_STRING_MAX], char **ret_ref) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *full = NULL;
        struct json_object *v;

        if (image_reference_parse(name, &ref, NULL) >= 0) {
                full = image_reference_to_string(ref);
                if (!full)
                        return -ENOMEM;
                if (json_object_object_get_ex(repos, full, &v) && json_object_is_type(v, json_type_string) &&
                        digest_is_valid(json_object_get_string(v))) {
                        snprintf(ret_id, DIGEST_STRING_MAX, "%s", json_object_get_string(v));
                        if (ret_ref)
                                *ret_ref = TAKE_PTR(full);
                        return 0;
                }
        }
        if (ret_ref)
                *ret_ref = NULL;
        return find_by_id_prefix(s, name, ret_id);
}

int image_store_resolve(ImageStore *s, const char *name, ImageRecord **ret, char **ret_ref) {
        _cleanup_json_ struct json_object *repos = NULL;
        _cleanup_free_ char *ref = NULL;
        char id[DIGEST_STRING_MAX];
        int r;

        r = read_repositories(s, &repos);
        if (r < 0)
                return r;
        r = resolve_locked(s, repos, name, id, &ref);
        if (r < 0)
                return r;
        r = load_record(s, id + 7, repos, ret);
        if (r < 0)
                return r;
        if (ret_ref)
                *ret_ref = TAKE_PTR(ref);
        return 0;
}

static int set_tag_time(ImageStore *s, const char *id) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *name = strjoin("images/", id + 7, ".json");
        int r;

        if (!name)
                return -ENOMEM;
        r = read_json_at(s->root_fd, name, &o);
        if (r < 0)
                return r;
        json_object_object_del(o, "LastTagTime");
        r = json_add_int64(o, "LastTagTime", (int64_t) time(NULL));
        if (r < 0)
                return r;
        return write_json_at(s->root_fd, name, o);
}

static int tag_locked(ImageStore *s, struct json_object *repos, const char *id, const char *ref) {
        struct json_object *v = json_object_new_string(id);

        if (!v)
                return -ENOMEM;
        json_object_object_del(repos, ref);
        if (json_object_object_add(repos, ref, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int image_store_tag(ImageStore *s, const char *id, const char *ref) {
        _cleanup_(image_store_unlockp) ImageStore *locked = NULL;
        _cleanup_json_ struct json_object *repos = NULL;
        _cleanup_free_ char *name = NULL;
        int r;

        if (!digest_is_valid(id))
                return -EINVAL;
        r = image_store_lock(s, LOCK_EX);
        if (r < 0)
                return r;
        locked = s;

        name = strjoin("images/", id + 7, ".json");
        if (!name)
                return -ENOMEM;
        if (faccessat(s->root_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        r = read_repositories(s, &repos);
        if (r < 0)
                return r;
        r = tag_locked(s, repos, id, ref);
        if (r < 0)
                return r;
        r = write_json_at(s->root_fd, "repositories.json", repos);
        if (r < 0)
                return r;
        return set_tag_time(s, id);
}

int image_store_add_image(ImageStore *s, const char *config, size_t config_size, const char *manifest_digest,
        char *const *tags, char ret_id[DIGEST_STRING_MAX]) {
        _cleanup_(image_store_unlockp) ImageStore *locked = NULL;
        _cleanup_json_ struct json_object *cfg = NULL, *rec = NULL, *repos = NULL, *repo_digests = NULL;
        _cleanup_free_ char *name = NULL;
        struct json_object *diff_ids;
        char id[DIGEST_STRING_MAX];
        const char *reason = NULL;
        int r;

        r = json_parse(config, config_size, &cfg, &reason);
        if (r < 0)
                return log_debug_errno(r, "Image config is not valid JSON: %s", reason ?: "unknown error");
        diff_ids = json_get_array(json_get_object(cfg, "rootfs"), "diff_ids");
        if (!diff_ids)
                return -EBADMSG;

        r = image_store_lock(s, LOCK_EX);
        if (r < 0)
                return r;
        locked = s;

        for (size_t i = 0; i < json_object_array_length(diff_ids); i++) {
                struct json_object *l = json_object_array_get_idx(diff_ids, i);
                const char *d = json_object_is_type(l, json_type_string) ? json_object_get_string(l) : NULL;

                if (!digest_is_valid(d))
                        return -EBADMSG;
                if (!image_store_has_layer(s, d))
                        return log_debug_errno(SYNTHETIC_ERRNO(ENOENT), "Layer '%s' is not in the store", d);
        }

        r = image_store_put_blob(s, config, config_size, id);
        if (r < 0)
                return r;

        name = strjoin("images/", id + 7, ".json");
        if (!name)
                return -ENOMEM;
        /* "NAME@sha256:..." joins the repo digests the record has already (a pull from another registry) */
        {
                _cleanup_json_ struct json_object *old = NULL;
                const char *at = manifest_digest ? strrchr(manifest_digest, '@') : NULL;
                struct json_object *list;

                if (read_json_at(s->root_fd, name, &old) < 0)
                        old = NULL;
                list = old ? json_get_array(old, "RepoDigests") : NULL;
                repo_digests = json_object_new_array();
                if (!repo_digests)
                        return -ENOMEM;
                for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                        const char *d = json_object_get_string(json_object_array_get_idx(list, i));
                        if (d && !streq_ptr(d, manifest_digest) &&
                                json_array_add_string(repo_digests, d) < 0)
                                return -ENOMEM;
                }
                if (at && json_array_add_string(repo_digests, manifest_digest) < 0)
                        return -ENOMEM;
                if (at)
                        manifest_digest = at + 1;
        }

        rec = json_object_new_object();
        if (!rec)
                return -ENOMEM;
        r = json_add_string(rec, "Id", id);
        if (r >= 0)
                r = json_add_string(rec, "ManifestDigest", manifest_digest);
        if (r >= 0)
                r = json_add(rec, "RepoDigests", json_object_get(repo_digests));
        if (r >= 0)
                r = json_add_int64(rec, "LastTagTime", strv_length(tags) > 0 ? (int64_t) time(NULL) : 0);
        if (r < 0)
                return r;
        r = write_json_at(s->root_fd, name, rec);
        if (r < 0)
                return r;

        if (strv_length(tags) > 0) {
                r = read_repositories(s, &repos);
                if (r < 0)
                        return r;
                STRV_FOREACH(t, tags) {
                        r = tag_locked(s, repos, id, *t);
                        if (r < 0)
                                return r;
                }
                r = write_json_at(s->root_fd, "repositories.json", repos);
                if (r < 0)
                        return r;
        }
        if (ret_id)
                memcpy(ret_id, id, DIGEST_STRING_MAX);
        return 0;
}

/* Calls f for every container config; containers/<name>/config.json holds "Image" and "Layers". */
static int for_each_container(ImageStore *s, int (*f)(const char *name, struct json_object *cfg, void *u),
        void *userdata) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        r = opendir_at(s->root_fd, "containers", &d);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        while ((de = readdir(d))) {
                _cleanup_json_ struct json_object *cfg = NULL;
                _cleanup_free_ char *p = NULL;

                if (de->d_name[0] == '.')
                        continue;
                p = strjoin(de->d_name, "/config.json");
                if (!p)
                        return -ENOMEM;
                if (read_json_at(dirfd(d), p, &cfg) < 0)
                        continue;
                r = f(de->d_name, cfg, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct users_ctx {
        const char *id;
        char **names;
};

static int collect_user(const char *name, struct json_object *cfg, void *u) {
        struct users_ctx *c = u;

        if (streq_ptr(json_get_string(cfg, "Image"), c->id))
                return strv_extend(&c->names, name);
        return 0;
}

int image_store_image_users(ImageStore *s, const char *id, char ***ret) {
        struct users_ctx c = { .id = id };
        int r;

        r = for_each_container(s, collect_user, &c);
        if (r < 0) {
                strv_free(c.names);
                return r;
        }
        *ret = c.names;
        return 0;
}

static int collect_layers(const char *name, struct json_object *cfg, void *u) {
        char ***used = u;
        struct json_object *layers = json_get_array(cfg, "Layers");

        for (size_t i = 0; layers && i < json_object_array_length(layers); i++) {
                struct json_object *l = json_object_array_get_idx(layers, i);
                int r;

                if (!json_object_is_type(l, json_type_string))
                        continue;
                r = strv_extend(used, json_object_get_string(l));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Deletes every layer that no image record and no container references. Called with LOCK_EX held. */
static int gc_layers(ImageStore *s) {
        _cleanup_strv_free_ char **used = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        ImageRecord **list = NULL;
        struct dirent *de;
        size_t n = 0;
        int r;

        r = image_store_list(s, &list, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++)
                STRV_FOREACH(l, list[i]->layers)
                        if ((r = strv_extend(&used, *l)) < 0)
                                break;
        image_record_array_free(list, n);
        if (r < 0)
                return r;
        r = for_each_container(s, collect_layers, &used);
        if (r < 0)
                return r;

        r = opendir_at(s->root_fd, "layers", &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                char digest[DIGEST_STRING_MAX];

                if (!string_is_lower_hex(de->d_name, SHA256_HEX_LEN))
                        continue;
                snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
                if (strv_contains(used, digest))
                        continue;
                log_debug("Deleting unused layer %s", digest);
                /* unpublish first (rename into tmp/), then delete: a crash midway leaves only garbage in tmp/ */
                {
                        _cleanup_free_ char *t = strjoin("tmp/rm-", de->d_name);
                        if (!t)
                                return -ENOMEM;
                        if (renameat(dirfd(d), de->d_name, s->root_fd, t) < 0)
                                return -errno;
                        r = rm_rf_at(s->root_fd, t);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int delete_record(ImageStore *s, const char *id) {
        _cleanup_free_ char *name = strjoin("images/", id + 7, ".json");

        if (!name)
                return -ENOMEM;
        if (unlinkat(s->root_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return fsync_directory_at(s->root_fd, "images");
}

static char *format_users(char **users) {
        char *s = strdup("");

        STRV_FOREACH(u, users) {
                char *n = strjoin(s, s[0] ? ", " : "", *u);
                free(s);
                if (!(s = n))
                        return NULL;
        }
        return s;
}

int image_store_remove(ImageStore *s, const char *name, ImageRemoveFlags flags, char ***ret_untagged,
        char ***ret_deleted, char **reterr_msg) {
        _cleanup_(image_store_unlockp) ImageStore *locked = NULL;
        _cleanup_json_ struct json_object *repos = NULL;
        _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL, **users = NULL, **tags = NULL;
        _cleanup_free_ char *ref = NULL, *ulist = NULL;
        char id[DIGEST_STRING_MAX];
        bool force = flags & IMAGE_REMOVE_FORCE;
        int r;

        r = image_store_lock(s, LOCK_EX);
        if (r < 0)
                return r;
        locked = s;

        r = read_repositories(s, &repos);
        if (r < 0)
                return r;
        r = resolve_locked(s, repos, name, id, &ref);
        if (r < 0)
                return r;

        json_object_object_foreach(repos, k, v) if (json_object_is_type(v, json_type_string) &&
                streq(json_object_get_string(v), id)) if ((r = strv_extend(&tags, k)) < 0) return r;

        r = image_store_image_users(s, id, &users);
        if (r < 0)
                return r;
        ulist = format_users(users);
        if (!ulist)
                return -ENOMEM;

        if (ref && strv_length(tags) > 1) {
                /* only this tag goes; the image stays for its other names */
                json_object_object_del(repos, ref);
                r = strv_extend(&untagged, ref);
        } else {
                if (!force && users) {
                        if (reterr_msg)
                                *reterr_msg =
                                        asprintf_safe("conflict: unable to remove %s '%s' (must force) - "
                                                      "image %.19s is used by container(s) %s",
                                                ref ? "repository reference" : "image", name, id, ulist);
                        return -EBUSY;
                }
                if (!ref && !force && strv_length(tags) > 1) {
                        if (reterr_msg)
                                *reterr_msg =
                                        asprintf_safe("conflict: unable to delete %.19s (must be forced) - "
                                                      "image is referenced in multiple repositories",
                                                id + 7);
                        return -EBUSY;
                }
                STRV_FOREACH(t, tags) {
                        json_object_object_del(repos, *t);
                        if ((r = strv_extend(&untagged, *t)) < 0)
                                return r;
                }
                r = strv_extend(&deleted, id);
        }
        if (r < 0)
                return r;

        /* Tags first, then the record: a crash in between leaves an untagged image, never a dangling tag. */
        r = write_json_at(s->root_fd, "repositories.json", repos);
        if (r < 0)
                return r;
        if (deleted) {
                r = delete_record(s, id);
                if (r < 0)
                        return r;
                /* The config blob stays while a container still names this image (forced removal). */
                if (!users) {
                        char path[sizeof("blobs/sha256/") + SHA256_HEX_LEN];
                        if (blob_path(id, path) >= 0)
                                (void) unlinkat(s->root_fd, path, 0);
                }
                r = gc_layers(s);
                if (r < 0)
                        return r;
        }

        if (ret_untagged)
                *ret_untagged = TAKE_PTR(untagged);
        if (ret_deleted)
                *ret_deleted = TAKE_PTR(deleted);
        return 0;
}
