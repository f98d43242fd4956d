/*
 * sip/locate.c — owns the locator's public face: starting (URI and fallback domains → jobs),
 * the question table (ask, feed, CNAME chasing, copying of answers), moving from job to job,
 * handing over the result, and the synchronous driver over a lookup callback.
 *
 * The RFC 3263 logic itself lives in locate_steps.c; this file only knows that a job is ready
 * when the questions of its current stage are all answered.
 */
#include "sip/locate_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "voxdns/status.h"

void vx__sip_note_error(vx__sip_locator *loc, int status)
{
    if (status == VX_ENOMEM || loc->error == VX_OK)
        loc->error = status;
}

/* ---- the question table ---------------------------------------------------------------- */

const vx__sip_lookup *vx__sip_lk_at(const vx__sip_locator *loc, size_t idx)
{
    return idx < loc->lk_count ? &loc->lk[idx] : NULL;
}

vx__sip_lookup *vx__sip_lk_at_mut(vx__sip_locator *loc, size_t idx)
{
    return idx < loc->lk_count ? &loc->lk[idx] : NULL;
}

/* Registers a question (name already normalised), or finds the same one asked before. */
size_t vx__sip_lk_add(vx__sip_locator *loc, const char *name, uint16_t type)
{
    for (size_t i = 0; i < loc->lk_count; i++)
        if (loc->lk[i].type == type && strcmp(loc->lk[i].origname, name) == 0)
            return i;
    if (loc->lk_count == VX__SIP_MAX_LOOKUPS) {
        vx__sip_note_error(loc, VX_ELIMIT);
        return VX__SIP_NO_LOOKUP;
    }
    vx__sip_lookup *lk = &loc->lk[loc->lk_count];
    memset(lk, 0, sizeof *lk);
    lk->origname = strdup(name);
    lk->qname = strdup(name);
    if (!lk->origname || !lk->qname) {
        free(lk->origname);
        free(lk->qname);
        vx__sip_note_error(loc, VX_ENOMEM);
        return VX__SIP_NO_LOOKUP;
    }
    lk->type = type;
    lk->ttl_floor = UINT32_MAX;
    return loc->lk_count++;
}

static void lk_clear(vx__sip_lookup *lk)
{
    for (size_t i = 0; i < lk->naptr_count; i++)
        free(lk->naptr[i].replacement);
    for (size_t i = 0; i < lk->srv_count; i++)
        free((char *)lk->srv[i].target);
    free(lk->naptr);
    free(lk->srv);
    free(lk->addr);
    free(lk->origname);
    free(lk->qname);
}

/* ---- copying answers ------------------------------------------------------------------- */

static const struct {
    const char *name;
    vx__sip_transport transport;
    bool secure;
} services[] = {
    {"SIP+D2U", VX__SIP_UDP, false},
    {"SIP+D2T", VX__SIP_TCP, false},
    {"SIPS+D2T", VX__SIP_TLS, true},
    {"SIP+D2S", VX__SIP_SCTP, false},
};

static void decode_service(const char *service, vx__sip_naptr_copy *c)
{
    for (size_t i = 0; service && i < sizeof services / sizeof services[0]; i++) {
        if (strcasecmp(service, services[i].name) == 0) {
            c->transport = services[i].transport;
            c->secure = services[i].secure;
        }
    }
}

/* Records with a name that is not a valid domain name are skipped: they cannot be asked. */
static int copy_naptr(vx__sip_lookup *lk, const vx__sip_records *r)
{
    size_t n = r->naptr_count < VX__SIP_MAX_NAPTR ? r->naptr_count : VX__SIP_MAX_NAPTR;
    char norm[VX__NAME_TEXT_MAX];
    lk->naptr = calloc(n ? n : 1, sizeof *lk->naptr);
    if (!lk->naptr)
        return VX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const vx__sip_naptr *in = &r->naptr[i];
        if (!in->replacement || vx__name_normalize(in->replacement, norm, sizeof norm) != VX_OK)
            continue;
        vx__sip_naptr_copy *c = &lk->naptr[lk->naptr_count];
        c->order = in->order;
        c->pref = in->pref;
        c->ttl = in->ttl;
        c->flag_s = in->flags && strcasecmp(in->flags, "s") == 0;
        decode_service(in->service, c);
        if (!(c->replacement = strdup(norm)))
            return VX_ENOMEM;
        lk->naptr_count++;
    }
    return VX_OK;
}

