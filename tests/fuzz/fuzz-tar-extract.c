/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds the input as a layer (any compression) into layer_extract() inside a per-process sandbox directory
 * that also holds a victim file, then removes the layer again. Aborts if extraction fails without a message,
 * if the layer cannot be removed, or if anything next to the layer appeared, vanished or changed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "layer.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VICTIM_CONTENT "precious\n"

static char sandbox_path[] = "/tmp/fuzz-tar-extract-XXXXXX";
static int sandbox_fd = -EBADF;
static struct stat victim_st;

static void sandbox_remove(void) {
        (void) rm_rf_at(AT_FDCWD, sandbox_path);
}

static void sandbox_setup(void) {
        _cleanup_close_ int fd = -EBADF;

        if (!mkdtemp(sandbox_path))
                abort();
        atexit(sandbox_remove);
        sandbox_fd = open(sandbox_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sandbox_fd < 0)
                abort();
        fd = openat(sandbox_fd, "victim", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, VICTIM_CONTENT, strlen(VICTIM_CONTENT)) != (ssize_t) strlen(VICTIM_CONTENT))
                abort();
        if (fstat(fd, &victim_st) < 0)
                abort();
}

/* The sandbox holds exactly "victim", unchanged, once the layer is gone. */
static void sandbox_check(void) {
        _cleanup_free_ char *content = NULL;
        DIR *d;
        struct dirent *de;
        struct stat st;
        size_t n = 0;

        d = fdopendir(openat(sandbox_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d)
                abort();
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (strcmp(de->d_name, "victim") != 0) {
                        fprintf(stderr, "unexpected '%s' next to the layer\n", de->d_name);
                        abort();
                }
                n++;
        }
        closedir(d);
        if (n != 1)
                abort();

        if (fstatat(sandbox_fd, "victim", &st, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
        if (st.st_ino != victim_st.st_ino || st.st_mode != victim_st.st_mode ||
                st.st_uid != victim_st.st_uid || st.st_gid != victim_st.st_gid || st.st_nlink != 1 ||
                st.st_size != victim_st.st_size || st.st_mtim.tv_sec != victim_st.st_mtim.tv_sec ||
                st.st_mtim.tv_nsec != victim_st.st_mtim.tv_nsec ||
                st.st_ctim.tv_sec != victim_st.st_ctim.tv_sec ||
                st.st_ctim.tv_nsec != victim_st.st_ctim.tv_nsec)
                abort();
        if (read_full_file_at(sandbox_fd, "victim", 4096, &content, NULL) < 0 ||
                strcmp(content, VICTIM_CONTENT) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_close_ int input_fd = -EBADF, layer_fd = -EBADF;
        _cleanup_free_ char *msg = NULL;
        LayerExtractResult result;
        int r;

        if (sandbox_fd < 0)
                sandbox_setup();

        input_fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
        if (input_fd < 0)
                abort();
        if (size > 0 && write(input_fd, data, size) != (ssize_t) size)
                abort();
        if (lseek(input_fd, 0, SEEK_SET) < 0)
                abort();

        if (mkdirat(sandbox_fd, "layer", 0755) < 0)
                abort();
        layer_fd = openat(sandbox_fd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (layer_fd < 0)
                abort();

        /* Devices too: we are root when fuzzing, and nodes in a temp dir are never opened. */
        r = layer_extract(input_fd, layer_fd, LAYER_EXTRACT_ALLOW_DEVICES, &result, &msg);
        if (r < 0 && !msg)
                abort();
        if (r >= 0 && (result.compressed_size != size || msg))
                abort();

        layer_fd = safe_close(layer_fd);
        if (rm_rf_at(sandbox_fd, "layer") < 0)
                abort();
        sandbox_check();
        return 0;
}
