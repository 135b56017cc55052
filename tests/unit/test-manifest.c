/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry-facing parsers: base64, WWW-Authenticate challenges, manifests and indexes, platforms. */
#include <stdio.h>
#include <string.h>

#include "auth-config.h"
#include "base64.h"
#include "digest.h"
#include "manifest.h"
#include "string-util.h"
#include "tests.h"
#include "www-auth.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void test_base64(void) {
        static const struct {
                const char *plain, *encoded;
        } cases[] = {
                { "", "" },
                { "f", "Zg==" },
                { "fo", "Zm8=" },
                { "foo", "Zm9v" },
                { "foob", "Zm9vYg==" },
                { "berth:s3cret", "YmVydGg6czNjcmV0" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *e =
                        ASSERT_NOT_NULL(base64_encode(cases[i].plain, strlen(cases[i].plain)));
                _cleanup_free_ char *d = NULL;
                size_t n;

                ASSERT_STREQ(e, cases[i].encoded);
                ASSERT_OK(base64_decode(e, strlen(e), &d, &n));
                ASSERT_EQ(n, strlen(cases[i].plain));
                ASSERT_STREQ(d, cases[i].plain);
        }
        /* unpadded input decodes too; garbage and impossible lengths do not */
        {
                _cleanup_free_ char *d = NULL;
                ASSERT_OK(base64_decode("Zm8", 3, &d, NULL));
                ASSERT_STREQ(d, "fo");
        }
        char *bad = NULL;
        ASSERT_ERROR(base64_decode("Z", 1, &bad, NULL), EINVAL);
        ASSERT_ERROR(base64_decode("Zm9v!", 5, &bad, NULL), EINVAL);
        ASSERT_ERROR(base64_decode("Zh==", 4, &bad, NULL), EINVAL); /* non-zero padding bits */
        ASSERT_ERROR(base64_decode("Zm8==", 5, &bad, NULL), EINVAL);
}

static void test_www_auth(void) {
        _cleanup_(www_auth_freep) WwwAuth *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        WwwAuth *x = NULL;

        ASSERT_OK(www_auth_parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                                 "scope=\"repository:library/busybox:pull\"",
                &a));
        ASSERT_STREQ(a->scheme, "bearer");
        ASSERT_STREQ(a->realm, "https://auth.example/token");
        ASSERT_STREQ(a->service, "registry.example");
        ASSERT_STREQ(a->scope, "repository:library/busybox:pull");
        ASSERT_NULL(a->error);

        ASSERT_OK(www_auth_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &b));
        ASSERT_STREQ(b->scheme, "basic");
        ASSERT_STREQ(b->realm, "Registry \"Realm\"");

        /* unquoted values, odd spacing, an error parameter, a second challenge that is ignored */
        ASSERT_OK(www_auth_parse("  BEARER realm = plain-token , error=insufficient_scope, Basic realm=x",
                &c));
        ASSERT_STREQ(c->scheme, "bearer");
        ASSERT_STREQ(c->realm, "plain-token");
        ASSERT_STREQ(c->error, "insufficient_scope");

        ASSERT_OK(www_auth_parse("Basic", &d));
        ASSERT_STREQ(d->scheme, "basic");
        ASSERT_NULL(d->realm);

        ASSERT_ERROR(www_auth_parse("", &x), EINVAL);
        ASSERT_ERROR(www_auth_parse("=x", &x), EINVAL);
        ASSERT_ERROR(www_auth_parse("Bearer realm=\"unterminated", &x), EINVAL);
        ASSERT_ERROR(www_auth_parse("Bearer realm=\"x\" junk", &x), EINVAL);
        ASSERT_ERROR(www_auth_parse("Bearer realm=", &x), EINVAL);
}

static Manifest *parse_ok(const char *json, const char *ct) {
        Manifest *m = NULL;
        const char *reason = NULL;

        if (manifest_parse(json, strlen(json), ct, &m, &reason) < 0)
                TEST_FAIL("manifest did not parse: %s\n%s", reason ?: "(no reason)", json);
        return m;
}

