/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the Docker seccomp profile parser. A rejected profile must say why (a message
 * starting with its JSON path); an accepted one must compile, for a container without capabilities, into
 * a program the kernel would take (whole instructions, at most BPF_MAXINSNS), or fail with a message.
 *
 * libseccomp 2.5.4 itself leaks a few hundred bytes when overlapping rules with args meet x86's multiplexed
 * socketcall()/ipc() syscalls (e.g. two comparisons of shmdt()'s second argument); LeakSanitizer reports
 * those from inside libseccomp.so, so long libFuzzer runs want -detect_leaks=0. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_free_ char *msg = NULL, *compile_msg = NULL;
        _cleanup_free_ void *prog = NULL;
        size_t prog_size = 0;
        int r;

        /* compiling thousands of rules is slow and says nothing new */
        if (size > 64 * 1024)
                return 0;

        r = seccomp_profile_parse((const char *) data, size, &p, &msg);
        if (r < 0) {
                if (r != -EBADMSG && r != -ENOMEM)
                        abort();
                if (r == -EBADMSG && (!msg || !strchr(msg, ':')))
                        abort();
                if (p)
                        abort();
                return 0;
        }
        if (!p || msg)
                abort();

        r = seccomp_profile_compile(p, /* caps= */ 0, &prog, &prog_size, &compile_msg);
        if (r < 0) {
                if (r != -ENOMEM && !compile_msg)
                        abort();
                return 0;
        }
        if (!prog || prog_size == 0 || prog_size % 8 != 0 || prog_size / 8 > 4096)
                abort();
        return 0;
}
