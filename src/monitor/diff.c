/*
 * monitor/diff.c — owns vx__diff_cycle(), the pure diff of one monitor cycle (monitor/diff.h):
 * this cycle's snapshot against the accepted baseline, the watched resolvers against the
 * authoritative servers, and the findings, each turned into open conditions and the events that
 * open and close them. This file holds the order of the rules and the fate of conditions no
 * rule decided; the rules live in one file per concern (monitor/diff_impl.h lists them).
 * docs/events.md states every rule an operator relies on; the comments say why a rule is the
 * way it is.
 *
 * Every condition from the previous cycle ends in one of four ways: it still holds (refreshed),
 * it no longer holds (closed with its closing event), its subject was not observed this cycle
 * (a server that did not answer, a question that timed out: carried over unchanged, because
 * "unknown" must never read as "reverted"), or its subject is gone (a server no longer in the
 * NS set, a resolver no longer watched, a name the baseline no longer has: dropped silently).
 */
#include "monitor/diff.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"

/* ---- conditions nobody decided ------------------------------------------------------------- */

static void settle(vx__diff_ctx *c, const vx__condition *cond)
{
    char subject[VX__LABEL_TEXT_MAX];
    vx__diff_key_subject(cond->key, subject, sizeof subject);
    if (vx__diff_has_prefix(cond->key, "finding|")) {
        if (c->in->findings)
            vx__diff_finding_cleared(c, cond);
        else
            vx__diff_keep(c, cond);
    } else if (vx__diff_has_prefix(cond->key, "sip-down|") ||
               vx__diff_has_prefix(cond->key, "cert|")) {
        if (vx__diff_ep_still_probed(c, cond->key))
            vx__diff_keep(c, cond);
    } else if (vx__diff_has_prefix(cond->key, "resolver-")) {
        if (vx__diff_resolver_watched(c, subject))
            vx__diff_keep(c, cond);
    } else if (vx__diff_has_prefix(cond->key, "record|") ||
               vx__diff_has_prefix(cond->key, "ttl|") ||
               vx__diff_has_prefix(cond->key, "delegation") ||
               vx__diff_has_prefix(cond->key, "ds|") || vx__diff_has_prefix(cond->key, "ds-ttl|") ||
               vx__diff_has_prefix(cond->key, "down|") || vx__diff_has_prefix(cond->key, "lag|") ||
               vx__diff_has_prefix(cond->key, "propslow|")) {
        if (vx__diff_current_server(c, subject) || vx__diff_asked_server(c, subject))
            vx__diff_keep(c, cond); /* not observed this cycle: unknown, not reverted */
    } else {
        vx__diff_keep(c, cond); /* among them "zone|": monitor/diff_zone.c decides them next */
    }
}

/* ---- the cycle ----------------------------------------------------------------------------- */

static void ctx_free(vx__diff_ctx *c)
{
    if (c->base_ok)
        vx__view_free(&c->base);
    if (c->cur_ok)
        vx__view_free(&c->cur);
    vx__conditions_clear(&c->next);
    free(c->handled);
}

static int ctx_init(vx__diff_ctx *c, const vx__diff_input *in, const vx__conditions *prev,
                    vx__events *out)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->prev = prev;
    c->out = out;
    vx__name_show(in->current->domain, c->domain, sizeof c->domain);
    c->handled = calloc(prev->count ? prev->count : 1, sizeof *c->handled);
    if (!c->handled)
        return VX_ENOMEM;
    c->base_ok = in->baseline && vx__view_build(in->baseline, NULL, &c->base) == VX_OK;
    c->cur_ok = vx__view_build(in->current, NULL, &c->cur) == VX_OK;
    size_t cap = sizeof c->ns_names / sizeof c->ns_names[0];
    if (c->cur_ok)
        c->ns_name_count = vx__view_ns_names(&c->cur, c->ns_names, cap);
    if (c->base_ok && c->ns_name_count < cap)
        c->ns_name_count +=
            vx__view_ns_names(&c->base, c->ns_names + c->ns_name_count, cap - c->ns_name_count);
    return VX_OK;
}

int vx__diff_cycle(const vx__diff_input *in, vx__conditions *open, vx__events *out)
{
    static const vx__diff_config defaults = {0};
    if (!in || !in->current || !in->current->domain || !open || !out)
        return VX_EINVAL;
    vx__diff_input input = *in;
    if (!input.cfg)
        input.cfg = &defaults;
    vx__diff_ctx c;
    int rc = ctx_init(&c, &input, open, out);
    if (rc == VX_OK) {
        vx__diff_check_servers(&c);
        if (c.rc == VX_OK)
            vx__diff_check_surface(&c);
        if (c.rc == VX_OK)
            vx__diff_check_server_set(&c);
        if (c.rc == VX_OK)
            vx__diff_check_alt_records(&c);
        for (size_t i = 0; i < input.resolver_count && c.rc == VX_OK; i++)
            vx__diff_check_resolver(&c, &input.resolvers[i]);
        if (c.rc == VX_OK)
            vx__diff_check_endpoints(&c);
        if (c.rc == VX_OK)
            vx__diff_check_propagation(&c);
        vx__diff_check_findings(&c);
        for (size_t i = 0; i < open->count && c.rc == VX_OK; i++)
            if (!c.handled[i])
                settle(&c, &open->items[i]);
        rc = c.rc;
    }
    if (rc == VX_OK) {
        vx__conditions_clear(open);
        *open = c.next;
        memset(&c.next, 0, sizeof c.next);
    }
    ctx_free(&c);
    return rc;
}
