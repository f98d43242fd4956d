/*
 * monitor/diff_resolver.c — the watched recursive resolvers in the monitor's diff
 * (monitor/diff_impl.h): RESOLVER-DOWN and RESOLVER-MISMATCH against the authoritative
 * consensus of this cycle or of the baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/query.h"

static bool resolver_answered(const vx__resolver_obs *r)
{
    if (r->status != VX_OK)
        return false;
    for (size_t i = 0; i < r->obs_count; i++)
        if (r->obs[i].status == VX_OK)
            return true;
    return r->obs_count == 0;
}

/* The authoritative data a resolver may legitimately give: this cycle's consensus, or the
 * baseline's (a cache still holding the data from before an accepted change is not a fault). */
static bool consensus_data(vx__diff_ctx *c, const vx__view *v, bool ok, const char *qname,
                           uint16_t qtype, vx__diff_data *out)
{
    if (!ok)
        return false;
    vx__answer a;
    vx__view_answer(v, qname, qtype, &a);
    if (a.holders == 0 || !vx__diff_obs_usable(a.obs))
        return false;
    vx__diff_fail(c, vx__diff_data_of(a.obs, qname, qtype, out));
    return c->rc == VX_OK;
}

static void mismatch(vx__diff_ctx *c, const char *label, const char *key, const vx__diff_data *auth,
                     const vx__diff_data *got, const vx__observation *o)
{
    char *detail = vx__diff_detail_pair(auth, got);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = vx__diff_prev_get(c, key);
    vx__diff_data last = {0};
    bool again =
        open && vx__diff_detail_new(open->detail, &last) && !vx__diff_data_equal(&last, got);
    char a[VX__DIFF_MSG_MAX / 3], g[VX__DIFF_MSG_MAX / 3], t[16];
    vx__diff_data_text(auth, a, sizeof a);
    vx__diff_data_text(got, g, sizeof g);
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, VX__EV_RESOLVER_MISMATCH, VX__SEV_ERROR, label, o->qname, o->qtype);
    vx__diff_ev_data(&b, auth, got);
    vx__diff_ev_msg(&b, "resolver %s answers %s %s with %s; the authoritative servers say %s",
                    label, b.name, vx__rrtype_to_text(o->qtype, t, sizeof t), g, a);
    if (again) {
        b.e.first_seen_ms = open->first_seen_ms;
        vx__diff_emit(c, &b);
    }
    vx__diff_hold(c, key, VX__EV_RESOLVER_MISMATCH, &b, detail);
    vx__diff_data_free(&last);
    free(detail);
}

static void mismatch_gone(vx__diff_ctx *c, const char *label, const char *key,
                          const vx__diff_data *got, const vx__observation *o)
{
    const vx__condition *open = vx__diff_prev_get(c, key);
    vx__diff_data last;
    if (open && vx__diff_detail_new(open->detail, &last)) {
        char was[VX__DIFF_MSG_MAX / 3], is[VX__DIFF_MSG_MAX / 3], t[16], span[128];
        vx__diff_data_text(&last, was, sizeof was);
        vx__diff_data_text(got, is, sizeof is);
        vx__diff_bounds_text(c, open, span, sizeof span);
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, label, o->qname, o->qtype);
        vx__diff_ev_data(&b, &last, got);
        vx__diff_ev_msg(&b,
                        "resolver %s answers %s %s with %s again, like the authoritative servers; "
                        "it gave %s for %s",
                        label, b.name, vx__rrtype_to_text(o->qtype, t, sizeof t), is, was, span);
        vx__diff_emit_closing(c, &b, open);
        vx__diff_data_free(&last);
    }
    vx__diff_forget(c, key);
}

static void resolver_answer(vx__diff_ctx *c, const char *label, const vx__observation *o)
{
    char key[VX__DIFF_KEY_MAX], t[16];
    snprintf(key, sizeof key, "resolver-mismatch|%s|%s|%s", label, o->qname,
             vx__rrtype_to_text(o->qtype, t, sizeof t));
    if (o->status != VX_OK || (o->rcode != VX__RCODE_NOERROR && o->rcode != VX__RCODE_NXDOMAIN))
        return; /* unknown: a SERVFAIL or timeout says nothing about the data */
    vx__diff_data now = {0}, cur = {0}, base = {0};
    vx__diff_fail(c, vx__diff_data_of(o, o->qname, o->qtype, &now));
    bool have_cur = consensus_data(c, &c->cur, c->cur_ok, o->qname, o->qtype, &cur);
    bool have_base = consensus_data(c, &c->base, c->base_ok, o->qname, o->qtype, &base);
    if (c->rc != VX_OK)
        ; /* out of memory: reported by the caller */
    else if (!have_cur && !have_base)
        vx__diff_forget(c, key);
    else if ((have_cur && vx__diff_data_equal(&cur, &now)) ||
             (have_base && vx__diff_data_equal(&base, &now)))
        mismatch_gone(c, label, key, &now, o);
    else
        mismatch(c, label, key, have_cur ? &cur : &base, &now, o);
    vx__diff_data_free(&now);
    vx__diff_data_free(&cur);
    vx__diff_data_free(&base);
}

void vx__diff_check_resolver(vx__diff_ctx *c, const vx__resolver_obs *r)
{
    char key[VX__DIFF_KEY_MAX];
    snprintf(key, sizeof key, "resolver-down|%s", r->label);
    if (!resolver_answered(r)) {
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_RESOLVER_DOWN, VX__SEV_ERROR, r->label, NULL, 0);
        int why = r->status != VX_OK ? r->status : (r->obs_count ? r->obs[0].status : VX_OK);
        vx__diff_ev_msg(&b, "resolver %s does not answer (%s)", r->label, vx_strerror(why));
        char *detail = vx__diff_detail_fields("{s:s}", "error", vx_strerror(why));
        vx__diff_hold(c, key, VX__EV_RESOLVER_DOWN, &b, detail);
        free(detail);
        return;
    }
    vx__diff_recovered(c, key, r->label, "resolver");
    for (size_t i = 0; i < r->obs_count && c->rc == VX_OK; i++)
        resolver_answer(c, r->label, &r->obs[i]);
}

bool vx__diff_resolver_watched(const vx__diff_ctx *c, const char *label)
{
    for (size_t i = 0; i < c->in->resolver_count; i++)
        if (strcmp(c->in->resolvers[i].label, label) == 0)
            return true;
    return false;
}
