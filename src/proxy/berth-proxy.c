/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-proxy [--on-demand] [--idle-stop SEC] NAME CONTAINER_PORT: the service behind a published port's
 * socket unit (Accept=no).
 *
 * systemd hands us the listening socket(s) (sd_listen_fds), bound in the host's network namespace: a stream
 * socket for a TCP port, a datagram socket for a UDP one. We ask systemd for the container's main PID
 * (starting the container first with --on-demand), enter that process's network namespace once with
 * setns(), and drop to nobody without capabilities. From then on every socket we create lives in the
 * container's namespace, while the listening socket and the connections accepted from it stay in the
 * host's:
 *   TCP  each accepted connection gets a new socket connected to 127.0.0.1:CONTAINER_PORT inside the
 *        container, and the bytes are moved with splice() through a pipe per direction;
 *   UDP  each client address gets a connected socket to 127.0.0.1:CONTAINER_PORT inside the container;
 *        its replies go back to the client from the listening socket; a client quiet for 60 s is
 *        forgotten, and at most UDP_FLOWS_MAX are kept (the least recently active goes first);
 * all in one single-threaded epoll loop.
 *
 * We exit when the container is gone (its PID 1's /proc entry vanished), or with --idle-stop after that
 * long without a connection or datagram: then with EXIT_IDLE, and the unit's ExecStopPost= (berth-proxy
 * --after-exit NAME, still root) stops the container. systemd starts us again on the next connection, and
 * we then enter the namespace of whatever runs then. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#define USEC_PER_MSEC 1000u
#define USEC_PER_SEC (1000u * 1000u)

#define CONN_MAX 1024 /* connections at once; more are accepted and closed right away */
#define ACCEPT_BATCH 64 /* accepts (or datagrams) per wake-up, so established flows keep their share */
#define WAIT_RUNNING_USEC (10u * USEC_PER_SEC) /* a container being (re)started gets this long */
/* For this long after the container started, a refused connection is retried (the payload is not
 * listening yet) instead of being passed on as a reset; UDP waits for the port to be bound. */
#define WARMUP_USEC (10u * USEC_PER_SEC)
#define RETRY_USEC (100u * USEC_PER_MSEC)
#define UDP_POLL_USEC (50u * USEC_PER_MSEC)
#define CONNECT_TIMEOUT_USEC (10u * USEC_PER_SEC) /* a container port that never answers the SYN */
#define CHECK_ALIVE_USEC (5u * USEC_PER_SEC)
#define UDP_FLOWS_MAX 1024
#define UDP_FLOW_IDLE_USEC (60u * USEC_PER_SEC)
#define UDP_BUCKETS 2048 /* hash buckets for UDP_FLOWS_MAX client addresses */
#define UDP_DATAGRAM_MAX 65536
/* A flow that fills its pipe (a download) gets a pipe of this size: 16 times fewer splice() calls per byte.
 * Others keep the default 64 KiB, and a failure (the user's pipe-user-pages-soft is used up) is fine. */
#define PIPE_BULK_SIZE (1024 * 1024)
#define NOBODY 65534
/* exit status after --idle-stop ran out; the unit lists it in SuccessExitStatus= */
#define EXIT_IDLE 3

typedef enum SourceType {
        SOURCE_LISTENER,
        SOURCE_SIDE,
        SOURCE_UDP_FLOW,
} SourceType;

typedef struct Conn Conn;

/* What an epoll event points at; every struct below starts with one. */
typedef struct Listener {
        SourceType type;
        int fd;
        bool udp;
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
        bool grown; /* tried to grow the pipe to PIPE_BULK_SIZE */
} Flow;

struct Conn {
        Side side[2]; /* 0: the client (host side), 1: the container side */
        Flow flow[2];
        bool connecting; /* connect() to the container in progress */
        bool retry; /* refused during the warm-up: connect again at deadline */
        uint64_t deadline; /* connecting: give up; retry: connect again */
        Conn *pending_prev, *pending_next; /* in Proxy.pending while connecting or retry */
        bool dead;
        Conn *next_dead;
};

typedef union SockaddrUnion {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
        struct sockaddr_storage storage;
} SockaddrUnion;

