/*
 * store/store_query.c — the store's reads: a domain's baseline, open conditions and latest
 * snapshot, event lists (after an id, since a time, not yet delivered to a sink), the domains,
 * and RTT samples for the dashboard.
 *
 * Lists are appended to the caller's list; when a read fails half-way, what it had appended is
 * removed again, so the caller's list is either extended by the whole answer or unchanged.
 * A limit of 0 means no limit.
 */
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/array.h"
#include "voxdns/status.h"

#define NO_LIMIT INT64_MAX

static int64_t limit_of(size_t limit)
{
    return limit == 0 || limit > (size_t)NO_LIMIT ? NO_LIMIT : (int64_t)limit;
}

static char *dup_col(vx__store *s, vx__sq *q, int col)
{
    const char *t = s->be->text(q, col);
    return t ? strdup(t) : NULL;
}

/* ---- baseline and snapshots ---------------------------------------------------------------- */

/* One row of (text, integer) for a domain: the baseline or the latest snapshot. */
static int text_and_int(vx__store *s, const char *sql, const char *domain, char **text,
                        int64_t *value)
{
    vx__sp p[] = {VX__SP_T(domain)};
    vx__sq *q;

    *text = NULL;
    *value = 0;
    int rc = s->be->query(s, sql, p, 1, &q);
    if (rc != VX_OK)
        return rc;
    rc = s->be->step(q);
    if (rc == 1) {
        *text = dup_col(s, q, 0);
        *value = s->be->int64(q, 1);
        rc = *text ? VX_OK : VX_ENOMEM;
    }
    s->be->finish(q);
    return rc;
}

int vx__store_get_baseline(vx__store *s, const char *domain, char **json, uint64_t *accepted_ms)
{
    int64_t ms = 0;

    if (!s || !domain || !json)
        return VX_EINVAL;
    int rc = text_and_int(s,
                          "SELECT b.json, b.accepted_ms FROM baselines b"
                          " JOIN domains d ON d.id = b.domain_id WHERE d.name = $1",
                          domain, json, &ms);
    if (accepted_ms)
        *accepted_ms = (uint64_t)ms;
    return rc;
}

int vx__store_latest_snapshot(vx__store *s, const char *domain, char **json, int64_t *id)
{
    int64_t sid = 0;

    if (!s || !domain || !json)
        return VX_EINVAL;
    int rc =
        text_and_int(s,
                     "SELECT s.json, s.id FROM snapshots s JOIN domains d ON d.id = s.domain_id"
                     " WHERE d.name = $1 ORDER BY s.id DESC LIMIT 1",
                     domain, json, &sid);
    if (id)
        *id = sid;
    return rc;
}

/* ---- conditions ---------------------------------------------------------------------------- */

static int condition_row(vx__store *s, vx__sq *q, vx__conditions *out)
{
    vx__condition c = {
        .key = (char *)s->be->text(q, 0),
        .first_seen_ms = (uint64_t)s->be->int64(q, 2),
        .last_seen_ms = (uint64_t)s->be->int64(q, 3),
        .event_id = s->be->int64(q, 4),
        .detail = (char *)s->be->text(q, 5),
    };
    const char *type = s->be->text(q, 1);
    if (vx__event_type_from_name(type, &c.opened_by) != VX_OK)
        return vx__store_fail(s, "unknown event type \"%s\" in the store", type ? type : "");
    return vx__conditions_put(out, &c);
}

int vx__store_get_conditions(vx__store *s, const char *domain, vx__conditions *out)
{
    vx__sp p[] = {VX__SP_T(domain)};
    vx__conditions got = {0};
    vx__sq *q;

    if (!s || !domain || !out)
        return VX_EINVAL;
    int rc = s->be->query(s,
                          "SELECT c.key, c.opened_by, c.first_seen_ms, c.last_seen_ms, c.event_id,"
                          " c.detail FROM conditions c JOIN domains d ON d.id = c.domain_id"
                          " WHERE d.name = $1 ORDER BY c.key",
                          p, 1, &q);
    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1 && (rc = condition_row(s, q, &got)) == VX_OK)
        ;
    s->be->finish(q);
    for (size_t i = 0; rc == VX_OK && i < got.count; i++)
        rc = vx__conditions_put(out, &got.items[i]);
    vx__conditions_clear(&got);
    return rc;
}

