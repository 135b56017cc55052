/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "digest.h"
#include "store.h"

/* A layer tar re-created from its unpacked directory (the opposite of layer_extract()), for save and push.
 *
 * berth keeps layers only unpacked, in overlayfs format, so the tar is built again:
 *   - entries in a fixed order: names sorted bytewise per directory, a directory before its contents; names
 *     relative without "./", directories with a trailing "/"; pax (ustar with pax extended headers only
 *     where needed: long names, large ids, sub-second mtimes, xattrs);
 *   - a 0:0 character device becomes a ".wh.NAME" whiteout (an empty 0600 regular file with the device's
 *     owner and its directory's mtime, which survives a round trip; 0 in the layer root), a directory with
 *     trusted.overlay.opaque=y gets a "DIR/.wh..wh..opq" entry right after it (as moby writes them);
 *   - modes, owners (numeric, no user names), mtimes (with nanoseconds) and the xattrs layer_extract()
 *     restores (user.*, security.capability) are kept; overlay xattrs are never written;
 *   - symlinks, device nodes and FIFOs as they are; a second path to an inode (st_nlink > 1) becomes a hard
 *     link to the first path written; sockets are skipped;
 *   - no atime/ctime, so the same directory always gives the same bytes.
 * The result is usually not byte-identical to the tar the layer came from, so its digest (diff_id) differs
 * from the one the image config names: callers write a config with the new diff_ids (save) or push under a
 * new config (push). Docker avoids this with tar-split metadata recorded at unpack time. */

typedef enum LayerExportFlags {
        LAYER_EXPORT_GZIP = 1 << 0, /* compress the output (gzip, no timestamp, so it stays reproducible) */
} LayerExportFlags;

typedef struct LayerExportResult {
        char diff_id[DIGEST_STRING_MAX]; /* sha256 of the uncompressed tar */
        uint64_t size; /* bytes of the uncompressed tar */
        char digest[DIGEST_STRING_MAX]; /* sha256 of the bytes written to out_fd (diff_id without GZIP) */
        uint64_t written; /* bytes written to out_fd */
} LayerExportResult;

/* Writes the tree below dir_fd as a layer tar to out_fd. On failure returns a negative errno and, if
 * reterr_msg is non-NULL, a message naming the path that failed. */
int layer_export_dir(int dir_fd, int out_fd, LayerExportFlags flags, LayerExportResult *ret,
        char **reterr_msg);

/* The same for the store's layer diff_id. The caller holds LOCK_SH on the store (so rmi cannot delete the
 * layer meanwhile). */
int layer_export(ImageStore *s, const char *diff_id, int out_fd, LayerExportFlags flags,
        LayerExportResult *ret, char **reterr_msg);
