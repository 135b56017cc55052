/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "string-util.h"

static int bus_open_private(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_open_system(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        /* Talk to PID 1 directly over its private socket when we can (root only), as systemctl does: one hop
         * less than through dbus-daemon, and PID 1 sends its signals (JobRemoved, PropertiesChanged) to
         * direct connections unconditionally. */
        if (bus_open_private(&bus) >= 0) {
                *ret = TAKE_PTR(bus);
                return 0;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        /* On the shared bus PID 1 only emits signals while somebody is subscribed. */
        (void) sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, NULL);
        *ret = TAKE_PTR(bus);
        return 0;
}

const char *bus_connect_error_hint(void) {
        return "berth runs containers as systemd units, so the host must run systemd as PID 1 "
               "(check with: ps -p 1 -o comm=, which should print 'systemd') and berth must run as root";
}

/* Reads the properties of one interface with a single GetAll call and stores the ones UnitState has. */
static int read_all_properties(sd_bus *bus, const char *path, const char *iface, UnitState *s,
        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", path, "org.freedesktop.DBus.Properties",
                "GetAll", error, &reply, "s", iface);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                static const struct {
                        const char *name;
                        char type;
                        size_t offset, size;
                } props[] = {
#define P(n, t, f) { n, t, offsetof(UnitState, f), sizeof(((UnitState *) NULL)->f) }
                        P("ActiveState", 's', active_state),
                        P("SubState", 's', sub_state),
                        P("LoadState", 's', load_state),
                        P("NeedDaemonReload", 'b', need_daemon_reload),
                        P("MainPID", 'u', main_pid),
                        P("ExecMainCode", 'i', exec_main_code),
                        P("ExecMainStatus", 'i', exec_main_status),
                        P("NRestarts", 'u', n_restarts),
                        P("ExecMainStartTimestamp", 't', exec_main_start_usec),
                        P("ExecMainExitTimestamp", 't', exec_main_exit_usec),
                        P("InvocationID", 'y', invocation_id),
#undef P
                };
                const char *name, *contents;
                size_t i;
                char type;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                for (i = 0; i < ELEMENTSOF(props); i++)
                        if (streq(props[i].name, name))
                                break;
                r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r < 0)
                        return r;
                if (i == ELEMENTSOF(props) ||
                        !(props[i].type == 'y' ? streq(contents, "ay")
                                               : contents[0] == props[i].type && !contents[1])) {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                } else {
                        void *dst = (char *) s + props[i].offset;

                        r = sd_bus_message_enter_container(reply, 'v', contents);
                        if (r < 0)
                                return r;
                        if (props[i].type == 's') {
                                const char *v;
                                r = sd_bus_message_read(reply, "s", &v);
                                if (r >= 0)
                                        snprintf(dst, props[i].size, "%s", v);
                        } else if (props[i].type == 'b') {
                                int b;
                                r = sd_bus_message_read(reply, "b", &b);
                                if (r >= 0)
                                        *(bool *) dst = b;
                        } else if (props[i].type == 'y') {
                                const void *id;
                                size_t n = 0;
                                r = sd_bus_message_read_array(reply, 'y', &id, &n);
                                if (r >= 0 && n == 16)
                                        hexencode(id, 16, dst);
                        } else
                                r = sd_bus_message_read_basic(reply, props[i].type, dst);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int unit_state_at(sd_bus *bus, const char *path, UnitState *ret, sd_bus_error *error) {
        static const struct {
                const char *name;
                char type;
                size_t offset;
        } service_props[] = {
                { "MainPID", 'u', offsetof(UnitState, main_pid) },
                { "ExecMainCode", 'i', offsetof(UnitState, exec_main_code) },
                { "ExecMainStatus", 'i', offsetof(UnitState, exec_main_status) },
                { "NRestarts", 'u', offsetof(UnitState, n_restarts) },
                { "ExecMainStartTimestamp", 't', offsetof(UnitState, exec_main_start_usec) },
                { "ExecMainExitTimestamp", 't', offsetof(UnitState, exec_main_exit_usec) },
        };
        UnitState s = {};
        int r;

        /* Unit: one GetAll round trip. Service: single Gets, since its GetAll also reads every cgroup
         * attribute (memory, tasks, IO), which costs PID 1 milliseconds. */
        r = read_all_properties(bus, path, "org.freedesktop.systemd1.Unit", &s, error);
        if (r < 0)
                return r;
        /* only services have them (the path ends in the escaped ".service"); other units leave them 0 */
        if (streq(s.load_state, "loaded") && endswith(path, "_2eservice"))
                for (size_t i = 0; i < ELEMENTSOF(service_props); i++) {
                        r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                                "org.freedesktop.systemd1.Service", service_props[i].name, error,
                                service_props[i].type, (char *) &s + service_props[i].offset);
                        if (r < 0)
                                return r;
                }
        *ret = s;
        return 0;
}

int bus_get_unit_state(sd_bus *bus, const char *unit, UnitState *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "LoadUnit", error, &reply, "s", unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        return unit_state_at(bus, path, ret, error);
}

int bus_get_loaded_unit_state(sd_bus *bus, const char *unit, UnitState *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "GetUnit", &e, &reply, "s", unit);
        if (r < 0) {
                if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        *ret = (UnitState){};
                        return 0;
                }
                if (error)
                        sd_bus_error_move(error, &e);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = unit_state_at(bus, path, ret, error);
        return r < 0 ? r : 1;
}

