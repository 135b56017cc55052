/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/ioctl.h>

/* `berth run -i`/`-t` hands the terminal or pipes of the CLI to the container's PID 1 over a unix
 * SOCK_SEQPACKET socket at STDIO_HANDOVER_DIR/NAME.sock that the CLI listens on while it starts the unit;
 * berth-runtime connects during the start. One message each way:
 *
 *   -i:  CLI → runtime   'i' with SCM_RIGHTS { stdin, stdout, stderr }: the container uses them as they are
 *   -t:  CLI → runtime   't' and the CLI terminal's struct winsize
 *        runtime → CLI   't' with SCM_RIGHTS { pty master }: the container's PID 1 opened the pty in its
 *                        own devpts and has the peer as its controlling terminal; the CLI relays */

#define STDIO_HANDOVER_DIR "/run/berth/stdio"

typedef struct StdioHandover {
        char mode; /* 'i' or 't' */
        struct winsize size; /* 't' */
} StdioHandover;

/* Sends msg with the n fds (n <= 3). No allocation: safe between clone() and execve(). */
int stdio_handover_send(int sock, const StdioHandover *msg, const int *fds, size_t n);

/* Receives a message and up to 3 fds (the others set to -EBADF), waiting at most timeout_ms. -EBADMSG for a
 * malformed message; the fds of one are closed. */
int stdio_handover_recv(int sock, int timeout_ms, StdioHandover *ret_msg, int ret_fds[static 3],
        size_t *ret_n);
