/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the .container parser (berth-generator reads these files at boot). A failure
 * must come with a message and a line within the input; a file that parses must render into units whose
 * every line is a comment, a section header or a one-line KEY=VALUE without control characters, at paths
 * that stay inside the output directory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container-file.h"
#include "string-util.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_unit_text(const char *text) {
        for (const char *l = text; *l;) {
                const char *nl = strchr(l, '\n');
                size_t n = nl ? (size_t) (nl - l) : strlen(l);

                if (!nl) /* every file ends with a newline */
                        abort();
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) l[i] < ' ' && l[i] != '\t')
                                abort();
                if (n > 0 && l[0] != '#' && l[0] != '[' && !memchr(l, '=', n))
                        abort();
                l = nl + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(container_file_freep) ContainerFile *f = NULL;
        _cleanup_free_ char *msg = NULL;
        GeneratedFile *files = NULL;
        unsigned line = 0, lines = 1;
        size_t n = 0;
        int r;

        if (size > 64 * 1024)
                return 0;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        r = container_file_parse("/etc/berth/containers/fuzz.container", (const char *) data, size, &f,
                &line, &msg);
        if (r < 0) {
                if (r == -EINVAL && (!msg || line > lines))
                        abort();
                return 0;
        }
        if (!f->unit || !f->container || !f->container->name || !f->create_args)
                abort();
        r = container_file_render(f, "/usr/bin/berth", &files, &n);
        if (r < 0)
                abort();
        for (size_t i = 0; i < n; i++) {
                const char *c = files[i].path;

                if (!*c || c[0] == '/')
                        abort();
                for (; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) /* no ".." component */
                        if (startswith(c, "..") && (c[2] == '/' || !c[2]))
                                abort();
                if (files[i].content)
                        check_unit_text(files[i].content);
                else if (!files[i].link_target || strchr(files[i].link_target, '\n'))
                        abort();
        }
        generated_files_free(files, n);
        return 0;
}
