/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "macro.h"

/* Declarative containers: NAME.container files (berth.container(5)), INI files in systemd's syntax with a
 * [Container] section of berth's keys and [Unit], [Service] and [Install] sections passed on to systemd.
 * berth-generator turns each into units in the generator directory, at boot and on daemon-reload:
 *
 *   berth@CNAME.service.d/10-berth.conf  the container's unit settings, as `berth create` writes them for
 *                                        an imperative container, plus ExecStartPre= lines that pull a
 *                                        missing image and (re)create the container from the file's
 *                                        options with `berth create --declared-in=FILE`
 *   NAME.service                         a handle: `systemctl start|stop|restart NAME` start or stop the
 *                                        container's unit and wait for it; it stops when unneeded, and
 *                                        the container's unit Wants= it
 *   berth-port-CNAME@PORT.socket/.service  published ports, as `berth create` writes them
 *   TARGET.wants/berth@CNAME.service ... [Install] (Alias= names the handle)
 *
 * NAME is the file's name without ".container"; CNAME, the container's name, is Name= or NAME. The
 * container's ID is derived from CNAME and the file's content (container_file_id()), so the journal
 * fields in the generated drop-in name the container that the ExecStartPre= line creates. */

#define CONTAINER_FILE_SIZE_MAX (256 * 1024)
#define CONTAINER_FILE_SUFFIX ".container"
/* default PullTimeout=, seconds */
#define CONTAINER_FILE_PULL_TIMEOUT 300
/* systemd's TimeoutStartSec= of the container's unit: the pull plus this much for the rest */
#define CONTAINER_FILE_START_TIMEOUT_EXTRA 90

typedef struct ContainerFile {
        char *path; /* as given: SourcePath=, messages, the container's berth.container-file label */
        char *unit; /* "web.service": the handle's name, from the file's name */
        /* The container as far as the unit settings need it: id, name, image_name, ports, restart policy,
         * stop signal and timeout, privileged, devices, resources. */
        Container *container;
        char **create_args; /* `berth create` options ("--publish=8080:80"), then the image and command */
        char **unit_lines; /* [Unit] assignments as written ("After=db.service"), continuations joined */
        char **service_lines; /* [Service] assignments */
        char **wanted_by, **required_by, **aliases; /* [Install] */
        uint64_t pull_timeout_sec;
} ContainerFile;

ContainerFile *container_file_free(ContainerFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerFile *, container_file_free);

/* Parses text, the content of the file at path (whose name, NAME.container, gives the handle's name and the
 * default container name), and checks every value with the parsers `berth create` uses. Does not look at
 * the file system. On invalid input returns -EINVAL with the 1-based line (0: the file as a whole) and an
 * allocated message ("invalid Publish= '80': ..."); -ENOMEM, or what computing the ID failed with,
 * otherwise. */
int container_file_parse(const char *path, const char *text, size_t size, ContainerFile **ret,
        unsigned *reterr_line, char **reterr_message);

/* The container ID of a declared container: SHA-256 of "berth.container", its name and the file's content,
 * as 64 hex digits (out holds 65 bytes). */
int container_file_id(const char *name, const char *text, size_t size, char out[static 65]);

/* A file the generator writes: a regular file (content) or a symlink (link_target). */
typedef struct GeneratedFile {
        char *path; /* relative to the output directory: "web.service", "berth@web.service.d/10-berth.conf" */
        char *content;
        char *link_target;
} GeneratedFile;

void generated_files_free(GeneratedFile *files, size_t n);

/* Every file of f's units. berth is the path of the berth program for the ExecStartPre= lines. */
int container_file_render(const ContainerFile *f, const char *berth, GeneratedFile **ret, size_t *ret_n);

/* Quotes s as one word of an Exec*= line ("..." with \, ", % and $ escaped). NULL on OOM. */
char *unit_exec_quote(const char *s);

/* systemd's word splitting of a value (Exec=, Environment=): blanks separate words, "..." and '...' quote,
 * backslash escapes (C escapes \n \t \\ \" \'; any other character stands for itself). -EINVAL with a static
 * reason for an unterminated quote or a trailing backslash. */
int unit_words_split(const char *s, char ***ret, const char **reterr_reason);
