/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "runtime-child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include "capability-util.h"
#include "exec-path.h"
#include "exec-user.h"
#include "exit-status.h"
#include "fd-util.h"
#include "mount-util.h"
#include "stdio-handover.h"
#include "string-util.h"
#include "syscall-shims.h"

static const char *const child_stage_table[_CHILD_STAGE_MAX] = {
        [CHILD_STAGE_SESSION] = "create session",
        [CHILD_STAGE_MOUNT_PRIVATE] = "make mounts private",
        [CHILD_STAGE_STORE] = "open store",
        [CHILD_STAGE_LOWER] = "attach idmapped image layer",
        [CHILD_STAGE_OVERLAY] = "mount overlay root file system",
        [CHILD_STAGE_ROOTFS] = "open root file system",
        [CHILD_STAGE_MOUNT] = "mount",
        [CHILD_STAGE_MOUNT_READ_ONLY] = "remount read-only",
        [CHILD_STAGE_DEV_NODE] = "create device nodes in /dev",
        [CHILD_STAGE_DEV_SYMLINK] = "create symlinks in /dev",
        [CHILD_STAGE_DEVICE] = "create device",
        [CHILD_STAGE_PIVOT_ROOT] = "pivot_root into the root file system",
        [CHILD_STAGE_HOSTNAME] = "set hostname",
        [CHILD_STAGE_LOOPBACK] = "bring up loopback interface",
        [CHILD_STAGE_SYSCTL] = "set sysctl",
        [CHILD_STAGE_MASK_PATH] = "mask path",
        [CHILD_STAGE_READ_ONLY_PATH] = "make path read-only",
        [CHILD_STAGE_WORKDIR] = "change to working directory",
        [CHILD_STAGE_READ_ONLY_ROOT] = "make the root file system read-only",
        [CHILD_STAGE_RLIMIT] = "set resource limit",
        [CHILD_STAGE_PASSWD] = "read /etc/passwd or /etc/group",
        [CHILD_STAGE_USER_NOT_FOUND] = "look up user",
        [CHILD_STAGE_GROUP_NOT_FOUND] = "look up group",
        [CHILD_STAGE_USER_SPEC] = "parse user",
        [CHILD_STAGE_USERNS] = "join the container's user namespace",
        [CHILD_STAGE_STDIO] = "connect standard input and output",
        [CHILD_STAGE_TTY] = "set up the terminal",
        [CHILD_STAGE_NO_NEW_PRIVS] = "set no_new_privs",
        [CHILD_STAGE_SECCOMP] = "load seccomp filter",
        [CHILD_STAGE_CAPS] = "drop capabilities",
        [CHILD_STAGE_SETGROUPS] = "set supplementary groups",
        [CHILD_STAGE_SETGID] = "set group ID",
        [CHILD_STAGE_SETUID] = "set user ID",
        [CHILD_STAGE_STDERR] = "connect stderr to the journal",
        [CHILD_STAGE_EXEC] = "exec",
        [CHILD_STAGE_READY] = "ready",
};

const char *child_stage_to_string(ChildStage s) {
        return s >= 0 && s < _CHILD_STAGE_MAX ? child_stage_table[s] : NULL;
}

_noreturn_ static void child_fail(const ChildSpec *spec, ChildStage stage, int r, size_t index) {
        ChildRecord rec = {
                .stage = stage,
                .error = ERRNO_VALUE(r) < 0 ? -ERRNO_VALUE(r) : ERRNO_VALUE(r),
                .index = (int32_t) index,
        };

        /* nothing to do if the parent is gone; it then never learns, and neither does anyone else */
        (void) !write(spec->error_fd, &rec, sizeof(rec));
        /* after the go, we are the unit's main process and our status is the container's: Docker's 126/127 */
        _exit(stage == CHILD_STAGE_EXEC ? exit_code_from_exec_errno(rec.error) : EXIT_SETUP_FAILED);
}

static const struct {
        const char *name;
        unsigned major, minor;
} dev_nodes[] = {
        { "null", 1, 3 },
        { "zero", 1, 5 },
        { "full", 1, 7 },
        { "random", 1, 8 },
        { "urandom", 1, 9 },
        { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} dev_symlinks[] = {
        { "fd", "/proc/self/fd" },
        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },
        { "ptmx", "pts/ptmx" },
};

