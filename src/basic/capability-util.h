/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Capability sets as 64-bit masks: bit n is capability n of <linux/capability.h>. */

#define CAP_MASK(c) (UINT64_C(1) << (c))

/* Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
 * SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE. */
uint64_t cap_mask_default(void);

/* Every capability this build knows by name (0 .. CAP_CHECKPOINT_RESTORE). */
uint64_t cap_mask_all(void);

/* The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap), or the highest this
 * build knows when that cannot be read. */
unsigned cap_last_cap(void);

/* "CAP_NET_ADMIN" for 12; NULL for unknown numbers. */
const char *cap_to_name(unsigned cap);

/* "NET_ADMIN", "cap_net_admin", "CAP_NET_ADMIN" → 12; -EINVAL for anything else ("ALL" included). */
int cap_from_name(const char *name);

/* Docker's rules for --cap-add/--cap-drop/--privileged on top of the default set: privileged gives every
 * capability; "ALL" in add gives every capability but those dropped; "ALL" in drop keeps only those added;
 * otherwise the default set minus drop, plus add (add wins). Names are as cap_from_name() takes them; the
 * first unknown one is returned in *reterr_name with -EINVAL. */
int cap_mask_tweak(char *const *add, char *const *drop, bool privileged, uint64_t *ret,
        const char **reterr_name);

/* For a process about to execve() the container's command: removes every capability not in keep from the
 * bounding set and clears the inheritable and ambient sets, so execve() gives root exactly keep and another
 * user none. The permitted and effective sets stay as they are, for setuid() and the like that follow.
 * Needs CAP_SETPCAP. No allocation: safe between clone() and execve(). */
int cap_drop_bounding(uint64_t keep);

/* Limits the permitted and effective sets to keep (the last step before execve() as root). */
int cap_limit(uint64_t keep);
