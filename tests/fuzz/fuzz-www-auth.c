/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the WWW-Authenticate parser (as a NUL-terminated header value) and, for the
 * bytes as a whole, to the base64 decoder, whose output must encode back to an equivalent string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "www-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(www_auth_freep) WwwAuth *a = NULL;
        _cleanup_free_ char *s = NULL, *dec = NULL, *enc = NULL, *dec2 = NULL;
        size_t n, n2;

        if (size > 16384)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (www_auth_parse(s, &a) >= 0 && (!a->scheme || !a->scheme[0]))
                abort();

        if (base64_decode((const char *) data, size, &dec, &n) >= 0) {
                enc = base64_encode(dec, n);
                if (!enc || base64_decode(enc, strlen(enc), &dec2, &n2) < 0 || n2 != n ||
                        memcmp(dec, dec2, n) != 0)
                        abort();
        }
        return 0;
}
