/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Crash-safe replace of dirfd/path: write a temp file ".#NAME.*" beside it, fsync, rename over, fsync the
 * directory. A crash at any point leaves either the old or the new content, never a mix.
 * Test hook: when $BERTH_TEST_CRASH_BEFORE_RENAME equals the file's name, the temp file is written and synced
 * and then the process _exit(99)s before the rename, as a crash would. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode);

/* The same replace-by-rename, so readers never see a partial file, but without the fsyncs: for files that
 * are regenerated anyway (a container's /etc/hosts, its state.json) and on the start path, where every
 * fsync is milliseconds of latency. After a power loss such a file may be empty or old. */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode);

/* Reads a whole (small) regular file. The result is NUL-terminated; ret_size may be NULL. Refuses files
 * larger than max_size with -EFBIG. */
int read_full_file_at(int dirfd, const char *name, size_t max_size, char **ret, size_t *ret_size);

/* mkdirat() of every missing component of a relative path below dirfd; existing ones are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);

/* Removes dirfd/name recursively, never following symlinks and never crossing into other file systems. */
int rm_rf_at(int dirfd, const char *name);
/* The same for what is inside the directory dirfd/name, which stays (a missing one is fine). */
int rm_rf_children_at(int dirfd, const char *name);

/* fsync()s a directory by path relative to dirfd. */
int fsync_directory_at(int dirfd, const char *name);
