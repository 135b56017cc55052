/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

/* A small subset of Docker's Go-template --format language, applied to one JSON object:
 *   literal text, "{{.Field}}", "{{.A.B}}", "{{.}}", "{{json .}}", "{{json .Field}}", and the escapes "\t",
 *   "\n". Strings print raw, other values as compact JSON, missing fields as "<no value>" (like Go).
 * Returns -EINVAL with a static reason for anything outside that subset. */
int format_template(const char *tmpl, struct json_object *o, char **ret, const char **reterr_reason);

/* Checks a template once up front, so a bad --format fails before any work is done. */
int format_template_validate(const char *tmpl, const char **reterr_reason);

/* Docker's "table" prefix: true and *ret_rest points past "table" (and one blank) if present. */
bool format_is_table(const char *tmpl, const char **ret_rest);
