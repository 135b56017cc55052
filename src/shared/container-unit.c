/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "string-util.h"
#include "strv.h"

char *container_unit_name(const char *name) {
        return strjoin("berth@", name, ".service");
}

/* systemd expands %-specifiers in unit files; values we write come from users. */
static char *escape_specifiers(const char *s) {
        size_t n = 0;
        char *r, *p;

        for (const char *q = s; *q; q++)
                n += *q == '%' ? 2 : 1;
        r = malloc(n + 1);
        if (!r)
                return NULL;
        p = r;
        for (const char *q = s; *q; q++) {
                if (*q == '%')
                        *p++ = '%';
                *p++ = *q;
        }
        *p = 0;
        return r;
}

static bool safe_field_value(const char *s) {
        /* LogExtraFields= values are split on blanks and unquoted; keep them to printable ASCII without
         * blanks or quotes */
        for (; *s; s++)
                if (*s <= ' ' || *s >= 127 || *s == '"' || *s == '\'' || *s == '\\')
                        return false;
        return true;
}

int container_resources_to_properties(const ContainerResources *r, ResourceProperties *ret) {
        ResourceProperties p = {
                .memory_max = UINT64_MAX,
                .memory_swap_max = UINT64_MAX,
                .cpu_quota_per_sec_usec = UINT64_MAX,
                .cpu_weight = UINT64_MAX,
                .tasks_max = UINT64_MAX,
                .io_weight = UINT64_MAX,
                .tasks_max_set = r->pids_limit != 0,
                .allowed_cpus = r->cpuset_cpus ?: "",
        };

        if (r->memory > 0) {
                p.memory_max = (uint64_t) r->memory;
                /* Docker: unset means as much swap as memory; -1 means unlimited */
                if (r->memory_swap == 0)
                        p.memory_swap_max = (uint64_t) r->memory;
                else if (r->memory_swap > 0)
                        p.memory_swap_max = (uint64_t) (r->memory_swap - r->memory);
        }
        if (r->nano_cpus > 0)
                p.cpu_quota_per_sec_usec = (uint64_t) r->nano_cpus / 1000;
        /* the kernel's (and runc's) conversions of cgroup v1 weights to v2 */
        if (r->cpu_shares > 0)
                p.cpu_weight = 1 + ((uint64_t) MAX(r->cpu_shares, 2) - 2) * 9999 / 262142;
        if (r->pids_limit > 0)
                p.tasks_max = (uint64_t) r->pids_limit;
        if (r->blkio_weight > 0)
                p.io_weight = 1 + ((uint64_t) r->blkio_weight - 10) * 9999 / 990;
        *ret = p;
        return 0;
}

static void render_limit(FILE *f, const char *name, uint64_t v) {
        if (v == UINT64_MAX)
                fprintf(f, "%s=infinity\n", name);
        else
                fprintf(f, "%s=%llu\n", name, (unsigned long long) v);
}

void container_resources_render(const ContainerResources *r, FILE *f) {
        ResourceProperties p;

        (void) container_resources_to_properties(r, &p);
        render_limit(f, "MemoryMax", p.memory_max);
        render_limit(f, "MemorySwapMax", p.memory_swap_max);
        if (p.cpu_quota_per_sec_usec == UINT64_MAX)
                fprintf(f, "CPUQuota=\n");
        else /* CPUQuota= takes a percentage; 1 CPU is 100%, 1000000 us per second */
                fprintf(f, "CPUQuota=%llu.%02llu%%\n", (unsigned long long) p.cpu_quota_per_sec_usec / 10000,
                        (unsigned long long) p.cpu_quota_per_sec_usec / 100 % 100);
        if (p.cpu_weight == UINT64_MAX)
                fprintf(f, "CPUWeight=\n");
        else
                fprintf(f, "CPUWeight=%llu\n", (unsigned long long) p.cpu_weight);
        fprintf(f, "AllowedCPUs=%s\n", p.allowed_cpus);
        if (p.tasks_max_set)
                render_limit(f, "TasksMax", p.tasks_max);
        if (p.io_weight == UINT64_MAX)
                fprintf(f, "IOWeight=\n");
        else
                fprintf(f, "IOWeight=%llu\n", (unsigned long long) p.io_weight);
}

