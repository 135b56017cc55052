/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "fd-util.h"
#include "image-config.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

static char **arg_changes = NULL;
static const char *arg_message = NULL;
static const char *arg_platform = NULL;
static bool arg_quiet = false;

static void help(void) {
        printf("Usage: berth import [OPTIONS] FILE|- [REPOSITORY[:TAG]]\n"
               "\n"
               "Import the contents of a root filesystem tarball (plain, gzip, zstd, xz or bzip2) as a\n"
               "one-layer image. '-' reads the tarball from standard input.\n"
               "\n"
               "Options:\n"
               "  -c, --change INSTRUCTION  Apply a Dockerfile instruction to the image config: CMD,\n"
               "                            ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, STOPSIGNAL, USER,\n"
               "                            VOLUME, WORKDIR (repeatable)\n"
               "  -m, --message TEXT        Set the commit message of the imported image\n"
               "      --platform OS/ARCH    Set the platform recorded in the image (default: this machine)\n"
               "  -q, --quiet               Accepted for compatibility; import prints only the image ID\n"
               "  -h, --help                Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_PLATFORM = 0x100 };
        static const struct option options[] = {
                { "change", required_argument, NULL, 'c' },
                { "message", required_argument, NULL, 'm' },
                { "platform", required_argument, NULL, ARG_PLATFORM },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = cli_getopt("import", argc, argv, "c:m:qh", options)) >= 0)
                switch (c) {
                case 'c':
                        if (strv_extend(&arg_changes, optarg) < 0)
                                return log_error_errno(-ENOMEM, "Out of memory");
                        break;
                case 'm':
                        arg_message = optarg;
                        break;
                case ARG_PLATFORM:
                        if (!startswith(optarg, "linux/") || !optarg[6])
                                return -cli_usage_error("import",
                                        "invalid --platform '%s': berth imports linux/ARCH images", optarg);
                        arg_platform = optarg;
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
        if (argc - optind < 1)
                return -cli_usage_error("import",
                        "\"import\" requires at least 1 argument: FILE|- [REPOSITORY[:TAG]]");
        if (argc - optind > 2)
                return -cli_usage_error("import", "\"import\" takes at most 2 arguments, got %d",
                        argc - optind);
        return 1;
}

/* Builds the OCI image config for a freshly imported layer. */
static int build_config(const LayerExtractResult *layer, const char *source, char **ret,
        const char **reterr) {
        _cleanup_json_ struct json_object *root = NULL;
        struct json_object *config, *rootfs, *diff_ids, *history, *h;
        _cleanup_free_ char *comment = NULL, *arch = NULL;
        const char *variant = NULL;
        char now[64];
        int r;

        if (arg_platform) {
                const char *a = arg_platform + 6, *slash = strchr(a, '/');
                arch = slash ? strndup(a, (size_t) (slash - a)) : strdup(a);
                variant = slash ? slash + 1 : NULL;
        } else
                arch = strdup(image_config_host_arch());
        comment = arg_message ? strdup(arg_message) : strjoin("Imported from ", source);
        root = json_object_new_object();
        if (!arch || !comment || !root)
                return -ENOMEM;

        image_config_now(now);
        r = json_add_string(root, "architecture", arch);
        if (r >= 0 && variant)
                r = json_add_string(root, "variant", variant);
        if (r >= 0)
                r = json_add_string(root, "os", "linux");
        if (r >= 0)
                r = json_add_string(root, "created", now);
        if (r >= 0)
                r = json_add_string(root, "comment", comment);
        if (r < 0)
                return r;

        config = json_add_new_object(root, "config");
        rootfs = json_add_new_object(root, "rootfs");
        diff_ids = rootfs ? json_add_new_array(rootfs, "diff_ids") : NULL;
        history = json_add_new_array(root, "history");
        h = json_object_new_object();
        if (!config || !diff_ids || !history || !h || json_object_array_add(history, h) < 0) {
                json_object_put(h);
                return -ENOMEM;
        }
        STRV_FOREACH(ch, arg_changes) {
                r = image_config_apply_change(config, *ch, reterr);
                if (r < 0)
                        return r;
        }
        r = json_add_string(rootfs, "type", "layers");
        if (r >= 0)
                r = json_array_add_string(diff_ids, layer->diff_id);
        if (r >= 0)
                r = json_add_string(h, "created", now);
        if (r >= 0)
                r = json_add_string(h, "comment", comment);
        if (r < 0)
                return r;

        *ret = json_to_string(root, false);
        return *ret ? 0 : -ENOMEM;
}

int verb_import(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_strv_free_ char **tags = NULL;
        _cleanup_free_ char *config = NULL, *tag = NULL, *errmsg = NULL;
        _cleanup_close_ int fd = -EBADF;
        LayerExtractResult layer = {};
        const char *source, *reason = NULL;
        char id[DIGEST_STRING_MAX];
        struct stat st;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        source = argv[optind];

        /* Check everything about the arguments before reading a byte. */
        if (argv[optind + 1]) {
                r = cli_parse_tag_reference("import", argv[optind + 1], &tag);
                if (r < 0)
                        return r == -EXIT_USAGE ? EXIT_USAGE : EXIT_CMD_FAILED;
                if (strv_extend(&tags, tag) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;
        }
        STRV_FOREACH(ch, arg_changes) {
                _cleanup_json_ struct json_object *probe = json_object_new_object();
                if (probe && image_config_apply_change(probe, *ch, &reason) < 0)
                        return cli_usage_error("import", "invalid --change '%s': %s", *ch, reason);
        }
        if (startswith(source, "http://") || startswith(source, "https://"))
                return cli_usage_error("import",
                        "importing from a URL is not supported: download '%s' first, then import the file",
                        source);

        if (streq(source, "-")) {
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return log_error_errno(-errno, "Failed to use standard input: %m"), EXIT_CMD_FAILED;
                if (isatty(fd))
                        return cli_usage_error("import",
                                "standard input is a terminal; pipe a tarball into 'berth import -'");
        } else {
                fd = open(source, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return log_error_errno(-errno, "Failed to open '%s': %m", source), EXIT_CMD_FAILED;
                if (fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "Failed to stat '%s': %m", source), EXIT_CMD_FAILED;
                if (S_ISDIR(st.st_mode))
                        return cli_usage_error("import",
                                "'%s' is a directory; import takes a tarball (e.g. tar -C DIR -c . | berth "
                                "import -)",
                                source);
        }

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;

        r = image_store_import_layer(store, fd, 0, NULL, &layer, &errmsg);
        if (r < 0) {
                if (errmsg)
                        log_error("Failed to import '%s': %s", source, errmsg);
                else
                        log_error_errno(r, "Failed to import '%s': %m", source);
                return EXIT_CMD_FAILED;
        }

        r = build_config(&layer, source, &config, &reason);
        if (r < 0)
                return log_error_errno(r, "Failed to build the image config: %s", reason ?: strerror(-r)),
                       EXIT_CMD_FAILED;

        r = image_store_add_image(store, config, strlen(config), /* manifest_digest= */ NULL, tags, id);
        if (r < 0)
                return log_error_errno(r, "Failed to record the imported image: %m"), EXIT_CMD_FAILED;

        printf("%s\n", id);
        return 0;
}
