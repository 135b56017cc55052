/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-exec: runs a command inside a running container. `berth exec` decides everything from the
 * container's config and systemd's MainPID and execs us:
 *
 *   berth-exec --pid PID --unit berth@NAME.service [--user U] [--workdir D] [--env K=V]...
 *              [--caps HEX] [--no-new-privs] [--seccomp BPF-FILE] [--rlimit RES=SOFT:HARD]...
 *              [--interactive] [--tty] [--detach] -- CMD [ARG...]
 *
 * We check that PID is still the unit's container init, join its namespaces and root, fork (the command
 * must be a child of a process that joined the PID namespace), move the child into the unit's cgroups and
 * exec the command as the container's user, confined as the container is (capabilities, no_new_privs, the
 * seccomp program berth-runtime compiled, resource limits). The parent waits, relays the pty with --tty and forwards
 * termination signals. Exit codes are Docker's: the command's status, 128+signal, 126 (cannot execute, or
 * its setup failed), 127 (not found); 1 when the container could not be entered. Single-threaded, links
 * src/basic only (STYLE §9). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include "capability-util.h"
#include "cgroup-util.h"
#include "confine.h"
#include "exec-path.h"
#include "exec-user.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "proc-util.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-shims.h"
#include "terminal-util.h"

#define EXIT_ENTER_FAILED 1
#define EXIT_SETUP_FAILED 126
#define EXIT_USAGE 125
#define RLIMITS_MAX 16

static const int session_signals[] = { SIGCHLD, SIGWINCH, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
        SIGUSR2 };

static pid_t arg_pid = 0;
static const char *arg_unit = NULL;
static const char *arg_user = "";
static const char *arg_workdir = "/";
static char **arg_env = NULL;
static char **arg_argv = NULL;
static bool arg_interactive = false, arg_tty = false, arg_detach = false;
static const char *arg_seccomp = NULL;
static ConfineRlimit arg_rlimits[RLIMITS_MAX];
static Confinement arg_confine = { .rlimits = arg_rlimits, .userns_fd = -EBADF };

/* The fork()ed child's failure report: a successful execve() closes the CLOEXEC pipe without one. */
typedef enum ChildStage {
        STAGE_CGROUP,
        STAGE_TTY,
        STAGE_CONFINE,
        STAGE_SETGROUPS,
        STAGE_SETGID,
        STAGE_SETUID,
        STAGE_CHDIR,
        STAGE_EXEC
} ChildStage;
typedef struct ChildRecord {
        int32_t stage, error;
} ChildRecord;

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "pid", required_argument, NULL, 'p' },
                { "unit", required_argument, NULL, 'U' },
                { "user", required_argument, NULL, 'u' },
                { "workdir", required_argument, NULL, 'w' },
                { "env", required_argument, NULL, 'e' },
                { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },
                { "caps", required_argument, NULL, 'C' },
                { "no-new-privs", no_argument, NULL, 'N' },
                { "seccomp", required_argument, NULL, 'S' },
                { "rlimit", required_argument, NULL, 'R' },
                {},
        };
        char *end;
        int c;

        while ((c = getopt_long(argc, argv, "+p:U:u:w:e:itdC:NS:R:", options, NULL)) >= 0) {
                ConfineRlimit *l = arg_rlimits + arg_confine.n_rlimits;
                int n = 0;

                if (c == 'p') {
                        long v = strtol(optarg, &end, 10);

                        arg_pid = *end || v <= 1 || v > INT32_MAX ? 0 : (pid_t) v;
                } else if (c == 'U')
                        arg_unit = optarg;
                else if (c == 'u')
                        arg_user = optarg;
                else if (c == 'w' && optarg[0] == '/')
                        arg_workdir = optarg;
                else if (c == 'e' && strchr(optarg, '=') && optarg[0] != '=') {
                        if (strv_extend(&arg_env, optarg) < 0)
                                return log_error_errno(-ENOMEM, "Out of memory");
                } else if (c == 'i' || c == 't' || c == 'd' || c == 'N')
                        *(c == 'i'                 ? &arg_interactive
                                        : c == 't' ? &arg_tty
                                        : c == 'd' ? &arg_detach
                                                   : &arg_confine.no_new_privs) = true;
                else if (c == 'C') {
                        arg_confine.caps = strtoull(optarg, &end, 16);
                        if (*end || end == optarg)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid --caps '%s'",
                                        optarg);
                } else if (c == 'S' && optarg[0] == '/')
                        arg_seccomp = optarg;
                else if (c == 'R' && arg_confine.n_rlimits < RLIMITS_MAX &&
                        sscanf(optarg, "%d=%llu:%llu%n", &l->resource, &l->soft, &l->hard, &n) == 3 &&
                        !optarg[n])
                        arg_confine.n_rlimits++;
                else
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid argument: '%s'",
                                argv[optind - 1]);
        }
        if (arg_pid == 0 || !arg_unit || optind >= argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                        "Usage: berth-exec --pid PID --unit UNIT [OPTIONS] -- CMD [ARG...]");
        arg_argv = argv + optind;
        return 0;
}

