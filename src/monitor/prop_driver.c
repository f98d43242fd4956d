/*
 * monitor/prop_driver.c — owns the propagation tracker's life on the daemon's loop: one timer
 * set to the tracker's next deadline, the SOA polls through the daemon's engine (no RD, UDP
 * with the engine's TC→TCP, its retries and per-server caps), the rosters built from full
 * audits, and what the tracker reports turned into metrics, log lines and "audit this domain
 * next cycle" marks.
 */
#include "monitor/prop_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/clock.h"
#include "model/view.h"
#include "monitor/alert.h"
#include "monitor/cycle.h"
#include "voxdns/status.h"
#include "wire/notify.h"
#include "wire/query.h"

#define POLLS_PER_TICK 64u
#define MAX_SERVERS 256u

struct vx__prop_driver {
    vx__daemon_state *d;
    vx__prop *prop;
    uv_timer_t timer;
    bool stopped;
    char **wanted; /* domains to audit in full at their next cycle */
    size_t wanted_count, wanted_cap;
};

typedef struct poll_ctx {
    vx__prop_driver *pd;
    vx__prop_poll poll;
} poll_ctx;

static void want_audit(vx__prop_driver *pd, const char *domain)
{
    for (size_t i = 0; i < pd->wanted_count; i++)
        if (strcmp(pd->wanted[i], domain) == 0)
            return;
    char **grown = vx__grow(pd->wanted, &pd->wanted_cap, pd->wanted_count + 1, sizeof *grown, 8);
    char *copy = grown ? strdup(domain) : NULL;
    if (grown)
        pd->wanted = grown;
    if (copy)
        pd->wanted[pd->wanted_count++] = copy;
}

bool vx__prop_driver_audit_wanted(vx__prop_driver *pd, const char *domain)
{
    for (size_t i = 0; pd && i < pd->wanted_count; i++) {
        if (strcmp(pd->wanted[i], domain) == 0) {
            free(pd->wanted[i]);
            pd->wanted[i] = pd->wanted[--pd->wanted_count];
            return true;
        }
    }
    return false;
}

static const char *origin_text(vx__prop_origin o)
{
    return o == VX__PROP_NOTIFY ? "the NOTIFY" : "the cycle that first saw it";
}

static void on_measured(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                        vx__prop_origin origin, double seconds, bool was_slow)
{
    vx__prop_driver *pd = arg;
    vx__prop_sample sample = {.serial = serial,
                              .seconds = seconds,
                              .at_ms = vx__wall_ms(),
                              .notify = origin == VX__PROP_NOTIFY};
    /* names longer than the sample's fields are cut (a label value, not an identity) */
    snprintf(sample.domain, sizeof sample.domain, "%.*s", (int)sizeof sample.domain - 1, domain);
    snprintf(sample.provider, sizeof sample.provider, "%.*s", (int)sizeof sample.provider - 1,
             s->provider);
    snprintf(sample.server, sizeof sample.server, "%.*s", (int)sizeof sample.server - 1, s->label);
    vx__metrics_record_propagation(pd->d->metrics, &sample);
    vx__log(VX__LOG_INFO, "propagation: %s serial %u served by %s (provider %s) %.3f s after %s",
            domain, serial, s->label, s->provider, seconds, origin_text(origin));
    if (was_slow)
        want_audit(pd, domain); /* the diff closes its PROPAGATION-SLOW */
}

static void on_slow(void *arg, const char *domain, const vx__prop_server *s, uint32_t serial,
                    double seconds)
{
    vx__prop_driver *pd = arg;
    vx__log(VX__LOG_WARNING,
            "propagation: %s serial %u not served by %s (provider %s) after %.0f s", domain, serial,
            s->label, s->provider, seconds);
    want_audit(pd, domain); /* the diff opens PROPAGATION-SLOW */
}

static void arm(vx__prop_driver *pd);

static void on_answer(void *arg, const vx__query_result *q)
{
    poll_ctx *pc = arg;
    vx__prop_driver *pd = pc->pd;
    uint32_t serial = 0;
    bool ok = q->status == VX_OK &&
              vx__soa_answer_serial(q->wire, q->wire_len, pc->poll.domain, &serial) == VX_OK;
    if (q->status != VX_ECANCELED && !pd->stopped) {
        vx__prop_answer(pd->prop, &pc->poll, ok, serial, vx__wall_ms());
        arm(pd);
    }
    free(pc);
}

static void send_poll(vx__prop_driver *pd, const vx__prop_poll *poll)
{
    vx__question q;
    poll_ctx *pc = malloc(sizeof *pc);
    if (pc && vx__question_from_text(poll->domain, LDNS_RR_TYPE_SOA, 1, &q) == VX_OK) {
        *pc = (poll_ctx){.pd = pd, .poll = *poll};
        vx__query_spec spec = {.server = (const struct sockaddr *)&poll->addr, .question = &q};
        if (pd->d->engine && vx__engine_query(pd->d->engine, &spec, on_answer, pc) == VX_OK)
            return;
    }
    free(pc);
    /* not sent: counted as no answer, so that the server is asked again later */
    vx__prop_answer(pd->prop, poll, false, 0, vx__wall_ms());
}

