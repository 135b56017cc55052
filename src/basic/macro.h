/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

/* IN_SET(x, a, b, ...): x equals one of the (integer) values */
#define IN_SET(x, ...)                                                                                      \
        ({                                                                                                  \
                const long _in_set_v[] = { __VA_ARGS__ };                                                   \
                bool _in_set_found = false;                                                                 \
                for (size_t _i = 0; _i < ELEMENTSOF(_in_set_v); _i++)                                       \
                        if ((long) (x) == _in_set_v[_i])                                                    \
                                _in_set_found = true;                                                       \
                _in_set_found;                                                                              \
        })

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand ownership out of a cleanup-annotated variable. */
#define TAKE_GENERIC(var, type, nullvalue)                                                                  \
        ({                                                                                                  \
                type *_pvar_ = &(var);                                                                      \
                type _var_ = *_pvar_;                                                                       \
                *_pvar_ = (nullvalue);                                                                      \
                _var_;                                                                                      \
        })
#define TAKE_PTR(ptr) TAKE_GENERIC(ptr, typeof(ptr), NULL)
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

/* libc "-1 and errno" → negative errno, right at the call. */
#define RET_NERRNO(expr)                                                                                    \
        ({                                                                                                  \
                long _r_ = (long) (expr);                                                                   \
                _r_ < 0 ? -errno : (int) _r_;                                                               \
        })

/* Errors we invent ourselves are marked so the log does not append strerror(). */
#define SYNTHETIC_ERRNO(e) (-(e) - (1 << 30))
#define ERRNO_VALUE(r) ((r) <= -(1 << 30) ? -((r) + (1 << 30)) : (r))
#define ERRNO_IS_SYNTHETIC(r) ((r) <= -(1 << 30))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Cleanup for "type *" variables whose free function returns void or something we ignore. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                             \
        static inline void func##p(type *p) {                                                               \
                if (*p)                                                                                     \
                        (void) func(*p);                                                                    \
        }

/* The "full" variant resets the variable to NULL, for free functions returning int (json-c, libarchive). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_FULL(type, func, name)                                                  \
        static inline void name(type *p) {                                                                  \
                if (*p) {                                                                                   \
                        (void) func(*p);                                                                    \
                        *p = NULL;                                                                          \
                }                                                                                           \
        }

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* Runs LeakSanitizer's check now (and not again at exit) in sanitized builds; nothing otherwise. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define BERTH_HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BERTH_HAVE_LSAN 1
#endif
#ifdef BERTH_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
static inline void lsan_check_now(void) {
        __lsan_do_leak_check();
}
#else
static inline void lsan_check_now(void) {
}
#endif
