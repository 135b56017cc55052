/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "tests.h"

TEST(strings) {
        char buf[64];

        ASSERT_STREQ(startswith("sha256:abc", "sha256:"), "abc");
        ASSERT_NULL(startswith("sha25", "sha256:"));
        ASSERT_STREQ(endswith("x.json", ".json"), ".json");
        ASSERT_NULL(endswith("json", ".json"));
        ASSERT_TRUE(string_is_lower_hex("0af9", 4));
        ASSERT_FALSE(string_is_lower_hex("0aF9", 4));
        ASSERT_FALSE(string_is_lower_hex("0af", 4));

        format_bytes_docker(buf, sizeof(buf), 999);
        ASSERT_STREQ(buf, "999B");
        format_bytes_docker(buf, sizeof(buf), 4261550);
        ASSERT_STREQ(buf, "4.262MB");
        format_bytes_docker(buf, sizeof(buf), 1000);
        ASSERT_STREQ(buf, "1kB");
        format_relative_docker(buf, sizeof(buf), 3 * 3600);
        ASSERT_STREQ(buf, "3 hours ago");
        format_relative_docker(buf, sizeof(buf), 90);
        ASSERT_STREQ(buf, "About a minute ago");
}

TEST(strv) {
        _cleanup_strv_free_ char **l = NULL, **c = NULL;

        ASSERT_OK(strv_extend(&l, "a"));
        ASSERT_OK(strv_extend(&l, "b"));
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_TRUE(strv_contains(l, "b"));
        ASSERT_FALSE(strv_contains(l, "c"));
        c = ASSERT_NOT_NULL(strv_copy(l));
        ASSERT_STREQ(c[1], "b");
        ASSERT_NULL(c[2]);
}

TEST(atomic_write_and_rm_rf) {
        char dir[] = "/tmp/test-basic.XXXXXX";
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t size;
        struct stat st;

        ASSERT_NOT_NULL(mkdtemp(dir));
        dfd = ASSERT_OK(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_OK(write_file_atomic_at(dfd, "f", "one", 3, 0640));
        ASSERT_OK(write_file_atomic_at(dfd, "f", "two!", 4, 0640));
        ASSERT_OK(read_full_file_at(dfd, "f", 100, &data, &size));
        ASSERT_EQ(size, 4);
        ASSERT_STREQ(data, "two!");
        ASSERT_OK(fstatat(dfd, "f", &st, 0));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_ERROR(read_full_file_at(dfd, "f", 3, &data, &size), EFBIG);
        ASSERT_ERROR(write_file_atomic_at(dfd, "nodir/b", "x", 1, 0644), ENOENT);
        ASSERT_ERROR(write_file_atomic_at(dfd, "", "x", 1, 0644), EINVAL);

        /* a symlink is never followed by readers or by rm_rf */
        ASSERT_OK(symlinkat("/etc/passwd", dfd, "link"));
        ASSERT_ERROR(read_full_file_at(dfd, "link", 100, &data, &size), ELOOP);
        ASSERT_OK(mkdir_p_at(dfd, "x/y/z", 0755));
        ASSERT_OK(symlinkat("/etc", dfd, "x/y/etc"));
        ASSERT_OK(rm_rf_at(AT_FDCWD, dir));
        ASSERT_OK(access("/etc/passwd", F_OK));
        ASSERT_ERROR(access(dir, F_OK) < 0 ? -errno : 0, ENOENT);
}

TEST(safe_close) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        ASSERT_OK(fd);
        fd = safe_close(fd);
        ASSERT_EQ(fd, -EBADF);
        ASSERT_EQ(safe_close(-EBADF), -EBADF);
}

TEST(docker_time) {
        const uint64_t now = 1800000000ULL * 1000000ULL;
        uint64_t t;
        char buf[64];

        ASSERT_OK(parse_docker_time("2026-11-28T10:00:00Z", now, &t));
        ASSERT_EQ(t, 1795860000ULL * 1000000ULL);
        ASSERT_OK(parse_docker_time("2026-11-28T11:00:00.5+01:00", now, &t));
        ASSERT_EQ(t, 1795860000ULL * 1000000ULL + 500000);
        ASSERT_OK(parse_docker_time("2026-11-28", now, &t));
        ASSERT_EQ(t, 1795824000ULL * 1000000ULL);
        ASSERT_OK(parse_docker_time("1700000000.25", now, &t));
        ASSERT_EQ(t, 1700000000250000ULL);
        ASSERT_OK(parse_docker_time("10m", now, &t));
        ASSERT_EQ(t, now - 600000000ULL);
        ASSERT_OK(parse_docker_time("1h30m", now, &t));
        ASSERT_EQ(t, now - 5400000000ULL);
        ASSERT_OK(parse_docker_time("500ms", now, &t));
        ASSERT_EQ(t, now - 500000ULL);
        ASSERT_ERROR(parse_docker_time("", now, &t), EINVAL);
        ASSERT_ERROR(parse_docker_time("yesterday", now, &t), EINVAL);
        ASSERT_ERROR(parse_docker_time("10x", now, &t), EINVAL);
        ASSERT_ERROR(parse_docker_time("-5m", now, &t), EINVAL);
        ASSERT_ERROR(parse_docker_time("2026-11-28T10:00", now, &t), EINVAL);

        format_rfc3339_nano(1795860000ULL * 1000000ULL + 123456, buf, sizeof(buf));
        ASSERT_STREQ(buf, "2026-11-28T10:00:00.123456000Z");
}

int main(void) {
        RUN(strings);
        RUN(strv);
        RUN(atomic_write_and_rm_rf);
        RUN(safe_close);
        RUN(docker_time);
        return 0;
}
