/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "digest.h"
#include "fd-util.h"
#include "image-config.h"
#include "image-dl.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"
#include "registry.h"
#include "string-util.h"
#include "strv.h"

#define PULL_PIPE_SIZE (1024 * 1024)

typedef struct PullJob {
        ImageStore *store;
        RegistryClient *client;
        PullLayer *layers;
        size_t n_layers;
        bool *queued; /* layers to download (not present, first of their diff_id) */

        pthread_mutex_t lock;
        pthread_cond_t changed;
        size_t next; /* next layer index to consider */
        unsigned running; /* worker threads still going */
        int error; /* first failure */
        char *error_msg;
        atomic_bool cancel;
} PullJob;

static void job_fail(PullJob *job, int r, char *msg) {
        pthread_mutex_lock(&job->lock);
        if (job->error == 0) {
                job->error = r;
                job->error_msg = msg;
                msg = NULL;
        }
        atomic_store(&job->cancel, true);
        pthread_cond_broadcast(&job->changed);
        pthread_mutex_unlock(&job->lock);
        free(msg);
}

typedef struct Unpacker {
        ImageStore *store; /* our own handle: flock()s are per open file */
        int fd;
        LayerExpect expect;
        int result;
        char *msg;
} Unpacker;

static void *unpack_thread(void *p) {
        Unpacker *u = p;

        u->result = image_store_import_layer(u->store, u->fd, 0, &u->expect, NULL, &u->msg);
        /* The read end goes as soon as the unpacker is done: after a failure mid-layer (a hostile entry),
         * the download's next write fails with EPIPE instead of blocking on a full pipe for ever. */
        u->fd = safe_close(u->fd);
        return NULL;
}

typedef struct SinkState {
        PullJob *job;
        PullLayer *layer;
        int fd;
} SinkState;

static int sink_to_pipe(const void *data, size_t size, void *userdata) {
        SinkState *st = userdata;
        uint64_t got = atomic_load(&st->layer->downloaded) + size;
        int r;

        if (atomic_load(&st->job->cancel))
                return -ECANCELED;
        /* a registry that sends more than the manifest promised is not trusted with the rest */
        if (got > st->layer->size)
                return -EFBIG;
        r = loop_write(st->fd, data, size);
        if (r < 0)
                return r; /* EPIPE: the unpacker gave up; it has the reason */
        atomic_store(&st->layer->downloaded, got);
        return 0;
}

static int pull_layer(PullJob *job, PullLayer *layer, char **reterr) {
        _cleanup_(image_store_freep) ImageStore *own = NULL;
        _cleanup_close_ int wfd = -EBADF;
        _cleanup_free_ char *fetch_err = NULL, *unpack_msg = NULL;
        Unpacker u = { .fd = -EBADF,
                .expect = { .compressed_digest = layer->digest, .diff_id = layer->diff_id } };
        SinkState st = { .job = job, .layer = layer };
        pthread_t t;
        int fds[2], r, q;

        r = image_store_open(image_store_root(job->store), &own);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        wfd = fds[1];
        (void) fcntl(wfd, F_SETPIPE_SZ, PULL_PIPE_SIZE);
        u.store = own;
        u.fd = fds[0]; /* the unpacker closes it when done, so a rejected layer fails our writes */
        r = -pthread_create(&t, NULL, unpack_thread, &u);
        if (r < 0) {
                safe_close(u.fd);
                return r;
        }

        atomic_store(&layer->state, PULL_LAYER_DOWNLOADING);
        st.fd = wfd;
        r = registry_fetch_blob(job->client, layer->digest, sink_to_pipe, &st, &fetch_err);
        if (r >= 0 && atomic_load(&layer->downloaded) != layer->size) {
                r = -EPROTO;
                fetch_err = asprintf_safe("layer %s: got %" PRIu64 " bytes, the manifest says %" PRIu64,
                        layer->digest, atomic_load(&layer->downloaded), layer->size);
        }
        atomic_store(&layer->state, PULL_LAYER_VERIFYING);
        /* EOF for the unpacker; on a failed download it then fails on the truncated stream or the digest */
        wfd = safe_close(wfd);
        q = -pthread_join(t, NULL);
        if (q < 0)
                return q;
        unpack_msg = u.msg;

        if (r < 0 && r != -EPIPE) {
                /* the download's failure is the cause; the unpacker only saw its consequence */
                if (r == -EFBIG)
                        *reterr = asprintf_safe("layer %s: the registry sent more than the %" PRIu64
                                                " bytes the manifest says",
                                layer->digest, layer->size);
                else
                        *reterr = TAKE_PTR(fetch_err);
                return r;
        }
        if (u.result < 0) {
                *reterr = asprintf_safe("layer %s: %s", layer->digest, unpack_msg ?: strerror(-u.result));
                return u.result;
        }
        if (r < 0) {
                *reterr = TAKE_PTR(fetch_err);
                return r;
        }
        return 0;
}

