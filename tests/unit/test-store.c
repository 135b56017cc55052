/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "store.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

static char root[] = "/tmp/test-store.XXXXXX";

/* A tar stream of a tiny tree whose content depends on seed, in a memfd. */
static int make_tar(const char *seed) {
        char dir[] = "/tmp/test-store-src.XXXXXX", cmd[512];
        _cleanup_free_ char *p = NULL;
        int fd, status;
        FILE *f;

        ASSERT_NOT_NULL(mkdtemp(dir));
        p = strjoin(dir, "/etc");
        ASSERT_OK(mkdir(p, 0755));
        free(p);
        p = strjoin(dir, "/etc/seed");
        f = ASSERT_NOT_NULL(fopen(p, "we"));
        fprintf(f, "%s\n", seed);
        fclose(f);

        fd = ASSERT_OK(memfd_create("tar", 0)); /* inherited by tar(1) */
        snprintf(cmd, sizeof(cmd),
                "tar --owner=0 --group=0 --mtime=@0 -C %s -cf /proc/self/fd/%d . && rm -rf %s", dir, fd,
                dir);
        status = system(cmd);
        ASSERT_EQ(status, 0);
        ASSERT_OK(lseek(fd, 0, SEEK_SET));
        return fd;
}

static void make_config(const char *diff_id, const char *created, char *buf, size_t size) {
        snprintf(buf, size,
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"%s\",\"config\":{},"
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                created, diff_id);
}

/* Imports a one-layer image tagged ref; returns its ID in id. */
static void add_image(ImageStore *s, const char *seed, const char *ref, char id[DIGEST_STRING_MAX]) {
        _cleanup_close_ int fd = make_tar(seed);
        _cleanup_free_ char *msg = NULL;
        char *tags[] = { (char *) ref, NULL };
        LayerExtractResult res;
        char config[512];

        ASSERT_OK(image_store_import_layer(s, fd, 0, NULL, &res, &msg));
        ASSERT_TRUE(image_store_has_layer(s, res.diff_id));
        make_config(res.diff_id, "2024-01-01T00:00:00Z", config, sizeof(config));
        ASSERT_OK(image_store_add_image(s, config, strlen(config), NULL, ref ? tags : NULL, id));
}

static ImageStore *open_fresh(void) {
        ImageStore *s = NULL;

        (void) rm_rf_at(AT_FDCWD, root);
        ASSERT_OK(image_store_open(root, &s));
        return s;
}

static size_t count_entries(const char *sub) {
        char cmd[512];
        FILE *p;
        size_t n = 0;
        int c;

        snprintf(cmd, sizeof(cmd), "ls -A %s/%s | wc -l", root, sub);
        p = ASSERT_NOT_NULL(popen(cmd, "re"));
        ASSERT_EQ(fscanf(p, "%zu", &n), 1);
        while ((c = fgetc(p)) != EOF)
                ;
        pclose(p);
        return n;
}

TEST(blobs) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        _cleanup_free_ char *data = NULL, *path = NULL;
        char digest[DIGEST_STRING_MAX];
        size_t size;

        ASSERT_OK(image_store_put_blob(s, "hello", 5, digest));
        ASSERT_STREQ(digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        ASSERT_OK(image_store_read_blob(s, digest, 1024, &data, &size));
        ASSERT_EQ(size, 5);
        ASSERT_STREQ(data, "hello");
        free(data);
        data = NULL;

        /* a corrupted blob is detected, never returned */
        path = strjoin(root, "/blobs/sha256/", digest + 7);
        {
                FILE *f = ASSERT_NOT_NULL(fopen(path, "we"));
                fputs("hellO", f);
                fclose(f);
        }
        ASSERT_ERROR(image_store_read_blob(s, digest, 1024, &data, &size), EBADMSG);
        ASSERT_ERROR(image_store_read_blob(s, "sha256:../../etc/passwd", 1024, &data, &size), EINVAL);
        ASSERT_ERROR(image_store_read_blob(s,
                             "sha256:0000000000000000000000000000000000000000000000000000000000000000", 1024,
                             &data, &size),
                ENOENT);
}

