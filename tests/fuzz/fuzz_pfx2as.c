/* tests/fuzz/fuzz_pfx2as.c — libFuzzer target for the pfx2as parser (check/asndb.c): any input
 * either parses into a database that answers lookups, or fails with a "line N: " message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "check/asndb.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void probe(const vx__asndb *db, const uint8_t *data, size_t size)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    memset(&in, 0, sizeof in);
    memset(&in6, 0, sizeof in6);
    in.sin_family = AF_INET;
    in6.sin6_family = AF_INET6;
    memcpy(&in.sin_addr, data, size < 4 ? size : 4);
    memcpy(&in6.sin6_addr, data, size < 16 ? size : 16);
    (void)vx__asndb_lookup(db, (const struct sockaddr *)&in);
    (void)vx__asndb_lookup(db, (const struct sockaddr *)&in6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__asndb *db = NULL;
    char err[256];
    int rc = vx__asndb_parse((const char *)data, size, &db, err, sizeof err);
    if (rc == VX_OK) {
        if (vx__asndb_size(db) == 0)
            abort();
        probe(db, data, size);
        vx__asndb_free(db);
    } else if (rc == VX_EMALFORMED && strncmp(err, "line ", 5) != 0) {
        abort();
    }
    return 0;
}
