/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* berth-runtime's verbs, as the ExecStart= and ExecStopPost= of berth@NAME.service. */

/* Builds container NAME of the store at root and execs its command as PID 1 of new namespaces: once it is
 * set up, systemd gets MAINPID=, then the command is released to exec, then READY=1. On failure returns a
 * negative errno with Docker's exit code (125, 126, 127) in reterr_exit_code and a message naming what
 * failed in reterr_msg (both also recorded in state.json). Returns 1 with the same details when execve()
 * failed after the handover: the container's PID 1, now systemd's main process, exits with that code. */
int runtime_start(const char *root, const char *name, int *reterr_exit_code, char **reterr_msg);

/* ExecStopPost=: records FinishedAt and ExitCode from $EXIT_CODE/$EXIT_STATUS/$SERVICE_RESULT, and removes
 * an AutoRemove container (its drop-in lives in unit_dir). A container that no longer exists is not an
 * error (returns 0). */
int runtime_poststop(const char *root, const char *name, const char *unit_dir);
