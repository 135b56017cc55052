/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-path.h"
#include "fd-util.h"
#include "fileio.h"
#include "notify.h"
#include "proc-util.h"
#include "stdio-handover.h"
#include "string-util.h"
#include "strv.h"
#include "terminal-util.h"
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

TEST(go_duration) {
        uint64_t t;

        ASSERT_OK(parse_go_duration("90s", &t));
        ASSERT_EQ(t, 90000000ULL);
        ASSERT_OK(parse_go_duration("5m", &t));
        ASSERT_EQ(t, 300000000ULL);
        ASSERT_OK(parse_go_duration("1h30m10s", &t));
        ASSERT_EQ(t, 5410000000ULL);
        ASSERT_OK(parse_go_duration("1.5h", &t));
        ASSERT_EQ(t, 5400000000ULL);
        ASSERT_OK(parse_go_duration(".5s", &t));
        ASSERT_EQ(t, 500000ULL);
        ASSERT_OK(parse_go_duration("250ms", &t));
        ASSERT_EQ(t, 250000ULL);
        ASSERT_OK(parse_go_duration("0", &t));
        ASSERT_EQ(t, 0ULL);
        ASSERT_ERROR(parse_go_duration("", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("10", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("-5m", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("+5m", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("1e3s", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("0x10s", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("nans", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("infh", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("1.2.3s", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("5m ", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("5d", &t), EINVAL);
        ASSERT_ERROR(parse_go_duration("9999999999999h", &t), ERANGE);
        ASSERT_ERROR(parse_go_duration("999999999h999999999h", &t), ERANGE);
}

TEST(proc_cgroup) {
        char v2[] = "0::/system.slice/system-berth.slice/berth@web.service";
        char sd[] = "9:name=systemd:/system.slice/system-berth.slice/berth@web.service";
        char cpu[] = "2:cpu,cpuacct:/";
        char bad1[] = "0:/x", bad2[] = ":cpu:/", bad3[] = "3::/x", bad4[] = "1:memory:relative";
        const char *dir, *path;

        ASSERT_OK(proc_cgroup_line_split(v2, &dir, &path));
        ASSERT_TRUE(dir == NULL);
        ASSERT_STREQ(path, "/system.slice/system-berth.slice/berth@web.service");
        ASSERT_OK(proc_cgroup_line_split(sd, &dir, &path));
        ASSERT_STREQ(dir, "systemd");
        ASSERT_OK(proc_cgroup_line_split(cpu, &dir, &path));
        ASSERT_STREQ(dir, "cpu,cpuacct");
        ASSERT_STREQ(path, "/");
        ASSERT_ERROR(proc_cgroup_line_split(bad1, &dir, &path), EBADMSG);
        ASSERT_ERROR(proc_cgroup_line_split(bad2, &dir, &path), EBADMSG);
        ASSERT_ERROR(proc_cgroup_line_split(bad3, &dir, &path), EBADMSG);
        ASSERT_ERROR(proc_cgroup_line_split(bad4, &dir, &path), EBADMSG);

        ASSERT_TRUE(cgroup_path_in_unit("/system.slice/system-berth.slice/berth@web.service",
                "berth@web.service"));
        ASSERT_TRUE(cgroup_path_in_unit("/system.slice/berth@web.service/payload", "berth@web.service"));
        ASSERT_FALSE(cgroup_path_in_unit("/system.slice/berth@web.service2", "berth@web.service"));
        ASSERT_FALSE(cgroup_path_in_unit("/system.slice/xberth@web.service", "berth@web.service"));
        ASSERT_FALSE(cgroup_path_in_unit("/", "berth@web.service"));
}

TEST(proc_nspid) {
        pid_t pid = 0;

        ASSERT_OK(proc_status_nspid("Name:\tsh\nPid:\t4242\nNSpid:\t4242\t17\t1\nNSpgid:\t1\n", &pid));
        ASSERT_EQ(pid, 1);
        ASSERT_OK(proc_status_nspid("NSpid:\t4242", &pid));
        ASSERT_EQ(pid, 4242);
        ASSERT_ERROR(proc_status_nspid("Name:\tsh\nPid:\t1\n", &pid), ENODATA);
        ASSERT_ERROR(proc_status_nspid("NSpid:\t\nX:\t1\n", &pid), EBADMSG);
        ASSERT_ERROR(proc_status_nspid("NSpid:\t12 x3\n", &pid), EBADMSG);
        ASSERT_ERROR(proc_status_nspid("NSpid:\t-1\n", &pid), EBADMSG);
}

TEST(exec_path) {
        char tmpl[] = "/tmp/test-exec-path.XXXXXX", buf[PATH_MAX];
        char *const env[] = { (char *) "A=1", NULL, NULL };
        _cleanup_free_ char *pathenv = NULL;
        _cleanup_close_ int dfd = -EBADF;
        const char *dir = mkdtemp(tmpl);
        char *envp[3] = { (char *) "A=1", NULL, NULL };

        ASSERT_TRUE(dir);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_OK(dfd);
        ASSERT_OK(mkdirat(dfd, "bin", 0755));
        ASSERT_OK(mkdirat(dfd, "sub", 0755));
        ASSERT_OK(write_file_atomic_at(dfd, "bin/tool", "#!/bin/sh\n", 10, 0755));
        ASSERT_OK(write_file_atomic_at(dfd, "bin/data", "x", 1, 0644));
        ASSERT_OK(write_file_atomic_at(dfd, "sub/data", "x", 1, 0755));
        ASSERT_OK(mkdirat(dfd, "bin/adir", 0755));
        pathenv = strjoin("PATH=/nonexistent:", dir, "/bin:", dir, "/sub");
        ASSERT_TRUE(pathenv);
        envp[1] = pathenv;

        ASSERT_OK(exec_path_resolve("tool", envp, buf));
        ASSERT_TRUE(endswith(buf, "/bin/tool"));
        /* a non-executable match does not hide an executable one later in $PATH */
        ASSERT_OK(exec_path_resolve("data", envp, buf));
        ASSERT_TRUE(endswith(buf, "/sub/data"));
        ASSERT_ERROR(exec_path_resolve("adir", envp, buf), EISDIR);
        ASSERT_ERROR(exec_path_resolve("nosuch", envp, buf), ENOENT);
        ASSERT_ERROR(exec_path_resolve("", envp, buf), ENOENT);
        ASSERT_ERROR(exec_path_resolve("/nonexistent/x", envp, buf), ENOENT);
        ASSERT_ERROR(exec_path_resolve("/etc/passwd", envp, buf), EACCES);
        ASSERT_OK(exec_path_resolve("sh", env, buf)); /* the default $PATH */
        ASSERT_OK(exec_path_resolve("/bin/sh", env, buf));
        ASSERT_STREQ(buf, "/bin/sh");

        ASSERT_EQ(exec_path_exit_code(ENOENT), 127);
        ASSERT_EQ(exec_path_exit_code(-ENOTDIR), 127);
        ASSERT_EQ(exec_path_exit_code(EACCES), 126);
        ASSERT_EQ(exec_path_exit_code(EISDIR), 126);
        ASSERT_EQ(exec_path_exit_code(ENOEXEC), 126);
        ASSERT_OK(rm_rf_at(AT_FDCWD, dir));
}

TEST(detach_keys) {
        char out[16];
        size_t n = 0;
        bool pending = false;

        ASSERT_FALSE(detach_keys_filter("ab", 2, out, &n, &pending));
        ASSERT_EQ(n, 2);
        ASSERT_TRUE(memcmp(out, "ab", 2) == 0);
        /* ctrl-p is held back, then given out when something else follows */
        ASSERT_FALSE(detach_keys_filter("x\x10", 2, out, &n, &pending));
        ASSERT_EQ(n, 1);
        ASSERT_TRUE(pending);
        ASSERT_FALSE(detach_keys_filter("y", 1, out, &n, &pending));
        ASSERT_EQ(n, 2);
        ASSERT_TRUE(memcmp(out, "\x10y", 2) == 0);
        ASSERT_FALSE(detach_keys_filter("\x10\x10", 2, out, &n, &pending));
        ASSERT_EQ(n, 1);
        ASSERT_TRUE(pending);
        /* the sequence across two reads */
        ASSERT_TRUE(detach_keys_filter("\x11rest", 5, out, &n, &pending));
        ASSERT_EQ(n, 0);
        pending = false;
        ASSERT_TRUE(detach_keys_filter("ls\x10\x11", 4, out, &n, &pending));
        ASSERT_EQ(n, 2);
        ASSERT_TRUE(memcmp(out, "ls", 2) == 0);
        pending = false;
        ASSERT_FALSE(detach_keys_filter("\x11\x10", 2, out, &n, &pending));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(out[0], 0x11);
}

TEST(loop_write) {
        int p[2];
        char buf[8] = {};

        ASSERT_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
        ASSERT_OK(loop_write(p[1], "hello", 5));
        ASSERT_EQ(read(p[0], buf, sizeof(buf)), 5);
        ASSERT_STREQ(buf, "hello");
        safe_close(p[0]);
        safe_close(p[1]);
}

TEST(stdio_handover) {
        StdioHandover msg = { .mode = 'i' }, got = {};
        int sv[2], fds[3], pipefd[2];
        size_t n = 9;
        char c = 0;

        ASSERT_OK(RET_NERRNO(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)));
        ASSERT_OK(RET_NERRNO(pipe2(pipefd, O_CLOEXEC)));
        /* three fds across; the received read end reads what the original write end wrote */
        ASSERT_OK(stdio_handover_send(sv[0], &msg, (int[]){ pipefd[0], pipefd[0], pipefd[1] }, 3));
        ASSERT_OK(stdio_handover_recv(sv[1], 1000, &got, fds, &n));
        ASSERT_EQ(got.mode, 'i');
        ASSERT_EQ(n, 3u);
        ASSERT_EQ(write(pipefd[1], "x", 1), 1);
        ASSERT_EQ(read(fds[0], &c, 1), 1);
        ASSERT_EQ(c, 'x');
        ASSERT_TRUE(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
        for (int i = 0; i < 3; i++)
                safe_close(fds[i]);

        /* a message without fds, with the window size */
        msg = (StdioHandover){ .mode = 't', .size = { .ws_row = 33, .ws_col = 101 } };
        ASSERT_OK(stdio_handover_send(sv[0], &msg, NULL, 0));
        ASSERT_OK(stdio_handover_recv(sv[1], 1000, &got, fds, &n));
        ASSERT_EQ(n, 0u);
        ASSERT_EQ(got.size.ws_col, 101);
        ASSERT_EQ(fds[0], -EBADF);

        /* garbage and timeouts */
        ASSERT_EQ(send(sv[0], "zz", 2, 0), 2);
        ASSERT_ERROR(stdio_handover_recv(sv[1], 1000, &got, fds, &n), EBADMSG);
        ASSERT_ERROR(stdio_handover_recv(sv[1], 10, &got, fds, &n), ETIMEDOUT);
        ASSERT_ERROR(stdio_handover_send(sv[0], &msg, fds, 4), EINVAL);
        safe_close(sv[0]);
        ASSERT_ERROR(stdio_handover_recv(sv[1], 1000, &got, fds, &n), ECONNRESET);
        safe_close(sv[1]);
        safe_close(pipefd[0]);
        safe_close(pipefd[1]);
}

/* a datagram socket at ADDR (a path, or "@name"), as the service manager's */
static int notify_listener(const char *addr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(addr);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        memcpy(sa.sun_path, addr, n);
        if (addr[0] == '@')
                sa.sun_path[0] = '\0';
        ASSERT_OK(RET_NERRNO(bind(fd, (struct sockaddr *) &sa,
                (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (addr[0] == '/')))));
        return fd;
}

/* receives one message into buf, and the fd passed with it (or -EBADF) */
static int notify_recv(int fd, char *buf, size_t size) {
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.b,
                .msg_controllen = sizeof(control.b) };
        struct cmsghdr *c;
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        int passed = -EBADF;

        ASSERT_TRUE(n >= 0);
        buf[n] = '\0';
        c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_type == SCM_RIGHTS)
                memcpy(&passed, CMSG_DATA(c), sizeof(int));
        return passed;
}

TEST(notify) {
        char dir[] = "/tmp/berth-notify.XXXXXX", path[64], buf[64];
        int fd, passed, status;
        pid_t pid;

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/notify", dir);
        fd = notify_listener(path);

        ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
        ASSERT_EQ(notify_send("READY=1"), 0);
        ASSERT_EQ(notify_barrier(1000), 0);
        ASSERT_OK(setenv("NOTIFY_SOCKET", "vsock:2:9", 1));
        ASSERT_ERROR(notify_send("READY=1"), EAFNOSUPPORT);

        ASSERT_OK(setenv("NOTIFY_SOCKET", path, 1));
        ASSERT_EQ(notify_send("MAINPID=42"), 1);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), -EBADF);
        ASSERT_STREQ(buf, "MAINPID=42");

        /* nobody reads the barrier: the write end stays open in the queued message */
        ASSERT_ERROR(notify_barrier(20 * 1000), ETIMEDOUT);
        passed = notify_recv(fd, buf, sizeof(buf));
        ASSERT_STREQ(buf, "BARRIER=1");
        ASSERT_TRUE(passed >= 0);
        safe_close(passed);

        /* a manager that reads and closes the fd releases the barrier */
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(notify_barrier(5 * 1000000ULL) == 1 ? 0 : 1);
        passed = notify_recv(fd, buf, sizeof(buf));
        ASSERT_STREQ(buf, "BARRIER=1");
        safe_close(passed);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        safe_close(fd);
        ASSERT_OK(RET_NERRNO(unlink(path)));
        ASSERT_OK(RET_NERRNO(rmdir(dir)));

        /* an abstract address */
        snprintf(path, sizeof(path), "@berth-notify-test-%d", (int) getpid());
        fd = notify_listener(path);
        ASSERT_OK(setenv("NOTIFY_SOCKET", path, 1));
        ASSERT_EQ(notify_send("READY=1"), 1);
        ASSERT_EQ(notify_recv(fd, buf, sizeof(buf)), -EBADF);
        ASSERT_STREQ(buf, "READY=1");
        safe_close(fd);
        ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
}

int main(void) {
        RUN(strings);
        RUN(strv);
        RUN(atomic_write_and_rm_rf);
        RUN(safe_close);
        RUN(docker_time);
        RUN(proc_cgroup);
        RUN(go_duration);
        RUN(proc_nspid);
        RUN(exec_path);
        RUN(detach_keys);
        RUN(loop_write);
        RUN(stdio_handover);
        RUN(notify);
        return 0;
}
