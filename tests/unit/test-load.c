/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image_load() and image_save() on archives built here: the docker-archive and OCI forms load, save gives an
 * archive that loads again into the same image, and hostile archives fail with a message naming the problem
 * while leaving no image, no layer and no work dir behind. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "load.h"
#include "save.h"
#include "store.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

static char root[] = "/tmp/test-load.XXXXXX";

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

static la_ssize_t buf_write(struct archive *a, void *userdata, const void *data, size_t size) {
        Buf *b = userdata;

        (void) a;
        b->data = realloc(b->data, b->size + size);
        ASSERT_NOT_NULL(b->data);
        memcpy(b->data + b->size, data, size);
        b->size += size;
        return (la_ssize_t) size;
}

typedef struct Member {
        const char *name;
        const void *data;
        size_t size;
        const char *symlink;
} Member;

static Buf tar_of(const Member *m, size_t n, bool gzip) {
        struct archive *a = ASSERT_NOT_NULL(archive_write_new());
        Buf b = {};

        ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (gzip)
                ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_open(a, &b, NULL, buf_write, NULL), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, m[i].name);
                archive_entry_set_mtime(e, 1700000000, 0);
                if (m[i].symlink) {
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_perm(e, 0777);
                        archive_entry_set_symlink(e, m[i].symlink);
                } else {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_perm(e, 0644);
                        archive_entry_set_size(e, (la_int64_t) m[i].size);
                }
                ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
                if (m[i].size > 0)
                        ASSERT_EQ(archive_write_data(a, m[i].data, m[i].size), (la_ssize_t) m[i].size);
                archive_entry_free(e);
        }
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        return b;
}

/* A one-file layer whose content depends on seed. */
static Buf layer_of(const char *seed, char diff_id[static DIGEST_STRING_MAX]) {
        Member m[] = { { .name = "etc/seed", .data = seed, .size = strlen(seed) } };
        Buf b = tar_of(m, 1, false);

        ASSERT_OK(sha256_digest_of(b.data, b.size, diff_id));
        return b;
}

static char *config_of(char **diff_ids) {
        char *ids = strdup("");

        STRV_FOREACH(d, diff_ids) {
                char *n = strjoin(ids, ids[0] ? "," : "", "\"", *d, "\"");
                free(ids);
                ids = n;
        }
        char *c = asprintf_safe("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
                ids);
        free(ids);
        return c;
}

static ImageStore *fresh_store(void) {
        ImageStore *s = NULL;

        (void) rm_rf_at(AT_FDCWD, root);
        ASSERT_OK(image_store_open(root, &s));
        return s;
}