/* ---- events -------------------------------------------------------------------------------- */

#define EVENT_SELECT                                                                               \
    "SELECT e.id, d.name, e.type, e.severity, e.server, e.name, e.rrtype, e.old_json,"             \
    " e.new_json, e.old_ttl, e.new_ttl, e.check_id, e.message, e.first_seen_ms,"                   \
    " e.last_seen_ms, e.snapshot_id FROM events e JOIN domains d ON d.id = e.domain_id "

/* A JSON array of strings, borrowed: the strings live as long as *root. */
static int strv_parse(vx__store *s, const char *text, json_t **root, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    *root = json_loads(text ? text : "[]", 0, NULL);
    if (!json_is_array(*root))
        return vx__store_fail(s, "malformed record data in the store: %s", text ? text : "");
    size_t count = json_array_size(*root);
    if (count == 0)
        return VX_OK;
    if (!(*v = calloc(count, sizeof **v)))
        return VX_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        (*v)[i] = (char *)json_string_value(json_array_get(*root, i));
        if (!(*v)[i])
            return vx__store_fail(s, "malformed record data in the store: %s", text);
    }
    *n = count;
    return VX_OK;
}

static int event_enums(vx__store *s, vx__sq *q, vx__event *e)
{
    const char *type = s->be->text(q, 2);
    const char *sev = s->be->text(q, 3);

    if (vx__event_type_from_name(type, &e->type) != VX_OK)
        return vx__store_fail(s, "unknown event type \"%s\" in the store", type ? type : "");
    if (vx__severity_from_name(sev, &e->severity) != VX_OK)
        return vx__store_fail(s, "unknown severity \"%s\" in the store", sev ? sev : "");
    return VX_OK;
}

/* Reads the current row into a borrowed event (strings point into the row and the two JSON
 * roots) and pushes a deep copy. */
static int event_row(vx__store *s, vx__sq *q, vx__events *out)
{
    const vx__store_driver *be = s->be;
    json_t *old_root = NULL, *new_root = NULL;
    vx__event e = {
        .id = be->int64(q, 0),
        .domain = (char *)be->text(q, 1),
        .server = (char *)be->text(q, 4),
        .name = (char *)be->text(q, 5),
        .rrtype = (uint16_t)be->int64(q, 6),
        .old_ttl = (uint32_t)be->int64(q, 9),
        .new_ttl = (uint32_t)be->int64(q, 10),
        .check = (char *)be->text(q, 11),
        .message = (char *)be->text(q, 12),
        .first_seen_ms = (uint64_t)be->int64(q, 13),
        .last_seen_ms = (uint64_t)be->int64(q, 14),
        .snapshot_id = be->int64(q, 15),
    };
    int rc = event_enums(s, q, &e);
    if (rc == VX_OK)
        rc = strv_parse(s, be->text(q, 7), &old_root, &e.old_data, &e.old_count);
    if (rc == VX_OK)
        rc = strv_parse(s, be->text(q, 8), &new_root, &e.new_data, &e.new_count);
    if (rc == VX_OK)
        rc = vx__events_push(out, &e);
    free(e.old_data);
    free(e.new_data);
    json_decref(old_root);
    json_decref(new_root);
    return rc;
}

static void events_truncate(vx__events *out, size_t count)
{
    while (out->count > count)
        vx__event_clear(&out->items[--out->count]);
}

static int read_events(vx__store *s, const char *sql, const vx__sp *p, int n, vx__events *out)
{
    size_t before = out->count;
    vx__sq *q;

    int rc = s->be->query(s, sql, p, n, &q);
    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1 && (rc = event_row(s, q, out)) == VX_OK)
        ;
    s->be->finish(q);
    if (rc != VX_OK)
        events_truncate(out, before);
    return rc;
}

