/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auth-config.h"
#include "base64.h"
#include "config.h"
#include "curl-dl.h"
#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"
#include "string-util.h"
#include "strv.h"
#include "www-auth.h"

#define ERROR_BODY_MAX (64u * 1024)
#define TOKEN_BODY_MAX (1024u * 1024)
#define REDIRECTS_MAX 5
#define CA_BUNDLE_MAX (8u * 1024 * 1024)

struct RegistryClient {
        char *domain; /* as in the reference: "docker.io", "localhost:5000" */
        char *host; /* where we connect: "registry-1.docker.io", "localhost:5000" */
        char *repository;
        bool plain_http_allowed; /* loopback or listed insecure: HTTP after HTTPS failed */
        bool skip_verify; /* listed insecure */
        const char *scheme; /* "https" until a ping decided otherwise */
        char *origin; /* "https://host" */
        char *ca; /* PEM bundle: the system's plus certs.d's, or NULL for curl's default */
        size_t ca_size;
        char *client_cert, *client_key;
        long timeout_s;

        pthread_mutex_t lock; /* guards the fields below */
        char *user, *password;
        char *authorization; /* "Bearer ..." or "Basic ..." once known */
        bool pinged;
        bool push; /* tokens are asked for "push,pull" */
};

typedef struct Response {
        long status;
        char *content_type, *digest, *www_authenticate, *location;
        /* a 2xx body goes to sink when set, else (and for every other status) into body, at most body_max */
        RegistrySink sink;
        void *userdata;
        int sink_error;
        char *body;
        size_t body_size, body_max;
        bool body_too_large;
} Response;

static void response_reset_headers(Response *r) {
        r->content_type = mfree(r->content_type);
        r->digest = mfree(r->digest);
        r->www_authenticate = mfree(r->www_authenticate);
        r->location = mfree(r->location);
}

static void response_done(Response *r) {
        response_reset_headers(r);
        r->body = mfree(r->body);
}

bool registry_host_is_loopback(const char *domain) {
        _cleanup_free_ char *host = NULL;

        if (domain[0] == '[') {
                const char *end = strchr(domain, ']');
                host = end ? strndup(domain + 1, (size_t) (end - domain - 1)) : NULL;
        } else
                host = strndup(domain, strcspn(domain, ":"));
        if (!host)
                return false;
        return streq(host, "localhost") || streq(host, "::1") || startswith(host, "127.");
}

/* $BERTH_CONFIG_DIR/registries.conf: "insecure = HOST[:PORT] ..." lines (repeatable), "#" comments */
static int config_lists_insecure(const char *domain, bool *ret) {
        _cleanup_free_ char *path = strjoin(berth_config_dir(), "/registries.conf"), *text = NULL;
        char *line, *save = NULL;
        int r;

        *ret = false;
        if (!path)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, path, 1024 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read '%s': %m", path);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *p = line + strspn(line, " \t"), *v, *tok, *save2 = NULL;

                if (*p == '#' || *p == 0)
                        continue;
                v = strchr(p, '=');
                if (!v) {
                        log_warning("Ignoring line without '=' in '%s': %s", path, p);
                        continue;
                }
                *v++ = 0;
                p[strcspn(p, " \t")] = 0;
                if (!streq(p, "insecure")) {
                        log_warning("Ignoring unknown setting '%s' in '%s'", p, path);
                        continue;
                }
                for (tok = strtok_r(v, " \t,\"[]", &save2); tok; tok = strtok_r(NULL, " \t,\"[]", &save2))
                        if (streq(tok, domain))
                                *ret = true;
        }
        return 0;
}

static int load_tls_config(RegistryClient *c) {
        _cleanup_free_ char *dir = strjoin(berth_config_dir(), "/certs.d/", c->domain), *bundle = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        size_t size = 0;
        bool extra = false;
        int r;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : log_error_errno(-errno, "Failed to open '%s': %m", dir);

        /* curl takes one CA source: start from the system's bundle so public CAs keep working */
        r = read_full_file_at(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", CA_BUNDLE_MAX, &bundle, &size);
        if (r < 0 && r != -ENOENT)
                log_debug_errno(r, "Not using the system CA bundle: %m");
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *path = strjoin(dir, "/", de->d_name), *pem = NULL;
                size_t n;
                char *grown;

                if (!path)
                        return -ENOMEM;
                if (streq(de->d_name, "client.cert")) {
                        free(c->client_cert);
                        c->client_cert = TAKE_PTR(path);
                        continue;
                }
                if (streq(de->d_name, "client.key")) {
                        free(c->client_key);
                        c->client_key = TAKE_PTR(path);
                        continue;
                }
                if (!endswith(de->d_name, ".crt"))
                        continue;
                r = read_full_file_at(AT_FDCWD, path, CA_BUNDLE_MAX, &pem, &n);
                if (r < 0)
                        return log_error_errno(r, "Failed to read CA certificate '%s': %m", path);
                grown = realloc(bundle, size + n + 2);
                if (!grown)
                        return -ENOMEM;
                bundle = grown;
                bundle[size++] = '\n';
                memcpy(bundle + size, pem, n);
                size += n;
                bundle[size] = 0;
                extra = true;
                log_debug("Trusting CA certificate '%s' for %s", path, c->domain);
        }
        if (extra) {
                c->ca = TAKE_PTR(bundle);
                c->ca_size = size;
        }
        return 0;
}

