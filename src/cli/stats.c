/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth stats [--no-stream] [--format F] [CONTAINER...]: resource usage of running containers, read from
 * their units (systemd's MemoryCurrent, CPUUsageNSec, TasksCurrent, IO*Bytes accounting), with the cgroup
 * v1 files or the processes' own times where systemd has no value (hybrid hosts may keep cpuacct apart), and
 * network bytes from the
 * container's own network namespace (/proc/PID/net/dev). Columns and units as `docker stats`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "container-util.h"
#include "fileio.h"
#include "format.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

#define NOT_SET UINT64_MAX

static bool arg_no_stream = false, arg_all = false;
static const char *arg_format = NULL;

typedef struct Sample {
        char *name, *id;
        bool running;
        uint64_t cpu_nsec, mem, mem_limit, tasks, net_rx, net_tx, blk_read, blk_write;
        uint64_t when_nsec;
        double cpu_percent;
} Sample;

static void sample_done(Sample *s) {
        free(s->name);
        free(s->id);
}

static void help(void) {
        printf("Usage: berth stats [OPTIONS] [CONTAINER...]\n"
               "\n"
               "Show the resource usage of running containers (all of them when none is named), read\n"
               "from their systemd units; refreshed every second until interrupted.\n"
               "\n"
               "Options:\n"
               "  -a, --all             Show all containers (stopped ones with zero usage)\n"
               "      --format FORMAT   Go template (fields .ID .Name .CPUPerc .MemUsage .MemPerc .NetIO\n"
               "                        .BlockIO .PIDs), 'json', or 'table TEMPLATE'\n"
               "      --no-stream       Print one sample and exit\n"
               "  -h, --help            Show this help\n");
}

static uint64_t now_nsec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static uint64_t read_u64_file(const char *path) {
        _cleanup_free_ char *text = NULL;
        char *end;
        uint64_t v;

        if (read_full_file_at(AT_FDCWD, path, 4096, &text, NULL) < 0)
                return NOT_SET;
        v = strtoull(text, &end, 10);
        return end == text ? NOT_SET : v;
}

static uint64_t get_u64(sd_bus *bus, const char *path, const char *prop) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        uint64_t v = NOT_SET;

        if (sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                    "org.freedesktop.systemd1.Service", prop, &e, 't', &v) < 0)
                return NOT_SET;
        return v;
}

/* Bytes received and sent on every interface but lo, in the namespace of pid. */
static void net_bytes(uint32_t pid, uint64_t *rx, uint64_t *tx) {
        _cleanup_free_ char *text = NULL;
        char p[64];

        *rx = *tx = 0;
        snprintf(p, sizeof(p), "/proc/%" PRIu32 "/net/dev", pid);
        if (read_full_file_at(AT_FDCWD, p, 1024 * 1024, &text, NULL) < 0)
                return;
        for (char *l = text, *next; l && *l; l = next) {
                unsigned long long v[9];
                char ifname[64];

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (sscanf(l, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu", ifname, &v[0], &v[1],
                            &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 10 ||
                        streq(ifname, "lo"))
                        continue;
                *rx += v[0];
                *tx += v[8];
        }
}

/* CPU time of the processes in a cgroup, from /proc/PID/stat (utime + stime): for hosts where the cpuacct
 * controller is not co-mounted with cpu and systemd has no CPUUsageNSec. Processes that exited during the
 * interval are missed, which is fine for a percentage. */
static uint64_t cgroup_procs_cpu_nsec(const char *cg) {
        _cleanup_free_ char *procs = NULL, *text = NULL;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t ticks = 0;

        procs = strjoin("/sys/fs/cgroup/systemd", cg, "/cgroup.procs");
        if (!procs || hz <= 0)
                return NOT_SET;
        if (read_full_file_at(AT_FDCWD, procs, 4 * 1024 * 1024, &text, NULL) < 0) {
                free(procs);
                procs = strjoin("/sys/fs/cgroup", cg, "/cgroup.procs");
                if (!procs || read_full_file_at(AT_FDCWD, procs, 4 * 1024 * 1024, &text, NULL) < 0)
                        return NOT_SET;
        }
        for (char *l = text, *next; l && *l; l = next) {
                _cleanup_free_ char *stat = NULL;
                unsigned long long ut, st;
                char p[64];
                const char *rp;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                snprintf(p, sizeof(p), "/proc/%s/stat", l);
                if (read_full_file_at(AT_FDCWD, p, 4096, &stat, NULL) < 0)
                        continue;
                /* after "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
                 * utime stime */
                rp = strrchr(stat, ')');
                if (rp &&
                        sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) ==
                                2)
                        ticks += ut + st;
        }
        return ticks * (1000000000ULL / (uint64_t) hz);
}

