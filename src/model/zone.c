/*
 * model/zone.c — owns the release of zone copies (model/zone.h).
 */
#include <stdlib.h>
#include <string.h>

#include "model/zone.h"

void vx__zone_copy_clear(vx__zone_copy *z)
{
    if (!z)
        return;
    free(z->provider);
    free(z->server);
    vx__rrsets_free(z->sets, z->set_count);
    memset(z, 0, sizeof *z);
}

void vx__zone_copies_free(vx__zone_copy *zones, size_t count)
{
    for (size_t i = 0; zones && i < count; i++)
        vx__zone_copy_clear(&zones[i]);
    free(zones);
}
