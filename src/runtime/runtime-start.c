/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capability-util.h"
#include "container.h"
#include "exit-status.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "mount-util.h"
#include "notify.h"
#include "runtime-child.h"
#include "seccomp-profile.h"
#include "stdio-handover.h"
#include "tty-holder.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-shims.h"
#include "time-util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OVERLAY_OPTIONS_MAX 4095 /* mount(2) copies one page of options */

/* Everything the child needs, built before clone(); the strings live in "strings". */
typedef struct StartContext {
        Container *container;
        ChildSpec spec;
        ChildMount *mounts;
        size_t n_mounts;
        ChildDevice *devices;
        size_t n_devices;
        ConfineRlimit *rlimits;
        char **sysctls;
        void *seccomp;
        int userns_fd; /* --userns=auto */
        int *lower_fds;
        char **lower_dirs;
        size_t n_lower;
        char **strings; /* owns the strings the spec points to */
        char **argv;
        char **env;
        char hostname[65];
        char short_id[13];
} StartContext;

static void start_context_done(StartContext *s) {
        container_free(s->container);
        free(s->mounts);
        free(s->devices);
        free(s->rlimits);
        strv_free(s->sysctls);
        free(s->seccomp);
        safe_close(s->userns_fd);
        for (size_t i = 0; i < 3; i++)
                safe_close(s->spec.stdio_fds[i]);
        safe_close(s->spec.tty_sock);
        for (size_t i = 0; i < s->n_lower; i++)
                safe_close(s->lower_fds[i]);
        free(s->lower_fds);
        strv_free(s->lower_dirs);
        strv_free(s->strings);
        strv_free(s->argv);
        strv_free(s->env);
}

/* Keeps s alive in ctx and returns it (NULL on OOM, also when s is NULL). */
static const char *own(StartContext *ctx, char *s) {
        if (!s)
                return NULL;
        if (strv_consume(&ctx->strings, s) < 0)
                return NULL;
        return s;
}

static void now_rfc3339(char buf[static 64]) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        format_rfc3339_nano((uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000, buf, 64);
}

static ChildMount *add_mount(StartContext *ctx) {
        ChildMount *m = reallocarray(ctx->mounts, ctx->n_mounts + 1, sizeof(ChildMount));

        if (!m)
                return NULL;
        ctx->mounts = m;
        m += ctx->n_mounts++;
        *m = (ChildMount){};
        return m;
}

static int add_fs(StartContext *ctx, const char *fstype, const char *target, unsigned long flags,
        const char *data, bool optional) {
        ChildMount *m = add_mount(ctx);

        if (!m)
                return -ENOMEM;
        *m = (ChildMount){
                .kind = CHILD_MOUNT_FS,
                .source = fstype,
                .target = target,
                .fstype = fstype,
                .flags = flags,
                .data = data,
                .optional = optional,
        };
        return 0;
}

static int add_bind(StartContext *ctx, const char *source, const char *target, bool file, bool read_only) {
        ChildMount *m = add_mount(ctx);

        if (!m)
                return -ENOMEM;
        *m = (ChildMount){
                .kind = CHILD_MOUNT_BIND,
                .source = source,
                .target = target,
                .file = file,
                .read_only = read_only,
        };
        return 0;
}

static size_t path_depth(const char *p) {
        size_t n = 0;

        for (; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        n++;
        return n;
}

/* A user namespace mapping IDs 0..size-1 to host_id.., held by a short-lived child of ours. */
static int userns_create(uint32_t host_id, uint32_t size, int *ret_fd) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF, fd = -EBADF;
        char path[64], map[64];
        int fds[2], r = 0;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        pid = sys_clone_fork(CLONE_NEWUSER);
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char c;

                wfd = safe_close(wfd);
                (void) !read(rfd, &c, 1); /* until the parent is done with us */
                _exit(0);
        }
        snprintf(map, sizeof(map), "0 %" PRIu32 " %" PRIu32 "\n", host_id, size);
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                _cleanup_close_ int mfd = -EBADF;

                snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, i == 0 ? "uid_map" : "gid_map");
                mfd = open(path, O_WRONLY | O_CLOEXEC);
                if (mfd < 0)
                        r = -errno;
                else if (write(mfd, map, strlen(map)) != (ssize_t) strlen(map))
                        r = errno > 0 ? -errno : -EIO;
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = -errno;
        }
        wfd = safe_close(wfd);
        (void) waitpid(pid, NULL, 0);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* --userns=auto: an idmapped clone of the layer at dir (relative to ROOT), to be attached at
 * containers/NAME/lower/K inside the container's mount namespace; returns that path. */
static const char *lower_idmapped(int root_fd, StartContext *ctx, const char *dir, char **reterr_msg) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *stage = NULL;
        int *fds;

        stage = asprintf_safe("containers/%s/lower/%zu", ctx->container->name, ctx->n_lower);
        if (!stage || mkdir_p_at(root_fd, stage, 0700) < 0)
                return NULL;
        fd = sys_open_tree(root_fd, dir, BERTH_OPEN_TREE_CLONE | O_CLOEXEC);
        if (fd < 0 || sys_mount_setattr_idmap(fd, ctx->userns_fd) < 0) {
                *reterr_msg =
                        asprintf_safe("idmapped mount of image layer '%s' (needs Linux 5.19): %m", dir);
                return NULL;
        }
        fds = reallocarray(ctx->lower_fds, ctx->n_lower + 1, sizeof(int));
        if (!fds)
                return NULL;
        ctx->lower_fds = fds;
        if (strv_extend(&ctx->lower_dirs, stage) < 0)
                return NULL;
        ctx->lower_fds[ctx->n_lower++] = TAKE_FD(fd);
        return ctx->lower_dirs[ctx->n_lower - 1];
}

