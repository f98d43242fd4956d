/*
 * monitor/pending.c — the daemon's memory for a failing store: the bounded queue of cycles not
 * committed yet and the per-domain memo of baselines and conditions (pending.h).
 */
#include "monitor/pending.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/hash.h"
#include "voxdns/status.h"

/* ---- one cycle ----------------------------------------------------------------------------- */

static size_t strv_bytes(char *const *v, size_t n)
{
    size_t b = n * sizeof(char *);
    for (size_t i = 0; v && i < n; i++)
        b += v[i] ? strlen(v[i]) + 1 : 0;
    return b;
}

static size_t cycle_bytes(const vx__pending_cycle *c)
{
    size_t b = sizeof(*c) + strlen(c->snapshot_json) + strlen(c->domain) + 2;
    for (size_t i = 0; i < c->events.count; i++) {
        const vx__event *e = &c->events.items[i];
        b += sizeof(*e) + strv_bytes(e->old_data, e->old_count) +
             strv_bytes(e->new_data, e->new_count) + (e->message ? strlen(e->message) : 0);
    }
    for (size_t i = 0; i < c->conds.count; i++)
        b += sizeof(vx__condition) + strlen(c->conds.items[i].key) +
             (c->conds.items[i].detail ? strlen(c->conds.items[i].detail) : 0);
    return b + c->sample_count * 64u;
}

static int copy_parts(vx__pending_cycle *c, const vx__events *events, const vx__conditions *conds,
                      const vx__store_rtt_sample *samples, size_t sample_count)
{
    for (size_t i = 0; events && i < events->count; i++)
        if (vx__events_push(&c->events, &events->items[i]) != VX_OK)
            return VX_ENOMEM;
    for (size_t i = 0; conds && i < conds->count; i++)
        if (vx__conditions_put(&c->conds, &conds->items[i]) != VX_OK)
            return VX_ENOMEM;
    c->seqs = calloc(c->events.count ? c->events.count : 1, sizeof(*c->seqs));
    c->samples = calloc(sample_count ? sample_count : 1, sizeof(*c->samples));
    if (!c->seqs || !c->samples)
        return VX_ENOMEM;
    for (; c->sample_count < sample_count; c->sample_count++) {
        vx__store_rtt_sample *s = &c->samples[c->sample_count];
        *s = samples[c->sample_count];
        if (!(s->server = strdup(samples[c->sample_count].server)))
            return VX_ENOMEM;
    }
    return VX_OK;
}

vx__pending_cycle *vx__pending_cycle_new(const char *domain, const char *snapshot_json,
                                         uint64_t time_ms, const vx__events *events,
                                         const vx__conditions *conds,
                                         const vx__store_rtt_sample *samples, size_t sample_count,
                                         const vx__store_summary *summary)
{
    vx__pending_cycle *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->time_ms = time_ms;
    c->summary = *summary;
    c->summary.watch_plan = NULL; /* not copied: written late, the stored plan is dropped (the
                                     domain is audited in full after a restart, never wrongly
                                     quiet) */
    c->domain = strdup(domain);
    c->snapshot_json = strdup(snapshot_json);
    if (!c->domain || !c->snapshot_json ||
        copy_parts(c, events, conds, samples, sample_count) != VX_OK) {
        vx__pending_cycle_free(c);
        return NULL;
    }
    c->bytes = cycle_bytes(c);
    return c;
}

void vx__pending_cycle_free(vx__pending_cycle *c)
{
    if (!c)
        return;
    free(c->domain);
    free(c->snapshot_json);
    vx__events_clear(&c->events);
    free(c->seqs);
    vx__conditions_clear(&c->conds);
    for (size_t i = 0; i < c->sample_count; i++)
        free((char *)c->samples[i].server);
    free(c->samples);
    free(c);
}

/* ---- the queue ----------------------------------------------------------------------------- */

void vx__pending_init(vx__pending *p, size_t max_cycles, size_t max_bytes,
                      vx__pending_drop_fn on_drop, void *drop_arg)
{
    memset(p, 0, sizeof(*p));
    p->max_cycles = max_cycles ? max_cycles : 1;
    p->max_bytes = max_bytes;
    p->on_drop = on_drop;
    p->drop_arg = drop_arg;
}