int vx__store_events_since(vx__store *s, const char *domain, int64_t after_id, size_t limit,
                           vx__events *out)
{
    vx__sp p[] = {VX__SP_I(after_id), VX__SP_I(limit_of(limit)), VX__SP_T(domain)};

    if (!s || !out)
        return VX_EINVAL;
    if (!domain)
        return read_events(s, EVENT_SELECT "WHERE e.id > $1 ORDER BY e.id LIMIT $2", p, 2, out);
    return read_events(s, EVENT_SELECT "WHERE e.id > $1 AND d.name = $3 ORDER BY e.id LIMIT $2", p,
                       3, out);
}

int vx__store_events_since_time(vx__store *s, const char *domain, uint64_t since_ms, size_t limit,
                                vx__events *out)
{
    vx__sp p[] = {VX__SP_I(since_ms), VX__SP_I(limit_of(limit)), VX__SP_T(domain)};

    if (!s || !out)
        return VX_EINVAL;
    if (!domain)
        return read_events(s,
                           EVENT_SELECT "WHERE e.first_seen_ms >= $1"
                                        " ORDER BY e.first_seen_ms, e.id LIMIT $2",
                           p, 2, out);
    return read_events(s,
                       EVENT_SELECT "WHERE e.first_seen_ms >= $1 AND d.name = $3"
                                    " ORDER BY e.first_seen_ms, e.id LIMIT $2",
                       p, 3, out);
}

int vx__store_undelivered(vx__store *s, const char *sink, size_t limit, vx__events *out)
{
    vx__sp p[] = {VX__SP_T(sink), VX__SP_I(limit_of(limit))};

    if (!s || !sink || !*sink || !out)
        return VX_EINVAL;
    return read_events(s,
                       EVENT_SELECT "WHERE e.id > COALESCE((SELECT c.event_id FROM sink_cursors c"
                                    " WHERE c.sink = $1), 0)"
                                    " ORDER BY e.id LIMIT $2",
                       p, 2, out);
}

/* ---- domains ------------------------------------------------------------------------------- */

static void names_free(char **names, size_t count)
{
    for (size_t i = 0; names && i < count; i++)
        free(names[i]);
    free(names);
}

static int names_push(char ***names, size_t *count, size_t *cap, char *name)
{
    if (!name)
        return VX_ENOMEM;
    char **grown = vx__grow(*names, cap, *count + 1, sizeof *grown, 8);
    if (!grown) {
        free(name);
        return VX_ENOMEM;
    }
    *names = grown;
    (*names)[(*count)++] = name;
    return VX_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted here, bytewise: PostgreSQL's ORDER BY follows the database's collation. */
int vx__store_domains(vx__store *s, char ***names, size_t *count)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    vx__sq *q;

    if (!s || !names || !count)
        return VX_EINVAL;
    *names = NULL;
    *count = 0;
    int rc = s->be->query(s, "SELECT name FROM domains", NULL, 0, &q);
    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1 && (rc = names_push(&v, &n, &cap, dup_col(s, q, 0))) == 0)
        ;
    s->be->finish(q);
    if (rc != VX_OK) {
        names_free(v, n);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_names);
    *names = v;
    *count = n;
    return VX_OK;
}

/* ---- summaries ----------------------------------------------------------------------------- */

void vx__store_summary_rows_free(vx__store_summary_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++) {
        free(rows[i].domain);
        free(rows[i].state);
    }
    free(rows);
}

static int summary_push(vx__store *s, vx__sq *q, vx__store_summary_row **rows, size_t *n,
                        size_t *cap)
{
    vx__store_summary_row *grown = vx__grow(*rows, cap, *n + 1, sizeof *grown, 64);
    if (!grown)
        return VX_ENOMEM;
    *rows = grown;
    vx__store_summary_row *r = &(*rows)[*n];
    memset(r, 0, sizeof *r);
    if (!(r->domain = dup_col(s, q, 0)))
        return VX_ENOMEM;
    (*n)++;
    r->has_summary = !s->be->is_null(q, 1);
    if (!r->has_summary)
        return VX_OK;
    const char *counts = s->be->text(q, 2);
    if (!(r->state = dup_col(s, q, 1)))
        return VX_ENOMEM;
    if (!counts || sscanf(counts, "%u,%u,%u,%u,%u", &r->findings[0], &r->findings[1],
                          &r->findings[2], &r->findings[3], &r->findings[4]) != 5)
        r->has_summary = false; /* unreadable: the caller derives it again */
    r->open_conditions = s->be->int64(q, 3);
    r->audited_ms = (uint64_t)s->be->int64(q, 4);
    r->cycle_ms = (uint64_t)s->be->int64(q, 5);
    return VX_OK;
}

