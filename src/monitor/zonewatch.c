/*
 * monitor/zonewatch.c — owns the zone watch of one full cycle (monitor/zonewatch.h): which
 * server of which provider is asked, whether a transfer is due and of which kind, the IXFR to
 * AXFR fallback, and writing the copies to the store.
 */
#include "monitor/zonewatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "check/providers.h"
#include "model/view.h"
#include "monitor/alert.h"
#include "probe/zone.h"
#include "voxdns/status.h"

#define MAX_TARGETS 32
#define T_SOA 6
#define RCODE_NOERROR 0

typedef enum need { NEED_NONE = 0, NEED_AXFR, NEED_IXFR } need;

typedef struct watch {
    vx__zonewatch_spec spec;
    char domain[VX__NAME_TEXT_MAX];
    size_t count;
    char provider[MAX_TARGETS][VX__PROVIDER_NAME_MAX + VX__NAME_TEXT_MAX];
    char server[MAX_TARGETS][VX__NAME_TEXT_MAX];
    struct sockaddr_storage addr[MAX_TARGETS];
    const vx__tsig_key *key[MAX_TARGETS];
    uint32_t serving[MAX_TARGETS];   /* the SOA serial the server gave this cycle (0: none) */
    vx__zone_copy held[MAX_TARGETS]; /* status VX_OK when one is held */
    uint64_t held_ms[MAX_TARGETS];
    bool stored[MAX_TARGETS]; /* the store has a row for the provider (its baseline) */
    need need[MAX_TARGETS];
    size_t asked[MAX_TARGETS]; /* the targets of the transfers in flight */
    size_t asked_count;
    vx__zonewatch_result result;
    vx__zonewatch_cb done;
    void *arg;
    uv_timer_t later; /* nothing due: done runs on the next loop turn, never inside start */
} watch;

void vx__zonewatch_result_clear(vx__zonewatch_result *r)
{
    vx__zone_copies_free(r->now, r->now_count);
    vx__zone_copies_free(r->base, r->base_count);
    memset(r, 0, sizeof *r);
}

/* ---- which server of which provider ---------------------------------------------------- */

static const vx__tsig_key *key_of(const vx__monitor_domain *dom, const char *provider)
{
    for (size_t i = 0; i < dom->tsig_count; i++)
        if (strcmp(dom->tsig[i].provider, provider) == 0)
            return &dom->tsig[i].key;
    return NULL;
}

/* The server handed this cycle's audit the zone's SOA on its AXFR probe: open AXFR. */
static bool axfr_open(const vx__view *v, const vx__vserver *s)
{
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_AXFR, VX__TCP, NULL, 0);
    return o && o->rcode == RCODE_NOERROR &&
           vx__obs_find(o, VX__SECTION_ANSWER, v->snap->domain, T_SOA);
}

static uint32_t serial_served(const vx__view *v, const vx__vserver *s)
{
    const vx__observation *o = vx__view_obs(v, s, VX__PROBE_DATA, VX__UDP, v->snap->domain, T_SOA);
    vx__answer a;
    uint32_t serial = 0;
    if (o && vx__obs_usable_aa(o)) {
        vx__answer_of(o, v->snap->domain, T_SOA, &a);
        uint32_t r[4];
        if (a.set && a.set->count == 1 &&
            vx__soa_parse(a.set->rdata[0], &serial, &r[0], &r[1], &r[2], &r[3]) != VX_OK)
            serial = 0;
    }
    return serial;
}

/* Of provider p, the authoritative address (open to AXFR unless there is a key) whose label
 * sorts first, so that every cycle asks the same server; v.server_count when none. */
static size_t pick(const vx__view *v, const vx__provider_map *pm, size_t p, bool keyed)
{
    size_t best = v->server_count;
    for (size_t i = 0; i < v->server_count; i++)
        if (pm->of_server[i] == p && vx__vserver_authoritative(&v->servers[i]) &&
            (keyed || axfr_open(v, &v->servers[i])) &&
            (best == v->server_count || strcmp(v->servers[i].label, v->servers[best].label) < 0))
            best = i;
    return best;
}

static void choose(watch *w, const vx__view *v, const vx__provider_map *pm)
{
    for (size_t p = 0; p < pm->count && w->count < MAX_TARGETS; p++) {
        const vx__tsig_key *key = key_of(w->spec.dom, pm->items[p].name);
        size_t i = pick(v, pm, p, key != NULL);
        if (i == v->server_count)
            continue;
        size_t t = w->count++;
        snprintf(w->provider[t], sizeof w->provider[t], "%s", pm->items[p].name);
        snprintf(w->server[t], sizeof w->server[t], "%s", v->snap->servers[i].name);
        w->addr[t] = v->snap->servers[i].addr;
        w->key[t] = key;
        w->serving[t] = serial_served(v, &v->servers[i]);
    }
}