TEST(images_tags_resolve) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_free_ char *ref = NULL;
        char id1[DIGEST_STRING_MAX], id2[DIGEST_STRING_MAX], prefix[16];
        ImageRecord **list = NULL;
        size_t n = 0;

        add_image(s, "one", "docker.io/library/busybox:latest", id1);
        add_image(s, "two", "localhost:5000/x/y:tag", id2);

        ASSERT_OK(image_store_list(s, &list, &n));
        ASSERT_EQ(n, 2);
        image_record_array_free(list, n);

        ASSERT_OK(image_store_resolve(s, "busybox", &img, &ref));
        ASSERT_STREQ(img->id, id1);
        ASSERT_STREQ(ref, "docker.io/library/busybox:latest");
        ASSERT_STREQ(img->repo_tags[0], "docker.io/library/busybox:latest");
        ASSERT_EQ(strv_length(img->layers), 1);
        ASSERT_TRUE(img->size > 0);
        ASSERT_EQ(img->created, 1704067200);
        img = image_record_free(img);
        free(ref);
        ref = NULL;

        ASSERT_OK(image_store_resolve(s, "localhost:5000/x/y:tag", &img, NULL));
        ASSERT_STREQ(img->id, id2);
        img = image_record_free(img);

        /* by ID, with and without "sha256:", and by prefix */
        ASSERT_OK(image_store_resolve(s, id2, &img, &ref));
        ASSERT_STREQ(img->id, id2);
        ASSERT_NULL(ref);
        img = image_record_free(img);
        snprintf(prefix, sizeof(prefix), "%.12s", id2 + 7);
        ASSERT_OK(image_store_resolve(s, prefix, &img, NULL));
        ASSERT_STREQ(img->id, id2);
        img = image_record_free(img);

        ASSERT_ERROR(image_store_resolve(s, "busybox:nope", &img, NULL), ENOENT);
        ASSERT_ERROR(image_store_resolve(s, "nothing", &img, NULL), ENOENT);

        /* tag moves an existing tag */
        ASSERT_OK(image_store_tag(s, id2, "docker.io/library/busybox:latest"));
        ASSERT_OK(image_store_resolve(s, "busybox", &img, NULL));
        ASSERT_STREQ(img->id, id2);
        ASSERT_EQ(strv_length(img->repo_tags), 2);
        ASSERT_TRUE(img->tagged > 0);
        img = image_record_free(img);
        ASSERT_ERROR(image_store_tag(s,
                             "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                             "docker.io/library/x:latest"),
                ENOENT);
}

TEST(same_layer_unpacked_once) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        char id1[DIGEST_STRING_MAX], id2[DIGEST_STRING_MAX];
        _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL;

        add_image(s, "same", "docker.io/library/a:1", id1);
        /* same layer content, but a different config → a different image sharing the layer */
        {
                _cleanup_close_ int fd = make_tar("same");
                LayerExtractResult res;
                char config[512];
                char *tags[] = { (char *) "docker.io/library/b:1", NULL };

                ASSERT_OK(image_store_import_layer(s, fd, 0, NULL, &res, NULL));
                make_config(res.diff_id, "2025-01-01T00:00:00Z", config, sizeof(config));
                ASSERT_OK(image_store_add_image(s, config, strlen(config), NULL, tags, id2));
        }
        ASSERT_FALSE(streq(id1, id2));
        ASSERT_EQ(count_entries("layers"), 1);
        ASSERT_EQ(count_entries("tmp"), 0);

        /* removing one image keeps the shared layer; removing the other deletes it */
        ASSERT_OK(image_store_remove(s, "a:1", 0, &untagged, &deleted, NULL));
        ASSERT_STREQ(untagged[0], "docker.io/library/a:1");
        ASSERT_STREQ(deleted[0], id1);
        ASSERT_EQ(count_entries("layers"), 1);
        ASSERT_OK(image_store_remove(s, "b:1", 0, NULL, NULL, NULL));
        ASSERT_EQ(count_entries("layers"), 0);
        ASSERT_EQ(count_entries("images"), 0);
}

