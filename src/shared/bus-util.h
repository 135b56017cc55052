/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "macro.h"

/* sd-bus.h provides sd_bus_flush_close_unrefp and sd_bus_message_unrefp for _cleanup_(); an sd_bus_error
 * is released with _cleanup_(sd_bus_error_free). */

/* Connects to the system manager. Fails with a negative errno; bus_connect_error_hint() explains the
 * common cause (PID 1 is not systemd) in words for the user. */
int bus_open_system(sd_bus **ret);
const char *bus_connect_error_hint(void);

typedef struct UnitState {
        char active_state[32]; /* active, activating, deactivating, inactive, failed, reloading */
        char sub_state[32]; /* running, exited, dead, failed, auto-restart, start, stop-sigterm, ... */
        char load_state[32]; /* loaded, not-found, ... */
        uint32_t main_pid;
        int32_t exec_main_code; /* CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0 if never ran */
        int32_t exec_main_status; /* exit status or signal number */
        uint32_t n_restarts;
        uint64_t exec_main_start_usec; /* CLOCK_REALTIME µs, 0 if never started */
        uint64_t exec_main_exit_usec;
        bool need_daemon_reload;
        char invocation_id[33]; /* hex, "" if none */
} UnitState;

/* Reads the state of a unit, loading it if needed (loading an unknown instance of a template is cheap and
 * does not need a daemon-reload). */
int bus_get_unit_state(sd_bus *bus, const char *unit, UnitState *ret, sd_bus_error *error);

/* The same, but only if systemd has the unit loaded: returns 0 with an all-empty state (ActiveState "")
 * when it has not, without loading it (loading a unit that is then not used costs PID 1 a parse and a
 * garbage collection); 1 when it is loaded. */
int bus_get_loaded_unit_state(sd_bus *bus, const char *unit, UnitState *ret, sd_bus_error *error);

/* True while the unit's process is alive: active/reloading/deactivating, or activating after start. */
/* What to tell the user about a failed call: systemd's message, else the errno's. */
const char *bus_error_message(const sd_bus_error *error, int r);

bool unit_state_is_running(const UnitState *s);

/* The main PID of a unit in one round trip, 0 when it runs nothing: what `berth exec` needs (berth-exec
 * then checks that the PID still is the unit's container init), without the rest of
 * bus_get_unit_state(). */
int bus_get_unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret_pid, sd_bus_error *error);
/* The unit's ActiveState in one Get ("inactive" for a unit systemd has not loaded). */
int bus_get_unit_active_state(sd_bus *bus, const char *unit, char ret[static 32], sd_bus_error *error);

/* Jobs: a BusJobWaiter watches the manager's JobRemoved signal, so a job queued through it can be waited
 * for. Create it before queueing the job; signals that arrive while the method call is in flight are kept
 * in the bus's queue and seen by bus_job_waiter_wait(). */
typedef struct BusJobWaiter BusJobWaiter;

int bus_job_waiter_new(sd_bus *bus, BusJobWaiter **ret);
BusJobWaiter *bus_job_waiter_free(BusJobWaiter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusJobWaiter *, bus_job_waiter_free);

/* Calls Manager.METHOD(unit, mode), METHOD being StartUnit, StopUnit or RestartUnit, and remembers the
 * job it returns for bus_job_waiter_wait(). */
int bus_job_waiter_enqueue(BusJobWaiter *w, const char *method, const char *unit, const char *mode,
        sd_bus_error *error);

/* Waits at most timeout_usec (UINT64_MAX: for ever) for the job to finish. Returns 0 and its result ("done",
 * "failed", "canceled", "timeout", "dependency", "skipped"; valid until the next enqueue) or -ETIMEDOUT. */
int bus_job_waiter_wait(BusJobWaiter *w, uint64_t timeout_usec, const char **ret_result);

/* Enqueue + wait, for callers that need nothing in between. */
int bus_unit_job_run(sd_bus *bus, const char *method, const char *unit, const char *mode, char **ret_result,
        sd_bus_error *error);

/* Manager.KillUnit(unit, whom = "main" | "control" | "all", signo). */
int bus_kill_unit(sd_bus *bus, const char *unit, const char *whom, int signo, sd_bus_error *error);

/* Manager.ResetFailedUnit(unit); a unit that is not loaded is not an error. */
int bus_reset_failed_unit(sd_bus *bus, const char *unit, sd_bus_error *error);

/* Manager.Reload (daemon-reload); returns once systemd has finished reloading. */
int bus_reload_manager(sd_bus *bus, sd_bus_error *error);

/* A cheap call (Manager's Version property) that tells whether systemd answers on this bus. */
int bus_ping_manager(sd_bus *bus, sd_bus_error *error);
