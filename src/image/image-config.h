/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

/* Applies one Dockerfile instruction to the "config" object of an OCI image config, as `docker import
 * --change` does. Supported: CMD, ENTRYPOINT (JSON or shell form), ENV (K=V ... or K V), WORKDIR, EXPOSE
 * (port[/proto]), USER, LABEL (K=V ...), VOLUME (JSON or words), STOPSIGNAL. Returns -EINVAL with a static
 * reason in reterr_reason for anything else or malformed input. */
int image_config_apply_change(struct json_object *config, const char *instruction,
        const char **reterr_reason);

/* The machine's architecture in OCI/Go terms ("amd64", "arm64", ...). */
const char *image_config_host_arch(void);

/* Current time as RFC 3339 with nanoseconds, UTC ("2026-11-28T01:52:04.123456789Z"). */
void image_config_now(char buf[static 64]);

/* An image config (JSON text) with rootfs.diff_ids replaced by diff_ids (n entries), for images whose layer
 * tars were re-created (save, push). When they are the ones the config names already, *ret is a copy of the
 * original bytes, so the image keeps its ID. -EBADMSG if config is not an object with rootfs. */
int image_config_replace_diff_ids(const char *config, size_t size, char *const *diff_ids, char **ret,
        size_t *ret_size);
