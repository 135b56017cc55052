/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth generate CONTAINER: the .container file (berth.container(5)) that declares the same container, for
 * /etc/berth/containers and berth-generator. Settings that equal the image's defaults are left out, so
 * the file follows the image where the container did. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "container-util.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

static void help(void) {
        printf("Usage: berth generate CONTAINER\n"
               "\n"
               "Print a .container file that declares the container: saved as\n"
               "/etc/berth/containers/NAME.container, berth-generator turns it into the units\n"
               "NAME.service and berth@NAME.service at the next 'systemctl daemon-reload' (see\n"
               "berth.container(5)).\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n");
}

/* A value as one word of berth.container(5): quoted when it has blanks, quotes or backslashes. */
static void print_word(FILE *f, const char *s) {
        if (*s && !strpbrk(s, " \t\"'\\\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++)
                if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '\t')
                        fputs("\\t", f);
                else {
                        if (*s == '"' || *s == '\\')
                                fputc('\\', f);
                        fputc(*s, f);
                }
        fputc('"', f);
}

static void print_health_duration(FILE *f, const char *key, int64_t ns) {
        if (ns <= 0)
                return;
        if (ns % 1000000000 == 0)
                fprintf(f, "%s=%" PRIi64 "s\n", key, ns / 1000000000);
        else
                fprintf(f, "%s=%" PRIi64 "ms\n", key, ns / 1000000);
}

/* HealthCmd= is what --health-cmd takes: a shell command, or Docker's JSON array for the exec form */
static void print_health(FILE *f, const Healthcheck *h) {
        if (!healthcheck_enabled(h))
                return;
        if (streq(h->test[0], "CMD-SHELL"))
                fprintf(f, "HealthCmd=%s\n", h->test[1]);
        else {
                _cleanup_json_ struct json_object *a = json_object_new_array();
                STRV_FOREACH(t, h->test)
                        if (a)
                                (void) json_array_add_string(a, *t);
                fprintf(f, "HealthCmd=%s\n",
                        a ? json_object_to_json_string_ext(a,
                                    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                          : "");
        }
        print_health_duration(f, "HealthInterval", h->interval_ns);
        print_health_duration(f, "HealthTimeout", h->timeout_ns);
        print_health_duration(f, "HealthStartPeriod", h->start_period_ns);
        if (h->retries > 0)
                fprintf(f, "HealthRetries=%" PRIi64 "\n", h->retries);
        if (h->on_failure != HEALTH_ON_FAILURE_NONE)
                fprintf(f, "HealthOnFailure=%s\n", health_on_failure_to_string(h->on_failure));
}

static void print_words(FILE *f, const char *key, char *const *words) {
        fprintf(f, "%s=", key);
        STRV_FOREACH(w, words) {
                if (w != words)
                        fputc(' ', f);
                print_word(f, *w);
        }
        fputc('\n', f);
}

/* Strings of a JSON array member, or NULL. */
static char **json_strv(struct json_object *o, const char *key) {
        struct json_object *a = json_get_array(o, key);
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                if (json_object_is_type(v, json_type_string) &&
                        strv_extend(&l, json_object_get_string(v)) < 0)
                        return NULL;
        }
        return TAKE_PTR(l);
}

static bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static void print_command(FILE *f, const Container *c, struct json_object *cfg) {
        _cleanup_strv_free_ char **img_ep = json_strv(cfg, "Entrypoint"), **img_cmd = json_strv(cfg, "Cmd");
        char *const *exec;
        const char *ep;

        if (cfg && strv_equal(c->entrypoint, img_ep)) {
                /* the image's entrypoint: the command replaces its Cmd when it differs */
                if (!strv_equal(c->cmd, img_cmd) && c->cmd)
                        print_words(f, "Exec", c->cmd);
                return;
        }
        /* Entrypoint= is one program, as --entrypoint, and drops the image's Cmd: the rest follows in Exec= */
        ep = c->entrypoint ? c->entrypoint[0] : c->cmd ? c->cmd[0] : NULL;
        exec = c->entrypoint ? c->entrypoint + 1 : c->cmd ? c->cmd + 1 : NULL;
        if (!ep)
                return;
        fprintf(f, "Entrypoint=%s\n", ep);
        if (exec && (*exec || (c->entrypoint && c->cmd))) {
                _cleanup_strv_free_ char **all = strv_copy(exec);
                STRV_FOREACH(a, c->entrypoint ? c->cmd : NULL)
                        (void) strv_extend(&all, *a);
                if (all && *all)
                        print_words(f, "Exec", all);
        }
}

static void print_size(FILE *f, const char *key, int64_t v) {
        if (v != 0)
                fprintf(f, "%s=%" PRIi64 "\n", key, v);
}

static int print_file(FILE *f, const Container *c, const ImageRecord *img) {
        struct json_object *cfg = img ? json_get_object(img->config, "config") : NULL, *labels;
        _cleanup_strv_free_ char **img_env = json_strv(cfg, "Env");
        const char *s;

        fprintf(f,
                "# berth generate %s: container %.12s of image %s.\n"
                "# Save as /etc/berth/containers/%s.container and run 'systemctl daemon-reload'; then\n"
                "# 'systemctl start %s' runs it (remove this container first: the name is the same).\n"
                "[Container]\n"
                "Image=%s\n",
                c->name, c->id, c->image_name, c->name, c->name, c->image_name);
        print_command(f, c, cfg);
        STRV_FOREACH(e, c->env)
                if (!strv_contains(img_env, *e))
                        print_words(f, "Environment", (char *[]){ *e, NULL });
        for (size_t i = 0; i < c->n_ports; i++) {
                const PortBinding *b = c->ports + i;

                if (isempty(b->host_ip)) /* every address, IPv4 and IPv6 */
                        fprintf(f, "Publish=%u:%u\n", (unsigned) b->host_port, (unsigned) b->container_port);
                else
                        fprintf(f, strchr(b->host_ip, ':') ? "Publish=[%s]:%u:%u\n" : "Publish=%s:%u:%u\n",
                                b->host_ip, (unsigned) b->host_port, (unsigned) b->container_port);
        }
        for (size_t i = 0; i < c->n_mounts; i++) {
                const ContainerMount *m = c->mounts + i;

                if (m->type == MOUNT_BIND)
                        fprintf(f, "Volume=%s:%s%s\n", m->source, m->target, m->read_only ? ":ro" : "");
                else
                        fprintf(f, "Tmpfs=%s%s%s\n", m->target, m->options ? ":" : "", m->options ?: "");
        }
        s = cfg ? json_get_string(cfg, "User") : NULL;
        if (!isempty(c->user) && !streq_ptr(c->user, s))
                fprintf(f, "User=%s\n", c->user);
        s = cfg ? json_get_string(cfg, "WorkingDir") : NULL;
        if (!isempty(c->working_dir) && !streq_ptr(c->working_dir, s))
                fprintf(f, "WorkingDir=%s\n", c->working_dir);
        if (c->hostname && !(strlen(c->hostname) == 12 && strncmp(c->hostname, c->id, 12) == 0) &&
                c->network_mode != NETWORK_HOST)
                fprintf(f, "HostName=%s\n", c->hostname);
        if (c->network_mode != NETWORK_NONE)
                fprintf(f, "Network=%s\n", network_mode_to_string(c->network_mode));
        labels = cfg ? json_get_object(cfg, "Labels") : NULL;
        STRV_FOREACH(l, c->labels) {
                const char *eq = strchr(*l, '='), *iv;
                _cleanup_free_ char *k = eq ? strndup(*l, (size_t) (eq - *l)) : NULL;

                if (!k || streq(k, CONTAINER_FILE_LABEL))
                        continue;
                iv = json_get_string(labels, k);
                if (!iv || !streq(iv, eq + 1))
                        print_words(f, "Label", (char *[]){ *l, NULL });
        }
        if (c->restart_policy == RESTART_ON_FAILURE && c->restart_max > 0)
                fprintf(f, "Restart=on-failure:%" PRIi64 "\n", c->restart_max);
        else if (c->restart_policy != RESTART_NO)
                fprintf(f, "Restart=%s\n", restart_policy_to_string(c->restart_policy));
        if (!isempty(c->stop_signal))
                fprintf(f, "StopSignal=%s\n", c->stop_signal);
        if (c->stop_timeout != 10)
                fprintf(f, "StopTimeout=%" PRIi64 "\n", c->stop_timeout);
        if (c->init)
                fprintf(f, "Init=yes\n");
        if (c->sd_notify != SD_NOTIFY_STARTED)
                fprintf(f, "SdNotify=%s\n", sd_notify_mode_to_string(c->sd_notify));
        print_health(f, &c->healthcheck);
        if (c->read_only)
                fprintf(f, "ReadOnly=yes\n");
        if (c->privileged)
                fprintf(f, "Privileged=yes\n");
        if (c->no_new_privileges)
                fprintf(f, "NoNewPrivileges=yes\n");
        if (c->seccomp == SECCOMP_MODE_UNCONFINED)
                fprintf(f, "SeccompProfile=unconfined\n");
        else if (c->seccomp == SECCOMP_MODE_CUSTOM)
                fprintf(f,
                        "# the container has a custom seccomp profile (a copy is in its directory, "
                        "seccomp.json):\n"
                        "# put it somewhere and name it in SeccompProfile=\n");
        if (c->cap_add)
                print_words(f, "AddCapability", c->cap_add);
        if (c->cap_drop)
                print_words(f, "DropCapability", c->cap_drop);
        for (size_t i = 0; i < c->n_devices; i++)
                fprintf(f, "Device=%s:%s:%s\n", c->devices[i].host_path, c->devices[i].container_path,
                        c->devices[i].permissions);
        for (size_t i = 0; i < c->n_ulimits; i++)
                fprintf(f, "Ulimit=%s=%" PRIi64 ":%" PRIi64 "\n", c->ulimits[i].name, c->ulimits[i].soft,
                        c->ulimits[i].hard);
        if (c->sysctls)
                print_words(f, "Sysctl", c->sysctls);
        print_size(f, "ShmSize", c->shm_size);
        print_size(f, "Memory", c->resources.memory);
        print_size(f, "MemorySwap", c->resources.memory_swap);
        if (c->resources.nano_cpus > 0)
                fprintf(f, "Cpus=%" PRIi64 ".%09" PRIi64 "\n", c->resources.nano_cpus / 1000000000,
                        c->resources.nano_cpus % 1000000000);
        print_size(f, "CpuShares", c->resources.cpu_shares);
        if (!isempty(c->resources.cpuset_cpus))
                fprintf(f, "CpusetCpus=%s\n", c->resources.cpuset_cpus);
        print_size(f, "PidsLimit", c->resources.pids_limit);
        print_size(f, "BlkioWeight", c->resources.blkio_weight);
        if (c->userns_auto)
                fprintf(f, "UserNS=auto\n");
        if (c->tty || c->open_stdin)
                fprintf(f, "# -t and -i have no equivalent: a declared container has no terminal\n");
        /* what --restart always/unless-stopped do for an imperative container: start at boot */
        if (c->restart_policy == RESTART_ALWAYS || c->restart_policy == RESTART_UNLESS_STOPPED)
                fprintf(f, "\n[Install]\nWantedBy=multi-user.target\n");
        return fflush(f) == 0 ? 0 : -EIO;
}

int verb_generate(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(container_freep) Container *c = NULL;
        _cleanup_(image_record_freep) ImageRecord *img = NULL;
        _cleanup_free_ char *name = NULL;
        int opt, r;

        while ((opt = cli_getopt("generate", argc, argv, "h", options)) >= 0)
                if (opt == 'h') {
                        help();
                        return 0;
                }
        if (opt != -1)
                return -opt;
        if (argc - optind != 1)
                return cli_usage_error("generate", "\"generate\" requires exactly 1 argument: CONTAINER");

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        r = cli_resolve_container(image_store_root_fd(store), argv[optind], &name);
        if (r < 0)
                return EXIT_CMD_FAILED;
        r = container_load(image_store_root_fd(store), name, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read the config of container '%s': %m", name),
                       EXIT_CMD_FAILED;
        r = image_store_get(store, c->image_id, &img);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read image '%s' of container '%s': %m", c->image_id,
                               name),
                       EXIT_CMD_FAILED;
        r = print_file(stdout, c, img);
        if (r < 0)
                return log_error_errno(r, "Failed to write to stdout: %m"), EXIT_CMD_FAILED;
        return 0;
}
