/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

/* Returns a pointer just past prefix in s, or NULL. */
const char *startswith(const char *s, const char *prefix);
const char *endswith(const char *s, const char *suffix);

/* NULL only on out-of-memory. */
char *strjoin_real(const char *first, ...) __attribute__((sentinel));
#define strjoin(...) strjoin_real(__VA_ARGS__, NULL)

/* Allocating printf, NULL on OOM. */
char *asprintf_safe(const char *format, ...) _printf_(1, 2);

/* Formats a byte count like Docker does ("4.6MB", "512kB", 1000-based). */
void format_bytes_docker(char *buf, size_t size, unsigned long long bytes);

/* "About a minute", "3 hours" as Docker prints durations ("Up 3 hours"). */
void format_duration_docker(char *buf, size_t size, long long seconds);

/* "About a minute ago", "3 hours ago" as Docker prints relative times. */
void format_relative_docker(char *buf, size_t size, long long seconds_ago);

/* Hex encoding, out must hold 2*n+1 bytes. */
/* A positive decimal number from the environment variable name, or def when it is unset, empty, zero,
 * negative or not entirely a number. */
uint64_t getenv_uint64(const char *name, uint64_t def);

void hexencode(const unsigned char *in, size_t n, char *out);
bool string_is_lower_hex(const char *s, size_t n);
