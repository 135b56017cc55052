/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "archive-manifest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "json-util.h"
#include "manifest.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

static const char *const kind_table[_ARCHIVE_MEMBER_KIND_MAX] = {
        [ARCHIVE_MEMBER_MANIFEST] = "manifest",
        [ARCHIVE_MEMBER_REPOSITORIES] = "repositories",
        [ARCHIVE_MEMBER_CONFIG] = "config",
        [ARCHIVE_MEMBER_LAYER] = "layer",
        [ARCHIVE_MEMBER_LEGACY] = "legacy",
        [ARCHIVE_MEMBER_OCI_LAYOUT] = "oci-layout",
        [ARCHIVE_MEMBER_INDEX] = "index",
        [ARCHIVE_MEMBER_BLOB] = "blob",
        [ARCHIVE_MEMBER_DIRECTORY] = "directory",
        [ARCHIVE_MEMBER_UNKNOWN] = "unknown",
};

const char *archive_member_kind_to_string(ArchiveMemberKind k) {
        if (k < 0 || k >= _ARCHIVE_MEMBER_KIND_MAX)
                return NULL;
        return kind_table[k];
}

static bool hex_prefix(const char *s) {
        for (size_t i = 0; i < SHA256_HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false; /* also stops at the terminating NUL */
        return true;
}

/* HEX followed by exactly suffix */
static bool hex_then(const char *s, const char *suffix) {
        return hex_prefix(s) && streq(s + SHA256_HEX_LEN, suffix);
}

static ArchiveMemberKind classify_canonical(const char *n) {
        const char *p;

        if (streq(n, "manifest.json"))
                return ARCHIVE_MEMBER_MANIFEST;
        if (streq(n, "repositories"))
                return ARCHIVE_MEMBER_REPOSITORIES;
        if (streq(n, "oci-layout"))
                return ARCHIVE_MEMBER_OCI_LAYOUT;
        if (streq(n, "index.json"))
                return ARCHIVE_MEMBER_INDEX;
        if (streq(n, "blobs") || streq(n, "blobs/sha256"))
                return ARCHIVE_MEMBER_DIRECTORY;
        p = startswith(n, "blobs/sha256/");
        if (p && hex_then(p, ""))
                return ARCHIVE_MEMBER_BLOB;
        if (!hex_prefix(n))
                return ARCHIVE_MEMBER_UNKNOWN;
        if (hex_then(n, ".json"))
                return ARCHIVE_MEMBER_CONFIG;
        if (hex_then(n, ".tar") || hex_then(n, "/layer.tar"))
                return ARCHIVE_MEMBER_LAYER;
        if (hex_then(n, "/json") || hex_then(n, "/VERSION"))
                return ARCHIVE_MEMBER_LEGACY;
        if (hex_then(n, ""))
                return ARCHIVE_MEMBER_DIRECTORY;
        return ARCHIVE_MEMBER_UNKNOWN;
}

ArchiveMemberKind archive_member_classify(const char *name, char **ret_canonical) {
        _cleanup_free_ char *c = NULL;
        size_t len;

        if (!name)
                return _ARCHIVE_MEMBER_KIND_INVALID;
        while (startswith(name, "./"))
                name += 2;
        len = strnlen(name, ARCHIVE_MEMBER_NAME_MAX + 1);
        if (len == 0 || len > ARCHIVE_MEMBER_NAME_MAX || name[0] == '/')
                return _ARCHIVE_MEMBER_KIND_INVALID;
        while (len > 0 && name[len - 1] == '/')
                len--;
        if (len == 0)
                return _ARCHIVE_MEMBER_KIND_INVALID;

        /* every component non-empty, neither "." nor "..", printable */
        for (size_t i = 0; i < len;) {
                size_t k = 0;

                while (i + k < len && name[i + k] != '/') {
                        unsigned char ch = (unsigned char) name[i + k];
                        if (ch < 0x20 || ch == 0x7f)
                                return _ARCHIVE_MEMBER_KIND_INVALID;
                        k++;
                }
                if (k == 0 || (k == 1 && name[i] == '.') || (k == 2 && name[i] == '.' && name[i + 1] == '.'))
                        return _ARCHIVE_MEMBER_KIND_INVALID;
                i += k + 1;
        }

        c = strndup(name, len);
        if (!c)
                return _ARCHIVE_MEMBER_KIND_INVALID;
        ArchiveMemberKind k = classify_canonical(c);
        if (ret_canonical)
                *ret_canonical = TAKE_PTR(c);
        return k;
}

void docker_archive_image_array_free(DockerArchiveImage *images, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(images[i].config);
                for (size_t j = 0; j < images[i].n_layers; j++)
                        free(images[i].layers[j]);
                free(images[i].layers);
                strv_free(images[i].repo_tags);
        }
        free(images);
}

