/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "health.h"
#include "macro.h"

/* A container's persistent description, ROOT/containers/NAME/config.json, written by `berth create/run` and
 * read by berth-runtime. The JSON uses Docker's names where Docker has one (Config, HostConfig), so
 * `berth inspect` can show it almost as is. ROOT/containers/NAME/ also holds:
 *   state.json   what happened: written by berth-runtime at start (StartedAt, Pid) and by its ExecStopPost=
 *                hook at exit (FinishedAt, ExitCode); systemd is the truth for "is it running"
 *   upper/ work/ the overlay's writable layer and work dir
 *   rootfs/      an empty directory the overlay is mounted on, inside the container's mount namespace only
 *   hostname hosts resolv.conf   generated files bind-mounted into the container */

typedef enum MountType {
        MOUNT_BIND,
        MOUNT_TMPFS,
        _MOUNT_TYPE_MAX,
        _MOUNT_TYPE_INVALID = -EINVAL,
} MountType;

const char *mount_type_to_string(MountType t);
MountType mount_type_from_string(const char *s);

typedef struct ContainerMount {
        MountType type;
        char *source; /* absolute host path for binds; NULL for tmpfs */
        char *target; /* absolute path inside the container */
        bool read_only;
        char *options; /* tmpfs: "size=64m,mode=1777"; NULL if none */
} ContainerMount;

typedef enum RestartPolicy {
        RESTART_NO,
        RESTART_ALWAYS,
        RESTART_ON_FAILURE,
        RESTART_UNLESS_STOPPED,
        _RESTART_POLICY_MAX,
        _RESTART_POLICY_INVALID = -EINVAL,
} RestartPolicy;

const char *restart_policy_to_string(RestartPolicy p);
RestartPolicy restart_policy_from_string(const char *s);

typedef enum NetworkMode {
        NETWORK_NONE,
        NETWORK_HOST,
        _NETWORK_MODE_MAX,
        _NETWORK_MODE_INVALID = -EINVAL,
} NetworkMode;

const char *network_mode_to_string(NetworkMode m);
NetworkMode network_mode_from_string(const char *s);

/* --sdnotify: who tells systemd that the container is ready. started: berth-runtime, once the command was
 * executed (the default); container: the container's own READY=1, on $NOTIFY_SOCKET passed in (systemd
 * accepts any process of the unit, NotifyAccess=all); ignore: nobody (for a unit whose drop-in does it). */
typedef enum SdNotifyMode {
        SD_NOTIFY_STARTED,
        SD_NOTIFY_CONTAINER,
        SD_NOTIFY_IGNORE,
        _SD_NOTIFY_MODE_MAX,
        _SD_NOTIFY_MODE_INVALID = -EINVAL,
} SdNotifyMode;

const char *sd_notify_mode_to_string(SdNotifyMode m);
SdNotifyMode sd_notify_mode_from_string(const char *s);

typedef enum PortProto {
        PORT_PROTO_TCP,
        PORT_PROTO_UDP,
        _PORT_PROTO_MAX,
        _PORT_PROTO_INVALID = -EINVAL,
} PortProto;

const char *port_proto_to_string(PortProto p);
PortProto port_proto_from_string(const char *s);

/* One published port (-p). Stored in config.json as Docker's HostConfig.PortBindings,
 * {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}. host_port 0 means "pick a free one" and only
 * exists between parsing and `berth create`, which stores the port it picked. */
typedef struct PortBinding {
        char host_ip[46]; /* numeric IPv4 or IPv6 address (no brackets); "" for every address */
        uint16_t host_port;
        uint16_t container_port;
        PortProto proto;
} PortBinding;

/* "0.0.0.0:8080" or "[::1]:8080", as Docker shows the host side; buf needs PORT_BINDING_HOST_MAX. */
#define PORT_BINDING_HOST_MAX 64
const char *port_binding_host_string(const PortBinding *b, char buf[static PORT_BINDING_HOST_MAX]);

struct json_object;

/* Docker's PortBindings object for p[0..n). resolved: show "" as "0.0.0.0" (NetworkSettings.Ports). NULL on
 * OOM. */
struct json_object *port_bindings_to_json(const PortBinding *p, size_t n, bool resolved);

/* "80", "80/tcp", "53/udp" → port and protocol (tcp when omitted); -EINVAL otherwise. */
int port_key_parse(const char *key, uint16_t *ret_port, PortProto *ret_proto);

/* "" or a numeric IPv4/IPv6 address (without brackets). */
bool port_host_ip_is_valid(const char *s);

