/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container-status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "container-util.h"
#include "string-util.h"
#include "time-util.h"

long long rfc3339_to_seconds(const char *s) {
        struct tm tm = {};

        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (long long) timegm(&tm);
}

int container_info_load(sd_bus *bus, int root_fd, const char *name, ContainerInfo *ret) {
        _cleanup_free_ char *unit = NULL;
        ContainerInfo i = {};
        int r;

        r = container_load(root_fd, name, &i.container);
        if (r < 0)
                return r;
        r = container_state_load(root_fd, name, &i.state);
        if (r < 0) {
                container_free(i.container);
                return r;
        }
        unit = container_unit_name(name);
        if (!unit) {
                container_info_done(&i);
                return -ENOMEM;
        }
        if (bus) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                r = bus_get_unit_state(bus, unit, &i.unit, &error);
                if (r < 0) {
                        container_info_done(&i);
                        return r;
                }
        }

        if (healthcheck_enabled(&i.container->healthcheck)) {
                r = health_state_load(root_fd, name, i.state.started_at, &i.health);
                if (r < 0) {
                        container_info_done(&i);
                        return r;
                }
                i.has_health = true;
        }

        i.restarting = streq(i.unit.sub_state, "auto-restart") ||
                (streq(i.unit.active_state, "activating") && i.unit.main_pid == 0 && i.unit.n_restarts > 0);
        i.running = !i.restarting && unit_state_is_running(&i.unit);
        if (i.restarting)
                i.status = "restarting";
        else if (i.running)
                i.status = "running";
        else if (i.state.started_at || i.state.finished_at)
                i.status = "exited";
        else
                i.status = "created";
        if (streq(i.status, "exited") && !container_state_end_recorded(&i.state) &&
                i.unit.exec_main_exit_usec > 0) {
                /* Nobody recorded how the last run ended, but systemd still knows: a `run --rm` whose client
                 * was killed, or a poststop that did not finish (killed at its timeout on a loaded host). */
                char t[64];

                format_rfc3339_nano(i.unit.exec_main_exit_usec, t, sizeof(t));
                free(i.state.finished_at);
                i.state.finished_at = strdup(t);
                i.state.exit_code = unit_exit_code(&i.unit);
        }
        *ret = i;
        return 0;
}

void container_info_done(ContainerInfo *i) {
        container_free(i->container);
        container_state_done(&i->state);
        health_state_done(&i->health);
        *i = (ContainerInfo){};
}

const char *container_info_health(const ContainerInfo *i) {
        return i->has_health ? health_status_to_string(i->health.status) : "none";
}

void container_info_status_text(const ContainerInfo *i, char *buf, size_t size) {
        long long now = (long long) time(NULL), t;
        char d[64];

        if (i->running) {
                t = i->unit.exec_main_start_usec > 0 ? (long long) (i->unit.exec_main_start_usec / 1000000)
                                                     : rfc3339_to_seconds(i->state.started_at);
                format_duration_docker(d, sizeof(d), now - t);
                snprintf(buf, size, "Up %s%s%s%s", d, i->has_health ? " (" : "",
                        !i->has_health ? ""
                                : i->health.status == HEALTH_STARTING
                                ? "health: starting"
                                : health_status_to_string(i->health.status),
                        i->has_health ? ")" : "");
        } else if (i->restarting) {
                format_relative_docker(d, sizeof(d), now - rfc3339_to_seconds(i->state.finished_at));
                snprintf(buf, size, "Restarting (%lld) %s", (long long) i->state.exit_code, d);
        } else if (streq(i->status, "exited") && !i->state.finished_at)
                snprintf(buf, size, "Exited (%lld)", (long long) i->state.exit_code);
        else if (streq(i->status, "exited")) {
                format_relative_docker(d, sizeof(d), now - rfc3339_to_seconds(i->state.finished_at));
                snprintf(buf, size, "Exited (%lld) %s", (long long) i->state.exit_code, d);
        } else
                snprintf(buf, size, "Created");
}
