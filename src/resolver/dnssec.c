/*
 * resolver/dnssec.c — the stub resolver's DNSSEC validator (rules in dnssec.h): the fetched
 * chain records, the trusted key sets (and zones proven insecure) remembered per zone, and
 * the check of a response: positive RRsets by their signer's keys, negative answers by their
 * NSEC/NSEC3 denial, unsigned data by a proof that it lies under an unsigned delegation.
 */
#include "resolver/dnssec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

#define TRUSTED_MAX 64
#define FAILED_RETRY_MS 5000u
#define REMEMBER_MAX_S 3600u
#define REMEMBER_MIN_S 5u

typedef struct fetched {
    vx__question q;
    bool failed;
    uint16_t rcode;
    ldns_rr_list *answer, *authority; /* owned */
    uint64_t expires;
} fetched;

typedef struct trusted {
    ldns_rdf *zone;     /* owned, NULL when the slot is free */
    ldns_rr_list *keys; /* owned; NULL for a zone proven insecure */
    uint64_t expires;
} trusted;

struct vx__dnssec {
    ldns_rr_list *anchors;
    ldns_rdf *anchor_zone;
    fetched f[VX__DNSSEC_FETCHED_MAX];
    size_t nf;
    trusted t[TRUSTED_MAX];
};

/* One check: what it may use and what it found missing. */
typedef struct ctx {
    vx__dnssec *v;
    uint64_t now;
    time_t wall;
    vx__question *need;
    unsigned depth;
} ctx;

typedef enum res { CH_OK = 0, CH_NEED, CH_BAD, CH_INSECURE } res;

const char *vx__sec_name(vx__sec s)
{
    static const char *const names[] = {"unchecked", "secure", "insecure", "bogus", "need"};
    return (unsigned)s < 5u ? names[s] : "?";
}

/* ---- anchors, lifetime ------------------------------------------------------------------ */

static int anchor_line(const char *line, ldns_rr_list *list, const char **why)
{
    ldns_rr *rr = NULL;
    if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) != LDNS_STATUS_OK || !rr) {
        *why = "not a DS or DNSKEY record";
        return VX_EMALFORMED;
    }
    ldns_rr_type t = ldns_rr_get_type(rr);
    const ldns_rr *first = ldns_rr_list_rr(list, 0);
    *why = t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY ? "not a DS or DNSKEY record"
           : first && ldns_dname_compare(ldns_rr_owner(first), ldns_rr_owner(rr)) != 0
               ? "anchors of more than one zone"
               : NULL;
    if (*why || !ldns_rr_list_push_rr(list, rr)) {
        ldns_rr_free(rr);
        return *why ? VX_EMALFORMED : VX_ENOMEM;
    }
    return VX_OK;
}

static bool blank(const char *s)
{
    s += strspn(s, " \t\r");
    return *s == '\0' || *s == ';' || *s == '#';
}

int vx__dnssec_parse_anchors(const char *text, size_t len, ldns_rr_list **out, char *err,
                             size_t errcap)
{
    if (len > VX__DNSSEC_ANCHOR_TEXT_MAX)
        return VX_ELIMIT;
    char *copy = malloc(len + 1);
    ldns_rr_list *list = ldns_rr_list_new();
    int rc = copy && list ? VX_OK : VX_ENOMEM;
    unsigned line = 0;
    const char *why = "no DS or DNSKEY record";
    if (copy)
        memcpy(copy, text, len), copy[len] = '\0';
    for (char *l = rc == VX_OK ? copy : NULL, *nl; l && rc == VX_OK; l = nl ? nl + 1 : NULL) {
        nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        else if (*l == '\0')
            break; /* after the last newline */
        line++;
        if (!blank(l))
            rc = anchor_line(l, list, &why);
    }
    if (rc == VX_OK && ldns_rr_list_rr_count(list) == 0)
        rc = VX_EMALFORMED;
    if (rc != VX_OK && err && errcap)
        snprintf(err, errcap, "line %u: %s", line, rc == VX_ENOMEM ? "out of memory" : why);
    free(copy);
    if (rc != VX_OK)
        ldns_rr_list_deep_free(list);
    else
        *out = list;
    return rc;
}

