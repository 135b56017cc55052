/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the image reference parser. Whatever parses must print back to a string that
 * parses to the same thing, and must have a familiar name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "string-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL, *again = NULL;
        _cleanup_free_ char *s = NULL, *str = NULL, *str2 = NULL, *fam = NULL, *name = NULL;
        const char *reason = NULL;

        /* Nothing valid is anywhere near this long; keep the fuzzer from wasting time on huge inputs. */
        if (size > 4096)
                return 0;

        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (image_reference_parse(s, &r, &reason) < 0) {
                if (!reason)
                        abort();
                return 0;
        }

        str = image_reference_to_string(r);
        if (!str)
                abort();
        if (image_reference_parse(str, &again, &reason) < 0)
                abort();
        str2 = image_reference_to_string(again);
        if (!str2 || !streq(str, str2))
                abort();

        fam = image_reference_familiar_name(r);
        name = image_reference_name(r);
        if (!fam || !name)
                abort();

        return 0;
}
