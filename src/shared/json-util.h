/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_FULL(struct json_object *, json_object_put, json_object_putp);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Parses a complete JSON document of at most size bytes. Returns -EBADMSG on syntax errors (with a static
 * description in reterr_reason when non-NULL), -E2BIG on nesting deeper than 64. */
int json_parse(const char *data, size_t size, struct json_object **ret, const char **reterr_reason);

/* Typed lookups that return NULL (or the default) when the key is missing or has the wrong type, so hostile
 * input never reaches a type-confused getter. */
const char *json_get_string(struct json_object *o, const char *key);
struct json_object *json_get_object(struct json_object *o, const char *key);
struct json_object *json_get_array(struct json_object *o, const char *key);
int64_t json_get_int64(struct json_object *o, const char *key, int64_t def);

/* Serialises o (pretty or compact) into an allocated string; NULL on OOM. */
char *json_to_string(struct json_object *o, bool pretty);

/* Adds key=string (NULL → JSON null). Returns -ENOMEM on failure. */
int json_add_string(struct json_object *o, const char *key, const char *value);
int json_add_int64(struct json_object *o, const char *key, int64_t value);
/* Creates an empty object (or array) as member key of o and returns it (owned by o), NULL on OOM. */
struct json_object *json_add_new_object(struct json_object *o, const char *key);
struct json_object *json_add_new_array(struct json_object *o, const char *key);
/* Appends a string to an array; -ENOMEM on failure. */
int json_array_add_string(struct json_object *a, const char *value);
/* Adds and takes ownership of value, also on failure. */
int json_add(struct json_object *o, const char *key, struct json_object *value);
