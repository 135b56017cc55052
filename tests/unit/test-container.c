/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capability-util.h"
#include "container-unit.h"
#include "container.h"
#include "fd-util.h"
#include "fileio.h"
#include "health.h"
#include "json-util.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define IMG "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static Container *sample(void) {
        Container *c = ASSERT_NOT_NULL(calloc(1, sizeof(Container)));

        c->id = strdup(ID);
        c->name = strdup("web");
        c->created = strdup("2026-11-28T01:00:00.000000000Z");
        c->image_id = strdup(IMG);
        c->image_name = strdup("berth-demo:latest");
        ASSERT_OK(strv_extend(&c->layers, IMG));
        c->path = strdup("httpd");
        ASSERT_OK(strv_extend(&c->args, "-f"));
        ASSERT_OK(strv_extend(&c->env, "PATH=/bin"));
        ASSERT_OK(strv_extend(&c->labels, "a=b=c"));
        c->user = strdup("www-data");
        c->working_dir = strdup("/www");
        c->hostname = strdup("0123456789ab");
        c->stop_signal = strdup("SIGQUIT");
        c->stop_timeout = 3;
        c->network_mode = NETWORK_HOST;
        c->restart_policy = RESTART_ON_FAILURE;
        c->restart_max = 2;
        c->init = true;
        c->n_mounts = 2;
        c->mounts = ASSERT_NOT_NULL(calloc(2, sizeof(ContainerMount)));
        c->mounts[0] = (ContainerMount){ .type = MOUNT_BIND,
                .source = strdup("/srv"),
                .target = strdup("/www"),
                .read_only = true };
        c->mounts[1] = (ContainerMount){ .type = MOUNT_TMPFS,
                .target = strdup("/tmp"),
                .options = strdup("size=1m") };
        c->n_ports = 3;
        c->ports = ASSERT_NOT_NULL(calloc(3, sizeof(PortBinding)));
        c->ports[0] = (PortBinding){ .host_ip = "", .host_port = 8080, .container_port = 80 };
        c->ports[1] = (PortBinding){ .host_ip = "::1", .host_port = 8443, .container_port = 443 };
        c->ports[2] = (PortBinding){ .host_ip = "127.0.0.1", .host_port = 8081, .container_port = 80 };
        return c;
}

TEST(names) {
        ASSERT_TRUE(container_name_is_valid("web"));
        ASSERT_TRUE(container_name_is_valid("a.b_c-d9"));
        ASSERT_FALSE(container_name_is_valid(""));
        ASSERT_FALSE(container_name_is_valid("-x"));
        ASSERT_FALSE(container_name_is_valid("a/b"));
        ASSERT_FALSE(container_name_is_valid("a b"));
        ASSERT_FALSE(container_name_is_valid("../x"));
        ASSERT_FALSE(container_name_is_valid("a%i"));
}

TEST(round_trip) {
        _cleanup_(container_freep) Container *c = sample(), *d = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;

        ASSERT_OK(container_to_json(c, &text));
        ASSERT_OK(container_from_json(text, strlen(text), &d, NULL));
        ASSERT_OK(container_to_json(d, &text2));
        ASSERT_STREQ(text, text2);
        ASSERT_STREQ(d->name, "web");
        ASSERT_EQ(d->network_mode, NETWORK_HOST);
        ASSERT_EQ(d->restart_policy, RESTART_ON_FAILURE);
        ASSERT_EQ(d->restart_max, 2);
        ASSERT_TRUE(d->init);
        ASSERT_EQ(d->n_mounts, 2);
        ASSERT_TRUE(d->mounts[0].read_only);
        ASSERT_STREQ(d->mounts[1].options, "size=1m");
        ASSERT_STREQ(d->labels[0], "a=b=c");
        ASSERT_NULL(d->entrypoint);
        /* PortBindings groups by container port: 80/tcp holds two bindings */
        ASSERT_EQ(d->n_ports, 3);
        ASSERT_STREQ(d->ports[0].host_ip, "");
        ASSERT_EQ(d->ports[0].host_port, 8080);
        ASSERT_EQ(d->ports[1].container_port, 80);
        ASSERT_STREQ(d->ports[1].host_ip, "127.0.0.1");
        ASSERT_STREQ(d->ports[2].host_ip, "::1");
        ASSERT_EQ(d->ports[2].container_port, 443);
        ASSERT_EQ(d->ports[2].proto, PORT_PROTO_TCP);
        ASSERT_NOT_NULL(strstr(text, "\"PortBindings\""));
        ASSERT_NOT_NULL(strstr(text, "\"80\\/tcp\"") ?: strstr(text, "\"80/tcp\""));
        ASSERT_FALSE(d->on_demand);
        ASSERT_EQ(d->idle_stop_sec, 0);
        ASSERT_NULL(strstr(text, "OnDemand"));
}