static void on_timer(uv_timer_t *t)
{
    vx__prop_driver *pd = t->data;
    vx__prop_poll polls[POLLS_PER_TICK];
    size_t n = vx__prop_due(pd->prop, vx__wall_ms(), polls, POLLS_PER_TICK);
    for (size_t i = 0; i < n && !pd->stopped; i++)
        send_poll(pd, &polls[i]);
    arm(pd);
}

static void arm(vx__prop_driver *pd)
{
    if (pd->stopped)
        return;
    uint64_t next = vx__prop_next_ms(pd->prop), now = vx__wall_ms();
    uv_timer_stop(&pd->timer);
    if (next != UINT64_MAX)
        uv_timer_start(&pd->timer, on_timer, next > now ? next - now : 0, 0);
}

int vx__prop_driver_new(vx__daemon_state *d, vx__prop_driver **out)
{
    vx__prop_driver *pd = calloc(1, sizeof *pd);
    *out = NULL;
    if (!pd)
        return VX_ENOMEM;
    vx__prop_hooks hooks = {.measured = on_measured, .slow = on_slow, .arg = pd};
    if (!(pd->prop = vx__prop_new(&hooks))) {
        free(pd);
        return VX_ENOMEM;
    }
    pd->d = d;
    uv_timer_init(&d->loop, &pd->timer);
    pd->timer.data = pd;
    *out = pd;
    return VX_OK;
}

void vx__prop_driver_stop(vx__prop_driver *pd)
{
    if (!pd || pd->stopped)
        return;
    pd->stopped = true;
    uv_timer_stop(&pd->timer);
    uv_close((uv_handle_t *)&pd->timer, NULL);
}

void vx__prop_driver_free(vx__prop_driver *pd)
{
    if (!pd)
        return;
    vx__prop_free(pd->prop);
    for (size_t i = 0; i < pd->wanted_count; i++)
        free(pd->wanted[i]);
    free(pd->wanted);
    free(pd);
}

void vx__prop_driver_keep(vx__prop_driver *pd, const vx__monitor_config *cfg)
{
    char **names = pd ? calloc(cfg->domain_count ? cfg->domain_count : 1, sizeof *names) : NULL;
    size_t n = 0;
    for (size_t i = 0; names && i < cfg->domain_count; i++) {
        size_t len = strlen(cfg->domains[i].name); /* the tracker's names have no trailing dot */
        if ((names[n] = strndup(cfg->domains[i].name, len > 1 ? len - 1 : len)))
            n++;
    }
    if (names && n == cfg->domain_count) /* out of memory: keep everything rather than too much */
        vx__prop_keep_only(pd->prop, (const char *const *)names, n);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

void vx__prop_driver_notified(void *arg, size_t domain_index, const char *domain, bool has_serial,
                              uint32_t serial, uint64_t now_ms)
{
    (void)domain_index;
    vx__prop_driver *pd = arg;
    if (pd->stopped)
        return;
    int rc = vx__prop_notify(pd->prop, domain, has_serial, serial, now_ms);
    if (rc == VX_ENOTFOUND)
        vx__log(VX__LOG_INFO,
                "propagation: %s not timed (no full audit yet, dual primaries, or a NOTIFY "
                "without a serial before any serial was seen)",
                domain);
    arm(pd);
}

/* The serial server s served in the snapshot's SOA answer (UDP, authoritative). */
static bool serial_of(const vx__snapshot *snap, const vx__server *s, uint32_t *serial)
{
    for (size_t i = 0; i < snap->obs_count; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_DATA || o->transport != VX__UDP || o->qtype != 6 ||
            o->status != VX_OK || !vx__obs_usable_aa(o) || !vx__name_eq(o->qname, snap->domain) ||
            !vx__addr_equal((const struct sockaddr *)&o->addr, (const struct sockaddr *)&s->addr))
            continue;
        const vx__rrset *soa = vx__obs_find(o, 0, snap->domain, 6);
        uint32_t r, rt, e, m;
        if (soa && soa->count > 0 && vx__soa_parse(soa->rdata[0], serial, &r, &rt, &e, &m) == 0)
            return true;
    }
    return false;
}

void vx__prop_driver_audited(vx__prop_driver *pd, const char *domain, const vx__snapshot *snap,
                             const vx__provider_map *pm, uint64_t slow_ms)
{
    static vx__prop_server servers[MAX_SERVERS]; /* the loop thread only */
    size_t n = 0;
    if (!pd || pd->stopped)
        return;
    for (size_t i = 0; i < snap->server_count && n < MAX_SERVERS; i++) {
        const vx__server *s = &snap->servers[i];
        vx__prop_server *ps = &servers[n];
        memset(ps, 0, sizeof *ps);
        if (vx__server_label(s->name, (const struct sockaddr *)&s->addr, ps->label,
                             sizeof ps->label) != VX_OK)
            continue;
        snprintf(ps->provider, sizeof ps->provider, "%s", pm ? vx__provider_of(pm, i) : "");
        ps->addr = s->addr;
        ps->has_serial = serial_of(snap, s, &ps->serial);
        n++;
    }
    vx__prop_set_servers(pd->prop, domain, servers, n, pm && pm->dual_primary, slow_ms,
                         snap->started_ms);
    arm(pd);
}

size_t vx__prop_driver_states(const vx__prop_driver *pd, const char *domain, vx__prop_state *out,
                              size_t cap)
{
    return pd ? vx__prop_states(pd->prop, domain, out, cap) : 0;
}