static void *worker(void *p) {
        PullJob *job = p;

        for (;;) {
                PullLayer *layer = NULL;
                char *msg = NULL;
                int r;

                pthread_mutex_lock(&job->lock);
                while (job->next < job->n_layers && !job->queued[job->next])
                        job->next++;
                if (job->next < job->n_layers && !atomic_load(&job->cancel))
                        layer = &job->layers[job->next++];
                pthread_mutex_unlock(&job->lock);
                if (!layer)
                        break;

                r = pull_layer(job, layer, &msg);
                if (r < 0) {
                        atomic_store(&layer->state, PULL_LAYER_FAILED);
                        if (r != -ECANCELED)
                                job_fail(job, r,
                                        msg ?: asprintf_safe("layer %s: %s", layer->digest, strerror(-r)));
                        else
                                free(msg);
                        break;
                }
                atomic_store(&layer->state, PULL_LAYER_DONE);
                pthread_mutex_lock(&job->lock);
                pthread_cond_broadcast(&job->changed);
                pthread_mutex_unlock(&job->lock);
        }
        pthread_mutex_lock(&job->lock);
        job->running--;
        pthread_cond_broadcast(&job->changed);
        pthread_mutex_unlock(&job->lock);
        return NULL;
}

/* Marks the layers of one diff_id after the first as following it (they are the same content). */
static void sync_duplicates(PullLayer *layers, size_t n, const bool *queued) {
        for (size_t i = 0; i < n; i++) {
                if (queued[i] || atomic_load(&layers[i].state) != PULL_LAYER_WAITING)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (streq(layers[j].diff_id, layers[i].diff_id)) {
                                int st = atomic_load(&layers[j].state);
                                if (st == PULL_LAYER_DONE || st == PULL_LAYER_EXISTS)
                                        atomic_store(&layers[i].state, PULL_LAYER_EXISTS);
                                break;
                        }
        }
}

static int download_layers(PullJob *job, const PullOptions *opts, const char *reference) {
        unsigned n_threads = opts->parallel ?: 3, started = 0;
        pthread_t threads[16];
        PullProgress progress = { .reference = reference, .layers = job->layers, .n_layers = job->n_layers };
        size_t todo = 0;
        int r = 0;

        for (size_t i = 0; i < job->n_layers; i++)
                todo += job->queued[i];
        if (n_threads > ELEMENTSOF(threads))
                n_threads = ELEMENTSOF(threads);
        if (n_threads > todo)
                n_threads = (unsigned) todo;

        pthread_mutex_lock(&job->lock);
        for (; started < n_threads; started++) {
                r = -pthread_create(&threads[started], NULL, worker, job);
                if (r < 0)
                        break;
                job->running++;
        }
        pthread_mutex_unlock(&job->lock);
        if (r < 0)
                job_fail(job, r, strdup("cannot start a download thread"));

        pthread_mutex_lock(&job->lock);
        while (job->running > 0) {
                struct timespec ts;

                pthread_mutex_unlock(&job->lock);
                sync_duplicates(job->layers, job->n_layers, job->queued);
                if (opts->progress)
                        opts->progress(&progress, opts->userdata);
                pthread_mutex_lock(&job->lock);
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 100 * 1000 * 1000;
                if (ts.tv_nsec >= 1000 * 1000 * 1000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000 * 1000 * 1000;
                }
                if (job->running > 0)
                        (void) pthread_cond_timedwait(&job->changed, &job->lock, &ts);
        }
        pthread_mutex_unlock(&job->lock);
        for (unsigned i = 0; i < started; i++)
                (void) pthread_join(threads[i], NULL);
        sync_duplicates(job->layers, job->n_layers, job->queued);
        if (opts->progress)
                opts->progress(&progress, opts->userdata);
        return job->error;
}

