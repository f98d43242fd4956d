/*
 * check/survival.c — owns the outage-survival model of the SIP chain (CHECKS.md "ttl"): if
 * every authoritative server went dark at once, which fraction of resolver caches still holds
 * every record a phone needs t seconds later.
 *
 * Model: each needed RRset sits in a cache with an age uniform over its TTL, independently of
 * the others, so it survives t seconds with probability max(0, 1 - t/TTL) and the chain with
 * the product over the RRsets. The chain a phone needs is one path (RFC 3263): the NAPTR
 * RRset when SIP NAPTRs exist, each SRV RRset in use (those the SIP NAPTRs point to; else the
 * standard names; else the profile's), and for each of them the address RRset (A, else AAAA)
 * of its preferred target (lowest priority, then highest weight). Other targets are
 * alternatives a phone may never learn, so they do not lengthen survival; NS records are left
 * out because they only matter once the servers are back. Each RRset counts once.
 */
#include <math.h>
#include <string.h>

#include "check/check.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

#define MAX_SETS 64

typedef struct chain {
    const vx__rrset *sets[MAX_SETS];
    size_t count;
} chain;

static void chain_add(chain *c, const vx__rrset *set)
{
    if (!set || c->count == MAX_SETS)
        return;
    for (size_t i = 0; i < c->count; i++)
        if (c->sets[i]->type == set->type && vx__name_eq(c->sets[i]->owner, set->owner))
            return;
    c->sets[c->count++] = set;
}

/* The preferred target's address RRset of SRV name s. */
static const vx__rrset *best_target_addr(const vx__view *v, size_t s)
{
    const vx__cv_srv *best = NULL;
    for (size_t i = 0; i < v->srv_count; i++) {
        const vx__cv_srv *r = &v->srvs[i];
        if (r->name == s && (!best || r->priority < best->priority ||
                             (r->priority == best->priority && r->weight > best->weight)))
            best = r;
    }
    if (!best)
        return NULL;
    const vx__cv_host *h = &v->hosts[best->host];
    return h->a.set ? h->a.set : h->aaaa.set;
}

static bool srv_used(const vx__cv_srvname *s, int pass)
{
    return s->ans.set && (pass == 0 ? s->from_naptr : pass == 1 ? s->standard : s->profile);
}

static void chain_of(const vx__view *v, chain *c)
{
    memset(c, 0, sizeof *c);
    bool sip_naptr = false;
    for (size_t i = 0; i < v->naptr_count; i++)
        sip_naptr |= v->naptrs[i].sip;
    if (sip_naptr)
        chain_add(c, v->naptr.set);
    for (int pass = sip_naptr ? 0 : 1; pass < 3; pass++) {
        size_t before = c->count;
        for (size_t s = 0; s < v->srvname_count; s++) {
            if (!srv_used(&v->srvnames[s], pass))
                continue;
            chain_add(c, v->srvnames[s].ans.set);
            chain_add(c, best_target_addr(v, s));
        }
        if (c->count > before)
            break;
    }
}

static double product_at(const chain *c, double t)
{
    double p = 1.0;
    for (size_t i = 0; i < c->count; i++) {
        double ttl = c->sets[i]->ttl;
        p *= ttl <= 0 ? (t <= 0 ? 1.0 : 0.0) : fmax(0.0, 1.0 - t / ttl);
    }
    return p;
}

/* The t in [0, hi] where the (decreasing) product falls to target, by bisection. */
static double solve(const chain *c, double hi, double target)
{
    double lo = 0;
    for (int i = 0; i < 200 && hi - lo > 1e-6; i++) {
        double mid = (lo + hi) / 2;
        if (product_at(c, mid) > target)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static int chain_build(const vx__snapshot *snap, vx__view *v, chain *c)
{
    int rc = vx__check_view_build(snap, NULL, v);
    if (rc == VX_OK)
        chain_of(v, c);
    return rc;
}

int vx__survival_compute(const vx__snapshot *snap, vx__survival *out)
{
    if (!snap || !out)
        return VX_EINVAL;
    out->half_s = out->ninety_s = -1;
    out->min_ttl = 0;
    vx__view v;
    chain c;
    int rc = chain_build(snap, &v, &c);
    if (rc != VX_OK)
        return rc;
    if (c.count > 0) {
        uint32_t min = UINT32_MAX;
        for (size_t i = 0; i < c.count; i++)
            min = c.sets[i]->ttl < min ? c.sets[i]->ttl : min;
        out->min_ttl = min;
        /* The product reaches 0 at the shortest TTL: the answers lie below it. */
        out->half_s = solve(&c, min, 0.5);
        out->ninety_s = solve(&c, min, 0.1);
    }
    vx__view_free(&v);
    return VX_OK;
}

double vx__survival_at(const vx__snapshot *snap, double t)
{
    vx__view v;
    chain c;
    if (!snap || chain_build(snap, &v, &c) != VX_OK)
        return 0;
    double p = c.count ? product_at(&c, t) : 0;
    vx__view_free(&v);
    return p;
}