/* One UDP client: its address on the host side, a connected socket in the container. */
typedef struct UdpFlow UdpFlow;
struct UdpFlow {
        SourceType type;
        int fd;
        Listener *listener;
        SockaddrUnion addr;
        socklen_t addr_len;
        unsigned bucket;
        uint64_t last_usec;
        UdpFlow *hash_next;
        UdpFlow *lru_prev, *lru_next; /* most recently active first */
        bool dead;
        UdpFlow *next_dead;
};

typedef struct Proxy {
        int epoll_fd;
        Listener *listeners;
        size_t n_listeners;
        bool listeners_paused;
        uint64_t resume_usec;
        size_t n_conns;
        Conn *dead; /* closed during this batch of events, freed after it */
        Conn *pending; /* connecting, or waiting to retry */
        int proc_fd; /* /proc/PID of the container's PID 1 */
        struct sockaddr_in target;
        uint64_t warmup_until; /* refused connects are retried until then; 0 once the port answered */
        bool udp_waiting; /* UDP: the listeners wait for the container to bind the port */

        UdpFlow *buckets[UDP_BUCKETS];
        UdpFlow *lru_first, *lru_last;
        size_t n_flows;
        UdpFlow *dead_flows;
        uint8_t *datagram; /* UDP_DATAGRAM_MAX bytes */

        uint64_t idle_stop_usec; /* 0: never */
        uint64_t last_activity;
        uint64_t last_check;
        bool exit_requested;
        int exit_status;
} Proxy;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000u;
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

/* --- finding, starting and entering the container ------------------------------------------------------ */

static const char *bus_error_message(const sd_bus_error *error, int r) {
        return error->message ?: strerror(-r);
}

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

typedef struct UnitRun {
        bool loaded;
        char active_state[32]; /* "inactive" when not loaded */
        pid_t pid; /* MainPID while "active", 0 otherwise */
        uint64_t active_enter_usec; /* CLOCK_MONOTONIC of entering "active"; 0 if never */
} UnitRun;

static int unit_run_get(sd_bus *bus, const char *unit, UnitRun *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        UnitRun u = { .active_state = "inactive" };
        const char *path;
        uint32_t pid = 0;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                *ret = u;
                return 0;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        u.loaded = true;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                "org.freedesktop.systemd1.Unit", "ActiveState", &error, &state);
        if (r < 0)
                return r;
        snprintf(u.active_state, sizeof(u.active_state), "%s", state);
        /* while "activating", MainPID may still be berth-runtime, in the host's namespace */
        if (streq(state, "active")) {
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                        "org.freedesktop.systemd1.Service", "MainPID", &error, 'u', &pid);
                if (r < 0)
                        return r;
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                        "org.freedesktop.systemd1.Unit", "ActiveEnterTimestampMonotonic", &error, 't',
                        &u.active_enter_usec);
                if (r < 0)
                        return r;
        }
        u.pid = (pid_t) pid;
        *ret = u;
        return 0;
}

/* --on-demand: a connection came for a stopped container, so start it. We do not wait for the job (with a
 * restart policy a failing container's job never ends); container_enter() waits for it to run. */
static int container_start(sd_bus *bus, const char *unit, const UnitRun *u) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (streq(u->active_state, "failed"))
                (void) sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                        "org.freedesktop.systemd1.Manager", "ResetFailedUnit", NULL, NULL, "s", unit);
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StartUnit", &error, NULL, "ss", unit, "replace");
        if (r < 0)
                return log_error_errno(r, "Failed to start '%s': %s", unit, bus_error_message(&error, r));
        log_info("Starting '%s' for a client of its published port", unit);
        return 0;
}

/* Enters the network namespace of the running container NAME, waiting up to WAIT_RUNNING_USEC for it to
 * run, starting it first if on_demand. Returns 1, /proc/PID of its PID 1 and the end of its warm-up (0 if
 * it runs for longer already), or 0 if it does not run. */
