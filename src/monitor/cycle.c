/*
 * monitor/cycle.c — one domain's part of a monitoring cycle. With a watch plan from an earlier
 * audit (probe/watch.h) it first asks the plan's questions again; when every answer and the
 * watched resolvers' answers are as they were, the cycle is quiet: RTT samples (batched into
 * the store) and metrics, nothing else, because the snapshot, findings and events would be
 * those of the last audit. Otherwise — no plan, a plan older than audit_interval, or anything
 * different — it runs the audit's probes, then checks, the diff against the accepted baseline
 * and the stored open conditions, one store transaction, metrics, a wake-up for the alert
 * thread, and builds the domain's next plan.
 *
 * When the store fails, the cycle is not lost: it is kept in memory (pending.h) and its events
 * go to the alert thread at once, unstored; the domain's conditions stay in the memo as the next
 * diff's start; the kept cycles are written in order once the store takes writes again.
 */
#include "monitor/cycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "check/check.h"
#include "common/array.h"
#include "common/hash.h"
#include "common/clock.h"
#include "monitor/alert.h"
#include "monitor/diff.h"
#include "monitor/prop_driver.h"
#include "monitor/diff_zone.h"
#include "monitor/zonewatch.h"
#include "probe/audit.h"
#include "probe/watch_ep.h"
#include "model/snapshot.h"
#include "sip/locate.h"
#include "voxdns/status.h"
#include "wire/addr.h"
#include "wire/fingerprint.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/query.h"

#define MAX_RESOLVER_QUESTIONS 64
#define MAX_PROP_STATES 256
/* Quiet cycles' RTT samples per store transaction. */
#define RTT_BATCH_ROWS 4096u
/* Full audits processed between two trims of the heap (see trim_heap). */
#define AUDITS_PER_TRIM 256u

typedef struct resolver_answers {
    const char *label;
    int status; /* VX_OK once any question was answered */
    vx__observation *obs;
    size_t count;
} resolver_answers;

typedef struct domain_cycle {
    vx__daemon_state *d;
    const vx__monitor_domain *dom;
    size_t index;
    unsigned generation;
    char domain[VX__NAME_TEXT_MAX]; /* without the trailing dot: the store's and events' form */
    vx__snapshot *snap;
    bool audit_done;
    vx__watch_plan *plan; /* taken from the daemon's slot; NULL: audit in full */
    vx__watch_plan *keep; /* goes back into the slot when the cycle ends (NULL: none) */
    bool watching;        /* the watch runs, or ran and is not judged yet */
    bool watch_done;
    bool watch_unchanged;
    bool auditing;             /* counted in the daemon's audits_in_flight */
    vx__watch_answer *answers; /* parallel to plan->q */
    bool ep_running;           /* the plan's SIP endpoint pings (probe/watch_ep.h) */
    bool ep_unchanged;
    vx__endpoint_obs *ep_obs; /* their observations (copies), parallel to plan->endpoints */
    size_t ep_count;
    struct sockaddr_storage *addrs; /* parallel to plan->q, read by the watch thread */
    uint64_t watch_started_ms;
    uint64_t prev_asked_ms; /* the domain's previous cycle (0: unknown) */
    unsigned pending_resolver_queries;
    resolver_answers *resolvers;
    size_t resolver_count;
    uint64_t started_ns;
    bool zone_running;          /* the zone watch (monitor/zonewatch.h) of a full cycle */
    vx__zonewatch_result zones; /* its copies (now_count 0: whole zones not watched) */
} domain_cycle;

typedef struct resolver_query {
    domain_cycle *c;
    size_t resolver;
    char qname[VX__NAME_TEXT_MAX];
    uint16_t qtype;
    uint64_t time_ms;
} resolver_query;

/* The cycle's plan for the next one goes back into the domain's slot, unless the configuration
 * was reloaded meanwhile (the slot may belong to another domain now). */
static void free_cycle(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    bool same_slot = c->generation == d->generation && c->index < d->plan_count;
    if (c->auditing && d->audits_in_flight > 0)
        d->audits_in_flight--;
    if (c->keep && same_slot && !d->plans[c->index]) {
        d->plans[c->index] = c->keep;
        c->keep = NULL;
    }
    uint64_t asked = c->snap ? c->snap->started_ms : c->watch_done ? c->watch_started_ms : 0;
    if (same_slot && d->asked_ms && asked)
        d->asked_ms[c->index] = asked;
    vx__watch_plan_free(c->keep);
    vx__watch_plan_free(c->plan);
    free(c->answers);
    free(c->addrs);
    for (size_t i = 0; i < c->ep_count; i++)
        vx__endpoint_clear(&c->ep_obs[i]);
    free(c->ep_obs);
    for (size_t r = 0; r < c->resolver_count; r++) {
        for (size_t i = 0; i < c->resolvers[r].count; i++)
            vx__observation_clear(&c->resolvers[r].obs[i]);
        free(c->resolvers[r].obs);
    }
    free(c->resolvers);
    vx__zonewatch_result_clear(&c->zones);
    vx__snapshot_free(c->snap);
    free(c);
}

/* --- processing ----------------------------------------------------------------------------- */

static void collect_rtt(const vx__snapshot *snap, vx__store_rtt_sample *out, size_t *n, size_t cap,
                        char labels[][VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX])
{
    *n = 0;
    for (size_t i = 0; i < snap->obs_count && *n < cap; i++) {
        const vx__observation *o = &snap->obs[i];
        if (o->kind != VX__PROBE_DATA || o->qtype != LDNS_RR_TYPE_SOA || o->transport != VX__UDP ||
            strcmp(o->qname, snap->domain) != 0)
            continue;
        vx__server_label(o->server, (const struct sockaddr *)&o->addr, labels[*n],
                         sizeof(labels[0]));
        out[*n] = (vx__store_rtt_sample){.server = labels[*n],
                                         .rtt_ms = o->status == VX_OK ? o->rtt_ms : -1.0,
                                         .time_ms = o->time_ms};
        (*n)++;
    }
}

void vx__cycle_store_failed(vx__daemon_state *d)
{
    vx__metrics_store_failed(d->metrics, vx__store_last_error(d->store), vx__wall_ms());
}

