/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include "archive-manifest.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-config.h"
#include "image-dl.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"
#include "reference.h"
#include "string-util.h"
#include "strv.h"

#define LOAD_MEMBERS_MAX 65536u
#define LOAD_SIZE_MAX (UINT64_C(256) << 30)
#define LOAD_JSON_MAX (8u * 1024 * 1024)
#define LINK_HOPS_MAX 8u
#define COPY_BUFFER_SIZE (256u * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC_FULL(struct archive *, archive_read_free, archive_read_freep);

typedef struct Member {
        char *name; /* canonical member name */
        char *target; /* a link to another member (canonical name), or NULL */
        unsigned file; /* a regular member: spooled as work dir file "m<file>" */
        uint64_t size;
} Member;

typedef struct PlanImage {
        char *what; /* for messages: "manifest.json image 1", "index.json entry 2 (busybox)" */
        char *config;
        size_t config_size;
        char **diff_ids;
        char **layer_names; /* member names as referenced */
        char **compressed; /* expected digest of each layer's bytes, "" if unknown */
        char **tags;
} PlanImage;

typedef struct Loader {
        ImageStore *store;
        int input_fd;
        char *work;
        int work_fd;
        Member *members;
        size_t n_members;
        unsigned n_files;
        uint64_t total;
        uint64_t input_size;
        int io_error;
        PlanImage *plan;
        size_t n_plan;
        uint8_t *in_buffer; /* what we read from input_fd, for libarchive */
        uint8_t *buffer; /* what libarchive hands us */
        char *error;
} Loader;

static void plan_image_done(PlanImage *p) {
        free(p->what);
        free(p->config);
        strv_free(p->diff_ids);
        strv_free(p->layer_names);
        strv_free(p->compressed);
        strv_free(p->tags);
}

static void loader_done(Loader *l) {
        if (l->work) {
                int r = image_store_remove_work_dir(l->store, l->work);
                if (r < 0)
                        log_debug_errno(r, "Failed to remove work dir 'tmp/%s', ignoring: %m", l->work);
        }
        free(l->work);
        safe_close(l->work_fd);
        for (size_t i = 0; i < l->n_members; i++) {
                free(l->members[i].name);
                free(l->members[i].target);
        }
        free(l->members);
        for (size_t i = 0; i < l->n_plan; i++)
                plan_image_done(&l->plan[i]);
        free(l->plan);
        free(l->in_buffer);
        free(l->buffer);
        free(l->error);
}

void load_result_done(LoadResult *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_images; i++)
                strv_free(r->images[i].tags);
        free(r->images);
        *r = (LoadResult){};
}

/* Names from the archive in messages: one line, printable, cut at 256 bytes. */
static char *quote_name(const char *s) {
        size_t n = strnlen(s, ARCHIVE_MEMBER_NAME_MAX);
        char *q = asprintf_safe("%.*s%s", (int) n, s, s[n] ? "..." : "");

        if (q)
                for (char *p = q; *p; p++)
                        if ((unsigned char) *p < 0x20 || (unsigned char) *p == 0x7f)
                                *p = '?';
        return q;
}

/* A plain negative errno of a possibly synthetic one, and its text. */
static int neg_errno(int r) {
        int e = ERRNO_VALUE(r);
        return e < 0 ? e : -e;
}

static const char *errstr(int r) {
        return strerror(-neg_errno(r));
}

/* Records the first failure message and returns error as a plain negative errno. */
static int fail(Loader *l, int error, const char *format, ...) _printf_(3, 4);
static int fail(Loader *l, int error, const char *format, ...) {
        char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_debug("Loading the archive failed: %s", msg ?: "(out of memory for the message)");
        if (!l->error)
                l->error = msg;
        else
                free(msg);
        return neg_errno(error);
}

/* --- reading the outer tar into the work dir ----------------------------------------------------------- */

