/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-probe: reports, from inside a container, the confinement it runs under. Integration tests copy it
 * into a test image, run it as the container's command or through `berth exec`, and assert on its output:
 * one "name=value" line per check on stdout, exit 0. A check that tries an operation prints "ok" or the
 * errno name it failed with; one that reads a value prints the value; "error:ENAME" means the probe could
 * not run the check at all (e.g. /tmp was missing), "killed:SIGNAME" that the check died of a signal (a
 * seccomp filter killing on a syscall).
 *
 * Every check runs in its own forked child, so checks that change process state (unshare, chroot) need no
 * further fork, a check killed by seccomp does not take the probe with it, and a hung one is ended by an
 * alarm. Each one is harmless when it succeeds, even as root with every capability: whatever it creates or
 * mounts it removes again, and it writes back only values it has just read.
 *
 * Static and libc-only (macro.h is header-only), like berth-init, so it runs in any image. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"

/* Unassigned on every architecture: past the end of the common table (in the 460s), below where mips
 * numbering starts (4000), and without the x32 bit. */
#define PROBE_UNASSIGNED_SYSCALL 1023

/* Per check: generous for anything it does, short enough that a hung check doesn't stall a test. */
#define PROBE_CHECK_TIMEOUT_SEC 10

#define PROBE_TMP_TEMPLATE "/tmp/berth-probe.XXXXXX"

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

typedef struct ErrnoName {
        int error;
        const char *name;
} ErrnoName;

/* clang-format off */
#define ERRNO_NAME(e) { e, #e }
static const ErrnoName errno_names[] = {
        ERRNO_NAME(EPERM), ERRNO_NAME(ENOENT), ERRNO_NAME(ESRCH), ERRNO_NAME(EINTR),
        ERRNO_NAME(EIO), ERRNO_NAME(ENXIO), ERRNO_NAME(E2BIG), ERRNO_NAME(ENOEXEC),
        ERRNO_NAME(EBADF), ERRNO_NAME(ECHILD), ERRNO_NAME(EAGAIN), ERRNO_NAME(ENOMEM),
        ERRNO_NAME(EACCES), ERRNO_NAME(EFAULT), ERRNO_NAME(EBUSY), ERRNO_NAME(EEXIST),
        ERRNO_NAME(EXDEV), ERRNO_NAME(ENODEV), ERRNO_NAME(ENOTDIR), ERRNO_NAME(EISDIR),
        ERRNO_NAME(EINVAL), ERRNO_NAME(ENFILE), ERRNO_NAME(EMFILE), ERRNO_NAME(ENOTTY),
        ERRNO_NAME(ETXTBSY), ERRNO_NAME(EFBIG), ERRNO_NAME(ENOSPC), ERRNO_NAME(ESPIPE),
        ERRNO_NAME(EROFS), ERRNO_NAME(EMLINK), ERRNO_NAME(EPIPE), ERRNO_NAME(ERANGE),
        ERRNO_NAME(EDEADLK), ERRNO_NAME(ENAMETOOLONG), ERRNO_NAME(ENOSYS), ERRNO_NAME(ENOTEMPTY),
        ERRNO_NAME(ELOOP), ERRNO_NAME(ENODATA), ERRNO_NAME(ENOLINK), ERRNO_NAME(EPROTO),
        ERRNO_NAME(EBADMSG), ERRNO_NAME(EOVERFLOW), ERRNO_NAME(EUSERS), ERRNO_NAME(ENOTSOCK),
        ERRNO_NAME(EPROTOTYPE), ERRNO_NAME(ENOPROTOOPT), ERRNO_NAME(EPROTONOSUPPORT),
        ERRNO_NAME(ESOCKTNOSUPPORT), ERRNO_NAME(EOPNOTSUPP), ERRNO_NAME(EAFNOSUPPORT),
        ERRNO_NAME(EADDRINUSE), ERRNO_NAME(EADDRNOTAVAIL), ERRNO_NAME(ENETDOWN), ERRNO_NAME(ENETUNREACH),
        ERRNO_NAME(ECONNREFUSED), ERRNO_NAME(ETIMEDOUT), ERRNO_NAME(ESTALE), ERRNO_NAME(EDQUOT),
        ERRNO_NAME(ECANCELED), ERRNO_NAME(ENOKEY), ERRNO_NAME(EKEYEXPIRED), ERRNO_NAME(EKEYREVOKED),
        ERRNO_NAME(EKEYREJECTED), ERRNO_NAME(ENOMEDIUM), ERRNO_NAME(EMEDIUMTYPE),
};
/* clang-format on */