static int read_proc(pid_t pid, const char *what, char **ret) {
        char p[64];

        snprintf(p, sizeof(p), "/proc/%d/%s", (int) pid, what);
        return read_full_file_at(AT_FDCWD, p, 1024 * 1024, ret, NULL);
}

/* A pidfd for the container's init, checked to be PID 1 of its own namespace and in the unit's cgroup (the
 * PID systemd gave the CLI may have been reused since), and its cgroups. The checks come after opening the
 * pidfd, and the pidfd still names a live process afterwards, so what /proc showed was that process.
 * The cgroups are opened in the host's cgroup namespace, so that the child can be moved into the unit
 * after fork(): `systemctl stop` then ends it and the unit's limits apply. We stay where the caller put us,
 * so systemd never SIGKILLs the process that restores the caller's terminal. systemd's own hierarchy
 * (cgroup2 on unified hosts, name=systemd on hybrid and legacy ones) is required; the others (controllers,
 * cgroup2 on hybrid hosts) are best effort. */
static int container_open(pid_t pid, const char *unit, int *ret_pidfd, CGroupProcs *c) {
        _cleanup_free_ char *status = NULL, *cgroup = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        const char *dir, *path, *unit_path = NULL;
        struct statfs fs;
        bool unified;
        pid_t nspid;
        int r;

        unified = statfs("/sys/fs/cgroup", &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
        pidfd = RET_NERRNO(sys_pidfd_open(pid, 0));
        if (pidfd >= 0 &&
                (read_proc(pid, "status", &status) < 0 || proc_status_nspid(status, &nspid) < 0 ||
                        nspid != 1 || read_proc(pid, "cgroup", &cgroup) < 0))
                pidfd = safe_close(pidfd);
        for (char *l = cgroup, *next; pidfd >= 0 && l && *l; l = next) {
                _cleanup_free_ char *failed = NULL;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (proc_cgroup_line_split(l, &dir, &path) < 0)
                        continue;
                /* systemd's own hierarchy: cgroup2 on unified hosts (v1 ones are not mounted there), else
                 * name=systemd */
                bool systemd_own = unified ? !dir : streq_ptr(dir, "systemd");

                if (unified && dir)
                        continue;
                if (systemd_own)
                        unit_path = path;
                r = cgroup_procs_add(c, dir, path, unified, systemd_own, &failed);
                if (r < 0)
                        return log_error_errno(r, "Failed to open the container's cgroup '%s': %m",
                                failed ?: path);
        }
        if (pidfd < 0 || !unit_path || !cgroup_path_in_unit(unit_path, unit) ||
                sys_pidfd_send_signal(pidfd, 0) < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Container '%s' (PID %d) is not running",
                        unit, (int) pid);
        if (c->n_required == 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "The container has no systemd cgroup");
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

/* Fallback order: namespaces our privileges own, then the user namespace, the mount namespace last. */
static const struct {
        const char *name;
        int flag;
} namespaces[] = {
        { "cgroup", CLONE_NEWCGROUP },
        { "ipc", CLONE_NEWIPC },
        { "uts", CLONE_NEWUTS },
        { "net", CLONE_NEWNET },
        { "pid", CLONE_NEWPID },
        { "user", CLONE_NEWUSER },
        { "mnt", CLONE_NEWNS },
};

static void close_all(int (*fds)[ELEMENTSOF(namespaces)]) {
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                (*fds)[i] = safe_close((*fds)[i]);
}

/* Joins the namespaces in which the container differs from us, and its root: setns(pidfd) does it in one
 * call (Linux 5.8); the fallback takes one /proc/PID/ns file at a time, all opened first, since /proc is
 * the container's once its mount namespace is joined. The cgroup namespace is left to the child, which
 * joins it once it is in the unit's cgroup: *ret_cgroupns (-EBADF if shared with us); and so is the user
 * namespace of a --userns=auto container (*ret_userns), which the child joins with the rest of the
 * confinement: once in it, we could not return to our own namespaces. */
static int namespaces_join(int pidfd, pid_t pid, int *ret_cgroupns, int *ret_userns) {
        _cleanup_(close_all) int fds[ELEMENTSOF(namespaces)];
        _cleanup_close_ int root_fd = -EBADF;
        int flags = 0;
        char p[64];

        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                fds[i] = -EBADF;
        snprintf(p, sizeof(p), "/proc/%d/root", (int) pid);
        root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "Failed to open the container's root: %m");
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
                struct stat ours, theirs;

                snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int) pid, namespaces[i].name);
                fds[i] = open(p, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0 && errno == ENOENT)
                        continue; /* a kernel without this namespace type */
                if (fds[i] < 0)
                        return log_error_errno(-errno, "Failed to open '%s': %m", p);
                snprintf(p, sizeof(p), "/proc/self/ns/%s", namespaces[i].name);
                if (fstat(fds[i], &theirs) >= 0 && stat(p, &ours) >= 0 && ours.st_ino == theirs.st_ino &&
                        ours.st_dev == theirs.st_dev)
                        fds[i] = safe_close(fds[i]); /* shared with us (--network host): nothing to join */
                else if (namespaces[i].flag != CLONE_NEWCGROUP && namespaces[i].flag != CLONE_NEWUSER)
                        flags |= namespaces[i].flag;
        }
        if (flags != 0 && sys_setns_pidfd(pidfd, flags) < 0) {
                if (errno != EINVAL)
                        return log_error_errno(-errno, "Failed to join the container's namespaces: %m");
                log_debug("setns() with a pidfd is not supported, joining one namespace at a time");
                for (size_t i = 1; i < ELEMENTSOF(namespaces); i++)
                        if (fds[i] >= 0 && namespaces[i].flag != CLONE_NEWUSER &&
                                setns(fds[i], namespaces[i].flag) < 0)
                                return log_error_errno(-errno,
                                        "Failed to join the container's %s namespace: %m",
                                        namespaces[i].name);
        }
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return log_error_errno(-errno, "Failed to enter the container's root: %m");
        *ret_cgroupns = TAKE_FD(fds[0]);
        *ret_userns = TAKE_FD(fds[5]);
        return 0;
}

