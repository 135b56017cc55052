/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth load and berth save: images from and into tar archives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fd-util.h"
#include "load.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

/* --- load ------------------------------------------------------------------------------------------------- */

static void load_help(void) {
        printf("Usage: berth load [OPTIONS]\n"
               "\n"
               "Load images from a tar archive: a docker-archive (docker save, skopeo's docker-archive:) or "
               "an\n"
               "OCI image layout (skopeo's oci-archive:), plain or compressed with gzip, zstd, xz or "
               "bzip2.\n"
               "Every layer is verified against the digests the archive's manifests and configs name.\n"
               "\n"
               "Options:\n"
               "  -i, --input FILE   Read from FILE instead of standard input\n"
               "  -q, --quiet        Print only the loaded images\n"
               "  -h, --help         Show this help\n");
}

int verb_load(int argc, char *argv[]) {
        static const struct option options[] = {
                { "input", required_argument, NULL, 'i' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(load_result_done) LoadResult res = {};
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *input = NULL;
        struct stat st;
        int c, r;

        while ((c = cli_getopt("load", argc, argv, "i:qh", options)) >= 0)
                switch (c) {
                case 'i':
                        input = optarg;
                        break;
                case 'q':
                        /* there is no progress output to suppress */
                        break;
                case 'h':
                        load_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc > optind)
                return cli_usage_error("load",
                        "\"load\" accepts no arguments: use -i FILE or standard input");

        if (!input || streq(input, "-")) {
                input = "standard input";
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return log_error_errno(-errno, "Failed to use standard input: %m"), EXIT_CMD_FAILED;
                if (isatty(fd))
                        return cli_usage_error("load",
                                "requested load from stdin, but stdin is a terminal: use -i FILE or a pipe");
        } else {
                fd = open(input, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return log_error_errno(-errno, "Failed to open '%s': %m", input), EXIT_CMD_FAILED;
                if (fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "Failed to stat '%s': %m", input), EXIT_CMD_FAILED;
                if (S_ISDIR(st.st_mode))
                        return cli_usage_error("load",
                                "'%s' is a directory; load takes a tar archive (tar -C DIR -c . | berth "
                                "load)",
                                input);
        }

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = image_load(store, fd, &res, &msg);
        if (r < 0)
                return log_error("Failed to load '%s': %s", input, msg ?: strerror(-r)), EXIT_CMD_FAILED;

        for (size_t i = 0; i < res.n_images; i++) {
                if (strv_isempty(res.images[i].tags)) {
                        printf("Loaded image ID: %s\n", res.images[i].id);
                        continue;
                }
                STRV_FOREACH(t, res.images[i].tags) {
                        _cleanup_free_ char *f = cli_familiar_reference(*t);
                        printf("Loaded image: %s\n", f ?: *t);
                }
        }
        return 0;
}