int vx__dnssec_new(const ldns_rr_list *anchors, vx__dnssec **out)
{
    if (!anchors || ldns_rr_list_rr_count(anchors) == 0)
        return VX_EINVAL;
    vx__dnssec *v = calloc(1, sizeof(*v));
    if (!v)
        return VX_ENOMEM;
    v->anchors = ldns_rr_list_clone(anchors);
    v->anchor_zone = v->anchors ? ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(anchors, 0))) : NULL;
    if (!v->anchor_zone) {
        vx__dnssec_free(v);
        return VX_ENOMEM;
    }
    *out = v;
    return VX_OK;
}

static void fetched_clear(fetched *f)
{
    ldns_rr_list_deep_free(f->answer);
    ldns_rr_list_deep_free(f->authority);
    memset(f, 0, sizeof(*f));
}

static void trusted_clear(trusted *t)
{
    ldns_rdf_deep_free(t->zone);
    ldns_rr_list_deep_free(t->keys);
    memset(t, 0, sizeof(*t));
}

void vx__dnssec_free(vx__dnssec *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nf; i++)
        fetched_clear(&v->f[i]);
    for (size_t i = 0; i < TRUSTED_MAX; i++)
        trusted_clear(&v->t[i]);
    ldns_rr_list_deep_free(v->anchors);
    ldns_rdf_deep_free(v->anchor_zone);
    free(v);
}

/* ---- fetched chain records ---------------------------------------------------------------- */

static uint32_t min_ttl(const ldns_rr_list *a, const ldns_rr_list *b)
{
    uint32_t ttl = REMEMBER_MAX_S;
    for (size_t i = 0; a && i < ldns_rr_list_rr_count(a); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(a, i)) < ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(a, i));
    for (size_t i = 0; b && i < ldns_rr_list_rr_count(b); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(b, i)) < ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(b, i));
    return ttl < REMEMBER_MIN_S ? REMEMBER_MIN_S : ttl;
}

static fetched *fetched_slot(vx__dnssec *v, const vx__question *q)
{
    fetched *oldest = &v->f[0];
    for (size_t i = 0; i < v->nf; i++) {
        if (vx__question_equal(&v->f[i].q, q))
            return &v->f[i];
        if (v->f[i].expires < oldest->expires)
            oldest = &v->f[i];
    }
    return v->nf < VX__DNSSEC_FETCHED_MAX ? &v->f[v->nf++] : oldest;
}

void vx__dnssec_store(vx__dnssec *v, const vx__question *q, const vx__msg *m, uint64_t now)
{
    fetched *f = fetched_slot(v, q);
    fetched_clear(f);
    f->q = *q;
    f->failed = !m;
    f->expires = now + FAILED_RETRY_MS;
    if (!m)
        return;
    f->rcode = (uint16_t)ldns_pkt_get_rcode(m->pkt);
    f->answer = ldns_rr_list_clone(ldns_pkt_answer(m->pkt));
    f->authority = ldns_rr_list_clone(ldns_pkt_authority(m->pkt));
    f->failed = !f->answer || !f->authority;
    if (!f->failed)
        f->expires = now + 1000u * min_ttl(f->answer, f->authority);
}

static bool question_of(const ldns_rdf *name, uint16_t type, vx__question *q)
{
    if (ldns_rdf_size(name) > sizeof(q->name))
        return false;
    memset(q, 0, sizeof(*q));
    memcpy(q->name, ldns_rdf_data(name), ldns_rdf_size(name));
    q->name_len = ldns_rdf_size(name);
    q->qtype = type;
    q->qclass = LDNS_RR_CLASS_IN;
    return true;
}

/* The fetched response to (name, type): CH_OK with *out, CH_NEED (asked for), CH_BAD (failed). */
static res get(ctx *c, const ldns_rdf *name, uint16_t type, const fetched **out)
{
    vx__question q;
    if (!question_of(name, type, &q))
        return CH_BAD;
    for (size_t i = 0; i < c->v->nf; i++) {
        const fetched *f = &c->v->f[i];
        if (f->expires > c->now && vx__question_equal(&f->q, &q)) {
            *out = f;
            return f->failed ? CH_BAD : CH_OK;
        }
    }
    *c->need = q;
    return CH_NEED;
}

/* ---- RRsets and signatures ------------------------------------------------------------------ */

/* The records of list with this owner and type (borrowed: free with ldns_rr_list_free). An
 * RRSIG type picks the signatures covering `covered`. */
static ldns_rr_list *select_rrs(const ldns_rr_list *list, const ldns_rdf *owner, uint16_t type,
                                uint16_t covered)
{
    ldns_rr_list *out = ldns_rr_list_new();
    for (size_t i = 0; out && list && i < ldns_rr_list_rr_count(list); i++) {
        ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) != type || ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
            continue;
        if (type == LDNS_RR_TYPE_RRSIG &&
            (!ldns_rr_rrsig_typecovered(rr) ||
             ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != covered))
            continue;
        ldns_rr_list_push_rr(out, rr);
    }
    return out;
}

