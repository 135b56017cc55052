/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confine.h"
#include "macro.h"

/* The container's PID 1 between clone() and execve(). The parent prepares everything that needs memory in a
 * ChildSpec; the child only makes system calls. When a step fails, the child writes one ChildRecord to the
 * CLOEXEC error pipe and _exit()s; a successful execve() closes the pipe with nothing written. */

typedef enum ChildStage {
        CHILD_STAGE_SESSION,
        CHILD_STAGE_MOUNT_PRIVATE,
        CHILD_STAGE_STORE,
        CHILD_STAGE_LOWER, /* index: ChildSpec.lower_dirs[] */
        CHILD_STAGE_OVERLAY,
        CHILD_STAGE_ROOTFS,
        CHILD_STAGE_MOUNT, /* index: ChildSpec.mounts[] */
        CHILD_STAGE_MOUNT_READ_ONLY,
        CHILD_STAGE_DEV_NODE,
        CHILD_STAGE_DEV_SYMLINK,
        CHILD_STAGE_DEVICE, /* index: ChildSpec.devices[] */
        CHILD_STAGE_PIVOT_ROOT,
        CHILD_STAGE_HOSTNAME,
        CHILD_STAGE_LOOPBACK,
        CHILD_STAGE_SYSCTL, /* index: ChildSpec.sysctls[] */
        CHILD_STAGE_MASK_PATH, /* index: ChildSpec.masked_paths[] */
        CHILD_STAGE_READ_ONLY_PATH, /* index: ChildSpec.read_only_paths[] */
        CHILD_STAGE_WORKDIR,
        CHILD_STAGE_READ_ONLY_ROOT,
        CHILD_STAGE_RLIMIT, /* index: ChildSpec.rlimits[] */
        CHILD_STAGE_PASSWD,
        CHILD_STAGE_USER_NOT_FOUND,
        CHILD_STAGE_GROUP_NOT_FOUND,
        CHILD_STAGE_USER_SPEC,
        CHILD_STAGE_USERNS,
        CHILD_STAGE_STDIO,
        CHILD_STAGE_TTY,
        CHILD_STAGE_NO_NEW_PRIVS,
        CHILD_STAGE_SECCOMP,
        CHILD_STAGE_CAPS,
        CHILD_STAGE_SETGROUPS,
        CHILD_STAGE_SETGID,
        CHILD_STAGE_SETUID,
        CHILD_STAGE_STDERR,
        CHILD_STAGE_EXEC,
        CHILD_STAGE_READY, /* not a failure: set up, waiting for the parent's go before execve() */
        _CHILD_STAGE_MAX,
        _CHILD_STAGE_INVALID = -EINVAL,
} ChildStage;

typedef struct ChildRecord {
        int32_t stage;
        int32_t error; /* positive errno */
        int32_t index;
} ChildRecord;

typedef enum ChildMountKind {
        CHILD_MOUNT_FS, /* a new file system: fstype, source, flags, data */
        CHILD_MOUNT_BIND, /* bind of a host path (source) */
} ChildMountKind;

typedef struct ChildMount {
        ChildMountKind kind;
        const char *source; /* host path for binds (relative ones are below the store root) */
        const char *target; /* path inside the container */
        const char *fstype;
        unsigned long flags;
        const char *data;
        bool file; /* the target is a regular file (created empty if missing), else a directory */
        bool read_only; /* binds: remount read-only afterwards */
        bool optional; /* failure is tolerated (e.g. mqueue where the kernel lacks it) */
} ChildMount;

typedef struct ChildDevice {
        const char *source; /* the host's node, bound if mknod is refused */
        const char *target; /* below /dev in the container */
        unsigned mode; /* S_IFCHR or S_IFBLK | permissions */
        unsigned long long dev;
} ChildDevice;

typedef struct ChildSpec {
        const char *store; /* the store root, ROOT: a path, since an fd opened before clone() would point
                              * into the host's mount namespace, where overlayfs refuses its upperdir */
        const char *rootfs; /* "containers/NAME/rootfs", below ROOT */
        const char *overlay; /* overlay mount options with paths relative to ROOT */
        bool overlay_volatile; /* try "volatile" first: a --rm container's upper layer is never synced */
        const int *lower_fds; /* --userns=auto: idmapped clones of the layers (detached mounts) ... */
        char *const *lower_dirs; /* ... attached here (relative to ROOT) before the overlay is mounted */
        size_t n_lower;
        bool new_netns;
        bool sysfs_bind; /* host net: bind the host's /sys if a fresh sysfs is refused */
        const ChildMount *mounts;
        size_t n_mounts;
        const char *hostname;
        const char *working_dir;
        const char *user;
        const char *exec_path; /* argv[0] is searched in the container's PATH unless it has a '/' */
        char *const *argv;
        char **env; /* has a spare NULL slot at the end for HOME= */
        bool env_has_home;
        const ChildDevice *devices;
        size_t n_devices;
        char *const *sysctls; /* "/proc/sys/net/ipv4/ip_forward=1" */
        const char *const *masked_paths; /* NULL-terminated; NULL with --privileged */
        const char *const *read_only_paths;
        bool read_only_root;
        Confinement confine; /* rlimits, no_new_privs, seccomp, capabilities */
        int stdio_fds[3]; /* -i: stdin, stdout, stderr from `berth run` (-EBADF: the unit's own) */
        int tty_sock; /* -t: where to send the pty master (-EBADF: no pty) */
        unsigned short tty_rows, tty_cols;
        uint32_t tty_uid_shift; /* --userns=auto: the host ID of the container's root, for the pty's owner */
        const char *journal_identifier; /* stderr stream; NULL keeps stderr */
        const char *unit; /* "berth@NAME.service", for the stream */
        int error_fd;
        int go_fd; /* the parent writes one byte once systemd knows our PID; then we execve() */
} ChildSpec;

const char *child_stage_to_string(ChildStage s);

/* Runs in the cloned child; never returns. */
_noreturn_ void child_run(const ChildSpec *spec);
