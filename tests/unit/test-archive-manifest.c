/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Archive member names and docker-archive manifest.json: what load accepts, what it refuses. */
#include <stdlib.h>
#include <string.h>

#include "archive-manifest.h"
#include "strv.h"
#include "tests.h"

#define H "906d939e529b1695a10c431eba6ff4facd7385ee88f3d3a140e9e337ae9858ca"
#define C "493668be918ec2d5f19bf0737b15b4cc0beeb7516885f7fa4eb63dfdd8234e77"

static void classify(const char *name, ArchiveMemberKind want, const char *want_canonical) {
        char *canonical = NULL;
        ArchiveMemberKind k = archive_member_classify(name, &canonical);

        if (k != want)
                TEST_FAIL("'%s' classified as %d, expected %d", name, (int) k, (int) want);
        if (want_canonical)
                ASSERT_STREQ(canonical, want_canonical);
        free(canonical);
}

static void test_classify(void) {
        classify("manifest.json", ARCHIVE_MEMBER_MANIFEST, "manifest.json");
        classify("./manifest.json", ARCHIVE_MEMBER_MANIFEST, "manifest.json");
        classify("repositories", ARCHIVE_MEMBER_REPOSITORIES, NULL);
        classify("index.json", ARCHIVE_MEMBER_INDEX, NULL);
        classify("oci-layout", ARCHIVE_MEMBER_OCI_LAYOUT, NULL);
        classify(C ".json", ARCHIVE_MEMBER_CONFIG, NULL);
        classify(H ".tar", ARCHIVE_MEMBER_LAYER, NULL);
        classify(H "/layer.tar", ARCHIVE_MEMBER_LAYER, NULL);
        classify(H "/json", ARCHIVE_MEMBER_LEGACY, NULL);
        classify(H "/VERSION", ARCHIVE_MEMBER_LEGACY, NULL);
        classify(H "/", ARCHIVE_MEMBER_DIRECTORY, H);
        classify("blobs/", ARCHIVE_MEMBER_DIRECTORY, "blobs");
        classify("blobs/sha256/", ARCHIVE_MEMBER_DIRECTORY, "blobs/sha256");
        classify("blobs/sha256/" H, ARCHIVE_MEMBER_BLOB, "blobs/sha256/" H);
        classify("./blobs/sha256/" H, ARCHIVE_MEMBER_BLOB, "blobs/sha256/" H);
        /* harmless but not ours */
        classify("blobs/sha512/" H, ARCHIVE_MEMBER_UNKNOWN, NULL);
        classify("blobs/sha256/" H "x", ARCHIVE_MEMBER_UNKNOWN, NULL);
        classify("ABCDEF", ARCHIVE_MEMBER_UNKNOWN, NULL);
        classify("906D939E529B1695A10C431EBA6FF4FACD7385EE88F3D3A140E9E337AE9858CA.tar",
                ARCHIVE_MEMBER_UNKNOWN, NULL);
        classify(H "/layer.tar/x", ARCHIVE_MEMBER_UNKNOWN, NULL);
        classify("short.json", ARCHIVE_MEMBER_UNKNOWN, NULL);
        /* unsafe */
        classify("../../x", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("/manifest.json", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("blobs/../manifest.json", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("blobs//sha256/" H, _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("blobs/./sha256/" H, _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("./", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify(".", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("..", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        classify("a\nb", _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        ASSERT_EQ(archive_member_classify(NULL, NULL), _ARCHIVE_MEMBER_KIND_INVALID);
        {
                char longname[400];
                memset(longname, 'a', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = 0;
                classify(longname, _ARCHIVE_MEMBER_KIND_INVALID, NULL);
        }
}

static int parse(const char *json, DockerArchiveImage **ret, size_t *ret_n, const char **reason) {
        *reason = NULL;
        return docker_archive_manifest_parse(json, strlen(json), ret, ret_n, reason);
}

static void refused(const char *json, const char *want_reason) {
        DockerArchiveImage *images = NULL;
        const char *reason;
        size_t n = 0;

        ASSERT_ERROR(parse(json, &images, &n, &reason), EBADMSG);
        ASSERT_NOT_NULL(reason);
        if (!strstr(reason, want_reason))
                TEST_FAIL("reason '%s' does not contain '%s'", reason, want_reason);
}

static void test_manifest(void) {
        DockerArchiveImage *images = NULL;
        const char *reason;
        size_t n = 0;

        /* skopeo's and docker's forms, two images */
        ASSERT_OK(parse("[{\"Config\":\"" C ".json\",\"RepoTags\":[\"busybox:latest\",\"docker.io/library/"
                        "busybox:latest\",\"localhost:5000/x/y:1\"],\"Layers\":[\"" H ".tar\",\"./" H
                        "/layer.tar\"]},"
                        "{\"Config\":\"blobs/sha256/" C "\",\"RepoTags\":null,\"Layers\":[\"blobs/sha256/" H
                        "\"]}]",
                &images, &n, &reason));
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(images[0].config, C ".json");
        ASSERT_EQ(images[0].n_layers, 2);
        ASSERT_STREQ(images[0].layers[1], H "/layer.tar");
        ASSERT_EQ(strv_length(images[0].repo_tags), 2); /* the duplicate is dropped */
        ASSERT_STREQ(images[0].repo_tags[0], "docker.io/library/busybox:latest");
        ASSERT_STREQ(images[0].repo_tags[1], "localhost:5000/x/y:1");
        ASSERT_STREQ(images[1].config, "blobs/sha256/" C);
        ASSERT_NULL(images[1].repo_tags);
        docker_archive_image_array_free(images, n);

        refused("[{\"Config\":\"" C ".json\",\"Layers\":[\"../../etc/passwd\"]}]",
                "layer outside the archive");
        refused("[{\"Config\":\"/etc/" C ".json\",\"Layers\":[]}]", "config outside the archive");
        refused("[{\"Config\":\"" C ".json\",\"Layers\":[\"manifest.json\"]}]", "not HEX.tar");
        refused("[{\"Config\":\"" H ".tar\",\"Layers\":[]}]", "not HEX.json");
        refused("[{\"Layers\":[]}]", "without a Config");
        refused("[{\"Config\":\"" C ".json\"}]", "without a Layers");
        refused("[{\"Config\":\"" C ".json\",\"Layers\":[],\"RepoTags\":[\"x@sha256:" H "\"]}]", "NAME:TAG");
        refused("[{\"Config\":\"" C ".json\",\"Layers\":[],\"RepoTags\":[\"UPPER:x\"]}]", "NAME:TAG");
        refused("[{\"Config\":\"" C ".json\",\"Layers\":[],\"LayerSources\":{}}]", "foreign layers");
        refused("[]", "no image");
        refused("{}", "not a JSON array");
        refused("[", "not valid JSON");
        refused("[1]", "not a JSON object");
}

int main(void) {
        test_classify();
        test_manifest();
        printf("test-archive-manifest: OK\n");
        return 0;
}
