/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tty-holder.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "stdio-handover.h"

static int attach_socket(const char *name, struct sockaddr_un *sa, struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;

        *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        if ((size_t) snprintf(sa->sun_path, sizeof(sa->sun_path), TTY_ATTACH_DIR "/%s.sock", name) >=
                sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        if ((mkdir("/run/berth", 0755) < 0 && errno != EEXIST) ||
                (mkdir(TTY_ATTACH_DIR, 0700) < 0 && errno != EEXIST))
                return -errno;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(sa->sun_path); /* the holder of a previous run of this container */
        if (bind(fd, (struct sockaddr *) sa, sizeof(*sa)) < 0 || listen(fd, 4) < 0 ||
                stat(sa->sun_path, ret_st) < 0)
                return -errno;
        return TAKE_FD(fd);
}

_noreturn_ static void holder_run(const char *name, int sock) {
        _cleanup_close_ int master = -EBADF, listen_fd = -EBADF, client = -EBADF;
        StdioHandover msg;
        struct sockaddr_un sa;
        struct stat own, now;
        int fds[3];
        size_t n = 0;

        (void) prctl(PR_SET_NAME, "berth-tty", 0, 0, 0);
        /* the master, once the container's PID 1 is set up; nothing if its setup fails */
        if (stdio_handover_recv(sock, 120 * 1000, &msg, fds, &n) < 0 || n != 1)
                _exit(0);
        master = fds[0];
        (void) close(sock);
        listen_fd = attach_socket(name, &sa, &own);
        for (;;) {
                struct pollfd p[3] = {
                        { .fd = master, .events = client >= 0 ? 0 : POLLIN },
                        { .fd = client >= 0 ? -1 : listen_fd, .events = POLLIN },
                        { .fd = client, .events = POLLIN },
                };
                char buf[16384];
                ssize_t k;

                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        if (client >= 0 && !(p[0].revents & POLLIN))
                                break; /* the container's side is gone; the client sees EIO itself */
                        k = read(master, buf, sizeof(buf));
                        if (k > 0)
                                (void) loop_write(STDOUT_FILENO, buf, (size_t) k); /* the unit's journal */
                        else if (k == 0 || (errno != EAGAIN && errno != EINTR))
                                break;
                }
                if (p[1].revents & POLLIN) {
                        client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        msg = (StdioHandover){ .mode = 't' };
                        if (client >= 0 && stdio_handover_send(client, &msg, &master, 1) < 0)
                                client = safe_close(client);
                }
                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        /* the client says nothing: any event is its end */
                        (void) recv(client, buf, sizeof(buf), MSG_DONTWAIT);
                        client = safe_close(client);
                }
        }
        /* a newer holder (the unit restarted) may have bound the path since */
        if (listen_fd >= 0 && stat(sa.sun_path, &now) >= 0 && now.st_ino == own.st_ino &&
                now.st_dev == own.st_dev)
                (void) unlink(sa.sun_path);
        _exit(0);
}

int tty_holder_start(const char *name, int sock) {
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* only what we need: the socket, and stdout/stderr (the unit's journal streams) */
                if (sock != 3 && dup2(sock, 3) < 0)
                        _exit(1);
                (void) close_range(4, ~0U, 0);
                holder_run(name, 3);
        }
        return 0;
}
