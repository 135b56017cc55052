/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth attach CONTAINER: our terminal to a container started with -t in the background, through the pty
 * master its holder (src/runtime/tty-holder.c) gives us. ctrl-p ctrl-q detaches; when the container
 * ends, we exit with its exit code, as docker attach does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "container-util.h"
#include "fd-util.h"
#include "log.h"
#include "run-stdio.h"
#include "stdio-handover.h"
#include "string-util.h"

#define ATTACH_DIR "/run/berth/attach"

static bool arg_no_stdin = false;

static void help(void) {
        printf("Usage: berth attach [OPTIONS] CONTAINER\n"
               "\n"
               "Attach this terminal to a running container that was started with -t: its output shows\n"
               "here and, unless --no-stdin, what you type goes to it. ctrl-p ctrl-q detaches and leaves\n"
               "it running; when it exits, berth exits with its exit code.\n"
               "\n"
               "Options:\n"
               "      --no-stdin      Do not send this terminal's input\n"
               "      --detach-keys   Only the default ctrl-p,ctrl-q is supported\n"
               "  -h, --help          Show this help\n");
}

int verb_attach(int argc, char *argv[]) {
        enum { ARG_NO_STDIN = 0x100, ARG_DETACH_KEYS, ARG_SIG_PROXY };
        static const struct option options[] = {
                { "no-stdin", no_argument, NULL, ARG_NO_STDIN },
                { "detach-keys", required_argument, NULL, ARG_DETACH_KEYS },
                { "sig-proxy", required_argument, NULL, ARG_SIG_PROXY },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_free_ char *name = NULL, *unit = NULL;
        _cleanup_close_ int sock = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        StdioHandover msg;
        UnitState s = {};
        int c_opt, r, fds[3], root_fd;
        size_t n = 0;

        while ((c_opt = cli_getopt("attach", argc, argv, "h", options)) >= 0)
                switch (c_opt) {
                case ARG_NO_STDIN:
                        arg_no_stdin = true;
                        break;
                case ARG_DETACH_KEYS:
                        if (!streq(optarg, "ctrl-p,ctrl-q"))
                                return cli_usage_error("attach",
                                        "--detach-keys: only the default 'ctrl-p,ctrl-q' is supported yet");
                        break;
                case ARG_SIG_PROXY:
                        break; /* signals reach the container through its terminal */
                case 'h':
                        help();
                        return 0;
                }
        if (c_opt != -1)
                return -c_opt;
        if (argc - optind != 1)
                return cli_usage_error("attach", "\"attach\" requires exactly 1 argument: CONTAINER");

        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        root_fd = image_store_root_fd(store);
        r = cli_resolve_container(root_fd, argv[optind], &name);
        if (r < 0)
                return EXIT_CMD_FAILED;
        r = container_load(root_fd, name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name),
                       EXIT_CMD_FAILED;
        unit = container_unit_name(name);
        if (!unit)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;
        r = bus_get_unit_state(bus, unit, &s, &error);
        if (r < 0)
                return log_error("Failed to get the state of '%s': %s", unit, bus_error_message(&error, r)),
                       EXIT_CMD_FAILED;
        if (!unit_state_is_running(&s))
                return log_error("You cannot attach to a stopped container, start it first"),
                       EXIT_CMD_FAILED;
        if (!c->tty)
                return log_error("Container '%s' has no terminal: attach works for containers started with "
                                 "-t "
                                 "(see 'berth logs -f %s' for its output)",
                               name, name),
                       EXIT_CMD_FAILED;
        if ((size_t) snprintf(sa.sun_path, sizeof(sa.sun_path), ATTACH_DIR "/%s.sock", name) >=
                sizeof(sa.sun_path))
                return log_error("Container name too long"), EXIT_CMD_FAILED;
        sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0 || connect(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(-errno, "Failed to reach the terminal of container '%s' at '%s': %m",
                               name, sa.sun_path),
                       EXIT_CMD_FAILED;
        r = stdio_handover_recv(sock, 5000, &msg, fds, &n);
        if (r < 0 || n != 1 || msg.mode != 't')
                return log_error_errno(r < 0 ? r : SYNTHETIC_ERRNO(EBADMSG),
                               "Failed to get the terminal of container '%s': %m", name),
                       EXIT_CMD_FAILED;

        /* the socket stays open while we relay: the holder does not read the terminal meanwhile */
        r = terminal_relay(fds[0], !arg_no_stdin && isatty(STDIN_FILENO), /* hold_on_detach= */ false);
        safe_close(fds[0]);
        if (r == RUN_STDIO_DETACHED || r != 0)
                return r == RUN_STDIO_DETACHED ? 0 : EXIT_CMD_FAILED;

        /* the container's side of the terminal is gone: it ended, and its exit code is ours */
        for (int i = 0; i < 100; i++) {
                sd_bus_error_free(&error);
                if (bus_get_unit_state(bus, unit, &s, &error) < 0 || !unit_state_is_running(&s))
                        break;
                (void) sleep_usec(50 * 1000);
        }
        return container_exit_code(root_fd, name, &s);
}