static int copy_srv(vx__sip_lookup *lk, const vx__sip_records *r)
{
    size_t n = r->srv_count < VX__SIP_MAX_SRV ? r->srv_count : VX__SIP_MAX_SRV;
    char norm[VX__NAME_TEXT_MAX];
    lk->srv = calloc(n ? n : 1, sizeof *lk->srv);
    if (!lk->srv)
        return VX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!r->srv[i].target || vx__name_normalize(r->srv[i].target, norm, sizeof norm) != VX_OK)
            continue;
        char *target = strdup(norm);
        if (!target)
            return VX_ENOMEM;
        lk->srv[lk->srv_count] = r->srv[i];
        lk->srv[lk->srv_count++].target = target;
    }
    return VX_OK;
}

/* Only addresses of the family asked for: an A answer carrying IPv6 is not trusted. */
static int copy_addr(vx__sip_lookup *lk, const vx__sip_records *r)
{
    int family = lk->type == VX__SIP_RR_A ? AF_INET : AF_INET6;
    lk->addr = calloc(VX__SIP_MAX_ADDRS, sizeof *lk->addr);
    if (!lk->addr)
        return VX_ENOMEM;
    for (size_t i = 0; i < r->addr_count && lk->addr_count < VX__SIP_MAX_ADDRS; i++)
        if (r->addr[i].addr.ss_family == family)
            lk->addr[lk->addr_count++] = r->addr[i];
    return VX_OK;
}

static size_t records_of_type(const vx__sip_lookup *lk, const vx__sip_records *r)
{
    switch (lk->type) {
    case VX__SIP_RR_NAPTR:
        return r->naptr_count;
    case VX__SIP_RR_SRV:
        return r->srv_count;
    default:
        return r->addr_count;
    }
}

/* The name is an alias: ask the same type at its canonical name. */
static int follow_cname(vx__sip_lookup *lk, const char *cname, uint32_t ttl)
{
    char norm[VX__NAME_TEXT_MAX];
    if (lk->hops >= VX__SIP_CNAME_HOPS)
        return VX_ELIMIT;
    if (vx__name_normalize(cname, norm, sizeof norm) != VX_OK)
        return VX_EMALFORMED;
    char *copy = strdup(norm);
    if (!copy)
        return VX_ENOMEM;
    free(lk->qname);
    lk->qname = copy;
    lk->hops++;
    lk->ttl_floor = ttl < lk->ttl_floor ? ttl : lk->ttl_floor;
    lk->state = VX__SIP_LK_WANTED;
    return VX_OK;
}

static int copy_records(vx__sip_lookup *lk, const vx__sip_records *r)
{
    if (lk->type == VX__SIP_RR_NAPTR)
        return copy_naptr(lk, r);
    if (lk->type == VX__SIP_RR_SRV)
        return copy_srv(lk, r);
    return copy_addr(lk, r);
}

static void absorb(vx__sip_locator *loc, vx__sip_lookup *lk, const vx__sip_records *r)
{
    int rc = r->status;
    if (rc == VX_OK && r->cname && records_of_type(lk, r) == 0) {
        rc = follow_cname(lk, r->cname, r->cname_ttl);
        if (rc == VX_OK)
            return;
    } else if (rc == VX_OK) {
        rc = copy_records(lk, r);
    }
    lk->status = rc;
    lk->state = VX__SIP_LK_DONE;
    if (rc != VX_OK && rc != VX_ENOTFOUND)
        vx__sip_note_error(loc, rc);
}

/* ---- moving on ------------------------------------------------------------------------- */

static void advance(vx__sip_locator *loc)
{
    while (!loc->done) {
        vx__sip_job *job = &loc->jobs[loc->cur];
        if (loc->error == VX_ENOMEM) {
            loc->done = true;
        } else if (job->stage != VX__SIP_ST_DONE) {
            if (!vx__sip_job_ready(loc, job))
                return;
            vx__sip_job_step(loc, job);
        } else if ((job->targets_found > 0 && !loc->opts.all_domains) ||
                   loc->cur + 1 == loc->job_count) {
            loc->done = true;
        } else {
            vx__sip_job_start(loc, &loc->jobs[++loc->cur]);
        }
    }
    vx__sip_result_finish(loc);
}

