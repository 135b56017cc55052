/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Registry manifests, parsed from untrusted JSON: Docker schema2 manifests and manifest lists, OCI image
 * manifests and indexes. Every digest is checked with digest_is_valid() and every size bounded before a
 * caller can use it; anything berth cannot pull (schema1, artifacts, foreign layers) is refused with a
 * sentence saying why. */

#define MEDIA_TYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_TYPE_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_TYPE_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_TYPE_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_TYPE_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

/* What a registry is asked for (the Accept header of a manifest GET). */
#define MANIFEST_ACCEPT                                                                                     \
        MEDIA_TYPE_OCI_INDEX ", " MEDIA_TYPE_DOCKER_LIST ", " MEDIA_TYPE_OCI_MANIFEST                       \
                             ", " MEDIA_TYPE_DOCKER_MANIFEST

#define MANIFEST_SIZE_MAX (4u * 1024 * 1024)
#define CONFIG_SIZE_MAX (8u * 1024 * 1024)
#define MANIFEST_LAYERS_MAX 256u
#define INDEX_ENTRIES_MAX 1024u

typedef struct Descriptor {
        char *media_type;
        char *digest; /* valid "sha256:<hex>" */
        uint64_t size;
        /* index entries only */
        char *os, *architecture, *variant;
        bool attestation; /* a Docker attestation manifest (vnd.docker.reference.type) */
        /* index entries of an OCI layout: annotations org.opencontainers.image.ref.name (usually a tag) and
         * io.containerd.image.name (a full reference, written by `docker save` >= 25); not validated */
        char *ref_name, *image_name;
} Descriptor;

typedef enum ManifestKind {
        MANIFEST_IMAGE,
        MANIFEST_INDEX,
} ManifestKind;

typedef struct Manifest {
        ManifestKind kind;
        char *media_type;
        Descriptor config; /* MANIFEST_IMAGE */
        Descriptor *layers; /* MANIFEST_IMAGE, bottom first */
        size_t n_layers;
        Descriptor *manifests; /* MANIFEST_INDEX */
        size_t n_manifests;
} Manifest;

/* Parses a manifest or index. content_type (the response's Content-Type, may be NULL) is used when the
 * document has no mediaType field. -EBADMSG with a static reason for anything malformed or unsupported. */
int manifest_parse(const char *data, size_t size, const char *content_type, Manifest **ret,
        const char **reterr_reason);
Manifest *manifest_free(Manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manifest *, manifest_free);

/* Picks the entry of an index for os/architecture[/variant] (variant NULL: the platform's default). Skips
 * attestation manifests. -ENOENT if none matches. */
int manifest_index_select(const Manifest *index, const char *os, const char *architecture,
        const char *variant, const Descriptor **ret);

/* Parses "os/arch[/variant]" (e.g. "linux/arm64/v8"); -EINVAL if malformed. */
int platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant);