TEST(on_demand_round_trip) {
        _cleanup_(container_freep) Container *c = sample(), *d = NULL, *e = NULL;
        _cleanup_free_ char *text = NULL, *bad = NULL;
        char *p;

        c->on_demand = true;
        c->idle_stop_sec = 90;
        ASSERT_OK(container_to_json(c, &text));
        ASSERT_NOT_NULL(strstr(text, "\"OnDemand\": true") ?: strstr(text, "\"OnDemand\":true"));
        ASSERT_NOT_NULL(strstr(text, "\"IdleStopTimeout\": 90") ?: strstr(text, "\"IdleStopTimeout\":90"));
        ASSERT_OK(container_from_json(text, strlen(text), &d, NULL));
        ASSERT_TRUE(d->on_demand);
        ASSERT_EQ(d->idle_stop_sec, 90);
        /* a negative idle time is refused */
        bad = strdup(text);
        ASSERT_NOT_NULL(bad);
        p = strstr(bad, "\"IdleStopTimeout\":");
        ASSERT_NOT_NULL(p);
        p += strlen("\"IdleStopTimeout\":");
        p += *p == ' ';
        memcpy(p, "-9", 2);
        ASSERT_ERROR(container_from_json(bad, strlen(bad), &e, NULL), EBADMSG);
}

TEST(remove_modes) {
        _cleanup_(container_freep) Container *c = sample(), *d = NULL, *e = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL, *unit = NULL;

        /* run --rm in the foreground: Docker's AutoRemove, and the client (not ExecStopPost=) removes */
        c->restart_policy = RESTART_NO;
        c->client_removes = true;
        ASSERT_OK(container_to_json(c, &text));
        ASSERT_NOT_NULL(strstr(text, "\"AutoRemove\": true") ?: strstr(text, "\"AutoRemove\":true"));
        ASSERT_OK(container_from_json(text, strlen(text), &d, NULL));
        ASSERT_TRUE(d->client_removes);
        ASSERT_FALSE(d->auto_remove);
        ASSERT_OK(container_dropin_render(d, NULL, &unit));
        ASSERT_NOT_NULL(strstr(unit, "\nExecStopPost=\n"));
        free(unit);
        unit = NULL;

        /* run -d --rm: berth-runtime's poststop removes it, so the template's ExecStopPost= stays */
        c->client_removes = false;
        c->auto_remove = true;
        ASSERT_OK(container_to_json(c, &text2));
        ASSERT_NULL(strstr(text2, "BerthClientRemoves"));
        ASSERT_OK(container_from_json(text2, strlen(text2), &e, NULL));
        ASSERT_TRUE(e->auto_remove);
        ASSERT_FALSE(e->client_removes);
        ASSERT_OK(container_dropin_render(e, NULL, &unit));
        ASSERT_NULL(strstr(unit, "ExecStopPost="));
}