/* The store cannot be read: the baseline this process read last (the memo), or NULL. */
static const vx__snapshot *remembered_baseline(domain_cycle *c, vx__snapshot **owned)
{
    char *json = vx__memo_baseline(c->d->memo, c->domain);
    char err[256];
    vx__cycle_store_failed(c->d);
    if (!json) {
        vx__log(VX__LOG_ERROR, "%s: no baseline to compare with: %s, and none is remembered",
                c->domain, vx__store_last_error(c->d->store));
        return NULL;
    }
    if (vx__snapshot_from_json(json, strlen(json), owned, err, sizeof(err)) != VX_OK)
        vx__log(VX__LOG_ERROR, "%s: remembered baseline unreadable: %s", c->domain, err);
    free(json);
    return *owned;
}

/* The first snapshot is the baseline until an operator accepts another. A store that cannot
 * write it now gets it from a later cycle (the first one after it is back). */
static const vx__snapshot *first_baseline(domain_cycle *c, const char *snap_json, uint64_t t)
{
    vx__daemon_state *d = c->d;
    if (vx__store_set_baseline(d->store, c->domain, snap_json, t) != VX_OK) {
        vx__cycle_store_failed(d);
        vx__log(VX__LOG_WARNING, "%s: first snapshot taken as the baseline in memory only: %s",
                c->domain, vx__store_last_error(d->store));
    } else {
        vx__log(VX__LOG_NOTICE, "%s: first snapshot taken as the baseline", c->domain);
    }
    vx__memo_set_baseline(d->memo, c->domain, strdup(snap_json));
    return c->snap;
}

/* The accepted baseline, parsed from the store (owned: *owned is set), or the current snapshot
 * itself when there is none yet: it is what the store would give back, without a JSON round
 * trip. While the store cannot be read, the one read last. NULL when there is none, or the
 * stored baseline is unreadable. */
static const vx__snapshot *baseline_for(domain_cycle *c, const char *snap_json, uint64_t t,
                                        vx__snapshot **owned)
{
    char *json = NULL;
    uint64_t accepted = 0;
    char err[256];
    *owned = NULL;
    if (vx__store_get_baseline(c->d->store, c->domain, &json, &accepted) != VX_OK)
        return remembered_baseline(c, owned);
    if (!json)
        return first_baseline(c, snap_json, t);
    if (vx__snapshot_from_json(json, strlen(json), owned, err, sizeof(err)) != VX_OK) {
        vx__log(VX__LOG_ERROR, "%s: stored baseline unreadable: %s", c->domain, err);
        free(json);
        return NULL;
    }
    vx__memo_set_baseline(c->d->memo, c->domain, json);
    return *owned;
}

/* The open conditions the diff starts from: the ones the domain's last cycle left when the
 * store does not have them yet (its commit failed), else the stored ones, else (the store
 * cannot be read) the ones remembered from the last cycle. */
static int conditions_for(domain_cycle *c, vx__conditions *conds)
{
    vx__daemon_state *d = c->d;
    bool unstored = false;
    if (vx__memo_conditions(d->memo, c->domain, conds, &unstored) == VX_OK && unstored)
        return VX_OK;
    vx__conditions_clear(conds);
    if (vx__store_get_conditions(d->store, c->domain, conds) == VX_OK)
        return VX_OK;
    vx__cycle_store_failed(d);
    vx__conditions_clear(conds);
    if (vx__memo_conditions(d->memo, c->domain, conds, &unstored) == VX_OK)
        return VX_OK;
    vx__log(VX__LOG_ERROR, "%s: no open conditions to start from: %s, and none are remembered",
            c->domain, vx__store_last_error(d->store));
    return VX_EIO;
}

/* --- the store failing ------------------------------------------------------------------------ */

static void publish_pending(vx__daemon_state *d)
{
    vx__metrics_store_pending(d->metrics, d->pending.count, d->pending.events,
                              d->pending.dropped_events);
}

void vx__cycle_pending_dropped(void *arg, const vx__pending_cycle *c)
{
    vx__daemon_state *d = arg;
    vx__log(VX__LOG_ERROR,
            "%s: the in-memory queue for the store is full: a cycle with %zu events is dropped "
            "(they were alerted; they will not be in the store)",
            c->domain, c->events.count);
    for (size_t i = 0; i < c->events.count; i++) {
        char *line = vx__alert_log_line(&c->events.items[i]);
        if (line)
            vx__log(VX__LOG_ERROR, "dropped event: %s", line);
        free(line);
        if (d->alerts)
            vx__alert_worker_stored(d->alerts, c->seqs[i], -1);
    }
}

/* The cycle could not be committed: kept for the store, its events handed to the alert thread
 * now (unstored), its conditions the domain's truth until the store has them. */
static int keep_cycle(domain_cycle *c, const char *json, uint64_t t, const vx__events *events,
                      const vx__conditions *conds, const vx__store_rtt_sample *samples,
                      size_t nsamples, const vx__store_summary *summary)
{
    vx__daemon_state *d = c->d;
    vx__pending_cycle *p =
        vx__pending_cycle_new(c->domain, json, t, events, conds, samples, nsamples, summary);
    int rc = p ? vx__memo_set_conditions(d->memo, c->domain, conds, false) : VX_ENOMEM;
    for (size_t i = 0; rc == VX_OK && i < events->count; i++) {
        p->seqs[i] = ++d->unstored_seq;
        if (d->alerts)
            vx__alert_worker_unstored(d->alerts, p->seqs[i], &events->items[i]);
    }
    if (rc == VX_OK && (rc = vx__pending_push(&d->pending, p)) != VX_OK)
        vx__cycle_pending_dropped(d, p);
    if (rc != VX_OK)
        vx__pending_cycle_free(p);
    publish_pending(d);
    vx__log(VX__LOG_WARNING,
            "%s: cycle not stored, kept in memory (%zu events, alerted anyway): %s; %zu cycles "
            "with %zu events wait for the store",
            c->domain, events->count, vx__store_last_error(d->store), d->pending.count,
            d->pending.events);
    return rc;
}

