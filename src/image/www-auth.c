/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "www-auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "string-util.h"

#define WWW_AUTH_MAX 8192

WwwAuth *www_auth_free(WwwAuth *a) {
        if (!a)
                return NULL;
        free(a->scheme);
        free(a->realm);
        free(a->service);
        free(a->scope);
        free(a->error);
        free(a);
        return NULL;
}

/* RFC 7230 tchar */
static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static size_t token_len(const char *p) {
        size_t n = 0;
        while (is_tchar(p[n]))
                n++;
        return n;
}

/* A quoted-string starting at p (after the opening quote): unescaped into *ret; returns the position after
 * the closing quote, NULL if unterminated or on OOM. */
static const char *parse_quoted(const char *p, char **ret) {
        size_t n = 0;
        char *out = malloc(strlen(p) + 1);

        if (!out)
                return NULL;
        for (;; p++) {
                if (*p == 0) {
                        free(out);
                        return NULL;
                }
                if (*p == '"')
                        break;
                if (*p == '\\') {
                        p++;
                        if (*p == 0) {
                                free(out);
                                return NULL;
                        }
                }
                out[n++] = *p;
        }
        out[n] = 0;
        *ret = out;
        return p + 1;
}

int www_auth_parse(const char *header, WwwAuth **ret) {
        _cleanup_(www_auth_freep) WwwAuth *a = NULL;
        const char *p;
        size_t n;

        if (!header || strnlen(header, WWW_AUTH_MAX + 1) > WWW_AUTH_MAX)
                return -EINVAL;
        p = skip_ws(header);
        n = token_len(p);
        if (n == 0)
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->scheme = strndup(p, n);
        if (!a->scheme)
                return -ENOMEM;
        for (char *c = a->scheme; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                        *c = (char) (*c - 'A' + 'a');
        p += n;
        if (*p != 0 && *p != ' ' && *p != '\t' && *p != ',')
                return -EINVAL;

        for (;;) {
                _cleanup_free_ char *key = NULL, *value = NULL;
                char **slot = NULL;

                p = skip_ws(p);
                while (*p == ',')
                        p = skip_ws(p + 1);
                if (*p == 0)
                        break;
                n = token_len(p);
                if (n == 0)
                        return -EINVAL;
                key = strndup(p, n);
                if (!key)
                        return -ENOMEM;
                p = skip_ws(p + n);
                if (*p != '=') {
                        /* token68 (e.g. "Negotiate abc==") or the scheme of a second challenge: stop here */
                        break;
                }
                p = skip_ws(p + 1);
                if (*p == '"') {
                        p = parse_quoted(p + 1, &value);
                        if (!p)
                                return -EINVAL;
                } else {
                        n = token_len(p);
                        if (n == 0)
                                return -EINVAL;
                        value = strndup(p, n);
                        if (!value)
                                return -ENOMEM;
                        p += n;
                }
                p = skip_ws(p);
                if (*p != 0 && *p != ',')
                        return -EINVAL;

                if (strcasecmp(key, "realm") == 0)
                        slot = &a->realm;
                else if (strcasecmp(key, "service") == 0)
                        slot = &a->service;
                else if (strcasecmp(key, "scope") == 0)
                        slot = &a->scope;
                else if (strcasecmp(key, "error") == 0)
                        slot = &a->error;
                if (slot) {
                        free(*slot);
                        *slot = TAKE_PTR(value);
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}
