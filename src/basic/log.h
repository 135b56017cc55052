/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* Sets the program name and level (from $BERTH_LOG_LEVEL), and picks the journal when $JOURNAL_STREAM names
 * our stderr. */
void log_setup(const char *program);
/* For a systemd generator, which runs before journald at boot and must never block PID 1: messages go to
 * the kernel log (/dev/kmsg, which journald imports, with the program as SYSLOG_IDENTIFIER), else, where
 * there is none (containers), to journald's socket without blocking, else to stderr; to stderr when that is
 * a terminal or $BERTH_LOG_TARGET is "console". */
void log_setup_generator(const char *program);
int log_set_level_from_string(const char *s);
int log_get_level(void);
void log_set_level(int level);

/* Logs at "level"; with error != 0 "%m" expands to that error. Returns -ERRNO_VALUE(error) for error != 0
 * (or -EINVAL when error is 0) so callers can "return log_error_errno(r, ...)". */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...)
        _printf_(6, 7);

#define log_full_errno(level, error, ...)                                                                   \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
