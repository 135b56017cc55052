/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth push: an image into a registry. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "push.h"
#include "reference.h"
#include "string-util.h"

typedef struct PushOutput {
        bool quiet;
} PushOutput;

static void on_progress(const char *diff_id, PushLayerState state, void *userdata) {
        PushOutput *o = userdata;

        if (o->quiet)
                return;
        /* plain lines once a layer is settled, as docker push prints without a terminal */
        if (state == PUSH_LAYER_PUSHED || state == PUSH_LAYER_EXISTS) {
                printf("%.12s: %s\n", diff_id + strlen("sha256:"),
                        state == PUSH_LAYER_PUSHED ? "Pushed" : "Layer already exists");
                fflush(stdout);
        }
}

static void push_help(void) {
        printf("Usage: berth push [OPTIONS] NAME[:TAG]\n"
               "\n"
               "Upload an image to a registry. Layers are re-created from their unpacked directories and\n"
               "gzip-compressed; blobs the registry has already are not sent again. The image arrives with\n"
               "the same content, but under another ID than the local one (see berth(1)).\n"
               "\n"
               "Options:\n"
               "  -q, --quiet    Print only the pushed reference\n"
               "  -h, --help     Show this help\n"
               "\n"
               "Registries and credentials as for 'berth pull' ('berth login' first where needed).\n");
}

int verb_push(int argc, char *argv[]) {
        static const struct option options[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "all-tags", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_free_ char *full = NULL, *familiar = NULL, *found = NULL, *msg = NULL;
        PushOutput out = {};
        PushOptions opts = { .progress = on_progress, .userdata = &out };
        PushResult res = {};
        const char *reason = NULL;
        int c, r;

        while ((c = cli_getopt("push", argc, argv, "qah", options)) >= 0)
                switch (c) {
                case 'q':
                        out.quiet = true;
                        break;
                case 'a':
                        return cli_usage_error("push",
                                "--all-tags is not supported: push the tags one by one");
                case 'h':
                        push_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind != 1)
                return cli_usage_error("push", "\"push\" requires exactly 1 argument: NAME[:TAG]");

        r = image_reference_parse(argv[optind], &ref, &reason);
        if (r < 0)
                return log_error("invalid reference format '%s': %s", argv[optind], reason), EXIT_USAGE;
        if (ref->digest)
                return cli_usage_error("push", "cannot push a digest reference '%s': name a tag",
                        argv[optind]);
        full = image_reference_to_string(ref);
        familiar = image_reference_familiar_name(ref);
        if (!full || !familiar)
                return log_error("Out of memory"), EXIT_CMD_FAILED;

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = image_store_resolve(store, full, &rec, &found);
        if (r < 0 || !found)
                return log_error("An image does not exist locally with the tag: %s", familiar),
                       EXIT_CMD_FAILED;

        if (!out.quiet) {
                printf("The push refers to repository [%s]\n", familiar);
                fflush(stdout);
        }
        r = image_push(store, rec->id, ref, &opts, &res, &msg);
        if (r < 0)
                return log_error("Error pushing %s: %s", full, msg ?: strerror(-r)), EXIT_CMD_FAILED;
        if (out.quiet)
                printf("%s\n", full);
        else
                printf("%s: digest: %s size: %" PRIu64 "\n", ref->tag, res.manifest_digest,
                        res.manifest_size);
        return 0;
}
