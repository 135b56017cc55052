/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

/* Opens a new pty in the mount namespace and root we are in (its /dev/ptmx, so the terminal belongs to
 * that devpts): the master non-blocking, the peer through the master (TIOCGPTPEER), never by a path
 * someone else could swap. Both CLOEXEC and without controlling-terminal side effects. */
int pty_open(int *ret_master, int *ret_peer);

/* Copies the window size of our stdin, or else stdout, to the terminal fd; -ENOTTY if neither has one. */
int terminal_copy_window_size(int fd);

typedef struct TerminalState {
        struct termios saved;
        int fd;
        bool raw;
} TerminalState;

/* Puts the terminal fd in raw mode (cfmakeraw), remembering the old settings in *state for
 * terminal_restore(), which does nothing unless raw mode was set. */
int terminal_make_raw(int fd, TerminalState *state);
void terminal_restore(TerminalState *state);

/* Docker's default detach keys, ctrl-p ctrl-q. Copies n bytes of input from in to out (room for n + 1
 * bytes), holding a ctrl-p back until the next byte shows whether it starts the sequence; *pending carries
 * a held ctrl-p from one call to the next. Returns true when the sequence is complete: out then holds the
 * input before it. *ret_n is the number of bytes in out. */
bool detach_keys_filter(const char *in, size_t n, char *out, size_t *ret_n, bool *pending);

/* After a detach (ctrl-p ctrl-q) someone has to keep a pty's master open, or the command on it gets
 * SIGHUP: forks a process in a session of its own that reads the master until the last user of the
 * terminal is gone, and returns in the parent. */
void terminal_hold_master(int master);
