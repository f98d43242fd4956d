/*
 * net/ids.c — owns the pool of random DNS query ids (ids.h).
 */
#include "net/ids.h"

#include <errno.h>
#include <sys/random.h>

#include "voxdns/status.h"

void vx__id_pool_init(vx__id_pool *p)
{
    p->pos = VX__ID_POOL;
}

static int fill(vx__id_pool *p)
{
    uint8_t *b = (uint8_t *)p->ids;
    size_t left = sizeof p->ids;
    while (left > 0) {
        ssize_t n = getrandom(b, left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return VX_EUNSUPPORTED;
        b += n;
        left -= (size_t)n;
    }
    p->pos = 0;
    return VX_OK;
}

int vx__id_pool_next(vx__id_pool *p, uint16_t *out)
{
    if (p->pos >= VX__ID_POOL) {
        int rc = fill(p);
        if (rc != VX_OK)
            return rc;
    }
    *out = p->ids[p->pos++];
    return VX_OK;
}