static int env_default(char ***env, const char *kv) {
        STRV_FOREACH(e, *env)
                if (strncmp(*e, kv, strcspn(kv, "=") + 1) == 0)
                        return 0;
        return strv_extend(env, kv);
}

/* The user, from the container's own /etc/passwd and /etc/group, and Docker's environment defaults. */
static int user_and_env(ExecUser *ret_user, char ***env) {
        _cleanup_free_ char *passwd = NULL, *group = NULL, *home = NULL;
        ExecUserError what;
        int r;

        r = exec_user_read_databases(&passwd, &group);
        if (r < 0)
                return log_error_errno(r, "Failed to read the container's /etc/passwd or /etc/group: %m");
        r = exec_user_resolve(arg_user, passwd, group, ret_user, &what);
        if (r == -ENOENT && what == EXEC_USER_ERROR_USER)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                        "unable to find user %.*s: no matching entries in passwd file",
                        (int) strcspn(arg_user, ":"), arg_user);
        if (r == -ENOENT && what == EXEC_USER_ERROR_GROUP)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                        "unable to find group %s: no matching entries in group file",
                        strchr(arg_user, ':') + 1);
        if (r < 0)
                return log_error_errno(r, "Invalid user '%s': %m", arg_user);
        home = strjoin("HOME=", ret_user->home);
        if (!home || env_default(env, home) < 0 ||
                env_default(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
                (arg_tty && env_default(env, "TERM=xterm") < 0))
                return log_error_errno(-ENOMEM, "Out of memory");
        return 0;
}

