/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "json-util.h"
#include "macro.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"

const char *image_config_host_arch(void) {
        static const struct {
                const char *uname, *oci;
        } map[] = {
                { "x86_64", "amd64" },
                { "aarch64", "arm64" },
                { "armv7l", "arm" },
                { "i686", "386" },
                { "ppc64le", "ppc64le" },
                { "s390x", "s390x" },
                { "riscv64", "riscv64" },
        };
        static struct utsname u;

        if (uname(&u) < 0)
                return "amd64";
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(u.machine, map[i].uname))
                        return map[i].oci;
        return u.machine;
}

void image_config_now(char buf[static 64]) {
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static const char *skip_blank(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* Splits on blanks; double quotes group words. */
static int split_words(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = skip_blank(s);

        while (*p) {
                _cleanup_free_ char *w = malloc(strlen(p) + 1);
                char *o = w;
                int r;

                if (!w)
                        return -ENOMEM;
                while (*p && *p != ' ' && *p != '\t') {
                        if (*p == '"') {
                                p++;
                                while (*p && *p != '"')
                                        *o++ = *p++;
                                if (*p != '"')
                                        return -EINVAL;
                                p++;
                        } else
                                *o++ = *p++;
                }
                *o = 0;
                r = strv_consume(&l, TAKE_PTR(w));
                if (r < 0)
                        return r;
                p = skip_blank(p);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* JSON array of strings (exec form), or NULL if s is not one. */
static struct json_object *parse_exec_form(const char *s) {
        struct json_object *a = NULL;

        if (*skip_blank(s) != '[' || json_parse(s, strlen(s), &a, NULL) < 0)
                return NULL;
        if (!json_object_is_type(a, json_type_array))
                goto bad;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
                        goto bad;
        return a;
bad:
        json_object_put(a);
        return NULL;
}

static struct json_object *shell_form(const char *s) {
        struct json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        if (json_object_array_add(a, json_object_new_string("/bin/sh")) < 0 ||
                json_object_array_add(a, json_object_new_string("-c")) < 0 ||
                json_object_array_add(a, json_object_new_string(s)) < 0) {
                json_object_put(a);
                return NULL;
        }
        return a;
}

static int set_key(struct json_object *o, const char *key, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        json_object_object_del(o, key);
        return json_add(o, key, v);
}

/* Object member "key" of o, created empty if missing. */
static struct json_object *ensure_object(struct json_object *o, const char *key) {
        struct json_object *v = json_get_object(o, key);

        if (v)
                return v;
        v = json_object_new_object();
        if (!v || set_key(o, key, v) < 0)
                return NULL;
        return v;
}

static int apply_env(struct json_object *config, const char *args, const char **reterr) {
        _cleanup_strv_free_ char **words = NULL, **pairs = NULL;
        struct json_object *env = json_get_array(config, "Env");
        int r = 0;

        r = split_words(args, &words);
        if (r < 0 || !words) {
                *reterr = "ENV needs KEY=VALUE pairs or 'KEY VALUE'";
                return -EINVAL;
        }
        if (!strchr(words[0], '=')) {
                /* legacy form "ENV KEY VALUE WITH BLANKS" */
                const char *rest = skip_blank(skip_blank(args) + strlen(words[0]));
                r = strv_consume(&pairs, strjoin(words[0], "=", rest));
        } else
                STRV_FOREACH(w, words) {
                        if (!strchr(*w, '=') || **w == '=') {
                                *reterr = "ENV: every word must be KEY=VALUE";
                                return -EINVAL;
                        }
                        if ((r = strv_extend(&pairs, *w)) < 0)
                                break;
                }
        if (r < 0)
                return r;

        if (!env) {
                env = json_object_new_array();
                if ((r = set_key(config, "Env", env)) < 0)
                        return r;
        }
        STRV_FOREACH(pp, pairs) {
                size_t kl = (size_t) (strchr(*pp, '=') - *pp) + 1;
                bool replaced = false;

                for (size_t i = 0; i < json_object_array_length(env); i++) {
                        struct json_object *e = json_object_array_get_idx(env, i);
                        if (json_object_is_type(e, json_type_string) &&
                                strncmp(json_object_get_string(e), *pp, kl) == 0) {
                                json_object_array_put_idx(env, i, json_object_new_string(*pp));
                                replaced = true;
                                break;
                        }
                }
                if (!replaced && json_object_array_add(env, json_object_new_string(*pp)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool valid_port(const char *w) {
        char *end;
        unsigned long p;

        errno = 0;
        p = strtoul(w, &end, 10);
        if (errno || end == w || p == 0 || p > 65535)
                return false;
        return *end == 0 || streq(end, "/tcp") || streq(end, "/udp") || streq(end, "/sctp");
}

/* HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD command | NONE */
static int apply_healthcheck(struct json_object *config, const char *args, const char **reterr) {
        _cleanup_json_ struct json_object *hc = json_object_new_object(), *test = NULL;
        const char *p = args;
        int r = 0;

        if (!hc)
                return -ENOMEM;
        while (startswith(p, "--")) {
                static const char *const keys[] = { "interval", "timeout", "start-period", "retries" };
                static const char *const fields[] = { "Interval", "Timeout", "StartPeriod", "Retries" };
                size_t n = strcspn(p, " \t"), k;
                _cleanup_free_ char *opt = strndup(p + 2, n - 2);
                char *eq = opt ? strchr(opt, '=') : NULL, *end;
                uint64_t v = 0;

                if (!opt)
                        return -ENOMEM;
                if (eq)
                        *eq = 0;
                for (k = 0; eq && k < ELEMENTSOF(keys); k++)
                        if (streq(opt, keys[k]))
                                break;
                if (!eq || k == ELEMENTSOF(keys)) {
                        *reterr = "HEALTHCHECK options are --interval=, --timeout=, --start-period= and "
                                  "--retries=";
                        return -EINVAL;
                }
                if (k == 3) {
                        errno = 0;
                        v = strtoull(eq + 1, &end, 10);
                        r = errno || end == eq + 1 || *end || v > 1000000 ? -EINVAL : 0;
                } else {
                        r = parse_go_duration(eq + 1, &v);
                        v *= 1000; /* nanoseconds */
                        if (r >= 0 && v > 0 && (v < 1000000 || v > 366ULL * 24 * 3600 * 1000000000ULL))
                                r = -EINVAL;
                }
                if (r < 0) {
                        *reterr = "HEALTHCHECK: --retries= takes a number, the others a duration (30s, 1m)";
                        return -EINVAL;
                }
                r = json_add_int64(hc, fields[k], (int64_t) v);
                if (r < 0)
                        return r;
                p = skip_blank(p + n);
        }
        if (streq(p, "NONE") || streq(p, "none")) {
                test = json_object_new_array();
                r = test ? json_array_add_string(test, "NONE") : -ENOMEM;
        } else if (strncasecmp(p, "CMD", 3) == 0 && (p[3] == ' ' || p[3] == '\t')) {
                const char *cmd = skip_blank(p + 3);
                struct json_object *exec = parse_exec_form(cmd);

                test = json_object_new_array();
                r = test ? json_array_add_string(test, exec ? "CMD" : "CMD-SHELL") : -ENOMEM;
                for (size_t i = 0; r >= 0 && exec && i < json_object_array_length(exec); i++)
                        r = json_array_add_string(test,
                                json_object_get_string(json_object_array_get_idx(exec, i)));
                if (r >= 0 && !exec)
                        r = *cmd ? json_array_add_string(test, cmd) : -EINVAL;
                if (r >= 0 && exec && json_object_array_length(exec) == 0)
                        r = -EINVAL;
                json_object_put(exec);
        } else
                r = -EINVAL;
        if (r == -EINVAL)
                *reterr = "HEALTHCHECK takes [OPTIONS] CMD COMMAND, or NONE";
        if (r < 0)
                return r;
        r = json_add(hc, "Test", TAKE_PTR(test));
        if (r < 0)
                return r;
        return set_key(config, "Healthcheck", TAKE_PTR(hc));
}

int image_config_apply_change(struct json_object *config, const char *instruction, const char **reterr) {
        const char *p = skip_blank(instruction), *args;
        char kw[16];
        size_t n = 0;
        int r = 0;

        while (p[n] && !isspace((unsigned char) p[n]) && n < sizeof(kw) - 1) {
                kw[n] = (char) toupper((unsigned char) p[n]);
                n++;
        }
        kw[n] = 0;
        args = skip_blank(p + n);
        if (n == 0) {
                *reterr = "empty instruction";
                return -EINVAL;
        }
        if (!*args) {
                *reterr = "instruction needs an argument";
                return -EINVAL;
        }

        if (streq(kw, "CMD") || streq(kw, "ENTRYPOINT")) {
                struct json_object *v = parse_exec_form(args);
                if (!v && *args == '[') {
                        *reterr =
                                "malformed JSON array: use [\"executable\", \"arg\", ...] or the shell form";
                        return -EINVAL;
                }
                return set_key(config, streq(kw, "CMD") ? "Cmd" : "Entrypoint", v ?: shell_form(args));
        }
        if (streq(kw, "ENV"))
                return apply_env(config, args, reterr);
        if (streq(kw, "WORKDIR")) {
                if (args[0] != '/') {
                        *reterr = "WORKDIR must be an absolute path";
                        return -EINVAL;
                }
                return set_key(config, "WorkingDir", json_object_new_string(args));
        }
        if (streq(kw, "USER"))
                return set_key(config, "User", json_object_new_string(args));
        if (streq(kw, "STOPSIGNAL"))
                return set_key(config, "StopSignal", json_object_new_string(args));
        if (streq(kw, "HEALTHCHECK"))
                return apply_healthcheck(config, args, reterr);
        if (streq(kw, "EXPOSE") || streq(kw, "VOLUME") || streq(kw, "LABEL")) {
                _cleanup_strv_free_ char **words = NULL;
                struct json_object *target, *jv = NULL;

                if (streq(kw, "VOLUME") && (jv = parse_exec_form(args))) {
                        for (size_t i = 0; i < json_object_array_length(jv); i++)
                                if ((r = strv_extend(&words,
                                             json_object_get_string(json_object_array_get_idx(jv, i)))) < 0)
                                        break;
                        json_object_put(jv);
                } else
                        r = split_words(args, &words);
                if (r < 0 || !words) {
                        *reterr = "malformed arguments";
                        return r == -ENOMEM ? r : -EINVAL;
                }
                target = ensure_object(config,
                        streq(kw, "EXPOSE")           ? "ExposedPorts"
                                : streq(kw, "VOLUME") ? "Volumes"
                                                      : "Labels");
                if (!target)
                        return -ENOMEM;
                STRV_FOREACH(w, words) {
                        _cleanup_free_ char *key = NULL;
                        struct json_object *val;

                        if (streq(kw, "EXPOSE")) {
                                if (!valid_port(*w)) {
                                        *reterr = "EXPOSE takes PORT or PORT/tcp|udp|sctp with 1 <= PORT <= "
                                                  "65535";
                                        return -EINVAL;
                                }
                                key = strchr(*w, '/') ? strdup(*w) : strjoin(*w, "/tcp");
                                val = json_object_new_object();
                        } else if (streq(kw, "VOLUME")) {
                                if ((*w)[0] != '/') {
                                        *reterr = "VOLUME paths must be absolute";
                                        return -EINVAL;
                                }
                                key = strdup(*w);
                                val = json_object_new_object();
                        } else {
                                char *eq = strchr(*w, '=');
                                if (!eq || eq == *w) {
                                        *reterr = "LABEL takes KEY=VALUE pairs";
                                        return -EINVAL;
                                }
                                key = strndup(*w, (size_t) (eq - *w));
                                val = json_object_new_string(eq + 1);
                        }
                        if (!key || !val) {
                                json_object_put(val);
                                return -ENOMEM;
                        }
                        r = set_key(target, key, val);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        *reterr = "unsupported instruction; --change accepts CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, "
                  "LABEL, "
                  "STOPSIGNAL, USER, VOLUME and WORKDIR";
        return -EINVAL;
}

int image_config_replace_diff_ids(const char *config, size_t size, char *const *diff_ids, char **ret,
        size_t *ret_size) {
        _cleanup_json_ struct json_object *cfg = NULL, *ids = NULL;
        struct json_object *rootfs, *old;
        bool same;
        char *text;
        size_t n = 0;

        if (json_parse(config, size, &cfg, NULL) < 0 || !json_object_is_type(cfg, json_type_object))
                return -EBADMSG;
        rootfs = json_get_object(cfg, "rootfs");
        if (!rootfs)
                return -EBADMSG;
        old = json_get_array(rootfs, "diff_ids");
        while (diff_ids && diff_ids[n])
                n++;
        same = old && json_object_array_length(old) == n;
        for (size_t i = 0; same && i < n; i++) {
                struct json_object *d = json_object_array_get_idx(old, i);
                same = json_object_is_type(d, json_type_string) &&
                        streq(json_object_get_string(d), diff_ids[i]);
        }
        if (same) {
                text = malloc(size + 1);
                if (!text)
                        return -ENOMEM;
                memcpy(text, config, size);
                text[size] = 0;
                *ret = text;
                *ret_size = size;
                return 0;
        }

        ids = json_object_new_array();
        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (json_array_add_string(ids, diff_ids[i]) < 0)
                        return -ENOMEM;
        json_object_object_del(rootfs, "diff_ids");
        if (json_add(rootfs, "diff_ids", TAKE_PTR(ids)) < 0)
                return -ENOMEM;
        text = json_to_string(cfg, false);
        if (!text)
                return -ENOMEM;
        *ret = text;
        *ret_size = strlen(text);
        return 0;
}
