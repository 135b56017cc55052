/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth pull, login and logout: the registry verbs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth-config.h"
#include "cli.h"
#include "log.h"
#include "manifest.h"
#include "pull.h"
#include "reference.h"
#include "registry.h"
#include "string-util.h"

/* --- progress ---------------------------------------------------------------------------------------- */

typedef struct Progress {
        FILE *out;
        bool tty;
        bool quiet;
        size_t printed; /* TTY: lines drawn last time */
        int *last; /* plain: the state last printed per layer */
        size_t n_last;
} Progress;

static const char *state_text(int st) {
        switch (st) {
        case PULL_LAYER_WAITING:
                return "Waiting";
        case PULL_LAYER_DOWNLOADING:
                return "Downloading";
        case PULL_LAYER_VERIFYING:
                return "Verifying and extracting";
        case PULL_LAYER_DONE:
                return "Pull complete";
        case PULL_LAYER_EXISTS:
                return "Already exists";
        default:
                return "Failed";
        }
}

static void short_id(const char *digest, char out[13]) {
        snprintf(out, 13, "%.12s", digest + strlen("sha256:"));
}

static void draw_tty(Progress *p, const PullProgress *pp) {
        if (p->printed > 0)
                fprintf(p->out, "\033[%zuA", p->printed);
        for (size_t i = 0; i < pp->n_layers; i++) {
                const PullLayer *l = &pp->layers[i];
                int st = atomic_load(&l->state);
                char id[13], done[32], total[32], bar[52] = "";

                short_id(l->digest, id);
                if (st == PULL_LAYER_DOWNLOADING && l->size > 0) {
                        uint64_t got = atomic_load(&l->downloaded);
                        size_t filled = (size_t) (got * 50 / l->size);

                        memset(bar, '=', filled);
                        if (filled < 50)
                                bar[filled] = '>';
                        memset(bar + filled + 1, ' ', filled < 50 ? 49 - filled : 0);
                        bar[50] = 0;
                        format_bytes_docker(done, sizeof(done), got);
                        format_bytes_docker(total, sizeof(total), l->size);
                        fprintf(p->out, "\033[2K%s: Downloading [%s] %s/%s\n", id, bar, done, total);
                } else
                        fprintf(p->out, "\033[2K%s: %s\n", id, state_text(st));
        }
        p->printed = pp->n_layers;
        fflush(p->out);
}

static void draw_plain(Progress *p, const PullProgress *pp) {
        if (p->n_last != pp->n_layers) {
                int *n = calloc(pp->n_layers ?: 1, sizeof(int));
                if (!n)
                        return;
                for (size_t i = 0; i < pp->n_layers; i++)
                        n[i] = -1;
                free(p->last);
                p->last = n;
                p->n_last = pp->n_layers;
        }
        for (size_t i = 0; i < pp->n_layers; i++) {
                int st = atomic_load(&pp->layers[i].state);
                char id[13];

                if (st == p->last[i])
                        continue;
                p->last[i] = st;
                short_id(pp->layers[i].digest, id);
                fprintf(p->out, "%s: %s\n", id,
                        st == PULL_LAYER_WAITING ? "Pulling fs layer" : state_text(st));
        }
        fflush(p->out);
}

static void on_progress(const PullProgress *pp, void *userdata) {
        Progress *p = userdata;

        if (p->quiet)
                return;
        if (p->tty)
                draw_tty(p, pp);
        else
                draw_plain(p, pp);
}

/* --- pull -------------------------------------------------------------------------------------------- */

static void pull_help(void) {
        printf("Usage: berth pull [OPTIONS] NAME[:TAG|@DIGEST]\n"
               "\n"
               "Download an image from a registry. Layers are verified by digest and unpacked while they\n"
               "download; layers already present are not downloaded again.\n"
               "\n"
               "Options:\n"
               "      --platform OS/ARCH[/VARIANT]  Pull the image for this platform (default: this "
               "machine)\n"
               "  -q, --quiet                       Print only the image reference\n"
               "  -h, --help                        Show this help\n"
               "\n"
               "Registries: HTTPS, or plain HTTP for loopback ones and those listed as \"insecure = "
               "HOST:PORT\"\n"
               "in %s/registries.conf; extra CAs in %s/certs.d/HOST:PORT/*.crt. Credentials from\n"
               "'berth login', or from ~/.docker/config.json.\n",
                berth_config_dir(), berth_config_dir());
}