static int populate_dev(int rootfs_fd, ChildStage *ret_stage) {
        _cleanup_close_ int dev_fd = -EBADF;
        char buf[FD_PATH_MAX];
        int r;

        *ret_stage = CHILD_STAGE_DEV_NODE;
        r = chase_in_root(rootfs_fd, "/dev", CHASE_DIRECTORY, &dev_fd);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                dev_t dev = makedev(dev_nodes[i].major, dev_nodes[i].minor);

                if (mknodat(dev_fd, dev_nodes[i].name, S_IFCHR | 0666, dev) >= 0) {
                        if (fchmodat(dev_fd, dev_nodes[i].name, 0666, 0) < 0)
                                return -errno;
                        continue;
                }
                if (errno != EPERM)
                        return -errno;

                /* mknod refused (device cgroup, user namespace): bind the host's node instead */
                {
                        _cleanup_close_ int fd = -EBADF;
                        char host[32];

                        fd = openat(dev_fd, dev_nodes[i].name,
                                O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
                        if (fd < 0)
                                return -errno;
                        fd = safe_close(fd);
                        fd = openat(dev_fd, dev_nodes[i].name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return -errno;
                        snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i].name);
                        if (mount(host, fd_path(fd, buf), NULL, MS_BIND, NULL) < 0)
                                return -errno;
                }
        }

        *ret_stage = CHILD_STAGE_DEV_SYMLINK;
        for (size_t i = 0; i < ELEMENTSOF(dev_symlinks); i++)
                if (symlinkat(dev_symlinks[i].target, dev_fd, dev_symlinks[i].name) < 0)
                        return -errno;
        return 0;
}

/* Remounts the bind at target read-only, keeping the flags the kernel would refuse to drop. */
static int remount_read_only(int rootfs_fd, const char *target) {
        _cleanup_close_ int fd = -EBADF;
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
        char buf[FD_PATH_MAX];
        struct statvfs sv;
        int r;

        /* resolve again: the fd used for mounting points at what is underneath the new mount */
        r = chase_in_root(rootfs_fd, target, 0, &fd);
        if (r < 0)
                return r;
        if (fstatvfs(fd, &sv) < 0)
                return -errno;
        if (sv.f_flag & ST_NOSUID)
                flags |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                flags |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                flags |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                flags |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                flags |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                flags |= MS_RELATIME;
        return RET_NERRNO(mount(NULL, fd_path(fd, buf), NULL, flags, NULL));
}

static int do_mount(const ChildSpec *spec, int rootfs_fd, const ChildMount *m, ChildStage *ret_stage) {
        _cleanup_close_ int fd = -EBADF;
        char buf[FD_PATH_MAX];
        int r;

        *ret_stage = CHILD_STAGE_MOUNT;
        r = chase_in_root(rootfs_fd, m->target, m->file ? CHASE_MKFILE : CHASE_MKDIR, &fd);
        if (r < 0)
                return r;
        if (m->kind == CHILD_MOUNT_BIND)
                r = RET_NERRNO(mount(m->source, fd_path(fd, buf), NULL, MS_BIND | MS_REC, NULL));
        else {
                r = RET_NERRNO(mount(m->source, fd_path(fd, buf), m->fstype, m->flags, m->data));
                if (r == -EPERM && spec->sysfs_bind && streq(m->fstype, "sysfs")) {
                        /* a fresh sysfs needs a network namespace we own: show the host's, read-only */
                        r = RET_NERRNO(mount("/sys", buf, NULL, MS_BIND | MS_REC, NULL));
                        if (r >= 0) {
                                *ret_stage = CHILD_STAGE_MOUNT_READ_ONLY;
                                return remount_read_only(rootfs_fd, m->target);
                        }
                }
        }
        if (r < 0)
                return m->optional ? 0 : r;
        if (m->kind == CHILD_MOUNT_BIND && m->read_only) {
                *ret_stage = CHILD_STAGE_MOUNT_READ_ONLY;
                r = remount_read_only(rootfs_fd, m->target);
                if (r < 0)
                        return r;
        }
        if (m->kind == CHILD_MOUNT_FS && streq(m->target, "/dev"))
                return populate_dev(rootfs_fd, ret_stage);
        return 0;
}

/* A journal stream for the container's stderr, at priority 3, like sd_journal_stream_fd() but naming the
 * unit in the header: journald attributes stream lines by the PID that wrote them, and a process that has
 * exited by the time journald reads its line (a forked worker) has no cgroup left to find the unit by.
 * journald trusts the unit name from root peers, and that is what gives every line _SYSTEMD_UNIT and the
 * unit's LogExtraFields= (CONTAINER_NAME=...), as systemd's own stdout stream does. */
