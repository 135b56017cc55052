/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-generator: a systemd generator (systemd.generator(7)) that turns declarative container files,
 * /etc/berth/containers/NAME.container (also /run/berth/containers and /usr/lib/berth/containers, the
 * first one of a name winning), into units in the generator's output directory, at boot and on
 * daemon-reload. See container-file.h for the units and berth.container(5) for the format. An invalid file
 * is reported (file and line) in the kernel log or the journal and gets no units; the others are not
 * affected. `berth-generator --check FILE...` prints the units of each file, or its errors, on stdout and
 * stderr. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-file.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

#define CONTAINER_DIRS "/etc/berth/containers:/run/berth/containers:/usr/lib/berth/containers"

/* Units of these directories have a lower priority than the generator's: a handle of the same name would
 * hide them, so such a file is refused. (The administrator's /etc and /run win over the generator.) */
static const char *const vendor_unit_dirs[] = {
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
};

static int read_container_file(const char *path, ContainerFile **ret) {
        _cleanup_free_ char *text = NULL, *msg = NULL;
        unsigned line = 0;
        size_t size = 0;
        int r;

        r = read_full_file_at(AT_FDCWD, path, CONTAINER_FILE_SIZE_MAX, &text, &size);
        if (r == -EFBIG)
                return log_error("%s: larger than %d KiB, not generating units for it", path,
                               CONTAINER_FILE_SIZE_MAX / 1024),
                       -EINVAL;
        if (r < 0)
                return log_error_errno(r, "Failed to read '%s': %m", path);
        r = container_file_parse(path, text, size, ret, &line, &msg);
        if (r == -EINVAL) {
                if (line > 0)
                        log_error("%s:%u: %s; not generating units for this file", path, line, msg);
                else
                        log_error("%s: %s; not generating units for this file", path, msg);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to parse '%s': %m", path);
        return 0;
}

static int check_files(char **paths) {
        int ret = 0;

        STRV_FOREACH(p, paths) {
                _cleanup_(container_file_freep) ContainerFile *f = NULL;
                GeneratedFile *files = NULL;
                size_t n = 0;
                int r;

                r = read_container_file(*p, &f);
                if (r >= 0)
                        r = container_file_render(f, BERTH_BINDIR "/berth", &files, &n);
                if (r < 0) {
                        if (r != -EINVAL)
                                log_error_errno(r, "Failed to generate the units of '%s': %m", *p);
                        ret = 1;
                        continue;
                }
                for (size_t i = 0; i < n; i++)
                        if (files[i].link_target)
                                printf("==> %s -> %s <==\n", files[i].path, files[i].link_target);
                        else
                                printf("==> %s <==\n%s", files[i].path, files[i].content);
                generated_files_free(files, n);
        }
        return ret;
}

/* The file names ending in .container in the directories, the first directory of a name winning; a file
 * that is a symlink to /dev/null masks the name. Sorted by name. */
static int collect_files(const char *dirs, char ***ret_names, char ***ret_paths) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL, **seen = NULL;
        _cleanup_free_ char *copy = strdup(dirs);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_closedir_ DIR *dir = NULL;
                struct dirent *de;

                r = opendir_at(AT_FDCWD, d, &dir);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        log_warning_errno(r, "Failed to open '%s', ignoring: %m", d);
                        continue;
                }
                while ((de = readdir(dir))) {
                        _cleanup_free_ char *path = NULL;
                        char buf[16];
                        ssize_t k;

                        if (de->d_name[0] == '.' || !endswith(de->d_name, CONTAINER_FILE_SUFFIX))
                                continue;
                        if (strv_contains(seen, de->d_name))
                                continue;
                        if (strv_extend(&seen, de->d_name) < 0)
                                return -ENOMEM;
                        k = readlinkat(dirfd(dir), de->d_name, buf, sizeof(buf) - 1);
                        if (k == (ssize_t) strlen("/dev/null") && memcmp(buf, "/dev/null", (size_t) k) == 0)
                                continue; /* masked */
                        path = strjoin(d, "/", de->d_name);
                        if (!path || strv_extend(&names, de->d_name) < 0 ||
                                strv_consume(&paths, TAKE_PTR(path)) < 0)
                                return -ENOMEM;
                }
        }
        /* insertion sort by name, both lists together: there are few */
        for (size_t i = 1; names && names[i]; i++)
                for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
                        char *t = names[k];
                        names[k] = names[k - 1];
                        names[k - 1] = t;
                        t = paths[k];
                        paths[k] = paths[k - 1];
                        paths[k - 1] = t;
                }
        *ret_names = TAKE_PTR(names);
        *ret_paths = TAKE_PTR(paths);
        return 0;
}

