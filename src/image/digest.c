/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "digest.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

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

/* SHA-256 (FIPS 180-4) in plain C for small inputs (image configs, manifests, records): verbs that only
 * read the store then never load libcrypto, whose loading costs milliseconds on every `berth run`. Layers
 * go through OpenSSL, which is much faster on large data. */
#define SHA256_SMALL_MAX (256u * 1024)

static const uint32_t sha256_k[64] = {
        0x428a2f98,
        0x71374491,
        0xb5c0fbcf,
        0xe9b5dba5,
        0x3956c25b,
        0x59f111f1,
        0x923f82a4,
        0xab1c5ed5,
        0xd807aa98,
        0x12835b01,
        0x243185be,
        0x550c7dc3,
        0x72be5d74,
        0x80deb1fe,
        0x9bdc06a7,
        0xc19bf174,
        0xe49b69c1,
        0xefbe4786,
        0x0fc19dc6,
        0x240ca1cc,
        0x2de92c6f,
        0x4a7484aa,
        0x5cb0a9dc,
        0x76f988da,
        0x983e5152,
        0xa831c66d,
        0xb00327c8,
        0xbf597fc7,
        0xc6e00bf3,
        0xd5a79147,
        0x06ca6351,
        0x14292967,
        0x27b70a85,
        0x2e1b2138,
        0x4d2c6dfc,
        0x53380d13,
        0x650a7354,
        0x766a0abb,
        0x81c2c92e,
        0x92722c85,
        0xa2bfe8a1,
        0xa81a664b,
        0xc24b8b70,
        0xc76c51a3,
        0xd192e819,
        0xd6990624,
        0xf40e3585,
        0x106aa070,
        0x19a4c116,
        0x1e376c08,
        0x2748774c,
        0x34b0bcb5,
        0x391c0cb3,
        0x4ed8aa4a,
        0x5b9cca4f,
        0x682e6ff3,
        0x748f82ee,
        0x78a5636f,
        0x84c87814,
        0x8cc70208,
        0x90befffa,
        0xa4506ceb,
        0xbef9a3f7,
        0xc67178f2,
};

static inline uint32_t rotr32(uint32_t x, unsigned n) {
        return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p) {
        uint32_t w[64], a, b, c, d, e, f, g, hh;

        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
                        (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
        for (unsigned i = 16; i < 64; i++) {
                uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (unsigned i = 0; i < 64; i++) {
                uint32_t t1 = hh + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) +
                        sha256_k[i] + w[i];
                uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
                hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void sha256_small(const void *data, size_t size, uint8_t md[static 32]) {
        uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
                0x5be0cd19 };
        const uint8_t *p = data;
        uint8_t tail[128] = {};
        size_t full = size / 64 * 64, rest = size - full, n_tail;
        uint64_t bits = (uint64_t) size * 8;

        for (size_t i = 0; i < full; i += 64)
                sha256_block(h, p + i);
        if (rest > 0)
                memcpy(tail, p + full, rest);
        tail[rest] = 0x80;
        n_tail = rest + 1 + 8 <= 64 ? 64 : 128;
        for (unsigned i = 0; i < 8; i++)
                tail[n_tail - 1 - i] = (uint8_t) (bits >> (8 * i));
        for (size_t i = 0; i < n_tail; i += 64)
                sha256_block(h, tail + i);
        for (unsigned i = 0; i < 8; i++) {
                md[4 * i] = (uint8_t) (h[i] >> 24);
                md[4 * i + 1] = (uint8_t) (h[i] >> 16);
                md[4 * i + 2] = (uint8_t) (h[i] >> 8);
                md[4 * i + 3] = (uint8_t) h[i];
        }
}

int sha256_digest_of(const void *data, size_t size, char out[static DIGEST_STRING_MAX]) {
        unsigned char md[32];
        unsigned len = 0;
        int r;

        if (size <= SHA256_SMALL_MAX) {
                sha256_small(data, size, md);
                memcpy(out, "sha256:", 7);
                hexencode(md, sizeof(md), out + 7);
                return 0;
        }
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
