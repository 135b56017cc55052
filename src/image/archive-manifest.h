/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>

#include "macro.h"

/* The parts of image archives (`docker save`, `skopeo copy ... docker-archive:` / `oci-archive:`) that come
 * from untrusted input: member names and docker-archive's manifest.json. Nothing here touches a file.
 *
 * Member names an archive may have (a leading "./" and a trailing "/" are ignored; HEX is 64 lowercase hex
 * digits):
 *   manifest.json, repositories                docker-archive (`docker save`, skopeo, podman)
 *   HEX.json, HEX.tar, HEX/layer.tar           docker-archive config and layers (skopeo names layers by
 *                                              diff_id, docker < 25 by a v1 ID in a directory)
 *   HEX/json, HEX/VERSION                      docker-archive v1 metadata (not needed)
 *   oci-layout, index.json, blobs/sha256/HEX   OCI image layout (and `docker save` >= 25, which writes both)
 *   blobs/, blobs/sha256/, HEX/                directories
 * A name that is absolute, has an empty, "." or ".." component, or a control character is invalid; any
 * other name is unknown (and skipped by the loader). */

typedef enum ArchiveMemberKind {
        ARCHIVE_MEMBER_MANIFEST,
        ARCHIVE_MEMBER_REPOSITORIES,
        ARCHIVE_MEMBER_CONFIG,
        ARCHIVE_MEMBER_LAYER,
        ARCHIVE_MEMBER_LEGACY,
        ARCHIVE_MEMBER_OCI_LAYOUT,
        ARCHIVE_MEMBER_INDEX,
        ARCHIVE_MEMBER_BLOB,
        ARCHIVE_MEMBER_DIRECTORY,
        ARCHIVE_MEMBER_UNKNOWN,
        _ARCHIVE_MEMBER_KIND_MAX,
        _ARCHIVE_MEMBER_KIND_INVALID = -EINVAL,
} ArchiveMemberKind;

#define ARCHIVE_MEMBER_NAME_MAX 256u

/* Classifies a member name. With ret_canonical, also returns the name without "./" prefixes and trailing
 * slashes (for every kind but INVALID): the form manifest.json's paths are compared in. */
ArchiveMemberKind archive_member_classify(const char *name, char **ret_canonical);
const char *archive_member_kind_to_string(ArchiveMemberKind k);

#define DOCKER_ARCHIVE_MANIFEST_MAX (8u * 1024 * 1024)
#define DOCKER_ARCHIVE_IMAGES_MAX 1024u
#define DOCKER_ARCHIVE_TAGS_MAX 1024u

typedef struct DockerArchiveImage {
        char *config; /* canonical member name: HEX.json or blobs/sha256/HEX */
        char **layers; /* canonical member names (LAYER or BLOB), bottom first */
        size_t n_layers;
        char **repo_tags; /* full references ("docker.io/library/busybox:latest"), may be NULL */
} DockerArchiveImage;

void docker_archive_image_array_free(DockerArchiveImage *images, size_t n);

/* Parses manifest.json: [{"Config": ..., "RepoTags": [...], "Layers": [...]}, ...]. Every path must be a
 * valid member name of the right kind, every tag a reference with a tag and without a digest, at most
 * MANIFEST_LAYERS_MAX layers per image. -EBADMSG with a static reason for anything else. */
int docker_archive_manifest_parse(const char *data, size_t size, DockerArchiveImage **ret, size_t *ret_n,
        const char **reterr_reason);