TEST(port_units) {
        _cleanup_(container_freep) Container *c = sample();
        _cleanup_free_ char *sock = NULL, *svc = NULL, *name = NULL, *dropin = NULL;

        name = container_port_unit_name("web", c->ports + 0, ".socket");
        ASSERT_STREQ(name, "berth-port-web@8080.socket");
        ASSERT_OK(container_port_units_render(c, c->ports + 0, &sock, &svc));
        ASSERT_NOT_NULL(strstr(sock, "\nListenStream=8080\nBindIPv6Only=both\n"));
        ASSERT_NOT_NULL(strstr(sock, "\nBindsTo=berth@web.service\n"));
        ASSERT_NOT_NULL(strstr(sock, "\nAccept=no\n"));
        ASSERT_NOT_NULL(strstr(svc, "/berth-proxy web 80\n"));
        ASSERT_NOT_NULL(strstr(svc, "\nRequires=berth-port-web@8080.socket\n"));
        free(sock);
        free(svc);
        ASSERT_OK(container_port_units_render(c, c->ports + 1, &sock, &svc));
        ASSERT_NOT_NULL(strstr(sock, "\nListenStream=[::1]:8443\n"));
        ASSERT_NULL(strstr(sock, "BindIPv6Only"));
        free(sock);
        free(svc);
        ASSERT_OK(container_port_units_render(c, c->ports + 2, &sock, &svc));
        ASSERT_NOT_NULL(strstr(sock, "\nListenStream=127.0.0.1:8081\n"));
        ASSERT_OK(container_dropin_render(c, NULL, &dropin));
        ASSERT_NOT_NULL(strstr(dropin, "\nWants=berth-port-web@8080.socket\n"));
        ASSERT_NOT_NULL(strstr(dropin, "\nWants=berth-port-web@8443.socket\n"));
        free(sock);
        free(svc);
        sock = svc = NULL;

        /* UDP */
        c->ports[0].proto = PORT_PROTO_UDP;
        free(name);
        name = container_port_unit_name("web", c->ports + 0, ".socket");
        ASSERT_STREQ(name, "berth-port-web@8080-udp.socket");
        ASSERT_OK(container_port_units_render(c, c->ports + 0, &sock, &svc));
        ASSERT_NOT_NULL(strstr(sock, "\nListenDatagram=8080\nBindIPv6Only=both\n"));
        ASSERT_NOT_NULL(strstr(svc, "\nRequires=berth-port-web@8080-udp.socket\n"));
        free(sock);
        free(svc);
        sock = svc = NULL;

        /* --on-demand: the socket is independent of the container, the proxy part of it */
        c->ports[0].proto = PORT_PROTO_TCP;
        c->on_demand = true;
        ASSERT_OK(container_port_units_render(c, c->ports + 0, &sock, &svc));
        ASSERT_NULL(strstr(sock, "BindsTo="));
        ASSERT_NULL(strstr(sock, "DefaultDependencies=no"));
        ASSERT_NOT_NULL(strstr(svc, "\nPartOf=berth@web.service\n"));
        ASSERT_NULL(strstr(svc, "BindsTo="));
        ASSERT_NOT_NULL(strstr(svc, "/berth-proxy --on-demand web 80\n"));
        ASSERT_NULL(strstr(svc, "ExecStopPost="));
        free(sock);
        free(svc);
        sock = svc = NULL;

        /* --idle-stop */
        c->idle_stop_sec = 300;
        ASSERT_OK(container_port_units_render(c, c->ports + 0, &sock, &svc));
        ASSERT_NOT_NULL(strstr(svc, "/berth-proxy --on-demand --idle-stop 300 web 80\n"));
        ASSERT_NOT_NULL(strstr(svc, "/berth-proxy --after-exit web\n"));
        ASSERT_NOT_NULL(strstr(svc, "\nSuccessExitStatus=3\n"));
        free(sock);
        free(svc);
        sock = svc = NULL;

        c->idle_stop_sec = -1;
        ASSERT_ERROR(container_port_units_render(c, c->ports + 0, &sock, &svc), EINVAL);
        c->idle_stop_sec = 0;
        c->ports[0].container_port = 0;
        ASSERT_ERROR(container_port_units_render(c, c->ports + 0, &sock, &svc), EINVAL);
}

