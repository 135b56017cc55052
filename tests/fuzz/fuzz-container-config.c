/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the container config parser (config.json, whose Config.Healthcheck has the shape
 * of an image's HEALTHCHECK, which comes from registries) and to the Healthcheck parser on its own. What
 * parses must serialise and parse again to the same JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "health.h"
#include "json-util.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(container_freep) Container *c = NULL, *again = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        Healthcheck h = {};

        if (size > 65536)
                return 0;
        if (container_from_json((const char *) data, size, &c, NULL) >= 0) {
                if (container_to_json(c, &text) < 0)
                        return 0; /* out of memory */
                if (container_from_json(text, strlen(text), &again, NULL) < 0 ||
                        container_to_json(again, &text2) < 0 || strcmp(text, text2) != 0)
                        abort();
        }
        if (json_parse((const char *) data, size, &o, NULL) >= 0 &&
                healthcheck_from_json(o, &h, NULL) >= 0) {
                _cleanup_strv_free_ char **argv = healthcheck_argv(&h);
                if (healthcheck_enabled(&h) && (!argv || !argv[0]))
                        abort();
        }
        healthcheck_done(&h);
        return 0;
}