/* The overlay: the image's layers, topmost first, below the container's own upper layer. */
static int build_overlay(int root_fd, StartContext *ctx, char **reterr_msg) {
        const Container *c = ctx->container;
        _cleanup_free_ char *lower = NULL, *opts = NULL, *empty = NULL;
        size_t n = strv_length(c->layers);
        int r;

        for (size_t i = n; i > 0; i--) {
                const char *hex = c->layers[i - 1] + strlen("sha256:");
                _cleanup_free_ char *dir = strjoin("layers/", hex, "/diff");
                struct stat st;
                char *l;

                if (!dir)
                        return -ENOMEM;
                if (fstatat(root_fd, dir, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
                        r = errno > 0 ? -errno : -ENOTDIR;
                        *reterr_msg = asprintf_safe("image layer '%s' is missing from the store",
                                c->layers[i - 1]);
                        return r;
                }
                if (c->userns_auto) {
                        const char *stage = lower_idmapped(root_fd, ctx, dir, reterr_msg);
                        if (!stage)
                                return *reterr_msg ? -EPERM : -ENOMEM;
                        l = lower ? strjoin(lower, ":", stage) : strdup(stage);
                } else
                        l = lower ? strjoin(lower, ":", dir) : strdup(dir);
                if (!l)
                        return -ENOMEM;
                free(lower);
                lower = l;
        }
        if (!lower) {
                /* overlayfs needs a lower layer; an image without layers gets an empty one */
                empty = strjoin("containers/", c->name, "/empty");
                if (!empty)
                        return -ENOMEM;
                r = mkdir_p_at(root_fd, empty, 0755);
                if (r < 0)
                        return r;
                lower = TAKE_PTR(empty);
                if (c->userns_auto) {
                        const char *stage = lower_idmapped(root_fd, ctx, lower, reterr_msg);
                        if (!stage)
                                return *reterr_msg ? -EPERM : -ENOMEM;
                        free(lower);
                        lower = strdup(stage);
                        if (!lower)
                                return -ENOMEM;
                }
        }
        opts = asprintf_safe("lowerdir=%s,upperdir=containers/%s/upper,workdir=containers/%s/work", lower,
                c->name, c->name);
        if (!opts)
                return -ENOMEM;
        if (strlen(opts) > OVERLAY_OPTIONS_MAX) {
                *reterr_msg = asprintf_safe("the image has too many layers (%zu)", n);
                return -E2BIG;
        }
        ctx->spec.overlay_volatile = container_is_ephemeral(c);
        ctx->spec.overlay = own(ctx, TAKE_PTR(opts));
        return ctx->spec.overlay ? 0 : -ENOMEM;
}

/* hostname, hosts and resolv.conf, generated beside the config and bind-mounted over the image's. */
static int write_etc_files(int root_fd, StartContext *ctx) {
        const Container *c = ctx->container;
        _cleanup_free_ char *hostname = NULL, *hosts = NULL, *resolv = NULL;
        static const char *const names[] = { "hostname", "hosts", "resolv.conf" };
        int r;

        hostname = strjoin(ctx->hostname, "\n");
        hosts = asprintf_safe("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                ctx->hostname);
        if (!hostname || !hosts)
                return -ENOMEM;
        if (c->network_mode == NETWORK_HOST) {
                r = read_full_file_at(AT_FDCWD, "/etc/resolv.conf", 1024 * 1024, &resolv, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
        } else
                resolv = strdup("# berth: network mode 'none' has no DNS servers\n");
        if (!resolv && !(resolv = strdup("")))
                return -ENOMEM;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *text = i == 0 ? hostname : i == 1 ? hosts : resolv;
                const char *src = own(ctx, strjoin("containers/", c->name, "/", names[i]));
                const char *dst = own(ctx, strjoin("/etc/", names[i]));

                if (!src || !dst)
                        return -ENOMEM;
                r = write_file_replace_at(root_fd, src, text, strlen(text), 0644);
                if (r < 0)
                        return r;
                r = add_bind(ctx, src, dst, /* file= */ true, /* read_only= */ false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_user_mounts(StartContext *ctx, char **reterr_msg) {
        const Container *c = ctx->container;
        _cleanup_free_ size_t *order = NULL;
        int r;

        if (c->n_mounts == 0)
                return 0;
        /* parents before children, whatever order they were given in (stable, like Docker's sort) */
        order = calloc(c->n_mounts, sizeof(size_t));
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_mounts; i++) {
                size_t j = i;

                for (; j > 0 && path_depth(c->mounts[order[j - 1]].target) > path_depth(c->mounts[i].target);
                        j--)
                        order[j] = order[j - 1];
                order[j] = i;
        }

        for (size_t k = 0; k < c->n_mounts; k++) {
                const ContainerMount *cm = c->mounts + order[k];
                struct stat st;

                if (cm->type == MOUNT_BIND) {
                        if (stat(cm->source, &st) < 0) {
                                r = -errno;
                                *reterr_msg = r == -ENOENT
                                        ? asprintf_safe("bind source path does not exist: %s", cm->source)
                                        : asprintf_safe("bind source path '%s': %s", cm->source,
                                                  strerror(-r));
                                return r;
                        }
                        r = add_bind(ctx, cm->source, cm->target, !S_ISDIR(st.st_mode), cm->read_only);
                } else {
                        unsigned long flags;
                        char *data;

                        r = mount_options_parse(cm->options, &flags, &data);
                        if (r < 0)
                                return r;
                        if (data && !own(ctx, data))
                                return -ENOMEM;
                        /* Docker's defaults for --tmpfs */
                        flags |= MS_NOSUID | MS_NODEV | (cm->read_only ? MS_RDONLY : 0);
                        if (!cm->options || !strstr(cm->options, "exec"))
                                flags |= MS_NOEXEC;
                        r = add_fs(ctx, "tmpfs", cm->target, flags, data, /* optional= */ false);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Docker's masked and read-only paths (kept from the container unless --privileged) */
static const char *const masked_paths[] = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/sys/devices/virtual/powercap",
        "/sys/firmware",
        NULL,
};

static const char *const read_only_paths[] = {
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
        NULL,
};

static int add_device(StartContext *ctx, const char *source, const char *target, char **reterr_msg) {
        ChildDevice *d;
        struct stat st;

        if (stat(source, &st) < 0) {
                int r = -errno;
                *reterr_msg = asprintf_safe("device '%s': %s", source, strerror(-r));
                return r;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
                *reterr_msg = asprintf_safe("device '%s' is not a character or block device", source);
                return -ENODEV;
        }
        d = reallocarray(ctx->devices, ctx->n_devices + 1, sizeof(ChildDevice));
        if (!d)
                return -ENOMEM;
        ctx->devices = d;
        ctx->devices[ctx->n_devices++] = (ChildDevice){
                .source = source,
                .target = target,
                .mode = (unsigned) (st.st_mode & (S_IFMT | 07777)),
                .dev = (unsigned long long) st.st_rdev,
        };
        return 0;
}

/* --device nodes; with --privileged every device node directly below the host's /dev too, as Docker */
static int build_devices(StartContext *ctx, char **reterr_msg) {
        const Container *c = ctx->container;
        int r;

        for (size_t i = 0; i < c->n_devices; i++) {
                r = add_device(ctx, c->devices[i].host_path, c->devices[i].container_path, reterr_msg);
                if (r < 0)
                        return r;
        }
        if (c->privileged) {
                _cleanup_closedir_ DIR *d = opendir("/dev");
                struct dirent *de;

                while (d && (de = readdir(d))) {
                        const char *src, *dst;
                        struct stat st;

                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                                (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) ||
                                streq(de->d_name, "console") || streq(de->d_name, "ptmx"))
                                continue;
                        src = own(ctx, strjoin("/dev/", de->d_name));
                        dst = src;
                        if (!src)
                                return -ENOMEM;
                        r = add_device(ctx, src, dst, reterr_msg);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int build_limits(StartContext *ctx) {
        const Container *c = ctx->container;

        if (c->n_ulimits > 0) {
                ctx->rlimits = calloc(c->n_ulimits, sizeof(ConfineRlimit));
                if (!ctx->rlimits)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_ulimits; i++)
                ctx->rlimits[i] = (ConfineRlimit){
                        .resource = rlimit_from_name(c->ulimits[i].name),
                        .soft = c->ulimits[i].soft < 0 ? RLIM_INFINITY
                                                       : (unsigned long long) c->ulimits[i].soft,
                        .hard = c->ulimits[i].hard < 0 ? RLIM_INFINITY
                                                       : (unsigned long long) c->ulimits[i].hard,
                };
        STRV_FOREACH(kv, c->sysctls) {
                _cleanup_free_ char *p = strjoin("/proc/sys/", *kv);
                size_t n;

                if (!p)
                        return -ENOMEM;
                n = strcspn(p, "=");
                for (size_t i = strlen("/proc/sys/"); i < n; i++)
                        if (p[i] == '.')
                                p[i] = '/';
                if (strv_consume(&ctx->sysctls, TAKE_PTR(p)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Compiling a profile takes libseccomp ~90 ms, as long as the rest of a start: the program is cached, for
 * the built-in profile in ROOT/cache/seccomp/ (shared by every container with the same capabilities), for a
 * custom one in the container's directory. A cache file is a line naming everything the program depends on
 * (berth and libseccomp versions, kernel, architecture, capabilities, profile), then the program; a file
 * with another first line is stale and replaced. */
static int seccomp_cache_read(int root_fd, const char *path, const char *key, void **ret_prog,
        size_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        size_t n, k = strlen(key);
        void *prog;

        if (read_full_file_at(root_fd, path, 1024 * 1024, &text, &n) < 0 || n <= k + 1 ||
                memcmp(text, key, k) != 0 || text[k] != '\n' || (n - k - 1) % 8 != 0)
                return -ENOENT;
        prog = malloc(n - k - 1);
        if (!prog)
                return -ENOMEM;
        memcpy(prog, text + k + 1, n - k - 1);
        *ret_prog = prog;
        *ret_size = n - k - 1;
        return 0;
}

static void seccomp_cache_write(int root_fd, const char *path, const char *key, const void *prog,
        size_t size) {
        _cleanup_free_ char *data = NULL, *dir = NULL;
        size_t k = strlen(key);

        data = malloc(k + 1 + size);
        dir = strndup(path, (size_t) (strrchr(path, '/') - path));
        if (!data || !dir || mkdir_p_at(root_fd, dir, 0700) < 0)
                return;
        memcpy(data, key, k);
        data[k] = '\n';
        memcpy(data + k + 1, prog, size);
        if (write_file_replace_at(root_fd, path, data, k + 1 + size, 0600) < 0)
                log_debug("Failed to cache the seccomp program in '%s', ignoring", path);
}

/* The seccomp filter as BPF, for the container and, in containers/NAME/seccomp.bpf, for berth-exec. */
static int build_seccomp(int root_fd, StartContext *ctx, uint64_t caps, char **reterr_msg) {
        const Container *c = ctx->container;
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_free_ char *bpf_path = strjoin("containers/", c->name, "/seccomp.bpf"), *cache = NULL,
                            *key = NULL, *text = NULL;
        _cleanup_free_ void *prog = NULL;
        bool custom = c->seccomp == SECCOMP_MODE_CUSTOM;
        char *msg = NULL;
        size_t size = 0, n = 0;
        int r;

        if (!bpf_path)
                return -ENOMEM;
        if (c->privileged || c->seccomp == SECCOMP_MODE_UNCONFINED) {
                if (unlinkat(root_fd, bpf_path, 0) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        if (custom) {
                _cleanup_free_ char *path = strjoin("containers/", c->name, "/seccomp.json");

                if (!path)
                        return -ENOMEM;
                r = read_full_file_at(root_fd, path, 4u * 1024u * 1024u, &text, &n);
                if (r < 0) {
                        *reterr_msg = asprintf_safe("read seccomp profile %s: %s", path, strerror(-r));
                        return r;
                }
                cache = strjoin("containers/", c->name, "/seccomp.cache");
        } else
                cache = asprintf_safe("cache/seccomp/default-%016" PRIx64 ".bpf", caps);
        r = seccomp_profile_cache_key(custom ? text : NULL, caps, &key);
        if (r < 0 || !cache)
                return -ENOMEM;

        if (seccomp_cache_read(root_fd, cache, key, &prog, &size) < 0) {
                r = custom ? seccomp_profile_parse(text, n, &p, &msg) : seccomp_profile_new_default(&p);
                if (r >= 0)
                        r = seccomp_profile_compile(p, caps, &prog, &size, &msg);
                if (r < 0) {
                        *reterr_msg = asprintf_safe("seccomp profile: %s", msg ?: strerror(-ERRNO_VALUE(r)));
                        free(msg);
                        return r;
                }
                seccomp_cache_write(root_fd, cache, key, prog, size);
        }
        r = write_file_replace_at(root_fd, bpf_path, prog, size, 0600);
        if (r < 0) {
                *reterr_msg = asprintf_safe("write %s: %s", bpf_path, strerror(-r));
                return r;
        }
        ctx->seccomp = TAKE_PTR(prog);
        ctx->spec.confine.seccomp = ctx->seccomp;
        ctx->spec.confine.seccomp_size = size;
        return 0;
}

/* --userns=auto: the container's root owns its writable layer and the /etc files it may rewrite, and may
 * bind the ports Docker lets it bind (its network namespace belongs to the host's user namespace). */
static int build_userns(int root_fd, StartContext *ctx) {
        static const char *const owned[] = { "upper", "hostname", "hosts", "resolv.conf" };
        const Container *c = ctx->container;

        if (!c->userns_auto)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(owned); i++) {
                _cleanup_free_ char *p = strjoin("containers/", c->name, "/", owned[i]);

                if (!p)
                        return -ENOMEM;
                if (fchownat(root_fd, p, c->userns_host_id, c->userns_host_id, AT_SYMLINK_NOFOLLOW) < 0 &&
                        errno != ENOENT)
                        return -errno;
        }
        if (c->network_mode != NETWORK_HOST) {
                bool set = false;

                STRV_FOREACH(kv, c->sysctls)
                        set = set || startswith(*kv, "net.ipv4.ip_unprivileged_port_start=");
                if (!set &&
                        strv_extend(&ctx->sysctls, "/proc/sys/net/ipv4/ip_unprivileged_port_start=0") < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int build_confinement(int root_fd, StartContext *ctx, char **reterr_msg) {
        const Container *c = ctx->container;
        ChildSpec *s = &ctx->spec;
        uint64_t caps;
        int r;

        r = container_capabilities(c, &caps);
        if (r < 0) {
                *reterr_msg = strdup("unknown capability in CapAdd or CapDrop");
                return r;
        }
        r = build_devices(ctx, reterr_msg);
        if (r < 0)
                return r;
        r = build_limits(ctx);
        if (r < 0)
                return r;
        r = build_seccomp(root_fd, ctx, caps, reterr_msg);
        if (r < 0)
                return r;
        r = build_userns(root_fd, ctx);
        if (r < 0) {
                *reterr_msg = asprintf_safe("prepare the user namespace: %s", strerror(-r));
                return r;
        }
        s->confine.caps = caps;
        s->confine.userns_fd = ctx->userns_fd;
        s->confine.no_new_privs = c->no_new_privileges;
        s->confine.rlimits = ctx->rlimits;
        s->confine.n_rlimits = c->n_ulimits;
        s->devices = ctx->devices;
        s->n_devices = ctx->n_devices;
        s->sysctls = ctx->sysctls;
        s->masked_paths = c->privileged ? NULL : masked_paths;
        s->read_only_paths = c->privileged ? NULL : read_only_paths;
        s->read_only_root = c->read_only;
        return 0;
}

static int build_spec(const char *root, int root_fd, StartContext *ctx, char **reterr_msg) {
        const Container *c = ctx->container;
        ChildSpec *s = &ctx->spec;
        const char *init = NULL;
        bool has_path = false, has_hostname = false;
        int r;

        memcpy(ctx->short_id, c->id, 12);
        ctx->short_id[12] = 0;
        snprintf(ctx->hostname, sizeof(ctx->hostname), "%s",
                isempty(c->hostname) ? ctx->short_id : c->hostname);

        static const char *const dirs[] = { "upper", "work", "rootfs" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = strjoin("containers/", c->name, "/", dirs[i]);

                if (!p)
                        return -ENOMEM;
                r = mkdir_p_at(root_fd, p, 0755);
                if (r < 0) {
                        *reterr_msg = asprintf_safe("create '%s': %s", p, strerror(-r));
                        return r;
                }
        }
        if (container_is_ephemeral(c)) {
                /* A "volatile" overlay leaves work/work/incompat/volatile behind, and overlayfs refuses to
                 * mount over it again. A --rm container runs once as a rule; one started again (its client
                 * was killed) keeps its upper layer as it is. */
                _cleanup_free_ char *p = strjoin("containers/", c->name, "/work/work/incompat/volatile");

                if (!p)
                        return -ENOMEM;
                r = rm_rf_at(root_fd, p);
                if (r < 0)
                        log_debug_errno(r, "Cannot remove '%s', ignoring: %m", p);
        }
        if (c->userns_auto) {
                r = userns_create(c->userns_host_id, c->userns_size, &ctx->userns_fd);
                if (r < 0) {
                        *reterr_msg = asprintf_safe("create user namespace: %s", strerror(-r));
                        return r;
                }
        }
        r = build_overlay(root_fd, ctx, reterr_msg);
        if (r < 0)
                return r;
        s->lower_fds = ctx->lower_fds;
        s->lower_dirs = ctx->lower_dirs;
        s->n_lower = ctx->n_lower;

        if (c->init) {
                init = getenv("BERTH_INIT") ?: BERTH_LIBEXECDIR "/berth-init";
                if (access(init, X_OK) < 0) {
                        r = -errno;
                        *reterr_msg = asprintf_safe("--init: '%s': %s", init, strerror(-r));
                        return r;
                }
        }

        /* the container's own /proc, /dev and /sys, as Docker sets them up */
        r = add_fs(ctx, "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false);
        if (r >= 0)
                r = add_fs(ctx, "tmpfs", "/dev", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", false);
        if (r >= 0)
                r = add_fs(ctx, "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
                        own(ctx,
                                asprintf_safe("newinstance,ptmxmode=0666,mode=0620,gid=%" PRIu32,
                                        5 + (c->userns_auto ? c->userns_host_id : 0))),
                        false);
        if (r >= 0) {
                const char *shm = own(ctx,
                        asprintf_safe("mode=1777,size=%lld",
                                (long long) (c->shm_size > 0 ? c->shm_size : 64 * 1024 * 1024)));
                r = shm ? add_fs(ctx, "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm, false)
                        : -ENOMEM;
        }
        if (r >= 0)
                r = add_fs(ctx, "mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true);
        if (r >= 0)
                r = add_fs(ctx, "sysfs", "/sys",
                        (c->privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false);
        if (r >= 0 && init)
                r = add_bind(ctx, init, "/dev/init", /* file= */ true, /* read_only= */ true);
        if (r >= 0 && c->sd_notify == SD_NOTIFY_CONTAINER) {
                /* --sdnotify=container: systemd's notification socket, at the path Podman uses */
                const char *sock = getenv("NOTIFY_SOCKET");

                if (!sock || sock[0] != '/') {
                        *reterr_msg =
                                asprintf_safe("--sdnotify=container: $NOTIFY_SOCKET is %s, not a socket "
                                              "path that can be bound into the container",
                                        sock ? sock : "not set");
                        return -EINVAL;
                }
                r = add_bind(ctx, sock, "/run/notify", /* file= */ true, /* read_only= */ false);
        }
        if (r < 0)
                return r;
        r = write_etc_files(root_fd, ctx);
        if (r < 0) {
                *reterr_msg = asprintf_safe("write /etc/hosts, hostname, resolv.conf: %s", strerror(-r));
                return r;
        }
        r = add_user_mounts(ctx, reterr_msg);
        if (r < 0)
                return r;
        r = build_confinement(root_fd, ctx, reterr_msg);
        if (r < 0)
                return r;

        /* argv: with --init, berth-init runs the command and stays PID 1 */
        if (init && (strv_extend(&ctx->argv, "/dev/init") < 0 || strv_extend(&ctx->argv, "--") < 0))
                return -ENOMEM;
        if (strv_extend(&ctx->argv, c->path) < 0)
                return -ENOMEM;
        STRV_FOREACH(a, c->args)
                if (strv_extend(&ctx->argv, *a) < 0)
                        return -ENOMEM;

        /* env: HOSTNAME, the config's Env, PATH if missing, then a spare slot the child fills with HOME */
        STRV_FOREACH(e, c->env) {
                has_path = has_path || startswith(*e, "PATH=");
                has_hostname = has_hostname || startswith(*e, "HOSTNAME=");
                s->env_has_home = s->env_has_home || startswith(*e, "HOME=");
        }
        if (!has_hostname && strv_consume(&ctx->env, strjoin("HOSTNAME=", ctx->hostname)) < 0)
                return -ENOMEM;
        STRV_FOREACH(e, c->env)
                if (strv_extend(&ctx->env, *e) < 0)
                        return -ENOMEM;
        if (!has_path && strv_extend(&ctx->env, DEFAULT_PATH) < 0)
                return -ENOMEM;
        if (c->sd_notify == SD_NOTIFY_CONTAINER && strv_extend(&ctx->env, "NOTIFY_SOCKET=/run/notify") < 0)
                return -ENOMEM;
        if (strv_extend(&ctx->env, "HOME=/") < 0) /* placeholder, replaced below */
                return -ENOMEM;
        free(ctx->env[strv_length(ctx->env) - 1]);
        ctx->env[strv_length(ctx->env) - 1] = NULL;

        s->store = root;
        s->rootfs = own(ctx, strjoin("containers/", c->name, "/rootfs"));
        if (!s->rootfs)
                return -ENOMEM;
        s->new_netns = c->network_mode != NETWORK_HOST;
        s->sysfs_bind = !s->new_netns;
        s->mounts = ctx->mounts;
        s->n_mounts = ctx->n_mounts;
        s->hostname = ctx->hostname;
        s->working_dir = isempty(c->working_dir) ? "/" : c->working_dir;
        s->user = c->user ?: "";
        s->exec_path = ctx->argv[0];
        s->argv = ctx->argv;
        s->env = ctx->env;
        s->journal_identifier = ctx->short_id;
        s->unit = own(ctx, strjoin("berth@", c->name, ".service"));
        if (!s->unit)
                return -ENOMEM;
        return 0;
}

/* -i/-t: `berth run` listens on the handover socket while it starts us and sends its stdio, or asks for a
 * pty (stdio-handover.h). Without anyone listening (`berth start`, a restart by systemd), the container
 * keeps the unit's stdio: /dev/null and the journal. */
static void stdio_connect(StartContext *ctx) {
        const Container *c = ctx->container;
        _cleanup_close_ int sock = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        StdioHandover msg;
        size_t n = 0;
        int r;

        if (!c->tty && !c->open_stdin)
                return;
        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), STDIO_HANDOVER_DIR "/%s.sock", c->name) >=
                sizeof(sa.sun_path))
                return;
        sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int pair[2];

                log_debug_errno(-errno, "No terminal or stdio to take over at '%s': %m", sa.sun_path);
                /* -t in the background: the pty's master goes to a holder that `berth attach` talks to */
                if (!c->tty || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                        return;
                if (tty_holder_start(c->name, pair[1]) < 0) {
                        safe_close(pair[0]);
                        safe_close(pair[1]);
                        return;
                }
                safe_close(pair[1]);
                ctx->spec.tty_sock = pair[0];
                ctx->spec.tty_rows = 24;
                ctx->spec.tty_cols = 80;
                ctx->spec.tty_uid_shift = c->userns_auto ? c->userns_host_id : 0;
                return;
        }
        r = stdio_handover_recv(sock, 5000, &msg, ctx->spec.stdio_fds, &n);
        if (r < 0) {
                log_debug_errno(r, "Failed to take over the caller's terminal or stdio: %m");
                return;
        }
        if (msg.mode == 't') {
                ctx->spec.tty_sock = TAKE_FD(sock);
                ctx->spec.tty_rows = msg.size.ws_row;
                ctx->spec.tty_cols = msg.size.ws_col;
                ctx->spec.tty_uid_shift = c->userns_auto ? c->userns_host_id : 0;
        }
}

/* container_load(), with the reason when the config is malformed */
static int load_config(int root_fd, const char *name, Container **ret, char **reterr_msg) {
        _cleanup_free_ char *path = strjoin("containers/", name, "/config.json"), *text = NULL;
        const char *reason = NULL;
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file_at(root_fd, path, 4u * 1024u * 1024u, &text, &size);
        if (r == -ENOENT)
                *reterr_msg = strdup("no such container");
        else if (r < 0)
                *reterr_msg = asprintf_safe("read %s: %s", path, strerror(-r));
        else {
                r = container_from_json(text, size, ret, &reason);
                if (r < 0)
                        *reterr_msg =
                                asprintf_safe("invalid %s: %s", path, reason ?: strerror(-ERRNO_VALUE(r)));
        }
        return r;
}

/* Turns the child's failure record into a message and Docker's exit code. */
static char *format_child_failure(const StartContext *ctx, const ChildRecord *rec, int *ret_exit_code) {
        const char *stage = child_stage_to_string(rec->stage) ?: "set up container";
        const ChildMount *m =
                rec->index >= 0 && (size_t) rec->index < ctx->n_mounts ? ctx->mounts + rec->index : NULL;
        const char *err = strerror(rec->error);

        *ret_exit_code = EXIT_SETUP_FAILED;
        switch (rec->stage) {
        case CHILD_STAGE_EXEC:
                *ret_exit_code = exit_code_from_exec_errno(rec->error);
                return asprintf_safe("exec '%s': %s", ctx->container->path, err);
        case CHILD_STAGE_USER_NOT_FOUND:
                return asprintf_safe("unable to find user %.*s: no matching entries in passwd file",
                        (int) strcspn(ctx->spec.user, ":"), ctx->spec.user);
        case CHILD_STAGE_GROUP_NOT_FOUND:
                return asprintf_safe("unable to find group %s: no matching entries in group file",
                        strchr(ctx->spec.user, ':') ? strchr(ctx->spec.user, ':') + 1 : ctx->spec.user);
        case CHILD_STAGE_USER_SPEC:
                return asprintf_safe("invalid user '%s'", ctx->spec.user);
        case CHILD_STAGE_WORKDIR:
                return asprintf_safe("%s '%s': %s", stage, ctx->spec.working_dir, err);
        case CHILD_STAGE_DEVICE:
                if (rec->index >= 0 && (size_t) rec->index < ctx->n_devices)
                        return asprintf_safe("%s '%s' from '%s': %s", stage, ctx->devices[rec->index].target,
                                ctx->devices[rec->index].source, err);
                break;
        case CHILD_STAGE_SYSCTL:
                if (rec->index >= 0 && (size_t) rec->index < strv_length(ctx->sysctls))
                        return asprintf_safe("%s %s: %s", stage,
                                ctx->sysctls[rec->index] + strlen("/proc/sys/"), err);
                break;
        case CHILD_STAGE_RLIMIT:
                if (rec->index >= 0 && (size_t) rec->index < ctx->container->n_ulimits)
                        return asprintf_safe("%s %s: %s", stage, ctx->container->ulimits[rec->index].name,
                                err);
                break;
        case CHILD_STAGE_MOUNT:
        case CHILD_STAGE_MOUNT_READ_ONLY:
        case CHILD_STAGE_DEV_NODE:
        case CHILD_STAGE_DEV_SYMLINK:
                if (m && m->kind == CHILD_MOUNT_BIND)
                        return asprintf_safe("%s '%s' on '%s': %s", stage, m->source, m->target, err);
                if (m)
                        return asprintf_safe("%s %s on '%s': %s", stage, m->fstype, m->target, err);
                __attribute__((fallthrough));
        case _CHILD_STAGE_MAX:
                if (rec->index >= 0 && WIFSIGNALED(rec->index))
                        return asprintf_safe("the container's PID 1 was killed by signal %d (%s) during "
                                             "setup",
                                WTERMSIG(rec->index), strsignal(WTERMSIG(rec->index)));
                if (rec->index >= 0 && WIFEXITED(rec->index))
                        return asprintf_safe("the container's PID 1 exited with status %d during setup",
                                WEXITSTATUS(rec->index));
                break;
        default:
                break;
        }
        return asprintf_safe("%s: %s", stage, err);
}

static int record_failure(int root_fd, const char *name, ContainerState *st, int exit_code,
        const char *msg) {
        char now[64];

        now_rfc3339(now);
        free(st->finished_at);
        free(st->error);
        st->finished_at = strdup(now);
        st->error = strdup(msg);
        st->pid = 0;
        st->exit_code = exit_code;
        return container_state_save(root_fd, name, st);
}

/* Reads one record from the child; EOF means execve() succeeded (the pipe is O_CLOEXEC). */
static int read_record(int fd, ChildRecord *ret) {
        ssize_t n;

        do
                n = read(fd, ret, sizeof(*ret));
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return 0;
        if (n != sizeof(*ret))
                *ret = (ChildRecord){ .stage = _CHILD_STAGE_MAX, .error = n < 0 ? errno : EIO };
        return 1;
}

/* The wait status of a process that is a zombie (exit_code, the 52nd field of /proc/PID/stat), -1 when
 * it is gone or still running. The container's PID 1 is systemd's child, not ours, so we cannot wait. */
static int zombie_status(pid_t pid) {
        _cleanup_free_ char *text = NULL;
        char path[64], state = 0;
        const char *p;
        int status = -1;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if (read_full_file_at(AT_FDCWD, path, 4096, &text, NULL) < 0 || !(p = strrchr(text, ')')))
                return -1;
        if (sscanf(p + 1, " %c", &state) != 1 || state != 'Z')
                return -1;
        for (int field = 3; p && field <= 52; field++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %d", &status) != 1)
                return -1;
        return status;
}

/* Clones the container's PID 1 and waits until it is set up (or failed). On success the child waits
 * for a byte on *ret_go_fd before it execs; its further records arrive on *ret_record_fd. */
static int spawn(StartContext *ctx, pid_t *ret_pid, int *ret_record_fd, int *ret_go_fd, ChildRecord *ret_rec,
        bool *ret_failed) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF, go_r = -EBADF, go_w = -EBADF;
        int fds[2], flags;
        ChildRecord rec = {};
        pid_t pid = 0;
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        go_r = fds[0];
        go_w = fds[1];
        ctx->spec.error_fd = wfd;
        ctx->spec.go_fd = go_r;

        /* CLONE_PARENT: the container is our parent's child, i.e. systemd's, from the start. systemd then
         * supervises a child of its own when it reads MAINPID=, instead of a stranger that is only later
         * reparented to it ("Supervising process which is not our child"). */
        flags = CLONE_PARENT | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
        if (ctx->spec.new_netns)
                flags |= CLONE_NEWNET;
        pid = sys_clone_fork(flags);
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_run(&ctx->spec); /* never returns */
        wfd = safe_close(wfd);
        go_r = safe_close(go_r);

        r = read_record(rfd, &rec);
        if (r > 0 && rec.stage == CHILD_STAGE_READY) {
                *ret_pid = pid;
                *ret_record_fd = TAKE_FD(rfd);
                *ret_go_fd = TAKE_FD(go_w);
                *ret_failed = false;
                return 0;
        }
        if (r == 0) /* it died without a word: say how, if it is still a zombie */
                rec = (ChildRecord){ .stage = _CHILD_STAGE_MAX, .error = EIO, .index = zombie_status(pid) };
        /* not our child (CLONE_PARENT): systemd reaps it */
        *ret_rec = rec;
        *ret_failed = true;
        *ret_pid = 0;
        return 0;
}

int runtime_start(const char *root, const char *name, int *reterr_exit_code, char **reterr_msg) {
        _cleanup_(start_context_done) StartContext ctx = {
                .userns_fd = -EBADF,
                .spec = { .stdio_fds = { -EBADF, -EBADF, -EBADF }, .tty_sock = -EBADF },
        };
        _cleanup_(container_state_done) ContainerState st = {};
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        _cleanup_close_ int record_fd = -EBADF, go_fd = -EBADF;
        ChildRecord rec = {};
        char now[64], mainpid[32];
        bool failed = false;
        pid_t pid = 0;
        int r, code = EXIT_SETUP_FAILED;

        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                r = -errno;
                *reterr_exit_code = code;
                *reterr_msg = asprintf_safe("open store '%s': %s", root, strerror(-r));
                return r;
        }
        r = container_state_load(root_fd, name, &st);
        if (r < 0)
                log_debug_errno(r, "Ignoring unreadable state of container '%s': %m", name);

        r = load_config(root_fd, name, &ctx.container, &msg);
        if (r == -ENOENT) {
                /* nowhere to record this: there is no container */
                *reterr_exit_code = code;
                *reterr_msg = TAKE_PTR(msg);
                return r;
        }
        if (r >= 0)
                r = build_spec(root, root_fd, &ctx, &msg);
        if (r >= 0)
                stdio_connect(&ctx);
        if (r >= 0) {
                r = spawn(&ctx, &pid, &record_fd, &go_fd, &rec, &failed);
                if (r >= 0 && failed) {
                        msg = format_child_failure(&ctx, &rec, &code);
                        r = -rec.error ?: -EIO;
                }
        }
        if (r < 0) {
                if (!msg)
                        msg = asprintf_safe("%s", strerror(-ERRNO_VALUE(r)));
                if (!msg)
                        return -ENOMEM;
                if (record_failure(root_fd, name, &st, code, msg) < 0)
                        log_debug("Failed to record the start failure of container '%s'", name);
                *reterr_exit_code = code;
                *reterr_msg = TAKE_PTR(msg);
                return r;
        }

        /* Record first, so the CLI sees the new state as soon as systemd reports the unit started */
        now_rfc3339(now);
        free(st.started_at);
        free(st.error);
        st.started_at = strdup(now);
        st.error = NULL;
        st.pid = pid;
        st.exit_code = 0;
        st.oom_killed = false;
        r = st.started_at ? container_state_save(root_fd, name, &st) : -ENOMEM;
        if (r < 0)
                log_debug_errno(r, "Failed to record the start of container '%s', ignoring: %m", name);

        /* systemd takes the container's PID 1 as its main process before it may run a single instruction
         * of the payload (the barrier makes sure systemd has read MAINPID=), so a command that exits at once
         * still has its status recorded. Then we let it exec, and report readiness once execve() worked. */
        snprintf(mainpid, sizeof(mainpid), "MAINPID=%d", (int) pid);
        r = notify_send(mainpid);
        if (r <= 0)
                log_debug_errno(r, "Not notifying systemd (%s), container PID is %d",
                        r == 0 ? "no $NOTIFY_SOCKET" : "failed", (int) pid);
        else
                (void) notify_barrier(5 * 1000000ULL);
        /* Under LeakSanitizer, check for leaks now instead of at exit: a container that ends at once makes
         * systemd kill us while the exit-time check still runs, and its complaint would land in the
         * container's log. A no-op in normal builds. */
        lsan_check_now();
        if (write(go_fd, "x", 1) != 1)
                return log_debug_errno(-errno, "Failed to release the container's PID 1: %m");
        go_fd = safe_close(go_fd);

        if (read_record(record_fd, &rec) > 0) {
                /* execve() itself failed after all checks: the child exits 126/127 as systemd's main
                 * process; say why in the journal and in state.json */
                msg = format_child_failure(&ctx, &rec, &code);
                if (!msg)
                        return -ENOMEM;
                if (record_failure(root_fd, name, &st, code, msg) < 0)
                        log_debug("Failed to record the start failure of container '%s'", name);
                *reterr_exit_code = code;
                *reterr_msg = TAKE_PTR(msg);
                return 1;
        }
        /* --sdnotify=container: the container says READY=1 itself (systemd waits up to TimeoutStartSec=) */
        if (ctx.container->sd_notify != SD_NOTIFY_STARTED)
                return 0;
        r = notify_send("READY=1");
        if (r > 0)
                (void) notify_barrier(5 * 1000000ULL);
        return 0;
}