RegistryClient *registry_client_free(RegistryClient *c) {
        if (!c)
                return NULL;
        free(c->domain);
        free(c->host);
        free(c->repository);
        free(c->origin);
        free(c->ca);
        free(c->client_cert);
        free(c->client_key);
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        free(c->user);
        free(c->password);
        free(c->authorization);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}

static int set_origin(RegistryClient *c, const char *scheme) {
        char *o = strjoin(scheme, "://", c->host);

        if (!o)
                return -ENOMEM;
        free(c->origin);
        c->origin = o;
        c->scheme = scheme;
        return 0;
}

int registry_client_new(const char *domain, const char *repository, RegistryClient **ret, char **reterr) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        bool listed;
        int r;

        r = dlopen_libcurl();
        if (r < 0) {
                *reterr = strdup("cannot load libcurl (" LIBCURL_SONAME "), which pulling images needs");
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        c->domain = strdup(domain);
        c->host = strdup(streq(domain, "docker.io") ? "registry-1.docker.io" : domain);
        c->repository = strdup(repository);
        if (!c->domain || !c->host || !c->repository)
                return -ENOMEM;
        r = config_lists_insecure(domain, &listed);
        if (r < 0) {
                *reterr = asprintf_safe("cannot read %s/registries.conf", berth_config_dir());
                return r;
        }
        c->skip_verify = listed;
        c->plain_http_allowed = listed || registry_host_is_loopback(domain);
        r = load_tls_config(c);
        if (r < 0) {
                *reterr = asprintf_safe("cannot load the TLS settings in %s/certs.d/%s", berth_config_dir(),
                        domain);
                return r;
        }
        r = auth_config_lookup(domain, &c->user, &c->password);
        if (r < 0) {
                *reterr = asprintf_safe("cannot read the credentials for %s", domain);
                return r;
        }
        c->timeout_s = (long) getenv_uint64("BERTH_REGISTRY_TIMEOUT", 30);
        r = set_origin(c, "https");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int registry_client_set_credentials(RegistryClient *c, const char *user, const char *password) {
        char *u = strdup(user), *p = strdup(password);

        if (!u || !p) {
                free(u);
                free(p);
                return -ENOMEM;
        }
        pthread_mutex_lock(&c->lock);
        free(c->user);
        free(c->password);
        c->user = u;
        c->password = p;
        c->authorization = mfree(c->authorization);
        pthread_mutex_unlock(&c->lock);
        return 0;
}

/* --- one HTTP exchange ------------------------------------------------------------------------------- */

static size_t header_cb(char *buffer, size_t size, size_t n, void *userdata) {
        Response *r = userdata;
        size_t len = size * n;
        _cleanup_free_ char *line = strndup(buffer, len);
        char *colon, *value, **slot = NULL;

        if (!line)
                return 0;
        if (startswith(line, "HTTP/")) {
                /* a new response (after 100 Continue, say): forget the previous one's headers */
                response_reset_headers(r);
                return len;
        }
        colon = strchr(line, ':');
        if (!colon)
                return len;
        *colon = 0;
        value = colon + 1;
        value += strspn(value, " \t");
        value[strcspn(value, "\r\n")] = 0;
        if (strcasecmp(line, "content-type") == 0)
                slot = &r->content_type;
        else if (strcasecmp(line, "docker-content-digest") == 0)
                slot = &r->digest;
        else if (strcasecmp(line, "location") == 0)
                slot = &r->location;
        else if (strcasecmp(line, "www-authenticate") == 0) {
                /* several challenges: prefer Bearer, as Docker does */
                if (r->www_authenticate && !strncasecmp(r->www_authenticate, "bearer", 6))
                        return len;
                slot = &r->www_authenticate;
        }
        if (slot) {
                free(*slot);
                *slot = strdup(value);
                if (!*slot)
                        return 0;
        }
        return len;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userdata) {
        Response *r = userdata;
        size_t len = size * n;
        char *grown;

        if (r->sink && r->status / 100 == 2) {
                int q = r->sink(data, len, r->userdata);
                if (q < 0) {
                        r->sink_error = q;
                        return 0;
                }
                return len;
        }
        if (len > r->body_max - r->body_size) {
                r->body_too_large = true;
                return 0;
        }
        grown = realloc(r->body, r->body_size + len + 1);
        if (!grown)
                return 0;
        r->body = grown;
        memcpy(r->body + r->body_size, data, len);
        r->body_size += len;
        r->body[r->body_size] = 0;
        return len;
}

/* curl only knows the status once the headers are in: the first body byte decides where the body goes */
static size_t write_cb_status(char *data, size_t size, size_t n, void *userdata);

typedef struct Exchange {
        Response *resp;
        CURL *curl;
} Exchange;

static size_t write_cb_status(char *data, size_t size, size_t n, void *userdata) {
        Exchange *x = userdata;

        if (x->resp->status == 0)
                (void) curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->resp->status);
        return write_cb(data, size, n, x->resp);
}

