/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "capability-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "macro.h"
#include "string-util.h"

#define CAP_LAST_KNOWN 40 /* CAP_CHECKPOINT_RESTORE */

static const char *const cap_names[CAP_LAST_KNOWN + 1] = {
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
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
};

uint64_t cap_mask_default(void) {
        return CAP_MASK(CAP_CHOWN) | CAP_MASK(CAP_DAC_OVERRIDE) | CAP_MASK(CAP_FSETID) |
                CAP_MASK(CAP_FOWNER) | CAP_MASK(CAP_MKNOD) | CAP_MASK(CAP_NET_RAW) | CAP_MASK(CAP_SETGID) |
                CAP_MASK(CAP_SETUID) | CAP_MASK(CAP_SETFCAP) | CAP_MASK(CAP_SETPCAP) |
                CAP_MASK(CAP_NET_BIND_SERVICE) | CAP_MASK(CAP_SYS_CHROOT) | CAP_MASK(CAP_KILL) |
                CAP_MASK(CAP_AUDIT_WRITE);
}

uint64_t cap_mask_all(void) {
        return (CAP_MASK(CAP_LAST_KNOWN) << 1) - 1;
}

unsigned cap_last_cap(void) {
        static unsigned cached = 0;
        char buf[16] = {};
        unsigned long v;
        char *end;
        ssize_t n;
        int fd;

        if (cached > 0)
                return cached;
        fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return CAP_LAST_KNOWN;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return CAP_LAST_KNOWN;
        v = strtoul(buf, &end, 10);
        if (end == buf || v == 0 || v > 63)
                return CAP_LAST_KNOWN;
        cached = (unsigned) v;
        return cached;
}

const char *cap_to_name(unsigned cap) {
        return cap < ELEMENTSOF(cap_names) ? cap_names[cap] : NULL;
}

int cap_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (strcasecmp(name, cap_names[i]) == 0 || strcasecmp(name, cap_names[i] + 4) == 0)
                        return (int) i;
        return -EINVAL;
}

static bool is_all(const char *s) {
        return strcasecmp(s, "ALL") == 0 || strcasecmp(s, "CAP_ALL") == 0;
}

static int names_to_mask(char *const *l, uint64_t *ret_mask, bool *ret_all, const char **reterr_name) {
        uint64_t m = 0;
        bool all = false;

        for (; l && *l; l++) {
                int c;

                if (is_all(*l)) {
                        all = true;
                        continue;
                }
                c = cap_from_name(*l);
                if (c < 0) {
                        if (reterr_name)
                                *reterr_name = *l;
                        return -EINVAL;
                }
                m |= CAP_MASK(c);
        }
        *ret_mask = m;
        *ret_all = all;
        return 0;
}

int cap_mask_tweak(char *const *add, char *const *drop, bool privileged, uint64_t *ret,
        const char **reterr_name) {
        uint64_t a, d;
        bool add_all, drop_all;
        int r;

        r = names_to_mask(add, &a, &add_all, reterr_name);
        if (r < 0)
                return r;
        r = names_to_mask(drop, &d, &drop_all, reterr_name);
        if (r < 0)
                return r;
        if (privileged)
                *ret = cap_mask_all();
        else if (add_all)
                *ret = cap_mask_all() & ~d;
        else if (drop_all)
                *ret = a;
        else
                *ret = (cap_mask_default() & ~d) | a;
        return 0;
}

static int cap_get(struct __user_cap_header_struct *h, struct __user_cap_data_struct d[static 2]) {
        *h = (struct __user_cap_header_struct){ .version = _LINUX_CAPABILITY_VERSION_3 };
        return RET_NERRNO(syscall(SYS_capget, h, d));
}

int cap_drop_bounding(uint64_t keep) {
        struct __user_cap_header_struct h;
        struct __user_cap_data_struct d[2] = {};
        unsigned last = cap_last_cap();
        int r;

        for (unsigned c = 0; c <= last; c++) {
                if (keep & CAP_MASK(c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        r = cap_get(&h, d);
        if (r < 0)
                return r;
        d[0].inheritable = d[1].inheritable = 0;
        return RET_NERRNO(syscall(SYS_capset, &h, d));
}

int cap_limit(uint64_t keep) {
        struct __user_cap_header_struct h;
        struct __user_cap_data_struct d[2] = {};
        int r;

        r = cap_get(&h, d);
        if (r < 0)
                return r;
        d[0].permitted &= (uint32_t) keep;
        d[1].permitted &= (uint32_t) (keep >> 32);
        d[0].effective &= (uint32_t) keep;
        d[1].effective &= (uint32_t) (keep >> 32);
        return RET_NERRNO(syscall(SYS_capset, &h, d));
}
