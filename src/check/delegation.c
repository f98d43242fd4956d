/*
 * check/delegation.c — owns the delegation checks (CHECKS.md "delegation"): is the domain
 * delegated, to enough servers, with the same NS set and glue as the zone and the name
 * servers' own data say, and do the NS names resolve.
 */
#include <stdio.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

#define MAX_NAMES 64

static void parent_servers_that_answered(const vx__snapshot *snap, vx__finding *f)
{
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; f && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == VX__PROBE_PARENT && o->status == VX_OK) {
            vx__obs_label(o, label, sizeof label);
            vx__finding_add_server(f, label);
        }
    }
}

/* Only VX_ENOTFOUND is a missing delegation: an unreachable parent proves nothing about it.
 * An undelegated audit (--ns) judges the zone as if delegated: not being delegated yet is the
 * point of it, not a finding. */
VX__CHECK_FN(vx__chk_delegation_missing)
{
    (void)cfg;
    if (snap->delegation_status != VX_ENOTFOUND || snap->undelegated)
        return;
    char d[VX__NAME_TEXT_MAX], parent[VX__NAME_TEXT_MAX];
    vx__name_show(snap->domain, d, sizeof d);
    vx__name_show(snap->parent_zone ? snap->parent_zone : "", parent, sizeof parent);
    vx__finding *f =
        vx__finding_add(out, "DELEGATION-MISSING", "the parent zone %s does not delegate %s (%s)",
                        parent[0] ? parent : "(unknown)", d,
                        snap->delegation_error ? snap->delegation_error : "no referral");
    vx__finding_add_name(f, snap->domain);
    parent_servers_that_answered(snap, f);
}

/* Names of the parent's NS set (every resolver starts there) or of the servers given to an
 * undelegated audit; the zone's when unknown. */
static const vx__rrset *counted_ns(const vx__view *v, const char **where)
{
    const vx__rrset *ns = vx__view_delegation_ns(v);
    *where = v->given_ns ? "the servers given (--ns)" : "the delegation";
    if (!ns) {
        ns = v->zone_ns.set;
        *where = "the zone's NS set";
    }
    return ns;
}

static size_t distinct_addrs(const vx__view *v, const vx__rrset *ns, vx__strbuf *list)
{
    size_t n = 0;
    for (size_t i = 0; i < v->server_count; i++) {
        const vx__server *s = v->servers[i].srv;
        bool listed = false;
        for (size_t k = 0; k < ns->count; k++)
            listed |= vx__name_eq(ns->rdata[k], s->name);
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= vx__addr_equal((const struct sockaddr *)&v->servers[j].srv->addr,
                                  (const struct sockaddr *)&s->addr);
        if (listed && !dup) {
            char a[VX__ADDR_TEXT_MAX];
            vx__addr_format((const struct sockaddr *)&s->addr, a, sizeof a);
            vx__sb_item(list, a);
            n++;
        }
    }
    return n;
}

VX__CHECK_FN(vx__chk_ns_count_low)
{
    (void)cfg;
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    const char *where;
    const vx__rrset *ns = counted_ns(&v, &where);
    vx__strbuf names = {0}, addrs = {0};
    size_t naddr = ns ? distinct_addrs(&v, ns, &addrs) : 0;
    for (size_t i = 0; ns && i < ns->count; i++) {
        char n[VX__NAME_TEXT_MAX];
        vx__name_show(ns->rdata[i], n, sizeof n);
        vx__sb_item(&names, n);
    }
    if (ns && (ns->count < 2 || naddr < 2)) {
        vx__finding *f = vx__finding_add(
            out, "NS-COUNT-LOW", "%s lists %zu name server name(s) (%s) with %zu address(es) (%s)",
            where, ns->count, vx__sb_str(&names), naddr, naddr ? vx__sb_str(&addrs) : "none");
        for (size_t i = 0; i < ns->count; i++)
            vx__finding_add_name(f, ns->rdata[i]);
    }
    vx__sb_free(&names);
    vx__sb_free(&addrs);
    vx__view_free(&v);
}

static bool in_set(const vx__rrset *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (vx__name_eq(set->rdata[i], name))
            return true;
    return false;
}

/* The names of a that b lacks, shown without trailing dots; returns how many. */
static size_t only_in(const vx__rrset *a, const vx__rrset *b, vx__strbuf *sb)
{
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++) {
        if (in_set(b, a->rdata[i]))
            continue;
        char s[VX__NAME_TEXT_MAX];
        vx__name_show(a->rdata[i], s, sizeof s);
        vx__sb_item(sb, s);
        n++;
    }
    return n;
}

static const vx__rrset *referral_ns(const vx__observation *o, const char *domain)
{
    if (o->kind != VX__PROBE_PARENT || o->status != VX_OK)
        return NULL;
    const vx__rrset *ns = vx__obs_find(o, VX__SECTION_AUTHORITY, domain, VX__T_NS);
    return ns ? ns : vx__obs_find(o, VX__SECTION_ANSWER, domain, VX__T_NS);
}

/* Every parent address that refers with this NS set, not the one that answered first: the
 * finding must be the same finding whichever parent server is quickest (the monitor compares
 * findings from cycle to cycle). */
static void parents_with_set(const vx__snapshot *snap, const vx__rrset *parent, vx__finding *f)
{
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; f && i < snap->obs_count; i++) {
        const vx__rrset *ns = referral_ns(&snap->obs[i], snap->domain);
        if (ns && vx__rrset_equal(ns, parent, false)) {
            vx__obs_label(&snap->obs[i], label, sizeof label);
            vx__finding_add_server(f, label);
        }
    }
}

