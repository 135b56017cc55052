/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "reference.h"
#include "store.h"

/* Pulling an image from a registry into the store:
 *   manifest (or index → the platform's manifest) → config → layers, each verified by digest while it
 *   streams (compressed digest and diff_id) and unpacked while it downloads, several layers in parallel, each
 *   in its own work dir that is published only when both digests matched. The image record (and its tag) is
 *   written last, so a pull killed at any moment leaves the image absent or complete; layers already in the
 *   store are not downloaded again. */

typedef enum PullLayerState {
        PULL_LAYER_WAITING,
        PULL_LAYER_DOWNLOADING,
        PULL_LAYER_VERIFYING, /* downloaded; the unpacker finishes and checks the digests */
        PULL_LAYER_DONE,
        PULL_LAYER_EXISTS, /* already in the store */
        PULL_LAYER_FAILED,
} PullLayerState;

typedef struct PullLayer {
        char digest[DIGEST_STRING_MAX]; /* as stored in the registry (compressed) */
        char diff_id[DIGEST_STRING_MAX];
        uint64_t size;
        _Atomic uint64_t downloaded;
        _Atomic int state; /* PullLayerState */
} PullLayer;

typedef struct PullProgress {
        const char *reference; /* "localhost:5000/busybox:latest" */
        const PullLayer *layers;
        size_t n_layers;
} PullProgress;

typedef struct PullOptions {
        const char *os, *architecture, *variant; /* NULL: this machine's */
        unsigned parallel; /* layers downloaded at once; 0: 3 */
        /* called from the calling thread: once the layers are known, about every 100 ms while they
         * transfer, and at the end */
        void (*progress)(const PullProgress *p, void *userdata);
        void *userdata;
} PullOptions;

typedef struct PullResult {
        char id[DIGEST_STRING_MAX]; /* the image ID (config digest) */
        char manifest_digest[DIGEST_STRING_MAX]; /* what the reference resolved to (index or manifest) */
        bool up_to_date; /* nothing was downloaded: the image was complete already */
} PullResult;

/* Pulls ref (a tag or digest reference) into store s. On failure returns a negative errno and an allocated
 * message naming what failed (the registry, the layer digest, ...). */
int image_pull(ImageStore *s, const ImageReference *ref, const PullOptions *opts, PullResult *ret,
        char **reterr);