static la_ssize_t input_read(struct archive *a, void *userdata, const void **ret_buf) {
        Loader *l = userdata;
        ssize_t n;

        do
                n = read(l->input_fd, l->in_buffer, COPY_BUFFER_SIZE);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                l->io_error = -errno;
                archive_set_error(a, errno, "Cannot read the archive: %s", strerror(errno));
                return -1;
        }
        l->input_size += (uint64_t) n;
        *ret_buf = l->in_buffer;
        return n;
}

static Member *find_member(Loader *l, const char *name) {
        for (size_t i = 0; i < l->n_members; i++)
                if (streq(l->members[i].name, name))
                        return &l->members[i];
        return NULL;
}

/* A new member, or the existing one of that name (a later member of the same name replaces it, as tar
 * extraction would). */
static int add_member(Loader *l, char *name, Member **ret) {
        Member *m = find_member(l, name), *grown;

        if (m) {
                free(name);
                m->target = mfree(m->target);
                m->size = 0;
                *ret = m;
                return 0;
        }
        if (l->n_members >= LOAD_MEMBERS_MAX) {
                free(name);
                return fail(l, SYNTHETIC_ERRNO(E2BIG), "the archive has more than %u members",
                        LOAD_MEMBERS_MAX);
        }
        grown = realloc(l->members, sizeof(Member) * (l->n_members + 1));
        if (!grown) {
                free(name);
                return -ENOMEM;
        }
        l->members = grown;
        m = &l->members[l->n_members++];
        *m = (Member){ .name = name };
        *ret = m;
        return 0;
}

/* The canonical member a link in directory "dir" of the archive points at ("../HEX.tar" from "HEX/").
 * A target that leaves the archive or is absolute is -EINVAL. */
static int resolve_link_target(const char *dir, const char *target, bool relative_to_dir, char **ret) {
        _cleanup_free_ char *joined = NULL, *canonical = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        size_t n = 0;
        char *save = NULL;

        if (isempty(target) || target[0] == '/')
                return -EINVAL;
        joined = relative_to_dir && !isempty(dir) ? strjoin(dir, "/", target) : strdup(target);
        if (!joined)
                return -ENOMEM;
        for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        if (n == 0)
                                return -EINVAL;
                        free(parts[--n]);
                        parts[n] = NULL;
                        continue;
                }
                if (strv_extend(&parts, c) < 0)
                        return -ENOMEM;
                n++;
        }
        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char *j = strjoin(canonical ?: "", i > 0 ? "/" : "", parts[i]);
                if (!j)
                        return -ENOMEM;
                free(canonical);
                canonical = j;
        }
        *ret = TAKE_PTR(canonical);
        return 0;
}

static bool kind_is_wanted(ArchiveMemberKind k) {
        return IN_SET(k, ARCHIVE_MEMBER_MANIFEST, ARCHIVE_MEMBER_INDEX, ARCHIVE_MEMBER_OCI_LAYOUT,
                ARCHIVE_MEMBER_CONFIG, ARCHIVE_MEMBER_LAYER, ARCHIVE_MEMBER_BLOB);
}

