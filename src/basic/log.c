/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int log_max_level = LOG_INFO;
static const char *log_program = "berth";
static bool log_to_journal_stream = false;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg",
        [LOG_ALERT] = "alert",
        [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",
        [LOG_WARNING] = "warning",
        [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",
        [LOG_DEBUG] = "debug",
};

int log_set_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (strcmp(s, level_names[i]) == 0 || (i == LOG_ERR && strcmp(s, "error") == 0)) {
                        log_max_level = (int) i;
                        return 0;
                }
        return -EINVAL;
}

int log_get_level(void) {
        return log_max_level;
}

void log_set_level(int level) {
        log_max_level = level;
}

/* systemd sets $JOURNAL_STREAM to "dev:ino" of the stream it connected to our stderr. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_setup(const char *program) {
        const char *e;

        if (program)
                log_program = program;
        e = getenv("BERTH_LOG_LEVEL");
        if (e && log_set_level_from_string(e) < 0)
                fprintf(stderr, "%s: invalid $BERTH_LOG_LEVEL '%s', ignoring\n", log_program, e);
        log_to_journal_stream = stderr_is_journal();
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format,
        ...) {
        int saved_errno = errno;
        int e = ERRNO_VALUE(error);
        char msg[4096];
        va_list ap;

        if (e < 0)
                e = -e;
        if (level > log_max_level)
                goto out;

        /* %m in the format means the error we were given, not whatever errno happens to be. */
        errno = e;
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (log_to_journal_stream)
                /* journald parses the "<N>" prefix as the priority */
                fprintf(stderr, "<%d>%s\n", level, msg);
        else if (log_max_level >= LOG_DEBUG)
                fprintf(stderr, "%s: %s (%s:%d %s)\n", log_program, msg, file, line, func);
        else
                fprintf(stderr, "%s: %s\n", log_program, msg);

out:
        errno = saved_errno;
        if (error == 0)
                return -EINVAL;
        return -e;
}