static const ldns_rdf *signer_of(const ldns_rr_list *sigs)
{
    return ldns_rr_list_rr_count(sigs) ? ldns_rr_rrsig_signame(ldns_rr_list_rr(sigs, 0)) : NULL;
}

/* Some signature of rrset verifies with some key of keys at wall time. */
static bool verified(const ldns_rr_list *rrset, const ldns_rr_list *sigs, const ldns_rr_list *keys,
                     time_t wall)
{
    for (size_t i = 0; keys && i < ldns_rr_list_rr_count(sigs); i++)
        if (ldns_verify_rrsig_keylist_time(rrset, ldns_rr_list_rr(sigs, i), keys, wall, NULL) ==
            LDNS_STATUS_OK)
            return true;
    return false;
}

/* The SOA owner in an authority section: the zone that gave a negative answer. */
static const ldns_rdf *soa_owner(const ldns_rr_list *authority)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(authority); i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(authority, i)) == LDNS_RR_TYPE_SOA)
            return ldns_rr_owner(ldns_rr_list_rr(authority, i));
    return NULL;
}

/* ---- trusted keys ---------------------------------------------------------------------------- */

static trusted *remembered(vx__dnssec *v, const ldns_rdf *zone, uint64_t now)
{
    for (size_t i = 0; i < TRUSTED_MAX; i++)
        if (v->t[i].zone && v->t[i].expires > now && ldns_dname_compare(v->t[i].zone, zone) == 0)
            return &v->t[i];
    return NULL;
}

static void remember(vx__dnssec *v, const ldns_rdf *zone, const ldns_rr_list *keys,
                     uint64_t expires)
{
    trusted *slot = &v->t[0];
    for (size_t i = 0; i < TRUSTED_MAX; i++) {
        if (!v->t[i].zone || ldns_dname_compare(v->t[i].zone, zone) == 0) {
            slot = &v->t[i];
            break;
        }
        if (v->t[i].expires < slot->expires)
            slot = &v->t[i];
    }
    trusted_clear(slot);
    slot->zone = ldns_rdf_clone(zone);
    slot->keys = keys ? ldns_rr_list_clone(keys) : NULL;
    slot->expires = expires;
    if (!slot->zone || (keys && !slot->keys))
        trusted_clear(slot); /* out of memory: it is worked out again next time */
}

static bool anchor_matches(const vx__dnssec *v, const ldns_rr *key)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(v->anchors); i++) {
        const ldns_rr *a = ldns_rr_list_rr(v->anchors, i);
        if (ldns_rr_get_type(a) == LDNS_RR_TYPE_DS ? ldns_rr_compare_ds(a, key)
                                                   : ldns_rr_compare(a, key) == 0)
            return true;
    }
    return false;
}

static bool ds_matches(const ldns_rr_list *dsset, const ldns_rr *key)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(dsset); i++)
        if (ldns_rr_compare_ds(ldns_rr_list_rr(dsset, i), key))
            return true;
    return false;
}

/* A DNSKEY RRset is trusted when signed by one of its keys that an anchor or a trusted DS
 * names. */
static bool keyset_trusted(const ldns_rr_list *keyset, const ldns_rr_list *sigs,
                           const vx__dnssec *v, const ldns_rr_list *dsset, time_t wall)
{
    ldns_rr_list *entry = ldns_rr_list_new();
    for (size_t i = 0; entry && i < ldns_rr_list_rr_count(keyset); i++) {
        ldns_rr *key = ldns_rr_list_rr(keyset, i);
        if (dsset ? ds_matches(dsset, key) : anchor_matches(v, key))
            ldns_rr_list_push_rr(entry, key);
    }
    bool ok = entry && ldns_rr_list_rr_count(entry) > 0 && verified(keyset, sigs, entry, wall);
    ldns_rr_list_free(entry);
    return ok;
}

static res keys_of(ctx *c, const ldns_rdf *zone, const ldns_rr_list **out);

