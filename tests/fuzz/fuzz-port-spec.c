/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the -p/--publish parser. Whatever parses must give valid bindings (container port
 * 1-65535, a numeric host address, equal-length ranges), and must survive a round trip through config.json's
 * PortBindings; failures must say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "container-util.h"
#include "json-util.h"
#include "string-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ PortBinding *p = NULL;
        _cleanup_free_ char *s = NULL, *text = NULL;
        const char *reason = NULL;
        size_t n = 0;

        if (size > 256)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (publish_spec_parse(s, &p, &n, &reason) < 0) {
                if (!reason)
                        abort();
                return 0;
        }
        if (n == 0 || n > PUBLISH_PORTS_MAX)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (p[i].container_port == 0 || !port_host_ip_is_valid(p[i].host_ip))
                        abort();
                if (p[i].proto != p[0].proto || p[i].container_port != p[0].container_port + i)
                        abort();
                if (p[0].host_port != 0 && p[i].host_port != p[0].host_port + i)
                        abort();
        }
        text = port_bindings_format(p, n);
        o = port_bindings_to_json(p, n, false);
        if (!text || !o)
                abort();
        return 0;
}
