/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "create-health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"

static char **arg_test = NULL; /* Docker's Test array from --health-cmd */
static int64_t arg_interval_ns = -1, arg_timeout_ns = -1, arg_start_period_ns = -1, arg_retries = -1;
static HealthOnFailure arg_on_failure = HEALTH_ON_FAILURE_NONE;
static bool arg_no_healthcheck = false, arg_health_given = false;

void health_args_free(void) {
        arg_test = strv_free(arg_test);
}

void health_help(void) {
        printf("\n"
               "Health checks (run in the container by the timer berth-health@NAME.timer):\n"
               "      --health-cmd CMD         Command whose exit status 0 means healthy, run with /bin/sh "
               "-c\n"
               "                               (or a JSON array: [\"CMD\", \"ARG\"...] runs it directly);\n"
               "                               replaces the image's HEALTHCHECK\n"
               "      --health-interval DUR    Time between checks (default 30s)\n"
               "      --health-timeout DUR     Time a check may take before it counts as failed (default "
               "30s)\n"
               "      --health-retries N       Failures in a row that make the container unhealthy "
               "(default 3)\n"
               "      --health-start-period DUR  Time after the start in which failures don't count\n"
               "      --health-on-failure ACTION  none (default), kill, restart or stop the container\n"
               "                               when it becomes unhealthy\n"
               "      --no-healthcheck         Disable the image's HEALTHCHECK\n");
}

/* "--health-cmd": a shell command, or a JSON array (Docker's Test form, or a plain argv). */
static int parse_cmd(const char *verb, const char *arg) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t n;

        if (isempty(arg))
                return -cli_usage_error(verb, "invalid --health-cmd '': give a command");
        if (arg[0] != '[') {
                if (strv_extend(&l, "CMD-SHELL") < 0 || strv_extend(&l, arg) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
                strv_free(arg_test);
                arg_test = TAKE_PTR(l);
                return 0;
        }
        if (json_parse(arg, strlen(arg), &o, NULL) < 0 || !json_object_is_type(o, json_type_array) ||
                (n = json_object_array_length(o)) == 0)
                return -cli_usage_error(verb,
                        "invalid --health-cmd '%s': a JSON array needs to list the command and its "
                        "arguments as strings",
                        arg);
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(o, i);
                const char *s = json_object_get_string(v);

                if (!json_object_is_type(v, json_type_string))
                        return -cli_usage_error(verb,
                                "invalid --health-cmd '%s': element %zu is not a string", arg, i);
                if (i == 0 && !streq(s, "CMD") && !streq(s, "CMD-SHELL") && !streq(s, "NONE") &&
                        strv_extend(&l, "CMD") < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
                if (strv_extend(&l, s) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory"), -EXIT_USAGE;
        }
        if (streq(l[0], "CMD-SHELL")          ? strv_length(l) != 2
                        : streq(l[0], "NONE") ? strv_length(l) != 1
                                              : strv_length(l) < 2)
                return -cli_usage_error(verb,
                        "invalid --health-cmd '%s': use [\"CMD-SHELL\", \"COMMAND\"], [\"CMD\", \"ARG\"...] "
                        "or "
                        "[\"NONE\"]",
                        arg);
        strv_free(arg_test);
        arg_test = TAKE_PTR(l);
        return 0;
}

static int parse_duration(const char *verb, const char *flag, const char *arg, int64_t *ret) {
        uint64_t usec;

        if (parse_go_duration(arg, &usec) < 0 ||
                (usec != 0 &&
                        (usec * 1000 < (uint64_t) HEALTH_DURATION_MIN_NS ||
                                usec > (uint64_t) HEALTH_DURATION_MAX_NS / 1000)))
                return -cli_usage_error(verb,
                        "invalid %s '%s': use a duration from 1ms to a year, such as 500ms, 10s or 5m (0: "
                        "the "
                        "default)",
                        flag, arg);
        *ret = (int64_t) usec * 1000;
        return 0;
}

int health_parse_option(const char *verb, int c, const char *arg) {
        char *end;
        long long n;

        if (c != ARG_NO_HEALTHCHECK && c != ARG_HEALTH_ON_FAILURE)
                arg_health_given = true;
        switch (c) {
        case ARG_HEALTH_CMD:
                return parse_cmd(verb, arg);
        case ARG_HEALTH_INTERVAL:
                return parse_duration(verb, "--health-interval", arg, &arg_interval_ns);
        case ARG_HEALTH_TIMEOUT:
                return parse_duration(verb, "--health-timeout", arg, &arg_timeout_ns);
        case ARG_HEALTH_START_PERIOD:
                return parse_duration(verb, "--health-start-period", arg, &arg_start_period_ns);
        case ARG_HEALTH_RETRIES:
                errno = 0;
                n = strtoll(arg, &end, 10);
                if (errno != 0 || end == arg || *end || n < 0 || n > 1000000)
                        return -cli_usage_error(verb,
                                "invalid --health-retries '%s': use a number from 1 to 1000000 (0: the "
                                "default, 3)",
                                arg);
                arg_retries = n;
                return 0;
        case ARG_HEALTH_ON_FAILURE:
                arg_on_failure = health_on_failure_from_string(arg);
                if (arg_on_failure < 0)
                        return -cli_usage_error(verb,
                                "invalid --health-on-failure '%s': use none, kill, restart or stop", arg);
                return 0;
        case ARG_NO_HEALTHCHECK:
                arg_no_healthcheck = true;
                return 0;
        }
        return 0;
}

int health_check_args(const char *verb, bool auto_remove) {
        if (auto_remove && arg_on_failure == HEALTH_ON_FAILURE_RESTART)
                return -cli_usage_error(verb,
                        "conflicting options: --health-on-failure restart and --rm (a container that is "
                        "removed when it stops can't be restarted)");
        if (arg_no_healthcheck && arg_health_given)
                return -cli_usage_error(verb, "--no-healthcheck conflicts with --health-* options");
        if (arg_no_healthcheck && arg_on_failure != HEALTH_ON_FAILURE_NONE)
                return -cli_usage_error(verb, "--no-healthcheck conflicts with --health-on-failure");
        return 0;
}

int health_apply(Container *c, struct json_object *image_cfg) {
        Healthcheck *h = &c->healthcheck;
        struct json_object *img = json_get_object(image_cfg, "Healthcheck");
        const char *reason = NULL;
        int r;

        healthcheck_done(h);
        h->on_failure = arg_on_failure;
        if (arg_no_healthcheck) {
                if (strv_extend(&h->test, "NONE") < 0)
                        return -ENOMEM;
                return 0;
        }
        if (img) {
                r = healthcheck_from_json(img, h, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_warning("The image's HEALTHCHECK is malformed (%s), ignoring it", reason);
        }
        if (arg_test) {
                strv_free(h->test);
                h->test = strv_copy(arg_test);
                if (!h->test)
                        return -ENOMEM;
        }
        if (arg_interval_ns >= 0)
                h->interval_ns = arg_interval_ns;
        if (arg_timeout_ns >= 0)
                h->timeout_ns = arg_timeout_ns;
        if (arg_start_period_ns >= 0)
                h->start_period_ns = arg_start_period_ns;
        if (arg_retries >= 0)
                h->retries = arg_retries;
        if (!healthcheck_enabled(h) && (arg_health_given || arg_on_failure != HEALTH_ON_FAILURE_NONE) &&
                !arg_test)
                log_warning("--health-* options without a health check to apply them to (neither "
                            "--health-cmd nor the image's HEALTHCHECK gives one), ignoring them");
        return 0;
}