int container_dropin_render(const Container *c, const char *root, char **ret) {
        _cleanup_free_ char *buf = NULL, *image = NULL, *rootesc = NULL;
        size_t size = 0;
        FILE *f;

        image = escape_specifiers(
                c->image_name && safe_field_value(c->image_name) ? c->image_name : c->image_id);
        if (!image)
                return -ENOMEM;
        if (root) {
                if (!safe_field_value(root))
                        return -EINVAL;
                rootesc = escape_specifiers(root);
                if (!rootesc)
                        return -ENOMEM;
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by berth for container %s (%.12s); `berth rm` deletes it.\n", c->name, c->id);
        fprintf(f, "[Unit]\n");
        /* published ports: starting the container (berth start, systemctl start, boot, Restart=) starts their
         * sockets too; each socket is bound to the container and stops with it, unless --on-demand */
        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *u = container_port_unit_name(c->name, c->ports + i, ".socket");
                if (!u) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "Wants=%s\n", u);
        }
        if (healthcheck_enabled(&c->healthcheck)) {
                _cleanup_free_ char *u = container_health_unit_name(c->name, ".timer");
                if (!u) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "Wants=%s\n", u);
        }
        if (c->restart_policy == RESTART_ON_FAILURE && c->restart_max > 0)
                /* Docker's MaximumRetryCount: N restarts, i.e. N+1 starts, never counting down */
                fprintf(f, "StartLimitIntervalSec=infinity\nStartLimitBurst=%lld\n",
                        (long long) c->restart_max + 1);
        else if (c->restart_policy != RESTART_NO)
                fprintf(f, "StartLimitIntervalSec=0\n");
        fprintf(f, "\n[Service]\n");
        if (rootesc)
                fprintf(f, "Environment=BERTH_ROOT=%s\n", rootesc);
        switch (c->restart_policy) {
        case RESTART_ALWAYS:
        case RESTART_UNLESS_STOPPED:
                fprintf(f, "Restart=always\nRestartSec=100ms\n");
                break;
        case RESTART_ON_FAILURE:
                fprintf(f, "Restart=on-failure\nRestartSec=100ms\n");
                break;
        default:
                fprintf(f, "Restart=no\n");
        }
        if (c->client_removes)
                /* `berth run --rm` in the foreground takes the exit code from systemd and removes the container
                 * itself: no berth-runtime poststop to exec on the way out */
                fprintf(f, "ExecStopPost=\n");
        if (!isempty(c->stop_signal))
                fprintf(f, "KillSignal=%s\n", c->stop_signal);
        /* Docker: -1 waits for ever, 0 kills right after the stop signal; systemd reads 0 as "for ever" */
        if (c->stop_timeout < 0)
                fprintf(f, "TimeoutStopSec=infinity\n");
        else if (c->stop_timeout == 0)
                fprintf(f, "TimeoutStopSec=1ms\n");
        else
                fprintf(f, "TimeoutStopSec=%llds\n", (long long) c->stop_timeout);
        /* Docker's device cgroup: the standard nodes (and ptys) only, plus --device; everything with
         * --privileged. Without this, CAP_MKNOD would let the container create and open the host's disks. */
        if (c->privileged)
                fprintf(f, "DevicePolicy=auto\n");
        else {
                fprintf(f, "DevicePolicy=closed\n");
                for (size_t i = 0; i < c->n_devices; i++) {
                        if (!safe_field_value(c->devices[i].host_path) ||
                                strchr(c->devices[i].host_path, ' ')) {
                                fclose(f);
                                return -EINVAL;
                        }
                        fprintf(f, "DeviceAllow=%s %s\n", c->devices[i].host_path,
                                c->devices[i].permissions);
                }
        }
        container_resources_render(&c->resources, f);
        fprintf(f, "SyslogIdentifier=%.12s\n", c->id);
        fprintf(f, "LogExtraFields=CONTAINER_NAME=%s\n", c->name);
        fprintf(f, "LogExtraFields=CONTAINER_ID=%.12s\n", c->id);
        fprintf(f, "LogExtraFields=CONTAINER_ID_FULL=%s\n", c->id);
        fprintf(f, "LogExtraFields=IMAGE_NAME=%s\n", image);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

char *container_port_unit_name(const char *name, const PortBinding *b, const char *suffix) {
        return asprintf_safe("berth-port-%s@%u%s%s", name, (unsigned) b->host_port,
                b->proto == PORT_PROTO_TCP ? "" : "-udp", suffix);
}

