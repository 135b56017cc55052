/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-netsrv: small servers to run inside a container for the port tests and bench/proxy.sh, where the
 * demo image's busybox has no UDP server and its httpd closes every connection.
 *
 *   berth-netsrv udp-echo PORT   answers every datagram with the same bytes
 *   berth-netsrv tcp-echo PORT   sends back what each connection sends, one forked process per connection
 *   berth-netsrv http PORT       HTTP/1.1 with keep-alive: GET /1k (1024 bytes), /64k, /big (256 MiB of
 *                                zeros), anything else a short text; one forked process per connection
 *
 * Both listen on every IPv4 address. Static and libc-only like berth-probe, so it runs in any image. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG_SIZE (256ull * 1024 * 1024)

static int listen_on(int type, unsigned port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int one = 1, fd;

        fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (type == SOCK_STREAM && listen(fd, 1024) < 0)
                return -errno;
        return fd;
}

static int udp_echo(unsigned port) {
        static char buf[65536];
        int fd = listen_on(SOCK_DGRAM, port);

        if (fd < 0) {
                fprintf(stderr, "netsrv: UDP port %u: %s\n", port, strerror(-fd));
                return 1;
        }
        for (;;) {
                struct sockaddr_storage from;
                socklen_t len = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &from, &len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "netsrv: recvfrom: %s\n", strerror(errno));
                        return 1;
                }
                (void) sendto(fd, buf, (size_t) n, 0, (struct sockaddr *) &from, len);
        }
}

static int write_all(int fd, const void *p, size_t n) {
        const char *b = p;

        while (n > 0) {
                ssize_t k = write(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

static int respond(int fd, const char *path, bool close_after) {
        static char body[256 * 1024];
        unsigned long long size;
        char head[256];
        int n;

        if (strcmp(path, "/1k") == 0)
                size = 1024;
        else if (strcmp(path, "/64k") == 0)
                size = 65536;
        else if (strcmp(path, "/big") == 0)
                size = BIG_SIZE;
        else
                size = 0;
        if (body[0] == 0)
                memset(body, 'x', sizeof(body));
        if (size == 0) {
                static const char text[] = "berth-netsrv\n";
                n = snprintf(head, sizeof(head),
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
                        sizeof(text) - 1, close_after ? "Connection: close\r\n" : "", text);
                return write_all(fd, head, (size_t) n);
        }
        n = snprintf(head, sizeof(head),
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                "%llu\r\n%s\r\n",
                size, close_after ? "Connection: close\r\n" : "");
        if (write_all(fd, head, (size_t) n) < 0)
                return -1;
        while (size > 0) {
                size_t k = size < sizeof(body) ? (size_t) size : sizeof(body);
                if (write_all(fd, body, k) < 0)
                        return -1;
                size -= k;
        }
        return 0;
}

/* One connection: requests in order (pipelined ones too), until the client closes or asks to. */
static void http_conn(int fd) {
        static char buf[16384];
        size_t have = 0;

        for (;;) {
                char *end = NULL, *sp, *sp2, path[256];
                bool close_after;
                ssize_t n;

                buf[have] = 0;
                end = strstr(buf, "\r\n\r\n");
                if (!end) {
                        if (have >= sizeof(buf) - 1)
                                return;
                        n = read(fd, buf + have, sizeof(buf) - 1 - have);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                return;
                        have += (size_t) n;
                        continue;
                }
                *end = 0;
                sp = strchr(buf, ' ');
                sp2 = sp ? strchr(sp + 1, ' ') : NULL;
                if (!sp || !sp2 || (size_t) (sp2 - sp - 1) >= sizeof(path))
                        return;
                memcpy(path, sp + 1, (size_t) (sp2 - sp - 1));
                path[sp2 - sp - 1] = 0;
                close_after = strcasestr(buf, "\r\nConnection: close") || strstr(sp2, "HTTP/1.0");
                if (respond(fd, path, close_after) < 0 || close_after)
                        return;
                have -= (size_t) (end + 4 - buf);
                memmove(buf, end + 4, have);
        }
}

static void echo_conn(int fd) {
        static char buf[65536];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || write_all(fd, buf, (size_t) n) < 0)
                        return;
        }
}

static int tcp_server(unsigned port, void (*serve)(int fd)) {
        int fd = listen_on(SOCK_STREAM, port);

        if (fd < 0) {
                fprintf(stderr, "netsrv: TCP port %u: %s\n", port, strerror(-fd));
                return 1;
        }
        (void) signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
        (void) signal(SIGPIPE, SIG_IGN);
        for (;;) {
                int one = 1, c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                pid_t pid;

                if (c < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        fprintf(stderr, "netsrv: accept: %s\n", strerror(errno));
                        sleep(1);
                        continue;
                }
                (void) setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                pid = fork();
                if (pid == 0) {
                        close(fd);
                        serve(c);
                        _exit(0);
                }
                close(c);
        }
}

int main(int argc, char *argv[]) {
        unsigned long port;
        char *end;

        if (argc != 3) {
                fprintf(stderr, "usage: berth-netsrv udp-echo|tcp-echo|http PORT\n");
                return 2;
        }
        errno = 0;
        port = strtoul(argv[2], &end, 10);
        if (errno || *end || port == 0 || port > 65535) {
                fprintf(stderr, "netsrv: invalid port '%s'\n", argv[2]);
                return 2;
        }
        if (strcmp(argv[1], "udp-echo") == 0)
                return udp_echo((unsigned) port);
        if (strcmp(argv[1], "http") == 0)
                return tcp_server((unsigned) port, http_conn);
        if (strcmp(argv[1], "tcp-echo") == 0)
                return tcp_server((unsigned) port, echo_conn);
        fprintf(stderr, "netsrv: unknown mode '%s'\n", argv[1]);
        return 2;
}
