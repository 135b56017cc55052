/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* `berth run -i`/`-t` in the foreground: a helper process of ours listens on the container's handover
 * socket (stdio-handover.h) while the unit starts. With -i it hands berth-runtime our stdin, stdout and
 * stderr, so the container reads and writes them directly (binary-safe, end of input passes on). With -t
 * it receives the master of the pty the container's PID 1 opened in its own devpts and relays our
 * terminal to it (raw mode, window size changes, ctrl-p ctrl-q detaches) until the container is gone. */

#define RUN_STDIO_DETACHED 3 /* the helper's exit status after ctrl-p ctrl-q */

/* Our terminal to a pty master and back until the container's side is gone (EIO): raw mode with
 * interactive, window size changes, ctrl-p ctrl-q detaches (then, with hold_on_detach, a process of ours
 * keeps the master open). Returns 0, RUN_STDIO_DETACHED, or 1 on errors and SIGTERM/SIGHUP. */
int terminal_relay(int master, bool interactive, bool hold_on_detach);

/* Listens at STDIO_HANDOVER_DIR/NAME.sock and forks the helper. Returns its PID, or a negative errno. */
pid_t run_stdio_begin(const char *name, bool tty, bool interactive);

/* Whether the helper has ended because the user detached (non-blocking). */
bool run_stdio_detached(pid_t helper);

/* Once the container is gone (or never started): lets the helper finish relaying what the container
 * wrote last, stops it if it is still waiting for a connection, and removes the socket. */
void run_stdio_end(const char *name, pid_t helper);
