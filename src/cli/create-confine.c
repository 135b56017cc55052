/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "create-confine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "capability-util.h"
#include "cli.h"
#include "fd-util.h"
#include "container-util.h"
#include "fileio.h"
#include "log.h"
#include "seccomp-profile.h"
#include "string-util.h"
#include "strv.h"

#define SECCOMP_PROFILE_MAX (4u * 1024u * 1024u)
#define MEMORY_MIN (6ull * 1024 * 1024) /* Docker's minimum */

static char **arg_cap_add = NULL, **arg_cap_drop = NULL, **arg_security_opt = NULL, **arg_sysctls = NULL;
static bool arg_privileged = false, arg_read_only = false, arg_nnp = false, arg_userns_auto = false;
static SeccompMode arg_seccomp = SECCOMP_MODE_DEFAULT;
static char *arg_seccomp_profile = NULL; /* the custom profile's text */
static int64_t arg_shm_size = 0;
static ContainerUlimit *arg_ulimits = NULL;
static size_t arg_n_ulimits = 0;
static ContainerDevice *arg_devices = NULL;
static size_t arg_n_devices = 0;
static ContainerResources arg_resources = {};

void confine_args_free(void) {
        arg_cap_add = strv_free(arg_cap_add);
        arg_cap_drop = strv_free(arg_cap_drop);
        arg_security_opt = strv_free(arg_security_opt);
        arg_sysctls = strv_free(arg_sysctls);
        free(arg_seccomp_profile);
        arg_seccomp_profile = NULL;
        for (size_t i = 0; i < arg_n_ulimits; i++)
                free(arg_ulimits[i].name);
        free(arg_ulimits);
        arg_ulimits = NULL;
        arg_n_ulimits = 0;
        for (size_t i = 0; i < arg_n_devices; i++) {
                free(arg_devices[i].host_path);
                free(arg_devices[i].container_path);
                free(arg_devices[i].permissions);
        }
        free(arg_devices);
        arg_devices = NULL;
        arg_n_devices = 0;
        container_resources_done(&arg_resources);
}

void confine_help(void) {
        printf("\nConfinement (see berth-run(1); the defaults match Docker's):\n"
               "      --cap-add CAP            Add a capability (NET_ADMIN or CAP_NET_ADMIN; ALL)\n"
               "      --cap-drop CAP           Drop a capability (ALL drops all but --cap-add ones)\n"
               "      --privileged             UNSAFE: every capability, no seccomp, no masked paths,\n"
               "                               all host devices, writable /sys: root in the container\n"
               "                               is root on the host\n"
               "      --security-opt OPT       no-new-privileges[:true|false], seccomp=unconfined or\n"
               "                               seccomp=PROFILE.json (Docker's profile format)\n"
               "      --read-only              Mount the container's root file system read-only\n"
               "      --tmpfs PATH[:OPTS]      Mount a tmpfs (OPTS: size=64m,mode=1777,exec,...)\n"
               "      --device HOST[:CTR][:PERMS]  Make a host device available (PERMS: rwm)\n"
               "      --ulimit NAME=SOFT[:HARD] Set a resource limit (nofile=1024:2048)\n"
               "      --sysctl NAME=VALUE      Set a namespaced sysctl (net.*, kernel.shm*, fs.mqueue.*)\n"
               "      --shm-size SIZE          Size of /dev/shm (default 64m)\n"
               "      --userns auto            Map the container's users to a private range of host\n"
               "                               IDs: its root is an unprivileged user on the host\n"
               "\nResources (the unit's cgroup properties, changeable with 'berth update'):\n"
               "  -m, --memory SIZE            Memory limit (MemoryMax=), at least 6m\n"
               "      --memory-swap SIZE       Memory plus swap limit (-1: unlimited swap)\n"
               "      --cpus NUMBER            CPU time limit in CPUs, such as 1.5 (CPUQuota=)\n"
               "  -c, --cpu-shares WEIGHT      Relative CPU weight, 1024 is the default (CPUWeight=)\n"
               "      --cpuset-cpus LIST       CPUs the container may run on, such as 0-2,4 (AllowedCPUs=)\n"
               "      --pids-limit N           Maximum number of processes, -1 unlimited (TasksMax=)\n"
               "      --blkio-weight N         Relative block I/O weight, 10 to 1000 (IOWeight=)\n");
}