static int write_files(int out_fd, const GeneratedFile *files, size_t n) {
        int r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *dir = strdup(files[i].path);
                char *slash;

                if (!dir)
                        return -ENOMEM;
                slash = strrchr(dir, '/');
                if (slash) {
                        *slash = 0;
                        r = mkdir_p_at(out_fd, dir, 0755);
                        if (r < 0)
                                return r;
                }
                if (files[i].link_target) {
                        if (symlinkat(files[i].link_target, out_fd, files[i].path) < 0)
                                return -errno;
                } else {
                        _cleanup_close_ int fd = openat(out_fd, files[i].path,
                                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
                        if (fd < 0)
                                return -errno;
                        r = loop_write(fd, files[i].content, strlen(files[i].content));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Checks that nothing else claims the container's name or the handle's unit name: files done before
 * (done_names: their container names), other files' handles (file_names: every file's name), vendor
 * units, what is in the output directory already. */
static bool file_conflicts(const ContainerFile *f, char *const *file_names, char *const *names,
        char *const *paths, size_t n_done, int out_fd, const GeneratedFile *files, size_t n_files) {
        STRV_FOREACH(a, f->aliases) {
                const char *suffix = endswith(*a, ".service"); /* the parser allows no other alias */
                _cleanup_free_ char *stem = suffix ? strndup(*a, (size_t) (suffix - *a)) : NULL,
                                    *file = stem ? strjoin(stem, CONTAINER_FILE_SUFFIX) : NULL;

                if (file && strv_contains(file_names, file)) {
                        log_error("%s: Alias=%s is the unit of %s, not generating units for this file",
                                f->path, *a, file);
                        return true;
                }
        }
        for (size_t i = 0; i < n_done; i++)
                if (streq(names[i], f->container->name)) {
                        log_error("%s: the container name '%s' is declared by %s already; set another "
                                  "Name=, "
                                  "not generating units for this file",
                                f->path, f->container->name, paths[i]);
                        return true;
                }
        for (size_t i = 0; i < ELEMENTSOF(vendor_unit_dirs); i++) {
                _cleanup_free_ char *u = strjoin(vendor_unit_dirs[i], "/", f->unit);
                struct stat st;

                if (u && lstat(u, &st) >= 0) {
                        log_error("%s: the unit %s exists already (%s) and would be hidden; rename the file "
                                  "(Name= can keep the container's name), not generating units for this "
                                  "file",
                                f->path, f->unit, u);
                        return true;
                }
        }
        for (size_t i = 0; i < n_files; i++) {
                struct stat st;

                if (fstatat(out_fd, files[i].path, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                        log_error("%s: %s is generated already (another file's Alias=?), not generating "
                                  "units "
                                  "for this file",
                                f->path, files[i].path);
                        return true;
                }
        }
        return false;
}

static int generate_one(const ContainerFile *f, int out_fd, const char *out, char *const *file_names,
        char ***done_names, char ***done_paths) {
        GeneratedFile *files = NULL;
        size_t n = 0;
        int r;

        r = container_file_render(f, BERTH_BINDIR "/berth", &files, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to generate the units of '%s': %m", f->path), 0;
        if (file_conflicts(f, file_names, *done_names, *done_paths, strv_length(*done_names), out_fd, files,
                    n)) {
                generated_files_free(files, n);
                return 0;
        }
        r = write_files(out_fd, files, n);
        generated_files_free(files, n);
        if (r < 0)
                return log_error_errno(r, "Failed to write the units of '%s' to '%s': %m", f->path, out);
        log_debug("%s: generated %s and berth@%s.service", f->path, f->unit, f->container->name);
        if (strv_extend(done_names, f->container->name) < 0 || strv_extend(done_paths, f->path) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        return 0;
}

static int generate(const char *out) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL, **done_names = NULL, **done_paths = NULL;
        _cleanup_close_ int out_fd = -EBADF;
        const char *dirs = getenv("BERTH_CONTAINER_DIRS") ?: CONTAINER_DIRS;
        ContainerFile **files = NULL;
        size_t n = 0;
        int r, ret = 0;

        out_fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (out_fd < 0)
                return log_error_errno(-errno, "Failed to open the output directory '%s': %m", out);
        r = collect_files(dirs, &names, &paths);
        if (r < 0)
                return log_error_errno(r, "Failed to list the container files in '%s': %m", dirs);
        n = strv_length(paths);
        files = calloc(n + 1, sizeof(ContainerFile *));
        if (!files)
                return log_error_errno(-ENOMEM, "Out of memory");
        for (size_t i = 0; i < n; i++)
                (void) read_container_file(paths[i], files + i);

        /* Files named after their container first: web.container keeps the name web against another
         * file's Name=web, whatever the order of their names. */
        for (int pass = 0; pass < 2 && ret >= 0; pass++)
                for (size_t i = 0; i < n && ret >= 0; i++) {
                        bool own;

                        if (!files[i])
                                continue;
                        own = strlen(files[i]->unit) ==
                                        strlen(files[i]->container->name) + strlen(".service") &&
                                startswith(files[i]->unit, files[i]->container->name);
                        if (own == (pass == 0))
                                ret = generate_one(files[i], out_fd, out, names, &done_names, &done_paths);
                }
        for (size_t i = 0; i < n; i++)
                container_file_free(files[i]);
        free(files);
        return ret;
}

int main(int argc, char *argv[]) {
        if (argc >= 2 && streq(argv[1], "--check")) {
                log_setup("berth-generator");
                if (argc < 3) {
                        log_error("Usage: berth-generator --check FILE.container...");
                        return 2;
                }
                return check_files(argv + 2);
        }
        log_setup_generator("berth-generator");
        if (argc != 2 && argc != 4) {
                log_error("Usage: berth-generator NORMAL-DIR [EARLY-DIR LATE-DIR] | --check FILE...");
                return 2;
        }
        /* a file that failed has been reported; only a failure to write the output fails the generator */
        return generate(argv[1]) < 0 ? 1 : 0;
}