_noreturn_ static void child_fail(int fd, ChildStage stage, int error) {
        ChildRecord rec = { .stage = stage, .error = error };

        (void) !write(fd, &rec, sizeof(rec));
        _exit(stage == STAGE_EXEC ? exec_path_exit_code(error) : EXIT_SETUP_FAILED);
}

typedef struct ChildSpec {
        const ExecUser *user;
        char **env;
        int peer, null_fd, cgroupns, go_fd, go_w, error_fd;
} ChildSpec;

/* Between fork() and execve(): system calls only, a failure is reported on error_fd. */
_noreturn_ static void child_run(const ChildSpec *c) {
        static char path[PATH_MAX];
        const ExecUser *u = c->user;
        sigset_t ss;
        char go;
        int r;

        sigemptyset(&ss);
        (void) sigprocmask(SIG_SETMASK, &ss, NULL);
        /* the parent moves us into the unit's cgroups; then the cgroup namespace roots at the unit */
        (void) safe_close(c->go_w);
        if (read(c->go_fd, &go, 1) != 1)
                _exit(EXIT_ENTER_FAILED);
        if (c->cgroupns >= 0 && setns(c->cgroupns, CLONE_NEWCGROUP) < 0)
                child_fail(c->error_fd, STAGE_CGROUP, errno);
        if ((arg_tty || arg_detach) && setsid() < 0)
                child_fail(c->error_fd, STAGE_TTY, errno);
        if (c->peer >= 0 &&
                (ioctl(c->peer, TIOCSCTTY, 0) < 0 || fchown(c->peer, u->uid, (gid_t) -1) < 0 ||
                        dup2(c->peer, STDIN_FILENO) < 0 || dup2(c->peer, STDOUT_FILENO) < 0 ||
                        dup2(c->peer, STDERR_FILENO) < 0))
                child_fail(c->error_fd, STAGE_TTY, errno);
        if (c->peer < 0 && arg_detach &&
                (dup2(c->null_fd, STDOUT_FILENO) < 0 || dup2(c->null_fd, STDERR_FILENO) < 0))
                child_fail(c->error_fd, STAGE_TTY, errno);
        if (c->peer < 0 && (!arg_interactive || arg_detach) && dup2(c->null_fd, STDIN_FILENO) < 0)
                child_fail(c->error_fd, STAGE_TTY, errno);
        /* the container's confinement, as berth-runtime applies it (confine.h) */
        if ((r = confine_apply(&arg_confine, NULL, NULL)) < 0)
                child_fail(c->error_fd, STAGE_CONFINE, -r);
        if (setgroups(u->n_groups, u->groups) < 0)
                child_fail(c->error_fd, STAGE_SETGROUPS, errno);
        if (setgid(u->gid) < 0)
                child_fail(c->error_fd, STAGE_SETGID, errno);
        if (setuid(u->uid) < 0)
                child_fail(c->error_fd, STAGE_SETUID, errno);
        if ((r = cap_limit(arg_confine.caps)) < 0)
                child_fail(c->error_fd, STAGE_CONFINE, -r);
        if (chdir(arg_workdir) < 0)
                child_fail(c->error_fd, STAGE_CHDIR, errno);
        r = exec_path_resolve(arg_argv[0], c->env, path);
        if (r < 0)
                child_fail(c->error_fd, STAGE_EXEC, -r);
        execve(path, arg_argv, c->env);
        child_fail(c->error_fd, STAGE_EXEC, errno);
}

