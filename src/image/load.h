/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "digest.h"
#include "store.h"

/* `berth load`: images from a docker-archive (`docker save`, `skopeo copy ... docker-archive:`) or an OCI
 * image layout in a tar (`skopeo copy ... oci-archive:`, `docker save` >= 25), plain or compressed (gzip,
 * zstd, xz, bzip2: detected from the content).
 *
 * The archive is untrusted. Its members are streamed into a private work dir under the store's tmp/
 * (regular files only, under names of our own; member names are only looked up, never used as paths, and
 * an absolute or ".." name fails the load; symlinks and hardlinks between members are followed in the
 * member table only), then:
 *   - docker-archive (manifest.json present; it wins over an OCI index next to it, as with Docker): each
 *     image's config is checked against its file name's digest, and each layer is imported with the
 *     diff_id its config names;
 *   - OCI layout (index.json): each entry's manifest (an index entry picks this machine's platform),
 *     config and layers are checked against their descriptors' digests, and layers against the config's
 *     diff_ids too.
 * Every layer goes through image_store_import_layer() with those expectations, so nothing unverified is
 * published. Everything is checked before the first layer is imported, and the image records (and tags)
 * are written only after every layer of every image is in: a failure leaves no new image (layers that were
 * already imported stay, unused, until an image removal sweeps them). The work dir is removed on every
 * path (a killed load leaves it to the store's next sweep).
 *
 * Tags: docker-archive RepoTags; for OCI, the io.containerd.image.name annotation, else
 * org.opencontainers.image.ref.name when it is a full name (contains ':' or '/'), not a bare tag. */

typedef struct LoadedImage {
        char id[DIGEST_STRING_MAX];
        char **tags; /* full references now pointing at id; NULL for an untagged image */
} LoadedImage;

typedef struct LoadResult {
        LoadedImage *images;
        size_t n_images;
} LoadResult;

void load_result_done(LoadResult *r);

/* Reads the archive from input_fd to its end. On failure returns a negative errno and an allocated message
 * in *reterr. */
int image_load(ImageStore *s, int input_fd, LoadResult *ret, char **reterr);
