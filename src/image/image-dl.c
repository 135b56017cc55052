/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define IMAGE_DL_NO_REMAP
#include "image-dl.h"

#include "dlfcn-util.h"
#include "macro.h"

typeof(archive_entry_atime) *sym_archive_entry_atime = NULL;
typeof(archive_entry_atime_is_set) *sym_archive_entry_atime_is_set = NULL;
typeof(archive_entry_atime_nsec) *sym_archive_entry_atime_nsec = NULL;
typeof(archive_entry_clear) *sym_archive_entry_clear = NULL;
typeof(archive_entry_filetype) *sym_archive_entry_filetype = NULL;
typeof(archive_entry_free) *sym_archive_entry_free = NULL;
typeof(archive_entry_gid) *sym_archive_entry_gid = NULL;
typeof(archive_entry_hardlink) *sym_archive_entry_hardlink = NULL;
typeof(archive_entry_mtime) *sym_archive_entry_mtime = NULL;
typeof(archive_entry_mtime_is_set) *sym_archive_entry_mtime_is_set = NULL;
typeof(archive_entry_mtime_nsec) *sym_archive_entry_mtime_nsec = NULL;
typeof(archive_entry_new) *sym_archive_entry_new = NULL;
typeof(archive_entry_pathname) *sym_archive_entry_pathname = NULL;
typeof(archive_entry_perm) *sym_archive_entry_perm = NULL;
typeof(archive_entry_rdevmajor) *sym_archive_entry_rdevmajor = NULL;
typeof(archive_entry_rdevminor) *sym_archive_entry_rdevminor = NULL;
typeof(archive_entry_set_filetype) *sym_archive_entry_set_filetype = NULL;
typeof(archive_entry_set_gid) *sym_archive_entry_set_gid = NULL;
typeof(archive_entry_set_hardlink) *sym_archive_entry_set_hardlink = NULL;
typeof(archive_entry_set_mtime) *sym_archive_entry_set_mtime = NULL;
typeof(archive_entry_set_pathname) *sym_archive_entry_set_pathname = NULL;
typeof(archive_entry_set_perm) *sym_archive_entry_set_perm = NULL;
typeof(archive_entry_set_rdevmajor) *sym_archive_entry_set_rdevmajor = NULL;
typeof(archive_entry_set_rdevminor) *sym_archive_entry_set_rdevminor = NULL;
typeof(archive_entry_set_size) *sym_archive_entry_set_size = NULL;
typeof(archive_entry_set_symlink) *sym_archive_entry_set_symlink = NULL;
typeof(archive_entry_set_uid) *sym_archive_entry_set_uid = NULL;
typeof(archive_entry_size) *sym_archive_entry_size = NULL;
typeof(archive_entry_size_is_set) *sym_archive_entry_size_is_set = NULL;
typeof(archive_entry_symlink) *sym_archive_entry_symlink = NULL;
typeof(archive_entry_uid) *sym_archive_entry_uid = NULL;
typeof(archive_entry_xattr_add_entry) *sym_archive_entry_xattr_add_entry = NULL;
typeof(archive_entry_xattr_next) *sym_archive_entry_xattr_next = NULL;
typeof(archive_entry_xattr_reset) *sym_archive_entry_xattr_reset = NULL;
typeof(archive_error_string) *sym_archive_error_string = NULL;
typeof(archive_read_data) *sym_archive_read_data = NULL;
typeof(archive_read_data_block) *sym_archive_read_data_block = NULL;
typeof(archive_read_free) *sym_archive_read_free = NULL;
typeof(archive_read_new) *sym_archive_read_new = NULL;
typeof(archive_read_next_header) *sym_archive_read_next_header = NULL;
typeof(archive_read_open) *sym_archive_read_open = NULL;
typeof(archive_read_support_filter_bzip2) *sym_archive_read_support_filter_bzip2 = NULL;
typeof(archive_read_support_filter_gzip) *sym_archive_read_support_filter_gzip = NULL;
typeof(archive_read_support_filter_xz) *sym_archive_read_support_filter_xz = NULL;
typeof(archive_read_support_filter_zstd) *sym_archive_read_support_filter_zstd = NULL;
typeof(archive_read_support_format_empty) *sym_archive_read_support_format_empty = NULL;
typeof(archive_read_support_format_raw) *sym_archive_read_support_format_raw = NULL;
typeof(archive_read_support_format_tar) *sym_archive_read_support_format_tar = NULL;
typeof(archive_set_error) *sym_archive_set_error = NULL;
typeof(archive_write_add_filter_gzip) *sym_archive_write_add_filter_gzip = NULL;
typeof(archive_write_close) *sym_archive_write_close = NULL;
typeof(archive_write_data) *sym_archive_write_data = NULL;
typeof(archive_write_finish_entry) *sym_archive_write_finish_entry = NULL;
typeof(archive_write_free) *sym_archive_write_free = NULL;
typeof(archive_write_header) *sym_archive_write_header = NULL;
typeof(archive_write_new) *sym_archive_write_new = NULL;
typeof(archive_write_open) *sym_archive_write_open = NULL;
typeof(archive_write_set_bytes_in_last_block) *sym_archive_write_set_bytes_in_last_block = NULL;
typeof(archive_write_set_bytes_per_block) *sym_archive_write_set_bytes_per_block = NULL;
typeof(archive_write_set_filter_option) *sym_archive_write_set_filter_option = NULL;
typeof(archive_write_set_format_pax) *sym_archive_write_set_format_pax = NULL;
typeof(archive_write_set_format_pax_restricted) *sym_archive_write_set_format_pax_restricted = NULL;
typeof(archive_write_set_format_raw) *sym_archive_write_set_format_raw = NULL;
typeof(EVP_MD_CTX_new) *sym_EVP_MD_CTX_new = NULL;
typeof(EVP_MD_CTX_free) *sym_EVP_MD_CTX_free = NULL;
typeof(EVP_DigestInit_ex) *sym_EVP_DigestInit_ex = NULL;
typeof(EVP_DigestUpdate) *sym_EVP_DigestUpdate = NULL;
typeof(EVP_DigestFinal_ex) *sym_EVP_DigestFinal_ex = NULL;
typeof(EVP_Digest) *sym_EVP_Digest = NULL;
typeof(EVP_sha256) *sym_EVP_sha256 = NULL;