int bus_get_unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret_pid, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        uint32_t pid = 0;
        int r;

        /* one Get on the unit's object: systemd loads an instance on first reference, and one that is not
         * running has MainPID 0 */
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                "org.freedesktop.systemd1.Service", "MainPID", error, 'u', &pid);
        if (r < 0)
                return r;
        *ret_pid = pid;
        return 0;
}

int bus_get_unit_active_state(sd_bus *bus, const char *unit, char ret[static 32], sd_bus_error *error) {
        _cleanup_free_ char *path = NULL, *state = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                "org.freedesktop.systemd1.Unit", "ActiveState", error, &state);
        if (r < 0)
                return r;
        snprintf(ret, 32, "%s", state);
        return 0;
}

const char *bus_error_message(const sd_bus_error *error, int r) {
        return error && error->message ? error->message : strerror(-ERRNO_VALUE(r));
}

bool unit_state_is_running(const UnitState *s) {
        return streq(s->active_state, "active") || streq(s->active_state, "reloading") ||
                streq(s->active_state, "deactivating") ||
                (streq(s->active_state, "activating") && s->main_pid > 0);
}

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"

struct BusJobWaiter {
        sd_bus *bus;
        sd_bus_slot *slot;
        char *job; /* object path of the job we wait for */
        char result[32]; /* its result, once JobRemoved named it */
        bool finished;
};

static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusJobWaiter *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        /* JobRemoved(u id, o job, s unit, s result) */
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0; /* not ours to fail on */
        if (!w->job || w->finished || !streq(path, w->job))
                return 0;
        snprintf(w->result, sizeof(w->result), "%s", result);
        w->finished = true;
        return 0;
}

int bus_job_waiter_new(sd_bus *bus, BusJobWaiter **ret) {
        BusJobWaiter *w;
        int r;

        w = calloc(1, sizeof(BusJobWaiter));
        if (!w)
                return -ENOMEM;
        w->bus = sd_bus_ref(bus);
        /* no sender filter: on a direct connection to PID 1 messages carry no sender */
        r = sd_bus_match_signal(bus, &w->slot, /* sender= */ NULL, SYSTEMD_PATH, MANAGER_IFACE, "JobRemoved",
                job_removed, w);
        if (r < 0) {
                bus_job_waiter_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

BusJobWaiter *bus_job_waiter_free(BusJobWaiter *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->slot);
        sd_bus_unref(w->bus);
        free(w->job);
        free(w);
        return NULL;
}

int bus_job_waiter_enqueue(BusJobWaiter *w, const char *method, const char *unit, const char *mode,
        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *job;
        int r;

        r = sd_bus_call_method(w->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, method, error, &reply,
                "ss", unit, mode);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        job = strdup(path);
        if (!job)
                return -ENOMEM;
        free(w->job);
        w->job = job;
        w->finished = false;
        w->result[0] = 0;
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int bus_job_waiter_wait(BusJobWaiter *w, uint64_t timeout_usec, const char **ret_result) {
        uint64_t deadline = timeout_usec == UINT64_MAX ? UINT64_MAX : now_usec() + timeout_usec;
        int r;

        if (!w->job)
                return -EINVAL;
        for (;;) {
                uint64_t n;

                if (w->finished) {
                        if (ret_result)
                                *ret_result = w->result;
                        return 0;
                }
                r = sd_bus_process(w->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                n = now_usec();
                if (n >= deadline)
                        return -ETIMEDOUT;
                r = sd_bus_wait(w->bus, deadline == UINT64_MAX ? UINT64_MAX : deadline - n);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

int bus_unit_job_run(sd_bus *bus, const char *method, const char *unit, const char *mode, char **ret_result,
        sd_bus_error *error) {
        _cleanup_(bus_job_waiter_freep) BusJobWaiter *w = NULL;
        const char *result;
        int r;

        r = bus_job_waiter_new(bus, &w);
        if (r < 0)
                return r;
        r = bus_job_waiter_enqueue(w, method, unit, mode, error);
        if (r < 0)
                return r;
        r = bus_job_waiter_wait(w, UINT64_MAX, &result);
        if (r < 0)
                return r;
        if (ret_result) {
                *ret_result = strdup(result);
                if (!*ret_result)
                        return -ENOMEM;
        }
        return 0;
}

int bus_kill_unit(sd_bus *bus, const char *unit, const char *whom, int signo, sd_bus_error *error) {
        return sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "KillUnit", error, NULL,
                "ssi", unit, whom, (int32_t) signo);
}

int bus_reset_failed_unit(sd_bus *bus, const char *unit, sd_bus_error *error) {
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit", error,
                NULL, "s", unit);
        if (r < 0 && error && sd_bus_error_has_name(error, "org.freedesktop.systemd1.NoSuchUnit")) {
                sd_bus_error_free(error);
                return 0;
        }
        return r < 0 ? r : 0;
}

int bus_reload_manager(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Reload");
        if (r < 0)
                return r;
        /* systemd answers once the reload is done, which can take a while on a busy machine */
        return sd_bus_call(bus, m, 120u * 1000000u, error, NULL);
}

int bus_ping_manager(sd_bus *bus, sd_bus_error *error) {
        _cleanup_free_ char *v = NULL;

        return sd_bus_get_property_string(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Version", error,
                &v);
}
