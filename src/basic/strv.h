/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
static inline bool strv_isempty(char *const *l) {
        return !l || !*l;
}
/* Appends a copy of value; -ENOMEM on failure. */
int strv_extend(char ***l, const char *value);
/* Takes ownership of value, also on failure. */
int strv_consume(char ***l, char *value);
bool strv_contains(char *const *l, const char *value);
char **strv_copy(char *const *l);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
