/*
 * resolver/cache.c — the answer cache (see cache.h): a chained hash table of entries keyed by
 * the lower-cased wire name, type and class, with TTL arithmetic in milliseconds.
 */
#include "resolver/cache.h"

#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

typedef struct entry {
    struct entry *next;
    uint8_t name[VX__NAME_WIRE_MAX]; /* lower case, so that lookups compare bytes */
    size_t name_len;
    uint16_t qtype;
    uint16_t qclass;
    uint16_t rcode;
    bool negative;
    uint8_t security; /* as the resolver validated it (vx__sec), 0 when it did not */
    ldns_rr_list *answer;
    uint64_t expires_at;    /* end of the TTL */
    uint64_t stale_until;   /* end of the stale window (== expires_at for negative entries) */
    uint64_t recheck_until; /* RFC 8767 failure recheck: no upstream before this */
} entry;

struct vx__cache {
    entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t max_entries;
    uint64_t max_stale_ms;
    uint32_t max_ttl_s; /* 0: VX__CACHE_TTL_MAX_S only */
};

static void lower_name(const vx__question *q, uint8_t *out)
{
    for (size_t i = 0; i < q->name_len; i++) {
        uint8_t c = q->name[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
    }
}

/* FNV-1a over the key. Length octets are lowered too, harmlessly: they are below 'A'. */
static size_t key_hash(const uint8_t *name, size_t len, uint16_t qtype, uint16_t qclass)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ name[i]) * 1099511628211ull;
    h = (h ^ qtype) * 1099511628211ull;
    h = (h ^ qclass) * 1099511628211ull;
    return (size_t)h;
}

int vx__cache_new(size_t max_entries, uint64_t max_stale_ms, vx__cache **out)
{
    vx__cache *c = calloc(1, sizeof(*c));
    if (!c)
        return VX_ENOMEM;
    c->max_entries = max_entries ? max_entries : 1;
    c->max_stale_ms = max_stale_ms;
    c->nbuckets = 16;
    while (c->nbuckets < c->max_entries && c->nbuckets < (1u << 20))
        c->nbuckets <<= 1;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return VX_ENOMEM;
    }
    *out = c;
    return VX_OK;
}

static void entry_free(entry *e)
{
    ldns_rr_list_deep_free(e->answer);
    free(e);
}

void vx__cache_set_max_ttl(vx__cache *cache, uint32_t max_ttl_s)
{
    cache->max_ttl_s = max_ttl_s;
}

void vx__cache_free(vx__cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->nbuckets; i++) {
        for (entry *e = cache->buckets[i], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    }
    free(cache->buckets);
    free(cache);
}

size_t vx__cache_count(const vx__cache *cache)
{
    return cache->count;
}

/* The slot that points at the entry for q (or the NULL slot at the end of its chain). */
static entry **find_slot(vx__cache *cache, const vx__question *q)
{
    uint8_t name[VX__NAME_WIRE_MAX];
    lower_name(q, name);
    size_t b = key_hash(name, q->name_len, q->qtype, q->qclass) & (cache->nbuckets - 1);
    entry **slot = &cache->buckets[b];
    for (; *slot; slot = &(*slot)->next) {
        entry *e = *slot;
        if (e->qtype == q->qtype && e->qclass == q->qclass && e->name_len == q->name_len &&
            memcmp(e->name, name, q->name_len) == 0)
            break;
    }
    return slot;
}

static void unlink_free(vx__cache *cache, entry **slot)
{
    entry *e = *slot;
    *slot = e->next;
    entry_free(e);
    cache->count--;
}

/* Makes room for one entry: first everything past its stale window, then, if still full, the
 * entry whose stale window ends first (the least useful one during an outage). */
static void make_room(vx__cache *cache, uint64_t now)
{
    entry **victim = NULL;
    for (size_t i = 0; i < cache->nbuckets; i++) {
        for (entry **slot = &cache->buckets[i]; *slot;) {
            if ((*slot)->stale_until <= now) {
                unlink_free(cache, slot);
                continue;
            }
            if (!victim || (*slot)->stale_until < (*victim)->stale_until)
                victim = slot;
            slot = &(*slot)->next;
        }
    }
    if (cache->count >= cache->max_entries && victim)
        unlink_free(cache, victim);
}

static uint32_t min_ttl(const ldns_rr_list *list)
{
    uint32_t ttl = UINT32_MAX;
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(list, i));
        if (t < ttl)
            ttl = t;
    }
    return ttl;
}

/* RFC 2308 §5: the negative TTL is the smaller of the SOA's own TTL and its MINIMUM field. */
static int negative_ttl(const vx__msg *m, uint32_t *ttl)
{
    const ldns_rr_list *auth = ldns_pkt_authority(m->pkt);
    for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7)
            continue;
        uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
        *ttl = ldns_rr_ttl(rr) < minimum ? ldns_rr_ttl(rr) : minimum;
        return VX_OK;
    }
    return VX_EINVAL;
}

