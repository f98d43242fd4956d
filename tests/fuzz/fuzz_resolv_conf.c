/* tests/fuzz/fuzz_resolv_conf.c — libFuzzer target for the resolv.conf nameserver parser
 * (resolver/resolv_conf.c). Aborts when an invariant breaks: the count stays within the
 * capacity, and every address returned is IPv4 or IPv6 with port 53. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "resolver/resolv_conf.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_storage out[4];
    size_t n = 99;
    int rc = vx__resolv_conf_parse((const char *)data, size, out, 4, &n);
    if (n > 4 || (rc != VX_OK && n != 0))
        abort();
    for (size_t i = 0; i < n; i++) {
        sa_family_t f = out[i].ss_family;
        in_port_t port = f == AF_INET ? ((struct sockaddr_in *)&out[i])->sin_port
                                      : ((struct sockaddr_in6 *)&out[i])->sin6_port;
        if ((f != AF_INET && f != AF_INET6) || port != htons(53))
            abort();
    }
    return 0;
}
