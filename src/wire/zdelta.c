/*
 * wire/zdelta.c — owns applying incremental-transfer differences to a canonical zone
 * (wire/zdelta.h). The records sit in an array; an open-addressing hash table over (owner,
 * type, class, rdata) finds one in constant time, so a transfer of D changes to a zone of N
 * records costs O(N + D) plus one sort when the result is taken. A deleted record stays in
 * the array, marked dead, so that the table never needs tombstones.
 */
#include "wire/zdelta.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"
#include "common/hash.h"

typedef struct zrec {
    char *owner;
    char *rdata;
    uint16_t type;
    uint16_t rrclass;
    uint32_t ttl;
    bool live;
    uint64_t hash;
} zrec;

struct vx__zdelta {
    zrec *recs;
    size_t n, cap;
    size_t live;
    size_t max;
    size_t *slots; /* index + 1 into recs; 0: empty */
    size_t slot_cap;
};

static uint64_t rec_hash(const zrec *r)
{
    uint64_t h = vx__hash_bytes(VX__HASH_SEED, r->owner, strlen(r->owner) + 1);
    h = vx__hash_bytes(h, &r->type, sizeof r->type);
    h = vx__hash_bytes(h, &r->rrclass, sizeof r->rrclass);
    return vx__hash_bytes(h, r->rdata, strlen(r->rdata) + 1);
}

static bool rec_same(const zrec *a, const zrec *b)
{
    return a->hash == b->hash && a->type == b->type && a->rrclass == b->rrclass &&
           strcmp(a->owner, b->owner) == 0 && strcmp(a->rdata, b->rdata) == 0;
}

/* The slot holding a record equal to r, or the empty slot where it would go. */
static size_t find_slot(const vx__zdelta *z, const zrec *r)
{
    size_t mask = z->slot_cap - 1, i = (size_t)r->hash & mask;
    while (z->slots[i] && !rec_same(&z->recs[z->slots[i] - 1], r))
        i = (i + 1) & mask;
    return i;
}

/* Keeps the table at most half full. */
static int slots_grow(vx__zdelta *z)
{
    size_t cap = z->slot_cap ? z->slot_cap * 2 : 64;
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return VX_ENOMEM;
    free(z->slots);
    z->slots = slots;
    z->slot_cap = cap;
    for (size_t k = 0; k < z->n; k++)
        z->slots[find_slot(z, &z->recs[k])] = k + 1;
    return VX_OK;
}

/* Takes r (its strings) into the zone: a new record, or the TTL of the one already there. */
static int put(vx__zdelta *z, zrec *r)
{
    r->hash = rec_hash(r);
    size_t s = find_slot(z, r);
    if (z->slots[s]) {
        zrec *have = &z->recs[z->slots[s] - 1];
        z->live += !have->live;
        have->live = true;
        have->ttl = r->ttl;
        free(r->owner);
        free(r->rdata);
        return VX_OK;
    }
    if (z->live >= z->max)
        return VX_ELIMIT;
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        zrec *recs = realloc(z->recs, cap * sizeof *recs);
        if (!recs)
            return VX_ENOMEM;
        z->recs = recs;
        z->cap = cap;
    }
    if ((z->n + 1) * 2 > z->slot_cap) {
        if (slots_grow(z) != VX_OK)
            return VX_ENOMEM;
        s = find_slot(z, r);
    }
    r->live = true;
    z->recs[z->n] = *r;
    z->slots[s] = ++z->n;
    z->live++;
    return VX_OK;
}

static int put_text(vx__zdelta *z, const vx__rrset *set, const char *rdata)
{
    zrec r = {.owner = strdup(set->owner),
              .rdata = strdup(rdata),
              .type = set->type,
              .rrclass = set->rrclass,
              .ttl = set->ttl};
    int rc = r.owner && r.rdata ? put(z, &r) : VX_ENOMEM;
    if (rc != VX_OK) {
        free(r.owner);
        free(r.rdata);
    }
    return rc;
}

int vx__zdelta_new(const vx__rrset *const *base, size_t count, size_t max_records, vx__zdelta **out)
{
    *out = NULL;
    vx__zdelta *z = calloc(1, sizeof *z);
    if (!z)
        return VX_ENOMEM;
    z->max = max_records;
    int rc = slots_grow(z);
    for (size_t i = 0; rc == VX_OK && i < count; i++)
        for (size_t j = 0; rc == VX_OK && j < base[i]->count; j++)
            rc = put_text(z, base[i], base[i]->rdata[j]);
    if (rc != VX_OK) {
        vx__zdelta_free(z);
        return rc;
    }
    *out = z;
    return VX_OK;
}

