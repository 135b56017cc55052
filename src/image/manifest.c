/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "json-util.h"
#include "string-util.h"

static void descriptor_done(Descriptor *d) {
        free(d->media_type);
        free(d->digest);
        free(d->os);
        free(d->architecture);
        free(d->variant);
        free(d->ref_name);
        free(d->image_name);
}

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->media_type);
        descriptor_done(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_done(&m->layers[i]);
        free(m->layers);
        for (size_t i = 0; i < m->n_manifests; i++)
                descriptor_done(&m->manifests[i]);
        free(m->manifests);
        free(m);
        return NULL;
}

static int dup_optional(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int parse_descriptor(struct json_object *o, uint64_t max_size, Descriptor *d, const char **reterr) {
        const char *mt = json_get_string(o, "mediaType"), *digest = json_get_string(o, "digest");
        struct json_object *size;
        int64_t sz;

        if (!json_object_is_type(o, json_type_object)) {
                *reterr = "a descriptor is not a JSON object";
                return -EBADMSG;
        }
        if (!digest) {
                *reterr = "a descriptor has no digest";
                return -EBADMSG;
        }
        if (!digest_is_valid(digest)) {
                *reterr = startswith(digest, "sha256:")
                        ? "a descriptor has a malformed sha256 digest"
                        : "a descriptor uses a digest algorithm other than sha256";
                return -EBADMSG;
        }
        if (!json_object_object_get_ex(o, "size", &size) || !json_object_is_type(size, json_type_int)) {
                *reterr = "a descriptor has no integer size";
                return -EBADMSG;
        }
        sz = json_object_get_int64(size);
        if (sz < 0 || (uint64_t) sz > max_size) {
                *reterr = "a descriptor's size is negative or too large";
                return -EBADMSG;
        }
        d->size = (uint64_t) sz;
        if (dup_optional(mt, &d->media_type) < 0 || dup_optional(digest, &d->digest) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_layer_type(const char *mt) {
        return streq(mt, MEDIA_TYPE_DOCKER_LAYER) || streq(mt, MEDIA_TYPE_OCI_LAYER) ||
                streq(mt, MEDIA_TYPE_OCI_LAYER_GZIP) || streq(mt, MEDIA_TYPE_OCI_LAYER_ZSTD);
}

static int parse_image(struct json_object *root, Manifest *m, const char **reterr) {
        struct json_object *config = json_get_object(root, "config"),
                           *layers = json_get_array(root, "layers");
        size_t n;
        int r;

        if (!config || !layers) {
                *reterr = "the manifest has no config or no layers";
                return -EBADMSG;
        }
        r = parse_descriptor(config, CONFIG_SIZE_MAX, &m->config, reterr);
        if (r < 0)
                return r;
        if (m->config.media_type && !streq(m->config.media_type, MEDIA_TYPE_DOCKER_CONFIG) &&
                !streq(m->config.media_type, MEDIA_TYPE_OCI_CONFIG)) {
                *reterr = "the manifest is not a container image (its config has another media type)";
                return -EBADMSG;
        }
        n = json_object_array_length(layers);
        if (n > MANIFEST_LAYERS_MAX) {
                *reterr = "the manifest has more than 256 layers";
                return -EBADMSG;
        }
        m->layers = calloc(n ?: 1, sizeof(Descriptor));
        if (!m->layers)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Descriptor *d = &m->layers[i];

                m->n_layers = i + 1;
                r = parse_descriptor(json_object_array_get_idx(layers, i), UINT64_C(1) << 40, d, reterr);
                if (r < 0)
                        return r;
                if (!d->media_type) {
                        *reterr = "a layer has no media type";
                        return -EBADMSG;
                }
                if (strstr(d->media_type, "foreign") || strstr(d->media_type, "nondistributable")) {
                        *reterr = "the image has foreign (non-distributable) layers, which berth does not "
                                  "fetch";
                        return -EBADMSG;
                }
                if (!is_layer_type(d->media_type)) {
                        *reterr = "a layer has an unsupported media type (berth pulls tar, tar+gzip and "
                                  "tar+zstd layers)";
                        return -EBADMSG;
                }
        }
        return 0;
}

static int parse_index(struct json_object *root, Manifest *m, const char **reterr) {
        struct json_object *list = json_get_array(root, "manifests");
        size_t n;
        int r;

        if (!list) {
                *reterr = "the index has no manifests array";
                return -EBADMSG;
        }
        n = json_object_array_length(list);
        if (n > INDEX_ENTRIES_MAX) {
                *reterr = "the index has more than 1024 entries";
                return -EBADMSG;
        }
        m->manifests = calloc(n ?: 1, sizeof(Descriptor));
        if (!m->manifests)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(list, i), *platform, *ann;
                Descriptor *d = &m->manifests[i];
                const char *ref_type;

                m->n_manifests = i + 1;
                r = parse_descriptor(e, MANIFEST_SIZE_MAX, d, reterr);
                if (r < 0)
                        return r;
                platform = json_get_object(e, "platform");
                if (platform &&
                        (dup_optional(json_get_string(platform, "os"), &d->os) < 0 ||
                                dup_optional(json_get_string(platform, "architecture"), &d->architecture) <
                                        0 ||
                                dup_optional(json_get_string(platform, "variant"), &d->variant) < 0))
                        return -ENOMEM;
                ann = json_get_object(e, "annotations");
                ref_type = ann ? json_get_string(ann, "vnd.docker.reference.type") : NULL;
                d->attestation = streq_ptr(ref_type, "attestation-manifest");
                if (ann &&
                        (dup_optional(json_get_string(ann, "org.opencontainers.image.ref.name"),
                                 &d->ref_name) < 0 ||
                                dup_optional(json_get_string(ann, "io.containerd.image.name"),
                                        &d->image_name) < 0))
                        return -ENOMEM;
        }
        return 0;
}

int manifest_parse(const char *data, size_t size, const char *content_type, Manifest **ret,
        const char **reterr_reason) {
        _cleanup_json_ struct json_object *root = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        const char *mt, *reason;
        _cleanup_free_ char *ct = NULL;
        int r;

        if (size > MANIFEST_SIZE_MAX) {
                *reterr_reason = "the manifest is larger than 4 MiB";
                return -EBADMSG;
        }
        r = json_parse(data, size, &root, &reason);
        if (r < 0) {
                *reterr_reason = "the manifest is not valid JSON";
                return -EBADMSG;
        }
        if (!json_object_is_type(root, json_type_object)) {
                *reterr_reason = "the manifest is not a JSON object";
                return -EBADMSG;
        }
        if (json_get_int64(root, "schemaVersion", 0) != 2) {
                *reterr_reason =
                        "the manifest is not schemaVersion 2 (Docker schema1 images are not supported)";
                return -EBADMSG;
        }
        /* the media type: the document's own field, else the response's Content-Type without parameters */
        mt = json_get_string(root, "mediaType");
        if (!mt && content_type) {
                ct = strndup(content_type, strcspn(content_type, "; \t"));
                if (!ct)
                        return -ENOMEM;
                mt = ct;
        }
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        if (streq_ptr(mt, MEDIA_TYPE_DOCKER_LIST) || streq_ptr(mt, MEDIA_TYPE_OCI_INDEX) ||
                (!mt && json_get_array(root, "manifests")))
                m->kind = MANIFEST_INDEX;
        else if (streq_ptr(mt, MEDIA_TYPE_DOCKER_MANIFEST) || streq_ptr(mt, MEDIA_TYPE_OCI_MANIFEST) ||
                (!mt && json_get_object(root, "config")))
                m->kind = MANIFEST_IMAGE;
        else {
                *reterr_reason = "the manifest has an unsupported media type";
                return -EBADMSG;
        }
        m->media_type =
                strdup(mt ?: (m->kind == MANIFEST_INDEX ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST));
        if (!m->media_type)
                return -ENOMEM;
        r = m->kind == MANIFEST_INDEX ? parse_index(root, m, reterr_reason)
                                      : parse_image(root, m, reterr_reason);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* The variant an image for this platform has when none is written: arm64 images are v8. */
static const char *default_variant(const char *arch) {
        return streq_ptr(arch, "arm64") ? "v8" : NULL;
}

int manifest_index_select(const Manifest *index, const char *os, const char *architecture,
        const char *variant, const Descriptor **ret) {
        const Descriptor *best = NULL;
        const char *want = variant ?: default_variant(architecture);

        for (size_t i = 0; i < index->n_manifests; i++) {
                const Descriptor *d = &index->manifests[i];
                const char *have;

                if (d->attestation || !streq_ptr(d->os, os) || !streq_ptr(d->architecture, architecture))
                        continue;
                have = d->variant ?: default_variant(d->architecture);
                if (streq_ptr(have, want)) {
                        *ret = d;
                        return 0;
                }
                /* an explicit --platform variant must match; otherwise take any variant */
                if (!variant && !best)
                        best = d;
        }
        if (!best)
                return -ENOENT;
        *ret = best;
        return 0;
}

int platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant) {
        _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
        const char *a, *v;

        a = strchr(s, '/');
        if (!a || a == s || !a[1])
                return -EINVAL;
        v = strchr(a + 1, '/');
        if (v && (v == a + 1 || !v[1] || strchr(v + 1, '/')))
                return -EINVAL;
        os = strndup(s, (size_t) (a - s));
        arch = v ? strndup(a + 1, (size_t) (v - a - 1)) : strdup(a + 1);
        variant = v ? strdup(v + 1) : NULL;
        if (!os || !arch || (v && !variant))
                return -ENOMEM;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '/' || *c == '_'))
                        return -EINVAL;
        *ret_os = TAKE_PTR(os);
        *ret_arch = TAKE_PTR(arch);
        *ret_variant = TAKE_PTR(variant);
        return 0;
}
