/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container started with -t in the background (`run -itd`, `start`, a restart by systemd) has nobody to
 * hand its pty master to. berth-runtime forks this holder into the unit: it receives the master from the
 * container's PID 1 on sock, writes the container's output to the unit's journal stream while nobody is
 * attached, and gives `berth attach` a copy of the master over ATTACH_DIR/NAME.sock (one client at a
 * time, and it stops reading meanwhile). It exits when the container's side of the pty is gone. The only
 * berth process that stays with a container, and only with -t. */

#define TTY_ATTACH_DIR "/run/berth/attach"

/* Forks the holder; returns in the parent (0, or a negative errno). The child owns sock. */
int tty_holder_start(const char *name, int sock);