static void remove_at(vx__pending *p, size_t i)
{
    vx__pending_cycle *c = p->items[i];
    p->bytes -= c->bytes;
    p->events -= c->events.count;
    vx__pending_cycle_free(c);
    memmove(&p->items[i], &p->items[i + 1], (p->count - i - 1) * sizeof(*p->items));
    p->count--;
}

void vx__pending_clear(vx__pending *p)
{
    while (p->count)
        remove_at(p, p->count - 1);
    free(p->items);
    p->items = NULL;
    p->cap = 0;
}

/* The newest queued cycle of domain, or -1. */
static long newest_of(const vx__pending *p, const char *domain)
{
    for (size_t i = p->count; i-- > 0;)
        if (strcmp(p->items[i]->domain, domain) == 0)
            return (long)i;
    return -1;
}

bool vx__pending_has(const vx__pending *p, const char *domain)
{
    return newest_of(p, domain) >= 0;
}

/* Over a bound: the oldest cycle without events goes first (it only carries what later cycles
 * supersede, or the latest conditions, which the memo keeps), else the oldest. */
static void evict_one(vx__pending *p)
{
    size_t victim = 0;
    for (size_t i = 0; i + 1 < p->count; i++) {
        if (p->items[i]->events.count == 0) {
            victim = i;
            break;
        }
    }
    vx__pending_cycle *c = p->items[victim];
    p->dropped_events += c->events.count;
    if (p->on_drop)
        p->on_drop(p->drop_arg, c);
    remove_at(p, victim);
}

int vx__pending_push(vx__pending *p, vx__pending_cycle *c)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        vx__pending_cycle **items = realloc(p->items, cap * sizeof(*items));
        if (!items)
            return VX_ENOMEM;
        p->items = items;
        p->cap = cap;
    }
    long prev = newest_of(p, c->domain);
    if (prev >= 0 && p->items[prev]->events.count == 0)
        remove_at(p, (size_t)prev);
    p->items[p->count++] = c;
    p->bytes += c->bytes;
    p->events += c->events.count;
    while (p->count > 1 && (p->count > p->max_cycles || (p->max_bytes && p->bytes > p->max_bytes)))
        evict_one(p);
    return VX_OK;
}

vx__pending_cycle *vx__pending_head(const vx__pending *p)
{
    return p->count ? p->items[0] : NULL;
}

void vx__pending_pop(vx__pending *p)
{
    if (p->count)
        remove_at(p, 0);
}

/* ---- the memo ------------------------------------------------------------------------------ */

/* A domain has an entry while the memo holds its baseline or conditions the store does not have
 * yet; conditions the store has are kept only beside the baseline (without it the cycle is not
 * diffed while the store cannot be read, and when it can, the store's are read). */
typedef struct memo_entry {
    struct memo_entry *next;
    char *domain;
    unsigned char *baseline; /* the JSON, deflated (snapshots shrink ~13x); NULL: none */
    size_t baseline_len;     /* deflated bytes */
    size_t baseline_raw;     /* JSON bytes */
    uint64_t baseline_hash;  /* of the JSON: an unchanged baseline is not deflated again */
    vx__conditions conds;
    size_t conds_bytes; /* what conds take on the heap, as heap_bytes() estimates it */
    bool has_conds;
    bool unstored;
} memo_entry;

struct vx__memo {
    memo_entry **buckets;
    size_t bucket_count, count;
    size_t bytes, max_bytes;
};

/* What a malloc of n bytes takes on glibc's heap: a 8-byte header, rounded up to 16, at least
 * 32. The budget counts this, not the bytes asked for: a condition's key and detail are short
 * strings, for which the overhead is a third of what they take. */
static size_t heap_bytes(size_t n)
{
    size_t b = (n + 8 + 15) & ~(size_t)15;
    return b < 32 ? 32 : b;
}

static size_t entry_bytes(const char *domain)
{
    return heap_bytes(sizeof(memo_entry)) + heap_bytes(strlen(domain) + 1);
}

vx__memo *vx__memo_new(size_t max_bytes)
{
    vx__memo *m = calloc(1, sizeof(*m));
    if (m && !(m->buckets = calloc(1024, sizeof(*m->buckets)))) {
        free(m);
        return NULL;
    }
    if (m) {
        m->bucket_count = 1024;
        m->max_bytes = max_bytes;
    }
    return m;
}

static void entry_free(memo_entry *e)
{
    free(e->domain);
    free(e->baseline);
    vx__conditions_clear(&e->conds);
    free(e);
}

