/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bus-util.h"
#include "cli.h"
#include "container-status.h"
#include "container-util.h"
#include "format.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

static bool arg_all = false;
static bool arg_quiet = false;
static bool arg_no_trunc = false;
static const char *arg_format = NULL;
static char **arg_filters = NULL;
static long arg_last = -1;

static void help(void) {
        printf("Usage: berth ps [OPTIONS]\n"
               "       berth container ls [OPTIONS]\n"
               "\n"
               "List containers (running ones unless -a). The state comes from systemd: `berth ps` and\n"
               "`systemctl status berth@NAME` always agree.\n"
               "\n"
               "Options:\n"
               "  -a, --all             Show all containers, not only running ones\n"
               "  -f, --filter FILTER   Filter: name=NAME, id=ID, "
               "status=created|running|restarting|exited,\n"
               "                        label=KEY or label=KEY=VALUE,\n"
               "                        health=starting|healthy|unhealthy|none (repeatable; all must "
               "match)\n"
               "      --format FORMAT   'table' (default), 'json' (one object per line) or a template\n"
               "                        such as '{{.Names}} {{.Status}}'\n"
               "  -n, --last N          Show the N most recently created containers (implies -a)\n"
               "  -l, --latest          Show the most recently created container (implies -a)\n"
               "      --no-trunc        Don't truncate IDs and commands\n"
               "  -q, --quiet           Only show container IDs\n"
               "  -h, --help            Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_FORMAT = 0x100, ARG_NO_TRUNC };
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "filter", required_argument, NULL, 'f' },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "last", required_argument, NULL, 'n' },
                { "latest", no_argument, NULL, 'l' },
                { "no-trunc", no_argument, NULL, ARG_NO_TRUNC },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *reason = NULL;
        char *end;
        int c;

        while ((c = cli_getopt("ps", argc, argv, "af:n:lqh", options)) >= 0)
                switch (c) {
                case 'a':
                        arg_all = true;
                        break;
                case 'f': {
                        static const char *const keys[] = { "name=", "id=", "status=", "label=", "health=" };
                        bool ok = false;
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                                ok = ok || (startswith(optarg, keys[i]) && optarg[strlen(keys[i])]);
                        if (!ok)
                                return -cli_usage_error("ps",
                                        "invalid filter '%s': use name=, id=, status=, label= or health=",
                                        optarg);
                        if (startswith(optarg, "status=")) {
                                static const char *const st[] = { "created", "running", "restarting",
                                        "exited" };
                                bool known = false;
                                for (size_t i = 0; i < ELEMENTSOF(st); i++)
                                        known = known || streq(optarg + 7, st[i]);
                                if (!known)
                                        return -cli_usage_error("ps",
                                                "invalid filter '%s': status is one of created, running, "
                                                "restarting, exited",
                                                optarg);
                        }
                        if (startswith(optarg, "health=") && !streq(optarg, "health=starting") &&
                                !streq(optarg, "health=healthy") && !streq(optarg, "health=unhealthy") &&
                                !streq(optarg, "health=none"))
                                return -cli_usage_error("ps",
                                        "invalid filter '%s': health is one of starting, healthy, "
                                        "unhealthy, "
                                        "none",
                                        optarg);
                        if (strv_extend(&arg_filters, optarg) < 0)
                                return -EXIT_CMD_FAILED;
                        break;
                }
                case ARG_FORMAT:
                        if (!streq(optarg, "json") && !format_is_table(optarg, NULL) &&
                                format_template_validate(optarg, &reason) < 0)
                                return -cli_usage_error("ps", "invalid --format '%s': %s", optarg, reason);
                        arg_format = optarg;
                        break;
                case 'n':
                        errno = 0;
                        arg_last = strtol(optarg, &end, 10);
                        if (errno || *end || end == optarg || arg_last < 0)
                                return -cli_usage_error("ps", "invalid --last '%s': needs a number", optarg);
                        arg_all = true;
                        break;
                case 'l':
                        arg_last = 1;
                        arg_all = true;
                        break;
                case ARG_NO_TRUNC:
                        arg_no_trunc = true;
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case 'h':
                        help();
                        return 0;
                }
        if (c != -1)
                return c;
        if (optind < argc)
                return -cli_usage_error("ps", "\"ps\" accepts no arguments, got '%s'", argv[optind]);
        return 1;
}

/* Docker matches names with a regular expression (`name=^web$`); POSIX extended ones here, and globs too.
 * A pattern that is not a valid expression matches as a substring or a glob. */
static bool name_matches(const char *name, const char *pattern) {
        regex_t re;
        bool match;

        if (fnmatch(pattern, name, 0) == 0)
                return true;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return strstr(name, pattern);
        match = regexec(&re, name, 0, NULL, 0) == 0;
        regfree(&re);
        return match;
}

