/*
 * sip/locate_snapshot.c — owns the lookup that answers the locator's questions from a snapshot
 * (consensus or every answer merged), the conversion of canonical RRsets into the locator's
 * records, and the fixed options the audit locates with (see locate_snapshot.h).
 */
#include "sip/locate_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/records_ldns.h"
#include "voxdns/status.h"
#include "wire/addr.h"

typedef struct snap_lookup {
    const vx__sip_snap_opts *o;
    vx__sip_conv *conv; /* what the last answer points into */
} snap_lookup;

static const vx__sip_srv_name lync_srv[] = {{"_sipinternaltls._tcp", VX__SIP_TLS},
                                            {"_sipfederationtls._tcp", VX__SIP_TLS},
                                            {"_sip._tls", VX__SIP_TLS}};

size_t vx__sip_profile_srv(const char *profile, const vx__sip_srv_name **out)
{
    *out = lync_srv;
    if (profile && (strcmp(profile, "lync") == 0 || strcmp(profile, "teams") == 0))
        return sizeof lync_srv / sizeof lync_srv[0];
    return 0;
}

/* ---- RRsets → records ------------------------------------------------------------------ */

static const char *conv_keep(vx__sip_conv *c, const char *s)
{
    size_t cap = sizeof c->strings / sizeof c->strings[0];
    char *copy = c->nstrings < cap ? strdup(s) : NULL;
    if (!copy)
        return NULL;
    c->strings[c->nstrings++] = copy;
    return copy;
}

static void take_srv(vx__sip_conv *c, vx__sip_records *r, const char *rdata, uint32_t ttl)
{
    char target[VX__NAME_TEXT_MAX];
    vx__sip_srv s = {.ttl = ttl};
    if (r->srv_count == VX__SIP_MAX_SRV ||
        vx__srv_parse(rdata, &s.priority, &s.weight, &s.port, target, sizeof target) != VX_OK)
        return;
    if ((s.target = conv_keep(c, target)))
        c->srv[r->srv_count++] = s;
}

static void take_addr(vx__sip_conv *c, vx__sip_records *r, const char *rdata, uint32_t ttl)
{
    vx__sip_addr a = {.ttl = ttl};
    socklen_t len;
    if (r->addr_count < VX__SIP_MAX_ADDRS && vx__addr_parse(rdata, 0, &a.addr, &len) == VX_OK)
        c->addr[r->addr_count++] = a;
}

/* NAPTR rdata has quoted strings: model/view.c reads them (as records_ldns.c would from ldns). */
static void take_naptr(vx__sip_conv *c, vx__sip_records *r, const char *rdata, uint32_t ttl)
{
    vx__naptr_fields f;
    if (r->naptr_count == VX__SIP_MAX_NAPTR || vx__naptr_parse(rdata, &f) != VX_OK)
        return;
    const char *flags = conv_keep(c, f.str[0]), *service = conv_keep(c, f.str[1]);
    const char *regexp = conv_keep(c, f.str[2]), *replacement = conv_keep(c, f.replacement);
    c->naptr[r->naptr_count++] = (vx__sip_naptr){.order = f.order,
                                                 .pref = f.pref,
                                                 .flags = flags ? flags : "",
                                                 .service = service ? service : "",
                                                 .regexp = regexp ? regexp : "",
                                                 .replacement = replacement ? replacement : "",
                                                 .ttl = ttl};
}

/* Appends set's records, skipping those an earlier set of the same answer already gave. */
static void take_set(vx__sip_conv *c, vx__sip_records *r, const vx__rrset *set,
                     const vx__rrset *const *seen, size_t seen_count)
{
    for (size_t i = 0; i < set->count; i++) {
        bool dup = false;
        for (size_t k = 0; k < seen_count && !dup; k++)
            for (size_t j = 0; j < seen[k]->count && !dup; j++)
                dup = strcmp(seen[k]->rdata[j], set->rdata[i]) == 0;
        if (dup)
            continue;
        if (set->type == VX__SIP_RR_SRV)
            take_srv(c, r, set->rdata[i], set->ttl);
        else if (set->type == VX__SIP_RR_NAPTR)
            take_naptr(c, r, set->rdata[i], set->ttl);
        else
            take_addr(c, r, set->rdata[i], set->ttl);
    }
}

/* ---- the two ways of reading answers --------------------------------------------------- */

static int from_answer(vx__sip_conv *c, const vx__answer *a, vx__sip_records *r)
{
    if (a->rcode == VX__RCODE_NXDOMAIN)
        return VX_ENOTFOUND;
    if (a->rcode != VX__RCODE_NOERROR)
        return VX_ESERVFAIL;
    if (a->set)
        take_set(c, r, a->set, NULL, 0);
    else if (a->cname && a->cname->count > 0)
        r->cname = conv_keep(c, a->cname->rdata[0]);
    if (a->cname)
        r->cname_ttl = a->cname->ttl;
    return VX_OK;
}