static int curl_error_to_errno(CURLcode cc) {
        switch (cc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return -ECONNREFUSED;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

/* A request body: size bytes from data, or from fd at offset 0 on (read with pread, so a retry can start
 * over). */
typedef struct Upload {
        const void *data;
        int fd;
        uint64_t size;
        uint64_t offset;
        int error;
} Upload;

static size_t upload_read_cb(char *buffer, size_t size, size_t n, void *userdata) {
        Upload *u = userdata;
        size_t want = size * n;
        ssize_t k;

        if (u->offset >= u->size)
                return 0;
        if (want > u->size - u->offset)
                want = (size_t) (u->size - u->offset);
        if (u->data) {
                memcpy(buffer, (const uint8_t *) u->data + u->offset, want);
                u->offset += want;
                return want;
        }
        do
                k = pread(u->fd, buffer, want, (off_t) u->offset);
        while (k < 0 && errno == EINTR);
        if (k <= 0) {
                u->error = k < 0 ? -errno : -EIO;
                return CURL_READFUNC_ABORT;
        }
        u->offset += (uint64_t) k;
        return (size_t) k;
}

static int upload_seek_cb(void *userdata, curl_off_t offset, int origin) {
        Upload *u = userdata;

        if (origin != SEEK_SET || offset < 0 || (uint64_t) offset > u->size)
                return CURL_SEEKFUNC_CANTSEEK;
        u->offset = (uint64_t) offset;
        return CURL_SEEKFUNC_OK;
}

static int append_header(struct curl_slist **headers, const char *name, const char *value) {
        _cleanup_free_ char *h = strjoin(name, ": ", value);
        struct curl_slist *l;

        if (!h)
                return -ENOMEM;
        l = curl_slist_append(*headers, h);
        if (!l)
                return -ENOMEM;
        *headers = l;
        return 0;
}

/* One request: method "GET", "HEAD", "POST" or "PUT" of url; authorization (may be NULL) is sent as is;
 * upload (may be NULL) is the body of a POST or PUT, of content_type. Fills resp (status, headers, body). */
static int http_request(RegistryClient *c, const char *method, const char *url, const char *accept,
        const char *authorization, const char *content_type, Upload *upload, Response *resp, char **reterr) {
        struct curl_slist *headers = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        Exchange x = { .resp = resp };
        CURLcode cc;
        int r = 0;

        resp->status = 0;
        x.curl = curl_easy_init();
        if (!x.curl)
                return -ENOMEM;
        if (upload) {
                upload->offset = 0;
                upload->error = 0;
        }
        if (!streq(method, "GET")) {
                /* no "Expect: 100-continue" round trip before a body */
                r = append_header(&headers, "Expect", "");
                if (r >= 0 && content_type)
                        r = append_header(&headers, "Content-Type", content_type);
                if (r < 0)
                        goto finish;
        }
        if (accept && (r = append_header(&headers, "Accept", accept)) < 0)
                goto finish;
        if (authorization && (r = append_header(&headers, "Authorization", authorization)) < 0)
                goto finish;
        (void) curl_easy_setopt(x.curl, CURLOPT_URL, url);
        (void) curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "http,https");
        (void) curl_easy_setopt(x.curl, CURLOPT_FOLLOWLOCATION, 0L);
        (void) curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "berth/" PROJECT_VERSION);
        (void) curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, headers);
        (void) curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT, c->timeout_s);
        /* a stall: less than 1 byte/s for timeout_s seconds */
        (void) curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        (void) curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
        (void) curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, header_cb);
        (void) curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, resp);
        (void) curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, write_cb_status);
        (void) curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
        (void) curl_easy_setopt(x.curl, CURLOPT_BUFFERSIZE, 256L * 1024);
        if (c->ca) {
                struct curl_blob blob = { .data = c->ca, .len = c->ca_size, .flags = CURL_BLOB_NOCOPY };
                (void) curl_easy_setopt(x.curl, CURLOPT_CAINFO_BLOB, &blob);
        }
        if (c->client_cert && c->client_key) {
                (void) curl_easy_setopt(x.curl, CURLOPT_SSLCERT, c->client_cert);
                (void) curl_easy_setopt(x.curl, CURLOPT_SSLKEY, c->client_key);
        }
        if (c->skip_verify) {
                (void) curl_easy_setopt(x.curl, CURLOPT_SSL_VERIFYPEER, 0L);
                (void) curl_easy_setopt(x.curl, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (streq(method, "HEAD"))
                (void) curl_easy_setopt(x.curl, CURLOPT_NOBODY, 1L);
        else if (streq(method, "PUT") || (streq(method, "POST") && upload)) {
                (void) curl_easy_setopt(x.curl, CURLOPT_UPLOAD, 1L);
                (void) curl_easy_setopt(x.curl, CURLOPT_READFUNCTION, upload_read_cb);
                (void) curl_easy_setopt(x.curl, CURLOPT_READDATA, upload);
                (void) curl_easy_setopt(x.curl, CURLOPT_SEEKFUNCTION, upload_seek_cb);
                (void) curl_easy_setopt(x.curl, CURLOPT_SEEKDATA, upload);
                (void) curl_easy_setopt(x.curl, CURLOPT_INFILESIZE_LARGE,
                        (curl_off_t) (upload ? upload->size : 0));
                if (streq(method, "POST"))
                        (void) curl_easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, "POST");
        } else if (streq(method, "POST")) {
                (void) curl_easy_setopt(x.curl, CURLOPT_POST, 1L);
                (void) curl_easy_setopt(x.curl, CURLOPT_POSTFIELDS, "");
                (void) curl_easy_setopt(x.curl, CURLOPT_POSTFIELDSIZE, 0L);
        }

        cc = curl_easy_perform(x.curl);
        if (resp->status == 0)
                (void) curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &resp->status);
        if (cc != CURLE_OK) {
                if (resp->sink_error < 0) {
                        r = resp->sink_error;
                        if (!*reterr)
                                *reterr = asprintf_safe("%s %s: %s", method, url, strerror(-r));
                } else if (upload && upload->error < 0) {
                        r = upload->error;
                        *reterr = asprintf_safe("%s %s: cannot read the data to send: %s", method, url,
                                strerror(-r));
                } else if (resp->body_too_large) {
                        r = -EPROTO;
                        *reterr = asprintf_safe("%s %s: the response is larger than %zu bytes", method, url,
                                resp->body_max);
                } else {
                        r = curl_error_to_errno(cc);
                        *reterr = asprintf_safe("%s %s: %s", method, url,
                                errbuf[0] ? errbuf : curl_easy_strerror(cc));
                }
        }