static int oom(void) {
        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
}

static int size_arg(const char *verb, const char *flag, const char *arg, int64_t *ret) {
        unsigned long long v;

        if (size_spec_parse(arg, &v) < 0 || v > INT64_MAX)
                return -cli_usage_error(verb, "invalid %s '%s': use a size such as 512m or 2g", flag, arg);
        *ret = (int64_t) v;
        return 0;
}

static int int_arg(const char *verb, const char *flag, const char *arg, int64_t min, int64_t max,
        const char *what, int64_t *ret) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(arg, &end, 10);
        if (errno != 0 || end == arg || *end || v < min || v > max)
                return -cli_usage_error(verb, "invalid %s '%s': %s", flag, arg, what);
        *ret = v;
        return 0;
}

int resources_parse_option(const char *verb, int c, const char *arg, ContainerResources *res) {
        switch (c) {
        case 'm':
        case ARG_MEMORY: {
                int r = size_arg(verb, "--memory", arg, &res->memory);
                if (r < 0)
                        return r;
                if ((unsigned long long) res->memory < MEMORY_MIN)
                        return -cli_usage_error(verb, "invalid --memory '%s': the minimum is 6m", arg);
                return 0;
        }
        case ARG_MEMORY_SWAP:
                if (streq(arg, "-1")) {
                        res->memory_swap = -1;
                        return 0;
                }
                return size_arg(verb, "--memory-swap", arg, &res->memory_swap);
        case ARG_CPUS:
                if (cpus_spec_parse(arg, &res->nano_cpus) < 0)
                        return -cli_usage_error(verb,
                                "invalid --cpus '%s': use a positive number such as 1.5", arg);
                return 0;
        case 'c':
        case ARG_CPU_SHARES:
                return int_arg(verb, "--cpu-shares", arg, 2, 262144, "use a weight from 2 to 262144",
                        &res->cpu_shares);
        case ARG_CPUSET_CPUS:
                if (isempty(arg) || strspn(arg, "0123456789,-") != strlen(arg) || strlen(arg) > 256)
                        return -cli_usage_error(verb,
                                "invalid --cpuset-cpus '%s': use a CPU list such as 0-2,4", arg);
                free(res->cpuset_cpus);
                res->cpuset_cpus = strdup(arg);
                return res->cpuset_cpus ? 0 : oom();
        case ARG_PIDS_LIMIT: {
                int r = int_arg(verb, "--pids-limit", arg, -1, INT32_MAX,
                        "use a number of processes, -1 for "
                        "no limit",
                        &res->pids_limit);
                if (r >= 0 && res->pids_limit == 0)
                        res->pids_limit = -1; /* Docker: 0 is unlimited */
                return r;
        }
        case ARG_BLKIO_WEIGHT:
                return int_arg(verb, "--blkio-weight", arg, 10, 1000, "use a weight from 10 to 1000",
                        &res->blkio_weight);
        }
        return -cli_usage_error(verb, "unknown resource option");
}

int resources_check(const char *verb, const ContainerResources *res) {
        if (res->memory_swap != 0 && res->memory == 0)
                return -cli_usage_error(verb,
                        "--memory-swap needs --memory: it is the limit of memory and swap together");
        if (res->memory_swap > 0 && res->memory_swap < res->memory)
                return -cli_usage_error(verb,
                        "--memory-swap must be at least --memory: it is the limit of memory and swap "
                        "together (-1 for unlimited swap)");
        return 0;
}

