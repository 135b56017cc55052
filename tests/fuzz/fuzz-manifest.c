/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the manifest/index parser. Whatever parses must have valid digests everywhere,
 * and selecting a platform from an index must not crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "digest.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        const char *reason = NULL;
        const Descriptor *d;

        if (size > 256 * 1024)
                return 0;
        if (manifest_parse((const char *) data, size, "application/vnd.oci.image.manifest.v1+json", &m,
                    &reason) < 0) {
                if (!reason)
                        abort();
                return 0;
        }
        if (m->kind == MANIFEST_IMAGE) {
                if (!digest_is_valid(m->config.digest))
                        abort();
                for (size_t i = 0; i < m->n_layers; i++)
                        if (!digest_is_valid(m->layers[i].digest) || !m->layers[i].media_type)
                                abort();
        } else {
                for (size_t i = 0; i < m->n_manifests; i++)
                        if (!digest_is_valid(m->manifests[i].digest))
                                abort();
                (void) manifest_index_select(m, "linux", "amd64", NULL, &d);
                (void) manifest_index_select(m, "linux", "arm64", "v8", &d);
        }
        return 0;
}
