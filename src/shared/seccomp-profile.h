/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* A seccomp profile: berth's built-in default or one in Docker's JSON format, compiled with libseccomp into
 * a classic BPF program that seccomp_bpf_load() (src/basic/seccomp-bpf.h) applies without libseccomp. */
typedef struct SeccompProfile SeccompProfile;

SeccompProfile *seccomp_profile_free(SeccompProfile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SeccompProfile *, seccomp_profile_free);

/* berth's built-in default profile. Syscalls it has never heard of fail with ENOSYS, so a libc newer than
 * the profile falls back to older calls; the ones it knows and refuses fail with EPERM unless the
 * container holds the capability that the kernel itself checks for them (CAP_SYS_ADMIN for mount(),
 * CAP_SYS_TIME for settimeofday(), ...). */
int seccomp_profile_new_default(SeccompProfile **ret);

/* Parses a profile in Docker's JSON format: defaultAction, defaultErrnoRet, architectures, archMap,
 * syscalls[] {name | names[], action, errnoRet, args[] {index, value, valueTwo, op}, includes/excludes
 * {caps[], arches[], minKernel}}. Actions: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL,
 * SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_LOG, SCMP_ACT_TRACE (errnoRet as
 * its value; EPERM when absent, as runc does). Ops: SCMP_CMP_NE, LT, LE, EQ, GE, GT, MASKED_EQ (value is the
 * mask, valueTwo the expected result). Several args on the same index are alternatives (one rule each, as
 * runc does); args on different indexes must all match. Unknown keys are ignored (Docker ignores them too);
 * wrong types, unknown actions/ops/arches/caps, index > 5 are errors. On error returns -EBADMSG and
 * *reterr_msg (if non-NULL) = a malloc'd message starting with the JSON path, e.g.
 * "syscalls[3].action: unknown action 'SCMP_ACT_FOO'" or "defaultAction: missing". Bounded: input larger
 * than 4 MiB, more than 4096 rules/names/args, or more than 512 syscall rules with args (a name in a rule
 * with args counts once, or once per arg if they are alternatives) is an error, since libseccomp's time
 * grows steeply with those. */
int seccomp_profile_parse(const char *json, size_t size, SeccompProfile **ret, char **reterr_msg);

/* Compiles p for this host's native architecture plus its compatible ones (x86_64: also x86 and x32;
 * aarch64: also arm; others: native only; plus any listed in the profile's architectures, or its archMap
 * entry for the native architecture, that the native kernel can run), given the container's capability set
 * caps (bit n = capability n, as in <linux/capability.h>; rules with includes.caps apply only if all those
 * caps are in the set, excludes.caps only if none are). includes/excludes.arches are matched against the
 * native architecture and minKernel against the running kernel, as Docker does. Syscall names libseccomp
 * does not know on an arch are skipped, not errors, and so are rules whose action is the default action.
 * As in libseccomp, a rule without args for a syscall overrides that syscall's rules with args.
 * Calls from an architecture the program does not cover fail with ENOSYS. Returns the classic BPF program
 * (malloc'd array of struct sock_filter) in *ret_prog and its size in bytes in *ret_size. Errors: -E2BIG
 * when the program exceeds the kernel's BPF_MAXINSNS, libseccomp's error otherwise, with a message in
 * *reterr_msg (if non-NULL). */
int seccomp_profile_compile(const SeccompProfile *p, uint64_t caps, void **ret_prog, size_t *ret_size,
        char **reterr_msg);

/* A line naming everything a compiled program depends on, for caching it: berth's and libseccomp's
 * versions, the kernel release and architecture, caps, and the profile: the built-in one (json NULL) by a
 * hash of its tables, so editing them invalidates caches; a custom one by its length and a 64-bit FNV-1a
 * hash of its text (not collision-proof: keep such a cache where only that profile is used). */
int seccomp_profile_cache_key(const char *json, uint64_t caps, char **ret);
