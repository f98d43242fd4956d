/* tests/fuzz/static_cache_fuzz.h — the body shared by the static-cache fuzz targets (voxdns,
 * Polycom, Yealink formats). Beyond ASan/UBSan it aborts when a failed parse changed the cache,
 * an error came without a "line N:" message, or a parsed record cannot be found by a lookup. */
#ifndef VX_FUZZ_STATIC_CACHE_FUZZ_H
#define VX_FUZZ_STATIC_CACHE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/static_cache.h"
#include "voxdns/status.h"

/* Every record is found again by its own owner and type. */
static int static_fuzz_all_found(const vx__static_cache *sc)
{
    for (size_t i = 0; i < vx__static_count(sc); i++) {
        const ldns_rr *rr = vx__static_record(sc, i);
        const ldns_rdf *owner = ldns_rr_owner(rr);
        vx__question q = {.qtype = (uint16_t)ldns_rr_get_type(rr), .qclass = 1};
        ldns_rr_list *found = NULL;
        if (ldns_rdf_size(owner) > sizeof(q.name))
            return 0;
        memcpy(q.name, ldns_rdf_data(owner), ldns_rdf_size(owner));
        q.name_len = ldns_rdf_size(owner);
        if (vx__static_lookup(sc, &q, &found) != VX_OK)
            return 0;
        ldns_rr_list_deep_free(found);
    }
    return 1;
}

static int static_fuzz_one(vx__static_format format, const uint8_t *data, size_t size)
{
    vx__static_cache *sc;
    char err[256] = "";
    if (vx__static_new(&sc) != VX_OK)
        return 0;
    int rc = vx__static_parse(sc, format, (const char *)data, size, err, sizeof(err));
    if (rc != VX_OK && (vx__static_count(sc) != 0 || strncmp(err, "line ", 5) != 0))
        abort();
    if (rc == VX_OK && vx__static_count(sc) > 0 && !static_fuzz_all_found(sc))
        abort();
    vx__static_free(sc);
    return 0;
}

#endif