static int sample_take(sd_bus *bus, int root_fd, const char *name, Sample *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *unit = NULL, *path = NULL, *cg = NULL;
        UnitState st;
        int r;

        r = container_load(root_fd, name, &c);
        if (r < 0)
                return r;
        unit = container_unit_name(name);
        if (!unit)
                return -ENOMEM;
        r = bus_get_unit_state(bus, unit, &st, &error);
        if (r < 0)
                return r;
        *s = (Sample){ .name = strdup(name), .id = strndup(c->id, 12), .when_nsec = now_nsec() };
        if (!s->name || !s->id)
                return -ENOMEM;
        s->running = unit_state_is_running(&st) && st.main_pid > 0;
        if (!s->running)
                return 0;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        s->cpu_nsec = get_u64(bus, path, "CPUUsageNSec");
        s->mem = get_u64(bus, path, "MemoryCurrent");
        s->mem_limit = get_u64(bus, path, "MemoryMax");
        s->tasks = get_u64(bus, path, "TasksCurrent");
        s->blk_read = get_u64(bus, path, "IOReadBytes");
        s->blk_write = get_u64(bus, path, "IOWriteBytes");
        if (s->cpu_nsec == NOT_SET || s->mem == NOT_SET) {
                /* hybrid hosts: systemd keeps cpuacct apart from cpu and reports no CPU usage */
                if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                            "org.freedesktop.systemd1.Service", "ControlGroup", &error, &cg) >= 0 &&
                        !isempty(cg)) {
                        _cleanup_free_ char *cpu = strjoin("/sys/fs/cgroup/cpu,cpuacct", cg,
                                                    "/cpuacct.usage"),
                                            *mem = strjoin("/sys/fs/cgroup/memory", cg,
                                                    "/memory.usage_in_bytes");
                        if (cpu && s->cpu_nsec == NOT_SET)
                                s->cpu_nsec = read_u64_file(cpu);
                        if (s->cpu_nsec == NOT_SET)
                                s->cpu_nsec = cgroup_procs_cpu_nsec(cg);
                        if (mem && s->mem == NOT_SET)
                                s->mem = read_u64_file(mem);
                }
        }
        net_bytes(st.main_pid, &s->net_rx, &s->net_tx);
        return 0;
}

static uint64_t host_memory(void) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

        return pages > 0 && size > 0 ? (uint64_t) pages * (uint64_t) size : 0;
}

/* Docker's units.BytesSize: "%.4g" with binary units (MiB) */
static void format_binary(char *buf, size_t size, uint64_t v) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double d = (double) v;
        size_t i = 0;

        while (d >= 1024 && i + 1 < ELEMENTSOF(units)) {
                d /= 1024;
                i++;
        }
        snprintf(buf, size, "%.4g%s", d, units[i]);
}

/* Docker's units.HumanSizeWithPrecision(v, 3): "%.3g" with decimal units (kB, MB) */
static void format_decimal(char *buf, size_t size, uint64_t v) {
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double d = (double) v;
        size_t i = 0;

        while (d >= 1000 && i + 1 < ELEMENTSOF(units)) {
                d /= 1000;
                i++;
        }
        snprintf(buf, size, "%.3g%s", d, units[i]);
}