TEST(remove_rules) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL, **users = NULL;
        _cleanup_free_ char *msg = NULL, *cdir = NULL;
        char id[DIGEST_STRING_MAX], cfg[256];

        add_image(s, "x", "docker.io/library/x:1", id);
        ASSERT_OK(image_store_tag(s, id, "docker.io/library/x:2"));

        /* a tag of an image with two tags only untags */
        ASSERT_OK(image_store_remove(s, "x:2", 0, &untagged, &deleted, NULL));
        ASSERT_STREQ(untagged[0], "docker.io/library/x:2");
        ASSERT_NULL(deleted);
        untagged = strv_free(untagged);

        /* an ID naming an image with several tags needs force */
        ASSERT_OK(image_store_tag(s, id, "docker.io/library/x:3"));
        ASSERT_ERROR(image_store_remove(s, id, 0, NULL, NULL, &msg), EBUSY);
        ASSERT_TRUE(strstr(msg, "referenced in multiple repositories") != NULL);
        free(msg);
        msg = NULL;

        /* an image used by a container is refused without force */
        cdir = strjoin(root, "/containers/web");
        ASSERT_OK(mkdir(cdir, 0700));
        snprintf(cfg, sizeof(cfg), "{\"Image\":\"%s\"}", id);
        {
                _cleanup_close_ int dfd = ASSERT_OK(open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                ASSERT_OK(write_file_atomic_at(dfd, "config.json", cfg, strlen(cfg), 0600));
        }
        ASSERT_OK(image_store_image_users(s, id, &users));
        ASSERT_STREQ(users[0], "web");
        /* untagging one of several tags is fine while in use; removing the last tag is not */
        ASSERT_OK(image_store_remove(s, "x:3", 0, &untagged, NULL, NULL));
        ASSERT_STREQ(untagged[0], "docker.io/library/x:3");
        untagged = strv_free(untagged);
        ASSERT_ERROR(image_store_remove(s, "x:1", 0, NULL, NULL, &msg), EBUSY);
        ASSERT_TRUE(strstr(msg, "web") != NULL);
        ASSERT_OK(image_store_resolve(s, "x:1", &img, NULL));
        img = image_record_free(img);

        /* force removes tags and record */
        ASSERT_OK(image_store_remove(s, id, IMAGE_REMOVE_FORCE, &untagged, &deleted, NULL));
        ASSERT_EQ(strv_length(untagged), 1);
        ASSERT_STREQ(deleted[0], id);
        ASSERT_ERROR(image_store_resolve(s, "x:1", &img, NULL), ENOENT);
        ASSERT_ERROR(image_store_remove(s, "x:1", 0, NULL, NULL, NULL), ENOENT);
}

/* N processes import and tag at once: every tag must survive (no lost update of the tag index). */
TEST(concurrent_writers) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        ImageRecord **list = NULL;
        size_t n = 0, tags = 0;
        enum { N = 8 };
        pid_t pids[N];

        for (int i = 0; i < N; i++) {
                pids[i] = fork();
                ASSERT_OK(pids[i]);
                if (pids[i] == 0) {
                        _cleanup_(image_store_freep) ImageStore *cs = NULL;
                        char seed[32], ref[64], id[DIGEST_STRING_MAX];

                        ASSERT_OK(image_store_open(root, &cs));
                        snprintf(seed, sizeof(seed), "writer-%d", i % 3); /* some layers shared */
                        snprintf(ref, sizeof(ref), "docker.io/library/w%d:latest", i);
                        add_image(cs, seed, ref, id);
                        for (int k = 0; k < 5; k++) {
                                snprintf(ref, sizeof(ref), "docker.io/library/w%d:t%d", i, k);
                                ASSERT_OK(image_store_tag(cs, id, ref));
                        }
                        _exit(0);
                }
        }
        for (int i = 0; i < N; i++) {
                int status;
                ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        ASSERT_OK(image_store_list(s, &list, &n));
        for (size_t i = 0; i < n; i++)
                tags += strv_length(list[i]->repo_tags);
        image_record_array_free(list, n);
        ASSERT_EQ(tags, N * 6);
        ASSERT_EQ(count_entries("layers"), 3);
        ASSERT_EQ(count_entries("tmp"), 0);
}

