/*
 * check/dnssec.c — owns the DNSSEC checks (CHECKS.md "dnssec"): no DS at the parent; a DS that
 * matches no DNSKEY, a DNSKEY RRset not signed by a key the DS vouches for, or a SIP-chain
 * RRset of the zone whose signature is missing, does not verify or has expired; signatures
 * that expire soon. Cryptography is ldns's (pure computation on the recorded data): the
 * snapshot holds canonical RRsets in presentation form, rebuilt here into ldns records.
 */
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"
#include "wire/query.h"

#define MAX_CHAIN 64

/* ---- DNSSEC-UNSIGNED ------------------------------------------------------------------------ */

/* The first DS answer from the parent, and whether any parent server answered with a DS. A
 * zone is unsigned when parent servers answered and none of them holds a DS. */
static const vx__observation *ds_obs(const vx__snapshot *snap, bool *any_ds)
{
    const vx__observation *first = NULL;
    *any_ds = false;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_DS || o->status != VX_OK)
            continue;
        if (vx__obs_find(o, VX__SECTION_ANSWER, snap->domain, VX__T_DS))
            *any_ds = true;
        if (!first)
            first = o;
    }
    return first;
}

/* A property of the domain, not of one parent server: the finding names the domain only, so
 * it stays the same finding whichever parent server answers first (the monitor compares
 * findings from cycle to cycle). */
VX__CHECK_FN(vx__chk_dnssec_unsigned)
{
    (void)cfg;
    bool any_ds = false;
    const vx__observation *o = ds_obs(snap, &any_ds);
    if (!o || any_ds || (o->rcode != VX__RCODE_NOERROR && o->rcode != VX__RCODE_NXDOMAIN))
        return;
    char d[VX__NAME_TEXT_MAX];
    vx__name_show(snap->domain, d, sizeof d);
    vx__finding *f = vx__finding_add(out, "DNSSEC-UNSIGNED",
                                     "the parent has no DS for %s (%s): the zone is unsigned and "
                                     "its SIP records can be forged",
                                     d, o->rcode == VX__RCODE_NXDOMAIN ? "NXDOMAIN" : "no data");
    vx__finding_add_name(f, snap->domain);
}

/* ---- ldns helpers -----------------------------------------------------------------------------
 */

static ldns_rr_list *list_of(const vx__rrset *set)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; l && set && i < set->count; i++) {
        ldns_rr *rr = vx__rrset_rr(set, i);
        if (rr && !ldns_rr_list_push_rr(l, rr))
            ldns_rr_free(rr);
    }
    return l;
}

/* The RRSIGs in o's answer section over set (owner and covered type). */
static ldns_rr_list *sigs_over(const vx__observation *o, const vx__rrset *set)
{
    const vx__rrset *sigs = vx__obs_find(o, VX__SECTION_ANSWER, set->owner, VX__T_RRSIG);
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; l && sigs && i < sigs->count; i++) {
        ldns_rr *rr = vx__rrset_rr(sigs, i);
        const ldns_rdf *cov = rr ? ldns_rr_rrsig_typecovered(rr) : NULL;
        if (cov && ldns_rdf2rr_type(cov) == set->type && ldns_rr_list_push_rr(l, rr))
            continue;
        ldns_rr_free(rr);
    }
    return l;
}

static uint64_t now_of(const vx__snapshot *snap, const vx__check_config *cfg)
{
    return cfg->now_s ? cfg->now_s : snap->started_ms / 1000;
}

static void time_text(uint64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "%llu", (unsigned long long)t);
}

/* VX_OK when some signature verifies with keys; else the ldns status of the last failure
 * (LDNS_STATUS_CRYPTO_NO_RRSIG when there is none). */
static ldns_status verify_any(const vx__rrset *set, const ldns_rr_list *sigs,
                              const ldns_rr_list *keys, uint64_t now)
{
    ldns_status st = LDNS_STATUS_CRYPTO_NO_RRSIG;
    ldns_rr_list *rrs = list_of(set);
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(sigs); i++) {
        ldns_rr_list *good = ldns_rr_list_new();
        st = ldns_verify_rrsig_keylist_time(rrs, ldns_rr_list_rr(sigs, i), keys, (time_t)now, good);
        ldns_rr_list_free(good);
        if (st == LDNS_STATUS_OK)
            break;
    }
    ldns_rr_list_deep_free(rrs);
    return st;
}

