/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "strv.h"

static bool arg_force = false;

static void help(void) {
        printf("Usage: berth rmi [OPTIONS] IMAGE [IMAGE...]\n"
               "       berth image rm [OPTIONS] IMAGE [IMAGE...]\n"
               "\n"
               "Remove images. IMAGE is a reference (busybox, busybox:1.36, name@sha256:...) or an image "
               "ID\n"
               "(or a unique prefix of one). A reference removes that tag, and the image once no tag is\n"
               "left; an ID removes the image with all its tags. Layers no other image or container uses\n"
               "are deleted.\n"
               "\n"
               "Options:\n"
               "  -f, --force      Remove an image even if a container uses it, or if an ID names an\n"
               "                   image with several tags\n"
               "      --no-prune   Accepted for compatibility (berth keeps no untagged parents)\n"
               "  -h, --help       Show this help\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_NO_PRUNE = 0x100 };
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "no-prune", no_argument, NULL, ARG_NO_PRUNE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = cli_getopt("rmi", argc, argv, "fh", options)) >= 0)
                switch (c) {
                case 'f':
                        arg_force = true;
                        break;
                case ARG_NO_PRUNE:
                        break;
                case 'h':
                        help();
                        return 0;
                }
        if (c != -1)
                return c;
        if (argc - optind < 1)
                return -cli_usage_error("rmi", "\"rmi\" requires at least 1 argument: IMAGE [IMAGE...]");
        return 1;
}

int verb_rmi(int argc, char *argv[]) {
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        int r, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;

        /* Like Docker: try every argument, report each failure, exit 1 if any failed. */
        for (int i = optind; i < argc; i++) {
                _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL;
                _cleanup_free_ char *msg = NULL;

                r = image_store_remove(store, argv[i], arg_force ? IMAGE_REMOVE_FORCE : 0, &untagged,
                        &deleted, &msg);
                if (r == -ENOENT)
                        log_error("No such image: '%s'", argv[i]);
                else if (r == -ENOTUNIQ)
                        log_error("Image ID prefix '%s' is ambiguous: give more digits", argv[i]);
                else if (r < 0 && msg)
                        log_error("%s", msg);
                else if (r < 0)
                        log_error_errno(r, "Failed to remove image '%s': %m", argv[i]);
                if (r < 0) {
                        ret = EXIT_CMD_FAILED;
                        continue;
                }
                STRV_FOREACH(u, untagged) {
                        _cleanup_free_ char *f = cli_familiar_reference(*u);
                        printf("Untagged: %s\n", f ?: *u);
                }
                STRV_FOREACH(d, deleted)
                        printf("Deleted: %s\n", *d);
        }
        return ret;
}
