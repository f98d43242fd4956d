/*
 * resolver/cache.h — the stub resolver's answer cache: entries keyed by (name, type, class)
 * holding the answer records of a response with an absolute expiry, the RFC 8767 stale window
 * after it and the RFC 8767 failure-recheck mark, plus RFC 2308 negative entries (NXDOMAIN and
 * NODATA) whose lifetime comes from the SOA in the authority section.
 *
 * Pure: every call is given the time ("now", milliseconds on the caller's monotonic clock). The
 * cache is bounded (max_entries); when full it drops the entry whose stale window ends first.
 * Ownership: the cache copies what it stores. A lookup lends the entry's records (no copy:
 * a hit costs a hash probe, which is what lets a busy SBC answer millions of them a second);
 * vx__cache_hit_copy() makes the TTL-adjusted copy a caller keeps, freed with
 * ldns_rr_list_deep_free().
 */
#ifndef VX_RESOLVER_CACHE_H
#define VX_RESOLVER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "wire/msg.h"
#include "wire/reader.h"

/* RFC 8767 §4 suggests capping TTLs at 7 days; RFC 2308 §5 suggests 1-3 hours for negative. */
#define VX__CACHE_TTL_MAX_S 604800u
#define VX__CACHE_NEG_TTL_MAX_S 10800u

typedef struct vx__cache vx__cache;

typedef enum vx__cache_state {
    VX__CACHE_MISS = 0, /* nothing usable */
    VX__CACHE_FRESH,    /* within its TTL */
    VX__CACHE_STALE     /* expired, still inside the stale window (positive entries only) */
} vx__cache_state;

/* What a lookup found. records is lent by the cache, with the TTLs they were stored with,
 * and valid only until the next call on the cache; ttl is the TTL they carry for this lookup
 * (the remaining TTL when fresh, stale_ttl_s when stale), which vx__cache_hit_copy() puts on
 * every record of its copy. */
typedef struct vx__cache_hit {
    vx__cache_state state;
    uint16_t rcode;              /* NOERROR or NXDOMAIN */
    bool negative;               /* NXDOMAIN or NODATA */
    bool in_recheck;             /* a refresh failed less than the recheck time ago (RFC 8767) */
    uint8_t security;            /* what vx__cache_store_sec() was told (0 otherwise) */
    uint32_t ttl;                /* seconds */
    const ldns_rr_list *records; /* lent (see above); NULL on a miss */
} vx__cache_hit;

/* max_stale_ms: how long expired positive data may still be served (RFC 8767: 1 to 3 days). */
int vx__cache_new(size_t max_entries, uint64_t max_stale_ms, vx__cache **out);
void vx__cache_free(vx__cache *cache);
/* Caps the TTL of positive entries stored from now on (0 = only VX__CACHE_TTL_MAX_S), like
 * Unbound's cache-max-ttl: a phone that must notice a changed record within minutes, or a test
 * that needs data to go stale, sets it. */
void vx__cache_set_max_ttl(vx__cache *cache, uint32_t max_ttl_s);
size_t vx__cache_count(const vx__cache *cache);

/* Stores the answer of a response to q. VX_OK when stored; VX_EINVAL when the response is not
 * cacheable (an rcode other than NOERROR/NXDOMAIN, or a negative answer without an SOA). A new
 * entry replaces the old one and clears its failure-recheck mark. */
int vx__cache_store(vx__cache *cache, const vx__question *q, const vx__msg *m, uint64_t now);
/* The same, noting how the answer was validated (the resolver's vx__sec; the cache only keeps
 * it): a stale or cached answer reports what was found when it was stored. */
int vx__cache_store_sec(vx__cache *cache, const vx__question *q, const vx__msg *m, uint64_t now,
                        uint8_t security);

/* Looks q up. Negative entries are never served stale: once expired they are a miss, so that a
 * static fallback entry can answer instead. stale_ttl_s is the TTL put on stale records. */
int vx__cache_lookup(vx__cache *cache, const vx__question *q, uint64_t now, uint32_t stale_ttl_s,
                     vx__cache_hit *out);
/* The hit's records as the caller's own copy, every TTL set to hit->ttl; NULL on a miss or
 * when memory ran out. Call it before the next call on the cache. */
ldns_rr_list *vx__cache_hit_copy(const vx__cache_hit *hit);
/* Forgets what a hit lent (it owns nothing: nothing is freed). */
void vx__cache_hit_clear(vx__cache_hit *hit);

/* Records that a refresh of q failed at now: until now + recheck_ms, lookups report in_recheck
 * so that the resolver serves stale data without asking upstreams again. No-op on a miss. */
void vx__cache_mark_failed(vx__cache *cache, const vx__question *q, uint64_t now,
                           uint64_t recheck_ms);

#endif
