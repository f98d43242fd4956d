/*
 * tests/fuzz/fuzz_zone_text.c — libFuzzer target for the zone-file reader (wire/xfr.c,
 * `voxdns zone diff --zone-file FILE`). Beyond ASan/UBSan findings it aborts when an invariant
 * breaks: a zone that reads gives RRsets that each hold records; a failure gives none and
 * says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "voxdns/status.h"
#include "wire/xfr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__rrset **sets = NULL;
    size_t count = 0;
    char err[256];
    int rc = vx__zone_text_parse((const char *)data, size, "example.com.", &sets, &count, err,
                                 sizeof err);
    if (rc == VX_OK) {
        for (size_t i = 0; i < count; i++)
            if (!sets[i] || sets[i]->count == 0)
                abort();
    } else if (sets || count || (rc == VX_EMALFORMED && err[0] == '\0')) {
        abort();
    }
    vx__rrsets_free(sets, count);
    return 0;
}
