/*
 * lib/lib_result.c — vx_result: the ordered targets of a location with their sources, the
 * trace of its DNS steps, the accessors, and the blocking calls that produce one.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib_impl.h"

/* Least fresh first: a target built from stale data is as old as its stalest part. */
static int freshness_rank(vx_source s)
{
    static const int rank[] = {0, 1, 2, 3, 4}; /* none, network, cache, stale, static */
    return (unsigned)s < 5u ? rank[s] : 0;
}

/* The source of the address step that gave target t (host and family match). */
static vx_source target_source(const vx_result *r, const vx__sip_target *t)
{
    uint16_t type = t->addr.ss_family == AF_INET6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;
    vx_source worst = VX_SOURCE_NONE;
    for (size_t i = 0; i < r->nsteps; i++) {
        const vx__lib_step *st = &r->steps[i];
        if (st->type == type && strcasecmp(st->name, t->host) == 0 &&
            freshness_rank(st->source) > freshness_rank(worst))
            worst = st->source;
    }
    return worst;
}

static int fill_targets(vx_result *r)
{
    size_t n = r->sip ? r->sip->count : 0;
    r->targets = calloc(n ? n : 1, sizeof(*r->targets));
    if (!r->targets)
        return VX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const vx__sip_target *t = &r->sip->targets[i];
        vx__addr_format((const struct sockaddr *)&t->addr, r->targets[i].address,
                        sizeof(r->targets[i].address));
        /* pass 1: the static cache's targets, found when every other one was held */
        r->targets[i].source = t->pass ? VX_SOURCE_STATIC : target_source(r, t);
    }
    return VX_OK;
}

/* Takes the steps over from op (names included) and the locator's result. */
int vx__lib_result_new(vx_locate_op *op, vx_result **out)
{
    vx_result *r = calloc(1, sizeof(*r));
    if (!r)
        return VX_ENOMEM;
    r->refs = 1;
    int rc = vx__sip_locate_result(op->loc, &r->sip);
    if (rc == VX_OK)
        vx__lib_static_pass(op, r->sip); /* before the steps are taken: it adds some */
    r->uri = op->uri;
    op->uri = NULL;
    r->elapsed_ms = (double)(uv_hrtime() - op->t0_ns) / 1e6;
    r->steps = op->steps;
    r->nsteps = op->nsteps;
    op->steps = NULL;
    op->nsteps = op->capsteps = 0;
    r->status = rc == VX_OK ? r->sip->status : rc;
    if (rc == VX_OK)
        rc = fill_targets(r);
    if (rc != VX_OK) {
        vx_result_free(r);
        return rc;
    }
    *out = r;
    return VX_OK;
}

int vx_result_copy(const vx_result *r, vx_result **out)
{
    if (!r || !out)
        return VX_EINVAL;
    vx_result *m = (vx_result *)r; /* immutable once made: a reference is as good as a copy */
    m->refs++;
    *out = m;
    return VX_OK;
}

void vx_result_free(vx_result *r)
{
    if (!r || --r->refs > 0)
        return;
    for (size_t i = 0; i < r->nsteps; i++)
        free(r->steps[i].name);
    free(r->steps);
    free(r->targets);
    vx__sip_result_free(r->sip);
    free(r->uri);
    free(r);
}

/* ---- accessors ------------------------------------------------------------------------------ */

int vx_result_status(const vx_result *r)
{
    return r ? r->status : VX_ENOMEM;
}

size_t vx_result_count(const vx_result *r)
{
    return r && r->sip ? r->sip->count : 0;
}

static const vx__sip_target *target(const vx_result *r, size_t i)
{
    return i < vx_result_count(r) ? &r->sip->targets[i] : NULL;
}

unsigned vx_result_transport(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? (unsigned)t->transport : 0;
}

const char *vx_result_host(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? t->host : NULL;
}

uint16_t vx_result_port(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? t->port : 0;
}

const struct sockaddr *vx_result_addr(const vx_result *r, size_t i, socklen_t *len)
{
    const vx__sip_target *t = target(r, i);
    if (len)
        *len = t ? t->addr_len : 0;
    return t ? (const struct sockaddr *)&t->addr : NULL;
}