static int spool_entry(Loader *l, struct archive *a, struct archive_entry *e) {
        _cleanup_free_ char *canonical = NULL, *quoted = NULL;
        const char *name = archive_entry_pathname(e), *link;
        ArchiveMemberKind kind;
        Member *m;
        int r;

        if (!name)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "the archive has a member without a usable name");
        quoted = quote_name(name);
        if (!quoted)
                return -ENOMEM;
        kind = archive_member_classify(name, &canonical);
        if (kind < 0)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                        "archive member '%s' has an unsafe name (absolute, empty or '..' components)",
                        quoted);
        if (!kind_is_wanted(kind)) {
                log_debug("Skipping archive member '%s' (%s)", quoted, archive_member_kind_to_string(kind));
                return 0;
        }

        link = archive_entry_hardlink(e);
        if (link || archive_entry_filetype(e) == AE_IFLNK) {
                _cleanup_free_ char *target = NULL, *dir = NULL;
                const char *slash = strrchr(canonical, '/');

                if (!link)
                        link = archive_entry_symlink(e);
                dir = slash ? strndup(canonical, (size_t) (slash - canonical)) : strdup("");
                if (!dir)
                        return -ENOMEM;
                /* a symlink is relative to its directory, a hardlink names a member */
                r = resolve_link_target(dir, link, /* relative_to_dir= */ !archive_entry_hardlink(e),
                        &target);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || archive_member_classify(target, NULL) < 0) {
                        _cleanup_free_ char *qt = quote_name(link ?: "");
                        return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                                "archive member '%s' links to '%s', outside the archive", quoted, qt ?: "?");
                }
                r = add_member(l, TAKE_PTR(canonical), &m);
                if (r < 0)
                        return r;
                m->target = TAKE_PTR(target);
                return 0;
        }
        if (archive_entry_filetype(e) != AE_IFREG) {
                log_debug("Skipping archive member '%s' (not a regular file)", quoted);
                return 0;
        }

        /* the JSON members are read into memory later: refuse big ones before spooling them */
        uint64_t max = IN_SET(kind, ARCHIVE_MEMBER_MANIFEST, ARCHIVE_MEMBER_INDEX, ARCHIVE_MEMBER_OCI_LAYOUT,
                               ARCHIVE_MEMBER_CONFIG)
                ? LOAD_JSON_MAX
                : LOAD_SIZE_MAX;
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > (la_int64_t) max)
                return fail(l, SYNTHETIC_ERRNO(EFBIG),
                        "archive member '%s' is larger than %" PRIu64 " bytes", quoted, max);

        r = add_member(l, TAKE_PTR(canonical), &m);
        if (r < 0)
                return r;
        m->file = l->n_files++;

        char fname[32];
        _cleanup_close_ int fd = -EBADF;
        uint64_t size = 0;

        snprintf(fname, sizeof(fname), "m%u", m->file);
        fd = openat(l->work_fd, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return fail(l, -errno, "cannot create a spool file in 'tmp/%s': %s", l->work,
                        strerror(errno));
        for (;;) {
                la_ssize_t n = archive_read_data(a, l->buffer, COPY_BUFFER_SIZE);

                if (n < 0) {
                        const char *s = archive_error_string(a);
                        _cleanup_free_ char *qs = quote_name(s ?: "read error");
                        return fail(l, l->io_error < 0 ? l->io_error : SYNTHETIC_ERRNO(EBADMSG),
                                "cannot read archive member '%s': %s", quoted, qs ?: "?");
                }
                if (n == 0)
                        break;
                size += (uint64_t) n;
                if (size > max)
                        return fail(l, SYNTHETIC_ERRNO(EFBIG),
                                "archive member '%s' is larger than %" PRIu64 " bytes", quoted, max);
                l->total += (uint64_t) n;
                if (l->total > LOAD_SIZE_MAX)
                        return fail(l, SYNTHETIC_ERRNO(EFBIG),
                                "the archive unpacks to more than %" PRIu64 " GiB", LOAD_SIZE_MAX >> 30);
                r = loop_write(fd, l->buffer, (size_t) n);
                if (r < 0)
                        return fail(l, r, "cannot spool archive member '%s' into 'tmp/%s': %s", quoted,
                                l->work, errstr(r));
        }
        m->size = size;
        return 0;
}

static int spool_archive(Loader *l) {
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        int r;

        a = archive_read_new();
        if (!a)
                return -ENOMEM;
        if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
                archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
                archive_read_support_filter_xz(a) < ARCHIVE_WARN ||
                archive_read_support_filter_bzip2(a) < ARCHIVE_WARN ||
                archive_read_support_format_tar(a) != ARCHIVE_OK)
                return fail(l, SYNTHETIC_ERRNO(EOPNOTSUPP), "libarchive: %s",
                        archive_error_string(a) ?: "missing tar or filter support");
        if (archive_read_open(a, l, /* open= */ NULL, input_read, /* close= */ NULL) != ARCHIVE_OK)
                goto broken;

        for (;;) {
                struct archive_entry *e;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        goto broken;
                r = spool_entry(l, a, e);
                if (r < 0)
                        return r;
        }