static char *listen_address(const PortBinding *b) {
        if (isempty(b->host_ip))
                return asprintf_safe("%u", (unsigned) b->host_port);
        if (strchr(b->host_ip, ':'))
                return asprintf_safe("[%s]:%u", b->host_ip, (unsigned) b->host_port);
        return asprintf_safe("%s:%u", b->host_ip, (unsigned) b->host_port);
}

int container_port_units_render(const Container *c, const PortBinding *b, char **ret_socket,
        char **ret_service) {
        _cleanup_free_ char *sock = NULL, *svc = NULL, *unit = NULL, *sock_name = NULL, *listen = NULL,
                            *deps = NULL, *proxy_args = NULL, *stop_post = NULL;
        const char *proto = port_proto_to_string(b->proto);
        char host[PORT_BINDING_HOST_MAX];

        if (b->proto < 0 || b->proto >= _PORT_PROTO_MAX || b->host_port == 0 || b->container_port == 0 ||
                !port_host_ip_is_valid(b->host_ip) || c->idle_stop_sec < 0 ||
                c->idle_stop_sec > IDLE_STOP_MAX_SEC)
                return -EINVAL;
        unit = container_unit_name(c->name);
        sock_name = container_port_unit_name(c->name, b, ".socket");
        listen = listen_address(b);
        if (!unit || !sock_name || !listen)
                return -ENOMEM;
        port_binding_host_string(b, host);

        if (c->on_demand)
                /* The socket lives on its own: it listens while the container is stopped, and the proxy
                 * starts the container for the first client. The default dependencies put it before
                 * sockets.target, whose .wants link starts it at boot. */
                deps = strdup("");
        else
                /* Bound to the container: it listens while the container runs, as Docker publishes.
                 * DefaultDependencies=no: the default Before=sockets.target would form a cycle with
                 * After=berth@NAME.service (services come after sockets.target). */
                deps = asprintf_safe("DefaultDependencies=no\n"
                                     "BindsTo=%s\n"
                                     "After=%s\n"
                                     "Conflicts=shutdown.target\n"
                                     "Before=shutdown.target\n",
                        unit, unit);
        if (!deps)
                return -ENOMEM;
        sock = asprintf_safe("# Written by berth for container %s (%.12s); `berth rm` deletes it.\n"
                             "[Unit]\n"
                             "Description=berth published port %s -> %s:%u/%s%s\n"
                             "Documentation=man:berth(1)\n"
                             "%s"
                             "\n"
                             "[Socket]\n"
                             "%s=%s\n"
                             "%s"
                             "Accept=no\n",
                c->name, c->id, host, c->name, (unsigned) b->container_port, proto,
                c->on_demand ? " (on demand)" : "", deps,
                b->proto == PORT_PROTO_UDP ? "ListenDatagram" : "ListenStream", listen,
                isempty(b->host_ip) ? "BindIPv6Only=both\n" : "");

        if (c->idle_stop_sec > 0) {
                proxy_args = asprintf_safe("--on-demand --idle-stop %lld ", (long long) c->idle_stop_sec);
                stop_post = asprintf_safe("ExecStopPost=" BERTH_LIBEXECDIR "/berth-proxy --after-exit %s\n",
                        c->name);
        } else {
                proxy_args = strdup(c->on_demand ? "--on-demand " : "");
                stop_post = strdup("");
        }
        if (!proxy_args || !stop_post)
                return -ENOMEM;
        /* The proxy starts as root with just what it needs to enter the container's network namespace
         * (CAP_SYS_ADMIN, CAP_SYS_PTRACE for /proc/PID/ns) and to drop to nobody right after it
         * (CAP_SETUID, CAP_SETGID); see berth-proxy in ARCHITECTURE.md. On demand it is PartOf= the
         * container instead of BindsTo= it, so starting it does not start the container through systemd
         * (the proxy does, and turns its clients away if that fails), and stopping the container still
         * stops it; with --idle-stop its ExecStopPost= stops an idle container. */
        svc = asprintf_safe("# Written by berth for container %s (%.12s); `berth rm` deletes it.\n"
                            "[Unit]\n"
                            "Description=berth port proxy %s -> %s:%u/%s\n"
                            "Documentation=man:berth(1)\n"
                            "%s=%s\n"
                            "After=%s\n"
                            "Requires=%s\n"
                            "StartLimitIntervalSec=0\n"
                            "\n"
                            "[Service]\n"
                            "ExecStart=" BERTH_LIBEXECDIR "/berth-proxy %s%s %u\n"
                            "%s"
                            "SuccessExitStatus=3\n"
                            "TimeoutStopSec=5\n"
                            "LimitNOFILE=16384\n"
                            "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_SETUID CAP_SETGID\n"
                            "NoNewPrivileges=yes\n"
                            "ProtectSystem=strict\n"
                            "ProtectHome=yes\n"
                            "PrivateTmp=yes\n"
                            "ProtectKernelModules=yes\n"
                            "ProtectKernelLogs=yes\n"
                            "ProtectControlGroups=yes\n"
                            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
                            "RestrictRealtime=yes\n"
                            "LockPersonality=yes\n"
                            "MemoryDenyWriteExecute=yes\n"
                            "SystemCallArchitectures=native\n",
                c->name, c->id, host, c->name, (unsigned) b->container_port, proto,
                c->on_demand ? "PartOf" : "BindsTo", unit, unit, sock_name, proxy_args, c->name,
                (unsigned) b->container_port, stop_post);
        if (!sock || !svc)
                return -ENOMEM;
        *ret_socket = TAKE_PTR(sock);
        *ret_service = TAKE_PTR(svc);
        return 0;
}

