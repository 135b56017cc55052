/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "container-unit.h"
#include "container.h"

/* Helpers shared by the container verbs (create.c, lifecycle.c). The first group is pure (no I/O except
 * getenv() for bare environment keys and the current directory passed in) and unit-tested by
 * tests/unit/test-cli-run-args.c; the second talks to systemd and reads the container's state. */

/* -e KEY=VAL | KEY. A bare KEY takes the caller's value if set; when it is not set, *ret is NULL (the
 * variable is dropped, as Docker does). -EINVAL for an empty name ("=x", "") or a name with blanks. */
int env_arg_parse(const char *arg, char **ret);

/* Docker's --env-file format: KEY=VAL lines taken literally, bare KEY lines (as env_arg_parse()), blank
 * lines and lines starting with '#' (after leading blanks) ignored. On error returns -EINVAL with the
 * 1-based line number and a static reason. */
int env_file_parse(const char *text, size_t size, char ***ret, unsigned *reterr_line,
        const char **reterr_reason);

/* Sets KEY=VAL in *env, replacing an existing entry for KEY in place or appending. */
int env_merge(char ***env, const char *kv);

/* Makes p absolute against cwd (if relative) and removes ".", ".." and duplicate slashes lexically, like
 * Go's filepath.Abs. NULL on OOM. */
char *path_absolute_clean(const char *p, const char *cwd);

/* Frees what a ContainerMount holds. */
void container_mount_done(ContainerMount *m);

/* -v SRC:DST[:OPTS] (OPTS: ro, rw, z, Z, comma-separated) for bind mounts. SRC must be absolute or start
 * with "./" or "../" ("." and ".." too) and is made absolute against cwd. A named or anonymous volume
 * returns -EOPNOTSUPP. Does not look at the file system. */
int volume_spec_parse(const char *spec, const char *cwd, ContainerMount *ret, const char **reterr_reason);

/* --mount type=bind,source=…,target=…[,readonly] or type=tmpfs,target=…[,tmpfs-size=…][,tmpfs-mode=…]
 * (aliases: src, dst, destination, ro). type=volume returns -EOPNOTSUPP. */
int mount_spec_parse(const char *spec, const char *cwd, ContainerMount *ret, const char **reterr_reason);

/* Docker's RAMInBytes: 64m, 1g, 512k, 1024b, plain bytes (1024-based). */
int size_spec_parse(const char *s, unsigned long long *ret);

/* --tmpfs PATH[:OPTIONS], OPTIONS being mount(8)-style tmpfs options (size=64m,mode=1777,noexec, ...). */
int tmpfs_spec_parse(const char *spec, ContainerMount *ret, const char **reterr_reason);

/* --ulimit NAME=SOFT[:HARD] ("unlimited" or -1 for no limit); HARD defaults to SOFT. */
int ulimit_spec_parse(const char *spec, ContainerUlimit *ret, const char **reterr_reason);

/* --device HOST[:CONTAINER][:PERMS]; CONTAINER defaults to HOST and must be below /dev, PERMS to "rwm".
 * Does not look at the file system. */
int device_spec_parse(const char *spec, ContainerDevice *ret, const char **reterr_reason);

/* --sysctl NAME=VALUE for namespaced sysctls only (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*,
 * and net.* unless host_network). NAME may use '/' for '.'. Returns "name.with.dots=VALUE". */
int sysctl_spec_parse(const char *spec, bool host_network, char **ret, const char **reterr_reason);

/* --cpus 1.5 → 1500000000 nano-CPUs; -EINVAL for zero, negative or malformed numbers. */
int cpus_spec_parse(const char *s, int64_t *ret_nano);

/* At most this many ports per -p range and per container (each is a socket unit and a proxy unit). */
#define PUBLISH_PORTS_MAX 1024

/* -p/--publish in Docker's forms: CPORT, HPORT:CPORT, IP:HPORT:CPORT, IP::CPORT, [IPV6]:HPORT:CPORT, each
 * with an optional /tcp or /udp, ports or equal-length ranges (8000-8010:80-90). A missing or 0 host port
 * is host_port 0 (`berth create` picks a free one). Returns the bindings in order; -EINVAL with a static
 * reason for anything else. */
int publish_spec_parse(const char *spec, PortBinding **ret, size_t *ret_n, const char **reterr_reason);

/* Docker's PORTS column: "0.0.0.0:8080->80/tcp, [::1]:9000->90/tcp". NULL on OOM. */
char *port_bindings_format(const PortBinding *p, size_t n);

/* --restart no|always|on-failure[:N]|unless-stopped */
int restart_spec_parse(const char *s, RestartPolicy *ret, int64_t *ret_max, const char **reterr_reason);

