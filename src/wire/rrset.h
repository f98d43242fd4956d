/*
 * wire/rrset.h — canonical RRsets: the owner name (lower case, trailing dot), type, class, the
 * TTL, and the rdata of every record in presentation form with domain names in lower case,
 * sorted and de-duplicated. Two servers "serve the same data" exactly when their canonical
 * RRsets are equal; the hash lets the monitor compare snapshots cheaply.
 */
#ifndef VX_WIRE_RRSET_H
#define VX_WIRE_RRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

typedef struct vx__rrset {
    char *owner; /* "sip.example.com." */
    uint16_t type;
    uint16_t rrclass;
    uint32_t ttl; /* the smallest TTL among the records (RFC 2181 §5.2) */
    size_t count;
    char **rdata; /* count strings, sorted by strcmp, no duplicates */
} vx__rrset;

/* Collects the records of list whose owner equals owner (any case; NULL = the first record's
 * owner) and whose type equals type into a new canonical RRset. VX_ENOTFOUND if none match. */
int vx__rrset_from_list(const ldns_rr_list *list, const char *owner, uint16_t type,
                        vx__rrset **out);
/* Groups a whole section into canonical RRsets (by owner, type, class), in first-seen order. */
int vx__rrsets_from_list(const ldns_rr_list *list, vx__rrset ***out, size_t *count);
void vx__rrset_free(vx__rrset *set);
/* Brings rdata back to the canonical form: sorted, each string once (duplicates freed). */
void vx__rrset_sort_unique(vx__rrset *set);
void vx__rrsets_free(vx__rrset **sets, size_t count);
/* One record's owner and rdata in the canonical text of a set (both malloc'd, the caller frees
 * them): how a single record is found in canonical RRsets (IXFR deletions, wire/zdelta.c). */
int vx__rr_canonical_text(const ldns_rr *rr, char **owner, char **rdata);

/* Equality of owner, type, class and rdata; TTL too when with_ttl. */
bool vx__rrset_equal(const vx__rrset *a, const vx__rrset *b, bool with_ttl);
/* 64-bit FNV-1a over the canonical form (TTL included when with_ttl): equal sets hash equal. */
uint64_t vx__rrset_hash(const vx__rrset *set, bool with_ttl);

#endif
