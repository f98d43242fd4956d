/*
 * check/zonediff.h — whole copies of a zone compared RRset by RRset (model/zone.h): every
 * (owner, type) that some copy holds and another holds differently or not at all. SOA (each
 * primary numbers its own), RRSIG, NSEC, NSEC3 and NSEC3PARAM (each signer makes its own) are
 * left out. TTLs count: a copy with other TTLs is another copy. Pure: used by the ZONE-DIFFERS
 * check and by `voxdns zone diff`.
 *
 * Ownership: a diff owns its array; each item points into the copies, which must outlive it.
 */
#ifndef VX_CHECK_ZONEDIFF_H
#define VX_CHECK_ZONEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/zone.h"
#include "wire/rrset.h"

/* One (owner, type) on which the copies disagree: sets[i] is copy i's RRset, NULL if absent
 * (and for copies that were not transferred). */
typedef struct vx__zdiff_item {
    const char *owner;
    uint16_t type;
    const vx__rrset **sets; /* one per copy */
} vx__zdiff_item;

typedef struct vx__zdiff {
    vx__zdiff_item *items; /* sorted by owner (canonical), then type */
    size_t count;
    size_t compared; /* copies that took part (status VX_OK) */
} vx__zdiff;

/* Compares the copies with status VX_OK. VX_ENOMEM, else VX_OK (count 0: all the same). */
int vx__zone_diff(const vx__zone_copy *copies, size_t n, vx__zdiff *out);
void vx__zdiff_free(vx__zdiff *d);
/* "v=office; floor=3" | "..." (rdata joined), "absent", or "TTL 300: ..." when a TTL differs
 * from the first copy holding the set. */
void vx__zdiff_describe(const vx__rrset *set, char *out, size_t cap);
/* Left out of every comparison. */
bool vx__zdiff_ignored(uint16_t type);

#endif