static int targets(watch *w)
{
    vx__check_config ccfg;
    vx__check_config_default(&ccfg);
    ccfg.profile = w->spec.dom->profile;
    ccfg.providers = w->spec.dom->providers;
    ccfg.provider_count = w->spec.dom->provider_count;
    ccfg.dual_primary = w->spec.dom->dual_primary;
    vx__provider_map pm;
    vx__view v;
    int rc = vx__providers_build(w->spec.snap, &ccfg, &pm);
    if (rc != VX_OK)
        return rc;
    rc = vx__view_build(w->spec.snap, w->spec.snap->profile, &v);
    if (rc == VX_OK) {
        choose(w, &v, &pm);
        vx__view_free(&v);
    }
    vx__providers_free(&pm);
    return rc;
}

/* ---- what is held, what is due ------------------------------------------------------------- */

static int read_copy(const char *json, vx__zone_copy *out, const char *what, const watch *w)
{
    char err[256];
    int rc = vx__zone_copy_from_json(json, strlen(json), out, err, sizeof err);
    if (rc != VX_OK)
        vx__log(VX__LOG_ERROR, "%s: stored %s zone copy unreadable (transferred again): %s",
                w->domain, what, err);
    return rc;
}

/* The stored copies of the providers asked: held ones into w->held, accepted ones into the
 * result. A provider asked for the first time has neither. */
static int load(watch *w)
{
    vx__store_zone *rows = NULL;
    size_t n = 0;
    int rc = vx__store_get_zones(w->spec.store, w->domain, &rows, &n);
    if (rc != VX_OK)
        return rc;
    w->result.base = calloc(w->count, sizeof *w->result.base);
    rc = w->result.base ? VX_OK : VX_ENOMEM;
    for (size_t r = 0; rc == VX_OK && r < n; r++) {
        for (size_t t = 0; t < w->count; t++) {
            if (strcmp(rows[r].provider, w->provider[t]) != 0)
                continue;
            w->stored[t] = true;
            if (read_copy(rows[r].held, &w->held[t], "held", w) == VX_OK)
                w->held_ms[t] = rows[r].held_ms;
            vx__zone_copy *b = &w->result.base[w->result.base_count];
            if (read_copy(rows[r].baseline, b, "accepted", w) == VX_OK)
                w->result.base_count++;
        }
    }
    vx__store_zones_free(rows, n);
    return rc;
}

static need due(const watch *w, size_t t)
{
    const vx__zone_copy *h = &w->held[t];
    if (!h->provider || !h->server || strcmp(h->server, w->server[t]) != 0)
        return NEED_AXFR; /* none held, or from another server: its serials are its own */
    if (w->serving[t] && w->serving[t] != h->serial)
        return NEED_IXFR;
    return w->spec.now_ms >= w->held_ms[t] + w->spec.refresh_ms ? NEED_AXFR : NEED_NONE;
}

/* ---- the transfers ----------------------------------------------------------------------- */

static void finish(watch *w)
{
    for (size_t t = 0; t < w->count; t++)
        vx__zone_copy_clear(&w->held[t]);
    vx__zonewatch_cb done = w->done;
    void *arg = w->arg;
    vx__zonewatch_result r = w->result;
    free(w);
    done(arg, &r);
}

static const char *kind_text(const vx__zone_copy *z)
{
    return z->incremental ? "IXFR" : "AXFR";
}

/* A copy that arrived: this cycle's copy of its provider, and the store's held one. */
static void arrived(watch *w, size_t t, vx__zone_copy *z)
{
    char *json = vx__zone_copy_to_json(z), shown[VX__NAME_TEXT_MAX];
    vx__name_show(w->server[t], shown, sizeof shown);
    vx__log(VX__LOG_INFO, "%s: zone transfer from %s (%s): %s%s, serial %u, %zu RRsets", w->domain,
            shown, w->provider[t], kind_text(z),
            w->need[t] == NEED_IXFR && !z->incremental ? " (the IXFR came AXFR-style)" : "",
            (unsigned)z->serial, z->set_count);
    vx__metrics_zone_transfer(w->spec.metrics, w->domain, w->provider[t], z->incremental);
    if (!json ||
        vx__store_put_zone(w->spec.store, w->domain, w->provider[t], json, w->spec.now_ms) != VX_OK)
        vx__log(VX__LOG_ERROR, "%s: zone copy of %s not stored: %s", w->domain, w->provider[t],
                json ? vx__store_last_error(w->spec.store) : "out of memory");
    /* the first copy of a provider is its baseline too (the store made it so) */
    vx__zone_copy *b = &w->result.base[w->result.base_count];
    if (!w->stored[t] && json && vx__zone_copy_from_json(json, strlen(json), b, NULL, 0) == VX_OK)
        w->result.base_count++;
    free(json);
    vx__zone_copy_clear(&w->result.now[t]);
    w->result.now[t] = *z;
    memset(z, 0, sizeof *z);
}

