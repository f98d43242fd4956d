/*
 * sip/srv.c — owns RFC 2782 SRV ordering (priority, then weighted random selection with
 * weight-0 records first), the unbiased bounded draw it relies on, and a small seedable PRNG.
 *
 * Records are moved by rotation, never by swapping, so that the records not yet chosen keep
 * their relative order: weight-0 records therefore stay at the front of the running sum on
 * every round, which is what the RFC's selection rule needs.
 */
#include "sip/srv.h"

#include <string.h>

/* Moves recs[from] to recs[to] (to <= from), shifting recs[to..from) up by one. */
static void rotate_into(vx__sip_srv *recs, size_t to, size_t from)
{
    if (from == to)
        return;
    vx__sip_srv keep = recs[from];
    memmove(&recs[to + 1], &recs[to], (from - to) * sizeof *recs);
    recs[to] = keep;
}

/* Stable insertion sort by priority: SRV sets are small (sip/ caps them), and stability keeps
 * the arrival order for the RFC's "any order" cases. */
static void sort_by_priority(vx__sip_srv *recs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        while (j > 0 && recs[j - 1].priority > recs[i].priority)
            j--;
        rotate_into(recs, j, i);
    }
}

/* Stable partition of recs[a..b): weight-0 records first. */
static void zero_weights_first(vx__sip_srv *recs, size_t a, size_t b)
{
    size_t next = a;
    for (size_t i = a; i < b; i++)
        if (recs[i].weight == 0)
            rotate_into(recs, next++, i);
}

uint32_t vx__sip_random_upto(vx__sip_random_fn rnd, void *ctx, uint32_t bound)
{
    if (bound == UINT32_MAX)
        return rnd(ctx);
    uint32_t range = bound + 1;
    uint32_t threshold = (uint32_t)(0u - range) % range; /* 2^32 mod range */
    uint32_t r = rnd(ctx);
    /* A broken source that keeps returning low values must not hang us: give up rejecting. */
    for (int tries = 0; r < threshold && tries < 64; tries++)
        r = rnd(ctx);
    return r % range;
}

/* Picks the record for position k among recs[k..b) (RFC 2782: the first whose running sum is
 * at least a uniform number in [0, sum]) and moves it to k. */
static void choose_one(vx__sip_srv *recs, size_t k, size_t b, vx__sip_random_fn rnd, void *ctx)
{
    uint64_t sum = 0;
    for (size_t i = k; i < b; i++)
        sum += recs[i].weight;
    if (sum >= UINT32_MAX)
        sum = UINT32_MAX - 1; /* needs > 65536 records: beyond any DNS message */
    uint32_t pick = vx__sip_random_upto(rnd, ctx, (uint32_t)sum);
    uint64_t running = 0;
    size_t chosen = b - 1;
    for (size_t i = k; i < b; i++) {
        running += recs[i].weight;
        if (running >= pick) {
            chosen = i;
            break;
        }
    }
    rotate_into(recs, k, chosen);
}

void vx__sip_srv_order(vx__sip_srv *recs, size_t n, vx__sip_random_fn rnd, void *ctx)
{
    if (!recs || n < 2)
        return;
    sort_by_priority(recs, n);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && recs[b].priority == recs[a].priority)
            b++;
        zero_weights_first(recs, a, b);
        for (size_t k = a; k + 1 < b; k++)
            choose_one(recs, k, b, rnd, ctx);
        a = b;
    }
}

/* ---- xorshift64* (Vigna): small, fast, good enough for load spreading ------------------ */

void vx__sip_xorshift_seed(vx__sip_xorshift *x, uint64_t seed)
{
    /* splitmix64 step, so that nearby seeds give unrelated streams and zero never stays. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x->state = z ? z : 0x2545f4914f6cdd1dull;
}

uint32_t vx__sip_xorshift_next(void *ctx)
{
    vx__sip_xorshift *x = ctx;
    x->state ^= x->state >> 12;
    x->state ^= x->state << 25;
    x->state ^= x->state >> 27;
    return (uint32_t)((x->state * 0x2545f4914f6cdd1dull) >> 32);
}
