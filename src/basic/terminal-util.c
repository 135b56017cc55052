/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "terminal-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fd-util.h"

#define CTRL_P 0x10
#define CTRL_Q 0x11

int pty_open(int *ret_master, int *ret_peer) {
        _cleanup_close_ int master = -EBADF;
        int unlock = 0, peer;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (master < 0)
                return -errno;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return -errno;
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return -errno;
        *ret_master = TAKE_FD(master);
        *ret_peer = peer;
        return 0;
}

int terminal_copy_window_size(int fd) {
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
                return -ENOTTY;
        return RET_NERRNO(ioctl(fd, TIOCSWINSZ, &ws));
}

int terminal_make_raw(int fd, TerminalState *state) {
        struct termios raw;

        state->raw = false;
        state->fd = fd;
        if (tcgetattr(fd, &state->saved) < 0)
                return -errno;
        raw = state->saved;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return -errno;
        state->raw = true;
        return 0;
}

void terminal_restore(TerminalState *state) {
        if (state->raw)
                (void) tcsetattr(state->fd, TCSADRAIN, &state->saved);
        state->raw = false;
}

bool detach_keys_filter(const char *in, size_t n, char *out, size_t *ret_n, bool *pending) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (*pending && in[i] == CTRL_Q) {
                        *pending = false;
                        *ret_n = k;
                        return true;
                }
                if (*pending)
                        out[k++] = CTRL_P;
                *pending = in[i] == CTRL_P;
                if (!*pending)
                        out[k++] = in[i];
        }
        *ret_n = k;
        return false;
}

void terminal_hold_master(int master) {
        char buf[4096];
        int fd;

        if (fork() != 0)
                return;
        (void) setsid();
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; fd >= 0 && i < 3; i++)
                (void) dup2(fd, i);
        (void) fcntl(master, F_SETFL, 0);
        while (read(master, buf, sizeof(buf)) > 0 || errno == EINTR)
                ;
        _exit(0);
}
