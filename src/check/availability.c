/*
 * check/availability.c — owns the per-address availability checks (CHECKS.md "availability"):
 * nothing answers, one address is dead, TCP missing, lame, slow. A dead address (no UDP answer
 * at all) is reported once, as NS-UNREACHABLE, and by no other check of any area.
 */
#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"
#include "voxdns/status.h"

/* Why the first failed UDP question of a dead address failed ("timed out", "refused"). */
static const char *dead_reason(const vx__view *v, const vx__vserver *s)
{
    for (size_t i = 0; i < v->snap->obs_count; i++) {
        const vx__observation *o = &v->snap->obs[i];
        if (o->transport == VX__UDP && o->kind != VX__PROBE_FOREIGN && o->status != VX_OK &&
            o->status != VX_ECANCELED &&
            vx__addr_equal((const struct sockaddr *)&o->addr,
                           (const struct sockaddr *)&s->srv->addr))
            return vx_strerror(o->status);
    }
    return "no answer";
}

static size_t probed_count(const vx__view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->server_count; i++)
        n += v->servers[i].probed;
    return n;
}

VX__CHECK_FN(vx__chk_all_ns_unreachable)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    if (probed_count(&v) > 0 && v.alive_count == 0) {
        vx__strbuf list = {0};
        char d[VX__NAME_TEXT_MAX];
        vx__name_show(snap->domain, d, sizeof d);
        for (size_t i = 0; i < v.server_count; i++)
            vx__sb_item(&list, v.servers[i].label);
        vx__finding *f = vx__finding_add(
            out, "ALL-NS-UNREACHABLE", "none of the %zu authoritative addresses of %s answers: %s",
            v.server_count, d, vx__sb_str(&list));
        for (size_t i = 0; i < v.server_count; i++)
            vx__finding_add_server(f, v.servers[i].label);
        vx__finding_add_name(f, snap->domain);
        vx__sb_free(&list);
    }
    vx__view_free(&v);
}

/* Silent when every address is dead: ALL-NS-UNREACHABLE says it once. */
VX__CHECK_FN(vx__chk_ns_unreachable)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; v.alive_count > 0 && i < v.server_count; i++) {
        const vx__vserver *s = &v.servers[i];
        if (!s->probed || s->alive)
            continue;
        vx__finding *f = vx__finding_add(out, "NS-UNREACHABLE", "%s gives no answer over UDP (%s)",
                                         s->label, dead_reason(&v, s));
        vx__finding_add_server(f, s->label);
    }
    vx__view_free(&v);
}

VX__CHECK_FN(vx__chk_ns_no_tcp)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; i < v.server_count; i++) {
        const vx__vserver *s = &v.servers[i];
        const vx__observation *o =
            s->alive ? vx__view_obs_any(&v, s, VX__PROBE_DATA, VX__TCP, snap->domain, VX__T_SOA)
                     : NULL;
        if (!o || o->status == VX_OK || o->status == VX_ECANCELED)
            continue;
        vx__finding *f =
            vx__finding_add(out, "NS-NO-TCP", "%s answers over UDP but not over TCP (%s)", s->label,
                            vx_strerror(o->status));
        vx__finding_add_server(f, s->label);
    }
    vx__view_free(&v);
}

VX__CHECK_FN(vx__chk_ns_lame)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    char d[VX__NAME_TEXT_MAX];
    vx__name_show(snap->domain, d, sizeof d);
    for (size_t i = 0; i < v.server_count; i++) {
        const vx__vserver *s = &v.servers[i];
        if (!s->lame)
            continue;
        vx__finding *f = vx__finding_add(out, "NS-LAME", "%s is not authoritative for %s: %s",
                                         s->label, d, s->lame_reason);
        vx__finding_add_server(f, s->label);
        vx__finding_add_name(f, snap->domain);
    }
    vx__view_free(&v);
}

VX__CHECK_FN(vx__chk_ns_slow)
{
    vx__view v;
    if (vx__check_view_build(snap, cfg->profile, &v) != VX_OK)
        return;
    for (size_t i = 0; i < v.server_count; i++) {
        const vx__vserver *s = &v.servers[i];
        if (!s->alive || s->rtt_count == 0 || s->median_rtt_ms <= cfg->slow_ms)
            continue;
        vx__finding *f = vx__finding_add(
            out, "NS-SLOW", "%s answers in %.0f ms (median of %zu questions; threshold %.0f ms)",
            s->label, s->median_rtt_ms, s->rtt_count, cfg->slow_ms);
        vx__finding_add_server(f, s->label);
    }
    vx__view_free(&v);
}