/* Reads the child's failure record: 0 when it exec'd, else Docker's exit code after logging why. */
static int child_report(int fd) {
        static const char *const what[] = {
                [STAGE_CGROUP] = "join the container's cgroup namespace",
                [STAGE_TTY] = "set up the terminal",
                [STAGE_CONFINE] = "apply the container's confinement",
                [STAGE_SETGROUPS] = "set supplementary groups",
                [STAGE_SETGID] = "set group ID",
                [STAGE_SETUID] = "set user ID",
        };
        ChildRecord rec;
        ssize_t n;

        do
                n = read(fd, &rec, sizeof(rec));
        while (n < 0 && errno == EINTR);
        if (n != sizeof(rec))
                return 0;
        if (rec.stage == STAGE_EXEC && rec.error == ENOENT && !strchr(arg_argv[0], '/'))
                log_error("exec '%s': executable file not found in $PATH", arg_argv[0]);
        else if (rec.stage == STAGE_EXEC)
                log_error_errno(-rec.error, "exec '%s': %m", arg_argv[0]);
        else if (rec.stage == STAGE_CHDIR)
                log_error_errno(-rec.error, "Failed to change to the working directory '%s': %m",
                        arg_workdir);
        else if (rec.stage >= 0 && rec.stage < STAGE_CHDIR)
                log_error_errno(-rec.error, "Failed to %s: %m", what[rec.stage]);
        return rec.stage == STAGE_EXEC ? exec_path_exit_code(rec.error) : EXIT_SETUP_FAILED;
}

/* Waits for the child, forwarding termination signals to it and, with a pty, relaying the caller's
 * terminal both ways. Returns Docker's exit code. */
static int session_run(pid_t child, int master, int sigfd) {
        _cleanup_(terminal_restore) TerminalState term = {};
        char in[4096 + 1], out[16384];
        size_t in_len = 0, in_off = 0;
        bool exited = false, master_done = master < 0, stdin_done = master < 0 || !arg_interactive;
        bool ctrl_p = false;
        int status = 0;

        if (!stdin_done && isatty(STDIN_FILENO))
                (void) terminal_make_raw(STDIN_FILENO, &term);
        while (!exited || !master_done) {
                struct pollfd p[3] = {
                        { .fd = sigfd, .events = POLLIN },
                        { .fd = master_done ? -1 : master,
                                .events = POLLIN | (in_len > in_off ? POLLOUT : 0) },
                        { .fd = stdin_done || in_len > in_off ? -1 : STDIN_FILENO, .events = POLLIN },
                };
                struct signalfd_siginfo si;
                ssize_t n;

                /* once the command exited, read what it left in the pty, but don't wait for a background
                 * job that still holds it */
                n = poll(p, 3, exited ? 200 : -1);
                if (n < 0 && errno != EINTR)
                        return log_error_errno(-errno, "poll() failed: %m");
                if (n == 0)
                        break;
                if ((p[0].revents & POLLIN) && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                        if (si.ssi_signo == SIGWINCH)
                                (void) terminal_copy_window_size(master);
                        else if (si.ssi_signo != SIGCHLD && !(si.ssi_code == SI_KERNEL && master < 0))
                                /* not what the caller's terminal sent: without a pty, the command is
                                 * in the caller's process group and got that itself */
                                (void) kill(child, (int) si.ssi_signo);
                        else if (!exited && waitpid(child, &status, WNOHANG) == child)
                                exited = true;
                }
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        char buf[sizeof(in) - 1];

                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
                                stdin_done = true;
                        in_off = 0;
                        if (detach_keys_filter(buf, (size_t) MAX(n, 0), in, &in_len, &ctrl_p)) {
                                terminal_restore(&term);
                                terminal_hold_master(master);
                                fputs("read escape sequence\n", stderr);
                                return 0;
                        }
                }
                if ((p[1].revents & POLLOUT) && in_len > in_off) {
                        n = write(master, in + in_off, in_len - in_off);
                        if (n > 0)
                                in_off += (size_t) n;
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        n = read(master, out, sizeof(out));
                        if (n > 0 && loop_write(STDOUT_FILENO, out, (size_t) n) < 0)
                                master_done = true; /* nobody reads our output any more */
                        else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                                master_done = true; /* EIO: the last holder of the terminal is gone */
                }
        }
        if (!exited && waitpid(child, &status, 0) < 0)
                return log_error_errno(-errno, "Failed to wait for the command: %m");
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Our own PID namespace (for children), mount namespace and root, to return to once the command is forked
 * or on failure: the relay needs nothing of the container but fds, and the sanitizers' leak check at exit
 * needs our own PID namespace and /proc (it hangs otherwise). */
typedef struct Home {
        int pid, mnt, root;
} Home;

