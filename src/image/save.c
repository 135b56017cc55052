/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "save.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include "fd-util.h"
#include "image-config.h"
#include "image-dl.h"
#include "json-util.h"
#include "layer-export.h"
#include "log.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

#define COPY_BUFFER_SIZE (256u * 1024)
#define CONFIG_MAX (64u * 1024 * 1024)

typedef struct ExportedLayer {
        char old_id[DIGEST_STRING_MAX]; /* as stored */
        char new_id[DIGEST_STRING_MAX]; /* of the re-created tar */
} ExportedLayer;

typedef struct Saver {
        ImageStore *store;
        int out_fd;
        int write_error;
        struct archive *a;
        ExportedLayer *layers;
        size_t n_layers;
        struct json_object *manifest; /* manifest.json being built */
        uint8_t *buffer;
        char *error;
} Saver;

static void saver_done(Saver *x) {
        (void) archive_write_free(x->a);
        free(x->layers);
        json_object_put(x->manifest);
        free(x->buffer);
        free(x->error);
}

static int fail(Saver *x, int error, const char *format, ...) _printf_(3, 4);
static int fail(Saver *x, int error, const char *format, ...) {
        char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        r = log_debug_errno(error, "Saving failed: %s", msg ?: "(out of memory for the message)");
        if (!x->error)
                x->error = msg;
        else
                free(msg);
        return r;
}

static la_ssize_t out_write(struct archive *a, void *userdata, const void *buf, size_t size) {
        Saver *x = userdata;
        int r = loop_write(x->out_fd, buf, size);

        if (r < 0) {
                x->write_error = r;
                archive_set_error(a, -r, "Cannot write the archive: %s", strerror(-r));
                return -1;
        }
        return (la_ssize_t) size;
}

static int archive_failure(Saver *x, const char *what) {
        if (x->write_error < 0)
                return fail(x, x->write_error, "cannot write the archive: %s", strerror(-x->write_error));
        return fail(x, SYNTHETIC_ERRNO(EIO), "cannot write %s into the archive: %s", what,
                archive_error_string(x->a) ?: "unknown error");
}

static int member_begin(Saver *x, const char *name, uint64_t size) {
        struct archive_entry *e = archive_entry_new();
        int r;

        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t) size);
        archive_entry_set_mtime(e, 0, 0);
        r = archive_write_header(x->a, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return archive_failure(x, name);
        return 0;
}

static int write_member(Saver *x, const char *name, const void *data, size_t size) {
        int r;

        r = member_begin(x, name, size);
        if (r < 0)
                return r;
        if (size > 0 && archive_write_data(x->a, data, size) != (la_ssize_t) size)
                return archive_failure(x, name);
        if (archive_write_finish_entry(x->a) != ARCHIVE_OK)
                return archive_failure(x, name);
        return 0;
}

/* Exports a stored layer (once per archive) and writes it as <new diff_id hex>.tar. */
static int save_layer(Saver *x, const char *diff_id, char ret_new[static DIGEST_STRING_MAX]) {
        _cleanup_free_ char *msg = NULL, *name = NULL;
        _cleanup_close_ int spool = -EBADF;
        LayerExportResult res;
        ExportedLayer *grown;
        uint64_t left;
        int r;

        for (size_t i = 0; i < x->n_layers; i++)
                if (streq(x->layers[i].old_id, diff_id)) {
                        memcpy(ret_new, x->layers[i].new_id, DIGEST_STRING_MAX);
                        return 0;
                }

        r = image_store_open_tmpfile(x->store, &spool);
        if (r < 0)
                return fail(x, r, "cannot create a spool file in '%s/tmp': %s", image_store_root(x->store),
                        strerror(-r));
        r = layer_export(x->store, diff_id, spool, 0, &res, &msg);
        if (r < 0)
                return fail(x, r, "cannot export layer %s: %s", diff_id, msg ?: strerror(-r));
        if (lseek(spool, 0, SEEK_SET) < 0)
                return fail(x, -errno, "cannot rewind the spool file: %s", strerror(errno));

        name = strjoin(res.diff_id + strlen("sha256:"), ".tar");
        if (!name)
                return -ENOMEM;
        /* two stored layers that export to the same tar: the archive needs it once */
        bool written = false;
        for (size_t i = 0; i < x->n_layers; i++)
                written = written || streq(x->layers[i].new_id, res.diff_id);
        if (!written) {
                r = member_begin(x, name, res.size);
                if (r < 0)
                        return r;
                for (left = res.size; left > 0;) {
                        ssize_t n = read(spool, x->buffer, MIN(left, (uint64_t) COPY_BUFFER_SIZE));

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                return fail(x, n < 0 ? -errno : -EIO, "cannot read back layer %s: %s",
                                        diff_id, n < 0 ? strerror(errno) : "short file");
                        if (archive_write_data(x->a, x->buffer, (size_t) n) != n)
                                return archive_failure(x, name);
                        left -= (uint64_t) n;
                }
                if (archive_write_finish_entry(x->a) != ARCHIVE_OK)
                        return archive_failure(x, name);
        }

        grown = realloc(x->layers, sizeof(ExportedLayer) * (x->n_layers + 1));
        if (!grown)
                return -ENOMEM;
        x->layers = grown;
        memcpy(x->layers[x->n_layers].old_id, diff_id, DIGEST_STRING_MAX);
        memcpy(x->layers[x->n_layers].new_id, res.diff_id, DIGEST_STRING_MAX);
        x->n_layers++;
        log_debug("Layer %s saved as %s", diff_id, res.diff_id);
        memcpy(ret_new, res.diff_id, DIGEST_STRING_MAX);
        return 0;
}

