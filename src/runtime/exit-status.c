/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "exit-status.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "exec-path.h"
#include "exec-user.h"
#include "macro.h"
#include "string-util.h"

static const char *const signal_table[] = {
        [SIGHUP] = "HUP",
        [SIGINT] = "INT",
        [SIGQUIT] = "QUIT",
        [SIGILL] = "ILL",
        [SIGTRAP] = "TRAP",
        [SIGABRT] = "ABRT",
        [SIGBUS] = "BUS",
        [SIGFPE] = "FPE",
        [SIGKILL] = "KILL",
        [SIGUSR1] = "USR1",
        [SIGSEGV] = "SEGV",
        [SIGUSR2] = "USR2",
        [SIGPIPE] = "PIPE",
        [SIGALRM] = "ALRM",
        [SIGTERM] = "TERM",
#ifdef SIGSTKFLT
        [SIGSTKFLT] = "STKFLT",
#endif
        [SIGCHLD] = "CHLD",
        [SIGCONT] = "CONT",
        [SIGSTOP] = "STOP",
        [SIGTSTP] = "TSTP",
        [SIGTTIN] = "TTIN",
        [SIGTTOU] = "TTOU",
        [SIGURG] = "URG",
        [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ",
        [SIGVTALRM] = "VTALRM",
        [SIGPROF] = "PROF",
        [SIGWINCH] = "WINCH",
        [SIGIO] = "IO",
        [SIGPWR] = "PWR",
        [SIGSYS] = "SYS",
};

const char *signal_to_string(int sig) {
        if (sig <= 0 || (size_t) sig >= ELEMENTSOF(signal_table))
                return NULL;
        return signal_table[sig];
}

int signal_from_string(const char *s) {
        unsigned n;

        if (isempty(s))
                return -EINVAL;
        if (exec_user_parse_id(s, strlen(s), &n) >= 0)
                return n > 0 && n < _NSIG ? (int) n : -EINVAL;
        s = startswith(s, "SIG") ?: s;
        for (size_t i = 1; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i] && streq(signal_table[i], s))
                        return (int) i;
        /* systemd prints real-time signals as "RTMIN+n" */
        if (startswith(s, "RTMIN+") && exec_user_parse_id(s + 6, strlen(s + 6), &n) >= 0 &&
                SIGRTMIN + (int) n <= SIGRTMAX)
                return SIGRTMIN + (int) n;
        return -EINVAL;
}

int exit_code_from_exec_errno(int error) {
        /* one rule for berth-runtime and berth-exec, which links only src/basic */
        return exec_path_exit_code(error);
}

int exit_code_from_service_result(const char *exit_code, const char *exit_status, int *ret) {
        unsigned n;
        int sig;

        if (isempty(exit_code))
                return -ENODATA;
        if (streq(exit_code, "exited")) {
                if (!exit_status || exec_user_parse_id(exit_status, strlen(exit_status), &n) < 0 || n > 255)
                        return -EINVAL;
                *ret = (int) n;
                return 0;
        }
        if (streq(exit_code, "killed") || streq(exit_code, "dumped")) {
                sig = signal_from_string(exit_status);
                if (sig < 0)
                        return sig;
                *ret = 128 + sig;
                return 0;
        }
        return -EINVAL;
}
