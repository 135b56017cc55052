/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-runtime: ExecStart= and ExecStopPost= of berth@NAME.service. */
#include <stdio.h>
#include <stdlib.h>

#include "container.h"
#include "log.h"
#include "runtime.h"
#include "string-util.h"

static int help(void) {
        printf("Usage: berth-runtime start NAME\n"
               "       berth-runtime poststop NAME\n\n"
               "Runs container NAME as the main process of berth@NAME.service (start), and records how it\n"
               "ended (poststop, the unit's ExecStopPost=). Not meant to be run by hand.\n"
               "Environment: BERTH_ROOT (store, default " BERTH_STATE_DIR
               "), BERTH_UNIT_DIR, BERTH_INIT.\n");
        return 0;
}

int main(int argc, char *argv[]) {
        const char *root = getenv("BERTH_ROOT"), *unit_dir = getenv("BERTH_UNIT_DIR"), *name;
        _cleanup_free_ char *msg = NULL;
        int r, code;

        log_setup("berth-runtime");
        if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h")))
                return help();
        if (argc == 2 && streq(argv[1], "--version"))
                return puts("berth-runtime " PROJECT_VERSION) < 0;
        if (argc != 3 || (!streq(argv[1], "start") && !streq(argv[1], "poststop"))) {
                log_error("Usage: berth-runtime start|poststop NAME");
                return 125;
        }
        name = argv[2];
        if (!container_name_is_valid(name)) {
                log_error("Invalid container name '%s'", name);
                return 125;
        }
        root = isempty(root) ? BERTH_STATE_DIR : root;

        if (streq(argv[1], "start")) {
                r = runtime_start(root, name, &code, &msg);
                if (r != 0)
                        log_error("Failed to start container '%s': %s", name, msg ?: "out of memory");
                /* r > 0: the container's PID 1 carries the exit code as the unit's main process */
                return r < 0 ? code : 0;
        }

        r = runtime_poststop(root, name, isempty(unit_dir) ? BERTH_UNIT_DIR : unit_dir);
        if (r < 0) {
                log_error_errno(r, "Failed to record the exit of container '%s': %m", name);
                return EXIT_FAILURE;
        }
        return 0;
}