static int parse_path(struct json_object *v, bool layer, char **ret, const char **reterr) {
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
        ArchiveMemberKind k;

        if (!s) {
                *reterr = layer ? "manifest.json has a layer path that is not a string"
                                : "manifest.json has an image without a Config path";
                return -EBADMSG;
        }
        k = archive_member_classify(s, ret);
        if (k < 0) {
                *reterr = layer ? "manifest.json names a layer outside the archive or with an invalid path"
                                : "manifest.json names a config outside the archive or with an invalid path";
                return -EBADMSG;
        }
        if (k != ARCHIVE_MEMBER_BLOB && k != (layer ? ARCHIVE_MEMBER_LAYER : ARCHIVE_MEMBER_CONFIG)) {
                free(*ret);
                *ret = NULL;
                *reterr = layer
                        ? "manifest.json names a layer path that is not HEX.tar, HEX/layer.tar or "
                          "blobs/sha256/HEX"
                        : "manifest.json names a config path that is not HEX.json or blobs/sha256/HEX";
                return -EBADMSG;
        }
        return 0;
}

static int parse_tags(struct json_object *tags, char ***ret, const char **reterr) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n;
        int r;

        if (!tags || json_object_is_type(tags, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(tags, json_type_array)) {
                *reterr = "manifest.json has RepoTags that are not an array";
                return -EBADMSG;
        }
        n = json_object_array_length(tags);
        if (n > DOCKER_ARCHIVE_TAGS_MAX) {
                *reterr = "manifest.json has an image with more than 1024 tags";
                return -EBADMSG;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *t = json_object_array_get_idx(tags, i);
                _cleanup_(image_reference_freep) ImageReference *ref = NULL;
                _cleanup_free_ char *full = NULL;
                const char *s = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;

                if (!s || image_reference_parse(s, &ref, NULL) < 0 || ref->digest || !ref->tag) {
                        *reterr = "manifest.json has a RepoTags entry that is not a NAME:TAG reference";
                        return -EBADMSG;
                }
                full = image_reference_to_string(ref);
                if (!full)
                        return -ENOMEM;
                if (strv_contains(l, full))
                        continue;
                r = strv_consume(&l, TAKE_PTR(full));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int docker_archive_manifest_parse(const char *data, size_t size, DockerArchiveImage **ret, size_t *ret_n,
        const char **reterr_reason) {
        _cleanup_json_ struct json_object *root = NULL;
        DockerArchiveImage *images = NULL;
        size_t n = 0, count;
        int r;

        if (size > DOCKER_ARCHIVE_MANIFEST_MAX) {
                *reterr_reason = "manifest.json is larger than 8 MiB";
                return -EBADMSG;
        }
        r = json_parse(data, size, &root, NULL);
        if (r < 0) {
                *reterr_reason = "manifest.json is not valid JSON";
                return -EBADMSG;
        }
        if (!json_object_is_type(root, json_type_array)) {
                *reterr_reason = "manifest.json is not a JSON array";
                return -EBADMSG;
        }
        count = json_object_array_length(root);
        if (count == 0) {
                *reterr_reason = "manifest.json lists no image";
                return -EBADMSG;
        }
        if (count > DOCKER_ARCHIVE_IMAGES_MAX) {
                *reterr_reason = "manifest.json lists more than 1024 images";
                return -EBADMSG;
        }
        images = calloc(count, sizeof(DockerArchiveImage));
        if (!images)
                return -ENOMEM;

        for (size_t i = 0; i < count; i++) {
                struct json_object *e = json_object_array_get_idx(root, i), *config = NULL, *layers;
                DockerArchiveImage *img = &images[n++];
                size_t nl;

                if (!json_object_is_type(e, json_type_object)) {
                        *reterr_reason = "manifest.json has an entry that is not a JSON object";
                        r = -EBADMSG;
                        goto fail;
                }
                if (json_get_object(e, "LayerSources")) {
                        *reterr_reason =
                                "the archive has foreign layers (LayerSources), which berth does not "
                                "load";
                        r = -EBADMSG;
                        goto fail;
                }
                (void) json_object_object_get_ex(e, "Config", &config);
                r = parse_path(config, /* layer= */ false, &img->config, reterr_reason);
                if (r < 0)
                        goto fail;
                layers = json_get_array(e, "Layers");
                if (!layers) {
                        *reterr_reason = "manifest.json has an image without a Layers array";
                        r = -EBADMSG;
                        goto fail;
                }
                nl = json_object_array_length(layers);
                if (nl > MANIFEST_LAYERS_MAX) {
                        *reterr_reason = "manifest.json has an image with more than 256 layers";
                        r = -EBADMSG;
                        goto fail;
                }
                img->layers = calloc(nl ?: 1, sizeof(char *));
                if (!img->layers) {
                        r = -ENOMEM;
                        goto fail;
                }
                for (size_t j = 0; j < nl; j++) {
                        r = parse_path(json_object_array_get_idx(layers, j), /* layer= */ true,
                                &img->layers[j], reterr_reason);
                        if (r < 0)
                                goto fail;
                        img->n_layers = j + 1;
                }
                struct json_object *tags = NULL;
                (void) json_object_object_get_ex(e, "RepoTags", &tags);
                r = parse_tags(tags, &img->repo_tags, reterr_reason);
                if (r < 0)
                        goto fail;
        }

        *ret = images;
        *ret_n = n;
        return 0;

fail:
        docker_archive_image_array_free(images, n);
        return r;
}
