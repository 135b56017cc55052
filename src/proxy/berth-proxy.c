/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-proxy NAME CONTAINER_PORT: the service behind a published port's socket unit (Accept=no).
 *
 * systemd hands us the listening socket(s) (sd_listen_fds), bound in the host's network namespace. We ask
 * systemd for the container's main PID, enter that process's network namespace once with setns(), and drop
 * to nobody without capabilities. From then on every socket we create lives in the container's namespace,
 * while the listening socket and the connections accepted from it stay in the host's: each accepted
 * connection gets a new socket connected to 127.0.0.1:CONTAINER_PORT inside the container, and the bytes
 * are moved with splice() through a pipe per direction, in one single-threaded epoll loop.
 *
 * We exit when the container is gone (its PID 1's /proc entry vanished); systemd starts us again on the next
 * connection, and we then enter the namespace of whatever runs then. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

#define CONN_MAX 1024 /* connections at once; more are accepted and closed right away */
#define ACCEPT_BATCH 64 /* accepts per wake-up, so established connections keep their share */
#define WAIT_RUNNING_USEC (10u * 1000u * 1000u) /* a container being (re)started gets this long */
#define CHECK_ALIVE_MS 5000
#define NOBODY 65534

typedef enum SourceType {
        SOURCE_LISTENER,
        SOURCE_SIDE,
} SourceType;

typedef struct Conn Conn;

/* What an epoll event points at; every struct below starts with one. */
typedef struct Listener {
        SourceType type;
        int fd;
} Listener;

typedef struct Side {
        SourceType type;
        Conn *conn;
        int fd;
        uint32_t events; /* what epoll watches; 0 = not registered */
} Side;

/* Bytes from side[i] to side[1 - i], through a pipe. */
typedef struct Flow {
        int pipe[2];
        size_t bytes; /* in the pipe */
        size_t cap;
        bool eof; /* the source reached EOF */
        bool shut; /* ... and we passed it on with shutdown(SHUT_WR) */
        bool in_blocked; /* the last read into the pipe got EAGAIN while it held data: maybe full */
} Flow;

struct Conn {
        Side side[2]; /* 0: the client (host side), 1: the container side */
        Flow flow[2];
        bool connecting;
        bool dead;
        Conn *next_dead;
};

typedef struct Proxy {
        int epoll_fd;
        Listener *listeners;
        size_t n_listeners;
        bool listeners_paused;
        uint64_t resume_usec;
        size_t n_conns;
        Conn *dead; /* closed during this batch of events, freed after it */
        int proc_fd; /* /proc/PID of the container's PID 1 */
        struct sockaddr_in target;
        bool exit_requested;
} Proxy;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static bool name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > 200)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum =
                        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || !strchr("_.-", ch)))
                        return false;
        }
        return true;
}

/* --- finding and entering the container --------------------------------------------------------------- */

static int bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        /* PID 1's private socket (we are root until we have entered the namespace), else the system bus */
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                bus = sd_bus_flush_close_unref(bus);
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(bus);
        return 0;
}

/* The unit's MainPID while it is active, 0 otherwise (not loaded, starting, stopping, inactive). */
static int unit_running_pid(sd_bus *bus, const char *unit, pid_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *path;
        uint32_t pid = 0;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                *ret = 0;
                return 0;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                "org.freedesktop.systemd1.Unit", "ActiveState", &error, &state);
        if (r < 0)
                return r;
        /* while "activating", MainPID may still be berth-runtime, in the host's namespace */
        if (streq(state, "active")) {
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                        "org.freedesktop.systemd1.Service", "MainPID", &error, 'u', &pid);
                if (r < 0)
                        return r;
        }
        *ret = (pid_t) pid;
        return 0;
}

/* Enters the network namespace of the running container NAME, waiting up to WAIT_RUNNING_USEC for it to
 * run. Returns 1 and /proc/PID of its PID 1, or 0 if it does not run. */