/* Decides what kind of entry the response makes and for how long (seconds). */
static int classify(const vx__msg *m, bool *negative, uint32_t *ttl)
{
    uint16_t rcode = vx__msg_rcode(m);
    const ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
    size_t n = ans ? ldns_rr_list_rr_count(ans) : 0;

    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
        return VX_EINVAL;
    *negative = rcode == LDNS_RCODE_NXDOMAIN || n == 0;
    if (*negative) {
        if (negative_ttl(m, ttl) != VX_OK)
            return VX_EINVAL; /* RFC 2308 §5: no SOA, no negative caching */
        if (*ttl > VX__CACHE_NEG_TTL_MAX_S)
            *ttl = VX__CACHE_NEG_TTL_MAX_S;
        return VX_OK;
    }
    *ttl = min_ttl(ans);
    if (*ttl > VX__CACHE_TTL_MAX_S)
        *ttl = VX__CACHE_TTL_MAX_S;
    return VX_OK;
}

static entry *entry_new(const vx__question *q, const vx__msg *m, bool negative, uint32_t ttl,
                        uint64_t now, uint64_t max_stale_ms)
{
    entry *e = calloc(1, sizeof(*e));
    const ldns_rr_list *ans = ldns_pkt_answer(m->pkt);
    if (!e)
        return NULL;
    e->answer = ans ? ldns_rr_list_clone(ans) : ldns_rr_list_new();
    if (!e->answer) {
        free(e);
        return NULL;
    }
    lower_name(q, e->name);
    e->name_len = q->name_len;
    e->qtype = q->qtype;
    e->qclass = q->qclass;
    e->rcode = vx__msg_rcode(m);
    e->negative = negative;
    e->expires_at = now + (uint64_t)ttl * 1000u;
    e->stale_until = negative ? e->expires_at : e->expires_at + max_stale_ms;
    return e;
}

int vx__cache_store(vx__cache *cache, const vx__question *q, const vx__msg *m, uint64_t now)
{
    return vx__cache_store_sec(cache, q, m, now, 0);
}

int vx__cache_store_sec(vx__cache *cache, const vx__question *q, const vx__msg *m, uint64_t now,
                        uint8_t security)
{
    bool negative;
    uint32_t ttl;
    int rc = classify(m, &negative, &ttl);
    if (rc != VX_OK)
        return rc;
    if (!negative && cache->max_ttl_s && ttl > cache->max_ttl_s)
        ttl = cache->max_ttl_s;
    entry *e = entry_new(q, m, negative, ttl, now, cache->max_stale_ms);
    if (!e)
        return VX_ENOMEM;
    e->security = security;
    entry **slot = find_slot(cache, q);
    if (*slot) {
        unlink_free(cache, slot);
    } else if (cache->count >= cache->max_entries) {
        make_room(cache, now);
    }
    slot = find_slot(cache, q); /* the table may have changed under make_room() */
    e->next = *slot;
    *slot = e;
    cache->count++;
    return VX_OK;
}

int vx__cache_lookup(vx__cache *cache, const vx__question *q, uint64_t now, uint32_t stale_ttl_s,
                     vx__cache_hit *out)
{
    memset(out, 0, sizeof(*out));
    entry **slot = find_slot(cache, q);
    entry *e = *slot;
    if (!e)
        return VX_OK;
    if (now >= e->stale_until) {
        unlink_free(cache, slot); /* useless now: free it early */
        return VX_OK;
    }
    bool fresh = now < e->expires_at;
    /* Remaining TTL rounded down, as a resolver must never extend a TTL. */
    out->ttl = fresh ? (uint32_t)((e->expires_at - now) / 1000u) : stale_ttl_s;
    out->records = e->answer;
    out->state = fresh ? VX__CACHE_FRESH : VX__CACHE_STALE;
    out->rcode = e->rcode;
    out->negative = e->negative;
    out->security = e->security;
    out->in_recheck = now < e->recheck_until;
    return VX_OK;
}

ldns_rr_list *vx__cache_hit_copy(const vx__cache_hit *hit)
{
    ldns_rr_list *copy = hit->records ? ldns_rr_list_clone(hit->records) : NULL;
    for (size_t i = 0; copy && i < ldns_rr_list_rr_count(copy); i++)
        ldns_rr_set_ttl(ldns_rr_list_rr(copy, i), hit->ttl);
    return copy;
}

void vx__cache_hit_clear(vx__cache_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
}

void vx__cache_mark_failed(vx__cache *cache, const vx__question *q, uint64_t now,
                           uint64_t recheck_ms)
{
    entry *e = *find_slot(cache, q);
    if (e)
        e->recheck_until = now + recheck_ms;
}
