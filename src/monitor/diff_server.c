/*
 * monitor/diff_server.c — the authoritative servers in the monitor's diff
 * (monitor/diff_impl.h): liveness (NS-DOWN, NS-RECOVERED), each live server's records
 * (monitor/diff_record.c), serials (SERIAL-LAG), and the same records under the alternate
 * domains.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/diff_impl.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/query.h"

/* ---- liveness: NS-DOWN / NS-RECOVERED ------------------------------------------------------ */

typedef enum liveness { LIVE_UNKNOWN = 0, LIVE_UP, LIVE_DOWN } liveness;

/* Down: asked over UDP and not one DATA question got a response. */
static liveness server_liveness(const vx__snapshot *snap, const vx__server *s, int *why)
{
    liveness l = LIVE_UNKNOWN;
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (!vx__diff_is_data_udp(o) || !vx__diff_same_addr(o, s))
            continue;
        if (o->status == VX_OK)
            return LIVE_UP;
        if (l == LIVE_UNKNOWN || *why == VX_ECANCELED)
            *why = o->status;
        l = LIVE_DOWN;
    }
    return l;
}

void vx__diff_recovered(vx__diff_ctx *c, const char *key, const char *label, const char *what)
{
    const vx__condition *open = vx__diff_prev_get(c, key);
    if (!open)
        return;
    char span[128];
    vx__diff_bounds_text(c, open, span, sizeof span);
    vx__diff_ev b;
    vx__diff_ev_init(c, &b, VX__EV_NS_RECOVERED, VX__SEV_NOTICE, label, NULL, 0);
    vx__diff_ev_msg(&b, "%s %s answers again after an outage of %s", what, label, span);
    vx__diff_emit_closing(c, &b, open);
    vx__diff_forget(c, key);
}

static liveness check_liveness(vx__diff_ctx *c, const vx__server *s, const char *label)
{
    char key[VX__DIFF_KEY_MAX];
    snprintf(key, sizeof key, "down|%s", label);
    int why = VX_ETIMEDOUT;
    liveness l = server_liveness(c->in->current, s, &why);
    if (l == LIVE_UP) {
        vx__diff_recovered(c, key, label, "name server");
    } else if (l == LIVE_DOWN) {
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_NS_DOWN, VX__SEV_ERROR, label, NULL, 0);
        vx__diff_ev_msg(&b, "name server %s does not answer over UDP (%s)", label,
                        vx_strerror(why));
        char *detail = vx__diff_detail_fields("{s:s}", "error", vx_strerror(why));
        vx__diff_hold(c, key, VX__EV_NS_DOWN, &b, detail);
        free(detail);
    }
    return l;
}

/* ---- serials: SERIAL-LAG ------------------------------------------------------------------- */

/* RFC 1982: a < b in serial number arithmetic. */
static bool serial_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u;
}

typedef struct serial_of {
    const vx__server *srv;
    uint32_t serial;
    const char *rdata;
    bool known;
} serial_of;

static void serial_read(const vx__diff_ctx *c, const vx__server *s, serial_of *out)
{
    memset(out, 0, sizeof *out);
    out->srv = s;
    const char *d = c->in->current->domain;
    const vx__observation *o = vx__diff_find_answer(c->in->current, s, d, VX__T_SOA);
    const vx__rrset *soa = o ? vx__obs_find(o, VX__SECTION_ANSWER, d, VX__T_SOA) : NULL;
    uint32_t r, rt, e, m;
    if (soa && soa->count > 0 &&
        vx__soa_parse(soa->rdata[0], &out->serial, &r, &rt, &e, &m) == VX_OK) {
        out->rdata = soa->rdata[0];
        out->known = true;
    }
}

static void lag_behind(vx__diff_ctx *c, const char *label, const serial_of *me,
                       const serial_of *top)
{
    char key[VX__DIFF_KEY_MAX];
    snprintf(key, sizeof key, "lag|%s", label);
    const vx__condition *open = vx__diff_prev_get(c, key);
    uint64_t first = open ? open->first_seen_ms : c->in->now_ms;
    uint64_t measured = vx__diff_prop_lag_start(c, label, top->serial);
    first = measured < first ? measured : first; /* the NOTIFY, not the cycle that saw it */
    bool announced = open && vx__diff_detail_bool(open->detail, "announced");
    bool due = announced || vx__diff_since(c, first) >= c->in->cfg->serial_lag_ms;
    char *detail = vx__diff_detail_fields("{s:b,s:s,s:s}", "announced", due, "old", me->rdata,
                                          "new", top->rdata);
    vx__diff_ev b;
    char span[32];
    vx__diff_span_text(vx__diff_since(c, first), span, sizeof span);
    vx__diff_ev_init(c, &b, VX__EV_SERIAL_LAG, VX__SEV_WARNING, label, c->in->current->domain,
                     VX__T_SOA);
    vx__diff_ev_msg(&b, "%s serves SOA serial %" PRIu32 ", behind the newest %" PRIu32 "%s%s",
                    label, me->serial, top->serial, vx__diff_since(c, first) ? " for " : "",
                    vx__diff_since(c, first) ? span : "");
    char *old_v[1] = {(char *)me->rdata}, *new_v[1] = {(char *)top->rdata};
    b.e.old_data = old_v;
    b.e.old_count = 1;
    b.e.new_data = new_v;
    b.e.new_count = 1;
    b.e.first_seen_ms = first;
    if (open && due && !announced)
        vx__diff_emit(c, &b);
    vx__diff_hold_since(c, key, VX__EV_SERIAL_LAG, due && !open ? &b : NULL, detail, first);
    free(detail);
}

