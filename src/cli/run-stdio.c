/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "run-stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "stdio-handover.h"
#include "string-util.h"
#include "terminal-util.h"

static int socket_path(const char *name, struct sockaddr_un *ret) {
        *ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
        if ((size_t) snprintf(ret->sun_path, sizeof(ret->sun_path), STDIO_HANDOVER_DIR "/%s.sock", name) >=
                sizeof(ret->sun_path))
                return -ENAMETOOLONG;
        return 0;
}

int terminal_relay(int master, bool interactive, bool hold_on_detach) {
        _cleanup_(terminal_restore) TerminalState term = {};
        _cleanup_close_ int sigfd = -EBADF;
        char in[4096 + 1], out[16384];
        size_t in_len = 0, in_off = 0;
        bool stdin_done = !interactive, ctrl_p = false;
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
                return 1;
        (void) terminal_copy_window_size(master);
        if (interactive && isatty(STDIN_FILENO))
                (void) terminal_make_raw(STDIN_FILENO, &term);
        for (;;) {
                struct pollfd p[3] = {
                        { .fd = sigfd, .events = POLLIN },
                        { .fd = master, .events = POLLIN | (in_len > in_off ? POLLOUT : 0) },
                        { .fd = stdin_done || in_len > in_off ? -1 : STDIN_FILENO, .events = POLLIN },
                };
                struct signalfd_siginfo si;
                ssize_t n;

                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        return 1;
                if ((p[0].revents & POLLIN) && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                        if (si.ssi_signo != SIGWINCH)
                                return 1; /* berth run is giving up on us: restore the terminal */
                        (void) terminal_copy_window_size(master);
                }
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        char buf[sizeof(in) - 1];

                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
                                stdin_done = true;
                        in_off = 0;
                        if (detach_keys_filter(buf, (size_t) MAX(n, 0), in, &in_len, &ctrl_p)) {
                                terminal_restore(&term);
                                if (hold_on_detach)
                                        terminal_hold_master(master);
                                fputs("read escape sequence\n", stderr);
                                return RUN_STDIO_DETACHED;
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
                                return 0; /* nobody reads our output any more */
                        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                                return 0; /* EIO: the container's side of the terminal is gone */
                }
        }
}

_noreturn_ static void helper(int listen_fd, bool tty, bool interactive) {
        _cleanup_close_ int conn = -EBADF, null_fd = -EBADF;
        StdioHandover msg = { .mode = tty ? 't' : 'i' };
        struct pollfd p = { .fd = listen_fd, .events = POLLIN };
        int fds[3], master[3];
        size_t n = 0;

        /* berth-runtime connects while systemd starts the unit; give up if it never comes */
        if (poll(&p, 1, 120 * 1000) <= 0)
                _exit(1);
        conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                _exit(1);
        (void) close(listen_fd);
        if (!tty) {
                null_fd = interactive ? -EBADF : open("/dev/null", O_RDONLY | O_CLOEXEC);
                fds[0] = interactive ? STDIN_FILENO : null_fd;
                fds[1] = STDOUT_FILENO;
                fds[2] = STDERR_FILENO;
                _exit(stdio_handover_send(conn, &msg, fds, 3) < 0 ? 1 : 0);
        }
        (void) ioctl(isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO, TIOCGWINSZ, &msg.size);
        if (stdio_handover_send(conn, &msg, NULL, 0) < 0 ||
                stdio_handover_recv(conn, 120 * 1000, &msg, master, &n) < 0 || n != 1)
                _exit(1);
        (void) fcntl(master[0], F_SETFL, O_NONBLOCK);
        _exit(terminal_relay(master[0], interactive, /* hold_on_detach= */ true));
}

pid_t run_stdio_begin(const char *name, bool tty, bool interactive) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa;
        pid_t pid;
        int r;

        r = socket_path(name, &sa);
        if (r < 0)
                return r;
        if ((mkdir("/run/berth", 0755) < 0 && errno != EEXIST) ||
                (mkdir(STDIO_HANDOVER_DIR, 0700) < 0 && errno != EEXIST))
                return -errno;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(sa.sun_path); /* a leftover of a berth run that was killed */
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return -errno;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                helper(fd, tty, interactive);
        return pid;
}

bool run_stdio_detached(pid_t helper_pid) {
        int status;

        return waitpid(helper_pid, &status, WNOHANG) == helper_pid && WIFEXITED(status) &&
                WEXITSTATUS(status) == RUN_STDIO_DETACHED;
}

void run_stdio_end(const char *name, pid_t helper_pid) {
        struct sockaddr_un sa;

        /* the relay ends by itself once the container's side of the pty is closed; a helper that never
         * got a connection (the container did not start) is told to go */
        for (int i = 0; i < 100; i++) {
                if (waitpid(helper_pid, NULL, WNOHANG) != 0)
                        goto done;
                (void) nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
        }
        (void) kill(helper_pid, SIGTERM);
        (void) waitpid(helper_pid, NULL, 0);
done:
        if (socket_path(name, &sa) >= 0)
                (void) unlink(sa.sun_path);
}
