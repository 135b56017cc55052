/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal assertion helpers in the spirit of systemd's ASSERT_OK/ASSERT_EQ: every failure reports file,
 * line, the expression and the values, then aborts the test binary. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_TEST_SKIP 77

#define TEST_FAIL(...)                                                                                      \
        do {                                                                                                \
                fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                             \
                fprintf(stderr, __VA_ARGS__);                                                               \
                fputc('\n', stderr);                                                                        \
                abort();                                                                                    \
        } while (0)

#define ASSERT_OK(expr)                                                                                     \
        ({                                                                                                  \
                long _r = (long) (expr);                                                                    \
                if (_r < 0)                                                                                 \
                        TEST_FAIL("'%s' failed: %ld (%s)", #expr, _r, strerror((int) -(_r % (1 << 30))));   \
                _r;                                                                                         \
        })

#define ASSERT_ERROR(expr, err)                                                                             \
        do {                                                                                                \
                long _r = (long) (expr);                                                                    \
                if (_r != -(long) (err))                                                                    \
                        TEST_FAIL("'%s' returned %ld, expected -%s (%d)", #expr, _r, #err, (int) (err));    \
        } while (0)

#define ASSERT_TRUE(expr)                                                                                   \
        do {                                                                                                \
                if (!(expr))                                                                                \
                        TEST_FAIL("'%s' is false", #expr);                                                  \
        } while (0)

#define ASSERT_FALSE(expr)                                                                                  \
        do {                                                                                                \
                if (expr)                                                                                   \
                        TEST_FAIL("'%s' is true", #expr);                                                   \
        } while (0)

#define ASSERT_EQ(a, b)                                                                                     \
        do {                                                                                                \
                intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);                                          \
                if (_a != _b)                                                                               \
                        TEST_FAIL("'%s == %s' failed: %jd != %jd", #a, #b, _a, _b);                         \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                                  \
        do {                                                                                                \
                const char *_a = (a), *_b = (b);                                                            \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                                      \
                        TEST_FAIL("'%s == %s' failed: '%s' != '%s'", #a, #b, _a ?: "(null)",                \
                                _b ?: "(null)");                                                            \
        } while (0)

#define ASSERT_NULL(expr)                                                                                   \
        do {                                                                                                \
                if ((expr) != NULL)                                                                         \
                        TEST_FAIL("'%s' is not NULL", #expr);                                               \
        } while (0)

#define ASSERT_NOT_NULL(expr)                                                                               \
        ({                                                                                                  \
                typeof(expr) _p = (expr);                                                                   \
                if (!_p)                                                                                    \
                        TEST_FAIL("'%s' is NULL", #expr);                                                   \
                _p;                                                                                         \
        })

/* Skips (exit 77) unless $BERTH_TESTS_MUST_RUN=1, in which case a skip is a failure. */
#define TEST_SKIP(...)                                                                                      \
        do {                                                                                                \
                const char *_m = getenv("BERTH_TESTS_MUST_RUN");                                            \
                if (_m && strcmp(_m, "1") == 0) {                                                           \
                        fprintf(stderr, "FAIL (BERTH_TESTS_MUST_RUN=1 forbids skipping): ");                \
                        fprintf(stderr, __VA_ARGS__);                                                       \
                        fputc('\n', stderr);                                                                \
                        exit(EXIT_FAILURE);                                                                 \
                }                                                                                           \
                fprintf(stderr, "SKIP: ");                                                                  \
                fprintf(stderr, __VA_ARGS__);                                                               \
                fputc('\n', stderr);                                                                        \
                exit(EXIT_TEST_SKIP);                                                                       \
        } while (0)

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                                                           \
        do {                                                                                                \
                fprintf(stderr, "== %s\n", #name);                                                          \
                test_##name();                                                                              \
        } while (0)
