/*
 * examples/locate_loop.c — libvoxdns driven from the host's own event loop (here a poll() loop
 * that also reads standard input): each line read is a SIP URI, located on one long-lived
 * resolver, so that its cache, stale data and upstream health carry over from one URI to the
 * next. The system tests use it to warm the cache, take the upstreams away, and ask again.
 *
 *   ./locate_loop [--max-ttl SECONDS] [--static FILE] RESOLVER... < uris.txt
 *
 * For each URI it prints "URI: STATUS, N targets" and one line per target:
 * "  TRANSPORT HOST PORT ADDRESS SOURCE".
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voxdns/voxdns.h>

static int pending;

static void on_located(void *arg, const vx_result *res)
{
    char *uri = arg;
    printf("%s: %s, %zu targets\n", uri, vx_strerror(vx_result_status(res)), vx_result_count(res));
    for (size_t i = 0; i < vx_result_count(res); i++)
        printf("  %s %s %u %s %s\n", vx_transport_name(vx_result_transport(res, i)),
               vx_result_host(res, i), vx_result_port(res, i), vx_result_address(res, i),
               vx_source_name(vx_result_source(res, i)));
    fflush(stdout);
    free(uri);
    pending--;
}

static int configure(vx_config *cfg, int argc, char **argv)
{
    char err[256];
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--max-ttl") == 0 && i + 1 < argc) {
            vx_config_set_max_ttl(cfg, (unsigned)atoi(argv[++i]));
            continue;
        }
        if (strcmp(argv[i], "--static") == 0 && i + 1 < argc)
            rc = vx_config_load_static(cfg, argv[++i], VX_STATIC_AUTO, err, sizeof(err));
        else
            rc = vx_config_add_upstream(cfg, argv[i], 0);
        if (rc != VX_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], vx_strerror(rc));
            return rc;
        }
    }
    return VX_OK;
}

static void read_uri(vx_resolver *r, int *eof)
{
    char line[2048];
    if (!fgets(line, sizeof(line), stdin)) {
        *eof = 1;
        return;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *uri = strdup(line);
    if (uri && vx_locate(r, uri, on_located, uri, NULL) == VX_OK) {
        pending++;
        return;
    }
    printf("%s: invalid URI\n", line);
    fflush(stdout);
    free(uri);
}

int main(int argc, char **argv)
{
    vx_config *cfg;
    vx_resolver *r = NULL;
    if (vx_config_new(&cfg) != VX_OK || configure(cfg, argc, argv) != VX_OK ||
        vx_resolver_new(cfg, &r) != VX_OK) {
        fprintf(stderr, "usage: %s [--max-ttl S] [--static FILE] RESOLVER...\n", argv[0]);
        return 64;
    }
    vx_config_free(cfg);
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.events = POLLIN}};
    vx_resolver_fds(r, &fds[1].fd, 1);
    int eof = 0;
    while (!eof || pending > 0) {
        fds[0].fd = eof ? -1 : 0; /* a negative fd is ignored by poll() */
        if (poll(fds, 2, vx_resolver_timeout(r)) < 0)
            break;
        if (fds[0].revents)
            read_uri(r, &eof);
        vx_resolver_process(r);
    }
    vx_resolver_free(r);
    return 0;
}
