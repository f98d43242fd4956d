/*
 * http/api.c — owns the machine-readable routes: /healthz, /metrics, and the JSON API under
 * /api/v1 (domains with their state, events, the latest snapshot, accepting a baseline).
 * Query parameters are checked strictly (unknown or repeated ones are a 400), so that a typo in
 * a script fails loudly instead of silently returning everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http_impl.h"
#include "voxdns/status.h"

#define EVENTS_DEFAULT_LIMIT 100
#define EVENTS_MAX_LIMIT 10000

static char *json_take(json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void store_failed(vx__http_resp *r, const vx__http_req *req, int rc)
{
    if (rc == VX_ENOTFOUND)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "unknown domain");
    else
        vx__resp_error(r, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "the store failed");
}

void vx__api_healthz(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    (void)h, (void)req, (void)name;
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_TEXT, strdup("ok\n"));
}

void vx__api_metrics(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    (void)req, (void)name;
    char *text = h->metrics ? vx__metrics_render(h->metrics) : strdup("");
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_METRICS, text);
}

/* ---- /api/v1/domains --------------------------------------------------------------------- */

static json_t *time_or_null(uint64_t ms)
{
    char when[32];
    if (!ms)
        return json_null();
    vx__report_time(ms, when, sizeof when);
    return json_string(when);
}

static json_t *domain_json(const vx__dstate *d)
{
    json_t *counts = json_object();
    for (int s = VX__SEV_CRITICAL; counts && s >= VX__SEV_INFO; s--)
        json_object_set_new(counts, vx__severity_name((vx__severity)s),
                            json_integer((json_int_t)d->counts[s]));
    return json_pack("{ss ss so* so* sI}", "name", d->name, "state", d->state, "last_cycle",
                     time_or_null(d->last_cycle_ms), "findings", counts, "open_events",
                     (json_int_t)d->open_count);
}

void vx__api_domains(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    vx__store_summary_row *rows = NULL;
    size_t count = 0;
    (void)name;
    int rc = vx__store_summaries(h->store, &rows, &count);
    json_t *list = json_array();
    for (size_t i = 0; rc == VX_OK && i < count; i++) {
        vx__dstate d;
        rc = vx__dstate_for_list(h->store, h->asndb, &rows[i], &d);
        if (rc == VX_OK)
            json_array_append_new(list, domain_json(&d));
        vx__dstate_free(&d);
    }
    vx__store_summary_rows_free(rows, count);
    if (rc != VX_OK) {
        json_decref(list);
        store_failed(r, req, rc);
        return;
    }
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json_take(json_pack("{so}", "domains", list)));
}

/* ---- /api/v1/events ---------------------------------------------------------------------- */

typedef struct ev_query {
    const char *domain;
    bool by_time;
    int64_t after_id;
    uint64_t since_ms;
    size_t limit;
} ev_query;

static bool all_digits(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

static const char *check_args(const vx__http_req *req)
{
    static const char *const known[] = {"since", "domain", "limit"};
    if (req->too_many_args)
        return "too many query parameters";
    for (size_t i = 0; i < req->arg_count; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok = ok || strcmp(req->args[i].key, known[k]) == 0;
        if (!ok)
            return "unknown query parameter";
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->args[i].key, req->args[j].key) == 0)
                return "repeated query parameter";
    }
    return NULL;
}

/* NULL when the query is valid, else why not. */
static const char *parse_events_query(const vx__http_req *req, ev_query *q)
{
    const char *why = check_args(req), *since = vx__req_arg(req, "since"),
               *limit = vx__req_arg(req, "limit");
    *q = (ev_query){.domain = vx__req_arg(req, "domain"), .limit = EVENTS_DEFAULT_LIMIT};
    if (why)
        return why;
    if (limit) {
        if (!all_digits(limit, 6) || atol(limit) < 1 || atol(limit) > EVENTS_MAX_LIMIT)
            return "limit must be a number from 1 to 10000";
        q->limit = (size_t)atol(limit);
    }
    if (since && all_digits(since, 18))
        q->after_id = strtoll(since, NULL, 10);
    else if (since && vx__parse_rfc3339(since, &q->since_ms) == VX_OK)
        q->by_time = true;
    else if (since)
        return "since must be an event id or an RFC 3339 time";
    if (q->domain && !q->domain[0])
        return "domain must not be empty";
    return NULL;
}

