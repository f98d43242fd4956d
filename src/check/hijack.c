/*
 * check/hijack.c — owns the checks of the hijack surface (CHECKS.md "hijack surface and
 * providers"): what an attacker who controls the zone, or a CA fooled by one, could do that the
 * domain's own records could forbid.
 */
#include <stdio.h>
#include <string.h>

#include "check/checks_impl.h"
#include "model/view.h"
#include "voxdns/status.h"

/* A CAA RRset above the domain (asked up to the registrable domain): a CA climbs the tree
 * (RFC 8659 §3), so it covers the SIP domain too. */
static bool ancestor_has_caa(const vx__snapshot *snap)
{
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        const vx__rrset *caa = o->kind == VX__PROBE_RESOLVE && o->qtype == VX__T_CAA &&
                                       o->status == VX_OK && !vx__name_eq(o->qname, snap->domain)
                                   ? vx__obs_find(o, VX__SECTION_ANSWER, o->qname, VX__T_CAA)
                                   : NULL;
        if (caa && caa->count > 0)
            return true;
    }
    return false;
}

/* Judgement: only an authoritative, conclusive "no CAA" counts (a snapshot without the
 * question, or servers that did not answer, prove nothing). */
VX__CHECK_FN(vx__chk_caa_missing)
{
    (void)cfg;
    vx__view v;
    if (vx__view_build(snap, NULL, &v) != VX_OK)
        return;
    vx__answer a;
    vx__view_answer(&v, snap->domain, VX__T_CAA, &a);
    bool none = a.obs && a.holders > 0 && vx__answer_conclusive(&a) && !a.cname &&
                (!a.set || a.set->count == 0);
    if (none && !ancestor_has_caa(snap)) {
        char n[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, n, sizeof n);
        vx__finding *f = vx__finding_add(
            out, "CAA-MISSING",
            "no CAA record at %s or above it: any certificate authority may issue certificates "
            "for the SIP domain and its targets; publish one naming the CAs you use, e.g. "
            "%s. CAA 0 issue \"letsencrypt.org\"",
            n, n);
        vx__finding_add_name(f, snap->domain);
    }
    vx__view_free(&v);
}
