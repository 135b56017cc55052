/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Standalone driver so gcc builds (and `meson test --suite fuzz`) replay the stored corpus of a libFuzzer
 * target: every argument is a file or a directory of files, each fed once to LLVMFuzzerTestOneInput(). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        struct stat st;
        uint8_t *buf;
        size_t n = 0;

        if (fd < 0 || fstat(fd, &st) < 0) {
                perror(name);
                return -1;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -1;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        close(fd);
        (void) LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *d;
                struct dirent *de;

                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return EXIT_FAILURE;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(AT_FDCWD, argv[i]) < 0)
                                return EXIT_FAILURE;
                        count++;
                        continue;
                }
                d = opendir(argv[i]);
                if (!d)
                        return EXIT_FAILURE;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.') {
                                if (run_file(dirfd(d), de->d_name) < 0)
                                        return EXIT_FAILURE;
                                count++;
                        }
                closedir(d);
        }
        if (count == 0) {
                fprintf(stderr, "no corpus inputs found\n");
                return EXIT_FAILURE;
        }
        printf("replayed %u inputs\n", count);
        return EXIT_SUCCESS;
}