/* --ulimit NAME=SOFT[:HARD], HostConfig.Ulimits[] {Name, Soft, Hard}; -1 is unlimited. */
typedef struct ContainerUlimit {
        char *name; /* Docker's names: "nofile", "nproc", "core", ... */
        int64_t soft, hard;
} ContainerUlimit;

/* "nofile" → RLIMIT_NOFILE, -EINVAL for names Docker does not know. */
int rlimit_from_name(const char *name);

/* --device HOST[:CONTAINER[:PERMS]], HostConfig.Devices[] {PathOnHost, PathInContainer, CgroupPermissions} */
typedef struct ContainerDevice {
        char *host_path;
        char *container_path;
        char *permissions; /* a non-empty subset of "rwm" */
} ContainerDevice;

typedef enum SeccompMode {
        SECCOMP_MODE_DEFAULT,
        SECCOMP_MODE_UNCONFINED,
        SECCOMP_MODE_CUSTOM, /* the profile is ROOT/containers/NAME/seccomp.json, copied at create */
        _SECCOMP_MODE_MAX,
        _SECCOMP_MODE_INVALID = -EINVAL,
} SeccompMode;

/* One --security-opt value: "no-new-privileges[:true|false]", "seccomp=unconfined|PROFILE.json" ("=" or
 * ":"). Sets *ret_nnp or *ret_seccomp (leaving the other alone) and, for a profile, *ret_profile_path
 * (pointing into opt). -EOPNOTSUPP for options Docker has and berth does not (label, apparmor,
 * systempaths), -EINVAL for anything else. */
int security_opt_parse(const char *opt, bool *ret_nnp, SeccompMode *ret_seccomp,
        const char **ret_profile_path);

/* Resource limits, Docker's HostConfig names and units; 0 is "not set" everywhere. They become the unit's
 * cgroup properties (MemoryMax=, CPUQuota=, ...). */
typedef struct ContainerResources {
        int64_t memory; /* bytes */
        int64_t memory_swap; /* bytes of memory+swap; -1 unlimited swap */
        int64_t nano_cpus; /* 1e9 per CPU */
        int64_t cpu_shares; /* 2..262144, 1024 is the default weight */
        char *cpuset_cpus; /* "0-2,4" */
        int64_t pids_limit; /* -1 unlimited */
        int64_t blkio_weight; /* 10..1000 */
} ContainerResources;

typedef struct Container {
        char *id; /* 64 lowercase hex */
        char *name; /* [a-zA-Z0-9][a-zA-Z0-9_.-]*, the systemd instance name */
        char *created; /* RFC 3339 */
        char *image_id; /* "sha256:<hex>" */
        char *image_name; /* as the user named it: "berth-demo", "busybox:1.36" */
        char **layers; /* diff_ids, bottom first; keeps them alive in the store */

        char *path; /* argv[0] after Docker's Entrypoint/Cmd rules */
        char **args; /* the rest of argv */
        char **entrypoint;
        char **cmd;
        char **env; /* KEY=VALUE, image Env then -e/--env-file */
        char *user; /* "", "name", "uid", "name:group", "uid:gid" */
        char *working_dir;
        char *hostname;
        char **labels; /* KEY=VALUE */
        char *stop_signal; /* "SIGTERM" */
        int64_t stop_timeout; /* seconds */

        NetworkMode network_mode;
        RestartPolicy restart_policy;
        int64_t restart_max; /* on-failure:N, 0 = unlimited */
        bool auto_remove; /* --rm -d: berth-runtime's ExecStopPost= removes the container */
        /* --rm in the foreground: `berth run` reads the exit code and removes the container itself, so the
         * unit has no ExecStopPost= (HostConfig.AutoRemove is true for both, as in Docker) */
        bool client_removes;
        /* the name was generated: `rm` keeps its empty unit drop-in directory for a later generated name */
        bool name_generated;
        bool init; /* --init */
        SdNotifyMode sd_notify; /* --sdnotify */
        Healthcheck healthcheck; /* --health-*, or the image's HEALTHCHECK */
        bool tty; /* -t: PID 1 gets a pty of the container's devpts, relayed by `berth run` */
        bool open_stdin; /* -i: PID 1 gets `berth run`'s stdin (and stdout, stderr) */
        ContainerMount *mounts;
        size_t n_mounts;
        PortBinding *ports; /* -p, in the order given */
        size_t n_ports;
        /* --on-demand: the port sockets listen while the container is stopped too, and a client starts it;
         * --idle-stop (implies on_demand): the proxy stops it after this many seconds without a client */
        bool on_demand;
        int64_t idle_stop_sec;

        /* confinement */
        char **cap_add; /* as given: "NET_ADMIN", "CAP_SYS_TIME", "ALL" */
        char **cap_drop;
        bool privileged;
        char **security_opt; /* as given; no_new_privileges and seccomp are what they say */
        bool no_new_privileges;
        SeccompMode seccomp;
        bool read_only; /* --read-only root file system */
        int64_t shm_size; /* bytes of /dev/shm, 0: 64 MiB */
        char **sysctls; /* KEY=VALUE, namespaced ones only (checked at create) */
        ContainerUlimit *ulimits;
        size_t n_ulimits;
        ContainerDevice *devices;
        size_t n_devices;
        ContainerResources resources;

        /* --userns=auto: container IDs 0..userns_size-1 are host IDs userns_host_id.., allocated at create
         * (HostConfig.UsernsMode "auto", IDMappings {"UidMap": ["0:HOST:SIZE"], "GidMap": [...]}) */
        bool userns_auto;
        uint32_t userns_host_id;
        uint32_t userns_size;
} Container;

