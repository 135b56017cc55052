/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "format.h"
#include "json-util.h"
#include "log.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

static bool arg_quiet = false;
static bool arg_no_trunc = false;
static bool arg_digests = false;
static const char *arg_format = NULL;

static void help(void) {
        printf("Usage: berth images [OPTIONS] [REPOSITORY[:TAG]]\n"
               "\n"
               "List images, newest first.\n"
               "\n"
               "Options:\n"
               "  -a, --all             Show all images (berth has no intermediate images; accepted)\n"
               "      --digests         Show digests\n"
               "      --format FORMAT   'table' (default), 'json' (one object per line), or a template\n"
               "                        such as '{{.Repository}}:{{.Tag}}'\n"
               "      --no-trunc        Don't truncate image IDs\n"
               "  -q, --quiet           Only show image IDs\n"
               "  -h, --help            Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_NO_TRUNC = 0x100, ARG_DIGESTS, ARG_FORMAT };
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "digests", no_argument, NULL, ARG_DIGESTS },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "no-trunc", no_argument, NULL, ARG_NO_TRUNC },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *reason = NULL;
        int c;

        while ((c = cli_getopt("images", argc, argv, "aqh", options)) >= 0)
                switch (c) {
                case 'a':
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_NO_TRUNC:
                        arg_no_trunc = true;
                        break;
                case ARG_DIGESTS:
                        arg_digests = true;
                        break;
                case ARG_FORMAT:
                        if (!streq(optarg, "json") && format_template_validate(optarg, &reason) < 0)
                                return -cli_usage_error("images", "invalid --format '%s': %s", optarg,
                                        reason);
                        arg_format = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                }
        if (c != -1)
                return c;
        if (argc - optind > 1)
                return -cli_usage_error("images", "\"images\" takes at most 1 argument, got %d",
                        argc - optind);
        return 1;
}

/* Does full reference "full" match the user's REPOSITORY[:TAG] filter? */
static bool matches(const char *full, const ImageReference *filter) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;

        if (!filter)
                return true;
        if (image_reference_parse(full, &ref, NULL) < 0)
                return false;
        if (!streq(ref->domain, filter->domain) || !streq(ref->path, filter->path))
                return false;
        /* a filter without an explicit tag parses as ":latest"; Docker then shows every tag */
        return !filter->tag || streq(filter->tag, "latest") || streq_ptr(ref->tag, filter->tag);
}

