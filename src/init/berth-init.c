/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-init: the tiny PID 1 that `berth run --init` puts in front of the command, bind-mounted read-only at
 * /dev/init. It runs "berth-init -- CMD ARGS...", forwards termination and job-control signals to CMD (which
 * as PID 1 would ignore the ones it has no handler for), reaps every orphan that ends up with it, and exits
 * with CMD's status, or 128+signal when CMD was killed. Static and libc-only, so it runs in any image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static int status_to_exit_code(int status) {
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

/* Reaps every exited child; returns the main child's exit code once it is among them, else -1. */
static int reap(pid_t main_pid) {
        int code = -1;

        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);

                if (pid <= 0) {
                        if (pid < 0 && errno == EINTR)
                                continue;
                        return code;
                }
                if (pid == main_pid)
                        code = status_to_exit_code(status);
        }
}

int main(int argc, char *argv[]) {
        sigset_t all, old;
        int first = 1;
        pid_t pid;

        if (argc > 1 && strcmp(argv[1], "--") == 0)
                first = 2;
        if (first >= argc) {
                fprintf(stderr, "Usage: berth-init -- COMMAND [ARGS...]\n");
                return 125;
        }

        /* Block everything before forking, so no signal is lost between fork and the wait loop; the
         * child restores the mask it inherited. */
        sigfillset(&all);
        if (sigprocmask(SIG_SETMASK, &all, &old) < 0) {
                perror("berth-init: sigprocmask");
                return 125;
        }

        pid = fork();
        if (pid < 0) {
                perror("berth-init: fork");
                return 125;
        }
        if (pid == 0) {
                (void) sigprocmask(SIG_SETMASK, &old, NULL);
                /* its own process group, so a terminal's job-control signals reach it, not us */
                (void) setpgid(0, 0);
                execvp(argv[first], argv + first);
                fprintf(stderr, "berth-init: exec '%s': %s\n", argv[first], strerror(errno));
                _exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
        }

        for (;;) {
                siginfo_t si;
                int sig, code;

                sig = sigwaitinfo(&all, &si);
                if (sig < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("berth-init: sigwaitinfo");
                        return 125;
                }
                if (sig == SIGCHLD) {
                        code = reap(pid);
                        if (code >= 0)
                                return code;
                        continue;
                }
                for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
                        if (sig == forwarded[i]) {
                                (void) kill(pid, sig);
                                break;
                        }
        }
}
