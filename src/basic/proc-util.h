/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Parsers for /proc/PID files, pure so they can be tested on their own (berth-exec uses them). */

/* Splits one line of /proc/PID/cgroup ("ID:CONTROLLERS:PATH") in place. *ret_dir is the directory below
 * /sys/fs/cgroup where systemd mounts that hierarchy ("systemd" for name=systemd, "cpu,cpuacct" for
 * controllers), or NULL for the cgroup2 hierarchy (ID 0, no controllers), whose place depends on the
 * layout (/sys/fs/cgroup when unified, /sys/fs/cgroup/unified when hybrid). -EBADMSG if malformed. */
int proc_cgroup_line_split(char *line, const char **ret_dir, const char **ret_path);

/* True if a cgroup path is the cgroup of unit ("berth@web.service") or one below it. */
bool cgroup_path_in_unit(const char *path, const char *unit);

/* The last PID of the "NSpid:" line of /proc/PID/status: the process's PID in its own PID namespace (1 for
 * a container's init). -ENODATA without such a line, -EBADMSG if it is malformed. */
int proc_status_nspid(const char *status, pid_t *ret);
