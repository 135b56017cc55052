/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-util.h"

#include <errno.h>
#include <string.h>

int json_parse(const char *data, size_t size, struct json_object **ret, const char **reterr_reason) {
        struct json_tokener *tok;
        struct json_object *o;
        enum json_tokener_error e;

        if (size > INT32_MAX)
                return -E2BIG;
        tok = json_tokener_new_ex(64);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, data, (int) size);
        e = json_tokener_get_error(tok);
        if (e == json_tokener_success && json_tokener_get_parse_end(tok) < size) {
                /* allow trailing whitespace only */
                for (size_t i = json_tokener_get_parse_end(tok); i < size; i++)
                        if (!strchr(" \t\r\n", data[i])) {
                                e = json_tokener_error_parse_unexpected;
                                break;
                        }
        }
        if (e != json_tokener_success) {
                if (reterr_reason)
                        *reterr_reason = json_tokener_error_desc(
                                e == json_tokener_continue ? json_tokener_error_parse_eof : e);
                json_object_put(o);
                json_tokener_free(tok);
                return e == json_tokener_error_depth ? -E2BIG : -EBADMSG;
        }
        json_tokener_free(tok);
        *ret = o;
        return 0;
}

const char *json_get_string(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
                !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static struct json_object *json_get_typed(struct json_object *o, const char *key, enum json_type t) {
        struct json_object *v;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
                !json_object_is_type(v, t))
                return NULL;
        return v;
}

struct json_object *json_get_object(struct json_object *o, const char *key) {
        return json_get_typed(o, key, json_type_object);
}

struct json_object *json_get_array(struct json_object *o, const char *key) {
        return json_get_typed(o, key, json_type_array);
}

int64_t json_get_int64(struct json_object *o, const char *key, int64_t def) {
        struct json_object *v = json_get_typed(o, key, json_type_int);
        return v ? json_object_get_int64(v) : def;
}

char *json_to_string(struct json_object *o, bool pretty) {
        const char *s = json_object_to_json_string_ext(o,
                (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
                        JSON_C_TO_STRING_NOSLASHESCAPE);
        return s ? strdup(s) : NULL;
}

int json_add(struct json_object *o, const char *key, struct json_object *value) {
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(struct json_object *o, const char *key, const char *value) {
        struct json_object *v = NULL;

        if (value) {
                v = json_object_new_string(value);
                if (!v)
                        return -ENOMEM;
        }
        return json_add(o, key, v);
}

int json_add_int64(struct json_object *o, const char *key, int64_t value) {
        struct json_object *v = json_object_new_int64(value);

        if (!v)
                return -ENOMEM;
        return json_add(o, key, v);
}

static struct json_object *json_add_new(struct json_object *o, const char *key, struct json_object *v) {
        if (!v || json_add(o, key, v) < 0)
                return NULL;
        return v;
}

struct json_object *json_add_new_object(struct json_object *o, const char *key) {
        return json_add_new(o, key, json_object_new_object());
}

struct json_object *json_add_new_array(struct json_object *o, const char *key) {
        return json_add_new(o, key, json_object_new_array());
}

int json_array_add_string(struct json_object *a, const char *value) {
        struct json_object *v = json_object_new_string(value);

        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}
