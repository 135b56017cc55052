/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd-util.h"
#include "string-util.h"

static int log_max_level = LOG_INFO;
static const char *log_program = "berth";
static bool log_to_journal_stream = false;
/* log_setup_generator(): where messages go. The fds live until exit, as the logging does. */
static int log_kmsg_fd = -EBADF, log_journal_fd = -EBADF;

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

void log_setup_generator(const char *program) {
        static const struct sockaddr_un sa = { .sun_family = AF_UNIX,
                .sun_path = "/run/systemd/journal/socket" };

        log_setup(program);
        if (isatty(STDERR_FILENO) || streq_ptr(getenv("BERTH_LOG_TARGET"), "console"))
                return;
        log_kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (log_kmsg_fd >= 0)
                return;
        log_journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (log_journal_fd >= 0 && connect(log_journal_fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                log_journal_fd = safe_close(log_journal_fd);
}

/* One write() per record: the kernel takes a record per write. (Not dprintf(): glibc's wants to lseek()
 * the fd, which /dev/kmsg refuses.) */
static int log_write_kmsg(int level, const char *msg) {
        char buf[1024];
        int n;

        n = snprintf(buf, sizeof(buf), "<%d>%s[%d]: %s\n", level, log_program, (int) getpid(), msg);
        if (n < 0)
                return -EINVAL;
        if ((size_t) n >= sizeof(buf)) /* the kernel's limit is about this much: cut, keep the newline */
                n = (int) sizeof(buf) - 1, buf[n - 1] = '\n';
        return write(log_kmsg_fd, buf, (size_t) n) < 0 ? -errno : 0;
}

/* journald's native protocol: one datagram of FIELD=value lines (values without newlines). */
static int log_send_journal(int level, const char *msg) {
        char buf[4096 + 256];
        int n;

        n = snprintf(buf, sizeof(buf), "PRIORITY=%d\nSYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%d\nMESSAGE=%s\n",
                level, log_program, (int) getpid(), msg);
        if (n < 0 || (size_t) n >= sizeof(buf))
                n = (int) sizeof(buf) - 1, buf[n - 1] = '\n';
        return send(log_journal_fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
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

        if (log_kmsg_fd >= 0 || log_journal_fd >= 0) {
                /* one record per message: the kernel and journald split at newlines */
                for (char *c = msg; *c; c++)
                        if (*c == '\n')
                                *c = ' ';
                if (log_kmsg_fd >= 0 && log_write_kmsg(level, msg) >= 0)
                        goto out;
                if (log_journal_fd >= 0 && log_send_journal(level, msg) >= 0)
                        goto out;
        }
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