/* Fetches reference (tag or digest) and checks its digest when the reference names one. */
static int fetch_manifest(RegistryClient *c, const char *reference, Manifest **ret, char **ret_body,
        size_t *ret_size, char ret_digest[DIGEST_STRING_MAX], char **reterr) {
        _cleanup_free_ char *body = NULL, *ct = NULL;
        const char *reason = NULL;
        size_t size;
        int r;

        r = registry_get_manifest(c, reference, &body, &size, &ct, reterr);
        if (r < 0)
                return r;
        r = sha256_digest_of(body, size, ret_digest);
        if (r < 0) {
                *reterr = strdup("cannot hash the manifest (libcrypto)");
                return r;
        }
        if (startswith(reference, "sha256:") && !streq(reference, ret_digest)) {
                *reterr = asprintf_safe("the registry sent a manifest with digest %s for %s", ret_digest,
                        reference);
                return -EBADMSG;
        }
        r = manifest_parse(body, size, ct, ret, &reason);
        if (r < 0) {
                *reterr = asprintf_safe("manifest %s: %s", reference, reason);
                return r;
        }
        *ret_body = TAKE_PTR(body);
        *ret_size = size;
        return 0;
}

int image_pull(ImageStore *s, const ImageReference *ref, const PullOptions *opts, PullResult *ret,
        char **reterr) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        _cleanup_(manifest_freep) Manifest *top = NULL, *m = NULL;
        _cleanup_free_ char *top_body = NULL, *body = NULL, *config = NULL, *full = NULL;
        _cleanup_free_ PullLayer *layers = NULL;
        _cleanup_free_ bool *queued = NULL;
        _cleanup_json_ struct json_object *cfg = NULL;
        _cleanup_(image_record_freep) ImageRecord *existing = NULL;
        struct json_object *diff_ids;
        char top_digest[DIGEST_STRING_MAX], digest[DIGEST_STRING_MAX], config_digest[DIGEST_STRING_MAX];
        const char *os = opts->os ?: "linux", *arch = opts->architecture ?: image_config_host_arch();
        size_t top_size, size, config_size;
        bool any = false;
        char *tags[2] = {};
        int r;

        /* everything the threads need is loaded here, in the calling thread */
        r = dlopen_libcrypto();
        if (r >= 0)
                r = dlopen_libarchive();
        if (r < 0) {
                *reterr = strdup("cannot load libarchive or libcrypto, which unpacking layers needs");
                return r;
        }
        full = image_reference_to_string(ref);
        if (!full)
                return -ENOMEM;
        r = registry_client_new(ref->domain, ref->path, &c, reterr);
        if (r < 0)
                return r;
        r = registry_ping(c, reterr);
        if (r < 0)
                return r;

        r = fetch_manifest(c, ref->digest ?: ref->tag, &top, &top_body, &top_size, top_digest, reterr);
        if (r < 0)
                return r;
        if (top->kind == MANIFEST_INDEX) {
                const Descriptor *d;

                r = manifest_index_select(top, os, arch, opts->variant, &d);
                if (r < 0) {
                        *reterr = asprintf_safe("%s has no image for %s/%s%s%s", full, os, arch,
                                opts->variant ? "/" : "", opts->variant ?: "");
                        return r;
                }
                r = fetch_manifest(c, d->digest, &m, &body, &size, digest, reterr);
                if (r < 0)
                        return r;
                if (m->kind != MANIFEST_IMAGE) {
                        *reterr = asprintf_safe("%s: the index entry for %s/%s is itself an index", full, os,
                                arch);
                        return -EBADMSG;
                }
        } else {
                m = TAKE_PTR(top);
                body = TAKE_PTR(top_body);
                size = top_size;
        }

        /* the config: verified, and it must describe as many layers as the manifest has */
        r = registry_get_blob(c, m->config.digest, CONFIG_SIZE_MAX, &config, &config_size, reterr);
        if (r < 0)
                return r;
        r = sha256_digest_of(config, config_size, config_digest);
        if (r < 0)
                return r;
        if (!streq(config_digest, m->config.digest)) {
                *reterr = asprintf_safe("image config digest mismatch: expected %s, got %s",
                        m->config.digest, config_digest);
                return -EBADMSG;
        }
        if (json_parse(config, config_size, &cfg, NULL) < 0) {
                *reterr = asprintf_safe("image config %s is not valid JSON", config_digest);
                return -EBADMSG;
        }
        diff_ids = json_get_array(json_get_object(cfg, "rootfs"), "diff_ids");
        if (!diff_ids || json_object_array_length(diff_ids) != m->n_layers) {
                *reterr = asprintf_safe("image config %s lists %zu layers, the manifest %zu", config_digest,
                        diff_ids ? json_object_array_length(diff_ids) : 0, m->n_layers);
                return -EBADMSG;
        }
        if (!streq_ptr(json_get_string(cfg, "os"), os) ||
                !streq_ptr(json_get_string(cfg, "architecture"), arch))
                log_warning("The image %s is for %s/%s, not %s/%s", full, json_get_string(cfg, "os") ?: "?",
                        json_get_string(cfg, "architecture") ?: "?", os, arch);

        layers = calloc(m->n_layers ?: 1, sizeof(PullLayer));
        queued = calloc(m->n_layers ?: 1, sizeof(bool));
        if (!layers || !queued)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_layers; i++) {
                const char *d = json_object_get_string(json_object_array_get_idx(diff_ids, i));
                bool dup = false;

                if (!digest_is_valid(d)) {
                        *reterr = asprintf_safe("image config %s has a malformed diff_id", config_digest);
                        return -EBADMSG;
                }
                snprintf(layers[i].diff_id, sizeof(layers[i].diff_id), "%s", d);
                snprintf(layers[i].digest, sizeof(layers[i].digest), "%s", m->layers[i].digest);
                layers[i].size = m->layers[i].size;
                for (size_t j = 0; j < i; j++)
                        dup = dup || streq(layers[j].diff_id, d);
                if (image_store_has_layer(s, d))
                        atomic_store(&layers[i].state, PULL_LAYER_EXISTS);
                else if (!dup) {
                        queued[i] = true;
                        any = true;
                }
        }

        PullJob job = {
                .store = s,
                .client = c,
                .layers = layers,
                .n_layers = m->n_layers,
                .queued = queued,
        };
        pthread_mutex_init(&job.lock, NULL);
        pthread_cond_init(&job.changed, NULL);
        /* a pipe whose reader gave up must fail the write, not kill us */
        struct sigaction sa = { .sa_handler = SIG_IGN }, old_sa;
        (void) sigaction(SIGPIPE, &sa, &old_sa);
        r = download_layers(&job, opts, full);
        (void) sigaction(SIGPIPE, &old_sa, NULL);
        pthread_mutex_destroy(&job.lock);
        pthread_cond_destroy(&job.changed);
        if (r < 0) {
                *reterr = job.error_msg ?: strdup(strerror(-r));
                return r;
        }
        free(job.error_msg);

        /* manifests are kept for save/push and `images --digests`; then the record makes the image exist */
        if (top_body && image_store_put_blob(s, top_body, top_size, NULL) < 0)
                log_debug("Failed to store the index of %s", full);
        r = image_store_put_blob(s, body, size, NULL);
        if (r < 0) {
                *reterr = strdup("cannot store the manifest");
                return r;
        }
        r = image_store_get(s, config_digest, &existing);
        /* Docker's "up to date": nothing downloaded, and the tag (or digest) named this image already */
        if (r >= 0 && !any &&
                (ref->digest ? streq_ptr(existing->manifest_digest, top_digest)
                             : strv_contains(existing->repo_tags, full)))
                ret->up_to_date = true;
        if (!ref->digest)
                tags[0] = full;
        _cleanup_free_ char *name = image_reference_name(ref);
        _cleanup_free_ char *repo_digest = name ? strjoin(name, "@", top_digest) : NULL;
        if (!repo_digest)
                return -ENOMEM;
        r = image_store_add_image(s, config, config_size, repo_digest, tags, ret->id);
        if (r < 0) {
                *reterr = asprintf_safe("cannot record the image %s: %s", full, strerror(-r));
                return r;
        }
        snprintf(ret->manifest_digest, sizeof(ret->manifest_digest), "%s", top_digest);
        return 0;
}