int vx__sip_locate_next_question(vx__sip_locator *loc, const char **name, uint16_t *type)
{
    if (!loc || !name || !type)
        return VX_EINVAL;
    for (size_t i = 0; !loc->done && i < loc->lk_count; i++) {
        vx__sip_lookup *lk = &loc->lk[i];
        if (lk->state != VX__SIP_LK_WANTED)
            continue;
        /* Two aliases may lead to the same name: ask it once, answer both (see feed). */
        for (size_t j = i; j < loc->lk_count; j++)
            if (loc->lk[j].state == VX__SIP_LK_WANTED && loc->lk[j].type == lk->type &&
                strcmp(loc->lk[j].qname, lk->qname) == 0)
                loc->lk[j].state = VX__SIP_LK_ASKED;
        *name = lk->qname;
        *type = lk->type;
        return VX_OK;
    }
    return VX_ENOTFOUND;
}

int vx__sip_locate_feed(vx__sip_locator *loc, const char *name, uint16_t type,
                        const vx__sip_records *recs)
{
    char norm[VX__NAME_TEXT_MAX];
    bool matched = false;
    if (!loc || !recs || vx__name_normalize(name, norm, sizeof norm) != VX_OK)
        return VX_EINVAL;
    for (size_t i = 0; !loc->done && i < loc->lk_count; i++) {
        vx__sip_lookup *lk = &loc->lk[i];
        if (lk->state != VX__SIP_LK_DONE && lk->type == type && strcmp(lk->qname, norm) == 0) {
            absorb(loc, lk, recs);
            matched = true;
        }
    }
    if (!matched)
        return VX_ENOTFOUND;
    advance(loc);
    return VX_OK;
}

bool vx__sip_locate_done(const vx__sip_locator *loc)
{
    return !loc || loc->done;
}

/* ---- starting -------------------------------------------------------------------------- */

static int add_job(vx__sip_locator *loc, const char *text, char *err, size_t cap)
{
    vx__sip_job *job = &loc->jobs[loc->job_count];
    int rc = vx__sip_uri_parse(text, strlen(text), &job->uri, err, cap);
    if (rc != VX_OK)
        return rc;
    job->index = loc->job_count++;
    return VX_OK;
}

/* A bare domain inherits the scheme and transport of the URI; a full URI stands alone. */
static int add_fallback(vx__sip_locator *loc, const char *text, size_t i, char *err, size_t cap)
{
    char buf[VX__SIP_URI_MAX];
    const vx__sip_uri *first = &loc->jobs[0].uri;
    if (!text)
        return VX_EINVAL;
    if (strncasecmp(text, "sip:", 4) != 0 && strncasecmp(text, "sips:", 5) != 0) {
        int n = snprintf(buf, sizeof buf, "%s:%s%s%s", first->secure ? "sips" : "sip", text,
                         first->transport ? ";transport=" : "",
                         first->transport ? vx__sip_transport_name(first->transport) : "");
        if (n < 0 || (size_t)n >= sizeof buf)
            return VX_EINVAL;
        text = buf;
    }
    char why[256];
    int rc = add_job(loc, text, why, sizeof why);
    if (rc != VX_OK && err && cap)
        snprintf(err, cap, "fallback domain %zu: %s", i + 1, why);
    return rc;
}

static void seed_random(vx__sip_locator *loc)
{
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0)
        seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)loc;
    vx__sip_xorshift_seed(&loc->rng, seed);
    loc->opts.random = vx__sip_xorshift_next;
    loc->opts.random_ctx = &loc->rng;
}

/* The extra SRV prefixes are copied: the caller's array is not ours to keep. */
static int copy_extra_srv(vx__sip_locator *loc, char *err, size_t cap)
{
    const vx__sip_opts *o = &loc->opts;
    if (o->extra_srv_count > VX__SIP_MAX_EXTRA_SRV || (o->extra_srv_count && !o->extra_srv)) {
        if (err && cap)
            snprintf(err, cap, "too many extra SRV names (at most %d)", VX__SIP_MAX_EXTRA_SRV);
        return VX_EINVAL;
    }
    for (size_t i = 0; i < o->extra_srv_count; i++) {
        const vx__sip_srv_name *e = &o->extra_srv[i];
        int n = snprintf(loc->extra[i].prefix, sizeof loc->extra[i].prefix, "%s",
                         e->prefix ? e->prefix : "");
        if (n <= 0 || (size_t)n >= sizeof loc->extra[i].prefix || e->transport == 0) {
            if (err && cap)
                snprintf(err, cap, "extra SRV name %zu is not usable", i + 1);
            return VX_EINVAL;
        }
        loc->extra[i].transport = e->transport;
    }
    loc->extra_count = o->extra_srv_count;
    loc->opts.extra_srv = NULL;
    loc->opts.extra_srv_count = 0;
    return VX_OK;
}

