/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd-util.h"

/* 1 and the address of $NOTIFY_SOCKET, or 0 when it is not set */
static int notify_address(struct sockaddr_un *ret, socklen_t *ret_len) {
        const char *e = getenv("NOTIFY_SOCKET");
        size_t n;

        if (!e || !*e)
                return 0;
        if (e[0] != '/' && e[0] != '@')
                return -EAFNOSUPPORT; /* vsock:… is for VMs, not for a container's runtime */
        n = strlen(e);
        if (n >= sizeof(ret->sun_path))
                return -EINVAL;
        *ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(ret->sun_path, e, n);
        if (e[0] == '@')
                ret->sun_path[0] = '\0'; /* abstract: the length says where the name ends, no NUL */
        else
                n++;
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
        return 1;
}

/* Sends STATE, with PASS_FD (unless negative) attached. */
static int notify_send_fd(const char *state, int pass_fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct sockaddr_un sa;
        socklen_t sa_len;
        struct iovec iov = { .iov_base = (void *) state, .iov_len = strlen(state) };
        struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = notify_address(&sa, &sa_len);
        if (r <= 0)
                return r;
        mh.msg_namelen = sa_len;
        if (pass_fd >= 0) {
                struct cmsghdr *c;

                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                return -errno;
        return 1;
}

int notify_send(const char *state) {
        return notify_send_fd(state, -EBADF);
}

int notify_barrier(uint64_t timeout_usec) {
        _cleanup_close_ int rfd = -EBADF;
        int pipefd[2], r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rfd = pipefd[0];
        /* the manager closes its copy of the write end once it has read this, and so all before it */
        r = notify_send_fd("BARRIER=1", pipefd[1]);
        safe_close(pipefd[1]);
        if (r <= 0)
                return r;
        r = fd_wait_readable(rfd, timeout_usec / 1000 > INT32_MAX ? -1 : (int) (timeout_usec / 1000));
        return r < 0 ? r : 1;
}
