/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>

#include "container.h"

/* The confinement and resource options of `berth run` and `berth create` (--cap-add, --security-opt,
 * --memory, ...): their getopt entries, parsing, help text, and what they put into the container. */

enum {
        ARG_CONFINE_FIRST = 0x200,
        ARG_CAP_ADD = ARG_CONFINE_FIRST,
        ARG_CAP_DROP,
        ARG_PRIVILEGED,
        ARG_SECURITY_OPT,
        ARG_READ_ONLY,
        ARG_TMPFS,
        ARG_DEVICE,
        ARG_ULIMIT,
        ARG_SYSCTL,
        ARG_SHM_SIZE,
        ARG_MEMORY, /* also -m */
        ARG_MEMORY_SWAP,
        ARG_CPUS,
        ARG_CPU_SHARES, /* also -c */
        ARG_CPUSET_CPUS,
        ARG_PIDS_LIMIT,
        ARG_BLKIO_WEIGHT,
        ARG_USERNS,
        _ARG_CONFINE_LAST,
};

#define CONFINE_OPTIONS                                                                                     \
        { "cap-add", required_argument, NULL, ARG_CAP_ADD },                                                \
                { "cap-drop", required_argument, NULL, ARG_CAP_DROP },                                      \
                { "privileged", no_argument, NULL, ARG_PRIVILEGED },                                        \
                { "security-opt", required_argument, NULL, ARG_SECURITY_OPT },                              \
                { "read-only", no_argument, NULL, ARG_READ_ONLY },                                          \
                { "tmpfs", required_argument, NULL, ARG_TMPFS },                                            \
                { "device", required_argument, NULL, ARG_DEVICE },                                          \
                { "ulimit", required_argument, NULL, ARG_ULIMIT },                                          \
                { "sysctl", required_argument, NULL, ARG_SYSCTL },                                          \
                { "shm-size", required_argument, NULL, ARG_SHM_SIZE },                                      \
                { "memory", required_argument, NULL, ARG_MEMORY },                                          \
                { "memory-swap", required_argument, NULL, ARG_MEMORY_SWAP },                                \
                { "cpus", required_argument, NULL, ARG_CPUS },                                              \
                { "cpu-shares", required_argument, NULL, ARG_CPU_SHARES },                                  \
                { "cpuset-cpus", required_argument, NULL, ARG_CPUSET_CPUS },                                \
                { "pids-limit", required_argument, NULL, ARG_PIDS_LIMIT },                                  \
                { "userns", required_argument, NULL, ARG_USERNS }, {                                        \
                "blkio-weight", required_argument, NULL, ARG_BLKIO_WEIGHT                                   \
        }

/* Handles option c (one of the above, 'm' or 'c'). Returns 0, or a negative exit code after logging.
 * --tmpfs is not handled here (it is a mount). */
int confine_parse_option(const char *verb, int c, const char *arg);

/* Checks the options against each other and the network mode (net.* sysctls need a network namespace of
 * the container's own). Returns 0 or a negative exit code after logging. */
int confine_check(const char *verb, NetworkMode network);

/* Moves the parsed options into c. */
int confine_apply(Container *c);

/* --userns=auto: allocates the container's ID range under ROOT/userns.lock, which stays held (in
 * *ret_lock_fd) until the caller has saved the config. Returns 0 or a negative errno. */
int confine_userns_allocate(int root_fd, Container *c, int *ret_lock_fd);

/* Writes what the container needs beside its config (a custom seccomp profile) into its directory.
 * Returns 0 or a negative errno. */
int confine_write_files(int root_fd, const Container *c);

void confine_help(void);
void confine_args_free(void);

/* Resource options shared with `berth update`: parses a value of --memory, --memory-swap, --cpus,
 * --cpu-shares, --cpuset-cpus, --pids-limit or --blkio-weight into res. Returns 0 or a negative exit code
 * after logging. */
int resources_parse_option(const char *verb, int c, const char *arg, ContainerResources *res);

/* The checks of --memory-swap against --memory. Returns 0 or a negative exit code after logging. */
int resources_check(const char *verb, const ContainerResources *res);
