/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parsers behind `berth run/create/kill`: -e/--env-file, -v/--mount, --restart, signals, Docker's
 * Entrypoint/Cmd rules, generated names. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "container-util.h"
#include "strv.h"
#include "tests.h"

static char *joined(char *const *l) {
        size_t n = 1;
        char *s;

        STRV_FOREACH(x, l)
                n += strlen(*x) + 1;
        s = calloc(1, n);
        STRV_FOREACH(x, l) {
                if (x != l)
                        strcat(s, "|");
                strcat(s, *x);
        }
        return s;
}

#define ASSERT_STRV(l, expected)                                                                            \
        do {                                                                                                \
                char *_j = joined(l);                                                                       \
                ASSERT_STREQ(_j, expected);                                                                 \
                free(_j);                                                                                   \
        } while (0)

TEST(env_arg) {
        char *s = NULL;

        ASSERT_OK(env_arg_parse("A=1", &s));
        ASSERT_STREQ(s, "A=1");
        free(s);
        ASSERT_OK(env_arg_parse("A==x=", &s));
        ASSERT_STREQ(s, "A==x=");
        free(s);
        ASSERT_OK(env_arg_parse("EMPTY=", &s));
        ASSERT_STREQ(s, "EMPTY=");
        free(s);

        setenv("BERTH_TEST_SET", "from caller", 1);
        unsetenv("BERTH_TEST_UNSET");
        ASSERT_OK(env_arg_parse("BERTH_TEST_SET", &s));
        ASSERT_STREQ(s, "BERTH_TEST_SET=from caller");
        free(s);
        s = (char *) "sentinel";
        ASSERT_OK(env_arg_parse("BERTH_TEST_UNSET", &s));
        ASSERT_NULL(s);

        ASSERT_ERROR(env_arg_parse("=x", &s), EINVAL);
        ASSERT_ERROR(env_arg_parse("", &s), EINVAL);
        ASSERT_ERROR(env_arg_parse("A B=1", &s), EINVAL);
}

TEST(env_file) {
        static const char text[] = "\xef\xbb\xbf# comment\n"
                                   "\n"
                                   "   \t\n"
                                   "A=1\n"
                                   "  B=two words  \n"
                                   "   # indented comment\n"
                                   "C=\r\n"
                                   "BERTH_TEST_SET\n"
                                   "BERTH_TEST_UNSET\n"
                                   "D=x=y";
        char **l = NULL;
        const char *reason = NULL;
        unsigned line = 0;

        setenv("BERTH_TEST_SET", "v", 1);
        unsetenv("BERTH_TEST_UNSET");
        ASSERT_OK(env_file_parse(text, strlen(text), &l, &line, &reason));
        ASSERT_STRV(l, "A=1|B=two words  |C=|BERTH_TEST_SET=v|D=x=y");
        strv_free(l);

        ASSERT_ERROR(env_file_parse("A=1\n=2\n", 7, &l, &line, &reason), EINVAL);
        ASSERT_EQ(line, 2);
        ASSERT_STREQ(reason, "no variable name");
        ASSERT_ERROR(env_file_parse("A B=1\n", 6, &l, &line, &reason), EINVAL);
        ASSERT_EQ(line, 1);
        ASSERT_ERROR(env_file_parse("A=1\0B", 5, &l, &line, &reason), EINVAL);

        l = NULL;
        ASSERT_OK(env_file_parse("", 0, &l, NULL, NULL));
        ASSERT_NULL(l);
}

TEST(env_merge) {
        char **env = NULL;

        ASSERT_OK(env_merge(&env, "PATH=/bin"));
        ASSERT_OK(env_merge(&env, "A=1"));
        ASSERT_OK(env_merge(&env, "AB=2"));
        ASSERT_OK(env_merge(&env, "A=3"));
        ASSERT_OK(env_merge(&env, "PATH=/usr/bin"));
        ASSERT_STRV(env, "PATH=/usr/bin|A=3|AB=2");
        strv_free(env);
}

