/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "store.h"

/* Exit codes, as Docker's CLI uses them (docs/errors.md):
 *   0   success
 *   1   the command failed (no such image, conflict, I/O error, ...)
 *   125 berth itself could not run the command: usage errors, bad flags, bad arguments */
#define EXIT_CMD_FAILED 1
#define EXIT_USAGE 125

/* Global options, set by main() before a verb runs. */
extern const char *arg_root;

typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char *argv[]);
} Verb;

/* Prints "berth VERB: MESSAGE" and "See 'berth VERB --help'." and returns EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *format, ...) _printf_(2, 3);

/* Runs getopt_long() with berth's conventions (no getopt messages of its own; unknown flags and missing
 * arguments become usage errors naming the flag). Returns the option, -1 at the end, or -EXIT_USAGE after
 * printing the error. */
int cli_getopt(const char *verb, int argc, char *argv[], const char *shortopts,
        const struct option *longopts);

/* Opens the image store at arg_root, logging a specific error on failure. */
int cli_open_store(ImageStore **ret);
/* container_resolve() of a name or unique ID prefix, logging why it failed ("No such container: X", an
 * ambiguous prefix); returns 0 or the negative error. */
int cli_resolve_container(int root_fd, const char *arg, char **ret_name);

/* Connects to systemd (bus_open_system() and a ping), logging what is wrong and how to check on failure. */
int cli_open_bus(sd_bus **ret);

/* cli_open_store() and cli_open_bus(); returns 0, or fail_code after logging. */
int cli_open_store_and_bus(ImageStore **ret_store, sd_bus **ret_bus, int fail_code);

/* Reads a Docker --env-file and merges its variables into *env (later ones win per key). Errors are logged
 * naming the file (and line); returns 0 or -EXIT_USAGE. */
int cli_read_env_file(const char *verb, const char *path, char ***env);

/* Checks and normalises a REPOSITORY[:TAG] argument into a full reference; logs a usage error naming the
 * argument on failure (returns -EXIT_USAGE). */
int cli_parse_tag_reference(const char *verb, const char *arg, char **ret);

/* Docker's "repo:tag" display name of a full reference (docker.io/library/x:1 → x:1). */
char *cli_familiar_reference(const char *full);

/* Prints rows as Docker does (tabwriter: each column as wide as its widest cell plus three blanks, at least
 * ten; the last column unpadded). */
void cli_print_table(char ***rows, size_t n_rows, size_t n_cols);

/* container verbs */
int verb_create(int argc, char *argv[]);
int verb_exec(int argc, char *argv[]);
int verb_healthcheck(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_restart(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_rm(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);
int verb_update(int argc, char *argv[]);
int verb_attach(int argc, char *argv[]);
int verb_stats(int argc, char *argv[]);
int verb_rename(int argc, char *argv[]);
int verb_ps(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
int verb_port(int argc, char *argv[]);
int verb_container(int argc, char *argv[]);
int verb_container_inspect(int argc, char *argv[]);
int verb_generate(int argc, char *argv[]);

/* image verbs */
int verb_import(int argc, char *argv[]);
int verb_images(int argc, char *argv[]);
int verb_rmi(int argc, char *argv[]);
int verb_tag(int argc, char *argv[]);
int verb_pull(int argc, char *argv[]);
int verb_image_prune(int argc, char *argv[]);
int verb_load(int argc, char *argv[]);
int verb_push(int argc, char *argv[]);
int verb_save(int argc, char *argv[]);
int verb_login(int argc, char *argv[]);
int verb_logout(int argc, char *argv[]);
/* Pulls name (printing progress unless quiet) into the store; ret_id (may be NULL) gets the image ID.
 * Progress and result lines go to out. Returns 0 or an exit code (1, or 125 for a bad reference). */
int cli_pull_image(const char *name, const char *platform, bool quiet, FILE *out,
        char ret_id[DIGEST_STRING_MAX]);
int verb_inspect(int argc, char *argv[]);
int verb_image_inspect(int argc, char *argv[]);
int verb_image(int argc, char *argv[]);