finish:
        curl_slist_free_all(headers);
        curl_easy_cleanup(x.curl);
        return r;
}

static int http_get(RegistryClient *c, const char *url, const char *accept, const char *authorization,
        Response *resp, char **reterr) {
        return http_request(c, "GET", url, accept, authorization, /* content_type= */ NULL,
                /* upload= */ NULL, resp, reterr);
}

/* --- authentication ------------------------------------------------------------------------------------ */

static char *percent_encode(const char *s) {
        char *out = malloc(strlen(s) * 3 + 1), *p = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        strchr("-._~", ch))
                        *p++ = (char) ch;
                else
                        p += sprintf(p, "%%%02X", ch);
        }
        *p = 0;
        return out;
}

/* "scheme://host[:port]" of url, or NULL */
static char *url_origin(const char *url) {
        const char *p = strstr(url, "://");

        if (!p)
                return NULL;
        p += 3;
        return strndup(url, (size_t) (p - url) + strcspn(p, "/?#"));
}

static bool url_is_secure_or_local(const char *url) {
        _cleanup_free_ char *o = url_origin(url);
        const char *host;

        if (!o)
                return false;
        if (startswith(o, "https://"))
                return true;
        host = startswith(o, "http://");
        return host && registry_host_is_loopback(host);
}

