/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reference.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "string-util.h"

/* The grammar follows Docker's distribution/reference package:
 *
 *   reference       := name [ ":" tag ] [ "@" digest ]
 *   name            := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain          := host [ ":" port ]
 *   host            := domain-component [ "." domain-component ]* | "[" ipv6-chars "]"
 *   domain-component:= [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   port            := [0-9]+
 *   path-component  := [a-z0-9]+ ( separator [a-z0-9]+ )*
 *   separator       := "." | "_" | "__" | "-"+
 *   tag             := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest          := "sha256:" [a-f0-9]{64}     (only algorithm we accept for now)
 *
 * Normalisation follows ParseNormalizedNamed()/splitDockerDomain(): the part before the first "/" is a
 * domain only if it contains "." or ":", is "localhost", or contains an uppercase letter; otherwise the
 * domain is "docker.io". "index.docker.io" is an alias for "docker.io", and single-component names on
 * docker.io live under "library/". */

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX "library/"
#define NAME_TOTAL_LENGTH_MAX 255U
#define TAG_LENGTH_MAX 128U
#define SHA256_HEX_LENGTH 64U

static const char path_component_reason[] =
        "repository path components must start and end with a lowercase letter or digit, and contain only "
        "lowercase letters, digits and the separators '.', '_', '__' or '-'";

static bool char_is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool char_is_lower_alnum(char c) {
        return (c >= 'a' && c <= 'z') || char_is_digit(c);
}