broken:
        if (l->input_size == 0 && l->io_error == 0)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "the input is empty");
        _cleanup_free_ char *q = quote_name(archive_error_string(a) ?: "unreadable");
        return fail(l, l->io_error < 0 ? l->io_error : SYNTHETIC_ERRNO(EBADMSG),
                "not a readable tar archive: %s", q ?: "?");
}

/* --- looking members up -------------------------------------------------------------------------------- */

static int lookup(Loader *l, const char *name, const Member **ret) {
        const char *n = name;

        for (unsigned hop = 0; hop <= LINK_HOPS_MAX; hop++) {
                const Member *m = find_member(l, n);

                if (!m) {
                        _cleanup_free_ char *q = quote_name(name);
                        return fail(l, SYNTHETIC_ERRNO(ENOENT), "the archive has no member '%s'", q ?: "?");
                }
                if (!m->target) {
                        *ret = m;
                        return 0;
                }
                n = m->target;
        }
        _cleanup_free_ char *q = quote_name(name);
        return fail(l, SYNTHETIC_ERRNO(ELOOP), "archive member '%s' is a link loop", q ?: "?");
}

static int open_member(Loader *l, const Member *m) {
        char fname[32];
        int fd;

        snprintf(fname, sizeof(fname), "m%u", m->file);
        fd = openat(l->work_fd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fd;
}

/* A small member into memory, checked against expected_digest (may be NULL). */
static int read_member(Loader *l, const char *name, size_t max, const char *expected_digest, char **ret,
        size_t *ret_size) {
        _cleanup_free_ char *data = NULL, *q = quote_name(name);
        const Member *m;
        char fname[32], actual[DIGEST_STRING_MAX];
        size_t size;
        int r;

        if (!q)
                return -ENOMEM;
        r = lookup(l, name, &m);
        if (r < 0)
                return r;
        if (m->size > max)
                return fail(l, SYNTHETIC_ERRNO(EFBIG), "archive member '%s' is larger than %zu bytes", q,
                        max);
        snprintf(fname, sizeof(fname), "m%u", m->file);
        r = read_full_file_at(l->work_fd, fname, max, &data, &size);
        if (r < 0)
                return fail(l, r, "cannot read archive member '%s': %s", q, errstr(r));
        if (expected_digest) {
                r = sha256_digest_of(data, size, actual);
                if (r < 0)
                        return fail(l, r, "cannot hash archive member '%s' (libcrypto)", q);
                if (!streq(actual, expected_digest))
                        return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                                "archive member '%s' has digest %s, expected %s", q, actual,
                                expected_digest);
        }
        *ret = TAKE_PTR(data);
        if (ret_size)
                *ret_size = size;
        return 0;
}

/* The digest a member name stands for (HEX.json, blobs/sha256/HEX), or false. */
static bool name_digest(const char *name, ArchiveMemberKind kind, char out[static DIGEST_STRING_MAX]) {
        const char *hex;

        if (kind == ARCHIVE_MEMBER_BLOB)
                hex = name + strlen("blobs/sha256/");
        else if (kind == ARCHIVE_MEMBER_CONFIG)
                hex = name;
        else
                return false;
        snprintf(out, DIGEST_STRING_MAX, "sha256:%.*s", SHA256_HEX_LEN, hex);
        return true;
}

/* --- planning: everything checked before the first layer is imported ----------------------------------- */

static int plan_add(Loader *l, PlanImage **ret) {
        PlanImage *grown = realloc(l->plan, sizeof(PlanImage) * (l->n_plan + 1));

        if (!grown)
                return -ENOMEM;
        l->plan = grown;
        *ret = &l->plan[l->n_plan++];
        **ret = (PlanImage){};
        return 0;
}

