/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fileio.h"
#include "json-util.h"
#include "string-util.h"
#include "strv.h"

#define HEALTH_FILE_MAX (256u * 1024u)

static const char *const health_on_failure_table[_HEALTH_ON_FAILURE_MAX] = {
        [HEALTH_ON_FAILURE_NONE] = "none",
        [HEALTH_ON_FAILURE_KILL] = "kill",
        [HEALTH_ON_FAILURE_RESTART] = "restart",
        [HEALTH_ON_FAILURE_STOP] = "stop",
};

static const char *const health_status_table[_HEALTH_STATUS_MAX] = {
        [HEALTH_STARTING] = "starting",
        [HEALTH_HEALTHY] = "healthy",
        [HEALTH_UNHEALTHY] = "unhealthy",
};

static int table_lookup(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

const char *health_on_failure_to_string(HealthOnFailure a) {
        return a >= 0 && a < _HEALTH_ON_FAILURE_MAX ? health_on_failure_table[a] : NULL;
}

HealthOnFailure health_on_failure_from_string(const char *s) {
        return (HealthOnFailure) table_lookup(health_on_failure_table, _HEALTH_ON_FAILURE_MAX, s);
}

const char *health_status_to_string(HealthStatus s) {
        return s >= 0 && s < _HEALTH_STATUS_MAX ? health_status_table[s] : NULL;
}

HealthStatus health_status_from_string(const char *s) {
        return (HealthStatus) table_lookup(health_status_table, _HEALTH_STATUS_MAX, s);
}

void healthcheck_done(Healthcheck *h) {
        h->test = strv_free(h->test);
        *h = (Healthcheck){ .on_failure = h->on_failure };
}

bool healthcheck_enabled(const Healthcheck *h) {
        return h->test && h->test[0] && !streq(h->test[0], "NONE");
}

int64_t healthcheck_interval_ns(const Healthcheck *h) {
        return h->interval_ns > 0 ? h->interval_ns : HEALTH_INTERVAL_DEFAULT_NS;
}

int64_t healthcheck_timeout_ns(const Healthcheck *h) {
        return h->timeout_ns > 0 ? h->timeout_ns : HEALTH_TIMEOUT_DEFAULT_NS;
}

int64_t healthcheck_retries(const Healthcheck *h) {
        return h->retries > 0 ? h->retries : HEALTH_RETRIES_DEFAULT;
}

char **healthcheck_argv(const Healthcheck *h) {
        if (!healthcheck_enabled(h))
                return NULL;
        if (streq(h->test[0], "CMD-SHELL")) {
                char **l = NULL;
                if (strv_extend(&l, "/bin/sh") < 0 || strv_extend(&l, "-c") < 0 ||
                        strv_extend(&l, h->test[1]) < 0)
                        return strv_free(l);
                return l;
        }
        return strv_copy(h->test + 1);
}

struct json_object *healthcheck_to_json(const Healthcheck *h) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *test;
        int r = 0;

        if (!o)
                return NULL;
        test = json_add_new_array(o, "Test");
        if (!test)
                return NULL;
        STRV_FOREACH(t, h->test)
                if (r >= 0)
                        r = json_array_add_string(test, *t);
        if (r >= 0 && h->interval_ns > 0)
                r = json_add_int64(o, "Interval", h->interval_ns);
        if (r >= 0 && h->timeout_ns > 0)
                r = json_add_int64(o, "Timeout", h->timeout_ns);
        if (r >= 0 && h->start_period_ns > 0)
                r = json_add_int64(o, "StartPeriod", h->start_period_ns);
        if (r >= 0 && h->retries > 0)
                r = json_add_int64(o, "Retries", h->retries);
        return r < 0 ? NULL : TAKE_PTR(o);
}

static bool duration_is_valid(int64_t ns) {
        return ns == 0 || (ns >= HEALTH_DURATION_MIN_NS && ns <= HEALTH_DURATION_MAX_NS);
}

#define FAIL(reason)                                                                                        \
        do {                                                                                                \
                if (reterr_reason)                                                                          \
                        *reterr_reason = (reason);                                                          \
                return -EBADMSG;                                                                            \
        } while (0)

int healthcheck_from_json(struct json_object *o, Healthcheck *h, const char **reterr_reason) {
        _cleanup_strv_free_ char **test = NULL;
        struct json_object *a;
        Healthcheck n = { .on_failure = h->on_failure };
        size_t len;

        if (!json_object_is_type(o, json_type_object))
                FAIL("Healthcheck must be an object");
        a = json_get_array(o, "Test");
        len = a ? json_object_array_length(a) : 0;
        if (len > 4096)
                FAIL("Healthcheck.Test has too many words");
        for (size_t i = 0; i < len; i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                if (!json_object_is_type(v, json_type_string))
                        FAIL("Healthcheck.Test must be an array of strings");
                if (strv_extend(&test, json_object_get_string(v)) < 0)
                        return -ENOMEM;
        }
        if (len > 0) {
                if (streq(test[0], "CMD-SHELL")         ? len != 2 || isempty(test[1])
                                : streq(test[0], "CMD") ? len < 2 || isempty(test[1])
                                                        : !streq(test[0], "NONE") || len != 1)
                        FAIL("Healthcheck.Test must be [\"CMD-SHELL\", COMMAND], [\"CMD\", ARG...] or "
                             "[\"NONE\"]");
        }
        n.interval_ns = json_get_int64(o, "Interval", 0);
        n.timeout_ns = json_get_int64(o, "Timeout", 0);
        n.start_period_ns = json_get_int64(o, "StartPeriod", 0);
        n.retries = json_get_int64(o, "Retries", 0);
        if (!duration_is_valid(n.interval_ns) || !duration_is_valid(n.timeout_ns) ||
                !duration_is_valid(n.start_period_ns))
                FAIL("Healthcheck durations must be 0 or 1 ms to a year, in nanoseconds");
        if (n.retries < 0 || n.retries > 1000000)
                FAIL("Healthcheck.Retries must be 0 to 1000000");
        n.test = TAKE_PTR(test);
        healthcheck_done(h);
        *h = n;
        return 0;
}