/* Registries answer errors as {"errors":[{"code":"...","message":"..."}]}: a short description of it */
static char *describe_error_body(const Response *resp) {
        _cleanup_json_ struct json_object *root = NULL;
        struct json_object *errors, *first;
        const char *code, *message;

        if (!resp->body || json_parse(resp->body, resp->body_size, &root, NULL) < 0)
                return NULL;
        errors = json_get_array(root, "errors");
        first = errors && json_object_array_length(errors) > 0 ? json_object_array_get_idx(errors, 0) : NULL;
        code = first ? json_get_string(first, "code") : NULL;
        message = first ? json_get_string(first, "message") : NULL;
        if (!code && !message)
                return NULL;
        return asprintf_safe("%s%s%s", code ?: "", code && message ? ": " : "", message ?: "");
}

static char *basic_header(const char *user, const char *password) {
        _cleanup_free_ char *pair = strjoin(user, ":", password), *b64 = NULL;

        if (!pair)
                return NULL;
        b64 = base64_encode(pair, strlen(pair));
        explicit_bzero(pair, strlen(pair));
        return b64 ? strjoin("Basic ", b64) : NULL;
}

/* Answers a 401's challenge: a Bearer token from the realm, or Basic credentials. */
static int authenticate(RegistryClient *c, const char *challenge, char **reterr) {
        _cleanup_(www_auth_freep) WwwAuth *a = NULL;
        _cleanup_free_ char *user = NULL, *password = NULL, *basic = NULL;
        int r;

        if (!challenge || www_auth_parse(challenge, &a) < 0) {
                *reterr = asprintf_safe(
                        "%s wants authentication but sent no usable WWW-Authenticate challenge", c->domain);
                return -EPROTO;
        }
        pthread_mutex_lock(&c->lock);
        user = c->user ? strdup(c->user) : NULL;
        password = c->password ? strdup(c->password) : NULL;
        pthread_mutex_unlock(&c->lock);
        if (user && password) {
                basic = basic_header(user, password);
                if (!basic)
                        return -ENOMEM;
        }

        if (streq(a->scheme, "basic")) {
                if (!basic) {
                        *reterr = asprintf_safe("%s requires a user name and password: run 'berth login %s'",
                                c->domain, c->domain);
                        return -EACCES;
                }
                pthread_mutex_lock(&c->lock);
                free(c->authorization);
                c->authorization = TAKE_PTR(basic);
                pthread_mutex_unlock(&c->lock);
                return 0;
        }
        if (!streq(a->scheme, "bearer")) {
                *reterr = asprintf_safe("%s wants the unsupported authentication scheme '%s'", c->domain,
                        a->scheme);
                return -EPROTO;
        }
        if (!a->realm || !(startswith(a->realm, "https://") || startswith(a->realm, "http://"))) {
                *reterr = asprintf_safe("%s sent a Bearer challenge without an http(s) realm", c->domain);
                return -EPROTO;
        }
        if (basic && !url_is_secure_or_local(a->realm)) {
                *reterr = asprintf_safe("not sending the credentials for %s to the token service %s over "
                                        "plain "
                                        "HTTP",
                        c->domain, a->realm);
                return -EACCES;
        }

        /* GET realm?service=...&scope=repository:REPO:pull (push,pull for a push) */
        _cleanup_free_ char *scope =
                asprintf_safe("repository:%s:%s", c->repository, c->push ? "push,pull" : "pull");
        _cleanup_free_ char *svc = a->service ? percent_encode(a->service) : strdup("");
        _cleanup_free_ char *sc = scope ? percent_encode(scope) : NULL, *url = NULL;
        _cleanup_free_ char *extra = a->scope && !streq(a->scope, scope) ? percent_encode(a->scope) : NULL;
        _cleanup_(response_done) Response resp = { .body_max = TOKEN_BODY_MAX };
        _cleanup_json_ struct json_object *root = NULL;
        const char *token;

        if (!scope || !svc || !sc || (a->scope && !streq(a->scope, scope) && !extra))
                return -ENOMEM;
        /* login has no repository: it asks for a token without scope, which checks the credentials only */
        url = asprintf_safe("%s%s%s%s%s%s%s%s", a->realm, strchr(a->realm, '?') ? "&" : "?",
                a->service ? "service=" : "", svc, c->repository[0] ? "&scope=" : "",
                c->repository[0] ? sc : "", extra ? "&scope=" : "", extra ?: "");
        if (!url)
                return -ENOMEM;
        r = http_get(c, url, "application/json", basic, &resp, reterr);
        if (r < 0)
                return r;
        if (resp.status == 401 || resp.status == 403) {
                *reterr = asprintf_safe("the token service %s refused %s (HTTP %ld)%s", a->realm,
                        basic ? "the credentials" : "anonymous access", resp.status,
                        basic ? "" : ": run 'berth login' if the repository is private");
                return -EACCES;
        }
        if (resp.status != 200) {
                *reterr = asprintf_safe("the token service %s answered HTTP %ld", a->realm, resp.status);
                return -EPROTO;
        }
        if (json_parse(resp.body ?: "", resp.body_size, &root, NULL) < 0) {
                *reterr = asprintf_safe("the token service %s did not answer JSON", a->realm);
                return -EPROTO;
        }
        token = json_get_string(root, "token") ?: json_get_string(root, "access_token");
        if (isempty(token) || strpbrk(token, "\r\n")) {
                *reterr = asprintf_safe("the token service %s sent no usable token", a->realm);
                return -EPROTO;
        }
        char *h = strjoin("Bearer ", token);
        if (!h)
                return -ENOMEM;
        pthread_mutex_lock(&c->lock);
        free(c->authorization);
        c->authorization = h;
        pthread_mutex_unlock(&c->lock);
        return 0;
}