/* Parses the config and checks it describes n_layers layers; fills p->diff_ids. */
static int plan_config(Loader *l, PlanImage *p, size_t n_layers) {
        _cleanup_json_ struct json_object *cfg = NULL;
        struct json_object *diff_ids;

        if (json_parse(p->config, p->config_size, &cfg, NULL) < 0 ||
                !json_object_is_type(cfg, json_type_object))
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "%s: the image config is not a JSON object",
                        p->what);
        diff_ids = json_get_array(json_get_object(cfg, "rootfs"), "diff_ids");
        if (!diff_ids)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "%s: the image config has no rootfs.diff_ids",
                        p->what);
        if (json_object_array_length(diff_ids) != n_layers)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                        "%s: the image config lists %zu layers, the manifest %zu", p->what,
                        json_object_array_length(diff_ids), n_layers);
        for (size_t i = 0; i < n_layers; i++) {
                struct json_object *d = json_object_array_get_idx(diff_ids, i);
                const char *s = json_object_is_type(d, json_type_string) ? json_object_get_string(d) : NULL;

                if (!digest_is_valid(s))
                        return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                                "%s: the image config has a malformed diff_id", p->what);
                if (strv_extend(&p->diff_ids, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_docker_archive(Loader *l) {
        _cleanup_free_ char *data = NULL;
        DockerArchiveImage *images = NULL;
        const char *reason = NULL;
        size_t size, n = 0;
        int r;

        r = read_member(l, "manifest.json", DOCKER_ARCHIVE_MANIFEST_MAX, NULL, &data, &size);
        if (r < 0)
                return r;
        r = docker_archive_manifest_parse(data, size, &images, &n, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(l, r, "%s", reason);

        for (size_t i = 0; i < n && r >= 0; i++) {
                DockerArchiveImage *img = &images[i];
                char digest[DIGEST_STRING_MAX];
                PlanImage *p;

                r = plan_add(l, &p);
                if (r < 0)
                        break;
                p->what = asprintf_safe("manifest.json image %zu", i + 1);
                if (!p->what) {
                        r = -ENOMEM;
                        break;
                }
                p->tags = TAKE_PTR(img->repo_tags);
                /* the config's file name is its digest (the image ID) */
                r = read_member(l, img->config, CONFIG_SIZE_MAX,
                        name_digest(img->config, archive_member_classify(img->config, NULL), digest) ? digest
                                                                                                     : NULL,
                        &p->config, &p->config_size);
                if (r < 0)
                        break;
                r = plan_config(l, p, img->n_layers);
                if (r < 0)
                        break;
                for (size_t j = 0; j < img->n_layers && r >= 0; j++) {
                        const Member *m;
                        bool blob = archive_member_classify(img->layers[j], NULL) == ARCHIVE_MEMBER_BLOB;

                        r = lookup(l, img->layers[j], &m);
                        if (r < 0)
                                break;
                        /* Docker >= 25 names layers blobs/sha256/HEX: content-addressed, so checked */
                        if (blob && name_digest(img->layers[j], ARCHIVE_MEMBER_BLOB, digest))
                                r = strv_extend(&p->compressed, digest);
                        else
                                r = strv_extend(&p->compressed, "");
                        if (r >= 0)
                                r = strv_extend(&p->layer_names, img->layers[j]);
                }
        }
        docker_archive_image_array_free(images, n);
        return r;
}

/* An OCI ref.name or containerd image name as a tag, if it is a full name (see load.h). */
static int oci_tag(const Descriptor *d, char ***tags) {
        const char *candidates[] = { d->image_name, d->ref_name };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                _cleanup_(image_reference_freep) ImageReference *ref = NULL;
                const char *c = candidates[i];

                if (!c || (i == 1 && !strpbrk(c, ":/")))
                        continue;
                if (image_reference_parse(c, &ref, NULL) < 0 || ref->digest || !ref->tag) {
                        log_debug("Ignoring OCI image name annotation '%s': not NAME:TAG", c);
                        continue;
                }
                return strv_consume(tags, image_reference_to_string(ref));
        }
        return 0;
}

static int oci_blob_name(const char *digest, char **ret) {
        const char *hex = digest_hex(digest);

        if (!hex)
                return -EINVAL;
        *ret = strjoin("blobs/sha256/", hex);
        return *ret ? 0 : -ENOMEM;
}

static int read_oci_blob(Loader *l, const Descriptor *d, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = oci_blob_name(d->digest, &name);
        if (r < 0)
                return r;
        return read_member(l, name, max, d->digest, ret, ret_size);
}

static int plan_oci_entry(Loader *l, const Descriptor *entry, size_t index) {
        _cleanup_(manifest_freep) Manifest *m = NULL, *nested = NULL;
        _cleanup_free_ char *body = NULL, *what = NULL;
        const Descriptor *d = entry;
        const char *reason = NULL;
        size_t size;
        PlanImage *p;
        int r;

        what = entry->ref_name ? asprintf_safe("index.json entry %zu ('%.256s')", index + 1, entry->ref_name)
                               : asprintf_safe("index.json entry %zu", index + 1);
        if (!what)
                return -ENOMEM;
        for (char *c = what; *c; c++) /* the ref name comes from the archive */
                if ((unsigned char) *c < 0x20 || (unsigned char) *c == 0x7f)
                        *c = '?';

        r = read_oci_blob(l, d, MANIFEST_SIZE_MAX, &body, &size);
        if (r < 0)
                return r;
        r = manifest_parse(body, size, d->media_type, &m, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(l, r, "%s: %s", what, reason);
        if (m->kind == MANIFEST_INDEX) {
                const char *arch = image_config_host_arch();

                if (manifest_index_select(m, "linux", arch, NULL, &d) < 0)
                        return fail(l, SYNTHETIC_ERRNO(ENOENT), "%s: the index has no image for linux/%s",
                                what, arch);
                body = mfree(body);
                r = read_oci_blob(l, d, MANIFEST_SIZE_MAX, &body, &size);
                if (r < 0)
                        return r;
                r = manifest_parse(body, size, d->media_type, &nested, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(l, r, "%s: %s", what, reason);
                if (nested->kind != MANIFEST_IMAGE)
                        return fail(l, SYNTHETIC_ERRNO(EBADMSG),
                                "%s: the index entry for linux/%s is itself an index", what, arch);
                manifest_free(m);
                m = TAKE_PTR(nested);
        }

        r = plan_add(l, &p);
        if (r < 0)
                return r;
        p->what = TAKE_PTR(what);
        r = oci_tag(entry, &p->tags);
        if (r < 0)
                return r;
        r = read_oci_blob(l, &m->config, CONFIG_SIZE_MAX, &p->config, &p->config_size);
        if (r < 0)
                return r;
        r = plan_config(l, p, m->n_layers);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_layers; i++) {
                _cleanup_free_ char *name = NULL;
                const Member *member;

                r = oci_blob_name(m->layers[i].digest, &name);
                if (r < 0)
                        return r;
                r = lookup(l, name, &member);
                if (r < 0)
                        return r;
                if (strv_extend(&p->compressed, m->layers[i].digest) < 0 ||
                        strv_consume(&p->layer_names, TAKE_PTR(name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_oci(Loader *l) {
        _cleanup_(manifest_freep) Manifest *index = NULL;
        _cleanup_free_ char *data = NULL;
        const char *reason = NULL;
        size_t size;
        int r;

        r = read_member(l, "index.json", MANIFEST_SIZE_MAX, NULL, &data, &size);
        if (r < 0)
                return r;
        r = manifest_parse(data, size, MEDIA_TYPE_OCI_INDEX, &index, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(l, r, "index.json: %s", reason);
        if (index->kind != MANIFEST_INDEX)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "index.json is not an image index");
        if (index->n_manifests == 0)
                return fail(l, SYNTHETIC_ERRNO(EBADMSG), "index.json lists no image");
        for (size_t i = 0; i < index->n_manifests; i++) {
                if (index->manifests[i].attestation)
                        continue;
                r = plan_oci_entry(l, &index->manifests[i], i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- importing ----------------------------------------------------------------------------------------- */

static int import_layers(Loader *l, PlanImage *p) {
        size_t n = strv_length(p->diff_ids);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *msg = NULL, *q = NULL;
                _cleanup_close_ int fd = -EBADF;
                const Member *m;
                LayerExpect expect = {
                        .diff_id = p->diff_ids[i],
                        .compressed_digest = isempty(p->compressed[i]) ? NULL : p->compressed[i],
                };
                int r;

                if (image_store_has_layer(l->store, p->diff_ids[i]))
                        continue;
                q = quote_name(p->layer_names[i]);
                if (!q)
                        return -ENOMEM;
                r = lookup(l, p->layer_names[i], &m);
                if (r < 0)
                        return r;
                fd = open_member(l, m);
                if (fd < 0)
                        return fail(l, fd, "cannot open the spooled layer '%s': %s", q, errstr(fd));
                log_debug("Importing layer '%s' (%s)", q, p->diff_ids[i]);
                r = image_store_import_layer(l->store, fd, 0, &expect, NULL, &msg);
                if (r < 0)
                        return fail(l, r, "%s: layer '%s': %s", p->what, q, msg ?: errstr(r));
        }
        return 0;
}

int image_load(ImageStore *s, int input_fd, LoadResult *ret, char **reterr) {
        _cleanup_(loader_done) Loader l = { .store = s, .input_fd = input_fd, .work_fd = -EBADF };
        LoadResult result = {};
        int r;

        assert(s && input_fd >= 0 && ret && reterr);

        r = dlopen_libarchive();
        if (r >= 0)
                r = dlopen_libcrypto();
        if (r < 0) {
                *reterr = strdup("cannot load libarchive or libcrypto, which loading archives needs");
                return r;
        }
        l.in_buffer = malloc(COPY_BUFFER_SIZE);
        l.buffer = malloc(COPY_BUFFER_SIZE);
        if (!l.in_buffer || !l.buffer)
                return -ENOMEM;
        r = image_store_make_work_dir(s, "load", &l.work, &l.work_fd);
        if (r < 0) {
                *reterr = asprintf_safe("cannot create a work dir in '%s/tmp': %s", image_store_root(s),
                        errstr(r));
                return r;
        }

        r = spool_archive(&l);
        if (r >= 0) {
                if (find_member(&l, "manifest.json"))
                        r = plan_docker_archive(&l);
                else if (find_member(&l, "index.json"))
                        r = plan_oci(&l);
                else
                        r = fail(&l, SYNTHETIC_ERRNO(EBADMSG),
                                "neither a docker-archive nor an OCI archive: no manifest.json or "
                                "index.json%s",
                                l.n_members == 0 ? " (the input is empty or not a tar)" : "");
        }
        for (size_t i = 0; r >= 0 && i < l.n_plan; i++)
                r = import_layers(&l, &l.plan[i]);
        if (r < 0)
                goto finish;

        result.images = calloc(l.n_plan ?: 1, sizeof(LoadedImage));
        if (!result.images) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < l.n_plan; i++) {
                PlanImage *p = &l.plan[i];
                LoadedImage *img = &result.images[result.n_images];

                r = image_store_add_image(s, p->config, p->config_size, /* manifest_digest= */ NULL, p->tags,
                        img->id);
                if (r < 0) {
                        fail(&l, r, "%s: cannot record the image: %s", p->what, errstr(r));
                        goto finish;
                }
                img->tags = TAKE_PTR(p->tags);
                result.n_images++;
        }
        *ret = result;
        return 0;

finish:
        load_result_done(&result);
        if (r == -ENOMEM && !l.error)
                l.error = strdup("out of memory");
        *reterr = TAKE_PTR(l.error);
        if (!*reterr)
                *reterr = asprintf_safe("loading the archive failed: %s", errstr(r));
        return r;
}
