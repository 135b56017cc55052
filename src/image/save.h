/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "store.h"

/* `berth save`: images into a docker-archive, the format `docker load`, `skopeo ... docker-archive:` and
 * `berth load` read:
 *
 *   <diff_id hex>.tar      each layer once, re-created from its directory by layer_export()
 *   <config hex>.json      each image's config, with rootfs.diff_ids naming the re-created tars
 *   manifest.json          [{"Config": ..., "RepoTags": ["busybox:latest"], "Layers": [...]}, ...]
 *
 * Members are written in that order with fixed metadata (0644, root, mtime 0). A re-created layer tar
 * rarely has the bytes of the one the layer came from, so the config changes and the saved image has
 * another ID than the stored one (berth keeps no tar-split metadata as Docker does); saving the loaded
 * image again gives the same ID (layer_export() is a fixed point of extract+export). The store is held
 * with LOCK_SH while the layers are read. */

typedef struct SaveImage {
        const char *id; /* image ID, "sha256:<hex>" */
        char **tags; /* full references written as RepoTags (familiar form), may be NULL */
} SaveImage;

/* Images with the same ID are written once, with their tags merged. On failure returns a negative errno
 * and an allocated message in *reterr; out_fd then holds a partial archive. */
int image_save(ImageStore *s, const SaveImage *images, size_t n, int out_fd, char **reterr);