void vx__zdelta_free(vx__zdelta *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n; i++) {
        free(z->recs[i].owner);
        free(z->recs[i].rdata);
    }
    free(z->recs);
    free(z->slots);
    free(z);
}

static int rec_of(const ldns_rr *rr, zrec *r)
{
    *r = (zrec){.type = (uint16_t)ldns_rr_get_type(rr),
                .rrclass = (uint16_t)ldns_rr_get_class(rr),
                .ttl = ldns_rr_ttl(rr)};
    return vx__rr_canonical_text(rr, &r->owner, &r->rdata);
}

int vx__zdelta_delete(vx__zdelta *z, const ldns_rr *rr)
{
    zrec r;
    if (rec_of(rr, &r) != VX_OK)
        return VX_ENOMEM;
    r.hash = rec_hash(&r);
    size_t s = find_slot(z, &r);
    zrec *have = z->slots[s] ? &z->recs[z->slots[s] - 1] : NULL;
    int rc = have && have->live ? VX_OK : VX_ENOTFOUND;
    if (rc == VX_OK) {
        have->live = false;
        z->live--;
    }
    free(r.owner);
    free(r.rdata);
    return rc;
}

int vx__zdelta_add(vx__zdelta *z, const ldns_rr *rr)
{
    zrec r;
    if (rec_of(rr, &r) != VX_OK)
        return VX_ENOMEM;
    int rc = put(z, &r);
    if (rc != VX_OK) {
        free(r.owner);
        free(r.rdata);
    }
    return rc;
}

size_t vx__zdelta_count(const vx__zdelta *z)
{
    return z->live;
}

static int cmp_rec(const void *a, const void *b)
{
    const zrec *x = *(const zrec *const *)a, *y = *(const zrec *const *)b;
    int c = strcmp(x->owner, y->owner);
    if (c == 0)
        c = (int)x->type - (int)y->type;
    if (c == 0)
        c = (int)x->rrclass - (int)y->rrclass;
    return c ? c : strcmp(x->rdata, y->rdata);
}

/* One RRset out of the run of records recs[0..n) that share owner, type and class. */
static vx__rrset *set_of(zrec *const *recs, size_t n)
{
    vx__rrset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->owner = strdup(recs[0]->owner);
    set->type = recs[0]->type;
    set->rrclass = recs[0]->rrclass;
    set->ttl = UINT32_MAX;
    set->rdata = calloc(n, sizeof *set->rdata);
    for (size_t i = 0; set->owner && set->rdata && i < n; i++) {
        if (!(set->rdata[i] = strdup(recs[i]->rdata)))
            break;
        set->count++;
        set->ttl = recs[i]->ttl < set->ttl ? recs[i]->ttl : set->ttl;
    }
    if (set->count == n)
        return set;
    vx__rrset_free(set);
    return NULL;
}

static int group(zrec *const *sorted, size_t n, vx__rrset **sets, size_t *count)
{
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && sorted[j]->type == sorted[i]->type &&
                        sorted[j]->rrclass == sorted[i]->rrclass &&
                        strcmp(sorted[j]->owner, sorted[i]->owner) == 0;
             j++)
            ;
        if (!(sets[*count] = set_of(sorted + i, j - i)))
            return VX_ENOMEM;
        (*count)++;
    }
    return VX_OK;
}

int vx__zdelta_take(const vx__zdelta *z, vx__rrset ***sets, size_t *count)
{
    *sets = NULL;
    *count = 0;
    zrec **sorted = calloc(z->live ? z->live : 1, sizeof *sorted);
    vx__rrset **out = calloc(z->live ? z->live : 1, sizeof *out);
    size_t n = 0, made = 0;
    for (size_t i = 0; sorted && i < z->n; i++)
        if (z->recs[i].live)
            sorted[n++] = &z->recs[i];
    int rc = sorted && out ? VX_OK : VX_ENOMEM;
    if (rc == VX_OK) {
        qsort(sorted, n, sizeof *sorted, cmp_rec);
        rc = group(sorted, n, out, &made);
    }
    free(sorted);
    if (rc != VX_OK) {
        vx__rrsets_free(out, made);
        return rc;
    }
    *sets = out;
    *count = made;
    return VX_OK;
}