int cli_pull_image(const char *name, const char *platform, bool quiet, FILE *out,
        char ret_id[DIGEST_STRING_MAX]) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL, *msg = NULL, *full = NULL,
                            *familiar = NULL;
        Progress prog = { .tty = isatty(fileno(out)), .quiet = quiet, .out = out };
        PullOptions opts = { .progress = on_progress, .userdata = &prog };
        PullResult res = {};
        const char *reason = NULL;
        int r;

        r = image_reference_parse(name, &ref, &reason);
        if (r < 0)
                return log_error("invalid reference format '%s': %s", name, reason), EXIT_USAGE;
        if (platform) {
                r = platform_parse(platform, &os, &arch, &variant);
                if (r < 0)
                        return log_error("invalid --platform '%s': expected OS/ARCH[/VARIANT], e.g. "
                                         "linux/arm64",
                                       platform),
                               EXIT_USAGE;
                opts.os = os;
                opts.architecture = arch;
                opts.variant = variant;
        }
        full = image_reference_to_string(ref);
        familiar = image_reference_familiar_name(ref);
        if (!full || !familiar)
                return log_error("Out of memory"), EXIT_CMD_FAILED;
        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;

        if (!quiet) {
                fprintf(out, "%s: Pulling from %s\n", ref->digest ?: ref->tag, ref->path);
                fflush(out);
        }
        r = image_pull(store, ref, &opts, &res, &msg);
        free(prog.last);
        if (r < 0) {
                log_error("Error pulling %s: %s", full, msg ?: strerror(-r));
                return EXIT_CMD_FAILED;
        }
        if (!quiet) {
                fprintf(out, "Digest: %s\n", res.manifest_digest);
                if (ref->digest)
                        fprintf(out, "Status: %s for %s@%s\n",
                                res.up_to_date ? "Image is up to date" : "Downloaded newer image", familiar,
                                ref->digest);
                else
                        fprintf(out, "Status: %s for %s:%s\n",
                                res.up_to_date ? "Image is up to date" : "Downloaded newer image", familiar,
                                ref->tag);
        }
        fprintf(out, "%s\n", full);
        if (ret_id)
                memcpy(ret_id, res.id, DIGEST_STRING_MAX);
        return 0;
}

