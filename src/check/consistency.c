/*
 * check/consistency.c — owns the checks that compare authoritative addresses with each other
 * (CHECKS.md "consistency"): SOA serials, the data and TTL of every (name, type) asked, and
 * the SOA timers. Only addresses that are alive and authoritative (not lame) take part: a dead
 * or lame address has no data to compare and is reported by availability.c. Data is compared
 * across every server, so across providers; serials too, except under dual primaries
 * (check/providers.h), where each provider's serials are compared among themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks_impl.h"
#include "check/providers.h"
#include "check/view_sip.h"
#include "voxdns/status.h"
#include "wire/query.h"

/* One authoritative address's answer to the (name, type) being compared. */
typedef struct member {
    const vx__vserver *server;
    vx__answer ans;
    size_t group; /* index of the first member with the same data */
} member;

static bool key_seen_before(const vx__snapshot *snap, size_t i)
{
    const vx__observation *o = &snap->obs[i];
    for (size_t j = 0; j < i; j++) {
        const vx__observation *p = &snap->obs[j];
        if (p->kind == VX__PROBE_DATA && p->transport == VX__UDP && p->qtype == o->qtype &&
            vx__name_eq(p->qname, o->qname))
            return true;
    }
    return false;
}

/* Fills members (cap v->server_count) for (qname, qtype); returns how many. */
static size_t members_of(const vx__view *v, const char *qname, uint16_t qtype, member *m)
{
    size_t n = 0;
    for (size_t i = 0; i < v->server_count; i++) {
        const vx__vserver *s = &v->servers[i];
        const vx__observation *o = vx__vserver_authoritative(s)
                                       ? vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, qname, qtype)
                                       : NULL;
        if (!vx__obs_usable_aa(o))
            continue;
        m[n].server = s;
        vx__answer_of(o, qname, qtype, &m[n].ans);
        m[n].group = n;
        for (size_t j = 0; j < n; j++) {
            if (vx__answer_same(&m[j].ans, &m[n].ans)) {
                m[n].group = m[j].group;
                break;
            }
        }
        n++;
    }
    return n;
}

static void describe_data(const vx__answer *a, vx__strbuf *sb)
{
    if (a->cname)
        vx__sb_add(sb, "CNAME %s", a->cname->rdata[0]);
    if (a->set) {
        vx__sb_add(sb, "%s", a->cname ? " then " : "");
        for (size_t i = 0; i < a->set->count; i++)
            vx__sb_add(sb, "%s%s", i ? " | " : "", a->set->rdata[i]);
    }
    if (!a->cname && !a->set)
        vx__sb_add(sb, "%s", vx__answer_why_empty(a));
}

static void show_key(const char *qname, uint16_t qtype, char *out, size_t cap)
{
    char n[VX__NAME_TEXT_MAX], t[16];
    vx__name_show(qname, n, sizeof n);
    snprintf(out, cap, "%s %s", n, vx__rrtype_to_text(qtype, t, sizeof t));
}

static void report_rrset(const char *key, const member *m, size_t n, vx__findings *out)
{
    vx__strbuf sb = {0};
    for (size_t g = 0; g < n; g++) {
        if (m[g].group != g)
            continue;
        vx__sb_add(&sb, "%s[", g ? "; " : "");
        describe_data(&m[g].ans, &sb);
        vx__sb_add(&sb, "] on ");
        for (size_t k = g, first = 1; k < n; k++) {
            if (m[k].group == g) {
                vx__sb_add(&sb, "%s%s", first ? "" : ", ", m[k].server->label);
                first = 0;
            }
        }
    }
    vx__finding *f =
        vx__finding_add(out, "RRSET-INCONSISTENT", "%s differs between authoritative servers: %s",
                        key, vx__sb_str(&sb));
    for (size_t k = 0; k < n; k++)
        vx__finding_add_server(f, m[k].server->label);
    vx__finding_add_name(f, key);
    vx__sb_free(&sb);
}

static bool several_groups(const member *m, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (m[k].group != 0)
            return true;
    return false;
}

static uint32_t ttl_of(const vx__answer *a)
{
    return a->set ? a->set->ttl : (a->cname ? a->cname->ttl : 0);
}