void vx__memo_free(vx__memo *m)
{
    for (size_t b = 0; m && b < m->bucket_count; b++) {
        while (m->buckets[b]) {
            memo_entry *e = m->buckets[b];
            m->buckets[b] = e->next;
            entry_free(e);
        }
    }
    if (m)
        free(m->buckets);
    free(m);
}

size_t vx__memo_bytes(const vx__memo *m)
{
    return m ? m->bytes : 0;
}

static memo_entry *find(const vx__memo *m, const char *domain)
{
    memo_entry *e = m->buckets[vx__hash_text(domain) % m->bucket_count];
    while (e && strcmp(e->domain, domain) != 0)
        e = e->next;
    return e;
}

/* Doubles the buckets when they hold two entries each on average. */
static void grow(vx__memo *m)
{
    size_t n = m->bucket_count * 2;
    memo_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < m->bucket_count; i++) {
        while (m->buckets[i]) {
            memo_entry *e = m->buckets[i];
            m->buckets[i] = e->next;
            e->next = b[vx__hash_text(e->domain) % n];
            b[vx__hash_text(e->domain) % n] = e;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->bucket_count = n;
}

static memo_entry *get(vx__memo *m, const char *domain)
{
    memo_entry *e = find(m, domain);
    if (e)
        return e;
    if (m->count >= m->bucket_count * 2)
        grow(m);
    if (!(e = calloc(1, sizeof(*e))) || !(e->domain = strdup(domain))) {
        free(e);
        return NULL;
    }
    size_t b = vx__hash_text(domain) % m->bucket_count;
    e->next = m->buckets[b];
    m->buckets[b] = e;
    m->count++;
    m->bytes += entry_bytes(domain);
    return e;
}

/* An entry left with neither a baseline nor conditions goes (a domain the budget has no room
 * for takes none of it). */
static void drop_if_empty(vx__memo *m, memo_entry *e)
{
    if (!e || e->baseline || e->has_conds)
        return;
    memo_entry **at = &m->buckets[vx__hash_text(e->domain) % m->bucket_count];
    while (*at != e)
        at = &(*at)->next;
    *at = e->next;
    m->count--;
    m->bytes -= entry_bytes(e->domain);
    entry_free(e);
}

/* Whether add more bytes fit in the budget. */
static bool fits(const vx__memo *m, size_t add)
{
    return !m->max_bytes || m->bytes + add <= m->max_bytes;
}

static void forget_conds(vx__memo *m, memo_entry *e)
{
    vx__conditions_clear(&e->conds);
    m->bytes -= e->conds_bytes;
    e->conds_bytes = 0;
    e->has_conds = e->unstored = false;
}

/* The JSON deflated (malloc'd, *len bytes); NULL when out of memory. */
static unsigned char *deflate_text(const char *text, size_t raw, size_t *len)
{
    uLongf cap = compressBound((uLong)raw);
    unsigned char *z = malloc(cap);
    if (!z || compress2(z, &cap, (const Bytef *)text, (uLong)raw, 1) != Z_OK) {
        free(z);
        return NULL;
    }
    unsigned char *fit = realloc(z, cap);
    *len = cap;
    return fit ? fit : z;
}

/* The baseline goes, and with it the conditions the store has (useless without it). */
static void forget_baseline(vx__memo *m, memo_entry *e)
{
    m->bytes -= heap_bytes(e->baseline_len);
    free(e->baseline);
    e->baseline = NULL;
    e->baseline_len = e->baseline_raw = 0;
    e->baseline_hash = 0;
    if (e->has_conds && !e->unstored)
        forget_conds(m, e);
}

/* The JSON deflated, or NULL when it does not fit beside what the memo holds (the entry's
 * cost counted when the domain has none yet). Deflating costs ~1 ms: skipped when even a 16x
 * smaller text would not fit. */
static unsigned char *deflate_within(const vx__memo *m, const memo_entry *e, const char *domain,
                                     const char *json, size_t raw, size_t *zlen)
{
    size_t entry = e ? 0 : entry_bytes(domain);
    if (!json || !fits(m, entry + raw / 16))
        return NULL;
    unsigned char *z = deflate_text(json, raw, zlen);
    if (z && !fits(m, entry + heap_bytes(*zlen))) {
        free(z);
        return NULL;
    }
    return z;
}

/* Kept deflated: at 100,000 domains the JSON itself (~60 KB each) would hold only a few
 * thousand of them in the budget. A baseline past the budget replaces none: the domain's old
 * one is forgotten too (it is no longer the accepted one), and the store is asked next time. */
void vx__memo_set_baseline(vx__memo *m, const char *domain, char *json)
{
    memo_entry *e = m ? find(m, domain) : NULL;
    size_t raw = json ? strlen(json) : 0, zlen = 0;
    uint64_t hash = json ? vx__hash_text(json) : 0;
    if (!m || (e && e->baseline && json && e->baseline_raw == raw && e->baseline_hash == hash)) {
        free(json); /* unchanged */
        return;
    }
    if (e && e->baseline)
        forget_baseline(m, e);
    unsigned char *z = deflate_within(m, e, domain, json, raw, &zlen);
    free(json);
    if (z && !e && !(e = get(m, domain))) {
        free(z);
        return;
    }
    if (!z) {
        drop_if_empty(m, e);
        return;
    }
    e->baseline = z;
    e->baseline_len = zlen;
    e->baseline_raw = raw;
    e->baseline_hash = hash;
    m->bytes += heap_bytes(zlen);
}

char *vx__memo_baseline(const vx__memo *m, const char *domain)
{
    const memo_entry *e = m ? find(m, domain) : NULL;
    if (!e || !e->baseline)
        return NULL;
    uLongf len = (uLongf)e->baseline_raw;
    char *json = malloc(e->baseline_raw + 1);
    if (!json || uncompress((Bytef *)json, &len, e->baseline, (uLong)e->baseline_len) != Z_OK ||
        len != e->baseline_raw) {
        free(json);
        return NULL;
    }
    json[len] = '\0';
    return json;
}

/* The heap the copy of c takes: its array (vx__conditions_put grows it to 8, then doubles)
 * and each condition's key and detail. */
static size_t conds_bytes(const vx__conditions *c)
{
    size_t cap = 0;
    while (cap < c->count)
        cap = cap ? cap * 2 : 8;
    size_t b = cap ? heap_bytes(cap * sizeof(vx__condition)) : 0;
    for (size_t i = 0; i < c->count; i++)
        b += heap_bytes(strlen(c->items[i].key) + 1) +
             (c->items[i].detail ? heap_bytes(strlen(c->items[i].detail) + 1) : 0);
    return b;
}

static int copy_conds(vx__conditions *dst, const vx__conditions *src)
{
    for (size_t i = 0; src && i < src->count; i++)
        if (vx__conditions_put(dst, &src->items[i]) != VX_OK)
            return VX_ENOMEM;
    return VX_OK;
}

/* Stored conditions are kept only beside the domain's baseline and within the budget (else
 * the domain's older ones go: the store has newer); unstored ones always. */
int vx__memo_set_conditions(vx__memo *m, const char *domain, const vx__conditions *conds,
                            bool stored)
{
    memo_entry *e = m ? find(m, domain) : NULL;
    size_t add = conds ? conds_bytes(conds) : 0;
    if (e && e->has_conds)
        forget_conds(m, e);
    if (stored && (!e || !e->baseline || !fits(m, add))) {
        if (m)
            drop_if_empty(m, e);
        return VX_OK;
    }
    if (!e && !(e = m ? get(m, domain) : NULL))
        return VX_ENOMEM;
    e->has_conds = copy_conds(&e->conds, conds) == VX_OK;
    e->unstored = !stored;
    e->conds_bytes = conds_bytes(&e->conds);
    m->bytes += e->conds_bytes;
    if (!e->has_conds) {
        forget_conds(m, e);
        drop_if_empty(m, e);
        return VX_ENOMEM;
    }
    return VX_OK;
}

/* Now that the store has them, the conditions obey the bounds of stored ones. */
void vx__memo_mark_stored(vx__memo *m, const char *domain)
{
    memo_entry *e = m ? find(m, domain) : NULL;
    if (!e || !e->has_conds || !e->unstored)
        return;
    e->unstored = false;
    if (!e->baseline || (m->max_bytes && m->bytes > m->max_bytes)) {
        forget_conds(m, e);
        drop_if_empty(m, e);
    }
}

int vx__memo_conditions(const vx__memo *m, const char *domain, vx__conditions *out, bool *unstored)
{
    const memo_entry *e = m ? find(m, domain) : NULL;
    *unstored = e && e->has_conds && e->unstored;
    if (!e || !e->has_conds)
        return VX_ENOTFOUND;
    return copy_conds(out, &e->conds);
}
