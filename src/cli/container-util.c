/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "container-unit.h"
#include "string-util.h"
#include "strv.h"

/* --- environment ------------------------------------------------------------------------------------------ */

static bool env_name_is_valid(const char *name, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (isspace((unsigned char) name[i]) || name[i] == 0)
                        return false;
        return true;
}

int env_arg_parse(const char *arg, char **ret) {
        const char *eq = strchr(arg, '='), *v;
        char *s;

        if (!env_name_is_valid(arg, eq ? (size_t) (eq - arg) : strlen(arg)))
                return -EINVAL;
        if (eq)
                s = strdup(arg);
        else {
                v = getenv(arg);
                if (!v) {
                        *ret = NULL; /* unset in the caller's environment: dropped */
                        return 0;
                }
                s = strjoin(arg, "=", v);
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int env_file_parse(const char *text, size_t size, char ***ret, unsigned *reterr_line,
        const char **reterr_reason) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = text, *end = text + size;
        unsigned line = 0;
        int r;

        if (memchr(text, 0, size)) {
                if (reterr_line)
                        *reterr_line = 0;
                if (reterr_reason)
                        *reterr_reason = "the file contains a NUL byte";
                return -EINVAL;
        }
        if (size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3; /* UTF-8 byte order mark */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                _cleanup_free_ char *s = NULL, *kv = NULL;
                char *start;

                line++;
                s = strndup(p, n);
                if (!s)
                        return -ENOMEM;
                p += n + (nl ? 1 : 0);
                if (n > 0 && s[n - 1] == '\r')
                        s[n - 1] = 0;
                start = s;
                while (isspace((unsigned char) *start))
                        start++;
                if (*start == 0 || *start == '#')
                        continue;
                r = env_arg_parse(start, &kv);
                if (r == -EINVAL) {
                        if (reterr_line)
                                *reterr_line = line;
                        if (reterr_reason)
                                *reterr_reason = start[0] == '=' ? "no variable name"
                                                                 : "the variable name contains blanks";
                        return r;
                }
                if (r < 0)
                        return r;
                if (kv && strv_consume(&l, TAKE_PTR(kv)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int env_merge(char ***env, const char *kv) {
        size_t klen = strcspn(kv, "=");
        char *copy;

        copy = strdup(kv);
        if (!copy)
                return -ENOMEM;
        for (char **e = *env; e && *e; e++)
                if (strncmp(*e, kv, klen) == 0 && ((*e)[klen] == '=' || (*e)[klen] == 0)) {
                        free(*e);
                        *e = copy;
                        return 0;
                }
        return strv_consume(env, copy);
}

/* --- paths and mounts ------------------------------------------------------------------------------------- */

char *path_absolute_clean(const char *p, const char *cwd) {
        _cleanup_free_ char *joined = NULL;
        char *out, *o, *tok, *save = NULL;

        joined = p[0] == '/' ? strdup(p) : strjoin(cwd ?: "/", "/", p);
        if (!joined)
                return NULL;
        out = malloc(strlen(joined) + 2);
        if (!out)
                return NULL;
        o = out;
        *o = 0;
        for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
                if (streq(tok, "."))
                        continue;
                if (streq(tok, "..")) {
                        char *slash = strrchr(out, '/');
                        if (slash) {
                                *slash = 0;
                                o = slash;
                        }
                        continue;
                }
                *o++ = '/';
                o = stpcpy(o, tok);
        }
        if (o == out) {
                out[0] = '/';
                out[1] = 0;
        }
        return out;
}

void container_mount_done(ContainerMount *m) {
        free(m->source);
        free(m->target);
        free(m->options);
        *m = (ContainerMount){};
}

static bool is_relative_host_path(const char *s) {
        return streq(s, ".") || streq(s, "..") || startswith(s, "./") || startswith(s, "../");
}

#define REASON(r)                                                                                           \
        do {                                                                                                \
                if (reterr_reason)                                                                          \
                        *reterr_reason = (r);                                                               \
        } while (0)

static int mount_target(const char *dst, char **ret, const char **reterr_reason) {
        char *t;

        if (isempty(dst) || dst[0] != '/') {
                REASON("the destination must be an absolute path");
                return -EINVAL;
        }
        t = path_absolute_clean(dst, "/");
        if (!t)
                return -ENOMEM;
        if (streq(t, "/")) {
                free(t);
                REASON("the destination can't be '/'");
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

static int bind_source(const char *src, const char *cwd, char **ret, const char **reterr_reason) {
        char *s;

        if (isempty(src)) {
                REASON("the source is empty");
                return -EINVAL;
        }
        if (src[0] != '/' && !is_relative_host_path(src)) {
                REASON("named volumes are not supported yet; give a host path (absolute, or starting with "
                       "./ "
                       "or ../)");
                return -EOPNOTSUPP;
        }
        s = path_absolute_clean(src, cwd);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int volume_spec_parse(const char *spec, const char *cwd, ContainerMount *ret, const char **reterr_reason) {
        _cleanup_free_ char *copy = NULL, *src = NULL, *dst = NULL;
        char *fields[4] = {}, *p, *save = NULL;
        bool ro = false, have_rw = false;
        size_t n = 0;
        int r;

        copy = strdup(spec);
        if (!copy)
                return -ENOMEM;
        for (p = copy;; p++) {
                char *colon = strchr(p, ':');
                if (n == ELEMENTSOF(fields)) {
                        REASON("too many colons; use SRC:DST[:OPTIONS]");
                        return -EINVAL;
                }
                fields[n++] = p;
                if (!colon)
                        break;
                *colon = 0;
                p = colon;
        }
        if (n == 1) {
                REASON("anonymous volumes are not supported yet; use HOST-PATH:CONTAINER-PATH");
                return -EOPNOTSUPP;
        }
        if (n > 3) {
                REASON("too many colons; use SRC:DST[:OPTIONS]");
                return -EINVAL;
        }
        r = bind_source(fields[0], cwd, &src, reterr_reason);
        if (r < 0)
                return r;
        r = mount_target(fields[1], &dst, reterr_reason);
        if (r < 0)
                return r;
        if (n == 3) {
                if (isempty(fields[2])) {
                        REASON("empty options");
                        return -EINVAL;
                }
                for (char *o = strtok_r(fields[2], ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                        if (streq(o, "ro") || streq(o, "rw")) {
                                if (have_rw) {
                                        REASON("'ro' and 'rw' may be given only once");
                                        return -EINVAL;
                                }
                                have_rw = true;
                                ro = streq(o, "ro");
                        } else if (streq(o, "z") || streq(o, "Z") || streq(o, "private") ||
                                streq(o, "rprivate"))
                                continue; /* SELinux relabeling does not apply; private is what we do */
                        else {
                                REASON("unknown option; use ro or rw");
                                return -EINVAL;
                        }
                }
        }
        *ret = (ContainerMount){
                .type = MOUNT_BIND,
                .source = TAKE_PTR(src),
                .target = TAKE_PTR(dst),
                .read_only = ro,
        };
        return 0;
}

static int parse_bool(const char *s) {
        static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
        static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (streq(s, yes[i]))
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (streq(s, no[i]))
                        return 0;
        return -EINVAL;
}

int size_spec_parse(const char *s, unsigned long long *ret) {
        unsigned long long v, mult = 1;
        char *end;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        if (*end) {
                switch (tolower((unsigned char) *end)) {
                case 'b':
                        break;
                case 'k':
                        mult = 1ULL << 10;
                        break;
                case 'm':
                        mult = 1ULL << 20;
                        break;
                case 'g':
                        mult = 1ULL << 30;
                        break;
                case 't':
                        mult = 1ULL << 40;
                        break;
                default:
                        return -EINVAL;
                }
                end++;
                if (mult > 1 && tolower((unsigned char) *end) == 'b')
                        end++;
                if (*end)
                        return -EINVAL;
        }
        if (v > ULLONG_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

int mount_spec_parse(const char *spec, const char *cwd, ContainerMount *ret, const char **reterr_reason) {
        _cleanup_free_ char *copy = NULL, *src = NULL, *dst = NULL, *options = NULL;
        const char *type = NULL, *source = NULL, *target = NULL;
        unsigned long long size = 0;
        bool ro = false, have_size = false, have_mode = false;
        unsigned long mode = 0;
        char *save = NULL;
        int r;

        copy = strdup(spec);
        if (!copy)
                return -ENOMEM;
        for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(f, '='), *v = eq ? eq + 1 : NULL;

                if (eq)
                        *eq = 0;
                if (streq(f, "readonly") || streq(f, "ro")) {
                        int b = v ? parse_bool(v) : 1;
                        if (b < 0) {
                                REASON("readonly takes true or false");
                                return -EINVAL;
                        }
                        ro = b;
                        continue;
                }
                if (!v) {
                        REASON("invalid field; use KEY=VALUE");
                        return -EINVAL;
                }
                if (streq(f, "type"))
                        type = v;
                else if (streq(f, "source") || streq(f, "src"))
                        source = v;
                else if (streq(f, "target") || streq(f, "destination") || streq(f, "dst"))
                        target = v;
                else if (streq(f, "tmpfs-size")) {
                        if (size_spec_parse(v, &size) < 0) {
                                REASON("invalid tmpfs-size; use a size such as 64m");
                                return -EINVAL;
                        }
                        have_size = true;
                } else if (streq(f, "tmpfs-mode")) {
                        char *end;
                        errno = 0;
                        mode = strtoul(v, &end, 8);
                        if (errno != 0 || end == v || *end || mode > 07777) {
                                REASON("invalid tmpfs-mode; use an octal mode such as 1777");
                                return -EINVAL;
                        }
                        have_mode = true;
                } else if (streq(f, "consistency"))
                        continue; /* macOS only; Docker ignores it on Linux too */
                else if (streq(f, "bind-propagation") && (streq(v, "rprivate") || streq(v, "private")))
                        continue;
                else if (streq(f, "bind-propagation")) {
                        REASON("bind-propagation other than rprivate is not supported yet");
                        return -EOPNOTSUPP;
                } else {
                        REASON("unexpected key; use type, source, target, readonly, tmpfs-size or "
                               "tmpfs-mode");
                        return -EINVAL;
                }
        }
        if (!type || streq(type, "volume")) {
                REASON("volumes are not supported yet; use type=bind or type=tmpfs");
                return -EOPNOTSUPP;
        }
        if (!target) {
                REASON("target is required");
                return -EINVAL;
        }
        r = mount_target(target, &dst, reterr_reason);
        if (r < 0)
                return r;

        if (streq(type, "bind")) {
                if (have_size || have_mode) {
                        REASON("tmpfs-size and tmpfs-mode need type=tmpfs");
                        return -EINVAL;
                }
                if (!source) {
                        REASON("source is required for type=bind");
                        return -EINVAL;
                }
                r = bind_source(source, cwd, &src, reterr_reason);
                if (r == -EOPNOTSUPP) {
                        REASON("the source of a bind mount must be a host path");
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
                *ret = (ContainerMount){
                        .type = MOUNT_BIND,
                        .source = TAKE_PTR(src),
                        .target = TAKE_PTR(dst),
                        .read_only = ro,
                };
                return 0;
        }
        if (streq(type, "tmpfs")) {
                if (source) {
                        REASON("source is not allowed for type=tmpfs");
                        return -EINVAL;
                }
                if (have_size && have_mode)
                        options = asprintf_safe("size=%llu,mode=%lo", size, mode);
                else if (have_size)
                        options = asprintf_safe("size=%llu", size);
                else if (have_mode)
                        options = asprintf_safe("mode=%lo", mode);
                if ((have_size || have_mode) && !options)
                        return -ENOMEM;
                *ret = (ContainerMount){
                        .type = MOUNT_TMPFS,
                        .target = TAKE_PTR(dst),
                        .read_only = ro,
                        .options = TAKE_PTR(options),
                };
                return 0;
        }
        REASON("unknown type; use bind or tmpfs");
        return -EINVAL;
}

/* --- published ports ---------------------------------------------------------------------------------------- */

#define FAIL_PORT(reason)                                                                                   \
        do {                                                                                                \
                if (reterr_reason)                                                                          \
                        *reterr_reason = (reason);                                                          \
                return -EINVAL;                                                                             \
        } while (0)

/* "80" or "8000-8010"; allow_zero: "0" (pick one) is a port */
static int port_range_parse(const char *s, size_t len, bool allow_zero, unsigned *ret_first,
        unsigned *ret_last) {
        unsigned v[2] = {}, k = 0;
        size_t digits = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '-' && k == 0 && digits > 0) {
                        k = 1;
                        digits = 0;
                        continue;
                }
                if (s[i] < '0' || s[i] > '9' || ++digits > 5)
                        return -EINVAL;
                v[k] = v[k] * 10 + (unsigned) (s[i] - '0');
        }
        if (digits == 0)
                return -EINVAL;
        if (k == 0)
                v[1] = v[0];
        if (v[0] > 65535 || v[1] > 65535 || v[0] > v[1])
                return -EINVAL;
        if (v[0] == 0 && (!allow_zero || v[1] != 0))
                return -EINVAL;
        *ret_first = v[0];
        *ret_last = v[1];
        return 0;
}

int publish_spec_parse(const char *spec, PortBinding **ret, size_t *ret_n, const char **reterr_reason) {
        _cleanup_free_ PortBinding *list = NULL;
        const char *rest = spec, *slash, *c1, *c2, *ip = NULL, *host = NULL, *cont;
        size_t ip_len = 0, host_len = 0, cont_len;
        unsigned cfirst, clast, hfirst = 0, hlast = 0, n;
        PortProto proto = PORT_PROTO_TCP;
        char ipbuf[sizeof(((PortBinding *) NULL)->host_ip)] = "";

        if (isempty(spec))
                FAIL_PORT("empty port specification");
        slash = strrchr(spec, '/');
        if (slash) {
                if (streq(slash + 1, "sctp"))
                        FAIL_PORT("sctp is not supported");
                proto = port_proto_from_string(slash + 1);
                if (proto < 0)
                        FAIL_PORT("the protocol must be tcp or udp");
        }
        cont_len = slash ? (size_t) (slash - spec) : strlen(spec);

        /* [IP:]HOST:CONTAINER or CONTAINER; IPv6 addresses in brackets */
        if (rest[0] == '[') {
                const char *close = memchr(rest, ']', cont_len);
                if (!close || close[1] != ':')
                        FAIL_PORT("an IPv6 address needs the form [ADDRESS]:HOST_PORT:CONTAINER_PORT");
                ip = rest + 1;
                ip_len = (size_t) (close - ip);
                rest = close + 2;
                c1 = memchr(rest, ':', cont_len - (size_t) (rest - spec));
                if (!c1)
                        FAIL_PORT("an IPv6 address needs the form [ADDRESS]:HOST_PORT:CONTAINER_PORT");
                host = rest;
                host_len = (size_t) (c1 - rest);
                cont = c1 + 1;
        } else {
                c1 = memchr(rest, ':', cont_len);
                c2 = c1 ? memchr(c1 + 1, ':', cont_len - (size_t) (c1 + 1 - spec)) : NULL;
                if (c2 && memchr(c2 + 1, ':', cont_len - (size_t) (c2 + 1 - spec)))
                        FAIL_PORT("too many colons (an IPv6 address goes in brackets: [::1]:8080:80)");
                if (c2) {
                        ip = rest;
                        ip_len = (size_t) (c1 - rest);
                        host = c1 + 1;
                        host_len = (size_t) (c2 - host);
                        cont = c2 + 1;
                } else if (c1) {
                        host = rest;
                        host_len = (size_t) (c1 - rest);
                        cont = c1 + 1;
                        if (host_len == 0)
                                FAIL_PORT("the host port is missing before ':'");
                } else
                        cont = rest;
        }
        cont_len -= (size_t) (cont - spec);

        if (ip) {
                unsigned char bin[16];

                if (ip_len == 0 || ip_len >= sizeof(ipbuf))
                        FAIL_PORT("invalid host IP address");
                memcpy(ipbuf, ip, ip_len);
                ipbuf[ip_len] = 0;
                if (spec[0] == '[' ? inet_pton(AF_INET6, ipbuf, bin) != 1
                                   : inet_pton(AF_INET, ipbuf, bin) != 1)
                        FAIL_PORT("invalid host IP address");
        }
        if (port_range_parse(cont, cont_len, false, &cfirst, &clast) < 0)
                FAIL_PORT("invalid container port (use 1-65535, or a range such as 80-90)");
        if (host && host_len > 0 && port_range_parse(host, host_len, true, &hfirst, &hlast) < 0)
                FAIL_PORT("invalid host port (use 0-65535, or a range such as 8000-8010)");
        n = clast - cfirst + 1;
        if (hfirst != 0 && hlast - hfirst + 1 != n) {
                if (n == 1)
                        FAIL_PORT("a host port range for a single container port is not supported yet");
                FAIL_PORT("the host and container port ranges must have the same length");
        }
        if (n > PUBLISH_PORTS_MAX)
                FAIL_PORT("too many ports in one range");

        list = calloc(n, sizeof(PortBinding));
        if (!list)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                memcpy(list[i].host_ip, ipbuf, sizeof(ipbuf));
                list[i].host_port = (uint16_t) (hfirst == 0 ? 0 : hfirst + i);
                list[i].container_port = (uint16_t) (cfirst + i);
                list[i].proto = proto;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

char *port_bindings_format(const PortBinding *p, size_t n) {
        _cleanup_free_ char *s = strdup("");

        for (size_t i = 0; s && i < n; i++) {
                char host[PORT_BINDING_HOST_MAX], *t;

                t = asprintf_safe("%s%s%s->%u/%s", s, i > 0 ? ", " : "",
                        port_binding_host_string(p + i, host), (unsigned) p[i].container_port,
                        port_proto_to_string(p[i].proto));
                free(s);
                s = t;
        }
        return TAKE_PTR(s);
}

/* --- restart policy ---------------------------------------------------------------------------------------- */

int restart_spec_parse(const char *s, RestartPolicy *ret, int64_t *ret_max, const char **reterr_reason) {
        _cleanup_free_ char *name = NULL;
        const char *colon = strchr(s, ':');
        long long max = 0;
        RestartPolicy p;

        name = colon ? strndup(s, (size_t) (colon - s)) : strdup(s);
        if (!name)
                return -ENOMEM;
        p = isempty(name) ? RESTART_NO : restart_policy_from_string(name);
        if (p < 0) {
                REASON("use no, always, on-failure[:MAX-RETRIES] or unless-stopped");
                return -EINVAL;
        }
        if (colon) {
                char *end;

                if (p != RESTART_ON_FAILURE) {
                        REASON("a maximum retry count can only be used with on-failure");
                        return -EINVAL;
                }
                errno = 0;
                max = strtoll(colon + 1, &end, 10);
                if (errno != 0 || end == colon + 1 || *end) {
                        REASON("the maximum retry count must be a number");
                        return -EINVAL;
                }
                if (max < 0) {
                        REASON("the maximum retry count can't be negative");
                        return -EINVAL;
                }
        }
        *ret = p;
        *ret_max = max;
        return 0;
}

/* --- signals ---------------------------------------------------------------------------------------------- */

static const struct {
        const char *name;
        int sig;
} signal_table[] = {
        { "HUP", SIGHUP },
        { "INT", SIGINT },
        { "QUIT", SIGQUIT },
        { "ILL", SIGILL },
        { "TRAP", SIGTRAP },
        { "ABRT", SIGABRT },
        { "BUS", SIGBUS },
        { "FPE", SIGFPE },
        { "KILL", SIGKILL },
        { "USR1", SIGUSR1 },
        { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 },
        { "PIPE", SIGPIPE },
        { "ALRM", SIGALRM },
        { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT },
        { "CHLD", SIGCHLD },
        { "CONT", SIGCONT },
        { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP },
        { "TTIN", SIGTTIN },
        { "TTOU", SIGTTOU },
        { "URG", SIGURG },
        { "XCPU", SIGXCPU },
        { "XFSZ", SIGXFSZ },
        { "VTALRM", SIGVTALRM },
        { "PROF", SIGPROF },
        { "WINCH", SIGWINCH },
        { "IO", SIGIO },
        { "PWR", SIGPWR },
        { "SYS", SIGSYS },
        /* aliases, recognised but never printed */
        { "IOT", SIGIOT },
        { "POLL", SIGPOLL },
        { "CLD", SIGCHLD },
};

static int parse_small_int(const char *s, int *ret) {
        char *end;
        long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end || v > 1000)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int signal_from_string(const char *s) {
        const char *n;
        int v;

        if (isempty(s))
                return -EINVAL;
        if (parse_small_int(s, &v) >= 0)
                return v >= 1 && v <= SIGRTMAX && (v < 32 || v >= SIGRTMIN) ? v : -EINVAL;

        n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (strcasecmp(n, signal_table[i].name) == 0)
                        return signal_table[i].sig;
        if (strncasecmp(n, "RTMIN", 5) == 0) {
                if (n[5] == 0)
                        return SIGRTMIN;
                if (n[5] == '+' && parse_small_int(n + 6, &v) >= 0 && v <= SIGRTMAX - SIGRTMIN)
                        return SIGRTMIN + v;
        }
        if (strncasecmp(n, "RTMAX", 5) == 0) {
                if (n[5] == 0)
                        return SIGRTMAX;
                if (n[5] == '-' && parse_small_int(n + 6, &v) >= 0 && v <= SIGRTMAX - SIGRTMIN)
                        return SIGRTMAX - v;
        }
        return -EINVAL;
}

char *signal_to_name(int sig) {
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i].sig == sig)
                        return strjoin("SIG", signal_table[i].name);
        if (sig == SIGRTMIN)
                return strdup("SIGRTMIN");
        if (sig > SIGRTMIN && sig <= SIGRTMAX)
                return asprintf_safe("SIGRTMIN+%d", sig - SIGRTMIN);
        return NULL;
}

int signal_normalize(const char *s, char **ret) {
        int sig = signal_from_string(s);
        char *n;

        if (sig < 0)
                return sig;
        n = signal_to_name(sig);
        if (!n)
                return -ENOMEM;
        *ret = n;
        return 0;
}

/* --- Entrypoint and Cmd ------------------------------------------------------------------------------------- */

static int strv_extend_strv(char ***l, char *const *add) {
        STRV_FOREACH(a, add)
                if (strv_extend(l, *a) < 0)
                        return -ENOMEM;
        return 0;
}

int command_resolve(char *const *image_entrypoint, char *const *image_cmd, const char *entrypoint_flag,
        char *const *args, char ***ret_entrypoint, char ***ret_cmd, char ***ret_argv) {
        _cleanup_strv_free_ char **ep = NULL, **cmd = NULL, **argv = NULL;

        if (entrypoint_flag) {
                /* --entrypoint replaces the image's, and drops the image's Cmd with it; "" means none */
                if (!isempty(entrypoint_flag) && strv_extend(&ep, entrypoint_flag) < 0)
                        return -ENOMEM;
        } else if (strv_extend_strv(&ep, image_entrypoint) < 0)
                return -ENOMEM;

        if (strv_length(args) > 0) {
                if (strv_extend_strv(&cmd, args) < 0)
                        return -ENOMEM;
        } else if (!entrypoint_flag && strv_extend_strv(&cmd, image_cmd) < 0)
                return -ENOMEM;

        if (strv_extend_strv(&argv, ep) < 0 || strv_extend_strv(&argv, cmd) < 0)
                return -ENOMEM;
        if (strv_length(argv) == 0 || isempty(argv[0]))
                return -ENOEXEC;

        *ret_entrypoint = TAKE_PTR(ep);
        *ret_cmd = TAKE_PTR(cmd);
        *ret_argv = TAKE_PTR(argv);
        return 0;
}

/* --- generated names -------------------------------------------------------------------------------------- */

static const char *const name_adjectives[] = {
        "amber",
        "brave",
        "brisk",
        "calm",
        "clever",
        "cosy",
        "crisp",
        "daring",
        "deft",
        "eager",
        "early",
        "fair",
        "fearless",
        "gentle",
        "glad",
        "golden",
        "hardy",
        "humble",
        "jolly",
        "keen",
        "kind",
        "lively",
        "lucky",
        "mellow",
        "merry",
        "misty",
        "nimble",
        "noble",
        "patient",
        "placid",
        "plucky",
        "quiet",
        "rapid",
        "salty",
        "serene",
        "silver",
        "steady",
        "sturdy",
        "sunny",
        "swift",
        "tidy",
        "trusty",
        "vivid",
        "windy",
};

static const char *const name_nouns[] = {
        "anchor",
        "barge",
        "beacon",
        "bollard",
        "buoy",
        "cabin",
        "capstan",
        "compass",
        "current",
        "cutter",
        "dinghy",
        "dock",
        "dory",
        "ferry",
        "galley",
        "gull",
        "harbor",
        "hull",
        "jetty",
        "keel",
        "ketch",
        "lagoon",
        "lantern",
        "mast",
        "mooring",
        "oar",
        "pier",
        "pilot",
        "quay",
        "reef",
        "rudder",
        "sail",
        "schooner",
        "skiff",
        "sloop",
        "tide",
        "tiller",
        "trawler",
        "wharf",
        "yawl",
};

char *container_name_generate(uint64_t rnd, unsigned attempt) {
        const char *a = name_adjectives[rnd % ELEMENTSOF(name_adjectives)];
        const char *n = name_nouns[(rnd / ELEMENTSOF(name_adjectives)) % ELEMENTSOF(name_nouns)];

        if (attempt == 0)
                return strjoin(a, "_", n);
        return asprintf_safe("%s_%s%u", a, n, (unsigned) ((rnd >> 32) % 10));
}

/* --- systemd --------------------------------------------------------------------------------------------- */

int container_unit_refresh(sd_bus *bus, const char *unit, UnitState *ret_state, sd_bus_error *error) {
        UnitState s;
        int r;

        /* not loaded: systemd reads the unit and its drop-in fresh when it is first referenced */
        r = bus_get_loaded_unit_state(bus, unit, &s, error);
        if (r < 0)
                return r;
        if (s.need_daemon_reload) {
                /* A unit of this name from before (failed, or kept loaded) still holds the old settings:
                 * resetting it lets systemd unload it, and the next reference loads it fresh. */
                r = bus_reset_failed_unit(bus, unit, error);
                if (r >= 0)
                        r = bus_get_unit_state(bus, unit, &s, error);
                if (r >= 0 && s.need_daemon_reload) {
                        r = bus_reload_manager(bus, error);
                        if (r >= 0)
                                r = bus_get_unit_state(bus, unit, &s, error);
                }
                if (r < 0)
                        return r;
        }
        if (ret_state)
                *ret_state = s;
        return 0;
}

int sleep_usec(uint64_t usec) {
        struct timespec ts = {
                .tv_sec = (time_t) (usec / 1000000u),
                .tv_nsec = (long) (usec % 1000000u) * 1000,
        };

        return nanosleep(&ts, NULL) < 0 ? -errno : 0;
}

int container_unit_stop(sd_bus *bus, const char *unit, int64_t timeout_sec, bool force,
        sd_bus_error *error) {
        _cleanup_(bus_job_waiter_freep) BusJobWaiter *w = NULL;
        int r;

        r = bus_job_waiter_new(bus, &w);
        if (r < 0)
                return r;
        r = bus_job_waiter_enqueue(w, "StopUnit", unit, "replace", error);
        if (r < 0)
                return r;
        if (force)
                /* best effort: the stop job finishes either way */
                (void) bus_kill_unit(bus, unit, "all", SIGKILL, NULL);
        else if (timeout_sec >= 0) {
                /* systemd's TimeoutStopSec= comes from the drop-in and can't be changed at runtime for a
                 * unit that is not transient, so `stop -t` is enforced here: SIGKILL whatever is left */
                r = bus_job_waiter_wait(w, (uint64_t) timeout_sec * 1000000u, NULL);
                if (r == 0)
                        return 0;
                if (r != -ETIMEDOUT)
                        return r;
                (void) bus_kill_unit(bus, unit, "all", SIGKILL, NULL);
        }
        r = bus_job_waiter_wait(w, UINT64_MAX, NULL);
        if (r < 0)
                return r;
        /* A PID 1 that ignores SIGTERM ends killed by SIGKILL, which systemd calls "failed". A container
         * stopped on request is simply stopped (Docker: "Exited (137)"); its exit code is in state.json. */
        (void) bus_reset_failed_unit(bus, unit, NULL);
        return 0;
}

int container_unit_start(sd_bus *bus, const char *unit, sd_bus_error *error) {
        _cleanup_(bus_job_waiter_freep) BusJobWaiter *w = NULL;
        const char *result;
        UnitState s;
        uint32_t restarts;
        int r;

        r = container_unit_refresh(bus, unit, &s, error);
        if (r < 0)
                return r;
        if (streq(s.active_state, "failed")) {
                r = bus_reset_failed_unit(bus, unit, error);
                if (r < 0)
                        return r;
        }
        restarts = s.n_restarts;

        r = bus_job_waiter_new(bus, &w);
        if (r < 0)
                return r;
        r = bus_job_waiter_enqueue(w, "StartUnit", unit, "replace", error);
        if (r < 0)
                return r;
        for (;;) {
                r = bus_job_waiter_wait(w, 50 * 1000, &result);
                if (r == 0)
                        return streq(result, "done") ? 0 : 1;
                if (r != -ETIMEDOUT)
                        return r;
                /* With a restart policy, a container that fails to start is restarted by systemd and the
                 * start job never ends. Docker reports the first failure and leaves the container stopped. */
                r = bus_get_unit_state(bus, unit, &s, error);
                if (r < 0)
                        return r;
                if (streq(s.sub_state, "auto-restart") || s.n_restarts > restarts) {
                        r = container_unit_stop(bus, unit, -1, false, error);
                        return r < 0 ? r : 1;
                }
        }
}

int container_ports_refresh(sd_bus *bus, const Container *c, sd_bus_error *error) {
        static const char *const suffixes[] = { ".socket", ".service" };
        int r;

        for (size_t i = 0; i < c->n_ports; i++)
                for (size_t k = 0; k < ELEMENTSOF(suffixes); k++) {
                        _cleanup_free_ char *u =
                                container_port_unit_name(c->name, c->ports + i, suffixes[k]);
                        if (!u)
                                return -ENOMEM;
                        r = container_unit_refresh(bus, u, NULL, error);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int container_health_units_refresh(sd_bus *bus, const Container *c, sd_bus_error *error) {
        static const char *const suffixes[] = { ".timer", ".service" };
        int r;

        if (!healthcheck_enabled(&c->healthcheck))
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(suffixes); k++) {
                _cleanup_free_ char *u = container_health_unit_name(c->name, suffixes[k]);
                if (!u)
                        return -ENOMEM;
                r = container_unit_refresh(bus, u, NULL, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

void container_health_units_reset_failed(sd_bus *bus, const char *name) {
        _cleanup_free_ char *u = container_health_unit_name(name, ".service");

        if (u)
                (void) bus_reset_failed_unit(bus, u, NULL);
}

void container_ports_reset_failed(sd_bus *bus, const Container *c) {
        static const char *const suffixes[] = { ".socket", ".service" };

        for (size_t i = 0; i < c->n_ports; i++)
                for (size_t k = 0; k < ELEMENTSOF(suffixes); k++) {
                        _cleanup_free_ char *u =
                                container_port_unit_name(c->name, c->ports + i, suffixes[k]);
                        if (u)
                                (void) bus_reset_failed_unit(bus, u, NULL);
                }
}

void container_ports_stop(sd_bus *bus, const Container *c) {
        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *sock = container_port_unit_name(c->name, c->ports + i, ".socket"),
                                    *svc = container_port_unit_name(c->name, c->ports + i, ".service");

                if (!sock || !svc)
                        continue;
                /* the proxy Requires= its socket: it stops with it, and no client can start it again */
                (void) bus_unit_job_run(bus, "StopUnit", sock, "replace", NULL, NULL);
                (void) bus_unit_job_run(bus, "StopUnit", svc, "replace", NULL, NULL);
        }
}

int container_ports_forget(sd_bus *bus, const Container *c, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **wants = NULL;
        const char *path;
        int r;

        if (!c->on_demand)
                return 0;
        /* sockets.target holds on to the sockets whose boot links it read, and they to the proxies and the
         * container: only a reload lets go of them */
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "GetUnit", error, &reply, "s", "sockets.target");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_strv(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                "Wants", error, &wants);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *sock = container_port_unit_name(c->name, c->ports + i, ".socket");

                if (!sock)
                        return -ENOMEM;
                if (strv_contains(wants, sock))
                        return bus_reload_manager(bus, error);
        }
        return 0;
}

int container_ports_start(sd_bus *bus, const Container *c, char **ret_failed_unit, sd_bus_error *error) {
        int r;

        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *sock = container_port_unit_name(c->name, c->ports + i, ".socket"),
                                    *result = NULL;
                UnitState s;

                if (!sock)
                        return -ENOMEM;
                r = container_unit_refresh(bus, sock, &s, error);
                if (r < 0)
                        return r;
                if (streq(s.active_state, "active"))
                        continue;
                if (streq(s.active_state, "failed"))
                        (void) bus_reset_failed_unit(bus, sock, NULL);
                /* Without its dependencies: a socket bound to a container that has already exited (run
                 * --rm ... true) must not start it a second time through BindsTo=; systemd stops such a
                 * socket at once (it is bound to an inactive unit), which is no failure to publish. */
                r = bus_unit_job_run(bus, "StartUnit", sock, "ignore-dependencies", &result, error);
                if (r < 0)
                        return r;
                /* "dependency": systemd refused or stopped the socket because the container it is bound to
                 * is no longer active (it is exiting or gone), which is not a port that failed to listen */
                if (streq(result, "dependency"))
                        continue;
                if (!streq(result, "done")) {
                        if (ret_failed_unit)
                                *ret_failed_unit = TAKE_PTR(sock);
                        return 1;
                }
        }
        return 0;
}

int container_start_error(int root_fd, const char *name, char **ret_msg, int *ret_exit_code) {
        ContainerState st;
        int r;

        r = container_state_load(root_fd, name, &st);
        if (r < 0)
                return r;
        if (isempty(st.error)) {
                container_state_done(&st);
                *ret_msg = NULL;
                *ret_exit_code = 125;
                return 0;
        }
        *ret_msg = TAKE_PTR(st.error);
        *ret_exit_code = st.exit_code >= 125 && st.exit_code <= 127 ? (int) st.exit_code : 125;
        container_state_done(&st);
        return 0;
}

int container_exit_code(int root_fd, const char *name, const UnitState *unit) {
        ContainerState st;
        int code = -1;

        if (container_state_load(root_fd, name, &st) >= 0) {
                if (container_state_end_recorded(&st))
                        code = (int) st.exit_code;
                container_state_done(&st);
        }
        if (code >= 0)
                return code;
        return unit ? unit_exit_code(unit) : 0;
}

int unit_exit_code(const UnitState *unit) {
        switch (unit->exec_main_code) {
        case CLD_EXITED:
                return unit->exec_main_status;
        case CLD_KILLED:
        case CLD_DUMPED:
                return 128 + unit->exec_main_status;
        default:
                return 0;
        }
}

/* --- confinement and resources -------------------------------------------------------------------------- */

/* tmpfs options Docker passes through to mount(2), plus size= and mode=; nothing that would let a
 * container get device nodes or setuid binaries on a tmpfs of its own. */
static bool tmpfs_option_is_valid(const char *o) {
        static const char *const flags[] = { "rw", "ro", "exec", "noexec", "suid", "nosuid", "dev", "nodev",
                "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime",
                "nostrictatime", "sync", "async", "dirsync" };
        const char *eq = strchr(o, '=');
        unsigned long long v;
        char *end;

        if (!eq) {
                for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                        if (streq(o, flags[i]))
                                return true;
                return false;
        }
        if (startswith(o, "size="))
                return size_spec_parse(eq + 1, &v) >= 0 ||
                        (endswith(o, "%") && strspn(eq + 1, "0123456789") == strlen(eq + 1) - 1);
        if (startswith(o, "mode=")) {
                errno = 0;
                v = strtoull(eq + 1, &end, 8);
                return errno == 0 && end != eq + 1 && !*end && v <= 07777;
        }
        if (startswith(o, "uid=") || startswith(o, "gid=") || startswith(o, "nr_inodes=") ||
                startswith(o, "nr_blocks="))
                return !isempty(eq + 1) && strspn(eq + 1, "0123456789kmgKMG") == strlen(eq + 1);
        return false;
}

int tmpfs_spec_parse(const char *spec, ContainerMount *ret, const char **reterr_reason) {
        _cleanup_free_ char *path = NULL, *target = NULL, *opts = NULL;
        const char *colon = strchr(spec, ':');
        bool ro = false;
        int r;

        path = colon ? strndup(spec, (size_t) (colon - spec)) : strdup(spec);
        if (!path)
                return -ENOMEM;
        r = mount_target(path, &target, reterr_reason);
        if (r < 0)
                return r;
        if (colon && !isempty(colon + 1)) {
                _cleanup_free_ char *copy = strdup(colon + 1);
                char *save = NULL;

                if (!copy)
                        return -ENOMEM;
                for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                        if (!tmpfs_option_is_valid(o)) {
                                REASON("unknown tmpfs option; use size=, mode=, uid=, gid=, nr_inodes= or "
                                       "mount flags such as ro, exec, noatime");
                                return -EINVAL;
                        }
                        ro = ro || streq(o, "ro");
                }
                opts = strdup(colon + 1);
                if (!opts)
                        return -ENOMEM;
        }
        *ret = (ContainerMount){
                .type = MOUNT_TMPFS,
                .target = TAKE_PTR(target),
                .read_only = ro,
                .options = TAKE_PTR(opts),
        };
        return 0;
}

static int rlimit_value_parse(const char *s, size_t n, int64_t *ret) {
        char buf[32], *end;
        long long v;

        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        if (streq(buf, "unlimited") || streq(buf, "-1")) {
                *ret = -1;
                return 0;
        }
        if (!isdigit((unsigned char) buf[0]))
                return -EINVAL;
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int ulimit_spec_parse(const char *spec, ContainerUlimit *ret, const char **reterr_reason) {
        const char *eq = strchr(spec, '='), *colon;
        _cleanup_free_ char *name = NULL;
        int64_t soft, hard;

        if (!eq || eq == spec) {
                REASON("use NAME=SOFT[:HARD], such as nofile=1024:2048");
                return -EINVAL;
        }
        name = strndup(spec, (size_t) (eq - spec));
        if (!name)
                return -ENOMEM;
        if (rlimit_from_name(name) < 0) {
                REASON("unknown limit; use as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
                       "nofile, nproc, rss, rtprio, rttime, sigpending or stack");
                return -EINVAL;
        }
        colon = strchr(eq + 1, ':');
        if (rlimit_value_parse(eq + 1, colon ? (size_t) (colon - eq - 1) : strlen(eq + 1), &soft) < 0 ||
                (colon && rlimit_value_parse(colon + 1, strlen(colon + 1), &hard) < 0)) {
                REASON("the limits must be numbers or 'unlimited'");
                return -EINVAL;
        }
        if (!colon)
                hard = soft;
        if (hard >= 0 && (soft < 0 || soft > hard)) {
                REASON("the soft limit can't be above the hard limit");
                return -EINVAL;
        }
        *ret = (ContainerUlimit){ .name = TAKE_PTR(name), .soft = soft, .hard = hard };
        return 0;
}

static bool devperm_is_valid(const char *p) {
        return !isempty(p) && strlen(p) <= 3 && strspn(p, "rwm") == strlen(p);
}

int device_spec_parse(const char *spec, ContainerDevice *ret, const char **reterr_reason) {
        _cleanup_free_ char *copy = strdup(spec), *host = NULL, *ctr = NULL, *perms = NULL;
        char *parts[3] = {};
        size_t n = 0;

        if (!copy)
                return -ENOMEM;
        for (char *p = copy; p && n < 3; n++) {
                char *c = strchr(p, ':');

                if (c)
                        *c++ = 0;
                parts[n] = p;
                p = c;
                if (c && n == 2) {
                        REASON("use HOST_PATH[:CONTAINER_PATH][:PERMISSIONS]");
                        return -EINVAL;
                }
        }
        /* HOST:PERMS is allowed too: a second part that is only permissions */
        if (n == 2 && devperm_is_valid(parts[1])) {
                parts[2] = parts[1];
                parts[1] = NULL;
        }
        if (isempty(parts[0]) || parts[0][0] != '/') {
                REASON("the host path must be absolute, such as /dev/fuse");
                return -EINVAL;
        }
        host = path_absolute_clean(parts[0], "/");
        ctr = path_absolute_clean(!isempty(parts[1]) ? parts[1] : parts[0], "/");
        perms = strdup(parts[2] ?: "rwm");
        if (!host || !ctr || !perms)
                return -ENOMEM;
        if (!startswith(ctr, "/dev/") || streq(ctr, "/dev/")) {
                REASON("the container path must be below /dev");
                return -EINVAL;
        }
        if (!devperm_is_valid(perms)) {
                REASON("permissions are a combination of r, w and m");
                return -EINVAL;
        }
        *ret = (ContainerDevice){ .host_path = TAKE_PTR(host),
                .container_path = TAKE_PTR(ctr),
                .permissions = TAKE_PTR(perms) };
        return 0;
}

int sysctl_spec_parse(const char *spec, bool host_network, char **ret, const char **reterr_reason) {
        static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(spec, '=');
        bool ok = false;

        if (!eq || eq == spec) {
                REASON("use NAME=VALUE, such as net.ipv4.ip_forward=1");
                return -EINVAL;
        }
        name = strndup(spec, (size_t) (eq - spec));
        if (!name)
                return -ENOMEM;
        for (char *p = name; *p; p++)
                if (*p == '/')
                        *p = '.';
        if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                        strlen(name) ||
                strstr(name, "..") || name[0] == '.' || strchr(eq + 1, '\n')) {
                REASON("not a sysctl name");
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(ipc); i++)
                ok = ok || streq(name, ipc[i]);
        ok = ok || startswith(name, "fs.mqueue.");
        if (startswith(name, "net.")) {
                if (host_network) {
                        REASON("net.* sysctls are the host's with --network host; they can't be set per "
                               "container");
                        return -EINVAL;
                }
                ok = true;
        }
        if (!ok) {
                REASON("not a namespaced sysctl: only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and "
                       "net.* can be set per container");
                return -EINVAL;
        }
        *ret = strjoin(name, eq);
        return *ret ? 0 : -ENOMEM;
}

int cpus_spec_parse(const char *s, int64_t *ret_nano) {
        /* a decimal number with up to 9 fractional digits, as Docker's --cpus */
        int64_t whole = 0, frac = 0, scale = 100000000;
        const char *p = s;

        if (!isdigit((unsigned char) *p) && *p != '.')
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                whole = whole * 10 + (*p - '0');
                if (whole > 1000000)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                for (; isdigit((unsigned char) *p); p++) {
                        if (scale == 0)
                                return -EINVAL;
                        frac += (*p - '0') * scale;
                        scale /= 10;
                }
        }
        if (*p || (whole == 0 && frac == 0))
                return -EINVAL;
        *ret_nano = whole * 1000000000 + frac;
        return 0;
}
