/*
 * monitor/diff_record.c — records and TTLs in the monitor's diff (monitor/diff_impl.h): each
 * server's answer to each name and type against the baseline's, as RECORD-ADDED, -REMOVED,
 * -CHANGED, TTL-CHANGED and CHANGE-REVERTED (the hijack surface's answers take the same path
 * with their own events, monitor/diff_hijack.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

/* The server's own baseline answer; a server that is new (or had no answer in the baseline)
 * is held to the baseline's consensus. false: the baseline has no basis to compare with. */
static bool baseline_data(vx__diff_ctx *c, const vx__server *s, const char *qname, uint16_t qtype,
                          vx__diff_data *out)
{
    const vx__observation *o = vx__diff_find_answer(c->in->baseline, s, qname, qtype);
    if (!o && c->base_ok) {
        vx__answer a;
        vx__view_answer(&c->base, qname, qtype, &a);
        o = a.holders > 0 && vx__diff_obs_usable(a.obs) ? a.obs : NULL;
    }
    if (!o)
        return false;
    vx__diff_fail(c, vx__diff_data_of(o, qname, qtype, out));
    return c->rc == VX_OK;
}

static void change_event(vx__diff_ctx *c, const vx__diff_rec *r, const vx__diff_data *from,
                         vx__diff_ev *b)
{
    char was[VX__DIFF_MSG_MAX / 4], is[VX__DIFF_MSG_MAX / 4], base[VX__DIFF_MSG_MAX / 4],
        tail[VX__DIFF_MSG_MAX / 4 + 16] = "";
    vx__diff_data_text(from, was, sizeof was);
    vx__diff_data_text(r->now, is, sizeof is);
    vx__diff_data_text(r->base, base, sizeof base);
    vx__severity sev;
    vx__event_type type = vx__diff_change_type(c, r, from, &sev);
    vx__diff_ev_init(c, b, type, sev, r->label, r->qname, r->qtype);
    vx__diff_ev_data(b, from, r->now);
    if (from != r->base)
        snprintf(tail, sizeof tail, " (baseline: %s)", base);
    if (r->family == VX__DIFF_FAM_DELEGATION)
        vx__diff_ev_msg(b, "parent server %s delegates %s to %s instead of %s%s", r->label, b->name,
                        is, was, tail);
    else if (r->family == VX__DIFF_FAM_DS)
        vx__diff_ev_msg(b, "parent server %s answers %s DS with %s instead of %s%s", r->label,
                        b->name, is, was, tail);
    else
        vx__diff_ev_msg(b, "%s answers %s %s with %s instead of %s%s", r->label, b->name, r->tname,
                        is, was, tail);
}

/* The data differs from the baseline: announce it once, and again whenever it moves on to yet
 * another value (each value a hijacker tries is evidence). */
static void record_differs(vx__diff_ctx *c, const vx__diff_rec *r)
{
    char *detail = vx__diff_detail_pair(r->base, r->now);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = vx__diff_prev_get(c, r->rkey);
    vx__diff_data last;
    vx__diff_ev b;
    if (open && vx__diff_detail_new(open->detail, &last)) {
        if (!vx__diff_data_equal(&last, r->now)) {
            change_event(c, r, &last, &b);
            b.e.first_seen_ms = open->first_seen_ms;
            vx__diff_emit(c, &b);
        }
        vx__diff_data_free(&last);
        vx__diff_hold(c, r->rkey, open->opened_by, NULL, detail);
    } else {
        change_event(c, r, r->base, &b);
        vx__diff_hold(c, r->rkey, b.e.type, &b, detail);
    }
    free(detail);
}

/* The data equals the baseline. The change reverted — unless the baseline itself moved to the
 * changed data (the operator accepted it), which is not news. */
static void record_same(vx__diff_ctx *c, const vx__diff_rec *r)
{
    const vx__condition *open = vx__diff_prev_get(c, r->rkey);
    vx__diff_data last;
    if (!open || !vx__diff_detail_new(open->detail, &last)) {
        vx__diff_forget(c, r->rkey);
        return;
    }
    if (!vx__diff_data_equal(&last, r->now)) {
        char was[VX__DIFF_MSG_MAX / 3], is[VX__DIFF_MSG_MAX / 3], span[128];
        vx__diff_data_text(&last, was, sizeof was);
        vx__diff_data_text(r->now, is, sizeof is);
        vx__diff_bounds_text(c, open, span, sizeof span);
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_WARNING, r->label, r->qname,
                         r->qtype);
        vx__diff_ev_data(&b, &last, r->now);
        if (r->family == VX__DIFF_FAM_DELEGATION)
            vx__diff_ev_msg(
                &b,
                "parent server %s delegates %s to %s again, as in the baseline; it gave %s "
                "for %s",
                r->label, b.name, is, was, span);
        else
            vx__diff_ev_msg(
                &b, "%s answers %s %s with %s again, as in the baseline; it served %s for %s",
                r->label, b.name, r->tname, is, was, span);
        vx__diff_emit_closing(c, &b, open);
    }
    vx__diff_data_free(&last);
    vx__diff_forget(c, r->rkey);
}

static void ttl_event(vx__diff_ctx *c, const vx__diff_rec *r, const vx__diff_data *from,
                      vx__diff_ev *b)
{
    vx__diff_ev_init(c, b, VX__EV_TTL_CHANGED, VX__SEV_NOTICE, r->label, r->qname, r->qtype);
    vx__diff_ev_data(b, from, r->now);
    vx__diff_ev_msg(b, "%s serves %s %s with TTL %" PRIu32 " s instead of %" PRIu32 " s", r->label,
                    b->name, r->tname, r->now->ttl, from->ttl);
}

