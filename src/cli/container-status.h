/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "container.h"

/* A container as `ps` and `inspect` show it: its config, what it recorded (state.json), and what systemd
 * says about its unit right now. systemd is the truth for "running"; state.json for how it last ended. */
typedef struct ContainerInfo {
        Container *container;
        ContainerState state;
        UnitState unit;
        const char *status; /* Docker's State.Status: created, running, restarting, exited */
        bool running;
        bool restarting;
        bool has_health; /* the container has a health check: health is its record for this run */
        HealthState health;
} ContainerInfo;

int container_info_load(sd_bus *bus, int root_fd, const char *name, ContainerInfo *ret);
void container_info_done(ContainerInfo *i);

/* Docker's health filter value: starting, healthy, unhealthy, or none (no health check). */
const char *container_info_health(const ContainerInfo *i);

/* Docker's STATUS column: "Up 5 minutes (healthy)", "Exited (0) 2 minutes ago", "Created", "Restarting (1) …". */
void container_info_status_text(const ContainerInfo *i, char *buf, size_t size);

/* Seconds since the epoch of an RFC 3339 timestamp ("2026-11-28T01:52:04.123456789Z"), 0 if unparsable. */
long long rfc3339_to_seconds(const char *s);