static void home_return(Home *h) {
        if (h->root >= 0 &&
                (setns(h->pid, CLONE_NEWPID) < 0 || setns(h->mnt, CLONE_NEWNS) < 0 || fchdir(h->root) < 0 ||
                        chroot(".") < 0))
                log_debug_errno(-errno, "Failed to return to our own namespaces, ignoring: %m");
        h->pid = safe_close(h->pid);
        h->mnt = safe_close(h->mnt);
        h->root = safe_close(h->root);
}

int main(int argc, char *argv[]) {
        _cleanup_close_ int pidfd = -EBADF, master = -EBADF, peer = -EBADF, null_fd = -EBADF, sigfd = -EBADF,
                            cgroupns = -EBADF, error_r = -EBADF, go_w = -EBADF;
        _cleanup_(cgroup_procs_done) CGroupProcs cgroups = {};
        _cleanup_(home_return) Home home = { -EBADF, -EBADF, -EBADF };
        int r, error_pipe[2], go_pipe[2];
        ExecUser user;
        sigset_t mask;
        pid_t child;

        log_setup("berth");
        if (parse_argv(argc, argv) < 0)
                return EXIT_USAGE;

        /* the filter is in the host's store, out of sight once we are in the container */
        if (arg_seccomp) {
                r = read_full_file_at(AT_FDCWD, arg_seccomp, 1024 * 1024, (char **) &arg_confine.seccomp,
                        &arg_confine.seccomp_size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the seccomp filter '%s': %m", arg_seccomp),
                               EXIT_ENTER_FAILED;
        }
        home = (Home){ .pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC),
                .mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC),
                .root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) };
        if (container_open(arg_pid, arg_unit, &pidfd, &cgroups) < 0 ||
                namespaces_join(pidfd, arg_pid, &cgroupns, &arg_confine.userns_fd) < 0)
                return EXIT_ENTER_FAILED;
        if (user_and_env(&user, &arg_env) < 0)
                return EXIT_SETUP_FAILED;
        if (arg_tty) {
                r = pty_open(&master, &peer);
                if (r < 0)
                        return log_error_errno(r, "Failed to open a pty in the container: %m"),
                               EXIT_SETUP_FAILED;
                (void) terminal_copy_window_size(master);
        }
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                return log_error_errno(-errno, "Failed to open the container's /dev/null: %m"),
                       EXIT_SETUP_FAILED;

        /* SIGCHLD and SIGWINCH for the session, the others are forwarded to the command */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(session_signals); i++)
                sigaddset(&mask, session_signals[i]);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
                (sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
                pipe2(error_pipe, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "Failed to set up: %m"), EXIT_ENTER_FAILED;
        error_r = error_pipe[0];
        if (pipe2(go_pipe, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "Failed to set up: %m"), EXIT_ENTER_FAILED;
        go_w = go_pipe[1];

        /* we joined the PID namespace for our children: this one is inside the container */
        child = fork();
        if (child < 0)
                return log_error_errno(-errno, "Failed to fork: %m"), EXIT_ENTER_FAILED;
        if (child == 0)
                child_run(&(ChildSpec){ .user = &user,
                        .env = arg_env,
                        .peer = peer,
                        .null_fd = null_fd,
                        .cgroupns = cgroupns,
                        .go_fd = go_pipe[0],
                        .go_w = go_w,
                        .error_fd = error_pipe[1] });
        (void) safe_close(error_pipe[1]);
        (void) safe_close(go_pipe[0]);
        peer = safe_close(peer);
        home_return(&home);
        (void) signal(SIGPIPE, SIG_IGN);

        r = cgroup_procs_move(&cgroups, child);
        if (r < 0)
                log_error_errno(r, "Failed to move the command into the container's unit: %m");
        if (r < 0 || write(go_w, "x", 1) != 1) {
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                return EXIT_ENTER_FAILED;
        }
        r = child_report(error_r);
        if (r > 0) {
                (void) waitpid(child, NULL, 0);
                return r;
        }
        if (arg_detach) {
                /* the command goes on in its own session; the container's init inherits it */
                if (master >= 0)
                        terminal_hold_master(master);
                return 0;
        }
        return session_run(child, master, sigfd);
}
