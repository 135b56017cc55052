/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libarchive and libcrypto, loaded on first use (dlfcn-util.h): the functions layer.c and digest.c call
 * go through these pointers. Include after <archive.h>, <archive_entry.h> and <openssl/evp.h>. */

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

/* -ELIBACC when the library (LIBARCHIVE_SONAME, LIBCRYPTO_SONAME) cannot be loaded. */
int dlopen_libarchive(void);
int dlopen_libcrypto(void);

extern typeof(archive_entry_atime) *sym_archive_entry_atime;
extern typeof(archive_entry_atime_is_set) *sym_archive_entry_atime_is_set;
extern typeof(archive_entry_atime_nsec) *sym_archive_entry_atime_nsec;
extern typeof(archive_entry_filetype) *sym_archive_entry_filetype;
extern typeof(archive_entry_gid) *sym_archive_entry_gid;
extern typeof(archive_entry_hardlink) *sym_archive_entry_hardlink;
extern typeof(archive_entry_mtime) *sym_archive_entry_mtime;
extern typeof(archive_entry_mtime_is_set) *sym_archive_entry_mtime_is_set;
extern typeof(archive_entry_mtime_nsec) *sym_archive_entry_mtime_nsec;
extern typeof(archive_entry_pathname) *sym_archive_entry_pathname;
extern typeof(archive_entry_perm) *sym_archive_entry_perm;
extern typeof(archive_entry_rdevmajor) *sym_archive_entry_rdevmajor;
extern typeof(archive_entry_rdevminor) *sym_archive_entry_rdevminor;
extern typeof(archive_entry_size) *sym_archive_entry_size;
extern typeof(archive_entry_size_is_set) *sym_archive_entry_size_is_set;
extern typeof(archive_entry_symlink) *sym_archive_entry_symlink;
extern typeof(archive_entry_uid) *sym_archive_entry_uid;
extern typeof(archive_entry_xattr_next) *sym_archive_entry_xattr_next;
extern typeof(archive_entry_xattr_reset) *sym_archive_entry_xattr_reset;
extern typeof(archive_error_string) *sym_archive_error_string;
extern typeof(archive_read_data) *sym_archive_read_data;
extern typeof(archive_read_data_block) *sym_archive_read_data_block;
extern typeof(archive_read_free) *sym_archive_read_free;
extern typeof(archive_read_new) *sym_archive_read_new;
extern typeof(archive_read_next_header) *sym_archive_read_next_header;
extern typeof(archive_read_open) *sym_archive_read_open;
extern typeof(archive_read_support_filter_bzip2) *sym_archive_read_support_filter_bzip2;
extern typeof(archive_read_support_filter_gzip) *sym_archive_read_support_filter_gzip;
extern typeof(archive_read_support_filter_xz) *sym_archive_read_support_filter_xz;
extern typeof(archive_read_support_filter_zstd) *sym_archive_read_support_filter_zstd;
extern typeof(archive_read_support_format_empty) *sym_archive_read_support_format_empty;
extern typeof(archive_read_support_format_raw) *sym_archive_read_support_format_raw;
extern typeof(archive_read_support_format_tar) *sym_archive_read_support_format_tar;
extern typeof(archive_set_error) *sym_archive_set_error;
extern typeof(EVP_MD_CTX_new) *sym_EVP_MD_CTX_new;
extern typeof(EVP_MD_CTX_free) *sym_EVP_MD_CTX_free;
extern typeof(EVP_DigestInit_ex) *sym_EVP_DigestInit_ex;
extern typeof(EVP_DigestUpdate) *sym_EVP_DigestUpdate;
extern typeof(EVP_DigestFinal_ex) *sym_EVP_DigestFinal_ex;
extern typeof(EVP_Digest) *sym_EVP_Digest;
extern typeof(EVP_sha256) *sym_EVP_sha256;

#ifndef IMAGE_DL_NO_REMAP
#define archive_entry_atime sym_archive_entry_atime
#define archive_entry_atime_is_set sym_archive_entry_atime_is_set
#define archive_entry_atime_nsec sym_archive_entry_atime_nsec
#define archive_entry_filetype sym_archive_entry_filetype
#define archive_entry_gid sym_archive_entry_gid
#define archive_entry_hardlink sym_archive_entry_hardlink
#define archive_entry_mtime sym_archive_entry_mtime
#define archive_entry_mtime_is_set sym_archive_entry_mtime_is_set
#define archive_entry_mtime_nsec sym_archive_entry_mtime_nsec
#define archive_entry_pathname sym_archive_entry_pathname
#define archive_entry_perm sym_archive_entry_perm
#define archive_entry_rdevmajor sym_archive_entry_rdevmajor
#define archive_entry_rdevminor sym_archive_entry_rdevminor
#define archive_entry_size sym_archive_entry_size
#define archive_entry_size_is_set sym_archive_entry_size_is_set
#define archive_entry_symlink sym_archive_entry_symlink
#define archive_entry_uid sym_archive_entry_uid
#define archive_entry_xattr_next sym_archive_entry_xattr_next
#define archive_entry_xattr_reset sym_archive_entry_xattr_reset
#define archive_error_string sym_archive_error_string
#define archive_read_data sym_archive_read_data
#define archive_read_data_block sym_archive_read_data_block
#define archive_read_free sym_archive_read_free
#define archive_read_new sym_archive_read_new
#define archive_read_next_header sym_archive_read_next_header
#define archive_read_open sym_archive_read_open
#define archive_read_support_filter_bzip2 sym_archive_read_support_filter_bzip2
#define archive_read_support_filter_gzip sym_archive_read_support_filter_gzip
#define archive_read_support_filter_xz sym_archive_read_support_filter_xz
#define archive_read_support_filter_zstd sym_archive_read_support_filter_zstd
#define archive_read_support_format_empty sym_archive_read_support_format_empty
#define archive_read_support_format_raw sym_archive_read_support_format_raw
#define archive_read_support_format_tar sym_archive_read_support_format_tar
#define archive_set_error sym_archive_set_error
#define EVP_MD_CTX_new sym_EVP_MD_CTX_new
#define EVP_MD_CTX_free sym_EVP_MD_CTX_free
#define EVP_DigestInit_ex sym_EVP_DigestInit_ex
#define EVP_DigestUpdate sym_EVP_DigestUpdate
#define EVP_DigestFinal_ex sym_EVP_DigestFinal_ex
#define EVP_Digest sym_EVP_Digest
#define EVP_sha256 sym_EVP_sha256
#endif
