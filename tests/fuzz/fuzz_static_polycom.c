/* tests/fuzz/fuzz_static_polycom.c — libFuzzer target for the parser of Polycom dns.cache.*
 * attributes (resolver/static_*.c); the checks are in static_cache_fuzz.h. */
#include "static_cache_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return static_fuzz_one(VX__STATIC_POLYCOM, data, size);
}
