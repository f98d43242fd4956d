/*
 * check/predeleg.c — owns CANDIDATE-DIFFERS, the comparison of an undelegated audit
 * (`voxdns audit --ns`): what each given ("candidate") server answers, question by question,
 * against the consensus of the live delegation's servers (snap->live). Every question both
 * audits asked of their authoritative servers is compared — the SIP chain, the apex MX and
 * addresses, CAA, the ACME challenge TXT — TTL included, except the types that legitimately
 * differ between two providers of one zone: SOA (each primary numbers its own), NS (the
 * candidate's lists the future servers), DNSKEY, DS and the signatures (each signer its own).
 * Whole zones by AXFR are compared by ZONE-DIFFERS, whose copies then carry "candidate" and
 * "live" in their provider names (cli/audit.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/providers.h"
#include "check/zonediff.h"
#include "model/view.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define SHOWN_IN_MESSAGE 8
#define TYPE_CDS 59
#define TYPE_CDNSKEY 60

/* One (name, type) on which some candidate server differs from the live consensus. */
typedef struct item {
    const char *qname;
    uint16_t qtype;
    vx__strbuf text; /* "NAME TYPE (candidate ...; live ...)" */
} item;

typedef struct cmp {
    const vx__snapshot *snap;
    vx__view cand, live;
    vx__provider_map cpm, lpm;
    item *items;
    size_t count;
    bool *differs;   /* per candidate server: differs on some item */
    vx__answer *ans; /* per candidate server: its answer to the question being compared */
    size_t *group;   /* per candidate server: 1 + the first server of its answer's group */
} cmp;

static bool compared(uint16_t type)
{
    return !vx__zdiff_ignored(type) && type != VX__T_NS && type != VX__T_DNSKEY &&
           type != VX__T_DS && type != TYPE_CDS && type != TYPE_CDNSKEY;
}

/* Same data and the same TTL: a candidate with other TTLs changes what caches keep. */
static bool same(const vx__answer *a, const vx__answer *b)
{
    return vx__answer_same(a, b) && (!a->set || a->set->ttl == b->set->ttl);
}

static void describe(const vx__answer *a, char *out, size_t cap)
{
    if (a->set)
        vx__zdiff_describe(a->set, out, cap);
    else if (a->cname)
        snprintf(out, cap, "an alias of %s", a->cname->count ? a->cname->rdata[0] : "?");
    else
        snprintf(out, cap, "%s", vx__answer_why_empty(a));
}

/* The candidate server's usable authoritative answer, or false. */
static bool cand_answer(const cmp *c, size_t i, const char *qname, uint16_t qtype, vx__answer *a)
{
    const vx__vserver *s = &c->cand.servers[i];
    const vx__observation *o =
        vx__vserver_authoritative(s)
            ? vx__view_obs(&c->cand, s, VX__PROBE_DATA, VX__UDP, qname, qtype)
            : NULL;
    if (!vx__obs_usable_aa(o))
        return false;
    vx__answer_of(o, qname, qtype, a);
    return true;
}

/* "live dnsprov-a.net, dnsprov-b.org: WHAT": the providers whose servers hold the consensus. */
static void describe_live(const cmp *c, const char *qname, uint16_t qtype, const vx__answer *live,
                          vx__strbuf *sb)
{
    vx__strbuf who = {0};
    char what[512];
    for (size_t p = 0; p < c->lpm.count; p++) {
        bool holds = false;
        for (size_t i = 0; i < c->live.server_count && !holds; i++) {
            const vx__vserver *s = &c->live.servers[i];
            const vx__observation *o =
                c->lpm.of_server[i] == p && vx__vserver_authoritative(s)
                    ? vx__view_obs(&c->live, s, VX__PROBE_DATA, VX__UDP, qname, qtype)
                    : NULL;
            vx__answer a;
            if (vx__obs_usable_aa(o)) {
                vx__answer_of(o, qname, qtype, &a);
                holds = same(&a, live);
            }
        }
        if (holds)
            vx__sb_item(&who, c->lpm.items[p].name);
    }
    describe(live, what, sizeof what);
    vx__sb_add(sb, "live %s: %s", vx__sb_str(&who), what);
    vx__sb_free(&who);
}

static int add_item(cmp *c, const char *qname, uint16_t qtype, vx__strbuf *text)
{
    item *grown = realloc(c->items, (c->count + 1) * sizeof *grown);
    if (!grown)
        return VX_ENOMEM;
    c->items = grown;
    c->items[c->count++] = (item){qname, qtype, *text};
    return VX_OK;
}

/* "candidate newprov-c.net: WHAT": the providers of the candidate servers that answer like
 * server first (flagged in pending), each provider once; those servers are then done. */
static void describe_group(cmp *c, size_t first, bool *pending, vx__strbuf *sb)
{
    vx__strbuf who = {0};
    char what[512];
    for (size_t j = first; j < c->cand.server_count; j++) {
        if (!pending[j] || !same(&c->ans[j], &c->ans[first]))
            continue;
        pending[j] = false;
        bool listed = false;
        for (size_t k = first; k < j; k++)
            listed |= c->cpm.of_server[k] == c->cpm.of_server[j] && c->group[k] == first + 1;
        c->group[j] = first + 1;
        if (!listed)
            vx__sb_item(&who, vx__provider_of(&c->cpm, j));
    }
    describe(&c->ans[first], what, sizeof what);
    vx__sb_add(sb, "candidate %s: %s; ", vx__sb_str(&who), what);
    vx__sb_free(&who);
}

