/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .container parser's pieces: systemd's word splitting and Exec= quoting, line numbers across
 * continuations, values, the container ID. tests/generator/run.sh compares whole generated units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-file.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

#define PATH "/etc/berth/containers/web.container"

static ContainerFile *parse_ok(const char *text) {
        ContainerFile *f = NULL;
        _cleanup_free_ char *msg = NULL;
        unsigned line = 0;
        int r = container_file_parse(PATH, text, strlen(text), &f, &line, &msg);

        if (r < 0)
                TEST_FAIL("parse failed (%d) at line %u: %s", r, line, msg ?: "(no message)");
        return f;
}

static void parse_fails(const char *text, unsigned want_line, const char *want_msg) {
        _cleanup_free_ char *msg = NULL;
        ContainerFile *f = NULL;
        unsigned line = 99;

        ASSERT_ERROR(container_file_parse(PATH, text, strlen(text), &f, &line, &msg), EINVAL);
        ASSERT_NULL(f);
        ASSERT_EQ(line, want_line);
        if (!msg || !strstr(msg, want_msg))
                TEST_FAIL("message '%s' lacks '%s'", msg ?: "(null)", want_msg);
}

TEST(words) {
        static const struct {
                const char *in;
                const char *out[5];
        } cases[] = {
                { "a b  c", { "a", "b", "c" } },
                { "  \"a b\" 'c d'e ", { "a b", "c de" } },
                { "x\\ y \"q\\\"uote\" 'it\"s'", { "x y", "q\"uote", "it\"s" } },
                { "tab\\tnl\\n", { "tab\tnl\n" } },
                { "", {} },
                { "\"\"", { "" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_strv_free_ char **w = NULL;
                size_t n = 0;

                ASSERT_OK(unit_words_split(cases[i].in, &w, NULL));
                while (cases[i].out[n])
                        n++;
                ASSERT_EQ(strv_length(w), n);
                for (size_t k = 0; k < n; k++)
                        ASSERT_STREQ(w[k], cases[i].out[k]);
        }
        {
                char **w = NULL;
                const char *reason = NULL;
                ASSERT_ERROR(unit_words_split("a \"b", &w, &reason), EINVAL);
                ASSERT_STREQ(reason, "unterminated quote");
                ASSERT_ERROR(unit_words_split("a\\", &w, &reason), EINVAL);
                ASSERT_STREQ(reason, "trailing backslash");
                ASSERT_NULL(w);
        }
}

TEST(exec_quote) {
        static const char *const cases[][2] = {
                { "/usr/bin/berth", "/usr/bin/berth" },
                { "--env=A=1", "--env=A=1" },
                { "a b", "\"a b\"" },
                { "", "\"\"" },
                { "100% $HOME", "\"100%% $$HOME\"" },
                { "q\"b\\s", "\"q\\\"b\\\\s\"" },
                { "t\tn\n", "\"t\\x09n\\x0a\"" },
                { ";", "\";\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *q = unit_exec_quote(cases[i][0]);
                ASSERT_STREQ(q, cases[i][1]);
        }
}

TEST(parse) {
        _cleanup_(container_file_freep) ContainerFile *f = parse_ok("# comment\n"
                                                                    "[Container]\n"
                                                                    "Image = busybox:1.36 \n"
                                                                    "Name=other\n"
                                                                    "Publish=8080:80\n"
                                                                    "Publish=\n"
                                                                    "Publish=127.0.0.1:8081:81\n"
                                                                    "Exec=sh \\\n"
                                                                    "; a comment inside\n"
                                                                    "  -c 'echo hi'\n"
                                                                    "StopSignal=quit\n"
                                                                    "Privileged=yes\n"
                                                                    "Privileged=off\n"
                                                                    "[Unit]\n"
                                                                    "After=db.service\n"
                                                                    "[X-Other]\n"
                                                                    "Whatever=1\n");

        ASSERT_STREQ(f->unit, "web.service");
        ASSERT_STREQ(f->container->name, "other");
        ASSERT_STREQ(f->container->image_name, "busybox:1.36");
        ASSERT_EQ(f->container->n_ports, 1u); /* the empty assignment reset the first */
        ASSERT_EQ(f->container->ports[0].host_port, 8081);
        ASSERT_STREQ(f->container->ports[0].host_ip, "127.0.0.1");
        ASSERT_STREQ(f->container->stop_signal, "SIGQUIT");
        ASSERT_EQ(f->container->stop_timeout, 10);
        ASSERT_FALSE(f->container->privileged);
        ASSERT_EQ(f->pull_timeout_sec, (uint64_t) CONTAINER_FILE_PULL_TIMEOUT);
        ASSERT_EQ(strv_length(f->unit_lines), 1u);
        ASSERT_STREQ(f->unit_lines[0], "After=db.service");
        {
                /* no HealthCmd=: the image's HEALTHCHECK is not used either */
                const char *want[] = { "--name=other", "--publish=127.0.0.1:8081:81", "--stop-signal=quit",
                        "--no-healthcheck", "busybox:1.36", "sh", "-c", "echo hi", NULL };
                ASSERT_EQ(strv_length(f->create_args), ELEMENTSOF(want) - 1);
                for (size_t i = 0; want[i]; i++)
                        ASSERT_STREQ(f->create_args[i], want[i]);
        }
}

TEST(errors) {
        parse_fails("[Container]\nImage=x\nExec=a \\\n  \"b\n", 3, "unterminated quote");
        parse_fails("\n\n[Container]\nPublish=99999:80\n", 4, "invalid Publish= '99999:80'");
        parse_fails("[Container]\n", 0, "Image= is missing");
        parse_fails("[Service]\nType=simple\n", 2, "Type= can't be set in [Service]");
        parse_fails("[Unit]\nBad Key=1\n", 2, "invalid key 'Bad Key'");
        parse_fails("[Container\n", 1, "invalid section header");
}

TEST(id) {
        const char *a = "[Container]\nImage=x\n", *b = "[Container]\nImage=y\n";
        char id1[65], id2[65], id3[65], id4[65];

        ASSERT_OK(container_file_id("web", a, strlen(a), id1));
        ASSERT_OK(container_file_id("web", a, strlen(a), id2));
        ASSERT_OK(container_file_id("web", b, strlen(b), id3));
        ASSERT_OK(container_file_id("web2", a, strlen(a), id4));
        ASSERT_STREQ(id1, id2);
        ASSERT_TRUE(strcmp(id1, id3) != 0);
        ASSERT_TRUE(strcmp(id1, id4) != 0);
        ASSERT_TRUE(strlen(id1) == 64 && string_is_lower_hex(id1, 64));
}

int main(void) {
        RUN(words);
        RUN(exec_quote);
        RUN(parse);
        RUN(errors);
        RUN(id);
        return 0;
}