static int cmp_summary_rows(const void *a, const void *b)
{
    return strcmp(((const vx__store_summary_row *)a)->domain,
                  ((const vx__store_summary_row *)b)->domain);
}

int vx__store_summaries(vx__store *s, vx__store_summary_row **rows, size_t *count)
{
    vx__store_summary_row *v = NULL;
    size_t n = 0, cap = 0;
    vx__sq *q;

    if (!s || !rows || !count)
        return VX_EINVAL;
    *rows = NULL;
    *count = 0;
    int rc = s->be->query(s,
                          "SELECT d.name, m.state, m.counts, m.open_conditions, m.audited_ms,"
                          " m.cycle_ms FROM domains d LEFT JOIN domain_summaries m"
                          " ON m.domain_id = d.id",
                          NULL, 0, &q);
    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1 && (rc = summary_push(s, q, &v, &n, &cap)) == VX_OK)
        ;
    s->be->finish(q);
    if (rc != VX_OK) {
        vx__store_summary_rows_free(v, n);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_summary_rows); /* bytewise, as vx__store_domains */
    *rows = v;
    *count = n;
    return VX_OK;
}

int vx__store_each_watch_plan(vx__store *s, vx__store_plan_fn fn, void *arg)
{
    vx__sq *q;
    if (!s || !fn)
        return VX_EINVAL;
    int rc = s->be->query(s,
                          "SELECT d.name, w.plan FROM watch_plans w JOIN domains d"
                          " ON d.id = w.domain_id",
                          NULL, 0, &q);
    if (rc != VX_OK)
        return rc;
    int stop = 0;
    while (!stop && (rc = s->be->step(q)) == 1)
        stop = fn(arg, s->be->text(q, 0), s->be->text(q, 1));
    s->be->finish(q);
    return stop ? stop : rc == 0 ? VX_OK : rc;
}

/* ---- RTT samples --------------------------------------------------------------------------- */

void vx__rtt_rows_free(vx__rtt_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++)
        free(rows[i].server);
    free(rows);
}

static int rtt_push(vx__store *s, vx__sq *q, vx__rtt_row **rows, size_t *n, size_t *cap)
{
    vx__rtt_row *grown = vx__grow(*rows, cap, *n + 1, sizeof *grown, 64);
    if (!grown)
        return VX_ENOMEM;
    *rows = grown;
    vx__rtt_row *r = &(*rows)[*n];
    r->server = dup_col(s, q, 0);
    r->rtt_ms = s->be->real(q, 1);
    r->time_ms = (uint64_t)s->be->int64(q, 2);
    if (!r->server)
        return VX_ENOMEM;
    (*n)++;
    return VX_OK;
}

int vx__store_rtt_since(vx__store *s, const char *domain, uint64_t since_ms, vx__rtt_row **rows,
                        size_t *count)
{
    vx__sp p[] = {VX__SP_T(domain), VX__SP_I(since_ms)};
    vx__rtt_row *v = NULL;
    size_t n = 0, cap = 0;
    vx__sq *q;

    if (!s || !domain || !rows || !count)
        return VX_EINVAL;
    *rows = NULL;
    *count = 0;
    int rc = s->be->query(s,
                          "SELECT r.server, r.rtt_ms, r.time_ms FROM rtt_samples r"
                          " JOIN domains d ON d.id = r.domain_id"
                          " WHERE d.name = $1 AND r.time_ms >= $2 ORDER BY r.time_ms, r.id",
                          p, 2, &q);
    if (rc != VX_OK)
        return rc;
    while ((rc = s->be->step(q)) == 1 && (rc = rtt_push(s, q, &v, &n, &cap)) == VX_OK)
        ;
    s->be->finish(q);
    if (rc != VX_OK) {
        vx__rtt_rows_free(v, n);
        return rc;
    }
    *rows = v;
    *count = n;
    return VX_OK;
}
