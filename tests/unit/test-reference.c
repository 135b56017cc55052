/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "reference.h"
#include "string-util.h"
#include "tests.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static unsigned n_valid = 0, n_invalid = 0;

/* Parses s and checks every field (NULL expects NULL), the name, the full string, the familiar name, and
 * that the full string parses back to itself. */
static void check_valid(const char *s, const char *domain, const char *path, const char *tag,
        const char *digest, const char *full, const char *familiar) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL, *again = NULL;
        _cleanup_free_ char *name = NULL, *str = NULL, *fam = NULL, *str2 = NULL, *expected_name = NULL;
        const char *reason = NULL;
        int q;

        q = image_reference_parse(s, &r, &reason);
        if (q < 0)
                TEST_FAIL("'%s' failed to parse: %s", s, reason ?: "(no reason)");

        ASSERT_STREQ(r->domain, domain);
        ASSERT_STREQ(r->path, path);
        if (tag)
                ASSERT_STREQ(r->tag, tag);
        else
                ASSERT_NULL(r->tag);
        if (digest)
                ASSERT_STREQ(r->digest, digest);
        else
                ASSERT_NULL(r->digest);

        name = ASSERT_NOT_NULL(image_reference_name(r));
        expected_name = ASSERT_NOT_NULL(strjoin(domain, "/", path));
        ASSERT_STREQ(name, expected_name);

        str = ASSERT_NOT_NULL(image_reference_to_string(r));
        ASSERT_STREQ(str, full);

        fam = ASSERT_NOT_NULL(image_reference_familiar_name(r));
        ASSERT_STREQ(fam, familiar);

        /* Round trip through to_string. */
        ASSERT_OK(image_reference_parse(str, &again, NULL));
        str2 = ASSERT_NOT_NULL(image_reference_to_string(again));
        ASSERT_STREQ(str2, str);

        n_valid++;
}

static void check_familiar_round_trip(const char *s) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL, *again = NULL;
        _cleanup_free_ char *fam = NULL, *a = NULL, *b = NULL;

        ASSERT_OK(image_reference_parse(s, &r, NULL));
        fam = ASSERT_NOT_NULL(image_reference_familiar_name(r));
        ASSERT_OK(image_reference_parse(fam, &again, NULL));
        a = ASSERT_NOT_NULL(image_reference_name(r));
        b = ASSERT_NOT_NULL(image_reference_name(again));
        ASSERT_STREQ(a, b);
}

static void check_invalid(const char *s, const char *expected_reason) {
        ImageReference *r = NULL;
        const char *reason = NULL;

        ASSERT_ERROR(image_reference_parse(s, &r, &reason), EINVAL);
        ASSERT_NULL(r);
        ASSERT_NOT_NULL(reason);
        if (!strstr(reason, expected_reason))
                TEST_FAIL("'%s': reason '%s' does not contain '%s'", s, reason, expected_reason);

        /* A NULL reason pointer must be fine too. */
        ASSERT_ERROR(image_reference_parse(s, &r, NULL), EINVAL);
        ASSERT_NULL(r);

        n_invalid++;
}

TEST(header_examples) {
        check_valid("busybox", "docker.io", "library/busybox", "latest", NULL,
                "docker.io/library/busybox:latest", "busybox");
        check_valid("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
                "docker.io/library/busybox:1.36", "busybox");
        check_valid("localhost:5000/x/y:tag", "localhost:5000", "x/y", "tag", NULL, "localhost:5000/x/y:tag",
                "localhost:5000/x/y");
        check_valid("name@sha256:" HEX64, "docker.io", "library/name", NULL, "sha256:" HEX64,
                "docker.io/library/name@sha256:" HEX64, "name");
        check_valid("quay.io/a/b:t@sha256:" HEX64, "quay.io", "a/b", "t", "sha256:" HEX64,
                "quay.io/a/b:t@sha256:" HEX64, "quay.io/a/b");
}

TEST(docker_hub) {
        check_valid("library/busybox", "docker.io", "library/busybox", "latest", NULL,
                "docker.io/library/busybox:latest", "busybox");
        check_valid("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
                "docker.io/library/busybox:latest", "busybox");
        check_valid("docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", NULL,
                "docker.io/library/busybox:musl", "busybox");
        check_valid("index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1", NULL,
                "docker.io/library/busybox:1", "busybox");
        check_valid("index.docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
                "docker.io/library/busybox:latest", "busybox");
        check_valid("user/app:v2", "docker.io", "user/app", "v2", NULL, "docker.io/user/app:v2", "user/app");
        check_valid("a/b/c", "docker.io", "a/b/c", "latest", NULL, "docker.io/a/b/c:latest", "a/b/c");
        /* FamiliarName() only strips "library/" when nothing nested follows. */
        check_valid("library/a/b", "docker.io", "library/a/b", "latest", NULL,
                "docker.io/library/a/b:latest", "library/a/b");
        /* Without "/" the first component is never a domain: these are Hub repositories with a tag. */
        check_valid("localhost:5000", "docker.io", "library/localhost", "5000", NULL,
                "docker.io/library/localhost:5000", "localhost");
        check_valid("quay.io", "docker.io", "library/quay.io", "latest", NULL,
                "docker.io/library/quay.io:latest", "quay.io");
}

