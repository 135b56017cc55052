/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the credentials-file parser (Docker's config.json / containers' auth.json) for a
 * few registry names; whatever it finds must be a non-empty user without ':' and a password. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth-config.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const registries[] = { "docker.io", "localhost:5000", "quay.io" };

        if (size > 64 * 1024)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(registries); i++) {
                _cleanup_free_ char *user = NULL, *password = NULL;

                if (auth_config_lookup_in((const char *) data, size, registries[i], &user, &password) > 0 &&
                        (!user || !password || !user[0] || strchr(user, ':')))
                        abort();
        }
        return 0;
}
