/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "auth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"

#define AUTH_FILE_MAX (1024 * 1024)

const char *berth_config_dir(void) {
        const char *e = getenv("BERTH_CONFIG_DIR");
        return !isempty(e) ? e : "/etc/berth";
}

/* Docker Hub is written many ways in config files */
static bool is_docker_hub(const char *host) {
        return streq(host, "docker.io") || streq(host, "index.docker.io") ||
                streq(host, "registry-1.docker.io");
}

/* The host part of a config.json key: "https://index.docker.io/v1/" → "index.docker.io" */
static char *key_host(const char *key) {
        const char *p = startswith(key, "https://") ?: startswith(key, "http://") ?: key;
        return strndup(p, strcspn(p, "/"));
}

static bool key_matches(const char *key, const char *registry) {
        _cleanup_free_ char *host = key_host(key);

        if (!host)
                return false;
        if (streq(host, registry))
                return true;
        return is_docker_hub(host) && is_docker_hub(registry);
}

int auth_config_lookup_in(const char *text, size_t size, const char *registry, char **ret_user,
        char **ret_password) {
        _cleanup_json_ struct json_object *root = NULL;
        struct json_object *auths;

        if (json_parse(text, size, &root, NULL) < 0)
                return -EBADMSG;
        auths = json_get_object(root, "auths");
        if (!auths)
                return 0;
        json_object_object_foreach(auths, key, entry) {
                _cleanup_free_ char *plain = NULL;
                const char *auth;
                char *colon;
                size_t n;

                if (!key_matches(key, registry))
                        continue;
                auth = json_get_string(entry, "auth");
                if (!auth || base64_decode(auth, strlen(auth), &plain, &n) < 0 || strlen(plain) != n) {
                        log_debug("Ignoring credentials for '%s' that are not base64 of USER:PASSWORD", key);
                        continue;
                }
                colon = strchr(plain, ':');
                if (!colon || colon == plain) {
                        log_debug("Ignoring credentials for '%s' without a user name", key);
                        continue;
                }
                *ret_user = strndup(plain, (size_t) (colon - plain));
                *ret_password = strdup(colon + 1);
                if (!*ret_user || !*ret_password) {
                        free(*ret_user);
                        free(*ret_password);
                        return -ENOMEM;
                }
                return 1;
        }
        return 0;
}

static int lookup_file(const char *path, const char *registry, char **ret_user, char **ret_password) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_full_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &text, &size);
        if (r < 0) {
                if (r != -ENOENT)
                        log_debug_errno(r, "Ignoring credentials file '%s': %m", path);
                return 0;
        }
        r = auth_config_lookup_in(text, size, registry, ret_user, ret_password);
        if (r == -EBADMSG) {
                log_warning("Ignoring credentials file '%s': not valid JSON", path);
                return 0;
        }
        if (r > 0)
                log_debug("Using credentials for '%s' from '%s'", registry, path);
        return r;
}

int auth_config_lookup(const char *registry, char **ret_user, char **ret_password) {
        const char *e;
        _cleanup_free_ char *own = strjoin(berth_config_dir(), "/auth.json");
        int r;

        if (!own)
                return -ENOMEM;
        r = lookup_file(own, registry, ret_user, ret_password);
        if (r != 0)
                return r;
        e = getenv("REGISTRY_AUTH_FILE");
        if (!isempty(e) && (r = lookup_file(e, registry, ret_user, ret_password)) != 0)
                return r;
        e = getenv("XDG_RUNTIME_DIR");
        if (!isempty(e)) {
                _cleanup_free_ char *p = strjoin(e, "/containers/auth.json");
                if (!p)
                        return -ENOMEM;
                if ((r = lookup_file(p, registry, ret_user, ret_password)) != 0)
                        return r;
        }
        if ((r = lookup_file("/run/containers/0/auth.json", registry, ret_user, ret_password)) != 0)
                return r;
        e = getenv("DOCKER_CONFIG");
        if (!isempty(e)) {
                _cleanup_free_ char *p = strjoin(e, "/config.json");
                if (!p)
                        return -ENOMEM;
                return lookup_file(p, registry, ret_user, ret_password);
        }
        e = getenv("HOME");
        if (!isempty(e)) {
                _cleanup_free_ char *p = strjoin(e, "/.docker/config.json");
                if (!p)
                        return -ENOMEM;
                return lookup_file(p, registry, ret_user, ret_password);
        }
        return 0;
}

int auth_config_store(const char *registry, const char *user, const char *password) {
        _cleanup_json_ struct json_object *root = NULL;
        _cleanup_free_ char *text = NULL, *own = NULL, *out = NULL;
        struct json_object *auths;
        size_t size;
        bool found = false;
        int r;

        own = strjoin(berth_config_dir(), "/auth.json");
        if (!own)
                return -ENOMEM;
        if (mkdir(berth_config_dir(), 0755) < 0 && errno != EEXIST)
                return -errno;
        r = read_full_file_at(AT_FDCWD, own, AUTH_FILE_MAX, &text, &size);
        if (r >= 0 && json_parse(text, size, &root, NULL) < 0)
                return -EBADMSG;
        if (r < 0 && r != -ENOENT)
                return r;
        if (!root || !json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                root = json_object_new_object();
                if (!root)
                        return -ENOMEM;
        }
        auths = json_get_object(root, "auths");
        if (!auths) {
                auths = json_add_new_object(root, "auths");
                if (!auths)
                        return -ENOMEM;
        }
        /* drop every spelling of this registry, then add ours */
        for (;;) {
                const char *match = NULL;
                json_object_object_foreach(auths, key, entry) {
                        (void) entry;
                        if (key_matches(key, registry)) {
                                match = key;
                                break;
                        }
                }
                if (!match)
                        break;
                json_object_object_del(auths, match);
                found = true;
        }
        if (password) {
                _cleanup_free_ char *pair = strjoin(user, ":", password), *b64 = NULL;
                struct json_object *entry;

                if (!pair)
                        return -ENOMEM;
                b64 = base64_encode(pair, strlen(pair));
                explicit_bzero(pair, strlen(pair));
                if (!b64)
                        return -ENOMEM;
                entry = json_add_new_object(auths,
                        is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry);
                if (!entry || json_add_string(entry, "auth", b64) < 0)
                        return -ENOMEM;
        } else if (!found)
                return -ENOENT;
        out = json_to_string(root, true);
        if (!out)
                return -ENOMEM;
        return write_file_atomic_at(AT_FDCWD, own, out, strlen(out), 0600);
}