/* --rm, in either mode: the container does not outlive its run, so its files are written without fsyncs
 * and its overlay is volatile. */
static inline bool container_is_ephemeral(const Container *c) {
        return c->auto_remove || c->client_removes;
}

/* --idle-stop at most (about three years): keeps seconds * 1e6 far from overflowing */
#define IDLE_STOP_MAX_SEC 100000000
/* The label of a container declared in a .container file (berth-generator): the file's path. */
#define CONTAINER_FILE_LABEL "berth.container-file"

/* --userns=auto ranges: 65536 IDs each, from host ID 1000000000 up, below 2^31. */
#define USERNS_AUTO_SIZE 65536u
#define USERNS_AUTO_BASE 1000000000u
#define USERNS_AUTO_SLOTS 16384u

/* Picks the lowest --userns=auto range no container in the store uses; the caller holds
 * ROOT/userns.lock until the new container's config is saved. -ENOSPC when all are taken. */
int container_userns_allocate(int root_fd, uint32_t *ret_host_id);

Container *container_free(Container *c);
void container_resources_done(ContainerResources *r);

/* The capability set the container's processes get (cap_mask_tweak() of CapAdd, CapDrop, Privileged). */
int container_capabilities(const Container *c, uint64_t *ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(Container *, container_free);

/* Docker's name rule. */
bool container_name_is_valid(const char *name);

/* Fills id with 64 random lowercase hex digits (getrandom). */
int container_new_id(char id[static 65]);

/* Serialises / parses config.json. container_from_json() validates every field it uses (names, paths,
 * digests, enums) and returns -EBADMSG with a static reason for anything malformed. */
int container_to_json(const Container *c, char **ret);
int container_from_json(const char *text, size_t size, Container **ret, const char **reterr_reason);

/* Reads / writes ROOT/containers/NAME/config.json relative to the store's root fd (write is atomic). */
int container_load(int root_fd, const char *name, Container **ret);
int container_save(int root_fd, const Container *c);

/* Finds a container the way Docker does: full ID, then exact name (a leading "/" is ignored), then unique
 * ID prefix. -ENOENT when nothing matches, -ENOTUNIQ for an ambiguous prefix. */
int container_resolve(int root_fd, const char *name_or_id, char **ret_name);

/* Names of all containers (directories under ROOT/containers with a config.json), sorted. */
int container_list_names(int root_fd, char ***ret);

/* What the container did last; NULL strings are absent. */
typedef struct ContainerState {
        char *started_at; /* RFC 3339 */
        char *finished_at; /* RFC 3339 */
        int64_t pid; /* host PID of PID 1 while running, 0 otherwise */
        int64_t exit_code; /* Docker's: status, 128+signal, 125/126/127 for setup failures */
        char *error; /* setup failure message, if any */
        bool oom_killed;
        int64_t restart_count;
} ContainerState;

void container_state_done(ContainerState *s);
/* Whether S holds the end of the latest run. A start keeps the previous run's FinishedAt (as Docker does),
 * so an end older than the start belongs to an earlier run, and the latest one was not recorded. */
bool container_state_end_recorded(const ContainerState *s);
int container_state_load(int root_fd, const char *name, ContainerState *ret);
int container_state_save(int root_fd, const char *name, const ContainerState *s);
