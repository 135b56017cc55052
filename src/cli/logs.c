/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "bus-util.h"
#include "cli.h"
#include "container-status.h"
#include "container-unit.h"
#include "log.h"
#include "string-util.h"
#include "time-util.h"

static bool arg_follow = false;
static bool arg_timestamps = false;
static long long arg_tail = -1; /* all */
static uint64_t arg_since_usec = 0;
static uint64_t arg_until_usec = 0;

static void help(void) {
        printf("Usage: berth logs [OPTIONS] CONTAINER\n"
               "\n"
               "Show a container's output, read from the journal (journalctl -u berth@NAME shows the "
               "same).\n"
               "stdout goes to stdout, stderr to stderr.\n"
               "\n"
               "Options:\n"
               "  -f, --follow        Keep printing new output until the container stops\n"
               "  -n, --tail N        Only the last N lines (default: all)\n"
               "      --since TIME    Only output since TIME: RFC 3339 (2026-11-28T10:00:00Z), Unix\n"
               "                      seconds, or a duration before now (10m, 1h30m)\n"
               "      --until TIME    Only output before TIME (same forms)\n"
               "  -t, --timestamps    Prefix each line with its RFC 3339 timestamp\n"
               "  -h, --help          Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_SINCE = 0x100, ARG_UNTIL };
        static const struct option options[] = {
                { "follow", no_argument, NULL, 'f' },
                { "tail", required_argument, NULL, 'n' },
                { "since", required_argument, NULL, ARG_SINCE },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "timestamps", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        uint64_t now = (uint64_t) time(NULL) * 1000000ULL;
        char *end;
        int c;

        while ((c = cli_getopt("logs", argc, argv, "fn:th", options)) >= 0)
                switch (c) {
                case 'f':
                        arg_follow = true;
                        break;
                case 'n':
                        if (streq(optarg, "all")) {
                                arg_tail = -1;
                                break;
                        }
                        errno = 0;
                        arg_tail = strtoll(optarg, &end, 10);
                        if (errno || *end || end == optarg || arg_tail < 0)
                                return -cli_usage_error("logs", "invalid --tail '%s': a number or 'all'",
                                        optarg);
                        break;
                case ARG_SINCE:
                case ARG_UNTIL:
                        if (parse_docker_time(optarg, now,
                                    c == ARG_SINCE ? &arg_since_usec : &arg_until_usec) < 0)
                                return -cli_usage_error("logs",
                                        "invalid --%s '%s': use RFC 3339, Unix seconds or a duration like "
                                        "10m",
                                        c == ARG_SINCE ? "since" : "until", optarg);
                        break;
                case 't':
                        arg_timestamps = true;
                        break;
                case 'h':
                        help();
                        return 0;
                }
        if (c != -1)
                return c;
        if (argc - optind != 1)
                return -cli_usage_error("logs", "\"logs\" requires exactly 1 argument: CONTAINER");
        return 1;
}

static int print_entry(sd_journal *j) {
        const void *data;
        size_t len;
        uint64_t t;
        int r, prio = LOG_INFO;
        FILE *out;

        /* sd_journal_get_data() pointers are valid only until the next call: PRIORITY first */
        if (sd_journal_get_data(j, "PRIORITY", &data, &len) >= 0 && len == strlen("PRIORITY=") + 1)
                prio = ((const char *) data)[len - 1] - '0';
        r = sd_journal_get_data(j, "MESSAGE", &data, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        out = prio <= LOG_ERR ? stderr : stdout;
        if (arg_timestamps && sd_journal_get_realtime_usec(j, &t) >= 0) {
                char ts[64];
                format_rfc3339_nano(t, ts, sizeof(ts));
                fprintf(out, "%s ", ts);
        }
        fwrite((const char *) data + strlen("MESSAGE="), 1, len - strlen("MESSAGE="), out);
        fputc('\n', out);
        fflush(out);
        return 1;
}

int verb_logs(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL, *m_unit = NULL, *m_id = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        bool have_current = false;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;

        r = cli_resolve_container(image_store_root_fd(store), argv[optind], &name);
        if (r < 0)
                return EXIT_CMD_FAILED;
        r = container_load(image_store_root_fd(store), name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read container '%s': %m", name), EXIT_CMD_FAILED;

        unit = container_unit_name(name);
        m_unit = strjoin("_SYSTEMD_UNIT=", unit ?: "");
        m_id = strjoin("CONTAINER_ID_FULL=", c->id);
        if (!unit || !m_unit || !m_id)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;

        r = sd_journal_open(&j,
                SD_JOURNAL_LOCAL_ONLY); /* system and user journals: journald files the output of --userns=auto containers (host UIDs above 999) under their UID */
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m"), EXIT_CMD_FAILED;
        /* Both fields: the unit's own output, and only this container's (an earlier container of the same
         * name had another ID). */
        if ((r = sd_journal_add_match(j, m_unit, 0)) < 0 || (r = sd_journal_add_match(j, m_id, 0)) < 0)
                return log_error_errno(r, "Failed to set up journal matches: %m"), EXIT_CMD_FAILED;

        if (arg_tail >= 0) {
                /* stand on the N-th entry from the end (or the first, if there are fewer) */
                r = sd_journal_seek_tail(j);
                if (r >= 0 && arg_tail > 0) {
                        r = sd_journal_previous_skip(j, (uint64_t) arg_tail);
                        have_current = r > 0;
                } else if (r >= 0)
                        /* --tail 0: stand on the last entry, so only new ones are printed (with -f) */
                        r = sd_journal_previous(j);
        } else if (arg_since_usec > 0)
                r = sd_journal_seek_realtime_usec(j, arg_since_usec);
        else
                r = sd_journal_seek_head(j);
        if (r < 0)
                return log_error_errno(r, "Failed to seek in the journal: %m"), EXIT_CMD_FAILED;

        for (;;) {
                uint64_t t;

                if (have_current) {
                        have_current = false;
                        r = 1;
                } else
                        r = sd_journal_next(j);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m"), EXIT_CMD_FAILED;
                if (r > 0) {
                        if (sd_journal_get_realtime_usec(j, &t) >= 0) {
                                if (arg_since_usec > 0 && t < arg_since_usec)
                                        continue;
                                if (arg_until_usec > 0 && t >= arg_until_usec)
                                        break;
                        }
                        r = print_entry(j);
                        if (r < 0)
                                return log_error_errno(r, "Failed to read a journal entry: %m"),
                                       EXIT_CMD_FAILED;
                        continue;
                }
                if (!arg_follow)
                        break;

                /* At the end: stop following once the container is no longer running. */
                if (!bus && cli_open_bus(&bus) < 0)
                        return EXIT_CMD_FAILED;
                {
                        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                        UnitState st;
                        r = bus_get_unit_state(bus, unit, &st, &error);
                        if (r < 0)
                                return log_error_errno(r, "Failed to query '%s': %s", unit,
                                               error.message ?: strerror(-r)),
                                       EXIT_CMD_FAILED;
                        if (!unit_state_is_running(&st) && !streq(st.sub_state, "auto-restart") &&
                                !streq(st.active_state, "activating")) {
                                /* drain what arrived while we looked */
                                while ((r = sd_journal_next(j)) > 0)
                                        (void) print_entry(j);
                                break;
                        }
                }
                r = sd_journal_wait(j, 250 * 1000);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for the journal: %m"), EXIT_CMD_FAILED;
        }
        return 0;
}
