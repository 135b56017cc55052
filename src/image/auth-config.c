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
#include "strv.h"

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

char *registry_server_host(const char *server) {
        const char *p = startswith(server, "https://") ?: startswith(server, "http://") ?: server;
        _cleanup_free_ char *host = strndup(p, strcspn(p, "/"));

        if (!host)
                return NULL;
        return is_docker_hub(host) ? strdup("docker.io") : TAKE_PTR(host);
}

static bool key_matches(const char *key, const char *registry) {
        _cleanup_free_ char *host = registry_server_host(key), *want = registry_server_host(registry);

        return host && want && streq(host, want);
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

/* Appends DIR SUFFIX to paths, unless dir is unset or empty. */
static int add_path(char ***paths, const char *dir, const char *suffix) {
        if (isempty(dir))
                return 0;
        return strv_consume(paths, strjoin(dir, suffix));
}

int auth_config_lookup(const char *registry, char **ret_user, char **ret_password) {
        _cleanup_strv_free_ char **paths = NULL;
        const char *docker = getenv("DOCKER_CONFIG");
        int r;

        /* the order of the header comment; $DOCKER_CONFIG replaces ~/.docker, as for docker */
        if (add_path(&paths, berth_config_dir(), "/auth.json") < 0 ||
                add_path(&paths, getenv("REGISTRY_AUTH_FILE"), "") < 0 ||
                add_path(&paths, getenv("XDG_RUNTIME_DIR"), "/containers/auth.json") < 0 ||
                add_path(&paths, "/run/containers/0", "/auth.json") < 0 ||
                (isempty(docker) ? add_path(&paths, getenv("HOME"), "/.docker/config.json")
                                 : add_path(&paths, docker, "/config.json")) < 0)
                return -ENOMEM;
        STRV_FOREACH(p, paths) {
                r = lookup_file(*p, registry, ret_user, ret_password);
                if (r != 0)
                        return r;
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