static int journal_stream_open(const char *identifier, const char *unit) {
        static const struct sockaddr_un sa = {
                .sun_family = AF_UNIX,
                .sun_path = "/run/systemd/journal/stdout",
        };
        _cleanup_close_ int fd = -EBADF;
        char header[512];
        int n;

        /* identifier, unit, priority, level prefix, forward to syslog, kmsg, console */
        n = snprintf(header, sizeof(header), "%s\n%s\n%d\n0\n0\n0\n0\n", identifier, unit, LOG_ERR);
        if (n < 0 || (size_t) n >= sizeof(header))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (shutdown(fd, SHUT_RD) < 0)
                return -errno;
        if (write(fd, header, (size_t) n) != n)
                return -EIO;
        return TAKE_FD(fd);
}

static int loopback_up(void) {
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = {};

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        return RET_NERRNO(ioctl(fd, SIOCSIFFLAGS, &ifr));
}

/* --device: the node, or a bind of the host's where mknod is refused (user namespace) */
static int create_device(int rootfs_fd, const ChildDevice *d) {
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        const char *slash = strrchr(d->target, '/');
        char dir[PATH_MAX], buf[FD_PATH_MAX];
        int r;

        if (!slash || (size_t) (slash - d->target) >= sizeof(dir) || !slash[1])
                return -EINVAL;
        memcpy(dir, d->target, (size_t) (slash - d->target));
        dir[slash - d->target] = 0;
        r = chase_in_root(rootfs_fd, dir, CHASE_MKDIR, &dir_fd);
        if (r < 0)
                return r;
        (void) unlinkat(dir_fd, slash + 1, 0);
        if (mknodat(dir_fd, slash + 1, d->mode, (dev_t) d->dev) >= 0)
                return RET_NERRNO(fchmodat(dir_fd, slash + 1, d->mode & 07777, 0));
        if (errno != EPERM)
                return -errno;
        fd = openat(dir_fd, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        fd = safe_close(fd);
        fd = openat(dir_fd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return RET_NERRNO(mount(d->source, fd_path(fd, buf), NULL, MS_BIND, NULL));
}

static int write_sysctl(const char *kv) {
        _cleanup_close_ int fd = -EBADF;
        const char *eq = strchr(kv, '=');
        char path[PATH_MAX];
        size_t n;

        if (!eq || (size_t) (eq - kv) >= sizeof(path))
                return -EINVAL;
        memcpy(path, kv, (size_t) (eq - kv));
        path[eq - kv] = 0;
        fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = strlen(eq + 1);
        if (write(fd, eq + 1, n) != (ssize_t) n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Docker's masking: a read-only empty tmpfs over directories, /dev/null over files. Paths the kernel does
 * not have are skipped. We are inside the new root; /proc and /sys are the kernel's, no symlinks. */
static int mask_path(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode))
                return RET_NERRNO(mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "mode=0555"));
        return RET_NERRNO(mount("/dev/null", path, NULL, MS_BIND, NULL));
}

static int read_only_path(int root_fd, const char *path) {
        struct stat st;
        int r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = RET_NERRNO(mount(path, path, NULL, MS_BIND | MS_REC, NULL));
        if (r < 0)
                return r;
        return remount_read_only(root_fd, path);
}

/* -t: a pty of the container's own devpts as our controlling terminal and stdio; the master goes to
 * `berth run` over the handover socket */
static int tty_setup(const ChildSpec *spec, uid_t uid) {
        _cleanup_close_ int master = -EBADF, peer = -EBADF;
        struct winsize ws = { .ws_row = spec->tty_rows, .ws_col = spec->tty_cols };
        StdioHandover msg = { .mode = 't' };
        int unlock = 0, r;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return -errno;
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return -errno;
        if (ws.ws_row > 0 && ws.ws_col > 0)
                (void) ioctl(peer, TIOCSWINSZ, &ws);
        if (fchown(peer, uid + spec->tty_uid_shift, (gid_t) -1) < 0 || ioctl(peer, TIOCSCTTY, 0) < 0)
                return -errno;
        for (int i = 0; i < 3; i++)
                if (dup2(peer, i) < 0)
                        return -errno;
        r = stdio_handover_send(spec->tty_sock, &msg, &master, 1);
        if (r < 0)
                return r;
        return 0;
}

/* Confinement, the last steps before the user switch (see confine.h) */
static void confine(const ChildSpec *spec) {
        static const ChildStage stages[] = {
                [CONFINE_RLIMIT] = CHILD_STAGE_RLIMIT,
                [CONFINE_USERNS] = CHILD_STAGE_USERNS,
                [CONFINE_NO_NEW_PRIVS] = CHILD_STAGE_NO_NEW_PRIVS,
                [CONFINE_SECCOMP] = CHILD_STAGE_SECCOMP,
                [CONFINE_CAPS] = CHILD_STAGE_CAPS,
        };
        ConfineStep step = CONFINE_CAPS;
        size_t index = 0;
        int r;

        r = confine_apply(&spec->confine, &step, &index);
        if (r < 0)
                child_fail(spec, stages[step], r, index);
}

_noreturn_ void child_run(const ChildSpec *spec) {
        _cleanup_close_ int rootfs_fd = -EBADF, stderr_fd = -EBADF;
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        static char home_env[5 + EXEC_USER_HOME_MAX];
        static char exec_path[PATH_MAX];
        ExecUserError what;
        ChildStage stage;
        sigset_t ss;
        ExecUser u;
        int r;

        /* a session of our own: the unit's process group dies with berth-runtime, we must not */
        if (setsid() < 0)
                child_fail(spec, CHILD_STAGE_SESSION, -errno, 0);
        sigemptyset(&ss);
        (void) sigprocmask(SIG_SETMASK, &ss, NULL);
        umask(0022);

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_fail(spec, CHILD_STAGE_MOUNT_PRIVATE, -errno, 0);

        /* The stream has to be connected while the host's /run is visible. Without journald stderr stays as
         * it is. */
        if (spec->journal_identifier && spec->stdio_fds[2] < 0 && spec->tty_sock < 0)
                stderr_fd = journal_stream_open(spec->journal_identifier, spec->unit);

        /* Everything below ROOT is ours, trusted; the overlay's paths are relative to it, which keeps the
         * option string short (one page) and free of the separators overlayfs parses. */
        if (chdir(spec->store) < 0)
                child_fail(spec, CHILD_STAGE_STORE, -errno, 0);
        for (size_t i = 0; i < spec->n_lower; i++)
                if (sys_move_mount(spec->lower_fds[i], AT_FDCWD, spec->lower_dirs[i]) < 0)
                        child_fail(spec, CHILD_STAGE_LOWER, -errno, i);
        if (spec->overlay_volatile) {
                /* no syncfs of the upper layer's file system when the container's mount namespace goes
                 * away; Linux before 5.10 does not know the option (EINVAL) and gets the plain mount */
                char opts[4096 + sizeof(",volatile")];

                if ((size_t) snprintf(opts, sizeof(opts), "%s,volatile", spec->overlay) < sizeof(opts) &&
                        mount("overlay", spec->rootfs, "overlay", 0, opts) >= 0)
                        goto mounted;
        }
        if (mount("overlay", spec->rootfs, "overlay", 0, spec->overlay) < 0)
                child_fail(spec, CHILD_STAGE_OVERLAY, -errno, 0);
mounted:
        rootfs_fd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfs_fd < 0)
                child_fail(spec, CHILD_STAGE_ROOTFS, -errno, 0);

        for (size_t i = 0; i < spec->n_mounts; i++) {
                r = do_mount(spec, rootfs_fd, spec->mounts + i, &stage);
                if (r < 0)
                        child_fail(spec, stage, r, i);
        }

        for (size_t i = 0; i < spec->n_devices; i++) {
                r = create_device(rootfs_fd, spec->devices + i);
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_DEVICE, r, i);
        }

        if (fchdir(rootfs_fd) < 0 || sys_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
                chdir("/") < 0)
                child_fail(spec, CHILD_STAGE_PIVOT_ROOT, -errno, 0);

        if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                child_fail(spec, CHILD_STAGE_HOSTNAME, -errno, 0);
        if (spec->new_netns) {
                r = loopback_up();
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_LOOPBACK, r, 0);
        }

        /* sysctls first: /proc/sys becomes read-only below */
        for (size_t i = 0; spec->sysctls && spec->sysctls[i]; i++) {
                r = write_sysctl(spec->sysctls[i]);
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_SYSCTL, r, i);
        }
        for (size_t i = 0; spec->masked_paths && spec->masked_paths[i]; i++) {
                r = mask_path(spec->masked_paths[i]);
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_MASK_PATH, r, i);
        }
        if (spec->read_only_paths || spec->read_only_root) {
                _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (root_fd < 0)
                        child_fail(spec, CHILD_STAGE_READ_ONLY_PATH, -errno, 0);
                for (size_t i = 0; spec->read_only_paths && spec->read_only_paths[i]; i++) {
                        r = read_only_path(root_fd, spec->read_only_paths[i]);
                        if (r < 0)
                                child_fail(spec, CHILD_STAGE_READ_ONLY_PATH, r, i);
                }
        }

        /* Docker creates a missing working directory; we are inside the new root now, but the image may
         * still hold symlinks, so resolve below "/" all the same */
        if (!isempty(spec->working_dir)) {
                _cleanup_close_ int root_fd = -EBADF, wd_fd = -EBADF;

                root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                r = root_fd < 0 ? -errno : chase_in_root(root_fd, spec->working_dir, CHASE_MKDIR, &wd_fd);
                if (r >= 0)
                        r = RET_NERRNO(fchdir(wd_fd));
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_WORKDIR, r, 0);
        }

        if (spec->read_only_root) {
                _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

                r = root_fd < 0 ? -errno : remount_read_only(root_fd, "/");
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_READ_ONLY_ROOT, r, 0);
        }

        r = exec_user_read_databases(&passwd, &group);
        if (r < 0)
                child_fail(spec, CHILD_STAGE_PASSWD, r, 0);
        r = exec_user_resolve(spec->user, passwd, group, &u, &what);
        if (r < 0)
                child_fail(spec,
                        what == EXEC_USER_ERROR_USER            ? CHILD_STAGE_USER_NOT_FOUND
                                : what == EXEC_USER_ERROR_GROUP ? CHILD_STAGE_GROUP_NOT_FOUND
                                                                : CHILD_STAGE_USER_SPEC,
                        r, 0);
        if (!spec->env_has_home) {
                size_t n = 0;

                snprintf(home_env, sizeof(home_env), "HOME=%s", u.home);
                while (spec->env[n])
                        n++;
                spec->env[n] = home_env; /* the spare slot */
        }
        for (int i = 0; i < 3; i++)
                if (spec->stdio_fds[i] >= 0 && dup2(spec->stdio_fds[i], i) < 0)
                        child_fail(spec, CHILD_STAGE_STDIO, -errno, 0);
        if (spec->tty_sock >= 0) {
                r = tty_setup(spec, u.uid);
                if (r < 0)
                        child_fail(spec, CHILD_STAGE_TTY, r, 0);
        }
        confine(spec);
        if (setgroups(u.n_groups, u.groups) < 0)
                child_fail(spec, CHILD_STAGE_SETGROUPS, -errno, 0);
        if (setgid(u.gid) < 0)
                child_fail(spec, CHILD_STAGE_SETGID, -errno, 0);
        if (setuid(u.uid) < 0)
                child_fail(spec, CHILD_STAGE_SETUID, -errno, 0);
        /* root keeps exactly the container's set; another user lost them all with setuid() */
        r = cap_limit(spec->confine.caps);
        if (r < 0)
                child_fail(spec, CHILD_STAGE_CAPS, r, 0);

        if (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0)
                child_fail(spec, CHILD_STAGE_STDERR, -errno, 0);

        /* Docker's lookup, resolved before the parent hands our PID to systemd, so a missing or
         * non-executable command is a setup failure (127/126) the parent reports, not a main process that
         * dies */
        r = exec_path_resolve(spec->exec_path, spec->env, exec_path);
        if (r < 0)
                child_fail(spec, CHILD_STAGE_EXEC, r, 0);

        /* Set up. The parent now hands our PID to systemd (MAINPID=) and then lets us go: even a command
         * that exits at once is the unit's main process, and systemd records its status. */
        {
                ChildRecord ready = { .stage = CHILD_STAGE_READY };
                ssize_t n;
                char go;

                if (write(spec->error_fd, &ready, sizeof(ready)) != sizeof(ready))
                        _exit(EXIT_SETUP_FAILED);
                do
                        n = read(spec->go_fd, &go, 1);
                while (n < 0 && errno == EINTR);
                if (n != 1)
                        _exit(EXIT_SETUP_FAILED); /* the parent died: systemd fails the start */
        }
        execve(exec_path, spec->argv, spec->env);
        child_fail(spec, CHILD_STAGE_EXEC, -errno, 0);
}