static void parse_bad(const char *json, const char *expect_reason) {
        Manifest *m = NULL;
        const char *reason = NULL;

        ASSERT_ERROR(manifest_parse(json, strlen(json), NULL, &m, &reason), EBADMSG);
        ASSERT_NOT_NULL(reason);
        if (!strstr(reason, expect_reason))
                TEST_FAIL("reason '%s' does not mention '%s'", reason, expect_reason);
}

static void test_manifest(void) {
        _cleanup_(manifest_freep) Manifest *m = NULL, *o = NULL, *i = NULL;
        const Descriptor *d;

        m = parse_ok("{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_DOCKER_MANIFEST "\","
                     "\"config\":{\"mediaType\":\"" MEDIA_TYPE_DOCKER_CONFIG "\",\"digest\":\"" D1
                     "\",\"size\":1234},"
                     "\"layers\":[{\"mediaType\":\"" MEDIA_TYPE_DOCKER_LAYER "\",\"digest\":\"" D2
                     "\",\"size\":99},"
                     "{\"mediaType\":\"" MEDIA_TYPE_OCI_LAYER_ZSTD "\",\"digest\":\"" D3 "\",\"size\":7}]}",
                NULL);
        ASSERT_EQ(m->kind, MANIFEST_IMAGE);
        ASSERT_STREQ(m->config.digest, D1);
        ASSERT_EQ(m->config.size, 1234);
        ASSERT_EQ(m->n_layers, 2);
        ASSERT_STREQ(m->layers[1].digest, D3);
        ASSERT_EQ(m->layers[0].size, 99);

        /* no mediaType field: the Content-Type decides */
        o = parse_ok("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":2},\"layers\":[]}",
                MEDIA_TYPE_OCI_MANIFEST "; charset=utf-8");
        ASSERT_EQ(o->kind, MANIFEST_IMAGE);
        ASSERT_STREQ(o->media_type, MEDIA_TYPE_OCI_MANIFEST);

        i = parse_ok("{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_INDEX "\",\"manifests\":["
                     "{\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
                     "\"arm\",\"variant\":\"v7\"}},"
                     "{\"digest\":\"" D2
                     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                     "{\"digest\":\"" D3
                     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
                     "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
                     "{\"digest\":\"" D1
                     "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
                NULL);
        ASSERT_EQ(i->kind, MANIFEST_INDEX);
        ASSERT_EQ(i->n_manifests, 4);
        ASSERT_OK(manifest_index_select(i, "linux", "amd64", NULL, &d));
        ASSERT_TRUE(d == &i->manifests[3]); /* the attestation entry is skipped */
        ASSERT_OK(manifest_index_select(i, "linux", "arm64", "v8", &d)); /* arm64 means v8 */
        ASSERT_STREQ(d->digest, D2);
        ASSERT_OK(manifest_index_select(i, "linux", "arm", NULL, &d));
        ASSERT_STREQ(d->variant, "v7");
        ASSERT_ERROR(manifest_index_select(i, "linux", "arm", "v6", &d), ENOENT);
        ASSERT_ERROR(manifest_index_select(i, "linux", "s390x", NULL, &d), ENOENT);
        ASSERT_ERROR(manifest_index_select(i, "windows", "amd64", NULL, &d), ENOENT);

        parse_bad("[]", "not a JSON object");
        parse_bad("{", "JSON");
        parse_bad("{\"schemaVersion\":1,\"fsLayers\":[]}", "schema1");
        parse_bad("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", "unsupported media type");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../../"
                  "etc\",\"size\":1},\"layers\":[]}",
                "malformed");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha512:00\",\"size\":1},\"layers\":[]}",
                "sha256");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
                "size");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":\"1\"},\"layers\":[]}",
                "size");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/"
                  "vnd.cncf.helm.config.v1+json\","
                  "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
                "not a container image");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
                  "{\"mediaType\":\"application/"
                  "vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" D2 "\",\"size\":1}]}",
                "foreign");
        parse_bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
                  "{\"digest\":\"" D2 "\",\"size\":1}]}",
                "no media type");
        parse_bad("{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_INDEX "\"}", "no manifests");
}