/* Caught up: closing SERIAL-LAG (notice) says how long the secondary took. */
static void lag_ok(vx__diff_ctx *c, const char *label, const serial_of *me)
{
    char key[VX__DIFF_KEY_MAX], old[512];
    snprintf(key, sizeof key, "lag|%s", label);
    const vx__condition *open = vx__diff_prev_get(c, key);
    if (open && vx__diff_detail_bool(open->detail, "announced")) {
        char span[32];
        vx__diff_span_text(vx__diff_since(c, open->first_seen_ms), span, sizeof span);
        vx__diff_ev b;
        vx__diff_ev_init(c, &b, VX__EV_SERIAL_LAG, VX__SEV_NOTICE, label, c->in->current->domain,
                         VX__T_SOA);
        vx__diff_ev_msg(&b, "%s caught up with SOA serial %" PRIu32 " after %s", label, me->serial,
                        span);
        char *old_v[1] = {(char *)vx__diff_detail_str(open->detail, "old", old, sizeof old)};
        char *new_v[1] = {(char *)me->rdata};
        b.e.old_data = old_v;
        b.e.old_count = old_v[0] ? 1 : 0;
        b.e.new_data = new_v;
        b.e.new_count = 1;
        vx__diff_emit_closing(c, &b, open);
    }
    vx__diff_forget(c, key);
}

/* The newest serial server i is measured against: of every server, or under dual primaries
 * of the servers of its own provider. NULL when i's serial is unknown. */
static const serial_of *newest_of(const vx__diff_ctx *c, const serial_of *all, size_t n, size_t i)
{
    const char *const *prov = c->in->server_provider;
    const serial_of *top = NULL;
    for (size_t j = 0; all[i].known && j < n; j++) {
        bool peer = !prov || (prov[i] && prov[j] && strcmp(prov[i], prov[j]) == 0);
        if (peer && all[j].known && (!top || serial_lt(top->serial, all[j].serial)))
            top = &all[j];
    }
    return top;
}

static void check_serials(vx__diff_ctx *c, const bool *up)
{
    const vx__snapshot *snap = c->in->current;
    serial_of *all = calloc(snap->server_count ? snap->server_count : 1, sizeof *all);
    if (!all) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    for (size_t i = 0; i < snap->server_count; i++)
        if (up[i])
            serial_read(c, &snap->servers[i], &all[i]);
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->server_count; i++) {
        const vx__server *s = &snap->servers[i];
        const serial_of *top = newest_of(c, all, snap->server_count, i);
        if (!top ||
            vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label))
            continue;
        if (serial_lt(all[i].serial, top->serial))
            lag_behind(c, label, &all[i], top);
        else
            lag_ok(c, label, &all[i]);
    }
    free(all);
}

/* ---- the authoritative servers ------------------------------------------------------------- */

void vx__diff_check_servers(vx__diff_ctx *c)
{
    const vx__snapshot *snap = c->in->current;
    bool *up = calloc(snap->server_count ? snap->server_count : 1, sizeof *up);
    if (!up) {
        vx__diff_fail(c, VX_ENOMEM);
        return;
    }
    char label[VX__LABEL_TEXT_MAX];
    for (size_t i = 0; i < snap->server_count && c->rc == VX_OK; i++) {
        const vx__server *s = &snap->servers[i];
        if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label))
            continue;
        up[i] = check_liveness(c, s, label) == LIVE_UP;
        if (up[i])
            vx__diff_compare_server_records(c, s, label);
    }
    if (c->rc == VX_OK)
        check_serials(c, up);
    free(up);
}

/* ---- alternate domains --------------------------------------------------------------------- */

static const vx__snapshot *alt_named(const vx__snapshot *snap, const char *domain)
{
    for (size_t i = 0; snap && i < snap->alt_count; i++)
        if (snap->alt[i] && snap->alt[i]->domain && vx__name_eq(snap->alt[i]->domain, domain))
            return snap->alt[i];
    return NULL;
}

/* The same service under another name: each server's records compared with the baseline's
 * snapshot of that alternate domain, as for the domain itself. Liveness and serials are the
 * domain's own business (its servers usually serve both). The events carry the monitored
 * domain, and the alternate name in their record name. */
void vx__diff_check_alt_records(vx__diff_ctx *c)
{
    const vx__diff_input *outer = c->in;
    vx__view outer_base = c->base, outer_cur = c->cur;
    bool outer_base_ok = c->base_ok, outer_cur_ok = c->cur_ok;
    for (size_t k = 0; k < outer->current->alt_count && c->rc == VX_OK; k++) {
        const vx__snapshot *alt = outer->current->alt[k];
        if (!alt || !alt->domain)
            continue;
        vx__diff_input in = *outer;
        in.current = alt;
        in.baseline = alt_named(outer->baseline, alt->domain);
        c->in = &in;
        c->base_ok = in.baseline && vx__view_build(in.baseline, NULL, &c->base) == VX_OK;
        c->cur_ok = vx__view_build(alt, NULL, &c->cur) == VX_OK;
        char label[VX__LABEL_TEXT_MAX];
        for (size_t i = 0; i < alt->server_count && c->rc == VX_OK; i++) {
            const vx__server *s = &alt->servers[i];
            int why = VX_OK;
            if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, label, sizeof label) ==
                    VX_OK &&
                server_liveness(alt, s, &why) == LIVE_UP)
                vx__diff_compare_server_records(c, s, label);
        }
        if (c->base_ok)
            vx__view_free(&c->base);
        if (c->cur_ok)
            vx__view_free(&c->cur);
    }
    c->in = outer;
    c->base = outer_base;
    c->cur = outer_cur;
    c->base_ok = outer_base_ok;
    c->cur_ok = outer_cur_ok;
}