static int container_enter(sd_bus *bus, const char *name, bool on_demand, int *ret_proc_fd,
        uint64_t *ret_warmup_until) {
        _cleanup_free_ char *unit = strjoin("berth@", name, ".service");
        uint64_t deadline = now_usec() + WAIT_RUNNING_USEC;
        bool started = false;
        int r;

        if (!unit)
                return -ENOMEM;
        for (;;) {
                _cleanup_close_ int proc_fd = -EBADF, ns_fd = -EBADF;
                char path[32];
                UnitRun u, again;

                r = unit_run_get(bus, unit, &u);
                if (r < 0)
                        return log_error_errno(r, "Failed to get the main PID of '%s': %m", unit);
                if (u.pid <= 0) {
                        /* it started and ended at once (a missing command, say): no use waiting */
                        if (started && streq(u.active_state, "failed"))
                                return 0;
                        if (on_demand && !started && !streq(u.active_state, "activating") &&
                                !streq(u.active_state, "reloading")) {
                                r = container_start(bus, unit, &u);
                                if (r < 0)
                                        return 0;
                                started = true;
                                deadline = now_usec() + WAIT_RUNNING_USEC;
                        }
                        if (now_usec() >= deadline)
                                return 0;
                        (void) usleep(50 * 1000);
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/%d", (int) u.pid);
                proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (proc_fd < 0)
                        continue; /* gone meanwhile: ask again */
                /* the directory fd pins this process (not a later one with the same PID): if systemd still
                 * names the same PID now, the fd is the container's */
                r = unit_run_get(bus, unit, &again);
                if (r < 0)
                        return log_error_errno(r, "Failed to get the main PID of '%s': %m", unit);
                if (again.pid != u.pid)
                        continue;
                ns_fd = openat(proc_fd, "ns/net", O_RDONLY | O_CLOEXEC);
                if (ns_fd < 0)
                        return log_error_errno(-errno, "Failed to open the network namespace of %s: %m",
                                path);
                if (setns(ns_fd, CLONE_NEWNET) < 0)
                        return log_error_errno(-errno, "Failed to enter the network namespace of '%s': %m",
                                unit);
                *ret_proc_fd = TAKE_FD(proc_fd);
                /* a payload that started just now may not listen yet */
                *ret_warmup_until = u.active_enter_usec + WARMUP_USEC > now_usec()
                        ? u.active_enter_usec + WARMUP_USEC
                        : 0;
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

/* Whether something in our (the container's) network namespace has bound UDP port `port`, from
 * /proc/self/net/udp{,6}: "  0: 0100007F:0035 00000000:0000 07 ...". */
static bool udp_port_bound(uint16_t port) {
        static const char *const files[] = { "/proc/self/net/udp", "/proc/self/net/udp6" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_fclose_ FILE *f = fopen(files[i], "re");
                char line[512];

                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f)) {
                        char local[64];
                        const char *colon;
                        unsigned long p;

                        if (sscanf(line, " %*u: %63s", local) != 1)
                                continue;
                        colon = strrchr(local, ':');
                        if (!colon)
                                continue;
                        p = strtoul(colon + 1, NULL, 16);
                        if (p == port)
                                return true;
                }
        }
        return false;
}

/* --- TCP connections ------------------------------------------------------------------------------------- */

static uint32_t side_wants(const Conn *c, int s) {
        const Flow *out = &c->flow[s], *in = &c->flow[1 - s];
        uint32_t e = 0;

        if (c->retry)
                return 0;
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

static void pending_add(Proxy *p, Conn *c, uint64_t deadline) {
        c->deadline = deadline;
        if (c->pending_prev || p->pending == c)
                return;
        c->pending_next = p->pending;
        if (p->pending)
                p->pending->pending_prev = c;
        p->pending = c;
}

static void pending_remove(Proxy *p, Conn *c) {
        if (c->pending_prev)
                c->pending_prev->pending_next = c->pending_next;
        else if (p->pending == c)
                p->pending = c->pending_next;
        else
                return; /* not in the list */
        if (c->pending_next)
                c->pending_next->pending_prev = c->pending_prev;
        c->pending_prev = c->pending_next = NULL;
}

static void conn_close(Proxy *p, Conn *c) {
        if (c->dead)
                return;
        pending_remove(p, c);
        for (int i = 0; i < 2; i++) {
                if (c->side[i].events != 0)
                        (void) epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, c->side[i].fd, NULL);
                c->side[i].events = 0;
                c->side[i].fd = safe_close(c->side[i].fd);
                c->flow[i].pipe[0] = safe_close(c->flow[i].pipe[0]);
                c->flow[i].pipe[1] = safe_close(c->flow[i].pipe[1]);
        }
        c->dead = true;
        c->next_dead = p->dead;
        p->dead = c;
        p->n_conns--;
        p->last_activity = now_usec();
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

/* Moves what can be moved without blocking. Returns <0 on a connection error. The epoll set is
 * level-triggered, so after a short read that we passed on completely we stop rather than read again for
 * an EAGAIN: if more came meanwhile, the next epoll_wait() says so. That saves a system call per message. */
static int flow_pump(Conn *c, int i) {
        Flow *f = &c->flow[i];
        int src = c->side[i].fd, dst = c->side[1 - i].fd;

        for (;;) {
                bool progress = false, short_read = false;
                ssize_t n;

                if (!f->eof && f->bytes < f->cap) {
                        size_t want = f->cap - f->bytes;

                        n = splice(src, NULL, f->pipe[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                f->bytes += (size_t) n;
                                progress = true;
                                short_read = (size_t) n < want;
                                if (!short_read && !f->grown) {
                                        int sz = fcntl(f->pipe[1], F_SETPIPE_SZ, PIPE_BULK_SIZE);

                                        f->grown = true;
                                        if (sz > 0 && (size_t) sz > f->cap)
                                                f->cap = (size_t) sz;
                                }
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
                if (!progress || (short_read && f->bytes == 0))
                        return 0;
        }
}

static void conn_connect(Proxy *p, Conn *c);

/* The container refused the connection: during the warm-up its payload may just not listen yet, so try
 * again in a moment; after it, pass the refusal on (the client sees its connection closed). */
static void conn_refused(Proxy *p, Conn *c, int error) {
        uint64_t now = now_usec();

        if (error == ECONNREFUSED && now + RETRY_USEC < p->warmup_until) {
                if (c->side[1].events != 0)
                        (void) epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, c->side[1].fd, NULL);
                c->side[1].events = 0;
                c->side[1].fd = safe_close(c->side[1].fd);
                c->connecting = false;
                c->retry = true;
                pending_add(p, c, now + RETRY_USEC);
                return;
        }
        log_debug_errno(-error, "Failed to connect to port %u in the container: %m",
                (unsigned) ntohs(p->target.sin_port));
        conn_close(p, c);
        if (!container_alive(p))
                p->exit_requested = true;
}

static void conn_connect(Proxy *p, Conn *c) {
        static const int one = 1;
        int r;

        c->retry = false;
        /* created after setns(): this socket is in the container's network namespace */
        c->side[1].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->side[1].fd < 0) {
                log_warning_errno(-errno, "Failed to create a socket in the container, ignoring: %m");
                conn_close(p, c);
                return;
        }
        (void) setsockopt(c->side[1].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(c->side[1].fd, (const struct sockaddr *) &p->target, sizeof(p->target)) < 0) {
                if (errno != EINPROGRESS) {
                        conn_refused(p, c, errno);
                        return;
                }
                c->connecting = true;
                pending_add(p, c, now_usec() + CONNECT_TIMEOUT_USEC);
        } else
                pending_remove(p, c);
        r = conn_update(p, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a connection, ignoring: %m");
                conn_close(p, c);
        }
}

/* An event on side s: readable means work for flow s (from s), writable for flow 1 - s (into s); an error
 * or hang-up for both, so the next splice() reports it. Right after the connect, both may have work. */
static void conn_event(Proxy *p, Side *side, uint32_t events) {
        Conn *c = side->conn;
        int s = side == c->side ? 0 : 1, r = 0;
        bool pump[2] = {
                [0] = events & (EPOLLERR | EPOLLHUP),
                [1] = events & (EPOLLERR | EPOLLHUP),
        };

        if (events & (EPOLLIN | EPOLLRDHUP))
                pump[s] = true;
        if (events & EPOLLOUT)
                pump[1 - s] = true;
        if (c->connecting) {
                int err = 0;
                socklen_t len = sizeof(err);

                if (getsockopt(c->side[1].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                if (err != 0) {
                        conn_refused(p, c, err);
                        return;
                }
                c->connecting = false;
                pending_remove(p, c);
                p->warmup_until = 0; /* the port answers: no more retries */
                pump[0] = pump[1] = true;
        }
        for (int i = 0; i < 2 && r >= 0; i++)
                if (pump[i])
                        r = flow_pump(c, i);
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

/* Connections whose connect() timed out, and those due for a retry. */
static void pending_timers(Proxy *p, uint64_t now) {
        Conn *next;

        for (Conn *c = p->pending; c; c = next) {
                next = c->pending_next;
                if (now < c->deadline)
                        continue;
                if (c->retry)
                        conn_connect(p, c);
                else {
                        log_debug("Connecting to port %u in the container timed out, closing the connection",
                                (unsigned) ntohs(p->target.sin_port));
                        conn_close(p, c);
                }
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
        (void) setsockopt(c->side[0].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        r = make_pipe(&c->flow[0]);
        if (r >= 0)
                r = make_pipe(&c->flow[1]);
        if (r < 0) {
                log_warning_errno(r, "Failed to create pipes for a connection, ignoring: %m");
                conn_close(p, c);
                return;
        }
        conn_connect(p, c);
}

/* --- UDP flows ------------------------------------------------------------------------------------------- */

static unsigned udp_hash(const Listener *l, const SockaddrUnion *a, socklen_t len) {
        const uint8_t *b = (const uint8_t *) a;
        uint32_t h = 2166136261u ^ (uint32_t) (uintptr_t) l;

        /* FNV-1a; only the address and port matter (sin6_flowinfo may change between datagrams) */
        if (a->sa.sa_family == AF_INET6) {
                b = (const uint8_t *) &a->in6.sin6_addr;
                len = sizeof(a->in6.sin6_addr);
                h = (h ^ a->in6.sin6_port) * 16777619u;
        } else if (a->sa.sa_family == AF_INET) {
                b = (const uint8_t *) &a->in.sin_addr;
                len = sizeof(a->in.sin_addr);
                h = (h ^ a->in.sin_port) * 16777619u;
        }
        for (socklen_t i = 0; i < len; i++)
                h = (h ^ b[i]) * 16777619u;
        return h % UDP_BUCKETS;
}

static bool udp_addr_equal(const SockaddrUnion *a, const SockaddrUnion *b) {
        if (a->sa.sa_family != b->sa.sa_family)
                return false;
        if (a->sa.sa_family == AF_INET6)
                return a->in6.sin6_port == b->in6.sin6_port &&
                        memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr)) == 0 &&
                        a->in6.sin6_scope_id == b->in6.sin6_scope_id;
        if (a->sa.sa_family == AF_INET)
                return a->in.sin_port == b->in.sin_port && a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
        return false;
}

static void lru_unlink(Proxy *p, UdpFlow *f) {
        if (f->lru_prev)
                f->lru_prev->lru_next = f->lru_next;
        else
                p->lru_first = f->lru_next;
        if (f->lru_next)
                f->lru_next->lru_prev = f->lru_prev;
        else
                p->lru_last = f->lru_prev;
        f->lru_prev = f->lru_next = NULL;
}

static void lru_push_front(Proxy *p, UdpFlow *f) {
        f->lru_next = p->lru_first;
        f->lru_prev = NULL;
        if (p->lru_first)
                p->lru_first->lru_prev = f;
        else
                p->lru_last = f;
        p->lru_first = f;
}

static void udp_flow_touch(Proxy *p, UdpFlow *f) {
        f->last_usec = p->last_activity = now_usec();
        if (p->lru_first != f) {
                lru_unlink(p, f);
                lru_push_front(p, f);
        }
}

static void udp_flow_close(Proxy *p, UdpFlow *f) {
        UdpFlow **pp;

        if (f->dead)
                return;
        for (pp = &p->buckets[f->bucket]; *pp; pp = &(*pp)->hash_next)
                if (*pp == f) {
                        *pp = f->hash_next;
                        break;
                }
        lru_unlink(p, f);
        f->fd = safe_close(f->fd); /* closing removes it from the epoll set */
        f->dead = true;
        f->next_dead = p->dead_flows;
        p->dead_flows = f;
        p->n_flows--;
}

static UdpFlow *udp_flow_get(Proxy *p, Listener *l, const SockaddrUnion *addr, socklen_t len) {
        unsigned bucket = udp_hash(l, addr, len);
        struct epoll_event ev = { .events = EPOLLIN };
        UdpFlow *f;

        for (f = p->buckets[bucket]; f; f = f->hash_next)
                if (f->listener == l && udp_addr_equal(&f->addr, addr))
                        return f;

        if (p->n_flows >= UDP_FLOWS_MAX) {
                log_debug("%d UDP clients already, forgetting the least recently active one", UDP_FLOWS_MAX);
                udp_flow_close(p, p->lru_last);
        }
        f = calloc(1, sizeof(UdpFlow));
        if (!f)
                return NULL;
        *f = (UdpFlow){ .type = SOURCE_UDP_FLOW, .listener = l, .addr_len = len, .bucket = bucket };
        memcpy(&f->addr, addr, MIN((size_t) len, sizeof(f->addr)));
        /* created after setns(): this socket is in the container's network namespace */
        f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd < 0) {
                log_warning_errno(-errno, "Failed to create a socket in the container, ignoring: %m");
                free(f);
                return NULL;
        }
        if (connect(f->fd, (const struct sockaddr *) &p->target, sizeof(p->target)) < 0) {
                log_warning_errno(-errno, "Failed to connect to UDP port %u in the container, ignoring: %m",
                        (unsigned) ntohs(p->target.sin_port));
                safe_close(f->fd);
                free(f);
                return NULL;
        }
        ev.data.ptr = f;
        if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
                log_warning_errno(-errno, "Failed to watch a UDP socket, ignoring: %m");
                safe_close(f->fd);
                free(f);
                return NULL;
        }
        f->hash_next = p->buckets[bucket];
        p->buckets[bucket] = f;
        lru_push_front(p, f);
        p->n_flows++;
        return f;
}

/* Datagrams from clients, each to its client's socket in the container. */
static void udp_listener_event(Proxy *p, Listener *l) {
        for (unsigned k = 0; k < ACCEPT_BATCH; k++) {
                SockaddrUnion addr = {};
                socklen_t len = sizeof(addr);
                UdpFlow *f;
                ssize_t n;

                n = recvfrom(l->fd, p->datagram, UDP_DATAGRAM_MAX, MSG_DONTWAIT, &addr.sa, &len);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        /* ICMP errors for earlier replies land here; they concern one client only */
                        log_debug_errno(-errno, "Failed to receive a datagram, ignoring: %m");
                        continue;
                }
                if (len > sizeof(addr))
                        continue;
                f = udp_flow_get(p, l, &addr, len);
                if (!f)
                        continue;
                udp_flow_touch(p, f);
                /* a refusal (ICMP port unreachable) of an earlier datagram is reported by this send, which
                 * then sends nothing: try once more */
                if (send(f->fd, p->datagram, (size_t) n, 0) < 0 && errno == ECONNREFUSED)
                        (void) send(f->fd, p->datagram, (size_t) n, 0);
        }
}

/* Replies from the container, back to the client from the listening socket. */
static void udp_flow_event(Proxy *p, UdpFlow *f) {
        for (unsigned k = 0; k < ACCEPT_BATCH; k++) {
                ssize_t n = recv(f->fd, p->datagram, UDP_DATAGRAM_MAX, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        if (errno == ECONNREFUSED)
                                continue; /* nothing listens on the port (yet): the datagram is lost */
                        log_debug_errno(-errno,
                                "Failed to receive from the container, forgetting a UDP "
                                "client: %m");
                        udp_flow_close(p, f);
                        return;
                }
                udp_flow_touch(p, f);
                (void) sendto(f->listener->fd, p->datagram, (size_t) n, MSG_DONTWAIT, &f->addr.sa,
                        f->addr_len);
        }
}

static void udp_timers(Proxy *p, uint64_t now) {
        while (p->lru_last && p->lru_last->last_usec + UDP_FLOW_IDLE_USEC <= now)
                udp_flow_close(p, p->lru_last);
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
        if (l->udp) {
                udp_listener_event(p, l);
                return;
        }
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
                                p->resume_usec = now_usec() + 100 * USEC_PER_MSEC;
                        return;
                }
                p->last_activity = now_usec();
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
        while (p->dead_flows) {
                UdpFlow *f = p->dead_flows;
                p->dead_flows = f->next_dead;
                free(f);
        }
}

/* Runs what is due and returns when to look again (CLOCK_MONOTONIC µs). */
static int timers(Proxy *p, uint64_t *ret_next) {
        uint64_t now = now_usec(), next;
        int r;

        if (p->listeners_paused && now >= p->resume_usec) {
                /* UDP during the warm-up: clients' datagrams wait in the socket until the payload has
                 * bound its port, rather than being refused */
                if (p->udp_waiting && now < p->warmup_until && !udp_port_bound(ntohs(p->target.sin_port)))
                        p->resume_usec = now + UDP_POLL_USEC;
                else {
                        p->udp_waiting = false;
                        r = listeners_watch(p, true);
                        if (r < 0)
                                return log_error_errno(r, "Failed to watch the listening sockets: %m");
                }
        }
        pending_timers(p, now);
        udp_timers(p, now);
        if (now - p->last_check >= CHECK_ALIVE_USEC) {
                p->last_check = now;
                if (!container_alive(p)) {
                        log_info("The container is gone, exiting");
                        p->exit_requested = true;
                }
        }
        if (p->idle_stop_usec > 0 && p->n_conns == 0 && now - p->last_activity >= p->idle_stop_usec) {
                log_info("No connection for %llu s, stopping the container",
                        (unsigned long long) (p->idle_stop_usec / USEC_PER_SEC));
                p->exit_requested = true;
                p->exit_status = EXIT_IDLE;
        }

        next = p->last_check + CHECK_ALIVE_USEC;
        if (p->listeners_paused)
                next = MIN(next, p->resume_usec);
        for (Conn *c = p->pending; c; c = c->pending_next)
                next = MIN(next, c->deadline);
        if (p->lru_last)
                next = MIN(next, p->lru_last->last_usec + UDP_FLOW_IDLE_USEC);
        if (p->idle_stop_usec > 0 && p->n_conns == 0)
                next = MIN(next, p->last_activity + p->idle_stop_usec);
        *ret_next = next;
        return 0;
}

static int run(Proxy *p) {
        struct epoll_event events[64];
        int r;

        p->last_check = p->last_activity = now_usec();
        if (p->udp_waiting) {
                p->listeners_paused = true;
                p->resume_usec = 0;
        } else {
                r = listeners_watch(p, true);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the listening sockets: %m");
        }
        for (;;) {
                uint64_t next = 0, now;
                int n, timeout;

                r = timers(p, &next);
                if (r < 0)
                        return r;
                free_dead(p);
                if (p->exit_requested)
                        return 0;
                now = now_usec();
                /* rounded up, so we never wake a moment too early and spin */
                timeout = next <= now ? 0
                                      : (int) MIN((next - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC, 60000u);
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
                        else if (*t == SOURCE_UDP_FLOW) {
                                if (!((UdpFlow *) t)->dead)
                                        udp_flow_event(p, (UdpFlow *) t);
                        } else if (!((Side *) t)->conn->dead)
                                conn_event(p, (Side *) t, events[i].events);
                }
                free_dead(p);
        }
}

static void proxy_done(Proxy *p) {
        while (p->pending)
                conn_close(p, p->pending);
        while (p->lru_first)
                udp_flow_close(p, p->lru_first);
        free_dead(p);
        free(p->datagram);
}

/* --- after an idle exit -------------------------------------------------------------------------------- */

/* ExecStopPost= of the proxy unit, as root: if the proxy exited for --idle-stop, stop the container, unless
 * the proxy of another of its ports is serving someone. The stop is queued, not waited for: the
 * container's stop job also stops this unit (PartOf=), after us (After=), and waits for this very command. */
static int after_exit(const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = strjoin("berth@", name, ".service"),
                            *pattern = strjoin("berth-port-", name, "@*.service");
        const char *busy = NULL;
        char status[16];
        int r;

        if (!unit || !pattern)
                return log_error_errno(-ENOMEM, "Out of memory");
        snprintf(status, sizeof(status), "%d", EXIT_IDLE);
        if (!streq_ptr(getenv("EXIT_CODE"), "exited") || !streq_ptr(getenv("EXIT_STATUS"), status))
                return 0;
        r = bus_connect(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to systemd: %m");
        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 3, "active", "activating", "reloading");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, pattern);
        if (r < 0)
                return log_error_errno(r, "Failed to build a bus message: %m");
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_error_errno(r, "Failed to list the port proxies of '%s': %s", name,
                        bus_error_message(&error, r));
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r >= 0)
                r = sd_bus_message_read(reply, "(ssssssouso)", &busy, NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read the port proxies of '%s': %m", name);
        if (r > 0) {
                log_info("'%s' serves a client, leaving '%s' running", busy, unit);
                return 0;
        }
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StopUnit", &error, NULL, "ss", unit, "replace");
        if (r < 0)
                return log_error_errno(r, "Failed to stop '%s': %s", unit, bus_error_message(&error, r));
        log_info("Stopping idle container '%s'", name);
        return 0;
}

/* --- main ------------------------------------------------------------------------------------------------ */

static void help(void) {
        printf("Usage: berth-proxy [--on-demand] [--idle-stop SECONDS] CONTAINER PORT\n"
               "       berth-proxy --after-exit CONTAINER\n"
               "\n"
               "Forward the sockets systemd passes (a berth-port-CONTAINER@HOSTPORT.socket) to PORT inside\n"
               "the container's network namespace. --on-demand starts a stopped container; --idle-stop\n"
               "exits after that long without a client, and --after-exit (the unit's ExecStopPost=) then\n"
               "stops the container.\n");
}

int main(int argc, char *argv[]) {
        enum { ARG_ON_DEMAND = 0x100, ARG_IDLE_STOP, ARG_AFTER_EXIT, ARG_HELP };
        static const struct option options[] = {
                { "on-demand", no_argument, NULL, ARG_ON_DEMAND },
                { "idle-stop", required_argument, NULL, ARG_IDLE_STOP },
                { "after-exit", no_argument, NULL, ARG_AFTER_EXIT },
                { "help", no_argument, NULL, ARG_HELP },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ Listener *listeners = NULL;
        _cleanup_close_ int epoll_fd = -EBADF, proc_fd = -EBADF;
        bool on_demand = false, after = false, udp = false;
        unsigned long long idle_sec = 0;
        uint64_t warmup_until = 0;
        Proxy p = {};
        unsigned long port;
        char *end;
        int c, n, r;

        log_setup("berth-proxy");
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_ON_DEMAND:
                        on_demand = true;
                        break;
                case ARG_IDLE_STOP:
                        errno = 0;
                        idle_sec = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || idle_sec == 0 || idle_sec > 100000000)
                                return log_error("Invalid --idle-stop '%s': use a number of seconds",
                                               optarg),
                                       EXIT_FAILURE;
                        break;
                case ARG_AFTER_EXIT:
                        after = true;
                        break;
                case ARG_HELP:
                        help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        if (after) {
                if (argc - optind != 1 || !name_is_valid(argv[optind]))
                        return log_error("Usage: berth-proxy --after-exit CONTAINER"), EXIT_FAILURE;
                return after_exit(argv[optind]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (argc - optind != 2 || !name_is_valid(argv[optind])) {
                log_error("Usage: berth-proxy [--on-demand] [--idle-stop SECONDS] CONTAINER PORT (run by a "
                          "berth-port-CONTAINER@HOSTPORT.service)");
                return EXIT_FAILURE;
        }
        errno = 0;
        port = strtoul(argv[optind + 1], &end, 10);
        if (errno != 0 || *end || port == 0 || port > 65535) {
                log_error("Invalid container port '%s'", argv[optind + 1]);
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
                bool dgram = sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0;

                if (!dgram && sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                        log_error("File descriptor %d from systemd is neither a listening stream socket nor "
                                  "a "
                                  "datagram socket",
                                fd);
                        return EXIT_FAILURE;
                }
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return log_error_errno(-errno, "Failed to make socket %d non-blocking: %m", fd),
                               EXIT_FAILURE;
                listeners[i] = (Listener){ .type = SOURCE_LISTENER, .fd = fd, .udp = dgram };
                udp = udp || dgram;
        }

        r = bus_connect(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to systemd: %m"), EXIT_FAILURE;
        r = container_enter(bus, argv[optind], on_demand, &proc_fd, &warmup_until);
        /* nobody gets a connection to PID 1 from us: once the privileges are gone, it is closed */
        bus = sd_bus_flush_close_unref(bus);
        if (r < 0)
                return EXIT_FAILURE;
        if (r == 0) {
                /* not running: turn the waiting clients away rather than leave them hanging (datagrams
                 * are dropped) */
                for (int i = 0; i < n; i++) {
                        int fd;

                        if (listeners[i].udp) {
                                char b;
                                while (recv(listeners[i].fd, &b, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0)
                                        ;
                                continue;
                        }
                        while ((fd = accept4(listeners[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
                                0)
                                safe_close(fd);
                }
                log_warning("Container '%s' is not running, closed the waiting connections", argv[optind]);
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
                .warmup_until = warmup_until,
                .udp_waiting = udp && warmup_until > 0,
                .idle_stop_usec = idle_sec * USEC_PER_SEC,
        };
        if (udp) {
                p.datagram = malloc(UDP_DATAGRAM_MAX);
                if (!p.datagram)
                        return log_error_errno(-ENOMEM, "Out of memory"), EXIT_FAILURE;
        }
        (void) sd_notify(false, "READY=1");
        r = run(&p);
        proxy_done(&p);
        if (r < 0)
                return EXIT_FAILURE;
        return p.exit_status;
}
