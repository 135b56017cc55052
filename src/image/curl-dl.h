/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libcurl, loaded on first use (dlfcn-util.h) like libarchive and libcrypto: only pull, push and login
 * need it. Include instead of <curl/curl.h>. */

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/* -ELIBACC when LIBCURL_SONAME cannot be loaded. Call from the main thread before starting threads; it
 * also runs curl_global_init(). */
int dlopen_libcurl(void);

extern typeof(curl_global_init) *sym_curl_global_init;
extern typeof(curl_easy_init) *sym_curl_easy_init;
extern typeof(curl_easy_setopt) *sym_curl_easy_setopt;
extern typeof(curl_easy_perform) *sym_curl_easy_perform;
extern typeof(curl_easy_getinfo) *sym_curl_easy_getinfo;
extern typeof(curl_easy_cleanup) *sym_curl_easy_cleanup;
extern typeof(curl_easy_strerror) *sym_curl_easy_strerror;
extern typeof(curl_slist_append) *sym_curl_slist_append;
extern typeof(curl_slist_free_all) *sym_curl_slist_free_all;

#ifndef CURL_DL_NO_REMAP
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init sym_curl_global_init
#define curl_easy_init sym_curl_easy_init
#define curl_easy_setopt sym_curl_easy_setopt
#define curl_easy_perform sym_curl_easy_perform
#define curl_easy_getinfo sym_curl_easy_getinfo
#define curl_easy_cleanup sym_curl_easy_cleanup
#define curl_easy_strerror sym_curl_easy_strerror
#define curl_slist_append sym_curl_slist_append
#define curl_slist_free_all sym_curl_slist_free_all
#endif