/* --- requests against the registry ----------------------------------------------------------------------- */

/* method (GET, HEAD, POST, PUT) of origin+path (or of an absolute URL the registry named, e.g. an upload
 * Location) with authentication (one retry after a 401) and, for GET and HEAD, redirects. The
 * Authorization header only ever goes to the registry's origin. The final response is in resp. */
static int registry_send(RegistryClient *c, const char *method, const char *path, const char *accept,
        const char *content_type, Upload *upload, Response *resp, char **reterr) {
        _cleanup_free_ char *url = path[0] == '/' ? strjoin(c->origin, path) : strdup(path);
        bool retried = false, follow = streq(method, "GET") || streq(method, "HEAD");
        int r;

        if (!url)
                return -ENOMEM;
        for (unsigned hop = 0;; hop++) {
                _cleanup_free_ char *auth = NULL, *origin = url_origin(url);
                bool own = origin && streq(origin, c->origin);

                if (!origin) {
                        *reterr = asprintf_safe("%s %s: not an http(s) URL", method, url);
                        return -EPROTO;
                }
                if (own) {
                        pthread_mutex_lock(&c->lock);
                        auth = c->authorization ? strdup(c->authorization) : NULL;
                        bool oom = c->authorization && !auth;
                        pthread_mutex_unlock(&c->lock);
                        if (oom)
                                return -ENOMEM;
                }
                response_reset_headers(resp);
                resp->body = mfree(resp->body);
                resp->body_size = 0;
                r = http_request(c, method, url, accept, auth, content_type, upload, resp, reterr);
                if (r < 0)
                        return r;
                if (resp->status == 401 && own && !retried) {
                        retried = true;
                        r = authenticate(c, resp->www_authenticate, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (follow && IN_SET(resp->status, 301, 302, 303, 307, 308)) {
                        char *next;

                        if (hop >= REDIRECTS_MAX || !resp->location) {
                                *reterr = asprintf_safe("%s %s: too many redirects or a redirect without a "
                                                        "Location",
                                        method, url);
                                return -EPROTO;
                        }
                        if (resp->location[0] == '/')
                                next = strjoin(origin, resp->location);
                        else if (startswith(resp->location, "https://") ||
                                startswith(resp->location, "http://"))
                                next = strdup(resp->location);
                        else {
                                *reterr = asprintf_safe("%s %s: unsupported redirect to '%s'", method, url,
                                        resp->location);
                                return -EPROTO;
                        }
                        if (!next)
                                return -ENOMEM;
                        if (startswith(url, "https://") && startswith(next, "http://") &&
                                !url_is_secure_or_local(next)) {
                                *reterr =
                                        asprintf_safe("%s %s: refusing a redirect from HTTPS to plain HTTP",
                                                method, url);
                                free(next);
                                return -EPROTO;
                        }
                        log_debug("%s %s: redirected to %s", method, url, next);
                        free(url);
                        url = next;
                        continue;
                }
                break;
        }
        if (resp->status / 100 == 2)
                return 0;

        _cleanup_free_ char *detail = describe_error_body(resp);
        if (resp->status == 401 || resp->status == 403) {
                *reterr = asprintf_safe("access to %s/%s denied (HTTP %ld%s%s): the repository does not "
                                        "exist or "
                                        "needs 'berth login %s'",
                        c->domain, c->repository, resp->status, detail ? ", " : "", detail ?: "", c->domain);
                return -EACCES;
        }
        if (resp->status == 404) {
                *reterr = asprintf_safe("%s/%s: %s", c->domain, c->repository,
                        detail ?: "not found (HTTP 404)");
                return -ENOENT;
        }
        *reterr = asprintf_safe("%s %s: HTTP %ld%s%s", method, url, resp->status, detail ? ": " : "",
                detail ?: "");
        return -EPROTO;
}

static int registry_request(RegistryClient *c, const char *path, const char *accept, Response *resp,
        char **reterr) {
        return registry_send(c, "GET", path, accept, /* content_type= */ NULL, /* upload= */ NULL, resp,
                reterr);
}

int registry_ping(RegistryClient *c, char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = ERROR_BODY_MAX };
        _cleanup_free_ char *url = NULL, *first_err = NULL;
        int r;

        url = strjoin(c->origin, "/v2/");
        if (!url)
                return -ENOMEM;
        r = http_get(c, url, NULL, NULL, &resp, &first_err);
        if (r < 0 && r != -ENOMEM && c->plain_http_allowed && streq(c->scheme, "https")) {
                log_debug("HTTPS to %s failed (%s), trying plain HTTP", c->host, first_err);
                r = set_origin(c, "http");
                if (r < 0)
                        return r;
                free(url);
                url = strjoin(c->origin, "/v2/");
                if (!url)
                        return -ENOMEM;
                response_done(&resp);
                r = http_get(c, url, NULL, NULL, &resp, reterr);
                if (r < 0) {
                        /* both failed: the HTTPS error says more */
                        free(*reterr);
                        *reterr = TAKE_PTR(first_err);
                        (void) set_origin(c, "https");
                }
        } else if (r < 0)
                *reterr = TAKE_PTR(first_err);
        if (r < 0)
                return r;
        if (resp.status == 401) {
                r = authenticate(c, resp.www_authenticate, reterr);
                if (r < 0)
                        return r;
                /* with credentials: check them now (berth login) */
                response_done(&resp);
                return registry_request(c, "/v2/", NULL, &resp, reterr);
        }
        if (resp.status != 200) {
                *reterr = asprintf_safe("%s does not look like a registry: GET %s answered HTTP %ld",
                        c->domain, url, resp.status);
                return -EPROTO;
        }
        return 0;
}

int registry_get_manifest(RegistryClient *c, const char *reference, char **ret, size_t *ret_size,
        char **ret_content_type, char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = MANIFEST_SIZE_MAX };
        _cleanup_free_ char *path = asprintf_safe("/v2/%s/manifests/%s", c->repository, reference);
        int r;

        if (!path)
                return -ENOMEM;
        r = registry_request(c, path, MANIFEST_ACCEPT, &resp, reterr);
        if (r == -ENOENT) {
                free(*reterr);
                *reterr = asprintf_safe("manifest for %s/%s%s%s not found", c->domain, c->repository,
                        startswith(reference, "sha256:") ? "@" : ":", reference);
        }
        if (r < 0)
                return r;
        if (!resp.body) {
                *reterr = asprintf_safe("the manifest of %s/%s is empty", c->domain, c->repository);
                return -EPROTO;
        }
        *ret = TAKE_PTR(resp.body);
        *ret_size = resp.body_size;
        if (ret_content_type)
                *ret_content_type = TAKE_PTR(resp.content_type);
        return 0;
}