const char *vx_result_address(const vx_result *r, size_t i)
{
    return target(r, i) ? r->targets[i].address : NULL;
}

const char *vx_result_tls_identity(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? t->tls_identity : NULL;
}

const char *vx_result_domain(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? t->domain : NULL;
}

uint32_t vx_result_ttl(const vx_result *r, size_t i)
{
    const vx__sip_target *t = target(r, i);
    return t ? t->ttl : 0;
}

vx_source vx_result_source(const vx_result *r, size_t i)
{
    return target(r, i) ? r->targets[i].source : VX_SOURCE_NONE;
}

size_t vx_result_step_count(const vx_result *r)
{
    return r ? r->nsteps : 0;
}

static const vx__lib_step *step(const vx_result *r, size_t i)
{
    return r && i < r->nsteps ? &r->steps[i] : NULL;
}

const char *vx_result_step_name(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->name : NULL;
}

uint16_t vx_result_step_type(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->type : 0;
}

vx_source vx_result_step_source(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->source : VX_SOURCE_NONE;
}

int vx_result_step_status(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->status : VX_EINVAL;
}

size_t vx_result_step_records(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->records : 0;
}

vx_security vx_result_step_security(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->security : VX_SECURITY_UNCHECKED;
}

const char *vx_security_name(vx_security s)
{
    static const char *const names[] = {"unchecked", "secure", "insecure", "bogus"};
    return (unsigned)s < 4u ? names[s] : "unknown";
}

double vx_result_step_start_ms(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->start_ms : 0.0;
}

double vx_result_step_ms(const vx_result *r, size_t i)
{
    return step(r, i) ? step(r, i)->ms : 0.0;
}

double vx_result_elapsed_ms(const vx_result *r)
{
    return r ? r->elapsed_ms : 0.0;
}

const char *vx_source_name(vx_source s)
{
    static const char *const names[] = {"none", "network", "cache", "stale", "static"};
    return (unsigned)s < 5u ? names[s] : "unknown";
}

const char *vx_transport_name(unsigned t)
{
    switch (t) {
    case VX_UDP:
        return "udp";
    case VX_TCP:
        return "tcp";
    case VX_TLS:
        return "tls";
    case VX_SCTP:
        return "sctp";
    default:
        return "?";
    }
}

/* ---- blocking ------------------------------------------------------------------------------- */

typedef struct blocking {
    uv_loop_t *loop;
    bool done;
    vx_result *result;
} blocking;

/* uv_stop(): the callback runs from the timer phase of uv_run(UV_RUN_ONCE), which would then
 * still wait in the poll phase for the loop's next timer — the attempts of earlier lookups
 * that go on refreshing the cache — before returning (seen: a stale answer ready in 0.02 ms
 * returned after a second). A stopped loop polls without waiting. */
static void on_blocking_done(void *arg, const vx_result *result)
{
    blocking *b = arg;
    b->done = true;
    uv_stop(b->loop);
    if (result)
        vx_result_copy(result, &b->result);
}

int vx_resolver_locate_blocking(vx_resolver *res, const char *uri, vx_result **out)
{
    if (!res || !out || !res->owns_loop)
        return VX_EINVAL;
    *out = NULL;
    blocking b = {.loop = res->loop};
    int rc = vx_locate(res, uri, on_blocking_done, &b, NULL);
    if (rc != VX_OK)
        return rc;
    while (!b.done)
        uv_run(res->loop, UV_RUN_ONCE);
    *out = b.result;
    return vx_result_status(b.result);
}

int vx_locate_blocking(const char *uri, const vx_config *cfg, vx_result **out)
{
    vx_resolver *res;
    if (!out)
        return VX_EINVAL;
    *out = NULL;
    int rc = vx_resolver_new(cfg, &res);
    if (rc != VX_OK)
        return rc;
    rc = vx_resolver_locate_blocking(res, uri, out);
    vx_resolver_free(res);
    return rc;
}
