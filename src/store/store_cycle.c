/*
 * store/store_cycle.c — the store's writes: accepting a baseline, committing a monitoring cycle
 * (snapshot, events, conditions, RTT samples) in one transaction, the RTT samples of quiet
 * cycles in batches, and recording deliveries.
 *
 * A cycle's ids are written back into the caller's events only after COMMIT succeeded, so a
 * failed commit leaves the caller's list exactly as it was (ids 0) and the database without
 * any trace of the cycle.
 */
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "voxdns/status.h"

/* ---- baseline ------------------------------------------------------------------------------ */

int vx__store_set_baseline(vx__store *s, const char *domain, const char *json, uint64_t now_ms)
{
    int64_t id = 0;

    if (!s || !domain || !*domain || !json)
        return VX_EINVAL;
    int rc = vx__store_begin(s);
    if (rc == VX_OK)
        rc = vx__store_domain_id(s, domain, &id);
    if (rc == VX_OK) {
        vx__sp p[] = {VX__SP_I(id), VX__SP_T(json), VX__SP_I(now_ms)};
        rc = vx__store_exec(s,
                            "INSERT INTO baselines (domain_id, json, accepted_ms)"
                            " VALUES ($1, $2, $3) ON CONFLICT (domain_id) DO UPDATE"
                            " SET json = excluded.json, accepted_ms = excluded.accepted_ms",
                            p, 3);
    }
    if (rc == VX_OK) { /* the zone copies of the cycle accepted go with it */
        vx__sp p[] = {VX__SP_I(id), VX__SP_I(now_ms)};
        rc = vx__store_exec(s,
                            "UPDATE zone_copies SET baseline = held, accepted_ms = $2"
                            " WHERE domain_id = $1",
                            p, 2);
    }
    return vx__store_end(s, rc);
}

/* ---- events -------------------------------------------------------------------------------- */

/* Rdata comes from the network; ldns escapes it to ASCII, but one stray byte must not make the
 * whole cycle unstorable, so a string that is not UTF-8 is kept with '?' for each high byte. */
