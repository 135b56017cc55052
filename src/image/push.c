/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "push.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fd-util.h"
#include "image-config.h"
#include "image-dl.h"
#include "json-util.h"
#include "layer-export.h"
#include "log.h"
#include "manifest.h"
#include "registry.h"
#include "string-util.h"
#include "strv.h"

#define CONFIG_MAX (64u * 1024 * 1024)

static void report(const PushOptions *opts, const char *diff_id, PushLayerState state) {
        if (opts && opts->progress)
                opts->progress(diff_id, state, opts->userdata);
}

/* Exports one stored layer gzip-compressed and makes sure the registry has it. */
static int push_layer(ImageStore *s, RegistryClient *c, const char *diff_id, const PushOptions *opts,
        LayerExportResult *ret, char **reterr) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int spool = -EBADF;
        LayerExportResult res;
        int r;

        report(opts, diff_id, PUSH_LAYER_PREPARING);
        r = image_store_open_tmpfile(s, &spool);
        if (r < 0) {
                *reterr = asprintf_safe("cannot create a spool file in '%s/tmp': %s", image_store_root(s),
                        strerror(-r));
                return r;
        }
        r = image_store_lock(s, LOCK_SH);
        if (r < 0) {
                *reterr = asprintf_safe("cannot lock the image store: %s", strerror(-r));
                return r;
        }
        r = layer_export(s, diff_id, spool, LAYER_EXPORT_GZIP, &res, &msg);
        image_store_unlock(s);
        if (r < 0) {
                *reterr = asprintf_safe("cannot export layer %s: %s", diff_id, msg ?: strerror(-r));
                return r;
        }

        r = registry_blob_exists(c, res.digest, reterr);
        if (r < 0)
                return r;
        if (r > 0)
                report(opts, res.diff_id, PUSH_LAYER_EXISTS);
        else {
                report(opts, res.diff_id, PUSH_LAYER_PUSHING);
                r = registry_upload_blob(c, res.digest, NULL, spool, res.written, reterr);
                if (r < 0)
                        return r;
                report(opts, res.diff_id, PUSH_LAYER_PUSHED);
        }
        *ret = res;
        return 0;
}

static int add_descriptor(struct json_object *parent, const char *key, const char *media_type,
        const char *digest, uint64_t size) {
        struct json_object *d = json_object_new_object();
        int r;

        if (!d)
                return -ENOMEM;
        r = json_add_string(d, "mediaType", media_type);
        if (r >= 0)
                r = json_add_int64(d, "size", (int64_t) size);
        if (r >= 0)
                r = json_add_string(d, "digest", digest);
        if (r < 0) {
                json_object_put(d);
                return r;
        }
        if (key)
                return json_add(parent, key, d);
        if (json_object_array_add(parent, d) < 0) {
                json_object_put(d);
                return -ENOMEM;
        }
        return 0;
}

int image_push(ImageStore *s, const char *id, const ImageReference *dest, const PushOptions *opts,
        PushResult *ret, char **reterr) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_json_ struct json_object *manifest = NULL;
        _cleanup_free_ char *config = NULL, *new_config = NULL, *text = NULL;
        _cleanup_strv_free_ char **new_ids = NULL;
        struct json_object *layers;
        char config_digest[DIGEST_STRING_MAX];
        size_t config_size, new_size;
        int r;

        assert(s && id && dest && ret && reterr);

        if (!dest->tag || dest->digest) {
                *reterr = strdup("a push needs a reference with a tag and without a digest");
                return -EINVAL;
        }
        r = dlopen_libarchive();
        if (r >= 0)
                r = dlopen_libcrypto();
        if (r < 0) {
                *reterr = strdup("cannot load libarchive or libcrypto, which exporting layers needs");
                return r;
        }
        r = image_store_get(s, id, &rec);
        if (r < 0) {
                *reterr = asprintf_safe("cannot read image %s: %s", id, strerror(-r));
                return r;
        }
        r = image_store_read_blob(s, id, CONFIG_MAX, &config, &config_size);
        if (r < 0) {
                *reterr = asprintf_safe("cannot read the config of image %s: %s", id, strerror(-r));
                return r;
        }

        r = registry_client_new(dest->domain, dest->path, &c, reterr);
        if (r < 0)
                return r;
        registry_client_set_push(c, true);
        r = registry_ping(c, reterr);
        if (r < 0)
                return r;

        manifest = json_object_new_object();
        if (!manifest)
                return -ENOMEM;
        r = json_add_int64(manifest, "schemaVersion", 2);
        if (r >= 0)
                r = json_add_string(manifest, "mediaType", MEDIA_TYPE_DOCKER_MANIFEST);
        if (r < 0)
                return r;
        layers = json_object_new_array();
        if (!layers)
                return -ENOMEM;

        STRV_FOREACH(l, rec->layers) {
                LayerExportResult res;

                r = push_layer(s, c, *l, opts, &res, reterr);
                if (r < 0) {
                        json_object_put(layers);
                        return r;
                }
                if (strv_extend(&new_ids, res.diff_id) < 0 ||
                        add_descriptor(layers, NULL, MEDIA_TYPE_DOCKER_LAYER, res.digest, res.written) < 0) {
                        json_object_put(layers);
                        return -ENOMEM;
                }
        }

        r = image_config_replace_diff_ids(config, config_size, new_ids, &new_config, &new_size);
        if (r < 0) {
                json_object_put(layers);
                if (r != -ENOMEM)
                        *reterr = asprintf_safe("the config of image %s has no rootfs", id);
                return r;
        }
        r = sha256_digest_of(new_config, new_size, config_digest);
        if (r < 0) {
                json_object_put(layers);
                return r;
        }
        r = registry_blob_exists(c, config_digest, reterr);
        if (r == 0)
                r = registry_upload_blob(c, config_digest, new_config, -EBADF, new_size, reterr);
        if (r >= 0)
                r = add_descriptor(manifest, "config", MEDIA_TYPE_DOCKER_CONFIG, config_digest, new_size);
        if (r < 0) {
                json_object_put(layers);
                return r;
        }
        r = json_add(manifest, "layers", layers);
        if (r < 0)
                return r;

        text = json_to_string(manifest, true);
        if (!text)
                return -ENOMEM;
        r = registry_put_manifest(c, dest->tag, MEDIA_TYPE_DOCKER_MANIFEST, text, strlen(text),
                ret->manifest_digest, reterr);
        if (r < 0)
                return r;
        ret->manifest_size = strlen(text);
        memcpy(ret->config_digest, config_digest, DIGEST_STRING_MAX);
        return 0;
}
