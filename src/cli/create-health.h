/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>

#include "container.h"

struct json_object;

/* The health check options of `berth run` and `berth create` (--health-cmd, --health-interval, ...,
 * --no-healthcheck, --health-on-failure): their getopt entries, parsing, help text, and how they combine
 * with the image's HEALTHCHECK. */

enum {
        ARG_HEALTH_FIRST = 0x300,
        ARG_HEALTH_CMD = ARG_HEALTH_FIRST,
        ARG_HEALTH_INTERVAL,
        ARG_HEALTH_TIMEOUT,
        ARG_HEALTH_RETRIES,
        ARG_HEALTH_START_PERIOD,
        ARG_HEALTH_ON_FAILURE,
        ARG_NO_HEALTHCHECK,
        _ARG_HEALTH_LAST,
};

#define HEALTH_OPTIONS                                                                                      \
        { "health-cmd", required_argument, NULL, ARG_HEALTH_CMD },                                          \
                { "health-interval", required_argument, NULL, ARG_HEALTH_INTERVAL },                        \
                { "health-timeout", required_argument, NULL, ARG_HEALTH_TIMEOUT },                          \
                { "health-retries", required_argument, NULL, ARG_HEALTH_RETRIES },                          \
                { "health-start-period", required_argument, NULL, ARG_HEALTH_START_PERIOD },                \
                { "health-on-failure", required_argument, NULL, ARG_HEALTH_ON_FAILURE }, {                  \
                "no-healthcheck", no_argument, NULL, ARG_NO_HEALTHCHECK                                     \
        }

/* Handles option c (one of the above). Returns 0, or a negative exit code after logging. */
int health_parse_option(const char *verb, int c, const char *arg);

/* Checks the options against each other and --rm. Returns 0 or a negative exit code after logging. */
int health_check_args(const char *verb, bool auto_remove);

/* Sets c's health check from the image config's "config" object (image_cfg, may be NULL) and the options:
 * the image's HEALTHCHECK, each field replaced by the option given for it, as Docker merges them. Returns 0
 * or -ENOMEM. */
int health_apply(Container *c, struct json_object *image_cfg);

void health_help(void);
void health_args_free(void);
