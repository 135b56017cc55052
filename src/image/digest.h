/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define SHA256_HEX_LEN 64
#define DIGEST_STRING_MAX (sizeof("sha256:") + SHA256_HEX_LEN)

typedef struct Sha256 Sha256;

Sha256 *sha256_new(void);
void sha256_update(Sha256 *s, const void *data, size_t size);
/* Writes "sha256:<hex>" into out (DIGEST_STRING_MAX bytes). */
void sha256_final_digest(Sha256 *s, char out[static DIGEST_STRING_MAX]);
Sha256 *sha256_free(Sha256 *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sha256 *, sha256_free);

/* SHA-256 of a small buffer without libcrypto (exposed for tests; sha256_digest_of() uses it up to 256 KiB). */
void sha256_small(const void *data, size_t size, uint8_t md[static 32]);

/* -ELIBACC when libcrypto cannot be loaded (only needed above 256 KiB). */
int sha256_digest_of(const void *data, size_t size, char out[static DIGEST_STRING_MAX]);

/* True for exactly "sha256:" followed by 64 lowercase hex digits: the only form allowed near a path. */
bool digest_is_valid(const char *s);
/* The hex part of a valid digest, or NULL. */
const char *digest_hex(const char *digest);