/* One kept cycle written: its events' ids go to the alert thread, which then knows them as
 * delivered where it delivered them unstored. */
static void pending_written(vx__daemon_state *d, const vx__pending_cycle *p)
{
    for (size_t i = 0; i < p->events.count; i++) {
        const vx__event *e = &p->events.items[i];
        if (d->alerts)
            vx__alert_worker_stored(d->alerts, p->seqs[i], e->id);
        char *line = vx__alert_log_line(e);
        if (line)
            vx__log(VX__LOG_INFO, "event %lld stored (kept in memory while the store failed): %s",
                    (long long)e->id, line);
        free(line);
    }
}

/* Nothing is waiting, but the store was failing: a write that goes through says it is back
 * (else /healthz would stay 503 until the next cycle with something to commit). */
static void probe_store(vx__daemon_state *d)
{
    vx__store_health h;
    vx__metrics_store_health(d->metrics, &h);
    if (h.up)
        return;
    if (vx__store_probe_write(d->store) != VX_OK) {
        vx__cycle_store_failed(d);
        return;
    }
    vx__metrics_store_ok(d->metrics);
    vx__log(VX__LOG_NOTICE, "store: writable again");
}

void vx__cycle_flush_pending(vx__daemon_state *d)
{
    size_t cycles = 0, events = 0;
    vx__pending_cycle *p;
    if (d->pending.count == 0) {
        probe_store(d);
        return;
    }
    while ((p = vx__pending_head(&d->pending))) {
        if (vx__store_commit_cycle(d->store, p->domain, p->snapshot_json, p->time_ms, &p->events,
                                   &p->conds, p->samples, p->sample_count, &p->summary) != VX_OK) {
            vx__cycle_store_failed(d);
            break;
        }
        pending_written(d, p);
        cycles++;
        events += p->events.count;
        char *domain = p->domain;
        p->domain = NULL;
        vx__pending_pop(&d->pending);
        if (!vx__pending_has(&d->pending, domain))
            vx__memo_mark_stored(d->memo, domain);
        free(domain);
    }
    if (cycles == 0)
        return;
    if (d->pending.count == 0)
        vx__metrics_store_ok(d->metrics);
    publish_pending(d);
    vx__log(VX__LOG_NOTICE, "store: %zu cycles with %zu events kept in memory are written%s",
            cycles, events, d->pending.count ? "; more wait" : "");
    if (events && d->alerts)
        vx__alert_worker_wake(d->alerts);
}

/* Commits the cycle, or keeps it in memory when the store fails (or earlier cycles still wait:
 * the store gets them in order). *stored says which; either way its events are recorded. */
static int commit_or_keep(domain_cycle *c, const char *json, uint64_t t, vx__events *events,
                          const vx__conditions *conds, const vx__store_rtt_sample *samples,
                          size_t nsamples, const vx__store_summary *summary, bool *stored)
{
    vx__daemon_state *d = c->d;
    *stored = false;
    vx__cycle_flush_pending(d);
    if (d->pending.count == 0) {
        int rc = vx__store_commit_cycle(d->store, c->domain, json, t, events, conds, samples,
                                        nsamples, summary);
        if (rc == VX_OK) {
            *stored = true;
            vx__metrics_store_ok(d->metrics);
            /* The store has them: the memo is only a fallback, its failure no error. */
            (void)vx__memo_set_conditions(d->memo, c->domain, conds, true);
            return VX_OK;
        }
        if (rc != VX_EIO)
            return rc;
        vx__cycle_store_failed(d);
    }
    return keep_cycle(c, json, t, events, conds, samples, nsamples, summary);
}

/* Only findings may stay open between audits: a change, a down server or a lagging secondary
 * has to be looked at every cycle, so a domain with one open is audited in full. A SIP target
 * down or a changed certificate is looked at by the quiet cycle itself: the plan keeps the
 * tuple as the audit saw it (down, or with the new leaf), and its recovery or revert is a
 * change that audits the domain at once. A zone-wide change needs no full audit either: the
 * zone only changes with a new serial (the plan's SOA questions see it) or is transferred
 * again at zone_refresh (the plan comes due then, see next_plan). */
static bool only_findings_open(const vx__conditions *conds)
{
    for (size_t i = 0; i < conds->count; i++) {
        const char *k = conds->items[i].key;
        if (strncmp(k, "finding|", 8) != 0 && strncmp(k, "sip-down|", 9) != 0 &&
            strncmp(k, "cert|", 5) != 0 && strncmp(k, "zone|", 5) != 0)
            return false;
    }
    return true;
}

static uint64_t resolver_digest(const domain_cycle *c);
static uint64_t audit_due(vx__daemon_state *d, uint64_t audited_ms);

/* What a stored plan depends on besides the zones: the profile, the alternate domains and the
 * watched records (a plan stored under another configuration is not used). */
static uint64_t mix_text(uint64_t h, const char *s)
{
    h = vx__hash_bytes(h, s ? s : "", s ? strlen(s) : 0);
    return vx__hash_bytes(h, "|", 1);
}

static uint64_t domain_key(const vx__monitor_domain *dom)
{
    char type[16];
    uint64_t h = mix_text(VX__HASH_SEED, dom->profile);
    for (size_t i = 0; i < dom->alt_count; i++)
        h = mix_text(h, dom->alt_domains[i]);
    for (size_t i = 0; i < dom->record_count; i++) {
        snprintf(type, sizeof(type), "%u", dom->records[i].type);
        h = mix_text(mix_text(h, dom->records[i].name), type);
    }
    return h;
}

/* The domain's next plan when only findings are open (a change, a down server or a lagging
 * secondary has to be looked at every cycle), with its stored form; NULL when none. */