static bool filter_match(const ContainerInfo *i) {
        STRV_FOREACH(f, arg_filters) {
                const char *v;

                if ((v = startswith(*f, "name="))) {
                        if (!name_matches(i->container->name, v))
                                return false;
                } else if ((v = startswith(*f, "id="))) {
                        if (!startswith(i->container->id, v))
                                return false;
                } else if ((v = startswith(*f, "status="))) {
                        if (!streq(i->status, v))
                                return false;
                } else if ((v = startswith(*f, "health="))) {
                        if (!streq(container_info_health(i), v))
                                return false;
                } else if ((v = startswith(*f, "label="))) {
                        bool found = false;
                        size_t kl = strcspn(v, "=");
                        STRV_FOREACH(l, i->container->labels)
                                if (v[kl] ? streq(*l, v) : (strncmp(*l, v, kl) == 0 && (*l)[kl] == '='))
                                        found = true;
                        if (!found)
                                return false;
                }
        }
        return true;
}

static char *command_text(const Container *c) {
        _cleanup_free_ char *full = strdup(c->path);
        char *r;

        if (!full)
                return NULL;
        STRV_FOREACH(a, c->args) {
                char *n = strjoin(full, " ", *a);
                if (!n)
                        return NULL;
                free(full);
                full = n;
        }
        if (!arg_no_trunc && strlen(full) > 20) {
                /* Docker: 20 characters, then an ellipsis, all in quotes */
                r = asprintf_safe("\"%.19s…\"", full);
                return r;
        }
        return asprintf_safe("\"%s\"", full);
}