TEST(registries) {
        check_valid("localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest", "localhost/x");
        check_valid("127.0.0.1:5000/a", "127.0.0.1:5000", "a", "latest", NULL, "127.0.0.1:5000/a:latest",
                "127.0.0.1:5000/a");
        check_valid("[::1]:5000/a:b", "[::1]:5000", "a", "b", NULL, "[::1]:5000/a:b", "[::1]:5000/a");
        check_valid("[fe80::1]/a", "[fe80::1]", "a", "latest", NULL, "[fe80::1]/a:latest", "[fe80::1]/a");
        check_valid("quay.io/a/b/c:v1.2-rc_3", "quay.io", "a/b/c", "v1.2-rc_3", NULL,
                "quay.io/a/b/c:v1.2-rc_3", "quay.io/a/b/c");
        check_valid("my-registry.example.com:443/team/app", "my-registry.example.com:443", "team/app",
                "latest", NULL, "my-registry.example.com:443/team/app:latest",
                "my-registry.example.com:443/team/app");
        /* Docker allows uppercase in the domain, and an uppercase first component makes it a domain. */
        check_valid("UPPER.io/x", "UPPER.io", "x", "latest", NULL, "UPPER.io/x:latest", "UPPER.io/x");
        check_valid("Registry/x", "Registry", "x", "latest", NULL, "Registry/x:latest", "Registry/x");
        /* Docker's grammar takes any digits as a port; so do we. */
        check_valid("localhost:99999/x", "localhost:99999", "x", "latest", NULL, "localhost:99999/x:latest",
                "localhost:99999/x");
}

TEST(tags_and_digests) {
        check_valid("name:tag@sha256:" HEX64, "docker.io", "library/name", "tag", "sha256:" HEX64,
                "docker.io/library/name:tag@sha256:" HEX64, "name");
        check_valid("localhost:5000/x@sha256:" HEX64, "localhost:5000", "x", NULL, "sha256:" HEX64,
                "localhost:5000/x@sha256:" HEX64, "localhost:5000/x");
        check_valid("busybox:_", "docker.io", "library/busybox", "_", NULL, "docker.io/library/busybox:_",
                "busybox");
        check_valid("busybox:Latest-1.0_X", "docker.io", "library/busybox", "Latest-1.0_X", NULL,
                "docker.io/library/busybox:Latest-1.0_X", "busybox");

        char tag128[129], s[200];
        memset(tag128, 'a', 128);
        tag128[128] = 0;
        snprintf(s, sizeof(s), "x:%s", tag128);
        {
                _cleanup_(image_reference_freep) ImageReference *r = NULL;
                ASSERT_OK(image_reference_parse(s, &r, NULL));
                ASSERT_STREQ(r->tag, tag128);
                n_valid++;
        }
}

TEST(path_components) {
        check_valid("a__b", "docker.io", "library/a__b", "latest", NULL, "docker.io/library/a__b:latest",
                "a__b");
        check_valid("a.b-c", "docker.io", "library/a.b-c", "latest", NULL, "docker.io/library/a.b-c:latest",
                "a.b-c");
        check_valid("a_b", "docker.io", "library/a_b", "latest", NULL, "docker.io/library/a_b:latest",
                "a_b");
        check_valid("a---b", "docker.io", "library/a---b", "latest", NULL, "docker.io/library/a---b:latest",
                "a---b");
        check_valid("0/1", "docker.io", "0/1", "latest", NULL, "docker.io/0/1:latest", "0/1");
        /* 63 hex digits, or 64 with uppercase, are not an image ID. */
#define HEX63 "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        check_valid(HEX63, "docker.io", "library/" HEX63, "latest", NULL,
                "docker.io/library/" HEX63 ":latest", HEX63);
        /* With a domain or a namespace in front, 64 hex digits are an ordinary path component. */
        check_valid("user/" HEX64, "docker.io", "user/" HEX64, "latest", NULL,
                "docker.io/user/" HEX64 ":latest", "user/" HEX64);
}

TEST(familiar_round_trip) {
        static const char *const inputs[] = {
                "busybox",
                "busybox:1.36",
                "user/app",
                "quay.io/a/b",
                "localhost:5000/x/y:tag",
                "[::1]:5000/a:b",
                "index.docker.io/library/busybox:1",
                ("name@sha256:" HEX64),
                "library/a/b",
        };

        for (size_t i = 0; i < ELEMENTSOF(inputs); i++)
                check_familiar_round_trip(inputs[i]);
}

