/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>

/* Docker's command lookup (Go's exec.LookPath): a name with a '/' is taken as is, anything else is searched
 * in $PATH from envp (a default path when envp has none), without the /bin/sh retry for ENOEXEC that
 * execvpe() does. Makes only system calls (stat, access), so it is safe between fork() and execve().
 * Returns 0 with the path in buf, -ENOENT (or -ENOTDIR) when nothing was found, -EACCES or -EISDIR when
 * only something that cannot be executed was. */
int exec_path_resolve(const char *file, char *const envp[], char buf[static PATH_MAX]);

/* Docker's exit code for a failed lookup or execve(): 127 for "not found", 126 for everything else. */
int exec_path_exit_code(int error);
