/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define CURL_DL_NO_REMAP
#include "curl-dl.h"

#include "config.h"
#include "dlfcn-util.h"
#include "macro.h"

typeof(curl_global_init) *sym_curl_global_init = NULL;
typeof(curl_easy_init) *sym_curl_easy_init = NULL;
typeof(curl_easy_setopt) *sym_curl_easy_setopt = NULL;
typeof(curl_easy_perform) *sym_curl_easy_perform = NULL;
typeof(curl_easy_getinfo) *sym_curl_easy_getinfo = NULL;
typeof(curl_easy_cleanup) *sym_curl_easy_cleanup = NULL;
typeof(curl_easy_strerror) *sym_curl_easy_strerror = NULL;
typeof(curl_slist_append) *sym_curl_slist_append = NULL;
typeof(curl_slist_free_all) *sym_curl_slist_free_all = NULL;

int dlopen_libcurl(void) {
        static void *handle = NULL;
        static int initialized = 0;
        static const DlSym syms[] = {
                DLSYM_ENTRY(curl_global_init),
                DLSYM_ENTRY(curl_easy_init),
                DLSYM_ENTRY(curl_easy_setopt),
                DLSYM_ENTRY(curl_easy_perform),
                DLSYM_ENTRY(curl_easy_getinfo),
                DLSYM_ENTRY(curl_easy_cleanup),
                DLSYM_ENTRY(curl_easy_strerror),
                DLSYM_ENTRY(curl_slist_append),
                DLSYM_ENTRY(curl_slist_free_all),
        };
        int r;

        r = dlopen_symbols(&handle, LIBCURL_SONAME, syms, ELEMENTSOF(syms));
        if (r < 0)
                return r;
        if (!initialized) {
                if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return -ELIBACC;
                initialized = 1;
        }
        return 0;
}