static int setup(vx__sip_locator *loc, const char *uri, const vx__sip_opts *opts, char *err,
                 size_t cap)
{
    if (opts)
        loc->opts = *opts;
    int rc = copy_extra_srv(loc, err, cap);
    if (rc != VX_OK)
        return rc;
    if (loc->opts.transports == 0)
        loc->opts.transports = VX__SIP_UDP | VX__SIP_TCP | VX__SIP_TLS;
    if (loc->opts.families == 0)
        loc->opts.families = VX__SIP_AF_V4 | VX__SIP_AF_V6;
    if (!loc->opts.random)
        seed_random(loc);
    if (loc->opts.fallback_count + 1 > VX__SIP_MAX_DOMAINS) {
        if (err && cap)
            snprintf(err, cap, "too many fallback domains (at most %d)", VX__SIP_MAX_DOMAINS - 1);
        return VX_EINVAL;
    }
    rc = add_job(loc, uri, err, cap);
    for (size_t i = 0; rc == VX_OK && i < loc->opts.fallback_count; i++)
        rc = add_fallback(loc, loc->opts.fallback_domains[i], i, err, cap);
    /* The caller's array is not ours to keep. */
    loc->opts.fallback_domains = NULL;
    loc->opts.fallback_count = 0;
    return rc;
}

int vx__sip_locate_start(const char *uri, const vx__sip_opts *opts, vx__sip_locator **out,
                         char *err, size_t errcap)
{
    if (!out)
        return VX_EINVAL;
    *out = NULL;
    if (!uri) {
        if (err && errcap)
            snprintf(err, errcap, "no URI");
        return VX_EINVAL;
    }
    vx__sip_locator *loc = calloc(1, sizeof *loc);
    if (!loc || !(loc->res = vx__sip_result_new())) {
        free(loc);
        return VX_ENOMEM;
    }
    int rc = setup(loc, uri, opts, err, errcap);
    if (rc != VX_OK) {
        vx__sip_locator_free(loc);
        return rc;
    }
    vx__sip_job_start(loc, &loc->jobs[0]);
    advance(loc);
    *out = loc;
    return VX_OK;
}

/* ---- ending ---------------------------------------------------------------------------- */

int vx__sip_locate_result(vx__sip_locator *loc, vx__sip_result **out)
{
    if (!loc || !out || !loc->done || !loc->res)
        return VX_EINVAL;
    *out = loc->res;
    loc->res = NULL;
    return VX_OK;
}

void vx__sip_locator_free(vx__sip_locator *loc)
{
    if (!loc)
        return;
    for (size_t i = 0; i < loc->lk_count; i++)
        lk_clear(&loc->lk[i]);
    for (size_t i = 0; i < loc->job_count; i++)
        vx__sip_job_clear(&loc->jobs[i]);
    vx__sip_result_free(loc->res);
    free(loc);
}

int vx__sip_locate(const char *uri, const vx__sip_opts *opts, vx__sip_lookup_fn lookup, void *ctx,
                   vx__sip_result **out, char *err, size_t errcap)
{
    vx__sip_locator *loc;
    if (!out || !lookup)
        return VX_EINVAL;
    *out = NULL;
    int rc = vx__sip_locate_start(uri, opts, &loc, err, errcap);
    if (rc != VX_OK)
        return rc;
    const char *name;
    uint16_t type;
    while (vx__sip_locate_next_question(loc, &name, &type) == VX_OK) {
        vx__sip_records recs;
        memset(&recs, 0, sizeof recs);
        recs.status = lookup(ctx, name, type, &recs);
        vx__sip_locate_feed(loc, name, type, &recs);
    }
    /* One question at a time, each answered at once: the machine cannot be left waiting. */
    rc = vx__sip_locate_result(loc, out);
    vx__sip_locator_free(loc);
    return rc == VX_OK ? (*out)->status : rc;
}