TEST(rejects_malformed) {
        static const char *const bad[] = {
                "[]",
                "{\"Id\":\"xyz\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\"}",
                "{\"Id\":\"" ID "\",\"Name\":\"../etc\",\"Image\":\"" IMG "\",\"Path\":\"sh\"}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"sha256:../../x\",\"Path\":\"sh\"}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\"}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG
                "\",\"Path\":\"sh\",\"Layers\":[\"../x\"]}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"NetworkMode\":\"bridge\"}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/x\",\"Target\":\"/a/../../"
                "etc\"}]}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"/a\"}]}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"Config\":{\"WorkingDir\":\"relative\"}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"Config\":{\"Env\":[1,2]}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"PortBindings\":{\"80/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"}]}}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"PortBindings\":{\"80/"
                "tcp\":[{\"HostIp\":\"x\\n\",\"HostPort\":\"80\"}]}}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"0\"}]}}}",
                "{\"Id\":\"" ID "\",\"Name\":\"web\",\"Image\":\"" IMG "\",\"Path\":\"sh\","
                "\"HostConfig\":{\"PortBindings\":{\"80/tcp\":{}}}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Container *c = NULL;
                const char *reason = NULL;

                if (container_from_json(bad[i], strlen(bad[i]), &c, &reason) >= 0)
                        TEST_FAIL("accepted malformed config #%zu: %s", i, bad[i]);
                ASSERT_NULL(c);
                ASSERT_NOT_NULL(reason);
        }
}

TEST(dropin) {
        _cleanup_(container_freep) Container *c = sample();
        _cleanup_free_ char *text = NULL;

        ASSERT_OK(container_dropin_render(c, "/srv/berth", &text));
        ASSERT_NOT_NULL(strstr(text, "Restart=on-failure\n"));
        ASSERT_NOT_NULL(strstr(text, "StartLimitBurst=3\n"));
        ASSERT_NOT_NULL(strstr(text, "KillSignal=SIGQUIT\n"));
        ASSERT_NOT_NULL(strstr(text, "TimeoutStopSec=3s\n"));
        ASSERT_NOT_NULL(strstr(text, "SyslogIdentifier=0123456789ab\n"));
        ASSERT_NOT_NULL(strstr(text, "LogExtraFields=CONTAINER_NAME=web\n"));
        ASSERT_NOT_NULL(strstr(text, "LogExtraFields=CONTAINER_ID_FULL=" ID "\n"));
        ASSERT_NOT_NULL(strstr(text, "LogExtraFields=IMAGE_NAME=berth-demo:latest\n"));
        ASSERT_NOT_NULL(strstr(text, "Environment=BERTH_ROOT=/srv/berth\n"));
        free(text);
        text = NULL;

        /* specifiers in user-provided values are escaped; values with blanks are not used as fields */
        free(c->image_name);
        c->image_name = strdup("x%i");
        c->restart_policy = RESTART_NO;
        ASSERT_OK(container_dropin_render(c, NULL, &text));
        ASSERT_NOT_NULL(strstr(text, "IMAGE_NAME=x%%i\n"));
        ASSERT_NOT_NULL(strstr(text, "Restart=no\n"));
        ASSERT_NULL(strstr(text, "BERTH_ROOT"));
        ASSERT_ERROR(container_dropin_render(c, "/a b", &text), EINVAL);
}

