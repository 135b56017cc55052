/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth load and berth save: images from and into tar archives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fd-util.h"
#include "load.h"
#include "log.h"
#include "reference.h"
#include "save.h"
#include "string-util.h"
#include "strv.h"

/* --- load ---------------------------------------------------------------------------------------------- */

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

/* --- save ---------------------------------------------------------------------------------------------- */

static void save_help(void) {
        printf("Usage: berth save [OPTIONS] IMAGE [IMAGE...]\n"
               "\n"
               "Save images into a tar archive in docker-archive format (for berth load, docker load and\n"
               "skopeo's docker-archive:), written to standard output unless -o is given. A NAME:TAG keeps\n"
               "that tag, a NAME without tag every tag of that repository, an image ID none.\n"
               "\n"
               "Layers are re-created from their unpacked directories, so the saved image gets a new ID.\n"
               "\n"
               "Options:\n"
               "  -o, --output FILE   Write to FILE (replaced when complete) instead of standard output\n"
               "  -h, --help          Show this help\n");
}

/* NAME without ":TAG" or "@DIGEST": Docker saves every tag of the repository. */
static bool is_name_only(const char *s) {
        const char *slash = strrchr(s, '/');

        return !strchr(s, '@') && !strchr(slash ?: s, ':');
}

static int add_save_image(SaveImage **images, size_t *n, const char *id, const char *tag) {
        SaveImage *grown = realloc(*images, sizeof(SaveImage) * (*n + 1));

        if (!grown)
                return -ENOMEM;
        *images = grown;
        grown[*n] = (SaveImage){ .id = strdup(id) };
        if (!grown[*n].id || (tag && strv_extend(&grown[*n].tags, tag) < 0)) {
                free((char *) grown[*n].id);
                strv_free(grown[*n].tags);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

static void save_images_free(SaveImage *images, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free((char *) images[i].id);
                strv_free(images[i].tags);
        }
        free(images);
}

/* The images (and tags) one IMAGE argument names. */
static int resolve_save_arg(ImageStore *store, const char *arg, SaveImage **images, size_t *n) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_free_ char *name = NULL, *tag = NULL;
        size_t before = *n;
        int r;

        if (is_name_only(arg) && image_reference_parse(arg, &ref, NULL) >= 0) {
                ImageRecord **list = NULL;
                size_t count = 0;

                name = image_reference_name(ref);
                if (!name)
                        return -ENOMEM;
                r = image_store_list(store, &list, &count);
                if (r < 0)
                        return log_error_errno(r, "Failed to list images: %m");
                for (size_t i = 0; i < count && r >= 0; i++)
                        STRV_FOREACH(t, list[i]->repo_tags) {
                                const char *rest = startswith(*t, name);
                                if (rest && rest[0] == ':' && !strchr(rest, '@')) {
                                        r = add_save_image(images, n, list[i]->id, *t);
                                        if (r < 0)
                                                break;
                                }
                        }
                image_record_array_free(list, count);
                if (r < 0)
                        return log_error_errno(r, "Out of memory");
                if (*n > before)
                        return 0;
        }

        r = image_store_resolve(store, arg, &rec, &tag);
        if (r == -ENOENT)
                return log_error("No such image: %s", arg), -ENOENT;
        if (r == -ENOTUNIQ)
                return log_error("Image ID prefix '%s' is ambiguous", arg), r;
        if (r < 0)
                return log_error_errno(r, "Failed to look up image '%s': %m", arg);
        r = add_save_image(images, n, rec->id, tag);
        if (r < 0)
                return log_error_errno(r, "Out of memory");
        return 0;
}

int verb_save(int argc, char *argv[]) {
        static const struct option options[] = {
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_free_ char *msg = NULL, *temp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *output = NULL;
        SaveImage *images = NULL;
        size_t n = 0;
        int c, r;

        while ((c = cli_getopt("save", argc, argv, "o:h", options)) >= 0)
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        save_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind < 1)
                return cli_usage_error("save", "\"save\" requires at least 1 argument: IMAGE [IMAGE...]");
        if (output && streq(output, "-"))
                output = NULL;
        if (!output && isatty(STDOUT_FILENO))
                return log_error("Cowardly refusing to save to a terminal. Use the -o flag or redirect"),
                       EXIT_CMD_FAILED;

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        for (int i = optind; i < argc; i++) {
                r = resolve_save_arg(store, argv[i], &images, &n);
                if (r < 0) {
                        save_images_free(images, n);
                        return EXIT_CMD_FAILED;
                }
        }

        if (output) {
                /* a temporary file beside the target, renamed over it when complete */
                const char *slash = strrchr(output, '/');
                mode_t mask = umask(0);

                umask(mask);
                temp = slash
                        ? asprintf_safe("%.*s/.%s.berth-XXXXXX", (int) (slash - output), output, slash + 1)
                        : asprintf_safe(".%s.berth-XXXXXX", output);
                if (!temp) {
                        save_images_free(images, n);
                        return log_error("Out of memory"), EXIT_CMD_FAILED;
                }
                fd = mkostemp(temp, O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        save_images_free(images, n);
                        return log_error_errno(r, "Failed to create a file beside '%s': %m", output),
                               EXIT_CMD_FAILED;
                }
                (void) fchmod(fd, 0666 & ~mask);
        }

        r = image_save(store, images, n, output ? fd : STDOUT_FILENO, &msg);
        save_images_free(images, n);
        if (r >= 0 && output && fsync(fd) < 0)
                r = log_error_errno(-errno, "Failed to write '%s': %m", output);
        else if (r < 0)
                log_error("Failed to save: %s", msg ?: strerror(-r));
        if (r >= 0 && output && rename(temp, output) < 0)
                r = log_error_errno(-errno, "Failed to rename '%s' to '%s': %m", temp, output);
        if (r < 0) {
                if (temp)
                        (void) unlink(temp);
                return EXIT_CMD_FAILED;
        }
        return 0;
}
