/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus-util.h"
#include "container-util.h"
#include "fileio.h"
#include "log.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

const char *arg_root = NULL;

int cli_usage_error(const char *verb, const char *format, ...) {
        va_list ap;

        fprintf(stderr, "berth%s%s: ", isempty(verb) ? "" : " ", verb);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, "\nSee 'berth%s%s --help'.\n", isempty(verb) ? "" : " ", verb);
        return EXIT_USAGE;
}

int cli_getopt(const char *verb, int argc, char *argv[], const char *shortopts,
        const struct option *longopts) {
        int c;

        opterr = 0;
        c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c == '?' || c == ':') {
                const char *bad = argv[optind - 1];

                if (startswith(bad, "--")) {
                        _cleanup_free_ char *flag = strndup(bad, strcspn(bad, "="));
                        const char *name = flag ? flag + 2 : "";
                        bool known = false;

                        for (const struct option *o = longopts; o && o->name; o++)
                                known = known || streq(o->name, name);
                        cli_usage_error(verb, known ? "flag needs an argument: %s" : "unknown flag: %s",
                                flag ?: bad);
                } else if (strchr(shortopts, optopt))
                        cli_usage_error(verb, "flag needs an argument: -%c", optopt);
                else
                        cli_usage_error(verb, "unknown shorthand flag: '%c' in %s", optopt, bad);
                return -EXIT_USAGE;
        }
        return c;
}

int cli_open_store(ImageStore **ret) {
        const char *root = arg_root ?: BERTH_STATE_DIR;
        int r;

        r = image_store_open(root, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to open the berth store at '%s': %m", root);
        return 0;
}

int cli_open_bus(sd_bus **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = bus_open_system(&bus);
        if (r >= 0)
                r = bus_ping_manager(bus, &error);
        if (r < 0) {
                log_error("Failed to connect to systemd: %s", bus_error_message(&error, r));
                log_error("%s", bus_connect_error_hint());
                return r;
        }
        *ret = TAKE_PTR(bus);
        return 0;
}

int cli_open_store_and_bus(ImageStore **ret_store, sd_bus **ret_bus, int fail_code) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        if (cli_open_store(&store) < 0 || cli_open_bus(&bus) < 0)
                return fail_code;
        *ret_store = TAKE_PTR(store);
        *ret_bus = TAKE_PTR(bus);
        return 0;
}

#define ENV_FILE_MAX (1024u * 1024u)

int cli_read_env_file(const char *verb, const char *path, char ***env) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *text = NULL;
        const char *reason = NULL;
        unsigned line = 0;
        size_t size;
        int r;

        r = read_full_file_at(AT_FDCWD, path, ENV_FILE_MAX, &text, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read --env-file '%s': %m", path), -EXIT_USAGE;
        r = env_file_parse(text, size, &l, &line, &reason);
        if (r == -EINVAL)
                return -cli_usage_error(verb, "invalid --env-file '%s', line %u: %s", path, line, reason);
        if (r < 0)
                return log_error_errno(r, "Failed to parse --env-file '%s': %m", path), -EXIT_USAGE;
        STRV_FOREACH(e, l)
                if (env_merge(env, *e) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        return 0;
}

int cli_parse_tag_reference(const char *verb, const char *arg, char **ret) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        const char *reason = NULL;
        char *s;

        if (image_reference_parse(arg, &ref, &reason) < 0) {
                cli_usage_error(verb, "invalid reference format '%s': %s", arg,
                        reason ?: "invalid reference");
                return -EXIT_USAGE;
        }
        if (ref->digest) {
                cli_usage_error(verb, "'%s' contains a digest; a tag name is needed here (REPOSITORY[:TAG])",
                        arg);
                return -EXIT_USAGE;
        }
        s = image_reference_to_string(ref);
        if (!s)
                return log_error_errno(-ENOMEM, "Out of memory");
        *ret = s;
        return 0;
}

char *cli_familiar_reference(const char *full) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *name = NULL;

        if (image_reference_parse(full, &ref, NULL) < 0)
                return strdup(full);
        name = image_reference_familiar_name(ref);
        if (!name)
                return NULL;
        if (ref->tag && ref->digest)
                return strjoin(name, ":", ref->tag, "@", ref->digest);
        if (ref->digest)
                return strjoin(name, "@", ref->digest);
        return strjoin(name, ":", ref->tag);
}

/* Display width of UTF-8 text: code points, not bytes ("…" is one column, three bytes). */
static size_t text_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

void cli_print_table(char ***rows, size_t n_rows, size_t n_cols) {
        size_t width[16] = {};

        if (n_cols > ELEMENTSOF(width))
                n_cols = ELEMENTSOF(width);
        /* Docker's tabwriter: minimum width 10, padding 3 */
        for (size_t i = 0; i < n_rows; i++)
                for (size_t c = 0; c < n_cols; c++)
                        width[c] = MAX(width[c], MAX(text_width(rows[i][c]) + 3, (size_t) 10));
        for (size_t i = 0; i < n_rows; i++) {
                for (size_t c = 0; c < n_cols; c++) {
                        fputs(rows[i][c], stdout);
                        if (c + 1 < n_cols)
                                printf("%*s", (int) (width[c] - text_width(rows[i][c])), "");
                }
                putchar('\n');
        }
}

int cli_resolve_container(int root_fd, const char *arg, char **ret_name) {
        int r = container_resolve(root_fd, arg, ret_name);

        if (r == -ENOENT)
                return log_error("No such container: %s", arg), r;
        if (r == -ENOTUNIQ)
                return log_error("Container ID prefix '%s' is ambiguous: give more digits, or the name",
                               arg),
                       r;
        if (r < 0)
                return log_error_errno(r, "Failed to look up container '%s': %m", arg);
        return 0;
}
