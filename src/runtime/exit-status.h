/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Docker's exit codes: the command's own status, 128+signal when it was killed, and for failures before
 * the command ran 125 (setup), 126 (found but not executable), 127 (not found). */
#define EXIT_SETUP_FAILED 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

/* "TERM", "SIGTERM" or "15" → 15; -EINVAL otherwise. Names as systemd prints them in $EXIT_STATUS. */
int signal_from_string(const char *s);
/* 15 → "TERM"; NULL for unknown numbers. */
const char *signal_to_string(int sig);

/* The exit code for an execve() failure: 127 for "not found", 126 for the rest. */
int exit_code_from_exec_errno(int error);

/* From ExecStopPost='s $EXIT_CODE ("exited", "killed", "dumped") and $EXIT_STATUS (a number or a signal
 * name) to Docker's exit code. -EINVAL if they don't make sense, -ENODATA if $EXIT_CODE is unset. */
int exit_code_from_service_result(const char *exit_code, const char *exit_status, int *ret);
