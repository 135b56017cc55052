/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "string-util.h"
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

static void prune_help(void) {
        printf("Usage: berth image prune [OPTIONS]\n"
               "\n"
               "Remove dangling images (without a tag) that no container uses; with --all, every image\n"
               "no container uses. Their layers go too when nothing else uses them.\n"
               "\n"
               "Options:\n"
               "  -a, --all     Remove all unused images, not just dangling ones\n"
               "  -f, --force   Do not ask for confirmation\n"
               "  -h, --help    Show this help\n");
}

int verb_image_prune(int argc, char *argv[]) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "force", no_argument, NULL, 'f' },
                { "filter", required_argument, NULL, 'F' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        ImageRecord **list = NULL;
        bool all = false, force = false, header = false;
        uint64_t reclaimed = 0;
        size_t n = 0;
        char size[32];
        int c, r, ret = 0;

        while ((c = cli_getopt("image prune", argc, argv, "afh", options)) >= 0)
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'F':
                        return cli_usage_error("image prune", "--filter is not supported yet");
                case 'h':
                        prune_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (optind < argc)
                return cli_usage_error("image prune", "\"image prune\" takes no arguments");
        if (!force) {
                char answer[16] = "";

                fprintf(stderr,
                        "WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
                        all ? "images without at least one container associated to them"
                            : "dangling images");
                fflush(stderr);
                if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                        return 0;
        }

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = image_store_lock(store, LOCK_SH);
        if (r >= 0)
                r = image_store_list(store, &list, &n);
        image_store_unlock(store);
        if (r < 0)
                return log_error_errno(r, "Failed to list images: %m"), EXIT_CMD_FAILED;

        for (size_t i = 0; i < n; i++) {
                _cleanup_strv_free_ char **users = NULL, **untagged = NULL, **deleted = NULL;
                _cleanup_free_ char *msg = NULL;

                if (!all && !strv_isempty(list[i]->repo_tags))
                        continue;
                r = image_store_image_users(store, list[i]->id, &users);
                if (r < 0 || !strv_isempty(users))
                        continue;
                /* FORCE: an ID with several tags goes as a whole; users were checked just above */
                r = image_store_remove(store, list[i]->id, IMAGE_REMOVE_FORCE, &untagged, &deleted, &msg);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        log_error("Failed to remove image %s: %s", list[i]->id, msg ?: strerror(-r));
                        ret = EXIT_CMD_FAILED;
                        continue;
                }
                if (!header) {
                        printf("Deleted Images:\n");
                        header = true;
                }
                STRV_FOREACH(u, untagged) {
                        _cleanup_free_ char *f = cli_familiar_reference(*u);
                        printf("untagged: %s\n", f ?: *u);
                }
                STRV_FOREACH(d, deleted)
                        printf("deleted: %s\n", *d);
                reclaimed += list[i]->size;
        }
        image_record_array_free(list, n);
        format_bytes_docker(size, sizeof(size), reclaimed);
        printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", size);
        return ret;
}