/* zone's DNSKEY RRset, trusted through dsset (NULL: the anchor). */
static res fetch_keyset(ctx *c, const ldns_rdf *zone, const ldns_rr_list *dsset, uint32_t ttl)
{
    const fetched *f;
    res r = get(c, zone, LDNS_RR_TYPE_DNSKEY, &f);
    if (r != CH_OK)
        return r;
    ldns_rr_list *keyset = select_rrs(f->answer, zone, LDNS_RR_TYPE_DNSKEY, 0);
    ldns_rr_list *sigs = select_rrs(f->answer, zone, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DNSKEY);
    r = keyset && sigs && keyset_trusted(keyset, sigs, c->v, dsset, c->wall) ? CH_OK : CH_BAD;
    uint32_t kttl = min_ttl(keyset, NULL);
    if (r == CH_OK)
        remember(c->v, zone, keyset, c->now + 1000u * (kttl < ttl ? kttl : ttl));
    ldns_rr_list_free(keyset);
    ldns_rr_list_free(sigs);
    return r;
}

/* The NSEC (or NSEC3) records of a negative answer, each RRset signed by keys. */
static bool denial_signed(const ldns_rr_list *auth, const ldns_rr_list *keys, time_t wall,
                          uint16_t type)
{
    bool any = false;
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != type)
            continue;
        ldns_rr_list *set = select_rrs(auth, ldns_rr_owner(rr), type, 0);
        ldns_rr_list *sigs = select_rrs(auth, ldns_rr_owner(rr), LDNS_RR_TYPE_RRSIG, type);
        bool ok = set && sigs && verified(set, sigs, keys, wall);
        ldns_rr_list_free(set);
        ldns_rr_list_free(sigs);
        if (!ok)
            return false;
        any = true;
    }
    return any;
}

/* The NSEC at name says: a delegation (NS) without DS. */
static bool nsec_unsigned_cut(const ldns_rr_list *auth, const ldns_rdf *name)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC ||
            ldns_dname_compare(ldns_rr_owner(rr), name) != 0 || !ldns_rr_rdf(rr, 1))
            continue;
        const ldns_rdf *bits = ldns_rr_rdf(rr, 1);
        return ldns_nsec_bitmap_covers_type(bits, LDNS_RR_TYPE_NS) &&
               !ldns_nsec_bitmap_covers_type(bits, LDNS_RR_TYPE_DS) &&
               !ldns_nsec_bitmap_covers_type(bits, LDNS_RR_TYPE_SOA);
    }
    return false;
}

/* The NSEC3 matching name says: a delegation without DS. */
static bool nsec3_unsigned_cut(const ldns_rr_list *auth, const ldns_rdf *name, uint16_t rcode)
{
    ldns_rr *q = ldns_rr_new();
    ldns_rr_list *set = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
    ldns_rr *match = NULL;
    bool ok = false;
    for (size_t i = 0; set && sigs && i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3)
            ldns_rr_list_push_rr(set, rr);
        else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
            ldns_rr_list_push_rr(sigs, rr);
    }
    if (q && set && sigs) {
        ldns_rr_set_owner(q, ldns_rdf_clone(name));
        ldns_rr_set_type(q, LDNS_RR_TYPE_DS);
        ok = ldns_dnssec_verify_denial_nsec3_match(q, set, sigs, rcode, LDNS_RR_TYPE_DS, true,
                                                   &match) == LDNS_STATUS_OK &&
             match && ldns_nsec_bitmap_covers_type(ldns_nsec3_bitmap(match), LDNS_RR_TYPE_NS) &&
             !ldns_nsec_bitmap_covers_type(ldns_nsec3_bitmap(match), LDNS_RR_TYPE_DS);
    }
    ldns_rr_free(q);
    ldns_rr_list_free(set);
    ldns_rr_list_free(sigs);
    return ok;
}

/* f is a DS response for name without DS records: is name under an unsigned delegation? */
static res unsigned_cut(ctx *c, const ldns_rdf *name, const fetched *f)
{
    const ldns_rdf *parent = soa_owner(f->authority);
    const ldns_rr_list *pk = NULL;
    if (!parent ||
        (ldns_dname_compare(name, parent) != 0 && !ldns_dname_is_subdomain(name, parent)))
        return CH_BAD;
    res r = keys_of(c, parent, &pk);
    if (r != CH_OK)
        return r; /* CH_INSECURE: the parent itself is unsigned, so is everything below */
    if (ldns_dname_compare(name, parent) == 0)
        return CH_BAD; /* a signed zone gave unsigned data */
    bool nsec = denial_signed(f->authority, pk, c->wall, LDNS_RR_TYPE_NSEC);
    bool cut = nsec ? nsec_unsigned_cut(f->authority, name)
                    : denial_signed(f->authority, pk, c->wall, LDNS_RR_TYPE_NSEC3) &&
                          nsec3_unsigned_cut(f->authority, name, f->rcode);
    if (!cut)
        return CH_BAD;
    remember(c->v, name, NULL, c->now + 1000u * min_ttl(f->authority, NULL));
    return CH_INSECURE;
}

