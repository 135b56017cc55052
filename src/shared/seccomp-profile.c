/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "seccomp-profile.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>
#include <seccomp.h>

#include "fd-util.h"
#include "json-util.h"
#include "string-util.h"
#include "strv.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define PROFILE_SIZE_MAX (UINT64_C(4) * 1024 * 1024)
#define PROFILE_RULES_MAX 4096U
#define PROFILE_NAMES_MAX 4096U
#define PROFILE_ARGS_MAX 4096U
/* libseccomp's time grows steeply (cubically, for one syscall) with the rules that compare arguments: 4096
 * of them take minutes. Real profiles have a few dozen (Docker's default about 30, ours about 100). */
#define PROFILE_CONDITIONAL_MAX 512U
#define SYSCALL_NAME_MAX 64U
#define SYSCALL_ARGS 6U
/* The kernel turns larger errno values into success-looking return values. */
#define ERRNO_RET_MAX 4095U

/* Every architecture libseccomp 2.5 knows; bit i of an architecture mask is arch_table[i]. */
enum {
        ARCH_X86_64,
        ARCH_X86,
        ARCH_X32,
        ARCH_AARCH64,
        ARCH_ARM,
        ARCH_PPC64LE,
        ARCH_PPC64,
        ARCH_PPC,
        ARCH_S390X,
        ARCH_S390,
        ARCH_RISCV64,
        ARCH_MIPS64,
        ARCH_MIPS64N32,
        ARCH_MIPS,
        ARCH_MIPSEL64,
        ARCH_MIPSEL64N32,
        ARCH_MIPSEL,
        ARCH_PARISC64,
        ARCH_PARISC,
        _ARCH_MAX,
};

#define ARCH(a) (UINT32_C(1) << ARCH_##a)

/* ---- the internal form, shared by the built-in profile and parsed ones -------------------------------- */

typedef struct SeccompArg {
        unsigned index;
        enum scmp_compare op;
        uint64_t value; /* for SCMP_CMP_MASKED_EQ the mask */
        uint64_t value_two; /* for SCMP_CMP_MASKED_EQ what arg & mask must equal */
} SeccompArg;

typedef struct SeccompCondition {
        uint64_t caps; /* includes: all of them held; excludes: none of them held */
        uint32_t arches; /* mask of arch_table indexes; matched against the native architecture */
        unsigned min_kernel[2]; /* major, minor; 0.0 for none */
} SeccompCondition;

typedef struct SeccompRule {
        const char *const *names; /* NULL-terminated */
        uint32_t action; /* libseccomp's SCMP_ACT_*, errno or trace value included */
        const SeccompArg *args; /* alternatives if an index repeats, else all must match */
        size_t n_args;
        SeccompCondition includes, excludes;
} SeccompRule;

struct SeccompProfile {
        uint32_t default_action;
        uint32_t arches; /* "architectures" */
        uint32_t arch_map[_ARCH_MAX]; /* "archMap": by architecture, itself plus its subArchitectures */
        const SeccompRule *rules;
        size_t n_rules;
        SeccompRule *owned_rules; /* == rules for parsed profiles, NULL for the built-in one */
};

/* Args on the same index are alternatives, as runc has it, so each becomes a rule of its own; otherwise
 * all of them form one rule. */
static bool args_are_alternatives(const SeccompArg *args, size_t n) {
        unsigned seen = 0;

        for (size_t i = 0; i < n; i++) {
                if (seen & (1U << args[i].index))
                        return true;
                seen |= 1U << args[i].index;
        }
        return false;
}

/* ---- names -------------------------------------------------------------------------------------------- */

/* Profiles spell architectures as libseccomp's constants (SCMP_ARCH_X86_64, in architectures and archMap) or
 * as Docker's short names (amd64, x86, arm64, in includes/excludes.arches); we take either anywhere. */
static const struct {
        const char *name; /* libseccomp's, = the lower-case SCMP_ARCH_ suffix */
        const char *alias; /* Go's GOARCH, where it differs */
        uint32_t token;
        uint32_t can_run; /* what else a kernel of this architecture may run (compat syscall entries) */
        uint32_t compat; /* which of those we cover even when a profile does not ask for them */
} arch_table[_ARCH_MAX] = {
        [ARCH_X86_64] = { "x86_64", "amd64", SCMP_ARCH_X86_64, ARCH(X86) | ARCH(X32),
                ARCH(X86) | ARCH(X32) },
        [ARCH_X86] = { "x86", "386", SCMP_ARCH_X86, 0, 0 },
        [ARCH_X32] = { "x32", NULL, SCMP_ARCH_X32, 0, 0 },
        [ARCH_AARCH64] = { "aarch64", "arm64", SCMP_ARCH_AARCH64, ARCH(ARM), ARCH(ARM) },
        [ARCH_ARM] = { "arm", NULL, SCMP_ARCH_ARM, 0, 0 },
        [ARCH_PPC64LE] = { "ppc64le", NULL, SCMP_ARCH_PPC64LE, 0, 0 },
        [ARCH_PPC64] = { "ppc64", NULL, SCMP_ARCH_PPC64, ARCH(PPC), 0 },
        [ARCH_PPC] = { "ppc", NULL, SCMP_ARCH_PPC, 0, 0 },
        [ARCH_S390X] = { "s390x", NULL, SCMP_ARCH_S390X, ARCH(S390), 0 },
        [ARCH_S390] = { "s390", NULL, SCMP_ARCH_S390, 0, 0 },
        [ARCH_RISCV64] = { "riscv64", NULL, SCMP_ARCH_RISCV64, 0, 0 },
        [ARCH_MIPS64] = { "mips64", NULL, SCMP_ARCH_MIPS64, ARCH(MIPS) | ARCH(MIPS64N32), 0 },
        [ARCH_MIPS64N32] = { "mips64n32", NULL, SCMP_ARCH_MIPS64N32, 0, 0 },
        [ARCH_MIPS] = { "mips", NULL, SCMP_ARCH_MIPS, 0, 0 },
        [ARCH_MIPSEL64] = { "mipsel64", "mips64le", SCMP_ARCH_MIPSEL64, ARCH(MIPSEL) | ARCH(MIPSEL64N32),
                0 },
        [ARCH_MIPSEL64N32] = { "mipsel64n32", NULL, SCMP_ARCH_MIPSEL64N32, 0, 0 },
        [ARCH_MIPSEL] = { "mipsel", "mipsle", SCMP_ARCH_MIPSEL, 0, 0 },
        [ARCH_PARISC64] = { "parisc64", NULL, SCMP_ARCH_PARISC64, ARCH(PARISC), 0 },
        [ARCH_PARISC] = { "parisc", NULL, SCMP_ARCH_PARISC, 0, 0 },
};