/* One question: the candidate servers whose answer is not the live consensus are flagged, and
 * their answers described, grouped by answer. */
static int compare_one(cmp *c, const char *qname, uint16_t qtype)
{
    vx__answer live;
    vx__view_answer(&c->live, qname, qtype, &live);
    if (!live.obs || live.holders == 0) /* no authoritative live answer: nothing to hold to */
        return VX_OK;
    bool *pending = calloc(c->cand.server_count + 1, sizeof *pending);
    if (!pending)
        return VX_ENOMEM;
    bool any = false;
    for (size_t i = 0; i < c->cand.server_count; i++) {
        pending[i] = cand_answer(c, i, qname, qtype, &c->ans[i]) && !same(&c->ans[i], &live);
        c->group[i] = 0;
        c->differs[i] |= pending[i];
        any |= pending[i];
    }
    vx__strbuf text = {0};
    char shown[VX__NAME_TEXT_MAX], t[16];
    vx__name_show(qname, shown, sizeof shown);
    if (any)
        vx__sb_add(&text, "%s %s (", shown, vx__rrtype_to_text(qtype, t, sizeof t));
    for (size_t i = 0; i < c->cand.server_count; i++)
        if (pending[i])
            describe_group(c, i, pending, &text);
    free(pending);
    if (!any)
        return VX_OK;
    describe_live(c, qname, qtype, &live, &text);
    vx__sb_add(&text, ")");
    int rc = add_item(c, qname, qtype, &text);
    if (rc != VX_OK)
        vx__sb_free(&text);
    return rc;
}

static bool asked_before(const vx__snapshot *snap, size_t upto, const vx__observation *o)
{
    for (size_t k = 0; k < upto; k++) {
        const vx__observation *p = &snap->obs[k];
        if (p->kind == VX__PROBE_DATA && p->qtype == o->qtype && vx__name_eq(p->qname, o->qname))
            return true;
    }
    return false;
}

static int compare_all(cmp *c)
{
    const vx__snapshot *snap = c->snap;
    int rc = VX_OK;
    for (size_t i = 0; rc == VX_OK && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind == VX__PROBE_DATA && o->qclass == 1 && compared(o->qtype) &&
            !asked_before(snap, i, o))
            rc = compare_one(c, o->qname, o->qtype);
    }
    return rc;
}

static int item_cmp(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int k = strcmp(x->qname, y->qname);
    return k ? k : (x->qtype > y->qtype) - (x->qtype < y->qtype);
}

/* The finding: every differing (name, type) named; the first few described in the message. */
static void report(cmp *c, vx__findings *out)
{
    char dom[VX__NAME_TEXT_MAX];
    vx__strbuf msg = {0};
    qsort(c->items, c->count, sizeof *c->items, item_cmp);
    for (size_t i = 0; i < c->count && i < SHOWN_IN_MESSAGE; i++)
        vx__sb_add(&msg, "%s%s", i ? "; " : "", vx__sb_str(&c->items[i].text));
    if (c->count > SHOWN_IN_MESSAGE)
        vx__sb_add(&msg, "; and %zu more", c->count - SHOWN_IN_MESSAGE);
    vx__name_show(c->snap->domain, dom, sizeof dom);
    vx__finding *f = vx__finding_add(out, "CANDIDATE-DIFFERS",
                                     "the candidate servers (--ns) serve %zu RRset%s of %s "
                                     "differently from the live delegation: %s",
                                     c->count, c->count == 1 ? "" : "s", dom, vx__sb_str(&msg));
    for (size_t i = 0; f && i < c->cand.server_count; i++)
        if (c->differs[i])
            vx__finding_add_server(f, c->cand.servers[i].label);
    for (size_t i = 0; f && i < c->count; i++) {
        char key[VX__NAME_TEXT_MAX + 20], n[VX__NAME_TEXT_MAX], t[16];
        vx__name_show(c->items[i].qname, n, sizeof n);
        snprintf(key, sizeof key, "%s %s", n, vx__rrtype_to_text(c->items[i].qtype, t, sizeof t));
        vx__finding_add_name(f, key);
    }
    vx__sb_free(&msg);
}

static void cmp_free(cmp *c)
{
    for (size_t i = 0; i < c->count; i++)
        vx__sb_free(&c->items[i].text);
    free(c->items);
    free(c->differs);
    free(c->ans);
    free(c->group);
    vx__providers_free(&c->cpm);
    vx__providers_free(&c->lpm);
    vx__view_free(&c->cand);
    vx__view_free(&c->live);
}

VX__CHECK_FN(vx__chk_candidate_differs)
{
    if (!snap->undelegated || !snap->live)
        return;
    cmp c;
    memset(&c, 0, sizeof c);
    c.snap = snap;
    int rc = vx__view_build(snap, cfg->profile, &c.cand);
    if (rc == VX_OK)
        rc = vx__view_build(snap->live, cfg->profile, &c.live);
    if (rc == VX_OK)
        rc = vx__providers_build(snap, cfg, &c.cpm);
    if (rc == VX_OK)
        rc = vx__providers_build(snap->live, cfg, &c.lpm);
    size_t n = snap->server_count + 1;
    c.differs = calloc(n, sizeof *c.differs);
    c.ans = calloc(n, sizeof *c.ans);
    c.group = calloc(n, sizeof *c.group);
    if (rc == VX_OK && (!c.differs || !c.ans || !c.group))
        rc = VX_ENOMEM;
    if (rc == VX_OK && compare_all(&c) == VX_OK && c.count > 0)
        report(&c, out);
    cmp_free(&c);
}
