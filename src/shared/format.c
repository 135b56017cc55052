/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fd-util.h"
#include "macro.h"
#include "string-util.h"

bool format_is_table(const char *tmpl, const char **ret_rest) {
        const char *p = startswith(tmpl, "table");

        if (!p || (*p && *p != ' ' && *p != '\t'))
                return false;
        if (*p)
                p++;
        if (ret_rest)
                *ret_rest = p;
        return true;
}

static struct json_object *lookup(struct json_object *o, const char *path, size_t len, bool *found) {
        const char *p = path, *end = path + len;

        *found = true;
        if (len == 1 && *path == '.')
                return o;
        while (p < end) {
                const char *q;
                char key[256];

                if (*p != '.')
                        return NULL;
                p++;
                q = p;
                while (q < end && *q != '.')
                        q++;
                if (q == p || (size_t) (q - p) >= sizeof(key)) {
                        *found = false;
                        return NULL;
                }
                memcpy(key, p, (size_t) (q - p));
                key[q - p] = 0;
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &o)) {
                        *found = false;
                        return NULL;
                }
                p = q;
        }
        return o;
}

static bool valid_path(const char *p, size_t len) {
        if (len == 0 || p[0] != '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!(p[i] == '.' || p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') ||
                            (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
                        return false;
        /* no empty components: "..", or a trailing "." (except the lone ".") */
        for (size_t i = 1; i < len; i++)
                if (p[i] == '.' && p[i - 1] == '.')
                        return false;
        if (len > 1 && p[len - 1] == '.')
                return false;
        return true;
}

/* Walks the template; with out == NULL it only validates. */
static int render(const char *tmpl, struct json_object *o, FILE *out, const char **reterr_reason) {
        const char *p = tmpl;

        while (*p) {
                if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
                        if (out)
                                fputc(p[1] == 't' ? '\t' : '\n', out);
                        p += 2;
                        continue;
                }
                if (p[0] == '{' && p[1] == '{') {
                        const char *e = strstr(p + 2, "}}"), *a, *b;
                        bool as_json = false, found;
                        struct json_object *v;

                        if (!e) {
                                *reterr_reason = "unclosed action: missing '}}'";
                                return -EINVAL;
                        }
                        a = p + 2;
                        b = e;
                        while (a < b && *a == ' ')
                                a++;
                        while (b > a && b[-1] == ' ')
                                b--;
                        if ((size_t) (b - a) > 5 && strncmp(a, "json ", 5) == 0) {
                                as_json = true;
                                a += 5;
                                while (a < b && *a == ' ')
                                        a++;
                        }
                        if (!valid_path(a, (size_t) (b - a))) {
                                *reterr_reason = "unsupported template action; berth supports {{.Field}}, "
                                                 "{{.A.B}}, {{json .}} and {{json .Field}}";
                                return -EINVAL;
                        }
                        if (out) {
                                v = lookup(o, a, (size_t) (b - a), &found);
                                if (!found)
                                        fputs("<no value>", out);
                                else if (!as_json && v && json_object_is_type(v, json_type_string))
                                        fputs(json_object_get_string(v), out);
                                else
                                        fputs(v ? json_object_to_json_string_ext(v,
                                                          JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)
                                                : "null",
                                                out);
                        }
                        p = e + 2;
                        continue;
                }
                if (out)
                        fputc(*p, out);
                p++;
        }
        return 0;
}

int format_template_validate(const char *tmpl, const char **reterr_reason) {
        const char *dummy;
        return render(tmpl, NULL, NULL, reterr_reason ?: &dummy);
}

int format_template(const char *tmpl, struct json_object *o, char **ret, const char **reterr_reason) {
        _cleanup_free_ char *buf = NULL;
        const char *dummy;
        size_t size = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        r = render(tmpl, o, f, reterr_reason ?: &dummy);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
