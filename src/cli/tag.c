/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"

static void help(void) {
        printf("Usage: berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
               "\n"
               "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (a reference or an image ID).\n"
               "An existing TARGET_IMAGE tag is moved.\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n");
}

int verb_tag(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_free_ char *target = NULL;
        int c, r;

        while ((c = cli_getopt("tag", argc, argv, "h", options)) >= 0)
                if (c == 'h') {
                        help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind != 2)
                return cli_usage_error("tag",
                        "\"tag\" requires exactly 2 arguments: SOURCE_IMAGE TARGET_IMAGE");

        r = cli_parse_tag_reference("tag", argv[optind + 1], &target);
        if (r < 0)
                return -r == EXIT_USAGE ? EXIT_USAGE : EXIT_CMD_FAILED;

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = image_store_lock(store, LOCK_SH);
        if (r >= 0)
                r = image_store_resolve(store, argv[optind], &img, NULL);
        image_store_unlock(store);
        if (r == -ENOENT)
                return log_error("No such image: '%s'", argv[optind]), EXIT_CMD_FAILED;
        if (r == -ENOTUNIQ)
                return log_error("Image ID prefix '%s' is ambiguous: give more digits", argv[optind]),
                       EXIT_CMD_FAILED;
        if (r < 0)
                return log_error_errno(r, "Failed to look up image '%s': %m", argv[optind]), EXIT_CMD_FAILED;

        r = image_store_tag(store, img->id, target);
        if (r < 0)
                return log_error_errno(r, "Failed to tag '%s' as '%s': %m", argv[optind], argv[optind + 1]),
                       EXIT_CMD_FAILED;
        return 0;
}