int container_port_units_write(const char *unit_dir, const Container *c) {
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (c->n_ports == 0)
                return 0;
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        dfd = open(unit_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *sock = NULL, *svc = NULL, *sock_name = NULL, *svc_name = NULL;

                r = container_port_units_render(c, c->ports + i, &sock, &svc);
                if (r < 0)
                        return r;
                sock_name = container_port_unit_name(c->name, c->ports + i, ".socket");
                svc_name = container_port_unit_name(c->name, c->ports + i, ".service");
                if (!sock_name || !svc_name)
                        return -ENOMEM;
                r = write_file_atomic_at(dfd, svc_name, svc, strlen(svc), 0644);
                if (r < 0)
                        return r;
                r = write_file_atomic_at(dfd, sock_name, sock, strlen(sock), 0644);
                if (r < 0)
                        return r;
                if (c->on_demand) {
                        /* what `systemctl enable` would do: the socket listens from boot on */
                        _cleanup_free_ char *link = strjoin("sockets.target.wants/", sock_name),
                                            *target = strjoin(unit_dir, "/", sock_name);

                        if (!link || !target)
                                return -ENOMEM;
                        if (mkdirat(dfd, "sockets.target.wants", 0755) < 0 && errno != EEXIST)
                                return -errno;
                        if (symlinkat(target, dfd, link) < 0 && errno != EEXIST)
                                return -errno;
                }
        }
        return 0;
}

static int remove_port_files(const char *dir, const char *prefix) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r, ret = 0;

        r = opendir_at(AT_FDCWD, dir, &d);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        while ((de = readdir(d)))
                if (startswith(de->d_name, prefix) &&
                        (endswith(de->d_name, ".socket") || endswith(de->d_name, ".service")) &&
                        unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                        ret = -errno;
        return ret;
}

int container_port_units_remove(const char *unit_dir, const char *name) {
        _cleanup_free_ char *prefix = strjoin("berth-port-", name, "@"),
                            *wants = strjoin(unit_dir, "/sockets.target.wants");
        int r;

        if (!prefix || !wants)
                return -ENOMEM;
        /* container names have no '@', so "berth-port-NAME@" never matches another container's units;
         * the boot links of --on-demand sockets first, so none is left pointing nowhere */
        r = remove_port_files(wants, prefix);
        if (r < 0)
                return r;
        return remove_port_files(unit_dir, prefix);
}

char *container_health_unit_name(const char *name, const char *suffix) {
        return strjoin("berth-health@", name, suffix);
}

