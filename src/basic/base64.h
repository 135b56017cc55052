/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Standard base64 (RFC 4648 §4) with '=' padding, as registry credentials ("auth" in config.json, HTTP Basic)
 * use it. Returns an allocated NUL-terminated string, or NULL on OOM. */
char *base64_encode(const void *data, size_t size);

/* Decodes standard base64; padding is optional, whitespace is not allowed. Returns 0 and an allocated buffer
 * (NUL-terminated for convenience; *ret_size excludes the NUL), -EINVAL for bad input, -ENOMEM. */
int base64_decode(const char *s, size_t len, char **ret, size_t *ret_size);
