/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include <json-c/json.h>

#include "capability-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "string-util.h"
#include "strv.h"

#define CONFIG_MAX (4u * 1024u * 1024u)

static const char *const mount_type_table[_MOUNT_TYPE_MAX] = {
        [MOUNT_BIND] = "bind",
        [MOUNT_TMPFS] = "tmpfs",
};

static const char *const restart_policy_table[_RESTART_POLICY_MAX] = {
        [RESTART_NO] = "no",
        [RESTART_ALWAYS] = "always",
        [RESTART_ON_FAILURE] = "on-failure",
        [RESTART_UNLESS_STOPPED] = "unless-stopped",
};

static const char *const network_mode_table[_NETWORK_MODE_MAX] = {
        [NETWORK_NONE] = "none",
        [NETWORK_HOST] = "host",
};

static const char *const sd_notify_mode_table[_SD_NOTIFY_MODE_MAX] = {
        [SD_NOTIFY_STARTED] = "started",
        [SD_NOTIFY_CONTAINER] = "container",
        [SD_NOTIFY_IGNORE] = "ignore",
};

static const char *const port_proto_table[_PORT_PROTO_MAX] = {
        [PORT_PROTO_TCP] = "tcp",
        [PORT_PROTO_UDP] = "udp",
};

static int lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE(name, type, table)                                                              \
        const char *name##_to_string(type v) {                                                              \
                return v >= 0 && (size_t) v < ELEMENTSOF(table) ? table[v] : NULL;                          \
        }                                                                                                   \
        type name##_from_string(const char *s) {                                                            \
                return (type) lookup(table, ELEMENTSOF(table), s);                                          \
        }

DEFINE_STRING_TABLE(mount_type, MountType, mount_type_table)
DEFINE_STRING_TABLE(restart_policy, RestartPolicy, restart_policy_table)
DEFINE_STRING_TABLE(network_mode, NetworkMode, network_mode_table)
DEFINE_STRING_TABLE(port_proto, PortProto, port_proto_table)
DEFINE_STRING_TABLE(sd_notify_mode, SdNotifyMode, sd_notify_mode_table)

const char *port_binding_host_string(const PortBinding *b, char buf[static PORT_BINDING_HOST_MAX]) {
        if (isempty(b->host_ip))
                snprintf(buf, PORT_BINDING_HOST_MAX, "0.0.0.0:%u", (unsigned) b->host_port);
        else if (strchr(b->host_ip, ':'))
                snprintf(buf, PORT_BINDING_HOST_MAX, "[%s]:%u", b->host_ip, (unsigned) b->host_port);
        else
                snprintf(buf, PORT_BINDING_HOST_MAX, "%s:%u", b->host_ip, (unsigned) b->host_port);
        return buf;
}

Container *container_free(Container *c) {
        if (!c)
                return NULL;
        free(c->id);
        free(c->name);
        free(c->created);
        free(c->image_id);
        free(c->image_name);
        strv_free(c->layers);
        free(c->path);
        strv_free(c->args);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        free(c->user);
        free(c->working_dir);
        free(c->hostname);
        strv_free(c->labels);
        free(c->stop_signal);
        healthcheck_done(&c->healthcheck);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].source);
                free(c->mounts[i].target);
                free(c->mounts[i].options);
        }
        free(c->mounts);
        free(c->ports);
        strv_free(c->cap_add);
        strv_free(c->cap_drop);
        strv_free(c->security_opt);
        strv_free(c->sysctls);
        for (size_t i = 0; i < c->n_ulimits; i++)
                free(c->ulimits[i].name);
        free(c->ulimits);
        for (size_t i = 0; i < c->n_devices; i++) {
                free(c->devices[i].host_path);
                free(c->devices[i].container_path);
                free(c->devices[i].permissions);
        }
        free(c->devices);
        container_resources_done(&c->resources);
        free(c);
        return NULL;
}

void container_resources_done(ContainerResources *r) {
        free(r->cpuset_cpus);
        r->cpuset_cpus = NULL;
}

int container_capabilities(const Container *c, uint64_t *ret) {
        return cap_mask_tweak(c->cap_add, c->cap_drop, c->privileged, ret, NULL);
}

static const struct {
        const char *name;
        int resource;
} rlimit_table[] = {
        { "as", RLIMIT_AS },
        { "core", RLIMIT_CORE },
        { "cpu", RLIMIT_CPU },
        { "data", RLIMIT_DATA },
        { "fsize", RLIMIT_FSIZE },
        { "locks", RLIMIT_LOCKS },
        { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE },
        { "nice", RLIMIT_NICE },
        { "nofile", RLIMIT_NOFILE },
        { "nproc", RLIMIT_NPROC },
        { "rss", RLIMIT_RSS },
        { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME },
        { "sigpending", RLIMIT_SIGPENDING },
        { "stack", RLIMIT_STACK },
};

int rlimit_from_name(const char *name) {
        for (size_t i = 0; name && i < ELEMENTSOF(rlimit_table); i++)
                if (streq(rlimit_table[i].name, name))
                        return rlimit_table[i].resource;
        return -EINVAL;
}