/* A crash between writing the temp file and renaming it leaves the old state, usable; the debris is
 * removed by the next command that takes the lock. */
TEST(crash_before_rename) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        char id[DIGEST_STRING_MAX];
        int status;
        pid_t pid;

        add_image(s, "c", "docker.io/library/c:old", id);
        pid = fork();
        ASSERT_OK(pid);
        if (pid == 0) {
                setenv("BERTH_TEST_CRASH_BEFORE_RENAME", "repositories.json", 1);
                (void) image_store_tag(s, id, "docker.io/library/c:new");
                _exit(0); /* not reached: the hook _exit(99)s */
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 99);
        ASSERT_EQ(count_entries("") - 7, 1); /* dirs + lock + repositories.json, plus one temp file */

        ASSERT_OK(image_store_resolve(s, "c:old", &img, NULL));
        img = image_record_free(img);
        ASSERT_ERROR(image_store_resolve(s, "c:new", &img, NULL), ENOENT);

        /* the next writer cleans up and succeeds */
        ASSERT_OK(image_store_tag(s, id, "docker.io/library/c:new"));
        ASSERT_OK(image_store_resolve(s, "c:new", &img, NULL));
        ASSERT_EQ(count_entries("") - 7, 0);
}

/* A command killed in the middle of unpacking a layer leaves nothing visible. */
TEST(killed_during_import) {
        _cleanup_(image_store_freep) ImageStore *s = open_fresh();
        ImageRecord **list = NULL;
        int p[2], status;
        size_t n = 0;
        pid_t pid;

        ASSERT_OK(pipe2(p, O_CLOEXEC));
        pid = fork();
        ASSERT_OK(pid);
        if (pid == 0) {
                safe_close(p[1]);
                (void) image_store_import_layer(s, p[0], 0, NULL, NULL, NULL);
                _exit(0);
        }
        safe_close(p[0]);
        /* half a tar header, then nothing: the child blocks reading */
        {
                char buf[300] = "etc/seed";
                ASSERT_EQ(write(p[1], buf, sizeof(buf)), (ssize_t) sizeof(buf));
        }
        for (int i = 0; i < 100 && count_entries("tmp") == 0; i++)
                usleep(20000);
        ASSERT_EQ(count_entries("tmp"), 1);
        ASSERT_OK(kill(pid, SIGKILL));
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        safe_close(p[1]);

        ASSERT_OK(image_store_list(s, &list, &n));
        ASSERT_EQ(n, 0);
        ASSERT_EQ(count_entries("layers"), 0);
        ASSERT_OK(image_store_lock(s, LOCK_EX));
        image_store_unlock(s);
        ASSERT_EQ(count_entries("tmp"), 0);
}

int main(void) {
        if (geteuid() != 0)
                TEST_SKIP("the store restores file ownership from layers, which needs root");
        ASSERT_NOT_NULL(mkdtemp(root));

        RUN(blobs);
        RUN(images_tags_resolve);
        RUN(same_layer_unpacked_once);
        RUN(remove_rules);
        RUN(concurrent_writers);
        RUN(crash_before_rename);
        RUN(killed_during_import);

        ASSERT_OK(rm_rf_at(AT_FDCWD, root));
        return 0;
}