int registry_get_blob(RegistryClient *c, const char *digest, size_t max_size, char **ret, size_t *ret_size,
        char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = max_size };
        _cleanup_free_ char *path = asprintf_safe("/v2/%s/blobs/%s", c->repository, digest);
        int r;

        if (!path)
                return -ENOMEM;
        r = registry_request(c, path, NULL, &resp, reterr);
        if (r < 0)
                return r;
        *ret = resp.body ? TAKE_PTR(resp.body) : strdup("");
        *ret_size = resp.body_size;
        return *ret ? 0 : -ENOMEM;
}

int registry_fetch_blob(RegistryClient *c, const char *digest, RegistrySink sink, void *userdata,
        char **reterr) {
        _cleanup_(response_done)
                Response resp = { .body_max = ERROR_BODY_MAX, .sink = sink, .userdata = userdata };
        _cleanup_free_ char *path = asprintf_safe("/v2/%s/blobs/%s", c->repository, digest);

        if (!path)
                return -ENOMEM;
        return registry_request(c, path, NULL, &resp, reterr);
}

/* --- push ---------------------------------------------------------------------------------------------- */

void registry_client_set_push(RegistryClient *c, bool push) {
        pthread_mutex_lock(&c->lock);
        c->push = push;
        /* a token for pulling only would be refused */
        c->authorization = mfree(c->authorization);
        pthread_mutex_unlock(&c->lock);
}

