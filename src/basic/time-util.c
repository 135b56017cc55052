/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "time-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "string-util.h"

int parse_go_duration(const char *s, uint64_t *ret) {
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                /* longest suffix first so "ms" is not read as "m" */
                { "ms", 1000ULL },
                { "us", 1ULL },
                { "µs", 1ULL },
                { "ns", 0ULL },
                { "h", 3600000000ULL },
                { "m", 60000000ULL },
                { "s", 1000000ULL },
        };
        uint64_t total = 0;
        const char *p = s;

        if (!*p)
                return -EINVAL;
        if (streq(p, "0")) { /* the one number Go takes without a unit */
                *ret = 0;
                return 0;
        }
        while (*p) {
                const char *digits = p;
                char *end;
                double v;
                size_t i;

                /* digits and a dot only: strtod() would also take signs, "inf", "nan", hex and exponents */
                while (*digits && strchr("0123456789.", *digits))
                        digits++;
                if (digits == p)
                        return -EINVAL;
                errno = 0;
                v = strtod(p, &end);
                if (errno || end != digits)
                        return -EINVAL;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0)
                                break;
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                if (v * (double) units[i].usec > 1e18)
                        return -ERANGE;
                total += (uint64_t) (v * (double) units[i].usec);
                if (total > (uint64_t) 1e18)
                        return -ERANGE;
                p = end + strlen(units[i].unit);
        }
        *ret = total;
        return 0;
}

static int parse_rfc3339(const char *s, uint64_t *ret) {
        struct tm tm = {};
        const char *p;
        long long off = 0;
        double frac = 0;
        time_t t;

        p = strptime(s, "%Y-%m-%d", &tm);
        if (!p)
                return -EINVAL;
        if (*p == 'T' || *p == ' ') {
                p = strptime(p + 1, "%H:%M:%S", &tm);
                if (!p)
                        return -EINVAL;
                if (*p == '.') {
                        char *end;
                        frac = strtod(p, &end);
                        p = end;
                }
                if (*p == 'Z' || *p == 'z')
                        p++;
                else if (*p == '+' || *p == '-') {
                        int hh, mm, n = 0;
                        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
                                return -EINVAL;
                        off = (hh * 3600LL + mm * 60LL) * (*p == '+' ? 1 : -1);
                        p += 1 + n;
                }
        }
        if (*p)
                return -EINVAL;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = (uint64_t) ((long long) t - off) * 1000000ULL + (uint64_t) (frac * 1e6);
        return 0;
}

int parse_docker_time(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        uint64_t d;
        char *end;
        double v;

        if (!s || !*s)
                return -EINVAL;
        if (parse_rfc3339(s, ret_usec) >= 0)
                return 0;
        errno = 0;
        v = strtod(s, &end);
        if (!errno && end != s && !*end && v >= 0 && strspn(s, "0123456789.") == strlen(s)) {
                *ret_usec = (uint64_t) (v * 1e6);
                return 0;
        }
        if (parse_go_duration(s, &d) >= 0) {
                *ret_usec = d > now_usec ? 0 : now_usec - d;
                return 0;
        }
        return -EINVAL;
}

void format_rfc3339_nano(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06u000Z", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned) (usec % 1000000ULL));
}