/* Within each group of equal data, TTLs that differ. */
static void report_ttl(const char *key, const member *m, size_t n, vx__findings *out)
{
    for (size_t g = 0; g < n; g++) {
        if (m[g].group != g || (!m[g].ans.set && !m[g].ans.cname))
            continue;
        bool differ = false;
        for (size_t k = g + 1; k < n; k++)
            differ |= m[k].group == g && ttl_of(&m[k].ans) != ttl_of(&m[g].ans);
        if (!differ)
            continue;
        vx__strbuf sb = {0};
        for (size_t k = g; k < n; k++)
            if (m[k].group == g)
                vx__sb_add(&sb, "%sTTL %u on %s", k == g ? "" : ", ", ttl_of(&m[k].ans),
                           m[k].server->label);
        vx__finding *f =
            vx__finding_add(out, "TTL-INCONSISTENT", "%s has the same data but different TTLs: %s",
                            key, vx__sb_str(&sb));
        for (size_t k = g; k < n; k++)
            if (m[k].group == g)
                vx__finding_add_server(f, m[k].server->label);
        vx__finding_add_name(f, key);
        vx__sb_free(&sb);
    }
}

typedef void (*compare_fn)(const char *key, const member *m, size_t n, vx__findings *out);

/* Runs fn on every (name, type) asked of the authoritative addresses. SOA is left to
 * SOA-SERIAL-MISMATCH (its data changes with every serial) and RRSIG is never compared:
 * signatures legitimately differ between signers and between re-signing runs. */
static void for_each_key(const vx__snapshot *snap, const vx__check_config *cfg, bool with_soa,
                         compare_fn fn, vx__findings *out)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    member *m = calloc(v.server_count ? v.server_count : 1, sizeof *m);
    for (size_t i = 0; m && i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_DATA || o->transport != VX__UDP || o->qtype == VX__T_RRSIG ||
            (o->qtype == VX__T_SOA && !with_soa) || key_seen_before(snap, i))
            continue;
        size_t n = members_of(&v, o->qname, o->qtype, m);
        char key[VX__NAME_TEXT_MAX + 20];
        show_key(o->qname, o->qtype, key, sizeof key);
        if (n > 1)
            fn(key, m, n, out);
    }
    free(m);
    vx__view_free(&v);
}

static void rrset_compare(const char *key, const member *m, size_t n, vx__findings *out)
{
    if (several_groups(m, n))
        report_rrset(key, m, n, out);
}

VX__CHECK_FN(vx__chk_rrset_inconsistent)
{
    for_each_key(snap, cfg, false, rrset_compare, out);
}

VX__CHECK_FN(vx__chk_ttl_inconsistent)
{
    for_each_key(snap, cfg, true, report_ttl, out);
}

/* ---- SOA ------------------------------------------------------------------------------------ */

static bool serial_of(const member *m, uint32_t *serial)
{
    uint32_t r, rt, e, mn;
    return m->ans.set && m->ans.set->count > 0 &&
           vx__soa_parse(m->ans.set->rdata[0], serial, &r, &rt, &e, &mn) == VX_OK;
}

/* Reports the members in sel (all of them, or one provider's) that serve different serials. */
static void serials_compare(const vx__snapshot *snap, const member *m, const bool *sel, size_t n,
                            const char *provider, vx__findings *out)
{
    uint32_t *serial = calloc(n ? n : 1, sizeof *serial);
    bool *ok = calloc(n ? n : 1, sizeof *ok), differ = false;
    size_t ref = n;
    for (size_t k = 0; serial && ok && k < n; k++) {
        ok[k] = sel[k] && serial_of(&m[k], &serial[k]);
        ref = ok[k] && ref == n ? k : ref;
        differ |= ok[k] && serial[k] != serial[ref];
    }
    if (differ) {
        vx__strbuf sb = {0};
        for (size_t k = 0; k < n; k++) {
            bool first = true;
            for (size_t j = 0; j < k; j++)
                first &= !(ok[j] && serial[j] == serial[k]);
            if (!ok[k] || !first)
                continue;
            vx__sb_add(&sb, "%sserial %u on ", sb.len ? "; " : "", serial[k]);
            for (size_t j = k, c = 0; j < n; j++)
                if (ok[j] && serial[j] == serial[k])
                    vx__sb_add(&sb, "%s%s", c++ ? ", " : "", m[j].server->label);
        }
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        vx__finding *f =
            provider ? vx__finding_add(out, "SOA-SERIAL-MISMATCH",
                                       "the servers of %s at provider %s serve different SOA "
                                       "serials: %s",
                                       d, provider, vx__sb_str(&sb))
                     : vx__finding_add(out, "SOA-SERIAL-MISMATCH",
                                       "the servers of %s serve different SOA serials: %s", d,
                                       vx__sb_str(&sb));
        for (size_t k = 0; k < n; k++)
            if (sel[k])
                vx__finding_add_server(f, m[k].server->label);
        vx__finding_add_name(f, snap->domain);
        vx__sb_free(&sb);
    }
    free(serial);
    free(ok);
}

