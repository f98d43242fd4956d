/*
 * lib/lib_feedback.c — target feedback (voxdns/feedback.h): the resolver's health table
 * (sip/health.h) behind a mutex, the calls that report a target's fate, the locator's view of
 * the table (which targets are held, which one is preferred), and the static cache's targets
 * when every target a location found is held down.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib_impl.h"
#include "sip/records_ldns.h"
#include "wire/query.h"

/* The clock of the hold-downs: monotonic and safe to read from any thread. */
uint64_t vx__lib_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

int vx_config_set_holddown(vx_config *cfg, unsigned base_ms, unsigned max_ms)
{
    unsigned base = base_ms ? base_ms : VX__SIP_HOLD_BASE_MS;
    unsigned max = max_ms ? max_ms : VX__SIP_HOLD_MAX_MS;
    if (!cfg || base > max)
        return VX_EINVAL;
    cfg->hold_base_ms = base_ms;
    cfg->hold_max_ms = max_ms;
    return VX_OK;
}

int vx__lib_health_new(vx_resolver *r, const vx_config *cfg)
{
    if (pthread_mutex_init(&r->health_lock, NULL) != 0)
        return VX_ENOMEM;
    int rc = vx__sip_health_new(cfg->hold_base_ms, cfg->hold_max_ms, &r->health);
    if (rc != VX_OK)
        pthread_mutex_destroy(&r->health_lock);
    return rc;
}

void vx__lib_health_free(vx_resolver *r)
{
    if (!r->health)
        return;
    vx__sip_health_free(r->health);
    r->health = NULL;
    pthread_mutex_destroy(&r->health_lock);
}

/* ---- reports ------------------------------------------------------------------------------- */

static const vx__sip_target *reported(const vx_resolver *res, const vx_result *r, size_t i)
{
    if (!res || !r || !r->sip || i >= r->sip->count)
        return NULL;
    return &r->sip->targets[i];
}

int vx_target_failed(vx_resolver *res, const vx_result *r, size_t i, vx_failure why,
                     unsigned retry_after_s)
{
    const vx__sip_target *t = reported(res, r, i);
    if (!t || why < VX_FAIL_TIMEOUT || why > VX_FAIL_OTHER || (retry_after_s && why != VX_FAIL_503))
        return VX_EINVAL;
    uint64_t hint = (uint64_t)retry_after_s * 1000u;
    pthread_mutex_lock(&res->health_lock);
    vx__sip_health_failed(res->health, t->transport, (const struct sockaddr *)&t->addr,
                          vx__lib_now_ms(), hint > UINT32_MAX ? UINT32_MAX : (uint32_t)hint);
    pthread_mutex_unlock(&res->health_lock);
    return VX_OK;
}

int vx_target_succeeded(vx_resolver *res, const vx_result *r, size_t i)
{
    const vx__sip_target *t = reported(res, r, i);
    if (!t)
        return VX_EINVAL;
    pthread_mutex_lock(&res->health_lock);
    vx__sip_health_succeeded(res->health, r->uri, t->transport, (const struct sockaddr *)&t->addr,
                             vx__lib_now_ms());
    pthread_mutex_unlock(&res->health_lock);
    return VX_OK;
}

int vx_result_held(const vx_result *r, size_t i)
{
    return r && r->sip && i < r->sip->count && r->sip->targets[i].held;
}

/* ---- the locator's view ------------------------------------------------------------------- */

static bool held(void *ctx, vx__sip_transport t, const struct sockaddr *sa)
{
    vx_resolver *r = ctx;
    pthread_mutex_lock(&r->health_lock);
    bool h = vx__sip_health_held(r->health, t, sa, vx__lib_now_ms(), NULL);
    pthread_mutex_unlock(&r->health_lock);
    return h;
}

void vx__lib_feedback_opts(vx_resolver *r, const char *uri, vx__sip_opts *opts)
{
    opts->held = held;
    opts->held_ctx = r;
    pthread_mutex_lock(&r->health_lock);
    opts->has_preferred =
        vx__sip_health_preferred(r->health, uri, &opts->preferred_transport, &opts->preferred);
    pthread_mutex_unlock(&r->health_lock);
}

/* ---- the static cache's targets ------------------------------------------------------------ */

typedef struct static_ctx {
    vx_locate_op *op;
    const vx__static_cache *sc;
    vx__sip_conv *conv; /* of the previous question: the locator copies before the next */
} static_ctx;

/* The locator's question answered from the static cache alone, noted as a trace step. */
static int static_lookup(void *arg, const char *name, uint16_t type, vx__sip_records *out)
{
    static_ctx *c = arg;
    vx__question q;
    ldns_rr_list *rrs = NULL;
    vx__sip_conv_free(c->conv);
    c->conv = calloc(1, sizeof(*c->conv));
    vx__lib_step *st = vx__lib_add_step(c->op, name, type);
    int rc = !c->conv || !st ? VX_ENOMEM : vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q);
    if (rc == VX_OK)
        rc = vx__static_lookup(c->sc, &q, &rrs);
    if (rc == VX_OK)
        st->records = vx__sip_records_from_ldns(c->conv, rrs, type, out);
    ldns_rr_list_deep_free(rrs);
    if (st) {
        st->source = VX_SOURCE_STATIC;
        st->status = rc;
    }
    return rc;
}

/* Every target found is held: the static cache may know others (a phone's "the returned
 * record cannot be contacted" case). Its targets go before the held ones. */
void vx__lib_static_pass(vx_locate_op *op, vx__sip_result *sip)
{
    const vx__static_cache *sc = vx__res_static(vx__resdrv_res(op->res->drv));
    if (sip->count == 0 || sip->held_count < sip->count || !sc || vx__static_count(sc) == 0)
        return;
    vx__sip_opts opts = op->res->sip;
    vx__lib_feedback_opts(op->res, op->uri, &opts);
    static_ctx c = {.op = op, .sc = sc};
    vx__sip_result *found = NULL;
    if (vx__sip_locate(op->uri, &opts, static_lookup, &c, &found, NULL, 0) == VX_OK)
        (void)vx__sip_result_append(sip, found); /* out of memory: the held targets remain */
    vx__sip_result_free(found);
    vx__sip_conv_free(c.conv);
}