/* ---- the chain's RRsets inside the zone ---------------------------------------------------- */

typedef struct signed_set {
    const vx__rrset *set;
    const vx__observation *obs;
} signed_set;

static size_t chain_add(const vx__view *v, const vx__answer *a, signed_set *out, size_t n)
{
    /* Only what the zone's own servers served (holders > 0): a walk's answer for a name in
     * another zone is signed with that zone's keys, which the snapshot does not hold. */
    if (!a->set || a->holders == 0 || n == MAX_CHAIN ||
        !vx__name_is_subdomain(a->set->owner, v->snap->domain))
        return n;
    out[n].set = a->set;
    out[n].obs = a->obs;
    return n + 1;
}

static size_t chain_sets(const vx__view *v, signed_set *out)
{
    size_t n = chain_add(v, &v->naptr, out, 0);
    for (size_t i = 0; i < v->srvname_count; i++)
        n = chain_add(v, &v->srvnames[i].ans, out, n);
    for (size_t i = 0; i < v->host_count; i++) {
        n = chain_add(v, &v->hosts[i].a, out, n);
        n = chain_add(v, &v->hosts[i].aaaa, out, n);
    }
    return n;
}

/* ---- DNSSEC-BOGUS --------------------------------------------------------------------------- */

static void bogus(vx__findings *out, const vx__rrset *set, const char *why)
{
    char n[VX__NAME_TEXT_MAX], t[16];
    vx__name_show(set->owner, n, sizeof n);
    vx__finding *f = vx__finding_add(out, "DNSSEC-BOGUS",
                                     "%s %s does not validate: %s; validating resolvers answer "
                                     "SERVFAIL for it",
                                     n, vx__rrtype_to_text(set->type, t, sizeof t), why);
    vx__finding_add_name(f, set->owner);
}

static const char *status_text(ldns_status st)
{
    if (st == LDNS_STATUS_CRYPTO_NO_RRSIG)
        return "it carries no signature";
    if (st == LDNS_STATUS_CRYPTO_SIG_EXPIRED)
        return "its signature has expired";
    if (st == LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED)
        return "its signature is not valid yet";
    return ldns_get_errorstr_by_id(st);
}

/* The DNSKEYs some DS record matches (digest computed by ldns). */
static ldns_rr_list *ds_matched(const ldns_rr_list *ds, const ldns_rr_list *keys)
{
    ldns_rr_list *m = ldns_rr_list_new();
    for (size_t k = 0; m && k < ldns_rr_list_rr_count(keys); k++) {
        ldns_rr *key = ldns_rr_list_rr(keys, k);
        for (size_t d = 0; d < ldns_rr_list_rr_count(ds); d++) {
            if (ldns_rr_compare_ds(ldns_rr_list_rr(ds, d), key)) {
                ldns_rr_list_push_rr(m, key);
                break;
            }
        }
    }
    return m;
}

static void key_tags(const ldns_rr_list *l, bool ds, vx__strbuf *sb)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        ldns_rr *rr = ldns_rr_list_rr(l, i);
        unsigned tag = ds ? ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) : ldns_calc_keytag(rr);
        vx__sb_add(sb, "%s%u", i ? ", " : "", tag);
    }
}

/* The DNSKEY RRset must exist, be matched by a DS and be signed by a matched key. Returns the
 * zone's keys (caller frees) when they can be trusted, else NULL after reporting. */