/* DS of zone, signed by its parent's trusted keys. */
static res trusted_ds(ctx *c, const ldns_rdf *zone, const fetched *f, ldns_rr_list *dsset)
{
    ldns_rr_list *sigs = select_rrs(f->answer, zone, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DS);
    const ldns_rdf *parent = sigs ? signer_of(sigs) : NULL;
    const ldns_rr_list *pk = NULL;
    res r = CH_BAD;
    if (parent && ldns_dname_is_subdomain(zone, parent))
        r = keys_of(c, parent, &pk);
    if (r == CH_OK && !verified(dsset, sigs, pk, c->wall))
        r = CH_BAD;
    ldns_rr_list_free(sigs);
    return r;
}

static res keys_below_anchor(ctx *c, const ldns_rdf *zone)
{
    const fetched *f;
    res r = get(c, zone, LDNS_RR_TYPE_DS, &f);
    if (r != CH_OK)
        return r;
    ldns_rr_list *dsset = select_rrs(f->answer, zone, LDNS_RR_TYPE_DS, 0);
    if (!dsset)
        return CH_BAD;
    if (ldns_rr_list_rr_count(dsset) == 0)
        r = unsigned_cut(c, zone, f);
    else if ((r = trusted_ds(c, zone, f, dsset)) == CH_OK)
        r = fetch_keyset(c, zone, dsset, min_ttl(dsset, NULL));
    ldns_rr_list_free(dsset);
    return r;
}

/* The trusted keys of zone: CH_OK with *out, CH_INSECURE for a zone under an unsigned
 * delegation, CH_NEED, CH_BAD. */
static res keys_of(ctx *c, const ldns_rdf *zone, const ldns_rr_list **out)
{
    if (++c->depth > VX__DNSSEC_DEPTH_MAX)
        return CH_BAD;
    res r;
    const trusted *t = remembered(c->v, zone, c->now);
    if (t)
        r = t->keys ? CH_OK : CH_INSECURE;
    else if (ldns_dname_compare(zone, c->v->anchor_zone) == 0)
        r = fetch_keyset(c, zone, NULL, REMEMBER_MAX_S);
    else if (!ldns_dname_is_subdomain(zone, c->v->anchor_zone))
        r = CH_BAD; /* outside the anchor's tree: nothing can vouch for it */
    else
        r = keys_below_anchor(c, zone);
    c->depth--;
    t = r == CH_OK ? remembered(c->v, zone, c->now) : NULL;
    if (r == CH_OK && !t)
        return CH_BAD; /* could not be remembered (out of memory) */
    *out = t ? t->keys : NULL;
    return r;
}

/* ---- checking a response -------------------------------------------------------------------- */

/* Data at name arrived unsigned: fine only under an unsigned delegation. */
static res unsigned_data(ctx *c, const ldns_rdf *name)
{
    const fetched *f;
    res r = get(c, name, LDNS_RR_TYPE_DS, &f);
    if (r != CH_OK)
        return r;
    ldns_rr_list *ds = select_rrs(f->answer, name, LDNS_RR_TYPE_DS, 0);
    r = ds && ldns_rr_list_rr_count(ds) == 0 ? unsigned_cut(c, name, f) : CH_BAD;
    ldns_rr_list_free(ds);
    return r;
}

static res check_rrset(ctx *c, const ldns_rr_list *answer, const ldns_rr *rr)
{
    const ldns_rdf *owner = ldns_rr_owner(rr);
    uint16_t type = (uint16_t)ldns_rr_get_type(rr);
    ldns_rr_list *set = select_rrs(answer, owner, type, 0);
    ldns_rr_list *sigs = select_rrs(answer, owner, LDNS_RR_TYPE_RRSIG, type);
    const ldns_rdf *signer = sigs ? signer_of(sigs) : NULL;
    const ldns_rr_list *keys = NULL;
    res r = !set || !sigs ? CH_BAD
            : !signer     ? unsigned_data(c, owner)
            : !ldns_dname_is_subdomain(owner, signer) && ldns_dname_compare(owner, signer) != 0
                ? CH_BAD
                : keys_of(c, signer, &keys);
    if (signer && r == CH_OK && !verified(set, sigs, keys, c->wall))
        r = CH_BAD;
    ldns_rr_list_free(set);
    ldns_rr_list_free(sigs);
    return r;
}