static size_t count(const char *sub) {
        _cleanup_free_ char *p = strjoin(root, "/", sub);
        _cleanup_closedir_ DIR *d = opendir(p);
        struct dirent *de;
        size_t n = 0;

        ASSERT_NOT_NULL(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        return n;
}

static int memfd_of(const Buf *b) {
        int fd = ASSERT_OK(memfd_create("archive", MFD_CLOEXEC));

        ASSERT_OK(loop_write(fd, b->data, b->size));
        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        return fd;
}

static int load_buf(ImageStore *s, const Buf *b, LoadResult *res, char **msg) {
        _cleanup_close_ int fd = memfd_of(b);
        return image_load(s, fd, res, msg);
}

/* A docker-archive of a two-layer image, as skopeo writes it. */
static Buf docker_archive(const char *layer0_override, const char *manifest_override, bool gzip) {
        char d0[DIGEST_STRING_MAX], d1[DIGEST_STRING_MAX], cd[DIGEST_STRING_MAX];
        Buf l0 = layer_of("zero", d0), l1 = layer_of("one", d1);
        char *ids[] = { d0, d1, NULL };
        _cleanup_free_ char *config = config_of(ids), *cname = NULL, *n0 = NULL, *n1 = NULL,
                            *manifest = NULL;
        Buf out;

        ASSERT_OK(sha256_digest_of(config, strlen(config), cd));
        cname = strjoin(cd + 7, ".json");
        n0 = strjoin(d0 + 7, ".tar");
        n1 = strjoin(d1 + 7, ".tar");
        manifest = asprintf_safe("[{\"Config\":\"%s\",\"RepoTags\":[\"test/"
                                 "image:1\"],\"Layers\":[\"%s\",\"%s\"]}]",
                cname, layer0_override ?: n0, n1);
        Member m[] = {
                { .name = n0, .data = l0.data, .size = l0.size },
                { .name = n1, .data = l1.data, .size = l1.size },
                { .name = cname, .data = config, .size = strlen(config) },
                { .name = "manifest.json",
                        .data = manifest_override ?: manifest,
                        .size = strlen(manifest_override ?: manifest) },
        };
        out = tar_of(m, 4, gzip);
        free(l0.data);
        free(l1.data);
        return out;
}

static void expect_failure(Buf b, const char *what) {
        _cleanup_(image_store_freep) ImageStore *s = fresh_store();
        _cleanup_free_ char *msg = NULL;
        LoadResult res = {};

        if (load_buf(s, &b, &res, &msg) >= 0)
                TEST_FAIL("loading an archive with %s succeeded", what);
        ASSERT_NOT_NULL(msg);
        printf("  %s: %s\n", what, msg);
        ASSERT_EQ(count("images"), 0);
        ASSERT_EQ(count("tmp"), 0);
        ASSERT_EQ(count("layers"), 0);
        free(b.data);
}

static void test_docker_archive(void) {
        _cleanup_(image_store_freep) ImageStore *s = fresh_store();
        _cleanup_(load_result_done) LoadResult res = {}, res2 = {};
        _cleanup_free_ char *msg = NULL, *msg2 = NULL;
        Buf b = docker_archive(NULL, NULL, true);
        char *tags[] = { (char *) "docker.io/test/image:1", NULL };
        SaveImage save = { .tags = tags };
        _cleanup_close_ int out = -EBADF;
        struct stat st;

        ASSERT_OK(load_buf(s, &b, &res, &msg));
        free(b.data);
        ASSERT_EQ(res.n_images, 1);
        ASSERT_STREQ(res.images[0].tags[0], "docker.io/test/image:1");
        ASSERT_EQ(count("images"), 1);
        ASSERT_EQ(count("layers"), 2);
        ASSERT_EQ(count("tmp"), 0);

        /* save, then load into a fresh store: the same image */
        save.id = res.images[0].id;
        out = ASSERT_OK(memfd_create("saved", MFD_CLOEXEC));
        ASSERT_OK(image_save(s, &save, 1, out, &msg2));
        ASSERT_OK(fstat(out, &st));
        ASSERT_TRUE(st.st_size > 0);
        ASSERT_OK(lseek(out, 0, SEEK_SET));
        image_store_free(TAKE_PTR(s));
        s = fresh_store();
        ASSERT_OK(image_load(s, out, &res2, &msg));
        ASSERT_EQ(res2.n_images, 1);
        ASSERT_STREQ(res2.images[0].tags[0], "docker.io/test/image:1");
        ASSERT_EQ(count("layers"), 2);
}

static void test_oci_archive(void) {
        _cleanup_(image_store_freep) ImageStore *s = fresh_store();
        _cleanup_(load_result_done) LoadResult res = {};
        _cleanup_free_ char *msg = NULL, *config = NULL, *manifest = NULL, *index = NULL, *nl = NULL,
                            *nc = NULL, *nm = NULL;
        char d0[DIGEST_STRING_MAX], cd[DIGEST_STRING_MAX], md[DIGEST_STRING_MAX];
        Buf l0 = layer_of("oci", d0), b;
        char *ids[] = { d0, NULL };

        config = config_of(ids);
        ASSERT_OK(sha256_digest_of(config, strlen(config), cd));
        manifest = asprintf_safe(
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
                "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/"
                "vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
                cd, strlen(config), d0, l0.size);
        ASSERT_OK(sha256_digest_of(manifest, strlen(manifest), md));
        index = asprintf_safe("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                              "vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
                              "\"annotations\":{"
                              "\"org.opencontainers.image.ref.name\":\"localhost/oci:v2\"}}]}",
                md, strlen(manifest));
        nl = strjoin("blobs/sha256/", d0 + 7);
        nc = strjoin("blobs/sha256/", cd + 7);
        nm = strjoin("blobs/sha256/", md + 7);
        Member m[] = {
                { .name = "oci-layout", .data = "{\"imageLayoutVersion\":\"1.0.0\"}", .size = 30 },
                { .name = nl, .data = l0.data, .size = l0.size },
                { .name = nc, .data = config, .size = strlen(config) },
                { .name = nm, .data = manifest, .size = strlen(manifest) },
                { .name = "index.json", .data = index, .size = strlen(index) },
        };
        b = tar_of(m, 5, false);
        ASSERT_OK(load_buf(s, &b, &res, &msg));
        ASSERT_EQ(res.n_images, 1);
        ASSERT_STREQ(res.images[0].tags[0], "localhost/oci:v2");
        ASSERT_STREQ(res.images[0].id, cd);
        free(b.data);

        /* a tampered layer blob: the descriptor's digest catches it */
        ((char *) l0.data)[600] ^= 1;
        b = tar_of(m, 5, false);
        expect_failure(b, "an OCI layer that does not match its digest");
        free(l0.data);
}

static void test_hostile(void) {
        char d[DIGEST_STRING_MAX];
        Buf l = layer_of("one", d); /* the second layer of docker_archive() */
        _cleanup_free_ char *name = strjoin(d + 7, ".tar");

        {
                Member m[] = { { .name = "../../x", .data = "evil", .size = 4 } };
                expect_failure(tar_of(m, 1, false), "a member named ../../x");
        }
        {
                Member m[] = { { .name = "/etc/x", .data = "evil", .size = 4 } };
                expect_failure(tar_of(m, 1, false), "an absolute member name");
        }
        expect_failure(docker_archive("../../etc/passwd", NULL, false), "a layer path outside");
        expect_failure(docker_archive(name, NULL, false), "a layer whose diff_id mismatches the config");
        expect_failure(docker_archive(NULL,
                               "[{\"Config\":\""
                               "0000000000000000000000000000000000000000000000000000000000000000.json\","
                               "\"Layers\":[]}]",
                               false),
                "a config that is missing");
        {
                /* a layer that is a symlink out of the archive */
                Member m[] = { { .name = name, .symlink = "../../../etc/shadow" } };
                expect_failure(tar_of(m, 1, false), "a symlink member pointing outside");
        }
        {
                Buf empty = {};
                expect_failure(empty, "no content");
        }
        {
                Member m[] = { { .name = "manifest.json", .data = "not json", .size = 8 } };
                expect_failure(tar_of(m, 1, false), "a manifest.json that is not JSON");
        }
        {
                size_t big = 9u * 1024 * 1024;
                char *data = calloc(1, big);
                Member m[] = { { .name = "manifest.json", .data = ASSERT_NOT_NULL(data), .size = big } };
                memset(data, ' ', big);
                expect_failure(tar_of(m, 1, false), "a 9 MiB manifest.json");
                free(data);
        }
        {
                Buf garbage = { .data = (uint8_t *) strdup("garbage garbage garbage"), .size = 23 };
                expect_failure(garbage, "garbage input");
        }
        free(l.data);
}

int main(void) {
        if (geteuid() != 0)
                TEST_SKIP("test-load needs root (layers are unpacked with their owners)");
        ASSERT_NOT_NULL(mkdtemp(root));
        test_docker_archive();
        test_oci_archive();
        test_hostile();
        ASSERT_OK(rm_rf_at(AT_FDCWD, root));
        printf("test-load: OK\n");
        return 0;
}