int registry_blob_exists(RegistryClient *c, const char *digest, char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = ERROR_BODY_MAX };
        _cleanup_free_ char *path = NULL;
        int r;

        if (!digest_is_valid(digest))
                return -EINVAL;
        path = asprintf_safe("/v2/%s/blobs/%s", c->repository, digest);
        if (!path)
                return -ENOMEM;
        r = registry_send(c, "HEAD", path, NULL, NULL, NULL, &resp, reterr);
        if (r == -ENOENT) {
                *reterr = mfree(*reterr);
                return 0;
        }
        return r < 0 ? r : 1;
}

/* The URL of an upload Location header with "digest=" added to its query. */
static char *upload_url(RegistryClient *c, const char *location, const char *digest) {
        _cleanup_free_ char *base = NULL, *d = percent_encode(digest);

        if (!d)
                return NULL;
        if (location[0] == '/')
                base = strjoin(c->origin, location);
        else if (startswith(location, "https://") || startswith(location, "http://"))
                base = strdup(location);
        else
                return NULL;
        if (!base)
                return NULL;
        return strjoin(base, strchr(base, '?') ? "&" : "?", "digest=", d);
}

int registry_upload_blob(RegistryClient *c, const char *digest, const void *data, int fd, uint64_t size,
        char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = ERROR_BODY_MAX };
        _cleanup_free_ char *path = NULL, *url = NULL;
        Upload upload = { .data = data, .fd = fd, .size = size };
        int r;

        if (!digest_is_valid(digest) || (!data && fd < 0))
                return -EINVAL;
        path = asprintf_safe("/v2/%s/blobs/uploads/", c->repository);
        if (!path)
                return -ENOMEM;
        r = registry_send(c, "POST", path, NULL, NULL, NULL, &resp, reterr);
        if (r < 0)
                return r;
        if (resp.status != 202 || !resp.location) {
                *reterr = asprintf_safe("POST %s%s: HTTP %ld%s, expected 202 with a Location", c->origin,
                        path, resp.status, resp.location ? "" : " without a Location");
                return -EPROTO;
        }
        url = upload_url(c, resp.location, digest);
        if (!url) {
                *reterr = asprintf_safe("%s/%s: unusable upload location '%s'", c->domain, c->repository,
                        resp.location);
                return -EPROTO;
        }
        /* one monolithic PUT with the whole blob */
        response_done(&resp);
        r = registry_send(c, "PUT", url, NULL, "application/octet-stream", &upload, &resp, reterr);
        if (r < 0)
                return r;
        if (resp.status != 201) {
                *reterr = asprintf_safe("uploading %s to %s/%s: HTTP %ld, expected 201", digest, c->domain,
                        c->repository, resp.status);
                return -EPROTO;
        }
        if (resp.digest && !streq(resp.digest, digest)) {
                *reterr = asprintf_safe("%s/%s stored blob %s as %s", c->domain, c->repository, digest,
                        resp.digest);
                return -EPROTO;
        }
        return 0;
}

int registry_put_manifest(RegistryClient *c, const char *reference, const char *media_type, const void *data,
        size_t size, char ret_digest[static DIGEST_STRING_MAX], char **reterr) {
        _cleanup_(response_done) Response resp = { .body_max = ERROR_BODY_MAX };
        _cleanup_free_ char *path = NULL;
        Upload upload = { .data = data, .fd = -EBADF, .size = size };
        char digest[DIGEST_STRING_MAX];
        int r;

        r = sha256_digest_of(data, size, digest);
        if (r < 0)
                return r;
        path = asprintf_safe("/v2/%s/manifests/%s", c->repository, reference);
        if (!path)
                return -ENOMEM;
        r = registry_send(c, "PUT", path, NULL, media_type, &upload, &resp, reterr);
        if (r < 0)
                return r;
        if (resp.status != 201) {
                *reterr = asprintf_safe("PUT %s%s: HTTP %ld, expected 201", c->origin, path, resp.status);
                return -EPROTO;
        }
        if (resp.digest && !streq(resp.digest, digest)) {
                *reterr = asprintf_safe("%s/%s stored the manifest as %s, but its digest is %s", c->domain,
                        c->repository, resp.digest, digest);
                return -EPROTO;
        }
        memcpy(ret_digest, digest, DIGEST_STRING_MAX);
        return 0;
}
