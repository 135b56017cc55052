/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "string-util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

const char *endswith(const char *s, const char *suffix) {
        size_t sl = strlen(s), xl = strlen(suffix);
        if (xl > sl)
                return NULL;
        return streq(s + sl - xl, suffix) ? s + sl - xl : NULL;
}

char *strjoin_real(const char *first, ...) {
        va_list ap;
        size_t len = 0;
        char *r, *p;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                len += strlen(s);
        va_end(ap);

        r = malloc(len + 1);
        if (!r)
                return NULL;
        p = r;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                p = stpcpy(p, s);
        va_end(ap);
        *p = 0;
        return r;
}

char *asprintf_safe(const char *format, ...) {
        va_list ap;
        char *r;
        int n;

        va_start(ap, format);
        n = vasprintf(&r, format, ap);
        va_end(ap);
        return n < 0 ? NULL : r;
}

void format_bytes_docker(char *buf, size_t size, unsigned long long bytes) {
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double v = (double) bytes;
        size_t i = 0;

        while (v >= 1000.0 && i + 1 < ELEMENTSOF(units)) {
                v /= 1000.0;
                i++;
        }
        /* Docker uses 4 significant digits: "1.235GB", "5.58MB", "977kB" */
        if (i == 0)
                snprintf(buf, size, "%lluB", bytes);
        else
                snprintf(buf, size, "%.4g%s", v, units[i]);
}

void format_duration_docker(char *buf, size_t size, long long s) {
        /* the wording of Docker's HumanDuration */
        if (s < 1)
                snprintf(buf, size, "Less than a second");
        else if (s == 1)
                snprintf(buf, size, "1 second");
        else if (s < 60)
                snprintf(buf, size, "%lld seconds", s);
        else if (s < 120)
                snprintf(buf, size, "About a minute");
        else if (s < 3600)
                snprintf(buf, size, "%lld minutes", s / 60);
        else if (s < 7200)
                snprintf(buf, size, "About an hour");
        else if (s < 48 * 3600)
                snprintf(buf, size, "%lld hours", s / 3600);
        else if (s < 14 * 86400)
                snprintf(buf, size, "%lld days", s / 86400);
        else if (s < 60 * 86400)
                snprintf(buf, size, "%lld weeks", s / (7 * 86400));
        else if (s < 2 * 365 * 86400)
                snprintf(buf, size, "%lld months", s / (30 * 86400));
        else
                snprintf(buf, size, "%lld years", s / (365 * 86400));
}

void format_relative_docker(char *buf, size_t size, long long s) {
        char d[64];

        format_duration_docker(d, sizeof(d), s);
        snprintf(buf, size, "%s ago", d);
}

void hexencode(const unsigned char *in, size_t n, char *out) {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[in[i] >> 4];
                out[2 * i + 1] = hex[in[i] & 15];
        }
        out[2 * n] = 0;
}

bool string_is_lower_hex(const char *s, size_t n) {
        if (strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

uint64_t getenv_uint64(const char *name, uint64_t def) {
        const char *e = getenv(name);
        unsigned long long v;
        char *end;

        if (!e || !*e || e[0] == '-')
                return def;
        errno = 0;
        v = strtoull(e, &end, 10);
        if (errno != 0 || *end || v == 0)
                return def;
        return (uint64_t) v;
}