/* With --ns the given set stands for the parent's: the zone must list the future servers. */
static void ns_mismatch_report(const vx__snapshot *snap, const vx__rrset *parent,
                               const vx__rrset *zone, vx__findings *out)
{
    vx__strbuf p = {0}, z = {0}, m = {0};
    bool given = snap->undelegated;
    size_t np = only_in(parent, zone, &p), nz = only_in(zone, parent, &z);
    if (np)
        vx__sb_add(&m, "only %s: %s", given ? "given" : "at the parent", vx__sb_str(&p));
    if (nz)
        vx__sb_add(&m, "%sonly in the zone: %s", np ? "; " : "", vx__sb_str(&z));
    vx__finding *f =
        vx__finding_add(out, "NS-SET-MISMATCH", "%s and the zone's differ: %s",
                        given ? "the NS set given (--ns)" : "the parent's NS set", vx__sb_str(&m));
    for (size_t i = 0; i < parent->count; i++)
        if (!in_set(zone, parent->rdata[i]))
            vx__finding_add_name(f, parent->rdata[i]);
    for (size_t i = 0; i < zone->count; i++)
        if (!in_set(parent, zone->rdata[i]))
            vx__finding_add_name(f, zone->rdata[i]);
    if (!given)
        parents_with_set(snap, parent, f);
    vx__sb_free(&p);
    vx__sb_free(&z);
    vx__sb_free(&m);
}

/* Compared as sets of names: order and TTL do not matter. */
VX__CHECK_FN(vx__chk_ns_set_mismatch)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    const vx__rrset *parent = vx__view_delegation_ns(&v);
    const vx__rrset *zone = v.zone_ns.set;
    if (parent && zone && !vx__rrset_equal(parent, zone, false))
        ns_mismatch_report(snap, parent, zone, out);
    vx__view_free(&v);
}

static void rdata_list(const vx__rrset *set, vx__strbuf *sb)
{
    for (size_t i = 0; set && i < set->count; i++)
        vx__sb_item(sb, set->rdata[i]);
}

/* One (NS name, type): every parent address whose glue differs from the name's real data. */
static void glue_one(const vx__view *v, const char *name, uint16_t type, vx__findings *out)
{
    vx__answer real;
    vx__view_answer(v, name, type, &real);
    if (!vx__answer_conclusive(&real))
        return;
    vx__finding *f = NULL;
    char label[VX__LABEL_TEXT_MAX], n[VX__NAME_TEXT_MAX];
    vx__name_show(name, n, sizeof n);
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        const vx__rrset *glue = o->kind == VX__PROBE_PARENT && o->status == VX_OK
                                    ? vx__obs_find(o, VX__SECTION_ADDITIONAL, name, type)
                                    : NULL;
        if (!glue || (real.set && vx__rrset_equal(glue, real.set, false)))
            continue;
        if (!f) {
            vx__strbuf g = {0}, r = {0};
            rdata_list(glue, &g);
            rdata_list(real.set, &r);
            f = vx__finding_add(out, "GLUE-MISMATCH",
                                "the parent's glue for %s %s is %s, but the name has %s", n,
                                type == VX__T_A ? "A" : "AAAA", vx__sb_str(&g),
                                real.set ? vx__sb_str(&r) : vx__answer_why_empty(&real));
            vx__finding_add_name(f, name);
            vx__sb_free(&g);
            vx__sb_free(&r);
        }
        vx__obs_label(o, label, sizeof label);
        vx__finding_add_server(f, label);
    }
}

VX__CHECK_FN(vx__chk_glue_mismatch)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    const char *names[MAX_NAMES];
    size_t n = vx__view_ns_names(&v, names, MAX_NAMES);
    for (size_t i = 0; i < n; i++) {
        glue_one(&v, names[i], VX__T_A, out);
        glue_one(&v, names[i], VX__T_AAAA, out);
    }
    vx__view_free(&v);
}

/* NXDOMAIN settles both types; otherwise both lookups must have concluded. */
static bool unresolvable(const vx__answer *a, const vx__answer *aaaa)
{
    if (a->set || aaaa->set)
        return false;
    bool nx = (a->obs && a->rcode == VX__RCODE_NXDOMAIN) ||
              (aaaa->obs && aaaa->rcode == VX__RCODE_NXDOMAIN);
    return nx || (vx__answer_conclusive(a) && vx__answer_conclusive(aaaa));
}

VX__CHECK_FN(vx__chk_ns_name_unresolvable)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    const char *names[MAX_NAMES];
    size_t n = vx__view_ns_names(&v, names, MAX_NAMES);
    for (size_t i = 0; i < n; i++) {
        vx__answer a, aaaa;
        vx__view_answer(&v, names[i], VX__T_A, &a);
        vx__view_answer(&v, names[i], VX__T_AAAA, &aaaa);
        if (!unresolvable(&a, &aaaa))
            continue;
        char s[VX__NAME_TEXT_MAX];
        vx__name_show(names[i], s, sizeof s);
        vx__finding *f = vx__finding_add(out, "NS-NAME-UNRESOLVABLE",
                                         "the name server %s has no A or AAAA record (A: %s, "
                                         "AAAA: %s)",
                                         s, vx__answer_why_empty(&a), vx__answer_why_empty(&aaaa));
        vx__finding_add_name(f, names[i]);
    }
    vx__view_free(&v);
}