int container_health_units_render(const Container *c, const char *root, char **ret_timer,
        char **ret_service) {
        _cleanup_free_ char *timer = NULL, *svc = NULL, *unit = NULL, *env = NULL;
        /* microseconds, as systemd counts */
        unsigned long long interval = (unsigned long long) healthcheck_interval_ns(&c->healthcheck) / 1000,
                           timeout = (unsigned long long) healthcheck_timeout_ns(&c->healthcheck) / 1000;

        if (!healthcheck_enabled(&c->healthcheck))
                return -EINVAL;
        unit = container_unit_name(c->name);
        if (!unit)
                return -ENOMEM;
        if (root) {
                _cleanup_free_ char *rootesc = NULL;
                if (!safe_field_value(root))
                        return -EINVAL;
                rootesc = escape_specifiers(root);
                env = rootesc ? strjoin("Environment=BERTH_ROOT=", rootesc, "\n") : NULL;
        } else
                env = strdup("");
        if (!env)
                return -ENOMEM;
        /* Bound to the container: it runs while the container runs. DefaultDependencies=no, as for the port
         * sockets: the default Before=timers.target would form a cycle with After=berth@NAME.service. The
         * first check comes one interval after the start, as Docker's. */
        timer = asprintf_safe("# Written by berth for container %s (%.12s); `berth rm` deletes it.\n"
                              "[Unit]\n"
                              "Description=berth health checks of container %s\n"
                              "Documentation=man:berth(1)\n"
                              "DefaultDependencies=no\n"
                              "BindsTo=%s\n"
                              "After=%s\n"
                              "Conflicts=shutdown.target\n"
                              "Before=shutdown.target\n"
                              "\n"
                              "[Timer]\n"
                              "OnActiveSec=%lluus\n"
                              "OnUnitActiveSec=%lluus\n"
                              "AccuracySec=1ms\n",
                c->name, c->id, c->name, unit, unit, interval, interval);
        /* `berth healthcheck run` exits 1 for "unhealthy": a result, not a failure of this unit. It enforces
         * the check's timeout itself; systemd's is a backstop. */
        svc = asprintf_safe("# Written by berth for container %s (%.12s); `berth rm` deletes it.\n"
                            "[Unit]\n"
                            "Description=berth health check of container %s\n"
                            "Documentation=man:berth(1)\n"
                            "\n"
                            "[Service]\n"
                            "Type=oneshot\n"
                            "%s"
                            "ExecStart=" BERTH_BINDIR "/berth healthcheck run --from-timer %s\n"
                            "SuccessExitStatus=1\n"
                            "TimeoutStartSec=%lluus\n",
                c->name, c->id, c->name, env, c->name, timeout + 30 * 1000000ULL);
        if (!timer || !svc)
                return -ENOMEM;
        *ret_timer = TAKE_PTR(timer);
        *ret_service = TAKE_PTR(svc);
        return 0;
}

int container_health_units_write(const char *unit_dir, const Container *c, const char *root) {
        _cleanup_free_ char *timer = NULL, *svc = NULL, *timer_name = NULL, *svc_name = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (!healthcheck_enabled(&c->healthcheck))
                return 0;
        r = container_health_units_render(c, root, &timer, &svc);
        if (r < 0)
                return r;
        timer_name = container_health_unit_name(c->name, ".timer");
        svc_name = container_health_unit_name(c->name, ".service");
        if (!timer_name || !svc_name)
                return -ENOMEM;
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        dfd = open(unit_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        r = write_file_atomic_at(dfd, svc_name, svc, strlen(svc), 0644);
        if (r < 0)
                return r;
        return write_file_atomic_at(dfd, timer_name, timer, strlen(timer), 0644);
}

int container_health_units_remove(const char *unit_dir, const char *name) {
        static const char *const suffixes[] = { ".timer", ".service" };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = strjoin(unit_dir, "/berth-health@", name, suffixes[i]);
                if (!p)
                        return -ENOMEM;
                if (unlink(p) < 0 && errno != ENOENT)
                        return -errno;
        }
        return 0;
}

static char *dropin_dir(const char *unit_dir, const char *name) {
        return strjoin(unit_dir, "/berth@", name, ".service.d");
}

int container_dropin_write(const char *unit_dir, const Container *c, const char *root) {
        _cleanup_free_ char *text = NULL, *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (c->stop_signal && !startswith(c->stop_signal, "SIG"))
                return -EINVAL;
        r = container_dropin_render(c, root, &text);
        if (r < 0)
                return r;
        dir = dropin_dir(unit_dir, c->name);
        if (!dir)
                return -ENOMEM;
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return -errno;
        if (container_is_ephemeral(c)) /* see container_save() */
                return write_file_replace_at(dfd, "10-berth.conf", text, strlen(text), 0644);
        return write_file_atomic_at(dfd, "10-berth.conf", text, strlen(text), 0644);
}