TEST(name_length) {
        char s[400];

        /* "docker.io/" (10) + "a/" (2) + 243 = 255: just fits. */
        memset(s, 0, sizeof(s));
        strcpy(s, "a/");
        memset(s + 2, 'b', 243);
        {
                _cleanup_(image_reference_freep) ImageReference *r = NULL;
                ASSERT_OK(image_reference_parse(s, &r, NULL));
                n_valid++;
        }
        s[2 + 243] = 'b';
        check_invalid(s, "longer than 255");

        /* The implicit "library/" counts: "docker.io/library/" is 18 characters. */
        memset(s, 0, sizeof(s));
        memset(s, 'c', 255 - 18);
        {
                _cleanup_(image_reference_freep) ImageReference *r = NULL;
                ASSERT_OK(image_reference_parse(s, &r, NULL));
                n_valid++;
        }
        s[255 - 18] = 'c';
        check_invalid(s, "longer than 255");

        memset(s, 0, sizeof(s));
        memset(s, 'd', 390);
        check_invalid(s, "longer than 255");
}

TEST(invalid) {
        char s[300];

        check_invalid("", "empty");
        check_invalid("Busybox", "must be lowercase");
        check_invalid("busyBox:tag", "must be lowercase");
        check_invalid("quay.io/A/b", "must be lowercase");
        check_invalid("busybox:", "tag is empty");
        check_invalid(":tag", "at least one component");
        check_invalid("@sha256:" HEX64, "repository name is empty");
        check_invalid("a//b", "empty path component");
        check_invalid("/a", "empty path component");
        check_invalid("a/", "empty path component");
        check_invalid("quay.io/", "at least one component");
        check_invalid("-a", "must start and end");
        check_invalid("a-", "must start and end");
        check_invalid("a.", "must start and end");
        check_invalid("a..b", "must start and end");
        check_invalid("a___b", "must start and end");
        check_invalid("a._b", "must start and end");
        check_invalid("a/.b", "must start and end");
        check_invalid("a b", "invalid character");
        check_invalid("busybox:tag with space", "tag may contain only");
        check_invalid("busybox:.tag", "tag must start");
        check_invalid("busybox:-tag", "tag must start");
        check_invalid("busybox:a:b", "tag may contain only");
        check_invalid("x:a/b", "port must consist of digits");

        memset(s, 0, sizeof(s));
        strcpy(s, "x:");
        memset(s + 2, 't', 129);
        check_invalid(s, "not be longer than 128");

        check_invalid("x@sha256:short", "exactly 64 lowercase hexadecimal");
        check_invalid("x@sha256:" HEX64 "0", "exactly 64 lowercase hexadecimal");
        check_invalid("x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                "exactly 64 lowercase hexadecimal");
        check_invalid("x@md5:d41d8cd98f00b204e9800998ecf8427e", "only sha256 is supported");
        check_invalid("x@sha512:" HEX64 HEX64, "only sha256 is supported");
        check_invalid("x@", "digest is empty");
        check_invalid("x@sha256", "expected algorithm:hex");
        check_invalid("x@sha256:", "expected algorithm:hex");
        check_invalid("x@:" HEX64, "expected algorithm:hex");
        check_invalid("x@1sha:" HEX64, "expected algorithm:hex");
        check_invalid("x@sha256:" HEX64 "@sha256:" HEX64, "exactly 64 lowercase hexadecimal");

        check_invalid(HEX64, "64-character hexadecimal");
        check_invalid(HEX64 ":latest", "64-character hexadecimal");

        check_invalid("-bad.io/x", "must not start or end with '-'");
        check_invalid("bad-.io/x", "must not start or end with '-'");
        check_invalid("a.-b.io/x", "must not start or end with '-'");
        check_invalid("bad..io/x", "empty component");
        check_invalid(".io/x", "empty component");
        check_invalid("bad_host.io/x", "invalid character in registry domain");
        check_invalid("localhost:/x", "port is empty");
        check_invalid("localhost:50a0/x", "digits only");
        check_invalid("[]:5000/x", "IPv6");
        check_invalid("[]/x", "must start and end"); /* no "." or ":": not a domain, so a bad path */
        check_invalid("[::1/x", "IPv6");
        check_invalid("[::g]/x", "IPv6");
        check_invalid("[::1]x/x", "invalid character in registry domain");
        check_invalid("localhost:5000/", "at least one component");
        check_invalid("localhost:5000/x:", "tag is empty");
        check_invalid("b\xc3\xa4r", "invalid character");
}

int main(void) {
        RUN(header_examples);
        RUN(docker_hub);
        RUN(registries);
        RUN(tags_and_digests);
        RUN(path_components);
        RUN(familiar_round_trip);
        RUN(name_length);
        RUN(invalid);

        fprintf(stderr, "%u valid and %u invalid references checked\n", n_valid, n_invalid);
        return 0;
}
