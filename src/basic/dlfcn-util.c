/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dlfcn-util.h"

#include <dlfcn.h>
#include <errno.h>

#include "log.h"

int dlopen_symbols(void **handle, const char *soname, const DlSym *syms, size_t n) {
        void *h;

        if (*handle)
                return *handle == (void *) -1 ? -ELIBACC : 0;
        h = dlopen(soname, RTLD_NOW | RTLD_NODELETE);
        if (!h) {
                log_debug("Failed to load '%s': %s", soname, dlerror());
                *handle = (void *) -1;
                return -ELIBACC;
        }
        for (size_t i = 0; i < n; i++) {
                *syms[i].ptr = dlsym(h, syms[i].name);
                if (!*syms[i].ptr) {
                        log_debug("'%s' has no symbol '%s'", soname, syms[i].name);
                        (void) dlclose(h);
                        *handle = (void *) -1;
                        return -ELIBACC;
                }
        }
        *handle = h;
        return 0;
}