TEST(confinement) {
        _cleanup_(container_freep) Container *c = sample(), *d = NULL;
        _cleanup_free_ char *text = NULL, *dropin = NULL;
        const char *bad = NULL;
        uint64_t caps;

        ASSERT_OK(strv_extend(&c->cap_add, "net_admin"));
        ASSERT_OK(strv_extend(&c->cap_drop, "CAP_MKNOD"));
        ASSERT_OK(strv_extend(&c->security_opt, "no-new-privileges"));
        ASSERT_OK(strv_extend(&c->security_opt, "seccomp=unconfined"));
        ASSERT_OK(strv_extend(&c->sysctls, "net.ipv4.ip_forward=1"));
        c->read_only = true;
        c->shm_size = 1 << 20;
        c->n_ulimits = 1;
        c->ulimits = ASSERT_NOT_NULL(calloc(1, sizeof(ContainerUlimit)));
        c->ulimits[0] = (ContainerUlimit){ .name = strdup("nofile"), .soft = 10, .hard = 20 };
        c->n_devices = 1;
        c->devices = ASSERT_NOT_NULL(calloc(1, sizeof(ContainerDevice)));
        c->devices[0] = (ContainerDevice){ .host_path = strdup("/dev/fuse"),
                .container_path = strdup("/dev/fuse"),
                .permissions = strdup("rw") };
        c->resources = (ContainerResources){ .memory = 64 << 20,
                .nano_cpus = 1500000000,
                .cpu_shares = 512,
                .cpuset_cpus = strdup("0-1"),
                .pids_limit = 50,
                .blkio_weight = 500 };

        ASSERT_OK(container_to_json(c, &text));
        ASSERT_OK(container_from_json(text, strlen(text), &d, NULL));
        ASSERT_TRUE(d->no_new_privileges);
        ASSERT_EQ(d->seccomp, SECCOMP_MODE_UNCONFINED);
        ASSERT_TRUE(d->read_only);
        ASSERT_EQ(d->shm_size, 1 << 20);
        ASSERT_STREQ(d->sysctls[0], "net.ipv4.ip_forward=1");
        ASSERT_EQ(d->ulimits[0].hard, 20);
        ASSERT_STREQ(d->devices[0].permissions, "rw");
        ASSERT_EQ(d->resources.nano_cpus, 1500000000);
        ASSERT_STREQ(d->resources.cpuset_cpus, "0-1");
        ASSERT_OK(container_capabilities(d, &caps));
        ASSERT_EQ(caps, (cap_mask_default() & ~CAP_MASK(27 /* MKNOD */)) | CAP_MASK(12 /* NET_ADMIN */));

        ASSERT_OK(container_dropin_render(d, NULL, &dropin));
        ASSERT_NOT_NULL(strstr(dropin, "DevicePolicy=closed\nDeviceAllow=/dev/fuse rw\n"));
        ASSERT_NOT_NULL(strstr(dropin, "MemoryMax=67108864\n"));
        ASSERT_NOT_NULL(strstr(dropin, "MemorySwapMax=67108864\n")); /* Docker: as much swap as memory */
        ASSERT_NOT_NULL(strstr(dropin, "CPUQuota=150.00%\n"));
        ASSERT_NOT_NULL(strstr(dropin, "CPUWeight=20\n"));
        ASSERT_NOT_NULL(strstr(dropin, "AllowedCPUs=0-1\n"));
        ASSERT_NOT_NULL(strstr(dropin, "TasksMax=50\n"));
        ASSERT_NOT_NULL(strstr(dropin, "IOWeight=4950\n"));
        free(dropin);
        dropin = NULL;

        /* nothing set: no limits, systemd's default TasksMax=, everything allowed with --privileged */
        container_resources_done(&d->resources);
        d->resources = (ContainerResources){ .pids_limit = -1 };
        d->privileged = true;
        ASSERT_OK(container_dropin_render(d, NULL, &dropin));
        ASSERT_NOT_NULL(strstr(dropin, "DevicePolicy=auto\n"));
        ASSERT_NULL(strstr(dropin, "DeviceAllow="));
        ASSERT_NOT_NULL(strstr(dropin, "MemoryMax=infinity\n"));
        ASSERT_NOT_NULL(strstr(dropin, "CPUQuota=\n"));
        ASSERT_NOT_NULL(strstr(dropin, "TasksMax=infinity\n"));
        ASSERT_OK(container_capabilities(d, &caps));
        ASSERT_EQ(caps, cap_mask_all());

        /* Docker's --cap-add/--cap-drop rules */
        {
                char *all[] = { (char *) "ALL", NULL }, *kill[] = { (char *) "KILL", NULL },
                     *chown[] = { (char *) "CAP_CHOWN", (char *) "sys_admin", NULL },
                     *bogus[] = { (char *) "CAP_FLY", NULL };

                ASSERT_OK(cap_mask_tweak(all, kill, false, &caps, NULL));
                ASSERT_EQ(caps, cap_mask_all() & ~CAP_MASK(5));
                ASSERT_OK(cap_mask_tweak(chown, all, false, &caps, NULL));
                ASSERT_EQ(caps, CAP_MASK(0) | CAP_MASK(21));
                ASSERT_OK(cap_mask_tweak(kill, kill, false, &caps, NULL)); /* add wins */
                ASSERT_EQ(caps, cap_mask_default());
                ASSERT_ERROR(cap_mask_tweak(bogus, NULL, false, &caps, &bad), EINVAL);
                ASSERT_STREQ(bad, "CAP_FLY");
                ASSERT_EQ(__builtin_popcountll(cap_mask_default()), 14);
                ASSERT_STREQ(cap_to_name(21), "CAP_SYS_ADMIN");
                ASSERT_EQ(cap_from_name("sys_admin"), 21);
                ASSERT_ERROR(cap_from_name("ALL"), EINVAL);
        }

        /* malformed confinement fields are refused */
        {
                static const char *const bad_json[] = {
                        "\"CapAdd\": [\"CAP_FLY\"]",
                        "\"SecurityOpt\": [\"apparmor=x\"]",
                        "\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 5, \"Hard\": 1}]",
                        ("\"Devices\": [{\"PathOnHost\": \"/dev/x\", \"PathInContainer\": \"/etc/x\", "
                         "\"CgroupPermissions\": \"rwm\"}]"),
                        "\"Sysctls\": {\"../x\": \"1\"}",
                        "\"CpuShares\": -5",
                };
                for (size_t i = 0; i < ELEMENTSOF(bad_json); i++) {
                        _cleanup_(container_freep) Container *e = NULL;
                        _cleanup_free_ char *j = asprintf_safe("{\"Id\": \"" ID "\", \"Name\": \"x\", "
                                                               "\"Image\": \"" IMG "\", \"Path\": \"sh\", "
                                                               "\"HostConfig\": {%s}}",
                                bad_json[i]);
                        const char *reason = NULL;

                        ASSERT_ERROR(container_from_json(j, strlen(j), &e, &reason), EBADMSG);
                        ASSERT_NOT_NULL(reason);
                }
        }
}