static int start(watch *w);

static void on_fetched(void *arg, vx__zone_copy *copies, size_t n)
{
    watch *w = arg;
    bool retry = false;
    for (size_t i = 0; i < n && i < w->asked_count; i++) {
        size_t t = w->asked[i];
        if (copies[i].status == VX_OK) {
            arrived(w, t, &copies[i]);
            w->need[t] = NEED_NONE;
            continue;
        }
        char shown[VX__NAME_TEXT_MAX];
        vx__name_show(w->server[t], shown, sizeof shown);
        vx__log(VX__LOG_WARNING, "%s: %s from %s (%s) failed: %s%s%s", w->domain,
                w->need[t] == NEED_IXFR ? "IXFR" : "AXFR", shown, w->provider[t],
                vx_strerror(copies[i].status), copies[i].rcode ? ", " : "",
                copies[i].rcode ? vx__rcode_name(copies[i].rcode) : "");
        retry = retry || w->need[t] == NEED_IXFR;
        w->need[t] = w->need[t] == NEED_IXFR ? NEED_AXFR : NEED_NONE;
        w->result.now[t].status = copies[i].status;
        w->result.now[t].rcode = copies[i].rcode;
    }
    vx__zone_copies_free(copies, n);
    if (!retry || start(w) != VX_OK)
        finish(w);
}

/* The transfers due (IXFR from the held copy, or AXFR); VX_ENOTFOUND when none is. */
static int start(watch *w)
{
    vx__zone_target tg[MAX_TARGETS];
    w->asked_count = 0;
    for (size_t t = 0; t < w->count; t++) {
        if (w->need[t] == NEED_NONE)
            continue;
        tg[w->asked_count] = (vx__zone_target){w->provider[t], w->server[t], w->addr[t], w->key[t],
                                               w->need[t] == NEED_IXFR ? &w->held[t] : NULL};
        w->asked[w->asked_count++] = t;
    }
    if (w->asked_count == 0)
        return VX_ENOTFOUND;
    return vx__zone_fetch(w->spec.engine, w->spec.snap->domain, tg, w->asked_count,
                          VX__ZONE_FETCH_TIMEOUT_MS, on_fetched, w);
}

/* Each provider's copy as it stands before any transfer: the held one (or unknown). */
static int prepare(watch *w)
{
    w->result.now = calloc(w->count, sizeof *w->result.now);
    if (!w->result.now)
        return VX_ENOMEM;
    w->result.now_count = w->count;
    for (size_t t = 0; t < w->count; t++) {
        vx__zone_copy *z = &w->result.now[t];
        w->need[t] = due(w, t);
        z->provider = strdup(w->provider[t]);
        z->server = strdup(w->server[t]);
        z->addr = w->addr[t];
        z->status = VX_ETIMEDOUT; /* not known until a transfer says */
        if (!z->provider || !z->server)
            return VX_ENOMEM;
        if (w->need[t] == NEED_NONE) {
            vx__zone_copy_clear(z);
            *z = w->held[t];
            memset(&w->held[t], 0, sizeof w->held[t]);
        }
    }
    return VX_OK;
}

static void on_later_closed(uv_handle_t *h)
{
    finish(h->data);
}

static void on_nothing_due(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, on_later_closed);
}

/* The held copies stand: done is called from the loop, as the callback rule wants. */
static int finish_later(watch *w)
{
    if (uv_timer_init(vx__engine_loop(w->spec.engine), &w->later) != 0)
        return VX_ENOMEM;
    w->later.data = w;
    if (uv_timer_start(&w->later, on_nothing_due, 0, 0) != 0)
        uv_close((uv_handle_t *)&w->later, on_later_closed); /* done runs from the close */
    return VX_OK;
}

int vx__zonewatch_start(const vx__zonewatch_spec *spec, vx__zonewatch_cb done, void *arg)
{
    watch *w = calloc(1, sizeof *w);
    if (!w)
        return VX_ENOMEM;
    w->spec = *spec;
    w->done = done;
    w->arg = arg;
    snprintf(w->domain, sizeof w->domain, "%s", spec->domain);
    int rc = targets(w);
    if (rc == VX_OK && w->count == 0)
        rc = VX_ENOTFOUND;
    if (rc == VX_OK)
        rc = load(w);
    if (rc == VX_OK)
        rc = prepare(w);
    if (rc == VX_OK && (rc = start(w)) == VX_ENOTFOUND && finish_later(w) == VX_OK)
        return VX_OK;
    if (rc != VX_OK) {
        for (size_t t = 0; t < w->count; t++)
            vx__zone_copy_clear(&w->held[t]);
        vx__zonewatch_result_clear(&w->result);
        free(w);
    }
    return rc;
}