static struct json_object *row_object(const ImageRecord *img, const char *full_ref) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *repo = NULL;
        char size[32], since[64], created[64], id[DIGEST_STRING_MAX];
        time_t t = (time_t) img->created;
        struct tm tm;
        int r;

        if (!o)
                return NULL;
        if (full_ref && image_reference_parse(full_ref, &ref, NULL) >= 0)
                repo = image_reference_familiar_name(ref);
        format_bytes_docker(size, sizeof(size), img->size);
        format_relative_docker(since, sizeof(since), (long long) (time(NULL) - img->created));
        gmtime_r(&t, &tm);
        strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        snprintf(id, sizeof(id), "%s", arg_no_trunc ? img->id : img->id + 7);
        if (!arg_no_trunc)
                id[12] = 0;

        r = json_add_string(o, "Containers", "N/A");
        if (r >= 0)
                r = json_add_string(o, "CreatedAt", created);
        if (r >= 0)
                r = json_add_string(o, "CreatedSince", since);
        if (r >= 0)
                r = json_add_string(o, "Digest", img->manifest_digest ?: "<none>");
        if (r >= 0)
                r = json_add_string(o, "ID", id);
        if (r >= 0)
                r = json_add_string(o, "Repository", repo ?: "<none>");
        if (r >= 0)
                r = json_add_string(o, "SharedSize", "N/A");
        if (r >= 0)
                r = json_add_string(o, "Size", size);
        if (r >= 0)
                r = json_add_string(o, "Tag", ref && ref->tag ? ref->tag : "<none>");
        if (r >= 0)
                r = json_add_string(o, "UniqueSize", "N/A");
        if (r >= 0)
                r = json_add_string(o, "VirtualSize", size);
        if (r < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int print_row(struct json_object *row, char ***table, size_t *n) {
        static const char *const cols[] = { "Repository", "Tag", "Digest", "ID", "CreatedSince", "Size" };
        _cleanup_free_ char *line = NULL;
        char **cells;
        size_t k = 0;
        int r;

        if (arg_quiet) {
                printf("%s\n", json_get_string(row, "ID"));
                return 0;
        }
        if (arg_format && streq(arg_format, "json")) {
                printf("%s\n",
                        json_object_to_json_string_ext(row,
                                JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                return 0;
        }
        if (arg_format && !format_is_table(arg_format, NULL)) {
                r = format_template(arg_format, row, &line, NULL);
                if (r < 0)
                        return r;
                printf("%s\n", line);
                return 0;
        }
        cells = calloc(ELEMENTSOF(cols), sizeof(char *));
        if (!cells)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(cols); i++) {
                if (streq(cols[i], "Digest") && !arg_digests)
                        continue;
                cells[k++] = (char *) json_get_string(row, cols[i]);
        }
        table[(*n)++] = cells;
        return 0;
}

int verb_images(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(image_reference_freep) ImageReference *filter = NULL;
        _cleanup_json_ struct json_object *rows = NULL;
        ImageRecord **list = NULL;
        char ***table = NULL;
        size_t n = 0, n_table = 0, n_cols;
        const char *reason = NULL;
        int r, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        n_cols = arg_digests ? 6 : 5;
        if (argv[optind] && image_reference_parse(argv[optind], &filter, &reason) < 0)
                return cli_usage_error("images", "invalid reference format '%s': %s", argv[optind], reason);

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = image_store_lock(store, LOCK_SH);
        if (r >= 0)
                r = image_store_list(store, &list, &n);
        image_store_unlock(store);
        if (r < 0)
                return log_error_errno(r, "Failed to list images in '%s': %m", image_store_root(store)),
                       EXIT_CMD_FAILED;

        rows = json_object_new_array();
        if (!rows) {
                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                size_t tags = strv_length(list[i]->repo_tags);
                for (size_t t = 0; t < MAX(tags, (size_t) 1); t++) {
                        const char *full = tags ? list[i]->repo_tags[t] : NULL;
                        struct json_object *row;

                        if (filter && (!full || !matches(full, filter)))
                                continue;
                        row = row_object(list[i], full);
                        if (!row || json_object_array_add(rows, row) < 0) {
                                json_object_put(row);
                                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                                goto finish;
                        }
                }
        }

        table = calloc(json_object_array_length(rows) + 1, sizeof(char **));
        if (!table) {
                ret = (log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED);
                goto finish;
        }
        if (!arg_quiet && (!arg_format || format_is_table(arg_format, NULL))) {
                static char *hdr5[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
                static char *hdr6[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
                const char *rest;

                if (arg_format && format_is_table(arg_format, &rest) && *rest) {
                        /* "table TEMPLATE": header is the template's field names in capitals */
                        ret = cli_usage_error("images",
                                "'table' with a template is not supported yet; use "
                                "'table', 'json' or a plain template");
                        goto finish;
                }
                table[n_table++] = arg_digests ? hdr6 : hdr5;
        }
        for (size_t i = 0; i < json_object_array_length(rows); i++) {
                r = print_row(json_object_array_get_idx(rows, i), table, &n_table);
                if (r < 0) {
                        ret = (log_error_errno(r, "Failed to format image list: %m"), EXIT_CMD_FAILED);
                        goto finish;
                }
        }
        if (n_table > 0)
                cli_print_table(table, n_table, n_cols);

finish:
        if (table) {
                bool header =
                        n_table > 0 && !arg_quiet && (!arg_format || format_is_table(arg_format, NULL));
                for (size_t i = header ? 1 : 0; i < n_table; i++)
                        free(table[i]);
                free(table);
        }
        image_record_array_free(list, n);
        return ret;
}