/* Same data, another TTL: announced once, and again for each further TTL. */
static void ttl_differs(vx__diff_ctx *c, const vx__diff_rec *r)
{
    char *detail = vx__diff_detail_pair(r->base, r->now);
    if (!detail) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    const vx__condition *open = vx__diff_prev_get(c, r->tkey);
    vx__diff_data last = {0};
    vx__diff_ev b;
    if (!open) {
        ttl_event(c, r, r->base, &b);
        vx__diff_hold(c, r->tkey, VX__EV_TTL_CHANGED, &b, detail);
    } else {
        if (vx__diff_detail_new(open->detail, &last) && last.ttl != r->now->ttl) {
            ttl_event(c, r, &last, &b);
            b.e.first_seen_ms = open->first_seen_ms;
            vx__diff_emit(c, &b);
        }
        vx__diff_hold(c, r->tkey, open->opened_by, NULL, detail);
    }
    vx__diff_data_free(&last);
    free(detail);
}

static void ttl_same(vx__diff_ctx *c, const vx__diff_rec *r)
{
    const vx__condition *open = vx__diff_prev_get(c, r->tkey);
    vx__diff_data last;
    if (!open || !vx__diff_detail_new(open->detail, &last)) {
        vx__diff_forget(c, r->tkey);
        return;
    }
    if (last.ttl != r->now->ttl) {
        char span[128];
        vx__diff_bounds_text(c, open, span, sizeof span);
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_CHANGE_REVERTED, VX__SEV_NOTICE, r->label, r->qname,
                         r->qtype);
        vx__diff_ev_data(&b, &last, r->now);
        vx__diff_ev_msg(&b,
                        "%s serves %s %s with the baseline TTL %" PRIu32 " s again (was %" PRIu32
                        " s for %s)",
                        r->label, b.name, r->tname, r->now->ttl, last.ttl, span);
        vx__diff_emit_closing(c, &b, open);
    }
    vx__diff_data_free(&last);
    vx__diff_forget(c, r->tkey);
}

static const char *const FAMILY_KEYS[][2] = {
    {"record", "ttl"}, {"delegation", "delegation-ttl"}, {"ds", "ds-ttl"}};

void vx__diff_compare_keys(vx__diff_rec *r)
{
    vx__rrtype_to_text(r->qtype, r->tname, sizeof r->tname);
    snprintf(r->rkey, sizeof r->rkey, "%s|%s|%s|%s", FAMILY_KEYS[r->family][0], r->label, r->qname,
             r->tname);
    snprintf(r->tkey, sizeof r->tkey, "%s|%s|%s|%s", FAMILY_KEYS[r->family][1], r->label, r->qname,
             r->tname);
}

void vx__diff_compare_one(vx__diff_ctx *c, vx__diff_rec *r)
{
    vx__diff_compare_keys(r);
    if (!vx__diff_data_equal(r->base, r->now)) {
        record_differs(c, r); /* the TTL condition waits: unknown while the data differs */
        return;
    }
    record_same(c, r);
    if (r->base->n > 0 && r->base->ttl != r->now->ttl)
        ttl_differs(c, r);
    else
        ttl_same(c, r);
}

/* SOA changes with every update (the serial): SERIAL-LAG watches it instead. */
bool vx__diff_compared_type(uint16_t t)
{
    return t != VX__T_SOA && t != VX__T_RRSIG;
}

/* Only the first usable answer per (address, name, type) counts. */
static bool first_of_its_kind(const vx__snapshot *snap, const vx__observation *o)
{
    for (const vx__observation *p = snap->obs; p < o; p++)
        if (vx__diff_is_data_udp(p) && p->qtype == o->qtype &&
            vx__addr_equal((const struct sockaddr *)&p->addr, (const struct sockaddr *)&o->addr) &&
            vx__name_eq(p->qname, o->qname) && vx__diff_obs_usable(p))
            return false;
    return true;
}

static void compare_obs(vx__diff_ctx *c, const vx__server *s, const char *label,
                        const vx__observation *o)
{
    vx__diff_data base, now;
    if (!baseline_data(c, s, o->qname, o->qtype, &base)) {
        char key[VX__DIFF_KEY_MAX], t[16];
        vx__rrtype_to_text(o->qtype, t, sizeof t);
        snprintf(key, sizeof key, "record|%s|%s|%s", label, o->qname, t);
        vx__diff_forget(c, key); /* no basis any more: the baseline was replaced */
        snprintf(key, sizeof key, "ttl|%s|%s|%s", label, o->qname, t);
        vx__diff_forget(c, key);
        return;
    }
    vx__diff_fail(c, vx__diff_data_of(o, o->qname, o->qtype, &now));
    if (c->rc == VX_OK) {
        vx__diff_rec r = {
            .label = label, .qname = o->qname, .qtype = o->qtype, .base = &base, .now = &now};
        vx__diff_compare_one(c, &r);
        vx__diff_data_free(&now);
    }
    vx__diff_data_free(&base);
}

void vx__diff_compare_server_records(vx__diff_ctx *c, const vx__server *s, const char *label)
{
    const vx__snapshot *snap = c->in->current;
    for (size_t i = 0; i < snap->obs_count && c->rc == VX_OK; i++) {
        const vx__observation *o = &snap->obs[i];
        if (vx__diff_is_data_udp(o) && vx__diff_same_addr(o, s) &&
            vx__diff_compared_type(o->qtype) && vx__diff_obs_usable(o) &&
            first_of_its_kind(snap, o))
            compare_obs(c, s, label, o);
    }
}
