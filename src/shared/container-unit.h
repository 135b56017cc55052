/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "container.h"

/* "berth@NAME.service" */
char *container_unit_name(const char *name);

/* Per-container systemd settings live in a drop-in for the template instance,
 * UNIT_DIR/berth@NAME.service.d/10-berth.conf: named to sort before the drop-ins systemd writes for
 * SetUnitProperties (`berth update`: 50-MemoryMax.conf, ...) and before an administrator's override.conf,
 * since drop-ins apply in file name order whatever their directory. It is written before the instance is
 * first loaded, so systemd reads it when the unit is loaded on demand and no daemon-reload is needed (see
 * ARCHITECTURE.md). */

/* A container's resource limits as the unit's cgroup properties; UINT64_MAX is "infinity" (limits) or
 * "not set" (weights). allowed_cpus points into r ("" when not set). TasksMax= is only written when
 * tasks_max_set: otherwise systemd's DefaultTasksMax= applies. */
typedef struct ResourceProperties {
        uint64_t memory_max, memory_swap_max, cpu_quota_per_sec_usec, cpu_weight, tasks_max, io_weight;
        bool tasks_max_set;
        const char *allowed_cpus;
} ResourceProperties;
int container_resources_to_properties(const ContainerResources *r, ResourceProperties *ret);

/* Writes the unit file lines for r (MemoryMax=, MemorySwapMax=, CPUQuota=, CPUWeight=, AllowedCPUs=,
 * TasksMax=, IOWeight=) to f. */
void container_resources_render(const ContainerResources *r, FILE *f);

/* The drop-in's text: restart policy, stop signal/timeout, journal fields (CONTAINER_NAME, CONTAINER_ID,
 * CONTAINER_ID_FULL, IMAGE_NAME, SYSLOG_IDENTIFIER = short ID, as Docker's journald driver), and
 * BERTH_ROOT when root is not the default state directory (root may be NULL). */
int container_dropin_render(const Container *c, const char *root, char **ret);
int container_dropin_write(const char *unit_dir, const Container *c, const char *root);

/* Adds or removes UNIT_DIR/multi-user.target.wants/berth@NAME.service (what `systemctl enable` does for a
 * template instance), so the container starts at boot. */
int container_set_enabled(const char *unit_dir, const char *name, bool enabled);
bool container_is_enabled(const char *unit_dir, const char *name);

/* Published ports: one socket unit per port, UNIT_DIR/berth-port-NAME@HOSTPORT[-udp].socket (ListenStream=
 * or ListenDatagram= on the host address), activating UNIT_DIR/berth-port-NAME@HOSTPORT[-udp].service,
 * which runs berth-proxy for the container port. The socket is BindsTo= the container (listens while it
 * runs), or, for --on-demand containers, independent of it and enabled at boot
 * (UNIT_DIR/sockets.target.wants/), so a client starts a stopped container. Written before the container is
 * first loaded, like the drop-in (whose Wants= pulls them in), so no daemon-reload is needed. Container
 * names contain no '@', so the prefix "berth-port-NAME@" names exactly one container's units. */
char *container_port_unit_name(const char *name, const PortBinding *b, const char *suffix);
int container_port_units_render(const Container *c, const PortBinding *b, char **ret_socket,
        char **ret_service);
int container_port_units_write(const char *unit_dir, const Container *c);
/* Removes every berth-port-NAME@*.socket/.service in unit_dir and the boot links of the sockets; missing
 * ones are fine. */
int container_port_units_remove(const char *unit_dir, const char *name);

/* Health checks: UNIT_DIR/berth-health@NAME.timer, bound to the container (the drop-in Wants= it), fires
 * every interval and starts UNIT_DIR/berth-health@NAME.service, a oneshot `berth healthcheck run
 * --from-timer NAME`. Only for containers with a health check; BERTH_ROOT as for the drop-in. */
char *container_health_unit_name(const char *name, const char *suffix);
int container_health_units_render(const Container *c, const char *root, char **ret_timer,
        char **ret_service);
int container_health_units_write(const char *unit_dir, const Container *c, const char *root);
/* Removes both (missing ones are fine). */
int container_health_units_remove(const char *unit_dir, const char *name);

/* Up to max container names whose drop-in directory in unit_dir is there but empty (left by the `rm` of a
 * container with a generated name) and that no container in the store root_fd has: a new container that
 * takes one adds no directory to unit_dir. The caller still has to claim the name. Returns how many, with
 * the list in *ret (NULL for none). */
int container_name_reusable(int root_fd, const char *unit_dir, size_t max, char ***ret);

/* Deletes everything berth keeps for a stopped container: ROOT/containers/NAME (upper layer included), the
 * drop-in, the port units and the enablement link. Nothing is mounted on the host for a container, so this never needs an
 * unmount. The config is unpublished first (renamed into tmp/) so a crash midway never leaves a half
 * container that `berth ps` would list. A container whose name was generated keeps its drop-in directory,
 * emptied (see container_name_reusable()). C is the container's config when the caller has
 * it; NULL reads it. */
int container_files_remove(int root_fd, const char *unit_dir, const char *name, const Container *c);
