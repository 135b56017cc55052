/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth port CONTAINER [PORT[/PROTO]]: the published ports of a running container, in Docker's format. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "container-status.h"
#include "log.h"
#include "string-util.h"

static void help(void) {
        printf("Usage: berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n"
               "\n"
               "List the port mappings of a running container, or the host addresses of one container\n"
               "port (PROTO: tcp, the default, or udp).\n"
               "\n"
               "Options:\n"
               "  -h, --help   Show this help\n");
}

int verb_port(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(image_store_freep) ImageStore *store = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *name = NULL;
        ContainerInfo info = {};
        uint16_t want_port = 0;
        PortProto want_proto = PORT_PROTO_TCP;
        bool found = false;
        int c, r;

        while ((c = cli_getopt("port", argc, argv, "h", options)) >= 0)
                if (c == 'h') {
                        help();
                        return 0;
                }
        if (c != -1)
                return -c;
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage_error("port",
                        "\"port\" requires 1 or 2 arguments: CONTAINER [PRIVATE_PORT[/PROTO]]");
        if (argc - optind == 2 && port_key_parse(argv[optind + 1], &want_port, &want_proto) < 0)
                return cli_usage_error("port", "invalid port '%s': use PORT or PORT/tcp|udp",
                        argv[optind + 1]);

        r = cli_open_store_and_bus(&store, &bus, EXIT_CMD_FAILED);
        if (r != 0)
                return r;
        r = cli_resolve_container(image_store_root_fd(store), argv[optind], &name);
        if (r < 0)
                return EXIT_CMD_FAILED;
        r = container_info_load(bus, image_store_root_fd(store), name, &info);
        if (r < 0)
                return log_error_errno(r, "Failed to read container '%s': %m", name), EXIT_CMD_FAILED;

        /* as Docker: ports are published while the container runs; an --on-demand container's always */
        for (size_t i = 0; (info.running || info.container->on_demand) && i < info.container->n_ports; i++) {
                const PortBinding *b = info.container->ports + i;
                char host[PORT_BINDING_HOST_MAX];

                port_binding_host_string(b, host);
                if (want_port == 0)
                        printf("%u/%s -> %s\n", (unsigned) b->container_port, port_proto_to_string(b->proto),
                                host);
                else if (b->container_port == want_port && b->proto == want_proto) {
                        printf("%s\n", host);
                        found = true;
                }
        }
        container_info_done(&info);
        if (want_port != 0 && !found)
                return log_error("No public port '%u/%s' published for %s", (unsigned) want_port,
                               port_proto_to_string(want_proto), name),
                       EXIT_CMD_FAILED;
        return 0;
}