static json_t *json_str_lossy(const char *text)
{
    json_t *j = json_string(text ? text : "");
    if (j)
        return j;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *c = copy; *c; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* The JSON array text of a string list (malloc'd), or NULL when memory ran out. */
static char *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_str_lossy(v[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

static int insert_event_row(vx__store *s, int64_t domain_id, int64_t snap_id, const vx__event *e,
                            const char *old_json, const char *new_json, int64_t *id)
{
    vx__sp p[] = {
        VX__SP_I(domain_id),
        VX__SP_T(vx__event_type_name(e->type)),
        VX__SP_T(vx__severity_name(e->severity)),
        VX__SP_T(e->server),
        VX__SP_T(e->name),
        VX__SP_I(e->rrtype),
        VX__SP_T(old_json),
        VX__SP_T(new_json),
        VX__SP_I(e->old_ttl),
        VX__SP_I(e->new_ttl),
        VX__SP_T(e->check),
        VX__SP_T(e->message),
        VX__SP_I(e->first_seen_ms),
        VX__SP_I(e->last_seen_ms),
        VX__SP_I(snap_id),
    };
    bool found;
    int rc = vx__store_query_int(
        s,
        "INSERT INTO events (domain_id, type, severity, server, name, rrtype, old_json, new_json,"
        " old_ttl, new_ttl, check_id, message, first_seen_ms, last_seen_ms, snapshot_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        p, 15, id, &found);
    if (rc == VX_OK && !found)
        rc = vx__store_fail(s, "inserting an event returned no id");
    return rc;
}

static int insert_event(vx__store *s, int64_t domain_id, int64_t snap_id, const vx__event *e,
                        int64_t *id)
{
    char *old_json = strv_json(e->old_data, e->old_data ? e->old_count : 0);
    char *new_json = strv_json(e->new_data, e->new_data ? e->new_count : 0);
    int rc = VX_ENOMEM;

    if (old_json && new_json)
        rc = insert_event_row(s, domain_id, snap_id, e, old_json, new_json, id);
    free(old_json);
    free(new_json);
    return rc;
}

static int insert_events(vx__store *s, int64_t domain_id, int64_t snap_id, const vx__events *events,
                         int64_t *ids)
{
    int rc = VX_OK;

    for (size_t i = 0; rc == VX_OK && events && i < events->count; i++)
        rc = insert_event(s, domain_id, snap_id, &events->items[i], &ids[i]);
    return rc;
}

/* ---- conditions, samples, snapshot --------------------------------------------------------- */

static int insert_condition(vx__store *s, int64_t domain_id, const vx__condition *c)
{
    vx__sp p[] = {
        VX__SP_I(domain_id),
        VX__SP_T(c->key),
        VX__SP_T(vx__event_type_name(c->opened_by)),
        VX__SP_I(c->first_seen_ms),
        VX__SP_I(c->last_seen_ms),
        VX__SP_I(c->event_id),
        VX__SP_T(c->detail),
    };
    return vx__store_exec(s,
                          "INSERT INTO conditions (domain_id, key, opened_by, first_seen_ms,"
                          " last_seen_ms, event_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                          p, 7);
}

static int replace_conditions(vx__store *s, int64_t domain_id, const vx__conditions *conds)
{
    vx__sp p[] = {VX__SP_I(domain_id)};
    int rc = vx__store_exec(s, "DELETE FROM conditions WHERE domain_id = $1", p, 1);

    for (size_t i = 0; rc == VX_OK && conds && i < conds->count; i++)
        rc = insert_condition(s, domain_id, &conds->items[i]);
    return rc;
}

static int insert_samples(vx__store *s, int64_t domain_id, const vx__store_rtt_sample *samples,
                          size_t count)
{
    int rc = VX_OK;

    for (size_t i = 0; rc == VX_OK && i < count; i++) {
        vx__sp p[] = {VX__SP_I(domain_id), VX__SP_T(samples[i].server), VX__SP_R(samples[i].rtt_ms),
                      VX__SP_I(samples[i].time_ms)};
        rc = vx__store_exec(s,
                            "INSERT INTO rtt_samples (domain_id, server, rtt_ms, time_ms)"
                            " VALUES ($1, $2, $3, $4)",
                            p, 4);
    }
    return rc;
}

int vx__store_add_rtt_samples(vx__store *s, const vx__store_rtt_row *rows, size_t count)
{
    if (!s || (!rows && count))
        return VX_EINVAL;
    if (count == 0)
        return VX_OK;
    int rc = vx__store_begin(s);
    for (size_t i = 0; rc == VX_OK && i < count; i++) {
        const vx__store_rtt_sample *r = &rows[i].sample;
        vx__sp p[] = {VX__SP_T(rows[i].domain), VX__SP_T(r->server), VX__SP_R(r->rtt_ms),
                      VX__SP_I(r->time_ms)};
        rc = vx__store_exec(s,
                            "INSERT INTO rtt_samples (domain_id, server, rtt_ms, time_ms)"
                            " SELECT id, $2, $3, $4 FROM domains WHERE name = $1",
                            p, 4);
        /* A domain's samples come together: its summary is touched once. */
        if (rc == VX_OK && (i + 1 == count || strcmp(rows[i + 1].domain, rows[i].domain) != 0))
            rc = vx__store_exec(s,
                                "UPDATE domain_summaries SET cycle_ms = $4 WHERE cycle_ms < $4"
                                " AND domain_id = (SELECT id FROM domains WHERE name = $1)",
                                p, 4);
    }
    return vx__store_end(s, rc);
}

int vx__store_prune_rtt(vx__store *s, uint64_t before_ms, size_t limit)
{
    vx__sp p[] = {VX__SP_I(before_ms), VX__SP_I(limit)};
    if (!s || limit == 0)
        return VX_EINVAL;
    return vx__store_exec(s,
                          "DELETE FROM rtt_samples WHERE id IN (SELECT id FROM rtt_samples"
                          " WHERE time_ms < $1 ORDER BY time_ms LIMIT $2)",
                          p, 2);
}

static int insert_snapshot(vx__store *s, int64_t domain_id, const char *json, uint64_t time_ms,
                           int64_t *id)
{
    vx__sp p[] = {VX__SP_I(domain_id), VX__SP_I(time_ms), VX__SP_T(json)};
    bool found;
    int rc = vx__store_query_int(s,
                                 "INSERT INTO snapshots (domain_id, time_ms, json)"
                                 " VALUES ($1, $2, $3) RETURNING id",
                                 p, 3, id, &found);
    if (rc == VX_OK && !found)
        rc = vx__store_fail(s, "inserting a snapshot returned no id");
    return rc;
}

/* ---- the cycle ----------------------------------------------------------------------------- */

typedef struct cycle {
    const char *domain;
    const char *snapshot_json;
    uint64_t time_ms;
    const vx__events *events;
    const vx__conditions *conds;
    const vx__store_rtt_sample *samples;
    size_t sample_count;
    const vx__store_summary *summary;
} cycle;

static int write_summary(vx__store *s, int64_t domain_id, const vx__store_summary *sum,
                         uint64_t time_ms)
{
    char counts[80];
    snprintf(counts, sizeof counts, "%u,%u,%u,%u,%u", sum->findings[0], sum->findings[1],
             sum->findings[2], sum->findings[3], sum->findings[4]);
    vx__sp p[] = {VX__SP_I(domain_id), VX__SP_T(sum->state), VX__SP_T(counts),
                  VX__SP_I(sum->open_conditions), VX__SP_I(time_ms)};
    return vx__store_exec(s,
                          "INSERT INTO domain_summaries (domain_id, state, counts,"
                          " open_conditions, audited_ms, cycle_ms)"
                          " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (domain_id) DO UPDATE"
                          " SET state = excluded.state, counts = excluded.counts,"
                          " open_conditions = excluded.open_conditions,"
                          " audited_ms = excluded.audited_ms, cycle_ms = excluded.cycle_ms",
                          p, 5);
}

static int write_plan(vx__store *s, int64_t domain_id, const char *plan)
{
    vx__sp p[] = {VX__SP_I(domain_id), VX__SP_T(plan)};
    if (!plan)
        return vx__store_exec(s, "DELETE FROM watch_plans WHERE domain_id = $1", p, 1);
    return vx__store_exec(s,
                          "INSERT INTO watch_plans (domain_id, plan) VALUES ($1, $2)"
                          " ON CONFLICT (domain_id) DO UPDATE SET plan = excluded.plan",
                          p, 2);
}

static int write_cycle(vx__store *s, const cycle *c, int64_t *snap_id, int64_t *ids)
{
    int64_t domain_id = 0;
    int rc = VX_OK;

    if (s->be->cycle_lock_sql)
        rc = vx__store_exec(s, s->be->cycle_lock_sql, NULL, 0);
    if (rc == VX_OK)
        rc = vx__store_domain_id(s, c->domain, &domain_id);
    if (rc == VX_OK)
        rc = insert_snapshot(s, domain_id, c->snapshot_json, c->time_ms, snap_id);
    /* Snapshots are kept as the evidence of events, and the latest as the domain's current
     * picture; the others would only grow the store by a snapshot per domain and audit. */
    if (rc == VX_OK) {
        vx__sp p[] = {VX__SP_I(domain_id), VX__SP_I(*snap_id)};
        rc = vx__store_exec(s,
                            "DELETE FROM snapshots WHERE domain_id = $1 AND id < $2 AND NOT EXISTS"
                            " (SELECT 1 FROM events e WHERE e.snapshot_id = snapshots.id)",
                            p, 2);
    }
    if (rc == VX_OK)
        rc = insert_events(s, domain_id, *snap_id, c->events, ids);
    if (rc == VX_OK)
        rc = replace_conditions(s, domain_id, c->conds);
    if (rc == VX_OK)
        rc = insert_samples(s, domain_id, c->samples, c->sample_count);
    if (rc == VX_OK && c->summary)
        rc = write_summary(s, domain_id, c->summary, c->time_ms);
    if (rc == VX_OK && c->summary)
        rc = write_plan(s, domain_id, c->summary->watch_plan);
    return rc;
}

static bool cycle_valid(const cycle *c)
{
    if (!c->domain || !*c->domain || !c->snapshot_json || (c->sample_count && !c->samples) ||
        (c->summary && !c->summary->state))
        return false;
    for (size_t i = 0; c->conds && i < c->conds->count; i++)
        if (!c->conds->items[i].key)
            return false;
    for (size_t i = 0; i < c->sample_count; i++)
        if (!c->samples[i].server)
            return false;
    return true;
}

static int run_cycle(vx__store *s, const cycle *c, int64_t *snap_id, int64_t *ids)
{
    int rc = vx__store_begin(s);

    if (rc == VX_OK)
        rc = write_cycle(s, c, snap_id, ids);
    rc = vx__store_end(s, rc);
    return rc == VX_OK || rc == VX_ENOMEM ? rc : VX_EIO;
}

int vx__store_commit_cycle(vx__store *s, const char *domain, const char *snapshot_json,
                           uint64_t time_ms, vx__events *events, const vx__conditions *conds,
                           const vx__store_rtt_sample *samples, size_t sample_count,
                           const vx__store_summary *summary)
{
    cycle c = {domain, snapshot_json, time_ms, events, conds, samples, sample_count, summary};
    size_t n = events ? events->count : 0;
    int64_t snap_id = 0;

    if (!s || !cycle_valid(&c))
        return VX_EINVAL;
    int64_t *ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return VX_ENOMEM;
    int rc = run_cycle(s, &c, &snap_id, ids);
    for (size_t i = 0; rc == VX_OK && i < n; i++) {
        events->items[i].id = ids[i];
        events->items[i].snapshot_id = snap_id;
    }
    free(ids);
    return rc;
}

/* ---- deliveries ---------------------------------------------------------------------------- */

int vx__store_mark_delivered(vx__store *s, const char *sink, int64_t event_id, uint64_t now_ms)
{
    vx__sp p[] = {VX__SP_T(sink), VX__SP_I(event_id), VX__SP_I(now_ms)};
    int64_t one;
    bool found;

    if (!s || !sink || !*sink)
        return VX_EINVAL;
    int rc = vx__store_query_int(s, "SELECT 1 FROM events WHERE id = $1", &p[1], 1, &one, &found);
    if (rc == VX_OK && !found)
        return VX_ENOTFOUND;
    if (rc == VX_OK)
        rc = vx__store_begin(s);
    if (rc == VX_OK)
        rc = vx__store_exec(s,
                            "INSERT INTO deliveries (sink, event_id, delivered_ms)"
                            " VALUES ($1, $2, $3) ON CONFLICT (sink, event_id) DO NOTHING",
                            p, 3);
    if (rc == VX_OK)
        rc = vx__store_exec(s,
                            "INSERT INTO sink_cursors (sink, event_id, updated_ms)"
                            " VALUES ($1, $2, $3) ON CONFLICT (sink) DO UPDATE"
                            " SET event_id = CASE WHEN excluded.event_id > sink_cursors.event_id"
                            " THEN excluded.event_id ELSE sink_cursors.event_id END,"
                            " updated_ms = excluded.updated_ms",
                            p, 3);
    return vx__store_end(s, rc);
}

int vx__store_register_sink(vx__store *s, const char *sink, uint64_t now_ms)
{
    vx__sp p[] = {VX__SP_T(sink), VX__SP_I(now_ms)};

    if (!s || !sink || !*sink)
        return VX_EINVAL;
    return vx__store_exec(s,
                          "INSERT INTO sink_cursors (sink, event_id, updated_ms)"
                          " SELECT $1, COALESCE(max(id), 0), $2 FROM events WHERE true"
                          " ON CONFLICT (sink) DO NOTHING",
                          p, 2);
}