int dlopen_libarchive(void) {
        static void *handle = NULL;
        static const DlSym syms[] = {
                DLSYM_ENTRY(archive_entry_atime),
                DLSYM_ENTRY(archive_entry_atime_is_set),
                DLSYM_ENTRY(archive_entry_atime_nsec),
                DLSYM_ENTRY(archive_entry_clear),
                DLSYM_ENTRY(archive_entry_filetype),
                DLSYM_ENTRY(archive_entry_free),
                DLSYM_ENTRY(archive_entry_gid),
                DLSYM_ENTRY(archive_entry_hardlink),
                DLSYM_ENTRY(archive_entry_mtime),
                DLSYM_ENTRY(archive_entry_mtime_is_set),
                DLSYM_ENTRY(archive_entry_mtime_nsec),
                DLSYM_ENTRY(archive_entry_new),
                DLSYM_ENTRY(archive_entry_pathname),
                DLSYM_ENTRY(archive_entry_perm),
                DLSYM_ENTRY(archive_entry_rdevmajor),
                DLSYM_ENTRY(archive_entry_rdevminor),
                DLSYM_ENTRY(archive_entry_set_filetype),
                DLSYM_ENTRY(archive_entry_set_gid),
                DLSYM_ENTRY(archive_entry_set_hardlink),
                DLSYM_ENTRY(archive_entry_set_mtime),
                DLSYM_ENTRY(archive_entry_set_pathname),
                DLSYM_ENTRY(archive_entry_set_perm),
                DLSYM_ENTRY(archive_entry_set_rdevmajor),
                DLSYM_ENTRY(archive_entry_set_rdevminor),
                DLSYM_ENTRY(archive_entry_set_size),
                DLSYM_ENTRY(archive_entry_set_symlink),
                DLSYM_ENTRY(archive_entry_set_uid),
                DLSYM_ENTRY(archive_entry_size),
                DLSYM_ENTRY(archive_entry_size_is_set),
                DLSYM_ENTRY(archive_entry_symlink),
                DLSYM_ENTRY(archive_entry_uid),
                DLSYM_ENTRY(archive_entry_xattr_add_entry),
                DLSYM_ENTRY(archive_entry_xattr_next),
                DLSYM_ENTRY(archive_entry_xattr_reset),
                DLSYM_ENTRY(archive_error_string),
                DLSYM_ENTRY(archive_read_data),
                DLSYM_ENTRY(archive_read_data_block),
                DLSYM_ENTRY(archive_read_free),
                DLSYM_ENTRY(archive_read_new),
                DLSYM_ENTRY(archive_read_next_header),
                DLSYM_ENTRY(archive_read_open),
                DLSYM_ENTRY(archive_read_support_filter_bzip2),
                DLSYM_ENTRY(archive_read_support_filter_gzip),
                DLSYM_ENTRY(archive_read_support_filter_xz),
                DLSYM_ENTRY(archive_read_support_filter_zstd),
                DLSYM_ENTRY(archive_read_support_format_empty),
                DLSYM_ENTRY(archive_read_support_format_raw),
                DLSYM_ENTRY(archive_read_support_format_tar),
                DLSYM_ENTRY(archive_set_error),
                DLSYM_ENTRY(archive_write_add_filter_gzip),
                DLSYM_ENTRY(archive_write_close),
                DLSYM_ENTRY(archive_write_data),
                DLSYM_ENTRY(archive_write_finish_entry),
                DLSYM_ENTRY(archive_write_free),
                DLSYM_ENTRY(archive_write_header),
                DLSYM_ENTRY(archive_write_new),
                DLSYM_ENTRY(archive_write_open),
                DLSYM_ENTRY(archive_write_set_bytes_in_last_block),
                DLSYM_ENTRY(archive_write_set_bytes_per_block),
                DLSYM_ENTRY(archive_write_set_filter_option),
                DLSYM_ENTRY(archive_write_set_format_pax),
                DLSYM_ENTRY(archive_write_set_format_pax_restricted),
                DLSYM_ENTRY(archive_write_set_format_raw),
        };

        return dlopen_symbols(&handle, LIBARCHIVE_SONAME, syms, ELEMENTSOF(syms));
}

int dlopen_libcrypto(void) {
        static void *handle = NULL;
        static const DlSym syms[] = {
                DLSYM_ENTRY(EVP_MD_CTX_new),
                DLSYM_ENTRY(EVP_MD_CTX_free),
                DLSYM_ENTRY(EVP_DigestInit_ex),
                DLSYM_ENTRY(EVP_DigestUpdate),
                DLSYM_ENTRY(EVP_DigestFinal_ex),
                DLSYM_ENTRY(EVP_Digest),
                DLSYM_ENTRY(EVP_sha256),
        };

        return dlopen_symbols(&handle, LIBCRYPTO_SONAME, syms, ELEMENTSOF(syms));
}