static char *events_json(const vx__events *ev)
{
    vx__rbuf b = {0};
    vx__rb_puts(&b, "{\"events\":[");
    for (size_t i = 0; i < ev->count; i++) {
        char *one = vx__event_to_json(&ev->items[i]);
        if (!one) {
            b.oom = true;
            break;
        }
        vx__rb_puts(&b, i ? "," : "");
        vx__rb_puts(&b, one);
        free(one);
    }
    vx__rb_puts(&b, "]}");
    return vx__rb_take(&b);
}

static int query_events(vx__http *h, const ev_query *q, const char *domain, vx__events *ev)
{
    if (q->by_time)
        return vx__store_events_since_time(h->store, domain, q->since_ms, q->limit, ev);
    return vx__store_events_since(h->store, domain, q->after_id, q->limit, ev);
}

void vx__api_events(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    ev_query q;
    char *domain = NULL;
    vx__events ev = {0};
    (void)name;
    const char *why = parse_events_query(req, &q);
    if (why) {
        vx__resp_error(r, req, MHD_HTTP_BAD_REQUEST, why);
        return;
    }
    int rc = q.domain ? vx__http_find_domain(h->store, q.domain, &domain) : VX_OK;
    if (rc == VX_OK)
        rc = query_events(h, &q, domain, &ev);
    if (rc == VX_OK)
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, events_json(&ev));
    else
        store_failed(r, req, rc);
    vx__events_clear(&ev);
    free(domain);
}

/* ---- /api/v1/domains/NAME/snapshot and /baseline ----------------------------------------- */

void vx__api_snapshot(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    char *domain = NULL, *json = NULL;
    int64_t id = 0;
    int rc = vx__http_find_domain(h->store, name, &domain);
    if (rc == VX_OK)
        rc = vx__store_latest_snapshot(h->store, domain, &json, &id);
    if (rc == VX_OK && !json)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "no snapshot yet");
    else if (rc == VX_OK)
        vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json);
    else
        store_failed(r, req, rc);
    free(domain);
}

static void baseline_accepted(vx__http_resp *r, const char *domain, int64_t id, uint64_t now)
{
    char when[32];
    vx__report_time(now, when, sizeof when);
    json_t *o =
        json_pack("{ss sI ss}", "domain", domain, "snapshot_id", (json_int_t)id, "accepted", when);
    vx__resp_body(r, MHD_HTTP_OK, VX__CT_JSON, json_take(o));
}

/* Authorisation comes first: without the token, nobody learns which domains exist. */
void vx__api_baseline(vx__http *h, const vx__http_req *req, const char *name, vx__http_resp *r)
{
    char *domain = NULL, *json = NULL;
    int64_t id = 0;
    unsigned denied = vx__http_authorize(h, req);
    if (denied) {
        vx__resp_error(r, req, denied,
                       denied == MHD_HTTP_FORBIDDEN ? "writes are disabled: no token configured"
                                                    : "missing or wrong bearer token");
        r->bearer_challenge = denied == MHD_HTTP_UNAUTHORIZED;
        return;
    }
    int rc = vx__http_find_domain(h->store, name, &domain);
    if (rc == VX_OK)
        rc = vx__store_latest_snapshot(h->store, domain, &json, &id);
    if (rc == VX_OK && !json)
        vx__resp_error(r, req, MHD_HTTP_NOT_FOUND, "no snapshot yet");
    else if (rc == VX_OK &&
             (rc = vx__store_set_baseline(h->store, domain, json, req->now_ms)) == VX_OK)
        baseline_accepted(r, domain, id, req->now_ms);
    else
        store_failed(r, req, rc);
    free(json);
    free(domain);
}
