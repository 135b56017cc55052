/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "digest.h"

#include <errno.h>

#include <openssl/evp.h>

#include "image-dl.h"
#include "string-util.h"

struct Sha256 {
        EVP_MD_CTX *ctx;
};

Sha256 *sha256_new(void) {
        Sha256 *s = calloc(1, sizeof(Sha256));

        if (!s)
                return NULL;
        if (dlopen_libcrypto() < 0)
                return sha256_free(s);
        s->ctx = EVP_MD_CTX_new();
        if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
                return sha256_free(s);
        return s;
}

void sha256_update(Sha256 *s, const void *data, size_t size) {
        if (size > 0)
                (void) EVP_DigestUpdate(s->ctx, data, size);
}

void sha256_final_digest(Sha256 *s, char out[static DIGEST_STRING_MAX]) {
        unsigned char md[32];
        unsigned len = 0;

        (void) EVP_DigestFinal_ex(s->ctx, md, &len);
        memcpy(out, "sha256:", 7);
        hexencode(md, sizeof(md), out + 7);
}

Sha256 *sha256_free(Sha256 *s) {
        if (!s)
                return NULL;
        if (s->ctx)
                EVP_MD_CTX_free(s->ctx);
        free(s);
        return NULL;
}

int sha256_digest_of(const void *data, size_t size, char out[static DIGEST_STRING_MAX]) {
        unsigned char md[32];
        unsigned len = 0;
        int r;

        r = dlopen_libcrypto();
        if (r < 0)
                return r;
        if (EVP_Digest(data, size, md, &len, EVP_sha256(), NULL) != 1)
                return -EIO;
        memcpy(out, "sha256:", 7);
        hexencode(md, sizeof(md), out + 7);
        return 0;
}

bool digest_is_valid(const char *s) {
        const char *h;

        if (!s)
                return false;
        h = startswith(s, "sha256:");
        return h && string_is_lower_hex(h, SHA256_HEX_LEN);
}

const char *digest_hex(const char *digest) {
        return digest_is_valid(digest) ? digest + 7 : NULL;
}