static struct json_object *row_object(const ContainerInfo *i) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *cmd = command_text(i->container), *labels = strdup(""),
                            *ports = i->running || i->container->on_demand
                ? port_bindings_format(i->container->ports, i->container->n_ports)
                : strdup("");
        char status[96], created[64], running_for[64], id[65];
        long long t = rfc3339_to_seconds(i->container->created);
        time_t tt = (time_t) t;
        struct tm tm;
        int r;

        if (!o || !cmd || !labels || !ports)
                return NULL;
        container_info_status_text(i, status, sizeof(status));
        gmtime_r(&tt, &tm);
        strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        format_relative_docker(running_for, sizeof(running_for), (long long) time(NULL) - t);
        snprintf(id, sizeof(id), "%.*s", arg_no_trunc ? 64 : 12, i->container->id);
        STRV_FOREACH(l, i->container->labels) {
                char *n = strjoin(labels, labels[0] ? "," : "", *l);
                if (!n)
                        return NULL;
                free(labels);
                labels = n;
        }

        r = json_add_string(o, "Command", cmd);
        if (r >= 0)
                r = json_add_string(o, "CreatedAt", created);
        if (r >= 0)
                r = json_add_string(o, "ID", id);
        if (r >= 0)
                r = json_add_string(o, "Image", i->container->image_name ?: i->container->image_id);
        if (r >= 0)
                r = json_add_string(o, "Labels", labels);
        if (r >= 0)
                r = json_add_string(o, "LocalVolumes", "0");
        if (r >= 0)
                r = json_add_string(o, "Mounts", "");
        if (r >= 0)
                r = json_add_string(o, "Names", i->container->name);
        if (r >= 0)
                r = json_add_string(o, "Networks", network_mode_to_string(i->container->network_mode));
        if (r >= 0)
                r = json_add_string(o, "Ports", ports);
        if (r >= 0)
                r = json_add_string(o, "RunningFor", running_for);
        if (r >= 0)
                r = json_add_string(o, "Size", "N/A");
        if (r >= 0)
                r = json_add_string(o, "State", i->status);
        if (r >= 0)
                r = json_add_string(o, "Status", status);
        if (r < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int cmp_created(const void *a, const void *b) {
        const ContainerInfo *x = a, *y = b;
        /* newest first, like Docker */
        return -strcmp(x->container->created ?: "", y->container->created ?: "");
}

int verb_ps(int argc, char *argv[]) {
        static const char *const header[] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                "PORTS", "NAMES" };
        static const char *const cols[] = { "ID", "Image", "Command", "RunningFor", "Status", "Ports",
                "Names" };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_strv_free_ char **names = NULL;
        ContainerInfo *infos = NULL;
        char ***table = NULL;
        size_t n = 0, n_rows = 0;
        int r, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        if (cli_open_bus(&bus) < 0)
                return EXIT_CMD_FAILED;

        r = container_list_names(image_store_root_fd(store), &names);
        if (r < 0)
                return log_error_errno(r, "Failed to list containers in '%s': %m", image_store_root(store)),
                       EXIT_CMD_FAILED;
        infos = calloc(strv_length(names) + 1, sizeof(ContainerInfo));
        table = calloc(strv_length(names) + 2, sizeof(char **));
        if (!infos || !table) {
                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                goto finish;
        }
        STRV_FOREACH(name, names) {
                r = container_info_load(bus, image_store_root_fd(store), *name, infos + n);
                if (r == -ENOENT)
                        continue; /* removed meanwhile */
                if (r < 0) {
                        ret = (log_error_errno(r, "Failed to read container '%s': %m", *name),
                                EXIT_CMD_FAILED);
                        goto finish;
                }
                n++;
        }
        if (n > 0)
                qsort(infos, n, sizeof(ContainerInfo), cmp_created);

        if (!arg_quiet && (!arg_format || format_is_table(arg_format, NULL)))
                table[n_rows++] = (char **) header;
        for (size_t i = 0, shown = 0; i < n; i++) {
                _cleanup_json_ struct json_object *row = NULL;

                if (!arg_all && !infos[i].running && !infos[i].restarting)
                        continue;
                if (!filter_match(infos + i))
                        continue;
                if (arg_last >= 0 && (long) shown >= arg_last)
                        break;
                shown++;
                row = row_object(infos + i);
                if (!row) {
                        ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                        goto finish;
                }
                if (arg_quiet)
                        printf("%s\n", json_get_string(row, "ID"));
                else if (arg_format && streq(arg_format, "json"))
                        printf("%s\n",
                                json_object_to_json_string_ext(row,
                                        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                else if (arg_format && !format_is_table(arg_format, NULL)) {
                        _cleanup_free_ char *line = NULL;
                        r = format_template(arg_format, row, &line, NULL);
                        if (r < 0) {
                                ret = (log_error_errno(r, "Failed to format: %m"), EXIT_CMD_FAILED);
                                goto finish;
                        }
                        printf("%s\n", line);
                } else {
                        char **cells = calloc(ELEMENTSOF(cols) + 1, sizeof(char *));
                        if (!cells) {
                                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                                goto finish;
                        }
                        for (size_t k = 0; k < ELEMENTSOF(cols); k++)
                                cells[k] = strdup(json_get_string(row, cols[k]) ?: "");
                        table[n_rows++] = cells;
                }
        }
        if (n_rows > 0)
                cli_print_table(table, n_rows, ELEMENTSOF(cols));

finish:
        for (size_t i = 0; table && i < n_rows; i++)
                if (table[i] != (char **) header)
                        strv_free(table[i]);
        free(table);
        for (size_t i = 0; i < n; i++)
                container_info_done(infos + i);
        free(infos);
        return ret;
}

static void container_help(void) {
        printf("Usage: berth container COMMAND\n"
               "\n"
               "Manage containers.\n"
               "\n"
               "Commands:\n"
               "  create      Create a new container\n"
               "  exec        Run a command in a running container\n"
               "  inspect     Display detailed information on one or more containers\n"
               "  kill        Send a signal to running containers\n"
               "  logs        Show the output of a container\n"
               "  port        List port mappings of a container\n"
               "  ls          List containers (also: list, ps)\n"
               "  rename      Rename a container\n"
               "  restart     Restart containers\n"
               "  rm          Remove containers\n"
               "  run         Create and start a container\n"
               "  start       Start stopped containers\n"
               "  stop        Stop running containers\n"
               "  wait        Wait for containers to stop and print their exit codes\n"
               "\n"
               "Run 'berth container COMMAND --help' for more information on a command.\n");
}

int verb_container(int argc, char *argv[]) {
        static const Verb sub[] = {
                { "attach", NULL, verb_attach },
                { "create", NULL, verb_create },
                { "exec", NULL, verb_exec },
                { "inspect", NULL, verb_container_inspect },
                { "kill", NULL, verb_kill },
                { "list", NULL, verb_ps },
                { "logs", NULL, verb_logs },
                { "port", NULL, verb_port },
                { "ls", NULL, verb_ps },
                { "ps", NULL, verb_ps },
                { "rename", NULL, verb_rename },
                { "restart", NULL, verb_restart },
                { "rm", NULL, verb_rm },
                { "run", NULL, verb_run },
                { "start", NULL, verb_start },
                { "stats", NULL, verb_stats },
                { "stop", NULL, verb_stop },
                { "update", NULL, verb_update },
                { "wait", NULL, verb_wait },
        };

        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                container_help();
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(sub); i++)
                if (streq(argv[1], sub[i].name)) {
                        optind = 0;
                        return sub[i].run(argc - 1, argv + 1);
                }
        return cli_usage_error("container", "'%s' is not a berth container command", argv[1]);
}