static int arch_from_string(const char *s) {
        const char *suffix = startswith(s, "SCMP_ARCH_");

        for (int i = 0; i < _ARCH_MAX; i++)
                if (suffix ? strcasecmp(suffix, arch_table[i].name) == 0
                           : streq(s, arch_table[i].name) || streq_ptr(s, arch_table[i].alias))
                        return i;
        return -EINVAL;
}

static int arch_native(void) {
        uint32_t token = seccomp_arch_native();

        for (int i = 0; i < _ARCH_MAX; i++)
                if (arch_table[i].token == token)
                        return i;
        return -EAFNOSUPPORT;
}

#define CAP(c) (UINT64_C(1) << CAP_##c)

static const char *const cap_names[] = {
        [CAP_CHOWN] = "CAP_CHOWN",
        [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
        [CAP_FOWNER] = "CAP_FOWNER",
        [CAP_FSETID] = "CAP_FSETID",
        [CAP_KILL] = "CAP_KILL",
        [CAP_SETGID] = "CAP_SETGID",
        [CAP_SETUID] = "CAP_SETUID",
        [CAP_SETPCAP] = "CAP_SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
        [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
        [CAP_NET_RAW] = "CAP_NET_RAW",
        [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
        [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
        [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
        [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
        [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
        [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
        [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
        [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
        [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
        [CAP_SYS_NICE] = "CAP_SYS_NICE",
        [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
        [CAP_SYS_TIME] = "CAP_SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
        [CAP_MKNOD] = "CAP_MKNOD",
        [CAP_LEASE] = "CAP_LEASE",
        [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
        [CAP_SETFCAP] = "CAP_SETFCAP",
        [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
        [CAP_SYSLOG] = "CAP_SYSLOG",
        [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
        [CAP_PERFMON] = "CAP_PERFMON",
        [CAP_BPF] = "CAP_BPF",
        [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

static int cap_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (cap_names[i] && streq(s, cap_names[i]))
                        return (int) i;
        return -EINVAL;
}

/* ERRNO and TRACE carry a 16-bit value in their low bits; the table holds them with value 0. */
#define ACTION_VALUE_MASK UINT32_C(0xffff)

static const struct {
        const char *name;
        uint32_t action;
} action_table[] = {
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
        { "SCMP_ACT_KILL", SCMP_ACT_KILL },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG },
        { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
};

static const struct {
        const char *name;
        enum scmp_compare op;
} op_table[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* ---- the built-in profile ------------------------------------------------------------------------------ *
 *
 * Three outcomes, chosen so that software can tell "not here" from "not allowed":
 *  - allowed: what ordinary programs need, and what the kernel already confines to the container's own
 *    namespaces, cgroup and credentials;
 *  - EPERM: syscalls we know and refuse, because they reach state that is not namespaced (the host's
 *    clock, kernel, modules, keyrings, swap) or have been a steady source of kernel bugs. Where the
 *    kernel's own permission check is a capability, holding that capability lifts the refusal, so
 *    --cap-add works as with Docker;
 *  - ENOSYS (the default action): everything else, above all syscalls newer than this table. A libc that
 *    tries a new syscall (clone3, a future openat3) sees "not implemented" and falls back to the old one,
 *    where EPERM would look like a real failure.
 *
 * Names are for every architecture; libseccomp skips those an architecture does not have. */

/* The name lists are grouped and wrapped by hand, which clang-format would undo. */
/* clang-format off */

/* Files, directories and file descriptors: access control is the file system's and the mount
 * namespace's. */
static const char *const allow_files[] = {
        "_llseek", "access", "arm_fadvise64_64", "arm_sync_file_range", "cachestat", "chdir", "chmod",
        "chown", "chown32", "close", "close_range", "copy_file_range", "creat", "dup", "dup2", "dup3",
        "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "file_getattr",
        "file_setattr", "flock", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
        "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents", "getdents64", "ioctl", "lchown",
        "lchown32", "link", "linkat", "lseek", "lstat", "lstat64", "mkdir", "mkdirat", "mknod", "mknodat",
        /* only yields a handle; using one needs open_by_handle_at(), gated below */
        "name_to_handle_at", "newfstatat", "oldfstat", "oldlstat", "oldstat", "open", "openat", "openat2",
        "pipe", "pipe2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
        "readahead", "readdir", "readlink", "readlinkat", "readv", "rename", "renameat", "renameat2",
        "rmdir", "sendfile", "sendfile64", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
        "symlink", "symlinkat", "sync", "sync_file_range", "sync_file_range2", "syncfs", "tee", "truncate",
        "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
        "vmsplice", "write", "writev",
        /* extended attributes */
        "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "getxattrat", "lgetxattr",
        "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lsetxattr", "removexattr",
        "removexattrat", "setxattr", "setxattrat",
        /* mount information of the container's own mount namespace */
        "listmount", "statmount",
        NULL
};

/* Waiting for events, and the classic asynchronous I/O. io_uring is not here: see refuse_always. */
static const char *const allow_events[] = {
        "_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
        "epoll_wait", "eventfd", "eventfd2", "fanotify_mark", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
        "io_pgetevents_time64", "io_setup", "io_submit", "poll", "ppoll", "ppoll_time64", "pselect6",
        "pselect6_time64", "select", "signalfd", "signalfd4", "timerfd_create", "timerfd_gettime",
        "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
        NULL
};

/* Memory of the calling process. Locking is bounded by RLIMIT_MEMLOCK and the memory cgroup. */
static const char *const allow_memory[] = {
        "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "mseal", "msync", "munlock",
        "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
        NULL
};

/* Processes, threads, scheduling, signals and credentials: all confined by the PID and user namespaces
 * and by the capabilities the kernel checks itself (setuid() without CAP_SETUID, raising a priority
 * without CAP_SYS_NICE, signalling a process of another user). capset() and seccomp() can only take away,
 * landlock only restricts. clone, clone3, unshare and personality are conditional, below. */
static const char *const allow_processes[] = {
        "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "futex", "futex_requeue",
        "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "get_robust_list", "getcpu", "getpgid",
        "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getrlimit", "getrusage", "getsid",
        "gettid", "ioprio_get", "ioprio_set", "kill",
        /* debugging (strace, gdb) as under Docker: since Linux 4.8 seccomp sees what a tracer changes,
         * and the kernel's own ptrace access checks (same user, capabilities a subset) still apply */
        "kcmp", "process_vm_readv", "process_vm_writev", "ptrace", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "nice",
        "olduname", "oldolduname", "pidfd_open", "pidfd_send_signal", "prctl", "prlimit64",
        /* frees the memory of a process that is already being killed */
        "process_mrelease", "restart_syscall", "rseq", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "set_robust_list",
        "set_tid_address", "setpgid", "setpriority", "setrlimit", "setsid", "sysinfo", "tgkill", "times",
        "tkill", "ugetrlimit", "uname",
        /* uprobes return through it; blocking it kills traced programs */
        "uretprobe", "vfork", "wait4", "waitid", "waitpid",
        /* signals */
        "alarm", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sgetmask", "sigaction", "sigaltstack", "signal", "sigpending", "sigprocmask", "sigreturn",
        "sigsuspend", "ssetmask",
        /* credentials */
        "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
        "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
        "setreuid32", "setuid", "setuid32",
        NULL
};

/* Reading clocks, sleeping and timers; setting the clock is CAP_SYS_TIME's, below. */
static const char *const allow_time[] = {
        "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "getitimer", "gettimeofday", "nanosleep", "setitimer", "time",
        "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
        "timer_settime", "timer_settime64",
        NULL
};

/* Sockets and System V / POSIX IPC live in the container's network and IPC namespaces. */
static const char *const allow_ipc[] = {
        "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
        "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto",
        "setsockopt", "shutdown", "socket", "socketcall", "socketpair",
        "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
        "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd",
        "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
        NULL
};

/* Architecture-specific ones that libcs and language runtimes use: TLS and LDT setup (x86, arm), cache
 * flushes after JIT compilation (arm, mips, riscv), CPU feature probes and facilities (s390, riscv, ppc). */
static const char *const allow_arch[] = {
        "arch_prctl", "get_thread_area", "modify_ldt", "set_thread_area", /* x86 */
        "breakpoint", "cacheflush", "get_tls", "set_tls",                 /* arm */
        "subpage_prot", "swapcontext", "switch_endian", "sys_debug_setcontext", /* ppc */
        "s390_guarded_storage", "s390_runtime_instr", "s390_sthyi",       /* s390 */
        "riscv_flush_icache", "riscv_hwprobe",                            /* riscv */
        "cachectl",                                                       /* mips */
        NULL
};

/* Refused whatever the capabilities, because no capability inside a container should reach them. */
static const char *const refuse_always[] = {
        /* kernel keyrings are not namespaced: keys would be shared with the host and other containers */
        "add_key", "keyctl", "request_key",
        /* load a new kernel over the host's; CAP_SYS_BOOT inside a container only ends its PID namespace */
        "kexec_file_load", "kexec_load",
        /* swap is host-wide */
        "swapoff", "swapon",
        /* io_uring runs its operations in kernel workers where this filter never sees them, so
         * allowing it would make the rest of this table advisory; it has also been one of the largest
         * sources of exploitable kernel bugs (and is why kernel.io_uring_disabled exists). Programs
         * treat EPERM from io_uring_setup() like that sysctl and fall back to epoll or threads. */
        "io_uring_enter", "io_uring_register", "io_uring_setup",
        /* obsolete interfaces, kept in kernels for old binaries only */
        "_sysctl", "bdflush", "sysfs", "uselib", "ustat", "vm86", "vm86old",
        /* firmware and machine calls */
        "rtas", "spu_create", "spu_run", "sysmips",
        NULL
};

/* CAP_SYS_ADMIN: mounts and namespaces. clone/unshare with namespace flags are handled below. */
static const char *const gated_sys_admin[] = {
        "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
        "mount_setattr", "move_mount", "open_tree", "open_tree_attr", "pivot_root", "quotactl",
        "quotactl_fd", "setdomainname", "sethostname", "setns", "umount", "umount2",
        NULL
};

static const char *const gated_bpf[] = { "bpf", NULL };                   /* CAP_BPF or CAP_SYS_ADMIN */
static const char *const gated_perfmon[] = { "perf_event_open", NULL };   /* CAP_PERFMON or CAP_SYS_ADMIN */
static const char *const gated_sys_boot[] = { "reboot", NULL };
static const char *const gated_sys_chroot[] = { "chroot", NULL };
static const char *const gated_sys_module[] = { "delete_module", "finit_module", "init_module", NULL };
static const char *const gated_sys_pacct[] = { "acct", NULL };
static const char *const gated_syslog[] = { "syslog", NULL };
static const char *const gated_sys_tty_config[] = { "vhangup", NULL };
static const char *const gated_dac_read_search[] = { "open_by_handle_at", NULL };

/* CAP_SYS_PTRACE: reading and changing other processes. userfaultfd() is the kernel's own
 * CAP_SYS_PTRACE case (vm.unprivileged_userfaultfd=0) and a favourite tool for winning kernel races. */
static const char *const gated_sys_ptrace[] = { "pidfd_getfd", "userfaultfd", NULL };

/* CAP_SYS_TIME: the clock is not namespaced (time namespaces only offset the monotonic clocks). */
static const char *const gated_sys_time[] = {
        "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday",
        "stime",
        NULL
};

/* CAP_SYS_NICE: NUMA placement, which the kernel checks against cpusets but not against other
 * containers sharing the node; process_madvise() acts on another process's memory. */
static const char *const gated_sys_nice[] = {
        "get_mempolicy", "mbind", "migrate_pages", "move_pages", "process_madvise", "set_mempolicy",
        "set_mempolicy_home_node",
        NULL
};

/* CAP_SYS_RAWIO: I/O ports and PCI configuration space. */
static const char *const gated_sys_rawio[] = {
        "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "s390_pci_mmio_read",
        "s390_pci_mmio_write",
        NULL
};

/* Left to the default action (ENOSYS) on purpose, listed so the table says so: syscalls Linux removed or
 * never implemented, where ENOSYS is what the kernel itself answers. */
static const char *const unimplemented[] = {
        "afs_syscall", "break", "create_module", "epoll_ctl_old", "epoll_wait_old", "ftime",
        "get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "multiplexer", "nfsservctl", "prof",
        "profil", "putpmsg", "query_module", "security", "stty", "syscall", "timerfd", "tuxcall", "ulimit",
        "usr26", "usr32", "vserver",
        NULL
};

static const char *const clone_names[] = { "clone", NULL };
static const char *const clone3_names[] = { "clone3", NULL };
static const char *const unshare_names[] = { "unshare", NULL };
static const char *const personality_names[] = { "personality", NULL };

#define CLONE_NAMESPACE_FLAGS                                                                               \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |          \
                CLONE_NEWCGROUP)

#define ARG_MASKED_EQ(i, mask, v)                                                                           \
        { .index = (i), .op = SCMP_CMP_MASKED_EQ, .value = (mask), .value_two = (v) }
#define ARG_EQ(i, v) { .index = (i), .op = SCMP_CMP_EQ, .value = (v) }

/* clone() without CAP_SYS_ADMIN: allowed when its flags create no namespace, EPERM when they do (one
 * alternative per flag, as libseccomp cannot express "mask != 0"). The flags are the first argument, except
 * on s390, where the stack pointer comes first. */
#define NO_NS_FLAG(i) ARG_MASKED_EQ(i, CLONE_NAMESPACE_FLAGS, 0)
#define SOME_NS_FLAG(i)                                                                                     \
        ARG_MASKED_EQ(i, CLONE_NEWNS, CLONE_NEWNS),                                                         \
        ARG_MASKED_EQ(i, CLONE_NEWUTS, CLONE_NEWUTS),                                                       \
        ARG_MASKED_EQ(i, CLONE_NEWIPC, CLONE_NEWIPC),                                                       \
        ARG_MASKED_EQ(i, CLONE_NEWUSER, CLONE_NEWUSER),                                                     \
        ARG_MASKED_EQ(i, CLONE_NEWPID, CLONE_NEWPID),                                                       \
        ARG_MASKED_EQ(i, CLONE_NEWNET, CLONE_NEWNET),                                                       \
        ARG_MASKED_EQ(i, CLONE_NEWCGROUP, CLONE_NEWCGROUP)

static const SeccompArg clone_without_ns[] = { NO_NS_FLAG(0) };
static const SeccompArg clone_with_ns[] = { SOME_NS_FLAG(0) };
static const SeccompArg clone_without_ns_s390[] = { NO_NS_FLAG(1) };
static const SeccompArg clone_with_ns_s390[] = { SOME_NS_FLAG(1) };
/* unshare() may also ask for a time namespace, which clone() cannot (0x80 is part of its exit signal). */
static const SeccompArg unshare_without_ns[] = {
        ARG_MASKED_EQ(0, CLONE_NAMESPACE_FLAGS | CLONE_NEWTIME, 0),
};
static const SeccompArg unshare_with_ns[] = {
        SOME_NS_FLAG(0),
        ARG_MASKED_EQ(0, CLONE_NEWTIME, CLONE_NEWTIME),
};

/* personality(): Linux itself, the 32-bit variant, UNAME26, both, and 0xffffffff, which only queries.
 * Anything else (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, foreign execution domains) weakens the container's
 * exploit mitigations and is EPERM. libseccomp has no "none of these", so the complement is spelled out:
 * above 32 bits; bit 31 set and some lower bit clear (so not 0xffffffff); bit 31 clear and some bit other
 * than PER_LINUX32 (3) and UNAME26 (17) set. */
static const SeccompArg personality_allowed[] = {
        ARG_EQ(0, PER_LINUX),
        ARG_EQ(0, PER_LINUX32),
        ARG_EQ(0, UNAME26),
        ARG_EQ(0, UNAME26 | PER_LINUX32),
        ARG_EQ(0, UINT32_C(0xffffffff)),
};

#define HIGH_WITHOUT(k) ARG_MASKED_EQ(0, UINT64_C(1) << 31 | UINT64_C(1) << (k), UINT64_C(1) << 31)
#define LOW_WITH(k) ARG_MASKED_EQ(0, UINT64_C(1) << 31 | UINT64_C(1) << (k), UINT64_C(1) << (k))

static const SeccompArg personality_refused[] = {
        { .index = 0, .op = SCMP_CMP_GT, .value = UINT32_C(0xffffffff) },
        HIGH_WITHOUT(0), HIGH_WITHOUT(1), HIGH_WITHOUT(2), HIGH_WITHOUT(3), HIGH_WITHOUT(4),
        HIGH_WITHOUT(5), HIGH_WITHOUT(6), HIGH_WITHOUT(7), HIGH_WITHOUT(8), HIGH_WITHOUT(9),
        HIGH_WITHOUT(10), HIGH_WITHOUT(11), HIGH_WITHOUT(12), HIGH_WITHOUT(13), HIGH_WITHOUT(14),
        HIGH_WITHOUT(15), HIGH_WITHOUT(16), HIGH_WITHOUT(17), HIGH_WITHOUT(18), HIGH_WITHOUT(19),
        HIGH_WITHOUT(20), HIGH_WITHOUT(21), HIGH_WITHOUT(22), HIGH_WITHOUT(23), HIGH_WITHOUT(24),
        HIGH_WITHOUT(25), HIGH_WITHOUT(26), HIGH_WITHOUT(27), HIGH_WITHOUT(28), HIGH_WITHOUT(29),
        HIGH_WITHOUT(30),
        LOW_WITH(0), LOW_WITH(1), LOW_WITH(2), LOW_WITH(4), LOW_WITH(5), LOW_WITH(6), LOW_WITH(7),
        LOW_WITH(8), LOW_WITH(9), LOW_WITH(10), LOW_WITH(11), LOW_WITH(12), LOW_WITH(13), LOW_WITH(14),
        LOW_WITH(15), LOW_WITH(16), LOW_WITH(18), LOW_WITH(19), LOW_WITH(20), LOW_WITH(21), LOW_WITH(22),
        LOW_WITH(23), LOW_WITH(24), LOW_WITH(25), LOW_WITH(26), LOW_WITH(27), LOW_WITH(28), LOW_WITH(29),
        LOW_WITH(30),
};

#define EPERM_ACTION SCMP_ACT_ERRNO(EPERM)
#define ARGS(a) .args = (a), .n_args = ELEMENTSOF(a)
#define ALLOW(n) { .names = (n), .action = SCMP_ACT_ALLOW }
#define REFUSE(n) { .names = (n), .action = EPERM_ACTION }
/* Allowed with capability c, EPERM without. */
#define GATED(n, c)                                                                                         \
        { .names = (n), .action = SCMP_ACT_ALLOW, .includes.caps = CAP(c) },                                \
        { .names = (n), .action = EPERM_ACTION, .excludes.caps = CAP(c) }
/* Allowed with either capability, EPERM with neither. */
#define GATED2(n, c1, c2)                                                                                   \
        { .names = (n), .action = SCMP_ACT_ALLOW, .includes.caps = CAP(c1) },                               \
        { .names = (n), .action = SCMP_ACT_ALLOW, .includes.caps = CAP(c2) },                               \
        { .names = (n), .action = EPERM_ACTION, .excludes.caps = CAP(c1) | CAP(c2) }

static const SeccompRule default_rules[] = {
        ALLOW(allow_files),
        ALLOW(allow_events),
        ALLOW(allow_memory),
        ALLOW(allow_processes),
        ALLOW(allow_time),
        ALLOW(allow_ipc),
        ALLOW(allow_arch),
        REFUSE(refuse_always),
        GATED(gated_sys_admin, SYS_ADMIN),
        GATED2(gated_bpf, BPF, SYS_ADMIN),
        GATED2(gated_perfmon, PERFMON, SYS_ADMIN),
        GATED(gated_sys_boot, SYS_BOOT),
        GATED(gated_sys_chroot, SYS_CHROOT),
        GATED(gated_sys_module, SYS_MODULE),
        GATED(gated_sys_pacct, SYS_PACCT),
        GATED(gated_sys_ptrace, SYS_PTRACE),
        GATED(gated_sys_time, SYS_TIME),
        GATED(gated_sys_nice, SYS_NICE),
        GATED(gated_sys_rawio, SYS_RAWIO),
        GATED(gated_sys_tty_config, SYS_TTY_CONFIG),
        GATED(gated_syslog, SYSLOG),
        GATED(gated_dac_read_search, DAC_READ_SEARCH),
        { .names = unimplemented, .action = SCMP_ACT_ERRNO(ENOSYS) },

        /* Namespaces: unrestricted with CAP_SYS_ADMIN. */
        { .names = clone_names, .action = SCMP_ACT_ALLOW, .includes.caps = CAP(SYS_ADMIN) },
        { .names = clone3_names, .action = SCMP_ACT_ALLOW, .includes.caps = CAP(SYS_ADMIN) },
        { .names = unshare_names, .action = SCMP_ACT_ALLOW, .includes.caps = CAP(SYS_ADMIN) },
        /* Without it, a filter cannot look into clone3()'s flags (they sit in memory), so clone3 is ENOSYS
         * and glibc falls back to clone(), whose flags it can check. */
        { .names = clone3_names, .action = SCMP_ACT_ERRNO(ENOSYS), .excludes.caps = CAP(SYS_ADMIN) },
        { .names = clone_names,
                .action = SCMP_ACT_ALLOW,
                ARGS(clone_without_ns),
                .excludes = { .caps = CAP(SYS_ADMIN), .arches = ARCH(S390) | ARCH(S390X) } },
        { .names = clone_names,
                .action = EPERM_ACTION,
                ARGS(clone_with_ns),
                .excludes = { .caps = CAP(SYS_ADMIN), .arches = ARCH(S390) | ARCH(S390X) } },
        { .names = clone_names,
                .action = SCMP_ACT_ALLOW,
                ARGS(clone_without_ns_s390),
                .includes.arches = ARCH(S390) | ARCH(S390X),
                .excludes.caps = CAP(SYS_ADMIN) },
        { .names = clone_names,
                .action = EPERM_ACTION,
                ARGS(clone_with_ns_s390),
                .includes.arches = ARCH(S390) | ARCH(S390X),
                .excludes.caps = CAP(SYS_ADMIN) },
        { .names = unshare_names,
                .action = SCMP_ACT_ALLOW,
                ARGS(unshare_without_ns),
                .excludes.caps = CAP(SYS_ADMIN) },
        { .names = unshare_names,
                .action = EPERM_ACTION,
                ARGS(unshare_with_ns),
                .excludes.caps = CAP(SYS_ADMIN) },

        { .names = personality_names, .action = SCMP_ACT_ALLOW, ARGS(personality_allowed) },
        { .names = personality_names, .action = EPERM_ACTION, ARGS(personality_refused) },
};

/* clang-format on */

SeccompProfile *seccomp_profile_free(SeccompProfile *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; p->owned_rules && i < p->n_rules; i++) {
                strv_free((char **) p->owned_rules[i].names);
                free((SeccompArg *) p->owned_rules[i].args);
        }
        free(p->owned_rules);
        free(p);
        return NULL;
}

int seccomp_profile_new_default(SeccompProfile **ret) {
        SeccompProfile *p;

        assert(ret);

        p = calloc(1, sizeof(SeccompProfile));
        if (!p)
                return -ENOMEM;
        p->default_action = SCMP_ACT_ERRNO(ENOSYS);
        p->rules = default_rules;
        p->n_rules = ELEMENTSOF(default_rules);
        *ret = p;
        return 0;
}

/* ---- parsing Docker's JSON ---------------------------------------------------------------------------- */

typedef struct ParseContext {
        char path[128]; /* the JSON path of what is being parsed, for error messages */
        size_t len;
        size_t n_names, n_args, n_conditional;
        char **reterr_msg;
} ParseContext;

static size_t path_push(ParseContext *c, const char *format, ...) _printf_(2, 3);
static size_t path_push(ParseContext *c, const char *format, ...) {
        size_t mark = c->len;
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, format, ap);
        va_end(ap);
        if (n > 0)
                c->len = MIN(c->len + (size_t) n, sizeof(c->path) - 1);
        return mark;
}

static size_t path_push_key(ParseContext *c, const char *key) {
        return c->len == 0 ? path_push(c, "%s", key) : path_push(c, ".%s", key);
}

static size_t path_push_index(ParseContext *c, size_t i) {
        return path_push(c, "[%zu]", i);
}

static void path_pop(ParseContext *c, size_t mark) {
        c->len = mark;
        c->path[mark] = 0;
}

static int parse_fail(ParseContext *c, const char *format, ...) _printf_(2, 3);
static int parse_fail(ParseContext *c, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int n;

        if (!c->reterr_msg)
                return -EBADMSG;
        va_start(ap, format);
        n = vasprintf(&msg, format, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        *c->reterr_msg = asprintf_safe("%s: %s", c->len > 0 ? c->path : "(root)", msg);
        return *c->reterr_msg ? -EBADMSG : -ENOMEM;
}

/* JSON null counts as missing, as it does for Go's decoder. */
static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        (void) json_object_object_get_ex(o, key, &v);
        return v;
}

/* The helpers below expect the path to name v already and leave it unchanged on success. */

static int parse_uint(ParseContext *c, struct json_object *v, uint64_t max, uint64_t *ret) {
        uint64_t u;

        /* json-c saturates integers beyond 64 bits instead of failing, so those read as INT64_MIN or
         * UINT64_MAX. */
        if (!json_object_is_type(v, json_type_int))
                return parse_fail(c, "not an unsigned integer");
        if (json_object_get_int64(v) < 0)
                return parse_fail(c, "%" PRIi64 " is negative", json_object_get_int64(v));
        u = json_object_get_uint64(v);
        if (u > max)
                return parse_fail(c, "%" PRIu64 " is larger than %" PRIu64, u, max);
        *ret = u;
        return 0;
}

static int parse_string(ParseContext *c, struct json_object *v, const char **ret) {
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return parse_fail(c, "not a string");
        s = json_object_get_string(v);
        /* "\u0000" would cut the string short: "SCMP_ACT_ALLOW\u0000..." must not read as SCMP_ACT_ALLOW */
        if (strlen(s) != (size_t) json_object_get_string_len(v))
                return parse_fail(c, "contains a NUL character");
        *ret = s;
        return 0;
}

static int parse_array(ParseContext *c, struct json_object *v, size_t *ret_n) {
        if (!json_object_is_type(v, json_type_array))
                return parse_fail(c, "not an array");
        *ret_n = json_object_array_length(v);
        return 0;
}

static int parse_object(ParseContext *c, struct json_object *v) {
        if (!json_object_is_type(v, json_type_object))
                return parse_fail(c, "not an object");
        return 0;
}

static int parse_action(ParseContext *c, struct json_object *o, const char *key, const char *errno_key,
        uint32_t *ret) {
        struct json_object *v;
        uint32_t action = 0;
        uint64_t value = EPERM;
        const char *s = NULL;
        size_t mark;
        bool found = false;
        int r;

        mark = path_push_key(c, key);
        v = member(o, key);
        if (!v)
                return parse_fail(c, "missing");
        r = parse_string(c, v, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(action_table); i++)
                if (streq(s, action_table[i].name)) {
                        action = action_table[i].action;
                        found = true;
                        break;
                }
        if (!found)
                return parse_fail(c, "unknown action '%.64s'", s);
        path_pop(c, mark);

        /* errnoRet means something only to ERRNO and TRACE, but is checked wherever it appears */
        v = member(o, errno_key);
        if (v) {
                mark = path_push_key(c, errno_key);
                r = parse_uint(c, v, action == SCMP_ACT_TRACE(0) ? UINT16_MAX : ERRNO_RET_MAX, &value);
                if (r < 0)
                        return r;
                path_pop(c, mark);
        }
        if (action == SCMP_ACT_ERRNO(0) || action == SCMP_ACT_TRACE(0))
                action |= (uint32_t) value & ACTION_VALUE_MASK;
        *ret = action;
        return 0;
}

/* An array of strings under key (missing is fine), each handed to f. */
static int parse_string_array(ParseContext *c, struct json_object *o, const char *key,
        int (*f)(ParseContext *c, const char *s, void *userdata), void *userdata) {
        struct json_object *a;
        size_t n = 0, mark;
        int r;

        a = member(o, key);
        if (!a)
                return 0;
        mark = path_push_key(c, key);
        r = parse_array(c, a, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t m = path_push_index(c, i);
                const char *s = NULL;

                r = parse_string(c, json_object_array_get_idx(a, i), &s);
                if (r < 0)
                        return r;
                r = f(c, s, userdata);
                if (r < 0)
                        return r;
                path_pop(c, m);
        }
        path_pop(c, mark);
        return 0;
}

static int add_arch(ParseContext *c, const char *s, void *userdata) {
        uint32_t *mask = userdata;
        int a;

        a = arch_from_string(s);
        if (a < 0)
                return parse_fail(c, "unknown architecture '%.64s'", s);
        *mask |= UINT32_C(1) << a;
        return 0;
}

static int add_cap(ParseContext *c, const char *s, void *userdata) {
        uint64_t *mask = userdata;
        int cap;

        cap = cap_from_string(s);
        if (cap < 0)
                return parse_fail(c, "unknown capability '%.64s'", s);
        *mask |= UINT64_C(1) << cap;
        return 0;
}

static bool syscall_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > SYSCALL_NAME_MAX)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int add_name(ParseContext *c, const char *s, void *userdata) {
        char ***names = userdata;

        if (++c->n_names > PROFILE_NAMES_MAX)
                return parse_fail(c, "more than %u syscall names in the profile", PROFILE_NAMES_MAX);
        if (!syscall_name_is_valid(s))
                return parse_fail(c, "invalid syscall name '%.64s'", s);
        return strv_extend(names, s);
}

/* "4.8": Docker's minKernel, a kernel version and major revision. */
static int parse_kernel_version(const char *s, unsigned ret[2]) {
        unsigned v[2] = {};
        const char *p = s;

        for (size_t i = 0; i < 2; i++) {
                if (i > 0 && *p++ != '.')
                        return -EINVAL;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (v[i] > 99999)
                                return -ERANGE;
                        v[i] = v[i] * 10 + (unsigned) (*p - '0');
                }
        }
        if (*p != 0)
                return -EINVAL;
        ret[0] = v[0];
        ret[1] = v[1];
        return 0;
}

static int parse_condition(ParseContext *c, struct json_object *o, const char *key, SeccompCondition *ret) {
        struct json_object *f, *v;
        SeccompCondition cond = {};
        size_t mark;
        int r;

        f = member(o, key);
        if (!f)
                return 0;
        mark = path_push_key(c, key);
        r = parse_object(c, f);
        if (r < 0)
                return r;
        r = parse_string_array(c, f, "caps", add_cap, &cond.caps);
        if (r < 0)
                return r;
        r = parse_string_array(c, f, "arches", add_arch, &cond.arches);
        if (r < 0)
                return r;
        v = member(f, "minKernel");
        if (v) {
                size_t m = path_push_key(c, "minKernel");
                const char *s = NULL;

                r = parse_string(c, v, &s);
                if (r < 0)
                        return r;
                if (parse_kernel_version(s, cond.min_kernel) < 0)
                        return parse_fail(c, "invalid kernel version '%.64s', expected e.g. '5.10'", s);
                path_pop(c, m);
        }
        path_pop(c, mark);
        *ret = cond;
        return 0;
}

static int parse_arg(ParseContext *c, struct json_object *o, SeccompArg *ret) {
        struct json_object *v;
        SeccompArg arg = {};
        uint64_t index = 0;
        const char *s = NULL;
        size_t mark;
        bool found = false;
        int r;

        r = parse_object(c, o);
        if (r < 0)
                return r;

        v = member(o, "index");
        if (v) {
                mark = path_push_key(c, "index");
                r = parse_uint(c, v, SYSCALL_ARGS - 1, &index);
                if (r < 0)
                        return r;
                path_pop(c, mark);
        }
        arg.index = (unsigned) index;

        v = member(o, "value");
        if (v) {
                mark = path_push_key(c, "value");
                r = parse_uint(c, v, UINT64_MAX, &arg.value);
                if (r < 0)
                        return r;
                path_pop(c, mark);
        }

        v = member(o, "valueTwo");
        if (v) {
                mark = path_push_key(c, "valueTwo");
                r = parse_uint(c, v, UINT64_MAX, &arg.value_two);
                if (r < 0)
                        return r;
                path_pop(c, mark);
        }

        mark = path_push_key(c, "op");
        v = member(o, "op");
        if (!v)
                return parse_fail(c, "missing");
        r = parse_string(c, v, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(op_table); i++)
                if (streq(s, op_table[i].name)) {
                        arg.op = op_table[i].op;
                        found = true;
                        break;
                }
        if (!found)
                return parse_fail(c, "unknown operator '%.64s'", s);
        path_pop(c, mark);

        *ret = arg;
        return 0;
}

static int parse_rule(ParseContext *c, struct json_object *o, SeccompRule *rule) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ SeccompArg *args = NULL;
        struct json_object *name, *a;
        size_t n_args = 0, mark;
        int r;

        r = parse_object(c, o);
        if (r < 0)
                return r;

        /* Docker's old format has one "name", the current one "names". */
        name = member(o, "name");
        if (name && member(o, "names"))
                return parse_fail(c, "both 'name' and 'names' given");
        if (name) {
                const char *s = NULL;

                mark = path_push_key(c, "name");
                r = parse_string(c, name, &s);
                if (r < 0)
                        return r;
                r = add_name(c, s, &names);
                if (r < 0)
                        return r;
                path_pop(c, mark);
        } else if (!member(o, "names")) {
                path_push_key(c, "names");
                return parse_fail(c, "missing");
        } else {
                r = parse_string_array(c, o, "names", add_name, &names);
                if (r < 0)
                        return r;
        }
        /* An empty "names" array is a rule for nothing; keep the strv non-NULL so rules always have one. */
        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }

        r = parse_action(c, o, "action", "errnoRet", &rule->action);
        if (r < 0)
                return r;

        a = member(o, "args");
        if (a) {
                mark = path_push_key(c, "args");
                r = parse_array(c, a, &n_args);
                if (r < 0)
                        return r;
                c->n_args += n_args;
                if (c->n_args > PROFILE_ARGS_MAX)
                        return parse_fail(c, "more than %u args in the profile", PROFILE_ARGS_MAX);
                if (n_args > 0) {
                        args = calloc(n_args, sizeof(SeccompArg));
                        if (!args)
                                return -ENOMEM;
                }
                for (size_t i = 0; i < n_args; i++) {
                        size_t m = path_push_index(c, i);

                        r = parse_arg(c, json_object_array_get_idx(a, i), &args[i]);
                        if (r < 0)
                                return r;
                        path_pop(c, m);
                }
                path_pop(c, mark);
        }

        if (n_args > 0) {
                size_t n_names = strv_length(names);

                c->n_conditional += args_are_alternatives(args, n_args) ? n_names * n_args : n_names;
                if (c->n_conditional > PROFILE_CONDITIONAL_MAX)
                        return parse_fail(c, "more than %u syscall rules with args in the profile",
                                PROFILE_CONDITIONAL_MAX);
        }

        r = parse_condition(c, o, "includes", &rule->includes);
        if (r < 0)
                return r;
        r = parse_condition(c, o, "excludes", &rule->excludes);
        if (r < 0)
                return r;

        rule->names = (const char *const *) TAKE_PTR(names);
        rule->args = TAKE_PTR(args);
        rule->n_args = n_args;
        return 0;
}

static int parse_arch_map(ParseContext *c, struct json_object *o, SeccompProfile *p) {
        struct json_object *a;
        size_t n = 0, mark;
        int r;

        a = member(o, "archMap");
        if (!a)
                return 0;
        mark = path_push_key(c, "archMap");
        r = parse_array(c, a, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(a, i), *v;
                size_t m = path_push_index(c, i), k;
                uint32_t subs = 0;
                const char *s = NULL;
                int arch;

                r = parse_object(c, e);
                if (r < 0)
                        return r;
                k = path_push_key(c, "architecture");
                v = member(e, "architecture");
                if (!v)
                        return parse_fail(c, "missing");
                r = parse_string(c, v, &s);
                if (r < 0)
                        return r;
                arch = arch_from_string(s);
                if (arch < 0)
                        return parse_fail(c, "unknown architecture '%.64s'", s);
                path_pop(c, k);
                r = parse_string_array(c, e, "subArchitectures", add_arch, &subs);
                if (r < 0)
                        return r;
                p->arch_map[arch] |= UINT32_C(1) << arch | subs;
                path_pop(c, m);
        }
        path_pop(c, mark);
        return 0;
}

int seccomp_profile_parse(const char *json, size_t size, SeccompProfile **ret, char **reterr_msg) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        ParseContext c = { .reterr_msg = reterr_msg };
        struct json_object *syscalls;
        const char *reason = NULL;
        size_t n = 0;
        int r;

        assert(json || size == 0);
        assert(ret);

        if (size > PROFILE_SIZE_MAX)
                return parse_fail(&c, "profile is larger than 4 MiB");
        r = json_parse(json ?: "", size, &o, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return parse_fail(&c, "invalid JSON: %s", reason ?: "syntax error");
        r = parse_object(&c, o);
        if (r < 0)
                return r;

        p = calloc(1, sizeof(SeccompProfile));
        if (!p)
                return -ENOMEM;

        r = parse_action(&c, o, "defaultAction", "defaultErrnoRet", &p->default_action);
        if (r < 0)
                return r;
        r = parse_string_array(&c, o, "architectures", add_arch, &p->arches);
        if (r < 0)
                return r;
        r = parse_arch_map(&c, o, p);
        if (r < 0)
                return r;

        syscalls = member(o, "syscalls");
        if (syscalls) {
                size_t mark = path_push_key(&c, "syscalls");

                r = parse_array(&c, syscalls, &n);
                if (r < 0)
                        return r;
                if (n > PROFILE_RULES_MAX)
                        return parse_fail(&c, "more than %u rules", PROFILE_RULES_MAX);
                if (n > 0) {
                        p->owned_rules = calloc(n, sizeof(SeccompRule));
                        if (!p->owned_rules)
                                return -ENOMEM;
                        p->rules = p->owned_rules;
                        p->n_rules = n;
                }
                for (size_t i = 0; i < n; i++) {
                        size_t m = path_push_index(&c, i);

                        r = parse_rule(&c, json_object_array_get_idx(syscalls, i), &p->owned_rules[i]);
                        if (r < 0)
                                return r;
                        path_pop(&c, m);
                }
                path_pop(&c, mark);
        }

        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- compiling ---------------------------------------------------------------------------------------- */

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

typedef struct CompileContext {
        uint64_t caps;
        int native; /* arch_table index, or negative if libseccomp's native arch is not in it */
        unsigned kernel[2];
} CompileContext;

static int kernel_version_cmp(const unsigned a[2], const unsigned b[2]) {
        if (a[0] != b[0])
                return a[0] < b[0] ? -1 : 1;
        if (a[1] != b[1])
                return a[1] < b[1] ? -1 : 1;
        return 0;
}

static bool rule_applies(const SeccompRule *r, const CompileContext *cc) {
        uint32_t native = cc->native >= 0 ? UINT32_C(1) << cc->native : 0;

        if ((r->includes.caps & ~cc->caps) != 0 || (r->excludes.caps & cc->caps) != 0)
                return false;
        if ((r->includes.arches != 0 && (r->includes.arches & native) == 0) || (r->excludes.arches & native))
                return false;
        if ((r->includes.min_kernel[0] != 0 || r->includes.min_kernel[1] != 0) &&
                kernel_version_cmp(cc->kernel, r->includes.min_kernel) < 0)
                return false;
        if ((r->excludes.min_kernel[0] != 0 || r->excludes.min_kernel[1] != 0) &&
                kernel_version_cmp(cc->kernel, r->excludes.min_kernel) >= 0)
                return false;
        return true;
}

static int compile_fail(char **reterr_msg, int r, const char *format, ...) _printf_(3, 4);
static int compile_fail(char **reterr_msg, int r, const char *format, ...) {
        va_list ap;
        char *msg;

        if (!reterr_msg)
                return r;
        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        *reterr_msg = msg;
        return r;
}

static int add_rule(scmp_filter_ctx ctx, const SeccompRule *rule, size_t i, char **reterr_msg) {
        struct scmp_arg_cmp cmp[SYSCALL_ARGS];
        bool alternatives = args_are_alternatives(rule->args, rule->n_args);

        if (!alternatives)
                for (size_t j = 0; j < rule->n_args; j++)
                        cmp[j] = (struct scmp_arg_cmp){
                                .arg = rule->args[j].index,
                                .op = rule->args[j].op,
                                .datum_a = rule->args[j].value,
                                .datum_b = rule->args[j].value_two,
                        };

        for (const char *const *name = rule->names; *name; name++) {
                int nr, r;

                /* Resolved for the native architecture, or a pseudo number libseccomp maps per architecture
                 * (and drops where the syscall does not exist); unknown names are ones this libseccomp is
                 * too old for. */
                nr = seccomp_syscall_resolve_name(*name);
                if (nr == __NR_SCMP_ERROR)
                        continue;

                if (!alternatives) {
                        r = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned) rule->n_args, cmp);
                        if (r < 0)
                                return compile_fail(reterr_msg, r, "syscalls[%zu]: adding '%s' failed: %s",
                                        i, *name, strerror(-r));
                        continue;
                }
                for (size_t j = 0; j < rule->n_args; j++) {
                        struct scmp_arg_cmp one = {
                                .arg = rule->args[j].index,
                                .op = rule->args[j].op,
                                .datum_a = rule->args[j].value,
                                .datum_b = rule->args[j].value_two,
                        };

                        r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &one);
                        if (r < 0)
                                return compile_fail(reterr_msg, r,
                                        "syscalls[%zu].args[%zu]: adding '%s' failed: %s", i, j, *name,
                                        strerror(-r));
                }
        }
        return 0;
}

static int export_bpf(scmp_filter_ctx ctx, void **ret_prog, size_t *ret_size, char **reterr_msg) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ void *prog = NULL;
        struct stat st;
        size_t size, done = 0;
        int r;

        fd = RET_NERRNO(memfd_create("berth-seccomp", MFD_CLOEXEC));
        if (fd < 0)
                return fd;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return compile_fail(reterr_msg, r, "exporting the filter failed: %s", strerror(-r));
        r = RET_NERRNO(fstat(fd, &st));
        if (r < 0)
                return r;

        size = (size_t) st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return compile_fail(reterr_msg, -EIO, "libseccomp exported %zu bytes, not a BPF program",
                        size);
        if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return compile_fail(reterr_msg, -E2BIG,
                        "the filter has %zu instructions, more than the kernel's limit of %u",
                        size / sizeof(struct sock_filter), (unsigned) BPF_MAXINSNS);

        prog = malloc(size);
        if (!prog)
                return -ENOMEM;
        while (done < size) {
                r = RET_NERRNO(pread(fd, (uint8_t *) prog + done, size - done, (off_t) done));
                if (r < 0)
                        return r;
                if (r == 0)
                        return -EIO;
                done += (size_t) r;
        }

        *ret_prog = TAKE_PTR(prog);
        *ret_size = size;
        return 0;
}

int seccomp_profile_compile(const SeccompProfile *p, uint64_t caps, void **ret_prog, size_t *ret_size,
        char **reterr_msg) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        CompileContext cc = { .caps = caps };
        struct utsname u;
        uint32_t arches = 0;
        int r;

        assert(p);
        assert(ret_prog);
        assert(ret_size);

        cc.native = arch_native();
        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &cc.kernel[0], &cc.kernel[1]) != 2)
                cc.kernel[0] = cc.kernel[1] = 0; /* then no minKernel rule applies */

        ctx = seccomp_init(p->default_action);
        if (!ctx)
                return compile_fail(reterr_msg, -ENOMEM, "creating a libseccomp filter failed");

        /* A syscall from an architecture the filter does not know is not executed, whatever the default. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
        if (r < 0)
                return compile_fail(reterr_msg, r, "setting the bad-architecture action failed: %s",
                        strerror(-r));
        /* Binary search over syscall numbers instead of a linear chain of a few hundred comparisons. */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

        if (cc.native >= 0) {
                uint32_t listed = p->arches | p->arch_map[cc.native];

                arches = arch_table[cc.native].compat | (listed & arch_table[cc.native].can_run);
        }
        for (int a = 0; a < _ARCH_MAX; a++) {
                if (!(arches & (UINT32_C(1) << a)))
                        continue;
                r = seccomp_arch_add(ctx, arch_table[a].token);
                if (r < 0 && r != -EEXIST)
                        return compile_fail(reterr_msg, r, "adding architecture '%s' failed: %s",
                                arch_table[a].name, strerror(-r));
        }

        for (size_t i = 0; i < p->n_rules; i++) {
                const SeccompRule *rule = p->rules + i;

                /* libseccomp refuses rules that repeat the default action; they change nothing anyway */
                if (rule->action == p->default_action || !rule_applies(rule, &cc))
                        continue;
                r = add_rule(ctx, rule, i, reterr_msg);
                if (r < 0)
                        return r;
        }

        return export_bpf(ctx, ret_prog, ret_size, reterr_msg);
}

/* ---- cache key -------------------------------------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
        const unsigned char *p = data;

        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/* A hash of the profile as the compiler sees it: a change to the built-in tables changes the key even
 * while the version number stays the same. */
static uint64_t profile_hash(const SeccompProfile *p) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        h = fnv1a(h, &p->default_action, sizeof(p->default_action));
        h = fnv1a(h, &p->arches, sizeof(p->arches));
        h = fnv1a(h, p->arch_map, sizeof(p->arch_map));
        for (size_t i = 0; i < p->n_rules; i++) {
                const SeccompRule *r = p->rules + i;

                for (const char *const *n = r->names; n && *n; n++)
                        h = fnv1a(h, *n, strlen(*n) + 1);
                h = fnv1a(h, &r->action, sizeof(r->action));
                for (size_t k = 0; k < r->n_args; k++) {
                        h = fnv1a(h, &r->args[k].index, sizeof(r->args[k].index));
                        h = fnv1a(h, &r->args[k].op, sizeof(r->args[k].op));
                        h = fnv1a(h, &r->args[k].value, sizeof(r->args[k].value));
                        h = fnv1a(h, &r->args[k].value_two, sizeof(r->args[k].value_two));
                }
                h = fnv1a(h, &r->includes, sizeof(r->includes));
                h = fnv1a(h, &r->excludes, sizeof(r->excludes));
        }
        return h;
}

int seccomp_profile_cache_key(const char *json, uint64_t caps, char **ret) {
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        uint64_t h;
        char *key;

        if (uname(&u) < 0)
                return -errno;
        if (json)
                h = fnv1a(UINT64_C(0xcbf29ce484222325), json, strlen(json));
        else {
                _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
                int r = seccomp_profile_new_default(&p);

                if (r < 0)
                        return r;
                h = profile_hash(p);
        }
        key = asprintf_safe("berth %s libseccomp %u.%u.%u kernel %s %s caps %016" PRIx64
                            " profile %s %zu %016" PRIx64,
                PROJECT_VERSION, v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.release, u.machine,
                caps, json ? "custom" : "builtin", json ? strlen(json) : 0, h);
        if (!key)
                return -ENOMEM;
        *ret = key;
        return 0;
}
