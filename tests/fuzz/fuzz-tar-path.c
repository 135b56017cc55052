/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tar entry name rule on its own: whatever the name, the result is a clean relative path (no leading
 * "/", no empty, "." or ".." component, no trailing "/"), normalising it again changes nothing, and -EINVAL
 * is the only failure. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *p) {
        if (*p == 0)
                return; /* the root */
        if (p[0] == '/' || p[strlen(p) - 1] == '/')
                abort();
        if (strlen(p) >= PATH_MAX)
                abort();
        for (const char *c = p;;) {
                size_t k = strcspn(c, "/");

                if (k == 0 || k > NAME_MAX)
                        abort();
                if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
                        abort();
                if (c[k] == 0)
                        break;
                c += k + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *name = NULL, *p = NULL, *again = NULL;
        int r;

        name = strndup((const char *) data, size);
        if (!name)
                return 0;

        r = layer_normalize_path(name, &p);
        if (r < 0) {
                if (r != -EINVAL)
                        abort();
                return 0;
        }
        if (!p)
                abort();
        check_clean(p);
        if (strlen(p) > strlen(name))
                abort();

        /* Idempotent. */
        if (*p != 0) {
                if (layer_normalize_path(p, &again) < 0)
                        abort();
                if (strcmp(again, p) != 0)
                        abort();
        }
        return 0;
}
