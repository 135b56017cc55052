/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct json_object;

/* A container's health check: Docker's Config.Healthcheck (from --health-cmd and friends, or the image's
 * HEALTHCHECK), plus Podman's --health-on-failure. `berth healthcheck run` executes it through berth-exec,
 * triggered by the timer berth-health@NAME.timer while the container runs; the results are
 * ROOT/containers/NAME/health.json. */

typedef enum HealthOnFailure {
        HEALTH_ON_FAILURE_NONE,
        HEALTH_ON_FAILURE_KILL,
        HEALTH_ON_FAILURE_RESTART,
        HEALTH_ON_FAILURE_STOP,
        _HEALTH_ON_FAILURE_MAX,
        _HEALTH_ON_FAILURE_INVALID = -EINVAL,
} HealthOnFailure;

const char *health_on_failure_to_string(HealthOnFailure a);
HealthOnFailure health_on_failure_from_string(const char *s);

/* Docker's defaults for the fields left 0 */
#define HEALTH_INTERVAL_DEFAULT_NS (30LL * 1000000000LL)
#define HEALTH_TIMEOUT_DEFAULT_NS (30LL * 1000000000LL)
#define HEALTH_RETRIES_DEFAULT 3
/* Durations must be 0 (the default) or at least this, as Docker checks them; at most a year */
#define HEALTH_DURATION_MIN_NS 1000000LL
#define HEALTH_DURATION_MAX_NS (366LL * 24 * 3600 * 1000000000LL)
/* Docker keeps this much of a check's output, and the last this many results */
#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_MAX 5

typedef struct Healthcheck {
        /* Test: {"CMD-SHELL", "cmd"}, {"CMD", argv0, ...}, {"NONE"} (disabled); NULL: none given */
        char **test;
        int64_t interval_ns, timeout_ns, start_period_ns; /* 0: the default */
        int64_t retries; /* 0: the default */
        HealthOnFailure on_failure;
} Healthcheck;

void healthcheck_done(Healthcheck *h);

/* True when there is a check to run (a Test other than NONE). */
bool healthcheck_enabled(const Healthcheck *h);

/* The fields with the defaults applied. */
int64_t healthcheck_interval_ns(const Healthcheck *h);
int64_t healthcheck_timeout_ns(const Healthcheck *h);
int64_t healthcheck_retries(const Healthcheck *h);

/* The command line the check runs: CMD-SHELL's through /bin/sh -c, CMD's as it is. NULL on OOM or when
 * disabled. */
char **healthcheck_argv(const Healthcheck *h);

/* Docker's Healthcheck object ({"Test": [...], "Interval": ns, ...}); NULL on OOM. on_failure is not in it
 * (it is Config.HealthcheckOnFailureAction). */
struct json_object *healthcheck_to_json(const Healthcheck *h);

/* Parses a Healthcheck object (container config, or an untrusted image config) into h, which it
 * overwrites (on_failure untouched). -EBADMSG with a static reason for a malformed one. */
int healthcheck_from_json(struct json_object *o, Healthcheck *h, const char **reterr_reason);

typedef enum HealthStatus {
        HEALTH_STARTING,
        HEALTH_HEALTHY,
        HEALTH_UNHEALTHY,
        _HEALTH_STATUS_MAX,
        _HEALTH_STATUS_INVALID = -EINVAL,
} HealthStatus;

const char *health_status_to_string(HealthStatus s);
HealthStatus health_status_from_string(const char *s);

typedef struct HealthResult {
        char *start, *end; /* RFC 3339 */
        int64_t exit_code; /* -1: timed out or could not run */
        char *output; /* at most HEALTH_OUTPUT_MAX bytes */
} HealthResult;

void health_result_done(HealthResult *r);

/* ROOT/containers/NAME/health.json: the checks of one run of the container (started_at names it; a check
 * of another run, or none yet, means "starting"). */
typedef struct HealthState {
        HealthStatus status;
        int64_t failing_streak;
        char *started_at; /* the container's State.StartedAt these results belong to */
        HealthResult log[HEALTH_LOG_MAX]; /* oldest first */
        size_t n_log;
} HealthState;

void health_state_done(HealthState *s);

/* Loads the results for the container run that started at started_at; results of another run (or none)
 * give a fresh "starting" state for it. */
int health_state_load(int root_fd, const char *name, const char *started_at, HealthState *ret);
int health_state_save(int root_fd, const char *name, const HealthState *s);

/* Adds result r (taken over) to s by Docker's rules: a success makes the container healthy; a failure
 * outside the start period adds to the failing streak, and retries failures in a row make it unhealthy;
 * in the start period a failure only counts once the container was healthy. Returns true when the status
 * just became unhealthy. */
bool health_state_record(HealthState *s, const Healthcheck *h, bool in_start_period, HealthResult *r);

/* Docker's State.Health: {"Status", "FailingStreak", "Log": [{"Start", "End", "ExitCode", "Output"}]};
 * NULL on OOM. */
struct json_object *health_state_to_json(const HealthState *s);
