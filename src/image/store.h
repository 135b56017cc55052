/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/types.h>

#include "digest.h"
#include "layer.h"
#include "macro.h"

/* The on-disk image store (see ARCHITECTURE.md, "State"):
 *
 *   ROOT/lock                        flock: LOCK_EX for every change, LOCK_SH for reads
 *   ROOT/blobs/sha256/<hex>          content-addressed blobs (image configs, manifests)
 *   ROOT/layers/<hex>/diff/          a layer unpacked once (overlayfs format); <hex> is its diff_id
 *   ROOT/layers/<hex>/layer.json     {"DiffID", "Size"}
 *   ROOT/images/<hex>.json           image record; <hex> is the image ID (digest of its config blob)
 *   ROOT/repositories.json           tag index: {"docker.io/library/busybox:latest": "sha256:<id>", ...}
 *   ROOT/containers/<name>/          containers (config.json names the image ID and layers they use)
 *   ROOT/tmp/                        work dirs of imports and loads in progress, each flock'ed by its owner;
 *                                    anonymous spool files (save, push)
 *
 * Every file is replaced with write-temp/fsync/rename; a layer is published by renaming its finished temp
 * directory. Anything a killed command left in tmp/ is removed by the next command that takes the lock. An
 * image becomes visible only when its record is written, which happens after its blobs and layers exist. */

typedef struct ImageStore ImageStore;

typedef struct ImageRecord {
        char *id; /* "sha256:<hex>" */
        char **repo_tags; /* full references: "docker.io/library/busybox:latest" */
        char **layers; /* diff_ids, bottom first */
        char *manifest_digest; /* NULL for imported images */
        char **repo_digests; /* pulled images: "localhost:5000/busybox@sha256:..." for each repository */
        uint64_t size; /* sum of the layers' content sizes */
        int64_t created; /* from the config, seconds since the epoch */
        int64_t tagged; /* last time a tag changed, seconds since the epoch */
        struct json_object *config; /* the image config blob, parsed */
} ImageRecord;

ImageRecord *image_record_free(ImageRecord *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageRecord *, image_record_free);
void image_record_array_free(ImageRecord **a, size_t n);

/* Opens (and creates, if missing) the store at root. */
int image_store_open(const char *root, ImageStore **ret);
ImageStore *image_store_free(ImageStore *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageStore *, image_store_free);
const char *image_store_root(ImageStore *s);
int image_store_root_fd(ImageStore *s);

/* Takes the store lock (LOCK_SH or LOCK_EX); image_store_unlock() drops it. The mutating calls below take
 * the exclusive lock themselves and must not be called with a lock held. Taking LOCK_EX also removes work
 * dirs that killed commands left behind. */
int image_store_lock(ImageStore *s, int operation);
void image_store_unlock(ImageStore *s);

/* Stores data as a blob; ret_digest (may be NULL) receives "sha256:<hex>". */
int image_store_put_blob(ImageStore *s, const void *data, size_t size, char ret_digest[DIGEST_STRING_MAX]);
/* Reads a blob and verifies its digest (-EBADMSG on mismatch, -ENOENT when missing). */
int image_store_read_blob(ImageStore *s, const char *digest, size_t max_size, char **ret, size_t *ret_size);

/* A private work dir "tmp/PREFIX-PID-RANDOM" for an operation in progress, flock()ed through *ret_fd so that
 * the sweep of stale work dirs leaves it alone until that fd is closed. The caller removes it with
 * image_store_remove_work_dir() (a killed caller leaves it to the next sweep). No lock may be held. */
int image_store_make_work_dir(ImageStore *s, const char *prefix, char **ret_name, int *ret_fd);
int image_store_remove_work_dir(ImageStore *s, const char *name);
/* An anonymous read-write file in tmp/ (O_TMPFILE, or created and unlinked at once): spool space that
 * disappears with its fd. */
int image_store_open_tmpfile(ImageStore *s, int *ret_fd);
/* Opens layers/<diff_id>/diff of a published layer (-ENOENT if there is none). Layers never change once
 * published, but rmi may delete one: hold LOCK_SH while reading it. */
int image_store_open_layer(ImageStore *s, const char *diff_id, int *ret_fd);

/* What a pulled layer must turn out to be: its digest as downloaded and its diff_id (either may be NULL). */
typedef struct LayerExpect {
        const char *compressed_digest;
        const char *diff_id;
} LayerExpect;

/* Unpacks a layer tar stream from input_fd into a work dir and publishes it under layers/<diff_id>; if that
 * layer exists already, the new copy is dropped. With expect, a layer whose digests differ is never
 * published: -EBADMSG and a message naming both digests. */
int image_store_import_layer(ImageStore *s, int input_fd, LayerExtractFlags flags, const LayerExpect *expect,
        LayerExtractResult *ret, char **reterr_msg);
bool image_store_has_layer(ImageStore *s, const char *diff_id);

/* Writes config as a blob and creates the image record for it (image ID = config digest), then points each
 * of tags (full references, may be NULL) at it. Every layer in config's rootfs.diff_ids must be present.
 * manifest_digest is NULL (imports), "sha256:..." or a repo digest "NAME@sha256:..." that is added to the
 * record's repo digests. */
int image_store_add_image(ImageStore *s, const char *config, size_t config_size, const char *manifest_digest,
        char *const *tags, char ret_id[DIGEST_STRING_MAX]);

/* All images, sorted newest first. */
int image_store_list(ImageStore *s, ImageRecord ***ret, size_t *ret_n);
int image_store_get(ImageStore *s, const char *id, ImageRecord **ret);

/* Finds an image by reference ("busybox", "docker.io/library/busybox:1", "x@sha256:…") or by ID or unique ID
 * prefix ("sha256:3fa1…", "3fa1"). -ENOENT if nothing matches, -ENOTUNIQ for an ambiguous ID prefix.
 * ret_ref (may be NULL) receives the full reference when s named a tag, else NULL. */
int image_store_resolve(ImageStore *s, const char *name, ImageRecord **ret, char **ret_ref);

/* Points full reference ref at image id (moving it from another image if needed). */
int image_store_tag(ImageStore *s, const char *id, const char *ref);

/* Container users of an image: names of containers whose config.json names this image ID. */
int image_store_image_users(ImageStore *s, const char *id, char ***ret);

typedef enum ImageRemoveFlags {
        IMAGE_REMOVE_FORCE = 1 << 0,
} ImageRemoveFlags;

/* Docker's rmi: when name is a tag, removes that tag, and the image when no tag is left; when name is an ID,
 * removes the image with all its tags (an image with several tags needs FORCE). An image in use by a
 * container is refused without FORCE. Layers no longer used by any image or container are deleted.
 * ret_untagged / ret_deleted list what happened (Docker prints "Untagged:" and "Deleted:" lines).
 * On refusal returns -EBUSY and a message in reterr_msg. */
int image_store_remove(ImageStore *s, const char *name, ImageRemoveFlags flags, char ***ret_untagged,
        char ***ret_deleted, char **reterr_msg);