static ldns_rr_list *trusted_keys(const vx__rrset *ds, const vx__answer *k, uint64_t now,
                                  vx__findings *out)
{
    if (!k->set) {
        bogus(out, ds, "the parent has a DS but the zone serves no DNSKEY");
        return NULL;
    }
    ldns_rr_list *dsl = list_of(ds), *keys = list_of(k->set);
    ldns_rr_list *matched = dsl && keys ? ds_matched(dsl, keys) : NULL;
    ldns_rr_list *sigs = sigs_over(k->obs, k->set);
    ldns_status st = LDNS_STATUS_MEM_ERR;
    if (matched && ldns_rr_list_rr_count(matched) == 0) {
        vx__strbuf sb = {0};
        vx__sb_add(&sb, "the DS at the parent (key tag ");
        key_tags(dsl, true, &sb);
        vx__sb_add(&sb, ") matches no DNSKEY (key tags ");
        key_tags(keys, false, &sb);
        vx__sb_add(&sb, ")");
        bogus(out, k->set, vx__sb_str(&sb));
        vx__sb_free(&sb);
    } else if (matched && sigs) {
        st = verify_any(k->set, sigs, matched, now);
        if (st != LDNS_STATUS_OK)
            bogus(out, k->set, status_text(st));
    }
    ldns_rr_list_free(matched);
    ldns_rr_list_deep_free(sigs);
    ldns_rr_list_deep_free(dsl);
    if (st != LDNS_STATUS_OK) {
        ldns_rr_list_deep_free(keys);
        return NULL;
    }
    return keys;
}

VX__CHECK_FN(vx__chk_dnssec_bogus)
{
    const vx__rrset *ds = NULL;
    for (size_t i = 0; i < snap->obs_count && !ds; i++)
        if (snap->obs[i].kind == VX__PROBE_DS && snap->obs[i].status == VX_OK)
            ds = vx__obs_find(&snap->obs[i], VX__SECTION_ANSWER, snap->domain, VX__T_DS);
    vx__view v;
    if (!ds || vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    vx__answer k;
    vx__view_answer(&v, snap->domain, VX__T_DNSKEY, &k);
    uint64_t now = now_of(snap, cfg);
    ldns_rr_list *keys = vx__answer_conclusive(&k) ? trusted_keys(ds, &k, now, out) : NULL;
    signed_set sets[MAX_CHAIN];
    size_t n = keys ? chain_sets(&v, sets) : 0;
    for (size_t i = 0; i < n; i++) {
        ldns_rr_list *sigs = sigs_over(sets[i].obs, sets[i].set);
        ldns_status st = sigs ? verify_any(sets[i].set, sigs, keys, now) : LDNS_STATUS_MEM_ERR;
        if (st != LDNS_STATUS_OK && st != LDNS_STATUS_MEM_ERR)
            bogus(out, sets[i].set, status_text(st));
        ldns_rr_list_deep_free(sigs);
    }
    ldns_rr_list_deep_free(keys);
    vx__view_free(&v);
}

/* ---- DNSSEC-RRSIG-EXPIRING ------------------------------------------------------------------ */

/* The soonest expiry in the future among set's signatures; 0 when none. */
static uint64_t soonest_expiry(const signed_set *s, uint64_t now)
{
    ldns_rr_list *sigs = sigs_over(s->obs, s->set);
    uint64_t soonest = 0;
    for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++) {
        const ldns_rdf *e = ldns_rr_rrsig_expiration(ldns_rr_list_rr(sigs, i));
        uint64_t t = e ? (uint64_t)ldns_rdf2native_time_t(e) : 0;
        if (t > now && (soonest == 0 || t < soonest))
            soonest = t;
    }
    ldns_rr_list_deep_free(sigs);
    return soonest;
}

VX__CHECK_FN(vx__chk_dnssec_rrsig_expiring)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    signed_set sets[MAX_CHAIN];
    size_t n = chain_sets(&v, sets);
    vx__answer k;
    vx__view_answer(&v, snap->domain, VX__T_DNSKEY, &k);
    n = chain_add(&v, &k, sets, n);
    uint64_t now = now_of(snap, cfg);
    for (size_t i = 0; i < n; i++) {
        uint64_t t = soonest_expiry(&sets[i], now);
        if (t == 0 || t - now > cfg->rrsig_warn_s)
            continue;
        char name[VX__NAME_TEXT_MAX], type[16], when[64];
        vx__name_show(sets[i].set->owner, name, sizeof name);
        time_text(t, when, sizeof when);
        vx__finding *f = vx__finding_add(
            out, "DNSSEC-RRSIG-EXPIRING",
            "the signature over %s %s expires at %s, in %.1f days: re-signing must happen before",
            name, vx__rrtype_to_text(sets[i].set->type, type, sizeof type), when,
            (double)(t - now) / 86400.0);
        vx__finding_add_name(f, sets[i].set->owner);
    }
    vx__view_free(&v);
}
