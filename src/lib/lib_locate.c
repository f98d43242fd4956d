/*
 * lib/lib_locate.c — vx_locate(): runs the RFC 3263 locator (sip/locate.h) over the stub
 * resolver. Each question of the locator becomes a resolver lookup; each RESULT is turned into
 * the locator's record structs, noted as a trace step with its source and timing, and fed
 * back. A finished operation is delivered from the loop (the kick timer), never from inside
 * the call that started it.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib_impl.h"
#include "sip/records_ldns.h"
#include "wire/query.h"

static double ms_since(uint64_t t0_ns)
{
    return (double)(uv_hrtime() - t0_ns) / 1e6;
}

void vx__lib_op_free(vx_locate_op *op)
{
    for (size_t i = 0; i < op->nsteps; i++) {
        if (op->steps[i].lookup)
            vx__resdrv_cancel(op->res->drv, op->steps[i].lookup);
        free(op->steps[i].name);
    }
    free(op->steps);
    vx__sip_locator_free(op->loc);
    free(op->uri);
    free(op);
}

static void op_unlink(vx_locate_op *op)
{
    vx_resolver *r = op->res;
    if (op->prev)
        op->prev->next = op->next;
    else if (r->ops == op)
        r->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
}

vx__lib_step *vx__lib_add_step(vx_locate_op *op, const char *name, uint16_t type)
{
    if (op->nsteps == op->capsteps) {
        size_t cap = op->capsteps ? 2 * op->capsteps : 8;
        vx__lib_step *v = realloc(op->steps, cap * sizeof(*v));
        if (!v)
            return NULL;
        op->steps = v;
        op->capsteps = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return NULL;
    vx__lib_step *st = &op->steps[op->nsteps++];
    memset(st, 0, sizeof(*st));
    st->name = copy;
    st->type = type;
    st->start_ms = ms_since(op->t0_ns);
    return st;
}

static void mark_ready(vx_locate_op *op)
{
    if (!op->ready && vx__sip_locate_done(op->loc)) {
        op->ready = true;
        uv_timer_start(&op->res->kick, vx__lib_kick, 0, 0);
    }
}

/* A question that could not even be submitted is answered at once with the failure. */
static void fail_question(vx_locate_op *op, vx__lib_step *st, int status)
{
    vx__sip_records recs = {.status = status};
    st->status = status;
    st->ms = ms_since(op->t0_ns) - st->start_ms;
    vx__sip_locate_feed(op->loc, st->name, st->type, &recs);
}

/* Submits every question the locator has right now. */
static void ask(vx_locate_op *op)
{
    const char *name;
    uint16_t type;
    while (vx__sip_locate_next_question(op->loc, &name, &type) == VX_OK) {
        vx__lib_step *st = vx__lib_add_step(op, name, type);
        vx__question q;
        int rc = st ? vx__question_from_text(name, type, LDNS_RR_CLASS_IN, &q) : VX_ENOMEM;
        if (rc == VX_OK)
            rc = vx__resdrv_submit(op->res->drv, &q, &st->lookup);
        if (rc == VX_OK) {
            op->outstanding++;
        } else if (st) {
            st->lookup = 0;
            fail_question(op, st, rc);
        } else {
            vx__sip_records recs = {.status = rc};
            vx__sip_locate_feed(op->loc, name, type, &recs);
        }
    }
    mark_ready(op);
}

int vx_locate(vx_resolver *res, const char *uri, vx_locate_cb cb, void *arg, vx_locate_op **out)
{
    if (!res || !uri || !cb)
        return VX_EINVAL;
    vx_locate_op *op = calloc(1, sizeof(*op));
    if (!op)
        return VX_ENOMEM;
    op->res = res;
    op->cb = cb;
    op->arg = arg;
    op->t0_ns = uv_hrtime();
    vx__sip_opts opts = res->sip;
    vx__lib_feedback_opts(res, uri, &opts);
    op->uri = strdup(uri);
    int rc = op->uri ? vx__sip_locate_start(uri, &opts, &op->loc, NULL, 0) : VX_ENOMEM;
    if (rc != VX_OK) {
        free(op->uri);
        free(op);
        return rc;
    }
    op->next = res->ops;
    if (res->ops)
        res->ops->prev = op;
    res->ops = op;
    ask(op);
    if (out)
        *out = op;
    return VX_OK;
}

void vx_locate_cancel(vx_locate_op *op)
{
    if (!op)
        return;
    op_unlink(op);
    vx__lib_op_free(op);
}

int vx_uri_check(const char *uri, char *err, size_t errcap)
{
    if (!uri)
        return VX_EINVAL;
    vx__sip_uri parsed;
    return vx__sip_uri_parse(uri, strlen(uri), &parsed, err, errcap);
}

/* ---- answers ------------------------------------------------------------------------------ */

static vx_source public_source(vx__res_source s)
{
    switch (s) {
    case VX__SRC_NETWORK:
        return VX_SOURCE_NETWORK;
    case VX__SRC_CACHE:
        return VX_SOURCE_CACHE;
    case VX__SRC_STALE:
        return VX_SOURCE_STALE;
    case VX__SRC_STATIC:
        return VX_SOURCE_STATIC;
    default:
        return VX_SOURCE_NONE;
    }
}

static bool find_lookup(vx_resolver *r, uint64_t lookup, vx_locate_op **op, vx__lib_step **st)
{
    for (vx_locate_op *o = r->ops; o; o = o->next)
        for (size_t i = 0; i < o->nsteps; i++)
            if (o->steps[i].lookup == lookup) {
                *op = o;
                *st = &o->steps[i];
                return true;
            }
    return false;
}

static int answer_status(const vx__res_result *r)
{
    if (r->status != VX_OK)
        return r->status;
    return r->rcode == LDNS_RCODE_NXDOMAIN ? VX_ENOTFOUND : VX_OK;
}

void vx__lib_on_res_result(void *arg, const vx__res_result *r)
{
    vx_locate_op *op;
    vx__lib_step *st;
    if (!find_lookup(arg, r->lookup, &op, &st))
        return; /* the operation was cancelled */
    vx__sip_conv *c = calloc(1, sizeof(*c));
    vx__sip_records recs = {.status = c ? answer_status(r) : VX_ENOMEM};
    st->lookup = 0;
    st->source = public_source(r->source);
    st->security = (vx_security)(r->security <= VX__SEC_BOGUS ? r->security : VX__SEC_UNCHECKED);
    st->ms = ms_since(op->t0_ns) - st->start_ms;
    if (c && recs.status == VX_OK)
        st->records = vx__sip_records_from_ldns(c, r->answer, st->type, &recs);
    st->status = recs.status;
    op->outstanding--;
    vx__sip_locate_feed(op->loc, st->name, st->type, &recs);
    vx__sip_conv_free(c);
    ask(op);
}

/* Delivers every finished operation: one callback each, then the operation is freed. */
void vx__lib_kick(uv_timer_t *t)
{
    vx_resolver *r = t->data;
    for (;;) {
        vx_locate_op *op = r->ops;
        while (op && !op->ready)
            op = op->next;
        if (!op)
            return;
        op_unlink(op);
        vx_result *res = NULL; /* NULL when out of memory: vx_result_status() says VX_ENOMEM */
        vx__lib_result_new(op, &res);
        op->cb(op->arg, res);
        vx_result_free(res);
        vx__lib_op_free(op);
    }
}