/* "busybox:latest" for "docker.io/library/busybox:latest", as Docker writes RepoTags. */
static char *familiar_tag(const char *full) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *name = NULL;

        if (image_reference_parse(full, &ref, NULL) < 0 || !ref->tag)
                return NULL;
        name = image_reference_familiar_name(ref);
        return name ? strjoin(name, ":", ref->tag) : NULL;
}

static int save_image(Saver *x, const char *id, char **tags) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_json_ struct json_object *entry = NULL;
        _cleanup_free_ char *config = NULL, *new_config = NULL, *config_name = NULL;
        _cleanup_strv_free_ char **new_ids = NULL;
        struct json_object *repo_tags, *layers;
        char digest[DIGEST_STRING_MAX];
        size_t config_size, new_size;
        int r;

        r = image_store_get(x->store, id, &rec);
        if (r < 0)
                return fail(x, r, "cannot read image %s: %s", id, strerror(-r));
        r = image_store_read_blob(x->store, id, CONFIG_MAX, &config, &config_size);
        if (r < 0)
                return fail(x, r, "cannot read the config of image %s: %s", id, strerror(-r));

        entry = json_object_new_object();
        if (!entry)
                return -ENOMEM;
        layers = json_add_new_array(entry, "Layers");
        if (!layers)
                return -ENOMEM;
        /* rec->layers are the config's diff_ids, validated */
        STRV_FOREACH(old, rec->layers) {
                char new_id[DIGEST_STRING_MAX];
                _cleanup_free_ char *name = NULL;

                r = save_layer(x, *old, new_id);
                if (r < 0)
                        return r;
                name = strjoin(new_id + strlen("sha256:"), ".tar");
                if (!name || json_array_add_string(layers, name) < 0 || strv_extend(&new_ids, new_id) < 0)
                        return -ENOMEM;
        }

        /* the same config, naming the tars in this archive */
        r = image_config_replace_diff_ids(config, config_size, new_ids, &new_config, &new_size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(x, r, "the config of image %s has no rootfs", id);
        r = sha256_digest_of(new_config, new_size, digest);
        if (r < 0)
                return fail(x, r, "cannot hash the config of image %s (libcrypto)", id);
        config_name = strjoin(digest + strlen("sha256:"), ".json");
        if (!config_name)
                return -ENOMEM;
        r = write_member(x, config_name, new_config, new_size);
        if (r < 0)
                return r;

        r = json_add_string(entry, "Config", config_name);
        if (r < 0)
                return r;
        repo_tags = json_add_new_array(entry, "RepoTags");
        if (!repo_tags)
                return -ENOMEM;
        STRV_FOREACH(t, tags) {
                _cleanup_free_ char *f = familiar_tag(*t);
                if (!f)
                        return fail(x, SYNTHETIC_ERRNO(EINVAL), "'%s' is not a NAME:TAG reference", *t);
                if (json_array_add_string(repo_tags, f) < 0)
                        return -ENOMEM;
        }
        if (json_object_array_add(x->manifest, entry) < 0)
                return -ENOMEM;
        TAKE_PTR(entry);
        if (!streq(digest, id))
                log_debug("Image %s saved as %s (its layers were re-created)", id, digest);
        return 0;
}

int image_save(ImageStore *s, const SaveImage *images, size_t n, int out_fd, char **reterr) {
        _cleanup_(saver_done) Saver x = { .store = s, .out_fd = out_fd };
        _cleanup_free_ char *text = NULL;
        bool locked = false;
        int r;

        assert(s && (images || n == 0) && out_fd >= 0 && reterr);

        r = dlopen_libarchive();
        if (r >= 0)
                r = dlopen_libcrypto();
        if (r < 0) {
                *reterr = strdup("cannot load libarchive or libcrypto, which saving images needs");
                return r;
        }
        x.buffer = malloc(COPY_BUFFER_SIZE);
        x.manifest = json_object_new_array();
        x.a = archive_write_new();
        if (!x.buffer || !x.manifest || !x.a)
                return -ENOMEM;
        if (archive_write_set_format_pax_restricted(x.a) != ARCHIVE_OK ||
                archive_write_open(x.a, &x, /* open= */ NULL, out_write, /* close= */ NULL) != ARCHIVE_OK) {
                r = archive_failure(&x, "the header");
                goto finish;
        }

        r = image_store_lock(s, LOCK_SH);
        if (r < 0) {
                fail(&x, r, "cannot lock the image store: %s", strerror(-r));
                goto finish;
        }
        locked = true;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_strv_free_ char **tags = NULL;
                bool seen = false;

                for (size_t j = 0; j < i; j++)
                        seen = seen || streq(images[j].id, images[i].id);
                if (seen)
                        continue;
                /* every tag asked for this image, in order, once */
                for (size_t j = i; j < n && r >= 0; j++)
                        if (streq(images[j].id, images[i].id))
                                STRV_FOREACH(t, images[j].tags)
                                        if (!strv_contains(tags, *t))
                                                r = strv_extend(&tags, *t);
                if (r >= 0)
                        r = save_image(&x, images[i].id, tags);
        }
        if (r < 0)
                goto finish;

        text = json_to_string(x.manifest, false);
        if (!text) {
                r = -ENOMEM;
                goto finish;
        }
        r = write_member(&x, "manifest.json", text, strlen(text));
        if (r < 0)
                goto finish;
        if (archive_write_close(x.a) != ARCHIVE_OK) {
                r = archive_failure(&x, "the end of the archive");
                goto finish;
        }

finish:
        if (locked)
                image_store_unlock(s);
        if (r < 0) {
                *reterr = TAKE_PTR(x.error);
                if (!*reterr)
                        *reterr = strdup(strerror(-r));
        }
        return r;
}
