/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

bool strv_contains(char *const *l, const char *value) {
        STRV_FOREACH(s, l)
                if (strcmp(*s, value) == 0)
                        return true;
        return false;
}

char **strv_copy(char *const *l) {
        char **r = calloc(strv_length(l) + 1, sizeof(char *));
        size_t i = 0;

        if (!r)
                return NULL;
        STRV_FOREACH(s, l) {
                r[i] = strdup(*s);
                if (!r[i])
                        return strv_free(r);
                i++;
        }
        return r;
}
