/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Registry credentials, in Docker's config.json format ({"auths": {"HOST": {"auth": base64("user:pass")}}}).
 * berth keeps its own in $BERTH_CONFIG_DIR/auth.json (default /etc/berth, mode 0600, written by `berth
 * login`) and also reads, in this order, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * /run/containers/0/auth.json and $DOCKER_CONFIG/config.json or ~/.docker/config.json. The files are input
 * from outside: entries that do not decode are skipped with a debug message. */

/* The directory of berth's configuration: $BERTH_CONFIG_DIR or /etc/berth. */
const char *berth_config_dir(void);

/* The registry a config.json key or a `berth login` argument names: "https://host:5000/v2/" → "host:5000",
 * every spelling of Docker Hub → "docker.io". NULL on OOM. */
char *registry_server_host(const char *server);

/* Finds credentials for registry (a reference's domain: "docker.io", "localhost:5000"). Returns 1 and
 * allocated strings when found, 0 when there are none. */
int auth_config_lookup(const char *registry, char **ret_user, char **ret_password);

/* Stores (password != NULL) or removes (password == NULL) berth's own entry for registry. Removing returns
 * -ENOENT when there was no entry. */
int auth_config_store(const char *registry, const char *user, const char *password);

/* The parser on its own, for tests and fuzzing: looks registry up in a config.json text. */
int auth_config_lookup_in(const char *text, size_t size, const char *registry, char **ret_user,
        char **ret_password);