static int read_profile(const char *verb, const char *path) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_free_ char *text = NULL, *msg = NULL;
        size_t size;
        int r;

        r = read_full_file_at(AT_FDCWD, path, SECCOMP_PROFILE_MAX, &text, &size);
        if (r == -EFBIG)
                return -cli_usage_error(verb, "seccomp profile '%s' is larger than 4 MiB", path);
        if (r < 0)
                return log_error_errno(r, "Failed to read seccomp profile '%s': %m", path), -EXIT_USAGE;
        r = seccomp_profile_parse(text, size, &p, &msg);
        if (r == -ENOMEM)
                return oom();
        if (r < 0)
                return -cli_usage_error(verb, "invalid seccomp profile '%s': %s", path,
                        msg ?: strerror(-ERRNO_VALUE(r)));
        free(arg_seccomp_profile);
        arg_seccomp_profile = TAKE_PTR(text);
        return 0;
}

int confine_parse_option(const char *verb, int c, const char *arg) {
        const char *reason = NULL;
        int r;

        switch (c) {
        case ARG_CAP_ADD:
        case ARG_CAP_DROP: {
                if (!streq(arg, "ALL") && !streq(arg, "all") && cap_from_name(arg) < 0)
                        return -cli_usage_error(verb,
                                "invalid %s '%s': unknown capability (use names such as NET_ADMIN or "
                                "CAP_NET_ADMIN, or ALL)",
                                c == ARG_CAP_ADD ? "--cap-add" : "--cap-drop", arg);
                if (strv_extend(c == ARG_CAP_ADD ? &arg_cap_add : &arg_cap_drop, arg) < 0)
                        return oom();
                return 0;
        }
        case ARG_PRIVILEGED:
                arg_privileged = true;
                return 0;
        case ARG_SECURITY_OPT: {
                const char *path = NULL;

                r = security_opt_parse(arg, &arg_nnp, &arg_seccomp, &path);
                if (r == -EOPNOTSUPP)
                        return -cli_usage_error(verb, "--security-opt '%s' is not supported by berth", arg);
                if (r < 0)
                        return -cli_usage_error(verb,
                                "invalid --security-opt '%s': use no-new-privileges, seccomp=unconfined or "
                                "seccomp=PROFILE.json",
                                arg);
                if (path) {
                        r = read_profile(verb, path);
                        if (r < 0)
                                return r;
                } else if (arg_seccomp != SECCOMP_MODE_CUSTOM) {
                        free(arg_seccomp_profile);
                        arg_seccomp_profile = NULL;
                }
                if (strv_extend(&arg_security_opt, arg) < 0)
                        return oom();
                return 0;
        }
        case ARG_READ_ONLY:
                arg_read_only = true;
                return 0;
        case ARG_DEVICE: {
                ContainerDevice d = {}, *a;

                r = device_spec_parse(arg, &d, &reason);
                if (r == -ENOMEM)
                        return oom();
                if (r < 0)
                        return -cli_usage_error(verb, "invalid --device '%s': %s", arg, reason);
                a = reallocarray(arg_devices, arg_n_devices + 1, sizeof(ContainerDevice));
                if (!a) {
                        free(d.host_path);
                        free(d.container_path);
                        free(d.permissions);
                        return oom();
                }
                arg_devices = a;
                arg_devices[arg_n_devices++] = d;
                return 0;
        }
        case ARG_ULIMIT: {
                ContainerUlimit u = {}, *a;

                r = ulimit_spec_parse(arg, &u, &reason);
                if (r == -ENOMEM)
                        return oom();
                if (r < 0)
                        return -cli_usage_error(verb, "invalid --ulimit '%s': %s", arg, reason);
                for (size_t i = 0; i < arg_n_ulimits; i++)
                        if (streq(arg_ulimits[i].name, u.name)) {
                                arg_ulimits[i].soft = u.soft;
                                arg_ulimits[i].hard = u.hard;
                                free(u.name);
                                return 0;
                        }
                a = reallocarray(arg_ulimits, arg_n_ulimits + 1, sizeof(ContainerUlimit));
                if (!a) {
                        free(u.name);
                        return oom();
                }
                arg_ulimits = a;
                arg_ulimits[arg_n_ulimits++] = u;
                return 0;
        }
        case ARG_SYSCTL:
                /* checked against the network mode in confine_check() */
                if (!strchr(arg, '=') || arg[0] == '=')
                        return -cli_usage_error(verb, "invalid --sysctl '%s': use NAME=VALUE", arg);
                return strv_extend(&arg_sysctls, arg) < 0 ? oom() : 0;
        case ARG_USERNS:
                if (!streq(arg, "auto") && !streq(arg, "host") && !isempty(arg))
                        return -cli_usage_error(verb, "invalid --userns '%s': use auto or host", arg);
                arg_userns_auto = streq(arg, "auto");
                return 0;
        case ARG_SHM_SIZE:
                r = size_arg(verb, "--shm-size", arg, &arg_shm_size);
                if (r < 0)
                        return r;
                if (arg_shm_size == 0)
                        return -cli_usage_error(verb, "invalid --shm-size '%s': it must be above 0", arg);
                return 0;
        }
        return resources_parse_option(verb, c, arg, &arg_resources);
}

