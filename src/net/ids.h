/*
 * net/ids.h — DNS query ids from the kernel's CSPRNG (getrandom; ChaCha20 on Linux), fetched
 * VX__ID_POOL at a time: unpredictable ids are half of the anti-spoofing story (the random
 * source port is the other), and one system call per 256 queries costs nothing measurable.
 * The one id source of net/: the engine's queries and the stub resolver's (resdriver.c).
 */
#ifndef VX_NET_IDS_H
#define VX_NET_IDS_H

#include <stdint.h>

#define VX__ID_POOL 256

typedef struct vx__id_pool {
    unsigned pos; /* VX__ID_POOL: empty, filled by the next call */
    uint16_t ids[VX__ID_POOL];
} vx__id_pool;

void vx__id_pool_init(vx__id_pool *p);
/* VX_EUNSUPPORTED when the kernel has no getrandom(). */
int vx__id_pool_next(vx__id_pool *p, uint16_t *out);

#endif
