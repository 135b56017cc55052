/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"

typedef enum LayerExtractFlags {
        /* Create character/block device nodes and FIFOs from the tar (privileged containers only). Without it,
         * device entries are skipped with a debug log; overlay whiteouts are always created. */
        LAYER_EXTRACT_ALLOW_DEVICES = 1 << 0,
        /* On failure, read the rest of the input anyway and fill ret->compressed_digest, so that a pull can
         * tell a download that does not match its digest (the likely cause) from a bad layer. */
        LAYER_EXTRACT_DIGEST_ON_ERROR = 1 << 1,
} LayerExtractFlags;

/* Bounds against decompression bombs, overridable with $BERTH_LAYER_MAX_SIZE (bytes of the uncompressed
 * tar stream) and $BERTH_LAYER_MAX_ENTRIES; a layer beyond either fails with -EFBIG. */
#define LAYER_MAX_SIZE (UINT64_C(64) << 30)
#define LAYER_MAX_ENTRIES UINT64_C(4000000)

typedef struct LayerExtractResult {
        char diff_id[DIGEST_STRING_MAX]; /* sha256 of the uncompressed tar stream */
        char compressed_digest[DIGEST_STRING_MAX]; /* sha256 of the bytes read from input_fd */
        uint64_t compressed_size;
        uint64_t uncompressed_size; /* bytes of the uncompressed tar stream */
        uint64_t content_size; /* sum of regular file sizes written */
        uint64_t n_entries;
} LayerExtractResult;

/* Reads a tar stream (plain, gzip, zstd, xz or bzip2, detected from its content) from input_fd and unpacks it
 * into the empty directory dir_fd, treating the archive as hostile: every entry is resolved inside dir_fd
 * (openat2 RESOLVE_IN_ROOT, with a no-follow walk as fallback); absolute names are taken relative to the root;
 * ".." never climbs above it; symlinks inside the layer are never followed while creating entries; hardlink
 * targets must resolve inside the layer to a non-directory; "." and the root itself are never replaced.
 * Whiteouts become overlayfs whiteouts: ".wh.NAME" → a 0:0 character device NAME, ".wh..wh..opq" → the
 * trusted.overlay.opaque=y xattr on its directory. Ownership, modes, mtimes and xattrs are restored.
 * On failure returns a negative errno and, if reterr_msg is non-NULL, an allocated message naming the entry
 * and what was wrong. The caller deletes the directory's contents on failure. */
int layer_extract(int input_fd, int dir_fd, LayerExtractFlags flags, LayerExtractResult *ret,
        char **reterr_msg);

/* The path rule on its own, for fuzzing and tests: normalises a tar entry name into a relative path without
 * "." or ".." components that stays inside the root (a leading "/" and ".." at the root are dropped, like
 * RESOLVE_IN_ROOT does). Returns 0 and an allocated path ("" for the root itself), or -EINVAL for names that
 * are empty or contain NUL-free garbage we refuse (e.g. over PATH_MAX). */
int layer_normalize_path(const char *name, char **ret);
