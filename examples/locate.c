/*
 * examples/locate.c — the smallest program using libvoxdns: locate a SIP URI with the blocking
 * call and print the places to send requests to, in order.
 *
 *   cc examples/locate.c $(pkg-config --cflags --libs voxdns) -o locate
 *   ./locate sip:alice@example.com [RESOLVER...]     (default: /etc/resolv.conf)
 */
#include <stdio.h>

#include <voxdns/voxdns.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SIP-URI [RESOLVER...]\n", argv[0]);
        return 64;
    }
    vx_config *cfg;
    if (vx_config_new(&cfg) != VX_OK)
        return 3;
    int rc = argc > 2 ? VX_OK : vx_config_add_resolv_conf(cfg, NULL);
    for (int i = 2; i < argc && rc == VX_OK; i++)
        rc = vx_config_add_upstream(cfg, argv[i], 0);
    vx_result *res = NULL;
    if (rc == VX_OK)
        rc = vx_locate_blocking(argv[1], cfg, &res);
    for (size_t i = 0; i < vx_result_count(res); i++)
        printf("%s %s:%u %s (%s)\n", vx_transport_name(vx_result_transport(res, i)),
               vx_result_host(res, i), vx_result_port(res, i), vx_result_address(res, i),
               vx_source_name(vx_result_source(res, i)));
    if (rc != VX_OK)
        fprintf(stderr, "%s: %s\n", argv[1], vx_strerror(rc));
    vx_result_free(res);
    vx_config_free(cfg);
    return rc == VX_OK ? 0 : 3;
}