static struct json_object *row_object(const Sample *s) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        char cpu[32] = "--", mem[80] = "-- / --", memp[32] = "--", net[80] = "--", blk[80] = "--",
             pids[32] = "--", a[32], b[32];
        uint64_t limit = s->mem_limit != NOT_SET && s->mem_limit > 0 ? s->mem_limit : host_memory();

        if (!o)
                return NULL;
        if (s->running) {
                uint64_t m = s->mem != NOT_SET ? s->mem : 0;

                snprintf(cpu, sizeof(cpu), "%.2f%%", s->cpu_percent);
                format_binary(a, sizeof(a), m);
                format_binary(b, sizeof(b), limit);
                snprintf(mem, sizeof(mem), "%s / %s", a, b);
                snprintf(memp, sizeof(memp), "%.2f%%",
                        limit > 0 ? (double) m * 100.0 / (double) limit : 0.0);
                format_decimal(a, sizeof(a), s->net_rx);
                format_decimal(b, sizeof(b), s->net_tx);
                snprintf(net, sizeof(net), "%s / %s", a, b);
                format_decimal(a, sizeof(a), s->blk_read != NOT_SET ? s->blk_read : 0);
                format_decimal(b, sizeof(b), s->blk_write != NOT_SET ? s->blk_write : 0);
                snprintf(blk, sizeof(blk), "%s / %s", a, b);
                snprintf(pids, sizeof(pids), "%" PRIu64, s->tasks != NOT_SET ? s->tasks : 0);
        } else {
                snprintf(cpu, sizeof(cpu), "0.00%%");
                snprintf(mem, sizeof(mem), "0B / 0B");
                snprintf(memp, sizeof(memp), "0.00%%");
                snprintf(net, sizeof(net), "0B / 0B");
                snprintf(blk, sizeof(blk), "0B / 0B");
                snprintf(pids, sizeof(pids), "0");
        }
        if (json_add_string(o, "ID", s->id) < 0 || json_add_string(o, "Container", s->name) < 0 ||
                json_add_string(o, "Name", s->name) < 0 || json_add_string(o, "CPUPerc", cpu) < 0 ||
                json_add_string(o, "MemUsage", mem) < 0 || json_add_string(o, "MemPerc", memp) < 0 ||
                json_add_string(o, "NetIO", net) < 0 || json_add_string(o, "BlockIO", blk) < 0 ||
                json_add_string(o, "PIDs", pids) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int print_samples(const Sample *s, size_t n) {
        static const char *const header[] = { "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                "NET I/O", "BLOCK I/O", "PIDS", NULL };
        static const char *const cols[] = { "ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO",
                "BlockIO", "PIDs" };
        _cleanup_free_ char ***table = calloc(n + 1, sizeof(char **));
        size_t n_rows = 0;
        int r = 0;

        if (!table)
                return -ENOMEM;
        if (!arg_format || format_is_table(arg_format, NULL))
                table[n_rows++] = (char **) header;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_json_ struct json_object *row = row_object(s + i);

                if (!row) {
                        r = -ENOMEM;
                        break;
                }
                if (arg_format && streq(arg_format, "json"))
                        printf("%s\n", json_object_to_json_string_ext(row, JSON_C_TO_STRING_PLAIN));
                else if (arg_format && !format_is_table(arg_format, NULL)) {
                        _cleanup_free_ char *line = NULL;

                        r = format_template(arg_format, row, &line, NULL);
                        if (r >= 0)
                                printf("%s\n", line);
                } else {
                        char **cells = calloc(ELEMENTSOF(cols) + 1, sizeof(char *));

                        if (!cells) {
                                r = -ENOMEM;
                                break;
                        }
                        for (size_t k = 0; k < ELEMENTSOF(cols); k++)
                                cells[k] = strdup(json_get_string(row, cols[k]) ?: "");
                        table[n_rows++] = cells;
                }
        }
        if (r >= 0 && n_rows > 0)
                cli_print_table(table, n_rows, ELEMENTSOF(cols));
        for (size_t i = 0; i < n_rows; i++)
                if (table[i] != (char **) header)
                        strv_free(table[i]);
        fflush(stdout);
        return r;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_NO_STREAM = 0x100, ARG_FORMAT, ARG_NO_TRUNC };
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "no-stream", no_argument, NULL, ARG_NO_STREAM },
                { "no-trunc", no_argument, NULL, ARG_NO_TRUNC },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *reason = NULL;
        int c;

        while ((c = cli_getopt("stats", argc, argv, "ah", options)) >= 0)
                switch (c) {
                case 'a':
                        arg_all = true;
                        break;
                case ARG_FORMAT:
                        if (!streq(optarg, "json") && !format_is_table(optarg, NULL) &&
                                format_template_validate(optarg, &reason) < 0)
                                return -cli_usage_error("stats", "invalid --format '%s': %s", optarg,
                                        reason);
                        arg_format = optarg;
                        break;
                case ARG_NO_STREAM:
                        arg_no_stream = true;
                        break;
                case ARG_NO_TRUNC:
                        break;
                case 'h':
                        help();
                        return 0;
                }
        return c == -1 ? 1 : c;
}

