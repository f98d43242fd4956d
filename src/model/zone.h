/*
 * model/zone.h — a whole copy of the zone as one server of one provider handed it over by
 * AXFR: the outcome of the transfer, the serial and every RRset. The audit fetches one copy
 * per provider (probe/zone.c) and check/zonediff.c compares them; `voxdns zone diff` adds a
 * zone file as one more copy. Kept in the snapshot (vx__snapshot.zones) and in its JSON ("zones",
 * only when there are copies), so `voxdns audit --from` compares them again.
 *
 * Ownership: a copy owns its strings and RRsets; vx__zone_copies_free releases an array.
 */
#ifndef VX_MODEL_ZONE_H
#define VX_MODEL_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire/rrset.h"

typedef struct vx__zone_copy {
    char *provider;               /* the provider it stands for, or "file FILE" */
    char *server;                 /* NS name ("ns1.example.net."), NULL for a file */
    struct sockaddr_storage addr; /* the address asked (AF_UNSPEC for a file) */
    int status;                   /* VX_OK: the whole zone; VX_EREFUSED (see rcode), ... */
    uint16_t rcode;               /* the server's rcode when it refused */
    uint32_t serial;
    vx__rrset **sets;
    size_t set_count;
    bool incremental; /* came by IXFR as differences or as "up to date" (not kept in JSON) */
} vx__zone_copy;

void vx__zone_copy_clear(vx__zone_copy *z);
void vx__zone_copies_free(vx__zone_copy *zones, size_t count);

#endif
