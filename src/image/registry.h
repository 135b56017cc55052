/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "macro.h"

/* A client for one repository of an OCI distribution (Docker registry v2) API, over libcurl.
 *
 * - HTTPS by default. Plain HTTP only for loopback registries (localhost, 127.0.0.0/8, ::1) and those listed
 *   in $BERTH_CONFIG_DIR/registries.conf ("insecure = HOST[:PORT] ..."); for the listed ones TLS is also not
 *   verified. Extra CAs and client certificates come from $BERTH_CONFIG_DIR/certs.d/HOST[:PORT]/ (*.crt,
 *   client.cert, client.key) as with Docker's certs.d.
 * - Anonymous, Bearer-token (the WWW-Authenticate realm/service/scope dance) and Basic auth, with
 *   credentials from auth-config.h. Redirects are followed by hand, and the Authorization header is only
 *   ever sent to the registry's own origin (the token realm gets the credentials only over HTTPS).
 * - Stalls fail after $BERTH_REGISTRY_TIMEOUT seconds without data (default 30).
 * Everything the registry sends is untrusted: sizes are bounded, JSON is parsed by manifest.h.
 *
 * Errors return a negative errno and an allocated message naming the URL or repository:
 *   -ENOENT (manifest or blob unknown), -EACCES (authentication failed or denied), -EPROTO (the registry
 *   answered something unusable), -EHOSTUNREACH (could not connect), -ETIMEDOUT, -EIO (transfer broke). */

typedef struct RegistryClient RegistryClient;

/* domain: a reference's domain ("docker.io" → registry-1.docker.io, "localhost:5000"); repository: its path
 * ("library/busybox"). Loads libcurl (dlopen) and the TLS/credential configuration. Call from the main
 * thread. The other calls may run in parallel threads on one client. */
int registry_client_new(const char *domain, const char *repository, RegistryClient **ret, char **reterr);
RegistryClient *registry_client_free(RegistryClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistryClient *, registry_client_free);

/* Overrides the credentials (berth login). */
int registry_client_set_credentials(RegistryClient *c, const char *user, const char *password);

/* GET /v2/: decides between HTTPS and HTTP, learns the auth scheme and, with credentials, checks them
 * (authenticating for a token when the registry wants one). */
int registry_ping(RegistryClient *c, char **reterr);

/* The manifest (or index) for a tag or digest, at most MANIFEST_SIZE_MAX bytes. ret_content_type may be NULL. */
int registry_get_manifest(RegistryClient *c, const char *reference, char **ret, size_t *ret_size,
        char **ret_content_type, char **reterr);

/* A blob into memory (image configs), at most max_size bytes. */
int registry_get_blob(RegistryClient *c, const char *digest, size_t max_size, char **ret, size_t *ret_size,
        char **reterr);

/* Streams a blob to sink as it arrives; a negative return from sink aborts the transfer with that error. */
typedef int (*RegistrySink)(const void *data, size_t size, void *userdata);
int registry_fetch_blob(RegistryClient *c, const char *digest, RegistrySink sink, void *userdata,
        char **reterr);

/* Pushing: tokens are then asked for with the scope "repository:REPO:push,pull". Call before
 * registry_ping(). */
void registry_client_set_push(RegistryClient *c, bool push);

/* HEAD of a blob: 1 if the repository has it, 0 if not. */
int registry_blob_exists(RegistryClient *c, const char *digest, char **reterr);

/* Uploads a blob of size bytes, from data or (data NULL) from fd at offset 0 on (read with pread(), so a
 * retry starts over), in one piece: POST .../blobs/uploads/, then PUT to the Location it answered
 * (relative or absolute; the Authorization header only goes to the registry's own origin) with
 * "?digest=". */
int registry_upload_blob(RegistryClient *c, const char *digest, const void *data, int fd, uint64_t size,
        char **reterr);

/* PUT of a manifest under reference (a tag or its digest) with media_type as Content-Type; ret_digest gets
 * its digest (checked against the registry's Docker-Content-Digest when it sends one). */
int registry_put_manifest(RegistryClient *c, const char *reference, const char *media_type, const void *data,
        size_t size, char ret_digest[static DIGEST_STRING_MAX], char **reterr);

/* For tests: whether host[:port] may be spoken to over plain HTTP. */
bool registry_host_is_loopback(const char *domain);
