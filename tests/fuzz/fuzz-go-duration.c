/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the Go duration parser (--idle-stop, and --since/--until through
 * parse_docker_time()). Whatever parses must stay within the documented range, and a duration made only of
 * whole seconds must come back exactly. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint64_t usec = 0, again = 0, t = 0;
        char *s, buf[32];
        int r;

        if (size > 128)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        r = parse_go_duration(s, &usec);
        if (r < 0 && r != -EINVAL && r != -ERANGE)
                abort();
        if (r >= 0) {
                if (usec > 1000000000000000000ULL)
                        abort();
                /* whole seconds survive a round trip */
                snprintf(buf, sizeof(buf), "%llus", (unsigned long long) (usec / 1000000));
                if (parse_go_duration(buf, &again) < 0 || again != usec / 1000000 * 1000000)
                        abort();
        }
        (void) parse_docker_time(s, 1800000000ULL * 1000000ULL, &t);
        free(s);
        return 0;
}
