/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-file.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capability-util.h"
#include "container-unit.h"
#include "container-util.h"
#include "digest.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"

/* --- words and quoting ------------------------------------------------------------------------------------ */

static char unescape_char(char c) {
        switch (c) {
        case 'n':
                return '\n';
        case 't':
                return '\t';
        case 's':
                return ' ';
        default:
                return c;
        }
}

int unit_words_split(const char *s, char ***ret, const char **reterr_reason) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *w = NULL;
        size_t n = strlen(s);
        const char *p = s;

        w = malloc(n + 1);
        if (!w)
                return -ENOMEM;
        for (;;) {
                size_t k = 0;
                char quote = 0;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                for (; *p; p++) {
                        if (!quote && (*p == ' ' || *p == '\t'))
                                break;
                        if (*p == '\\') {
                                if (!p[1]) {
                                        if (reterr_reason)
                                                *reterr_reason = "trailing backslash";
                                        return -EINVAL;
                                }
                                w[k++] = unescape_char(*++p);
                        } else if (quote && *p == quote)
                                quote = 0;
                        else if (!quote && (*p == '"' || *p == '\''))
                                quote = *p;
                        else
                                w[k++] = *p;
                }
                if (quote) {
                        if (reterr_reason)
                                *reterr_reason = "unterminated quote";
                        return -EINVAL;
                }
                w[k] = 0;
                if (strv_extend(&l, w) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *unit_exec_quote(const char *s) {
        size_t n = 3;
        char *r, *p;

        if (*s &&
                strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@+,-") ==
                        strlen(s))
                return strdup(s); /* nothing systemd would read differently */

        for (const char *q = s; *q; q++)
                n += (unsigned char) *q < ' ' || *q == 127 ? 4 : strchr("\\\"%$", *q) ? 2 : 1;
        r = malloc(n);
        if (!r)
                return NULL;
        p = r;
        *p++ = '"';
        for (const char *q = s; *q; q++) {
                unsigned char c = (unsigned char) *q;

                if (c == '\\' || c == '"')
                        *p++ = '\\';
                else if (c == '%' || c == '$') /* specifiers and variables: "%%" and "$$" are themselves */
                        *p++ = (char) c;
                else if (c < ' ' || c == 127) {
                        /* systemd unescapes C escapes in quoted words */
                        p += sprintf(p, "\\x%02x", c);
                        continue;
                }
                *p++ = (char) c;
        }
        *p++ = '"';
        *p = 0;
        return r;
}

/* %-specifiers in values we write ourselves (paths) */
static char *escape_specifiers(const char *s) {
        size_t n = 1;
        char *r, *p;

        for (const char *q = s; *q; q++)
                n += *q == '%' ? 2 : 1;
        r = malloc(n);
        if (!r)
                return NULL;
        p = r;
        for (const char *q = s; *q; q++) {
                if (*q == '%')
                        *p++ = '%';
                *p++ = *q;
        }
        *p = 0;
        return r;
}

/* --- value checks: NULL when fine, else a static reason ----------------------------------------------------- */

static const char *check_image(const char *v) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        const char *reason = NULL, *hex = startswith(v, "sha256:") ?: v;

        if (strlen(hex) == SHA256_HEX_LEN && string_is_lower_hex(hex, SHA256_HEX_LEN))
                return NULL; /* an image ID */
        if (image_reference_parse(v, &ref, &reason) < 0)
                return reason ?: "not an image reference";
        return NULL;
}

static const char *check_name(const char *v) {
        return container_name_is_valid(v) ? NULL : "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed";
}

static const char *check_env(const char *v) {
        const char *eq = strchr(v, '=');

        if (!eq || eq == v || strcspn(v, " \t\n") < (size_t) (eq - v))
                return "use KEY=VALUE, the name without blanks";
        return NULL;
}

static const char *check_label(const char *v) {
        const char *eq = strchr(v, '=');

        return !eq || eq == v ? "use KEY=VALUE" : NULL;
}

static const char *check_abs_path(const char *v) {
        return v[0] == '/' ? NULL : "an absolute path is needed";
}

static const char *check_publish(const char *v) {
        _cleanup_free_ PortBinding *p = NULL;
        const char *reason = NULL;
        size_t n = 0;

        if (publish_spec_parse(v, &p, &n, &reason) < 0)
                return reason ?: "invalid port";
        if (p[0].proto != PORT_PROTO_TCP)
                return "UDP ports are not supported yet";
        if (p[0].host_port == 0)
                return "the host port is missing: systemd listens on it, so it must be given "
                       "([IP:]HOST_PORT:CONTAINER_PORT)";
        return NULL;
}

static const char *check_volume(const char *v) {
        ContainerMount m = {};
        const char *reason = NULL;

        if (v[0] != '/')
                return "the source must be an absolute host path (named volumes are not supported yet)";
        if (volume_spec_parse(v, "/", &m, &reason) < 0)
                return reason ?: "invalid volume";
        container_mount_done(&m);
        return NULL;
}

static const char *check_mount(const char *v) {
        ContainerMount m = {};
        const char *reason = NULL;
        bool relative;

        if (mount_spec_parse(v, "/", &m, &reason) < 0)
                return reason ?: "invalid mount";
        /* mount_spec_parse() made a relative source absolute against "/"; say so rather than guess */
        relative = m.type == MOUNT_BIND && !strstr(v, "=/");
        container_mount_done(&m);
        return relative ? "the source must be an absolute host path" : NULL;
}

static const char *check_tmpfs(const char *v) {
        ContainerMount m = {};
        const char *reason = NULL;

        if (tmpfs_spec_parse(v, &m, &reason) < 0)
                return reason ?: "invalid tmpfs";
        container_mount_done(&m);
        return NULL;
}

static const char *check_user(const char *v) {
        if (strlen(v) > 256)
                return "too long";
        for (const char *p = v; *p; p++)
                if (*p == ' ' || *p == '\t')
                        return "use USER[:GROUP] or UID[:GID]";
        return NULL;
}

static const char *check_hostname(const char *v) {
        size_t n = strlen(v);

        if (n > 64 || v[0] == '-' || v[0] == '.' ||
                strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n)
                return "use letters, digits, '-' and '.', at most 64";
        return NULL;
}

static const char *check_network(const char *v) {
        return network_mode_from_string(v) < 0 ? "use none or host" : NULL;
}

static const char *check_restart(const char *v) {
        RestartPolicy p;
        int64_t max;
        const char *reason = NULL;

        if (restart_spec_parse(v, &p, &max, &reason) < 0)
                return reason ?: "use no, always, on-failure[:N] or unless-stopped";
        return NULL;
}

static const char *check_signal(const char *v) {
        return signal_from_string(v) < 0 ? "not a signal name or number" : NULL;
}

static int parse_int(const char *v, int64_t min, int64_t max, int64_t *ret) {
        char *end;
        long long t;

        errno = 0;
        t = strtoll(v, &end, 10);
        if (errno != 0 || end == v || *end || t < min || t > max)
                return -EINVAL;
        if (ret)
                *ret = t;
        return 0;
}

static const char *check_stop_timeout(const char *v) {
        return parse_int(v, -1, 100000000, NULL) < 0 ? "use a number of seconds (-1: wait for ever)" : NULL;
}

static const char *check_seccomp(const char *v) {
        return streq(v, "unconfined") || v[0] == '/' ? NULL : "use unconfined or an absolute path";
}

static const char *check_cap(const char *v) {
        return streq(v, "ALL") || streq(v, "all") || cap_from_name(v) >= 0 ? NULL : "unknown capability";
}

static const char *check_device(const char *v) {
        ContainerDevice d = {};
        const char *reason = NULL;
        bool blank;

        if (device_spec_parse(v, &d, &reason) < 0)
                return reason ?: "invalid device";
        blank = strpbrk(d.host_path, " \t\"'\\");
        free(d.host_path);
        free(d.container_path);
        free(d.permissions);
        return blank ? "the host path may not contain blanks, quotes or backslashes" : NULL;
}

static const char *check_ulimit(const char *v) {
        ContainerUlimit u = {};
        const char *reason = NULL;

        if (ulimit_spec_parse(v, &u, &reason) < 0)
                return reason ?: "invalid ulimit";
        free(u.name);
        return NULL;
}

static const char *check_sysctl(const char *v) {
        const char *eq = strchr(v, '=');

        return !eq || eq == v ? "use NAME=VALUE" : NULL;
}

static const char *check_size(const char *v) {
        unsigned long long b;

        return size_spec_parse(v, &b) < 0 || b == 0 || b > INT64_MAX ? "use a size such as 64m or 1g" : NULL;
}

static const char *check_memory(const char *v) {
        unsigned long long b;

        if (size_spec_parse(v, &b) < 0 || b > INT64_MAX)
                return "use a size such as 512m or 1g";
        return b < 6 * 1024 * 1024 ? "the minimum is 6m" : NULL;
}

static const char *check_memory_swap(const char *v) {
        return streq(v, "-1") ? NULL : check_size(v);
}

static const char *check_cpus(const char *v) {
        int64_t n;

        return cpus_spec_parse(v, &n) < 0 ? "use a positive number such as 1.5" : NULL;
}

static const char *check_cpu_shares(const char *v) {
        return parse_int(v, 2, 262144, NULL) < 0 ? "use a weight from 2 to 262144" : NULL;
}

static const char *check_cpuset(const char *v) {
        return strspn(v, "0123456789,-") != strlen(v) || strlen(v) > 256 ? "use a CPU list such as 0-2,4"
                                                                         : NULL;
}

static const char *check_pids_limit(const char *v) {
        return parse_int(v, -1, INT32_MAX, NULL) < 0 ? "use a number of processes, -1 for no limit" : NULL;
}

static const char *check_blkio_weight(const char *v) {
        return parse_int(v, 10, 1000, NULL) < 0 ? "use a weight from 10 to 1000" : NULL;
}

static const char *check_userns(const char *v) {
        return streq(v, "auto") || streq(v, "host") ? NULL : "use auto or host";
}

static const char *check_sd_notify(const char *v) {
        return sd_notify_mode_from_string(v) < 0 ? "use started, container or ignore" : NULL;
}

static const char *check_health_cmd(const char *v) {
        return isempty(v) ? "give a command" : NULL;
}

/* a health check duration in ns: 0 (the default) or 1 ms to a year */
static int parse_health_duration(const char *v, int64_t *ret) {
        uint64_t usec;

        if (parse_go_duration(v, &usec) < 0 ||
                (usec != 0 && (usec < 1000 || usec > (uint64_t) HEALTH_DURATION_MAX_NS / 1000)))
                return -EINVAL;
        if (ret)
                *ret = (int64_t) usec * 1000;
        return 0;
}

static const char *check_health_duration(const char *v) {
        return parse_health_duration(v, NULL) < 0 ? "use a duration from 1ms to a year, such as 10s or 5m"
                                                  : NULL;
}

static const char *check_health_retries(const char *v) {
        return parse_int(v, 0, 1000000, NULL) < 0 ? "use a number from 1 to 1000000 (0: the default, 3)"
                                                  : NULL;
}

static const char *check_health_on_failure(const char *v) {
        return health_on_failure_from_string(v) < 0 ? "use none, kill, restart or stop" : NULL;
}

static const char *check_pull_timeout(const char *v) {
        return parse_int(v, 1, 86400, NULL) < 0 ? "use a number of seconds from 1 to 86400" : NULL;
}

/* --- the [Container] keys ------------------------------------------------------------------------------------ */

typedef enum KeyKind {
        KIND_STRING, /* one value: the last assignment wins */
        KIND_BOOL, /* a flag given when true: the last assignment wins */
        KIND_LIST, /* one value per assignment, in order */
        KIND_WORDS, /* each assignment split into words (quotes as systemd), each a value */
        KIND_EXEC, /* split into words: the command; the last assignment wins */
} KeyKind;

typedef enum KeyId {
        KEY_IMAGE,
        KEY_NAME,
        KEY_ENTRYPOINT,
        KEY_EXEC,
        KEY_ENVIRONMENT,
        KEY_ENVIRONMENT_FILE,
        KEY_PUBLISH,
        KEY_VOLUME,
        KEY_MOUNT,
        KEY_TMPFS,
        KEY_USER,
        KEY_WORKING_DIR,
        KEY_HOSTNAME,
        KEY_NETWORK,
        KEY_LABEL,
        KEY_RESTART,
        KEY_STOP_SIGNAL,
        KEY_STOP_TIMEOUT,
        KEY_INIT,
        KEY_READ_ONLY,
        KEY_PRIVILEGED,
        KEY_NO_NEW_PRIVILEGES,
        KEY_SECCOMP_PROFILE,
        KEY_ADD_CAPABILITY,
        KEY_DROP_CAPABILITY,
        KEY_DEVICE,
        KEY_ULIMIT,
        KEY_SYSCTL,
        KEY_SHM_SIZE,
        KEY_MEMORY,
        KEY_MEMORY_SWAP,
        KEY_CPUS,
        KEY_CPU_SHARES,
        KEY_CPUSET_CPUS,
        KEY_PIDS_LIMIT,
        KEY_BLKIO_WEIGHT,
        KEY_USERNS,
        KEY_SD_NOTIFY,
        KEY_HEALTH_CMD,
        KEY_HEALTH_INTERVAL,
        KEY_HEALTH_TIMEOUT,
        KEY_HEALTH_START_PERIOD,
        KEY_HEALTH_RETRIES,
        KEY_HEALTH_ON_FAILURE,
        KEY_PULL_TIMEOUT,
        _KEY_MAX,
} KeyId;

typedef struct ContainerKey {
        const char *name;
        /* the `berth create` option: "--publish" becomes "--publish=VALUE" (with prefix before VALUE);
         * a KIND_BOOL option is given as it is. NULL: not an option. */
        const char *flag;
        const char *prefix;
        KeyKind kind;
        const char *(*check)(const char *value);
} ContainerKey;

/* In the order the options are passed to `berth create` (and documented in berth.container(5)). */
static const ContainerKey container_keys[_KEY_MAX] = {
        [KEY_IMAGE] = { "Image", NULL, NULL, KIND_STRING, check_image },
        [KEY_NAME] = { "Name", NULL, NULL, KIND_STRING, check_name },
        [KEY_ENTRYPOINT] = { "Entrypoint", "--entrypoint", NULL, KIND_STRING, NULL },
        [KEY_EXEC] = { "Exec", NULL, NULL, KIND_EXEC, NULL },
        [KEY_ENVIRONMENT] = { "Environment", "--env", NULL, KIND_WORDS, check_env },
        [KEY_ENVIRONMENT_FILE] = { "EnvironmentFile", "--env-file", NULL, KIND_LIST, check_abs_path },
        [KEY_PUBLISH] = { "Publish", "--publish", NULL, KIND_LIST, check_publish },
        [KEY_VOLUME] = { "Volume", "--volume", NULL, KIND_LIST, check_volume },
        [KEY_MOUNT] = { "Mount", "--mount", NULL, KIND_LIST, check_mount },
        [KEY_TMPFS] = { "Tmpfs", "--tmpfs", NULL, KIND_LIST, check_tmpfs },
        [KEY_USER] = { "User", "--user", NULL, KIND_STRING, check_user },
        [KEY_WORKING_DIR] = { "WorkingDir", "--workdir", NULL, KIND_STRING, check_abs_path },
        [KEY_HOSTNAME] = { "HostName", "--hostname", NULL, KIND_STRING, check_hostname },
        [KEY_NETWORK] = { "Network", "--network", NULL, KIND_STRING, check_network },
        [KEY_LABEL] = { "Label", "--label", NULL, KIND_WORDS, check_label },
        [KEY_RESTART] = { "Restart", "--restart", NULL, KIND_STRING, check_restart },
        [KEY_STOP_SIGNAL] = { "StopSignal", "--stop-signal", NULL, KIND_STRING, check_signal },
        [KEY_STOP_TIMEOUT] = { "StopTimeout", "--stop-timeout", NULL, KIND_STRING, check_stop_timeout },
        [KEY_INIT] = { "Init", "--init", NULL, KIND_BOOL, NULL },
        [KEY_READ_ONLY] = { "ReadOnly", "--read-only", NULL, KIND_BOOL, NULL },
        [KEY_PRIVILEGED] = { "Privileged", "--privileged", NULL, KIND_BOOL, NULL },
        [KEY_NO_NEW_PRIVILEGES] = { "NoNewPrivileges", "--security-opt=no-new-privileges", NULL, KIND_BOOL,
                NULL },
        [KEY_SECCOMP_PROFILE] = { "SeccompProfile", "--security-opt", "seccomp=", KIND_STRING,
                check_seccomp },
        [KEY_ADD_CAPABILITY] = { "AddCapability", "--cap-add", NULL, KIND_WORDS, check_cap },
        [KEY_DROP_CAPABILITY] = { "DropCapability", "--cap-drop", NULL, KIND_WORDS, check_cap },
        [KEY_DEVICE] = { "Device", "--device", NULL, KIND_LIST, check_device },
        [KEY_ULIMIT] = { "Ulimit", "--ulimit", NULL, KIND_LIST, check_ulimit },
        [KEY_SYSCTL] = { "Sysctl", "--sysctl", NULL, KIND_WORDS, check_sysctl },
        [KEY_SHM_SIZE] = { "ShmSize", "--shm-size", NULL, KIND_STRING, check_size },
        [KEY_MEMORY] = { "Memory", "--memory", NULL, KIND_STRING, check_memory },
        [KEY_MEMORY_SWAP] = { "MemorySwap", "--memory-swap", NULL, KIND_STRING, check_memory_swap },
        [KEY_CPUS] = { "Cpus", "--cpus", NULL, KIND_STRING, check_cpus },
        [KEY_CPU_SHARES] = { "CpuShares", "--cpu-shares", NULL, KIND_STRING, check_cpu_shares },
        [KEY_CPUSET_CPUS] = { "CpusetCpus", "--cpuset-cpus", NULL, KIND_STRING, check_cpuset },
        [KEY_PIDS_LIMIT] = { "PidsLimit", "--pids-limit", NULL, KIND_STRING, check_pids_limit },
        [KEY_BLKIO_WEIGHT] = { "BlkioWeight", "--blkio-weight", NULL, KIND_STRING, check_blkio_weight },
        [KEY_USERNS] = { "UserNS", "--userns", NULL, KIND_STRING, check_userns },
        [KEY_SD_NOTIFY] = { "SdNotify", "--sdnotify", NULL, KIND_STRING, check_sd_notify },
        [KEY_HEALTH_CMD] = { "HealthCmd", "--health-cmd", NULL, KIND_STRING, check_health_cmd },
        [KEY_HEALTH_INTERVAL] = { "HealthInterval", "--health-interval", NULL, KIND_STRING,
                check_health_duration },
        [KEY_HEALTH_TIMEOUT] = { "HealthTimeout", "--health-timeout", NULL, KIND_STRING,
                check_health_duration },
        [KEY_HEALTH_START_PERIOD] = { "HealthStartPeriod", "--health-start-period", NULL, KIND_STRING,
                check_health_duration },
        [KEY_HEALTH_RETRIES] = { "HealthRetries", "--health-retries", NULL, KIND_STRING,
                check_health_retries },
        [KEY_HEALTH_ON_FAILURE] = { "HealthOnFailure", "--health-on-failure", NULL, KIND_STRING,
                check_health_on_failure },
        [KEY_PULL_TIMEOUT] = { "PullTimeout", NULL, NULL, KIND_STRING, check_pull_timeout },
};

/* [Service] settings berth@.service needs as they are: the container is its main process. */
static const char *const service_reserved[] = {
        "Type",
        "ExecStart",
        "ExecStopPost",
        "NotifyAccess",
        "RemainAfterExit",
        "PIDFile",
        "KillMode",
        "BusName",
};

/* --- parsing ------------------------------------------------------------------------------------------------- */

typedef enum Section {
        SECTION_NONE,
        SECTION_UNIT,
        SECTION_CONTAINER,
        SECTION_SERVICE,
        SECTION_INSTALL,
        SECTION_IGNORED, /* X-*: for other tools, as systemd ignores them */
} Section;

typedef struct Parser {
        const char *path;
        char **values[_KEY_MAX];
        unsigned lines[_KEY_MAX]; /* line of the last assignment */
        unsigned line; /* the line being parsed */
        unsigned err_line;
        char *err; /* the first error */
} Parser;

static void parser_done(Parser *p) {
        for (size_t i = 0; i < _KEY_MAX; i++)
                strv_free(p->values[i]);
        free(p->err);
}

/* Records an error at line (0: the file). Returns -EINVAL, or -ENOMEM. */
_printf_(3, 4) static int fail(Parser *p, unsigned line, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&p->err, format, ap);
        va_end(ap);
        if (r < 0) {
                p->err = NULL;
                return -ENOMEM;
        }
        p->err_line = line;
        return -EINVAL;
}

