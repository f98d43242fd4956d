/* tests/fuzz/fuzz_addr.c — libFuzzer target for address/port parsing (wire/addr.c), the way
 * addresses enter from configuration files and the command line (resolvers, --server, listen):
 * any text either is refused with VX_EINVAL or parses into an address that formats, re-parses to
 * the same address and port, classifies and has a diversity prefix. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "wire/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Formatted with its port, the address must read back as itself. */
static void round_trip(const struct sockaddr *sa)
{
    char text[64], prefix[64];
    struct sockaddr_storage again;
    socklen_t len = 0;
    if (vx__addr_format_port(sa, text, sizeof text) != VX_OK)
        abort();
    if (vx__addr_parse(text, 1, &again, &len) != VX_OK || len != vx__addr_len(sa) ||
        !vx__addr_equal(sa, (const struct sockaddr *)&again))
        abort();
    if (vx__addr_format(sa, text, sizeof text) != VX_OK ||
        vx__addr_prefix(sa, prefix, sizeof prefix) != VX_OK)
        abort();
    (void)vx__addr_is_internal(vx__addr_classify(sa));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = vx__addr_parse(text, 53, &ss, &len);
    if (rc == VX_OK)
        round_trip((const struct sockaddr *)&ss);
    else if (rc != VX_EINVAL)
        abort();
    free(text);
    return 0;
}