static bool char_is_alnum(char c) {
        return char_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool char_is_upper(char c) {
        return c >= 'A' && c <= 'Z';
}

static bool char_is_word(char c) {
        return char_is_alnum(c) || c == '_';
}

static bool char_is_hex(char c) {
        return char_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool memchr_upper(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (char_is_upper(s[i]))
                        return true;
        return false;
}

static bool string_is_64_lower_hex(const char *s, size_t n) {
        if (n != SHA256_HEX_LENGTH)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(char_is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* Validates "host[:port]" in s[0..n). */
static int validate_domain(const char *s, size_t n, const char **reterr_reason) {
        size_t i = 0;

        if (n == 0) {
                *reterr_reason = "registry domain is empty";
                return -EINVAL;
        }

        if (s[0] == '[') {
                /* Docker only checks the character set of a bracketed IPv6 address, not its structure. */
                i = 1;
                while (i < n && (char_is_hex(s[i]) || s[i] == ':'))
                        i++;
                if (i == 1 || i >= n || s[i] != ']') {
                        *reterr_reason = "invalid IPv6 address in registry domain";
                        return -EINVAL;
                }
                i++;
        } else
                for (;;) {
                        size_t start = i;

                        /* One domain component: alphanumerics and inner dashes. */
                        while (i < n && (char_is_alnum(s[i]) || s[i] == '-'))
                                i++;
                        if (i == start) {
                                *reterr_reason = "invalid registry domain: empty component or bad character";
                                return -EINVAL;
                        }
                        if (s[start] == '-' || s[i - 1] == '-') {
                                *reterr_reason = "registry domain components must not start or end with '-'";
                                return -EINVAL;
                        }
                        if (i < n && s[i] == '.') {
                                i++;
                                continue;
                        }
                        break;
                }

        if (i == n)
                return 0;

        if (s[i] != ':') {
                *reterr_reason = "invalid character in registry domain";
                return -EINVAL;
        }
        i++;

        /* Docker's grammar accepts any run of digits as a port, so "localhost:99999" is allowed here too;
         * we keep that behaviour rather than rejecting references Docker accepts. Connecting will fail. */
        if (i == n) {
                *reterr_reason = "registry port is empty";
                return -EINVAL;
        }
        for (; i < n; i++)
                if (!char_is_digit(s[i])) {
                        *reterr_reason = "registry port must consist of digits only";
                        return -EINVAL;
                }

        return 0;
}

/* Validates the repository path in s[0..n): lowercase path components separated by "/". */
static int validate_path(const char *s, size_t n, const char **reterr_reason) {
        size_t i = 0;

        if (n == 0) {
                *reterr_reason = "repository name must have at least one component";
                return -EINVAL;
        }

        /* Docker reports this before anything else that may be wrong with the path. */
        if (memchr_upper(s, n)) {
                *reterr_reason = "repository name must be lowercase";
                return -EINVAL;
        }

        for (;;) {
                /* At the start of a path component. */
                if (i >= n || s[i] == '/') {
                        *reterr_reason = "repository name has an empty path component "
                                         "(leading, trailing or double '/')";
                        return -EINVAL;
                }

                for (;;) {
                        /* Run of alphanumerics. */
                        if (!char_is_lower_alnum(s[i])) {
                                *reterr_reason = path_component_reason;
                                return -EINVAL;
                        }
                        while (i < n && char_is_lower_alnum(s[i]))
                                i++;
                        if (i == n || s[i] == '/')
                                break;

                        /* Separator: ".", "_", "__" or one or more "-". */
                        if (s[i] == '.')
                                i++;
                        else if (s[i] == '_') {
                                i++;
                                if (i < n && s[i] == '_')
                                        i++;
                        } else if (s[i] == '-')
                                while (i < n && s[i] == '-')
                                        i++;
                        else {
                                *reterr_reason = "invalid character in repository name";
                                return -EINVAL;
                        }

                        if (i >= n || !char_is_lower_alnum(s[i])) {
                                *reterr_reason = path_component_reason;
                                return -EINVAL;
                        }
                }

                if (i == n)
                        return 0;
                i++; /* skip '/' */
        }
}

static int validate_tag(const char *s, size_t n, const char **reterr_reason) {
        if (n == 0) {
                *reterr_reason = "tag is empty";
                return -EINVAL;
        }
        if (n > TAG_LENGTH_MAX) {
                *reterr_reason = "tag must not be longer than 128 characters";
                return -EINVAL;
        }
        if (!char_is_word(s[0])) {
                *reterr_reason = "tag must start with a letter, digit or '_'";
                return -EINVAL;
        }
        for (size_t i = 1; i < n; i++)
                if (!char_is_word(s[i]) && s[i] != '.' && s[i] != '-') {
                        *reterr_reason = "tag may contain only letters, digits, '_', '.' and '-'";
                        return -EINVAL;
                }
        return 0;
}

/* Docker's algorithm grammar: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* */
static bool digest_algorithm_is_valid(const char *s, size_t n) {
        size_t i = 0;

        for (;;) {
                if (i >= n || !char_is_alnum(s[i]) || char_is_digit(s[i]))
                        return false;
                while (i < n && char_is_alnum(s[i]))
                        i++;
                if (i == n)
                        return true;
                if (s[i] != '-' && s[i] != '_' && s[i] != '+' && s[i] != '.')
                        return false;
                i++;
        }
}

static int validate_digest(const char *s, size_t n, const char **reterr_reason) {
        const char *colon;

        if (n == 0) {
                *reterr_reason = "digest is empty";
                return -EINVAL;
        }

        colon = memchr(s, ':', n);
        if (!colon || !digest_algorithm_is_valid(s, (size_t) (colon - s)) || colon + 1 == s + n) {
                *reterr_reason = "invalid digest format, expected algorithm:hex";
                return -EINVAL;
        }

        if ((size_t) (colon - s) != strlen("sha256") || memcmp(s, "sha256", strlen("sha256")) != 0) {
                *reterr_reason = "unsupported digest algorithm, only sha256 is supported";
                return -EINVAL;
        }

        if (!string_is_64_lower_hex(colon + 1, n - (size_t) (colon + 1 - s))) {
                *reterr_reason = "sha256 digest must be exactly 64 lowercase hexadecimal characters";
                return -EINVAL;
        }

        return 0;
}

/* Returns true if the first "/"-separated component of a reference names a registry domain. */
static bool component_is_domain(const char *s, size_t n) {
        return memchr(s, '.', n) || memchr(s, ':', n) ||
                (n == strlen("localhost") && memcmp(s, "localhost", n) == 0) || memchr_upper(s, n);
}

int image_reference_parse(const char *s, ImageReference **ret, const char **reterr_reason) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL;
        const char *reason = NULL, *at, *slash, *colon, *name, *domain, *path, *tag = NULL, *digest = NULL;
        size_t name_len, domain_len, path_len, tag_len = 0, digest_len = 0;
        bool library;
        int q;

        if (!reterr_reason)
                reterr_reason = &reason;

        if (!s || !ret) {
                *reterr_reason = "invalid argument";
                return -EINVAL;
        }

        if (isempty(s)) {
                *reterr_reason = "reference is empty";
                return -EINVAL;
        }

        /* Split off "@digest". Neither names nor tags may contain "@", so the first one is the separator. */
        at = strchr(s, '@');
        if (at) {
                digest = at + 1;
                digest_len = strlen(digest);
                name_len = (size_t) (at - s);
        } else
                name_len = strlen(s);
        name = s;

        if (name_len == 0) {
                *reterr_reason = "repository name is empty";
                return -EINVAL;
        }

        /* Docker refuses names that look like image IDs (64 lowercase hex), as "docker run <id>" would be
         * ambiguous otherwise. Docker only checks the whole string; we also refuse it with a tag or digest
         * attached, since pulling "<64 hex>:tag" from the Hub is never what anyone means. */
        colon = memchr(name, ':', name_len);
        if (string_is_64_lower_hex(name, colon ? (size_t) (colon - name) : name_len)) {
                *reterr_reason = "repository name must not be a 64-character hexadecimal string "
                                 "(that is an image ID)";
                return -EINVAL;
        }

        /* Split off the domain, like splitDockerDomain(). */
        slash = memchr(name, '/', name_len);
        if (slash && component_is_domain(name, (size_t) (slash - name))) {
                domain = name;
                domain_len = (size_t) (slash - name);
                path = slash + 1;
                path_len = name_len - domain_len - 1;

                q = validate_domain(domain, domain_len, reterr_reason);
                if (q < 0)
                        return q;
        } else {
                domain = NULL;
                domain_len = 0;
                path = name;
                path_len = name_len;
        }

        /* Split off ":tag". Path components never contain ":", so the first one separates the tag. */
        colon = memchr(path, ':', path_len);
        if (colon) {
                tag = colon + 1;
                tag_len = path_len - (size_t) (tag - path);
                path_len = (size_t) (colon - path);
        }

        q = validate_path(path, path_len, reterr_reason);
        if (q < 0)
                return q;

        if (tag) {
                q = validate_tag(tag, tag_len, reterr_reason);
                if (q < 0)
                        return q;
        }

        if (digest) {
                q = validate_digest(digest, digest_len, reterr_reason);
                if (q < 0)
                        return q;
        }

        /* Normalise the domain. */
        if (!domain ||
                (domain_len == strlen(LEGACY_DEFAULT_DOMAIN) &&
                        memcmp(domain, LEGACY_DEFAULT_DOMAIN, domain_len) == 0)) {
                domain = DEFAULT_DOMAIN;
                domain_len = strlen(DEFAULT_DOMAIN);
        }
        library = domain_len == strlen(DEFAULT_DOMAIN) && memcmp(domain, DEFAULT_DOMAIN, domain_len) == 0 &&
                !memchr(path, '/', path_len);

        /* Docker applies the length limit to the normalised name, "docker.io/library/x" included. */
        if (domain_len + strlen("/") + (library ? strlen(OFFICIAL_REPO_PREFIX) : 0) + path_len >
                NAME_TOTAL_LENGTH_MAX) {
                *reterr_reason = "repository name must not be longer than 255 characters";
                return -EINVAL;
        }

        r = calloc(1, sizeof(ImageReference));
        if (!r)
                return -ENOMEM;

        r->domain = strndup(domain, domain_len);
        if (!r->domain)
                return -ENOMEM;

        r->path = asprintf_safe("%s%.*s", library ? OFFICIAL_REPO_PREFIX : "", (int) path_len, path);
        if (!r->path)
                return -ENOMEM;

        /* The tag defaults to "latest" only when no digest pins the image. */
        if (tag || !digest) {
                r->tag = tag ? strndup(tag, tag_len) : strdup("latest");
                if (!r->tag)
                        return -ENOMEM;
        }

        if (digest) {
                r->digest = strndup(digest, digest_len);
                if (!r->digest)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(r);
        return 0;
}

ImageReference *image_reference_free(ImageReference *r) {
        if (!r)
                return NULL;

        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
        return NULL;
}

char *image_reference_name(const ImageReference *r) {
        if (!r)
                return NULL;

        return strjoin(r->domain, "/", r->path);
}

char *image_reference_to_string(const ImageReference *r) {
        if (!r)
                return NULL;

        return strjoin(r->domain, "/", r->path, r->tag ? ":" : "", r->tag ?: "", r->digest ? "@" : "",
                r->digest ?: "");
}

char *image_reference_familiar_name(const ImageReference *r) {
        const char *p;

        if (!r)
                return NULL;

        if (!streq(r->domain, DEFAULT_DOMAIN))
                return strjoin(r->domain, "/", r->path);

        /* Like Docker's FamiliarName(): official images lose "library/", but only when nothing nested
         * follows it ("library/a/b" stays as is). */
        p = startswith(r->path, OFFICIAL_REPO_PREFIX);
        if (p && !strchr(p, '/'))
                return strdup(p);

        return strdup(r->path);
}