int security_opt_parse(const char *opt, bool *ret_nnp, SeccompMode *ret_seccomp,
        const char **ret_profile_path) {
        size_t k = strcspn(opt, "=:");
        const char *v = opt[k] ? opt + k + 1 : NULL;

        if (strncmp(opt, "no-new-privileges", k) == 0 && k == strlen("no-new-privileges")) {
                if (!v || streq(v, "true"))
                        *ret_nnp = true;
                else if (streq(v, "false"))
                        *ret_nnp = false;
                else
                        return -EINVAL;
                return 0;
        }
        if (k == strlen("seccomp") && strncmp(opt, "seccomp", k) == 0) {
                if (isempty(v))
                        return -EINVAL;
                if (streq(v, "unconfined"))
                        *ret_seccomp = SECCOMP_MODE_UNCONFINED;
                else if (streq(v, "builtin") || streq(v, "default"))
                        *ret_seccomp = SECCOMP_MODE_DEFAULT;
                else {
                        *ret_seccomp = SECCOMP_MODE_CUSTOM;
                        if (ret_profile_path)
                                *ret_profile_path = v;
                }
                return 0;
        }
        if ((k == strlen("label") && strncmp(opt, "label", k) == 0) ||
                (k == strlen("apparmor") && strncmp(opt, "apparmor", k) == 0) ||
                (k == strlen("systempaths") && strncmp(opt, "systempaths", k) == 0) ||
                (k == strlen("mask") && strncmp(opt, "mask", k) == 0) ||
                (k == strlen("unmask") && strncmp(opt, "unmask", k) == 0))
                return -EOPNOTSUPP;
        return -EINVAL;
}

bool container_name_is_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        n = strlen(name);
        /* systemd limits unit names to 255 bytes; "berth@" + ".service" take 14 */
        if (n > 200)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum =
                        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || !strchr("_.-", ch)))
                        return false;
        }
        return true;
}

int container_new_id(char id[static 65]) {
        unsigned char b[32];
        ssize_t n;

        n = getrandom(b, sizeof(b), 0);
        if (n < 0)
                return -errno;
        if (n != sizeof(b))
                return -EIO;
        hexencode(b, sizeof(b), id);
        return 0;
}