/* A signal given as "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3": returns the number, or -EINVAL. */
int signal_from_string(const char *s);
/* "SIGTERM", "SIGRTMIN+3"; NULL for an invalid number. */
char *signal_to_name(int sig);
/* signal_from_string() + signal_to_name(): the canonical "SIGTERM" form. */
int signal_normalize(const char *s, char **ret);

/* Docker's Entrypoint/Cmd rules. entrypoint_flag: NULL when --entrypoint was not given, "" to reset it.
 * Setting --entrypoint drops the image's Cmd. args: the COMMAND [ARG...] after the image (may be NULL).
 * Returns the Entrypoint and Cmd the container uses (NULL when none) and their concatenation as argv;
 * -ENOEXEC when there is no command at all. */
int command_resolve(char *const *image_entrypoint, char *const *image_cmd, const char *entrypoint_flag,
        char *const *args, char ***ret_entrypoint, char ***ret_cmd, char ***ret_argv);

/* "adjective_noun" from a random number; attempt > 0 appends a digit, as Docker does after collisions. */
char *container_name_generate(uint64_t rnd, unsigned attempt);

/* --- systemd and state ---------------------------------------------------------------------------------- */

/* Makes sure systemd uses the container's current drop-in, without a daemon-reload in the normal case: an
 * instance that is not loaded is read fresh on first reference. Only if a previous unit of that name is
 * still loaded (NeedDaemonReload) does it reset it (so it gets unloaded) and, if that is not enough,
 * reload the manager. ret_state (may be NULL) receives the unit's state afterwards. */
int container_unit_refresh(sd_bus *bus, const char *unit, UnitState *ret_state, sd_bus_error *error);

/* Resets a failed state, refreshes the unit and starts it, waiting for the start job. A start that ends
 * in systemd restarting the unit (auto-restart) counts as failed, and the unit is stopped again, as Docker
 * leaves a container that failed to start. Returns 0 when the job succeeded, 1 when it failed (the reason is in the
 * container's state.json), <0 on bus errors. */
int container_unit_start(sd_bus *bus, const char *unit, sd_bus_error *error);

/* Stops the unit and waits. timeout_sec >= 0 (from `stop -t`) sends SIGKILL to everything left after that
 * many seconds; < 0 leaves it to the unit's TimeoutStopSec=. force: SIGKILL right away (rm -f). */
int container_unit_stop(sd_bus *bus, const char *unit, int64_t timeout_sec, bool force, sd_bus_error *error);

/* container_unit_refresh() for the container's health check timer and service, if it has a check. */
int container_health_units_refresh(sd_bus *bus, const Container *c, sd_bus_error *error);
/* Lets systemd forget a failed health check run (a timed-out one) of a removed container. */
void container_health_units_reset_failed(sd_bus *bus, const char *name);

/* container_unit_refresh() for every socket and proxy unit of the container's published ports. */
int container_ports_refresh(sd_bus *bus, const Container *c, sd_bus_error *error);

/* Starts the socket units of the container's published ports (after the container, to which they are bound
 * unless it is --on-demand) and waits for them. Returns 0 when all listen, 1 with the name of the first that failed (its port is
 * taken, most likely), <0 on bus errors. */
int container_ports_start(sd_bus *bus, const Container *c, char **ret_failed_unit, sd_bus_error *error);

/* Stops the socket and proxy units of the container's published ports and waits (for --on-demand
 * containers, whose sockets listen while the container is stopped), best effort. */
void container_ports_stop(sd_bus *bus, const Container *c);

/* After the port units of an --on-demand container were stopped and their files removed: reloads systemd
 * if sockets.target still holds them (their boot links were read at boot or at the last reload), so they
 * get unloaded. */
int container_ports_forget(sd_bus *bus, const Container *c, sd_bus_error *error);

/* ResetFailedUnit on the port units, so systemd unloads them (before `rm` deletes their files). */
void container_ports_reset_failed(sd_bus *bus, const Container *c);

/* Why the last start of a container failed, from its state.json: "exec 'x': No such file or directory"
 * and Docker's exit code (125, 126, 127). Returns 0 with *ret_msg NULL if state.json names no error. */
int container_start_error(int root_fd, const char *name, char **ret_msg, int *ret_exit_code);

/* The container's exit code: state.json's ExitCode once FinishedAt is set, else systemd's view of the
 * main process (status, or 128+signal). */
int container_exit_code(int root_fd, const char *name, const UnitState *unit);
/* Docker's exit code for how the unit's main process ended: its status, 128+signal, 0 if it has not. */
int unit_exit_code(const UnitState *unit);

/* Sleeps for usec (a poll helper that never busy-loops); returns -EINTR if a signal arrived. */
int sleep_usec(uint64_t usec);
