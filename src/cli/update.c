/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth update [OPTIONS] CONTAINER...: changes the resource limits of containers, running or not, through
 * systemd's SetUnitProperties (persistent: systemd keeps them in /etc/systemd/system.control), and records
 * them in config.json for inspect. A running container's cgroup changes at once, without a restart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "cli.h"
#include "container-unit.h"
#include "create-confine.h"
#include "log.h"
#include "string-util.h"

#define UNSET INT64_MIN

static ContainerResources arg_res = {
        .memory = UNSET,
        .memory_swap = UNSET,
        .nano_cpus = UNSET,
        .cpu_shares = UNSET,
        .pids_limit = UNSET,
        .blkio_weight = UNSET,
};

static void help(void) {
        printf("Usage: berth update [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Change the resource limits of containers. A running container gets them at once, without\n"
               "a restart; they are the unit's cgroup properties (see 'systemctl show berth@NAME').\n"
               "\n"
               "Options:\n"
               "  -m, --memory SIZE          Memory limit (MemoryMax=), at least 6m\n"
               "      --memory-swap SIZE     Memory plus swap limit (-1: unlimited swap)\n"
               "      --cpus NUMBER          CPU time limit in CPUs, such as 1.5 (CPUQuota=)\n"
               "  -c, --cpu-shares WEIGHT    Relative CPU weight, 1024 is the default (CPUWeight=)\n"
               "      --cpuset-cpus LIST     CPUs the container may run on, such as 0-2,4 (AllowedCPUs=)\n"
               "      --pids-limit N         Maximum number of processes, -1 unlimited (TasksMax=)\n"
               "      --blkio-weight N       Relative block I/O weight, 10 to 1000 (IOWeight=)\n"
               "  -h, --help                 Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "memory", required_argument, NULL, ARG_MEMORY },
                { "memory-swap", required_argument, NULL, ARG_MEMORY_SWAP },
                { "cpus", required_argument, NULL, ARG_CPUS },
                { "cpu-shares", required_argument, NULL, ARG_CPU_SHARES },
                { "cpuset-cpus", required_argument, NULL, ARG_CPUSET_CPUS },
                { "pids-limit", required_argument, NULL, ARG_PIDS_LIMIT },
                { "blkio-weight", required_argument, NULL, ARG_BLKIO_WEIGHT },
                { "restart", required_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool any = false;
        int c, r;

        while ((c = cli_getopt("update", argc, argv, "m:c:h", options)) >= 0) {
                if (c == 'h') {
                        help();
                        return 0;
                }
                if (c == 'R')
                        return -cli_usage_error("update",
                                "--restart is not supported yet: re-create the "
                                "container with the new policy");
                r = resources_parse_option("update", c, optarg, &arg_res);
                if (r < 0)
                        return r;
                any = true;
        }
        if (c != -1)
                return c;
        if (argc - optind < 1)
                return -cli_usage_error("update", "\"update\" requires at least 1 argument: CONTAINER...");
        if (!any)
                return -cli_usage_error("update",
                        "you must provide one or more flags when using this command");
        return 1;
}

/* The options given, on top of the container's current limits. */
static void merge(ContainerResources *cur) {
        if (arg_res.memory != UNSET)
                cur->memory = arg_res.memory;
        if (arg_res.memory_swap != UNSET)
                cur->memory_swap = arg_res.memory_swap;
        if (arg_res.nano_cpus != UNSET)
                cur->nano_cpus = arg_res.nano_cpus;
        if (arg_res.cpu_shares != UNSET)
                cur->cpu_shares = arg_res.cpu_shares;
        if (arg_res.pids_limit != UNSET)
                cur->pids_limit = arg_res.pids_limit;
        if (arg_res.blkio_weight != UNSET)
                cur->blkio_weight = arg_res.blkio_weight;
        if (arg_res.cpuset_cpus) {
                free(cur->cpuset_cpus);
                cur->cpuset_cpus = strdup(arg_res.cpuset_cpus);
        }
}

/* "0-2,4" → the bit mask systemd's AllowedCPUs= takes over the bus (byte i holds CPUs 8i..8i+7). */
static int cpu_list_to_mask(const char *list, uint8_t *mask, size_t size, size_t *ret_n) {
        size_t n = 0;

        memset(mask, 0, size);
        for (const char *p = list; *p;) {
                char *end;
                unsigned long a = strtoul(p, &end, 10), b = a;

                if (end == p)
                        return -EINVAL;
                if (*end == '-') {
                        p = end + 1;
                        b = strtoul(p, &end, 10);
                        if (end == p)
                                return -EINVAL;
                }
                if (a > b || b >= size * 8)
                        return -ERANGE;
                for (unsigned long i = a; i <= b; i++)
                        mask[i / 8] |= (uint8_t) (1u << (i % 8));
                n = MAX(n, b / 8 + 1);
                p = end;
                if (*p == ',')
                        p++;
                else if (*p)
                        return -EINVAL;
        }
        *ret_n = n;
        return 0;
}

static int append_u64(sd_bus_message *m, const char *name, uint64_t v) {
        return sd_bus_message_append(m, "(sv)", name, "t", v);
}

static int set_properties(sd_bus *bus, const char *unit, const ContainerResources *res,
        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        ResourceProperties p;
        uint8_t cpus[128];
        size_t n = 0;
        int r;

        (void) container_resources_to_properties(res, &p);
        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, /* runtime= */ 0);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && (arg_res.memory != UNSET || arg_res.memory_swap != UNSET)) {
                r = append_u64(m, "MemoryMax", p.memory_max);
                if (r >= 0)
                        r = append_u64(m, "MemorySwapMax", p.memory_swap_max);
        }
        if (r >= 0 && arg_res.nano_cpus != UNSET)
                r = append_u64(m, "CPUQuotaPerSecUSec", p.cpu_quota_per_sec_usec);
        if (r >= 0 && arg_res.cpu_shares != UNSET)
                r = append_u64(m, "CPUWeight", p.cpu_weight);
        if (r >= 0 && arg_res.pids_limit != UNSET)
                r = append_u64(m, "TasksMax", p.tasks_max);
        if (r >= 0 && arg_res.blkio_weight != UNSET)
                r = append_u64(m, "IOWeight", p.io_weight);
        if (r >= 0 && arg_res.cpuset_cpus) {
                r = cpu_list_to_mask(p.allowed_cpus, cpus, sizeof(cpus), &n);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "invalid CPU list '%s'",
                                p.allowed_cpus);
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "AllowedCPUs");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "ay");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', cpus, n);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, error, &reply);
}

static int update_one(ImageStore *store, sd_bus *bus, const char *arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        int root_fd = image_store_root_fd(store), r;

        r = cli_resolve_container(root_fd, arg, &name);
        if (r < 0)
                return r;
        r = container_load(root_fd, name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name);
        merge(&c->resources);
        if (arg_res.cpuset_cpus && !c->resources.cpuset_cpus)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (resources_check("update", &c->resources) < 0)
                return -EINVAL;
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = set_properties(bus, unit, &c->resources, &error);
        if (r < 0)
                return log_error("Failed to update container '%s': %s", name, bus_error_message(&error, r)),
                       r;
        r = container_save(root_fd, c);
        if (r < 0)
                return log_error_errno(r, "Failed to record the new limits of container '%s': %m", name);
        printf("%s\n", arg);
        return 0;
}

int verb_update(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0) {
                container_resources_done(&arg_res);
                return -r;
        }
        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0) {
                container_resources_done(&arg_res);
                return r;
        }
        for (int i = optind; i < argc; i++)
                if (update_one(store, bus, argv[i]) < 0)
                        ret = EXIT_CMD_FAILED;
        container_resources_done(&arg_res);
        return ret;
}