static bool unit_key_is_valid(const char *k) {
        if (!*k)
                return false;
        for (; *k; k++)
                if (!isalnum((unsigned char) *k) && *k != '-' && *k != '_' && *k != '.')
                        return false;
        return true;
}

/* systemd's unit name characters, with a type suffix */
static bool unit_name_is_plausible(const char *s) {
        const char *dot = strrchr(s, '.');

        if (!dot || dot == s || !dot[1] || strlen(s) > 255)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(":-_.\\@", *p))
                        return false;
        return true;
}

static int parse_bool(const char *v) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

static int container_assignment(Parser *p, const char *key, const char *value) {
        const ContainerKey *k = NULL;
        _cleanup_strv_free_ char **words = NULL;
        const char *reason = NULL;
        size_t id;
        int r;

        for (id = 0; id < _KEY_MAX; id++)
                if (streq(container_keys[id].name, key)) {
                        k = container_keys + id;
                        break;
                }
        if (!k)
                return fail(p, p->line, "unknown key '%s' in section [Container]", key);
        p->lines[id] = p->line;

        if (isempty(value)) {
                /* as in systemd: an empty assignment resets the setting */
                p->values[id] = strv_free(p->values[id]);
                return 0;
        }
        switch (k->kind) {
        case KIND_BOOL:
                r = parse_bool(value);
                if (r < 0)
                        return fail(p, p->line, "invalid %s= '%s': use yes or no", key, value);
                p->values[id] = strv_free(p->values[id]);
                return r ? strv_extend(&p->values[id], "yes") : 0;
        case KIND_STRING:
        case KIND_LIST:
                if (k->check && (reason = k->check(value)))
                        return fail(p, p->line, "invalid %s= '%s': %s", key, value, reason);
                if (k->kind == KIND_STRING)
                        p->values[id] = strv_free(p->values[id]);
                return strv_extend(&p->values[id], value);
        case KIND_WORDS:
        case KIND_EXEC:
                r = unit_words_split(value, &words, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(p, p->line, "invalid %s= '%s': %s", key, value, reason);
                STRV_FOREACH(w, words)
                        if (k->check && (reason = k->check(*w)))
                                return fail(p, p->line, "invalid %s= '%s': %s", key, *w, reason);
                if (k->kind == KIND_EXEC)
                        p->values[id] = strv_free(p->values[id]);
                STRV_FOREACH(w, words)
                        if (strv_extend(&p->values[id], *w) < 0)
                                return -ENOMEM;
                return 0;
        }
        return -EINVAL;
}

static int install_assignment(Parser *p, ContainerFile *f, const char *key, const char *value) {
        _cleanup_strv_free_ char **words = NULL;
        const char *reason = NULL;
        char ***l;
        int r;

        if (streq(key, "WantedBy"))
                l = &f->wanted_by;
        else if (streq(key, "RequiredBy"))
                l = &f->required_by;
        else if (streq(key, "Alias"))
                l = &f->aliases;
        else
                return fail(p, p->line,
                        "unsupported key '%s' in section [Install]: use WantedBy=, RequiredBy= or "
                        "Alias=",
                        key);
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        r = unit_words_split(value, &words, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(p, p->line, "invalid %s= '%s': %s", key, value, reason);
        STRV_FOREACH(w, words) {
                if (!unit_name_is_plausible(*w) || strchr(*w, '/'))
                        return fail(p, p->line, "invalid %s= '%s': not a unit name", key, *w);
                if (l == &f->aliases && (!endswith(*w, ".service") || strchr(*w, '@')))
                        return fail(p, p->line,
                                "invalid Alias= '%s': the handle %s can only have plain "
                                "service names (NAME.service) as aliases",
                                *w, f->unit);
                if (strv_extend(l, *w) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int passthrough_assignment(Parser *p, Section s, char ***l, const char *key, const char *line) {
        if (!unit_key_is_valid(key))
                return fail(p, p->line, "invalid key '%s'", key);
        if (s == SECTION_SERVICE)
                for (size_t i = 0; i < ELEMENTSOF(service_reserved); i++)
                        if (streq(key, service_reserved[i]))
                                return fail(p, p->line,
                                        "%s= can't be set in [Service]: berth@.service runs the container "
                                        "as its main process",
                                        key);
        return strv_extend(l, line);
}

static int parse_assignment(Parser *p, ContainerFile *f, Section s, char *line) {
        char *eq = strchr(line, '='), *key, *value, *e;

        if (!eq)
                return fail(p, p->line, "expected KEY=VALUE or [SECTION], got '%s'", line);
        *eq = 0;
        key = line;
        for (e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
                e[-1] = 0;
        value = eq + 1;
        value += strspn(value, " \t");
        if (!*key)
                return fail(p, p->line, "assignment without a key");

        switch (s) {
        case SECTION_NONE:
                return fail(p, p->line, "assignment outside of a section: start with [Container]");
        case SECTION_CONTAINER:
                return container_assignment(p, key, value);
        case SECTION_INSTALL:
                return install_assignment(p, f, key, value);
        case SECTION_UNIT:
        case SECTION_SERVICE: {
                _cleanup_free_ char *kv = strjoin(key, "=", value);
                if (!kv)
                        return -ENOMEM;
                return passthrough_assignment(p, s, s == SECTION_UNIT ? &f->unit_lines : &f->service_lines,
                        key, kv);
        }
        case SECTION_IGNORED:
                return 0;
        }
        return -EINVAL;
}

static int parse_section(Parser *p, const char *line, Section *s) {
        size_t n = strlen(line);

        if (line[n - 1] != ']')
                return fail(p, p->line, "invalid section header '%s'", line);
        if (streq(line, "[Unit]"))
                *s = SECTION_UNIT;
        else if (streq(line, "[Container]"))
                *s = SECTION_CONTAINER;
        else if (streq(line, "[Service]"))
                *s = SECTION_SERVICE;
        else if (streq(line, "[Install]"))
                *s = SECTION_INSTALL;
        else if (startswith(line, "[X-"))
                *s = SECTION_IGNORED;
        else
                return fail(p, p->line,
                        "unknown section %s: use [Unit], [Container], [Service] or [Install]", line);
        return 0;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as systemd wants. */
static bool utf8_is_valid_n(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n;

        while (p < end) {
                unsigned c = *p, len, cp;

                if (c < 0x80) {
                        p++;
                        continue;
                }
                len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
                if (len == 0 || c > 0xf4 || (size_t) (end - p) < len)
                        return false;
                cp = c & (0x7f >> len);
                for (unsigned i = 1; i < len; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += len;
        }
        return true;
}

static void strip(char *s) {
        size_t n = strlen(s), k = strspn(s, " \t");

        while (n > k && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        memmove(s, s + k, n - k);
        s[n - k] = 0;
}

/* Reads the lines: comments, sections, assignments with continuations (a trailing backslash joins the next
 * line, with a blank; comment lines inside a continuation are skipped), as systemd does. */
static int parse_text(Parser *p, ContainerFile *f, const char *text, size_t size) {
        const char *q = text, *end = text + size;
        _cleanup_free_ char *cont = NULL;
        unsigned cont_line = 0, n_line = 0;
        Section s = SECTION_NONE;
        int r;

        if (size >= 3 && memcmp(q, "\xef\xbb\xbf", 3) == 0)
                q += 3;
        while (q < end) {
                const char *nl = memchr(q, '\n', (size_t) (end - q));
                size_t n = nl ? (size_t) (nl - q) : (size_t) (end - q);
                _cleanup_free_ char *l = strndup(q, n);
                size_t len;

                n_line++;
                if (memchr(q, 0, n))
                        return fail(p, n_line, "NUL byte");
                if (!utf8_is_valid_n(q, n))
                        return fail(p, n_line, "not valid UTF-8");
                q += n + (nl ? 1 : 0);
                if (!l)
                        return -ENOMEM;
                for (char *c = l; *c; c++)
                        if ((unsigned char) *c < ' ' && *c != '\t' && !(*c == '\r' && !c[1])) /* CRLF */
                                return fail(p, n_line, "control character 0x%02x", (unsigned) *c);
                strip(l);
                if (cont && (l[0] == '#' || l[0] == ';'))
                        continue;
                if (!cont && (!l[0] || l[0] == '#' || l[0] == ';'))
                        continue;
                len = strlen(l);
                if (len > 0 && l[len - 1] == '\\') {
                        l[len - 1] = ' ';
                        if (cont) {
                                char *j = strjoin(cont, l);
                                if (!j)
                                        return -ENOMEM;
                                free(cont);
                                cont = j;
                        } else {
                                cont = TAKE_PTR(l);
                                cont_line = n_line;
                        }
                        continue;
                }
                if (cont) {
                        char *j = strjoin(cont, l);
                        if (!j)
                                return -ENOMEM;
                        free(l);
                        l = j;
                        free(cont);
                        cont = NULL;
                        p->line = cont_line;
                } else
                        p->line = n_line;
                strip(l);
                if (!l[0])
                        continue;
                if (l[0] == '[')
                        r = parse_section(p, l, &s);
                else
                        r = parse_assignment(p, f, s, l);
                if (r < 0)
                        return r;
        }
        if (cont) {
                /* a continuation at the end of the file: what was read is the value */
                p->line = cont_line;
                strip(cont);
                if (cont[0] == '[')
                        return parse_section(p, cont, &s);
                return parse_assignment(p, f, s, cont);
        }
        return 0;
}

/* --- after parsing: the container, the options ---------------------------------------------------------------- */

static const char *last(const Parser *p, KeyId id) {
        size_t n = strv_length(p->values[id]);

        return n > 0 ? p->values[id][n - 1] : NULL;
}

static int build_container(Parser *p, ContainerFile *f, const char *name, const char *text, size_t size) {
        _cleanup_(container_freep) Container *c = NULL;
        const char *v, *reason = NULL;
        char id[65];
        int r;

        c = calloc(1, sizeof(Container));
        if (!c)
                return -ENOMEM;
        r = container_file_id(name, text, size, id);
        if (r < 0)
                return r;
        c->id = strdup(id);
        c->name = strdup(name);
        /* only for the unit settings (IMAGE_NAME=): the image is resolved when the container is created */
        c->image_name = strdup(last(p, KEY_IMAGE));
        c->image_id = strdup(last(p, KEY_IMAGE));
        if (!c->id || !c->name || !c->image_name || !c->image_id)
                return -ENOMEM;

        STRV_FOREACH(s, p->values[KEY_PUBLISH]) {
                _cleanup_free_ PortBinding *b = NULL;
                PortBinding *a;
                size_t n = 0;

                r = publish_spec_parse(*s, &b, &n, &reason);
                if (r < 0)
                        return r;
                if (c->n_ports + n > PUBLISH_PORTS_MAX)
                        return fail(p, p->lines[KEY_PUBLISH], "more than %d published ports",
                                PUBLISH_PORTS_MAX);
                for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < c->n_ports; k++)
                                if (c->ports[k].host_port == b[i].host_port)
                                        return fail(p, p->lines[KEY_PUBLISH],
                                                "host port %u is published twice",
                                                (unsigned) b[i].host_port);
                a = realloc(c->ports, (c->n_ports + n) * sizeof(PortBinding));
                if (!a)
                        return -ENOMEM;
                c->ports = a;
                memcpy(c->ports + c->n_ports, b, n * sizeof(PortBinding));
                c->n_ports += n;
        }

        v = last(p, KEY_NETWORK);
        c->network_mode = v ? network_mode_from_string(v) : NETWORK_NONE;
        if (c->network_mode == NETWORK_HOST && c->n_ports > 0)
                return fail(p, p->lines[KEY_PUBLISH],
                        "Publish= can't be used with Network=host: the container uses the host's ports "
                        "directly");
        STRV_FOREACH(s, p->values[KEY_SYSCTL]) {
                _cleanup_free_ char *kv = NULL;

                r = sysctl_spec_parse(*s, c->network_mode == NETWORK_HOST, &kv, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(p, p->lines[KEY_SYSCTL], "invalid Sysctl= '%s': %s", *s, reason);
        }

        v = last(p, KEY_RESTART);
        if (v && restart_spec_parse(v, &c->restart_policy, &c->restart_max, &reason) < 0)
                return -EINVAL;
        v = last(p, KEY_STOP_SIGNAL);
        if (v) {
                r = signal_normalize(v, &c->stop_signal);
                if (r < 0)
                        return r;
        }
        c->stop_timeout = 10;
        v = last(p, KEY_STOP_TIMEOUT);
        if (v && parse_int(v, -1, 100000000, &c->stop_timeout) < 0)
                return -EINVAL;
        c->privileged = last(p, KEY_PRIVILEGED);
        c->userns_auto = streq_ptr(last(p, KEY_USERNS), "auto");
        if (c->privileged && c->userns_auto)
                return fail(p, p->lines[KEY_USERNS],
                        "conflicting settings: Privileged=yes and UserNS=auto (a privileged container is "
                        "root "
                        "on the host)");

        STRV_FOREACH(s, p->values[KEY_DEVICE]) {
                ContainerDevice *a = realloc(c->devices, (c->n_devices + 1) * sizeof(ContainerDevice));
                if (!a)
                        return -ENOMEM;
                c->devices = a;
                c->devices[c->n_devices] = (ContainerDevice){};
                r = device_spec_parse(*s, c->devices + c->n_devices, &reason);
                if (r < 0)
                        return r;
                c->n_devices++;
        }

        /* the resources as systemd properties (the drop-in); `berth create` checks them again */
        if ((v = last(p, KEY_MEMORY))) {
                unsigned long long b;
                if (size_spec_parse(v, &b) < 0)
                        return -EINVAL;
                c->resources.memory = (int64_t) b;
        }
        if ((v = last(p, KEY_MEMORY_SWAP))) {
                unsigned long long b;
                if (streq(v, "-1"))
                        c->resources.memory_swap = -1;
                else if (size_spec_parse(v, &b) < 0)
                        return -EINVAL;
                else
                        c->resources.memory_swap = (int64_t) b;
                if (c->resources.memory == 0)
                        return fail(p, p->lines[KEY_MEMORY_SWAP],
                                "MemorySwap= needs Memory=: it is the limit of memory and swap together");
                if (c->resources.memory_swap > 0 && c->resources.memory_swap < c->resources.memory)
                        return fail(p, p->lines[KEY_MEMORY_SWAP],
                                "MemorySwap= must be at least Memory=: it is the limit of memory and swap "
                                "together (-1 for unlimited swap)");
        }
        if ((v = last(p, KEY_CPUS)) && cpus_spec_parse(v, &c->resources.nano_cpus) < 0)
                return -EINVAL;
        if ((v = last(p, KEY_CPU_SHARES)) && parse_int(v, 2, 262144, &c->resources.cpu_shares) < 0)
                return -EINVAL;
        if ((v = last(p, KEY_CPUSET_CPUS)) && !(c->resources.cpuset_cpus = strdup(v)))
                return -ENOMEM;
        if ((v = last(p, KEY_PIDS_LIMIT))) {
                if (parse_int(v, -1, INT32_MAX, &c->resources.pids_limit) < 0)
                        return -EINVAL;
                if (c->resources.pids_limit == 0)
                        c->resources.pids_limit = -1; /* Docker: 0 is unlimited */
        }
        if ((v = last(p, KEY_BLKIO_WEIGHT)) && parse_int(v, 10, 1000, &c->resources.blkio_weight) < 0)
                return -EINVAL;

        /* the health check comes from the file only: the units that run it are generated here, before the
         * image is there to read a HEALTHCHECK from (build_create_args() passes --no-healthcheck then) */
        if ((v = last(p, KEY_HEALTH_CMD))) {
                if (strv_extend(&c->healthcheck.test, "CMD-SHELL") < 0 ||
                        strv_extend(&c->healthcheck.test, v) < 0)
                        return -ENOMEM;
                if (((v = last(p, KEY_HEALTH_INTERVAL)) &&
                            parse_health_duration(v, &c->healthcheck.interval_ns) < 0) ||
                        ((v = last(p, KEY_HEALTH_TIMEOUT)) &&
                                parse_health_duration(v, &c->healthcheck.timeout_ns) < 0))
                        return -EINVAL;
        } else
                for (KeyId k = KEY_HEALTH_INTERVAL; k <= KEY_HEALTH_ON_FAILURE; k++)
                        if (p->values[k])
                                return fail(p, p->lines[k], "%s= needs HealthCmd=", container_keys[k].name);

        f->container = TAKE_PTR(c);
        return 0;
}

static int build_create_args(Parser *p, ContainerFile *f) {
        _cleanup_strv_free_ char **a = NULL;

        if (strv_consume(&a, strjoin("--name=", f->container->name)) < 0)
                return -ENOMEM;
        for (size_t id = 0; id < _KEY_MAX; id++) {
                const ContainerKey *k = container_keys + id;

                if (!k->flag)
                        continue;
                STRV_FOREACH(v, p->values[id])
                        if (strv_consume(&a,
                                    k->kind == KIND_BOOL ? strdup(k->flag)
                                                         : strjoin(k->flag, "=", k->prefix ?: "", *v)) < 0)
                                return -ENOMEM;
        }
        if (!last(p, KEY_HEALTH_CMD) && strv_extend(&a, "--no-healthcheck") < 0)
                return -ENOMEM;
        if (strv_extend(&a, last(p, KEY_IMAGE)) < 0)
                return -ENOMEM;
        STRV_FOREACH(v, p->values[KEY_EXEC])
                if (strv_extend(&a, *v) < 0)
                        return -ENOMEM;
        f->create_args = TAKE_PTR(a);
        return 0;
}

int container_file_id(const char *name, const char *text, size_t size, char out[static 65]) {
        _cleanup_(sha256_freep) Sha256 *s = sha256_new();
        char digest[DIGEST_STRING_MAX];

        if (!s)
                return -ELIBACC;
        sha256_update(s, "berth.container\n", strlen("berth.container\n"));
        sha256_update(s, name, strlen(name) + 1);
        sha256_update(s, text, size);
        sha256_final_digest(s, digest);
        memcpy(out, digest_hex(digest), 65);
        return 0;
}

int container_file_parse(const char *path, const char *text, size_t size, ContainerFile **ret,
        unsigned *reterr_line, char **reterr_message) {
        _cleanup_(container_file_freep) ContainerFile *f = NULL;
        _cleanup_free_ char *stem = NULL;
        _cleanup_(parser_done) Parser p = { .path = path };
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *suffix;
        int r;

        f = calloc(1, sizeof(ContainerFile));
        if (!f)
                return -ENOMEM;
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        f->pull_timeout_sec = CONTAINER_FILE_PULL_TIMEOUT;

        suffix = endswith(base, CONTAINER_FILE_SUFFIX);
        stem = suffix ? strndup(base, (size_t) (suffix - base)) : NULL;
        if (suffix && !stem)
                return -ENOMEM;
        if (!stem || !container_name_is_valid(stem))
                r = fail(&p, 0,
                        "the file name must be NAME" CONTAINER_FILE_SUFFIX
                        ", NAME of [a-zA-Z0-9][a-zA-Z0-9_.-]* (it names the unit NAME.service)");
        else if (size > CONTAINER_FILE_SIZE_MAX)
                r = fail(&p, 0, "larger than %d KiB", CONTAINER_FILE_SIZE_MAX / 1024);
        else {
                f->unit = strjoin(stem, ".service");
                if (!f->unit)
                        return -ENOMEM;
                r = parse_text(&p, f, text, size);
        }
        if (r >= 0 && !last(&p, KEY_IMAGE))
                r = fail(&p, 0, "Image= is missing in [Container]");
        if (r >= 0)
                r = build_container(&p, f, last(&p, KEY_NAME) ?: stem, text, size);
        if (r >= 0)
                r = build_create_args(&p, f);
        if (r >= 0 && last(&p, KEY_PULL_TIMEOUT))
                f->pull_timeout_sec = (uint64_t) strtoull(last(&p, KEY_PULL_TIMEOUT), NULL, 10);
        if (r == -EINVAL && !p.err)
                r = fail(&p, 0, "invalid file"); /* a value the checks passed and a parser refused */
        if (r < 0) {
                if (r == -EINVAL) {
                        if (reterr_line)
                                *reterr_line = p.err_line;
                        if (reterr_message)
                                *reterr_message = TAKE_PTR(p.err);
                }
                return r;
        }
        *ret = TAKE_PTR(f);
        return 0;
}

ContainerFile *container_file_free(ContainerFile *f) {
        if (!f)
                return NULL;
        free(f->path);
        free(f->unit);
        container_free(f->container);
        strv_free(f->create_args);
        strv_free(f->unit_lines);
        strv_free(f->service_lines);
        strv_free(f->wanted_by);
        strv_free(f->required_by);
        strv_free(f->aliases);
        free(f);
        return NULL;
}

/* --- rendering ----------------------------------------------------------------------------------------------- */

typedef struct Files {
        GeneratedFile *f;
        size_t n;
} Files;

static int files_add(Files *l, char *path, char *content, char *link_target) {
        GeneratedFile *a;

        if (!path || (!content && !link_target)) {
                free(path);
                free(content);
                free(link_target);
                return -ENOMEM;
        }
        a = realloc(l->f, (l->n + 1) * sizeof(GeneratedFile));
        if (!a) {
                free(path);
                free(content);
                free(link_target);
                return -ENOMEM;
        }
        l->f = a;
        l->f[l->n++] = (GeneratedFile){ .path = path, .content = content, .link_target = link_target };
        return 0;
}

void generated_files_free(GeneratedFile *files, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(files[i].path);
                free(files[i].content);
                free(files[i].link_target);
        }
        free(files);
}

/* What container-unit.c renders starts with its own "# Written by berth ..." line; ours replaces it. */
static const char *skip_header(const char *s) {
        const char *nl;

        if (s[0] != '#' || !(nl = strchr(s, '\n')))
                return s;
        return nl + 1;
}

static void print_exec(FILE *out, const char *setting, char *const *argv) {
        fputs(setting, out);
        fputc('=', out);
        STRV_FOREACH(a, argv) {
                _cleanup_free_ char *q = unit_exec_quote(*a);
                if (a != argv)
                        fputc(' ', out);
                fputs(q ?: "\"\"", out); /* on OOM the stream fails too, and the caller sees it */
        }
        fputc('\n', out);
}

static int render_dropin(const ContainerFile *f, const char *berth, const char *header, char **ret) {
        _cleanup_free_ char *settings = NULL, *buf = NULL, *path = NULL, *id_arg = NULL, *src_arg = NULL,
                            *script = NULL;
        _cleanup_strv_free_ char **create = NULL;
        char *pull[] = { (char *) "/bin/sh", (char *) "-c", NULL, (char *) "berth-pull",
                (char *) f->container->image_name, NULL };
        size_t size = 0;
        FILE *out;
        int r;

        r = container_dropin_render(f->container, /* root= */ NULL, &settings);
        if (r < 0)
                return r;
        path = escape_specifiers(f->path);
        src_arg = strjoin("--declared-in=", f->path);
        id_arg = strjoin("--id=", f->container->id);
        /* a missing image is pulled (berth pull exits by itself at the bound, or systemd stops it at
         * TimeoutStartSec=); one that is there is not looked at again */
        script = asprintf_safe("%s image inspect \"$1\" >/dev/null 2>&1 || exec timeout --kill-after=10 "
                               "%" PRIu64 " %s pull \"$1\"",
                berth, f->pull_timeout_sec, berth);
        if (!path || !src_arg || !id_arg || !script)
                return -ENOMEM;
        pull[2] = script;
        if (strv_extend(&create, berth) < 0 || strv_extend(&create, "create") < 0 ||
                strv_extend(&create, src_arg) < 0 || strv_extend(&create, id_arg) < 0)
                return -ENOMEM;
        STRV_FOREACH(a, f->create_args)
                if (strv_extend(&create, *a) < 0)
                        return -ENOMEM;

        out = open_memstream(&buf, &size);
        if (!out)
                return -ENOMEM;
        fputs(header, out);
        fputs(skip_header(settings), out);
        /* the handle comes along when the container is started by other means (berth start, Restart=) */
        fprintf(out, "\n[Unit]\nSourcePath=%s\nWants=%s\n", path, f->unit);
        STRV_FOREACH(l, f->unit_lines)
                fprintf(out, "%s\n", *l);
        fprintf(out, "\n[Service]\nTimeoutStartSec=%" PRIu64 "s\n",
                f->pull_timeout_sec + CONTAINER_FILE_START_TIMEOUT_EXTRA);
        print_exec(out, "ExecStartPre", pull);
        print_exec(out, "ExecStartPre", create);
        STRV_FOREACH(l, f->service_lines)
                fprintf(out, "%s\n", *l);
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int render_handle(const ContainerFile *f, const char *header, char **ret) {
        _cleanup_free_ char *buf = NULL, *path = NULL, *unit = container_unit_name(f->container->name);
        size_t size = 0;
        FILE *out;

        path = escape_specifiers(f->path);
        if (!path || !unit)
                return -ENOMEM;
        out = open_memstream(&buf, &size);
        if (!out)
                return -ENOMEM;
        fputs(header, out);
        /* ExecStart= waits for the container's start job and ExecStop= for its stop job, so `systemctl start
         * NAME` returns once the container runs and `systemctl stop NAME` once it stopped; ordering could
         * give only one of the two. The container's unit Wants= the handle, which stops when unneeded:
         * when the container stops by other means (berth stop, it exited), without the stop and restart
         * propagation of BindsTo=, whose jobs would cancel the handle's own. The timeouts are the
         * container's. */
        fprintf(out,
                "# The container is %s; this unit starts it and waits for it, stops it and stops with it.\n"
                "[Unit]\n"
                "Description=berth container %s\n"
                "Documentation=man:berth.container(5)\n"
                "SourcePath=%s\n"
                "StopWhenUnneeded=yes\n",
                unit, f->container->name, path);
        STRV_FOREACH(l, f->unit_lines)
                fprintf(out, "%s\n", *l);
        fprintf(out,
                "\n"
                "[Service]\n"
                "Type=oneshot\n"
                "RemainAfterExit=yes\n"
                "ExecStart=systemctl start %s\n"
                "ExecStop=systemctl stop %s\n"
                "TimeoutStartSec=infinity\n"
                "TimeoutStopSec=infinity\n",
                unit, unit);
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int container_file_render(const ContainerFile *f, const char *berth, GeneratedFile **ret, size_t *ret_n) {
        _cleanup_free_ char *header = NULL, *path = NULL, *dropin = NULL, *handle = NULL, *unit = NULL;
        Files l = {};
        int r;

        path = escape_specifiers(f->path);
        unit = container_unit_name(f->container->name);
        if (!path || !unit)
                return -ENOMEM;
        header = asprintf_safe("# Generated by berth-generator from %s: edit that file and run "
                               "'systemctl daemon-reload'.\n",
                path);
        if (!header)
                return -ENOMEM;

        r = render_handle(f, header, &handle);
        if (r >= 0)
                r = files_add(&l, strdup(f->unit), TAKE_PTR(handle), NULL);
        if (r >= 0)
                r = render_dropin(f, berth, header, &dropin);
        if (r >= 0)
                r = files_add(&l, strjoin(unit, ".d/10-berth.conf"), TAKE_PTR(dropin), NULL);
        for (size_t i = 0; r >= 0 && i < f->container->n_ports; i++) {
                const PortBinding *b = f->container->ports + i;
                _cleanup_free_ char *sock = NULL, *svc = NULL;

                r = container_port_units_render(f->container, b, &sock, &svc);
                if (r < 0)
                        break;
                r = files_add(&l, container_port_unit_name(f->container->name, b, ".socket"),
                        strjoin(header, skip_header(sock)), NULL);
                if (r >= 0)
                        r = files_add(&l, container_port_unit_name(f->container->name, b, ".service"),
                                strjoin(header, skip_header(svc)), NULL);
        }
        if (r >= 0 && healthcheck_enabled(&f->container->healthcheck)) {
                _cleanup_free_ char *timer = NULL, *svc = NULL;

                r = container_health_units_render(f->container, /* root= */ NULL, &timer, &svc);
                if (r >= 0)
                        r = files_add(&l, container_health_unit_name(f->container->name, ".timer"),
                                strjoin(header, skip_header(timer)), NULL);
                if (r >= 0)
                        r = files_add(&l, container_health_unit_name(f->container->name, ".service"),
                                strjoin(header, skip_header(svc)), NULL);
        }
        /* [Install] pulls in the container's unit, as `systemctl enable` would: the handle would stay
         * needed by the target after the container stopped */
        STRV_FOREACH(t, f->wanted_by)
                if (r >= 0)
                        r = files_add(&l, strjoin(*t, ".wants/", unit), NULL,
                                strdup(BERTH_SYSTEM_UNIT_DIR "/berth@.service"));
        STRV_FOREACH(t, f->required_by)
                if (r >= 0)
                        r = files_add(&l, strjoin(*t, ".requires/", unit), NULL,
                                strdup(BERTH_SYSTEM_UNIT_DIR "/berth@.service"));
        STRV_FOREACH(a, f->aliases)
                if (r >= 0)
                        r = files_add(&l, strdup(*a), NULL, strdup(f->unit));
        if (r < 0) {
                generated_files_free(l.f, l.n);
                return r;
        }
        *ret = l.f;
        *ret_n = l.n;
        return 0;
}
