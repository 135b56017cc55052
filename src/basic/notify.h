/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The service manager's notification protocol ($NOTIFY_SOCKET, see sd_notify(3)), for programs that would
 * otherwise link libsystemd (and the compression and crypto libraries it loads) for two calls.
 *
 * notify_send() sends STATE ("READY=1", "MAINPID=42", newline-separated assignments): 1 when sent, 0 when
 * $NOTIFY_SOCKET is not set, a negative errno on failure (an address that is neither a path nor an
 * abstract "@name" gives -EAFNOSUPPORT). notify_barrier() returns once the manager has read everything
 * sent before it (1), 0 without $NOTIFY_SOCKET, -ETIMEDOUT after TIMEOUT_USEC. */
int notify_send(const char *state);
int notify_barrier(uint64_t timeout_usec);