TEST(path_clean) {
        char *p;

        ASSERT_STREQ(p = path_absolute_clean("./data", "/home/u"), "/home/u/data");
        free(p);
        ASSERT_STREQ(p = path_absolute_clean("../x/./y//", "/home/u"), "/home/x/y");
        free(p);
        ASSERT_STREQ(p = path_absolute_clean("..", "/"), "/");
        free(p);
        ASSERT_STREQ(p = path_absolute_clean("/a/../../b", "/cwd"), "/b");
        free(p);
        ASSERT_STREQ(p = path_absolute_clean(".", "/srv"), "/srv");
        free(p);
}

TEST(volume) {
        ContainerMount m = {};
        const char *reason = NULL;

        ASSERT_OK(volume_spec_parse("/data:/srv/data", "/cwd", &m, &reason));
        ASSERT_EQ(m.type, MOUNT_BIND);
        ASSERT_STREQ(m.source, "/data");
        ASSERT_STREQ(m.target, "/srv/data");
        ASSERT_FALSE(m.read_only);
        container_mount_done(&m);

        ASSERT_OK(volume_spec_parse("./htdocs:/www/:ro", "/home/u", &m, &reason));
        ASSERT_STREQ(m.source, "/home/u/htdocs");
        ASSERT_STREQ(m.target, "/www");
        ASSERT_TRUE(m.read_only);
        container_mount_done(&m);

        ASSERT_OK(volume_spec_parse("..:/up:rw,z", "/home/u", &m, &reason));
        ASSERT_STREQ(m.source, "/home");
        ASSERT_FALSE(m.read_only);
        container_mount_done(&m);

        ASSERT_ERROR(volume_spec_parse("myvol:/data", "/", &m, &reason), EOPNOTSUPP);
        ASSERT_ERROR(volume_spec_parse("/data", "/", &m, &reason), EOPNOTSUPP);
        ASSERT_ERROR(volume_spec_parse("/a:relative", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse("/a:/", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse("/a:/b:rw,ro", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse("/a:/b:bogus", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse("/a:/b:ro:x", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse(":/b", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(volume_spec_parse("/a:/b:", "/", &m, &reason), EINVAL);
}

TEST(mount) {
        ContainerMount m = {};
        const char *reason = NULL;

        ASSERT_OK(mount_spec_parse("type=bind,source=/a,target=/b,readonly", "/", &m, &reason));
        ASSERT_EQ(m.type, MOUNT_BIND);
        ASSERT_STREQ(m.source, "/a");
        ASSERT_STREQ(m.target, "/b");
        ASSERT_TRUE(m.read_only);
        container_mount_done(&m);

        ASSERT_OK(mount_spec_parse("type=bind,src=./x,dst=/y,ro=false", "/srv", &m, &reason));
        ASSERT_STREQ(m.source, "/srv/x");
        ASSERT_STREQ(m.target, "/y");
        ASSERT_FALSE(m.read_only);
        container_mount_done(&m);

        ASSERT_OK(mount_spec_parse("type=bind,source=/a,destination=/b,ro", "/", &m, &reason));
        ASSERT_TRUE(m.read_only);
        container_mount_done(&m);

        ASSERT_OK(mount_spec_parse("type=tmpfs,target=/run/x,tmpfs-size=64m,tmpfs-mode=1777", "/", &m,
                &reason));
        ASSERT_EQ(m.type, MOUNT_TMPFS);
        ASSERT_NULL(m.source);
        ASSERT_STREQ(m.options, "size=67108864,mode=1777");
        container_mount_done(&m);

        ASSERT_OK(mount_spec_parse("type=tmpfs,dst=/t", "/", &m, &reason));
        ASSERT_NULL(m.options);
        container_mount_done(&m);

        ASSERT_OK(mount_spec_parse("type=tmpfs,dst=/t,tmpfs-size=1024", "/", &m, &reason));
        ASSERT_STREQ(m.options, "size=1024");
        container_mount_done(&m);

        ASSERT_ERROR(mount_spec_parse("type=volume,source=v,target=/d", "/", &m, &reason), EOPNOTSUPP);
        ASSERT_ERROR(mount_spec_parse("source=/a,target=/d", "/", &m, &reason), EOPNOTSUPP);
        ASSERT_ERROR(mount_spec_parse("type=bind,source=/a", "/", &m, &reason), EINVAL);
        ASSERT_STREQ(reason, "target is required");
        ASSERT_ERROR(mount_spec_parse("type=bind,target=/a", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=bind,source=vol,target=/a", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=tmpfs,source=/a,target=/a", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=bind,source=/a,target=/b,tmpfs-size=1m", "/", &m, &reason),
                EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=tmpfs,target=/b,tmpfs-size=lots", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=tmpfs,target=/b,tmpfs-mode=999", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=tmpfs,target=/b,bogus=1", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=nfs,target=/b", "/", &m, &reason), EINVAL);
        ASSERT_ERROR(mount_spec_parse("type=bind,source=/a,target=/b,readonly=maybe", "/", &m, &reason),
                EINVAL);
}

TEST(restart) {
        RestartPolicy p;
        int64_t max;
        const char *reason = NULL;

        ASSERT_OK(restart_spec_parse("no", &p, &max, &reason));
        ASSERT_EQ(p, RESTART_NO);
        ASSERT_OK(restart_spec_parse("always", &p, &max, &reason));
        ASSERT_EQ(p, RESTART_ALWAYS);
        ASSERT_OK(restart_spec_parse("unless-stopped", &p, &max, &reason));
        ASSERT_EQ(p, RESTART_UNLESS_STOPPED);
        ASSERT_OK(restart_spec_parse("on-failure", &p, &max, &reason));
        ASSERT_EQ(p, RESTART_ON_FAILURE);
        ASSERT_EQ(max, 0);
        ASSERT_OK(restart_spec_parse("on-failure:5", &p, &max, &reason));
        ASSERT_EQ(max, 5);
        ASSERT_OK(restart_spec_parse("", &p, &max, &reason));
        ASSERT_EQ(p, RESTART_NO);

        ASSERT_ERROR(restart_spec_parse("sometimes", &p, &max, &reason), EINVAL);
        ASSERT_ERROR(restart_spec_parse("always:3", &p, &max, &reason), EINVAL);
        ASSERT_ERROR(restart_spec_parse("on-failure:-1", &p, &max, &reason), EINVAL);
        ASSERT_ERROR(restart_spec_parse("on-failure:x", &p, &max, &reason), EINVAL);
        ASSERT_ERROR(restart_spec_parse("on-failure:", &p, &max, &reason), EINVAL);
}

TEST(signals) {
        char *s;

        ASSERT_EQ(signal_from_string("TERM"), SIGTERM);
        ASSERT_EQ(signal_from_string("SIGTERM"), SIGTERM);
        ASSERT_EQ(signal_from_string("sigkill"), SIGKILL);
        ASSERT_EQ(signal_from_string("9"), SIGKILL);
        ASSERT_EQ(signal_from_string("SIGRTMIN+3"), SIGRTMIN + 3);
        ASSERT_EQ(signal_from_string("RTMAX-1"), SIGRTMAX - 1);
        ASSERT_ERROR(signal_from_string("0"), EINVAL);
        ASSERT_ERROR(signal_from_string("65"), EINVAL);
        ASSERT_ERROR(signal_from_string("32"), EINVAL);
        ASSERT_ERROR(signal_from_string("SIGFOO"), EINVAL);
        ASSERT_ERROR(signal_from_string(""), EINVAL);
        ASSERT_ERROR(signal_from_string("-9"), EINVAL);
        ASSERT_ERROR(signal_from_string("RTMIN+99"), EINVAL);

        ASSERT_OK(signal_normalize("quit", &s));
        ASSERT_STREQ(s, "SIGQUIT");
        free(s);
        ASSERT_OK(signal_normalize("15", &s));
        ASSERT_STREQ(s, "SIGTERM");
        free(s);
        ASSERT_OK(signal_normalize("IOT", &s));
        ASSERT_STREQ(s, "SIGABRT");
        free(s);
        ASSERT_OK(signal_normalize("36", &s));
        ASSERT_STREQ(s, "SIGRTMIN+2");
        free(s);
        ASSERT_ERROR(signal_normalize("HUPP", &s), EINVAL);
}

static void check_command(char **img_ep, char **img_cmd, const char *flag, char **args, const char *ep,
        const char *cmd, const char *argv) {
        char **e = NULL, **c = NULL, **a = NULL;

        ASSERT_OK(command_resolve(img_ep, img_cmd, flag, args, &e, &c, &a));
        if (ep)
                ASSERT_STRV(e, ep);
        else
                ASSERT_NULL(e);
        if (cmd)
                ASSERT_STRV(c, cmd);
        else
                ASSERT_NULL(c);
        ASSERT_STRV(a, argv);
        strv_free(e);
        strv_free(c);
        strv_free(a);
}

TEST(command) {
        char *ep[] = { "/entry", "-x", NULL }, *cmd[] = { "httpd", "-f", NULL },
             *args[] = { "sh", "-c", "x", NULL };
        char *none[] = { NULL };
        char **e, **c, **a;

        /* image only */
        check_command(NULL, cmd, NULL, NULL, NULL, "httpd|-f", "httpd|-f");
        check_command(ep, cmd, NULL, NULL, "/entry|-x", "httpd|-f", "/entry|-x|httpd|-f");
        /* arguments replace Cmd, keep Entrypoint */
        check_command(ep, cmd, NULL, args, "/entry|-x", "sh|-c|x", "/entry|-x|sh|-c|x");
        check_command(NULL, cmd, NULL, args, NULL, "sh|-c|x", "sh|-c|x");
        /* --entrypoint replaces Entrypoint and drops the image's Cmd */
        check_command(ep, cmd, "/bin/env", NULL, "/bin/env", NULL, "/bin/env");
        check_command(ep, cmd, "/bin/env", args, "/bin/env", "sh|-c|x", "/bin/env|sh|-c|x");
        /* --entrypoint "" resets it */
        check_command(ep, cmd, "", args, NULL, "sh|-c|x", "sh|-c|x");
        /* an empty args list is no args */
        check_command(NULL, cmd, NULL, none, NULL, "httpd|-f", "httpd|-f");

        ASSERT_ERROR(command_resolve(NULL, NULL, NULL, NULL, &e, &c, &a), ENOEXEC);
        ASSERT_ERROR(command_resolve(ep, cmd, "", NULL, &e, &c, &a), ENOEXEC);
        ASSERT_ERROR(command_resolve(none, none, NULL, none, &e, &c, &a), ENOEXEC);
}

TEST(names) {
        char *seen[64] = {};
        unsigned distinct = 0;

        for (uint64_t i = 0; i < 2000; i++) {
                char *n = container_name_generate(i * 7919, 0);
                ASSERT_NOT_NULL(n);
                ASSERT_TRUE(container_name_is_valid(n));
                ASSERT_NOT_NULL(strchr(n, '_'));
                if (distinct < ELEMENTSOF(seen)) {
                        bool dup = false;
                        for (unsigned k = 0; k < distinct; k++)
                                dup = dup || strcmp(seen[k], n) == 0;
                        if (!dup) {
                                seen[distinct++] = n;
                                continue;
                        }
                }
                free(n);
        }
        ASSERT_EQ(distinct, ELEMENTSOF(seen));
        for (unsigned k = 0; k < distinct; k++)
                free(seen[k]);

        char *n = container_name_generate(12345, 3);
        ASSERT_TRUE(container_name_is_valid(n));
        ASSERT_TRUE(n[strlen(n) - 1] >= '0' && n[strlen(n) - 1] <= '9');
        free(n);
}

/* Parses spec and returns "IP|HOST|CONTAINER|PROTO;..." for comparison. */
static char *publish(const char *spec) {
        PortBinding *p = NULL;
        const char *reason = NULL;
        size_t n = 0;
        char *out = calloc(1, 64 * 1024);

        ASSERT_OK(publish_spec_parse(spec, &p, &n, &reason));
        ASSERT_NULL(reason);
        for (size_t i = 0; i < n; i++)
                sprintf(out + strlen(out), "%s%s|%u|%u|%s", i ? ";" : "", p[i].host_ip,
                        (unsigned) p[i].host_port, (unsigned) p[i].container_port,
                        port_proto_to_string(p[i].proto));
        free(p);
        return out;
}

#define ASSERT_PUBLISH(spec, expected)                                                                      \
        do {                                                                                                \
                char *_o = publish(spec);                                                                   \
                ASSERT_STREQ(_o, expected);                                                                 \
                free(_o);                                                                                   \
        } while (0)

static void assert_publish_invalid(const char *spec) {
        PortBinding *p = (PortBinding *) 0x1;
        const char *reason = NULL;
        size_t n = 0;

        if (publish_spec_parse(spec, &p, &n, &reason) != -EINVAL)
                TEST_FAIL("publish_spec_parse('%s') did not fail with -EINVAL", spec);
        ASSERT_NOT_NULL(reason);
        ASSERT_TRUE(p == (PortBinding *) 0x1); /* untouched on failure */
}

TEST(publish) {
        ASSERT_PUBLISH("8080:80", "|8080|80|tcp");
        ASSERT_PUBLISH("127.0.0.1:8080:80", "127.0.0.1|8080|80|tcp");
        ASSERT_PUBLISH("[::1]:8080:80", "::1|8080|80|tcp");
        ASSERT_PUBLISH("[2001:db8::7]:443:8443/tcp", "2001:db8::7|443|8443|tcp");
        ASSERT_PUBLISH("8080:80/tcp", "|8080|80|tcp");
        ASSERT_PUBLISH("8080:80/udp", "|8080|80|udp");
        ASSERT_PUBLISH("53/udp", "|0|53|udp");
        ASSERT_PUBLISH("80", "|0|80|tcp");
        ASSERT_PUBLISH("0:80", "|0|80|tcp");
        ASSERT_PUBLISH("127.0.0.1:0:80", "127.0.0.1|0|80|tcp");
        ASSERT_PUBLISH("127.0.0.1::80", "127.0.0.1|0|80|tcp");
        ASSERT_PUBLISH("65535:1", "|65535|1|tcp");
        ASSERT_PUBLISH("8000-8002:80-82", "|8000|80|tcp;|8001|81|tcp;|8002|82|tcp");
        ASSERT_PUBLISH("127.0.0.1:8000-8001:80-81/udp", "127.0.0.1|8000|80|udp;127.0.0.1|8001|81|udp");
        ASSERT_PUBLISH("80-81", "|0|80|tcp;|0|81|tcp");
        ASSERT_PUBLISH("8080-8080:80-80", "|8080|80|tcp");

        assert_publish_invalid("");
        assert_publish_invalid("abc");
        assert_publish_invalid("0");
        assert_publish_invalid("65536:80");
        assert_publish_invalid("8080:65536");
        assert_publish_invalid("8080:0");
        assert_publish_invalid("-1:80");
        assert_publish_invalid("8080:80/xyz");
        assert_publish_invalid("8080:80/sctp");
        assert_publish_invalid("8080:80/");
        assert_publish_invalid(":80");
        assert_publish_invalid("8080:");
        assert_publish_invalid("8000-8010:80-85"); /* unequal lengths */
        assert_publish_invalid("8000-8010:80"); /* host range, one container port */
        assert_publish_invalid("8010-8000:80-90"); /* reversed */
        assert_publish_invalid("80-:80");
        assert_publish_invalid("8080:80-");
        assert_publish_invalid("1.2.3:8080:80");
        assert_publish_invalid("localhost:8080:80");
        assert_publish_invalid("::1:8080:80"); /* IPv6 needs brackets */
        assert_publish_invalid("[::1]8080:80");
        assert_publish_invalid("[::1]:8080");
        assert_publish_invalid("[127.0.0.1]:8080:80");
        assert_publish_invalid("[]:8080:80");
        assert_publish_invalid("1.2.3.4:8080:80:90");
        assert_publish_invalid("008080000:80");
        assert_publish_invalid("1-2000:1-2000"); /* more than PUBLISH_PORTS_MAX */
        assert_publish_invalid("8080 :80");
}

TEST(port_format) {
        PortBinding p[3] = {
                { .host_ip = "", .host_port = 8080, .container_port = 80, .proto = PORT_PROTO_TCP },
                { .host_ip = "127.0.0.1", .host_port = 9000, .container_port = 90, .proto = PORT_PROTO_UDP },
                { .host_ip = "::1", .host_port = 1, .container_port = 2, .proto = PORT_PROTO_TCP },
        };
        char *s;
        uint16_t port;
        PortProto proto;

        s = ASSERT_NOT_NULL(port_bindings_format(p, 3));
        ASSERT_STREQ(s, "0.0.0.0:8080->80/tcp, 127.0.0.1:9000->90/udp, [::1]:1->2/tcp");
        free(s);
        s = ASSERT_NOT_NULL(port_bindings_format(p, 0));
        ASSERT_STREQ(s, "");
        free(s);

        ASSERT_OK(port_key_parse("80", &port, &proto));
        ASSERT_EQ(port, 80);
        ASSERT_EQ(proto, PORT_PROTO_TCP);
        ASSERT_OK(port_key_parse("53/udp", &port, &proto));
        ASSERT_EQ(port, 53);
        ASSERT_EQ(proto, PORT_PROTO_UDP);
        ASSERT_ERROR(port_key_parse("0/tcp", &port, &proto), EINVAL);
        ASSERT_ERROR(port_key_parse("80/sctp", &port, &proto), EINVAL);
        ASSERT_ERROR(port_key_parse("x", &port, &proto), EINVAL);
        ASSERT_ERROR(port_key_parse("", &port, &proto), EINVAL);
}

TEST(confine_specs) {
        const char *reason = NULL;
        ContainerMount m = {};
        ContainerUlimit u = {};
        ContainerDevice d = {};
        unsigned long long sz = 0;
        int64_t nano = 0;
        char *s = NULL;

        ASSERT_OK(size_spec_parse("64m", &sz));
        ASSERT_EQ(sz, 64ULL << 20);
        ASSERT_OK(size_spec_parse("1GB", &sz));
        ASSERT_EQ(sz, 1ULL << 30);
        ASSERT_ERROR(size_spec_parse("-1", &sz), EINVAL);

        ASSERT_OK(tmpfs_spec_parse("/run", &m, &reason));
        ASSERT_STREQ(m.target, "/run");
        ASSERT_NULL(m.options);
        ASSERT_EQ(m.type, MOUNT_TMPFS);
        container_mount_done(&m);
        ASSERT_OK(tmpfs_spec_parse("/run/x/:size=10m,mode=1777,exec,ro", &m, &reason));
        ASSERT_STREQ(m.target, "/run/x");
        ASSERT_STREQ(m.options, "size=10m,mode=1777,exec,ro");
        ASSERT_TRUE(m.read_only);
        container_mount_done(&m);
        ASSERT_ERROR(tmpfs_spec_parse("run", &m, &reason), EINVAL);
        ASSERT_ERROR(tmpfs_spec_parse("/run:size=lots", &m, &reason), EINVAL);
        ASSERT_ERROR(tmpfs_spec_parse("/run:lowerdir=/etc", &m, &reason), EINVAL);
        ASSERT_ERROR(tmpfs_spec_parse("/:size=1m", &m, &reason), EINVAL);

        ASSERT_OK(ulimit_spec_parse("nofile=1024:2048", &u, &reason));
        ASSERT_STREQ(u.name, "nofile");
        ASSERT_EQ(u.soft, 1024);
        ASSERT_EQ(u.hard, 2048);
        free(u.name);
        ASSERT_OK(ulimit_spec_parse("core=unlimited", &u, &reason));
        ASSERT_EQ(u.soft, -1);
        ASSERT_EQ(u.hard, -1);
        free(u.name);
        ASSERT_OK(ulimit_spec_parse("nproc=10", &u, &reason));
        ASSERT_EQ(u.hard, 10);
        free(u.name);
        ASSERT_ERROR(ulimit_spec_parse("nofile=2048:1024", &u, &reason), EINVAL);
        ASSERT_ERROR(ulimit_spec_parse("files=1", &u, &reason), EINVAL);
        ASSERT_ERROR(ulimit_spec_parse("nofile=", &u, &reason), EINVAL);
        ASSERT_ERROR(ulimit_spec_parse("nofile=1x", &u, &reason), EINVAL);

        ASSERT_OK(device_spec_parse("/dev/fuse", &d, &reason));
        ASSERT_STREQ(d.host_path, "/dev/fuse");
        ASSERT_STREQ(d.container_path, "/dev/fuse");
        ASSERT_STREQ(d.permissions, "rwm");
        free(d.host_path), free(d.container_path), free(d.permissions);
        ASSERT_OK(device_spec_parse("/dev/null:/dev/mynull:r", &d, &reason));
        ASSERT_STREQ(d.container_path, "/dev/mynull");
        ASSERT_STREQ(d.permissions, "r");
        free(d.host_path), free(d.container_path), free(d.permissions);
        ASSERT_OK(device_spec_parse("/dev/zero:rw", &d, &reason));
        ASSERT_STREQ(d.container_path, "/dev/zero");
        ASSERT_STREQ(d.permissions, "rw");
        free(d.host_path), free(d.container_path), free(d.permissions);
        ASSERT_ERROR(device_spec_parse("dev/fuse", &d, &reason), EINVAL);
        ASSERT_ERROR(device_spec_parse("/dev/fuse:/etc/fuse", &d, &reason), EINVAL);
        ASSERT_ERROR(device_spec_parse("/dev/fuse:/dev/../etc/x", &d, &reason), EINVAL);
        ASSERT_ERROR(device_spec_parse("/dev/fuse:/dev/fuse:rwx", &d, &reason), EINVAL);
        ASSERT_ERROR(device_spec_parse("/a:/dev/b:r:x", &d, &reason), EINVAL);

        ASSERT_OK(sysctl_spec_parse("net.ipv4.ip_forward=1", false, &s, &reason));
        ASSERT_STREQ(s, "net.ipv4.ip_forward=1");
        free(s);
        ASSERT_OK(sysctl_spec_parse("net/core/somaxconn=1024", false, &s, &reason));
        ASSERT_STREQ(s, "net.core.somaxconn=1024");
        free(s);
        ASSERT_OK(sysctl_spec_parse("kernel.shmmax=100000", true, &s, &reason));
        free(s);
        ASSERT_OK(sysctl_spec_parse("fs.mqueue.msg_max=20", true, &s, &reason));
        free(s);
        ASSERT_ERROR(sysctl_spec_parse("net.ipv4.ip_forward=1", true, &s, &reason), EINVAL);
        ASSERT_ERROR(sysctl_spec_parse("kernel.domainname=x", false, &s, &reason), EINVAL);
        ASSERT_ERROR(sysctl_spec_parse("vm.swappiness=1", false, &s, &reason), EINVAL);
        ASSERT_ERROR(sysctl_spec_parse("net.../../x=1", false, &s, &reason), EINVAL);
        ASSERT_ERROR(sysctl_spec_parse("=1", false, &s, &reason), EINVAL);

        ASSERT_OK(cpus_spec_parse("1.5", &nano));
        ASSERT_EQ(nano, 1500000000);
        ASSERT_OK(cpus_spec_parse(".25", &nano));
        ASSERT_EQ(nano, 250000000);
        ASSERT_OK(cpus_spec_parse("2", &nano));
        ASSERT_EQ(nano, 2000000000);
        ASSERT_ERROR(cpus_spec_parse("0", &nano), EINVAL);
        ASSERT_ERROR(cpus_spec_parse("-1", &nano), EINVAL);
        ASSERT_ERROR(cpus_spec_parse("1.0000000001", &nano), EINVAL);
        ASSERT_ERROR(cpus_spec_parse("1e3", &nano), EINVAL);
}

int main(void) {
        RUN(env_arg);
        RUN(env_file);
        RUN(env_merge);
        RUN(path_clean);
        RUN(volume);
        RUN(mount);
        RUN(restart);
        RUN(signals);
        RUN(command);
        RUN(names);
        RUN(publish);
        RUN(port_format);
        RUN(confine_specs);
        return 0;
}
