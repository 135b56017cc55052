/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stdio-handover.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"

int stdio_handover_send(int sock, const StdioHandover *msg, const int *fds, size_t n) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(3 * sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) msg, .iov_len = sizeof(*msg) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t k;

        if (n > 3)
                return -EINVAL;
        if (n > 0) {
                struct cmsghdr *c;

                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        }
        do
                k = sendmsg(sock, &mh, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        return k == (ssize_t) sizeof(*msg) ? 0 : -EIO;
}

int stdio_handover_recv(int sock, int timeout_ms, StdioHandover *ret_msg, int ret_fds[static 3],
        size_t *ret_n) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(3 * sizeof(int))];
        } control = {};
        StdioHandover msg = {};
        struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
        struct msghdr mh = { .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf) };
        size_t n = 0;
        ssize_t k;
        int r;

        for (size_t i = 0; i < 3; i++)
                ret_fds[i] = -EBADF;
        r = fd_wait_readable(sock, timeout_ms);
        if (r < 0)
                return r;
        do
                k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        if (n > 3)
                                n = 3;
                        memcpy(ret_fds, CMSG_DATA(c), n * sizeof(int));
                }
        if (k != (ssize_t) sizeof(msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
                (msg.mode != 'i' && msg.mode != 't')) {
                for (size_t i = 0; i < n; i++)
                        ret_fds[i] = safe_close(ret_fds[i]);
                return k == 0 ? -ECONNRESET : -EBADMSG;
        }
        *ret_msg = msg;
        *ret_n = n;
        return 0;
}
