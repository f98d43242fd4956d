/* tests/fuzz/fuzz_static_yealink.c — libFuzzer target for the parser of Yealink dns_cache_* lines
 * (resolver/static_*.c); the checks are in static_cache_fuzz.h. */
#include "static_cache_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return static_fuzz_one(VX__STATIC_YEALINK, data, size);
}