static const char *errno_name(int error, char buf[static 16]) {
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (errno_names[i].error == error)
                        return errno_names[i].name;
        (void) snprintf(buf, 16, "E%d", error);
        return buf;
}

typedef struct SignalName {
        int signo;
        const char *name;
} SignalName;

/* clang-format off */
#define SIGNAL_NAME(s) { s, #s }
static const SignalName signal_names[] = {
        SIGNAL_NAME(SIGSYS), SIGNAL_NAME(SIGKILL), SIGNAL_NAME(SIGSEGV), SIGNAL_NAME(SIGBUS),
        SIGNAL_NAME(SIGILL), SIGNAL_NAME(SIGABRT), SIGNAL_NAME(SIGTRAP), SIGNAL_NAME(SIGALRM),
        SIGNAL_NAME(SIGTERM), SIGNAL_NAME(SIGXCPU), SIGNAL_NAME(SIGXFSZ), SIGNAL_NAME(SIGPIPE),
};
/* clang-format on */

static const char *signal_name(int signo, char buf[static 16]) {
        for (size_t i = 0; i < ELEMENTSOF(signal_names); i++)
                if (signal_names[i].signo == signo)
                        return signal_names[i].name;
        (void) snprintf(buf, 16, "SIG%d", signo);
        return buf;
}

/* The value of a check that tried an operation: "ok" for r == 0, else the name of errno -r. */
static int put_result(FILE *out, int r) {
        char buf[16];

        fputs(r >= 0 ? "ok" : errno_name(-r, buf), out);
        return 0;
}

