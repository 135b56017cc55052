/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the docker-archive manifest.json parser and, as a string, to the archive member
 * name rule. Whatever parses must name only members of the right kind and carry NAME:TAG references. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive-manifest.h"
#include "reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name, ArchiveMemberKind want_a, ArchiveMemberKind want_b) {
        char *canonical = NULL;
        ArchiveMemberKind k = archive_member_classify(name, &canonical);

        if (k != want_a && k != want_b)
                abort();
        /* names in manifest.json are canonical already */
        if (!canonical || strcmp(canonical, name) != 0)
                abort();
        free(canonical);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DockerArchiveImage *images = NULL;
        const char *reason = NULL;
        char *s, *canonical = NULL;
        size_t n = 0;
        ArchiveMemberKind k;

        if (size > 256 * 1024)
                return 0;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        k = archive_member_classify(s, &canonical);
        if (k >= 0) {
                /* a canonical name is never absolute, never has "." or ".." components */
                if (!canonical || canonical[0] == '/' || strstr(canonical, "//") ||
                        strcmp(canonical, "..") == 0 || strncmp(canonical, "../", 3) == 0 ||
                        strstr(canonical, "/../") || strstr(canonical, "/./"))
                        abort();
                if (archive_member_classify(canonical, NULL) != k || !archive_member_kind_to_string(k))
                        abort();
        }
        free(canonical);
        free(s);

        if (docker_archive_manifest_parse((const char *) data, size, &images, &n, &reason) < 0) {
                if (!reason)
                        abort();
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                check_name(images[i].config, ARCHIVE_MEMBER_CONFIG, ARCHIVE_MEMBER_BLOB);
                for (size_t j = 0; j < images[i].n_layers; j++)
                        check_name(images[i].layers[j], ARCHIVE_MEMBER_LAYER, ARCHIVE_MEMBER_BLOB);
                for (char **t = images[i].repo_tags; t && *t; t++) {
                        ImageReference *ref = NULL;
                        if (image_reference_parse(*t, &ref, NULL) < 0 || ref->digest || !ref->tag)
                                abort();
                        image_reference_free(ref);
                }
        }
        docker_archive_image_array_free(images, n);
        return 0;
}
