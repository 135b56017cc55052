/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* One challenge of an HTTP WWW-Authenticate header (RFC 7235), as registries send it:
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"
 *   Basic realm="Registry Realm"
 * The input comes from the network and is untrusted: the parser bounds lengths and never reads past the
 * string. Only the first challenge is parsed; parameters other than these are ignored. */
typedef struct WwwAuth {
        char *scheme; /* lowercased: "bearer", "basic" */
        char *realm;
        char *service;
        char *scope;
        char *error; /* "insufficient_scope", "invalid_token", ... */
} WwwAuth;

/* -EINVAL for a header that is not a challenge (empty, no scheme, unterminated quotes, over 8 KiB). */
int www_auth_parse(const char *header, WwwAuth **ret);
WwwAuth *www_auth_free(WwwAuth *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(WwwAuth *, www_auth_free);
