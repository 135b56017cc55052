/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Loading a library on first use instead of at program start: the CLI links libarchive and libcrypto only
 * for unpacking and hashing layers, and loading them (with libxml2, ICU and libstdc++ behind libarchive)
 * is most of its start-up time for every other verb. */

typedef struct DlSym {
        void **ptr;
        const char *name;
} DlSym;

/* dlopen()s soname once (later calls return the first result) and resolves every symbol into *ptr.
 * -ELIBACC if the library or a symbol is missing. Not thread-safe (berth is single-threaded). */
int dlopen_symbols(void **handle, const char *soname, const DlSym *syms, size_t n);

#define DLSYM_ENTRY(name)                                                                                   \
        { (void **) &sym_##name, #name }