static bool denial_holds(const vx__question *q, const vx__msg *m, const ldns_rr_list *auth)
{
    ldns_rr *rr = ldns_rr_new();
    ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
    bool nsec3 = false, ok = false;
    for (size_t i = 0; rr && nsecs && sigs && i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *a = ldns_rr_list_rr(auth, i);
        ldns_rr_type t = ldns_rr_get_type(a);
        nsec3 |= t == LDNS_RR_TYPE_NSEC3;
        if (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3)
            ldns_rr_list_push_rr(nsecs, a);
        else if (t == LDNS_RR_TYPE_RRSIG)
            ldns_rr_list_push_rr(sigs, a);
    }
    if (rr && nsecs && sigs) {
        ldns_rr_set_owner(rr, ldns_dname_new_frm_data((uint16_t)q->name_len, q->name));
        ldns_rr_set_type(rr, q->qtype);
        ok = ldns_rr_owner(rr) &&
             (nsec3 ? ldns_dnssec_verify_denial_nsec3(rr, nsecs, sigs, ldns_pkt_get_rcode(m->pkt),
                                                      q->qtype, true)
                    : ldns_dnssec_verify_denial(rr, nsecs, sigs)) == LDNS_STATUS_OK;
    }
    ldns_rr_free(rr);
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(sigs);
    return ok;
}

/* NXDOMAIN or NODATA: the denial, signed by the zone's trusted keys, must hold. */
static res check_negative(ctx *c, const vx__question *q, const vx__msg *m)
{
    const ldns_rr_list *auth = ldns_pkt_authority(m->pkt);
    const ldns_rdf *zone = soa_owner(auth);
    ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)q->name_len, q->name);
    ldns_rr_list *soa = zone ? select_rrs(auth, zone, LDNS_RR_TYPE_SOA, 0) : NULL;
    ldns_rr_list *sigs = zone ? select_rrs(auth, zone, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_SOA) : NULL;
    const ldns_rr_list *keys = NULL;
    res r = !qname || !zone || !soa || !sigs   ? CH_BAD
            : ldns_rr_list_rr_count(sigs) == 0 ? unsigned_data(c, qname)
                                               : keys_of(c, zone, &keys);
    if (r == CH_OK && ldns_rr_list_rr_count(sigs) > 0) {
        bool signed_denial = denial_signed(auth, keys, c->wall, LDNS_RR_TYPE_NSEC) ||
                             denial_signed(auth, keys, c->wall, LDNS_RR_TYPE_NSEC3);
        if (!verified(soa, sigs, keys, c->wall) || !signed_denial || !denial_holds(q, m, auth))
            r = CH_BAD;
    }
    ldns_rdf_deep_free(qname);
    ldns_rr_list_free(soa);
    ldns_rr_list_free(sigs);
    return r;
}

/* Every RRset of the answer: the worst outcome wins (bogus, then need, then insecure). */
static res check_answer(ctx *c, const ldns_rr_list *answer)
{
    res worst = CH_OK;
    for (size_t i = 0; i < ldns_rr_list_rr_count(answer) && worst != CH_BAD; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
            continue;
        res r = check_rrset(c, answer, rr);
        if (r == CH_BAD || (r == CH_NEED && worst != CH_BAD) ||
            (r == CH_INSECURE && worst == CH_OK))
            worst = r;
    }
    return worst;
}

static bool has_data(const ldns_rr_list *answer)
{
    for (size_t i = 0; answer && i < ldns_rr_list_rr_count(answer); i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(answer, i)) != LDNS_RR_TYPE_RRSIG)
            return true;
    return false;
}

vx__sec vx__dnssec_check(vx__dnssec *v, const vx__question *q, const vx__msg *m, uint64_t now,
                         time_t wall, vx__question *need)
{
    ctx c = {.v = v, .now = now, .wall = wall, .need = need};
    const ldns_rr_list *answer = ldns_pkt_answer(m->pkt);
    res r = has_data(answer) ? check_answer(&c, answer) : check_negative(&c, q, m);
    switch (r) {
    case CH_OK:
        return VX__SEC_SECURE;
    case CH_INSECURE:
        return VX__SEC_INSECURE;
    case CH_NEED:
        return VX__SEC_NEED;
    default:
        return VX__SEC_BOGUS;
    }
}