TEST(store_files) {
        char root[] = "/tmp/test-container.XXXXXX", units[PATH_MAX];
        _cleanup_(container_freep) Container *c = sample(), *d = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *name = NULL;
        _cleanup_strv_free_ char **names = NULL;
        ContainerState st = { .exit_code = 137, .oom_killed = true }, st2 = {};

        ASSERT_NOT_NULL(mkdtemp(root));
        snprintf(units, sizeof(units), "%s/units", root);
        fd = ASSERT_OK(open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_OK(mkdir_p_at(fd, "containers/web", 0700));
        ASSERT_OK(mkdir_p_at(fd, "tmp", 0700));
        ASSERT_OK(container_save(fd, c));
        ASSERT_OK(container_load(fd, "web", &d));
        ASSERT_STREQ(d->id, ID);

        ASSERT_OK(container_list_names(fd, &names));
        ASSERT_EQ(strv_length(names), 1);
        ASSERT_OK(container_resolve(fd, "web", &name));
        ASSERT_STREQ(name, "web");
        free(name);
        ASSERT_OK(container_resolve(fd, "/web", &name));
        free(name);
        ASSERT_OK(container_resolve(fd, "0123", &name));
        ASSERT_STREQ(name, "web");
        free(name);
        ASSERT_OK(container_resolve(fd, ID, &name));
        ASSERT_ERROR(container_resolve(fd, "nope", &name), ENOENT);
        ASSERT_ERROR(container_resolve(fd, "0124", &name), ENOENT);

        st.error = strdup("exec 'x' failed");
        ASSERT_OK(container_state_save(fd, "web", &st));
        ASSERT_OK(container_state_load(fd, "web", &st2));
        ASSERT_EQ(st2.exit_code, 137);
        ASSERT_TRUE(st2.oom_killed);
        ASSERT_STREQ(st2.error, "exec 'x' failed");
        container_state_done(&st);
        container_state_done(&st2);

        ASSERT_OK(container_dropin_write(units, c, NULL));
        ASSERT_OK(container_port_units_write(units, c));
        {
                /* another container whose name starts like this one's: its units must survive */
                _cleanup_(container_freep) Container *o = sample();
                free(o->name);
                o->name = strdup("web-8080");
                ASSERT_OK(container_port_units_write(units, o));
        }
        ASSERT_OK(container_set_enabled(units, "web", true));
        ASSERT_TRUE(container_is_enabled(units, "web"));
        ASSERT_OK(container_files_remove(fd, units, "web", NULL));
        ASSERT_FALSE(container_is_enabled(units, "web"));
        ASSERT_ERROR(container_load(fd, "web", &d), ENOENT);
        {
                char p[PATH_MAX + 64];
                snprintf(p, sizeof(p), "%s/berth@web.service.d", units);
                ASSERT_ERROR(access(p, F_OK) < 0 ? -errno : 0, ENOENT);
                snprintf(p, sizeof(p), "%s/berth-port-web@8080.socket", units);
                ASSERT_ERROR(access(p, F_OK) < 0 ? -errno : 0, ENOENT);
                snprintf(p, sizeof(p), "%s/berth-port-web@8443.service", units);
                ASSERT_ERROR(access(p, F_OK) < 0 ? -errno : 0, ENOENT);
                snprintf(p, sizeof(p), "%s/berth-port-web-8080@8080.socket", units);
                ASSERT_OK(access(p, F_OK));
        }

        /* a generated name: rm empties its drop-in directory and keeps it, and it becomes reusable */
        {
                _cleanup_strv_free_ char **reusable = NULL;
                char p[PATH_MAX + 64];

                free(c->name);
                c->name = strdup("calm_otter");
                c->name_generated = true;
                ASSERT_OK(mkdir_p_at(fd, "containers/calm_otter", 0700));
                ASSERT_OK(container_save(fd, c));
                ASSERT_OK(container_dropin_write(units, c, NULL));
                ASSERT_EQ(container_name_reusable(fd, units, 16, &reusable), 0);
                ASSERT_OK(container_files_remove(fd, units, "calm_otter", c));
                snprintf(p, sizeof(p), "%s/berth@calm_otter.service.d", units);
                ASSERT_OK(access(p, F_OK));
                snprintf(p, sizeof(p), "%s/berth@calm_otter.service.d/10-berth.conf", units);
                ASSERT_ERROR(access(p, F_OK) < 0 ? -errno : 0, ENOENT);
                /* neither a non-empty directory nor an invalid name is offered */
                snprintf(p, sizeof(p), "%s/berth@busy.service.d", units);
                ASSERT_OK(RET_NERRNO(mkdir(p, 0755)));
                snprintf(p, sizeof(p), "%s/berth@busy.service.d/x.conf", units);
                ASSERT_OK(write_file_replace_at(AT_FDCWD, p, "", 0, 0644));
                snprintf(p, sizeof(p), "%s/berth@-bad.service.d", units);
                ASSERT_OK(RET_NERRNO(mkdir(p, 0755)));
                ASSERT_EQ(container_name_reusable(fd, units, 16, &reusable), 1);
                ASSERT_STREQ(reusable[0], "calm_otter");
        }
        ASSERT_OK(rm_rf_at(AT_FDCWD, root));
}

static HealthResult result(int64_t exit_code) {
        return (HealthResult){ .exit_code = exit_code, .output = strdup("out") };
}

TEST(health_rules) {
        Healthcheck h = { .retries = 2 };
        HealthState s = {};
        HealthResult r;

        /* in the start period, failures do not count until the first success */
        r = result(1);
        ASSERT_FALSE(health_state_record(&s, &h, true, &r));
        ASSERT_EQ(s.status, HEALTH_STARTING);
        ASSERT_EQ(s.failing_streak, 0);
        r = result(0);
        ASSERT_FALSE(health_state_record(&s, &h, true, &r));
        ASSERT_EQ(s.status, HEALTH_HEALTHY);
        r = result(1);
        ASSERT_FALSE(health_state_record(&s, &h, true, &r));
        ASSERT_EQ(s.failing_streak, 1);
        ASSERT_EQ(s.status, HEALTH_HEALTHY);
        /* retries failures in a row: unhealthy, reported once */
        r = result(-1);
        ASSERT_TRUE(health_state_record(&s, &h, false, &r));
        ASSERT_EQ(s.status, HEALTH_UNHEALTHY);
        r = result(1);
        ASSERT_FALSE(health_state_record(&s, &h, false, &r));
        ASSERT_EQ(s.failing_streak, 3);
        /* the log keeps the last five, oldest first */
        r = result(0);
        ASSERT_FALSE(health_state_record(&s, &h, false, &r));
        ASSERT_EQ(s.status, HEALTH_HEALTHY);
        ASSERT_EQ(s.failing_streak, 0);
        ASSERT_EQ(s.n_log, (size_t) HEALTH_LOG_MAX);
        ASSERT_EQ(s.log[0].exit_code, 0);
        ASSERT_EQ(s.log[HEALTH_LOG_MAX - 1].exit_code, 0);
        ASSERT_EQ(s.log[HEALTH_LOG_MAX - 2].exit_code, 1);
        health_state_done(&s);
}

TEST(healthcheck_json) {
        static const char *const bad[] = {
                "{\"Test\": [\"CMD-SHELL\"]}",
                "{\"Test\": [\"CMD-SHELL\", \"a\", \"b\"]}",
                "{\"Test\": [\"CMD\"]}",
                "{\"Test\": [\"NONE\", \"x\"]}",
                "{\"Test\": [\"SHELL\", \"x\"]}",
                "{\"Test\": [1]}",
                "{\"Test\": [\"CMD\", \"x\"], \"Interval\": 5}",
                "{\"Test\": [\"CMD\", \"x\"], \"Retries\": -1}",
                "[]",
        };
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        Healthcheck h = { .on_failure = HEALTH_ON_FAILURE_STOP };
        const char *reason = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ struct json_object *b = NULL;
                ASSERT_OK(json_parse(bad[i], strlen(bad[i]), &b, NULL));
                ASSERT_ERROR(healthcheck_from_json(b, &h, &reason), EBADMSG);
                ASSERT_NOT_NULL(reason);
        }
        ASSERT_NULL(h.test);
        {
                const char *good = "{\"Test\": [\"CMD-SHELL\", \"true\"], \"Interval\": 2000000000}";
                ASSERT_OK(json_parse(good, strlen(good), &o, NULL));
        }
        ASSERT_OK(healthcheck_from_json(o, &h, NULL));
        ASSERT_TRUE(healthcheck_enabled(&h));
        ASSERT_EQ(healthcheck_interval_ns(&h), 2000000000LL);
        ASSERT_EQ(healthcheck_timeout_ns(&h), HEALTH_TIMEOUT_DEFAULT_NS);
        ASSERT_EQ(healthcheck_retries(&h), HEALTH_RETRIES_DEFAULT);
        ASSERT_EQ(h.on_failure, HEALTH_ON_FAILURE_STOP);
        argv = healthcheck_argv(&h);
        ASSERT_EQ(strv_length(argv), 3u);
        ASSERT_STREQ(argv[0], "/bin/sh");
        ASSERT_STREQ(argv[2], "true");
        healthcheck_done(&h);
}

TEST(end_recorded) {
        ContainerState st = {};

        ASSERT_FALSE(container_state_end_recorded(&st)); /* created, never ran */
        st.finished_at = (char *) "2026-11-29T10:00:00.000001000Z";
        ASSERT_TRUE(container_state_end_recorded(&st)); /* a start failure before any start */
        st.started_at = (char *) "2026-11-29T09:59:59.900000000Z";
        ASSERT_TRUE(container_state_end_recorded(&st));
        st.started_at = (char *) "2026-11-29T10:00:00.000002000Z";
        ASSERT_FALSE(container_state_end_recorded(&st)); /* the end belongs to the run before */
        st.finished_at = NULL;
        ASSERT_FALSE(container_state_end_recorded(&st)); /* running, or its end never recorded */
}

int main(void) {
        RUN(names);
        RUN(round_trip);
        RUN(on_demand_round_trip);
        RUN(remove_modes);
        RUN(rejects_malformed);
        RUN(dropin);
        RUN(port_units);
        RUN(confinement);
        RUN(store_files);
        RUN(health_rules);
        RUN(healthcheck_json);
        RUN(end_recorded);
        return 0;
}