int verb_stats(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **names = NULL;
        Sample *prev = NULL, *cur = NULL;
        size_t n = 0;
        bool named = false, tty = isatty(STDOUT_FILENO);
        int r, root_fd, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        root_fd = image_store_root_fd(store);
        if (optind < argc) {
                named = true;
                for (int i = optind; i < argc; i++) {
                        char *name = NULL;

                        r = cli_resolve_container(root_fd, argv[i], &name);
                        if (r < 0)
                                return EXIT_CMD_FAILED;
                        if (strv_consume(&names, name) < 0)
                                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;
                }
        } else {
                r = container_list_names(root_fd, &names);
                if (r < 0)
                        return log_error_errno(r, "Failed to list containers: %m"), EXIT_CMD_FAILED;
        }
        n = strv_length(names);
        prev = calloc(n ?: 1, sizeof(Sample));
        cur = calloc(n ?: 1, sizeof(Sample));
        if (!prev || !cur) {
                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                goto finish;
        }
        /* CPU % needs two samples: the first one half a second before what is shown, then every second */
        for (size_t i = 0; i < n; i++)
                (void) sample_take(bus, root_fd, names[i], prev + i);
        (void) sleep_usec(500 * 1000);
        for (;;) {
                _cleanup_free_ Sample *shown = calloc(n ?: 1, sizeof(Sample));
                size_t k = 0;

                if (!shown) {
                        ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                        goto finish;
                }
                for (size_t i = 0; i < n; i++) {
                        r = sample_take(bus, root_fd, names[i], cur + i);
                        if (r < 0 && named) {
                                ret = (log_error_errno(r, "Failed to read the usage of '%s': %m", names[i]),
                                        EXIT_CMD_FAILED);
                                goto finish;
                        }
                        if (r < 0 || (!named && !arg_all && !cur[i].running))
                                continue;
                        if (cur[i].running && prev[i].running && cur[i].cpu_nsec != NOT_SET &&
                                prev[i].cpu_nsec != NOT_SET && cur[i].when_nsec > prev[i].when_nsec &&
                                cur[i].cpu_nsec >= prev[i].cpu_nsec)
                                cur[i].cpu_percent = (double) (cur[i].cpu_nsec - prev[i].cpu_nsec) * 100.0 /
                                        (double) (cur[i].when_nsec - prev[i].when_nsec);
                        shown[k++] = cur[i];
                }
                if (!arg_no_stream && tty)
                        fputs("\033[2J\033[H", stdout);
                r = print_samples(shown, k);
                if (r < 0) {
                        ret = (log_error_errno(r, "Failed to print: %m"), EXIT_CMD_FAILED);
                        goto finish;
                }
                if (arg_no_stream)
                        break;
                for (size_t i = 0; i < n; i++) {
                        sample_done(prev + i);
                        prev[i] = cur[i];
                        cur[i] = (Sample){};
                }
                if (sleep_usec(1000 * 1000) == -EINTR)
                        break;
        }

finish:
        for (size_t i = 0; i < n; i++) {
                if (prev)
                        sample_done(prev + i);
                if (cur)
                        sample_done(cur + i);
        }
        free(prev);
        free(cur);
        return ret;
}
