/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "digest.h"
#include "reference.h"
#include "store.h"

/* `berth push`: an image from the store into a registry (registry.h: TLS, certs.d, insecure registries,
 * token and basic auth with the scope "repository:REPO:push,pull").
 *
 * Each layer is re-created gzip-compressed by layer_export() into a spool file in the store's tmp/ (under
 * LOCK_SH, released before the upload), checked with a HEAD (an existing blob is not sent again) and
 * uploaded in one piece. The config gets the re-created layers' diff_ids (layer-export.h says why they
 * differ), so the pushed image usually has another ID than the local one (the same as `berth save` gives);
 * layer_export() is deterministic, so pushing it again finds every blob present and gives the same manifest
 * digest. The manifest is Docker's schema2 (what `docker push` writes), PUT under the reference's tag. */

typedef enum PushLayerState {
        PUSH_LAYER_PREPARING,
        PUSH_LAYER_PUSHING,
        PUSH_LAYER_PUSHED,
        PUSH_LAYER_EXISTS,
} PushLayerState;

typedef struct PushOptions {
        /* called from the calling thread as each layer changes state; diff_id is the re-created layer's once
         * known (PUSHING on), the stored one before */
        void (*progress)(const char *diff_id, PushLayerState state, void *userdata);
        void *userdata;
} PushOptions;

typedef struct PushResult {
        char manifest_digest[DIGEST_STRING_MAX];
        uint64_t manifest_size;
        char config_digest[DIGEST_STRING_MAX]; /* the pushed image's ID */
} PushResult;

/* Pushes the stored image id as dest (which has a tag and no digest). On failure returns a negative errno
 * and an allocated message in *reterr. */
int image_push(ImageStore *s, const char *id, const ImageReference *dest, const PushOptions *opts,
        PushResult *ret, char **reterr);