int confine_check(const char *verb, NetworkMode network) {
        _cleanup_strv_free_ char **checked = NULL;
        const char *reason = NULL;
        int r;

        STRV_FOREACH(s, arg_sysctls) {
                char *kv = NULL;

                r = sysctl_spec_parse(*s, network == NETWORK_HOST, &kv, &reason);
                if (r == -ENOMEM)
                        return oom();
                if (r < 0)
                        return -cli_usage_error(verb, "invalid --sysctl '%s': %s", *s, reason);
                r = env_merge(&checked, kv);
                free(kv);
                if (r < 0)
                        return oom();
        }
        strv_free(arg_sysctls);
        arg_sysctls = TAKE_PTR(checked);
        if (arg_userns_auto && arg_privileged)
                return -cli_usage_error(verb,
                        "conflicting options: --privileged and --userns=auto (a "
                        "privileged container is root on the host)");
        if (arg_seccomp == SECCOMP_MODE_CUSTOM && !arg_seccomp_profile)
                return -cli_usage_error(verb, "--security-opt seccomp: no profile given");
        return resources_check(verb, &arg_resources);
}

int confine_apply(Container *c) {
        c->cap_add = TAKE_PTR(arg_cap_add);
        c->cap_drop = TAKE_PTR(arg_cap_drop);
        c->privileged = arg_privileged;
        c->security_opt = TAKE_PTR(arg_security_opt);
        c->no_new_privileges = arg_nnp;
        c->seccomp = arg_seccomp;
        c->read_only = arg_read_only;
        c->shm_size = arg_shm_size;
        c->sysctls = TAKE_PTR(arg_sysctls);
        c->ulimits = TAKE_PTR(arg_ulimits);
        c->n_ulimits = arg_n_ulimits;
        arg_n_ulimits = 0;
        c->devices = TAKE_PTR(arg_devices);
        c->n_devices = arg_n_devices;
        arg_n_devices = 0;
        c->resources = arg_resources;
        arg_resources = (ContainerResources){};
        c->userns_auto = arg_userns_auto;
        return 0;
}

int confine_userns_allocate(int root_fd, Container *c, int *ret_lock_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!c->userns_auto)
                return 0;
        fd = openat(root_fd, "userns.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0)
                return -errno;
        r = container_userns_allocate(root_fd, &c->userns_host_id);
        if (r < 0)
                return r;
        c->userns_size = USERNS_AUTO_SIZE;
        *ret_lock_fd = TAKE_FD(fd);
        return 0;
}

int confine_write_files(int root_fd, const Container *c) {
        _cleanup_free_ char *path = NULL;

        if (c->seccomp != SECCOMP_MODE_CUSTOM || !arg_seccomp_profile)
                return 0;
        path = strjoin("containers/", c->name, "/seccomp.json");
        if (!path)
                return -ENOMEM;
        return write_file_atomic_at(root_fd, path, arg_seccomp_profile, strlen(arg_seccomp_profile), 0600);
}
