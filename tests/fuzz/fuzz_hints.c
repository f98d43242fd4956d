/* tests/fuzz/fuzz_hints.c — libFuzzer target for the root hints parser (probe/hints.c). */
#include <stddef.h>
#include <stdint.h>

#include "probe/hints.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__server_set set;
    char err[256];
    if (vx__hints_parse((const char *)data, size, &set, err, sizeof(err)) == VX_OK)
        vx__server_set_clear(&set);
    return 0;
}
