/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t size) {
        const uint8_t *in = data;
        char *out, *p;

        if (size > (SIZE_MAX - 1) / 4 * 3 - 3)
                return NULL;
        out = malloc((size + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;
        p = out;
        for (size_t i = 0; i < size; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;
                size_t n = size - i < 3 ? size - i : 3;

                if (n > 1)
                        v |= (uint32_t) in[i + 1] << 8;
                if (n > 2)
                        v |= in[i + 2];
                *p++ = alphabet[(v >> 18) & 63];
                *p++ = alphabet[(v >> 12) & 63];
                *p++ = n > 1 ? alphabet[(v >> 6) & 63] : '=';
                *p++ = n > 2 ? alphabet[v & 63] : '=';
        }
        *p = 0;
        return out;
}

static int sextet(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int base64_decode(const char *s, size_t len, char **ret, size_t *ret_size) {
        uint8_t *out;
        size_t n = 0, pad = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        while (len > 0 && s[len - 1] == '=' && pad < 2) {
                len--;
                pad++;
        }
        if (len % 4 == 1)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                int v = sextet(s[i]);

                if (v < 0) {
                        free(out);
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (uint8_t) (acc >> bits);
                }
        }
        /* leftover bits must be zero padding, and padding (if any) must complete the last quantum */
        if ((acc & ((1u << bits) - 1)) != 0 || (pad > 0 && (len + pad) % 4 != 0)) {
                free(out);
                return -EINVAL;
        }
        out[n] = 0;
        *ret = (char *) out;
        if (ret_size)
                *ret_size = n;
        return 0;
}
