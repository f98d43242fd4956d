/*
 * check/ttl.c — owns the TTL checks (CHECKS.md "ttl"): records that caches lose within minutes
 * of a DNS outage, and SIP-chain records that make a planned move wait a day.
 */
#include <stdio.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"
#include "wire/query.h"

typedef struct ttl_rule {
    const char *id;
    bool too_long; /* else too short */
    uint32_t limit;
} ttl_rule;

static void ttl_one(const ttl_rule *r, const vx__rrset *set, const char *where, vx__findings *out)
{
    if (!set || (r->too_long ? set->ttl <= r->limit : set->ttl >= r->limit))
        return;
    char n[VX__NAME_TEXT_MAX], t[16];
    vx__name_show(set->owner, n, sizeof n);
    vx__rrtype_to_text(set->type, t, sizeof t);
    vx__finding *f =
        r->too_long
            ? vx__finding_add(out, r->id,
                              "%s %s%s has TTL %u s, above %u s: a planned change of it takes "
                              "that long to reach every cache",
                              n, t, where, set->ttl, r->limit)
            : vx__finding_add(out, r->id,
                              "%s %s%s has TTL %u s, below %u s: caches lose it within %u s of "
                              "a DNS outage",
                              n, t, where, set->ttl, r->limit, set->ttl);
    vx__finding_add_name(f, set->owner);
}

/* NAPTR, every SRV RRset of the chain and every target's A and AAAA. */
static void chain_ttls(const vx__view *v, const ttl_rule *r, vx__findings *out)
{
    ttl_one(r, v->naptr.set, "", out);
    for (size_t i = 0; i < v->srvname_count; i++)
        ttl_one(r, v->srvnames[i].ans.set, "", out);
    for (size_t i = 0; i < v->host_count; i++) {
        ttl_one(r, v->hosts[i].a.set, "", out);
        ttl_one(r, v->hosts[i].aaaa.set, "", out);
    }
}

/* Judgement: the NS TTL is checked at both places a resolver may take it from: the parent's
 * referral (what a cold cache starts with) and the zone's own NS RRset (what a child-centric
 * resolver keeps). */
VX__CHECK_FN(vx__chk_ttl_too_short)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    ttl_rule r = {"TTL-TOO-SHORT", false, cfg->ttl_min};
    ttl_one(&r, vx__view_parent_ns(&v, NULL), " at the parent", out);
    ttl_one(&r, v.zone_ns.set, " in the zone", out);
    chain_ttls(&v, &r, out);
    vx__view_free(&v);
}

VX__CHECK_FN(vx__chk_ttl_too_long)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    ttl_rule r = {"TTL-TOO-LONG", true, cfg->ttl_max};
    chain_ttls(&v, &r, out);
    vx__view_free(&v);
}