static vx__watch_plan *next_plan(domain_cycle *c, const vx__conditions *conds, char **text)
{
    vx__daemon_state *d = c->d;
    vx__watch_plan *plan = NULL;
    *text = NULL;
    if (!only_findings_open(conds) ||
        vx__watch_plan_build(c->snap, &d->watch_servers, &plan) != VX_OK)
        return NULL;
    plan->resolver_digest = resolver_digest(c);
    plan->audit_due_ms = audit_due(d, plan->audited_ms);
    uint64_t zone_due = plan->audited_ms + d->cfg->zone_refresh_ms;
    if (c->zones.now_count && zone_due < plan->audit_due_ms)
        plan->audit_due_ms = zone_due; /* whole zones are transferred again by a full cycle */
    /* without its endpoints a plan would call a dead SBC quiet: then no plan (full audit) */
    if (d->tls && vx__ep_watch_build(c->snap, &plan->endpoints) == VX_ENOMEM) {
        vx__watch_plan_free(plan);
        return NULL;
    }
    *text = vx__watch_plan_encode(plan, &d->watch_servers, domain_key(c->dom));
    return plan;
}

/* Under dual primaries, each server's provider: SERIAL-LAG then compares within a provider.
 * NULL otherwise (or when memory ran out: serials are then compared across all, as before). */
static const char **server_providers(const vx__provider_map *pm)
{
    const char **names = pm->dual_primary ? calloc(pm->server_count + 1, sizeof *names) : NULL;
    for (size_t i = 0; names && i < pm->server_count; i++)
        names[i] = vx__provider_of(pm, i);
    return names;
}