static char *wants_link(const char *unit_dir, const char *name) {
        return strjoin(unit_dir, "/multi-user.target.wants/berth@", name, ".service");
}

bool container_is_enabled(const char *unit_dir, const char *name) {
        _cleanup_free_ char *l = wants_link(unit_dir, name);
        struct stat st;

        return l && lstat(l, &st) >= 0;
}

int container_set_enabled(const char *unit_dir, const char *name, bool enabled) {
        _cleanup_free_ char *l = wants_link(unit_dir, name),
                            *dir = strjoin(unit_dir, "/multi-user.target.wants");

        if (!l || !dir)
                return -ENOMEM;
        if (!enabled)
                return unlink(l) < 0 && errno != ENOENT ? -errno : 0;
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (symlink(BERTH_SYSTEM_UNIT_DIR "/berth@.service", l) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static bool dir_is_empty_at(int dfd, const char *name) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd;

        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return false;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return false;
        return true;
}

int container_name_reusable(int root_fd, const char *unit_dir, size_t max, char ***ret) {
        _cleanup_closedir_ DIR *d = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        d = opendir(unit_dir);
        if (!d) {
                *ret = NULL;
                return errno == ENOENT ? 0 : -errno;
        }
        while (n < max && (de = readdir(d))) {
                _cleanup_free_ char *name = NULL, *cdir = NULL;
                const char *e;
                struct stat st;

                if (!startswith(de->d_name, "berth@") || !(e = endswith(de->d_name, ".service.d")))
                        continue;
                name = strndup(de->d_name + strlen("berth@"), (size_t) (e - de->d_name) - strlen("berth@"));
                if (!name)
                        goto oom;
                /* most are the drop-ins of existing containers: one faccessat() rules those out */
                cdir = strjoin("containers/", name);
                if (!cdir)
                        goto oom;
                if (!container_name_is_valid(name) ||
                        faccessat(root_fd, cdir, F_OK, AT_SYMLINK_NOFOLLOW) >= 0 ||
                        fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                        !S_ISDIR(st.st_mode) || !dir_is_empty_at(dirfd(d), de->d_name))
                        continue;
                if (strv_consume(&names, TAKE_PTR(name)) < 0)
                        goto oom;
                n++;
        }
        *ret = names;
        return (int) n;
oom:
        strv_free(names);
        return -ENOMEM;
}

int container_files_remove(int root_fd, const char *unit_dir, const char *name, const Container *c) {
        _cleanup_free_ char *src = NULL, *dst = NULL, *dir = NULL, *control = NULL;
        _cleanup_(container_freep) Container *loaded = NULL;
        bool keep_dir;
        int r;

        if (!container_name_is_valid(name))
                return -EINVAL;
        /* A generated name's drop-in directory stays, empty, for the next generated name (see
         * container_name_reusable()): a new directory changes the mtime of the unit directory, and systemd
         * then rebuilds its whole unit-file map at the next load, milliseconds on every `run --rm`. */
        if (!c && container_load(root_fd, name, &loaded) >= 0)
                c = loaded;
        keep_dir = c && c->name_generated;
        src = strjoin("containers/", name);
        dst = strjoin("tmp/rm-container-", name);
        dir = dropin_dir(unit_dir, name);
        if (!src || !dst || !dir)
                return -ENOMEM;

        (void) rm_rf_at(root_fd, dst);
        if (renameat(root_fd, src, root_fd, dst) < 0 && errno != ENOENT)
                return -errno;
        r = container_set_enabled(unit_dir, name, false);
        if (r < 0)
                return r;
        r = container_port_units_remove(unit_dir, name);
        if (r < 0)
                return r;
        r = container_health_units_remove(unit_dir, name);
        if (r < 0)
                return r;
        r = keep_dir ? rm_rf_children_at(AT_FDCWD, dir) : rm_rf_at(AT_FDCWD, dir);
        if (r < 0)
                return r;
        /* what `berth update` made systemd persist (SetUnitProperties) */
        control = strjoin(unit_dir, ".control/berth@", name, ".service.d");
        if (!control)
                return -ENOMEM;
        r = rm_rf_at(AT_FDCWD, control);
        if (r < 0)
                return r;
        return rm_rf_at(root_fd, dst);
}