void health_result_done(HealthResult *r) {
        free(r->start);
        free(r->end);
        free(r->output);
        *r = (HealthResult){};
}

void health_state_done(HealthState *s) {
        for (size_t i = 0; i < s->n_log; i++)
                health_result_done(s->log + i);
        free(s->started_at);
        *s = (HealthState){};
}

static int dup_member(struct json_object *o, const char *key, char **ret) {
        const char *v = json_get_string(o, key);

        *ret = v ? strdup(v) : NULL;
        return !v || *ret ? 0 : -ENOMEM;
}

static int health_state_from_json(struct json_object *o, HealthState *s) {
        struct json_object *log = json_get_array(o, "Log");
        size_t n = log ? json_object_array_length(log) : 0;
        int r;

        s->status = health_status_from_string(json_get_string(o, "Status"));
        if (s->status < 0)
                return -EBADMSG;
        s->failing_streak = json_get_int64(o, "FailingStreak", 0);
        if (s->failing_streak < 0)
                return -EBADMSG;
        r = dup_member(o, "ContainerStartedAt", &s->started_at);
        if (r < 0)
                return r;
        /* the last HEALTH_LOG_MAX entries */
        for (size_t i = n > HEALTH_LOG_MAX ? n - HEALTH_LOG_MAX : 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(log, i);
                HealthResult *res = s->log + s->n_log;

                if (!json_object_is_type(e, json_type_object))
                        return -EBADMSG;
                s->n_log++;
                res->exit_code = json_get_int64(e, "ExitCode", -1);
                if (dup_member(e, "Start", &res->start) < 0 || dup_member(e, "End", &res->end) < 0 ||
                        dup_member(e, "Output", &res->output) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static char *health_path(const char *name) {
        return strjoin("containers/", name, "/health.json");
}

int health_state_load(int root_fd, const char *name, const char *started_at, HealthState *ret) {
        _cleanup_free_ char *path = health_path(name), *text = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        HealthState s = {};
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file_at(root_fd, path, HEALTH_FILE_MAX, &text, &size);
        if (r >= 0)
                r = json_parse(text, size, &o, NULL);
        if (r >= 0)
                r = health_state_from_json(o, &s);
        if (r == -ENOMEM) {
                health_state_done(&s);
                return r;
        }
        if (r < 0 || !streq_ptr(s.started_at, started_at)) {
                /* none yet, of another run, or unreadable: this run starts over */
                health_state_done(&s);
                s.started_at = started_at ? strdup(started_at) : NULL;
                if (started_at && !s.started_at)
                        return -ENOMEM;
        }
        *ret = s;
        return 0;
}

struct json_object *health_state_to_json(const HealthState *s) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *log;
        int r;

        if (!o)
                return NULL;
        r = json_add_string(o, "Status", health_status_to_string(s->status));
        if (r >= 0)
                r = json_add_int64(o, "FailingStreak", s->failing_streak);
        log = r >= 0 ? json_add_new_array(o, "Log") : NULL;
        if (!log)
                return NULL;
        for (size_t i = 0; i < s->n_log; i++) {
                struct json_object *e = json_object_new_object();
                const HealthResult *res = s->log + i;

                if (!e || json_object_array_add(log, e) < 0) {
                        json_object_put(e);
                        return NULL;
                }
                r = json_add_string(e, "Start", res->start);
                if (r >= 0)
                        r = json_add_string(e, "End", res->end);
                if (r >= 0)
                        r = json_add_int64(e, "ExitCode", res->exit_code);
                if (r >= 0)
                        r = json_add_string(e, "Output", res->output ?: "");
                if (r < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

int health_state_save(int root_fd, const char *name, const HealthState *s) {
        _cleanup_json_ struct json_object *o = health_state_to_json(s);
        _cleanup_free_ char *path = health_path(name), *text = NULL;

        if (!o || !path || json_add_string(o, "ContainerStartedAt", s->started_at) < 0)
                return -ENOMEM;
        text = json_to_string(o, false);
        if (!text)
                return -ENOMEM;
        /* results of a run are worth nothing after a crash: no fsync */
        return write_file_replace_at(root_fd, path, text, strlen(text), 0600);
}

bool health_state_record(HealthState *s, const Healthcheck *h, bool in_start_period, HealthResult *r) {
        HealthStatus before = s->status;

        if (s->n_log == HEALTH_LOG_MAX) {
                health_result_done(s->log);
                memmove(s->log, s->log + 1, (HEALTH_LOG_MAX - 1) * sizeof(HealthResult));
                s->n_log--;
        }
        s->log[s->n_log++] = *r;
        *r = (HealthResult){};

        if (s->log[s->n_log - 1].exit_code == 0) {
                s->status = HEALTH_HEALTHY;
                s->failing_streak = 0;
        } else if (!in_start_period || s->status != HEALTH_STARTING) {
                s->failing_streak++;
                if (s->failing_streak >= healthcheck_retries(h))
                        s->status = HEALTH_UNHEALTHY;
        }
        return s->status == HEALTH_UNHEALTHY && before != HEALTH_UNHEALTHY;
}