static int container_enter(const char *name, int *ret_proc_fd) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = strjoin("berth@", name, ".service");
        uint64_t deadline = now_usec() + WAIT_RUNNING_USEC;
        int r;

        if (!unit)
                return -ENOMEM;
        r = bus_connect(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to systemd: %m");
        for (;;) {
                _cleanup_close_ int proc_fd = -EBADF, ns_fd = -EBADF;
                char path[32];
                pid_t pid, again;

                r = unit_running_pid(bus, unit, &pid);
                if (r < 0)
                        return log_error_errno(r, "Failed to get the main PID of '%s': %m", unit);
                if (pid <= 0) {
                        if (now_usec() >= deadline)
                                return 0;
                        (void) usleep(100 * 1000);
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/%d", (int) pid);
                proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (proc_fd < 0)
                        continue; /* gone meanwhile: ask again */
                /* the directory fd pins this process (not a later one with the same PID): if systemd still
                 * names the same PID now, the fd is the container's */
                r = unit_running_pid(bus, unit, &again);
                if (r < 0)
                        return log_error_errno(r, "Failed to get the main PID of '%s': %m", unit);
                if (again != pid)
                        continue;
                ns_fd = openat(proc_fd, "ns/net", O_RDONLY | O_CLOEXEC);
                if (ns_fd < 0)
                        return log_error_errno(-errno, "Failed to open the network namespace of %s: %m",
                                path);
                if (setns(ns_fd, CLONE_NEWNET) < 0)
                        return log_error_errno(-errno, "Failed to enter the network namespace of '%s': %m",
                                unit);
                *ret_proc_fd = TAKE_FD(proc_fd);
                return 1;
        }
}

static bool container_alive(const Proxy *p) {
        /* after PID 1 has been reaped, lookups below its /proc directory fail */
        return faccessat(p->proc_fd, "comm", F_OK, 0) >= 0;
}

static int drop_privileges(void) {
        /* from root to nobody: the kernel clears every capability with the UID change */
        if (setgroups(0, NULL) < 0)
                return -errno;
        if (setresgid(NOBODY, NOBODY, NOBODY) < 0)
                return -errno;
        if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

/* --- connections ----------------------------------------------------------------------------------------- */

static uint32_t side_wants(const Conn *c, int s) {
        const Flow *out = &c->flow[s], *in = &c->flow[1 - s];
        uint32_t e = 0;

        if (c->connecting)
                return s == 1 ? EPOLLOUT : 0;
        if (!out->eof && out->bytes < out->cap && !out->in_blocked)
                e |= EPOLLIN;
        if (in->bytes > 0)
                e |= EPOLLOUT;
        return e;
}

/* Registers exactly what the side waits for. A side that waits for nothing is not in the epoll set at all:
 * epoll reports EPOLLHUP/EPOLLERR even for an empty mask, which would wake us for nothing, for ever. */
static int side_update(Proxy *p, Side *s, uint32_t want) {
        struct epoll_event ev = { .events = want, .data.ptr = s };
        int op;

        if (want == s->events)
                return 0;
        op = want == 0 ? EPOLL_CTL_DEL : s->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (epoll_ctl(p->epoll_fd, op, s->fd, &ev) < 0)
                return -errno;
        s->events = want;
        return 0;
}

static void conn_close(Proxy *p, Conn *c) {
        if (c->dead)
                return;
        for (int i = 0; i < 2; i++) {
                if (c->side[i].events != 0)
                        (void) epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, c->side[i].fd, NULL);
                c->side[i].fd = safe_close(c->side[i].fd);
                c->flow[i].pipe[0] = safe_close(c->flow[i].pipe[0]);
                c->flow[i].pipe[1] = safe_close(c->flow[i].pipe[1]);
        }
        c->dead = true;
        c->next_dead = p->dead;
        p->dead = c;
        p->n_conns--;
}

static int conn_update(Proxy *p, Conn *c) {
        int r;

        for (int i = 0; i < 2; i++) {
                r = side_update(p, c->side + i, side_wants(c, i));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Moves what can be moved without blocking. Returns <0 on a connection error. */
static int flow_pump(Conn *c, int i) {
        Flow *f = &c->flow[i];
        int src = c->side[i].fd, dst = c->side[1 - i].fd;

        for (;;) {
                bool progress = false;
                ssize_t n;

                if (!f->eof && f->bytes < f->cap) {
                        n = splice(src, NULL, f->pipe[1], NULL, f->cap - f->bytes,
                                SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                f->bytes += (size_t) n;
                                progress = true;
                        } else if (n == 0) {
                                f->eof = true;
                                progress = true;
                        } else if (errno == EAGAIN)
                                /* the socket is drained, or the pipe is out of slots (partial pages
                                 * take a slot each): only a write out of the pipe tells */
                                f->in_blocked = f->bytes > 0;
                        else if (errno != EINTR)
                                return -errno;
                }
                if (f->bytes > 0) {
                        n = splice(f->pipe[0], NULL, dst, NULL, f->bytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                f->bytes -= (size_t) n;
                                f->in_blocked = false;
                                progress = true;
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR)
                                return -errno;
                }
                if (f->eof && f->bytes == 0 && !f->shut) {
                        /* half-close: pass the EOF on, keep the other direction open */
                        if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
                                return -errno;
                        f->shut = true;
                }
                if (!progress)
                        return 0;
        }
}

static void conn_event(Proxy *p, Conn *c) {
        int r;

        if (c->connecting) {
                int err = 0;
                socklen_t len = sizeof(err);

                if (getsockopt(c->side[1].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                if (err != 0) {
                        log_debug_errno(-err, "Failed to connect to port %u in the container: %m",
                                (unsigned) ntohs(p->target.sin_port));
                        conn_close(p, c);
                        if (!container_alive(p))
                                p->exit_requested = true;
                        return;
                }
                c->connecting = false;
        }
        r = flow_pump(c, 0);
        if (r >= 0)
                r = flow_pump(c, 1);
        if (r < 0) {
                log_debug_errno(r, "Connection closed: %m");
                conn_close(p, c);
                return;
        }
        if (c->flow[0].shut && c->flow[1].shut) {
                conn_close(p, c);
                return;
        }
        r = conn_update(p, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a connection, closing it: %m");
                conn_close(p, c);
        }
}

static int make_pipe(Flow *f) {
        int fl;

        if (pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
                return -errno;
        fl = fcntl(f->pipe[0], F_GETPIPE_SZ);
        f->cap = fl > 0 ? (size_t) fl : 4096;
        return 0;
}

/* Takes the accepted client fd; closes it on failure. */
static void conn_new(Proxy *p, int client_fd) {
        static const int one = 1;
        Conn *c;
        int r;

        c = calloc(1, sizeof(Conn));
        if (!c) {
                safe_close(client_fd);
                return;
        }
        for (int i = 0; i < 2; i++) {
                c->side[i] = (Side){ .type = SOURCE_SIDE, .conn = c, .fd = -EBADF };
                c->flow[i].pipe[0] = c->flow[i].pipe[1] = -EBADF;
        }
        c->side[0].fd = client_fd;
        p->n_conns++;

        /* created after setns(): this socket is in the container's network namespace */
        c->side[1].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->side[1].fd < 0) {
                log_warning_errno(-errno, "Failed to create a socket in the container, ignoring: %m");
                goto fail;
        }
        (void) setsockopt(c->side[0].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        (void) setsockopt(c->side[1].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        r = make_pipe(&c->flow[0]);
        if (r >= 0)
                r = make_pipe(&c->flow[1]);
        if (r < 0) {
                log_warning_errno(r, "Failed to create pipes for a connection, ignoring: %m");
                goto fail;
        }
        if (connect(c->side[1].fd, (const struct sockaddr *) &p->target, sizeof(p->target)) < 0) {
                if (errno != EINPROGRESS) {
                        log_debug_errno(-errno, "Failed to connect to port %u in the container: %m",
                                (unsigned) ntohs(p->target.sin_port));
                        conn_close(p, c);
                        if (!container_alive(p))
                                p->exit_requested = true;
                        return;
                }
                c->connecting = true;
        }
        r = conn_update(p, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a connection, ignoring: %m");
                goto fail;
        }
        return;

fail:
        conn_close(p, c);
}

/* --- listeners ------------------------------------------------------------------------------------------- */

static int listeners_watch(Proxy *p, bool on) {
        for (size_t i = 0; i < p->n_listeners; i++) {
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p->listeners + i };

                if (epoll_ctl(p->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->listeners[i].fd, &ev) < 0)
                        return -errno;
        }
        p->listeners_paused = !on;
        return 0;
}

/* accept(2): Linux passes pending network errors of the new connection on; the next one may be fine */
static bool accept_error_is_transient(int e) {
        switch (e) {
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
                return true;
        default:
                return false;
        }
}

static void listener_event(Proxy *p, Listener *l) {
        for (unsigned k = 0; k < ACCEPT_BATCH && !p->exit_requested; k++) {
                int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        if (accept_error_is_transient(errno))
                                continue; /* that client is gone already */
                        /* out of fds or memory: stop accepting for a moment instead of spinning */
                        log_warning_errno(-errno, "Failed to accept a connection, pausing for 100ms: %m");
                        if (listeners_watch(p, false) >= 0)
                                p->resume_usec = now_usec() + 100 * 1000;
                        return;
                }
                if (p->n_conns >= CONN_MAX) {
                        log_debug("%d connections open already, closing a new one", CONN_MAX);
                        safe_close(fd);
                        continue;
                }
                conn_new(p, fd);
        }
}

static void free_dead(Proxy *p) {
        while (p->dead) {
                Conn *c = p->dead;
                p->dead = c->next_dead;
                free(c);
        }
}

static int run(Proxy *p) {
        struct epoll_event events[64];
        uint64_t last_check = now_usec();
        int r;

        r = listeners_watch(p, true);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the listening sockets: %m");
        while (!p->exit_requested) {
                int timeout = CHECK_ALIVE_MS, n;

                if (p->listeners_paused) {
                        uint64_t t = now_usec();
                        if (t >= p->resume_usec) {
                                r = listeners_watch(p, true);
                                if (r < 0)
                                        return log_error_errno(r,
                                                "Failed to watch the listening sockets: %m");
                        } else
                                timeout = (int) ((p->resume_usec - t) / 1000) + 1;
                }
                n = epoll_wait(p->epoll_fd, events, (int) ELEMENTSOF(events), timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "Failed to wait for events: %m");
                }
                for (int i = 0; i < n; i++) {
                        SourceType *t = events[i].data.ptr;

                        if (*t == SOURCE_LISTENER)
                                listener_event(p, (Listener *) t);
                        else if (!((Side *) t)->conn->dead)
                                conn_event(p, ((Side *) t)->conn);
                }
                free_dead(p);
                if (now_usec() - last_check >= CHECK_ALIVE_MS * 1000u) {
                        last_check = now_usec();
                        if (!container_alive(p))
                                p->exit_requested = true;
                }
        }
        log_info("The container is gone, exiting");
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ Listener *listeners = NULL;
        _cleanup_close_ int epoll_fd = -EBADF, proc_fd = -EBADF;
        Proxy p = {};
        unsigned long port;
        char *end;
        int n, r;

        log_setup("berth-proxy");
        if (argc != 3 || !name_is_valid(argv[1])) {
                log_error("Usage: berth-proxy CONTAINER PORT (run by a "
                          "berth-port-CONTAINER@HOSTPORT.service)");
                return EXIT_FAILURE;
        }
        errno = 0;
        port = strtoul(argv[2], &end, 10);
        if (errno != 0 || *end || port == 0 || port > 65535) {
                log_error("Invalid container port '%s'", argv[2]);
                return EXIT_FAILURE;
        }
        /* splice() into a socket whose peer is gone raises SIGPIPE; we want EPIPE */
        (void) signal(SIGPIPE, SIG_IGN);

        n = sd_listen_fds(true);
        if (n < 0)
                return log_error_errno(n, "Failed to get the listening sockets from systemd: %m"),
                       EXIT_FAILURE;
        if (n == 0) {
                log_error("No listening socket from systemd: berth-proxy runs from a socket unit");
                return EXIT_FAILURE;
        }
        listeners = calloc((size_t) n, sizeof(Listener));
        if (!listeners)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_FAILURE;
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_error("File descriptor %d from systemd is not a listening stream socket", fd);
                        return EXIT_FAILURE;
                }
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return log_error_errno(-errno, "Failed to make socket %d non-blocking: %m", fd),
                               EXIT_FAILURE;
                listeners[i] = (Listener){ .type = SOURCE_LISTENER, .fd = fd };
        }

        r = container_enter(argv[1], &proc_fd);
        if (r < 0)
                return EXIT_FAILURE;
        if (r == 0) {
                /* not running: turn the waiting clients away rather than leave them hanging */
                for (int i = 0; i < n; i++) {
                        int fd;
                        while ((fd = accept4(listeners[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
                                0)
                                safe_close(fd);
                }
                log_warning("Container '%s' is not running, closed the waiting connections", argv[1]);
                return EXIT_SUCCESS;
        }
        r = drop_privileges();
        if (r < 0)
                return log_error_errno(r, "Failed to drop privileges: %m"), EXIT_FAILURE;

        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd < 0)
                return log_error_errno(-errno, "Failed to create an epoll instance: %m"), EXIT_FAILURE;
        p = (Proxy){
                .epoll_fd = epoll_fd,
                .listeners = listeners,
                .n_listeners = (size_t) n,
                .proc_fd = proc_fd,
                .target = { .sin_family = AF_INET,
                        .sin_port = htons((uint16_t) port),
                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
        };
        (void) sd_notify(false, "READY=1");
        r = run(&p);
        free_dead(&p);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