static int read_consensus(snap_lookup *l, const char *name, uint16_t type, vx__sip_records *r)
{
    vx__answer a;
    vx__view_answer(l->o->view, name, type, &a);
    if (a.obs)
        return from_answer(l->conv, &a, r);
    if (a.failure == VX_OK && l->o->missing)
        l->o->missing(l->o->missing_ctx, name, type);
    return a.failure != VX_OK ? a.failure : VX_ETIMEDOUT;
}

static bool obs_conclusive(const vx__observation *o, const char *name, uint16_t type)
{
    if (o->status != VX_OK || o->qtype != type || !vx__name_eq(o->qname, name))
        return false;
    if (o->kind == VX__PROBE_DATA)
        return o->transport == VX__UDP && vx__obs_usable_aa(o);
    return o->kind == VX__PROBE_RESOLVE &&
           (o->rcode == VX__RCODE_NOERROR || o->rcode == VX__RCODE_NXDOMAIN);
}

#define MAX_MERGED 32

static int read_any(snap_lookup *l, const char *name, uint16_t type, vx__sip_records *r)
{
    const vx__snapshot *s = l->o->snap;
    const vx__rrset *sets[MAX_MERGED];
    size_t n = 0;
    bool noerror = false, any = false;
    for (size_t i = 0; i < s->obs_count; i++) {
        const vx__observation *o = &s->obs[i];
        if (!obs_conclusive(o, name, type))
            continue;
        vx__answer a;
        vx__answer_of(o, name, type, &a);
        any = true;
        noerror |= a.rcode == VX__RCODE_NOERROR;
        if (a.set && n < MAX_MERGED) {
            take_set(l->conv, r, a.set, sets, n);
            sets[n++] = a.set;
        } else if (!a.set && a.cname && a.cname->count > 0 && !r->cname) {
            r->cname = conv_keep(l->conv, a.cname->rdata[0]);
            r->cname_ttl = a.cname->ttl;
        }
    }
    if (n > 0)
        r->cname = NULL; /* records of the type win over an alias seen elsewhere */
    if (!any && l->o->missing)
        l->o->missing(l->o->missing_ctx, name, type);
    return !any ? VX_ETIMEDOUT : noerror ? VX_OK : VX_ENOTFOUND;
}

static int lookup(void *ctx, const char *name, uint16_t type, vx__sip_records *out)
{
    snap_lookup *l = ctx;
    vx__sip_conv_free(l->conv);
    l->conv = calloc(1, sizeof *l->conv);
    if (!l->conv)
        return VX_ENOMEM;
    out->naptr = l->conv->naptr;
    out->srv = l->conv->srv;
    out->addr = l->conv->addr;
    int rc = l->o->mode == VX__SIP_SNAP_ANY ? read_any(l, name, type, out)
                                            : read_consensus(l, name, type, out);
    out->status = rc;
    return rc;
}

/* ---- locating -------------------------------------------------------------------------- */

/* FNV-1a of the name: a stable seed, so that one snapshot always gives one order. */
static uint64_t name_seed(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint64_t)(unsigned char)(*s | 0x20)) * 1099511628211ull;
    return h;
}

int vx__sip_locate_snapshot(const char *domain, const vx__sip_snap_opts *o, vx__sip_result **out)
{
    char uri[VX__NAME_TEXT_MAX + 8];
    if (!domain || !o || !out || (o->mode == VX__SIP_SNAP_ANY ? !o->snap : !o->view))
        return VX_EINVAL;
    size_t len = strlen(domain);
    if (len > 1 && domain[len - 1] == '.')
        len--;
    if (snprintf(uri, sizeof uri, "sip:%.*s", (int)len, domain) >= (int)sizeof uri)
        return VX_EINVAL;
    vx__sip_xorshift rng;
    vx__sip_xorshift_seed(&rng, name_seed(domain));
    vx__sip_opts opts = {.transports = VX__SIP_TRANSPORTS_ALL,
                         .random = vx__sip_xorshift_next,
                         .random_ctx = &rng,
                         .every_path = o->every_path};
    opts.extra_srv_count = vx__sip_profile_srv(o->profile, &opts.extra_srv);
    snap_lookup l = {.o = o};
    int rc = vx__sip_locate(uri, &opts, lookup, &l, out, NULL, 0);
    vx__sip_conv_free(l.conv);
    return rc;
}