/* Reads a small (proc) file whole, NUL-terminated. */
static int read_small_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        char *p;

                        if (allocated >= 1024 * 1024)
                                return -EFBIG;
                        p = realloc(buf, allocated + 4096 + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated += 4096;
                }
                n = read(fd, buf + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
        }

        buf[size] = '\0';
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Prints the value of a "Field:\tvalue" line of /proc/self/status. */
static int put_status_field(FILE *out, const char *field) {
        _cleanup_free_ char *status = NULL;
        size_t len = strlen(field);
        int r;

        r = read_small_file("/proc/self/status", &status, NULL);
        if (r < 0)
                return r;

        for (const char *line = status; *line;) {
                const char *eol = strchrnul(line, '\n');

                if (strncmp(line, field, len) == 0 && line[len] == ':') {
                        const char *v = line + len + 1;

                        v += strspn(v, " \t");
                        fprintf(out, "%.*s", (int) (eol - v), v);
                        return 0;
                }
                line = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

/* Creates a fresh directory under /tmp for a check's scratch files; the check removes it. */
static int make_scratch_dir(char ret[static sizeof(PROBE_TMP_TEMPLATE)]) {
        strcpy(ret, PROBE_TMP_TEMPLATE);
        if (!mkdtemp(ret))
                return -errno;
        return 0;
}

/* ---- checks: each returns 0 after printing its value to out, or a negative errno (printed as
 * "error:ENAME") when it could not be run ---- */

static int check_cap_inh(const char *arg, FILE *out) {
        return put_status_field(out, "CapInh");
}

static int check_cap_prm(const char *arg, FILE *out) {
        return put_status_field(out, "CapPrm");
}

static int check_cap_eff(const char *arg, FILE *out) {
        return put_status_field(out, "CapEff");
}

static int check_cap_bnd(const char *arg, FILE *out) {
        return put_status_field(out, "CapBnd");
}

static int check_cap_amb(const char *arg, FILE *out) {
        return put_status_field(out, "CapAmb");
}

static int check_no_new_privs(const char *arg, FILE *out) {
        int r;

        r = RET_NERRNO(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        if (r < 0)
                return r;
        fprintf(out, "%d", r);
        return 0;
}

static int check_seccomp(const char *arg, FILE *out) {
        return put_status_field(out, "Seccomp");
}

static int check_uid(const char *arg, FILE *out) {
        fprintf(out, "%u", (unsigned) getuid());
        return 0;
}

static int check_gid(const char *arg, FILE *out) {
        fprintf(out, "%u", (unsigned) getgid());
        return 0;
}

static int check_groups(const char *arg, FILE *out) {
        _cleanup_free_ gid_t *list = NULL;
        int n;

        n = RET_NERRNO(getgroups(0, NULL));
        if (n < 0)
                return n;
        list = calloc(n + 1, sizeof(gid_t));
        if (!list)
                return -ENOMEM;
        n = RET_NERRNO(getgroups(n, list));
        if (n < 0)
                return n;

        for (int i = 0; i < n; i++)
                fprintf(out, "%s%u", i > 0 ? "," : "", (unsigned) list[i]);
        return 0;
}

static int check_mount(const char *arg, FILE *out) {
        char dir[sizeof(PROBE_TMP_TEMPLATE)];
        int r;

        r = make_scratch_dir(dir);
        if (r < 0)
                return r;

        r = RET_NERRNO(mount("berth-probe", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k"));
        if (r >= 0 && umount2(dir, MNT_DETACH) < 0) {
                r = -errno;
                (void) rmdir(dir);
                return r;
        }
        (void) rmdir(dir);
        return put_result(out, r);
}

static int check_unshare_user(const char *arg, FILE *out) {
        return put_result(out, RET_NERRNO(unshare(CLONE_NEWUSER)));
}

static int check_unshare_ns(const char *arg, FILE *out) {
        return put_result(out, RET_NERRNO(unshare(CLONE_NEWNS)));
}

static int check_clone_newns(const char *arg, FILE *out) {
        long pid;

        /* flags come first for every architecture's argument order; the rest are zero: no new stack,
         * fork-like, so the child may run C until it exits */
        pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, /* stack= */ 0, 0, 0, 0);
        if (pid < 0)
                return put_result(out, -errno);
        if (pid == 0)
                _exit(0);

        while (waitpid((pid_t) pid, NULL, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return put_result(out, 0);
}

static int check_clone3(const char *arg, FILE *out) {
        long r;

        /* A NULL, zero-sized argument never creates anything: the kernel answers EINVAL, a seccomp filter
         * that wants callers to fall back to clone() answers ENOSYS first. */
        r = syscall(__NR_clone3, /* uargs= */ NULL, /* size= */ 0);
        if (r == 0)
                _exit(0); /* cannot happen; if it did, we would be the new child */
        return put_result(out, r < 0 ? -errno : 0);
}

static int check_unknown_syscall(const char *arg, FILE *out) {
        return put_result(out, RET_NERRNO(syscall(PROBE_UNASSIGNED_SYSCALL, 0, 0, 0, 0, 0, 0)));
}

static int check_keyctl(const char *arg, FILE *out) {
        if (syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, /* create= */ 0) < 0)
                return put_result(out, -errno);
        return put_result(out, 0);
}

static int check_ptrace_pid1(const char *arg, FILE *out) {
        int r;

        /* We are the probe's forked child: the probe itself is PID 1 when it is our parent. */
        if (getppid() == 1) {
                fputs("self", out);
                return 0;
        }

        /* PTRACE_SEIZE, unlike ATTACH, does not stop the tracee. DETACH fails on a tracee that isn't
         * stopped, which is fine: the kernel detaches it anyway when we exit right after this. */
        r = RET_NERRNO(ptrace(PTRACE_SEIZE, 1, NULL, NULL));
        if (r >= 0)
                (void) ptrace(PTRACE_DETACH, 1, NULL, NULL);
        return put_result(out, r);
}

static int check_reboot(const char *arg, FILE *out) {
        /* reboot() checks CAP_SYS_BOOT (EPERM) before the magic numbers (EINVAL), so wrong magic tells
         * "permitted" from "denied" without ever acting. CAD_OFF with the right magic is harmless only in a
         * child PID namespace; in the initial one it would switch Ctrl-Alt-Del handling off for the host. */
        if (syscall(SYS_reboot, /* magic1= */ 0, /* magic2= */ 0, LINUX_REBOOT_CMD_CAD_OFF, NULL) < 0)
                return put_result(out, -errno);
        return put_result(out, 0);
}

/* "ok" when one byte was read, "eof" for an empty file (/dev/null bind-mounted over a masked path). */
static int put_read_one(FILE *out, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        char c;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return put_result(out, -errno);
        n = read(fd, &c, 1);
        if (n < 0)
                return put_result(out, -errno);
        if (n == 0) {
                fputs("eof", out);
                return 0;
        }
        return put_result(out, 0);
}

static int check_kcore(const char *arg, FILE *out) {
        return put_read_one(out, "/proc/kcore");
}

static int check_proc_sys_write(const char *arg, FILE *out) {
        static const char path[] = "/proc/sys/kernel/domainname";
        _cleanup_free_ char *value = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        ssize_t n;
        int r;

        r = read_small_file(path, &value, &size);
        if (r < 0)
                return r;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return put_result(out, -errno);
        n = write(fd, value, size);
        if (n < 0)
                return put_result(out, -errno);
        if ((size_t) n != size)
                return -EIO;
        return put_result(out, 0);
}

static int check_sysrq(const char *arg, FILE *out) {
        _cleanup_close_ int fd = -EBADF;

        fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return put_result(out, fd < 0 ? -errno : 0);
}

static int check_mknod(const char *arg, FILE *out) {
        char dir[sizeof(PROBE_TMP_TEMPLATE)], path[sizeof(dir) + 5];
        int r;

        r = make_scratch_dir(dir);
        if (r < 0)
                return r;

        (void) snprintf(path, sizeof(path), "%s/null", dir);
        r = RET_NERRNO(mknod(path, S_IFCHR | 0600, makedev(1, 3)));
        if (r >= 0)
                (void) unlink(path);
        (void) rmdir(dir);
        return put_result(out, r);
}

static int check_chroot(const char *arg, FILE *out) {
        return put_result(out, RET_NERRNO(chroot(".")));
}

static int check_sethostname(const char *arg, FILE *out) {
        char name[256] = "";

        if (gethostname(name, sizeof(name) - 1) < 0)
                return -errno;
        return put_result(out, RET_NERRNO(sethostname(name, strlen(name))));
}

static int check_raw_socket(const char *arg, FILE *out) {
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        return put_result(out, fd < 0 ? -errno : 0);
}

static int check_bind_80(const char *arg, FILE *out) {
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons(80),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* bound, never listening; closed when the check exits */
        return put_result(out, RET_NERRNO(bind(fd, (struct sockaddr *) &sa, sizeof(sa))));
}

static int check_chown(const char *arg, FILE *out) {
        char dir[sizeof(PROBE_TMP_TEMPLATE)], path[sizeof(dir) + 5];
        int fd, r;

        r = make_scratch_dir(dir);
        if (r < 0)
                return r;

        (void) snprintf(path, sizeof(path), "%s/file", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                (void) rmdir(dir);
                return r;
        }
        (void) close(fd);

        r = RET_NERRNO(chown(path, 1234, 1234));
        (void) unlink(path);
        (void) rmdir(dir);
        return put_result(out, r);
}

static void put_rlim(FILE *out, rlim_t v) {
        if (v == RLIM_INFINITY)
                fputs("unlimited", out);
        else
                fprintf(out, "%llu", (unsigned long long) v);
}

static int check_rlimit_nofile(const char *arg, FILE *out) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        put_rlim(out, rl.rlim_cur);
        fputc(':', out);
        put_rlim(out, rl.rlim_max);
        return 0;
}

static int check_rootfs_write(const char *arg, FILE *out) {
        static const char path[] = "/.probe-write-test";
        int fd;

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return put_result(out, -errno);
        (void) close(fd);
        (void) unlink(path);
        return put_result(out, 0);
}

static int dirent_not_dot(const struct dirent *de) {
        return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static int dirent_compare(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int check_dev_list(const char *arg, FILE *out) {
        struct dirent **list = NULL;
        int n;

        n = RET_NERRNO(scandir("/dev", &list, dirent_not_dot, dirent_compare));
        if (n < 0)
                return n;
        /* the check's process exits right after, so the list is not freed entry by entry */
        for (int i = 0; i < n; i++)
                fprintf(out, "%s%s", i > 0 ? " " : "", list[i]->d_name);
        return 0;
}

static int check_shm_size(const char *arg, FILE *out) {
        struct statvfs sv;

        if (statvfs("/dev/shm", &sv) < 0)
                return -errno;
        fprintf(out, "%llu", (unsigned long long) sv.f_blocks * sv.f_frsize);
        return 0;
}

static int check_sysctl(const char *arg, FILE *out) {
        _cleanup_free_ char *path = NULL, *value = NULL;
        size_t size;
        int r;

        /* a sysctl name, not a path: no way out of /proc/sys */
        if (arg[0] == '.' || strchr(arg, '/') || strstr(arg, ".."))
                return -EINVAL;
        if (asprintf(&path, "/proc/sys/%s", arg) < 0)
                return -ENOMEM;
        for (char *p = path + strlen("/proc/sys/"); *p; p++)
                if (*p == '.')
                        *p = '/';

        r = read_small_file(path, &value, &size);
        if (r < 0)
                return r;
        fwrite(value, 1, size, out);
        return 0;
}

static int check_write(const char *arg, FILE *out) {
        _cleanup_close_ int fd = -EBADF;

        /* O_APPEND and nothing written: opening is the test */
        fd = open(arg, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        return put_result(out, fd < 0 ? -errno : 0);
}

static int check_read(const char *arg, FILE *out) {
        return put_read_one(out, arg);
}

/* BARRIER=1 with a pipe's write end: systemd closes it once it has processed what we sent before, so we
 * do not exit before it looked up our cgroup (it drops a message whose sender is gone). */
static int notify_barrier(int fd, const struct sockaddr_un *sa) {
        char cbuf[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = (char *) "BARRIER=1", .iov_len = 9 };
        struct msghdr mh = { .msg_name = (void *) sa,
                .msg_namelen = sizeof(*sa),
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = cbuf,
                .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        struct pollfd p;
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pipefd[1], sizeof(int));
        if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return -errno;
        }
        close(pipefd[1]);
        p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
        (void) poll(&p, 1, 5000);
        close(pipefd[0]);
        return 0;
}

/* notify:SECONDS: waits, then sends READY=1 to $NOTIFY_SOCKET (--sdnotify=container) */
static int check_notify(const char *arg, FILE *out) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = getenv("NOTIFY_SOCKET");
        _cleanup_close_ int fd = -EBADF;

        if (!path || strlen(path) >= sizeof(sa.sun_path))
                return put_result(out, -ENOENT);
        strcpy(sa.sun_path, path);
        sleep((unsigned) atoi(arg));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return put_result(out, -errno);
        if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return put_result(out, -errno);
        return put_result(out, notify_barrier(fd, &sa));
}

typedef int (*CheckFunc)(const char *arg, FILE *out);

typedef struct Check {
        const char *name;
        const char *metavar; /* non-NULL: the check takes an argument, given as "name:ARG" */
        CheckFunc func;
} Check;

static const Check checks[] = {
        { "cap_inh", NULL, check_cap_inh },
        { "cap_prm", NULL, check_cap_prm },
        { "cap_eff", NULL, check_cap_eff },
        { "cap_bnd", NULL, check_cap_bnd },
        { "cap_amb", NULL, check_cap_amb },
        { "no_new_privs", NULL, check_no_new_privs },
        { "seccomp", NULL, check_seccomp },
        { "uid", NULL, check_uid },
        { "gid", NULL, check_gid },
        { "groups", NULL, check_groups },
        { "mount", NULL, check_mount },
        { "unshare_user", NULL, check_unshare_user },
        { "unshare_ns", NULL, check_unshare_ns },
        { "clone_newns", NULL, check_clone_newns },
        { "clone3", NULL, check_clone3 },
        { "unknown_syscall", NULL, check_unknown_syscall },
        { "keyctl", NULL, check_keyctl },
        { "ptrace_pid1", NULL, check_ptrace_pid1 },
        { "reboot", NULL, check_reboot },
        { "kcore", NULL, check_kcore },
        { "proc_sys_write", NULL, check_proc_sys_write },
        { "sysrq", NULL, check_sysrq },
        { "mknod", NULL, check_mknod },
        { "chroot", NULL, check_chroot },
        { "sethostname", NULL, check_sethostname },
        { "raw_socket", NULL, check_raw_socket },
        { "bind_80", NULL, check_bind_80 },
        { "chown", NULL, check_chown },
        { "rlimit_nofile", NULL, check_rlimit_nofile },
        { "rootfs_write", NULL, check_rootfs_write },
        { "dev_list", NULL, check_dev_list },
        { "shm_size", NULL, check_shm_size },
        { "sysctl", "NAME", check_sysctl },
        { "write", "PATH", check_write },
        { "read", "PATH", check_read },
        { "notify", "SECONDS", check_notify },
};

/* Finds the check named by a command line word; *ret_arg is its argument, or NULL. */
static const Check *find_check(const char *word, const char **ret_arg) {
        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                const char *name = checks[i].name;
                size_t len = strlen(name);

                if (checks[i].metavar) {
                        if (strncmp(word, name, len) == 0 && word[len] == ':' && word[len + 1] != '\0') {
                                *ret_arg = word + len + 1;
                                return checks + i;
                        }
                } else if (strcmp(word, name) == 0) {
                        *ret_arg = NULL;
                        return checks + i;
                }
        }
        return NULL;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= k;
        }
        return 0;
}

/* The forked child: runs one check and writes its value to fd. Allocates freely, it exits right after. */
static _noreturn_ void child_run_check(const Check *c, const char *arg, int fd) {
        char *value = NULL, buf[16];
        size_t size = 0;
        FILE *f;
        int r;

        (void) alarm(PROBE_CHECK_TIMEOUT_SEC);

        f = open_memstream(&value, &size);
        if (!f)
                r = -ENOMEM;
        else {
                r = c->func(arg, f);
                if (fclose(f) != 0 && r >= 0)
                        r = -ENOMEM;
        }
        if (r < 0) {
                const char *e = errno_name(-r, buf);

                (void) write_all(fd, "error:", strlen("error:"));
                (void) write_all(fd, e, strlen(e));
        } else
                (void) write_all(fd, value, size);
        _exit(0);
}

/* Reads everything the child writes until it closes its end. */
static int read_all(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        char *p = realloc(buf, allocated * 2 + 4096 + 1);

                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = allocated * 2 + 4096;
                }
                n = read(fd, buf + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
        }
        buf[size] = '\0';
        *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Runs one check in a forked child and collects its output and wait status; negative errno on failure. */
static int run_check(const Check *c, const char *arg, char **ret_value, size_t *ret_size, int *ret_status) {
        _cleanup_close_ int rfd = -EBADF;
        int pipefd[2], status, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rfd = pipefd[0];

        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                (void) close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                (void) close(pipefd[0]);
                child_run_check(c, arg, pipefd[1]);
        }
        (void) close(pipefd[1]);

        /* read to EOF before reaping, so a long value cannot fill the pipe and block the child */
        r = read_all(rfd, ret_value, ret_size);

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (r < 0 && !WIFSIGNALED(status))
                return r;
        *ret_status = status;
        return 0;
}

/* Prints one line per check, whatever happens; newlines inside a value become spaces. */
static void probe(const Check *c, const char *word, const char *arg) {
        _cleanup_free_ char *value = NULL;
        size_t size = 0;
        char buf[16];
        int status, r;

        r = run_check(c, arg, &value, &size, &status);
        if (r < 0)
                printf("%s=error:%s\n", word, errno_name(-r, buf));
        else if (WIFSIGNALED(status))
                printf("%s=killed:%s\n", word, signal_name(WTERMSIG(status), buf));
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                printf("%s=error:EPROTO\n", word);
        else {
                while (size > 0 && value[size - 1] == '\n')
                        size--;
                printf("%s=", word);
                for (size_t i = 0; i < size; i++)
                        putchar(value[i] == '\n' ? ' ' : value[i]);
                putchar('\n');
        }
        fflush(stdout);
}

static void help(void) {
        printf("Usage: berth-probe [CHECK...]\n"
               "Reports the confinement it runs under, one NAME=VALUE line per check (all by default).\n"
               "Values: ok or an errno name for attempted operations, error:ENAME when a check could not\n"
               "run, killed:SIGNAME when it died of a signal.\n\nChecks:\n");
        for (size_t i = 0; i < ELEMENTSOF(checks); i++)
                printf("  %s%s%s\n", checks[i].name, checks[i].metavar ? ":" : "", checks[i].metavar ?: "");
}

int main(int argc, char *argv[]) {
        const char *arg;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                help();
                return 0;
        }

        /* refuse a misspelt check before running any: a test asserting on it should fail loudly */
        for (int i = 1; i < argc; i++)
                if (!find_check(argv[i], &arg)) {
                        fprintf(stderr, "berth-probe: unknown check '%s'; see --help\n", argv[i]);
                        return 2;
                }

        if (argc <= 1) {
                for (size_t i = 0; i < ELEMENTSOF(checks); i++)
                        if (!checks[i].metavar)
                                probe(checks + i, checks[i].name, NULL);
                return 0;
        }

        for (int i = 1; i < argc; i++) {
                const Check *c = find_check(argv[i], &arg);

                probe(c, argv[i], arg);
        }
        return 0;
}