static void test_platform(void) {
        _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
        char *a = NULL, *b = NULL, *c = NULL;

        ASSERT_OK(platform_parse("linux/arm64/v8", &os, &arch, &variant));
        ASSERT_STREQ(os, "linux");
        ASSERT_STREQ(arch, "arm64");
        ASSERT_STREQ(variant, "v8");
        free(os), free(arch), free(variant);
        ASSERT_OK(platform_parse("linux/amd64", &os, &arch, &variant));
        ASSERT_NULL(variant);
        ASSERT_ERROR(platform_parse("linux", &a, &b, &c), EINVAL);
        ASSERT_ERROR(platform_parse("linux/", &a, &b, &c), EINVAL);
        ASSERT_ERROR(platform_parse("/amd64", &a, &b, &c), EINVAL);
        ASSERT_ERROR(platform_parse("linux/arm/v7/x", &a, &b, &c), EINVAL);
        ASSERT_ERROR(platform_parse("Linux/AMD64", &a, &b, &c), EINVAL);
}

/* The built-in SHA-256 for small blobs against known vectors and, for every length around the block and
 * padding boundaries, against OpenSSL's. */
static void test_sha256_small(void) {
        static const struct {
                const char *in, *hex;
        } vectors[] = {
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        };
        uint8_t buf[1000];
        char a[DIGEST_STRING_MAX], b[DIGEST_STRING_MAX];

        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                ASSERT_OK(sha256_digest_of(vectors[i].in, strlen(vectors[i].in), a));
                ASSERT_STREQ(a + 7, vectors[i].hex);
        }
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 131 + 7);
        for (size_t n = 0; n < sizeof(buf); n += (n < 200 ? 1 : 37)) {
                _cleanup_(sha256_freep) Sha256 *s = ASSERT_NOT_NULL(sha256_new());

                ASSERT_OK(sha256_digest_of(buf, n, a));
                sha256_update(s, buf, n);
                sha256_final_digest(s, b);
                ASSERT_STREQ(a, b);
        }
}

static void test_auth_config(void) {
        static const char cfg[] = "{\"auths\":{"
                                  "\"https://index.docker.io/v1/\":{\"auth\":\"YmVydGg6czNjcmV0\"},"
                                  "\"localhost:5000\":{\"auth\":\"dTpwOnE=\"},"
                                  "\"quay.io\":{\"auth\":\"!!!\"},"
                                  "\"ghcr.io\":{\"auth\":\"OnBhc3M=\"}}}";
        _cleanup_free_ char *u1 = NULL, *p1 = NULL, *u2 = NULL, *p2 = NULL;
        char *u = NULL, *p = NULL;

        ASSERT_EQ(auth_config_lookup_in(cfg, strlen(cfg), "docker.io", &u1, &p1), 1);
        ASSERT_STREQ(u1, "berth");
        ASSERT_STREQ(p1, "s3cret");
        ASSERT_EQ(auth_config_lookup_in(cfg, strlen(cfg), "localhost:5000", &u2, &p2), 1);
        ASSERT_STREQ(u2, "u");
        ASSERT_STREQ(p2, "p:q"); /* the password may hold ':' */
        ASSERT_EQ(auth_config_lookup_in(cfg, strlen(cfg), "quay.io", &u, &p), 0); /* not base64 */
        ASSERT_EQ(auth_config_lookup_in(cfg, strlen(cfg), "ghcr.io", &u, &p), 0); /* no user name */
        ASSERT_EQ(auth_config_lookup_in(cfg, strlen(cfg), "localhost:5001", &u, &p), 0);
        ASSERT_ERROR(auth_config_lookup_in("{", 1, "docker.io", &u, &p), EBADMSG);
}

int main(void) {
        test_auth_config();
        test_sha256_small();
        test_base64();
        test_www_auth();
        test_manifest();
        test_platform();
        printf("test-manifest: OK\n");
        return 0;
}