int verb_pull(int argc, char *argv[]) {
        enum { ARG_PLATFORM = 0x100 };
        static const struct option options[] = {
                { "platform", required_argument, NULL, ARG_PLATFORM },
                { "quiet", no_argument, NULL, 'q' },
                { "all-tags", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *platform = NULL;
        bool quiet = false;
        int c;

        while ((c = cli_getopt("pull", argc, argv, "qah", options)) >= 0)
                switch (c) {
                case ARG_PLATFORM:
                        platform = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'a':
                        return cli_usage_error("pull",
                                "--all-tags is not supported: pull the tags one by one");
                case 'h':
                        pull_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind != 1)
                return cli_usage_error("pull", "\"pull\" requires exactly 1 argument: NAME[:TAG|@DIGEST]");
        return cli_pull_image(argv[optind], platform, quiet, stdout, NULL);
}

/* --- login / logout ----------------------------------------------------------------------------------- */

static void login_help(void) {
        printf("Usage: berth login [OPTIONS] [SERVER]\n"
               "\n"
               "Log in to a registry (default: Docker Hub). The credentials are checked, then stored in\n"
               "%s/auth.json, readable by root only.\n"
               "\n"
               "Options:\n"
               "  -u, --username USER      User name (asked for on a terminal when missing)\n"
               "  -p, --password PASS      Password (visible in the process list: prefer --password-stdin)\n"
               "      --password-stdin     Read the password from standard input\n"
               "  -h, --help               Show this help\n",
                berth_config_dir());
}

static int read_line(const char *prompt, bool echo, char **ret) {
        struct termios old, raw;
        bool tty = isatty(STDIN_FILENO);
        char *line = NULL;
        size_t n = 0;
        ssize_t len;

        if (prompt) {
                fputs(prompt, stderr);
                fflush(stderr);
        }
        if (!echo && tty && tcgetattr(STDIN_FILENO, &old) >= 0) {
                raw = old;
                raw.c_lflag &= ~(tcflag_t) ECHO;
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        } else
                tty = false;
        len = getline(&line, &n, stdin);
        if (tty) {
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &old);
                fputc('\n', stderr);
        }
        if (len < 0) {
                free(line);
                return -ENODATA;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
        *ret = line;
        return 0;
}

int verb_login(int argc, char *argv[]) {
        enum { ARG_PASSWORD_STDIN = 0x100 };
        static const struct option options[] = {
                { "username", required_argument, NULL, 'u' },
                { "password", required_argument, NULL, 'p' },
                { "password-stdin", no_argument, NULL, ARG_PASSWORD_STDIN },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(registry_client_freep) RegistryClient *client = NULL;
        _cleanup_free_ char *user = NULL, *password = NULL, *domain = NULL, *msg = NULL;
        bool password_stdin = false;
        int c, r;

        while ((c = cli_getopt("login", argc, argv, "u:p:h", options)) >= 0)
                switch (c) {
                case 'u':
                        free(user);
                        user = strdup(optarg);
                        if (!user)
                                return log_error("Out of memory"), EXIT_CMD_FAILED;
                        break;
                case 'p':
                        free(password);
                        password = strdup(optarg);
                        if (!password)
                                return log_error("Out of memory"), EXIT_CMD_FAILED;
                        break;
                case ARG_PASSWORD_STDIN:
                        password_stdin = true;
                        break;
                case 'h':
                        login_help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind > 1)
                return cli_usage_error("login", "\"login\" takes at most 1 argument: [SERVER]");
        if (password_stdin && password)
                return cli_usage_error("login", "--password and --password-stdin are mutually exclusive");
        if (password_stdin && !user)
                return cli_usage_error("login", "--password-stdin needs --username");
        domain = registry_server_host(optind < argc ? argv[optind] : "docker.io");
        if (!domain)
                return log_error("Out of memory"), EXIT_CMD_FAILED;
        if (isempty(domain) || strpbrk(domain, " \t@"))
                return cli_usage_error("login", "invalid server '%s': expected HOST[:PORT]", argv[optind]);

        if (!user) {
                if (!isatty(STDIN_FILENO))
                        return cli_usage_error("login",
                                "no --username given and standard input is not a terminal");
                if (read_line("Username: ", true, &user) < 0)
                        return log_error("No user name given"), EXIT_CMD_FAILED;
        }
        if (!password) {
                if (!password_stdin && !isatty(STDIN_FILENO))
                        return cli_usage_error("login", "no password given: use --password-stdin");
                if (read_line(password_stdin ? NULL : "Password: ", false, &password) < 0)
                        return log_error("No password given"), EXIT_CMD_FAILED;
        }
        if (isempty(user) || isempty(password) || strchr(user, ':'))
                return cli_usage_error("login",
                        "the user name must be non-empty without ':', the password non-empty");

        r = registry_client_new(domain, "", &client, &msg);
        if (r >= 0)
                r = registry_client_set_credentials(client, user, password);
        if (r >= 0)
                r = registry_ping(client, &msg);
        if (r < 0)
                return log_error("Login to %s failed: %s", domain, msg ?: strerror(-r)), EXIT_CMD_FAILED;
        r = auth_config_store(domain, user, password);
        explicit_bzero(password, strlen(password));
        if (r < 0)
                return log_error_errno(r, "Failed to store the credentials in %s/auth.json: %m",
                               berth_config_dir()),
                       EXIT_CMD_FAILED;
        printf("Login Succeeded\n");
        return 0;
}

int verb_logout(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *domain = NULL;
        int c, r;

        while ((c = cli_getopt("logout", argc, argv, "h", options)) >= 0)
                if (c == 'h') {
                        printf("Usage: berth logout [SERVER]\n"
                               "\n"
                               "Remove the credentials berth stored for a registry (default: Docker "
                               "Hub).\n");
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind > 1)
                return cli_usage_error("logout", "\"logout\" takes at most 1 argument: [SERVER]");
        domain = registry_server_host(optind < argc ? argv[optind] : "docker.io");
        if (!domain)
                return log_error("Out of memory"), EXIT_CMD_FAILED;
        r = auth_config_store(domain, NULL, NULL);
        if (r == -ENOENT) {
                printf("Not logged in to %s\n", domain);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to update %s/auth.json: %m", berth_config_dir()),
                       EXIT_CMD_FAILED;
        printf("Removing login credentials for %s\n", domain);
        return 0;
}
