/*
 * wire/zdelta.h — a zone being brought forward by an incremental transfer (IXFR, RFC 1995): a
 * copy of canonical RRsets (wire/rrset.h) taken apart into single records, records deleted and
 * added one by one as the transfer lists them, and the result handed back as canonical RRsets.
 * Pure: wire/xfr.c feeds it the records of each difference sequence in order.
 *
 * Records are identified by owner, type, class and canonical rdata; the TTL is not part of a
 * record's identity (RFC 2181 §5.2 keeps one TTL per RRset; it is the smallest one here too).
 *
 * Ownership: vx__zdelta_new copies the base; vx__zdelta_take hands over new RRsets that the
 * caller frees with vx__rrsets_free.
 */
#ifndef VX_WIRE_ZDELTA_H
#define VX_WIRE_ZDELTA_H

#include <stddef.h>
#include <stdint.h>

#include "wire/rrset.h"

typedef struct vx__zdelta vx__zdelta;

/* A zone holding the records of base (count RRsets); max_records bounds what it may grow to. */
int vx__zdelta_new(const vx__rrset *const *base, size_t count, size_t max_records,
                   vx__zdelta **out);
void vx__zdelta_free(vx__zdelta *z);
/* VX_ENOTFOUND when the zone does not hold the record: the copy the transfer starts from is not
 * the one the server thinks it is (the caller then transfers the whole zone). */
int vx__zdelta_delete(vx__zdelta *z, const ldns_rr *rr);
/* Adds the record; one already held takes the new TTL. VX_ELIMIT beyond max_records. */
int vx__zdelta_add(vx__zdelta *z, const ldns_rr *rr);
/* Records held now. */
size_t vx__zdelta_count(const vx__zdelta *z);
/* The zone as canonical RRsets, sorted by owner, type, class (the records stay in z). */
int vx__zdelta_take(const vx__zdelta *z, vx__rrset ***sets, size_t *count);

#endif
