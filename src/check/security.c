/*
 * check/security.c — owns the exposure checks of each authoritative address (CHECKS.md
 * "security"): open recursion, open AXFR, version disclosure, broken EDNS0. Dead addresses
 * have no observations with a response and so produce nothing here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"
#include "wire/msg.h"

typedef void (*server_fn)(const vx__view *v, const vx__vserver *s, vx__findings *out);

static void each_alive(const vx__snapshot *snap, const vx__check_config *cfg, server_fn fn,
                       vx__findings *out)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; i < v.server_count; i++)
        if (v.servers[i].alive)
            fn(&v, &v.servers[i], out);
    vx__view_free(&v);
}

static size_t answer_records(const vx__observation *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->section_count[VX__SECTION_ANSWER]; i++)
        n += o->sections[VX__SECTION_ANSWER][i]->count;
    return n;
}

static void open_recursion(const vx__view *v, const vx__vserver *s, vx__findings *out)
{
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_RECURSION, VX__UDP, NULL, 0);
    if (!o || o->rcode != VX__RCODE_NOERROR || !(o->flags & VX__FLAG_RA) ||
        (o->flags & VX__FLAG_AA) || answer_records(o) == 0)
        return;
    char q[VX__NAME_TEXT_MAX];
    vx__name_show(o->qname, q, sizeof q);
    vx__finding *f = vx__finding_add(out, "NS-OPEN-RECURSION",
                                     "%s answers a recursive query for %s (RA set, %zu records, "
                                     "no AA): it is an open resolver",
                                     s->label, q[0] ? q : ".", answer_records(o));
    vx__finding_add_server(f, s->label);
}

VX__CHECK_FN(vx__chk_ns_open_recursion)
{
    each_alive(snap, cfg, open_recursion, out);
}

static void axfr_open(const vx__view *v, const vx__vserver *s, vx__findings *out)
{
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_AXFR, VX__TCP, NULL, 0);
    if (!o || o->rcode != VX__RCODE_NOERROR ||
        !vx__obs_find(o, VX__SECTION_ANSWER, v->snap->domain, VX__T_SOA))
        return;
    char d[VX__NAME_TEXT_MAX];
    vx__name_show(v->snap->domain, d, sizeof d);
    vx__finding *f = vx__finding_add(out, "NS-AXFR-OPEN",
                                     "%s hands the whole zone %s to anyone by AXFR", s->label, d);
    vx__finding_add_server(f, s->label);
    vx__finding_add_name(f, v->snap->domain);
}

VX__CHECK_FN(vx__chk_ns_axfr_open)
{
    each_alive(snap, cfg, axfr_open, out);
}

static bool has_digit(const char *s)
{
    for (; *s; s++)
        if (isdigit((unsigned char)*s))
            return true;
    return false;
}

/* Judgement: a string with a digit is taken as a version ("9.18.24", "NSD 4.8.0"); a bare
 * product name or a decoy ("none", "go away") is not reported. */
static void version_disclosed(const vx__view *v, const vx__vserver *s, vx__findings *out)
{
    /* asked over TCP; snapshots saved before asked it over UDP */
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_VERSION, VX__TCP, NULL, 0);
    if (!o)
        o = vx__view_obs(v, s, VX__PROBE_VERSION, VX__UDP, NULL, 0);
    if (!o || o->rcode != VX__RCODE_NOERROR)
        return;
    for (size_t i = 0; i < o->section_count[VX__SECTION_ANSWER]; i++) {
        const vx__rrset *set = o->sections[VX__SECTION_ANSWER][i];
        if (set->type != VX__T_TXT || set->count == 0 || !has_digit(set->rdata[0]))
            continue;
        vx__finding *f = vx__finding_add(out, "NS-VERSION-DISCLOSED",
                                         "%s reveals its software version: version.bind is %s",
                                         s->label, set->rdata[0]);
        vx__finding_add_server(f, s->label);
        return;
    }
}

VX__CHECK_FN(vx__chk_ns_version_disclosed)
{
    each_alive(snap, cfg, version_disclosed, out);
}

/* Every EDNS (DATA, UDP) question of the address went unanswered. */
static bool edns_all_failed(const vx__view *v, const vx__vserver *s)
{
    bool any = false;
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->kind != VX__PROBE_DATA || o->transport != VX__UDP || o->status == VX_ECANCELED ||
            !vx__addr_equal((const struct sockaddr *)&o->addr,
                            (const struct sockaddr *)&s->srv->addr))
            continue;
        if (o->status == VX_OK)
            return false;
        any = true;
    }
    return any;
}

static void edns_broken(const vx__view *v, const vx__vserver *s, vx__findings *out)
{
    const char *d = v->snap->domain;
    const vx__observation *e = vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, d, VX__T_SOA);
    const vx__observation *plain = vx__view_obs(v, s, VX__PROBE_NOEDNS, VX__UDP, d, VX__T_SOA);
    char why[96] = "";
    if (e && (e->rcode == VX__RCODE_FORMERR || e->rcode == VX__RCODE_NOTIMP))
        snprintf(why, sizeof why, "answers %s to a query with EDNS0", vx__rcode_to_text(e->rcode));
    else if (e && !e->has_opt)
        snprintf(why, sizeof why, "%s", "answers queries with EDNS0 without an OPT record");
    else if (!e && plain && edns_all_failed(v, s))
        snprintf(why, sizeof why, "%s",
                 "drops every query with EDNS0 but answers the same query without it");
    if (!why[0])
        return;
    vx__finding *f = vx__finding_add(out, "NS-EDNS-BROKEN", "%s %s", s->label, why);
    vx__finding_add_server(f, s->label);
}

VX__CHECK_FN(vx__chk_ns_edns_broken)
{
    each_alive(snap, cfg, edns_broken, out);
}