static int diff_and_commit(domain_cycle *c, const vx__findings *findings, const char *json,
                           const vx__check_config *ccfg, vx__events *events, bool *stored)
{
    vx__daemon_state *d = c->d;
    uint64_t t = vx__wall_ms();
    vx__snapshot *owned = NULL;
    const vx__snapshot *base = baseline_for(c, json, t, &owned);
    vx__conditions conds = {0};
    int rc = base ? conditions_for(c, &conds) : VX_EIO;
    vx__resolver_obs res[64];
    size_t nres = c->resolver_count < 64 ? c->resolver_count : 64;
    for (size_t i = 0; i < nres; i++)
        res[i] = (vx__resolver_obs){.label = c->resolvers[i].label,
                                    .status = c->resolvers[i].status,
                                    .obs = c->resolvers[i].obs,
                                    .obs_count = c->resolvers[i].count};
    vx__diff_config dcfg = {.serial_lag_ms = d->cfg->serial_lag_ms};
    vx__diff_input in = {.baseline = base,
                         .current = c->snap,
                         .findings = findings,
                         .resolvers = res,
                         .resolver_count = nres,
                         .now_ms = t,
                         .prev_cycle_ms = c->prev_asked_ms,
                         .cfg = &dcfg};
    vx__provider_map pm;
    bool have_pm = vx__providers_build(c->snap, ccfg, &pm) == VX_OK;
    const char **providers = have_pm ? server_providers(&pm) : NULL;
    in.server_provider = providers;
    uint64_t slow_ms =
        c->dom->propagation_slow_ms ? c->dom->propagation_slow_ms : d->cfg->propagation_slow_ms;
    if (have_pm) /* before the diff: a new serial seen now starts its timing */
        vx__prop_driver_audited(d->prop, c->domain, c->snap, &pm, slow_ms);
    static vx__prop_state states[MAX_PROP_STATES]; /* the loop thread only */
    static vx__diff_prop props[MAX_PROP_STATES];
    in.propagation = props;
    in.propagation_count = vx__prop_driver_states(d->prop, c->domain, states, MAX_PROP_STATES);
    for (size_t i = 0; i < in.propagation_count; i++)
        props[i] = (vx__diff_prop){.server = states[i].server->label,
                                   .provider = states[i].server->provider,
                                   .serial = states[i].serial,
                                   .origin_ms = states[i].origin_ms,
                                   .notify = states[i].notify,
                                   .served_ms = states[i].served_ms,
                                   .slow = states[i].slow};
    if (rc == VX_OK)
        rc = vx__diff_cycle(&in, &conds, events);
    vx__zone_diff_input zin = {.base = c->zones.base,
                               .base_count = c->zones.base_count,
                               .now = c->zones.now,
                               .now_count = c->zones.now_count,
                               .current = c->snap,
                               .now_ms = t,
                               .prev_cycle_ms = c->prev_asked_ms};
    if (rc == VX_OK && c->zones.now_count)
        rc = vx__diff_zones(&zin, &conds, events);
    free(providers);
    if (have_pm)
        vx__providers_free(&pm);
    static char labels[256][VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
    vx__store_rtt_sample samples[256];
    size_t nsamples = 0;
    collect_rtt(c->snap, samples, &nsamples, 256, labels);
    size_t counts[VX__SEV_COUNT] = {0};
    for (size_t i = 0; findings && i < findings->count; i++)
        if ((unsigned)findings->items[i].severity < VX__SEV_COUNT)
            counts[findings->items[i].severity]++;
    char *plan_text = NULL;
    vx__watch_plan *plan = rc == VX_OK ? next_plan(c, &conds, &plan_text) : NULL;
    vx__store_summary summary = {.state = vx__domain_state(counts, &conds),
                                 .open_conditions = conds.count,
                                 .watch_plan = plan_text};
    for (int s = 0; s < VX__SEV_COUNT; s++)
        summary.findings[s] = (unsigned)counts[s];
    if (rc == VX_OK)
        rc = commit_or_keep(c, json, t, events, &conds, samples, nsamples, &summary, stored);
    if (rc == VX_OK)
        c->keep = plan; /* stored with the cycle: a restart starts from it */
    else
        vx__watch_plan_free(plan);
    free(plan_text);
    vx__conditions_clear(&conds);
    vx__snapshot_free(owned);
    return rc;
}

/* --- quiet cycles ---------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* What the watched resolvers said this cycle, order aside: a resolver that goes down, starts
 * answering differently or stops answering differently ends a quiet streak. TTLs are not in
 * it (a resolver's count down). */
static uint64_t resolver_digest(const domain_cycle *c)
{
    uint64_t sum = 0;
    for (size_t r = 0; r < c->resolver_count; r++) {
        const resolver_answers *ra = &c->resolvers[r];
        for (size_t i = 0; i < ra->count; i++) {
            const vx__observation *o = &ra->obs[i];
            uint64_t h = vx__hash_text(ra->label) * 31u + vx__hash_text(o->qname);
            h = h * 31u + o->qtype;
            h = h * 31u + (uint64_t)(unsigned)o->status;
            sum += mix(h ^ mix(o->fingerprint));
        }
    }
    return sum;
}

void vx__cycle_flush_rtt(vx__daemon_state *d)
{
    vx__rtt_batch *b = &d->rtt_batch;
    if (b->count && vx__store_add_rtt_samples(d->store, b->rows, b->count) != VX_OK) {
        vx__cycle_store_failed(d);
        vx__log(VX__LOG_ERROR, "RTT samples of %zu quiet answers not stored: %s", b->count,
                vx__store_last_error(d->store));
    }
    for (size_t i = 0; i < b->count; i++) {
        free((char *)b->rows[i].domain);
        free((char *)b->rows[i].sample.server);
    }
    b->count = 0;
}

static void batch_rtt(vx__daemon_state *d, const char *domain, const char *server, double rtt_ms,
                      uint64_t time_ms)
{
    vx__rtt_batch *b = &d->rtt_batch;
    vx__store_rtt_row *rows = vx__grow(b->rows, &b->cap, b->count + 1, sizeof *rows, 256);
    if (!rows)
        return; /* an RTT sample is worth less than the cycle: dropped */
    b->rows = rows;
    char *dom = strdup(domain), *srv = strdup(server);
    if (!dom || !srv) {
        free(dom);
        free(srv);
        return;
    }
    b->rows[b->count++] = (vx__store_rtt_row){
        .domain = dom, .sample = {.server = srv, .rtt_ms = rtt_ms, .time_ms = time_ms}};
    if (b->count >= RTT_BATCH_ROWS)
        vx__cycle_flush_rtt(d);
}

/* Nothing changed: the apex SOA answers' RTTs go to the store, every answer to the metrics. */
static void record_quiet(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    const vx__watch_plan *p = c->plan;
    vx__metrics_answer *ma = calloc(p->count, sizeof(*ma));
    char label[VX__NAME_TEXT_MAX + VX__ADDR_TEXT_MAX];
    for (size_t i = 0; i < p->count; i++) {
        const vx__watch_question *q = &p->q[i];
        const vx__watch_server *sv = &d->watch_servers.items[q->server];
        const vx__watch_answer *a = &c->answers[i];
        if (ma)
            ma[i] = (vx__metrics_answer){.server = sv->name,
                                         .addr = (const struct sockaddr *)&sv->addr,
                                         .qname = vx__watch_qname(p, q),
                                         .qtype = q->qtype,
                                         .data = q->kind == VX__PROBE_DATA,
                                         .status = a->status,
                                         .rcode = a->rcode,
                                         .rtt_ms = a->rtt_ms};
        if (q->kind == VX__PROBE_DATA && q->qtype == LDNS_RR_TYPE_SOA && q->qname == 0 &&
            vx__server_label(sv->name, (const struct sockaddr *)&sv->addr, label, sizeof(label)) ==
                VX_OK)
            batch_rtt(d, c->domain, label, a->rtt_ms, c->watch_started_ms);
    }
    double ms = (double)(uv_hrtime() - c->started_ns) / 1e6;
    if (ma)
        vx__metrics_record_quiet(d->metrics, c->domain, ma, p->count, ms);
    if (c->ep_obs)
        vx__metrics_record_endpoints(d->metrics, c->domain, c->ep_obs, c->ep_count);
    for (size_t r = 0; r < c->resolver_count; r++)
        vx__metrics_record_resolver(d->metrics, c->resolvers[r].label,
                                    c->resolvers[r].status == VX_OK);
    free(ma);
    d->cycle_quiet++;
}

static void maybe_process(domain_cycle *c);

static void on_watched(void *arg, const vx__watch_answer *answers, bool unchanged)
{
    domain_cycle *c = arg;
    c->watch_done = true;
    c->watch_unchanged = unchanged;
    if (unchanged && (c->answers = malloc(c->plan->count * sizeof(*c->answers))))
        memcpy(c->answers, answers, c->plan->count * sizeof(*c->answers));
    c->watch_unchanged = unchanged && c->answers;
    maybe_process(c);
}

/* The SIP endpoint pings of a quiet cycle are back; their observations feed the metrics. */
static void on_ep_watched(void *arg, bool unchanged, const vx__endpoint_obs *obs, size_t count)
{
    domain_cycle *c = arg;
    c->ep_running = false;
    c->ep_unchanged = unchanged;
    if ((c->ep_obs = calloc(count ? count : 1, sizeof(*c->ep_obs)))) {
        for (; c->ep_count < count; c->ep_count++)
            if (vx__endpoint_copy(&c->ep_obs[c->ep_count], &obs[c->ep_count]) != VX_OK)
                break;
    }
    maybe_process(c);
}

/* When the next full audit is due: somewhere in the second half of audit_interval, at random,
 * so that domains first audited together (a start, a reload) do not all come due in the same
 * cycle again: their full audits spread out over the interval. */
static uint64_t audit_due(vx__daemon_state *d, uint64_t audited_ms)
{
    uint64_t interval = d->cfg->audit_interval_ms;
    d->jitter_state ^= d->jitter_state << 13;
    d->jitter_state ^= d->jitter_state >> 7;
    d->jitter_state ^= d->jitter_state << 17;
    return audited_ms + interval - (interval / 2) * (d->jitter_state % 1024u) / 1024u;
}

static void log_events(const vx__events *events, bool stored)
{
    for (size_t i = 0; i < events->count; i++) {
        char *line = vx__alert_log_line(&events->items[i]);
        if (line && stored)
            vx__log(VX__LOG_INFO, "event %lld: %s", (long long)events->items[i].id, line);
        else if (line)
            vx__log(VX__LOG_WARNING, "event (not stored yet: the store is failing): %s", line);
        free(line);
    }
}

static void process(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    vx__check_config ccfg;
    vx__check_config_default(&ccfg);
    ccfg.profile = c->dom->profile;
    ccfg.asndb = d->asndb;
    ccfg.now_s = c->snap->started_ms / 1000u;
    ccfg.providers = c->dom->providers;
    ccfg.provider_count = c->dom->provider_count;
    ccfg.dual_primary = c->dom->dual_primary;
    vx__findings findings = {0};
    vx__events events = {0};
    char *json = NULL;
    bool stored = false;
    /* the checks see the zone copies (ZONE-DIFFERS); the stored snapshot does not carry them */
    c->snap->zones = c->zones.now;
    c->snap->zone_count = c->zones.now_count;
    int rc = vx__run_checks(c->snap, &ccfg, &findings);
    c->snap->zones = NULL;
    c->snap->zone_count = 0;
    if (rc == VX_OK && !(json = vx__snapshot_to_json_compact(c->snap)))
        rc = VX_ENOMEM;
    if (rc == VX_OK)
        rc = diff_and_commit(c, &findings, json, &ccfg, &events, &stored);
    if (rc == VX_OK) {
        double ms = (double)(uv_hrtime() - c->started_ns) / 1e6;
        vx__provider_map pm; /* the metrics' provider labels, declarations included */
        bool have_pm = vx__providers_build(c->snap, &ccfg, &pm) == VX_OK;
        vx__metrics_record_cycle_with(d->metrics, c->domain, c->snap, have_pm ? &pm : NULL,
                                      &findings, &events, ms);
        if (have_pm)
            vx__providers_free(&pm);
        for (size_t r = 0; r < c->resolver_count; r++)
            vx__metrics_record_resolver(d->metrics, c->resolvers[r].label,
                                        c->resolvers[r].status == VX_OK);
        log_events(&events, stored);
        d->cycle_events += events.count;
        if (events.count && d->alerts)
            vx__alert_worker_wake(d->alerts);
    } else {
        vx__log(VX__LOG_ERROR, "%s: cycle not recorded: %s%s%s", c->domain, vx_strerror(rc),
                rc == VX_EIO ? ": " : "", rc == VX_EIO ? vx__store_last_error(d->store) : "");
    }
    free(json);
    vx__events_clear(&events);
    vx__findings_clear(&findings);
}

/* An audit allocates ~40,000 blocks (ldns messages, RRsets, the snapshot, its JSON) and frees
 * them, between blocks that stay (watch plans, the memo, metrics): glibc keeps the freed pages
 * of its heap resident, so a first cycle's RSS grew by ~40 KB per domain audited (5,000 lab
 * domains: 324 MiB peak). Handing the free pages back every AUDITS_PER_TRIM audits brought that
 * to ~190 MiB at no measurable CPU cost; quiet cycles, which hardly allocate, do not trim. */
static void trim_heap(vx__daemon_state *d)
{
    if (++d->audits_since_trim < AUDITS_PER_TRIM)
        return;
    d->audits_since_trim = 0;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static int start_audit(domain_cycle *c);

static void maybe_process(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    if (c->watching) {
        if (!c->watch_done || c->pending_resolver_queries > 0 || c->ep_running)
            return;
        c->watching = false;
        bool endpoints_same = !c->plan->endpoints || c->ep_unchanged;
        if (d->stopping) {
            c->audit_done = true;
        } else if (c->watch_unchanged && resolver_digest(c) == c->plan->resolver_digest &&
                   endpoints_same) {
            record_quiet(c);
            c->keep = c->plan;
            c->plan = NULL;
            c->audit_done = true;
            free_cycle(c);
            vx__cycle_domain_done(d);
            return;
        } else {
            vx__log(VX__LOG_DEBUG, "%s: %s differ from the last audit: auditing", c->domain,
                    endpoints_same ? "answers" : "SIP endpoints");
            if (start_audit(c) == VX_OK)
                return;
            c->audit_done = true;
        }
    }
    if (!c->audit_done || c->pending_resolver_queries > 0 || c->zone_running)
        return;
    bool audited = !d->stopping && c->snap;
    if (audited)
        process(c);
    free_cycle(c);
    if (audited)
        trim_heap(d);
    vx__cycle_domain_done(d);
}

/* --- probing -------------------------------------------------------------------------------- */

static void on_zones(void *arg, vx__zonewatch_result *r)
{
    domain_cycle *c = arg;
    c->zones = *r;
    c->zone_running = false;
    maybe_process(c);
}

static bool zone_watched(const domain_cycle *c)
{
    return c->dom->zone_watch == 1 || (c->dom->zone_watch == -1 && c->d->cfg->zone_watch);
}

/* Whole zones where a provider allows a transfer; on_zones goes on with the cycle (VX_OK). */
static int watch_zones(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    vx__zonewatch_spec spec = {.engine = d->engine,
                               .store = d->store,
                               .metrics = d->metrics,
                               .domain = c->domain,
                               .dom = c->dom,
                               .snap = c->snap,
                               .refresh_ms = d->cfg->zone_refresh_ms,
                               .now_ms = vx__wall_ms()};
    c->zone_running = true;
    int rc = vx__zonewatch_start(&spec, on_zones, c);
    if (rc == VX_OK)
        return VX_OK; /* on_zones will run */
    c->zone_running = false;
    if (rc != VX_ENOTFOUND)
        vx__log(VX__LOG_ERROR, "%s: zone watch not run: %s", c->domain, vx_strerror(rc));
    return rc;
}

static void on_audited(void *arg, int status, vx__snapshot *snap)
{
    domain_cycle *c = arg;
    c->audit_done = true;
    if (status == VX_OK && !c->d->stopping) {
        c->snap = snap;
        if (zone_watched(c) && watch_zones(c) == VX_OK)
            return;
    } else {
        if (status != VX_OK && status != VX_ECANCELED)
            vx__log(VX__LOG_ERROR, "%s: probe failed: %s", c->domain, vx_strerror(status));
        vx__snapshot_free(snap);
    }
    maybe_process(c);
}

static void on_resolver_answer(void *arg, const vx__query_result *q)
{
    resolver_query *rq = arg;
    domain_cycle *c = rq->c;
    resolver_answers *ra = &c->resolvers[rq->resolver];
    vx__observation *o = &ra->obs[ra->count++];
    vx__msg *m = NULL;
    memset(o, 0, sizeof(*o));
    o->kind = VX__PROBE_RESOLVE;
    o->server = strdup(ra->label);
    o->qname = strdup(rq->qname);
    o->qtype = rq->qtype;
    o->qclass = 1;
    o->status = q->status;
    o->rtt_ms = q->rtt_ms;
    o->attempts = q->attempt_count;
    o->time_ms = rq->time_ms;
    o->transport = q->transport;
    if (q->status == VX_OK && vx__msg_parse(q->wire, q->wire_len, &m) == VX_OK) {
        vx__observation_set_response(o, m);
        ra->status = VX_OK;
        if (vx__wire_fingerprint(q->wire, q->wire_len, false, &o->fingerprint) != VX_OK)
            o->fingerprint = 0;
    }
    vx__msg_free(m);
    free(rq);
    c->pending_resolver_queries--;
    maybe_process(c);
}

static void ask_resolver(domain_cycle *c, size_t r, const char *qname, uint16_t qtype)
{
    const vx__monitor_resolver *res = &c->d->cfg->resolvers[r];
    vx__question q;
    resolver_query *rq = calloc(1, sizeof(*rq));
    if (!rq || vx__question_from_text(qname, qtype, 1, &q) != VX_OK) {
        free(rq);
        return;
    }
    *rq = (resolver_query){.c = c, .resolver = r, .qtype = qtype, .time_ms = vx__wall_ms()};
    snprintf(rq->qname, sizeof(rq->qname), "%s", qname);
    vx__query_spec spec = {
        .server = (const struct sockaddr *)&res->addr, .question = &q, .flags = VX__Q_RD};
    if (vx__engine_query(c->d->engine, &spec, on_resolver_answer, rq) != VX_OK) {
        free(rq);
        return;
    }
    c->pending_resolver_queries++;
}

typedef struct resolver_slot {
    domain_cycle *c;
    size_t r;
} resolver_slot;

static void ask_entry(void *ctx, const char *name, uint16_t type)
{
    resolver_slot *slot = ctx;
    ask_resolver(slot->c, slot->r, name, type);
}

/* The chain's entry points (sip/ says which) and the watched records, through every watched
 * resolver. */
static void ask_resolvers(domain_cycle *c)
{
    const char *fqdn = c->dom->name;
    size_t r_count = c->d->cfg->resolver_count;
    c->resolvers = calloc(r_count ? r_count : 1, sizeof(*c->resolvers));
    c->resolver_count = c->resolvers ? r_count : 0;
    for (size_t r = 0; r < c->resolver_count; r++) {
        c->resolvers[r].label = c->d->cfg->resolvers[r].name;
        c->resolvers[r].status = VX_ETIMEDOUT;
        c->resolvers[r].obs = calloc(MAX_RESOLVER_QUESTIONS, sizeof(vx__observation));
        if (!c->resolvers[r].obs)
            continue;
        resolver_slot slot = {c, r};
        vx__sip_entry_questions(fqdn, ask_entry, &slot);
        for (size_t i = 0; i < c->dom->record_count && i + 4 < MAX_RESOLVER_QUESTIONS; i++)
            ask_resolver(c, r, c->dom->records[i].name, c->dom->records[i].type);
    }
}

static int start_audit(domain_cycle *c)
{
    const vx__monitor_domain *dom = c->dom;
    c->d->cycle_audited++;
    c->d->audits_in_flight++;
    c->auditing = true;
    const char *names[64];
    uint16_t types[64];
    size_t n = dom->record_count < 64 ? dom->record_count : 64;
    for (size_t i = 0; i < n; i++) {
        names[i] = dom->records[i].name;
        types[i] = dom->records[i].type;
    }
    vx__audit_opts opts;
    vx__audit_opts_default(&opts);
    opts.hints = &c->d->hints;
    opts.profile = dom->profile;
    opts.alt_domains = (const char *const *)dom->alt_domains;
    opts.alt_count = dom->alt_count;
    opts.extra_names = names;
    opts.extra_types = types;
    opts.extra_count = n;
    opts.endpoints = c->d->tls != NULL;
    opts.tls = c->d->tls;
    return vx__audit_start(c->d->engine, dom->name, &opts, on_audited, NULL, c);
}

/* The plan's audit is due (a reload may have shortened audit_interval below its due time). */
static bool plan_due(const vx__daemon_state *d, const vx__watch_plan *plan)
{
    uint64_t now = vx__wall_ms(), due = plan->audit_due_ms;
    uint64_t latest = plan->audited_ms + d->cfg->audit_interval_ms;
    return d->cfg->audit_interval_ms == 0 || now >= (due < latest ? due : latest);
}

/* The domain's plan, unless its audit is older than audit_interval (0: audit every cycle). */
static void take_plan(domain_cycle *c)
{
    vx__daemon_state *d = c->d;
    if (c->index >= d->plan_count || !d->plans[c->index])
        return;
    c->plan = d->plans[c->index];
    d->plans[c->index] = NULL;
    /* A server turned slow or caught up: the diff has an event to open or close. */
    if (vx__prop_driver_audit_wanted(d->prop, c->domain)) {
        vx__watch_plan_free(c->plan);
        c->plan = NULL;
        return;
    }
    if (plan_due(d, c->plan)) {
        vx__watch_plan_free(c->plan);
        c->plan = NULL;
    }
}

bool vx__cycle_wants_audit(const vx__daemon_state *d, size_t i)
{
    return i >= d->plan_count || !d->plans[i] || plan_due(d, d->plans[i]);
}

/* What a plan depends on besides the zone's data: the profile (which names are asked), the
 * alternate domains and the watched records. */
static bool same_domain_config(const vx__monitor_domain *a, const vx__monitor_domain *b)
{
    if (strcmp(a->profile, b->profile) != 0 || a->alt_count != b->alt_count ||
        a->record_count != b->record_count)
        return false;
    for (size_t i = 0; i < a->alt_count; i++)
        if (strcmp(a->alt_domains[i], b->alt_domains[i]) != 0)
            return false;
    for (size_t i = 0; i < a->record_count; i++)
        if (a->records[i].type != b->records[i].type ||
            strcmp(a->records[i].name, b->records[i].name) != 0)
            return false;
    return true;
}

typedef struct named_slot {
    const char *name;
    size_t index;
} named_slot;

static int cmp_named_slot(const void *a, const void *b)
{
    return strcmp(((const named_slot *)a)->name, ((const named_slot *)b)->name);
}

void vx__cycle_keep_plans(vx__daemon_state *d, const vx__monitor_config *old,
                          const vx__monitor_config *next)
{
    vx__watch_plan **plans = calloc(next->domain_count ? next->domain_count : 1, sizeof(*plans));
    uint64_t *asked = calloc(next->domain_count ? next->domain_count : 1, sizeof(*asked));
    named_slot *by_name = calloc(old->domain_count ? old->domain_count : 1, sizeof(*by_name));
    if (!plans || !by_name || d->plan_count != old->domain_count) {
        free(plans);
        free(asked);
        free(by_name);
        vx__cycle_drop_plans(d, next->domain_count);
        return;
    }
    for (size_t i = 0; i < old->domain_count; i++)
        by_name[i] = (named_slot){.name = old->domains[i].name, .index = i};
    qsort(by_name, old->domain_count, sizeof(*by_name), cmp_named_slot);
    for (size_t i = 0; i < next->domain_count; i++) {
        named_slot key = {.name = next->domains[i].name};
        named_slot *hit =
            bsearch(&key, by_name, old->domain_count, sizeof(*by_name), cmp_named_slot);
        if (hit && same_domain_config(&old->domains[hit->index], &next->domains[i])) {
            plans[i] = d->plans[hit->index];
            d->plans[hit->index] = NULL;
        }
        if (hit && asked && d->asked_ms)
            asked[i] = d->asked_ms[hit->index];
    }
    free(by_name);
    vx__cycle_drop_plans(d, 0); /* the plans of domains removed or changed */
    d->plans = plans;
    d->asked_ms = asked;
    d->plan_count = next->domain_count;
}

/* --- plans kept in the store ----------------------------------------------------------------- */

typedef struct plan_loader {
    vx__daemon_state *d;
    named_slot *by_name; /* the configured domains in the store's form (no trailing dot) */
    size_t loaded, stale;
} plan_loader;

static int load_one(void *arg, const char *domain, const char *text)
{
    plan_loader *l = arg;
    vx__daemon_state *d = l->d;
    named_slot key = {.name = domain};
    named_slot *hit =
        bsearch(&key, l->by_name, d->cfg->domain_count, sizeof(*l->by_name), cmp_named_slot);
    vx__watch_plan *plan = NULL;
    uint64_t k = 0;
    if (!hit || hit->index >= d->plan_count || d->plans[hit->index])
        return 0;
    int rc = vx__watch_plan_decode(text, strlen(text), &d->watch_servers, &plan, &k);
    if (rc == VX_ENOMEM)
        return rc;
    if (rc != VX_OK || k != domain_key(&d->cfg->domains[hit->index])) {
        vx__watch_plan_free(plan);
        l->stale++;
        return 0;
    }
    d->plans[hit->index] = plan;
    l->loaded++;
    return 0;
}

void vx__cycle_load_plans(vx__daemon_state *d)
{
    size_t n = d->cfg->domain_count;
    plan_loader l = {.d = d, .by_name = calloc(n ? n : 1, sizeof(named_slot))};
    char **names = calloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; l.by_name && names && i < n; i++) {
        const char *full = d->cfg->domains[i].name;
        size_t len = strlen(full);
        names[i] = strndup(full, len > 1 && full[len - 1] == '.' ? len - 1 : len);
        l.by_name[i] = (named_slot){.name = names[i] ? names[i] : "", .index = i};
    }
    if (l.by_name && names) {
        qsort(l.by_name, n, sizeof(*l.by_name), cmp_named_slot);
        int rc = vx__store_each_watch_plan(d->store, load_one, &l);
        if (rc != VX_OK)
            vx__log(VX__LOG_ERROR, "stored watch plans not read: %s", vx_strerror(rc));
        vx__log(VX__LOG_NOTICE, "%zu stored watch plans taken (%zu made for another configuration)",
                l.loaded, l.stale);
    }
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(l.by_name);
}

void vx__cycle_drop_plans(vx__daemon_state *d, size_t new_count)
{
    for (size_t i = 0; i < d->plan_count; i++)
        vx__watch_plan_free(d->plans[i]);
    free(d->plans);
    free(d->asked_ms);
    d->plans = new_count ? calloc(new_count, sizeof(*d->plans)) : NULL;
    d->asked_ms = new_count ? calloc(new_count, sizeof(*d->asked_ms)) : NULL;
    d->plan_count = d->plans ? new_count : 0;
    d->generation++;
}

void vx__cycle_start_domain(vx__daemon_state *d, size_t i)
{
    domain_cycle *c = calloc(1, sizeof(*c));
    if (!c) {
        vx__cycle_domain_done(d);
        return;
    }
    c->d = d;
    c->dom = &d->cfg->domains[i];
    c->index = i;
    c->generation = d->generation;
    c->started_ns = uv_hrtime();
    c->prev_asked_ms = i < d->plan_count && d->asked_ms ? d->asked_ms[i] : 0;
    size_t len = strlen(c->dom->name);
    snprintf(c->domain, sizeof(c->domain), "%.*s", (int)(len > 1 ? len - 1 : len), c->dom->name);
    take_plan(c);
    ask_resolvers(c);
    if (c->plan && d->watch_pool &&
        vx__watch_addresses(c->plan, &d->watch_servers, &c->addrs) == VX_OK) {
        c->watch_started_ms = vx__wall_ms();
        c->watching = vx__watch_pool_submit(d->watch_pool, c->plan, c->addrs, d->cycles, on_watched,
                                            c) == VX_OK;
        if (c->watching && c->plan->endpoints && d->tls)
            c->ep_running =
                vx__ep_watch_run(d->engine, c->plan->endpoints, d->tls, on_ep_watched, c) == VX_OK;
        /* endpoints that could not be pinged are not "unchanged": ep_unchanged stays false */
        if (c->watching)
            return;
    }
    int rc = start_audit(c);
    if (rc != VX_OK) {
        vx__log(VX__LOG_ERROR, "%s: cannot start the probes: %s", c->domain, vx_strerror(rc));
        c->audit_done = true;
        maybe_process(c);
    }
}
