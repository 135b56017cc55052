/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "string-util.h"

static const Verb verbs[] = {
        { "attach", "Attach this terminal to a container started with -t", verb_attach },
        { "container", "Manage containers (ls, create, start, stop, rm, inspect, ...)", verb_container },
        { "create", "Create a new container", verb_create },
        { "exec", "Run a command in a running container", verb_exec },
        { "generate", "Print a .container file that declares a container", verb_generate },
        { "healthcheck", "Run a container's health check now (healthcheck run NAME)", verb_healthcheck },
        { "image", "Manage images (ls, rm, tag, inspect, import, load, save, pull, push)", verb_image },
        { "images", "List images", verb_images },
        { "import", "Import a root filesystem tarball as an image", verb_import },
        { "inspect", "Show low-level information about containers or images as JSON", verb_inspect },
        { "kill", "Send a signal to running containers", verb_kill },
        { "load", "Load images from a tar archive (docker save or OCI format)", verb_load },
        { "login", "Log in to a registry", verb_login },
        { "logout", "Log out from a registry", verb_logout },
        { "logs", "Show the output of a container", verb_logs },
        { "port", "List port mappings of a container", verb_port },
        { "ps", "List containers", verb_ps },
        { "pull", "Download an image from a registry", verb_pull },
        { "push", "Upload an image to a registry", verb_push },
        { "rename", "Rename a container", verb_rename },
        { "restart", "Restart containers", verb_restart },
        { "rm", "Remove containers", verb_rm },
        { "rmi", "Remove one or more images", verb_rmi },
        { "run", "Create and start a container from an image", verb_run },
        { "save", "Save images to a tar archive (docker-archive format)", verb_save },
        { "start", "Start stopped containers", verb_start },
        { "stats", "Show the resource usage of containers", verb_stats },
        { "stop", "Stop running containers", verb_stop },
        { "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", verb_tag },
        { "update", "Change the resource limits of containers", verb_update },
        { "wait", "Wait for containers to stop and print their exit codes", verb_wait },
};

static void help(void) {
        printf("Usage: berth [OPTIONS] COMMAND [ARG...]\n"
               "\n"
               "Containers as systemd units, with the Docker command line.\n"
               "\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
        printf("\n"
               "Global options:\n"
               "      --root DIR         State directory (default %s, or $BERTH_ROOT)\n"
               "      --log-level LEVEL  Log level: debug, info, warning, error (default info)\n"
               "  -D, --debug            Same as --log-level debug\n"
               "  -h, --help             Show this help\n"
               "  -v, --version          Show the version\n"
               "\n"
               "Run 'berth COMMAND --help' for more information on a command. See berth(1).\n",
                BERTH_STATE_DIR);
}

static int parse_global(int argc, char *argv[]) {
        enum { ARG_ROOT = 0x100, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "debug", no_argument, NULL, 'D' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                {},
        };
        int c;

        /* "+": stop at the verb, whose own options are parsed by the verb */
        while ((c = cli_getopt("", argc, argv, "+Dhv", options)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (optarg[0] != '/')
                                return cli_usage_error("", "--root needs an absolute path, got '%s'",
                                        optarg);
                        arg_root = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_set_level_from_string(optarg) < 0)
                                return cli_usage_error("",
                                        "invalid --log-level '%s': use debug, info, warning or error",
                                        optarg);
                        break;
                case 'D':
                        log_set_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case 'v':
                        printf("berth version %s\n", PROJECT_VERSION);
                        return 0;
                }
        if (c != -1)
                return -c;
        return -1; /* continue */
}

int main(int argc, char *argv[]) {
        const char *e;
        int r;

        log_setup("berth");

        e = getenv("BERTH_ROOT");
        if (!isempty(e)) {
                if (e[0] != '/') {
                        log_error("$BERTH_ROOT must be an absolute path, got '%s'", e);
                        return EXIT_USAGE;
                }
                arg_root = e;
        }

        r = parse_global(argc, argv);
        if (r >= 0)
                return r;

        if (optind >= argc) {
                help();
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name)) {
                        int vargc = argc - optind;
                        char **vargv = argv + optind;

                        optind = 0; /* reinitialise getopt for the verb */
                        return verbs[i].run(vargc, vargv);
                }

        fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'.\n", argv[optind]);
        return EXIT_USAGE;
}
