/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bus-util.h"
#include "cli.h"
#include "container-status.h"
#include "format.h"
#include "json-util.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

static const char *arg_format = NULL;
static const char *arg_type = NULL;

static void help(const char *verb) {
        printf("Usage: berth %s [OPTIONS] NAME|ID [NAME|ID...]\n"
               "\n"
               "Show low-level information about containers or images as a JSON array, in Docker's\n"
               "inspect format. Containers are looked up first, then images.\n"
               "\n"
               "Options:\n"
               "  -f, --format FORMAT   'json' (default) or a template such as '{{.Id}}',\n"
               "                        '{{.State.Status}}' or '{{json .Config.Cmd}}', printed once per "
               "object\n"
               "      --type TYPE       Only look at 'container' or 'image' objects\n"
               "  -h, --help            Show this help\n",
                verb);
}

/* Docker's container inspect object, built from config.json (which already uses Docker's names for
 * Config and HostConfig), state.json and the unit's state. */
static int container_object(ImageStore *store, const ContainerInfo *i, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *text = NULL, *name = NULL, *dir = NULL;
        struct json_object *state, *mounts, *hc, *net, *gd, *gdd;
        const Container *c = i->container;
        char started[64] = "0001-01-01T00:00:00Z";
        const char *reason = NULL;
        int r;

        r = container_to_json(c, &text);
        if (r < 0)
                return r;
        r = json_parse(text, strlen(text), &o, &reason);
        if (r < 0)
                return r;
        json_object_object_del(o, "Name");
        json_object_object_del(o, "Layers");
        json_object_object_del(o, "ImageName");
        name = strjoin("/", c->name);
        dir = strjoin(image_store_root(store), "/containers/", c->name);
        if (!name || !dir)
                return -ENOMEM;
        r = json_add_string(o, "Name", name);
        if (r >= 0)
                r = json_add_int64(o, "RestartCount", (int64_t) i->unit.n_restarts);
        if (r >= 0)
                r = json_add_string(o, "Driver", "overlay");
        if (r >= 0)
                r = json_add_string(o, "Platform", "linux");
        if (r < 0)
                return r;

        state = json_add_new_object(o, "State");
        if (!state)
                return -ENOMEM;
        if (i->running && i->unit.exec_main_start_usec > 0) {
                time_t t = (time_t) (i->unit.exec_main_start_usec / 1000000);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        r = json_add_string(state, "Status", i->status);
        if (r >= 0)
                r = json_add(state, "Running", json_object_new_boolean(i->running));
        if (r >= 0)
                r = json_add(state, "Paused", json_object_new_boolean(false));
        if (r >= 0)
                r = json_add(state, "Restarting", json_object_new_boolean(i->restarting));
        if (r >= 0)
                r = json_add(state, "OOMKilled", json_object_new_boolean(i->state.oom_killed));
        if (r >= 0)
                r = json_add(state, "Dead", json_object_new_boolean(false));
        if (r >= 0)
                r = json_add_int64(state, "Pid", i->running ? (int64_t) i->unit.main_pid : 0);
        if (r >= 0)
                r = json_add_int64(state, "ExitCode", i->running ? 0 : i->state.exit_code);
        if (r >= 0)
                r = json_add_string(state, "Error", i->state.error ?: "");
        if (r >= 0 && i->has_health) {
                struct json_object *h = health_state_to_json(&i->health);
                r = h ? json_add(state, "Health", h) : -ENOMEM;
        }
        if (r >= 0)
                r = json_add_string(state, "StartedAt", i->state.started_at ?: started);
        if (r >= 0)
                r = json_add_string(state, "FinishedAt",
                        (!i->running && i->state.finished_at) ? i->state.finished_at
                                                              : "0001-01-01T00:00:00Z");
        if (r < 0)
                return r;

        /* Docker lists mounts at the top level too */
        hc = json_get_object(o, "HostConfig");
        mounts = json_add_new_array(o, "Mounts");
        if (!mounts)
                return -ENOMEM;
        for (size_t k = 0; k < c->n_mounts; k++) {
                struct json_object *m = json_object_new_object();
                if (!m || json_object_array_add(mounts, m) < 0) {
                        json_object_put(m);
                        return -ENOMEM;
                }
                r = json_add_string(m, "Type", mount_type_to_string(c->mounts[k].type));
                if (r >= 0)
                        r = json_add_string(m, "Source", c->mounts[k].source ?: "");
                if (r >= 0)
                        r = json_add_string(m, "Destination", c->mounts[k].target);
                if (r >= 0)
                        r = json_add_string(m, "Mode", c->mounts[k].read_only ? "ro" : "");
                if (r >= 0)
                        r = json_add(m, "RW", json_object_new_boolean(!c->mounts[k].read_only));
                if (r < 0)
                        return r;
        }
        (void) hc;

        gd = json_add_new_object(o, "GraphDriver");
        gdd = gd ? json_add_new_object(gd, "Data") : NULL;
        if (!gdd)
                return -ENOMEM;
        {
                _cleanup_free_ char *upper = strjoin(dir, "/upper"), *work = strjoin(dir, "/work"),
                                    *merged = strjoin(dir, "/rootfs");
                if (!upper || !work || !merged)
                        return -ENOMEM;
                r = json_add_string(gdd, "UpperDir", upper);
                if (r >= 0)
                        r = json_add_string(gdd, "WorkDir", work);
                if (r >= 0)
                        r = json_add_string(gdd, "MergedDir", merged);
                if (r >= 0)
                        r = json_add_string(gd, "Name", "overlay");
                if (r < 0)
                        return r;
        }

        /* Docker: the ports published right now, so none while the container is stopped */
        net = json_add_new_object(o, "NetworkSettings");
        if (!net || !json_add_new_object(net, "Networks"))
                return -ENOMEM;
        r = json_add(net, "Ports",
                i->running || c->on_demand ? port_bindings_to_json(c->ports, c->n_ports, true)
                                           : json_object_new_object());
        if (r < 0 || !json_get_object(net, "Ports"))
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

/* Builds Docker's image inspect object for one image. */
static int inspect_object(ImageStore *store, const ImageRecord *img, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *lower = NULL;
        struct json_object *tags, *digests, *rootfs, *layers, *gd, *gdd, *meta;
        const char *created = json_get_string(img->config, "created");
        char tagtime[64] = "0001-01-01T00:00:00Z";
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "Id", img->id);
        if (r < 0)
                return r;
        tags = json_add_new_array(o, "RepoTags");
        digests = json_add_new_array(o, "RepoDigests");
        if (!tags || !digests)
                return -ENOMEM;
        STRV_FOREACH(t, img->repo_tags) {
                _cleanup_free_ char *f = cli_familiar_reference(*t);
                if (!f || json_array_add_string(tags, f) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(d, img->repo_digests) {
                _cleanup_free_ char *f = cli_familiar_reference(*d);
                if (!f || json_array_add_string(digests, f) < 0)
                        return -ENOMEM;
        }
        r = json_add_string(o, "Parent", "");
        if (r >= 0)
                r = json_add_string(o, "Comment", json_get_string(img->config, "comment") ?: "");
        if (r >= 0)
                r = json_add_string(o, "Created", created ?: "0001-01-01T00:00:00Z");
        if (r >= 0)
                r = json_add_string(o, "DockerVersion", "");
        if (r >= 0)
                r = json_add_string(o, "Author", json_get_string(img->config, "author") ?: "");
        if (r >= 0) {
                struct json_object *c = json_get_object(img->config, "config");
                r = json_add(o, "Config", c ? json_object_get(c) : json_object_new_object());
        }
        if (r >= 0)
                r = json_add_string(o, "Architecture", json_get_string(img->config, "architecture") ?: "");
        if (r >= 0 && json_get_string(img->config, "variant"))
                r = json_add_string(o, "Variant", json_get_string(img->config, "variant"));
        if (r >= 0)
                r = json_add_string(o, "Os", json_get_string(img->config, "os") ?: "linux");
        if (r >= 0)
                r = json_add_int64(o, "Size", (int64_t) img->size);
        if (r < 0)
                return r;

        /* overlay's lowerdir order: topmost layer first */
        for (size_t i = strv_length(img->layers); i > 0; i--) {
                char *n = strjoin(lower ?: "", lower ? ":" : "", image_store_root(store), "/layers/",
                        img->layers[i - 1] + 7, "/diff");
                if (!n)
                        return -ENOMEM;
                free(lower);
                lower = n;
        }
        gd = json_add_new_object(o, "GraphDriver");
        gdd = gd ? json_add_new_object(gd, "Data") : NULL;
        if (!gdd)
                return -ENOMEM;
        r = json_add_string(gdd, "LowerDir", lower ?: "");
        if (r >= 0)
                r = json_add_string(gd, "Name", "overlay");
        if (r < 0)
                return r;

        rootfs = json_add_new_object(o, "RootFS");
        layers = rootfs ? json_add_new_array(rootfs, "Layers") : NULL;
        if (!layers)
                return -ENOMEM;
        r = json_add_string(rootfs, "Type", "layers");
        if (r < 0)
                return r;
        STRV_FOREACH(l, img->layers)
                if (json_array_add_string(layers, *l) < 0)
                        return -ENOMEM;

        if (img->tagged > 0) {
                time_t t = (time_t) img->tagged;
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(tagtime, sizeof(tagtime), "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        meta = json_add_new_object(o, "Metadata");
        if (!meta)
                return -ENOMEM;
        r = json_add_string(meta, "LastTagTime", tagtime);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 0;
}

static int run_inspect(const char *verb, const char *default_type, int argc, char *argv[]) {
        enum { ARG_TYPE = 0x100 };
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "type", required_argument, NULL, ARG_TYPE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_json_ struct json_object *all = NULL;
        const char *reason = NULL;
        int c, r, ret = 0;

        arg_type = default_type;
        while ((c = cli_getopt(verb, argc, argv, "f:h", options)) >= 0)
                switch (c) {
                case 'f':
                        if (!streq(optarg, "json") && format_template_validate(optarg, &reason) < 0)
                                return cli_usage_error(verb, "invalid --format '%s': %s", optarg, reason);
                        arg_format = streq(optarg, "json") ? NULL : optarg;
                        break;
                case ARG_TYPE:
                        if (!streq(optarg, "image") && !streq(optarg, "container"))
                                return cli_usage_error(verb,
                                        "unsupported --type '%s': use 'container' or 'image'", optarg);
                        arg_type = optarg;
                        break;
                case 'h':
                        help(verb);
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind < 1)
                return cli_usage_error(verb, "\"%s\" requires at least 1 argument: NAME|ID [NAME|ID...]",
                        verb);

        if (cli_open_store(&store) < 0)
                return EXIT_CMD_FAILED;
        all = json_object_new_array();
        if (!all)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_CMD_FAILED;

        for (int i = optind; i < argc; i++) {
                _cleanup_(image_record_freep) ImageRecord *img = NULL;
                _cleanup_free_ char *cname = NULL;
                struct json_object *o = NULL;

                r = -ENOENT;
                if (!streq_ptr(arg_type, "image"))
                        r = container_resolve(image_store_root_fd(store), argv[i], &cname);
                if (r >= 0) {
                        ContainerInfo info = {};

                        if (!bus && cli_open_bus(&bus) < 0)
                                return EXIT_CMD_FAILED;
                        r = container_info_load(bus, image_store_root_fd(store), cname, &info);
                        if (r >= 0)
                                r = container_object(store, &info, &o);
                        container_info_done(&info);
                } else if (r == -ENOENT && !streq_ptr(arg_type, "container")) {
                        r = image_store_lock(store, LOCK_SH);
                        if (r >= 0)
                                r = image_store_resolve(store, argv[i], &img, NULL);
                        image_store_unlock(store);
                        if (r >= 0)
                                r = inspect_object(store, img, &o);
                }
                if (r >= 0 && json_object_array_add(all, o) < 0) {
                        json_object_put(o);
                        r = -ENOMEM;
                }
                if (r == -ENOENT) {
                        /* Docker prints what it found and then the errors, and exits 1 */
                        fprintf(stderr, "Error: No such %s: %s\n",
                                streq_ptr(arg_type, "image")               ? "image"
                                        : streq_ptr(arg_type, "container") ? "container"
                                                                           : "object",
                                argv[i]);
                        ret = EXIT_CMD_FAILED;
                } else if (r == -ENOTUNIQ) {
                        log_error("ID prefix '%s' is ambiguous: give more digits", argv[i]);
                        ret = EXIT_CMD_FAILED;
                } else if (r < 0) {
                        log_error_errno(r, "Failed to inspect '%s': %m", argv[i]);
                        ret = EXIT_CMD_FAILED;
                }
        }

        if (arg_format) {
                for (size_t i = 0; i < json_object_array_length(all); i++) {
                        _cleanup_free_ char *line = NULL;
                        r = format_template(arg_format, json_object_array_get_idx(all, i), &line, NULL);
                        if (r < 0)
                                return log_error_errno(r, "Failed to format: %m"), EXIT_CMD_FAILED;
                        printf("%s\n", line);
                }
        } else
                printf("%s\n",
                        json_object_to_json_string_ext(all,
                                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                        JSON_C_TO_STRING_NOSLASHESCAPE));
        return ret;
}

int verb_inspect(int argc, char *argv[]) {
        return run_inspect("inspect", NULL, argc, argv);
}

int verb_image_inspect(int argc, char *argv[]) {
        return run_inspect("image inspect", "image", argc, argv);
}

int verb_container_inspect(int argc, char *argv[]) {
        return run_inspect("container inspect", "container", argc, argv);
}

static void image_help(void) {
        printf("Usage: berth image COMMAND\n"
               "\n"
               "Manage images.\n"
               "\n"
               "Commands:\n"
               "  import      Import a root filesystem tarball as an image\n"
               "  inspect     Display detailed information on one or more images\n"
               "  load        Load images from a tar archive\n"
               "  ls          List images (also: list)\n"
               "  prune       Remove unused images\n"
               "  pull        Download an image from a registry\n"
               "  push        Upload an image to a registry\n"
               "  rm          Remove one or more images\n"
               "  save        Save images to a tar archive\n"
               "  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n"
               "\n"
               "Run 'berth image COMMAND --help' for more information on a command.\n");
}

int verb_image(int argc, char *argv[]) {
        static const Verb sub[] = {
                { "import", NULL, verb_import },
                { "inspect", NULL, verb_image_inspect },
                { "list", NULL, verb_images },
                { "load", NULL, verb_load },
                { "ls", NULL, verb_images },
                { "prune", NULL, verb_image_prune },
                { "pull", NULL, verb_pull },
                { "push", NULL, verb_push },
                { "rm", NULL, verb_rmi },
                { "save", NULL, verb_save },
                { "tag", NULL, verb_tag },
        };

        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                image_help();
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(sub); i++)
                if (streq(argv[1], sub[i].name)) {
                        optind = 0;
                        return sub[i].run(argc - 1, argv + 1);
                }
        return cli_usage_error("image", "'%s' is not a berth image command", argv[1]);
}
