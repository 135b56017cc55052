/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* An image reference parsed and normalised the way Docker does it:
 *   busybox                     → docker.io / library/busybox : latest
 *   busybox:1.36                → docker.io / library/busybox : 1.36
 *   localhost:5000/x/y:tag      → localhost:5000 / x/y : tag
 *   name@sha256:<64 hex>        → docker.io / library/name, no tag, digest */
typedef struct ImageReference {
        char *domain; /* "docker.io", "localhost:5000", "quay.io" */
        char *path; /* "library/busybox", "x/y" */
        char *tag; /* NULL only when a digest is given without a tag */
        char *digest; /* "sha256:<hex>" or NULL */
} ImageReference;

/* Parses s. On failure returns -EINVAL and, if reterr_reason is non-NULL, points it at a static English
 * sentence saying what is wrong (e.g. "repository name must be lowercase"). */
int image_reference_parse(const char *s, ImageReference **ret, const char **reterr_reason);
ImageReference *image_reference_free(ImageReference *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageReference *, image_reference_free);

/* "docker.io/library/busybox" */
char *image_reference_name(const ImageReference *r);
/* Fully qualified: "docker.io/library/busybox:latest", "docker.io/library/x@sha256:…",
 * "quay.io/a/b:t@sha256:…". NULL on OOM. */
char *image_reference_to_string(const ImageReference *r);
/* Docker's short display name of the repository: "busybox", "localhost:5000/x/y", "quay.io/a/b". */
char *image_reference_familiar_name(const ImageReference *r);