static bool path_is_safe_absolute(const char *p) {
        /* absolute, and no ".." component: mount targets are resolved inside the rootfs later */
        const char *s;

        if (!p || p[0] != '/' || strlen(p) >= 4096)
                return false;
        for (s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
                        return false;
        return true;
}

static struct json_object *strv_to_json(char *const *l) {
        struct json_object *a;

        if (!l)
                return NULL; /* JSON null */
        a = json_object_new_array();
        if (!a)
                return NULL;
        STRV_FOREACH(s, l)
                if (json_array_add_string(a, *s) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static int add_strv(struct json_object *o, const char *key, char *const *l) {
        struct json_object *a = strv_to_json(l);

        if (l && !a)
                return -ENOMEM;
        return json_add(o, key, a);
}

static int confinement_to_json(const Container *c, struct json_object *host) {
        const ContainerResources *res = &c->resources;
        struct json_object *sysctls, *ulimits, *devices;
        int r;

        r = add_strv(host, "CapAdd", c->cap_add);
        if (r >= 0)
                r = add_strv(host, "CapDrop", c->cap_drop);
        if (r >= 0)
                r = json_add(host, "Privileged", json_object_new_boolean(c->privileged));
        if (r >= 0)
                r = add_strv(host, "SecurityOpt", c->security_opt);
        if (r >= 0)
                r = json_add(host, "ReadonlyRootfs", json_object_new_boolean(c->read_only));
        if (r >= 0)
                r = json_add_int64(host, "ShmSize", c->shm_size);
        if (r >= 0)
                r = json_add_int64(host, "Memory", res->memory);
        if (r >= 0)
                r = json_add_int64(host, "MemorySwap", res->memory_swap);
        if (r >= 0)
                r = json_add_int64(host, "NanoCpus", res->nano_cpus);
        if (r >= 0)
                r = json_add_int64(host, "CpuShares", res->cpu_shares);
        if (r >= 0)
                r = json_add_string(host, "CpusetCpus", res->cpuset_cpus ?: "");
        if (r >= 0)
                r = json_add_int64(host, "PidsLimit", res->pids_limit);
        if (r >= 0)
                r = json_add_int64(host, "BlkioWeight", res->blkio_weight);
        if (r < 0)
                return r;

        sysctls = json_add_new_object(host, "Sysctls");
        ulimits = json_add_new_array(host, "Ulimits");
        devices = json_add_new_array(host, "Devices");
        if (!sysctls || !ulimits || !devices)
                return -ENOMEM;
        STRV_FOREACH(kv, c->sysctls) {
                _cleanup_free_ char *k = strndup(*kv, strcspn(*kv, "="));

                if (!k)
                        return -ENOMEM;
                r = json_add_string(sysctls, k, strchr(*kv, '=') ? strchr(*kv, '=') + 1 : "");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_ulimits; i++) {
                struct json_object *u = json_object_new_object();

                if (!u || json_object_array_add(ulimits, u) < 0) {
                        json_object_put(u);
                        return -ENOMEM;
                }
                r = json_add_string(u, "Name", c->ulimits[i].name);
                if (r >= 0)
                        r = json_add_int64(u, "Soft", c->ulimits[i].soft);
                if (r >= 0)
                        r = json_add_int64(u, "Hard", c->ulimits[i].hard);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_devices; i++) {
                struct json_object *d = json_object_new_object();

                if (!d || json_object_array_add(devices, d) < 0) {
                        json_object_put(d);
                        return -ENOMEM;
                }
                r = json_add_string(d, "PathOnHost", c->devices[i].host_path);
                if (r >= 0)
                        r = json_add_string(d, "PathInContainer", c->devices[i].container_path);
                if (r >= 0)
                        r = json_add_string(d, "CgroupPermissions", c->devices[i].permissions);
                if (r < 0)
                        return r;
        }
        return json_add_string(host, "UsernsMode", c->userns_auto ? "auto" : "");
}

static int idmappings_to_json(const Container *c, struct json_object *o) {
        struct json_object *m, *a;
        char buf[64];

        if (!c->userns_auto)
                return 0;
        m = json_add_new_object(o, "IDMappings");
        if (!m)
                return -ENOMEM;
        snprintf(buf, sizeof(buf), "0:%" PRIu32 ":%" PRIu32, c->userns_host_id, c->userns_size);
        for (size_t i = 0; i < 2; i++) {
                a = json_add_new_array(m, i == 0 ? "UidMap" : "GidMap");
                if (!a || json_array_add_string(a, buf) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int container_to_json(const Container *c, char **ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *config, *host, *restart, *mounts, *labels;
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "Id", c->id);
        if (r >= 0)
                r = json_add_string(o, "Name", c->name);
        if (r >= 0)
                r = json_add_string(o, "Created", c->created);
        if (r >= 0 && c->name_generated)
                r = json_add(o, "BerthGeneratedName", json_object_new_boolean(true));
        if (r >= 0)
                r = json_add_string(o, "Image", c->image_id);
        if (r >= 0)
                r = json_add_string(o, "ImageName", c->image_name);
        if (r >= 0)
                r = add_strv(o, "Layers", c->layers);
        if (r >= 0)
                r = json_add_string(o, "Path", c->path);
        if (r >= 0)
                r = add_strv(o, "Args", c->args);
        if (r < 0)
                return r;

        config = json_add_new_object(o, "Config");
        host = json_add_new_object(o, "HostConfig");
        if (!config || !host)
                return -ENOMEM;
        r = json_add_string(config, "Hostname", c->hostname);
        if (r >= 0)
                r = json_add(config, "Tty", json_object_new_boolean(c->tty));
        if (r >= 0)
                r = json_add(config, "OpenStdin", json_object_new_boolean(c->open_stdin));
        if (r >= 0)
                r = json_add_string(config, "User", c->user ?: "");
        if (r >= 0)
                r = add_strv(config, "Env", c->env);
        if (r >= 0)
                r = add_strv(config, "Entrypoint", c->entrypoint);
        if (r >= 0)
                r = add_strv(config, "Cmd", c->cmd);
        if (r >= 0)
                r = json_add_string(config, "Image", c->image_name);
        if (r >= 0)
                r = json_add_string(config, "WorkingDir", c->working_dir ?: "");
        if (r >= 0)
                r = json_add_string(config, "StopSignal", c->stop_signal);
        if (r >= 0)
                r = json_add_int64(config, "StopTimeout", c->stop_timeout);
        if (r >= 0 && c->healthcheck.test) {
                struct json_object *hc = healthcheck_to_json(&c->healthcheck);
                r = hc ? json_add(config, "Healthcheck", hc) : -ENOMEM;
        }
        if (r >= 0 && c->healthcheck.on_failure != HEALTH_ON_FAILURE_NONE) /* Podman's name */
                r = json_add_string(config, "HealthcheckOnFailureAction",
                        health_on_failure_to_string(c->healthcheck.on_failure));
        if (r < 0)
                return r;
        labels = json_add_new_object(config, "Labels");
        if (!labels)
                return -ENOMEM;
        STRV_FOREACH(l, c->labels) {
                _cleanup_free_ char *k = NULL;
                const char *eq = strchr(*l, '=');

                k = eq ? strndup(*l, (size_t) (eq - *l)) : strdup(*l);
                if (!k)
                        return -ENOMEM;
                r = json_add_string(labels, k, eq ? eq + 1 : "");
                if (r < 0)
                        return r;
        }

        r = json_add_string(host, "NetworkMode", network_mode_to_string(c->network_mode));
        if (r >= 0)
                r = json_add(host, "AutoRemove", json_object_new_boolean(container_is_ephemeral(c)));
        if (r >= 0 && c->client_removes)
                r = json_add(host, "BerthClientRemoves", json_object_new_boolean(true));
        if (r >= 0)
                r = json_add(host, "Init", json_object_new_boolean(c->init));
        /* berth's own: --on-demand, --idle-stop (seconds) */
        if (r >= 0 && c->on_demand)
                r = json_add(host, "OnDemand", json_object_new_boolean(true));
        if (r >= 0 && c->idle_stop_sec > 0)
                r = json_add_int64(host, "IdleStopTimeout", c->idle_stop_sec);
        if (r >= 0) /* Podman's name for it */
                r = json_add_string(host, "SdNotifyMode", sd_notify_mode_to_string(c->sd_notify));
        if (r < 0)
                return r;
        restart = json_add_new_object(host, "RestartPolicy");
        mounts = json_add_new_array(host, "Mounts");
        if (!restart || !mounts)
                return -ENOMEM;
        r = json_add_string(restart, "Name", restart_policy_to_string(c->restart_policy));
        if (r >= 0)
                r = json_add_int64(restart, "MaximumRetryCount", c->restart_max);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_mounts; i++) {
                const ContainerMount *m = c->mounts + i;
                struct json_object *mo = json_object_new_object();

                if (!mo || json_object_array_add(mounts, mo) < 0) {
                        json_object_put(mo);
                        return -ENOMEM;
                }
                r = json_add_string(mo, "Type", mount_type_to_string(m->type));
                if (r >= 0)
                        r = json_add_string(mo, "Source", m->source);
                if (r >= 0)
                        r = json_add_string(mo, "Target", m->target);
                if (r >= 0)
                        r = json_add(mo, "ReadOnly", json_object_new_boolean(m->read_only));
                if (r >= 0)
                        r = json_add_string(mo, "Options", m->options);
                if (r < 0)
                        return r;
        }
        if (c->n_ports > 0) {
                struct json_object *pb = port_bindings_to_json(c->ports, c->n_ports, false), *exposed;

                r = json_add(host, "PortBindings", pb);
                if (!pb || r < 0)
                        return -ENOMEM;
                exposed = json_add_new_object(config, "ExposedPorts");
                if (!exposed)
                        return -ENOMEM;
                json_object_object_foreach(pb, k, v) {
                        (void) v;
                        if (json_add(exposed, k, json_object_new_object()) < 0)
                                return -ENOMEM;
                }
        }

        r = confinement_to_json(c, host);
        if (r >= 0)
                r = idmappings_to_json(c, o);
        if (r < 0)
                return r;

        *ret = json_to_string(o, true);
        return *ret ? 0 : -ENOMEM;
}

struct json_object *port_bindings_to_json(const PortBinding *p, size_t n, bool resolved) {
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                struct json_object *a, *b;
                char key[32], port[8];

                snprintf(key, sizeof(key), "%u/%s", (unsigned) p[i].container_port,
                        port_proto_to_string(p[i].proto));
                snprintf(port, sizeof(port), "%u", (unsigned) p[i].host_port);
                if (!json_object_object_get_ex(o, key, &a)) {
                        a = json_add_new_array(o, key);
                        if (!a)
                                return NULL;
                }
                b = json_object_new_object();
                if (!b || json_object_array_add(a, b) < 0) {
                        json_object_put(b);
                        return NULL;
                }
                if (json_add_string(b, "HostIp",
                            resolved && isempty(p[i].host_ip) ? "0.0.0.0" : p[i].host_ip) < 0 ||
                        json_add_string(b, "HostPort", port) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

/* "8080" → 8080; only plain decimal numbers in [min, 65535] */
static int port_from_string(const char *s, unsigned min, uint16_t *ret) {
        unsigned long v = 0;

        if (isempty(s) || strlen(s) > 5)
                return -EINVAL;
        for (const char *q = s; *q; q++) {
                if (*q < '0' || *q > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (*q - '0');
        }
        if (v < min || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int port_key_parse(const char *key, uint16_t *ret_port, PortProto *ret_proto) {
        _cleanup_free_ char *num = NULL;
        const char *slash = strchr(key, '/');
        PortProto proto = PORT_PROTO_TCP;
        uint16_t port;

        num = slash ? strndup(key, (size_t) (slash - key)) : strdup(key);
        if (!num)
                return -ENOMEM;
        if (slash) {
                proto = port_proto_from_string(slash + 1);
                if (proto < 0)
                        return -EINVAL;
        }
        if (port_from_string(num, 1, &port) < 0)
                return -EINVAL;
        *ret_port = port;
        *ret_proto = proto;
        return 0;
}

bool port_host_ip_is_valid(const char *s) {
        unsigned char buf[16];

        return isempty(s) ||
                (strlen(s) < sizeof(((PortBinding *) NULL)->host_ip) &&
                        (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1));
}

static int port_bindings_from_json(struct json_object *pb, PortBinding **ret, size_t *ret_n) {
        _cleanup_free_ PortBinding *p = NULL;
        size_t n = 0;

        json_object_object_foreach(pb, k, v) {
                PortBinding b = {};

                if (port_key_parse(k, &b.container_port, &b.proto) < 0)
                        return -EBADMSG;
                if (!json_object_is_type(v, json_type_array))
                        return -EBADMSG;
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        struct json_object *e = json_object_array_get_idx(v, i);
                        const char *ip = json_get_string(e, "HostIp"),
                                   *port = json_get_string(e, "HostPort");
                        PortBinding *a;

                        if (!port_host_ip_is_valid(ip) || !port ||
                                port_from_string(port, 1, &b.host_port) < 0)
                                return -EBADMSG;
                        snprintf(b.host_ip, sizeof(b.host_ip), "%s", ip ?: "");
                        a = realloc(p, (n + 1) * sizeof(PortBinding));
                        if (!a)
                                return -ENOMEM;
                        p = a;
                        p[n++] = b;
                }
        }
        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}

/* Copies a JSON array of strings (NULL/missing → NULL list). */
static int json_to_strv(struct json_object *a, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        if (!a || json_object_is_type(a, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                if (strv_extend(&l, json_object_get_string(v)) < 0)
                        return -ENOMEM;
        }
        if (!l) {
                /* present but empty: keep it distinguishable from null */
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        if (o && json_object_is_type(o, json_type_object))
                (void) json_object_object_get_ex(o, key, &v);
        return v;
}

static int dup_string(struct json_object *o, const char *key, bool required, char **ret) {
        struct json_object *v = member(o, key);

        if (!v || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return required ? -EBADMSG : 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static bool get_bool(struct json_object *o, const char *key) {
        struct json_object *v = member(o, key);
        return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

#define FAIL(reason)                                                                                        \
        do {                                                                                                \
                if (reterr_reason)                                                                          \
                        *reterr_reason = (reason);                                                          \
                return -EBADMSG;                                                                            \
        } while (0)

static bool devperm_is_valid(const char *p) {
        return !isempty(p) && strlen(p) <= 3 && strspn(p, "rwm") == strlen(p);
}

static int confinement_from_json(struct json_object *host, Container *c, const char **reterr_reason) {
        ContainerResources *res = &c->resources;
        struct json_object *sysctls, *ulimits, *devices;
        uint64_t caps;

        if (json_to_strv(member(host, "CapAdd"), &c->cap_add) < 0 ||
                json_to_strv(member(host, "CapDrop"), &c->cap_drop) < 0 ||
                json_to_strv(member(host, "SecurityOpt"), &c->security_opt) < 0)
                FAIL("HostConfig.CapAdd, CapDrop and SecurityOpt must be arrays of strings");
        c->privileged = get_bool(host, "Privileged");
        if (cap_mask_tweak(c->cap_add, c->cap_drop, c->privileged, &caps, NULL) < 0)
                FAIL("HostConfig.CapAdd or CapDrop names an unknown capability");
        STRV_FOREACH(o, c->security_opt)
                if (security_opt_parse(*o, &c->no_new_privileges, &c->seccomp, NULL) < 0)
                        FAIL("HostConfig.SecurityOpt holds an unknown option");
        c->read_only = get_bool(host, "ReadonlyRootfs");
        c->shm_size = json_get_int64(host, "ShmSize", 0);
        res->memory = json_get_int64(host, "Memory", 0);
        res->memory_swap = json_get_int64(host, "MemorySwap", 0);
        res->nano_cpus = json_get_int64(host, "NanoCpus", 0);
        res->cpu_shares = json_get_int64(host, "CpuShares", 0);
        res->pids_limit = json_get_int64(host, "PidsLimit", 0);
        res->blkio_weight = json_get_int64(host, "BlkioWeight", 0);
        if (c->shm_size < 0 || res->memory < 0 || res->memory_swap < -1 || res->nano_cpus < 0 ||
                res->cpu_shares < 0 || res->cpu_shares > 262144 || res->pids_limit < -1 ||
                res->blkio_weight < 0 || res->blkio_weight > 1000)
                FAIL("HostConfig.ShmSize or a resource limit is out of range");
        if (dup_string(host, "CpusetCpus", false, &res->cpuset_cpus) < 0 ||
                (res->cpuset_cpus && strspn(res->cpuset_cpus, "0123456789,-") != strlen(res->cpuset_cpus)))
                FAIL("HostConfig.CpusetCpus must be a CPU list such as \"0-2,4\"");

        sysctls = member(host, "Sysctls");
        if (sysctls && !json_object_is_type(sysctls, json_type_null)) {
                if (!json_object_is_type(sysctls, json_type_object))
                        FAIL("HostConfig.Sysctls must be an object");
                json_object_object_foreach(sysctls, k, v) {
                        if (!json_object_is_type(v, json_type_string) || isempty(k) ||
                                strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") !=
                                        strlen(k) ||
                                strstr(k, ".."))
                                FAIL("HostConfig.Sysctls must map sysctl names to strings");
                        if (strv_consume(&c->sysctls, strjoin(k, "=", json_object_get_string(v))) < 0)
                                return -ENOMEM;
                }
        }

        ulimits = member(host, "Ulimits");
        if (ulimits && !json_object_is_type(ulimits, json_type_null)) {
                size_t n;

                if (!json_object_is_type(ulimits, json_type_array))
                        FAIL("HostConfig.Ulimits must be an array");
                n = json_object_array_length(ulimits);
                c->ulimits = calloc(n ?: 1, sizeof(ContainerUlimit));
                if (!c->ulimits)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        struct json_object *u = json_object_array_get_idx(ulimits, i);
                        ContainerUlimit *l = c->ulimits + i;

                        c->n_ulimits = i + 1;
                        if (dup_string(u, "Name", true, &l->name) < 0 || rlimit_from_name(l->name) < 0)
                                FAIL("HostConfig.Ulimits[].Name must be a resource limit name");
                        l->soft = json_get_int64(u, "Soft", -2);
                        l->hard = json_get_int64(u, "Hard", -2);
                        if (l->soft < -1 || l->hard < -1 ||
                                (l->hard >= 0 && (l->soft < 0 || l->soft > l->hard)))
                                FAIL("HostConfig.Ulimits[] needs Soft <= Hard (-1 for unlimited)");
                }
        }

        devices = member(host, "Devices");
        if (devices && !json_object_is_type(devices, json_type_null)) {
                size_t n;

                if (!json_object_is_type(devices, json_type_array))
                        FAIL("HostConfig.Devices must be an array");
                n = json_object_array_length(devices);
                c->devices = calloc(n ?: 1, sizeof(ContainerDevice));
                if (!c->devices)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        struct json_object *d = json_object_array_get_idx(devices, i);
                        ContainerDevice *dev = c->devices + i;

                        c->n_devices = i + 1;
                        if (dup_string(d, "PathOnHost", true, &dev->host_path) < 0 ||
                                dup_string(d, "PathInContainer", true, &dev->container_path) < 0 ||
                                dup_string(d, "CgroupPermissions", true, &dev->permissions) < 0 ||
                                !path_is_safe_absolute(dev->host_path) ||
                                !path_is_safe_absolute(dev->container_path) ||
                                !startswith(dev->container_path, "/dev/") ||
                                !devperm_is_valid(dev->permissions))
                                FAIL("HostConfig.Devices[] needs absolute paths (inside /dev in the "
                                     "container) "
                                     "and permissions from \"rwm\"");
                }
        }
        return 0;
}

int container_from_json(const char *text, size_t size, Container **ret, const char **reterr_reason) {
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *config, *host, *restart, *mounts, *labels, *ports;
        int r;

        r = json_parse(text, size, &o, reterr_reason);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                FAIL("config is not a JSON object");

        c = calloc(1, sizeof(Container));
        if (!c)
                return -ENOMEM;
        config = member(o, "Config");
        host = member(o, "HostConfig");
        restart = member(host, "RestartPolicy");

        if (dup_string(o, "Id", true, &c->id) < 0 || !string_is_lower_hex(c->id, 64))
                FAIL("Id must be 64 lowercase hex digits");
        if (dup_string(o, "Name", true, &c->name) < 0 || !container_name_is_valid(c->name))
                FAIL("Name is missing or invalid");
        if (dup_string(o, "Image", true, &c->image_id) < 0 || !startswith(c->image_id, "sha256:") ||
                !string_is_lower_hex(c->image_id + 7, 64))
                FAIL("Image must be an image ID (sha256:<64 hex>)");
        c->name_generated = get_bool(o, "BerthGeneratedName");
        if (dup_string(o, "Created", false, &c->created) < 0 ||
                dup_string(o, "ImageName", false, &c->image_name) < 0 ||
                dup_string(o, "Path", true, &c->path) < 0 || isempty(c->path))
                FAIL("Created, ImageName or Path is malformed");
        if (json_to_strv(member(o, "Layers"), &c->layers) < 0 ||
                json_to_strv(member(o, "Args"), &c->args) < 0)
                FAIL("Layers and Args must be arrays of strings");
        STRV_FOREACH(l, c->layers)
                if (!startswith(*l, "sha256:") || !string_is_lower_hex(*l + 7, 64))
                        FAIL("Layers must hold sha256 digests");

        if (json_to_strv(member(config, "Env"), &c->env) < 0 ||
                json_to_strv(member(config, "Entrypoint"), &c->entrypoint) < 0 ||
                json_to_strv(member(config, "Cmd"), &c->cmd) < 0)
                FAIL("Config.Env, Entrypoint and Cmd must be arrays of strings");
        if (dup_string(config, "User", false, &c->user) < 0 ||
                dup_string(config, "WorkingDir", false, &c->working_dir) < 0 ||
                dup_string(config, "Hostname", false, &c->hostname) < 0 ||
                dup_string(config, "StopSignal", false, &c->stop_signal) < 0)
                FAIL("Config.User, WorkingDir, Hostname or StopSignal is not a string");
        if (!isempty(c->working_dir) && !path_is_safe_absolute(c->working_dir))
                FAIL("Config.WorkingDir must be an absolute path without '..'");
        c->stop_timeout = json_get_int64(config, "StopTimeout", 10);
        {
                struct json_object *hc = member(config, "Healthcheck");
                const char *action = json_get_string(config, "HealthcheckOnFailureAction");

                if (hc && !json_object_is_type(hc, json_type_null)) {
                        r = healthcheck_from_json(hc, &c->healthcheck, reterr_reason);
                        if (r < 0)
                                return r;
                }
                c->healthcheck.on_failure =
                        action ? health_on_failure_from_string(action) : HEALTH_ON_FAILURE_NONE;
                if (c->healthcheck.on_failure < 0)
                        FAIL("Config.HealthcheckOnFailureAction must be none, kill, restart or stop");
        }
        c->tty = get_bool(config, "Tty");
        c->open_stdin = get_bool(config, "OpenStdin");
        labels = member(config, "Labels");
        if (labels && !json_object_is_type(labels, json_type_object))
                FAIL("Config.Labels must be an object");
        if (labels) {
                json_object_object_foreach(labels, k, v) {
                        if (!json_object_is_type(v, json_type_string))
                                FAIL("Config.Labels values must be strings");
                        if (strv_consume(&c->labels, strjoin(k, "=", json_object_get_string(v))) < 0)
                                return -ENOMEM;
                }
        }

        {
                const char *nm = json_get_string(host, "NetworkMode");
                c->network_mode = nm ? network_mode_from_string(nm) : NETWORK_NONE;
                if (c->network_mode < 0)
                        FAIL("HostConfig.NetworkMode must be 'none' or 'host'");
        }
        {
                const char *rp = json_get_string(restart, "Name");
                c->restart_policy = rp ? restart_policy_from_string(rp) : RESTART_NO;
                if (c->restart_policy < 0)
                        FAIL("HostConfig.RestartPolicy.Name is not a restart policy");
                c->restart_max = json_get_int64(restart, "MaximumRetryCount", 0);
                if (c->restart_max < 0)
                        FAIL("HostConfig.RestartPolicy.MaximumRetryCount is negative");
        }
        c->client_removes = get_bool(host, "BerthClientRemoves");
        c->auto_remove = get_bool(host, "AutoRemove") && !c->client_removes;
        c->init = get_bool(host, "Init");
        c->on_demand = get_bool(host, "OnDemand");
        c->idle_stop_sec = json_get_int64(host, "IdleStopTimeout", 0);
        if (c->idle_stop_sec < 0 || c->idle_stop_sec > IDLE_STOP_MAX_SEC)
                FAIL("HostConfig.IdleStopTimeout must be a number of seconds");
        if (c->idle_stop_sec > 0)
                c->on_demand = true;
        {
                const char *m = json_get_string(host, "SdNotifyMode");
                c->sd_notify = m ? sd_notify_mode_from_string(m) : SD_NOTIFY_STARTED;
                if (c->sd_notify < 0)
                        FAIL("HostConfig.SdNotifyMode must be 'started', 'container' or 'ignore'");
        }

        mounts = member(host, "Mounts");
        if (mounts && !json_object_is_type(mounts, json_type_null)) {
                size_t n;

                if (!json_object_is_type(mounts, json_type_array))
                        FAIL("HostConfig.Mounts must be an array");
                n = json_object_array_length(mounts);
                c->mounts = calloc(n ?: 1, sizeof(ContainerMount));
                if (!c->mounts)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        struct json_object *mo = json_object_array_get_idx(mounts, i);
                        ContainerMount *m = c->mounts + i;

                        c->n_mounts = i + 1;
                        m->type = mount_type_from_string(json_get_string(mo, "Type"));
                        if (m->type < 0)
                                FAIL("HostConfig.Mounts[].Type must be 'bind' or 'tmpfs'");
                        if (dup_string(mo, "Source", m->type == MOUNT_BIND, &m->source) < 0 ||
                                dup_string(mo, "Target", true, &m->target) < 0 ||
                                dup_string(mo, "Options", false, &m->options) < 0)
                                FAIL("HostConfig.Mounts[] needs string Source (binds) and Target");
                        if (!path_is_safe_absolute(m->target) || (m->source && m->source[0] != '/'))
                                FAIL("HostConfig.Mounts[] paths must be absolute (targets without '..')");
                        m->read_only = get_bool(mo, "ReadOnly");
                }
        }

        ports = member(host, "PortBindings");
        if (ports && !json_object_is_type(ports, json_type_null)) {
                if (!json_object_is_type(ports, json_type_object))
                        FAIL("HostConfig.PortBindings must be an object");
                r = port_bindings_from_json(ports, &c->ports, &c->n_ports);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        FAIL("HostConfig.PortBindings needs \"PORT/tcp|udp\" keys and numeric HostIp and "
                             "HostPort values");
        }

        r = confinement_from_json(host, c, reterr_reason);
        if (r < 0)
                return r;
        {
                const char *mode = json_get_string(host, "UsernsMode");
                struct json_object *uid_map = json_get_array(json_get_object(o, "IDMappings"), "UidMap");
                const char *first =
                        uid_map ? json_object_get_string(json_object_array_get_idx(uid_map, 0)) : NULL;
                unsigned long long hid, n_ids;
                int n = 0;

                c->userns_auto = streq_ptr(mode, "auto");
                if (!isempty(mode) && !c->userns_auto)
                        FAIL("HostConfig.UsernsMode must be \"auto\" or empty");
                if (c->userns_auto) {
                        if (!first || sscanf(first, "0:%llu:%llu%n", &hid, &n_ids, &n) != 2 || first[n] ||
                                hid == 0 || n_ids == 0 || hid + n_ids > UINT32_MAX)
                                FAIL("IDMappings.UidMap must be [\"0:HOST_ID:SIZE\"] with --userns=auto");
                        c->userns_host_id = (uint32_t) hid;
                        c->userns_size = (uint32_t) n_ids;
                }
        }

        *ret = TAKE_PTR(c);
        return 0;
}

int container_load(int root_fd, const char *name, Container **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size;
        int r;

        if (!container_name_is_valid(name))
                return -EINVAL;
        path = strjoin("containers/", name, "/config.json");
        if (!path)
                return -ENOMEM;
        r = read_full_file_at(root_fd, path, CONFIG_MAX, &text, &size);
        if (r < 0)
                return r;
        return container_from_json(text, size, ret, NULL);
}

int container_save(int root_fd, const Container *c) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        if (!container_name_is_valid(c->name))
                return -EINVAL;
        r = container_to_json(c, &text);
        if (r < 0)
                return r;
        path = strjoin("containers/", c->name, "/config.json");
        if (!path)
                return -ENOMEM;
        /* a --rm container does not outlive its run, nor should it a power loss: no fsyncs on its start path */
        if (container_is_ephemeral(c))
                return write_file_replace_at(root_fd, path, text, strlen(text), 0600);
        return write_file_atomic_at(root_fd, path, text, strlen(text), 0600);
}

void container_state_done(ContainerState *s) {
        free(s->started_at);
        free(s->finished_at);
        free(s->error);
        *s = (ContainerState){};
}

bool container_state_end_recorded(const ContainerState *s) {
        /* both are fixed-width UTC RFC 3339 strings, which compare like the times they name */
        return s->finished_at && (!s->started_at || strcmp(s->finished_at, s->started_at) >= 0);
}

int container_state_load(int root_fd, const char *name, ContainerState *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        ContainerState s = {};
        size_t size;
        int r;

        if (!container_name_is_valid(name))
                return -EINVAL;
        path = strjoin("containers/", name, "/state.json");
        if (!path)
                return -ENOMEM;
        r = read_full_file_at(root_fd, path, CONFIG_MAX, &text, &size);
        if (r == -ENOENT) {
                *ret = s; /* never started */
                return 0;
        }
        if (r < 0)
                return r;
        r = json_parse(text, size, &o, NULL);
        if (r < 0)
                return r;
        if (dup_string(o, "StartedAt", false, &s.started_at) < 0 ||
                dup_string(o, "FinishedAt", false, &s.finished_at) < 0 ||
                dup_string(o, "Error", false, &s.error) < 0) {
                container_state_done(&s);
                return -EBADMSG;
        }
        s.pid = json_get_int64(o, "Pid", 0);
        s.exit_code = json_get_int64(o, "ExitCode", 0);
        s.restart_count = json_get_int64(o, "RestartCount", 0);
        s.oom_killed = get_bool(o, "OOMKilled");
        *ret = s;
        return 0;
}

int container_state_save(int root_fd, const char *name, const ContainerState *s) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "StartedAt", s->started_at);
        if (r >= 0)
                r = json_add_string(o, "FinishedAt", s->finished_at);
        if (r >= 0)
                r = json_add_int64(o, "Pid", s->pid);
        if (r >= 0)
                r = json_add_int64(o, "ExitCode", s->exit_code);
        if (r >= 0)
                r = json_add_string(o, "Error", s->error);
        if (r >= 0)
                r = json_add(o, "OOMKilled", json_object_new_boolean(s->oom_killed));
        if (r >= 0)
                r = json_add_int64(o, "RestartCount", s->restart_count);
        if (r < 0)
                return r;
        text = json_to_string(o, true);
        path = strjoin("containers/", name, "/state.json");
        if (!text || !path)
                return -ENOMEM;
        /* state.json is rewritten at every start and stop, on the start path: no fsync */
        return write_file_replace_at(root_fd, path, text, strlen(text), 0600);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int container_list_names(int root_fd, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        r = opendir_at(root_fd, "containers", &d);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (!container_name_is_valid(de->d_name))
                        continue;
                p = strjoin(de->d_name, "/config.json");
                if (!p)
                        return -ENOMEM;
                if (faccessat(dirfd(d), p, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (strv_extend(&names, de->d_name) < 0)
                        return -ENOMEM;
        }
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}

int container_userns_allocate(int root_fd, uint32_t *ret_host_id) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ uint8_t *used = calloc(USERNS_AUTO_SLOTS, 1);
        int r;

        if (!used)
                return -ENOMEM;
        r = container_list_names(root_fd, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_(container_freep) Container *c = NULL;

                if (container_load(root_fd, *n, &c) < 0 || !c->userns_auto ||
                        c->userns_host_id < USERNS_AUTO_BASE)
                        continue;
                if ((c->userns_host_id - USERNS_AUTO_BASE) / USERNS_AUTO_SIZE < USERNS_AUTO_SLOTS)
                        used[(c->userns_host_id - USERNS_AUTO_BASE) / USERNS_AUTO_SIZE] = 1;
        }
        for (uint32_t k = 0; k < USERNS_AUTO_SLOTS; k++)
                if (!used[k]) {
                        *ret_host_id = USERNS_AUTO_BASE + k * USERNS_AUTO_SIZE;
                        return 0;
                }
        return -ENOSPC;
}

int container_resolve(int root_fd, const char *name_or_id, char **ret_name) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *prefix_match = NULL;
        const char *q = name_or_id;
        size_t l;
        int r;

        if (q && q[0] == '/')
                q++;
        if (isempty(q))
                return -ENOENT;
        l = strlen(q);

        r = container_list_names(root_fd, &names);
        if (r < 0)
                return r;

        /* full ID first, then the exact name */
        if (l == 64 && string_is_lower_hex(q, 64))
                STRV_FOREACH(n, names) {
                        _cleanup_(container_freep) Container *c = NULL;
                        if (container_load(root_fd, *n, &c) >= 0 && streq(c->id, q))
                                return (*ret_name = strdup(*n)) ? 0 : -ENOMEM;
                }
        if (strv_contains(names, q))
                return (*ret_name = strdup(q)) ? 0 : -ENOMEM;

        if (l > 64 || !string_is_lower_hex(q, l))
                return -ENOENT;
        STRV_FOREACH(n, names) {
                _cleanup_(container_freep) Container *c = NULL;

                if (container_load(root_fd, *n, &c) < 0 || strncmp(c->id, q, l) != 0)
                        continue;
                if (prefix_match)
                        return -ENOTUNIQ;
                prefix_match = strdup(*n);
                if (!prefix_match)
                        return -ENOMEM;
        }
        if (!prefix_match)
                return -ENOENT;
        *ret_name = TAKE_PTR(prefix_match);
        return 0;
}