/* Dual primaries (check/providers.h): each provider numbers its own serials, so they are
 * compared within a provider only; otherwise across every server. */
static void serials_by_provider(const vx__snapshot *snap, const vx__view *v,
                                const vx__provider_map *pm, const member *m, size_t n,
                                vx__findings *out)
{
    bool *sel = calloc(n ? n : 1, sizeof *sel);
    for (size_t p = 0; sel && p < (pm->dual_primary ? pm->count : 1); p++) {
        for (size_t k = 0; k < n; k++)
            sel[k] = !pm->dual_primary || pm->of_server[(size_t)(m[k].server - v->servers)] == p;
        serials_compare(snap, m, sel, n, pm->dual_primary ? pm->items[p].name : NULL, out);
    }
    free(sel);
}

VX__CHECK_FN(vx__chk_soa_serial_mismatch)
{
    vx__view v;
    vx__provider_map pm;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    if (vx__providers_build(snap, cfg, &pm) == VX_OK) {
        member *m = calloc(v.server_count ? v.server_count : 1, sizeof *m);
        size_t n = m ? members_of(&v, snap->domain, VX__T_SOA, m) : 0;
        serials_by_provider(snap, &v, &pm, m, n, out);
        free(m);
        vx__providers_free(&pm);
    }
    vx__view_free(&v);
}

/* RFC 1912 §2.2 and RIPE-203: refresh 20 min – 1 day (RFC 1912 says 12 h; a day is common
 * and harmless with NOTIFY), retry at least 2 min and below refresh, expire at least
 * cfg->soa_expire_min (7 days; 2–4 weeks recommended). An expire that is too long is not
 * reported: it only keeps a secondary answering longer, which is what resilience wants. */
static void soa_problems(const vx__check_config *cfg, uint32_t refresh, uint32_t retry,
                         uint32_t expire, vx__strbuf *sb)
{
    if (expire < cfg->soa_expire_min)
        vx__sb_add(sb,
                   "expire %u s is below %u s: secondaries stop answering that soon after the "
                   "primary goes dark",
                   expire, cfg->soa_expire_min);
    if (refresh < 1200 || refresh > 86400)
        vx__sb_add(sb, "%srefresh %u s is outside 1200-86400 s", sb->len ? "; " : "", refresh);
    if (retry < 120 || retry >= refresh)
        vx__sb_add(sb, "%sretry %u s is %s", sb->len ? "; " : "", retry,
                   retry < 120 ? "below 120 s" : "not below refresh");
}

VX__CHECK_FN(vx__chk_soa_timers)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    vx__answer a;
    vx__view_answer(&v, snap->domain, VX__T_SOA, &a);
    uint32_t serial, refresh, retry, expire, minimum;
    if (a.set && a.set->count > 0 &&
        vx__soa_parse(a.set->rdata[0], &serial, &refresh, &retry, &expire, &minimum) == VX_OK) {
        vx__strbuf sb = {0};
        soa_problems(cfg, refresh, retry, expire, &sb);
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        if (sb.len) {
            vx__finding *f =
                vx__finding_add(out, "SOA-TIMERS", "SOA of %s: %s", d, vx__sb_str(&sb));
            vx__finding_add_name(f, snap->domain);
        }
        vx__sb_free(&sb);
    }
    vx__view_free(&v);
}
